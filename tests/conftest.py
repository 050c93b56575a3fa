"""Shared fixtures: real PostgreSQL / Redis when the machine has them, the simulated portals."""
from __future__ import annotations

import os
import socket
import uuid

import pytest

REQUIRE_SERVICES = os.environ.get("HARVESTER_REQUIRE_SERVICES") == "1"
PG_BASE = os.environ.get("HARVESTER_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def _unavailable(what: str, why: str):
    msg = f"{what} not available: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{msg} (HARVESTER_REQUIRE_SERVICES=1 turns this skip into a failure)")
    pytest.skip(msg)


@pytest.fixture
def pg_url():
    """A PostgreSQL URL on a fresh schema of the test database, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    try:
        admin = create_engine(PG_BASE)
        with admin.connect() as c:
            c.execute(text("select 1"))
    except OperationalError as exc:
        _unavailable("PostgreSQL at " + PG_BASE, str(exc.orig).strip().splitlines()[0])
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as c:
        _pg_trgm_in_public(c)
        c.execute(text(f'create schema "{schema}"'))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def _pg_trgm_in_public(c) -> None:
    """pg_trgm is one per database, in the schema it was created in: the first store migrated
    would create it in its own test schema, and dropping that schema at the test's end would
    drop it under the indexes of the tests running beside it (``-n``). It lives in ``public``,
    which no test drops (moved there if an earlier run left it in a test schema)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    # tests starting at once take turns (a one-key lock: apart from the store's two-key ones)
    c.execute(text("SELECT pg_advisory_xact_lock(hashtext('xxgk tests: pg_trgm'))"))
    where = c.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                           "WHERE e.extname = 'pg_trgm'")).scalar()
    try:
        with c.begin_nested():
            if where is None:
                c.execute(text("CREATE EXTENSION pg_trgm SCHEMA public"))
            elif where != "public":
                c.execute(text("ALTER EXTENSION pg_trgm SET SCHEMA public"))
    except DBAPIError:
        pass  # a role that may not: the stores migrate without it (plain scans), as in production


@pytest.fixture
def redis_url():
    host, port = "127.0.0.1", 6379
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                _unavailable("Redis", "no PONG")
    except OSError as exc:
        _unavailable(f"Redis at {host}:{port}", str(exc))
    return f"redis://{host}:{port}/15"
