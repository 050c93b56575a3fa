"""Family adapters on fixed responses: detection, Hanweb datastore/dataproxy, gkmlpt TREE and
JSON API, generic pagination bounds, attachments, blocks, moved columns, encodings, robots."""
from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from harvester.items import Blocked, ColumnMoved, ColumnsFound, FetchError, PageItem
from harvester.registry import RegistryError, parse_registry
from spiders.base import PortalSpider, SpiderArgumentError
from spiders.generic import page_url, total_pages
from tests.spider_helpers import run

BASE = "http://127.0.0.20:8000"


def make_spider(cls=PortalSpider, settings=None, **kw):
    kw.setdefault("portal_id", "p")
    kw.setdefault("url", BASE + "/")
    crawler = get_crawler(cls, {"HARVESTER_MAX_LIST_PAGES": 50, **(settings or {})})
    return cls.from_crawler(crawler, **kw)


def response(url, body, kind, *, status=200, headers=None, cls=HtmlResponse, method="GET", **meta):
    req = Request(url, method=method, meta={"kind": kind, **meta})
    if isinstance(body, str):
        body = body.encode("utf-8")
    return cls(url, body=body, request=req, status=status, headers=headers or {"Content-Type": "text/html; charset=utf-8"})




def requests_of(out, kind=None):
    return [r for r in out if isinstance(r, Request) and (kind is None or r.meta["kind"] == kind)]


# --------------------------------------------------------------------------- detection
HANWEB_COLUMN = """<html><body><div id="4001"><script type="text/xml">
<datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&path=/&columnid=1075&unitid=4001&permissiontype=0"></a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2025/1/20/art_1075_141812.html" title="某区2024年政府信息公开工作年度报告">某区2024年政府信息公开工作年度报告</a></li>]]></record>
<record><![CDATA[<li><a href="/art/2024/1/29/art_1075_139769.html">某区2023年政府信息公开工作年度报告</a></li>]]></record>
</recordset></datastore></script>
<script>$('#4001').jpage({dataStore: dataStore, perPage: 2, totalRecord: 20});</script></div>
<ul class="side"><li><a href="/col/col1076/index.html">乡镇政府信息公开年报</a></li></ul></body></html>"""

GKMLPT_APP = """<html><body><div id="app"></div><script>
window._CONFIG = {SID:'755', TREE:[{id: 2747, name: "机构职能", parent: 0, children: []},
{id: 2748, name: "政府信息公开指南", parent: 0, children: []},
{id: 2741, name: "政府信息公开年报", parent: 0, children: [{id: 2742, name: "乡镇政府信息公开年报", parent: 2741, children: []}]}]};
</script></body></html>"""

TRS_LIST = """<html><ul><li><a href="./202401/t20240115_1.html">某某2023年政府信息公开工作年度报告</a></li></ul>
<script>createPageHTML(2, 0, "index", "html");</script></html>"""

GENERIC_LIST = """<ul><li><a href="/zfxxgk/ndbg/202501/1.shtml">某县2024年政府信息公开工作年度报告</a></li>
<li><a href="/zfxxgk/ndbg/202412/2.shtml">关于开展安全生产检查的通知</a></li></ul>
<div class="pager"><a href="/zfxxgk/ndbg/list_2.shtml">下一页</a><span>共3页</span></div>"""


@pytest.mark.parametrize("url, html, family", [
    (BASE + "/xxgk/gknb/index.html", TRS_LIST, "trs"),
    (BASE + "/col/col1075/index.html", HANWEB_COLUMN, "hanweb"),
    (BASE + "/gkmlpt/index", GKMLPT_APP, "gkmlpt"),
    (BASE + "/zfxxgk/ndbg/list.shtml", GENERIC_LIST, "generic"),
])
def test_family_is_detected_from_the_page(url, html, family):
    assert make_spider().family_of(response(url, html, "listing")) == family


def test_registry_family_overrides_detection():
    from spiders import spider_for

    spider = make_spider(spider_for("generic"))
    assert spider.family_of(response(BASE + "/col/col1075/index.html", HANWEB_COLUMN, "listing")) == "generic"


# --------------------------------------------------------------------------- Hanweb
@pytest.fixture
def hanweb_out():
    spider = make_spider()
    return run(spider.parse_listing(response(BASE + "/col/col1075/index.html", HANWEB_COLUMN, "listing",
                                             page_no=0, column=BASE + "/col/col1075/index.html")))


def test_hanweb_inline_records_are_the_articles(hanweb_out):
    assert [r.url for r in requests_of(hanweb_out, "article")] == [
        BASE + "/art/2025/1/20/art_1075_141812.html", BASE + "/art/2024/1/29/art_1075_139769.html"]


def test_hanweb_link_text_comes_from_the_record(hanweb_out):
    assert requests_of(hanweb_out, "article")[0].meta["link_text"] == "某区2024年政府信息公开工作年度报告"


def test_hanweb_more_records_are_posted_for(hanweb_out):
    assert [r.method for r in requests_of(hanweb_out, "listing") if "dataproxy" in r.url] == ["POST"]


def test_hanweb_proxy_url_keeps_the_column_parameters(hanweb_out):
    (proxy,) = [r for r in requests_of(hanweb_out, "listing") if r.method == "POST"]
    q = parse_qs(urlsplit(proxy.url).query)
    assert (urlsplit(proxy.url).path, q["columnid"], q["unitid"]) == ("/module/web/jpage/dataproxy.jsp", ["1075"], ["4001"])


def test_hanweb_proxy_form_asks_for_the_next_three_pages(hanweb_out):
    (proxy,) = [r for r in requests_of(hanweb_out, "listing") if r.method == "POST"]
    assert parse_qs(proxy.body.decode()) == {"startrecord": ["3"], "endrecord": ["8"], "perpage": ["2"]}


def test_hanweb_column_page_confirms_the_column(hanweb_out):
    assert [x.columns for x in hanweb_out if isinstance(x, ColumnsFound)] == [[BASE + "/col/col1075/index.html"]]


def test_hanweb_township_sub_column_is_followed_in_discovery(hanweb_out):
    subs = [r for r in requests_of(hanweb_out, "listing") if r.method == "GET"]
    assert [r.url for r in subs] == [BASE + "/col/col1076/index.html"]


def _proxy_answer(records: int, total: int, start: int):
    recs = "".join(f"<record><![CDATA[<li><a href='/art/2020/1/{i % 28 + 1}/art_1075_{i}.html'>报告{i}</a></li>]]></record>"
                   for i in range(start, start + records))
    xml = f'<?xml version="1.0" encoding="utf-8"?><datastore><totalrecord>{total}</totalrecord><recordset>{recs}</recordset></datastore>'
    url = BASE + "/module/web/jpage/dataproxy.jsp?columnid=1075&unitid=4001"
    return xml, url


def test_hanweb_first_proxy_answer_schedules_the_rest_by_totalrecord():
    spider = make_spider()
    xml, url = _proxy_answer(6, 20, 3)
    resp = response(url, xml, "listing", cls=TextResponse, method="POST", page_no=1, column="c",
                    hanweb_proxy=url, hanweb_perpage=2, hanweb_end=8, headers={"Content-Type": "text/xml"})
    out = run(spider.parse_listing(resp))
    forms = [parse_qs(r.body.decode())["startrecord"][0] for r in requests_of(out, "listing")]
    assert (len(requests_of(out, "article")), forms) == (6, ["9", "15"])


# --------------------------------------------------------------------------- gkmlpt
def test_gkmlpt_tree_gives_the_report_categories_and_their_api():
    spider = make_spider()
    out = run(spider.parse_discovery(response(BASE + "/gkmlpt/index", GKMLPT_APP, "section", depth_in_site=1)))
    assert sorted(r.url for r in requests_of(out, "listing")) == [
        BASE + "/gkmlpt/api/all/2741?page=1&sid=755", BASE + "/gkmlpt/api/all/2742?page=1&sid=755"]


def test_gkmlpt_column_is_named_by_its_category():
    spider = make_spider()
    out = run(spider.parse_discovery(response(BASE + "/gkmlpt/index", GKMLPT_APP, "section", depth_in_site=1)))
    assert sorted(r.meta["column"] for r in requests_of(out, "listing")) == [
        BASE + "/gkmlpt/index#2741", BASE + "/gkmlpt/index#2742"]


def test_gkmlpt_app_page_of_a_listed_column_leads_to_its_api_page():
    spider = make_spider()
    out = run(spider.parse_listing(response(BASE + "/gkmlpt/index#2742", GKMLPT_APP, "listing", page_no=0,
                                            column=BASE + "/gkmlpt/index#2742")))
    assert [(r.url, r.meta["column"]) for r in requests_of(out, "listing")] == [
        (BASE + "/gkmlpt/api/all/2742?page=1&sid=755", BASE + "/gkmlpt/index#2742")]
    assert not [x for x in out if isinstance(x, (FetchError, ColumnMoved))]


@pytest.mark.parametrize("stored", [False, True])
def test_gkmlpt_category_missing_from_the_tree_is_an_error_or_a_moved_column(stored):
    """A listed column whose category the app no longer has: a new one is an error, a
    remembered one has moved (and discovery runs again)."""
    spider = make_spider()
    column = BASE + "/gkmlpt/index#2799"
    out = run(spider.parse_listing(response(column, GKMLPT_APP, "listing", page_no=0, column=column, stored=stored)))
    problems = [x for x in out if isinstance(x, (FetchError, ColumnMoved))]
    assert [type(x) for x in problems] == [ColumnMoved if stored else FetchError]
    assert "no such category" in problems[0].error if not stored else "no longer in the gkmlpt tree" in problems[0].detail
    assert [r.url for r in requests_of(out)] == ([BASE + "/"] if stored else [])

API_PAGE = {"classify": {"id": 2741, "post_count": 7}, "articles": [
    {"id": 1, "title": "某市2024年政府信息公开工作年度报告", "date": 1737000000, "url": "/gkmlpt/content/0/1/post_1.html",
     "attachment": [{"name": "年报.pdf", "type": "pdf", "url": "/attachment/0/1/1/10.pdf"}]},
    {"id": 2, "title": "某市2023年政府信息公开工作年度报告", "date": 1705000000, "url": "/gkmlpt/content/0/1/post_2.html",
     "attachment": []},
    {"id": 3, "title": "图解", "date": 1705000000, "url": "/gkmlpt/content/0/1/post_3.html"}]}


@pytest.fixture
def gkmlpt_api_out():
    spider = make_spider()
    url = BASE + "/gkmlpt/api/all/2741?page=1&sid=755"
    resp = response(url, json.dumps(API_PAGE), "listing", cls=TextResponse, page_no=0, column=BASE + "/gkmlpt/index#2741",
                    headers={"Content-Type": "application/json"})
    return run(spider.parse_listing(resp))


def test_gkmlpt_api_articles_are_every_listed_item(gkmlpt_api_out):
    assert [r.url.rsplit("/", 1)[1] for r in requests_of(gkmlpt_api_out, "article")] == ["post_1.html", "post_2.html", "post_3.html"]


def test_gkmlpt_api_attachments_travel_with_the_article(gkmlpt_api_out):
    assert requests_of(gkmlpt_api_out, "article")[0].meta["attachments"] == [(BASE + "/attachment/0/1/1/10.pdf", "年报.pdf")]


def test_gkmlpt_api_pages_follow_from_post_count(gkmlpt_api_out):
    assert [r.url for r in requests_of(gkmlpt_api_out, "listing")] == [
        BASE + "/gkmlpt/api/all/2741?page=2&sid=755", BASE + "/gkmlpt/api/all/2741?page=3&sid=755"]


def test_gkmlpt_article_downloads_api_attachments_with_the_page_as_referer():
    spider = make_spider()
    page = BASE + "/gkmlpt/content/0/1/post_1.html"
    out = run(spider.parse_article(response(page, "<html><script>window._CONFIG={}</script></html>", "article",
                                            attachments=[(BASE + "/attachment/0/1/1/10.pdf", "年报.pdf")])))
    (att,) = requests_of(out, "attachment")
    assert (att.url, att.headers.get("Referer").decode(), att.meta["parent_url"]) == (BASE + "/attachment/0/1/1/10.pdf", page, page)


# --------------------------------------------------------------------------- generic
@pytest.mark.parametrize("text, expected", [
    ("<span>共3页</span>", 3), ("var totalPage = 5;", 5), ("pageCount: 4,", 4), ("<p>第1页</p>", None)])
def test_generic_total_pages(text, expected):
    assert total_pages(text) == expected


@pytest.mark.parametrize("next_url, target, expected", [
    ("http://a/list_2.shtml", 5, "http://a/list_5.shtml"),
    ("http://a/list.shtml?page=2", 4, "http://a/list.shtml?page=4"),
    ("http://a/iList.jsp?cur_page=2&cat=7", 3, "http://a/iList.jsp?cur_page=3&cat=7"),
])
def test_generic_page_urls(next_url, target, expected):
    assert page_url(next_url, 2, target) == expected


def test_generic_stops_at_the_page_the_site_calls_last():
    spider = make_spider()
    out = run(spider.parse_listing(response(BASE + "/zfxxgk/ndbg/list_3.shtml", GENERIC_LIST, "listing", page_no=2, column="c")))
    assert requests_of(out, "listing") == []


def test_generic_stops_when_a_site_answers_any_page_number_with_the_same_page():
    spider = make_spider()
    html = GENERIC_LIST.replace("<span>共3页</span>", "")
    first = run(spider.parse_listing(response(BASE + "/zfxxgk/ndbg/list_8.shtml", html, "listing", page_no=7, column="c")))
    again = run(spider.parse_listing(response(BASE + "/zfxxgk/ndbg/list_9.shtml", html, "listing", page_no=8, column="c")))
    assert (len(requests_of(first, "listing")), len(requests_of(again, "listing"))) == (1, 0)


def test_generic_report_links_only_and_not_sub_column_names():
    spider = make_spider()
    html = GENERIC_LIST + '<a href="/zfxxgk/xzndbg/list.shtml">乡镇政府信息公开年报</a>'
    out = run(spider.parse_listing(response(BASE + "/zfxxgk/ndbg/list.shtml", html, "listing", page_no=0, column="c")))
    assert [r.url for r in requests_of(out, "article")] == [BASE + "/zfxxgk/ndbg/202501/1.shtml"]


# --------------------------------------------------------------------------- attachments
ARTICLE = """<html><body><div class="TRS_Editor"><p>详见附件。</p></div>
<a appendix="true" href="./P020250120.docx">年报</a><a href="/uploadfiles/x.PDF">PDF版</a>
<a href="./t20250120_2.html">上一篇</a><a href="http://other.gov.cn/a.pdf">外站</a></body></html>"""


@pytest.fixture
def attachment_requests():
    spider = make_spider()
    return requests_of(run(spider.parse_article(response(BASE + "/xxgk/gknb/202501/t20250120_1.html", ARTICLE, "article"))))


def test_attachments_of_an_article_page_are_fetched(attachment_requests):
    assert [r.url for r in attachment_requests] == [BASE + "/xxgk/gknb/202501/P020250120.docx", BASE + "/uploadfiles/x.PDF"]


@pytest.mark.parametrize("i", [0, 1])
def test_attachments_carry_the_page_as_referer(attachment_requests, i):
    assert attachment_requests[i].headers.get("Referer").decode() == BASE + "/xxgk/gknb/202501/t20250120_1.html"


@pytest.mark.parametrize("i", [0, 1])
def test_attachments_are_their_own_kind(attachment_requests, i):
    assert attachment_requests[i].meta["kind"] == "attachment"


@pytest.mark.parametrize("url, name, appendix, expected", [
    ("http://a/P0202501.PDF", "", False, True),
    ("http://a/module/download/downfile.jsp?classid=0&filename=%E5%B9%B4%E6%8A%A5.docx", "", False, True),
    ("http://a/module/download/downfile.jsp?id=7", "2024年年报.wps", False, True),
    ("http://a/P0202501", "年报", True, True),
    ("http://a/202501/t20250101_1.html", "年报.pdf", True, False),
    ("http://a/col/col7/index.html", "政府信息公开年报", False, False),
])
def test_attachment_links_are_recognised(url, name, appendix, expected):
    from spiders.base import is_attachment_link

    assert is_attachment_link(url, name, appendix) is expected


def test_attachment_item_names_its_page():
    spider = make_spider()
    resp = response(BASE + "/a.pdf", b"%PDF-1.4", "attachment", parent_url=BASE + "/p.html",
                    cls=TextResponse, headers={"Content-Type": "application/pdf"})
    (item,) = run(spider.parse_attachment(resp))
    assert (item.kind, item.parent_url) == ("attachment", BASE + "/p.html")


def test_known_attachments_are_skipped_on_nightly_passes():
    from storage.state import KnownPage

    spider = make_spider()
    spider.mode = "incremental"
    spider.state.pages[BASE + "/uploadfiles/x.PDF"] = KnownPage(BASE + "/uploadfiles/x.PDF", "attachment", True, 1, None, None, None, "f", 0)
    reqs = requests_of(run(spider.parse_article(response(BASE + "/xxgk/gknb/202501/t20250120_1.html", ARTICLE, "article"))))
    assert [r.url for r in reqs] == [BASE + "/xxgk/gknb/202501/P020250120.docx"]


# --------------------------------------------------------------------------- blocks
@pytest.mark.parametrize("status, body", [
    (403, "<h1>403 Forbidden</h1>"),
    (412, "<script>document.cookie='acw_sc__v2=1';location.reload()</script>"),
    (521, "<script>document.cookie='__jsl_clearance=1';location.reload()</script>"),
])
@pytest.mark.parametrize("callback, kind", [("parse_discovery", "homepage"), ("parse_listing", "listing"),
                                            ("parse_article", "article")])
def test_blocks_are_recorded_and_end_the_portals_crawl(status, body, callback, kind):
    spider = make_spider(settings={"HARVESTER_BLOCK_AFTER_403": 1})
    out = run(getattr(spider, callback)(response(BASE + "/", body, kind, status=status, page_no=0)))
    assert [type(x) for x in out] == [PageItem, Blocked, CloseSpider]


def test_one_forbidden_article_is_an_error_the_second_a_block():
    spider = make_spider()
    first = run(spider.parse_article(response(BASE + "/a/1.html", "<h1>403</h1>", "article", status=403)))
    second = run(spider.parse_article(response(BASE + "/a/2.html", "<h1>403</h1>", "article", status=403)))
    assert ([type(x) for x in first], [type(x) for x in second]) == ([PageItem], [PageItem, Blocked, CloseSpider])


def test_block_item_names_status_and_url():
    spider = make_spider()
    out = run(spider.parse_listing(response(BASE + "/c/", "x", "listing", status=521, page_no=0)))
    blocked = next(x for x in out if isinstance(x, Blocked))
    assert (blocked.status, blocked.url, "challenge" in blocked.detail) == (521, BASE + "/c/", True)


def test_blocks_are_not_retried():
    from harvester import settings

    assert not {403, 412, 521} & set(getattr(settings, "RETRY_HTTP_CODES", [500, 502, 503, 504, 522, 524, 408, 429]))


# --------------------------------------------------------------------------- stored columns
def test_a_remembered_column_that_answers_404_is_reported_moved_and_discovery_runs_again():
    spider = make_spider()
    out = []
    for c in ("/a/gknb/index.html", "/b/gknb/index.html"):
        out += run(spider.parse_listing(response(BASE + c, "<h1>404</h1>", "listing", status=404, page_no=0,
                                                 stored=True, column=BASE + c)))
    moved = [x.url for x in out if isinstance(x, ColumnMoved)]
    homepage = [r.url for r in requests_of(out, "homepage")]
    assert (moved, homepage) == ([BASE + "/a/gknb/index.html", BASE + "/b/gknb/index.html"], [BASE + "/"])


def test_a_remembered_column_that_lists_nothing_is_reported_moved():
    spider = make_spider()
    out = run(spider.parse_listing(response(BASE + "/c/", "<p>栏目改版</p>", "listing", page_no=0, stored=True, column=BASE + "/c/")))
    assert [type(x) for x in out if not isinstance(x, Request)] == [PageItem, ColumnMoved]


def test_a_newly_discovered_empty_listing_still_fails_loudly():
    spider = make_spider()
    out = run(spider.parse_listing(response(BASE + "/c/", "<p>栏目改版</p>", "listing", page_no=0, column=BASE + "/c/")))
    assert [type(x) for x in out] == [PageItem, FetchError]


def test_nightly_pass_starts_from_the_stored_columns(monkeypatch):
    spider = make_spider(settings={"HARVESTER_DB_URL": None})
    spider.mode_arg = "incremental"
    spider.db_url = "sqlite://"
    monkeypatch.setattr(spider, "load_stored_columns", lambda: [BASE + "/xxgk/gknb/index.html", BASE + "/gkmlpt/index#2741"])
    import spiders.base as base

    spider.context.state = spider.state  # the crawl's portal state, as if loaded from the store
    monkeypatch.setattr(base, "shared_database", lambda url: None)

    async def collect():
        return [r async for r in spider.start()]

    reqs = asyncio.run(collect())
    assert [(r.url, r.meta["kind"], r.meta.get("conditional")) for r in reqs] == [
        (BASE + "/xxgk/gknb/index.html", "listing", True), (BASE + "/gkmlpt/index#2741", "listing", False)]


# --------------------------------------------------------------------------- encodings
def test_undeclared_gbk_homepage_is_read_as_gbk():
    html = '<html><a href="/xxgk/index.html">政府信息公开</a><a href="/news/">新闻</a></html>'.encode("gb18030")
    spider = make_spider()
    out = run(spider.parse_discovery(response(BASE + "/", html, "homepage", headers={"Content-Type": "text/html"})))
    assert [r.url for r in requests_of(out, "section")] == [BASE + "/xxgk/index.html"]


def test_gb2312_declared_page_with_gbk_characters_reads_as_gb18030():
    html = '<html><meta charset="gb2312"><a href="./t20250101_1.html">埇桥区2024年政府信息公开工作年度报告</a></html>'.encode("gb18030")
    spider = make_spider()
    out = run(spider.parse_listing(response(BASE + "/c/index.html", html, "listing", page_no=0, column="c",
                                            headers={"Content-Type": "text/html; charset=gb2312"})))
    assert requests_of(out, "article")[0].meta["link_text"] == "埇桥区2024年政府信息公开工作年度报告"


# --------------------------------------------------------------------------- robots, user agent
def test_robots_override_marks_every_request():
    spider = make_spider(robots="ignore", robots_reason="站点 robots.txt 禁止全部抓取，经主管部门书面同意")
    out = run(spider.parse_discovery(response(BASE + "/", '<a href="/xxgk/">政府信息公开</a>', "homepage")))
    assert requests_of(out)[0].meta.get("dont_obey_robotstxt") is True


def test_robots_obeyed_by_default():
    spider = make_spider()
    out = run(spider.parse_discovery(response(BASE + "/", '<a href="/xxgk/">政府信息公开</a>', "homepage")))
    assert "dont_obey_robotstxt" not in requests_of(out)[0].meta


def test_robots_override_needs_a_reason():
    with pytest.raises(SpiderArgumentError, match="robots_reason"):
        make_spider(robots="ignore")


def test_registry_robots_override_needs_a_reason():
    with pytest.raises(RegistryError, match="robots_reason"):
        parse_registry('[[portal]]\nid="a"\nname="甲"\nurl="http://127.0.0.1/"\nrobots="ignore"\n', "r.toml")


def test_registry_robots_override_with_reason():
    (e,) = parse_registry('[[portal]]\nid="a"\nname="甲"\nurl="http://127.0.0.1/"\nrobots="ignore"\nrobots_reason="书面同意"\n')
    assert e.spider_kwargs() == {"robots": "ignore", "robots_reason": "书面同意"}


def test_user_agent_names_the_project_and_the_contact_from_settings():
    spider = make_spider(settings={"HARVESTER_CONTACT": "ops@harvest.example", "USER_AGENT": "xxgk-harvester/0.1"})
    assert "ops@harvest.example" in spider.user_agent and spider.user_agent.startswith("xxgk-harvester/")
