"""The portals over real HTTP: navigation, pagination, validators, 304, HEAD, 404, logging."""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import format_datetime

from harvester.sim import SimServer, build_universe

from .helpers import decode, fetch, links, path_of

PAGE_CALL = re.compile(r'createPageHTML\((\d+),\s*(\d+),\s*"index",\s*"html"\)')
PAGE_VARS = re.compile(r"var countPage = (\d+);.*?var currentPage = (\d+);", re.S)


def _page_count(html: str) -> tuple[int, int]:
    m = PAGE_CALL.search(html) or PAGE_VARS.search(html)
    assert m, "no createPageHTML pagination"
    assert "createPageHTML(" in html
    return int(m.group(1)), int(m.group(2))


def _walk_column(srv, portal, column_path):
    """Follow the TRS pagination convention; return (page count, item paths in order)."""
    base = srv.url(portal.id, column_path)
    first = fetch(base)
    assert first.status == 200
    count, current = _page_count(decode(first))
    assert current == 0
    items = []
    for n in range(count):
        url = base if n == 0 else base.replace("index.html", f"index_{n}.html")
        r = first if n == 0 else fetch(url)
        assert r.status == 200, url
        html = decode(r)
        assert _page_count(html) == (count, n)
        for href, text, attrs in links(html, url):
            if re.search(r"/t\d{8}_\d+\.html$", href) and "title" in attrs:
                items.append(path_of(href))
    beyond = fetch(base.replace("index.html", f"index_{count}.html"))
    assert beyond.status == 404
    return count, items


def test_homepage_to_section_to_column(universe, server):
    for p in universe.portals:
        home_url = server.base_url(p.id)
        assert re.fullmatch(r"http://127\.0\.0\.\d+:\d+/", home_url)
        home = fetch(home_url)
        assert home.status == 200
        home_links = links(decode(home), home_url)
        assert len(home_links) >= 15, "homepage should carry lots of ordinary navigation"
        sec = [u for u, t, _ in home_links if t == "政府信息公开"]
        assert sec and path_of(sec[0]) == p.section_path
        assert not any(path_of(u) in p.column_paths for u, _, _ in home_links)
        sec_page = fetch(sec[0])
        assert sec_page.status == 200
        sec_links = links(decode(sec_page), sec[0])
        texts = {t for _, t, _ in sec_links}
        assert {"政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报"} <= texts
        found = {path_of(u) for u, t, _ in sec_links if "年报" in t}
        assert found == set(p.column_paths)
        for u, t, _ in sec_links:  # every link on the section page resolves
            assert fetch(u).status == 200, (u, t)


def test_pagination_reaches_every_item(universe, server):
    total_pages = 0
    for p in universe.portals:
        seen = []
        for c in p.column_paths:
            count, items = _walk_column(server, p, c)
            assert count == p.page_counts[c]
            total_pages += count
            assert items == p.column_items[c]
            seen += items
        assert {r.path for r in p.reports} <= set(seen)
        assert {n.path for n in p.non_reports} <= set(seen)
        assert len(seen) == len(set(seen))
    assert total_pages >= 3 * len(universe.portals) - 1  # several pages per portal


def test_both_pagination_variants_and_list_markup(universe, server):
    variants = set()
    for p in universe.portals:
        html = decode(fetch(server.url(p.id, p.column_paths[0])))
        variants.add("vars" if PAGE_VARS.search(html) else "call")
        assert re.search(r'<li><a href="\./\d{6}/t\d{8}_\d+\.html" title="[^"]+"[^>]*>[^<]+</a>'
                         r"<span>\d{4}-\d{2}-\d{2}</span></li>", html)
        n_items = len(re.findall(r"<li><a href=\"\./\d{6}/t", html))
        assert 8 <= n_items <= 10
    assert variants == {"vars", "call"}


def test_validators_and_conditional_requests(universe, server):
    p = universe.portals[0]
    r = p.reports[0]
    url = server.url(p.id, r.path)
    first = fetch(url)
    assert first.status == 200
    etag, lm = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag == p.pages[r.path].etag and etag.startswith('"') and etag.endswith('"')
    assert lm == format_datetime(p.pages[r.path].last_modified, usegmt=True)
    assert first.body == p.pages[r.path].body
    assert int(first.headers["Content-Length"]) == len(first.body)

    inm = fetch(url, headers={"If-None-Match": etag})
    assert inm.status == 304 and inm.body == b""
    assert inm.headers["ETag"] == etag
    weak = fetch(url, headers={"If-None-Match": 'W/"nope", W/' + etag})
    assert weak.status == 304
    stale_tag = fetch(url, headers={"If-None-Match": '"something-else"', "If-Modified-Since": lm})
    assert stale_tag.status == 200, "If-None-Match takes precedence over If-Modified-Since"

    ims = fetch(url, headers={"If-Modified-Since": lm})
    assert ims.status == 304 and ims.body == b""
    older = fetch(url, headers={"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})
    assert older.status == 200 and older.body == first.body
    garbage = fetch(url, headers={"If-Modified-Since": "yesterday"})
    assert garbage.status == 200

    log = server.requests(p.id)
    cond = [e for e in log if e.path == r.path and e.status == 304]
    assert any(e.headers.get("If-None-Match") == etag for e in cond)
    assert any(e.headers.get("If-Modified-Since") == lm for e in cond)
    method, path, status, headers = log[-1]
    assert (method, path, status) == ("GET", r.path, 200) and headers.get("If-Modified-Since") == "yesterday"


def test_every_page_carries_validators(universe, server):
    p = universe.portals[1]
    for path in [p.homepage_path, p.section_path, *p.column_paths, "/robots.txt", p.non_reports[0].path]:
        r = fetch(server.url(p.id, path))
        assert r.status == 200
        assert r.headers["ETag"] and r.headers["Last-Modified"]
        again = fetch(server.url(p.id, path), headers={"If-None-Match": r.headers["ETag"]})
        assert again.status == 304


def test_head_404_robots(universe, server):
    p = universe.portals[2]
    url = server.url(p.id, p.reports[-1].path)
    head = fetch(url, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["ETag"] == p.pages[p.reports[-1].path].etag
    assert int(head.headers["Content-Length"]) == len(p.pages[p.reports[-1].path].body)
    missing = fetch(server.url(p.id, "/xxgk/gknb/202401/t20240101_1.html"))
    assert missing.status == 404 and "页面不存在" in missing.body.decode("utf-8")
    assert "ETag" not in missing.headers
    robots = fetch(server.url(p.id, "/robots.txt"))
    assert robots.status == 200 and robots.body.decode().splitlines() == ["User-agent: *", "Allow: /"]
    # a directory URL and a query string reach the same static page
    col_dir = p.column_paths[0][: -len("index.html")]
    assert fetch(server.url(p.id, col_dir)).body == p.pages[p.column_paths[0]].body
    assert fetch(server.url(p.id, p.column_paths[0] + "?v=1")).body == p.pages[p.column_paths[0]].body
    assert fetch(server.url(p.id, "/index.html")).body == p.pages["/"].body


def test_concurrent_requests(universe, server):
    p = universe.portals[0]
    paths = [r.path for r in p.reports] + list(p.page_counts) * 3
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda path: (path, fetch(server.url(p.id, path))), paths))
    for path, r in results:
        assert r.status == 200 and r.body == p.lookup(path).body


def test_images_of_graphic_pages_are_served(universe, server):
    graphics = [(p, n) for p in universe.portals for n in p.non_reports if n.kind == "graphic"]
    assert graphics
    p, n = graphics[0]
    url = server.url(p.id, n.path)
    imgs = re.findall(r'<img src="(\./W0\d+\.png)"', decode(fetch(url)))
    assert len(imgs) >= 3
    from urllib.parse import urljoin
    for src in imgs:
        r = fetch(urljoin(url, src))
        assert r.status == 200 and r.headers["Content-Type"] == "image/png" and r.body.startswith(b"\x89PNG")


def test_stop_is_prompt_with_an_idle_keepalive_connection():
    u = build_universe(seed=3, n_portals=1, reports_per_portal=3)
    srv = SimServer(u, first_host=70)
    host, port = srv.address(u.portals[0].id)
    assert host == "127.0.0.70"
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(64).startswith(b"HTTP/1.1 200")
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 2.5
    sock.close()
    try:
        socket.create_connection((host, port), timeout=1).close()
        refused = False
    except OSError:
        refused = True
    assert refused


def test_registry_file(universe, server, tmp_path):
    import tomllib

    out = server.write_registry(tmp_path / "sub" / "portals.toml")
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    entries = data["portal"]
    assert [e["id"] for e in entries] == [p.id for p in universe.portals]
    for e, p in zip(entries, universe.portals):
        assert set(e) == {"id", "name", "url", "family"}
        assert e["family"] == "trs" and e["name"] == p.name
        assert e["url"] == server.base_url(p.id)
        assert fetch(e["url"]).status == 200


def test_keepalive_connection_serves_a_sequence(universe, server):
    import http.client

    p = universe.portals[1]
    host, port = server.address(p.id)
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", p.column_paths[0])
        r1 = conn.getresponse()
        body = r1.read()
        assert r1.status == 200 and body == p.pages[p.column_paths[0]].body
        conn.request("GET", p.column_paths[0], headers={"If-None-Match": r1.getheader("ETag")})
        r2 = conn.getresponse()
        assert r2.status == 304 and r2.read() == b""
        conn.request("HEAD", p.reports[0].path)
        r3 = conn.getresponse()
        assert r3.status == 200 and r3.read() == b""
        conn.request("GET", "/no/such/page.html")
        r4 = conn.getresponse()
        assert r4.status == 404 and r4.read()
        conn.request("GET", p.reports[0].path)
        r5 = conn.getresponse()
        assert r5.status == 200 and r5.read() == p.pages[p.reports[0].path].body
    finally:
        conn.close()
    statuses = [(e.method, e.status) for e in server.requests(p.id)[-5:]]
    assert statuses == [("GET", 200), ("GET", 304), ("HEAD", 200), ("GET", 404), ("GET", 200)]
