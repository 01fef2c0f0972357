"""The load test in its short form: 3 real browser sessions moving sliders for 10 s, no errors.

The full form (10 sessions, 60 s) is a documented command whose figures are in
docs/benchmarks.md: ``python bench/load_test.py --sessions 10 --seconds 60``. Timings depend
on the machine, so this test asserts only that every move was answered without an error.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.browser import REPO, require_chromium

pytestmark = pytest.mark.browser


def test_three_sessions_moving_sliders_for_ten_seconds_get_every_answer_without_errors():
    require_chromium()
    proc = subprocess.run([sys.executable, "bench/load_test.py", "--sessions", "3", "--seconds", "10", "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.stdout.strip(), proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["errors"] == 0, result["error_messages"]
    assert all(n > 0 for n in result["requests_per_session"]), result
    assert proc.returncode == 0
