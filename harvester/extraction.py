"""Reading one archived page: clean text and metadata (trafilatura), then the report parser.

``read_page`` is pure and blocking (CPU-heavy): the crawl pipeline runs it in worker processes
(``harvester.readpool``), ``harvester reparse`` can run it over the archive. It never raises: a
page that cannot be read comes back with ``error`` set and stays archived. Its result is plain
data (it crosses process boundaries).

The HTML is parsed once for trafilatura and the page's meta tags (trafilatura's own parser and
repairs, so its text is the same as from the string); the report parser reads its own
(normalised) copy.
"""
from __future__ import annotations

import re

import lxml.html
import trafilatura
from trafilatura.utils import load_html

from harvester.parser import parse_decoded
from harvester.parser.evidence import is_site_default, plausible_agency, site_owners
from harvester.parser.inputs import Decoded, InputError, decode
from harvester.parser.normalize import date_in

EXTRACTOR_VERSION = f"trafilatura-{trafilatura.__version__}/1"
_META_NAMES = ("ArticleTitle", "PubDate", "ContentSource", "SiteName", "ColumnName")
_SEE_ATTACHMENT = re.compile(r"详见附件|见附件|附件下载|请下载附件")


def _points_to_attachment(text: str) -> bool:
    return bool(_SEE_ATTACHMENT.search(text))


def _tree(html: str):
    try:
        return lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


def page_meta(html, tree=None) -> dict[str, str]:
    """The government-standard meta tags of a page (ArticleTitle, PubDate, ContentSource…);
    ``tree``: the page already parsed."""
    root = tree if tree is not None else _tree(html)
    if root is None:
        return {}
    out = {}
    for name in _META_NAMES:
        vals = root.xpath(f"//meta[@name=$n]/@content", n=name)
        if vals and vals[0].strip():
            out[name] = vals[0].strip()
    return out


def _plausible_title(title: str | None) -> str | None:
    if not title or len(title.strip()) < 4 or title.strip().isdigit():
        return None
    return title.strip()


def _source_as_evidence(meta: dict, html: str, tree=None) -> str | None:
    """ContentSource of a page that is not a report, when it names a body and not the site's owner."""
    name = plausible_agency(meta.get("ContentSource"))
    if name is None:
        return None
    root = (tree if tree is not None else _tree(html)) if html.strip() else None
    lines = root.text_content().splitlines() if root is not None else []
    if is_site_default(name, site_owners(meta.get("SiteName"), None, lines)):
        return None
    return name


def html_tree(html: str):
    """The page parsed as trafilatura parses it (None when it is not HTML it can read)."""
    try:
        return load_html(html)
    except Exception:  # noqa: BLE001 - hostile markup: trafilatura then gets the string
        return None


def clean_text(decoded: Decoded, url: str | None, tree=None) -> str:
    """Main text of the page without navigation debris; ``tree``: ``html_tree(decoded.content)``
    (trafilatura works on a copy of it)."""
    if decoded.kind != "html":
        return decoded.content
    text = trafilatura.extract(
        tree if tree is not None else decoded.content,
        url=url,
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        deduplicate=False,
        favor_recall=True,
    )
    return text or ""


def blank_reading() -> dict:
    """The fields of a reading, none of them known yet."""
    return {
        "encoding": None,
        "title": None,
        "published": None,
        "text": None,
        "agency": None,
        "is_annual_report": False,
        "year": None,
        "format": None,
        "record": None,
        "image_only": False,
        "parser_version": None,
        "error": None,
        "extractor_version": EXTRACTOR_VERSION,
    }


def read_page(body: bytes, url: str | None = None, content_type: str | None = None) -> dict:
    """Everything the store keeps about one distinct body."""
    out = blank_reading()
    try:
        decoded = decode(body, url=url, content_type=content_type)
    except InputError as exc:
        out["error"] = f"unreadable page: {exc}"
        return out
    out["encoding"] = decoded.encoding
    tree = html_tree(decoded.content) if decoded.kind == "html" else None
    meta = page_meta(decoded.content, tree) if decoded.kind == "html" else {}
    meta.update({k: v for k, v in decoded.meta.items() if v})
    try:
        out["text"] = clean_text(decoded, url, tree)
    except Exception as exc:  # trafilatura on hostile markup: keep going with the parser
        out["error"] = f"text extraction failed: {type(exc).__name__}: {exc}"
    record = parse_decoded(decoded, url)
    out["record"] = record
    out["parser_version"] = record.get("parser_version")
    out["is_annual_report"] = bool(record.get("is_annual_report"))
    # …（图片版）: stored, flagged, no numbers read. A page that says 详见附件 is not image-only:
    # its report is the attachment, read on its own.
    out["image_only"] = bool(record.get("image_only")) and not _points_to_attachment(record.get("text") or out["text"] or "")
    out["year"] = record.get("year")
    out["format"] = record.get("format")
    # The parser weighed the page's evidence (title, preamble, signature, breadcrumb, info table,
    # meta tags); a raw ContentSource is no evidence on its own: it is often a digit, the
    # website, a site-wide default or the drafting office.
    out["title"] = record.get("title") or _plausible_title(meta.get("ArticleTitle"))
    out["agency"] = record.get("agency")
    if out["agency"] is None and not out["is_annual_report"]:
        out["agency"] = _source_as_evidence(meta, decoded.content, tree)
    out["published"] = date_in(meta.get("PubDate")) or record.get("published")
    if not out["text"]:
        out["text"] = record.get("text")
    if record.get("error") and not out["error"]:
        out["error"] = record["error"]
    return out
