"""Words and patterns the spiders recognise, kept apart from the walking logic.

Link texts and URL fragments that mean "the disclosure section" or "the annual-report
column" on Chinese government portals (../shared/spec/portals.md).
"""
import re

# Link texts leading to the disclosure section, best first.
SECTION_TEXTS = ("政府信息公开", "信息公开目录", "政务公开", "信息公开", "公开目录")
SECTION_URL_PARTS = ("xxgk", "zwgk", "gkml")

# Link texts of annual-report columns. 指南/制度 columns sit next to them and are not wanted.
COLUMN_TEXTS = ("政府信息公开年报", "政府信息公开工作年度报告", "信息公开年报", "年度报告", "年报")
COLUMN_URL_PARTS = ("gknb", "ndbg", "xxgknb")
COLUMN_EXCLUDE = ("指南", "制度", "规定", "目录")

# TRS WCM article URLs: ./202401/t20240115_123456.html (or .shtml)
TRS_ARTICLE_URL = re.compile(r"/t\d{8}_\d+\.s?html?$")
# TRS pagination: createPageHTML(pages, current, "index", "html")
# and createPageHTML('page_div', pages, current, 'fg', 'shtml', records)
TRS_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*(?:['\"][\w-]+['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
TRS_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
TRS_CURRENT_PAGE = re.compile(r"var\s+currentPage\s*=\s*(\d+)")
TRS_MARKERS = ("createPageHTML", "countPage", "TRS_Editor", "TRS_UEDITOR")

# Words of an article link that is probably a report, for families without article URL patterns.
REPORT_LINK_TEXTS = ("年度报告", "年报", "工作报告")
NEXT_PAGE_TEXTS = ("下一页", "下页", "后一页")

# Hanweb JCMS (大汉): /col/col1234/index.html columns, /art/2024/1/15/art_1234_998877.html articles,
# records inline in <datastore>, more through /module/web/jpage/dataproxy.jsp (POST).
HANWEB_MARKERS = ("<datastore>", "dataproxy.jsp", "jpage")
HANWEB_ARTICLE_URL = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html?$")
HANWEB_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
HANWEB_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S)
HANWEB_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+)")
HANWEB_PERPAGE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)|perpage=(\d+)")
HANWEB_PROXY_GROUPS = 3  # Hanweb's own pager asks for three pages' worth of records per call

# Guangdong gkmlpt (集约化平台): window._CONFIG with SID and the category TREE; JSON list API.
GKMLPT_MARKERS = ("window._CONFIG", "/gkmlpt/")
GKMLPT_SID = re.compile(r"SID\s*:\s*['\"]([^'\"]+)['\"]")

# Generic pagination: 共N页 text, pageCount / totalPage variables, numbered query strings.
GENERIC_TOTAL_PAGES = re.compile(
    r"共\s*(\d+)\s*页|(?:pageCount|totalPage|countPage|pageTotal|totalPages)\s*[:=]\s*['\"]?(\d+)"
)

# Attachments that may carry the report itself (the page may say only 详见附件).
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd")

# Statuses that mean "this portal refuses us": 403 without browser headers, 412 / 521
# JavaScript cookie challenges (a WAF's first answer). Recorded as blocked, never retried.
BLOCK_STATUSES = (403, 412, 521)
CHALLENGE_MARKERS = ("document.cookie", "__jsl_clearance", "acw_sc__v2", "challenge")
# A JavaScript challenge served with 200: cookies and scripts of the WAFs in front of Chinese
# government sites (加速乐 __jsl_clearance, 阿里云 acw_sc__v2, 安全狗/云锁, 360 wzws, Cloudflare).
WAF_MARKERS = ("__jsl_clearance", "acw_sc__v2", "acw_tc", "_waf_", "wzws_cid", "__tst_status", "yunsuo_session",
               "cf_chl_", "challenge-platform")
# … and a script sending the browser back to the page itself (reload, or ``location.href=`` a target
# computed from the page's own address). A script sending it to another, literal address is a
# JavaScript redirect, not a challenge; reading ``location.pathname`` (analytics) is neither.
RELOAD_CALL = re.compile(r"(?<![\w$])location\s*\.\s*reload\s*\(")
# location = X / location.href = X / window|document|top|self.location(.href) = X
NAVIGATION_ASSIGN = re.compile(
    r"(?<![\w$])(?:(?:window|document|top|self|parent)\s*\.\s*)?location(?:\s*\.\s*href)?\s*=(?!=)\s*")
# location.replace(X) / location.assign(X)
NAVIGATION_CALL = re.compile(r"(?<![\w$])location\s*\.\s*(?:replace|assign)\s*\(\s*")
# Words of a page that is really a page: an empty listing says so (暂无信息 …).
EMPTY_PAGE_TEXTS = ("暂无信息", "暂无数据", "暂无内容", "暂无记录", "暂无相关", "没有找到", "无相关信息", "没有记录")
