"""Constants of the report parser: page debris, section headings, table labels.

Everything here is data; the logic lives in the other modules. The record's keys (tables,
rows, columns) come from ``harvester.reportformat``; this module groups them for matching.  All label
patterns are written against *normalised* text (see ``normalize.norm_label``):
simplified characters, no whitespace, half-width brackets/colons/commas.
"""
from __future__ import annotations

import re

from harvester import reportformat as rf

# ------------------------------------------------------------------ debris
# A line matching any of these (after stripping) is page chrome, not report.
DEBRIS_LINE_PATTERNS = [
    r"今天是.{0,30}",
    r"(当前位置|您的位置|你的位置|所在位置)[:：].*",
    r"首页\s*[>＞»].*",
    r"[【\[]?\s*字体\s*[:：]?\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小\s*[】\]]?.*",
    r"字号\s*[:：]?.{0,12}",
    r"分享到\s*[:：]?.{0,40}",
    r"(浏览次数|访问次数|阅读次数|点击数|点击量|浏览量|瀏覽次數|點擊數)\s*[:：]?\s*\d*.{0,20}",
    r"发布(日期|时间)\s*[:：].{0,40}(点击数|浏览次数|来源|字体|阅读)[^。]{0,40}",
    r"[【\[]?\s*(打印本页|打印|关闭窗口|关闭|打印本頁|關閉窗口)\s*[】\]]?(\s*[【\[]?\s*(打印本页|打印|关闭窗口|关闭|打印本頁|關閉窗口|收藏|返回顶部)\s*[】\]]?)*",
    r"扫一扫.{0,20}",
    r"(上一篇|下一篇|上一條|下一條|上一条|下一条)\s*[:：]?.{0,80}",
    r"(主办单位|主辦單位|承办单位|协办单位|技术支持|网站标识码|網站標識碼|网站地图|网站声明|隐私声明)\s*[:：]?.{0,120}",
    r".{0,40}ICP备.{0,60}",
    r".{0,40}公网安备.{0,60}",
    r".{0,20}版权所有.{0,80}",
    r"(政府网站找错|我为政府网站找错).{0,20}",
    r"(登录|注册|登錄|註冊)(\s*[|/]?\s*(登录|注册|登錄|註冊))*",
    r"(相关词条|热门词条|联系我们|相關詞條|熱門詞條|聯絡我們|聯繫我們)(\s+(相关词条|热门词条|联系我们|相關詞條|熱門詞條|聯絡我們|聯繫我們))*",
    r"(智能互动|智能互動)(\s+\S{1,6}){0,6}",
    r"(手机版|手機版|微信|微博|无障碍|無障礙|长者版|長者版|适老化|English|繁体|繁體|简体|簡體|RSS)(\s*[|/]?\s*(手机版|手機版|微信|微博|无障碍|無障礙|长者版|長者版|适老化|English|繁体|繁體|简体|簡體|RSS))*",
    r"附件(下载|下載)?\s*[:：]?",
    r"(图片|圖片)\d+(\s+(图片|圖片)\d+)*",
    r"(收藏|返回顶部|回到顶部|返回首页|TOP)",
    r"(document\.write|var\s|function\s*\(|\$\(|window\.).*",
]
DEBRIS_LINE_RE = re.compile(r"^\s*(?:%s)\s*$" % "|".join(DEBRIS_LINE_PATTERNS))

# Once one of these appears after the report's last section, the rest is footer.
FOOTER_START_RE = re.compile(
    r"^\s*[【\[]?\s*(附件(下载|下載)?\s*[:：]|关闭窗口|關閉窗口|打印本页|打印本頁|相关词条|相關詞條|"
    r"热门词条|熱門詞條|智能互动|智能互動|上一篇|下一篇|主办单位|主辦單位|网站标识码|扫一扫|分享到)")

# Elements dropped from HTML before text is taken.
DROP_TAGS = ("script", "style", "noscript", "head", "nav", "footer", "header",
             "select", "option", "button", "iframe", "form", "object", "embed",
             "svg", "template", "aside")

# ---------------------------------------------------------------- headings
# a top-level heading: 一、… (never (一)…, which is a sub-heading)
SECTION_HEADING_RE = re.compile(r"^\s*([一二三四五六七八九十]{1,3})\s*[、.．,，]\s*(.+)$")
MAX_HEADING_CHARS = 40

# (section key, regex on the normalised heading text after the numeral)
SECTION_HEADING_RULES = [
    ("overview", re.compile(r"^(总体情况|概述|基本情况|总体工作情况|概况|(主要)?工作概述|基本工作情况|工作概况|工作开展情况)")),
    ("active_disclosure", re.compile(r"主动公开")),
    ("applications", re.compile(r"(收到和处理|收到与处理|依申请公开|申请情况|申请公开)")),
    ("review_litigation", re.compile(r"(行政复议|行政诉讼|复议诉讼|复议、诉讼)")),
    ("problems", re.compile(r"(存在的?主要?问题|问题及|问题和|改进)")),
    ("other", re.compile(r"(其他需要报告|其它需要报告|其他事项|需要说明的)")),
]
# the same headings printed without their numeral (exact, normalised)
BARE_HEADINGS = {
    "总体情况": "overview", "主动公开政府信息情况": "active_disclosure",
    "收到和处理政府信息公开申请情况": "applications",
    "政府信息公开行政复议、行政诉讼情况": "review_litigation",
    "存在的主要问题及改进情况": "problems", "政府信息公开工作存在的主要问题及改进情况": "problems",
    "其他需要报告的事项": "other",
}
# Headings of the pre-2019 free-form reports.
LEGACY_HEADING_RE = re.compile(r"(概述|收费及减免|收费和减免|复议诉讼|因政府信息公开申请行政复议|申诉|基本工作情况|工作概况|"
                               r"依申请公开政府信息(情况|工作)?$|政府信息公开的?咨询|支出和收费|收费情况)")
# Headings that only the 2019 and 2021 formats have (their six statutory sections)
MODERN_HEADING_RE = re.compile(r"(总体情况|收到和处理政府信息公开申请|收到与处理政府信息公开申请|存在的主要问题及改进情况|"
                               r"其他需要报告的事项|政府信息公开行政复议[、和]?行政诉讼情况)")

# --------------------------------------------------------------- table 二
CAPTION_RE = re.compile(r"第二十条第\(?([一二三四五六七八九十]+)\)?项")
CAPTION_SUB = {"一": "art20_1", "五": "art20_5", "六": "art20_6", "八": "art20_8", "九": "art20_9"}

# row label → (sub-table, row key); matched on the label with notes removed
ACTIVE_ROWS = [
    (re.compile(r"^规章$"), "art20_1", "regulations"),
    (re.compile(r"^(行政)?规范性文件$"), "art20_1", "normative_documents"),
    (re.compile(r"^行政许可$"), "art20_5", "licensing"),
    (re.compile(r"^其他对外管理服务事项$"), "art20_5", "other_services"),
    (re.compile(r"^行政处罚$"), "art20_6", "penalty"),
    (re.compile(r"^行政强制$"), "art20_6", "coercion"),
    (re.compile(r"^行政事业性收费$"), "art20_8", "fees"),
    (re.compile(r"^政府集中采购$"), "art20_9", "procurement"),
]
# column label → column key (first match wins), searched in the label
ACTIVE_COLS = [
    (re.compile(r"制发件数"), "issued"),
    (re.compile(r"废止件数"), "repealed"),
    (re.compile(r"现行有效件数"), "in_force"),
    (re.compile(r"新制作数量"), "made"),
    (re.compile(r"新公开数量"), "published"),
    (re.compile(r"公开总数量"), "total_published"),
    (re.compile(r"上一?年.{0,2}项目数量"), "previous_items"),
    (re.compile(r"增.?减"), "change"),
    (re.compile(r"处理决定数量"), "decisions"),
    (re.compile(r"收费金额"), "amount_10k_yuan"),
    (re.compile(r"采购项目数量"), "projects"),
    (re.compile(r"采购总金额"), "amount_yuan"),
]
ACTIVE_2021_COLS = {"issued", "repealed", "in_force"}
ACTIVE_2019_COLS = {"made", "published", "total_published", "previous_items", "change"}
MONEY_COLS = {"amount_10k_yuan", "amount_yuan"}
SIGNED_COLS = {"change"}

# Expected layout per format: sub-table → (rows, cols)
ACTIVE_EXPECTED = {
    layout: {sub: (tuple(r for r, _ in rows), tuple(c for c, _ in cols))
             for sub, _caption, rows, cols in rf.active_layout(layout)}
    for layout in ("2021", "2019")
}

# --------------------------------------------------------------- table 三
APP_COL_RULES = [
    (re.compile(r"^自然人$"), "natural_person"),
    (re.compile(r"^商业企业$"), "commercial"),
    (re.compile(r"^科研机构$"), "research"),
    (re.compile(r"^社会公益组织$"), "nonprofit"),
    (re.compile(r"^法律服务机构$"), "legal_services"),
    (re.compile(r"^其[他它]$"), "other_org"),
    (re.compile(r"^(总计|合计)$"), "total"),
]
APP_ORG_GROUP_RE = re.compile(r"^法(人|定代表人)(或|和|及)?其他组织$")
APP_ORG_CHILDREN = rf.APPLICANT_COLS[1:]  # the columns under 法人或其他组织

# row rules: (regex on the row label, row key); the most specific first
APP_ROW_RULES = [
    (re.compile(r"本年新收"), "new"),
    (re.compile(r"上年结转"), "carried_over"),
    (re.compile(r"结转下年"), "carried_forward"),
    (re.compile(r"予以公开"), "granted"),
    (re.compile(r"部分公开"), "partly_granted"),
    (re.compile(r"国家秘密"), "withheld_state_secret"),
    (re.compile(r"法律行政法规禁止"), "withheld_prohibited_by_law"),
    (re.compile(r"三安全一稳定"), "withheld_security_stability"),
    (re.compile(r"第三方合法权益"), "withheld_third_party"),
    (re.compile(r"内部事务"), "withheld_internal_affairs"),
    (re.compile(r"过程性信息"), "withheld_process_info"),
    (re.compile(r"行政执法案卷"), "withheld_enforcement_file"),
    (re.compile(r"行政查询事项"), "withheld_query_matter"),
    (re.compile(r"不掌握相关"), "unavailable_not_held"),
    (re.compile(r"没有现成信息|另行制作"), "unavailable_needs_creation"),
    (re.compile(r"仍不明确"), "unavailable_unclear"),
    (re.compile(r"信访举报投诉"), "not_processed_petition"),
    (re.compile(r"重复申请"), "not_processed_repeated"),
    (re.compile(r"公开出版物"), "not_processed_publication"),
    (re.compile(r"大量反[复覆]申请|反[复覆]申请"), "not_processed_excessive"),
    (re.compile(r"确认或重新出具"), "not_processed_confirmation"),
    (re.compile(r"逾期不补正"), "other_no_correction"),
    (re.compile(r"收费通知|缴纳费用"), "other_fee_unpaid"),
    (re.compile(r"其他处理$"), "other"),
    (re.compile(r"(总计|合计)$"), "results_total"),
]
# "3.其他" under "(六)其他处理"
APP_OTHER_OTHER_RE = re.compile(r"^(\d+|[一二三四五六七八九十]+)?[.、]?其[他它]$")
APP_HEAD_ROWS = tuple(k for k, _ in rf.APP_ROWS_HEAD)
APP_RESULT_ROWS_COMMON = tuple(k for k in rf.result_keys("2021") if k in rf.result_keys("2019"))
APP_OTHER_2021 = tuple(k for k in rf.result_keys("2021") if k not in APP_RESULT_ROWS_COMMON)
APP_OTHER_2019 = tuple(k for k in rf.result_keys("2019") if k not in APP_RESULT_ROWS_COMMON)
APP_ROWS = {layout: tuple(rf.app_row_keys(layout)) for layout in ("2021", "2019")}

# --------------------------------------------------------------- table 四
RL_COL_RULES = [
    (re.compile(r"维持"), "upheld"),
    (re.compile(r"纠正"), "corrected"),
    (re.compile(r"其他结果|其它结果"), "other"),
    (re.compile(r"尚未审结|未审结"), "pending"),
    (re.compile(r"^(总计|合计)$"), "total"),
]
RL_GROUP_RULES = [
    (re.compile(r"未经复议|直接起诉"), "litigation_direct"),
    (re.compile(r"复议后起诉"), "litigation_after_review"),
    (re.compile(r"^行政复议$"), "review"),
    (re.compile(r"^行政诉讼$"), "litigation"),
]

# ---------------------------------------------------------------- values
UNIT_SUFFIX_RE = re.compile(r"(万元|萬元|亿元|億元|万|萬|亿|億|元|件|项|項|个|個|条|條|宗|人次|次|份|部|起|家)$")
NULL_MARKERS = {"", "—", "——", "-", "--", "/", "／", "无", "無", "－", "―", "─", "\\",
                "…", "...", "——", "－－", "×", "x", "X", "*", "N/A", "n/a", "空"}
EMPTY_TOKEN = "\x00"  # a blank table cell coming from an HTML grid
RUN_MARK = "\x02"    # prefix of a digit run whose cells ran together (tables.tokenize)

# --------------------------------------------------------- classification
REPORT_TITLE_RE = re.compile(
    r"(政府信息公开|信息公开|政务公开).{0,8}(年度报告|年报|工作报告)|年度.{0,4}政府信息公开.{0,6}报告")
NOT_REPORT_TITLE_RE = re.compile(
    r"(通知|指南|图解|一图|图说|读懂|解读|总结|思路|模板|范本|范文|要点|方案|计划|目录|指引|公告|征求意见|意见的函|的函|工作安排|"
    r"制度|统计表|报表|展示平台|新闻发布)")
IMAGE_ONLY_TITLE_RE = re.compile(r"[(（]\s*图片版\s*[)）]")
PLACEHOLDER_RE = re.compile(r"20[xX×Ｘｘ]{2}|[xX]{2,}年|[xX]{1,2}月[xX]{1,2}日")
YEAR_IN_TITLE_RE = re.compile(r"((?:19|20)\d{2})\s*年度?")
CN_YEAR_RE = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年度?")
CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4",
             "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
YEAR_TEXT_PATTERNS = [
    re.compile(r"((?:19|20)\d{2})\s*年度?\s*(政府信息公开|政务公开|信息公开)"),
    re.compile(r"统计期限为?\s*((?:19|20)\d{2})\s*年"),
    re.compile(r"((?:19|20)\d{2})\s*年1月1日至"),
]
# ------------------------------------------------------------- metadata
# rows of the information table above the body (索引号 / 发布机构 / 发布日期 …): debris in `text`
INFO_ROW_RE = re.compile(
    r"^\s*[|｜]?\s*(索\s*引\s*号|索引號|主题分类|主題分類|发布机构|發布機構|成文日期|文号|文號|发文字号|发布日期|發布日期|"
    r"公开方式|公开范围|有效性|体裁分类|组配分类|信息来源|来源|发文机关|公开时限|主题词|发布时间|效力状态|"
    r"标\s*题|名\s*称|发布单位|發布單位|分\s*类)\s*[:：\t|｜]")
META_NAMES = {"articletitle": "title", "pubdate": "published", "contentsource": "agency",
              "firstpubdate": "published", "sitename": "site"}
INFO_DATE_RE = re.compile(
    r"(发布日期|發布日期|发布时间|發布時間|公开日期|公開日期|日期)\s*[:：]?\s*\t*\s*"
    r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
INFO_TITLE_RE = re.compile(r"^(标题|標題|名称|名稱|文件名称)\s*[:：]?\s*\t*\s*(.{4,120})$")
DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
TITLE_SITE_SPLIT_RE = re.compile(r"\s*[_|｜]\s*|\s+[-—–]\s+")

# Taiwan vocabulary on converted pages → mainland terms (after char-level t2s)
TAIWAN_VOCAB = [
    ("档案", "文件"), ("程式", "程序"), ("最佳化", "优化"), ("网际网路", "互联网"),
    ("套用", "应用"), ("资讯", "信息"), ("软体", "软件"), ("网路", "网络"),
    ("伺服器", "服务器"), ("列印", "打印"), ("萤幕", "屏幕"), ("专案", "项目"), ("资料", "数据"),
    # phrase-level t2s that character mapping misses
    ("反覆", "反复"), ("覆议", "复议"), ("答覆", "答复"), ("徵", "征"), ("週", "周"),
]

# ------------------------------------------------------------ narrative (S3)
# (regex on simplified narrative, table, row, column-or-group)
S3_PATTERNS = [
    (re.compile(r"新收(?:到)?[^。；;，,、]{0,16}?申请\s*(\d+)\s*(?:件|个|宗|条)"), "applications", "new", "total"),
    (re.compile(r"上年结转[^。；;，,]{0,10}?(\d+)\s*(?:件|个|宗)"), "applications", "carried_over", "total"),
    (re.compile(r"结转下(?:一)?年(?:度)?[^。；;，,\d]{0,10}?(\d+)\s*(?:件|个|宗)"), "applications", "carried_forward", "total"),
    (re.compile(r"(?<![和及、与])行政复议\s*(\d+)\s*(?:件|起|宗|个)"), "review_litigation", "review", "total"),
    (re.compile(r"(?<![和及、与])行政诉讼\s*(\d+)\s*(?:件|起|宗|个)"), "review_litigation", "litigation", "total"),
]

# ------------------------------------------------------ tolerant label matching
# The official labels (simplified, notes and list numbering removed) against which a label
# that no pattern above recognises is compared by edit distance (parser.fuzzy): typos such
# as 本年废纸件数 / 先行有效件数 / 行政法复议, or a header cut short (本年增/).
ACTIVE_COL_LABELS = (
    ("本年制发件数", "issued"), ("本年废止件数", "repealed"), ("现行有效件数", "in_force"),
    ("本年新制作数量", "made"), ("本年新公开数量", "published"), ("对外公开总数量", "total_published"),
    ("上一年项目数量", "previous_items"), ("本年增/减", "change"), ("本年增减", "change"),
    ("本年处理决定数量", "decisions"), ("处理决定数量", "decisions"),
    ("本年收费金额", "amount_10k_yuan"), ("采购项目数量", "projects"), ("采购总金额", "amount_yuan"),
)
ACTIVE_ROW_LABELS = (
    ("规章", ("art20_1", "regulations")), ("行政规范性文件", ("art20_1", "normative_documents")),
    ("规范性文件", ("art20_1", "normative_documents")), ("行政许可", ("art20_5", "licensing")),
    ("其他对外管理服务事项", ("art20_5", "other_services")), ("行政处罚", ("art20_6", "penalty")),
    ("行政强制", ("art20_6", "coercion")), ("行政事业性收费", ("art20_8", "fees")),
    ("政府集中采购", ("art20_9", "procurement")),
)
APP_COL_LABELS = (
    ("自然人", "natural_person"), ("商业企业", "commercial"), ("科研机构", "research"),
    ("社会公益组织", "nonprofit"), ("法律服务机构", "legal_services"), ("其他", "other_org"),
    ("总计", "total"), ("法人或其他组织", "#org"),
)
APP_ROW_LABELS = (
    ("本年新收政府信息公开申请数量", "new"), ("上年结转政府信息公开申请数量", "carried_over"),
    ("予以公开", "granted"), ("部分公开", "partly_granted"),
    ("属于国家秘密", "withheld_state_secret"), ("其他法律行政法规禁止公开", "withheld_prohibited_by_law"),
    ("危及三安全一稳定", "withheld_security_stability"), ("保护第三方合法权益", "withheld_third_party"),
    ("属于三类内部事务信息", "withheld_internal_affairs"), ("属于四类过程性信息", "withheld_process_info"),
    ("属于行政执法案卷", "withheld_enforcement_file"), ("属于行政查询事项", "withheld_query_matter"),
    ("本机关不掌握相关政府信息", "unavailable_not_held"),
    ("没有现成信息需要另行制作", "unavailable_needs_creation"),
    ("补正后申请内容仍不明确", "unavailable_unclear"), ("信访举报投诉类申请", "not_processed_petition"),
    ("重复申请", "not_processed_repeated"), ("要求提供公开出版物", "not_processed_publication"),
    ("无正当理由大量反复申请", "not_processed_excessive"),
    ("要求行政机关确认或重新出具已获取信息", "not_processed_confirmation"),
    ("申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_no_correction"),
    ("申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_fee_unpaid"),
    ("其他处理", "other"), ("总计", "results_total"), ("结转下年度继续办理", "carried_forward"),
)
RL_GROUP_LABELS = (
    ("行政复议", "review"), ("行政诉讼", "litigation"), ("未经复议直接起诉", "litigation_direct"),
    ("复议后起诉", "litigation_after_review"),
)
RL_COL_LABELS = (
    ("结果维持", "upheld"), ("结果纠正", "corrected"), ("其他结果", "other"), ("尚未审结", "pending"),
    ("总计", "total"),
)
