"""Each benchmark script runs end to end on a tiny load (the figures themselves are not asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_leaderboard_benchmark_runs_and_finds_the_boards_equal(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/leaderboard.py", "--checkins", "300", "--students", "30", "--reads", "5",
         "--database-url", f"sqlite:///{tmp_path / 'bench.sqlite3'}", "--redis-url", ""],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "live board equals the database: yes; after a rebuild: yes" in result.stdout
