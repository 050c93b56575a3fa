"""Recognising the same report text: an exact digest of the normalised text, and simhash.

The normalised text drops everything that differs between two postings of one report
(whitespace, punctuation width, page furniture the extractor kept), so a county's repost of a
township's report, or a page and its attachment, share a digest. Simhash (64 bits over
character 4-grams) catches reposts with small differences: a Hamming distance of at most
``NEAR_BITS`` means near-duplicate.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

NEAR_BITS = 3
_DROP = re.compile(r"[\s\u3000\W_]+", re.UNICODE)
_SHINGLE = 4


def normalise(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def text_digest(text: str) -> str | None:
    norm = normalise(text)
    return hashlib.sha256(norm.encode("utf-8")).hexdigest() if norm else None


def simhash(text: str) -> int | None:
    """64-bit simhash as a signed integer (fits a BIGINT column); None for empty text."""
    norm = normalise(text)
    if len(norm) < _SHINGLE:
        return None
    seen: dict[str, int] = {}
    for i in range(len(norm) - _SHINGLE + 1):
        g = norm[i : i + _SHINGLE]
        seen[g] = seen.get(g, 0) + 1
    # Bit b of the simhash is set when the grams whose hash has bit b set outweigh the others.
    # Rather than 64 tests a gram, each of the hash's 8 bytes adds the gram's weight to its
    # byte value's tally; the bits are summed from the 8 × 256 tallies at the end (6× faster).
    # The hash is big-endian: its last byte holds bits 0-7.
    cols = [[0] * 256 for _ in range(8)]
    c0, c1, c2, c3, c4, c5, c6, c7 = cols
    total = 0
    blake = hashlib.blake2b
    for gram, n in seen.items():
        d = blake(gram.encode("utf-8"), digest_size=8).digest()
        c0[d[0]] += n; c1[d[1]] += n; c2[d[2]] += n; c3[d[3]] += n  # noqa: E702
        c4[d[4]] += n; c5[d[5]] += n; c6[d[6]] += n; c7[d[7]] += n  # noqa: E702
        total += n
    value = 0
    for pos, col in enumerate(cols):
        for i in range(8):
            mask = 1 << i
            if 2 * sum(w for b, w in enumerate(col) if b & mask) > total:
                value |= 1 << (8 * (7 - pos) + i)
    return value - (1 << 64) if value >= (1 << 63) else value


def distance(a: int, b: int) -> int:
    return bin((a ^ b) & ((1 << 64) - 1)).count("1")


def near_duplicate(a: int | None, b: int | None, bits: int = NEAR_BITS) -> bool:
    return a is not None and b is not None and distance(a, b) <= bits
