"""Narrative prose of a generated report, in the register of real reports.

Every number stated here comes from the truth tables, so rule S3 (narrative vs
table) holds for every generated report.
"""
from __future__ import annotations

import random

from .agencies import region_of


def _pick(rng: random.Random, options):
    return options[rng.randrange(len(options))]


def make_preamble(rng: random.Random, truth: dict) -> str:
    a, y = truth["agency"], truth["year"]
    basis = ("《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》"
             "(国办公开办函〔2021〕30号)") if truth["format"] == "2021" else \
        "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》(国办公开办函〔2019〕60号)"
    first = _pick(rng, (
        f"根据《中华人民共和国政府信息公开条例》(国务院令第711号,以下简称《条例》)和{basis}要求,"
        f"现公布{a}{y}年政府信息公开工作年度报告。",
        f"本报告根据《中华人民共和国政府信息公开条例》和{basis}编制,"
        f"由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
        f"存在的主要问题及改进情况、其他需要报告的事项6部分组成。",
        f"按照《中华人民共和国政府信息公开条例》规定,{a}编制了{y}年政府信息公开工作年度报告。",
    ))
    second = _pick(rng, (
        f"本报告中所列数据统计期限为{y}年1月1日至{y}年12月31日。",
        f"报告所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"
        f"如对本报告有疑问,请与{a}联系。",
        f"本报告电子版可在{(region_of(a) + '人民政府') if region_of(a) else a}门户网站下载。本报告所列数据统计期限为{y}年1月1日至12月31日。",
    ))
    if rng.random() < 0.35:
        # real contact lines; the names often carry GBK-only characters (堃, 喆, 镕, 玥, 珺)
        name = rng.choice(("王", "李", "张", "陈", "刘", "黄")) + rng.choice(("堃", "喆", "镕", "玥", "珺", "敏", "伟", "静"))
        second += (f"如对本报告有疑问,请与{a}联系(联系人:{name},联系电话:0{rng.randint(710, 799)}-"
                   f"{rng.randint(2000000, 8999999)})。")
    return first + second


_OVERVIEW_POINTS = (
    ("加强组织领导", "{self}高度重视政府信息公开工作,及时调整政务公开工作领导小组,明确分管领导和具体工作人员,"
     "形成主要领导亲自抓、分管领导具体抓、工作人员抓落实的工作格局。"),
    ("做好主动公开", "围绕中心工作,及时公开规划计划、财政预决算、重大建设项目、公共资源配置等重点领域信息,"
     "全年通过政府门户网站主动公开各类政府信息{posts}条,政策解读{interp}篇。"),
    ("规范依申请公开", "严格按照《条例》规定的程序和时限办理政府信息公开申请,做到依法受理、规范答复,"
     "加强与申请人的沟通,切实保障人民群众的知情权、参与权和监督权。"),
    ("强化平台建设", "依托政府网站集约化平台,优化政府信息公开专栏设置,规范栏目内容,"
     "加强政务新媒体管理,对用户关注度低、更新不及时的账号进行清理整合。"),
    ("完善监督保障", "将政务公开工作纳入年度绩效考核,定期开展网站巡查和自查自纠,"
     "组织政务公开业务培训{training}次,不断提升工作人员业务能力。"),
    ("加强政策解读", "坚持“谁起草、谁解读”原则,做到政策文件与解读材料同步组织、同步审签、同步部署,"
     "运用图解、视频等多种形式增强解读效果。"),
    ("积极回应关切", "及时办理政府网站留言和12345热线转办件,全年办理群众留言{msgs}条,办结率100%。"),
)


def _overview(rng: random.Random, truth: dict) -> str:
    y, self_ref = truth["year"], truth["self_ref"]
    opening = _pick(rng, (
        f"{y}年,{self_ref}以习近平新时代中国特色社会主义思想为指导,认真贯彻落实《中华人民共和国政府信息公开条例》,"
        "坚持以公开为常态、不公开为例外,全面推进决策、执行、管理、服务、结果公开,政府信息公开工作取得新成效。",
        f"{y}年,{self_ref}认真贯彻落实党中央、国务院关于全面推进政务公开的决策部署,"
        "严格遵守规定程序和保密规定,扎实做好主动公开、依申请公开、政府信息管理、平台建设、监督保障等工作。",
        f"{y}年以来,{self_ref}在上级政务公开主管部门的指导下,紧紧围绕中心工作,"
        "不断健全工作机制,规范公开流程,政府信息公开工作总体运行良好。有关情况如下:",
    ))
    n = rng.randint(3, 5)
    idx = list(range(len(_OVERVIEW_POINTS)))
    rng.shuffle(idx)
    nums = "一二三四五六七"
    paras = [opening]
    fill = {"self": self_ref, "posts": rng.randint(20, 9000), "interp": rng.randint(1, 60),
            "training": rng.randint(1, 6), "msgs": rng.randint(5, 800)}
    for i, k in enumerate(sorted(idx[:n])):
        head, body = _OVERVIEW_POINTS[k]
        paras.append(f"({nums[i]}){head}。" + body.format(**fill))
    return "\n".join(paras)


def _active_text(rng: random.Random, truth: dict) -> str:
    if rng.random() < 0.5:
        return ""
    act = truth["tables"]["active_disclosure"]
    if truth["format"] == "2021":
        nd = act["art20_1"]["normative_documents"]
        return (f"{truth['year']}年,{truth['self_ref']}制发行政规范性文件{nd['issued']}件,"
                f"废止{nd['repealed']}件,现行有效{nd['in_force']}件。具体情况如下:")
    nd = act["art20_1"]["normative_documents"]
    return f"{truth['year']}年,{truth['self_ref']}新制作规范性文件{nd['made']}件,新公开{nd['published']}件。具体情况如下:"


def _lawsuits(truth: dict) -> tuple[int, int]:
    rl = truth["tables"]["review_litigation"]
    reviews = rl["review"]["total"]
    suits = rl["litigation_direct"]["total"] + rl["litigation_after_review"]["total"]
    return reviews, suits


def _applications_text(rng: random.Random, truth: dict) -> str:
    apps = truth["tables"]["applications"]
    y, s = truth["year"], truth["self_ref"]
    new, co = apps["new"]["total"], apps["carried_over"]["total"]
    rt, cf = apps["results_total"]["total"], apps["carried_forward"]["total"]
    reviews, suits = _lawsuits(truth)
    if new == 0 and co == 0:
        first = _pick(rng, (f"{y}年,{s}未收到政府信息公开申请。",
                            f"{y}年,{s}共新收政府信息公开申请0件,上年结转0件。"))
    else:
        first = _pick(rng, (
            f"{y}年,{s}共新收政府信息公开申请{new}件,上年结转{co}件,办结{rt}件,结转下年度继续办理{cf}件。",
            f"本年度共受理政府信息公开申请{new + co}件,其中新收政府信息公开申请{new}件,上年结转{co}件;"
            f"已办结{rt}件,结转下年度继续办理{cf}件。",
        ))
        np_ = apps["new"]["natural_person"]
        if new and rng.random() < 0.6:
            first += f"新收申请中,自然人申请{np_}件,法人或其他组织申请{new - np_}件。"
    if reviews == 0 and suits == 0:
        second = "全年未发生因政府信息公开工作引起的行政复议、行政诉讼案件。"
    else:
        second = f"因政府信息公开工作被申请行政复议{reviews}件,被提起行政诉讼{suits}件。"
    third = _pick(rng, ("所有申请均在法定期限内予以答复。", "对申请人提出的申请,均依法依规予以答复,未发生超期答复情况。", ""))
    return first + second + third


def _review_text(rng: random.Random, truth: dict) -> str:
    reviews, suits = _lawsuits(truth)
    if rng.random() < 0.6:
        return ""
    if reviews == 0 and suits == 0:
        return f"{truth['year']}年,{truth['self_ref']}未发生政府信息公开行政复议、行政诉讼案件。"
    return f"{truth['year']}年,{truth['self_ref']}因政府信息公开工作被申请行政复议{reviews}件,被提起行政诉讼{suits}件。"


_PROBLEMS = (
    "政府信息公开的及时性和全面性有待提高,个别栏目更新不够及时",
    "政策解读形式较为单一,图解、视频等解读形式运用不多",
    "工作人员变动频繁,业务能力有待进一步提升",
    "基层政务公开标准化规范化建设还需深化",
    "依申请公开答复的规范性有待进一步加强",
    "政务新媒体管理还需加强,互动回应不够及时",
)
_FIXES = (
    "加强业务培训,定期组织开展政务公开业务培训和研讨交流,提高工作人员业务水平",
    "丰富解读形式,综合运用图片图表、音频视频等方式开展解读,提升解读质量",
    "健全工作机制,严格落实信息发布审查制度,确保公开信息准确规范",
    "加强栏目维护,建立栏目更新台账,确保各栏目内容及时更新",
    "规范依申请公开办理流程,完善答复文书格式,提升依申请公开办理质量",
    "持续推进基层政务公开标准化规范化建设,动态更新公开事项目录",
)


def _problems_text(rng: random.Random, truth: dict) -> str:
    y = truth["year"]
    p = list(_PROBLEMS)
    f = list(_FIXES)
    rng.shuffle(p)
    rng.shuffle(f)
    k = rng.randint(2, 3)
    order = "一二三"
    probs = ";".join(f"{order[i]}是{p[i]}" for i in range(k))
    fixes = ";".join(f"{order[i]}是{f[i]}" for i in range(k))
    return (f"{y}年,{truth['self_ref']}政府信息公开工作取得了一定成效,但仍存在一些不足:{probs}。"
            f"\n下一步,我们将采取以下措施加以改进:{fixes}。")


def _other_text(rng: random.Random, truth: dict) -> str:
    y = truth["year"]
    if truth["format"] == "2021":
        return _pick(rng, (
            f"依据《政府信息公开信息处理费管理办法》收取信息处理费的情况:{y}年,{truth['self_ref']}未收取信息处理费。",
            f"{y}年度{truth['self_ref']}未发出收费通知,未收取信息处理费。",
            "本年度无其他需要报告的事项。",
        ))
    return _pick(rng, ("无。", f"{y}年度{truth['self_ref']}未收取政府信息公开相关费用。", "本年度无其他需要报告的事项。"))


def make_narrative(rng: random.Random, truth: dict) -> dict:
    """Section key -> text (paragraphs separated by "\\n")."""
    return {
        "overview": _overview(rng, truth),
        "active_disclosure": _active_text(rng, truth),
        "applications": _applications_text(rng, truth),
        "review_litigation": _review_text(rng, truth),
        "problems": _problems_text(rng, truth),
        "other": _other_text(rng, truth),
    }
