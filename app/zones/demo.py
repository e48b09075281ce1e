"""Demo zones for `seed demo`: all 6 types × 3 levels, every public status, several districts,
with timelines dated over two batches. Every name is fictional and marked as demo data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app import uow
from app.extensions import db
from app.zones import editing, lifecycle
from app.zones.constants import INDICATORS, Status, ZoneType
from app.zones.models import District, Zone

# (name, type, level, district, applicant, applicant kind, address)
DEMO_ZONES = [
    (
        "北湖科技园低碳园区",
        "park",
        "low_carbon",
        "长春新区",
        "北湖科技开发区管理委员会",
        "park_committee",
        "长春新区北湖大街",
    ),
    (
        "汽开区零部件产业园",
        "park",
        "near_zero",
        "长春汽车经济技术开发区",
        "汽车零部件产业园管理委员会",
        "park_committee",
        "汽开区东风大街",
    ),
    (
        "净月数字经济产业园",
        "park",
        "zero_carbon",
        "长春净月高新技术产业开发区",
        "数字经济产业园管理委员会",
        "park_committee",
        "净月区博硕路",
    ),
    (
        "九台农产品加工园",
        "park",
        "low_carbon",
        "九台区",
        "九台农产品加工园管理委员会",
        "park_committee",
        "九台区营城街道",
    ),
    (
        "光电信息产业园",
        "park",
        "near_zero",
        "长春高新技术产业开发区",
        "光电信息产业园管理委员会",
        "park_committee",
        "高新区卓越大街",
    ),
    (
        "中韩示范区绿色物流园",
        "park",
        "zero_carbon",
        "中韩（长春）国际合作示范区",
        "绿色物流园管理委员会",
        "park_committee",
        "中韩示范区兴隆大街",
    ),
    (
        "长春示例汽车座椅有限公司",
        "factory",
        "low_carbon",
        "绿园区",
        "长春示例汽车座椅有限公司",
        "factory",
        "绿园区西新工业园",
    ),
    (
        "长春示例轨道装备有限公司",
        "factory",
        "near_zero",
        "宽城区",
        "长春示例轨道装备有限公司",
        "factory",
        "宽城区青荫路",
    ),
    (
        "长春示例光伏组件有限公司",
        "factory",
        "zero_carbon",
        "长春高新技术产业开发区",
        "长春示例光伏组件有限公司",
        "factory",
        "高新区硅谷大街",
    ),
    ("德惠示例食品有限公司", "factory", "low_carbon", "德惠市", "德惠示例食品有限公司", "factory", "德惠市米沙子镇"),
    (
        "长春示例生物制药有限公司",
        "factory",
        "near_zero",
        "长春净月高新技术产业开发区",
        "长春示例生物制药有限公司",
        "factory",
        "净月区生态大街",
    ),
    (
        "长春示例新材料有限公司",
        "factory",
        "zero_carbon",
        "长春经济技术开发区",
        "长春示例新材料有限公司",
        "factory",
        "经开区临河街",
    ),
    ("南湖示例办公楼", "building", "low_carbon", "朝阳区", "南湖示例物业运营有限公司", "operator", "朝阳区工农大路"),
    (
        "新区示例超低能耗住宅",
        "building",
        "near_zero",
        "长春新区",
        "示例房地产开发有限公司",
        "developer",
        "长春新区长德路",
    ),
    ("示例市民服务中心", "building", "zero_carbon", "南关区", "示例机关事务服务中心", "owner", "南关区人民大街"),
    ("二道区示例商业综合体", "building", "low_carbon", "二道区", "示例商业管理有限公司", "operator", "二道区东盛大街"),
    (
        "示例近零能耗图书馆",
        "building",
        "near_zero",
        "长春净月高新技术产业开发区",
        "示例文化设施运营中心",
        "owner",
        "净月区福祉大路",
    ),
    (
        "示例零碳展示中心",
        "building",
        "zero_carbon",
        "长春高新技术产业开发区",
        "示例零碳科技有限公司",
        "owner",
        "高新区前进大街",
    ),
    ("长春示例第一中学", "school", "low_carbon", "朝阳区", "长春示例第一中学", "school", "朝阳区自由大路"),
    ("长春示例实验小学", "school", "near_zero", "南关区", "长春示例实验小学", "school", "南关区亚泰大街"),
    (
        "长春示例职业技术学院",
        "school",
        "zero_carbon",
        "长春经济技术开发区",
        "长春示例职业技术学院",
        "school",
        "经开区自由大路东段",
    ),
    ("宽城区示例中学", "school", "low_carbon", "宽城区", "宽城区示例中学", "school", "宽城区北人民大街"),
    ("示例大学净月校区", "school", "near_zero", "长春净月高新技术产业开发区", "示例大学", "school", "净月区净月大街"),
    ("榆树市示例小学", "school", "zero_carbon", "榆树市", "榆树市示例小学", "school", "榆树市正阳街"),
    (
        "桂林路示例社区",
        "community",
        "low_carbon",
        "朝阳区",
        "桂林路示例社区居民委员会",
        "residents_committee",
        "朝阳区桂林路",
    ),
    (
        "新区示例花园小区",
        "community",
        "near_zero",
        "长春新区",
        "示例物业服务有限公司",
        "property_manager",
        "长春新区天工路",
    ),
    (
        "净月示例零碳社区",
        "community",
        "zero_carbon",
        "长春净月高新技术产业开发区",
        "示例置业有限公司",
        "developer",
        "净月区聚业大街",
    ),
    (
        "绿园区示例社区",
        "community",
        "low_carbon",
        "绿园区",
        "绿园区示例社区居民委员会",
        "residents_committee",
        "绿园区春城大街",
    ),
    (
        "双阳区示例社区",
        "community",
        "near_zero",
        "双阳区",
        "双阳区示例社区居民委员会",
        "residents_committee",
        "双阳区双阳大街",
    ),
    (
        "农安县示例社区",
        "community",
        "zero_carbon",
        "农安县",
        "农安县示例社区居民委员会",
        "residents_committee",
        "农安县黄龙路",
    ),
    (
        "净月潭示例景区",
        "scenic",
        "low_carbon",
        "长春净月高新技术产业开发区",
        "示例旅游开发有限公司",
        "scenic_operator",
        "净月区净月潭",
    ),
    (
        "莲花山示例滑雪度假区",
        "scenic",
        "near_zero",
        "长春莲花山生态旅游度假区",
        "示例滑雪度假区运营有限公司",
        "scenic_operator",
        "莲花山度假区泉眼镇",
    ),
    (
        "示例影视城景区",
        "scenic",
        "zero_carbon",
        "长春净月高新技术产业开发区",
        "示例影视文化有限公司",
        "scenic_operator",
        "净月区净月大街",
    ),
    ("南湖示例公园", "scenic", "low_carbon", "朝阳区", "南湖示例公园管理处", "scenic_operator", "朝阳区南湖大路"),
    ("双阳湖示例景区", "scenic", "near_zero", "双阳区", "双阳湖示例旅游有限公司", "scenic_operator", "双阳区奢岭街道"),
    (
        "公主岭示例生态园",
        "scenic",
        "zero_carbon",
        "公主岭市",
        "公主岭示例生态旅游有限公司",
        "scenic_operator",
        "公主岭市范家屯镇",
    ),
]

# Where each zone ends up; the cycle covers every public status and a few not yet public.
STATUS_CYCLE = [
    Status.TITLED,
    Status.PUBLICITY,
    Status.CONFIRMED,
    Status.TITLED,
    Status.ACCEPTANCE_REVIEW,
    Status.TITLED,
    Status.REVOKED,
    Status.PUBLICITY,
    Status.REJECTED,
    Status.SITE_CHECK,
    Status.TITLED,
    Status.EXPERT_REVIEW,
]

PATH_TO = {
    Status.APPLIED: [],
    Status.EXPERT_REVIEW: [Status.EXPERT_REVIEW],
    Status.SITE_CHECK: [Status.EXPERT_REVIEW, Status.SITE_CHECK],
    Status.PUBLICITY: [Status.EXPERT_REVIEW, Status.SITE_CHECK, Status.PUBLICITY],
    Status.CONFIRMED: [Status.EXPERT_REVIEW, Status.SITE_CHECK, Status.PUBLICITY, Status.CONFIRMED],
    Status.ACCEPTANCE_REVIEW: [
        Status.EXPERT_REVIEW,
        Status.SITE_CHECK,
        Status.PUBLICITY,
        Status.CONFIRMED,
        Status.ACCEPTANCE_REVIEW,
    ],
    Status.TITLED: [
        Status.EXPERT_REVIEW,
        Status.SITE_CHECK,
        Status.PUBLICITY,
        Status.CONFIRMED,
        Status.ACCEPTANCE_REVIEW,
        Status.TITLED,
    ],
    Status.REJECTED: [Status.EXPERT_REVIEW, Status.SITE_CHECK, Status.PUBLICITY, Status.REJECTED],
}

NOTES = {
    Status.EXPERT_REVIEW: "材料齐全，进入专家评审",
    Status.SITE_CHECK: "专家评审通过，安排现场核查",
    Status.PUBLICITY: "现场核查通过，进入公示",
    Status.CONFIRMED: "公示期满无异议，确定为示范区项目",
    Status.ACCEPTANCE_REVIEW: "建设完成，提交验收申请",
    Status.TITLED: "验收通过，授予称号",
    Status.REJECTED: "公示期间异议经核实成立",
}

# Rough centres of districts (GCJ-02) for demo map positions.
CENTRES = {
    "南关区": (43.865, 125.345),
    "宽城区": (43.925, 125.330),
    "朝阳区": (43.855, 125.290),
    "二道区": (43.870, 125.400),
    "绿园区": (43.885, 125.255),
    "双阳区": (43.525, 125.665),
    "九台区": (44.150, 125.840),
    "农安县": (44.430, 125.180),
    "榆树市": (44.840, 126.535),
    "德惠市": (44.535, 125.705),
    "公主岭市": (43.505, 124.820),
    "长春经济技术开发区": (43.880, 125.430),
    "长春高新技术产业开发区": (43.835, 125.245),
    "长春净月高新技术产业开发区": (43.790, 125.440),
    "长春汽车经济技术开发区": (43.845, 125.190),
    "长春新区": (43.980, 125.460),
    "中韩（长春）国际合作示范区": (43.990, 125.560),
    "长春莲花山生态旅游度假区": (43.930, 125.620),
}

BASELINES = {  # per indicator key: (baseline, latest) scale
    "total_emissions": (Decimal("52000"), Decimal("0.82")),
    "emissions": (Decimal("38000"), Decimal("0.78")),
    "emissions_per_area": (Decimal("48.5"), Decimal("0.75")),
    "emissions_per_visitor": (Decimal("3.6"), Decimal("0.8")),
}


def seed_demo_zones() -> list[str]:
    districts = {d.name: d.id for d in db.session.scalars(select(District))}
    existing = set(db.session.scalars(select(Zone.name)))
    created = 0
    for index, (name, zone_type, level, district, applicant, kind, address) in enumerate(DEMO_ZONES):
        if name in existing:
            continue
        final = STATUS_CYCLE[index % len(STATUS_CYCLE)]
        batch_year = 2024 if final in (Status.TITLED, Status.REVOKED, Status.ACCEPTANCE_REVIEW) else 2025
        start = datetime(batch_year, 3, 1, 2, 0, tzinfo=UTC) + timedelta(days=index)
        lat, lng = CENTRES[district]
        indicators = []
        for position, definition in enumerate(INDICATORS[ZoneType(zone_type)]):
            base, ratio = BASELINES.get(definition.key, (Decimal("100"), Decimal("0.8")))
            scale = Decimal(1 + (index % 5)) / Decimal(3)
            baseline = (base * scale).quantize(Decimal("0.1"))
            indicators.append(
                {
                    "key": definition.key,
                    "baseline_value": baseline,
                    "baseline_year": batch_year - 2,
                    "latest_value": (baseline * (ratio - Decimal(position) / 50)).quantize(Decimal("0.1")),
                    "latest_year": batch_year,
                }
            )
        zone = editing.add_zone(
            {
                "name": name,
                "type": zone_type,
                "level": level,
                "district_id": districts[district],
                "applicant_name": applicant,
                "applicant_kind": kind,
                "batch_year": batch_year,
                "address": f"吉林省长春市{address}",
                "latitude": Decimal(str(lat)) + Decimal(index % 7) / 1000,
                "longitude": Decimal(str(lng)) + Decimal(index % 5) / 1000,
                "summary": f"{name}（演示数据）：以{INDICATORS[ZoneType(zone_type)][0].name}稳步下降为目标。",
                "description": "本条为演示数据，用于展示示范区项目的公开信息、指标变化与创建进程。",
                "indicators": indicators,
            },
            None,
            at=start,
        )
        db.session.flush()
        steps = PATH_TO[Status.TITLED] if final is Status.REVOKED else PATH_TO[final]
        at = start
        for step in steps:
            at += timedelta(days=21)
            lifecycle.apply_transition(zone.id, step.value, NOTES[step], None, at=at)
        if final in (Status.TITLED, Status.REVOKED):
            outcome = "failed" if final is Status.REVOKED else "passed"
            note = "年度复核发现能耗监测数据缺失，管理缺位" if outcome == "failed" else "年度复核通过"
            lifecycle.add_re_review(zone.id, date(2026, 6, 1) + timedelta(days=index), outcome, note, None)
        if final is Status.TITLED and zone_type in ("scenic", "building", "park") and index % 2 == 0:
            zone.is_education_base = True
        created += 1
    uow.commit()
    return [f"demo zones: {created} created, {len(DEMO_ZONES) - created} already there"]
