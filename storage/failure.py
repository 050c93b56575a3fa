"""A full or read-only disk stops every harvest in the process, cleanly.

When the archive or the database cannot be written (ENOSPC, EROFS, a quota, an I/O error,
SQLite's "database or disk is full"), going on would only pile up tracebacks and pages that
are fetched but kept nowhere. The first such error *trips* the process-wide guard:

- the cause is kept ("disk full: [Errno 28] No space left on device writing …/x.warc.gz");
- the reserve files are deleted, so that there is room to finish cleanly (close the WARC
  files, mark the runs ``failed`` with the cause, release the portal locks);
- every crawler of the process is closed; the archive writes and stores nothing more.

The runs are marked ``failed`` with an error detail flagged ``storage: unrecovered``; the next
harvest of the portal (with room) first stores from the archive whatever reached the WARC
files but not the database, as it does after a crash (``storage.recovery``).

The reserve (``HARVESTER_DISK_RESERVE`` bytes, default 4 MiB, 0 turns it off) is a file
``.harvester-reserve`` on each filesystem the harvest writes to, made when a harvest starts.
"""
from __future__ import annotations

import errno
import logging
import os
import threading
import weakref
from pathlib import Path

log = logging.getLogger(__name__)

RESERVE_NAME = ".harvester-reserve"
DEFAULT_RESERVE = 4 * 1024 * 1024
_ERRNO_KIND = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EIO: "disk I/O error",
}
_SQLITE_KIND = (
    ("database or disk is full", "disk full"),
    ("attempt to write a readonly database", "read-only database"),
    ("disk i/o error", "disk I/O error"),
)


def _find(exc: BaseException | None) -> tuple[str, BaseException] | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _ERRNO_KIND:
            return _ERRNO_KIND[exc.errno], exc
        pgcode = getattr(exc, "pgcode", None)
        if pgcode == "53100":
            return "disk full", exc
        if pgcode == "58030":
            return "disk I/O error", exc
        if type(exc).__name__ in ("OperationalError", "DatabaseError") and not hasattr(exc, "orig"):
            text = str(exc).lower()  # the driver's own error (sqlite3), not SQLAlchemy's wrapper
            for needle, kind in _SQLITE_KIND:
                if needle in text:
                    return kind, exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None


def storage_failure_kind(exc: BaseException) -> str | None:
    """What kind of storage failure ``exc`` is ("disk full", "read-only file system", …), or
    None for any other error. Follows the exception's causes (SQLAlchemy wraps the driver's)."""
    found = _find(exc)
    return found[0] if found else None


def describe(exc: BaseException, what: str | os.PathLike | None = None) -> str | None:
    """``"disk full: [Errno 28] No space left on device writing /data/archive/x.warc.gz"``, or
    None when ``exc`` is not a storage failure."""
    found = _find(exc)
    if found is None:
        return None
    kind, base = found
    if isinstance(base, OSError):
        detail = f"[Errno {base.errno}] {base.strerror or os.strerror(base.errno)}"
        what = what or base.filename
    else:
        lines = str(base).strip().splitlines()
        detail = f"{type(base).__name__}: {lines[0]}" if lines else type(base).__name__
    return f"{kind}: {detail}" + (f" writing {what}" if what else "")


class StorageFailed(RuntimeError):
    """A harvest could not start or go on: the disk is full or read-only (the message says
    which, and the file)."""


class StorageGuard:
    """Process-wide: the first storage failure stops every crawler of the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.cause: str | None = None
        self._crawlers: weakref.WeakSet = weakref.WeakSet()
        self.reserves: list[Path] = []

    @property
    def tripped(self) -> bool:
        return self.cause is not None

    def watch(self, crawler) -> None:
        with self._lock:
            self._crawlers.add(crawler)

    def trip(self, cause: str) -> bool:
        """Record the cause (the first one wins) and stop every crawler. Thread-safe; returns
        True for the call that tripped the guard."""
        with self._lock:
            if self.cause is not None:
                return False
            self.cause = cause
            crawlers = list(self._crawlers)
        log.error("harvest stopped: %s", cause)
        release_reserves(self.reserves)
        from twisted.internet import reactor

        for crawler in crawlers:
            reactor.callFromThread(_close_crawler, crawler)
        return True

    def reset(self) -> None:
        with self._lock:
            self.cause = None
            self._crawlers = weakref.WeakSet()


def _close_crawler(crawler) -> None:
    from scrapy.utils.defer import deferred_from_coro

    engine = getattr(crawler, "engine", None)
    if engine is None or engine.spider is None:
        return
    d = deferred_from_coro(engine.close_spider_async(reason="storage_failed"))
    d.addErrback(lambda f: log.debug("closing a crawler after a storage failure: %s", f.getErrorMessage()))


GUARD = StorageGuard()


def reserve_dirs(*dirs: Path | None) -> list[Path]:
    """One directory per filesystem among ``dirs`` (the first one named on each)."""
    out, devices = [], set()
    for d in dirs:
        if d is None:
            continue
        try:
            dev = os.stat(d).st_dev
        except OSError:
            continue
        if dev not in devices:
            devices.add(dev)
            out.append(Path(d))
    return out


def make_reserves(dirs: list[Path], size: int) -> list[Path]:
    """Make (or keep) a reserve file of ``size`` bytes in each directory. A reserve that cannot
    be made (the disk is already full) raises the OSError, named by describe()."""
    made = []
    if size <= 0:
        return made
    for d in dirs:
        path = d / RESERVE_NAME
        try:
            if path.exists() and path.stat().st_size >= size:
                made.append(path)
                continue
            with open(path, "wb") as fh:
                try:
                    os.posix_fallocate(fh.fileno(), 0, size)
                except OSError as exc:
                    if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                        raise
                    fh.write(b"\0" * size)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        made.append(path)
    return made


def release_reserves(paths: list[Path]) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError as exc:  # a read-only disk: nothing to free there anyway
            log.warning("could not delete the disk reserve %s: %s", p, exc)
