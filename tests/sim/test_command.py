"""``harvester.sim.command.serve``: registry, URLs printed, clean stop."""

from __future__ import annotations

import threading
import tomllib

from harvester.sim.command import serve

from .helpers import fetch


def test_serve_writes_registry_and_stops(tmp_path, capsys):
    out = tmp_path / "portals.toml"
    ready, stop = threading.Event(), threading.Event()
    result = {}

    def run():
        result["rc"] = serve(out, seed=5, first_host=80, n_portals=3, reports_per_portal=4, ready=ready, stop=stop)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert ready.wait(20), "server did not come up"
    try:
        data = tomllib.loads(out.read_text(encoding="utf-8"))
        urls = [e["url"] for e in data["portal"]]
        assert [u.split(":")[1] for u in urls] == ["//127.0.0.80", "//127.0.0.81", "//127.0.0.82"]
        assert all(e["family"] == "trs" and e["id"].startswith("sim-") for e in data["portal"])
        for u in urls:
            assert fetch(u).status == 200
    finally:
        stop.set()
        t.join(5)
    assert not t.is_alive() and result["rc"] == 0
    printed = capsys.readouterr().out
    for u in urls:
        assert u in printed


def test_cli_serves_more_than_254_portals_from_one_process(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    out = tmp_path / "many.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harvester.cli", "sim", "serve", "--portals", "260", "--reports-per-portal", "0",
         "--first-host", "1", "--seed", "5", "--portals-out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        printed = []
        for line in proc.stdout:  # until it says it is serving (or dies)
            printed.append(line)
            if line.startswith("serving"):
                break
        assert printed and printed[-1].startswith("serving"), proc.stderr.read()
        entries = tomllib.loads(out.read_text(encoding="utf-8"))["portal"]
        hosts = [e["url"].split("/")[2].split(":")[0] for e in entries]
        assert len(hosts) == len(set(hosts)) == 260
        assert hosts[:2] == ["127.0.0.1", "127.0.0.2"] and hosts[253:256] == ["127.0.0.254", "127.0.1.1", "127.0.1.2"]
        assert hosts[-1] == "127.0.1.6"
        for e in (entries[0], entries[254], entries[-1]):
            assert fetch(e["url"]).status == 200
        with open(f"/proc/{proc.pid}/status") as f:
            threads = int(next(line.split()[1] for line in f if line.startswith("Threads:")))
        assert threads < 40, f"{threads} threads for 260 portals"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode == 0
    assert not rest.strip()
    printed = "".join(printed)
    assert entries[0]["url"] in printed and entries[-1]["url"] in printed and "… 256 more …" in printed
