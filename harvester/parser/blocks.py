"""Turn a decoded document (HTML or plain text) into lines.

HTML is linearised in reading order: block elements start new lines, a
data table (one without nested tables) gives one line per row with its cells
joined by TAB, a blank cell as an empty field.  Merged cells appear once, at
their origin — the same order a text extraction of the page gives, so the
table parser reads HTML grids and flattened text alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import vocab

_BLOCK_TAGS = frozenset((
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "blockquote", "pre", "center", "main", "tr", "caption",
    "address", "figure", "figcaption", "hr", "tbody", "thead", "tfoot", "body", "html",
))
_DROP = frozenset(vocab.DROP_TAGS)
_SPACE_RE = re.compile(r"[ \t\r\f\v\u3000\xa0\u200b\ufeff]+")


@dataclass
class Page:
    lines: list[str]
    meta: dict = field(default_factory=dict)
    html_title: str | None = None
    headings: list[str] = field(default_factory=list)
    images: int = 0
    is_html: bool = False


def _clean_inline(s: str) -> str:
    return _SPACE_RE.sub(" ", s)


class _Linearizer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.images = 0
        self.headings: list[str] = []

    def nl(self) -> None:
        if self.parts and self.parts[-1] != "\n":
            self.parts.append("\n")

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:  # comment / processing instruction
            return
        tag = tag.lower()
        if tag in _DROP:
            return
        if tag == "img":
            self.images += 1
            return
        if tag == "br":
            self.parts.append("\n")
            return
        if tag == "table":
            self.table(el)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.nl()
        if tag in ("h1", "h2", "h3"):
            txt = _clean_inline(el.text_content()).strip()
            if txt:
                self.headings.append(txt)
        self.walk_contents(el)
        if block:
            self.nl()

    def walk_contents(self, el) -> None:
        """The element's own text, its children and their tails, in document order."""
        if el.text:
            self.parts.append(_clean_inline(el.text))
        for child in el:
            self.walk(child)
            if child.tail:
                self.parts.append(_clean_inline(child.tail))

    def _cell_text(self, cell) -> str:
        flat = cell.text_content()
        if len(flat) <= 120:  # a table cell: its lines are joined anyway
            return flat.replace("\n", "")
        sub = _Linearizer()
        sub.walk_contents(cell)
        return "".join(sub.parts)

    def table(self, el) -> None:
        self.nl()
        nested = False
        for d in el.iterdescendants("table"):
            nested = True
            break
        if nested:  # layout table: read as a container
            for row in el.iterdescendants("tr"):
                # only rows belonging to this table level
                if _owner_table(row) is not el:
                    continue
                for cell in row:
                    if isinstance(cell.tag, str) and cell.tag.lower() in ("td", "th"):
                        self.nl()
                        if cell.text:
                            self.parts.append(_clean_inline(cell.text))
                        for child in cell:
                            self.walk(child)
                            if child.tail:
                                self.parts.append(_clean_inline(child.tail))
                        self.nl()
            return
        for row in el.iter("tr"):
            cells = []
            for cell in row:
                if isinstance(cell.tag, str) and cell.tag.lower() in ("td", "th"):
                    cells.append(self._cell_text(cell))
            if not cells:
                continue
            stripped = [c.strip() for c in cells]
            nonempty = [c for c in stripped if c]
            if not nonempty:
                continue
            if len(nonempty) == 1 and len(stripped) == 1 or any(len(c) > 120 for c in stripped):
                # prose laid out in a table: keep its lines
                for c in cells:
                    self.nl()
                    self.parts.append(c)
                    self.nl()
                continue
            joined = "\t".join(_SPACE_RE.sub(" ", c.replace("\n", "")).strip() for c in cells)
            self.nl()
            self.parts.append(joined)
            self.nl()
        self.nl()


def _owner_table(el):
    p = el.getparent()
    while p is not None and not (isinstance(p.tag, str) and p.tag.lower() == "table"):
        p = p.getparent()
    return p


def html_to_page(html: str) -> Page:
    import lxml.html

    page = Page(lines=[], is_html=True)
    if not html.strip():
        return page
    try:
        doc = lxml.html.document_fromstring(html)
    except Exception:
        try:
            doc = lxml.html.fromstring("<div>%s</div>" % html)
        except Exception:
            page.lines = [ln for ln in re.sub(r"<[^>]*>", "\n", html).splitlines()]
            return page
    for m in doc.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        content = m.get("content")
        if name and content and name in vocab.META_NAMES:
            page.meta.setdefault(vocab.META_NAMES[name], content.strip())
    t = doc.find(".//title")
    if t is not None:
        page.html_title = _clean_inline(t.text_content()).strip() or None
    body = doc.find(".//body")
    root = body if body is not None else doc
    lin = _Linearizer()
    lin.walk(root)
    text = "".join(lin.parts)
    page.lines = [ln.strip(" ") for ln in text.split("\n")]
    page.images = sum(1 for _ in root.iter("img"))
    page.headings = lin.headings
    return page


def text_to_page(text: str) -> Page:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    return Page(lines=[_clean_inline_keep_tabs(ln) for ln in text.split("\n")])


def _clean_inline_keep_tabs(s: str) -> str:
    # ideographic spaces stay: they mark paragraph indents and blank cells in PDF text
    return re.sub(r"[\r\f\v\xa0\u200b\ufeff]", " ", s).rstrip("\r")
