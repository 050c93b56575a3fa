"""One ingest path: a capture stored by the crawl and one stored by crash recovery from its WARC
record are stored by the same rules (documents, redirects, attachments and their report)."""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from storage.database import open_database, sqlite_url
from storage.ingest import Capture, ingest_capture
from storage.models import CrawlRun, Document, Portal, Snapshot
from storage.recovery import recover_portal
from storage.redirects import final_document
from storage.warc import Fetch, WarcArchive

BASE = "http://127.0.0.30:8000"
T0 = dt.datetime(2025, 1, 21, 8, 0, tzinfo=dt.timezone.utc)


def _capture(url, when, body=b"<html>x</html>", kind="listing", **kw) -> Capture:
    return Capture(portal_id="p", url=url, kind=kind, status=200, headers={}, fetched_at=when, run_id=None,
                   warc_file="f.warc.gz", warc_offset=0, warc_length=len(body),
                   warc_record_id=f"<urn:uuid:{hashlib.md5(url.encode() + when.isoformat().encode()).hexdigest()}>",
                   sha256=hashlib.sha256(body).hexdigest(), size=len(body), **kw)


def test_a_capture_stored_late_never_moves_a_documents_times_backwards(tmp_path):
    db = open_database(sqlite_url(tmp_path / "h.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="p", url=BASE + "/"))
    url = BASE + "/c/index.html"
    for when in (T0 + dt.timedelta(hours=2), T0, T0 + dt.timedelta(hours=1)):  # the second one recovered late
        with db.session() as s:
            ingest_capture(s, _capture(url, when))
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == url)).one()
        assert (doc.first_seen, doc.last_seen) == (T0, T0 + dt.timedelta(hours=2))
        assert len(s.scalars(select(Snapshot).where(Snapshot.document_id == doc.id)).all()) == 3


def _archive_run(tmp_path, run_id: int) -> None:
    """A dead run's WARC file: a 301 from /old.html to /new.html, then the page it led to."""
    archive = WarcArchive(tmp_path / "archive", "p")
    for i, (url, status, headers, body, meta) in enumerate([
        (BASE + "/old.html", 301, [("Location", BASE + "/new.html")], b"", {}),
        (BASE + "/new.html", 200, [("Content-Type", "text/html")], b"<html>moved here</html>",
         {"harvester-redirected-from": BASE + "/old.html"}),
    ]):
        when = T0 + dt.timedelta(seconds=i)
        rid = archive.new_record_id()
        archive.write_metadata(url, rid, {"harvester-portal": "p", "harvester-run-id": run_id,
                                          "harvester-page-kind": "section", **meta}, when)
        archive.write_exchange(Fetch(url=url, method="GET", request_headers=[], request_body=b"", status=status,
                                     reason="", protocol="HTTP/1.1", response_headers=headers, fetched_at=when),
                               body, record_id=rid)
        archive.finish_fetch()
    archive.close()


def test_recovery_links_a_redirect_to_the_page_it_led_to_as_the_crawl_does(tmp_path):
    db = open_database(sqlite_url(tmp_path / "h.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="p", url=BASE + "/"))
        run = CrawlRun(portal_id="p", status="running", started=T0 - dt.timedelta(minutes=1))
        s.add(run)
        s.flush()
        run_id = run.id
    _archive_run(tmp_path, run_id)
    rec = recover_portal(db, tmp_path / "archive", "p")
    assert (rec.runs, rec.stored) == ([run_id], 2)
    with db.session() as s:
        final = final_document(s, BASE + "/old.html")
        assert final is not None and final.url == BASE + "/new.html"
        assert s.get(CrawlRun, run_id).status == "interrupted"


def test_a_page_read_again_as_a_report_joins_a_logical_report(tmp_path):
    from storage.ingest import refile_documents
    from storage.models import Content, Report

    db = open_database(sqlite_url(tmp_path / "h.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="p", url=BASE + "/"))
    url = BASE + "/gknb/t20250120_1.html"
    reading = {"title": "某县2024年政府信息公开工作年度报告", "text": "年度报告正文", "extractor_version": "x",
               "is_annual_report": False}  # as read by a broken parser
    with db.session() as s:
        ingest_capture(s, _capture(url, T0, kind="article", reading=reading))
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == url)).one()
        assert (doc.is_report, doc.report_id) == (False, None)
        content = s.get(Content, doc.current_sha256)
        content.is_annual_report, content.agency, content.year = True, "某县人民政府", 2024  # the parser fixed
        refile_documents(s, content)
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == url)).one()
        report = s.get(Report, doc.report_id)
        assert doc.is_report and (report.agency, report.year, report.first_seen) == ("某县人民政府", 2024, T0)
