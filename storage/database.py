"""Opening the relational store: SQLite by default, PostgreSQL at scale.

``open_database(url)`` creates the engine, brings the schema to the newest Alembic revision
and returns a :class:`Database` whose ``session()`` is the only way code talks to the store.
A store already at the newest revisions (read from ``alembic_version``, compared with the
migration files' own ``revision`` / ``down_revision`` lines) is opened without loading Alembic:
every ``harvester`` process, and each harvest process of a cluster worker, starts about a third
of a second sooner.
"""
from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(RuntimeError):
    """The store cannot be opened or migrated; the message names the URL and the cause."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs the log at checkpoints, not at every commit: a commit survives a
    # crash of the process (SIGKILL), as the WARC records it points at do (flushed to the OS,
    # not synced per record); a power cut may lose the last commits, which the next harvest
    # recovers from the archive like any capture the store lacks (storage.recovery).
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_no_checkpoint_when_full(dbapi_conn, _record, _proxy) -> None:
    """Once a harvest has been stopped by a full disk (storage.failure), a checkpoint would
    copy the write-ahead log into the database file and grow it into the little room freed
    to finish: the last writes (runs marked failed, locks released) go to the log only."""
    from storage.failure import GUARD

    if GUARD.tripped:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()


def _sqlite_transactional_ddl(engine: Engine) -> None:
    """Python's sqlite3 runs DDL outside any transaction (it only opens one before DML), so a
    migration killed half-way (SIGKILL, power cut) left a store with its first tables and no
    version, that no later run could open ("table … already exists"). For migrations, the
    driver's own transaction handling is switched off and each transaction is an explicit
    BEGIN IMMEDIATE ... COMMIT: the whole upgrade happens, or none of it."""

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_conn, _record):
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# First key of the advisory lock held while the schema is brought up to date (PostgreSQL).
_MIGRATION_LOCK = 0x786D


def _serialise_migrations(conn) -> None:
    """Workers starting at once on one PostgreSQL upgrade its schema one after the other: the
    first runs the migrations, the others wait for its commit and find nothing left to do
    (without the lock, two would create the same tables and one would fail). The lock is
    transaction-scoped (released by the commit, or by the rollback of a failed upgrade) and
    per schema, so stores in other schemas of the database are not held up. SQLite's
    BEGIN IMMEDIATE already lets one writer in at a time."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (_MIGRATION_LOCK,))


class Database:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on any error."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True) -> Database:
    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"cannot use database URL {_redact(url)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkout", _sqlite_no_checkpoint_when_full)
    db = Database(engine)
    if migrate and not _at_heads(engine):
        from alembic import command

        migrator = engine
        if engine.dialect.name == "sqlite":
            migrator = create_engine(url, future=True)
            event.listen(migrator, "connect", _sqlite_pragmas)
            _sqlite_transactional_ddl(migrator)
        try:
            with migrator.begin() as conn:
                _serialise_migrations(conn)
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")  # parallel branches need no merge
        except OperationalError as exc:
            raise DatabaseError(
                f"cannot open database {_redact(url)}: {exc.orig}"
            ) from exc
        finally:
            if migrator is not engine:
                migrator.dispose()
    return db


# ``revision = "x"``, or as newer Alembic templates write it, ``revision: str = "x"``
_REVISION = re.compile(r"^revision\s*(?::[^=\n]+)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]+)?=\s*(\([^)]*\)|.+)$", re.M)


@functools.lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The newest revisions of the migration files (those no other file builds on), read from
    their ``revision`` and ``down_revision`` lines without importing Alembic."""
    revisions, below = set(), set()
    for f in (MIGRATIONS / "versions").glob("*.py"):
        text = f.read_text(encoding="utf-8")
        rev = _REVISION.search(text)
        if rev is None:
            if f.name == "__init__.py":
                continue
            return frozenset()  # a migration this reading cannot follow: Alembic decides
        revisions.add(rev.group(1))
        down = _DOWN_REVISION.search(text)
        if down is not None:
            below.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - below)


def _at_heads(engine: Engine) -> bool:
    """The store is at the newest revisions already (False when it cannot be told: no store
    yet, no version table, a newer or older schema: Alembic decides then)."""
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            current = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except DBAPIError:
        return False
    return bool(current) and current == set(migration_heads())


_shared: dict[str, Database] = {}
_shared_lock = threading.Lock()


def shared_database(url: str) -> Database:
    """One engine per database URL per process, migrated on first use (crawl components share it)."""
    with _shared_lock:
        db = _shared.get(url)
        if db is None:
            db = _shared[url] = open_database(url)
        return db
