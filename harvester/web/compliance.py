"""The compliance matrix: agency × year, each annual report on time, late, missing or undated
against the legal deadline (31 January of the next year), counted per logical report."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from harvester.export import tables_found
from harvester.parser.normalize import simplified_agency
from storage.database import Database
from storage.models import Content, Document
from storage.search import search_meta

def deadline_for(year: int) -> dt.date:
    return dt.date(year + 1, 1, 31)


def last_due_year(today: dt.date) -> int:
    return today.year - 1 if today > dt.date(today.year, 1, 31) else today.year - 2


PUBLISHED_FROM_LABELS = {"reading": "报告本身", "page": "附件所在的文章页面", "other location": "同一报告的其他位置"}


def logical_report_dates(db: Database, portal: str | None = None) -> list[dict]:
    """One entry per logical report (stored reports not yet linked to one count alone): the
    location read (tables parsed, ties to the page), its agency (published and simplified
    spelling), year, failed checks, and the publication date with where it came from (the
    report itself, or the article page of an attachment that carries no date)."""
    m = search_meta
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
        # the reading: as `harvester export` chooses it (the most tables with a value, ties to the
        # page); only a report with several locations has a choice, so only those tables are read
        found: dict = {}
        multi = [r["doc_id"] for locs in groups.values() if len(locs) > 1 for r in locs]
        for i in range(0, len(multi), 500):
            q = (select(Document.id, Content.record["tables"].label("tables"))
                 .join(Content, Content.sha256 == Document.current_sha256)
                 .where(Document.id.in_(multi[i:i + 500])))
            for doc_id, tables in s.execute(q):
                found[doc_id] = tables_found(tables)
    out = []
    for key, locs in groups.items():
        rep = min(locs, key=lambda r: (-found.get(r["doc_id"], 0), r["parent_id"] is not None, r["doc_id"]))
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


UNKNOWN_AGENCY = "发布机构不明"


def _cell(year: int, reps: list[dict] | None, first: int, due: int, known: bool = True) -> dict:
    """One agency's cell for one year: its earliest-dated report of that year against the
    deadline, or why there is none (missing, not yet due, before the agency's first report).
    Reports whose agency is not known (``known`` false) are listed as such: an unknown agency
    cannot be missing a report, and its reports are not judged on time or late."""
    if not reps:
        if known and first <= year <= due:
            return {"status": "missing"}
        return {"status": "not_due" if year > due else "none"}  # none: before its first report on record
    dated = sorted((r for r in reps if r["published"]), key=lambda r: r["published"])
    best = dated[0] if dated else reps[0]
    cell = {"doc_id": best["doc_id"], "report_id": best["report_id"], "published": best["published"],
            "published_from": best["published_from"],
            "published_from_label": PUBLISHED_FROM_LABELS.get(best["published_from"], ""),
            "published_doc": best["published_doc"] if best["published"] else None,
            "failed": best["failed"] or 0, "documents": len(reps),
            "locations": sum(r["locations"] for r in reps), "deadline": deadline_for(year).isoformat()}
    if not known:
        cell["status"] = "agency_unknown"
        del cell["deadline"]
        return cell
    try:
        pub = dt.date.fromisoformat(best["published"]) if best["published"] else None
    except ValueError:
        pub = None
    if pub is None:
        cell["status"] = "unknown"
    else:
        late = (pub - deadline_for(year)).days
        cell["status"] = "late" if late > 0 else "on_time"
        cell["days_late"] = max(late, 0)
    return cell


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
        # known agencies by simplified name; reports without an agency one row per portal (never
        # pooled across portals), after the known ones
        key = (0, r["agency_simplified"]) if r["agency_simplified"] else (1, r["portal_id"])
        name = key[1] if key[0] == 0 else UNKNOWN_AGENCY
        if agency and not any(agency in (n or "") for n in [name, *r["spellings"]]):
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
    counts = {"on_time": 0, "late": 0, "missing": 0, "unknown": 0, "failed": 0, "not_due": 0, "agency_unknown": 0}
    for ag in sorted(by_agency):
        years = by_agency[ag]
        first = min(years)
        known = ag[0] == 0
        cells = {}
        for y in all_years:
            cell = _cell(y, years.get(y), first, due, known)
            if cell["status"] in counts:
                counts[cell["status"]] += 1
            if cell.get("failed"):
                counts["failed"] += 1
            cells[y] = cell
        if status:
            keep = any(c["status"] == status or (status == "failed" and c.get("failed")) for c in cells.values())
            if not keep:
                continue
        matrix.append({"agency": ag[1] if known else UNKNOWN_AGENCY, "agency_known": known,
                       "spellings": sorted(spellings[ag]), "portals": sorted(portals_of[ag]),
                       "cells": cells})
    return {"years": all_years, "rows": matrix, "counts": counts, "last_due_year": due,
            "today": today.isoformat(), "reports": sum(len(v) for ys in by_agency.values() for v in ys.values())}


COMPLIANCE_LABELS = {"on_time": "按时", "late": "逾期", "missing": "缺失", "unknown": "日期不详",
                     "not_due": "未到期", "none": "", "agency_unknown": UNKNOWN_AGENCY}


def compliance_csv_rows(data: dict):
    yield ["agency", "portals", "year", "status", "status_zh", "published", "deadline", "days_late",
           "failed_checks", "doc_id", "report_id", "published_from", "spellings", "reports"]
    for row in data["rows"]:
        for y in data["years"]:
            c = row["cells"][y]
            if c["status"] == "none":
                continue
            yield [row["agency"], " ".join(row["portals"]), y, c["status"], COMPLIANCE_LABELS.get(c["status"], ""),
                   c.get("published") or "",
                   "" if c["status"] == "agency_unknown" else (c.get("deadline") or deadline_for(y).isoformat()),
                   c.get("days_late", ""), c.get("failed", ""), c.get("doc_id", ""), c.get("report_id") or "",
                   c.get("published_from") or "", " ".join(row.get("spellings") or []),
                   c.get("documents", 0)]  # logical reports of the agency that year (several: see report_id)

