"""Fixity: prove that the archive still holds exactly what was captured.

``verify`` re-reads every WARC record, recomputes its block and payload digests, checks
every stored snapshot against the record it points at (record id, URL, type, sha256 of the
payload, revisit target) and every captured record against the store. Any difference is a
``Mismatch``; nothing is repaired.
"""
from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from storage.database import Database
from storage.models import Document, Snapshot
from storage.warc import portal_warc_files


@dataclass(frozen=True)
class Mismatch:
    where: str  # "file.warc.gz@offset" or "snapshot 12"
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass
class RecordInfo:
    warc_file: str
    offset: int
    record_id: str
    record_type: str
    url: str | None
    sha256: str | None  # of the payload (response records)
    refers_to: str | None


@dataclass
class FixityReport:
    files: int = 0
    records: int = 0
    snapshots: int = 0
    unreferenced_expected: int = 0  # robots.txt fetches are archived but not stored
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def summary(self) -> str:
        state = "OK" if self.ok else f"{len(self.mismatches)} MISMATCH(ES)"
        return (
            f"verify: {state} — {self.files} WARC files, {self.records} records re-read, "
            f"{self.snapshots} snapshots checked, {self.unreferenced_expected} robots.txt records not in the store (expected)"
        )


def read_records(path: Path, report: FixityReport) -> Iterator[RecordInfo]:
    """Every record of a WARC file with recomputed digests; problems go into ``report``."""
    name = path.name
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, check_digests=True)
        try:
            for rec in it:
                # read the payload before asking for the offset: that call consumes the record
                payload = rec.raw_stream.read()
                offset = it.get_record_offset()
                report.records += 1
                where = f"{name}@{offset}"
                if rec.digest_checker.passed is False:
                    report.mismatches.append(Mismatch(where, "digest mismatch: " + "; ".join(map(str, rec.digest_checker.problems))))
                yield RecordInfo(
                    warc_file=name,
                    offset=offset,
                    record_id=rec.rec_headers.get_header("WARC-Record-ID"),
                    record_type=rec.rec_type,
                    url=rec.rec_headers.get_header("WARC-Target-URI"),
                    sha256=hashlib.sha256(payload).hexdigest() if rec.rec_type == "response" else None,
                    refers_to=rec.rec_headers.get_header("WARC-Refers-To"),
                )
        except (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError) as exc:
            report.mismatches.append(Mismatch(f"{name}@{it.offset if hasattr(it, 'offset') else '?'}", f"unreadable: {type(exc).__name__}: {exc}"))


def verify(db: Database, archive_dir: Path, portal: str | None = None) -> FixityReport:
    report = FixityReport()
    files = portal_warc_files(archive_dir, portal) if portal else sorted(Path(archive_dir).glob("*.warc.gz"))
    by_location: dict[tuple[str, int], RecordInfo] = {}
    captures: list[RecordInfo] = []
    for path in files:
        report.files += 1
        for info in read_records(path, report):
            by_location[(info.warc_file, info.offset)] = info
            if info.record_type in ("response", "revisit"):
                captures.append(info)

    with db.session() as s:
        q = select(Snapshot, Document.url, Document.portal_id).join(Document)
        if portal:
            q = q.where(Document.portal_id == portal)
        rows = s.execute(q).all()
        record_of_snapshot = {snap.id: snap.warc_record_id for snap, _, _ in rows}
        referenced: set[str] = set()
        for snap, url, _pid in rows:
            report.snapshots += 1
            where = f"snapshot {snap.id} ({url})"
            referenced.add(snap.warc_record_id)
            info = by_location.get((snap.warc_file, snap.warc_offset))
            if info is None:
                problem = "WARC file missing" if not (Path(archive_dir) / snap.warc_file).exists() else "no record at the stored offset"
                report.mismatches.append(Mismatch(where, f"{problem}: {snap.warc_file}@{snap.warc_offset}"))
                continue
            if info.record_id != snap.warc_record_id:
                report.mismatches.append(Mismatch(where, f"record id {info.record_id} at the stored offset, store says {snap.warc_record_id}"))
                continue
            if info.url != url:
                report.mismatches.append(Mismatch(where, f"record is for {info.url}"))
            if info.record_type != snap.record_type:
                report.mismatches.append(Mismatch(where, f"record is a {info.record_type}, store says {snap.record_type}"))
            elif info.record_type == "response" and info.sha256 != snap.sha256:
                report.mismatches.append(Mismatch(where, f"payload sha256 {info.sha256} != stored {snap.sha256}"))
            elif info.record_type == "revisit":
                target = record_of_snapshot.get(snap.payload_of_id) if snap.payload_of_id else None
                if target is None and snap.payload_of_id:
                    target = s.scalar(select(Snapshot.warc_record_id).where(Snapshot.id == snap.payload_of_id))
                if target is None or info.refers_to != target:
                    report.mismatches.append(Mismatch(where, f"revisit refers to {info.refers_to}, store points at {target}"))
        for info in captures:
            if info.record_id in referenced:
                continue
            if info.url and info.url.endswith("/robots.txt"):
                report.unreferenced_expected += 1
                continue
            report.mismatches.append(Mismatch(f"{info.warc_file}@{info.offset}", f"{info.record_type} record for {info.url} is not in the store"))
    return report
