"""Read article pages (text, metadata, report parse) in worker threads, off the reactor."""
from __future__ import annotations

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from harvester.extraction import read_page
from harvester.items import PageItem
from storage.ingest import READ_KINDS


class ExtractPipeline:
    def __init__(self, threads: int):
        self.pool = ThreadPool(minthreads=1, maxthreads=threads, name="harvester-extract")

    @classmethod
    def from_crawler(cls, crawler):
        threads = crawler.settings.getint("HARVESTER_EXTRACT_THREADS", 2)
        if threads < 1:
            raise NotConfigured("HARVESTER_EXTRACT_THREADS < 1: extraction disabled")
        return cls(threads)

    def open_spider(self, spider=None):
        from twisted.internet import reactor

        self.pool.start()
        # stopped even if the reactor stops before the spider finished closing
        reactor.addSystemEventTrigger("after", "shutdown", self.close_spider)

    def close_spider(self, spider=None):
        if self.pool.started:
            self.pool.stop()

    async def process_item(self, item, spider=None):
        if (not isinstance(item, PageItem) or item.kind not in READ_KINDS or item.status != 200 or item.known_content
                or item.failure):
            return item
        from twisted.internet import reactor  # the installed one, never at import time

        d = deferToThreadPool(reactor, self.pool, read_page, item.body, item.url, item.content_type)

        item.content = await maybe_deferred_to_future(d)
        return item
