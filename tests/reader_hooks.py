"""Readers for the read pool's tests: the real reader, except on a marked document, where the
worker process dies at once (as a parser segfault or an OOM kill would end it)."""
from __future__ import annotations

import os

KILL_MARK = b"<!-- this document kills its reader -->"


def read_or_die(body: bytes, url=None, content_type=None) -> dict:
    if KILL_MARK in body:
        os._exit(70)
    from harvester.extraction import read_page

    return read_page(body, url, content_type)


def read_or_raise(body: bytes, url=None, content_type=None) -> dict:
    if KILL_MARK in body:
        raise RuntimeError("a bug in a reader")
    from harvester.extraction import read_page

    return read_page(body, url, content_type)


HANG_MARK = b"<!-- this document hangs its reader -->"


def read_hang_or_die(body: bytes, url=None, content_type=None) -> dict:
    """A reader stuck for good on one document (a parser in an endless loop), dying on another."""
    if HANG_MARK in body:
        import time

        while True:
            time.sleep(1)
    return read_or_die(body, url, content_type)


SPIN_MARK = b"<!-- this document sends its reader into an endless loop -->"


def read_spin_or_read(body: bytes, url=None, content_type=None) -> dict:
    """A parser in an endless loop on one document (burning CPU, as a runaway regex would)."""
    if SPIN_MARK in body:
        n = 0
        while True:
            n += 1
    from harvester.extraction import read_page

    return read_page(body, url, content_type)
