"""One logical report, several locations and versions (see ``storage.models.Report``).

Called by ``storage.ingest`` for every stored annual-report page, inside its transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from harvester.parser.normalize import simplified_agency
from harvester.similarity import near_duplicate, simhash, text_digest
from storage.models import Content, Document, Report, ReportVersion


def _report_text(content: Content) -> str:
    # the read pool fingerprints this same text (harvester.readpool.read_in_worker)
    record = content.record or {}
    return record.get("text") or content.text or ""


def _compatible(report: Report, content: Content) -> bool:
    """Two agencies, or two years, never make one report, however alike the text (identical
    text across agencies is a copy-paste finding for rule S5, not one publication)."""
    if content.agency and report.agency and report.agency != content.agency:
        return False
    return not (content.year and report.year and report.year != content.year)


def find_report(s: Session, content: Content, digest: str | None, sh: int | None) -> Report | None:
    """The report this text belongs to: the same normalised text, else near-duplicate text
    (simhash), of the same agency and year."""
    if digest:
        # the reports whose current text has this digest first, then those that had it once (two
        # indexed lookups: PostgreSQL cannot use an index for an OR with an IN-subquery)
        hits = list(s.scalars(select(Report).where(Report.text_sha256 == digest)))
        hits += list(s.scalars(select(Report).join(ReportVersion).where(ReportVersion.text_sha256 == digest)))
        for hit in hits:
            if _compatible(hit, content):
                return hit
    if sh is None or content.year is None:
        return None
    # Only the candidates' numbers, and only the same agency's (or an unknown agency's) reports:
    # a harvest stores tens of thousands of reports, and each new one is compared.
    q = select(Report.id, Report.agency, Report.year, Report.simhash).where(
        Report.year == content.year, Report.simhash.is_not(None))
    if content.agency:
        q = q.where(or_(Report.agency == content.agency, Report.agency.is_(None), Report.agency == ""))
    for row in s.execute(q.order_by(Report.id)):
        if _compatible(row, content) and near_duplicate(row.simhash, sh):
            return s.get(Report, row.id)
    return None


def related_report(s: Session, doc: Document) -> Report | None:
    """The report of the page this attachment belongs to, or of an attachment of this page."""
    if doc.parent_id is not None:
        parent = s.get(Document, doc.parent_id)
        if parent is not None and parent.report_id is not None:
            return s.get(Report, parent.report_id)
    child = s.scalars(
        select(Document).where(Document.parent_id == doc.id, Document.report_id.is_not(None)).limit(1)
    ).first() if doc.id is not None else None
    return s.get(Report, child.report_id) if child is not None else None


# A transaction-scoped advisory lock (PostgreSQL). Advisory locks belong to the database, not
# to a schema: the second key is mixed with the schema's hash, so stores in two schemas of one
# database (a staging copy, tests side by side) never wait for each other's locks.
_ADVISORY_LOCK = sql_text("SELECT pg_advisory_xact_lock(:a, CAST(:b AS integer) # hashtext(current_schema()))")

# First key of the transaction-scoped advisory locks taken while matching a report (PostgreSQL).
_MATCHING_LOCK = 0x7867


def _matching_key(agency: str | None, year: int | None) -> int:
    key = hashlib.sha256(f"{agency or ''}|{year or ''}".encode()).digest()
    return int.from_bytes(key[:4], "big", signed=True)


def _serialise_matching(s: Session, content: Content) -> None:
    """Workers writing to one PostgreSQL at once take turns matching reports of one agency and
    year: similarity cannot be a unique constraint, so two workers storing the same report
    reposted on two portals would otherwise both find nothing and create two reports. The lock
    is held until the transaction commits, so the next worker sees the report just created.
    SQLite has one writer at a time and needs none."""
    if s.get_bind().dialect.name != "postgresql":
        return
    agency = (content.record or {}).get("agency_simplified") or simplified_agency(content.agency) or ""
    s.execute(_ADVISORY_LOCK,
              {"a": _MATCHING_LOCK, "b": _matching_key(agency, content.year)})


# First key of the transaction-scoped advisory locks taken while a page and its attachments
# are stored (PostgreSQL); the second is drawn from the page's URL.
_FAMILY_LOCK = 0x7868


def serialise_family(s: Session, page_url: str) -> None:
    """Writers storing a page and its attachment at once take turns (PostgreSQL).

    Whichever of the two is stored first, the second must see the first's report to join it
    (``related_report``, ``share_report_with_page``). Two workers storing them at the same
    moment would each see the other's row as it was before (no report yet): two reports for
    one publication, or the page's report overwritten by the attachment's while its versions
    still point at the old one. The lock is keyed by the page's URL (the page itself, or the
    page an attachment belongs to) and held until the transaction commits. Take it before
    anything else of the capture (its document row lock, the matching lock of
    ``record_report``): always in that order, so two writers never wait for each other. What
    the session had read before is read again, so the other writer's committed links are seen."""
    if s.get_bind().dialect.name != "postgresql":
        return
    s.flush()
    key = hashlib.sha256(page_url.encode()).digest()
    s.execute(_ADVISORY_LOCK,
              {"a": _FAMILY_LOCK, "b": int.from_bytes(key[:4], "big", signed=True)})
    s.expire_all()


def record_report(s: Session, doc: Document, content: Content, seen_at: dt.datetime, previous_sha: str | None) -> str:
    """Link ``doc`` to its report and record a version when its content is new at this location.

    Returns "new" (a report not seen anywhere before), "location" (a known report found at
    another URL: a repost, or a page and its attachment), "changed" (new content at a known
    location: a new version) or "unchanged".
    """
    text = _report_text(content)
    digest = text_digest(text)
    sh = simhash(text)
    outcome = None
    if doc.id is None:
        s.flush()  # the lookups below run without autoflush, and the version needs the document's id
    linked_before = doc.report_id is not None
    if not linked_before:
        _serialise_matching(s, content)
        with s.no_autoflush:  # the document's pending changes are not what these look for
            report = related_report(s, doc) or find_report(s, content, digest, sh)
        if report is None:
            report = Report(
                agency=content.agency, year=content.year, title=content.title,
                text_sha256=digest, simhash=sh, first_seen=seen_at,
            )
            s.add(report)
            s.flush()
            outcome = "new"
        else:
            outcome = "location"
        doc.report_id = report.id
    else:
        report = s.get(Report, doc.report_id)
    # A document's versions are recorded once it is linked, and a link is never undone: one
    # linked just now has none.
    latest = s.scalars(
        select(ReportVersion).where(ReportVersion.document_id == doc.id).order_by(ReportVersion.seen_at.desc()).limit(1)
    ).first() if linked_before else None
    if latest is not None and latest.content_sha256 == content.sha256:
        return "unchanged"
    changed = latest is not None or (previous_sha is not None and previous_sha != content.sha256)
    s.add(
        ReportVersion(
            report_id=report.id,
            document_id=doc.id,
            content_sha256=content.sha256,
            text_sha256=digest,
            seen_at=seen_at,
            previous_content_sha256=latest.content_sha256 if latest else previous_sha,
            previous_seen_at=latest.seen_at if latest else None,
        )
    )
    if changed:
        report.last_changed = seen_at
        report.text_sha256, report.simhash, report.title = digest, sh, content.title or report.title
        return "changed"
    return outcome or "unchanged"


def share_report_with_page(s: Session, doc: Document) -> None:
    """Page and attachment are one logical report: the attachment's report (the document that
    holds the tables) also lists the page, whichever of the two was stored first. A page that
    is itself a different report (another year) keeps its own; two reports of the same year
    become one (the page's is merged into the attachment's)."""
    if doc.report_id is None and doc.parent_id is None:
        att = s.scalars(select(Document).where(Document.parent_id == doc.id, Document.is_report.is_(True),
                                               Document.report_id.is_not(None)).limit(1)).first()
        if att is not None:
            doc.report_id = att.report_id
        return
    if doc.report_id is None:
        return
    if doc.parent_id is not None:
        pairs = [(doc, s.get(Document, doc.parent_id))]
    else:
        pairs = [(a, doc) for a in s.scalars(select(Document).where(Document.parent_id == doc.id))]
    for att, page in pairs:
        if page is None or att.report_id is None or att.report_id == page.report_id or not att.is_report:
            continue
        if page.report_id is None:
            page.report_id = att.report_id
            continue
        keep, drop = s.get(Report, att.report_id), s.get(Report, page.report_id)
        if keep is None or drop is None or (keep.year and drop.year and keep.year != drop.year):
            continue
        _lock_for_merge(s, keep, drop)
        for d in s.scalars(select(Document).where(Document.report_id == drop.id)):
            d.report_id = keep.id
        for v in s.scalars(select(ReportVersion).where(ReportVersion.report_id == drop.id)):
            v.report_id = keep.id
        s.flush()
        s.delete(drop)


def _lock_for_merge(s: Session, keep: Report, drop: Report) -> None:
    """Before ``drop`` is merged into ``keep`` and deleted (PostgreSQL): no other writer may be
    matching a repost to either of them (their agency-year matching locks), and the report row
    is locked, so a location another writer has just linked to it is seen and moved rather
    than left pointing at a deleted report."""
    if s.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_matching_key(simplified_agency(r.agency) or "", r.year) for r in (keep, drop)})
    for k in keys:
        s.execute(_ADVISORY_LOCK, {"a": _MATCHING_LOCK, "b": k})
    s.execute(select(Report.id).where(Report.id == drop.id).with_for_update())
