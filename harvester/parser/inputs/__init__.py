"""Input decoding layer of the report parser.

``decode(data, url, content_type)`` turns the bytes of a fetched document -- an HTML
page in any of the encodings Chinese government portals use, a plain-text
extraction, a Guangdong gkmlpt article page, or an attachment (DOCX, XLSX, XLS,
PDF, DOC, WPS) -- into HTML or plain text for the report parser.

For any bytes it returns a :class:`Decoded` or raises :class:`InputError`; no
other exception escapes.

Decompression is bounded by ``HARVESTER_PARSE_MAX_DECODED`` (see :mod:`.base`).

Modules: ``sniffing`` (which format), ``harvester.charset`` (text and HTML charsets),
``jsobject`` (gkmlpt ``window._CONFIG``), ``office`` (DOCX, DOC/WPS), ``spreadsheets``
(XLSX, XLS), ``pdf``.
"""
from __future__ import annotations

import re

from harvester.charset import decode_text

from .base import Decoded, InputError
from .jsobject import gkmlpt_article
from .office import decode_ole, decode_zip
from .pdf import decode_pdf
from .sniffing import BINARY_NAMES, OLE_MAGIC, format_from_ct, format_from_url, looks_like_markup

__all__ = ["InputError", "Decoded", "decode"]


def decode(data: bytes, url: str | None = None, content_type: str | None = None) -> Decoded:
    """Decode ``data`` into HTML or text.  Raises :class:`InputError` only."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise InputError(f"input must be bytes, not {type(data).__name__}")
    if not data.strip():
        raise InputError("empty input")
    try:
        return _decode(data, url, content_type)
    except InputError:
        raise
    except MemoryError:
        raise InputError("input too large to decode") from None
    except Exception as exc:  # any library failure on malformed input
        raise InputError(f"cannot decode input: {type(exc).__name__}: {exc}") from exc


def _decode(data: bytes, url: str | None, content_type: str | None) -> Decoded:
    declared = format_from_ct(content_type) or format_from_url(url)
    head = data[:1024]
    if data.startswith(b"%PDF") or (b"%PDF-" in head and (
            declared == "pdf" or not head.split(b"%PDF-", 1)[0].strip(b" \t\r\n\x00\xef\xbb\xbf"))):
        return decode_pdf(data)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return decode_zip(data, declared)
    if data.startswith(OLE_MAGIC):
        return decode_ole(data, declared)
    # no binary signature: the declared type decides, then the content
    if declared in BINARY_NAMES:
        what = {"docx": "not a zip archive", "xlsx": "not a zip archive", "pdf": "no %PDF header",
                "doc": "not an OLE2 compound document", "wps": "not an OLE2 compound document",
                "xls": "not an OLE2 compound document"}[declared]
        if not looks_like_markup(data):
            raise InputError(f"corrupt {BINARY_NAMES[declared]}: {what}")
        # an HTML error page served under an attachment's name: decode it as HTML
    return _decode_markup_or_text(data, content_type, declared)


def _decode_markup_or_text(data: bytes, content_type: str | None, declared: str | None) -> Decoded:
    if declared == "html":
        markup = True
    elif declared == "text":
        markup = looks_like_markup(data) and bool(re.search(rb"<\s*(html|body|table)\b", data[:65536], re.I))
    else:
        markup = looks_like_markup(data)
    text, enc = decode_text(data, content_type, markup)
    text = text.replace("\x00", "")
    if markup:
        gk = gkmlpt_article(text)
        if gk is not None:
            content, meta = gk
            return Decoded("html", content, enc, "gkmlpt", meta)
        return Decoded("html", text, enc, "html", {})
    return Decoded("text", text, enc, "text", {})


