"""A format-neutral model of the three report tables as printed.

Every renderer (HTML grid/borderless, flattened text, DOCX, XLSX, PDF) walks the
same model, so the cells that a rendering shows -- and hence its ``expected``
tables -- are known exactly.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from . import labels as L

NULL_MARKERS = ("—", "-", "/", "无", "", "——", "／")


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    path: tuple | None = None      # (table_key, *keys) for a value cell
    value: object = None           # the value a parser must read (None = null)
    colhead: bool = False          # a column header cell (may be broken across lines in text)


@dataclass
class Table:
    key: str                       # table key (active_disclosure, ...)
    rows: list[list[Cell]]
    ncols: int
    part: str | None = None        # sub-table key for table 二 split into parts


@dataclass
class Style:
    """How numbers and labels are printed."""
    fullwidth: bool = False        # （一） vs (一)
    units: bool = False            # 件/项/个, 万元, thousands separators, "0.0"
    null_rate: float = 0.0         # share of value cells printed as a null marker
    label_notes: bool = False      # 上一年项目数量(指2019年事项数) ...
    extra_rows: bool = False       # 其他主动公开文件 ...
    split_active: bool = False     # table 二 as one table per 第二十条 item
    org_header: str = L.ORG_HEADER
    year: int = 2021
    blank_ok: bool = True          # blank cells are visible as null (not in flattened text)


def _lab(style: Style, s: str) -> str:
    return L.fullwidth_brackets(s) if style.fullwidth else s


def _thousands(n: int) -> str:
    return f"{n:,}"


class CellFormatter:
    def __init__(self, rng: random.Random, style: Style):
        self.rng = rng
        self.style = style

    def __call__(self, value, kind: str, path: tuple) -> Cell:
        rng, st = self.rng, self.style
        if st.null_rate and rng.random() < st.null_rate:
            markers = NULL_MARKERS if st.blank_ok else tuple(m for m in NULL_MARKERS if m)
            return Cell(rng.choice(markers), path=path, value=None)
        if kind in ("count", "change"):
            v = int(value)
            text = str(v)
            if st.units:
                if abs(v) >= 1000 and rng.random() < 0.7:
                    text = ("-" if v < 0 else "") + _thousands(abs(v))
                if kind == "count" and rng.random() < 0.5:
                    text += rng.choice(("件", "项", "个", "件", "個"))
            return Cell(text, path=path, value=v)
        if kind == "amount_10k":
            v = float(value)
            text = _fmt_amount(v)
            if st.units:
                if v == 0:
                    text = rng.choice(("0.0", "0.00", "0"))
                elif v >= 1000 and rng.random() < 0.6:
                    text = f"{v:,.2f}"
                if rng.random() < 0.4:
                    text += rng.choice(("万元", "万元", "萬元"))
            return Cell(text, path=path, value=round(v, 2))
        if kind == "amount_yuan":
            v = float(value)
            if st.units and v == 0:
                return Cell(rng.choice(("0.0", "0元", "0.00")), path=path, value=0.0)
            if st.units and v % 100 == 0 and rng.random() < 0.8:
                wan = v / 10000
                text = f"{wan:.2f}".rstrip("0").rstrip(".") + rng.choice(("万元", "万元", "万", "萬元"))
                return Cell(text, path=path, value=round(v, 2))
            if st.units:
                text = f"{v:,.2f}" + rng.choice(("元", "", "元"))
                return Cell(text, path=path, value=round(v, 2))
            return Cell(_fmt_amount(v), path=path, value=round(v, 2))
        raise ValueError(kind)


def _fmt_amount(v: float) -> str:
    if v == int(v):
        return str(int(v))
    return f"{v:.2f}"


def _kind(col: str) -> str:
    if col == "amount_10k_yuan":
        return "amount_10k"
    if col == "amount_yuan":
        return "amount_yuan"
    if col == "change":
        return "change"
    return "count"


def _col_label(style: Style, col: str, label: str, fmt_layout: str) -> str:
    if style.label_notes:
        y = style.year
        notes = {
            "previous_items": f"上一年项目数量(指{y - 1}年事项数)",
            "change": "本年增/减(与上年比较)",
            "issued": "本年制发件数(件)",
            "in_force": "现行有效件数(件)",
            "decisions": label + "(件)",
            "amount_10k_yuan": "本年收费金额(单位:万元)",
            "projects": "采购项目数量(个)",
        }
        label = notes.get(col, label)
    return _lab(style, label)


EXTRA_ROWS = {
    # (layout, sub_key): [(label, n_values)]
    ("2021", "art20_1"): ("其他主动公开文件",),
    ("2019", "art20_1"): ("其他主动公开文件",),
    ("2021", "art20_6"): ("行政检查", "行政确认"),
    ("2019", "art20_6"): ("行政确认",),
}


def active_table(truth: dict, rng: random.Random, style: Style, fmt: CellFormatter) -> list[Table]:
    layout = truth["format"]
    data = truth["tables"]["active_disclosure"]
    ncols = 4
    tables: list[Table] = []
    rows: list[list[Cell]] = []
    for sub, caption, rdefs, cdefs in L.active_layout(layout):
        part_rows: list[list[Cell]] = [[Cell(_lab(style, caption), colspan=ncols, header=True)]]
        head = [Cell("信息内容", header=True, colhead=True)]
        spans = _spans(len(cdefs), ncols - 1)
        for (ck, clab), sp in zip(cdefs, spans):
            head.append(Cell(_col_label(style, ck, clab, layout), colspan=sp, header=True, colhead=True))
        part_rows.append(head)
        for rk, rlab in rdefs:
            row = [Cell(_lab(style, rlab), header=True)]
            for (ck, _c), sp in zip(cdefs, spans):
                c = fmt(data[sub][rk][ck], _kind(ck), ("active_disclosure", sub, rk, ck))
                c.colspan = sp
                row.append(c)
            part_rows.append(row)
        if style.extra_rows and (layout, sub) in EXTRA_ROWS:
            for lab in EXTRA_ROWS[(layout, sub)]:
                row = [Cell(lab, header=True)]
                for sp in spans:
                    row.append(Cell(str(rng.randint(0, 300)), colspan=sp))
                part_rows.append(row)
        if style.split_active:
            tables.append(Table("active_disclosure", part_rows, ncols, part=sub))
        else:
            rows.extend(part_rows)
    if not style.split_active:
        tables.append(Table("active_disclosure", rows, ncols))
    return tables


def _spans(n: int, width: int) -> list[int]:
    if n == width:
        return [1] * n
    if n == 1:
        return [width]
    # e.g. 2 columns in 3: [1, 2]
    return [1] * (n - 1) + [width - (n - 1)]


def applications_table(truth: dict, rng: random.Random, style: Style, fmt: CellFormatter) -> Table:
    layout = truth["format"]
    data = truth["tables"]["applications"]
    lab = lambda s: _lab(style, s)  # noqa: E731
    rows: list[list[Cell]] = []
    rows.append([Cell(lab(L.APP_NOTE), rowspan=3, colspan=3, header=True),
                 Cell(lab(L.APPLICANT_HEADER), colspan=7, header=True, colhead=True)])
    rows.append([Cell("自然人", rowspan=2, header=True, colhead=True),
                 Cell(style.org_header, colspan=5, header=True, colhead=True),
                 Cell("总计", rowspan=2, header=True, colhead=True)])
    rows.append([Cell(L.APP_COL_LABELS[c], header=True, colhead=True) for c in L.APPLICANT_COLS[1:]])

    def values(rk):
        return [fmt(data[rk][c], "count", ("applications", rk, c)) for c in L.APP_COLS]

    def note(label):
        return label + "(件)" if style.label_notes and label.startswith(("一、", "二、", "四、")) else label

    for rk, rlab in L.APP_ROWS_HEAD:
        rows.append([Cell(lab(note(rlab)), colspan=3, header=True)] + values(rk))
    groups = L.results_layout(layout)
    n_result_rows = sum(len(r) for _g, r in groups)
    first = True
    for glabel, grows in groups:
        for i, (rk, rlab) in enumerate(grows):
            row: list[Cell] = []
            if first:
                row.append(Cell(lab(L.RESULTS_HEADER), rowspan=n_result_rows, header=True))
                first = False
            if glabel is None:
                row.append(Cell(lab(rlab), colspan=2, header=True))
            else:
                if i == 0:
                    row.append(Cell(lab(glabel), rowspan=len(grows), header=True))
                row.append(Cell(lab(rlab), header=True))
            rows.append(row + values(rk))
    for rk, rlab in L.APP_ROW_TAIL:
        rows.append([Cell(lab(note(rlab)), colspan=3, header=True)] + values(rk))
    return Table("applications", rows, 10)


def review_table(truth: dict, rng: random.Random, style: Style, fmt: CellFormatter) -> Table:
    data = truth["tables"]["review_litigation"]
    rows: list[list[Cell]] = []
    rows.append([Cell(t, colspan=n, header=True, colhead=True) for t, n in L.RL_TOP])
    r2 = [Cell(L.RL_COL_LABELS[c], rowspan=2, header=True, colhead=True) for c in L.RL_COLS]
    r2 += [Cell(L.RL_SUB["litigation_direct"], colspan=5, header=True, colhead=True),
           Cell(L.RL_SUB["litigation_after_review"], colspan=5, header=True, colhead=True)]
    rows.append(r2)
    rows.append([Cell(L.RL_COL_LABELS[c], header=True, colhead=True) for _ in range(2) for c in L.RL_COLS])
    vals = []
    for g in L.RL_GROUPS:
        for c in L.RL_COLS:
            vals.append(fmt(data[g][c], "count", ("review_litigation", g, c)))
    rows.append(vals)
    return Table("review_litigation", rows, 15)


def build_tables(truth: dict, rng: random.Random, style: Style) -> dict[str, list[Table]]:
    fmt = CellFormatter(rng, style)
    return {
        "active_disclosure": active_table(truth, rng, style, fmt),
        "applications": [applications_table(truth, rng, style, fmt)],
        "review_litigation": [review_table(truth, rng, style, fmt)],
    }


def value_cells(tables) -> list[Cell]:
    out = []
    for t in tables:
        for row in t.rows:
            out.extend(c for c in row if c.path is not None)
    return out


def expected_from_cells(cells) -> dict:
    """Nested expected tables from the value cells shown by a rendering."""
    out: dict = {}
    for c in cells:
        node = out
        for k in c.path[:-1]:
            node = node.setdefault(k, {})
        node[c.path[-1]] = c.value
    return out
