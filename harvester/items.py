"""What spiders hand to the pipelines."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class PageItem:
    """One fetched page, archived already; the pipelines read and store it."""

    portal_id: str
    url: str
    kind: str  # homepage / section / listing / article
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: dt.datetime
    archive: dict  # storage.warc.ArchivedRecord as a dict
    link_text: str | None = None
    content_type: str | None = None
    parent_url: str | None = None  # an attachment's article page (its Referer)
    replayed: bool = False  # served from the archive while resuming an interrupted run
    # The URLs requested before this one in a chain of redirects (the first is the URL a page
    # linked): the store links them to this document.
    redirected_from: list[str] = field(default_factory=list)
    retrying: bool = False  # an answer (503 …) the spider asks again for: stored, not an error
    # Archived, but the body could not be used (decompressed past DOWNLOAD_MAXSIZE …): the
    # capture is stored with this reason and never read.
    failure: str | None = None
    # Filled by the pipelines:
    known_content: bool = False
    content: dict | None = field(default=None, repr=False)
    read_error: str | None = None  # the body killed the process reading it: an error of the run


@dataclass
class FetchError:
    """A request that produced no response (DNS, refused, timeout) or a spider error."""

    portal_id: str
    url: str
    error: str


@dataclass
class ColumnsFound:
    """Discovery's result: the annual-report columns found from the homepage (or none yet)."""

    portal_id: str
    columns: list[str]
    family: str | None = None


@dataclass
class ColumnMoved:
    """A column remembered from an earlier discovery answered 404 or listed nothing."""

    portal_id: str
    url: str
    detail: str


@dataclass
class Blocked:
    """The portal answered with a block (403 without browser headers, 412/521 JS challenge)."""

    portal_id: str
    url: str
    status: int
    detail: str


@dataclass
class TrapHit:
    """A bound that keeps a site from trapping the crawl was reached (endless pagination, a
    column announcing a million pages, a calendar): recorded as an error and a health event."""

    portal_id: str
    url: str
    detail: str
