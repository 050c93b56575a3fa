"""Simulated portals, one module per portal family of ``spiders.families``: ``<name>.py``
exposing ``render(plan) -> SimPortal``, built on the shared ``chrome`` and ``site`` pieces.

To add a family: register it in ``spiders.families``, write ``families/<name>.py`` with
``render``, and set ``PortalPlan.family`` for the portals that use it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from spiders.families import NAMES

if TYPE_CHECKING:
    from ..model import SimPortal
    from ..universe import PortalPlan


def render_portal(plan: "PortalPlan") -> "SimPortal":
    if plan.family not in NAMES:
        raise ValueError(f"unknown portal family {plan.family!r}")
    return import_module(f"{__name__}.{plan.family}").render(plan)
