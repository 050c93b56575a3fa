"""Conditional requests: send the validators of the last capture, so unchanged pages cost a 304.

The spider marks requests ``meta["conditional"] = True`` when a 304 is useful to it
(known article pages in a verification pass, listing pages in a nightly run).
"""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured

from storage.database import shared_database
from storage.state import state_for_crawler


class ConditionalRequestMiddleware:
    def __init__(self, crawler, db_url: str):
        self.crawler = crawler
        self.db_url = db_url
        self.state = None

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("HARVESTER_DB_URL")
        if not url or not crawler.settings.getbool("HARVESTER_CONDITIONAL_REQUESTS", True):
            raise NotConfigured("conditional requests disabled")
        mw = cls(crawler, url)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        self.state = state_for_crawler(self.crawler, shared_database(self.db_url), spider.portal_id)

    def process_request(self, request):
        if self.state is None or not request.meta.get("conditional"):
            return None
        for name, value in self.state.validators(request.url).items():
            request.headers.setdefault(name, value)
        return None
