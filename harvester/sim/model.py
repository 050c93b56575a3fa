"""Data model of the simulated portals: pages exactly as served, plus the ground truth."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

CST = dt.timezone(dt.timedelta(hours=8), "CST")


@dataclass(frozen=True)
class SimPage:
    """One resource of a simulated portal, exactly as the server sends it."""

    body: bytes
    content_type: str
    last_modified: dt.datetime  # timezone-aware, whole seconds
    etag: str  # quoted, e.g. '"3f2a…"'
    status: int = 200

    @classmethod
    def make(cls, body: bytes, content_type: str, last_modified: dt.datetime) -> "SimPage":
        if last_modified.tzinfo is None:
            raise ValueError("last_modified must be timezone-aware")
        lm = last_modified.astimezone(dt.timezone.utc).replace(microsecond=0)
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        return cls(body=body, content_type=content_type, last_modified=lm, etag=etag)


@dataclass
class ReportEntry:
    """A statutory annual report published in a 年报 column."""

    path: str
    title: str
    agency: str
    year: int
    published: dt.date
    layout: str  # "2019" or "2021"
    encoding: str  # "utf-8" or "gb18030"
    consistent: bool
    truth: dict[str, Any]
    body_text: str  # visible text of the body (div.TRS_Editor content), one block per line
    column_path: str = ""
    shape: str = "html_grid"
    # "html" (the report in the page), "attachment" (the page says 详见附件; the report is in the
    # attachment), "image" (…（图片版）: only images, nothing to parse)
    presentation: str = "html"
    attachment_paths: list[str] = field(default_factory=list)


@dataclass
class NonReportEntry:
    """An item in a 年报 column that is not a statutory annual report."""

    path: str
    title: str
    kind: str  # "compile_notice", "graphic", "guide_update", "work_summary"
    published: dt.date | None = None
    encoding: str = "utf-8"
    column_path: str = ""


@dataclass
class SimPortal:
    id: str
    name: str
    family: str
    homepage_path: str
    column_paths: list[str]
    pages: dict[str, SimPage]
    reports: list[ReportEntry]
    non_reports: list[NonReportEntry]
    section_path: str = ""
    host_name: str = ""  # the imitated site's domain, informative only (never contacted)
    site_code: str = ""  # 网站标识码
    page_counts: dict[str, int] = field(default_factory=dict)  # column index path -> number of list pages
    column_items: dict[str, list[str]] = field(default_factory=dict)  # column path -> item paths, newest first
    not_found: SimPage | None = None  # the body served with 404 for unknown paths
    # Dynamic answers (Hanweb dataproxy.jsp POSTs, the gkmlpt JSON API, endless list pages):
    # handler(method, path, query, body, headers) -> SimPage or None (then the static pages).
    handler: Callable[..., SimPage | None] | None = None
    # Paths (suffixes) served only with a same-site Referer (attachment downloads); 403 otherwise.
    referer_required: tuple[str, ...] = ()
    # None, "403-ua" (403 without a browser User-Agent) or "521-challenge" (JavaScript cookie challenge)
    block: str | None = None
    # the column URLs a registry would list (for gkmlpt: /gkmlpt/index#category)
    column_urls: list[str] = field(default_factory=list)
    # A hostile behaviour (``harvester.sim.faults``): fault(handler, path, query) answers the
    # request itself, at the socket if it likes, and returns True; False lets the portal answer.
    fault: Callable[..., bool] | None = field(default=None, repr=False, compare=False)
    plan: Any = field(default=None, repr=False, compare=False)  # the plan it was rendered from

    def lookup(self, path: str) -> SimPage | None:
        """Resolve a request path (no query) the way a static web server would."""
        page = self.pages.get(path)
        if page is not None:
            return page
        if path.endswith("/"):
            return self.pages.get(path + "index.html")
        if path.endswith("/index.html"):
            return self.pages.get(path[: -len("index.html")])
        return None


@dataclass
class Universe:
    seed: int
    portals: list[SimPortal]

    def portal(self, portal_id: str) -> SimPortal:
        for p in self.portals:
            if p.id == portal_id:
                return p
        raise KeyError(portal_id)

    @property
    def reports(self) -> list[ReportEntry]:
        return [r for p in self.portals for r in p.reports]
