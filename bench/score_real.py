"""Per-field accuracy of the parser on the real texts in ../shared/real (hand-read truth).

Run on demand: ``.venv/bin/python bench/score_real.py [--real DIR] [--json] [-v]``.
Prints classification, year, agency, layout (format), cells right / wrong / absent, and values
the parser gave where the truth has none. The same truth drives tests/parser/test_real.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harvester.parser import parse

DEFAULT_REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


def leaf(record: dict, dotted: str):
    """The parsed value at a dotted path under ``tables``; KeyError when absent."""
    node = record["tables"]
    for part in dotted.split("."):
        node = node[part]
    return node


def leaves(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix, node


def score(real: Path, verbose: bool = False) -> dict:
    truth = json.loads((real / "truth.json").read_text(encoding="utf-8"))["docs"]
    s = {k: [0, 0] for k in ("class", "year", "agency", "format")}
    cells = {"right": 0, "wrong": 0, "absent": 0, "total": 0}
    invented = 0
    for doc in truth:
        rec = parse((real / doc["file"]).read_bytes())
        ok = {
            "class": rec["is_annual_report"] == doc["is_annual_report"],
            "year": rec["year"] == doc["year"],
            "agency": (rec["agency"] in (doc.get("agency_acceptable") or [])) if doc["agency"]
            else rec["agency"] is None,
            "format": (rec["format"] == doc["format"]) if doc["is_annual_report"] else True,
        }
        for k, v in ok.items():
            s[k][0] += v
            s[k][1] += 1
            if verbose and not v:
                got = {"class": rec["is_annual_report"], "year": rec["year"],
                       "agency": rec["agency"], "format": rec["format"]}[k]
                want = {"class": doc["is_annual_report"], "year": doc["year"],
                        "agency": doc["agency"], "format": doc["format"]}[k]
                print(f"  {doc['id']} {k}: got {got!r}, want {want!r}")
        want_cells = doc.get("cells") or {}
        for path, want in want_cells.items():
            cells["total"] += 1
            try:
                got = leaf(rec, path)
            except (KeyError, TypeError):
                cells["absent"] += 1
                continue
            if got == want or (isinstance(got, (int, float)) and isinstance(want, (int, float))
                               and float(got) == float(want)):
                cells["right"] += 1
            else:
                cells["wrong"] += 1
                if verbose:
                    print(f"  {doc['id']} cell {path}: got {got!r}, want {want!r}")
        for path, got in leaves(rec.get("tables") or {}):
            if path not in want_cells and got is not None:
                invented += 1
                if verbose:
                    pass  # outside the hand-read set: reported as a count only
    return {"docs": len(truth), "fields": {k: {"right": r, "of": n} for k, (r, n) in s.items()},
            "cells": cells, "values_not_in_truth": invented}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=DEFAULT_REAL)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    result = score(a.real, a.verbose)
    if a.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for k, v in result["fields"].items():
            print(f"{k:8} {v['right']}/{v['of']}")
        c = result["cells"]
        print(f"cells    {c['right']}/{c['total']} right, {c['wrong']} wrong, {c['absent']} absent")
        print(f"values outside the hand-read cells (not judged): {result['values_not_in_truth']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
