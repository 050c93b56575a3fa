"""After a crash: bring the store in line with what the archive already holds.

A harvest killed with SIGKILL leaves a run marked ``running``, WARC records whose pages never
reached the store, and possibly one record torn in half at the end of a file. Before the
portal is crawled again (under its lock, so no live process owns that run):

1. a torn tail is moved aside into ``<file>.torn-<offset>`` (kept, never deleted) so the
   file is whole again, and the file gets its CDXJ index;
2. every capture of the run that is missing from the store is stored from its WARC record
   (the metadata record written before each capture says its run, page kind, link text, the
   attachment's page and the URL that redirected to it), by ``storage.ingest.ingest_capture``
   like a page the crawl stores;
3. the run is marked ``interrupted``.

The next crawl then resumes: the pages that run captured are served from the archive
(``middlewares.archive_replay``) instead of being fetched again.
"""
from __future__ import annotations

import datetime as dt
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from storage.database import Database
from storage.ingest import Capture, ingest_capture
from storage.models import CrawlRun, Snapshot
from storage.warc import portal_warc_files, write_cdxj


@dataclass
class Recovery:
    runs: list[int] = field(default_factory=list)
    stored: int = 0  # captures added to the store from the archive
    torn: list[str] = field(default_factory=list)  # files whose torn tail was moved aside


def _scan(path: Path) -> tuple[list[dict], int | None]:
    """Records of a WARC file; and the offset where it stops being readable, if it does."""
    out: list[dict] = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        last_end = 0
        try:
            for rec in it:
                payload = rec.raw_stream.read()
                offset = it.get_record_offset()
                length = it.get_record_length()
                last_end = offset + length
                h = rec.rec_headers
                status = None
                headers: list[tuple[str, str]] = []
                if rec.http_headers is not None and rec.rec_type in ("response", "revisit"):
                    code = rec.http_headers.get_statuscode()
                    status = int(code) if code and code.isdigit() else None
                    headers = list(rec.http_headers.headers)
                out.append({
                    "type": rec.rec_type,
                    "id": h.get_header("WARC-Record-ID"),
                    "url": h.get_header("WARC-Target-URI"),
                    "date": h.get_header("WARC-Date"),
                    "concurrent_to": h.get_header("WARC-Concurrent-To"),
                    "refers_to": h.get_header("WARC-Refers-To"),
                    "offset": offset,
                    "length": length,
                    "status": status,
                    "headers": headers,
                    "payload": payload if rec.rec_type in ("response", "metadata") else b"",
                })
        except (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError):
            return out, last_end
    size = path.stat().st_size
    return out, (last_end if last_end < size and out else None)


def _move_torn_tail(path: Path, at: int) -> str:
    tail = path.read_bytes()[at:]
    aside = path.with_name(f"{path.name}.torn-{at}")
    aside.write_bytes(tail)
    with open(path, "r+b") as fh:
        fh.truncate(at)
        fh.flush()
        os.fsync(fh.fileno())
    return aside.name


def _fields(payload: bytes) -> dict[str, str]:
    out = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k.strip()] = v.strip()
    return out


def _parse_date(value: str) -> dt.datetime:
    return dt.datetime.strptime(value.rstrip("Z")[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.timezone.utc) \
        if "." in value else dt.datetime.strptime(value.rstrip("Z"), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)


def _stopped_by_storage(run: CrawlRun) -> bool:
    """A run a full or read-only disk stopped, whose archive was not yet brought into the store."""
    return any(isinstance(e, dict) and e.get("storage") == "unrecovered" for e in run.error_details or [])


CLOCK_SKEW = dt.timedelta(minutes=10)


def recover_portal(db: Database, archive_dir: Path, portal_id: str, read_page=None) -> Recovery:
    """Recover the portal's dead runs (status ``running``) and its runs a full or read-only disk
    stopped (``failed``, flagged in their error details). Call only while holding its lock.
    ``read_page(body, url, content_type)`` reads a body whose content the store lacks."""
    result = Recovery()
    with db.session() as s:
        dead = list(s.scalars(select(CrawlRun).where(CrawlRun.portal_id == portal_id, CrawlRun.status == "running")))
        dead += [r for r in s.scalars(select(CrawlRun).where(CrawlRun.portal_id == portal_id, CrawlRun.status == "failed"))
                 if _stopped_by_storage(r)]
        if not dead:
            return result
        # A file's time comes from the archive's filesystem, a run's start from the clock of the
        # machine that ran it: with workers on several machines sharing one archive volume the
        # two may differ, so files are looked at from well before (captures are picked by
        # their run id below; an older file only costs a read).
        since = min(r.started for r in dead) - CLOCK_SKEW
        run_ids = {r.id for r in dead}
    result.runs = sorted(run_ids)
    files = [p for p in portal_warc_files(Path(archive_dir), portal_id)
             if dt.datetime.fromtimestamp(p.stat().st_mtime, dt.timezone.utc) >= since]
    last_seen: dict[int, dt.datetime] = {}
    for path in files:
        records, torn_at = _scan(path)
        if torn_at is not None:
            _move_torn_tail(path, torn_at)
            result.torn.append(path.name)
        if not (Path(str(path) + ".cdxj")).exists() or torn_at is not None:
            write_cdxj(path)
        meta = {r["concurrent_to"]: _fields(r["payload"]) for r in records if r["type"] == "metadata"}
        captures = [r for r in records if r["type"] in ("response", "revisit")]
        with db.session() as s:
            known_ids = set(s.scalars(select(Snapshot.warc_record_id).where(Snapshot.warc_record_id.in_([c["id"] for c in captures])))) if captures else set()
            for cap in captures:
                fields = meta.get(cap["id"], {})
                try:
                    run_id = int(fields.get("harvester-run-id", ""))
                except ValueError:
                    continue  # robots.txt and other fetches outside a spider's pages
                if run_id not in run_ids or not fields.get("harvester-page-kind"):
                    continue
                when = _parse_date(cap["date"])
                last_seen[run_id] = max(last_seen.get(run_id, when), when)
                if cap["id"] in known_ids:
                    continue
                ingest_capture(s, _capture(s, portal_id, run_id, path.name, cap, fields, when), _reader(cap, read_page))
                result.stored += 1
    with db.session() as s:
        for run in s.scalars(select(CrawlRun).where(CrawlRun.id.in_(run_ids))):
            if run.status == "failed":  # stopped by the disk: it stays failed, with its cause
                run.error_details = [{**e, "storage": "recovered"} if isinstance(e, dict) and e.get("storage") else e
                                     for e in run.error_details] + [
                    {"url": None, "error": "what it archived was stored from the archive by the next run"}]
            else:
                run.status = "interrupted"
                run.finished = last_seen.get(run.id, run.started)
                run.error_details = list(run.error_details or []) + [
                    {"url": None, "error": "harvest process died; recovered from the archive by the next run"}
                ]
            run.errors = len(run.error_details)
    return result


def _capture(s, portal_id, run_id, warc_file, cap, fields, when) -> Capture:
    """The capture a WARC record and its metadata record describe."""
    import hashlib

    if cap["type"] == "response":
        sha256, size = hashlib.sha256(cap["payload"]).hexdigest(), len(cap["payload"])
    else:
        original = s.scalars(select(Snapshot).where(Snapshot.warc_record_id == cap["refers_to"])).first()
        sha256 = fields.get("harvester-payload-sha256") or (original.sha256 if original else "")
        size = original.size if original else 0
    redirected_from = fields.get("harvester-redirected-from")
    return Capture(
        portal_id=portal_id, url=cap["url"], kind=fields["harvester-page-kind"], status=cap["status"] or 0,
        headers=dict(cap["headers"]), fetched_at=when, run_id=run_id, warc_file=warc_file,
        warc_offset=cap["offset"], warc_length=cap["length"], warc_record_id=cap["id"], sha256=sha256, size=size,
        record_type=cap["type"], refers_to=cap["refers_to"] if cap["type"] == "revisit" else None,
        link_text=fields.get("harvester-link-text") or None, parent_url=fields.get("harvester-parent-url") or None,
        redirected_from=[redirected_from] if redirected_from else [],
    )


def _reader(cap: dict, read_page):
    """Reads the record's body when the store lacks its content."""
    if read_page is None:
        return None
    ctype = next((v for k, v in cap["headers"] if k.lower() == "content-type"), None)
    return lambda capture: read_page(cap["payload"], capture.url, ctype)
