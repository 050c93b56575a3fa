"""Generated table shapes of real extractions (harvester.reportgen.table_cases): every cell.

Pipe tables in four extraction styles, blank rows printed without cells, label typos, long
notes in header cells, and cells that ran together (read only where one split fits).
"""
from __future__ import annotations

import collections

import pytest

from harvester.parser import parse
from harvester.reportformat import table_leaves
from harvester.reportgen import TABLE_SHAPES, render, table_cases

N_CASES = 120
FIELDS = ("is_annual_report", "format", "script", "year", "missing_tables", "partial_tables")


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-6


@pytest.fixture(scope="module")
def results():
    return [(c, parse(c.data, url=c.url, content_type=c.content_type)) for c in table_cases(N_CASES, seed=0)]


def test_every_table_shape_is_generated(results):
    assert collections.Counter(c.shape for c, _ in results).keys() == set(TABLE_SHAPES)


def test_every_cell_right_and_none_invented(results):
    wrong = []
    for case, rec in results:
        exp = dict(table_leaves(case.expected["tables"]))
        got = dict(table_leaves(rec["tables"]))
        for path, v in exp.items():
            if path not in got or not _same(got[path], v):
                wrong.append((case.id, path, got.get(path, "<absent>"), v))
        for path in got.keys() - exp.keys():
            wrong.append((case.id, path, got[path], "<not in document>"))
    assert not wrong, wrong[:20]


def test_metadata_and_layout(results):
    bad = [(c.id, k, rec[k], c.expected[k]) for c, rec in results for k in FIELDS if rec[k] != c.expected[k]]
    assert not bad, bad[:20]


def test_failing_rules_match(results):
    bad = []
    for case, rec in results:
        failed = sorted({c["rule"] for c in rec["checks"] if c["status"] == "fail"
                         and c["rule"] in ("R1", "R2", "R3", "R4", "R5")})
        if failed != sorted(case.expected["failing_rules"]):
            bad.append((case.id, failed, case.expected["failing_rules"]))
    assert not bad, bad[:20]


def test_blank_and_unsplittable_rows_are_null_and_explained(results):
    nulls = collections.Counter()
    explained = 0
    for case, rec in results:
        nulls[case.shape] += sum(1 for _p, v in table_leaves(case.expected["tables"]) if v is None)
        if case.shape == "text_run_together":
            issues = {i["issue"] for i in rec["table_issues"]}
            assert "run_split" in issues, case.id  # glued rows were read by splitting
            explained += "run_not_split" in issues
    assert nulls["text_blank_rows"] > 100 and nulls["text_run_together"] > 10, nulls
    assert explained > 0


def test_render_accepts_the_table_shapes():
    case = next(iter(table_cases(1)))
    import random
    r = render(case.truth, "text_pipe", random.Random(5))
    assert b"|" in r.data and r.expected["is_annual_report"]
