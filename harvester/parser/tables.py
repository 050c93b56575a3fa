"""Read the three statistical tables from lines of a report section.

Lines are cut into tokens (labels and values); consecutive labels followed by
consecutive values make a *segment*.  Each table reader maps segments to
rows and columns by their labels — captions, header cells and row labels —
never by their position in the page.  The same code reads HTML grids (one
line per row, cells joined by TAB) and flattened text (one cell per line,
header cells broken across lines, 15 numbers on one line), including the pipe
tables of text extractions (with or without a leading pipe, one cell per line
ending in " |", rows opened by a lone "|").

A row's values map one to one onto its columns.  When they cannot (a count
mismatch anywhere but where a cut-off text ends, a header in an impossible
order, digits that ran together and split several ways) the row is null and
``TableResult.issues`` says why: a value is never guessed into a column.
Labels are matched by pattern first, then tolerantly (``fuzzy``); digit runs
are split under the table's arithmetic (``runsplit``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from harvester import reportformat as rf

from . import vocab
from .fuzzy import Vocabulary
from .normalize import cell_value, is_run, is_value, norm_label, strip_notes
from .runsplit import split_row

MAX_LABEL_CHARS = 80  # longer label tokens are prose, not table cells


@dataclass
class Segment:
    labels: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    prose_before: bool = False
    prose_after: bool = False   # prose follows: the table did not stop because the text did


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


def _split_piece(raw: str, out: list[str], text: bool = False) -> None:
    """Cut one line (or one cell) into label and value tokens.  ``text``: a line of plain
    text (not a TAB or pipe cell), where cells may have run together."""
    s = raw.strip(" \t")
    if not s.strip():
        if s:  # an ideographic space standing for a blank cell
            out.append(vocab.EMPTY_TOKEN)
        return
    if text and s.isdigit() and (len(s) > 12 or len(s) > 1 and s[0] == "0"):
        out.append(vocab.RUN_MARK + s)  # "000", "100011000110000000": cells ran together
        return
    if is_value(s):
        out.append(s)
        return
    if text and _unglue(s, out):
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
    if len(tok) >= 36 and ("，" in tok or "," in tok):
        # a header or label cell with a long note in brackets is not prose:
        # 本年增/减（指与上年相比增加或减少的事项数，减少的以负数表示，如-8）
        base = strip_notes(norm_label(tok))
        return not (base and len(base) <= 20 and len(base) < len(norm_label(tok)))
    return False


_PIPE_SEP_RE = re.compile(r"^\|?\s*:?-{3,}")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")
_UNIT_AFTER = "件项個个条條宗次份部起家元万萬亿億年月日号號%％"


def _is_pipe_line(line: str) -> bool:
    """A Markdown-ish table line as text extraction writes it: ``| a | b |``, ``a | b |``
    (no leading pipe), ``a |`` (one cell per line) or a lone ``|`` (a row start or blank cell)."""
    t = line.strip()
    if "|" not in t:
        return False
    return t[0] == "|" or t[-1] == "|" or " | " in t


def _is_lone_pipe(line: str) -> bool:
    t = line.strip()
    return bool(t) and not t.replace("|", "").strip()


def _pipe_row(line: str, out: list[str]) -> None:
    """One line of a pipe table.  Merged cells are padded with empty cells, in place (after
    the merged cell) or at the row's end, depending on the extractor: trailing empty cells
    are never blanks, and an empty cell counts as a blank only after the row's first value.
    (A blank first data cell is thus lost; the row then has too few values and is left
    null rather than shifted, see ``_place_row``.)"""
    s = line.strip()
    if _PIPE_SEP_RE.match(s):
        return
    cells = [c.strip() for c in s.split("|")]
    if s.startswith("|"):
        cells = cells[1:]
    while cells and not cells[-1]:
        cells.pop()
    first = next((i for i, c in enumerate(cells) if c and is_value(c)), None)
    for i, c in enumerate(cells):
        if c:
            _split_piece(c, out)
        elif first is not None and i > first:
            out.append(vocab.EMPTY_TOKEN)


def _looks_table_label(part: str) -> bool:
    n = norm_label(part)
    if not n or len(n) > 70:
        return False
    if vocab.CAPTION_RE.search(n):
        return True
    s = strip_notes(n) or n
    if _active_row(n) or _match(vocab.APP_ROW_RULES, n) or _match(vocab.RL_GROUP_RULES, s) \
            or vocab.APP_OTHER_OTHER_RE.match(n):
        return True
    return bool(_ACTIVE_COL_ANY_RE.search(s))


def _unglue(s: str, out: list[str]) -> bool:
    """Cells that ran together in a text extraction (``规章 000行政规范性文件693665``):
    cut digit runs away from the labels they are glued to.  Only for a piece that is not
    prose and carries a table label; list numbers (1.), dates (2021年) and counts with a unit
    (3件) stay inside their label.  Returns False when nothing was cut."""
    if len(s) > 300 or "。" in s or not _CJK_RE.search(s):
        return False
    cuts = []
    for m in _DIGITS_RE.finditer(s):
        a, b = m.span()
        before = s[a - 1] if a else ""
        after = s[b] if b < len(s) else ""
        if after and (after in ".、)）．:：-—/" or after in _UNIT_AFTER or after.isascii() and not after.isspace()):
            continue
        if before and (before in "第(（-—/:：,，" or before.isascii() and not before.isspace()
                       and before not in ")\""):
            continue
        glued = bool(before and _CJK_RE.match(before) or after and _CJK_RE.match(after)
                     or before in ")）”\"")
        lead_zero = len(m.group()) > 1 and m.group()[0] == "0" and "." not in m.group()
        if not (glued or lead_zero):
            continue
        cuts.append((a, b))
    if not cuts:
        return False
    labels = []
    pos = 0
    for a, b in cuts:
        labels.append(s[pos:a])
        pos = b
    labels.append(s[pos:])
    if not any(_looks_table_label(p) for p in labels if p.strip()):
        return False
    pos = 0
    for a, b in cuts:
        lab = s[pos:a].strip()
        if lab:
            out.append(lab)
        run = s[a:b]
        out.append(run if "." in run else vocab.RUN_MARK + run)
        pos = b
    tail = s[pos:].strip()
    if tail:
        out.append(tail)
    return True


def tokenize(lines: list[str]) -> list[str]:
    out: list[str] = []
    # A pipe table whose first line is a lone "|" opens every row with one (cells on their
    # own lines: "|" / " 规章 | " / " 0 | " …).  There a lone pipe at the line's start is a
    # row start, one after a space a blank cell; of k row starts in a run (nothing between
    # them) the first k-1 were blank cells.  Elsewhere a lone pipe is one blank cell
    # ("0 |" / "|" / "0 |").
    first_pipe = next((ln for ln in lines if ln != vocab.EMPTY_TOKEN and _is_pipe_line(ln)), None)
    row_starts = first_pipe is not None and _is_lone_pipe(first_pipe)
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line == vocab.EMPTY_TOKEN:
            out.append(line)
            i += 1
            continue
        if _is_pipe_line(line):
            if _is_lone_pipe(line):
                j = i
                while j < n and lines[j] != vocab.EMPTY_TOKEN and _is_lone_pipe(lines[j]):
                    j += 1
                k = j - i
                if row_starts:
                    bare = sum(1 for x in lines[i:j] if x[:1] == "|")
                    if bare and j < n:
                        k -= 1
                out.extend([vocab.EMPTY_TOKEN] * k)
                i = j
                continue
            _pipe_row(line, out)
            i += 1
            continue
        i += 1
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
            _split_piece(line, out, text=True)
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
            if segs:
                segs[-1].prose_after = True
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
    """Joins header cells that extraction broke across lines (本年新 / 制作数量): the recent
    unmatched pieces are tried with the new one, longest join first (法人 / 或其他组织 after
    a note line that matched nothing)."""

    def __init__(self, match):
        self.match = match
        self.pieces: list[str] = []

    @property
    def frag(self) -> str:
        return "".join(self.pieces)

    @frag.setter
    def frag(self, value: str) -> None:
        self.pieces = [value] if value else []

    def feed(self, n: str):
        for j in range(len(self.pieces), 0, -1):
            joined = "".join(self.pieces[-j:]) + n
            if len(joined) > 40:
                continue
            k = self.match(joined)
            if k:
                self.pieces = []
                return k
        k = self.match(n)
        if k:
            self.pieces = []
            return k
        self.pieces = (self.pieces + [n])[-3:] if len(n) <= 24 else []
        return None


def _match(rules, text):
    for rx, key in rules:
        if rx.search(text):
            return key
    return None


# ------------------------------------------------------------------ matching
_ACTIVE_COL_VOCAB = Vocabulary(vocab.ACTIVE_COL_LABELS)
# Row labels are matched tolerantly from five characters on: a four-character row label
# with one character changed is as likely another row (行政确认, 行政检查 are province extras)
# as a typo, and a value in the wrong row is worse than an unread one.
_ACTIVE_ROW_VOCAB = Vocabulary(vocab.ACTIVE_ROW_LABELS, min_len=5)
_APP_COL_VOCAB = Vocabulary(vocab.APP_COL_LABELS)
_APP_ROW_VOCAB = Vocabulary(vocab.APP_ROW_LABELS, min_len=5)
_RL_GROUP_VOCAB = Vocabulary(vocab.RL_GROUP_LABELS)
_RL_COL_VOCAB = Vocabulary(vocab.RL_COL_LABELS)
_ACTIVE_COL_ANY_RE = re.compile("|".join("(?:%s)" % rx.pattern for rx, _k in vocab.ACTIVE_COLS))


def _scan(text: str, rules) -> list[str]:
    """Every label of ``rules`` inside ``text``, in order, without overlaps (a header whose
    cells ran together: 信息内容本年制发件数本年废止件数现行有效件数)."""
    hits = []
    for rx, key in rules:
        for m in rx.finditer(text):
            hits.append((m.start(), -(m.end() - m.start()), m.end(), key))
    hits.sort()
    out, pos = [], -1
    for a, _neg, b, key in hits:
        if a >= pos:
            out.append(key)
            pos = b
    return out


# ------------------------------------------------------------------ table 二
def _active_row(norm: str):
    s = strip_notes(norm)
    for rx, sub, key in vocab.ACTIVE_ROWS:
        if rx.search(s):
            return sub, key
    if 4 <= len(s) <= 16:
        return _ACTIVE_ROW_VOCAB.match(s)
    return None


def _active_col(norm: str):
    s = strip_notes(norm) or norm
    if len(s) > 30:
        return None
    k = _match(vocab.ACTIVE_COLS, s)
    if k is None and len(s) <= 16:
        k = _ACTIVE_COL_VOCAB.match(s)
    return k


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
    issues: list = field(default_factory=list)   # rows left null, and why (record: table_issues)


def _set_cells(res: TableResult, path: tuple, cols, raws) -> None:
    vrow, rrow = res.values, res.raw
    for k in path:
        vrow = vrow.setdefault(k, {})
        rrow = rrow.setdefault(k, {})
    for col, raw in zip(cols, raws):
        if col in vrow:
            continue
        raw = raw[1:] if is_run(raw) else raw
        vrow[col] = cell_value(raw, col)
        rrow[col] = "" if raw == vocab.EMPTY_TOKEN else raw


def _issue(res: TableResult, table: str, path: tuple, issue: str, detail: str) -> None:
    res.issues.append({"table": table, "row": ".".join(path), "issue": issue, "detail": detail})


def _place_row(res: TableResult, table: str, path: tuple, cols: list[str], vals: list[str],
               cut: bool, *, check=None, group_checks=None, defer=None) -> None:
    """Map one row's value tokens to its columns, or leave the row null and say why.

    Values map to columns one to one.  A row that ends where the text ends (cut off) keeps
    its leading cells.  A row with no values at all before the next row is blank (null).  Any
    other count mismatch leaves the whole row null: a value is never guessed into a column.
    Digit runs (cells that ran together) are split by ``runsplit`` under the table's rules;
    ``defer`` receives ambiguous splits to settle with the cross-row rules."""
    k = len(cols)
    if not k:
        return
    if any(is_run(v) for v in vals):
        if k == 1 and len(vals) == 1:
            _set_cells(res, path, cols, vals)
            return
        pieces = [v[1:] if is_run(v) else ("" if v == vocab.EMPTY_TOKEN else v) for v in vals]
        fixed = [not is_run(v) for v in vals]
        if any(f and p and not p.isdigit() for f, p in zip(fixed, pieces)):
            check = group_checks = None  # non-count cells: no arithmetic to lean on
        sp = split_row(pieces, k, fixed=fixed, check=check, group_checks=group_checks)
        if sp.unique is not None:
            _set_cells(res, path, cols, [c if c else vocab.EMPTY_TOKEN for c in sp.unique])
            _issue(res, table, path, "run_split", sp.reason())
            return
        if defer is not None and sp.exhausted and len(sp.candidates) > 1:
            defer(path, cols, sp)
            return
        _set_cells(res, path, cols, [vocab.EMPTY_TOKEN] * k)
        _issue(res, table, path, "run_not_split", sp.reason())
        return
    n = len(vals)
    if n == k:
        _set_cells(res, path, cols, vals)
    elif n == 0:
        if not cut:
            _set_cells(res, path, cols, [vocab.EMPTY_TOKEN] * k)
    elif n < k:
        if cut:
            _set_cells(res, path, cols, vals)
        else:
            _set_cells(res, path, cols, [vocab.EMPTY_TOKEN] * k)
            _issue(res, table, path, "columns_uncertain",
                   "%d value(s) under %d column(s): which column a value belongs to is unknown" % (n, k))
    else:
        if all(v == vocab.EMPTY_TOKEN for v in vals[k:]):
            _set_cells(res, path, cols, vals[:k])
        else:
            _set_cells(res, path, cols, [vocab.EMPTY_TOKEN] * k)
            _issue(res, table, path, "columns_uncertain",
                   "%d values under %d column(s): which column a value belongs to is unknown" % (n, k))


def _header_keys(lab: str, n: str, match, rules) -> list[str]:
    """Column keys of one header token: several cells separated by spaces or run together."""
    parts = lab.split()
    if len(parts) > 1:
        ks = [match(norm_label(p)) for p in parts]
        ks = [k for k in ks if k]
        if len(ks) >= 2:
            return ks
    if len(n) > 6:
        ks = _scan(strip_notes(n) or n, rules)
        if len(ks) >= 2:
            return ks
    return []


def read_active(segs: list[Segment], at_end: bool = True) -> TableResult:
    res = TableResult()
    cols: list[str] = []
    cols_used = False
    frag = _Frag(_active_col)
    fmt_votes = {"2021": 0, "2019": 0}
    prev = ""

    def use_cols_for(sub):
        allowed = _ACTIVE_ALLOWED.get(sub, set())
        use = [c for c in cols if c in allowed] if cols else []
        if cols and len(use) != len(cols):
            use = []  # header belongs to another sub-table
        return use or _default_active_cols(sub, fmt_votes)

    def blank_row(row):
        sub, key = row
        _place_row(res, "active_disclosure", (sub, key), use_cols_for(sub), [], False)

    for si, seg in enumerate(segs):
        cut = at_end and si == len(segs) - 1 and not seg.prose_after
        row = None
        for lab in seg.labels:
            n = norm_label(lab)
            cap = vocab.CAPTION_RE.search(n)
            if cap:
                if row:
                    blank_row(row)  # a row label with no cells before the next caption
                res.found = True
                res.anchors += 1
                if cap.group(1) == "九":
                    fmt_votes["2019"] += 1
                cols, cols_used, row = [], False, None
                frag.frag = ""
                continue
            r = _active_row(n)
            if r is None and prev and len(prev) <= 12:
                r = _active_row(prev + n)  # a row label broken across lines
            if r:
                if row and row != r:
                    blank_row(row)  # the previous row label had no cells
                row = r
                frag.frag = ""
                prev = ""
                continue
            prev = n
            keys = _header_keys(lab, n, _active_col, vocab.ACTIVE_COLS)
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
        if seg.values:
            cols_used = True
        _place_row(res, "active_disclosure", (sub, key), use_cols_for(sub), seg.values, cut)
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
    s = strip_notes(norm) or norm
    k = _match(vocab.APP_COL_RULES, s)
    if k is None and 4 <= len(s) <= 12:
        k = _APP_COL_VOCAB.match(s)
        if k == "#org":
            k = None
    return k


def _app_row(norm: str, group: str | None, last: bool, has_values: bool):
    s = strip_notes(norm)
    if group == "other" and vocab.APP_OTHER_OTHER_RE.match(norm.replace("(", "").replace(")", "")):
        return "other_other"
    if vocab.APP_OTHER_OTHER_RE.match(s) and group == "other":
        return "other_other"
    key = _match(vocab.APP_ROW_RULES, norm)
    if key is None:
        key = _match(vocab.APP_ROW_RULES, s) if s else None
    if key is None and s and 4 <= len(s) <= 40:
        key = _APP_ROW_VOCAB.match(s)
    return key


def _r1_check(cols):
    """R1 on one row of table 三 (total = sum of the six applicant columns), for splits."""
    if sorted(cols) != sorted(rf.APP_COLS):
        return None
    ti = cols.index("total")
    others = [i for i in range(len(cols)) if i != ti]

    def check(cells):
        if any(not cells[i] for i in range(len(cells))):
            return True  # a blank operand: the rule is uncertain, not failed
        return int(cells[ti]) == sum(int(cells[i]) for i in others)
    return check


def read_applications(segs: list[Segment], at_end: bool = True) -> TableResult:
    res = TableResult()
    header: list[tuple[int, str]] = []  # (position, column key or "#org")
    started = False
    group: str | None = None
    cols: list[str] | None = None
    frag = _Frag(_app_header_key)
    prev = ""
    other_pending = False
    deferred: list = []

    def columns():
        nonlocal cols
        if cols is None:
            cols = _app_columns(header)
        return cols

    def place(row, vals, cut):
        c = columns()
        if not _plausible_app_cols(c):
            if not (cut and not vals):
                _set_cells(res, (row,), c, [vocab.EMPTY_TOKEN] * len(c))
                _issue(res, "applications", (row,), "columns_uncertain",
                       "the applicant columns' header is not in a known order")
            return
        _place_row(res, "applications", (row,), c, vals, cut, check=_r1_check(c),
                   defer=lambda path, cs, sp: deferred.append((path, cs, sp)))

    for si, seg in enumerate(segs):
        cut = at_end and si == len(segs) - 1 and not seg.prose_after
        row = None
        labels = seg.labels
        for i, lab in enumerate(labels):
            n = norm_label(lab)
            last = i == len(labels) - 1
            key = _app_row(n, group, last, bool(seg.values)) if len(n) <= 70 else None
            if key == "other" and not (last and seg.values):
                # 2021: (六)其他处理 spans its three sub-rows; 2019: a row printed blank
                if row:
                    place(row, [], False)
                    row = None
                group = "other"
                other_pending = started
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
                if row and row != key:
                    place(row, [], False)  # the previous row label had no cells
                if other_pending and key not in vocab.APP_OTHER_2021 and key != "other":
                    place("other", [], False)  # 2019: (六)其他处理 printed without cells
                other_pending = False
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
        place(row, seg.values, cut)
    if deferred:
        _settle_app_splits(res, deferred)
    if res.values:
        if any(k in res.values for k in vocab.APP_OTHER_2021):
            res.fmt = "2021"
        elif "other" in res.values:
            res.fmt = "2019"
    return res


def _plausible_app_cols(cols: list[str]) -> bool:
    """The applicant columns in an order a real header gives: the five organisation columns
    side by side, 自然人 next to them, 总计 first or last.  Anything else means a header
    cell was not recognised (e.g. 法人或其他组织 broken oddly), and mapping by it would shift
    values."""
    children = [i for i, c in enumerate(cols) if c in vocab.APP_ORG_CHILDREN]
    if children and children != list(range(children[0], children[-1] + 1)):
        return False
    if "total" in cols and cols.index("total") not in (0, len(cols) - 1):
        return False
    if "natural_person" in cols and children:
        i = cols.index("natural_person")
        if i not in (children[0] - 1, children[-1] + 1):
            return False
    return True


def _settle_app_splits(res: TableResult, deferred) -> None:
    """Rows whose digit runs split several ways: keep the splits that the column rules R2
    and R3 allow, given the rows already read; repeat while that settles a row."""
    pending = {}
    for path, cols, sp in deferred:
        cands = [dict(zip(cols, (int(c) if c else None for c in cand))) for cand in sp.candidates]
        pending[path[0]] = (cols, cands)
    fmt_rows = vocab.APP_ROWS["2021"] if any(
        k in res.values or k in pending for k in vocab.APP_OTHER_2021) else vocab.APP_ROWS["2019"]
    result_rows = [r for r in fmt_rows if r not in ("new", "carried_over", "results_total", "carried_forward")]

    def known(row, col):
        v = res.values.get(row, {}).get(col)
        return v if isinstance(v, int) and row not in pending else None

    def ok(row, cand):
        for col, v in cand.items():
            if v is None:
                continue
            vals = {r: known(r, col) for r in ("new", "carried_over", "results_total", "carried_forward")}
            if row in vals:
                vals[row] = v
                if all(x is not None for x in vals.values()) and \
                        vals["new"] + vals["carried_over"] != vals["results_total"] + vals["carried_forward"]:
                    return False
            if row == "results_total" or row in result_rows:
                parts = {r: (v if r == row else known(r, col)) for r in result_rows}
                tot = v if row == "results_total" else known("results_total", col)
                if tot is not None and all(x is not None for x in parts.values()) and \
                        sum(parts.values()) != tot:
                    return False
        return True

    changed = True
    while changed:
        changed = False
        for row in list(pending):
            cols, cands = pending[row]
            keep = [c for c in cands if ok(row, c)]
            if len(keep) == 1:
                del pending[row]
                _set_cells(res, (row,), cols, ["" if keep[0][c] is None else str(keep[0][c]) for c in cols])
                for c in cols:  # "" marks a blank in _set_cells' raw; values are numbers here
                    if keep[0][c] is None:
                        res.values[row][c] = None
                _issue(res, "applications", (row,), "run_split",
                       "digits ran together; one split satisfies the table's row and column rules")
                changed = True
            else:
                pending[row] = (cols, keep)
    for row, (cols, cands) in pending.items():
        _set_cells(res, (row,), cols, [vocab.EMPTY_TOKEN] * len(cols))
        _issue(res, "applications", (row,), "run_not_split",
               "digits ran together and %d splits satisfy the table's rules" % len(cands)
               if cands else "digits ran together and no split satisfies the table's rules")


def _app_header_key(pn: str):
    if len(pn) > 20:
        return None
    base = strip_notes(pn) or pn
    if vocab.APP_ORG_GROUP_RE.match(base):
        return "#org"
    return _app_col(pn)


_APP_SCAN_RULES = [(re.compile(r"法(人|定代表人)(或|和|及)?其他组织"), "#org")] + [
    (re.compile(rx.pattern.strip("^$")), k) for rx, k in vocab.APP_COL_RULES]


def _app_header(lab: str, n: str, header: list, res: TableResult, frag: "_Frag") -> None:
    pieces = [n]
    if len(lab.split()) > 1:
        pieces = [norm_label(p) for p in lab.split()]
    elif len(n) > 6:
        keys = _scan(strip_notes(n) or n, _APP_SCAN_RULES)
        if len([k for k in keys if k != "#org"]) >= 2:
            for k in keys:
                header.append((len(header), k))
            res.found = True
            return
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
        return list(rf.APP_COLS)
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
    if c:
        return ("c", c)
    if 4 <= len(n) <= 10:
        g = _RL_GROUP_VOCAB.match(n)
        if g:
            return ("g", g)
        c = _RL_COL_VOCAB.match(n)
        if c:
            return ("c", c)
    return None


_RL_SCAN_RULES = [(re.compile(r"未经复议直接起诉|直接起诉"), ("g", "litigation_direct")),
                  (re.compile(r"复议后起诉"), ("g", "litigation_after_review")),
                  (re.compile(r"行政复议"), ("g", "review")), (re.compile(r"行政诉讼"), ("g", "litigation"))] + [
    (rx, ("c", k)) for rx, k in vocab.RL_COL_RULES[:4]] + [(re.compile(r"总计|合计"), ("c", "total"))]


def _r4_checks(slots):
    """Prefix checks for splitting table 四's 15 cells: each group's R4 once its cells are in."""
    checks = {}
    for g in rf.RL_GROUPS:
        idx = {c: i for i, (gg, c) in enumerate(slots) if gg == g}
        if set(idx) != set(rf.RL_COLS):
            continue
        end = max(idx.values()) + 1

        def check(cells, idx=idx):
            v = [cells[idx[c]] for c in rf.RL_COLS]
            if any(not x for x in v):
                return True
            return int(v[0]) + int(v[1]) + int(v[2]) + int(v[3]) == int(v[4])
        prev = checks.get(end)
        checks[end] = check if prev is None else (lambda cells, a=prev, b=check: a(cells) and b(cells))
    return checks


def read_review(segs: list[Segment], at_end: bool = True) -> TableResult:
    res = TableResult()
    order: list[str] = []  # leaf groups (and "litigation" placeholder) in DFS order
    gcols: dict[str, list[str]] = {}
    values: list[str] = []
    header_labels = 0
    frag = _Frag(_rl_header_key)
    last = -1  # the segment that gave the last values
    for si, seg in enumerate(segs):
        if values and seg.labels and seg.prose_before:
            break
        before = header_labels
        for lab in seg.labels:
            parts = [lab]
            if len(lab.split()) > 1:
                parts = lab.split()
            hits = []
            for p in parts:
                n = strip_notes(norm_label(p)) or norm_label(p)
                if 5 < len(n) <= 120:
                    scanned = _scan(n, _RL_SCAN_RULES)  # header cells that ran together
                    if len(scanned) >= 2:
                        hits.extend(scanned)
                        continue
                if len(n) > 12:
                    continue
                hits.append(frag.feed(n))
            for hit in hits:
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
                        for grp in rf.RL_GROUPS:
                            if c not in gcols.setdefault(grp, []):
                                target = grp
                                if grp not in order:
                                    order.append(grp)
                                break
                    if target:
                        gcols[target].append(c)
        if header_labels != before:
            values = list(seg.values)  # values start after the last header cell
            last = si if seg.values else last
        elif header_labels or res.found:
            values.extend(seg.values)
            last = si if seg.values else last
    if "litigation" in order:
        i = order.index("litigation")
        order[i:i + 1] = [g for g in ("litigation_direct", "litigation_after_review") if g not in order]
    for g in rf.RL_GROUPS:
        if g not in order:
            order.append(g)
    slots = []
    for g in order:
        cs = list(gcols.get(g) or [])
        cs += [c for c in rf.RL_COLS if c not in cs]  # unrecognised header cells: keep 5 slots
        slots.extend((g, c) for c in cs)
    if values:
        res.found = True
    cut = at_end and last == len(segs) - 1 and not segs[-1].prose_after
    if values and not any(is_run(v) for v in values) and len(values) != len(slots):
        extra_blank = all(v == vocab.EMPTY_TOKEN for v in values[len(slots):])
        if len(values) > len(slots) and extra_blank:
            values = values[:len(slots)]
        elif not (cut and len(values) < len(slots)):
            # a cell went missing somewhere (or came extra): its place is unknown
            res.issues.append({"table": "review_litigation", "row": "", "issue": "columns_uncertain",
                               "detail": "%d values under %d columns: which column a value belongs to "
                                         "is unknown" % (len(values), len(slots))})
            values = [vocab.EMPTY_TOKEN] * len(slots)
    if any(is_run(v) for v in values):
        pieces = [v[1:] if is_run(v) else ("" if v == vocab.EMPTY_TOKEN else v) for v in values]
        fixed = [not is_run(v) for v in values]
        sp = split_row(pieces, len(slots), fixed=fixed, group_checks=_r4_checks(slots))
        if sp.unique is not None:
            values = [c if c else vocab.EMPTY_TOKEN for c in sp.unique]
            res.issues.append({"table": "review_litigation", "row": "", "issue": "run_split",
                               "detail": sp.reason()})
        else:
            values = [vocab.EMPTY_TOKEN] * len(slots)
            res.issues.append({"table": "review_litigation", "row": "", "issue": "run_not_split",
                               "detail": sp.reason()})
    for (g, c), raw in zip(slots, values):
        res.values.setdefault(g, {})[c] = cell_value(raw, c)
        res.raw.setdefault(g, {})[c] = "" if raw == vocab.EMPTY_TOKEN else raw
    return res
