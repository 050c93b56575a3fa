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


def crash_trial(rng, srv, portals, registry: Path, data_dir: Path, *, kills: int = 1, window: tuple[float, float] = (0.3, 8.0),
                slow: tuple[str, ...] = ()) -> dict:
    """Harvest ``portals`` into a fresh ``data_dir``, SIGKILL the harvest at ``kills`` random
    moments (each kill hits the harvest that resumes the one killed before), then let one
    harvest complete. Returns what was found: kills that landed, lost reports, duplicate rows,
    runs or locks left open, the last harvest's and verify's exit codes."""
    import signal
    import subprocess
    import time

    from storage.database import open_database, sqlite_url

    cmd = [sys.executable, "-m", "harvester.cli", "--data", str(data_dir), "--portals", str(registry), "crawl", "--all",
           "--quiet"]
    landed, moments = 0, []
    for _ in range(kills):
        at = rng.uniform(*window)
        moments.append(round(at, 2))
        proc = subprocess.Popen([*cmd, *slow], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=at)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            landed += 1
        proc.wait()
    t = time.monotonic()
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t
    result = {"moments": moments, "landed": landed, "final_rc": final.returncode, "final_s": round(took, 1),
              "final_out": final.stdout + final.stderr[-2000:]}
    try:
        db = open_database(sqlite_url(data_dir / "harvester.db"))
    except Exception as exc:  # a store the next run cannot open is a failed trial, not a crash of the bench
        return {**result, "lost": [f"store unreadable: {exc}"], "duplicates": {}, "running": [], "locks": [],
                "verify_rc": None, "verify_out": ""}
    try:
        running, locks = open_runs_and_locks(db)
        result.update(lost=lost_reports(db, srv, portals), duplicates=duplicates(db), running=running, locks=locks)
    finally:
        db.dispose()
    result["verify_rc"], result["verify_out"] = verify(data_dir)
    return result


def trial_ok(r: dict) -> bool:
    return (r["final_rc"] == 0 and not r["lost"] and not any(r["duplicates"].values()) and not r["running"]
            and not r["locks"] and r["verify_rc"] == 0)
