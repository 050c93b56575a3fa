"""Resuming an interrupted harvest: pages it already captured come from the archive.

For each request whose URL the portal's last (interrupted) run captured, the response is
rebuilt from the WARC record, marked ``replayed_from_archive``, and no request goes out:
the spider walks on as if it had fetched the page, the archive and the store add nothing.
"""
from __future__ import annotations

from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from harvester.crawlcontext import CrawlContext
from storage.warc import read_record


class ArchiveReplayMiddleware:
    def __init__(self, crawler, archive_dir: Path):
        self.crawler, self.archive_dir = crawler, archive_dir
        self.context = CrawlContext.of(crawler)
        self.state = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.get("HARVESTER_DB_URL") or not s.get("HARVESTER_ARCHIVE_DIR"):
            raise NotConfigured("no store or archive to resume from")
        mw = cls(crawler, Path(s.get("HARVESTER_ARCHIVE_DIR")))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        self.state = self.context.portal_state(spider.portal_id)
        if self.state.resume:
            spider.logger.info("resuming run %s: %d pages come from the archive", self.state.resumes_run, len(self.state.resume))

    def process_request(self, request):
        if self.state is None or not request.meta.get("kind") or request.method != "GET":
            return None  # a POST (Hanweb dataproxy paging) is one URL for many pages: fetch it
        where = self.state.resume.pop(request.url, None)
        if where is None:
            return None
        rec = read_record(self.archive_dir, *where)
        headers = Headers([(k, v) for k, v in rec.headers])
        cls = responsetypes.from_args(headers=headers, url=request.url, body=rec.body)
        request.meta["replayed_from_archive"] = True
        self.crawler.stats.inc_value("harvester/replayed_from_archive")
        return cls(url=request.url, status=200, headers=headers, body=rec.body, request=request)
