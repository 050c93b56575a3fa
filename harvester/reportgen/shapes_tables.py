"""Table shapes of real text extractions and pages (issue 10), each with its expected parse.

``text_pipe``         pipe tables as extractors write them: rows with or without a leading
                      pipe, one cell per line ending in " |", rows opened by a lone "|" with
                      header cells broken across lines, blank cells as lone pipes.
``text_blank_rows``   one cell per line; blank cells as whitespace-only lines, and rows whose
                      cells are all blank printed with no cell at all (they are null, not absent).
``label_typos``       typos in table labels (本年废纸件数, 先行有效件数, 三三、, 行政法复议, 本年增/ …).
``header_notes``      long explanatory notes in header and label cells, some naming another
                      column (现行有效件数(…含本年制发件数)); HTML or flattened text.
``text_run_together`` cells ran together (规章000行政规范性文件693665): a row is expected only
                      when exactly one split satisfies the rules (no leading zeros; table 三:
                      total = sum of the six applicant columns), else null.

``expected`` is computed here from the printed cells, independently of the parser.
"""
from __future__ import annotations

import dataclasses
import itertools
import random

from . import labels as L
from .model import Cell

TABLE_SHAPES = ("text_pipe", "text_blank_rows", "label_typos", "header_notes", "text_run_together")


# --------------------------------------------------------------------------- shared
def _doc_lines(truth, parts, render_table) -> tuple[list[str], list[Cell]]:
    lines = [truth["title"]]
    cells: list[Cell] = []
    for kind, payload in parts:
        if kind == "heading":
            lines.append(payload)
        elif kind == "para":
            lines.append(payload)
        elif kind == "table":
            tl, tc = render_table(payload)
            lines.extend(tl)
            cells.extend(tc)
    return lines, cells


def _encode(text: str, rng: random.Random):
    if rng.random() < 0.2:
        return text.encode("gb18030"), "text/plain"
    return text.encode("utf-8"), "text/plain; charset=utf-8"


def _pad(row: list[Cell]) -> int:
    return sum(c.colspan for c in row) - len(row)


def _value_cells(row):
    return [c for c in row if c.path is not None]


# --------------------------------------------------------------------------- text_pipe
def _pipe_row_cells(row):
    """What a "| a | b |" row shows: an empty cell before the row's first value or after its
    last cannot be told from span padding, so such a row has a cell missing and is null as
    a whole; an empty cell between values is a blank (null)."""
    vals = _value_cells(row)
    shown = [i for i, c in enumerate(vals) if c.text != ""]
    if not shown:
        return [dataclasses.replace(c, value=None) for c in vals]
    if shown[0] != 0 or shown[-1] != len(vals) - 1:
        return [dataclasses.replace(c, value=None) for c in vals]
    return vals


def _pipe_table(t, rng, style: str):
    lines, cells = [], []
    for row in t.rows:
        pad = _pad(row)
        texts = [c.text for c in row]
        cells.extend(_pipe_row_cells(row) if style in ("no_lead", "lead") else _value_cells(row))
        if style == "no_lead":
            lines.append(" | ".join(texts) + " |" + (" " + "|" * pad if pad else ""))
        elif style == "lead":
            lines.append("| " + " | ".join(texts) + " | " + "|" * pad)
        elif style == "cell_lines":
            for i, c in enumerate(row):
                tail = (" " + "|" * pad) if pad and i == len(row) - 1 else ""
                lines.append(f"{c.text} |{tail}" if c.text else f" |{tail}")
        else:  # "row_starts": "|" opens a row, each cell " text  | " on its own line(s)
            lines.append(rng.choice(("|", "| ")))
            for i, c in enumerate(row):
                tail = ("|" * pad) if pad and i == len(row) - 1 else ""
                text = c.text
                if c.colhead and len(text) >= 5 and rng.random() < 0.5:
                    cut = rng.randint(2, min(len(text) - 2, 6))
                    lines.append(" " + text[:cut])
                    text = text[cut:]
                lines.append(f" {text}  | {tail}" if text else f"  | {tail}")
    return lines, cells


def _render_text_pipe(truth, rng):
    from .html import body_parts
    from .shapes import Rendered, _expected, _style

    style = rng.choice(("no_lead", "lead", "cell_lines", "row_starts"))
    st = _style(truth, rng, null_rate=rng.choice((0.0, 0.15)))
    parts = body_parts(truth, rng, st)
    lines, cells = _doc_lines(truth, parts, lambda t: _pipe_table(t, rng, style))
    data, ct = _encode("\n".join(lines), rng)
    return Rendered(data, ct, None, _expected(truth, cells))


# --------------------------------------------------------------------------- text_blank_rows
def _render_text_blank_rows(truth, rng):
    from .html import body_parts
    from .shapes import Rendered, _expected, _style

    st = _style(truth, rng)
    parts = body_parts(truth, rng, st)
    blank_share = rng.uniform(0.15, 0.5)

    def table(t):
        lines, cells = [], []
        for row in t.rows:
            vals = _value_cells(row)
            invisible = bool(vals) and t.key != "review_litigation" and rng.random() < blank_share
            for c in row:
                if c.path is None:
                    lines.append(c.text)
                    continue
                if invisible:  # the whole row blank: no cell printed at all (null, not absent)
                    cells.append(dataclasses.replace(c, value=None))
                    continue
                if rng.random() < 0.12:  # a blank cell printed as a whitespace-only line
                    lines.append(rng.choice((" ", "  ", "\u3000")))
                    cells.append(dataclasses.replace(c, value=None))
                else:
                    lines.append(c.text)
                    cells.append(c)
        return lines, cells

    lines, cells = _doc_lines(truth, parts, table)
    data, ct = _encode("\n\n".join(lines), rng)
    return Rendered(data, ct, None, _expected(truth, cells))


# --------------------------------------------------------------------------- label_typos
TYPOS = {
    "本年废止件数": "本年废纸件数", "现行有效件数": "先行有效件数", "本年制发件数": "本年制法件数",
    "三、本年度办理结果": "三三、本年度办理结果", "行政复议": "行政法复议", "本年增/减": "本年增/",
    "科研机构": "科研机购", "结果维持": "结果维护", "行政规范性文件": "行政规范姓文件",
    "行政事业性收费": "行政事业收费", "社会公益组织": "社会公义组织",
}


def _with_labels(parts, change):
    out = []
    for kind, payload in parts:
        if kind == "table":
            rows = [[dataclasses.replace(c, text=change(c)) if c.path is None else c for c in row]
                    for row in payload.rows]
            payload = dataclasses.replace(payload, rows=rows)
        out.append((kind, payload))
    return out


def _render_relabelled(truth, rng, change, base):
    from .html import body_parts, shown_cells
    from .shapes import Rendered, _expected, _html_doc, _style, _text_doc
    from .text import shown_cells_in, text_lines

    st = _style(truth, rng)
    if base != "html":
        st.blank_ok = False
    parts = _with_labels(body_parts(truth, rng, st), change)
    if base == "html":
        data, ct, url = _html_doc(truth, rng, parts, borderless=rng.random() < 0.5)
        return Rendered(data, ct, url, _expected(truth, shown_cells(parts)))
    lines, joiner = text_lines(parts, rng, mode=base, title=truth["title"], published=truth["published"])
    data, ct, url = _text_doc(truth, rng, lines, joiner)
    return Rendered(data, ct, url, _expected(truth, shown_cells_in(lines)))


def _render_label_typos(truth, rng):
    chosen = {k: v for k, v in TYPOS.items() if rng.random() < 0.5} or {"本年废止件数": "本年废纸件数"}
    base = rng.choice(("html", "html", "flat"))
    return _render_relabelled(truth, rng, lambda c: chosen.get(c.text, c.text), base)


# --------------------------------------------------------------------------- header_notes
def _notes(year: int) -> dict:
    return {
        "本年增/减": f"本年增/减(指与{year - 1}年相比增加或减少的事项数,减少的以负数表示,如-8)",
        "现行有效件数": f"现行有效件数(截至{year}年底,含本年制发件数)",
        "上一年项目数量": f"上一年项目数量(指{year - 1}年12月31日有效的事项数量)",
        "本年处理决定数量": "本年处理决定数量(含许可、变更、延续、注销等各类决定)",
        "处理决定数量": "处理决定数量(含许可、变更、延续、注销等各类决定)",
        "规范性文件": "规范性文件(含以本机关名义印发的各类规范性文件)",
        "行政规范性文件": "行政规范性文件(含以本机关名义印发、依法备案的文件)",
        "自然人": "自然人(含个体工商户,不含法人)",
        "本年新制作数量": "本年新制作数量(含本年修订后重新印发的文件)",
    }


def _render_header_notes(truth, rng):
    notes = _notes(truth["year"])
    chosen = {k: v for k, v in notes.items() if rng.random() < 0.6} or {"本年增/减": notes["本年增/减"]}
    base = rng.choice(("html", "html", "flat", "split"))
    return _render_relabelled(truth, rng, lambda c: chosen.get(c.text, c.text), base)


# --------------------------------------------------------------------------- text_run_together
def _splits(digits: str, k: int):
    """Every way to write ``digits`` as k counts without leading zeros (k <= 7 here)."""
    n = len(digits)
    if n < k:
        return
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0,) + cuts + (n,)
        parts = [digits[a:b] for a, b in zip(bounds, bounds[1:])]
        if all(p == "0" or p[0] != "0" for p in parts):
            yield [int(p) for p in parts]


def _plain_count(c: Cell) -> bool:
    return c.text.isdigit() and (c.text == "0" or c.text[0] != "0")


def _run_table(t, rng):
    lines, cells = [], []
    for row in t.rows:
        vals = _value_cells(row)
        labels = "".join(c.text for c in row if c.path is None)
        if not vals:
            lines.append(labels)
            continue
        texts = [c.text for c in vals]
        glue = all(_plain_count(c) for c in vals)
        if t.key == "review_litigation":
            glue = glue and all(len(x) == 1 for x in texts)  # 15 one-digit cells: one split
        elif t.key == "applications" and glue:
            cols = [c.path[-1] for c in vals]
            if sorted(cols) != sorted(L.APP_COLS):
                glue = False
            else:
                ti = cols.index("total")
                ok = [s for s in _splits("".join(texts), len(vals))
                      if s[ti] == sum(v for i, v in enumerate(s) if i != ti)]
                glue = len(ok) == 1  # ambiguous rows stay printed apart (no cross-row rules here)
        if not glue:
            lines.append(labels + " " + " ".join(texts) if labels else " ".join(texts))
            cells.extend(vals)
            continue
        digits = "".join(texts)
        lines.append(labels + digits)
        if len(vals) == 1 or t.key != "active_disclosure":
            cells.extend(vals)
            continue
        ways = list(_splits(digits, len(vals)))
        if len(ways) == 1:
            cells.extend(vals)
        else:  # table 二 has no arithmetic: several splits, so the row is not read
            cells.extend(dataclasses.replace(c, value=None) for c in vals)
    return lines, cells


def _render_text_run_together(truth, rng):
    from .html import body_parts
    from .shapes import Rendered, _expected, _style

    st = _style(truth, rng)
    st.blank_ok = False
    parts = body_parts(truth, rng, st)
    lines, cells = _doc_lines(truth, parts, lambda t: _run_table(t, rng))
    data, ct = _encode("\n".join(lines), rng)
    return Rendered(data, ct, None, _expected(truth, cells))


# --------------------------------------------------------------------------- entry points
_RENDER = {
    "text_pipe": _render_text_pipe, "text_blank_rows": _render_text_blank_rows,
    "label_typos": _render_label_typos, "header_notes": _render_header_notes,
    "text_run_together": _render_text_run_together,
}


def render_table_shape(truth: dict, shape: str, rng: random.Random):
    return _RENDER[shape](truth, rng)


def table_cases(n: int = 100, seed: int = 0):
    """``n`` deterministic cases of the table shapes, round robin (see ``shapes.cases``)."""
    from .agencies import agencies as _agencies
    from .shapes import Case
    from .truth import make_truth

    for i in range(n):
        shape = TABLE_SHAPES[i % len(TABLE_SHAPES)]
        rng = random.Random(seed * 1_000_003 + 7_000_000 + i)
        agency = _agencies(rng, 1)[0]
        year = rng.randint(2019, 2025)
        layout = "2019" if year <= 2020 or rng.random() < 0.08 else "2021"
        truth = make_truth(rng, agency=agency, year=year, layout=layout, consistent=rng.random() >= 0.1)
        r = render_table_shape(truth, shape, rng)
        yield Case(id=f"{seed}-t{i:04d}-{shape}", shape=shape, data=r.data, content_type=r.content_type,
                   url=r.url, expected=r.expected, truth=truth)
