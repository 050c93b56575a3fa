"""What the family adapters share: link and page records, page decoding, link extraction.

A family adapter (``spiders.adapter.FamilyAdapter``, one per family of ``spiders.families``)
answers, for one listing response: which articles it names, which further listing pages
the column has, and whether an empty page is a legitimately empty column. The spider
(``spiders.base.PortalSpider``) turns the answers into requests and items.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

from harvester.charset import decode_text


@dataclass(frozen=True)
class Link:
    """An article named by a listing page."""

    url: str
    text: str
    attachments: tuple[tuple[str, str], ...] = ()  # (url, name) listed next to it (gkmlpt API)


@dataclass
class Page:
    """Another listing page of the same column."""

    url: str
    page_no: int
    formdata: dict[str, str] | None = None  # POST form (Hanweb dataproxy.jsp)
    meta: dict = field(default_factory=dict)


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# Session ids some platforms (Java, PHP, ASP) put in every link: the same page under endless URLs.
_SESSION_PATH_PARAM = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.I)
SESSION_QUERY_KEYS = ("jsessionid", "phpsessid", "sessionid", "aspsessionid", "cfid", "cftoken")


def strip_session_ids(url: str) -> str:
    """The URL without a session id (``;jsessionid=…`` or ``?PHPSESSID=…``), so a session-id
    trap cannot make one page look like endless new pages."""
    parts = urlsplit(url)
    path = _SESSION_PATH_PARAM.sub("", parts.path)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k.lower() not in SESSION_QUERY_KEYS and not k.lower().startswith("aspsessionid")]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    if path == parts.path and query == parts.query:
        return url
    return urlunsplit(parts._replace(path=path, query=query))


def link_text(sel) -> str:
    """An anchor's title, else its text (a parsel Selector or an lxml element)."""
    if hasattr(sel, "itertext"):  # lxml: the same text nodes as ::text, without a selector per anchor
        t = sel.get("title") or " ".join(sel.itertext())
    else:
        t = sel.attrib.get("title") or " ".join(sel.css("::text").getall())
    return " ".join(t.split())


def anchors(sel):
    """The ``<a href>`` elements of a parsed page (lxml elements, in page order): what
    ``sel.css("a[href]")`` selects, without wrapping each in a Selector."""
    return [a for a in sel.root.iter("a") if a.get("href") is not None]


def page_text(response) -> str:
    """The page as text, read by ``harvester.charset`` (header, then the page's declaration,
    gb2312/gbk as gb18030; undeclared: UTF-8 or GB18030, where Scrapy would guess cp1252)."""
    ctype = response.headers.get("Content-Type")
    text, _ = decode_text(response.body, ctype.decode("latin-1") if ctype else None)
    return text


def links_in(sel: Selector, base_url: str, allowed_hosts) -> list[tuple[str, str]]:
    """(absolute URL, link text) of the same-site links of a page, in page order."""
    out = []
    for a in anchors(sel):
        href = a.get("href").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = strip_session_ids(urljoin(base_url, href))
        if host(url) not in allowed_hosts:
            continue
        out.append((url, link_text(a)))
    return out
