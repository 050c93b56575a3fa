"""Tolerant matching of table labels against the official vocabulary.

Real reports carry typos in their table labels (本年废纸件数 for 本年废止件数, 先行有效件数
for 现行有效件数, 行政法复议 for 行政复议) and labels cut short by extraction (本年增/).
Exact patterns (``vocab``) are tried first; when none matches, a label is compared with
every official label of the place it sits in (table 二 rows / columns, table 三 rows /
columns, table 四 groups / columns) by edit distance.  It is taken only when it is close
to one key (similarity >= ``min_score``) *and* clearly closer to it than to any other key
(``margin`` over the runner-up); otherwise it stays unrecognised — an odd label never moves a
value to another column, at worst its row or column is not read.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

from .normalize import norm_label, strip_notes


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; stops early (returns ``limit + 1``) once it exceeds ``limit``."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        best = i
        for j, cb in enumerate(b, 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            cur.append(v)
            if v < best:
                best = v
        if limit is not None and best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def similarity(a: str, b: str) -> float:
    """1 - edit distance / length of the longer string (1.0 = equal)."""
    n = max(len(a), len(b))
    if n == 0:
        return 1.0
    return 1.0 - edit_distance(a, b) / n


def label_key(label: str) -> str:
    """A label reduced for comparison: normalised, notes and list numbering removed."""
    n = norm_label(label)
    return strip_notes(n) or n


class Vocabulary:
    """Official labels → keys, matched tolerantly.

    ``entries`` are (label, key) pairs; several labels may share a key (variants).
    Labels shorter than ``min_len`` characters are matched exactly only (规章, 总计, 其他:
    one changed character in two is another word).
    """

    def __init__(self, entries, *, min_score: float = 0.75, margin: float = 0.15,
                 min_len: int = 4, max_len: int = 40):
        self.entries = [(label_key(lab), key) for lab, key in entries]
        self.min_score = min_score
        self.margin = margin
        self.min_len = min_len
        self.max_len = max_len
        self._counts = [Counter(lab) for lab, _ in self.entries]
        self.match = lru_cache(maxsize=4096)(self._match)

    def _match(self, label: str):
        s = label_key(label)
        if not s or len(s) > self.max_len:
            return None
        scores: dict = {}
        cs = Counter(s)
        for (lab, key), cnt in zip(self.entries, self._counts):
            if lab == s:
                return key
            n = max(len(lab), len(s))
            if len(lab) < self.min_len or len(s) < self.min_len:
                continue
            # shared characters bound the similarity from above (d >= n - shared): an entry
            # that cannot reach min_score - margin can be neither the match nor its rival
            floor = self.min_score - self.margin
            if sum((cs & cnt).values()) / n < floor - 1e-9:
                continue
            d = edit_distance(s, lab, int(n * (1 - floor)) + 1)
            sc = 1.0 - d / n
            if sc > scores.get(key, -1.0):
                scores[key] = sc
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        best_key, best = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= self.min_score - 1e-9 and best - runner >= self.margin - 1e-9:
            return best_key
        return None
