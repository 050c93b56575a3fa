"""The family adapter protocol: what the spider asks a portal family about one page.

Discovery asks ``detect`` (does the page carry the family's markers?) and ``columns`` (the
annual-report columns a page names without linking them). A listing response is first offered
to ``gateway`` (a page that stands for its column, whose items are listed elsewhere); otherwise
``articles`` names its articles, ``pages`` the column's other listing pages (a full pass),
``next_page`` the one after it (a nightly pass), and ``says_empty`` tells an intact empty column
from a page that changed. The spider (``spiders.base.PortalSpider``) turns the answers into
requests and items; ``spiders.families`` registers one adapter per family.

Adapters subclass ``FamilyAdapter`` to inherit the answers most platforms share (no columns of
their own, no gateway pages).
"""
from __future__ import annotations

from typing import Protocol

from spiders.common import Link, Page


class FamilyAdapter(Protocol):
    # ``articles`` names every item of a listing page, so a later page that names none means the
    # page changed; a family that picks report links by their text finds none on many pages.
    names_every_item: bool = True

    def detect(self, response, text: str) -> bool:
        """The page is one of this family's (``text`` is the decoded page, "" when it is not text)."""
        ...

    def columns(self, spider, response) -> list[tuple[str, list[Page]]]:
        """The annual-report columns a discovery page names itself (a single-page app's category
        tree): (column URL, the listing pages to fetch for it). Most platforms link their
        columns as ordinary links, which the spider follows: none here."""
        return []

    def gateway(self, spider, response) -> list[Page] | None:
        """None when the response is a listing page. Otherwise the response only stands for its
        column (a single-page app): the listing pages to fetch instead, none when the column is
        gone from the app."""
        return None

    def articles(self, spider, response) -> list[Link]:
        """The articles the listing page names."""
        ...

    def pages(self, spider, response) -> list[Page]:
        """The column's further listing pages, for a full pass (the spider caps their number)."""
        ...

    def next_page(self, spider, response) -> Page | None:
        """The listing page after this one, for a nightly pass."""
        ...

    def says_empty(self, spider, response) -> bool:
        """The page says its column is empty (rather than having changed)."""
        ...
