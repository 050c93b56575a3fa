"""Charts across agencies and years, drawn on the server as SVG (no JavaScript), with the same
numbers as tables and CSV.

The numbers come from the logical reports (one per report, the reading with the most tables,
ties to the page; see ``harvester.export``):

- applications received per year (table 三, row 一 本年新收, column 总计);
- outcome shares per year (table 三, rows (一)–(六), column 总计: 予以公开, 部分公开, 不予公开,
  无法提供, 不予处理, 其他处理);
- review and litigation outcomes per year (table 四: 维持, 纠正, 其他, 尚未审结 of 行政复议 and
  行政诉讼);
- reports on time, late and missing per year (the compliance matrix).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from markupsafe import Markup, escape
from sqlalchemy import select

from harvester import reportformat as rf
from harvester.web.compliance import compliance, logical_report_dates
from storage.database import Database
from storage.models import Content, Document

OUTCOMES = (
    ("granted", "予以公开", ("granted",)),
    ("partly_granted", "部分公开", ("partly_granted",)),
    ("withheld", "不予公开", tuple(k for k, _ in rf.RESULTS_2021[2][1])),
    ("unavailable", "无法提供", tuple(k for k, _ in rf.RESULTS_2021[3][1])),
    ("not_processed", "不予处理", tuple(k for k, _ in rf.RESULTS_2021[4][1])),
    ("other", "其他处理", tuple(k for k, _ in rf.RESULTS_2021[5][1]) + ("other",)),
)
RL_OUTCOMES = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"), ("pending", "尚未审结"))
RL_GROUP_NAMES = {"review": "行政复议", "litigation_direct": "行政诉讼（未经复议直接起诉）",
                  "litigation_after_review": "行政诉讼（复议后起诉）"}
TIMELINESS = (("on_time", "按时"), ("late", "逾期"), ("missing", "缺失"), ("unknown", "日期不详"))
COLORS = ("#2b6cb0", "#38a169", "#d69e2e", "#e53e3e", "#805ad5", "#718096", "#319795", "#dd6b20")


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _readings(db: Database, portal: str | None) -> list[dict]:
    """(year, tables) of each logical report's reading."""
    reps = [r for r in logical_report_dates(db, portal) if r["year"] is not None]
    wanted = {r["doc_id"]: r for r in reps}
    out = []
    ids = list(wanted)
    with db.session() as s:
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = (select(Document.id, Content.record["tables"].label("tables"))
                 .join(Content, Content.sha256 == Document.current_sha256).where(Document.id.in_(chunk)))
            for doc_id, tables in s.execute(q):
                out.append({"year": wanted[doc_id]["year"], "tables": tables or {}})
    return out


def chart_data(db: Database, portal: str | None = None, today: dt.date | None = None) -> dict:
    """The numbers of the four charts, per year."""
    readings = _readings(db, portal)
    years = sorted({r["year"] for r in readings})
    apps = {y: {"received": 0, "reports": 0, "with_table": 0} for y in years}
    outcomes = {y: {k: 0 for k, _l, _r in OUTCOMES} for y in years}
    review = {g: {y: {k: 0 for k, _l in RL_OUTCOMES} for y in years} for g in rf.RL_GROUPS}
    for r in readings:
        y, t = r["year"], r["tables"]
        apps[y]["reports"] += 1
        a = t.get("applications") if isinstance(t, dict) else None
        if isinstance(a, dict):
            new = _num((a.get("new") or {}).get("total"))
            if new is not None:
                apps[y]["received"] += new
                apps[y]["with_table"] += 1
            for key, _label, rows in OUTCOMES:
                for row in rows:
                    v = _num((a.get(row) or {}).get("total"))
                    if v is not None:
                        outcomes[y][key] += v
        rl = t.get("review_litigation") if isinstance(t, dict) else None
        if isinstance(rl, dict):
            for g in rf.RL_GROUPS:
                for k, _l in RL_OUTCOMES:
                    v = _num((rl.get(g) or {}).get(k))
                    if v is not None:
                        review[g][y][k] += v
    comp = compliance(db, portal=portal, today=today)
    timeliness = {y: {k: 0 for k, _l in TIMELINESS} for y in comp["years"]}
    for row in comp["rows"]:
        for y, cell in row["cells"].items():
            if cell["status"] in timeliness[y]:
                timeliness[y][cell["status"]] += 1
    return {"portal": portal, "years": years, "applications": apps, "outcomes": outcomes, "review": review,
            "timeliness": timeliness, "timeliness_years": comp["years"], "reports": len(readings)}


def csv_rows(d: dict):
    """Every number of the charts, long form: chart, year, series, label, value."""
    yield ["chart", "year", "series", "label", "value"]
    for y in d["years"]:
        a = d["applications"][y]
        yield ["applications_received", y, "received", "本年新收申请", a["received"]]
        yield ["applications_received", y, "reports_with_table", "有申请表的报告数", a["with_table"]]
    for y in d["years"]:
        for key, label, _rows in OUTCOMES:
            yield ["outcomes", y, key, label, d["outcomes"][y][key]]
    for g in rf.RL_GROUPS:
        for y in d["years"]:
            for k, label in RL_OUTCOMES:
                yield ["review_litigation", y, f"{g}.{k}", f"{RL_GROUP_NAMES[g]} {label}", d["review"][g][y][k]]
    for y in d["timeliness_years"]:
        for k, label in TIMELINESS:
            yield ["timeliness", y, k, label, d["timeliness"][y][k]]


# ------------------------------------------------------------------------------ drawing
def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _nice(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k not below ``v`` (round axis ticks in quarters)."""
    import math

    if v <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 4, 5, 8, 10):
        if v <= m * k:
            return m * k
    return 10 * k


def bar_chart(title: str, categories: list, series: list[tuple[str, list[float]]], *, stacked: bool = True,
              percent: bool = False, chart_id: str = "") -> Markup:
    """A vertical bar chart as inline SVG: one bar per category, the series stacked (or, with
    ``percent``, each bar as shares of its total). Every bar segment carries a <title> with its
    number; a legend names the series. Colours by attribute only (the page CSP forbids inline styles)."""
    width, height, left, bottom, top = 720, 300, 64, 40, 36
    plot_w, plot_h = width - left - 16, height - top - bottom
    n = max(len(categories), 1)
    totals = [sum(vals[i] or 0 for _name, vals in series) for i in range(len(categories))]
    peak = 100.0 if percent else _nice(max([t for t in totals] + [1]) if stacked else
                                       max([v or 0 for _n, vals in series for v in vals] + [1]))
    slot = plot_w / n
    bar_w = max(4.0, min(48.0, slot * 0.6))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height + 22 * ((len(series) + 3) // 4)}"'
             f' width="100%" aria-labelledby="{escape(chart_id)}-title"'
             + (f' id="{escape(chart_id)}"' if chart_id else "") + ">",
             f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
             f'<text x="{left}" y="20" font-size="15" font-weight="bold" fill="#222">{escape(title)}</text>']
    for k in range(5):  # grid and axis labels
        v = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{v:.0f}%" if percent else _fmt(v)
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#555">{label}</text>')
    for i, cat in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        base = top + plot_h
        for j, (name, vals) in enumerate(series):
            v = vals[i] or 0
            shown = (100.0 * v / totals[i] if totals[i] else 0.0) if percent else v
            h = plot_h * shown / peak if peak else 0
            if not stacked:
                w = bar_w / len(series)
                xx, yy = x + w * j, top + plot_h - h
            else:
                w, xx, yy = bar_w, x, base - h
                base -= h
            tip = f"{cat} {name}: {_fmt(v)}" + (f"（{shown:.1f}%）" if percent else "")
            parts.append(f'<rect x="{xx:.1f}" y="{yy:.1f}" width="{w:.1f}" height="{max(h, 0):.1f}" '
                         f'fill="{COLORS[j % len(COLORS)]}"><title>{escape(tip)}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle" '
                     f'fill="#333">{escape(str(cat))}</text>')
        if not percent and stacked:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - plot_h * totals[i] / peak - 4:.1f}" '
                         f'font-size="10" text-anchor="middle" fill="#333">{_fmt(totals[i])}</text>')
    for j, (name, _vals) in enumerate(series):  # legend, four to a line
        lx = left + (j % 4) * 160
        ly = height + 22 * (j // 4) - 4
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{COLORS[j % len(COLORS)]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly}" font-size="12" fill="#222">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def charts(d: dict) -> list[dict]:
    """The four charts of :func:`chart_data`: each {id, title, svg, head, rows} (rows: the table)."""
    years = d["years"]
    out = []
    apps = [d["applications"][y]["received"] for y in years]
    out.append({"id": "applications", "title": "每年收到的政府信息公开申请（本年新收，总计）",
                "svg": bar_chart("每年收到的申请数", years, [("本年新收申请", apps)], chart_id="chart-applications"),
                "head": ["年度", "本年新收申请", "有申请表的报告数", "报告数"],
                "rows": [[y, d["applications"][y]["received"], d["applications"][y]["with_table"],
                          d["applications"][y]["reports"]] for y in years]})
    series = [(label, [d["outcomes"][y][key] for y in years]) for key, label, _r in OUTCOMES]
    out.append({"id": "outcomes", "title": "办理结果占比（总计列）",
                "svg": bar_chart("办理结果占比", years, series, percent=True, chart_id="chart-outcomes"),
                "head": ["年度"] + [label for _k, label, _r in OUTCOMES],
                "rows": [[y] + [d["outcomes"][y][key] for key, _l, _r in OUTCOMES] for y in years]})
    for g in rf.RL_GROUPS:
        series = [(label, [d["review"][g][y][k] for y in years]) for k, label in RL_OUTCOMES]
        out.append({"id": f"review-{g}", "title": f"{RL_GROUP_NAMES[g]}结果",
                    "svg": bar_chart(f"{RL_GROUP_NAMES[g]}结果", years, series, chart_id=f"chart-review-{g}"),
                    "head": ["年度"] + [label for _k, label in RL_OUTCOMES],
                    "rows": [[y] + [d["review"][g][y][k] for k, _l in RL_OUTCOMES] for y in years]})
    ty = d["timeliness_years"]
    series = [(label, [d["timeliness"][y][k] for y in ty]) for k, label in TIMELINESS]
    out.append({"id": "timeliness", "title": "年度报告按时 / 逾期 / 缺失（机构数，按报告年度）",
                "svg": bar_chart("年度报告按时 / 逾期 / 缺失", ty, series, chart_id="chart-timeliness"),
                "head": ["年度"] + [label for _k, label in TIMELINESS],
                "rows": [[y] + [d["timeliness"][y][k] for k, _l in TIMELINESS] for y in ty]})
    return out


def grouped(rows) -> dict:
    """CSV rows back to {chart: {year: {series: value}}} (for tests and tools)."""
    out: dict = defaultdict(lambda: defaultdict(dict))
    for chart, year, series, _label, value in rows:
        out[chart][int(year)][series] = value
    return out
