"""Deterministic planning of the simulated portals (family-independent).

``build_universe`` plans every portal (identity, agencies, reports, non-report items,
encodings, presentation variants) from the seed, then hands the plan to the portal's
family module (``harvester.sim.families``), which lays out URLs and renders the bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from harvester import reportgen

from . import extras
from .htmltext import visible_text
from .model import CST, SimPortal, Universe
from .places import (
    COMMON_GIVEN, GBK_ONLY_GIVEN, PLACES, SURNAMES, Place, department_agency, has_gbk_only_char,
    township_agency,
)

YEARS = tuple(range(2019, 2026))


@dataclass
class ItemPlan:
    kind: str  # "report" or a non-report kind
    title: str
    agency: str  # issuing body (发布机构 / ContentSource)
    published: dt.datetime  # aware, CST
    encoding: str  # "utf-8" or "gb18030"
    body_html: str  # fragment placed inside div.TRS_Editor
    body_text: str
    column: int = 0
    year: int | None = None
    layout: str | None = None
    consistent: bool = True
    truth: dict[str, Any] | None = None
    shape: str = ""
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (caption, png) for 图解 pages
    doc_id: int = 0
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (name, ext, bytes)
    presentation: str = "html"  # of a report: "html", "attachment" (详见附件) or "image" (图片版)


@dataclass
class ColumnPlan:
    name: str  # 政府信息公开年报
    slug: str  # gknb
    items: list[ItemPlan] = field(default_factory=list)  # newest first after planning


@dataclass
class PortalPlan:
    index: int
    id: str
    place: Place
    site_name: str
    family: str
    rng_seed: str
    columns: list[ColumnPlan]
    encoding: str  # encoding of the portal's own (non-article) pages
    gbk_header: str  # Content-Type for GBK pages: "text/html; charset=gb2312" or "text/html"
    pagination: str  # "call" (createPageHTML(n, 0, ...)) or "vars" (var countPage = n; ...)
    page_size: int
    truncate_titles: bool
    nested_ueditor: bool
    section_dir: str  # "/xxgk/"
    icp: str
    police: str
    news: list[tuple[str, str, dt.datetime, str]] = field(default_factory=list)  # (channel, title, when, html)
    updated: dt.datetime | None = None


def _person(rng: random.Random, gbk_only: bool) -> str:
    given = rng.choice(GBK_ONLY_GIVEN) if gbk_only else rng.choice(COMMON_GIVEN)
    if rng.random() < 0.5:
        given = rng.choice(COMMON_GIVEN) + given if gbk_only else given + rng.choice(COMMON_GIVEN)
    return rng.choice(SURNAMES) + given


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.choice((0, 5, 12, 20, 30, 41, 45, 58)),
                       rng.randint(0, 59), tzinfo=CST)


def _plan_portal(seed: int, index: int, reports_per_portal: int) -> PortalPlan:
    place = PLACES[index % len(PLACES)]
    lap = index // len(PLACES)
    pid = f"sim-{place.key}" + (f"-{lap + 1}" if lap else "")
    rng_seed = f"xxgk-sim:{seed}:{index}"
    rng = random.Random(rng_seed)
    style = index % 3
    county = place.level == "county"
    columns = [ColumnPlan("政府信息公开年报", "gknb")]
    if style == 2 and county:
        columns.append(ColumnPlan("乡镇政府信息公开年报", "xzgknb"))
    plan = PortalPlan(
        index=index, id=pid, place=place, site_name=place.gov + "网" if lap == 0 else f"{place.gov}网（{lap + 1}）",
        family="trs", rng_seed=rng_seed, columns=columns,
        encoding="gb18030" if style == 1 else "utf-8",
        gbk_header="text/html; charset=gb2312" if style == 1 else "text/html",
        pagination="vars" if style == 1 else "call",
        page_size=(10, 8, 9)[style],
        truncate_titles=style == 1,
        nested_ueditor=style == 2,
        section_dir=("/xxgk/", "/zwgk/", "/xxgk/")[style],
        icp=f"{place.province_abbr}ICP备{rng.randint(5000000, 19999999):08d}号",
        police=f"{place.province_abbr}公网安备 {place.site_code[:6]}{rng.randint(10000000, 99999999)}号",
    )

    # --- agencies and (agency, year) pairs
    depts = list(place.departments)
    towns = list(place.townships)
    rng.shuffle(depts)
    rng.shuffle(towns)
    n_dept, n_town = (3, 3) if county else (4, 1)
    others = [(department_agency(place, d), "dept") for d in depts[:n_dept]]
    others += [(township_agency(place, t), "town") for t in towns[:n_town]]
    rng.shuffle(others)
    spare = [(department_agency(place, d), "dept") for d in depts[n_dept:]]
    spare += [(township_agency(place, t), "town") for t in towns[n_town:]]
    pairs: list[tuple[str, str, int]] = [(place.office, "office", y) for y in reversed(YEARS)]
    while True:
        series = {a: YEARS[-1] - random.Random(f"{rng_seed}:end:{a}").choice((0, 0, 0, 1, 2)) for a, _ in others}
        depth = 0
        while len(pairs) < reports_per_portal and depth < len(YEARS):
            for a, kind in others:
                y = series[a] - depth
                if y >= YEARS[0]:
                    pairs.append((a, kind, y))
            depth += 1
        if len(pairs) >= reports_per_portal or not spare:
            break
        # more reports asked for than these agencies can have: bring in further agencies
        pairs = pairs[: len(YEARS)]
        others.append(spare.pop(0))
    pairs = pairs[:reports_per_portal]
    n = len(pairs)
    n_bad = 0 if n == 0 else max(1, round(n * 0.1)) if n >= 5 else 0
    bad = set(rng.sample(range(n), n_bad)) if n_bad else set()

    shapes = tuple(reportgen.BODY_SHAPES)
    items: list[ItemPlan] = []
    for i, (agency, kind, year) in enumerate(pairs):
        if year <= 2020:
            layout = "2019"
        else:
            layout = "2019" if rng.random() < (0.3 if kind == "town" else 0.05) else "2021"
        consistent = i not in bad
        truth = reportgen.make_truth(random.Random(f"{rng_seed}:truth:{i}"), agency=agency, year=year,
                                  layout=layout, consistent=consistent)
        shape = shapes[0] if len(shapes) == 1 or rng.random() < 0.6 else rng.choice(shapes)
        body_html = reportgen.render_body_html(truth, random.Random(f"{rng_seed}:body:{i}"), shape=shape)
        try:
            pub_day = dt.date.fromisoformat(str(truth.get("published"))[:10])
        except ValueError:
            pub_day = dt.date(year + 1, 1, rng.randint(6, 30))
        published = _at(pub_day, rng)
        if style == 1:
            encoding = "gb18030"
        elif style == 2:
            encoding = "gb18030" if published.date() < dt.date(2022, 6, 1) else "utf-8"
        else:
            encoding = "utf-8"
        body_text = visible_text(body_html)
        if encoding == "gb18030" and not has_gbk_only_char(body_text):
            # A contact line, as many reports have; its name carries a GBK-only character so
            # that decoding with gb2312 visibly fails on this page.
            person = _person(rng, gbk_only=True)
            body_html += (f"<p>联系人：{person}；联系电话：{place.phone_prefix}-{rng.randint(2000000, 8999999)}</p>")
            body_text = visible_text(body_html)
        items.append(ItemPlan(
            kind="report", title=str(truth.get("title") or f"{agency}{year}年政府信息公开工作年度报告"),
            agency=agency, published=published, encoding=encoding, body_html=body_html, body_text=body_text,
            column=1 if (len(columns) > 1 and kind == "town") else 0, year=year, layout=layout,
            consistent=consistent, truth=truth, shape=shape,
        ))

    # --- non-report items (~18% of the column)
    n_extra = max(1, round(n * 0.22)) if n else 0
    kinds = ["compile_notice", "graphic", "graphic", "compile_notice", "guide_update", "work_summary"]
    rotate = rng.randrange(len(kinds))
    kinds = kinds[rotate:] + kinds[:rotate]
    office_reports = {it.year: it for it in items if it.agency == place.office}
    used_extra: set[tuple[str, int]] = set()
    for j in range(n_extra):
        kind = kinds[j % len(kinds)]
        pool = [y for y in YEARS[1:] if (kind, y) not in used_extra]
        if kind == "graphic":
            pool = [y for y in pool if y in office_reports] or pool
        year = rng.choice(pool or list(YEARS))
        used_extra.add((kind, year))
        enc = plan.encoding if style != 2 else ("gb18030" if year < 2021 else "utf-8")
        if kind == "compile_notice":
            title = f"关于做好{year}年度政府信息公开工作年度报告编制发布工作的通知"
            when = _at(dt.date(year, 12, rng.randint(5, 28)), rng)
            html = extras.compile_notice_html(place.gov, place.office, year, year + 1)
            agency = place.office
            images: list[tuple[str, bytes]] = []
        elif kind == "graphic":
            base = office_reports.get(year)
            when = base.published + dt.timedelta(days=1, hours=1) if base else _at(dt.date(year + 1, 2, 2), rng)
            title = f"图解：{place.office}{year}年政府信息公开工作年度报告"
            agency = place.office
            images = [(cap, extras.tiny_png(random.Random(f"{rng_seed}:img:{j}:{k}")))
                      for k, cap in enumerate(extras.graphic_captions(place.office, year))]
            html = ""  # the family module lays out images and captions
        elif kind == "guide_update":
            title = f"{place.gov}政府信息公开指南（{year}年修订）"
            when = _at(dt.date(year, rng.randint(3, 9), rng.randint(1, 28)), rng)
            html = extras.guide_update_html(place.gov, place.office, year)
            agency = place.office
            images = []
        else:
            title = f"{place.short}{year}年政务公开工作总结"
            when = _at(dt.date(year + 1, 1, rng.randint(3, 25)), rng)
            html = extras.work_summary_html(place.short, year, rng)
            agency = place.office
            images = []
        items.append(ItemPlan(kind=kind, title=title, agency=agency, published=when, encoding=enc,
                              body_html=html, body_text=visible_text(html), year=year, images=images))

    # newest first, doc ids increasing with time
    items.sort(key=lambda it: (it.published, it.title))
    doc = rng.randint(120000, 900000)
    for it in items:
        doc += rng.randint(3, 4000)
        it.doc_id = doc
    items.sort(key=lambda it: (it.published, it.doc_id), reverse=True)
    for it in items:
        columns[it.column].items.append(it)

    latest = items[0].published if items else dt.datetime(2026, 1, 31, 9, 0, tzinfo=CST)
    headlines = rng.sample(extras.HEADLINES, 8)
    for k in range(8):
        channel = ("zwyw", "tzgg")[k % 2]
        when = latest - dt.timedelta(days=3 * k + rng.randint(0, 2), hours=rng.randint(0, 5))
        title = headlines[k]
        plan.news.append((channel, title, when, extras.news_html(title, place.short, rng)))
    plan.updated = max([latest] + [w for _, _, w, _ in plan.news])
    return plan


def build_universe(seed: int = 2025, n_portals: int = 3, reports_per_portal: int = 22) -> Universe:
    """Plan and render ``n_portals`` portals; the same arguments give byte-identical pages."""
    from .families import render_portal

    if n_portals < 1:
        raise ValueError("n_portals must be >= 1")
    if reports_per_portal < 0:
        raise ValueError("reports_per_portal must be >= 0")
    portals: list[SimPortal] = []
    for i in range(n_portals):
        plan = _plan_portal(seed, i, reports_per_portal)
        portals.append(render_portal(plan))
    return Universe(seed=seed, portals=portals)
