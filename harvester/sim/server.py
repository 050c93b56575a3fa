"""HTTP server for the simulated portals: HTTP/1.1, every portal on its own loopback address.

Portal ``i`` listens on loopback host number ``first_host + i`` (``127.0.0.(first_host + i)``
up to .254, then ``127.0.1.1`` … see ``multihost.host_address``) at a port the OS chooses;
all portals are served from one selector thread and a small pool of workers. Responses are
the pre-rendered pages of the universe: 200 with ETag and Last-Modified, 304 for matching
conditional requests (If-None-Match wins over If-Modified-Since, as RFC 9110 says), HEAD
without a body, 404 with a TRS-style error page for unknown paths. Every request is logged.
"""

from __future__ import annotations

import datetime as dt
import threading
from email.utils import format_datetime, parsedate_to_datetime
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from .model import SimPage, SimPortal, Universe
from .multihost import MAX_HOSTS, Host, HostLoad, host_address, serve_hosts


class LoggedRequest(NamedTuple):
    method: str
    path: str  # as requested, query included
    status: int
    headers: HTTPMessage  # request headers; case-insensitive .get()/[]/in


def http_date(when: dt.datetime) -> str:
    return format_datetime(when.astimezone(dt.timezone.utc), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag and tag == etag:
            return True
    return False


def is_not_modified(page: SimPage, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """Conditional GET/HEAD evaluation (RFC 9110 §13.2.2)."""
    if if_none_match is not None:
        return bool(page.etag) and _etag_matches(if_none_match, page.etag)
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since is None:
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.timezone.utc)
        return page.last_modified <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections are dropped after this many seconds
    server: "_PortalServer"

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format, *args):  # noqa: A002 - silence stderr logging
        pass

    def do_GET(self):
        self._serve(send_body=True)

    def do_HEAD(self):
        self._serve(send_body=False)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        portal = self.server.portal
        if self._faulted():
            return
        if self._blocked():
            return
        if portal.handler is not None:
            parts = urlsplit(self.path)
            page = portal.handler("POST", unquote(parts.path or "/"), parts.query, body, self.headers)
            if page is not None:
                self._reply(page.status, page.body, page.content_type, send_body=True)
                return
        self._reply(405, b"", "text/plain", extra={"Allow": "GET, HEAD"}, send_body=True)

    def _blocked(self) -> bool:
        """The portal's block, if it has one: 403 to non-browsers, or a 521 JavaScript challenge."""
        block = self.server.portal.block
        if block == "403-ua" and "Mozilla" not in (self.headers.get("User-Agent") or ""):
            self._reply(403, b"<html><body><h1>403 Forbidden</h1></body></html>", "text/html", send_body=True)
            return True
        if block == "521-challenge":
            js = (b"<html><script>document.cookie='__jsl_clearance=1700000000.1|0|abc';"
                  b"location.href=location.pathname+location.search</script></html>")
            self._reply(521, js, "text/html", send_body=True)
            return True
        return False

    def _faulted(self) -> bool:
        """The portal's fault (``harvester.sim.faults``) answers the request, if it wants to."""
        fault = self.server.portal.fault
        if fault is None:
            return False
        parts = urlsplit(self.path)
        return bool(fault(self, unquote(parts.path or "/"), parts.query))

    def _serve(self, send_body: bool) -> None:
        portal = self.server.portal
        parts = urlsplit(self.path)
        raw_path = parts.path or "/"
        if self._faulted():
            return
        if self._blocked():
            return
        if portal.referer_required and unquote(raw_path).lower().endswith(portal.referer_required):
            referer = self.headers.get("Referer") or ""
            own = f"//{self.server.server_address[0]}:{self.server.server_address[1]}/"
            if own not in referer:
                self._reply(403, b"<html><body>403 Forbidden: hotlinking</body></html>", "text/html",
                            send_body=send_body)
                return
        page = None
        if portal.handler is not None:
            page = portal.handler(self.command, unquote(raw_path), parts.query, b"", self.headers)
            if page is not None and page.status != 200:
                self._reply(page.status, page.body, page.content_type, send_body=send_body)
                return
        page = page or portal.lookup(unquote(raw_path))
        if page is None:
            nf = portal.not_found
            body = nf.body if nf is not None else b"Not Found"
            self._reply(404, body, "text/html; charset=utf-8", send_body=send_body)
            return
        validators = {"ETag": page.etag, "Last-Modified": http_date(page.last_modified)}
        if is_not_modified(page, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")):
            self._reply(304, b"", None, extra=validators, send_body=False)
            return
        self._reply(200, page.body, page.content_type, extra=validators, send_body=send_body)

    def _reply(self, status: int, body: bytes, ctype: str | None, *, extra: dict | None = None,
               send_body: bool) -> None:
        self.server.log(LoggedRequest(self.command, self.path, status, self.headers))
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        answered = getattr(self, "answered", lambda: None)  # the host's load counts this request done
        if send_body and body and status != 304:
            # all but the last byte first: until that byte the client cannot have its answer,
            # so it is not asking anything else on this request's account
            self.end_headers()
            self.wfile.write(body[:-1])
            answered()
            self.wfile.write(body[-1:])
        else:
            answered()
            self.end_headers()


class _PortalServer(Host):
    """One portal's address, as its handlers see it (``self.server``): the portal and its request log."""

    def __init__(self, portal: SimPortal):
        super().__init__()
        self.portal = portal
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def logged(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)


class SimServer:
    """Serve a universe: portal ``i`` on loopback host ``first_host + i``, OS-chosen port, background threads
    (with ``portals_per_host`` k: portals ``i`` share host ``first_host + i // k``, each on its own port).

    ``threads`` workers answer for all portals together; ``latency`` (seconds) delays every
    answer, as a distant portal would, without holding a worker.
    """

    def __init__(self, universe: Universe, first_host: int = 20, *, port: int = 0, threads: int = 16,
                 latency: float = 0.0, portals_per_host: int = 1):
        if portals_per_host < 1:
            raise ValueError(f"portals_per_host must be at least 1, got {portals_per_host}")
        if portals_per_host > 1 and port:
            raise ValueError(f"portals sharing an address need a port each: port must be 0 (OS-chosen), got {port}")
        last = first_host + (len(universe.portals) - 1) // portals_per_host
        if not 1 <= first_host or last > MAX_HOSTS:
            raise ValueError(f"first_host out of range: {len(universe.portals)} portals from loopback host "
                             f"{first_host} need hosts {first_host} … {last}, at most {MAX_HOSTS} "
                             f"(127.0.0.1 … 127.0.255.254)")
        self.universe = universe
        self.first_host = first_host
        self._servers: dict[str, _PortalServer] = {}
        self._stopped = False
        hosts = []
        for i, portal in enumerate(universe.portals):
            srv = _PortalServer(portal)
            self._servers[portal.id] = srv
            # several portals on one address (each on its own port): one host to a crawler,
            # whose per-host limit is by host name, as with agencies sharing a county's site
            hosts.append(((host_address(first_host + i // portals_per_host), port), srv))
        self._multi = serve_hosts(_Handler, hosts, threads=threads, latency=latency)

    def __enter__(self) -> "SimServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _server(self, portal_id: str) -> _PortalServer:
        try:
            return self._servers[portal_id]
        except KeyError:
            raise KeyError(f"no simulated portal {portal_id!r}") from None

    def concurrency(self, portal_id: str) -> HostLoad:
        """The most the portal was asked of at once: (requests being answered, connections open)."""
        return self._server(portal_id).load()

    def host_concurrency(self, portal_id: str) -> int:
        """The most requests answered at once at the portal's address, counting every portal
        served there (``portals_per_host``)."""
        return self._multi.address_load(self.address(portal_id)[0])

    def address(self, portal_id: str) -> tuple[str, int]:
        host, port = self._server(portal_id).server_address[:2]
        return host, port

    def base_url(self, portal_id: str) -> str:
        host, port = self.address(portal_id)
        return f"http://{host}:{port}/"

    def url(self, portal_id: str, path: str) -> str:
        return self.base_url(portal_id) + path.lstrip("/")

    def requests(self, portal_id: str) -> list[LoggedRequest]:
        return self._server(portal_id).logged()

    def registry_toml(self, *, family: bool = True, columns: bool = False) -> str:
        """A registry of the served portals; ``family=False`` leaves the family to detection,
        ``columns=True`` lists each portal's annual-report columns (skipping discovery)."""
        out = ["# Simulated portals (harvester.sim); served on loopback only.\n"]
        for p in self.universe.portals:
            out.append("[[portal]]\n")
            out.append(f"id = {_toml_str(p.id)}\n")
            out.append(f"name = {_toml_str(p.name)}\n")
            out.append(f"url = {_toml_str(self.base_url(p.id))}\n")
            if columns:
                cols = ", ".join(_toml_str(self.url(p.id, c)) for c in (p.column_urls or p.column_paths))
                out.append(f"columns = [{cols}]\n")
            if family:
                out.append(f"family = {_toml_str(p.family)}\n")
            out.append("\n")
        return "".join(out)

    def write_registry(self, path: str | Path, **kw) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.registry_toml(**kw), encoding="utf-8")
        return path

    def stop(self, timeout: float = 2.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._multi.stop(timeout)


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
