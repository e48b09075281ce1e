"""Staff scope is one rule in one place: every staff list, page and export shows each role the same
rows in the staff API and in the console, and those rows are the ones the rule gives (docs/api.md,
"Who sees what"). Outside the scope a zone or an objection is not found, exactly like one that does
not exist; a base or a school (public anyway) is refused by name."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from app.accounts.roles import DEPARTMENT_ZONE_TYPES, Department
from app.extensions import db
from tests.campaign_helpers import _campaign, _checkin, _student, _today
from tests.factories import factory_admin, make_base, make_slot, make_zone, move_booking_to_today, open_notice
from tests.test_console import PASSWORD, Console, staff_account, text
from tests.test_objection_handling import objection_id, raise_objections
from tests.test_visits import book, visitors

ZONE_TYPES = ("park", "factory", "building", "school", "community", "scenic")
MISSING = 999_999  # an id nothing has

# Each role the console and the staff API know, with its scope; the base operator runs the first
# base, the school admin the first school.
ROLES = {
    "admin": ("admin", {}),
    "institute": ("institute_staff", {}),
    **{f"officer:{d.value}": ("department_officer", {"department": d.value}) for d in Department},
    "base_operator": ("base_operator", {"base_id": "first base"}),
    "school_admin": ("school_admin", {"school_id": "first school"}),
}


@pytest.fixture
def world(app, client, auth, fake_wechat, catalogue_synced):
    """Zones of every type, unpublished (applied, expert_review) and in publicity, each publicised one
    with an open objection; two bases with a visit today (one checked in); two public schools, each
    with a campaign and a student's check-in."""
    unpublished = [make_zone(app, status, type=t) for t in ZONE_TYPES for status in ("applied", "expert_review")]
    notice = open_notice(app, ZONE_TYPES)
    objections = []
    for index in range(len(ZONE_TYPES)):
        _, (receipt,) = raise_objections(client, auth, notice, zone_index=index, who=f"objector-{index}")
        objections.append(objection_id(app, receipt))
    bases = [make_base(app), make_base(app)]
    for index, base_id in enumerate(bases):
        slot_id = make_slot(app, base_id, starts_in=600)
        headers = auth.wechat_headers(f"visitor-{index}")
        booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, f"scope-{index}").json
        move_booking_to_today(app, booking["id"])
        if index == 0:
            code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
            _check_in(app, code)
    schools = [notice["zone_ids"][ZONE_TYPES.index("school")], make_zone(app, "titled", type="school")]
    campaigns = []
    for index, school_id in enumerate(schools):
        campaign_id = _campaign(client, auth, school_id)
        student = _student(client, auth, school_id, f"student-{index}")
        assert client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=student).status_code == 204
        assert _checkin(client, student, campaign_id).status_code == 201
        campaigns.append(campaign_id)
    from app.zones.models import Zone

    with app.app_context():
        zone_types = dict(db.session.execute(select(Zone.id, Zone.type)).all())
    assert len(zone_types) == len(unpublished) + len(ZONE_TYPES) + len(bases) + 1  # nothing else in the registry
    objection_types = {oid: zone_types[notice["zone_ids"][i]] for i, oid in enumerate(objections)}
    return {
        "zone_types": zone_types,
        "objection_types": objection_types,
        "bases": bases,
        "schools": schools,
        "campaigns": dict(zip(campaigns, schools, strict=True)),
        "checked_in_base": bases[0],
        "notice": notice["id"],
    }


def _check_in(app, code):
    from app.visits import checkin

    with app.app_context():
        checkin.checkin(factory_admin(), code, None)


# ---- the two faces -------------------------------------------------------------------------------


class ApiFace:
    def __init__(self, client, username):
        login = client.post("/api/admin/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert login.status_code == 200, login.json
        self.client, self.headers = client, {"Authorization": f"Bearer {login.json['token']}"}

    def get(self, path):
        return self.client.get("/api/admin/v1" + path, headers=self.headers)

    def ids(self, path):
        response = self.get(path + ("&" if "?" in path else "?") + "per_page=100")
        return (
            sorted(item["id"] for item in response.json["items"])
            if response.status_code == 200
            else response.status_code
        )

    def status(self, path):
        response = self.get(path)
        if response.status_code != 200 or not response.is_json or "id" not in response.json:
            return response.status_code
        return ("shown", response.json["id"])

    def dashboard(self):
        response = self.get("/dashboard")
        if response.status_code != 200:
            return response.status_code
        body = response.json
        return {
            "zones": sorted([z["type"], z["level"], z["status"], z["count"]] for z in body["zones"]),
            "objections_waiting_total": body["objections_waiting_total"],
            "objections_waiting": [o["id"] for o in body["objections_waiting"]],
            "objections_per_notice": {str(n["notice_id"]): n["count"] for n in body["objections_per_notice"]},
            "notices_closing": [n["id"] for n in body["notices_closing"]],
            "visits_today": {str(v["base_id"]): [v["bookings"], v["people"]] for v in body["visits_today"]},
            "visits_month": {str(v["base_id"]): [v["bookings"], v["people"]] for v in body["visits_month"]},
            "campaigns_co2": {str(c["campaign_id"]): c["co2_kg"] for c in body["campaigns_co2"]},
            "reviews_waiting_total": body["reviews_waiting_total"],
            "reports_overdue_total": body["reports_overdue_total"],
            "problems_overdue_total": body["problems_overdue_total"],
        }


class ConsoleFace:
    def __init__(self, app, username):
        self.console = Console(app)
        assert self.console.login(username).status_code == 302

    def get(self, path):
        return self.console.get("/console" + path)

    def ids(self, path):
        # The console pages like the staff API (PageArgs): ask both for the same page size.
        response = self.get(path + ("&" if "?" in path else "?") + "per_page=100")
        if response.status_code != 200:
            return response.status_code
        return sorted(int(i) for i in re.findall(r'<tr data-id="(\d+)"', text(response)))

    def status(self, path):
        response = self.get(path)
        shown = re.search(r'<h1 data-id="(\d+)"', text(response))
        return ("shown", int(shown.group(1))) if response.status_code == 200 and shown else response.status_code

    def dashboard(self):
        response = self.get("/")
        if response.status_code != 200:
            return response.status_code
        figures = json.loads(re.search(r"data-figures='([^']*)'", text(response)).group(1))
        figures["zones"] = sorted(figures["zones"])
        return figures


def csv_ids(response):
    if response.status_code != 200:
        return response.status_code
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return sorted(int(row[0]) for row in rows[1:])


def view(face, world) -> dict:
    """Everything a staff member reads, as ids (lists, exports) or what a page answers (detail)."""
    month, today = _today().strftime("%Y-%m"), _today().isoformat()
    seen = {
        "zones": face.ids("/zones"),
        "zones.csv": csv_ids(face.get("/zones/export.csv")),
        "objections": face.ids("/objections"),
        "bases": face.ids("/bases"),
        "schools": face.ids("/schools"),
        "campaigns": face.ids("/campaigns"),
        "dashboard": face.dashboard(),
    }
    for zone_id in [*world["zone_types"], MISSING]:
        seen[f"zone {zone_id}"] = face.status(f"/zones/{zone_id}")
    for oid in [*world["objection_types"], MISSING]:
        seen[f"objection {oid}"] = face.status(f"/objections/{oid}")
    for base_id in world["bases"]:
        seen[f"base {base_id} attendance"] = face.get(f"/bases/{base_id}/attendance?month={month}").status_code
        seen[f"base {base_id} day"] = face.get(_base_day(face, base_id, today)).status_code
    for school_id in world["schools"]:
        seen[f"school {school_id}"] = face.get(_school_page(face, school_id)).status_code
    for campaign_id in world["campaigns"]:
        seen[f"campaign {campaign_id}"] = face.get(_campaign_page(face, campaign_id)).status_code
        seen[f"campaign {campaign_id} check-ins"] = face.get(_campaign_checkins(face, campaign_id)).status_code
    return seen


# The page of each face that shows the same thing where the paths differ.
def _base_day(face, base_id, day):
    return f"/bases/{base_id}/door-list.csv?date={day}" if isinstance(face, ApiFace) else f"/bases/{base_id}?day={day}"


def _school_page(face, school_id):
    return f"/schools/{school_id}/students" if isinstance(face, ApiFace) else f"/schools/{school_id}"


def _campaign_page(face, campaign_id):
    return f"/campaigns/{campaign_id}/stats" if isinstance(face, ApiFace) else f"/campaigns/{campaign_id}"


def _campaign_checkins(face, campaign_id):
    return f"/campaigns/{campaign_id}/checkins.csv" if isinstance(face, ApiFace) else f"/campaigns/{campaign_id}"


# ---- the rule, restated ----------------------------------------------------------------------------


def expected(who, world) -> dict:
    """docs/api.md "Who sees what", written out for the world's rows."""
    role, scope = ROLES[who]
    everything = role in ("admin", "institute_staff")
    if everything:
        types = set(ZONE_TYPES)
    elif role == "department_officer":
        types = set(DEPARTMENT_ZONE_TYPES[Department(scope["department"])])
    else:
        types = set()
    opens_zones = everything or role == "department_officer"
    opens_bases = everything or role == "base_operator"
    opens_school_pages = everything or role == "school_admin"
    reads_schools = opens_school_pages or role == "department_officer"
    bases = set(world["bases"]) if everything else {world["bases"][0]} if role == "base_operator" else set()
    runs = set(world["schools"]) if everything else {world["schools"][0]} if role == "school_admin" else set()
    reads = set(world["schools"]) if everything or "school" in types else runs

    def listed(opens, ids):
        return sorted(ids) if opens else 403

    def page(opens, shown, value):
        return (value if shown else 404) if opens else 403

    zones = {z for z, t in world["zone_types"].items() if t in types}
    objections = {o for o, t in world["objection_types"].items() if t in types}
    campaigns = {c for c, s in world["campaigns"].items() if s in reads}
    seen = {
        "zones": listed(opens_zones, zones),
        "zones.csv": listed(opens_zones, zones),
        "objections": listed(opens_zones, objections),
        "bases": listed(opens_bases, bases),
        "schools": listed(reads_schools, reads),
        "campaigns": listed(reads_schools, campaigns),
    }
    for zone_id in [*world["zone_types"], MISSING]:
        seen[f"zone {zone_id}"] = page(opens_zones, zone_id in zones, ("shown", zone_id))
    for oid in [*world["objection_types"], MISSING]:
        seen[f"objection {oid}"] = page(opens_zones, oid in objections, ("shown", oid))
    for base_id in world["bases"]:
        answer = (200 if base_id in bases else 403) if opens_bases else 403  # bases are public: refused, not hidden
        seen[f"base {base_id} attendance"] = seen[f"base {base_id} day"] = answer
    for school_id in world["schools"]:
        seen[f"school {school_id}"] = 200 if opens_school_pages and school_id in runs else 403
    for campaign_id, school_id in world["campaigns"].items():
        seen[f"campaign {campaign_id}"] = 200 if reads_schools and school_id in reads else 403
        seen[f"campaign {campaign_id} check-ins"] = seen[f"campaign {campaign_id}"]
    seen["dashboard"] = {
        "zones": len(zones),
        "objections_waiting": sorted(objections),
        "visits_today": sorted(bases),
        "visits_month": sorted(bases & {world["checked_in_base"]}),
        "campaigns_co2": sorted(campaigns),
        "objections_per_notice": {str(world["notice"]): len(objections)} if objections else {},
    }
    return seen


def summary(seen: dict) -> dict:
    """A view with the dashboard reduced to the rows it counts (what the rule speaks of)."""
    board = seen["dashboard"]
    return {
        **seen,
        "dashboard": {
            "zones": sum(row[3] for row in board["zones"]),
            "objections_waiting": sorted(board["objections_waiting"]),
            "visits_today": sorted(int(b) for b in board["visits_today"]),
            "visits_month": sorted(int(b) for b in board["visits_month"]),
            "campaigns_co2": sorted(int(c) for c in board["campaigns_co2"]),
            "objections_per_notice": board["objections_per_notice"],
        },
    }


def sign_in(app, client, who, world):
    role, scope = ROLES[who]
    scope = {
        key: world["bases"][0] if key == "base_id" else world["schools"][0] if key == "school_id" else value
        for key, value in scope.items()
    }
    username = staff_account(app, role, who.replace(":", "-"), **scope)
    return ApiFace(client, username), ConsoleFace(app, username)


# ---- the tests -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _views_of_every_role() -> dict:
    return {}


@pytest.fixture
def views(request, _views_of_every_role):
    """{role: (what the staff API shows, what the console shows, what the rule gives)}, for every
    role in one world, built once per module: the world takes seconds and viewing it writes nothing."""
    if not _views_of_every_role:
        app, client = request.getfixturevalue("app"), request.getfixturevalue("client")
        world = request.getfixturevalue("world")
        for who in ROLES:
            api, console = sign_in(app, client, who, world)
            _views_of_every_role[who] = (view(api, world), view(console, world), expected(who, world))
    return _views_of_every_role


@pytest.mark.parametrize("who", ROLES)
def test_each_role_sees_the_same_rows_in_both_faces_and_only_its_own(views, who):
    seen, in_the_console, rule = views[who]
    assert seen == in_the_console  # the staff API and the console agree, page by page
    assert summary(seen) == rule  # and what they show is what the rule gives


def test_another_departments_zone_is_not_found_like_a_missing_one(app, client, auth):
    """The same error, word for word, in the staff API: nothing tells an unpublished application
    of another department from an id that does not exist."""
    park = make_zone(app, "applied", type="park")
    housing = auth.staff("department_officer", department="housing_construction")
    theirs, missing = (client.get(f"/api/admin/v1/zones/{zone_id}", headers=housing) for zone_id in (park, MISSING))
    assert (theirs.status_code, theirs.json) == (missing.status_code, missing.json)


def test_a_filtered_list_never_reaches_outside_the_scope(app, client, auth):
    """Filters narrow the scope; asking for another department's type gives an empty list, not theirs."""
    make_zone(app, "applied", type="park")
    housing = auth.staff("department_officer", department="housing_construction")
    listed = client.get("/api/admin/v1/zones?type=park", headers=housing).json
    assert listed["total"] == 0
