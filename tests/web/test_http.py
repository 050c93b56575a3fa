"""HTTP tests of every page and API route of the archive browser, on a harvested archive."""
from __future__ import annotations

import base64
import hashlib
import csv
import io
import json
import re
import zipfile
from urllib.parse import quote

import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from warcio.archiveiterator import ArchiveIterator

from storage.models import Content, Document, Snapshot
from storage.warc import read_record
from tests.web.conftest import RecordingRecrawl, doc_id_of, report_ids, snapshots_of


def html(r):
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return lxml.html.document_fromstring(r.text)


def failing_report(archive):
    """(doc id, one failed cell check) of a stored report whose record has a failed cell check."""
    db = archive.db()
    with db.session() as s:
        rows = s.execute(select(Document.id, Content.record).join(Content, Content.sha256 == Document.current_sha256)
                         .where(Document.is_report.is_(True)).order_by(Document.id)).all()
    db.dispose()
    for doc_id, rec in rows:
        for c in rec.get("checks") or []:
            if c["status"] == "fail" and c.get("table") and c.get("row") and c.get("column"):
                return doc_id, c
    pytest.fail("the demo archive has no report with a failed cell check")


def report_with_previous_year(archive):
    db = archive.db()
    with db.session() as s:
        rows = s.execute(select(Document.id, Content.agency, Content.year)
                         .join(Content, Content.sha256 == Document.current_sha256)
                         .where(Document.is_report.is_(True))).all()
    db.dispose()
    have = {(a, y) for _i, a, y in rows}
    for doc_id, a, y in rows:
        if (a, y - 1) in have:
            return doc_id, a, y
    pytest.fail("no agency with two consecutive years in the demo archive")


# ------------------------------------------------------------------------------ overview / portal
def test_overview_lists_every_portal_with_last_harvest_and_counts(client, archive):
    doc = html(client.get("/"))
    rows = doc.cssselect("#portals tbody tr")
    assert len(rows) == 3
    page = client.get("/").text
    for pid in archive.urls:
        assert f'/portals/{pid}"' in page
    assert "梅州市人民政府网" in page
    # 22 reports per simulated portal, the last run ok
    counts = [int(r.cssselect("td.num")[0].text_content()) for r in rows]
    assert counts == [22, 22, 22]
    assert all("ok" in r.cssselect("td")[3].text_content() for r in rows)
    api = client.get("/api/overview").json()
    assert {p["id"] for p in api["portals"]} == set(archive.urls)
    assert all(p["last_run"]["status"] == "ok" and p["reports"] == 22 for p in api["portals"])
    # the health events table exists (schema 0003): the section is shown
    assert api["health_events"] == [] and 'id="health"' in page


def test_overview_shows_open_health_events(archive, tmp_path):
    from harvester.web import create_app
    from storage.database import open_database, sqlite_url
    from storage.health import raise_event
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(archive.data, copy, ignore=shutil.ignore_patterns("archive"))
    db = open_database(sqlite_url(copy / "harvester.db"))
    with db.session() as s:
        raise_event(s, "sim-meizhou", "column_moved", "年报栏目地址已变更", url="http://127.0.0.71/x/")
    c = TestClient(create_app(db=db, archive_dir=archive.data / "archive", token=""))
    page = c.get("/").text
    assert "年报栏目地址已变更" in page and "column_moved" in page
    assert c.get("/api/overview").json()["health_events"][0]["kind"] == "column_moved"


def test_portal_page_lists_reports_by_year_and_agency_and_its_runs(client, archive):
    doc = html(client.get("/portals/sim-yongqiao"))
    links = doc.cssselect("table.reports a")
    assert len(links) == 22
    years = [int(h.get("id").split("-")[1]) for h in doc.cssselect("h3[id^=year-]")]
    assert years == sorted(years, reverse=True)
    runs = doc.cssselect("#runs tbody tr")
    assert len(runs) == 2  # the first harvest and the full pass
    api = client.get("/api/portals/sim-yongqiao").json()
    assert api["total_reports"] == 22 and len(api["runs"]) == 2
    assert client.get("/portals/nope").status_code == 404
    assert client.get("/api/portals/nope").status_code == 404


# -------------------------------------------------------------------------------------- report
def test_report_page_shows_metadata_and_the_official_tables(client, archive):
    doc_id = report_ids(archive)[0]
    r = client.get(f"/reports/{doc_id}")
    doc = html(r)
    data = client.get(f"/api/reports/{doc_id}").json()
    meta = data["report"]
    md = doc.cssselect("#metadata")[0].text_content()
    for value in (meta["agency"], str(meta["year"]), meta["published"], meta["url"], meta["sha256"],
                  meta["warc"]["file"], str(meta["warc"]["offset"])):
        assert value in md
    page = r.text
    for label in ("第二十条第(一)项", "信息内容", "一、本年新收政府信息公开申请数量", "法人或其他组织",
                  "三、本年度办理结果", "(三)不予公开", "四、结转下年度继续办理", "行政复议", "未经复议直接起诉",
                  "复议后起诉", "尚未审结"):
        assert label in page, label
    # table 三: every row of the format, seven data cells each
    apps = doc.cssselect("#table-applications table.official")[0]
    data_rows = [tr for tr in apps.cssselect("tr") if tr.cssselect("td.cell")]
    assert all(len(tr.cssselect("td.cell")) == 7 for tr in data_rows)
    assert len(data_rows) == (25 if data["report"]["format"] == "2021" else 23)
    # the value shown is the parsed value
    new_total = data["record"]["tables"]["applications"]["new"]["total"]
    assert data_rows[0].cssselect("td.cell")[6].cssselect("span.v")[0].text_content().strip() == str(new_total)
    review = doc.cssselect("#table-review_litigation td.cell")
    assert len(review) == 15
    # extracted text and the captures
    assert meta["agency"] in doc.cssselect("pre.text")[0].text_content()
    assert len(doc.cssselect("#captures ~ table.captures tbody tr")) == len(data["captures"]) >= 2


def test_every_check_result_is_marked_and_failed_cells_show_rule_and_operands(client, archive):
    doc_id, check = failing_report(archive)
    doc = html(client.get(f"/reports/{doc_id}"))
    failed = doc.cssselect("td.cell.st-fail")
    assert failed, "no failed cell highlighted"
    text_ = " ".join(td.text_content() for td in failed)
    assert check["rule"] in text_
    assert "期望" in text_ and "实际" in text_
    for name in check["operands"]:
        assert name in text_
    # passing cells carry a pass mark; the summary counts fails
    assert doc.cssselect("td.cell.st-pass .mark-pass")
    api = client.get(f"/api/reports/{doc_id}").json()
    assert api["summary"]["fail"] >= 1
    all_rows = doc.cssselect("#checks-all tbody tr")
    assert len(all_rows) == len(api["checks"])


def test_cross_year_checks_against_the_previous_report_of_the_agency(client, archive):
    doc_id, agency, year = report_with_previous_year(archive)
    r = client.get(f"/reports/{doc_id}")
    doc = html(r)
    api = client.get(f"/api/reports/{doc_id}").json()
    assert api["previous_report"]["year"] == year - 1
    rules = {c["rule"] for c in api["cross_year"]}
    assert {"S1", "S5"} <= rules
    rows = doc.cssselect("#checks-cross-year tbody tr")
    assert len(rows) == len(api["cross_year"])
    assert f'/reports/{api["previous_report"]["doc_id"]}"' in r.text


def test_report_page_lists_its_attachments(client, archive):
    doc_id = doc_id_of(archive, archive.edited_url)
    doc = html(client.get(f"/reports/{doc_id}"))
    items = doc.cssselect("#attachments li")
    assert len(items) == 1 and "统计表.pdf" in items[0].text_content() and "附件" in items[0].text_content()
    att = archive.info["attachment_id"]
    assert items[0].cssselect("a")[0].get("href") == f"/reports/{att}"
    api = client.get(f"/api/reports/{doc_id}").json()
    assert [a["doc_id"] for a in api["attachments"]] == [att]
    # the attachment's own page links back to its report page, and its bytes are archived
    page = client.get(f"/reports/{att}")
    assert page.status_code == 200 and f'/reports/{doc_id}"' in page.text
    sid = client.get(f"/api/reports/{att}").json()["captures"][0]["id"]
    assert client.get(f"/raw/{sid}").content.startswith(b"%PDF-1.4")


# ------------------------------------------------------------------------------------ captures
def test_timeline_marks_the_capture_whose_content_changed(client, archive):
    r = client.get("/timeline?url=" + quote(archive.edited_url, safe=""))
    doc = html(r)
    rows = doc.cssselect("table.captures tbody tr")
    assert len(rows) == 2
    assert "已变化" in rows[1].text_content() and "changed" in rows[1].get("class")
    assert "已变化" not in rows[0].text_content()
    snaps = snapshots_of(archive, archive.edited_url)
    for s, row in zip(snaps, rows):
        assert s.sha256 in row.text_content()
        assert str(s.status) in row.text_content()
    api = client.get("/api/timeline", params={"url": archive.edited_url}).json()
    assert [c["changed"] for c in api["captures"]] == [False, True]
    assert client.get("/timeline?url=http://nowhere.example/").status_code == 404


def test_capture_view_replays_the_archived_page_in_a_sandbox_with_a_banner(client, archive):
    snap = snapshots_of(archive, archive.edited_url)[0]
    doc = html(client.get(f"/captures/{snap.id}"))
    banner = doc.cssselect("#capture-banner")[0].text_content()
    assert snap.fetched_at.strftime("%Y-%m-%d %H:%M:%S") in banner and archive.edited_url in banner
    frame = doc.cssselect("iframe.replay")[0]
    assert frame.get("src") == f"/replay/{snap.id}" and "allow-scripts" not in frame.get("sandbox")
    r = client.get(f"/replay/{snap.id}")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "script-src 'none'" in csp and "allow-scripts" not in csp
    assert "采集于" in r.text and "更正说明" not in r.text  # the first capture, before the edit
    replayed = lxml.html.document_fromstring(r.text)
    assert not replayed.cssselect("script")
    hrefs = [a.get("href") for a in replayed.cssselect("a[href]") if not a.get("href").startswith("#")]
    assert hrefs and all(h.startswith("/go?url=") for h in hrefs)
    # a rewritten link leads to the archived copy of its target (the portal's homepage is archived)
    home = archive.urls[next(iter(archive.urls))]
    to_home = [h for h in hrefs if h.startswith(f"/go?url={quote(home, safe='')}&")]
    assert to_home
    go = client.get(to_home[0], follow_redirects=False)
    assert go.status_code == 302 and go.headers["location"].startswith("/captures/")
    raw = client.get(f"/raw/{snap.id}")
    rec = read_record(archive.data / "archive", snap.warc_file, snap.warc_offset)
    assert raw.content == rec.body and raw.headers["content-disposition"].startswith("attachment")
    api = client.get(f"/api/captures/{snap.id}").json()
    assert api["sha256"] == snap.sha256 and api["url"] == archive.edited_url


def test_gbk_pages_replay_decoded_and_pages_without_content_still_open(client, archive):
    # sim-yongqiao serves GBK (gb2312 declared): the replay is re-encoded as UTF-8
    db = archive.db()
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.portal_id == "sim-yongqiao", Document.is_report.is_(True))
                        .order_by(Document.id)).first()
        content = s.get(Content, doc.current_sha256)
        sid = s.scalars(select(Snapshot.id).where(Snapshot.document_id == doc.id, Snapshot.status == 200)).first()
    db.dispose()
    assert content.encoding and content.encoding.lower().replace("-", "") in ("gb18030", "gbk", "gb2312")
    r = client.get(f"/replay/{sid}")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert content.title in r.text and '<meta charset="utf-8">' in r.text
    # the hostile page has no extracted content: its page still shows metadata and captures
    page = client.get(f"/reports/{doc_id_of(archive, archive.hostile_url)}")
    assert page.status_code == 200 and "不是法定的政府信息公开工作年度报告" in page.text
    assert f"/captures/{archive.hostile_sid}" in page.text


def test_go_redirects_to_the_nearest_capture_of_an_archived_url(client, archive):
    snaps = snapshots_of(archive, archive.edited_url)
    ts = snaps[-1].fetched_at.strftime("%Y%m%d%H%M%S")
    r = client.get(f"/go?url={quote(archive.edited_url, safe='')}&ts={ts}&top=1", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == f"/captures/{snaps[-1].id}"
    r = client.get(f"/go?url={quote(archive.edited_url, safe='')}&ts={ts}", follow_redirects=False)
    assert r.headers["location"] == f"/replay/{snaps[-1].id}"
    assert client.get("/go?url=http%3A%2F%2Fnot.archived%2F").status_code == 404


def test_revisit_capture_replays_the_payload_it_refers_to(client, archive):
    db = archive.db()
    with db.session() as s:
        target = s.get(Snapshot, archive.revisit_of)
        rec = read_record(archive.data / "archive", target.warc_file, target.warc_offset)
    db.dispose()
    r = client.get(f"/raw/{archive.revisit_sid}")
    assert r.status_code == 200 and r.content == rec.body and len(rec.body) > 0
    assert client.get(f"/replay/{archive.revisit_sid}").status_code == 200
    assert "重访" in client.get(f"/captures/{archive.revisit_sid}").text


def test_diff_shows_the_text_change_and_the_changed_table_cell(client, archive):
    a, b = snapshots_of(archive, archive.edited_url)
    doc = html(client.get(f"/diff?a={a.id}&b={b.id}"))
    ins = " ".join(e.text_content() for e in doc.cssselect("table.diff ins"))
    assert "更正说明：本报告发布后经过修订。" in ins
    cells = doc.cssselect("#changed-cells tbody tr")
    assert len(cells) >= 1
    assert any(tr.cssselect("td.del")[0].text_content() == "0" and tr.cssselect("td.add")[0].text_content() == "7"
               for tr in cells)
    # unchanged stretches are folded on the page, the API keeps every line
    assert "行相同" in doc.cssselect("table.diff tr.skip")[0].text_content()
    api = client.get("/api/diff", params={"a": a.id, "b": b.id}).json()
    assert not api["same_digest"]
    assert len(api["lines"]) > len(doc.cssselect("table.diff tbody tr"))
    assert any(c["a"] == 0 and c["b"] == 7 for c in api["cells"])
    same = client.get("/api/diff", params={"a": a.id, "b": a.id}).json()
    assert same["same_digest"] and same["cells"] == [] and same["changed_lines"] == 0


# -------------------------------------------------------------------------------------- search
def test_search_finds_chinese_text_in_bodies_and_titles(client, archive):
    doc = html(client.get("/search", params={"q": "财政局"}))
    hits = doc.cssselect("li.hit")
    assert hits
    assert all("财政局" in h.text_content() for h in hits)
    assert doc.cssselect("li.hit mark")
    # a phrase only in the body (the edited report's added sentence)
    api = client.get("/api/search", params={"q": "本报告发布后经过修订"}).json()
    assert [h["url"] for h in api["hits"]] == [archive.edited_url]
    # two terms: both must occur
    both = client.get("/api/search", params={"q": "财政局 2024"}).json()
    assert both["hits"] and all("财政局" in (h["title"] + h["snippet"]) and h["year"] == 2024 or "2024" in h["snippet"]
                                for h in both["hits"])
    # short terms match titles and agencies
    short = client.get("/api/search", params={"q": "财政"}).json()
    assert short["total"] >= len(both["hits"]) and all("财政" in (h["title"] or "") + (h["agency"] or "")
                                                       for h in short["hits"])
    none = html(client.get("/search", params={"q": "不存在的词语组合"}))
    assert "没有找到结果" in none.text_content()


def test_search_filters_year_portal_format_and_failed_checks(client, archive):
    q = {"q": "政府信息公开"}
    every = client.get("/api/search", params={**q, "limit": 200}).json()["hits"]
    assert every
    y = next(h["year"] for h in every if h["year"])
    by_year = client.get("/api/search", params={**q, "year": y, "limit": 200}).json()["hits"]
    assert by_year and all(h["year"] == y for h in by_year) and len(by_year) < len(every)
    by_portal = client.get("/api/search", params={**q, "portal": "sim-shixing", "limit": 200}).json()["hits"]
    assert by_portal and all(h["portal_id"] == "sim-shixing" for h in by_portal)
    fmt = client.get("/api/search", params={**q, "format": "2019", "limit": 200}).json()["hits"]
    assert fmt and all(h["format"] == "2019" for h in fmt)
    failed = client.get("/api/search", params={"failed": "1", "limit": 200}).json()["hits"]
    doc_id, _check = failing_report(archive)
    assert doc_id in {h["doc_id"] for h in failed} and all(h["failed"] > 0 for h in failed)
    page = html(client.get("/search", params={**q, "year": y, "portal": "sim-shixing"}))
    assert page.cssselect("select[name=year] option[selected]")[0].get("value") == str(y)


def _tiny_store(url):
    from storage.database import open_database
    from storage.models import Portal

    db = open_database(url)
    with db.session() as s:
        s.add(Portal(id="p", name="测试门户", url="http://127.0.0.1/"))
        s.flush()
        s.add(Content(sha256="a" * 64, size=1, extractor_version="t", title="甲县教育局2024年政府信息公开工作年度报告",
                      agency="甲县教育局", year=2024, format="2021", is_annual_report=True,
                      text="全年主动公开文件一百二十件，受理申请十七件。",
                      record={"checks": [{"rule": "R1", "status": "fail"}, {"rule": "R2", "status": "pass"}]}))
        s.flush()
        s.add(Document(portal_id="p", url="http://127.0.0.1/a.html", kind="article", current_sha256="a" * 64,
                       is_report=True))
    return db


def _index_follows_writes(db):
    from storage import search as idx

    with db.session() as s:
        res = idx.search(s, "主动公开文件")
        assert [h.url for h in res.hits] == ["http://127.0.0.1/a.html"]
        assert res.hits[0].failed == 1 and res.hits[0].year == 2024 and res.hits[0].is_report
        assert idx.search(s, "教育局").total == 1  # title / agency
        F = idx.SearchFilters
        assert idx.search(s, "主动公开文件", F(year=2024, portal="p", format="2021", failed=True,
                                            reports_only=True)).total == 1
        for miss in (F(year=2023), F(portal="q"), F(format="2019")):
            assert idx.search(s, "主动公开文件", miss).total == 0
        # the filter tags stored next to the text are not searchable text
        for tag in ("FAILX", "RPTX", "Y2024Y", "F2021F"):
            assert idx.search(s, tag).total == 0, tag
    with db.session() as s:  # the extracted text is corrected: the index follows
        c = s.get(Content, "a" * 64)
        c.text = "依申请公开工作平稳有序。"
    with db.session() as s:
        assert idx.search(s, "主动公开文件").total == 0
        assert idx.search(s, "依申请公开工作").total == 1
    with db.session() as s:  # a match is a substring, not just the same characters or bigrams
        s.get(Content, "a" * 64).text = "依申请公开工作平稳有序。甲乙乙甲"
    with db.session() as s:
        assert idx.search(s, "甲乙乙甲").total == 1
        assert idx.search(s, "乙甲乙").total == 0 and idx.search(s, "乙甲乙").hits == []
    with db.session() as s:  # a new content for the document: re-pointed
        s.add(Content(sha256="b" * 64, size=1, extractor_version="t", title="新标题", text="第三版正文内容",
                      is_annual_report=False, record={}))
        s.flush()
        d = s.scalars(select(Document)).one()
        d.current_sha256, d.is_report = "b" * 64, False
    with db.session() as s:
        res = idx.search(s, "第三版正文")
        assert res.total == 1 and not res.hits[0].is_report and res.hits[0].title == "新标题"
        assert idx.search(s, "第三版正文", idx.SearchFilters(reports_only=True)).total == 0
        assert idx.rebuild(s) == 1
        assert idx.search(s, "第三版正文").total == 1
    with db.session() as s:
        s.delete(s.scalars(select(Document)).one())
    with db.session() as s:
        assert idx.search(s, "第三版正文").total == 0


def test_search_index_follows_writes_on_sqlite(tmp_path):
    from storage.database import sqlite_url

    db = _tiny_store(sqlite_url(tmp_path / "s.db"))
    _index_follows_writes(db)
    db.dispose()


def test_search_index_follows_writes_on_postgresql(pg_url):
    db = _tiny_store(pg_url)
    try:
        _index_follows_writes(db)
        with db.session() as s:
            # the bigram index exists
            names = {r[0] for r in s.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'search_meta'"))}
            assert "ix_search_meta_grams" in names
    finally:
        db.dispose()


# ---------------------------------------------------------------------------------- compliance
def test_compliance_matrix_on_time_late_missing_and_failed(client, archive):
    import datetime as dt

    d = client.get("/api/compliance").json()
    assert d["rows"] and d["years"]
    db = archive.db()
    with db.session() as s:
        rows = s.execute(select(Content.agency, Content.year, Content.published)
                         .join(Document, Document.current_sha256 == Content.sha256)
                         .where(Document.is_report.is_(True))).all()
    db.dispose()
    by = {r["agency"]: r["cells"] for r in d["rows"]}
    for agency, year, published in rows:
        cell = by[agency][str(year)]
        late = (dt.date.fromisoformat(published) - dt.date(year + 1, 1, 31)).days
        assert cell["status"] == ("late" if late > 0 else "on_time")
        if late > 0:
            assert cell["days_late"] == late
    # gaps in an agency's years are missing reports
    have = {(a, y) for a, y, _p in rows}
    for agency, cells in by.items():
        years = [y for a, y in have if a == agency]
        for y in range(min(years), d["last_due_year"] + 1):
            if (agency, y) not in have:
                assert cells[str(y)]["status"] == "missing"
    page = html(client.get("/compliance"))
    assert len(page.cssselect("#compliance tbody tr")) == len(d["rows"])
    late_only = client.get("/api/compliance", params={"status": "late"}).json()
    assert all(any(c["status"] == "late" for c in r["cells"].values()) for r in late_only["rows"])
    doc_id, _ = failing_report(archive)
    failed_rows = client.get("/api/compliance", params={"status": "failed"}).json()["rows"]
    assert any(c.get("doc_id") == doc_id and c["failed"] > 0 for r in failed_rows for c in r["cells"].values())


def test_compliance_rules_on_a_small_store(tmp_path):
    import datetime as dt

    from harvester.web import compliance
    from storage.database import open_database, sqlite_url
    from storage.models import Portal

    db = open_database(sqlite_url(tmp_path / "c.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="门户", url="http://127.0.0.1/"))
        s.flush()
        for i, (year, pub, fails) in enumerate([(2021, "2022-01-31", 0), (2022, "2023-02-10", 2), (2024, None, 0)]):
            sha = f"{i:064d}"
            s.add(Content(sha256=sha, size=1, extractor_version="t", agency="乙局", year=year, published=pub,
                          is_annual_report=True, record={"checks": [{"status": "fail"}] * fails}))
            s.flush()
            s.add(Document(portal_id="p", url=f"http://127.0.0.1/{i}.html", kind="article", current_sha256=sha,
                           is_report=True))
    d = compliance.compliance(db, today=dt.date(2026, 3, 1))
    cells = d["rows"][0]["cells"]
    assert d["last_due_year"] == 2025
    assert cells[2021]["status"] == "on_time"  # the deadline day itself is on time
    assert cells[2022]["status"] == "late" and cells[2022]["days_late"] == 10 and cells[2022]["failed"] == 2
    assert cells[2023]["status"] == "missing"
    assert cells[2024]["status"] == "unknown"
    assert cells[2025]["status"] == "missing"
    early = compliance.compliance(db, today=dt.date(2026, 1, 20))
    # before 31 January the previous year is not due yet: never "missing"
    assert early["last_due_year"] == 2024
    assert early["rows"][0]["cells"].get(2025, {"status": "not_due"})["status"] == "not_due"
    rows = list(compliance.compliance_csv_rows(d))
    assert rows[0][:4] == ["agency", "portals", "year", "status"]
    assert ["乙局", "p", 2022, "late", "逾期", "2023-02-10", "2023-01-31", 10, 2] == rows[2][:9]


def test_compliance_csv_export(client):
    r = client.get("/compliance.csv", params={"status": "late"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "agency" and len(rows) > 1
    api = client.get("/api/compliance", params={"status": "late"}).json()
    agencies = {r["agency"] for r in api["rows"]}
    assert {row[0] for row in rows[1:]} == agencies


# ------------------------------------------------------------------------------------- exports
def test_tables_csv_and_xlsx_export(client, archive):
    from openpyxl import load_workbook

    r = client.get("/export/tables.csv", params={"portal": "sim-meizhou"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["portal"] for row in rows} == {"sim-meizhou"}
    doc_id = report_ids(archive)[0]
    rep = client.get(f"/api/reports/{doc_id}").json()
    url = rep["report"]["url"]
    new_total = rep["record"]["tables"]["applications"]["new"]["total"]
    if rep["report"]["portal_id"] == "sim-meizhou":
        hit = [x for x in rows if x["url"] == url and x["table"] == "applications" and x["row"] == "new"
               and x["column"] == "total"]
        assert hit and hit[0]["value"] == str(new_total) and "本年新收" in hit[0]["label"]
    assert len({x["url"] for x in rows}) == 22
    x = client.get("/export/tables.xlsx", params={"year": "2024"})
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content), read_only=True)
    assert wb.sheetnames == ["主动公开", "依申请公开", "复议诉讼"]
    sheet = list(wb["依申请公开"].iter_rows(values_only=True))
    assert sheet[0][:3] == ("portal", "agency", "year")
    assert all(r[2] == 2024 for r in sheet[2:]) and len(sheet) > 2
    assert "export/tables.xlsx" in client.get("/export").text


def test_evidence_bundle_holds_warc_records_metadata_and_checks(client, archive):
    doc_id = doc_id_of(archive, archive.edited_url)
    r = client.get(f"/reports/{doc_id}/evidence.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    names = z.namelist()
    assert {"metadata.json", "checks.json", "record.json"} <= set(names)
    meta = json.loads(z.read("metadata.json"))
    assert meta["report"]["url"] == archive.edited_url
    warcs = [n for n in names if n.startswith("warc/")]
    assert len(warcs) == len(snapshots_of(archive, archive.edited_url))
    digests = set()
    for n in warcs:
        rec = next(iter(ArchiveIterator(io.BytesIO(z.read(n)))))
        assert rec.rec_type == "response"
        assert rec.rec_headers.get_header("WARC-Target-URI") == archive.edited_url
        digests.add(hashlib.sha256(rec.content_stream().read()).hexdigest())
    assert digests == {s.sha256 for s in snapshots_of(archive, archive.edited_url)}
    checks = json.loads(z.read("checks.json"))
    assert checks["parse_time"] and checks["summary"]["fail"] >= 0


# ----------------------------------------------------------------------------------------- API
def test_openapi_document_lists_the_api(client):
    spec = client.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    for p in ("/api/overview", "/api/portals", "/api/portals/{portal_id}", "/api/runs", "/api/reports/{doc_id}",
              "/api/timeline", "/api/captures/{sid}", "/api/diff", "/api/search", "/api/compliance",
              "/api/portals/{portal_id}/recrawl"):
        assert p in paths, p
    assert all(p.startswith("/api/") for p in paths)
    assert "/api/openapi.json" in client.get("/api").text
    runs = client.get("/api/runs", params={"portal": "sim-meizhou"}).json()
    assert len(runs) == 2 and all(r["portal"] == "sim-meizhou" for r in runs)


def test_pages_carry_a_script_free_content_security_policy(client, archive):
    for path in ("/", "/search?q=报告", "/compliance", f"/reports/{report_ids(archive)[0]}"):
        csp = client.get(path).headers["content-security-policy"]
        assert "script-src 'none'" in csp and "object-src 'none'" in csp


# ----------------------------------------------------------------------------- actions / access
def test_without_recrawl_the_button_is_hidden_and_the_endpoint_answers_503(client):
    page = client.get("/portals/sim-meizhou").text
    assert "/recrawl" not in page
    r = client.post("/api/portals/sim-meizhou/recrawl", headers={"X-Harvester-Token": "x"})
    assert r.status_code == 503 and "未启用" in r.json()["detail"]
    assert client.post("/portals/sim-meizhou/recrawl", data={"token": "x"}).status_code == 503


def test_recrawl_needs_the_token_and_csrf(archive):
    from harvester.web import create_app

    calls = RecordingRecrawl()
    c = TestClient(create_app(archive.cfg, recrawl=calls, token="s3cret", access_token="", basic_auth=""))
    # API: header token
    assert c.post("/api/portals/sim-meizhou/recrawl").status_code == 403
    assert c.post("/api/portals/sim-meizhou/recrawl", headers={"X-Harvester-Token": "wrong"}).status_code == 403
    r = c.post("/api/portals/sim-meizhou/recrawl?full=true", headers={"X-Harvester-Token": "s3cret"})
    assert r.status_code == 200 and r.json()["result"]["run_id"] == 4242
    assert calls.calls == [("sim-meizhou", True)]
    assert c.post("/api/portals/nope/recrawl", headers={"X-Harvester-Token": "s3cret"}).status_code == 404
    # form: the portal page shows the button and sets the CSRF cookie
    page = c.get("/portals/sim-yongqiao")
    form = lxml.html.document_fromstring(page.text).cssselect("section.action form")[0]
    csrf = form.cssselect("input[name=csrf]")[0].get("value")
    assert csrf and c.cookies.get("xxgk_csrf") == csrf
    assert c.post("/portals/sim-yongqiao/recrawl", data={"token": "s3cret"}).status_code == 403  # no CSRF field
    assert c.post("/portals/sim-yongqiao/recrawl", data={"token": "s3cret", "csrf": "forged"}).status_code == 403
    assert c.post("/portals/sim-yongqiao/recrawl", data={"token": "bad", "csrf": csrf}).status_code == 403
    evil = c.post("/portals/sim-yongqiao/recrawl", data={"token": "s3cret", "csrf": csrf},
                  headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    assert len(calls.calls) == 1
    ok = c.post("/portals/sim-yongqiao/recrawl", data={"token": "s3cret", "csrf": csrf})
    assert ok.status_code == 200 and "4242" in ok.text
    assert calls.calls[-1] == ("sim-yongqiao", False)
    # a recrawl callable but no token configured: actions stay disabled
    c2 = TestClient(create_app(archive.cfg, recrawl=calls, token="", access_token="", basic_auth=""))
    r = c2.post("/api/portals/sim-meizhou/recrawl", headers={"X-Harvester-Token": ""})
    assert r.status_code == 403 and "HARVESTER_WEB_TOKEN" in r.json()["detail"]
    assert len(calls.calls) == 2


def test_action_token_comes_from_the_environment(archive, monkeypatch):
    from harvester.config import Config
    from harvester.web import create_app

    monkeypatch.setenv("HARVESTER_WEB_TOKEN", "from-env")
    cfg = Config.from_env(data=str(archive.data), portals=str(archive.cfg.registry))
    calls = RecordingRecrawl()
    c = TestClient(create_app(cfg, recrawl=calls, access_token="", basic_auth=""))
    assert c.post("/api/portals/sim-meizhou/recrawl", headers={"X-Harvester-Token": "from-env"}).status_code == 200
    assert calls.calls == [("sim-meizhou", False)]


def test_optional_access_control_basic_auth_and_token(archive):
    from harvester.web import create_app

    c = TestClient(create_app(archive.cfg, token="", basic_auth="auditor:密码", access_token=""))
    r = c.get("/")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    good = base64.b64encode("auditor:密码".encode()).decode()
    assert c.get("/", headers={"Authorization": f"Basic {good}"}).status_code == 200
    bad = base64.b64encode(b"auditor:x").decode()
    assert c.get("/api/overview", headers={"Authorization": f"Basic {bad}"}).status_code == 401
    t = TestClient(create_app(archive.cfg, token="", basic_auth="", access_token="tok"))
    assert t.get("/api/overview").status_code == 401
    assert t.get("/api/overview", headers={"Authorization": "Bearer tok"}).status_code == 200
    r = t.get("/search?access_token=tok", follow_redirects=False)
    assert r.status_code == 303
    assert t.get("/search").status_code == 200  # the cookie now carries access


# ------------------------------------------------------------------------------------ sanitiser
def test_replayed_hostile_page_has_no_active_content(client, archive):
    r = client.get(f"/replay/{archive.hostile_sid}")
    assert r.status_code == 200
    assert r.headers["content-security-policy"].startswith("sandbox")
    body = r.text.lower()
    assert "<script" not in body
    assert "javascript:" not in body.replace(" ", "")
    assert not re.search(r"\son[a-z]+\s*=", body)
    assert "http-equiv" not in body and "srcdoc" not in body and "<iframe" not in body and "<object" not in body
    assert archive.recorder.url not in r.text  # every URL now points into the archive
    doc = lxml.html.document_fromstring(r.text)
    assert doc.cssselect("#normal")[0].get("href").startswith("/go?url=")
    assert "某某局2024年政府信息公开工作年度报告" in r.text
    svg = client.get(f"/replay/{archive.svg_sid}")
    assert svg.headers["content-security-policy"].startswith("sandbox")
    assert svg.headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------------------------------ CLI
def test_harvester_serve_serves_the_browser(archive):
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.web.conftest import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "harvester.cli", "--data", str(archive.data), "serve",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as resp:
                    page = resp.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "梅州市人民政府网" in page
    finally:
        proc.terminate()
        proc.wait(10)


def test_pages_work_on_postgresql(pg_url, tmp_path):
    from harvester.web import create_app

    db = _tiny_store(pg_url)
    try:
        c = TestClient(create_app(db=db, archive_dir=tmp_path, token=""))
        assert "测试门户" in c.get("/").text
        assert c.get("/api/overview").json()["portals"][0]["reports"] == 1
        hits = c.get("/api/search", params={"q": "主动公开文件", "year": 2024, "failed": 1}).json()["hits"]
        assert [h["agency"] for h in hits] == ["甲县教育局"]
        assert c.get("/api/search", params={"q": "教育"}).json()["total"] == 1  # short term
        doc_id = hits[0]["doc_id"]
        page = c.get(f"/reports/{doc_id}")
        assert page.status_code == 200 and "甲县教育局" in page.text
        assert c.get("/portals/p").status_code == 200
        comp = c.get("/api/compliance").json()
        assert comp["rows"][0]["agency"] == "甲县教育局" and comp["rows"][0]["cells"]["2024"]["status"] == "unknown"
    finally:
        db.dispose()


def test_archived_text_is_escaped_in_our_pages(tmp_path):
    from harvester.web import create_app
    from storage.database import open_database, sqlite_url
    from storage.models import Portal

    db = open_database(sqlite_url(tmp_path / "x.db"))
    evil = '<script>document.title="PWNED"</script><img src=x onerror=alert(1)>'
    with db.session() as s:
        s.add(Portal(id="p", name="门户" + evil, url="http://127.0.0.1/"))
        s.flush()
        s.add(Content(sha256="c" * 64, size=1, extractor_version="t", title="标题报告" + evil, agency="机构" + evil,
                      year=2024, is_annual_report=True, text="正文报告内容" + evil,
                      record={"text": "正文报告内容" + evil, "checks": [
                          {"rule": "R1", "status": "fail", "table": "applications", "row": "new", "column": "total",
                           "operands": {evil: 1}, "expected": 1, "actual": 2, "detail": evil}],
                          "tables": {"applications": {"new": {"total": 2}}},
                          "tables_raw": {"applications": {"new": {"total": evil}}}}))
        s.flush()
        s.add(Document(portal_id="p", url="http://127.0.0.1/x.html", kind="article", current_sha256="c" * 64,
                       is_report=True, link_text=evil))
    c = TestClient(create_app(db=db, archive_dir=tmp_path, token=""))
    doc_id = c.get("/api/search", params={"q": "报告内容"}).json()["hits"][0]["doc_id"]
    for path in ("/", "/portals/p", f"/reports/{doc_id}", "/search?q=报告内容", "/compliance",
                 "/search?q=" + quote(evil)):
        body = c.get(path).text
        assert "<script>document" not in body and "<img src=x" not in body, path
        assert "&lt;script&gt;" in body, path  # shown, as text
    db.dispose()
