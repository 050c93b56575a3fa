"""Spiders, one per portal family (``spiders.families``). ``spider_for(family)`` picks the class
for a registry entry; without a family, ``PortalSpider`` detects it from each page."""


def spider_for(family: str | None):
    from spiders.base import PortalSpider
    from spiders.families import FAMILIES

    return FAMILIES[family].spider if family in FAMILIES else PortalSpider
