"""Generated reports with known truth (harvester.reportgen): every shape, every cell."""
from __future__ import annotations

import collections

import pytest

from harvester.parser import parse
from harvester.reportformat import table_leaves

from harvester.reportgen import SHAPES, cases

N_CASES = 320
FIELDS = ("is_annual_report", "image_only", "format", "script", "year", "agency",
          "missing_tables", "partial_tables")




def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return abs(a - b) < 1e-6


@pytest.fixture(scope="module")
def results():
    out = []
    for case in cases(N_CASES, seed=0):
        rec = parse(case.data, url=case.url, content_type=case.content_type)
        out.append((case, rec))
    return out


def _report(rows: dict) -> str:
    lines = ["per-shape accuracy:"]
    for shape in sorted(rows):
        ok, total = rows[shape]
        lines.append(f"  {shape:22s} {ok}/{total} ({100.0 * ok / total if total else 100:.1f}%)")
    return "\n".join(lines)


def test_every_shape_is_generated(results):
    seen = {c.shape for c, _ in results}
    assert seen == set(SHAPES)


def test_cell_accuracy_is_total(results):
    per_shape = collections.defaultdict(lambda: [0, 0])
    wrong = []
    for case, rec in results:
        exp = case.expected["tables"]
        got = rec["tables"]
        exp_cells = dict(table_leaves(exp))
        got_cells = dict(table_leaves(got))
        for path, v in exp_cells.items():
            per_shape[case.shape][1] += 1
            if path in got_cells and _same(got_cells[path], v):
                per_shape[case.shape][0] += 1
            else:
                wrong.append((case.id, path, got_cells.get(path, "<absent>"), v))
        # no invented cells
        for path in got_cells.keys() - exp_cells.keys():
            per_shape[case.shape][1] += 1
            wrong.append((case.id, path, got_cells[path], "<not in document>"))
    if wrong:
        print(_report(per_shape))
        for w in wrong[:40]:
            print("  wrong cell", w)
    assert not wrong, f"{len(wrong)} wrong cells"


def test_classification_and_metadata(results):
    per_shape = collections.defaultdict(lambda: [0, 0])
    wrong = []
    for case, rec in results:
        bad = [k for k in FIELDS if rec[k] != case.expected[k]]
        per_shape[case.shape][1] += 1
        if bad:
            wrong.append((case.id, {k: (rec[k], case.expected[k]) for k in bad}, rec["error"]))
        else:
            per_shape[case.shape][0] += 1
    if wrong:
        print(_report(per_shape))
        for w in wrong[:40]:
            print("  wrong", w)
    assert not wrong, f"{len(wrong)} cases misclassified or with wrong metadata"


def test_failing_rules_match_the_truth(results):
    wrong = []
    for case, rec in results:
        failed = sorted({c["rule"] for c in rec["checks"]
                         if c["status"] == "fail" and c["rule"] in ("R1", "R2", "R3", "R4", "R5")})
        if failed != sorted(case.expected["failing_rules"]):
            wrong.append((case.id, failed, case.expected["failing_rules"]))
    for w in wrong[:20]:
        print("  rules", w)
    assert not wrong


def test_inconsistent_reports_are_present_and_flagged(results):
    broken = [(c, r) for c, r in results if c.expected["failing_rules"]]
    assert len(broken) >= 5
    for case, rec in broken:
        fails = [c for c in rec["checks"] if c["status"] == "fail" and c["rule"] in case.expected["failing_rules"]]
        assert fails, case.id
        for c in fails:
            if c["rule"] in ("R1", "R2", "R3", "R4"):
                assert c["expected"] != c["actual"] and c["operands"], (case.id, c)
            else:  # R5: the offending cell is named
                assert c["column"] and c["actual"] is not None and c["actual"] < 0, (case.id, c)


def test_raw_text_kept_for_every_value(results):
    for case, rec in results:
        raw = dict(table_leaves(rec["tables_raw"]))
        vals = dict(table_leaves(rec["tables"]))
        assert raw.keys() == vals.keys(), case.id
        for path, v in vals.items():
            if v is None:
                continue
            assert any(ch.isdigit() for ch in raw[path]), (case.id, path, raw[path])


def test_lookalikes_carry_no_numbers(results):
    for case, rec in results:
        if not case.expected["is_annual_report"] or case.expected["image_only"]:
            assert rec["tables"] == {}, case.id


PAGE_DEBRIS = ("今天是", "当前位置", "分享到", "打印本页", "关闭窗口", "扫一扫", "上一篇", "下一篇",
               "主办单位", "网站标识码", "ICP备", "公网安备", "字体", "浏览次数", "点击数", "登录", "注册",
               "无障碍", "长者版", "附件下载", "智能互动", "手机版", "相关词条", "热门词条", "联系我们",
               "索引号", "发布机构", "_jiucuo_", "document.write")


def test_text_is_clean_and_narrative_verbatim(results):
    dirty, lost = [], []
    for case, rec in results:
        hits = [d for d in PAGE_DEBRIS if d in rec["text"]]
        if hits:
            dirty.append((case.id, hits))
        if case.truth and case.shape in ("html_grid", "html_borderless", "text_flat",
                                         "text_split_headers", "text_row15", "docx"):
            for para in "\n".join(case.truth["narrative"].values()).split("\n"):
                if para.strip() and para.strip() not in rec["text"]:
                    lost.append((case.id, para[:30]))
    assert not dirty, dirty[:10]
    assert not lost, lost[:10]


def test_attachments_are_read_through_the_decoder(results):
    seen = collections.Counter()
    for case, rec in results:
        if case.shape in ("docx", "xlsx", "pdf"):
            assert rec["source_format"] == case.shape, case.id
            assert rec["error"] is None and rec["missing_tables"] == [], case.id
            seen[case.shape] += 1
    assert all(seen[s] >= 3 for s in ("docx", "xlsx", "pdf")), seen
