"""Renderings of a truth in every shape the parser meets, each with its expected parse."""
from __future__ import annotations

import datetime as _dt
import functools
import random
import re
from dataclasses import dataclass, field
from html import escape
from typing import Iterator

from . import labels as L
from . import lookalike as LA
from .agencies import agencies as _agencies
from .html import body_parts, default_style, parts_to_html
from .model import Cell, Style
from .office import render_docx, render_pdf, render_xlsx
from .page import article_page, encode_page, gkmlpt_page, url_for
from .shapes_document import DOC_LOOKALIKE_SHAPES, DOC_REPORT_SHAPES, DOC_SHAPES, DOC_WEIGHT, render_document
from .text import join_lines, shown_cells_in, text_lines
from .truth import failing_rules, make_truth

REPORT_SHAPES = (
    "html_grid", "html_borderless", "text_flat", "text_split_headers", "text_row15", "traditional",
    "units", "null_markers", "label_notes", "extra_rows", "layout_2019_late", "missing_tables",
    "truncated", "docx", "xlsx", "pdf", "image_only",
) + DOC_REPORT_SHAPES
LOOKALIKE_SHAPES = ("summary_template", "compile_notice", "guide", "graphic") + DOC_LOOKALIKE_SHAPES
SHAPES: tuple[str, ...] = REPORT_SHAPES + LOOKALIKE_SHAPES

# share of cases(): attachments a few each, the rest evenly
_WEIGHTS = {s: (8 if s in ("docx", "xlsx", "pdf") else DOC_WEIGHT if s in DOC_SHAPES else 15.4) for s in SHAPES}


@dataclass
class Rendered:
    data: bytes
    content_type: str
    url: str | None
    expected: dict


@dataclass
class Case:
    id: str
    shape: str
    data: bytes
    content_type: str
    url: str | None
    expected: dict
    truth: dict | None = field(default=None, repr=False)


# --------------------------------------------------------------------------- expected
def _expected(truth: dict, cells: list[Cell], *, script: str = "simplified", agency: str | None = None,
              missing: list[str] | None = None, partial: list[str] | None = None,
              format_known: bool | None = None) -> dict:
    from .model import expected_from_cells
    tables = expected_from_cells(cells)
    present = [k for k in L.TABLE_KEYS if k in tables]
    if missing is None:
        missing = [k for k in L.TABLE_KEYS if k not in tables]
    if format_known is None:
        format_known = "active_disclosure" in tables or "applications" in tables
    return {
        "is_annual_report": True,
        "image_only": False,
        "format": truth["format"] if format_known else "unknown",
        "script": script,
        "year": truth["year"],
        "agency": agency if agency is not None else truth["agency"],
        "tables": tables,
        "missing_tables": list(missing),
        "partial_tables": list(partial or []),
        "failing_rules": failing_rules(tables, truth["format"]) if present else [],
    }


def _not_report(script: str = "simplified") -> dict:
    return {"is_annual_report": False, "image_only": False, "format": "unknown", "script": script,
            "year": None, "agency": None, "tables": {}, "missing_tables": list(L.TABLE_KEYS),
            "partial_tables": [], "failing_rules": []}


# --------------------------------------------------------------------------- traditional
_TW_PHRASES = (("规范性文件", "規範性檔案"), ("程序", "程式"), ("优化", "最佳化"), ("互联网", "網際網路"),
               ("应用", "套用"), ("联系我们", "聯絡我們"))


_OPENCC: dict = {}


def _opencc(config: str):
    if config not in _OPENCC:
        import opencc
        _OPENCC[config] = opencc.OpenCC(config)
    return _OPENCC[config]


_TAG_OR_LINE = re.compile(r"(<[^>]*>|\n)")


def _piecewise(convert_piece):
    """Convert piece by piece (tags, text runs, lines), caching repeated pieces such as labels.

    Only CJK characters change, so markup and attribute names survive; attribute values
    (meta ArticleTitle, ContentSource) are converted like the text."""
    cached = functools.lru_cache(maxsize=20000)(convert_piece)

    def conv(s: str) -> str:
        out = []
        for piece in _TAG_OR_LINE.split(s):
            if not piece or piece == "\n" or piece.isascii():
                out.append(piece)
            else:
                out.append(cached(piece))
        return "".join(out)
    return conv


def _s2t_tw(s: str) -> str:
    cc = _opencc("s2t")
    for i, (a, _b) in enumerate(_TW_PHRASES):
        s = s.replace(a, f"\x00{i}\x01")
    s = cc.convert(s)
    for i, (_a, b) in enumerate(_TW_PHRASES):
        s = s.replace(f"\x00{i}\x01", b)
    return s


_CONVERTERS: dict = {}


def converter(rng: random.Random):
    """A simplified->traditional converter: OpenCC s2t, s2twp, or s2t with Taiwan phrases (seed 002).

    Markup is left alone; only text is converted."""
    kind = rng.choice(("s2t+tw", "s2t+tw", "s2twp", "s2t"))
    if kind not in _CONVERTERS:
        if kind == "s2t+tw":
            _CONVERTERS[kind] = _piecewise(_s2t_tw)
        else:
            _CONVERTERS[kind] = _piecewise(_opencc(kind).convert)
    return _CONVERTERS[kind]


# --------------------------------------------------------------------------- building blocks
def _html_doc(truth, rng, parts, *, borderless, conv=None, allow_gkmlpt=True, encoding=None):
    """An article page (or gkmlpt page) around the body; ``conv`` converts the whole page once."""
    body = parts_to_html(parts, rng, borderless=borderless, truth=truth)
    title, agency = truth["title"], truth["agency"]
    kind = "html"
    if allow_gkmlpt and rng.random() < 0.2:
        kind = "gkmlpt"
        d = _dt.datetime.fromisoformat(truth["published"] + "T10:00:00+08:00")
        if conv is not None:  # the body sits JSON-escaped in a script: convert before embedding
            body, title, agency = conv(body), conv(title), conv(agency)
        page = gkmlpt_page(rng, title=title, agency=agency, published=truth["published"],
                           body_html=body, epoch=int(d.timestamp()))
    else:
        page = article_page(rng, title=title, agency=agency, published=truth["published"], body_html=body)
        if conv is not None:
            page = conv(page)
    data, ctype, _enc = encode_page(page, rng, encoding)
    return data, ctype, url_for(rng, truth["published"], kind)


def _text_doc(truth, rng, lines, joiner, *, conv=None):
    text = join_lines(lines, joiner)
    if conv is not None:
        text = conv(text)
    if rng.random() < 0.2:
        return text.encode("gb18030"), "text/plain", None
    return text.encode("utf-8"), "text/plain; charset=utf-8", None


def _style(truth, rng, **kw) -> Style:
    return default_style(truth, rng, split_active=rng.random() < 0.25, **kw)


def _render_html_or_text(truth, rng, *, style: Style, base: str, conv=None, missing=None):
    """Render through an HTML page or flattened text; returns (data, ctype, url, cells)."""
    if base in ("html_grid", "html_borderless"):
        parts = body_parts(truth, rng, style, missing=missing)
        data, ctype, url = _html_doc(truth, rng, parts, borderless=base == "html_borderless", conv=conv)
        from .html import shown_cells
        return data, ctype, url, shown_cells(parts)
    style.blank_ok = False
    parts = body_parts(truth, rng, style, missing=missing)
    mode = {"text_flat": "flat", "text_split_headers": "split", "text_row15": "row15"}[base]
    lines, joiner = text_lines(parts, rng, mode=mode, title=truth["title"], published=truth["published"])
    data, ctype, url = _text_doc(truth, rng, lines, joiner, conv=conv)
    return data, ctype, url, shown_cells_in(lines)


# --------------------------------------------------------------------------- render
def render(truth: dict, shape: str, rng: random.Random) -> Rendered:
    """Render ``truth`` in ``shape``; ``expected`` is what a correct parser outputs for these bytes."""
    from .shapes_tables import TABLE_SHAPES, render_table_shape
    if shape in TABLE_SHAPES:  # real extractions' table shapes (issue 10), drawn by table_cases()
        return render_table_shape(truth, shape, rng)
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    if shape in DOC_SHAPES:
        return render_document(truth, shape, rng)
    if shape in LOOKALIKE_SHAPES:
        return _render_lookalike(truth, shape, rng)
    if shape == "image_only":
        return _render_image_only(truth, rng)

    if shape in ("html_grid", "html_borderless", "text_flat", "text_split_headers", "text_row15"):
        data, ct, url, cells = _render_html_or_text(truth, rng, style=_style(truth, rng), base=shape)
        return Rendered(data, ct, url, _expected(truth, cells))

    if shape == "traditional":
        conv = converter(rng)
        base = rng.choice(("html_grid", "html_borderless", "text_flat", "text_split_headers"))
        style = _style(truth, rng, units=rng.random() < 0.3)
        data, ct, url, cells = _render_html_or_text(truth, rng, style=style, base=base, conv=conv)
        return Rendered(data, ct, url, _expected(truth, cells, script="traditional", agency=conv(truth["agency"])))

    if shape in ("units", "null_markers", "label_notes", "extra_rows", "layout_2019_late"):
        flags = {"units": {"units": True}, "null_markers": {"null_rate": rng.uniform(0.08, 0.3)},
                 "label_notes": {"label_notes": True}, "extra_rows": {"extra_rows": True},
                 "layout_2019_late": {}}[shape]
        base = rng.choice(("html_grid", "html_grid", "html_borderless", "text_flat", "text_split_headers"))
        data, ct, url, cells = _render_html_or_text(truth, rng, style=_style(truth, rng, **flags), base=base)
        return Rendered(data, ct, url, _expected(truth, cells))

    if shape == "missing_tables":
        keys = list(L.TABLE_KEYS)
        if rng.random() < 0.5:
            chosen = keys
        else:
            chosen = [k for k in keys if rng.random() < 0.5] or [rng.choice(keys)]
        how = rng.choice(("none", "image"))
        missing = {k: how for k in chosen}
        base = rng.choice(("html_grid", "html_borderless", "text_flat")) if how == "none" else \
            rng.choice(("html_grid", "html_borderless"))
        data, ct, url, cells = _render_html_or_text(truth, rng, style=_style(truth, rng), base=base,
                                                    missing=missing)
        return Rendered(data, ct, url, _expected(truth, cells))

    if shape == "truncated":
        return _render_truncated(truth, rng)

    # attachments
    style = _style(truth, rng)
    parts = body_parts(truth, rng, style)
    from .html import shown_cells
    cells = shown_cells(parts)
    if shape == "docx":
        data = render_docx(truth, parts, truth["title"])
        ct = rng.choice(("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         "application/octet-stream"))
        return Rendered(data, ct, url_for(rng, truth["published"], "docx"), _expected(truth, cells))
    if shape == "xlsx":
        data = render_xlsx(truth, parts, truth["title"])
        ct = rng.choice(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "application/octet-stream"))
        return Rendered(data, ct, url_for(rng, truth["published"], "xlsx"), _expected(truth, cells))
    if shape == "pdf":
        data = render_pdf(truth, parts, truth["title"])
        return Rendered(data, rng.choice(("application/pdf", "application/octet-stream")),
                        url_for(rng, truth["published"], "pdf"), _expected(truth, cells))
    raise AssertionError(shape)  # pragma: no cover


def _render_truncated(truth, rng) -> Rendered:
    style = _style(truth, rng, blank_ok=False)
    parts = body_parts(truth, rng, style)
    mode = rng.choice(("flat", "split"))
    lines, joiner = text_lines(parts, rng, mode=mode, title=truth["title"], published=truth["published"])
    target = rng.choices(L.TABLE_KEYS, (4, 5, 1))[0]
    idx = [i for i, (_t, c) in enumerate(lines)
           if isinstance(c, Cell) and c.path[0] == target]
    cut = rng.choice(idx[1:-1])
    kept = lines[:cut + 1]
    text = join_lines(kept, joiner)
    if rng.random() < 0.5:
        text = text.rstrip("\n")
    data = text.encode("utf-8")
    cells = shown_cells_in(kept)
    after = list(L.TABLE_KEYS)[list(L.TABLE_KEYS).index(target) + 1:]
    exp = _expected(truth, cells, missing=after, partial=[target])
    return Rendered(data, "text/plain; charset=utf-8", None, exp)


def _render_image_only(truth, rng) -> Rendered:
    title = truth["title"] + rng.choice(("（图片版）", "(图片版)"))
    imgs = []
    for i in range(rng.randint(3, 9)):
        imgs.append(f'<p style="text-align:center"><img src="./W0{truth["published"].replace("-", "")}'
                    f'{rng.randint(100000, 999999)}{i}.jpg" width="650" alt="" /></p>')
    body = "\n".join(imgs)
    page = article_page(rng, title=title, agency=truth["agency"], published=truth["published"], body_html=body)
    data, ct, _ = encode_page(page, rng)
    exp = {"is_annual_report": True, "image_only": True, "format": "unknown", "script": "simplified",
           "year": truth["year"], "agency": truth["agency"], "tables": {},
           "missing_tables": list(L.TABLE_KEYS), "partial_tables": [], "failing_rules": []}
    return Rendered(data, ct, url_for(rng, truth["published"], "html"), exp)


def _render_lookalike(truth, shape, rng) -> Rendered:
    agency, year = truth["agency"], truth["year"]
    make = {"summary_template": LA.summary_template, "compile_notice": LA.compile_notice,
            "guide": LA.guide, "graphic": LA.graphic}[shape]
    title, paras = make(rng, agency, year)
    if shape == "graphic":
        blocks = []
        for i, cap in enumerate(paras):
            blocks.append(f'<p style="text-align:center"><img src="./W0{truth["published"].replace("-", "")}'
                          f'{rng.randint(1000, 9999)}{i}.png" /></p><p style="text-align:center">{escape(cap)}</p>')
        body = "\n".join(blocks)
    else:
        body = "\n".join(f'<p style="text-indent:2em">{escape(p)}</p>' for p in paras)
    if shape == "summary_template" and rng.random() < 0.4:
        text = "\n".join([title] + paras)
        return Rendered(text.encode("utf-8"), "text/plain; charset=utf-8", None, _not_report())
    page = article_page(rng, title=title, agency=agency, published=truth["published"], body_html=body,
                        column=rng.choice(("政府信息公开年报", "通知公告", "政府信息公开指南", "工作动态")))
    data, ct, _ = encode_page(page, rng)
    return Rendered(data, ct, url_for(rng, truth["published"], "html"), _not_report())


# --------------------------------------------------------------------------- cases
def _schedule(n: int) -> list[str]:
    counts = {s: 0 for s in SHAPES}
    total = sum(_WEIGHTS.values())
    out = []
    for i in range(n):
        # smooth weighted round robin: the shape furthest behind its share goes next
        best = max(SHAPES, key=lambda s: (_WEIGHTS[s] / total * (i + 1) - counts[s], -SHAPES.index(s)))
        counts[best] += 1
        out.append(best)
    return out


def cases(n: int = 300, seed: int = 0) -> Iterator[Case]:
    """``n`` deterministic test cases covering every shape (about 1 in 10 reports inconsistent)."""
    shapes = _schedule(n)
    for i, shape in enumerate(shapes):
        rng = random.Random(seed * 1_000_003 + i)
        agency = _agencies(rng, 1)[0]
        if shape == "layout_2019_late":
            year, layout = rng.randint(2022, 2025), "2019"
        else:
            year = rng.randint(2019, 2025)
            layout = "2019" if year <= 2020 or rng.random() < 0.08 else "2021"
        report = shape in REPORT_SHAPES and shape != "image_only"
        consistent = not (report and rng.random() < 0.1)
        truth = make_truth(rng, agency=agency, year=year, layout=layout, consistent=consistent)
        r = render(truth, shape, rng)
        yield Case(id=f"{seed}-{i:04d}-{shape}", shape=shape, data=r.data, content_type=r.content_type,
                   url=r.url, expected=r.expected, truth=truth)
