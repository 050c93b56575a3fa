"""Government article pages around a report body (for ``render``/``cases``).

The simulated portals have their own page templates; these pages are what the
parser's accuracy cases use: the standard meta tags, an information table,
debris around the body, and the encodings real portals send.
"""
from __future__ import annotations

import json
import random
from html import escape

ENCODINGS = ("utf-8", "gb2312-declared", "undeclared-gbk", "gbk-declared")


def _index_no(rng: random.Random, year: int) -> str:
    return f"{rng.randint(10000000, 99999999)}{rng.choice('ABCDEFGHJK')}/{year + 1}-{rng.randint(10, 99999):05d}"


def url_for(rng: random.Random, published: str, ext: str = "html", *, host: str | None = None) -> str:
    host = host or f"www.sim{rng.randint(100, 999)}.gov.cn"
    ym = published[:7].replace("-", "")
    ymd = published.replace("-", "")
    if ext == "gkmlpt":
        return f"http://{host}/gkmlpt/content/{rng.randint(0, 9)}/{rng.randint(1000, 9999)}/" \
               f"post_{rng.randint(1000000, 9999999)}.html"
    if ext == "html":
        style = rng.randrange(2)
        if style == 0:
            return f"http://{host}/xxgk/gknb/{ym}/t{ymd}_{rng.randint(100000, 9999999)}.html"
        if style == 1:
            return f"http://{host}/art/{published[:4]}/{int(published[5:7])}/{int(published[8:10])}/" \
               f"art_{rng.randint(1000, 9999)}_{rng.randint(100000, 999999)}.html"
    return f"http://{host}/xxgk/gknb/{ym}/P0{ymd}{rng.randint(100000000, 999999999)}.{ext}"


def encode_page(html: str, rng: random.Random, encoding: str | None = None) -> tuple[bytes, str, str]:
    """(bytes, content_type, charset used) for a page whose head holds ``{charset_meta}``."""
    enc = encoding or rng.choices(ENCODINGS, (6, 3, 1, 1))[0]
    if enc == "utf-8":
        page = html.replace("{charset_meta}", '<meta charset="utf-8">')
        return page.encode("utf-8"), rng.choice(("text/html; charset=utf-8", "text/html;charset=UTF-8")), "utf-8"
    if enc == "gb2312-declared":
        page = html.replace("{charset_meta}",
                            '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
        return page.encode("gb18030", "replace"), "text/html", "gb18030"
    if enc == "gbk-declared":
        page = html.replace("{charset_meta}", '<meta charset="GBK">')
        return page.encode("gb18030", "replace"), "text/html; charset=GBK", "gb18030"
    page = html.replace("{charset_meta}", "")
    return page.encode("gb18030", "replace"), "text/html", "gb18030"


def article_page(rng: random.Random, *, title: str, agency: str, published: str, body_html: str,
                 column: str = "政府信息公开年报", site: str | None = None) -> str:
    """A TRS/Hanweb style article page (string, with a ``{charset_meta}`` slot)."""
    site = site or (agency.replace("办公室", "") + "门户网站")
    container = rng.choice(('<div class="TRS_Editor">', '<div id="zoom">', '<div class="TRS_UEDITOR trs_paper_default">'))
    info = (
        '<table class="xxgk-info"><tr><td>索引号：</td><td>{idx}</td><td>主题分类：</td><td>其他</td></tr>'
        '<tr><td>发布机构：</td><td>{agency}</td><td>成文日期：</td><td>{date}</td></tr>'
        '<tr><td>名称：</td><td colspan="3">{title}</td></tr>'
        '<tr><td>文号：</td><td></td><td>发布日期：</td><td>{date}</td></tr></table>'
    ).format(idx=_index_no(rng, int(published[:4]) - 1), agency=escape(agency), date=published,
             title=escape(title))
    debris_top = rng.choice((
        '<div class="top">今天是：<script>document.write(new Date().toLocaleDateString())</script> '
        '<a href="#">无障碍</a> <a href="#">长者版</a></div>',
        '<div class="top"><a href="#">登录</a> <a href="#">注册</a></div>',
        '<div class="top">欢迎访问！ <a href="#">手机版</a></div>',
    ))
    pub_time = f"{published} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}"
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n{charset_meta}\n"
        f"<title>{escape(title)}_{escape(site)}</title>\n"
        f'<meta name="SiteName" content="{escape(site)}">\n'
        f'<meta name="SiteIDCode" content="{rng.randint(1000000000, 9999999999)}">\n'
        f'<meta name="ColumnName" content="{escape(column)}">\n'
        f'<meta name="ArticleTitle" content="{escape(title)}">\n'
        f'<meta name="PubDate" content="{pub_time}">\n'
        f'<meta name="ContentSource" content="{escape(agency)}">\n'
        "</head>\n<body>\n"
        f"{debris_top}\n"
        f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a> &gt; '
        f'<a href="./">{escape(column)}</a></div>\n'
        f"{info}\n"
        f'<div class="article"><h1 class="title">{escape(title)}</h1>\n'
        f'<div class="info">发布日期：{published}　来源：{escape(agency)}　浏览次数：{rng.randint(10, 5000)}　'
        "【字体：<a>大</a> <a>中</a> <a>小</a>】</div>\n"
        f"{container}\n{body_html}\n</div>\n"
        '<div class="share">分享到：</div><div class="tools">【打印本页】【关闭窗口】</div>\n'
        '<div class="qr">扫一扫在手机打开当前页</div>\n'
        '<div class="prevnext">上一篇：<a href="#">关于公布政府信息公开指南的通知</a><br>下一篇：<a href="#">无</a></div>\n'
        "</div>\n"
        f'<div class="footer">主办单位：{escape(agency)}　网站标识码：{rng.randint(1000000000, 9999999999)}　'
        f"ICP备{rng.randint(10000000, 99999999)}号　公网安备 {rng.randint(10**13, 10**14 - 1)}号</div>\n"
        "<script>/* 政府网站找错 */ var _jiucuo_ = '';</script>\n"
        "</body>\n</html>\n"
    )


def gkmlpt_page(rng: random.Random, *, title: str, agency: str, published: str, body_html: str,
                epoch: int) -> str:
    """A Guangdong gkmlpt article page: the body only in ``window._CONFIG.DETAIL.content``."""
    detail = {
        "id": rng.randint(1000000, 9999999),
        "title": title,
        "content": body_html,
        "publisher": agency,
        "source": agency,
        "date": epoch,
        "identifier": _index_no(rng, int(published[:4]) - 1),
        "document_number": "",
        "attachment": [],
    }
    detail_js = json.dumps(detail, ensure_ascii=rng.random() < 0.5).replace("</", "<\\/")
    sid = rng.choice(("757", "753", "759", "751"))
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n{charset_meta}\n"
        f"<title>{escape(title)}</title>\n"
        '<link rel="stylesheet" href="/gkmlpt/static/css/app.css">\n'
        "</head>\n<body>\n<div id=\"app\"></div>\n<script>\n"
        f"window._CONFIG = {{SID:'{sid}', TREE:[{{id: 2{rng.randint(1000, 9999)}, name:\"政府信息公开年报\", "
        f"parent: 0}}], DETAIL: {detail_js}, IS_DETAIL: true}};\n"
        "</script>\n<script src=\"/gkmlpt/static/js/app.js\"></script>\n</body>\n</html>\n"
    )
