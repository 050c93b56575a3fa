"""Article pages as served: encodings, page debris, metadata, the 索引号 table."""

from __future__ import annotations

import re

import pytest

from harvester.sim.htmltext import visible_text
from harvester.sim.places import has_gbk_only_char

from .helpers import decode, div_inner, fetch, links, meta, path_of

GB_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'
DEBRIS = (
    "今天是", "无障碍", "长者版", "当前位置：首页 > 政府信息公开 >", "【字体：大 中 小】", "分享到：",
    "浏览次数：", "【打印本页】【关闭窗口】", "扫一扫在手机打开当前页", "上一篇：", "下一篇：",
    "主办单位：", "网站标识码：", "ICP备", "公网安备", "政府网站找错",
)


def test_gbk_pages_over_http(universe, server):
    gbk = [(p, r) for p in universe.portals for r in p.reports if r.encoding == "gb18030"]
    headers_seen = set()
    for p, r in gbk:
        resp = fetch(server.url(p.id, r.path))
        ctype = resp.headers["Content-Type"]
        headers_seen.add(ctype)
        assert ctype in ("text/html; charset=gb2312", "text/html")
        assert GB_META.encode("ascii") in resp.body[:600]
        with pytest.raises(UnicodeDecodeError):
            resp.body.decode("utf-8")
        with pytest.raises(UnicodeDecodeError):
            resp.body.decode("gb2312")  # strict: the page holds GBK-only characters
        text = resp.body.decode("gb18030")
        assert has_gbk_only_char(text)
        assert r.title in text
        assert visible_text(div_inner(text, "TRS_Editor")) == r.body_text
    assert headers_seen == {"text/html; charset=gb2312", "text/html"}


def test_utf8_pages_declare_utf8(universe, server):
    utf = [(p, r) for p in universe.portals for r in p.reports if r.encoding == "utf-8"]
    assert utf
    for p, r in utf[::5]:
        resp = fetch(server.url(p.id, r.path))
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert re.search(rb'charset="?utf-8', resp.body[:400])
        assert visible_text(div_inner(resp.body.decode("utf-8"), "TRS_Editor")) == r.body_text


def test_whole_gbk_portal(universe, server):
    p = next(p for p in universe.portals if all(r.encoding == "gb18030" for r in p.reports))
    for path in ("/", p.section_path, p.column_paths[0]):
        body = fetch(server.url(p.id, path)).body
        assert GB_META.encode() in body
        with pytest.raises(UnicodeDecodeError):
            body.decode("gb2312")
        body.decode("gb18030")


@pytest.mark.parametrize("which", ["report", "non_report"])
def test_debris_around_articles(universe, server, which):
    for p in universe.portals:
        entries = p.reports if which == "report" else p.non_reports
        for e in entries[::4]:
            html = decode(fetch(server.url(p.id, e.path)))
            text = visible_text(html)
            flat = text.replace("\n", "")
            for d in DEBRIS:
                assert d in flat, (p.id, e.path, d)
            assert e.title in text
            body = visible_text(div_inner(html, "TRS_Editor"))
            for d in ("今天是", "打印本页", "网站标识码", "当前位置"):
                assert d not in body


def test_meta_tags_and_info_table(universe, server):
    for p in universe.portals:
        for r in p.reports[::3]:
            html = decode(fetch(server.url(p.id, r.path)))
            assert meta(html, "SiteName") == p.name
            assert meta(html, "SiteIDCode") == p.site_code and re.fullmatch(r"\d{10}", p.site_code)
            assert meta(html, "ColumnName") in ("政府信息公开年报", "乡镇政府信息公开年报")
            assert meta(html, "ArticleTitle") == r.title
            assert meta(html, "PubDate").startswith(r.published.isoformat())
            assert meta(html, "ContentSource") == r.agency
            table = visible_text(re.search(r'<table class="xxgk-info".*?</table>', html, re.S).group(0))
            for label in ("索引号：", "主题分类：", "发布机构：", "成文日期：", "发布日期："):
                assert label in table
            assert "文 号：" in table  # 文　　号 with its full-width spaces collapsed
            assert re.search(r"索引号：\n\d{9}/\d{4}-\d{5}", table)
            assert f"发布机构：\n{r.agency}" in table
            assert f"发布日期：\n{r.published.isoformat()}" in table


def test_prev_next_and_breadcrumb_links_resolve(universe, server):
    p = universe.portals[0]
    items = p.column_items[p.column_paths[0]]
    url = server.url(p.id, items[1])
    html = decode(fetch(url))
    found = {t: path_of(u) for u, t, _ in links(html, url)}
    assert found["政府信息公开年报"] == p.column_paths[0]
    assert found["政府信息公开"] == p.section_path
    nav = [(path_of(u), t) for u, t, _ in links(html, url)]
    assert (items[0], _title(p, items[0])) in nav
    assert (items[2], _title(p, items[2])) in nav
    for u, t, _ in links(html, url):
        assert fetch(u).status == 200, (u, t)


def _title(p, path):
    for e in p.reports + p.non_reports:
        if e.path == path:
            return e.title
    raise KeyError(path)


def test_non_report_pages(universe, server):
    kinds = {}
    for p in universe.portals:
        for n in p.non_reports:
            html = decode(fetch(server.url(p.id, n.path)))
            body = visible_text(div_inner(html, "TRS_Editor"))
            kinds.setdefault(n.kind, []).append(body)
            assert meta(html, "ArticleTitle") == n.title
            if n.kind == "graphic":
                assert "<img " in div_inner(html, "TRS_Editor") and "总体情况" in body
            if n.kind == "compile_notice":
                assert "年度报告" in body and "1月31日前" in body
    assert {"compile_notice", "graphic"} <= set(kinds)
