"""Health events: raise (or refresh) an open event, close it when the condition clears.

One open event per (portal, kind, url): raising it again updates ``last_seen_at`` and the
detail instead of piling up duplicates.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import HealthEvent, utcnow

KINDS = ("no_reports", "column_moved", "blocked", "error_rate", "parse_failures", "crashed", "trap")


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


def open_events(s: Session, portal_id: str | None = None, limit: int | None = None) -> list[HealthEvent]:
    q = select(HealthEvent).where(HealthEvent.status == "open").order_by(HealthEvent.opened_at.desc())
    if portal_id:
        q = q.where(HealthEvent.portal_id == portal_id)
    if limit is not None:
        q = q.limit(limit)
    return list(s.scalars(q))


# -- what a finished run says about its portal ---------------------------------------------------
ERROR_RATE_THRESHOLD = 0.2  # errors / requests
ERROR_RATE_MIN_REQUESTS = 5
PARSE_FAILURE_JUMP = 3  # at least this many more than the previous full pass, and twice as many


def assess_run(s: Session, run_id: int, *, error_rate: float = ERROR_RATE_THRESHOLD) -> list[HealthEvent]:
    """Raise the events a finished run calls for and close those it shows cleared."""
    from sqlalchemy import func

    from storage.models import CrawlRun, Document

    run = s.get(CrawlRun, run_id)
    pid = run.portal_id
    raised: list[HealthEvent] = []
    # blocked
    if run.status == "blocked":
        raised.append(raise_event(s, pid, "blocked", "the portal blocks the harvester (challenge or 403); not retried until the next run",
                                  run_id=run_id, data={"responses": run.responses}))
    elif run.status in ("ok", "partial"):
        close_events(s, pid, "blocked")
    # a portal that yielded no reports where it had some (full passes see every report)
    seen = run.new_reports + run.changed_reports + run.unchanged_reports
    had = s.scalar(select(func.count()).select_from(Document).where(Document.portal_id == pid, Document.is_report.is_(True)))
    if run.mode == "full" and run.status != "interrupted":
        if seen == 0 and had:
            raised.append(raise_event(s, pid, "no_reports", f"this full pass found no annual reports; the portal had {had}",
                                      run_id=run_id, data={"known_reports": had}))
        elif seen:
            close_events(s, pid, "no_reports")
    # error rate
    if run.requests >= ERROR_RATE_MIN_REQUESTS and run.errors / max(run.requests, 1) > error_rate:
        raised.append(raise_event(
            s, pid, "error_rate", f"{run.errors} errors in {run.requests} requests (over {error_rate:.0%})", run_id=run_id,
            data={"errors": run.errors, "requests": run.requests, "examples": (run.error_details or [])[:5]},
        ))
    elif run.requests >= ERROR_RATE_MIN_REQUESTS and run.status != "interrupted":
        close_events(s, pid, "error_rate")
    # parse failures jumping against the previous full pass
    if run.mode == "full" and run.status in ("ok", "partial"):
        prev = s.scalars(
            select(CrawlRun).where(CrawlRun.portal_id == pid, CrawlRun.id < run_id, CrawlRun.mode == "full",
                                   CrawlRun.status.in_(("ok", "partial"))).order_by(CrawlRun.id.desc()).limit(1)
        ).first()
        before = prev.parse_failures if prev is not None else 0
        if run.parse_failures >= before + PARSE_FAILURE_JUMP and run.parse_failures >= 2 * max(before, 1):
            raised.append(raise_event(
                s, pid, "parse_failures",
                f"{run.parse_failures} report pages could not be read into tables (previous full pass: {before})",
                run_id=run_id, data={"now": run.parse_failures, "before": before},
            ))
        elif run.parse_failures <= before:
            close_events(s, pid, "parse_failures")
    return raised
