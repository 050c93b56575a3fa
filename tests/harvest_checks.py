"""Checks shared by the full-disk tests, the crash trials and bench/bench_crash.py: after a
harvest was stopped (killed, full disk) and the next one ran, nothing is lost or doubled."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select

from storage.models import CrawlLock, CrawlRun, Document, Report, Snapshot


def duplicates(db) -> dict[str, list]:
    """Rows that exist twice: a URL with two documents, a WARC record stored twice, a report
    (agency, year, text) recorded twice."""
    with db.session() as s:
        docs = s.execute(select(Document.url, func.count()).group_by(Document.url).having(func.count() > 1)).all()
        snaps = s.execute(select(Snapshot.warc_record_id, func.count()).group_by(Snapshot.warc_record_id)
                          .having(func.count() > 1)).all()
        reports = s.execute(select(Report.agency, Report.year, Report.text_sha256, func.count())
                            .group_by(Report.agency, Report.year, Report.text_sha256).having(func.count() > 1)).all()
    return {"documents": list(docs), "snapshots": list(snaps), "reports": list(reports)}


def lost_reports(db, srv, portals) -> list[str]:
    """Report URLs the simulated portals publish that the store does not hold as reports."""
    with db.session() as s:
        stored = set(s.scalars(select(Document.url).where(Document.is_report.is_(True), Document.report_id.is_not(None))))
    expected = {srv.base_url(p.id).rstrip("/") + r.path for p in portals for r in p.reports}
    return sorted(expected - stored)


def open_runs_and_locks(db) -> tuple[list[int], list[str]]:
    with db.session() as s:
        running = list(s.scalars(select(CrawlRun.id).where(CrawlRun.status == "running")))
        locks = list(s.scalars(select(CrawlLock.portal_id)))
    return running, locks


def verify(data_dir: Path, *db_args: str) -> tuple[int, str]:
    import subprocess

    res = subprocess.run([sys.executable, "-m", "harvester.cli", "--data", str(data_dir), *db_args, "verify"],
                         capture_output=True, text=True, timeout=300)
    return res.returncode, res.stdout[-3000:] + res.stderr[-2000:]
