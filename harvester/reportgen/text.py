"""Already-extracted text of report pages (seeds 001–003): tables flattened to one cell per line."""
from __future__ import annotations

import random

TOP_DEBRIS = (
    ["今天是:  ", ""],
    ["登录 注册", ""],
    ["今天是:2025年01月20日 星期一", "无障碍 长者版", ""],
    [],
)
BOTTOM_DEBRIS = (
    ["", "附件下载:", "", "关闭窗口 打印本页", "", "智能互动 手机版", "微信", "政务发布", "图片2 图片1"],
    ["", "相关词条", "", "热门词条", "", "联系我们"],
    ["", "【打印本页】【关闭窗口】", "分享到:", "扫一扫在手机打开当前页"],
    [],
)


def _split_header(rng: random.Random, text: str) -> str:
    """Break a header cell across lines the way extraction does (本年新\\n制作数量)."""
    if len(text) < 5:
        return text
    cut = rng.randint(2, min(len(text) - 2, 6))
    return text[:cut] + "\n" + text[cut:]


def text_lines(parts, rng: random.Random, *, mode: str = "flat", title: str = "",
               published: str | None = None) -> tuple[list[tuple[str, object]], str]:
    """Lines of a flattened page: [(line, value_cell_or_None)], and the joiner style.

    mode: "flat" (seed 001: blank line between lines), "split" (seed 002: indented,
    header cells broken across lines), "row15" (flat, table 四's data row on one line).
    """
    indent = "  " if mode == "split" else ""
    lines: list[tuple[str, object]] = []
    top = rng.choice(TOP_DEBRIS)
    lines.extend((t, None) for t in top)
    lines.append((title, None))
    if published and rng.random() < 0.5:
        lines.append((f"发布日期:{published}    点击数:", None))
    for kind, payload in parts:
        if kind == "heading":
            lines.append((" " + payload if rng.random() < 0.3 else payload, None))
        elif kind == "para":
            lines.append((indent + payload, None))
        elif kind == "img":
            continue
        elif kind == "table":
            for r, row in enumerate(payload.rows):
                is_data15 = mode == "row15" and payload.key == "review_litigation" and \
                    all(c.path is not None for c in row) and len(row) == 15
                if is_data15:
                    seps = rng.choice((" ", "  ", "\t", " \t"))
                    line = seps.join(c.text for c in row)
                    # one line carries all 15 cells
                    lines.append((line, list(row)))
                    continue
                for c in row:
                    text = c.text
                    if mode == "split" and c.colhead and rng.random() < 0.7:
                        text = _split_header(rng, text)
                        if "\n" in text:
                            a, b = text.split("\n", 1)
                            lines.append((indent + a, None))
                            lines.append((b, c if c.path is not None else None))
                            continue
                    lines.append((indent + text, c if c.path is not None else None))
    bottom = rng.choice(BOTTOM_DEBRIS)
    lines.extend((t, None) for t in bottom)
    return lines, ("\n\n" if mode in ("flat", "row15") else "\n")


def join_lines(lines, joiner: str) -> str:
    out = []
    for text, _c in lines:
        out.append(text)
    return joiner.join(out)


def shown_cells_in(lines) -> list:
    cells = []
    for _text, c in lines:
        if c is None:
            continue
        if isinstance(c, list):
            cells.extend(c)
        else:
            cells.append(c)
    return cells
