"""Benchmark: `harvester export reports` streams in constant memory (issue 13).

    .venv/bin/python bench/bench_export.py [--reports 50000] [--small 5000] [--data DIR] [--formats jsonl,csv,xlsx]

A store is generated in SQL (no crawl): ``--reports`` logical reports, every other one published
as an article page plus a DOCX attachment (two locations, two contents, two captures each), the
others as one HTML page; every content carries a parser record with the three tables filled
(about 250 cells) and 1.3 KB of text. Then ``export reports`` runs as a child process for jsonl,
csv and xlsx, on a store of ``--small`` reports and on the full one, and the child's peak RSS
(``VmHWM``) and time are printed. Constant memory means the two peaks are about equal.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _tables(rng: random.Random) -> dict:
    from harvester import reportformat as rf

    app = {}
    for rk in rf.app_row_keys("2021"):
        cells = {c: rng.randint(0, 40) for c in rf.APPLICANT_COLS}
        cells["total"] = sum(cells.values())
        app[rk] = cells
    active = {sub: {rk: {ck: rng.randint(0, 900) for ck, _l in cols} for rk, _r in rows}
              for sub, _c, rows, cols in rf.ACTIVE_2021}
    rl = {g: {c: rng.randint(0, 9) for c in rf.RL_COLS} for g in rf.RL_GROUPS}
    return {"active_disclosure": active, "applications": app, "review_litigation": rl}


def build_store(path: Path, n: int) -> None:
    from sqlalchemy import insert

    from storage.database import open_database, sqlite_url
    from storage.models import Content, Document, Portal, Report, ReportVersion, Snapshot

    db = open_database(sqlite_url(path))
    rng = random.Random(13)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    filler = "本机关认真贯彻落实《中华人民共和国政府信息公开条例》。" * 50  # ~1.3 KB of text
    with db.engine.begin() as conn:
        conn.execute(insert(Portal), [{"id": f"p{i}", "name": f"门户{i}", "url": f"http://127.0.0.1/p{i}/"}
                                      for i in range(20)])
    step = 1000
    doc_id = snap_id = 0
    for start in range(0, n, step):
        contents, docs, snaps, reports, versions = [], [], [], [], []
        for k in range(start, min(n, start + step)):
            portal = f"p{k % 20}"
            agency = f"某县第{k // 20}局"
            year = 2019 + k % 6
            reports.append({"id": k + 1, "agency": agency, "year": year, "title": f"{agency}{year}年报告",
                            "first_seen": now})
            tables = _tables(rng)
            with_attachment = k % 2 == 0
            locs = [("page", None)] + ([("attachment", "docx")] if with_attachment else [])
            page_id = None
            for role, ext in locs:
                doc_id += 1
                body = f"{k}:{role}".encode()
                sha = hashlib.sha256(body).hexdigest()
                has_tables = role == "attachment" or not with_attachment
                rec = {"tables": tables if has_tables else {}, "checks": [{"rule": "R1", "status": "pass"}],
                       "missing_tables": [] if has_tables else list(tables), "partial_tables": [],
                       "script": "simplified", "agency_simplified": agency, "source_format": ext or "html",
                       "text": filler}
                contents.append({"sha256": sha, "size": 5000, "title": f"{agency}{year}年报告", "text": filler,
                                 "extractor_version": "bench", "parser_version": "bench", "is_annual_report": True,
                                 "agency": agency, "year": year, "format": "2021" if has_tables else "unknown",
                                 "published": None if role == "attachment" else f"{year + 1}-01-2{k % 10}",
                                 "record": rec, "extracted_at": now, "image_only": False})
                url = f"http://127.0.0.1/{portal}/{year}/{k}" + (f".{ext}" if ext else ".html")
                docs.append({"id": doc_id, "portal_id": portal, "url": url, "kind": "article", "first_seen": now,
                             "last_seen": now, "current_sha256": sha, "is_report": True, "report_id": k + 1,
                             "parent_id": page_id})
                page_id = page_id or doc_id
                snap_id += 1
                snaps.append({"id": snap_id, "document_id": doc_id, "fetched_at": now, "status": 200, "headers": {},
                              "sha256": sha, "size": 5000, "warc_file": f"{portal}-1.warc.gz",
                              "warc_offset": snap_id * 5000, "warc_length": 5000, "warc_record_id": f"<urn:{snap_id}>",
                              "record_type": "response"})
                versions.append({"report_id": k + 1, "document_id": doc_id, "content_sha256": sha,
                                 "seen_at": now})
        with db.engine.begin() as conn:
            conn.execute(insert(Content), contents)
            conn.execute(insert(Report), reports)
            conn.execute(insert(Document), docs)
            conn.execute(insert(Snapshot), snaps)
            conn.execute(insert(ReportVersion), versions)
    db.dispose()


def run_export(data: Path, fmt: str, out: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, rows) of one `export reports` child process."""
    # VmHWM of the child's own address space (ru_maxrss would include the parent's pages at fork)
    code = ("import sys; from harvester.cli import main; rc = main(sys.argv[1:]); "
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
            "print(hwm, file=sys.stderr); sys.exit(rc)")
    t = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, "--data", str(data), "export", "reports", "--format", fmt,
                           "--output", str(out)], capture_output=True, text=True, cwd=ROOT)
    took = time.monotonic() - t
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    lines = proc.stderr.strip().splitlines()
    rows = int(lines[-2].split()[0])
    return took, int(lines[-1]) / 1024, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=50000)
    ap.add_argument("--small", type=int, default=5000)
    ap.add_argument("--data", type=Path, help="where the generated stores go (default: a temporary directory)")
    ap.add_argument("--formats", default="jsonl,csv,xlsx", help="comma-separated (default: jsonl,csv,xlsx)")
    a = ap.parse_args()
    base = a.data or Path(tempfile.mkdtemp(prefix="bench-export-"))
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    results = []
    for n in (a.small, a.reports):
        data = base / f"store-{n}"
        if not (data / "harvester.db").exists():
            data.mkdir(parents=True, exist_ok=True)
            t = time.monotonic()
            build_store(data / "harvester.db", n)
            print(f"store of {n} reports built in {time.monotonic() - t:.0f} s "
                  f"({os.path.getsize(data / 'harvester.db') / 2**20:.0f} MiB)", flush=True)
        for fmt in formats:
            took, rss, rows = run_export(data, fmt, data / f"out.{fmt}")
            size = os.path.getsize(data / f"out.{fmt}") / 2**20
            results.append((n, fmt, rows, took, rss, size))
            print(f"{n:>7} reports  {fmt:<5}  rows {rows:>7}  {took:6.1f} s  peak RSS {rss:6.1f} MiB  "
                  f"output {size:6.1f} MiB", flush=True)
    for fmt in formats:
        small = next(r for r in results if r[0] == a.small and r[1] == fmt)
        big = next(r for r in results if r[0] == a.reports and r[1] == fmt)
        print(f"{fmt}: peak RSS {small[4]:.1f} MiB at {a.small} reports, {big[4]:.1f} MiB at {a.reports} "
              f"(ratio {big[4] / small[4]:.2f})")
    print(f"self: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
