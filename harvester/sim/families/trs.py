"""TRS WCM (拓尔思) family: URL scheme, list pagination and page chrome of TRS-built portals.

Layout produced for one portal::

    /                                   homepage (lots of navigation, links to the section)
    /robots.txt                         allow-all
    {section}index.html                 政府信息公开 (links to 指南, 制度, 法定主动公开内容, 年报 columns …)
    {section}{slug}/index.html          a 年报 column, then index_1.html, index_2.html … (0-based)
    {section}{slug}/202401/t20240115_123456.html   articles (reports and non-report items)
    {section}{slug}/202401/W0….png      images of 图解 pages
    /zwyw/…, /tzgg/…                    ordinary news channels
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import random

from ..extras import esc, guide_update_html, tiny_png
from ..model import CST, NonReportEntry, ReportEntry, SimPage, SimPortal

FAMILY = "trs"
STATIC_TIME = dt.datetime(2023, 3, 1, 10, 0, 0, tzinfo=CST)

_PAGE_JS = r"""function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
	if(_nPageCount == null || _nPageCount<=1){
		return;
	}
	var nCurrIndex = _nCurrIndex || 0;
	if(nCurrIndex == 0)
		document.write("<span>首页</span>&nbsp;<span>上一页</span>&nbsp;");
	else if(nCurrIndex == 1)
		document.write("<a href=\""+_sPageName+"."+_sPageExt+"\">首页</a>&nbsp;<a href=\""+_sPageName+"."+_sPageExt+"\">上一页</a>&nbsp;");
	else
		document.write("<a href=\""+_sPageName+"."+_sPageExt+"\">首页</a>&nbsp;<a href=\""+_sPageName+"_" + (nCurrIndex-1) + "."+_sPageExt+"\">上一页</a>&nbsp;");
	if(nCurrIndex + 1 < _nPageCount)
		document.write("<a href=\""+_sPageName+"_" + (nCurrIndex+1) + "."+_sPageExt+"\">下一页</a>&nbsp;<a href=\""+_sPageName+"_" + (_nPageCount-1) + "."+_sPageExt+"\">尾页</a>");
	else
		document.write("<span>下一页</span>&nbsp;<span>尾页</span>");
	document.write("&nbsp;共" + _nPageCount + "页");
}
"""

_DATE_JS = """var d = new Date(); var w = ["日","一","二","三","四","五","六"];
document.write(d.getFullYear()+"年"+(d.getMonth()+1)+"月"+d.getDate()+"日 星期"+w[d.getDay()]);"""

_JIUCUO_JS = b"/* \xe6\x94\xbf\xe5\xba\x9c\xe7\xbd\x91\xe7\xab\x99\xe6\x89\xbe\xe9\x94\x99 (simulated) */\n" \
    b"(function(){var s=document.getElementById('_jiucuo_');if(!s)return;})();\n"


_CSS = (b"body{margin:0;font:14px/1.8 \"Microsoft YaHei\",SimSun,sans-serif}.w1200{width:1200px;margin:0 auto}"
        b".list li{display:flex;justify-content:space-between}.TRS_Editor table{border-collapse:collapse}\n")


# --------------------------------------------------------------------------- helpers

def _rel(target: str, from_path: str) -> str:
    """Relative link from the page at ``from_path`` to ``target`` (a trailing / kept)."""
    base = posixpath.dirname(from_path) or "/"
    rel = posixpath.relpath(target, base)
    if target.endswith("/") and not rel.endswith("/"):
        rel = "./" if rel == "." else rel + "/"
    if not rel.startswith("."):
        rel = "./" + rel
    return rel


def _ctype(plan, encoding: str) -> str:
    return "text/html; charset=utf-8" if encoding == "utf-8" else plan.gbk_header


def _meta_charset(plan, encoding: str) -> str:
    if encoding != "utf-8":
        return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'
    if plan.index % 3 == 0:
        return '<meta charset="utf-8">'
    return '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'


def _encode(html: str, encoding: str) -> bytes:
    return html.encode("utf-8" if encoding == "utf-8" else "gb18030")


def _html_page(plan, html: str, encoding: str, when: dt.datetime) -> SimPage:
    return SimPage.make(_encode(html, encoding), _ctype(plan, encoding), when)


class _Ctx:
    """Paths of one portal, shared by the templates."""

    def __init__(self, plan) -> None:
        self.plan = plan
        self.section = plan.section_dir + "index.html"
        self.column_dirs = [plan.section_dir + c.slug + "/" for c in plan.columns]
        self.column_paths = [d + "index.html" for d in self.column_dirs]
        sd = plan.section_dir
        self.section_links = [
            ("政府信息公开指南", sd + "xxgkzn/index.html"),
            ("政府信息公开制度", sd + "xxgkzd/index.html"),
            ("法定主动公开内容", sd + "fdzdgknr/index.html"),
        ] + [(c.name, p) for c, p in zip(plan.columns, self.column_paths)] + [
            ("依申请公开", sd + "ysqgk/index.html"),
        ]
        self.channels = {"zwyw": "政务要闻", "tzgg": "通知公告"}
        self.plain = [("走进" + plan.place.short.rstrip("市县区"), "/zjsq/index.html"),
                      ("政务服务", "/zwfw/index.html"), ("互动交流", "/hdjl/index.html"),
                      ("专题专栏", "/ztzl/index.html")]


# --------------------------------------------------------------------------- chrome

def _head(plan, title: str, encoding: str, extra_meta: str = "") -> str:
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        f"{_meta_charset(plan, encoding)}\n"
        '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1" />\n'
        f"<title>{esc(title)}</title>\n{extra_meta}"
        '<link rel="stylesheet" type="text/css" href="/images/common.css" />\n'
        "</head>\n"
    )


def _top(ctx: _Ctx, page_path: str) -> str:
    plan = ctx.plan
    return (
        '<body>\n<div class="topbar"><div class="w1200 clearfix">'
        f'<div class="fl">今天是：<span id="today"><script type="text/javascript">{_DATE_JS}</script></span></div>'
        '<div class="fr"><a href="javascript:void(0);" id="wza" title="无障碍">无障碍</a>'
        '<a href="javascript:void(0);" class="zzb">长者版</a>'
        '<a href="javascript:void(0);">登录</a> <a href="javascript:void(0);">注册</a>'
        '<a href="javascript:void(0);" class="jt">简体</a>|<a href="javascript:void(0);" class="ft">繁體</a>'
        "</div></div></div>\n"
        f'<div class="header"><div class="w1200"><a href="{_rel("/", page_path)}" class="logo">'
        f'<img src="/images/logo.png" alt="{esc(plan.site_name)}" /></a>'
        '<form class="search" action="javascript:void(0);"><input type="text" name="searchword" '
        'placeholder="请输入关键字" /><button type="button">搜索</button></form></div></div>\n'
        + _nav(ctx, page_path)
    )


def _nav(ctx: _Ctx, page_path: str) -> str:
    links = [("首页", "/")] + [ctx.plain[0]] + [(ctx.channels["zwyw"], "/zwyw/index.html"),
                                                ("政府信息公开", ctx.section)] + ctx.plain[1:]
    items = "".join(f'<li><a href="{_rel(p, page_path)}">{esc(t)}</a></li>' for t, p in links)
    return f'<div class="nav"><ul class="w1200">{items}</ul></div>\n'


def _footer(ctx: _Ctx, page_path: str) -> str:
    plan = ctx.plan
    place = plan.place
    extra = ""
    if plan.index % 3 == 2:
        extra = ('<div class="ft-links"><span>相关词条</span> <span>热门词条</span> '
                 '<a href="javascript:void(0);">联系我们</a></div>'
                 '<div class="ft-app">智能互动 <a href="javascript:void(0);">手机版</a> '
                 '<a href="javascript:void(0);">微信</a></div>')
    return (
        '<div class="footer"><div class="w1200">'
        f'<p><a href="{_rel("/zjsq/index.html", page_path)}">关于本站</a> | '
        '<a href="javascript:void(0);">网站地图</a> | <a href="javascript:void(0);">联系我们</a></p>'
        f"<p>主办单位：{esc(place.office)}　　承办单位：{esc(place.short)}政务服务数据管理局</p>"
        f"<p>网站标识码：{place.site_code}　　<span class=\"icp\">{esc(plan.icp)}</span>　　"
        f'<span class="ga"><img src="/images/ga.png" alt="" />{esc(plan.police)}</span></p>'
        f"{extra}"
        '<p class="jiucuo"><span>政府网站找错</span>'
        f"<script id=\"_jiucuo_\" sitecode='{place.site_code}' src='/exposure/jiucuo.js'></script></p>"
        "</div></div>\n</body>\n</html>\n"
    )


def _position(ctx: _Ctx, page_path: str, trail: list[tuple[str, str | None]]) -> str:
    parts = [f'<a href="{_rel("/", page_path)}">首页</a>']
    for text, path in trail:
        parts.append(f'<a href="{_rel(path, page_path)}">{esc(text)}</a>' if path else f"<span>{esc(text)}</span>")
    return '<div class="position w1200">当前位置：' + " &gt; ".join(parts) + "</div>\n"


# --------------------------------------------------------------------------- pages

def _list_page(ctx: _Ctx, col_idx: int, page_no: int, page_count: int, items, paths) -> str:
    plan = ctx.plan
    col = plan.columns[col_idx]
    path = ctx.column_dirs[col_idx] + ("index.html" if page_no == 0 else f"index_{page_no}.html")
    lis = []
    for it, p in zip(items, paths):
        shown = it.title
        if plan.truncate_titles and len(shown) > 24:
            shown = shown[:23] + "..."
        lis.append(f'<li><a href="{_rel(p, path)}" title="{esc(it.title)}" target="_blank">{esc(shown)}</a>'
                   f"<span>{it.published.date().isoformat()}</span></li>")
    if plan.pagination == "vars":
        call = (f"var countPage = {page_count};//共多少页\nvar currentPage = {page_no};//当前页\n"
                'createPageHTML(countPage, currentPage, "index", "html");')
        js_def = '<script type="text/javascript" src="/js/page.js"></script>\n'
    else:
        call = f'createPageHTML({page_count}, {page_no}, "index", "html");'
        js_def = f'<script type="text/javascript">\n{_PAGE_JS}</script>\n'
    on = ' class="on"'
    side = "".join(f'<li{on if p == ctx.column_paths[col_idx] else ""}>'
                   f'<a href="{_rel(p, path)}">{esc(t)}</a></li>' for t, p in ctx.section_links)
    html = (
        _head(plan, f"{col.name}_{plan.site_name}", plan.encoding,
              f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
              f'<meta name="SiteIDCode" content="{plan.place.site_code}" />\n'
              f'<meta name="ColumnName" content="{esc(col.name)}" />\n')
        + js_def + _top(ctx, path)
        + _position(ctx, path, [("政府信息公开", ctx.section), (col.name, ctx.column_paths[col_idx])])
        + '<div class="main w1200 clearfix">'
        f'<div class="left"><h3>政府信息公开</h3><ul>{side}</ul></div>'
        f'<div class="right"><div class="lm-title">{esc(col.name)}</div>'
        f'<ul class="list">\n' + "\n".join(lis) + "\n</ul>\n"
        f'<div class="page"><script type="text/javascript">\n{call}\n</script></div>'
        "</div></div>\n" + _footer(ctx, path)
    )
    return html


def _info_table(plan, item, rng: random.Random) -> str:
    org = random.Random(f"{plan.place.site_code}:{item.agency}").randint(10**8, 10**9 - 1)
    index_no = f"{org}/{item.published.year}-{rng.randint(1, 3000):05d}"
    written = (item.published - dt.timedelta(days=rng.randint(0, 6))).date().isoformat()
    topic = "综合政务\\政务公开" if plan.index % 2 == 0 else "综合政务/其他"
    docno = ""
    if item.kind == "compile_notice":
        docno = f"{plan.place.short[:2]}府办函〔{item.published.year}〕{rng.randint(10, 180)}号"
    return (
        '<table class="xxgk-info" width="100%" border="0" cellspacing="0" cellpadding="0">'
        f"<tr><th>索引号：</th><td>{index_no}</td><th>主题分类：</th><td>{esc(topic)}</td></tr>"
        f"<tr><th>发布机构：</th><td>{esc(item.agency)}</td><th>成文日期：</th><td>{written}</td></tr>"
        f"<tr><th>文　　号：</th><td>{esc(docno)}</td><th>发布日期：</th><td>{item.published.date().isoformat()}</td></tr>"
        f'<tr><th>名　　称：</th><td colspan="3">{esc(item.title)}</td></tr>'
        "</table>\n"
    )


def _article_page(ctx: _Ctx, col_idx: int, item, path: str, body_html: str, prev, nxt) -> str:
    plan = ctx.plan
    col = plan.columns[col_idx]
    rng = random.Random(f"{plan.rng_seed}:article:{item.doc_id}")
    pub = item.published.strftime("%Y-%m-%d %H:%M")
    meta = (
        f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
        f'<meta name="SiteDomain" content="{plan.place.domain}" />\n'
        f'<meta name="SiteIDCode" content="{plan.place.site_code}" />\n'
        f'<meta name="ColumnName" content="{esc(col.name)}" />\n'
        '<meta name="ColumnType" content="政府信息公开" />\n'
        f'<meta name="ArticleTitle" content="{esc(item.title)}" />\n'
        f'<meta name="PubDate" content="{pub}" />\n'
        f'<meta name="ContentSource" content="{esc(item.agency)}" />\n'
        '<meta name="Keywords" content="政府信息公开,年度报告" />\n'
        f'<meta name="Description" content="{esc(item.title)}" />\n'
    )
    inner = body_html
    if plan.nested_ueditor:
        inner = f'<div class="TRS_UEDITOR trs_paper_default trs_web">{inner}</div>'

    def link(label, other):
        if other is None:
            return f"<p>{label}：没有了</p>"
        o_item, o_path = other
        return f'<p>{label}：<a href="{_rel(o_path, path)}">{esc(o_item.title)}</a></p>'

    html = (
        _head(plan, f"{item.title}_{plan.site_name}", item.encoding, meta)
        + _top(ctx, path)
        + _position(ctx, path, [("政府信息公开", ctx.section), (col.name, ctx.column_paths[col_idx])])
        + '<div class="main w1200 article">\n' + _info_table(plan, item, rng)
        + f'<h1 class="article-title">{esc(item.title)}</h1>\n'
        f'<div class="article-info"><span>发布时间：{pub}</span> <span>来源：{esc(item.agency)}</span> '
        f'<span>浏览次数：<em id="hits">{rng.randint(30, 4000)}</em></span> '
        '<span class="font">【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
        '<a href="javascript:doZoom(14)">小</a>】</span> '
        '<span class="share">分享到：<a href="javascript:void(0);" class="wx">微信</a>'
        '<a href="javascript:void(0);" class="wb">微博</a></span></div>\n'
        f'<div class="article-content" id="zoom"><div class="TRS_Editor">{inner}</div></div>\n'
        '<div class="article-tools"><span>【<a href="javascript:window.print();">打印本页</a>】'
        '【<a href="javascript:window.close();">关闭窗口</a>】</span>'
        '<div class="qrcode"><img src="/images/qrcode.png" alt="" /><p>扫一扫在手机打开当前页</p></div></div>\n'
        f'<div class="prev-next">{link("上一篇", prev)}{link("下一篇", nxt)}</div>\n'
        "</div>\n" + _footer(ctx, path)
    )
    return html


def _simple_page(ctx: _Ctx, path: str, title: str, trail, content: str) -> str:
    plan = ctx.plan
    return (
        _head(plan, f"{title}_{plan.site_name}", plan.encoding,
              f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
              f'<meta name="ColumnName" content="{esc(title)}" />\n')
        + _top(ctx, path) + _position(ctx, path, trail)
        + f'<div class="main w1200"><div class="lm-title">{esc(title)}</div>{content}</div>\n'
        + _footer(ctx, path)
    )


def _homepage(ctx: _Ctx, news_paths) -> str:
    plan = ctx.plan
    path = "/"
    blocks = []
    for ch, name in ctx.channels.items():
        lis = "".join(f'<li><a href="{_rel(p, path)}" target="_blank">{esc(t)}</a><span>{w.date().isoformat()}</span></li>'
                      for c, t, w, p in news_paths if c == ch)
        blocks.append(f'<div class="box"><div class="hd"><a href="{_rel(f"/{ch}/index.html", path)}">{name}</a>'
                      f'<a class="more" href="{_rel(f"/{ch}/index.html", path)}">更多&gt;&gt;</a></div><ul>{lis}</ul></div>')
    quick = "".join(f'<li><a href="{_rel(p, path)}">{esc(t)}</a></li>' for t, p in [
        ("政府信息公开", ctx.section), ("政务服务", "/zwfw/index.html"), ("互动交流", "/hdjl/index.html"),
        ("专题专栏", "/ztzl/index.html"), (ctx.plain[0][0], ctx.plain[0][1])])
    return (
        _head(plan, plan.site_name, plan.encoding,
              f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
              f'<meta name="SiteDomain" content="{plan.place.domain}" />\n'
              f'<meta name="SiteIDCode" content="{plan.place.site_code}" />\n')
        + _top(ctx, path)
        + '<div class="banner w1200"><img src="/images/banner.png" alt="" /></div>\n'
        + '<div class="main w1200 clearfix">' + "".join(blocks)
        + f'<div class="quick"><h3>快速通道</h3><ul>{quick}</ul></div>'
        + '<div class="links"><h3>友情链接</h3><select><option>国务院部门网站</option>'
          "<option>省级政府网站</option><option>市县政府网站</option></select></div>"
        + "</div>\n" + _footer(ctx, path)
    )


def _section_page(ctx: _Ctx) -> str:
    plan = ctx.plan
    path = ctx.section
    lis = "".join(f'<li><a href="{_rel(p, path)}">{esc(t)}</a></li>' for t, p in ctx.section_links)
    dirs = "".join(f"<li><span>{esc(n)}</span></li>" for n in ("机构职能", "政策文件", "规划计划", "财政预决算", "人事信息"))
    return _simple_page(
        ctx, path, "政府信息公开", [("政府信息公开", None)],
        f'<div class="xxgk-nav"><h3>政府信息公开</h3><ul>{lis}</ul></div>'
        f'<div class="xxgk-ml"><h3>政府信息公开目录</h3><ul>{dirs}</ul></div>',
    )


# --------------------------------------------------------------------------- render

def _article_path(col_dir: str, item) -> str:
    d = item.published
    return f"{col_dir}{d:%Y%m}/t{d:%Y%m%d}_{item.doc_id}.html"


def common_pages(ctx, pages: dict) -> SimPage:
    """Homepage, news channels, static columns, robots.txt, images, scripts; returns the 404 page."""
    plan = ctx.plan
    # news channels and articles
    news_paths = []
    for n, (ch, title, when, html_body) in enumerate(plan.news):
        p = f"/{ch}/{when:%Y%m}/t{when:%Y%m%d}_{700000 + n * 37 + plan.index}.html"
        news_paths.append((ch, title, when, p))
        pages[p] = _html_page(plan, _simple_page(
            ctx, p, title, [(ctx.channels[ch], f"/{ch}/index.html")],
            f'<h1 class="article-title">{esc(title)}</h1><div class="article-info">发布时间：{when:%Y-%m-%d %H:%M}</div>'
            f'<div class="TRS_Editor">{html_body}</div>'
            '<div class="article-tools">【<a href="javascript:window.print();">打印本页</a>】'
            '【<a href="javascript:window.close();">关闭窗口</a>】</div>'), plan.encoding, when)
    for ch, name in ctx.channels.items():
        lp = f"/{ch}/index.html"
        lis = "".join(f'<li><a href="{_rel(p, lp)}">{esc(t)}</a><span>{w.date().isoformat()}</span></li>'
                      for c, t, w, p in news_paths if c == ch)
        newest = max((w for c, _, w, _ in news_paths if c == ch), default=STATIC_TIME)
        pages[lp] = _html_page(plan, _simple_page(ctx, lp, name, [(name, None)], f'<ul class="list">{lis}</ul>'
                                                  '<div class="page"><script type="text/javascript">'
                                                  'createPageHTML(1, 0, "index", "html");</script></div>'),
                               plan.encoding, newest)

    updated = plan.updated or STATIC_TIME
    pages["/"] = _html_page(plan, _homepage(ctx, news_paths), plan.encoding, updated)

    sec_trail = ("政府信息公开", ctx.section)
    sd = plan.section_dir
    guide = guide_update_html(plan.place.gov, plan.place.office, 2023)
    statics = {
        sd + "xxgkzn/index.html": ("政府信息公开指南", [sec_trail, ("政府信息公开指南", None)],
                                   f'<div class="TRS_Editor">{guide}</div>'),
        sd + "xxgkzd/index.html": ("政府信息公开制度", [sec_trail, ("政府信息公开制度", None)],
                                   "<ul class=\"list\"><li><span>政府信息公开保密审查制度</span></li>"
                                   "<li><span>政府信息公开工作考核制度</span></li></ul>"),
        sd + "fdzdgknr/index.html": ("法定主动公开内容", [sec_trail, ("法定主动公开内容", None)],
                                     "<ul class=\"list\"><li><span>机构职能</span></li><li><span>政策文件</span></li>"
                                     "<li><span>财政信息</span></li></ul>"),
        sd + "ysqgk/index.html": ("依申请公开", [sec_trail, ("依申请公开", None)],
                                  "<p>申请人可通过在线申请、信函申请、当面申请等方式提出政府信息公开申请。</p>"),
    }
    for t, p in ctx.plain:
        statics[p] = (t, [(t, None)], "<p>栏目内容更新中。</p>")
    for p, (t, trail, content) in statics.items():
        pages[p] = _html_page(plan, _simple_page(ctx, p, t, trail, content), plan.encoding, STATIC_TIME)

    pages["/robots.txt"] = SimPage.make(b"User-agent: *\nAllow: /\n", "text/plain", STATIC_TIME)
    art_rng = random.Random(f"{plan.rng_seed}:static")
    for name in ("logo.png", "qrcode.png", "ga.png", "banner.png"):
        pages["/images/" + name] = SimPage.make(tiny_png(art_rng), "image/png", STATIC_TIME)
    pages["/images/common.css"] = SimPage.make(_CSS, "text/css", STATIC_TIME)
    pages["/exposure/jiucuo.js"] = SimPage.make(_JIUCUO_JS, "application/javascript", STATIC_TIME)
    if plan.pagination == "vars":
        pages["/js/page.js"] = SimPage.make(_PAGE_JS.encode("utf-8"), "application/javascript", STATIC_TIME)

    nf_html = (_head(plan, "404 页面不存在", "utf-8")
               + '<body><div class="err404"><h1>404</h1><p>抱歉，您访问的页面不存在或已被删除！</p>'
               '<p><a href="/">返回首页</a></p></div></body></html>\n')
    not_found = SimPage(body=nf_html.encode("utf-8"), content_type="text/html; charset=utf-8",
                        last_modified=STATIC_TIME.astimezone(dt.timezone.utc), etag="", status=404)
    return not_found


def render(plan) -> SimPortal:
    ctx = _Ctx(plan)
    pages: dict[str, SimPage] = {}
    reports: list[ReportEntry] = []
    non_reports: list[NonReportEntry] = []
    page_counts: dict[str, int] = {}
    column_items: dict[str, list[str]] = {}

    for ci, col in enumerate(plan.columns):
        col_dir = ctx.column_dirs[ci]
        paths = [_article_path(col_dir, it) for it in col.items]
        column_items[ctx.column_paths[ci]] = list(paths)
        newest = col.items[0].published if col.items else STATIC_TIME
        count = max(1, math.ceil(len(col.items) / plan.page_size))
        page_counts[ctx.column_paths[ci]] = count
        for pno in range(count):
            chunk = slice(pno * plan.page_size, (pno + 1) * plan.page_size)
            html = _list_page(ctx, ci, pno, count, col.items[chunk], paths[chunk])
            lp = col_dir + ("index.html" if pno == 0 else f"index_{pno}.html")
            pages[lp] = _html_page(plan, html, plan.encoding, newest)

        for k, (it, path) in enumerate(zip(col.items, paths)):
            body_html = it.body_html
            attachment_paths: list[str] = []
            if it.attachments:
                from .site import attach

                links, attachment_paths = attach(pages, it, path, f"{col_dir}{it.published:%Y%m}/P0{it.published:%Y%m%d}{it.doc_id}")
                body_html += links
            if it.images:
                parts = []
                for n, (caption, png) in enumerate(it.images):
                    img = f"{col_dir}{it.published:%Y%m}/W0{it.published:%Y%m%d}{it.doc_id}{n:05d}.png"
                    pages[img] = SimPage.make(png, "image/png", it.published)
                    parts.append(f'<p style="text-align:center"><img src="{_rel(img, path)}" '
                                 f'alt="{esc(caption)}" title="{esc(caption)}" border="0" /></p>'
                                 f'<p style="text-align:center">{esc(caption)}</p>')
                body_html = "".join(parts)
            prev = (col.items[k - 1], paths[k - 1]) if k > 0 else None
            nxt = (col.items[k + 1], paths[k + 1]) if k + 1 < len(col.items) else None
            html = _article_page(ctx, ci, it, path, body_html, prev, nxt)
            pages[path] = _html_page(plan, html, it.encoding, it.published)
            if it.kind == "report":
                reports.append(ReportEntry(
                    path=path, title=it.title, agency=it.agency, year=it.year, published=it.published.date(),
                    layout=it.layout, encoding=it.encoding, consistent=it.consistent, truth=it.truth,
                    body_text=it.body_text, column_path=ctx.column_paths[ci], shape=it.shape,
                    presentation=it.presentation, attachment_paths=attachment_paths,
                ))
            else:
                non_reports.append(NonReportEntry(path=path, title=it.title, kind=it.kind,
                                                  published=it.published.date(), encoding=it.encoding,
                                                  column_path=ctx.column_paths[ci]))

    not_found = common_pages(ctx, pages)
    pages[ctx.section] = _html_page(plan, _section_page(ctx), plan.encoding, plan.updated or STATIC_TIME)

    portal = SimPortal(
        id=plan.id, name=plan.site_name, family=FAMILY, homepage_path="/", column_paths=list(ctx.column_paths),
        pages=pages, reports=reports, non_reports=non_reports, section_path=ctx.section,
        host_name=plan.place.domain, site_code=plan.place.site_code, page_counts=page_counts,
        column_items=column_items,
        not_found=not_found,
    )
    return portal
