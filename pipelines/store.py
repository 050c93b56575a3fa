"""Store fetched pages and the crawl run in the database.

Writes run in one dedicated thread per process (shared by every portal crawled in it), so the
reactor never waits on the database and SQLite sees one writer at a time. A second crawl of
the same URL adds a snapshot to the same document; identical bodies share one content row.
"""
from __future__ import annotations

import datetime as dt
import threading

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import select
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from harvester.items import FetchError, PageItem
from storage.database import Database, shared_database
from storage.models import Content, CrawlRun, Document, Portal, Snapshot, utcnow
from storage.reports import record_report

_lock = threading.Lock()
_writer: ThreadPool | None = None
_writer_users = 0


def _acquire_writer() -> ThreadPool:
    global _writer, _writer_users
    with _lock:
        if _writer is None:
            _writer = ThreadPool(minthreads=1, maxthreads=1, name="harvester-store")
            _writer.start()
        _writer_users += 1
        return _writer


def _release_writer() -> None:
    global _writer, _writer_users
    with _lock:
        _writer_users -= 1
        if _writer_users == 0 and _writer is not None:
            _writer.stop()
            _writer = None


def _status_counts(stats: dict) -> dict[str, int]:
    prefix = "downloader/response_status_count/"
    return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}


class StorePipeline:
    def __init__(self, db_url: str):
        self.db_url = db_url
        self.db: Database | None = None
        self.run_id: int | None = None
        self.counts = {"new": 0, "changed": 0, "unchanged": 0, "pages": 0, "articles": 0, "not_modified": 0}
        self.errors: list[dict] = []
        self.warc_files: dict[str, None] = {}
        self.crawler = None

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("HARVESTER_DB_URL")
        if not url:
            raise NotConfigured("HARVESTER_DB_URL is not set")
        p = cls(url)
        p.crawler = crawler
        return p

    # -- run lifecycle (blocking, but short and once per crawl) ----------------------------------
    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.db = shared_database(self.db_url)
        self.writer = _acquire_writer()
        with self.db.session() as s:
            portal = s.get(Portal, spider.portal_id)
            if portal is None:
                s.add(Portal(id=spider.portal_id, name=spider.portal_id, url=spider.url, columns=list(spider.columns)))
            run = CrawlRun(portal_id=spider.portal_id, status="running", started=utcnow())
            s.add(run)
            s.flush()
            self.run_id = run.id
        spider.run_id = self.run_id

    def close_spider(self, spider=None):
        spider = spider or self.crawler.spider
        stats = self.crawler.stats.get_stats()
        reason = stats.get("finish_reason") or getattr(self.crawler.engine, "_close_reason", None)
        responses = _status_counts(stats)
        ok_responses = sum(v for k, v in responses.items() if k.startswith("2"))
        errors = list(self.errors)
        mode = getattr(spider, "mode", "full")
        if self.counts["articles"] == 0 and mode == "full":
            errors.append({"url": spider.url, "error": "no article pages found in any annual-report column"})
        if reason == "shutdown":
            status = "interrupted"
        elif ok_responses + self.counts["not_modified"] == 0 or (self.counts["articles"] == 0 and mode == "full"):
            status = "failed"
        elif errors:
            status = "partial"
        else:
            status = "ok"
        with self.db.session() as s:
            run = s.get(CrawlRun, self.run_id)
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
            run.mode = mode
            run.errors = len(errors)
            run.error_details = errors[:500]
            run.warc_files = list(self.warc_files)
        _release_writer()

    # -- items --------------------------------------------------------------------------------
    async def process_item(self, item, spider=None):
        from twisted.internet import reactor

        if isinstance(item, FetchError):
            self.errors.append({"url": item.url, "error": item.error})
            return item
        if not isinstance(item, PageItem):
            return item
        if item.archive.get("warc_file"):
            self.warc_files[item.archive["warc_file"]] = None
        if item.status == 304:
            self.counts["not_modified"] += 1
        outcome = await maybe_deferred_to_future(deferToThreadPool(reactor, self.writer, self._store_page, item))
        self.counts["pages"] += 1
        if item.kind == "article":
            self.counts["articles"] += 1
        if outcome:
            self.counts[outcome] += 1
        if item.status >= 400:
            self.errors.append({"url": item.url, "error": f"HTTP {item.status}"})
        item.body = b""  # archived and stored; do not keep it in memory
        return item

    def _store_page(self, item: PageItem) -> str | None:
        """Write one fetch; return 'new' / 'changed' / 'unchanged' for report articles."""
        arc = item.archive
        with self.db.session() as s:
            doc = s.scalars(select(Document).where(Document.url == item.url)).first()
            previous_sha = None
            is_new_doc = doc is None
            if doc is None:
                doc = Document(portal_id=item.portal_id, url=item.url, kind=item.kind, first_seen=item.fetched_at)
                s.add(doc)
            else:
                previous_sha = doc.current_sha256
            doc.last_seen = item.fetched_at
            if item.link_text:
                doc.link_text = item.link_text
            payload_of = None
            if arc.get("refers_to"):
                payload_of = s.scalars(select(Snapshot.id).where(Snapshot.warc_record_id == arc["refers_to"])).first()
            content = None
            if item.kind == "article" and item.status in (200, 304):
                content = s.get(Content, arc["sha256"])
                if content is None and item.content is not None:
                    content = Content(sha256=arc["sha256"], size=arc["size"], **item.content)
                    s.add(content)
            s.flush()
            s.add(
                Snapshot(
                    document_id=doc.id,
                    run_id=self.run_id,
                    fetched_at=item.fetched_at,
                    status=item.status,
                    headers=item.headers,
                    sha256=arc["sha256"],
                    size=arc["size"],
                    warc_file=arc["warc_file"],
                    warc_offset=arc["offset"],
                    warc_length=arc["length"],
                    warc_record_id=arc["record_id"],
                    record_type=arc.get("record_type", "response"),
                    payload_of_id=payload_of,
                )
            )
            if content is None:
                return None
            doc.current_sha256 = content.sha256
            doc.is_report = content.is_annual_report
            if not content.is_annual_report:
                return None
            changed = record_report(s, doc, content, item.fetched_at, previous_sha)
            if is_new_doc or previous_sha is None:
                return "new"
            return "changed" if changed else "unchanged"
