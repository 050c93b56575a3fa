"""The browser's HTML pages (server-rendered, no JavaScript) and their downloads."""
from __future__ import annotations

import os
import secrets
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from harvester.web import charts, compliance, exports, layout, queries
from harvester.web.params import compliance_matrix, search_filters, to_int
from harvester.web.security import CSRF_COOKIE, form_allowed
from harvester.web.state import DB, State, message, render
from storage import search as search_index

router = APIRouter(include_in_schema=False)


def csv_download(rows, name: str) -> Response:
    return Response(exports.csv_bytes(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/", response_class=HTMLResponse)
def page_overview(request: Request, db: DB):
    return render(request, "overview.html", queries.overview(db))


@router.get("/portals/{portal_id}", response_class=HTMLResponse)
def page_portal(request: Request, st: State, portal_id: str, page: int = Query(1, ge=1)):
    ctx = queries.portal_detail(st.db, portal_id, page=page)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    resp = render(request, "portal.html", {**ctx, "csrf": csrf, "token_configured": bool(st.config.token)})
    if st.actions and request.cookies.get(CSRF_COOKIE) != csrf:
        resp.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
    return resp


@router.post("/portals/{portal_id}/recrawl", response_class=HTMLResponse)
def page_recrawl(request: Request, st: State, portal_id: str, token: str = Form(""), csrf: str = Form(""),
                 full: str = Form("")):
    ok, status, why = form_allowed(request, st, token, csrf)
    if not ok:
        return message(request, "无法执行重新采集", why, status)
    queries.portal_detail(st.db, portal_id, per_page=1)  # 404 for an unknown portal
    result = st.recrawl(portal_id, bool(full))
    return render(request, "action.html", {"portal_id": portal_id, "full": bool(full), "result": result})


@router.get("/reports/{doc_id}", response_class=HTMLResponse)
def page_report(request: Request, db: DB, doc_id: int):
    d = queries.report_detail(db, doc_id)
    return render(request, "report.html", {**d, "grid": layout.build_tables(d["_record"], d["cross_year"])})


@router.get("/reports/{doc_id}/evidence.zip")
def evidence(st: State, doc_id: int):
    name, blob = exports.evidence_zip(st.db, st.archive_dir, doc_id)
    return Response(blob, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/timeline", response_class=HTMLResponse)
def page_timeline(request: Request, db: DB, url: str = Query(..., min_length=1)):
    return render(request, "timeline.html", queries.timeline(db, url))


@router.get("/captures/{sid}", response_class=HTMLResponse)
def page_capture(request: Request, db: DB, sid: int):
    meta = queries.capture_meta(db, sid)
    return render(request, "capture.html", {"capture": meta, "timeline": queries.timeline(db, meta["url"])})


@router.get("/diff", response_class=HTMLResponse)
def page_diff(request: Request, st: State, a: int, b: int):
    return render(request, "diff.html", queries.diff_captures(st.db, st.archive_dir, a, b))


SEARCH_PAGE_SIZE = 20


@router.get("/search", response_class=HTMLResponse)
def page_search(request: Request, st: State, q: str = "", year: str = "", portal: str = "", format: str = "",
                failed: str = "", reports: str = "", page: int = Query(1, ge=1)):
    flt = search_filters(year, portal, format, failed, reports)
    st.check_index()
    per = SEARCH_PAGE_SIZE
    res = None
    if q.strip() or any([flt.year, flt.portal, flt.format, flt.failed, flt.reports_only]):
        with st.db.session() as s:
            res = search_index.search(s, q, flt, limit=per, offset=(page - 1) * per)
    return render(request, "search.html", {
        "q": q, "f": flt, "facets": st.facets(), "res": res, "page": page, "per": per,
        "min_term": search_index.MIN_INDEXED_TERM,
        "qs": {"q": q, "year": year, "portal": portal, "format": format, "failed": failed, "reports": reports},
    })


@router.get("/compliance", response_class=HTMLResponse)
def page_compliance(request: Request, st: State, portal: str = "", agency: str = "", year_from: str = "",
                    year_to: str = "", status: str = ""):
    d = compliance_matrix(st.db, portal, agency, year_from, year_to, status)
    args = {"portal": portal, "agency": agency, "year_from": year_from, "year_to": year_to, "status": status}
    return render(request, "compliance.html", {**d, "facets": st.facets(), "args": args,
                                               "csv_query": "&".join(f"{k}={quote(v)}" for k, v in args.items() if v)})


@router.get("/compliance.csv")
def compliance_csv(db: DB, portal: str = "", agency: str = "", year_from: str = "", year_to: str = "",
                   status: str = ""):
    d = compliance_matrix(db, portal, agency, year_from, year_to, status)
    return csv_download(compliance.compliance_csv_rows(d), "compliance.csv")


def _charts_page(request: Request, st: State, portal: str | None):
    if portal:
        queries.portal_detail(st.db, portal, per_page=1)  # 404 for an unknown portal
    d = st.chart_numbers(portal)
    return render(request, "charts.html", {"portal": portal, "charts": charts.charts(d), "reports": d["reports"],
                                           "portals": st.facets()["portals"]})


@router.get("/charts", response_class=HTMLResponse)
def page_charts(request: Request, st: State):
    return _charts_page(request, st, None)


@router.get("/charts/{portal_id}", response_class=HTMLResponse)
def page_charts_portal(request: Request, st: State, portal_id: str):
    return _charts_page(request, st, portal_id)


@router.get("/charts.csv")
def charts_csv(st: State, portal: str = ""):
    if portal:
        queries.portal_detail(st.db, portal, per_page=1)
    return csv_download(charts.csv_rows(st.chart_numbers(portal or None)),
                        f"charts-{portal}.csv" if portal else "charts.csv")


@router.get("/export", response_class=HTMLResponse)
def page_export(request: Request, st: State):
    return render(request, "export.html", {"facets": st.facets()})


@router.get("/export/reports.csv")
def export_reports_csv(db: DB, portal: str = ""):
    """The logical reports as `harvester export reports --format csv`, streamed."""
    return StreamingResponse(exports.logical_reports_csv(db, portal or None), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="reports.csv"'})


@router.get("/export/reports.xlsx")
def export_reports_xlsx(db: DB, portal: str = ""):
    path = exports.logical_reports_xlsx(db, portal or None)
    return FileResponse(path, filename="reports.xlsx", media_type=exports.XLSX_TYPE,
                        background=BackgroundTask(os.unlink, path))


@router.get("/export/tables.csv")
def export_csv(db: DB, portal: str = "", year: str = ""):
    return csv_download(exports.tables_long_rows(db, portal or None, to_int(year)), "tables.csv")


@router.get("/export/tables.xlsx")
def export_xlsx(db: DB, portal: str = "", year: str = ""):
    return Response(exports.tables_xlsx(db, portal or None, to_int(year)), media_type=exports.XLSX_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="tables.xlsx"'})


@router.get("/api", response_class=HTMLResponse)
def page_api(request: Request):
    routes = [(r.path, sorted(r.methods)) for r in request.app.routes
              if getattr(r, "include_in_schema", False) and r.path.startswith("/api/")]
    return render(request, "api.html", {"routes": routes})
