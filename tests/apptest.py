"""Helpers of the page tests: the app started on a database file, a page opened, a metric read."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def sample_db(tmp_path_factory, name: str = "apptest") -> Path:
    """A database file holding the bundled sample (for a module's ``db_path`` fixture)."""
    return sample_db_in(tmp_path_factory.mktemp(name))


def sample_db_in(folder: Path) -> Path:
    """``folder``/app.duckdb holding the bundled sample (for a test's own ``db_path`` fixture)."""
    from valuation.data.store import Store, ensure_sample

    path = Path(folder) / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.close()
    return path


def prepared_sample(db_path):
    """The engine's own prepared sample on ``db_path``, to compare the pages with."""
    from valuation.data.store import SAMPLE_DATASET, Store
    from valuation.model import pipeline

    store = Store(db_path, read_only=True)
    try:
        return pipeline.prepare(store, SAMPLE_DATASET)
    finally:
        store.close()


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


def open_rules(at: AppTest, which: str) -> AppTest:
    """Open one of weight tuning's rule expanders (``tiers``, ``classes``, ``tilt``), as a click on it does:
    its inputs are drawn only while it is open (views/tuning.py)."""
    at.session_state[f"rules::{which}"] = True
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def preset_box(at: AppTest):
    """Weight tuning's preset box (its key names the preset the weights are: ui/controls.py)."""
    return next(box for box in at.selectbox if box.key and box.key.startswith("preset::"))


def orders_only_frame():
    """60 orders of 12 customers (K0…K11), every 11 days from 2023-01-01: a dataset with nothing
    but orders (no cost, payments, service or customer attributes)."""
    import pandas as pd

    rng = pd.Series(range(60))
    return pd.DataFrame({"customer_id": "K" + (rng % 12).astype(str),
                         "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng * 11, unit="D"),
                         "amount": 100.0 + rng * 7})
