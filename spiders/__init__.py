"""Spiders, one per portal family. ``spider_for(family)`` picks the class for a registry entry;
without a family, ``PortalSpider`` detects it from each page."""


def spider_for(family: str | None):
    from spiders.base import GenericSpider, GkmlptSpider, HanwebSpider, PortalSpider, TrsSpider

    return {"trs": TrsSpider, "hanweb": HanwebSpider, "gkmlpt": GkmlptSpider, "generic": GenericSpider}.get(
        family or "", PortalSpider
    )
