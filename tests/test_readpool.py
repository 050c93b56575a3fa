"""The read pool (harvester.readpool): pages are read in worker processes, with the same result
as in the crawling process; a document that kills its worker is an error for that document
alone, and the pool goes on reading; the decompression limit holds in the workers; workers die
with the process that started them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harvester.extraction import read_page
from harvester.readpool import ReadPool
from tests.reader_hooks import KILL_MARK, SPIN_MARK

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ROOT / "tests" / "fixtures" / "families"


def fixtures() -> list[tuple[bytes, str, str]]:
    caps = json.loads((FAMILIES / "captures.json").read_text(encoding="utf-8"))
    return [((FAMILIES / name).read_bytes(), c["url"], c["content_type"]) for name, c in sorted(caps.items())
            if (FAMILIES / name).exists()]


@pytest.fixture
def pool(request):
    made = []

    def make(**kw):
        p = ReadPool(**kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.shutdown()


def test_readings_from_the_pool_equal_readings_in_process(pool):
    docs = fixtures()
    assert len(docs) >= 10
    p = pool(processes=2)
    futures = [p.submit(*d) for d in docs]
    for d, f in zip(docs, futures):
        reading = f.result(timeout=120)
        assert reading.crashed is None
        assert reading.content == read_page(*d), d[1]
        assert reading.cpu_seconds > 0


def test_a_document_that_kills_its_reader_is_an_error_and_the_next_pages_are_read(pool):
    docs = fixtures()
    report = next(d for d in docs if d[1].endswith(".html") and read_page(*d)["is_annual_report"])
    killer = (report[0].replace(b"</body>", KILL_MARK + b"</body>"), report[1].replace(".html", "-k.html"), report[2])
    p = pool(processes=2, reader="tests.reader_hooks:read_or_die")
    batch = [*docs[:4], killer, *docs[4:], killer, *docs]  # the killer twice, pages before, beside and after
    futures = [p.submit(*d) for d in batch]
    results = [f.result(timeout=180) for f in futures]
    for d, r in zip(batch, results):
        if d is killer:
            assert r.crashed and "died" in r.crashed
            assert r.content["error"].startswith("unreadable page: the process reading it died")
            assert r.content["record"] is None and r.content["is_annual_report"] is False
        else:
            assert r.crashed is None
            assert r.content == read_page(*d), d[1]
    assert p.crashes >= 1 and p.culprits == 2
    # and the pool is still there for the next page
    assert p.submit(*docs[0]).result(timeout=60).content == read_page(*docs[0])


def test_a_reader_that_raises_gives_an_error_reading_not_a_lost_page(pool):
    docs = fixtures()
    p = pool(processes=1, reader="tests.reader_hooks:read_or_raise")
    r = p.submit(KILL_MARK, "http://127.0.0.1/x.html", "text/html").result(timeout=60)
    assert r.content["error"] == "reading failed: RuntimeError: a bug in a reader"
    assert p.submit(*docs[0]).result(timeout=60).content == read_page(*docs[0])


def test_the_decompression_limit_of_the_crawl_holds_in_the_workers(pool, monkeypatch):
    from tests.inputs.test_input_limits import HELLO, pdf_with_stream

    pdf = pdf_with_stream(HELLO, "/FlateDecode")
    p = pool(processes=1)
    p.start()
    time.sleep(0.5)  # a worker already running when the limit changes still applies it
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", "20")
    small = p.submit(pdf, "http://127.0.0.1/r.pdf", "application/pdf").result(timeout=60).content
    assert "inflates beyond 20 bytes (limit HARVESTER_PARSE_MAX_DECODED)" in small["error"]
    monkeypatch.setenv("HARVESTER_PARSE_MAX_DECODED", "100000")
    ok = p.submit(pdf, "http://127.0.0.1/r.pdf", "application/pdf").result(timeout=60).content
    assert ok["error"] is None and "Hello annual report" in ok["text"]


DIES = """
import os, signal, sys
from harvester.readpool import ReadPool
pool = ReadPool(2)
futures = [pool.submit(b"<html><body><p>" + b"x" * 2000 + b"</p></body></html>", "http://127.0.0.1/a.html", "text/html")
           for _ in range(4)]
[f.result(timeout=120) for f in futures]
print(" ".join(str(p.pid) for p in pool._executor._processes.values()), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_workers_die_with_a_crawl_killed_by_sigkill():
    res = subprocess.run([sys.executable, "-c", DIES], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert res.returncode == -signal.SIGKILL, res.stderr
    pids = [int(x) for x in res.stdout.split()]
    assert pids
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]


HOOKED = """
import sys
import harvester.readpool as readpool
readpool.READER = "tests.reader_hooks:read_or_die"  # sent to the workers with each document
from harvester.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_harvest_goes_on_past_a_page_that_kills_its_reader(tmp_path):
    from sqlalchemy import select

    from harvester.sim import SimPage, SimServer, build_universe
    from storage.database import open_database, sqlite_url
    from storage.models import Content, CrawlRun, Snapshot
    from tests.harvest_checks import lost_reports, verify

    universe = build_universe(seed=23, n_portals=1, reports_per_portal=6)
    portal = universe.portals[0]
    killer = next(r for r in portal.reports if portal.pages[r.path].content_type.startswith("text/html"))
    page = portal.pages[killer.path]
    portal.pages[killer.path] = SimPage.make(page.body.replace(b"</body>", KILL_MARK + b"</body>"), page.content_type,
                                             page.last_modified)
    data = tmp_path / "data"
    with SimServer(universe, first_host=236) as srv:
        registry = srv.write_registry(tmp_path / "portals.toml")
        res = subprocess.run([sys.executable, "-c", HOOKED, "--data", str(data), "--portals", str(registry), "crawl",
                              "--all", "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                             env={**os.environ, "HARVESTER_PARSE_PROCESSES": "2"})
        url = srv.base_url(portal.id).rstrip("/") + killer.path
        db = open_database(sqlite_url(data / "harvester.db"))
        # every other report of the portal is read and stored; the killer is archived, not read
        assert lost_reports(db, srv, [portal]) == [url], res.stderr[-3000:]
    with db.session() as s:
        run = s.scalars(select(CrawlRun)).one()
        errors = [e for e in run.error_details or [] if e["url"] == url]
        assert errors and errors[0]["error"].startswith("unreadable page: the process reading it died"), run.error_details
        assert run.status == "partial"
        sha = s.scalars(select(Snapshot.sha256).where(Snapshot.document.has(url=url))).one()
        content = s.get(Content, sha)
        assert content.error.startswith("unreadable page: the process reading it died") and not content.is_annual_report
    rc, out = verify(data)
    assert rc == 0, out


STUCK_IN_QUARANTINE = """
import sys, time
from harvester.readpool import ReadPool
from tests.reader_hooks import HANG_MARK, KILL_MARK
pool = ReadPool(2, reader="tests.reader_hooks:read_hang_or_die")
page = b"<html><body><p>" + b"x" * 2000 + b"</p></body></html>"
futures = [pool.submit(HANG_MARK + page, "http://127.0.0.1/hang.html", "text/html"),
           pool.submit(KILL_MARK + page, "http://127.0.0.1/kill.html", "text/html"),
           pool.submit(page, "http://127.0.0.1/ok.html", "text/html")]
deadline = time.monotonic() + 60
while not pool.crashes and time.monotonic() < deadline:
    time.sleep(0.1)
time.sleep(2)  # the quarantine is now reading the stuck document alone
started = time.monotonic()
pool.shutdown()
print(f"shutdown {time.monotonic() - started:.1f}", flush=True)
print("undone", sum(not f.done() for f in futures), flush=True)
"""


def test_a_document_stuck_in_quarantine_does_not_keep_a_stopped_harvest_alive():
    # Two documents of one executor, one stuck for good and one killing its worker: both are read
    # again alone in the quarantine, which gets stuck on the first. Shutting the pool down must
    # still end the process (it used to wait 30 s, then hang for ever in concurrent.futures' exit
    # hook joining the quarantine's executor) and settle every document it held.
    res = subprocess.run([sys.executable, "-c", STUCK_IN_QUARANTINE], capture_output=True, text=True, cwd=ROOT,
                         timeout=90)
    assert res.returncode == 0, res.stderr
    out = dict(line.split() for line in res.stdout.splitlines())
    assert float(out["shutdown"]) < 20
    assert out["undone"] == "0"


def test_a_document_that_loops_its_reader_for_ever_costs_that_document_not_the_harvest(pool):
    # No document may hold a reader for good: the page's item would never leave the pipeline, its
    # spider never close and the harvest never end (its run left 'running', its lock renewed).
    # Past the CPU limit of one document the worker is ended; read again alone, the document is
    # ended again and comes back as an error reading; the pages beside it are read.
    docs = fixtures()[:3]
    spinner = (docs[0][0].replace(b"</body>", SPIN_MARK + b"</body>"), docs[0][1].replace(".html", "-s.html"),
               docs[0][2])
    p = pool(processes=1, reader="tests.reader_hooks:read_spin_or_read", cpu_limit=1)
    batch = [spinner, *docs]
    results = [f.result(timeout=120) for f in [p.submit(*d) for d in batch]]
    assert results[0].crashed and "took more than 1 s of CPU" in results[0].crashed
    assert results[0].content["error"].startswith("unreadable page: the process reading it died")
    for d, r in zip(docs, results[1:]):
        assert r.crashed is None and r.content == read_page(*d), d[1]
    assert p.culprits == 1


def test_a_reading_the_pool_cannot_give_is_an_error_of_that_page_not_a_dropped_page(monkeypatch):
    """Whatever goes wrong in the read pool itself (not the document: an unpicklable result, a
    pool that refuses work), the page goes on to the store with the reason, never dropped."""
    import asyncio

    from twisted.internet.defer import fail

    import harvester.readpool as readpool
    from harvester.items import PageItem
    from pipelines.extract import ExtractPipeline

    monkeypatch.setattr(readpool, "read_deferred", lambda *a, **k: fail(RuntimeError("cannot unpickle the result")))
    import datetime as dt

    item = PageItem(portal_id="p", url="http://127.0.0.1:9/a.html", kind="article", status=200, headers={},
                    body=b"<html></html>", fetched_at=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), archive={},
                    content_type="text/html")
    pipe = ExtractPipeline()
    pipe.pool = object()
    out = asyncio.run(pipe.process_item(item))
    assert out is item
    assert "read pool failed" in item.read_error and "cannot unpickle the result" in item.read_error
    assert item.content["error"] == item.read_error
