"""TRS WCM (拓尔思) family: URL scheme, list pagination, list, article and section pages (the
chrome around them is ``chrome``).

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

import math
import random

from ..extras import esc
from ..model import NonReportEntry, ReportEntry, SimPage, SimPortal
from .chrome import (
    PAGE_JS, STATIC_TIME, Ctx, common_pages, footer, head, html_page, info_table, position, rel, simple_page, top,
)
from .site import attach, entries, image_body


# --------------------------------------------------------------------------- pages

def _list_page(ctx: Ctx, col_idx: int, page_no: int, page_count: int, items, paths) -> str:
    plan = ctx.plan
    col = plan.columns[col_idx]
    path = ctx.column_dirs[col_idx] + ("index.html" if page_no == 0 else f"index_{page_no}.html")
    lis = []
    for it, p in zip(items, paths):
        shown = it.title
        if plan.truncate_titles and len(shown) > 24:
            shown = shown[:23] + "..."
        lis.append(f'<li><a href="{rel(p, path)}" title="{esc(it.title)}" target="_blank">{esc(shown)}</a>'
                   f"<span>{it.published.date().isoformat()}</span></li>")
    if plan.pagination == "vars":
        call = (f"var countPage = {page_count};//共多少页\nvar currentPage = {page_no};//当前页\n"
                'createPageHTML(countPage, currentPage, "index", "html");')
        js_def = '<script type="text/javascript" src="/js/page.js"></script>\n'
    else:
        call = f'createPageHTML({page_count}, {page_no}, "index", "html");'
        js_def = f'<script type="text/javascript">\n{PAGE_JS}</script>\n'
    on = ' class="on"'
    side = "".join(f'<li{on if p == ctx.column_paths[col_idx] else ""}>'
                   f'<a href="{rel(p, path)}">{esc(t)}</a></li>' for t, p in ctx.section_links)
    html = (
        head(plan, f"{col.name}_{plan.site_name}", plan.encoding,
              f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
              f'<meta name="SiteIDCode" content="{plan.place.site_code}" />\n'
              f'<meta name="ColumnName" content="{esc(col.name)}" />\n')
        + js_def + top(ctx, path)
        + position(ctx, path, [("政府信息公开", ctx.section), (col.name, ctx.column_paths[col_idx])])
        + '<div class="main w1200 clearfix">'
        f'<div class="left"><h3>政府信息公开</h3><ul>{side}</ul></div>'
        f'<div class="right"><div class="lm-title">{esc(col.name)}</div>'
        f'<ul class="list">\n' + "\n".join(lis) + "\n</ul>\n"
        f'<div class="page"><script type="text/javascript">\n{call}\n</script></div>'
        "</div></div>\n" + footer(ctx, path)
    )
    return html


def _article_page(ctx: Ctx, col_idx: int, item, path: str, body_html: str, prev, nxt) -> str:
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
        return f'<p>{label}：<a href="{rel(o_path, path)}">{esc(o_item.title)}</a></p>'

    html = (
        head(plan, f"{item.title}_{plan.site_name}", item.encoding, meta)
        + top(ctx, path)
        + position(ctx, path, [("政府信息公开", ctx.section), (col.name, ctx.column_paths[col_idx])])
        + '<div class="main w1200 article">\n' + info_table(plan, item, rng)
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
        "</div>\n" + footer(ctx, path)
    )
    return html


def _section_page(ctx: Ctx) -> str:
    plan = ctx.plan
    path = ctx.section
    lis = "".join(f'<li><a href="{rel(p, path)}">{esc(t)}</a></li>' for t, p in ctx.section_links)
    dirs = "".join(f"<li><span>{esc(n)}</span></li>" for n in ("机构职能", "政策文件", "规划计划", "财政预决算", "人事信息"))
    return simple_page(
        ctx, path, "政府信息公开", [("政府信息公开", None)],
        f'<div class="xxgk-nav"><h3>政府信息公开</h3><ul>{lis}</ul></div>'
        f'<div class="xxgk-ml"><h3>政府信息公开目录</h3><ul>{dirs}</ul></div>',
    )


# --------------------------------------------------------------------------- render

def _article_path(col_dir: str, item) -> str:
    d = item.published
    return f"{col_dir}{d:%Y%m}/t{d:%Y%m%d}_{item.doc_id}.html"


def render(plan) -> SimPortal:
    ctx = Ctx(plan)
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
            pages[lp] = html_page(plan, html, plan.encoding, newest)

        for k, (it, path) in enumerate(zip(col.items, paths)):
            stem = f"{col_dir}{it.published:%Y%m}/"
            links, attachment_paths = attach(pages, it, path, f"{stem}P0{it.published:%Y%m%d}{it.doc_id}")
            body_html = it.body_html + links
            if it.images:
                body_html = image_body(pages, it, path, f"{stem}W0{it.published:%Y%m%d}{it.doc_id}")
            prev = (col.items[k - 1], paths[k - 1]) if k > 0 else None
            nxt = (col.items[k + 1], paths[k + 1]) if k + 1 < len(col.items) else None
            html = _article_page(ctx, ci, it, path, body_html, prev, nxt)
            pages[path] = html_page(plan, html, it.encoding, it.published)
            entry = entries(it, path, ctx.column_paths[ci], attachment_paths)
            (reports if it.kind == "report" else non_reports).append(entry)

    not_found = common_pages(ctx, pages)
    pages[ctx.section] = html_page(plan, _section_page(ctx), plan.encoding, plan.updated or STATIC_TIME)

    portal = SimPortal(
        id=plan.id, name=plan.site_name, family=plan.family, homepage_path="/", column_paths=list(ctx.column_paths),
        pages=pages, reports=reports, non_reports=non_reports, section_path=ctx.section,
        host_name=plan.place.domain, site_code=plan.place.site_code, page_counts=page_counts,
        column_items=column_items,
        not_found=not_found,
    )
    return portal
