"""Office documents: the ZIP container (DOCX, or an XLSX handed to the spreadsheet reader)
and the OLE2 container (DOC and WPS through the ``catdoc`` program, or an XLS)."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from html import escape

from .base import Decoded, InputError, html_cell, max_decoded, too_large
from .sniffing import BINARY_NAMES
from .spreadsheets import xls_to_html, xlsx_to_html

#: the Debian program used for DOC and WPS files (package ``catdoc``)
DOC_CONVERTER = "catdoc"

_MAX_ZIP_ENTRIES = 20_000
_CONVERTER_TIMEOUT = 60


def _zip_read(zf: zipfile.ZipFile, name: str, what: str) -> bytes:
    # zipfile never inflates a member past the size its header declares (and a member that
    # inflates to more fails its CRC check): checking the declared size bounds the memory.
    info = zf.getinfo(name)
    limit = max_decoded()
    if info.file_size > limit:
        raise too_large(f"{what} part {name} ({info.file_size} bytes)", limit)
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise InputError(f"corrupt {what}: damaged zip member {name} ({exc})") from None


def decode_zip(data: bytes, declared: str | None) -> Decoded:
    what = BINARY_NAMES.get(declared or "", "DOCX/XLSX")
    if what not in ("DOCX", "XLSX"):
        what = "DOCX/XLSX"
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise InputError(f"corrupt {what}: truncated or damaged zip archive ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_ZIP_ENTRIES:
            raise InputError(f"corrupt {what}: {len(infos)} zip members (at most {_MAX_ZIP_ENTRIES})")
        names = set(zf.namelist())
        main = "word/document.xml" if "word/document.xml" in names else _docx_main_part(zf, names)
        if main:
            return Decoded("html", _docx_to_html(_zip_read(zf, main, "DOCX")), None, "docx", {})
        if "xl/workbook.xml" in names:
            # openpyxl reads the workbook's XML parts (not its media): their declared sizes together
            parts = sum(i.file_size for i in infos if i.filename.startswith("xl/") and i.filename.endswith(".xml"))
            limit = max_decoded()
            if parts > limit:
                raise too_large(f"XLSX workbook ({parts} bytes of XML parts)", limit)
            return Decoded("html", xlsx_to_html(data), None, "xlsx", {})
    if declared in ("docx", "xlsx"):
        raise InputError(f"corrupt {what}: zip archive without "
                         f"{'word/document.xml' if declared == 'docx' else 'xl/workbook.xml'}")
    raise InputError("unsupported ZIP archive: neither DOCX (word/document.xml) nor XLSX (xl/workbook.xml)")


def _docx_main_part(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    """The main document part named by [Content_Types].xml (some producers rename it)."""
    if "[Content_Types].xml" not in names:
        return None
    try:
        types = _zip_read(zf, "[Content_Types].xml", "DOCX").decode("utf-8", "replace")
    except InputError:
        return None
    m = re.search(r'PartName="/([^"]+)"[^>]*ContentType="[^"]*wordprocessingml\.document\.main\+xml"', types) or \
        re.search(r'ContentType="[^"]*wordprocessingml\.document\.main\+xml"[^>]*PartName="/([^"]+)"', types)
    return m.group(1) if m and m.group(1) in names else None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _w(tag: str) -> str:
    return _W + tag


def _docx_para_text(p) -> str:
    out = []
    for el in p.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == _w("t"):
            out.append(el.text or "")
        elif tag == _w("tab"):
            out.append("\t")
        elif tag in (_w("br"), _w("cr")):
            out.append("\n")
        elif tag == _w("noBreakHyphen"):
            out.append("-")
        elif tag == _w("sym"):
            ch = el.get(_w("char"))
            if ch and re.fullmatch(r"[0-9A-Fa-f]{4}", ch):
                cp = int(ch, 16)
                if cp >= 0xF000:
                    cp -= 0xF000
                if cp >= 32:
                    out.append(chr(cp))
    return "".join(out)


def _docx_heading_level(p) -> int | None:
    ppr = p.find(_w("pPr"))
    if ppr is None:
        return None
    st = ppr.find(_w("pStyle"))
    if st is not None:
        m = re.search(r"(?:heading|Heading|标题)\s*([1-6])", st.get(_w("val"), ""))
        if m:
            return int(m.group(1))
    ol = ppr.find(_w("outlineLvl"))
    if ol is not None and (ol.get(_w("val")) or "").isdigit():
        lvl = int(ol.get(_w("val"))) + 1
        if 1 <= lvl <= 6:
            return lvl
    return None


def _docx_blocks(container, out: list[str]) -> None:
    for child in container:
        tag = child.tag
        if tag == _w("p"):
            text = _docx_para_text(child)
            lvl = _docx_heading_level(child)
            html_text = escape(text).replace("\n", "<br/>")
            if lvl:
                out.append(f"<h{lvl}>{html_text}</h{lvl}>")
            else:
                out.append(f"<p>{html_text}</p>")
        elif tag == _w("tbl"):
            out.append(_docx_table(child))
        elif tag in (_w("sdt"),):
            content = child.find(_w("sdtContent"))
            if content is not None:
                _docx_blocks(content, out)
        elif tag in (_w("customXml"), _w("ins"), _w("smartTag")):
            _docx_blocks(child, out)


def _cell_text(tc) -> str:
    parts = []
    for child in tc:
        if child.tag == _w("p"):
            parts.append(_docx_para_text(child))
        elif child.tag == _w("tbl"):
            for p in child.iter(_w("p")):
                parts.append(_docx_para_text(p))
        elif child.tag in (_w("sdt"), _w("customXml")):
            for p in child.iter(_w("p")):
                parts.append(_docx_para_text(p))
    return "\n".join(x for x in parts if x != "") if len(parts) > 1 else (parts[0] if parts else "")


def _docx_table(tbl) -> str:
    # grid[r] = list of (start_col, span, vmerge, text) per cell
    rows = []
    trs = []
    for child in tbl:
        if child.tag == _w("tr"):
            trs.append(child)
        elif child.tag in (_w("sdt"), _w("customXml")):
            trs.extend(x for x in child.iter(_w("tr")) if x.getparent().tag != _w("tbl"))
    for tr in trs:
        cells = []
        before = 0
        trpr = tr.find(_w("trPr"))
        # w:gridBefore: leading empty grid columns
        if trpr is not None:
            gb = trpr.find(_w("gridBefore"))
            if gb is not None and (gb.get(_w("val")) or "").isdigit():
                before = int(gb.get(_w("val")))
        col = before
        tcs = [c for c in tr if c.tag == _w("tc")]
        for sdt in tr.findall(_w("sdt")):
            content = sdt.find(_w("sdtContent"))
            if content is not None:
                tcs.extend(c for c in content if c.tag == _w("tc"))
        for tc in tcs:
            span = 1
            vmerge = None
            tcpr = tc.find(_w("tcPr"))
            if tcpr is not None:
                gs = tcpr.find(_w("gridSpan"))
                if gs is not None and (gs.get(_w("val")) or "").isdigit():
                    span = max(1, int(gs.get(_w("val"))))
                vm = tcpr.find(_w("vMerge"))
                if vm is not None:
                    vmerge = vm.get(_w("val")) or "continue"
                hm = tcpr.find(_w("hMerge"))
                if hm is not None and (hm.get(_w("val")) or "continue") == "continue":
                    # legacy horizontal merge: fold into the previous cell
                    if cells:
                        cells[-1][1] += span
                        col += span
                        continue
            cells.append([col, span, vmerge, _cell_text(tc), 1])
            col += span
        rows.append(cells)
    # vertical merges: a "restart" cell absorbs the "continue" cells below it at the same column
    for r, cells in enumerate(rows):
        for cell in cells:
            if cell[2] == "restart":
                span_rows = 1
                for below in rows[r + 1:]:
                    match = next((c for c in below if c[0] == cell[0] and c[2] == "continue"), None)
                    if match is None:
                        break
                    span_rows += 1
                cell[4] = span_rows
    out = ["<table>"]
    for cells in rows:
        out.append("<tr>")
        for start, span, vmerge, text, rowspan in cells:
            if vmerge == "continue":
                continue
            out.append(html_cell(text, rowspan, span))
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _docx_to_html(xml: bytes) -> str:
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"corrupt DOCX: word/document.xml is not well-formed XML ({exc})") from None
    body = root.find(_w("body"))
    if body is None:
        raise InputError("corrupt DOCX: word/document.xml has no body")
    out: list[str] = []
    _docx_blocks(body, out)
    return "<html><body>\n" + "\n".join(out) + "\n</body></html>"


def _ole_stream_names(data: bytes) -> set[str]:
    names: set[str] = set()
    try:
        from xlrd import compdoc
        cd = compdoc.CompDoc(data, logfile=io.StringIO())
        names = {d.name for d in cd.dirlist if getattr(d, "name", None)}
    except Exception:
        names = set()
    if not names:
        # damaged directory: look for the UTF-16LE names of well-known streams
        for n in ("WordDocument", "Workbook", "Book", "WpsContent", "PowerPoint Document"):
            if n.encode("utf-16-le") in data:
                names.add(n)
    return names


def decode_ole(data: bytes, declared: str | None) -> Decoded:
    names = _ole_stream_names(data)
    if "Workbook" in names or "Book" in names:
        return Decoded("html", xls_to_html(data), None, "xls", {})
    is_wps = declared == "wps" or "WpsContent" in names
    if "WordDocument" in names:
        fmt = "wps" if is_wps else "doc"
        return Decoded("text", _run_doc_converter(data, fmt), None, fmt, {})
    if is_wps:
        raise InputError("unsupported WPS file: Kingsoft WPS document without a Word-compatible "
                         "WordDocument stream")
    if "PowerPoint Document" in names:
        raise InputError("unsupported OLE2 document: PowerPoint presentation")
    if declared in ("doc", "xls"):
        raise InputError(f"corrupt {BINARY_NAMES[declared]}: OLE2 file without a "
                         f"{'WordDocument' if declared == 'doc' else 'Workbook'} stream")
    raise InputError("unsupported or damaged OLE2 compound document (no WordDocument or Workbook stream)")


def _run_doc_converter(data: bytes, fmt: str) -> str:
    label = BINARY_NAMES[fmt]
    exe = shutil.which(DOC_CONVERTER)
    if exe is None:
        raise InputError(f"cannot convert {label}: the converter program '{DOC_CONVERTER}' is not "
                         f"installed (Debian package {DOC_CONVERTER})")
    with tempfile.NamedTemporaryFile(suffix=".doc") as tmp:
        tmp.write(data)
        tmp.flush()
        limit = max_decoded()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen([exe, "-w", "-d", "utf-8", tmp.name], stdout=out, stderr=err,
                                        stdin=subprocess.DEVNULL)
            except OSError as exc:
                raise InputError(f"cannot convert {label}: {DOC_CONVERTER} failed to run ({exc})") from None
            _limit_converter(proc.pid, limit)
            try:
                proc.wait(timeout=_CONVERTER_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise InputError(f"cannot convert {label}: {DOC_CONVERTER} timed out") from None
            # the text goes to a file, read back only if it is within the limit
            if proc.returncode == -25 or os.fstat(out.fileno()).st_size > limit:  # -25: SIGXFSZ, the file limit
                raise too_large(f"{label} text from {DOC_CONVERTER}", limit)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read(4096)
    text = stdout.decode("utf-8", "replace")
    if proc.returncode != 0 and not text.strip():
        why = stderr.decode("utf-8", "replace").strip()[:200]
        raise InputError(f"corrupt {label}: {DOC_CONVERTER} could not read it ({why or proc.returncode})")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    if not text.strip():
        raise InputError(f"{label} has no text")
    return text


def _limit_converter(pid: int, limit: int) -> None:
    """The converter's output file and memory are bounded (set on the running child: a
    preexec_fn is unsafe in a process with threads, as the harvest's extraction has)."""
    import resource

    address_space = limit * 2 + 512 * 1024 * 1024
    try:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit + 1, limit + 1))
        resource.prlimit(pid, resource.RLIMIT_AS, (address_space, address_space))
    except (OSError, ValueError):  # it has already ended
        pass


