"""Document-level shapes of real published pages (issue 10): what the page is, its year, its issuer.

Each shape reproduces a KIND of real page that the parser once misread, with its expected parse:

Reports
  doc_no_title        no title line: the text opens with the preamble (现公布XX2021年…年度报告),
                      a self-statement without a name (编制本报告…统计期限自…), or straight with
                      一、总体情况 and the year only in the narrative (截至2021年12月31日)
  doc_breadcrumb      a breadcrumb (> 政府信息公开年报) and/or an information table in pipe rows
                      (索 引 号 | … | 分 类 | 政府信息公开年报 |) and a 来源:本网 line before the
                      title; titles that start with the year (2013年度XX镇政府信息公开…) or
                      carry the issuer on the line above (XX办公室 / 2020年…报告)
  doc_legacy_free     a free-form report with the pre-2019 headings (概述, 基本工作情况, 收费及减免,
                      因政府信息公开申请提起行政复议…) and no tables: layout ``legacy``
  doc_cut_narrative   a text cut off in section 一, before any table, whose preamble may list the
                      old section names: layout ``unknown``, no table, S6 uncertain (not failed)
  doc_pinyin_mirror   a traditional mirror with pinyin annotations (年度報(bào)告)
  doc_cover_letter    the full report inside a cover letter 关于报送《…年度报告》的函
  doc_site_source     a TRS article page whose ContentSource / 来源 is a website (本网), a digit
                      or the site's owner on every page; the issuer comes from the title, the
                      info table, the signature, or nowhere (null)
  doc_attachment_page the report's own article page that offers it as a file: its title over
                      详见附件 / 附件:….pdf, or a bare link to the DOCX/PDF (no table, no heading)
Look-alikes (not reports)
  doc_work_plan, doc_news (news about the reports: 年度报告展示平台), doc_blank_form (a statistics
  form with blanks and **** placeholders), doc_format_notice (the 年度报告格式 notice, with the
  table vocabulary in it), doc_news_titled (news titled like a report: 我市发布2023年…年度报告,
  市政府办公室公布《…》, or the report's own title, over a few sentences of a reporter's prose
  that cites the report's figures and section names but carries neither its preamble, its
  headings nor its tables)
"""
from __future__ import annotations

import random
from html import escape

from .agencies import region_of

DOC_REPORT_SHAPES = ("doc_no_title", "doc_breadcrumb", "doc_legacy_free", "doc_cut_narrative",
                     "doc_pinyin_mirror", "doc_cover_letter", "doc_site_source", "doc_attachment_page")
DOC_LOOKALIKE_SHAPES = ("doc_work_plan", "doc_news", "doc_blank_form", "doc_format_notice", "doc_news_titled")
DOC_SHAPES = DOC_REPORT_SHAPES + DOC_LOOKALIKE_SHAPES
DOC_WEIGHT = 6.0  # share in cases(): fewer than the table shapes, every one present

_BASIS = ("《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》"
          "(国办公开办函〔2021〕30号)")


def render_document(truth: dict, shape: str, rng: random.Random):
    from . import shapes as S
    fn = {
        "doc_no_title": _no_title, "doc_breadcrumb": _breadcrumb, "doc_legacy_free": _legacy_free,
        "doc_cut_narrative": _cut_narrative, "doc_pinyin_mirror": _pinyin_mirror,
        "doc_cover_letter": _cover_letter, "doc_site_source": _site_source,
        "doc_attachment_page": _attachment_page,
        "doc_work_plan": _work_plan, "doc_news": _news, "doc_blank_form": _blank_form,
        "doc_format_notice": _format_notice, "doc_news_titled": _news_titled,
    }[shape]
    return fn(S, truth, rng)


# --------------------------------------------------------------------------- helpers
def _text_report(S, truth, rng, *, title, preamble, before_title=(), mode=None, conv=None):
    """A flattened text of the report: (bytes, ctype, url, shown cells)."""
    from .html import body_parts
    from .text import join_lines, shown_cells_in, text_lines
    t2 = dict(truth, preamble=preamble)
    style = S._style(truth, rng, blank_ok=False)
    parts = body_parts(t2, rng, style)
    mode = mode or rng.choice(("flat", "split"))
    lines, joiner = text_lines(parts, rng, mode=mode, title=title or "", published=None)
    i = next(k for k, (t, _c) in enumerate(lines) if t == (title or ""))
    head = [(b, None) for b in before_title]
    lines = lines[:i] + head + ([] if not title else [lines[i]]) + lines[i + 1:]
    text = join_lines(lines, joiner)
    if conv is not None:
        text = conv(text)
    return text, shown_cells_in(lines)


def _as_bytes(text: str, rng: random.Random):
    if rng.random() < 0.25:
        return text.encode("gb18030"), "text/plain"
    return text.encode("utf-8"), "text/plain; charset=utf-8"


def _stats_sentence(truth) -> str:
    y = truth["year"]
    return f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"


# --------------------------------------------------------------------------- reports
def _no_title(S, truth, rng):
    a, y = truth["agency"], truth["year"]
    kind = rng.randrange(3)
    if kind == 0:  # the preamble names the issuer
        pre = (f"根据《中华人民共和国政府信息公开条例》和{_BASIS}要求,现公布{a}{y}年政府信息公开工作年度报告。"
               + _stats_sentence(truth))
        agency = a
    elif kind == 1:  # it speaks of itself without a name
        pre = ("根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求,结合工作实际,编制本报告。"
               + _stats_sentence(truth))
        agency = None
    else:  # straight into section 一; the year only in the narrative
        pre = ""
        agency = None
    t2 = dict(truth)
    if kind == 2:
        nar = dict(truth["narrative"])
        nar["overview"] = (f"截至{y}年12月31日,{truth['self_ref']}通过门户网站发布政务类信息{rng.randint(10, 900)}条。\n"
                           + nar["overview"])
        t2["narrative"] = nar
    text, cells = _text_report(S, t2, rng, title=None, preamble=pre)
    data, ct = _as_bytes(text, rng)
    exp = S._expected(truth, cells)
    exp["agency"] = agency
    return S.Rendered(data, ct, None, exp)


def _breadcrumb(S, truth, rng):
    a, y = truth["agency"], truth["year"]
    before = []
    if rng.random() < 0.6:
        before += ["当前位置:首页", "> 政府信息公开", "> 政府信息公开年报", f"> {y}年"]
    if rng.random() < 0.6:
        before += [f"索 引 号 | {rng.randint(10000000, 99999999)}/{y + 1}-{rng.randint(100, 99999):05d} | "
                   f"分 类 | 政府信息公开年报 |",
                   f"发布机构 | {a} | 发文日期 | {truth['published']} |"]
    if rng.random() < 0.5 or not before:
        before += [f"来源:{rng.choice(('本网', '原创', '本站', '中国政府网'))}     发布时间:{truth['published']} 10:24    浏览次数:次"]
    form = rng.randrange(3)
    if form == 0:
        title = truth["title"]
    elif form == 1:
        title = f"{y}年度{a}政府信息公开工作年度报告"
    else:
        before.append(a)  # the issuer on the line above the title
        title = rng.choice((f"{y}年政府信息公开工作年度报告", f"关于{y}年度政府信息公开工作年度报告"))
    if rng.random() < 0.25:  # the title only in the info table's 名称 row (N05-like pipe rows)
        before = [f"| 索引号: | {rng.randint(10000000, 99999999)}/{y + 1}-{rng.randint(100, 99999):05d} | "
                  f"组配分类: | 政府信息公开年报 |",
                  f"| 发布机构: | {a} | 主题分类: | 综合政务 |",
                  f"| 名称: | {truth['title']} | 文号: | 无 |",
                  f"| 生成日期: | {truth['published']} | 发布日期: | {truth['published']} |"]
        title = None
    text, cells = _text_report(S, truth, rng, title=title, preamble=truth["preamble"], before_title=before)
    data, ct = _as_bytes(text, rng)
    return S.Rendered(data, ct, None, S._expected(truth, cells))


_LEGACY_HEADS = (
    ("一、概述", "一、基本工作情况", "一、主要工作概述"),
    ("二、主动公开政府信息情况", "二、政府信息主动公开情况"),
    ("三、依申请公开政府信息情况", "三、政府信息依申请公开情况"),
    ("四、政府信息公开的收费及减免情况", "四、政府信息公开收费和减免情况"),
    ("五、因政府信息公开申请提起行政复议、行政诉讼的情况", "五、政府信息公开申请行政复议、行政诉讼情况"),
    ("六、存在的主要问题及改进措施", "六、政府信息公开工作存在的主要问题和改进措施"),
)


def _legacy_free(S, truth, rng):
    a, y = truth["agency"], truth["year"]
    s = truth["self_ref"]
    apps = rng.randint(0, 40)
    paras = {
        0: f"{y}年,{s}认真贯彻落实《中华人民共和国政府信息公开条例》,不断健全工作机制,深化公开内容,"
           f"有序推进政府信息公开工作。现将{y}年政府信息公开工作情况报告如下:",
        1: f"全年主动公开政府信息{rng.randint(20, 3000)}条,其中规范性文件{rng.randint(0, 30)}件。",
        2: f"全年共受理政府信息公开申请{apps}件,均已按时答复。" if apps else "全年未收到政府信息公开申请。",
        3: "本年度未收取政府信息公开相关费用,也未发生减免情况。",
        4: "本年度未发生因政府信息公开申请提起的行政复议、行政诉讼。",
        5: "一是信息公开的及时性有待提高;二是公开形式较为单一。下一步将加强培训,丰富公开形式。",
    }
    lines = [truth["title"]]
    if rng.random() < 0.5:
        lines.append(f"本报告由{a}编制。{_stats_sentence(truth)}")
    for k, opts in enumerate(_LEGACY_HEADS):
        lines.append(rng.choice(opts))
        lines.append(paras[k])
    if rng.random() < 0.5:
        body = "\n".join(f"<p>{escape(x)}</p>" for x in lines[1:])
        from .page import article_page, encode_page, url_for
        page = article_page(rng, title=truth["title"], agency=a, published=truth["published"], body_html=body)
        data, ct, _ = encode_page(page, rng)
        url = url_for(rng, truth["published"], "html")
    else:
        if rng.random() < 0.35:  # no title, no preamble: the info table's 分类 and the headings say it
            lines = [f"索 引 号 | {rng.randint(10000000, 99999999)}/{y + 1}-{rng.randint(100, 99999):05d} | "
                     f"分 类 | 政府信息公开年报 |", f"发布机构 | {a} | 发文日期 | {truth['published']} |"] + \
                [x for x in lines[1:] if not x.startswith("本报告由")]
        data, ct = _as_bytes(rng.choice(("\n", "\n\n")).join(lines), rng)
        url = None
    exp = S._expected(truth, [], format_known=False)
    exp.update(format="legacy", failing_rules=[])
    return S.Rendered(data, ct, url, exp)


def _cut_narrative(S, truth, rng):
    a, y = truth["agency"], truth["year"]
    if rng.random() < 0.5:  # the preamble repeats the pre-2019 wording: the headings decide, not it
        pre = (f"本年度报告是根据《中华人民共和国政府信息公开条例》要求,由{a}编制。全文内容包括工作概述、"
               "政府信息主动公开情况、政府信息依申请公开情况、政府信息公开支出和收费情况、"
               "因政府信息公开申请行政复议和提起行政诉讼的情况、存在问题和改进措施等六个部分。"
               + _stats_sentence(truth))
    else:
        pre = truth["preamble"]
    title = truth["title"] if rng.random() < 0.7 else None
    text, _cells = _text_report(S, truth, rng, title=title, preamble=pre)
    # cut inside section 一's narrative, mid-sentence
    start = text.index("一、")
    para = text.index(truth["narrative"]["overview"].split("\n")[0][:12], start)
    cut = para + rng.randint(15, 60)
    while text[cut - 1] in "。,，;；:：、“”()（）\n ":  # mid-sentence, as a character limit cuts
        cut += 1
    text = text[:cut]
    data, ct = _as_bytes(text, rng)
    exp = S._expected(truth, [], format_known=False)
    # the issuer is known when the kept text names it as the issuer (title, preamble, contact line),
    # not when it names it as a website (…人民政府门户网站)
    named = title is not None or any(f in text for f in (f"现公布{a}", f"由{a}编制", f",{a}编制了", f"请与{a}联系"))
    exp["agency"] = a if named else None
    exp["failing_rules"] = []
    return S.Rendered(data, ct, None, exp)


# the pinyin a mirror prints after a character (a few common ones are enough)
_PINYIN = {"報": "bào", "開": "kāi", "作": "zuò", "人": "rén", "民": "mín", "和": "hé", "有": "yǒu",
           "大": "dà", "理": "lǐ", "行": "xíng", "會": "huì", "體": "tǐ", "門": "mén", "時": "shí",
           "為": "wèi", "上": "shàng", "生": "shēng", "小": "xiǎo", "可": "kě", "請": "qǐng", "你": "nǐ",
           "站": "zhàn", "通": "tōng"}


_PLAIN = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ", "aaaaeeeeiiiioooouuuuüüüü")


def _annotate(text: str, rng: random.Random) -> str:
    """Pinyin after some characters: with tone marks (報(bào)) or without, sometimes doubled (報(bao)(bao))."""
    share = rng.uniform(0.5, 1.0)
    plain, doubled = rng.random() < 0.4, rng.random() < 0.3
    out = []
    for ch in text:
        out.append(ch)
        if ch in _PINYIN and rng.random() < share:
            py = _PINYIN[ch].translate(_PLAIN) if plain else _PINYIN[ch]
            out.append(f"({py})" * (2 if doubled and rng.random() < 0.5 else 1))
    return "".join(out)


def _pinyin_mirror(S, truth, rng):
    conv = S.converter(rng)
    text, cells = _text_report(S, truth, rng, title=truth["title"], preamble=truth["preamble"],
                               mode="flat", conv=conv)
    text = _annotate(text, rng)
    data, ct = _as_bytes(text, rng)
    return S.Rendered(data, ct, None, S._expected(truth, cells, script="traditional", agency=conv(truth["agency"])))


def _cover_letter(S, truth, rng):
    from .html import body_parts, parts_to_html, shown_cells
    from .page import article_page, encode_page, url_for
    a, y = truth["agency"], truth["year"]
    inner = truth["title"]
    title = rng.choice((f"关于报送《{inner}》的函", f"{a}关于报送《{inner}》的函",
                        f"{a}关于报送{y}年度政府信息公开工作年度报告的函"))
    region = region_of(a) or "市"
    style = S._style(truth, rng)
    parts = body_parts(truth, rng, style)
    body = (f"<p>{escape(region)}人民政府办公室:</p>"
            f"<p>现将《{escape(inner)}》报送给你们,请审阅。</p>"
            f'<p style="text-align:center"><strong>{escape(inner)}</strong></p>'
            + parts_to_html(parts, rng, borderless=rng.random() < 0.5, truth=truth))
    page = article_page(rng, title=title, agency=a, published=truth["published"], body_html=body)
    data, ct, _ = encode_page(page, rng)
    return S.Rendered(data, ct, url_for(rng, truth["published"], "html"), S._expected(truth, shown_cells(parts)))


def _trs_page(rng, *, title, source, info_agency, site, body_html, published, column="政府信息公开年报",
              article_title=None, crumb_org=None):
    info = ""
    if info_agency is not None:
        info = ('<table class="xxgk-info"><tr><td>索引号：</td>'
                f'<td>{rng.randint(10000000, 99999999)}/{published[:4]}-{rng.randint(10, 99999):05d}</td>'
                '<td>分类：</td><td>政府信息公开年报</td></tr>'
                f'<tr><td>发布机构：</td><td>{escape(info_agency)}</td><td>发文日期：</td><td>{published}</td></tr></table>')
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n{charset_meta}\n"
        f"<title>{escape(title)}_{escape(site)}</title>\n"
        f'<meta name="SiteName" content="{escape(site)}">\n'
        f'<meta name="ColumnName" content="{escape(column)}">\n'
        f'<meta name="ArticleTitle" content="{escape(article_title or title)}">\n'
        f'<meta name="PubDate" content="{published} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}">\n'
        f'<meta name="ContentSource" content="{escape(source)}">\n'
        "</head>\n<body>\n"
        f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a> &gt; '
        + (f'<a href="../">{escape(crumb_org)}</a> &gt; ' if crumb_org else "")
        + f'<a href="./">{escape(column)}</a></div>\n{info}\n'
        f'<div class="article"><h1>{escape(title)}</h1>\n'
        f'<div class="info">发布时间：{published}　来源：{escape(source)}　浏览次数：{rng.randint(10, 5000)}</div>\n'
        f'<div class="TRS_Editor">{body_html}</div>\n'
        '<div class="tools">【打印本页】【关闭窗口】</div></div>\n'
        f'<div class="footer">主办单位：{escape(site.replace("门户网站", ""))}　网站标识码：{rng.randint(10**9, 10**10 - 1)}</div>\n'
        "</body>\n</html>\n"
    )


def _site_source(S, truth, rng):
    from .html import body_parts, parts_to_html, shown_cells
    from .page import encode_page, url_for
    a, y = truth["agency"], truth["year"]
    region = region_of(a)
    owner = (region + "人民政府") if region else "某市人民政府"
    site = owner.replace("人民政府", "") + rng.choice(("人民政府门户网站", "政府门户网站"))
    # a website, a digit, the site's owner on every page, or the office that posted it
    source = rng.choice(("本网", "1", "0", owner, "原创", "管委会办公室", "县政府办", "本站"))
    # the site's owner as the source says nothing of the issuer, unless the issuer is the owner
    evidence = rng.choice(("title", "info", "signature", "crumb", "none"))
    title = truth["title"] if evidence == "title" else f"{y}年政府信息公开工作年度报告"
    info_agency = a if evidence == "info" or (evidence == "title" and rng.random() < 0.5) else None
    t2 = dict(truth, preamble=rng.choice(("根据《中华人民共和国政府信息公开条例》要求,编制本报告。"
                                          + _stats_sentence(truth), "")))
    parts = body_parts(t2, rng, S._style(truth, rng))
    body = parts_to_html(parts, rng, borderless=rng.random() < 0.5, truth=truth)
    if evidence == "signature":
        body += (f'<p style="text-align:right">{escape(a)}</p>'
                 f'<p style="text-align:right">{y + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日</p>')
    # some portals leave ArticleTitle at the site's name: the page heading says what it is
    article_title = site if rng.random() < 0.2 else None
    page = _trs_page(rng, title=title, source=source, info_agency=info_agency, site=site,
                     body_html=body, published=truth["published"], article_title=article_title,
                     crumb_org=a if evidence == "crumb" else None)
    data, ct, _ = encode_page(page, rng)
    agency = a if evidence != "none" else None
    exp = S._expected(truth, shown_cells(parts))
    exp["agency"] = agency
    return S.Rendered(data, ct, url_for(rng, truth["published"], "html"), exp)


def _attachment_page(S, truth, rng):
    from .page import article_page, encode_page, url_for
    a, y, title = truth["agency"], truth["year"], truth["title"]
    ext = rng.choice(("pdf", "docx", "doc", "wps"))
    name = f"{title}.{ext}"
    if rng.random() < 0.4:  # a text extraction of the page
        lines = [title, rng.choice(("（此件公开发布）", "", f"发布日期:{truth['published']}")),
                 rng.choice((f"附件:{name}", "详见附件。", f"全文详见附件:{name}", "附件下载:"))]
        data, ct = _as_bytes("\n".join(x for x in lines if x), rng)
        url = None
    else:
        href = f"./P0{truth['published'].replace('-', '')}{rng.randint(100000, 999999)}.{ext}"
        body = rng.choice((
            f'<p>详见附件。</p><p>附件：<a href="{href}">{escape(name)}</a></p>',
            f'<p><a href="{href}">{escape(title)}</a></p>',  # a bare link: the file is the report
            f'<p>附件：</p><p><a href="{href}" target="_blank">{escape(rng.choice((name, "点击下载")))}</a></p>',
        ))
        page = article_page(rng, title=title, agency=a, published=truth["published"], body_html=body)
        data, ct, _ = encode_page(page, rng)
        url = url_for(rng, truth["published"], "html")
    exp = S._expected(truth, [], format_known=False)
    exp["failing_rules"] = []
    return S.Rendered(data, ct, url, exp)


# --------------------------------------------------------------------------- look-alikes
def _lookalike_page(S, rng, truth, title, paras, *, as_text=None):
    from .page import article_page, encode_page, url_for
    if as_text if as_text is not None else rng.random() < 0.4:
        data, ct = _as_bytes("\n".join([title] + paras), rng)
        return S.Rendered(data, ct, None, S._not_report())
    body = "\n".join(f'<p style="text-indent:2em">{escape(p)}</p>' for p in paras)
    page = article_page(rng, title=title, agency=truth["agency"], published=truth["published"], body_html=body,
                        column=rng.choice(("政府信息公开年报", "通知公告", "工作动态")))
    data, ct, _ = encode_page(page, rng)
    return S.Rendered(data, ct, url_for(rng, truth["published"], "html"), S._not_report())


def _work_plan(S, truth, rng):
    y, a = truth["year"], truth["agency"]
    title = rng.choice((f"{y}年政务公开工作要点", f"{a}{y}年政务公开工作要点", f"{a}关于印发{y}年政务公开工作要点的通知"))
    paras = [f"{y}年政务公开工作要点已经同意,现印发给你们,请结合实际认真贯彻落实。",
             f"{y}年政务公开工作要点",
             f"{y}年是推进政务公开标准化规范化的关键之年。政务公开工作的总体要求是:坚持以公开为常态、不公开为例外。",
             "一、围绕重点工作推进公开",
             "(一)推进政策文件公开。及时公开行政规范性文件,做好政策解读。",
             "二、加强政府信息公开平台建设",
             f"(二)做好{y}年政府信息公开工作年度报告编制和发布工作,按时公布年度报告。",
             "三、强化监督保障"]
    if rng.random() < 0.5:
        paras = paras[1:]
    return _lookalike_page(S, rng, truth, title, paras)


def _news(S, truth, rng):
    y, a = truth["year"], truth["agency"]
    region = region_of(a) or "我市"
    title = rng.choice((f"{region}{y}年度政府信息公开工作年度报告展示平台上线",
                        f"{y}年度政府信息公开工作年度报告集中发布专栏",
                        f"{region}召开{y}年度政府信息公开工作年度报告编制培训会"))
    paras = [f"为方便公众查阅,{region}{y}年度政府信息公开工作年度报告已在展示平台集中发布。",
             f"{y}年度,各单位按照《中华人民共和国政府信息公开条例》要求,认真编制年度报告,"
             "全面反映主动公开、依申请公开、政府信息管理等工作情况。",
             f"点击查看:{a}{y}年政府信息公开工作年度报告"]
    return _lookalike_page(S, rng, truth, title, paras)


def _blank_form(S, truth, rng):
    title = rng.choice(("【公开制度】****信息公开统计制度", "政府信息公开情况统计表", "****政府信息公开统计制度"))
    paras = ["****政府信息发布情况,根据《****政府信息公开条例》等有关规定,结合我镇实际,制定本制度。",
             "一、统计范围", "****社区;镇政府各站所,****事业单位。",
             "二、报送要求", "****政府信息公开统计表格,并于每年1、4、7、10月15日之前将上一季度统计数据报送。",
             "****政府信息公开情况统计表", "填报单位: 年 季度",
             "| 序号 | 统 计 指 标 | 单位 | 统计数 |", "| 1 | 一、主动公开情况 | ---- | |",
             "| 2 | 主动公开规范性文件数 | 条 | |", "| 3 | 本年新收政府信息公开申请数量 | 件 | |"]
    return _lookalike_page(S, rng, truth, title, paras)


def _format_notice(S, truth, rng):
    title = "国务院办公厅政府信息与政务公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知"
    paras = ["国办公开办函〔2021〕30号",
             "各省、自治区、直辖市人民政府办公厅,国务院各部委、各直属机构办公厅(室):",
             "根据《中华人民共和国政府信息公开条例》第五十条的规定,现将修订后的《中华人民共和国政府信息公开工作年度报告格式》"
             "印发给你们,请认真贯彻执行。",
             "中华人民共和国", "政府信息公开工作年度报告格式",
             "一、报告内容", "(一)总体情况。", "(二)主动公开政府信息情况。",
             "第二十条第(一)项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数",
             "三、收到和处理政府信息公开申请情况", "一、本年新收政府信息公开申请数量"]
    conv = S.converter(rng) if rng.random() < 0.4 else None
    if conv is not None:
        title, paras = conv(title), [conv(p) for p in paras]
    r = _lookalike_page(S, rng, truth, title, paras)
    if conv is not None:
        r.expected["script"] = "traditional"
    return r


def _news_titled(S, truth, rng):
    """News titled like a report: a subject and a news verb before the report's name, or the
    report's own title, over a reporter's few sentences (figures and section names quoted)."""
    y, a = truth["year"], truth["agency"]
    region = region_of(a)
    subj = rng.choice(("我市", "我县", "我区", f"{region}人民政府办公室" if region else "市政府办公室",
                       region or "我市", "市政府办公室", "县政府办"))
    verb = rng.choice(("发布", "公布", "正式发布", "晒出", "集中发布"))
    name = f"{y}年政府信息公开工作年度报告"
    title = rng.choice((f"{subj}{verb}{name}", f"{subj}{verb}《{name}》", f"{subj}{verb}{y}年度政府信息公开工作年度报告",
                        truth["title"]))
    new, granted = rng.randint(20, 3000), rng.randint(5, 900)
    if rng.random() < 0.5:
        paras = [rng.choice(("来源:本网", f"来源:{a}", "来源:原创")) + f" 发布时间:{truth['published']}",
                 rng.choice(("近日", "日前")) + f",{a}按照《中华人民共和国政府信息公开条例》规定,向社会发布了《{name}》。"
                 "报告包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议及行政诉讼情况、"
                 "存在的主要问题及改进情况、其他需要报告的事项等六个部分。",
                 f"报告显示,{y}年共新收政府信息公开申请{new}件,予以公开{granted}件。"
                 f"因政府信息公开工作被申请行政复议{rng.randint(0, 20)}件。",
                 "下一步,将继续深化政务公开,持续提升政府信息公开工作质量。"]
        if rng.random() < 0.5:
            paras.append(f"(记者 {rng.choice(('王', '李', '张', '陈'))}某某)")
    else:
        paras = [f"{truth['published']} 10:12 来源:本网",
                 f"日前,{region or '我市'}各级行政机关已于1月31日前全部完成{y}年政府信息公开工作年度报告发布工作。"
                 f"点击查看:{a}{name}。"]
    return _lookalike_page(S, rng, truth, title, paras)
