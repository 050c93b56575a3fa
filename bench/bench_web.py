"""Benchmark: the archive browser's report page and search with 50,000 reports stored.

Target: p95 under 200 ms for the report page and for search on this machine.

    .venv/bin/python bench/bench_web.py [--data DIR] [--reports 50000] [--duration 20] [--connections 4]

1. ``harvester demo --no-serve`` harvests the simulated portals into DIR (once; reused after).
2. The demo's reports are copied, in SQL, until DIR holds ``--reports`` reports: each copy gets a
   new URL, its own content row (distinct digest, agency and a distinct first line of text, so the
   full-text index is as large as for real distinct reports) and copies of the original's
   captures (pointing at the same WARC records). The search triggers index every copy.
3. The browser runs under uvicorn (one worker) on 127.0.0.1; Debian's ``wrk`` (or, without it, a
   bounded Python keep-alive load loop) requests random report pages, then random searches, and
   the latency percentiles are printed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

QUERIES = ["财政局", "政府信息公开", "行政复议", "依申请公开", "人民政府办公室", "年度报告", "主动公开",
           "行政处罚", "住房和城乡建设局", "教育局", "财政", "卫生健康", "存在的主要问题", "政务公开工作"]


def harvester(*args) -> None:
    subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def synthesise(db_path: Path, target: int) -> int:
    con = sqlite3.connect(db_path, timeout=60)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    n = con.execute("SELECT count(*) FROM documents WHERE is_report").fetchone()[0]
    if n >= target:
        return n
    originals = [r[0] for r in con.execute("SELECT id FROM documents WHERE is_report AND url NOT LIKE '%?copy=%'")]
    ccols = [r[1] for r in con.execute("PRAGMA table_info(contents)")]
    scols = [r[1] for r in con.execute("PRAGMA table_info(snapshots)") if r[1] not in ("id", "document_id", "payload_of_id")]
    rnd = con.execute("SELECT coalesce(max(CAST(substr(url, instr(url, '?copy=') + 6) AS INTEGER)), 0) "
                      "FROM documents WHERE url LIKE '%?copy=%'").fetchone()[0]
    started = time.monotonic()
    while n < target:
        rnd += 1
        take = originals[: target - n]
        ids = ",".join(map(str, take))
        tag = f"{rnd:08d}"
        cexpr = ", ".join(
            f"substr(c.sha256, 1, 56) || '{tag}'" if c == "sha256" else
            f"c.agency || '（{rnd}）'" if c == "agency" else
            f"'副本 {rnd}：' || coalesce(c.text, '')" if c == "text" else
            f"replace(c.title, '政府信息公开', '（{rnd}）政府信息公开')" if c == "title" else f"c.{c}"
            for c in ccols)
        con.execute(f"INSERT OR IGNORE INTO contents({', '.join(ccols)}) SELECT {cexpr} FROM contents c "
                    f"WHERE c.sha256 IN (SELECT current_sha256 FROM documents WHERE id IN ({ids}))")
        before = con.execute("SELECT max(id) FROM documents").fetchone()[0]
        con.execute(
            "INSERT INTO documents(portal_id, url, kind, first_seen, last_seen, current_sha256, link_text, is_report) "
            f"SELECT portal_id, url || '?copy={rnd}', kind, first_seen, last_seen, "
            f"substr(current_sha256, 1, 56) || '{tag}', link_text, is_report FROM documents WHERE id IN ({ids}) ORDER BY id")
        # captures: the new document k copies the captures of original k (same WARC records)
        pairs = list(zip(take, range(before + 1, before + 1 + len(take))))
        con.execute("CREATE TEMP TABLE IF NOT EXISTS pairs(old INTEGER, new INTEGER)")
        con.execute("DELETE FROM pairs")
        con.executemany("INSERT INTO pairs VALUES (?, ?)", pairs)
        cols = ", ".join(scols)
        con.execute(f"INSERT INTO snapshots(document_id, {cols}) SELECT p.new, {', '.join('s.' + c for c in scols)} "
                    "FROM pairs p JOIN snapshots s ON s.document_id = p.old WHERE s.record_type = 'response'")
        con.commit()
        n += len(take)
        if rnd % 50 == 0:
            print(f"  … {n} reports ({time.monotonic() - started:.0f} s)", flush=True)
    con.execute("PRAGMA optimize")
    con.commit()
    con.close()
    return n


# ------------------------------------------------------------------------------------ load
def python_load(port: int, paths: list[str], duration: float, connections: int) -> dict:
    lat: list[float] = []
    errors = [0]
    stop = time.monotonic() + duration
    lock = threading.Lock()

    def worker(seed: int):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            path = rng.choice(paths)
            t0 = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status != 200:
                errors[0] += 1
        conn.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    return {"tool": "python", "requests": len(lat), "errors": errors[0], "rps": len(lat) / elapsed,
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": lat[-1] * 1000,
            "mean_ms": statistics.mean(lat) * 1000}


WRK_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(42)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
local errors = 0
response = function(status, headers, body) if status ~= 200 then errors = errors + 1 end end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "rps": %%.1f, "p50_ms": %%.2f, "p95_ms": %%.2f, "p99_ms": %%.2f, "max_ms": %%.2f, "mean_ms": %%.2f, "non2xx": %%d}\\n',
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    (summary.errors.status or 0)))
end
"""


def wrk_load(port: int, paths: list[str], duration: float, connections: int, tmp: Path) -> dict | None:
    wrk = shutil.which("wrk")
    if not wrk:
        return None
    plist = tmp / "paths.txt"
    plist.write_text("\n".join(paths) + "\n", encoding="utf-8")
    script = tmp / "paths.lua"
    script.write_text(WRK_LUA % plist, encoding="utf-8")
    out = subprocess.run([wrk, "-t", "1", "-c", str(connections), "-d", f"{int(duration)}s", "--timeout", "10s",
                          "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("WRK "):
            d = json.loads(line[4:])
            d["tool"] = "wrk"
            return d
    raise RuntimeError(out.stdout + out.stderr)


def pg_search_bench(pg_url: str, source_db: Path, n: int) -> int:
    """PostgreSQL: fill ``search_meta`` of a fresh schema with ``n`` rows copied from the SQLite
    archive (bypassing the triggers) and time ``storage.search.search`` in-process."""
    import uuid

    from sqlalchemy import create_engine, text

    from storage import search as idx
    from storage.database import open_database

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    db = open_database(f"{pg_url}{sep}options=-csearch_path%3D{schema}")
    try:
        src = sqlite3.connect(source_db)
        rows = src.execute("SELECT m.doc_id, m.portal_id, m.url, m.title, m.agency, m.year, m.format, m.published, "
                           "m.is_report, m.failed, f.body FROM search_meta m JOIN search_fts f ON f.rowid = m.doc_id "
                           f"ORDER BY m.doc_id LIMIT {n}").fetchall()
        t0 = time.monotonic()
        raw = db.engine.raw_connection()
        cur = raw.cursor()
        from psycopg2.extras import execute_values

        execute_values(
            cur, "INSERT INTO search_meta(doc_id, portal_id, url, title, agency, year, format, published, "
                 "is_report, failed, body, grams) VALUES %s",
            [r[:8] + (bool(r[8]),) + r[9:] + (r[3], r[4], r[10]) for r in rows],
            template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                     "search_bigrams(coalesce(%s, '') || ' ' || coalesce(%s, '') || ' ' || coalesce(%s, '')))",
            page_size=500)
        raw.commit()
        cur.execute("ANALYZE search_meta")
        raw.commit()
        raw.close()
        print(f"PostgreSQL: {len(rows)} index rows loaded in {time.monotonic() - t0:.0f} s")
        years = sorted({r[5] for r in rows if r[5]})
        rng = random.Random(3)
        lat = []
        for _ in range(300):
            q = rng.choice(QUERIES)
            f = rng.choice([idx.SearchFilters(), idx.SearchFilters(year=rng.choice(years)),
                            idx.SearchFilters(portal="sim-meizhou"), idx.SearchFilters(failed=True)])
            with db.session() as s:
                t = time.perf_counter()
                idx.search(s, q, f)
                lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        print(f"PostgreSQL search (in-process, {len(lat)} queries): p50 {lat[len(lat) // 2]:.1f} ms, "
              f"p95 {lat[int(len(lat) * 0.95)]:.1f} ms, max {lat[-1]:.1f} ms")
        return 0 if lat[int(len(lat) * 0.95)] < 200 else 1
    finally:
        db.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", metavar="URL", help="also time search on PostgreSQL (e.g. "
                    "postgresql+psycopg2://postgres@127.0.0.1:5432/test); the index rows are copied there")
    ap.add_argument("--data", help="data directory (kept and reused); default: a temporary one")
    ap.add_argument("--reports", type=int, default=50000)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    data = Path(args.data) if args.data else tmp / "data"
    db_path = data / "harvester.db"
    if not db_path.exists():
        print(f"harvesting the simulated portals into {data} …", flush=True)
        harvester("--data", data, "demo", "--no-serve")
    t0 = time.monotonic()
    print(f"synthesising up to {args.reports} reports …", flush=True)
    n = synthesise(db_path, args.reports)
    print(f"{n} reports in {db_path} ({db_path.stat().st_size / 1e6:.0f} MB; {time.monotonic() - t0:.0f} s)")

    con = sqlite3.connect(db_path)
    report_ids = [r[0] for r in con.execute("SELECT id FROM documents WHERE is_report")]
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM search_meta WHERE year IS NOT NULL")]
    portals = [r[0] for r in con.execute("SELECT DISTINCT portal_id FROM search_meta")]
    indexed = con.execute("SELECT count(*) FROM search_meta").fetchone()[0]
    con.close()
    print(f"search index: {indexed} rows")
    rng = random.Random(7)
    report_paths = [f"/reports/{i}" for i in rng.sample(report_ids, min(2000, len(report_ids)))]
    search_paths = []
    for _ in range(400):
        q = rng.choice(QUERIES)
        extra = rng.choice(["", f"&year={rng.choice(years)}", f"&portal={rng.choice(portals)}", "&failed=1",
                            f"&year={rng.choice(years)}&format=2021", "&page=3"])
        search_paths.append(f"/search?q={quote(q)}{extra}")

    port = free_port()
    env = dict(os.environ, HARVESTER_WEB_TOKEN="", HARVESTER_WEB_ACCESS_TOKEN="", HARVESTER_WEB_BASIC_AUTH="")
    server = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, uvicorn; from harvester.config import Config; from harvester.web import create_app; "
         "uvicorn.run(create_app(Config.from_env(data=sys.argv[1])), host='127.0.0.1', "
         "port=int(sys.argv[2]), log_level='warning', access_log=False)", str(data), str(port)], env=env)
    try:
        deadline = time.monotonic() + 900  # a search index from an older draft is rebuilt at start
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/overview")
                c.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the browser did not start")
                time.sleep(0.3)
        results = {}
        for name, paths in (("report page", report_paths), ("search", search_paths)):
            # warm up: the first requests open files and fill caches
            python_load(port, paths[:50], 3, 2)
            res = None
            if args.tool in ("auto", "wrk"):
                res = wrk_load(port, paths, args.duration, args.connections, tmp)
            if res is None:
                res = python_load(port, paths, args.duration, args.connections)
            results[name] = res
            ok = "OK" if res["p95_ms"] < 200 else "OVER TARGET"
            print(f"{name:12s} [{res['tool']}, {args.connections} connections, {args.duration:.0f} s]: "
                  f"{res['requests']} requests, {res['rps']:.1f}/s, p50 {res['p50_ms']:.1f} ms, "
                  f"p95 {res['p95_ms']:.1f} ms, p99 {res['p99_ms']:.1f} ms, max {res['max_ms']:.1f} ms — {ok}")
        # single-request latency (no queueing behind other connections)
        for name, paths in (("report page", report_paths), ("search", search_paths)):
            res = python_load(port, paths, min(10, args.duration), 1)
            print(f"{name:12s} [python, 1 connection]: p50 {res['p50_ms']:.1f} ms, p95 {res['p95_ms']:.1f} ms, "
                  f"p99 {res['p99_ms']:.1f} ms, {res['errors']} errors")
    finally:
        server.terminate()
        server.wait(10)
    status = 0 if all(r["p95_ms"] < 200 for r in results.values()) else 1
    if args.pg:
        status |= pg_search_bench(args.pg, db_path, args.reports)
    return status


if __name__ == "__main__":
    sys.exit(main())
