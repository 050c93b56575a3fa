"""Archive every response as received, before anything else touches it.

A downloader middleware placed next to the downloader (order 950, after the compression,
redirect and retry middlewares in the request direction), so ``process_response`` sees the
bytes exactly as they came off the wire (still compressed if the server compressed them),
including error pages, redirects, 304s and robots.txt.

Each fetch becomes a WARC response (new bytes) or revisit (the same bytes as the URL's last
capture, or a 304) plus its request and a metadata record naming the crawl run and portal.
Where the record landed goes into ``request.meta["archive"]`` for the store.

The writing (hashing, gzip, the file, the CDXJ index on rotation and at the end) happens off
the reactor thread, in a small thread pool shared by every crawler of the process; one
crawler's writes run one at a time, in the order of its responses, so each WARC file's records
and offsets are as if written inline. ``process_response`` waits for its records to be written
(and flushed to the OS) before the response goes on to the spider, so a capture is never
stored before its record exists.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import http
from dataclasses import dataclass
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from harvester.crawlcontext import CrawlContext
from harvester.sharedthreads import SharedThreadPool
from storage.failure import GUARD, describe
from storage.state import KnownPage
from storage.warc import DEFAULT_MAX_SIZE, Fetch, Original, WarcArchive, payload_digest, read_record


def header_pairs(headers) -> list[tuple[str, str]]:
    out = []
    for key, values in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        for v in values:
            out.append((k, v.decode("latin-1") if isinstance(v, bytes) else str(v)))
    return out


WRITER_THREADS = 4  # shared by every crawler of the process; each crawler writes one record at a time
_WRITERS = SharedThreadPool("harvester-warc", maxthreads=WRITER_THREADS)


@dataclass
class _Job:
    """One fetch to archive: plain values read from the request and response in the reactor thread."""

    fetch: Fetch
    body: bytes
    fields: dict  # the metadata record's, without the payload digest
    kind: str
    archive_headers: dict


class WarcArchiveMiddleware:
    def __init__(self, crawler, archive_dir: Path, store: bool, max_size: int):
        self.crawler = crawler
        self.context = CrawlContext.of(crawler)
        self.archive_dir = archive_dir
        self.store = store
        self.max_size = max_size
        self.archive: WarcArchive | None = None
        self.state = None
        self.writers: ThreadPool | None = None
        self.turn = DeferredLock()  # this crawler's writes, one at a time, in order

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        directory = s.get("HARVESTER_ARCHIVE_DIR")
        if not directory:
            raise NotConfigured("HARVESTER_ARCHIVE_DIR is not set: nothing would be archived")
        mw = cls(crawler, Path(directory), bool(s.get("HARVESTER_DB_URL")), s.getint("HARVESTER_WARC_MAX_SIZE", DEFAULT_MAX_SIZE))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        GUARD.watch(crawler)
        return mw

    def spider_opened(self, spider):
        portal_id = getattr(spider, "portal_id", spider.name)
        if self.store:
            self.state = self.context.portal_state(portal_id)
        self.archive = WarcArchive(
            self.archive_dir,
            portal_id,
            info={"operator": self.crawler.settings.get("USER_AGENT", ""), "isPartOf": portal_id},
            max_size=self.max_size,
        )
        if self.writers is None:
            self.writers = _WRITERS.acquire()

    def _in_turn(self, fn, *args):
        """Run ``fn`` in a writer thread after this crawler's earlier writes: a Deferred."""
        from twisted.internet import reactor

        return self.turn.run(deferToThreadPool, reactor, self.writers, fn, *args)

    async def process_response(self, request, response):
        if request.meta.get("replayed_from_archive"):
            return response  # served from our own archive while resuming: nothing new to keep
        if GUARD.tripped:
            raise IgnoreRequest(f"not archived: the harvest is stopping ({GUARD.cause})")
        if self.archive is None:
            self.spider_opened(self.crawler.spider)
        job = self._job(request, response)
        outcome = await maybe_deferred_to_future(self._in_turn(self._write, job))
        if isinstance(outcome, str):
            raise IgnoreRequest(f"not archived: {outcome}")
        record, counter = outcome
        self.crawler.stats.inc_value(counter)
        request.meta["archive"] = record
        # what the spider's errback needs to store this capture if a middleware between here
        # and the spider refuses the response (a body decompressing past DOWNLOAD_MAXSIZE)
        request.meta["archive_status"] = response.status
        request.meta["archive_headers"] = job.archive_headers
        return response

    def _write(self, job: _Job):
        """In a writer thread: the fetch's records, or why they were not written (a str)."""
        if GUARD.tripped:
            return f"the harvest is stopping ({GUARD.cause})"
        try:
            return self._archive(job)
        except OSError as exc:
            return self._stop_on_storage_failure(exc)

    def _stop_on_storage_failure(self, exc: OSError) -> str:
        """A full or read-only disk stops the harvest (the cause is returned); any other error is raised."""
        cause = describe(exc, self.archive.current_path or self.archive_dir)
        if cause is None:
            raise exc
        self.archive.abandon()
        GUARD.trip(cause)
        return cause

    def _job(self, request, response) -> _Job:
        spider = self.crawler.spider
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        now = dt.datetime.now(dt.timezone.utc)
        fetch = Fetch(
            url=response.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body or b"",
            status=response.status,
            reason=reason,
            protocol=response.protocol or "HTTP/1.1",
            response_headers=header_pairs(response.headers),
            fetched_at=now,
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        fields = {
            "harvester-portal": getattr(spider, "portal_id", spider.name),
            "harvester-run-id": self.context.run_id,
            "harvester-crawl-mode": getattr(spider, "mode", None),
            "harvester-page-kind": request.meta.get("kind"),
            "harvester-link-text": request.meta.get("link_text"),
            "harvester-parent-url": request.meta.get("parent_url"),
            # the URL that redirected here: recovery links the two as the store does
            "harvester-redirected-from": (request.meta.get("redirected_from") or [None])[-1],
        }
        headers = {k: ", ".join(v for kk, v in fetch.response_headers if kk == k) for k, _ in fetch.response_headers}
        return _Job(fetch, response.body, fields, request.meta.get("kind", ""), headers)

    def _archive(self, job: _Job):
        """In a writer thread, in this crawler's turn: the records of one fetch. Returns where
        the response (or revisit) record landed and the stats counter to increment."""
        fetch, body, url, status, now = job.fetch, job.body, job.fetch.url, job.fetch.status, job.fetch.fetched_at
        known = self.state.pages.get(url) if self.state is not None else None
        sha256 = hashlib.sha256(body).hexdigest()
        revisit = known is not None and (status == 304 or (status == 200 and sha256 == known.original.sha256))
        record_id = self.archive.new_record_id()
        # The metadata record goes first: a crash can leave metadata without a capture,
        # never a capture without the run and portal it belongs to.
        self.archive.write_metadata(
            url, record_id, {**job.fields, "harvester-payload-sha256": known.original.sha256 if revisit else sha256}, now,
        )
        if revisit:
            not_modified = status == 304
            sha1 = known.original.sha1 or (payload_digest(body) if not not_modified else None)
            if sha1 is None:
                sha1 = self._original_sha1(known)
            record = self.archive.write_revisit(
                fetch, original=known.original, payload_sha1=sha1, not_modified=not_modified, record_id=record_id
            )
            counter = "harvester/revisits_not_modified" if not_modified else "harvester/revisits_identical"
        else:
            record = self.archive.write_exchange(fetch, body, record_id=record_id)
            counter = "harvester/responses_archived"
            if status == 200 and self.state is not None:
                self.state.pages[url] = KnownPage(
                    url=url,
                    kind=job.kind,
                    is_report=known.is_report if known else False,
                    snapshot_id=0,
                    original=Original(record.record_id, url, now, sha256, len(body), payload_digest(body)),
                    etag=None,
                    last_modified=None,
                    warc_file=record.warc_file,
                    warc_offset=record.offset,
                )
        self.archive.finish_fetch()
        return record, counter

    def _original_sha1(self, known: KnownPage) -> str:
        """The payload digest of an original captured by an earlier crawl, from its WARC record."""
        rec = read_record(self.archive_dir, known.warc_file, known.warc_offset)
        return rec.warc_headers.get("WARC-Payload-Digest") or payload_digest(rec.body)

    async def spider_closed(self, spider, reason):
        if self.archive is None:
            return
        try:
            await maybe_deferred_to_future(self._in_turn(self._close))  # after every record queued before
        finally:
            if self.writers is not None:
                self.writers = None
                _WRITERS.release()
        self.crawler.stats.set_value("harvester/warc_files", list(self.archive.files))

    def _close(self) -> None:
        if GUARD.tripped:
            self.archive.abandon()  # no index now: the next harvest's recovery writes it
            return
        try:
            self.archive.close()
        except OSError as exc:
            self._stop_on_storage_failure(exc)
