"""Benchmark: crash trials. A harvest SIGKILLed at random (seeded) moments, again and again.

Target (issue 11): after every kill the next harvest completes with 0 reports lost, 0
duplicate rows (documents, snapshots, reports), no run left ``running`` nor lock held, and
``verify`` clean. The suite runs 3 such trials (tests/test_crash_trials.py); this runs more,
with one to three kills per trial (a kill can hit the recovery or the resume of the last one).

    .venv/bin/python bench/bench_crash.py [--trials 20] [--seed 2026] [--portals 2] [--reports 8]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harvester.sim import SimServer, build_universe  # noqa: E402
from tests.harvest_checks import crash_trial, trial_ok  # noqa: E402

SLOW = ("--set", "DOWNLOAD_DELAY=0.25", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--portals", type=int, default=2)
    ap.add_argument("--reports", type=int, default=8, help="reports per portal")
    ap.add_argument("--max-kills", type=int, default=3, help="kills per trial: 1 to this many")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    universe = build_universe(seed=args.seed, n_portals=args.portals, reports_per_portal=args.reports)
    totals = {"trials": 0, "kills_landed": 0, "lost": 0, "duplicate_rows": 0, "left_running": 0, "locks_held": 0,
              "final_failed": 0, "verify_failed": 0, "bad_trials": 0}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, SimServer(universe, first_host=160) as srv:
        reg = srv.write_registry(Path(tmp) / "portals.toml")
        for n in range(args.trials):
            kills = rng.randint(1, args.max_kills)
            r = crash_trial(rng, srv, universe.portals, reg, Path(tmp) / f"t{n}", kills=kills, slow=SLOW)
            dups = sum(len(v) for v in r["duplicates"].values())
            totals["trials"] += 1
            totals["kills_landed"] += r["landed"]
            totals["lost"] += len(r["lost"])
            totals["duplicate_rows"] += dups
            totals["left_running"] += len(r["running"])
            totals["locks_held"] += len(r["locks"])
            totals["final_failed"] += r["final_rc"] != 0
            totals["verify_failed"] += r["verify_rc"] != 0
            ok = trial_ok(r)
            totals["bad_trials"] += not ok
            print(f"trial {n:3d}: kills at {r['moments']} s ({r['landed']} landed), final harvest exit {r['final_rc']} "
                  f"in {r['final_s']} s, lost {len(r['lost'])}, duplicate rows {dups}, verify exit {r['verify_rc']}"
                  f"{'' if ok else '  <-- FAILED'}", flush=True)
            if not ok:
                print("   ", r["final_out"][-1500:].replace("\n", "\n    "), r["verify_out"][-1500:].replace("\n", "\n    "))
    print(f"summary: {totals}, {time.monotonic() - started:.0f} s "
          f"({len(universe.reports)} reports on {len(universe.portals)} portals per trial, seed {args.seed})")
    return 0 if totals["bad_trials"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
