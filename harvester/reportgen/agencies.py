"""Realistic issuing bodies across administrative levels.

Place names are real prefectures/counties; the combinations (e.g. a given
township under a given county) are generated and need not exist.
"""
from __future__ import annotations

import random

MINISTRIES = (
    "国家发展和改革委员会", "教育部", "科学技术部", "工业和信息化部", "民政部", "司法部",
    "财政部", "人力资源和社会保障部", "自然资源部", "生态环境部", "住房和城乡建设部",
    "交通运输部", "水利部", "农业农村部", "商务部", "文化和旅游部", "国家卫生健康委员会",
    "应急管理部", "审计署", "国家市场监督管理总局", "国家统计局", "国家医疗保障局",
)

PROVINCES = ("广东省", "吉林省", "浙江省", "江苏省", "四川省", "湖南省", "河南省", "山东省",
             "福建省", "江西省", "广西壮族自治区", "云南省")

# (city, province, counties)
CITIES = (
    ("梅州市", "广东省", ("梅江区", "梅县区", "平远县", "蕉岭县", "大埔县", "丰顺县", "五华县", "兴宁市")),
    ("湛江市", "广东省", ("赤坎区", "霞山区", "吴川市", "廉江市", "雷州市", "遂溪县", "徐闻县")),
    ("韶关市", "广东省", ("浈江区", "武江区", "始兴县", "仁化县", "翁源县", "乳源瑶族自治县", "南雄市")),
    ("辽源市", "吉林省", ("龙山区", "西安区", "东丰县", "东辽县")),
    ("温州市", "浙江省", ("鹿城区", "龙湾区", "瑞安市", "乐清市", "永嘉县", "泰顺县", "文成县")),
    ("盐城市", "江苏省", ("亭湖区", "盐都区", "大丰区", "东台市", "射阳县", "阜宁县", "建湖县")),
    ("绵阳市", "四川省", ("涪城区", "游仙区", "安州区", "江油市", "三台县", "盐亭县", "梓潼县")),
    ("常德市", "湖南省", ("武陵区", "鼎城区", "津市市", "安乡县", "汉寿县", "澧县", "临澧县")),
    ("南阳市", "河南省", ("宛城区", "卧龙区", "邓州市", "南召县", "方城县", "西峡县", "镇平县")),
    ("潍坊市", "山东省", ("奎文区", "潍城区", "寒亭区", "青州市", "诸城市", "寿光市", "安丘市")),
    ("三明市", "福建省", ("三元区", "沙县区", "永安市", "明溪县", "清流县", "宁化县", "大田县")),
    ("赣州市", "江西省", ("章贡区", "南康区", "赣县区", "瑞金市", "龙南市", "信丰县", "大余县")),
    ("桂林市", "广西壮族自治区", ("秀峰区", "叠彩区", "象山区", "阳朔县", "灵川县", "全州县", "兴安县")),
    ("曲靖市", "云南省", ("麒麟区", "沾益区", "马龙区", "宣威市", "陆良县", "师宗县", "罗平县")),
)

TOWN_STEMS = ("司前", "太平", "新城", "石门", "城关", "龙潭", "黄坡", "梅菉", "长岭", "白沙", "大坪",
              "马头", "东山", "西湖", "南岭", "北坪", "青山", "桥头", "清溪", "塘口", "河西", "高桥")

PROVINCE_DEPTS = ("教育厅", "财政厅", "自然资源厅", "生态环境厅", "住房和城乡建设厅", "交通运输厅",
                  "卫生健康委员会", "市场监督管理局", "人力资源和社会保障厅", "民政厅", "司法厅")

LOCAL_DEPTS = ("发展和改革局", "教育局", "公安局", "民政局", "司法局", "财政局",
               "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局",
               "水务局", "农业农村局", "商务局", "文化广电旅游体育局", "卫生健康局", "应急管理局",
               "审计局", "市场监督管理局", "统计局", "医疗保障局", "政务服务数据管理局", "林业局")

CITY_DEPT_OVERRIDES = {"发展和改革局": "发展和改革委员会", "卫生健康局": "卫生健康委员会"}


def _one(rng: random.Random) -> str:
    level = rng.random()
    if level < 0.06:
        return rng.choice(MINISTRIES)
    if level < 0.14:
        prov = rng.choice(PROVINCES)
        return prov + (rng.choice(PROVINCE_DEPTS) if rng.random() < 0.7 else "人民政府办公厅")
    city, _prov, counties = rng.choice(CITIES)
    if level < 0.30:
        return city + rng.choice(("人民政府", "人民政府办公室", "人民政府"))
    if level < 0.45:
        dept = rng.choice(LOCAL_DEPTS)
        return city + CITY_DEPT_OVERRIDES.get(dept, dept)
    county = rng.choice(counties)
    if level < 0.62:
        return county + rng.choice(("人民政府", "人民政府办公室"))
    if level < 0.78:
        return county + rng.choice(LOCAL_DEPTS)
    stem = rng.choice(TOWN_STEMS)
    kind = rng.choice(("镇人民政府", "镇人民政府", "乡人民政府", "街道办事处", "镇人民政府办公室"))
    if rng.random() < 0.5:
        return stem + kind
    return county + stem + kind


def agency(rng: random.Random) -> str:
    """One realistic agency name."""
    return _one(rng)


def agencies(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct realistic agency names, in a deterministic order for a given rng state."""
    out: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < n:
        name = _one(rng)
        attempts += 1
        if name in seen:
            if attempts > 50 * n + 10000:
                raise ValueError(f"cannot make {n} distinct agency names")
            continue
        seen.add(name)
        out.append(name)
    return out


def short_name(agency_name: str) -> str:
    """The place/body part used in prose (我市/我县/我局...) -> self reference."""
    for suffix, ref in (("人民政府办公室", "我办"), ("人民政府办公厅", "我厅"), ("街道办事处", "我街道"),
                        ("镇人民政府", "我镇"), ("乡人民政府", "我乡"), ("人民政府", "本机关"),
                        ("委员会", "我委"), ("厅", "我厅"), ("局", "我局"), ("部", "我部"), ("署", "我署")):
        if agency_name.endswith(suffix):
            return ref
    return "本机关"


def region_of(agency_name: str) -> str:
    """Best-effort region prefix (e.g. 梅州市, 平远县) for prose."""
    for city, _p, counties in CITIES:
        for c in counties:
            if c in agency_name:
                return c
        if agency_name.startswith(city):
            return city
    for p in PROVINCES:
        if agency_name.startswith(p):
            return p
    return ""


#: a fixed list of realistic names across levels (ministry, province dept, city, county,
#: county dept, township), for callers that want names without an rng
AGENCY_EXAMPLES: tuple[str, ...] = (
    "国家发展和改革委员会", "自然资源部", "广东省教育厅", "吉林省人民政府办公厅",
    "梅州市人民政府办公室", "辽源市人民政府", "温州市生态环境局", "湛江市卫生健康委员会",
    "吴川市人民政府办公室", "平远县人民政府", "东丰县自然资源局", "始兴县司前镇人民政府",
    "梅菉街道办事处", "瑞安市市场监督管理局", "澧县农业农村局", "大坪乡人民政府",
)
