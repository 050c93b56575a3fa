"""A harvest of many portals holds at most HARVESTER_PORTALS_IN_FLIGHT of them in flight (one
Scrapy crawler each); the next starts when one ends, a portal that fails never stops the others,
and every portal's run is recorded (issue 12: memory flat in the registry's size).

Observed from inside the harvest (a Scrapy extension in every crawler: spider opened / closed,
and the crawlers still in memory each time one opens), never from timing."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from harvester.sim import SimServer, build_universe
from storage.database import open_database, sqlite_url
from storage.models import CrawlLock, CrawlRun

ROOT = Path(__file__).resolve().parent.parent
DEAD = '\n[[portal]]\nid = "dead"\nname = "已停止服务的网站"\nurl = "http://127.0.0.1:9/"\n'


def test_twelve_portals_with_three_in_flight(tmp_path):
    universe = build_universe(seed=17, n_portals=12, reports_per_portal=2)
    with SimServer(universe, first_host=160) as srv:
        reg = srv.write_registry(tmp_path / "portals.toml")
        with open(reg, "a", encoding="utf-8") as fh:
            fh.write(DEAD)
        out = tmp_path / "probe.json"
        res = subprocess.run([sys.executable, str(ROOT / "tests" / "window_probe.py"), str(tmp_path / "data"),
                              str(reg), "3", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert res.returncode == 0, res.stderr[-3000:]
        served = {p.id: len(srv.requests(p.id)) for p in universe.portals}
    seen = json.loads(out.read_text())
    events = seen["events"]
    opened = [e["portal"] for e in events if e["event"] == "open"]
    # every portal whose spider could start was crawled, each once; the unstartable one never opened
    assert sorted(opened) == sorted([p.id for p in universe.portals] + ["dead"])
    assert all(n >= 3 for n in served.values()), served
    # never more than 3 portals at once, and the window was used: 3 at once did happen
    assert max(e["open"] for e in events) == 3
    # the crawlers of the portals that ended were let go: never more than 3 in memory
    assert max(e["alive"] for e in events if e["event"] == "open") <= 3, events
    assert seen["alive_after"] == 0
    # portals started one by one as others ended: after the first 3, each opening follows a close
    order = [e["event"] for e in events]
    for i, e in enumerate(events):
        if e["event"] == "open" and opened.index(e["portal"]) >= 3:
            assert "close" in order[:i]
    # the live figures counted every portal: 14 done, 2 failed (the dead one and the unstartable one)
    last = seen["progress"][-1]
    assert re.match(r"portals 14/14 done, 0 in flight, 2 failed — ", last), last
    # every portal's run is recorded, the failures with their cause, and no lock is left
    assert seen["refused"] == []
    db = open_database(sqlite_url(tmp_path / "data" / "harvester.db"))
    with db.session() as s:
        runs = {r.portal_id: r for r in s.scalars(select(CrawlRun))}
        assert sorted(r.id for r in runs.values()) == sorted(seen["runs"])
        assert set(runs) == {p.id for p in universe.portals} | {"dead", "unstartable"}
        assert all(runs[p.id].status == "ok" and runs[p.id].new_reports + runs[p.id].unchanged_reports == 2
                   for p in universe.portals), {k: (r.status, r.new_reports) for k, r in runs.items()}
        assert runs["dead"].status == "failed"
        bad = runs["unstartable"]
        assert bad.status == "failed" and bad.finished is not None
        assert "could not be crawled" in bad.error_details[0]["error"] and "robots_reason" in bad.error_details[0]["error"]
        assert s.scalars(select(CrawlLock)).all() == []


def test_sigterm_mid_harvest_starts_no_more_portals_and_lists_the_rest(tmp_path):
    import signal
    import time

    universe = build_universe(seed=18, n_portals=6, reports_per_portal=3)
    with SimServer(universe, first_host=175) as srv:
        reg = srv.write_registry(tmp_path / "portals.toml")
        proc = subprocess.Popen(
            [sys.executable, "-m", "harvester.cli", "--data", str(tmp_path), "--portals", str(reg), "crawl", "--all",
             "--quiet", "--set", "HARVESTER_PORTALS_IN_FLIGHT=2", "--set", "DOWNLOAD_DELAY=0.3",
             "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        deadline = time.monotonic() + 90
        while sum(len(srv.requests(p.id)) > 3 for p in universe.portals) < 2:  # two portals well under way
            assert time.monotonic() < deadline and proc.poll() is None, "no harvest under way"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)
        crawled = {p.id for p in universe.portals if srv.requests(p.id)}
    assert proc.returncode == 3, err[-3000:]  # portals left unharvested: listed, like refused ones
    left = {line.split(": refused — ")[0] for line in err.splitlines() if ": refused — " in line}
    assert {line.split(": refused — ")[1] for line in err.splitlines() if ": refused — " in line} == {
        "not harvested: the harvest was stopped before its turn"}
    assert len(crawled) == 2 and left == {p.id for p in universe.portals} - crawled
    db = open_database(sqlite_url(tmp_path / "harvester.db"))
    with db.session() as s:
        runs = list(s.scalars(select(CrawlRun)))
        assert {r.portal_id for r in runs} == crawled
        assert all(r.status == "interrupted" and r.finished is not None for r in runs)
        assert s.scalars(select(CrawlLock)).all() == []


def test_a_host_lease_is_given_back_with_the_last_portal_there(tmp_path):
    """The window's bookkeeping of host leases: a host's lease goes back when the last portal
    on it ends (others may harvest it then), not with the first, nor only at the harvest's end."""
    from harvester.crawl import PortalWindow
    from harvester.registry import PortalEntry

    entries = [PortalEntry(id="jyj", name="教育局", url="http://xxgk.county.gov.cn/jyj/"),
               PortalEntry(id="wjw", name="卫健委", url="http://xxgk.county.gov.cn/wjw/"),
               PortalEntry(id="city", name="市政府", url="http://www.city.gov.cn/", hosts=("xxgk.county.gov.cn",))]
    from harvester.locks import entry_hosts

    hosts = {"xxgk.county.gov.cn": "@xxgk.county.gov.cn", "www.city.gov.cn": "@www.city.gov.cn"}
    window = PortalWindow(None, None, str(tmp_path), entries, "auto", 3, None, hosts=hosts,
                          hosts_of={e.id: entry_hosts(e) for e in entries})
    assert window._hosts_done("jyj") == []
    assert window._hosts_done("city") == ["@www.city.gov.cn"]
    assert window._hosts_done("wjw") == ["@xxgk.county.gov.cn"]
    assert window.host_users == {} and window.hosts_of == {}
