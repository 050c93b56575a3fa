"""One captured listing page and report page per portal family, kept as bytes
(tests/fixtures/families, made by make_fixtures.py), asserted field by field.

The inline HTML fixtures of test_family_spiders.py show each rule on a minimal page; these
show the spiders and the parser on whole pages as a portal of each family serves them.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from harvester.extraction import read_page
from harvester.items import ColumnsFound, FetchError
from spiders.base import PortalSpider

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "families"
CAPTURES = json.loads((FIXTURES / "captures.json").read_text(encoding="utf-8"))


def url(name: str, path: str = "") -> str:
    """The fixture's URL, or ``path`` on the same portal."""
    return urljoin(CAPTURES[name]["url"], path)


def captured(name: str, kind: str, **meta):
    c = CAPTURES[name]
    cls = TextResponse if name.endswith(".json") else HtmlResponse
    return cls(c["url"], body=(FIXTURES / name).read_bytes(), status=c["status"],
               headers={"Content-Type": c["content_type"]}, request=Request(c["url"], meta={"kind": kind, **meta}))


def listing(name: str, column: str | None = None):
    spider = PortalSpider.from_crawler(get_crawler(PortalSpider, {"HARVESTER_MAX_LIST_PAGES": 50}),
                                       portal_id="p", url=url(name, "/"))
    out = list(spider.parse_listing(captured(name, "listing", page_no=0, column=column or url(name))))
    return {
        "family": spider.family_of(captured(name, "listing")),
        "columns": [x for x in out if isinstance(x, ColumnsFound)],
        "errors": [x for x in out if isinstance(x, FetchError)],
        "articles": [(r.url, r.meta.get("link_text")) for r in out if isinstance(r, Request) and r.meta["kind"] == "article"],
        "pages": [(r.method, r.url) for r in out if isinstance(r, Request) and r.meta["kind"] == "listing"],
    }


# ------------------------------------------------------------------ listings, one per family
def test_trs_column_page():
    got = listing("trs_listing.html")
    assert got["family"] == "trs"
    assert [c.family for c in got["columns"]] == ["trs"]
    assert got["errors"] == []
    assert len(got["articles"]) == 6
    assert got["articles"][0] == (url("trs_listing.html", "/xxgk/gknb/202601/t20260114_158134.html"),
                                  "梅州市人民政府办公室2025年政府信息公开工作年度报告")
    assert got["articles"][-1][1] == "梅州市人民政府政府信息公开指南（2021年修订）"  # fetched, then judged by the parser
    assert got["pages"] == []  # one page: createPageHTML(1, …)


def test_hanweb_column_page():
    got = listing("hanweb_column.html")
    assert got["family"] == "hanweb"
    assert [c.family for c in got["columns"]] == ["hanweb"]
    assert got["articles"] == [
        (url("hanweb_column.html", "/art/2026/1/20/art_1075_141812.html"), "始兴县人民政府办公室2025年度政府信息公开工作报告"),
        (url("hanweb_column.html", "/art/2025/1/29/art_1075_139769.html"), "始兴县人民政府办公室2024年度政府信息公开工作年度报告"),
    ]
    sub_column, proxy = got["pages"]
    assert sub_column == ("GET", url("hanweb_column.html", "/col/col1076/index.html"))  # 乡镇 sub-column
    assert proxy[0] == "POST" and "/module/web/jpage/dataproxy.jsp?page=1" in proxy[1] and "columnid=1075" in proxy[1]


def test_gkmlpt_app_page_leads_to_the_category_api():
    got = listing("gkmlpt_index.html", column=url("gkmlpt_index.html") + "#2741")
    assert got["family"] == "gkmlpt"
    assert got["errors"] == [] and got["articles"] == []
    assert got["pages"] == [("GET", url("gkmlpt_index.html", "/gkmlpt/api/all/2741?page=1&sid=755"))]


def test_gkmlpt_api_page():
    got = listing("gkmlpt_api.json", column=url("gkmlpt_index.html") + "#2741")
    assert got["family"] == "gkmlpt"
    assert [c.columns for c in got["columns"]] == [[url("gkmlpt_index.html") + "#2741"]]
    assert [t for _, t in got["articles"]] == [
        "吴川市人民政府办公室2025年政府信息公开工作年度报告",
        "吴川市人民政府办公室2024年政府信息公开工作年度报告",
        "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知",
    ]
    assert got["articles"][0][0] == url("gkmlpt_api.json", "/gkmlpt/content/5/722/post_722485.html")
    assert got["pages"] == [("GET", url("gkmlpt_api.json", "/gkmlpt/api/all/2741?page=2&sid=755"))]


def test_generic_list_page():
    got = listing("generic_list.html")
    assert got["family"] == "generic"
    assert [c.family for c in got["columns"]] == ["generic"]
    assert [t for _, t in got["articles"]] == [
        "埇桥区人民政府办公室2025年度政府信息公开工作年度报告",
        "埇桥区人民政府办公室2024年度政府信息公开工作年度报告",
        "图解：埇桥区人民政府办公室2023年政府信息公开工作年度报告",
    ]
    assert got["pages"] == [("GET", url("generic_list.html", "/zfxxgk/ndbg/list_2.shtml"))]


# ------------------------------------------------------------------ report pages, one per family
REPORTS = {
    # fixture: (title, agency, year, published, applications.new, review, art20_1)
    "trs_report.html": ("梅州市人民政府办公室2023年政府信息公开工作年度报告", "梅州市人民政府办公室", 2023, "2024-01-14",
                        {"natural_person": 32, "commercial": 9, "research": 0, "nonprofit": 3, "legal_services": 0,
                         "other_org": 6, "total": 50},
                        {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1},
                        {"regulations": {"issued": 0, "repealed": 2, "in_force": 216},
                         "normative_documents": {"issued": 26, "repealed": 0, "in_force": 232}}),
    "hanweb_report.html": ("始兴县人民政府办公室2023年度政府信息公开工作报告", "始兴县人民政府办公室", 2023, "2024-12-24",
                           {"natural_person": 4, "commercial": 0, "research": 0, "nonprofit": 0, "legal_services": 0,
                            "other_org": 0, "total": 4},
                           {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0},
                           {"regulations": {"issued": 0, "repealed": 0, "in_force": 0},
                            "normative_documents": {"issued": 10, "repealed": 0, "in_force": 38}}),
    "gkmlpt_report.html": ("吴川市人民政府办公室2023年度政府信息公开工作年度报告", "吴川市人民政府办公室", 2023, "2024-01-08",
                           {"natural_person": 138, "commercial": 0, "research": 0, "nonprofit": 0, "legal_services": 0,
                            "other_org": 0, "total": 138},
                           {"upheld": 2, "corrected": 0, "other": 0, "pending": 0, "total": 2},
                           {"regulations": {"issued": 0, "repealed": 0, "in_force": 168},
                            "normative_documents": {"issued": 18, "repealed": 3, "in_force": 39}}),
    "generic_report.html": ("埇桥区人民政府办公室2023年政府信息公开工作年度报告", "埇桥区人民政府办公室", 2023, "2024-03-02",
                            {"natural_person": 64, "commercial": 4, "research": 0, "nonprofit": 0, "legal_services": 0,
                             "other_org": 0, "total": 68},
                            {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0},
                            {"regulations": {"issued": 0, "repealed": 0, "in_force": 0},
                             "normative_documents": {"issued": 6, "repealed": 2, "in_force": 29}}),
}
_READ: dict[str, dict] = {}


def record(name: str) -> dict:
    if name not in _READ:
        c = CAPTURES[name]
        _READ[name] = read_page((FIXTURES / name).read_bytes(), c["url"], c["content_type"])["record"]
    return _READ[name]


FIELDS = ("title", "agency", "year", "published")


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("field", FIELDS)
def test_report_page_metadata(name, field):
    assert record(name)[field] == REPORTS[name][FIELDS.index(field)]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_page_is_a_complete_2021_report(name):
    rec = record(name)
    assert (rec["is_annual_report"], rec["format"], rec["missing_tables"], rec["partial_tables"]) == (True, "2021", [], [])


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("table, index", [("applications.new", 4), ("review_litigation.review", 5),
                                          ("active_disclosure.art20_1", 6)])
def test_report_page_table_rows(name, table, index):
    node = record(name)["tables"]
    for part in table.split("."):
        node = node[part]
    assert node == REPORTS[name][index]


def test_a_notice_in_a_gkmlpt_column_is_not_a_report():
    c = CAPTURES["gkmlpt_notice.html"]
    rec = read_page((FIXTURES / "gkmlpt_notice.html").read_bytes(), c["url"], c["content_type"])["record"]
    assert rec["title"] == "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知"
    assert (rec["is_annual_report"], rec["year"], rec["published"]) == (False, None, "2024-12-18")
