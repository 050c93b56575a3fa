"""Exports reach a spreadsheet as data, never as formulas: a harvested title such as
``=HYPERLINK(...)`` is text in CSV (a leading ``'``) and a string cell in XLSX, while numbers
(``-8``) stay numbers; booleans are spelled alike in CSV and JSON Lines and are logical cells
in XLSX."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from harvester.export import csv_cell, csv_text, flat_header, write_logical, write_reports, xlsx_row
from tests.export.hostile_store import AGENCY, TEXTS, TITLE, build


@pytest.mark.parametrize("text", TEXTS)
def test_csv_cell_quotes_formula_text_and_unquoting_gives_the_text_back(text):
    cell = csv_cell(text)
    runs_as_formula = text[:1] in "=+-@\t\r"
    assert (cell != text) == (runs_as_formula or text.startswith("'="))
    if cell != text:
        assert cell == "'" + text
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert csv_text(cell) == text


def test_csv_cell_keeps_numbers_and_spells_booleans_as_json():
    assert csv_cell(-8) == -8 and csv_cell(-0.5) == -0.5 and csv_cell(0) == 0
    assert (csv_cell(True), csv_cell(False), csv_cell(None)) == ("true", "false", "")


def test_logical_csv_quotes_hostile_text_and_keeps_negative_numbers(tmp_path):
    db = build(tmp_path)
    buf = io.StringIO()
    assert write_logical(db, "csv", buf) == 1
    head, row = list(csv.reader(io.StringIO(buf.getvalue())))
    rec = dict(zip(head, row))
    assert rec["title"] == "'" + TITLE and rec["agency"] == "'" + AGENCY
    assert csv_text(rec["title"]) == TITLE
    assert rec["url"] == "http://127.0.0.1/@x"  # starts with h: nothing to quote
    assert rec["applications.new.natural_person"] == "-8"  # a number, not quoted
    assert rec["image_only"] == "false"
    # every cell of the file is safe to open
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in row)
    assert [c for c in row if c.startswith("-")] == ["-8"]
    db.dispose()


def test_per_location_csv_quotes_hostile_text_and_spells_booleans_as_json(tmp_path):
    db = build(tmp_path)
    buf = io.StringIO()
    assert write_reports(db, "csv", buf) == 1
    head, row = list(csv.reader(io.StringIO(buf.getvalue())))
    rec = dict(zip(head, row))
    assert rec["title"] == "'" + TITLE and rec["agency"] == "'" + AGENCY
    assert rec["is_annual_report"] == "true" and rec["image_only"] == "false"  # not Python's True/False
    jrow = io.StringIO()
    write_reports(db, "jsonl", jrow)
    j = json.loads(jrow.getvalue())
    assert j["is_annual_report"] is True and j["image_only"] is False and j["title"] == TITLE
    db.dispose()


def test_logical_xlsx_stores_hostile_text_as_strings_never_formulas(tmp_path):
    from openpyxl import load_workbook

    db = build(tmp_path)
    out = tmp_path / "r.xlsx"
    assert write_logical(db, "xlsx", out) == 1
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in sheet
    ws = load_workbook(out)["reports"]
    col = {c.value: c.column for c in ws[1]}
    title, agency = ws.cell(2, col["title"]), ws.cell(2, col["agency"])
    assert (title.value, title.data_type) == (TITLE, "s")  # as published, not escaped
    assert (agency.value, agency.data_type) == (AGENCY, "s")
    neg = ws.cell(2, col["applications.new.natural_person"])
    assert (neg.value, neg.data_type) == (-8, "n")
    img = ws.cell(2, col["image_only"])
    assert (img.value, img.data_type) == (False, "b")
    db.dispose()


def test_xlsx_row_writes_every_text_as_a_string_cell():
    from openpyxl import Workbook, load_workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    ws.append(xlsx_row(ws, list(TEXTS) + [-8, 1.5, True, None]))
    buf = io.BytesIO()
    wb.save(buf)
    got = load_workbook(io.BytesIO(buf.getvalue()))["t"][1]
    texts = [(c.value, c.data_type) for c in got[:len(TEXTS)]]
    # XLSX cannot hold \r at the start unchanged: the value comes back, as a string
    assert all(t == "s" for _v, t in texts)
    assert [v for v, _t in texts] == [t for t in TEXTS]
    assert [(c.value, c.data_type) for c in got[len(TEXTS):len(TEXTS) + 3]] == [(-8, "n"), (1.5, "n"), (True, "b")]


def test_header_is_plain_text():
    assert all(csv_cell(h) == h for h in flat_header())
