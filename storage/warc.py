"""WARC archive: every fetch kept byte-exact, as request + response records (warcio, gzip).

One ``WarcArchive`` per crawl of one portal writes WARC/1.1 files named
``{portal}-{YYYYmmddHHMMSS}-{writer}-{serial:05d}.warc.gz`` under the archive directory (the
writer is the host and process, ``writer_tag()``: workers on several machines sharing one
archive directory never write one file, nor race for a name), each opening
with a ``warcinfo`` record and rotated once it reaches ``max_size`` bytes. Each fetch is:

- ``response`` + ``request`` (``write_exchange``), or, when nothing new came back,
- ``revisit`` + ``request`` (``write_revisit``): profile *identical-payload-digest* for the
  same bytes at the same URL, *server-not-modified* for a 304, pointing at the original;
- then a ``metadata`` record linking the fetch to its crawl run and portal.

A closed file gets its CDXJ index (``….warc.gz.cdxj``, cdxj-indexer) beside it. Files are
written as one gzip member per record, so a crawl killed mid-write loses at most the record
being written. ``read_record`` reads one record back.

Record IDs and dates can be injected (``record_id_factory``, ``clock``) so tests can check
files byte for byte.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SOFTWARE = "xxgk-harvester/0.1 (warcio)"
DEFAULT_MAX_SIZE = 1_000_000_000
PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Headers describing how the body travelled; the archived body is already de-chunked.
_HOP_HEADERS = {"transfer-encoding"}


@dataclass(frozen=True)
class ArchivedRecord:
    """Where one response record was written, and the digest of its payload."""

    warc_file: str  # file name relative to the archive directory
    offset: int
    length: int
    record_id: str
    sha256: str  # of the HTTP body as received (for a revisit: of the original payload)
    size: int
    record_type: str = "response"  # or "revisit"
    refers_to: str | None = None  # a revisit's original record id
    date: dt.datetime | None = None  # WARC-Date: the capture time the store records


def _warc_date(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def writer_tag() -> str:
    """``{host}-{pid}`` of this process, for file names: letters, digits and '_' only
    (a host name's '-' become '_'), so the name still splits on '-'."""
    host = socket.gethostname().split(".")[0] or "host"
    host = re.sub(r"[^A-Za-z0-9_]", "_", host)[:40]
    return f"{host}-{os.getpid()}"


# What follows a portal's id in its WARC file names: the file's UTC start (14 digits), then
# the writer (host-pid, since the cluster work) and a serial, or the serial alone (older files).
_AFTER_PORTAL = re.compile(r"^-\d{14}-(?:[^/]+-)?\d{5}\.warc\.gz$")


def portal_warc_files(archive_dir: Path, portal_id: str) -> list[Path]:
    """The WARC files one portal's crawls wrote, in name order. Not a bare ``{id}-*`` glob:
    portal ids may contain ``-``, and ``gd-meizhou-*`` also matches ``gd-meizhou-zjj``'s files."""
    return [p for p in sorted(Path(archive_dir).glob(f"{portal_id}-*.warc.gz"))
            if _AFTER_PORTAL.match(p.name[len(portal_id):])]


def _default_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest as the standard writes it: sha1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


@dataclass(frozen=True)
class Original:
    """The record a revisit points at."""

    record_id: str
    url: str
    date: dt.datetime
    sha256: str
    size: int
    sha1: str | None = None  # WARC-Payload-Digest of the original, if known


@dataclass(frozen=True)
class Fetch:
    """One HTTP exchange as it happened (the body is passed separately)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    protocol: str
    response_headers: list[tuple[str, str]]
    fetched_at: dt.datetime
    ip_address: str | None = None

    def http_response_headers(self) -> StatusAndHeaders:
        kept = [(k, v) for k, v in self.response_headers if k.lower() not in _HOP_HEADERS]
        return StatusAndHeaders(f"{self.status} {self.reason}".strip(), kept, protocol=self.protocol)

    def warc_headers(self, record_id: str) -> dict[str, str]:
        out = {"WARC-Record-ID": record_id, "WARC-Date": _warc_date(self.fetched_at)}
        if self.ip_address:
            out["WARC-IP-Address"] = self.ip_address
        return out


class WarcArchive:
    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        info: dict[str, str] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        record_id_factory: Callable[[], str] | None = None,
        max_size: int = DEFAULT_MAX_SIZE,
        index: bool = True,
        writer: str | None = None,
    ):
        self.writer = writer_tag() if writer is None else writer
        self.max_size = max_size
        self.index = index
        self.directory = Path(directory)
        self.prefix = prefix
        self.info = dict(info or {})
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.record_id = record_id_factory or _default_record_id
        self.files: list[str] = []
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._serial = 0

    # -- file handling -------------------------------------------------------------------
    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = self.clock().astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
        while True:
            name = f"{self.prefix}-{stamp}-{self.writer}-{self._serial:05d}.warc.gz"
            self._serial += 1
            path = self.directory / name
            try:
                # 'x': never append to or overwrite a file another crawl wrote.
                self._fh = open(path, "xb")
                break
            except FileExistsError:
                continue
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="WARC/1.1")
        self.files.append(name)
        fields = {"software": SOFTWARE, "format": "WARC File Format 1.1"}
        fields.update(self.info)
        record = self._writer.create_warcinfo_record(name, fields)
        # Our own record id and date, so tests can fix them.
        for key, value in self._ids().items():
            record.rec_headers.replace_header(key, value)
        self._writer.write_record(record)

    def _ids(self, **extra: str) -> dict[str, str]:
        headers = {"WARC-Record-ID": self.record_id(), "WARC-Date": _warc_date(self.clock())}
        headers.update(extra)
        return headers

    def close(self) -> None:
        """Finish the current file cleanly (flushed, synced, indexed). Safe to call twice."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            if self.index:
                write_cdxj(self.directory / self.files[-1])
        self._fh = None
        self._writer = None

    @property
    def current_path(self) -> Path | None:
        """The file being written, if one is open."""
        return self.directory / self.files[-1] if self._fh is not None else None

    def abandon(self) -> None:
        """After a write failed (full or read-only disk): close the file as it is, without its
        index. The next harvest's recovery sets a torn tail aside and indexes the file."""
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass
        self._fh = None
        self._writer = None

    def _after_write(self) -> None:
        if self._fh is not None and self._fh.tell() >= self.max_size:
            self.close()

    def _request_record(self, url, method, request_headers, request_body, date, concurrent_to):
        path = url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        http_req = StatusAndHeaders(f"{method} {path} HTTP/1.1", list(request_headers), is_http_request=True)
        return self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(request_body),
            length=len(request_body),
            http_headers=http_req,
            warc_headers_dict={
                "WARC-Record-ID": self.record_id(),
                "WARC-Date": date,
                "WARC-Concurrent-To": concurrent_to,
            },
        )

    def new_record_id(self) -> str:
        return self.record_id()

    def write_metadata(self, url: str, concurrent_to: str, fields: dict[str, object], when: dt.datetime) -> None:
        """A metadata record (application/warc-fields) about the fetch ``concurrent_to``
        (written before that fetch's records, so a crash never leaves a capture without it)."""
        if self._writer is None:
            self._open()
        body = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None).encode("utf-8")
        record = self._writer.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Record-ID": self.record_id(),
                "WARC-Date": _warc_date(when),
                "WARC-Concurrent-To": concurrent_to,
            },
        )
        self._writer.write_record(record)

    def write_revisit(
        self, fetch: Fetch, *, original: Original, payload_sha1: str, not_modified: bool, record_id: str | None = None
    ) -> ArchivedRecord:
        """A revisit instead of a second copy: same payload as ``original``, or a 304."""
        if self._writer is None:
            self._open()
        revisit_id = record_id or self.record_id()
        extra = fetch.warc_headers(revisit_id)
        extra["WARC-Refers-To"] = original.record_id
        record = self._writer.create_revisit_record(
            fetch.url,
            payload_sha1,
            original.url,
            _warc_date(original.date),
            http_headers=fetch.http_response_headers(),
            warc_headers_dict=extra,
        )
        record.rec_headers.replace_header("WARC-Profile", PROFILE_NOT_MODIFIED if not_modified else PROFILE_IDENTICAL)
        offset, length = self._write_with_request(record, fetch, revisit_id)
        return ArchivedRecord(
            warc_file=self.files[-1], offset=offset, length=length, record_id=revisit_id,
            sha256=original.sha256, size=original.size, record_type="revisit", refers_to=original.record_id,
            date=fetch.fetched_at,
        )

    def _write_with_request(self, record, fetch: Fetch, concurrent_to: str) -> tuple[int, int]:
        """Write a response/revisit record and its request; return the record's offset and length."""
        request = self._request_record(
            fetch.url, fetch.method, fetch.request_headers, fetch.request_body, _warc_date(fetch.fetched_at), concurrent_to
        )
        offset = self._fh.tell()
        self._writer.write_record(record)
        length = self._fh.tell() - offset
        self._writer.write_record(request)
        return offset, length

    # -- writing ---------------------------------------------------------------------------
    def write_exchange(self, fetch: Fetch, body: bytes, *, record_id: str | None = None) -> ArchivedRecord:
        """A response record with the body exactly as received, and its request."""
        if self._writer is None:
            self._open()
        response_id = record_id or self.record_id()
        response = self._writer.create_warc_record(
            fetch.url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=fetch.http_response_headers(),
            warc_headers_dict=fetch.warc_headers(response_id),
        )
        offset, length = self._write_with_request(response, fetch, response_id)
        return ArchivedRecord(
            warc_file=self.files[-1],
            offset=offset,
            length=length,
            record_id=response_id,
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            date=fetch.fetched_at,
        )

    def finish_fetch(self) -> None:
        """Rotate once the fetch's records (and its metadata) are all written."""
        self._after_write()


@dataclass
class ReadBack:
    url: str
    record_type: str
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    warc_headers: dict[str, str]


# A record's body is read back decoded (gzip / deflate undone): a compression bomb archived as
# received must not inflate without bound when it is read again (replay, a 304's archived copy).
READ_MAX_BODY = 256 * 1024 * 1024


def read_record(archive_dir: Path, warc_file: str, offset: int, max_body: int = READ_MAX_BODY) -> ReadBack:
    """Read the record at ``offset`` of ``warc_file``: the body is the payload as received, with
    its Content-Encoding undone; a ValueError when that body would pass ``max_body`` bytes."""
    path = Path(archive_dir) / warc_file
    with open(path, "rb") as fh:
        fh.seek(offset)
        for rec in ArchiveIterator(fh):
            status = None
            headers: list[tuple[str, str]] = []
            if rec.http_headers is not None:
                headers = list(rec.http_headers.headers)
                code = rec.http_headers.get_statuscode()
                status = int(code) if code and code.isdigit() else None
            body = rec.content_stream().read(max_body + 1)
            if len(body) > max_body:
                raise ValueError(f"{path}@{offset}: the body inflates past {max_body} bytes (a compression bomb?); not read")
            return ReadBack(
                url=rec.rec_headers.get_header("WARC-Target-URI"),
                record_type=rec.rec_type,
                status=status,
                headers=headers,
                body=body,
                warc_headers=dict(rec.rec_headers.headers),
            )
    raise ValueError(f"{path}: no WARC record at offset {offset}")


def write_cdxj(warc_path: Path) -> Path:
    """The CDXJ index of one WARC file, written beside it as ``<name>.cdxj``."""
    from cdxj_indexer.main import write_cdx_index

    out = Path(str(warc_path) + ".cdxj")
    tmp = out.with_suffix(".cdxj.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            write_cdx_index(fh, [str(warc_path)], {"sort": True})
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
