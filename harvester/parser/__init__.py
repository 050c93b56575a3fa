"""Report parser: page or document bytes → the annual-report record (docs/record.md).

Public API::

    parse(data: bytes, url=None, content_type=None) -> dict   # never raises
    parse_decoded(inputs.decode(...), url=None) -> dict       # the same, on a decoded body
    checks.cross_year(previous_record, current_record) -> list  # S1, S2, S5
    command.run(paths, as_json, out=None) -> int               # `harvester parse`

Modules: ``inputs`` (decoding of HTML/text/DOCX/XLSX/PDF/…),
``blocks`` (HTML/text → lines), ``tables`` (the three tables, by label),
``normalize`` (t2s for matching, cell values), ``checks`` (R1–R5, S1–S6),
``vocab`` (debris patterns, headings, row/column labels), ``core`` (parse).
"""
from .core import PARSER_VERSION, RECORD_KEYS, parse, parse_decoded

__all__ = ["parse", "parse_decoded", "PARSER_VERSION", "RECORD_KEYS"]
