"""Relational model of the archive.

- ``Portal``: a government site from the registry.
- ``CrawlRun``: one harvest of one portal, with its counts.
- ``Document``: one URL ever fetched (homepage, section, listing page, article).
- ``Snapshot``: one fetch of a document: time, status, headers, digest, WARC location.
- ``Content``: what was read from one distinct body (keyed by its sha256): extracted text,
  metadata and the parser's record. Identical bodies are extracted once.
- ``Report``: one statutory report as a logical thing, wherever it was found: its locations
  are the documents pointing at it (a page, its attachment, a county's repost of a
  township's report), recognised by the digest of the normalised text, then by simhash.
- ``ReportVersion``: each distinct content seen at one location, with the previous digest
  and time, so an edit after publication is on record.

Schema changes go through Alembic (``storage/migrations``); this module is the source the
migrations are written from.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Portal(Base):
    __tablename__ = "portals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    family: Mapped[str | None] = mapped_column(String(32))
    columns: Mapped[list] = mapped_column(JsonType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Annual-report columns found by discovery from the homepage (nightly passes reuse them).
    discovered_columns: Mapped[list | None] = mapped_column(JsonType)
    discovered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Family detected from the portal's pages (the registry's ``family`` overrides detection).
    detected_family: Mapped[str | None] = mapped_column(String(32))
    # robots.txt: obeyed unless the registry overrides it for this portal, with a reason.
    robots_obeyed: Mapped[bool] = mapped_column(Boolean, default=True)
    robots_reason: Mapped[str | None] = mapped_column(Text)

    runs: Mapped[list[CrawlRun]] = relationship(back_populates="portal")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    portal_id: Mapped[str] = mapped_column(ForeignKey("portals.id"), index=True)
    started: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # running / ok / partial / failed / blocked / interrupted
    status: Mapped[str] = mapped_column(String(16), default="running")
    requests: Mapped[int] = mapped_column(Integer, default=0)
    responses: Mapped[dict] = mapped_column(JsonType, default=dict)  # {"200": 31, "404": 1}
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    new_reports: Mapped[int] = mapped_column(Integer, default=0)
    changed_reports: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_reports: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    # incremental (nightly: new items only) / full (every page, conditionally) / verify
    mode: Mapped[str] = mapped_column(String(16), default="incremental")
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    parse_failures: Mapped[int] = mapped_column(Integer, default=0)  # report pages read without tables
    error_details: Mapped[list] = mapped_column(JsonType, default=list)  # [{"url":…, "error":…}]
    warc_files: Mapped[list] = mapped_column(JsonType, default=list)

    portal: Mapped[Portal] = relationship(back_populates="runs")


class Content(Base):
    __tablename__ = "contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    encoding: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(10))  # ISO date as read from the page
    text: Mapped[str | None] = mapped_column(Text)
    extractor_version: Mapped[str] = mapped_column(String(32))
    parser_version: Mapped[str | None] = mapped_column(String(32))
    is_annual_report: Mapped[bool] = mapped_column(Boolean, default=False)
    agency: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str | None] = mapped_column(String(16))
    record: Mapped[dict | None] = mapped_column(JsonType)  # the parser's full record
    error: Mapped[str | None] = mapped_column(Text)  # extraction/parse failure, the page stays archived
    extracted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The report is published only as images (…（图片版）): stored, never parsed into numbers.
    image_only: Mapped[bool] = mapped_column(Boolean, default=False)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    portal_id: Mapped[str] = mapped_column(ForeignKey("portals.id"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    # homepage / section / listing / article
    kind: Mapped[str] = mapped_column(String(16))
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    current_sha256: Mapped[str | None] = mapped_column(ForeignKey("contents.sha256"))
    # Title as linked from the listing page (kept even if the page itself cannot be read).
    link_text: Mapped[str | None] = mapped_column(Text)
    is_report: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    # An attachment (PDF, DOCX …) points at the article page that links it: one report, two documents.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    # This URL redirected (HTTP 3xx or a quick meta refresh) to that document, which holds the
    # capture of the final URL (``storage.redirects.final_document`` follows the chain).
    redirect_to_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)

    content: Mapped[Content | None] = relationship()
    snapshots: Mapped[list[Snapshot]] = relationship(
        back_populates="document", order_by="Snapshot.fetched_at"
    )


class Snapshot(Base):
    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict] = mapped_column(JsonType, default=dict)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    warc_file: Mapped[str] = mapped_column(Text)
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    warc_record_id: Mapped[str] = mapped_column(String(64))
    # response, or revisit (identical payload / 304): then payload_of points at the
    # snapshot whose response record holds the bytes.
    record_type: Mapped[str] = mapped_column(String(16), default="response")
    payload_of_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))

    document: Mapped[Document] = relationship(back_populates="snapshots")
    payload_of: Mapped[Snapshot | None] = relationship(remote_side="Snapshot.id")


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str | None] = mapped_column(Text, index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    text_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    simhash: Mapped[int | None] = mapped_column(BigInteger)  # signed 64-bit
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_changed: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    locations: Mapped[list[Document]] = relationship(primaryjoin="Report.id == Document.report_id", viewonly=True)
    versions: Mapped[list[ReportVersion]] = relationship(back_populates="report", order_by="ReportVersion.seen_at")


class ReportVersion(Base):
    __tablename__ = "report_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    text_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    previous_content_sha256: Mapped[str | None] = mapped_column(String(64))
    previous_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    report: Mapped[Report] = relationship(back_populates="versions")


Index("ix_contents_report", Content.is_annual_report, Content.year)
# One snapshot per WARC record, whoever stores it (crawl, recovery, several workers at once).
Index("uq_snapshots_warc_record_id", Snapshot.warc_record_id, unique=True)


class HealthEvent(Base):
    """Something an operator must look at: raised by crawls, closed when it clears."""

    __tablename__ = "health_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    portal_id: Mapped[str] = mapped_column(ForeignKey("portals.id"), index=True)
    # no_reports / column_moved / blocked / error_rate / parse_failures / crashed / trap
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open / closed
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    url: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JsonType, default=dict)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CrawlLock(Base):
    """At most one harvest of a portal at a time, across processes and machines."""

    __tablename__ = "crawl_locks"

    portal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)  # host:pid:token
    purpose: Mapped[str] = mapped_column(String(32))  # scheduled / recrawl / manual
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
