"""Read-side queries of the archive browser. Every function returns plain dicts/lists that the
HTML templates and the JSON API share."""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from harvester.export import list_runs
from harvester.web import layout
from harvester.web.replay import decode_body, is_html, visible_text
from storage.database import Database
from storage.models import Content, CrawlRun, Document, Portal, Report, ReportVersion, Snapshot
from storage.warc import read_record


class NotFound(LookupError):
    pass


def iso(ts) -> str | None:
    return ts.isoformat(timespec="seconds") if ts is not None else None


def ts14(ts: dt.datetime) -> str:
    return ts.astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M%S")


def parse_ts14(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def failed_count(record: dict | None) -> int:
    return sum(1 for c in (record or {}).get("checks") or [] if c.get("status") == "fail")


# ------------------------------------------------------------------------------ overview
def health_events(db: Database) -> list[dict] | None:
    """Open health events, if another component created the ``health_events`` table."""
    insp = inspect(db.engine)
    if not insp.has_table("health_events"):
        return None
    cols = [c["name"] for c in insp.get_columns("health_events")]
    where = []
    for c in ("resolved_at", "closed_at", "resolved_on", "ended_at"):
        if c in cols:
            where.append(f"{c} IS NULL")
    if "resolved" in cols:
        where.append("(resolved IS NULL OR resolved = false)" if db.engine.dialect.name == "postgresql"
                     else "(resolved IS NULL OR resolved = 0)")
    if "status" in cols:
        where.append("(status IS NULL OR lower(status) NOT IN ('resolved', 'closed', 'ok'))")
    order = " ORDER BY " + next((c for c in ("opened_at", "started_at", "created_at", "detected_at", "id")
                                 if c in cols), cols[0]) + " DESC"
    sql = "SELECT * FROM health_events" + (" WHERE " + " AND ".join(where) if where else "") + order + " LIMIT 200"
    with db.session() as s:
        rows = s.execute(text(sql)).mappings().all()
    return [{k: (iso(v) if isinstance(v, dt.datetime) else v) for k, v in r.items()} for r in rows]


def logical_counts(s: Session, portal: str | None = None) -> dict:
    """Per portal: logical reports found there (a page and its attachment count once; a stored
    report not linked to a logical report counts alone)."""
    sql = ("SELECT portal_id, count(DISTINCT report_id) + sum(CASE WHEN report_id IS NULL THEN 1 ELSE 0 END) "
           "FROM documents WHERE is_report" + (" AND portal_id = :p" if portal else "") + " GROUP BY portal_id")
    return {k: int(v) for k, v in s.execute(text(sql), {"p": portal} if portal else {}).all()}


def overview(db: Database) -> dict:
    with db.session() as s:
        portals = s.scalars(select(Portal).order_by(Portal.id)).all()
        counts = dict(s.execute(text(
            "SELECT portal_id, count(*) FROM search_meta WHERE is_report GROUP BY portal_id")).all())
        failing = dict(s.execute(text(
            "SELECT portal_id, count(*) FROM search_meta WHERE is_report AND failed > 0 GROUP BY portal_id")).all())
        logical = logical_counts(s)
        last_ids = select(CrawlRun.portal_id, func.max(CrawlRun.id).label("rid")).group_by(CrawlRun.portal_id).subquery()
        last = {r.portal_id: r for r in s.scalars(select(CrawlRun).join(last_ids, last_ids.c.rid == CrawlRun.id))}
        out = []
        for p in portals:
            run = last.get(p.id)
            out.append({
                "id": p.id, "name": p.name, "url": p.url, "family": p.family,
                "reports": counts.get(p.id, 0), "reports_with_failures": failing.get(p.id, 0),
                "logical_reports": logical.get(p.id, 0),
                "last_run": None if run is None else {
                    "id": run.id, "started": iso(run.started), "finished": iso(run.finished),
                    "status": run.status, "mode": run.mode, "errors": run.errors,
                    "new_reports": run.new_reports, "changed_reports": run.changed_reports,
                },
            })
    return {"portals": out, "totals": {"portals": len(out), "reports": sum(counts.values())},
            "health_events": health_events(db)}


# -------------------------------------------------------------------------------- portal
def portal_detail(db: Database, portal_id: str, *, page: int = 1, per_page: int = 200) -> dict:
    with db.session() as s:
        p = s.get(Portal, portal_id)
        if p is None:
            raise NotFound(f"没有此门户: {portal_id}")
        total = s.execute(text("SELECT count(*) FROM search_meta WHERE portal_id = :p AND is_report"),
                          {"p": portal_id}).scalar_one()
        rows = s.execute(text(
            "SELECT doc_id, url, title, agency, year, format, published, failed FROM search_meta "
            "WHERE portal_id = :p AND is_report ORDER BY year DESC, agency, doc_id "
            "LIMIT :lim OFFSET :off"), {"p": portal_id, "lim": per_page, "off": (page - 1) * per_page}).mappings().all()
        years: dict = {}
        for r in rows:
            years.setdefault(r["year"], []).append(dict(r))
        others = s.execute(text(
            "SELECT doc_id, url, title, year FROM search_meta WHERE portal_id = :p AND NOT is_report "
            "ORDER BY doc_id LIMIT 200"), {"p": portal_id}).mappings().all()
        info = {"id": p.id, "name": p.name, "url": p.url, "family": p.family, "columns": p.columns}
        logical = logical_counts(s, portal_id).get(portal_id, 0)
    return {
        "portal": info, "total_reports": total, "total_logical_reports": logical, "page": page, "per_page": per_page,
        "pages": max(1, (total + per_page - 1) // per_page),
        "years": [{"year": y, "reports": v} for y, v in years.items()],
        "other_items": [dict(r) for r in others],
        "runs": list_runs(db, portal=portal_id, limit=50),
    }


# -------------------------------------------------------------------------------- report
def _snapshot_dict(snap: Snapshot) -> dict:
    return {
        "id": snap.id, "fetched_at": iso(snap.fetched_at), "status": snap.status, "sha256": snap.sha256,
        "size": snap.size, "record_type": snap.record_type, "payload_of": snap.payload_of_id,
        "run_id": snap.run_id, "warc_file": snap.warc_file, "warc_offset": snap.warc_offset,
        "warc_length": snap.warc_length, "warc_record_id": snap.warc_record_id,
        "content_type": (snap.headers or {}).get("Content-Type") or (snap.headers or {}).get("content-type"),
    }


def _timeline(snaps: list[Snapshot]) -> list[dict]:
    """Captures in time order; ``changed`` marks a body whose digest differs from the one before."""
    out = []
    prev = None  # the last capture that carried a body
    for snap in snaps:
        d = _snapshot_dict(snap)
        has_body = snap.status == 200 or snap.record_type == "revisit"
        d["has_body"] = has_body
        d["previous_capture"] = prev["id"] if prev else None
        d["changed"] = bool(has_body and prev is not None and snap.sha256 != prev["sha256"])
        d["first"] = bool(has_body and prev is None)
        if has_body:
            prev = d
        out.append(d)
    return out


def _doc_content(s: Session, doc_id: int) -> tuple[Document, Content | None]:
    doc = s.get(Document, doc_id)
    if doc is None:
        raise NotFound(f"没有此文档: {doc_id}")
    content = s.get(Content, doc.current_sha256) if doc.current_sha256 else None
    return doc, content


def previous_year_report(s: Session, agency: str | None, year: int | None,
                         agency_simplified: str | None = None) -> dict | None:
    """The same agency's report for the year before (matched as published, then simplified):
    ``{doc_id, url, title, year, sha256}``, looked up in the search index's metadata."""
    if not isinstance(year, int):
        return None
    for name in dict.fromkeys(n for n in (agency, agency_simplified) if n):
        row = s.execute(text(
            "SELECT m.doc_id, m.url, m.title, m.year, d.current_sha256 AS sha256 FROM search_meta m "
            "JOIN documents d ON d.id = m.doc_id WHERE m.agency = :a AND m.year = :y AND m.is_report "
            "ORDER BY m.doc_id DESC LIMIT 1"), {"a": name, "y": year - 1}).mappings().first()
        if row is not None and row["sha256"]:
            return dict(row)
    return None


_CROSS_CACHE: dict = {}
_CROSS_CACHE_MAX = 4096


def cached_cross_year(s: Session, prev_sha: str, cur_sha: str, current: dict) -> list[dict]:
    """cross_year(previous, current), memoised per pair of contents (a content is immutable per
    digest; a re-parse changes its parser version, which is part of the key)."""
    key = (prev_sha, cur_sha, current.get("parser_version"))
    hit = _CROSS_CACHE.get(key)
    if hit is not None:
        return hit
    prev = s.get(Content, prev_sha)
    out = cross_year_checks((prev.record if prev else None) or {}, current)
    if len(_CROSS_CACHE) >= _CROSS_CACHE_MAX:
        _CROSS_CACHE.clear()
    _CROSS_CACHE[key] = out
    return out


def cross_year_checks(previous: dict, current: dict) -> list[dict]:
    try:
        from harvester.parser.checks import cross_year
    except ImportError:  # the parser is being finished elsewhere
        return []
    try:
        return cross_year(previous, current)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not hide the report
        return [{"rule": "S*", "status": "uncertain", "table": None, "row": None, "column": None,
                 "operands": {}, "expected": None, "actual": None, "detail": f"cross-year check failed: {exc}"}]


def report_detail(db: Database, doc_id: int) -> dict:
    with db.session() as s:
        doc, content = _doc_content(s, doc_id)
        record = (content.record if content else None) or {}
        snaps = s.scalars(select(Snapshot).where(Snapshot.document_id == doc.id)
                          .order_by(Snapshot.fetched_at, Snapshot.id)).all()
        captures = _timeline(snaps)
        latest = next((c for c in reversed(captures) if c["status"] == 200 and c["sha256"] == doc.current_sha256), None) \
            or next((c for c in reversed(captures) if c["has_body"]), None)
        agency = content.agency if content else None
        year = content.year if content else None
        previous = previous_year_report(s, agency, year, record.get("agency_simplified"))
        cross = []
        if previous is not None and content is not None:
            cross = cached_cross_year(s, previous["sha256"], content.sha256, record)
        attachments, versions, logical = [], [], None
        parent_col = getattr(Document, "parent_id", None)  # schema 0005: attachments point at their page
        if parent_col is not None:
            for d in s.scalars(select(Document).where(parent_col == doc.id).order_by(Document.id)):
                attachments.append({"doc_id": d.id, "url": d.url, "kind": d.kind, "title": d.link_text,
                                    "is_report": d.is_report, "relation": "attachment"})
        if doc.report_id is not None:
            rep = s.get(Report, doc.report_id)
            if rep is not None:
                logical = {"id": rep.id, "agency": rep.agency, "year": rep.year, "title": rep.title,
                           "first_seen": iso(rep.first_seen), "last_changed": iso(rep.last_changed),
                           "api": f"/api/logical-reports/{rep.id}"}
            seen = {a["doc_id"] for a in attachments}
            for d in s.scalars(select(Document).where(Document.report_id == doc.report_id, Document.id != doc.id)
                               .order_by(Document.id)):
                if d.id not in seen:
                    attachments.append({"doc_id": d.id, "url": d.url, "kind": d.kind, "title": d.link_text,
                                        "is_report": d.is_report, "relation": "same report"})
            for v in s.scalars(select(ReportVersion).where(ReportVersion.report_id == doc.report_id)
                               .order_by(ReportVersion.seen_at)):
                versions.append({"document_id": v.document_id, "content_sha256": v.content_sha256,
                                 "seen_at": iso(v.seen_at), "previous_content_sha256": v.previous_content_sha256,
                                 "previous_seen_at": iso(v.previous_seen_at)})
        meta = {
            "doc_id": doc.id, "portal_id": doc.portal_id, "url": doc.url, "kind": doc.kind,
            "link_text": doc.link_text, "is_report": doc.is_report,
            "parent_id": getattr(doc, "parent_id", None),
            "first_seen": iso(doc.first_seen), "last_seen": iso(doc.last_seen),
            "sha256": doc.current_sha256,
            "title": content.title if content else doc.link_text,
            "agency": agency, "year": year, "published": content.published if content else None,
            "format": content.format if content else None, "encoding": content.encoding if content else None,
            "size": content.size if content else None,
            "extractor_version": content.extractor_version if content else None,
            "parser_version": content.parser_version if content else None,
            "extracted_at": iso(content.extracted_at) if content else None,
            "error": content.error if content else None,
            "text_sha256": hashlib.sha256((content.text or "").encode()).hexdigest() if content and content.text else None,
            "warc": None if latest is None else {"file": latest["warc_file"], "offset": latest["warc_offset"],
                                                  "length": latest["warc_length"],
                                                  "record_id": latest["warc_record_id"], "snapshot": latest["id"]},
            "latest_capture": latest["id"] if latest else None,
        }
    if logical is not None:
        logical.update(logical_summary(db, logical["id"]) or {})
    parse_checks = list(record.get("checks") or [])
    return {
        "report": meta,
        "record": {k: record.get(k) for k in ("script", "image_only", "sections", "missing_tables",
                                               "partial_tables", "tables", "tables_raw")},
        "text": record.get("text") or (content.text if content else None),
        "checks": parse_checks,
        "cross_year": cross,
        "previous_report": previous,
        "summary": layout.check_summary(parse_checks + cross),
        "captures": captures,
        "attachments": attachments,
        "logical_report": logical,
        "versions": versions,
        "_record": record,
    }


def logical_summary(db: Database, report_id: int) -> dict | None:
    """The logical report as the API and the report page show it: the reading used (most tables,
    ties to the page), the publication date and where it came from, every location with its
    captures, the versions (``harvester.export.logical_report`` without the tables)."""
    from harvester.export import logical_report

    row = logical_report(db, report_id)
    if row is None:
        return None
    reading = next((loc for loc in row["locations"] if loc["url"] == row["url"]), None)
    return {
        "published": row["published"], "published_source": row["published_source"],
        "published_source_label": PUBLISHED_FROM_LABELS.get(row["published_source"], ""),
        "published_from_url": row["published_from_url"],
        "reading": {"doc_id": reading["doc_id"] if reading else None, "url": row["url"], "role": row["reading_role"],
                    "format": row["format"], "tables_found": row["tables_found"],
                    "missing_tables": row["missing_tables"]},
        "agency_simplified": row["agency_simplified"],
        "failed_checks": row["failed_checks"],
        "locations": [{**loc, "report": f"/api/reports/{loc['doc_id']}", "page_url": f"/reports/{loc['doc_id']}"}
                      for loc in row["locations"]],
        "version_summary": row["versions"],
    }


def logical_reports(db: Database, portal: str | None = None, year: int | None = None, *, limit: int = 100,
                    offset: int = 0) -> dict:
    """A page of logical reports (``harvester export reports`` rows, tables included)."""
    from harvester.export import iter_logical_reports

    rows = []
    for i, row in enumerate(iter_logical_reports(db, portal=portal, year=year)):
        if i < offset:
            continue
        if len(rows) == limit:
            break
        rows.append(row)
    return {"offset": offset, "limit": limit, "reports": rows}


# ------------------------------------------------------------------------------ captures
def timeline(db: Database, url: str) -> dict:
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == url)).first()
        if doc is None:
            raise NotFound(f"此网址未存档: {url}")
        snaps = s.scalars(select(Snapshot).where(Snapshot.document_id == doc.id)
                          .order_by(Snapshot.fetched_at, Snapshot.id)).all()
        return {"url": doc.url, "doc_id": doc.id, "kind": doc.kind, "portal_id": doc.portal_id,
                "is_report": doc.is_report, "title": doc.link_text, "captures": _timeline(snaps)}


def capture_meta(db: Database, sid: int) -> dict:
    with db.session() as s:
        snap = s.get(Snapshot, sid)
        if snap is None:
            raise NotFound(f"没有此采集记录: {sid}")
        doc = s.get(Document, snap.document_id)
        d = _snapshot_dict(snap)
        d.update({"url": doc.url, "doc_id": doc.id, "is_report": doc.is_report, "kind": doc.kind,
                  "portal_id": doc.portal_id, "headers": snap.headers or {}, "ts": ts14(snap.fetched_at)})
        return d


def capture_body(db: Database, archive_dir: Path, sid: int) -> dict:
    """The archived response of a snapshot (a revisit's body comes from its payload_of)."""
    with db.session() as s:
        snap = s.get(Snapshot, sid)
        if snap is None:
            raise NotFound(f"没有此采集记录: {sid}")
        doc = s.get(Document, snap.document_id)
        source = snap
        seen = set()
        while source.record_type == "revisit" and source.payload_of_id and source.id not in seen:
            seen.add(source.id)
            source = s.get(Snapshot, source.payload_of_id)
        rec = read_record(archive_dir, source.warc_file, source.warc_offset)
        headers = dict(rec.headers)
        ctype = next((v for k, v in rec.headers if k.lower() == "content-type"), None)
        return {"url": doc.url, "fetched_at": snap.fetched_at, "status": snap.status, "sha256": snap.sha256,
                "body": rec.body, "content_type": ctype, "headers": headers,
                "record_type": snap.record_type, "payload_snapshot": source.id}


def nearest_capture(db: Database, url: str, when: dt.datetime | None) -> int | None:
    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.url == url)).first()
        if doc is None and url.endswith("/"):
            doc = s.scalars(select(Document).where(Document.url == url + "index.html")).first()
        if doc is None and url.endswith("/index.html"):
            doc = s.scalars(select(Document).where(Document.url == url[: -len("index.html")])).first()
        if doc is None:
            return None
        snaps = s.scalars(select(Snapshot).where(Snapshot.document_id == doc.id)).all()
        good = [x for x in snaps if x.status == 200 or x.record_type == "revisit"] or snaps
        if not good:
            return None
        if when is None:
            return max(good, key=lambda x: x.fetched_at).id
        return min(good, key=lambda x: abs((x.fetched_at - when).total_seconds())).id


# ---------------------------------------------------------------------------------- diff
def _capture_text_and_tables(db: Database, archive_dir: Path, sid: int) -> tuple[str, dict, dict]:
    meta = capture_meta(db, sid)
    with db.session() as s:
        content = s.get(Content, meta["sha256"])
        if content is not None and (content.text or content.record):
            rec = content.record or {}
            return rec.get("text") or content.text or "", rec.get("tables") or {}, meta
    body = capture_body(db, archive_dir, sid)
    raw = body["body"]
    if is_html(body["content_type"], raw):
        return visible_text(decode_body(body["content_type"], raw)), {}, meta
    try:
        return raw.decode("utf-8"), {}, meta
    except UnicodeDecodeError:
        return f"(二进制内容, {len(raw)} 字节, sha256 {meta['sha256']})", {}, meta


def diff_captures(db: Database, archive_dir: Path, a: int, b: int) -> dict:
    ta, tabs_a, ma = _capture_text_and_tables(db, archive_dir, a)
    tb, tabs_b, mb = _capture_text_and_tables(db, archive_dir, b)
    la, lb = ta.splitlines(), tb.splitlines()
    lines = []
    sm = difflib.SequenceMatcher(a=la, b=lb, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                lines.append({"op": "same", "a": la[i1 + k], "b": lb[j1 + k]})
        else:
            for k in range(max(i2 - i1, j2 - j1)):
                old = la[i1 + k] if i1 + k < i2 else None
                new = lb[j1 + k] if j1 + k < j2 else None
                lines.append({"op": "del" if new is None else "add" if old is None else "change",
                              "a": old, "b": new})
    cells = []
    fa = {(t, r, c): v for t, r, c, v in layout.flatten_tables(tabs_a)}
    fb = {(t, r, c): v for t, r, c, v in layout.flatten_tables(tabs_b)}
    for key in sorted(set(fa) | set(fb), key=lambda k: tuple(str(x) for x in k)):
        va, vb = fa.get(key, "(无)"), fb.get(key, "(无)")
        if va != vb:
            cells.append({"table": key[0], "row": key[1], "column": key[2], "a": va, "b": vb,
                          "place": layout.place_label(*key)})
    changed = sum(1 for ln in lines if ln["op"] != "same")
    # for the page: unchanged runs longer than 2 × 3 lines of context fold into one marker
    shown: list[dict] = []
    near = {i + d for i, ln in enumerate(lines) if ln["op"] != "same" for d in range(-3, 4)}
    for i, ln in enumerate(lines):
        if ln["op"] != "same" or i in near:
            shown.append(ln)
        elif shown and shown[-1]["op"] == "skip":
            shown[-1]["count"] += 1
        else:
            shown.append({"op": "skip", "count": 1, "a": None, "b": None})
    return {"a": ma, "b": mb, "same_digest": ma["sha256"] == mb["sha256"], "changed_lines": changed,
            "lines": lines, "folded": shown, "cells": cells}


# ---------------------------------------------------------------------------- compliance
def deadline_for(year: int) -> dt.date:
    return dt.date(year + 1, 1, 31)


def last_due_year(today: dt.date) -> int:
    return today.year - 1 if today > dt.date(today.year, 1, 31) else today.year - 2


PUBLISHED_FROM_LABELS = {"reading": "报告本身", "page": "附件所在的文章页面", "other location": "同一报告的其他位置"}


@functools.lru_cache(maxsize=65536)
def simplified_agency(agency: str | None) -> str | None:
    """An agency's name in simplified characters without spaces, as the parser's
    ``agency_simplified`` (computed here: reading it out of every stored record's JSON would
    parse each report's whole text)."""
    if not agency:
        return None
    from harvester.parser.normalize import t2s

    return re.sub(r"\s+", "", t2s(unicodedata.normalize("NFKC", agency))) or None


def logical_report_dates(db: Database, portal: str | None = None) -> list[dict]:
    """One entry per logical report (stored reports not yet linked to one count alone): the
    location read (tables parsed, ties to the page), its agency (published and simplified
    spelling), year, failed checks, and the publication date with where it came from (the
    report itself, or the article page of an attachment that carries no date)."""
    from storage.search import search_meta as m

    q = (select(m.c.doc_id, m.c.portal_id, m.c.agency, m.c.year, m.c.published, m.c.failed, m.c.format,
                m.c.url, Document.report_id, Document.parent_id)
         .join(Document, Document.id == m.c.doc_id)
         .where(m.c.is_report.is_(True)))
    if portal:
        q = q.where(m.c.portal_id == portal)
    groups: dict = defaultdict(list)
    with db.session() as s:
        rows = [dict(r) for r in s.execute(q).mappings()]
        for r in rows:
            r["agency_simplified"] = simplified_agency(r["agency"])
            groups[r["report_id"] if r["report_id"] is not None else ("doc", r["doc_id"])].append(r)
        have = {r["doc_id"] for r in rows}
        parent_ids = {r["parent_id"] for r in rows if r["parent_id"] is not None} - have
        parents = {}
        if parent_ids:
            for pid, pub, url in s.execute(select(m.c.doc_id, m.c.published, m.c.url)
                                           .where(m.c.doc_id.in_(parent_ids))):
                parents[pid] = {"doc_id": pid, "published": pub, "url": url, "parent_id": None}
    out = []
    for key, locs in groups.items():
        rep = min(locs, key=lambda r: ((r["format"] or "unknown") == "unknown", r["parent_id"] is not None,
                                       r["doc_id"]))
        published, source, from_doc = rep["published"], "reading" if rep["published"] else None, rep["doc_id"]
        if not published:
            by_id = {r["doc_id"]: r for r in locs}
            page = by_id.get(rep["parent_id"]) or parents.get(rep["parent_id"])
            cands = ([page] if page else []) + [r for r in locs if r["parent_id"] is None] + locs
            for c in cands:
                if c and c["published"]:
                    published, from_doc = c["published"], c["doc_id"]
                    source = "page" if c["parent_id"] is None else "other location"
                    break
        agency = rep["agency"] or next((r["agency"] for r in locs if r["agency"]), None)
        simplified = rep["agency_simplified"] or next((r["agency_simplified"] for r in locs if r["agency_simplified"]),
                                                      None)
        out.append({
            "report_id": key if not isinstance(key, tuple) else None, "doc_id": rep["doc_id"],
            "portal_id": rep["portal_id"], "portals": sorted({r["portal_id"] for r in locs}),
            "agency": agency, "agency_simplified": simplified or agency,
            "spellings": sorted({r["agency"] for r in locs if r["agency"]}),
            "year": rep["year"] if rep["year"] is not None else next((r["year"] for r in locs if r["year"]), None),
            "published": published, "published_from": source, "published_doc": from_doc,
            "failed": rep["failed"] or 0, "locations": len(locs),
        })
    return out


def compliance(db: Database, *, portal: str | None = None, agency: str | None = None,
               year_from: int | None = None, year_to: int | None = None, status: str | None = None,
               today: dt.date | None = None) -> dict:
    """Agency × year. Counts logical reports (a page and its attachment, or a repost, are one
    report); an agency is keyed by its simplified spelling (``agency_simplified``), so traditional
    and simplified spellings of one agency are one row."""
    today = today or dt.date.today()
    reports = logical_report_dates(db, portal)
    by_agency: dict = defaultdict(lambda: defaultdict(list))
    portals_of: dict = defaultdict(set)
    spellings: dict = defaultdict(set)
    for r in reports:
        if r["year"] is None:
            continue
        key = r["agency_simplified"] or "(发布机构不明)"
        if agency and not any(agency in (n or "") for n in [key, *r["spellings"]]):
            continue
        by_agency[key][r["year"]].append(r)
        portals_of[key].update(r["portals"])
        spellings[key].update(r["spellings"])
    due = last_due_year(today)
    present = {y for ys in by_agency.values() for y in ys}
    all_years = list(range(min(present), max(max(present), due) + 1)) if present else []
    if year_from is not None:
        all_years = [y for y in all_years if y >= year_from]
    if year_to is not None:
        all_years = [y for y in all_years if y <= year_to]
    matrix = []
    counts = {"on_time": 0, "late": 0, "missing": 0, "unknown": 0, "failed": 0, "not_due": 0}
    for ag in sorted(by_agency):
        years = by_agency[ag]
        first = min(years)
        cells = {}
        for y in all_years:
            reps = years.get(y)
            if not reps:
                if first <= y <= due:
                    cell = {"status": "missing"}
                elif y > due:
                    cell = {"status": "not_due"}
                else:
                    cell = {"status": "none"}  # before the agency's first report on record
            else:
                dated = sorted((r for r in reps if r["published"]), key=lambda r: r["published"])
                best = dated[0] if dated else reps[0]
                cell = {"doc_id": best["doc_id"], "report_id": best["report_id"], "published": best["published"],
                        "published_from": best["published_from"],
                        "published_from_label": PUBLISHED_FROM_LABELS.get(best["published_from"], ""),
                        "published_doc": best["published_doc"] if best["published"] else None,
                        "failed": best["failed"] or 0, "documents": len(reps),
                        "locations": sum(r["locations"] for r in reps), "deadline": deadline_for(y).isoformat()}
                try:
                    pub = dt.date.fromisoformat(best["published"]) if best["published"] else None
                except ValueError:
                    pub = None
                if pub is None:
                    cell["status"] = "unknown"
                else:
                    late = (pub - deadline_for(y)).days
                    cell["status"] = "late" if late > 0 else "on_time"
                    cell["days_late"] = max(late, 0)
            if cell["status"] in counts:
                counts[cell["status"]] += 1
            if cell.get("failed"):
                counts["failed"] += 1
            cells[y] = cell
        if status:
            keep = any(c["status"] == status or (status == "failed" and c.get("failed")) for c in cells.values())
            if not keep:
                continue
        matrix.append({"agency": ag, "spellings": sorted(spellings[ag]), "portals": sorted(portals_of[ag]),
                       "cells": cells})
    return {"years": all_years, "rows": matrix, "counts": counts, "last_due_year": due,
            "today": today.isoformat(), "reports": sum(len(v) for ys in by_agency.values() for v in ys.values())}


COMPLIANCE_LABELS = {"on_time": "按时", "late": "逾期", "missing": "缺失", "unknown": "日期不详",
                     "not_due": "未到期", "none": ""}


def compliance_csv_rows(data: dict):
    yield ["agency", "portals", "year", "status", "status_zh", "published", "deadline", "days_late",
           "failed_checks", "doc_id", "report_id", "published_from", "spellings"]
    for row in data["rows"]:
        for y in data["years"]:
            c = row["cells"][y]
            if c["status"] == "none":
                continue
            yield [row["agency"], " ".join(row["portals"]), y, c["status"], COMPLIANCE_LABELS.get(c["status"], ""),
                   c.get("published") or "", c.get("deadline") or deadline_for(y).isoformat(),
                   c.get("days_late", ""), c.get("failed", ""), c.get("doc_id", ""), c.get("report_id") or "",
                   c.get("published_from") or "", " ".join(row.get("spellings") or [])]


# ------------------------------------------------------------------------------- exports
def report_rows(db: Database, portal: str | None = None, year: int | None = None):
    from harvester.export import iter_reports

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
    from openpyxl import Workbook

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
        ws.append(meta_cols + [f"{row}.{col}" for row, col in keys])
        ws.append([""] * len(meta_cols) + [layout.place_label(tkey, row, col) for row, col in keys])
        for r, flat in zip(reports, flat_rows):
            fails = sum(1 for c in r.get("checks") or [] if c.get("status") == "fail")
            ws.append([r["portal"], r["agency"], r["year"], r["format"], r["published"], r["url"], fails]
                      + [flat.get(k) for k in keys])
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
