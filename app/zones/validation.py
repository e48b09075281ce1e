"""The rules of a zone's fields, for every way a zone comes in (the staff API, a batch import)."""

from __future__ import annotations

import re
import unicodedata

import marshmallow as ma

from app.accounts.roles import DEPARTMENT_LABELS, DEPARTMENT_ZONE_TYPES, Department
from app.validation import Schema, not_blank, one_of
from app.validators import Trimmed, no_control_characters
from app.zones.constants import TYPE_LABELS, ApplicantKind, Level, ZoneType

_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """What two zone names are compared on (one name per batch): NFKC (full-width letters, digits and
    brackets as ASCII), case folded, runs of white space as one space. Only for comparing: the name
    is stored as it was typed, trimmed (official names keep their full-width brackets （）)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


def department_error(zone_type: str, department: str) -> str | None:
    """Why `department` may not be responsible for zones of `zone_type` (the plan, section 六), or None."""
    if zone_type in DEPARTMENT_ZONE_TYPES.get(Department(department), frozenset()):
        return None
    allowed = [d for d, types in DEPARTMENT_ZONE_TYPES.items() if zone_type in types]
    return f"{TYPE_LABELS[ZoneType(zone_type)]}类项目的主管部门须为：{'、'.join(DEPARTMENT_LABELS[d] for d in allowed)}"


class IndicatorFields(Schema):
    key = ma.fields.String(required=True)
    baseline_value = ma.fields.Decimal(allow_none=True, places=3, validate=ma.validate.Range(min=0))
    baseline_year = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1990, max=2100))
    latest_value = ma.fields.Decimal(allow_none=True, places=3, validate=ma.validate.Range(min=0))
    latest_year = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1990, max=2100))

    @ma.validates_schema
    def _years(self, data, **kwargs):
        if data.get("baseline_year") and data.get("latest_year") and data["latest_year"] < data["baseline_year"]:
            raise ma.ValidationError("最新年份不能早于基准年份", "latest_year")


class ZoneFields(Schema):
    name = Trimmed(required=True, validate=[ma.validate.Length(min=2, max=120), not_blank, no_control_characters])
    type = ma.fields.String(required=True, validate=one_of(ZoneType, "类型"))
    level = ma.fields.String(required=True, validate=one_of(Level, "级别"))
    district_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    applicant_name = Trimmed(required=True, validate=[ma.validate.Length(min=2, max=120), not_blank])
    applicant_kind = ma.fields.String(required=True, validate=one_of(ApplicantKind, "申报主体类型"))
    batch_year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2023, max=2100))
    department = ma.fields.String(validate=one_of(Department, "主管部门"))
    address = Trimmed(allow_none=True, validate=ma.validate.Length(max=200))
    latitude = ma.fields.Decimal(allow_none=True, places=6, validate=ma.validate.Range(min=3.8, max=53.6))
    longitude = ma.fields.Decimal(allow_none=True, places=6, validate=ma.validate.Range(min=73.5, max=135.1))
    cover_image_url = ma.fields.Url(allow_none=True, schemes={"https", "http"}, validate=ma.validate.Length(max=512))
    summary = Trimmed(allow_none=True, multiline=True, validate=ma.validate.Length(max=300))
    description = Trimmed(allow_none=True, multiline=True, validate=ma.validate.Length(max=20000))
    indicators = ma.fields.List(ma.fields.Nested(IndicatorFields), validate=ma.validate.Length(max=4))

    @ma.validates_schema
    def _department_of_type(self, data, **kwargs):
        # Both sent (a new zone, or an edit of both): the department must handle the type. An edit of
        # one of them is checked against the zone's other by the service (app.zones.editing).
        if data.get("type") and data.get("department"):
            problem = department_error(data["type"], data["department"])
            if problem:
                raise ma.ValidationError(problem, "department")

    @ma.validates_schema
    def _position_pairs(self, data, **kwargs):
        # A map position is both coordinates or neither.
        if ("latitude" in data) != ("longitude" in data) or (
            (data.get("latitude") is None) != (data.get("longitude") is None)
        ):
            raise ma.ValidationError("经纬度须同时填写", "latitude")
