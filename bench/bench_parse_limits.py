"""Benchmark: peak memory of the parser's input decoding on decompression bombs.

Issue 11: a PDF with an 800 MB flate stream reached 1.7 GB inside the parser. Each bomb
is decoded in a fresh process, with the limit (HARVESTER_PARSE_MAX_DECODED, default
128 MiB) and without it (the limit set out of reach, as before), and the child's peak RSS
is reported with the outcome. A child is stopped after --timeout seconds (its peak so far
is still reported).

    .venv/bin/python bench/bench_parse_limits.py [--mb 800] [--timeout 120] [--no-before] [--only XLSX]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.inputs.test_input_limits import CT, HELLO, MB, _xlsx, _zip, deflate_zeros, pdf_with_stream  # noqa: E402

CHILD = """
import sys
from harvester.parser.inputs import decode, InputError
data = open(sys.argv[1], "rb").read()
try:
    d = decode(data, url=sys.argv[2])
    print("decoded", d.source_format, len(d.content), "characters")
except InputError as exc:
    print("error:", str(exc)[:110])
"""


def run_child(path: Path, url: str, limit: str | None, timeout: float) -> tuple[float, str, float]:
    env = dict(os.environ)
    if limit is not None:
        env["HARVESTER_PARSE_MAX_DECODED"] = limit
    t = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), url], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, text=True)
    deadline = t + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            return usage.ru_maxrss / 1024, f"stopped after {timeout:.0f} s (still decoding)", time.monotonic() - t
        time.sleep(0.05)
    out = proc.stdout.read().strip().splitlines()
    return usage.ru_maxrss / 1024, (out[-1] if out else f"exit {status}"), time.monotonic() - t


def _corners(ws) -> None:
    ws["A1"] = "行政复议"
    ws["XFD1048576"] = 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=800, help="size the bombs inflate to, MB")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--no-before", action="store_true", help="skip the runs without a limit")
    ap.add_argument("--only", default="", help="only the inputs whose label contains this")
    args = ap.parse_args()
    n = args.mb * MB
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "ordinary PDF (reference)": (pdf_with_stream(HELLO, "/FlateDecode"), "http://x/a.pdf"),
            f"PDF, {args.mb} MB flate stream": (pdf_with_stream(deflate_zeros(n), "/FlateDecode"), "http://x/b.pdf"),
            f"DOCX, {args.mb} MB document.xml": (_zip({"[Content_Types].xml": CT, "word/document.xml": n}), "http://x/c.docx"),
            f"XLSX, {args.mb} MB sheet": (_zip({"[Content_Types].xml": CT, "xl/workbook.xml": b"<workbook/>",
                                                 "xl/worksheets/sheet1.xml": n}), "http://x/d.xlsx"),
            "XLSX, cells at A1 and XFD1048576": (_xlsx(_corners), "http://x/e.xlsx"),
        }
        print(f"{'input':34} {'bytes':>9}  {'limit':>9} {'peak RSS':>9} {'time':>6}  outcome")
        for label, (data, url) in cases.items():
            if args.only not in label:
                continue
            path = Path(tmp) / "input"
            path.write_bytes(data)
            runs = [("default", None)] + ([] if args.no_before else [("none", str(10 ** 13))])
            for name, limit in runs:
                rss, outcome, took = run_child(path, url, limit, args.timeout)
                print(f"{label:34} {len(data):>9}  {name:>9} {rss:>7.0f} MB {took:>5.1f}s  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
