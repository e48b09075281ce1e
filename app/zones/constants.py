"""Types, levels, statuses and indicators of docs/domain.md (Zones), with their Chinese labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from app.accounts.roles import Department


class ZoneType(StrEnum):
    PARK = "park"
    FACTORY = "factory"
    BUILDING = "building"
    SCHOOL = "school"
    COMMUNITY = "community"
    SCENIC = "scenic"


class Level(StrEnum):
    LOW_CARBON = "low_carbon"
    NEAR_ZERO = "near_zero"
    ZERO_CARBON = "zero_carbon"


class Status(StrEnum):
    APPLIED = "applied"
    EXPERT_REVIEW = "expert_review"
    SITE_CHECK = "site_check"
    PUBLICITY = "publicity"
    CONFIRMED = "confirmed"
    ACCEPTANCE_REVIEW = "acceptance_review"
    TITLED = "titled"
    REJECTED = "rejected"
    REVOKED = "revoked"


TYPE_LABELS = {
    ZoneType.PARK: "园区",
    ZoneType.FACTORY: "工厂",
    ZoneType.BUILDING: "建筑",
    ZoneType.SCHOOL: "学校",
    ZoneType.COMMUNITY: "社区",
    ZoneType.SCENIC: "景区",
}

# A district's administrative division code: six ASCII digits (\d alone takes full-width digits too).
DISTRICT_CODE = re.compile(r"^\d{6}$", re.ASCII)

LEVEL_LABELS = {Level.LOW_CARBON: "低碳", Level.NEAR_ZERO: "近零碳", Level.ZERO_CARBON: "零碳"}

STATUS_LABELS = {
    Status.APPLIED: "已申报",
    Status.EXPERT_REVIEW: "专家评审",
    Status.SITE_CHECK: "现场核查",
    Status.PUBLICITY: "公示中",
    Status.CONFIRMED: "已确定创建",
    Status.ACCEPTANCE_REVIEW: "验收评价",
    Status.TITLED: "已授予称号",
    Status.REJECTED: "未通过",
    Status.REVOKED: "已撤销称号",
}

# The plan's section 五 as a state machine. titled -> revoked happens only through a failed
# re-review (app.zones.lifecycle.record_re_review), never as a plain transition.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.APPLIED: (Status.EXPERT_REVIEW, Status.REJECTED),
    Status.EXPERT_REVIEW: (Status.SITE_CHECK, Status.REJECTED),
    Status.SITE_CHECK: (Status.PUBLICITY, Status.REJECTED),
    Status.PUBLICITY: (Status.CONFIRMED, Status.REJECTED),
    Status.CONFIRMED: (Status.ACCEPTANCE_REVIEW,),
    Status.ACCEPTANCE_REVIEW: (Status.TITLED, Status.REJECTED),
    Status.TITLED: (),
    Status.REJECTED: (),
    Status.REVOKED: (),
}

# The steps a publicity notice takes, never a hand: publishing it moves its zones into publicity,
# closing it confirms them (or rejects them after an upheld objection: the one way out by hand is a
# rejection with a note, when no notice holds the zone).
NOTICE_STEPS = frozenset({(Status.SITE_CHECK, Status.PUBLICITY), (Status.PUBLICITY, Status.CONFIRMED)})


def hand_steps(status: Status) -> tuple[Status, ...]:
    """The transitions a staff member may take from `status` (TRANSITIONS less the notice's steps)."""
    return tuple(target for target in TRANSITIONS[status] if (status, target) not in NOTICE_STEPS)


# A zone is public once it has entered publicity; later states (rejected after an upheld
# objection, revoked) stay public as accountability.
PUBLIC_STATUSES = (
    Status.PUBLICITY,
    Status.CONFIRMED,
    Status.ACCEPTANCE_REVIEW,
    Status.TITLED,
    Status.REJECTED,
    Status.REVOKED,
)

# Moving to these needs a written reason.
NOTE_REQUIRED = (Status.REJECTED, Status.REVOKED)


class ApplicantKind(StrEnum):
    PARK_COMMITTEE = "park_committee"
    FACTORY = "factory"
    DEVELOPER = "developer"
    OWNER = "owner"
    OPERATOR = "operator"
    SCHOOL = "school"
    RESIDENTS_COMMITTEE = "residents_committee"
    PROPERTY_MANAGER = "property_manager"
    SCENIC_OPERATOR = "scenic_operator"


APPLICANT_KIND_LABELS = {
    ApplicantKind.PARK_COMMITTEE: "园区管理委员会",
    ApplicantKind.FACTORY: "在长注册的独立法人工厂",
    ApplicantKind.DEVELOPER: "开发商",
    ApplicantKind.OWNER: "业主",
    ApplicantKind.OPERATOR: "运营管理单位",
    ApplicantKind.SCHOOL: "学校",
    ApplicantKind.RESIDENTS_COMMITTEE: "社区居民委员会",
    ApplicantKind.PROPERTY_MANAGER: "物业管理单位",
    ApplicantKind.SCENIC_OPERATOR: "景区运营管理单位",
}

# Who may apply for each type (the plan, section 四).
APPLICANT_KINDS: dict[ZoneType, tuple[ApplicantKind, ...]] = {
    ZoneType.PARK: (ApplicantKind.PARK_COMMITTEE,),
    ZoneType.FACTORY: (ApplicantKind.FACTORY,),
    ZoneType.BUILDING: (ApplicantKind.DEVELOPER, ApplicantKind.OWNER, ApplicantKind.OPERATOR),
    ZoneType.SCHOOL: (ApplicantKind.SCHOOL,),
    ZoneType.COMMUNITY: (
        ApplicantKind.RESIDENTS_COMMITTEE,
        ApplicantKind.DEVELOPER,
        ApplicantKind.PROPERTY_MANAGER,
    ),
    ZoneType.SCENIC: (ApplicantKind.SCENIC_OPERATOR,),
}

# Responsible department by type (section 六); a zone may override it (public buildings go to
# the government offices administration, parks may sit with ecology and environment).
DEFAULT_DEPARTMENT: dict[ZoneType, Department] = {
    ZoneType.PARK: Department.DEVELOPMENT_REFORM,
    ZoneType.FACTORY: Department.INDUSTRY_IT,
    ZoneType.BUILDING: Department.HOUSING_CONSTRUCTION,
    ZoneType.SCHOOL: Department.EDUCATION,
    ZoneType.COMMUNITY: Department.HOUSING_CONSTRUCTION,
    ZoneType.SCENIC: Department.CULTURE_TOURISM,
}


@dataclass(frozen=True)
class IndicatorDefinition:
    key: str
    name: str
    unit: str


TOTAL = IndicatorDefinition("total_emissions", "碳排放总量", "tCO₂e/年")

# The headline indicator(s) of each type (section 四): what must go down.
INDICATORS: dict[ZoneType, tuple[IndicatorDefinition, ...]] = {
    ZoneType.PARK: (IndicatorDefinition("total_emissions", "园区碳排放总量", "tCO₂e/年"),),
    ZoneType.FACTORY: (IndicatorDefinition("emissions", "工厂碳排放量", "tCO₂e/年"),),
    ZoneType.BUILDING: (IndicatorDefinition("total_emissions", "建筑碳排放总量", "tCO₂e/年"),),
    ZoneType.SCHOOL: (IndicatorDefinition("emissions_per_area", "单位建筑面积碳排放量", "kgCO₂e/(m²·年)"),),
    ZoneType.COMMUNITY: (
        IndicatorDefinition("emissions_per_area", "单位建筑面积碳排放量", "kgCO₂e/(m²·年)"),
        TOTAL,
    ),
    ZoneType.SCENIC: (
        IndicatorDefinition("emissions_per_visitor", "单位接待游客碳排放量", "kgCO₂e/人次"),
        TOTAL,
    ),
}
