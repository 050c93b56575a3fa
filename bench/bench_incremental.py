"""Benchmark: what a nightly harvest of unchanged portals costs next to the first harvest.

Target (issue 4): with 1000+ reports, the nightly (incremental) pass makes at most 2% of the
first harvest's requests and transfers at most 2% of its bytes. Also shows the weekly full
verification pass, which re-fetches every known report conditionally (304s).

    .venv/bin/python bench/bench_incremental.py [--portals 10] [--reports 110]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harvester.sim import SimServer, build_universe


def harvester(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], capture_output=True, text=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--portals", type=int, default=11)
    ap.add_argument("--reports", type=int, default=110, help="reports per portal")
    args = ap.parse_args()
    t = time.monotonic()
    universe = build_universe(seed=31, n_portals=args.portals, reports_per_portal=args.reports)
    print(f"universe: {len(universe.reports)} reports on {len(universe.portals)} portals, built in {time.monotonic() - t:.1f} s")
    with tempfile.TemporaryDirectory() as tmp, SimServer(universe, first_host=120) as srv:
        data = Path(tmp)
        reg = srv.write_registry(data / "portals.toml")
        totals = {}
        for label, extra in (("first", ()), ("nightly", ()), ("full", ("--full",))):
            t = time.monotonic()
            res = harvester("--data", data, "--portals", reg, "crawl", "--all", "--quiet", *extra)
            elapsed = time.monotonic() - t
            if res.returncode != 0:
                print(res.stdout, res.stderr[-3000:])
                return 1
            runs = json.loads(harvester("--data", data, "runs", "--json", "--limit", str(len(universe.portals))).stdout)
            totals[label] = {
                "requests": sum(r["requests"] for r in runs),
                "bytes": sum(r["bytes"] for r in runs),
                "new": sum(r["new_reports"] for r in runs),
                "unchanged": sum(r["unchanged_reports"] for r in runs),
                "not_modified": sum(r["not_modified"] for r in runs),
                "seconds": elapsed,
                "mode": sorted({r["mode"] for r in runs}),
            }
    first = totals["first"]
    print(f"{'pass':8} {'mode':12} {'requests':>9} {'bytes':>11} {'req %':>7} {'bytes %':>8} {'new':>5} {'304s':>5} {'time s':>7}")
    for label, t in totals.items():
        print(f"{label:8} {','.join(t['mode']):12} {t['requests']:9d} {t['bytes']:11d} "
              f"{100 * t['requests'] / first['requests']:6.2f}% {100 * t['bytes'] / first['bytes']:7.3f}% "
              f"{t['new']:5d} {t['not_modified']:5d} {t['seconds']:7.1f}")
    n = totals["nightly"]
    ok = n["requests"] <= 0.02 * first["requests"] and n["bytes"] <= 0.02 * first["bytes"]
    print("target (nightly <= 2% of first, requests and bytes):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
