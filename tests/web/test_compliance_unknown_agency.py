"""Reports whose agency is not known are listed as such, per portal: an unknown agency cannot
be missing a report, and its reports are not judged on time or late (neither in the compliance
matrix nor in the charts). compliance.csv says how many logical reports an agency has in a year."""
from __future__ import annotations

import csv
import datetime as dt
import io

from fastapi.testclient import TestClient

from harvester.web import charts, compliance
from harvester.web.app import create_app
from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Portal, Report

TODAY = dt.date(2026, 3, 1)  # 2025 is due


def _store(tmp_path):
    db = open_database(sqlite_url(tmp_path / "u.db"))
    rows = [  # (portal, agency, year, published)
        ("p", "甲局", 2021, "2022-01-20"),
        ("p", "甲局", 2022, "2023-01-25"),
        ("p", "甲局", 2023, "2024-01-10"),
        ("p", "甲局", 2023, "2024-01-12"),  # a second, different report for 2023
        ("p", None, 2021, "2022-03-01"),   # no agency on portal p
        ("q", None, 2023, "2024-06-01"),   # no agency on portal q, "late" if it were judged
    ]
    with db.session() as s:
        s.add(Portal(id="p", name="门户", url="http://127.0.0.1/"))
        s.add(Portal(id="q", name="门户二", url="http://127.0.0.2/"))
        s.flush()
        for i, (portal, agency, year, pub) in enumerate(rows, start=1):
            s.add(Report(id=i, agency=agency, year=year, first_seen=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
            sha = f"{i:064d}"
            s.add(Content(sha256=sha, size=1, extractor_version="t", agency=agency, year=year, published=pub,
                          format="2021", is_annual_report=True,
                          record={"agency_simplified": agency, "checks": [],
                                  "tables": {"applications": {"new": {"total": i}}}}))
            s.flush()
            s.add(Document(portal_id=portal, url=f"http://127.0.0.1/{i}", kind="article", current_sha256=sha,
                           is_report=True, report_id=i))
    return db


def test_unknown_agency_is_listed_per_portal_without_missing_or_late(tmp_path):
    db = _store(tmp_path)
    d = compliance.compliance(db, today=TODAY)
    assert [(r["agency"], r["portals"]) for r in d["rows"]] == [
        ("甲局", ["p"]), ("发布机构不明", ["p"]), ("发布机构不明", ["q"])]  # not pooled across portals
    for row in d["rows"][1:]:
        statuses = {y: c["status"] for y, c in row["cells"].items()}
        assert "missing" not in statuses.values() and "late" not in statuses.values()
        assert {y for y, st in statuses.items() if st == "agency_unknown"} == ({2021} if row["portals"] == ["p"] else {2023})
        for c in row["cells"].values():
            assert "days_late" not in c and "deadline" not in c
    known = d["rows"][0]["cells"]
    assert [known[y]["status"] for y in (2021, 2022, 2023, 2024, 2025)] == \
        ["on_time", "on_time", "on_time", "missing", "missing"]
    assert d["counts"]["missing"] == 2 and d["counts"]["late"] == 0 and d["counts"]["agency_unknown"] == 2
    # the charts count what the matrix says: the unknown agency adds no missing or late report
    t = charts.chart_data(db, today=TODAY)["timeliness"]
    assert {y: (t[y]["missing"], t[y]["late"]) for y in t} == \
        {2021: (0, 0), 2022: (0, 0), 2023: (0, 0), 2024: (1, 0), 2025: (1, 0)}
    db.dispose()


def test_compliance_csv_counts_several_reports_of_an_agency_and_year(tmp_path):
    db = _store(tmp_path)
    app = create_app(db=db, archive_dir=tmp_path / "archive")
    with TestClient(app) as client:
        rows = list(csv.DictReader(io.StringIO(client.get("/compliance.csv").content.decode("utf-8-sig"))))
        page = client.get("/compliance").text
    by = {(r["agency"], r["portals"], r["year"]): r for r in rows}
    assert by[("甲局", "p", "2023")]["reports"] == "2" and by[("甲局", "p", "2022")]["reports"] == "1"
    assert by[("甲局", "p", "2024")]["reports"] == "0" and by[("甲局", "p", "2024")]["status"] == "missing"
    unknown = by[("发布机构不明", "q", "2023")]
    assert (unknown["status"], unknown["status_zh"], unknown["deadline"], unknown["days_late"]) == \
        ("agency_unknown", "发布机构不明", "", "")
    assert not [r for r in rows if r["agency"] == "发布机构不明" and r["status"] in ("missing", "late", "on_time")]
    assert "2 份报告" in page
    db.dispose()
