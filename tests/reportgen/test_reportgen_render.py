"""render/cases: every shape, determinism, and that ``expected`` matches what the bytes show.

The small reader below is independent of harvester.reportgen: it finds each table-三 row by its
label in the decoded document and reads the cells after it, so a renderer that shows other
numbers than ``expected`` claims fails here.
"""
from __future__ import annotations

import collections
import hashlib
import random
import re

import lxml.html
import pytest

from harvester import reportgen
from harvester.parser.inputs import decode
from harvester.reportgen import SHAPES, cases, make_truth, render, render_body_html

APP_COLS = ("natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total")
ROW_LABELS = {
    "new": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "(一)予以公开", "partly_granted": "(二)部分公开", "withheld_state_secret": "1.属于国家秘密",
    "withheld_prohibited_by_law": "2.其他法律行政法规禁止公开", "withheld_security_stability": "3.危及“三安全一稳定”",
    "withheld_third_party": "4.保护第三方合法权益", "withheld_internal_affairs": "5.属于三类内部事务信息",
    "withheld_process_info": "6.属于四类过程性信息", "withheld_enforcement_file": "7.属于行政执法案卷",
    "withheld_query_matter": "8.属于行政查询事项", "unavailable_not_held": "1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "2.没有现成信息需要另行制作", "unavailable_unclear": "3.补正后申请内容仍不明确",
    "not_processed_petition": "1.信访举报投诉类申请", "not_processed_repeated": "2.重复申请",
    "not_processed_publication": "3.要求提供公开出版物", "not_processed_excessive": "4.无正当理由大量反复申请",
    "not_processed_confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other_no_correction": "1.申请人无正当理由逾期不补正", "other_fee_unpaid": "2.申请人逾期未按收费通知",
    "other_other": "3.其他", "other": "(六)其他处理", "results_total": "(七)总计",
    "carried_forward": "四、结转下年度继续办理",
}
NULLS = {"", "—", "-", "/", "无", "——", "／"}


@pytest.fixture(scope="module")
def all_cases():
    return list(cases(300))


_DECODED: dict = {}


def dec(c):
    """inputs.decode of a case, once per test module run."""
    if c.id not in _DECODED:
        _DECODED[c.id] = decode(c.data, c.url, c.content_type)
    return _DECODED[c.id]


def norm(s: str) -> str:
    s = s.replace("\u00a0", " ")
    for a, b in (("（", "("), ("）", ")"), ("：", ":"), ("，", ",")):
        s = s.replace(a, b)
    return s.strip()


def value(text: str):
    t = norm(text).replace(",", "")
    if t in NULLS:
        return None
    t = re.sub(r"(件|项|个|個|項)$", "", t)
    return int(t) if re.fullmatch(r"-?\d+", t) else float(t) if re.fullmatch(r"-?\d+\.\d+", t) else t


def read_applications(doc_kind: str, content: str) -> dict:
    """{row key: [cell values after the label]} read from a decoded document."""
    out = {}
    if doc_kind == "html":
        root = lxml.html.fromstring(content)
        rows = [[norm(td.text_content()) for td in tr if td.tag in ("td", "th")] for tr in root.iter("tr")]
        for key, label in ROW_LABELS.items():
            for cells in rows:
                idx = [i for i, c in enumerate(cells) if c.startswith(label)]
                if idx and len(cells) - idx[-1] - 1 >= 1:
                    out[key] = [value(c) for c in cells[idx[-1] + 1:]]
                    break
        return out
    lines = [norm(x) for x in content.splitlines()]
    lines = [x for x in lines if x != ""] if "\n\n" in content else lines
    for key, label in ROW_LABELS.items():
        for i, line in enumerate(lines):
            j = line.find(label)
            if j < 0 or re.search(r"\d", line[:j]):  # only group labels may stand before
                continue
            rest = line[j + len(label):]
            rest = re.sub(r"^[^\d—/\-无／]*", "", rest)  # the rest of a long label
            tokens = rest.split()
            if tokens:
                out[key] = [value(t) for t in tokens]
            else:
                out[key] = [value(x) for x in lines[i + 1:i + 8] if not x.startswith(("(", "三、", "四、"))]
            break
    return out


def check_applications_match(case) -> int:
    exp = case.expected["tables"].get("applications", {})
    d = dec(case)
    got = read_applications(d.kind, d.content)
    checked = 0
    for key, row in exp.items():
        want = [row[c] for c in APP_COLS if c in row]
        assert key in got, (case.id, key)
        assert got[key][:len(want)] == want, (case.id, key, got[key], want)
        checked += 1
    return checked


# --------------------------------------------------------------------------- coverage, determinism
def test_every_shape_in_300_cases(all_cases):
    counts = collections.Counter(c.shape for c in all_cases)
    assert set(counts) == set(SHAPES)
    weights = reportgen.shapes._WEIGHTS
    for shape in SHAPES:  # each shape its share of the schedule (attachments and document shapes less)
        assert counts[shape] >= int(300 * weights[shape] / sum(weights.values())), shape
        assert counts[shape] >= 4, shape
    assert len({c.id for c in all_cases}) == 300


def test_cases_are_byte_identical_for_a_seed(all_cases):
    again = list(cases(120))  # a shorter run is a prefix of the longer one
    assert [hashlib.sha256(c.data).hexdigest() for c in again] == \
           [hashlib.sha256(c.data).hexdigest() for c in all_cases[:120]]
    assert [c.expected for c in again] == [c.expected for c in all_cases[:120]]
    other = list(cases(20, seed=1))
    assert [c.data for c in other] != [c.data for c in all_cases[:20]]


def test_render_is_deterministic_per_shape():
    t = make_truth(random.Random(11), agency="韶关市人民政府", year=2022)
    for shape in SHAPES:
        a = render(t, shape, random.Random(5))
        b = render(t, shape, random.Random(5))
        assert (a.data, a.content_type, a.url, a.expected) == (b.data, b.content_type, b.url, b.expected), shape


def test_unknown_shape():
    t = make_truth(random.Random(1), agency="某局", year=2023)
    with pytest.raises(ValueError, match="unknown shape"):
        render(t, "html_fancy", random.Random(1))


# --------------------------------------------------------------------------- expected vs truth
def test_expected_keys_and_truth_agreement(all_cases):
    inconsistent = reports = 0
    for c in all_cases:
        e = c.expected
        assert set(e) == {"is_annual_report", "image_only", "format", "script", "year", "agency", "tables",
                          "missing_tables", "partial_tables", "failing_rules"}
        assert e["is_annual_report"] == (c.shape not in reportgen.LOOKALIKE_SHAPES)
        assert e["image_only"] == (c.shape == "image_only")
        if not e["is_annual_report"] or e["image_only"]:
            assert e["tables"] == {} and e["missing_tables"] == ["active_disclosure", "applications",
                                                                 "review_litigation"]
            continue
        reports += 1
        t = c.truth
        inconsistent += bool(t["failing_rules"])
        assert e["year"] == t["year"]
        assert e["format"] in (t["format"], "unknown") or (c.shape == "doc_legacy_free" and e["format"] == "legacy")
        assert set(e["failing_rules"]) <= set(t["failing_rules"])
        for key, table in e["tables"].items():
            _compare(table, t["tables"][key], (c.id, key))
        assert not set(e["missing_tables"]) & set(e["tables"])
        assert set(e["partial_tables"]) <= set(e["tables"])
        if c.shape in ("html_grid", "html_borderless", "text_flat", "docx", "xlsx", "pdf"):
            assert e["failing_rules"] == t["failing_rules"] and e["missing_tables"] == []
    assert 0.05 * reports <= inconsistent <= 0.2 * reports


def _compare(exp, truth, where):
    if isinstance(exp, dict):
        for k, v in exp.items():
            assert k in truth, (where, k)
            _compare(v, truth[k], where + (k,))
    elif exp is not None:
        assert exp == pytest.approx(truth), where


def test_layouts_and_years_spread(all_cases):
    reports = [c for c in all_cases if c.truth and c.expected["is_annual_report"]]
    assert {c.truth["year"] for c in reports} == set(range(2019, 2026))
    late19 = [c for c in all_cases if c.shape == "layout_2019_late"]
    assert all(c.truth["format"] == "2019" and c.truth["year"] >= 2022 for c in late19)
    assert {c.truth["format"] for c in reports} == {"2019", "2021"}


# --------------------------------------------------------------------------- bytes vs expected
READABLE = ("html_grid", "html_borderless", "text_flat", "text_split_headers", "text_row15", "units",
            "null_markers", "label_notes", "extra_rows", "layout_2019_late", "truncated", "docx", "xlsx", "pdf")


def test_expected_applications_are_what_the_document_shows(all_cases):
    checked = collections.Counter()
    for c in all_cases:
        if c.shape in READABLE:
            checked[c.shape] += check_applications_match(c)
    for shape in READABLE:
        assert checked[shape] > 0, shape


def test_null_markers_are_null_in_expected(all_cases):
    nulls = 0
    for c in all_cases:
        if c.shape != "null_markers":
            continue
        stack = [c.expected["tables"]]
        while stack:
            node = stack.pop()
            for v in node.values():
                if isinstance(v, dict):
                    stack.append(v)
                elif v is None:
                    nulls += 1
    assert nulls > 50


def test_row15_line(all_cases):
    for c in all_cases:
        if c.shape != "text_row15":
            continue
        rl = c.expected["tables"]["review_litigation"]
        want = [str(rl[g][k]) for g in ("review", "litigation_direct", "litigation_after_review")
                for k in ("upheld", "corrected", "other", "pending", "total")]
        text = dec(c).content
        assert any(line.split() == want for line in text.splitlines()), c.id


def test_truncated_cases_stop_inside_a_table(all_cases):
    for c in [c for c in all_cases if c.shape == "truncated"]:
        e = c.expected
        assert len(e["partial_tables"]) == 1
        part = e["partial_tables"][0]
        order = ["active_disclosure", "applications", "review_litigation"]
        assert e["missing_tables"] == order[order.index(part) + 1:]
        text = dec(c).content
        assert "五、" not in text.split("二、主动公开政府信息情况")[-1]
        assert "关闭窗口" not in text and "联系我们" not in text


def test_missing_tables_cases(all_cases):
    for c in [c for c in all_cases if c.shape == "missing_tables"]:
        e = c.expected
        assert e["missing_tables"] and not set(e["missing_tables"]) & set(e["tables"])
        text = dec(c).content
        # the headings are there even where the tables are not
        assert "收到和处理政府信息公开申请情况" in text.replace("（", "(")


def test_traditional_has_no_simplified_label_forms(all_cases):
    simplified_only = ("规章", "规范性文件", "申请", "总计", "结转", "处理", "复议", "诉讼", "纠正", "审结",
                       "国家秘密", "无法提供", "予以公开", "政府信息公开工作年度报告", "主动公开政府信息情况")
    trad = [c for c in all_cases if c.shape == "traditional"]
    for c in trad:
        d = dec(c)
        for s in simplified_only:
            assert s not in d.content, (c.id, s)
        assert "規範性" in d.content and "總計" in d.content
        assert c.expected["script"] == "traditional"
    assert any("規範性檔案" in dec(c).content for c in trad)


@pytest.mark.parametrize("shape,fmt", [("docx", "docx"), ("xlsx", "xlsx"), ("pdf", "pdf")])
def test_attachments_decode_with_labels(all_cases, shape, fmt):
    for c in [c for c in all_cases if c.shape == shape]:
        d = decode(c.data)  # magic bytes alone
        assert d.source_format == fmt
        text = norm(d.content).replace("（", "(").replace("）", ")")
        for label in ("第二十条第(一)项", "一、本年新收政府信息公开申请数量", "(七)总计", "结果维持",
                      "未经复议直接起诉", c.truth["title"]):
            assert label in text, (c.id, label)


def test_lookalikes_and_image_only(all_cases):
    for c in all_cases:
        text = dec(c).content
        if c.shape == "image_only":
            body = text.split('class="article"')[1]
            assert "<img" in body and "<table" not in body and "图片版" in text
        elif c.shape == "compile_notice":
            assert "编制" in text and "通知" in text
        elif c.shape == "guide":
            assert "政府信息公开指南" in text
        elif c.shape == "graphic":
            assert "<img" in text and ("图解" in text or "一图读懂" in text)
        elif c.shape == "summary_template":
            assert "20xx" in text


# --------------------------------------------------------------------------- render_body_html
@pytest.mark.parametrize("layout", ["2021", "2019"])
@pytest.mark.parametrize("shape", ["html_grid", "html_borderless"])
def test_render_body_html_fragment(layout, shape):
    t = make_truth(random.Random(21), agency="辽源市人民政府", year=2023 if layout == "2021" else 2019,
                   layout=layout)
    html = render_body_html(t, random.Random(2), shape=shape)
    assert "<html" not in html and "<body" not in html
    root = lxml.html.fromstring(f"<div>{html}</div>")
    text = norm(root.text_content())
    for h in ("一、", "二、主动公开政府信息情况", "三、", "四、", "五、", "六、其他需要报告的事项"):
        assert h in text.replace("、 ", "、")
    assert len(root.findall(".//table")) >= 3
    if shape == "html_borderless":
        assert 'border="0"' in html and "<span" in html
    else:
        assert 'border="1"' in html
    # the three row-group labels span their sub-rows, the 四 header spans 5 and 10 columns
    assert re.search(r'rowspan="(22|20)"[^>]*>(<[^>]+>)*三、本年度办理结果', html)
    assert re.search(r'rowspan="8"[^>]*>(<[^>]+>)*[(（]三[)）]不予公开', html)
    assert re.search(r'colspan="5"[^>]*>(<[^>]+>)*(法人或其他组织|法定代表人或其他组织)', html)
    assert re.search(r'colspan="10"[^>]*>(<[^>]+>)*行政诉讼', html)
    if layout == "2021":
        assert "本年制发件数" in html and "其他处理" in html and "3.其他" in html
    else:
        assert "本年新制作数量" in html and "第二十条第(九)项" in text


def test_body_shapes_exported():
    assert reportgen.BODY_SHAPES == ("html_grid", "html_borderless")
    with pytest.raises(ValueError):
        render_body_html(make_truth(random.Random(1), agency="某局", year=2023), random.Random(1), shape="pdf")


def test_cases_do_not_depend_on_hash_seed():
    import subprocess
    import sys
    code = ("import hashlib\nfrom harvester.reportgen import cases\nh = hashlib.sha256()\n"
            "for c in cases(15, seed=4):\n    h.update(c.data); h.update(repr(c.expected).encode())\n"
            "print(h.hexdigest())")
    outs = set()
    for hs in ("1", "2"):
        env = {"PYTHONHASHSEED": hs, "PATH": "/usr/bin:/bin"}
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        outs.add(res.stdout.strip())
    assert len(outs) == 1


def test_pages_in_every_encoding_decode_to_the_prose(all_cases):
    """utf-8, gb2312-declared GBK, GBK-declared and undeclared GBK pages all decode to the truth's text."""
    encodings = collections.Counter()
    gbk_only = 0
    for c in all_cases:
        if c.shape not in ("html_grid", "html_borderless", "units", "label_notes", "extra_rows"):
            continue
        d = dec(c)
        if d.kind != "html":
            continue
        text = lxml.html.fromstring(d.content).text_content()
        assert c.truth["preamble"] in text, c.id
        encodings[(d.source_format, d.encoding)] += 1
        gbk_only += d.encoding == "gb18030" and any(ch in c.truth["preamble"] for ch in "堃喆镕玥珺")
    assert {e for _f, e in encodings} == {"utf-8", "gb18030"}
    assert ("gkmlpt", "utf-8") in encodings or ("gkmlpt", "gb18030") in encodings
    assert gbk_only >= 1
