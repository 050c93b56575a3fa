"""Benchmark: is fetching held back by CPU work? (issue 12, deliverable 2)

Side by side in one run, on the same simulated portals (one process serving every portal on its
own loopback address), with the same politeness (2 requests at once per host, no autothrottle,
robots.txt obeyed, the harvester's reactor):

1. **bare Scrapy**: a plain spider that only follows same-host links (bench_scale's);
2. **the crawl stage** of the harvester: ``crawl --all`` with the reading pipeline switched off,
   so each page is fetched, archived (WARC) and stored (its capture row), nothing more;
3. **the first harvest**: ``crawl --all`` as users run it (pages read in the read pool);
4. with ``--base DIR``: 2 and 3 again with another checkout of the harvester (e.g. the commit
   before a change, ``git archive <commit> | tar -x -C DIR``), run with the same interpreter.

Figures: pages/s = requests the portals answered ÷ wall time of the process (as bench_scale);
the crawl-stage ratio = crawl stage pages/s ÷ bare Scrapy pages/s (target ≥ 0.5); the reading
CPU = the CPU time ``read_page`` takes over every distinct body the first harvest read, measured
afterwards in this process, one body at a time; the harvest-wall ratio = first harvest wall ÷
max(bare Scrapy wall, reading CPU ÷ cores) (target ≤ 1.3). The CPU seconds of the harvest
process and of its read pool's workers are given beside: on a shared machine they say more
than the walls. The floor, (bare Scrapy's CPU + reading CPU) ÷ cores, is the least wall any
harvester crawling with Scrapy's CPU cost can reach on this machine: the ideal assumes the
crawl takes no core from the reading. Here the simulated portals answer on the same cores (threads
of this process; their threads' CPU is measured too), so the floor with their CPU added is the one that
holds for this benchmark. Rounds alternate the crawlers
(``--repeat``) and the best wall of each is kept, which damps the noise of a shared machine.
Appended to bench/RESULTS.md unless --no-record.

The default size is the issue's own comparison, 10 portals x 100 reports. At 10x20 a run is
a few seconds, so the process start-up (imports, the read pool's workers) weighs as much as the
crawl, and the harvester, which fetches fewer pages than a spider following every link (300
against 471 there), is charged for the pages it rightly skips.

    .venv/bin/python bench/bench_crawl_stage.py [--portals 10x100] [--repeat 2] [--base DIR]
        [--latency 0] [--no-record] [--set NAME=VALUE]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scale import FIRST_HOST, TreePeak, descendants, machine, peak_per_host, served  # noqa: E402

# the crawl stage: every pipeline but the reading one
CRAWL_STAGE = json.dumps({"pipelines.dedupe.KnownContentPipeline": 100, "pipelines.store.StorePipeline": 800})
POLITE = ("--set", "AUTOTHROTTLE_ENABLED=False")


def harvest(root: Path, data: Path, registry: Path, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "harvester.cli", "--data", str(data), "--portals", str(registry), "crawl", "--all",
           "--quiet", *POLITE, *extra]
    return measured_in(root, cmd)


def _cpu_seconds(pid: int | str) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return -1.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _portals_cpu() -> float:
    """CPU seconds of this process's simulated-portal threads (``sim-selector``, ``sim-worker…``),
    not of the sampling around them."""
    total = 0.0
    for t in threading.enumerate():
        if t.name.startswith("sim-") and t.native_id:
            seconds = _cpu_seconds(f"{os.getpid()}/task/{t.native_id}")
            total += max(seconds, 0.0)
    return total


def measured_in(root: Path, cmd: list[str]) -> dict:
    """Run ``cmd`` from the checkout ``root`` (its packages imported, not ours); wall time, peak
    RSS of the process tree, and CPU seconds of the harvest process and of its children (the
    read pool's workers), sampled from /proc every 0.1 s (a child's last 0.1 s may be missed), and
    the CPU seconds the simulated portals' threads in this process spent meanwhile."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    start, portals_before = time.monotonic(), _portals_cpu()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root, env=env)
    peak = TreePeak(os.getpid())  # this process's children: the harvest and its workers (the sim is threads)
    peak.start()
    cpu: dict[int, float] = {}
    out_err: dict = {}
    reader = threading.Thread(target=lambda: out_err.update(zip(("out", "err"), proc.communicate())), daemon=True)
    reader.start()
    while proc.poll() is None:
        for pid in [proc.pid, *descendants(proc.pid)]:
            seconds = _cpu_seconds(pid)
            if seconds >= 0:
                cpu[pid] = seconds
        time.sleep(0.1)
    reader.join()
    wall = time.monotonic() - start
    portals_cpu = _portals_cpu() - portals_before
    peak.stop()
    main_cpu = cpu.pop(proc.pid, 0.0)
    return {"rc": proc.returncode, "wall": wall, "stdout": out_err.get("out", ""), "stderr": out_err.get("err", ""),
            "tree_mb": peak.peak_kb / 1024, "cpu_main": main_cpu, "cpu_children": sum(cpu.values()),
            "cpu_portals": portals_cpu}


def reading_cpu(data: Path) -> tuple[float, int]:
    """CPU seconds read_page takes over every distinct body the harvest read (one at a time)."""
    from sqlalchemy import select

    from harvester.extraction import read_page
    from storage.database import open_database, sqlite_url
    from storage.models import Content, Document, Snapshot
    from storage.warc import read_record

    db = open_database(sqlite_url(data / "harvester.db"))
    total, n = 0.0, 0
    with db.session() as s:
        rows = s.execute(select(Content.sha256, Snapshot.warc_file, Snapshot.warc_offset, Document.url)
                         .join(Snapshot, Snapshot.sha256 == Content.sha256)
                         .join(Document, Document.id == Snapshot.document_id)
                         .where(Snapshot.record_type == "response")).all()
    seen = set()
    for sha, warc_file, offset, url in rows:
        if sha in seen:
            continue
        seen.add(sha)
        rec = read_record(data / "archive", warc_file, offset)
        ctype = next((v for k, v in rec.headers if k.lower() == "content-type"), None)
        start = time.process_time()
        read_page(rec.body, url, ctype)
        total += time.process_time() - start
        n += 1
    db.dispose()
    return total, n


def run(args) -> dict:
    from harvester.sim import SimServer
    from harvester.sim.packed import build_packed_universe

    n, _, r = args.portals.partition("x")
    universe = build_packed_universe(seed=43, n_portals=int(n), reports_per_portal=int(r or 20), lean=True)
    extra = [x for item in args.set for x in ("--set", item)]
    checkouts = [("", ROOT)] + ([("base ", Path(args.base).resolve())] if args.base else [])
    best: dict[str, dict] = {}

    def keep(label: str, row: dict) -> None:
        print(f"  {label:28} rc {row['rc']}, {row['pages']:5d} pages in {row['wall']:6.1f} s = "
              f"{row['pages'] / row['wall']:6.1f} pages/s, per-host peak {row['per_host_peak']}"
              + (f", peak RSS {row['tree_mb']:.0f} MB" if row.get("tree_mb") else "")
              + (f", CPU {row['cpu_main']:.1f} s harvest process + {row['cpu_children']:.1f} s workers"
                 f" + {row['cpu_portals']:.1f} s portals" if "cpu_main" in row else ""), flush=True)
        if row["rc"] == 0 and (label not in best or row["wall"] < best[label]["wall"]):
            best[label] = row

    with tempfile.TemporaryDirectory() as tmp, SimServer(universe, first_host=FIRST_HOST, latency=args.latency) as srv:
        tmp = Path(tmp)
        registry = srv.write_registry(tmp / "portals.toml")
        urls = tmp / "urls.txt"
        urls.write_text("\n".join(srv.base_url(p.id) for p in universe.portals))
        for round_ in range(args.repeat):
            print(f"round {round_ + 1}/{args.repeat}", flush=True)
            mark = served(srv, universe)
            res = measured_in(ROOT, [sys.executable, str(ROOT / "bench" / "bench_scale.py"), "--bare-spider", str(urls)])
            keep("bare Scrapy", {"rc": res["rc"], "wall": res["wall"], "pages": served(srv, universe) - mark,
                                 "per_host_peak": peak_per_host(srv, universe), "tree_mb": res["tree_mb"],
                                 "cpu_main": res["cpu_main"], "cpu_children": res["cpu_children"],
                                 "cpu_portals": res["cpu_portals"]})
            for prefix, root in checkouts:
                for label, more in (("crawl stage", ["--set", f"ITEM_PIPELINES={CRAWL_STAGE}"]), ("first harvest", [])):
                    data = tmp / f"{prefix.strip() or 'head'}-{label.replace(' ', '-')}-{round_}"
                    mark = served(srv, universe)
                    res = harvest(root, data, registry, [*more, *extra])
                    if res["rc"]:
                        print(res["stdout"][-2000:], res["stderr"][-3000:])
                    row = {"rc": res["rc"], "wall": res["wall"], "pages": served(srv, universe) - mark,
                           "per_host_peak": peak_per_host(srv, universe), "tree_mb": res["tree_mb"], "data": data,
                           "cpu_main": res["cpu_main"], "cpu_children": res["cpu_children"],
                           "cpu_portals": res["cpu_portals"]}
                    keep(prefix + label, row)
        cpu, bodies = reading_cpu(best["first harvest"]["data"])
    cores = os.cpu_count() or 1
    out = {"portals": int(n), "reports": sum(len(p.reports) for p in universe.portals), "cpu": cpu, "bodies": bodies,
           "cores": cores, "rows": best}
    bare = best["bare Scrapy"]
    ideal = max(bare["wall"], cpu / cores)
    for prefix, _ in checkouts:
        stage, first = best.get(prefix + "crawl stage"), best.get(prefix + "first harvest")
        if stage:
            out[prefix + "stage ratio"] = (stage["pages"] / stage["wall"]) / (bare["pages"] / bare["wall"])
        if first:
            out[prefix + "harvest ratio"] = first["wall"] / ideal
    out["ideal"] = ideal
    # The machine's floor: the crawl and the reading share its cores, so no harvester whose crawl
    # costs the CPU bare Scrapy's does can finish in less than (that CPU + the reading CPU) ÷ cores.
    out["floor"] = (bare["cpu_main"] + cpu) / cores
    # Here the simulated portals answer on the same cores: what they spent serving the first
    # harvest is CPU no harvester can have either (a real portal answers on its own machine).
    out["portals_cpu"] = best["first harvest"]["cpu_portals"]
    out["floor_here"] = (bare["cpu_main"] + cpu + out["portals_cpu"]) / cores
    return out


def record(args, header: str, res: dict) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    lines = [f"\n## bench_crawl_stage — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}\n",
             f"- machine: {header}",
             f"- command: `{' '.join(['.venv/bin/python', 'bench/bench_crawl_stage.py', *sys.argv[1:]])}`",
             f"- {res['portals']} simulated portals, {res['reports']} reports, {args.latency} s latency; 2 requests at "
             f"once per host, no autothrottle; best of {args.repeat} alternating rounds",
             "", "| crawler | pages | wall | pages/s | per-host peak | peak RSS | CPU: harvest process + workers | CPU: portals |",
             "|---|---|---|---|---|---|---|---|"]
    for label, row in res["rows"].items():
        rss = f"{row['tree_mb']:.0f} MB" if row.get("tree_mb") else "–"
        cpu = f"{row['cpu_main']:.1f} s + {row['cpu_children']:.1f} s" if "cpu_main" in row else "–"
        lines.append(f"| {label} | {row['pages']} | {row['wall']:.1f} s | {row['pages'] / row['wall']:.1f} | "
                     f"{row['per_host_peak']} | {rss} | {cpu} | {row['cpu_portals']:.1f} s |")
    lines += ["", f"Reading CPU (read_page over the {res['bodies']} distinct bodies read, one at a time): "
              f"{res['cpu']:.1f} s; ÷ {res['cores']} cores = {res['cpu'] / res['cores']:.1f} s; "
              f"ideal first-harvest wall = max(bare Scrapy wall, that) = {res['ideal']:.1f} s",
              "", f"Floor on this machine, for a harvester whose crawl costs the CPU bare Scrapy's does (the crawl "
              f"and the reading share the {res['cores']} cores): (bare Scrapy CPU {res['rows']['bare Scrapy']['cpu_main']:.1f} s "
              f"+ reading CPU {res['cpu']:.1f} s) ÷ {res['cores']} = {res['floor']:.1f} s = "
              f"{res['floor'] / res['ideal']:.2f}× the ideal; with the simulated portals' CPU while they served the "
              f"first harvest ({res['portals_cpu']:.1f} s, the same cores here): {res['floor_here']:.1f} s = "
              f"{res['floor_here'] / res['ideal']:.2f}× the ideal", ""]
    for prefix in ("", "base "):
        if prefix + "stage ratio" in res:
            who = "this checkout" if not prefix else f"base checkout ({args.base})"
            lines.append(f"- {who}: crawl stage / bare Scrapy = **{res[prefix + 'stage ratio']:.2f}×** (target ≥ 0.5); "
                         f"first harvest wall / ideal = **{res.get(prefix + 'harvest ratio', float('nan')):.2f}×** "
                         "(target ≤ 1.3)")
    text = "\n".join(lines) + "\n"
    if not args.no_record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as f:
            f.write(text)
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--portals", default="10x100", help="portals x reports (default 10x100, the issue's comparison)")
    ap.add_argument("--repeat", type=int, default=2, help="alternating rounds; the best wall of each crawler is kept")
    ap.add_argument("--base", help="another checkout of the harvester to measure beside this one")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds the simulated portals take to answer")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting for the harvester")
    args = ap.parse_args()
    header = machine()
    print(header, flush=True)
    res = run(args)
    print(record(args, header, res))
    return 0 if all(r["rc"] == 0 for r in res["rows"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
