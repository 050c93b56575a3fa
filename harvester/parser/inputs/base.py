"""What every input reader shares: the result, the error, and the decompression limit.

Decompression is bounded, so a small hostile file cannot take the memory of the process
that reads it: a PDF's decoded streams (Flate, LZW, RunLength) together, a DOCX's main part,
an XLSX's workbook parts and a DOC/WPS converter's output may not exceed
``HARVESTER_PARSE_MAX_DECODED`` bytes (environment; default 128 MiB, read at each call).
Past it, decoding stops there with an :class:`InputError` naming the limit. A spreadsheet
may hold at most that / 256 cells (openpyxl keeps each cell as an object), counted before it
is loaded, and a sheet's grid spans only the cells that hold a value and the merged ranges.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

def max_decoded() -> int:
    """The decompression limit in bytes (``harvester.config.parse_max_decoded``). A value that
    is not a positive number is refused when a command loads its configuration; ``parse()``
    itself never raises, so here it falls back to the default."""
    from harvester.config import DEFAULT_PARSE_MAX_DECODED, ConfigError, parse_max_decoded

    try:
        return parse_max_decoded()
    except ConfigError:
        return DEFAULT_PARSE_MAX_DECODED


def too_large(what: str, limit: int) -> "InputError":
    return InputError(f"{what} inflates beyond {limit} bytes (limit HARVESTER_PARSE_MAX_DECODED); "
                      "not decoded, to keep memory bounded")


class InputError(ValueError):
    """The input cannot be decoded; the message says what is wrong."""


@dataclass
class Decoded:
    kind: str                       # "html" or "text"
    content: str
    encoding: str | None
    source_format: str              # html text docx pdf xlsx xls doc wps gkmlpt
    meta: dict = field(default_factory=dict)


def html_cell(text: str, rowspan: int = 1, colspan: int = 1) -> str:
    """A table cell of a document or sheet as HTML: text escaped, line breaks kept, spans over 1."""
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f"<td{attrs}>{escape(text).replace(chr(10), '<br/>')}</td>"
