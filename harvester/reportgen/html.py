"""HTML bodies of generated reports (no page chrome)."""
from __future__ import annotations

import random
from html import escape

from . import labels as L
from .model import Cell, Style, Table, build_tables

BODY_SHAPES = ("html_grid", "html_borderless")


def _heading(rng: random.Random, text: str, style_kind: int) -> str:
    if style_kind == 0:
        return f'<p style="text-indent:2em;"><strong>{escape(text)}</strong></p>'
    if style_kind == 1:
        return f"<h3>{escape(text)}</h3>"
    return f'<p class="MsoNormal" style="text-indent:32px"><span style="font-family:黑体">{escape(text)}</span></p>'


def _para(text: str, borderless: bool) -> str:
    if borderless:
        return (f'<p class="MsoNormal" style="text-indent:2em;line-height:28px">'
                f'<span style="font-family:仿宋_GB2312;font-size:16px">{escape(text)}</span></p>')
    return f'<p style="text-indent:2em;">{escape(text)}</p>'


def _cell_html(c: Cell, borderless: bool, rng: random.Random) -> str:
    attrs = ""
    if c.rowspan > 1:
        attrs += f' rowspan="{c.rowspan}"'
    if c.colspan > 1:
        attrs += f' colspan="{c.colspan}"'
    text = escape(c.text)
    if borderless:
        inner = text if text else "&nbsp;"
        if text and c.header and rng.random() < 0.15:
            inner = text + "&nbsp;"
        return (f'<td{attrs} valign="center" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt">'
                f'<p class="MsoNormal" align="center" style="text-align:center">'
                f'<span style="font-family:宋体;font-size:14px">{inner}</span></p></td>')
    if c.header and rng.random() < 0.3:
        text = f"<strong>{text}</strong>"
    return f'<td{attrs} align="center">{text}</td>'


def table_html(t: Table, rng: random.Random, borderless: bool) -> str:
    if borderless:
        head = ('<table border="0" cellspacing="0" cellpadding="0" width="600" '
                'style="border-collapse:collapse;border:none">')
    else:
        head = '<table border="1" cellspacing="0" cellpadding="0" width="100%" style="border-collapse:collapse">'
    rows = []
    for row in t.rows:
        rows.append("<tr>" + "".join(_cell_html(c, borderless, rng) for c in row) + "</tr>")
    return head + "<tbody>" + "".join(rows) + "</tbody></table>"


def headings_for(rng: random.Random, fullwidth_space: bool) -> dict[str, str]:
    out = {}
    for k in L.SECTION_KEYS:
        h = rng.choice(L.HEADINGS[k])
        if fullwidth_space and rng.random() < 0.3:
            h = h.replace("、", "、 ", 1)
        out[k] = h
    return out


def body_parts(truth: dict, rng: random.Random, style: Style, *, missing: dict | None = None):
    """Yield the body as an ordered list of ('heading'|'para'|'table'|'img', payload).

    ``missing`` maps table key -> "none" (heading only) or "image" (an <img> in its place).
    """
    missing = missing or {}
    tables = build_tables(truth, rng, style)
    heads = headings_for(rng, True)
    parts = []
    if truth.get("preamble"):
        parts.append(("para", truth["preamble"]))
    narrative = truth.get("narrative", {})
    for key in L.SECTION_KEYS:
        parts.append(("heading", heads[key]))
        for p in (narrative.get(key) or "").split("\n"):
            if p.strip():
                parts.append(("para", p))
        if key in L.TABLE_KEYS:
            how = missing.get(key)
            if how == "none":
                continue
            if how == "image":
                parts.append(("img", key))
                continue
            for t in tables[key]:
                parts.append(("table", t))
    return parts


def shown_cells(parts) -> list[Cell]:
    cells = []
    for kind, payload in parts:
        if kind == "table":
            for row in payload.rows:
                cells.extend(c for c in row if c.path is not None)
    return cells


def parts_to_html(parts, rng: random.Random, *, borderless: bool, truth: dict) -> str:
    hk = rng.randrange(3)
    out = []
    img_n = 0
    for kind, payload in parts:
        if kind == "heading":
            out.append(_heading(rng, payload, hk))
        elif kind == "para":
            out.append(_para(payload, borderless))
        elif kind == "table":
            out.append(table_html(payload, rng, borderless))
        elif kind == "img":
            img_n += 1
            stamp = f"{truth['year'] + 1}0{rng.randint(1, 3)}{rng.randint(10, 28)}"
            out.append(f'<p style="text-align:center"><img src="./W0{stamp}{rng.randint(100000, 999999)}{img_n}.png" '
                       f'width="600" border="0" /></p>')
    return "\n".join(out)


def default_style(truth: dict, rng: random.Random, **kw) -> Style:
    st = Style(fullwidth=rng.random() < 0.7, year=truth["year"],
               org_header=rng.choice((L.ORG_HEADER,) * 5 + ("法定代表人或其他组织",)))
    for k, v in kw.items():
        setattr(st, k, v)
    return st


def render_body_html(truth: dict, rng: random.Random, *, shape: str = "html_grid") -> str:
    """The report body (headings 一…六, narrative paragraphs, the three tables) as an HTML fragment."""
    if shape not in BODY_SHAPES:
        raise ValueError(f"render_body_html shape must be one of {BODY_SHAPES}, not {shape!r}")
    style = default_style(truth, rng, split_active=rng.random() < 0.3)
    parts = body_parts(truth, rng, style)
    return parts_to_html(parts, rng, borderless=shape == "html_borderless", truth=truth)
