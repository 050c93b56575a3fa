"""One harvest shared by several worker processes (issue 12, item 4): the real Redis job queue
and PostgreSQL store, three `harvester worker` processes harvesting simulated portals into one
archive directory, one of them SIGKILLed in the middle of a portal.

The workers' heartbeat is 3 s here (HARVESTER_WORKER_HEARTBEAT), so a dead worker's portal is
back on the queue within a few seconds; each test has a queue name of its own.
"""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from harvester.sim import SimServer, build_universe
from storage.database import open_database
from storage.models import CrawlRun, Snapshot
from tests.harvest_checks import duplicates, lost_reports, open_runs_and_locks, verify

ROOT = Path(__file__).resolve().parent.parent
SLOW = ("--set", "DOWNLOAD_DELAY=0.4", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False")


@pytest.fixture
def queue(redis_url):
    """A queue of this test's own (its Redis keys are deleted afterwards, nothing else)."""
    import redis

    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{name}:*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


def _env(pg_url: str, redis_url: str, queue: str) -> dict:
    return {**os.environ, "HARVESTER_DB": pg_url, "HARVESTER_REDIS_URL": redis_url, "HARVESTER_QUEUE": queue,
            "HARVESTER_WORKER_HEARTBEAT": "3"}


class Worker:
    """A `harvester worker` process; its output lines are collected as they come."""

    def __init__(self, name: str, env: dict, data: Path, archive: Path, registry: Path, *extra: str):
        self.name = name
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harvester.cli", "--data", str(data), "--archive", str(archive), "--portals",
             str(registry), "worker", "--name", name, *extra],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def harvesting(self) -> list[tuple[str, int]]:
        """(portal, crawl process id) of each harvest this worker started."""
        out = []
        for ln in self.lines:
            if ": harvesting (" in ln:
                portal = ln.split(f"worker {self.name}: ", 1)[1].split(":", 1)[0]
                out.append((portal, int(ln.split("process ", 1)[1].split(",", 1)[0])))
        return out

    def done(self) -> list[str]:
        return [ln.split(f"worker {self.name}: ", 1)[1].split(":", 1)[0] for ln in self.lines if ": done (exit" in ln]

    def wait(self, timeout: float) -> int:
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return rc

    def output(self) -> str:
        return "\n".join(self.lines[-40:])


def _enqueue(env: dict, registry: Path, *portals: str) -> None:
    """What `harvester enqueue` does (in this process: a CLI start costs seconds)."""
    from harvester.cluster import enqueue
    from harvester.config import Config
    from harvester.registry import load_registry, select

    entries = load_registry(registry)
    enqueue(Config.from_env(env), select(entries, list(portals)) if portals else entries,
            settings=tuple(SLOW[1::2]))


def _harvester(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harvester.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # a zombie waiting for init: dead


def _wait_for(what, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(step)
    return None


def test_workers_share_a_harvest_and_a_killed_workers_portal_is_finished_by_the_others(pg_url, redis_url, queue,
                                                                                         tmp_path):
    universe = build_universe(seed=12, n_portals=6, reports_per_portal=3)
    env = _env(pg_url, redis_url, queue)
    archive = tmp_path / "archive"  # one archive directory, as on a shared volume
    db = open_database(pg_url)
    with SimServer(universe, first_host=160) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        fed = _harvester(env, "--portals", str(registry), "enqueue", "--all", *SLOW)
        assert fed.returncode == 0, fed.stderr
        assert "6 portal(s) enqueued" in fed.stdout

        workers = [Worker(f"w{i}", env, tmp_path / f"data{i}", archive, registry, "--parallel", "1", "--until-empty")
                   for i in range(3)]
        victim = workers[0]

        # Kill w0 with SIGKILL while its first portal is half archived (pages stored, run open).
        def half_done():
            started = victim.harvesting()
            if not started:
                return None
            portal, child = started[0]
            with db.session() as s:
                stored = s.scalar(select(func.count()).select_from(Snapshot).join(CrawlRun, Snapshot.run_id == CrawlRun.id)
                                  .where(CrawlRun.portal_id == portal, CrawlRun.status == "running"))
            return (portal, child) if stored >= 3 else None

        found = _wait_for(half_done, timeout=60, step=0.05)
        assert found, f"w0 never got half-way through a portal:\n{victim.output()}"
        killed_portal, child = found
        victim.proc.send_signal(signal.SIGKILL)
        assert victim.wait(10) == -signal.SIGKILL
        # its crawl process dies with it: no harvest goes on unsupervised, the lock holder is gone
        assert _wait_for(lambda: _gone(child), timeout=10), f"crawl process {child} outlived its worker"

        rcs = [w.wait(timeout=120) for w in workers[1:]]
        assert rcs == [0, 0], "\n\n".join(w.output() for w in workers[1:])

        # every worker did work: w0 archived part of a portal, the two others completed portals
        assert victim.harvesting()
        assert all(w.done() for w in workers[1:]), "\n\n".join(w.output() for w in workers[1:])
        # the killed worker's portal was finished by another worker, every portal exactly once
        finished = Counter(p for w in workers[1:] for p in w.done())
        assert finished[killed_portal] == 1, "\n\n".join(w.output() for w in workers)
        assert sorted(finished) == sorted(p.id for p in universe.portals)

        # every report stored, once
        assert lost_reports(db, srv, universe.portals) == []
        assert duplicates(db) == {"documents": [], "snapshots": [], "reports": []}
        assert open_runs_and_locks(db) == ([], [])
        with db.session() as s:
            runs = {p.id: [r for r in s.scalars(select(CrawlRun).where(CrawlRun.portal_id == p.id).order_by(CrawlRun.id))]
                    for p in universe.portals}
            dead = runs[killed_portal][0]
            kept_from_dead = s.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.run_id == dead.id))
        # the dead run was recovered from the archive and resumed by the next one
        assert [r.status for r in runs[killed_portal]] == ["interrupted", "ok"]
        assert all([r.status for r in rs] == ["ok"] for p, rs in runs.items() if p != killed_portal), runs
        assert kept_from_dead >= 3  # what w0 archived before it died is in the store

        # no report page was fetched twice: the resumed run read the dead one's pages from the archive
        for portal in universe.portals:
            got = Counter(r.path for r in srv.requests(portal.id) if r.method == "GET")
            twice = {r.path: got[r.path] for r in portal.reports if got[r.path] != 1}
            assert not twice, f"{portal.id}: report pages fetched {twice}"
        # politeness held across the cluster: never more than 2 requests at once to a portal
        for portal in universe.portals:
            assert srv.concurrency(portal.id).requests <= 2, (portal.id, srv.concurrency(portal.id))

    rc, out = verify(tmp_path / "data1", "--db", pg_url, "--archive", str(archive))
    assert rc == 0, out
    db.dispose()


def test_portals_sharing_a_host_stay_within_its_limit_across_workers(pg_url, redis_url, queue, tmp_path):
    """Three agencies' portals on one county site, two workers taking two jobs each: without a
    lease on the host, each crawl would send its own 2 requests at once to it."""
    from harvester.cluster import enqueue
    from harvester.config import Config
    from harvester.registry import load_registry

    universe = build_universe(seed=15, n_portals=3, reports_per_portal=2)
    env = _env(pg_url, redis_url, queue)
    db = open_database(pg_url)
    with SimServer(universe, first_host=181, latency=0.1, portals_per_host=3) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        enqueue(Config.from_env(env), load_registry(registry),
                settings=("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "CONCURRENT_REQUESTS_PER_DOMAIN=2"))
        workers = [Worker(f"w{i}", env, tmp_path / f"d{i}", tmp_path / "archive", registry, "--parallel", "2",
                          "--until-empty") for i in range(2)]
        assert [w.wait(120) for w in workers] == [0, 0], "\n\n".join(w.output() for w in workers)
        done = Counter(p for w in workers for p in w.done())
        assert sorted(done) == sorted(p.id for p in universe.portals) and set(done.values()) == {1}
        assert lost_reports(db, srv, universe.portals) == []
        loads = {srv.host_concurrency(p.id) for p in universe.portals}
    assert loads == {2}, f"the shared host answered up to {max(loads)} requests at once (limit 2)"
    assert open_runs_and_locks(db) == ([], [])
    db.dispose()


def test_a_stopped_worker_hands_its_portal_back_and_a_job_enqueued_twice_is_harvested_once(pg_url, redis_url, queue,
                                                                                            tmp_path):
    """SIGTERM: the worker's harvest stops (its run interrupted) and goes back on the queue; the
    next worker resumes it. The same portal enqueued twice before it ran is harvested once."""
    universe = build_universe(seed=13, n_portals=1, reports_per_portal=4)
    env = _env(pg_url, redis_url, queue)
    archive = tmp_path / "archive"
    db = open_database(pg_url)
    with SimServer(universe, first_host=170) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        portal = universe.portals[0].id
        for _ in range(2):
            _enqueue(env, registry, portal)
        first = Worker("first", env, tmp_path / "d1", archive, registry, "--parallel", "1")

        def archiving():
            with db.session() as s:
                return s.scalar(select(func.count()).select_from(Snapshot).join(CrawlRun, Snapshot.run_id == CrawlRun.id)
                                .where(CrawlRun.status == "running")) >= 3

        assert _wait_for(archiving, timeout=60, step=0.05), first.output()
        first.proc.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0, first.output()
        assert any("back on the queue, to be resumed" in ln for ln in first.lines), first.output()
        with db.session() as s:
            assert [r.status for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))] == ["interrupted"]

        second = Worker("second", env, tmp_path / "d2", archive, registry, "--parallel", "1", "--until-empty")
        assert second.wait(120) == 0, second.output()
        assert second.done() == [portal], second.output()
        assert any("already harvested in this harvest" in ln for ln in second.lines), second.output()
        with db.session() as s:
            assert [r.status for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))] == ["interrupted", "ok"]
        assert lost_reports(db, srv, universe.portals) == []
        got = Counter(r.path for r in srv.requests(portal) if r.method == "GET")
        assert all(got[r.path] == 1 for r in universe.portals[0].reports), got
    rc, out = verify(tmp_path / "d2", "--db", pg_url, "--archive", str(archive))
    assert rc == 0, out
    db.dispose()


def test_a_portal_locked_by_a_dead_worker_on_another_machine_waits_for_its_lease(pg_url, redis_url, queue,
                                                                                  tmp_path):
    """A worker died on another machine holding a portal's lock: its process cannot be looked
    up from here, so the lock is honoured until its lease runs out. The job goes back on the
    queue (busy), comes again, takes the expired lock over and harvests the portal."""
    import datetime as dt

    universe = build_universe(seed=14, n_portals=1, reports_per_portal=2)
    env = _env(pg_url, redis_url, queue)
    db = open_database(pg_url)
    with SimServer(universe, first_host=175) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        portal = universe.portals[0].id
        _enqueue(env, registry, portal)
        _locked_on_another_machine(db, portal, srv.base_url(portal), held_for=dt.timedelta(minutes=9),
                                   expires_in=dt.timedelta(seconds=7))
        w = Worker("w", env, tmp_path / "d", tmp_path / "archive", registry, "--parallel", "1", "--until-empty")
        assert w.wait(120) == 0, w.output()
        assert any(ln.split("worker w: ", 1)[-1].startswith(
            f"{portal}: portal {portal} is being harvested (scheduled) by other-machine:4242:deadbeef since ")
            and "unless renewed; back on the queue" in ln for ln in w.lines), w.output()
        assert w.done() == [portal], w.output()
        assert lost_reports(db, srv, universe.portals) == []
        assert open_runs_and_locks(db) == ([], [])
    db.dispose()


def test_the_scheduler_in_cluster_mode_enqueues_instead_of_harvesting(redis_url, queue, tmp_path):
    from harvester import scheduler
    from harvester.cluster import pending
    from harvester.config import Config

    registry = tmp_path / "portals.toml"
    registry.write_text('[[portal]]\nid = "a"\nname = "甲"\nurl = "http://127.0.0.1:9/"\n', encoding="utf-8")
    cfg = Config.from_env({"HARVESTER_DATA": str(tmp_path), "HARVESTER_PORTALS": str(registry),
                           "HARVESTER_REDIS_URL": redis_url, "HARVESTER_QUEUE": queue})
    assert scheduler.RUNNER(cfg, "a", ("DOWNLOAD_DELAY=1",)) == 0
    assert pending(cfg) == 1
    assert not (tmp_path / "logs").exists()  # nothing was harvested here


def test_an_unreachable_redis_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    from harvester.cli import main

    for name in [k for k in os.environ if k.startswith("HARVESTER_")]:
        monkeypatch.delenv(name)
    registry = tmp_path / "portals.toml"
    registry.write_text('[[portal]]\nid = "a"\nname = "甲"\nurl = "http://127.0.0.1:9/"\n', encoding="utf-8")
    common = ["--data", str(tmp_path), "--portals", str(registry)]
    for args in (("enqueue", "--all"), ("worker",)):
        assert main([*common, *args, "--redis", "redis://127.0.0.1:1/0"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("harvester: error: cannot reach the job queue's Redis at redis://127.0.0.1:1/0"), err
        assert "Traceback" not in err
    assert main([*common, "enqueue", "--all"]) == 2
    assert "give --redis URL or set HARVESTER_REDIS_URL" in capsys.readouterr().err


def test_a_job_carries_the_whole_registry_entry():
    """Workers need no registry: the job's entry, written as a one-portal registry for the
    crawl child, reads back as the same entry (quotes, backslashes, CJK, hosts, robots)."""
    from harvester.cluster import entry_json, entry_toml
    from harvester.registry import PortalEntry, parse_registry

    entry = PortalEntry("gz-guangzhou", '广州市"人民"政府 \\ 门户',
                        "http://127.0.0.1:9/a?b=1&c=\"d\"", ("http://127.0.0.1:9/gknb/",), "trs", "ignore",
                        "运营方书面同意", ("xxgk.example.gov.cn",))
    assert parse_registry(entry_toml(entry_json(entry))) == [entry]
    bare = PortalEntry("x", "某县", "http://127.0.0.1:9/")
    assert parse_registry(entry_toml(entry_json(bare))) == [bare]


def test_a_harvest_that_never_started_is_a_recorded_crash_not_done(pg_url, redis_url, queue, tmp_path):
    """A crawl child that exits 1 without making a run (an uncaught error before the crawl, as
    Python exits 1 on a traceback; a full disk at the start) harvested nothing: its job is not
    "done" but a crash, recorded as a health event on the portal (whose row the harvest had not
    made yet) and tried again."""
    from harvester.cluster import enqueue
    from harvester.config import Config
    from harvester.registry import load_registry
    from storage.models import HealthEvent

    universe = build_universe(seed=15, n_portals=1, reports_per_portal=1)
    env = _env(pg_url, redis_url, queue)
    db = open_database(pg_url)
    with SimServer(universe, first_host=178) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        portal = universe.portals[0].id
        # a setting the harvest cannot read: it fails before it starts (a traceback, exit 1)
        enqueue(Config.from_env(env), load_registry(registry), settings=("HARVESTER_DISK_RESERVE=lots",))
        w = Worker("w", env, tmp_path / "d", tmp_path / "archive", registry, "--parallel", "1")
        try:
            def crashed():
                with db.session() as s:
                    return s.scalars(select(HealthEvent).where(HealthEvent.portal_id == portal,
                                                               HealthEvent.kind == "crashed")).first()
            event = _wait_for(crashed, timeout=60, step=0.2)
            assert event is not None, w.output()
            assert event.data["returncode"] == 1
            assert _wait_for(lambda: any("ended abnormally (exit 1); tried again" in ln for ln in w.lines), timeout=10), \
                w.output()
            assert not w.done(), w.output()
        finally:
            w.proc.send_signal(signal.SIGTERM)
            w.wait(60)
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(CrawlRun)) == 0
    db.dispose()


def _redis_behind_proxy(redis_url: str):
    """A cuttable proxy to the test Redis, and the Redis URL that goes through it."""
    from urllib.parse import urlsplit

    real = urlsplit(redis_url)
    proxy = CuttableProxy((real.hostname, real.port))
    return proxy, f"redis://127.0.0.1:{proxy.port}{real.path}"


def _locked_on_another_machine(db, portal: str, url: str, *, held_for, expires_in) -> None:
    """The portal's row, and its lock held by a worker on another machine (its process cannot be
    looked up from here) since ``held_for`` ago, for ``expires_in`` more."""
    import datetime as dt

    from storage.models import CrawlLock, Portal

    now = dt.datetime.now(dt.timezone.utc)
    with db.session() as s:
        s.add(Portal(id=portal, name="x", url=url))
        s.flush()
        s.add(CrawlLock(portal_id=portal, holder="other-machine:4242:deadbeef", purpose="scheduled",
                        acquired_at=now - held_for, expires_at=now + expires_in))


class CuttableProxy:
    """A TCP proxy to the real Redis that can be cut (listener and every connection closed,
    new connections refused) and restored on the same port: a network cut, or a Redis restart."""

    def __init__(self, target: tuple[str, int]):
        import socket

        self.target = target
        self.conns: list = []
        self.lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener = None
        self.restore()

    def restore(self) -> None:
        import socket

        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        self.listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def _accept(self, ls) -> None:
        import socket

        while True:
            try:
                client, _ = ls.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b) -> None:
        import socket

        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for sock in (a, b):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        import socket

        try:  # wakes the accepting thread (a close alone leaves it accepting, on Linux)
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def test_a_worker_waiting_for_an_empty_queue_outlives_a_redis_cut(pg_url, redis_url, queue, tmp_path):
    """`worker --until-empty` while its Redis is unreachable for a few seconds (a restart, a
    network cut): the harvest goes on, the worker waits for Redis, then ends as usual once the
    queue is empty (it used to die of the connection error, its harvest interrupted)."""
    universe = build_universe(seed=16, n_portals=1, reports_per_portal=3)
    proxy, via_proxy = _redis_behind_proxy(redis_url)
    env = _env(pg_url, via_proxy, queue)
    db = open_database(pg_url)
    try:
        with SimServer(universe, first_host=179) as srv:
            registry = srv.write_registry(tmp_path / "portals.toml")
            portal = universe.portals[0].id
            _enqueue(env, registry, portal)
            w = Worker("w", env, tmp_path / "d", tmp_path / "archive", registry, "--parallel", "1", "--until-empty")
            assert _wait_for(w.harvesting, timeout=60), w.output()
            proxy.cut()
            assert _wait_for(lambda: any("cannot reach the job queue's Redis" in ln for ln in w.lines), timeout=10), \
                w.output()
            time.sleep(1.5)
            proxy.restore()
            assert w.wait(120) == 0, w.output()
            assert w.done() == [portal], w.output()
            assert any("the job queue's Redis is back" in ln for ln in w.lines), w.output()
            with db.session() as s:
                assert [r.status for r in s.scalars(select(CrawlRun))] == ["ok"]
            assert lost_reports(db, srv, universe.portals) == []
    finally:
        proxy.cut()
        db.dispose()


def test_a_crash_is_tried_again_three_times_however_often_the_job_was_handed_back(redis_url, queue, tmp_path,
                                                                                   monkeypatch):
    """dramatiq counts a job's hand-backs (portal busy, worker stopping) among its retries: a
    portal found busy three times used to be given up at its first crash. Crashes are counted
    apart: each job is tried again after up to 3 crashes, whatever its hand-backs. (The job runs
    here through the broker's real middleware, on the real Redis, as a worker runs it.)"""
    import types

    import dramatiq
    from dramatiq.broker import MessageProxy

    from harvester import cluster
    from harvester.config import Config

    cfg = Config.from_env({"HARVESTER_DATA": str(tmp_path), "HARVESTER_REDIS_URL": redis_url,
                           "HARVESTER_QUEUE": queue})
    broker, actor = cluster._broker(cfg)
    message = MessageProxy(actor.message({"id": "a", "name": "甲", "url": "http://127.0.0.1:9/"},
                                         {"id": "h", "enqueued_at": "2026-01-01T00:00:00+00:00"}))
    monkeypatch.setattr(cluster, "_ACTIVE", types.SimpleNamespace(cfg=cfg, stopping=threading.Event()))
    outcome = []

    def attempt(exc: BaseException) -> bool:
        """The job fails with ``exc`` (raised where it first asks the store); True when it goes
        back on the queue."""
        def fail(*args):
            raise exc

        monkeypatch.setattr(cluster, "_harvested_since", fail)
        broker.emit_before("process_message", message)
        try:
            actor.fn(*message.args)
        except BaseException as raised:
            broker.emit_after("process_message", message, exception=raised)
        return not message.failed

    try:
        for _ in range(5):
            outcome.append(attempt(dramatiq.Retry("busy", delay=0)))
        for i in range(cluster.CRASH_RETRIES + 1):
            outcome.append(attempt(cluster.HarvestCrashed(f"crash {i + 1}")))
    finally:
        broker.close()
    assert outcome == [True] * 5 + [True] * cluster.CRASH_RETRIES + [False]


def test_a_job_that_cannot_be_harvested_is_dropped_at_once_by_name_and_writes_nothing(pg_url, redis_url, queue,
                                                                                      tmp_path):
    """Jobs come from a network service: an entry that is not a valid registry entry (an unknown
    family, an id naming a path, not an entry at all) is said by the worker and dead-lettered at
    its first attempt; it is not tried again (it would fail the same way) and writes no file."""
    from harvester.cluster import _broker

    from harvester.config import Config

    env = _env(pg_url, redis_url, queue)
    escape = Path(tempfile.gettempdir()) / f"escape-{uuid.uuid4().hex[:8]}"
    harvest = {"id": "h", "enqueued_at": "2026-01-01T00:00:00+00:00", "full": False, "purpose": "manual",
               "settings": []}
    good = {"name": "甲", "url": "http://127.0.0.1:9/"}
    broker, actor = _broker(Config.from_env(env))
    try:
        actor.send({**good, "id": "badfamily", "family": "nope"}, harvest)
        actor.send({**good, "id": f"../../../../..{escape}"}, harvest)
        actor.send(["not", "an", "entry"], harvest)
        w = Worker("w", env, tmp_path / "d", tmp_path / "archive", tmp_path / "none.toml", "--parallel", "1",
                   "--until-empty")
        assert w.wait(60) == 0, w.output()
        said = [ln for ln in w.lines if "a job that cannot be harvested" in ln]
        assert len(said) == 3, w.output()  # once each: not tried again
        assert any("field 'family' must be one of" in ln for ln in said), said
        assert any("field 'id'" in ln for ln in said), said
        assert not any(ln.endswith(": harvesting (") for ln in w.lines)
        assert not escape.with_suffix(".toml").exists()
        assert int(broker.client.zcard(f"{queue}:harvest.XQ")) == 3  # kept in the dead letters
    finally:
        escape.with_suffix(".toml").unlink(missing_ok=True)
        broker.close()


def test_jobs_wait_for_a_store_that_cannot_be_reached_instead_of_being_dropped(pg_url, redis_url, queue, tmp_path):
    """PostgreSQL unreachable for a while (a restart, a failover) while jobs are queued: each
    job goes back on the queue to wait for the store, and every portal is harvested once it is
    back. (Counted as failures, all of them used to be tried 4 times within seconds, then
    dead-lettered: a harvest lost, with nothing in the store saying so.)"""
    from urllib.parse import urlsplit

    universe = build_universe(seed=17, n_portals=2, reports_per_portal=1)
    real = urlsplit(pg_url)
    proxy = CuttableProxy((real.hostname, real.port))
    via_proxy = pg_url.replace(real.netloc, f"{real.username}@127.0.0.1:{proxy.port}")
    env = _env(via_proxy, redis_url, queue)
    db = open_database(pg_url)
    try:
        with SimServer(universe, first_host=177) as srv:
            registry = srv.write_registry(tmp_path / "portals.toml")
            w = Worker("w", env, tmp_path / "d", tmp_path / "archive", registry, "--parallel", "2", "--until-empty")
            assert _wait_for(lambda: any(": started:" in ln for ln in w.lines), timeout=60), w.output()
            proxy.cut()
            _enqueue(env, registry)
            time.sleep(8.5)  # longer than a failing job's 3 retries take (1 + 2 + 4 s)
            proxy.restore()
            assert w.wait(120) == 0, w.output()
            assert sorted(w.done()) == sorted(p.id for p in universe.portals), w.output()
            assert sum("the store cannot be reached" in ln for ln in w.lines) >= 2, w.output()
            assert lost_reports(db, srv, universe.portals) == []
    finally:
        proxy.cut()
        db.dispose()


def test_a_job_handed_back_while_redis_is_unreachable_is_not_lost(pg_url, redis_url, queue, tmp_path):
    """A job ends with a hand-back (its portal busy) while Redis cannot be reached: putting it
    back on the queue waits for Redis, and the portal is harvested afterwards. (dramatiq logged
    the failed re-enqueue, then acked the job once Redis was back: the job was gone.)"""
    import datetime as dt

    universe = build_universe(seed=18, n_portals=1, reports_per_portal=1)
    proxy, via_proxy = _redis_behind_proxy(redis_url)
    env = _env(pg_url, via_proxy, queue)
    db = open_database(pg_url)
    try:
        with SimServer(universe, first_host=176) as srv:
            registry = srv.write_registry(tmp_path / "portals.toml")
            portal = universe.portals[0].id
            # held by a worker on another machine, for a few more seconds
            _locked_on_another_machine(db, portal, srv.base_url(portal), held_for=dt.timedelta(0),
                                       expires_in=dt.timedelta(seconds=15))
            _enqueue(env, registry, portal)
            # The worker looks at the portal's lock before it starts a harvest: that look is held
            # (the lock table locked) until Redis has been cut, so the job's hand-back meets a
            # Redis that cannot be reached.
            from sqlalchemy import text

            blocker = db.engine.connect()
            held = blocker.begin()
            blocker.execute(text("LOCK TABLE crawl_locks IN ACCESS EXCLUSIVE MODE"))

            def worker_waits_on_the_lock_table():
                with db.session() as s:
                    return s.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted "
                                         "AND relation = 'crawl_locks'::regclass"))

            w = Worker("w", env, tmp_path / "d", tmp_path / "archive", registry, "--parallel", "1", "--until-empty")
            try:
                assert _wait_for(worker_waits_on_the_lock_table, timeout=60), w.output()
                proxy.cut()
            finally:
                held.commit()
                blocker.close()
            assert _wait_for(lambda: any(f"portal {portal} is being harvested (scheduled) by other-machine" in ln
                                                 for ln in w.lines),
                             timeout=30), w.output()
            time.sleep(3)
            proxy.restore()
            assert w.wait(120) == 0, w.output()
            assert any("trying again until Redis is back" in ln for ln in w.lines), w.output()  # it did meet the cut
            assert w.done() == [portal], w.output()
            assert lost_reports(db, srv, universe.portals) == []
    finally:
        proxy.cut()
        db.dispose()


def test_a_nightly_harvest_the_queue_cannot_take_is_retried_then_recorded_not_skipped(tmp_path):
    """Cluster mode with the queue's Redis out of reach at a portal's scheduled time: the
    scheduler tries again, then records a health event (the night's harvest did not run)."""
    from harvester import scheduler
    from harvester.config import Config
    from storage.database import open_database
    from storage.models import HealthEvent

    registry = tmp_path / "portals.toml"
    registry.write_text('[[portal]]\nid = "a"\nname = "甲"\nurl = "http://127.0.0.1:9/"\n', encoding="utf-8")
    cfg = Config.from_env({"HARVESTER_DATA": str(tmp_path), "HARVESTER_PORTALS": str(registry),
                           "HARVESTER_REDIS_URL": "redis://127.0.0.1:1/0"})
    waits = []
    assert scheduler.enqueue_job(cfg, "a", sleep=waits.append) == scheduler.ENQUEUE_FAILED
    assert waits == list(scheduler.ENQUEUE_RETRY_DELAYS)
    db = open_database(cfg.db_url)
    with db.session() as s:
        events = [(e.portal_id, e.kind, e.status, e.detail) for e in s.query(HealthEvent)]
    db.dispose()
    assert len(events) == 1
    portal, kind, status, detail = events[0]
    assert (portal, kind, status) == ("a", "crashed", "open")
    assert "could not be put on the job queue" in detail and "redis://127.0.0.1:1/0" in detail


def test_a_nightly_harvest_is_enqueued_once_the_queue_is_back(redis_url, queue, tmp_path, monkeypatch):
    from harvester import cluster, scheduler
    from harvester.cluster import pending
    from harvester.config import Config

    registry = tmp_path / "portals.toml"
    registry.write_text('[[portal]]\nid = "a"\nname = "甲"\nurl = "http://127.0.0.1:9/"\n', encoding="utf-8")
    cfg = Config.from_env({"HARVESTER_DATA": str(tmp_path), "HARVESTER_PORTALS": str(registry),
                           "HARVESTER_REDIS_URL": redis_url, "HARVESTER_QUEUE": queue})
    real, calls = cluster.enqueue, []

    def flaky(*args, **kwargs):  # Redis cut for the first two attempts
        calls.append(1)
        if len(calls) <= 2:
            raise ConnectionError("Connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(cluster, "enqueue", flaky)
    waits = []
    assert scheduler.enqueue_job(cfg, "a", sleep=waits.append) == 0
    assert waits == list(scheduler.ENQUEUE_RETRY_DELAYS[:2])
    assert pending(cfg) == 1  # enqueued exactly once
    assert not (tmp_path / "harvester.db").exists() or _no_events(cfg)


def _no_events(cfg) -> bool:
    from storage.database import open_database
    from storage.models import HealthEvent

    db = open_database(cfg.db_url)
    try:
        with db.session() as s:
            return s.query(HealthEvent).count() == 0
    finally:
        db.dispose()
