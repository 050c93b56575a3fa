"""Hanweb JCMS (大汉) family.

Layout produced for one portal::

    /                                        homepage (TRS-like chrome), links 政务公开
    /col/col{S}/index.html                   the disclosure section: links the main 年报 column
    /col/col{N}/index.html                   a 年报 column: first records inline in <datastore>;
                                             a second (乡镇) column is linked from the first one
    /module/web/jpage/dataproxy.jsp?…        POST startrecord/endrecord/perpage → the same XML
    /art/{y}/{m}/{d}/art_{N}_{doc}.html      articles, body in div#zoom
    /picture/0/{doc}{n}.{ext}                attachments (served only with a same-site Referer)
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs

from ..extras import esc
from ..model import SimPage, SimPortal
from . import site
from .chrome import STATIC_TIME, Ctx, common_pages, html_page, own_section, simple_page

PER_PAGE = 2  # records per page: small, so that a few items already need the proxy

_PROXY = "/module/web/jpage/dataproxy.jsp"


def _record(item, path: str) -> str:
    return (f'<li><a href="{path}" title="{esc(item.title)}" target="_blank">{esc(item.title)}</a>'
            f"<span>{item.published.date().isoformat()}</span></li>")


def _datastore(records: list[str], total: int | None, nextgroup: str | None) -> str:
    out = ["<datastore>"]
    if nextgroup is not None:
        out.append(f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>")
    if total is not None:
        out.append(f"<totalrecord>{total}</totalrecord>")
    out.append("<recordset>")
    out += [f"<record><![CDATA[{r}]]></record>" for r in records]
    out.append("</recordset></datastore>")
    return "\n".join(out)


def render(plan) -> SimPortal:
    base = 1000 + plan.index * 37
    sec_id, unit_id = base, 4000 + plan.index
    col_ids = [base + 1 + ci for ci in range(len(plan.columns))]
    section = f"/col/col{sec_id}/index.html"
    column_paths = [f"/col/col{c}/index.html" for c in col_ids]
    ctx = Ctx(plan, section, column_paths,
                   section_links=[("政府信息公开指南", plan.section_dir + "xxgkzn/index.html"),
                                  ("政府信息公开制度", plan.section_dir + "xxgkzd/index.html"),
                                  (plan.columns[0].name, column_paths[0]),
                                  ("依申请公开", plan.section_dir + "ysqgk/index.html")])
    pages: dict[str, SimPage] = {}
    reports, non_reports = [], []
    records_of: dict[int, list[str]] = {}
    column_items: dict[str, list[str]] = {}
    page_counts: dict[str, int] = {}

    for ci, col in enumerate(plan.columns):
        cid = col_ids[ci]
        paths = [f"/art/{it.published.year}/{it.published.month}/{it.published.day}/art_{cid}_{it.doc_id}.html"
                 for it in col.items]
        column_items[column_paths[ci]] = paths
        page_counts[column_paths[ci]] = max(1, math.ceil(len(paths) / PER_PAGE))
        records_of[cid] = [_record(it, p) for it, p in zip(col.items, paths)]
        for k, (it, path) in enumerate(zip(col.items, paths)):
            stem = f"/picture/0/{it.published:%y%m%d}{it.doc_id}"
            body = it.body_html
            links, att = site.attach(pages, it, path, stem, appendix=False)
            if it.images:
                body = site.image_body(pages, it, path, stem)
            html = site.article_html(ctx, ci, it, path, body + links, body_wrapper='<div id="zoom">{body}</div>')
            pages[path] = html_page(plan, html, it.encoding, it.published)
            entry = site.entries(it, path, column_paths[ci], att)
            (reports if it.kind == "report" else non_reports).append(entry)

        # the column page
        recs = records_of[cid]
        nextgroup = (f'<a href="{_PROXY}?page=1&appid=1&webid=1&path=/&columnid={cid}&unitid={unit_id}'
                     f'&webname={esc(plan.site_name)}&permissiontype=0"></a>')
        store = _datastore(recs[:PER_PAGE], None, nextgroup)
        subs = ""
        if ci == 0 and len(plan.columns) > 1:
            subs = "".join(f'<li><a href="{column_paths[j]}">{esc(plan.columns[j].name)}</a></li>'
                           for j in range(1, len(plan.columns)))
            subs = f'<div class="sub-columns"><h4>下级栏目</h4><ul>{subs}</ul></div>'
        content = (
            f'{subs}<div id="{unit_id}"><script type="text/xml">\n{store}\n</script>'
            f'<script language="javascript" src="/module/web/jpage/jpage.js"></script>'
            f"<script>$('#{unit_id}').jpage({{dataStore: dataStore, perPage: {PER_PAGE}, totalRecord: {len(recs)}, "
            f"proxyUrl: '{_PROXY}', groupSize: 3, barPosition: 'bottom', pageSize: {PER_PAGE}}});</script></div>"
        )
        newest = col.items[0].published if col.items else STATIC_TIME
        html = simple_page(ctx, column_paths[ci], col.name, [("政务公开", section), (col.name, None)], content)
        pages[column_paths[ci]] = html_page(plan, html, plan.encoding, newest)

    not_found = common_pages(ctx, pages)
    own_section(ctx, pages, "政务公开", ctx.section_links)
    pages["/module/web/jpage/jpage.js"] = SimPage.make(b"/* jpage (simulated) */\n", "application/javascript",
                                                       STATIC_TIME)

    def handler(method, path, query, body, headers):
        if path != _PROXY:
            return None
        if method != "POST":
            return SimPage(b"", "text/plain", STATIC_TIME, "", status=405)
        q = parse_qs(query)
        form = parse_qs(body.decode("latin-1"))
        try:
            cid = int(q["columnid"][0])
            start = int(form["startrecord"][0])
            end = int(form["endrecord"][0])
        except (KeyError, ValueError, IndexError):
            return SimPage(b"bad request", "text/plain", STATIC_TIME, "", status=400)
        recs = records_of.get(cid)
        if recs is None:
            return SimPage(b"", "text/xml", STATIC_TIME, "", status=404)
        chunk = recs[max(0, start - 1):max(0, end)]
        xml = '<?xml version="1.0" encoding="utf-8"?>\n' + _datastore(chunk, len(recs), None)
        return SimPage.make(xml.encode("utf-8"), "text/xml;charset=utf-8", STATIC_TIME)

    return site.make_portal(
        plan, column_paths, section, pages=pages, reports=reports, non_reports=non_reports,
        page_counts=page_counts, column_items=column_items, not_found=not_found, handler=handler,
    )
