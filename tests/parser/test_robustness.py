"""parse() never raises and always returns the whole record contract."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.parser import RECORD_KEYS, parse

_TYPES = {
    "parser_version": str, "is_annual_report": bool, "format": str, "script": str,
    "image_only": bool, "text": str, "sections": list, "tables": dict, "tables_raw": dict,
    "missing_tables": list, "partial_tables": list, "checks": list,
}

# fragments that push random input into the parser's interesting paths
_FRAGMENTS = st.sampled_from([
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
    "第二十条第(一)项", "本年制发件数", "规章", "行政规范性文件", "自然人", "法人或其他组织",
    "总计", "(六)其他处理", "3.其他", "结果维持", "行政复议", "未经复议直接起诉", "0", "17", "—",
    "449.33萬元", "<table><tr><td rowspan=2>", "</td><td>", "</tr></table>", "\t", "\n",
    "2023年政府信息公开工作年度报告", "（图片版）", "<img src=a.png>", "20xx年", "-5", "1,234",
])


def _check_record(r):
    assert isinstance(r, dict)
    assert set(RECORD_KEYS) <= set(r)
    for k, t in _TYPES.items():
        assert isinstance(r[k], t), k
    assert r["format"] in ("2021", "2019", "legacy", "unknown")
    assert r["script"] in ("simplified", "traditional")
    assert r["error"] is None or (isinstance(r["error"], str) and "\n" not in r["error"])
    if r["error"]:
        assert r["is_annual_report"] is False and r["tables"] == {}
    for c in r["checks"]:
        assert c["status"] in ("pass", "fail", "uncertain")
    json.dumps(r, ensure_ascii=False, allow_nan=False)  # strict JSON


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes(data):
    _check_record(parse(data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=40), _FRAGMENTS), max_size=60),
       st.sampled_from(["utf-8", "gb18030"]),
       st.sampled_from([None, "text/html", "text/plain", "application/pdf"]))
def test_any_text_in_common_encodings(parts, encoding, content_type):
    text = "".join(parts)
    data = text.encode(encoding, errors="replace")
    _check_record(parse(data, url="http://example.invalid/a.html", content_type=content_type))


def test_empty_and_garbage_give_error_not_exception():
    for data in (b"", b"\x00\x01\x02" * 100, b"PK\x03\x04broken zip"):
        r = parse(data)
        _check_record(r)
        assert r["error"]
        assert r["is_annual_report"] is False


def test_non_bytes_input_gives_error():
    r = parse("not bytes")  # type: ignore[arg-type]
    _check_record(r)
    assert r["error"]
