"""The three statistical tables in the official layout, with check results placed on cells.

``build_tables(record, extra_checks)`` returns, per table, a list of HTML-ready rows: each row a
list of cells ``{"text", "colspan", "rowspan", "head", "cell"}`` where ``cell`` (data cells
only) carries the value, the raw text as published and the checks that touch it. Checks that
concern a whole table or the whole report are returned separately.
"""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from harvester import reportformat as fmt

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

# Keys, labels and grouping of the official format come from one place.
ACTIVE_SUB_CAPTIONS = {sub: caption for sub, caption, _rows, _cols in fmt.ACTIVE_2019}
# One label per key: the 2021 wording where the formats differ (行政规范性文件, 本年处理决定数量).
ACTIVE_ROW_LABELS = {k: label for layout in (fmt.ACTIVE_2019, fmt.ACTIVE_2021) for _s, _c, rows, _ in layout for k, label in rows}
ACTIVE_COL_LABELS = {k: label for layout in (fmt.ACTIVE_2019, fmt.ACTIVE_2021) for _s, _c, _r, cols in layout for k, label in cols}
ACTIVE_COL_LABELS["amount_yuan"] = "采购总金额(元)"  # the record converts 万元 to yuan
ACTIVE_EXPECTED = {
    layout: [(sub, tuple(k for k, _ in rows), tuple(k for k, _ in cols)) for sub, _c, rows, cols in fmt.active_layout(layout)]
    for layout in ("2021", "2019")
}

APP_COLS = fmt.APP_COLS
APP_COL_LABELS = fmt.APP_COL_LABELS
# (group label or None, group rows: [(row key, label)]): groups (一) to (五), then (六) per format
_APP_RESULT_GROUPS_COMMON = list(fmt.RESULTS_2021[:5])
_APP_OTHER_2021 = fmt.RESULTS_2021[5]
_APP_OTHER_2019 = fmt.RESULTS_2019[5]

RL_GROUPS = fmt.RL_GROUPS
RL_COLS = fmt.RL_COLS
RL_COL_LABELS = fmt.RL_COL_LABELS
RL_GROUP_LABELS = {"review": fmt.RL_TOP[0][0], **fmt.RL_SUB}

_RESULTS_TOTAL = fmt.RESULTS_2021[-1][1][0]  # ("results_total", "(七)总计"), the last group of both formats
APP_ROW_LABELS = dict(fmt.APP_ROWS_HEAD + fmt.APP_ROW_TAIL + (_RESULTS_TOTAL,))
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
    """A number as a person reads it: integers whole, decimals in positional notation (never
    ``1.07576e+06``)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        if v.is_integer():
            return str(int(v))
        return format(Decimal(repr(v)), "f")
    if isinstance(v, (int, Decimal)):
        return str(v)
    return DETAIL_ZH.get(str(v), str(v))


MONEY_COLS = {"amount_10k_yuan": "万元", "amount_yuan": "元"}
_RAW_NUMBER_RE = re.compile(r"-?[\d,，]*\.?\d+")


def fmt_money(value, raw, column: str) -> str:
    """Money as the table publishes it: thousands separators, the published number of decimals
    (two when there is no published text), and the unit — 万元 where the table is in 万元 (the record
    keeps ``amount_yuan`` in yuan; a cell published in 万元 or 亿元 is shown in that unit)."""
    if value is None:
        return "—"
    unit = MONEY_COLS.get(column, "元")
    shown = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    raw_s = str(raw or "")
    if column == "amount_yuan":
        if re.search(r"亿|億", raw_s):
            unit, shown = "亿元", shown / Decimal(100000000)
        elif re.search(r"万|萬", raw_s):
            unit, shown = "万元", shown / Decimal(10000)
    m = _RAW_NUMBER_RE.search(raw_s.replace("，", ","))
    if m:
        decimals = len(m.group(0).split(".", 1)[1]) if "." in m.group(0) else 0
    else:
        decimals = 2
    return f"{shown:,.{decimals}f} {unit}"


# The parser explains its checks in English; the browser says it in Chinese only.
DETAIL_ZH = {
    "total = sum of applicant columns": "总计 = 各申请人之和",
    "results_total = sum of the result rows": "办理结果总计 = 各办理结果之和",
    "new + carried_over = results_total + carried_forward": "新收 + 上年结转 = 办理结果总计 + 结转下年度",
    "a change must be a whole number": "增/减数应为整数",
    "an amount must not be negative": "金额不应为负数",
    "a count must be a non-negative integer": "数量应为非负整数",
    "all counts are non-negative integers": "全部数量均为非负整数",
    "total_published >= published": "对外公开总数量 ≥ 本年新公开数量",
    "carried_forward(Y-1) = carried_over(Y)": "上年结转下年度 = 本年上年结转",
    "in_force(Y) = in_force(Y-1) + issued - repealed": "本年现行有效 = 上年现行有效 + 本年制发 − 本年废止",
    "no section headings at all (images, a spreadsheet): section 五 cannot be judged":
        "全文没有章节标题（图片或表格文件），无法判断第五部分",
    "section 五 not found, but the document is cut off": "未找到第五部分，但文档不完整",
    "section 五 (problems and improvements) is missing": "缺少第五部分（存在的主要问题及改进情况）",
    "section 五 says only 无": "第五部分仅写“无”",
    "section 五 has content": "第五部分有内容",
    "report nearly identical to the previous year": "与上年报告高度雷同",
    "report differs from the previous year": "与上年报告不同",
    "text < 0.9 and numbers < 0.95": "正文相似度 < 0.9 且数字相同比例 < 0.95",
}
_NARRATIVE_RE = re.compile(r"^narrative states (['\"])(.*)\1$", re.S)
_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def detail_zh(detail: str | None) -> str:
    """A check's explanation in Chinese: a known English text translated, the narrative quote
    of S3 kept, anything else left out (the rule's Chinese name says what it checks)."""
    if not detail:
        return ""
    if detail in DETAIL_ZH:
        return DETAIL_ZH[detail]
    m = _NARRATIVE_RE.match(detail)
    if m:
        return f"正文称「{m.group(2)}」"
    if detail.startswith("cross-year check failed"):
        return "跨年度校验出错"
    if re.search(r"[A-Za-z]{3,}", _CJK_RE.sub("", detail)):
        return ""
    return detail


def fmt_operands(ops: dict | None) -> str:
    """Operands by their record keys (the names the CSV export and the API use)."""
    return ", ".join(f"{k}={fmt_num(v)}" for k, v in (ops or {}).items())


def _cell(table, row, col, values, raws, cells_checks):
    """A data cell, with its display strings prepared here (rendering ~400 cells through Jinja
    macros would dominate the report page's time)."""
    checks = cells_checks.get((table, row, col), [])
    value = values.get(col) if isinstance(values, dict) else None
    raw = raws.get(col) if isinstance(raws, dict) else None
    money = col in MONEY_COLS
    title = [f"{c['rule']} {STATUS_LABELS.get(c['status'], c['status'])}"
             + (f" 期望 {fmt_num(c.get('expected'))}" if c.get("expected") is not None else "")
             + (f" 实际 {fmt_num(c.get('actual'))}" if c.get("actual") is not None else "") for c in checks]
    if raw is not None:
        title.append(f"原文: {raw}")
    whys = []
    for c in checks:
        if c["status"] == "pass":
            continue
        msg = f"{c['rule']} {STATUS_LABELS.get(c['status'], c['status'])}：{RULE_NAMES.get(c['rule']) or detail_zh(c.get('detail'))}"
        if c.get("expected") is not None:
            msg += f"；期望 {fmt_num(c['expected'])}"
        if c.get("actual") is not None:
            msg += f"，实际 {fmt_num(c['actual'])}"
        whys.append({"status": c["status"], "text": msg, "ops": fmt_operands(c.get("operands"))})
    status = worst(c["status"] for c in checks)
    present = isinstance(values, dict) and col in values
    shown = fmt_money(value, raw, col) if money and value is not None else fmt_num(value)
    if money:
        # the money text already follows the published cell; show the raw text only when it
        # says something else (a note, a range) than the number
        raw_differs = raw is not None and not re.fullmatch(r"\s*[-\d,，.]+\s*(万元|萬元|亿元|億元|元|万|萬)?\s*", str(raw))
    else:
        raw_differs = raw is not None and str(raw) != shown
    return {
        "value": value, "present": present, "raw": raw, "checks": checks, "status": status,
        "shown": shown, "title": "; ".join(title), "whys": whys,
        "raw_differs": raw_differs,
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
            "detail": detail_zh(c.get("detail")),
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
