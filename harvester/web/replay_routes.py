"""The archived bytes: /replay/{sid} (rendered safely, links into the archive), /raw/{sid}
(the body as received, as a download) and /go (the capture of a URL nearest a time).

Every answer under /replay/ and /raw/ carries the replay headers (sandbox CSP), set by
``harvester.web.security.guard``."""
from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from harvester.web import queries
from harvester.web.replay import decode_body, is_html, is_svg, rewrite_html, sanitize_css, sanitize_svg
from harvester.web.state import DB, State, fmt_time, message

router = APIRouter(include_in_schema=False)

SCRIPT_TYPES = ("text/javascript", "application/javascript", "application/x-javascript", "text/ecmascript")


def content_disposition(url: str) -> str:
    """``attachment`` with the URL's file name: an ASCII fallback and ``filename*`` (RFC 6266 /
    5987), percent-encoded once (the URL's path is already percent-encoded: decode it first)."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "index.html"
    name = name.replace("/", "_").replace("\\", "_")
    fallback = "".join(ch if 32 < ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/replay/{sid}")
def replay(st: State, sid: int):
    body = queries.capture_body(st.db, st.archive_dir, sid)
    raw, ctype_header = body["body"], body["content_type"]
    if is_html(ctype_header, raw):
        banner = (f"存档副本：{body['url']} · 采集于 {fmt_time(body['fetched_at'])} · HTTP {body['status']} · "
                  f"sha256 {body['sha256'][:16]}…（页面脚本已禁用，链接指向存档）")
        return HTMLResponse(rewrite_html(decode_body(ctype_header, raw), body["url"], queries.ts14(body["fetched_at"]),
                                         banner))
    ctype = (ctype_header or "application/octet-stream").split(";")[0].strip().lower()
    if ctype in SCRIPT_TYPES:
        ctype = "text/plain"  # never hand archived script back as script
    if ctype == "image/svg+xml" or is_svg(raw):
        clean = sanitize_svg(raw)
        if clean is None:  # not well-formed: offered as a download, never rendered
            return Response(raw, media_type="application/octet-stream",
                            headers={"Content-Disposition": content_disposition(body["url"])})
        return Response(clean, media_type="image/svg+xml")
    if ctype == "text/css":
        return Response(sanitize_css(decode_body(ctype_header, raw)).encode("utf-8"), media_type="text/css; charset=utf-8")
    return Response(raw, media_type=ctype)


@router.get("/raw/{sid}")
def raw(st: State, sid: int):
    body = queries.capture_body(st.db, st.archive_dir, sid)
    return Response(body["body"], media_type="application/octet-stream", headers={
        "Content-Disposition": content_disposition(body["url"]),
        "X-Archived-Content-Type": body["content_type"] or "",
        "X-Archived-SHA256": body["sha256"],
    })


@router.get("/go")
def go(request: Request, db: DB, url: str, ts: str = "", top: int = 0):
    sid = queries.nearest_capture(db, url, queries.parse_ts14(ts))
    if sid is None:
        return message(request, "未存档", f"此网址没有存档副本：{url}", 404)
    return RedirectResponse(f"/captures/{sid}" if top else f"/replay/{sid}", status_code=302)
