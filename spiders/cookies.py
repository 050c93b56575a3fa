"""Cookies of a crawl. Scrapy's CookiesMiddleware (COOKIES_ENABLED, on in ``harvester.settings``)
keeps each portal's cookies, so a cookie-gated download (a 302 to the same URL that sets a
cookie) is asked again with the cookie (``spiders.base.PortalSpider.follow_redirect``).

The middleware asks ``tldextract`` whether a cookie's domain is a public suffix. tldextract
fetches the public-suffix list from the internet on its first use (a blocking request in the
reactor thread; offline it logs a traceback and falls back to its bundled copy): the crawl uses
the bundled copy from the start, with no request and no cache file.
"""
from __future__ import annotations


def use_bundled_public_suffix_list() -> None:
    """Point Scrapy's cookie middleware at an offline tldextract (idempotent)."""
    try:
        from scrapy.downloadermiddlewares import cookies
        from tldextract import TLDExtract
    except ImportError:  # pragma: no cover - both are Scrapy dependencies
        return
    current = getattr(cookies, "_split_domain", None)
    if isinstance(current, TLDExtract) and current.suffix_list_urls:
        cookies._split_domain = TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                                           include_psl_private_domains=True)
