"""``harvester sim serve``: run the simulated portals until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from .packed import build_packed_universe
from .server import SimServer

LISTED = 50  # up to this many portals, every URL is printed; beyond, the registry lists them


def serve(portals_out: Path | None, seed: int = 2025, first_host: int = 20, n_portals: int = 3,
          reports_per_portal: int = 22, *, ready: threading.Event | None = None,
          stop: threading.Event | None = None, families: bool = False, faults: list[str] | None = None,
          latency: float = 0.0) -> int:
    """Build the universe, serve it, write the registry, print the URLs, serve until a signal.

    Portals go on loopback hosts ``first_host``, ``first_host + 1`` … (127.0.0.N up to .254,
    then 127.0.1.1 …), all from this process; pages are kept compressed (``packed``), so
    thousands of portals fit. ``latency`` delays every answer by that many seconds.
    ``ready`` / ``stop`` are for embedding (tests): ``ready`` is set once serving, setting
    ``stop`` ends the loop like a signal does. Signal handlers are installed only when
    called from the main thread.
    """
    if faults:
        # one hostile portal per named fault (harvester.sim.faults), beside one normal portal
        from .faults import fault_universe

        universe, _ = fault_universe(faults, seed=seed)
    elif families:
        # two portals of every platform family (TRS, Hanweb, gkmlpt, generic) and two blocking ones
        from .variants import build_family_universe

        universe = build_family_universe(seed=seed)
    else:
        universe = build_packed_universe(seed=seed, n_portals=n_portals, reports_per_portal=reports_per_portal,
                                         lean=True)
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        with SimServer(universe, first_host=first_host, latency=latency) as srv:
            if portals_out is not None:
                srv.write_registry(portals_out)
            n_reports = sum(len(p.reports) for p in universe.portals)
            print(f"simulated portals (seed {seed}, {n_reports} reports):", flush=True)
            shown = universe.portals if len(universe.portals) <= LISTED else universe.portals[:3]
            for p in shown:
                print(f"  {p.id}\t{srv.base_url(p.id)}\t{p.name}\t{len(p.reports)} reports", flush=True)
            if len(shown) < len(universe.portals):
                last = universe.portals[-1]
                print(f"  … {len(universe.portals) - len(shown) - 1} more …", flush=True)
                print(f"  {last.id}\t{srv.base_url(last.id)}\t{last.name}\t{len(last.reports)} reports", flush=True)
            if portals_out is not None:
                print(f"registry written to {portals_out}", flush=True)
            print("serving; press Ctrl-C to stop", flush=True)
            if ready is not None:
                ready.set()
            while not stop.wait(0.2):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped", file=sys.stderr, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m harvester.sim.command [--portals-out FILE] …``."""
    import argparse

    ap = argparse.ArgumentParser(prog="harvester sim serve", description=__doc__)
    ap.add_argument("--portals-out", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--first-host", type=int, default=20)
    ap.add_argument("--portals", "--n-portals", type=int, default=3, dest="n_portals")
    ap.add_argument("--reports-per-portal", type=int, default=22)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds every answer is delayed")
    ap.add_argument("--families", action="store_true", help="every platform family instead of the 3 TRS portals")
    ap.add_argument("--faults", metavar="NAME,...", help="hostile portals (harvester.sim.faults), or 'all'")
    a = ap.parse_args(argv)
    faults = None
    if a.faults:
        from .faults import parse_fault_names

        try:
            faults = parse_fault_names(a.faults)
        except ValueError as exc:
            ap.error(str(exc))
    return serve(a.portals_out, a.seed, a.first_host, a.n_portals, a.reports_per_portal, families=a.families,
                 faults=faults, latency=a.latency)


if __name__ == "__main__":
    raise SystemExit(main())
