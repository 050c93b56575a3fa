"""Evidence that replays where auditors open it: a WACZ from `harvester export wacz` loads in
ReplayWeb.page (npm package ``replaywebpage``, pinned and fetched by bin/setup), served from
this machine on loopback, opened in Debian's Chromium; the report page's Chinese text shows.

ReplayWeb.page replays through a service worker, which needs a secure context: it is served
from http://127.0.0.1 (a potentially trustworthy origin), never from a file:// URL.
"""
from __future__ import annotations

import functools
import io
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Content, Document
from tests.web.conftest import run_cli
from tests.web.test_browser import ARGS, CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
RWP = ROOT / ".cache" / "replaywebpage-2.5.3" / "package"  # bin/setup puts it here

if not (RWP / "ui.js").exists() or not (RWP / "sw.js").exists():  # pragma: no cover - bin/setup fetches it
    pytest.fail(f"ReplayWeb.page not found at {RWP}: run bin/setup", pytrace=False)


class _Site(SimpleHTTPRequestHandler):
    """Static files with byte ranges (ReplayWeb.page reads a WACZ's members by Range requests,
    as from any web server; Python's handler alone answers every range with the whole file)."""

    def log_message(self, *a):
        pass

    def end_headers(self):
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):
        rng = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not rng.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first, _, last = rng[6:].split(",")[0].strip().partition("-")
        if first:
            start, end = int(first), (int(last) if last else size - 1)
        else:  # a suffix: the last N bytes
            start, end = max(0, size - int(last)), size - 1
        end = min(end, size - 1)
        if start > end:
            self.send_error(416)
            return None
        with open(path, "rb") as fh:
            fh.seek(start)
            body = fh.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="module")
def replay_site(archive, tmp_path_factory):
    """A loopback site: our embedding page, ReplayWeb.page's ui.js and replay/sw.js, and the
    WACZ of one logical report (the edited report: a page with two captures, and its attachment)."""
    site = tmp_path_factory.mktemp("replayweb")
    db = archive.db()
    with db.session() as s:
        doc, content = s.execute(select(Document, Content).join(Content, Content.sha256 == Document.current_sha256)
                                 .where(Document.url == archive.edited_url)).one()
        report_id, title = doc.report_id, content.title
    db.dispose()
    assert report_id is not None and title
    run_cli("--data", str(archive.data), "export", "wacz", "--report", str(report_id), str(site / "report.wacz"))
    (site / "replay").mkdir()
    (site / "ui.js").write_bytes((RWP / "ui.js").read_bytes())
    (site / "replay" / "sw.js").write_bytes((RWP / "sw.js").read_bytes())
    (site / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><script src="./ui.js"></script></head><body>'
        f'<replay-web-page source="report.wacz" url="{archive.edited_url}" replaybase="./replay/" '
        'embed="replayonly"></replay-web-page></body></html>', encoding="utf-8")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Site, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", title, archive.edited_url
    srv.shutdown()
    srv.server_close()


def test_exported_wacz_replays_the_report_in_replayweb_page(replay_site, tmp_path):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    base, title, url = replay_site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="allow")
            page = ctx.new_page()
            page.goto(base + "/index.html")
            # ReplayWeb.page's embed reloads its frame only three times, 100 ms apart, waiting for
            # its freshly registered service worker to take control; on a busy machine that is too
            # short and the frame stays empty. Open the page again once the worker is active, as a
            # returning auditor would.
            page.wait_for_function(
                """() => navigator.serviceWorker.getRegistration("./replay/")
                          .then(r => !!(r && r.active && r.active.state === "activated"))""",
                timeout=60_000, polling=250)
            page.goto(base + "/index.html")
            opened = time.monotonic()
            shown, replay_url = "", None
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and title not in shown:
                if replay_url is None and time.monotonic() - opened > 20:
                    # the embed gave up again on a loaded machine (its three quick reloads): open
                    # the page once more, the worker now long active
                    page.goto(base + "/index.html")
                    opened = time.monotonic()
                for frame in page.frames:
                    if "mp_/" not in frame.url:  # the replayed page's frame: …/<timestamp>mp_/<url>
                        continue
                    try:
                        shown = frame.inner_text("body", timeout=1000)
                        replay_url = frame.url
                    except PlaywrightError:
                        continue
                page.wait_for_timeout(500)  # (lets Playwright take in the new frames; time.sleep would not)
            page.screenshot(path=str(tmp_path / "replayweb.png"))
        finally:
            browser.close()
    assert replay_url is not None, "ReplayWeb.page opened no replay frame"
    # served from this machine, the archived URL replayed from the WACZ (the live host is gone)
    assert replay_url.startswith(base + "/replay/") and replay_url.split("mp_/", 1)[1] == url
    assert title in shown  # the report's Chinese title, read from the WACZ
    assert "政府信息公开" in shown

