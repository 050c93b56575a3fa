"""Charset handling, format dispatch, gkmlpt variants and the never-crash property of inputs.decode."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.parser.inputs import Decoded, InputError, decode

GBK_TEXT = "梅州市人民政府办公室2023年政府信息公开工作年度报告。联系人:朱镕基、王堃、张喆。"


def page(charset_meta: str, body: str = GBK_TEXT) -> str:
    return f"<html><head>{charset_meta}<title>年度报告</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize("declared", ["gb2312", "GB2312", "gbk", "GB_2312-80", "x-gbk", "gb18030"])
def test_gb_family_declarations_decode_as_gb18030(declared):
    raw = page(f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">').encode("gbk")
    d = decode(raw)
    assert d.encoding == "gb18030"
    assert GBK_TEXT in d.content


def test_html5_meta_charset_and_content_type_charset():
    raw = page('<meta charset="gbk">').encode("gbk")
    assert decode(raw).encoding == "gb18030"
    # the content type's charset wins over nothing in the page
    raw2 = page("").encode("gbk")
    d = decode(raw2, content_type="text/html; charset=GB2312")
    assert d.encoding == "gb18030" and GBK_TEXT in d.content


def test_utf8_and_boms():
    assert decode(page("").encode("utf-8")).encoding == "utf-8"
    d = decode(b"\xef\xbb\xbf" + page('<meta charset="gbk">').encode("utf-8"))
    assert d.encoding == "utf-8" and GBK_TEXT in d.content  # a BOM beats the meta tag
    d = decode(page("").encode("utf-16"))
    assert d.encoding.startswith("utf-16") and GBK_TEXT in d.content


def test_latin1_header_on_a_chinese_page_is_not_trusted():
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gbk")
    d = decode(raw, content_type="text/html; charset=ISO-8859-1")
    assert d.encoding == "gb18030" and GBK_TEXT in d.content
    raw = page("").encode("utf-8")
    d = decode(raw, content_type="text/html; charset=iso-8859-1")
    assert d.encoding == "utf-8" and GBK_TEXT in d.content


def test_latin1_header_on_western_text_is_kept():
    d = decode("Error 404 - página não encontrada".encode("latin-1"),
               content_type="text/html; charset=iso-8859-1")
    assert d.content == "Error 404 - página não encontrada"


def test_declared_utf8_but_really_gbk():
    raw = page('<meta charset="utf-8">').encode("gbk")
    d = decode(raw)
    assert d.encoding == "gb18030" and GBK_TEXT in d.content


def test_declared_gb2312_but_really_utf8():
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("utf-8")
    d = decode(raw)
    assert d.encoding == "utf-8" and GBK_TEXT in d.content


def test_undeclared_gbk_text_and_bad_bytes_are_replaced():
    raw = GBK_TEXT.encode("gbk")
    d = decode(raw, url="http://x.gov.cn/report.txt")
    assert (d.kind, d.source_format, d.encoding, d.content) == ("text", "text", "gb18030", GBK_TEXT)
    # a stray byte in the middle must not crash decoding nor lose the rest
    broken = raw[:20] + b"\xff" + raw[20:]
    d = decode(broken, content_type="text/plain; charset=gbk")
    assert d.content.endswith("张喆。") and "\ufffd" in d.content


def test_big5_page_is_not_forced_to_gb():
    text = "梅州市人民政府辦公室政府資訊公開年度報告,規範性檔案共十件。" * 3
    d = decode(text.encode("big5"), content_type="text/plain")
    assert d.encoding in ("big5", "big5hkscs") and d.content == text


def test_html_vs_text_dispatch():
    assert decode(b"<!DOCTYPE html><html><body>x</body></html>").kind == "html"
    assert decode("一、总体情况\n二、主动公开".encode()).kind == "text"
    assert decode(b"plain", content_type="text/html").kind == "html"


def gkmlpt(detail_js: str) -> bytes:
    return ("<html><head><meta charset='utf-8'></head><body><div id='app'></div><script>"
            f"window._CONFIG = {{SID:'757', TREE:[{{id:1,name:'政府信息公开年报'}}], DETAIL: {detail_js}}};"
            "</script></body></html>").encode("utf-8")


def test_gkmlpt_single_quotes_escapes_and_ms_epoch():
    js = ("{title:'广州市2023年政府信息公开工作年度报告', content:'<p>\\u4e00\\u3001\\u603b\\u4f53\\u60c5\\u51b5<\\/p>"
          "<p>it\\'s</p>', publisher_name:'广州市人民政府办公厅', date: 1706495400000}")
    d = decode(gkmlpt(js))
    assert d.source_format == "gkmlpt"
    assert d.content == "<p>一、总体情况</p><p>it's</p>"
    assert d.meta == {"ArticleTitle": "广州市2023年政府信息公开工作年度报告", "PubDate": "2024-01-29",
                      "ContentSource": "广州市人民政府办公厅"}


def test_gkmlpt_unparsable_config_still_reads_detail():
    detail = json.dumps({"title": "标题", "content": "<p>正文</p>", "source": "某局", "date": "2024-02-03 10:00"},
                        ensure_ascii=False)
    raw = ("<script>window._CONFIG = {SID: getSid(), BROKEN: [1, 2,, DETAIL: " + detail + "};</script>").encode()
    d = decode(raw, content_type="text/html")
    assert (d.source_format, d.content) == ("gkmlpt", "<p>正文</p>")
    assert d.meta == {"ArticleTitle": "标题", "PubDate": "2024-02-03", "ContentSource": "某局"}


def test_gkmlpt_without_body_returns_the_page():
    raw = gkmlpt("{title:'标题', date:'2024-01-05'}")
    d = decode(raw)
    assert d.source_format == "gkmlpt" and "window._CONFIG" in d.content
    assert d.meta == {"ArticleTitle": "标题", "PubDate": "2024-01-05"}


def test_xlsx_made_here_with_merges():
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "行政复议"
    ws.merge_cells("A1:E1")
    ws["F1"] = "行政诉讼"
    ws.merge_cells("F1:O1")
    for i in range(15):
        ws.cell(row=2, column=i + 1, value=i % 3)
    ws["A3"] = 449.33
    buf = io.BytesIO()
    wb.save(buf)
    d = decode(buf.getvalue())
    assert d.source_format == "xlsx"
    assert '<td colspan="5">行政复议</td><td colspan="10">行政诉讼</td>' in d.content
    assert "<td>449.33</td>" in d.content


def test_docx_vmerge_and_gridspan_from_raw_xml():
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    def tc(text, props=""):
        return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"
    body = (f'<w:document {w}><w:body><w:p><w:r><w:t>标题</w:t></w:r></w:p><w:tbl>'
            "<w:tr>" + tc("三、本年度办理结果", '<w:vMerge w:val="restart"/>') + tc("(一)予以公开", '<w:gridSpan w:val="2"/>') + tc("5") + "</w:tr>"
            "<w:tr>" + tc("", "<w:vMerge/>") + tc("(三)不予公开") + tc("1.属于国家秘密") + tc("0") + "</w:tr>"
            "<w:tr>" + tc("", "<w:vMerge/>") + tc("(七)总计", '<w:gridSpan w:val="2"/>') + tc("5") + "</w:tr>"
            "</w:tbl></w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", body)
    d = decode(buf.getvalue())
    assert d.source_format == "docx"
    assert ('<tr><td rowspan="3">三、本年度办理结果</td><td colspan="2">(一)予以公开</td><td>5</td></tr>'
            '<tr><td>(三)不予公开</td><td>1.属于国家秘密</td><td>0</td></tr>'
            '<tr><td colspan="2">(七)总计</td><td>5</td></tr>') in d.content


def test_docx_with_renamed_main_part_and_pdf_after_whitespace():
    from pathlib import Path
    fix = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"
    src = zipfile.ZipFile(fix / "report_2021.docx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            name = info.filename
            if name == "word/document.xml":
                name = "word/document2.xml"
            if name == "[Content_Types].xml":
                blob = blob.replace(b"/word/document.xml", b"/word/document2.xml")
            dst.writestr(name, blob)
    d = decode(buf.getvalue())
    assert d.source_format == "docx" and "镕堃喆" in d.content
    pdf = (fix / "report_2021.pdf").read_bytes()
    d = decode(b"\r\n  " + pdf)
    assert d.source_format == "pdf" and "镕" in d.content


def test_docx_with_broken_xml():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(InputError, match="corrupt DOCX"):
        decode(buf.getvalue())


def test_non_bytes_input():
    with pytest.raises(InputError):
        decode("a str")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- never crash
PREFIXES = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            b"<html><head><meta charset=gb2312>", b"\xef\xbb\xbf", b"\xff\xfe",
            b"<script>window._CONFIG = {DETAIL: {content: '", b"window._CONFIG = {DETAIL:"]
URLS = [None, "http://x.gov.cn/a.docx", "http://x.gov.cn/a.pdf", "http://x.gov.cn/a.doc",
        "http://x.gov.cn/a.wps", "http://x.gov.cn/a.xls", "http://x.gov.cn/a.html", "a.xlsx", "%%%"]
TYPES = [None, "text/html; charset=gb2312", "application/pdf", "application/msword",
         "application/vnd.ms-excel", "text/plain; charset=utf-16", "text/html; charset=bogus-x",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=2048),
       url=st.sampled_from(URLS), ctype=st.sampled_from(TYPES))
def test_any_bytes_decode_or_input_error(prefix, body, url, ctype):
    try:
        d = decode(prefix + body, url=url, content_type=ctype)
    except InputError as exc:
        assert str(exc)
        return
    assert isinstance(d, Decoded)
    assert d.kind in ("html", "text")
    assert isinstance(d.content, str) and isinstance(d.meta, dict)


def _damage(raw: bytes, cut: int, flip: int) -> list[bytes]:
    buf = bytearray(raw)
    pos = (cut * 7919) % len(buf)
    buf[pos] ^= flip
    return [bytes(buf), bytes(buf[: max(1, len(buf) - cut)])]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(cut=st.integers(min_value=1, max_value=4000), flip=st.integers(min_value=1, max_value=255))
def test_damaged_office_files_decode_or_input_error(cut, flip):
    from pathlib import Path
    fix = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"
    for name in ("report_2021.docx", "tables_2021.xlsx", "tables_2021.xls", "report_2021.doc"):
        for blob in _damage((fix / name).read_bytes(), cut, flip):
            try:
                decode(blob)
            except InputError:
                pass


def _small_pdf() -> bytes:
    from harvester.reportgen.office import render_pdf
    parts = [("heading", "一、总体情况"), ("para", "2023年,本机关认真贯彻落实《中华人民共和国政府信息公开条例》。")]
    return render_pdf({"published": "2024-01-20", "agency": "某局"}, parts, "某局2023年政府信息公开工作年度报告")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(cut=st.integers(min_value=1, max_value=1500), flip=st.integers(min_value=1, max_value=255))
def test_damaged_pdf_decodes_or_input_error(cut, flip):
    for blob in _damage(_small_pdf(), cut, flip):
        try:
            decode(blob)
        except InputError:
            pass


def test_small_generated_pdf_reads_back():
    d = decode(_small_pdf())
    assert d.source_format == "pdf"
    assert d.content.splitlines()[:2] == ["某局2023年政府信息公开工作年度报告", "一、总体情况"]
