"""What the components of one crawl share: a Scrapy extension, one per crawler.

The spider, the downloader middlewares and the store pipeline of a crawl fetch it with
``crawler.get_extension(CrawlContext)`` (registered in ``EXTENSIONS``) instead of setting
attributes on each other:

- ``run_id``: the crawl run the store opened (the archive names it in every metadata record);
- ``portal_state(portal_id)``: what the store already knows about the portal
  (``storage.state.PortalState``), loaded once on first use, or read beforehand in a thread
  (``harvester.crawl`` sets it as the crawler's ``preloaded_portal_state`` before the crawl
  starts, so the reactor thread does not wait for it);
- ``text(response)`` / ``links(response, hosts)``: each page decoded and its links read once,
  however many of the spider's family adapters look at it.
"""
from __future__ import annotations

import weakref

from storage.state import PortalState, load_portal_state


class CrawlContext:
    def __init__(self, db_url: str | None = None):
        self.db_url = db_url
        self.run_id: int | None = None
        self.state: PortalState | None = None
        self._texts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._links: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        context = cls(crawler.settings.get("HARVESTER_DB_URL"))
        context.state = getattr(crawler, "preloaded_portal_state", None)
        return context

    @classmethod
    def of(cls, crawler) -> CrawlContext:
        """The crawler's context; a crawler built without the extension (a spider exercised on
        its own) gets one of its own, not shared with anything."""
        if crawler is None:
            return cls()
        try:
            found = crawler.get_extension(cls)
        except RuntimeError:  # the crawl has not started: no extensions yet
            found = None
        return found if found is not None else cls.from_crawler(crawler)

    def portal_state(self, portal_id: str) -> PortalState:
        """What the store knows about the portal, loaded on first use (an empty state without a store)."""
        if self.state is None or self.state.portal_id != portal_id:
            if self.db_url:
                from storage.database import shared_database

                self.state = load_portal_state(shared_database(self.db_url), portal_id)
            else:
                self.state = PortalState(portal_id)
        return self.state

    def text(self, response) -> str:
        """The page as text, decoded once (``spiders.common.page_text``)."""
        text = self._texts.get(response)
        if text is None:
            from spiders.common import page_text

            text = self._texts[response] = page_text(response)
        return text

    def links(self, response, allowed_hosts) -> list[tuple[str, str]]:
        """(absolute URL, link text) of the page's links to ``allowed_hosts``, read once."""
        links = self._links.get(response)
        if links is None:
            from parsel import Selector

            from spiders.common import links_in

            sel = Selector(text=self.text(response) or "<html></html>", type="html")
            links = self._links[response] = links_in(sel, response.url, allowed_hosts)
        return links
