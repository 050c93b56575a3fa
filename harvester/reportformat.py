"""The official format of the annual report's three tables (国办公开办函〔2021〕30号 and
〔2019〕60号): table, row and column keys (``docs/record.md``), their printed labels
(simplified, as the State Council templates print them) and how rows are grouped.

One source for the record's keys and everything that lays the tables out: the parser
fills records with these keys (its matching vocabulary, variants and traditional forms, is
``harvester.parser.vocab``), the report generator and the simulator render them, the archive
browser and the exports show parsed tables in this layout.
"""
from __future__ import annotations

TABLE_KEYS = ("active_disclosure", "applications", "review_litigation")

SECTION_KEYS = ("overview", "active_disclosure", "applications",
                "review_litigation", "problems", "other")

# ---------------------------------------------------------------- table 二
# (sub_key, caption, [(row_key, label)], [(col_key, label)])
ACTIVE_2021 = (
    ("art20_1", "第二十条第(一)项",
     (("regulations", "规章"), ("normative_documents", "行政规范性文件")),
     (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数"))),
    ("art20_5", "第二十条第(五)项",
     (("licensing", "行政许可"),),
     (("decisions", "本年处理决定数量"),)),
    ("art20_6", "第二十条第(六)项",
     (("penalty", "行政处罚"), ("coercion", "行政强制")),
     (("decisions", "本年处理决定数量"),)),
    ("art20_8", "第二十条第(八)项",
     (("fees", "行政事业性收费"),),
     (("amount_10k_yuan", "本年收费金额(单位:万元)"),)),
)

ACTIVE_2019 = (
    ("art20_1", "第二十条第(一)项",
     (("regulations", "规章"), ("normative_documents", "规范性文件")),
     (("made", "本年新制作数量"), ("published", "本年新公开数量"),
      ("total_published", "对外公开总数量"))),
    ("art20_5", "第二十条第(五)项",
     (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")),
     (("previous_items", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量"))),
    ("art20_6", "第二十条第(六)项",
     (("penalty", "行政处罚"), ("coercion", "行政强制")),
     (("previous_items", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量"))),
    ("art20_8", "第二十条第(八)项",
     (("fees", "行政事业性收费"),),
     (("previous_items", "上一年项目数量"), ("change", "本年增/减"))),
    ("art20_9", "第二十条第(九)项",
     (("procurement", "政府集中采购"),),
     (("projects", "采购项目数量"), ("amount_yuan", "采购总金额"))),
)


def active_layout(layout: str):
    return ACTIVE_2021 if layout == "2021" else ACTIVE_2019


# ---------------------------------------------------------------- table 三
APPLICANT_COLS = ("natural_person", "commercial", "research", "nonprofit",
                  "legal_services", "other_org")
APP_COLS = APPLICANT_COLS + ("total",)
APP_COL_LABELS = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
    "nonprofit": "社会公益组织", "legal_services": "法律服务机构", "other_org": "其他",
    "total": "总计",
}
ORG_HEADER = "法人或其他组织"
APPLICANT_HEADER = "申请人情况"
APP_NOTE = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"

# Rows: (key, group, label).  group None = top-level row (label spans the
# first columns); group "(三)不予公开" etc. = sub-row under a spanning label.
RESULTS_HEADER = "三、本年度办理结果"

APP_ROWS_HEAD = (("new", "一、本年新收政府信息公开申请数量"),
                 ("carried_over", "二、上年结转政府信息公开申请数量"))

# results block: list of groups; a group is (group_label or None, [(key, label)])
RESULTS_2021 = (
    (None, (("granted", "(一)予以公开"),)),
    (None, (("partly_granted", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"),)),
    ("(三)不予公开", (
        ("withheld_state_secret", "1.属于国家秘密"),
        ("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开"),
        ("withheld_security_stability", "3.危及“三安全一稳定”"),
        ("withheld_third_party", "4.保护第三方合法权益"),
        ("withheld_internal_affairs", "5.属于三类内部事务信息"),
        ("withheld_process_info", "6.属于四类过程性信息"),
        ("withheld_enforcement_file", "7.属于行政执法案卷"),
        ("withheld_query_matter", "8.属于行政查询事项"))),
    ("(四)无法提供", (
        ("unavailable_not_held", "1.本机关不掌握相关政府信息"),
        ("unavailable_needs_creation", "2.没有现成信息需要另行制作"),
        ("unavailable_unclear", "3.补正后申请内容仍不明确"))),
    ("(五)不予处理", (
        ("not_processed_petition", "1.信访举报投诉类申请"),
        ("not_processed_repeated", "2.重复申请"),
        ("not_processed_publication", "3.要求提供公开出版物"),
        ("not_processed_excessive", "4.无正当理由大量反复申请"),
        ("not_processed_confirmation", "5.要求行政机关确认或重新出具已获取信息"))),
    ("(六)其他处理", (
        ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        ("other_fee_unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        ("other_other", "3.其他"))),
    (None, (("results_total", "(七)总计"),)),
)
RESULTS_2019 = RESULTS_2021[:5] + (
    (None, (("other", "(六)其他处理"),)),
    (None, (("results_total", "(七)总计"),)),
)
APP_ROW_TAIL = (("carried_forward", "四、结转下年度继续办理"),)


def results_layout(layout: str):
    return RESULTS_2021 if layout == "2021" else RESULTS_2019


def app_row_keys(layout: str) -> list[str]:
    keys = [k for k, _ in APP_ROWS_HEAD]
    for _g, rows in results_layout(layout):
        keys.extend(k for k, _ in rows)
    keys.extend(k for k, _ in APP_ROW_TAIL)
    return keys


def result_keys(layout: str) -> list[str]:
    """Rows that add up to results_total (R2)."""
    return [k for k in app_row_keys(layout)
            if k not in ("new", "carried_over", "results_total", "carried_forward")]


# ---------------------------------------------------------------- table 四
RL_GROUPS = ("review", "litigation_direct", "litigation_after_review")
RL_COLS = ("upheld", "corrected", "other", "pending", "total")
RL_COL_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
                 "pending": "尚未审结", "total": "总计"}
RL_TOP = (("行政复议", 5), ("行政诉讼", 10))
RL_SUB = {"litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉"}



def table_leaves(node, path: tuple = ()):
    """Every cell of a table tree (``tables[...]`` of a record) as (key path, value)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from table_leaves(v, path + (k,))
    else:
        yield path, node
