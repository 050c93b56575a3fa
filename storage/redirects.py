"""Where a URL that redirected ended up: from the requested URL to the capture of the final one."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Document, Snapshot

MAX_HOPS = 20  # a chain stored by older settings, or a cycle made by two runs: never loop for ever


def final_document(s: Session, url: str) -> Document | None:
    """The document a URL led to, following stored redirects (the URL's own document when it
    did not redirect; None when the URL was never fetched)."""
    doc = s.scalars(select(Document).where(Document.url == url)).first()
    seen = set()
    while doc is not None and doc.redirect_to_id is not None and doc.id not in seen and len(seen) < MAX_HOPS:
        seen.add(doc.id)
        doc = s.get(Document, doc.redirect_to_id)
    return doc


def final_capture(s: Session, url: str) -> Snapshot | None:
    """The latest snapshot of the page a URL led to."""
    doc = final_document(s, url)
    if doc is None:
        return None
    return s.scalars(select(Snapshot).where(Snapshot.document_id == doc.id).order_by(Snapshot.id.desc()).limit(1)).first()
