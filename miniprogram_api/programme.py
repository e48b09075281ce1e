"""The programme's public scoreboard (/api/mp/v1/programme)."""

from __future__ import annotations

import marshmallow as ma

from app import programme
from app.fields import LocalDateTime
from app.validation import Schema
from app.web.api import Blueprint
from app.web.caching import cached_response, json_bytes
from app.zones.registry import CACHE_NAMESPACE

PATH = ""
blp = Blueprint("mp_programme", __name__, description="示范区创建工作成效（公开数据，不含个人信息）")


class CodeCountOut(Schema):
    code = ma.fields.String()
    label = ma.fields.String()
    count = ma.fields.Integer()


class CellOut(Schema):
    type = ma.fields.String()
    level = ma.fields.String()
    status = ma.fields.String()
    count = ma.fields.Integer()


class DistrictCountOut(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    code = ma.fields.String(allow_none=True)
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    count = ma.fields.Integer()


class ZoneCountsOut(Schema):
    total = ma.fields.Integer(metadata={"description": "公示及以后的示范区数；以下各项分别相加均等于它"})
    by_type = ma.fields.List(ma.fields.Nested(CodeCountOut))
    by_level = ma.fields.List(ma.fields.Nested(CodeCountOut))
    by_status = ma.fields.List(ma.fields.Nested(CodeCountOut), metadata={"description": "公开的状态"})
    by_type_level_status = ma.fields.List(
        ma.fields.Nested(CellOut), metadata={"description": "类型×级别×状态（仅非零）"}
    )
    by_district = ma.fields.List(ma.fields.Nested(DistrictCountOut))


class YearCountOut(Schema):
    year = ma.fields.Integer()
    count = ma.fields.Integer()


class TitlesOut(Schema):
    total = ma.fields.Integer(metadata={"description": "授予称号总数（含后来撤销的），等于各年之和"})
    per_year = ma.fields.List(ma.fields.Nested(YearCountOut))


class ConstructionOut(Schema):
    total = ma.fields.Integer(metadata={"description": "建设中（已确定创建、验收评价）的示范区数"})
    with_data = ma.fields.Integer(metadata={"description": "有基准、目标与核实数值、可判断进度的"})
    without_data = ma.fields.Integer()
    on_track = ma.fields.Integer(metadata={"description": "最新核实值不高于基准至目标连线的"})
    off_track = ma.fields.Integer()
    on_track_share = ma.fields.Float(allow_none=True, metadata={"description": "on_track / with_data；无数据为 null"})


class UnitReductionOut(Schema):
    unit = ma.fields.String(metadata={"description": "单位：不同单位的数值从不相加"})
    indicators = ma.fields.List(ma.fields.String())
    zones = ma.fields.Integer()
    baseline = ma.fields.Float(metadata={"description": "基准值之和"})
    latest = ma.fields.Float(metadata={"description": "最新核实值之和"})
    reduction = ma.fields.Float(metadata={"description": "baseline − latest（正数为减少）"})
    reduction_pct = ma.fields.Float(allow_none=True)


class ReductionsOut(Schema):
    units = ma.fields.List(ma.fields.Nested(UnitReductionOut))


class MonthVisitorsOut(Schema):
    month = ma.fields.String(metadata={"description": "YYYY-MM（APP_TIMEZONE）"})
    visitors = ma.fields.Integer()


class VisitsOut(Schema):
    education_bases = ma.fields.Integer()
    visitors_total = ma.fields.Integer(metadata={"description": "已核验入场的人数（不是预约数），等于各月之和"})
    visitors_per_month = ma.fields.List(ma.fields.Nested(MonthVisitorsOut))


class PublicityYearOut(Schema):
    year = ma.fields.Integer()
    notices = ma.fields.Integer()
    objections = ma.fields.Integer()
    upheld = ma.fields.Integer()


class PublicityOut(Schema):
    notices = ma.fields.Integer()
    objections = ma.fields.Integer()
    upheld = ma.fields.Integer()
    per_year = ma.fields.List(ma.fields.Nested(PublicityYearOut))


class CampaignTotalsOut(Schema):
    schools = ma.fields.Integer(metadata={"description": "开展过活动的学校数"})
    campaigns = ma.fields.Integer()
    students = ma.fields.Integer(metadata={"description": "参加活动的学生人数（去重）"})
    checkins = ma.fields.Integer()
    class_actions = ma.fields.Integer()
    co2_kg = ma.fields.Float(metadata={"description": "减排量 kg CO₂e（教育性估算）"})
    co2_is_estimate = ma.fields.Boolean()
    estimate_note = ma.fields.String()


class ProgrammeOut(Schema):
    generated_at = LocalDateTime()
    zones = ma.fields.Nested(ZoneCountsOut)
    titles = ma.fields.Nested(TitlesOut)
    construction = ma.fields.Nested(ConstructionOut)
    reductions = ma.fields.Nested(ReductionsOut)
    visits = ma.fields.Nested(VisitsOut)
    publicity = ma.fields.Nested(PublicityOut)
    campaigns = ma.fields.Nested(CampaignTotalsOut)


@blp.get("/programme")
@blp.response(200, ProgrammeOut)
def get_programme():
    """创建工作成效：示范区按类型、级别、状态、区县统计，历年授牌，建设进度，核实减排量（按单位分列），
    宣传教育基地与接待人数，公示与异议，低碳学校活动。示范区、公示与异议变化后即时更新，其余至多 5 分钟"""

    def build():
        return json_bytes(ProgrammeOut().dump(programme.programme())), "application/json"

    return cached_response(CACHE_NAMESPACE, build, ttl=programme.TTL_SECONDS)
