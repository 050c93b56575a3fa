"""Unattended operation: locks, the nightly scheduler, health events and their notification,
on-demand recrawls, and harvests that are killed or stopped half-way."""
from __future__ import annotations

import datetime as dt
import email
import json
import signal
import socketserver
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from harvester import locks, scheduler
from harvester.config import Config, NotifyConfig
from harvester.notify import Notifier
from harvester.registry import PortalEntry
from harvester.sim import SimServer, build_universe
from storage.database import open_database, sqlite_url
from storage.health import assess_run, open_events, raise_event
from storage.models import CrawlLock, CrawlRun, Document, HealthEvent, Portal, Snapshot
from tests.terminal import run_in_terminal

CST = dt.timezone(dt.timedelta(hours=8))
SLOW = ("--set", "DOWNLOAD_DELAY=0.25", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False")


def harvester(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], capture_output=True, text=True, timeout=timeout)


def harvester_bg(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harvester.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _snapshots(db, portal_id: str) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Snapshot).join(Document).where(Document.portal_id == portal_id))


# -- locks -------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def lock_db(request, tmp_path):
    url = sqlite_url(tmp_path / "h.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = open_database(url)
    with db.session() as s:
        s.add(Portal(id="p", name="甲", url="http://127.0.0.1/"))
    yield db
    db.dispose()


def test_a_locked_portal_refuses_a_second_holder_with_a_clear_message(lock_db):
    a = locks.acquire(lock_db, "p", "hostA:1:x", "scheduled")
    with pytest.raises(locks.LockBusy) as exc:
        locks.acquire(lock_db, "p", "hostB:2:y", "recrawl")
    assert "portal p is being harvested (scheduled) by hostA:1:x since" in str(exc.value)
    locks.release(lock_db, a)
    b = locks.acquire(lock_db, "p", "hostB:2:y", "recrawl")
    assert b.holder == "hostB:2:y"


def test_an_expired_lock_is_taken_over_and_renewal_keeps_it(lock_db):
    old = locks.try_acquire(lock_db, "p", "hostA:1:x", "scheduled", ttl=dt.timedelta(seconds=-1))
    assert old is not None
    new = locks.try_acquire(lock_db, "p", "hostB:2:y", "recrawl")
    assert new is not None
    assert not locks.renew(lock_db, old)  # the crashed holder cannot come back
    assert locks.renew(lock_db, new)
    assert locks.try_acquire(lock_db, "p", "hostC:3:z", "recrawl") is None


def test_a_lock_of_a_dead_process_on_this_machine_is_stale(lock_db):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = f"{locks.socket.gethostname()}:{proc.pid}:x"
    assert locks.try_acquire(lock_db, "p", dead, "scheduled") is not None
    mine = locks.try_acquire(lock_db, "p", locks.new_holder(), "recrawl")
    assert mine is not None  # taken over at once, not after the expiry
    other_live = locks.try_acquire(lock_db, "p", locks.new_holder(), "recrawl")
    assert other_live is None  # this (live) process holds it now


def test_a_lock_of_a_machine_with_the_same_name_is_not_taken_for_dead(lock_db):
    """Two machines given one host name (cloned images, containers named alike): a holder on the
    other one, whose process id does not exist here, is honoured until its lease runs out."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    if not locks.MACHINE_TAG:
        pytest.skip("no boot id on this system: machines of one name cannot be told apart")
    other_tag = "0" * 8 if locks.MACHINE_TAG != "0" * 8 else "1" * 8
    twin = f"{locks.socket.gethostname()}:{proc.pid}:{other_tag}deadbeef"
    assert not locks.holder_is_dead(twin)
    assert locks.try_acquire(lock_db, "p", twin, "scheduled") is not None
    assert locks.try_acquire(lock_db, "p", locks.new_holder(), "recrawl") is None
    assert locks.holder_is_dead(f"{locks.socket.gethostname()}:{proc.pid}:{locks.MACHINE_TAG}deadbeef")


def test_the_lock_is_waited_for(lock_db):
    a = locks.acquire(lock_db, "p", locks.new_holder(), "scheduled")
    threading.Timer(0.5, locks.release, args=(lock_db, a)).start()
    t = time.monotonic()
    b = locks.acquire(lock_db, "p", locks.new_holder(), "recrawl", wait=10, poll=0.1)
    assert b is not None and 0.4 < time.monotonic() - t < 5


def test_portals_on_a_host_another_process_harvests_are_refused_naming_the_host(lock_db):
    """Portals sharing a host: politeness holds across processes only if one process at a time
    harvests the host. The portals on a busy host are refused; the others go on."""
    other = locks.acquire(lock_db, locks.host_key("xxgk.county.gov.cn"), "hostA:1:x", "scheduled")
    taken, refused = locks.take_hosts(lock_db, {
        "jyj": ["xxgk.county.gov.cn"],
        "city": ["www.city.gov.cn", "xxgk.county.gov.cn"],  # one of its hosts is busy
        "wjw": ["www.wjw.gov.cn"],
    }, "hostB:2:y", "recrawl")
    assert sorted(refused) == ["city", "jyj"]
    assert refused["jyj"].startswith("host xxgk.county.gov.cn is being harvested (scheduled) by hostA:1:x since")
    assert "one process at a time" in refused["jyj"] and "waits for its turn" not in refused["jyj"]
    # a lease taken for a refused portal is not kept: the city's other host is free for others
    assert sorted(taken) == ["www.wjw.gov.cn"]
    assert locks.try_acquire(lock_db, locks.host_key("www.city.gov.cn"), "hostC:3:z", "manual") is not None
    locks.release(lock_db, other)
    taken, refused = locks.take_hosts(lock_db, {"jyj": ["xxgk.county.gov.cn"], "zf": ["xxgk.county.gov.cn"]},
                                      "hostB:2:y", "recrawl")
    assert refused == {} and list(taken) == ["xxgk.county.gov.cn"]  # one lease for the two portals


def test_two_harvests_needing_the_same_two_hosts_never_both_wait_each_other_out(lock_db):
    """A portal on www.x and a column on zwgk.x, another the other way round: each process
    holding one host while it waits for the other's would refuse both portals after the wait.
    Hosts are taken in one order, so one of them always gets both."""
    barrier = threading.Barrier(2)
    results = {}

    def take(name, hosts):
        barrier.wait()
        results[name] = locks.take_hosts(lock_db, {name: hosts}, f"host{name}:1:x", "scheduled", wait=0.8)[1]

    threads = [threading.Thread(target=take, args=("a", ["www.x.gov.cn", "zwgk.x.gov.cn"])),
               threading.Thread(target=take, args=("b", ["zwgk.x.gov.cn", "www.x.gov.cn"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(name for name, refused in results.items() if not refused) in (["a"], ["b"]), results


def test_leases_taken_are_kept_alive_while_another_is_waited_for(lock_db):
    """A harvest waiting for its second host (a nightly harvest may wait long) renews what it
    holds already: its first host is not taken over by a sibling meanwhile."""
    ttl = dt.timedelta(seconds=2)
    other = locks.acquire(lock_db, locks.host_key("b.gov.cn"), "hostB:2:y", "scheduled")
    got = {}

    def take():
        got["result"] = locks.take_hosts(lock_db, {"x": ["a.gov.cn", "b.gov.cn"]}, "hostA:1:x", "recrawl",
                                         wait=6, ttl=ttl)

    t = threading.Thread(target=take)
    t.start()
    time.sleep(3.0)  # past the ttl of the lease on a.gov.cn
    assert locks.try_acquire(lock_db, locks.host_key("a.gov.cn"), "hostC:3:z", "scheduled") is None
    locks.release(lock_db, other)
    t.join(timeout=30)
    taken, refused = got["result"]
    assert refused == {} and sorted(taken) == ["a.gov.cn", "b.gov.cn"]


def test_host_lock_keys_fit_the_column_and_never_look_like_a_portal():
    from harvester.registry import _ID

    long_host = "a" * 70 + ".gov.cn"
    assert locks.host_key("XXGK.County.gov.cn.") == "@xxgk.county.gov.cn"
    assert len(locks.host_key(long_host)) <= 64
    assert locks.host_key(long_host) != locks.host_key("a" * 71 + ".gov.cn")
    assert not _ID.match(locks.host_key("x.gov.cn"))
    assert locks.portal_hosts("http://Www.X.gov.cn:8080/xxgk/", ["xxgk.x.gov.cn", "www.x.gov.cn"]) == [
        "www.x.gov.cn", "xxgk.x.gov.cn"]
    # a column the registry lists on another host is fetched too: its host is the portal's
    assert locks.portal_hosts("http://www.x.gov.cn/", (), ["http://zwgk.x.gov.cn/gknb/index.html"]) == [
        "www.x.gov.cn", "zwgk.x.gov.cn"]


# -- scheduler with frozen time ----------------------------------------------------------------
@pytest.fixture
def sched_env(tmp_path, monkeypatch):
    db = open_database(sqlite_url(tmp_path / "h.db"))
    cfg = Config(tmp_path, sqlite_url(tmp_path / "h.db"), tmp_path / "portals.toml")
    entries = [PortalEntry("a", "甲", "http://127.0.0.1/"), PortalEntry("b", "乙", "http://127.0.0.2/"),
               PortalEntry("c", "丙", "http://127.0.0.3/")]
    calls: list[tuple[str, dt.datetime]] = []
    fired = threading.Event()

    def record(cfg, portal_id, settings=()):
        calls.append((portal_id, dt.datetime.now(CST)))
        fired.set()
        return 0

    monkeypatch.setattr(scheduler, "RUNNER", record)
    return cfg, entries, calls, fired, db


def _start(cfg, entries, schedule, events=None):
    """Start a scheduler on the registry ``entries``; what it does with harvest jobs is
    appended to ``events`` as (what, job id): "submitted" when handed to the executor,
    then "ran" or "missed" (too late, not run) when the executor is done with it."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED

    names = {EVENT_JOB_SUBMITTED: "submitted", EVENT_JOB_EXECUTED: "ran", EVENT_JOB_ERROR: "ran",
             EVENT_JOB_MISSED: "missed"}
    s = scheduler.build_scheduler(cfg, schedule)
    s.add_jobstore("memory", "probe")
    if events is not None:
        s.add_listener(lambda e: events.append((names[e.code], e.job_id)) if e.job_id.startswith("harvest:") else None,
                       EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    s.start(paused=True)
    actions = scheduler.sync_jobs(s, entries, schedule)
    s.resume()
    return s, actions


def _settle(s, timeout=10.0):
    """Return once the scheduler has looked at its jobs at the (frozen) current time and
    submitted every one that was due, with no sleeping: a probe job due now is submitted in
    the same pass as any harvest due now, and a second probe can only be submitted in a later
    pass, i.e. after the first pass has finished submitting."""
    from apscheduler.events import EVENT_JOB_SUBMITTED

    for n in (1, 2):
        seen = threading.Event()
        probe_id = f"probe-{n}"

        def listener(event, probe_id=probe_id, seen=seen):
            if event.job_id == probe_id:
                seen.set()

        s.add_listener(listener, EVENT_JOB_SUBMITTED)
        s.add_job(lambda: None, "date", run_date=dt.datetime.now(CST), id=probe_id, jobstore="probe")
        try:
            assert seen.wait(timeout), "the scheduler did not process its jobs"
        finally:
            s.remove_listener(listener)


def test_portals_are_spread_over_the_window():
    assert scheduler.Schedule(at="02:00", window_minutes=120).times(3) == [(2, 0), (2, 40), (3, 20)]
    assert scheduler.Schedule(at="23:30", window_minutes=60).times(2) == [(23, 30), (0, 0)]
    with pytest.raises(ValueError, match="HH:MM"):
        scheduler.Schedule(at="25:00").times(1)


def test_the_nightly_job_fires_at_its_time(sched_env):
    cfg, entries, calls, fired, _ = sched_env
    with time_machine.travel(dt.datetime(2026, 1, 10, 1, 59, 50, tzinfo=CST), tick=False) as clock:
        events = []
        s, actions = _start(cfg, entries[:1], scheduler.Schedule(), events)
        try:
            assert actions == {"harvest:a": "added"}
            _settle(s)
            assert events == [] and calls == []  # not due: not even handed to the executor
            clock.move_to(dt.datetime(2026, 1, 10, 2, 0, 5, tzinfo=CST))
            s.wakeup()
            assert fired.wait(10)
            assert [c[0] for c in calls] == ["a"]
            job = s.get_job("harvest:a")
            assert job.next_run_time == dt.datetime(2026, 1, 11, 2, 0, tzinfo=CST)
        finally:
            s.shutdown(wait=True)


def test_missed_nights_are_caught_up_once_not_in_a_burst(sched_env):
    cfg, entries, calls, fired, _ = sched_env
    with time_machine.travel(dt.datetime(2026, 1, 10, 1, 0, tzinfo=CST), tick=False) as clock:
        s, _ = _start(cfg, entries, scheduler.Schedule())
        s.shutdown(wait=True)  # the machine goes off for three nights; jobs stay in the database
        assert calls == []
        clock.move_to(dt.datetime(2026, 1, 13, 9, 0, tzinfo=CST))
        s, actions = _start(cfg, entries, scheduler.Schedule())
        try:
            assert set(actions.values()) == {"kept"}
            _settle(s)
            assert s.get_job("harvest:a").next_run_time == dt.datetime(2026, 1, 14, 2, 0, tzinfo=CST)
            assert s.get_job("harvest:c").next_run_time == dt.datetime(2026, 1, 14, 3, 20, tzinfo=CST)
        finally:
            s.shutdown(wait=True)  # every run submitted has now finished
    assert sorted(c[0] for c in calls) == ["a", "b", "c"]  # once each, not three times


def test_a_night_older_than_the_catch_up_window_is_not_run(sched_env):
    cfg, entries, calls, fired, _ = sched_env
    sched = scheduler.Schedule(catch_up_days=0.25)  # the last missed night (02:00) is 7 hours old at 09:00
    events = []
    with time_machine.travel(dt.datetime(2026, 1, 10, 1, 0, tzinfo=CST), tick=False) as clock:
        s, _ = _start(cfg, entries[:1], sched)
        s.shutdown(wait=True)
        clock.move_to(dt.datetime(2026, 1, 13, 9, 0, tzinfo=CST))
        s, _ = _start(cfg, entries[:1], sched, events)
        try:
            _settle(s)
            assert s.get_job("harvest:a").next_run_time == dt.datetime(2026, 1, 14, 2, 0, tzinfo=CST)
        finally:
            s.shutdown(wait=True)  # whatever was handed to the executor has now been run or dropped
    assert calls == []
    assert sorted(events) == [("missed", "harvest:a"), ("submitted", "harvest:a")]  # the two race


def test_registry_changes_update_the_stored_jobs(sched_env):
    cfg, entries, calls, fired, _ = sched_env
    with time_machine.travel(dt.datetime(2026, 1, 10, 1, 0, tzinfo=CST), tick=False):
        s, _ = _start(cfg, entries, scheduler.Schedule())
        s.shutdown(wait=True)
        s, actions = _start(cfg, entries[:2], scheduler.Schedule(window_minutes=60))
        try:
            assert actions == {"harvest:c": "removed", "harvest:a": "kept", "harvest:b": "updated"}
            assert {j.id for j in s.get_jobs()} == {"harvest:a", "harvest:b"}
        finally:
            s.shutdown(wait=True)


def test_no_database_url_in_the_job_table_or_on_a_child_command_line(sched_env):
    from sqlalchemy import text

    from harvester.recrawl import crawl_command

    cfg, entries, *_ = sched_env
    with time_machine.travel(dt.datetime(2026, 1, 10, 1, 0, tzinfo=CST), tick=False):
        s, _ = _start(cfg, entries, scheduler.Schedule(settings=("DOWNLOAD_DELAY=1",)))
        s.shutdown(wait=True)
    db = open_database(cfg.db_url)
    with db.session() as sess:
        states = [row[0] for row in sess.execute(text(f"select job_state from {scheduler.JOB_TABLE}"))]
    assert len(states) == 3
    assert all(cfg.db_url.encode() not in st and b"DOWNLOAD_DELAY=1" in st for st in states)
    secret = Config(cfg.data_dir, "postgresql+psycopg2://harvest:s3cret@db.example/h", cfg.registry)
    cmd = crawl_command(secret, "a", full=False, wait=0, purpose="scheduled")
    assert not any("s3cret" in part for part in cmd) and "a" in cmd


# -- health events -------------------------------------------------------------------------------
def _run(s, **kw) -> CrawlRun:
    defaults = dict(portal_id="p", status="ok", mode="full", requests=20, errors=0, new_reports=0, changed_reports=0,
                    unchanged_reports=5, parse_failures=0, responses={"200": 20}, started=dt.datetime.now(dt.timezone.utc))
    run = CrawlRun(**{**defaults, **kw})
    s.add(run)
    s.flush()
    return run


@pytest.fixture
def health_db(tmp_path):
    db = open_database(sqlite_url(tmp_path / "harvester.db"))  # where `harvester --data tmp_path` looks
    with db.session() as s:
        s.add(Portal(id="p", name="甲", url="http://127.0.0.1/"))
        s.flush()
        s.add(Document(portal_id="p", url="http://127.0.0.1/r.html", kind="article", is_report=True))
    return db


def _kinds(s):
    return sorted((e.kind, e.status) for e in s.scalars(select(HealthEvent)))


def test_a_full_pass_without_reports_where_there_were_some_raises_and_clears(health_db):
    with health_db.session() as s:
        assess_run(s, _run(s, unchanged_reports=0).id)
        assert _kinds(s) == [("no_reports", "open")]
        assess_run(s, _run(s, unchanged_reports=0).id)
        assert len(open_events(s)) == 1  # refreshed, not duplicated
        assess_run(s, _run(s, mode="incremental", unchanged_reports=0).id)
        assert _kinds(s) == [("no_reports", "open")]  # a nightly pass sees only new items: no verdict
        assess_run(s, _run(s, unchanged_reports=4).id)
        assert _kinds(s) == [("no_reports", "closed")]


def test_error_rate_and_blocking_raise_events(health_db):
    with health_db.session() as s:
        assess_run(s, _run(s, requests=10, errors=5).id)
        assess_run(s, _run(s, status="blocked", requests=2, errors=1).id)
        assert _kinds(s) == [("blocked", "open"), ("error_rate", "open")]
        ev = next(e for e in open_events(s) if e.kind == "error_rate")
        assert ev.detail == "5 errors in 10 requests (over 20%)"
        assess_run(s, _run(s, requests=10, errors=0).id)
        assert _kinds(s) == [("blocked", "closed"), ("error_rate", "closed")]


def test_parse_failures_jumping_raise_an_event(health_db):
    with health_db.session() as s:
        assess_run(s, _run(s, parse_failures=1).id)
        assess_run(s, _run(s, parse_failures=2).id)
        assert _kinds(s) == []  # a small wobble is not a jump
        assess_run(s, _run(s, parse_failures=9).id)
        assert _kinds(s) == [("parse_failures", "open")]
        assert "9 report pages could not be read into tables (previous full pass: 2)" in open_events(s)[0].detail


def test_health_cli_lists_open_events(health_db, tmp_path):
    with health_db.session() as s:
        raise_event(s, "p", "column_moved", "column gone (404)", url="http://127.0.0.1/gknb/")
    res = harvester("--data", tmp_path, "health", "--json")
    assert res.returncode == 0, res.stderr
    [ev] = json.loads(res.stdout)
    assert (ev["portal"], ev["kind"], ev["label"], ev["url"]) == ("p", "column_moved", "年报栏目迁移", "http://127.0.0.1/gknb/")
    text = harvester("--data", tmp_path, "health").stdout
    assert "p  column_moved (年报栏目迁移): column gone (404)  [http://127.0.0.1/gknb/]" in text


# -- notifications to local receivers -------------------------------------------------------------
class _Webhook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *a):
        pass


class _SMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message."""

    messages: list = []

    def handle(self):
        w = lambda line: self.wfile.write(line.encode() + b"\r\n")
        w("220 local test receiver")
        data, in_data = [], False
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if in_data:
                if line == ".":
                    type(self).messages.append("\r\n".join(data))
                    in_data, data = False, []
                    w("250 queued")
                else:
                    data.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                w("250 hello")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                w("250 ok")
            elif verb == "DATA":
                in_data = True
                w("354 go ahead")
            elif verb == "QUIT":
                w("221 bye")
                return
            else:
                w("502 no")


@pytest.fixture
def receivers():
    _Webhook.received, _Webhook.status, _SMTP.messages = [], 200, []
    web = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTP)
    for srv in (web, smtp):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{web.server_address[1]}/hook", f"127.0.0.1:{smtp.server_address[1]}"
    for srv in (web, smtp):
        srv.shutdown()
        srv.server_close()


def test_new_events_are_posted_and_mailed_once(health_db, receivers):
    hook, smtp = receivers
    with health_db.session() as s:
        raise_event(s, "p", "blocked", "HTTP 412 challenge on every page", data={"status": 412})
    n = Notifier(NotifyConfig.from_env({"HARVESTER_WEBHOOK_URL": hook, "HARVESTER_SMTP_HOST": smtp,
                                        "HARVESTER_SMTP_FROM": "harvester@example.org",
                                        "HARVESTER_SMTP_TO": "ops@example.org, audit@example.org"}))
    lines = n.send_new_events(health_db)
    assert lines == ["notify: 1 health event(s) sent by webhook", "notify: 1 health event(s) sent by email"]
    [(ctype, payload)] = _Webhook.received
    assert ctype == "application/json; charset=utf-8"
    [ev] = payload["events"]
    assert (payload["source"], ev["portal"], ev["kind"], ev["label"], ev["data"]) == ("xxgk-harvester", "p", "blocked", "网站拦截采集", {"status": 412})
    [raw] = _SMTP.messages
    msg = email.message_from_string(raw)
    assert msg["To"] == "ops@example.org, audit@example.org"
    assert "p: 网站拦截采集 (blocked) — HTTP 412 challenge on every page" in msg.get_payload(decode=True).decode("utf-8")
    assert n.send_new_events(health_db) == []  # sent once
    assert len(_Webhook.received) == 1


def test_a_failed_delivery_is_retried_later(health_db, receivers):
    hook, _ = receivers
    with health_db.session() as s:
        raise_event(s, "p", "no_reports", "no reports")
    _Webhook.status = 500
    n = Notifier(NotifyConfig.from_env({"HARVESTER_WEBHOOK_URL": hook}))
    assert "delivery failed" in n.send_new_events(health_db)[0]
    _Webhook.status = 200
    assert n.send_new_events(health_db) == ["notify: 1 health event(s) sent by webhook"]


# -- harvests that are recrawled, contended, killed or stopped -------------------------------------
@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    universe = build_universe(seed=23, n_portals=2, reports_per_portal=12)
    root = tmp_path_factory.mktemp("ops")
    with SimServer(universe, first_host=110) as srv:
        reg = srv.write_registry(root / "portals.toml")
        yield universe, srv, reg


def test_recrawl_shows_progress_and_refuses_a_busy_portal(portals, tmp_path):
    universe, srv, reg = portals
    pid = universe.portals[0].id
    res = harvester("--data", tmp_path, "--portals", reg, "recrawl", pid)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines and all(f"{pid}: " in line for line in lines)
    assert f"{pid}: ok (full) — pages" in lines[-1] and f"reports new {len(universe.portals[0].reports)} /" in lines[-1]
    # a scheduled harvest holds the portal: the recrawl is refused, clearly
    db = open_database(sqlite_url(tmp_path / "harvester.db"))
    lease = locks.acquire(db, pid, locks.new_holder(), "scheduled")
    res = harvester("--data", tmp_path, "--portals", reg, "recrawl", pid)
    assert res.returncode == 3
    assert f"{pid}: refused — portal {pid} is being harvested (scheduled) by " in res.stdout
    # ... or waits for it, then runs
    threading.Timer(2.0, locks.release, args=(db, lease)).start()
    res = harvester("--data", tmp_path, "--portals", reg, "recrawl", pid, "--wait", "60")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{pid}: ok (incremental)" in res.stdout.strip().splitlines()[-1]
    with db.session() as s:
        assert s.get(CrawlLock, pid) is None  # released after the harvest


def test_a_harvest_is_refused_on_a_host_another_process_is_harvesting(portals, tmp_path):
    """Another process harvesting the portal's host: the harvest is refused, naming the host;
    a harvest leaves no host lease behind."""
    universe, srv, reg = portals
    pid = universe.portals[0].id
    host = srv.address(pid)[0]
    db = open_database(sqlite_url(tmp_path / "harvester.db"))
    lease = locks.acquire(db, locks.host_key(host), locks.new_holder(), "scheduled")
    res = harvester("--data", tmp_path, "--portals", reg, "crawl", pid, "--quiet")
    assert res.returncode == 3
    assert f"{pid}: refused — host {host} is being harvested (scheduled) by " in res.stderr
    with db.session() as s:
        assert s.get(CrawlLock, pid) is None  # its portal lock was given back
        assert s.scalar(select(func.count()).select_from(CrawlRun)) == 0
    locks.release(db, lease)
    res = harvester("--data", tmp_path, "--portals", reg, "crawl", pid, "--quiet")
    assert res.returncode == 0, res.stderr[-3000:]
    with db.session() as s:
        assert s.scalars(select(CrawlLock)).all() == []


def test_a_killed_harvest_resumes_without_refetching_or_losing_anything(portals, tmp_path):
    universe, srv, reg = portals
    portal = universe.portals[1]
    pid = portal.id
    db = open_database(sqlite_url(tmp_path / "harvester.db"))
    start = len(srv.requests(pid))
    proc = harvester_bg("--data", tmp_path, "--portals", reg, "crawl", pid, "--quiet", *SLOW)
    _wait_for(lambda: (tmp_path / "harvester.db").exists() and _snapshots(db, pid) >= 8, 90, "a half-done harvest")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = len(srv.requests(pid))
    res = harvester("--data", tmp_path, "--portals", reg, "crawl", pid, "--quiet")
    assert res.returncode == 0, res.stdout + res.stderr
    with db.session() as s:
        first, second = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == pid).order_by(CrawlRun.id)).all()
        assert first.status == "interrupted" and second.status == "ok"
        assert "harvest process died" in first.error_details[-1]["error"]
        captured_before = {u for u, in s.execute(select(Document.url).join(Snapshot).where(Snapshot.run_id == first.id))}
        per_url = s.execute(select(Document.url, func.count(Snapshot.id)).join(Snapshot).group_by(Document.url)).all()
        reports = set(s.scalars(select(Document.url).where(Document.is_report.is_(True))))
    base = srv.base_url(pid).rstrip("/")
    refetched = [r.path for r in srv.requests(pid)[killed_at:] if r.status == 200 and base + r.path in captured_before]
    assert refetched == []  # what the killed run archived came from the archive
    assert len(captured_before) >= 8
    assert all(n == 1 for _, n in per_url), [p for p in per_url if p[1] > 1]  # no duplicate rows
    assert reports == {base + r.path for r in portal.reports}  # nothing lost
    assert start < killed_at
    res = harvester("--data", tmp_path, "verify")
    assert res.returncode == 0, res.stdout[-3000:]


def test_sigterm_stops_a_harvest_cleanly_as_interrupted(portals, tmp_path):
    universe, srv, reg = portals
    pid = universe.portals[0].id
    db = open_database(sqlite_url(tmp_path / "harvester.db"))
    proc = harvester_bg("--data", tmp_path, "--portals", reg, "crawl", pid, "--quiet", *SLOW)
    _wait_for(lambda: (tmp_path / "harvester.db").exists() and _snapshots(db, pid) >= 5, 90, "a running harvest")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) in (0, 1)
    with db.session() as s:
        run = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == pid)).one()
        assert run.status == "interrupted" and run.finished is not None
        assert s.get(CrawlLock, pid) is None
    warcs = list((tmp_path / "archive").glob("*.warc.gz"))
    assert warcs and all(Path(str(w) + ".cdxj").exists() for w in warcs)  # closed and indexed
    res = harvester("--data", tmp_path, "verify")
    assert res.returncode == 0, res.stdout[-3000:]


def test_a_crashing_child_is_recorded_and_the_other_portal_is_not_affected(portals, tmp_path):
    universe, srv, reg = portals
    a, b = (p.id for p in universe.portals)
    cfg = Config(tmp_path, sqlite_url(tmp_path / "harvester.db"), reg)
    open_database(cfg.db_url).dispose()
    results = {}
    threads = [threading.Thread(target=lambda p=p: results.__setitem__(p, scheduler.run_child(cfg, p, SLOW[1::2]))) for p in (a, b)]
    for t in threads:
        t.start()
    db = open_database(cfg.db_url)

    def child_of_b():
        with scheduler._children_lock:
            return next((c for c in scheduler._children if b in c.args), None)

    _wait_for(lambda: child_of_b() is not None and _snapshots(db, b) >= 3, 90, "b's harvest under way")
    child_of_b().send_signal(signal.SIGKILL)
    for t in threads:
        t.join(timeout=180)
    assert results[a] == 0 and results[b] == -signal.SIGKILL
    with db.session() as s:
        run_a = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == a)).one()
        assert run_a.status == "ok" and run_a.new_reports == len(universe.portals[0].reports)
        [ev] = open_events(s, b)
        assert ev.kind == "crashed" and f"signal {signal.SIGKILL}" in ev.detail
        assert Path(ev.data["log"]).exists()


def test_a_nightly_harvest_whose_host_is_busy_is_tried_again_later_then_recorded(portals, tmp_path):
    """A sibling portal's harvest holds the shared host: the scheduled harvest is refused at once
    (no thread of the scheduler waits), comes back as a one-off job 15 minutes later, and a night
    the host stays busy for 6 hours is a health event, never a silent skip."""
    universe, srv, reg = portals
    pid = universe.portals[0].id
    host = srv.address(pid)[0]
    cfg = Config(tmp_path, sqlite_url(tmp_path / "harvester.db"), reg)
    db = open_database(cfg.db_url)
    sibling = locks.acquire(db, locks.host_key(host), locks.new_holder(), "scheduled")
    sched = scheduler.build_scheduler(cfg, scheduler.Schedule())
    sched.start(paused=True)
    try:
        before = dt.datetime.now(dt.timezone.utc)
        assert scheduler.run_child(cfg, pid) == 3
        retry = sched.get_job(scheduler.RETRY_PREFIX + pid)
        assert retry is not None and retry.args[:2] == (pid, [])
        first = dt.datetime.fromisoformat(retry.args[2])
        assert before <= first and abs(retry.next_run_time - (first + dt.timedelta(minutes=15))) < dt.timedelta(seconds=5)
        with db.session() as s:
            assert open_events(s, pid) == []  # not yet: it is tried again
        # still busy six hours after the first try: the night is given up, and said so
        long_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=6, minutes=1)).isoformat()
        assert scheduler.run_child(cfg, pid, busy_since=long_ago) == 3
        with db.session() as s:
            [ev] = open_events(s, pid)
            assert ev.kind == "crashed" and ev.detail.startswith("the scheduled harvest did not run, tried from ")
            assert f"host {host} is being harvested (scheduled) by " in ev.detail
        # the host free again: the retried job harvests the portal
        locks.release(db, sibling)
        assert scheduler.scheduled_harvest(*retry.args) == 0
    finally:
        sched.shutdown(wait=False)
    with db.session() as s:
        assert s.scalars(select(CrawlRun.status).where(CrawlRun.portal_id == pid)).all() == ["ok"]
    db.dispose()


def test_retries_left_from_a_night_long_over_or_of_a_portal_gone_are_dropped_at_start(tmp_path):
    cfg = Config(tmp_path, sqlite_url(tmp_path / "h.db"), tmp_path / "portals.toml")
    open_database(cfg.db_url).dispose()
    entries = [PortalEntry("a", "甲", "http://127.0.0.1/"), PortalEntry("b", "乙", "http://127.0.0.2/")]
    sched = scheduler.build_scheduler(cfg, scheduler.Schedule())
    sched.start(paused=True)
    try:
        now = dt.datetime.now(dt.timezone.utc)
        later = now + dt.timedelta(minutes=15)
        scheduler._retry_later("a", (), now - dt.timedelta(minutes=20), later)  # tonight's: kept
        scheduler._retry_later("b", (), now - dt.timedelta(hours=30), later)  # a night long over
        scheduler._retry_later("gone", (), now, later)  # no longer in the registry
        actions = scheduler.sync_jobs(sched, entries, scheduler.Schedule())
        assert {k: v for k, v in actions.items() if k.startswith("retry:")} == {"retry:b": "removed",
                                                                               "retry:gone": "removed"}
        assert sorted(j.id for j in sched.get_jobs()) == ["harvest:a", "harvest:b", "retry:a"]
    finally:
        sched.shutdown(wait=False)


def test_the_browser_recrawl_action_starts_a_background_harvest_or_refuses(portals, tmp_path):
    from harvester.recrawl import launch

    universe, srv, reg = portals
    pid = universe.portals[0].id
    cfg = Config(tmp_path, sqlite_url(tmp_path / "harvester.db"), reg)
    db = open_database(cfg.db_url)
    with db.session() as s:
        s.add(Portal(id=pid, name="甲", url=srv.base_url(pid)))
    lease = locks.acquire(db, pid, locks.new_holder(), "scheduled")
    refused = launch(cfg, pid, False)
    assert refused["started"] is False and f"portal {pid} is being harvested (scheduled)" in refused["reason"]
    locks.release(db, lease)
    # a sibling portal's harvest on the same host refuses it too, saying so
    host = srv.address(pid)[0]
    lease = locks.acquire(db, locks.host_key(host), locks.new_holder(), "scheduled")
    refused = launch(cfg, pid, False)
    assert refused["started"] is False and refused["reason"].startswith(f"host {host} is being harvested (scheduled)")
    locks.release(db, lease)
    started = launch(cfg, pid, False)
    assert started["started"] is True

    def finished_ok() -> bool:
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.portal_id == pid, CrawlRun.status == "ok")) == 1

    _wait_for(finished_ok, 120, "the background harvest")


def test_stopping_the_scheduler_interrupts_running_harvests_cleanly(portals, tmp_path):
    import io

    universe, srv, reg = portals
    pid = universe.portals[1].id
    cfg = Config(tmp_path, sqlite_url(tmp_path / "harvester.db"), reg)
    db = open_database(cfg.db_url)
    entries = [PortalEntry(pid, "乙", srv.base_url(pid))]
    stop, out, result = threading.Event(), io.StringIO(), {}
    sched = threading.Thread(target=lambda: result.__setitem__("serve", scheduler.serve(
        cfg, entries, scheduler.Schedule(at="03:00"), out=out, stop=stop)))
    sched.start()
    harvest = threading.Thread(target=lambda: result.__setitem__("child", scheduler.run_child(cfg, pid, SLOW[1::2])))
    harvest.start()  # as if its nightly job had fired
    _wait_for(lambda: _snapshots(db, pid) >= 3, 90, "a scheduled harvest under way")
    stop.set()  # what SIGTERM does to `harvester schedule`
    sched.join(timeout=150)
    harvest.join(timeout=10)
    assert result["serve"] == 0 and result["child"] in (0, 1)  # an ordinary exit, not a crash
    assert "schedule: stopped (1 running harvest(s) ended)" in out.getvalue()
    with db.session() as s:
        run = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == pid)).one()
        assert run.status == "interrupted"
        assert s.scalars(select(HealthEvent).where(HealthEvent.kind == "crashed")).first() is None
    res = harvester("--data", tmp_path, "verify")
    assert res.returncode == 0, res.stdout[-2000:]


def test_recrawl_in_a_terminal_redraws_one_progress_line(portals, tmp_path):
    universe, srv, reg = portals
    pid = universe.portals[0].id
    code, screen = run_in_terminal([sys.executable, "-m", "harvester.cli", "--data", str(tmp_path), "--portals", str(reg),
                                    "recrawl", pid, *SLOW], stderr_to_terminal=False)
    assert code == 0
    redraws = screen.split("\r\x1b[K")
    assert len(redraws) > 3  # the line was redrawn in place, not printed line after line
    assert redraws[-1].startswith(f"{pid}: ok (full) — pages") and redraws[-1].rstrip().endswith(" s")
    assert "\n" not in "".join(redraws[:-1]).replace("\r", "")


def test_crawl_reports_only_its_own_runs_when_another_harvest_starts_meanwhile(portals, tmp_path):
    universe, srv, reg = portals
    a = universe.portals[0].id
    registry = tmp_path / "portals.toml"
    registry.write_text(Path(reg).read_text(encoding="utf-8") + '\n[[portal]]\nid = "dead"\nname = "不通"\n'
                        'url = "http://127.0.0.1:9/"\n', encoding="utf-8")
    db = open_database(sqlite_url(tmp_path / "harvester.db"))
    proc = harvester_bg("--data", tmp_path, "--portals", registry, "crawl", a, "--quiet",
                        "--set", "DOWNLOAD_DELAY=0.5", *SLOW[2:])
    _wait_for(lambda: _snapshots(db, a) >= 2, 90, "the first harvest under way")
    # a scheduled child harvesting another portal starts (and fails) while the first one runs
    other = harvester("--data", tmp_path, "--portals", registry, "crawl", "dead", "--purpose", "scheduled", "--quiet")
    assert other.returncode == 1 and other.stdout.startswith("dead: failed")
    out, err = proc.communicate(timeout=180)
    with db.session() as s:
        run_a = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == a)).one()
        run_dead = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == "dead")).one()
    assert run_a.id < run_dead.id and run_dead.started < run_a.finished  # it did start meanwhile
    assert proc.returncode == 0, out + err[-3000:]  # the other portal's failure is not this crawl's
    assert [line.split(":")[0] for line in out.strip().splitlines()] == [a]
