"""The base spider: one portal, from its homepage to its annual-report articles.

homepage → disclosure section(s) → annual-report column(s) → listing pages → articles.
Discovery follows link texts (``spiders.vocabulary``) to a bounded depth; explicit columns
from the registry skip it.

Two modes. A *full* pass (the first harvest, then every HARVESTER_FULL_EVERY_DAYS, or on
demand) walks every listing page and re-fetches every known article conditionally, to catch
silent edits. An *incremental* (nightly) pass fetches listing pages conditionally, stops a
column's walk after HARVESTER_KNOWN_PAGES_DEPTH pages that hold only known articles, and
fetches only articles it has never seen. Every response, whatever its status, becomes a ``PageItem``
(already archived by ``pipelines.archive``); requests that got no response become
``FetchError`` items, so the crawl run records them. Family spiders override how a listing
page names its articles and its other pages.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin, urlsplit

import scrapy

from harvester.items import FetchError, PageItem
from spiders import vocabulary as V
from storage.database import shared_database
from storage.state import PortalState, state_for_crawler

MODES = ("auto", "full", "incremental")


class SpiderArgumentError(ValueError):
    """A spider was started with arguments it cannot work with."""


def _text(sel) -> str:
    t = sel.attrib.get("title") or " ".join(sel.css("::text").getall())
    return " ".join(t.split())


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class PortalSpider(scrapy.Spider):
    """Walks any portal; the family of each listing page is detected from the page."""

    name = "portal"
    family: str | None = None

    def __init__(self, portal_id=None, url=None, columns=None, mode="auto", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portal_id = portal_id
        self.url = url
        self.mode_arg = mode or "auto"
        self.mode = "full"
        self.state = PortalState(portal_id or "")
        if isinstance(columns, str):
            columns = [c for c in columns.split(",") if c.strip()]
        self.columns = [c.strip() for c in (columns or [])]

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.portal_id:
            raise SpiderArgumentError(f"spider {cls.name}: argument portal_id is required")
        for value, what in [(spider.url, "url")] + [(c, "columns") for c in spider.columns]:
            parts = urlsplit(value or "")
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SpiderArgumentError(
                    f"spider {cls.name} ({spider.portal_id}): argument {what} must be an http(s) URL, got {value!r}"
                )
        if spider.mode_arg not in MODES:
            raise SpiderArgumentError(
                f"spider {cls.name} ({spider.portal_id}): argument mode must be one of {', '.join(MODES)}, got {spider.mode_arg!r}"
            )
        s = crawler.settings
        spider.db_url = s.get("HARVESTER_DB_URL")
        spider.full_every = dt.timedelta(days=s.getfloat("HARVESTER_FULL_EVERY_DAYS", 7))
        spider.known_depth = max(1, s.getint("HARVESTER_KNOWN_PAGES_DEPTH", 1))
        spider.max_list_pages = s.getint("HARVESTER_MAX_LIST_PAGES", 200)
        spider.discovery_depth = s.getint("HARVESTER_DISCOVERY_DEPTH", 3)
        hosts = {_host(spider.url)} | {_host(c) for c in spider.columns}
        spider.allowed_domains = sorted(hosts)
        return spider

    # -- requests --------------------------------------------------------------------------
    def _request(self, url: str, kind: str, **meta) -> scrapy.Request:
        callback = {
            "homepage": self.parse_discovery,
            "section": self.parse_discovery,
            "listing": self.parse_listing,
            "article": self.parse_article,
        }[kind]
        meta.update(kind=kind, handle_httpstatus_all=True)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    def choose_mode(self, now: dt.datetime | None = None) -> str:
        if self.mode_arg != "auto":
            return self.mode_arg
        now = now or dt.datetime.now(dt.timezone.utc)
        if self.state.last_full is None or now - self.state.last_full >= self.full_every:
            return "full"
        return "incremental"

    async def start(self):
        if self.db_url:
            self.state = state_for_crawler(self.crawler, shared_database(self.db_url), self.portal_id)
        self.mode = self.choose_mode()
        self.logger.info("%s: %s pass, %d pages known", self.portal_id, self.mode, len(self.state.pages))
        if self.columns:
            for c in self.columns:
                yield self._request(c, "listing", page_no=0, column=c)
        else:
            yield self._request(self.url, "homepage", depth=0)

    def on_error(self, failure):
        request = failure.request
        yield FetchError(self.portal_id, request.url, f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def page_item(self, response, **extra) -> PageItem:
        ctype = response.headers.get("Content-Type")
        archive = response.meta.get("archive")
        return PageItem(
            portal_id=self.portal_id,
            url=response.url,
            kind=response.meta["kind"],
            status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body,
            # the capture time is the WARC record's date, to the microsecond
            fetched_at=archive.date if archive is not None and archive.date else dt.datetime.now(dt.timezone.utc),
            archive=archive.__dict__ if archive is not None else {},
            content_type=ctype.decode("latin-1") if ctype else None,
            **extra,
        )

    def _usable(self, response) -> bool:
        return response.status == 200 and isinstance(response, scrapy.http.TextResponse)

    # -- discovery -------------------------------------------------------------------------
    def _links(self, response):
        for a in response.css("a[href]"):
            href = a.attrib["href"].strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            url = urljoin(response.url, href)
            if _host(url) not in self.allowed_domains:
                continue
            yield url, _text(a)

    def parse_discovery(self, response):
        yield self.page_item(response)
        if not self._usable(response):
            return
        depth = response.meta.get("depth_in_site", 0)
        columns, sections = [], []
        for url, text in self._links(response):
            if self._is_column_link(url, text):
                columns.append(url)
            elif self._is_section_link(url, text):
                sections.append(url)
        for url in dict.fromkeys(columns):
            yield self._request(url, "listing", page_no=0, column=url)
        if not columns and depth + 1 < self.discovery_depth:
            for url in list(dict.fromkeys(sections))[:5]:
                yield self._request(url, "section", depth_in_site=depth + 1)
        if not columns and not sections:
            yield FetchError(self.portal_id, response.url, "discovery: no disclosure section or annual-report column linked from this page")

    @staticmethod
    def _is_column_link(url: str, text: str) -> bool:
        if any(x in text for x in V.COLUMN_EXCLUDE):
            return False
        if any(t in text for t in V.COLUMN_TEXTS) and len(text) <= 20:
            return True
        path = urlsplit(url).path.lower()
        return any(f"/{p}" in path for p in V.COLUMN_URL_PARTS)

    @staticmethod
    def _is_section_link(url: str, text: str) -> bool:
        if any(text == t or (t in text and len(text) <= 10) for t in V.SECTION_TEXTS):
            return True
        path = urlsplit(url).path.lower()
        return any(f"/{p}/" in path or path.endswith(f"/{p}") for p in V.SECTION_URL_PARTS) and len(text) <= 10

    # -- listing pages ---------------------------------------------------------------------
    def family_of(self, response) -> str:
        if self.family:
            return self.family
        body = response.text
        return "trs" if any(m in body for m in V.TRS_MARKERS) else "generic"

    def parse_listing(self, response):
        yield self.page_item(response)
        if response.status == 304:
            return  # the column page has not changed since the last capture: nothing new here
        if not self._usable(response):
            return
        family = self.family_of(response)
        articles = list(dict.fromkeys(self.article_links(response, family)))
        if not articles:
            if family == "trs" and self._trs_says_empty(response):
                # An intact column that lists nothing (a township that published nothing): note it.
                self.logger.warning("column is empty: %s", response.url)
                self.crawler.stats.inc_value("harvester/empty_columns")
            else:
                # Fail loudly: a column page with no items means the page changed or is not a column.
                yield FetchError(self.portal_id, response.url, f"listing ({family}): no article links found")
        unknown = 0
        for url, text in articles:
            if url in self.state.pages:
                if self.mode == "full":
                    yield self._request(url, "article", link_text=text, conditional=True)
                else:
                    self.crawler.stats.inc_value("harvester/known_articles_skipped")
            else:
                unknown += 1
                yield self._request(url, "article", link_text=text)
        if self.mode == "full":
            for url, page_no in self.other_pages(response, family):
                if page_no < self.max_list_pages:
                    yield self._request(url, "listing", page_no=page_no, column=response.meta.get("column"))
            return
        # Nightly: walk on only while pages still hold new items (plus a bounded look-ahead).
        streak = 0 if unknown else response.meta.get("known_streak", 0) + 1
        if streak >= self.known_depth:
            return
        nxt = self.next_page(response, family)
        if nxt and nxt[1] < self.max_list_pages:
            yield self._request(
                nxt[0], "listing", page_no=nxt[1], column=response.meta.get("column"), known_streak=streak, conditional=True
            )

    def article_links(self, response, family: str):
        for url, text in self._links(response):
            if family == "trs":
                if V.TRS_ARTICLE_URL.search(urlsplit(url).path):
                    yield url, text
            elif any(w in text for w in V.REPORT_LINK_TEXTS):
                yield url, text

    def other_pages(self, response, family: str):
        """Further listing pages of the same column, as (url, page_no)."""
        if family == "trs":
            yield from self._trs_pages(response)
            return
        page_no = response.meta.get("page_no", 0)
        for url, text in self._links(response):
            if text in V.NEXT_PAGE_TEXTS:
                yield url, page_no + 1

    def next_page(self, response, family: str):
        """The listing page after this one, as (url, page_no), or None."""
        if family == "trs":
            count, current, stem, ext = self._trs_script(response)
            if count is None or current + 1 >= count:
                return None
            return urljoin(response.url, f"{stem}_{current + 1}.{ext}"), current + 1
        return next(iter(self.other_pages(response, family)), None)

    def _trs_script(self, response):
        body = response.text
        m = V.TRS_CREATE_PAGE.search(body)
        if m:
            return int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        c = V.TRS_COUNT_PAGE.search(body)
        if not c:
            return None, 0, "index", "html"
        cur = V.TRS_CURRENT_PAGE.search(body)
        return int(c.group(1)), int(cur.group(1)) if cur else 0, "index", "html"

    def _trs_says_empty(self, response) -> bool:
        """The page's own pagination script says this is the only page of its column."""
        count = self._trs_script(response)[0]
        return count is not None and count <= 1

    def _trs_pages(self, response):
        count, current, stem, ext = self._trs_script(response)
        if count is None or current != 0:
            return  # the first page schedules them all
        for n in range(1, min(count, self.max_list_pages)):
            yield urljoin(response.url, f"{stem}_{n}.{ext}"), n

    # -- articles --------------------------------------------------------------------------
    def parse_article(self, response):
        yield self.page_item(response, link_text=response.meta.get("link_text"))


class TrsSpider(PortalSpider):
    """TRS WCM (拓尔思) portals: index_N.html pagination, tYYYYMMDD_N.html articles."""

    name = "trs"
    family = "trs"
