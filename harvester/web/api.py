"""The JSON API under /api/ (documented at /api/openapi.json): the same numbers as the pages."""
from __future__ import annotations

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from harvester.export import list_runs, logical_report
from harvester.web import queries
from harvester.web.params import compliance_matrix, search_filters, to_int
from harvester.web.security import action_allowed
from harvester.web.state import DB, State
from storage import search as search_index

router = APIRouter(prefix="/api", tags=["archive"])


@router.get("/overview", summary="门户概览：最近采集、状态、报告数、未关闭的健康事件")
def api_overview(db: DB):
    return queries.overview(db)


@router.get("/portals", summary="门户列表")
def api_portals(db: DB):
    return queries.overview(db)["portals"]


@router.get("/portals/{portal_id}", summary="门户：按年度和机构的报告、采集运行")
def api_portal(db: DB, portal_id: str, page: int = Query(1, ge=1), per_page: int = Query(200, ge=1, le=1000)):
    return queries.portal_detail(db, portal_id, page=page, per_page=per_page)


@router.get("/runs", summary="采集运行，最新在前")
def api_runs(db: DB, portal: str | None = None, limit: int = Query(100, ge=1, le=1000)):
    return list_runs(db, portal=portal, limit=limit)


@router.get("/reports/{doc_id}", summary="报告：元数据、表格、校验结果(含跨年度)、正文、附件、采集记录")
def api_report(db: DB, doc_id: int):
    d = queries.report_detail(db, doc_id)
    d.pop("_record", None)
    return d


@router.get("/logical-reports", summary="逻辑报告(网页、附件、转载为同一报告的位置)，与 export reports 的行相同")
def api_logical_reports(db: DB, portal: str = "", year: str = "", limit: int = Query(100, ge=1, le=1000),
                        offset: int = Query(0, ge=0)):
    return queries.logical_reports(db, portal or None, to_int(year), limit=limit, offset=offset)


@router.get("/logical-reports/{report_id}", summary="一份逻辑报告：所用版本、发布日期及其来源、全部位置与采集、版本")
def api_logical_report(db: DB, report_id: int):
    row = logical_report(db, report_id)
    if row is None:
        raise queries.NotFound(f"没有此报告: {report_id}")
    return row


@router.get("/charts", summary="图表数字：每年新收申请、办理结果、复议诉讼结果、按时/逾期/缺失(可按门户)")
def api_charts(st: State, portal: str = ""):
    if portal:
        queries.portal_detail(st.db, portal, per_page=1)  # 404 for an unknown portal
    d = st.chart_numbers(portal or None)
    return {**d, "applications": {str(k): v for k, v in d["applications"].items()},
            "outcomes": {str(k): v for k, v in d["outcomes"].items()},
            "review": {g: {str(k): v for k, v in ys.items()} for g, ys in d["review"].items()},
            "timeliness": {str(k): v for k, v in d["timeliness"].items()}}


@router.get("/timeline", summary="某网址的全部采集记录(时间、状态、摘要、是否变化)")
def api_timeline(db: DB, url: str):
    return queries.timeline(db, url)


@router.get("/captures/{sid}", summary="一次采集的元数据；正文见 /replay/{sid} 与 /raw/{sid}")
def api_capture(db: DB, sid: int):
    return {**queries.capture_meta(db, sid), "replay": f"/replay/{sid}", "raw": f"/raw/{sid}"}


@router.get("/diff", summary="两次采集之间的正文差异与表格单元格变化")
def api_diff(st: State, a: int, b: int):
    return queries.diff_captures(st.db, st.archive_dir, a, b)


@router.get("/search", summary="全文检索(标题、机构、正文)，可按年度、门户、格式、校验失败筛选")
def api_search(st: State, q: str = "", year: str = "", portal: str = "", format: str = "", failed: str = "",
               reports: str = "", limit: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0)):
    st.check_index()
    with st.db.session() as s:
        res = search_index.search(s, q, search_filters(year, portal, format, failed, reports), limit=limit,
                                  offset=offset)
    return {"query": res.query, "terms": res.terms, "total": res.total, "capped": res.capped,
            "hits": [{**h.__dict__, "snippet": h.snippet.replace("\x01", "").replace("\x02", ""),
                      "report": f"/api/reports/{h.doc_id}"} for h in res.hits]}


@router.get("/compliance", summary="机构 × 年度 合规矩阵(按时/逾期天数/缺失/校验失败)")
def api_compliance(db: DB, portal: str = "", agency: str = "", year_from: str = "", year_to: str = "",
                   status: str = ""):
    d = compliance_matrix(db, portal, agency, year_from, year_to, status)
    d["rows"] = [{**r, "cells": {str(y): c for y, c in r["cells"].items()}} for r in d["rows"]]
    return d


@router.post("/portals/{portal_id}/recrawl", summary="重新采集一个门户(需 X-Harvester-Token 请求头)")
def api_recrawl(st: State, portal_id: str, full: bool = False,
                x_harvester_token: str | None = Header(None, alias="X-Harvester-Token")):
    ok, status, why = action_allowed(st, x_harvester_token or "")
    if not ok:
        return JSONResponse({"detail": why}, status_code=status)
    queries.portal_detail(st.db, portal_id, per_page=1)  # 404 for an unknown portal
    return {"portal": portal_id, "full": full, "result": st.recrawl(portal_id, full)}
