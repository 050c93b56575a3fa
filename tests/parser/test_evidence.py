"""Document-level evidence rules (harvester.parser.evidence): titles, issuers, pinyin mirrors."""
from __future__ import annotations

import pytest

from harvester.parser import evidence as ev


@pytest.mark.parametrize("title,report,negative", [
    ("太平镇人民政府2022年政府信息公开工作年度报告", True, False),
    ("2013年度谢塘镇政府信息公开工作年度报告", True, False),
    ("长桥乡2019年政府信息公开年度工作报告", True, False),
    ("某县2021年政府信息公开工作年度报告及统计表", True, False),
    ("某县2021年政府信息公开工作年度报告（含统计表）", True, False),
    ("某县关于2021年政府信息公开工作年度报告", True, False),
    ("某县2021年度政府信息公开工作年度报告书", True, False),
    ("某县2021年度政府信息公开工作年度报告【图片版】", True, False),
    ("某县2021年度政府信息公开工作年度报告 2022-01-20", True, False),
    ("某县2021年度政府信息公开工作年度报告（正文）.pdf", True, False),
    ("图解:某县2021年政府信息公开工作年度报告", True, True),
    ("某市2021年度政府信息公开工作年度报告展示平台上线", False, True),
    ("某市召开2021年度政府信息公开工作年度报告编制培训会", False, True),
    ("关于做好2025年政府信息公开工作年度报告编制和发布工作的通知", False, True),
    ("关于报送《某县2021年政府信息公开工作年度报告》的函", False, False),
    ("政府信息公开年度工作报告范文", False, True),
    ("2016年政务公开工作要点", False, True),
    ("某县2021年政府信息公开工作年度报告解读", False, True),
])
def test_report_titles_and_lookalike_titles(title, report, negative):
    assert (ev.title_is_report(title), ev.title_negative(title)) == (report, negative)


@pytest.mark.parametrize("title,agency", [
    ("太平镇人民政府2022年政府信息公开工作年度报告", "太平镇人民政府"),
    ("2022年度螅镇政府信息公开工作年度报告", "螅镇"),
    ("2013年度谢塘镇政府信息公开工作年度报告", "谢塘镇"),
    ("2022年上海市政府信息公开工作年度报告", "上海市"),
    ("2009年度下管鎮政府信息公開年度報告", "下管鎮"),
    ("某县教育局关于报送《某县教育局2021年政府信息公开工作年度报告》的函", "某县教育局"),
    ("关于报送《某县教育局2021年政府信息公开工作年度报告》的函", "某县教育局"),
    ("2021年政府信息公开工作年度报告", None),
    ("图解:某县人民政府2021年政府信息公开工作年度报告", "某县人民政府"),
])
def test_issuer_in_the_title(title, agency):
    assert ev.agency_from_title(title) == agency


@pytest.mark.parametrize("name", ["本网", "原创", "中国政府网", "本站原创", "1", "0", "我局", "本机关", "****政府",
                                  "广东信访网", "XX门户网站", "admin"])
def test_websites_digits_and_self_references_are_no_issuer(name):
    assert ev.plausible_agency(name) is None


def test_short_names_expand_to_their_full_name_only():
    assert ev.expands("财金局", "平潭综合实验区财政金融局")
    assert ev.expands("财政金融局", "平潭综合实验区财政金融局")
    assert not ev.expands("财金局", "平潭综合实验区人民政府")
    assert not ev.expands("教育局", "某县财政局")
    assert ev.resolve_short("财金局", [None, "平潭县人民政府", "平潭综合实验区财政金融局"]) == "平潭综合实验区财政金融局"


def test_site_wide_defaults():
    owners = ev.site_owners("平潭综合实验区门户网站", "某报告_平潭综合实验区门户网站", ["主办单位：平潭综合实验区管委会"])
    assert ev.is_site_default("平潭综合实验区人民政府", owners)
    assert ev.is_site_default("平潭综合实验区管委会", owners)
    assert not ev.is_site_default("平潭综合实验区财政金融局", owners)


@pytest.mark.parametrize("raw,clean", [
    ("年度報(bào)告", "年度報告"),
    ("政(zheng)(zheng)府(fu)(fu)信息公(gong)(gong)開(kai)(kai)工(gong)作(zuo)年度報(bao)告(gao)", "政府信息公開工作年度報告"),
    ("辦公廳(室(shi)):請(qǐng)", "辦公廳(室):請"),
])
def test_pinyin_annotations_of_mirrors_are_removed(raw, clean):
    assert ev.strip_pinyin(raw * 3) == clean * 3


def test_an_isolated_latin_note_is_kept():
    text = "附表(a)与附表(b)见下文。"
    assert ev.strip_pinyin(text) == text


@pytest.mark.parametrize("text,year", [
    ("根据《条例》要求,编制本报告。本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。", 2022),
    ("现公布周至县人民政府办公室2021年政府信息公开工作年度报告。", 2021),
    ("截止2023年12月31日我局通过官方网站发布政务类信息34条。", 2023),
    ("一、总体情况\n2020年度我街办认真贯彻落实《条例》,扎实推进政务公开工作。", 2020),
    ("本机关认真贯彻落实《条例》。", None),
])
def test_year_from_the_body_statements(text, year):
    assert ev.year_from_statements(text) == year


@pytest.mark.parametrize("text,agency", [
    ("如有疑问请与来凤县政务服务和大数据管理局(地址:来凤县政务服务中心501室)。", "来凤县政务服务和大数据管理局"),
    ("如对本报告有疑问,请与某县人民政府办公室联系(联系人:王敏)。", "某县人民政府办公室"),
    ("如对本报告有疑问,请与某市人民政府办公室政府信息公开中心联系(地址:花园路1号)。", None),
    ("如对报告有疑问,请与某市人民政府办公室政府信息公开处联系。", None),
    ("如对本报告有疑问,请与我局办公室联系。", None),
])
def test_the_contact_line_names_an_issuer_not_its_disclosure_office(text, agency):
    assert ev.agency_from_contact(text) == agency


@pytest.mark.parametrize("title,news", [
    ("我市发布2023年政府信息公开工作年度报告", True),
    ("市政府办公室发布2023年政府信息公开工作年度报告", True),
    ("某区正式公布《2023年政府信息公开工作年度报告》", True),
    ("某县人民政府办公室晒出2022年度政府信息公开工作年度报告", True),
    ("太平镇人民政府2022年政府信息公开工作年度报告", False),
    ("2023年政府信息公开工作年度报告", False),
    ("关于公布某县2021年政府信息公开工作年度报告", False),
    ("某县人民政府办公室关于发布2021年政府信息公开工作年度报告", False),
    ("关于报送《某县2021年政府信息公开工作年度报告》的函", False),
    ("某县发布2023年政务公开工作要点", False),
])
def test_a_title_telling_of_an_act_about_a_report(title, news):
    assert ev.title_reports_news_act(title) is news


def test_the_news_verb_is_not_part_of_the_issuer():
    assert ev.agency_from_title("某县人民政府办公室发布2021年政府信息公开工作年度报告") == "某县人民政府办公室"
    assert ev.agency_from_title("我市发布2023年政府信息公开工作年度报告") is None
