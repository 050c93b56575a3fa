"""Attachment renderings: DOCX (python-docx), XLSX (openpyxl) and PDF (a small writer of our own).

All three are byte-deterministic: zip member timestamps and document properties are
fixed from the report's publication date.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib

from .model import Cell, Table


# --------------------------------------------------------------------------- grid layout
def layout_grid(t: Table) -> list[tuple[int, int, Cell]]:
    """(row, col, cell) positions of the model's cells, as a browser lays out rowspan/colspan."""
    occupied: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(t.rows):
        c = 0
        for cell in row:
            while (r, c) in occupied:
                c += 1
            out.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    occupied.add((r + dr, c + dc))
            c += cell.colspan
    return out


def _fixed_zip(data: bytes, stamp: str) -> bytes:
    """Rewrite a zip with fixed member times and fixed docProps dates (determinism)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    iso = f"{stamp}T09:00:00Z"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = blob.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              lambda m: m.group(1) + iso + m.group(3), text)
                blob = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, blob)
    return out.getvalue()


# --------------------------------------------------------------------------- DOCX
def render_docx(truth: dict, parts, title: str) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.author = truth["agency"]
    doc.core_properties.title = title
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(title)
    run.bold = True
    run.font.size = Pt(16)
    for kind, payload in parts:
        if kind == "heading":
            hp = doc.add_paragraph()
            hp.add_run(payload).bold = True
        elif kind == "para":
            doc.add_paragraph(payload)
        elif kind == "table":
            _docx_table(doc, payload)
        elif kind == "img":
            doc.add_paragraph("")
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue(), truth["published"])


def _docx_table(doc, t: Table) -> None:
    """Append a bordered table with real merges (w:gridSpan, w:vMerge) built as WordprocessingML."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    nrows = len(t.rows)
    starts = {(r, c): cell for r, c, cell in layout_grid(t)}
    # (r, c) -> the spanning cell covering it from above (vertical continuation)
    below: dict[tuple[int, int], Cell] = {}
    for (r, c), cell in starts.items():
        for dr in range(1, cell.rowspan):
            below[(r + dr, c)] = cell
    width = 9000 // t.ncols
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    xml = [f"<w:tbl {nsdecls('w')}><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/>"
           f"<w:tblBorders>{border}</w:tblBorders></w:tblPr><w:tblGrid>"]
    xml.append("".join(f'<w:gridCol w:w="{width}"/>' for _ in range(t.ncols)))
    xml.append("</w:tblGrid>")
    for r in range(nrows):
        xml.append("<w:tr>")
        c = 0
        while c < t.ncols:
            if (r, c) in starts:
                cell = starts[(r, c)]
                props = ""
                if cell.colspan > 1:
                    props += f'<w:gridSpan w:val="{cell.colspan}"/>'
                if cell.rowspan > 1:
                    props += '<w:vMerge w:val="restart"/>'
                text = escape_xml(cell.text)
                run = f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>' if text else ""
                xml.append(f'<w:tc><w:tcPr><w:tcW w:w="{width * cell.colspan}" w:type="dxa"/>{props}</w:tcPr>'
                           f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr>{run}</w:p></w:tc>')
                c += cell.colspan
            elif (r, c) in below:
                cell = below[(r, c)]
                span = f'<w:gridSpan w:val="{cell.colspan}"/>' if cell.colspan > 1 else ""
                xml.append(f'<w:tc><w:tcPr><w:tcW w:w="{width * cell.colspan}" w:type="dxa"/>{span}'
                           f'<w:vMerge/></w:tcPr><w:p/></w:tc>')
                c += cell.colspan
            else:  # a hole in a ragged row: an empty cell keeps the grid rectangular
                xml.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p/></w:tc>')
                c += 1
        xml.append("</w:tr>")
    xml.append("</w:tbl>")
    tbl = parse_xml("".join(xml))
    body = doc.element.body
    body.insert(len(body) - 1, tbl)  # before the final w:sectPr
    doc.add_paragraph("")


def escape_xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------- XLSX
def render_xlsx(truth: dict, parts, title: str) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "年度报告统计表"
    row = 1
    ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=15)
    row += 2
    pending_heading = None
    for kind, payload in parts:
        if kind == "heading":
            pending_heading = payload
        elif kind == "table":
            if pending_heading:  # only the headings of the table sections
                ws.cell(row=row, column=1, value=pending_heading).font = Font(bold=True)
                row += 1
                pending_heading = None
            t = payload
            for r, c, cell in layout_grid(t):
                v = _xlsx_value(cell)
                xc = ws.cell(row=row + r, column=c + 1, value=v)
                xc.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                if cell.rowspan > 1 or cell.colspan > 1:
                    ws.merge_cells(start_row=row + r, start_column=c + 1,
                                   end_row=row + r + cell.rowspan - 1, end_column=c + cell.colspan)
            row += len(t.rows) + 1
    wb.properties.creator = truth["agency"]
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue(), truth["published"])


def _xlsx_value(cell: Cell):
    """Numbers go in as numbers (as officials type them); anything with units or markers as text."""
    text = cell.text
    if cell.path is not None and re.fullmatch(r"-?\d+", text):
        return int(text)
    if cell.path is not None and re.fullmatch(r"-?\d+\.\d+", text) and text not in ("0.0", "0.00"):
        return float(text)
    return text if text != "" else None


# --------------------------------------------------------------------------- PDF
def pdf_lines(parts, title: str, width_chars: int = 44) -> list[tuple[str, float]]:
    """The report as printed lines (text, font size): one line per table row."""
    out: list[tuple[str, float]] = [(title, 13.0), ("", 9.0)]
    for kind, payload in parts:
        if kind == "heading":
            out.append((payload, 10.5))
        elif kind == "para":
            text = "　　" + payload
            while text:
                out.append((text[:width_chars], 9.0))
                text = text[width_chars:]
        elif kind == "table":
            for row in payload.rows:
                cells = [c.text if c.text != "" else "　" for c in row]
                out.append(("  ".join(cells), 7.0))
            out.append(("", 7.0))
    return out


def _pdf_hex(s: str) -> str:
    return s.encode("utf-16-be").hex().upper()


def render_pdf(truth: dict, parts, title: str) -> bytes:
    """A PDF with a real text layer in Chinese: Adobe's STSong-Light CID font (not embedded)
    with the predefined UniGB-UCS2-H CMap. Readers map the Adobe-GB1 CIDs back to Unicode
    with the standard collection tables (pdfminer ships them), so the text extracts.

    (No /ToUnicode: pdfminer looks a ToUnicode map up by CID rather than by code, and
    would then fail where the collection tables work.)"""
    lines = pdf_lines(parts, title)
    page_h, page_w, margin = 842.0, 595.0, 50.0
    pages: list[list[tuple[str, float, float]]] = [[]]
    y = page_h - margin
    for text, size in lines:
        lead = size * 1.6
        if y - lead < margin:
            pages.append([])
            y = page_h - margin
        y -= lead
        if text:
            pages[-1].append((text, size, y))

    objs: list[bytes] = []

    def add(obj: bytes) -> int:
        objs.append(obj)
        return len(objs)

    catalog = add(b"")  # placeholder, filled later
    pages_id = add(b"")
    descriptor = add(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
                     b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
                     b"/CapHeight 880 /StemV 93 >>")
    cidfont = add(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
                  b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
                  b"/FontDescriptor " + f"{descriptor} 0 R".encode() + b" /DW 1000 /W [1 95 500] >>")
    font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H "
               b"/Encoding /UniGB-UCS2-H /DescendantFonts [" + f"{cidfont} 0 R".encode() +
               b"] >>")
    page_ids = []
    for plines in pages:
        ops = []
        for text, size, yy in plines:
            ops.append(f"BT /F1 {size:g} Tf {margin:g} {yy:.2f} Td <{_pdf_hex(text)}> Tj ET")
        content = add(_stream("\n".join(ops).encode("ascii"), compress=True))
        page_ids.append(add(
            f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {page_w:g} {page_h:g}] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()))
    objs[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    objs[pages_id - 1] = (f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
                          f"/Count {len(page_ids)} >>").encode()
    info = add(f"<< /Producer (xxgk-harvester reportgen) /CreationDate (D:{truth['published'].replace('-', '')}090000+08'00') >>".encode())
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
              f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        return f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"
