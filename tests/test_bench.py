"""Each benchmark script runs end to end on a tiny load (the figures themselves are not asserted)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", autouse=True)
def _templates(tmp_path_factory):
    """The SQLite smoke runs copy one migrated (or seeded) database made on first use instead of
    migrating and seeding in two more processes each (bench/prepared.py)."""
    import os

    folder = tmp_path_factory.mktemp("bench-templates")
    os.environ["BENCH_TEMPLATE_DIR"] = str(folder)
    yield
    del os.environ["BENCH_TEMPLATE_DIR"]


def _bench_services(suffix: str) -> tuple[str, str]:
    """A benchmark's PostgreSQL database next to this worker's (the benchmark drops and recreates it)
    and this worker's own Redis db (the benchmark flushes it; each test's fixtures start from an empty
    one). Never a fixed name or db number: other checkouts, workers and the fuzzer use those."""
    from sqlalchemy.engine import make_url

    url = make_url(TEST_DATABASE_URL)
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False), TEST_REDIS_URL


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


@pytest.fixture(scope="module")
def read_throughput_run(tmp_path_factory):
    """One tiny run of bench/api_throughput.py: the service, the bare Flask app and the raw WSGI app."""
    tmp_path = tmp_path_factory.mktemp("reads")
    return subprocess.run(
        [
            sys.executable,
            "bench/api_throughput.py",
            "--path",
            "programme",
            "--path",
            "zone list, 304",
            "--duration",
            "1",
            "--rounds",
            "1",
            "--connections",
            "2",
            "--load",
            "python",
            "--workers",
            "1",
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


def _row(output: str, name: str) -> list[str]:
    return next(line for line in output.splitlines() if line.startswith(name)).split()


@pytest.mark.embedded
def test_the_read_throughput_benchmark_runs_without_errors(read_throughput_run):
    assert read_throughput_run.returncode == 0, read_throughput_run.stdout + read_throughput_run.stderr


@pytest.mark.embedded
def test_the_read_throughput_benchmark_measures_the_304(read_throughput_run):
    assert "zone list, 304" in read_throughput_run.stdout


@pytest.mark.embedded
def test_the_read_throughput_benchmark_measures_the_raw_wsgi_baseline(read_throughput_run):
    # programme  <raw r/s> <bare r/s> <service r/s> </raw> </bare> <p50> <p99> <raw p99> <errors>
    raw_rps = float(_row(read_throughput_run.stdout, "programme")[1].replace(",", ""))
    assert raw_rps > 0


@pytest.mark.embedded
def test_the_read_throughput_benchmark_prints_both_ratios(read_throughput_run):
    header = _row(read_throughput_run.stdout, "path")  # path raw r/s bare r/s service r/s /raw /bare …
    assert header[7:9] == ["/raw", "/bare"]


@pytest.mark.embedded
def test_the_cached_hit_profile_runs(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "bench/profile_cached_hit.py",
            "--calls",
            "20",
            "--database-url",
            f"sqlite:///{tmp_path / 'profile.sqlite3'}",
            "--redis-url",
            "",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "zone list, 304" in result.stdout, result.stdout + result.stderr


@pytest.fixture(scope="module")
def rush_run():
    """One tiny run of bench/booking_rush.py: one booking's round trips counted, then the rush
    (one gunicorn worker each for the service, the bare app and the floor app: a smoke run, not a
    measurement)."""
    database, redis_url = _bench_services("rush")
    return subprocess.run(
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
            "1",
            "--warm-up",
            "8",
            "--floor",
            "--database-url",
            database,
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.postgres
@pytest.mark.redis
def test_the_booking_rush_benchmark_runs(rush_run):
    # Exit 0 only when nothing was overbooked, nothing answered 5xx, and the counted booking's
    # winner got 201, its loser 409 and its retry the first answer.
    assert rush_run.returncode == 0, rush_run.stdout + rush_run.stderr


@pytest.mark.postgres
@pytest.mark.redis
def test_the_booking_rush_finds_nothing_overbooked(rush_run):
    assert "overbooked          0" in rush_run.stdout


@pytest.mark.postgres
@pytest.mark.redis
def test_the_booking_rush_prints_one_bookings_round_trips(rush_run):
    assert "round trips, winner (201)" in rush_run.stdout


@pytest.mark.postgres
@pytest.mark.redis
def test_the_booking_rush_prints_the_floor_of_the_required_libraries(rush_run):
    assert "every layer" in rush_run.stdout


@pytest.mark.embedded
def test_the_growth_benchmark_runs_and_prints_each_level(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "bench/growth.py",
            "--levels",
            "20,40",
            "--samples",
            "2",
            "--database-url",
            f"sqlite:///{tmp_path / 'growth.sqlite3'}",
            "--redis-url",
            "",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # minutes only on a machine busy with other benchmarks
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "booking                            40" in result.stdout


@pytest.mark.embedded
def test_the_memory_benchmark_runs_without_server_errors(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "bench/memory.py",
            "--requests",
            "100",
            "--connections",
            "2",
            "--workers",
            "1",
            "--database-url",
            f"sqlite:///{tmp_path / 'memory.sqlite3'}",
            "--redis-url",
            "",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # minutes only on a machine busy with other benchmarks
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5xx or 429: 0" in result.stdout


@pytest.mark.embedded
def test_the_metrics_cost_benchmark_runs(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "bench/api_throughput.py",
            "--metrics-cost",
            "--path",
            "zone list, page 1",
            "--duration",
            "1",
            "--rounds",
            "2",
            "--connections",
            "2",
            "--load",
            "python",
            "--workers",
            "1",
            "--database-url",
            f"sqlite:///{tmp_path / 'metrics.sqlite3'}",
            "--redis-url",
            "",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "in one process, cached reads" in result.stdout


@pytest.mark.postgres
@pytest.mark.redis
def test_the_checkin_burst_benchmark_runs_and_finds_the_live_board_equal_to_a_rebuild():
    database, redis_url = _bench_services("burst")
    result = subprocess.run(
        [
            sys.executable,
            "bench/checkin_burst.py",
            "--students",
            "30",
            "--concurrency",
            "4",
            "--readers",
            "1",
            "--workers",
            "1",
            "--database-url",
            database,
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^live board = rebuild\s+yes ", result.stdout, re.M), result.stdout
