"""Identities of the simulated portals: places, agencies, people.

All names are realistic but the sites are simulated; nothing here is ever contacted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    key: str  # id suffix: "sim-<key>"
    gov: str  # 梅州市人民政府
    office: str  # 梅州市人民政府办公室
    short: str  # 梅州市 (prefix for department names)
    province_abbr: str  # 粤 (ICP / 公网安备 prefix)
    site_code: str  # 网站标识码
    domain: str  # informative only
    departments: tuple[str, ...]
    townships: tuple[str, ...]
    phone_prefix: str
    level: str  # "city" or "county"


_CITY_DEPTS = (
    "发展和改革局", "教育局", "财政局", "自然资源局", "生态环境局", "住房和城乡建设局",
    "卫生健康局", "市场监督管理局", "人力资源和社会保障局", "交通运输局", "农业农村局",
    "民政局", "司法局", "应急管理局", "统计局",
)

PLACES: tuple[Place, ...] = (
    Place("meizhou", "梅州市人民政府", "梅州市人民政府办公室", "梅州市", "粤", "4414000003",
          "www.meizhou.gov.cn", _CITY_DEPTS, ("梅江区人民政府", "梅县区人民政府"), "0753", "city"),
    Place("yongqiao", "宿州市埇桥区人民政府", "埇桥区人民政府办公室", "埇桥区", "皖", "3413020001",
          "www.yongqiao.gov.cn",
          ("教育体育局", "财政局", "民政局", "卫生健康委员会", "自然资源和规划局", "农业农村局",
           "住房和城乡建设局", "市场监督管理局"),
          ("符离镇", "夹沟镇", "曹村镇", "蒿沟镇", "栏杆镇", "大店镇", "埇桥区城东街道"), "0557", "county"),
    Place("shixing", "始兴县人民政府", "始兴县人民政府办公室", "始兴县", "粤", "4402220001",
          "www.gdsx.gov.cn",
          ("发展和改革局", "教育局", "财政局", "卫生健康局", "自然资源局", "农业农村局", "人力资源和社会保障局"),
          ("司前镇", "太平镇", "马市镇", "澄江镇", "顿岗镇", "罗坝镇", "深渡水瑶族乡"), "0751", "county"),
    Place("liaoyuan", "辽源市人民政府", "辽源市人民政府办公室", "辽源市", "吉", "2204000001",
          "www.liaoyuan.gov.cn", _CITY_DEPTS, ("龙山区人民政府", "西安区人民政府"), "0437", "city"),
    Place("wuchuan", "吴川市人民政府", "吴川市人民政府办公室", "吴川市", "粤", "4408830001",
          "www.gdwc.gov.cn",
          ("发展和改革局", "教育局", "财政局", "卫生健康局", "自然资源局", "民政局"),
          ("梅菉街道", "博铺街道", "黄坡镇", "塘缀镇", "浅水镇", "长岐镇"), "0759", "county"),
)

# Given names with characters outside GB2312 but inside GBK: a GBK page that decodes
# correctly only with gbk/gb18030 contains at least one of them.
GBK_ONLY_GIVEN = ("珺", "喆", "堃", "镕", "昇", "玥", "燊", "翀", "琤", "瑄")
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "朱", "邓")
COMMON_GIVEN = ("伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明")


def township_agency(place: Place, township: str) -> str:
    if township.endswith("人民政府"):
        return township
    if township.endswith("街道"):
        return township + "办事处"
    return township + "人民政府"


def department_agency(place: Place, dept: str) -> str:
    return place.short + dept


def is_gb2312(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def has_gbk_only_char(text: str) -> bool:
    """True when text holds a character that GBK has and GB2312 lacks."""
    for ch in text:
        if ord(ch) < 0x80 or is_gb2312(ch):
            continue
        try:
            ch.encode("gbk")
        except UnicodeEncodeError:
            continue
        return True
    return False
