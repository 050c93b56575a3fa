"""Input decoding layer of the report parser.

``decode(data, url, content_type)`` turns the bytes of a fetched document -- an HTML
page in any of the encodings Chinese government portals use, a plain-text
extraction, a Guangdong gkmlpt article page, or an attachment (DOCX, XLSX, XLS,
PDF, DOC, WPS) -- into HTML or plain text for the report parser.

For any bytes it returns a :class:`Decoded` or raises :class:`InputError`; no
other exception escapes.

Decompression is bounded, so a small hostile file cannot take the memory of the process
that reads it: a PDF's decoded streams (Flate, LZW, RunLength) together, a DOCX's main part,
an XLSX's workbook parts and a DOC/WPS converter's output may not exceed
``HARVESTER_PARSE_MAX_DECODED`` bytes (environment; default 128 MiB, read at each call).
Past it, decoding stops there with an :class:`InputError` naming the limit. A spreadsheet
may hold at most that / 256 cells (openpyxl keeps each cell as an object), counted before it
is loaded, and a sheet's grid spans only the cells that hold a value and the merged ranges.
"""
from __future__ import annotations

import codecs
import datetime as _dt
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlsplit

__all__ = ["InputError", "Decoded", "decode", "DOC_CONVERTER"]

#: the Debian program used for DOC and WPS files (package ``catdoc``)
DOC_CONVERTER = "catdoc"

DEFAULT_MAX_DECODED = 128 * 1024 * 1024  # bytes a document may inflate to (see the module doc)
_MAX_ZIP_ENTRIES = 20_000
_CONVERTER_TIMEOUT = 60


def max_decoded() -> int:
    """The decompression limit in bytes: ``HARVESTER_PARSE_MAX_DECODED`` or the default."""
    raw = os.environ.get("HARVESTER_PARSE_MAX_DECODED", "").strip()
    try:
        value = int(raw) if raw else DEFAULT_MAX_DECODED
    except ValueError:
        value = DEFAULT_MAX_DECODED
    return value if value > 0 else DEFAULT_MAX_DECODED


def _too_large(what: str, limit: int) -> "InputError":
    return InputError(f"{what} inflates beyond {limit} bytes (limit HARVESTER_PARSE_MAX_DECODED); "
                      "not decoded, to keep memory bounded")


class InputError(ValueError):
    """The input cannot be decoded; the message says what is wrong."""


@dataclass
class Decoded:
    kind: str                       # "html" or "text"
    content: str
    encoding: str | None
    source_format: str              # html text docx pdf xlsx xls doc wps gkmlpt
    meta: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- dispatch
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

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
_BINARY_NAMES = {"docx": "DOCX", "xlsx": "XLSX", "pdf": "PDF", "doc": "DOC", "wps": "WPS", "xls": "XLS"}


def _format_from_ct(content_type: str | None) -> str | None:
    if not content_type:
        return None
    ct = content_type.lower()
    for needle, fmt in _CT_FORMATS:
        if needle in ct:
            return fmt
    return None


def _format_from_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        path = url
    m = re.search(r"\.([A-Za-z0-9]{1,6})$", path)
    return _EXT_FORMATS.get(m.group(1).lower()) if m else None


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
    declared = _format_from_ct(content_type) or _format_from_url(url)
    head = data[:1024]
    if data.startswith(b"%PDF") or (b"%PDF-" in head and (
            declared == "pdf" or not head.split(b"%PDF-", 1)[0].strip(b" \t\r\n\x00\xef\xbb\xbf"))):
        return _decode_pdf(data)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _decode_zip(data, declared)
    if data.startswith(_OLE_MAGIC):
        return _decode_ole(data, url, content_type, declared)
    # no binary signature: the declared type decides, then the content
    if declared in _BINARY_NAMES:
        what = {"docx": "not a zip archive", "xlsx": "not a zip archive", "pdf": "no %PDF header",
                "doc": "not an OLE2 compound document", "wps": "not an OLE2 compound document",
                "xls": "not an OLE2 compound document"}[declared]
        if not _looks_like_markup(data):
            raise InputError(f"corrupt {_BINARY_NAMES[declared]}: {what}")
        # an HTML error page served under an attachment's name: decode it as HTML
    return _decode_markup_or_text(data, content_type, declared)


# --------------------------------------------------------------------------- text / HTML
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


def _decode_bytes(data: bytes, content_type: str | None, markup: bool) -> tuple[str, str]:
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


_MARKUP_RE = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|meta|div|p|table|br|span|title|script)\b", re.I)


def _looks_like_markup(data: bytes) -> bool:
    return bool(_MARKUP_RE.search(data[:4096]))


def _decode_markup_or_text(data: bytes, content_type: str | None, declared: str | None) -> Decoded:
    if declared == "html":
        markup = True
    elif declared == "text":
        markup = _looks_like_markup(data) and bool(re.search(rb"<\s*(html|body|table)\b", data[:65536], re.I))
    else:
        markup = _looks_like_markup(data)
    text, enc = _decode_bytes(data, content_type, markup)
    text = text.replace("\x00", "")
    if markup:
        gk = _gkmlpt(text)
        if gk is not None:
            content, meta = gk
            return Decoded("html", content, enc, "gkmlpt", meta)
        return Decoded("html", text, enc, "html", {})
    return Decoded("text", text, enc, "text", {})


# --------------------------------------------------------------------------- gkmlpt
class _JSParseError(Exception):
    pass


class _JSObjectReader:
    """Reads a JavaScript object literal (the gkmlpt ``window._CONFIG``) into Python values."""

    _IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
    _NUMBER = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)")

    def __init__(self, s: str, pos: int = 0):
        self.s = s
        self.i = pos
        self.depth = 0

    def ws(self):
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c in " \t\r\n\u00a0\ufeff":
                self.i += 1
            elif s.startswith("//", self.i):
                j = s.find("\n", self.i)
                self.i = n if j < 0 else j + 1
            elif s.startswith("/*", self.i):
                j = s.find("*/", self.i + 2)
                self.i = n if j < 0 else j + 2
            else:
                break

    def value(self):
        self.ws()
        if self.i >= len(self.s):
            raise _JSParseError("unexpected end")
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c in "\"'`":
            return self.string()
        m = self._NUMBER.match(self.s, self.i)
        if m:
            self.i = m.end()
            t = m.group(0)
            try:
                return int(t, 16) if t.lower().startswith(("0x", "-0x")) else (
                    float(t) if any(x in t for x in ".eE") else int(t))
            except ValueError:
                return None
        m = self._IDENT.match(self.s, self.i)
        if m:
            self.i = m.end()
            word = m.group(0)
            if word == "new" or self.s.startswith("(", self.i):
                # an expression (function call, new Date(...)): skip it
                self.skip_expression()
                return None
            return {"true": True, "false": False, "null": None, "undefined": None}.get(word, word)
        raise _JSParseError(f"unexpected {c!r} at {self.i}")

    def skip_expression(self):
        depth = 0
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in "\"'`":
                self.string()
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    return
                depth -= 1
            elif c == "," and depth == 0:
                return
            self.i += 1

    def string(self) -> str:
        q = self.s[self.i]
        self.i += 1
        out = []
        s = self.s
        n = len(s)
        while self.i < n:
            c = s[self.i]
            if c == q:
                self.i += 1
                return "".join(out)
            if c == "\\":
                self.i += 1
                if self.i >= n:
                    break
                e = s[self.i]
                self.i += 1
                if e == "u":
                    if s.startswith("{", self.i):
                        j = s.find("}", self.i)
                        cp = int(s[self.i + 1:j], 16) if j > 0 else 0xFFFD
                        self.i = j + 1 if j > 0 else n
                    else:
                        hexs = s[self.i:self.i + 4]
                        cp = int(hexs, 16) if re.fullmatch(r"[0-9a-fA-F]{4}", hexs) else 0xFFFD
                        self.i += 4 if cp != 0xFFFD else 0
                    out.append(chr(cp) if cp < 0x110000 else "\ufffd")
                elif e == "x":
                    hexs = s[self.i:self.i + 2]
                    if re.fullmatch(r"[0-9a-fA-F]{2}", hexs):
                        out.append(chr(int(hexs, 16)))
                        self.i += 2
                elif e in "\r\n":
                    if e == "\r" and s.startswith("\n", self.i):
                        self.i += 1
                else:
                    out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v",
                                "0": "\0"}.get(e, e))
            else:
                out.append(c)
                self.i += 1
        raise _JSParseError("unterminated string")

    def key(self):
        self.ws()
        c = self.s[self.i:self.i + 1]
        if c in ("\"", "'"):
            return self.string()
        m = self._IDENT.match(self.s, self.i) or re.compile(r"\d+").match(self.s, self.i)
        if not m:
            raise _JSParseError(f"bad key at {self.i}")
        self.i = m.end()
        return m.group(0)

    def obj(self):
        self.depth += 1
        if self.depth > 200:
            raise _JSParseError("too deeply nested")
        self.i += 1
        out = {}
        while True:
            self.ws()
            if self.s.startswith("}", self.i):
                self.i += 1
                self.depth -= 1
                return out
            k = self.key()
            self.ws()
            if not self.s.startswith(":", self.i):
                raise _JSParseError(f"expected ':' at {self.i}")
            self.i += 1
            out[k] = self.value()
            self.ws()
            if self.s.startswith(",", self.i):
                self.i += 1
            elif not self.s.startswith("}", self.i):
                raise _JSParseError(f"expected ',' or '}}' at {self.i}")

    def arr(self):
        self.depth += 1
        if self.depth > 200:
            raise _JSParseError("too deeply nested")
        self.i += 1
        out = []
        while True:
            self.ws()
            if self.s.startswith("]", self.i):
                self.i += 1
                self.depth -= 1
                return out
            out.append(self.value())
            self.ws()
            if self.s.startswith(",", self.i):
                self.i += 1
            elif not self.s.startswith("]", self.i):
                raise _JSParseError(f"expected ',' or ']' at {self.i}")


_CONFIG_RE = re.compile(r"window\s*\.\s*_CONFIG\s*=\s*")
_DETAIL_RE = re.compile(r"""(?:["']DETAIL["']|\bDETAIL)\s*:\s*\{""")


def _gkmlpt_date(v) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        ts = float(v)
        if ts > 1e11:          # milliseconds
            ts /= 1000.0
        try:
            d = _dt.datetime.fromtimestamp(ts, _dt.timezone(_dt.timedelta(hours=8)))
        except (OverflowError, OSError, ValueError):
            return None
        return d.date().isoformat()
    s = str(v).strip()
    if re.fullmatch(r"\d{9,13}", s):
        return _gkmlpt_date(int(s))
    m = re.match(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", s)
    if m:
        y, mo, d = (int(x) for x in m.groups())
        try:
            return _dt.date(y, mo, d).isoformat()
        except ValueError:
            return None
    return None


def _first(d: dict, *keys):
    for k in keys:
        v = d.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v:
            return v
    return None


def _gkmlpt(page: str) -> tuple[str, dict] | None:
    """(content HTML, meta) for a gkmlpt article page, else None."""
    m = _CONFIG_RE.search(page)
    if not m:
        return None
    detail = None
    reader = _JSObjectReader(page, m.end())
    try:
        reader.ws()
        if page.startswith("{", reader.i):
            config = reader.value()
            if isinstance(config, dict) and isinstance(config.get("DETAIL"), dict):
                detail = config["DETAIL"]
    except (_JSParseError, RecursionError, ValueError, IndexError):
        detail = None
    if detail is None:
        # the rest of the config may be unparsable: read DETAIL on its own
        dm = _DETAIL_RE.search(page, m.end())
        if not dm:
            return None
        reader = _JSObjectReader(page, dm.end() - 1)
        try:
            detail = reader.value()
        except (_JSParseError, RecursionError, ValueError, IndexError):
            return None
        if not isinstance(detail, dict):
            return None
    meta = {}
    title = _first(detail, "title", "ArticleTitle", "name")
    if title:
        meta["ArticleTitle"] = str(title)
    date = _gkmlpt_date(_first(detail, "date", "PubDate", "publish_time", "display_publish_time",
                                "publish_date", "created_at", "first_publish_time"))
    if date:
        meta["PubDate"] = date
    source = _first(detail, "publisher", "publisher_name", "ContentSource", "source", "author", "unit_name")
    if source:
        meta["ContentSource"] = str(source)
    content = detail.get("content")
    if not isinstance(content, str) or not content.strip():
        # body not in DETAIL: the visible page is all there is
        return page, meta
    return content, meta


# --------------------------------------------------------------------------- ZIP: DOCX / XLSX
def _zip_read(zf: zipfile.ZipFile, name: str, what: str) -> bytes:
    # zipfile never inflates a member past the size its header declares (and a member that
    # inflates to more fails its CRC check): checking the declared size bounds the memory.
    info = zf.getinfo(name)
    limit = max_decoded()
    if info.file_size > limit:
        raise _too_large(f"{what} part {name} ({info.file_size} bytes)", limit)
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise InputError(f"corrupt {what}: damaged zip member {name} ({exc})") from None


def _decode_zip(data: bytes, declared: str | None) -> Decoded:
    what = _BINARY_NAMES.get(declared or "", "DOCX/XLSX")
    if what not in ("DOCX", "XLSX"):
        what = "DOCX/XLSX"
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise InputError(f"corrupt {what}: truncated or damaged zip archive ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_ZIP_ENTRIES:
            raise InputError(f"corrupt {what}: {len(infos)} zip members (at most {_MAX_ZIP_ENTRIES})")
        names = set(zf.namelist())
        main = "word/document.xml" if "word/document.xml" in names else _docx_main_part(zf, names)
        if main:
            return Decoded("html", _docx_to_html(_zip_read(zf, main, "DOCX")), None, "docx", {})
        if "xl/workbook.xml" in names:
            # openpyxl reads the workbook's XML parts (not its media): their declared sizes together
            parts = sum(i.file_size for i in infos if i.filename.startswith("xl/") and i.filename.endswith(".xml"))
            limit = max_decoded()
            if parts > limit:
                raise _too_large(f"XLSX workbook ({parts} bytes of XML parts)", limit)
            return Decoded("html", _xlsx_to_html(data), None, "xlsx", {})
    if declared in ("docx", "xlsx"):
        raise InputError(f"corrupt {what}: zip archive without "
                         f"{'word/document.xml' if declared == 'docx' else 'xl/workbook.xml'}")
    raise InputError("unsupported ZIP archive: neither DOCX (word/document.xml) nor XLSX (xl/workbook.xml)")


def _docx_main_part(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    """The main document part named by [Content_Types].xml (some producers rename it)."""
    if "[Content_Types].xml" not in names:
        return None
    try:
        types = _zip_read(zf, "[Content_Types].xml", "DOCX").decode("utf-8", "replace")
    except InputError:
        return None
    m = re.search(r'PartName="/([^"]+)"[^>]*ContentType="[^"]*wordprocessingml\.document\.main\+xml"', types) or \
        re.search(r'ContentType="[^"]*wordprocessingml\.document\.main\+xml"[^>]*PartName="/([^"]+)"', types)
    return m.group(1) if m and m.group(1) in names else None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _w(tag: str) -> str:
    return _W + tag


def _docx_para_text(p) -> str:
    out = []
    for el in p.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == _w("t"):
            out.append(el.text or "")
        elif tag == _w("tab"):
            out.append("\t")
        elif tag in (_w("br"), _w("cr")):
            out.append("\n")
        elif tag == _w("noBreakHyphen"):
            out.append("-")
        elif tag == _w("sym"):
            ch = el.get(_w("char"))
            if ch and re.fullmatch(r"[0-9A-Fa-f]{4}", ch):
                cp = int(ch, 16)
                if cp >= 0xF000:
                    cp -= 0xF000
                if cp >= 32:
                    out.append(chr(cp))
    return "".join(out)


def _docx_heading_level(p) -> int | None:
    ppr = p.find(_w("pPr"))
    if ppr is None:
        return None
    st = ppr.find(_w("pStyle"))
    if st is not None:
        m = re.search(r"(?:heading|Heading|标题)\s*([1-6])", st.get(_w("val"), ""))
        if m:
            return int(m.group(1))
    ol = ppr.find(_w("outlineLvl"))
    if ol is not None and (ol.get(_w("val")) or "").isdigit():
        lvl = int(ol.get(_w("val"))) + 1
        if 1 <= lvl <= 6:
            return lvl
    return None


def _docx_blocks(container, out: list[str]) -> None:
    for child in container:
        tag = child.tag
        if tag == _w("p"):
            text = _docx_para_text(child)
            lvl = _docx_heading_level(child)
            html_text = escape(text).replace("\n", "<br/>")
            if lvl:
                out.append(f"<h{lvl}>{html_text}</h{lvl}>")
            else:
                out.append(f"<p>{html_text}</p>")
        elif tag == _w("tbl"):
            out.append(_docx_table(child))
        elif tag in (_w("sdt"),):
            content = child.find(_w("sdtContent"))
            if content is not None:
                _docx_blocks(content, out)
        elif tag in (_w("customXml"), _w("ins"), _w("smartTag")):
            _docx_blocks(child, out)


def _cell_text(tc) -> str:
    parts = []
    for child in tc:
        if child.tag == _w("p"):
            parts.append(_docx_para_text(child))
        elif child.tag == _w("tbl"):
            for p in child.iter(_w("p")):
                parts.append(_docx_para_text(p))
        elif child.tag in (_w("sdt"), _w("customXml")):
            for p in child.iter(_w("p")):
                parts.append(_docx_para_text(p))
    return "\n".join(x for x in parts if x != "") if len(parts) > 1 else (parts[0] if parts else "")


def _docx_table(tbl) -> str:
    # grid[r] = list of (start_col, span, vmerge, text) per cell
    rows = []
    trs = []
    for child in tbl:
        if child.tag == _w("tr"):
            trs.append(child)
        elif child.tag in (_w("sdt"), _w("customXml")):
            trs.extend(x for x in child.iter(_w("tr")) if x.getparent().tag != _w("tbl"))
    for tr in trs:
        cells = []
        before = 0
        trpr = tr.find(_w("trPr"))
        # w:gridBefore: leading empty grid columns
        if trpr is not None:
            gb = trpr.find(_w("gridBefore"))
            if gb is not None and (gb.get(_w("val")) or "").isdigit():
                before = int(gb.get(_w("val")))
        col = before
        tcs = [c for c in tr if c.tag == _w("tc")]
        for sdt in tr.findall(_w("sdt")):
            content = sdt.find(_w("sdtContent"))
            if content is not None:
                tcs.extend(c for c in content if c.tag == _w("tc"))
        for tc in tcs:
            span = 1
            vmerge = None
            tcpr = tc.find(_w("tcPr"))
            if tcpr is not None:
                gs = tcpr.find(_w("gridSpan"))
                if gs is not None and (gs.get(_w("val")) or "").isdigit():
                    span = max(1, int(gs.get(_w("val"))))
                vm = tcpr.find(_w("vMerge"))
                if vm is not None:
                    vmerge = vm.get(_w("val")) or "continue"
                hm = tcpr.find(_w("hMerge"))
                if hm is not None and (hm.get(_w("val")) or "continue") == "continue":
                    # legacy horizontal merge: fold into the previous cell
                    if cells:
                        cells[-1][1] += span
                        col += span
                        continue
            cells.append([col, span, vmerge, _cell_text(tc), 1])
            col += span
        rows.append(cells)
    # vertical merges: a "restart" cell absorbs the "continue" cells below it at the same column
    for r, cells in enumerate(rows):
        for cell in cells:
            if cell[2] == "restart":
                span_rows = 1
                for below in rows[r + 1:]:
                    match = next((c for c in below if c[0] == cell[0] and c[2] == "continue"), None)
                    if match is None:
                        break
                    span_rows += 1
                cell[4] = span_rows
    out = ["<table>"]
    for cells in rows:
        out.append("<tr>")
        for start, span, vmerge, text, rowspan in cells:
            if vmerge == "continue":
                continue
            attrs = ""
            if rowspan > 1:
                attrs += f' rowspan="{rowspan}"'
            if span > 1:
                attrs += f' colspan="{span}"'
            out.append(f"<td{attrs}>{escape(text).replace(chr(10), '<br/>')}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _docx_to_html(xml: bytes) -> str:
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"corrupt DOCX: word/document.xml is not well-formed XML ({exc})") from None
    body = root.find(_w("body"))
    if body is None:
        raise InputError("corrupt DOCX: word/document.xml has no body")
    out: list[str] = []
    _docx_blocks(body, out)
    return "<html><body>\n" + "\n".join(out) + "\n</body></html>"


# --------------------------------------------------------------------------- spreadsheets
def _fmt_number(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(round(v, 10)).rstrip("0").rstrip(".") if "e" not in repr(v) else repr(v)
    return str(v)


def _grid_to_html(name: str, grid: list[list[str]], merges: list[tuple[int, int, int, int]]) -> str:
    """A sheet as HTML tables: grid of cell texts, merges as (row0, row1_excl, col0, col1_excl).

    Runs of rows separated by fully empty rows become separate <table>s, each only as
    wide as its own content, so a 4-column table above a 15-column one is not padded."""
    nrows = len(grid)
    ncols = max((len(r) for r in grid), default=0)
    covered: set[tuple[int, int]] = set()
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, r1, c0, c1 in merges:
        r1, c1 = min(r1, nrows), min(c1, ncols)
        if r0 < 0 or c0 < 0 or r0 >= r1 or c0 >= c1 or (r0, c0) in covered:
            continue
        spans[(r0, c0)] = (r1 - r0, c1 - c0)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if (r, c) != (r0, c0):
                    covered.add((r, c))

    def text(r, c):
        return grid[r][c] if c < len(grid[r]) else ""

    def extent(r):
        """Columns used by row r (content, merge origins and merged areas)."""
        e = 0
        for c in range(ncols):
            if text(r, c).strip() or (r, c) in covered:
                e = c + 1
            if (r, c) in spans:
                e = max(e, c + spans[(r, c)][1])
        return e

    extents = [extent(r) for r in range(nrows)]
    blocks: list[list[int]] = []
    current: list[int] = []
    for r in range(nrows):
        if extents[r] == 0:
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(r)
    if current:
        blocks.append(current)
    out = []
    for rows in blocks:
        width = max(extents[r] for r in rows)
        html = [f'<table data-sheet="{escape(name)}">']
        for r in rows:
            html.append("<tr>")
            for c in range(width):
                if (r, c) in covered:
                    continue
                attrs = ""
                if (r, c) in spans:
                    rs, cs = spans[(r, c)]
                    if rs > 1:
                        attrs += f' rowspan="{rs}"'
                    if cs > 1:
                        attrs += f' colspan="{cs}"'
                html.append(f"<td{attrs}>{escape(text(r, c)).replace(chr(10), '<br/>')}</td>")
            html.append("</tr>")
        html.append("</table>")
        out.append("".join(html))
    return "\n".join(out)


_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")


def max_cells() -> int:
    """Cells a spreadsheet may hold: openpyxl keeps a few hundred bytes per cell in memory."""
    return max(1, max_decoded() // 256)


def _count_cells(zf: zipfile.ZipFile) -> int:
    """Cell elements in a workbook's sheets, counted on the compressed stream, a MiB at a time."""
    n = 0
    for info in zf.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        with zf.open(info) as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                buf = tail + chunk
                n += len(_CELL_TAG.findall(buf[:-64] if len(chunk) == 1 << 20 else buf))
                tail = buf[-64:] if len(chunk) == 1 << 20 else b""
    return n


def _xlsx_to_html(data: bytes) -> str:
    import openpyxl
    limit = max_cells()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            cells = _count_cells(zf)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise InputError(f"corrupt XLSX: damaged zip member ({exc})") from None
    if cells > limit:
        raise InputError(f"XLSX has {cells} cells; at most {limit} are read (HARVESTER_PARSE_MAX_DECODED / 256), "
                         "to keep memory bounded")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"corrupt XLSX: {type(exc).__name__}: {exc}") from None
    parts = []
    for ws in wb.worksheets:
        # The grid spans the cells that hold a value and the merged ranges, read from the
        # sheet's own cells: iter_rows would make a cell for every position up to the last
        # one, and two cells at A1 and XFD1048576 are 17 billion positions.
        ranges = list(ws.merged_cells.ranges)
        valued = [key for key, cell in ws._cells.items() if cell.value is not None]
        last_row = max([r for r, _ in valued] + [m.max_row for m in ranges], default=0)
        last_col = max([c for _, c in valued] + [m.max_col for m in ranges], default=0)
        first_row, first_col = ws.min_row, ws.min_column
        area = max(0, last_row - first_row + 1) * max(0, last_col - first_col + 1)
        if area > limit:
            raise InputError(f"XLSX sheet {ws.title!r} spans {last_row - first_row + 1} rows x "
                             f"{last_col - first_col + 1} columns; at most {limit} cells are read, to keep memory bounded")
        grid = []
        for r in range(first_row, last_row + 1):
            cells = []
            for c in range(first_col, last_col + 1):
                cell = ws._cells.get((r, c))
                v = cell.value if cell is not None else None
                if v is None:
                    cells.append("")
                elif isinstance(v, (_dt.datetime, _dt.date)):
                    cells.append(v.date().isoformat() if isinstance(v, _dt.datetime) and not
                                 (v.hour or v.minute or v.second) else v.isoformat())
                elif isinstance(v, (int, float)):
                    cells.append(_fmt_number(v))
                else:
                    cells.append(str(v))
            grid.append(cells)
        merges = [(m.min_row - 1, m.max_row, m.min_col - 1, m.max_col) for m in ranges]
        parts.append(_grid_to_html(ws.title, grid, merges))
    wb.close()
    return "<html><body>\n" + "\n".join(parts) + "\n</body></html>"


def _xls_to_html(data: bytes) -> str:
    import xlrd
    try:
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=False,
                                      logfile=io.StringIO())
        except (NotImplementedError, xlrd.XLRDError, AssertionError, KeyError, IndexError):
            book = xlrd.open_workbook(file_contents=data, formatting_info=False, logfile=io.StringIO())
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"corrupt XLS: {type(exc).__name__}: {exc}") from None
    parts = []
    for sh in book.sheets():
        grid = []
        for r in range(sh.nrows):
            cells = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    cells.append("")
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    cells.append(_fmt_number(cell.value))
                elif cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        d = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                        cells.append(d.date().isoformat() if not (d.hour or d.minute) else d.isoformat())
                    except Exception:
                        cells.append(_fmt_number(cell.value))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    cells.append("TRUE" if cell.value else "FALSE")
                else:
                    cells.append(str(cell.value))
            grid.append(cells)
        merges = [(rlo, rhi, clo, chi) for rlo, rhi, clo, chi in getattr(sh, "merged_cells", [])]
        parts.append(_grid_to_html(sh.name, grid, merges))
    return "<html><body>\n" + "\n".join(parts) + "\n</body></html>"


# --------------------------------------------------------------------------- OLE2: DOC / WPS / XLS
def _ole_stream_names(data: bytes) -> set[str]:
    names: set[str] = set()
    try:
        from xlrd import compdoc
        cd = compdoc.CompDoc(data, logfile=io.StringIO())
        names = {d.name for d in cd.dirlist if getattr(d, "name", None)}
    except Exception:
        names = set()
    if not names:
        # damaged directory: look for the UTF-16LE names of well-known streams
        for n in ("WordDocument", "Workbook", "Book", "WpsContent", "PowerPoint Document"):
            if n.encode("utf-16-le") in data:
                names.add(n)
    return names


def _decode_ole(data: bytes, url: str | None, content_type: str | None, declared: str | None) -> Decoded:
    names = _ole_stream_names(data)
    if "Workbook" in names or "Book" in names:
        return Decoded("html", _xls_to_html(data), None, "xls", {})
    is_wps = declared == "wps" or "WpsContent" in names
    if "WordDocument" in names:
        fmt = "wps" if is_wps else "doc"
        return Decoded("text", _run_doc_converter(data, fmt), None, fmt, {})
    if is_wps:
        raise InputError("unsupported WPS file: Kingsoft WPS document without a Word-compatible "
                         "WordDocument stream")
    if "PowerPoint Document" in names:
        raise InputError("unsupported OLE2 document: PowerPoint presentation")
    if declared in ("doc", "xls"):
        raise InputError(f"corrupt {_BINARY_NAMES[declared]}: OLE2 file without a "
                         f"{'WordDocument' if declared == 'doc' else 'Workbook'} stream")
    raise InputError("unsupported or damaged OLE2 compound document (no WordDocument or Workbook stream)")


def _run_doc_converter(data: bytes, fmt: str) -> str:
    label = _BINARY_NAMES[fmt]
    exe = shutil.which(DOC_CONVERTER)
    if exe is None:
        raise InputError(f"cannot convert {label}: the converter program '{DOC_CONVERTER}' is not "
                         f"installed (Debian package {DOC_CONVERTER})")
    with tempfile.NamedTemporaryFile(suffix=".doc") as tmp:
        tmp.write(data)
        tmp.flush()
        limit = max_decoded()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen([exe, "-w", "-d", "utf-8", tmp.name], stdout=out, stderr=err,
                                        stdin=subprocess.DEVNULL)
            except OSError as exc:
                raise InputError(f"cannot convert {label}: {DOC_CONVERTER} failed to run ({exc})") from None
            _limit_converter(proc.pid, limit)
            try:
                proc.wait(timeout=_CONVERTER_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise InputError(f"cannot convert {label}: {DOC_CONVERTER} timed out") from None
            # the text goes to a file, read back only if it is within the limit
            if proc.returncode == -25 or os.fstat(out.fileno()).st_size > limit:  # -25: SIGXFSZ, the file limit
                raise _too_large(f"{label} text from {DOC_CONVERTER}", limit)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read(4096)
    text = stdout.decode("utf-8", "replace")
    if proc.returncode != 0 and not text.strip():
        why = stderr.decode("utf-8", "replace").strip()[:200]
        raise InputError(f"corrupt {label}: {DOC_CONVERTER} could not read it ({why or proc.returncode})")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    if not text.strip():
        raise InputError(f"{label} has no text")
    return text


def _limit_converter(pid: int, limit: int) -> None:
    """The converter's output file and memory are bounded (set on the running child: a
    preexec_fn is unsafe in a process with threads, as the harvest's extraction has)."""
    import resource

    address_space = limit * 2 + 512 * 1024 * 1024
    try:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit + 1, limit + 1))
        resource.prlimit(pid, resource.RLIMIT_AS, (address_space, address_space))
    except (OSError, ValueError):  # it has already ended
        pass


# --------------------------------------------------------------------------- PDF
class _OverBudget(BaseException):
    """Raised inside pdfminer when a document's decoded streams pass the limit. A BaseException,
    so that no ``except Exception`` inside pdfminer can swallow it; _decode_pdf turns it into
    an InputError."""


class _Budget(threading.local):
    remaining: int | None = None  # bytes this thread's PDF may still inflate to; None: no PDF being read

    def take(self, n: int) -> None:
        if self.remaining is not None:
            self.remaining -= n
            if self.remaining < 0:
                raise _OverBudget()


_budget = _Budget()


class _BoundedDecompressor:
    def __init__(self, inner):
        self._inner = inner

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        left = _budget.remaining
        if left is None:
            return self._inner.decompress(data, max_length)
        out = self._inner.decompress(data, left + 1 if not max_length else min(max_length, left + 1))
        _budget.take(len(out))
        return out

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _BoundedZlib:
    """What pdfminer sees as ``zlib``: the same, except that while a PDF is read here, its
    inflation stops at the document's budget instead of filling the memory."""

    error = zlib.error

    def decompress(self, data: bytes, *args, **kwargs) -> bytes:
        if _budget.remaining is None:
            return zlib.decompress(data, *args, **kwargs)
        wbits = args[0] if args else kwargs.get("wbits", zlib.MAX_WBITS)
        d = zlib.decompressobj(wbits)
        parts, tail = [], data
        while not d.eof:  # a MiB at a time: a bomb stops at the budget, not at twice it
            part = d.decompress(tail, 1 << 20)
            _budget.take(len(part))
            parts.append(part)
            tail = d.unconsumed_tail
            if not part and not tail:
                break  # the input ended before the stream did
        if not d.eof:
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return b"".join(parts)

    def decompressobj(self, *args, **kwargs):
        return _BoundedDecompressor(zlib.decompressobj(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(zlib, name)


def _bounded_lzwdecode(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    out = []
    for chunk in LZWDecoder(io.BytesIO(data)).run():
        _budget.take(len(chunk))
        out.append(chunk)
    return b"".join(out)


def _bounded_rldecode(data: bytes) -> bytes:
    from pdfminer.runlength import rldecode

    out = rldecode(data)  # at most 128 bytes per 2 bytes read
    _budget.take(len(out))
    return out


def _bound_pdfminer() -> None:
    """Route pdfminer's stream decoding through the budget (once per process)."""
    from pdfminer import pdftypes

    if not isinstance(pdftypes.zlib, _BoundedZlib):
        pdftypes.zlib = _BoundedZlib()
        pdftypes.lzwdecode = _bounded_lzwdecode
        pdftypes.rldecode = _bounded_rldecode


def _decode_pdf(data: bytes) -> Decoded:
    _bound_pdfminer()
    limit = max_decoded()
    _budget.remaining = limit
    try:
        return _decode_pdf_within_budget(data)
    except _OverBudget:
        raise _too_large("PDF (its compressed streams)", limit) from None
    finally:
        _budget.remaining = None


def _decode_pdf_within_budget(data: bytes) -> Decoded:
    try:
        from pdfminer.converter import PDFPageAggregator
        from pdfminer.layout import LAParams, LTTextLine, LTTextContainer, LTFigure
        from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
        from pdfminer.pdfpage import PDFPage
        from pdfminer.pdfparser import PDFParser
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise InputError(f"cannot read PDF: {exc}") from None
    try:
        parser = PDFParser(io.BytesIO(data))
        doc = PDFDocument(parser)
    except (PDFEncryptionError, PDFPasswordIncorrect) as exc:
        raise InputError(f"PDF is encrypted ({exc})") from None
    except Exception as exc:
        raise InputError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    rsrc = PDFResourceManager()
    laparams = LAParams(char_margin=1.5, line_margin=0.3, word_margin=0.2, boxes_flow=None)
    device = PDFPageAggregator(rsrc, laparams=laparams)
    interp = PDFPageInterpreter(rsrc, device)
    pages_out = []
    try:
        for page in PDFPage.create_pages(doc):
            interp.process_page(page)
            layout = device.get_result()
            lines = []

            def walk(obj):
                for o in obj:
                    if isinstance(o, LTTextLine):
                        t = o.get_text().strip("\n")
                        if t.strip():
                            lines.append((o.y0, o.y1, o.x0, t.strip()))
                    elif isinstance(o, (LTTextContainer, LTFigure)):
                        walk(o)
            walk(layout)
            pages_out.append(_rows_from_lines(lines))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    text = "\n".join(p for p in pages_out if p)
    if not text.strip():
        raise InputError("PDF has no text layer (scanned images?)")
    return Decoded("text", text, None, "pdf", {})


def _rows_from_lines(lines) -> str:
    """Group text lines sharing a baseline band into one row, left to right."""
    lines.sort(key=lambda t: (-(t[0] + t[1]) / 2, t[2]))
    rows: list[list] = []
    for y0, y1, x0, text in lines:
        mid = (y0 + y1) / 2
        h = max(y1 - y0, 1.0)
        if rows:
            ry0, ry1 = rows[-1][0], rows[-1][1]
            rmid = (ry0 + ry1) / 2
            if abs(rmid - mid) < 0.5 * min(h, max(ry1 - ry0, 1.0)):
                rows[-1][2].append((x0, text))
                rows[-1][0] = min(ry0, y0)
                rows[-1][1] = max(ry1, y1)
                continue
        rows.append([y0, y1, [(x0, text)]])
    out = []
    for _y0, _y1, cells in rows:
        cells.sort()
        out.append(" ".join(t for _x, t in cells))
    return "\n".join(out)
