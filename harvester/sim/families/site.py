"""Pieces of the families' articles: attachments, image-only bodies, the article page of the
non-TRS families, ground-truth entries, and the portal record. The page chrome is ``chrome``."""

from __future__ import annotations

from ..extras import esc
from ..model import SimPage, SimPortal
from .chrome import footer, head, info_table, position, rel, top

ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "xls": "application/vnd.ms-excel",
}


def attach(pages: dict, item, page_path: str, stem: str, *, appendix: bool = True) -> tuple[str, list[str]]:
    """Serve the item's attachments under ``stem`` + n + ext; return the links' HTML and the paths."""
    parts, paths = [], []
    for n, (name, ext, data) in enumerate(getattr(item, "attachments", None) or []):
        path = f"{stem}{n}.{ext}"
        pages[path] = SimPage.make(data, ATTACHMENT_TYPES[ext], item.published)
        paths.append(path)
        attr = ' appendix="true"' if appendix else ""
        parts.append(f'<p>附件：<a{attr} href="{rel(path, page_path)}" target="_blank">{esc(name)}.{ext}</a></p>')
    if not parts:
        return "", []
    return '<div class="fujian">' + "".join(parts) + "</div>", paths


def image_body(pages: dict, item, page_path: str, stem: str) -> str:
    """Images (and captions) of a 图解 or 图片版 page, served under ``stem`` + n + .png."""
    out = []
    for n, (caption, png) in enumerate(item.images):
        img = f"{stem}{n:05d}.png"
        pages[img] = SimPage.make(png, "image/png", item.published)
        out.append(f'<p style="text-align:center"><img src="{rel(img, page_path)}" alt="{esc(caption)}" '
                   f'title="{esc(caption)}" border="0" /></p><p style="text-align:center">{esc(caption)}</p>')
    return "".join(out)


def article_html(ctx, col_idx: int, item, path: str, body_html: str, *, body_wrapper: str) -> str:
    """An article page in the family's markup: info table, title, body inside ``body_wrapper``."""
    plan = ctx.plan
    import random

    rng = random.Random(f"{plan.rng_seed}:article:{item.doc_id}")
    col = plan.columns[col_idx]
    pub = item.published.strftime("%Y-%m-%d %H:%M")
    meta = (
        f'<meta name="SiteName" content="{esc(plan.site_name)}" />\n'
        f'<meta name="ColumnName" content="{esc(col.name)}" />\n'
        f'<meta name="ArticleTitle" content="{esc(item.title)}" />\n'
        f'<meta name="PubDate" content="{pub}" />\n'
        f'<meta name="ContentSource" content="{esc(item.agency)}" />\n'
    )
    return (
        head(plan, f"{item.title}_{plan.site_name}", item.encoding, meta)
        + top(ctx, path)
        + position(ctx, path, [("政务公开", ctx.section), (col.name, ctx.column_paths[col_idx])])
        + '<div class="main w1200 article">\n' + info_table(plan, item, rng)
        + f'<h1 class="article-title">{esc(item.title)}</h1>\n'
        f'<div class="article-info"><span>发布时间：{pub}</span> <span>来源：{esc(item.agency)}</span> '
        f'<span>浏览次数：<em>{rng.randint(30, 4000)}</em></span> '
        '<span class="font">【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
        '<a href="javascript:doZoom(14)">小</a>】</span></div>\n'
        + body_wrapper.format(body=body_html)
        + '\n<div class="article-tools"><span>【<a href="javascript:window.print();">打印本页</a>】'
        '【<a href="javascript:window.close();">关闭窗口</a>】</span></div>\n'
        "</div>\n" + footer(ctx, path)
    )


def entries(item, path: str, column_path: str, attachment_paths: list[str]):
    """The ground-truth entry of one planned item."""
    from ..model import NonReportEntry, ReportEntry

    if item.kind == "report":
        return ReportEntry(
            path=path, title=item.title, agency=item.agency, year=item.year, published=item.published.date(),
            layout=item.layout, encoding=item.encoding, consistent=item.consistent, truth=item.truth,
            body_text=item.body_text, column_path=column_path, shape=item.shape,
            presentation=getattr(item, "presentation", "html"), attachment_paths=list(attachment_paths),
        )
    return NonReportEntry(path=path, title=item.title, kind=item.kind, published=item.published.date(),
                          encoding=item.encoding, column_path=column_path)


def make_portal(plan, column_paths, section_path: str, **parts) -> SimPortal:
    """The SimPortal of a non-TRS family: the plan's identity plus the family's pages and truth
    (``pages``, ``reports``, ``non_reports``, ``page_counts``, ``column_items``, ``not_found``,
    ``handler``); attachments need the page as Referer."""
    return SimPortal(
        id=plan.id, name=plan.site_name, family=plan.family, homepage_path="/", column_paths=list(column_paths),
        section_path=section_path, host_name=plan.place.domain, site_code=plan.place.site_code,
        referer_required=tuple("." + e for e in ATTACHMENT_TYPES), column_urls=list(column_paths), **parts,
    )
