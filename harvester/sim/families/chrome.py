"""The page chrome every simulated portal shares, whatever its platform family: head, top bar,
navigation, position trail, footer, info table, simple pages, and the common pages (homepage,
news channels, static columns, robots.txt, images, scripts, the 404 page).

It is the chrome of TRS-built portals (the most common); the other families use it with their
own section and column paths (``Ctx``).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import random

from ..extras import esc, guide_update_html, tiny_png
from ..model import CST, SimPage

STATIC_TIME = dt.datetime(2023, 3, 1, 10, 0, 0, tzinfo=CST)

PAGE_JS = r"""function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
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

def rel(target: str, from_path: str) -> str:
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


def html_page(plan, html: str, encoding: str, when: dt.datetime) -> SimPage:
    return SimPage.make(_encode(html, encoding), _ctype(plan, encoding), when)


class Ctx:
    """Paths of one portal, shared by the templates: the TRS layout under the plan's section
    directory, or another family's own section page, column pages and section links."""

    def __init__(self, plan, section: str | None = None, column_paths: list[str] | None = None,
                 section_links: list[tuple[str, str]] | None = None) -> None:
        self.plan = plan
        sd = plan.section_dir
        self.section = section or sd + "index.html"
        if column_paths is None:
            self.column_dirs = [sd + c.slug + "/" for c in plan.columns]
            self.column_paths = [d + "index.html" for d in self.column_dirs]
        else:
            self.column_paths = list(column_paths)
            self.column_dirs = [posixpath.dirname(p) + "/" for p in column_paths]
        self.section_links = section_links or [
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

def head(plan, title: str, encoding: str, extra_meta: str = "") -> str:
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


def top(ctx: Ctx, page_path: str) -> str:
    plan = ctx.plan
    return (
        '<body>\n<div class="topbar"><div class="w1200 clearfix">'
        f'<div class="fl">今天是：<span id="today"><script type="text/javascript">{_DATE_JS}</script></span></div>'
        '<div class="fr"><a href="javascript:void(0);" id="wza" title="无障碍">无障碍</a>'
        '<a href="javascript:void(0);" class="zzb">长者版</a>'
        '<a href="javascript:void(0);">登录</a> <a href="javascript:void(0);">注册</a>'
        '<a href="javascript:void(0);" class="jt">简体</a>|<a href="javascript:void(0);" class="ft">繁體</a>'
        "</div></div></div>\n"
        f'<div class="header"><div class="w1200"><a href="{rel("/", page_path)}" class="logo">'
        f'<img src="/images/logo.png" alt="{esc(plan.site_name)}" /></a>'
        '<form class="search" action="javascript:void(0);"><input type="text" name="searchword" '
        'placeholder="请输入关键字" /><button type="button">搜索</button></form></div></div>\n'
        + _nav(ctx, page_path)
    )


def _nav(ctx: Ctx, page_path: str) -> str:
    links = [("首页", "/")] + [ctx.plain[0]] + [(ctx.channels["zwyw"], "/zwyw/index.html"),
                                                ("政府信息公开", ctx.section)] + ctx.plain[1:]
    items = "".join(f'<li><a href="{rel(p, page_path)}">{esc(t)}</a></li>' for t, p in links)
    return f'<div class="nav"><ul class="w1200">{items}</ul></div>\n'


def footer(ctx: Ctx, page_path: str) -> str:
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
        f'<p><a href="{rel("/zjsq/index.html", page_path)}">关于本站</a> | '
        '<a href="javascript:void(0);">网站地图</a> | <a href="javascript:void(0);">联系我们</a></p>'
        f"<p>主办单位：{esc(place.office)}　　承办单位：{esc(place.short)}政务服务数据管理局</p>"
        f"<p>网站标识码：{place.site_code}　　<span class=\"icp\">{esc(plan.icp)}</span>　　"
        f'<span class="ga"><img src="/images/ga.png" alt="" />{esc(plan.police)}</span></p>'
        f"{extra}"
        '<p class="jiucuo"><span>政府网站找错</span>'
        f"<script id=\"_jiucuo_\" sitecode='{place.site_code}' src='/exposure/jiucuo.js'></script></p>"
        "</div></div>\n</body>\n</html>\n"
    )


def position(ctx: Ctx, page_path: str, trail: list[tuple[str, str | None]]) -> str:
    parts = [f'<a href="{rel("/", page_path)}">首页</a>']
    for text, path in trail:
        parts.append(f'<a href="{rel(path, page_path)}">{esc(text)}</a>' if path else f"<span>{esc(text)}</span>")
    return '<div class="position w1200">当前位置：' + " &gt; ".join(parts) + "</div>\n"


def info_table(plan, item, rng: random.Random) -> str:
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


def simple_page(ctx: Ctx, path: str, title: str, trail, content: str) -> str:
    plan = ctx.plan
    return (
        head(plan, f"{title}_{plan.site_name}", plan.encoding,
              f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
              f'<meta name="ColumnName" content="{esc(title)}" />\n')
        + top(ctx, path) + position(ctx, path, trail)
        + f'<div class="main w1200"><div class="lm-title">{esc(title)}</div>{content}</div>\n'
        + footer(ctx, path)
    )


def _homepage(ctx: Ctx, news_paths) -> str:
    plan = ctx.plan
    path = "/"
    blocks = []
    for ch, name in ctx.channels.items():
        lis = "".join(f'<li><a href="{rel(p, path)}" target="_blank">{esc(t)}</a><span>{w.date().isoformat()}</span></li>'
                      for c, t, w, p in news_paths if c == ch)
        blocks.append(f'<div class="box"><div class="hd"><a href="{rel(f"/{ch}/index.html", path)}">{name}</a>'
                      f'<a class="more" href="{rel(f"/{ch}/index.html", path)}">更多&gt;&gt;</a></div><ul>{lis}</ul></div>')
    quick = "".join(f'<li><a href="{rel(p, path)}">{esc(t)}</a></li>' for t, p in [
        ("政府信息公开", ctx.section), ("政务服务", "/zwfw/index.html"), ("互动交流", "/hdjl/index.html"),
        ("专题专栏", "/ztzl/index.html"), (ctx.plain[0][0], ctx.plain[0][1])])
    return (
        head(plan, plan.site_name, plan.encoding,
              f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
              f'<meta name="SiteDomain" content="{plan.place.domain}" />\n'
              f'<meta name="SiteIDCode" content="{plan.place.site_code}" />\n')
        + top(ctx, path)
        + '<div class="banner w1200"><img src="/images/banner.png" alt="" /></div>\n'
        + '<div class="main w1200 clearfix">' + "".join(blocks)
        + f'<div class="quick"><h3>快速通道</h3><ul>{quick}</ul></div>'
        + '<div class="links"><h3>友情链接</h3><select><option>国务院部门网站</option>'
          "<option>省级政府网站</option><option>市县政府网站</option></select></div>"
        + "</div>\n" + footer(ctx, path)
    )


def common_pages(ctx, pages: dict) -> SimPage:
    """Homepage, news channels, static columns, robots.txt, images, scripts; returns the 404 page."""
    plan = ctx.plan
    # news channels and articles
    news_paths = []
    for n, (ch, title, when, html_body) in enumerate(plan.news):
        p = f"/{ch}/{when:%Y%m}/t{when:%Y%m%d}_{700000 + n * 37 + plan.index}.html"
        news_paths.append((ch, title, when, p))
        pages[p] = html_page(plan, simple_page(
            ctx, p, title, [(ctx.channels[ch], f"/{ch}/index.html")],
            f'<h1 class="article-title">{esc(title)}</h1><div class="article-info">发布时间：{when:%Y-%m-%d %H:%M}</div>'
            f'<div class="TRS_Editor">{html_body}</div>'
            '<div class="article-tools">【<a href="javascript:window.print();">打印本页</a>】'
            '【<a href="javascript:window.close();">关闭窗口</a>】</div>'), plan.encoding, when)
    for ch, name in ctx.channels.items():
        lp = f"/{ch}/index.html"
        lis = "".join(f'<li><a href="{rel(p, lp)}">{esc(t)}</a><span>{w.date().isoformat()}</span></li>'
                      for c, t, w, p in news_paths if c == ch)
        newest = max((w for c, _, w, _ in news_paths if c == ch), default=STATIC_TIME)
        pages[lp] = html_page(plan, simple_page(ctx, lp, name, [(name, None)], f'<ul class="list">{lis}</ul>'
                                                  '<div class="page"><script type="text/javascript">'
                                                  'createPageHTML(1, 0, "index", "html");</script></div>'),
                               plan.encoding, newest)

    updated = plan.updated or STATIC_TIME
    pages["/"] = html_page(plan, _homepage(ctx, news_paths), plan.encoding, updated)

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
        pages[p] = html_page(plan, simple_page(ctx, p, t, trail, content), plan.encoding, STATIC_TIME)

    pages["/robots.txt"] = SimPage.make(b"User-agent: *\nAllow: /\n", "text/plain", STATIC_TIME)
    art_rng = random.Random(f"{plan.rng_seed}:static")
    for name in ("logo.png", "qrcode.png", "ga.png", "banner.png"):
        pages["/images/" + name] = SimPage.make(tiny_png(art_rng), "image/png", STATIC_TIME)
    pages["/images/common.css"] = SimPage.make(_CSS, "text/css", STATIC_TIME)
    pages["/exposure/jiucuo.js"] = SimPage.make(_JIUCUO_JS, "application/javascript", STATIC_TIME)
    if plan.pagination == "vars":
        pages["/js/page.js"] = SimPage.make(PAGE_JS.encode("utf-8"), "application/javascript", STATIC_TIME)

    nf_html = (head(plan, "404 页面不存在", "utf-8")
               + '<body><div class="err404"><h1>404</h1><p>抱歉，您访问的页面不存在或已被删除！</p>'
               '<p><a href="/">返回首页</a></p></div></body></html>\n')
    not_found = SimPage(body=nf_html.encode("utf-8"), content_type="text/html; charset=utf-8",
                        last_modified=STATIC_TIME.astimezone(dt.timezone.utc), etag="", status=404)
    return not_found

def own_section(ctx: Ctx, pages: dict, label: str, links: list[tuple[str, str]]) -> None:
    """A family's own disclosure section page at ``ctx.section``, called ``label`` (政务公开,
    信息公开 …) and listing ``links``; the homepage (from ``common_pages``) links it by that name."""
    plan = ctx.plan
    section = ctx.section
    html = simple_page(ctx, section, label, [(label, None)],
                       "<ul>" + "".join(f'<li><a href="{p}">{esc(t)}</a></li>' for t, p in links) + "</ul>")
    pages[section] = html_page(plan, html, plan.encoding, plan.updated or STATIC_TIME)
    home = pages["/"].body.decode("utf-8" if plan.encoding == "utf-8" else "gb18030")
    home = home.replace(f'href="{rel(section, "/")}">政府信息公开<', f'href="{section}">{label}<')
    pages["/"] = html_page(plan, home, plan.encoding, plan.updated or STATIC_TIME)
