"""WARC archive: byte-exact bodies, deterministic records, readable by warcio's own checker."""
import datetime as dt
import gzip
import hashlib
import os
import random
import subprocess
import sys
from base64 import b32encode
from itertools import count
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from storage.warc import Fetch, WarcArchive, read_record, writer_tag

T0 = dt.datetime(2025, 1, 31, 2, 0, 0, tzinfo=dt.timezone.utc)
GBK_BODY = "<html><meta charset=gb2312><p>朱镕基 堃 政府信息公开</p></html>".encode("gb18030")


def _archive(directory: Path) -> WarcArchive:
    ids = count(1)
    return WarcArchive(
        directory,
        "sim-a",
        info={"isPartOf": "sim-a"},
        clock=lambda: T0,
        record_id_factory=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(ids):012d}>",
    )


def _write(arc: WarcArchive, body: bytes, url="http://127.0.0.20:8000/xxgk/gknb/202401/t20240115_1.html"):
    fetch = Fetch(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "xxgk-harvester/0.1"), ("Accept-Encoding", "gzip")],
        request_body=b"",
        status=200,
        reason="OK",
        protocol="HTTP/1.1",
        response_headers=[("Content-Type", "text/html; charset=gb2312"), ("Transfer-Encoding", "chunked"), ("ETag", '"abc"')],
        fetched_at=T0,
        ip_address="127.0.0.20",
    )
    return arc.write_exchange(fetch, body)


def test_body_is_archived_byte_exact_and_digests_match(tmp_path):
    arc = _archive(tmp_path)
    rec = _write(arc, GBK_BODY)
    arc.close()
    assert rec.sha256 == hashlib.sha256(GBK_BODY).hexdigest()
    back = read_record(tmp_path, rec.warc_file, rec.offset)
    assert back.record_type == "response"
    assert back.body == GBK_BODY
    assert back.status == 200
    assert ("ETag", '"abc"') in back.headers
    # the body is de-chunked, so the chunked framing header is not replayed
    assert all(k.lower() != "transfer-encoding" for k, _ in back.headers)
    sha1 = "sha1:" + b32encode(hashlib.sha1(GBK_BODY).digest()).decode()
    assert back.warc_headers["WARC-Payload-Digest"] == sha1
    assert back.warc_headers["WARC-IP-Address"] == "127.0.0.20"


def test_file_layout_warcinfo_then_response_request_pairs(tmp_path):
    arc = _archive(tmp_path)
    r1 = _write(arc, GBK_BODY)
    r2 = _write(arc, b"second", url="http://127.0.0.20:8000/b.html")
    arc.close()
    assert r1.warc_file == r2.warc_file == f"sim-a-20250131020000-{writer_tag()}-00000.warc.gz"
    with open(tmp_path / r1.warc_file, "rb") as fh:
        recs = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID"), r.rec_headers.get_header("WARC-Concurrent-To"))
                for r in ArchiveIterator(fh)]
    assert [r[0] for r in recs] == ["warcinfo", "response", "request", "response", "request"]
    assert recs[2][2] == recs[1][1] == r1.record_id  # request points at its response
    assert r2.offset > r1.offset + r1.length


def test_same_inputs_give_identical_records(tmp_path):
    outs = []
    for name in ("one", "two"):
        arc = _archive(tmp_path / name)
        _write(arc, GBK_BODY)
        arc.close()
        outs.append(gzip.decompress((tmp_path / name / arc.files[0]).read_bytes()))
    assert outs[0] == outs[1]
    assert b"WARC/1.1\r\n" in outs[0]
    assert b"WARC-Date: 2025-01-31T02:00:00.000000Z" in outs[0]


def test_a_second_archive_never_overwrites_the_first(tmp_path):
    a, b = _archive(tmp_path), _archive(tmp_path)
    _write(a, b"a")
    _write(b, b"b")
    a.close(), b.close()
    assert a.files != b.files
    assert len(list(tmp_path.glob("*.warc.gz"))) == 2
    assert len(list(tmp_path.glob("*.warc.gz.cdxj"))) == 2


def test_two_workers_archiving_one_portal_in_the_same_second_write_files_of_their_own(tmp_path):
    """Workers on two machines share one archive directory: a file's name says which host and
    process wrote it, so two of them never write (or race to create) the same file."""
    a = WarcArchive(tmp_path, "sim-a", clock=lambda: T0, writer="node1-4242")
    b = WarcArchive(tmp_path, "sim-a", clock=lambda: T0, writer="node2-4242")
    _write(a, b"a")
    _write(b, b"b")
    a.close(), b.close()
    assert a.files == ["sim-a-20250131020000-node1-4242-00000.warc.gz"]
    assert b.files == ["sim-a-20250131020000-node2-4242-00000.warc.gz"]
    host, pid = writer_tag().rsplit("-", 1)
    assert pid == str(os.getpid()) and host and "-" not in host and "." not in host


def test_warcio_check_accepts_the_file(tmp_path):
    arc = _archive(tmp_path)
    _write(arc, GBK_BODY)
    arc.close()
    res = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(tmp_path / arc.files[0])],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "digest pass" in res.stdout


def test_files_rotate_at_the_size_limit_and_each_is_complete(tmp_path):
    ids = count(1)
    arc = WarcArchive(tmp_path, "sim-a", clock=lambda: T0, max_size=3000,
                      record_id_factory=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(ids):012d}>")
    bodies = [random.Random(i).randbytes(2000) for i in range(6)]  # incompressible: ~2 kB a record
    records = []
    for i, body in enumerate(bodies):
        records.append(_write(arc, body, url=f"http://127.0.0.20:8000/r{i}.html"))
        arc.finish_fetch()
    arc.close()
    assert len(arc.files) >= 3
    assert arc.files == sorted(arc.files)  # portal-time-serial names
    assert [f.rsplit("-", 1)[1] for f in arc.files[:3]] == ["00000.warc.gz", "00001.warc.gz", "00002.warc.gz"]
    for name in arc.files:
        with open(tmp_path / name, "rb") as fh:
            kinds = [r.rec_type for r in ArchiveIterator(fh)]
        assert kinds[0] == "warcinfo" and "response" in kinds  # every file stands alone
        assert (tmp_path / (name + ".cdxj")).exists()
    for rec, body in zip(records, bodies):
        assert read_record(tmp_path, rec.warc_file, rec.offset).body == body


def test_a_portals_files_are_its_own_even_when_another_id_starts_with_its_id(tmp_path):
    """Portal ids may contain '-': the files of "gd-mz" are not those of "gd-mz-zjj"."""
    from storage.warc import portal_warc_files

    names = ["gd-mz-20260101000000-node1-4242-00000.warc.gz", "gd-mz-20260101000000-00001.warc.gz",
             "gd-mz-zjj-20260101000000-node1-4242-00000.warc.gz", "gd-mz-zjj-20260102000000-00000.warc.gz",
             "gd-mz-20260101000000-node1-4242-00000.warc.gz.cdxj"]
    for n in names:
        (tmp_path / n).write_bytes(b"")
    assert [p.name for p in portal_warc_files(tmp_path, "gd-mz")] == [
        "gd-mz-20260101000000-00001.warc.gz", "gd-mz-20260101000000-node1-4242-00000.warc.gz"]
    assert [p.name for p in portal_warc_files(tmp_path, "gd-mz-zjj")] == [
        "gd-mz-zjj-20260101000000-node1-4242-00000.warc.gz", "gd-mz-zjj-20260102000000-00000.warc.gz"]
