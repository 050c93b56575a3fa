"""Throughput of parse() against trafilatura.extract on the same report pages.

Run on demand (not a test):

    python bench/bench_parse.py [--pages 60] [--seconds 5]

Pages are generated report pages (harvester.reportgen: HTML grids and borderless
tables inside a portal article page with its debris: meta tags, information table,
breadcrumbs, share/print tools, footer).  Both functions get the same bytes.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harvester.parser import parse  # noqa: E402

HTML_SHAPES = ("html_grid", "html_borderless", "units", "null_markers", "label_notes",
               "extra_rows", "traditional", "missing_tables")


def pages(n: int) -> list[bytes]:
    from harvester.reportgen import cases

    out: list[bytes] = []
    for c in cases(max(n * 4, 60), seed=7):
        if c.shape in HTML_SHAPES and c.content_type.startswith("text/html"):
            out.append(c.data)
        if len(out) >= n:
            break
    return out


def rate(fn, docs: list[bytes], seconds: float) -> tuple[float, int]:
    done = 0
    t0 = time.perf_counter()
    while True:
        for d in docs:
            fn(d)
        done += len(docs)
        el = time.perf_counter() - t0
        if el >= seconds:
            return done / el, done


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=5.0)
    ns = ap.parse_args(argv)
    import trafilatura

    docs = pages(ns.pages)
    size = sum(len(d) for d in docs) / max(1, len(docs))
    # warm up both (imports, caches)
    for d in docs[:5]:
        parse(d)
        trafilatura.extract(d)
    p_rate, p_n = rate(parse, docs, ns.seconds)
    t_rate, t_n = rate(lambda d: trafilatura.extract(d), docs, ns.seconds)
    print(f"pages: {len(docs)} distinct, mean size {size / 1024:.1f} KiB")
    print(f"parse():             {p_rate:8.1f} pages/s  ({1000 / p_rate:6.2f} ms/page, {p_n} runs)")
    print(f"trafilatura.extract: {t_rate:8.1f} pages/s  ({1000 / t_rate:6.2f} ms/page, {t_n} runs)")
    print(f"ratio parse/extract throughput: {p_rate / t_rate:.2f}x "
          f"({'parse is cheaper' if p_rate > t_rate else 'parse is MORE expensive'} than extraction)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
