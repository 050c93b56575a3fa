"""Hanweb JCMS (大汉): a column ``/col/col1234/index.html`` carries its first records inline in
``<script type="text/xml"><datastore>…<recordset><record><![CDATA[<li>…</li>]]></record>…``; the
rest come from ``/module/web/jpage/dataproxy.jsp?columnid=…&unitid=…&webid=…`` answered to a POST
of ``startrecord`` / ``endrecord`` / ``perpage`` with the same XML and a ``<totalrecord>``.
Articles are ``/art/2024/1/15/art_1234_998877.html`` with the body in ``div#zoom``."""
from __future__ import annotations

import math
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from spiders import vocabulary as V
from spiders.adapter import FamilyAdapter
from spiders.common import Link, Page, links_in


def records(text: str) -> list[str]:
    return V.HANWEB_RECORD.findall(text)


def proxy_url(text: str, base_url: str) -> str | None:
    m = V.HANWEB_NEXTGROUP.search(text)
    if not m:
        return None
    sel = Selector(text=m.group(1) or "<a></a>")
    href = sel.css("a::attr(href)").get()
    return urljoin(base_url, href) if href and "dataproxy" in href else None


def total_records(text: str) -> int | None:
    m = V.HANWEB_TOTAL.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def per_page(text: str, default: int = 15) -> int:
    m = V.HANWEB_PERPAGE.search(text)
    return int(m.group(1) or m.group(2)) if m else default


class HanwebFamily(FamilyAdapter):
    @staticmethod
    def detect(response, text: str) -> bool:
        return any(m in text for m in V.HANWEB_MARKERS)

    def articles(self, spider, response) -> list[Link]:
        text = spider.text(response)
        recs = records(text)
        if recs:
            sel = Selector(text="<ul>" + "".join(recs) + "</ul>")
            pairs = links_in(sel, response.url, spider.allowed_domains)
        else:
            pairs = spider.links(response)
        out = []
        for url, t in pairs:
            if (recs and V.HANWEB_ARTICLE_URL.search(urlsplit(url).path)) or (not recs and spider.is_report_link(url, t)):
                out.append(Link(url, t))
        return out

    def _proxy(self, response, text: str):
        """(dataproxy URL, records per page, records already shown, total or None)."""
        meta = response.meta
        if meta.get("hanweb_proxy"):
            return meta["hanweb_proxy"], meta["hanweb_perpage"], meta["hanweb_end"], total_records(text)
        url = proxy_url(text, response.url)
        if url is None:
            return None
        return url, per_page(text), len(records(text)), total_records(text)

    def _page(self, url: str, perpage: int, start: int, page_no: int) -> Page:
        end = start + perpage * V.HANWEB_PROXY_GROUPS - 1
        form = {"startrecord": str(start), "endrecord": str(end), "perpage": str(perpage)}
        return Page(url, page_no, formdata=form,
                    meta={"hanweb_proxy": url, "hanweb_perpage": perpage, "hanweb_end": end})

    def pages(self, spider, response) -> list[Page]:
        text = spider.text(response)
        info = self._proxy(response, text)
        if info is None:
            return []
        url, perpage, shown, total = info
        if response.meta.get("hanweb_proxy"):
            # a proxy answer: the first one knows the total and schedules the rest
            if response.meta.get("page_no") != 1 or total is None:
                return []
            calls = math.ceil(max(0, total - shown) / (perpage * V.HANWEB_PROXY_GROUPS))
            if calls > spider.max_list_pages:
                spider.list_cap_hit(response, announced=calls)
            return [self._page(url, perpage, shown + 1 + k * perpage * V.HANWEB_PROXY_GROUPS, 2 + k)
                    for k in range(min(calls, spider.max_list_pages))]
        if total is not None and shown >= total:
            return []
        return [self._page(url, perpage, shown + 1, 1)]

    def next_page(self, spider, response) -> Page | None:
        text = spider.text(response)
        info = self._proxy(response, text)
        if info is None:
            return None
        url, perpage, shown, total = info
        if total is not None and shown >= total:
            return None
        if response.meta.get("hanweb_proxy") and not records(text):
            return None
        return self._page(url, perpage, shown + 1, response.meta.get("page_no", 0) + 1)

    def says_empty(self, spider, response) -> bool:
        text = spider.text(response)
        return "<datastore>" in text and not records(text) and (total_records(text) in (None, 0))
