"""Several workers storing into one PostgreSQL at the same moment (issue 12, item 5).

Four processes, each with its own connections, are released together by a barrier and store
the same captures: one annual report reposted on two portals (different bytes, the same text)
and one listing page. Whatever the interleaving, the store holds one content row per body, one
document per URL, one snapshot per WARC record and one logical report with both locations.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import traceback
from pathlib import Path

from sqlalchemy import func, select

from storage.database import open_database
from storage.ingest import Capture, ingest_capture
from storage.models import Content, Document, Portal, Report, ReportVersion, Snapshot

WORKERS = 4
ROUNDS = 4
T0 = dt.datetime(2025, 1, 21, 8, 0, tzinfo=dt.timezone.utc)
TEXT = ("{agency}{year}年政府信息公开工作年度报告。本报告根据《中华人民共和国政府信息公开条例》编制，"
        "主动公开政府信息{n}条，收到政府信息公开申请{m}件，全部按期答复。")


def _round_captures(r: int) -> list[Capture]:
    """Round ``r``: a county bureau's report on its own portal, reposted by the city's portal
    (another page around the same text), and the county's listing page."""
    agency, year = f"甲县第{r}局", 2020 + r
    text = TEXT.format(agency=agency, year=year, n=100 + r, m=7 + r)
    reading = {"encoding": "utf-8", "title": f"{agency}{year}年政府信息公开工作年度报告", "published": None,
               "text": text, "extractor_version": "t", "parser_version": "t", "is_annual_report": True,
               "agency": agency, "year": year, "format": "html", "record": {"text": text}, "error": None,
               "image_only": False}
    out = []
    for portal, url, body, kind in (
        ("county", f"http://127.0.0.41/r{r}/report.html", f"<html><h1>县</h1>{text}</html>", "article"),
        ("city", f"http://127.0.0.42/zz/{r}/repost.html", f"<html><div>市转载</div>{text}</html>", "article"),
        ("county", f"http://127.0.0.41/r{r}/index.html", f"<html>listing {r}</html>", "listing"),
    ):
        data = body.encode()
        out.append(Capture(
            portal_id=portal, url=url, kind=kind, status=200, headers={}, fetched_at=T0 + dt.timedelta(days=r),
            run_id=None, warc_file=f"{portal}.warc.gz", warc_offset=0, warc_length=len(data),
            warc_record_id=f"<urn:uuid:{hashlib.md5(url.encode()).hexdigest()}>",
            sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            reading=dict(reading) if kind == "article" else None))
    return out


def _store_rounds(url: str, n: int, barrier, report: str, rounds: int, captures, reverse) -> None:
    """A racing worker: each round, wait for the others at the barrier, then store the round's
    captures (reversed when ``reverse(n, r)``); errors go to ``report`` for the test to fail on."""
    db = open_database(url, migrate=False)
    errors = []
    try:
        for r in range(rounds):
            caps = captures(r)
            if reverse(n, r):
                caps.reverse()
            barrier.wait(timeout=60)
            for cap in caps:
                try:
                    with db.session() as s:
                        ingest_capture(s, cap)
                except Exception:  # noqa: BLE001 - reported to the test, which fails on it
                    errors.append(f"worker {n} round {r} {cap.url}:\n{traceback.format_exc()}")
    finally:
        db.dispose()
        Path(report).write_text("\n".join(errors), encoding="utf-8")


def _run_workers(target, pg_url: str, reports_stem: Path) -> None:
    """WORKERS processes running ``target(url, n, barrier, report)`` together (they meet at the
    barrier first); each writes what went wrong to its report file. Fails on any report or exit."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    reports = [Path(f"{reports_stem}{n}.txt") for n in range(WORKERS)]
    procs = [ctx.Process(target=target, args=(pg_url, n, barrier, str(reports[n]))) for n in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    failures = [f.read_text(encoding="utf-8") for f in reports if f.exists() and f.read_text(encoding="utf-8")]
    assert not failures, "\n".join(failures[:3])
    assert [p.exitcode for p in procs] == [0] * WORKERS


def _worker(url: str, n: int, barrier, report: str) -> None:
    # half the workers store the repost first
    _store_rounds(url, n, barrier, report, ROUNDS, _round_captures, lambda n, r: n % 2)


def test_workers_racing_on_one_reposted_report_store_it_once(pg_url, tmp_path):
    db = open_database(pg_url)
    with db.session() as s:
        s.add_all([Portal(id="county", name="甲县", url="http://127.0.0.41/"),
                   Portal(id="city", name="某市", url="http://127.0.0.42/")])
    _run_workers(_worker, pg_url, tmp_path / "worker")

    expected = [c for r in range(ROUNDS) for c in _round_captures(r)]
    with db.session() as s:
        # one content row per body, one document per (portal, URL), one snapshot per WARC record
        assert s.scalar(select(func.count()).select_from(Content)) == 2 * ROUNDS
        docs = s.execute(select(Document.portal_id, Document.url)).all()
        assert sorted(docs) == sorted({(c.portal_id, c.url) for c in expected})
        snaps = s.scalars(select(Snapshot.warc_record_id)).all()
        assert sorted(snaps) == sorted(c.warc_record_id for c in expected)
        # one logical report per round, found at both portals, one version at each location
        reports = s.scalars(select(Report)).all()
        assert len(reports) == ROUNDS
        for r in range(ROUNDS):
            county, city, listing = _round_captures(r)
            report = s.scalars(select(Report).where(Report.year == 2020 + r)).one()
            assert sorted(d.url for d in report.locations) == sorted([county.url, city.url])
            versions = s.execute(select(ReportVersion.document_id, ReportVersion.content_sha256)
                                 .where(ReportVersion.report_id == report.id)).all()
            assert len(versions) == len(set(versions)) == 2
    db.dispose()


def test_a_warc_record_stored_twice_is_one_snapshot_on_sqlite(tmp_path):
    from storage.database import sqlite_url

    db = open_database(sqlite_url(tmp_path / "h.db"))
    with db.session() as s:
        s.add_all([Portal(id="county", name="甲县", url="http://127.0.0.41/"),
                   Portal(id="city", name="某市", url="http://127.0.0.42/")])
    caps = _round_captures(0)
    for _ in range(2):  # e.g. stored by the crawl, then again from its WARC record by recovery
        for cap in caps:
            with db.session() as s:
                ingest_capture(s, cap)
    with db.session() as s:
        assert sorted(s.scalars(select(Snapshot.warc_record_id))) == sorted(c.warc_record_id for c in caps)
        report = s.scalars(select(Report)).one()
        assert sorted(d.url for d in report.locations) == sorted(c.url for c in caps[:2])
    db.dispose()


def _open_at_once(url: str, n: int, barrier, report: str) -> None:
    errors = ""
    try:
        barrier.wait(timeout=60)
        open_database(url).dispose()
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        errors = f"worker {n}:\n{traceback.format_exc()}"
    Path(report).write_text(errors, encoding="utf-8")


def test_workers_starting_at_once_on_a_new_postgresql_store_migrate_it_once(pg_url, tmp_path):
    """Several workers started together on an empty PostgreSQL schema: one runs the migrations,
    the others wait for it; every one of them opens the store."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text

    from storage.database import alembic_config

    _run_workers(_open_at_once, pg_url, tmp_path / "open")
    heads = set(ScriptDirectory.from_config(alembic_config(pg_url)).get_heads())
    engine = create_engine(pg_url)
    with engine.connect() as c:
        assert set(c.execute(text("select version_num from alembic_version")).scalars()) == heads
    engine.dispose()


FAMILY_ROUNDS = 6


def _family_captures(r: int, placeholder: bool = False) -> list[Capture]:
    """Round ``r``: an article page and the attachment it links (the document with the tables).
    Both are known already (``placeholder``: an earlier visit found a 建设中 page and an empty
    file); now the report is published on both at once. On even rounds the page only says
    详见附件 (not a report); on odd rounds it carries a summary, read as a report whose year the
    extractor did not find."""
    agency, year = f"乙县第{r}局", 2010 + r
    full = TEXT.format(agency=agency, year=year, n=300 + r, m=20 + r) + "一、总体情况。二、主动公开政府信息情况。"
    page_text = (f"{agency}{year}年政府信息公开工作年度报告详见附件。" if r % 2 == 0
                 else f"{agency}政府信息公开工作年度报告摘要：全年主动公开信息{400 + r}条，办结申请全部按期答复。")

    def reading(text: str, is_report: bool, fmt: str, year: int | None) -> dict:
        return {"encoding": "utf-8", "title": f"{agency}政府信息公开工作年度报告", "published": None,
                "text": text, "extractor_version": "t", "parser_version": "t", "is_annual_report": is_report,
                "agency": agency if is_report else None, "year": year if is_report else None, "format": fmt,
                "record": {"text": text}, "error": None, "image_only": False}

    page_url = f"http://127.0.0.43/art/{r}/t{r}.html"
    att_url = f"http://127.0.0.43/art/{r}/f{r}.pdf"
    if placeholder:
        items = ((page_url, f"<html>建设中 {r}</html>".encode(), "article", reading("建设中", False, "html", None), None),
                 (att_url, f"%PDF-1.4 empty {r}".encode(), "attachment", reading("", False, "pdf", None), page_url))
    else:
        items = ((page_url, f"<html>{page_text}<a href='f{r}.pdf'>附件</a></html>".encode(), "article",
                  reading(page_text, r % 2 == 1, "html", None), None),
                 (att_url, f"%PDF-1.4 {full}".encode(), "attachment", reading(full, True, "pdf", year), page_url))
    out = []
    for n, (url, body, kind, read, parent) in enumerate(items):
        out.append(Capture(
            portal_id="county", url=url, kind=kind, status=200, headers={},
            fetched_at=T0 + dt.timedelta(days=r, hours=0 if placeholder else 1),
            run_id=None, warc_file="county.warc.gz", warc_offset=0, warc_length=len(body),
            warc_record_id=f"<urn:uuid:{hashlib.md5(body).hexdigest()}>",
            sha256=hashlib.sha256(body).hexdigest(), size=len(body), parent_url=parent, reading=read))
    return out


def _family_worker(url: str, n: int, barrier, report: str) -> None:
    # half the workers store the attachment first
    _store_rounds(url, n, barrier, report, FAMILY_ROUNDS, _family_captures, lambda n, r: (n + r) % 2)


def test_workers_racing_on_a_page_and_its_attachment_make_one_report(pg_url, tmp_path):
    """Page and attachment are one logical report however two workers interleave storing them:
    one report per publication, listing both; no report left behind without its locations."""
    db = open_database(pg_url)
    with db.session() as s:
        s.add(Portal(id="county", name="乙县", url="http://127.0.0.43/"))
    for r in range(FAMILY_ROUNDS):
        for cap in _family_captures(r, placeholder=True):
            with db.session() as s:
                ingest_capture(s, cap)
    _run_workers(_family_worker, pg_url, tmp_path / "family")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == FAMILY_ROUNDS
        for r in range(FAMILY_ROUNDS):
            page, att = _family_captures(r)
            docs = {d.url: d for d in s.scalars(select(Document).where(Document.url.in_([page.url, att.url])))}
            assert docs[att.url].parent_id == docs[page.url].id
            assert docs[page.url].report_id == docs[att.url].report_id is not None, f"round {r}"
            # every version of the page and the attachment belongs to the report they are in
            for v in s.scalars(select(ReportVersion).where(ReportVersion.document_id.in_([d.id for d in docs.values()]))):
                assert v.report_id == docs[att.url].report_id, f"round {r}"
        # no report is left without a location
        assert s.scalar(select(func.count()).select_from(Report).where(~Report.locations.any())) == 0
    db.dispose()


def test_two_processes_making_one_new_portals_row_at_once_both_go_on(pg_url):
    """Two workers start harvests of one portal new to the store at the same moment: the second
    insert of its row waits for the first, then fails on the key. It updates the row instead
    (it used to end the harvest process with a traceback, recorded as a crash)."""
    import threading
    import time

    from sqlalchemy import insert, text

    from harvester.crawl import sync_portals
    from harvester.registry import PortalEntry

    db = open_database(pg_url)
    entry = PortalEntry("p-new", "甲县人民政府", "http://127.0.0.1:9/", ("http://127.0.0.1:9/gknb/",))
    other = db.engine.connect()
    tx = other.begin()
    other.execute(insert(Portal).values(id="p-new", name="甲县", url="http://127.0.0.1:9/", columns=[]))
    errors = []

    def sync():
        try:
            sync_portals(db, [entry])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=sync)
    t.start()
    other_pid = other.execute(text("select pg_backend_pid()")).scalar()
    with db.engine.connect() as watch:  # the sync's insert is waiting for the other's (not another test's)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not watch.execute(text(
                "select count(*) from pg_stat_activity a where :other = any(pg_blocking_pids(a.pid)) "
                "and a.query ilike '%insert into portals%'"), {"other": other_pid}).scalar():
            time.sleep(0.05)
    tx.commit()
    other.close()
    t.join(30)
    assert errors == []
    with db.session() as s:
        p = s.get(Portal, "p-new")
        assert (p.name, p.columns) == ("甲县人民政府", ["http://127.0.0.1:9/gknb/"])
    db.dispose()
