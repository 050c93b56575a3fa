"""Small HTML and HTTP helpers for the simulated-portal tests (standard library only)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body


def fetch(url: str, *, method: str = "GET", headers: dict | None = None) -> Response:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:  # 304 and 404 arrive here
        with e:
            return Response(e.code, e.headers, e.read())


def charset_of(content_type: str | None, body: bytes) -> str:
    m = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    if not m:
        m = re.search(rb'charset=["\']?([\w-]+)', body[:2048], re.I)
        name = m.group(1).decode() if m else "utf-8"
    else:
        name = m.group(1)
    return "gb18030" if name.lower() in ("gb2312", "gbk", "gb18030") else name


def decode(resp: Response) -> str:
    return resp.body.decode(charset_of(resp.headers.get("Content-Type"), resp.body))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, dict]] = []
        self._open: list[tuple[str, dict, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open.append((dict(attrs).get("href") or "", dict(attrs), []))

    def handle_data(self, data):
        for _, _, buf in self._open:
            buf.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            href, attrs, buf = self._open.pop()
            self.links.append((href, "".join(buf).strip(), attrs))


def links(html: str, base_url: str) -> list[tuple[str, str, dict]]:
    """(absolute url, text, attributes) of every <a href> that is not javascript:."""
    p = _Links()
    p.feed(html)
    out = []
    for href, text, attrs in p.links:
        if href and not href.startswith(("javascript:", "#")):
            out.append((urljoin(base_url, href), text, attrs))
    return out


def path_of(url: str) -> str:
    return urlsplit(url).path


def div_inner(html: str, css_class: str) -> str:
    """Raw inner HTML of the first <div class="… css_class …">, nested divs respected."""
    m = re.search(r'<div\s+class="(?:[^"]*\s)?' + re.escape(css_class) + r'(?:\s[^"]*)?"[^>]*>', html)
    if not m:
        raise AssertionError(f"no div.{css_class}")
    depth, pos = 1, m.end()
    for t in re.finditer(r"<(/?)div\b[^>]*>", html[pos:]):
        depth += -1 if t.group(1) else 1
        if depth == 0:
            return html[pos: pos + t.start()]
    raise AssertionError(f"div.{css_class} not closed")


def meta(html: str, name: str) -> str | None:
    m = re.search(r'<meta\s+name="' + re.escape(name) + r'"\s+content="([^"]*)"', html)
    if not m:
        return None
    import html as _h
    return _h.unescape(m.group(1))
