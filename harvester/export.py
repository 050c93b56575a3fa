"""Reading the store back out: stored reports (JSON Lines / CSV) and crawl runs."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO

from sqlalchemy import func, select

from storage.database import Database
from storage.models import Content, CrawlRun, Document, Snapshot

REPORT_FIELDS = [
    "portal", "url", "title", "agency", "year", "published", "fetched_at", "sha256",
    "is_annual_report", "format", "script", "image_only", "missing_tables", "partial_tables",
    "tables", "checks", "warc_file", "warc_offset",
]


def _iso(ts) -> str | None:
    return ts.isoformat(timespec="seconds") if ts is not None else None


def iter_reports(db: Database, portal: str | None = None) -> Iterator[dict]:
    """Every stored annual report, with its latest successful capture."""
    with db.session() as s:
        latest = (
            select(Snapshot.document_id, func.max(Snapshot.id).label("sid"))
            .where(Snapshot.status == 200)
            .group_by(Snapshot.document_id)
            .subquery()
        )
        q = (
            select(Document, Content, Snapshot)
            .join(Content, Content.sha256 == Document.current_sha256)
            .join(latest, latest.c.document_id == Document.id)
            .join(Snapshot, Snapshot.id == latest.c.sid)
            .where(Document.is_report.is_(True))
            .order_by(Document.portal_id, Content.year, Document.url)
        )
        if portal:
            q = q.where(Document.portal_id == portal)
        for doc, content, snap in s.execute(q):
            rec = content.record or {}
            yield {
                "portal": doc.portal_id,
                "url": doc.url,
                "title": content.title,
                "agency": content.agency,
                "year": content.year,
                "published": content.published,
                "fetched_at": _iso(snap.fetched_at),
                "sha256": snap.sha256,
                "is_annual_report": content.is_annual_report,
                "format": content.format,
                "script": rec.get("script"),
                "image_only": rec.get("image_only"),
                "missing_tables": rec.get("missing_tables"),
                "partial_tables": rec.get("partial_tables"),
                "tables": rec.get("tables"),
                "checks": rec.get("checks"),
                "warc_file": snap.warc_file,
                "warc_offset": snap.warc_offset,
            }


def write_reports(db: Database, fmt: str, out: IO[str]) -> int:
    n = 0
    if fmt == "jsonl":
        for row in iter_reports(db):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n
    writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS + ["failed_checks"])
    writer.writeheader()
    for row in iter_reports(db):
        checks = row.get("checks") or []
        row["failed_checks"] = ";".join(sorted({c["rule"] for c in checks if c.get("status") == "fail"}))
        for key in ("tables", "checks", "missing_tables", "partial_tables"):
            row[key] = json.dumps(row[key], ensure_ascii=False) if row[key] is not None else ""
        writer.writerow(row)
        n += 1
    return n


def list_runs(db: Database, portal: str | None = None, limit: int | None = None) -> list[dict]:
    with db.session() as s:
        q = select(CrawlRun).order_by(CrawlRun.started.desc(), CrawlRun.id.desc())
        if portal:
            q = q.where(CrawlRun.portal_id == portal)
        if limit:
            q = q.limit(limit)
        return [
            {
                "id": r.id,
                "portal": r.portal_id,
                "started": _iso(r.started),
                "finished": _iso(r.finished),
                "status": r.status,
                "mode": r.mode,
                "requests": r.requests,
                "responses": r.responses,
                "bytes": r.bytes,
                "pages": r.pages,
                "new_reports": r.new_reports,
                "changed_reports": r.changed_reports,
                "unchanged_reports": r.unchanged_reports,
                "not_modified": r.not_modified,
                "errors": r.errors,
                "error_details": r.error_details,
            }
            for r in s.scalars(q)
        ]


def format_runs(runs: list[dict]) -> str:
    header = ["id", "portal", "started", "finished", "status", "req", "responses", "bytes", "new", "chg", "err"]
    rows = [
        [
            str(r["id"]), r["portal"], r["started"] or "", r["finished"] or "", r["status"],
            str(r["requests"]), " ".join(f"{k}:{v}" for k, v in r["responses"].items()),
            str(r["bytes"]), str(r["new_reports"]), str(r["changed_reports"]), str(r["errors"]),
        ]
        for r in runs
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)
