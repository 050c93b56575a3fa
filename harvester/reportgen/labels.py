"""Table structure and printed labels of the annual report formats.

Keys follow ``docs/record.md`` / ``shared/spec/annual-report.md``.  Labels are
the simplified forms printed by the State Council templates (国办公开办函〔2021〕30号
and 〔2019〕60号); the renderers vary brackets and wrap notes around them.
"""
from __future__ import annotations

# The table structure is the official format's: one source, shared with the archive browser.
from harvester.reportformat import (  # noqa: F401  (re-exported for the renderers)
    ACTIVE_2019,
    ACTIVE_2021,
    APPLICANT_COLS,
    APPLICANT_HEADER,
    APP_COLS,
    APP_COL_LABELS,
    APP_NOTE,
    APP_ROWS_HEAD,
    APP_ROW_TAIL,
    ORG_HEADER,
    RESULTS_2019,
    RESULTS_2021,
    RESULTS_HEADER,
    RL_COLS,
    RL_COL_LABELS,
    RL_GROUPS,
    RL_SUB,
    RL_TOP,
    SECTION_KEYS,
    TABLE_KEYS,
    active_layout,
    app_row_keys,
    result_keys,
    results_layout,
)

# ---------------------------------------------------------------- headings
HEADINGS = {
    "overview": ("一、总体情况",),
    "active_disclosure": ("二、主动公开政府信息情况",),
    "applications": ("三、收到和处理政府信息公开申请情况",),
    "review_litigation": ("四、政府信息公开行政复议、行政诉讼情况",
                          "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况"),
    "problems": ("五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况",
                 "五、存在问题及改进情况"),
    "other": ("六、其他需要报告的事项",),
}


def fullwidth_brackets(s: str) -> str:
    return (s.replace("(", "（").replace(")", "）").replace(":", "：")
            .replace(",", "，"))
