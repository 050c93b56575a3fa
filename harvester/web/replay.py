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

from harvester.charset import decode_text

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

_URL_ATTRS = ("href", "src", "action", "formaction", "background", "poster", "data", "cite",
              "longdesc", "usemap", "lowsrc", "dynsrc", "codebase", "manifest", "ping",
              "{http://www.w3.org/1999/xlink}href", "xlink:href")
_DROP_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
              "portal", "template", "set", "handler", "listener", "import"}
_BAD_SCHEME_RE = re.compile(r"^\s*(javascript|vbscript|livescript|data|blob|filesystem|mhtml|file)\s*:", re.I)
_CTRL_RE = re.compile(r"[\x00-\x20\x7f]+")


def decode_body(content_type: str | None, body: bytes) -> str:
    return decode_text(body, content_type)[0]


def is_html(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return True
    if not ct:
        head = body[:512].lstrip().lower()
        return head.startswith(b"<!doctype html") or head.startswith(b"<html")
    return False


# CSS that fetches: @import, url(), image-set() and friends. Removed from <style>, style
# attributes and archived stylesheets (besides the CSP, which blocks the fetch anyway).
_CSS_IMPORT_RE = re.compile(r"@import\b[^;{}]*;?", re.I)
_CSS_FETCH_RE = re.compile(r"(?:-webkit-)?(?:url|image-set|image|cross-fade|element|src)\s*\(", re.I)
_CSS_DANGER_RE = re.compile(r"expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding", re.I)


def _drop_call(css: str, start: int) -> tuple[str, int]:
    """Replace the function call whose name starts at ``start`` (through its balanced closing
    parenthesis, strings included) by ``none``."""
    i = css.index("(", start) + 1
    depth, quote_ch = 1, None
    while i < len(css) and depth:
        ch = css[i]
        if quote_ch:
            if ch == quote_ch:
                quote_ch = None
        elif ch in "\"'":
            quote_ch = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        i += 1
    return css[:start] + "none" + css[i:], start + 4


def sanitize_css(css: str) -> str:
    """CSS without anything that loads a resource or runs code: ``@import`` rules and
    ``url()``/``image-set()``… calls are removed. CSS escapes (``\\75 rl(``) could spell them in
    disguise: a style sheet with a backslash outside strings is dropped whole."""
    css = css or ""
    if "\\" in css or _CSS_DANGER_RE.search(css):
        return "/* removed by the archive: escapes or script in CSS */"
    css = _CSS_IMPORT_RE.sub("/* (import removed) */", css)
    pos = 0
    while True:
        m = _CSS_FETCH_RE.search(css, pos)
        if m is None:
            break
        # only a function name, not the tail of a longer identifier (e.g. "my-url(")
        if m.start() > 0 and (css[m.start() - 1].isalnum() or css[m.start() - 1] in "-_"):
            pos = m.end()
            continue
        if re.match(r"url\s*\(\s*[\"']?#[\w-]*[\"']?\s*\)", css[m.start():], re.I):
            pos = m.end()  # a reference inside the same document (an SVG gradient, a filter)
            continue
        css, pos = _drop_call(css, m.start())
    return css


def _bad_url(value: str) -> bool:
    return bool(_BAD_SCHEME_RE.match(_CTRL_RE.sub("", value)))


def archive_link(target: str, ts: str, *, top: bool) -> str:
    return f"/go?url={quote(target, safe='')}&ts={ts}" + ("&top=1" if top else "")


def _remove_keeping_tail(el) -> None:
    """Remove an element (or comment) from its tree; the text after it stays where it was."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


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
            if lname == "style":
                clean = sanitize_css(value)
                if clean != value:
                    if clean.startswith("/* removed by the archive"):
                        del el.attrib[name]
                    else:
                        el.attrib[name] = clean
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
        if tag == "style" and el.text:
            el.text = sanitize_css(el.text)
    for el in to_drop:
        _remove_keeping_tail(el)
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


_SVG_DROP = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "set",
             "animate", "animatemotion", "animatetransform", "animatecolor", "discard", "audio", "video"}


def is_svg(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head) or \
        (head.startswith(b"<!doctype svg"))


def sanitize_svg(body: bytes) -> bytes | None:
    """An archived SVG without scripts, event handlers, foreign HTML, animation of attributes,
    external references or CSS fetches; None when it is not well-formed XML (then it must not be
    rendered at all). Entities are not expanded and nothing is loaded from the network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_pis=True, remove_comments=True)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or not isinstance(root.tag, str) or root.tag.rsplit("}", 1)[-1].lower() != "svg":
        return None
    drop = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            drop.append(el)  # entity references, comments, processing instructions
            continue
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in _SVG_DROP:
            drop.append(el)
            continue
        if tag == "style" and el.text:
            el.text = sanitize_css(el.text)
        for name in list(el.attrib):
            lname = name.rsplit("}", 1)[-1].lower()
            value = el.attrib[name]
            if lname.startswith("on"):
                del el.attrib[name]
            elif lname == "style":
                el.attrib[name] = sanitize_css(value)
            elif lname in ("href", "src") and not value.strip().startswith("#"):
                del el.attrib[name]  # only references inside the document stay
            elif _CSS_FETCH_RE.search(value) and sanitize_css(value) != value or _bad_url(value):
                del el.attrib[name]  # fill="url(http://…)" and the like
    for el in drop:
        _remove_keeping_tail(el)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


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
