"""Guangdong gkmlpt article pages: the article in ``window._CONFIG.DETAIL``, read by a
JavaScript object-literal reader (the config is JavaScript, not JSON)."""
from __future__ import annotations

import datetime as _dt
import re

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


def gkmlpt_article(page: str) -> tuple[str, dict] | None:
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


