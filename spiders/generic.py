"""Any other platform: report links recognised by their text; further pages through 下一页 links,
bounded by 共N页 text or ``pageCount`` / ``totalPage`` variables when the page states them, and
by a column's pages repeating themselves (a site that answers 200 for any page number)."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from spiders import vocabulary as V
from spiders.adapter import FamilyAdapter
from spiders.common import Link, Page

_YEAR = re.compile(r"(?:19|20)\d\d")
_PAGE_IN_PATH = re.compile(r"^(.*[_-])(\d+)(\.\w+)$")
_PAGE_PARAMS = ("page", "pageNo", "pageno", "cur_page", "curPage", "pageIndex", "p", "pn")


def is_column_name(text: str) -> bool:
    """A short name like 乡镇政府信息公开年报 (a sub-column), not a report title (which has a year)."""
    return len(text) <= 20 and not _YEAR.search(text) and any(t in text for t in V.COLUMN_TEXTS)


def total_pages(text: str) -> int | None:
    for m in V.GENERIC_TOTAL_PAGES.finditer(text):
        n = int(m.group(1) or m.group(2))
        if n > 0:
            return n
    return None


def page_url(next_url: str, n_next: int, n_target: int) -> str | None:
    """The URL of page ``n_target`` (1-based) given the URL of page ``n_next`` (list_2.shtml, ?page=2)."""
    parts = urlsplit(next_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for i, (k, v) in enumerate(query):
        if k in _PAGE_PARAMS and v.isdigit():
            offset = int(v) - n_next
            query[i] = (k, str(n_target + offset))
            return urlunsplit(parts._replace(query=urlencode(query)))
    m = _PAGE_IN_PATH.match(parts.path)
    if m and m.group(2).isdigit():
        offset = int(m.group(2)) - n_next
        return urlunsplit(parts._replace(path=f"{m.group(1)}{n_target + offset}{m.group(3)}"))
    return None


class GenericFamily(FamilyAdapter):
    names_every_item = False  # report links only, by their text

    @staticmethod
    def detect(response, text: str) -> bool:
        return True

    def articles(self, spider, response) -> list[Link]:
        return [Link(u, t) for u, t in spider.links(response)
                if spider.is_report_link(u, t) and not is_column_name(t)]

    def _next(self, spider, response) -> str | None:
        for url, text in spider.links(response):
            if text in V.NEXT_PAGE_TEXTS and url != response.url:
                return url
        return None

    def pages(self, spider, response) -> list[Page]:
        nxt = self.next_page(spider, response)
        return [nxt] if nxt else []  # walked one page after the other, each page schedules the next

    def next_page(self, spider, response) -> Page | None:
        page_no = response.meta.get("page_no", 0)
        total = total_pages(spider.text(response))
        if total is not None and page_no + 1 >= total:
            return None  # the page says it is the last one
        url = self._next(spider, response)
        if url is None:
            return None
        return Page(url, page_no + 1)

    def says_empty(self, spider, response) -> bool:
        return False  # no platform convention tells an empty column from a changed page
