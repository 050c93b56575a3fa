"""Visible text of an HTML fragment: one block (paragraph, heading, table cell) per line."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "tr",
    "td", "th", "thead", "tbody", "tfoot", "caption", "section", "article", "header", "footer",
    "blockquote", "pre", "dl", "dt", "dd", "figure", "figcaption", "hr",
}
_SKIP = {"script", "style", "noscript", "template"}
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u3000]+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(fragment: str) -> str:
    """Text a reader sees, whitespace collapsed within lines, empty lines dropped."""
    p = _TextParser()
    p.feed(fragment)
    p.close()
    lines = []
    for raw in "".join(p.parts).split("\n"):
        line = _WS.sub(" ", raw).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)
