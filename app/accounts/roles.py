"""Roles of docs/domain.md ("People") and the scope each one is bound to."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    CITIZEN = "citizen"
    STUDENT = "student"
    BASE_OPERATOR = "base_operator"
    SCHOOL_ADMIN = "school_admin"
    ZONE_REPORTER = "zone_reporter"
    DEPARTMENT_OFFICER = "department_officer"
    INSTITUTE_STAFF = "institute_staff"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.CITIZEN: "公众",
    Role.STUDENT: "学生",
    Role.BASE_OPERATOR: "基地管理员",
    Role.SCHOOL_ADMIN: "学校管理员",
    Role.ZONE_REPORTER: "建设主体填报员",
    Role.DEPARTMENT_OFFICER: "主管部门",
    Role.INSTITUTE_STAFF: "碳中和研究院",
    Role.ADMIN: "系统管理员",
}

# Roles that are granted (stored); citizen comes with every WeChat account, student with a
# declared school.
GRANTABLE_ROLES = (
    Role.BASE_OPERATOR,
    Role.SCHOOL_ADMIN,
    Role.ZONE_REPORTER,
    Role.DEPARTMENT_OFFICER,
    Role.INSTITUTE_STAFF,
    Role.ADMIN,
)

# The one scope field each role is bound by; a role takes no other (an admin "of education" would be
# stored as a scope that means nothing). Admin and institute staff take none.
ROLE_SCOPE_FIELD = {
    Role.DEPARTMENT_OFFICER: "department",
    Role.BASE_OPERATOR: "base_id",
    Role.SCHOOL_ADMIN: "school_id",
    Role.ZONE_REPORTER: "zone_id",
}
SCOPE_FIELD_LABELS = {"department": "主管部门", "base_id": "基地", "school_id": "学校", "zone_id": "示范区"}


def scope_field_problems(role: Role, given: Mapping[str, Any]) -> dict[str, list[str]]:
    """The scope fields given (not None) that `role` does not take, each with its message."""
    takes = ROLE_SCOPE_FIELD.get(role)
    return {
        name: [f"{ROLE_LABELS[role]}无需指定{label}，请留空"]
        for name, label in SCOPE_FIELD_LABELS.items()
        if given.get(name) is not None and name != takes
    }


# Any granted role may also sign in to the staff console with a username and password (a base
# operator usually scans codes in the mini-program, but may manage the calendar from a desk).
STAFF_ROLES = frozenset(GRANTABLE_ROLES)

# Who may open each kind of staff page, the same gate in the staff API and the console (admin passes
# every gate). Which rows they see there is app.accounts.scope (docs/api.md).
ZONE_STAFF = (Role.DEPARTMENT_OFFICER, Role.INSTITUTE_STAFF)  # zones, publicity notices, objections
BASE_STAFF = (Role.BASE_OPERATOR, Role.INSTITUTE_STAFF)  # education bases
SCHOOL_STAFF = (Role.SCHOOL_ADMIN, Role.INSTITUTE_STAFF)  # a school's students, classes and posts
SCHOOL_READERS = (*SCHOOL_STAFF, Role.DEPARTMENT_OFFICER)  # schools, campaigns and their statistics
# A zone's construction progress: its reporter writes, the department of its type and the institute review.
PROGRESS_STAFF = (Role.ZONE_REPORTER, *ZONE_STAFF)


class Department(StrEnum):
    """Responsible departments (the plan, section 六) and the zone types each handles."""

    DEVELOPMENT_REFORM = "development_reform"
    ECOLOGY_ENVIRONMENT = "ecology_environment"
    INDUSTRY_IT = "industry_it"
    HOUSING_CONSTRUCTION = "housing_construction"
    GOVERNMENT_OFFICES = "government_offices"
    EDUCATION = "education"
    CULTURE_TOURISM = "culture_tourism"


DEPARTMENT_LABELS = {
    Department.DEVELOPMENT_REFORM: "市发展和改革委员会",
    Department.ECOLOGY_ENVIRONMENT: "市生态环境局",
    Department.INDUSTRY_IT: "市工业和信息化局",
    Department.HOUSING_CONSTRUCTION: "市住房和城乡建设局",
    Department.GOVERNMENT_OFFICES: "市机关事务管理局",
    Department.EDUCATION: "市教育局",
    Department.CULTURE_TOURISM: "市文化广电和旅游局",
}

DEPARTMENT_ZONE_TYPES: dict[Department, frozenset[str]] = {
    Department.DEVELOPMENT_REFORM: frozenset({"park"}),
    Department.ECOLOGY_ENVIRONMENT: frozenset({"park"}),
    Department.INDUSTRY_IT: frozenset({"factory"}),
    Department.HOUSING_CONSTRUCTION: frozenset({"building", "community"}),
    Department.GOVERNMENT_OFFICES: frozenset({"building"}),
    Department.EDUCATION: frozenset({"school"}),
    Department.CULTURE_TOURISM: frozenset({"scenic"}),
}
