"""parse(): bytes of a page or document → the report record (docs/record.md)."""
from __future__ import annotations

import re

from . import evidence as ev
from harvester import reportformat as rf

from . import vocab
from .blocks import Page, html_to_page, text_to_page
from .inputs import Decoded, InputError, decode
from .normalize import date_in, detect_script, iso_date, norm_label, simplified_agency, t2s
from .tables import read_active, read_applications, read_review, segments, tokenize

PARSER_VERSION = "1.2.0"

RECORD_KEYS = ("parser_version", "is_annual_report", "title", "agency", "agency_simplified",
               "year", "published", "source_format",
               "url", "format", "script", "image_only", "text", "sections", "tables",
               "tables_raw", "missing_tables", "partial_tables", "table_issues", "checks", "error")


def empty_record(url=None, error=None) -> dict:
    return {
        "parser_version": PARSER_VERSION, "is_annual_report": False, "title": None,
        "agency": None, "agency_simplified": None, "year": None, "published": None, "source_format": None, "url": url, "format": "unknown",
        "script": "simplified", "image_only": False, "text": "", "sections": [],
        "tables": {}, "tables_raw": {}, "missing_tables": list(rf.TABLE_KEYS),
        "partial_tables": [], "table_issues": [], "checks": [], "error": error,
    }


# ------------------------------------------------------------------ helpers
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def _mostly_control(content: str) -> bool:
    sample = content[:4096]
    if not sample:
        return False
    return len(_CONTROL_RE.findall(sample)) > 0.1 * len(sample)



def _heading_key(line: str):
    s = line.strip()
    if not s or len(s) > vocab.MAX_HEADING_CHARS or "\t" in s:
        return None
    m = vocab.SECTION_HEADING_RE.match(s)
    if not m:
        return vocab.BARE_HEADINGS.get(norm_label(s).rstrip(":"))
    rest = norm_label(m.group(2))
    for key, rx in vocab.SECTION_HEADING_RULES:
        if rx.search(rest):
            if key == "applications" and ("结转" in rest or "本年新收" in rest or "数量" in rest):
                return None
            if key == "review_litigation" and "结转" in rest:
                return None
            return key
    return None


def _year_from_title(title: str | None):
    if not title:
        return None
    t = t2s(title)
    if vocab.PLACEHOLDER_RE.search(t):
        pass
    m = vocab.YEAR_IN_TITLE_RE.search(t)
    if m:
        return int(m.group(1))
    m = vocab.CN_YEAR_RE.search(t)
    if m:
        return int("".join(vocab.CN_DIGITS[c] for c in m.group(1)))
    return None


def _clean_title(t: str | None):
    if not t:
        return None
    t = re.sub(r"\s+", " ", t).strip()
    return t or None


def _site_stripped_title(t: str | None):
    if not t:
        return None
    parts = [p for p in vocab.TITLE_SITE_SPLIT_RE.split(t) if p.strip()]
    if not parts:
        return None
    best = max(parts, key=lambda p: (("报告" in p or "報告" in p or "年报" in p), len(p)))
    return best.strip()



def _is_debris(line: str) -> bool:
    s = line.strip()
    if not s:
        return False
    if len(s) <= 200 and vocab.DEBRIS_LINE_RE.match(s):
        return True
    if len(s) <= 300 and vocab.INFO_ROW_RE.match(s):
        return True
    return False


# ------------------------------------------------------------------ main
def parse(data: bytes, url=None, content_type=None) -> dict:
    """The record of a page's or document's bytes. Never raises: a failure is the record's error."""
    try:
        decoded = decode(data, url=url, content_type=content_type)
    except InputError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return empty_record(url, error=("unreadable input: " + msg)[:300])
    return parse_decoded(decoded, url)


def parse_decoded(decoded: Decoded, url=None) -> dict:
    """The record of a body that ``inputs.decode`` has already read (a caller that needs the
    decoded text too decodes once). Never raises."""
    try:
        return _parse(decoded, url)
    except Exception as exc:  # never raise: record the failure
        msg = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        return empty_record(url, error=msg.strip().rstrip(":")[:300] or "unreadable input")


def _parse(decoded: Decoded, url) -> dict:
    content = decoded.content
    if _mostly_control(content):
        return empty_record(url, error="unreadable input: binary data, not a document")
    if content.count("(cid:") > 20 and content.count("(cid:") * 8 > len(content) * 0.5:
        return empty_record(url, error="unreadable input: PDF text layer has no character map (cid codes)")
    rec = empty_record(url)
    rec["source_format"] = decoded.source_format
    content = ev.strip_pinyin(content)  # mirrors: 年度報(bào)告
    page: Page = html_to_page(content) if decoded.kind == "html" else text_to_page(content)
    meta = {**{k: v for k, v in page.meta.items()}, **_norm_meta(decoded.meta)}

    raw_lines = page.lines
    title, meta = _title(meta, page)
    rec["title"] = title

    # ---- body lines: debris out, trimmed to the report
    title_idx = _find_title_line(raw_lines, title)
    head_zone = raw_lines[: (title_idx + 12 if title_idx is not None else 40)]
    body = raw_lines[title_idx:] if title_idx is not None else raw_lines
    body = [ln for ln in body if ln.strip()] if page.is_html else _mark_blank_cells(body)
    body = _trim_footer(body, [(i, k) for i, k in ((i, _heading_key(ln)) for i, ln in enumerate(body)) if k])
    body = [ln for ln in body if not _is_debris(ln)]
    heads = [(i, k) for i, k in ((i, _heading_key(ln)) for i, ln in enumerate(body)) if k]
    rec["text"] = "\n".join(ln.strip() for ln in body if ln != vocab.EMPTY_TOKEN)

    # ---- metadata
    rec["published"] = _published(meta, head_zone)
    agency = _choose_agency(title, meta, raw_lines, head_zone, body, rec["text"], page)
    rec["agency"] = agency or None
    rec["agency_simplified"] = simplified_agency(agency)
    rec["year"] = _year(title, rec["text"])
    rec["script"] = detect_script((title or "") + "\n" + rec["text"])

    # ---- sections
    seen = []
    for _, k in heads:
        if k not in seen:
            seen.append(k)
    rec["sections"] = [k for k in rf.SECTION_KEYS if k in seen]

    # ---- classification
    body_norm = norm_label(rec["text"][:3000])
    doc_link = bool(_DOC_LINK_RE.search(content)) if decoded.kind == "html" else False
    is_report, image_only = _classify(title, body_norm, rec, page, heads, body, doc_link)
    rec["is_annual_report"] = is_report
    rec["image_only"] = image_only
    if not is_report:
        # a look-alike has no reporting year and no report issuer
        rec["agency"] = rec["agency_simplified"] = None
        rec["year"] = None

    # ---- tables
    _read_tables(rec, body, heads, is_report and not image_only)

    # ---- checks
    from .checks import parse_time_checks

    if is_report:
        rec["checks"] = parse_time_checks(rec, body, heads)
    return rec


def _title(meta: dict, page: Page) -> tuple[str | None, dict]:
    """The report's title, and the metadata without a title that is only the site's default."""
    raw_lines = page.lines
    title = _clean_title(meta.get("title"))
    if title and vocab.TITLE_SITE_SPLIT_RE.search(title):  # 某某年度报告_某县人民政府
        title = _clean_title(_site_stripped_title(title))
    if title and _site_default_title(title, meta, page):
        # ArticleTitle left at a site-wide default (the site's name, a digit): no evidence
        meta = {k: v for k, v in meta.items() if k != "title"}
        title = None
    if not title:
        for ln in raw_lines[:80]:
            m = vocab.INFO_TITLE_RE.match(ln.strip()) or _PIPE_TITLE_RE.search(ln)
            if m:
                title = _clean_title(m.group(2).replace("\t", " "))
                break
    if not title and page.headings:
        cand = [h for h in page.headings if ("报告" in h or "報告" in h or "年报" in h)]
        title = _clean_title((cand or page.headings)[0])
    if not title and page.html_title:
        title = _clean_title(_site_stripped_title(page.html_title))
    if not title:
        title = _first_title_line(raw_lines)
    # a title that is a site name while a report heading exists in the body
    if title and not vocab.REPORT_TITLE_RE.search(norm_label(title)):
        alt = _first_title_line(raw_lines, strict=True)
        if alt and vocab.REPORT_TITLE_RE.search(norm_label(alt)) and not meta.get("title"):
            title = alt
    return title, meta


def _published(meta: dict, head_zone: list[str]) -> str | None:
    """The publication date: the page's metadata, else a 发布日期 line above the report."""
    published = date_in(meta.get("published"))
    for ln in head_zone:
        if published is not None:
            break
        s = ln.strip()
        m = vocab.INFO_DATE_RE.search(s) if len(s) <= 300 else None
        if m:
            published = iso_date(m.group(2), m.group(3), m.group(4))
    return published


def _year(title: str | None, text: str) -> int | None:
    """The reporting year: from the title, else the report's own statements, else its opening text."""
    year = _year_from_title(title)
    if year is None:
        year = ev.year_from_statements(text)
    if year is None:
        tn = t2s(text[:4000])
        for rx in vocab.YEAR_TEXT_PATTERNS:
            m = rx.search(tn)
            if m:
                year = int(m.group(1))
                break
    return year


def _read_tables(rec: dict, body: list[str], heads, read_numbers: bool) -> None:
    """The three tables into ``rec`` (tables, tables_raw, missing, partial, issues, format).
    Without ``read_numbers`` (a look-alike or an image-only report) no cell is read."""
    results = {}
    if read_numbers:  # a look-alike's numbers (templates: placeholders) are not data
        regions = _regions(body, heads)
        readers = {"active_disclosure": read_active, "applications": read_applications,
                   "review_litigation": read_review}
        for key, (a, b) in regions.items():
            segs = segments(tokenize(body[a:b]))
            results[key] = readers[key](segs, at_end=b >= len(body))
    fmt = _decide_format(results, rec, heads, rec["is_annual_report"], body)
    rec["format"] = fmt
    tables, raw, missing, partial = {}, {}, [], []
    for key in rf.TABLE_KEYS:
        r = results.get(key)
        if r is None or not r.found:
            missing.append(key)
            continue
        tables[key] = r.values
        raw[key] = r.raw
        if _is_partial(key, r, fmt) or (r.issues and _all_null(r.values)):
            # every cell null because the reading was uncertain (table_issues say why): found but
            # not readable, so partial. A table whose cells are printed blank ("—", "/") and read
            # without an issue stays complete.
            partial.append(key)
    rec["tables"], rec["tables_raw"] = tables, raw
    rec["missing_tables"], rec["partial_tables"] = missing, partial
    rec["table_issues"] = [i for key in rf.TABLE_KEYS if key in tables for i in results[key].issues]


def _norm_meta(meta: dict) -> dict:
    out = {}
    for k, v in (meta or {}).items():
        if not isinstance(v, str) or not v.strip():
            continue
        lk = k.lower()
        if lk in vocab.META_NAMES:
            out[vocab.META_NAMES[lk]] = v.strip()
        elif lk in ("title", "published", "agency"):
            out[lk] = v.strip()
    return out


def _mark_blank_cells(lines: list[str]) -> list[str]:
    """Drop empty lines of extracted text, keeping blank table cells as markers.

    Two extraction styles exist: one empty line between all lines (seed 001),
    where a blank cell shows as three empty lines in a row, and no empty lines
    (seed 002), where each empty line is a blank cell.
    """
    gaps, count, seen = [], 0, False
    for ln in lines:
        if ln.strip():
            if seen:
                gaps.append(count)
            count, seen = 0, True
        elif seen:
            count += 1
    flat = sum(1 for g in gaps if g == 1) > sum(1 for g in gaps if g == 0)
    out: list[str] = []
    run = 0
    for ln in lines:
        if not ln.strip():
            run += 1
            continue
        if out and run:
            out.extend([vocab.EMPTY_TOKEN] * ((run - 1) // 2 if flat else run))
        run = 0
        out.append(ln)
    return out


_PIPE_TITLE_RE = re.compile(r"(?:^|[|｜])\s*(标\s*题|標\s*題|名\s*称|名\s*稱|文件名称)\s*[:：]?\s*[|｜\t]\s*([^|｜\t]{4,120}?)\s*(?:[|｜]|$)")
_INFO_WORD_RE = re.compile(r"(索引号|索引號|发布机构|發布機構|发文机关|主题分类|组配分类|分类[|｜:：]|成文日期|发布日期|发布单位|公开方式)")


def _title_candidates(lines, limit=60):
    """Lines that may be the title: no debris, breadcrumb, info-table row or sentence."""
    for ln in lines[:limit]:
        s = ln.strip().strip("|｜ ").strip()
        if not s or _is_debris(s) or "\t" in s or "|" in s or "｜" in s:
            continue
        if s.startswith((">", "＞", "»")) or " > " in s or _INFO_WORD_RE.search(norm_label(s)):
            continue
        yield s


def _first_title_line(lines, strict=False):
    cands = list(_title_candidates(lines))
    head = _head_zone_lines(lines)
    for s in cands:  # a report title that names its year, above the body
        if s not in head:
            break
        if 6 <= len(s) <= 80 and ev.title_is_report(s):
            return s
    for s in cands:
        if 6 <= len(s) <= 80 and ("报告" in s or "報告" in s or "年报" in s or "年報" in s) \
                and not _NUMBERED_RE.match(norm_label(s)) and not re.search(r"[,，。;；]", s):
            return s
    if strict:
        return None
    # else the first short line, if it comes before the body starts (a section heading or a sentence)
    for ln in lines[:30]:
        s = ln.strip().strip("|｜ ").strip()
        if not s or _is_debris(s) or "\t" in s:
            continue
        if vocab.SECTION_HEADING_RE.match(s) or _NUMBERED_RE.match(norm_label(s)) or len(s) > 80 \
                or re.search(r"[,，。;；]", s) or ev.TABLE_VOCAB_RE.search(norm_label(s)):
            return None
        if s in cands and 4 <= len(s):
            return s
    return None


def _site_default_title(title, meta, page):
    t = re.sub(r"\s+", "", title)
    if len(t) < 4 or t.isdigit():
        return True
    owners = ev.site_owners(meta.get("site"), None, [])
    return any(t2s(t) in (o, o + "门户网站", o + "网站", o + "政府网") for o in owners) or t == (meta.get("site") or "")


def _head_zone_lines(lines):
    """Stripped lines above the body: up to the first sentence or section heading."""
    out = set()
    for ln in lines[:60]:
        s = ln.strip().strip("|｜ ").strip()
        if vocab.SECTION_HEADING_RE.match(s) or (len(s) > 30 and re.search(r"[,，。;；]", s)):
            break
        out.add(s)
    return out


def _choose_agency(title, meta, raw_lines, head_zone, body, text, page=None):
    """The issuer from the best evidence: title, preamble, signature, info table, ContentSource, 来源.

    A website (本网, 原创), a digit or a placeholder is no evidence, nor is a source that names
    the site's owner (a site-wide default: every page of the portal says it); a short name in
    the title (财金局) is resolved to the full name another piece of evidence gives."""
    from_title = ev.agency_from_title(title) or ev.split_title_agency(raw_lines, title)
    preamble = ev.agency_from_preamble(text)
    signature = ev.agency_from_signature(body)
    info = ev.agency_from_info(head_zone) or ev.agency_from_info(raw_lines[:60])
    owners = ev.site_owners(meta.get("site"), page.html_title if page is not None else None, raw_lines)
    content_source = ev.plausible_agency(meta.get("agency"))
    if content_source and (ev.is_site_default(content_source, owners) or ev.RELATIVE_NAME_RE.match(t2s(content_source))):
        content_source = None
    source_line = ev.agency_from_source(head_zone)
    if source_line and (ev.is_site_default(source_line, owners) or ev.RELATIVE_NAME_RE.match(t2s(source_line))):
        source_line = None
    contact = ev.agency_from_contact(text)
    crumbs = ev.breadcrumb_orgs(raw_lines)
    # the department column the page sits in (首页 > 部门信息公开 > 财政金融局) before a source line,
    # which is often the parent government on every page of the portal
    crumb = crumbs[-1] if crumbs else None
    ranked = [from_title, preamble, signature, info, crumb, content_source, source_line, contact]
    agency = next((a for a in ranked if a), None)
    if agency:
        agency = ev.resolve_short(agency, [signature, info, content_source, *crumbs, preamble, source_line])
    return re.sub(r"\s+", "", agency) if agency else None


def _find_title_line(lines, title):
    if not title:
        return None
    tn = norm_label(title)
    if len(tn) < 4:
        return None
    limit = max(60, int(len(lines) * 0.6))
    for i, ln in enumerate(lines[:limit]):
        s = ln.strip()
        if not s or len(s) > len(title) + 16:
            continue
        n = norm_label(s)
        if tn in n and not vocab.INFO_ROW_RE.match(s):
            return i
    return None


def _trim_footer(body, heads):
    start = heads[-1][0] + 1 if heads else int(len(body) * 0.5)
    for i in range(start, len(body)):
        if vocab.FOOTER_START_RE.match(body[i]):
            return body[:i]
    return body


_DOC_LINK_RE = re.compile(r"""href\s*=\s*["']?[^"'>\s]+\.(pdf|docx?|wps|xlsx?|ofd)(?=["'>\s?#])""", re.I)


def _body_carries_report(body_norm, nsec) -> bool:
    """The body itself is the report: a preamble speaking of itself with a heading or the table
    vocabulary, the statutory section headings, or the statutory table vocabulary."""
    self_statement = bool(ev.SELF_RE.search(body_norm))
    n_vocab = len(ev.TABLE_VOCAB_RE.findall(body_norm))
    return (self_statement and (nsec >= 1 or n_vocab >= 1)) or nsec >= 3 or n_vocab >= 2


def _news_about_report(title, rec, page, nsec, body_norm, doc_link) -> bool:
    """A title alone over a few sentences of news prose about the report: no section heading, no
    preamble speaking of itself, no table vocabulary, no attachment or pictures (the report's own
    page offering it as a file or images keeps its title's word)."""
    if nsec or page.images or doc_link:
        return False
    text = rec["text"]
    if title and text.startswith(title):
        text = text[len(title):]
    tn = norm_label(text[:3000])
    if not tn or len(tn) > 1500:
        return False
    if ev.SELF_RE.search(body_norm) or ev.TABLE_VOCAB_RE.search(body_norm) or ev.ATTACHMENT_RE.search(tn):
        return False
    return bool(ev.NEWS_PROSE_RE.search(tn))


def _classify(title, body_norm, rec, page, heads, body, doc_link=False):
    tn = norm_label(title or "")
    # a report's title names its year; a column or list page (政府信息公开年报) does not
    title_year = _year_from_title(title) is not None
    if vocab.IMAGE_ONLY_TITLE_RE.search(title or "") and title_year and (
            vocab.REPORT_TITLE_RE.search(tn) or "年报" in tn or "报告" in tn):
        return True, True
    if "图解" in tn or "一图" in tn or "图说" in tn or "读懂" in tn:
        return False, False
    if vocab.PLACEHOLDER_RE.search(tn) or len(vocab.PLACEHOLDER_RE.findall(body_norm)) >= 2:
        return False, False
    if len(re.findall(r"[*＊]{3,}", body_norm)) >= 3:  # a redacted template or form
        return False, False
    if rec["year"] is None:
        return False, False
    if ev.title_negative(title):
        # 关于…年度报告 on its own is fine; 通知/指南/总结…, news about the reports are look-alikes
        return False, False
    cover_letter = bool(ev.COVER_LETTER_RE.search(tn))
    if not cover_letter and _body_negative(body, heads):
        return False, False
    title_report = ev.title_is_report(title) and title_year
    nsec = len({k for _, k in heads})
    # 我市发布2023年…年度报告: a reporter's title; the page is the report only when its body is
    if ev.title_reports_news_act(title) and not _body_carries_report(body_norm, nsec):
        return False, False
    if title_report and _news_about_report(title, rec, page, nsec, body_norm, doc_link):
        return False, False
    if not title_report:
        self_statement = bool(ev.SELF_RE.search(body_norm))
        table_vocab = len(ev.TABLE_VOCAB_RE.findall(body_norm)) >= 1
        body_says = bool(vocab.REPORT_TITLE_RE.search(body_norm[:600])) or _column_says(page.lines)
        ok = (self_statement and (nsec >= 1 or table_vocab)) or (nsec >= 3 and (table_vocab or body_says)) \
            or (cover_letter and (nsec >= 3 or table_vocab))
        if not ok:
            return False, False
    text_len = len(rec["text"]) - len(title or "")
    if page.images and text_len < 200 and nsec <= 1:
        return True, True
    if nsec == 0 and text_len < 300:
        return (True, True) if page.images else (title_report, False)
    return True, False


_COLUMN_LINE_RE = re.compile(r"(分\s*类|分\s*類|栏目|欄目|[>＞»]).{0,40}(政府信息公开年报|政府信息公開年報|公开年报|公開年報|年度报告|年度報告)")


def _column_says(lines):
    """A breadcrumb or the info table's 分类 puts the page in the annual-report column."""
    return any(_COLUMN_LINE_RE.search(ln) for ln in lines[:40] if len(ln) < 300)


_NEG_LINE_RE = re.compile(r"(工作要点|要点|指南|通知|总结|范文|模板|制度|实施方案|工作方案|工作计划|统计表|报表)$")


def _body_negative(body, heads):
    """The body is itself a notice, a guide, a plan, a set of rules or a blank form."""
    lines = [ln for ln in body if ln != vocab.EMPTY_TOKEN]
    head = norm_label("\n".join(lines)[:3000])
    if ev.BODY_NEGATIVE_RE.search(head):
        return True
    # a short line before the first section heading naming another kind of document
    first_head = heads[0][0] if heads else 40
    for ln in body[:first_head]:
        s = norm_label(ln)
        if 4 <= len(s) <= 50 and _NEG_LINE_RE.search(s) and not _NUMBERED_RE.match(s):
            return True
    return False


_NUMBERED_RE = re.compile(r"^[(（]?([一二三四五六七八九十]+|\d+)[)）.、．]|^[一二三四五六七八九十]是")


def _regions(body, heads):
    bounds = sorted(heads)
    regions = {}
    found_heads = {k: i for i, k in reversed(bounds)}  # first occurrence
    anchors = {}
    for key in rf.TABLE_KEYS:
        if key in found_heads:
            continue
        a = _anchor(body, key)
        if a is not None:
            anchors[key] = a
    all_bounds = sorted([(i, k) for i, k in bounds] + [(i, k) for k, i in anchors.items()])
    for key in rf.TABLE_KEYS:
        start = found_heads.get(key, anchors.get(key))
        if start is None:
            continue
        end = len(body)
        for i, _k in all_bounds:
            if i > start:
                end = i
                break
        regions[key] = (start + (1 if key in found_heads else 0), end)
    return regions


def _anchor(body, key):
    for i, ln in enumerate(body):
        n = norm_label(ln) if len(ln) < 200 else ""
        if not n:
            continue
        if key == "active_disclosure" and vocab.CAPTION_RE.search(n):
            return i
        if key == "applications" and ("申请人情况" in n or "本年新收" in n):
            return i
        if key == "review_litigation" and "行政复议" in n and len(n) < 40:
            window = "".join(body[i:i + 30])
            if "维持" in window or "維持" in window:
                return i
    return None


def _decide_format(results, rec, heads, is_report, body):
    """From the tables (table 二's columns, else table 三's (六) rows), else legacy headings."""
    a = results.get("active_disclosure")
    if a is not None and a.found and a.fmt:
        return a.fmt
    for r in results.values():
        if r.found and r.fmt:
            return r.fmt
    # the 2019 and 2021 formats share their six headings: without tables the
    # format stays unknown (a citation of 〔2021〕30号 in the preamble is no proof)
    if not is_report:
        return "unknown"
    head_texts = [norm_label(body[i]) for i, _ in heads]
    if any(vocab.LEGACY_HEADING_RE.search(h) for h in head_texts):
        return "legacy"
    if any(vocab.MODERN_HEADING_RE.search(h) for h in head_texts):
        # 一、总体情况 … : the 2019/2021 structure, whatever the preamble's wording
        return "unknown"
    if _legacy_body(rec["text"]):
        return "legacy"
    return "unknown"


def _legacy_body(text):
    n = norm_label(text[:20000])
    return bool(re.search(r"(收费及减免|收费和减免情况|因政府信息公开申请(提起)?行政复议)", n))


def _all_null(values) -> bool:
    """Not one cell of the table holds a value (every row null or absent)."""
    return all(v is None for _path, v in rf.table_leaves(values or {}))


def _is_partial(key, r, fmt):
    v = r.values
    if key == "active_disclosure":
        f = r.fmt or (fmt if fmt in ("2019", "2021") else None)
        if f is None:
            return True
        for sub, (rows, cols) in vocab.ACTIVE_EXPECTED[f].items():
            for row in rows:
                cells = v.get(sub, {}).get(row)
                if cells is None or any(c not in cells for c in cols):
                    return True
        return False
    if key == "applications":
        f = r.fmt or (fmt if fmt in ("2019", "2021") else None)
        if f is None:
            return True
        for row in vocab.APP_ROWS[f]:
            cells = v.get(row)
            if cells is None or any(c not in cells for c in rf.APP_COLS):
                return True
        return False
    for g in rf.RL_GROUPS:
        cells = v.get(g)
        if cells is None or any(c not in cells for c in rf.RL_COLS):
            return True
    return False
