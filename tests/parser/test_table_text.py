"""Table text as real extractions give it: digit runs, label typos, header notes, odd rows."""
from __future__ import annotations

import pytest

from harvester.parser import parse
from harvester.parser.fuzzy import Vocabulary, edit_distance
from harvester.parser.runsplit import split_row
from harvester.parser import vocab

TITLE = "某某镇人民政府2022年政府信息公开工作年度报告"


def _r1(cells):
    return int(cells[6]) == sum(int(c) for c in cells[:6])


# ------------------------------------------------------------------ digit-run splitter
def test_split_unique_under_the_row_rule_is_read():
    sp = split_row(["640020470"], 7, check=_r1)
    assert sp.unique == ("64", "0", "0", "2", "0", "4", "70")


def test_split_without_a_rule_is_ambiguous_and_says_so():
    sp = split_row(["693665"], 3)
    assert sp.unique is None and len(sp.candidates) > 1
    assert "splits satisfy" in sp.reason()


def test_split_impossible_is_not_read():
    sp = split_row(["12"], 3)
    assert sp.unique is None and sp.candidates == [] and "no split" in sp.reason()


def test_split_never_gives_a_count_with_a_leading_zero():
    assert split_row(["000"], 3).unique == ("0", "0", "0")
    assert all(not (c.startswith("0") and c != "0")
               for cand in split_row(["1005"], 2).candidates for c in cand)


def test_one_digit_per_cell_is_the_only_split_and_needs_no_rule():
    # a table that breaks its own arithmetic is read as printed; the checks then flag it
    sp = split_row(["1002"], 4, check=lambda cells: False)
    assert sp.unique == ("1", "0", "0", "2") and "only possible" in sp.reason()


def test_split_search_is_bounded():
    sp = split_row(["1234567890" * 4], 15, budget=500)
    assert sp.unique is None and not sp.exhausted and "too many" in sp.reason()


# ------------------------------------------------------------------ tolerant labels
_COLS = Vocabulary(vocab.ACTIVE_COL_LABELS)
_RL = Vocabulary(vocab.RL_GROUP_LABELS)


@pytest.mark.parametrize("label,key", [
    ("本年废纸件数", "repealed"), ("先行有效件数", "in_force"), ("本年增/", "change"),
    ("本年制发件数", "issued"), ("本年增/减(指与上年相比增加或减少的事项数,如-8)", "change"),
])
def test_typos_match_their_column(label, key):
    assert _COLS.match(label) == key


def test_typo_in_a_group_label():
    assert _RL.match("行政法复议") == "review"


@pytest.mark.parametrize("label", ["信息内容", "其他主动公开文件", "行政确认", "行政检查", "行政处理",
                                   "本年", "合计金额", "申请人情况", "不予公开", "三、本年度办理结果"])
def test_unrelated_labels_do_not_match(label):
    from harvester.parser.tables import _ACTIVE_ROW_VOCAB, _APP_ROW_VOCAB
    assert _COLS.match(label) is None
    assert _ACTIVE_ROW_VOCAB.match(label) is None
    assert _APP_ROW_VOCAB.match(label) is None


@pytest.mark.parametrize("label,key", [
    ("行政规范姓文件", ("art20_1", "normative_documents")), ("行政事业收费", ("art20_8", "fees")),
    ("其他对外管理服物事项", ("art20_5", "other_services"))])
def test_typos_match_their_row(label, key):
    from harvester.parser.tables import _ACTIVE_ROW_VOCAB
    assert _ACTIVE_ROW_VOCAB.match(label) == key


def test_no_match_without_a_margin_over_the_runner_up():
    v = Vocabulary([("本年制发件数", "a"), ("本年废发件数", "b")])
    assert v.match("本年x发件数") is None
    assert edit_distance("本年废纸件数", "本年废止件数") == 1


# ------------------------------------------------------------------ whole texts
def _parse(lines):
    return parse("\n".join([TITLE, "一、总体情况", "我镇推进政务公开。"] + lines).encode("utf-8"))


def test_cells_that_ran_together_are_split_by_the_tables_arithmetic():
    r = _parse([
        "二、主动公开政府信息情况", "第二十条第(一)项", "信息内容本年制发件数本年废止件数现行有效件数",
        "规章 000行政规范性文件693665",
        "三、收到和处理政府信息公开申请情况",
        "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他",
        "一、本年新收政府信息公开申请数量640020470",
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉"
        "结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计",
        "12000120000000000", "五、存在的主要问题及改进情况", "无。"])
    t = r["tables"]
    assert r["format"] == "2021"
    assert t["active_disclosure"]["art20_1"]["regulations"] == {"issued": 0, "repealed": 0, "in_force": 0}
    # 693665 splits many ways under three columns: not read, and the record says why
    assert t["active_disclosure"]["art20_1"]["normative_documents"] == {
        "issued": None, "repealed": None, "in_force": None}
    why = {(i["row"], i["issue"]) for i in r["table_issues"]}
    assert ("art20_1.normative_documents", "run_not_split") in why
    assert t["applications"]["new"] == {"natural_person": 64, "commercial": 0, "research": 0, "nonprofit": 2,
                                        "legal_services": 0, "other_org": 4, "total": 70}
    assert ("new", "run_split") in why
    assert t["review_litigation"]["review"] == {"upheld": 12, "corrected": 0, "other": 0, "pending": 0, "total": 12}


def test_column_rules_settle_a_row_the_row_rule_cannot():
    # 101000011 under seven columns: 10,1,0,0,0,0,11 and 1,0,10,0,0,0,11 both satisfy R1;
    # R3 (new + carried over = results total + carried forward, per column) keeps the first
    assert len(split_row(["101000011"], 7, check=_r1).candidates) == 2
    r = _parse([
        "三、收到和处理政府信息公开申请情况",
        "申请人情况 自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计",
        "一、本年新收政府信息公开申请数量 15 1 0 0 0 0 16",
        "二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0",
        "(七)总计 5 0 0 0 0 0 5",
        "四、结转下年度继续办理101000011",
        "五、存在的主要问题及改进情况", "无。"])
    apps = r["tables"]["applications"]
    assert apps["carried_forward"] == {"natural_person": 10, "commercial": 1, "research": 0, "nonprofit": 0,
                                       "legal_services": 0, "other_org": 0, "total": 11}


def test_a_split_the_rules_cannot_settle_is_null_with_the_reason():
    r = _parse([
        "三、收到和处理政府信息公开申请情况",
        "申请人情况 自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计",
        "一、本年新收政府信息公开申请数量101000011",
        "五、存在的主要问题及改进情况", "无。"])
    assert set(r["tables"]["applications"]["new"].values()) == {None}
    assert [(i["row"], i["issue"]) for i in r["table_issues"]] == [("new", "run_not_split")]
    assert "2 splits" in r["table_issues"][0]["detail"]


def test_a_row_with_fewer_values_than_columns_is_null_not_shifted():
    r = _parse([
        "二、主动公开政府信息情况", "第二十条第(一)项",
        "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
        "规章 | 3 | 5 |", "行政规范性文件 | 1 | 0 | 7 |",
        "三、收到和处理政府信息公开申请情况", "无。"])
    a = r["tables"]["active_disclosure"]["art20_1"]
    assert a["regulations"] == {"issued": None, "repealed": None, "in_force": None}
    assert a["normative_documents"] == {"issued": 1, "repealed": 0, "in_force": 7}
    assert [(i["row"], i["issue"]) for i in r["table_issues"]] == [("art20_1.regulations", "columns_uncertain")]


def test_rows_printed_without_cells_are_null_not_absent():
    r = _parse(["二、主动公开政府信息情况", "第二十条第(一)项", "信息内容", "本年制发件数", "本年废止件数",
                "现行有效件数", "规章", "行政规范性文件", "第二十条第(五)项", "信息内容", "本年处理决定数量",
                "行政许可", "三、收到和处理政府信息公开申请情况", "无。"])
    a = r["tables"]["active_disclosure"]
    assert a["art20_1"]["regulations"] == {"issued": None, "repealed": None, "in_force": None}
    assert a["art20_5"]["licensing"] == {"decisions": None}


def test_label_typos_and_long_header_notes_keep_values_in_their_columns():
    head = ("<tr><td>信息内容</td><td>上一年项目数量(指2019年12月31日的事项数量)</td>"
            "<td>本年增/减(指与上年相比增加或减少的事项数,减少的写负数,如-8)</td><td>处理决定数量</td></tr>")
    html = (f"<html><body><h1>{TITLE}</h1><p>一、总体情况</p><p>我镇推进政务公开。</p>"
            "<p>二、主动公开政府信息情况</p><table>"
            "<tr><td colspan=4>第二十条第(一)项</td></tr>"
            "<tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>"
            "<tr><td>规章</td><td>1</td><td>2</td><td>3</td></tr>"
            f"<tr><td colspan=4>第二十条第(五)项</td></tr>{head}"
            "<tr><td>行政许可</td><td>40</td><td>-8</td><td>120</td></tr>"
            "</table><p>四、政府信息公开行政复议、行政诉讼情况</p><table>"
            "<tr><td colspan=5>行政法复议</td><td colspan=10>行政诉讼</td></tr>"
            "<tr><td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>"
            "<td colspan=5>未经复议直接起诉</td><td colspan=5>复议后起诉</td></tr>"
            "<tr>" + "<td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>" * 2 +
            "</tr><tr>" + "".join(f"<td>{v}</td>" for v in (1, 0, 0, 0, 1, 0, 2, 0, 0, 2, 0, 0, 0, 0, 0)) +
            "</tr></table><p>五、存在的主要问题及改进情况</p><p>无。</p></body></html>")
    r = parse(html.encode("utf-8"), content_type="text/html")
    assert r["tables"]["active_disclosure"]["art20_5"]["licensing"] == {
        "previous_items": 40, "change": -8, "decisions": 120}
    assert r["tables"]["review_litigation"]["litigation_direct"]["corrected"] == 2
    assert r["tables"]["review_litigation"]["review"]["total"] == 1


def test_table_four_with_a_cell_missing_is_null_not_shifted():
    head = ["四、政府信息公开行政复议、行政诉讼情况", "行政复议 | 行政诉讼 |",
            "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |",
            "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |"]
    # the first cell is empty: dropped with the padding, fourteen values remain
    r = _parse(head + ["|  | 1 | 0 | 0 | 1 | 0 | 2 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 |",
                       "五、存在的主要问题及改进情况", "无。"])
    rl = r["tables"]["review_litigation"]
    assert all(v is None for g in rl.values() for v in g.values())
    assert r["table_issues"][0]["issue"] == "columns_uncertain"
    r = _parse(head + ["| 0 | 1 | 0 | 0 | 1 | 0 | 2 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 |",
                       "五、存在的主要问题及改进情况", "无。"])
    assert r["tables"]["review_litigation"]["litigation_direct"] == {
        "upheld": 0, "corrected": 2, "other": 0, "pending": 0, "total": 2}
    assert r["table_issues"] == []


def test_rows_opened_by_a_lone_pipe_with_a_blank_cell():
    r = _parse(["二、主动公开政府信息情况", "|", "第二十条第(一)项 | |||", "|", "信息内容 |", "本年制发件数 |",
                "本年废止件数 |", "现行有效件数 (历史累计) |", "|", "规章 |", "0 |", "0 |", "|", "|",
                "行政规范性文件 |", "5 |", "12 |", "8 |", "三、收到和处理政府信息公开申请情况", "无。"])
    a = r["tables"]["active_disclosure"]["art20_1"]
    assert a["regulations"] == {"issued": 0, "repealed": 0, "in_force": None}
    assert a["normative_documents"] == {"issued": 5, "repealed": 12, "in_force": 8}


# ------------------------------------------------------------------ unreadable tables (issue 10 review)
_RL_HEAD = ["四、政府信息公开行政复议、行政诉讼情况", "行政复议 | 行政诉讼 |",
            "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |",
            "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |"]


def test_a_table_whose_every_cell_is_null_for_uncertain_columns_is_partial():
    # fourteen values under fifteen columns: no cell can be placed, so nothing is read
    r = _parse(_RL_HEAD + ["|  | 1 | 0 | 0 | 1 | 0 | 2 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 |",
                           "五、存在的主要问题及改进情况", "无。"])
    assert "review_litigation" in r["tables"]
    assert "review_litigation" not in r["missing_tables"]
    assert r["partial_tables"] == ["review_litigation"]
    assert [i["table"] for i in r["table_issues"]] == ["review_litigation"]


def test_a_table_printed_blank_without_any_doubt_stays_complete():
    # every cell is printed as a dash: present and null, read without an issue, so not partial
    r = _parse(_RL_HEAD + ["| " + " | ".join(["—"] * 15) + " |", "五、存在的主要问题及改进情况", "无。"])
    rl = r["tables"]["review_litigation"]
    assert all(v is None for g in rl.values() for v in g.values())
    assert r["table_issues"] == []
    assert r["partial_tables"] == [] and "review_litigation" not in r["missing_tables"]


def test_an_unreadable_applications_table_is_partial_and_its_checks_uncertain():
    # a column printed blank vanished from a one-cell-per-line extraction: six values, seven columns
    cols = ["申请人情况", "自然人", "法人或其他组织", "总计", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    rows = [("一、本年新收政府信息公开申请数量", [5, 0, 0, 0, 1, 6]),
            ("二、上年结转政府信息公开申请数量", [0, 0, 0, 0, 0, 0])]
    lines = ["三、收到和处理政府信息公开申请情况", *cols]
    for label, vals in rows:
        lines += [label, *map(str, vals)]
    r = _parse(lines + ["四、政府信息公开行政复议、行政诉讼情况", "无。", "五、存在的主要问题及改进情况", "无。"])
    apps = r["tables"]["applications"]
    assert all(v is None for row in apps.values() for v in row.values())
    assert {i["issue"] for i in r["table_issues"] if i["table"] == "applications"} == {"columns_uncertain"}
    assert "applications" in r["partial_tables"] and "applications" not in r["missing_tables"]
    assert {c["status"] for c in r["checks"] if c["rule"] in ("R1", "R2", "R3")} == {"uncertain"}
