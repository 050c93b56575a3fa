"""One harvested archive per test session, shared by the web tests.

The simulated portals (seed 2025) are served on loopback at a fixed port so that two crawls
see the same URLs; between the crawls one report is edited (a table cell and a sentence), so
its URL has two different captures. Hostile archived pages (scripts, handlers, javascript:
links, meta refresh, SVG script) are then added to the archive the way the crawler would
store them: WARC records plus document/snapshot rows. The second crawl is a full pass, so
unchanged pages are stored as revisits.
"""
from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from harvester.config import Config
from harvester.sim import SimPage, SimServer, build_universe
from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Snapshot

FIRST_HOST = 71  # 127.0.0.71-73: away from the other suites' simulated portals


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "harvester.cli", *args], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


class Recorder:
    """A loopback HTTP server recording every request: hostile pages try to call it."""

    def __init__(self):
        self.hits: list[str] = []
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                rec.hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def hostile_page(rec: str) -> str:
    return f"""<!DOCTYPE html><html><head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={rec}/meta-refresh">
<title>恶意页面</title>
<base href="{rec}/base/">
<script>document.title = "PWNED-script"; fetch("{rec}/script");</script>
<script src="{rec}/external.js"></script>
<link rel="stylesheet" href="{rec}/style.css">
</head>
<body onload="document.title='PWNED-onload'; new Image().src='{rec}/onload'">
<h1>某某局2024年政府信息公开工作年度报告</h1>
<p>这是一个含有恶意内容的存档页面。</p>
<img src="x" onerror="document.title='PWNED-onerror'; new Image().src='{rec}/onerror'">
<a id="jslink" href="javascript:document.title='PWNED-js';fetch('{rec}/jslink')">点击此链接</a>
<a id="jslink2" href=" jav&#x09;ascript:fetch('{rec}/jslink2')">第二个链接</a>
<a id="normal" href="/xxgk/index.html">信息公开</a>
<svg width="20" height="20" onload="fetch('{rec}/svg-onload')"><script>document.title='PWNED-svg';fetch('{rec}/svg-script')</script>
<a href="javascript:fetch('{rec}/svg-link')"><rect width="20" height="20"/></a>
<animate attributeName="href" to="javascript:fetch('{rec}/svg-animate')"/></svg>
<iframe srcdoc="&lt;script&gt;parent.document.title='PWNED-srcdoc';fetch('{rec}/srcdoc')&lt;/script&gt;"></iframe>
<iframe src="javascript:fetch('{rec}/iframe-js')"></iframe>
<object data="{rec}/object.svg"></object>
<form action="javascript:fetch('{rec}/form')"><button id="formbtn">提交</button></form>
<div style="background:url(javascript:fetch('{rec}/css'))">样式</div>
</body></html>"""


def hostile_svg(rec: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'{rec}/svgdoc-onload\')">'
            f"<script>document.title='PWNED-svgdoc';fetch('{rec}/svgdoc-script')</script>"
            '<circle cx="5" cy="5" r="4"/></svg>')


class WarcOut:
    """Writes response records with warcio directly (independent of the crawler's writer API)."""

    def __init__(self, directory: Path, name: str):
        from warcio.warcwriter import WARCWriter

        self.name = name
        self.fh = open(directory / name, "wb")
        self.writer = WARCWriter(self.fh, gzip=True, warc_version="WARC/1.1")

    def write(self, url: str, ctype: str, body: bytes, when: dt.datetime) -> dict:
        import hashlib
        import io

        from warcio.statusandheaders import StatusAndHeaders

        http = StatusAndHeaders("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        rid = f"<urn:uuid:{uuid.uuid4()}>"
        rec = self.writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                             http_headers=http, warc_headers_dict={
                                                 "WARC-Record-ID": rid,
                                                 "WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
        offset = self.fh.tell()
        self.writer.write_record(rec)
        return {"warc_file": self.name, "offset": offset, "length": self.fh.tell() - offset, "record_id": rid,
                "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}

    def close(self):
        self.fh.close()


@dataclass
class Archive:
    data: Path
    cfg: Config
    urls: dict  # portal id -> base url
    edited_url: str  # the report edited between the two crawls
    hostile_url: str
    hostile_sid: int
    svg_sid: int
    revisit_sid: int
    revisit_of: int
    recorder: Recorder
    info: dict = field(default_factory=dict)

    def db(self):
        return open_database(sqlite_url(self.data / "harvester.db"))


def _edit_report(universe, portal_id: str) -> str:
    portal = universe.portal(portal_id)
    entry = next(r for r in portal.reports if r.encoding == "utf-8" and r.layout == "2021") \
        if any(r.encoding == "utf-8" and r.layout == "2021" for r in portal.reports) else portal.reports[0]
    page = portal.pages[entry.path]
    body = page.body.decode("utf-8")
    # one table cell changes (the last "0" cell of the last table) and a sentence is added
    i = body.rfind('">0</td>')
    assert i > 0
    body = body[:i] + '">7</td>' + body[i + len('">0</td>'):]
    body = body.replace('<div class="TRS_Editor">', '<div class="TRS_Editor"><p>更正说明：本报告发布后经过修订。</p>', 1)
    portal.pages[entry.path] = SimPage.make(body.encode("utf-8"), page.content_type,
                                            page.last_modified + dt.timedelta(days=30))
    return entry.path


def _add_hostile(data: Path, base_url: str, portal_id: str, rec: Recorder) -> dict:
    db = open_database(sqlite_url(data / "harvester.db"))
    now = dt.datetime.now(dt.timezone.utc)
    arc = WarcOut(data / "archive", "hostile-test.warc.gz")
    items = {}
    try:
        for name, ctype, body in (
            ("hostile.html", "text/html; charset=utf-8", hostile_page(rec.url).encode("utf-8")),
            ("evil.svg", "image/svg+xml", hostile_svg(rec.url).encode("utf-8")),
        ):
            url = base_url + "xxgk/" + name
            where = arc.write(url, ctype, body, now)
            with db.session() as s:
                doc = Document(portal_id=portal_id, url=url, kind="article", first_seen=now, last_seen=now,
                               link_text="恶意页面" if name.endswith("html") else None)
                s.add(doc)
                s.flush()
                snap = Snapshot(document_id=doc.id, fetched_at=now, status=200, headers={"Content-Type": ctype},
                                sha256=where["sha256"], size=where["size"], warc_file=where["warc_file"],
                                warc_offset=where["offset"], warc_length=where["length"],
                                warc_record_id=where["record_id"])
                s.add(snap)
                s.flush()
                items[name] = (url, snap.id)
    finally:
        arc.close()
    db.dispose()
    return items


def _add_attachment(data: Path, report_url: str) -> tuple[str, int]:
    """A PDF attachment of the edited report, stored as the crawler stores attachments."""
    db = open_database(sqlite_url(data / "harvester.db"))
    now = dt.datetime.now(dt.timezone.utc)
    url = report_url.rsplit("/", 1)[0] + "/P020260122_%E7%BB%9F%E8%AE%A1%E8%A1%A8.pdf"  # 统计表
    body = b"%PDF-1.4\n% attachment of the annual report\n%%EOF\n"
    arc = WarcOut(data / "archive", "attachment-test.warc.gz")
    try:
        where = arc.write(url, "application/pdf", body, now)
    finally:
        arc.close()
    with db.session() as s:
        parent = s.scalars(select(Document).where(Document.url == report_url)).one()
        doc = Document(portal_id=parent.portal_id, url=url, kind="article", first_seen=now, last_seen=now,
                       link_text="附件：统计表.pdf", parent_id=parent.id)
        s.add(doc)
        s.flush()
        s.add(Snapshot(document_id=doc.id, fetched_at=now, status=200, headers={"Content-Type": "application/pdf"},
                       sha256=where["sha256"], size=where["size"], warc_file=where["warc_file"],
                       warc_offset=where["offset"], warc_length=where["length"], warc_record_id=where["record_id"]))
        s.flush()
        ids = url, doc.id
    db.dispose()
    return ids


def _find_revisit(data: Path) -> tuple[int, int]:
    """A capture stored as a revisit (a 304 or identical bytes) and the response it points at."""
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        rv = s.scalars(select(Snapshot).where(Snapshot.record_type == "revisit", Snapshot.payload_of_id.is_not(None))
                       .order_by(Snapshot.id)).first()
        assert rv is not None, "the full pass stored no revisit"
        ids = rv.id, rv.payload_of_id
    db.dispose()
    return ids


@pytest.fixture(scope="session")
def archive(tmp_path_factory) -> Archive:
    data = tmp_path_factory.mktemp("webarchive")
    universe = build_universe(seed=2025)
    port = free_port()
    rec = Recorder()
    with SimServer(universe, first_host=FIRST_HOST, port=port) as srv:
        registry = srv.write_registry(data / "portals.toml")
        urls = {p.id: srv.base_url(p.id) for p in universe.portals}
        run_cli("--data", str(data), "--portals", str(registry), "crawl", "--all", "--quiet")
        pid = universe.portals[0].id
        edited_path = _edit_report(universe, pid)
        run_cli("--data", str(data), "--portals", str(registry), "crawl", "--all", "--full", "--quiet")
    edited_url = urls[pid].rstrip("/") + edited_path
    hostile = _add_hostile(data, urls[pid], pid, rec)
    revisit_sid, revisit_of = _find_revisit(data)
    attachment_url, attachment_id = _add_attachment(data, edited_url)
    cfg = Config.from_env(data=str(data), portals=str(registry))
    a = Archive(data=data, cfg=cfg, urls=urls, edited_url=edited_url, hostile_url=hostile["hostile.html"][0],
                hostile_sid=hostile["hostile.html"][1], svg_sid=hostile["evil.svg"][1],
                revisit_sid=revisit_sid, revisit_of=revisit_of, recorder=rec,
                info={"attachment_url": attachment_url, "attachment_id": attachment_id})
    yield a
    rec.stop()


class RecordingRecrawl:
    def __init__(self):
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, portal_id: str, full: bool) -> dict:
        self.calls.append((portal_id, full))
        return {"run_id": 4242, "portal": portal_id, "full": full}


@pytest.fixture(scope="session")
def app(archive):
    from harvester.web import create_app

    return create_app(archive.cfg, token="", access_token="", basic_auth="")


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def report_ids(archive) -> list[int]:
    db = archive.db()
    with db.session() as s:
        ids = list(s.scalars(select(Document.id).where(Document.is_report.is_(True)).order_by(Document.id)))
    db.dispose()
    return ids


def doc_id_of(archive, url: str) -> int:
    db = archive.db()
    with db.session() as s:
        i = s.scalars(select(Document.id).where(Document.url == url)).one()
    db.dispose()
    return i


def snapshots_of(archive, url: str) -> list[Snapshot]:
    db = archive.db()
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == url)).one()
        snaps = list(s.scalars(select(Snapshot).where(Snapshot.document_id == doc.id).order_by(Snapshot.id)))
    db.dispose()
    return snaps


def content_of(archive, sha: str) -> Content | None:
    db = archive.db()
    with db.session() as s:
        c = s.get(Content, sha)
    db.dispose()
    return c
