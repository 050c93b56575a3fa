"""The store links an attachment to its page and both to one report, whichever arrives first."""
from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest
from sqlalchemy import func, select

from harvester.extraction import read_page
from harvester.items import PageItem
from harvester.reportgen import make_truth, render
from pipelines.store import capture_of
from storage.database import open_database, sqlite_url
from storage.ingest import ingest_capture
from storage.models import Document, Portal, Report

BASE = "http://127.0.0.30:8000"
PAGE = BASE + "/xxgk/gknb/202501/t20250120_1.html"
DOCX = BASE + "/xxgk/gknb/202501/P020250120.docx"


def _item(url, kind, body, ctype, parent=None) -> PageItem:
    return PageItem(
        portal_id="p", url=url, kind=kind, status=200, headers={"Content-Type": ctype}, body=body,
        fetched_at=dt.datetime(2025, 1, 21, tzinfo=dt.timezone.utc),
        archive={"sha256": hashlib.sha256(body).hexdigest(), "size": len(body), "warc_file": "f.warc.gz", "offset": 0,
                 "length": len(body), "record_id": f"<urn:uuid:{hashlib.md5(body).hexdigest()}>"},
        content=read_page(body, url, ctype), parent_url=parent,
    )


@pytest.fixture(scope="module")
def items():
    truth = make_truth(random.Random(3), agency="某县人民政府办公室", year=2024, layout="2021", consistent=True)
    docx = render(truth, "docx", random.Random(4)).data
    title = truth["title"]
    html = (f'<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}"></head><body>'
            f'<h1>{title}</h1><div class="TRS_Editor"><p>{title}详见附件。</p></div>'
            f'<a appendix="true" href="./P020250120.docx">{title}</a></body></html>').encode("utf-8")
    page = _item(PAGE, "article", html, "text/html; charset=utf-8")
    att = _item(DOCX, "attachment", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", PAGE)
    return page, att


@pytest.fixture(scope="module", params=["page first", "attachment first"])
def stored(request, items, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("store")
    db = open_database(sqlite_url(tmp_path / "h.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="p", url=BASE + "/"))
    order = items if request.param == "page first" else items[::-1]
    for it in order:
        with db.session() as s:
            ingest_capture(s, capture_of(it, run_id=None))
    with db.session() as s:
        page = s.scalars(select(Document).where(Document.url == PAGE)).one()
        att = s.scalars(select(Document).where(Document.url == DOCX)).one()
        reports = s.scalar(select(func.count()).select_from(Report))
        yield page, att, reports, att.content


def test_attachment_points_at_its_page(stored):
    page, att, _, _ = stored
    assert att.parent_id == page.id


def test_page_and_attachment_share_one_report(stored):
    page, att, _, _ = stored
    assert att.report_id is not None and page.report_id == att.report_id


def test_one_logical_report(stored):
    assert stored[2] == 1


def test_attachment_is_the_parsed_report(stored):
    content = stored[3]
    assert (content.is_annual_report, content.year, content.image_only) == (True, 2024, False)


@pytest.mark.parametrize("robots, reason, expected", [
    ("ignore", "主管部门书面同意抓取年报栏目", (False, "主管部门书面同意抓取年报栏目")),
    ("obey", None, (True, None)),
])
def test_robots_policy_is_recorded_on_the_portal(tmp_path, robots, reason, expected):
    from types import SimpleNamespace

    from pipelines.store import record_robots_policy

    db = open_database(sqlite_url(tmp_path / "h.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="p", url=BASE + "/"))
        s.flush()
        record_robots_policy(s, SimpleNamespace(portal_id="p", robots=robots, robots_reason=reason))
    with db.session() as s:
        row = s.get(Portal, "p")
        assert (row.robots_obeyed, row.robots_reason) == expected
