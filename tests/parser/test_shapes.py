"""Hand-made pages: classification, formats, label-based mapping, values."""
from __future__ import annotations

import pytest

from harvester.parser import parse
from harvester.parser.normalize import cell_value, norm_label


def page(title, body, meta=True, extra_head=""):
    head = f'<meta name="ArticleTitle" content="{title}">' if meta else f"<title>{title}_某某网</title>"
    return (f"<html><head><meta charset='utf-8'>{head}{extra_head}</head><body>"
            f"<div class='top'>今天是：2024年1月5日 <a>无障碍</a> <a>长者版</a></div>"
            f"<div>当前位置：首页 &gt; 信息公开 &gt; 年报</div>"
            f"<h1>{title}</h1><div class='TRS_Editor'>{body}</div>"
            f"<div>【打印本页】【关闭窗口】</div><div>主办单位：某某县人民政府 网站标识码：1234567890</div>"
            f"</body></html>").encode("utf-8")


SECTIONS = ("<p>一、总体情况</p><p>本年度工作情况良好。</p><p>二、主动公开政府信息情况</p>{t2}"
            "<p>三、收到和处理政府信息公开申请情况</p>{t3}<p>四、政府信息公开行政复议、行政诉讼情况</p>{t4}"
            "<p>五、存在的主要问题及改进情况</p><p>公开质量有待提高。</p><p>六、其他需要报告的事项</p><p>无。</p>")


def grid(rows):
    out = ["<table border='1'>"]
    for row in rows:
        cells = []
        for c in row:
            if isinstance(c, tuple):
                text, attrs = c
                cells.append(f"<td {attrs}>{text}</td>")
            else:
                cells.append(f"<td>{c}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


T2_2021_REVERSED = grid([
    [("第二十条第（一）项", "colspan=4")],
    ["信息内容", "现行有效件数", "本年废止件数", "本年制发件数"],   # columns in reverse order
    ["行政规范性文件", "40", "0", "6"],                           # rows swapped
    ["其他主动公开文件", "99", "98", "97"],                        # province extra row
    ["规章", "2", "1", "1"],
    [("第二十条第（五）项", "colspan=4")],
    ["信息内容", ("本年处理决定数量", "colspan=3")],
    ["行政许可", ("1,234件", "colspan=3")],
    [("第二十条第（六）项", "colspan=4")],
    ["信息内容", ("本年处理决定数量", "colspan=3")],
    ["行政处罚", ("—", "colspan=3")],
    ["行政强制", ("/", "colspan=3")],
    [("第二十条第（八）项", "colspan=4")],
    ["信息内容", ("本年收费金额（单位：万元）", "colspan=3")],
    ["行政事业性收费", ("0.0", "colspan=3")],
])

T3_TOTAL_FIRST = grid([
    [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "rowspan=3 colspan=3"),
     ("申请人情况", "colspan=7")],
    [("总计", "rowspan=2"), ("自然人", "rowspan=2"), ("法人或其他组织", "colspan=5")],
    ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"],
    [("一、本年新收政府信息公开申请数量", "colspan=3"), "17", "15", "1", "0", "0", "1", "0"],
    [("二、上年结转政府信息公开申请数量", "colspan=3"), "2", "2", "0", "0", "0", "0", ""],
])

T4_ROW = grid([
    [("行政复议", "colspan=5"), ("行政诉讼", "colspan=10")],
    [("结果维持", "rowspan=2"), ("结果纠正", "rowspan=2"), ("其他结果", "rowspan=2"),
     ("尚未审结", "rowspan=2"), ("总计", "rowspan=2"), ("未经复议直接起诉", "colspan=5"),
     ("复议后起诉", "colspan=5")],
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
    ["1", "0", "0", "0", "1", "0", "1", "0", "1", "2", "0", "0", "0", "0", "0"],
])


def test_cells_are_mapped_by_label_not_position():
    body = SECTIONS.format(t2=T2_2021_REVERSED, t3=T3_TOTAL_FIRST, t4=T4_ROW)
    r = parse(page("某某县财政局2023年政府信息公开工作年度报告", body))
    act = r["tables"]["active_disclosure"]
    assert act["art20_1"] == {"normative_documents": {"in_force": 40, "repealed": 0, "issued": 6},
                              "regulations": {"in_force": 2, "repealed": 1, "issued": 1}}
    assert act["art20_5"] == {"licensing": {"decisions": 1234}}
    assert act["art20_6"] == {"penalty": {"decisions": None}, "coercion": {"decisions": None}}
    assert act["art20_8"] == {"fees": {"amount_10k_yuan": 0.0}}
    apps = r["tables"]["applications"]
    assert apps["new"] == {"total": 17, "natural_person": 15, "commercial": 1, "research": 0,
                           "nonprofit": 0, "legal_services": 1, "other_org": 0}
    assert apps["carried_over"]["other_org"] is None  # a blank cell is null, never 0
    assert r["tables_raw"]["applications"]["carried_over"]["other_org"] == ""
    assert r["tables"]["review_litigation"]["litigation_direct"] == {
        "upheld": 0, "corrected": 1, "other": 0, "pending": 1, "total": 2}
    assert r["format"] == "2021"
    assert "applications" in r["partial_tables"]  # only two of its rows are present
    assert r["partial_tables"] == ["applications"]
    assert r["agency"] == "某某县财政局" and r["year"] == 2023


def test_page_debris_removed_from_text():
    body = SECTIONS.format(t2="", t3="", t4="")
    r = parse(page("某某县财政局2023年政府信息公开工作年度报告", body))
    for d in ("今天是", "无障碍", "当前位置", "打印本页", "主办单位", "网站标识码"):
        assert d not in r["text"]
    assert r["text"].startswith("某某县财政局2023年政府信息公开工作年度报告\n一、总体情况")
    assert r["missing_tables"] == ["active_disclosure", "applications", "review_litigation"]
    assert r["format"] == "unknown"


@pytest.mark.parametrize("title,body", [
    ("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
     "<p>各县（市、区）人民政府：</p><p>请于2024年1月31日前发布年度报告。</p>"),
    ("某某县人民政府政府信息公开指南", "<p>一、主动公开</p><p>二、依申请公开</p><p>三、收费标准</p>"),
    ("图解：某某县人民政府2023年政府信息公开工作年度报告", "<p><img src='a.png'></p><p>一图读懂</p>"),
    ("区政务公开年度总结和20xx年工作思路", "<p>20xx年x区政务公开工作……受理申请xx件。</p>"),
])
def test_lookalikes_are_not_reports(title, body):
    r = parse(page(title, body))
    assert r["is_annual_report"] is False
    assert r["tables"] == {} and r["year"] is None and r["agency"] is None and r["checks"] == []


@pytest.mark.parametrize("title,body", [
    ("某某市统计局2023年政府信息公开工作年度报告（图片版）", "<p><img src='1.jpg'></p><p><img src='2.jpg'></p>"),
    ("某某市统计局2023年政府信息公开工作年度报告", "<p><img src='1.jpg'></p><p><img src='2.jpg'></p>"),
])
def test_image_only_reports(title, body):
    r = parse(page(title, body))
    assert r["is_annual_report"] is True and r["image_only"] is True
    assert r["tables"] == {} and r["missing_tables"] == ["active_disclosure", "applications", "review_litigation"]
    assert r["year"] == 2023 and r["format"] == "unknown"


def test_legacy_report():
    body = ("<p>一、概述</p><p>2012年，我县扎实推进政府信息公开工作。</p>"
            "<p>二、主动公开政府信息情况</p><p>全年主动公开信息1234条。</p>"
            "<p>三、依申请公开政府信息情况</p><p>受理申请12件。</p>"
            "<p>四、政府信息公开的收费及减免情况</p><p>未收费。</p>"
            "<p>五、因政府信息公开申请行政复议、提起行政诉讼的情况</p><p>无。</p>"
            "<p>六、政府信息公开工作存在的主要问题及改进情况</p><p>及时性有待提高。</p>")
    r = parse(page("某某县人民政府2012年政府信息公开工作年度报告", body))
    assert r["is_annual_report"] and r["format"] == "legacy" and r["year"] == 2012


def test_title_from_body_when_meta_is_missing():
    body = SECTIONS.format(t2="", t3="", t4="")
    r = parse(page("某某县水利局2022年度政府信息公开工作报告", body, meta=False))
    assert r["title"] == "某某县水利局2022年度政府信息公开工作报告"
    assert r["is_annual_report"] and r["year"] == 2022 and r["agency"] == "某某县水利局"


def test_published_and_agency_from_info_table():
    info = ("<table><tr><td>索引号：</td><td>123/2024-001</td><td>发布机构：</td><td>某某县审计局</td></tr>"
            "<tr><td>发布日期：</td><td>2024年01月20日</td></tr></table>")
    html = page("2023年政府信息公开工作年度报告", SECTIONS.format(t2="", t3="", t4=""), meta=False)
    html = html.replace("<h1>".encode(), (info + "<h1>").encode())
    r = parse(html)
    assert r["agency"] == "某某县审计局" and r["published"] == "2024-01-20" and r["year"] == 2023
    assert "索引号" not in r["text"]


def test_hypothetical_pdf_text_rows():
    text = "\n".join([
        "某某乡人民政府2021年政府信息公开工作年度报告",
        "二、主动公开政府信息情况",
        "第二十条第（一）项",
        "信息内容  本年制发件数  本年废止件数  现行有效件数",
        "规章  0  0  0",
        "行政规范性文件  3  　  9",
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议  行政诉讼",
        "结果维持  结果纠正  其他结果  尚未审结  总计  未经复议直接起诉  复议后起诉",
        "结果维持  结果纠正  其他结果  尚未审结  总计  结果维持  结果纠正  其他结果  尚未审结  总计",
        "0  0  0  0  0  1  0  0  0  1  0  0  0  0  0",
    ])
    r = parse(text.encode("utf-8"), content_type="text/plain")
    assert r["tables"]["active_disclosure"]["art20_1"]["normative_documents"] == {
        "issued": 3, "repealed": None, "in_force": 9}
    assert r["tables"]["review_litigation"]["litigation_direct"]["upheld"] == 1
    assert r["tables"]["review_litigation"]["litigation_direct"]["total"] == 1
    assert r["partial_tables"] == ["active_disclosure"]


@pytest.mark.parametrize("raw,col,value", [
    ("449.33万元", "amount_yuan", 4493300.0), ("449.33萬元", "amount_yuan", 4493300.0),
    ("863732.45", "amount_yuan", 863732.45), ("12.5", "amount_10k_yuan", 12.5),
    ("1,234件", "decisions", 1234), ("40項", "projects", 40), ("0.0", "made", 0),
    ("-3", "change", -3), ("—", "made", None), ("/", "made", None), ("无", "made", None),
    ("", "made", None), ("－", "made", None), ("１７", "total", 17), ("17 件", "total", 17),
])
def test_cell_values(raw, col, value):
    v = cell_value(raw, col)
    assert v == value and type(v) is type(value)


@pytest.mark.parametrize("label,simplified", [
    ("規範性檔案", "规范性文件"), ("行政規範性檔案", "行政规范性文件"), ("程式", "程序"),
    ("上一年專案數量", "上一年项目数量"), ("（六）其他處理", "(六)其他处理"),
    ("4.無正當理由大量反覆申請", "4.无正当理由大量反复申请"), ("1.屬於國家秘密", "1.属于国家秘密"),
])
def test_label_normalisation(label, simplified):
    assert norm_label(label) == simplified


DEBRIS_LINES = [
    "今天是：2024年1月5日 星期五", "无障碍 长者版", "当前位置：首页 > 政府信息公开 > 年度报告",
    "【字体：大 中 小】", "分享到：", "浏览次数：1234", "【打印本页】【关闭窗口】",
    "扫一扫在手机打开当前页", "上一篇：关于公布政府信息公开指南的通知", "下一篇：无",
    "主办单位：某某市人民政府办公室　网站标识码：4409830001", "粤ICP备12345678号",
    "粤公网安备 44098302000123号", "登录 注册", "相关词条", "熱門詞條", "聯絡我們",
    "智能互动 手机版", "微信", "附件下载:", "关闭窗口 打印本页", "发布日期:2024-02-29    点击数:",
    "索引号：11440983007/2024-00012",
]


@pytest.mark.parametrize("debris", DEBRIS_LINES)
def test_each_debris_line_is_removed_anywhere(debris):
    from pathlib import Path

    seed = (Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "000_120ec37bf10fb6e7.txt")
    lines = seed.read_text(encoding="utf-8").split("\n")
    # after the title, in the middle of the body, and at the end
    lines.insert(1, debris)
    lines.insert(len(lines) // 2, debris)
    lines.append(debris)
    r = parse("\n".join(lines).encode("utf-8"))
    assert debris not in r["text"]
    assert r["is_annual_report"] and r["year"] == 2024
    assert "收取信息处理费情况:本年度无发出收费通知事项,无收取信息处理费用情况。" in r["text"]


def test_column_list_page_is_not_a_report():
    items = "".join(f"<li><a href='./t{y}.html'>某某县人民政府{y}年政府信息公开工作年度报告</a>"
                    f"<span>{y + 1}-01-20</span></li>" for y in range(2015, 2025))
    html = (f"<html><head><title>政府信息公开年报_某某县人民政府</title></head><body>"
            f"<div>当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div><ul>{items}</ul>"
            f"<script>createPageHTML(3, 0, 'index', 'html');</script></body></html>")
    r = parse(html.encode("utf-8"), content_type="text/html")
    assert r["is_annual_report"] is False and r["tables"] == {} and r["year"] is None


def test_text_extracted_by_trafilatura_with_pipe_tables():
    import trafilatura

    from harvester.reportgen import cases

    done = 0
    for case in cases(120, seed=3):
        # a gkmlpt page holds its body in a script: trafilatura reads no text there
        if case.shape not in ("html_grid", "html_borderless") or "/gkmlpt/" in (case.url or "") or done >= 4:
            continue
        text = trafilatura.extract(case.data, include_tables=True)
        assert text and "| 信息内容 |" in text
        r = parse(text.encode("utf-8"), content_type="text/plain")
        assert r["tables"] == case.expected["tables"], case.id
        assert r["missing_tables"] == [] and r["partial_tables"] == []
        done += 1
    assert done == 4


# ------------------------------------------------------------------ news titled like a report (issue 10 review)
_NEWS_BODY = ("近日，市人民政府办公室按照《中华人民共和国政府信息公开条例》规定，向社会发布了《2023年政府信息公开工作年度报告》。"
              "报告包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等六个部分。\n"
              "报告显示，2023年全市共新收政府信息公开申请1234件，予以公开678件。\n"
              "下一步，市政府办公室将继续深化政务公开。\n（记者 王某某）")


@pytest.mark.parametrize("title", ["我市发布2023年政府信息公开工作年度报告",
                                   "市政府办公室发布2023年政府信息公开工作年度报告",
                                   "某某市2023年政府信息公开工作年度报告"])
def test_news_titled_like_a_report_is_not_a_report(title):
    for data in (f"{title}\n来源：市政府办公室 发布时间：2024-01-30\n{_NEWS_BODY}".encode("utf-8"),
                 page(title, "".join(f"<p>{p}</p>" for p in _NEWS_BODY.split("\n")))):
        r = parse(data)
        assert r["is_annual_report"] is False, title
        assert r["year"] is None and r["agency"] is None and r["tables"] == {} and r["checks"] == []


def test_a_short_news_item_pointing_to_the_report_is_not_a_report():
    text = ("我市发布2023年政府信息公开工作年度报告\n2024-01-30 10:12 来源：本网\n"
            "日前，我市各级行政机关已于1月31日前全部完成2023年政府信息公开工作年度报告发布工作。"
            "点击查看：市人民政府2023年政府信息公开工作年度报告。")
    assert parse(text.encode("utf-8"))["is_annual_report"] is False


_LEGACY_BODY = ("<p>一、概述</p><p>2012年，我县扎实推进政府信息公开工作。</p>"
                "<p>二、主动公开政府信息情况</p><p>全年主动公开信息1234条。</p>"
                "<p>三、依申请公开政府信息情况</p><p>受理申请12件。</p>"
                "<p>四、政府信息公开的收费及减免情况</p><p>未收费。</p>"
                "<p>五、因政府信息公开申请行政复议、提起行政诉讼的情况</p><p>无。</p>"
                "<p>六、政府信息公开工作存在的主要问题及改进情况</p><p>及时性有待提高。</p>")


def test_a_news_title_over_the_report_itself_is_the_report():
    r = parse(page("某某县人民政府办公室发布2012年政府信息公开工作年度报告", _LEGACY_BODY))
    assert r["is_annual_report"] is True and r["year"] == 2012
    assert r["agency"] == "某某县人民政府办公室" and r["format"] == "legacy"


@pytest.mark.parametrize("data", [
    "某某县财政局2023年政府信息公开工作年度报告\n（此件公开发布）\n附件：某某县财政局2023年政府信息公开工作年度报告.pdf"
    .encode("utf-8"),
    "某某县财政局2023年政府信息公开工作年度报告\n详见附件。".encode("utf-8"),
    page("某某县财政局2023年政府信息公开工作年度报告",
         "<p><a href='./P020240110123456.docx'>某某县财政局2023年政府信息公开工作年度报告</a></p>"),
    page("某某县财政局2023年政府信息公开工作年度报告",
         "<p>附件：</p><p><a href='./P020240110123456.pdf'>点击下载</a></p>"),
])
def test_the_article_page_of_a_report_published_as_an_attachment_is_the_report(data):
    r = parse(data)
    assert r["is_annual_report"] is True and r["image_only"] is False
    assert r["year"] == 2023 and r["agency"] == "某某县财政局"
    assert r["tables"] == {} and r["missing_tables"] == ["active_disclosure", "applications", "review_litigation"]


def test_an_image_only_report_with_a_news_title_keeps_its_pictures_reading():
    r = parse(page("某某市统计局2023年政府信息公开工作年度报告（图片版）",
                   "<p>近日，记者获悉。</p><p><img src='1.jpg'></p><p><img src='2.jpg'></p>"))
    assert r["is_annual_report"] is True and r["image_only"] is True and r["year"] == 2023


@pytest.mark.parametrize("text", [
    # a text cut off after its opening sentences: the report's own words, no reporter's
    "某某县财政局2023年政府信息公开工作年度报告\n本年度报告包括总体情况、主动公开政府信息情况等六个部分。"
    "我局按要求于2024年1月31日前完成年度报告编制和发布工作",
    "某某县财政局2023年政府信息公开工作年度报告\n2023年，我局坚持以公开为常态、不公开为例外，全面推进",
])
def test_a_truncated_report_text_is_not_taken_for_news(text):
    r = parse(text.encode("utf-8"))
    assert r["is_annual_report"] is True and r["year"] == 2023 and r["agency"] == "某某县财政局"
