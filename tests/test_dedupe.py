"""Bodies the store already read are not read again, and the store is asked per body, never
loaded whole into a crawler (issue 12: memory flat in the store's size)."""
from __future__ import annotations

import datetime as dt

from harvester.extraction import EXTRACTOR_VERSION
from harvester.items import PageItem
from harvester.parser import PARSER_VERSION
from pipelines.dedupe import KnownContentPipeline
from storage.database import open_database, sqlite_url
from storage.models import Content


def _item(kind="article", status=200, sha="a" * 64, failure=None) -> PageItem:
    return PageItem(portal_id="p", url="http://127.0.0.1/x.html", kind=kind, status=status, headers={}, body=b"",
                    fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), archive={"sha256": sha},
                    failure=failure)


def _run(coro):
    """Drive a coroutine that does not wait on anything (the items the pipeline lets through)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the pipeline waited on the store for an item it does not need to look up")


def test_a_body_is_known_only_when_read_by_the_current_extractor_and_parser(tmp_path):
    url = sqlite_url(tmp_path / "h.db")
    db = open_database(url)
    with db.session() as s:
        s.add(Content(sha256="a" * 64, size=1, extractor_version=EXTRACTOR_VERSION, parser_version=PARSER_VERSION))
        s.add(Content(sha256="b" * 64, size=1, extractor_version="old", parser_version=PARSER_VERSION))
    pipe = KnownContentPipeline(url)
    assert pipe.is_known("a" * 64)
    assert not pipe.is_known("b" * 64)  # read by an older extractor: read again
    assert not pipe.is_known("c" * 64)
    assert not hasattr(pipe, "known")  # nothing of the store is held in the crawler


def test_pages_that_are_not_read_are_not_looked_up(tmp_path):
    pipe = KnownContentPipeline(sqlite_url(tmp_path / "absent.db"))  # never opened
    for item in (_item(kind="listing"), _item(status=404), _item(failure="too large"), _item(sha="")):
        assert _run(pipe.process_item(item)) is item and not item.known_content


def test_a_store_that_cannot_answer_loses_no_page(tmp_path, monkeypatch):
    # A lookup that fails (the store busy past its timeout, a connection cut) used to raise out of
    # process_item: Scrapy drops such an item, so the page's capture never reached the store and
    # the run recorded no error for it. The page is read instead, and goes on to the store.
    from twisted.internet import defer, threads

    monkeypatch.setattr(threads, "deferToThread", lambda f, *a: defer.maybeDeferred(f, *a))
    pipe = KnownContentPipeline(sqlite_url(tmp_path / "no" / "such" / "dir" / "h.db"))
    item = _item()
    assert _run(pipe.process_item(item)) is item
    assert item.known_content is False
