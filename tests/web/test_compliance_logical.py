"""The compliance matrix counts logical reports and keys an agency by its simplified name."""
from __future__ import annotations

import datetime as dt

from harvester.web import compliance
from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Portal, Report


def _store(tmp_path, url=None):
    """乙局 publishes 2021 under its traditional name (乙區公安局), 2022 under the simplified
    one; its 2023 report is a page saying 详见附件 plus a DOCX attachment without a date."""
    db = open_database(url or sqlite_url(tmp_path / "c.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="门户", url="http://127.0.0.1/"))
        s.add(Portal(id="q", name="门户二", url="http://127.0.0.2/"))
        s.flush()
        rows = [  # (portal, agency as published, year, published, format, fails, report, parent index)
            ("p", "乙區公安局", 2021, "2022-01-20", "2021", 0, 1, None),
            ("q", "乙区公安局", 2022, "2023-01-25", "2021", 1, 2, None),
            ("p", "乙区公安局", 2023, "2024-02-05", "unknown", 0, 3, None),  # the article page
            ("p", "乙区公安局", 2023, None, "2021", 2, 3, 2),  # its DOCX: the tables, no date
        ]
        for rid in (1, 2, 3):
            s.add(Report(id=rid, agency="乙区公安局", year=2020 + rid, first_seen=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
        s.flush()
        ids = []
        for i, (portal, agency, year, pub, fmt, fails, rid, parent) in enumerate(rows):
            sha = f"{i:064d}"
            s.add(Content(sha256=sha, size=1, extractor_version="t", agency=agency, year=year, published=pub,
                          format=fmt, is_annual_report=True,
                          record={"agency_simplified": "乙区公安局", "checks": [{"rule": "R1", "status": "fail"}] * fails,
                                  "tables": {"applications": {"new": {"total": 5}}} if fmt != "unknown" else {}}))
            s.flush()
            doc = Document(portal_id=portal, url=f"http://127.0.0.1/{i}", kind="article", current_sha256=sha,
                           is_report=True, report_id=rid, parent_id=ids[parent] if parent is not None else None)
            s.add(doc)
            s.flush()
            ids.append(doc.id)
    return db, ids


def test_compliance_merges_traditional_and_simplified_spellings(tmp_path):
    db, _ids = _store(tmp_path)
    d = compliance.compliance(db, today=dt.date(2026, 3, 1))
    assert [r["agency"] for r in d["rows"]] == ["乙区公安局"]  # one row, not two
    row = d["rows"][0]
    assert row["spellings"] == ["乙区公安局", "乙區公安局"]
    assert row["portals"] == ["p", "q"]
    assert row["cells"][2021]["status"] == "on_time" and row["cells"][2022]["status"] == "on_time"
    assert row["cells"][2024]["status"] == "missing"
    # filtering by either spelling finds the agency
    assert [r["agency"] for r in compliance.compliance(db, agency="乙區", today=dt.date(2026, 3, 1))["rows"]] == ["乙区公安局"]


def test_compliance_counts_a_page_and_its_attachment_as_one_report_dated_by_the_page(tmp_path):
    db, ids = _store(tmp_path)
    d = compliance.compliance(db, today=dt.date(2026, 3, 1))
    assert d["reports"] == 3  # four stored documents, three reports
    cell = d["rows"][0]["cells"][2023]
    assert cell["documents"] == 1 and cell["locations"] == 2
    assert cell["doc_id"] == ids[3]  # the attachment: it carries the tables and their checks
    assert cell["failed"] == 2
    assert cell["published"] == "2024-02-05" and cell["published_from"] == "page"
    assert cell["published_doc"] == ids[2]
    assert cell["status"] == "late" and cell["days_late"] == 5
    csv_rows = list(compliance.compliance_csv_rows(d))
    header = csv_rows[0]
    line = next(r for r in csv_rows[1:] if r[2] == 2023)
    assert line[header.index("published_from")] == "page"
    assert set(line[header.index("spellings")].split()) == {"乙区公安局", "乙區公安局"}


def test_logical_reports_and_compliance_on_postgresql(tmp_path, pg_url):
    from harvester.export import flat_header, flat_row, iter_logical_reports

    db, ids = _store(tmp_path, pg_url)
    try:
        rows = list(iter_logical_reports(db))
        assert [r["report_id"] for r in rows] == [1, 2, 3]
        r3 = rows[2]
        assert r3["url"] == "http://127.0.0.1/3" and r3["reading_role"] == "attachment"
        assert r3["published"] == "2024-02-05" and r3["published_source"] == "page"
        assert r3["agency_simplified"] == "乙区公安局" and r3["failed_checks"] == ["R1"]
        assert len(flat_row(r3)) == len(flat_header())
        d = compliance.compliance(db, today=dt.date(2026, 3, 1))
        assert [r["agency"] for r in d["rows"]] == ["乙区公安局"] and d["reports"] == 3
        assert d["rows"][0]["cells"][2023]["published_from"] == "page"
    finally:
        db.dispose()


def test_xlsx_export_survives_control_characters_in_a_title(tmp_path):
    from openpyxl import load_workbook

    from harvester.export import flat_header, write_logical

    db, _ids = _store(tmp_path)
    with db.session() as s:
        c = s.get(Content, f"{0:064d}")
        c.title = "乙区公安局\x0b2021年报告\x00"
    out = tmp_path / "r.xlsx"
    assert write_logical(db, "xlsx", out) == 3
    rows = list(load_workbook(out, read_only=True)["reports"].iter_rows(values_only=True))
    title = rows[1][flat_header().index("title")]
    assert title == "乙区公安局\ufffd2021年报告\ufffd"
    db.dispose()
