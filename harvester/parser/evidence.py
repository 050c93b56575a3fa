"""Document-level evidence: what a page is, for which year, and who issued it.

Real pages rarely carry one clean title line. A text extraction may open with the
preamble (现公布XX2021年…年度报告), a breadcrumb (> 政府信息公开年报), an information
table (索引号 | … | 分类 | 政府信息公开年报) or straight with 一、总体情况. So each
decision here weighs all the evidence of the document:

* the title (meta ArticleTitle, info-table 名称, headings, a report-like line),
* the preamble's statements about itself (现公布…报告, 本报告由…编制, 统计期限自…),
* the statutory section headings and the statutory table vocabulary,
* the signature at the end (an issuing body followed by a date),
* the information table (发布机构) and, last, the page's source line / ContentSource,
  which often names the website (本网, 原创) or a site-wide default, and then is no evidence.

Everything here works on simplified, normalised text (``normalize.t2s``/``norm_label``)
for matching, but returns names as published (traditional stays traditional).
"""
from __future__ import annotations

import re

from . import vocab
from .normalize import norm_label, t2s

# ------------------------------------------------------------------ pinyin mirrors
# Mirror sites of traditional pages annotate characters with pinyin: 報(bào)告, 開(kāi).
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_RE = re.compile(r"(?<=[\u3400-\u9fff])((?:[(（][a-zü%s]{1,7}[)）])+)" % _TONED)
_SYLLABLE_RE = re.compile(r"[(（]([a-zü%s]{1,7})[)）]" % _TONED)
_VOWELS = "aeiouüv" + _TONED


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations after CJK characters when the text carries them.

    Mirrors print them with tone marks (報(bào)告) or without, sometimes doubled
    (政(zheng)(zheng)府). Only when the text has at least two toned or five plain annotations,
    so an ordinary "(a)" after a character is kept."""
    runs = _PINYIN_RE.findall(text[:200000])
    sylls = [m for r in runs for m in _SYLLABLE_RE.findall(r) if any(c in _VOWELS for c in m)]
    toned = sum(1 for m in sylls if any(c in _TONED for c in m))
    if toned < 2 and len(sylls) < 5:
        return text
    return _PINYIN_RE.sub(lambda m: "" if all(any(c in _VOWELS for c in x) for x in _SYLLABLE_RE.findall(m.group(1)))
                          else m.group(1), text)


# ------------------------------------------------------------------ organisations
ORG_SUFFIX = (r"(人民政府办公室|人民政府办公厅|人民政府|政府办公室|政府办|办公室|办公厅|委员会|管委会|管理委员会|"
              r"局|厅|委|署|办|院|中心|镇|乡|街道办事处|街道|街|办事处|社区|村|部|会|所|站|队|公司|集团|馆|处|园区|政府)")
ORG_RE = re.compile(r"^[\u3400-\u9fff()（）]{1,40}?%s$" % ORG_SUFFIX)
# names that are websites, authors or placeholders, never an issuer
_NOT_AGENCY_RE = re.compile(
    r"(本网|本站|原创|转载|网站|门户|网页|中国政府网|新华网|人民网|新华社|来源|作者|编辑|责任编辑|管理员|"
    r"admin|信息中心网|[网網]$|^[我本该此其].{0,3}$|^(我|本)(局|镇|乡|街|委|办|厅|单位|机关|部门|中心|院|区|县|市))", re.I)
_GENERIC = {"人民政府", "政府", "办公室", "本机关", "本单位", "本部门", "机关", "单位", "部门", "政府办", "信息公开办"}
# a name without its place (管委会办公室, 县政府办): the office that posted the page, not an issuer
RELATIVE_NAME_RE = re.compile(r"^(管委会|管委|管理委员会|政府|人民政府|县政府|市政府|区政府|镇政府|乡政府|街道|本级|办公室|党政办|党政综合办)")
# drafting or disclosure offices: the office that wrote or posted, not the issuer of the report
DRAFTING_RE = re.compile(r"(政务公开办|信息公开办|公开办|信息中心|网站管理|宣传)")


def plausible_agency(s: str | None) -> str | None:
    """``s`` cleaned when it can name an issuing body; None for websites, digits, placeholders."""
    if not s:
        return None
    a = re.sub(r"[\s\u3000]+", "", s).strip(" 《》“”\"'：:,，、|｜。.;；()（）[]【】")
    a = re.sub(r"^(来源|來源|信息来源|发布机构|發布機構|发布单位|发文机关)[:：]?", "", a)
    if not (2 <= len(a) <= 40):
        return None
    if re.search(r"[0-9０-９A-Za-z*＊?？_/\\@]", a):
        return None
    n = t2s(a)
    if n in _GENERIC or _NOT_AGENCY_RE.search(n):
        return None
    if not re.fullmatch(r"[\u3400-\u9fff()（）·]+", a):
        return None
    return a


def _is_org(s: str) -> bool:
    return bool(ORG_RE.match(t2s(s)))


def expands(short: str, full: str) -> bool:
    """``full`` is the long form of ``short`` (财金局 → 平潭综合实验区财政金融局)."""
    s, f = t2s(short), t2s(full)
    if len(s) < 2 or len(f) <= len(s) or s[-1] != f[-1]:
        return False
    # a suffix of full that starts with short's first character holds short as a subsequence
    for i, ch in enumerate(f):
        if ch != s[0]:
            continue
        it = iter(f[i:])
        if all(c in it for c in s):
            return True
    return False


# ------------------------------------------------------------------ title
_YEAR = r"((?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})"
_REPORT_NOUN = r"(政府信息公开|信息公开|政务公开|政府信息).{0,12}?(年度报告|年报|工作报告|报告)"
# what may follow 报告 at the end of a report's title
_TITLE_TAIL_OK = re.compile(r"^\s*书?([(（【\[][^()（）【】\[\]]{0,14}[)）】\]]|(及|和|与|暨|含)?(附表|统计表|数据统计表|附件|全文|正文))*"
                            r"\s*[.。]?(pdf|doc|docx|wps|xls|xlsx)?\s*((?:19|20)\d{2}[-./年]\d{1,2}[-./月]\d{1,2}日?)?\s*$", re.I)


def _cn_year(s: str) -> int:
    if s.isdigit():
        return int(s)
    return int("".join(vocab.CN_DIGITS[c] for c in s))


def title_is_report(title: str | None) -> bool:
    """The title names a year's report and ends with it (not a notice or news about reports)."""
    if not title:
        return False
    t = norm_label(title)
    if not re.search(_YEAR + r"年", t) or not re.search(_REPORT_NOUN, t):
        return False
    last = max(t.rfind("报告"), t.rfind("年报"))
    return bool(_TITLE_TAIL_OK.match(t[last + 2:]))


COVER_LETTER_RE = re.compile(r"(报送|呈报|上报|报来|提交)[^。]{0,60}?(年度报告|年报|工作报告)》?的?(函|请示|报告)$")
TITLE_NEGATIVE_RE = vocab.NOT_REPORT_TITLE_RE


def title_negative(title: str | None) -> bool:
    """The title names another kind of document (通知, 指南, 要点, 总结, 范文, …, news about reports)."""
    if not title:
        return False
    t = norm_label(title)
    if COVER_LETTER_RE.search(t):
        return False
    if re.search(r"[(（]图片版[)）]", t):
        return False
    if title_is_report(title):
        # a report's title: only what stands before its final 报告 can say otherwise (图解:…)
        last = max(t.rfind("报告"), t.rfind("年报"))
        return bool(TITLE_NEGATIVE_RE.search(t[:last]))
    if TITLE_NEGATIVE_RE.search(t):
        return True
    if re.search(r"(报告|年报)", t) and re.search(_YEAR + r"年", t) and re.search(_REPORT_NOUN, t) \
            and not title_is_report(title):
        # 年度报告展示平台, 年度报告编制工作会议, …: about the reports, not one
        return True
    return False


# a title that reports an act about the report: a subject, then a news verb, then the report's
# name (我市发布2023年…年度报告, 市政府办公室公布《…》). 关于公布… / 现公布… are the publisher's
# own words, not a reporter's.
_NEWS_VERB = r"(发布|公布|出炉|亮相|展示|召开|推出|晒出|晒|亮出|上线|刊发|刊登|披露)"
_NEWS_ACT_RE = re.compile(r"^(?!.*关于)(?!现|特)(?P<subj>[^《》:：]{1,30}?)(正式|集中|今日|今天|近日|日前|已|已经|全面|如期|按时|依法)?"
                          + _NEWS_VERB + r"了?[《“\"]?$")


def title_reports_news_act(title: str | None) -> bool:
    """The title tells of an act about a report (我市发布2023年政府信息公开工作年度报告): news,
    unless the body itself carries the report."""
    if not title:
        return False
    t = norm_label(title)
    m = re.search(r"[《“\"]?" + _YEAR + r"年", t)
    if not m or not re.search(_REPORT_NOUN, t[m.start():]):
        return False
    return bool(_NEWS_ACT_RE.match(t[:m.start()]))


# news prose: a reporter's words about a report, not the report speaking of itself
NEWS_PROSE_RE = re.compile(
    r"(记者|通讯员|据悉|据了解|近日|(?<![\d一二三四五六七八九十])日前|报告(显示|指出)|(?<!本)(?<!年度)报告(包括|分为)|"
    r"报道|点击查看|(?<!现)(?<!现将)(发布|公布)了[^。]{0,40}(年度报告|年报))")
# the page offers the report as a file or pictures: it is the report's own page
ATTACHMENT_RE = re.compile(r"(附件|详见|下载|\.(pdf|docx?|wps|xlsx?|ofd)\b|见附|全文见|原文)", re.I)


# ------------------------------------------------------------------ body statements
# the preamble speaking of this very report
SELF_RE = re.compile(
    r"(现[将予]?(公布|公开|发布|印发)|特?编制(了|完成)?|现将)[^。;]{0,50}?" + _YEAR + r"年度?[^。;]{0,30}?"
    r"(政府信息公开|政务公开|信息公开)[^。;]{0,12}?(年度报告|年报|报告)"
    r"|编制本(年度)?(报告|年报)|本(年度)?(报告|年报)(中|所)?(所)?列(的)?数据|本(年度)?(报告|年报)(是|由|根据|依据|按照)"
    r"|本(年度)?(报告|年报)(的)?电子版|(报告|年报)(中)?所列数据")
# a body that is itself a notice, a guide, a plan or a set of rules
BODY_NEGATIVE_RE = re.compile(
    r"(印发给你们|现就有关事项通知如下|现将有关事项通知如下|通知如下|请认真贯彻|请结合实际认真贯彻|特编制本指南|编制本指南|"
    r"制定本制度|特制定本|结合.{0,12}实际[,，]?制定本(制度|办法|规定)|填报单位|报送要求)")
TABLE_VOCAB_RE = re.compile(r"(第二十条第\(?[一五六八九]\)?项|本年新收政府信息公开申请数量|上年结转政府信息公开申请数量|"
                            r"本年度办理结果|结转下年度继续办理|尚未审结)")
COLUMN_RE = re.compile(r"(政府信息公开年报|政府信息公开年度报告|公开年报|信息公开年报)$")

_YEAR_STATEMENT_RES = [
    re.compile(r"(现[将予]?(公布|公开|发布)|特?编制(了|完成)?|现将)[^。;]{0,50}?" + _YEAR + r"年度?[^。;]{0,30}?(报告|年报)"),
    re.compile(r"统计(期限|时限|时间|区间|周期)(为|是|自|从)?[:：]?" + r"((?:19|20)\d{2})年"),
    re.compile(r"((?:19|20)\d{2})年1月1日(起)?(至|到|-|—|~)"),
    re.compile(r"截[止至](到)?((?:19|20)\d{2})年12月31日"),
    re.compile(_YEAR + r"年度?(政府信息公开|政务公开|信息公开)"),
    re.compile(r"^((?:19|20)\d{2})年(度|以来)?[,，]?(我|本|全)"),
]


def year_from_statements(text: str) -> int | None:
    """The reporting year from the body's statements (preamble, statistics period, narrative)."""
    tn = norm_label(text[:6000]) if text else ""
    for rx in _YEAR_STATEMENT_RES:
        for m in rx.finditer(tn):
            y = next((g for g in m.groups() if g and re.fullmatch(_YEAR, g)), None)
            if y:
                v = _cn_year(y)
                if 1990 <= v <= 2100:
                    return v
    # narrative lines that open with the year (2020年度我街办…)
    for ln in text.splitlines()[:200]:
        m = re.match(r"^\s*((?:19|20)\d{2})\s*年", t2s(ln))
        if m and len(ln) > 20:
            return int(m.group(1))
    return None


# ------------------------------------------------------------------ agency evidence
_NAME = r"(?P<name>[^,，。、;；:：《》“”\"'()（）\s]{2,40}?)"
_PREAMBLE_AGENCY_RES = [
    re.compile(r"现[将予]?(公布|公开|发布)" + _NAME + _YEAR + r"年度?"),
    re.compile(r"现将" + _NAME + _YEAR + r"年度?[^。]{0,30}?报告"),
    re.compile(r"本(年度)?(报告|年报)(是)?(根据[^。]{0,120}?)?由" + _NAME + r"(根据|依据|按照|综合|汇总|编制|负责|会同|牵头)"),
    re.compile(r"[,，。]" + _NAME + r"编制了?" + _YEAR + r"年度?[^。]{0,20}?报告"),
]
_CONTACT_RE = re.compile(r"(请|可)(与|向|联系)" + _NAME + r"(联系|[(（]|咨询|反映)")
_INFO_AGENCY_RE = re.compile(r"(发布机构|發布機構|发文机关|發文機關|发布单位|發布單位|公开主体|公開主體|制发机关)\s*[:：]?[\s|｜\t]*([^\s|｜\t]{2,40})")
_SOURCE_RE = re.compile(r"(?<![\u3400-\u9fff])(来源|來源|信息来源|信息來源|文章来源)\s*[:：]?[\s|｜\t]*([^\s|｜\t]{2,40})")
_DATE_LINE_RE = re.compile(r"^\s*((?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十〇○]{1,3}\s*月\s*[\d一二三四五六七八九十〇○]{1,3}\s*日\s*$")


def agency_from_title(title: str | None) -> str | None:
    """The issuer named in the title: before the year (XX2021年…), or after it (2013年度XX政府信息公开…)."""
    if not title:
        return None
    t = title.strip()
    if COVER_LETTER_RE.search(norm_label(t)) or re.search(r"(关于|關於)(报送|報送|呈报|上报)", t):
        # a cover letter: the sender before 关于, else the report's own title inside 《》
        m = re.match(r"^(.+?)(关于|關於)", t)
        if m and plausible_agency(m.group(1)):
            return plausible_agency(m.group(1))
        inner = re.search(r"《([^《》]+)》", t)
        return agency_from_title(inner.group(1)) if inner else None
    m = re.match(r"^(.*?)\s*(?:关于|關於)?\s*(?:(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4}|20[xX]{2})\s*年", t)
    if m:
        a = m.group(1).strip(" 《》“”\"'：:,，、")
        a = re.sub(r"(关于|關於)$", "", a).strip()
        a = re.sub(r"^(关于|關於)?(报送|呈报|上报|印发|公布|发布)《?", "", a).strip()
        a = re.sub(r"^.*[:：](?=.)", "", a)  # "图解:" and the like
        a = re.sub(r"(正式|集中|今日|近日|日前|已)?" + _NEWS_VERB + r"了?$", "", a)  # 某县发布2021年…
        if a:
            return plausible_agency(a)
        rest = t[m.end():]
        m2 = re.match(r"^\s*度?\s*([^\s《》]{2,30}?)\s*(?:政府信息公開|政府信息公开|政務公開|政务公开|信息公開|信息公开)", rest)
        if m2:
            cand = m2.group(1)
            # 2013年度谢塘镇政府信息公开 → 谢塘镇 (the 政府 of 政府信息公开 is not part of the name);
            # 2022年上海市政府信息公开 → 上海市 (a place name stands for its government)
            ok = _is_org(cand) or re.search(r"(省|市|县|区|自治区|自治州|州|盟|旗)$", t2s(cand))
            return plausible_agency(cand) if ok else None
    return None


def split_title_agency(lines: list[str], title: str | None) -> str | None:
    """An issuer printed on the line above a title that starts with the year (孝感市人民政府办公室 / 2020年…报告)."""
    if not title or not re.match(r"^\s*(?:关于|關於)?\s*(?:(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*年", title):
        return None
    tn = norm_label(title)
    for i, ln in enumerate(lines[:80]):
        if norm_label(ln) == tn and i > 0:
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            if j >= 0:
                prev = lines[j].strip()
                if len(prev) <= 30 and _is_org(prev):
                    return plausible_agency(prev)
            return None
    return None


def agency_from_preamble(text: str) -> str | None:
    head = t2s(re.sub(r"[ \t\u3000]+", "", text[:3000]))
    for rx in _PREAMBLE_AGENCY_RES:
        for m in rx.finditer(head):
            name = m.group("name")
            # back to the published spelling: same position in the original when lengths agree
            a = plausible_agency(_published_spelling(text, name))
            if a and _is_org(t2s(a)):
                return a
    return None


def agency_from_contact(text: str) -> str | None:
    head = t2s(re.sub(r"[ \t\u3000]+", "", text[:4000]))
    for m in _CONTACT_RE.finditer(head):
        name = m.group("name")
        if re.search(r"(科|股|处|组|岗)$", name) or (name.endswith("室") and not name.endswith("办公室")):
            continue  # an internal unit (…信息公开处, 党政办公室's 综合科), not the issuer
        if re.search(r"(信息公开|政务公开).{0,8}$", name) and not name.endswith(("局", "委员会", "政府")):
            continue  # the disclosure office (…办公室政府信息公开中心), not the issuer
        a = plausible_agency(_published_spelling(text, name))
        if a and _is_org(t2s(a)) and not DRAFTING_RE.search(t2s(a)):
            return a
    return None


def _published_spelling(text: str, simplified_name: str) -> str:
    flat = re.sub(r"[ \t\u3000]+", "", text[:4000])
    simp = t2s(flat)
    i = simp.find(simplified_name)
    if i >= 0 and len(simp) == len(flat):
        return flat[i:i + len(simplified_name)]
    return simplified_name


def agency_from_info(lines: list[str]) -> str | None:
    """发布机构 / 发文机关 / 发布单位 of the information table (pipe rows included)."""
    for ln in lines[:60]:
        s = ln.strip()
        if len(s) > 300 or s.startswith(("根据", "本报告")):
            continue
        m = _INFO_AGENCY_RE.search(s)
        if m:
            a = plausible_agency(m.group(2))
            if a:
                return a
    return None


def agency_from_source(lines: list[str]) -> str | None:
    """A 来源: line; often a website (本网, 原创), which is no evidence."""
    for ln in lines[:60]:
        s = ln.strip()
        if len(s) > 200:
            continue
        m = _SOURCE_RE.search(s)
        if m:
            a = plausible_agency(m.group(2))
            if a and _is_org(t2s(a)):
                return a
    return None


def agency_from_signature(lines: list[str]) -> str | None:
    """The body signing at the end: an organisation's name followed by a date."""
    tail = [ln.strip() for ln in lines[-12:] if ln.strip()]
    for i in range(len(tail) - 1, 0, -1):
        if _DATE_LINE_RE.match(tail[i]):
            prev = tail[i - 1]
            if len(prev) <= 40 and _is_org(prev):
                return plausible_agency(prev)
    return None


def breadcrumb_orgs(lines: list[str]) -> list[str]:
    out = []
    for ln in lines[:40]:
        if ">" in ln or "＞" in ln or "»" in ln:
            for part in re.split(r"[>＞»]", ln):
                p = re.sub(r"^(当前位置|您的位置|你的位置|所在位置)[:：]?", "", part.strip())
                a = plausible_agency(p)
                if a and _is_org(t2s(a)):
                    out.append(a)
    return out


def resolve_short(name: str, candidates: list[str | None]) -> str:
    """A short name (财金局) resolved to the full name another piece of evidence gives."""
    for c in candidates:
        if c and c != name and expands(name, c):
            return c
    return name


# ------------------------------------------------------------------ site-wide defaults
_OWNER_LINE_RE = re.compile(r"(主办单位|主辦單位|主办|版权所有|版權所有|主办方)\s*[:：]?\s*[©(（c)）\s]*([\u3400-\u9fff]{2,30})")
_SITE_SUFFIX_RE = re.compile(r"(门户网站|門戶網站|政府网站|政府網站|官方网站|官網|官网|网站|網站|政府网|政府網|门户网|门户|网|網)$")


def site_owners(site_name: str | None, html_title: str | None, lines: list[str]) -> set[str]:
    """Who runs the site: SiteName, the site part of <title>, 主办单位 / 版权所有 in the footer."""
    out: set[str] = set()
    names = [site_name or ""]
    if html_title:
        parts = [p for p in re.split(r"\s*[_|｜]\s*|\s+[-—–]\s+", html_title) if p.strip()]
        if len(parts) > 1:
            names.append(parts[-1])
    for ln in lines[-60:]:
        m = _OWNER_LINE_RE.search(ln)
        if m:
            names.append(m.group(2))
    for n in names:
        n = re.sub(r"\s+", "", t2s(n or ""))
        n = _SITE_SUFFIX_RE.sub("", n)
        if len(n) >= 2:
            out.add(n)
    return out


def is_site_default(name: str, owners: set[str]) -> bool:
    """``name`` is the site's owner or its parent government: what every page of the site says."""
    n = t2s(name)
    for o in owners:
        if n == o or n == o + "人民政府" or o == n + "人民政府" or (o.startswith(n) and len(o) - len(n) <= 4):
            return True
        if n.endswith("人民政府") and n[:-4] and o.startswith(n[:-4]):
            return True
    return False
