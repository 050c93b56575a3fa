"""Simulated government portals (TRS family first) for tests, the demo and benchmarks.

    from harvester.sim import build_universe, SimServer
    u = build_universe(seed=2025)
    with SimServer(u, first_host=20) as srv:
        srv.base_url(u.portals[0].id)
"""

from .model import NonReportEntry, ReportEntry, SimPage, SimPortal, Universe
from .server import LoggedRequest, SimServer
from .universe import build_universe

__all__ = [
    "build_universe", "SimServer", "LoggedRequest", "Universe", "SimPortal", "SimPage",
    "ReportEntry", "NonReportEntry",
]
