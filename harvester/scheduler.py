"""Nightly harvests: APScheduler 3.x with its SQLAlchemy job store in the project database.

One cron job per registry portal, spread over a window after the harvest time (default
02:00 Asia/Shanghai, portals spread over 120 minutes), so portals on one platform are not all
hit at once. ``coalesce`` with a generous ``misfire_grace_time`` means a machine that was
off for several nights runs one catch-up harvest per portal when it comes back, not a burst.

In cluster mode (``HARVESTER_REDIS_URL`` set) a due harvest is put on the job queue instead
(``harvester.cluster``): the scheduler enqueues, ``harvester worker`` processes on any machine
execute. Run one scheduler per cluster.

Otherwise each harvest runs in a child process (``harvester crawl PORTAL --purpose scheduled``): a
Twisted reactor cannot be restarted in-process, and a child that crashes is recorded (a
"crashed" health event) while the schedule goes on. A thread pool bounds how many portals
are harvested at once. SIGTERM stops cleanly: no new harvest starts, running children get
SIGTERM (Scrapy finishes the pages in flight, closes its WARC files and records the run as
interrupted), and the scheduler waits for them.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from harvester.cli import EXIT_BUSY
from harvester.config import Config
from harvester.registry import PortalEntry

log = logging.getLogger(__name__)
JOB_PREFIX = "harvest:"
JOB_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class Schedule:
    at: str = "02:00"  # HH:MM, local time of ``timezone``
    timezone: str = "Asia/Shanghai"
    window_minutes: int = 120  # portals spread over this window after ``at``
    max_parallel: int = 2  # portals harvested at once
    catch_up_days: float = 7  # a night missed less than this long ago is caught up (once)
    settings: tuple[str, ...] = ()  # NAME=VALUE Scrapy settings for every harvest

    def times(self, n: int) -> list[tuple[int, int]]:
        """(hour, minute) for each of n portals, spread evenly over the window."""
        try:
            hh, mm = (int(x) for x in self.at.split(":"))
            if not (0 <= hh < 24 and 0 <= mm < 60):
                raise ValueError
        except ValueError:
            raise ValueError(f"harvest time must be HH:MM, got {self.at!r}") from None
        start = hh * 60 + mm
        step = self.window_minutes / n if n else 0
        return [(((start + int(i * step)) // 60) % 24, (start + int(i * step)) % 60) for i in range(n)]


# -- the job -------------------------------------------------------------------------------------
_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()


# A nightly harvest refused because its portal, or a host it shares with other portals, is busy
# with another harvest (a sibling portal's, a recrawl) is tried again this much later (a one-off
# job: no thread of the pool waits meanwhile) ...
BUSY_RETRY_AFTER = dt.timedelta(minutes=15)
# ... until this long after its first try; then the night is given up, and a health event says so.
BUSY_GIVE_UP_AFTER = dt.timedelta(hours=6)
RETRY_PREFIX = "retry:"  # job ids of those one-off tries (not registry jobs: sync_jobs leaves them)
_STOPPING = threading.Event()  # the scheduler of this process is stopping: a child's end is no news


def run_child(cfg: Config, portal_id: str, settings: tuple[str, ...] = (), busy_since: str | None = None) -> int:
    """Harvest one portal in a child process; record a crash as a health event. A portal found
    busy is tried again later (``busy_since``: when it was first found busy, ISO time)."""
    from harvester.recrawl import start_crawl_child

    logs = cfg.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    logfile = logs / f"{portal_id}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.log"
    with open(logfile, "w", encoding="utf-8") as fh:
        proc = start_crawl_child(cfg, portal_id, full=False, wait=0, purpose="scheduled",
                                 settings=settings, stdout=fh, stderr=subprocess.STDOUT)
        with _children_lock:
            _children.add(proc)
        try:
            rc = proc.wait()
        finally:
            with _children_lock:
                _children.discard(proc)
    if _STOPPING.is_set() and rc not in (0, 1):
        log.info("scheduled harvest of %s stopped with the scheduler (exit %s)", portal_id, rc)
    elif rc == EXIT_BUSY:
        _busy(cfg, portal_id, settings, logfile, busy_since)
    elif rc not in (0, 1):
        record_crash(cfg, portal_id, rc, logfile)
    log.info("scheduled harvest of %s ended with exit %s (log %s)", portal_id, rc, logfile)
    return rc


def _refusal(logfile: Path) -> str:
    try:
        return next((ln.split(": refused — ", 1)[1] for ln in logfile.read_text(encoding="utf-8").splitlines()
                     if ": refused — " in ln), "busy")
    except OSError:
        return "busy"


def _busy(cfg: Config, portal_id: str, settings: tuple[str, ...], logfile: Path, busy_since: str | None) -> None:
    """The harvest was refused: its portal or a host of it is being harvested by another process."""
    why = _refusal(logfile)
    if why.startswith(f"portal {portal_id} is being harvested (scheduled)"):
        # its own nightly harvest is running (the night's job and a retry of it met): done by that one
        log.info("scheduled harvest of %s not started: it is being harvested already (%s)", portal_id, why)
        return
    now = dt.datetime.now(dt.timezone.utc)
    first = dt.datetime.fromisoformat(busy_since) if busy_since else now
    if now - first < BUSY_GIVE_UP_AFTER:
        when = _retry_later(portal_id, settings, first, now + BUSY_RETRY_AFTER)
        if when is not None:
            log.warning("scheduled harvest of %s refused (%s); tried again at %s", portal_id, why,
                        when.isoformat(timespec="minutes"))
            return
    record_busy(cfg, portal_id, why, first, now, logfile)


def _retry_later(portal_id: str, settings: tuple[str, ...], first: dt.datetime, when: dt.datetime):
    """A one-off job trying the portal's harvest again at ``when``; None when there is no running
    scheduler in this process to hold it."""
    sched = _SCHEDULER
    if sched is None or not sched.running or _STOPPING.is_set():
        return None
    from apscheduler.triggers.date import DateTrigger

    sched.add_job("harvester.scheduler:scheduled_harvest", DateTrigger(run_date=when), id=RETRY_PREFIX + portal_id,
                  name=f"nightly harvest of {portal_id}, tried again (busy)",
                  args=[portal_id, list(settings), first.isoformat()], replace_existing=True)
    return when


def _record_crashed(cfg: Config, portal_id: str, detail: str, data: dict,
                    entries: list[PortalEntry] | None = None) -> None:
    """A "crashed" health event on the portal (the night's harvest did not happen as it should),
    notified. ``entries``: registry entries to make the portal's row from first, if missing."""
    from harvester.notify import Notifier
    from storage.database import open_database
    from storage.health import raise_event

    db = open_database(cfg.db_url)
    try:
        if entries:
            from harvester.crawl import sync_portals

            sync_portals(db, entries)  # the event needs the portal's row
        with db.session() as s:
            raise_event(s, portal_id, "crashed", detail, data=data)
        Notifier(cfg.notify).send_new_events(db)
    finally:
        db.dispose()


def record_busy(cfg: Config, portal_id: str, why: str, first: dt.datetime, now: dt.datetime,
                logfile: Path | None = None) -> None:
    """The night's harvest did not run: the portal or its host stayed busy with another harvest."""
    minutes = int((now - first).total_seconds() // 60)
    since = f", tried from {first.isoformat(timespec='minutes')} for {minutes} min" if minutes else ""
    _record_crashed(cfg, portal_id, f"the scheduled harvest did not run{since}: {why}",
                    {"busy_since": first.isoformat(), "log": str(logfile) if logfile else None})


def record_crash(cfg: Config, portal_id: str, returncode: int, logfile: Path | None) -> None:
    how = f"signal {-returncode}" if returncode < 0 else f"exit {returncode}"
    _record_crashed(cfg, portal_id,
                    f"the harvest process ended abnormally ({how}); the next run recovers what it archived",
                    {"returncode": returncode, "log": str(logfile) if logfile else None})


# Waits between attempts to put a nightly harvest on an unreachable queue (about 5 minutes in all).
ENQUEUE_RETRY_DELAYS = (5.0, 15.0, 40.0, 90.0, 150.0)
ENQUEUE_FAILED = 4  # run_job's result when a nightly harvest could not be enqueued


def enqueue_job(cfg: Config, portal_id: str, settings: tuple[str, ...] = (), *, sleep=time.sleep) -> int:
    """Cluster mode (``HARVESTER_REDIS_URL`` set): the portal's harvest goes on the job queue,
    for whichever ``harvester worker`` is free; the scheduler harvests nothing itself.

    A queue that cannot be reached is tried again (ENQUEUE_RETRY_DELAYS); when it stays out of
    reach, the night's harvest is not silently skipped: a ``crashed`` health event on the portal
    says so (and notifies), and the result is ENQUEUE_FAILED."""
    from harvester.cluster import enqueue
    from harvester.config import ConfigError
    from harvester.registry import load_registry, select

    entries = select(load_registry(cfg.registry), [portal_id])
    for attempt, delay in enumerate((*ENQUEUE_RETRY_DELAYS, None), start=1):
        try:
            harvest = enqueue(cfg, entries, purpose="scheduled", settings=settings)
        except Exception as exc:  # an unreachable or refusing Redis (ConfigError, redis-py's errors)
            problem = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            if delay is None:
                break
            log.warning("nightly harvest of %s not enqueued (attempt %d): %s; trying again in %.0f s",
                        portal_id, attempt, problem, delay)
            sleep(delay)
            continue
        log.info("nightly harvest of %s enqueued for the workers (harvest %s)", portal_id, harvest)
        return 0
    log.error("nightly harvest of %s NOT enqueued after %d attempts: %s", portal_id, len(ENQUEUE_RETRY_DELAYS) + 1,
              problem)
    record_not_enqueued(cfg, entries, problem)
    return ENQUEUE_FAILED


def record_not_enqueued(cfg: Config, entries: list[PortalEntry], problem: str) -> None:
    """The night's harvest of a portal never reached the workers: a health event, notified."""
    _record_crashed(cfg, entries[0].id,
                    f"the scheduled harvest could not be put on the job queue, so it did not run: {problem}",
                    {"queue": cfg.cluster.queue, "problem": problem}, entries=entries)


def run_job(cfg: Config, portal_id: str, settings: tuple[str, ...] = (), busy_since: str | None = None) -> int:
    """A nightly harvest: enqueued for the workers in cluster mode, else run here in a child."""
    if cfg.cluster.redis_url:
        return enqueue_job(cfg, portal_id, settings)
    return run_child(cfg, portal_id, settings, busy_since)


RUNNER = run_job  # tests replace this to observe when jobs fire
_ACTIVE: Config | None = None  # the configuration of the scheduler running in this process
_SCHEDULER = None  # that scheduler (for one-off retries of busy portals)


def scheduled_harvest(portal_id: str, settings: list[str] | tuple[str, ...] = (), busy_since: str | None = None
                      ) -> int:
    """The job APScheduler stores (by reference) and runs. Its stored arguments are the portal,
    its Scrapy settings and, for a retry, when the portal was first found busy: the database URL
    (which may carry a password) and the paths come from the scheduler running it, never from
    the job table."""
    if _ACTIVE is None:
        raise RuntimeError("scheduled_harvest runs only inside a scheduler made by build_scheduler")
    if busy_since:
        return RUNNER(_ACTIVE, portal_id, tuple(settings), busy_since=busy_since)
    return RUNNER(_ACTIVE, portal_id, tuple(settings))


# -- the scheduler -----------------------------------------------------------------------------
def build_scheduler(cfg: Config, schedule: Schedule, scheduler_cls=BackgroundScheduler):
    global _ACTIVE, _SCHEDULER
    _ACTIVE = cfg
    _SCHEDULER = scheduler_cls(
        jobstores={"default": SQLAlchemyJobStore(url=cfg.db_url, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(schedule.max_parallel)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(schedule.catch_up_days * 86400)},
        timezone=schedule.timezone,
    )
    return _SCHEDULER


def sync_jobs(scheduler, entries: list[PortalEntry], schedule: Schedule) -> dict[str, str]:
    """Make the stored jobs match the registry. An unchanged job keeps its next run time,
    so a night missed while the machine was off is still due (and caught up once)."""
    wanted = {}
    for e, (hh, mm) in zip(entries, schedule.times(len(entries))):
        wanted[JOB_PREFIX + e.id] = (e.id, CronTrigger(hour=hh, minute=mm, timezone=schedule.timezone))
    actions = {}
    stale = dt.datetime.now(dt.timezone.utc) - BUSY_GIVE_UP_AFTER
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            scheduler.remove_job(job.id)
            actions[job.id] = "removed"
        elif job.id.startswith(RETRY_PREFIX) and (
                JOB_PREFIX + job.id[len(RETRY_PREFIX):] not in wanted or _retry_started(job) < stale):
            # a retry of a portal gone from the registry, or of a night long over (the scheduler
            # was down): the portal's next nightly harvest stands for it
            scheduler.remove_job(job.id)
            actions[job.id] = "removed"
    for job_id, (pid, trigger) in wanted.items():
        job = scheduler.get_job(job_id)
        args = [pid, list(schedule.settings)]
        if job is not None and str(job.trigger) == str(trigger) and list(job.args) == args:
            actions[job_id] = "kept"
            continue
        scheduler.add_job(
            "harvester.scheduler:scheduled_harvest", trigger, id=job_id, name=f"nightly harvest of {pid}",
            args=args, replace_existing=True,
        )
        actions[job_id] = "added" if job is None else "updated"
    return actions


def _retry_started(job) -> dt.datetime:
    """When the portal of a ``retry:`` job was first found busy (its third argument)."""
    try:
        return dt.datetime.fromisoformat(job.args[2])
    except (IndexError, TypeError, ValueError):
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def serve(cfg: Config, entries: list[PortalEntry], schedule: Schedule, out=None, stop: threading.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT (or ``stop``), then stop cleanly."""
    import sys

    out = out or sys.stdout
    stop = stop or threading.Event()
    _STOPPING.clear()
    scheduler = build_scheduler(cfg, schedule)
    scheduler.start(paused=True)
    actions = sync_jobs(scheduler, entries, schedule)
    scheduler.resume()
    if cfg.cluster.redis_url:
        from storage.database import _redact

        print(f"cluster mode: each harvest is enqueued on queue {cfg.cluster.queue!r} at "
              f"{_redact(cfg.cluster.redis_url)} for `harvester worker`s to run", file=out)
    for job in sorted(scheduler.get_jobs(), key=lambda j: j.next_run_time):
        print(f"{job.name}: next run {job.next_run_time.isoformat(timespec='minutes')} ({actions.get(job.id, 'kept')})", file=out)
    out.flush()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    _STOPPING.set()
    print("schedule: stopping — no new harvests; running ones finish their pages in flight", file=out)
    out.flush()
    scheduler.shutdown(wait=False)
    with _children_lock:
        running = list(_children)
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    for proc in running:
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print(f"schedule: stopped ({len(running)} running harvest(s) ended)", file=out)
    return 0
