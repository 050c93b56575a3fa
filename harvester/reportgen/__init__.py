"""Report documents with known truth: the parser's accuracy corpus and the content of the
simulated government portals.

Deterministic: every function takes a seeded ``random.Random`` (or a seed); the same seed
gives byte-identical output, whatever PYTHONHASHSEED.

API
---
``make_truth(rng, *, agency, year, layout="2021", consistent=True, rule=None) -> dict``
    Keys: ``title``, ``agency``, ``year``, ``published`` (ISO date, mostly Jan–Mar of year+1,
    about 7 % later), ``format`` (= layout, "2021"/"2019"), ``script`` ("simplified"),
    ``tables`` (canonical keys of docs/record.md; counts are ints, ``amount_10k_yuan`` and
    ``amount_yuan`` are floats with two decimals, ``amount_yuan`` in yuan, 2019 ``change`` may be
    negative), ``narrative`` (section key -> text, paragraphs separated by "\\n"; the
    ``applications`` text states the new-application and review/lawsuit counts of the tables,
    rule S3), ``preamble`` (the paragraph before 一、), ``self_ref`` (我办/我局/…),
    ``failing_rules`` (sorted list: [] or exactly one of R1–R5; ``rule`` picks which).
``render_body_html(truth, rng, *, shape="html_grid") -> str``
    The body as an HTML fragment (no page chrome); ``shape`` in ``BODY_SHAPES``.
``render(truth, shape, rng) -> Rendered(data, content_type, url, expected)``
``cases(n=300, seed=0) -> Iterator[Case(id, shape, data, content_type, url, expected, truth)]``
``SHAPES`` (all), ``REPORT_SHAPES``, ``LOOKALIKE_SHAPES``, ``BODY_SHAPES``
``TABLE_SHAPES`` table shapes of real extractions (pipe tables, blank rows, label typos, header
notes, cells run together), drawn by ``table_cases(n, seed)``; ``render`` accepts them too
``agencies(rng, n)`` distinct names across levels; ``agency(rng)``; ``AGENCY_EXAMPLES``
``failing_rules(tables, layout)`` the hard rules that fail on (possibly partial) tables.

``expected`` (what a correct ``harvester.parser.parse`` returns for the bytes)
-----------------------------------------------------------------------------
Exactly the keys ``is_annual_report``, ``image_only``, ``format``, ``script``, ``year``,
``agency``, ``tables``, ``missing_tables``, ``partial_tables``, ``failing_rules``.

* ``tables`` holds only the cells the rendering shows.  A cell printed as a null marker
  (blank, —, ——, -, /, ／, 无) is ``None``.  Units and separators are stripped: "40项" -> 40,
  "1,234件" -> 1234, "0.0" -> 0.0.  ``amount_10k_yuan`` is the number as printed (the column is
  in 万元; a "万元" suffix changes nothing).  ``amount_yuan`` is converted to yuan when the cell
  states 万元/萬元/万 ("449.33万元" -> 4493300.0) and is the number as written otherwise
  ("863,732.45元" -> 863732.45).  Amounts are rounded to 2 decimals; compare with a tolerance.
  Province-specific extra rows (其他主动公开文件, 行政确认, 行政检查) are never in ``tables``.
* ``missing_tables``: table keys not shown at all (headings without tables, tables as images,
  tables after a truncation point); ``partial_tables``: the table a truncated text stops in.
* ``format``: the truth's layout when table 二 or 三 is shown (even partly), else "unknown".
* ``script``: "traditional" for the ``traditional`` shape; ``agency`` is then the converted
  name as printed on the page (e.g. 贛縣區林業局).
* ``failing_rules``: the hard rules that fail on the shown cells (a null or absent operand
  makes a check uncertain, not failing), so it can be smaller than the truth's.
* Not-a-report shapes (summary_template, compile_notice, guide, graphic): ``is_annual_report``
  False, ``format`` "unknown", ``year``/``agency`` None (not asserted), ``tables`` {},
  ``missing_tables`` all three.  ``image_only``: is_annual_report and image_only True,
  ``format`` "unknown", year/agency from the title, ``tables`` {}, all three missing.
* Document-level shapes of real pages (``doc_*``, harvester/reportgen/shapes_document.py):
  no title line, breadcrumb/info table before the title, free-form legacy report (``format``
  "legacy"), text cut in section 一, pinyin mirror, cover letter, TRS page with a site-default
  source (``agency`` null when nothing on the page names the issuer), the report's article page
  offering it as an attachment (doc_attachment_page: a report, no table); look-alikes doc_work_plan,
  doc_news, doc_blank_form, doc_format_notice, doc_news_titled (news titled like a report).
"""
from .agencies import AGENCY_EXAMPLES, agencies, agency
from .html import BODY_SHAPES, render_body_html
from .shapes import LOOKALIKE_SHAPES, REPORT_SHAPES, SHAPES, Case, Rendered, cases, render
from .shapes_tables import TABLE_SHAPES, table_cases
from .truth import HARD_RULES, failing_rules, make_truth

__all__ = ["make_truth", "render_body_html", "render", "cases", "agencies", "agency",
           "SHAPES", "REPORT_SHAPES", "LOOKALIKE_SHAPES", "BODY_SHAPES", "Case", "Rendered",
           "failing_rules", "HARD_RULES", "AGENCY_EXAMPLES", "TABLE_SHAPES", "table_cases"]
