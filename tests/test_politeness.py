"""Politeness over many hosts: a harvest of a dozen portals, each on its own loopback address,
never has more requests in flight at one host than its configured per-host concurrency.

The simulated portals answer with a delay, so requests to one host overlap whenever the
crawler allows it; each host records the most requests it was answering at once. (That
more hosts give more throughput is measured by bench/bench_scale.py, not here.)
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harvester.sim import SimServer, build_universe


def harvester(*args, timeout=240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("per_host", [2, 1])
def test_no_host_sees_more_than_its_concurrency(tmp_path, per_host):
    universe = build_universe(seed=12, n_portals=12, reports_per_portal=3)
    with SimServer(universe, first_host=140, latency=0.05) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        res = harvester("--data", tmp_path / "data", "--portals", registry, "crawl", "--all", "--quiet",
                        # no adaptive delay: only the per-host limit keeps requests apart
                        "--set", "AUTOTHROTTLE_ENABLED=False", "--set", f"CONCURRENT_REQUESTS_PER_DOMAIN={per_host}")
        assert res.returncode == 0, res.stderr[-3000:]
        loads = {p.id: srv.concurrency(p.id) for p in universe.portals}
        served = {p.id: len(srv.requests(p.id)) for p in universe.portals}
    runs = json.loads(harvester("--data", tmp_path / "data", "runs", "--json").stdout)
    assert len(runs) == 12 and all(r["status"] == "ok" for r in runs)
    # a report also published on another portal counts as unchanged the second time
    assert sum(r["new_reports"] + r["unchanged_reports"] + r["changed_reports"] for r in runs) == 36
    assert all(n >= 5 for n in served.values()), served  # every host was really crawled
    too_busy = {pid: load.requests for pid, load in loads.items() if load.requests > per_host}
    assert not too_busy, f"hosts answering more than {per_host} requests at once: {too_busy}"
    # the limit was reached, so a crawler exceeding it would have been seen
    assert max(load.requests for load in loads.values()) == per_host


def test_portals_sharing_a_host_share_its_limit(tmp_path):
    """Agencies registered as separate portals on one county site: harvested side by side in
    one process, their requests to the shared host together stay within its limit (Scrapy
    alone limits each portal's crawler apart: 3 portals would be 6 at once)."""
    universe = build_universe(seed=13, n_portals=9, reports_per_portal=3)
    with SimServer(universe, first_host=170, latency=0.05, portals_per_host=3) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        res = harvester("--data", tmp_path / "data", "--portals", registry, "crawl", "--all", "--quiet",
                        "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        assert res.returncode == 0, res.stderr[-3000:]
        addresses = {srv.address(p.id)[0] for p in universe.portals}
        per_address = {srv.address(p.id)[0]: srv.host_concurrency(p.id) for p in universe.portals}
        served = {p.id: len(srv.requests(p.id)) for p in universe.portals}
    runs = json.loads(harvester("--data", tmp_path / "data", "runs", "--json").stdout)
    assert len(addresses) == 3
    assert len(runs) == 9 and all(r["status"] == "ok" for r in runs)
    assert all(n >= 5 for n in served.values()), served
    too_busy = {a: n for a, n in per_address.items() if n > 2}
    assert not too_busy, f"hosts answering more than 2 requests at once for their portals together: {too_busy}"
    assert max(per_address.values()) == 2
