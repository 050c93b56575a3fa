"""Bytes of a page or text file → text: the one place that knows the charsets of Chinese
government portals.

Order of evidence: a byte-order mark; the HTTP ``Content-Type`` charset; the page's own
``<meta charset>`` / ``http-equiv`` / XML declaration; else detection (UTF-8, then GB18030 for
Chinese text, then a detector). GB2312 and GBK are read as their superset GB18030 (portals
labelled gb2312 use GBK characters). A declaration that the bytes contradict yields to them:
valid UTF-8 Chinese text under a GB label is UTF-8, a page labelled latin-1 (a server
default) that reads as UTF-8 or Chinese is that, and a label the bytes fail is retried as
UTF-8 and GB18030 before being read with replacement characters.

Used by the report parser's inputs, the spiders' link reading and the archive's replay.
"""
from __future__ import annotations

import codecs
import re

_GB_ALIASES = {"gb2312", "gbk", "gb_2312-80", "gb_2312", "x-gbk", "cp936", "ms936", "euc-cn", "euccn",
               "csgb2312", "gb18030", "x-euc-cn", "chinese", "iso-ir-58", "windows-936", "csgbk",
               "gb-2312", "gb-18030"}
_LATIN_ALIASES = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii",
                  "windows-1252", "cp1252", "iso_8859-1"}

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]{2,40})""", re.I)
_XML_DECL = re.compile(rb"""<\?xml[^>]{0,200}encoding\s*=\s*["']([A-Za-z0-9_.:+-]{2,40})""", re.I)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]{2,40})""", re.I)


def _norm_charset(name: str | None) -> str | None:
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    if n in _GB_ALIASES or n.startswith("gb2312") or n.startswith("gbk"):
        return "gb18030"
    if n in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    if n in ("big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5"):
        return "big5hkscs" if "hkscs" in n else "big5"
    if n in _LATIN_ALIASES:
        return "windows-1252" if n in ("windows-1252", "cp1252") else "iso-8859-1"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def _meta_charset(data: bytes) -> str | None:
    head = data[:8192]
    m = _META_CHARSET.search(head) or _XML_DECL.search(head)
    return _norm_charset(m.group(1).decode("ascii", "replace")) if m else None


def _bom(data: bytes) -> tuple[str, int] | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if data.startswith(b"\xff\xfe\x00\x00"):
        return "utf-32-le", 4
    if data.startswith(b"\x00\x00\xfe\xff"):
        return "utf-32-be", 4
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if data.startswith(b"\x84\x31\x95\x33"):
        return "gb18030", 4
    return None


def _strict(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def _cjk_share(text: str) -> float:
    if not text:
        return 0.0
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return 0.0
    cjk = sum(1 for ch in non_ascii if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
              or "\uff00" <= ch <= "\uffef")
    return cjk / len(non_ascii)


def _cjk_count(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _detect(data: bytes) -> tuple[str, str]:
    """Text and charset of undeclared bytes: utf-8, else gb18030 for Chinese, else a detector."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    gb = _strict(data, "gb18030")
    if gb is not None and _cjk_share(gb) >= 0.6:
        return gb, "gb18030"
    guess = None
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[:200_000]).best()
        guess = _norm_charset(best.encoding) if best is not None else None
    except Exception:  # detector failures must not break decoding
        guess = None
    if guess in ("big5", "big5hkscs"):
        text = _strict(data, guess)
        if text is not None and (gb is None or _cjk_share(text) > _cjk_share(gb)):
            return text, guess
    if guess and guess not in ("gb18030",):
        probe = data.decode(guess, "replace")
        if _cjk_share(probe) < 0.3 and (gb is None or _cjk_share(gb) < 0.3):
            return probe, guess
    if gb is not None:
        return gb, "gb18030"
    # mostly GB with a few bad bytes: gb18030 with replacement if it reads as Chinese
    gb_r = data.decode("gb18030", "replace")
    u8_r = data.decode("utf-8", "replace")
    if _cjk_share(gb_r) >= _cjk_share(u8_r) and _cjk_share(gb_r) > 0.3:
        return gb_r, "gb18030"
    if guess:
        return data.decode(guess, "replace"), guess
    return u8_r, "utf-8"


def decode_text(data: bytes, content_type: str | None = None, markup: bool = True) -> tuple[str, str]:
    """(text, charset) of ``data``; ``content_type`` is the HTTP header, ``markup`` says to read
    the page's own declaration. Never raises on any bytes."""
    bom = _bom(data)
    if bom:
        enc, n = bom
        return data[n:].decode(enc, "replace"), enc
    ct_cs = None
    if content_type:
        m = _CT_CHARSET.search(content_type)
        if m:
            ct_cs = _norm_charset(m.group(1))
    meta_cs = _meta_charset(data) if markup else None
    declared = ct_cs or meta_cs
    if declared in ("iso-8859-1", "windows-1252") and re.search(rb"[\x80-\xff]", data):
        # servers label pages latin-1 by default; a page's own declaration wins,
        # and bytes that read as UTF-8 or Chinese are not Western text
        if meta_cs and meta_cs not in ("iso-8859-1", "windows-1252"):
            declared = meta_cs
        else:
            u8 = _strict(data, "utf-8")
            if u8 is not None:
                return u8, "utf-8"
            gb = _strict(data, "gb18030")
            if gb is not None and _cjk_count(gb) >= 10 and _cjk_share(gb) >= 0.9:
                return gb, "gb18030"
    if declared in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be") and markup:
        # an HTML page cannot really be UTF-16 without a BOM when its meta tag is readable as ASCII
        declared = None
    if declared and declared != "utf-8" and re.search(rb"[\x80-\xff]", data):
        # a page that declares GB (or anything else) but is valid UTF-8 with Chinese text in it
        # is UTF-8: GBK text is practically never valid UTF-8 at any length
        u8 = _strict(data, "utf-8")
        if u8 is not None and _cjk_count(u8) >= 4:
            return u8, "utf-8"
    if declared:
        text = _strict(data, declared)
        if text is not None:
            return text, declared
        # the declaration is wrong: a page that says utf-8 but is GBK, or the reverse
        for alt in ("utf-8", "gb18030"):
            if alt != declared:
                text = _strict(data, alt)
                if text is not None and (alt == "utf-8" or _cjk_share(text) >= 0.6):
                    return text, alt
        return data.decode(declared, "replace"), declared
    return _detect(data)
