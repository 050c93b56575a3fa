"""The archive browser in real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Search, open a report, open a capture, diff two captures — screenshots saved under the session
tmp dir — and hostile archived pages whose scripts must never run.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.web.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not os.path.exists(CHROMIUM):  # pragma: no cover - CI installs Debian's chromium
    pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium", pytrace=False)


@pytest.fixture(scope="module")
def server(app):
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() always starts Chromium with a fresh temporary user-data-dir
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_search_then_open_a_report(server, page, shots):
    page.goto(server + "/")
    page.fill("header input[name=q]", "财政局")
    page.click("header button[type=submit]")
    page.wait_for_selector("li.hit")
    assert "/search?q=" in page.url
    hits = page.locator("li.hit")
    assert hits.count() >= 1
    assert "财政局" in hits.first.inner_text()
    page.screenshot(path=str(shots / "search.png"), full_page=True)
    page.locator("li.hit a.title").first.click()
    page.wait_for_selector("#table-applications table.official")
    assert "/reports/" in page.url
    assert "财政局" in page.locator("h1").inner_text()
    assert page.locator("td.cell").count() > 40
    page.screenshot(path=str(shots / "report.png"), full_page=True)


def test_failed_cells_are_highlighted_in_the_browser(server, page, shots, client):
    hits = client.get("/api/search", params={"failed": "1", "limit": 1}).json()["hits"]
    page.goto(server + f"/reports/{hits[0]['doc_id']}")
    cell = page.locator("td.cell.st-fail").first
    assert cell.is_visible()
    color = cell.evaluate("e => getComputedStyle(e).backgroundColor")
    assert color == "rgb(253, 226, 228)"
    assert "期望" in cell.inner_text()
    cell.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "report-failed-cell.png"))


def test_open_a_capture_from_the_report(server, page, shots, archive):
    page.goto(server + "/timeline?url=" + quote(archive.edited_url, safe=""))
    page.locator("table.captures a", has_text="查看存档").first.click()
    page.wait_for_selector("#capture-banner")
    assert "采集于" in page.locator("#capture-banner").inner_text() or "采集自" in page.locator("#capture-banner").inner_text()
    frame = page.frame_locator("iframe.replay")
    frame.locator("#xxgk-archive-banner").wait_for()
    body = frame.locator("body").inner_text()
    assert "政府信息公开工作年度报告" in body
    page.screenshot(path=str(shots / "capture.png"), full_page=True)
    # following a link inside the archived page stays in the archive
    link = frame.locator("a[href^='/go?url=']").first
    href = link.get_attribute("href")
    assert href.startswith("/go?url=") and link.get_attribute("target") == "_top"


def test_diff_two_captures(server, page, shots, archive):
    page.goto(server + "/timeline?url=" + quote(archive.edited_url, safe=""))
    page.locator("a", has_text="与上次比较").first.click()
    page.wait_for_selector("table.diff")
    assert "更正说明" in page.locator("table.diff ins").first.inner_text()
    assert page.locator("#changed-cells tbody tr").count() >= 1
    page.screenshot(path=str(shots / "diff.png"), full_page=True)


def test_hostile_archived_pages_run_nothing(server, browser, archive, shots):
    rec = archive.recorder
    rec.hits.clear()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        for path in (f"/captures/{archive.hostile_sid}", f"/replay/{archive.hostile_sid}",
                     f"/captures/{archive.svg_sid}", f"/replay/{archive.svg_sid}"):
            page.goto(server + path)
            page.wait_for_timeout(800)
            assert "PWNED" not in page.title(), path
            assert page.url == server + path, f"{path} navigated away to {page.url}"
        page.goto(server + f"/captures/{archive.hostile_sid}")
        frame = page.frame_locator("iframe.replay")
        frame.locator("h1").wait_for()
        assert "某某局" in frame.locator("h1").inner_text()
        # click the (neutralised) javascript: links and the form button inside the sandbox
        for sel in ("#jslink", "#jslink2", "#formbtn"):
            frame.locator(sel).click(timeout=3000)
            page.wait_for_timeout(300)
        page.screenshot(path=str(shots / "hostile.png"), full_page=True)
        inner_titles = [f.title() for f in page.frames]
        assert not any("PWNED" in t for t in inner_titles + [page.title()])
        page.wait_for_timeout(700)
    finally:
        ctx.close()
    assert rec.hits == [], f"hostile page reached the recording server: {rec.hits}"
    assert not [u for u in requests if u.startswith(rec.url)]
    assert dialogs == []


def _hits_after_loading(browser, url: str, body: str, headers: dict, rec) -> list[str]:
    rec.hits.clear()
    ctx = browser.new_context()
    page = ctx.new_page()
    page.route(url, lambda route: route.fulfill(status=200, body=body.encode("utf-8"),
                                                headers={"Content-Type": "text/html; charset=utf-8", **headers}))
    try:
        page.goto(url)
        page.wait_for_timeout(800)
        for sel in ("#jslink", "#jslink2"):
            loc = page.locator(sel)
            if loc.count():
                loc.click(timeout=2000, no_wait_after=True)
        page.wait_for_timeout(500)
        title = page.title()
    finally:
        ctx.close()
    return rec.hits + (["title:" + title] if "PWNED" in title else [])


def test_each_defence_layer_alone_stops_the_hostile_page(server, browser, archive):
    """The control (no defence) runs the scripts; the CSP sandbox alone and the sanitiser alone stop them."""
    from harvester.web.replay import REPLAY_CSP, rewrite_html
    from tests.web.conftest import hostile_page

    rec = archive.recorder
    raw = hostile_page(rec.url)
    control = _hits_after_loading(browser, server + "/layer-control", raw, {}, rec)
    assert control, "the hostile page did not run even without defences: this test would prove nothing"
    assert _hits_after_loading(browser, server + "/layer-csp", raw, {"Content-Security-Policy": REPLAY_CSP}, rec) == []
    clean = rewrite_html(raw, archive.hostile_url, "20250101000000", "banner")
    assert _hits_after_loading(browser, server + "/layer-sanitised", clean, {}, rec) == []
