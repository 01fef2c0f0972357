"""Shared test fixtures: where the reference data lives, tiny datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Every plotly figure built in the tests is checked property by property (valuation/present/style.py;
# the app skips that for speed). The browser tests' servers run unchecked, as users' do.
os.environ.setdefault("VALUATION_CHECK_FIGURES", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _shared(sub: str) -> Path:
    path = SHARED_DATA / sub
    if not path.exists():
        message = f"reference data {path} is absent (it lives in ../shared/data beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI it must be there")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def cdnow_dir() -> Path:
    """The CDNOW folder of ../shared/data; skips locally when absent, fails under CI."""
    return _shared("cdnow")
