"""The generated universe: determinism, size, variety, and agreement with reportgen truth."""

from __future__ import annotations

import re

import pytest

from harvester.sim import build_universe
from harvester.sim.htmltext import visible_text
from harvester.sim.places import has_gbk_only_char

from .helpers import div_inner


def _fingerprint(u):
    return [
        (p.id, p.name, p.column_paths,
         {path: (pg.body, pg.content_type, pg.etag, pg.last_modified) for path, pg in p.pages.items()},
         [(r.path, r.title, r.agency, r.year, r.layout, r.encoding, r.consistent, r.body_text) for r in p.reports],
         [(n.path, n.title, n.kind) for n in p.non_reports])
        for p in u.portals
    ]


def test_same_seed_gives_identical_universe(universe):
    again = build_universe(seed=2025)
    assert _fingerprint(again) == _fingerprint(universe)


_DIGEST = """
import hashlib
from harvester.sim import build_universe
h = hashlib.sha256()
for p in build_universe(seed=2025).portals:
    for path in sorted(p.pages):
        h.update(path.encode() + p.pages[path].etag.encode() + p.pages[path].body)
print(h.hexdigest())
"""


def test_identical_across_processes(universe):
    import hashlib
    import os
    import subprocess
    import sys

    h = hashlib.sha256()
    for p in universe.portals:
        for path in sorted(p.pages):
            h.update(path.encode() + p.pages[path].etag.encode() + p.pages[path].body)
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", _DIGEST], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == h.hexdigest()


def test_other_seed_differs(universe):
    other = build_universe(seed=7)
    assert {r.path for r in other.reports} != {r.path for r in universe.reports}
    p0, q0 = universe.portals[0], other.portals[0]
    shared = set(p0.pages) & set(q0.pages)
    assert any(p0.pages[k].body != q0.pages[k].body for k in shared)


def test_default_size(universe):
    assert len(universe.portals) >= 3
    assert len(universe.reports) >= 60
    assert len({p.id for p in universe.portals}) == len(universe.portals)
    for p in universe.portals:
        assert p.id.startswith("sim-") and p.family == "trs" and p.homepage_path == "/"
        assert p.column_paths and all(c.endswith("/gknb/index.html") or c.endswith("gknb/index.html")
                                      for c in p.column_paths)
        assert all(c in p.pages for c in p.column_paths)
        assert all(r.path in p.pages for r in p.reports)
        assert all(n.path in p.pages for n in p.non_reports)


def test_parameters_are_honoured():
    u = build_universe(seed=11, n_portals=5, reports_per_portal=30)
    assert len(u.portals) == 5
    assert len({p.id for p in u.portals}) == 5
    assert all(len(p.reports) == 30 for p in u.portals)
    small = build_universe(seed=11, n_portals=1, reports_per_portal=4)
    assert len(small.portals) == 1 and len(small.reports) == 4


def test_reports_vary_like_real_columns(universe):
    reports = universe.reports
    assert {r.year for r in reports} == set(range(2019, 2026))
    assert {r.layout for r in reports} == {"2019", "2021"}
    assert any(r.layout == "2019" and r.year >= 2021 for r in reports), "no 2019-layout laggard"
    assert all(r.layout == "2019" for r in reports if r.year <= 2020)
    bad = [r for r in reports if not r.consistent]
    assert 0.05 <= len(bad) / len(reports) <= 0.15
    for p in universe.portals:
        agencies = {r.agency for r in p.reports}
        assert len(agencies) >= 4
        assert any(a.endswith("人民政府办公室") for a in agencies)
    assert any(re.search(r"(镇|乡)人民政府$|街道办事处$", r.agency) for r in reports), "no township"
    assert len({r.path for r in reports}) == len(reports)


def test_truth_matches_entries(universe):
    for r in universe.reports:
        t = r.truth
        assert t["agency"] == r.agency and t["year"] == r.year and t["title"] == r.title
        assert t["format"] == r.layout
        assert t["published"] == r.published.isoformat()
        assert bool(t["failing_rules"]) == (not r.consistent)
        assert r.agency in r.title and str(r.year) in r.title


def test_non_report_items(universe):
    for p in universe.portals:
        n_items = len(p.reports) + len(p.non_reports)
        assert 0.12 <= len(p.non_reports) / n_items <= 0.25
        assert len({n.title for n in p.non_reports}) == len(p.non_reports)
    kinds = {n.kind for n in universe.portals[0].non_reports} | {n.kind for p in universe.portals for n in p.non_reports}
    assert {"compile_notice", "graphic"} <= kinds
    for n in (n for p in universe.portals for n in p.non_reports):
        if n.kind == "compile_notice":
            assert re.fullmatch(r"关于做好\d{4}年度政府信息公开工作年度报告编制发布工作的通知", n.title)
        if n.kind == "graphic":
            assert n.title.startswith("图解：")


def test_about_a_third_of_reports_are_gbk(universe):
    gbk = [r for r in universe.reports if r.encoding == "gb18030"]
    assert {r.encoding for r in universe.reports} == {"utf-8", "gb18030"}
    assert 0.25 <= len(gbk) / len(universe.reports) <= 0.5
    for r in gbk:
        assert has_gbk_only_char(r.body_text), r.path


def test_body_text_is_what_the_page_shows(universe):
    for p in universe.portals:
        for r in p.reports:
            page = p.pages[r.path]
            html = page.body.decode("utf-8" if r.encoding == "utf-8" else "gb18030")
            assert visible_text(div_inner(html, "TRS_Editor")) == r.body_text
            assert "收到和处理政府信息公开申请" in r.body_text


@pytest.mark.parametrize("layout,marker", [("2021", "本年制发件数"), ("2019", "本年新制作数量")])
def test_layout_shows_in_body(universe, layout, marker):
    chosen = [r for r in universe.reports if r.layout == layout]
    assert chosen
    assert all(marker in r.body_text for r in chosen)


def test_last_modified_follows_published_date(universe):
    for p in universe.portals:
        for r in p.reports:
            lm = p.pages[r.path].last_modified
            assert lm.tzinfo is not None
            # published in China time; Last-Modified is the same instant in UTC
            assert abs((lm.date() - r.published).days) <= 1
        for c in p.column_paths:
            newest = max(r.published for r in p.reports + p.non_reports if r.column_path == c)
            assert abs((p.pages[c].last_modified.date() - newest).days) <= 1
