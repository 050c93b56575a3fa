"""Archive every response as received, before anything else touches it.

A downloader middleware placed next to the downloader (order 950, after the compression,
redirect and retry middlewares in the request direction), so ``process_response`` sees the
bytes exactly as they came off the wire (still compressed if the server compressed them),
including error pages, redirects, 304s and robots.txt. Each fetch becomes a WARC request +
response pair; the response record's location is put in ``request.meta["archive"]`` for the
store.
"""
from __future__ import annotations

import datetime as dt
import http
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from storage.warc import WarcArchive


def _pairs(headers) -> list[tuple[str, str]]:
    out = []
    for key, values in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        for v in values:
            out.append((k, v.decode("latin-1") if isinstance(v, bytes) else str(v)))
    return out


class WarcArchiveMiddleware:
    def __init__(self, archive_dir: Path, software: str, crawler=None):
        self.crawler = crawler
        self.archive_dir = archive_dir
        self.software = software
        self.archives: dict[str, WarcArchive] = {}

    @classmethod
    def from_crawler(cls, crawler):
        directory = crawler.settings.get("HARVESTER_ARCHIVE_DIR")
        if not directory:
            raise NotConfigured("HARVESTER_ARCHIVE_DIR is not set: nothing would be archived")
        mw = cls(Path(directory), crawler.settings.get("USER_AGENT", ""), crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _archive_for(self, spider) -> WarcArchive:
        prefix = getattr(spider, "portal_id", spider.name)
        arc = self.archives.get(prefix)
        if arc is None:
            arc = WarcArchive(
                self.archive_dir,
                prefix,
                info={"operator": self.software, "isPartOf": prefix},
            )
            self.archives[prefix] = arc
        return arc

    def process_response(self, request, response):
        spider = self.crawler.spider
        reason = ""
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            pass
        arc = self._archive_for(spider)
        record = arc.write_exchange(
            url=response.url,
            method=request.method,
            request_headers=_pairs(request.headers),
            request_body=request.body or b"",
            status=response.status,
            reason=reason,
            protocol=response.protocol or "HTTP/1.1",
            response_headers=_pairs(response.headers),
            body=response.body,
            fetched_at=dt.datetime.now(dt.timezone.utc),
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        request.meta["archive"] = record
        spider.crawler.stats.inc_value("harvester/archived_records")
        return response

    def spider_closed(self, spider, reason):
        prefix = getattr(spider, "portal_id", spider.name)
        arc = self.archives.pop(prefix, None)
        if arc is not None:
            arc.close()
            spider.crawler.stats.set_value("harvester/warc_files", list(arc.files))
