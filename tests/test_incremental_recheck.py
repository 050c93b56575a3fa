"""Pages that answer 304 are still read, from their archived copy: a nightly pass retries a new
article whose fetch failed, and a full pass re-checks the attachments of unchanged pages."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

from sqlalchemy import select

from harvester.sim import SimPage, SimServer, build_universe
from harvester.sim.variants import build_family_universe
from storage.database import open_database, sqlite_url
from storage.models import CrawlRun, Document, Snapshot
from tests.test_harvest_e2e import _repost


def harvester(*args):
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], capture_output=True, text=True, timeout=300)


def _snaps(db, url):
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == url)).first()
        return [] if doc is None else [(x.run_id, x.status, x.record_type) for x in
                                       s.scalars(select(Snapshot).where(Snapshot.document_id == doc.id).order_by(Snapshot.id))]


def test_a_new_article_that_failed_is_retried_the_next_night(tmp_path):
    u = build_universe(seed=11, n_portals=1, reports_per_portal=4)
    p = u.portals[0]
    with SimServer(u, first_host=140) as srv:
        reg = srv.write_registry(tmp_path / "portals.toml")
        assert harvester("--data", tmp_path, "--portals", reg, "crawl", "--all", "--quiet").returncode == 0
        _orig, new = _repost(p)
        page = p.pages.pop(new)  # listed, but answering 404 tonight
        harvester("--data", tmp_path, "--portals", reg, "crawl", "--all", "--quiet")
        p.pages[new] = page  # reachable the next night; the column page itself is unchanged (304)
        assert harvester("--data", tmp_path, "--portals", reg, "crawl", "--all", "--quiet").returncode == 0
        db = open_database(sqlite_url(tmp_path / "harvester.db"))
        assert _snaps(db, srv.url(p.id, new)) == [(2, 404, "response"), (3, 200, "response")]
        with db.session() as s:
            third = s.get(CrawlRun, 3)
            assert (third.mode, third.status, third.new_reports) == ("incremental", "ok", 0)  # a repost: known report
            assert third.not_modified >= 1


def test_a_full_pass_rechecks_the_attachment_of_an_unchanged_page(tmp_path):
    u = build_family_universe(seed=7, families=("trs",), per_family=1, blocking=())
    p = u.portals[0]
    with SimServer(u, first_host=141) as srv:
        reg = srv.write_registry(tmp_path / "portals.toml")
        assert harvester("--data", tmp_path, "--portals", reg, "crawl", "--all", "--quiet").returncode == 0
        rep = next(r for r in p.reports if r.attachment_paths)
        att = rep.attachment_paths[0]
        old = p.pages[att]
        p.pages[att] = SimPage.make(old.body + b"\n%replaced", old.content_type, old.last_modified + dt.timedelta(days=1))
        assert harvester("--data", tmp_path, "--portals", reg, "crawl", "--all", "--full", "--quiet").returncode == 0
        db = open_database(sqlite_url(tmp_path / "harvester.db"))
        assert _snaps(db, srv.url(p.id, rep.path)) == [(1, 200, "response"), (2, 304, "revisit")]
        assert _snaps(db, srv.url(p.id, att)) == [(1, 200, "response"), (2, 200, "response")]
        with db.session() as s:
            full = s.get(CrawlRun, 2)
            assert full.changed_reports == 1
            assert full.unchanged_reports + full.changed_reports == len(p.reports)  # each report once
