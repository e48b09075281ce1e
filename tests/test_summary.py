"""scripts/summary.py: the run's last line sums every report, alone on its line (issue 21.7)."""

import subprocess
import sys

REPORT = """<testsuites><testsuite>
<testcase name="a"/><testcase name="b"/><testcase name="c"><failure/></testcase><testcase name="d"><skipped/></testcase>
</testsuite></testsuites>"""
FUZZ = """<testsuite><testcase name="GET /zones"/><testcase name="POST /bookings"/></testsuite>"""


def _last_line(project_root, tmp_path, *extra) -> str:
    (tmp_path / "pytest.xml").write_text(REPORT)
    (tmp_path / "fuzz.xml").write_text(FUZZ)
    out = subprocess.run(
        [sys.executable, "scripts/summary.py", str(tmp_path / "pytest.xml"), str(tmp_path / "fuzz.xml"), *extra],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()[-1]


def test_the_last_line_sums_every_report(project_root, tmp_path):
    assert _last_line(project_root, tmp_path) == "4 passed, 1 failed"


def test_a_failed_step_without_a_failing_report_counts_once(project_root, tmp_path):
    assert _last_line(project_root, tmp_path, "--failed-step", "ruff check") == "4 passed, 2 failed"


def test_a_failed_step_whose_report_shows_the_failure_is_not_counted_again(project_root, tmp_path):
    step = f"pass 1@{tmp_path / 'pytest.xml'}"
    assert _last_line(project_root, tmp_path, "--failed-step", step) == "4 passed, 1 failed"
