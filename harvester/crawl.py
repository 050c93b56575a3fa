"""Running harvests of registry portals with Scrapy, in this process.

A Twisted reactor runs once per process: ``run_crawl`` is called at most once per process
(the CLI, a scheduled child process, a test's subprocess).
"""
from __future__ import annotations

import logging
import signal
import time
from pathlib import Path
from typing import Callable

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.python.failure import Failure

from harvester.registry import PortalEntry
from spiders import spider_for
from storage.database import Database
from storage.models import Portal

log = logging.getLogger(__name__)


class NetworkErrorsWithoutTraceback(logging.Filter):
    """A refused connection, a DNS failure or a timeout is one log line, not a traceback:
    the message already names the URL and the cause, and the run records it."""

    def filter(self, record: logging.LogRecord) -> bool:
        from twisted.internet import error as terr

        exc = record.exc_info[1] if record.exc_info else None
        seen = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            if isinstance(exc, (terr.ConnectError, terr.DNSLookupError, terr.TimeoutError, TimeoutError, ConnectionError)):
                record.exc_info = None
                record.exc_text = None
                break
            exc = exc.__cause__ or exc.__context__
        return True


class BeforeEachRecord(logging.Filter):
    """Calls ``hook`` before a log record is written (a live progress line wipes itself first)."""

    def __init__(self, hook: Callable[[], None]):
        super().__init__()
        self.hook = hook

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self.hook()
        except Exception:
            pass
        return True


class HarvestProgress:
    """Where a harvest of many portals stands, for a live line: portals done, in flight and
    failed; pages; reports new and changed; errors; pages per second; an ETA.

    Read in the reactor thread from the crawlers' memory (each store pipeline's counts), never
    from the database per tick. Only the portals in flight are held (their crawlers); when a
    portal's crawl ends its counts are added to the totals and its crawler is let go, so the
    figures of a harvest of thousands of portals take the room of a few numbers a portal. A
    portal's final status is read once, in a thread, when its crawl ends (failed or blocked
    counts as failed, as in the exit status).
    """

    FAILED = ("failed", "blocked")
    COUNTS = ("pages", "new", "changed", "errors")

    def __init__(self, db: Database, total: int, show: Callable[[str], None]):
        self.db, self.total, self.show = db, total, show
        self.started = time.monotonic()
        self.crawlers: dict[str, object] = {}  # in flight only
        self.pipelines: dict[str, object] = {}  # in flight only
        self.ended_counts = dict.fromkeys(self.COUNTS, 0)
        self.done: dict[str, str] = {}  # portal -> final status ("?" until read)
        self.unread: dict[str, int] = {}  # portal -> its run, while its status is being read

    def start(self, portal_id: str, crawler) -> None:
        self.crawlers[portal_id] = crawler

    def end(self, portal_id: str, run_id: int | None) -> None:
        """The portal's crawl ended (``run_id`` None: it never started, a failure)."""
        from twisted.internet import threads

        pipe = self._pipeline(portal_id)
        if pipe is not None:
            for k, v in self._counts(pipe).items():
                self.ended_counts[k] += v
        self.crawlers.pop(portal_id, None)
        self.pipelines.pop(portal_id, None)
        if run_id is None:
            self.done[portal_id] = "failed"
            return
        self.done[portal_id] = "?"
        self.unread[portal_id] = run_id

        def read(status):
            self.done[portal_id] = status
            self.unread.pop(portal_id, None)

        threads.deferToThread(self._status_of, run_id).addCallbacks(
            read, lambda f: log.debug("portal %s: status not read: %s", portal_id, f.getErrorMessage()))

    def settle(self) -> None:
        """Read the statuses still unknown (the reactor has stopped: called from its thread's end)."""
        for pid, run_id in list(self.unread.items()):
            try:
                self.done[pid] = self._status_of(run_id)
                self.unread.pop(pid, None)
            except Exception:
                log.debug("portal %s: status not read", pid, exc_info=True)

    def _status_of(self, run_id: int) -> str:
        from storage.models import CrawlRun

        with self.db.session() as s:
            run = s.get(CrawlRun, run_id)
            return run.status if run is not None else "failed"

    @staticmethod
    def _counts(pipe) -> dict[str, int]:
        return {"pages": pipe.counts["pages"], "new": pipe.counts["new"], "changed": pipe.counts["changed"],
                "errors": len(pipe.errors)}

    def _pipeline(self, portal_id: str):
        """The crawl's store pipeline (its counts are the run's, before they are written)."""
        from pipelines.store import StorePipeline

        found = self.pipelines.get(portal_id)
        if found is None:
            try:
                stages = self.crawlers[portal_id].engine.scraper.itemproc.middlewares
            except (AttributeError, KeyError, RuntimeError):  # not started yet, or over
                return None
            found = next((m for m in stages if isinstance(m, StorePipeline)), None)
            if found is not None:
                self.pipelines[portal_id] = found
        return found

    def figures(self) -> dict:
        totals = dict(self.ended_counts)
        for pid in self.crawlers:
            pipe = self._pipeline(pid)
            if pipe is not None:
                for k, v in self._counts(pipe).items():
                    totals[k] += v
        return {"total": self.total, "done": len(self.done), "in_flight": len(self.crawlers),
                "failed": sum(1 for v in self.done.values() if v in self.FAILED),
                **totals, "elapsed": time.monotonic() - self.started}

    def line(self) -> str:
        f = self.figures()
        elapsed = f["elapsed"]
        rate = f["pages"] / elapsed if elapsed > 0 else 0.0
        if f["done"] >= f["total"]:
            eta = "finished"
        elif f["done"]:
            eta = f"ETA {_duration(elapsed / f['done'] * (f['total'] - f['done']))}"
        else:
            eta = "ETA unknown"
        return (f"portals {f['done']}/{f['total']} done, {f['in_flight']} in flight, {f['failed']} failed — "
                f"pages {f['pages']}, reports new {f['new']} / changed {f['changed']}, errors {f['errors']}, "
                f"{rate:.1f} pages/s, {eta}, {_duration(elapsed)}")

    def tick(self) -> None:
        try:
            self.show(self.line())
        except Exception:  # progress is never a reason to stop a harvest
            log.debug("progress line failed", exc_info=True)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def crawl_settings(db_url: str, archive_dir: str, overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    settings.set("HARVESTER_DB_URL", db_url, priority="cmdline")
    settings.set("HARVESTER_ARCHIVE_DIR", archive_dir, priority="cmdline")
    for k, v in (overrides or {}).items():
        settings.set(k, v, priority="cmdline")
    return settings


def sync_portals(db: Database, entries: list[PortalEntry]) -> None:
    """Registry entries become (or update) portal rows. Two processes making one new portal's
    row at once (two workers of a cluster given the same portal): the one that loses the insert
    updates the row the other made, instead of failing."""
    from sqlalchemy.exc import IntegrityError

    for attempt in range(2):
        try:
            with db.session() as s:
                for e in entries:
                    p = s.get(Portal, e.id)
                    if p is None:
                        p = Portal(id=e.id)
                        s.add(p)
                    p.name, p.url, p.family, p.columns = e.name, e.url, e.family, list(e.columns)
            return
        except IntegrityError:
            if attempt:
                raise


def _reserve_dirs(db: Database, archive_dir: str) -> list[Path]:
    from storage.failure import reserve_dirs

    dirs = [Path(archive_dir)]
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        dirs.append(Path(url.database).resolve().parent)
    return reserve_dirs(*dirs)


def run_crawl(
    db: Database,
    entries: list[PortalEntry],
    archive_dir: str,
    overrides: dict | None = None,
    mode: str = "auto",
    *,
    purpose: str = "manual",
    wait: float = 0.0,
    progress: Callable[[str], None] | None = None,
    progress_every: float = 1.0,
    before_log: Callable[[], None] | None = None,
) -> tuple[list[int], list[tuple[str, str]]]:
    """Harvest the portals side by side, each under its lock, at most HARVESTER_PORTALS_IN_FLIGHT
    at once (``PortalWindow``: the next starts when one ends).

    ``mode``: "auto" (full pass when the last one is older than HARVESTER_FULL_EVERY_DAYS,
    else incremental), "full" or "incremental". A portal already being harvested elsewhere
    is waited for up to ``wait`` seconds, then refused. A portal whose last run died (or was
    stopped by a full disk) is recovered from the archive first, and the new run resumes it.

    Returns the ids of the runs this call created (exactly those: not a concurrent
    process's; a portal that could not start has a failed run) and the refused portals with
    the reason (also those a shutdown or a full disk kept from starting). A full or read-only disk stops every
    portal of the call: ``storage.failure.GUARD.cause`` says why (StorageFailed when it
    happens before the crawl starts).

    ``progress``, when given, is called in the reactor thread every ``progress_every`` seconds,
    and once at the end, with a ``HarvestProgress`` line about every portal of the call;
    ``before_log`` is called before each log record is written (to wipe a live line).
    """
    from storage.failure import GUARD, StorageFailed, describe

    GUARD.reset()
    try:
        return _run_crawl(db, entries, archive_dir, overrides, mode, purpose=purpose, wait=wait,
                          progress=progress, progress_every=progress_every, before_log=before_log)
    except StorageFailed:
        raise
    except Exception as exc:
        cause = describe(exc, db.url)
        if cause is None:
            raise
        raise StorageFailed(cause) from exc


class _Process(CrawlerProcess):
    """Scrapy's process, telling the window when a shutdown (Ctrl-C, SIGTERM) stops its
    crawlers: no portal is started after that."""

    window: PortalWindow | None = None

    def stop(self):
        if self.window is not None:
            self.window.stop()
        return super().stop()


class PortalWindow:
    """At most ``limit`` portals in flight at once (HARVESTER_PORTALS_IN_FLIGHT): the next
    portal starts when one ends, so a harvest holds ``limit`` crawlers, never one per portal.

    Runs in the reactor thread. A portal in flight is first recovered, in a thread (the store
    brought in line with what a dead run archived: ``storage.recovery``; then what the store knows
    about it is read, for its crawl's ``CrawlContext``), then crawled by its own
    Scrapy crawler; when that ends, its run id is kept (not the crawler) and its lock released.
    A portal that cannot be recovered or whose crawler cannot start gets a failed run naming
    the cause, and the others go on. A shutdown or a full disk starts no more portals; those
    not started are listed in ``not_started``. ``done`` fires when the last portal in flight
    has ended.
    """

    def __init__(self, process: CrawlerProcess, db: Database, archive_dir: str, entries: list[PortalEntry],
                 mode: str, limit: int, heartbeat, watch: HarvestProgress | None = None,
                 on_start: Callable[[], None] | None = None, hosts: dict[str, str] | None = None,
                 hosts_of: dict[str, list[str]] | None = None):
        from collections import deque

        from twisted.internet import defer

        self.process, self.db, self.archive_dir, self.mode = process, db, Path(archive_dir), mode
        self.limit = max(1, limit)
        self.heartbeat, self.watch, self.on_start = heartbeat, watch, on_start
        self.queue = deque(entries)
        # the host leases held (host -> lock key), each portal's hosts until it ends, and how
        # many portals still to end use each host: a host's lease is given back with its last portal
        self.host_locks = dict(hosts or {})
        self.hosts_of = dict(hosts_of or {})
        self.host_users: dict[str, int] = {}
        for hosts_of_one in self.hosts_of.values():
            for h in hosts_of_one:
                self.host_users[h] = self.host_users.get(h, 0) + 1
        self.in_flight: set[str] = set()
        self.recovering: set[str] = set()  # in flight, its crawler not started yet
        self.most_in_flight = 0
        self.run_ids: list[int] = []
        self.stopping = False
        self.done = defer.Deferred()

    def stop(self) -> None:
        self.stopping = True

    @property
    def not_started(self) -> list[str]:
        return [e.id for e in self.queue] + sorted(self.recovering)

    def start(self) -> None:
        self._fill()

    def _fill(self) -> None:
        from storage.failure import GUARD

        while len(self.in_flight) < self.limit and self.queue and not self.stopping and not GUARD.tripped:
            self._launch(self.queue.popleft())
        if not self.in_flight and not self.done.called:
            self.done.callback(None)

    def _launch(self, e: PortalEntry) -> None:
        from twisted.internet import threads

        self.in_flight.add(e.id)
        self.recovering.add(e.id)
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
        d = threads.deferToThread(self._recover, e.id)
        d.addCallback(lambda state: self._crawl(e, state))
        d.addErrback(self._failed, e)
        d.addBoth(self._ended, e.id)

    def _recover(self, portal_id: str):
        """In a thread: bring the store in line with what the portal's dead runs archived, then
        read what the store knows about the portal (its crawl's ``CrawlContext`` state)."""
        from harvester.extraction import read_page
        from storage.recovery import recover_portal
        from storage.state import load_portal_state

        rec = recover_portal(self.db, self.archive_dir, portal_id, read_page=read_page)
        if rec.runs:
            log.warning("portal %s: run(s) %s had died or were stopped by the disk; %d captures recovered from "
                        "the archive%s", portal_id, rec.runs, rec.stored,
                        f", torn records set aside in {rec.torn}" if rec.torn else "")
        return load_portal_state(self.db, portal_id)

    def _crawl(self, e: PortalEntry, state=None):
        """Start the portal's crawler; the deferred fires with its run id when it has ended."""
        from storage.failure import GUARD

        if self.stopping or GUARD.tripped:  # stopped while it was being recovered: not started
            return None
        self.recovering.discard(e.id)
        crawler = self.process.create_crawler(spider_for(e.family))
        crawler.preloaded_portal_state = state  # read in the thread: the reactor does not wait for it
        d = self.process.crawl(crawler, portal_id=e.id, url=e.url, columns=list(e.columns), mode=self.mode,
                               **e.spider_kwargs())
        if self.on_start is not None:
            self.on_start()
        if self.watch is not None:
            self.watch.start(e.id, crawler)

        def ended(result):
            run_id = _run_of(crawler)
            if isinstance(result, Failure) and run_id is None:
                return result  # it never started: recorded by _failed
            if isinstance(result, Failure):
                log.error("portal %s: crawl ended with an error: %s", e.id, result.getErrorMessage())
            return run_id

        return d.addBoth(ended)

    def _failed(self, failure: Failure, e: PortalEntry):
        """The portal could not be recovered or crawled: a failed run says why (in a thread)."""
        from twisted.internet import threads

        from storage.failure import GUARD, describe

        self.recovering.discard(e.id)
        cause = describe(failure.value) if isinstance(failure.value, Exception) else None
        if cause is not None:  # a full or read-only disk (e.g. while recovering): the whole harvest stops
            GUARD.trip(cause)
        why = f"could not be crawled: {failure.getErrorMessage() or failure.type.__name__}"
        log.error("portal %s %s", e.id, why)
        log.debug("portal %s: %s", e.id, failure.getTraceback())
        if GUARD.tripped:  # the disk is full: nothing more is written
            return None
        d = threads.deferToThread(_record_failed_run, self.db, e, self.mode, why)
        d.addErrback(lambda f: log.error("portal %s: the failure was not recorded: %s", e.id, f.getErrorMessage()))
        return d

    def _ended(self, run_id, portal_id: str):
        from twisted.internet import threads

        if isinstance(run_id, Failure):  # a failure that could not be recorded either (logged)
            run_id = None
        started = portal_id not in self.recovering
        if run_id is not None:
            self.run_ids.append(run_id)
        if self.watch is not None and started:
            try:
                self.watch.end(portal_id, run_id)
            except Exception:  # the progress line is never a reason to stop a harvest
                log.debug("progress of portal %s not counted", portal_id, exc_info=True)

        def next_one(_=None):
            self.in_flight.discard(portal_id)
            self._fill()

        if started:  # its lock is not needed any more (one not started keeps it until the end)
            keys = [portal_id, *self._hosts_done(portal_id)]
            threads.deferToThread(lambda: [self.heartbeat.release(k) for k in keys]).addBoth(next_one)
        else:
            next_one()
        return None

    def _hosts_done(self, portal_id: str) -> list[str]:
        """The lock keys of the hosts whose last portal ``portal_id`` was."""
        out = []
        for h in self.hosts_of.pop(portal_id, ()):
            self.host_users[h] = self.host_users.get(h, 1) - 1
            if self.host_users[h] <= 0:
                del self.host_users[h]
                if h in self.host_locks:
                    out.append(self.host_locks.pop(h))
        return out


def _record_failed_run(db: Database, e: PortalEntry, mode: str, why: str) -> int:
    from storage.models import CrawlRun, utcnow

    now = utcnow()
    with db.session() as s:
        run = CrawlRun(portal_id=e.id, status="failed", started=now, finished=now,
                       mode="full" if mode == "full" else "incremental", errors=1,
                       error_details=[{"url": e.url, "error": why}])
        s.add(run)
        s.flush()
        return run.id


def _filter_log_handlers(before_log: Callable[[], None] | None) -> None:
    """Each crawler re-installs Scrapy's root handler: filter the one that is there now (once)."""
    for handler in logging.root.handlers:
        if not any(isinstance(f, NetworkErrorsWithoutTraceback) for f in handler.filters):
            handler.addFilter(NetworkErrorsWithoutTraceback())
            if before_log is not None:
                handler.addFilter(BeforeEachRecord(before_log))


def _run_crawl(db, entries, archive_dir, overrides, mode, *, purpose, wait, progress=None, progress_every=1.0,
               before_log=None):
    from harvester.locks import Heartbeat, LockBusy, acquire, new_holder
    from storage.failure import GUARD, StorageFailed, describe, make_reserves

    settings = crawl_settings(db.engine.url.render_as_string(hide_password=False), archive_dir, overrides)
    Path(archive_dir).mkdir(parents=True, exist_ok=True)
    try:
        GUARD.reserves = make_reserves(_reserve_dirs(db, archive_dir), settings.getint("HARVESTER_DISK_RESERVE"))
    except OSError as exc:
        cause = describe(exc)
        if cause is None:
            raise
        raise StorageFailed(f"{cause}: a harvest needs {settings.getint('HARVESTER_DISK_RESERVE')} bytes free "
                            "to start (HARVESTER_DISK_RESERVE)") from None
    limit = settings.getint("HARVESTER_PORTALS_IN_FLIGHT")
    if limit < 1:
        raise ValueError(f"HARVESTER_PORTALS_IN_FLIGHT must be a positive number of portals, got "
                         f"{settings.get('HARVESTER_PORTALS_IN_FLIGHT')!r}")
    sync_portals(db, entries)
    holder = new_holder()
    leases, refused, chosen = [], [], []
    for e in entries:
        try:
            leases.append(acquire(db, e.id, holder, purpose, wait=wait, keep=leases))
            chosen.append(e)
        except LockBusy as exc:
            refused.append((e.id, str(exc)))
    host_leases, hosts_of = {}, {}
    if chosen:
        chosen, host_leases, hosts_of = _take_hosts(db, chosen, leases, holder, purpose, wait, refused)
        leases += list(host_leases.values())
    if not chosen:
        return [], refused
    with Heartbeat(db, leases) as heartbeat:
        process = _Process(settings)
        watch = HarvestProgress(db, len(chosen), progress) if progress is not None else None
        window = process.window = PortalWindow(process, db, archive_dir, chosen, mode, limit, heartbeat, watch,
                                               on_start=lambda: _filter_log_handlers(before_log),
                                               hosts={h: lease.portal_id for h, lease in host_leases.items()},
                                               hosts_of=hosts_of)
        del leases, chosen  # the heartbeat holds the locks; the window, the portals still to crawl
        _filter_log_handlers(before_log)
        ticker = None
        from twisted.internet import reactor, task

        if watch is not None:
            ticker = task.LoopingCall(watch.tick)
            ticker.start(progress_every, now=False)

        def finished(_):
            from twisted.internet.error import ReactorNotRunning

            try:
                reactor.stop()
            except ReactorNotRunning:  # a shutdown stopped it already
                pass

        window.done.addBoth(finished)
        reactor.callWhenRunning(window.start)
        try:
            process.start(stop_after_crawl=False)
        finally:
            if ticker is not None:
                if ticker.running:
                    ticker.stop()
                watch.settle()
                watch.tick()
            # Scrapy's handlers do nothing once the reactor has stopped: a SIGTERM during the
            # clean-up below must end the process, not be ignored.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
    why = GUARD.cause and f"not harvested: the harvest was stopped ({GUARD.cause}) before its turn"
    for pid in window.not_started:
        refused.append((pid, why or "not harvested: the harvest was stopped before its turn"))
    return sorted(window.run_ids), refused


def _take_hosts(db: Database, chosen: list[PortalEntry], leases: list, holder: str, purpose: str, wait: float,
                refused: list[tuple[str, str]]):
    """The leases on the hosts of the chosen portals (``harvester.locks.take_hosts``); a portal
    whose host another process is harvesting is refused, and its own lock given back. Returns
    the portals kept, the host leases and the hosts of each portal kept."""
    from harvester.locks import entry_hosts, release, take_hosts

    hosts_of = {e.id: entry_hosts(e) for e in chosen}
    host_leases, busy = take_hosts(db, hosts_of, holder, purpose, wait=wait, keep=leases)
    if busy:
        for lease in [lease for lease in leases if lease.portal_id in busy]:
            release(db, lease)
            leases.remove(lease)
        refused.extend((pid, why) for pid, why in busy.items())
        chosen = [e for e in chosen if e.id not in busy]
        hosts_of = {pid: hosts for pid, hosts in hosts_of.items() if pid not in busy}
    return chosen, host_leases, hosts_of


def _run_of(crawler) -> int | None:
    """The run a crawler's store opened (None when its crawl never started)."""
    from harvester.crawlcontext import CrawlContext

    try:
        context = crawler.get_extension(CrawlContext)
    except RuntimeError:  # it failed before its extensions were built
        return None
    return context.run_id if context is not None else None
