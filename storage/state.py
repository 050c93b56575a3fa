"""What the store already knows about a portal, loaded once when its crawl starts.

The archive middleware needs each URL's last payload (to write revisits instead of copies),
the conditional-request middleware its validators (ETag / Last-Modified), the spider which
articles are known and when the last full verification pass ran. The crawl's
``harvester.crawlcontext.CrawlContext`` loads it once and hands it to each of them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from storage.database import Database
from storage.models import CrawlRun, Document, Snapshot
from storage.warc import Original


@dataclass(frozen=True)
class KnownPage:
    url: str
    kind: str
    is_report: bool
    snapshot_id: int  # the snapshot whose response record holds the latest payload
    original: Original
    etag: str | None
    last_modified: str | None
    warc_file: str
    warc_offset: int


@dataclass
class PortalState:
    portal_id: str
    pages: dict[str, KnownPage] = field(default_factory=dict)
    last_full: dt.datetime | None = None
    # Pages the portal's last, interrupted run already captured: url -> (warc_file, offset)
    # of the payload. A resumed crawl reads them from the archive instead of fetching them.
    resume: dict[str, tuple[str, int]] = field(default_factory=dict)
    resumes_run: int | None = None
    # URL -> the URL its stored redirect chain ends at (a moved report is known by its old link)
    redirects: dict[str, str] = field(default_factory=dict)

    def validators(self, url: str) -> dict[str, str]:
        page = self.pages.get(url)
        if page is None:
            return {}
        out = {}
        if page.etag:
            out["If-None-Match"] = page.etag
        if page.last_modified:
            out["If-Modified-Since"] = page.last_modified
        return out


def _header(headers: dict, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == name.lower():
            return v
    return None


def load_portal_state(db: Database, portal_id: str) -> PortalState:
    state = PortalState(portal_id)
    with db.session() as s:
        latest = (
            select(Snapshot.document_id, func.max(Snapshot.id).label("sid"))
            .join(Document, Document.id == Snapshot.document_id)
            .where(Document.portal_id == portal_id, Snapshot.status == 200, Snapshot.record_type == "response")
            .group_by(Snapshot.document_id)
            .subquery()
        )
        rows = s.execute(
            select(Document, Snapshot).join(latest, latest.c.document_id == Document.id).join(Snapshot, Snapshot.id == latest.c.sid)
        )
        for doc, snap in rows:
            state.pages[doc.url] = KnownPage(
                url=doc.url,
                kind=doc.kind,
                is_report=doc.is_report,
                snapshot_id=snap.id,
                original=Original(
                    record_id=snap.warc_record_id, url=doc.url, date=snap.fetched_at, sha256=snap.sha256, size=snap.size
                ),
                etag=_header(snap.headers, "ETag"),
                last_modified=_header(snap.headers, "Last-Modified"),
                warc_file=snap.warc_file,
                warc_offset=snap.warc_offset,
            )
        from sqlalchemy.orm import aliased

        target = aliased(Document)
        hops = dict(s.execute(select(Document.url, target.url).join(target, Document.redirect_to_id == target.id)
                              .where(Document.portal_id == portal_id)).all())
        for url in hops:
            final, seen = hops[url], {url}
            while final in hops and final not in seen and len(seen) < 20:
                seen.add(final)
                final = hops[final]
            state.redirects[url] = final
        # the run being started is already there as "running": look at the one before it
        last = s.scalars(
            select(CrawlRun).where(CrawlRun.portal_id == portal_id, CrawlRun.status != "running").order_by(CrawlRun.id.desc()).limit(1)
        ).first()
        if last is not None and last.status == "interrupted":
            state.resumes_run = last.id
            for url, snap in s.execute(
                select(Document.url, Snapshot).join(Document, Document.id == Snapshot.document_id).where(Snapshot.run_id == last.id)
            ):
                source = snap if snap.record_type == "response" else (s.get(Snapshot, snap.payload_of_id) if snap.payload_of_id else None)
                if source is not None and source.status == 200:
                    state.resume[url] = (source.warc_file, source.warc_offset)
        state.last_full = s.scalar(
            select(func.max(CrawlRun.started)).where(
                CrawlRun.portal_id == portal_id, CrawlRun.mode == "full", CrawlRun.status.in_(("ok", "partial"))
            )
        )
    return state

