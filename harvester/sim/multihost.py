"""Serving many loopback hosts from one process, without one thread per host.

One selector thread owns every listening socket and every idle keep-alive connection; a
request that arrives is handed to a small fixed pool of worker threads, which runs the
ordinary ``BaseHTTPRequestHandler`` on it for one request, then gives the connection back
to the selector. So thousands of hosts (each its own address and listening socket) cost
one socket each, not a thread each.

Each host keeps a record of its load: the most requests it was serving at once (from the
moment a request's first bytes arrive to the moment before its answer's last byte is written,
when the handler calls ``self.answered()``; else until the handler returns) and the most
connections it had open at once. A politeness test compares these with the crawler's
per-host concurrency: a client cannot have its answer, and so cannot be done with the
request, before that last byte.

Addresses: ``host_address(n)`` is the n-th loopback host, ``127.0.0.1`` … ``127.0.0.254``,
then ``127.0.1.1`` … ``127.0.1.254`` and so on (Linux routes all of 127/8 to ``lo``), so
the first 254 hosts keep the addresses ``127.0.0.n`` they always had.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple

HOSTS_PER_BLOCK = 254  # .1 … .254 of each 127.0.x.0/24
MAX_HOSTS = 256 * HOSTS_PER_BLOCK  # up to 127.0.255.254


def host_address(n: int) -> str:
    """The n-th loopback host (1-based): 127.0.0.1 … 127.0.0.254, 127.0.1.1 …, up to 127.0.255.254."""
    if not 1 <= n <= MAX_HOSTS:
        raise ValueError(f"loopback host number {n} out of range 1 … {MAX_HOSTS}")
    block, offset = divmod(n - 1, HOSTS_PER_BLOCK)
    return f"127.0.{block}.{offset + 1}"


class HostLoad(NamedTuple):
    """The most a host was asked of at once."""

    requests: int  # requests being served at the same moment
    connections: int  # connections open at the same moment


class Host:
    """One listening address. Handlers see it as ``self.server``: subclass it to carry the
    host's own state (the simulated portal, its request log …)."""

    def __init__(self) -> None:
        self.server_address: tuple[str, int] = ("", 0)
        self.socket: socket.socket | None = None
        self.active = 0
        self.open = 0
        self.peak_active = 0
        self.peak_open = 0

    def load(self) -> HostLoad:
        return HostLoad(self.peak_active, self.peak_open)


class _Conn:
    __slots__ = ("sock", "host", "handler", "idle_since", "closed", "counted")

    def __init__(self, sock: socket.socket, host: Host, handler: BaseHTTPRequestHandler):
        self.sock = sock
        self.host = host
        self.handler = handler
        self.idle_since = time.monotonic()
        self.closed = False
        self.counted = True  # among its host's open connections


_WAKE = object()


class MultiHostServer:
    """HTTP/1.1 on many addresses from one selector thread and ``threads`` workers.

    ``add(address, host)`` binds and listens (before ``start()``); ``latency`` delays every
    answer by that many seconds without holding a thread (a slow portal, so that requests
    overlap and per-host limits matter); idle keep-alive connections are closed after
    ``keepalive`` seconds.
    """

    def __init__(self, handler_class: type[BaseHTTPRequestHandler], *, threads: int = 16,
                 latency: float = 0.0, keepalive: float = 10.0, backlog: int = 128):
        self.handler_class = handler_class
        self.latency = latency
        self.keepalive = keepalive
        self.backlog = backlog
        self.hosts: list[Host] = []
        self._sel = selectors.DefaultSelector()
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="sim-worker")
        self._lock = threading.Lock()
        self._conns: set[_Conn] = set()
        self._requeue: list[_Conn] = []
        self._due: list[tuple[float, int, _Conn]] = []
        self._seq = itertools.count()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False
        # requests being answered at each address (hosts sharing an address on several ports
        # count together), and the most at once
        self._address_active: dict[str, int] = {}
        self._address_peak: dict[str, int] = {}

    def address_load(self, address: str) -> int:
        """The most requests answered at once at ``address``, over every host listening on it."""
        with self._lock:
            return self._address_peak.get(address, 0)

    # -- setup ----------------------------------------------------------------------------
    def add(self, address: tuple[str, int], host: Host) -> Host:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(self.backlog)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        host.socket = sock
        host.server_address = sock.getsockname()[:2]
        self.hosts.append(host)
        self._sel.register(sock, selectors.EVENT_READ, host)
        return host

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sim-selector", daemon=True)
        self._thread.start()

    # -- the selector thread -------------------------------------------------------------
    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # already awake (buffer full) or closing

    def _loop(self) -> None:
        next_sweep = time.monotonic() + 1.0
        while not self._stopping:
            now = time.monotonic()
            timeout = next_sweep - now
            if self._due:
                timeout = min(timeout, self._due[0][0] - now)
            try:
                events = self._sel.select(max(0.0, timeout))
            except OSError:
                if self._stopping:
                    break
                raise
            for key, _ in events:
                data = key.data
                if data is _WAKE:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except (BlockingIOError, OSError):
                        pass
                elif isinstance(data, _Conn):
                    self._readable(data)
                else:
                    self._accept(data)
            with self._lock:
                back, self._requeue = self._requeue, []
            now = time.monotonic()
            for conn in back:
                if self._stopping:
                    break
                conn.idle_since = now
                try:
                    self._sel.register(conn.sock, selectors.EVENT_READ, conn)
                except (ValueError, OSError, KeyError):
                    self._close(conn)
            while self._due and self._due[0][0] <= now:
                _, _, conn = heapq.heappop(self._due)
                self._pool.submit(self._serve, conn)
            if now >= next_sweep:
                next_sweep = now + 1.0
                self._sweep_idle(now)

    def _accept(self, host: Host) -> None:
        while True:
            try:
                sock, addr = host.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            handler = self.handler_class.__new__(self.handler_class)
            handler.request, handler.client_address, handler.server = sock, addr, host
            try:
                handler.setup()  # timeout, rfile, wfile
            except OSError:
                sock.close()
                continue
            conn = _Conn(sock, host, handler)
            with self._lock:
                self._conns.add(conn)
                host.open += 1
                host.peak_open = max(host.peak_open, host.open)
            self._sel.register(sock, selectors.EVENT_READ, conn)

    def _readable(self, conn: _Conn) -> None:
        try:
            self._sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        try:
            first = conn.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            self._sel.register(conn.sock, selectors.EVENT_READ, conn)
            return
        except OSError:
            first = b""
        if not first:  # the client closed it
            self._close(conn)
            return
        self._begin(conn.host)
        if self.latency > 0:
            heapq.heappush(self._due, (time.monotonic() + self.latency, next(self._seq), conn))
        else:
            self._pool.submit(self._serve, conn)

    def _sweep_idle(self, now: float) -> None:
        for key in list(self._sel.get_map().values()):
            conn = key.data
            if isinstance(conn, _Conn) and now - conn.idle_since > self.keepalive:
                try:
                    self._sel.unregister(conn.sock)
                except (KeyError, ValueError):
                    pass
                self._close(conn)

    # -- bookkeeping -----------------------------------------------------------------------
    def _begin(self, host: Host) -> None:
        with self._lock:
            host.active += 1
            host.peak_active = max(host.peak_active, host.active)
            addr = host.server_address[0]
            n = self._address_active[addr] = self._address_active.get(addr, 0) + 1
            self._address_peak[addr] = max(self._address_peak.get(addr, 0), n)

    def _end(self, host: Host) -> None:
        with self._lock:
            host.active -= 1
            self._address_active[host.server_address[0]] -= 1

    def _answered_once(self, conn: _Conn):
        """The end of one request, counted once: by the handler just before it writes the last
        bytes of its answer (``self.answered()``), else when it returns. Counted after the
        last write, a client that sends its next request as soon as it has the answer would be
        seen twice at once whenever this thread is slow to get back the GIL. A connection
        this answer is the last of is counted closed at the same moment, for the same reason."""
        done = False

        def answered() -> None:
            nonlocal done
            if done:
                return
            done = True
            self._end(conn.host)
            if getattr(conn.handler, "close_connection", False):
                self._closing(conn)
        return answered

    def _closing(self, conn: _Conn) -> None:
        with self._lock:
            self._uncount(conn)

    @staticmethod
    def _uncount(conn: _Conn) -> None:
        """No longer counted among the host's open connections (once; the lock is held)."""
        if conn.counted:
            conn.counted = False
            conn.host.open -= 1

    def _close(self, conn: _Conn) -> None:
        with self._lock:
            if conn.closed:
                return
            conn.closed = True
            self._conns.discard(conn)
            self._uncount(conn)
        try:
            conn.handler.finish()
        except OSError:
            pass
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.sock.close()

    # -- a worker thread -------------------------------------------------------------------
    def _serve(self, conn: _Conn) -> None:
        """Answer the request that arrived, and any the client sent right behind it."""
        handler = conn.handler
        keep = False
        try:
            while True:
                handler.answered = self._answered_once(conn)
                try:
                    handler.close_connection = True
                    handler.handle_one_request()
                    keep = not handler.close_connection and not self._stopping
                except (ConnectionError, TimeoutError, OSError):
                    keep = False
                except Exception:  # noqa: BLE001 - a handler bug is printed, the server goes on
                    print(f"simulated host {conn.host.server_address}: error while answering", file=sys.stderr)
                    traceback.print_exc()
                    keep = False
                finally:
                    handler.answered()
                if not keep or not self._buffered(conn):
                    break
                self._begin(conn.host)  # a pipelined request already read into the buffer
        finally:
            if keep:
                with self._lock:
                    self._requeue.append(conn)
                self._wake()
            else:
                self._close(conn)

    @staticmethod
    def _buffered(conn: _Conn) -> bool:
        """Whether request bytes are already waiting (in the handler's buffer or the socket)."""
        sock = conn.sock
        timeout = sock.gettimeout()
        try:
            sock.settimeout(0.0)
            return bool(conn.handler.rfile.peek(1))
        except (BlockingIOError, OSError, ValueError):
            return False
        finally:
            try:
                sock.settimeout(timeout)
            except OSError:
                pass

    # -- the end -----------------------------------------------------------------------------
    def stop(self, timeout: float = 2.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._stopping = True
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
        for host in self.hosts:
            if host.socket is not None:
                host.socket.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # idle ones and those a worker is answering on: the workers fail fast
            self._close(conn)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()


def serve_hosts(handler_class: type[BaseHTTPRequestHandler], hosts: list[tuple[tuple[str, int], Any]],
                **kw) -> MultiHostServer:
    """Bind every (address, host), start serving; on a bind error nothing is left open."""
    srv = MultiHostServer(handler_class, **kw)
    try:
        for address, host in hosts:
            srv.add(address, host)
    except BaseException:
        srv.stop()
        raise
    srv.start()
    return srv
