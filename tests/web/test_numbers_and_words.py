"""Numbers in the browser read as published, and checks are explained in Chinese only."""
from __future__ import annotations

import re

import lxml.html
from fastapi.testclient import TestClient

from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Portal

ENGLISH_DETAILS = ["all counts are non-negative integers", "total = sum of applicant columns",
                   "narrative states", "report differs from the previous year"]


def _report(tmp_path, amount_raw: str, amount: float):
    db = open_database(sqlite_url(tmp_path / "n.db"))
    with db.session() as s:
        s.add(Portal(id="p", name="门户", url="http://127.0.0.1/"))
        s.flush()
        record = {
            "format": "2019", "text": "本年度收到申请12件。",
            "tables": {
                "active_disclosure": {"art20_8": {"fees": {"previous_items": 3, "change": 0}},
                                      "art20_9": {"procurement": {"projects": 41, "amount_yuan": amount}}},
                "applications": {"new": {"natural_person": 12, "total": 12}},
            },
            "tables_raw": {"active_disclosure": {"art20_9": {"procurement": {"projects": "41",
                                                                             "amount_yuan": amount_raw}}}},
            "checks": [
                {"rule": "R5", "status": "pass", "table": "active_disclosure", "row": None, "column": None,
                 "operands": {}, "expected": None, "actual": None, "detail": "all counts are non-negative integers"},
                {"rule": "R1", "status": "fail", "table": "applications", "row": "new", "column": "total",
                 "operands": {"natural_person": 12}, "expected": 12, "actual": 13,
                 "detail": "total = sum of applicant columns"},
                {"rule": "S3", "status": "pass", "table": "applications", "row": "new", "column": "total",
                 "operands": {"new.total": 12}, "expected": 12, "actual": 12, "detail": "narrative states '收到申请12件'"},
            ],
        }
        s.add(Content(sha256="a" * 64, size=1, extractor_version="t", title="某局2019年政府信息公开工作年度报告",
                      agency="某局", year=2019, is_annual_report=True, format="2019", record=record))
        s.flush()
        doc = Document(portal_id="p", url="http://127.0.0.1/r.html", kind="article", current_sha256="a" * 64,
                       is_report=True)
        s.add(doc)
        s.flush()
        doc_id = doc.id
    return TestClient(create_app_for(db, tmp_path)), doc_id, db


def create_app_for(db, tmp_path):
    from harvester.web import create_app

    return create_app(db=db, archive_dir=tmp_path, token="", access_token="", basic_auth="")


def test_money_shows_as_published_never_in_exponent_notation(tmp_path):
    client, doc_id, db = _report(tmp_path, "1075763.10", 1075763.1)
    r = client.get(f"/reports/{doc_id}")
    assert r.status_code == 200
    page = lxml.html.document_fromstring(r.text)
    table = page.cssselect("#table-active_disclosure")[0].text_content()
    assert "1,075,763.10 元" in table
    assert not re.search(r"\d\.?\d*e[+-]\d", r.text)  # no 1.07576e+06 anywhere
    db.dispose()


def test_money_published_in_wan_yuan_shows_in_wan_yuan(tmp_path):
    client, doc_id, db = _report(tmp_path, "107.57631万元", 1075763.1)
    table = lxml.html.document_fromstring(client.get(f"/reports/{doc_id}").text) \
        .cssselect("#table-active_disclosure")[0].text_content()
    assert "107.57631 万元" in table and "e+" not in table
    db.dispose()


def test_check_explanations_are_in_chinese_only(tmp_path):
    client, doc_id, db = _report(tmp_path, "1075763.10", 1075763.1)
    body = client.get(f"/reports/{doc_id}").text
    for english in ENGLISH_DETAILS:
        assert english not in body, english
    assert "全部数量均为非负整数" in body
    assert "正文称「收到申请12件」" in body
    assert "每行总计 = 各申请人之和" in body  # the failed cell says why, in Chinese
    db.dispose()
