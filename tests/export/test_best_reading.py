"""A location whose tables were all unreadable (every cell null) has found no table: it must
not win as the report's reading over an attachment whose tables were read, in the export, the
compliance matrix and the charts alike."""
from __future__ import annotations

import datetime as dt

from harvester.export import iter_logical_reports, tables_found
from harvester.web import charts, compliance
from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Portal, Report

UNREADABLE = {"active_disclosure": {"art20_1": {"regulations": {"issued": None}}},
              "applications": {"new": {"natural_person": None, "total": None}},
              "review_litigation": {"review": {"total": None}}}
READ = {"applications": {"new": {"natural_person": 7, "total": 7}}}


def _store(tmp_path):
    """Report 2023: an article page whose three tables are there in name only (every cell
    unreadable) and its DOCX attachment with table 三 read, the page carrying the date."""
    db = open_database(sqlite_url(tmp_path / "b.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="门户", url="http://127.0.0.1/"))
        s.add(Report(id=1, agency="甲区财政局", year=2023, first_seen=dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)))
        s.flush()
        ids = []
        for i, (fmt, pub, tables, kind) in enumerate([("2021", "2024-01-10", UNREADABLE, "article"),
                                                      ("2021", None, READ, "attachment")]):
            sha = f"{i + 1:064d}"
            s.add(Content(sha256=sha, size=1, extractor_version="t", agency="甲区财政局", year=2023, published=pub,
                          format=fmt, is_annual_report=True,
                          record={"agency_simplified": "甲区财政局", "tables": tables, "checks": [],
                                  "partial_tables": list(tables), "missing_tables": []}))
            s.flush()
            doc = Document(portal_id="p", url=f"http://127.0.0.1/{i}" + (".docx" if kind == "attachment" else ".html"),
                           kind=kind, current_sha256=sha, is_report=True, report_id=1,
                           parent_id=ids[0] if kind == "attachment" else None)
            s.add(doc)
            s.flush()
            ids.append(doc.id)
    return db, ids


def test_a_table_counts_as_found_only_with_a_value():
    assert tables_found(UNREADABLE) == 0
    assert tables_found(READ) == 1
    assert tables_found({"applications": {"new": {"total": 0}}}) == 1  # zero is a value
    assert tables_found(None) == 0 and tables_found({}) == 0


def test_export_reads_the_attachment_not_the_page_with_unreadable_tables(tmp_path):
    db, (page, att) = _store(tmp_path)
    [row] = list(iter_logical_reports(db))
    assert row["url"].endswith(".docx") and row["reading_role"] == "attachment"
    assert row["tables_found"] == 1 and row["tables"] == READ
    assert row["published"] == "2024-01-10" and row["published_source"] == "page"
    found = {loc["url"][-4:]: loc["tables_found"] for loc in row["locations"]}
    assert found == {"html": 0, "docx": 1}
    db.dispose()


def test_compliance_and_charts_read_the_same_location(tmp_path):
    db, (page, att) = _store(tmp_path)
    [rep] = compliance.logical_report_dates(db)
    assert rep["doc_id"] == att and rep["published"] == "2024-01-10" and rep["published_from"] == "page"
    d = charts.chart_data(db, today=dt.date(2026, 3, 1))
    assert d["applications"][2023] == {"received": 7, "reports": 1, "with_table": 1}
    db.dispose()
