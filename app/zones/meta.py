"""GET /meta: every enumeration the mini-program shows, with Chinese labels."""

from __future__ import annotations

from app.accounts.roles import DEPARTMENT_LABELS, DEPARTMENT_ZONE_TYPES
from app.zones.constants import (
    APPLICANT_KIND_LABELS,
    APPLICANT_KINDS,
    DEFAULT_DEPARTMENT,
    INDICATORS,
    LEVEL_LABELS,
    PUBLIC_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    TYPE_LABELS,
)
from app.zones.registry import active_districts

DISTRICT_KIND_LABELS = {"district": "市辖区", "county": "县", "city": "县级市", "development_zone": "开发区"}


def meta() -> dict:
    return {
        "types": [
            {
                "code": t.value,
                "label": label,
                "indicators": [{"key": d.key, "name": d.name, "unit": d.unit} for d in INDICATORS[t]],
                "applicant_kinds": [{"code": k.value, "label": APPLICANT_KIND_LABELS[k]} for k in APPLICANT_KINDS[t]],
                "default_department": DEFAULT_DEPARTMENT[t].value,
            }
            for t, label in TYPE_LABELS.items()
        ],
        "levels": [{"code": lv.value, "label": label} for lv, label in LEVEL_LABELS.items()],
        "statuses": [
            {
                "code": s.value,
                "label": label,
                "public": s in PUBLIC_STATUSES,
                "next": [n.value for n in TRANSITIONS[s]],
            }
            for s, label in STATUS_LABELS.items()
        ],
        "districts": [
            {"id": d.id, "name": d.name, "code": d.code, "kind": d.kind, "kind_label": DISTRICT_KIND_LABELS[d.kind]}
            for d in active_districts()
            if d.is_active
        ],
        "departments": [
            {"code": dep.value, "label": label, "zone_types": sorted(DEPARTMENT_ZONE_TYPES[dep])}
            for dep, label in DEPARTMENT_LABELS.items()
        ],
    }
