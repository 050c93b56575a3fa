"""`harvester export reports` speaks in logical reports: a portal whose newest reports are
published only as a DOCX / PDF attachment behind an article page exports one row per report,
with the attachment's tables and the page's publication date; CSV and XLSX carry the same
cells, one column per table cell in the official order.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from harvester.export import csv_text, flat_header, table_cells
from harvester.sim import SimServer
from harvester.sim.variants import build_family_universe

HOST = 78  # 127.0.0.78: away from the other suites' simulated portals


def harvester(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    universe = build_family_universe(seed=2026, families=("trs",), per_family=1, blocking=())
    portal = universe.portals[0]
    data = tmp_path_factory.mktemp("attachment-only")
    with SimServer(universe, first_host=HOST) as srv:
        reg = srv.write_registry(data / "portals.toml", family=False)
        base = srv.base_url(portal.id).rstrip("/")
        proc = harvester("--data", data, "--portals", reg, "crawl", "--all", "--quiet")
        assert proc.returncode == 0, proc.stdout + proc.stderr
    items = [it for col in portal.plan.columns for it in col.items if it.kind == "report"]
    assert sum(1 for it in items if it.presentation == "attachment") == 2  # a DOCX and a PDF
    return data, base, portal, items


def _export(data, *args) -> str:
    proc = harvester("--data", data, "export", "reports", *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_attachment_only_reports_export_one_row_each_with_tables_and_the_page_date(store):
    data, _base, portal, items = store
    rows = [json.loads(line) for line in _export(data).splitlines()]
    assert len(rows) == len(items) == 5
    assert len({r["report_id"] for r in rows}) == 5 and all(r["report_id"] for r in rows)
    by_year = {r["year"]: r for r in rows}
    for it in items:
        row = by_year[it.truth["year"]]
        assert row["tables"] == it.truth["tables"]
        assert row["missing_tables"] == []
        assert row["published"] == it.published.date().isoformat()
        if it.presentation == "attachment":
            ext = it.attachments[0][1]
            assert row["url"].endswith("." + ext) and row["reading_role"] == "attachment"
            assert row["published_source"] == "page"  # the attachment itself carries no date
            roles = {loc["role"]: loc for loc in row["locations"]}
            assert set(roles) == {"page", "attachment"}
            assert roles["attachment"]["page"] == roles["page"]["url"] == row["published_from_url"]
            assert all(loc["captures"] and loc["portal"] == portal.id for loc in row["locations"])
        else:
            assert row["reading_role"] == "page" and row["published_source"] == "reading"
            assert len(row["locations"]) == 1
        assert row["versions"]["count"] >= 1
    # today's output, one row per URL, is still there for those who want it
    per_location = _export(data, "--per-location").splitlines()
    assert len(per_location) == 7


def test_csv_and_xlsx_carry_the_same_cells_in_a_stable_column_order(store, tmp_path):
    from openpyxl import load_workbook

    data, _base, _portal, items = store
    text = _export(data, "--format", "csv")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == flat_header()
    out = tmp_path / "reports.xlsx"
    proc = harvester("--data", data, "export", "reports", "--format", "xlsx", "--output", out)
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(out, read_only=True)
    width = len(flat_header())
    # (read-only openpyxl leaves out the empty cells at the end of a row)
    sheet = [list(r) + [None] * (width - len(r)) for r in wb["reports"].iter_rows(values_only=True)]
    assert sheet[0] == table[0] and len(sheet) == len(table) == 6

    def as_csv(v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    for crow, xrow in zip(table[1:], sheet[1:]):
        assert len(crow) == len(xrow)
        for name, c, x in zip(table[0], crow, xrow):
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                assert float(c) == x, name  # a spreadsheet number has no int/float type: 0.0 reads as 0
            else:
                assert csv_text(c) == as_csv(x), name  # text a spreadsheet would run carries a leading '
    # the cells are the report's numbers, in columns a spreadsheet can sum
    col = {name: i for i, name in enumerate(table[0])}
    names = [n for n, _p, _l in table_cells()]
    assert names.index("applications.new.natural_person") < names.index("applications.new.total") \
        < names.index("applications.carried_over.natural_person")
    for xrow in sheet[1:]:
        truth = next(it.truth for it in items if it.truth["year"] == xrow[col["year"]])
        new = truth["tables"]["applications"]["new"]
        assert xrow[col["applications.new.natural_person"]] == new["natural_person"]
        assert xrow[col["applications.new.total"]] == new["total"]
        assert isinstance(xrow[col["applications.new.total"]], int)
        rl = truth["tables"]["review_litigation"]["review"]["total"]
        assert xrow[col["review_litigation.review.total"]] == rl
    labels = dict(r for r in wb["columns"].iter_rows(values_only=True))
    assert "本年新收" in labels["applications.new.total"]


def test_xlsx_needs_an_output_file(store):
    data = store[0]
    proc = harvester("--data", data, "export", "reports", "--format", "xlsx")
    assert proc.returncode != 0 and "--output" in proc.stderr


def test_api_and_report_page_speak_in_logical_reports(store):
    import lxml.html
    from fastapi.testclient import TestClient

    from harvester.web import create_app
    from storage.database import open_database, sqlite_url

    data, _base, _portal, items = store
    db = open_database(sqlite_url(data / "harvester.db"))
    try:
        c = TestClient(create_app(db=db, archive_dir=data / "archive", token="", access_token="", basic_auth=""))
        listing = c.get("/api/logical-reports").json()["reports"]
        assert len(listing) == len(items)
        exported = [json.loads(line) for line in _export(data).splitlines()]
        assert [r["report_id"] for r in listing] == [r["report_id"] for r in exported]
        att = next(r for r in listing if r["reading_role"] == "attachment")
        one = c.get(f"/api/logical-reports/{att['report_id']}").json()
        assert one["url"] == att["url"] and one["published"] == att["published"]
        assert c.get("/api/logical-reports/999999").status_code == 404
        roles = {loc["role"]: loc for loc in att["locations"]}
        # the document API of either location names the logical report and its locations
        for loc in roles.values():
            rep = c.get(f"/api/reports/{loc['doc_id']}").json()
            lr = rep["logical_report"]
            assert lr["id"] == att["report_id"]
            assert lr["published"] == att["published"] and lr["published_source"] == "page"
            assert lr["reading"]["url"] == att["url"] and lr["reading"]["role"] == "attachment"
            assert {x["role"] for x in lr["locations"]} == {"page", "attachment"}
        # the attachment's page in the browser: its date comes from the article page, both locations listed
        page = lxml.html.document_fromstring(c.get(f"/reports/{roles['attachment']['doc_id']}").text)
        assert att["published"] in page.get_element_by_id("published").text_content()
        assert "文章页面" in page.get_element_by_id("published").text_content()
        rows = page.cssselect("#locations tbody tr")
        assert len(rows) == 2
        assert "所用版本" in " ".join(r.text_content() for r in rows if att["url"] in r.text_content())
    finally:
        db.dispose()


def test_browser_offers_the_same_logical_csv_and_xlsx(store):
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook

    from harvester.web import create_app
    from storage.database import open_database, sqlite_url

    data = store[0]
    db = open_database(sqlite_url(data / "harvester.db"))
    try:
        c = TestClient(create_app(db=db, archive_dir=data / "archive", token="", access_token="", basic_auth=""))
        r = c.get("/export/reports.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")))) == \
            list(csv.reader(io.StringIO(_export(data, "--format", "csv"))))
        x = c.get("/export/reports.xlsx")
        assert x.status_code == 200
        wb = load_workbook(io.BytesIO(x.content), read_only=True)
        sheet = [list(r) for r in wb["reports"].iter_rows(values_only=True)]
        assert sheet[0] == flat_header() and len(sheet) == 6
        assert "/export/reports.csv" in c.get("/export").text
    finally:
        db.dispose()


def test_overview_api_counts_logical_reports_beside_stored_ones(store):
    from fastapi.testclient import TestClient

    from harvester.web import create_app
    from storage.database import open_database, sqlite_url

    data, _base, portal, items = store
    db = open_database(sqlite_url(data / "harvester.db"))
    try:
        c = TestClient(create_app(db=db, archive_dir=data / "archive", token="", access_token="", basic_auth=""))
        p = next(x for x in c.get("/api/overview").json()["portals"] if x["id"] == portal.id)
        assert (p["reports"], p["logical_reports"]) == (7, len(items))  # 5 reports, 2 of them at two URLs
        assert c.get(f"/api/portals/{portal.id}").json()["total_logical_reports"] == len(items)
    finally:
        db.dispose()
