"""Hostile portals: one small simulated portal per fault, served beside the normal ones.

Each fault is a named behaviour applied to a copy of a small TRS portal (two reports, one
non-report item). It bites one place, ``FaultPortal.target`` (the path of the first report, the
homepage or the column), and says what the harvester should record there (``expect``):

- ``error``: a recorded error on the target URL (``detail`` is a word of it);
- ``blocked``: the run is ``blocked`` and a ``blocked`` health event is open;
- ``trap``: a recorded error on the column and a ``trap`` health event;
- ``stored``: nothing is lost and nothing is an error (the report is stored, maybe at the URL a
  redirect led to: ``final``).

    from harvester.sim.faults import FAULTS, fault_universe
    u, faults = fault_universe(["gzip-bomb", "redirect-loop"])   # + one normal portal
    with SimServer(u, first_host=150) as srv: ...

``harvester sim serve --faults NAME,...`` (or ``--faults all``) serves them.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import io
import random
import re
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .model import SimPage, SimPortal, Universe

OTHER_HOST = "http://other-host.example.org"  # never contacted: a redirect there must not be followed


@dataclass
class Sizes:
    """How big the big faults are (tests make them small, the benchmark large)."""

    bomb_mib: int = 900  # decompressed size of the gzip bomb
    oversize_mib: int = 200  # the oversized page
    stall_s: float = 120  # how long a stalled answer waits (it ends earlier when the client hangs up)


@dataclass
class FaultPortal:
    name: str
    portal: SimPortal
    target: str  # the path where the fault bites
    expect: str  # error / blocked / trap / stored
    detail: str = ""  # a word the recorded error contains
    final: str | None = None  # where a followed redirect leads (the report is stored there)
    report_paths: list[str] = field(default_factory=list)  # reports a harvest must store (at final paths)


@dataclass(frozen=True)
class Fault:
    name: str
    doc: str
    expect: str
    detail: str
    apply: Callable[[SimPortal, Sizes], tuple[str, str | None]]  # -> (target path, final path)
    keeps_report: bool = False  # the report at the target is still stored (beside the error)


# -- low-level answers ----------------------------------------------------------------------------
def _log(h, status: int) -> None:
    from .server import LoggedRequest

    h.server.log(LoggedRequest(h.command, h.path, status, h.headers))


def _headers(h, status: int, headers: list[tuple[str, str]]) -> None:
    _log(h, status)
    h.send_response(status)
    for k, v in headers:
        h.send_header(k, v)
    h.end_headers()


def _wait_for_hangup(h, seconds: float) -> None:
    """Hold the connection open, sending nothing, until the client hangs up (or ``seconds``)."""
    sock = h.connection
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            ready, _, _ = select.select([sock], [], [], 0.2)
            if ready and not sock.recv(1, socket.MSG_PEEK):
                return
        except (OSError, ValueError):
            return
    h.close_connection = True


def _reset(h) -> None:
    """Abort the connection with a TCP RST."""
    try:
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
    except OSError:
        pass
    h.close_connection = True


def _page(portal: SimPortal, path: str) -> SimPage:
    page = portal.lookup(path)
    if page is None:
        raise KeyError(f"{portal.id}: no page {path}")
    return page


def _html(portal: SimPortal, path: str) -> str:
    return _page(portal, path).body.decode(_charset(_page(portal, path)))


def _charset(page: SimPage) -> str:
    ct = page.content_type.lower()
    return "gb18030" if ("gb2312" in ct or "gbk" in ct or "gb18030" in ct) else "utf-8"


def _set_html(portal: SimPortal, path: str, html: str, content_type: str = "text/html; charset=utf-8") -> None:
    old = portal.pages.get(path)
    when = old.last_modified if old is not None else _page(portal, "/").last_modified
    portal.pages[path] = SimPage.make(html.encode("utf-8"), content_type, when)


def _add_fault(portal: SimPortal, fn: Callable) -> None:
    before = portal.fault

    def chained(h, path, query):
        return fn(h, path, query) or (before is not None and before(h, path, query))

    portal.fault = chained


def _report(portal: SimPortal) -> str:
    return portal.reports[0].path


def _moved(path: str) -> str:
    head, tail = path.rsplit("/", 1)
    return f"{head}/moved_{tail}"


def _column(portal: SimPortal) -> str:
    return portal.column_paths[0]


# -- the faults ------------------------------------------------------------------------------------
def _at_report(answer: Callable) -> Callable:
    """A fault that answers requests for the portal's first report: ``answer(h, query, target,
    page, sizes)`` gets the report's path and the page it would have served, replies and returns
    True, or returns False to let the page be served as usual."""

    def make(portal, sizes):
        target = _report(portal)
        page = _page(portal, target)

        def fault(h, path, query):
            if path != target:
                return False
            return answer(h, query, target, page, sizes)

        _add_fault(portal, fault)
        return target, None

    make.__doc__ = answer.__doc__
    return make


@_at_report
def _status_always(h, query, target, page, sizes):
    h._reply(503, b"<html><body>503 Service Temporarily Unavailable</body></html>", "text/html", send_body=True)
    return True


def _status_then_ok(portal, sizes):
    target = _report(portal)
    lock, seen = threading.Lock(), {"n": 0}

    def fault(h, path, query):
        if path != target:
            return False
        with lock:
            seen["n"] += 1
            first = seen["n"] == 1
        if first:
            h._reply(503, b"<html><body>503 Service Temporarily Unavailable</body></html>", "text/html", send_body=True)
            return True
        return False

    _add_fault(portal, fault)
    return target, None


@_at_report
def _reset_mid_body(h, query, target, page, sizes):
    _headers(h, 200, [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))])
    h.wfile.write(page.body[: len(page.body) // 2])
    _reset(h)
    return True


@_at_report
def _wrong_length(h, query, target, page, sizes):
    _headers(h, 200, [("Content-Type", page.content_type), ("Content-Length", str(len(page.body) + 5000))])
    h.wfile.write(page.body)
    h.wfile.flush()
    h.close_connection = True  # closes with 5000 bytes owed
    return True


@_at_report
def _stall(h, query, target, page, sizes):
    _headers(h, 200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "100000")])
    h.wfile.flush()
    _wait_for_hangup(h, sizes.stall_s)
    return True


@_at_report
def _trickle(h, query, target, page, sizes):
    _headers(h, 200, [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))])
    end = time.monotonic() + sizes.stall_s
    try:
        for i in range(len(page.body)):
            if time.monotonic() > end:
                break
            h.wfile.write(page.body[i:i + 1])
            h.wfile.flush()
            time.sleep(0.25)
    except OSError:
        pass
    h.close_connection = True
    return True


_BOMBS: dict[int, bytes] = {}


def gzip_bomb(mib: int) -> bytes:
    """A gzip body of ``mib`` MiB of zeros (about 1/1000 of that compressed), built once."""
    if mib not in _BOMBS:
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
            chunk = b"\0" * (1 << 20)
            for _ in range(mib):
                gz.write(chunk)
        _BOMBS[mib] = out.getvalue()
    return _BOMBS[mib]


@_at_report
def _gzip_bomb(h, query, target, page, sizes):
    body = gzip_bomb(sizes.bomb_mib)
    _headers(h, 200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                      ("Content-Length", str(len(body)))])
    try:
        h.wfile.write(body)
    except OSError:
        pass
    return True


@_at_report
def _oversized(h, query, target, page, sizes):
    size = sizes.oversize_mib << 20
    # no Content-Length: the client learns the size only by reading (chunked would do too)
    _headers(h, 200, [("Content-Type", page.content_type), ("Connection", "close")])
    filler = b"<p>" + "政府信息公开".encode("utf-8") * 60 + b"</p>\n"
    try:
        h.wfile.write(page.body[:2000])
        sent = 2000
        block = filler * (65536 // len(filler))
        while sent < size:
            h.wfile.write(block)
            sent += len(block)
    except OSError:
        pass
    h.close_connection = True
    return True


def _redirect(h, status: int, location: str) -> None:
    h._reply(status, b"", "text/html", extra={"Location": location}, send_body=True)


@_at_report
def _redirect_loop(h, query, target, page, sizes):
    _redirect(h, 302, target + ("" if query == "loop=1" else "?loop=1"))
    return True


@_at_report
def _redirect_chain(h, query, target, page, sizes, hops=50):
    n = int(query.split("=", 1)[1]) if query.startswith("hop=") else 0
    if n < hops:
        _redirect(h, 302, f"{target}?hop={n + 1}")
        return True
    return False  # the 50th hop answers the report


@_at_report
def _redirect_offsite(h, query, target, page, sizes):
    _redirect(h, 301, OTHER_HOST + target)
    return True


@_at_report
def _redirect_other_port(h, query, target, page, sizes):
    """The report answers a 301 to the same path on another port of the same host (port 1)."""
    name = (h.headers.get("Host") or "").rsplit(":", 1)[0] or h.server.server_address[0]
    _redirect(h, 301, f"http://{name}:1{target}")
    return True


def _moved_report(portal, sizes):
    target = _report(portal)
    final = _moved(target)
    portal.pages[final] = portal.pages[target]

    def fault(h, path, query):
        if path == target:
            _redirect(h, 301, final)
            return True
        return False

    _add_fault(portal, fault)
    return target, final


def _homepage_302(portal, sizes):
    portal.pages["/index.html"] = portal.pages["/"]

    def fault(h, path, query):
        if path == "/":
            _redirect(h, 302, "/index.html")
            return True
        return False

    _add_fault(portal, fault)
    return "/", "/index.html"


def _script_stub(script: str, words: str = "") -> str:
    return (f'<html><head><meta charset="utf-8"><title>{words or "跳转中"}</title>'
            f'<script type="text/javascript">{script}</script></head><body>{words}</body></html>')


def _homepage_script_redirect(portal, sizes):
    """The root page is only a script sending the browser to /index.html, the real homepage."""
    portal.pages["/index.html"] = portal.pages["/"]
    _set_html(portal, "/", _script_stub('window.location.href = "/index.html";'))
    return "/", "/index.html"


def _script_redirect_moved(portal, sizes):
    """A report page replaced by a stub whose script sends the browser to its new address."""
    target = _report(portal)
    final = _moved(target)
    portal.pages[final] = portal.pages[target]
    _set_html(portal, target, _script_stub(f'setTimeout(function(){{location.replace("./{final.rsplit("/", 1)[1]}")}}, 0);',
                                           "页面已迁移，正在跳转……"))
    return target, final


def _refresh_stub(delay: int, url: str) -> str:
    return (f'<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{delay};url={url}">'
            f'<title>页面跳转</title></head><body><p>页面正在跳转……</p></body></html>')


def _meta_refresh_in_report(delay: int, other_host: bool):
    def apply(portal, sizes):
        target = _report(portal)
        html = _html(portal, target)
        url = OTHER_HOST + "/" if other_host else "/xxgk/index.html"
        tag = f'<meta http-equiv="refresh" content="{delay};url={url}">'
        html = html.replace("<head>", "<head>" + tag, 1) if "<head>" in html else tag + html
        _set_html(portal, target, html)
        return target, None

    return apply


def _meta_refresh_moved(portal, sizes):
    """A report page replaced by a 0-second refresh to its new address (same host)."""
    target = _report(portal)
    final = _moved(target)
    portal.pages[final] = portal.pages[target]
    _set_html(portal, target, _refresh_stub(0, final.rsplit("/", 1)[1]))
    return target, final


def _meta_refresh_self(portal, sizes):
    """Both reports refresh to themselves at once: the first to an anchor (``0;url=#main``), the
    second to its own address. Neither is a redirect."""
    first, second = portal.reports[0].path, portal.reports[1].path
    for path, url in ((first, "#main"), (second, second)):
        html = _html(portal, path)
        tag = f'<meta http-equiv="refresh" content="0;url={url}">'
        _set_html(portal, path, html.replace("<head>", "<head>" + tag, 1) if "<head>" in html else tag + html)
    return first, None


def _generic_list(items_html: str, next_href: str | None, title: str = "政府信息公开年报") -> str:
    nxt = f'<div class="pager"><a href="{next_href}">下一页</a></div>' if next_href else ""
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h3>{title}</h3>'
            f'<ul class="list">{items_html}</ul>{nxt}</body></html>')


def _report_items(portal: SimPortal) -> str:
    out = []
    for r in [*portal.reports, *portal.non_reports]:
        out.append(f'<li><a href="{r.path}">{r.title}</a></li>')
    return "".join(out)


def _endless(make_next: Callable[[int], str], parse_n: Callable[[str, str], int | None]):
    """A generic column whose 下一页 never ends, each page different (a dated or numbered list)."""

    def apply(portal, sizes):
        portal.family = "generic"
        column = _column(portal)
        directory = column.rsplit("/", 1)[0]
        _set_html(portal, column, _generic_list(_report_items(portal), make_next(1)))

        def fault(h, path, query):
            if not path.startswith(directory + "/"):
                return False
            n = parse_n(path, query)
            if n is None:
                return False
            body = _generic_list(f"<li><span>第{n}页：本页暂无信息</span></li>", make_next(n + 1))
            h._reply(200, body.encode("utf-8"), "text/html; charset=utf-8", send_body=True)
            return True

        _add_fault(portal, fault)
        return column, None

    return apply


def _page_n(path: str, query: str) -> int | None:
    name = path.rsplit("/", 1)[1]
    if name.startswith("list_") and name.endswith(".shtml") and name[5:-6].isdigit():
        return int(name[5:-6])
    return None


def _day_n(path: str, query: str) -> int | None:
    if path.endswith("/calendar.shtml") and query.startswith("date="):
        try:
            day = dt.date.fromisoformat(query[5:])
        except ValueError:
            return None
        return (day - dt.date(2025, 1, 1)).days
    return None


def _day_href(n: int) -> str:
    return f"calendar.shtml?date={(dt.date(2025, 1, 1) + dt.timedelta(days=n)).isoformat()}"


def _million_pages(portal, sizes):
    """TRS: createPageHTML(1000000, …); every index_N.html answers (the same items again)."""
    column = _column(portal)
    html = _html(portal, column)
    pattern = re.compile(r"createPageHTML\(\s*\d+\s*,\s*0\s*,")
    if not pattern.search(html):
        raise ValueError(f"{portal.id}: the column page {column} has no createPageHTML call")
    _set_html(portal, column, pattern.sub("createPageHTML(1000000, 0,", html, count=1))
    directory = column.rsplit("/", 1)[0]

    def fault(h, path, query):
        name = path.rsplit("/", 1)[1]
        if path.startswith(directory + "/") and name.startswith("index_") and name[6:-5].isdigit():
            n = int(name[6:-5])
            body = pattern.sub(f"createPageHTML(1000000, {n},", html, count=1)
            h._reply(200, body.encode("utf-8"), "text/html; charset=utf-8", send_body=True)
            return True
        return False

    _add_fault(portal, fault)
    return column, None


def _session_ids(portal, sizes):
    """Every link of every page carries a fresh ;jsessionid=…; the server ignores it."""
    href = re.compile(rb'href="(?!javascript:|#|mailto:|http)([^"]*?)"')
    counter = {"n": 0}
    lock = threading.Lock()

    def fault(h, path, query):
        if ";jsessionid=" in path:
            path = path.split(";jsessionid=", 1)[0]
        page = portal.lookup(path)
        if page is None or not page.content_type.startswith("text/html"):
            return False
        with lock:
            counter["n"] += 1
            sid = f"{counter['n']:08X}{random.Random(counter['n']).getrandbits(64):016X}"

        def add(m):
            url = m.group(1)
            base, _, rest = url.partition(b"?")
            return b'href="' + base + b";jsessionid=" + sid.encode() + (b"?" + rest if rest else b"") + b'"'

        body = href.sub(add, page.body)
        h._reply(200, body, page.content_type, send_body=True)
        return True

    _add_fault(portal, fault)
    return _column(portal), None


def _wrong_charset(portal, sizes):
    """A UTF-8 report page declared as GBK in the header (the page's own meta says UTF-8)."""
    target = _report(portal)
    page = _page(portal, target)
    portal.pages[target] = SimPage.make(page.body, "text/html; charset=GBK", page.last_modified)
    return target, None


def _binary_as_html(portal, sizes):
    """The report link answers with random binary bytes labelled text/html."""
    target = _report(portal)
    rng = random.Random(7)
    body = bytes(rng.getrandbits(8) for _ in range(6000))
    portal.pages[target] = SimPage.make(body, "text/html; charset=utf-8", _page(portal, target).last_modified)
    return target, None


def _nul_html(portal, sizes):
    """Malformed HTML: NUL bytes in the markup and the text, tags left open."""
    target = _report(portal)
    html = _html(portal, target)
    html = html.replace("<body>", "<body>\0\0<div><table><tr><td>\0", 1).replace("</body>", "<p>\0未闭合<b><i></body>", 1)
    html = html.replace("。", "。\0", 3)
    _set_html(portal, target, html)
    return target, None


def _js_challenge(portal, sizes):
    """Every page is a 200 with a script that sets a cookie and reloads (a WAF's challenge)."""
    js = (b"<html><head><script>var _0x1=['cookie','reload'];document.cookie='__jsl_clearance_s=1700000000.123|0|"
          b"abcdef;max-age=3600;path=/';location.reload();</script></head><body></body></html>")

    def fault(h, path, query):
        if path == "/robots.txt":
            return False
        h._reply(200, js, "text/html", send_body=True)
        return True

    _add_fault(portal, fault)
    return "/", None


def _short_page_analytics(portal, sizes):
    """The report page is a short 详见附件 page (under 80 visible characters) whose analytics
    script sets a cookie and reads location.pathname: a page, not a JavaScript challenge."""
    target = _report(portal)
    title = next(r.title for r in portal.reports if r.path == target)
    _set_html(portal, target, (
        f'<html><head><meta charset="utf-8"><title>{title}</title>'
        '<script>document.cookie="visit=1;path=/";var u=location.pathname;</script></head>'
        f'<body><h1>{title}</h1><p>详见附件。</p></body></html>'))
    return target, None


GATE_COOKIE = "xxgk_gate=1"


def _cookie_gate(h, path: str, gated: str) -> bool:
    """``gated`` answers a 302 to itself setting a cookie until the request sends that cookie."""
    if path != gated or GATE_COOKIE in (h.headers.get("Cookie") or ""):
        return False
    h._reply(302, b"", "text/html", extra={"Location": gated, "Set-Cookie": GATE_COOKIE + "; Path=/"}, send_body=True)
    return True


def _cookie_gated_report(portal, sizes):
    """The report page answers a 302 to its own URL that sets a cookie; with the cookie, the page."""
    target = _report(portal)
    _add_fault(portal, lambda h, path, query: _cookie_gate(h, path, target))
    return target, None


def _cookie_gated_attachment(portal, sizes):
    """The report page links the report as a DOCX whose download is cookie-gated (a 302 to
    itself setting a cookie, then the file): the attachment is one more report to store."""
    import dataclasses

    from harvester.reportgen import render

    from .families.site import ATTACHMENT_TYPES

    target = _report(portal)
    entry = next(r for r in portal.reports if r.path == target)
    docx = target.rsplit("/", 1)[0] + "/P020260123000001.docx"
    data = render(entry.truth, "docx", random.Random(f"{portal.id}:gated-docx")).data
    portal.pages[docx] = SimPage.make(data, ATTACHMENT_TYPES["docx"], _page(portal, target).last_modified)
    html = _html(portal, target)
    link = f'<p>附件：<a href="{docx.rsplit("/", 1)[1]}">{entry.title}.docx</a></p>'
    _set_html(portal, target, html.replace("</body>", link + "</body>", 1))
    portal.reports.append(dataclasses.replace(entry, path=docx))
    _add_fault(portal, lambda h, path, query: _cookie_gate(h, path, docx))
    return docx, None


HOSTILE_NAMES = (
    "../../../../etc/passwd.pdf",
    "年报\u202egpj.exe.pdf",
    "a" * 300 + ".pdf",
    "'\"><script>alert(1)</script>.docx",
    "CON.pdf",
    "年 报%00.pdf",
)


def _hostile_attachments(portal, sizes):
    """A report page links attachments with hostile names; they answer with hostile Content-Disposition."""
    from urllib.parse import quote

    from .extras import tiny_png

    target = _report(portal)
    html = _html(portal, target)
    directory = target.rsplit("/", 1)[0]
    links, served = [], {}
    for n, name in enumerate(HOSTILE_NAMES):
        path = f"{directory}/files/{n}/{quote(name, safe='')}"
        served[path] = name
        links.append(f'<p>附件：<a href="{path}">{name.replace("<", "&lt;").replace(">", "&gt;")}</a></p>')
    html = html.replace("</body>", "".join(links) + "</body>", 1)
    _set_html(portal, target, html)
    png = tiny_png(random.Random(3))

    def fault(h, path, query):
        from urllib.parse import unquote as _unq

        for p, name in served.items():
            if path == _unq(p):
                disp = "attachment; filename=\"" + name.replace("\r", "").replace("\n", "") + "\""
                h._reply(200, png, "application/pdf", extra={"Content-Disposition": disp.encode("utf-8").decode("latin-1")},
                         send_body=True)
                return True
        return False

    _add_fault(portal, fault)
    return target, None


FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("5xx-always", "a report answers 503 every time", "error", "HTTP 503", _status_always),
    Fault("503-then-ok", "a report answers 503 once, then the page", "stored", "", _status_then_ok),
    Fault("reset-mid-body", "half the report, then a TCP reset", "error", "connection", _reset_mid_body),
    Fault("wrong-content-length", "Content-Length 5000 bytes more than sent, then close", "error", "truncated", _wrong_length),
    Fault("stall", "headers, then nothing", "error", "timed out", _stall),
    Fault("trickle", "the report one byte every 0.25 s", "error", "timed out", _trickle),
    Fault("gzip-bomb", "a small gzip body that inflates to Sizes.bomb_mib MiB", "error", "decompressed", _gzip_bomb),
    Fault("oversized-page", "a report page of Sizes.oversize_mib MiB, no Content-Length", "error", "too large", _oversized),
    Fault("redirect-loop", "report -> ?loop=1 -> report …", "error", "redirect loop", _redirect_loop),
    Fault("redirect-chain", "report -> ?hop=1 -> … -> ?hop=50 -> the page", "error", "redirect chain", _redirect_chain),
    Fault("redirect-offsite", "report -> 301 to another host", "error", "another host", _redirect_offsite),
    Fault("redirect-other-port", "report -> 301 to another port of the same host", "error", "another port",
          _redirect_other_port),
    Fault("moved-report", "report -> 301 to its new address on the same host", "stored", "", _moved_report),
    Fault("homepage-302", "/ -> 302 /index.html", "stored", "", _homepage_302),
    Fault("homepage-script-redirect", "/ is only <script>window.location.href=\"/index.html\"</script>", "stored", "",
          _homepage_script_redirect),
    Fault("script-redirect-moved", "a report page replaced by a stub whose script goes to its new address", "stored",
          "", _script_redirect_moved),
    Fault("meta-refresh-0-same", "a report page replaced by a 0 s refresh to its new address", "stored", "", _meta_refresh_moved),
    Fault("meta-refresh-30-same", "the report page has a 30 s refresh to /xxgk/", "stored", "", _meta_refresh_in_report(30, False)),
    Fault("meta-refresh-0-other", "the report page has a 0 s refresh to another host", "error", "another host",
          _meta_refresh_in_report(0, True), keeps_report=True),
    Fault("meta-refresh-30-other", "the report page has a 30 s refresh to another host", "error", "another host",
          _meta_refresh_in_report(30, True), keeps_report=True),
    Fault("meta-refresh-self", "the reports have a 0 s refresh to themselves (#main, their own URL)", "stored", "",
          _meta_refresh_self),
    Fault("endless-pagination", "下一页 to list_N.shtml for every N, each page different", "trap", "listing trap",
          _endless(lambda n: f"list_{n}.shtml", _page_n)),
    Fault("million-pages", "createPageHTML(1000000, …) and every index_N.html answers", "trap", "1000000 pages",
          _million_pages),
    Fault("calendar-trap", "a dated list whose 下一页 is the next day, for ever", "trap", "listing trap",
          _endless(_day_href, _day_n)),
    Fault("session-id-trap", "every link carries a fresh ;jsessionid=", "stored", "", _session_ids),
    Fault("wrong-charset", "a UTF-8 report declared GBK in Content-Type", "stored", "", _wrong_charset),
    Fault("binary-as-html", "random binary bytes labelled text/html at a report link", "stored", "", _binary_as_html),
    Fault("nul-html", "a report page with NUL bytes and unclosed tags", "stored", "", _nul_html),
    Fault("js-challenge-200", "every page a 200 JavaScript cookie challenge", "blocked", "JavaScript challenge", _js_challenge),
    Fault("short-page-analytics-script", "a short 详见附件 report page whose script sets a cookie and reads "
          "location.pathname", "stored", "", _short_page_analytics),
    Fault("cookie-gated-report", "the report answers a 302 to itself setting a cookie, then the page", "stored", "",
          _cookie_gated_report),
    Fault("cookie-gated-attachment", "the report's DOCX answers a 302 to itself setting a cookie, then the file",
          "stored", "", _cookie_gated_attachment),
    Fault("hostile-attachment-names", "attachments named ../../etc/passwd.pdf, RTL overrides, 300 chars …", "stored", "",
          _hostile_attachments),
)}


def parse_fault_names(spec: str) -> list[str]:
    """``"gzip-bomb,stall"`` or ``"all"``; an unknown name is a ValueError listing the known ones."""
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if names == ["all"]:
        return list(FAULTS)
    unknown = [n for n in names if n not in FAULTS]
    if unknown or not names:
        raise ValueError(f"unknown fault(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(FAULTS)}, or all")
    return names


def fault_universe(names, *, seed: int = 2027, sizes: Sizes | None = None, normal: int = 1,
                   reports_per_portal: int = 2) -> tuple[Universe, dict[str, FaultPortal]]:
    """``normal`` ordinary TRS portals, then one portal per named fault (id ``fault-<name>``)."""
    from .universe import build_universe

    sizes = sizes or Sizes()
    base = build_universe(seed=seed, n_portals=max(1, normal), reports_per_portal=reports_per_portal)
    portals = list(base.portals[:normal])
    template = base.portals[0]
    out: dict[str, FaultPortal] = {}
    for name in names:
        fault = FAULTS[name]
        p = copy.copy(template)
        p.id = f"fault-{name}"
        p.name = f"故障门户：{name}"
        p.pages = dict(template.pages)
        p.reports = list(template.reports)
        p.non_reports = list(template.non_reports)
        p.fault = None
        target, final = fault.apply(p, sizes)
        reports = [r.path for r in p.reports]
        if final is not None and target in reports:
            reports = [final if x == target else x for x in reports]
        if (fault.expect == "error" and not fault.keeps_report) or name == "binary-as-html":
            reports = [x for x in reports if x != target]  # that report is not there to be had
        if fault.expect == "blocked":
            reports = []
        out[name] = FaultPortal(name, p, target, fault.expect, fault.detail, final, reports)
        portals.append(p)
    return Universe(seed=seed, portals=portals), out
