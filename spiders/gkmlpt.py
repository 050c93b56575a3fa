"""Guangdong gkmlpt (政府信息公开集约化平台): ``/gkmlpt/index`` is a single-page app whose HTML holds
``window._CONFIG = {SID:'…', TREE:[{id, name, children}]}``; a category's items come from the JSON
API ``/gkmlpt/api/all/{category}?page={n}&sid={SID}`` → ``{classify:{post_count}, articles:[{id,
title, date, url, attachment:[{name, type, url}]}]}``. Content pages carry the body in
``window._CONFIG.DETAIL.content``. A column is named ``…/gkmlpt/index#{category}``."""
from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urljoin, urlsplit

from spiders import vocabulary as V
from spiders.adapter import FamilyAdapter
from spiders.common import Link, Page

_NODE = re.compile(r"""\{\s*['"]?id['"]?\s*:\s*['"]?(\d+)['"]?\s*,\s*['"]?name['"]?\s*:\s*(['"])(.*?)\2""", re.S)
API_PATH = re.compile(r"/gkmlpt/api/all/(\d+)")


def sid(text: str) -> str | None:
    m = V.GKMLPT_SID.search(text)
    return m.group(1) if m else None


def tree(text: str) -> list[tuple[int, str]]:
    """(category id, name) of every node of ``_CONFIG.TREE``."""
    start = text.find("TREE")
    if start < 0:
        return []
    return [(int(m.group(1)), m.group(3)) for m in _NODE.finditer(text, start)]


def api_url(base_url: str, category: int, page: int, sid_value: str) -> str:
    return urljoin(base_url, f"/gkmlpt/api/all/{category}?page={page}&sid={sid_value}")


def column_url(base_url: str, category: int) -> str:
    return urljoin(base_url, f"/gkmlpt/index#{category}")


def category_of(url: str) -> int | None:
    frag = urlsplit(url).fragment
    if frag.isdigit():
        return int(frag)
    m = API_PATH.search(urlsplit(url).path)
    return int(m.group(1)) if m else None


def payload(response) -> dict | None:
    try:
        data = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


class GkmlptFamily(FamilyAdapter):
    @staticmethod
    def detect(response, text: str) -> bool:
        return "/gkmlpt/" in urlsplit(response.url).path or "window._CONFIG" in text

    @staticmethod
    def is_api(response) -> bool:
        return bool(API_PATH.search(urlsplit(response.url).path))

    def gateway(self, spider, response) -> list[Page] | None:
        """The app page of a column: the API's first page of its category (needs the SID)."""
        if self.is_api(response):
            return None
        return self._first_page(spider.text(response), response.url,
                                response.meta.get("gkmlpt_category") or category_of(response.meta.get("column") or ""))

    def _first_page(self, text: str, url: str, category: int | None) -> list[Page]:
        s = sid(text)
        if s is None or category is None:
            return []
        if category not in {c for c, _ in tree(text)}:
            return []  # the category is gone from the tree: the column moved
        return [Page(api_url(url, category, 1, s), 0, meta={"gkmlpt_sid": s, "gkmlpt_category": category})]

    def columns(self, spider, response) -> list[tuple[str, list[Page]]]:
        """Discovery on the app page: the tree's annual-report categories, each with its API page."""
        text = spider.text(response)
        if "window._CONFIG" not in text:
            return []
        out = []
        for category, name in tree(text):
            if spider.is_column_link("", name):
                out.append((column_url(response.url, category), self._first_page(text, response.url, category)))
        return out

    def articles(self, spider, response) -> list[Link]:
        data = payload(response) if self.is_api(response) else None
        if data is None:
            return []
        out = []
        for a in data.get("articles") or []:
            if not isinstance(a, dict) or not a.get("url"):
                continue
            url = urljoin(response.url, str(a["url"]))
            atts = tuple(
                (urljoin(url, str(x["url"])), str(x.get("name") or ""))
                for x in a.get("attachment") or [] if isinstance(x, dict) and x.get("url")
            )
            out.append(Link(url, " ".join(str(a.get("title") or "").split()), atts))
        return out

    def _paging(self, response):
        data = payload(response) or {}
        count = (data.get("classify") or {}).get("post_count")
        # the page size is page 1's (a short last page must not make one page look like more)
        per = response.meta.get("gkmlpt_per") or len(data.get("articles") or [])
        q = parse_qs(urlsplit(response.url).query)
        page = int((q.get("page") or ["1"])[0])
        s = (q.get("sid") or [response.meta.get("gkmlpt_sid") or ""])[0]
        cat = category_of(response.url)
        pages = math.ceil(count / per) if isinstance(count, int) and per else page
        return page, pages, s, cat

    def pages(self, spider, response) -> list[Page]:
        if not self.is_api(response):
            return []
        page, pages, s, cat = self._paging(response)
        if page != 1:
            return []
        per = len((payload(response) or {}).get("articles") or [])
        if pages > spider.max_list_pages:
            spider.list_cap_hit(response, announced=pages)
        return [Page(api_url(response.url, cat, n, s), n - 1, meta={"gkmlpt_per": per})
                for n in range(2, min(pages, spider.max_list_pages) + 1)]

    def next_page(self, spider, response) -> Page | None:
        if not self.is_api(response):
            return None
        page, pages, s, cat = self._paging(response)
        if page >= pages:
            return None
        per = response.meta.get("gkmlpt_per") or len((payload(response) or {}).get("articles") or [])
        return Page(api_url(response.url, cat, page + 1, s), page, meta={"gkmlpt_per": per})

    def says_empty(self, spider, response) -> bool:
        data = payload(response) if self.is_api(response) else None
        return data is not None and (data.get("classify") or {}).get("post_count") == 0
