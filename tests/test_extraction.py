"""The crawl path (read_page) takes title, issuer and date from the best evidence on a page.

Pages shaped like real TRS article pages: ArticleTitle / PubDate / ContentSource meta tags, a
索引号 information table, a 来源 line, a breadcrumb, the report, a signature, a footer. The
ContentSource and 来源 of such portals are often a site-wide default (the parent government on
every page, a former name), a digit, or the drafting office: none of that is evidence of the issuer.
"""
from __future__ import annotations

from html import escape

from harvester.extraction import read_page

URL = "http://www.sim-trs.gov.cn/xxgk/bmxxgk/czj/gzbg/201701/t20170120_1.html"

BODY = (
    "<p>一、总体情况</p><p>{year}年,我局认真贯彻落实《中华人民共和国政府信息公开条例》,扎实推进政府信息公开工作。</p>"
    "<p>二、主动公开政府信息情况</p><p>全年主动公开政府信息86条。</p>"
    "<p>三、依申请公开政府信息情况</p><p>全年未收到政府信息公开申请。</p>"
    "<p>四、政府信息公开的收费及减免情况</p><p>未收取任何费用。</p>"
    "<p>五、因政府信息公开申请提起行政复议、行政诉讼的情况</p><p>无。</p>"
    "<p>六、存在的主要问题及改进措施</p><p>信息更新不够及时,下一步加强栏目维护。</p>"
)


def trs_page(*, title, source, published="2017-01-20", info_agency=None, site="平潭综合实验区门户网站",
             crumb="部门信息公开", preamble="", signature=None, body=BODY, year=2016,
             encoding="utf-8") -> bytes:
    info = ""
    if info_agency is not None:
        info = ('<table class="xxgk"><tr><td>索引号：</td><td>XM0001-0200-2017-00005</td>'
                '<td>分类：</td><td>政府信息公开年报</td></tr>'
                f'<tr><td>发布机构：</td><td>{escape(info_agency)}</td><td>发文日期：</td><td>{published}</td></tr>'
                f'<tr><td>标题：</td><td colspan="3">{escape(title)}</td></tr></table>')
    sign = ""
    if signature:
        sign = f'<p style="text-align:right">{escape(signature)}</p><p style="text-align:right">2017年1月20日</p>'
    html = (
        f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>{escape(title)}_{escape(site)}</title>'
        f'<meta name="SiteName" content="{escape(site)}"><meta name="ColumnName" content="政府信息公开年报">'
        f'<meta name="ArticleTitle" content="{escape(title)}"><meta name="PubDate" content="{published} 09:30">'
        f'<meta name="ContentSource" content="{escape(source)}"></head><body>'
        '<div class="top">今天是：<script>document.write(Date())</script> <a>无障碍</a></div>'
        f'<div class="crumb">当前位置：<a>首页</a> &gt; <a>政府信息公开</a> &gt; <a>{escape(crumb)}</a></div>'
        f"{info}<h1>{escape(title)}</h1>"
        f'<div class="info">发布时间：{published}　来源：{escape(source)}　浏览次数：321</div>'
        f'<div class="TRS_Editor">{preamble}{body.format(year=year)}{sign}</div>'
        '<div class="tools">【打印本页】【关闭窗口】</div>'
        f'<div class="footer">主办单位：平潭综合实验区管委会办公室　网站标识码：3501280001</div></body></html>'
    )
    return html.encode(encoding)


def test_short_name_in_title_resolved_from_the_signature_not_the_site_default():
    page = trs_page(title="财金局2016年政府信息公开工作年度报告", source="平潭县人民政府",
                    signature="平潭综合实验区财政金融局")
    out = read_page(page, URL, "text/html; charset=utf-8")
    assert out["is_annual_report"] and out["year"] == 2016
    assert out["agency"] == "平潭综合实验区财政金融局"
    assert out["title"] == "财金局2016年政府信息公开工作年度报告"
    assert out["published"] == "2017-01-20"


def test_short_name_resolved_from_the_department_breadcrumb():
    page = trs_page(title="财金局2016年政府信息公开工作年度报告", source="平潭县人民政府", crumb="财政金融局")
    assert read_page(page, URL, "text/html")["agency"] == "财政金融局"


def test_the_department_column_beats_a_stale_site_wide_source():
    # the district renamed itself; every page still says 平潭县人民政府
    page = trs_page(title="2016年政府信息公开工作年度报告", source="平潭县人民政府", crumb="财政金融局")
    assert read_page(page, URL, "text/html")["agency"] == "财政金融局"


def test_a_digit_content_source_gives_way_to_the_info_table():
    page = trs_page(title="2019年政府信息公开工作年度报告", source="1", year=2019,
                    info_agency="平潭综合实验区经济发展局", published="2020-01-15")
    out = read_page(page, URL, "text/html")
    assert out["agency"] == "平潭综合实验区经济发展局" and out["year"] == 2019
    assert out["published"] == "2020-01-15"


def test_the_drafting_office_as_source_does_not_override_the_title():
    page = trs_page(title="平潭综合实验区社会事业局2018年政府信息公开工作年度报告", source="管委会办公室",
                    year=2018)
    assert read_page(page, URL, "text/html")["agency"] == "平潭综合实验区社会事业局"
    # and is no issuer when nothing else names one
    bare = trs_page(title="2018年政府信息公开工作年度报告", source="管委会办公室", year=2018)
    assert read_page(bare, URL, "text/html")["agency"] is None


def test_an_article_title_left_at_the_site_name_gives_way_to_the_page_heading():
    page = trs_page(title="平潭综合实验区财政金融局2016年政府信息公开工作年度报告", source="1")
    page = page.replace('<meta name="ArticleTitle" content="平潭综合实验区财政金融局2016年政府信息公开工作年度报告">'.encode(),
                        '<meta name="ArticleTitle" content="平潭综合实验区门户网站">'.encode())
    assert '<meta name="ArticleTitle" content="平潭综合实验区门户网站">'.encode() in page
    out = read_page(page, URL, "text/html")
    assert out["title"] == "平潭综合实验区财政金融局2016年政府信息公开工作年度报告"
    assert out["is_annual_report"] and out["agency"] == "平潭综合实验区财政金融局" and out["year"] == 2016


def test_a_site_default_source_naming_the_parent_government_is_no_evidence():
    # title without issuer, ContentSource and 来源 = the site's owner: null, not a wrong name
    page = trs_page(title="2016年政府信息公开工作年度报告", source="平潭综合实验区管委会",
                    site="平潭综合实验区门户网站")
    out = read_page(page, URL, "text/html")
    assert out["is_annual_report"] and out["agency"] is None
    # the preamble names the issuer: that is evidence
    named = trs_page(title="2016年政府信息公开工作年度报告", source="平潭综合实验区管委会",
                     preamble="<p>根据《中华人民共和国政府信息公开条例》,现公布平潭综合实验区教育局2016年政府信息公开工作年度报告。</p>")
    assert read_page(named, URL, "text/html")["agency"] == "平潭综合实验区教育局"


def test_website_names_are_never_the_issuer_gbk_page():
    page = trs_page(title="2016年政府信息公开工作年度报告", source="本网", encoding="gbk")
    out = read_page(page, URL, "text/html")
    assert out["is_annual_report"] and out["agency"] is None and out["published"] == "2017-01-20"


def test_a_news_page_about_the_reports_is_not_a_report():
    page = trs_page(title="2021年度政府信息公开工作年度报告展示平台上线", source="本网", year=2021,
                    body="<p>为方便公众查阅,2021年度政府信息公开工作年度报告展示平台今日上线。</p>")
    out = read_page(page, URL, "text/html")
    assert not out["is_annual_report"] and out["year"] is None and out["agency"] is None


def test_an_article_title_carrying_the_site_name_is_still_the_report_title():
    page = trs_page(title="平潭综合实验区教育局2016年政府信息公开工作年度报告_平潭综合实验区门户网站", source="1")
    out = read_page(page, URL, "text/html")
    assert out["is_annual_report"] and out["year"] == 2016
    assert out["title"] == "平潭综合实验区教育局2016年政府信息公开工作年度报告"
    assert out["agency"] == "平潭综合实验区教育局"
