"""Re-read archived pages without fetching: run extraction and the parser again over the
bodies in the WARC files and update what the store says about them (after a parser fix):
each content row, and its documents through ``storage.ingest.refile_documents`` (a page that
now reads as a report joins its logical report, as when it was stored).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from harvester.extraction import read_page
from storage.database import Database
from storage.ingest import refile_documents
from storage.models import Content, Document, Snapshot
from storage.warc import read_record


@dataclass
class ReparseResult:
    contents: int = 0
    reclassified: int = 0
    errors: int = 0


def reparse(db: Database, archive_dir: Path, portal: str | None = None, progress=None) -> ReparseResult:
    result = ReparseResult()
    with db.session() as s:
        q = (
            select(Content.sha256, Snapshot.warc_file, Snapshot.warc_offset, Document.url)
            .join(Snapshot, (Snapshot.sha256 == Content.sha256) & (Snapshot.record_type == "response") & (Snapshot.status == 200))
            .join(Document, Document.id == Snapshot.document_id)
            .order_by(Content.sha256, Snapshot.id)
        )
        if portal:
            q = q.where(Document.portal_id == portal)
        first: dict[str, tuple] = {}
        for sha, wf, off, url in s.execute(q):
            first.setdefault(sha, (wf, off, url))
    for sha, (wf, off, url) in first.items():
        rec = read_record(archive_dir, wf, off)
        ctype = next((v for k, v in rec.headers if k.lower() == "content-type"), None)
        fresh = read_page(rec.body, url, ctype)
        with db.session() as s:
            content = s.get(Content, sha)
            was = content.is_annual_report
            for key, value in fresh.items():
                setattr(content, key, value)
            refile_documents(s, content)
            result.contents += 1
            result.reclassified += int(was != content.is_annual_report)
            result.errors += int(bool(content.error))
        if progress:
            progress(result)
    return result
