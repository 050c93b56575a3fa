"""`crawl --all` is watchable: a live line in a terminal, timestamped lines when piped, and a
summary of every portal, worst first, at the end (issue 12)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from harvester.sim import SimServer, build_universe
from tests.terminal import run_in_terminal

SLOW = ("--set", "DOWNLOAD_DELAY=0.2", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False")
DEAD = '\n[[portal]]\nid = "dead"\nname = "已停止服务的网站"\nurl = "http://127.0.0.1:9/"\n'


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    universe = build_universe(seed=31, n_portals=2, reports_per_portal=4)
    root = tmp_path_factory.mktemp("progress")
    with SimServer(universe, first_host=150) as srv:
        reg = srv.write_registry(root / "portals.toml")
        with open(reg, "a", encoding="utf-8") as fh:
            fh.write(DEAD)
        yield universe, reg


def _cmd(data, reg, *extra):
    return [sys.executable, "-m", "harvester.cli", "--data", str(data), "--portals", str(reg), "crawl", "--all",
            *SLOW, *extra]


LIVE = re.compile(r"portals (\d+)/3 done, (\d+) in flight, (\d+) failed — pages (\d+), reports new (\d+) / "
                  r"changed (\d+), errors (\d+), [\d.]+ pages/s, (ETA [^,]+|finished), \d+ (s|min)")


def _summary(lines: list[str], ids: list[str]) -> list[str]:
    rows = [line for line in lines if line.split(": ", 1)[0] in ids]
    return [row.split(": ", 1)[0] for row in rows]


def test_piped_crawl_logs_plain_progress_lines_then_a_summary_worst_first(sim, tmp_path):
    universe, reg = sim
    res = subprocess.run(_cmd(tmp_path, reg, "--set", "LOG_LEVEL=WARNING"), capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 1, res.stdout + res.stderr[-3000:]  # the dead portal failed
    lines = res.stdout.splitlines()
    assert "\r" not in res.stdout and "\x1b" not in res.stdout  # plain lines for a log file
    progress = [line for line in lines if LIVE.search(line)]
    assert progress, res.stdout
    assert all(re.match(r"\d\d:\d\d:\d\d portals ", line) for line in progress)  # timestamped
    last = LIVE.search(progress[-1])
    assert last.group(1, 2, 3) == ("3", "0", "1") and last.group(8) == "finished"
    assert int(last.group(4)) > 0 and int(last.group(5)) == sum(len(p.reports) for p in universe.portals)
    ids = ["dead", *(p.id for p in universe.portals)]
    # the summary comes after the progress, the failed portal first, with its first error
    summary = lines[lines.index(progress[-1]) + 1:]
    assert _summary(summary, ids)[0] == "dead" and sorted(_summary(summary, ids)) == sorted(ids)
    dead = next(line for line in summary if line.startswith("dead: "))
    assert dead.startswith("dead: failed") and "; first error: http://127.0.0.1:9/" in dead
    for p in universe.portals:
        assert any(re.match(rf"{p.id}: ok +— ", line) and f"reports new {len(p.reports)} /" in line for line in summary)
    # a table: the rows line up after "portal: status"
    assert len({line.index(" — ") for line in summary[:-1]}) == 1, summary
    total = summary[-1]
    assert total.startswith("total — 3 portals (failed 1, ok 2)"), summary
    assert f"reports new {sum(len(p.reports) for p in universe.portals)} /" in total


def test_quiet_crawl_prints_only_the_summary(sim, tmp_path):
    universe, reg = sim
    res = subprocess.run(_cmd(tmp_path, reg, "--quiet"), capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stdout + res.stderr[-3000:]
    lines = res.stdout.splitlines()
    assert not any(LIVE.search(line) for line in lines)
    assert [line.split(": ", 1)[0] for line in lines[:-1]][0] == "dead" and len(lines) == 4
    assert lines[-1].startswith("total — 3 portals")


def test_crawl_in_a_terminal_redraws_one_live_line_then_prints_the_summary(sim, tmp_path):
    universe, reg = sim
    # slower, so that the line is redrawn a few times (once a second)
    code, screen = run_in_terminal(_cmd(tmp_path, reg, "--set", "DOWNLOAD_DELAY=0.8"))
    assert code == 1
    assert "Traceback" not in screen
    redraws = [r for r in screen.split("\r\x1b[K") if r.strip()]
    live = [r for r in redraws if LIVE.match(r)]
    assert len(live) > 3, screen[-3000:]  # redrawn in place, once a second
    assert "INFO" not in screen  # the live line replaces Scrapy's INFO log in a terminal
    seen = [LIVE.match(r).group(1, 2, 3) for r in live]
    assert any(int(inflight) > 0 for _, inflight, _ in seen)  # portals were seen in flight
    # a warning or error logged meanwhile wipes the line first: never glued onto its end
    assert all(r[LIVE.match(r).end():].strip() == "" for r in live[:-1]), screen[-3000:]
    final = LIVE.match(live[-1])
    assert final.group(1, 2, 3) == ("3", "0", "1")
    # after the last redraw: a newline, then the summary, worst first
    after = live[-1].split("\n", 1)[1].replace("\r", "").splitlines()
    after = [line for line in after if line.strip()]
    assert after[0].startswith("dead: failed"), after
    assert after[-1].startswith("total — 3 portals (failed 1, ok 2)")


def test_the_summary_of_many_portals_shows_the_worst_and_counts_the_rest(sim, tmp_path, capsys):
    from harvester.cli import _print_run_summary
    from harvester.export import list_runs
    from storage.database import open_database, sqlite_url

    universe, reg = sim
    res = subprocess.run(_cmd(tmp_path, reg, "--quiet"), capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stdout + res.stderr[-3000:]
    db = open_database(sqlite_url(tmp_path / "harvester.db"))
    runs = list_runs(db)
    assert _print_run_summary(db, [r["id"] for r in runs], rows=1) == 1  # a portal failed: exit 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and re.match(r"dead: failed +— ", lines[0])
    assert lines[1] == "… and 2 more portals (ok 2), 0 errors among them"
    assert lines[2].startswith("total — 3 portals (failed 1, ok 2)")
