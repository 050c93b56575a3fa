"""Keep a large universe small in memory: page bodies compressed until served.

Thousands of portals rendered in full take about 0.5 MB each (2,000 portals × 10 reports:
~1.1 GB), nearly all of it page bytes, which compress about 4:1. ``pack_universe`` swaps
every portal's ``pages`` for a ``PackedPages`` mapping: the same paths and the same
``SimPage`` objects on lookup (byte-identical bodies, same validators), each body inflated
when it is served. Ground truth (``ReportEntry.truth``, ``body_text``) is kept unless
``lean=True``, for serving only (benchmarks, ``harvester sim serve``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, MutableMapping

from .model import SimPage, Universe


class PackedPages(MutableMapping):
    """``path -> SimPage`` with bodies held zlib-compressed."""

    __slots__ = ("_packed",)

    def __init__(self, pages: dict[str, SimPage] | None = None):
        self._packed: dict[str, tuple] = {}
        for path, page in (pages or {}).items():
            self[path] = page

    def __setitem__(self, path: str, page: SimPage) -> None:
        self._packed[path] = (zlib.compress(page.body, 6), page.content_type, page.last_modified, page.etag,
                              page.status)

    def __getitem__(self, path: str) -> SimPage:
        body, ctype, modified, etag, status = self._packed[path]
        return SimPage(body=zlib.decompress(body), content_type=ctype, last_modified=modified, etag=etag,
                       status=status)

    def __delitem__(self, path: str) -> None:
        del self._packed[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __contains__(self, path: object) -> bool:
        return path in self._packed

    def packed_size(self) -> int:
        return sum(len(v[0]) for v in self._packed.values())


def pack_universe(universe: Universe, *, lean: bool = False) -> Universe:
    """Compress every portal's pages in place (and, ``lean``, drop the reports' ground truth)."""
    for portal in universe.portals:
        if not isinstance(portal.pages, PackedPages):
            portal.pages = PackedPages(portal.pages)
        if lean:
            portal.plan = None
            for r in portal.reports:
                r.truth = {}
                r.body_text = ""
    return universe


def build_packed_universe(seed: int = 2025, n_portals: int = 3, reports_per_portal: int = 22, *,
                          lean: bool = False) -> Universe:
    """``build_universe`` with each portal packed as soon as it is rendered, so the peak
    memory is that of the packed universe, not of the whole rendered one."""
    from .families import render_portal
    from .universe import _plan_portal

    if n_portals < 1:
        raise ValueError("n_portals must be >= 1")
    if reports_per_portal < 0:
        raise ValueError("reports_per_portal must be >= 0")
    universe = Universe(seed=seed, portals=[])
    for i in range(n_portals):
        universe.portals.append(render_portal(_plan_portal(seed, i, reports_per_portal)))
        pack_universe(Universe(seed=seed, portals=universe.portals[-1:]), lean=lean)
    return universe
