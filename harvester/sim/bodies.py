"""Report bodies: the adapter to ``harvester.reportgen`` (owned by another engineer).

``harvester.reportgen`` produces the truth dict and the body HTML. If it cannot be imported,
a deliberately small private fallback keeps the simulated portals working; ``BODY_SOURCE``
says which one is in use.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from harvester import reportformat as rf

try:  # pragma: no branch - which branch runs depends on the checkout
    from harvester import reportgen as _reportgen  # type: ignore[attr-defined]

    _reportgen.make_truth  # noqa: B018 - fail early when the API is incomplete
    _reportgen.render_body_html  # noqa: B018
    BODY_SOURCE = "reportgen"
except (ImportError, AttributeError):  # pragma: no cover - exercised only without reportgen
    _reportgen = None
    BODY_SOURCE = "fallback"


def make_truth(rng: random.Random, *, agency: str, year: int, layout: str, consistent: bool) -> dict[str, Any]:
    if _reportgen is not None:
        return _reportgen.make_truth(rng, agency=agency, year=year, layout=layout, consistent=consistent)
    return _fallback_truth(rng, agency=agency, year=year, layout=layout, consistent=consistent)


def render_body_html(truth: dict[str, Any], rng: random.Random, *, shape: str = "html_grid") -> str:
    if _reportgen is not None:
        return _reportgen.render_body_html(truth, rng, shape=shape)
    return _fallback_body(truth)


def available_shapes() -> tuple[str, ...]:
    """Body shapes the generator offers (reportgen may advertise more than the default)."""
    if _reportgen is not None:
        shapes = getattr(_reportgen, "BODY_SHAPES", None)
        if shapes is None:
            try:
                from harvester.reportgen.html import BODY_SHAPES as shapes  # type: ignore
            except ImportError:
                shapes = None
        if shapes:
            return tuple(shapes)
    return ("html_grid",)


# --------------------------------------------------------------------------- fallback
# Minimal, used only when harvester.reportgen is missing. Tables obey R1-R4 unless
# consistent=False, in which case one applications total is off by one (R1 fails).

_LABELS = {
    "new": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开", "partly_granted": "（二）部分公开",
    "unavailable_not_held": "（四）无法提供 1.本机关不掌握相关政府信息",
    "results_total": "（七）总计", "carried_forward": "四、结转下年度继续办理",
}


def _fallback_truth(rng: random.Random, *, agency: str, year: int, layout: str, consistent: bool) -> dict[str, Any]:
    def row(vals):
        d = dict(zip(rf.APPLICANT_COLS, vals))
        d["total"] = sum(vals)
        return d

    new = [rng.randint(0, 30), rng.randint(0, 3), 0, 0, rng.randint(0, 1), 0]
    carried = [rng.randint(0, 2), 0, 0, 0, 0, 0]
    forward = [min(c, rng.randint(0, 1)) for c in carried]
    handled = [n + c - f for n, c, f in zip(new, carried, forward)]
    granted = [rng.randint(0, h) for h in handled]
    not_held = [h - g for h, g in zip(handled, granted)]
    zero = [0] * 6
    apps = {"new": row(new), "carried_over": row(carried), "granted": row(granted)}
    for k in rf.result_keys(layout)[1:]:  # after granted
        apps[k] = row(not_held if k == "unavailable_not_held" else zero)
    apps["results_total"] = row(handled)
    apps["carried_forward"] = row(forward)
    failing = []
    if not consistent:
        apps["new"]["total"] += 1
        failing.append("R1")
    if layout == "2021":
        active = {"art20_1": {"regulations": {"issued": 0, "repealed": 0, "in_force": 0},
                              "normative_documents": {"issued": rng.randint(0, 9), "repealed": 0,
                                                      "in_force": rng.randint(10, 60)}}}
    else:
        active = {"art20_1": {"regulations": {"made": 0, "published": 0, "total_published": 0},
                              "normative_documents": {"made": 3, "published": 3, "total_published": 21}}}
    rev = {g: dict.fromkeys(rf.RL_COLS, 0) for g in rf.RL_GROUPS}
    published = dt.date(year + 1, 1, rng.randint(5, 30))
    return {
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "agency": agency, "year": year, "published": published.isoformat(), "format": layout,
        "tables": {"active_disclosure": active, "applications": apps, "review_litigation": rev},
        "narrative": {"overview": f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作。"},
        "failing_rules": failing,
    }


def _fallback_body(truth: dict[str, Any]) -> str:
    apps = truth["tables"]["applications"]
    cells = "".join(f"<td>{c}</td>" for c in rf.APP_COLS)
    rows = []
    for key, label in _LABELS.items():
        vals = "".join(f"<td>{apps[key][c]}</td>" for c in rf.APP_COLS)
        rows.append(f"<tr><td>{label}</td>{vals}</tr>")
    return (
        f"<p>{truth['narrative']['overview']}</p>"
        "<p>一、总体情况</p><p>二、主动公开政府信息情况</p>"
        "<p>三、收到和处理政府信息公开申请情况</p>"
        f"<table border=\"1\"><tr><td>项目</td>{cells}</tr>{''.join(rows)}</table>"
        "<p>四、政府信息公开行政复议、行政诉讼情况</p><p>五、存在的主要问题及改进情况</p>"
        "<p>六、其他需要报告的事项</p><p>无。</p>"
    )
