"""Spiders on fixed pages: discovery, TRS pagination variants, loud failure on empty listings."""
from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from harvester.items import FetchError, PageItem
from spiders import spider_for
from spiders.base import GenericSpider, GkmlptSpider, HanwebSpider, PortalSpider, SpiderArgumentError, TrsSpider

BASE = "http://127.0.0.20:8000"


def make_spider(cls=PortalSpider, **kw):
    kw.setdefault("portal_id", "p")
    kw.setdefault("url", BASE + "/")
    crawler = get_crawler(cls, {"HARVESTER_MAX_LIST_PAGES": 50})
    return cls.from_crawler(crawler, **kw)


def response(url: str, html: str, kind: str, encoding="utf-8", status=200, **meta) -> HtmlResponse:
    req = Request(url, meta={"kind": kind, **meta})
    return HtmlResponse(url, body=html.encode(encoding), encoding=encoding, request=req, status=status)


def requests_of(results):
    return [r for r in results if isinstance(r, Request)]


HOME = """<html><body>
<div class="nav"><a href="/zwdt/">政务动态</a><a href="/xxgk/index.html">政府信息公开</a><a href="javascript:;">无障碍</a>
<a href="http://www.gov.cn/">中国政府网</a></div></body></html>"""
SECTION = """<html><body><ul>
<li><a href="./zn/">政府信息公开指南</a></li><li><a href="./zd/">政府信息公开制度</a></li>
<li><a href="./fdzdgknr/">法定主动公开内容</a></li><li><a href="./gknb/">政府信息公开年报</a></li>
</ul></body></html>"""


def test_homepage_leads_to_the_disclosure_section_only():
    spider = make_spider()
    out = list(spider.parse_discovery(response(BASE + "/", HOME, "homepage")))
    assert isinstance(out[0], PageItem) and out[0].kind == "homepage"
    reqs = requests_of(out)
    assert [r.url for r in reqs] == [BASE + "/xxgk/index.html"]
    assert reqs[0].meta["kind"] == "section"


def test_section_leads_to_the_annual_report_column_not_the_guide():
    spider = make_spider()
    out = list(spider.parse_discovery(response(BASE + "/xxgk/index.html", SECTION, "section", depth_in_site=1)))
    reqs = requests_of(out)
    assert [r.url for r in reqs] == [BASE + "/xxgk/gknb/"]
    assert reqs[0].meta["kind"] == "listing"


def test_page_without_any_way_forward_is_reported():
    spider = make_spider()
    out = list(spider.parse_discovery(response(BASE + "/", "<html><a href='/news/'>新闻</a></html>", "homepage")))
    errors = [x for x in out if isinstance(x, FetchError)]
    assert len(errors) == 1 and "no disclosure section" in errors[0].error


@pytest.mark.parametrize(
    "script, expected",
    [
        ('createPageHTML(4, 0, "index", "html");', ["index_1.html", "index_2.html", "index_3.html"]),
        ("var countPage = 3;//共多少页\nvar currentPage = 0;", ["index_1.html", "index_2.html"]),
        ("createPageHTML('page_div', 3, 0, 'fg', 'shtml', 57);", ["fg_1.shtml", "fg_2.shtml"]),
        ('createPageHTML(4, 2, "index", "html");', []),  # not the first page: schedules nothing
        ('createPageHTML(1, 0, "index", "html");', []),
    ],
)
def test_trs_pagination_variants(script, expected):
    spider = make_spider(TrsSpider)
    html = f"""<html><ul><li><a href="./202401/t20240115_1.html">某某2023年政府信息公开工作年度报告</a></li></ul>
    <script>{script}</script></html>"""
    reqs = requests_of(spider.parse_listing(response(BASE + "/xxgk/gknb/index.html", html, "listing", page_no=0)))
    pages = [r.url.rsplit("/", 1)[1] for r in reqs if r.meta["kind"] == "listing"]
    assert pages == expected
    articles = [r for r in reqs if r.meta["kind"] == "article"]
    assert [a.url for a in articles] == [BASE + "/xxgk/gknb/202401/t20240115_1.html"]
    assert articles[0].meta["link_text"] == "某某2023年政府信息公开工作年度报告"


def test_pagination_is_bounded():
    spider = make_spider(TrsSpider)
    html = '<a href="./202401/t20240115_1.html">x</a><script>createPageHTML(100000, 0, "index", "html");</script>'
    reqs = requests_of(spider.parse_listing(response(BASE + "/c/index.html", html, "listing", page_no=0)))
    assert len([r for r in reqs if r.meta["kind"] == "listing"]) == 49  # HARVESTER_MAX_LIST_PAGES=50


def test_listing_without_items_fails_loudly():
    spider = make_spider(TrsSpider)
    out = list(spider.parse_listing(response(BASE + "/c/index.html", "<html><p>栏目改版</p></html>", "listing")))
    errors = [x for x in out if isinstance(x, FetchError)]
    assert len(errors) == 1 and "no article links" in errors[0].error



@pytest.mark.parametrize("cls, loud", [(TrsSpider, True), (GenericSpider, False)])
def test_a_later_listing_page_without_items_fails_loudly_unless_links_are_picked_by_text(cls, loud):
    """A TRS page names every item: a later page naming none changed. A generic page names only
    report links, found by their text: a later page of other items is ordinary."""
    spider = make_spider(cls)
    html = '<a href="/c/202401/a.html">关于开展春季防火工作的通知</a>'
    out = list(spider.parse_listing(response(BASE + "/c/index_3.html", html, "listing", page_no=3, column=BASE + "/c/")))
    errors = [x for x in out if isinstance(x, FetchError)]
    assert [("no article links" in e.error) for e in errors] == ([True] if loud else [])

def test_error_pages_are_kept_but_not_followed():
    spider = make_spider(TrsSpider)
    html = '<a href="./202401/t20240115_1.html">x</a>'
    out = list(spider.parse_listing(response(BASE + "/c/index_9.html", html, "listing", status=404)))
    assert len(out) == 1 and isinstance(out[0], PageItem) and out[0].status == 404


def test_generic_family_detected_and_uses_link_texts_and_next_page():
    spider = make_spider()
    html = """<ul><li><a href="/art/2024/1/15/art_1_1.html">某局2023年度政府信息公开工作年度报告</a></li>
    <li><a href="/art/2024/1/10/art_1_2.html">关于开展春季防火工作的通知</a></li></ul>
    <a href="/col/col1/index.html?page=2">下一页</a>"""
    reqs = requests_of(spider.parse_listing(response(BASE + "/col/col1/index.html", html, "listing", page_no=0)))
    assert [r.url for r in reqs if r.meta["kind"] == "article"] == [BASE + "/art/2024/1/15/art_1_1.html"]
    assert [(r.url, r.meta["page_no"]) for r in reqs if r.meta["kind"] == "listing"] == [(BASE + "/col/col1/index.html?page=2", 1)]


def test_offsite_links_are_not_followed():
    spider = make_spider(TrsSpider)
    html = '<a href="http://other.gov.cn/xxgk/gknb/202401/t20240115_1.html">x</a><a href="./202401/t20240115_2.html">y</a>'
    reqs = requests_of(spider.parse_listing(response(BASE + "/c/index.html", html, "listing")))
    assert [r.url for r in reqs] == [BASE + "/c/202401/t20240115_2.html"]


def test_explicit_columns_skip_discovery():
    import asyncio

    spider = make_spider(columns=f"{BASE}/a/gknb/,{BASE}/b/gknb/")

    async def collect():
        return [r async for r in spider.start()]

    reqs = asyncio.run(collect())
    assert [(r.url, r.meta["kind"]) for r in reqs] == [(f"{BASE}/a/gknb/", "listing"), (f"{BASE}/b/gknb/", "listing")]


@pytest.mark.parametrize("kw, message", [
    ({"portal_id": None}, "portal_id is required"),
    ({"url": "ftp://x/"}, r"argument url must be an http\(s\) URL"),
    ({"columns": "notaurl"}, r"argument columns must be an http\(s\) URL"),
])
def test_bad_spider_arguments_are_refused(kw, message):
    with pytest.raises(SpiderArgumentError, match=message):
        make_spider(**kw)


def test_spider_for_family():
    assert spider_for("trs") is TrsSpider
    assert spider_for(None) is PortalSpider
    assert spider_for("hanweb") is HanwebSpider
    assert spider_for("gkmlpt") is GkmlptSpider
    assert spider_for("generic") is GenericSpider


def test_every_registered_family_has_its_spider_adapter_and_simulator():
    """A family is one line in spiders.families: its spider crawls that family, its adapter
    answers every listing question itself, the simulator renders portals of it, and the
    registry loader accepts its name."""
    import importlib

    from harvester.registry import RegistryError, parse_registry
    from spiders.adapter import FamilyAdapter
    from spiders.families import DETECTION_ORDER, FAMILIES, NAMES

    assert NAMES == ("trs", "hanweb", "gkmlpt", "generic")
    assert DETECTION_ORDER[-1].name == "generic"  # it takes any page: tried last
    for name, family in FAMILIES.items():
        assert spider_for(name).family == name and spider_for(name).name == name
        for method in ("detect", "articles", "pages", "next_page", "says_empty"):
            assert getattr(type(family.adapter), method) is not getattr(FamilyAdapter, method), (name, method)
        assert callable(importlib.import_module(f"harvester.sim.families.{name}").render)
        entries = parse_registry(f'[[portal]]\nid = "x"\nname = "n"\nurl = "http://a/"\nfamily = "{name}"\n')
        assert entries[0].family == name
    with pytest.raises(RegistryError, match="must be one of trs, hanweb, gkmlpt, generic"):
        parse_registry('[[portal]]\nid = "x"\nname = "n"\nurl = "http://a/"\nfamily = "wordpress"\n')
