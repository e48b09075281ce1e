"""End to end in a real browser: Debian's Chromium, headless, driven by Playwright, against the
service started on a local port. Sign in, move a zone through a transition, decide an objection,
check a booking in at the door (on a phone-sized screen), and keep a screenshot of the dashboard
as a test artifact (test-artifacts/console-dashboard.png)."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port
from tests.factories import make_base, make_slot, make_zone, move_booking_to_today, open_notice
from tests.test_console import PASSWORD, staff_account
from tests.test_objection_handling import objection_id, raise_objections
from tests.test_visits import book, visitors

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if CHROMIUM is None or sync_playwright is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the browser tests need Chromium and Playwright in CI (.ci/run installs Chromium)")
        pytest.skip("Chromium or Playwright is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def sign_in(browser, live, username, **context):
    page = browser.new_context(locale="zh-CN", **context).new_page()
    page.goto(f"{live}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live}/console/**")
    return page


def test_moving_a_zone_through_a_transition(app, browser, live):
    zone_id = make_zone(app, "applied", type="park", name="浏览器测试园区")
    staff_account(app, "institute_staff", "browser-institute")
    page = sign_in(browser, live, "browser-institute")
    page.goto(f"{live}/console/zones/{zone_id}")
    page.get_by_role("button", name="转为「专家评审」").click()
    assert page.locator("h1 .tag").inner_text() == "专家评审"


def test_deciding_an_objection(app, client, auth, fake_wechat, browser, live):
    notice = open_notice(app, zone_types=("building",))
    _, receipts = raise_objections(client, auth, notice)
    objection = objection_id(app, receipts[0])
    staff_account(app, "department_officer", "browser-housing", department="housing_construction")
    page = sign_in(browser, live, "browser-housing")
    page.goto(f"{live}/console/objections/{objection}")
    page.get_by_label("处理结果").select_option("accepted")
    page.get_by_label("书面答复（异议人可见）").fill("已受理，将在五个工作日内书面答复。")
    page.get_by_role("button", name="提交处理结果").click()
    assert page.locator("#objection-status").inner_text() == "已受理"


def test_checking_a_booking_in_at_the_door_on_a_phone(app, client, auth, fake_wechat, browser, live):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("browser-visitor")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "browser-1").json
    move_booking_to_today(app, booking["id"])
    code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
    staff_account(app, "base_operator", "browser-door", base_id=base_id)
    page = sign_in(browser, live, "browser-door", viewport={"width": 375, "height": 740}, is_mobile=True)
    page.goto(f"{live}/console/door")
    page.get_by_label("核验码（扫码枪扫描，或手工输入）").fill(code)
    page.keyboard.press("Enter")  # what a hand-held scanner sends after the code
    assert "核验通过" in page.locator("#checkin-result").inner_text()


def test_a_screenshot_of_the_dashboard(app, browser, live):
    for zone_type, status in (
        ("park", "titled"),
        ("building", "publicity"),
        ("school", "applied"),
        ("park", "applied"),
    ):
        make_zone(app, status, type=zone_type)
    staff_account(app, "institute_staff", "browser-dashboard")
    page = sign_in(browser, live, "browser-dashboard", viewport={"width": 1280, "height": 900})
    page.goto(f"{live}/console/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "console-dashboard.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_the_pending_objections_card_keeps_names_on_a_line(app, client, auth, fake_wechat, browser, live):
    """Staff saw zone names wrapped one character per line in a narrow card."""
    from app.extensions import db
    from app.zones.models import Zone

    notice = open_notice(app, zone_types=("building",))
    raise_objections(client, auth, notice)
    with app.app_context():
        db.session.get(Zone, notice["zone_ids"][0]).name = "长春新区北湖科技园综合服务中心近零碳建筑"
        db.session.commit()
    staff_account(app, "institute_staff", "browser-waiting")
    page = sign_in(browser, live, "browser-waiting", viewport={"width": 1024, "height": 800})
    page.goto(f"{live}/console/")
    cell = page.locator("#objections-waiting td.name").first
    line = float(cell.evaluate("td => parseFloat(getComputedStyle(td).lineHeight)"))
    assert cell.bounding_box()["height"] < 2.5 * line


def test_an_operator_creates_a_weeks_slots_in_the_browser(app, browser, live):
    base_id = make_base(app)
    staff_account(app, "base_operator", "browser-slots", base_id=base_id)
    page = sign_in(browser, live, "browser-slots", viewport={"width": 1280, "height": 900})
    page.goto(f"{live}/console/bases/{base_id}")
    with app.app_context():
        from datetime import timedelta

        from app.times import local_today

        first = local_today() + timedelta(days=1)
    page.get_by_label("开始日期").fill(first.isoformat())
    page.get_by_label("结束日期").fill((first + timedelta(days=6)).isoformat())
    page.get_by_label("时段（一行一个）").fill("09:00-10:30\n14:00-15:30")
    page.get_by_label("每个时段个人名额").fill("20")
    page.get_by_role("button", name="创建时段").click()
    page.wait_for_url(f"{live}/console/bases/{base_id}?day=*")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-base-slots-created.png"), full_page=True)
    assert "已创建 12 个时段" in page.content()  # Tuesday to Sunday, as the boxes come ticked
