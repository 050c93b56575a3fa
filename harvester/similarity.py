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
    weights = [0] * 64
    seen: dict[str, int] = {}
    for i in range(len(norm) - _SHINGLE + 1):
        g = norm[i : i + _SHINGLE]
        seen[g] = seen.get(g, 0) + 1
    for gram, n in seen.items():
        h = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += n if (h >> bit) & 1 else -n
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return value - (1 << 64) if value >= (1 << 63) else value


def distance(a: int, b: int) -> int:
    return bin((a ^ b) & ((1 << 64) - 1)).count("1")


def near_duplicate(a: int | None, b: int | None, bits: int = NEAR_BITS) -> bool:
    return a is not None and b is not None and distance(a, b) <= bits
