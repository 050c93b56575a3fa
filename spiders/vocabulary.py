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
