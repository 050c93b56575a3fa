"""Health events: raise (or refresh) an open event, close it when the condition clears.

One open event per (portal, kind, url): raising it again updates ``last_seen_at`` and the
detail instead of piling up duplicates.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import HealthEvent, utcnow

KINDS = ("no_reports", "column_moved", "blocked", "error_rate", "parse_failures", "crashed")


def raise_event(
    s: Session,
    portal_id: str,
    kind: str,
    detail: str,
    *,
    url: str | None = None,
    run_id: int | None = None,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> HealthEvent:
    if kind not in KINDS:
        raise ValueError(f"unknown health event kind {kind!r}; known: {', '.join(KINDS)}")
    now = now or utcnow()
    q = select(HealthEvent).where(
        HealthEvent.portal_id == portal_id, HealthEvent.kind == kind, HealthEvent.status == "open"
    )
    q = q.where(HealthEvent.url == url) if url is not None else q.where(HealthEvent.url.is_(None))
    event = s.scalars(q.limit(1)).first()
    if event is None:
        event = HealthEvent(portal_id=portal_id, kind=kind, status="open", opened_at=now, url=url, data=data or {})
        s.add(event)
    event.last_seen_at = now
    event.detail = detail
    event.run_id = run_id
    if data is not None:
        event.data = data
    s.flush()
    return event


def close_events(s: Session, portal_id: str, kind: str, now: dt.datetime | None = None) -> int:
    """Close the open events of a kind for a portal (the condition cleared)."""
    n = 0
    for ev in s.scalars(
        select(HealthEvent).where(HealthEvent.portal_id == portal_id, HealthEvent.kind == kind, HealthEvent.status == "open")
    ):
        ev.status = "closed"
        ev.closed_at = now or utcnow()
        n += 1
    return n


def open_events(s: Session, portal_id: str | None = None) -> list[HealthEvent]:
    q = select(HealthEvent).where(HealthEvent.status == "open").order_by(HealthEvent.opened_at.desc())
    if portal_id:
        q = q.where(HealthEvent.portal_id == portal_id)
    return list(s.scalars(q))
