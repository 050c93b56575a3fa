"""TRS WCM (拓尔思): ``index.html``, ``index_1.html`` … pages announced by ``createPageHTML`` in its
variants (``createPageHTML(n, cur, "index", "html")``, ``var countPage = n; var currentPage = c``,
``createPageHTML('page_div', n, cur, 'fg', 'shtml', records)``), articles ``./YYYYMM/tYYYYMMDD_N.html``."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from spiders import vocabulary as V
from spiders.adapter import FamilyAdapter
from spiders.common import Link, Page


class TrsFamily(FamilyAdapter):
    @staticmethod
    def detect(response, text: str) -> bool:
        return any(m in text for m in V.TRS_MARKERS)

    def articles(self, spider, response) -> list[Link]:
        return [Link(u, t) for u, t in spider.links(response) if V.TRS_ARTICLE_URL.search(urlsplit(u).path)]

    @staticmethod
    def script(text: str):
        """(page count, current page, stem, extension) from the pagination script."""
        m = V.TRS_CREATE_PAGE.search(text)
        if m:
            return int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        c = V.TRS_COUNT_PAGE.search(text)
        if not c:
            return None, 0, "index", "html"
        cur = V.TRS_CURRENT_PAGE.search(text)
        return int(c.group(1)), int(cur.group(1)) if cur else 0, "index", "html"

    def pages(self, spider, response) -> list[Page]:
        count, current, stem, ext = self.script(spider.text(response))
        if count is None or current != 0:
            return []  # the first page schedules them all
        if count > spider.max_list_pages:
            spider.list_cap_hit(response, announced=count)  # createPageHTML(1000000, …): a trap, recorded
        return [Page(urljoin(response.url, f"{stem}_{n}.{ext}"), n) for n in range(1, min(count, spider.max_list_pages))]

    def next_page(self, spider, response) -> Page | None:
        count, current, stem, ext = self.script(spider.text(response))
        if count is None or current + 1 >= count:
            return None
        return Page(urljoin(response.url, f"{stem}_{current + 1}.{ext}"), current + 1)

    def says_empty(self, spider, response) -> bool:
        """The page's own pagination script says this is the only page of its column."""
        count = self.script(spider.text(response))[0]
        return count is not None and count <= 1
