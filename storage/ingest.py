"""Storing one archived capture: its document, snapshot, content and logical report.

The one way a capture enters the store, whoever brings it: the crawl's store pipeline (a
page just fetched and read), crash recovery (a capture read back from its WARC record) and
``harvester reparse`` (a body read again: ``refile_documents``). A second capture of a URL adds
a snapshot to the same document; identical bodies share one content row.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Content, Document, Snapshot
from storage.reports import record_report, serialise_family, share_report_with_page

# Pages read for a report: articles and the attachments they link (PDF, DOC(X), WPS, XLS(X)).
READ_KINDS = ("article", "attachment")


@dataclass
class Capture:
    """One answer as archived: what the store records about it."""

    portal_id: str
    url: str
    kind: str  # homepage / section / listing / article / attachment
    status: int
    headers: dict[str, str]
    fetched_at: dt.datetime  # the WARC record's date
    run_id: int | None
    # the WARC record (for a revisit: sha256 and size of the original payload)
    warc_file: str
    warc_offset: int
    warc_length: int
    warc_record_id: str
    sha256: str
    size: int
    record_type: str = "response"  # or "revisit"
    refers_to: str | None = None  # a revisit's original record id
    link_text: str | None = None
    parent_url: str | None = None  # an attachment's article page
    redirected_from: list[str] = field(default_factory=list)  # the URLs that led here, in order
    failure: str | None = None  # archived, but the body could not be used: never read
    reading: dict | None = None  # the body read (``harvester.extraction.read_page``), if it was


def ingest_capture(s: Session, cap: Capture, read: Callable[[Capture], dict | None] | None = None
                   ) -> tuple[str, int | None] | None:
    """Store one capture inside the caller's transaction.

    ``read`` reads the body when the capture carries no reading and its content is not stored
    yet. Returns, for an annual report, what it was at this location ("new", "location",
    "changed" or "unchanged"; see ``storage.reports.record_report``) and its report id.
    """
    if concurrent_writers(s):
        # A page and its attachment stored at once by two workers: one after the other.
        serialise_family(s, cap.parent_url if cap.kind == "attachment" and cap.parent_url else cap.url)
        # Several workers may store this URL at once: the row is created if missing, then
        # locked, so their captures of one URL are stored one after the other.
        doc = _upsert_document(s, cap.portal_id, cap.url, cap.kind, cap.fetched_at, lock=True)
        previous_sha = doc.current_sha256
        doc.first_seen = min(doc.first_seen, cap.fetched_at)
        doc.last_seen = max(doc.last_seen, cap.fetched_at)
    else:
        doc = s.scalars(select(Document).where(Document.url == cap.url)).first()
        previous_sha = None
        if doc is None:
            doc = Document(portal_id=cap.portal_id, url=cap.url, kind=cap.kind, first_seen=cap.fetched_at,
                           last_seen=cap.fetched_at)
            s.add(doc)
        else:
            previous_sha = doc.current_sha256
            # Order-independent: a capture stored late (an attachment stored before its page was
            # read, a run recovered from the archive) never moves the document's times the wrong
            # way, and a row created for a page before its own capture was stored gets the
            # capture's time.
            doc.first_seen = min(doc.first_seen, cap.fetched_at)
            doc.last_seen = max(doc.last_seen, cap.fetched_at)
    if cap.link_text:
        doc.link_text = cap.link_text
    payload_of = None
    if cap.refers_to:
        payload_of = s.scalars(select(Snapshot.id).where(Snapshot.warc_record_id == cap.refers_to)).first()
    _link_attachment(s, doc, cap)
    _link_redirects(s, doc, cap)
    content = None
    if cap.kind in READ_KINDS and cap.status in (200, 304) and not cap.failure:
        content = s.get(Content, cap.sha256)
        if content is None:
            reading = cap.reading
            if reading is None and read is not None and cap.record_type == "response":
                reading = read(cap)
            if reading is not None and concurrent_writers(s):
                # another worker may be storing the same body: one row, whoever comes first
                _insert_ignore(s, Content, {"sha256": cap.sha256, "size": cap.size, **reading}, ["sha256"])
                content = s.get(Content, cap.sha256)
            elif reading is not None:
                content = Content(sha256=cap.sha256, size=cap.size, **reading)
                s.add(content)
    s.flush()
    # One snapshot per WARC record, however often the record is stored (a crawl and a recovery,
    # two workers): the record id is unique in the store.
    _insert_ignore(s, Snapshot, dict(
        document_id=doc.id, run_id=cap.run_id, fetched_at=cap.fetched_at, status=cap.status, headers=cap.headers,
        sha256=cap.sha256, size=cap.size, warc_file=cap.warc_file, warc_offset=cap.warc_offset,
        warc_length=cap.warc_length, warc_record_id=cap.warc_record_id, record_type=cap.record_type,
        payload_of_id=payload_of,
    ), ["warc_record_id"])
    if content is None:
        return None
    doc.current_sha256 = content.sha256
    return file_document(s, doc, content, cap.fetched_at, previous_sha)


def file_document(s: Session, doc: Document, content: Content, seen_at: dt.datetime,
                  previous_sha: str | None) -> tuple[str, int | None] | None:
    """Classify ``doc`` by its current content: a report is linked to its logical report (and
    its page or attachment to the same one); returns what ``ingest_capture`` returns."""
    doc.is_report = content.is_annual_report
    if not content.is_annual_report:
        share_report_with_page(s, doc)  # a 详见附件 page stored after its attachment
        return None
    outcome = record_report(s, doc, content, seen_at, previous_sha)
    share_report_with_page(s, doc)
    return outcome, doc.report_id


def refile_documents(s: Session, content: Content) -> None:
    """After ``content`` was read again (a parser fix): every document showing it is classified
    again, and one that now reads as a report joins its logical report. A document that no
    longer reads as one keeps its report link (its versions stay history)."""
    for doc in s.scalars(select(Document).where(Document.current_sha256 == content.sha256)):
        seen_at = s.scalar(select(func.min(Snapshot.fetched_at))
                           .where(Snapshot.document_id == doc.id, Snapshot.sha256 == content.sha256))
        file_document(s, doc, content, seen_at or doc.last_seen, None)


def _link_attachment(s: Session, doc: Document, cap: Capture) -> None:
    """An attachment points at the article page that links it (page and file: one report).
    The page's row is created here when the attachment is stored first (extraction of the
    page may still be running); storing the page then fills it in."""
    if cap.kind != "attachment" or not cap.parent_url or cap.parent_url == cap.url:
        return
    if concurrent_writers(s):
        doc.parent_id = _upsert_document(s, cap.portal_id, cap.parent_url, "article", cap.fetched_at).id
        return
    parent = s.scalars(select(Document).where(Document.url == cap.parent_url)).first()
    if parent is None:
        parent = Document(portal_id=cap.portal_id, url=cap.parent_url, kind="article",
                          first_seen=cap.fetched_at, last_seen=cap.fetched_at)
        s.add(parent)
        s.flush()
    doc.parent_id = parent.id


def _link_redirects(s: Session, doc: Document, cap: Capture) -> None:
    """The URL that redirected to this one points at its document; the hops before it point at
    each other (``storage.redirects.final_document`` walks the chain)."""
    for url in cap.redirected_from[-1:]:
        if url == cap.url:
            continue
        if concurrent_writers(s):
            src = _upsert_document(s, cap.portal_id, url, cap.kind, cap.fetched_at, link_text=cap.link_text)
        else:
            src = s.scalars(select(Document).where(Document.url == url)).first()
        if src is None:  # its own 3xx answer is still on the way to the store
            src = Document(portal_id=cap.portal_id, url=url, kind=cap.kind, first_seen=cap.fetched_at,
                           last_seen=cap.fetched_at, link_text=cap.link_text)
            s.add(src)
            s.flush()
        if doc.id is None:
            s.flush()
        src.redirect_to_id = doc.id


def concurrent_writers(s: Session) -> bool:
    """PostgreSQL may have several workers writing at once; SQLite has one writer at a time."""
    return s.get_bind().dialect.name == "postgresql"


def _insert_ignore(s: Session, model, values: dict, key: list[str]) -> None:
    """INSERT … ON CONFLICT (key) DO NOTHING: a row another writer stored first is kept as is."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    s.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=key))


def _upsert_document(s: Session, portal_id: str, url: str, kind: str, when: dt.datetime,
                     link_text: str | None = None, lock: bool = False) -> Document:
    """The document of ``url``, created if no writer has stored it yet; with ``lock``, its row
    is held until the transaction ends (FOR NO KEY UPDATE: rows pointing at it can still be
    written)."""
    _insert_ignore(s, Document, dict(portal_id=portal_id, url=url, kind=kind, first_seen=when, last_seen=when,
                                     link_text=link_text, is_report=False), ["url"])
    q = select(Document).where(Document.url == url).execution_options(populate_existing=True)
    if lock:
        q = q.with_for_update(key_share=True)
    return s.scalars(q).one()
