"""The portal families: the one registry of their names, adapters, spider classes and detection
order. The portal registry's loader (``harvester.registry``: the allowed ``family`` values),
``spiders.spider_for``, the spiders' detection (``PortalSpider.family_of``) and the simulator
(``harvester.sim.families``: one module per family name) all read it.

To add a family: its adapter (``spiders/<name>.py``, a ``spiders.adapter.FamilyAdapter``), its
spider class in ``spiders.base``, its simulated portal (``harvester/sim/families/<name>.py``)
and one ``Family`` line below.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from spiders.adapter import FamilyAdapter
from spiders.generic import GenericFamily
from spiders.gkmlpt import GkmlptFamily
from spiders.hanweb import HanwebFamily
from spiders.trs import TrsFamily


@dataclass(frozen=True)
class Family:
    name: str
    adapter: FamilyAdapter
    spider_class: str  # its spider in spiders.base
    # Detection tries the families in this order: the most telling markers first; generic, which
    # takes any page, last.
    detection: int

    @property
    def spider(self):
        return getattr(import_module("spiders.base"), self.spider_class)


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("trs", TrsFamily(), "TrsSpider", detection=3),
    Family("hanweb", HanwebFamily(), "HanwebSpider", detection=2),
    Family("gkmlpt", GkmlptFamily(), "GkmlptSpider", detection=1),
    Family("generic", GenericFamily(), "GenericSpider", detection=4),
)}
NAMES = tuple(FAMILIES)
DETECTION_ORDER = tuple(sorted(FAMILIES.values(), key=lambda f: f.detection))


def detect(response, text: str) -> str:
    """The name of the first family, in detection order, whose markers the page carries."""
    return next((f.name for f in DETECTION_ORDER if f.adapter.detect(response, text)), DETECTION_ORDER[-1].name)
