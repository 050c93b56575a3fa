"""Benchmark: how the harvester scales with the number of portals (issue 12).

Three measurements on the simulated portals (one process serving every portal, each on its
own loopback address 127.0.x.y):

1. memory vs portals: peak RSS of `harvester crawl --all` (all its processes together,
   sampled from /proc every 0.1 s; /usr/bin/time -v's figure of the main process beside it)
   and wall time of the first harvest and of the unchanged nightly pass that follows, at
   1, 50, 200 portals (and 2,000 × 10 reports with --with-2000), the harvest holding at most
   HARVESTER_PORTALS_IN_FLIGHT portals at once; with --all-at-once-too, beside each size up
   to 200, the same first harvest with every portal in flight at once (the harvester before
   issue 12: one crawler per portal for the whole harvest), on a fresh store;
2. the crawl rate next to bare Scrapy: a plain Scrapy spider that only follows same-host
   links, on the same portals, with the same politeness (2 requests at once per host, no
   autothrottle, robots.txt obeyed, the harvester's reactor), then the harvester's first
   harvest under the same settings; pages/s of each (requests the portals answered ÷ wall
   time of the process) and their ratio;
3. the memory of the simulated portals themselves (this process, pages kept compressed).

Each host's record of the most requests it answered at once is printed beside, so a
politeness violation shows up. Results are appended to bench/RESULTS.md.

    .venv/bin/python bench/bench_scale.py [--sizes 1,50,200] [--reports 5] [--with-2000]
        [--all-at-once-too] [--ratio 10x20] [--latency 0] [--skip-memory] [--skip-ratio] [--no-record]
        [--set NAME=VALUE]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_HOST = 300  # 127.0.1.46 onwards: away from the tests' and the demo's 127.0.0.x


# -- /proc ------------------------------------------------------------------------------------
def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


class TreePeak(threading.Thread):
    """Peak of the summed RSS of every process below ``root`` (not ``root`` itself)."""

    def __init__(self, root: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.root, self.every, self.peak_kb, self.most_procs = root, every, 0, 0
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            pids = descendants(self.root)
            self.peak_kb = max(self.peak_kb, sum(rss_kb(p) for p in pids))
            self.most_procs = max(self.most_procs, len(pids))
            self._done.wait(self.every)

    def stop(self):
        self._done.set()
        self.join()


def machine() -> str:
    mem = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal:"))
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.machine())
    load = open("/proc/loadavg").read().split()[:3]
    return (f"{os.cpu_count()} cores ({model}), {int(mem) / 1024 / 1024:.1f} GiB RAM, "
            f"load average {' '.join(load)} at start, Python {platform.python_version()}")


# -- running the harvester ---------------------------------------------------------------------
def harvester_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "harvester.cli", *map(str, args)]


def measured(cmd: list[str]) -> dict:
    """Run under /usr/bin/time -v (when installed) while sampling the process tree's RSS."""
    timer = ["/usr/bin/time", "-v"] if os.path.exists("/usr/bin/time") else []
    start = time.monotonic()
    proc = subprocess.Popen(timer + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak = TreePeak(proc.pid) if timer else None
    if peak:
        peak.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    if peak:
        peak.stop()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    return {"rc": proc.returncode, "wall": wall, "stdout": out, "stderr": err,
            "tree_mb": (peak.peak_kb / 1024) if peak else None, "procs": peak.most_procs if peak else None,
            "time_mb": int(m.group(1)) / 1024 if m else None}


def runs_of(data: Path, n: int) -> list[dict]:
    res = subprocess.run(harvester_cmd("--data", data, "runs", "--json", "--limit", n), capture_output=True,
                         text=True, cwd=ROOT)
    return json.loads(res.stdout)


def peak_per_host(srv, universe) -> int:
    return max(srv.concurrency(p.id).requests for p in universe.portals)


def served(srv, universe) -> int:
    return sum(len(srv.requests(p.id)) for p in universe.portals)


def self_rss_mb() -> float:
    return rss_kb(os.getpid()) / 1024


# -- 1. memory vs portals ----------------------------------------------------------------------
ALL_AT_ONCE_UP_TO = 200  # portals: beyond, all at once needs GBs (4.5 MB a portal)


def memory_series(sizes: list[tuple[int, int]], latency: float, extra: list[str], all_at_once: bool = False) -> list[dict]:
    from harvester.sim import SimServer
    from harvester.sim.packed import build_packed_universe

    rows = []
    for n, reports in sizes:
        before = self_rss_mb()
        t = time.monotonic()
        universe = build_packed_universe(seed=41, n_portals=n, reports_per_portal=reports, lean=True)
        built = time.monotonic() - t
        row = {"portals": n, "reports": sum(len(p.reports) for p in universe.portals), "build_s": built}
        with tempfile.TemporaryDirectory() as tmp, SimServer(universe, first_host=FIRST_HOST, latency=latency) as srv:
            row["sim_mb"] = self_rss_mb() - before
            data = Path(tmp)
            reg = srv.write_registry(data / "portals.toml")
            for label in ("first", "nightly"):
                asked = served(srv, universe)
                r = measured(harvester_cmd("--data", data, "--portals", reg, "crawl", "--all", "--quiet", *extra))
                if r["rc"] != 0:
                    print(r["stdout"][-2000:], r["stderr"][-3000:])
                runs = runs_of(data, n)
                row[label] = {
                    "rc": r["rc"], "wall": r["wall"], "tree_mb": r["tree_mb"], "time_mb": r["time_mb"],
                    "procs": r["procs"], "requests": served(srv, universe) - asked,
                    "ok": sum(x["status"] == "ok" for x in runs), "new": sum(x["new_reports"] for x in runs),
                    "modes": sorted({x["mode"] for x in runs}),
                }
                print(f"{n:5d} portals × {reports}: {label:7} rc {r['rc']}, {r['wall']:6.1f} s, "
                      f"peak RSS {r['tree_mb']:.0f} MB (all processes; main {r['time_mb']:.0f} MB), "
                      f"{row[label]['requests']} requests, runs ok {row[label]['ok']}/{len(runs)}", flush=True)
            if all_at_once and n <= ALL_AT_ONCE_UP_TO:
                asked = served(srv, universe)
                r = measured(harvester_cmd("--data", data / "all", "--portals", reg, "crawl", "--all", "--quiet", *extra,
                                           "--set", f"HARVESTER_PORTALS_IN_FLIGHT={n}"))
                runs = runs_of(data / "all", n)
                row["all_at_once"] = {"rc": r["rc"], "wall": r["wall"], "tree_mb": r["tree_mb"], "time_mb": r["time_mb"],
                                      "requests": served(srv, universe) - asked,
                                      "ok": sum(x["status"] == "ok" for x in runs)}
                print(f"{n:5d} portals × {reports}: all {n} portals at once: rc {r['rc']}, {r['wall']:6.1f} s, "
                      f"peak RSS {r['tree_mb']:.0f} MB, runs ok {row['all_at_once']['ok']}/{len(runs)}", flush=True)
            row["per_host_peak"] = peak_per_host(srv, universe)
        rows.append(row)
        del universe
    return rows


# -- 2. bare Scrapy vs the harvester -------------------------------------------------------------
def bare_spider(urls_file: str, reactor: str | None = None) -> int:
    """Child process: a plain Scrapy spider following same-host links from each homepage."""
    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    from harvester import settings as hs

    urls = Path(urls_file).read_text().split()
    links = LinkExtractor()
    times = {}

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = urls

        def parse(self, response):
            if not hasattr(response, "text"):
                return
            host = response.url.split("/")[2]
            for link in links.extract_links(response):
                if link.url.split("/")[2] == host:
                    yield scrapy.Request(link.url)

    process = CrawlerProcess({
        "USER_AGENT": hs.USER_AGENT, "ROBOTSTXT_OBEY": True, "TWISTED_REACTOR": reactor or getattr(hs, "TWISTED_REACTOR", None),
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "CONCURRENT_REQUESTS": 2 * len(urls), "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": True,
    })
    crawler = process.create_crawler(Bare)

    def opened(spider):
        times["open"] = time.monotonic()

    def closed(spider, reason):
        times["close"] = time.monotonic()

    crawler.signals.connect(opened, signals.spider_opened)  # held here: the dispatcher keeps weak references
    crawler.signals.connect(closed, signals.spider_closed)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({"responses": stats.get("response_received_count", 0),
                      "crawl_s": times.get("close", 0) - times.get("open", 0)}))
    return 0


def ratio(n: int, reports: int, latency: float, extra: list[str]) -> dict:
    from harvester.sim import SimServer
    from harvester.sim.packed import build_packed_universe

    universe = build_packed_universe(seed=43, n_portals=n, reports_per_portal=reports, lean=True)
    out = {"portals": n, "reports": sum(len(p.reports) for p in universe.portals)}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        with SimServer(universe, first_host=FIRST_HOST, latency=latency) as srv:
            urls = data / "urls.txt"
            urls.write_text("\n".join(srv.base_url(p.id) for p in universe.portals))
            reactor = [x for x in extra if x.startswith("TWISTED_REACTOR=")]
            r = measured([sys.executable, str(Path(__file__).resolve()), "--bare-spider", str(urls),
                          *(["--set", reactor[-1]] if reactor else [])])
            inner = json.loads(r["stdout"].strip().splitlines()[-1]) if r["rc"] == 0 else {}
            out["bare"] = {"rc": r["rc"], "wall": r["wall"], "pages": served(srv, universe),
                           "crawl_s": inner.get("crawl_s"), "tree_mb": r["tree_mb"],
                           "per_host_peak": peak_per_host(srv, universe)}
            if r["rc"]:
                print(r["stderr"][-3000:])
        with SimServer(universe, first_host=FIRST_HOST, latency=latency) as srv:
            reg = srv.write_registry(data / "portals.toml")
            r = measured(harvester_cmd("--data", data / "h", "--portals", reg, "crawl", "--all", "--quiet",
                                       "--set", "AUTOTHROTTLE_ENABLED=False", *extra))
            if r["rc"]:
                print(r["stdout"][-2000:], r["stderr"][-3000:])
            runs = runs_of(data / "h", n)
            out["harvester"] = {"rc": r["rc"], "wall": r["wall"], "pages": served(srv, universe),
                                "tree_mb": r["tree_mb"], "per_host_peak": peak_per_host(srv, universe),
                                "new": sum(x["new_reports"] for x in runs), "ok": sum(x["status"] == "ok" for x in runs),
                                # a report also published on another portal is "unchanged" the second time
                                "seen": sum(x["unchanged_reports"] + x["changed_reports"] for x in runs)}
    b, h = out["bare"], out["harvester"]
    b["rate"], h["rate"] = b["pages"] / b["wall"], h["pages"] / h["wall"]
    out["ratio"] = h["rate"] / b["rate"]
    for label, x in (("bare Scrapy", b), ("harvester", h)):
        print(f"{label:12} {x['pages']:6d} pages in {x['wall']:6.1f} s = {x['rate']:6.1f} pages/s, "
              f"peak RSS {x['tree_mb']:.0f} MB, most requests at once at one host {x['per_host_peak']}", flush=True)
    print(f"ratio harvester / bare Scrapy: {out['ratio']:.2f}×", flush=True)
    return out


def in_flight_of(args) -> str:
    from harvester import settings as hs

    given = [x.split("=", 1)[1] for x in args.set if x.startswith("HARVESTER_PORTALS_IN_FLIGHT=")]
    return given[-1] if given else str(hs.HARVESTER_PORTALS_IN_FLIGHT)


def reactor_of(args) -> str:
    from harvester import settings as hs

    given = [x.split("=", 1)[1] for x in args.set if x.startswith("TWISTED_REACTOR=")]
    return (given[-1] if given else getattr(hs, "TWISTED_REACTOR", None) or "Scrapy's default (asyncio)").rsplit(".", 1)[-1]


# -- recording ---------------------------------------------------------------------------------
def record(args, header: str, mem_rows: list[dict], rat: dict | None) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    lines = [f"\n## bench_scale — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}\n",
             f"- machine: {header}",
             f"- command: `{' '.join(['.venv/bin/python', 'bench/bench_scale.py', *sys.argv[1:]])}`",
             f"- reactor: {reactor_of(args)}",
             f"- portals in flight at once (HARVESTER_PORTALS_IN_FLIGHT): {in_flight_of(args)}",
             f"- simulated portals answer with {args.latency} s latency; peak RSS = summed RSS of every process of "
             f"`crawl --all` sampled every 0.1 s (\"main\" = /usr/bin/time -v, the main process alone)\n"]
    if mem_rows:
        lines += ["| portals × reports | first harvest | pages/s | peak RSS all (main) | nightly pass | nightly peak RSS | "
                  "requests first / nightly | runs ok | per-host peak | sim RSS |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in mem_rows:
            f, n = r["first"], r["nightly"]
            lines.append(f"| {r['portals']} × {r['reports'] // r['portals']} ({r['reports']}) | {f['wall']:.1f} s | "
                         f"{f['requests'] / f['wall']:.1f} | {f['tree_mb']:.0f} MB ({f['time_mb']:.0f}) | {n['wall']:.1f} s ({'/'.join(n['modes'])}) | "
                         f"{n['tree_mb']:.0f} MB | {f['requests']} / {n['requests']} | {f['ok']}/{r['portals']}, "
                         f"{n['ok']}/{r['portals']} | {r['per_host_peak']} | {r['sim_mb']:.0f} MB |")
        both = [r for r in mem_rows if "all_at_once" in r]
        if both:
            lines += ["", "The same first harvest with every portal in flight at once (as before issue 12), "
                      "on a fresh store, in the same run:", "",
                      "| portals × reports | in flight at once | first harvest | peak RSS all (main) | runs ok |",
                      "|---|---|---|---|---|"]
            for r in both:
                f, a = r["first"], r["all_at_once"]
                lines += [f"| {r['portals']} × {r['reports'] // r['portals']} | {in_flight_of(args)} | {f['wall']:.1f} s | "
                          f"{f['tree_mb']:.0f} MB ({f['time_mb']:.0f}) | {f['ok']}/{r['portals']} |",
                          f"| {r['portals']} × {r['reports'] // r['portals']} | all {r['portals']} | {a['wall']:.1f} s | "
                          f"{a['tree_mb']:.0f} MB ({a['time_mb']:.0f}) | {a['ok']}/{r['portals']} |"]
    if rat:
        b, h = rat["bare"], rat["harvester"]
        lines += ["", f"Crawl rate, {rat['portals']} portals × {rat['reports'] // rat['portals']} reports, 2 requests "
                  "at once per host, no autothrottle:", "",
                  "| crawler | pages | wall | pages/s | peak RSS | per-host peak |", "|---|---|---|---|---|---|",
                  f"| bare Scrapy (follows same-host links; crawl alone {b['crawl_s'] or 0:.1f} s) | {b['pages']} | "
                  f"{b['wall']:.1f} s | {b['rate']:.1f} | {b['tree_mb']:.0f} MB | {b['per_host_peak']} |",
                  f"| harvester `crawl --all` ({h['new']} new + {h['seen']} already seen reports, "
                  f"{h['ok']}/{rat['portals']} runs ok) | "
                  f"{h['pages']} | {h['wall']:.1f} s | {h['rate']:.1f} | {h['tree_mb']:.0f} MB | {h['per_host_peak']} |",
                  "", f"Ratio harvester / bare Scrapy: **{rat['ratio']:.2f}×**"]
    text = "\n".join(lines) + "\n"
    if not args.no_record:
        path = ROOT / "bench" / "RESULTS.md"
        if not path.exists():
            path.write_text("# Benchmark results\n\nAppended by the benchmarks in bench/ (newest last).\n")
        with path.open("a") as f:
            f.write(text)
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,50,200", help="portal counts, each N or NxREPORTS (default 1,50,200)")
    ap.add_argument("--reports", type=int, default=5, help="reports per portal where a size does not say")
    ap.add_argument("--with-2000", action="store_true", help="also 2000x10 (the sim alone takes ~300 MB and minutes to build)")
    ap.add_argument("--all-at-once-too", action="store_true",
                    help=f"also each first harvest of up to {ALL_AT_ONCE_UP_TO} portals with all of them in flight at once")
    ap.add_argument("--ratio", default="10x20", help="portals x reports of the bare-Scrapy comparison")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds the simulated portals take to answer")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-ratio", action="store_true")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a Scrapy setting for every harvester run (TWISTED_REACTOR also for bare Scrapy)")
    ap.add_argument("--bare-spider", metavar="URLS_FILE", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare_spider:
        reactor = [x.split("=", 1)[1] for x in args.set if x.startswith("TWISTED_REACTOR=")]
        return bare_spider(args.bare_spider, reactor[-1] if reactor else None)

    sizes = []
    for item in args.sizes.split(","):
        n, _, r = item.strip().partition("x")
        sizes.append((int(n), int(r) if r else args.reports))
    if args.with_2000:
        sizes.append((2000, 10))
    header = machine()
    print(header, flush=True)
    extra = [x for item in args.set for x in ("--set", item)]
    mem_rows = [] if args.skip_memory else memory_series(sizes, args.latency, extra, args.all_at_once_too)
    rat = None
    if not args.skip_ratio:
        n, _, r = args.ratio.partition("x")
        rat = ratio(int(n), int(r or 20), args.latency, extra)
    print(record(args, header, mem_rows, rat))
    failed = [r for r in mem_rows if r["first"]["rc"] or r["nightly"]["rc"]]
    return 1 if failed or (rat and (rat["bare"]["rc"] or rat["harvester"]["rc"])) else 0


if __name__ == "__main__":
    sys.exit(main())
