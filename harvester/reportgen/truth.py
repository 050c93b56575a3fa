"""Known-truth annual reports: numbers that obey (or deliberately break) R1–R5."""
from __future__ import annotations

import datetime as _dt
import random

from harvester.reportformat import table_leaves

from . import labels as L
from .agencies import short_name
from .narrative import make_narrative, make_preamble

HARD_RULES = ("R1", "R2", "R3", "R4", "R5")


# ------------------------------------------------------------------ scale
def _scale(agency: str) -> str:
    if agency.endswith(("部", "署", "总局", "委员会")) and not agency.startswith(("本", )) and \
            not any(x in agency for x in ("市", "县", "区", "省", "自治区")):
        return "national"
    if any(agency.startswith(p) for p in ("广东省", "吉林省", "浙江省", "江苏省", "四川省", "湖南省",
                                          "河南省", "山东省", "福建省", "江西省", "广西壮族自治区", "云南省")):
        return "province"
    if agency.endswith(("镇人民政府", "乡人民政府", "街道办事处", "镇人民政府办公室")):
        return "township"
    if "市" in agency and not any(x in agency for x in ("县", "区")) and \
            agency.split("市")[0] and len(agency.split("市")[0]) <= 3:
        return "city"
    return "county"


_APP_SCALE = {"township": 4, "county": 25, "city": 120, "province": 200, "national": 900}
_ACT_SCALE = {"township": 1, "county": 8, "city": 40, "province": 60, "national": 100}

# weights of result rows for one applicant's outcomes
_RESULT_WEIGHTS = {
    "granted": 40, "partly_granted": 8,
    "withheld_state_secret": 1, "withheld_prohibited_by_law": 1, "withheld_security_stability": 1,
    "withheld_third_party": 2, "withheld_internal_affairs": 2, "withheld_process_info": 3,
    "withheld_enforcement_file": 1, "withheld_query_matter": 2,
    "unavailable_not_held": 25, "unavailable_needs_creation": 4, "unavailable_unclear": 3,
    "not_processed_petition": 4, "not_processed_repeated": 3, "not_processed_publication": 1,
    "not_processed_excessive": 1, "not_processed_confirmation": 1,
    "other_no_correction": 3, "other_fee_unpaid": 1, "other_other": 2, "other": 6,
}
_APPLICANT_SHARE = {"natural_person": 0.86, "commercial": 0.09, "research": 0.005,
                    "nonprofit": 0.01, "legal_services": 0.02, "other_org": 0.015}


def _poissonish(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    # geometric-ish with a long tail, deterministic through rng
    v = rng.expovariate(1.0 / mean)
    return int(v)


def _amount(rng: random.Random, hi: float, *, wan_exact: bool = False) -> float:
    """A money amount >= 0 with two decimals."""
    v = round(rng.uniform(0, hi), 2)
    if wan_exact:  # representable in 万元 with two decimals
        v = round(v / 100) * 100.0
    return float(v)


# ------------------------------------------------------------------ tables
def _active(rng: random.Random, layout: str, scale: str) -> dict:
    s = _ACT_SCALE[scale]
    can_make_rules = scale in ("city", "province", "national")
    if layout == "2021":
        reg_in_force = rng.randint(0, 6 * s) if can_make_rules else 0
        reg_issued = min(reg_in_force, rng.randint(0, 3)) if can_make_rules else 0
        reg_rep = rng.randint(0, 2) if can_make_rules and rng.random() < 0.4 else 0
        nd_in_force = rng.randint(0, 12 * s + 3)
        nd_issued = min(nd_in_force, _poissonish(rng, s / 2 + 0.5))
        nd_rep = _poissonish(rng, s / 4) if rng.random() < 0.5 else 0
        fees = 0.0 if rng.random() < 0.65 else _amount(rng, 50 * s + 20)
        return {
            "art20_1": {"regulations": {"issued": reg_issued, "repealed": reg_rep, "in_force": reg_in_force},
                        "normative_documents": {"issued": nd_issued, "repealed": nd_rep,
                                                "in_force": nd_in_force}},
            "art20_5": {"licensing": {"decisions": _poissonish(rng, 300 * s) if rng.random() < 0.7 else 0}},
            "art20_6": {"penalty": {"decisions": _poissonish(rng, 60 * s) if rng.random() < 0.7 else 0},
                        "coercion": {"decisions": _poissonish(rng, 5 * s) if rng.random() < 0.4 else 0}},
            "art20_8": {"fees": {"amount_10k_yuan": fees}},
        }
    def item3():
        prev = _poissonish(rng, 20 * s) if rng.random() < 0.6 else 0
        change = rng.randint(-min(prev, 5), 5) if rng.random() < 0.5 else 0
        return {"previous_items": prev, "change": change,
                "decisions": _poissonish(rng, 200 * s) if rng.random() < 0.6 else 0}
    reg_made = rng.randint(0, 3) if can_make_rules else 0
    nd_made = _poissonish(rng, s / 2 + 0.5)
    fee_prev = rng.randint(0, 10) if rng.random() < 0.3 else 0
    projects = _poissonish(rng, 6 * s + 2)
    wan_exact = rng.random() < 0.5
    amount = 0.0 if projects == 0 else _amount(rng, 120000.0 * s + 50000, wan_exact=wan_exact)
    return {
        "art20_1": {"regulations": {"made": reg_made, "published": reg_made,
                                    "total_published": reg_made + (rng.randint(0, 6 * s) if can_make_rules else 0)},
                    "normative_documents": {"made": nd_made, "published": nd_made,
                                            "total_published": nd_made + rng.randint(0, 12 * s + 3)}},
        "art20_5": {"licensing": item3(), "other_services": item3()},
        "art20_6": {"penalty": item3(), "coercion": item3()},
        "art20_8": {"fees": {"previous_items": fee_prev,
                             "change": rng.randint(-fee_prev, 1) if fee_prev and rng.random() < 0.3 else 0}},
        "art20_9": {"procurement": {"projects": projects, "amount_yuan": amount}},
    }


def _applications(rng: random.Random, layout: str, scale: str) -> dict:
    rows = L.app_row_keys(layout)
    rkeys = L.result_keys(layout)
    mean = _APP_SCALE[scale]
    none_at_all = rng.random() < (0.45 if scale == "township" else 0.12)
    table = {r: {c: 0 for c in L.APP_COLS} for r in rows}
    weights = [_RESULT_WEIGHTS[k] for k in rkeys]
    for col in L.APPLICANT_COLS:
        if none_at_all:
            continue
        share = _APPLICANT_SHARE[col]
        if col != "natural_person" and rng.random() < 0.55:
            continue
        new = _poissonish(rng, mean * share * rng.uniform(0.5, 1.5))
        carried_over = _poissonish(rng, max(new, 1) * 0.05) if rng.random() < 0.4 else 0
        handled = new + carried_over
        carried_forward = _poissonish(rng, handled * 0.05) if handled and rng.random() < 0.4 else 0
        carried_forward = min(carried_forward, handled)
        done = handled - carried_forward
        table["new"][col] = new
        table["carried_over"][col] = carried_over
        table["carried_forward"][col] = carried_forward
        table["results_total"][col] = done
        for _ in range(done):
            k = rng.choices(rkeys, weights)[0]
            table[k][col] += 1
    for r in rows:
        table[r]["total"] = sum(table[r][c] for c in L.APPLICANT_COLS)
    return table


def _review_litigation(rng: random.Random, scale: str) -> dict:
    mean = {"township": 0.2, "county": 1.0, "city": 4.0, "province": 5.0, "national": 20.0}[scale]
    out = {}
    for g in L.RL_GROUPS:
        m = mean * (0.6 if g == "litigation_after_review" else 1.0)
        row = {c: (_poissonish(rng, m / 3) if rng.random() < 0.5 else 0)
               for c in ("upheld", "corrected", "other", "pending")}
        row["total"] = sum(row.values())
        out[g] = row
    return out


# ------------------------------------------------------------------ breaking rules
def _break(rng: random.Random, truth_tables: dict, layout: str, rule: str) -> None:
    apps = truth_tables["applications"]
    d = rng.randint(1, 3)
    col = rng.choice(("natural_person", "natural_person", "commercial"))
    if rule == "R1":
        # Off-by-d applicant cells in two rows whose column relations still hold:
        # new[col]+d and carried_forward[col]+d keep R3; row totals unchanged -> R1 fails.
        apps["new"][col] += d
        apps["carried_forward"][col] += d
    elif rule == "R2":
        for c in (col, "total"):
            apps["results_total"][c] += d
            apps["new"][c] += d
    elif rule == "R3":
        for c in (col, "total"):
            apps["new"][c] += d
    elif rule == "R4":
        g = rng.choice(L.RL_GROUPS)
        truth_tables["review_litigation"][g]["total"] += d
    elif rule == "R5":
        act = truth_tables["active_disclosure"]
        if layout == "2021":
            target = rng.choice((("art20_5", "licensing", "decisions"),
                                 ("art20_6", "penalty", "decisions"),
                                 ("art20_1", "normative_documents", "repealed")))
        else:
            target = rng.choice((("art20_1", "normative_documents", "made"),
                                 ("art20_5", "licensing", "decisions"),
                                 ("art20_9", "procurement", "projects")))
        a, b, c = target
        act[a][b][c] = -d
    else:  # pragma: no cover - guarded by caller
        raise ValueError(rule)


# ------------------------------------------------------------------ rule evaluation
def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def failing_rules(tables: dict, layout: str) -> list[str]:
    """Hard rules R1–R5 that *fail* on ``tables`` (absent or null operands: uncertain, not fail).

    Works on complete truth tables and on the partial tables of a rendering.
    """
    failed: set[str] = set()
    apps = tables.get("applications") or {}
    rl = tables.get("review_litigation") or {}
    # R1
    for row in apps.values():
        vals = [_num(row.get(c)) for c in L.APPLICANT_COLS]
        tot = _num(row.get("total"))
        if tot is not None and None not in vals and sum(vals) != tot:
            failed.add("R1")
    # R2, R3 per column
    rkeys = L.result_keys(layout)
    for c in L.APP_COLS:
        def cell(r):
            return _num((apps.get(r) or {}).get(c))
        parts = [cell(r) for r in rkeys]
        rt = cell("results_total")
        if rt is not None and None not in parts and sum(parts) != rt:
            failed.add("R2")
        ops = [cell("new"), cell("carried_over"), rt, cell("carried_forward")]
        if None not in ops and ops[0] + ops[1] != ops[2] + ops[3]:
            failed.add("R3")
    # R4
    for g in rl.values():
        vals = [_num(g.get(c)) for c in ("upheld", "corrected", "other", "pending")]
        tot = _num(g.get("total"))
        if tot is not None and None not in vals and sum(vals) != tot:
            failed.add("R4")
    # R5
    for tkey in L.TABLE_KEYS:
        for path, v in table_leaves(tables.get(tkey) or {}):
            v = _num(v)
            if v is None:
                continue
            col = path[-1]
            if col == "change":
                if v != int(v):
                    failed.add("R5")
                continue
            if col in ("amount_10k_yuan", "amount_yuan"):
                if v < 0:
                    failed.add("R5")
                continue
            if v < 0 or v != int(v):
                failed.add("R5")
    return sorted(failed)


# ------------------------------------------------------------------ titles, dates
def make_title(rng: random.Random, agency: str, year: int) -> str:
    forms = (
        (10, "{a}{y}年政府信息公开工作年度报告"),
        (3, "{a}{y}年度政府信息公开工作年度报告"),
        (2, "{a}{y}年度政府信息公开工作报告"),
        (1, "{a}关于{y}年政府信息公开工作年度报告"),
        (1, "{a}{y}年政府信息公开年度报告"),
    )
    weights = [w for w, _ in forms]
    return rng.choices([f for _, f in forms], weights)[0].format(a=agency, y=year)


def make_published(rng: random.Random, year: int) -> str:
    r = rng.random()
    if r < 0.80:
        d = _dt.date(year + 1, 1, 1) + _dt.timedelta(days=rng.randint(5, 30))
    elif r < 0.93:
        d = _dt.date(year + 1, 2, 1) + _dt.timedelta(days=rng.randint(0, 55))
    else:  # late
        d = _dt.date(year + 1, 4, 1) + _dt.timedelta(days=rng.randint(0, 400))
    return d.isoformat()


# ------------------------------------------------------------------ public
def make_truth(rng: random.Random, *, agency: str, year: int, layout: str = "2021",
               consistent: bool = True, rule: str | None = None) -> dict:
    """A record-shaped known truth for one annual report.

    ``consistent=False`` breaks exactly one hard rule (chosen by ``rule`` or at random)
    and lists it in ``failing_rules``.
    """
    if layout not in ("2021", "2019"):
        raise ValueError(f"layout must be '2021' or '2019', not {layout!r}")
    scale = _scale(agency)
    tables = {
        "active_disclosure": _active(rng, layout, scale),
        "applications": _applications(rng, layout, scale),
        "review_litigation": _review_litigation(rng, scale),
    }
    broken: list[str] = []
    if not consistent:
        r = rule or rng.choices(HARD_RULES, (3, 2, 3, 2, 1))[0]
        if r not in HARD_RULES:
            raise ValueError(f"unknown rule {r!r}")
        _break(rng, tables, layout, r)
        broken = [r]
    title = make_title(rng, agency, year)
    published = make_published(rng, year)
    truth = {
        "title": title,
        "agency": agency,
        "year": year,
        "published": published,
        "format": layout,
        "script": "simplified",
        "tables": tables,
        "failing_rules": broken,
        "self_ref": short_name(agency),
    }
    truth["preamble"] = make_preamble(rng, truth)
    truth["narrative"] = make_narrative(rng, truth)
    return truth
