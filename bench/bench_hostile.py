"""Benchmark: peak memory and time of one harvest of hostile portals beside a normal one (issue 11).

Every fault of ``harvester.sim.faults`` (or those named) is served at once, with a real-sized gzip
bomb and oversized page, and crawled by the CLI in a child process; the child's peak RSS
(getrusage of the children) and each portal's status are printed. Compare the limits with
``--set DOWNLOAD_MAXSIZE=1073741824`` (Scrapy's 1 GiB default, the limit before issue 11).

    .venv/bin/python bench/bench_hostile.py [--faults gzip-bomb,oversized-page] [--bomb-mib 900]
        [--oversize-mib 200] [--set NAME=VALUE …]

Target: peak RSS bounded by DOWNLOAD_MAXSIZE (a few times 64 MiB plus the process), whatever the
bomb and page sizes.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harvester.sim import SimServer
from harvester.sim.faults import Sizes, fault_universe, gzip_bomb, parse_fault_names


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faults", default="all", help="comma-separated fault names, or all")
    ap.add_argument("--bomb-mib", type=int, default=900)
    ap.add_argument("--oversize-mib", type=int, default=200)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    names = parse_fault_names(args.faults)
    sizes = Sizes(bomb_mib=args.bomb_mib, oversize_mib=args.oversize_mib, stall_s=60)
    if "gzip-bomb" in names:
        t = time.monotonic()
        print(f"gzip bomb: {len(gzip_bomb(args.bomb_mib))} bytes inflating to {args.bomb_mib} MiB "
              f"(built in {time.monotonic() - t:.1f} s)")
    universe, _ = fault_universe(names, sizes=sizes)
    with tempfile.TemporaryDirectory() as tmp, SimServer(universe, first_host=100) as srv:
        data = Path(tmp)
        reg = srv.write_registry(data / "portals.toml")
        cmd = [sys.executable, "-m", "harvester.cli", "--data", str(data), "--portals", str(reg), "crawl", "--all", "--quiet",
               "--set", "DOWNLOAD_TIMEOUT=10", "--set", "RETRY_TIMES=1"]
        for s in args.set:
            cmd += ["--set", s]
        t = time.monotonic()
        res = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.monotonic() - t
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(res.stdout.strip())
        if "Traceback" in res.stderr:
            print(res.stderr[-4000:], file=sys.stderr)
        ver = subprocess.run([sys.executable, "-m", "harvester.cli", "--data", str(data), "verify"], capture_output=True, text=True)
    print(f"{len(universe.portals)} portals ({len(names)} hostile), settings {args.set or 'default'}: "
          f"{elapsed:.1f} s, peak RSS of the crawl {peak_mib:.0f} MiB, exit {res.returncode}, "
          f"verify exit {ver.returncode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
