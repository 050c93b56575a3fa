"""Document-level shapes of real pages (issue 10): each kind the parser once misread, many seeds.

harvester/reportgen/shapes_document.py renders them with their expected parse; test_generated.py
covers them inside the mixed corpus, this file runs each shape on more seeds and checks what the
shape is about (S6 on a cut text, the pinyin of mirrors, the issuer on TRS pages).
"""
from __future__ import annotations

import random

import pytest

from harvester.parser import parse
from harvester.reportformat import table_leaves
from harvester.reportgen import agencies, make_truth, render
from harvester.reportgen.shapes_document import DOC_LOOKALIKE_SHAPES, DOC_SHAPES

FIELDS = ("is_annual_report", "image_only", "format", "script", "year", "agency",
          "missing_tables", "partial_tables")
SEEDS = range(10)


def _case(shape: str, seed: int):
    rng = random.Random(7919 * seed + len(shape))
    agency = agencies(rng, 1)[0]
    year = rng.randint(2019, 2025)
    truth = make_truth(rng, agency=agency, year=year, layout="2019" if year <= 2020 else "2021")
    r = render(truth, shape, rng)
    return r, parse(r.data, url=r.url, content_type=r.content_type)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", DOC_SHAPES)
def test_document_shape_reads_as_expected(shape, seed):
    r, rec = _case(shape, seed)
    got = {k: rec[k] for k in FIELDS}
    want = {k: r.expected[k] for k in FIELDS}
    assert got == want
    exp, cells = dict(table_leaves(r.expected["tables"])), dict(table_leaves(rec["tables"]))
    assert cells.keys() == exp.keys()
    assert all(cells[p] == pytest.approx(v) if v is not None else cells[p] is None for p, v in exp.items())


@pytest.mark.parametrize("seed", SEEDS)
def test_a_text_cut_before_section_five_is_partial_not_failed(seed):
    r, rec = _case("doc_cut_narrative", seed)
    s6 = [c for c in rec["checks"] if c["rule"] == "S6"]
    assert [c["status"] for c in s6] == ["uncertain"] and "cut off" in s6[0]["detail"]
    assert not [c for c in rec["checks"] if c["status"] == "fail"]


def test_pinyin_mirrors_carry_annotations_and_read_as_reports():
    seen = 0
    for seed in SEEDS:
        r, rec = _case("doc_pinyin_mirror", seed)
        text = r.data.decode("utf-8") if b"charset=utf-8" in r.content_type.encode() or r.content_type.endswith("utf-8") \
            else r.data.decode("gb18030")
        seen += "報(bào)告" in text or "報(bao)告" in text
        assert rec["is_annual_report"] and "(bào)" not in rec["text"] and "(bao)" not in rec["text"]
    assert seen >= 3


def test_lookalikes_never_carry_a_year_an_issuer_or_numbers():
    for shape in DOC_LOOKALIKE_SHAPES:
        for seed in SEEDS:
            _r, rec = _case(shape, seed)
            assert (rec["is_annual_report"], rec["year"], rec["agency"], rec["tables"]) == (False, None, None, {})
