"""Conditional requests: send the validators of the last capture, so unchanged pages cost a 304.

The spider marks requests ``meta["conditional"] = True`` when a 304 is useful to it
(known article pages in a verification pass, listing pages in a nightly run).
"""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured

from harvester.crawlcontext import CrawlContext


class ConditionalRequestMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.context = CrawlContext.of(crawler)
        self.state = None

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("HARVESTER_DB_URL")
        if not url or not crawler.settings.getbool("HARVESTER_CONDITIONAL_REQUESTS", True):
            raise NotConfigured("conditional requests disabled")
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        self.state = self.context.portal_state(spider.portal_id)

    def process_request(self, request):
        if self.state is None or not request.meta.get("conditional"):
            return None
        for name, value in self.state.validators(request.url).items():
            request.headers.setdefault(name, value)
        return None
