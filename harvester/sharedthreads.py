"""A Twisted thread pool shared by every crawler of a process, started by the first crawler
that needs it and stopped when the last one lets it go (or when the reactor shuts down, so a
reactor stopped before every spider closed never leaves its threads keeping the process alive).

The WARC writers (``middlewares.archive``) and the store's database thread (``pipelines.store``)
each keep one.
"""
from __future__ import annotations

import threading

from twisted.python.threadpool import ThreadPool


class SharedThreadPool:
    def __init__(self, name: str, maxthreads: int, minthreads: int = 0):
        self.name, self.minthreads, self.maxthreads = name, minthreads, maxthreads
        self._lock = threading.Lock()
        self._pool: ThreadPool | None = None
        self._users = 0

    def acquire(self) -> ThreadPool:
        from twisted.internet import reactor

        with self._lock:
            if self._pool is None:
                self._pool = ThreadPool(minthreads=self.minthreads, maxthreads=self.maxthreads, name=self.name)
                self._pool.start()
                reactor.addSystemEventTrigger("after", "shutdown", self._stop, self._pool)
            self._users += 1
            return self._pool

    def release(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            pool = self._pool if self._users == 0 else None
            if pool is not None:
                self._pool = None
        if pool is not None and pool.started:
            pool.stop()

    def _stop(self, pool: ThreadPool) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool, self._users = None, 0
        if pool.started:
            pool.stop()
