"""Each benchmark script runs end to end on a tiny load (the figures themselves are not asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.embedded
def test_the_leaderboard_benchmark_runs_and_finds_the_boards_equal(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "bench/leaderboard.py",
            "--checkins",
            "300",
            "--students",
            "30",
            "--reads",
            "5",
            "--database-url",
            f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            "--redis-url",
            "",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "live board equals the database: yes; after a rebuild: yes" in result.stdout


@pytest.mark.embedded
def test_the_read_throughput_benchmark_runs(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "bench/api_throughput.py",
            "--duration",
            "1",
            "--connections",
            "2",
            "--load",
            "python",
            "--workers",
            "2",
            "--database-url",
            f"sqlite:///{tmp_path / 'reads.sqlite3'}",
            "--redis-url",
            "",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "zone list, 304" in result.stdout


@pytest.mark.postgres
@pytest.mark.redis
def test_the_booking_rush_benchmark_runs():
    import os

    from sqlalchemy.engine import make_url

    # A database of its own (the benchmark drops and recreates it), never the tests' one.
    database = make_url(os.environ["TEST_DATABASE_URL"]).set(database="lowcarbon_bench_smoke")
    redis_url = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/13"
    result = subprocess.run(
        [
            sys.executable,
            "bench/booking_rush.py",
            "--attempts",
            "40",
            "--capacity",
            "5",
            "--concurrency",
            "4",
            "--workers",
            "2",
            "--database-url",
            database.render_as_string(hide_password=False),
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "overbooked          0" in result.stdout


@pytest.mark.postgres
@pytest.mark.redis
def test_the_booking_rush_counts_one_bookings_round_trips():
    import os

    from sqlalchemy.engine import make_url

    database = make_url(os.environ["TEST_DATABASE_URL"]).set(database="lowcarbon_bench_smoke")
    redis_url = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/13"
    result = subprocess.run(
        [
            sys.executable,
            "bench/booking_rush.py",
            "--attempts",
            "1",
            "--count-only",
            "--database-url",
            database.render_as_string(hide_password=False),
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit 0 only when the winner got 201, the loser 409 and the retry its first answer.
    assert result.returncode == 0, result.stdout + result.stderr
