"""Table cells of real published reports (../shared/real, hand-read truth): one case per cell.

The texts are extractions of real pages: pipe rows with and without a leading pipe, one
cell per line ending in " |", rows opened by a lone "|", blank cells as whitespace lines or
as nothing at all, a header cut short (本年增/).  Every hand-read cell must be read, a
blank cell must be null (present, not absent), and no table the text does not show may
carry a value.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvester.parser import parse
from harvester.reportformat import table_leaves

# shared/ sits beside the clone (CI) or the worktree, as for tests/parser/test_seeds.py
REAL = Path(__file__).resolve().parents[3] / "shared" / "real"
_DOCS = json.loads((REAL / "truth.json").read_text(encoding="utf-8"))["docs"]

_CACHE: dict = {}


def _record(doc):
    if doc["id"] not in _CACHE:
        _CACHE[doc["id"]] = parse((REAL / doc["file"]).read_bytes())
    return _CACHE[doc["id"]]


def _leaf(rec, dotted):
    node = rec["tables"]
    for part in dotted.split("."):
        node = node[part]  # KeyError: the cell is absent
    return node


def _cell_cases():
    return [pytest.param(doc, path, want, id=f"{doc['id']}:{path}")
            for doc in _DOCS for path, want in (doc.get("cells") or {}).items()]


def _same(got, want):
    if want is None:
        return got is None
    return isinstance(got, (int, float)) and not isinstance(got, bool) and float(got) == float(want)


@pytest.mark.parametrize("doc,path,want", _cell_cases())
def test_real_cell(doc, path, want):
    rec = _record(doc)
    try:
        got = _leaf(rec, path)
    except (KeyError, TypeError):
        pytest.fail(f"{doc['id']} {path}: absent, want {want!r}")
    assert _same(got, want), f"{doc['id']} {path}: got {got!r}, want {want!r}"


@pytest.mark.parametrize("doc", [pytest.param(d, id=d["id"]) for d in _DOCS])
def test_no_value_in_a_table_the_text_does_not_show(doc):
    shown = set(doc.get("tables_in_text") or [])
    for key, table in _record(doc)["tables"].items():
        if key in shown:
            continue
        values = [(p, v) for p, v in table_leaves(table) if v is not None]
        assert not values, f"{doc['id']}: {key} is not in the text but has values {values[:3]}"
