"""Recognising the same report text: an exact digest of the normalised text, and simhash.

The normalised text drops everything that differs between two postings of one report
(whitespace, punctuation width, page furniture the extractor kept), so a county's repost of a
township's report, or a page and its attachment, share a digest. Simhash (64 bits over
character 4-grams) catches reposts with small differences: a Hamming distance of at most
``NEAR_BITS`` means near-duplicate.

Both cost CPU in proportion to the text. A crawl computes them in its read pool's workers
(``fingerprints``) and hands them to the process storing the report (``remember``), so the
store's thread (which shares the reactor's GIL) looks them up instead of computing them.
"""
from __future__ import annotations

import hashlib
import operator
import re
import threading
import unicodedata
from collections import Counter, OrderedDict

NEAR_BITS = 3
_DROP = re.compile(r"[\s\u3000\W_]+", re.UNICODE)
_SHINGLE = 4


def normalise(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def text_digest(text: str) -> str | None:
    known = _recall(text)
    if known is not None:
        return known[0]
    return _digest_of(normalise(text))


def fingerprints(text: str) -> tuple[str, str | None, int | None]:
    """(key of the text, text_digest, simhash): computed where the text was read, for ``remember``."""
    norm = normalise(text)  # once for both
    return _key(text), _digest_of(norm), _simhash_of(norm)


def _digest_of(norm: str) -> str | None:
    return hashlib.sha256(norm.encode("utf-8")).hexdigest() if norm else None


_MEMO_SIZE = 4096
_memo: OrderedDict[str, tuple[str | None, int | None]] = OrderedDict()
_memo_lock = threading.Lock()


def _key(text: str) -> str:
    return hashlib.sha256((text or "").encode("utf-8", "surrogatepass")).hexdigest()


def remember(key: str, digest: str | None, sh: int | None) -> None:
    """Keep a text's digest and simhash (from ``fingerprints``) until it is stored; the oldest
    go first past a few thousand (a text never stored costs only its slot)."""
    with _memo_lock:
        _memo[key] = (digest, sh)
        _memo.move_to_end(key)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)


def _recall(text: str) -> tuple[str | None, int | None] | None:
    if not _memo:
        return None
    with _memo_lock:
        return _memo.get(_key(text))


def simhash(text: str) -> int | None:
    """64-bit simhash as a signed integer (fits a BIGINT column); None for empty text."""
    known = _recall(text)
    if known is not None:
        return known[1]
    return _simhash_of(normalise(text))


# For each bit position of a byte, the byte values that have that bit set.
_WITH_BIT = [operator.itemgetter(*[b for b in range(256) if b & (1 << i)]) for i in range(8)]


def _simhash_of(norm: str) -> int | None:
    if len(norm) < _SHINGLE:
        return None
    # how often each character 4-gram occurs (Counter counts an iterable in C)
    seen = Counter(norm[i : i + _SHINGLE] for i in range(len(norm) - _SHINGLE + 1))
    # Bit b of the simhash is set when the grams whose hash has bit b set outweigh the others.
    # Rather than 64 tests a gram, each of the hash's 8 bytes adds the gram's weight to its
    # byte value's tally; a bit's weight is then the sum of the 128 tallies of the byte values
    # that have it set (summed in C). The hash is big-endian: its last byte holds bits 0-7.
    cols = [[0] * 256 for _ in range(8)]
    c0, c1, c2, c3, c4, c5, c6, c7 = cols
    blake = hashlib.blake2b
    for gram, n in seen.items():
        d = blake(gram.encode("utf-8"), digest_size=8).digest()
        c0[d[0]] += n; c1[d[1]] += n; c2[d[2]] += n; c3[d[3]] += n  # noqa: E702
        c4[d[4]] += n; c5[d[5]] += n; c6[d[6]] += n; c7[d[7]] += n  # noqa: E702
    total = len(norm) - _SHINGLE + 1
    value = 0
    for pos, col in enumerate(cols):
        for i, with_bit in enumerate(_WITH_BIT):
            if 2 * sum(with_bit(col)) > total:
                value |= 1 << (8 * (7 - pos) + i)
    return value - (1 << 64) if value >= (1 << 63) else value


def distance(a: int, b: int) -> int:
    return bin((a ^ b) & ((1 << 64) - 1)).count("1")


def near_duplicate(a: int | None, b: int | None, bits: int = NEAR_BITS) -> bool:
    return a is not None and b is not None and distance(a, b) <= bits
