"""Read-side queries of the archive browser: portals, reports, logical reports, captures and
their differences. Every function returns plain dicts/lists that the HTML pages and the JSON
API share."""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from harvester.export import iter_logical_reports, list_runs, logical_report
from harvester.parser.checks import cross_year
from harvester.web import layout
from harvester.web.compliance import PUBLISHED_FROM_LABELS
from harvester.web.replay import decode_body, is_html, visible_text
from storage import health
from storage.database import Database
from storage.models import Content, CrawlRun, Document, HealthEvent, Portal, Report, ReportVersion, Snapshot
from storage.warc import READ_MAX_BODY, read_record

# A body that inflates past this is not served (a compression bomb stored as received).
REPLAY_MAX_BODY = READ_MAX_BODY


class NotFound(LookupError):
    """No such portal, report or capture (a 404)."""


class ArchiveUnreadable(Exception):
    """A stored capture whose WARC record cannot be read back: the file is missing, or the
    record is not where the database says, or its body passes the read limit (a stored
    compression bomb). The message names the capture and the reason."""


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


# ------------------------------------------------------------------------------ overview
def health_events(db: Database, limit: int = 200) -> list[dict]:
    """The open health events, newest first, every column of each (times as ISO text)."""
    columns = [c.key for c in HealthEvent.__table__.columns]
    out = []
    with db.session() as s:
        for ev in health.open_events(s, limit=limit):
            row = {c: getattr(ev, c) for c in columns}
            out.append({c: iso(v) if isinstance(v, dt.datetime) else v for c, v in row.items()})
    return out


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
        return cross_year(previous, current)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not hide the report
        return [{"rule": "S*", "status": "uncertain", "table": None, "row": None, "column": None,
                 "operands": {}, "expected": None, "actual": None, "detail": f"cross-year check failed: {exc}"}]


def _related(s: Session, doc: Document) -> tuple[list[dict], dict | None, list[dict]]:
    """A document's attachments and the other locations of its logical report, that report,
    and its versions."""
    def entry(d: Document, relation: str) -> dict:
        return {"doc_id": d.id, "url": d.url, "kind": d.kind, "title": d.link_text, "is_report": d.is_report,
                "relation": relation}

    attachments = [entry(d, "attachment")
                   for d in s.scalars(select(Document).where(Document.parent_id == doc.id).order_by(Document.id))]
    if doc.report_id is None:
        return attachments, None, []
    logical = None
    rep = s.get(Report, doc.report_id)
    if rep is not None:
        logical = {"id": rep.id, "agency": rep.agency, "year": rep.year, "title": rep.title,
                   "first_seen": iso(rep.first_seen), "last_changed": iso(rep.last_changed),
                   "api": f"/api/logical-reports/{rep.id}"}
    seen = {a["doc_id"] for a in attachments}
    attachments += [entry(d, "same report") for d in s.scalars(
        select(Document).where(Document.report_id == doc.report_id, Document.id != doc.id).order_by(Document.id))
        if d.id not in seen]
    versions = [{"document_id": v.document_id, "content_sha256": v.content_sha256, "seen_at": iso(v.seen_at),
                 "previous_content_sha256": v.previous_content_sha256, "previous_seen_at": iso(v.previous_seen_at)}
                for v in s.scalars(select(ReportVersion).where(ReportVersion.report_id == doc.report_id)
                                   .order_by(ReportVersion.seen_at))]
    return attachments, logical, versions


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
        attachments, logical, versions = _related(s, doc)
        meta = {
            "doc_id": doc.id, "portal_id": doc.portal_id, "url": doc.url, "kind": doc.kind,
            "link_text": doc.link_text, "is_report": doc.is_report,
            "parent_id": doc.parent_id,
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
        try:
            rec = read_record(archive_dir, source.warc_file, source.warc_offset, max_body=REPLAY_MAX_BODY)
        except (OSError, ValueError) as exc:
            raise ArchiveUnreadable(f"采集记录 {sid} 的存档无法读取 (the archived record cannot be read): {exc}") from None
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

