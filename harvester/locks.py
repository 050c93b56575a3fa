"""Never two harvests of one portal at once: a lock row per portal in the database.

Works the same on SQLite and PostgreSQL (an insert that only one writer can win, or a
conditional update of an expired row). A holder renews its lock while it works; a holder
that crashed stops renewing and its lock expires after ``ttl``.

**Host leases.** Portals may share a host (a county site's departments). In one process their
requests share the host's limit (``middlewares.hostlimit``); across processes and machines a
harvest also holds a lease on every host of its portals (``host_key``: a row of the same table,
keyed ``@host``, which no portal id can be), so two processes never harvest one host at once:
the second refuses those portals (a cluster worker hands their jobs back for later).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.models import CrawlLock, utcnow

DEFAULT_TTL = dt.timedelta(minutes=10)
log = logging.getLogger(__name__)


class LockBusy(RuntimeError):
    """The portal is being harvested; the message says by whom and since when."""


def _machine_tag() -> str:
    """8 hex digits naming this boot of this machine and this process-id namespace (Linux's boot
    id and the namespace's inode), or "" where there is neither: two machines, or two containers
    on one machine, given one host name are told apart, so a process id is only looked up where
    it means the same process."""
    import hashlib

    parts = []
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            parts.append(fh.read().strip())
    except OSError:
        return ""
    try:
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:
        pass
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:8]


MACHINE_TAG = _machine_tag()


def new_holder() -> str:
    """``host:pid:token``; the token starts with the machine tag where there is one."""
    return f"{socket.gethostname()}:{os.getpid()}:{MACHINE_TAG}{uuid.uuid4().hex[:8]}"


HOST_PREFIX = "@"  # lock keys of hosts; portal ids start with a letter or digit (harvester.registry)
_KEY_LENGTH = 64  # crawl_locks.portal_id


def host_key(host: str) -> str:
    """The lock key of a host: ``@`` and its name, or, for a name too long for the column, its
    start and a digest of the whole."""
    import hashlib

    name = host.lower().rstrip(".")
    key = HOST_PREFIX + name
    if len(key) <= _KEY_LENGTH:
        return key
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:20]
    return f"{HOST_PREFIX}{name[:_KEY_LENGTH - len(digest) - 2]}~{digest}"


def portal_hosts(url: str, more: tuple[str, ...] | list[str] = (), columns: tuple[str, ...] | list[str] = ()
                 ) -> list[str]:
    """The hosts a portal's harvest fetches from: its address's, its columns' (a registry may
    list a column on another host) and the registry's ``hosts``."""
    out = []
    for h in [urlsplit(url).hostname or "", *(urlsplit(c).hostname or "" for c in columns), *more]:
        h = h.lower().rstrip(".")
        if h and h not in out:
            out.append(h)
    return out


@dataclass
class Lease:
    portal_id: str
    holder: str
    expires_at: dt.datetime


def try_acquire(db: Database, portal_id: str, holder: str, purpose: str, ttl: dt.timedelta = DEFAULT_TTL,
                now: dt.datetime | None = None) -> Lease | None:
    now = now or utcnow()
    expires = now + ttl
    try:
        with db.session() as s:
            s.add(CrawlLock(portal_id=portal_id, holder=holder, purpose=purpose, acquired_at=now, expires_at=expires))
        return Lease(portal_id, holder, expires)
    except IntegrityError:
        pass
    # Taken: take it over only if it expired, or its holder was a process on this machine that
    # no longer exists (SIGKILL, OOM): one conditional update wins.
    with db.session() as s:
        current = s.get(CrawlLock, portal_id)
        stale = current is not None and holder_is_dead(current.holder)
        cond = CrawlLock.expires_at < now
        if stale:
            cond = cond | (CrawlLock.holder == current.holder)
        res = s.execute(
            update(CrawlLock)
            .where(CrawlLock.portal_id == portal_id, cond)
            .values(holder=holder, purpose=purpose, acquired_at=now, expires_at=expires)
        )
        if res.rowcount == 1:
            return Lease(portal_id, holder, expires)
    return None


def holder_is_dead(holder: str) -> bool:
    """True only when the holder ran on this machine and its process is gone."""
    try:
        host, pid, _token = holder.split(":")
        pid_n = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    if len(_token) == 16 and _token[:8] != MACHINE_TAG:
        # another machine of the same name (or this one before a reboot): its processes cannot
        # be looked up from here; the lease runs out instead
        return False
    try:
        os.kill(pid_n, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def describe(db: Database, portal_id: str, what: str | None = None) -> str:
    """Who holds the lock ``portal_id`` (a portal's, or a host's: ``what`` names it then)."""
    what = what or f"portal {portal_id}"
    with db.session() as s:
        lock = s.get(CrawlLock, portal_id)
        return f"{what} is not locked" if lock is None else _held_by(what, lock)


def _held_by(what: str, lock: CrawlLock) -> str:
    return (f"{what} is being harvested ({lock.purpose}) by {lock.holder} since "
            f"{lock.acquired_at.isoformat(timespec='seconds')}; the lock expires at "
            f"{lock.expires_at.isoformat(timespec='seconds')} unless renewed")


def entry_hosts(entry) -> list[str]:
    """``portal_hosts`` of a registry entry (its address, columns and ``hosts``)."""
    return portal_hosts(entry.url, entry.hosts, entry.columns)


def held_elsewhere(db: Database, portal_id: str, hosts: list[str]) -> str | None:
    """Why the portal cannot be harvested now (its lock, or a lease on one of ``hosts``, held
    by a live harvest: not expired, its process not known dead), or None. A look only: the
    harvest takes the locks itself."""
    keys = {portal_id: f"portal {portal_id}", **{host_key(h): f"host {h}" for h in hosts}}
    with db.session() as s:
        held = list(s.scalars(select(CrawlLock).where(CrawlLock.portal_id.in_(list(keys)))))
    now = utcnow()
    for lock in sorted(held, key=lambda lock: lock.portal_id != portal_id):
        if lock.expires_at > now and not holder_is_dead(lock.holder):
            return _held_by(keys[lock.portal_id], lock)
    return None


def acquire(db: Database, portal_id: str, holder: str, purpose: str, *, wait: float = 0.0,
            ttl: dt.timedelta = DEFAULT_TTL, poll: float = 1.0, what: str | None = None,
            keep: list[Lease] | None = None) -> Lease:
    """Acquire, waiting up to ``wait`` seconds; LockBusy with a clear message otherwise
    (``what``: what the lock is of, for that message; default the portal ``portal_id``).
    ``keep``: leases already taken for the same harvest, renewed while this one is waited for
    (a wait may outlast their ``ttl``: they would expire and be taken over meanwhile)."""
    deadline = time.monotonic() + wait
    while True:
        lease = try_acquire(db, portal_id, holder, purpose, ttl)
        if lease is not None:
            return lease
        if time.monotonic() >= deadline:
            raise LockBusy(describe(db, portal_id, what))
        # renewed once a quarter of their time has gone, however many waits came before this one
        if keep and min(k.expires_at for k in keep) - utcnow() < ttl * 3 / 4:
            for lost in renew_all(db, keep, ttl):
                log.error("lock %s was lost while waiting for %s (expired and taken over)", lost.portal_id,
                          what or f"portal {portal_id}")
        time.sleep(min(poll, max(0.05, deadline - time.monotonic())))


def renew(db: Database, lease: Lease, ttl: dt.timedelta = DEFAULT_TTL) -> bool:
    now = utcnow()
    with db.session() as s:
        res = s.execute(
            update(CrawlLock)
            .where(CrawlLock.portal_id == lease.portal_id, CrawlLock.holder == lease.holder)
            .values(expires_at=now + ttl)
        )
        ok = res.rowcount == 1
    if ok:
        lease.expires_at = now + ttl
    return ok


def release(db: Database, lease: Lease) -> None:
    with db.session() as s:
        s.execute(delete(CrawlLock).where(CrawlLock.portal_id == lease.portal_id, CrawlLock.holder == lease.holder))


def renew_all(db: Database, leases: list[Lease], ttl: dt.timedelta = DEFAULT_TTL, chunk: int = 500) -> list[Lease]:
    """Renew many leases of one holder with one statement per ``chunk`` of them (a harvest of
    thousands of portals holds thousands of locks); returns the leases that were lost."""
    lost: list[Lease] = []
    by_holder: dict[str, list[Lease]] = {}
    for lease in leases:
        by_holder.setdefault(lease.holder, []).append(lease)
    for holder, mine in by_holder.items():
        for i in range(0, len(mine), chunk):
            part = {lease.portal_id: lease for lease in mine[i:i + chunk]}
            now = utcnow()
            with db.session() as s:
                s.execute(update(CrawlLock)
                          .where(CrawlLock.holder == holder, CrawlLock.portal_id.in_(list(part)))
                          .values(expires_at=now + ttl))
                held = set(s.scalars(select(CrawlLock.portal_id)
                                     .where(CrawlLock.holder == holder, CrawlLock.portal_id.in_(list(part)))))
            for pid, lease in part.items():
                if pid in held:
                    lease.expires_at = now + ttl
                else:
                    lost.append(lease)
    return lost


def release_all(db: Database, leases: list[Lease], chunk: int = 500) -> None:
    """Release many leases with one statement per ``chunk`` of them."""
    by_holder: dict[str, list[str]] = {}
    for lease in leases:
        by_holder.setdefault(lease.holder, []).append(lease.portal_id)
    for holder, ids in by_holder.items():
        for i in range(0, len(ids), chunk):
            with db.session() as s:
                s.execute(delete(CrawlLock).where(CrawlLock.holder == holder, CrawlLock.portal_id.in_(ids[i:i + chunk])))


class Heartbeat:
    """Renews leases in a background thread until stopped; a lease given back with
    ``release`` (its portal is done) is released at once and renewed no more."""

    def __init__(self, db: Database, leases: list[Lease], ttl: dt.timedelta = DEFAULT_TTL):
        self.db, self.ttl = db, ttl
        self.leases: dict[str, Lease] = {lease.portal_id: lease for lease in leases}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="harvester-lock-heartbeat", daemon=True)

    def _run(self) -> None:
        interval = max(1.0, self.ttl.total_seconds() / 4)
        while not self._stop.wait(interval):
            with self._lock:
                leases = list(self.leases.values())
            try:
                lost = renew_all(self.db, leases, self.ttl)
            except Exception as exc:  # a dropped connection must not end the renewals
                log.warning("could not renew the locks on %d portal(s) (will retry): %s", len(leases), exc)
                continue
            with self._lock:  # released meanwhile: not lost
                lost = [lease for lease in lost if self.leases.get(lease.portal_id) is lease]
            for lease in lost:
                log.error("lock on portal %s was lost (expired and taken over): another harvest may run", lease.portal_id)

    def release(self, portal_id: str) -> None:
        """The portal is done: release its lock now (blocking: call it from a thread)."""
        with self._lock:
            lease = self.leases.pop(portal_id, None)
        if lease is not None:
            self._release(lease)

    def _release(self, lease: Lease) -> None:
        try:
            release(self.db, lease)
        except Exception as exc:  # e.g. a full disk: the lock of a dead process is stale anyway
            log.error("could not release the lock on portal %s (%s); it is taken over once this process has "
                      "ended", lease.portal_id, exc)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            leases, self.leases = list(self.leases.values()), {}
        try:
            release_all(self.db, leases)
        except Exception:  # one by one, each failure named
            for lease in leases:
                self._release(lease)


def take_hosts(db: Database, portals: dict[str, list[str]], holder: str, purpose: str, *, wait: float = 0.0,
               ttl: dt.timedelta = DEFAULT_TTL, keep: list[Lease] | None = None
               ) -> tuple[dict[str, Lease], dict[str, str]]:
    """Host leases for the portals ``{portal id: its hosts}``: returns the leases taken (by host)
    and the portals refused with the reason (one of their hosts is being harvested by another
    process). A host lease left with no portal to use it is given back at once. While a host is
    waited for, the leases taken before it (and ``keep``: the portals' own) are renewed.

    Hosts are taken in one order (sorted by name) whoever takes them: two processes that each
    need two hosts never hold one each while waiting for the other's."""
    taken: dict[str, Lease] = {}
    busy: dict[str, str] = {}
    for h in sorted({h for hosts in portals.values() for h in hosts}):
        try:
            taken[h] = acquire(db, host_key(h), holder, purpose, wait=wait, ttl=ttl, what=f"host {h}",
                               keep=[*(keep or ()), *taken.values()])
        except LockBusy as exc:
            busy[h] = (f"{exc}. Portals sharing a host are harvested by one process at a time (its "
                       "per-host limit holds for them together)")
    refused = {pid: busy[h] for pid, hosts in portals.items() for h in hosts if h in busy}
    used = {h for pid, hosts in portals.items() if pid not in refused for h in hosts}
    for h in [h for h in taken if h not in used]:
        release(db, taken.pop(h))
    return taken, refused
