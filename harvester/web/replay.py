"""Replaying archived pages safely: decoding, sanitising, rewriting links into the archive.

Archived content is hostile. The replay response is served with a ``Content-Security-Policy:
sandbox`` header (no scripts, opaque origin) from its own path; on top of that the HTML is
rewritten here: scripts, event handlers, ``javascript:``/``vbscript:`` URLs, meta refresh,
frames, plugins, ``<base>`` and SVG scripting are removed, and every link points back into
the archive (``/go?url=…&ts=…``), never to the live site.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urljoin

import lxml.html
from lxml import etree

REPLAY_CSP = (
    "sandbox allow-top-navigation-by-user-activation; default-src 'none'; "
    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; media-src 'self'; "
    "script-src 'none'; object-src 'none'; frame-src 'none'; child-src 'none'; worker-src 'none'; "
    "connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
REPLAY_HEADERS = {
    "Content-Security-Policy": REPLAY_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_URL_ATTRS = ("href", "src", "action", "formaction", "background", "poster", "data", "cite",
              "longdesc", "usemap", "lowsrc", "dynsrc", "codebase", "manifest", "ping",
              "{http://www.w3.org/1999/xlink}href", "xlink:href")
_DROP_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
              "portal", "template", "set", "handler", "listener", "import"}
_BAD_SCHEME_RE = re.compile(r"^\s*(javascript|vbscript|livescript|data|blob|filesystem|mhtml|file)\s*:", re.I)
_CTRL_RE = re.compile(r"[\x00-\x20\x7f]+")
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
            "big5": "big5hkscs"}


def charset_of(content_type: str | None, body: bytes) -> str:
    cands = []
    if content_type and "charset=" in content_type.lower():
        cands.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    m = _CHARSET_RE.search(body[:4096])
    if m:
        cands.append(m.group(1).decode("ascii", "ignore").lower())
    cands += ["utf-8", "gb18030"]
    for c in cands:
        c = _ALIASES.get(c, c)
        try:
            body.decode(c)
            return c
        except (LookupError, UnicodeDecodeError):
            continue
    return "utf-8"


def decode_body(content_type: str | None, body: bytes) -> str:
    return body.decode(charset_of(content_type, body), errors="replace")


def is_html(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return True
    if not ct:
        head = body[:512].lstrip().lower()
        return head.startswith(b"<!doctype html") or head.startswith(b"<html")
    return False


def _bad_url(value: str) -> bool:
    return bool(_BAD_SCHEME_RE.match(_CTRL_RE.sub("", value)))


def archive_link(target: str, ts: str, *, top: bool) -> str:
    return f"/go?url={quote(target, safe='')}&ts={ts}" + ("&top=1" if top else "")


def rewrite_html(text: str, base_url: str, ts: str, banner: str | None = None) -> str:
    """Sanitised, archive-linked HTML of an archived page (a UTF-8 document)."""
    try:
        doc = lxml.html.document_fromstring(text or "<html><body></body></html>")
    except (etree.ParserError, ValueError):
        doc = lxml.html.document_fromstring("<html><body></body></html>")
    base = base_url
    for b in doc.iter("base"):
        href = b.get("href")
        if href and not _bad_url(href):
            base = urljoin(base_url, href.strip())
        break
    to_drop = []
    for el in doc.iter():
        if not isinstance(el.tag, str):  # comments, processing instructions
            if isinstance(el, etree._ProcessingInstruction):
                to_drop.append(el)
            continue
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in _DROP_TAGS:
            to_drop.append(el)
            continue
        if tag == "meta":
            equiv = (el.get("http-equiv") or "").strip().lower()
            if equiv or el.get("charset") is not None:
                to_drop.append(el)  # refresh, set-cookie, CSP, charset (we add our own)
                continue
        if tag.startswith("animate") or tag == "set":
            to_drop.append(el)
            continue
        for name in list(el.attrib):
            lname = name.rsplit("}", 1)[-1].lower()
            value = el.attrib[name]
            if lname.startswith("on") or lname in ("srcdoc", "formaction", "ping", "http-equiv"):
                del el.attrib[name]
                continue
            if lname == "style" and re.search(r"expression\s*\(|javascript:|behavior\s*:|-moz-binding", value, re.I):
                del el.attrib[name]
                continue
            if lname == "srcset":
                del el.attrib[name]  # the plain src is enough for an archive view
                continue
            if name in _URL_ATTRS or lname in ("href", "src", "action", "background", "poster", "data"):
                if _bad_url(value):
                    if tag == "img" and _CTRL_RE.sub("", value).lower().startswith("data:image/") \
                            and not _CTRL_RE.sub("", value).lower().startswith("data:image/svg"):
                        continue  # inline raster images are harmless
                    del el.attrib[name]
                    continue
                v = value.strip()
                if not v or v.startswith("#"):
                    continue
                absolute = urljoin(base, v)
                if not absolute.lower().startswith(("http://", "https://")):
                    del el.attrib[name]
                    continue
                navigates = tag in ("a", "area") and lname == "href"
                el.attrib[name] = archive_link(absolute, ts, top=navigates)
                if navigates:
                    el.set("target", "_top")
                    el.set("rel", "noopener noreferrer")
        if tag == "form":
            el.attrib.pop("action", None)  # archived forms go nowhere
    for el in to_drop:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)
    head = doc.find("head")
    if head is None:
        head = etree.SubElement(doc, "head")
        doc.insert(0, head)
    meta = etree.Element("meta")
    meta.set("charset", "utf-8")
    head.insert(0, meta)
    if banner:
        body = doc.find("body")
        if body is None:
            body = etree.SubElement(doc, "body")
        div = etree.Element("div")
        div.set("id", "xxgk-archive-banner")
        div.set("style", "all:initial;display:block;background:#fff4c2;color:#000;font:14px sans-serif;"
                         "padding:6px 10px;border-bottom:2px solid #c90;")
        div.text = banner
        body.insert(0, div)
    return "<!DOCTYPE html>\n" + lxml.html.tostring(doc, encoding="unicode")


def visible_text(text: str) -> str:
    """The readable text of an HTML page, one block per line (for diffs of non-report pages)."""
    try:
        doc = lxml.html.document_fromstring(text or "<html></html>")
    except (etree.ParserError, ValueError):
        return text or ""
    for el in list(doc.iter("script", "style", "noscript", "template")):
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()
    for el in doc.iter("br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "td", "th"):
        el.tail = "\n" + (el.tail or "")
    lines = [" ".join(ln.split()) for ln in doc.text_content().splitlines()]
    return "\n".join(ln for ln in lines if ln)
