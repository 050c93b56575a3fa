"""Running harvests of registry portals with Scrapy, in this process.

A Twisted reactor runs once per process: ``run_crawl`` is called at most once per process
(the CLI, a scheduled child process, a test's subprocess).
"""
from __future__ import annotations

import logging
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import select

from harvester.registry import PortalEntry
from spiders import spider_for
from storage.database import Database
from storage.models import CrawlRun, Portal

log = logging.getLogger(__name__)


class NetworkErrorsWithoutTraceback(logging.Filter):
    """A refused connection, a DNS failure or a timeout is one log line, not a traceback:
    the message already names the URL and the cause, and the run records it."""

    def filter(self, record: logging.LogRecord) -> bool:
        from twisted.internet import error as terr

        exc = record.exc_info[1] if record.exc_info else None
        seen = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            if isinstance(exc, (terr.ConnectError, terr.DNSLookupError, terr.TimeoutError, TimeoutError, ConnectionError)):
                record.exc_info = None
                record.exc_text = None
                break
            exc = exc.__cause__ or exc.__context__
        return True


def crawl_settings(db_url: str, archive_dir: str, overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    settings.set("HARVESTER_DB_URL", db_url, priority="cmdline")
    settings.set("HARVESTER_ARCHIVE_DIR", archive_dir, priority="cmdline")
    for k, v in (overrides or {}).items():
        settings.set(k, v, priority="cmdline")
    return settings


def sync_portals(db: Database, entries: list[PortalEntry]) -> None:
    """Registry entries become (or update) portal rows."""
    with db.session() as s:
        for e in entries:
            p = s.get(Portal, e.id)
            if p is None:
                p = Portal(id=e.id)
                s.add(p)
            p.name, p.url, p.family, p.columns = e.name, e.url, e.family, list(e.columns)


def run_crawl(
    db: Database,
    entries: list[PortalEntry],
    archive_dir: str,
    overrides: dict | None = None,
    mode: str = "auto",
    *,
    purpose: str = "manual",
    wait: float = 0.0,
) -> tuple[list[int], list[tuple[str, str]]]:
    """Harvest the portals side by side, each under its lock.

    ``mode``: "auto" (full pass when the last one is older than HARVESTER_FULL_EVERY_DAYS,
    else incremental), "full" or "incremental". A portal already being harvested elsewhere
    is waited for up to ``wait`` seconds, then refused. A portal whose last run died is
    recovered from the archive first, and the new run resumes it.

    Returns the ids of the runs this call created and the refused portals with the reason.
    """
    from harvester.extraction import read_page
    from harvester.locks import Heartbeat, LockBusy, acquire, new_holder
    from storage.recovery import recover_portal

    sync_portals(db, entries)
    holder = new_holder()
    leases, refused, chosen = [], [], []
    for e in entries:
        try:
            leases.append(acquire(db, e.id, holder, purpose, wait=wait))
            chosen.append(e)
        except LockBusy as exc:
            refused.append((e.id, str(exc)))
    if not chosen:
        return [], refused
    with Heartbeat(db, leases):
        for e in chosen:
            rec = recover_portal(db, Path(archive_dir), e.id, read_page=read_page)
            if rec.runs:
                log.warning("portal %s: run(s) %s had died; %d captures recovered from the archive%s", e.id, rec.runs,
                            rec.stored, f", torn records set aside in {rec.torn}" if rec.torn else "")
        with db.session() as s:
            before = s.scalar(select(CrawlRun.id).order_by(CrawlRun.id.desc()).limit(1)) or 0
        settings = crawl_settings(db.engine.url.render_as_string(hide_password=False), archive_dir, overrides)
        process = CrawlerProcess(settings)
        for e in chosen:
            d = process.crawl(
                spider_for(e.family), portal_id=e.id, url=e.url, columns=list(e.columns), mode=mode, **e.spider_kwargs()
            )
            # One portal failing to start must not stop the others.
            d.addErrback(lambda f, pid=e.id: log.error("portal %s could not be crawled: %s", pid, f.getErrorMessage()))
        # Each crawler re-installs Scrapy's root handler: filter the one that is left.
        for handler in logging.root.handlers:
            handler.addFilter(NetworkErrorsWithoutTraceback())
        process.start()
    with db.session() as s:
        runs = list(s.scalars(select(CrawlRun.id).where(CrawlRun.id > before).order_by(CrawlRun.id)))
    return runs, refused
