"""Spreadsheets (XLSX through openpyxl, XLS through xlrd) as HTML tables, one per block of rows."""
from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
import zlib
from html import escape

def _fmt_number(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(round(v, 10)).rstrip("0").rstrip(".") if "e" not in repr(v) else repr(v)
    return str(v)

from .base import InputError, html_cell, max_decoded


def _grid_to_html(name: str, grid: list[list[str]], merges: list[tuple[int, int, int, int]]) -> str:
    """A sheet as HTML tables: grid of cell texts, merges as (row0, row1_excl, col0, col1_excl).

    Runs of rows separated by fully empty rows become separate <table>s, each only as
    wide as its own content, so a 4-column table above a 15-column one is not padded."""
    nrows = len(grid)
    ncols = max((len(r) for r in grid), default=0)
    covered: set[tuple[int, int]] = set()
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, r1, c0, c1 in merges:
        r1, c1 = min(r1, nrows), min(c1, ncols)
        if r0 < 0 or c0 < 0 or r0 >= r1 or c0 >= c1 or (r0, c0) in covered:
            continue
        spans[(r0, c0)] = (r1 - r0, c1 - c0)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if (r, c) != (r0, c0):
                    covered.add((r, c))

    def text(r, c):
        return grid[r][c] if c < len(grid[r]) else ""

    def extent(r):
        """Columns used by row r (content, merge origins and merged areas)."""
        e = 0
        for c in range(ncols):
            if text(r, c).strip() or (r, c) in covered:
                e = c + 1
            if (r, c) in spans:
                e = max(e, c + spans[(r, c)][1])
        return e

    extents = [extent(r) for r in range(nrows)]
    blocks: list[list[int]] = []
    current: list[int] = []
    for r in range(nrows):
        if extents[r] == 0:
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(r)
    if current:
        blocks.append(current)
    out = []
    for rows in blocks:
        width = max(extents[r] for r in rows)
        html = [f'<table data-sheet="{escape(name)}">']
        for r in rows:
            html.append("<tr>")
            for c in range(width):
                if (r, c) in covered:
                    continue
                html.append(html_cell(text(r, c), *spans.get((r, c), (1, 1))))
            html.append("</tr>")
        html.append("</table>")
        out.append("".join(html))
    return "\n".join(out)


_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")


def max_cells() -> int:
    """Cells a spreadsheet may hold: openpyxl keeps a few hundred bytes per cell in memory."""
    return max(1, max_decoded() // 256)


def _count_cells(zf: zipfile.ZipFile) -> int:
    """Cell elements in a workbook's sheets, counted on the compressed stream, a MiB at a time."""
    n = 0
    for info in zf.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        with zf.open(info) as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                buf = tail + chunk
                n += len(_CELL_TAG.findall(buf[:-64] if len(chunk) == 1 << 20 else buf))
                tail = buf[-64:] if len(chunk) == 1 << 20 else b""
    return n


def xlsx_to_html(data: bytes) -> str:
    import openpyxl
    limit = max_cells()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            cells = _count_cells(zf)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise InputError(f"corrupt XLSX: damaged zip member ({exc})") from None
    if cells > limit:
        raise InputError(f"XLSX has {cells} cells; at most {limit} are read (HARVESTER_PARSE_MAX_DECODED / 256), "
                         "to keep memory bounded")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"corrupt XLSX: {type(exc).__name__}: {exc}") from None
    parts = []
    for ws in wb.worksheets:
        # The grid spans the cells that hold a value and the merged ranges, read from the
        # sheet's own cells: iter_rows would make a cell for every position up to the last
        # one, and two cells at A1 and XFD1048576 are 17 billion positions.
        ranges = list(ws.merged_cells.ranges)
        valued = [key for key, cell in ws._cells.items() if cell.value is not None]
        last_row = max([r for r, _ in valued] + [m.max_row for m in ranges], default=0)
        last_col = max([c for _, c in valued] + [m.max_col for m in ranges], default=0)
        first_row, first_col = ws.min_row, ws.min_column
        area = max(0, last_row - first_row + 1) * max(0, last_col - first_col + 1)
        if area > limit:
            raise InputError(f"XLSX sheet {ws.title!r} spans {last_row - first_row + 1} rows x "
                             f"{last_col - first_col + 1} columns; at most {limit} cells are read, to keep memory bounded")
        grid = []
        for r in range(first_row, last_row + 1):
            cells = []
            for c in range(first_col, last_col + 1):
                cell = ws._cells.get((r, c))
                v = cell.value if cell is not None else None
                if v is None:
                    cells.append("")
                elif isinstance(v, (_dt.datetime, _dt.date)):
                    cells.append(v.date().isoformat() if isinstance(v, _dt.datetime) and not
                                 (v.hour or v.minute or v.second) else v.isoformat())
                elif isinstance(v, (int, float)):
                    cells.append(_fmt_number(v))
                else:
                    cells.append(str(v))
            grid.append(cells)
        merges = [(m.min_row - 1, m.max_row, m.min_col - 1, m.max_col) for m in ranges]
        parts.append(_grid_to_html(ws.title, grid, merges))
    wb.close()
    return "<html><body>\n" + "\n".join(parts) + "\n</body></html>"


def xls_to_html(data: bytes) -> str:
    import xlrd
    try:
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=False,
                                      logfile=io.StringIO())
        except (NotImplementedError, xlrd.XLRDError, AssertionError, KeyError, IndexError):
            book = xlrd.open_workbook(file_contents=data, formatting_info=False, logfile=io.StringIO())
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"corrupt XLS: {type(exc).__name__}: {exc}") from None
    parts = []
    for sh in book.sheets():
        grid = []
        for r in range(sh.nrows):
            cells = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    cells.append("")
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    cells.append(_fmt_number(cell.value))
                elif cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        d = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                        cells.append(d.date().isoformat() if not (d.hour or d.minute) else d.isoformat())
                    except Exception:
                        cells.append(_fmt_number(cell.value))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    cells.append("TRUE" if cell.value else "FALSE")
                else:
                    cells.append(str(cell.value))
            grid.append(cells)
        merges = [(rlo, rhi, clo, chi) for rlo, rhi, clo, chi in getattr(sh, "merged_cells", [])]
        parts.append(_grid_to_html(sh.name, grid, merges))
    return "<html><body>\n" + "\n".join(parts) + "\n</body></html>"


