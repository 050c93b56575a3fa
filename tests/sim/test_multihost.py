"""Many portals from one process: addresses past 127.0.0.254, a fixed number of threads,
the per-host load record, keep-alive and pipelined requests."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

import pytest

from harvester.sim import SimServer, build_universe
from harvester.sim.multihost import Host, host_address, serve_hosts

from .helpers import fetch


def test_host_addresses_continue_past_254():
    assert [host_address(n) for n in (1, 20, 254)] == ["127.0.0.1", "127.0.0.20", "127.0.0.254"]
    assert [host_address(n) for n in (255, 508, 509, 2020)] == ["127.0.1.1", "127.0.1.254", "127.0.2.1",
                                                               "127.0.7.242"]
    assert host_address(256 * 254) == "127.0.255.254"
    for bad in (0, 256 * 254 + 1):
        with pytest.raises(ValueError, match="out of range"):
            host_address(bad)


def test_portals_cross_into_the_next_block():
    u = build_universe(seed=9, n_portals=6, reports_per_portal=1)
    with SimServer(u, first_host=252) as srv:
        hosts = [srv.address(p.id)[0] for p in u.portals]
        assert hosts == ["127.0.0.252", "127.0.0.253", "127.0.0.254", "127.0.1.1", "127.0.1.2", "127.0.1.3"]
        for p in u.portals:
            r = fetch(srv.url(p.id, p.reports[0].path))
            assert r.status == 200 and r.body == p.pages[p.reports[0].path].body
            assert [(e.method, e.path, e.status) for e in srv.requests(p.id)] == [("GET", p.reports[0].path, 200)]


def test_too_many_portals_is_a_clear_error():
    u = build_universe(seed=9, n_portals=2, reports_per_portal=0)
    with pytest.raises(ValueError, match=r"first_host out of range: 2 portals from loopback host 65024"):
        SimServer(u, first_host=256 * 254)


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = f"{self.server.server_address[0]} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_six_hundred_hosts_on_a_fixed_number_of_threads():
    before = threading.active_count()
    hosts = [((host_address(1000 + n), 0), Host()) for n in range(600)]
    srv = serve_hosts(_Echo, hosts, threads=4)
    try:
        def get(host):
            addr, port = host.server_address
            return fetch(f"http://{addr}:{port}/x").body.decode()

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(get, [h for _, h in hosts]))
        assert answers == [f"{h.server_address[0]} /x" for _, h in hosts]
        assert {a.split(".")[2] for a in answers} == {"3", "4", "5", "6"}  # 127.0.3.238 … 127.0.6.75
        assert threading.active_count() - before <= 1 + 4  # the selector and the workers, whatever the hosts
    finally:
        srv.stop()


def test_load_record_counts_overlapping_requests_per_host():
    u = build_universe(seed=9, n_portals=2, reports_per_portal=3)
    busy, calm = u.portals
    with SimServer(u, first_host=90, latency=0.3) as srv:
        assert srv.concurrency(busy.id) == (0, 0)
        paths = [r.path for r in busy.reports] + [busy.homepage_path]
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert all(r.status == 200 for r in pool.map(lambda p: fetch(srv.url(busy.id, p)), paths))
        for r in calm.reports:
            assert fetch(srv.url(calm.id, r.path)).status == 200
        assert srv.concurrency(busy.id) == (4, 4)  # four clients at once, each on its own connection
        assert srv.concurrency(calm.id) == (1, 1)  # one after the other


def test_a_request_is_done_for_the_load_record_once_its_answer_is_sent(monkeypatch):
    """A client that asks again as soon as it has its answer is never counted twice at once,
    however long the serving thread takes to come back from writing that answer (a loaded
    machine: it waits for the GIL), on a new connection or on the same one."""
    import socketserver

    write = socketserver._SocketWriter.write

    def slow_to_come_back(self, b):
        n = write(self, b)
        time.sleep(0.3)  # the answer has left; this thread is not running yet
        return n

    monkeypatch.setattr(socketserver._SocketWriter, "write", slow_to_come_back)
    u = build_universe(seed=9, n_portals=1, reports_per_portal=3)
    portal = u.portals[0]
    with SimServer(u, first_host=92) as srv:
        for r in portal.reports:  # one connection each (urllib closes it)
            assert fetch(srv.url(portal.id, r.path)).status == 200
        assert srv.concurrency(portal.id) == (1, 1)
        host, port = srv.address(portal.id)
        with socket.create_connection((host, port), timeout=10) as c:  # keep-alive: one connection
            f = c.makefile("rb")
            for r in portal.reports:
                c.sendall(f"GET {r.path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                assert f.readline().split()[1] == b"200"
                length = 0
                while (line := f.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                f.read(length)
        assert srv.concurrency(portal.id) == (1, 1)


def test_a_request_still_being_received_is_counted_as_served():
    """The other side of the same record: an answer too big to leave in one write is still
    being served while the client reads it, so a second request meanwhile is two at once."""
    import datetime as dt

    from harvester.sim.model import SimPage

    u = build_universe(seed=9, n_portals=1, reports_per_portal=1)
    portal = u.portals[0]
    portal.pages["/big.bin"] = SimPage.make(b"x" * (32 << 20), "application/octet-stream",
                                            dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc))
    with SimServer(u, first_host=94) as srv:
        host, port = srv.address(portal.id)
        with socket.create_connection((host, port), timeout=10) as slow:
            slow.sendall(f"GET /big.bin HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            assert slow.recv(12).startswith(b"HTTP/1.")  # the answer has begun; the rest waits for us
            time.sleep(0.2)
            assert fetch(srv.base_url(portal.id)).status == 200
            assert srv.concurrency(portal.id) == (2, 2)


def test_latency_delays_answers_without_holding_workers():
    u = build_universe(seed=9, n_portals=8, reports_per_portal=1)
    with SimServer(u, first_host=100, latency=0.4, threads=1) as srv:
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda p: fetch(srv.base_url(p.id)).status, u.portals))
        elapsed = time.monotonic() - start
    assert statuses == [200] * 8
    # eight slow answers at once with one worker; one after the other they would take 3.2 s
    assert 0.4 <= elapsed < 2.0


def test_pipelined_requests_on_one_connection():
    u = build_universe(seed=9, n_portals=1, reports_per_portal=2)
    p = u.portals[0]
    with SimServer(u, first_host=110) as srv:
        host, port = srv.address(p.id)
        with socket.create_connection((host, port), timeout=5) as sock:
            req = "".join(f"GET {r.path} HTTP/1.1\r\nHost: x\r\n\r\n" for r in p.reports)
            sock.sendall(req.encode())
            got = b""
            bodies = [p.pages[r.path].body for r in p.reports]
            deadline = time.monotonic() + 5
            # until both answers are whole (an answer may come in several pieces)
            while not (got.endswith(bodies[-1]) and bodies[0] in got) and time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        assert got.count(b"HTTP/1.1 200") == 2
        for r in p.reports:
            assert p.pages[r.path].body in got
        assert [e.path for e in srv.requests(p.id)] == [r.path for r in p.reports]
        assert srv.concurrency(p.id) == (1, 1)


def test_idle_keepalive_connections_are_closed():
    u = build_universe(seed=9, n_portals=1, reports_per_portal=1)
    p = u.portals[0]
    with SimServer(u, first_host=111) as srv:
        srv._multi.keepalive = 0.5
        with socket.create_connection(srv.address(p.id), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(p.pages["/"].body):  # the whole answer, in however many pieces
                chunk = sock.recv(65536)
                assert chunk, data
                data += chunk
            sock.settimeout(3)
            start = time.monotonic()
            rest = sock.recv(100)  # blocks until the server drops the idle connection
            assert rest == b"" and time.monotonic() - start < 2.5


def test_packed_universe_serves_the_same_bytes():
    from harvester.sim.packed import PackedPages, build_packed_universe

    plain = build_universe(seed=9, n_portals=2, reports_per_portal=3)
    packed = build_packed_universe(seed=9, n_portals=2, reports_per_portal=3)
    lean = build_packed_universe(seed=9, n_portals=2, reports_per_portal=3, lean=True)
    for p, q, r in zip(plain.portals, packed.portals, lean.portals):
        assert isinstance(q.pages, PackedPages) and q.pages.packed_size() < sum(len(v.body) for v in p.pages.values()) / 2
        assert dict(q.pages) == p.pages and dict(r.pages) == p.pages
        assert [x.truth for x in q.reports] == [x.truth for x in p.reports]
        assert all(x.truth == {} and x.body_text == "" for x in r.reports)
    p = lean.portals[0]
    path = p.reports[0].path
    with SimServer(lean, first_host=112) as srv:
        first = fetch(srv.url(p.id, path))
        assert first.status == 200 and first.body == plain.portals[0].pages[path].body
        assert fetch(srv.url(p.id, path), headers={"If-None-Match": first.headers["ETag"]}).status == 304
