"""PDF text layers (pdfminer), rows rebuilt from the lines' positions, inflation bounded."""
from __future__ import annotations

import io
import threading
import zlib

class _OverBudget(BaseException):
    """Raised inside pdfminer when a document's decoded streams pass the limit. A BaseException,
    so that no ``except Exception`` inside pdfminer can swallow it; decode_pdf turns it into
    an InputError."""

from .base import Decoded, InputError, max_decoded, too_large


class _Budget(threading.local):
    remaining: int | None = None  # bytes this thread's PDF may still inflate to; None: no PDF being read

    def take(self, n: int) -> None:
        if self.remaining is not None:
            self.remaining -= n
            if self.remaining < 0:
                raise _OverBudget()


_budget = _Budget()


class _BoundedDecompressor:
    def __init__(self, inner):
        self._inner = inner

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        left = _budget.remaining
        if left is None:
            return self._inner.decompress(data, max_length)
        out = self._inner.decompress(data, left + 1 if not max_length else min(max_length, left + 1))
        _budget.take(len(out))
        return out

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _BoundedZlib:
    """What pdfminer sees as ``zlib``: the same, except that while a PDF is read here, its
    inflation stops at the document's budget instead of filling the memory."""

    error = zlib.error

    def decompress(self, data: bytes, *args, **kwargs) -> bytes:
        if _budget.remaining is None:
            return zlib.decompress(data, *args, **kwargs)
        wbits = args[0] if args else kwargs.get("wbits", zlib.MAX_WBITS)
        d = zlib.decompressobj(wbits)
        parts, tail = [], data
        while not d.eof:  # a MiB at a time: a bomb stops at the budget, not at twice it
            part = d.decompress(tail, 1 << 20)
            _budget.take(len(part))
            parts.append(part)
            tail = d.unconsumed_tail
            if not part and not tail:
                break  # the input ended before the stream did
        if not d.eof:
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return b"".join(parts)

    def decompressobj(self, *args, **kwargs):
        return _BoundedDecompressor(zlib.decompressobj(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(zlib, name)


def _bounded_lzwdecode(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    out = []
    for chunk in LZWDecoder(io.BytesIO(data)).run():
        _budget.take(len(chunk))
        out.append(chunk)
    return b"".join(out)


def _bounded_rldecode(data: bytes) -> bytes:
    from pdfminer.runlength import rldecode

    out = rldecode(data)  # at most 128 bytes per 2 bytes read
    _budget.take(len(out))
    return out


def _bound_pdfminer() -> None:
    """Route pdfminer's stream decoding through the budget (once per process)."""
    from pdfminer import pdftypes

    if not isinstance(pdftypes.zlib, _BoundedZlib):
        pdftypes.zlib = _BoundedZlib()
        pdftypes.lzwdecode = _bounded_lzwdecode
        pdftypes.rldecode = _bounded_rldecode


def decode_pdf(data: bytes) -> Decoded:
    _bound_pdfminer()
    limit = max_decoded()
    _budget.remaining = limit
    try:
        return _decode_pdf_within_budget(data)
    except _OverBudget:
        raise too_large("PDF (its compressed streams)", limit) from None
    finally:
        _budget.remaining = None


def _decode_pdf_within_budget(data: bytes) -> Decoded:
    try:
        from pdfminer.converter import PDFPageAggregator
        from pdfminer.layout import LAParams, LTTextLine, LTTextContainer, LTFigure
        from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
        from pdfminer.pdfpage import PDFPage
        from pdfminer.pdfparser import PDFParser
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise InputError(f"cannot read PDF: {exc}") from None
    try:
        parser = PDFParser(io.BytesIO(data))
        doc = PDFDocument(parser)
    except (PDFEncryptionError, PDFPasswordIncorrect) as exc:
        raise InputError(f"PDF is encrypted ({exc})") from None
    except Exception as exc:
        raise InputError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    rsrc = PDFResourceManager()
    laparams = LAParams(char_margin=1.5, line_margin=0.3, word_margin=0.2, boxes_flow=None)
    device = PDFPageAggregator(rsrc, laparams=laparams)
    interp = PDFPageInterpreter(rsrc, device)
    pages_out = []
    try:
        for page in PDFPage.create_pages(doc):
            interp.process_page(page)
            layout = device.get_result()
            lines = []

            def walk(obj):
                for o in obj:
                    if isinstance(o, LTTextLine):
                        t = o.get_text().strip("\n")
                        if t.strip():
                            lines.append((o.y0, o.y1, o.x0, t.strip()))
                    elif isinstance(o, (LTTextContainer, LTFigure)):
                        walk(o)
            walk(layout)
            pages_out.append(_rows_from_lines(lines))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    text = "\n".join(p for p in pages_out if p)
    if not text.strip():
        raise InputError("PDF has no text layer (scanned images?)")
    return Decoded("text", text, None, "pdf", {})


def _rows_from_lines(lines) -> str:
    """Group text lines sharing a baseline band into one row, left to right."""
    lines.sort(key=lambda t: (-(t[0] + t[1]) / 2, t[2]))
    rows: list[list] = []
    for y0, y1, x0, text in lines:
        mid = (y0 + y1) / 2
        h = max(y1 - y0, 1.0)
        if rows:
            ry0, ry1 = rows[-1][0], rows[-1][1]
            rmid = (ry0 + ry1) / 2
            if abs(rmid - mid) < 0.5 * min(h, max(ry1 - ry0, 1.0)):
                rows[-1][2].append((x0, text))
                rows[-1][0] = min(ry0, y0)
                rows[-1][1] = max(ry1, y1)
                continue
        rows.append([y0, y1, [(x0, text)]])
    out = []
    for _y0, _y1, cells in rows:
        cells.sort()
        out.append(" ".join(t for _x, t in cells))
    return "\n".join(out)
