"""Bodies of the non-report items and ordinary portal content (family-independent)."""

from __future__ import annotations

import random
import struct
import zlib
from html import escape

HEADLINES = (
    "市政府召开常务会议研究部署近期重点工作", "全市安全生产工作会议召开", "我市举行重大项目集中开工活动",
    "市领导调研乡村振兴工作", "全市优化营商环境工作推进会召开", "我市开展防汛应急演练",
    "市政府与高校签署战略合作协议", "全市政务公开工作培训会举行", "我市启动“我为群众办实事”实践活动",
    "全市秋冬季森林防火工作部署会召开", "我市举办民营企业招聘月活动", "市政府新闻办举行新闻发布会",
)


def compile_notice_html(gov: str, office: str, year: int, deadline_year: int) -> str:
    return (
        f"<p>各镇人民政府（街道办事处），{gov}各部门、各直属机构：</p>"
        f"<p>根据《中华人民共和国政府信息公开条例》和上级有关要求，为做好{year}年度政府信息公开工作年度报告"
        "编制和发布工作，现将有关事项通知如下：</p>"
        "<p>一、严格执行年度报告格式。各单位要严格按照《中华人民共和国政府信息公开工作年度报告格式》"
        "（国办公开办函〔2021〕30号）编制年度报告，做到数据准确、内容完整。</p>"
        f"<p>二、按时发布。各单位应于{deadline_year}年1月31日前在本单位政府信息公开专栏“政府信息公开年报”栏目发布，"
        f"并将年度报告电子版报送{office}。</p>"
        "<p>三、加强审核。年度报告发布前应履行审核程序，确保表格数据逻辑一致，"
        "第一项加第二项之和等于第三项加第四项之和。</p>"
        f"<p style=\"text-align:right\">{office}</p>"
        f"<p style=\"text-align:right\">{year}年12月{random.Random(year).randint(10, 28)}日</p>"
    )


def guide_update_html(gov: str, office: str, year: int) -> str:
    return (
        f"<p>为进一步做好政府信息公开工作，方便公民、法人和其他组织获取{gov}政府信息，"
        f"根据《中华人民共和国政府信息公开条例》，{office}对《{gov}政府信息公开指南》进行了修订，现予公布。</p>"
        "<p>一、主动公开</p><p>（一）公开范围。本机关主动公开的政府信息包括机构职能、政策文件、规划计划等。</p>"
        "<p>（二）公开方式。通过政府门户网站政府信息公开专栏、政务新媒体、政府公报等方式公开。</p>"
        "<p>二、依申请公开</p><p>公民、法人或者其他组织可以通过当面、邮寄、网上申请等方式提出政府信息公开申请。</p>"
        f"<p>三、受理机构</p><p>{office}，办公时间：工作日上午8:30-12:00，下午14:30-17:30。</p>"
    )


def work_summary_html(short: str, year: int, rng: random.Random) -> str:
    return (
        f"<p>{year}年，{short}政务公开工作认真贯彻落实党中央、国务院关于全面推进政务公开的决策部署，"
        "现将全年工作总结如下：</p>"
        f"<p>一、{year}年工作成效</p><p>（一）完善平台栏目建设。全年通过政府网站发布各类信息"
        f"{rng.randint(900, 6000)}条，回应社会关切{rng.randint(5, 40)}次。</p>"
        "<p>（二）加强政策解读。坚持政策文件与解读材料同步组织、同步审签、同步部署。</p>"
        "<p>二、存在的不足</p><p>部分单位对政务公开工作重视不够，信息更新不够及时。</p>"
        f"<p>三、{year + 1}年工作思路</p><p>进一步推进基层政务公开标准化规范化建设。</p>"
    )


def graphic_captions(agency: str, year: int) -> list[str]:
    return [
        f"{agency}{year}年政府信息公开工作年度报告（图解）",
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    ]


def news_html(title: str, short: str, rng: random.Random) -> str:
    return (
        f"<p>{rng.randint(1, 28)}日，{title}。</p>"
        "<p>会议强调，要坚持以人民为中心的发展思想，扎实做好各项工作，确保各项任务落到实处。</p>"
    )


def tiny_png(rng: random.Random, width: int = 16, height: int = 12) -> bytes:
    """A valid, deterministic, small PNG (a flat colour with a darker band)."""
    r, g, b = rng.randint(120, 250), rng.randint(120, 250), rng.randint(120, 250)
    rows = []
    for y in range(height):
        px = bytes((r // 2, g // 2, b // 2)) if y in (0, height - 1) else bytes((r, g, b))
        rows.append(b"\x00" + px * width)
    raw = b"".join(rows)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def esc(s: str) -> str:
    return escape(s, quote=True)
