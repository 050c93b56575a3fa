"""The browser's downloads (/export/*, /compliance.csv) neutralise harvested text that a
spreadsheet would run as a formula, through the same helper as `harvester export`."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from harvester.export import csv_text
from harvester.web.app import create_app
from tests.export.hostile_store import AGENCY, TITLE, build


@pytest.fixture
def client(tmp_path):
    db = build(tmp_path)
    with TestClient(create_app(db=db, archive_dir=tmp_path / "archive")) as c:
        yield c
    db.dispose()


def _csv(client, path) -> list[dict]:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def _no_formula_cells(rows):
    for row in rows:
        for v in row.values():
            assert not v.startswith(("=", "+", "@", "\t", "\r")), v
            if v.startswith("-"):
                float(v)  # only a number may start with a minus sign


def test_browser_csv_downloads_quote_formula_text(client):
    reports = _csv(client, "/export/reports.csv")
    assert reports[0]["title"] == "'" + TITLE and csv_text(reports[0]["agency"]) == AGENCY
    assert reports[0]["applications.new.natural_person"] == "-8"
    tables = _csv(client, "/export/tables.csv")
    assert {r["agency"] for r in tables} == {"'" + AGENCY}
    assert {r["value"] for r in tables if r["column"] == "natural_person"} == {"-8"}
    comp = _csv(client, "/compliance.csv?year_from=2023&year_to=2023")
    assert [r["agency"] for r in comp] == ["'" + AGENCY]
    for rows in (reports, tables, comp, _csv(client, "/charts.csv")):
        _no_formula_cells(rows)


@pytest.mark.parametrize("path", ["/export/reports.xlsx", "/export/tables.xlsx"])
def test_browser_xlsx_downloads_hold_text_never_formulas(client, path):
    from openpyxl import load_workbook

    r = client.get(path)
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in x for x in sheets)
    wb = load_workbook(io.BytesIO(r.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    agency = [c for c in cells if c.value == AGENCY]
    assert agency and all(c.data_type == "s" for c in agency)
    assert any(c.value == -8 and c.data_type == "n" for c in cells)
    if path == "/export/reports.xlsx":
        assert any(c.value == TITLE and c.data_type == "s" for c in cells)
