"""End to end: the CLI harvests the simulated portals over loopback into SQLite + WARC.

One module-scoped harvest (three simulated TRS portals plus one dead portal), crawled twice,
is shared by the tests below; each asserts one thing a user relies on.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from harvester.sim import SimPage, SimServer, build_universe
from storage.database import open_database, sqlite_url
from storage.models import Content, CrawlRun, Document, ReportVersion, Snapshot
from storage.warc import read_record

DEBRIS = ["今天是", "【打印本页】", "【关闭窗口】", "网站标识码", "ICP备", "当前位置", "【字体", "扫一扫在手机打开", "公网安备"]


def harvester(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harvester.cli", *map(str, args)],
        capture_output=True, text=True, timeout=timeout,
    )


@dataclass
class Harvest:
    universe: object
    urls: dict  # portal id -> base URL
    data: Path
    registry: Path
    first: subprocess.CompletedProcess  # first harvest (a full pass: nothing known yet)
    nightly: subprocess.CompletedProcess  # next night: incremental
    full: subprocess.CompletedProcess  # a full verification pass
    counts: dict  # table counts after each crawl: "first", "nightly", "full"
    repost: tuple  # (portal id, path of the original, path of the repost) added before the nightly pass
    edited: tuple  # (portal id, path) silently edited before the full pass

    def db(self):
        return open_database(sqlite_url(self.data / "harvester.db"))

    def url(self, portal_id: str, path: str) -> str:
        return self.urls[portal_id].rstrip("/") + path

    def runs(self) -> list[dict]:
        return json.loads(harvester("--data", self.data, "runs", "--json").stdout)


def _counts(data: Path) -> dict:
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        out = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in (Document, Snapshot, Content, CrawlRun)}
    db.dispose()
    return out


def _repost(portal) -> tuple[str, str]:
    """Publish a copy of the newest report at a new URL, listed first in its column."""
    column = portal.column_paths[0]
    original = next(r for r in portal.reports if r.column_path == column)
    page = portal.pages[original.path]
    new_path = original.path.rsplit("/", 1)[0] + "/t20991231_999999.html"
    portal.pages[new_path] = SimPage.make(page.body, page.content_type, page.last_modified + dt.timedelta(days=400))
    listing = portal.pages[column]
    html = listing.body.decode("utf-8")
    rel = "./" + new_path[len(column.rsplit("/", 1)[0]) + 1:]
    marker = '<ul class="list">'
    assert marker in html
    html = html.replace(marker, marker + f'<li><a href="{rel}" title="转载">转载：{original.title}</a><span>2099-12-31</span></li>', 1)
    portal.pages[column] = SimPage.make(html.encode("utf-8"), listing.content_type, listing.last_modified + dt.timedelta(days=400))
    return original.path, new_path


def _silent_edit(portal) -> str:
    """Change a published report after the fact, keeping its URL, date and headers' shape."""
    report = next(r for r in portal.reports if r.encoding == "utf-8")
    page = portal.pages[report.path]
    html = page.body.decode("utf-8")
    para = next(line.strip() for line in report.body_text.splitlines() if len(line.strip()) >= 40)
    assert para in html
    html = html.replace(para, para + "（此段于发布后修改）", 1)
    portal.pages[report.path] = SimPage.make(html.encode("utf-8"), page.content_type, page.last_modified + dt.timedelta(days=1))
    return report.path


@pytest.fixture(scope="module")
def harvest(tmp_path_factory) -> Harvest:
    universe = build_universe(seed=11, n_portals=3, reports_per_portal=8)
    data = tmp_path_factory.mktemp("harvest")
    counts = {}
    with SimServer(universe, first_host=60) as srv:
        registry = srv.write_registry(data / "portals.toml")
        # A portal that refuses connections: its failure must not stop the others.
        with open(registry, "a", encoding="utf-8") as fh:
            fh.write('\n[[portal]]\nid = "dead"\nname = "已停止服务的网站"\nurl = "http://127.0.0.59:9/"\n')
        urls = {p.id: srv.base_url(p.id) for p in universe.portals}
        first = harvester("--data", data, "--portals", registry, "crawl", "--all", "--quiet")
        counts["first"] = _counts(data)
        p0 = universe.portals[0]
        p1 = next(p for p in universe.portals[1:] if any(r.encoding == "utf-8" for r in p.reports))
        repost = (p0.id, *_repost(p0))
        nightly = harvester("--data", data, "--portals", registry, "crawl", "--all", "--quiet")
        counts["nightly"] = _counts(data)
        edited = (p1.id, _silent_edit(p1))
        full = harvester("--data", data, "--portals", registry, "crawl", "--all", "--full", "--quiet")
        counts["full"] = _counts(data)
    return Harvest(universe, urls, data, registry, first, nightly, full, counts, repost, edited)


def test_crawl_reports_each_portal_and_fails_only_the_dead_one(harvest):
    out = harvest.first.stdout
    assert harvest.first.returncode == 1, harvest.first.stderr[-3000:]  # one portal failed
    assert "Traceback" not in harvest.first.stderr
    for p in harvest.universe.portals:
        assert f"{p.id}: ok" in out
    assert "dead: failed" in out


def test_every_report_is_found_and_stored(harvest):
    expected = {harvest.url(p.id, r.path) for p in harvest.universe.portals for r in p.reports}
    expected.add(harvest.url(harvest.repost[0], harvest.repost[2]))
    db = harvest.db()
    with db.session() as s:
        stored = set(s.scalars(select(Document.url).where(Document.is_report.is_(True))))
    assert stored == expected


def test_non_report_items_are_archived_but_not_counted_as_reports(harvest):
    non = {harvest.url(p.id, n.path) for p in harvest.universe.portals for n in p.non_reports}
    assert non, "the simulated columns hold non-report items"
    db = harvest.db()
    with db.session() as s:
        rows = dict(s.execute(select(Document.url, Document.is_report).where(Document.url.in_(non))).all())
    assert set(rows) == non
    assert not any(rows.values())


def test_stored_text_has_the_report_body_and_no_debris(harvest):
    db = harvest.db()
    checked = 0
    with db.session() as s:
        for p in harvest.universe.portals:
            for r in p.reports:
                doc = s.scalars(select(Document).where(Document.url == harvest.url(p.id, r.path))).one()
                text = doc.content.text
                for word in DEBRIS:
                    assert word not in text, (r.path, word)
                # the narrative as generated is present (decoded correctly, whatever the encoding)
                paragraphs = [line.strip() for line in r.body_text.splitlines() if len(line.strip()) >= 40]
                assert paragraphs
                for para in paragraphs[:3]:
                    assert para in text, (r.path, para[:30])
                checked += 1
    assert checked == len(harvest.universe.reports)


def test_gbk_pages_decode_to_the_generators_text(harvest):
    gbk = [(p, r) for p in harvest.universe.portals for r in p.reports if r.encoding == "gb18030"]
    assert gbk, "some simulated reports are GBK"
    db = harvest.db()
    with db.session() as s:
        for p, r in gbk:
            doc = s.scalars(select(Document).where(Document.url == harvest.url(p.id, r.path))).one()
            assert doc.content.encoding == "gb18030"
            outside_gb2312 = [ch for ch in r.body_text if ord(ch) > 0x7F and not _in_gb2312(ch)]
            assert outside_gb2312, r.path
            for ch in set(outside_gb2312):
                assert ch in doc.content.text


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def test_report_metadata_is_read(harvest):
    db = harvest.db()
    with db.session() as s:
        for p in harvest.universe.portals:
            for r in p.reports:
                c = s.scalars(select(Document).where(Document.url == harvest.url(p.id, r.path))).one().content
                assert c.year == r.year
                assert c.published == r.published.isoformat()
                assert c.title == r.title
                assert c.format == r.layout


def test_every_snapshot_points_at_a_warc_record_with_its_digest(harvest):
    archive = harvest.data / "archive"
    db = harvest.db()
    with db.session() as s:
        snaps = s.execute(select(Snapshot, Document.url).join(Document)).all()
    assert len(snaps) == harvest.counts["full"]["snapshots"]
    for snap, url in snaps:
        rec = read_record(archive, snap.warc_file, snap.warc_offset)
        assert rec.record_type == snap.record_type
        assert rec.url == url
        assert rec.status == snap.status
        if snap.record_type == "response":
            assert hashlib.sha256(rec.body).hexdigest() == snap.sha256
        assert rec.warc_headers["WARC-Record-ID"] == snap.warc_record_id


def test_warc_files_pass_warcio_check(harvest):
    files = sorted((harvest.data / "archive").glob("*.warc.gz"))
    assert len(files) >= 9  # three portals, three crawls
    res = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def _run(harvest, portal_id, nth):
    """The nth run (0 = first) of a portal."""
    runs = sorted((r for r in harvest.runs() if r["portal"] == portal_id), key=lambda r: r["id"])
    return runs[nth]


def test_nightly_pass_fetches_only_what_is_new(harvest):
    assert harvest.nightly.returncode == 1, harvest.nightly.stderr[-2000:]  # the dead portal still fails
    a, b = harvest.counts["first"], harvest.counts["nightly"]
    assert b["documents"] == a["documents"] + 1  # the repost
    assert b["contents"] == a["contents"]  # same bytes as the original
    for p in harvest.universe.portals:
        first, nightly = _run(harvest, p.id, 0), _run(harvest, p.id, 1)
        assert first["mode"] == "full" and nightly["mode"] == "incremental"
        assert nightly["status"] == "ok"
        assert nightly["requests"] <= 8 < first["requests"]
        assert nightly["changed_reports"] == 0
        # the repost is a new location of a known report, not a new report
        assert nightly["new_reports"] == 0


def test_a_report_reposted_at_another_url_is_one_report_with_two_locations(harvest):
    pid, original, copy = harvest.repost
    db = harvest.db()
    with db.session() as s:
        a = s.scalars(select(Document).where(Document.url == harvest.url(pid, original))).one()
        b = s.scalars(select(Document).where(Document.url == harvest.url(pid, copy))).one()
        assert a.report_id is not None and a.report_id == b.report_id
        assert a.current_sha256 == b.current_sha256
        # the copy's first capture is archived in full (another URL, not a revisit)
        snap = s.scalars(select(Snapshot).where(Snapshot.document_id == b.id).order_by(Snapshot.id)).first()
        assert snap.record_type == "response"


def test_unchanged_pages_become_revisits_not_copies(harvest):
    archive = harvest.data / "archive"
    db = harvest.db()
    with db.session() as s:
        revisits = s.scalars(select(Snapshot).where(Snapshot.record_type == "revisit")).all()
        assert revisits
        kinds = {r.status for r in revisits}
        assert kinds == {200, 304}  # identical payload (homepages), not modified (columns, articles)
        for snap in revisits:
            rec = read_record(archive, snap.warc_file, snap.warc_offset)
            assert rec.record_type == "revisit"
            assert rec.body == b""
            original = s.get(Snapshot, snap.payload_of_id)
            assert original is not None and original.record_type == "response"
            assert rec.warc_headers["WARC-Refers-To"] == original.warc_record_id
            assert snap.sha256 == original.sha256
            profile = rec.warc_headers["WARC-Profile"]
            assert profile.endswith("/server-not-modified" if snap.status == 304 else "/identical-payload-digest")


def test_full_pass_verifies_every_report_and_catches_the_silent_edit(harvest):
    pid, path = harvest.edited
    for p in harvest.universe.portals:
        run = _run(harvest, p.id, 2)
        assert run["mode"] == "full" and run["status"] == "ok"
        n_reports = len(p.reports)  # the repost is another location of one report: counted once
        assert run["changed_reports"] == (1 if p.id == pid else 0)
        assert run["unchanged_reports"] + run["changed_reports"] == n_reports
        assert run["not_modified"] >= n_reports - run["changed_reports"]
    db = harvest.db()
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == harvest.url(pid, path))).one()
        versions = s.scalars(select(ReportVersion).where(ReportVersion.document_id == doc.id).order_by(ReportVersion.seen_at)).all()
        assert len(versions) == 2
        first, second = versions
        assert second.previous_content_sha256 == first.content_sha256 != second.content_sha256
        assert second.previous_seen_at == first.seen_at < second.seen_at
        assert "此段于发布后修改" in doc.content.text


def test_runs_json_shape_newest_first(harvest):
    res = harvester("--data", harvest.data, "runs", "--json")
    assert res.returncode == 0
    runs = json.loads(res.stdout)
    assert len(runs) == 12
    keys = {"portal", "started", "finished", "status", "requests", "responses", "bytes", "new_reports", "changed_reports", "errors"}
    assert all(keys <= set(r) for r in runs)
    assert [r["started"] for r in runs] == sorted((r["started"] for r in runs), reverse=True)
    ok = [r for r in runs if r["portal"] != "dead"]
    assert all(r["status"] == "ok" and r["errors"] == 0 for r in ok)
    assert all(r["responses"].get("200", 0) > 0 and r["bytes"] > 0 and r["requests"] >= r["responses"]["200"] for r in ok)
    dead = [r for r in runs if r["portal"] == "dead"]
    assert all(r["status"] == "failed" and r["errors"] >= 1 for r in dead)
    assert any("127.0.0.59" in e["url"] for e in dead[0]["error_details"])
    table = harvester("--data", harvest.data, "runs").stdout
    assert table.splitlines()[0].split()[:5] == ["id", "portal", "started", "finished", "status"]


def test_export_reports_jsonl(harvest):
    # one row per stored URL: the per-location export (the default is one row per logical report)
    res = harvester("--data", harvest.data, "export", "reports", "--format", "jsonl", "--per-location")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == len(harvest.universe.reports) + 1  # and the repost
    for key in ("portal", "url", "title", "agency", "year", "published", "fetched_at", "sha256",
                "is_annual_report", "format", "tables", "checks"):
        assert all(key in r for r in rows), key
    assert all(r["is_annual_report"] for r in rows)
    assert all(len(r["sha256"]) == 64 for r in rows)
    truth = {harvest.url(p.id, r.path): r for p in harvest.universe.portals for r in p.reports}
    for row in rows:
        if row["url"] not in truth:
            continue
        t = truth[row["url"]].truth
        assert row["tables"]["applications"]["new"]["total"] == t["tables"]["applications"]["new"]["total"]


def test_export_reports_logical(harvest):
    res = harvester("--data", harvest.data, "export", "reports", "--format", "jsonl")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == len(harvest.universe.reports)  # the repost is a second location of its report
    assert len({r["report_id"] for r in rows}) == len(rows)
    assert sum(len(r["locations"]) for r in rows) == len(harvest.universe.reports) + 1
    truth = {harvest.url(p.id, r.path): r for p in harvest.universe.portals for r in p.reports}
    for row in rows:
        t = next(truth[loc["url"]].truth for loc in row["locations"] if loc["url"] in truth)
        assert row["tables"]["applications"]["new"]["total"] == t["tables"]["applications"]["new"]["total"]


def test_export_reports_csv(harvest):
    res = harvester("--data", harvest.data, "export", "reports", "--format", "csv", "--per-location")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == len(harvest.universe.reports) + 1
    assert {"portal", "url", "title", "year", "published", "sha256", "tables", "checks", "failed_checks"} <= set(rows[0])
    inconsistent = {harvest.url(p.id, r.path) for p in harvest.universe.portals for r in p.reports if not r.consistent}
    flagged = {r["url"] for r in rows if r["failed_checks"]}
    assert inconsistent <= flagged


@pytest.mark.parametrize(
    "args, message",
    [
        (["crawl", "nosuch"], "unknown portal id(s): nosuch"),
        (["crawl"], "name the portals to crawl, or --all"),
    ],
)
def test_cli_errors_are_one_line(harvest, args, message):
    res = harvester("--data", harvest.data, "--portals", harvest.registry, *args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("harvester: error: ")
    assert message in lines[0]


def test_cli_unreadable_registry_and_unwritable_data_dir(tmp_path):
    res = harvester("--data", tmp_path, "--portals", tmp_path / "none.toml", "crawl", "--all")
    assert res.returncode == 2
    assert res.stderr.strip() == f"harvester: error: {tmp_path / 'none.toml'}: portal registry not found"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = harvester("--data", blocker, "runs")
    assert res.returncode == 2
    assert res.stderr.strip() == f"harvester: error: data directory {blocker} exists and is not a directory"
