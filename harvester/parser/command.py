"""`harvester parse PATH... [--json]`: parse files and print records or summaries."""
from __future__ import annotations

import json
import mimetypes
import os
import sys

from harvester import reportformat as rf

from .core import empty_record, parse

_RED, _GREEN, _YELLOW, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m"

_EXTRA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel", ".doc": "application/msword", ".pdf": "application/pdf",
    ".wps": "application/kswps", ".txt": "text/plain", ".html": "text/html", ".htm": "text/html",
    ".shtml": "text/html",
}


def _content_type(path: str):
    ext = os.path.splitext(path)[1].lower()
    return _EXTRA_TYPES.get(ext) or mimetypes.guess_type(path)[0]


def _read(path: str):
    """(bytes, None) or (None, error message)."""
    try:
        if os.path.isdir(path):
            return None, "is a directory"
        with open(path, "rb") as fh:
            return fh.read(), None
    except FileNotFoundError:
        return None, "no such file"
    except PermissionError:
        return None, "permission denied"
    except IsADirectoryError:
        return None, "is a directory"
    except OSError as exc:
        return None, "cannot read: %s" % (exc.strerror or exc)


def parse_path(path: str) -> dict:
    data, err = _read(path)
    if err is not None:
        rec = empty_record(None, error=err)
    else:
        rec = parse(data, url=None, content_type=_content_type(path))
    return {"source": path, **rec}


def run(paths: list[str], as_json: bool, out=None) -> int:
    out = out if out is not None else sys.stdout
    colour = bool(getattr(out, "isatty", None) and out.isatty())
    status = 0
    for path in paths:
        rec = parse_path(path)
        if rec.get("error"):
            status = 1
        if as_json:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            out.write(summary(rec, colour) + "\n")
    try:
        out.flush()
    except Exception:
        pass
    return status


# ------------------------------------------------------------------ summary
def _c(text: str, code: str, colour: bool) -> str:
    return code + text + _RESET if colour else text


def _fmt(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, float):
        return ("%.2f" % v).rstrip("0").rstrip(".") if v != int(v) else "%.1f" % v
    return str(v)


def _grid(title: str, rows: dict) -> list[str]:
    cols: list[str] = []
    for cells in rows.values():
        for c in cells:
            if c not in cols:
                cols.append(c)
    if not cols:
        return ["  %s (no cells)" % title]
    w0 = max([len(title)] + [len(r) for r in rows])
    widths = [max([len(c)] + [len(_fmt(cells.get(c))) if c in cells else 1 for cells in rows.values()])
              for c in cols]
    lines = ["  " + title.ljust(w0) + "  " + "  ".join(c.rjust(w) for c, w in zip(cols, widths))]
    for r, cells in rows.items():
        vals = [(_fmt(cells[c]) if c in cells else "·").rjust(w) for c, w in zip(cols, widths)]
        lines.append("  " + r.ljust(w0) + "  " + "  ".join(vals))
    return lines


def summary(rec: dict, colour: bool = False) -> str:
    lines = [_c("== %s" % rec.get("source", ""), _BOLD, colour)]
    if rec.get("error"):
        lines.append(_c("  ERROR: %s" % rec["error"], _RED, colour))
        return "\n".join(lines)
    yn = "yes" if rec.get("is_annual_report") else "no"
    lines.append("  title:     %s" % (rec.get("title") or "-"))
    lines.append("  annual report: %s%s   format: %s   script: %s" % (
        yn, " (image only)" if rec.get("image_only") else "", rec.get("format"), rec.get("script")))
    lines.append("  agency:    %s   year: %s   published: %s" % (
        rec.get("agency") or "-", rec.get("year") or "-", rec.get("published") or "-"))
    lines.append("  sections:  %s" % (", ".join(rec.get("sections") or []) or "-"))
    miss, part = rec.get("missing_tables") or [], rec.get("partial_tables") or []
    if miss:
        lines.append(_c("  missing tables: %s" % ", ".join(miss), _YELLOW, colour))
    if part:
        lines.append(_c("  partial tables: %s" % ", ".join(part), _YELLOW, colour))
    tables = rec.get("tables") or {}
    for key in rf.TABLE_KEYS:
        t = tables.get(key)
        if t is None:
            continue
        lines.append(_c("  [%s]" % key, _BOLD, colour))
        if key == "active_disclosure":
            for sub, rows in t.items():
                lines.extend(_grid(sub, rows))
        else:
            lines.extend(_grid(key, t))
    checks = rec.get("checks") or []
    counts = {s: sum(1 for c in checks if c["status"] == s) for s in ("pass", "fail", "uncertain")}
    lines.append("  checks: %s pass, %s, %s uncertain" % (
        counts["pass"], _c("%d fail" % counts["fail"], _RED if counts["fail"] else _GREEN, colour),
        counts["uncertain"]))
    for c in checks:
        if c["status"] != "fail":
            continue
        place = "/".join(str(x) for x in (c.get("table"), c.get("row"), c.get("column")) if x)
        lines.append(_c("    FAIL %s %s: expected %s, actual %s — %s" % (
            c["rule"], place, _fmt(c.get("expected")) if c.get("expected") is not None else "-",
            _fmt(c.get("actual")) if c.get("actual") is not None else "-", c.get("detail", "")),
            _RED, colour))
    return "\n".join(lines)


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="harvester parse", description="Parse annual report files.")
    ap.add_argument("paths", nargs="+", metavar="PATH")
    ap.add_argument("--json", action="store_true", help="one JSON object per input (JSON Lines)")
    ns = ap.parse_args(argv)
    return run(ns.paths, ns.json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
