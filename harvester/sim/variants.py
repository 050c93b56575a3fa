"""A universe of several portals of every platform family, with the variants the harvester must
survive: reports published only as DOCX / PDF attachments (the page says 详见附件), a report
published only as images (…（图片版）), GBK sites, township sub-columns, blocking portals, and a
column that moves (``move_column``).

    from harvester.sim.variants import build_family_universe, move_column
    u = build_family_universe(seed=2026)          # 2 portals per family + 2 blocking portals
    move_column(u.portal("sim-trs-2"))            # its 年报 column moves to …/ndbg/

The default demo universe (``build_universe``) is unchanged: three TRS portals.
"""

from __future__ import annotations

import random

from spiders.families import NAMES

from .htmltext import visible_text
from .model import SimPortal, Universe
from .universe import _plan_portal

BLOCKS = ("403-ua", "521-challenge")


def _reports(plan):
    return [it for col in plan.columns for it in col.items if it.kind == "report"]


def _publish_as_attachments(plan) -> None:
    """The two newest reports of the main column: the page says 详见附件, the report is a DOCX / PDF."""
    from harvester.reportgen import render

    chosen = [it for it in plan.columns[0].items if it.kind == "report"][:2]
    for it, ext in zip(chosen, ("docx", "pdf")):
        rendered = render(it.truth, ext, random.Random(f"{plan.rng_seed}:attach:{it.doc_id}"))
        it.attachments = [(it.title, ext, rendered.data)]
        it.body_html = f"<p>{it.title}详见附件。</p>"
        it.body_text = visible_text(it.body_html)
        it.presentation = "attachment"


def _publish_as_images(plan) -> None:
    """One report published as a run of table images titled …（图片版）."""
    from .extras import tiny_png

    it = next((x for x in plan.columns[0].items if x.kind == "report"), None)
    if it is None:
        return
    rng = random.Random(f"{plan.rng_seed}:images:{it.doc_id}")
    it.title = it.title + "（图片版）"
    it.images = [(f"{it.title}（{n + 1}）", tiny_png(rng)) for n in range(3)]
    it.body_html = ""
    it.body_text = ""
    it.presentation = "image"


def _add_department_column(plan) -> None:
    """A department sub-column holding the two oldest plain reports of the main column."""
    from .universe import ColumnPlan

    if len(plan.columns) > 1:
        return
    main = plan.columns[0]
    moving = [it for it in main.items if it.kind == "report" and it.presentation == "html"][-2:]
    if not moving:
        return
    sub = ColumnPlan("部门政府信息公开年报", "bmgknb", items=moving)
    main.items = [it for it in main.items if it not in moving]
    plan.columns.append(sub)


def _render(plan) -> SimPortal:
    from .families import render_portal

    portal = render_portal(plan)
    portal.plan = plan
    if not portal.column_urls:
        portal.column_urls = list(portal.column_paths)
    return portal


def build_family_universe(seed: int = 2026, families: tuple[str, ...] = NAMES, per_family: int = 2,
                          reports_per_portal: int = 5, blocking: tuple[str, ...] = BLOCKS) -> Universe:
    """``per_family`` portals of each family (the first with attachment-only reports, the second
    with an image-only report; GBK sites and township sub-columns as the planner decides), then
    one small portal per kind of block."""
    portals: list[SimPortal] = []
    i = 0
    for fam in families:
        for k in range(per_family):
            plan = _plan_portal(seed, i, reports_per_portal)
            plan.id = f"sim-{fam}-{k + 1}"
            plan.family = fam
            if k % 2 == 0:
                _publish_as_attachments(plan)
            else:
                _publish_as_images(plan)
                _add_department_column(plan)
            if fam == "generic":
                # endless list pages (200 for any page number), then ?page=N with a totalPage variable
                plan.list_style = (2, 1, 0)[k % 3]
            portals.append(_render(plan))
            i += 1
    for block in blocking:
        plan = _plan_portal(seed, i, 2)
        plan.id = f"sim-blocked-{block.split('-')[0]}"
        portal = _render(plan)
        portal.block = block
        portals.append(portal)
        i += 1
    return Universe(seed=seed, portals=portals)


def move_column(portal: SimPortal, new_slug: str = "ndbg") -> None:
    """The portal's main 年报 column moves (TRS portals): the old URLs answer 404, the section
    page links the new column, the articles live under it."""
    plan = portal.plan
    if plan is None or portal.family != "trs":
        raise ValueError("move_column works on TRS portals of a family universe")
    plan.columns[0].slug = new_slug
    fresh = _render(plan)
    for name in ("pages", "column_paths", "reports", "non_reports", "section_path", "page_counts",
                 "column_items", "column_urls", "not_found"):
        setattr(portal, name, getattr(fresh, name))
