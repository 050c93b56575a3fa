"""The three statistical tables in the official layout, with check results placed on cells.

``build_tables(record, extra_checks)`` returns, per table, a list of HTML-ready rows: each row a
list of cells ``{"text", "colspan", "rowspan", "head", "cell"}`` where ``cell`` (data cells
only) carries the value, the raw text as published and the checks that touch it. Checks that
concern a whole table or the whole report are returned separately.
"""
from __future__ import annotations

from collections import defaultdict

TABLE_TITLES = {
    "active_disclosure": "二、主动公开政府信息情况",
    "applications": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
}

RULE_NAMES = {
    "R1": "每行总计 = 各申请人之和",
    "R2": "办理结果总计 = 各办理结果之和",
    "R3": "新收 + 上年结转 = 办理结果总计 + 结转下年度",
    "R4": "维持 + 纠正 + 其他 + 尚未审结 = 总计",
    "R5": "数量为非负整数",
    "S1": "上年结转下年度 = 本年上年结转",
    "S2": "现行有效件数(本年) = 上年现行有效 + 本年制发 − 本年废止",
    "S3": "正文所述数字与表格一致",
    "S4": "对外公开总数量 ≥ 本年新公开数量",
    "S5": "与上年报告高度雷同",
    "S6": "第五部分(存在的主要问题及改进情况)缺失或为空",
}
STATUS_LABELS = {"pass": "通过", "fail": "不通过", "uncertain": "无法判断"}
STATUS_MARKS = {"pass": "✓", "fail": "✗", "uncertain": "?"}
FORMAT_LABELS = {"2021": "2021年版格式", "2019": "2019年版格式", "legacy": "2019年以前格式", "unknown": "格式不明"}

ACTIVE_SUB_CAPTIONS = {
    "art20_1": "第二十条第(一)项", "art20_5": "第二十条第(五)项", "art20_6": "第二十条第(六)项",
    "art20_8": "第二十条第(八)项", "art20_9": "第二十条第(九)项",
}
ACTIVE_ROW_LABELS = {
    "regulations": "规章", "normative_documents": "行政规范性文件", "licensing": "行政许可",
    "other_services": "其他对外管理服务事项", "penalty": "行政处罚", "coercion": "行政强制",
    "fees": "行政事业性收费", "procurement": "政府集中采购",
}
ACTIVE_COL_LABELS = {
    "issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
    "made": "本年新制作数量", "published": "本年新公开数量", "total_published": "对外公开总数量",
    "previous_items": "上一年项目数量", "change": "本年增/减", "decisions": "本年处理决定数量",
    "amount_10k_yuan": "本年收费金额(单位:万元)", "projects": "采购项目数量", "amount_yuan": "采购总金额(元)",
}
ACTIVE_EXPECTED = {
    "2021": [
        ("art20_1", ("regulations", "normative_documents"), ("issued", "repealed", "in_force")),
        ("art20_5", ("licensing",), ("decisions",)),
        ("art20_6", ("penalty", "coercion"), ("decisions",)),
        ("art20_8", ("fees",), ("amount_10k_yuan",)),
    ],
    "2019": [
        ("art20_1", ("regulations", "normative_documents"), ("made", "published", "total_published")),
        ("art20_5", ("licensing", "other_services"), ("previous_items", "change", "decisions")),
        ("art20_6", ("penalty", "coercion"), ("previous_items", "change", "decisions")),
        ("art20_8", ("fees",), ("previous_items", "change")),
        ("art20_9", ("procurement",), ("projects", "amount_yuan")),
    ],
}

APP_COLS = ("natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total")
APP_COL_LABELS = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "nonprofit": "社会公益组织",
    "legal_services": "法律服务机构", "other_org": "其他", "total": "总计",
}
# (group label or None, group rows: [(row key, label)])
_APP_RESULT_GROUPS_COMMON = [
    (None, [("granted", "(一)予以公开")]),
    (None, [("partly_granted", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)")]),
    ("(三)不予公开", [
        ("withheld_state_secret", "1.属于国家秘密"),
        ("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开"),
        ("withheld_security_stability", "3.危及“三安全一稳定”"),
        ("withheld_third_party", "4.保护第三方合法权益"),
        ("withheld_internal_affairs", "5.属于三类内部事务信息"),
        ("withheld_process_info", "6.属于四类过程性信息"),
        ("withheld_enforcement_file", "7.属于行政执法案卷"),
        ("withheld_query_matter", "8.属于行政查询事项"),
    ]),
    ("(四)无法提供", [
        ("unavailable_not_held", "1.本机关不掌握相关政府信息"),
        ("unavailable_needs_creation", "2.没有现成信息需要另行制作"),
        ("unavailable_unclear", "3.补正后申请内容仍不明确"),
    ]),
    ("(五)不予处理", [
        ("not_processed_petition", "1.信访举报投诉类申请"),
        ("not_processed_repeated", "2.重复申请"),
        ("not_processed_publication", "3.要求提供公开出版物"),
        ("not_processed_excessive", "4.无正当理由大量反复申请"),
        ("not_processed_confirmation", "5.要求行政机关确认或重新出具已获取信息"),
    ]),
]
_APP_OTHER_2021 = ("(六)其他处理", [
    ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_fee_unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_other", "3.其他"),
])
_APP_OTHER_2019 = (None, [("other", "(六)其他处理")])

RL_GROUPS = ("review", "litigation_direct", "litigation_after_review")
RL_COLS = ("upheld", "corrected", "other", "pending", "total")
RL_COL_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计"}
RL_GROUP_LABELS = {"review": "行政复议", "litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉"}

APP_ROW_LABELS = {"new": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
                  "results_total": "(七)总计", "carried_forward": "四、结转下年度继续办理"}
for _g, _rows in _APP_RESULT_GROUPS_COMMON + [_APP_OTHER_2021, _APP_OTHER_2019]:
    for _k, _label in _rows:
        APP_ROW_LABELS[_k] = ((_g or "") + _label) if _g else _label

_SEVERITY = {"fail": 3, "uncertain": 2, "pass": 1}


def worst(statuses) -> str | None:
    best = None
    for st in statuses:
        if best is None or _SEVERITY.get(st, 0) > _SEVERITY.get(best, 0):
            best = st
    return best


def place_label(table: str | None, row: str | None, column: str | None) -> str:
    """Human (Chinese) name of a check's place."""
    parts = []
    if table:
        parts.append(TABLE_TITLES.get(table, table).split("、", 1)[-1])
    if row:
        if table == "active_disclosure" and "." in row:
            sub, r = row.split(".", 1)
            parts.append(ACTIVE_SUB_CAPTIONS.get(sub, sub) + " " + ACTIVE_ROW_LABELS.get(r, r))
        elif table == "review_litigation":
            parts.append(RL_GROUP_LABELS.get(row, row))
        else:
            parts.append(APP_ROW_LABELS.get(row, {"problems": "五、存在的主要问题及改进情况",
                                                  "litigation": "行政诉讼"}.get(row, row)))
    if column:
        parts.append(APP_COL_LABELS.get(column) if table == "applications" else
                     RL_COL_LABELS.get(column) if table == "review_litigation" else
                     ACTIVE_COL_LABELS.get(column, column))
    return " · ".join(p for p in parts if p)


def _index_checks(checks: list[dict]):
    """(table, row, column) → checks; plus the checks that belong to no single cell."""
    cells: dict[tuple, list[dict]] = defaultdict(list)
    loose: list[dict] = []
    for c in checks:
        t, r, col = c.get("table"), c.get("row"), c.get("column")
        if t and r and col:
            cells[(t, r, col)].append(c)
        elif t == "applications" and col and not r:
            # R3 names a column; it touches the operand rows of that column
            for op_row in (c.get("operands") or {}):
                cells[(t, op_row, col)].append(c)
        else:
            loose.append(c)
    return cells, loose


def fmt_num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def fmt_operands(ops: dict | None) -> str:
    return ", ".join(f"{k}={fmt_num(v)}" for k, v in (ops or {}).items())


def _cell(table, row, col, values, raws, cells_checks):
    """A data cell, with its display strings prepared here (rendering ~400 cells through Jinja
    macros would dominate the report page's time)."""
    checks = cells_checks.get((table, row, col), [])
    value = values.get(col) if isinstance(values, dict) else None
    raw = raws.get(col) if isinstance(raws, dict) else None
    title = [f"{c['rule']} {STATUS_LABELS.get(c['status'], c['status'])}"
             + (f" 期望 {fmt_num(c.get('expected'))}" if c.get("expected") is not None else "")
             + (f" 实际 {fmt_num(c.get('actual'))}" if c.get("actual") is not None else "") for c in checks]
    if raw is not None:
        title.append(f"原文: {raw}")
    whys = []
    for c in checks:
        if c["status"] == "pass":
            continue
        msg = f"{c['rule']} {STATUS_LABELS.get(c['status'], c['status'])}：{RULE_NAMES.get(c['rule'], c.get('detail') or '')}"
        if c.get("expected") is not None:
            msg += f"；期望 {fmt_num(c['expected'])}"
        if c.get("actual") is not None:
            msg += f"，实际 {fmt_num(c['actual'])}"
        whys.append({"status": c["status"], "text": msg, "ops": fmt_operands(c.get("operands"))})
    status = worst(c["status"] for c in checks)
    present = isinstance(values, dict) and col in values
    shown = fmt_num(value)
    return {
        "value": value, "present": present, "raw": raw, "checks": checks, "status": status,
        "shown": shown, "title": "; ".join(title), "whys": whys,
        "raw_differs": raw is not None and str(raw) != shown,
        "css": "cell" + (f" st-{status}" if status else "") + ("" if present else " absent"),
    }


def _h(text, colspan=1, rowspan=1):
    return {"text": text, "colspan": colspan, "rowspan": rowspan, "head": True}


def _d(cell):
    return {"text": None, "colspan": 1, "rowspan": 1, "head": False, "cell": cell}


def _active(t: dict, raw: dict, fmt: str, cc) -> list[list[dict]]:
    layout_fmt = fmt if fmt in ACTIVE_EXPECTED else ("2019" if "art20_9" in t or any(
        "made" in (r or {}) for sub in t.values() if isinstance(sub, dict) for r in sub.values()) else "2021")
    rows: list[list[dict]] = []
    width = max(len(cols) for _s, _r, cols in ACTIVE_EXPECTED[layout_fmt]) + 1
    for sub, row_keys, cols in ACTIVE_EXPECTED[layout_fmt]:
        present = t.get(sub) or {}
        rows.append([_h(ACTIVE_SUB_CAPTIONS[sub], colspan=width)])
        hdr = [_h("信息内容")] + [_h(ACTIVE_COL_LABELS.get(c, c)) for c in cols]
        if len(cols) + 1 < width:
            hdr[-1]["colspan"] = width - len(cols)
        rows.append(hdr)
        extra_rows = [k for k in present if k not in row_keys]
        for rk in list(row_keys) + extra_rows:
            vals = present.get(rk)
            rraw = ((raw.get(sub) or {}).get(rk)) or {}
            line = [_h(ACTIVE_ROW_LABELS.get(rk, rk))]
            for c in cols:
                line.append(_d(_cell("active_disclosure", f"{sub}.{rk}", c, vals or {}, rraw, cc)))
            if len(cols) + 1 < width:
                line[-1]["colspan"] = width - len(cols)
            rows.append(line)
    return rows


def _applications(t: dict, raw: dict, fmt: str, cc) -> list[list[dict]]:
    is2019 = "other" in t and not any(k in t for k in ("other_no_correction", "other_fee_unpaid", "other_other"))
    if fmt == "2019" and not any(k in t for k in ("other_no_correction", "other_fee_unpaid", "other_other")):
        is2019 = True
    groups = _APP_RESULT_GROUPS_COMMON + [_APP_OTHER_2019 if is2019 else _APP_OTHER_2021]
    groups = groups + [(None, [("results_total", "(七)总计")])]
    n_result_rows = sum(len(rows) for _g, rows in groups)

    def data(rk):
        vals, rraw = t.get(rk), raw.get(rk) or {}
        return [_d(_cell("applications", rk, c, vals or {}, rraw, cc)) for c in APP_COLS]

    rows = [
        [_h("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", colspan=3, rowspan=3),
         _h("申请人情况", colspan=7)],
        [_h("自然人", rowspan=2), _h("法人或其他组织", colspan=5), _h("总计", rowspan=2)],
        [_h(APP_COL_LABELS[c]) for c in APP_COLS[1:6]],
        [_h(APP_ROW_LABELS["new"], colspan=3)] + data("new"),
        [_h(APP_ROW_LABELS["carried_over"], colspan=3)] + data("carried_over"),
    ]
    first = True
    for group, grows in groups:
        for i, (rk, label) in enumerate(grows):
            line = []
            if first:
                line.append(_h("三、本年度办理结果", rowspan=n_result_rows))
                first = False
            if group is None:
                line.append(_h(label, colspan=2))
            else:
                if i == 0:
                    line.append(_h(group, rowspan=len(grows)))
                line.append(_h(label))
            rows.append(line + data(rk))
    rows.append([_h(APP_ROW_LABELS["carried_forward"], colspan=3)] + data("carried_forward"))
    return rows


def _review(t: dict, raw: dict, cc) -> list[list[dict]]:
    rows = [
        [_h("行政复议", colspan=5), _h("行政诉讼", colspan=10)],
        [_h(RL_COL_LABELS[c], rowspan=2) for c in RL_COLS]
        + [_h("未经复议直接起诉", colspan=5), _h("复议后起诉", colspan=5)],
        [_h(RL_COL_LABELS[c]) for c in RL_COLS] * 2,
    ]
    line = []
    for g in RL_GROUPS:
        vals, rraw = t.get(g), raw.get(g) or {}
        line += [_d(_cell("review_litigation", g, c, vals or {}, rraw, cc)) for c in RL_COLS]
    rows.append(line)
    return rows


def build_tables(record: dict, extra_checks: list[dict] | None = None) -> dict:
    """{"tables": [{"key", "title", "rows", "found", "partial", "checks"}], "report_checks": [...]}"""
    record = record or {}
    tables = record.get("tables") or {}
    raws = record.get("tables_raw") or {}
    fmt = record.get("format") or "unknown"
    checks = list(record.get("checks") or []) + list(extra_checks or [])
    cc, loose = _index_checks(checks)
    out = []
    for key in ("active_disclosure", "applications", "review_litigation"):
        t = tables.get(key)
        table_checks = [c for c in loose if c.get("table") == key]
        entry = {"key": key, "title": TABLE_TITLES[key], "found": t is not None,
                 "partial": key in (record.get("partial_tables") or []),
                 "missing": key in (record.get("missing_tables") or []) or t is None,
                 "checks": check_rows(table_checks), "rows": []}
        if t is not None:
            raw = raws.get(key) or {}
            if key == "active_disclosure":
                entry["rows"] = _active(t, raw, fmt, cc)
            elif key == "applications":
                entry["rows"] = _applications(t, raw, fmt, cc)
            else:
                entry["rows"] = _review(t, raw, cc)
        out.append(entry)
    report_checks = [c for c in loose if not c.get("table")]
    return {"tables": out, "report_checks": check_rows(report_checks),
            "all_checks": check_rows(record.get("checks") or []),
            "cross_year": check_rows(list(extra_checks or []))}


def check_rows(checks: list[dict]) -> list[dict]:
    """Display strings of check results for the check tables (prepared outside the template)."""
    out = []
    for c in checks:
        st = c.get("status", "uncertain")
        out.append({
            "rule": c.get("rule"), "status": st, "mark": STATUS_MARKS.get(st, "?"),
            "status_label": STATUS_LABELS.get(st, st),
            "place": place_label(c.get("table"), c.get("row"), c.get("column")) or "全文",
            "expected": "" if c.get("expected") is None else fmt_num(c.get("expected")),
            "actual": "" if c.get("actual") is None else fmt_num(c.get("actual")),
            "operands": fmt_operands(c.get("operands")), "rule_name": RULE_NAMES.get(c.get("rule"), ""),
            "detail": c.get("detail") or "",
        })
    return out


def check_summary(checks: list[dict]) -> dict:
    out = {"pass": 0, "fail": 0, "uncertain": 0}
    for c in checks:
        out[c.get("status", "uncertain")] = out.get(c.get("status", "uncertain"), 0) + 1
    return out


def flatten_tables(tables: dict) -> list[tuple[str, str, str, object]]:
    """(table, row, column, value) for every cell; active_disclosure rows are 'sub.row'."""
    out = []
    for tkey in ("active_disclosure", "applications", "review_litigation"):
        t = (tables or {}).get(tkey)
        if not isinstance(t, dict):
            continue
        if tkey == "active_disclosure":
            for sub, rows in t.items():
                for rk, cols in (rows or {}).items():
                    for c, v in (cols or {}).items():
                        out.append((tkey, f"{sub}.{rk}", c, v))
        else:
            for rk, cols in t.items():
                for c, v in (cols or {}).items():
                    out.append((tkey, rk, c, v))
    return out
