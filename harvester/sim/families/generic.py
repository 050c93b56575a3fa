"""A generic (home-grown) platform.

Layout produced for one portal::

    /                                       homepage (TRS-like chrome), links 信息公开
    /zfxxgk/index.shtml                     the disclosure section, links 年度报告
    /zfxxgk/ndbg/list.shtml                 the column; pages by style:
        style 0: list_2.shtml … with 下一页 links and 共N页 text
        style 1: list.shtml?page=2 … with 下一页 links and ``var totalPage = N``
        style 2: list_2.shtml … with 下一页 links only, and the server answers 200 for *any*
                 page number (past the end it repeats the last page)
    /zfxxgk/ndbg/{yyyymm}/{doc}.shtml       articles (no telling URL pattern), body in div.content
    /uploadfiles/{yyyymm}/{doc}{n}.{ext}    attachments (served only with a same-site Referer)
A second (乡镇) column is linked from the first column's page.
"""

from __future__ import annotations

import math
import re

from ..extras import esc
from ..model import SimPage, SimPortal
from . import site
from .chrome import STATIC_TIME, Ctx, common_pages, html_page, own_section, simple_page

PAGE_SIZE = 3
_LIST_N = re.compile(r"^(/zfxxgk/[a-z]+/)list_(\d+)\.shtml$")


def _page_path(col_dir: str, style: int, n: int) -> str:
    """Path (with query) of 0-based page n."""
    if n == 0:
        return col_dir + "list.shtml"
    return col_dir + (f"list.shtml?page={n + 1}" if style == 1 else f"list_{n + 1}.shtml")


def render(plan) -> SimPortal:
    style = getattr(plan, "list_style", plan.index % 3)
    section = "/zfxxgk/index.shtml"
    slugs = ["ndbg"] + [f"xzndbg{ci}" if ci > 1 else "xzndbg" for ci in range(1, len(plan.columns))]
    col_dirs = [f"/zfxxgk/{s}/" for s in slugs]
    column_paths = [d + "list.shtml" for d in col_dirs]
    ctx = Ctx(plan, section, column_paths)
    pages: dict[str, SimPage] = {}
    reports, non_reports = [], []
    column_items: dict[str, list[str]] = {}
    page_counts: dict[str, int] = {}
    list_pages: dict[str, list[SimPage]] = {}  # column dir -> its pages (for the ?page= and endless styles)

    for ci, col in enumerate(plan.columns):
        col_dir = col_dirs[ci]
        paths = [f"{col_dir}{it.published:%Y%m}/{it.doc_id}.shtml" for it in col.items]
        column_items[column_paths[ci]] = paths
        count = max(1, math.ceil(len(paths) / PAGE_SIZE))
        page_counts[column_paths[ci]] = count
        for it, path in zip(col.items, paths):
            stem = f"/uploadfiles/{it.published:%Y%m}/{it.doc_id}"
            links, att = site.attach(pages, it, path, stem, appendix=False)
            body = site.image_body(pages, it, path, stem) if it.images else it.body_html
            html = site.article_html(ctx, ci, it, path, body + links, body_wrapper='<div class="content">{body}</div>')
            pages[path] = html_page(plan, html, it.encoding, it.published)
            entry = site.entries(it, path, column_paths[ci], att)
            (reports if it.kind == "report" else non_reports).append(entry)
        subs = ""
        if ci == 0 and len(plan.columns) > 1:
            subs = '<div class="subnav">' + "".join(
                f'<a href="{column_paths[j]}">{esc(plan.columns[j].name)}</a>' for j in range(1, len(plan.columns))
            ) + "</div>"
        built = []
        newest = col.items[0].published if col.items else STATIC_TIME
        for n in range(count):
            chunk = list(zip(col.items, paths))[n * PAGE_SIZE:(n + 1) * PAGE_SIZE]
            lis = "".join(f'<li><a href="{p}" target="_blank">{esc(it.title)}</a><span>{it.published:%Y-%m-%d}</span></li>'
                          for it, p in chunk)
            pager = []
            if n > 0:
                pager.append(f'<a href="{_page_path(col_dir, style, n - 1)}">上一页</a>')
            if n + 1 < count or style == 2:
                pager.append(f'<a href="{_page_path(col_dir, style, n + 1)}">下一页</a>')
            if style == 0:
                pager.append(f"<span>共{count}页</span>")
            script = f"<script>var totalPage = {count}; var currentPage = {n + 1};</script>" if style == 1 else ""
            here = _page_path(col_dir, style, n)
            content = (f'{subs}<ul class="news-list">{lis}</ul><div class="pager">{" ".join(pager)}</div>{script}')
            html = simple_page(ctx, here, col.name, [("信息公开", section), (col.name, None)], content)
            page = html_page(plan, html, plan.encoding, newest)
            built.append(page)
            if "?" not in here:
                pages[here] = page
        list_pages[col_dir] = built

    not_found = common_pages(ctx, pages)
    sec_links = [("政府信息公开指南", plan.section_dir + "xxgkzn/index.html"), (plan.columns[0].name.replace(
        "政府信息公开年报", "年度报告"), column_paths[0]), ("依申请公开", plan.section_dir + "ysqgk/index.html")]
    own_section(ctx, pages, "信息公开", sec_links)

    def handler(method, path, query, body, headers):
        if method not in ("GET", "HEAD"):
            return None
        if path.endswith("/list.shtml") and query.startswith("page="):
            built = list_pages.get(path[: -len("list.shtml")])
            try:
                n = int(query.split("=", 1)[1].split("&")[0]) - 1
            except ValueError:
                return None
            if built is None or n < 0:
                return None
            if n >= len(built):
                return None  # past the end: 404
            return built[n]
        m = _LIST_N.match(path)
        if m and style == 2 and m.group(1) in list_pages:
            built = list_pages[m.group(1)]
            n = int(m.group(2)) - 1
            return built[min(n, len(built) - 1)]  # 200 for any page number
        return None

    return site.make_portal(
        plan, column_paths, section, pages=pages, reports=reports, non_reports=non_reports,
        page_counts=page_counts, column_items=column_items, not_found=not_found, handler=handler,
    )
