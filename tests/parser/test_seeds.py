"""The five real seed pages: every table value, classification, metadata, checks."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harvester.parser import RECORD_KEYS, parse

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "seeds"

S000 = "000_120ec37bf10fb6e7.txt"
S001 = "001_0891be78211d66cb.txt"
S002 = "002_31c118e4793a672c.txt"
S003 = "003_6e9350b25bb3bd10.txt"
S004 = "004_18f6425814fe2439.txt"

_CACHE: dict[str, dict] = {}


def rec(name: str) -> dict:
    if name not in _CACHE:
        _CACHE[name] = parse((SEEDS / name).read_bytes())
    return _CACHE[name]


APP_COLS = ("natural_person", "commercial", "research", "nonprofit", "legal_services",
            "other_org", "total")
RL_COLS = ("upheld", "corrected", "other", "pending", "total")

# ------------------------------------------------------------------ truth, read off the seeds
ROWS_2019 = ("new", "carried_over", "granted", "partly_granted",
             "withheld_state_secret", "withheld_prohibited_by_law", "withheld_security_stability",
             "withheld_third_party", "withheld_internal_affairs", "withheld_process_info",
             "withheld_enforcement_file", "withheld_query_matter",
             "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear",
             "not_processed_petition", "not_processed_repeated", "not_processed_publication",
             "not_processed_excessive", "not_processed_confirmation", "other",
             "results_total", "carried_forward")

ACTIVE_001 = {
    "art20_1": {"regulations": {"made": 2, "published": 2, "total_published": 2},
                "normative_documents": {"made": 0, "published": 0, "total_published": 0}},
    "art20_5": {"licensing": {"previous_items": 0, "change": 0, "decisions": 0},
                "other_services": {"previous_items": 0, "change": 0, "decisions": 0}},
    "art20_6": {"penalty": {"previous_items": 0, "change": 0, "decisions": 0},
                "coercion": {"previous_items": 0, "change": 0, "decisions": 0}},
    "art20_8": {"fees": {"previous_items": 0, "change": 0}},
    "art20_9": {"procurement": {"projects": 31, "amount_yuan": 863732.45}},
}
APPS_001 = {row: dict.fromkeys(APP_COLS, 0) for row in ROWS_2019}
RL_001 = {g: dict.fromkeys(RL_COLS, 0) for g in ("review", "litigation_direct", "litigation_after_review")}

ACTIVE_002 = {
    "art20_1": {"regulations": {"made": 1, "published": 1, "total_published": 5},
                "normative_documents": {"made": 10, "published": 10, "total_published": 30}},
    "art20_5": {"licensing": {"previous_items": 0, "change": 0, "decisions": 0},
                "other_services": {"previous_items": 0, "change": 0, "decisions": 0}},
    "art20_6": {"penalty": {"previous_items": 0, "change": 0, "decisions": 0},
                "coercion": {"previous_items": 0, "change": 0, "decisions": 0}},
    "art20_8": {"fees": {"previous_items": 0, "change": 0}},
    "art20_9": {"procurement": {"projects": 40, "amount_yuan": 4493300}},
}
_NP_002 = {"new": 17, "granted": 5, "partly_granted": 1, "withheld_process_info": 1,
           "unavailable_not_held": 9, "results_total": 16, "carried_forward": 1}
APPS_002 = {row: {**dict.fromkeys(APP_COLS, 0),
                  "natural_person": _NP_002.get(row, 0), "total": _NP_002.get(row, 0)}
            for row in ROWS_2019}
RL_002 = {"review": dict.fromkeys(RL_COLS, 0),
          "litigation_direct": {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2},
          "litigation_after_review": dict.fromkeys(RL_COLS, 0)}

ACTIVE_003 = {"art20_1": {"regulations": {"issued": 1, "repealed": 1, "in_force": 2},
                          "normative_documents": {"issued": 6}}}


def _cells(seed, table, truth):
    out = []
    if table == "active_disclosure":
        for sub, rows in truth.items():
            for row, cells in rows.items():
                for col, v in cells.items():
                    out.append(pytest.param(seed, table, (sub, row, col), v,
                                            id=f"{seed[:3]}-{sub}-{row}-{col}"))
    else:
        for row, cells in truth.items():
            for col, v in cells.items():
                out.append(pytest.param(seed, table, (row, col), v, id=f"{seed[:3]}-{row}-{col}"))
    return out


ALL_CELLS = (_cells(S001, "active_disclosure", ACTIVE_001) + _cells(S001, "applications", APPS_001)
             + _cells(S001, "review_litigation", RL_001)
             + _cells(S002, "active_disclosure", ACTIVE_002) + _cells(S002, "applications", APPS_002)
             + _cells(S002, "review_litigation", RL_002)
             + _cells(S003, "active_disclosure", ACTIVE_003))


def test_fixtures_are_byte_exact_copies():
    for name in (S000, S001, S002, S003, S004):
        mine = (SEEDS / name).read_bytes()
        if SHARED.exists():
            assert hashlib.sha256(mine).digest() == hashlib.sha256((SHARED / name).read_bytes()).digest()
        assert len(mine) > 6000


@pytest.mark.parametrize("seed,table,path,value", ALL_CELLS)
def test_every_table_value(seed, table, path, value):
    node = rec(seed)["tables"][table]
    for key in path:
        node = node[key]
    assert node == value
    assert type(node) in (int, float)


@pytest.mark.parametrize("seed,table,truth", [
    (S001, "active_disclosure", ACTIVE_001), (S001, "applications", APPS_001),
    (S001, "review_litigation", RL_001), (S002, "active_disclosure", ACTIVE_002),
    (S002, "applications", APPS_002), (S002, "review_litigation", RL_002),
    (S003, "active_disclosure", ACTIVE_003),
])
def test_no_invented_cells(seed, table, truth):
    # exactly the cells of the page: nothing more (no zeros filled in)
    assert rec(seed)["tables"][table] == truth


def test_raw_cells_kept_for_audit():
    raw = rec(S002)["tables_raw"]
    assert raw["active_disclosure"]["art20_9"]["procurement"] == {"projects": "40項", "amount_yuan": "449.33萬元"}
    assert raw["applications"]["new"]["natural_person"] == "17"
    assert rec(S001)["tables_raw"]["active_disclosure"]["art20_9"]["procurement"]["amount_yuan"] == "863732.45"


@pytest.mark.parametrize("seed,expected", [
    (S000, dict(is_annual_report=True, year=2024, agency="吴川市人民政府办公室", script="simplified",
                format="unknown",
                title="吴川市人民政府办公室2024年度政府信息公开工作报告", image_only=False)),
    (S001, dict(is_annual_report=True, year=2024, agency="司前镇人民政府办公室", format="2019",
                script="simplified", title="司前镇人民政府办公室2024年政府信息公开工作年度报告")),
    (S002, dict(is_annual_report=True, year=2019, agency="梅州市人民政府辦公室",
                agency_simplified="梅州市人民政府办公室", format="2019",
                script="traditional", title="梅州市人民政府辦公室2019年政府信息公開工作年度報告")),
    (S003, dict(is_annual_report=True, year=2023, agency="辽源市人民政府", format="2021",
                script="simplified", published="2024-02-29")),
    (S004, dict(is_annual_report=False, year=None, agency=None, tables={}, format="unknown")),
])
def test_metadata_and_classification(seed, expected):
    r = rec(seed)
    for k, v in expected.items():
        assert r[k] == v, k


@pytest.mark.parametrize("seed", [S000, S001, S002, S003, S004])
def test_contract_keys(seed):
    r = rec(seed)
    assert set(RECORD_KEYS) <= set(r)
    assert r["error"] is None


def test_missing_tables_seed000_not_invented():
    r = rec(S000)
    assert r["missing_tables"] == ["active_disclosure", "applications", "review_litigation"]
    assert r["tables"] == {} and r["partial_tables"] == []
    assert r["sections"] == ["overview", "active_disclosure", "applications",
                             "review_litigation", "problems", "other"]


def test_partial_seed003():
    r = rec(S003)
    assert r["partial_tables"] == ["active_disclosure"]
    assert r["missing_tables"] == ["applications", "review_litigation"]
    assert r["sections"] == ["overview", "active_disclosure"]


@pytest.mark.parametrize("seed", [S001, S002])
def test_complete_tables(seed):
    r = rec(seed)
    assert r["missing_tables"] == [] and r["partial_tables"] == []


def test_sections_seed002_has_no_other():
    assert rec(S002)["sections"] == ["overview", "active_disclosure", "applications",
                                     "review_litigation", "problems"]


# ------------------------------------------------------------------ text cleaning
@pytest.mark.parametrize("seed,debris", [
    (S001, ["今天是", "附件下载", "关闭窗口", "打印本页", "智能互动", "手机版", "微信", "始兴发布", "图片2"]),
    (S002, ["相關詞條", "熱門詞條", "聯絡我們"]),
    (S003, ["登录 注册", "点击数", "发布日期"]),
])
def test_text_has_no_debris(seed, debris):
    text = rec(seed)["text"]
    for d in debris:
        assert d not in text, d


def test_text_keeps_narrative_verbatim():
    r = rec(S002)
    # traditional narrative is never rewritten into simplified
    assert "市政府辦公室全年新收到政府信息公開申請17件" in r["text"]
    assert "規範性檔案統一在市政府公報刊登" in r["text"]
    assert r["text"].startswith("梅州市人民政府辦公室2019年政府信息公開工作年度報告")
    assert "小程式同步發布" in r["text"]
    t1 = rec(S001)["text"]
    assert t1.startswith("司前镇人民政府办公室2024年政府信息公开工作年度报告")
    assert t1.rstrip().endswith("不断推进国家治理体系和治理能力现代化。")


# ------------------------------------------------------------------ checks
def _checks(seed, rule):
    return [c for c in rec(seed)["checks"] if c["rule"] == rule]


def test_seed002_r3_passes_for_every_column():
    r3 = _checks(S002, "R3")
    assert len(r3) == 7 and all(c["status"] == "pass" for c in r3)
    np = next(c for c in r3 if c["column"] == "natural_person")
    assert np["expected"] == 17 and np["actual"] == 17
    assert np["operands"] == {"new": 17, "carried_over": 0, "results_total": 16, "carried_forward": 1}


@pytest.mark.parametrize("rule", ["R1", "R2", "R4", "R5"])
def test_seed002_hard_rules_pass(rule):
    cs = _checks(S002, rule)
    assert cs and all(c["status"] == "pass" for c in cs)


def test_seed002_s3_narrative_counts_agree():
    s3 = _checks(S002, "S3")
    new = [c for c in s3 if c["row"] == "new"]
    lit = [c for c in s3 if c["row"] == "litigation"]
    assert new and new[0]["expected"] == 17 and new[0]["actual"] == 17 and new[0]["status"] == "pass"
    assert lit and lit[0]["expected"] == 2 and lit[0]["actual"] == 2 and lit[0]["status"] == "pass"


def test_seed002_s4_and_s6():
    s4 = _checks(S002, "S4")
    assert len(s4) == 2 and all(c["status"] == "pass" for c in s4)
    assert [c["status"] for c in _checks(S002, "S6")] == ["pass"]


def test_seed003_missing_tables_make_checks_uncertain_not_fail():
    r = rec(S003)
    assert not [c for c in r["checks"] if c["status"] == "fail" and c["rule"].startswith("R")]
    s3 = _checks(S003, "S3")
    assert s3 and all(c["status"] == "uncertain" for c in s3)


def test_checks_shape():
    for c in rec(S002)["checks"]:
        assert set(c) == {"rule", "status", "table", "row", "column", "operands",
                          "expected", "actual", "detail"}
        assert c["status"] in ("pass", "fail", "uncertain")


def test_lookalike_has_no_checks():
    assert rec(S004)["checks"] == []
