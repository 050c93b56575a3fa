"""Helpers for tests that call a spider's callbacks directly."""
from __future__ import annotations

from scrapy.exceptions import CloseSpider


def run(gen):
    """Everything a callback yields, stopping (and keeping the items) at CloseSpider."""
    out = []
    try:
        for x in gen:
            out.append(x)
    except CloseSpider as exc:
        out.append(exc)
    return out
