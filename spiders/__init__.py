"""Spiders, one per portal family. ``spider_for(family)`` picks the class for a registry entry."""


def spider_for(family: str | None):
    from spiders.base import PortalSpider, TrsSpider

    return {"trs": TrsSpider}.get(family or "", PortalSpider)
