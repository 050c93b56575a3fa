"""make_truth: determinism, structure, rules R1–R5 (checked independently here), narrative S3."""
from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from harvester import reportgen
from harvester.reportgen import agencies, failing_rules, make_truth

APPLICANTS = ("natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org")
ROWS_COMMON = ("new", "carried_over", "granted", "partly_granted",
               "withheld_state_secret", "withheld_prohibited_by_law", "withheld_security_stability",
               "withheld_third_party", "withheld_internal_affairs", "withheld_process_info",
               "withheld_enforcement_file", "withheld_query_matter",
               "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear",
               "not_processed_petition", "not_processed_repeated", "not_processed_publication",
               "not_processed_excessive", "not_processed_confirmation", "results_total", "carried_forward")
OTHER_2021 = ("other_no_correction", "other_fee_unpaid", "other_other")


def truths(n=120, consistent=True, rule=None, seed=0):
    rng = random.Random(seed)
    names = agencies(rng, n)
    out = []
    for i, a in enumerate(names):
        layout = "2021" if i % 2 else "2019"
        out.append(make_truth(random.Random(seed * 1000 + i), agency=a, year=2019 + i % 7, layout=layout,
                              consistent=consistent, rule=rule))
    return out


def broken_rules(t: dict) -> set[str]:
    """The hard rules, written out again independently of harvester.reportgen."""
    apps = t["tables"]["applications"]
    rl = t["tables"]["review_litigation"]
    out = set()
    for row in apps.values():
        if row["total"] != sum(row[c] for c in APPLICANTS):
            out.add("R1")
    others = OTHER_2021 if t["format"] == "2021" else ("other",)
    results = [r for r in ROWS_COMMON if r not in ("new", "carried_over", "results_total", "carried_forward")]
    for c in APPLICANTS + ("total",):
        if apps["results_total"][c] != sum(apps[r][c] for r in results + list(others)):
            out.add("R2")
        if apps["new"][c] + apps["carried_over"][c] != apps["results_total"][c] + apps["carried_forward"][c]:
            out.add("R3")
    for g in rl.values():
        if g["upheld"] + g["corrected"] + g["other"] + g["pending"] != g["total"]:
            out.add("R4")

    def leaves(node, col=None):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from leaves(v, k)
        else:
            yield col, node
    for key in ("active_disclosure", "applications", "review_litigation"):
        for col, v in leaves(t["tables"][key]):
            assert isinstance(v, (int, float)) and not isinstance(v, bool)
            if col in ("amount_10k_yuan", "amount_yuan"):
                assert isinstance(v, float)
                if v < 0:
                    out.add("R5")
            elif col == "change":
                assert isinstance(v, int)
            elif not isinstance(v, int) or v < 0:
                out.add("R5")
    return out


def test_same_seed_same_truth_and_body():
    a = make_truth(random.Random(7), agency="梅州市人民政府办公室", year=2023)
    b = make_truth(random.Random(7), agency="梅州市人民政府办公室", year=2023)
    assert a == b
    assert reportgen.render_body_html(a, random.Random(1)) == reportgen.render_body_html(b, random.Random(1))
    c = make_truth(random.Random(8), agency="梅州市人民政府办公室", year=2023)
    assert c != a


@pytest.mark.parametrize("layout", ["2021", "2019"])
def test_structure_follows_the_spec(layout):
    t = make_truth(random.Random(3), agency="平远县人民政府", year=2020 if layout == "2019" else 2022,
                   layout=layout)
    assert t["format"] == layout and t["failing_rules"] == []
    apps = t["tables"]["applications"]
    expected_rows = set(ROWS_COMMON) | (set(OTHER_2021) if layout == "2021" else {"other"})
    assert set(apps) == expected_rows
    assert all(set(r) == set(APPLICANTS) | {"total"} for r in apps.values())
    act = t["tables"]["active_disclosure"]
    if layout == "2021":
        assert set(act) == {"art20_1", "art20_5", "art20_6", "art20_8"}
        assert set(act["art20_1"]["normative_documents"]) == {"issued", "repealed", "in_force"}
        assert isinstance(act["art20_8"]["fees"]["amount_10k_yuan"], float)
    else:
        assert set(act) == {"art20_1", "art20_5", "art20_6", "art20_8", "art20_9"}
        assert set(act["art20_5"]) == {"licensing", "other_services"}
        assert set(act["art20_5"]["licensing"]) == {"previous_items", "change", "decisions"}
        assert set(act["art20_8"]["fees"]) == {"previous_items", "change"}
        assert set(act["art20_9"]["procurement"]) == {"projects", "amount_yuan"}
    assert set(t["tables"]["review_litigation"]) == {"review", "litigation_direct", "litigation_after_review"}
    assert set(t["narrative"]) == {"overview", "active_disclosure", "applications", "review_litigation",
                                   "problems", "other"}


def test_consistent_truths_obey_r1_to_r5():
    ts = truths(150)
    for t in ts:
        assert broken_rules(t) == set(), t["agency"]
        assert failing_rules(t["tables"], t["format"]) == []
    # not trivially all zeros: some reports have real traffic
    assert sum(t["tables"]["applications"]["new"]["total"] > 0 for t in ts) > 60
    assert any(t["tables"]["applications"]["new"]["commercial"] > 0 for t in ts)
    assert any(t["tables"]["review_litigation"]["litigation_direct"]["total"] > 0 for t in ts)


@pytest.mark.parametrize("rule", ["R1", "R2", "R3", "R4", "R5"])
def test_inconsistent_truths_break_exactly_the_listed_rule(rule):
    for t in truths(30, consistent=False, rule=rule, seed=5):
        assert t["failing_rules"] == [rule]
        assert broken_rules(t) == {rule}
        assert failing_rules(t["tables"], t["format"]) == [rule]


def test_random_inconsistent_truths_list_one_rule():
    seen = set()
    for t in truths(60, consistent=False, seed=9):
        assert len(t["failing_rules"]) == 1
        assert broken_rules(t) == set(t["failing_rules"])
        seen |= set(t["failing_rules"])
    assert seen == {"R1", "R2", "R3", "R4", "R5"}


def test_failing_rules_treats_nulls_as_uncertain():
    t = make_truth(random.Random(4), agency="东丰县自然资源局", year=2023, consistent=False, rule="R1")
    tables = t["tables"]
    assert failing_rules(tables, "2021") == ["R1"]
    for row in tables["applications"].values():
        row["total"] = None
    assert failing_rules(tables, "2021") == []


def test_narrative_states_table_counts():
    for t in truths(80) + truths(20, consistent=False, seed=3):
        apps = t["tables"]["applications"]
        rl = t["tables"]["review_litigation"]
        text = t["narrative"]["applications"]
        new, co = apps["new"]["total"], apps["carried_over"]["total"]
        if new == 0 and co == 0:
            assert "未收到政府信息公开申请" in text or "新收政府信息公开申请0件" in text
        else:
            assert f"新收政府信息公开申请{new}件" in text
        suits = rl["litigation_direct"]["total"] + rl["litigation_after_review"]["total"]
        reviews = rl["review"]["total"]
        if suits == 0 and reviews == 0:
            assert "未发生因政府信息公开工作引起的行政复议、行政诉讼案件" in text
        else:
            assert f"行政复议{reviews}件" in text and f"行政诉讼{suits}件" in text
        # prose, not placeholders
        assert not re.search(r"20xx|xx件", text)
        assert len(t["narrative"]["overview"]) > 80 and "\n" in t["narrative"]["overview"]


def test_title_and_publication_date():
    for t in truths(100):
        assert t["agency"] in t["title"] and str(t["year"]) in t["title"]
        assert t["title"].endswith(("年度报告", "工作报告"))
        d = dt.date.fromisoformat(t["published"])
        assert d > dt.date(t["year"], 12, 31)
    months = [dt.date.fromisoformat(t["published"]) for t in truths(200, seed=2)]
    early = sum(1 for d, t in zip(months, truths(200, seed=2)) if d.year == t["year"] + 1 and d.month <= 3)
    assert 150 < early < 200  # usually Jan–Mar, some late


def test_agencies_are_distinct_and_span_levels():
    names = agencies(random.Random(1), 300)
    assert len(set(names)) == 300
    assert agencies(random.Random(1), 300) == names
    assert any(n.endswith("部") or n.endswith("委员会") and "市" not in n for n in names)
    assert any(n.endswith(("镇人民政府", "乡人民政府", "街道办事处")) for n in names)
    assert any(re.search(r"[县区]\w*局$", n) for n in names)
    assert any(n.endswith("市人民政府") or n.endswith("市人民政府办公室") for n in names)
    assert any(n.startswith("广东省") or n.startswith("吉林省") or n.startswith("浙江省") for n in names)


def test_bad_layout_is_rejected():
    with pytest.raises(ValueError):
        make_truth(random.Random(1), agency="某局", year=2023, layout="2008")
