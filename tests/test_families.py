"""End to end over every platform family: the CLI harvests simulated TRS, Hanweb, gkmlpt and
generic portals given only their homepages, then again given explicit column URLs, then a
nightly pass after one portal's column moved. Blocking portals sit among them.

One module-scoped set of harvests is shared by the tests below.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from harvester.sim import SimServer
from harvester.sim.places import has_gbk_only_char
from harvester.sim.variants import build_family_universe, move_column
from spiders.families import NAMES as FAMILY_NAMES
from storage.database import open_database, sqlite_url
from storage.models import CrawlRun, Document, HealthEvent, Portal, Snapshot
from storage.warc import read_record

MOVED = "sim-trs-2"


def harvester(*args, timeout=240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@dataclass
class Harvests:
    universe: object
    urls: dict  # portal id -> base URL
    discovered: Path  # data dir: registry with homepages only, no family
    explicit: Path  # data dir: registry with explicit columns and families
    outputs: dict  # "first", "explicit", "nightly" -> CompletedProcess
    before_move: dict  # portal id -> (report entries, non-report entries) before the column moved
    requests: dict  # "first", "explicit", "nightly" -> {portal id: [LoggedRequest]}

    def url(self, pid, path):
        return self.urls[pid].rstrip("/") + path

    def db(self, which="discovered"):
        return open_database(sqlite_url(getattr(self, which) / "harvester.db"))

    def portals(self, family):
        return [p for p in self.universe.portals if p.family == family and not p.block]


@pytest.fixture(scope="module")
def hv(tmp_path_factory) -> Harvests:
    universe = build_family_universe(seed=2026)
    discovered = tmp_path_factory.mktemp("discovered")
    explicit = tmp_path_factory.mktemp("explicit")
    outputs, requests = {}, {}
    with SimServer(universe, first_host=120) as srv:
        urls = {p.id: srv.base_url(p.id) for p in universe.portals}
        reg1 = srv.write_registry(discovered / "portals.toml", family=False)
        reg2 = srv.write_registry(explicit / "portals.toml", columns=True)
        before = {p.id: (list(p.reports), list(p.non_reports)) for p in universe.portals}

        def crawl(name, data, reg):
            mark = {p.id: len(srv.requests(p.id)) for p in universe.portals}
            outputs[name] = harvester("--data", data, "--portals", reg, "crawl", "--all", "--quiet")
            requests[name] = {p.id: srv.requests(p.id)[mark[p.id]:] for p in universe.portals}

        crawl("first", discovered, reg1)
        crawl("explicit", explicit, reg2)
        move_column(universe.portal(MOVED))
        crawl("nightly", discovered, reg1)
    return Harvests(universe, urls, discovered, explicit, outputs, before, requests)


def _runs(db, pid):
    with db.session() as s:
        return list(s.scalars(select(CrawlRun).where(CrawlRun.portal_id == pid).order_by(CrawlRun.id)))


def _docs(db, pid) -> dict[str, Document]:
    with db.session() as s:
        docs = list(s.scalars(select(Document).where(Document.portal_id == pid)))
        for d in docs:
            _ = d.content  # load while the session is open
        s.expunge_all()
    return {d.url: d for d in docs}


def _expected_report_urls(hv, p) -> set[str]:
    reports = hv.before_move[p.id][0]
    out = {hv.url(p.id, r.path) for r in reports}
    out |= {hv.url(p.id, a) for r in reports for a in r.attachment_paths}
    return out


# --------------------------------------------------------------------------- runs
def test_crawl_prints_every_portal_and_fails_only_the_blocked_ones(hv):
    out = hv.outputs["first"]
    assert "Traceback" not in out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    status = {pid: rest.split(" ", 1)[0] for pid, rest in lines.items()}
    expected = {p.id: ("blocked" if p.block else "ok") for p in hv.universe.portals}
    assert status == expected


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_family_is_detected_and_recorded_on_the_portal(hv, family):
    db = hv.db()
    with db.session() as s:
        got = {p.id: s.get(Portal, p.id).detected_family for p in hv.portals(family)}
    assert got == {p.id: family for p in hv.portals(family)}


# --------------------------------------------------------------------------- finding
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_report_is_found_from_the_homepage_alone(hv, family):
    db = hv.db()
    for p in hv.portals(family):
        docs = _docs(db, p.id)
        found = {u for u, d in docs.items() if d.is_report}
        expected = _expected_report_urls(hv, p)
        if p.id == MOVED:
            found = {u for u in found if u in expected}  # the nightly pass added the moved copies
        assert found == expected, p.id


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_explicit_columns_find_the_same_reports(hv, family):
    a, b = hv.db(), hv.db("explicit")
    for p in hv.portals(family):
        with_discovery = {u for u, d in _docs(a, p.id).items() if d.is_report} & _expected_report_urls(hv, p)
        with_columns = {u for u, d in _docs(b, p.id).items() if d.is_report}
        assert with_columns == with_discovery, p.id


def test_explicit_columns_skip_discovery(hv):
    for p in hv.universe.portals:
        if p.block:
            continue
        paths = [r.path for r in hv.requests["explicit"][p.id]]
        section = None if p.family == "gkmlpt" else p.section_path  # gkmlpt's app page is the column's too
        assert "/" not in paths and section not in paths, p.id


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_non_report_items_are_not_reports(hv, family):
    db = hv.db()
    for p in hv.portals(family):
        docs = _docs(db, p.id)
        non = [hv.url(p.id, n.path) for n in hv.before_move[p.id][1]]
        assert non and not any(docs[u].is_report for u in non if u in docs), p.id


# --------------------------------------------------------------------------- reading
def _html_and_attachment_reports(hv, p):
    for r in hv.before_move[p.id][0]:
        if r.presentation == "html":
            yield r, r.path
        elif r.presentation == "attachment":
            yield r, r.attachment_paths[0]


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_report_is_parsed_into_its_tables(hv, family):
    db = hv.db()
    checked = 0
    for p in hv.portals(family):
        docs = _docs(db, p.id)
        for r, path in _html_and_attachment_reports(hv, p):
            c = docs[hv.url(p.id, path)].content
            apps, truth = c.record["tables"]["applications"], r.truth["tables"]["applications"]
            assert (c.year, c.format) == (r.year, r.layout), path
            assert apps["new"]["total"] == truth["new"]["total"], path
            assert apps["results_total"]["total"] == truth["results_total"]["total"], path
            checked += 1
    assert checked >= 2 * 4


@pytest.mark.parametrize("family", FAMILY_NAMES)
@pytest.mark.parametrize("ext", ["docx", "pdf"])
def test_attachment_only_report_is_read_from_its_attachment(hv, family, ext):
    p = hv.portals(family)[0]
    (r,) = [r for r in hv.before_move[p.id][0] if r.presentation == "attachment" and r.attachment_paths[0].endswith(ext)]
    docs = _docs(hv.db(), p.id)
    att = docs[hv.url(p.id, r.attachment_paths[0])]
    assert att.content.record["tables"]["review_litigation"] == r.truth["tables"]["review_litigation"]


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_page_and_attachment_are_one_report(hv, family):
    p = hv.portals(family)[0]
    docs = _docs(hv.db(), p.id)
    for r in hv.before_move[p.id][0]:
        if r.presentation != "attachment":
            continue
        page, att = docs[hv.url(p.id, r.path)], docs[hv.url(p.id, r.attachment_paths[0])]
        assert (att.parent_id, att.report_id) == (page.id, page.report_id), r.path


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_attachments_are_archived_byte_exact(hv, family):
    p = hv.portals(family)[0]
    db = hv.db()
    for r in hv.before_move[p.id][0]:
        for a in r.attachment_paths:
            with db.session() as s:
                snap = s.scalars(select(Snapshot).join(Document).where(Document.url == hv.url(p.id, a))).first()
                rec = read_record(hv.discovered / "archive", snap.warc_file, snap.warc_offset)
            assert hashlib.sha256(rec.body).digest() == hashlib.sha256(p.pages[a].body).digest(), a


def test_attachments_were_downloaded_with_their_page_as_referer(hv):
    seen = 0
    for p in hv.universe.portals:
        for req in hv.requests["first"][p.id]:
            if req.path.endswith((".pdf", ".docx")):
                assert req.status == 200 and req.headers.get("Referer", "").startswith(hv.urls[p.id].rstrip("/")), req.path
                seen += 1
    assert seen == 8


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_image_only_report_is_stored_flagged_and_has_no_numbers(hv, family):
    p = hv.portals(family)[1]
    (r,) = [r for r in hv.before_move[p.id][0] if r.presentation == "image"]
    doc = _docs(hv.db(), p.id)[hv.url(p.id, r.path)]
    assert (doc.content.image_only, doc.content.record["tables"]) == (True, {})


def test_gbk_sites_are_read_as_gb18030(hv):
    gbk = [(p, r) for p in hv.universe.portals for r in hv.before_move[p.id][0]
           if r.encoding == "gb18030" and r.presentation == "html" and not p.block]
    assert gbk
    db = hv.db()
    for p, r in gbk:
        c = _docs(db, p.id)[hv.url(p.id, r.path)].content
        assert c.encoding == "gb18030" and has_gbk_only_char(c.text), r.path


# --------------------------------------------------------------------------- fetch behaviour
def test_hanweb_further_records_come_from_dataproxy_posts(hv):
    for p in hv.portals("hanweb"):
        posts = [r for r in hv.requests["first"][p.id] if r.method == "POST"]
        assert posts and all(r.path.startswith("/module/web/jpage/dataproxy.jsp") and r.status == 200 for r in posts)


def test_generic_pagination_is_bounded_on_a_site_answering_every_page_number(hv):
    p = next(p for p in hv.portals("generic") if getattr(p.plan, "list_style", 0) == 2)
    lists = [r.path for r in hv.requests["first"][p.id] if "list" in r.path]
    assert len(lists) <= sum(p.page_counts.values()) + 1


@pytest.mark.parametrize("block", ["sim-blocked-403", "sim-blocked-521"])
def test_blocking_portal_is_recorded_blocked_without_a_retry_storm(hv, block):
    db = hv.db()
    (run, _nightly) = _runs(db, block)
    with db.session() as s:
        events = s.scalars(select(HealthEvent.kind).where(HealthEvent.portal_id == block, HealthEvent.status == "open")).all()
    assert (run.status, "blocked" in events, len(hv.requests["first"][block]) <= 2) == ("blocked", True, True)


# --------------------------------------------------------------------------- stored discovery
def test_discovered_columns_are_stored_on_the_portal(hv):
    db = hv.db()
    with db.session() as s:
        for p in hv.universe.portals:
            if p.block or p.id == MOVED:
                continue
            row = s.get(Portal, p.id)
            assert sorted(row.discovered_columns) == sorted(hv.url(p.id, c) for c in p.column_urls), p.id
            assert row.discovered_at is not None


def test_nightly_pass_reuses_the_stored_columns(hv):
    for p in hv.universe.portals:
        if p.block or p.id == MOVED:
            continue
        paths = [r.path for r in hv.requests["nightly"][p.id]]
        section = None if p.family == "gkmlpt" else p.section_path
        assert "/" not in paths and section not in paths, (p.id, paths)


def test_moved_column_raises_an_event_and_is_discovered_again(hv):
    p = hv.universe.portal(MOVED)
    db = hv.db()
    with db.session() as s:
        ev = s.scalars(select(HealthEvent).where(HealthEvent.portal_id == MOVED, HealthEvent.kind == "column_moved")).one()
        row = s.get(Portal, MOVED)
        assert ev.status == "open" and ev.url.endswith("/zwgk/gknb/index.html")
        assert sorted(row.discovered_columns) == sorted(hv.url(MOVED, c) for c in p.column_urls)
    moved_reports = {hv.url(MOVED, r.path) for r in p.reports}
    found = {u for u, d in _docs(db, MOVED).items() if d.is_report}
    assert moved_reports <= found


def test_nightly_run_statuses(hv):
    db = hv.db()
    for p in hv.universe.portals:
        run = _runs(db, p.id)[-1]
        expected = {"blocked"} if p.block else ({"ok", "partial"} if p.id == MOVED else {"ok"})
        assert run.status in expected and (p.block or run.mode == "incremental"), (p.id, run.status, run.mode)


def test_runs_count_reports_not_urls(hv):
    """A page saying 详见附件 and its attachment, or one report reached on two portals, is one
    new report in the runs' counts."""
    db = hv.db()
    pids = [p.id for f in FAMILY_NAMES for p in hv.portals(f) if p.id in hv.before_move]
    firsts = {pid: _runs(db, pid)[0] for pid in pids}
    with db.session() as s:
        for pid in pids:
            logical = s.scalar(select(func.count(func.distinct(Document.report_id))).where(
                Document.portal_id == pid, Document.report_id.is_not(None)))
            assert logical == len(hv.before_move[pid][0]), pid
        every = s.scalar(select(func.count(func.distinct(Document.report_id))).where(
            Document.portal_id.in_(pids), Document.report_id.is_not(None)))
    assert sum(r.new_reports for r in firsts.values()) == every
