"""Portal families. Each family is one module exposing ``render(plan) -> SimPortal``.

To add a family (Hanweb, gkmlpt, generic …): write ``families/<name>.py`` with ``render``,
register it in ``FAMILIES`` and set ``PortalPlan.family`` for the portals that use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import generic, gkmlpt, hanweb, trs

if TYPE_CHECKING:
    from ..model import SimPortal
    from ..universe import PortalPlan

FAMILIES = {"trs": trs, "hanweb": hanweb, "gkmlpt": gkmlpt, "generic": generic}


def render_portal(plan: "PortalPlan") -> "SimPortal":
    try:
        module = FAMILIES[plan.family]
    except KeyError:
        raise ValueError(f"unknown portal family {plan.family!r}") from None
    return module.render(plan)
