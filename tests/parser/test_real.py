"""Real published texts (../shared/real, hand-read truth): class, year, issuer and layout per document.

The texts are text extractions of real pages (reports 2009–2023 of every level, and look-alikes:
format notices, a template, a statistics form, 工作要点, a guide, a notice about compiling reports).
Cells are tested in test_real_cells.py. The texts stay in ../shared/real, beside the clone (as in CI).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvester.parser import parse

REAL = Path(__file__).resolve().parents[3] / "shared" / "real"


def _docs() -> list[dict]:
    truth = REAL / "truth.json"
    if not truth.exists():
        return []
    return json.loads(truth.read_text(encoding="utf-8"))["docs"]


DOCS = _docs()
_CACHE: dict[str, dict] = {}


def rec(doc: dict) -> dict:
    if doc["id"] not in _CACHE:
        _CACHE[doc["id"]] = parse((REAL / doc["file"]).read_bytes())
    return _CACHE[doc["id"]]


def _params(field: str, reports_only: bool = False):
    return [pytest.param(d, id=f"{d['id']}-{field}") for d in DOCS
            if not reports_only or d["is_annual_report"]]


def test_the_real_texts_are_there():
    assert REAL.is_dir(), f"{REAL} is missing: the real texts live in shared/real beside the clone"
    assert len(DOCS) >= 21 and all((REAL / d["file"]).exists() for d in DOCS)


@pytest.mark.parametrize("doc", _params("class"))
def test_is_annual_report(doc):
    assert rec(doc)["is_annual_report"] is doc["is_annual_report"], doc.get("note")


@pytest.mark.parametrize("doc", _params("year"))
def test_year(doc):
    assert rec(doc)["year"] == doc["year"], doc.get("note")


@pytest.mark.parametrize("doc", _params("agency"))
def test_agency(doc):
    got = rec(doc)["agency"]
    if doc["agency"] is None:
        assert got is None, f"the text never names the issuer, got {got!r}"
    else:
        assert got in doc["agency_acceptable"], doc.get("note")


@pytest.mark.parametrize("doc", _params("format", reports_only=True))
def test_format(doc):
    assert rec(doc)["format"] == doc["format"], doc.get("note")


@pytest.mark.parametrize("doc", [p for p in _params("cut-off", reports_only=True) if p.values[0].get("truncated")])
def test_a_cut_off_report_fails_no_narrative_check(doc):
    """S6 never fails only because the text ends early: the check is uncertain, not failed."""
    s6 = [c for c in rec(doc)["checks"] if c["rule"] == "S6"]
    assert s6 and s6[0]["status"] in ("pass", "uncertain"), s6
