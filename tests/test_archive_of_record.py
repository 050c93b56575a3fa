"""Archive of record: fixity checks catch tampering, reparse needs no network, WACZ packages
and pywb replay what was captured, revisits included."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from harvester.sim import SimServer, build_universe
from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Report, Snapshot

ROOT = Path(__file__).resolve().parents[1]
PYWB = ROOT / ".venv-pywb" / "bin"


def harvester(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """One portal harvested twice: a first (full) harvest, then a full verification pass
    whose unchanged pages are archived as revisits."""
    universe = build_universe(seed=5, n_portals=1, reports_per_portal=6)
    data = tmp_path_factory.mktemp("aor")
    with SimServer(universe, first_host=70) as srv:
        reg = srv.write_registry(data / "portals.toml")
        for extra in ((), ("--full",)):
            res = harvester("--data", data, "--portals", reg, "crawl", "--all", "--quiet", *extra)
            assert res.returncode == 0, res.stderr[-2000:]
    return universe, data


def _copy(data: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(data, dst)
    return dst


def _report_snapshot(data: Path):
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        snap, url = s.execute(
            select(Snapshot, Document.url).join(Document)
            .where(Document.is_report.is_(True), Snapshot.record_type == "response").order_by(Snapshot.id)
        ).first()
        s.expunge(snap)
    db.dispose()
    return snap, url


def test_verify_passes_on_an_intact_archive(archive):
    _, data = archive
    res = harvester("--data", data, "verify")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip().splitlines()[-1].startswith("verify: OK")
    assert "MISMATCH" not in res.stdout


def test_verify_catches_a_byte_changed_inside_a_payload(archive, tmp_path):
    _, data = archive
    data = _copy(data, tmp_path)
    snap, url = _report_snapshot(data)
    path = data / "archive" / snap.warc_file
    raw = path.read_bytes()
    member = gzip.decompress(raw[snap.warc_offset:snap.warc_offset + snap.warc_length])
    i = member.index("政府信息公开".encode("utf-8")) if "政府信息公开".encode("utf-8") in member else len(member) - 10
    tampered = member[:i] + bytes([member[i] ^ 0x01]) + member[i + 1:]  # same length, one bit
    new_member = gzip.compress(tampered)
    path.write_bytes(raw[:snap.warc_offset] + new_member + raw[snap.warc_offset + snap.warc_length:])
    res = harvester("--data", data, "verify")
    assert res.returncode == 1
    lines = [line for line in res.stdout.splitlines() if line.startswith("MISMATCH")]
    assert any(f"snapshot {snap.id} ({url})" in line and "payload sha256" in line for line in lines), lines[:5]
    assert any(f"{snap.warc_file}@{snap.warc_offset}" in line and "digest mismatch" in line for line in lines), lines[:5]


def test_verify_catches_a_corrupted_compressed_byte(archive, tmp_path):
    _, data = archive
    data = _copy(data, tmp_path)
    snap, _ = _report_snapshot(data)
    path = data / "archive" / snap.warc_file
    raw = bytearray(path.read_bytes())
    raw[snap.warc_offset + snap.warc_length // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    res = harvester("--data", data, "verify")
    assert res.returncode == 1
    assert "MISMATCH" in res.stdout


def test_verify_catches_a_store_row_pointing_elsewhere(archive, tmp_path):
    _, data = archive
    data = _copy(data, tmp_path)
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        snap = s.scalars(select(Snapshot).where(Snapshot.record_type == "response", Snapshot.status == 200).order_by(Snapshot.id.desc())).first()
        snap.sha256 = "0" * 64
        sid = snap.id
    db.dispose()
    res = harvester("--data", data, "verify")
    assert res.returncode == 1
    assert f"MISMATCH snapshot {sid} " in res.stdout


def test_reparse_rereads_the_archive_without_fetching(archive, tmp_path):
    _, data = archive
    data = _copy(data, tmp_path)
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        before = {c.sha256: (c.is_annual_report, c.year, c.record["tables"]) for c in s.scalars(select(Content))}
        for c in s.scalars(select(Content)):
            c.record, c.year, c.is_annual_report = None, None, False  # as if read by a broken parser
        for d in s.scalars(select(Document)):
            d.is_report = False
    db.dispose()
    res = harvester("--data", data, "reparse")  # the simulated portal is stopped: no network
    assert res.returncode == 0, res.stderr
    assert f"reparse: {len(before)} archived bodies read again" in res.stdout
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        after = {c.sha256: (c.is_annual_report, c.year, c.record["tables"]) for c in s.scalars(select(Content))}
        reports = s.scalar(select(Document.id).where(Document.is_report.is_(True)).limit(1))
    assert after == before
    assert reports is not None


def test_wacz_of_one_report_holds_exactly_its_captures(archive, tmp_path):
    _, data = archive
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        report = s.scalars(select(Report).order_by(Report.id)).first()
        urls = {d.url for d in s.scalars(select(Document).where(Document.report_id == report.id))}
    out = tmp_path / "r.wacz"
    res = harvester("--data", data, "export", "wacz", "--report", report.id, out)
    assert res.returncode == 0, res.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl"} <= names
        warcs = [n for n in names if n.startswith("archive/")]
        assert len(warcs) == 1
        from warcio.archiveiterator import ArchiveIterator
        import io
        recs = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(io.BytesIO(z.read(warcs[0])))]
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert {u for _, u in recs} == urls
    assert {t for t, _ in recs} == {"response", "revisit"}
    assert {p["url"] for p in pages} == urls


def test_wacz_needs_a_portal_or_a_report(archive, tmp_path):
    _, data = archive
    res = harvester("--data", data, "export", "wacz", tmp_path / "x.wacz")
    assert res.returncode == 2
    assert "exactly one of --portal ID or --report ID" in res.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pywb(archive, tmp_path_factory):
    """pywb (a real replay engine) with the project's WARC files in a collection."""
    if not (PYWB / "wayback").exists():
        pytest.fail(f"pywb is not installed in {PYWB.parent}: run bin/setup")
    _, data = archive
    root = tmp_path_factory.mktemp("pywb")
    env = {**os.environ, "PATH": f"{PYWB}:{os.environ['PATH']}"}
    subprocess.run([PYWB / "wb-manager", "init", "reports"], cwd=root, check=True, capture_output=True, env=env)
    warcs = sorted((data / "archive").glob("*.warc.gz"))
    subprocess.run([PYWB / "wb-manager", "add", "reports", *warcs], cwd=root, check=True, capture_output=True, env=env)
    port = _free_port()
    proc = subprocess.Popen([PYWB / "wayback", "-b", "127.0.0.1", "-p", str(port)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/reports"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("pywb did not start")
                time.sleep(0.3)
        yield base, root
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.read()


def test_pywb_indexes_every_capture_of_the_project(pywb, archive):
    _, data = archive
    base, root = pywb
    index = (root / "collections" / "reports" / "indexes" / "index.cdxj").read_text()
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        urls = set(s.scalars(select(Document.url)))
    for url in urls:
        assert f'"url": "{url}"' in index


def test_pywb_replays_a_report_with_its_chinese_text(pywb, archive):
    universe, data = archive
    base, _ = pywb
    snap, url = _report_snapshot(data)
    ts = snap.fetched_at.strftime("%Y%m%d%H%M%S")
    report = next(r for r in universe.portals[0].reports if url.endswith(r.path))
    original = _get(f"{base}/{ts}id_/{url}")  # the bytes as captured
    encoding = "gb18030" if report.encoding == "gb18030" else "utf-8"
    text = original.decode(encoding)
    para = next(line.strip() for line in report.body_text.splitlines() if len(line.strip()) >= 30)
    assert para[:20] in text
    assert report.title in text
    rewritten = _get(f"{base}/{ts}mp_/{url}")  # the page as replayed, links rewritten to the archive
    replayed = rewritten.decode(encoding, errors="strict")
    assert report.title in replayed and para[:20] in replayed
    assert f"/reports/{ts}" in replayed  # links point into the archive


def test_pywb_resolves_revisits_to_their_originals(pywb, archive):
    _, data = archive
    base, _ = pywb
    db = open_database(sqlite_url(data / "harvester.db"))
    with db.session() as s:
        rev, url = s.execute(
            select(Snapshot, Document.url).join(Document)
            .where(Snapshot.record_type == "revisit", Snapshot.status == 200, Document.kind == "homepage")
        ).first()
        original = s.get(Snapshot, rev.payload_of_id)
        from storage.warc import read_record
        body = read_record(data / "archive", original.warc_file, original.warc_offset).body
    ts = rev.fetched_at.strftime("%Y%m%d%H%M%S")
    assert _get(f"{base}/{ts}id_/{url}") == body
