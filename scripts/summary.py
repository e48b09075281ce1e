"""Sum every test this run executed into one plain last line: `N passed, M failed`.

Reads the JUnit reports the run wrote (pytest's passes, the fuzzer's operations, the front end's
tests when they report) and the names of steps that failed without a report of their own (ruff, a
server that logged a traceback, a build). Usage:
    summary.py REPORT.xml ... [--failed-step NAME[@REPORT,REPORT...] ...]
A failed step named with its reports counts once more only when those reports show no failure
(pytest failing already counts its failed tests; the fuzzer failing on a server traceback does not).
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own test runners' reports, not untrusted input
from pathlib import Path


def count(report: Path) -> tuple[int, int]:
    """(passed, failed) in one JUnit file; skipped cases count as neither."""
    passed = failed = 0
    for case in ET.parse(report).iter("testcase"):  # noqa: S314
        outcomes = {child.tag for child in case}
        if outcomes & {"failure", "error"}:
            failed += 1
        elif "skipped" not in outcomes:
            passed += 1
    return passed, failed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("reports", nargs="*", type=Path)
    parser.add_argument("--failed-step", action="append", default=[])
    args = parser.parse_args()
    total_passed = total_failed = 0
    failed_in: dict[Path, int] = {}
    for report in args.reports:
        if not report.exists():
            print(f"  {report}: not written (the step did not run or did not finish)")
            continue
        passed, failed = count(report)
        failed_in[report] = failed
        print(f"  {report}: {passed} passed, {failed} failed")
        total_passed += passed
        total_failed += failed
    # A step that failed but whose reports show no failure (or that wrote none) still counts once.
    for step in args.failed_step:
        name, _, reports = step.partition("@")
        if any(failed_in.get(Path(r), 0) for r in reports.split(",") if r):
            continue
        print(f"  step failed: {name}")
        total_failed += 1
    print(f"{total_passed} passed, {total_failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
