"""A body reads the same wherever it is read: the crawler's link reading, the archive's replay
and the parser share one charset reader, and the parser gives the same record whether it
decodes the bytes itself or is handed the decoded body."""
from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import Request, Response

from harvester.extraction import read_page
from harvester.parser import parse, parse_decoded
from harvester.parser.inputs import decode
from harvester.web.replay import decode_body
from spiders.common import page_text

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"
GBK_ONLY = ("朱镕基", "王堃", "张喆")  # not in GB2312: a gb2312 label must read as gb18030


def crawled(body: bytes, content_type: str | None) -> Response:
    # a plain Response: Scrapy's own charset guess (HtmlResponse) plays no part
    url = "http://xxgk.example.gov.cn/a.html"
    headers = {"Content-Type": content_type} if content_type else {}
    return Response(url, body=body, headers=headers, request=Request(url))


@pytest.mark.parametrize("name,content_type", [
    ("gb2312_declared_gbk.html", None),
    ("gb2312_declared_gbk.html", "text/html"),
    ("undeclared_gbk.html", None),
    ("undeclared_gbk.html", "text/html; charset=GBK"),
])
def test_gbk_page_reads_alike_in_crawler_replay_and_parser(name, content_type):
    body = (FIX / name).read_bytes()
    parser_text = decode(body, content_type=content_type).content
    crawler_text = page_text(crawled(body, content_type))
    replay_text = decode_body(content_type, body)
    assert crawler_text == replay_text == parser_text
    for word in GBK_ONLY:
        assert word in crawler_text


def test_http_header_wins_over_the_page_declaration_everywhere():
    text = "<html><head><meta charset='gb2312'></head><body><p>政府信息公开年度报告 朱镕基</p></body></html>"
    body = text.encode("utf-8")
    ct = "text/html; charset=utf-8"
    assert page_text(crawled(body, ct)) == decode_body(ct, body) == decode(body, content_type=ct).content == text


def test_byte_order_mark_is_read_and_dropped_everywhere():
    text = "<html><body><p>政府信息公开工作年度报告</p></body></html>"
    body = b"\xef\xbb\xbf" + text.encode("utf-8")
    assert page_text(crawled(body, None)) == decode_body(None, body) == text


@pytest.mark.parametrize("name", ["gb2312_declared_gbk.html", "gkmlpt_post.html", "report_2021.docx",
                                  "report_2021.pdf", "tables_2021.xlsx", "report_2021.doc"])
def test_parse_of_a_decoded_body_is_parse_of_its_bytes(name):
    body = (FIX / name).read_bytes()
    url = f"http://xxgk.example.gov.cn/{name}"
    from_bytes = parse(body, url=url)
    assert from_bytes["error"] is None
    assert parse_decoded(decode(body, url=url), url) == from_bytes
    assert read_page(body, url)["record"] == from_bytes
