"""Decompression bombs: a small file that inflates to hundreds of MB is refused with a clear
error naming the limit, instead of taking the memory of the harvest. The bombs are made here,
in the test, not kept as fixtures. Peak memory is measured in bench/bench_parse_limits.py."""
from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from harvester.extraction import read_page
from harvester.config import DEFAULT_PARSE_MAX_DECODED as DEFAULT_MAX_DECODED
from harvester.parser.inputs import InputError, decode

MB = 1024 * 1024
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"


@functools.lru_cache(maxsize=2)
def deflate_zeros(n: int, chunk: int = 4 * MB) -> bytes:
    """zlib stream of ``n`` zero bytes, made a chunk at a time (small memory)."""
    c = zlib.compressobj(9)
    out = []
    zeros = b"\0" * chunk
    while n > 0:
        out.append(c.compress(zeros[: min(chunk, n)]))
        n -= chunk
    out.append(c.flush())
    return b"".join(out)


def pdf_with_stream(stream: bytes, filters: str) -> bytes:
    """A one-page PDF whose content stream is ``stream`` under ``filters``."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(stream), filters.encode()) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


HELLO = zlib.compress(b"BT /F1 24 Tf 72 700 Td (Hello annual report) Tj ET")


def test_a_pdf_flate_bomb_is_refused_with_the_limit_named():
    bomb = pdf_with_stream(deflate_zeros(300 * MB), "/FlateDecode")
    assert len(bomb) < 1 * MB  # 300 MB of zeros in under 1 MB
    with pytest.raises(InputError) as exc:
        decode(bomb, url="http://x.gov.cn/bomb.pdf")
    assert str(exc.value) == (f"PDF (its compressed streams) inflates beyond {DEFAULT_MAX_DECODED} bytes "
                              "(limit HARVESTER_PARSE_MAX_DECODED); not decoded, to keep memory bounded")


def test_a_nested_flate_bomb_is_refused_too():
    inner = deflate_zeros(300 * MB)
    bomb = pdf_with_stream(zlib.compress(inner, 9), "[/FlateDecode /FlateDecode]")
    assert len(bomb) < 64 * 1024
    with pytest.raises(InputError, match="PDF .* inflates beyond"):
        decode(bomb)


def test_the_record_of_a_bomb_says_so_and_the_harvest_goes_on():
    out = read_page(pdf_with_stream(deflate_zeros(300 * MB), "/FlateDecode"), "http://x.gov.cn/bomb.pdf",
                    "application/pdf")
    assert out["error"].startswith("unreadable page: PDF (its compressed streams) inflates beyond")
    assert out["is_annual_report"] is False and out["record"] is None


def test_the_limit_is_configurable_and_an_ordinary_pdf_reads(monkeypatch):
    pdf = pdf_with_stream(HELLO, "/FlateDecode")
    assert "Hello annual report" in decode(pdf).content
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", "20")
    with pytest.raises(InputError, match="inflates beyond 20 bytes"):
        decode(pdf)
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", "1000")
    assert "Hello annual report" in decode(pdf).content


def test_lzw_and_run_length_streams_count_against_the_limit(monkeypatch):
    # RunLength: a run of 128 zero bytes is 2 bytes (257 - 128 = 129, then the byte)
    runs = bytes([129, 0]) * 20_000 + b"\x80"
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", str(1 * MB))
    with pytest.raises(InputError, match="inflates beyond 1048576 bytes"):
        decode(pdf_with_stream(runs, "/RunLengthDecode"))
    # LZW: the same code repeated grows ever longer strings (a 9-bit code at a time)
    bits, out = "", bytearray()
    codes = [256] + [0] + list(range(258, 258 + 250))  # clear, 'a', then each new entry
    for c in codes:
        bits += format(c, "09b")
    bits += "0" * (-len(bits) % 8)
    out = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", "10000")  # 250 codes decode to ~31,000 bytes
    with pytest.raises(InputError, match="inflates beyond 10000 bytes"):
        decode(pdf_with_stream(out, "/LZWDecode"))


def _zip(members: dict[str, bytes | int]) -> bytes:
    """A zip; an int member is that many zero bytes, written a chunk at a time."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            if isinstance(body, int):
                with zf.open(name, "w") as fh:
                    left = body
                    while left > 0:
                        fh.write(b" " * min(4 * MB, left))
                        left -= 4 * MB
            else:
                zf.writestr(name, body)
    return buf.getvalue()


CT = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def test_a_docx_zip_bomb_is_refused_before_inflating():
    bomb = _zip({"[Content_Types].xml": CT, "word/document.xml": 300 * MB})
    assert len(bomb) < 1 * MB
    with pytest.raises(InputError) as exc:
        decode(bomb, url="http://x.gov.cn/a.docx")
    assert str(exc.value).startswith(f"DOCX part word/document.xml ({300 * MB} bytes) inflates beyond {DEFAULT_MAX_DECODED}")


def test_a_zip_member_lying_about_its_size_is_not_inflated_past_it():
    honest = _zip({"[Content_Types].xml": CT, "word/document.xml": 50 * MB})
    name = b"word/document.xml"
    local = zipfile.ZipFile(io.BytesIO(honest)).getinfo(name.decode()).header_offset
    central = next(p for p in range(len(honest)) if honest.startswith(b"PK\x01\x02", p) and honest[p + 46:p + 46 + len(name)] == name)
    bomb = bytearray(honest)
    _claim_small(bomb, local, central)  # claims 1000 bytes in both headers
    assert zipfile.ZipFile(io.BytesIO(bytes(bomb))).getinfo(name.decode()).file_size == 1000
    with pytest.raises(InputError, match="corrupt DOCX"):
        decode(bytes(bomb), url="http://x.gov.cn/a.docx")


def _claim_small(z: bytearray, local: int, central: int) -> None:
    """Rewrite the member's uncompressed size to 1000 in its local and central headers."""
    struct.pack_into("<I", z, local + 22, 1000)
    struct.pack_into("<I", z, central + 24, 1000)


def test_an_xlsx_zip_bomb_is_refused_before_inflating():
    bomb = _zip({"[Content_Types].xml": CT, "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": 300 * MB})
    with pytest.raises(InputError, match=rf"XLSX workbook \({300 * MB + 11} bytes of XML parts\) inflates beyond"):
        decode(bomb, url="http://x.gov.cn/a.xlsx")


def test_doc_converter_output_is_bounded(monkeypatch):
    data = (FIX / "report_2021.doc").read_bytes()
    assert decode(data).source_format == "doc"
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", "200")
    with pytest.raises(InputError, match=r"DOC text from catdoc inflates beyond 200 bytes"):
        decode(data)


def _xlsx(fill) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    fill(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_xlsx_with_two_far_corner_cells_is_not_expanded_into_billions():
    def corners(ws):
        ws["A1"] = "行政复议"
        ws["XFD1048576"] = 1
    data = _xlsx(corners)
    assert len(data) < 10_000
    with pytest.raises(InputError, match=r"XLSX sheet 'Sheet' spans 1048576 rows x 16384 columns; at most \d+ cells"):
        decode(data, url="http://x.gov.cn/a.xlsx")


def test_an_xlsx_with_too_many_cells_is_refused_before_loading(monkeypatch):
    def many(ws):
        for r in range(1, 201):
            for c in range(1, 11):
                ws.cell(row=r, column=c, value=r * c)
    data = _xlsx(many)
    assert "<td>2000</td>" in decode(data).content
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", str(256 * 1000))
    with pytest.raises(InputError, match=r"XLSX has 2000 cells; at most 1000 are read"):
        decode(data)


def test_a_styled_empty_cell_far_away_does_not_stop_a_real_sheet():
    from openpyxl.styles import Font

    def real(ws):
        ws["A1"], ws["B1"], ws["A2"], ws["B2"] = "收到申请数", 12, "办结数", 11
        ws["Z60000"].font = Font(bold=True)  # formatting left behind, no value
    content = decode(_xlsx(real)).content
    assert "<td>收到申请数</td><td>12</td>" in content and "<td>11</td>" in content
