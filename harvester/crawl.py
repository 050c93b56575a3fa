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
    from the database per tick. A portal's final status is read once, in a thread, when its
    crawl ends (failed or blocked counts as failed, as in the exit status).
    """

    FAILED = ("failed", "blocked")

    def __init__(self, db: Database, total: int, show: Callable[[str], None]):
        self.db, self.total, self.show = db, total, show
        self.started = time.monotonic()
        self.crawlers: dict[str, object] = {}
        self.pipelines: dict[str, object] = {}
        self.done: dict[str, str] = {}  # portal -> final status ("?" until read)

    def track(self, portal_id: str, crawler, d) -> None:
        self.crawlers[portal_id] = crawler
        d.addBoth(self._ended, portal_id, crawler)

    def _ended(self, result, portal_id: str, crawler):
        from twisted.internet import threads

        self.done[portal_id] = "?"
        run_id = _run_of(crawler)
        if run_id is None:  # it never started: nothing stored, a failure
            self.done[portal_id] = "failed"
        else:
            threads.deferToThread(self._status_of, run_id).addCallbacks(
                lambda status: self.done.__setitem__(portal_id, status),
                lambda f: log.debug("portal %s: status not read: %s", portal_id, f.getErrorMessage()))
        return result

    def settle(self) -> None:
        """Read the statuses still unknown (the reactor has stopped: called from its thread's end)."""
        for pid, status in list(self.done.items()):
            if status == "?":
                run_id = _run_of(self.crawlers[pid])
                try:
                    self.done[pid] = self._status_of(run_id) if run_id is not None else "failed"
                except Exception:
                    log.debug("portal %s: status not read", pid, exc_info=True)

    def _status_of(self, run_id: int) -> str:
        from storage.models import CrawlRun

        with self.db.session() as s:
            run = s.get(CrawlRun, run_id)
            return run.status if run is not None else "failed"

    def _pipeline(self, portal_id: str):
        """The crawl's store pipeline (its counts are the run's, before they are written)."""
        from pipelines.store import StorePipeline

        found = self.pipelines.get(portal_id)
        if found is None:
            try:
                stages = self.crawlers[portal_id].engine.scraper.itemproc.middlewares
            except AttributeError:  # not started yet
                return None
            found = next((m for m in stages if isinstance(m, StorePipeline)), None)
            if found is not None:
                self.pipelines[portal_id] = found
        return found

    def figures(self) -> dict:
        pages = new = changed = errors = 0
        for pid in self.crawlers:
            pipe = self._pipeline(pid)
            if pipe is not None:
                pages += pipe.counts["pages"]
                new += pipe.counts["new"]
                changed += pipe.counts["changed"]
                errors += len(pipe.errors)
        done = len(self.done)
        return {"total": self.total, "done": done, "in_flight": len(self.crawlers) - done,
                "failed": sum(1 for v in self.done.values() if v in self.FAILED),
                "pages": pages, "new": new, "changed": changed, "errors": errors,
                "elapsed": time.monotonic() - self.started}

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
    """Harvest the portals side by side, each under its lock.

    ``mode``: "auto" (full pass when the last one is older than HARVESTER_FULL_EVERY_DAYS,
    else incremental), "full" or "incremental". A portal already being harvested elsewhere
    is waited for up to ``wait`` seconds, then refused. A portal whose last run died (or was
    stopped by a full disk) is recovered from the archive first, and the new run resumes it.

    Returns the ids of the runs this call created (exactly those: not a concurrent
    process's) and the refused portals with the reason. A full or read-only disk stops every
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


def _run_crawl(db, entries, archive_dir, overrides, mode, *, purpose, wait, progress=None, progress_every=1.0,
               before_log=None):
    from harvester.extraction import read_page
    from harvester.locks import Heartbeat, LockBusy, acquire, new_holder
    from storage.failure import GUARD, StorageFailed, describe, make_reserves
    from storage.recovery import recover_portal

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
    sync_portals(db, entries)
    holder = new_holder()
    leases, refused, chosen = [], [], []
    for e in entries:
        try:
            leases.append(acquire(db, e.id, holder, purpose, wait=wait))
            chosen.append(e)
        except LockBusy as exc:
            refused.append((e.id, str(exc)))
    if not chosen:
        return [], refused
    crawlers = []
    with Heartbeat(db, leases):
        for e in chosen:
            rec = recover_portal(db, Path(archive_dir), e.id, read_page=read_page)
            if rec.runs:
                log.warning("portal %s: run(s) %s had died or were stopped by the disk; %d captures recovered from "
                            "the archive%s", e.id, rec.runs, rec.stored,
                            f", torn records set aside in {rec.torn}" if rec.torn else "")
        process = CrawlerProcess(settings)
        watch = HarvestProgress(db, len(chosen), progress) if progress is not None else None
        for e in chosen:
            crawler = process.create_crawler(spider_for(e.family))
            crawlers.append(crawler)
            d = process.crawl(
                crawler, portal_id=e.id, url=e.url, columns=list(e.columns), mode=mode, **e.spider_kwargs()
            )
            # One portal failing to start must not stop the others.
            d.addErrback(lambda f, pid=e.id: log.error("portal %s could not be crawled: %s", pid, f.getErrorMessage()))
            if watch is not None:
                watch.track(e.id, crawler, d)
        ticker = None
        if watch is not None:
            from twisted.internet import task

            ticker = task.LoopingCall(watch.tick)
            ticker.start(progress_every, now=False)
        # Each crawler re-installs Scrapy's root handler: filter the one that is left.
        for handler in logging.root.handlers:
            handler.addFilter(NetworkErrorsWithoutTraceback())
            if before_log is not None:
                handler.addFilter(BeforeEachRecord(before_log))
        try:
            process.start()
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
    runs = sorted(r for r in map(_run_of, crawlers) if r is not None)
    return runs, refused


def _run_of(crawler) -> int | None:
    """The run a crawler's store opened (None when its crawl never started)."""
    from harvester.crawlcontext import CrawlContext

    try:
        context = crawler.get_extension(CrawlContext)
    except RuntimeError:  # it failed before its extensions were built
        return None
    return context.run_id if context is not None else None
