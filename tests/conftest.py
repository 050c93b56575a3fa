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
        c.execute(text(f'create schema "{schema}"'))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


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
