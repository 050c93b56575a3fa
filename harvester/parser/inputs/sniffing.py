"""Which format a body is: its binary signature, else its declared type or file name."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_CT_FORMATS = (
    ("wordprocessingml", "docx"),
    ("spreadsheetml", "xlsx"),
    ("application/pdf", "pdf"),
    ("application/x-pdf", "pdf"),
    ("application/msword", "doc"),
    ("application/vnd.ms-word", "doc"),
    ("application/vnd.ms-works", "wps"),
    ("application/kswps", "wps"),
    ("application/wps", "wps"),
    ("application/vnd.ms-excel", "xls"),
    ("application/x-xls", "xls"),
    ("text/html", "html"),
    ("application/xhtml", "html"),
    ("text/plain", "text"),
)
_EXT_FORMATS = {
    "docx": "docx", "xlsx": "xlsx", "xlsm": "xlsx", "pdf": "pdf", "doc": "doc", "dot": "doc",
    "wps": "wps", "wpt": "wps", "xls": "xls", "et": "xls", "txt": "text",
    "html": "html", "htm": "html", "shtml": "html", "xhtml": "html", "jsp": "html",
    "php": "html", "asp": "html", "aspx": "html", "jhtml": "html",
}
BINARY_NAMES = {"docx": "DOCX", "xlsx": "XLSX", "pdf": "PDF", "doc": "DOC", "wps": "WPS", "xls": "XLS"}


def format_from_ct(content_type: str | None) -> str | None:
    if not content_type:
        return None
    ct = content_type.lower()
    for needle, fmt in _CT_FORMATS:
        if needle in ct:
            return fmt
    return None


def format_from_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        path = url
    m = re.search(r"\.([A-Za-z0-9]{1,6})$", path)
    return _EXT_FORMATS.get(m.group(1).lower()) if m else None


_MARKUP_RE = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|meta|div|p|table|br|span|title|script)\b", re.I)


def looks_like_markup(data: bytes) -> bool:
    return bool(_MARKUP_RE.search(data[:4096]))

