"""Skip re-reading bodies the store already holds (same sha256, same extractor and parser).

A nightly recrawl of an unchanged portal then costs a digest per page, not a parse per page.

The store is asked about each body that would be read (one primary-key lookup, in a thread, so
the reactor never waits on it), never loaded whole: a crawler holding every content hash of the
store took memory growing with the store, times the portals in flight (issue 12).
"""
from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import select

from pipelines.extract import to_read
from storage.database import shared_database
from storage.models import Content

log = logging.getLogger(__name__)


class KnownContentPipeline:
    def __init__(self, db_url: str):
        self.db_url = db_url

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("HARVESTER_DB_URL")
        if not url:
            raise NotConfigured("HARVESTER_DB_URL is not set")
        return cls(url)

    def is_known(self, sha256: str) -> bool:
        """Blocking: whether the store holds this body, read by the current extractor and parser."""
        from harvester.extraction import EXTRACTOR_VERSION
        from harvester.parser import PARSER_VERSION

        with shared_database(self.db_url).session() as s:
            return s.scalar(select(Content.sha256).where(
                Content.sha256 == sha256,
                Content.extractor_version == EXTRACTOR_VERSION,
                Content.parser_version == PARSER_VERSION,
            )) is not None

    async def process_item(self, item, spider=None):
        if not to_read(item) or not item.archive.get("sha256"):  # only bodies the extraction would read
            return item
        from twisted.internet import threads

        try:
            item.known_content = await maybe_deferred_to_future(threads.deferToThread(self.is_known,
                                                                                      item.archive["sha256"]))
        except Exception as exc:  # noqa: BLE001 - a lookup is never a reason to lose the page
            # an item that raises here is dropped by Scrapy before the store sees it: its capture
            # (archived) would be missing from the store with no error in the run. Read it again.
            log.warning("%s: could not ask the store whether its body was read before (%s: %s); it is read",
                        item.url, type(exc).__name__, exc)
            item.known_content = False
        return item
