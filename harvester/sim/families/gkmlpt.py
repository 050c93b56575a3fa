"""Guangdong gkmlpt (政府信息公开集约化平台) family.

Layout produced for one portal::

    /                                          homepage (TRS-like chrome), links 政府信息公开
    /gkmlpt/index                              the single-page app: window._CONFIG = {SID, TREE}
    /gkmlpt/api/all/{cat}?page={n}&sid={SID}   JSON list: {classify:{post_count}, articles:[…]}
    /gkmlpt/content/{a}/{b}/post_{doc}.html    articles: body only in _CONFIG.DETAIL.content
    /attachment/0/{x}/{doc}/{name}.{ext}       attachments, listed in the API and in DETAIL
A township column is a child node of the 年报 node in the TREE.
"""

from __future__ import annotations

import json
import math
from urllib.parse import parse_qs

from ..extras import esc
from ..model import SimPage, SimPortal
from . import site
from .chrome import STATIC_TIME, Ctx, common_pages

PAGE_SIZE = 3


def _epoch(item) -> int:
    return int(item.published.timestamp())


def _app_page(plan, sid: str, tree: list[dict], detail: dict | None, title: str) -> str:
    tree_js = json.dumps(tree, ensure_ascii=False)
    # JavaScript object literal, not JSON: unquoted keys, as the platform writes them
    for key in ("id", "name", "parent", "children"):
        tree_js = tree_js.replace(f'"{key}":', f"{key}:")
    detail_js = ""
    if detail is not None:
        detail_js = ", DETAIL: " + json.dumps(detail, ensure_ascii=bool(plan.index % 2)).replace("</", "<\\/") + ", IS_DETAIL: true"
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n"
        f'<meta name="SiteName" content="{esc(plan.site_name)}">\n'
        '<link rel="stylesheet" href="/gkmlpt/static/css/app.css">\n</head>\n<body>\n<div id="app"></div>\n'
        f"<script>\nwindow._CONFIG = {{SID:'{sid}', TREE:{tree_js}{detail_js}}};\n</script>\n"
        '<script src="/gkmlpt/static/js/app.js"></script>\n</body>\n</html>\n'
    )


def render(plan) -> SimPortal:
    sid = str(751 + plan.index)
    base_cat = 2700 + plan.index * 10
    cats = [base_cat + 1 + ci for ci in range(len(plan.columns))]
    tree = [{"id": base_cat + 7, "name": "机构职能", "parent": 0, "children": []},
            {"id": base_cat + 8, "name": "政府信息公开指南", "parent": 0, "children": []},
            {"id": cats[0], "name": plan.columns[0].name, "parent": 0,
             "children": [{"id": c, "name": plan.columns[j + 1].name, "parent": cats[0], "children": []}
                          for j, c in enumerate(cats[1:])]},
            {"id": base_cat + 9, "name": "政策文件", "parent": 0, "children": []}]
    ctx = Ctx(plan, "/gkmlpt/index", [f"/gkmlpt/index#{c}" for c in cats])
    pages: dict[str, SimPage] = {}
    reports, non_reports = [], []
    api_items: dict[int, list[dict]] = {}
    column_items: dict[str, list[str]] = {}
    page_counts: dict[str, int] = {}

    for ci, col in enumerate(plan.columns):
        cat = cats[ci]
        listed = []
        paths = []
        for it in col.items:
            path = f"/gkmlpt/content/{it.doc_id % 10}/{it.doc_id // 1000}/post_{it.doc_id}.html"
            paths.append(path)
            att_list, att_paths = [], []
            for n, (name, ext, data) in enumerate(it.attachments):
                ap = f"/attachment/0/{it.doc_id % 97}/{it.doc_id}/{it.doc_id}{n}.{ext}"
                pages[ap] = SimPage.make(data, site.ATTACHMENT_TYPES[ext], it.published)
                att_paths.append(ap)
                att_list.append({"name": f"{name}.{ext}", "type": ext, "url": ap})
            body = it.body_html
            if it.images:
                body = site.image_body(pages, it, path, f"/gkmlpt/content/img/{it.doc_id}")
            detail = {"id": it.doc_id, "title": it.title, "content": body, "publisher": it.agency,
                      "date": _epoch(it), "attachment": att_list}
            html = _app_page(plan, sid, tree, detail, it.title)
            # gkmlpt pages are UTF-8, whatever the rest of the province's sites use
            pages[path] = SimPage.make(html.encode("utf-8"), "text/html; charset=utf-8", it.published)
            listed.append({"id": it.doc_id, "title": it.title, "date": _epoch(it), "url": path,
                           "attachment": att_list})
            entry = site.entries(it, path, ctx.column_paths[ci], att_paths)
            if it.kind == "report":
                entry.encoding = "utf-8"
            (reports if it.kind == "report" else non_reports).append(entry)
        api_items[cat] = listed
        column_items[ctx.column_paths[ci]] = paths
        page_counts[ctx.column_paths[ci]] = max(1, math.ceil(len(listed) / PAGE_SIZE))

    not_found = common_pages(ctx, pages)
    pages["/gkmlpt/index"] = SimPage.make(_app_page(plan, sid, tree, None, "政府信息公开").encode("utf-8"),
                                          "text/html; charset=utf-8", plan.updated or STATIC_TIME)
    pages["/gkmlpt/static/js/app.js"] = SimPage.make(b"/* gkmlpt app (simulated) */\n", "application/javascript",
                                                     STATIC_TIME)

    def handler(method, path, query, body, headers):
        if not path.startswith("/gkmlpt/api/all/"):
            return None
        q = parse_qs(query)
        try:
            cat = int(path.rsplit("/", 1)[1])
            page = int((q.get("page") or ["1"])[0])
        except ValueError:
            return SimPage(b'{"error":"bad request"}', "application/json", STATIC_TIME, "", status=400)
        if (q.get("sid") or [""])[0] != sid:
            return SimPage.make(b'{"error":"sid"}', "application/json", STATIC_TIME)
        items = api_items.get(cat)
        if items is None:
            return SimPage.make(json.dumps({"classify": {"post_count": 0}, "articles": []}).encode(),
                                "application/json", STATIC_TIME)
        chunk = items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        data = {"classify": {"id": cat, "post_count": len(items)}, "articles": chunk}
        return SimPage.make(json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8",
                            STATIC_TIME)

    return site.make_portal(
        plan, ctx.column_paths, "/gkmlpt/index", pages=pages, reports=reports, non_reports=non_reports,
        page_counts=page_counts, column_items=column_items, not_found=not_found, handler=handler,
    )
