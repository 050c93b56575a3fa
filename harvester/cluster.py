"""One harvest shared by several machines: a Redis job queue (dramatiq) of portal harvests.

A job is one portal's harvest. ``enqueue`` puts jobs on the queue (``harvester enqueue``, or the
scheduler in cluster mode); ``run_worker`` (``harvester worker``) takes them, each in a child
process ``harvester crawl PORTAL`` (a Twisted reactor runs once per process), several at once.
Every worker writes to the one store (PostgreSQL) and the one archive directory; its WARC files
are named after its host and process.

Why it holds together:

- **Politeness across the cluster.** A portal is harvested by one process at a time: the child
  takes the portal's lock in the store (``harvester.locks``) and a lease on each of its hosts,
  so its per-host limits hold for the whole cluster, whatever the number of workers, also when
  portals share a host (a job whose host is busy is handed back, as one whose portal is).
- **A killed worker loses nothing.** dramatiq's Redis broker keeps a job it handed out in that
  worker's set of unacknowledged messages until the job ends; every worker heartbeats (each
  poll of the broker), and a worker silent for ``HARVESTER_WORKER_HEARTBEAT`` seconds is
  dead: the others put its jobs back on the queue. Its crawl children die with it
  (``die_with_parent``); its portal locks are taken over (at once on the same machine,
  after their lease on another), and the next harvest of each portal recovers the dead run
  from the archive and resumes it: pages already archived are read from there, not fetched.
- **A job is done once per harvest.** A job delivered twice (a worker taken for dead while
  it was only slow) finds the portal busy and comes back later, or finds it harvested since
  the job was enqueued and ends at once.
- **Stopping.** SIGTERM (or SIGINT): no new job is taken, running harvests get SIGTERM (Scrapy
  finishes the pages in flight and records the run as interrupted) and their jobs go back on
  the queue, where another worker resumes them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import IO

from harvester.cli import EXIT_BUSY
from harvester.config import Config
from harvester.registry import PortalEntry, parse_registry

log = logging.getLogger(__name__)

QUEUE = "harvest"  # the dramatiq queue of portal jobs, under the HARVESTER_QUEUE key prefix
ACTOR = "harvest_portal"
# Of a million broker calls, how many also look for dead workers' jobs to put back on the queue
# (dramatiq's default is 1,000: a dead worker's jobs could wait many minutes on a quiet cluster).
MAINTENANCE_CHANCE = 100_000
CRASH_RETRIES = 3  # a harvest process that crashed is tried again this many times
PARENT_ENV = "HARVESTER_PARENT_PID"  # set by a worker for its crawl children (see die_with_parent)


class HarvestCrashed(RuntimeError):
    """The harvest process of a job ended abnormally (retried, then given up)."""


def _broker(cfg: Config):
    """dramatiq's Redis broker on the cluster's queue, with the harvest actor declared."""
    import dramatiq
    import redis
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import AgeLimit, CurrentMessage

    if not cfg.cluster.redis_url:
        from harvester.config import ConfigError

        raise ConfigError("no Redis for the job queue: give --redis URL or set HARVESTER_REDIS_URL")
    # No TimeLimit middleware: a portal's harvest takes as long as its politeness needs.
    broker = RedisBroker(url=cfg.cluster.redis_url, namespace=cfg.cluster.queue,
                         heartbeat_timeout=int(cfg.cluster.heartbeat * 1000), maintenance_chance=MAINTENANCE_CHANCE,
                         middleware=[AgeLimit(), CurrentMessage(),
                                     _patient_retries(max_retries=CRASH_RETRIES, min_backoff=1000,
                                                      retry_when=_retry_when)])
    try:
        broker.client.ping()
    except redis.RedisError as exc:
        from harvester.config import ConfigError

        broker.close()
        raise ConfigError(f"cannot reach the job queue's Redis at {_redact(cfg.cluster.redis_url)}: {exc}") from None
    actor = dramatiq.actor(_harvest_job, actor_name=ACTOR, queue_name=QUEUE, broker=broker)
    return broker, actor


def _patient_retries_class():
    import redis
    from dramatiq.middleware import Retries

    class PatientRetries(Retries):
        """dramatiq's retries, which put a job handed back or crashed on the queue again: if Redis
        cannot be reached at that moment, they try again until it can. (dramatiq logs the
        failure and goes on to ack the job once Redis is back: the job was lost.)"""

        def after_process_message(self, broker, message, *, result=None, exception=None):
            said = False
            while True:
                try:
                    return super().after_process_message(broker, message, result=result, exception=exception)
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    if not said:
                        log.warning("cannot put job %s back on the queue (%s); trying again until Redis is back",
                                    message.message_id, exc)
                        said = True
                    time.sleep(2)

    return PatientRetries


def _patient_retries(**kw):
    return _patient_retries_class()(**kw)


def _retry_when(retries: int, exc: BaseException) -> bool:
    import dramatiq

    # A job handed back (busy portal, stopping worker) always returns; a crash a few times.
    # dramatiq's ``retries`` counts the hand-backs too: a portal found busy three times would
    # not be tried again after its first crash. Failures are counted apart (``_count_failure``).
    if isinstance(exc, dramatiq.Retry):
        return True
    if isinstance(exc, BadJob):  # the same again the next time
        return False
    return getattr(exc, "harvester_failures", retries + 1) <= CRASH_RETRIES


def _count_failure(exc: BaseException) -> None:
    """One more failure (a crash, an error) of the job being processed: counted in its message,
    which goes back on the queue with it, and noted on ``exc`` for ``_retry_when``."""
    from dramatiq.middleware import CurrentMessage

    message = CurrentMessage.get_current_message()
    if message is None:
        return
    failures = int(message.options.get("harvester_failures", 0)) + 1
    message.options["harvester_failures"] = failures
    try:
        exc.harvester_failures = failures
    except AttributeError:  # an exception without a __dict__: counted by dramatiq's retries
        pass


# -- feeding a harvest ---------------------------------------------------------------------------
def entry_json(e: PortalEntry) -> dict:
    return {"id": e.id, "name": e.name, "url": e.url, "columns": list(e.columns), "family": e.family,
            "robots": e.robots, "robots_reason": e.robots_reason, "hosts": list(e.hosts)}


def entry_toml(entry: dict) -> str:
    """A one-portal registry of a job's entry (read back by ``parse_registry``)."""
    from harvester.sim.server import _toml_str

    lines = ["[[portal]]"]
    for key in ("id", "name", "url", "family", "robots", "robots_reason"):
        if entry.get(key) is not None:
            lines.append(f"{key} = {_toml_str(str(entry[key]))}")
    for key in ("columns", "hosts"):
        if entry.get(key):
            lines.append(f"{key} = [{', '.join(_toml_str(str(v)) for v in entry[key])}]")
    return "\n".join(lines) + "\n"


def enqueue(cfg: Config, entries: list[PortalEntry], *, full: bool = False, purpose: str = "manual",
            settings: tuple[str, ...] = ()) -> str:
    """Put one job per portal on the queue; returns the harvest's id. The job carries the
    portal's registry entry, so workers need no copy of the registry."""
    broker, actor = _broker(cfg)
    harvest = {"id": uuid.uuid4().hex[:12], "enqueued_at": dt.datetime.now(dt.timezone.utc).isoformat(),
               "full": full, "purpose": purpose, "settings": list(settings)}
    try:
        for e in entries:
            actor.send(entry_json(e), harvest)
    finally:
        broker.close()
    return harvest["id"]


def pending(cfg: Config) -> int:
    """Jobs not finished yet: queued, delayed (handed back) or being harvested, on any worker."""
    broker, _ = _broker(cfg)
    try:
        return int(broker.do_qsize(QUEUE))
    finally:
        broker.close()


# -- the worker ---------------------------------------------------------------------------------
@dataclasses.dataclass
class _Worker:
    cfg: Config
    name: str
    out: IO[str]
    stopping: threading.Event
    jobs_dir: Path
    children: set = dataclasses.field(default_factory=set)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    done: int = 0

    def say(self, line: str) -> None:
        with self.lock:
            self.out.write(f"{dt.datetime.now().strftime('%H:%M:%S')} worker {self.name}: {line}\n")
            self.out.flush()


_ACTIVE: _Worker | None = None  # the worker running in this process


def _harvested_since(cfg: Config, portal_id: str, since: dt.datetime) -> str | None:
    """The status of a harvest of the portal that started after ``since`` and ended (not
    interrupted, not dead), if there is one."""
    from sqlalchemy import select

    from storage.database import shared_database
    from storage.models import CrawlRun

    db = shared_database(cfg.db_url)
    with db.session() as s:
        return s.scalars(select(CrawlRun.status).where(
            CrawlRun.portal_id == portal_id, CrawlRun.started >= since,
            CrawlRun.status.not_in(("running", "interrupted"))).limit(1)).first()


def _held_by_another(cfg: Config, portal: PortalEntry) -> str | None:
    """Why the portal cannot be harvested now (``harvester.locks.held_elsewhere``): a cheap look
    before a harvest process is started for it; the harvest itself takes the locks (and would
    refuse the same way)."""
    from harvester.locks import entry_hosts, held_elsewhere
    from storage.database import shared_database

    return held_elsewhere(shared_database(cfg.db_url), portal.id, entry_hosts(portal))


def _last_run_id(cfg: Config, portal_id: str) -> int:
    """The id of the portal's latest crawl run (0: none)."""
    from sqlalchemy import func, select

    from storage.database import shared_database
    from storage.models import CrawlRun

    with shared_database(cfg.db_url).session() as s:
        return s.scalar(select(func.max(CrawlRun.id)).where(CrawlRun.portal_id == portal_id)) or 0


def _record_crash(cfg: Config, entry: PortalEntry, rc: int, logfile: Path) -> None:
    """A "crashed" health event for the portal. The harvest may have died before it made the
    portal's row (a full disk, a store error at its start): the row is made here from the job's
    entry, as the harvest would have, so the event can be recorded."""
    from sqlalchemy.exc import IntegrityError

    from harvester.crawl import sync_portals
    from harvester.scheduler import record_crash
    from storage.database import shared_database

    try:
        sync_portals(shared_database(cfg.db_url), [entry])
    except IntegrityError:  # made by another process at the same moment
        pass
    record_crash(cfg, entry.id, rc, logfile)


def _harvest_job(entry: dict, harvest: dict) -> None:
    """One portal's harvest, in a child process; runs in one of the worker's threads."""
    import dramatiq

    try:
        _harvest(entry, harvest)
    except dramatiq.Retry:
        raise
    except Exception as exc:
        if _store_unreachable(exc):
            # Not the job's fault: counted as a failure, every job taken while PostgreSQL is down
            # (a restart, a failover) would be dead-lettered within seconds, the whole harvest with
            # them. The job waits for the store instead, on the queue.
            w = _ACTIVE
            delay = max(5, int(w.cfg.cluster.heartbeat if w else 60))
            if w is not None:
                w.say(f"{_job_name(entry)}: the store cannot be reached ({_first_line(exc)}); back on the queue "
                      f"for {delay} s")
            raise dramatiq.Retry("the store cannot be reached", delay=delay * 1000) from None
        _count_failure(exc)
        raise


def _store_unreachable(exc: BaseException) -> bool:
    """The store cannot be opened or reached (connection refused or lost, server restarting)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    from storage.database import DatabaseError

    if isinstance(exc, (DatabaseError, OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _job_name(entry) -> str:
    return str(entry.get("id")) if isinstance(entry, dict) else "a job"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _harvest(entry: dict, harvest: dict) -> None:
    import dramatiq

    w = _ACTIVE
    if w is None:
        raise RuntimeError("harvest jobs run only inside `harvester worker`")
    # A job is read before anything is done with it: its entry names files (an id such as
    # "../../x" must not write outside the worker's directories), its settings reach Scrapy.
    portal, since = _read_job(w, entry, harvest)
    pid = portal.id
    if w.stopping.is_set():
        raise dramatiq.Retry("the worker is stopping", delay=0)
    status = _harvested_since(w.cfg, pid, since)
    if status is not None:
        w.say(f"{pid}: already harvested in this harvest ({status}), nothing to do")
        return
    busy = _held_by_another(w.cfg, portal)
    if busy is not None:
        delay = int(w.cfg.cluster.heartbeat * 1000)
        w.say(f"{pid}: {busy}; back on the queue for {delay // 1000} s")
        raise dramatiq.Retry(f"portal {pid} is busy", delay=delay)
    # a file of this job's own: two jobs of one portal at once never write one file
    registry = w.jobs_dir / f"{pid}-{uuid.uuid4().hex[:8]}.toml"
    registry.write_text(entry_toml(entry_json(portal)), encoding="utf-8")
    try:
        _run_harvest(w, portal, harvest, registry)
    finally:
        registry.unlink(missing_ok=True)


class BadJob(ValueError):
    """A job that cannot be harvested as it is (an invalid registry entry, a malformed message):
    never tried again, it goes to the queue's dead letters (kept 7 days) and the worker says why."""


def _read_job(w: _Worker, entry, harvest) -> tuple[PortalEntry, dt.datetime]:
    from harvester.registry import RegistryError

    try:
        if not isinstance(entry, dict) or not isinstance(harvest, dict):
            raise BadJob(f"a job is (registry entry, harvest), two objects; got {type(entry).__name__}, "
                         f"{type(harvest).__name__}")
        portal = parse_registry(entry_toml(entry), f"the job's registry entry (harvest {harvest.get('id')})")[0]
        since = dt.datetime.fromisoformat(str(harvest.get("enqueued_at")))
        if since.tzinfo is None:
            raise ValueError("enqueued_at has no time zone")
        for item in harvest.get("settings") or ():
            if not isinstance(item, str) or "=" not in item:
                raise BadJob(f"settings: expected NAME=VALUE, got {item!r}")
    except (BadJob, RegistryError, ValueError, TypeError) as exc:
        w.say(f"a job that cannot be harvested, dropped to the queue's dead letters: {exc}")
        raise BadJob(str(exc)) from None
    return portal, since


def _run_harvest(w: _Worker, portal: PortalEntry, harvest: dict, registry: Path) -> None:
    import dramatiq

    from harvester.recrawl import start_crawl_child

    pid = portal.id
    cfg = dataclasses.replace(w.cfg, registry=registry)
    logs = cfg.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    logfile = logs / f"{pid}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%fZ}-{w.name.replace(':', '-')}.log"
    started = time.monotonic()
    last_run = _last_run_id(cfg, pid)
    stopped = False
    with open(logfile, "w", encoding="utf-8") as fh:
        proc = start_crawl_child(cfg, pid, full=bool(harvest.get("full")), wait=0,
                                 purpose=harvest.get("purpose") or "manual",
                                 settings=tuple(harvest.get("settings") or ()), stdout=fh, stderr=subprocess.STDOUT,
                                 # a Ctrl-C in the worker's terminal reaches the worker only: it sends the
                                 # harvest one SIGTERM (a second signal is Scrapy's unclean stop)
                                 start_new_session=True)
        with w.lock:
            w.children.add(proc)
        w.say(f"{pid}: harvesting (harvest {harvest.get('id')}, process {proc.pid}, log {logfile})")
        try:
            while True:
                try:
                    rc = proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    if w.stopping.is_set() and not stopped:
                        proc.send_signal(signal.SIGTERM)
                        stopped = True
        finally:
            with w.lock:
                w.children.discard(proc)
    took = time.monotonic() - started
    if stopped or (w.stopping.is_set() and rc != 0):
        w.say(f"{pid}: stopped after {took:.1f} s (exit {rc}); back on the queue, to be resumed")
        raise dramatiq.Retry("the worker stopped", delay=0)
    if rc == EXIT_BUSY:
        delay = int(w.cfg.cluster.heartbeat * 1000)  # a dead holder's lease is renewed no more
        w.say(f"{pid}: it, or a portal on one of its hosts, is being harvested by another process; back on the "
              f"queue for {delay // 1000} s")
        raise dramatiq.Retry(f"portal {pid} is busy", delay=delay)
    # 1: the portal failed or was blocked, which its run records. Without a run, the harvest
    # never started (a full disk, an uncaught error: Python exits 1 too): a crash, not done.
    if rc in (0, 1) and _last_run_id(cfg, pid) > last_run:
        with w.lock:
            w.done += 1
        w.say(f"{pid}: done (exit {rc}) in {took:.1f} s")
        return
    _record_crash(cfg, portal, rc, logfile)
    w.say(f"{pid}: the harvest process ended abnormally (exit {rc}); tried again (log {logfile})")
    raise HarvestCrashed(f"portal {pid}: the harvest process ended abnormally (exit {rc}); log {logfile}")


def run_worker(cfg: Config, *, parallel: int = 2, name: str | None = None, out: IO[str] | None = None,
               until_empty: bool = False, stop: threading.Event | None = None) -> int:
    """Take portal jobs from the queue and harvest them, ``parallel`` at once, until SIGTERM or
    SIGINT (or ``stop``); with ``until_empty``, also once no job is left anywhere (queued,
    handed back or being harvested by any worker)."""
    import dramatiq
    import redis

    from storage.database import open_database

    global _ACTIVE
    out = out or sys.stdout
    if parallel < 1:
        from harvester.config import ConfigError

        raise ConfigError(f"--parallel must be at least 1, got {parallel}")
    broker, _actor = _broker(cfg)  # an unreachable Redis fails here, as one line
    cfg.prepare()
    # The store is migrated here, once per worker (several starting at once take turns), and
    # fails here, as one line, when it cannot be opened.
    try:
        open_database(cfg.db_url).dispose()
    except BaseException:
        broker.close()
        raise
    os.environ[PARENT_ENV] = str(os.getpid())
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    stop = stop or threading.Event()
    with tempfile.TemporaryDirectory(prefix="harvester-jobs-") as jobs_dir:
        w = _ACTIVE = _Worker(cfg, name, out, threading.Event(), Path(jobs_dir))
        worker = dramatiq.Worker(broker, worker_threads=parallel, worker_timeout=500)
        # Take only as many jobs as there are free harvest slots: a job waiting in one worker's
        # memory is a job another, idle worker cannot have.
        worker.queue_prefetch = parallel
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        worker.start()
        w.say(f"started: {parallel} portal(s) at once, queue {cfg.cluster.queue!r} on "
              f"{_redact(cfg.cluster.redis_url)}, store {_redact(cfg.db_url)}, archive {cfg.archive_dir}")
        try:
            unreachable = False
            while not stop.wait(1.0):
                if not until_empty:
                    continue
                # Redis restarting, or a network cut, is no reason to stop: the harvests go on
                # (dramatiq reconnects, and acks their jobs once it can) and so does the wait.
                try:
                    left = int(broker.do_qsize(QUEUE))
                except redis.RedisError as exc:
                    if not unreachable:
                        w.say(f"cannot reach the job queue's Redis ({exc}); waiting for it")
                    unreachable = True
                    continue
                if unreachable:
                    w.say("the job queue's Redis is back")
                    unreachable = False
                if left == 0:
                    w.say("no job left on the queue")
                    break
        finally:
            w.stopping.set()
            with w.lock:
                running = list(w.children)
            if running:  # each job's thread sends its harvest one SIGTERM (a second one is Scrapy's unclean stop)
                w.say(f"stopping: {len(running)} harvest(s) finish their pages in flight and go back on the queue")
            worker.stop(timeout=180_000)
            broker.close()
            w.say(f"stopped ({w.done} portal(s) harvested)")
            _ACTIVE = None
    return 0


def _redact(url: str | None) -> str:
    from storage.database import _redact as redact

    return redact(url) if url else "-"


def die_with_parent() -> None:
    """In a worker's crawl child: die when the worker dies (Linux), so a SIGKILLed worker leaves
    no harvest running on its own; its jobs go back on the queue and are resumed elsewhere."""
    parent = os.environ.get(PARENT_ENV)
    if not parent:
        return
    os.environ.pop(PARENT_ENV, None)  # not passed on to this process's own children
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            log.warning("could not tie this harvest to its worker's life (prctl)")
    if str(os.getppid()) != parent:  # the worker died before the line above
        os._exit(1)
