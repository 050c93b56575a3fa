"""The spider's answers to hostile responses, on fixed responses: redirects (hosts, loops, chains,
methods), meta refresh, JavaScript challenges served with 200, retried 5xx, traps, session ids."""
from __future__ import annotations

from urllib.parse import urljoin

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from harvester.items import Blocked, FetchError, PageItem, TrapHit
from harvester.registry import RegistryError, parse_registry
from spiders.base import PortalSpider
from spiders.common import strip_session_ids
from tests.spider_helpers import run

BASE = "http://127.0.0.20:8000"


def make_spider(settings=None, **kw):
    kw.setdefault("portal_id", "p")
    kw.setdefault("url", BASE + "/")
    crawler = get_crawler(PortalSpider, {"HARVESTER_MAX_LIST_PAGES": 50, **(settings or {})})
    return PortalSpider.from_crawler(crawler, **kw)


def response(url, body=b"", kind="article", *, status=200, headers=None, method="GET", req_body=b"", **meta):
    req = Request(url, method=method, body=req_body, meta={"kind": kind, "handle_httpstatus_all": True, **meta})
    if isinstance(body, str):
        body = body.encode("utf-8")
    return HtmlResponse(url, body=body, request=req, status=status,
                        headers=headers or {"Content-Type": "text/html; charset=utf-8"})




def callback(spider, kind):
    return {"homepage": spider.parse_discovery, "section": spider.parse_discovery, "listing": spider.parse_listing,
            "article": spider.parse_article, "attachment": spider.parse_attachment}[kind]


def answer(spider, resp):
    return run(callback(spider, resp.meta["kind"])(resp))


def redirect(url, location, status=302, kind="article", **meta):
    return response(url, kind=kind, status=status, headers={"Location": location}, **meta)


def followed(out):
    return [r for r in out if isinstance(r, Request)]


def errors(out):
    return [x.error for x in out if isinstance(x, FetchError)]


# --------------------------------------------------------------------------- redirects
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_within_the_portal_is_followed_as_the_same_kind_of_page(status):
    spider = make_spider()
    out = answer(spider, redirect(BASE + "/a.html", "/b.html", status, link_text="某县2024年年度报告"))
    (req,) = followed(out)
    assert (req.url, req.meta["kind"], req.meta["redirected_from"], req.meta["link_text"]) == (
        BASE + "/b.html", "article", [BASE + "/a.html"], "某县2024年年度报告")


def test_redirect_response_itself_is_stored():
    out = answer(make_spider(), redirect(BASE + "/a.html", "/b.html", 301))
    (item,) = [x for x in out if isinstance(x, PageItem)]
    assert (item.url, item.status) == (BASE + "/a.html", 301)


def test_homepage_http_to_https_is_followed():
    spider = make_spider(url="http://www.example.gov.cn/")
    out = answer(spider, redirect("http://www.example.gov.cn/", "https://www.example.gov.cn/index.html", 301, kind="homepage"))
    (req,) = followed(out)
    assert (req.url, req.meta["kind"]) == ("https://www.example.gov.cn/index.html", "homepage")


def test_redirect_to_another_host_is_a_recorded_error_not_a_request():
    out = answer(make_spider(), redirect(BASE + "/a.html", "http://elsewhere.example.org/a.html"))
    assert followed(out) == []
    (err,) = errors(out)
    assert "another host" in err and "elsewhere.example.org" in err


def test_registry_hosts_are_followed():
    entries = parse_registry('[[portal]]\nid = "p"\nname = "p"\nurl = "http://www.example.gov.cn/"\n'
                             'hosts = ["xxgk.example.gov.cn"]\n')
    spider = make_spider(url="http://www.example.gov.cn/", **entries[0].spider_kwargs())
    out = answer(spider, redirect("http://www.example.gov.cn/a.html", "http://xxgk.example.gov.cn/a.html"))
    assert [r.url for r in followed(out)] == ["http://xxgk.example.gov.cn/a.html"]


def test_registry_rejects_a_host_that_is_not_a_host_name():
    with pytest.raises(RegistryError, match="'hosts' has 'http://x.gov.cn/'"):
        parse_registry('[[portal]]\nid = "p"\nname = "p"\nurl = "http://x.gov.cn/"\nhosts = ["http://x.gov.cn/"]\n')


def test_redirect_loop_is_detected_and_recorded_on_the_requested_url():
    out = answer(make_spider(), redirect(BASE + "/b.html", "/a.html", redirected_from=[BASE + "/a.html"]))
    assert followed(out) == []
    (err,) = [x for x in out if isinstance(x, FetchError)]
    assert err.url == BASE + "/a.html" and err.error.startswith("redirect loop: ")


def test_redirect_chain_is_cut_after_the_configured_hops():
    spider = make_spider({"HARVESTER_MAX_REDIRECTS": 3})
    chain = [f"{BASE}/{n}.html" for n in range(3)]
    out = answer(spider, redirect(BASE + "/3.html", "/4.html", redirected_from=chain))
    assert followed(out) == []
    assert "longer than 3 hops" in errors(out)[0]
    ok = answer(spider, redirect(BASE + "/2.html", "/3.html", redirected_from=chain[:2]))
    assert len(followed(ok)) == 1


def test_redirect_without_location_is_a_recorded_error():
    out = answer(make_spider(), response(BASE + "/a.html", status=302))
    assert "without a Location" in errors(out)[0]


def test_303_after_a_post_is_a_get_and_307_keeps_the_post():
    spider = make_spider()
    post = dict(kind="listing", method="POST", req_body=b"startrecord=1", page_no=1, column=BASE + "/col/")
    (get,) = followed(answer(spider, redirect(BASE + "/proxy.jsp", "/proxy2.jsp", 303, **post)))
    (keep,) = followed(answer(spider, redirect(BASE + "/proxy.jsp", "/proxy3.jsp", 307, **post)))
    assert (get.method, get.body, keep.method, keep.body) == ("GET", b"", "POST", b"startrecord=1")


# --------------------------------------------------------------------------- meta refresh
def refresh_page(delay, url, body="<p>正文</p>"):
    return f'<html><head><meta http-equiv="refresh" content="{delay};url={url}"></head><body>{body}</body></html>'


def test_slow_meta_refresh_on_a_report_page_leaves_it_alone():
    out = answer(make_spider(), response(BASE + "/a.html", refresh_page(30, "/xxgk/"), "article"))
    assert [x.url for x in out if isinstance(x, PageItem)] == [BASE + "/a.html"]
    assert followed(out) == [] and errors(out) == []


def test_quick_meta_refresh_is_a_redirect():
    out = answer(make_spider(), response(BASE + "/a.html", refresh_page(0, "/b.html"), "article"))
    (req,) = followed(out)
    assert (req.url, req.meta["redirected_from"]) == (BASE + "/b.html", [BASE + "/a.html"])


def test_slow_meta_refresh_on_the_homepage_is_followed_as_a_link():
    out = answer(make_spider(), response(BASE + "/", refresh_page(30, "/xxgk/index.html"), "homepage", depth_in_site=0))
    assert [(r.url, r.meta["kind"]) for r in followed(out)] == [(BASE + "/xxgk/index.html", "section")]


@pytest.mark.parametrize("delay", [0, 30])
def test_meta_refresh_to_another_host_is_recorded(delay):
    out = answer(make_spider(), response(BASE + "/a.html", refresh_page(delay, "http://other.example.org/"), "article"))
    assert followed(out) == [] and "another host" in errors(out)[0]
    assert [x.url for x in out if isinstance(x, PageItem)] == [BASE + "/a.html"]


# --------------------------------------------------------------------------- script redirects
@pytest.mark.parametrize("script, target", [
    ('window.location.href="/index.html";', "/index.html"),
    ("top.location = 'xxgk/';", "/xxgk/"),
    ('location.replace("/col/col1234/index.html")', "/col/col1234/index.html"),
    ('setTimeout(function(){window.location.href=location.protocol+"//"+location.host+"/zwgk/"},1000);', "/zwgk/"),
    ('window.onload = function () { self.location = "/portal/index.html"; };', "/portal/index.html"),
    ('if (document.all) { var ie = 1; }\nlocation.href = "/index.html";', "/index.html"),
    ('document.addEventListener("DOMContentLoaded", function () { location.href = "/index.html"; });', "/index.html"),
    ('// if you are not redirected, click ?x=1\n/* { */ location.href = "/index.html";', "/index.html"),
])
def test_a_root_page_that_only_redirects_by_script_is_followed_as_a_redirect(script, target):
    page = f'<html><head><script type="text/javascript">{script}</script></head><body></body></html>'
    out = answer(make_spider(), response(BASE + "/", page, "homepage", depth_in_site=0))
    (req,) = followed(out)
    assert (req.url, req.meta["kind"], req.meta["redirected_from"]) == (BASE + target, "homepage", [BASE + "/"])
    assert errors(out) == []
    assert [x.url for x in out if isinstance(x, PageItem)] == [BASE + "/"]  # the stub is stored as itself


def test_a_stub_with_a_click_here_link_to_its_target_is_a_redirect():
    page = ('<html><script>location.href="/index.html";</script>'
            '<body>正在跳转，<a href="/index.html">点击进入</a></body></html>')
    (req,) = followed(answer(make_spider(), response(BASE + "/", page, "homepage", depth_in_site=0)))
    assert req.url == BASE + "/index.html"


def test_a_script_redirect_to_another_host_is_recorded_not_followed():
    page = '<html><script>window.location.href="http://other.example.org/";</script></html>'
    out = answer(make_spider(), response(BASE + "/", page, "homepage", depth_in_site=0))
    assert followed(out) == [] and "script redirect to another host" in errors(out)[0]


@pytest.mark.parametrize("page", [
    # a page with content of its own, whose script navigates somewhere on a click
    "<html><script>function go(){location.href='/search.html';}</script><body>"
    + "<p>某县人民政府办公室2024年政府信息公开工作年度报告正文。</p>" * 5 + "</body></html>",
    # links to other places: a real (short) page
    '<html><script>location.href="/index.html";</script><a href="/xxgk/">政府信息公开</a>'
    '<a href="/zwdt/">政务动态</a></html>',
    # a computed target: not known without running the script
    "<html><script>var u=getUrl();location.href=u;</script></html>",
    # a mobile redirect: only for phones (gkmlpt pages and many portals carry one)
    '<html><script>if(/Android|iPhone/i.test(navigator.userAgent)){window.location.href="mobile.html";}</script>'
    '<script>window._CONFIG = {SID: "1", TREE: []};</script></html>',
    "<html><script>if (isMobile()) location.replace('/m/');</script></html>",
    # a function an onclick may call, beside a PDF shown in a frame
    "<html><script>function goHome(){location.href='/index.html'}</script>"
    '<iframe src="/attach/0/report.pdf"></iframe></html>',
    # a frame showing the page's document, whatever the script does
    '<html><script>location.href="/index.html";</script><embed src="/attach/0/report.pdf"></html>',
    "<html><script>try { top.location = '/x.html'; } catch (e) {}</script></html>",
    # a click handler written as an arrow function
    '<html><script>document.body.onclick = () => location.href = "/index.html";</script></html>',
    # not an http(s) address
    '<html><script>location.href="javascript:void(0)";</script></html>',
])
def test_pages_that_are_not_script_redirect_stubs(page):
    assert make_spider().script_redirect(response(BASE + "/", page, "homepage")) is None


def test_requests_not_sent_because_the_portal_blocked_are_not_errors_of_their_own():
    """A blocked portal's queued requests are dropped (middlewares.hostlimit): the run says it was
    blocked; a "not fetched" error per dropped URL would only hide that (and raise error_rate)."""
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    from middlewares.hostlimit import NotSent

    spider = make_spider()
    request = Request(BASE + "/a.html", meta={"kind": "article"})
    dropped = Failure(NotSent("not fetched: the portal blocked the crawl"))
    dropped.request = request
    assert list(spider.on_error(dropped)) == []
    other = Failure(IgnoreRequest("something else"))
    other.request = request
    assert [type(x) for x in spider.on_error(other)] == [FetchError]


MOBILE_REDIRECT = ('<script>if(/AppleWebKit.*mobile/i.test(navigator.userAgent)){try{'
                   'if(/Android|iPhone|iPod/i.test(navigator.userAgent)){window.location.href="mobile.html";}'
                   '}catch(e){}}</script>')


@pytest.mark.parametrize("fixture, url, kind", [
    ("gkmlpt_index.html", "/gkmlpt/index", "homepage"),  # the app's shell: its columns are in _CONFIG
    ("gkmlpt_notice.html", "/gkmlpt/content/5/720/post_720635.html", "article"),  # a short page, body in _CONFIG
])
def test_a_short_gkmlpt_page_with_a_mobile_redirect_is_read_as_itself(fixture, url, kind):
    from pathlib import Path

    page = (Path(__file__).parent / "fixtures" / "families" / fixture).read_bytes()
    page = page.replace(b"</head>", MOBILE_REDIRECT.encode() + b"</head>", 1)
    spider = make_spider(url=BASE + "/gkmlpt/index")
    assert spider.script_redirect(response(BASE + url, page, kind)) is None


# --------------------------------------------------------------------------- JS challenge with 200
CHALLENGE = ("<html><script>document.cookie='__jsl_clearance_s=1700000000.1|0|abc';location.reload();</script>"
             "</html>")


def test_js_challenge_served_with_200_is_a_block():
    out = answer(make_spider(), response(BASE + "/", CHALLENGE, "homepage"))
    (blocked,) = [x for x in out if isinstance(x, Blocked)]
    assert blocked.status == 200 and "JavaScript challenge" in blocked.detail
    assert isinstance(out[-1], CloseSpider)


def test_a_page_with_a_cookie_script_and_content_is_not_a_challenge():
    page = ("<html><head><script>document.cookie='fontsize=16';window.location.hash='';</script></head><body>"
            + "<p>某县人民政府办公室2024年政府信息公开工作年度报告正文。</p>" * 5 + "</body></html>")
    assert not make_spider().is_challenge_page(response(BASE + "/a.html", page))


# --------------------------------------------------------------------------- retried 5xx
def test_a_503_is_stored_and_asked_again_then_recorded():
    spider = make_spider({"RETRY_TIMES": 1})
    out = answer(spider, response(BASE + "/a.html", "busy", status=503, link_text="t"))
    (item,) = [x for x in out if isinstance(x, PageItem)]
    (again,) = followed(out)
    assert (item.status, item.retrying, again.url, again.meta["harvester_retries"], again.dont_filter) == (
        503, True, BASE + "/a.html", 1, True)
    last = answer(spider, response(BASE + "/a.html", "busy", status=503, harvester_retries=1))
    assert followed(last) == [] and [x.retrying for x in last if isinstance(x, PageItem)] == [False]


# --------------------------------------------------------------------------- traps
def test_a_column_announcing_a_million_pages_is_a_recorded_trap():
    spider = make_spider({"HARVESTER_MAX_LIST_PAGES": 10})
    spider.mode = "full"
    html = ('<html><ul><li><a href="./202401/t20240115_1.html">某某2023年政府信息公开工作年度报告</a></li></ul>'
            '<script>createPageHTML(1000000, 0, "index", "html");</script></html>')
    out = answer(spider, response(BASE + "/gknb/index.html", html, "listing", page_no=0, column=BASE + "/gknb/index.html"))
    (trap,) = [x for x in out if isinstance(x, TrapHit)]
    assert trap.url == BASE + "/gknb/index.html" and "1000000 pages" in trap.detail
    assert len([r for r in followed(out) if r.meta["kind"] == "listing"]) == 9


def test_endless_next_links_end_in_a_recorded_trap():
    spider = make_spider({"HARVESTER_MAX_LIST_PAGES": 5})
    spider.mode = "full"
    html = '<html><ul><li>第5页</li></ul><a href="list_5.shtml">下一页</a></html>'
    out = answer(spider, response(BASE + "/col/list_4.shtml", html, "listing", page_no=4, column=BASE + "/col/"))
    (trap,) = [x for x in out if isinstance(x, TrapHit)]
    assert "past 5" in trap.detail and followed(out) == []


@pytest.mark.parametrize("url, clean", [
    ("http://a.gov.cn/x/index.html;jsessionid=0A1B2C", "http://a.gov.cn/x/index.html"),
    ("http://a.gov.cn/x/list.jsp;jsessionid=0A1B?page=2", "http://a.gov.cn/x/list.jsp?page=2"),
    ("http://a.gov.cn/list.php?PHPSESSID=abc&page=3", "http://a.gov.cn/list.php?page=3"),
    ("http://a.gov.cn/gkmlpt/api/all/2741?page=1&sid=755", "http://a.gov.cn/gkmlpt/api/all/2741?page=1&sid=755"),
])
def test_session_ids_are_stripped_from_links(url, clean):
    assert strip_session_ids(url) == clean


def test_a_script_that_sets_a_cookie_and_moves_on_is_not_a_challenge():
    stub = "<html><script>document.cookie='lang=zh';window.location.href='/col/index.html';</script></html>"
    assert not make_spider().is_challenge_page(response(BASE + "/", stub, "homepage"))


def test_the_jiasule_style_challenge_reloading_by_pathname_is_one():
    js = "<html><script>document.cookie='x=1';location.href=location.pathname+location.search</script></html>"
    assert make_spider().is_challenge_page(response(BASE + "/", js, "homepage"))


def test_attachments_past_the_cap_are_a_recorded_error_not_silently_dropped():
    spider = make_spider({"HARVESTER_MAX_ATTACHMENTS": 2})
    spider.mode = "full"
    links = "".join(f'<a href="/files/{n}.pdf">部门{n}年报.pdf</a>' for n in range(5))
    out = answer(spider, response(BASE + "/a.html", f"<html><body>{links}</body></html>", "article"))
    assert [r.url for r in followed(out)] == [BASE + "/files/0.pdf", BASE + "/files/1.pdf"]
    (err,) = errors(out)
    assert "links 5 documents; only the first 2" in err and BASE + "/files/4.pdf" in err


# --------------------------------------------------------------------------- what is not a JS challenge
SHORT_REPORT = ('<html><head><meta charset="utf-8"><title>2023年政府信息公开工作年度报告</title>'
                '<script>document.cookie="visit=1;path=/";var u=location.pathname;</script></head>'
                '<body><h1>2023年政府信息公开工作年度报告</h1><p>详见附件。</p></body></html>')


def test_a_short_report_page_with_an_analytics_script_is_not_a_challenge():
    """A 详见附件 page under 80 visible characters whose analytics script sets a cookie and reads
    location.pathname: stored as a page, the portal goes on."""
    spider = make_spider()
    resp = response(BASE + "/gknb/t20240115_1.html", SHORT_REPORT, "article")
    assert not spider.is_challenge_page(resp)
    out = answer(spider, resp)
    assert not [x for x in out if isinstance(x, (Blocked, CloseSpider))] and not spider.blocked


def test_an_empty_listing_page_that_reloads_is_not_a_challenge():
    page = ('<html><head><script>document.cookie="v=1";setTimeout(function(){location.reload()},600000);</script>'
            '</head><body><ul class="list"><li>暂无信息</li></ul></body></html>')
    assert not make_spider().is_challenge_page(response(BASE + "/gknb/index.html", page, "listing"))


def test_a_short_page_with_article_links_and_a_reload_script_is_not_a_challenge():
    page = ('<html><script>document.cookie="v=1";location.reload();</script>'
            '<a href="/gknb/t20240115_1.pdf">2023年年报.pdf</a></html>')
    assert not make_spider().is_challenge_page(response(BASE + "/gknb/t20240115_1.html", page))


@pytest.mark.parametrize("script", [
    "document.cookie='a=1';location.reload();",
    "document.cookie='a=1';location.replace(location.href);",
    "document.cookie='a=1';window.location = location.pathname + location.search;",
    "document.cookie='a=1';document.location.href = '/gknb/index.html#top';",  # the page itself, by its address
    "var _0x=['x','/gknb/index.html'];document.cookie='a=1';location.href=_0x[1];",  # computed, after a cookie
    "var s='acw_sc__v2';",  # a WAF's signature, no content
])
def test_pages_without_content_that_reload_or_carry_a_waf_signature_are_challenges(script):
    page = f"<html><head><script>{script}</script></head><body></body></html>"
    assert make_spider().is_challenge_page(response(BASE + "/gknb/index.html", page, "listing"))


@pytest.mark.parametrize("script", [
    "var p=location.pathname;_hmt.push(['_trackPageview', p]);",  # analytics: reads, never navigates
    "if(location.href==location.pathname){}",  # a comparison, not an assignment
    "var t=Math.random();location.href='/gknb/index.html?'+t;",  # computed, but no cookie set
])
def test_scripts_that_do_not_reload_the_page_are_not_challenges(script):
    page = f"<html><head><script>document.title='x';{script}</script></head><body></body></html>"
    assert not make_spider().is_challenge_page(response(BASE + "/gknb/index.html", page, "listing"))


# --------------------------------------------------------------------------- cookie-gated redirects
def gate(url, location=None, cookie="gate=1; Path=/", kind="article", **meta):
    headers = {"Location": location or url}
    if cookie:
        headers["Set-Cookie"] = cookie
    return response(url, kind=kind, status=302, headers=headers, **meta)


@pytest.mark.parametrize("kind", ["article", "attachment"])
def test_a_302_to_the_same_url_that_sets_a_cookie_is_asked_again_once(kind):
    spider = make_spider()
    url = BASE + ("/gknb/t20240115_1.html" if kind == "article" else "/gknb/P020240115.docx")
    (again,) = followed(answer(spider, gate(url, kind=kind, link_text="年报")))
    assert (again.url, again.meta["kind"], again.meta["link_text"]) == (url, kind, "年报")
    assert errors(answer(spider, gate(url, kind=kind))) == []
    # the gate answers 302 + cookie again: now a loop, recorded on the requested URL
    out = answer(spider, gate(url, kind=kind, **{k: again.meta[k] for k in ("redirected_from", "redirect_cookies",
                                                                            "cookie_revisits")}))
    (err,) = [x for x in out if isinstance(x, FetchError)]
    assert followed(out) == [] and err.url == url and err.error.startswith("redirect loop: ")


def test_a_302_to_the_same_url_without_a_cookie_is_a_loop():
    out = answer(make_spider(), gate(BASE + "/a.html", cookie=None))
    assert followed(out) == [] and errors(out)[0].startswith("redirect loop: ")


def test_a_cookie_set_on_the_way_back_allows_one_return():
    """/a.html -> /setcookie (Set-Cookie, 302) -> /a.html: the gate of many download scripts."""
    spider = make_spider()
    (req,) = followed(answer(spider, gate(BASE + "/setcookie", "/a.html", redirected_from=[BASE + "/a.html"],
                                          redirect_cookies=[False])))
    assert (req.url, req.meta["redirected_from"]) == (BASE + "/a.html", [BASE + "/a.html", BASE + "/setcookie"])


def test_the_page_reached_through_its_own_cookie_gate_is_stored_as_itself():
    spider = make_spider()
    (again,) = followed(answer(spider, gate(BASE + "/a.html")))
    resp = response(BASE + "/a.html", "<html><body><p>正文</p></body></html>", **{
        k: v for k, v in again.meta.items() if k not in ("kind", "handle_httpstatus_all")})
    (item,) = [x for x in answer(spider, resp) if isinstance(x, PageItem)]
    assert (item.url, item.status, item.redirected_from) == (BASE + "/a.html", 200, [])


def test_the_cookie_set_by_the_gate_is_sent_on_the_revisit():
    """Scrapy's CookiesMiddleware is on in every crawl and keeps the gate's cookie for the request
    the spider makes again (which drops the old attempt's Cookie header)."""
    from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

    from harvester.crawl import crawl_settings

    settings = crawl_settings("sqlite://", "/tmp/x")
    assert settings.getbool("COOKIES_ENABLED")
    crawler = get_crawler(PortalSpider, {k: settings[k] for k in ("COOKIES_ENABLED",)})
    spider = PortalSpider.from_crawler(crawler, portal_id="p", url=BASE + "/")
    mw = CookiesMiddleware.from_crawler(crawler)
    first = gate(BASE + "/a.docx", kind="attachment")
    mw.process_request(first.request)
    mw.process_response(first.request, first)
    (again,) = followed(answer(spider, first))
    mw.process_request(again)
    assert again.headers.get("Cookie") == b"gate=1"


# --------------------------------------------------------------------------- meta refresh to the page itself
@pytest.mark.parametrize("url", ["#main", BASE + "/a.html", "/a.html#top", "a.html"])
def test_a_meta_refresh_to_the_page_itself_is_not_a_redirect(url):
    out = answer(make_spider(), response(BASE + "/a.html", refresh_page(0, url), "article"))
    assert followed(out) == [] and errors(out) == []
    assert [x.url for x in out if isinstance(x, PageItem)] == [BASE + "/a.html"]


def test_an_http_redirect_to_the_page_itself_with_a_fragment_is_a_loop():
    out = answer(make_spider(), redirect(BASE + "/a.html", "/a.html#main"))
    assert followed(out) == [] and errors(out)[0].startswith("redirect loop: ")


# --------------------------------------------------------------------------- host and port
def test_a_redirect_to_another_port_of_the_same_host_is_refused_on_the_requested_url():
    out = answer(make_spider(), redirect(BASE + "/a.html", "http://127.0.0.20:1/a.html", 301))
    assert followed(out) == []
    (err,) = [x for x in out if isinstance(x, FetchError)]
    assert err.url == BASE + "/a.html" and "another port (1 on 127.0.0.20" in err.error


@pytest.mark.parametrize("portal, source, target", [
    ("http://www.example.gov.cn/", "http://www.example.gov.cn/a.html", "http://www.example.gov.cn:80/b.html"),
    ("https://www.example.gov.cn/", "https://www.example.gov.cn/a.html", "https://www.example.gov.cn:443/b.html"),
    ("http://www.example.gov.cn:8080/", "http://www.example.gov.cn:8080/", "https://www.example.gov.cn/index.html"),
    ("http://www.example.gov.cn/", "https://www.example.gov.cn/index.html", "https://www.example.gov.cn/xxgk/"),
    ("https://www.example.gov.cn/", "https://www.example.gov.cn/a.html", "http://www.example.gov.cn/a.html"),
])
def test_default_ports_and_http_to_https_on_the_same_host_are_followed(portal, source, target):
    out = answer(make_spider(url=portal), redirect(source, target, 301))
    assert [r.url for r in followed(out)] == [target] and errors(out) == []


@pytest.mark.parametrize("portal, target", [
    ("http://www.example.gov.cn/", "https://www.example.gov.cn:8443/a.html"),
    ("http://www.example.gov.cn/", "http://www.example.gov.cn:8080/a.html"),
    ("http://www.example.gov.cn:8080/", "http://www.example.gov.cn/a.html"),
])
def test_other_ports_are_refused(portal, target):
    out = answer(make_spider(url=portal), redirect(urljoin(portal, "/x.html"), target, 301))
    assert followed(out) == [] and "another port" in errors(out)[0]


def test_a_meta_refresh_to_another_port_is_recorded():
    out = answer(make_spider(), response(BASE + "/a.html", refresh_page(30, "http://127.0.0.20:1/"), "article"))
    assert followed(out) == [] and "another port" in errors(out)[0]


def test_a_redirect_target_that_cannot_be_reached_is_an_error_of_the_requested_url():
    from twisted.internet.error import ConnectionRefusedError
    from twisted.python.failure import Failure

    spider = make_spider()
    (req,) = followed(answer(spider, redirect(BASE + "/a.html", "/moved/a.html", 301)))
    failure = Failure(ConnectionRefusedError())
    failure.request = req
    (err,) = [x for x in spider.on_error(failure) if isinstance(x, FetchError)]
    assert err.url == BASE + "/a.html" and f"at {BASE}/moved/a.html, reached by redirect from {BASE}/a.html" in err.error
