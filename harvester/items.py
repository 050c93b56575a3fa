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
    # Filled by the pipelines:
    known_content: bool = False
    content: dict | None = field(default=None, repr=False)


@dataclass
class FetchError:
    """A request that produced no response (DNS, refused, timeout) or a spider error."""

    portal_id: str
    url: str
    error: str
