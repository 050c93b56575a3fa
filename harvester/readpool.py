"""Reading pages in worker processes: trafilatura and the report parser off the reactor's GIL.

Reading a report page costs tens of milliseconds of CPU (``harvester.extraction.read_page``).
On threads of the crawling process it competed with the reactor for one GIL, so fetching
slowed down to the pace of reading. Here it runs in a ``concurrent.futures.ProcessPoolExecutor``
of ``HARVESTER_PARSE_PROCESSES`` workers (default: one per core), started with *spawn*: a
process running a Twisted reactor and threads is never forked.

- **One pool per process**, shared by every crawler in it (``shared_pool()``), created on first
  use, its workers started one by one as work arrives, shut down when the reactor stops or the
  process exits. Workers import only what reading needs (this module is stdlib only; the worker
  imports ``harvester.extraction`` and what a document's format needs).
- **Plain data both ways**: the body's bytes, its URL and Content-Type go in; the reading (a
  dict of plain values), a report's text fingerprints (digest and simhash, so the storing
  process need not compute them) and the CPU seconds it took come back.
- **The decompression limit holds in the workers**: ``HARVESTER_PARSE_MAX_DECODED`` as the
  submitting process sees it is sent with each document and applied by the worker.
- **A worker that dies** (a parser segfault or OOM kill on a hostile document, ``os._exit``)
  breaks the whole executor: every document it held fails with ``BrokenProcessPool``. The pool is
  recreated at once, and each of those documents is read again *alone*, one at a time, in a
  separate one-worker quarantine executor: a document that kills its worker there too is the
  culprit, and comes back as a reading whose error says so (archived, not read); the others come
  back read. The crawl goes on.
- Workers die with their parent (``PR_SET_PDEATHSIG``, else a watchdog thread): a crawl killed
  with SIGKILL leaves no reader behind.

``read_deferred()`` bridges to Twisted: the reactor thread submits and gets a Deferred fired from
the reactor thread (``callFromThread``); it never blocks on the pool.
"""
from __future__ import annotations

import atexit
import concurrent.futures
import importlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

log = logging.getLogger(__name__)

READER = "harvester.extraction:read_page"  # module:function run in the workers, as read_page(body, url, content_type)
START_METHOD = "spawn"
SHUTDOWN_GRACE = 5.0  # seconds a worker may take to finish its document when the pool shuts down
# CPU seconds a worker may spend on one document (reading one costs tens of milliseconds, a large
# PDF a few seconds): past it the kernel ends the worker (SIGXCPU), as a crash would, so a parser
# in an endless loop costs one document, not a worker for good and a harvest that never ends
READ_CPU_LIMIT = 300


@dataclass(frozen=True)
class Reading:
    """What a worker sends back for one document."""

    content: dict  # read_page's dict
    cpu_seconds: float  # CPU time the worker spent reading it (0 when it crashed)
    crashed: str | None = None  # why the document was not read: its worker died on it
    # a report's text fingerprints (harvester.similarity.fingerprints), computed here rather than
    # in the storing process
    fingerprints: tuple | None = None


def default_processes() -> int:
    return os.cpu_count() or 1


def failed_reading(error: str) -> dict:
    """A reading with no result but its error (the page stays archived)."""
    from harvester.extraction import blank_reading

    out = blank_reading()
    out["error"] = error
    return out


def crashed_reading(reason: str) -> dict:
    """The reading of a document that killed the process reading it: archived, not read."""
    return failed_reading(f"unreadable page: {reason}; archived, not read")


def _max_decoded() -> int:
    from harvester.config import DEFAULT_PARSE_MAX_DECODED, ConfigError, parse_max_decoded

    try:
        return parse_max_decoded()
    except ConfigError:
        return DEFAULT_PARSE_MAX_DECODED


# -- the worker side ------------------------------------------------------------------------------
_readers: dict[str, object] = {}


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker() -> None:
    """In each worker: die with the parent; import the reader before the first document."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the whole group: the parent decides
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)  # past a document's CPU limit: the worker ends
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # and leaves no core file behind
    except (ImportError, OSError, ValueError):
        pass
    done = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            done = libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            done = False
    if not done:
        threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    if os.getppid() == 1:  # the parent died before the signal was armed
        os._exit(1)


def _reader(spec: str):
    fn = _readers.get(spec)
    if fn is None:
        module, _, name = spec.partition(":")
        fn = _readers[spec] = getattr(importlib.import_module(module), name)
    return fn


def _limit_cpu(seconds: float | None) -> None:
    """The worker's CPU time may grow by ``seconds`` more (None: no limit) before SIGXCPU ends it."""
    try:
        import resource
    except ImportError:  # not a POSIX system: no limit
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if seconds is None:
        soft = hard
    else:
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(used.ru_utime + used.ru_stime) + 1 + int(seconds)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (OSError, ValueError):
        pass


def read_in_worker(spec: str, body: bytes, url: str | None, content_type: str | None, max_decoded: int,
                   cpu_limit: float | None = None) -> Reading:
    """Run in a worker: read one document under the submitting process's decompression limit,
    within ``cpu_limit`` CPU seconds (past them the worker is ended: see ``READ_CPU_LIMIT``).
    A reader that raises (it should not) gives a reading whose error says so: nothing is lost."""
    os.environ["HARVESTER_PARSE_MAX_DECODED"] = str(max_decoded)
    _limit_cpu(cpu_limit)
    try:
        return _read(spec, body, url, content_type)
    finally:
        _limit_cpu(None)


def _read(spec: str, body: bytes, url: str | None, content_type: str | None) -> Reading:
    # once RLIMIT_CPU is set, Linux counts the process's CPU clock in scheduler ticks (a short
    # read shows 0 s): this thread's clock stays exact, the process's adds any helper threads
    start, start_thread = time.process_time(), time.thread_time()
    fingerprints = None
    try:
        content = _reader(spec)(body, url, content_type)
        if content.get("is_annual_report"):
            from harvester.similarity import fingerprints as of

            # the text storage.reports matches a report by
            fingerprints = of((content.get("record") or {}).get("text") or content.get("text") or "")
    except Exception as exc:  # noqa: BLE001 - recorded with the page
        content = failed_reading(f"reading failed: {type(exc).__name__}: {exc}")
    cpu = max(time.process_time() - start, time.thread_time() - start_thread)
    return Reading(content, cpu, fingerprints=fingerprints)


def _warm(spec: str) -> int:
    _reader(spec)
    return os.getpid()


def _exit_status(process, wait: float = 5.0) -> int | None:
    """The exit status of a reader that died, once it is known. The executor's own thread may
    be reaping the same process at that moment: until it has recorded the status, asking for
    it here finds nothing (the child is already reaped) rather than the status."""
    deadline = time.monotonic() + wait
    while True:
        process.join(0.05)
        code = getattr(process, "exitcode", None)
        if code is not None or time.monotonic() >= deadline:
            return code


# -- the submitting side --------------------------------------------------------------------------
class ReadPool:
    """A pool of reader processes; ``submit()`` returns a future that never fails on a crash."""

    def __init__(self, processes: int | None = None, reader: str | None = None, start_method: str | None = None,
                 cpu_limit: float | None = READ_CPU_LIMIT):
        self.processes = max(1, processes or default_processes())
        self.reader = reader or READER
        self.cpu_limit = cpu_limit
        self._ctx = multiprocessing.get_context(start_method or START_METHOD)
        self._lock = threading.Lock()
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._generation = 0
        self._suspects: queue.Queue | None = None
        self._quarantine: threading.Thread | None = None
        self._quarantine_executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._closed = False
        self._started = False
        self.crashes = 0  # executors lost to a dying worker
        self.culprits = 0  # documents found to kill their worker when read alone

    def _new_executor(self, workers: int) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=self._ctx,
                                                      initializer=_init_worker)

    def _current(self) -> tuple[concurrent.futures.ProcessPoolExecutor, int]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the read pool is shut down")
            if self._executor is None:
                self._executor = self._new_executor(self.processes)
            return self._executor, self._generation

    def start(self) -> None:
        """Start one worker now (it imports the reader), so the first page does not wait for it.
        Once per pool: every crawler of the process calls it."""
        with self._lock:
            if self._started:
                return
            self._started = True
        executor, _ = self._current()
        executor.submit(_warm, self.reader).add_done_callback(lambda f: f.exception())

    def submit(self, body: bytes, url: str | None = None, content_type: str | None = None
               ) -> concurrent.futures.Future:
        """Read one document in a worker; the future's result is a ``Reading``."""
        outer: concurrent.futures.Future = concurrent.futures.Future()
        args = (self.reader, body, url, content_type, _max_decoded(), self.cpu_limit)
        self._dispatch(outer, args)
        return outer

    def _dispatch(self, outer: concurrent.futures.Future, args: tuple) -> None:
        while True:
            try:
                executor, generation = self._current()
            except RuntimeError as exc:  # the pool is shut down
                outer.set_exception(exc)
                return
            try:
                inner = executor.submit(read_in_worker, *args)
            except BrokenProcessPool:
                # it broke since: recreate it, and read this document alone
                self._broken(generation)
                self._suspect(outer, args)
                return
            except RuntimeError:  # dropped (broken) by another thread since: take the new one
                continue
            inner.add_done_callback(lambda f: self._done(f, outer, args, generation))
            return

    def _done(self, inner: concurrent.futures.Future, outer, args, generation: int) -> None:
        if inner.cancelled():  # the pool was shut down before a worker took it
            outer.set_exception(RuntimeError("the read pool is shut down"))
            return
        exc = inner.exception()
        if exc is None:
            outer.set_result(inner.result())
        elif isinstance(exc, BrokenProcessPool):
            self._broken(generation)
            self._suspect(outer, args)
        else:
            outer.set_exception(exc)

    def _broken(self, generation: int) -> None:
        """The executor of ``generation`` lost a worker: drop it (once); the next submit makes a new one."""
        with self._lock:
            if generation != self._generation or self._executor is None:
                return
            old, self._executor = self._executor, None
            self._generation += 1
            self.crashes += 1
        log.warning("a reader process died; the read pool is recreated and the documents it held are read again one by one")
        old.shutdown(wait=False, cancel_futures=True)

    # -- quarantine: documents held by a dying executor, read again one at a time ------------------
    def _suspect(self, outer, args) -> None:
        with self._lock:
            if self._closed:
                outer.set_exception(RuntimeError("the read pool is shut down"))
                return
            if self._suspects is None:
                self._suspects = queue.Queue()
                self._quarantine = threading.Thread(target=self._read_suspects, daemon=True,
                                                    name="harvester-read-quarantine")
                self._quarantine.start()
            self._suspects.put((outer, args))

    def _read_suspects(self) -> None:
        executor = None
        while True:
            job = self._suspects.get()
            if job is None:
                break
            outer, args = job
            if self._closed:  # shut down meanwhile: no new reader is started
                outer.set_exception(RuntimeError("the read pool is shut down"))
                continue
            if executor is None:
                executor = self._quarantine_executor = self._new_executor(1)
            readers = []
            try:
                inner = executor.submit(read_in_worker, *args)
                readers = list((getattr(executor, "_processes", None) or {}).values())
                outer.set_result(inner.result())
            except BrokenProcessPool as exc:
                executor.shutdown(wait=False, cancel_futures=True)
                executor = self._quarantine_executor = None
                if self._closed:  # its reader was terminated by shutdown(): not a culprit
                    outer.set_exception(RuntimeError("the read pool is shut down"))
                    continue
                with self._lock:
                    self.culprits += 1
                if any(_exit_status(p) == -signal.SIGXCPU for p in readers):  # it says why it died
                    reason = f"the process reading it died: it took more than {args[5]} s of CPU"
                else:
                    reason = f"the process reading it died ({exc or 'killed'})"
                log.error("%s: %s", args[2] or "a document", reason)
                outer.set_result(Reading(crashed_reading(reason), 0.0, crashed=reason))
            except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
                outer.set_exception(exc)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
            suspects, quarantine = self._suspects, self._quarantine
        if executor is not None:
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            if wait:
                # documents being read finish (a crawl ends with none); a reader stuck on one for
                # longer does not keep the process from exiting
                deadline = time.monotonic() + SHUTDOWN_GRACE
                for p in processes:
                    p.join(max(0.0, deadline - time.monotonic()))
                    if p.is_alive():
                        p.terminate()
                executor.shutdown(wait=True)
        if suspects is not None:
            suspects.put(None)
            if wait and quarantine is not None:
                # a document stuck in the quarantine's reader (it is read alone there, with no
                # time limit) would keep the thread, its reader process and, through
                # concurrent.futures' exit hook that joins every executor, this process alive
                # forever: after the grace period its reader is terminated
                quarantine.join(SHUTDOWN_GRACE)
                stuck = self._quarantine_executor
                if quarantine.is_alive() and stuck is not None:
                    for p in list((getattr(stuck, "_processes", None) or {}).values()):
                        if p.is_alive():
                            p.terminate()
                quarantine.join(30)


# -- one pool per process ---------------------------------------------------------------------------
_shared: ReadPool | None = None
_shared_lock = threading.Lock()


def shared_pool(processes: int | None = None) -> ReadPool:
    """The process's read pool, created on first use with ``processes`` workers (default:
    ``HARVESTER_PARSE_PROCESSES``, else one per core); stopped at reactor shutdown or exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            if processes is None:
                from harvester.config import parse_processes

                processes = parse_processes()
            _shared = ReadPool(processes)
            atexit.register(shutdown_shared)
            if "twisted.internet.reactor" in sys.modules:  # never install one by importing it
                from twisted.internet import reactor

                reactor.addSystemEventTrigger("after", "shutdown", shutdown_shared)
        return _shared


def shutdown_shared() -> None:
    global _shared
    with _shared_lock:
        pool, _shared = _shared, None
    if pool is not None:
        pool.shutdown(wait=True)


def read_deferred(pool: ReadPool, body: bytes, url: str | None, content_type: str | None):
    """A Deferred firing (in the reactor thread) with the ``Reading`` of one document."""
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    d: Deferred = Deferred()

    def fire(f: concurrent.futures.Future) -> None:
        exc = f.exception()
        if exc is None:
            d.callback(f.result())
        else:
            d.errback(exc)

    future = pool.submit(body, url, content_type)
    future.add_done_callback(lambda f: reactor.callFromThread(fire, f))
    return d
