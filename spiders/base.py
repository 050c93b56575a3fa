"""The base spider: one portal, from its homepage to its annual-report articles and attachments.

homepage → disclosure section(s) → annual-report column(s) (and their department / township
sub-columns) → listing pages → articles → attachments. Discovery follows link texts
(``spiders.vocabulary``) to a bounded depth; explicit columns from the registry skip it. The
columns discovery confirms are stored on the portal row (``ColumnsFound`` items); nightly passes
start from them, and when one answers 404 or lists nothing any more a ``ColumnMoved`` item is
raised and discovery runs again from the homepage.

How a listing page names its articles and its other pages depends on the platform: one adapter
per family (``spiders.adapter.FamilyAdapter``, registered in ``spiders.families``), chosen by
detection from the page unless the registry names the family.

Two modes. A *full* pass (the first harvest, then every HARVESTER_FULL_EVERY_DAYS, or on
demand) walks every listing page and re-fetches every known article conditionally, to catch
silent edits. An *incremental* (nightly) pass fetches listing pages conditionally, stops a
column's walk after HARVESTER_KNOWN_PAGES_DEPTH pages that hold only known articles, and
fetches only articles it has never seen. Every response, whatever its status, becomes a ``PageItem``
(already archived by ``middlewares.archive``); requests that got no response become
``FetchError`` items, so the crawl run records them. A block (403, 412/521 challenge, or a
JavaScript challenge page served with 200) becomes a ``Blocked`` item and ends the portal's
crawl at once: no retry storm against a refusing site.

Hostile answers, each handled here so that every one is stored and none is silent:

- *Redirects* (301/302/303/307/308, and a ``<meta http-equiv="refresh">`` of at most
  HARVESTER_META_REFRESH_MAX_DELAY seconds) are followed within the portal's hosts (its URL,
  its columns and the registry's ``hosts``), up to HARVESTER_MAX_REDIRECTS hops; each answer
  is stored, and the final page carries the URLs that led to it (``redirected_from``) so the
  store links them. A loop, a longer chain, a target on another host or port (http→https on
  the same host name is allowed) or a missing Location is a recorded error on the URL that was
  requested. A URL may come back once in a chain when a redirect set a cookie (a cookie-gated
  download). A slower meta refresh leaves the page as it is; on a discovery page its target is
  followed as a link; a refresh to the page itself (``url=#main``) is no redirect.
- *Retries*: the HARVESTER_RETRY_HTTP_CODES answers (503 …) are asked again up to RETRY_TIMES
  times by the spider, so each answer is stored with its status (``verify`` then finds every
  archived response in the store).
- *Traps*: a column announcing or walking more than HARVESTER_MAX_LIST_PAGES listing pages
  (``createPageHTML(1000000)``, endless 下一页, a calendar) becomes a ``TrapHit`` (an error and
  a health event); session ids in links (``;jsessionid=…``) are stripped.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import scrapy
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.exceptions import CloseSpider

from harvester.crawlcontext import CrawlContext
from harvester.items import Blocked, ColumnMoved, ColumnsFound, FetchError, PageItem, TrapHit
from spiders import families
from spiders import vocabulary as V
from parsel import Selector

from spiders.common import Link, Page, anchors, host, strip_session_ids
from spiders.cookies import use_bundled_public_suffix_list
from storage.database import shared_database
from storage.warc import read_record
from storage.state import PortalState

use_bundled_public_suffix_list()

MODES = ("auto", "full", "incremental")
ROBOTS_POLICIES = (None, "", "obey", "ignore")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Request meta that belongs to one attempt (Scrapy's and ours): not carried to a retry or a redirect.
_ATTEMPT_META = {"archive", "archive_status", "archive_headers", "download_timeout", "download_slot", "download_latency",
                 "depth", "retry_times", "redirect_times", "redirect_ttl", "redirect_urls", "redirect_reasons",
                 "replayed_from_archive"}


class SpiderArgumentError(ValueError):
    """A spider was started with arguments it cannot work with."""


def is_attachment_link(url: str, name: str = "", appendix: bool = False) -> bool:
    """A document download: by the path's extension, a download script's file name parameter
    (``downfile.jsp?filename=年报.pdf``), the link text (``年报.docx``), or TRS's appendix flag."""
    parts = urlsplit(url)
    path = parts.path.lower()
    if path.endswith(V.ATTACHMENT_EXTENSIONS):
        return True
    if path.endswith((".html", ".htm", ".shtml")):
        return False
    if appendix:
        return True
    query = unquote(parts.query).lower()
    in_query = any(ext + "&" in query + "&" for ext in V.ATTACHMENT_EXTENSIONS)
    return in_query or name.lower().endswith(V.ATTACHMENT_EXTENSIONS)


_SCRIPT = re.compile(r"(?is)<script\b[^>]*>(.*?)</script\s*>")
_INVISIBLE = re.compile(r"(?is)<(script|style|noscript)\b.*?</\1\s*>|<[^>]+>")
_COOKIE_SET = re.compile(r"document\s*\.\s*cookie\s*=(?!=)")
_JS_TOKEN = re.compile(r"\s*(?:'([^'\\\n]*)'|\"([^\"\\\n]*)\"|([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*))\s*")
_JS_END = re.compile(r"\s*(?:[;,)}\n]|$)")


def same_page(a: str, b: str) -> bool:
    """Two URLs of one page: equal but for the fragment."""
    return urldefrag(a)[0] == urldefrag(b)[0]


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, int] | None:
    """(host name, port) of an http(s) URL, the scheme's default port filled in; None when the
    URL has no host or a port that is not a number."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname.lower(), port


def led_here(chain, url: str) -> list[str]:
    """The URLs a redirect chain went through to reach ``url``, without ``url`` itself (a
    cookie-gated page redirects to itself once)."""
    return [u for u in (chain or []) if not same_page(u, url)]


def _location_value(name: str, page_url: str) -> str | None:
    """The value a script reads from ``location.…`` (or ``document.URL``) on ``page_url``."""
    parts = name.replace(" ", "").split(".")
    while parts and parts[0] in ("window", "document", "top", "self", "parent") and len(parts) > 1 \
            and parts[1] in ("location", "URL", "document", "window"):
        if parts[0] == "document" and parts[1] == "URL":
            return page_url
        parts = parts[1:]
    if not parts or parts[0] != "location" or len(parts) > 2:
        return None
    u = urlsplit(page_url)
    values = {
        "href": page_url, "pathname": u.path or "/", "search": f"?{u.query}" if u.query else "",
        "hash": f"#{u.fragment}" if u.fragment else "", "protocol": f"{u.scheme}:", "host": u.netloc,
        "hostname": u.hostname or "", "port": str(u.port or ""), "origin": f"{u.scheme}://{u.netloc}",
    }
    return page_url if len(parts) == 1 else values.get(parts[1])


def script_target(expr: str, page_url: str) -> str | None:
    """The absolute address a script navigates to, from the text right after ``location.href =``
    (or ``location.replace(``): string literals and ``location`` parts joined by ``+``. None when
    it is computed some other way (a variable, a function call)."""
    out, pos = [], 0
    while True:
        m = _JS_TOKEN.match(expr, pos)
        if m is None:
            return None
        if m.group(3) is not None:
            value = _location_value(m.group(3), page_url)
            if value is None:
                return None
            out.append(value)
        else:
            out.append(m.group(1) if m.group(1) is not None else m.group(2))
        pos = m.end()
        if expr.startswith("+", pos):
            pos += 1
            continue
        if _JS_END.match(expr, pos):
            return urljoin(page_url, "".join(out).strip())
        return None


_FRAMED = re.compile(r"(?i)<(?:iframe|frame|embed|object)\b")
_JS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
# statements that make what follows them conditional (or not run at all)
_JS_CONDITIONAL = re.compile(r"\b(?:if|else|while|for|switch|case|catch|try|return|function)\b|=>|\?|&&|\|\|")
_JS_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# blocks whose body runs once the page loads: a timer, an onload or ready handler
_JS_ON_LOAD = re.compile(
    r"(?:\bsetTimeout\s*\(\s*|\.ready\s*\(\s*|\$\s*\(\s*|\bjQuery\s*\(\s*|\bonload\s*=\s*"
    r"|\baddEventListener\s*\(\s*['\"](?:load|DOMContentLoaded)['\"]\s*,\s*)"
    r"(?:function\s*\w*\s*\(\s*\)|\(\s*\)\s*=>)\s*$")


def _scripts(text: str) -> str:
    """The page's inline scripts, one after the other."""
    return "\n".join(m.group(1) for m in _SCRIPT.finditer(text))


def _visible(text: str) -> str:
    """The page's visible characters (no markup, scripts, styles or white space)."""
    return "".join(_INVISIBLE.sub(" ", text).split())


def _navigations(scripts: str, page_url: str):
    """Each place a script navigates (``location… =``, ``location.replace(…)``): where the
    statement starts and the literal address it goes to (None when computed otherwise)."""
    for pattern in (V.NAVIGATION_ASSIGN, V.NAVIGATION_CALL):
        for m in pattern.finditer(scripts):
            yield m.start(), script_target(scripts[m.end():], page_url)


def _unconditional(scripts: str, pos: int) -> bool:
    """The statement at ``pos`` runs whenever the page is opened: at the script's top level or
    in a timer / load handler, not behind an ``if`` (a mobile redirect), in a function that may
    never be called (an onclick's), a ``try`` or a loop. String literals are blanked first, so
    braces and words inside them do not count; a navigation inside a string (``setTimeout("…")``)
    is judged by the statement holding the string."""
    masked = _JS_STRING.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], scripts)
    masked = _JS_COMMENT.sub(lambda m: " " * len(m.group(0)), masked)  # (their strings blanked first)
    prefix = masked[:pos]
    statement = prefix[max(prefix.rfind(";"), prefix.rfind("{"), prefix.rfind("}")) + 1:]
    if _JS_CONDITIONAL.search(statement):
        return False
    opened: list[int] = []
    for i, ch in enumerate(prefix):
        if ch == "{":
            opened.append(i)
        elif ch == "}" and opened:
            opened.pop()
    # a handler is named by its words ("load", "DOMContentLoaded"), read where they are not blanked
    return all(_JS_ON_LOAD.search(scripts[:i]) for i in opened)


class PortalSpider(scrapy.Spider):
    """Walks any portal; the family of each listing page is detected from the page."""

    name = "portal"
    family: str | None = None

    def __init__(self, portal_id=None, url=None, columns=None, mode="auto", robots=None, robots_reason=None,
                 hosts=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portal_id = portal_id
        self.url = url
        self.mode_arg = mode or "auto"
        self.mode = "full"
        self.state = PortalState(portal_id or "")
        if isinstance(columns, str):
            columns = [c for c in columns.split(",") if c.strip()]
        self.columns = [c.strip() for c in (columns or [])]
        self.robots = robots or "obey"
        self.robots_reason = robots_reason
        self.stored_columns: list[str] = []
        self.blocked = False
        self._columns_scheduled: set[str] = set()
        self._rediscovering = False
        self._column_pages: dict[str, set] = {}
        self._forbidden = 0
        if isinstance(hosts, str):
            hosts = [h for h in hosts.split(",") if h.strip()]
        self.extra_hosts = [h.strip().lower() for h in (hosts or [])]
        self._traps: set[str] = set()
        self._pending_traps: list[TrapHit] = []
        self._attachments_cut: tuple[int, list[str]] | None = None

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
        if spider.robots not in ROBOTS_POLICIES:
            raise SpiderArgumentError(
                f"spider {cls.name} ({spider.portal_id}): argument robots must be 'obey' or 'ignore', got {spider.robots!r}"
            )
        if spider.robots == "ignore" and not (spider.robots_reason or "").strip():
            raise SpiderArgumentError(
                f"spider {cls.name} ({spider.portal_id}): ignoring robots.txt needs a robots_reason"
            )
        s = crawler.settings
        spider.db_url = s.get("HARVESTER_DB_URL")
        spider.archive_dir = s.get("HARVESTER_ARCHIVE_DIR")
        spider.full_every = dt.timedelta(days=s.getfloat("HARVESTER_FULL_EVERY_DAYS", 7))
        spider.known_depth = max(1, s.getint("HARVESTER_KNOWN_PAGES_DEPTH", 1))
        spider.max_list_pages = s.getint("HARVESTER_MAX_LIST_PAGES", 200)
        spider.discovery_depth = s.getint("HARVESTER_DISCOVERY_DEPTH", 3)
        spider.max_attachments = s.getint("HARVESTER_MAX_ATTACHMENTS", 6)
        spider.block_after_403 = max(1, s.getint("HARVESTER_BLOCK_AFTER_403", 2))
        spider.block_statuses = tuple(int(x) for x in s.getlist("HARVESTER_BLOCK_STATUSES", list(V.BLOCK_STATUSES)))
        spider.max_redirects = max(0, s.getint("HARVESTER_MAX_REDIRECTS", 5))
        spider.meta_refresh_max_delay = s.getfloat("HARVESTER_META_REFRESH_MAX_DELAY", 5)
        spider.retry_codes = {int(x) for x in s.getlist("HARVESTER_RETRY_HTTP_CODES", [500, 502, 503, 504, 522, 524, 408, 429])}
        spider.retry_times = max(0, s.getint("RETRY_TIMES", 2))
        spider.max_download_size = s.getint("DOWNLOAD_MAXSIZE", 0)
        contact = s.get("HARVESTER_CONTACT")
        ua = s.get("USER_AGENT") or ""
        if contact and contact not in ua:
            # the User-Agent names the project and the contact address from settings
            spider.user_agent = f"xxgk-harvester/{s.get('HARVESTER_VERSION', '0')} (+mailto:{contact})"
        hosts = {host(spider.url)} | {host(c) for c in spider.columns} | set(spider.extra_hosts)
        spider.allowed_domains = sorted(hosts)
        return spider

    # -- requests --------------------------------------------------------------------------
    def _request(self, url: str, kind: str, formdata=None, headers=None, dont_filter=False, **meta) -> scrapy.Request:
        callback = {
            "homepage": self.parse_discovery,
            "section": self.parse_discovery,
            "listing": self.parse_listing,
            "article": self.parse_article,
            "attachment": self.parse_attachment,
        }[kind]
        meta.update(kind=kind, handle_httpstatus_all=True)
        if self.robots == "ignore":
            meta["dont_obey_robotstxt"] = True
        if formdata is not None:
            return scrapy.FormRequest(url, formdata=formdata, callback=callback, errback=self.on_error, meta=meta,
                                      headers=headers, dont_filter=dont_filter)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, headers=headers,
                              dont_filter=dont_filter)

    def is_known(self, url: str) -> bool:
        """Captured before: the URL itself, or the page a stored redirect of it led to."""
        if url in self.state.pages:
            return True
        final = getattr(self.state, "redirects", {}).get(url)
        return final is not None and final in self.state.pages

    def _column_request(self, url: str, **meta) -> scrapy.Request | None:
        key = url
        if key in self._columns_scheduled:
            return None
        self._columns_scheduled.add(key)
        meta.setdefault("page_no", 0)
        meta.setdefault("column", url)
        # a gkmlpt column is the app page plus a #category fragment: fingerprints ignore fragments
        return self._request(url, "listing", dont_filter=bool(urlsplit(url).fragment), **meta)

    def _page_request(self, page: Page, column: str, **meta) -> scrapy.Request:
        return self._request(page.url, "listing", formdata=page.formdata, page_no=page.page_no, column=column,
                             **{**page.meta, **meta})

    def choose_mode(self, now: dt.datetime | None = None) -> str:
        if self.mode_arg != "auto":
            return self.mode_arg
        now = now or dt.datetime.now(dt.timezone.utc)
        if self.state.last_full is None or now - self.state.last_full >= self.full_every:
            return "full"
        return "incremental"

    def load_stored_columns(self) -> list[str]:
        """The columns an earlier discovery confirmed (portal row), if any."""
        from storage.models import Portal

        with shared_database(self.db_url).session() as s:
            portal = s.get(Portal, self.portal_id)
            cols = list(portal.discovered_columns or []) if portal is not None else []
        return [c for c in cols if isinstance(c, str) and host(c) in self.allowed_domains]

    @cached_property
    def context(self) -> CrawlContext:
        """What this crawl's components share (portal state, pages read once)."""
        return CrawlContext.of(getattr(self, "crawler", None))

    async def start(self):
        if self.db_url:
            self.state = self.context.portal_state(self.portal_id)
        self.mode = self.choose_mode()
        self.logger.info("%s: %s pass, %d pages known", self.portal_id, self.mode, len(self.state.pages))
        if self.columns:
            for c in self.columns:
                req = self._column_request(c)
                if req is not None:
                    yield req
            return
        if self.mode == "incremental" and self.db_url:
            self.stored_columns = self.load_stored_columns()
        if self.stored_columns:
            for c in self.stored_columns:
                # nightly: a column page unchanged since the last capture costs a 304 (not the
                # gkmlpt app page, which stays the same while its API lists new items)
                req = self._column_request(c, stored=True, conditional=not urlsplit(c).fragment)
                if req is not None:
                    yield req
        else:
            yield self._request(self.url, "homepage", depth=0)

    def on_error(self, failure):
        from middlewares.hostlimit import NotSent

        if failure.check(NotSent):  # the crawl is stopping (a block, a full disk): recorded as such
            self.crawler.stats.inc_value("harvester/not_sent_stopping")
            return
        request = failure.request
        why = self.failure_reason(failure)
        if request.meta.get("archive") is not None and request.meta.get("kind"):
            # Archived as received, then refused on the way to the spider (a compressed body
            # that decompresses past DOWNLOAD_MAXSIZE): the capture is stored, never read.
            yield self._failed_page_item(request, why)
        chain = request.meta.get("redirected_from") or []
        if chain:
            # a followed redirect that led nowhere: the error belongs to the URL that was asked for
            why = f"{why} (at {request.url}, reached by redirect from {chain[0]})"
        yield FetchError(self.portal_id, chain[0] if chain else request.url, why)

    def failure_reason(self, failure) -> str:
        """One clear line for a request that produced no usable response."""
        name = failure.type.__name__
        msg = failure.getErrorMessage()
        limit = self.max_download_size
        if name in ("DownloadCancelledError", "CancelledError"):
            if "max size" in msg or self.crawler.crawling:
                # the downloader cancels a body passing DOWNLOAD_MAXSIZE (its message, if any, says so)
                return (f"response too large: the body passed DOWNLOAD_MAXSIZE ({limit} bytes) and the download was cut off"
                        + (f" ({msg})" if msg and "max size" in msg else ""))
            return f"download cancelled: the crawl was stopping ({name})"
        if name == "IgnoreRequest" and "DOWNLOAD_MAXSIZE" in msg:
            return f"response too large once decompressed (a compression bomb?): {msg}"
        if name in ("ResponseDataLossError", "_DataLoss") or "DataLoss" in msg:
            return f"truncated body: the connection ended (closed or reset) before the announced Content-Length ({name})"
        if name in ("ConnectionLost", "ResponseFailed", "DownloadFailedError") or "ConnectionLost" in msg or "ConnectionDone" in msg:
            return f"connection lost mid-response: {name}: {msg}"
        if name in ("DownloadTimeoutError", "TimeoutError"):
            return f"timed out (DOWNLOAD_TIMEOUT): {msg}"
        return f"{name}: {msg}"

    def _failed_page_item(self, request, why: str) -> PageItem:
        archive = request.meta["archive"]
        return PageItem(
            portal_id=self.portal_id, url=request.url, kind=request.meta["kind"],
            status=request.meta.get("archive_status") or 0, headers=request.meta.get("archive_headers") or {},
            body=b"", fetched_at=archive.date or dt.datetime.now(dt.timezone.utc), archive=archive.__dict__,
            link_text=request.meta.get("link_text"), parent_url=request.meta.get("parent_url"),
            redirected_from=led_here(request.meta.get("redirected_from"), request.url), failure=why,
        )

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
            replayed=bool(response.meta.get("replayed_from_archive")),
            redirected_from=led_here(response.meta.get("redirected_from"), response.url),
            **extra,
        )

    def _usable(self, response) -> bool:
        return response.status == 200 and isinstance(response, scrapy.http.TextResponse)

    # -- page reading helpers (used by the family adapters) -------------------------------
    def text(self, response) -> str:
        return self.context.text(response)

    def links(self, response) -> list[tuple[str, str]]:
        return self.context.links(response, self.allowed_domains)

    @staticmethod
    def is_report_link(url: str, text: str) -> bool:
        return any(w in text for w in V.REPORT_LINK_TEXTS)

    # -- every answer: store it, then blocks, retries, redirects, meta refresh -------------------
    def answer(self, response, **extra):
        """Yield the page item and what the answer itself calls for. Returns True when the
        callback has nothing more to do with it (``done = yield from self.answer(response)``)."""
        retry = self._retry_request(response)
        yield self.page_item(response, retrying=retry is not None, **extra)
        if self.is_block(response):
            yield from self.on_block(response)
            return True
        if retry is not None:
            yield retry
            return True
        if response.status in REDIRECT_STATUSES:
            location = response.headers.get("Location")
            target = location.decode("latin-1").strip() if location else None
            yield from self.follow_redirect(response, target, f"HTTP {response.status}")
            return True
        if response.status == 200 and isinstance(response, scrapy.http.HtmlResponse):
            if (yield from self._meta_refresh(response)):
                return True
            target = self.script_redirect(response)
            if target is not None:
                self.crawler.stats.inc_value("harvester/script_redirects")
                yield from self.follow_redirect(response, target, "script")
                return True
        return False

    def _follow_up(self, response, url: str, **changes) -> scrapy.Request:
        """The same request again (a retry) or at another URL (a redirect), as a fresh attempt."""
        request = response.request
        meta = {k: v for k, v in request.meta.items() if k not in _ATTEMPT_META and not k.startswith("_")}
        meta.update(changes)
        headers = request.headers.copy()
        for name in ("If-None-Match", "If-Modified-Since", "Cookie", "Authorization"):
            headers.pop(name, None)
        return request.replace(url=url, meta=meta, headers=headers, dont_filter=True, priority=request.priority - 1)

    def _retry_request(self, response) -> scrapy.Request | None:
        if response.status not in self.retry_codes or response.meta.get("replayed_from_archive"):
            return None
        n = response.meta.get("harvester_retries", 0)
        if n >= self.retry_times:
            return None
        self.crawler.stats.inc_value("harvester/retried_answers")
        return self._follow_up(response, response.request.url, harvester_retries=n + 1)

    def follow_redirect(self, response, target: str | None, how: str):
        """Follow a redirect within the portal's hosts; anything else is a recorded error.

        A URL already in the chain is a loop, except once when a redirect since its last visit
        set a cookie (a cookie-gated download: a 302 to the same URL with ``Set-Cookie``; the
        CookiesMiddleware sends the cookie on the revisit). A second return is a loop."""
        chain = [*(response.meta.get("redirected_from") or []), response.url]
        cookies = [*(response.meta.get("redirect_cookies") or []), bool(response.headers.getlist("Set-Cookie"))]
        cookies = [False] * (len(chain) - len(cookies)) + cookies[-len(chain):]
        first = chain[0]
        if not target:
            yield FetchError(self.portal_id, first, f"{how} redirect without a Location header at {response.url}")
            return
        url = strip_session_ids(urljoin(response.url, target))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            yield FetchError(self.portal_id, first, f"{how} redirect to {target!r}, which is not an http(s) URL: not followed")
            return
        refusal = self.offsite(response.url, url)
        if refusal:
            self.crawler.stats.inc_value("harvester/redirects_offsite")
            yield FetchError(self.portal_id, first, f"{how} redirect to {refusal}: {response.url} -> {url} "
                                                    f", not followed")
            return
        revisits = list(response.meta.get("cookie_revisits") or [])
        seen = [i for i, u in enumerate(chain) if same_page(u, url)]
        if seen:
            if not any(cookies[seen[-1]:]) or any(same_page(u, url) for u in revisits):
                self.crawler.stats.inc_value("harvester/redirect_loops")
                yield FetchError(self.portal_id, first, f"redirect loop: {' -> '.join([*chain, url])}")
                return
            revisits.append(url)
        if len(chain) > self.max_redirects:
            self.crawler.stats.inc_value("harvester/redirect_chains_cut")
            yield FetchError(self.portal_id, first, f"redirect chain longer than {self.max_redirects} hops "
                                                    f"(HARVESTER_MAX_REDIRECTS), stopped at {response.url} -> {url}")
            return
        self.crawler.stats.inc_value("harvester/redirects_followed")
        if seen:
            self.crawler.stats.inc_value("harvester/cookie_revisits")
        req = self._follow_up(response, url, redirected_from=chain, redirect_cookies=cookies, cookie_revisits=revisits)
        status = response.status
        if req.method == "POST" and (status == 303 or (status in (301, 302) and how.startswith("HTTP"))):
            headers = req.headers.copy()
            headers.pop("Content-Type", None)
            req = req.replace(method="GET", body=b"", headers=headers)
        elif req.method != "GET" and how.startswith(("meta", "script")):  # a browser navigates with GET
            req = req.replace(method="GET", body=b"")
        yield req

    @cached_property
    def allowed_origins(self) -> set[tuple[str, int]]:
        """(host, port) pairs a redirect may lead to: those of the portal's URL and columns, the
        registry's hosts at the default ports (and at the portal's port); a host served at a
        default port is the same site over http and https."""
        out = {o for o in map(origin, [self.url, *self.columns]) if o is not None}
        ports = {80, 443} | {port for _, port in out}
        out |= {(h, port) for h in self.extra_hosts for port in ports}
        out |= {(h, other) for h, port in list(out) if port in (80, 443) for other in (80, 443)}
        return out

    def offsite(self, source: str, target: str) -> str | None:
        """Why a redirect from ``source`` to ``target`` leaves the portal ("another host …",
        "another port …"), or None. Host and port are compared (http 80, https 443); the same
        (host, port) as the source, and http→https on the same host name, stay allowed."""
        if host(target) not in self.allowed_domains:
            return "another host (not one of the portal's hosts; list it in the registry's hosts to follow it)"
        to = origin(target)
        if to is not None and (to == origin(source) or to in self.allowed_origins):
            return None
        src = urlsplit(source)
        if (to is not None and to[1] == 443 and urlsplit(target).scheme.lower() == "https"
                and src.scheme.lower() == "http" and (src.hostname or "").lower() == to[0]):
            return None  # http -> https on the same host name
        port = to[1] if to is not None else "?"
        return f"another port ({port} on {host(target)}, not one of the portal's; host and port must match)"

    def _meta_refresh(self, response):
        """A ``<meta http-equiv="refresh">``: the page stays stored as itself. A quick refresh is
        a redirect; a slower one on a discovery page is followed as a link; elsewhere it is
        left alone. A target on another host is recorded, never silently dropped."""
        from w3lib.html import get_meta_refresh

        head = self.text(response)[:65536]
        if "refresh" not in head.lower():
            return False
        try:
            delay, target = get_meta_refresh(head, response.url, ignore_tags=("script", "noscript"))
        except ValueError:
            return False
        if not target:
            return False
        target = strip_session_ids(target)
        if same_page(target, response.url):
            return False  # a page reloading itself, or jumping to an anchor of itself (url=#main): no redirect
        how = f"meta refresh ({delay:g} s)"
        if delay <= self.meta_refresh_max_delay:
            self.crawler.stats.inc_value("harvester/meta_refresh_redirects")
            yield from self.follow_redirect(response, target, how)
            return True
        refusal = self.offsite(response.url, target)
        if refusal:
            yield FetchError(self.portal_id, response.url, f"{how} to {refusal}: {target} (not followed; the page is stored)")
            return False
        kind = response.meta.get("kind")
        depth = response.meta.get("depth_in_site", 0)
        if kind in ("homepage", "section") and depth + 1 < self.discovery_depth:
            yield self._request(target, "section", depth_in_site=depth + 1)
        return False

    def script_redirect(self, response) -> str | None:
        """Where a redirect stub sends the browser by script (a portal's root page that is only
        ``<script>window.location.href="/index.html"</script>``, a moved page's
        ``location.replace(…)``), or None. Only a page with nothing else in it is a stub: next
        to no visible text and no link other than to that target; the target is a literal
        address (``script_target``) other than the page itself. The page stays stored as itself,
        as with a meta refresh."""
        if len(response.body) > 16384:
            return None
        text = self.text(response)
        if "location" not in text:
            return None
        if _FRAMED.search(text):  # a viewer showing a document in a frame is a page
            return None
        scripts = _scripts(text)
        target = next((strip_session_ids(found) for start, found in _navigations(scripts, response.url)
                       if found is not None and urlsplit(found).scheme in ("http", "https")
                       and not same_page(found, response.url) and _unconditional(scripts, start)), None)
        if target is None or len(_visible(text)) >= 80 or self._links_elsewhere(response, target):
            return None
        return target

    # -- blocks ----------------------------------------------------------------------------
    def is_challenge_page(self, response) -> bool:
        """A JavaScript challenge served with 200: a page with no real content (no article links,
        next to no visible text, not an empty listing's 暂无信息) whose script sends the browser
        back to the page itself (``location.reload()``, ``location.href=location.pathname+…``,
        or a computed target after setting a cookie) or that carries a known WAF signature.
        Reading ``location.pathname`` (analytics) or a script redirect to another, literal
        address is neither."""
        if not isinstance(response, scrapy.http.TextResponse) or len(response.body) > 16384:
            return False
        text = self.text(response)
        if "<script" not in text.lower():
            return False
        if not (any(m in text for m in V.WAF_MARKERS) or self._script_reloads(response, text)):
            return False
        return not self._has_real_content(response, text)

    def _script_reloads(self, response, text: str) -> bool:
        """A script on the page reloads it or navigates back to it (see ``is_challenge_page``)."""
        scripts = _scripts(text)
        if not scripts:
            return False
        if V.RELOAD_CALL.search(scripts):
            return True
        sets_cookie = bool(_COOKIE_SET.search(scripts))
        for _start, target in _navigations(scripts, response.url):
            if target is None:
                if sets_cookie:  # a computed address after setting a cookie: a challenge's way
                    return True
            elif same_page(target, response.url):
                return True
        return False

    def _has_real_content(self, response, text: str) -> bool:
        visible = _visible(text)
        if len(visible) >= 80 or any(w in visible for w in V.EMPTY_PAGE_TEXTS):
            return True
        return self._links_elsewhere(response)

    def _links_elsewhere(self, response, *also: str) -> bool:
        """The page links somewhere other than itself, its site's root and ``also``."""
        known = (response.url, urljoin(response.url, "/"), *also)
        return any(not any(same_page(url, u) for u in known) for url, _ in self.links(response))

    def is_block(self, response) -> bool:
        """412 / 521 (JavaScript challenges) block at once, as does a challenge page served
        with 200; a 403 does on the homepage or a section page, or from the second one on (one
        forbidden article is an error, not a block)."""
        if response.status == 200 and response.meta.get("kind") != "attachment" and self.is_challenge_page(response):
            return True
        if response.status not in self.block_statuses:
            return False
        if response.status != 403 or response.meta.get("kind") in ("homepage", "section"):
            return True
        self._forbidden += 1
        return self._forbidden >= self.block_after_403

    def on_block(self, response):
        """Record the block and stop this portal's crawl (the other portals go on)."""
        self.blocked = True
        status = response.status
        what = "JavaScript challenge" if status in (412, 521, 200) else "access refused"
        body = response.body[:2000].decode("latin-1", errors="replace")
        if status == 403 and any(m in body for m in V.CHALLENGE_MARKERS):
            what = "JavaScript challenge"
        self.crawler.stats.inc_value("harvester/blocked")
        yield Blocked(self.portal_id, response.url, status, f"HTTP {status} ({what}) on {response.meta.get('kind')} page")
        raise CloseSpider("blocked")

    # -- discovery -------------------------------------------------------------------------
    def parse_discovery(self, response):
        if (yield from self.answer(response)):
            return
        if not self._usable(response):
            return
        depth = response.meta.get("depth_in_site", 0)
        columns: list[str] = []
        sections: list[str] = []
        # columns the page names itself (an app's category tree), with their first listing pages
        for url, pages in families.FAMILIES[self.family_of(response)].adapter.columns(self, response):
            columns.append(url)
            for page in pages:
                self._columns_scheduled.add(url)
                yield self._page_request(page, url, discovered=True, sub_depth=0)
        if columns:
            return
        for url, text in self.links(response):
            if self.is_column_link(url, text):
                columns.append(url)
            elif self.is_section_link(url, text):
                sections.append(url)
        for url in dict.fromkeys(columns):
            req = self._column_request(url, discovered=True, sub_depth=0)
            if req is not None:
                yield req
        if not columns and depth + 1 < self.discovery_depth:
            for url in list(dict.fromkeys(sections))[:5]:
                yield self._request(url, "section", depth_in_site=depth + 1)
        if not columns and not sections:
            yield FetchError(self.portal_id, response.url, "discovery: no disclosure section or annual-report column linked from this page")

    @staticmethod
    def is_column_link(url: str, text: str) -> bool:
        if any(x in text for x in V.COLUMN_EXCLUDE):
            return False
        if any(t in text for t in V.COLUMN_TEXTS) and len(text) <= 20:
            return True
        path = urlsplit(url).path.lower()
        return bool(path) and any(f"/{p}" in path for p in V.COLUMN_URL_PARTS)

    @staticmethod
    def is_section_link(url: str, text: str) -> bool:
        if any(text == t or (t in text and len(text) <= 10) for t in V.SECTION_TEXTS):
            return True
        path = urlsplit(url).path.lower()
        return any(f"/{p}/" in path or path.endswith(f"/{p}") for p in V.SECTION_URL_PARTS) and len(text) <= 10

    # -- listing pages ---------------------------------------------------------------------
    def family_of(self, response) -> str:
        if self.family:
            return self.family
        text = self.text(response) if isinstance(response, scrapy.http.TextResponse) else ""
        return families.detect(response, text)

    def _column_gone(self, response, why: str):
        """A column remembered from an earlier discovery is gone: say so, discover again."""
        column = response.meta.get("column") or response.url
        yield ColumnMoved(self.portal_id, column, why)
        if not self._rediscovering:
            self._rediscovering = True
            yield self._request(self.url, "homepage", depth=0)

    def parse_listing(self, response):
        meta = response.meta
        column = meta.get("column") or response.url
        first = meta.get("page_no", 0) == 0
        if (yield from self.answer(response)):
            return
        if response.status == 304:
            if first:
                yield ColumnsFound(self.portal_id, [column])
            # Unchanged since the last capture: read that capture, so a link whose fetch failed
            # last time is tried again (known items are still skipped).
            response = self.archived_copy(response)
            if response is None:
                return
        if not self._usable(response):
            if first and meta.get("stored") and response.status in (404, 410):
                yield from self._column_gone(response, f"HTTP {response.status}")
            return
        family = self.family_of(response)
        adapter = families.FAMILIES[family].adapter
        pages = adapter.gateway(self, response)
        if pages is not None:
            yield from self._through_gateway(response, family, column, pages)
            return
        articles = list({a.url: a for a in adapter.articles(self, response)}.values())
        if not articles:
            if adapter.says_empty(self, response):
                # An intact column that lists nothing (a township that published nothing): note it.
                self.logger.warning("column is empty: %s", response.url)
                self.crawler.stats.inc_value("harvester/empty_columns")
                if first:
                    yield ColumnsFound(self.portal_id, [column], family)
            elif first and meta.get("stored"):
                yield from self._column_gone(response, "no article links on the column page")
            elif first or adapter.names_every_item:
                # Fail loudly: a column page with no items means the page changed or is not a column.
                yield FetchError(self.portal_id, response.url, f"listing ({family}): no article links found")
        elif first:
            yield ColumnsFound(self.portal_id, [column], family)
        if first and not self.columns and not meta.get("stored"):
            yield from self._sub_columns(response, articles)
        unknown = 0
        for link in articles:
            if self.is_known(link.url):
                if self.mode == "full":
                    yield self._article_request(link, conditional=True)
                else:
                    self.crawler.stats.inc_value("harvester/known_articles_skipped")
            else:
                unknown += 1
                yield self._article_request(link)
        if not self._new_page_content(response, column, articles):
            return  # the same page again (a site answering 200 for any page number): stop here
        if self.mode == "full":
            for page in adapter.pages(self, response):
                if page.page_no < self.max_list_pages:
                    yield self._page_request(page, column)
                else:
                    self.list_cap_hit(response, column=column)
            yield from self._drain_traps()
            return
        # Nightly: walk on only while pages still hold new items (plus a bounded look-ahead).
        streak = 0 if unknown else meta.get("known_streak", 0) + 1
        if streak >= self.known_depth:
            return
        nxt = adapter.next_page(self, response)
        if nxt and nxt.page_no < self.max_list_pages:
            yield self._page_request(nxt, column, known_streak=streak, conditional=True)
        elif nxt:
            self.list_cap_hit(response, column=column)
        yield from self._drain_traps()

    def _through_gateway(self, response, family: str, column: str, pages: list[Page]):
        """An app page standing for its column (gkmlpt's ``index#category``): its listing pages
        are fetched instead; none means the app no longer has the column."""
        meta = response.meta
        for page in pages:
            yield self._page_request(page, column, stored=meta.get("stored"), sub_depth=meta.get("sub_depth"))
        if pages:
            return
        if meta.get("stored"):
            yield from self._column_gone(response, f"category no longer in the {family} tree")
        else:
            yield FetchError(self.portal_id, response.url, f"listing ({family}): no such category in the app's tree")

    def list_cap_hit(self, response, announced: int | None = None, column: str | None = None) -> None:
        """A column goes on past HARVESTER_MAX_LIST_PAGES (the adapters call this when they cut
        an announced page count): one ``TrapHit`` per column, yielded by the listing callback."""
        column = column or response.meta.get("column") or response.url
        if column in self._traps:
            return
        self._traps.add(column)
        self.crawler.stats.inc_value("harvester/traps")
        if announced is not None:
            detail = (f"listing trap: the column announces {announced} pages; only the first {self.max_list_pages} "
                      f"are walked (HARVESTER_MAX_LIST_PAGES)")
        else:
            detail = (f"listing trap: the column's pages go on past {self.max_list_pages} (endless pagination or a "
                      f"calendar); the walk stopped there (HARVESTER_MAX_LIST_PAGES), last page {response.url}")
        self._pending_traps.append(TrapHit(self.portal_id, column, detail))

    def _drain_traps(self):
        while self._pending_traps:
            yield self._pending_traps.pop(0)

    def _new_page_content(self, response, column: str, articles: list[Link]) -> bool:
        """False when this listing page shows exactly what an earlier page of its column showed."""
        sig = frozenset(a.url for a in articles) or frozenset(u for u, _ in self.links(response))
        seen = self._column_pages.setdefault(column, set())
        if sig in seen:
            self.crawler.stats.inc_value("harvester/repeated_listing_pages")
            return False
        seen.add(sig)
        return True

    def _sub_columns(self, response, articles: list[Link]):
        """Department / township sub-columns linked from a column page, to the discovery depth."""
        depth = response.meta.get("sub_depth") or 0
        if depth + 1 >= self.discovery_depth:
            return
        article_urls = {a.url for a in articles}
        for url, text in self.links(response):
            if url in article_urls or url == response.url or not text:
                continue
            if any(t in text for t in V.COLUMN_TEXTS) and len(text) <= 20 and not any(x in text for x in V.COLUMN_EXCLUDE):
                req = self._column_request(url, discovered=True, sub_depth=depth + 1)
                if req is not None:
                    yield req

    def _article_request(self, link: Link, conditional: bool = False) -> scrapy.Request:
        meta = {"link_text": link.text}
        if link.attachments:
            meta["attachments"] = list(link.attachments)
        if conditional:
            meta["conditional"] = True
        return self._request(link.url, "article", **meta)

    # -- articles and attachments ----------------------------------------------------------
    def attachment_links(self, response) -> list[tuple[str, str]]:
        """(URL, name) of the documents an article page links: PDF, DOC(X), WPS, XLS(X) …"""
        out = dict(tuple(x) for x in response.meta.get("attachments") or [])
        if isinstance(response, scrapy.http.TextResponse):
            sel = Selector(text=self.text(response) or "<html></html>", type="html")
            for a in anchors(sel):  # lxml elements: a Selector per anchor cost more than the parse
                href = a.get("href").strip()
                if not href or href.startswith(("javascript:", "mailto:", "#")):
                    continue
                url = strip_session_ids(response.urljoin(href))
                if host(url) not in self.allowed_domains:
                    continue
                name = " ".join(" ".join(a.itertext()).split())
                if is_attachment_link(url, name, a.get("appendix") == "true"):
                    out.setdefault(url, name)
        if len(out) > self.max_attachments:
            # not silent: the page's other documents are named in the run's errors
            self._attachments_cut = (len(out), [u for u in list(out)[self.max_attachments:]])
        return list(out.items())[: self.max_attachments]

    def parse_article(self, response):
        if (yield from self.answer(response, link_text=response.meta.get("link_text"))):
            return
        if response.status == 304:
            # Unchanged page: its attachments are still checked (they can change on their own).
            response = self.archived_copy(response) or response
        if response.status != 200:
            return
        self._attachments_cut = None
        attachments = self.attachment_links(response)
        if self._attachments_cut:
            total, left = self._attachments_cut
            yield FetchError(self.portal_id, response.url,
                             f"the page links {total} documents; only the first {self.max_attachments} are fetched "
                             f"(HARVESTER_MAX_ATTACHMENTS); not fetched: {', '.join(left[:5])}{' …' if len(left) > 5 else ''}")
        for url, name in attachments:
            known = self.is_known(url)
            if known and self.mode != "full":
                self.crawler.stats.inc_value("harvester/known_attachments_skipped")
                continue
            meta = {"link_text": name or None, "parent_url": response.url}
            if known:
                meta["conditional"] = True
            # attachment downloads often need the page as Referer
            yield self._request(url, "attachment", headers={"Referer": response.url}, **meta)

    def archived_copy(self, response):
        """The page as last captured, for a 304 answer (None when it is not in the archive)."""
        known = self.state.pages.get(response.url)
        if known is None or not self.archive_dir or not known.warc_file:
            return None
        try:
            rec = read_record(Path(self.archive_dir), known.warc_file, known.warc_offset)
        except (OSError, ValueError) as exc:
            self.logger.warning("no archived copy of %s: %s", response.url, exc)
            return None
        headers = Headers([(k, v) for k, v in rec.headers])
        cls = responsetypes.from_args(headers=headers, url=response.url, body=rec.body)
        self.crawler.stats.inc_value("harvester/not_modified_read_from_archive")
        return cls(url=response.url, status=200, headers=headers, body=rec.body, request=response.request)

    def parse_attachment(self, response):
        yield from self.answer(response, link_text=response.meta.get("link_text"), parent_url=response.meta.get("parent_url"))


class TrsSpider(PortalSpider):
    """TRS WCM (拓尔思) portals: index_N.html pagination, tYYYYMMDD_N.html articles."""

    name = "trs"
    family = "trs"


class HanwebSpider(PortalSpider):
    """Hanweb JCMS (大汉) portals: inline <datastore>, dataproxy.jsp paging, /art/ articles."""

    name = "hanweb"
    family = "hanweb"


class GkmlptSpider(PortalSpider):
    """Guangdong gkmlpt portals: _CONFIG SID and TREE, the JSON list API, DETAIL.content pages."""

    name = "gkmlpt"
    family = "gkmlpt"


class GenericSpider(PortalSpider):
    """Any other platform: report links by text, 下一页 / 共N页 / pageCount pagination."""

    name = "generic"
    family = "generic"
