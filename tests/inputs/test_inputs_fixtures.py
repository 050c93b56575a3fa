"""inputs.decode on the committed fixture files (see tests/fixtures/inputs/README.md)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest

from harvester.parser.inputs import InputError, decode, office

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"
SOURCES = json.loads((FIX / "sources.json").read_text(encoding="utf-8"))


def data(name: str) -> bytes:
    return (FIX / name).read_bytes()


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def html_tables(html: str) -> list[list[list[tuple[str, int, int]]]]:
    """Decoded HTML tables as rows of (text, rowspan, colspan)."""
    doc = lxml.html.fromstring(html)
    out = []
    for t in doc.iter("table"):
        rows = []
        for tr in t.iter("tr"):
            rows.append([(squash(td.text_content()), int(td.get("rowspan", 1)), int(td.get("colspan", 1)))
                         for td in tr if td.tag in ("td", "th")])
        out.append(rows)
    return out


def source_rows(src: dict) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(table key, row) pairs of the source tables, each row as (text, rowspan, colspan)."""
    out = []
    for t in src["tables"]:
        grid = sorted(t["grid"])
        by_row: dict[int, list] = {}
        for r, _c, text, rs, cs in grid:
            by_row.setdefault(r, []).append((squash(text), rs, cs))
        out.extend((t["key"], by_row[r]) for r in sorted(by_row))
    return out


def assert_rows_with_spans(html: str, src: dict) -> None:
    """Every source table row appears, in order, as a decoded row with the same spans."""
    decoded = [row for table in html_tables(html) for row in table]
    pos = 0
    for key, row in source_rows(src):
        for i in range(pos, len(decoded)):
            if decoded[i] == row:
                pos = i + 1
                break
        else:
            raise AssertionError(f"{key} row {row} not found after decoded row {pos}")


# --------------------------------------------------------------------------- DOCX
def test_docx_paragraphs_and_merged_table_cells():
    src = SOURCES["report_2021"]
    d = decode(data("report_2021.docx"), url="http://x.gov.cn/P020240120.docx")
    assert (d.kind, d.source_format, d.encoding, d.meta) == ("html", "docx", None, {})
    doc = lxml.html.fromstring(d.content)
    paras = [squash(p.text_content()) for p in doc.iter("p")]
    for p in src["paragraphs"]:
        assert squash(p) in paras
    assert "镕" in d.content and "堃" in d.content and "喆" in d.content
    assert_rows_with_spans(d.content, src)
    # the State Council template's merges survive as rowspan/colspan
    cells = {c[0]: c for t in html_tables(d.content) for row in t for c in row}
    assert cells["三、本年度办理结果"][1:] == (22, 1)
    assert cells["(三)不予公开"][1:] == (8, 1)
    assert cells["法人或其他组织"][1:] == (1, 5)
    assert cells["行政复议"][1:] == (1, 5)
    assert cells["行政诉讼"][1:] == (1, 10)


def test_docx_detected_by_magic_without_url_or_type():
    d = decode(data("report_2021.docx"))
    assert d.source_format == "docx"


# --------------------------------------------------------------------------- DOC / WPS via catdoc
@pytest.mark.parametrize("name,key,fmt,kw", [
    ("report_2021.doc", "report_2021", "doc", {"url": "http://x.gov.cn/P0202401.doc"}),
    ("report_2021.doc", "report_2021", "doc", {}),
    ("report_2019.wps", "report_2019", "wps", {"url": "http://x.gov.cn/P0202001.wps"}),
    ("report_2019.wps", "report_2019", "wps", {"content_type": "application/kswps"}),
])
def test_doc_and_wps_through_converter(name, key, fmt, kw):
    src = SOURCES[key]
    d = decode(data(name), **kw)
    assert (d.kind, d.source_format, d.encoding) == ("text", fmt, None)
    lines = [ln.strip() for ln in d.content.splitlines()]
    for p in src["paragraphs"]:
        assert p.strip() in lines, p
    # one line per table row, cells separated by tabs
    text = d.content
    for _key, row in source_rows(src):
        assert "\t".join(t for t, _rs, _cs in row) in squash_keep_tabs(text), row
    assert "镕堃喆" in text


def squash_keep_tabs(s: str) -> str:
    return re.sub(r"[ \r\u3000]+", "", s)


def test_wps_without_hint_is_a_word_binary():
    # a .wps saved by WPS Office is an OLE2 Word-compatible file: with no name or type it reads as DOC
    assert decode(data("report_2019.wps")).source_format == "doc"


def test_missing_converter_names_the_program(monkeypatch):
    monkeypatch.setattr(office, "DOC_CONVERTER", "catdoc-not-installed-here")
    with pytest.raises(InputError, match="catdoc-not-installed-here"):
        decode(data("report_2021.doc"))


# --------------------------------------------------------------------------- spreadsheets
@pytest.mark.parametrize("name,fmt", [("tables_2021.xlsx", "xlsx"), ("tables_2021.xls", "xls")])
def test_spreadsheet_tables_with_merges(name, fmt):
    src = SOURCES["report_2021"]
    d = decode(data(name), url=f"http://x.gov.cn/a.{fmt}")
    assert (d.kind, d.source_format) == ("html", fmt)
    assert_rows_with_spans(d.content, src)
    tables = html_tables(d.content)
    # the title row spans the sheet; the applications table keeps its 22-row group label
    assert tables[0] == [[("梅州市人民政府办公室2023年政府信息公开工作年度报告", 1, 15)]]
    cells = {c[0]: c for t in tables for row in t for c in row}
    assert cells["三、本年度办理结果"][1:] == (22, 1)
    assert cells["(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"][1:] == (3, 3)
    # numbers come out as written, not as floats
    assert ("1532.42", 1, 3) in [c for t in tables for row in t for c in row]


# --------------------------------------------------------------------------- PDF
def test_pdf_with_text_layer_keeps_table_rows_on_lines():
    src = SOURCES["report_2021"]
    d = decode(data("report_2021.pdf"), content_type="application/pdf")
    assert (d.kind, d.source_format) == ("text", "pdf")
    flat = squash(d.content)
    for p in src["paragraphs"]:
        assert squash(p) in flat, p
    lines = [ln.strip() for ln in d.content.splitlines()]
    apps = src["truth_tables"]["applications"]
    cols = ("natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total")
    new = " ".join(str(apps["new"][c]) for c in cols)
    assert f"一、本年新收政府信息公开申请数量 {new}" in lines
    rl = src["truth_tables"]["review_litigation"]
    row15 = " ".join(str(rl[g][c]) for g in ("review", "litigation_direct", "litigation_after_review")
                     for c in ("upheld", "corrected", "other", "pending", "total"))
    assert row15 in lines


def test_scanned_pdf_is_an_input_error():
    with pytest.raises(InputError, match=r"PDF has no text layer \(scanned images\?\)"):
        decode(data("scanned.pdf"))


# --------------------------------------------------------------------------- HTML encodings, gkmlpt
def test_gb2312_declared_page_with_gbk_characters():
    raw = data("gb2312_declared_gbk.html")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")  # the page really is outside GB2312
    d = decode(raw, url="http://x.gov.cn/art/2024/1/20/art_1_2.html", content_type="text/html")
    assert (d.kind, d.source_format, d.encoding) == ("html", "html", "gb18030")
    assert d.content == SOURCES["gb2312_declared_gbk.html"]["text"]
    assert "朱镕基" in d.content and "王堃" in d.content and "张喆" in d.content


def test_undeclared_gbk_page():
    d = decode(data("undeclared_gbk.html"))
    assert (d.kind, d.encoding) == ("html", "gb18030")
    assert d.content == SOURCES["undeclared_gbk.html"]["text"]


def test_gkmlpt_detail_content_and_meta():
    src = SOURCES["gkmlpt_post.html"]
    raw = data("gkmlpt_post.html")
    assert "镕".encode("utf-8") not in raw  # the body is only in the JSON-escaped DETAIL.content
    d = decode(raw, url="http://www.meijiang.gov.cn/gkmlpt/content/4/4321/post_4321987.html")
    assert (d.kind, d.source_format, d.encoding) == ("html", "gkmlpt", "utf-8")
    assert d.content == src["content"]
    assert d.meta == {"ArticleTitle": src["title"], "PubDate": src["date"], "ContentSource": src["publisher"]}


# --------------------------------------------------------------------------- errors
def test_truncated_docx():
    raw = data("report_2021.docx")
    with pytest.raises(InputError, match=r"corrupt DOCX: truncated or damaged zip archive"):
        decode(raw[: len(raw) // 2], url="http://x.gov.cn/a.docx")


def test_docx_name_on_non_zip_bytes():
    with pytest.raises(InputError, match="corrupt DOCX: not a zip archive"):
        decode(b"\x00\x01binary junk that is not a zip" * 3, url="http://x.gov.cn/P02024.docx")


@pytest.mark.parametrize("raw", [b"", b"   \r\n\t "])
def test_empty_input(raw):
    with pytest.raises(InputError, match="empty input"):
        decode(raw)


def test_corrupt_pdf():
    with pytest.raises(InputError, match="corrupt PDF"):
        decode(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")


def test_zip_that_is_neither_docx_nor_xlsx():
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="neither DOCX"):
        decode(buf.getvalue())


def test_ole_without_known_streams():
    raw = data("tables_2021.xls")
    # overwrite the stream names in the directory: no Workbook/WordDocument any more
    broken = raw.replace("Workbook".encode("utf-16-le"), "Xorkbook".encode("utf-16-le"))
    broken = broken.replace("Book".encode("utf-16-le"), "Xook".encode("utf-16-le"))
    with pytest.raises(InputError, match="OLE2"):
        decode(broken)
