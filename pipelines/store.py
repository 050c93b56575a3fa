"""Store fetched pages and the crawl run in the database.

Each page is stored by ``storage.ingest.ingest_capture``; this pipeline opens the crawl run,
counts what the run saw and closes the run when Scrapy says why the spider closed. Writes run in
one dedicated thread per process (shared by every portal crawled in it), so the reactor never
waits on the database and SQLite sees one writer at a time.
"""
from __future__ import annotations

import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from harvester.crawlcontext import CrawlContext
from harvester.sharedthreads import SharedThreadPool
from harvester.items import Blocked, ColumnMoved, ColumnsFound, FetchError, PageItem, TrapHit
from storage.database import Database, shared_database
from storage.failure import GUARD, describe
from storage.health import assess_run, close_events, raise_event
from storage.ingest import Capture, ingest_capture
from storage.models import CrawlRun, Portal, utcnow

_RANK = {"unchanged": 0, "changed": 1, "new": 2}
_SKIPPED = object()  # a page not stored because the disk filled up (recovered by the next harvest)
PROGRESS_EVERY = 1.0  # seconds between progress writes to the run row
_WRITER = SharedThreadPool("harvester-store", maxthreads=1, minthreads=1)  # one database thread per process


def _parse_failed(content: dict) -> bool:
    """An annual report read without any of its tables (and not an image-only report)."""
    record = content.get("record") or {}
    if content.get("error") and not record:
        return True
    return bool(record.get("is_annual_report")) and not record.get("image_only") and len(record.get("missing_tables") or []) == 3


def _status_counts(stats: dict) -> dict[str, int]:
    prefix = "downloader/response_status_count/"
    return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}


class StorePipeline:
    def __init__(self, db_url: str):
        self.db_url = db_url
        self.db: Database | None = None
        self.writer: ThreadPool | None = None
        self.counts = {"new": 0, "changed": 0, "unchanged": 0, "pages": 0, "articles": 0, "not_modified": 0, "replayed": 0, "parse_failures": 0}
        self.errors: list[dict] = []
        self.warc_files: dict[str, None] = {}
        self.crawler = None
        self.context = CrawlContext()  # the crawl's, from from_crawler
        self._last_progress = 0.0
        self.report_outcomes: dict = {}
        self.family = FamilyOutcome()

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("HARVESTER_DB_URL")
        if not url:
            raise NotConfigured("HARVESTER_DB_URL is not set")
        p = cls(url)
        p.crawler = crawler
        p.context = CrawlContext.of(crawler)
        crawler.signals.connect(p.spider_closed, signal=signals.spider_closed)
        GUARD.watch(crawler)
        return p

    def _where(self) -> str:
        """The store named for an error message: the SQLite file, or the (redacted) URL."""
        url = self.db.engine.url
        return url.database if url.get_backend_name() == "sqlite" and url.database else self.db.url

    def _storage_failed(self, exc: BaseException) -> bool:
        """Trip the process's storage guard if ``exc`` is a full or read-only disk."""
        cause = describe(exc, self._where())
        if cause is None:
            return False
        GUARD.trip(cause)
        return True

    # -- run lifecycle (blocking, but short and once per crawl) ----------------------------------
    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.db = shared_database(self.db_url)
        self.writer = _WRITER.acquire()
        try:
            self._open_run(spider)
        except Exception as exc:
            _WRITER.release()
            self.writer = None
            self._storage_failed(exc)
            raise

    def _open_run(self, spider) -> None:
        with self.db.session() as s:
            portal = s.get(Portal, spider.portal_id)
            if portal is None:
                s.add(Portal(id=spider.portal_id, name=spider.portal_id, url=spider.url, columns=list(spider.columns)))
            run = CrawlRun(portal_id=spider.portal_id, status="running", started=utcnow())
            s.add(run)
            s.flush()
            self.context.run_id = run.id
            record_robots_policy(s, spider)

    async def spider_closed(self, spider, reason):
        """Close the run, once every item is stored. ``reason`` is Scrapy's: "finished",
        "shutdown" (SIGTERM, SIGINT, the scheduler stopping), "blocked", "storage_failed" …"""
        from twisted.internet import reactor

        if self.writer is None:
            return  # the run was never opened
        stats = self.crawler.stats.get_stats()
        responses = _status_counts(stats)
        ok_responses = sum(v for k, v in responses.items() if k.startswith("2"))
        errors = list(self.errors)
        mode = getattr(spider, "mode", "full")
        if self.counts["articles"] == 0 and mode == "full":
            errors.append({"url": spider.url, "error": "no article pages found in any annual-report column"})
        if reason == "shutdown":
            status = "interrupted"
        elif ok_responses + self.counts["not_modified"] + self.counts["replayed"] == 0 or (self.counts["articles"] == 0 and mode == "full"):
            status = "failed"
        elif errors:
            status = "partial"
        else:
            status = "ok"
        status = self.family.status(status)
        if self.family.blocked:
            errors.extend({"url": b.url, "error": b.detail} for b in self.family.blocked)
        if GUARD.tripped:
            # a full or read-only disk: the run failed whatever it saw; the next harvest with
            # room stores what reached the archive but not the store ("storage" marks it)
            status = "failed"
            errors.append({"url": None, "error": f"harvest stopped: {GUARD.cause}", "storage": "unrecovered"})
        try:
            # Through the writer thread, after every page and progress write queued before it.
            await maybe_deferred_to_future(deferToThreadPool(
                reactor, self.writer, self._finish_run, spider, reason, status, mode, stats, responses, errors
            ))
        except Exception as exc:
            if not self._storage_failed(exc):
                raise
            spider.logger.error("run %s of %s could not be recorded as %s (%s); the next harvest recovers it",
                                self.context.run_id, spider.portal_id, status, describe(exc, self._where()))
        finally:
            _WRITER.release()

    def _finish_run(self, spider, reason, status, mode, stats, responses, errors) -> None:
        with self.db.session() as s:
            self.family.write(s, spider, self.context.run_id, reason)
            run = s.get(CrawlRun, self.context.run_id)
            run.finished = utcnow()
            run.status = status
            run.requests = stats.get("downloader/request_count", 0)
            run.responses = responses
            run.bytes = stats.get("downloader/response_bytes", 0)
            run.pages = self.counts["pages"]
            run.new_reports = self.counts["new"]
            run.changed_reports = self.counts["changed"]
            run.unchanged_reports = self.counts["unchanged"]
            run.not_modified = self.counts["not_modified"]
            run.parse_failures = self.counts["parse_failures"]
            run.mode = mode
            run.errors = len(errors)
            run.error_details = errors[:500]
            run.warc_files = list(self.warc_files)
            s.flush()
            assess_run(s, run.id)

    # -- items --------------------------------------------------------------------------------
    async def process_item(self, item, spider=None):
        from twisted.internet import reactor

        if isinstance(item, FetchError):
            self.errors.append({"url": item.url, "error": item.error})
            return item
        if isinstance(item, TrapHit):
            self.errors.append({"url": item.url, "error": item.detail})
            self.family.note(item)
            return item
        if isinstance(item, (ColumnsFound, ColumnMoved, Blocked)):
            self.family.note(item)
            return item
        if not isinstance(item, PageItem):
            return item
        if GUARD.tripped:
            return item  # archived (or not) but not stored: the next harvest recovers it
        if item.replayed:
            self.counts["replayed"] += 1
            if item.kind == "article":
                self.counts["articles"] += 1
            return item  # captured and stored by the interrupted run this one resumes
        if item.archive.get("warc_file"):
            self.warc_files[item.archive["warc_file"]] = None
        if item.status == 304:
            self.counts["not_modified"] += 1
        try:
            outcome = await maybe_deferred_to_future(deferToThreadPool(reactor, self.writer, self.store_page, item))
        except Exception as exc:
            if self._storage_failed(exc):
                return item
            raise
        if outcome is _SKIPPED:
            return item
        if item.content is not None and _parse_failed(item.content):
            self.counts["parse_failures"] += 1
        self.counts["pages"] += 1
        if item.kind == "article":
            self.counts["articles"] += 1
        if outcome:
            self._tally(*outcome)
        if item.read_error:
            self.errors.append({"url": item.url, "error": item.read_error})
        if item.status >= 400 and not item.retrying:
            # an answer the spider asks again for is stored, but only the last one is an error
            crawling = getattr(self.crawler, "spider", None) if self.crawler is not None else None
            retried = " (after retries)" if item.status in getattr(crawling, "retry_codes", ()) else ""
            self.errors.append({"url": item.url, "error": f"HTTP {item.status}{retried}"})
        item.body = b""  # archived and stored; do not keep it in memory
        if time.monotonic() - self._last_progress >= PROGRESS_EVERY:
            self._last_progress = time.monotonic()
            d = deferToThreadPool(reactor, self.writer, self._write_progress, dict(self.counts), len(self.errors))
            d.addErrback(self._progress_failed)
        return item

    def _progress_failed(self, failure) -> None:
        if not self._storage_failed(failure.value):
            self.crawler.spider.logger.warning("progress of run %s not written: %s", self.context.run_id, failure.getErrorMessage())

    def _write_progress(self, counts: dict, errors: int) -> None:
        """Counts so far into the running run's row, for live progress displays."""
        if GUARD.tripped:
            return
        with self.db.session() as s:
            run = s.get(CrawlRun, self.context.run_id)
            run.pages, run.new_reports, run.changed_reports = counts["pages"], counts["new"], counts["changed"]
            run.unchanged_reports, run.errors = counts["unchanged"], errors

    def _tally(self, outcome: str, report_id: int | None) -> None:
        """A run counts reports, not URLs: a report seen at several locations in one run (a
        page and its attachment, a repost) counts once, as new, else changed, else unchanged;
        another location of a known report is not new."""
        outcome = "unchanged" if outcome == "location" else outcome
        key = report_id if report_id is not None else object()
        before = self.report_outcomes.get(key)
        if before is None or _RANK[outcome] > _RANK[before]:
            if before is not None:
                self.counts[before] -= 1
            self.counts[outcome] += 1
            self.report_outcomes[key] = outcome

    def store_page(self, item: PageItem) -> tuple[str, int | None] | None | object:
        """Write one fetch (in the writer thread); for a report, return what it was in this run
        and its report id."""
        if GUARD.tripped:
            # queued before the disk filled up: the room freed to finish cleanly is kept for
            # the runs and locks; the next harvest stores this page from the archive
            return _SKIPPED
        with self.db.session() as s:
            return ingest_capture(s, capture_of(item, self.context.run_id))


def capture_of(item: PageItem, run_id: int | None) -> Capture:
    """The capture a page item describes (``item.archive`` says where its record landed)."""
    arc = item.archive
    return Capture(
        portal_id=item.portal_id, url=item.url, kind=item.kind, status=item.status, headers=item.headers,
        fetched_at=item.fetched_at, run_id=run_id, warc_file=arc["warc_file"], warc_offset=arc["offset"],
        warc_length=arc["length"], warc_record_id=arc["record_id"], sha256=arc["sha256"], size=arc["size"],
        record_type=arc.get("record_type", "response"), refers_to=arc.get("refers_to"), link_text=item.link_text,
        parent_url=item.parent_url, redirected_from=list(item.redirected_from), failure=item.failure,
        reading=item.content,
    )


# -- portal families: discovery results, moved columns, blocks, robots policy ----------------------

class FamilyOutcome:
    """What the spider told the store about the portal itself during one run."""

    def __init__(self):
        self.columns: dict[str, None] = {}
        self.family: str | None = None
        self.moved: list[ColumnMoved] = []
        self.blocked: list[Blocked] = []
        self.traps: list[TrapHit] = []

    def note(self, item) -> None:
        if isinstance(item, ColumnsFound):
            for c in item.columns:
                self.columns[c] = None
            self.family = self.family or item.family
        elif isinstance(item, ColumnMoved):
            self.moved.append(item)
        elif isinstance(item, Blocked):
            self.blocked.append(item)
        elif isinstance(item, TrapHit):
            self.traps.append(item)

    def status(self, status: str) -> str:
        return "blocked" if self.blocked and status != "interrupted" else status

    def write(self, s, spider, run_id: int, reason: str | None) -> None:
        """Store discovered columns (not when the registry names them), raise or close events."""
        portal = s.get(Portal, spider.portal_id)
        now = utcnow()
        rediscovered = not getattr(spider, "stored_columns", None) or self.moved
        if portal is not None and not getattr(spider, "columns", None) and self.columns and rediscovered:
            # a discovery ran (first harvest, full pass, or a remembered column moved): its result
            # is merged with what was known, so a column that failed once (timeout, 5xx) stays on
            # the nightly list; only a column found gone (ColumnMoved) leaves it.
            moved = {m.url for m in self.moved}
            found = [c for c in dict.fromkeys([*self.columns, *(portal.discovered_columns or [])]) if c not in moved]
            if found:
                portal.discovered_columns = found
                portal.discovered_at = now
        if portal is not None and self.family:
            portal.detected_family = self.family
        for m in self.moved:
            raise_event(s, spider.portal_id, "column_moved", f"column moved: {m.detail}; discovery ran again",
                        url=m.url, run_id=run_id, now=now)
        for t in self.traps:
            raise_event(s, spider.portal_id, "trap", t.detail, url=t.url, run_id=run_id, now=now)
        if not self.traps and reason == "finished":
            close_events(s, spider.portal_id, "trap", now=now)
        # the "blocked" event itself is raised by storage.health.assess_run from the run's status


def record_robots_policy(s, spider) -> None:
    """The portal row says whether robots.txt is obeyed and, when it is not, why."""
    portal = s.get(Portal, spider.portal_id)
    if portal is None:
        s.flush()
        portal = s.get(Portal, spider.portal_id)
    if portal is None:
        return
    ignore = getattr(spider, "robots", "obey") == "ignore"
    portal.robots_obeyed = not ignore
    portal.robots_reason = getattr(spider, "robots_reason", None) if ignore else None
