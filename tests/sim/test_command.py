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
