"""Crash trials: a harvest SIGKILLed at random (seeded) moments loses nothing and doubles nothing.

Each trial harvests two simulated portals into a fresh data directory, kills the harvest at
one or two random moments (start-up, migration, discovery, archiving, storing, closing),
then lets a harvest complete: every report is stored, no document, snapshot or report row
exists twice, no run is left ``running`` nor a lock held, and ``verify`` is clean.
A few trials here; bench/bench_crash.py runs many more.
"""
from __future__ import annotations

import random

import pytest

from harvester.sim import SimServer, build_universe
from tests.harvest_checks import crash_trial, trial_ok
from tests.test_operations import SLOW

# killed harvests crawl slowly (0.5 s between requests: ~8 s for the two portals) and are
# killed within 5 s, so that every kill lands before the harvest ends, even on a fast machine
KILLED = ("--set", "DOWNLOAD_DELAY=0.5", *SLOW[2:])
WINDOW = (0.3, 5.0)

SEED = 20261129
TRIALS = 3


@pytest.fixture(scope="module")
def two_portals(tmp_path_factory):
    universe = build_universe(seed=41, n_portals=2, reports_per_portal=6)
    root = tmp_path_factory.mktemp("crash")
    with SimServer(universe, first_host=140) as srv:
        yield universe, srv, srv.write_registry(root / "portals.toml")


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_harvest_killed_at_a_random_moment_loses_and_doubles_nothing(two_portals, tmp_path, trial):
    universe, srv, reg = two_portals
    rng = random.Random(SEED + trial)
    r = crash_trial(rng, srv, universe.portals, reg, tmp_path / "data", kills=1 + trial % 2, slow=KILLED,
                    window=WINDOW)
    assert r["landed"] == len(r["moments"]), f"a harvest ended before its kill at {r['moments']} s"
    assert r["final_rc"] == 0, r["final_out"]
    assert r["lost"] == []
    assert r["duplicates"] == {"documents": [], "snapshots": [], "reports": []}
    assert (r["running"], r["locks"]) == ([], [])
    assert r["verify_rc"] == 0, r["verify_out"]
    assert trial_ok(r)


KILL_AFTER_FIRST_TABLE = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
import storage.database as d

created = []

@event.listens_for(Engine, "after_cursor_execute")
def die(conn, cursor, statement, *a):
    if statement.lstrip().upper().startswith("CREATE TABLE"):
        created.append(statement)
        if len(created) == 3:  # alembic's version table and two of the store's: killed half-way
            os.kill(os.getpid(), signal.SIGKILL)

d.open_database(d.sqlite_url(sys.argv[1]))
"""


def test_a_harvest_killed_while_creating_the_store_leaves_a_store_the_next_run_opens(tmp_path):
    import signal
    import subprocess
    import sys

    from sqlalchemy import inspect

    from storage.database import open_database, sqlite_url

    db_path = tmp_path / "harvester.db"
    res = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_TABLE, str(db_path)], capture_output=True, text=True)
    assert res.returncode == -signal.SIGKILL, res.stderr
    db = open_database(sqlite_url(db_path))  # used to fail: "table … already exists"
    assert {"crawl_runs", "documents", "snapshots", "alembic_version"} <= set(inspect(db.engine).get_table_names())
