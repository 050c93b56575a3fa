"""Charts across agencies and years: server-rendered SVG, the same numbers as a table and CSV,
a page per portal and one for everything."""
from __future__ import annotations

import csv
import io
from collections import defaultdict

import lxml.html

from harvester.export import iter_logical_reports
from harvester.web.charts import OUTCOMES, grouped


def _expected(archive, portal=None):
    """Applications received and outcome totals per year, summed over the exported logical reports."""
    db = archive.db()
    received, outcomes = defaultdict(int), defaultdict(lambda: defaultdict(int))
    for row in iter_logical_reports(db, portal=portal):
        app = (row["tables"] or {}).get("applications") or {}
        received[row["year"]] += (app.get("new") or {}).get("total") or 0
        for key, _label, rows in OUTCOMES:
            outcomes[row["year"]][key] += sum((app.get(r) or {}).get("total") or 0 for r in rows)
    db.dispose()
    return received, outcomes


def test_charts_page_draws_svg_without_script_with_the_numbers_as_tables(client, archive):
    r = client.get("/charts")
    assert r.status_code == 200
    assert "script-src 'none'" in r.headers["content-security-policy"]
    doc = lxml.html.document_fromstring(r.text)
    for cid in ("applications", "outcomes", "review-review", "review-litigation_direct",
                "review-litigation_after_review", "timeliness"):
        block = doc.get_element_by_id(cid)
        assert block.cssselect("svg rect"), cid
        assert block.cssselect("table.chart-table tbody tr"), cid
    assert "<script" not in r.text.lower()
    received, outcomes = _expected(archive)
    table = doc.get_element_by_id("applications").cssselect("table tbody tr")
    shown = {int(tr[0].text_content()): int(tr[1].text_content()) for tr in table}
    assert shown == dict(received) and sum(shown.values()) > 0
    out_rows = doc.get_element_by_id("outcomes").cssselect("table tbody tr")
    for tr in out_rows:
        cells = [int(td.text_content()) for td in tr]
        assert cells[1:] == [outcomes[cells[0]][k] for k, _l, _r in OUTCOMES]


def test_charts_csv_has_the_same_numbers_and_a_page_per_portal(client, archive):
    rows = list(csv.reader(io.StringIO(client.get("/charts.csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["chart", "year", "series", "label", "value"]
    g = grouped(rows[1:])
    received, _ = _expected(archive)
    assert {y: int(v["received"]) for y, v in g["applications_received"].items()} == dict(received)
    api = client.get("/api/charts").json()
    assert {int(y): v["received"] for y, v in api["applications"].items()} == dict(received)
    # timeliness per year agrees with the compliance matrix
    comp = client.get("/api/compliance").json()
    for y in comp["years"]:
        late = sum(1 for r in comp["rows"] if r["cells"][str(y)]["status"] == "late")
        assert int(g["timeliness"][y]["late"]) == late
    portal = next(iter(archive.urls))
    page = client.get(f"/charts/{portal}")
    assert page.status_code == 200 and portal in page.text
    mine, _ = _expected(archive, portal)
    csv_p = list(csv.reader(io.StringIO(client.get("/charts.csv", params={"portal": portal}).content.decode("utf-8-sig"))))
    assert {y: int(v["received"]) for y, v in grouped(csv_p[1:])["applications_received"].items()} == dict(mine)
    assert sum(mine.values()) < sum(received.values())
    assert client.get("/charts/no-such-portal").status_code == 404
