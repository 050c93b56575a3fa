"""Consistency rules: R1–R5, S3, S4, S6 at parse time; S1, S2, S5 across years."""
from __future__ import annotations

import copy
from pathlib import Path

from harvester.parser import parse
from harvester.parser.checks import cross_year, hard_checks, s4_checks, text_similarity

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
COLS = ("natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total")


def seed(name):
    return parse((SEEDS / name).read_bytes())


def by(checks, rule, **place):
    return [c for c in checks if c["rule"] == rule and all(c.get(k) == v for k, v in place.items())]


def apps_2021(new=(3, 0, 0, 0, 0, 1, 4)):
    rows = {k: dict(zip(COLS, (0,) * 7)) for k in (
        "carried_over", "partly_granted", "withheld_state_secret", "withheld_prohibited_by_law",
        "withheld_security_stability", "withheld_third_party", "withheld_internal_affairs",
        "withheld_process_info", "withheld_enforcement_file", "withheld_query_matter",
        "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear",
        "not_processed_petition", "not_processed_repeated", "not_processed_publication",
        "not_processed_excessive", "not_processed_confirmation", "other_no_correction",
        "other_fee_unpaid", "other_other", "carried_forward")}
    rows["new"] = dict(zip(COLS, new))
    rows["granted"] = dict(zip(COLS, new))
    rows["results_total"] = dict(zip(COLS, new))
    return rows


def test_consistent_tables_pass_every_hard_rule():
    checks = hard_checks({"applications": apps_2021()}, "2021")
    assert {c["rule"] for c in checks} == {"R1", "R2", "R3", "R5"}
    assert all(c["status"] == "pass" for c in checks)
    assert len(by(checks, "R1")) == 25  # one per row
    assert len(by(checks, "R2")) == 7 and len(by(checks, "R3")) == 7  # one per column


def test_r1_fails_on_a_wrong_row_total():
    apps = apps_2021()
    apps["new"]["total"] = 5
    r1 = by(hard_checks({"applications": apps}, "2021"), "R1", row="new")[0]
    assert r1["status"] == "fail" and r1["expected"] == 4 and r1["actual"] == 5
    assert r1["operands"]["natural_person"] == 3 and r1["table"] == "applications"


def test_r2_and_r3_fail_per_column():
    apps = apps_2021()
    apps["results_total"]["natural_person"] = 2  # results no longer add up, nor new+carried
    checks = hard_checks({"applications": apps}, "2021")
    r2 = by(checks, "R2", column="natural_person")[0]
    assert r2["status"] == "fail" and r2["expected"] == 3 and r2["actual"] == 2
    r3 = by(checks, "R3", column="natural_person")[0]
    assert r3["status"] == "fail" and r3["expected"] == 3 and r3["actual"] == 2
    assert all(c["status"] == "pass" for c in by(checks, "R3") if c["column"] != "natural_person")


def test_null_operand_is_uncertain_never_fail():
    apps = apps_2021()
    apps["new"]["commercial"] = None
    apps["new"]["total"] = 99
    checks = hard_checks({"applications": apps}, "2021")
    assert by(checks, "R1", row="new")[0]["status"] == "uncertain"
    assert by(checks, "R3", column="commercial")[0]["status"] == "uncertain"
    del apps["carried_forward"]  # an absent row: uncertain too
    checks = hard_checks({"applications": apps}, "2021")
    assert all(c["status"] == "uncertain" for c in by(checks, "R3"))


def test_r4_per_group_and_r5_counts():
    rl = {"review": {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2},
          "litigation_direct": {"upheld": 1, "corrected": 1, "other": 0, "pending": 0, "total": 3},
          "litigation_after_review": {"upheld": None, "corrected": 0, "other": 0, "pending": 0, "total": 0}}
    checks = hard_checks({"review_litigation": rl}, "2021")
    assert [c["status"] for c in by(checks, "R4")] == ["pass", "fail", "uncertain"]
    act = {"art20_1": {"regulations": {"made": -1, "published": 0, "total_published": 2}},
           "art20_5": {"licensing": {"previous_items": 3, "change": -2, "decisions": 1.5}},
           "art20_9": {"procurement": {"projects": 1, "amount_yuan": 4493300.5}}}
    r5 = by(hard_checks({"active_disclosure": act}, "2019"), "R5")
    fails = {(c["row"], c["column"]) for c in r5 if c["status"] == "fail"}
    assert fails == {("art20_1.regulations", "made"), ("art20_5.licensing", "decisions")}


def test_s4_total_published_at_least_published():
    act = {"art20_1": {"regulations": {"made": 1, "published": 3, "total_published": 2},
                       "normative_documents": {"made": 1, "published": 1, "total_published": None}}}
    s4 = s4_checks({"active_disclosure": act}, "2019")
    assert [c["status"] for c in s4] == ["fail", "uncertain"]


def test_s3_disagreement_is_reported():
    text = (SEEDS / "002_31c118e4793a672c.txt").read_text(encoding="utf-8")
    rec = parse(text.replace("全年新收到政府信息公開申請17件", "全年新收到政府信息公開申請19件").encode())
    s3 = by(rec["checks"], "S3", row="new")[0]
    assert s3["status"] == "fail" and s3["expected"] == 19 and s3["actual"] == 17


def test_s6_problems_section_missing_or_just_none():
    text = (SEEDS / "001_0891be78211d66cb.txt").read_text(encoding="utf-8")
    a = text.index("五、存在的主要问题及改进情况")
    b = text.index("六、其他需要报告的事项")
    only_none = text[:a] + "五、存在的主要问题及改进情况\n\n无。\n\n" + text[b:]
    assert by(parse(only_none.encode())["checks"], "S6")[0]["status"] == "fail"
    gone = text[:a] + text[b:]
    assert by(parse(gone.encode())["checks"], "S6")[0]["status"] == "fail"
    assert by(parse(text.encode())["checks"], "S6")[0]["status"] == "pass"


# ------------------------------------------------------------------ cross-year
def _year(rec, year):
    r = copy.deepcopy(rec)
    r["year"] = year
    return r


def test_s1_carried_forward_becomes_carried_over():
    prev = _year(seed("002_31c118e4793a672c.txt"), 2019)
    cur = _year(prev, 2020)
    cur["tables"]["applications"]["carried_over"] = dict(prev["tables"]["applications"]["carried_forward"])
    s1 = by(cross_year(prev, cur), "S1")
    assert len(s1) == 7 and all(c["status"] == "pass" for c in s1)
    cur["tables"]["applications"]["carried_over"]["natural_person"] = 0
    s1 = by(cross_year(prev, cur), "S1", column="natural_person")[0]
    assert s1["status"] == "fail" and s1["expected"] == 1 and s1["actual"] == 0


def test_s2_in_force_stock():
    prev = {"year": 2022, "text": "a", "tables": {"active_disclosure": {"art20_1": {
        "regulations": {"issued": 1, "repealed": 0, "in_force": 10}}}}}
    cur = {"year": 2023, "text": "b", "tables": {"active_disclosure": {"art20_1": {
        "regulations": {"issued": 2, "repealed": 1, "in_force": 11}}}}}
    s2 = by(cross_year(prev, cur), "S2")[0]
    assert s2["status"] == "pass" and s2["expected"] == 11
    cur["tables"]["active_disclosure"]["art20_1"]["regulations"]["in_force"] = 12
    assert by(cross_year(prev, cur), "S2")[0]["status"] == "fail"
    cur["tables"]["active_disclosure"]["art20_1"]["regulations"]["issued"] = None
    assert by(cross_year(prev, cur), "S2")[0]["status"] == "uncertain"


def test_s5_copy_paste_report_is_flagged():
    prev = seed("001_0891be78211d66cb.txt")
    text = (SEEDS / "001_0891be78211d66cb.txt").read_text(encoding="utf-8")
    cur = parse(text.replace("2024", "2025").replace("2025年,我镇将", "2026年,我镇将").encode())
    s5 = by(cross_year(prev, cur), "S5")[0]
    assert s5["status"] == "fail" and s5["operands"]["text_similarity"] > 0.9
    other = seed("000_120ec37bf10fb6e7.txt")
    s5 = by(cross_year(other, cur), "S5")[0]
    assert s5["status"] == "pass" and s5["operands"]["text_similarity"] < 0.5


def test_text_similarity_is_a_real_measure():
    a = "本机关全年共收到政府信息公开申请十七件，均已按期答复。" * 3
    assert text_similarity(a, a) == 1.0
    assert text_similarity(a, "") == 0.0
    b = a.replace("按期", "依法")
    assert 0.5 < text_similarity(a, b) < 1.0
