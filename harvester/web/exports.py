"""Downloads of the archive browser: CSV and XLSX of the tables and of the logical reports
(as ``harvester export``), and a report's evidence bundle (its WARC records, metadata and
checks in one ZIP)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import select

from harvester.export import (csv_row, flat_header, flat_row, iter_logical_reports, iter_reports, table_cells,
                              write_logical, xlsx_row)
from harvester.web import layout
from harvester.web.queries import iso, report_detail
from storage.database import Database
from storage.models import Snapshot

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOM = "\ufeff"  # Excel opens UTF-8 CSV correctly with a BOM


def csv_bytes(rows: Iterable[list]) -> bytes:
    buf = io.StringIO()
    buf.write(_BOM)
    w = csv.writer(buf)
    for r in rows:
        w.writerow(csv_row(r))  # text that a spreadsheet would run as a formula gets a leading '
    return buf.getvalue().encode("utf-8")


def logical_reports_csv(db: Database, portal: str | None = None) -> Iterator[bytes]:
    """The logical reports as ``harvester export reports --format csv``, in chunks of ~64 KiB."""
    buf = io.StringIO()
    buf.write(_BOM)
    w = csv.writer(buf)
    w.writerow(csv_row(flat_header()))
    cells = table_cells()
    for row in iter_logical_reports(db, portal=portal):
        w.writerow(csv_row(flat_row(row, cells)))
        if buf.tell() > 1 << 16:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def logical_reports_xlsx(db: Database, portal: str | None = None) -> str:
    """The logical reports as ``harvester export reports --format xlsx``, written to a temporary
    file whose path is returned (the caller deletes it)."""
    fd, path = tempfile.mkstemp(prefix="harvester-reports-", suffix=".xlsx")
    os.close(fd)
    try:
        write_logical(db, "xlsx", path, portal=portal)
    except BaseException:
        os.unlink(path)
        raise
    return path


def report_rows(db: Database, portal: str | None = None, year: int | None = None):
    for row in iter_reports(db, portal=portal):
        if year is not None and row["year"] != year:
            continue
        yield row


def tables_long_rows(db: Database, portal=None, year=None):
    yield ["portal", "agency", "year", "format", "published", "url", "table", "row", "column", "label", "value"]
    for r in report_rows(db, portal, year):
        for t, row, col, v in layout.flatten_tables(r.get("tables") or {}):
            yield [r["portal"], r["agency"], r["year"], r["format"], r["published"], r["url"], t, row, col,
                   layout.place_label(t, row, col), "" if v is None else v]


def tables_xlsx(db: Database, portal=None, year=None) -> bytes:
    from openpyxl import Workbook  # only for this download: a slow import

    wb = Workbook(write_only=True)
    reports = list(report_rows(db, portal, year))
    meta_cols = ["portal", "agency", "year", "format", "published", "url", "failed_checks"]
    for tkey, title in (("active_disclosure", "主动公开"), ("applications", "依申请公开"),
                        ("review_litigation", "复议诉讼")):
        ws = wb.create_sheet(title)
        keys: list = []
        seen = set()
        flat_rows = []
        for r in reports:
            flat = {(row, col): v for t, row, col, v in layout.flatten_tables(r.get("tables") or {}) if t == tkey}
            for k in flat:
                if k not in seen:
                    seen.add(k)
                    keys.append(k)
            flat_rows.append(flat)
        ws.append(xlsx_row(ws, meta_cols + [f"{row}.{col}" for row, col in keys]))
        ws.append(xlsx_row(ws, [""] * len(meta_cols) + [layout.place_label(tkey, row, col) for row, col in keys]))
        for r, flat in zip(reports, flat_rows):
            fails = sum(1 for c in r.get("checks") or [] if c.get("status") == "fail")
            ws.append(xlsx_row(ws, [r["portal"], r["agency"], r["year"], r["format"], r["published"], r["url"],
                                    fails] + [flat.get(k) for k in keys]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def evidence_zip(db: Database, archive_dir: Path, doc_id: int) -> tuple[str, bytes]:
    detail = report_detail(db, doc_id)
    meta = detail["report"]
    buf = io.BytesIO()
    warc_parts = []
    with db.session() as s:
        snaps = s.scalars(select(Snapshot).where(Snapshot.document_id == doc_id).order_by(Snapshot.id)).all()
        wanted = {x.id: x for x in snaps}
        for x in snaps:
            if x.payload_of_id and x.payload_of_id not in wanted:
                p = s.get(Snapshot, x.payload_of_id)
                if p is not None:
                    wanted[p.id] = p
        for sid in sorted(wanted):
            x = wanted[sid]
            path = Path(archive_dir) / x.warc_file
            with open(path, "rb") as fh:
                fh.seek(x.warc_offset)
                data = fh.read(x.warc_length)
            warc_parts.append((x, data))
    manifest = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for x, data in warc_parts:
            name = f"warc/snapshot-{x.id}.warc.gz"
            z.writestr(name, data)
            manifest.append({"file": name, "snapshot": x.id, "fetched_at": iso(x.fetched_at),
                             "record_type": x.record_type, "warc_file": x.warc_file, "warc_offset": x.warc_offset,
                             "warc_length": x.warc_length, "warc_record_id": x.warc_record_id,
                             "sha256_of_record_bytes": hashlib.sha256(data).hexdigest(),
                             "payload_sha256": x.sha256})
        public = {k: v for k, v in detail.items() if not k.startswith("_")}
        z.writestr("metadata.json", json.dumps({"report": meta, "captures": detail["captures"],
                                                "attachments": detail["attachments"],
                                                "logical_report": detail["logical_report"],
                                                "versions": detail["versions"],
                                                "previous_report": detail["previous_report"],
                                                "warc_records": manifest,
                                                "generated_at": iso(dt.datetime.now(dt.timezone.utc))},
                                               ensure_ascii=False, indent=1))
        z.writestr("checks.json", json.dumps({"parse_time": public["checks"], "cross_year": public["cross_year"],
                                              "summary": public["summary"]}, ensure_ascii=False, indent=1))
        z.writestr("record.json", json.dumps(detail["_record"], ensure_ascii=False, indent=1))
        if detail["text"]:
            z.writestr("text.txt", detail["text"])
        z.writestr("README.txt", (
            "证据包 / evidence bundle\n"
            f"URL: {meta['url']}\n"
            "warc/*.warc.gz: 存档的原始 WARC 记录 (逐字节, 可用 warcio 读取)\n"
            "metadata.json: 元数据与采集记录; checks.json: 校验结果; record.json: 解析结果\n"))
    return f"evidence-{doc_id}.zip", buf.getvalue()
