"""Read article pages and attachments (text, metadata, report parse) in worker processes.

The reading runs in the process's read pool (``harvester.readpool``: ``HARVESTER_PARSE_PROCESSES``
workers shared by every crawler of the process), never on the reactor's thread or its GIL. A
document that kills its worker comes back with an error reading, and the error is recorded
for its URL in the run (``PageItem.read_error``); the pages after it are read as usual.
"""
from __future__ import annotations

from scrapy.utils.defer import maybe_deferred_to_future

from harvester.items import PageItem
from storage.ingest import READ_KINDS


def to_read(item) -> bool:
    """A page whose body the extraction reads (unless the store read the same body before):
    an article or attachment answered 200 whose body could be used."""
    return isinstance(item, PageItem) and item.kind in READ_KINDS and item.status == 200 and not item.failure


class ExtractPipeline:
    def __init__(self, crawler=None):
        self.crawler = crawler
        self.pool = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        from harvester.readpool import shared_pool

        self.pool = shared_pool()
        self.pool.start()  # a worker imports the reader while the crawl discovers its columns

    async def process_item(self, item, spider=None):
        if not to_read(item) or item.known_content:
            return item
        from harvester.readpool import read_deferred

        try:
            reading = await maybe_deferred_to_future(read_deferred(self.pool, item.body, item.url, item.content_type))
        except Exception as exc:  # noqa: BLE001 - the page is archived: it is stored, with why it was not read
            from harvester.readpool import Reading, crashed_reading

            reason = f"the read pool failed ({type(exc).__name__}: {exc})"
            reading = Reading(crashed_reading(reason), 0.0, crashed=reason)
        item.content = reading.content
        if reading.fingerprints is not None:
            from harvester.similarity import remember

            remember(*reading.fingerprints)
        if reading.crashed:
            item.read_error = reading.content["error"]
        if self.crawler is not None:
            self.crawler.stats.inc_value("harvester/read_cpu_seconds", reading.cpu_seconds)
            self.crawler.stats.inc_value("harvester/pages_read")
        return item
