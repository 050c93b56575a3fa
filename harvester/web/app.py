"""The archive browser: FastAPI, server-rendered Jinja2 pages (no JavaScript), JSON API under /api/."""
from __future__ import annotations

import base64
import csv
import datetime as dt
import hmac
import io
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, FastAPI, Form, Header, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from harvester.web import data, layout
from harvester.web.replay import (
    REPLAY_HEADERS,
    decode_body,
    is_html,
    is_svg,
    rewrite_html,
    sanitize_css,
    sanitize_svg,
)
from storage import search as search_index
from storage.database import Database, open_database

HERE = Path(__file__).parent
Recrawl = Callable[[str, bool], dict]

PAGE_CSP = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; img-src 'self' data:; style-src 'self'"
)
CSRF_COOKIE = "xxgk_csrf"
ACCESS_COOKIE = "xxgk_access"


@dataclass
class WebSettings:
    db: Database
    archive_dir: Path
    token: str | None = None  # actions (recrawl) need it
    access_token: str | None = None  # optional access control: bearer token / cookie
    basic_auth: str | None = None  # optional access control: "user:password"
    recrawl: Recrawl | None = None


# ------------------------------------------------------------------------------ template helpers
def _fmt_time(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _mark(snippet: str) -> Markup:
    """Escape a snippet, then turn the \\x01 … \\x02 markers into <mark>."""
    out = str(escape(snippet or ""))
    return Markup(out.replace("\x01", "<mark>").replace("\x02", "</mark>"))


def _num(v) -> str:
    return layout.fmt_num(v)


def _operands(ops: dict | None) -> str:
    return layout.fmt_operands(ops)


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    env = t.env
    env.filters.update(time=_fmt_time, mark=_mark, num=_num, operands=_operands, q=lambda s: quote(str(s), safe=""))
    env.globals.update(
        RULE_NAMES=layout.RULE_NAMES, STATUS_LABELS=layout.STATUS_LABELS, STATUS_MARKS=layout.STATUS_MARKS,
        FORMAT_LABELS=layout.FORMAT_LABELS, COMPLIANCE_LABELS=data.COMPLIANCE_LABELS,
        place_label=layout.place_label,
    )
    return t


# ------------------------------------------------------------------------------ app factory
def create_app(cfg=None, *, db: Database | None = None, archive_dir: Path | str | None = None,
               recrawl: Recrawl | None = None, token: str | None = None, access_token: str | None = None,
               basic_auth: str | None = None) -> FastAPI:
    """The archive browser for the store of ``cfg`` (a :class:`harvester.config.Config`).

    ``recrawl(portal_id, full) -> dict`` performs a recrawl; without it the action is hidden and
    its endpoints answer 503. The action token defaults to ``HARVESTER_WEB_TOKEN``; optional access
    control to ``HARVESTER_WEB_ACCESS_TOKEN`` (bearer token) and ``HARVESTER_WEB_BASIC_AUTH``
    (``user:password``).
    """
    if db is None:
        if cfg is None:
            raise ValueError("create_app needs a Config or a Database")
        db = open_database(cfg.db_url)
    if archive_dir is None:
        if cfg is None:
            raise ValueError("create_app needs archive_dir when given a Database")
        archive_dir = cfg.archive_dir
    st = WebSettings(
        db=db, archive_dir=Path(archive_dir),
        token=token if token is not None else (os.environ.get("HARVESTER_WEB_TOKEN") or None),
        access_token=access_token if access_token is not None else (os.environ.get("HARVESTER_WEB_ACCESS_TOKEN") or None),
        basic_auth=basic_auth if basic_auth is not None else (os.environ.get("HARVESTER_WEB_BASIC_AUTH") or None),
        recrawl=recrawl,
    )
    app = FastAPI(
        title="xxgk-harvester 存档浏览 API",
        description="政府信息公开工作年度报告存档：门户、报告、采集记录、检索、合规矩阵。只读；重新采集需令牌。",
        version="1",
        openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
    )
    app.state.settings = st
    with st.db.session() as s:
        search_index.ensure_index(s)
    last_index_check = [time.monotonic()]

    def check_index() -> None:
        """Repair the search triggers if a later migration dropped them (at most every 30 s)."""
        if time.monotonic() - last_index_check[0] > 30:
            last_index_check[0] = time.monotonic()
            with st.db.session() as s:
                search_index.ensure_index(s)
    templates = _templates()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    facet_cache: dict = {}

    def facets() -> dict:
        """Filter menu values (years, portals, formats), recomputed at most once a minute."""
        now = time.monotonic()
        if not facet_cache or now - facet_cache["at"] > 60:
            with st.db.session() as s:
                facet_cache.update(at=now, value=search_index.facets(s))
        return facet_cache["value"]

    def render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
        ctx = {"request": request, "actions": st.recrawl is not None, **ctx}
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def message(request: Request, title: str, text: str, status: int) -> HTMLResponse:
        return render(request, "message.html", {"title": title, "text": text}, status)

    # -------------------------------------------------------------------- middleware
    @app.middleware("http")
    async def guard(request: Request, call_next):
        path = request.url.path
        if st.access_token or st.basic_auth:
            if not _access_ok(request, st):
                if st.access_token and request.query_params.get("access_token") and _same_secret(
                        request.query_params["access_token"], st.access_token):
                    resp = RedirectResponse(path, status_code=303)
                    resp.set_cookie(ACCESS_COOKIE, _cookie_value(st.access_token), httponly=True, samesite="strict")
                    return resp
                headers = {"WWW-Authenticate": 'Basic realm="xxgk-harvester", charset="UTF-8"'} if st.basic_auth else {}
                return PlainTextResponse("需要登录 (authentication required)", status_code=401, headers=headers)
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if path.startswith(("/replay/", "/raw/")):
            for k, v in REPLAY_HEADERS.items():
                response.headers[k] = v
        else:
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    @app.exception_handler(data.NotFound)
    async def not_found(request: Request, exc: data.NotFound):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return message(request, "未找到", str(exc), 404)

    # -------------------------------------------------------------------- HTML pages
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_overview(request: Request):
        return render(request, "overview.html", data.overview(st.db))

    @app.get("/portals/{portal_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_portal(request: Request, portal_id: str, page: int = Query(1, ge=1)):
        ctx = data.portal_detail(st.db, portal_id, page=page)
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        resp = render(request, "portal.html", {**ctx, "csrf": csrf, "token_configured": bool(st.token)})
        if st.recrawl is not None and request.cookies.get(CSRF_COOKIE) != csrf:
            resp.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
        return resp

    @app.post("/portals/{portal_id}/recrawl", response_class=HTMLResponse, include_in_schema=False)
    def page_recrawl(request: Request, portal_id: str, token: str = Form(""), csrf: str = Form(""),
                     full: str = Form("")):
        ok, status, why = _action_allowed(st, token)
        if ok:
            cookie = request.cookies.get(CSRF_COOKIE) or ""
            if not (cookie and csrf and _same_secret(cookie, csrf)) or not _same_origin(request):
                ok, status, why = False, 403, "CSRF 校验失败：请从门户页面重新提交。"
        if not ok:
            return message(request, "无法执行重新采集", why, status)
        data.portal_detail(st.db, portal_id, per_page=1)  # 404 for an unknown portal
        result = st.recrawl(portal_id, bool(full))
        return render(request, "action.html", {"portal_id": portal_id, "full": bool(full), "result": result})

    @app.get("/reports/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_report(request: Request, doc_id: int):
        d = data.report_detail(st.db, doc_id)
        grid = layout.build_tables(d["_record"], d["cross_year"])
        return render(request, "report.html", {**d, "grid": grid})

    @app.get("/reports/{doc_id}/evidence.zip", include_in_schema=False)
    def evidence(doc_id: int):
        name, blob = data.evidence_zip(st.db, st.archive_dir, doc_id)
        return Response(blob, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/timeline", response_class=HTMLResponse, include_in_schema=False)
    def page_timeline(request: Request, url: str = Query(..., min_length=1)):
        return render(request, "timeline.html", data.timeline(st.db, url))

    @app.get("/captures/{sid}", response_class=HTMLResponse, include_in_schema=False)
    def page_capture(request: Request, sid: int):
        meta = data.capture_meta(st.db, sid)
        tl = data.timeline(st.db, meta["url"])
        return render(request, "capture.html", {"capture": meta, "timeline": tl})

    @app.get("/replay/{sid}", include_in_schema=False)
    def replay(sid: int):
        body = data.capture_body(st.db, st.archive_dir, sid)
        raw = body["body"]
        when = body["fetched_at"]
        if is_html(body["content_type"], raw):
            banner = (f"存档副本：{body['url']} · 采集于 {_fmt_time(when)} · HTTP {body['status']} · "
                      f"sha256 {body['sha256'][:16]}…（页面脚本已禁用，链接指向存档）")
            html = rewrite_html(decode_body(body["content_type"], raw), body["url"], data.ts14(when), banner)
            return HTMLResponse(html)
        ctype = (body["content_type"] or "application/octet-stream").split(";")[0].strip().lower()
        if ctype in ("text/javascript", "application/javascript", "application/x-javascript", "text/ecmascript"):
            ctype = "text/plain"  # never hand archived script back as script
        if ctype == "image/svg+xml" or is_svg(raw):
            clean = sanitize_svg(raw)
            if clean is None:  # not well-formed: offered as a download, never rendered
                return Response(raw, media_type="application/octet-stream",
                                headers={"Content-Disposition": content_disposition(body["url"])})
            return Response(clean, media_type="image/svg+xml")
        if ctype == "text/css":
            return Response(sanitize_css(decode_body(body["content_type"], raw)).encode("utf-8"),
                            media_type="text/css; charset=utf-8")
        return Response(raw, media_type=ctype)

    @app.get("/raw/{sid}", include_in_schema=False)
    def raw(sid: int):
        body = data.capture_body(st.db, st.archive_dir, sid)
        return Response(body["body"], media_type="application/octet-stream", headers={
            "Content-Disposition": content_disposition(body["url"]),
            "X-Archived-Content-Type": body["content_type"] or "",
            "X-Archived-SHA256": body["sha256"],
        })

    @app.get("/go", include_in_schema=False)
    def go(request: Request, url: str, ts: str = "", top: int = 0):
        sid = data.nearest_capture(st.db, url, data.parse_ts14(ts))
        if sid is None:
            return message(request, "未存档", f"此网址没有存档副本：{url}", 404)
        return RedirectResponse(f"/captures/{sid}" if top else f"/replay/{sid}", status_code=302)

    @app.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    def page_diff(request: Request, a: int, b: int):
        return render(request, "diff.html", data.diff_captures(st.db, st.archive_dir, a, b))

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def page_search(request: Request, q: str = "", year: str = "", portal: str = "", format: str = "",
                    failed: str = "", reports: str = "", page: int = Query(1, ge=1)):
        flt = _filters(year, portal, format, failed, reports)
        check_index()
        per = 20
        with st.db.session() as s:
            res = None
            if q.strip() or any([flt.year, flt.portal, flt.format, flt.failed, flt.reports_only]):
                res = search_index.search(s, q, flt, limit=per, offset=(page - 1) * per)
        return render(request, "search.html", {
            "q": q, "f": flt, "facets": facets(), "res": res, "page": page, "per": per,
            "min_term": search_index.MIN_INDEXED_TERM,
            "qs": {"q": q, "year": year, "portal": portal, "format": format, "failed": failed, "reports": reports},
        })

    @app.get("/compliance", response_class=HTMLResponse, include_in_schema=False)
    def page_compliance(request: Request, portal: str = "", agency: str = "", year_from: str = "",
                        year_to: str = "", status: str = ""):
        d = data.compliance(st.db, portal=portal or None, agency=agency or None, year_from=_int(year_from),
                            year_to=_int(year_to), status=status or None)
        args = {"portal": portal, "agency": agency, "year_from": year_from, "year_to": year_to, "status": status}
        return render(request, "compliance.html", {**d, "facets": facets(), "args": args,
                                                   "csv_query": "&".join(f"{k}={quote(v)}" for k, v in args.items() if v)})

    @app.get("/compliance.csv", include_in_schema=False)
    def compliance_csv(portal: str = "", agency: str = "", year_from: str = "", year_to: str = "", status: str = ""):
        d = data.compliance(st.db, portal=portal or None, agency=agency or None, year_from=_int(year_from),
                            year_to=_int(year_to), status=status or None)
        return _csv_response(data.compliance_csv_rows(d), "compliance.csv")

    chart_cache: dict = {}

    def chart_numbers(portal: str | None) -> dict:
        """The charts' numbers, recomputed at most once a minute per portal."""
        from harvester.web import charts

        now = time.monotonic()
        hit = chart_cache.get(portal)
        if hit is None or now - hit[0] > 60:
            if len(chart_cache) > 256:
                chart_cache.clear()
            hit = chart_cache[portal] = (now, charts.chart_data(st.db, portal))
        return hit[1]

    def page_charts_for(request: Request, portal: str | None):
        from harvester.web import charts

        if portal:
            data.portal_detail(st.db, portal, per_page=1)  # 404 for an unknown portal
        d = chart_numbers(portal)
        return render(request, "charts.html", {"portal": portal, "charts": charts.charts(d), "reports": d["reports"],
                                               "portals": facets()["portals"]})

    @app.get("/charts", response_class=HTMLResponse, include_in_schema=False)
    def page_charts(request: Request):
        return page_charts_for(request, None)

    @app.get("/charts/{portal_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_charts_portal(request: Request, portal_id: str):
        return page_charts_for(request, portal_id)

    @app.get("/charts.csv", include_in_schema=False)
    def charts_csv(portal: str = ""):
        from harvester.web import charts

        if portal:
            data.portal_detail(st.db, portal, per_page=1)
        return _csv_response(charts.csv_rows(chart_numbers(portal or None)),
                             f"charts-{portal}.csv" if portal else "charts.csv")

    @app.get("/export", response_class=HTMLResponse, include_in_schema=False)
    def page_export(request: Request):
        return render(request, "export.html", {"facets": facets()})

    @app.get("/export/reports.csv", include_in_schema=False)
    def export_reports_csv(portal: str = ""):
        """The logical reports as `harvester export reports --format csv`, streamed."""
        from harvester.export import csv_cell, flat_header, flat_row, iter_logical_reports, table_cells

        def chunks():
            buf = io.StringIO()
            buf.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
            w = csv.writer(buf)
            w.writerow(flat_header())
            cells = table_cells()
            for row in iter_logical_reports(st.db, portal=portal or None):
                w.writerow([csv_cell(v) for v in flat_row(row, cells)])
                if buf.tell() > 1 << 16:
                    yield buf.getvalue().encode("utf-8")
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue().encode("utf-8")

        return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="reports.csv"'})

    @app.get("/export/reports.xlsx", include_in_schema=False)
    def export_reports_xlsx(portal: str = ""):
        import tempfile

        from starlette.background import BackgroundTask

        from harvester.export import write_logical

        fd, path = tempfile.mkstemp(prefix="harvester-reports-", suffix=".xlsx")
        os.close(fd)
        try:
            write_logical(st.db, "xlsx", path, portal=portal or None)
        except BaseException:
            os.unlink(path)
            raise
        return FileResponse(path, filename="reports.xlsx", background=BackgroundTask(os.unlink, path),
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @app.get("/export/tables.csv", include_in_schema=False)
    def export_csv(portal: str = "", year: str = ""):
        return _csv_response(data.tables_long_rows(st.db, portal or None, _int(year)), "tables.csv")

    @app.get("/export/tables.xlsx", include_in_schema=False)
    def export_xlsx(portal: str = "", year: str = ""):
        blob = data.tables_xlsx(st.db, portal or None, _int(year))
        return Response(blob, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="tables.xlsx"'})

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def page_api(request: Request):
        routes = [(r.path, sorted(r.methods)) for r in app.routes
                  if getattr(r, "include_in_schema", False) and r.path.startswith("/api/")]
        return render(request, "api.html", {"routes": routes})

    # -------------------------------------------------------------------- JSON API
    api = APIRouter(prefix="/api", tags=["archive"])

    @api.get("/overview", summary="门户概览：最近采集、状态、报告数、未关闭的健康事件")
    def api_overview():
        return data.overview(st.db)

    @api.get("/portals", summary="门户列表")
    def api_portals():
        return data.overview(st.db)["portals"]

    @api.get("/portals/{portal_id}", summary="门户：按年度和机构的报告、采集运行")
    def api_portal(portal_id: str, page: int = Query(1, ge=1), per_page: int = Query(200, ge=1, le=1000)):
        return data.portal_detail(st.db, portal_id, page=page, per_page=per_page)

    @api.get("/runs", summary="采集运行，最新在前")
    def api_runs(portal: str | None = None, limit: int = Query(100, ge=1, le=1000)):
        from harvester.export import list_runs
        return list_runs(st.db, portal=portal, limit=limit)

    @api.get("/reports/{doc_id}", summary="报告：元数据、表格、校验结果(含跨年度)、正文、附件、采集记录")
    def api_report(doc_id: int):
        d = data.report_detail(st.db, doc_id)
        d.pop("_record", None)
        return d

    @api.get("/logical-reports", summary="逻辑报告(网页、附件、转载为同一报告的位置)，与 export reports 的行相同")
    def api_logical_reports(portal: str = "", year: str = "", limit: int = Query(100, ge=1, le=1000),
                            offset: int = Query(0, ge=0)):
        return data.logical_reports(st.db, portal or None, _int(year), limit=limit, offset=offset)

    @api.get("/logical-reports/{report_id}", summary="一份逻辑报告：所用版本、发布日期及其来源、全部位置与采集、版本")
    def api_logical_report(report_id: int):
        from harvester.export import logical_report

        row = logical_report(st.db, report_id)
        if row is None:
            raise data.NotFound(f"没有此报告: {report_id}")
        return row

    @api.get("/charts", summary="图表数字：每年新收申请、办理结果、复议诉讼结果、按时/逾期/缺失(可按门户)")
    def api_charts(portal: str = ""):
        if portal:
            data.portal_detail(st.db, portal, per_page=1)
        d = chart_numbers(portal or None)
        return {**d, "applications": {str(k): v for k, v in d["applications"].items()},
                "outcomes": {str(k): v for k, v in d["outcomes"].items()},
                "review": {g: {str(k): v for k, v in ys.items()} for g, ys in d["review"].items()},
                "timeliness": {str(k): v for k, v in d["timeliness"].items()}}

    @api.get("/timeline", summary="某网址的全部采集记录(时间、状态、摘要、是否变化)")
    def api_timeline(url: str):
        return data.timeline(st.db, url)

    @api.get("/captures/{sid}", summary="一次采集的元数据；正文见 /replay/{sid} 与 /raw/{sid}")
    def api_capture(sid: int):
        meta = data.capture_meta(st.db, sid)
        meta.update({"replay": f"/replay/{sid}", "raw": f"/raw/{sid}"})
        return meta

    @api.get("/diff", summary="两次采集之间的正文差异与表格单元格变化")
    def api_diff(a: int, b: int):
        return data.diff_captures(st.db, st.archive_dir, a, b)

    @api.get("/search", summary="全文检索(标题、机构、正文)，可按年度、门户、格式、校验失败筛选")
    def api_search(q: str = "", year: str = "", portal: str = "", format: str = "", failed: str = "",
                   reports: str = "", limit: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0)):
        check_index()
        with st.db.session() as s:
            res = search_index.search(s, q, _filters(year, portal, format, failed, reports), limit=limit, offset=offset)
        return {"query": res.query, "terms": res.terms, "total": res.total, "capped": res.capped,
                "hits": [{**h.__dict__, "snippet": h.snippet.replace("\x01", "").replace("\x02", ""),
                          "report": f"/api/reports/{h.doc_id}"} for h in res.hits]}

    @api.get("/compliance", summary="机构 × 年度 合规矩阵(按时/逾期天数/缺失/校验失败)")
    def api_compliance(portal: str = "", agency: str = "", year_from: str = "", year_to: str = "", status: str = ""):
        d = data.compliance(st.db, portal=portal or None, agency=agency or None, year_from=_int(year_from),
                            year_to=_int(year_to), status=status or None)
        d["rows"] = [{**r, "cells": {str(y): c for y, c in r["cells"].items()}} for r in d["rows"]]
        return d

    @api.post("/portals/{portal_id}/recrawl", summary="重新采集一个门户(需 X-Harvester-Token 请求头)")
    def api_recrawl(portal_id: str, full: bool = False,
                    x_harvester_token: str | None = Header(None, alias="X-Harvester-Token")):
        ok, status, why = _action_allowed(st, x_harvester_token or "")
        if not ok:
            return JSONResponse({"detail": why}, status_code=status)
        data.portal_detail(st.db, portal_id, per_page=1)
        return {"portal": portal_id, "full": full, "result": st.recrawl(portal_id, full)}

    app.include_router(api)
    return app


# ------------------------------------------------------------------------------ helpers
def _int(v: str | None) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except ValueError:
        return None


def _filters(year, portal, fmt, failed, reports) -> search_index.SearchFilters:
    return search_index.SearchFilters(year=_int(year), portal=portal or None, format=fmt or None,
                                      failed=bool(failed), reports_only=bool(reports))


def _csv_response(rows, name: str) -> Response:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
    w = csv.writer(buf)
    for r in rows:
        w.writerow(r)
    return Response(buf.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two secrets of any characters (``hmac.compare_digest`` on
    ``str`` raises TypeError for non-ASCII text: that was a 500 instead of a 401/403)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _header_secret(value: str, expected: str) -> bool:
    """A secret from a request header: Starlette decodes header bytes as Latin-1, so a UTF-8
    token sent as raw bytes arrives as Latin-1 text; compare the bytes as sent."""
    try:
        sent = value.encode("latin-1")
    except UnicodeEncodeError:
        sent = value.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(sent, expected.encode("utf-8", "surrogatepass")) or _same_secret(value, expected)


def _cookie_value(token: str) -> str:
    """The access cookie's value: the token percent-encoded (a cookie value is ASCII)."""
    return quote(token, safe="")


def content_disposition(url: str) -> str:
    """``attachment`` with the URL's file name: an ASCII fallback and ``filename*`` (RFC 6266 /
    5987), percent-encoded once (the URL's path is already percent-encoded: decode it first)."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "index.html"
    name = name.replace("/", "_").replace("\\", "_")
    fallback = "".join(ch if 32 < ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _action_allowed(st: WebSettings, given: str) -> tuple[bool, int, str]:
    if st.recrawl is None:
        return False, 503, "重新采集功能未启用 (recrawl is not configured in this deployment)."
    if not st.token:
        return False, 403, "未设置操作令牌 HARVESTER_WEB_TOKEN，所有操作均已禁用 (read-only)."
    if not given or not _header_secret(given, st.token):
        return False, 403, "操作令牌错误 (invalid token)."
    return True, 200, ""


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _access_ok(request: Request, st: WebSettings) -> bool:
    auth = request.headers.get("authorization", "")
    if st.access_token:
        if auth.lower().startswith("bearer ") and _header_secret(auth[7:].strip(), st.access_token):
            return True
        cookie = request.cookies.get(ACCESS_COOKIE)
        if cookie and (_same_secret(cookie, _cookie_value(st.access_token)) or _same_secret(cookie, st.access_token)):
            return True
    if st.basic_auth and auth.lower().startswith("basic "):
        try:
            given = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(given.encode(), st.basic_auth.encode())
    return False


def serve_browser(cfg, host: str = "127.0.0.1", port: int = 8000, *, recrawl: Recrawl | None = None) -> int:
    """Serve the archive browser until interrupted (``harvester serve``, end of ``harvester demo``)."""
    import uvicorn

    app = create_app(cfg, recrawl=recrawl)
    print(f"archive browser: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
