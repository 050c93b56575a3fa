"""Reading the store back out: stored reports (JSON Lines / CSV) and crawl runs."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO

from sqlalchemy import func, select

from storage.database import Database
from storage.models import Content, CrawlRun, Document, Report, ReportVersion, Snapshot

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


def write_jsonl(rows, out: IO[str]) -> int:
    """One JSON object a line; the number of rows written."""
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_reports(db: Database, fmt: str, out: IO[str], portal: str | None = None) -> int:
    """One row per stored URL (``export reports --per-location``)."""
    if fmt == "jsonl":
        return write_jsonl(iter_reports(db, portal=portal), out)
    n = 0
    writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS + ["failed_checks"])
    writer.writeheader()
    for row in iter_reports(db, portal=portal):
        checks = row.get("checks") or []
        row["failed_checks"] = ";".join(sorted({c["rule"] for c in checks if c.get("status") == "fail"}))
        for key in ("tables", "checks", "missing_tables", "partial_tables"):
            row[key] = json.dumps(row[key], ensure_ascii=False) if row[key] is not None else ""
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
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


# ---------------------------------------------------------------------------- logical reports
# One row per logical report (``storage.models.Report``): the page and its attachment, or a
# county's repost, are locations of one report. The reading shown is the location whose parse
# found the most of the three tables (ties: the HTML page); the publication date comes from the
# article page when the reading (an attachment) has none.

LOGICAL_META = [
    "report_id", "portal", "agency", "agency_simplified", "year", "title", "published", "published_source",
    "published_from_url", "url", "reading_role", "format", "script", "image_only", "tables_found",
    "missing_tables", "partial_tables", "failed_checks", "failed_check_count", "locations_count",
    "location_urls", "portals", "versions_count", "last_changed", "first_seen", "fetched_at", "sha256",
    "warc_file", "warc_offset",
]
LOGICAL_FIELDS = LOGICAL_META[:14] + ["missing_tables", "partial_tables", "tables", "checks", "failed_checks",
                                      "locations", "versions", "fetched_at", "sha256", "warc_file", "warc_offset"]
_BATCH = 100


def _ordered_union(*seqs):
    out: list = []
    for seq in seqs:
        for x in seq:
            if x not in out:
                out.append(x)
    return out


def table_cells() -> list[tuple[str, tuple[str, ...], str]]:
    """Every cell of the three tables in the official row order, both formats (2021, then the
    2019 rows and columns the 2021 format does not have): ``(column name, key path, label)``.
    The column name is the key path joined by dots, e.g. ``applications.new.natural_person``."""
    from harvester import reportformat as rf

    out = []
    subs = _ordered_union([s for s, *_ in rf.ACTIVE_2021], [s for s, *_ in rf.ACTIVE_2019])
    for sub in subs:
        seen = set()
        for layout in (rf.ACTIVE_2021, rf.ACTIVE_2019):
            for s, caption, rows, cols in layout:
                if s != sub:
                    continue
                for rk, rlabel in rows:
                    for ck, clabel in cols:
                        if ck == "amount_yuan":
                            clabel = "采购总金额(元)"  # the record converts 万元 to yuan
                        if (rk, ck) in seen:
                            continue
                        seen.add((rk, ck))
                        out.append((("active_disclosure", sub, rk, ck), f"主动公开 · {caption} {rlabel} · {clabel}"))
    out.sort(key=lambda x: (subs.index(x[0][1]),))  # stable: keeps row/column order within a sub
    rows = list(rf.app_row_keys("2021"))
    for k in rf.app_row_keys("2019"):
        if k not in rows:
            rows.insert(rows.index("other_no_correction"), k)
    app_labels = dict(rf.APP_ROWS_HEAD + rf.APP_ROW_TAIL)
    for layout in ("2021", "2019"):
        for group, grows in rf.results_layout(layout):
            for k, label in grows:
                app_labels.setdefault(k, (group or "") + label)
    for rk in rows:
        for ck in rf.APP_COLS:
            out.append((("applications", rk, ck), f"依申请公开 · {app_labels[rk]} · {rf.APP_COL_LABELS[ck]}"))
    group_labels = {"review": "行政复议", "litigation_direct": "行政诉讼 未经复议直接起诉",
                    "litigation_after_review": "行政诉讼 复议后起诉"}
    for g in rf.RL_GROUPS:
        for ck in rf.RL_COLS:
            out.append((("review_litigation", g, ck), f"复议诉讼 · {group_labels[g]} · {rf.RL_COL_LABELS[ck]}"))
    return [(".".join(path), path, label) for path, label in out]


def _get_path(tables, path):
    node = tables
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return None
        node = node[k]
    return None if isinstance(node, dict) else node


def _has_value(node) -> bool:
    """True when some cell under ``node`` holds a value (an unreadable cell is null)."""
    if isinstance(node, dict):
        return any(_has_value(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_value(v) for v in node)
    return node is not None


def tables_found(tables) -> int:
    """How many of the three tables were read: a table counts only when at least one of its
    cells has a value (a table whose cells were all unreadable is found in name only)."""
    t = tables if isinstance(tables, dict) else {}
    return sum(1 for k in ("active_disclosure", "applications", "review_litigation") if _has_value(t.get(k)))


def _content_columns():
    return (Content.sha256, Content.title, Content.agency, Content.year, Content.published, Content.format,
            Content.is_annual_report, Content.image_only, Content.record["tables"].label("tables"),
            Content.record["checks"].label("checks"), Content.record["missing_tables"].label("missing_tables"),
            Content.record["partial_tables"].label("partial_tables"), Content.record["script"].label("script"),
            Content.record["agency_simplified"].label("agency_simplified"),
            Content.record["source_format"].label("source_format"))


def _location(doc, c, snaps, parent_url) -> dict:
    role = "attachment" if (doc.parent_id is not None or doc.kind == "attachment") else "page"
    return {
        "doc_id": doc.id, "url": doc.url, "portal": doc.portal_id, "role": role, "page": parent_url,
        "is_report": doc.is_report, "first_seen": _iso(doc.first_seen), "last_seen": _iso(doc.last_seen),
        "sha256": doc.current_sha256,
        "format": c.format if c is not None else None,
        "source_format": c.source_format if c is not None else None,
        "published": c.published if c is not None else None,
        "tables_found": tables_found(c.tables) if c is not None else 0,
        "captures": [{"fetched_at": _iso(x.fetched_at), "status": x.status, "sha256": x.sha256,
                      "record_type": x.record_type, "warc_file": x.warc_file, "warc_offset": x.warc_offset}
                     for x in snaps],
        "_content": c,
        "_snaps": snaps,
    }


def _best(locs: list[dict]) -> dict:
    """The location whose parse found the most tables; ties: the page (HTML), then the oldest."""
    def key(loc):
        return (-loc["tables_found"], 0 if loc["role"] == "page" else 1,
                0 if (loc["source_format"] or "html") == "html" else 1, loc["doc_id"])
    with_content = [x for x in locs if x["_content"] is not None] or locs
    return min(with_content, key=key)


def _logical_row(report, locs: list[dict], parents: dict, versions: tuple | None) -> dict:
    best = _best(locs)
    c = best["_content"]
    rec_tables = c.tables if c is not None else None
    published, source, from_url = (c.published if c is not None else None), None, None
    if published:
        source, from_url = "reading", best["url"]
    else:
        # the attachment's article page first, then any other location that carries a date
        candidates = []
        if best["page"] is not None:
            candidates += [x for x in locs if x["url"] == best["page"]] + [parents.get(best["page"])]
        candidates += [x for x in locs if x["role"] == "page"] + locs
        for loc in candidates:
            if loc is not None and loc.get("published"):
                published, from_url = loc["published"], loc["url"]
                source = "page" if loc["role"] == "page" else "other location"
                break
    good = [x for x in best["_snaps"] if x.status == 200 and x.record_type == "response"] or best["_snaps"]
    snap = good[-1] if good else None
    checks = (c.checks if c is not None else None) or []
    failed = sorted({ch.get("rule") for ch in checks if isinstance(ch, dict) and ch.get("status") == "fail"})
    public_locs = [{k: v for k, v in x.items() if not k.startswith("_")} for x in locs]
    return {
        "report_id": report.id if report is not None else None,
        "portal": best["portal"],
        "agency": (c.agency if c is not None else None) or (report.agency if report is not None else None),
        "agency_simplified": c.agency_simplified if c is not None else None,
        "year": (c.year if c is not None else None) or (report.year if report is not None else None),
        "title": (c.title if c is not None else None) or (report.title if report is not None else None),
        "published": published,
        "published_source": source,
        "published_from_url": from_url,
        "url": best["url"],
        "reading_role": best["role"],
        "format": c.format if c is not None else None,
        "script": c.script if c is not None else None,
        "image_only": bool(c.image_only) if c is not None else None,
        "is_annual_report": bool(c.is_annual_report) if c is not None else None,
        "tables_found": best["tables_found"],
        "missing_tables": c.missing_tables if c is not None else None,
        "partial_tables": c.partial_tables if c is not None else None,
        "tables": rec_tables,
        "checks": checks,
        "failed_checks": failed,
        "locations": public_locs,
        "versions": {"count": versions[0] if versions else 0,
                     "last_seen": _iso(versions[1]) if versions else None,
                     "first_seen": _iso(report.first_seen) if report is not None else None,
                     "last_changed": _iso(report.last_changed) if report is not None else None},
        "fetched_at": _iso(snap.fetched_at) if snap else None,
        "sha256": snap.sha256 if snap else None,
        "warc_file": snap.warc_file if snap else None,
        "warc_offset": snap.warc_offset if snap else None,
    }


def _build_batch(s, groups: dict, reports: dict) -> list[dict]:
    """groups: key -> [doc ids] (one logical report each)."""
    doc_ids = [i for ids in groups.values() for i in ids]
    docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(doc_ids)))}
    parent_ids = {d.parent_id for d in docs.values() if d.parent_id is not None} - set(docs)
    parents = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(parent_ids)))} if parent_ids else {}
    shas = {d.current_sha256 for d in list(docs.values()) + list(parents.values()) if d.current_sha256}
    contents = {r.sha256: r for r in s.execute(select(*_content_columns()).where(Content.sha256.in_(shas)))} \
        if shas else {}
    snaps: dict = {}
    for x in s.scalars(select(Snapshot).where(Snapshot.document_id.in_(list(docs) + list(parents)))
                       .order_by(Snapshot.fetched_at, Snapshot.id)):
        snaps.setdefault(x.document_id, []).append(x)
    RV = ReportVersion
    rids = [r for r in reports if r is not None]
    versions = {r: (n, last) for r, n, last in s.execute(
        select(RV.report_id, func.count(), func.max(RV.seen_at)).where(RV.report_id.in_(rids)).group_by(RV.report_id)
    )} if rids else {}
    url_of = {i: d.url for i, d in {**docs, **parents}.items()}
    parent_locs = {}
    for pid, p in parents.items():
        parent_locs[p.url] = _location(p, contents.get(p.current_sha256), snaps.get(pid, []), None)
    rows = []
    for key, ids in groups.items():
        locs = [_location(docs[i], contents.get(docs[i].current_sha256), snaps.get(i, []),
                          url_of.get(docs[i].parent_id)) for i in sorted(ids) if i in docs]
        if not locs:
            continue
        rows.append(_logical_row(reports.get(key), locs, parent_locs, versions.get(key)))
    return rows


def iter_logical_reports(db: Database, portal: str | None = None, year: int | None = None,
                         batch: int = _BATCH) -> Iterator[dict]:
    """Every logical report with an annual-report location (in ``portal`` if given), ordered by
    report id, then stored reports not yet linked to a logical report (``report_id`` null).
    Read in batches of ``batch`` reports: memory does not grow with the store."""
    last = 0
    while True:
        with db.session() as s:
            # walk the reports' primary key (a DISTINCT over documents re-scans the table per batch)
            located = select(Document.id).where(Document.report_id == Report.id, Document.is_report.is_(True))
            if portal:
                located = located.where(Document.portal_id == portal)
            q = select(Report.id).where(Report.id > last, located.exists()).order_by(Report.id).limit(batch)
            ids = list(s.scalars(q))
            if not ids:
                break
            last = ids[-1]
            reports = {r.id: r for r in s.scalars(select(Report).where(Report.id.in_(ids)))}
            groups: dict = {}
            for rid, did in s.execute(select(Document.report_id, Document.id).where(Document.report_id.in_(ids))):
                groups.setdefault(rid, []).append(did)
            rows = _build_batch(s, groups, reports)
            s.expunge_all()
        for row in rows:
            if year is None or row["year"] == year:
                yield row
    last = 0
    while True:  # reports the store has not linked to a logical report: one row each
        with db.session() as s:
            q = (select(Document.id).where(Document.id > last, Document.is_report.is_(True),
                                           Document.report_id.is_(None)).order_by(Document.id).limit(batch))
            if portal:
                q = q.where(Document.portal_id == portal)
            ids = list(s.scalars(q))
            if not ids:
                break
            last = ids[-1]
            rows = _build_batch(s, {(None, i): [i] for i in ids}, {})
            s.expunge_all()
        for row in rows:
            if year is None or row["year"] == year:
                yield row


def logical_report(db: Database, report_id: int) -> dict | None:
    """One logical report as :func:`iter_logical_reports` gives it (None if unknown)."""
    with db.session() as s:
        rep = s.get(Report, report_id)
        if rep is None:
            return None
        ids = list(s.scalars(select(Document.id).where(Document.report_id == report_id)))
        rows = _build_batch(s, {report_id: ids}, {report_id: rep})
        return rows[0] if rows else None


def _flat_value(v):
    if isinstance(v, bool) or v is None or isinstance(v, (int, float, str)):
        return v
    return json.dumps(v, ensure_ascii=False)


def flat_header() -> list[str]:
    return LOGICAL_META + [name for name, _p, _l in table_cells()] + ["extra_cells"]


def flat_labels() -> list[tuple[str, str]]:
    """(column, what it holds) for every flat column (the XLSX ``columns`` sheet)."""
    meta = {
        "report_id": "逻辑报告编号", "portal": "门户(所用版本)", "agency": "发布机构", "agency_simplified": "发布机构(简体)",
        "year": "年度", "title": "标题", "published": "发布日期", "published_source":
            "发布日期来源: reading=所用版本本身, page=附件所在的文章页面, other location=其他位置",
        "published_from_url": "发布日期取自的网址", "url": "所用版本的网址(表格最全,同等时取网页)",
        "reading_role": "所用版本: page 网页 / attachment 附件", "format": "表格格式(2021/2019/legacy/unknown)",
        "script": "简繁体", "image_only": "仅有图片版", "tables_found": "找到的表格数(0-3)",
        "missing_tables": "缺失的表格", "partial_tables": "不完整的表格", "failed_checks": "未通过的校验规则",
        "failed_check_count": "未通过的校验数", "locations_count": "位置数(网页、附件、转载)",
        "location_urls": "全部位置的网址", "portals": "出现于哪些门户", "versions_count": "内容版本数",
        "last_changed": "最近一次内容变更", "first_seen": "首次发现", "fetched_at": "所用版本的采集时间",
        "sha256": "所用版本的 sha256", "warc_file": "WARC 文件", "warc_offset": "WARC 偏移",
    }
    out = [(k, meta[k]) for k in LOGICAL_META]
    out += [(name, label) for name, _p, label in table_cells()]
    out.append(("extra_cells", "官方格式以外的单元格(JSON)"))
    return out


def flat_row(row: dict, cells=None) -> list:
    """A logical report as one spreadsheet row in :func:`flat_header` order."""
    cells = cells if cells is not None else table_cells()
    tables = row.get("tables") or {}
    locs = row.get("locations") or []
    out = [
        row["report_id"], row["portal"], row["agency"], row["agency_simplified"], row["year"], row["title"],
        row["published"], row["published_source"], row["published_from_url"], row["url"], row["reading_role"],
        row["format"], row["script"], row["image_only"], row["tables_found"],
        ";".join(row.get("missing_tables") or []), ";".join(row.get("partial_tables") or []),
        ";".join(r for r in row.get("failed_checks") or [] if r),
        sum(1 for c in row.get("checks") or [] if isinstance(c, dict) and c.get("status") == "fail"),
        len(locs), " ".join(x["url"] for x in locs), " ".join(sorted({x["portal"] for x in locs})),
        row["versions"]["count"], row["versions"]["last_changed"], row["versions"]["first_seen"],
        row["fetched_at"], row["sha256"], row["warc_file"], row["warc_offset"],
    ]
    known = set()
    for _name, path, _label in cells:
        known.add(path)
        out.append(_flat_value(_get_path(tables, path)))
    from harvester.reportformat import table_leaves

    extra = {".".join(p): v for p, v in table_leaves(tables) if p not in known}
    out.append(json.dumps(extra, ensure_ascii=False) if extra else None)
    return out


# ------------------------------------------------------------------ spreadsheet-safe cells
# A harvested page is untrusted: a title such as ``=HYPERLINK(...)`` must reach a spreadsheet as
# text, never as a formula. Every CSV and XLSX export (the command line's and the browser's,
# compliance.csv, charts.csv) writes its cells through these helpers.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(s: str) -> bool:
    # a text that starts with "'" before a trigger is quoted too, so that unquoting is exact
    return s.startswith(FORMULA_TRIGGERS) or (s.startswith("'") and _needs_quote(s[1:]))


def csv_cell(v):
    """One CSV cell: None is empty, booleans ``true``/``false`` (as JSON spells them), numbers
    as they are (``-8`` stays a number), and a text that a spreadsheet would run as a formula
    (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading ``'``."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and _needs_quote(v):
        return "'" + v
    return v


def csv_text(s: str) -> str:
    """The text a :func:`csv_cell` was made from (removes the leading ``'`` it added)."""
    return s[1:] if s.startswith("'") and _needs_quote(s[1:]) else s


def csv_row(values) -> list:
    return [csv_cell(v) for v in values]


def xlsx_row(ws, values) -> list:
    """One XLSX row for ``ws.append``: numbers and booleans as such, every text as a string cell
    (openpyxl would store a text starting with ``=`` as a live formula and ``#N/A`` as an error);
    control characters XLSX cannot hold become U+FFFD."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    out = []
    for v in values:
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
            if v.startswith("=") or v in ERROR_CODES:
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
                v = cell
        out.append(v)
    return out


def write_logical(db: Database, fmt: str, out, portal: str | None = None) -> int:
    """Write the logical reports as jsonl, csv (to a text stream) or xlsx (``out`` is a path
    or a binary file). Streamed: rows are written as they are read."""
    if fmt == "jsonl":
        return write_jsonl(iter_logical_reports(db, portal=portal), out)
    n = 0
    cells = table_cells()
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(flat_header())
        for row in iter_logical_reports(db, portal=portal):
            w.writerow(csv_row(flat_row(row, cells)))
            n += 1
        return n
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)  # rows go to a temporary file as they come
        ws = wb.create_sheet("reports")
        ws.append(xlsx_row(ws, flat_header()))
        for row in iter_logical_reports(db, portal=portal):
            ws.append(xlsx_row(ws, flat_row(row, cells)))
            n += 1
        info = wb.create_sheet("columns")
        info.append(["column", "说明"])
        for name, label in flat_labels():
            info.append(xlsx_row(info, [name, label]))
        wb.save(out)
        return n
    raise ValueError(f"unknown export format {fmt!r} (jsonl, csv, xlsx)")
