"""Benchmark: cluster throughput with 1, 2 and 3 `harvester worker` processes (issue 12, item 4).

The same simulated portals (one process serving each portal on its own loopback address,
served anew for each round so each starts cold) are harvested by a cluster of N workers on
this machine: a fresh PostgreSQL schema and Redis queue per round, `harvester enqueue --all`,
then N `harvester worker --until-empty --parallel P` started together; wall = from the
workers' start until the last one has exited (the queue is empty). Pages/s = pages the
harvest stored (the runs' counts) ÷ wall; requests/s likewise with the requests the portals
answered. Each host's record of the most requests it answered at once is printed, so a
politeness violation across the cluster shows up. Results are appended to bench/RESULTS.md.

Needs PostgreSQL (HARVESTER_TEST_PG, default the tests' database) and Redis (127.0.0.1:6379).
On one machine the workers share its cores: beyond the cores, more workers cannot add
throughput, only politeness-bound waiting can be overlapped.

    .venv/bin/python bench/bench_cluster.py [--workers 1,2,3] [--portals 12] [--reports 5]
        [--parallel 2] [--latency 0] [--no-record] [--set NAME=VALUE]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scale import TreePeak, machine  # noqa: E402

FIRST_HOST = 2400  # 127.0.9.x onwards: away from the tests, the demo and bench_scale
PG_BASE = os.environ.get("HARVESTER_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("HARVESTER_BENCH_REDIS", "redis://127.0.0.1:6379/15")


def round_of(n_workers: int, args, universe, tmp: Path) -> dict:
    import redis
    from sqlalchemy import create_engine, func, select, text

    from harvester.sim import SimServer
    from storage.database import open_database
    from storage.models import CrawlRun, Document

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_BASE)
    with admin.begin() as c:
        c.execute(text(f'create schema "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    env = {**os.environ, "HARVESTER_DB": url, "HARVESTER_REDIS_URL": REDIS, "HARVESTER_QUEUE": queue}
    root = tmp / f"w{n_workers}"
    extra = [x for item in args.set for x in ("--set", item)]
    try:
        with SimServer(universe, first_host=FIRST_HOST, latency=args.latency) as srv:
            registry = srv.write_registry(root / "portals.toml")
            fed = subprocess.run([sys.executable, "-m", "harvester.cli", "--portals", str(registry), "enqueue", "--all",
                                  *extra], env=env, cwd=ROOT, capture_output=True, text=True)
            if fed.returncode != 0:
                raise SystemExit(f"enqueue failed: {fed.stderr}")
            start = time.monotonic()
            procs, peaks = [], []
            for i in range(n_workers):
                p = subprocess.Popen([sys.executable, "-m", "harvester.cli", "--data", str(root / f"data{i}"),
                                      "--archive", str(root / "archive"), "--portals", str(registry), "worker",
                                      "--name", f"w{i}", "--parallel", str(args.parallel), "--until-empty"],
                                     env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                procs.append(p)
                peak = TreePeak(p.pid)
                peak.start()
                peaks.append(peak)
            outs = [p.communicate()[0] for p in procs]
            wall = time.monotonic() - start
            for peak in peaks:
                peak.stop()
            if any(p.returncode != 0 for p in procs):
                raise SystemExit("a worker failed:\n" + "\n".join(o[-2000:] for o in outs))
            per_worker = [sum(1 for ln in o.splitlines() if ": done (exit" in ln) for o in outs]
            per_host_peak = max(srv.concurrency(p.id).requests for p in universe.portals)
            answered = sum(len(srv.requests(p.id)) for p in universe.portals)
        db = open_database(url, migrate=False)
        with db.session() as s:
            runs = s.scalars(select(CrawlRun)).all()
            pages = sum(r.pages for r in runs)
            ok = sum(1 for r in runs if r.status == "ok")
            reports = s.scalar(select(func.count()).select_from(Document).where(Document.is_report.is_(True)))
        db.dispose()
        return {"workers": n_workers, "wall": wall, "pages": pages, "requests": answered, "runs": len(runs), "ok": ok,
                "reports": reports, "per_worker": per_worker, "per_host_peak": per_host_peak,
                "rss_mb": sum(p.peak_kb for p in peaks) / 1024}
    finally:
        with admin.begin() as c:
            c.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()
        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=f"{queue}:*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


def main() -> int:
    import tempfile

    from harvester.sim.packed import build_packed_universe

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", default="1,2,3", help="cluster sizes to compare (default 1,2,3)")
    ap.add_argument("--portals", type=int, default=12)
    ap.add_argument("--reports", type=int, default=5, help="reports per portal")
    ap.add_argument("--parallel", type=int, default=2, help="portals harvested at once by each worker")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds the simulated portals take to answer")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting for the harvests")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = ap.parse_args()
    header = machine()
    universe = build_packed_universe(seed=47, n_portals=args.portals, reports_per_portal=args.reports, lean=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        for n in (int(x) for x in args.workers.split(",")):
            r = round_of(n, args, universe, Path(tmp))
            rows.append(r)
            print(f"{n} worker(s): {r['wall']:.1f} s, {r['pages']} pages ({r['pages'] / r['wall']:.1f}/s), "
                  f"{r['requests']} requests, {r['ok']}/{r['runs']} runs ok, portals per worker {r['per_worker']}, "
                  f"per-host peak {r['per_host_peak']}", flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    base = rows[0]["pages"] / rows[0]["wall"]
    lines = [f"\n## bench_cluster — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}\n",
             f"- machine: {header}",
             f"- command: `{' '.join(['.venv/bin/python', 'bench/bench_cluster.py', *sys.argv[1:]])}`",
             f"- {args.portals} simulated portals × {args.reports} reports, {args.latency} s latency; each worker "
             f"harvests {args.parallel} portals at once; PostgreSQL store, Redis queue, one archive directory; "
             "all workers on this machine\n",
             "| workers | wall | pages | pages/s | vs 1 worker | requests/s | runs ok | portals done per worker | "
             "per-host peak | peak RSS (all workers) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rate = r["pages"] / r["wall"]
        lines.append(f"| {r['workers']} | {r['wall']:.1f} s | {r['pages']} | {rate:.1f} | {rate / base:.2f}× | "
                     f"{r['requests'] / r['wall']:.1f} | {r['ok']}/{r['runs']} | {', '.join(map(str, r['per_worker']))} | "
                     f"{r['per_host_peak']} | {r['rss_mb']:.0f} MB |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
