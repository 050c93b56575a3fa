"""WACZ packages (the `wacz` tools) of a portal's or one report's captures, replayable in
ReplayWeb.page. A report's package holds exactly its captures: each location's response
records and the originals its revisits point at, copied byte for byte from the archive.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select

from storage.database import Database
from storage.models import Content, Document, Report, Snapshot
from storage.warc import portal_warc_files


class WaczError(ValueError):
    pass


def _copy_records(archive_dir: Path, locations: list[tuple[str, int, int]], out: Path) -> None:
    """Copy gzip members (one record each) into a new WARC file: no re-encoding."""
    with open(out, "wb") as dst:
        for warc_file, offset, length in locations:
            with open(archive_dir / warc_file, "rb") as src:
                src.seek(offset)
                dst.write(src.read(length))


def _pages(db: Database, doc_ids: list[int] | None, portal: str | None) -> list[dict]:
    with db.session() as s:
        q = select(Document, Content, Snapshot).join(Content, Content.sha256 == Document.current_sha256).join(
            Snapshot, Snapshot.document_id == Document.id
        ).where(Document.is_report.is_(True), Snapshot.record_type == "response", Snapshot.status == 200)
        if doc_ids is not None:
            q = q.where(Document.id.in_(doc_ids))
        if portal:
            q = q.where(Document.portal_id == portal)
        pages, seen = [], set()
        for doc, content, snap in s.execute(q.order_by(Snapshot.id)):
            if doc.url in seen:
                continue
            seen.add(doc.url)
            pages.append({"url": doc.url, "title": content.title or doc.link_text or doc.url,
                          "ts": snap.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        return pages


def export_wacz(db: Database, archive_dir: Path, out: Path, *, portal: str | None = None, report_id: int | None = None) -> dict:
    from wacz.main import main as wacz_main

    archive_dir = Path(archive_dir)
    with tempfile.TemporaryDirectory(prefix="harvester-wacz-") as tmp:
        tmp = Path(tmp)
        if report_id is not None:
            with db.session() as s:
                report = s.get(Report, report_id)
                if report is None:
                    raise WaczError(f"no report with id {report_id}")
                doc_ids = [d.id for d in s.scalars(select(Document).where(Document.report_id == report_id))]
                snaps = list(s.scalars(select(Snapshot).where(Snapshot.document_id.in_(doc_ids)).order_by(Snapshot.id)))
                needed = {sn.id: sn for sn in snaps}
                for sn in snaps:
                    if sn.payload_of_id and sn.payload_of_id not in needed:
                        needed[sn.payload_of_id] = s.get(Snapshot, sn.payload_of_id)
                locations = [(sn.warc_file, sn.warc_offset, sn.warc_length) for sn in sorted(needed.values(), key=lambda x: x.id)]
                title = f"{report.agency or ''}{report.year or ''}年政府信息公开工作年度报告"
            inputs = [tmp / "report.warc.gz"]
            _copy_records(archive_dir, locations, inputs[0])
            pages = _pages(db, doc_ids, None)
        else:
            if not portal:
                raise WaczError("name a portal or a report")
            inputs = portal_warc_files(archive_dir, portal)
            if not inputs:
                raise WaczError(f"no WARC files for portal {portal!r} in {archive_dir}")
            pages = _pages(db, None, portal)
            title = f"{portal}: archived annual reports"
        pages_file = tmp / "pages.jsonl"
        with open(pages_file, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n")
            for p in pages:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")
        tmp_out = tmp / "out.wacz"
        code = wacz_main(["create", "-o", str(tmp_out), "-p", str(pages_file), "--title", title, *map(str, inputs)])
        if code not in (0, None) or not tmp_out.exists():
            raise WaczError(f"wacz create failed (exit {code})")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp_out), out)
    return {"output": str(out), "warc_files": len(inputs), "pages": len(pages)}
