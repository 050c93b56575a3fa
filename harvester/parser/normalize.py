"""Label normalisation, script detection and cell values.

The traditional→simplified mapping is built once from OpenCC's own t2s
character dictionary (``TSCharacters`` + ``TWVariantsRev``) and applied with
``str.translate``: far cheaper than the pure-Python OpenCC converter and
enough for matching labels.  Narrative text is never rewritten with it.
"""
from __future__ import annotations

import os
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from . import vocab


def _read_dict(base: str, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    path = os.path.join(base, name)
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and len(parts[0]) == 1:
                target = parts[1].split(" ")[0]
                if target:
                    out[parts[0]] = target
    return out


def _load_t2s() -> dict[int, str]:
    """OpenCC's tw2s character chain: TWVariantsRev, then TSCharacters."""
    try:
        import opencc  # type: ignore

        base = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
    except Exception:  # pragma: no cover - opencc is a declared dependency
        return {}
    tw = _read_dict(base, "TWVariantsRev.txt")
    ts = _read_dict(base, "TSCharacters.txt")
    table: dict[int, str] = {}
    for src in set(tw) | set(ts):
        mid = tw.get(src, src)
        dst = "".join(ts.get(c, c) for c in mid)
        if dst != src:
            table[ord(src)] = dst
    return table


T2S = _load_t2s()
# chars that only occur in traditional writing (for script detection)
TRAD_CHARS = frozenset(chr(k) for k, v in T2S.items() if len(v) == 1)

_PUNCT = str.maketrans({
    "（": "(", "）": ")", "：": ":", "，": ",", "；": ";", "、": "、", "．": ".",
    "／": "/", "［": "[", "］": "]", "【": "[", "】": "]", "〔": "[", "〕": "]",
    "“": "", "”": "", "\"": "", "‘": "", "’": "", "'": "", "「": "", "」": "",
    "『": "", "』": "", "《": "", "》": "", "－": "-", "—": "-", "―": "-", "─": "-",
    "﹝": "[", "﹞": "]", "｛": "{", "｝": "}",
})
_WS_RE = re.compile(r"\s+")
_TW = [(a, b) for a, b in vocab.TAIWAN_VOCAB]


def t2s(text: str) -> str:
    """Character-level traditional → simplified (for matching only)."""
    return text.translate(T2S)


@lru_cache(maxsize=65536)
def simplified_agency(agency: str | None) -> str | None:
    """An issuer's name in simplified characters without spaces: the record's
    ``agency_simplified``, the key that matches one agency across years and spellings."""
    if not agency:
        return None
    return re.sub(r"\s+", "", t2s(unicodedata.normalize("NFKC", agency))) or None


def norm_label(label: str) -> str:
    """Normalise a label for matching: NFKC, simplified, Taiwan vocabulary,
    half-width punctuation, no whitespace.  Short strings (labels) are cached;
    long ones (narrative) are not, so the cache stays small on a long crawl."""
    if len(label) <= 120:
        return _norm_cached(label)
    return _norm(label)


@lru_cache(maxsize=8192)
def _norm_cached(label: str) -> str:
    return _norm(label)


def _norm(label: str) -> str:
    s = unicodedata.normalize("NFKC", label)
    s = s.translate(T2S)
    for a, b in _TW:
        if a in s:
            s = s.replace(a, b)
    s = s.translate(_PUNCT)
    s = _WS_RE.sub("", s)
    return s


_NOTE_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_LEAD_NUM_RE = re.compile(r"^(\(?[一二三四五六七八九十]+\)?[、.]?|\d+[.、)]|\(\d+\))")


_OPEN_NOTE_RE = re.compile(r"\([^()]*$")


def strip_notes(norm: str) -> str:
    """Remove parenthesised notes (nested ones too, and a note left open where extraction cut
    the label) and leading list numbering from a normalised label."""
    s = norm
    # keep "第二十条第(一)项"-style captions intact: only used on row labels
    for _ in range(4):
        t = _NOTE_RE.sub("", s)
        if t == s:
            break
        s = t
    s = _OPEN_NOTE_RE.sub("", s) if len(s) > 1 else s
    s = _LEAD_NUM_RE.sub("", s)
    return s.strip(":,.;、")


def detect_script(text: str) -> str:
    """"traditional" when traditional-only characters dominate, else "simplified"."""
    if not text:
        return "simplified"
    sample = text if len(text) <= 20000 else text[:20000]
    trad = sum(1 for c in sample if c in TRAD_CHARS)
    if trad == 0:
        return "simplified"
    converted = sample.translate(T2S)
    # characters that t2s would change but are also simplified forms themselves
    # are rare; compare with CJK count
    cjk = sum(1 for c in converted if "\u4e00" <= c <= "\u9fff")
    return "traditional" if cjk and trad / cjk >= 0.03 else "simplified"


# ------------------------------------------------------------------ values
def iso_date(y, m, d) -> str | None:
    """YYYY-MM-DD of a date in the reports' era (years 1990–2100), else None."""
    try:
        y, m, d = int(y), int(m), int(d)
    except (TypeError, ValueError):
        return None
    if not (1990 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31):
        return None
    return "%04d-%02d-%02d" % (y, m, d)


def date_in(text: str | None) -> str | None:
    """The first date written in ``text`` (2024-01-05, 2024/1/5, 2024年1月5日) as YYYY-MM-DD."""
    if not text:
        return None
    m = vocab.DATE_RE.search(text)
    return iso_date(*m.groups()) if m else None


_NUM_RE = re.compile(r"^([+\-−]?)(\d{1,3}(?:[,，]\d{3}){1,4}|\d{1,15})(\.\d{1,6})?$")
_SPLIT_NUM_RE = re.compile(r"[\d.]\s+[-+−]?\d")
_CELL_CLEAN_RE = re.compile(r"[\s\u3000\xa0]+")


def _value_parts(raw: str):
    if len(raw) > 40:  # no cell value is this long; keeps the cache to short strings
        return None
    return _value_parts_cached(raw)


@lru_cache(maxsize=4096)
def _value_parts_cached(raw: str):
    """Return ("null", None) | ("num", (Decimal, unit)) | None for non-values."""
    s = unicodedata.normalize("NFKC", raw)
    if _SPLIT_NUM_RE.search(s):
        return None  # several numbers, not one cell
    s = _CELL_CLEAN_RE.sub("", s)
    if s in vocab.NULL_MARKERS or raw == vocab.EMPTY_TOKEN:
        return ("null", None)
    unit = ""
    m = vocab.UNIT_SUFFIX_RE.search(s)
    if m and m.start() > 0:
        unit = m.group(1)
        s = s[:m.start()]
    m = _NUM_RE.match(s)
    if not m:
        return None
    sign = "-" if m.group(1) in ("-", "−") else ""
    digits = m.group(2).replace(",", "").replace("，", "")
    try:
        num = Decimal(sign + digits + (m.group(3) or ""))
    except InvalidOperation:  # pragma: no cover
        return None
    return ("num", (num, unit))


def is_value(token: str) -> bool:
    return token == vocab.EMPTY_TOKEN or token[:1] == vocab.RUN_MARK or _value_parts(token) is not None


def is_run(token: str) -> bool:
    """A digit run of cells that ran together (see ``tables.tokenize``)."""
    return token[:1] == vocab.RUN_MARK


def cell_value(raw: str, column: str | None = None):
    """Convert a raw cell to int / float / None.

    Money columns give floats (``amount_yuan`` converted to yuan when the
    cell states 万元 / 亿元); count columns give ints when integral.
    """
    if raw[:1] == vocab.RUN_MARK:
        raw = raw[1:]
    parts = _value_parts(raw)
    if parts is None or parts[0] == "null":
        return None
    num, unit = parts[1]
    if column in vocab.MONEY_COLS:
        if column == "amount_yuan":
            if unit in ("万元", "萬元", "万", "萬"):
                num = num * 10000
            elif unit in ("亿元", "億元", "亿", "億"):
                num = num * 100000000
        return float(num)
    if num == num.to_integral_value():
        return int(num)
    return float(num)
