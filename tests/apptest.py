"""Helpers of the page tests: the app started on a database file, a page opened, a metric read."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def start(db_path, monkeypatch, lang: str = "en") -> AppTest:
    """``app.py`` run once on ``db_path`` in ``lang``, with no exception."""
    monkeypatch.setenv("VALUATION_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"views/{name}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)
