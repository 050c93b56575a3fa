"""`harvester parse PATH... [--json]` (harvester.parser.command.run)."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from harvester.parser import RECORD_KEYS
from harvester.parser.command import run

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
S002 = str(SEEDS / "002_31c118e4793a672c.txt")
S003 = str(SEEDS / "003_6e9350b25bb3bd10.txt")
S004 = str(SEEDS / "004_18f6425814fe2439.txt")


class TTY(io.StringIO):
    def isatty(self):
        return True


def _jsonl(out: str) -> list[dict]:
    lines = out.splitlines()
    return [json.loads(ln) for ln in lines]


def test_json_lines_one_object_per_input():
    out = io.StringIO()
    rc = run([S002, S003, S004], as_json=True, out=out)
    assert rc == 0
    recs = _jsonl(out.getvalue())
    assert [r["source"] for r in recs] == [S002, S003, S004]
    for r in recs:
        assert set(RECORD_KEYS) <= set(r) and r["error"] is None
    assert recs[0]["tables"]["applications"]["new"]["total"] == 17
    assert recs[2]["is_annual_report"] is False
    # ensure_ascii=False: Chinese is written as is
    assert "梅州市人民政府辦公室" in out.getvalue()


def test_unreadable_inputs_give_error_objects_and_nonzero_exit(tmp_path):
    missing = str(tmp_path / "nope.html")
    directory = str(tmp_path)
    corrupt = tmp_path / "bad.docx"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip archive")
    out = io.StringIO()
    rc = run([missing, S002, directory, str(corrupt)], as_json=True, out=out)
    assert rc == 1
    recs = _jsonl(out.getvalue())
    assert len(recs) == 4
    by_src = {r["source"]: r for r in recs}
    for src in (missing, directory, str(corrupt)):
        assert by_src[src]["error"], src
        assert by_src[src]["is_annual_report"] is False
        assert by_src[src]["tables"] == {}
    assert by_src[S002]["error"] is None and by_src[S002]["is_annual_report"] is True


def test_permission_denied_via_open(monkeypatch, tmp_path):
    import builtins

    real_open = builtins.open
    target = str(tmp_path / "locked.txt")
    shutil.copy(S002, target)

    def fake_open(path, *a, **kw):
        if str(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(path, *a, **kw)

    monkeypatch.setattr(builtins, "open", fake_open)
    out = io.StringIO()
    assert run([target, S003], as_json=True, out=out) == 1
    recs = _jsonl(out.getvalue())
    assert recs[0]["error"] == "permission denied"
    assert recs[1]["error"] is None


def test_summary_is_readable_without_colour_when_not_a_tty():
    out = io.StringIO()
    rc = run([S002, S003], as_json=False, out=out)
    text = out.getvalue()
    assert rc == 0
    assert "\x1b[" not in text
    assert "梅州市人民政府辦公室2019年政府信息公開工作年度報告" in text
    assert "format: 2019" in text and "script: traditional" in text
    # tables as aligned text: the header and the row share column positions
    lines = text.splitlines()
    head = next(ln for ln in lines if "natural_person" in ln and "total" in ln)
    new = next(ln for ln in lines if ln.strip().startswith("new "))
    assert head.index("natural_person") + len("natural_person") == new.index("17") + 2
    assert "partial tables: active_disclosure" in text
    assert "missing tables: applications, review_litigation" in text


def test_summary_highlights_failed_checks_in_colour_on_a_tty(tmp_path):
    # a report whose applications do not add up (new 17 but results 16 + carried 0)
    text = (SEEDS / "002_31c118e4793a672c.txt").read_text(encoding="utf-8")
    broken = text.replace("  四、結轉下年度繼續辦理\n  1\n", "  四、結轉下年度繼續辦理\n  0\n")
    assert broken != text
    p = tmp_path / "broken.txt"
    p.write_text(broken, encoding="utf-8")
    out = TTY()
    rc = run([str(p)], as_json=False, out=out)
    assert rc == 0  # a failed check is not an unreadable input
    s = out.getvalue()
    assert "\x1b[31m" in s and "FAIL R3" in s


def test_error_summary(tmp_path):
    out = io.StringIO()
    assert run([str(tmp_path / "missing.pdf")], as_json=False, out=out) == 1
    assert "ERROR: no such file" in out.getvalue()
