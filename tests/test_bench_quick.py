"""The benchmark scripts keep working: ``bench/run.py --quick`` runs them all at small sizes.

Timings are not asserted (a test is no place for performance targets; those are in
bench/ and docs/benchmarks.md): only that the run succeeds, prints every benchmark's
line in its summary, and cleans up the data it generated.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SUMMARY_LINES = (
    "features", "features vs floor", "slider move", "dashboard rerun", "upload to tiers (utf-8)",
    "upload to tiers (gb18030)", "CLV fit", "upload (AppTest)", "sample generator",
)


@pytest.mark.slow
def test_the_quick_benchmark_run_prints_every_benchmark(tmp_path):
    data = tmp_path / "bench"
    proc = subprocess.run([sys.executable, "bench/run.py", "--quick", "--bench-dir", str(data)],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "=== summary" in proc.stdout
    summary = proc.stdout.split("=== summary", 1)[1].splitlines()
    for label in SUMMARY_LINES:
        assert any(line.strip().startswith(label + "  ") for line in summary), (label, summary)
    assert not data.exists()  # generated files are deleted at the end


@pytest.mark.slow
def test_the_every_page_benchmark_runs_on_a_small_dataset(tmp_path):
    import os

    proc = subprocess.run([sys.executable, "bench/bench_pages.py", "--customers", "2000",
                           "--pages", "tuning,customers,dynamics"], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "BENCH_DIR": str(tmp_path / "bench")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = [line.split()[0] for line in proc.stdout.splitlines() if "first" in line and "rerun" in line]
    assert lines == ["overview", "tuning", "customers", "dynamics"]
