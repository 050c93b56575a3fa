"""Hostile portals (issue 11): one simulated portal per fault, all crawled at once beside a normal
portal, by the CLI in a subprocess with short limits (a few seconds of DOWNLOAD_TIMEOUT, 2 MiB of
DOWNLOAD_MAXSIZE, 12 listing pages). One module-scoped harvest; each test asserts one thing.

For every fault: the harvest finishes in bounded time, the URL where the fault bites has a clear
recorded error (and a health event for traps and blocks) or, where nothing is lost, the reports are
stored with no error; the portal's other reports are stored; ``verify`` is clean for the portal.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from harvester.fixity import verify
from harvester.sim import SimServer
from harvester.sim.faults import FAULTS, Sizes, fault_universe
from storage.database import open_database, sqlite_url
from storage.models import CrawlRun, Document, HealthEvent, Snapshot
from storage.redirects import final_capture

LIMITS = {
    "DOWNLOAD_MAXSIZE": 2 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 1024 * 1024,
    "DOWNLOAD_TIMEOUT": 3,
    "RETRY_TIMES": 1,
    "HARVESTER_MAX_LIST_PAGES": 12,
}
BOUND_S = 90  # the whole harvest of every hostile portal; it takes ~15 s


def _listening_inodes(pid: int) -> set[str]:
    """Inodes of the TCP sockets process ``pid`` holds in LISTEN state."""
    try:
        mine = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    except OSError:
        return set()
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[3] == "0A" and f[9] in mine:
                out.add(f[9])
    return out


@dataclass
class Hostile:
    faults: dict
    urls: dict
    data: Path
    home: Path
    proc: subprocess.CompletedProcess
    elapsed: float
    listening: set
    normal: object
    nightly: subprocess.CompletedProcess  # the next night's pass over the moved report's portal
    nightly_paths: list  # the paths that pass asked that portal for
    gates: dict  # fault name -> [(path, status, Cookie header)] the cookie-gated portals were asked

    def db(self):
        return open_database(sqlite_url(self.data / "harvester.db"))

    def url(self, pid: str, path: str) -> str:
        return self.urls[pid].rstrip("/") + path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Hostile:
    universe, faults = fault_universe(list(FAULTS), sizes=Sizes(bomb_mib=16, oversize_mib=6, stall_s=20))
    data = tmp_path_factory.mktemp("hostile")
    home = tmp_path_factory.mktemp("home")
    listening: set = set()
    with SimServer(universe, first_host=200) as srv:
        registry = srv.write_registry(data / "portals.toml")
        urls = {p.id: srv.base_url(p.id) for p in universe.portals}
        args = [sys.executable, "-m", "harvester.cli", "--data", data, "--portals", registry, "crawl", "--all", "--quiet"]
        for k, v in LIMITS.items():
            args += ["--set", f"{k}={v}"]
        env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / ".local" / "state")}
        started = time.monotonic()
        proc = subprocess.Popen(list(map(str, args)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        out: dict = {}
        reader = threading.Thread(target=lambda: out.update(zip(("stdout", "stderr"), proc.communicate())), daemon=True)
        reader.start()
        while proc.poll() is None and time.monotonic() - started < BOUND_S + 60:
            listening |= _listening_inodes(proc.pid)  # Scrapy's remote control would listen here
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
        reader.join(30)
        elapsed = time.monotonic() - started
        moved = faults["moved-report"].portal.id
        mark = len(srv.requests(moved))
        nightly = subprocess.run([sys.executable, "-m", "harvester.cli", "--data", str(data), "--portals", str(registry),
                                  "crawl", moved, "--quiet"], capture_output=True, text=True, timeout=120, env=env)
        nightly_paths = [r.path for r in srv.requests(moved)[mark:]]
        gates = {n: [(r.path, r.status, r.headers.get("Cookie")) for r in srv.requests(faults[n].portal.id)]
                 for n in ("cookie-gated-report", "cookie-gated-attachment")}
    done = subprocess.CompletedProcess(args, proc.returncode, out.get("stdout", ""), out.get("stderr", ""))
    return Hostile(faults, urls, data, home, done, elapsed, listening, universe.portals[0], nightly, nightly_paths, gates)


def _run(h: Hostile, pid: str) -> CrawlRun:
    with h.db().session() as s:
        return s.scalars(select(CrawlRun).where(CrawlRun.portal_id == pid).order_by(CrawlRun.id).limit(1)).one()


def _reports(h: Hostile, pid: str) -> set[str]:
    with h.db().session() as s:
        return set(s.scalars(select(Document.url).where(Document.portal_id == pid, Document.is_report.is_(True))))


def _open_events(h: Hostile, pid: str, kind: str) -> list[HealthEvent]:
    with h.db().session() as s:
        return list(s.scalars(select(HealthEvent).where(HealthEvent.portal_id == pid, HealthEvent.kind == kind,
                                                         HealthEvent.status == "open")))


# --------------------------------------------------------------------------- the harvest as a whole
def test_harvest_of_every_hostile_portal_finishes_in_bounded_time(hostile):
    assert hostile.proc.returncode == 1, hostile.proc.stderr[-3000:]  # the blocked portal fails the command
    assert hostile.elapsed < BOUND_S


def test_no_exception_escapes(hostile):
    assert "Traceback" not in hostile.proc.stderr
    assert "Spider error" not in hostile.proc.stderr


def test_normal_portal_beside_them_stores_every_report(hostile):
    p = hostile.normal
    assert _reports(hostile, p.id) == {hostile.url(p.id, r.path) for r in p.reports}
    assert _run(hostile, p.id).status == "ok"


def test_verify_is_clean_after_the_hostile_harvest(hostile):
    r = subprocess.run([sys.executable, "-m", "harvester.cli", "--data", str(hostile.data), "verify"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]


def test_no_remote_control_port_and_no_job_files(hostile):
    """Scrapy's remote-control extension is off: it would listen on localhost and leave a
    token file under ~/.local/state/scrapy/job_files."""
    assert hostile.listening == set()
    assert not any(hostile.home.rglob("job_files/*")), list(hostile.home.rglob("*"))


def test_crawl_settings_disable_remote_control_and_meta_refresh():
    from harvester.crawl import crawl_settings

    s = crawl_settings("sqlite://", "/tmp/x")
    assert (s.getbool("REMOTE_CONTROL_ENABLED"), s.getbool("METAREFRESH_ENABLED"), s.getbool("TELNETCONSOLE_ENABLED")) == (
        False, False, False)
    assert s.getint("DOWNLOAD_MAXSIZE") == 64 * 1024 * 1024


# --------------------------------------------------------------------------- one test per fault
@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_is_recorded_and_nothing_else_is_lost(hostile, name):
    f = hostile.faults[name]
    pid = f.portal.id
    run = _run(hostile, pid)
    target = hostile.url(pid, f.target)
    errors = run.error_details or []
    if f.expect in ("error", "trap"):
        mine = [e["error"] for e in errors if e["url"] == target]
        assert any(f.detail.lower() in e.lower() for e in mine), (target, errors)
        assert run.status == "partial", run.status
    if f.expect == "trap":
        (event,) = _open_events(hostile, pid, "trap")
        assert event.url == target and f.detail in event.detail
    if f.expect == "blocked":
        assert run.status == "blocked"
        assert any(f.detail in e["error"] for e in errors), errors
        assert _open_events(hostile, pid, "blocked")
    if f.expect == "stored":
        assert (run.status, errors) == ("ok", [])
    # every report the fault leaves reachable is stored (at the URL a redirect led to)
    assert _reports(hostile, pid) == {hostile.url(pid, p) for p in f.report_paths}
    db = hostile.db()
    assert verify(db, hostile.data / "archive", portal=pid).mismatches == []


@pytest.mark.parametrize("name", [n for n in FAULTS if FAULTS[n].expect == "stored" and n in (
    "moved-report", "homepage-302", "meta-refresh-0-same", "homepage-script-redirect", "script-redirect-moved")])
def test_redirected_url_leads_to_the_capture_of_its_final_url(hostile, name):
    f = hostile.faults[name]
    pid = f.portal.id
    with hostile.db().session() as s:
        snap = final_capture(s, hostile.url(pid, f.target))
        assert snap is not None
        assert (snap.document.url, snap.status) == (hostile.url(pid, f.final), 200)
        first = s.scalars(select(Snapshot).join(Document).where(Document.url == hostile.url(pid, f.target))).all()
        # the redirect itself is a stored capture (HTTP 3xx, or the 200 page carrying the meta refresh)
        assert [x.status for x in first] in ([301], [302], [200])


def test_nightly_pass_knows_a_moved_report_by_its_old_link(hostile):
    f = hostile.faults["moved-report"]
    assert "incremental pass" in hostile.nightly.stdout and hostile.nightly.returncode == 0, hostile.nightly.stdout
    assert f.portal.column_paths[0] in hostile.nightly_paths  # the column was walked …
    assert f.target not in hostile.nightly_paths and f.final not in hostile.nightly_paths, hostile.nightly_paths


@pytest.mark.parametrize("name", ["cookie-gated-report", "cookie-gated-attachment"])
def test_a_cookie_gated_url_is_asked_again_with_its_cookie_and_stored(hostile, name):
    """A 302 to the same URL that sets a cookie: the URL is asked once more, with the cookie, and
    both answers are stored captures of it (the page or the DOCX is not lost as a loop)."""
    f = hostile.faults[name]
    asked = [(status, cookie) for path, status, cookie in hostile.gates[name] if path == f.target]
    assert asked == [(302, None), (200, "xxgk_gate=1")], asked
    with hostile.db().session() as s:
        doc = s.scalars(select(Document).where(Document.url == hostile.url(f.portal.id, f.target))).one()
        assert (sorted(x.status for x in doc.snapshots), doc.is_report, doc.redirect_to_id) == ([200, 302], True, None)


def test_retried_answer_is_stored_with_its_status(hostile):
    f = hostile.faults["503-then-ok"]
    with hostile.db().session() as s:
        statuses = sorted(s.scalars(select(Snapshot.status).join(Document).where(
            Document.url == hostile.url(f.portal.id, f.target))))
    assert statuses == [200, 503]


def test_session_ids_never_reach_stored_urls(hostile):
    pid = hostile.faults["session-id-trap"].portal.id
    with hostile.db().session() as s:
        urls = list(s.scalars(select(Document.url).where(Document.portal_id == pid)))
    assert urls and not [u for u in urls if "jsessionid" in u.lower()]


def test_a_gzip_bomb_is_archived_as_received_and_never_read(hostile):
    f = hostile.faults["gzip-bomb"]
    with hostile.db().session() as s:
        doc = s.scalars(select(Document).where(Document.url == hostile.url(f.portal.id, f.target))).one()
        (snap,) = doc.snapshots
        assert (snap.status, doc.current_sha256, snap.size < 100_000) == (200, None, True)


# --------------------------------------------------------------------------- sim serve --faults
def test_sim_serve_serves_the_named_fault_portals_beside_a_normal_one(tmp_path):
    from harvester.registry import load_registry
    from harvester.sim.command import serve

    ready, stop = threading.Event(), threading.Event()
    t = threading.Thread(target=serve, args=(tmp_path / "p.toml",), kwargs=dict(
        first_host=240, ready=ready, stop=stop, faults=["redirect-loop", "gzip-bomb"]), daemon=True)
    t.start()
    try:
        assert ready.wait(30)
        ids = [e.id for e in load_registry(tmp_path / "p.toml")]
    finally:
        stop.set()
        t.join(10)
    assert ids == ["sim-meizhou", "fault-redirect-loop", "fault-gzip-bomb"]


def test_sim_serve_names_an_unknown_fault():
    r = subprocess.run([sys.executable, "-m", "harvester.cli", "sim", "serve", "--faults", "gzip-bomb,no-such"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown fault(s) no-such; known: 5xx-always" in r.stderr, r.stderr


def test_an_archived_gzip_bomb_is_never_inflated_when_read_back(hostile):
    from storage.warc import read_record

    f = hostile.faults["gzip-bomb"]
    with hostile.db().session() as s:
        snap = s.scalars(select(Snapshot).join(Document).where(Document.url == hostile.url(f.portal.id, f.target))).one()
    with pytest.raises(ValueError, match="inflates past 1000000 bytes"):
        read_record(hostile.data / "archive", snap.warc_file, snap.warc_offset, max_body=1_000_000)


def test_hostile_portals_on_postgresql(pg_url, tmp_path):
    """The same harvest into PostgreSQL (stricter about text and JSON than SQLite), for the faults
    that reach the store in unusual shapes: retried answers, redirects, NULs, hostile names, a bomb."""
    names = ["503-then-ok", "moved-report", "nul-html", "hostile-attachment-names", "gzip-bomb", "million-pages"]
    universe, faults = fault_universe(names, sizes=Sizes(bomb_mib=16, oversize_mib=6, stall_s=20))
    with SimServer(universe, first_host=230) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        args = [sys.executable, "-m", "harvester.cli", "--data", str(tmp_path), "--db", pg_url, "--portals", str(registry),
                "crawl", "--all", "--quiet"]
        for k, v in LIMITS.items():
            args += ["--set", f"{k}={v}"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=BOUND_S)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-3000:]
    status = dict(line.split(": ", 1)[0:2] for line in r.stdout.splitlines() if ": " in line)
    assert {k: v.split(" ", 1)[0] for k, v in status.items()} == {
        "sim-meizhou": "ok", **{f"fault-{n}": ("partial" if FAULTS[n].expect != "stored" else "ok") for n in names}}
    v = subprocess.run([sys.executable, "-m", "harvester.cli", "--data", str(tmp_path), "--db", pg_url, "verify"],
                       capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stdout[-3000:]
