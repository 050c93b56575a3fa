"""Read the three statistical tables from lines of a report section.

Lines are cut into tokens (labels and values); consecutive labels followed by
consecutive values make a *segment*.  Each table reader maps segments to
rows and columns by their labels — captions, header cells and row labels —
never by their position in the page.  The same code reads HTML grids (one
line per row, cells joined by TAB) and flattened text (one cell per line,
header cells broken across lines, 15 numbers on one line).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import vocab
from .normalize import cell_value, is_value, norm_label, strip_notes

MAX_LABEL_CHARS = 80  # longer label tokens are prose, not table cells


@dataclass
class Segment:
    labels: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    prose_before: bool = False


_SEP_RE = re.compile(r"[ \t]+")
_RUN_RE = re.compile(r" +")


def _values_with_blanks(raw: str, edges: bool) -> list[str]:
    """Space-separated value cells, a blank cell showing as a wider gap."""
    body = raw.strip(" ")
    runs = [len(r) for r in _RUN_RE.findall(body)]
    parts = body.split(" ")
    parts = [p for p in parts if p != ""]
    if not runs:
        return parts
    sep = min(runs)
    out: list[str] = []
    if edges:
        out.extend([vocab.EMPTY_TOKEN] * ((len(raw) - len(raw.lstrip(" "))) // sep))
    gaps = iter(runs)
    for i, p in enumerate(parts):
        out.append(p)
        if i < len(parts) - 1:
            out.extend([vocab.EMPTY_TOKEN] * (next(gaps) // sep - 1))
    if edges:
        out.extend([vocab.EMPTY_TOKEN] * ((len(raw) - len(raw.rstrip(" "))) // sep))
    return out


def _split_piece(raw: str, out: list[str]) -> None:
    s = raw.strip(" \t")
    if not s.strip():
        if s:  # an ideographic space standing for a blank cell
            out.append(vocab.EMPTY_TOKEN)
        return
    if is_value(s):
        out.append(s)
        return
    parts = [p for p in _SEP_RE.split(s) if p]
    if len(parts) > 1:
        k = 0
        for p in reversed(parts):
            if is_value(p):
                k += 1
            else:
                break
        if k == len(parts):
            out.extend(_values_with_blanks(raw, edges=k >= 5))
            return
        if k:
            # label, then the values: find where the values start in s
            pos = 0
            for p in parts[:-k]:
                pos = s.index(p, pos) + len(p)
            label = " ".join(parts[:-k])
            if len(label) <= 60:
                out.append(label)
                out.extend(_values_with_blanks(s[pos:], edges=False))
                return
    out.append(s)


def _is_prose(tok: str) -> bool:
    if len(tok) > MAX_LABEL_CHARS:
        return True
    if tok[:1] == "\u3000":
        return True
    if "。" in tok or "；" in tok:
        return True
    return len(tok) >= 36 and ("，" in tok or "," in tok)


_PIPE_SEP_RE = re.compile(r"^\|?\s*:?-{3,}")


def _pipe_row(line: str, out: list[str]) -> None:
    """A Markdown table row (as trafilatura writes tables): spans are padded with
    empty cells, so empty cells count as blanks only after the first value."""
    s = line.strip()
    if _PIPE_SEP_RE.match(s):
        return
    cells = [c.strip() for c in s.strip("|").split("|")]
    first = next((i for i, c in enumerate(cells) if c and is_value(c)), None)
    for i, c in enumerate(cells):
        if c:
            _split_piece(c, out)
        elif first is not None and i > first:
            out.append(vocab.EMPTY_TOKEN)


def tokenize(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line == vocab.EMPTY_TOKEN:
            out.append(line)
            continue
        if line[:1] == "|" or line.lstrip()[:1] == "|":
            _pipe_row(line, out)
            continue
        if "\t" in line:
            fields = [f.strip() for f in line.split("\t")]
            if not any(fields):
                continue
            for f in fields:
                if f:
                    _split_piece(f, out)
                else:
                    out.append(vocab.EMPTY_TOKEN)
            continue
        if line.strip():
            _split_piece(line, out)
    return out


def segments(tokens: list[str]) -> list[Segment]:
    segs: list[Segment] = []
    cur = Segment()
    prose = False
    for tok in tokens:
        if is_value(tok):
            cur.values.append(tok)
            continue
        if _is_prose(tok):
            if cur.labels or cur.values:
                segs.append(cur)
            cur = Segment()
            prose = True
            continue
        if cur.values:
            segs.append(cur)
            cur = Segment()
        if prose:
            cur.prose_before = True
            prose = False
        cur.labels.append(tok)
    if cur.labels or cur.values:
        segs.append(cur)
    return segs


class _Frag:
    """Joins header cells that extraction broke across lines (本年新 / 制作数量)."""

    def __init__(self, match):
        self.match = match
        self.frag = ""

    def feed(self, n: str):
        if self.frag:
            k = self.match(self.frag + n)
            if k:
                self.frag = ""
                return k
        k = self.match(n)
        if k:
            self.frag = ""
            return k
        joined = self.frag + n
        self.frag = joined if len(joined) <= 14 else (n if len(n) <= 14 else "")
        return None


def _match(rules, text):
    for rx, key in rules:
        if rx.search(text):
            return key
    return None


# ------------------------------------------------------------------ table 二
def _active_row(norm: str):
    s = strip_notes(norm)
    for rx, sub, key in vocab.ACTIVE_ROWS:
        if rx.search(s):
            return sub, key
    return None


def _active_col(norm: str):
    return _match(vocab.ACTIVE_COLS, norm)


_ACTIVE_ALLOWED = {}
for _fmt, _subs in vocab.ACTIVE_EXPECTED.items():
    for _sub, (_rows, _cols) in _subs.items():
        _ACTIVE_ALLOWED.setdefault(_sub, set()).update(_cols)


@dataclass
class TableResult:
    found: bool = False
    values: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    fmt: str | None = None
    anchors: int = 0


def read_active(segs: list[Segment]) -> TableResult:
    res = TableResult()
    cols: list[str] = []
    cols_used = False
    frag = _Frag(lambda t: _active_col(t) if len(t) <= 30 else None)
    fmt_votes = {"2021": 0, "2019": 0}
    prev = ""
    for seg in segs:
        row = None
        for lab in seg.labels:
            n = norm_label(lab)
            if vocab.CAPTION_RE.search(n):
                res.found = True
                res.anchors += 1
                if vocab.CAPTION_RE.search(n).group(1) == "九":
                    fmt_votes["2019"] += 1
                cols, cols_used, row = [], False, None
                frag.frag = ""
                continue
            r = _active_row(n)
            if r is None and prev and len(prev) <= 12:
                r = _active_row(prev + n)  # a row label broken across lines
            if r:
                row = r
                frag.frag = ""
                prev = ""
                continue
            prev = n
            keys = []
            if len(lab.split()) > 1:
                ks = [_active_col(norm_label(p)) for p in lab.split()]
                ks = [k for k in ks if k]
                if len(ks) >= 2:
                    keys = ks
            if not keys:
                c = frag.feed(n)
                if c:
                    keys = [c]
            if not keys:
                continue
            if cols_used:
                cols, cols_used = [], False
            for k in keys:
                if k not in cols:
                    cols.append(k)
                if k in vocab.ACTIVE_2021_COLS:
                    fmt_votes["2021"] += 1
                elif k in vocab.ACTIVE_2019_COLS:
                    fmt_votes["2019"] += 1
            res.found = True
        if row is None:
            continue
        res.found = True
        res.anchors += 1
        sub, key = row
        allowed = _ACTIVE_ALLOWED.get(sub, set())
        use_cols = [c for c in cols if c in allowed] if cols else []
        if cols and len(use_cols) != len(cols):
            use_cols = []  # header belongs to another sub-table
        if not use_cols:
            use_cols = _default_active_cols(sub, fmt_votes)
        if seg.values:
            cols_used = True
        vrow = res.values.setdefault(sub, {}).setdefault(key, {})
        rrow = res.raw.setdefault(sub, {}).setdefault(key, {})
        for col, raw in zip(use_cols, seg.values):
            vrow[col] = cell_value(raw, col)
            rrow[col] = "" if raw == vocab.EMPTY_TOKEN else raw
    if fmt_votes["2021"] > fmt_votes["2019"]:
        res.fmt = "2021"
    elif fmt_votes["2019"] > fmt_votes["2021"]:
        res.fmt = "2019"
    elif "art20_9" in res.values or any(
            r in res.values.get("art20_5", {}) for r in ("other_services",)):
        res.fmt = "2019"
    return res


def _default_active_cols(sub: str, votes: dict) -> list[str]:
    fmt = "2021" if votes["2021"] >= votes["2019"] and votes["2021"] else ("2019" if votes["2019"] else None)
    if fmt is None:
        return []
    spec = vocab.ACTIVE_EXPECTED[fmt].get(sub)
    return list(spec[1]) if spec else []


# ------------------------------------------------------------------ table 三
def _app_col(norm: str):
    return _match(vocab.APP_COL_RULES, strip_notes(norm) or norm)


def _app_row(norm: str, group: str | None, last: bool, has_values: bool):
    s = strip_notes(norm)
    if group == "other" and vocab.APP_OTHER_OTHER_RE.match(norm.replace("(", "").replace(")", "")):
        return "other_other"
    if vocab.APP_OTHER_OTHER_RE.match(s) and group == "other":
        return "other_other"
    key = _match(vocab.APP_ROW_RULES, norm)
    if key is None:
        key = _match(vocab.APP_ROW_RULES, s) if s else None
    return key


def read_applications(segs: list[Segment]) -> TableResult:
    res = TableResult()
    header: list[tuple[int, str]] = []  # (position, column key or "#org")
    started = False
    group: str | None = None
    cols: list[str] | None = None
    frag = _Frag(_app_header_key)
    prev = ""
    for seg in segs:
        row = None
        labels = seg.labels
        for i, lab in enumerate(labels):
            n = norm_label(lab)
            last = i == len(labels) - 1
            key = _app_row(n, group, last, bool(seg.values)) if len(n) <= 70 else None
            if key == "other" and not (last and seg.values):
                group = "other"  # 2021: (六)其他处理 spans its three sub-rows
                res.found = True
                continue
            if key is None and prev and len(prev) <= 24 and len(n) <= 24:
                key = _app_row(prev + n, group, last, bool(seg.values))  # label broken across lines
                if key == "other" and not (last and seg.values):
                    key = None
            prev = n if key is None else ""
            if key and not started:
                # before the rows begin only the first rows or a label carrying values
                # start them (a header word like 总计 or a sentence must not)
                if not ((last and seg.values) or key in vocab.APP_HEAD_ROWS) or (
                        key == "results_total" and strip_notes(n) in ("总计", "合计")):
                    key = None
            if key:
                started = True
                res.found = True
                row = key
                if key in vocab.APP_OTHER_2021:
                    group = "other"
                continue
            if not started:
                _app_header(lab, n, header, res, frag)
                continue
            if "不予公开" in n:
                group = "withheld"
            elif "无法提供" in n:
                group = "unavailable"
            elif "不予处理" in n:
                group = "not_processed"
        if row is None:
            continue
        if cols is None:
            cols = _app_columns(header)
        vrow = res.values.setdefault(row, {})
        rrow = res.raw.setdefault(row, {})
        for col, raw in zip(cols, seg.values):
            if col in vrow:
                continue
            vrow[col] = cell_value(raw, col)
            rrow[col] = "" if raw == vocab.EMPTY_TOKEN else raw
    if res.values:
        if any(k in res.values for k in vocab.APP_OTHER_2021):
            res.fmt = "2021"
        elif "other" in res.values:
            res.fmt = "2019"
    return res


def _app_header_key(pn: str):
    if len(pn) > 20:
        return None
    base = strip_notes(pn) or pn
    if vocab.APP_ORG_GROUP_RE.match(base):
        return "#org"
    return _app_col(pn)


def _app_header(lab: str, n: str, header: list, res: TableResult, frag: "_Frag") -> None:
    pieces = [n]
    if len(lab.split()) > 1:
        pieces = [norm_label(p) for p in lab.split()]
    for pn in pieces:
        c = frag.feed(pn)
        if c:
            header.append((len(header), c))
            if c != "total":
                res.found = True


def _app_columns(header: list[tuple[int, str]]) -> list[str]:
    leaves = [(p, k) for p, k in header if not k.startswith("#")]
    seen = []
    for p, k in leaves:
        if k not in [s[1] for s in seen]:
            seen.append((p, k))
    if len(seen) < 2:
        return list(vocab.APP_COLS)
    org = [p for p, k in header if k == "#org"]
    if org:
        gpos = org[0]
        keyed = []
        for idx, (p, k) in enumerate(seen):
            if k in vocab.APP_ORG_CHILDREN:
                keyed.append(((gpos, idx), k))
            else:
                keyed.append(((p, 0), k))
        keyed.sort()
        return [k for _, k in keyed]
    return [k for _, k in seen]


# ------------------------------------------------------------------ table 四
def _rl_header_key(n: str):
    g = _match(vocab.RL_GROUP_RULES, n)
    if g:
        return ("g", g)
    c = _match(vocab.RL_COL_RULES, n)
    return ("c", c) if c else None


def read_review(segs: list[Segment]) -> TableResult:
    res = TableResult()
    order: list[str] = []  # leaf groups (and "litigation" placeholder) in DFS order
    gcols: dict[str, list[str]] = {}
    values: list[str] = []
    header_labels = 0
    frag = _Frag(_rl_header_key)
    for seg in segs:
        if values and seg.labels and seg.prose_before:
            break
        before = header_labels
        for lab in seg.labels:
            parts = [lab]
            if len(lab.split()) > 1:
                parts = lab.split()
            for p in parts:
                n = strip_notes(norm_label(p)) or norm_label(p)
                if len(n) > 12:
                    continue
                hit = frag.feed(n)
                g = hit[1] if hit and hit[0] == "g" else None
                if g:
                    header_labels += 1
                    res.found = True
                    if g == "litigation":
                        if "litigation" not in order and not any(
                                x in order for x in ("litigation_direct", "litigation_after_review")):
                            order.append("litigation")
                    elif g == "review":
                        if "review" not in order:
                            order.append("review")
                    else:
                        if g not in order:
                            if "litigation" in order:
                                i = order.index("litigation")
                                order.insert(i, g)
                                if all(x in order for x in ("litigation_direct", "litigation_after_review")):
                                    order.remove("litigation")
                            else:
                                order.append(g)
                    continue
                c = hit[1] if hit and hit[0] == "c" else None
                if c:
                    header_labels += 1
                    target = None
                    for grp in order:
                        if grp == "litigation":
                            continue
                        if c not in gcols.setdefault(grp, []):
                            target = grp
                            break
                    if target is None:
                        # sub-columns seen before any group label
                        for grp in vocab.RL_GROUPS:
                            if c not in gcols.setdefault(grp, []):
                                target = grp
                                if grp not in order:
                                    order.append(grp)
                                break
                    if target:
                        gcols[target].append(c)
        if header_labels != before:
            values = list(seg.values)  # values start after the last header cell
        elif header_labels or res.found:
            values.extend(seg.values)
    if "litigation" in order:
        i = order.index("litigation")
        order[i:i + 1] = [g for g in ("litigation_direct", "litigation_after_review") if g not in order]
    for g in vocab.RL_GROUPS:
        if g not in order:
            order.append(g)
    slots = []
    for g in order:
        cs = list(gcols.get(g) or [])
        cs += [c for c in vocab.RL_COLS if c not in cs]  # unrecognised header cells: keep 5 slots
        slots.extend((g, c) for c in cs)
    if values:
        res.found = True
    for (g, c), raw in zip(slots, values):
        res.values.setdefault(g, {})[c] = cell_value(raw, c)
        res.raw.setdefault(g, {})[c] = "" if raw == vocab.EMPTY_TOKEN else raw
    return res
