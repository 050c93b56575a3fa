"""Web edge cases of issue 11 (item 8): non-ASCII secrets, attachment file names, CSS that
fetches, SVG with script. One test each; the archive is the shared web test archive."""
from __future__ import annotations

import re
from urllib.parse import quote

import lxml.html
from fastapi.testclient import TestClient

from harvester.web.replay import rewrite_html
from tests.web.conftest import snapshots_of


def test_non_ascii_access_token_or_bearer_header_is_401_not_500(archive):
    from harvester.web import create_app

    c = TestClient(create_app(archive.cfg, token="", basic_auth="", access_token="令牌-2026"),
                   raise_server_exceptions=False)
    # a wrong non-ASCII token: in the Bearer header (raw UTF-8 bytes), the query and the cookie
    assert c.get("/api/overview", headers={"Authorization": "Bearer 错误令牌".encode()}).status_code == 401
    assert c.get("/api/overview", params={"access_token": "错误"}, follow_redirects=False).status_code == 401
    assert c.get("/api/overview", headers={"Cookie": "xxgk_access=%E9%94%99"}).status_code == 401
    assert c.get("/api/overview", headers={"Authorization": "Bearer é".encode("latin-1")}).status_code == 401
    # the right one works in each place
    assert c.get("/api/overview", headers={"Authorization": "Bearer 令牌-2026".encode()}).status_code == 200
    r = c.get("/search", params={"access_token": "令牌-2026"}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/overview").status_code == 200  # the cookie set by the redirect
    # the action token too: a non-ASCII X-Harvester-Token is a 403, not a 500
    a = TestClient(create_app(archive.cfg, token="动作", basic_auth="", access_token="",
                              recrawl=lambda pid, full: {}), raise_server_exceptions=False)
    pid = next(iter(archive.urls))
    assert a.post(f"/api/portals/{pid}/recrawl", headers={"X-Harvester-Token": "错".encode()}).status_code == 403
    assert a.post(f"/api/portals/{pid}/recrawl", headers={"X-Harvester-Token": "动作".encode()}).status_code == 200
    form = a.post(f"/portals/{pid}/recrawl", data={"token": "动作", "csrf": "令牌"},
                  headers={"Cookie": "xxgk_csrf=%E4%BB%A4", "Origin": "http://testserver"})
    assert form.status_code == 403


def test_raw_download_names_a_non_ascii_file_encoded_once(client, archive):
    url = archive.info["attachment_url"]  # …/P020260122_%E7%BB%9F%E8%AE%A1%E8%A1%A8.pdf (统计表)
    sid = snapshots_of(archive, url)[0].id
    r = client.get(f"/raw/{sid}")
    assert r.status_code == 200
    cd = r.headers["content-disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''P020260122_" + quote("统计表") + ".pdf" in cd
    assert "%25" not in cd
    assert 'filename="P020260122____.pdf"' in cd or 'filename="P020260122_' in cd
    assert r.content.startswith(b"%PDF")


def test_rewriter_removes_import_and_url_in_style_elements_and_attributes():
    rec = "http://127.0.0.9:9"
    page = f"""<html><head><style>
@import url({rec}/a.css);
@import "{rec}/b.css" screen;
body {{ background: #fff url("{rec}/bg.png") no-repeat; color: #333 }}
.logo {{ background-image: image-set("{rec}/logo.png" 1x) }}
.grad {{ fill: url(#g) }}
</style><style>.x {{ background: u\\72 l({rec}/escaped.png) }}</style></head>
<body><div id="d" style="color:red; background-image:url('{rec}/div.png')">甲</div>
<p id="p" style="color: blue">乙</p></body></html>"""
    out = rewrite_html(page, "http://example.gov.cn/a/b.html", "20260101000000")
    assert "@import" not in out
    assert rec not in out and "127.0.0.9" not in out
    assert not re.search(r"url\(\s*['\"]?(?!#)", out)  # no url() left but in-document references
    doc = lxml.html.document_fromstring(out)
    styles = [s.text or "" for s in doc.iter("style")]
    assert "color: #333" in styles[0] and "url(#g)" in styles[0]  # the rest of the CSS stays
    assert "escaped" not in styles[1]  # CSS escapes could spell url(): that sheet is dropped
    assert doc.get_element_by_id("d").get("style").startswith("color:red")
    assert doc.get_element_by_id("p").get("style") == "color: blue"


def test_svg_attachment_is_replayed_without_script(client, archive):
    r = client.get(f"/replay/{archive.svg_sid}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["content-security-policy"].startswith("sandbox")
    body = r.text.lower()
    assert "<script" not in body and "onload" not in body and "fetch(" not in body
    assert "<circle" in body  # the drawing itself is kept
    assert archive.recorder.url not in r.text


def _store_with_gzip_bomb(tmp_path, inflated: int):
    """A store holding one capture whose body was archived gzip-encoded, as received, and
    inflates to ``inflated`` bytes of zeros; returns (db, archive_dir, snapshot id)."""
    import datetime as dt
    import gzip
    import hashlib
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from storage.database import open_database, sqlite_url
    from storage.models import Document, Portal, Snapshot

    archive_dir = tmp_path / "archive"
    archive_dir.mkdir()
    payload = gzip.compress(b"\0" * inflated, compresslevel=9)
    url = "http://127.0.0.1/bomb.html"
    with open(archive_dir / "bomb.warc.gz", "wb") as fh:
        w = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                                           ("Content-Length", str(len(payload)))], protocol="HTTP/1.1")
        rec = w.create_warc_record(url, "response", payload=io.BytesIO(payload), length=len(payload),
                                   http_headers=http)
        w.write_record(rec)
        length = fh.tell()
    db = open_database(sqlite_url(tmp_path / "bomb.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="门户", url="http://127.0.0.1/"))
        s.flush()
        doc = Document(portal_id="p", url=url, kind="article", is_report=False)
        s.add(doc)
        s.flush()
        snap = Snapshot(document_id=doc.id, fetched_at=dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc), status=200,
                        headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                        sha256=hashlib.sha256(payload).hexdigest(), size=len(payload), warc_file="bomb.warc.gz",
                        warc_offset=0, warc_length=length, warc_record_id=rec.rec_headers["WARC-Record-ID"])
        s.add(snap)
        s.flush()
        return db, archive_dir, snap.id


def test_a_stored_compression_bomb_is_a_clean_error_in_replay_and_raw(tmp_path, monkeypatch):
    from harvester.web import create_app, queries

    # the read limit lowered from 256 MiB so that the bomb stays small: 4 MiB of zeros past 1 MiB
    monkeypatch.setattr(queries, "REPLAY_MAX_BODY", 1 << 20)
    db, archive_dir, sid = _store_with_gzip_bomb(tmp_path, 4 << 20)
    c = TestClient(create_app(db=db, archive_dir=archive_dir, token="", access_token="", basic_auth=""),
                   raise_server_exceptions=False)
    for path in (f"/replay/{sid}", f"/raw/{sid}", f"/diff?a={sid}&b={sid}"):
        r = c.get(path)
        assert r.status_code == 500, path
        assert r.headers["content-type"].startswith("text/html")
        assert f"采集记录 {sid} 的存档无法读取" in r.text and "compression bomb" in r.text, path
        assert "Traceback" not in r.text and "Internal Server Error" not in r.text
    for path in (f"/replay/{sid}", f"/raw/{sid}"):  # an error under the archive's paths is sandboxed too
        assert c.get(path).headers["content-security-policy"].startswith("sandbox")
    r = c.get("/api/diff", params={"a": sid, "b": sid})
    assert r.status_code == 500 and "compression bomb" in r.json()["detail"]
    # the capture's metadata is still there, and the WARC record itself is kept
    assert c.get(f"/api/captures/{sid}").json()["warc_file"] == "bomb.warc.gz"
    assert c.get(f"/captures/{sid}").status_code == 200
    db.dispose()
