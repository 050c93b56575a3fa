"""Consistency checks of a parsed report (spec rules R1–R5, S1–S6).

Each application of a rule gives one entry::

    {"rule", "status", "table", "row", "column", "operands", "expected", "actual", "detail"}

``status`` is ``pass``, ``fail`` or ``uncertain``; a null or absent operand
always gives ``uncertain``, never ``fail``.
"""
from __future__ import annotations

import re

from harvester import reportformat as rf
from harvester.reportformat import table_leaves

from . import vocab
from .normalize import norm_label, t2s



def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _entry(rule, status, table=None, row=None, column=None, operands=None,
           expected=None, actual=None, detail=""):
    return {"rule": rule, "status": status, "table": table, "row": row, "column": column,
            "operands": operands or {}, "expected": expected, "actual": actual, "detail": detail}


def _sum_check(rule, table, row, column, operands: dict, actual, detail):
    vals = [_num(v) for v in operands.values()]
    act = _num(actual)
    if act is None or any(v is None for v in vals):
        return _entry(rule, "uncertain", table, row, column, operands, None, actual, detail)
    exp = sum(vals)
    ok = abs(exp - act) < 1e-9
    return _entry(rule, "pass" if ok else "fail", table, row, column, operands, exp, act, detail)


def _app_format(apps: dict, fmt: str) -> str:
    if any(k in apps for k in vocab.APP_OTHER_2021):
        return "2021"
    if "other" in apps:
        return "2019"
    return fmt if fmt in ("2019", "2021") else "2021"


# ------------------------------------------------------------------ hard rules
def hard_checks(tables: dict, fmt: str) -> list[dict]:
    out: list[dict] = []
    apps = tables.get("applications")
    if apps:
        applicant = rf.APP_COLS[:-1]
        for row_key in vocab.APP_ROWS["2021"] + ("other",):
            row = apps.get(row_key)
            if row is None:
                continue
            ops = {c: row.get(c) for c in applicant}
            out.append(_sum_check("R1", "applications", row_key, "total", ops, row.get("total"),
                                  "total = sum of applicant columns"))
        afmt = _app_format(apps, fmt)
        result_rows = vocab.APP_RESULT_ROWS_COMMON + (vocab.APP_OTHER_2021 if afmt == "2021" else vocab.APP_OTHER_2019)
        for col in rf.APP_COLS:
            ops = {r: (apps.get(r) or {}).get(col) for r in result_rows}
            out.append(_sum_check("R2", "applications", "results_total", col, ops,
                                  (apps.get("results_total") or {}).get(col),
                                  "results_total = sum of the result rows"))
        for col in rf.APP_COLS:
            def cell(r):
                return (apps.get(r) or {}).get(col)
            lhs = {"new": cell("new"), "carried_over": cell("carried_over")}
            rhs = {"results_total": cell("results_total"), "carried_forward": cell("carried_forward")}
            ops = {**lhs, **rhs}
            vals = [_num(v) for v in ops.values()]
            if any(v is None for v in vals):
                out.append(_entry("R3", "uncertain", "applications", None, col, ops, None, None,
                                  "new + carried_over = results_total + carried_forward"))
            else:
                e = vals[0] + vals[1]
                a = vals[2] + vals[3]
                out.append(_entry("R3", "pass" if e == a else "fail", "applications", None, col, ops,
                                  e, a, "new + carried_over = results_total + carried_forward"))
    rl = tables.get("review_litigation")
    if rl:
        for g in rf.RL_GROUPS:
            grp = rl.get(g)
            if grp is None:
                continue
            ops = {c: grp.get(c) for c in ("upheld", "corrected", "other", "pending")}
            out.append(_sum_check("R4", "review_litigation", g, "total", ops, grp.get("total"),
                                  "upheld + corrected + other + pending = total"))
    for tkey in rf.TABLE_KEYS:
        t = tables.get(tkey)
        if t is None:
            continue
        bad = 0
        for path, v in table_leaves(t):
            v = _num(v)
            if v is None:
                continue
            col = path[-1]
            if col in vocab.SIGNED_COLS:
                ok, why = v == int(v), "a change must be a whole number"
            elif col in vocab.MONEY_COLS:
                ok, why = v >= 0, "an amount must not be negative"
            else:
                ok, why = v >= 0 and v == int(v), "a count must be a non-negative integer"
            if not ok:
                bad += 1
                row = path[-2] if len(path) >= 2 else None
                out.append(_entry("R5", "fail", tkey, ".".join(path[:-1]) or row, col,
                                  {col: v}, None, v, why))
        if not bad:
            out.append(_entry("R5", "pass", tkey, None, None, {}, None, None,
                              "all counts are non-negative integers"))
    return out




# ------------------------------------------------------------------ soft rules
def s4_checks(tables: dict, fmt: str) -> list[dict]:
    out = []
    art = (tables.get("active_disclosure") or {}).get("art20_1") or {}
    for row_key in ("regulations", "normative_documents"):
        row = art.get(row_key)
        if not row or ("published" not in row and "total_published" not in row):
            continue
        pub, tot = _num(row.get("published")), _num(row.get("total_published"))
        ops = {"published": row.get("published"), "total_published": row.get("total_published")}
        if pub is None or tot is None:
            st = "uncertain"
        else:
            st = "pass" if tot >= pub else "fail"
        out.append(_entry("S4", st, "active_disclosure", "art20_1." + row_key, "total_published",
                          ops, ">= %s" % pub if pub is not None else None, tot,
                          "total_published >= published"))
    return out


def _narrative(body: list[str]) -> str:
    return "\n".join(ln for ln in body if "\t" not in ln and len(ln.strip()) > 15)


def s3_checks(tables: dict, body: list[str]) -> list[dict]:
    out = []
    text = t2s(_narrative(body))
    seen = set()
    for rx, table, row, col in vocab.S3_PATTERNS:
        for m in rx.finditer(text):
            stated = int(m.group(1))
            key = (table, row, stated)
            if key in seen:
                continue
            seen.add(key)
            t = tables.get(table)
            if row == "litigation":
                grp = t or {}
                a = (grp.get("litigation_direct") or {}).get("total") if t else None
                b = (grp.get("litigation_after_review") or {}).get("total") if t else None
                ops = {"litigation_direct.total": a, "litigation_after_review.total": b}
                actual = a + b if _num(a) is not None and _num(b) is not None else None
                place_row = "litigation"
            else:
                actual = ((t or {}).get(row) or {}).get(col)
                ops = {"%s.%s" % (row, col): actual}
                place_row = row
            if _num(actual) is None:
                st = "uncertain"
            else:
                st = "pass" if actual == stated else "fail"
            out.append(_entry("S3", st, table, place_row, col, ops, stated, actual,
                              "narrative states %r" % m.group(0)))
    return out


def s6_check(body: list[str], heads, truncated: bool = False) -> dict:
    idx = [i for i, k in heads if k == "problems"]
    if not idx:
        if not heads:
            return _entry("S6", "uncertain", None, "problems", None, {}, None, None,
                          "no section headings at all (images, a spreadsheet): section 五 cannot be judged")
        if truncated:
            return _entry("S6", "uncertain", None, "problems", None, {}, None, None,
                          "section 五 not found, but the document is cut off before its place (partial text)")
        return _entry("S6", "fail", None, "problems", None, {}, None, None,
                      "section 五 (problems and improvements) is missing")
    start = idx[0] + 1
    end = len(body)
    for i, _k in sorted(heads):
        if i > idx[0]:
            end = i
            break
    content = "".join(ln.strip() for ln in body[start:end])
    cn = norm_label(content).strip("。.")
    if not cn:
        return _entry("S6", "fail", None, "problems", None, {}, None, 0,
                      "section 五 is empty")
    if cn in ("无", "暂无", "无。", "没有") or re.fullmatch(r"(无|暂无|没有)[。.]?", cn):
        return _entry("S6", "fail", None, "problems", None, {}, None, len(content),
                      "section 五 says only 无")
    return _entry("S6", "pass", None, "problems", None, {}, None, len(content),
                  "section 五 has content")


_SENTENCE_END = ("。", "！", "？", "!", "?", "”", "」", "）", ")", "；", ";", "…", "：", ":")


def ends_early(body: list[str], heads, partial_tables=()) -> bool:
    """The document is cut off before section 五's place: a table cut mid-way, or no heading
    from 五 on while the text stops mid-sentence (a text extraction cut after N characters)."""
    if partial_tables:
        return True
    if any(k in ("problems", "other") for _, k in heads):
        return False
    last = next((ln.strip() for ln in reversed(body) if ln.strip() and ln != vocab.EMPTY_TOKEN), "")
    if _SIGNED_DATE_RE.match(last):  # signed and dated: the document is whole
        return False
    return not last.endswith(_SENTENCE_END)


_SIGNED_DATE_RE = re.compile(r"^((?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十〇○]{1,3}\s*月"
                             r"\s*[\d一二三四五六七八九十〇○]{1,3}\s*日$")


def parse_time_checks(rec: dict, body: list[str], heads, truncated: bool | None = None) -> list[dict]:
    tables = rec.get("tables") or {}
    fmt = rec.get("format")
    out = hard_checks(tables, fmt)
    out.extend(s3_checks(tables, body))
    out.extend(s4_checks(tables, fmt))
    if truncated is None:
        truncated = ends_early(body, heads, rec.get("partial_tables"))
    out.append(s6_check(body, heads, truncated))
    return out


# ------------------------------------------------------------------ cross-year
_DIGITS_RE = re.compile(r"\d+")


def _shingles(text: str, k: int = 5) -> set:
    s = _DIGITS_RE.sub("#", re.sub(r"\s+", "", text))
    if len(s) < k:
        return {s} if s else set()
    return {s[i:i + k] for i in range(len(s) - k + 1)}


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of character 5-gram shingles (digits masked)."""
    sa, sb = _shingles(a or ""), _shingles(b or "")
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def number_similarity(ta: dict, tb: dict):
    """Share of equal values among cells present in both years where either is non-zero."""
    da = dict(table_leaves(ta or {}))
    db = dict(table_leaves(tb or {}))
    common = [p for p in da if p in db and (_num(da[p]) or _num(db[p]))]
    if len(common) < 5:
        return None, len(common)
    same = sum(1 for p in common if da[p] == db[p])
    return same / len(common), len(common)


def cross_year(previous: dict, current: dict) -> list[dict]:
    """S1, S2, S5 between two records of one agency (previous year, current year)."""
    out: list[dict] = []
    prev_t = (previous or {}).get("tables") or {}
    cur_t = (current or {}).get("tables") or {}
    py, cy = (previous or {}).get("year"), (current or {}).get("year")
    consecutive = isinstance(py, int) and isinstance(cy, int) and cy == py + 1
    # S1
    pa, ca = prev_t.get("applications"), cur_t.get("applications")
    if pa is not None and ca is not None:
        for col in rf.APP_COLS:
            a = (pa.get("carried_forward") or {}).get(col)
            b = (ca.get("carried_over") or {}).get(col)
            ops = {"previous.carried_forward": a, "current.carried_over": b}
            if _num(a) is None or _num(b) is None or not consecutive:
                st = "uncertain"
            else:
                st = "pass" if a == b else "fail"
            out.append(_entry("S1", st, "applications", "carried_over", col, ops, a, b,
                              "carried_forward(Y-1) = carried_over(Y)"))
    # S2 (2021 format)
    p1 = ((prev_t.get("active_disclosure") or {}).get("art20_1")) or {}
    c1 = ((cur_t.get("active_disclosure") or {}).get("art20_1")) or {}
    for row_key in ("regulations", "normative_documents"):
        pr, cr = p1.get(row_key) or {}, c1.get(row_key) or {}
        if "in_force" not in cr or "in_force" not in pr:
            continue
        ops = {"previous.in_force": pr.get("in_force"), "issued": cr.get("issued"),
               "repealed": cr.get("repealed")}
        vals = [_num(v) for v in ops.values()]
        act = _num(cr.get("in_force"))
        if any(v is None for v in vals) or act is None or not consecutive:
            st, exp = "uncertain", None
        else:
            exp = vals[0] + vals[1] - vals[2]
            st = "pass" if exp == act else "fail"
        out.append(_entry("S2", st, "active_disclosure", "art20_1." + row_key, "in_force", ops,
                          exp, cr.get("in_force"), "in_force(Y) = in_force(Y-1) + issued - repealed"))
    # S5
    ts = text_similarity((previous or {}).get("text", ""), (current or {}).get("text", ""))
    ns, n = number_similarity(prev_t, cur_t)
    copied = ts >= 0.9 or (ns is not None and ns >= 0.95)
    have_text = bool((previous or {}).get("text")) and bool((current or {}).get("text"))
    st = "fail" if copied else ("pass" if have_text or ns is not None else "uncertain")
    out.append(_entry("S5", st, None, None, None,
                      {"text_similarity": round(ts, 4),
                       "number_similarity": None if ns is None else round(ns, 4),
                       "compared_cells": n},
                      "text < 0.9 and numbers < 0.95", None,
                      "report nearly identical to the previous year" if copied
                      else "report differs from the previous year"))
    return out
