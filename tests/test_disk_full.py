"""A full or read-only disk stops a harvest cleanly, and the next harvest with room recovers.

For real: the archive directory or the SQLite database lives on a small tmpfs mounted for the
test, which is filled (or remounted read-only) while a harvest of a simulated portal is under
way. Mounting needs root (or CAP_SYS_ADMIN); without it the tests skip, saying so.
"""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from harvester.sim import SimServer, build_universe
from storage.database import open_database, sqlite_url
from storage.failure import RESERVE_NAME
from storage.models import CrawlRun
from tests.harvest_checks import duplicates, lost_reports, open_runs_and_locks, verify
from tests.test_operations import SLOW, _snapshots, _wait_for, harvester, harvester_bg

RESERVE = ("--set", "HARVESTER_DISK_RESERVE=262144")


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot make a real full disk here: mounting a small tmpfs is not permitted "
                    f"({(res.stderr or res.stdout).strip() or 'exit ' + str(res.returncode)}; needs root or CAP_SYS_ADMIN)")


@pytest.fixture
def small_fs(tmp_path):
    """Mounts small tmpfs filesystems at the paths asked for; unmounts them afterwards."""
    mounted: list[Path] = []

    def mount(where: Path, size: str = "6m") -> Path:
        _mount_tmpfs(where, size)
        mounted.append(where)
        return where

    yield mount
    for m in reversed(mounted):
        subprocess.run(["umount", "-l", str(m)], capture_output=True)


def fill(fs: Path) -> Path:
    """Fill the filesystem at ``fs`` until it refuses another byte."""
    filler = fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


def empty(filler: Path) -> None:
    filler.unlink()


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    universe = build_universe(seed=31, n_portals=1, reports_per_portal=10)
    root = tmp_path_factory.mktemp("diskfull")
    with SimServer(universe, first_host=130) as srv:
        yield universe, srv, srv.write_registry(root / "portals.toml")


def _stopped(proc: subprocess.Popen, timeout: float = 45.0) -> tuple[int, str, float]:
    t = time.monotonic()
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"the harvest did not stop within {timeout} s of the disk filling up") from None
    return proc.returncode, err, time.monotonic() - t


def _recovers(portal, data: Path, db, *db_args: str) -> None:
    """The next harvest with room: ok, every report present, nothing doubled, verify clean."""
    universe, srv, reg = portal
    res = harvester("--data", data, *db_args, "--portals", reg, "crawl", "--all", "--quiet")
    assert res.returncode == 0, res.stdout + res.stderr[-3000:]
    assert lost_reports(db, srv, universe.portals) == []
    assert duplicates(db) == {"documents": [], "snapshots": [], "reports": []}
    assert open_runs_and_locks(db) == ([], [])
    rc, out = verify(data, *db_args)
    assert rc == 0, out


def _failed_run(db, pid: str) -> CrawlRun:
    with db.session() as s:
        [run] = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == pid)).all()
        return run


def test_a_full_archive_disk_stops_the_harvest_and_the_next_run_recovers(portal, tmp_path, small_fs):
    universe, srv, reg = portal
    pid = universe.portals[0].id
    data = tmp_path / "data"
    archive = small_fs(data / "archive")
    db = open_database(sqlite_url(data / "harvester.db"))
    proc = harvester_bg("--data", data, "--portals", reg, "crawl", "--all", "--quiet", *SLOW, *RESERVE)
    _wait_for(lambda: _snapshots(db, pid) >= 4, 90, "a harvest under way")
    filler = fill(archive)
    rc, err, took = _stopped(proc)
    assert rc == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert f"harvester: error: harvest stopped: disk full: [Errno 28] No space left on device writing {archive}/{pid}-" in err
    run = _failed_run(db, pid)
    assert run.status == "failed" and run.finished is not None
    assert any(e["error"].startswith("harvest stopped: disk full: [Errno 28]") for e in run.error_details)
    assert open_runs_and_locks(db) == ([], [])
    assert not (archive / RESERVE_NAME).exists()  # given up to finish cleanly
    empty(filler)
    _recovers(portal, data, db)
    assert "stored from the archive by the next run" in _failed_run_details(db, run.id)


def _failed_run_details(db, run_id: int) -> str:
    with db.session() as s:
        return " | ".join(e["error"] for e in s.get(CrawlRun, run_id).error_details)


def test_a_full_database_disk_stops_the_harvest_even_under_sigterm(portal, tmp_path, small_fs):
    universe, srv, reg = portal
    pid = universe.portals[0].id
    data = tmp_path / "data"
    dbfs = small_fs(tmp_path / "dbfs", "8m")
    db_args = ("--db", sqlite_url(dbfs / "h.db"))
    db = open_database(sqlite_url(dbfs / "h.db"))
    proc = harvester_bg("--data", data, *db_args, "--portals", reg, "crawl", "--all", "--quiet", *SLOW, *RESERVE)
    _wait_for(lambda: _snapshots(db, pid) >= 4, 90, "a harvest under way")
    filler = fill(dbfs)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)  # as the scheduler or an operator would, while the disk is full
    rc, err, took = _stopped(proc, 30)
    assert rc == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert f"harvest stopped: disk full: OperationalError: database or disk is full writing {dbfs}/h.db" in err
    run = _failed_run(db, pid)
    assert run.status == "failed"
    assert open_runs_and_locks(db) == ([], [])
    empty(filler)
    _recovers(portal, data, db, *db_args)


def test_a_read_only_archive_stops_the_harvest_and_the_next_run_recovers(portal, tmp_path, small_fs):
    universe, srv, reg = portal
    pid = universe.portals[0].id
    data = tmp_path / "data"
    archive = data / "archive"
    archive.mkdir(parents=True)
    db = open_database(sqlite_url(data / "harvester.db"))
    # small WARC files, so that new ones are opened during the harvest
    proc = harvester_bg("--data", data, "--portals", reg, "crawl", "--all", "--quiet", *SLOW, *RESERVE,
                        "--set", "HARVESTER_WARC_MAX_SIZE=20000")
    _wait_for(lambda: _snapshots(db, pid) >= 4, 90, "a harvest under way")
    # A file open for writing keeps a mount from being remounted read-only: the archive
    # directory is covered by a read-only filesystem instead, so the next WARC file cannot be made.
    small_fs(archive, "1m")
    subprocess.run(["mount", "-o", "remount,ro", str(archive)], check=True)
    rc, err, took = _stopped(proc)
    assert rc == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert f"harvest stopped: read-only file system: [Errno 30] Read-only file system writing {archive}/{pid}-" in err
    run = _failed_run(db, pid)
    assert run.status == "failed" and "read-only file system" in _failed_run_details(db, run.id)
    assert open_runs_and_locks(db) == ([], [])
    subprocess.run(["umount", str(archive)], check=True)
    _recovers(portal, data, db)


def test_a_harvest_does_not_start_on_a_full_disk(portal, tmp_path, small_fs):
    universe, srv, reg = portal
    data = tmp_path / "data"
    small_fs(data, "2m")
    open_database(sqlite_url(data / "harvester.db")).dispose()
    filler = fill(data)
    os.truncate(filler, filler.stat().st_size - 128 * 1024)  # room to open the database, not for the reserve
    t = time.monotonic()
    res = harvester("--data", data, "--portals", reg, "crawl", "--all", "--quiet", *RESERVE, timeout=60)
    assert res.returncode == 1 and time.monotonic() - t < 30, res.stderr[-3000:]
    assert res.stderr == (f"harvester: error: disk full: [Errno 28] No space left on device writing "
                          f"{data}/archive/{RESERVE_NAME}: a harvest needs 262144 bytes free to start "
                          "(HARVESTER_DISK_RESERVE)\n")
    with open_database(sqlite_url(data / "harvester.db")).session() as s:
        assert s.scalars(select(CrawlRun)).all() == []  # nothing was started


@pytest.mark.parametrize(
    "exc, expected",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "disk full: [Errno 28] No space left on device writing /d/x"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only file system: [Errno 30] Read-only file system writing /d/x"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk quota exceeded: [Errno 122] Disk quota exceeded writing /d/x"),
        (OSError(errno.ENOENT, "No such file or directory"), None),
        (ValueError("database or disk is full"), None),  # only the driver's own error counts
    ],
)
def test_storage_failures_are_told_from_other_errors(exc, expected):
    from storage.failure import describe

    assert describe(exc, "/d/x") == expected


def test_database_full_errors_of_sqlite_and_postgresql_are_storage_failures():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from storage.failure import describe, storage_failure_kind

    full = OperationalError("INSERT …", {}, sqlite3.OperationalError("database or disk is full"))
    assert describe(full, "/d/h.db") == "disk full: OperationalError: database or disk is full writing /d/h.db"
    ro = OperationalError("UPDATE …", {}, sqlite3.OperationalError("attempt to write a readonly database"))
    assert storage_failure_kind(ro) == "read-only database"
    locked = OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))
    assert storage_failure_kind(locked) is None  # waited for, not a full disk

    class DiskFull(Exception):  # what psycopg2 raises: SQLSTATE 53100 disk_full
        pgcode = "53100"

    pg = OperationalError("INSERT …", {}, DiskFull('could not extend file "base/16384/2619": No space left on device'))
    assert describe(pg, "postgresql://h/db").startswith("disk full: DiskFull: could not extend file")
