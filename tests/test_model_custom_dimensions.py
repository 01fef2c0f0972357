"""A manager's own numeric customer columns become custom dimensions with their own weight."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from valuation.data import ingest
from valuation.data.store import Store, ensure_sample
from valuation.model import pipeline
from valuation.model.settings import Settings, Weights

APP = str(Path(__file__).resolve().parents[1] / "app.py")

CUSTOMERS = ("客户编号,客户名称,地区,战略重要性,备注\n"
             "A,甲公司,华东,9,重点\n"
             "B,乙公司,华南,2,\n"
             "C,丙公司,华北,,新客户\n")


def test_numeric_columns_nobody_mapped_are_kept_as_customer_metrics():
    result = ingest.read_table(CUSTOMERS.encode(), name="客户.csv", table="customers")
    metrics = result.tables["customer_metrics"]
    assert metrics["metric"].unique().tolist() == ["战略重要性"]  # 备注 holds text: not a metric
    assert dict(zip(metrics["customer_id"], metrics["value"])) == {"A": 9.0, "B": 2.0}


@pytest.fixture
def store():
    s = Store(":memory:")
    orders = pd.DataFrame({"customer_id": list("AABBC"), "amount": [100.0, 120.0, 100.0, 90.0, 100.0],
                           "order_date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-05",
                                                         "2024-03-02", "2024-02-01"])})
    customers = ingest.read_table(CUSTOMERS.encode(), name="客户.csv", table="customers").tables
    s.replace_dataset("d", {"orders": orders, **customers})
    return s


def test_a_custom_dimension_is_scored_and_weighted(store):
    prepared = pipeline.prepare(store, "d", custom_columns=("战略重要性",))
    assert "战略重要性" in prepared.custom_candidates
    settings = replace(Settings(), weights=Weights(current=0, future=0, credit=0, loyalty=0, growth=0,
                                                   custom=(("战略重要性", 10.0),)))
    scored = pipeline.score(prepared, settings).set_index("customer_id")
    # With only the custom weight, the composite is that column's percentile (C has none: neutral 50).
    assert scored.loc["A", "composite"] == 100.0
    assert scored.loc["B", "composite"] == 0.0
    assert scored.loc["C", "composite"] == 50.0
    assert scored.loc["A", "tier"] == "A"


def test_metrics_survive_copying_a_session_upload_into_the_database(store, tmp_path):
    tables = store.export_tables("d")
    assert "customer_metrics" in tables
    other = Store(tmp_path / "x.duckdb")
    other.replace_dataset("copy", tables)
    assert len(other.customer_metrics("copy")) == 2


def test_the_tuning_page_offers_the_column_and_a_slider_for_it(tmp_path, monkeypatch, store):
    db = Store(tmp_path / "app.duckdb")
    ensure_sample(db)
    db.replace_dataset("mine", store.export_tables("d"))
    db.close()
    monkeypatch.setenv("VALUATION_DB", str(tmp_path / "app.duckdb"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.selectbox(key="dataset").set_value("db:mine").run()
    at.switch_page("views/tuning.py").run()
    assert "战略重要性" in at.multiselect(key="custom_dims").options
    at.multiselect(key="custom_dims").set_value(["战略重要性"]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.slider(key="w::custom:战略重要性").value == 10.0
    assert at.session_state["settings"].weights.custom == (("战略重要性", 10.0),)


def test_a_hostile_header_is_offered_verbatim_and_labels_its_slider_as_text(tmp_path, monkeypatch):
    """The header is the data's text: the multiselect option (plain text) shows it as it is, the slider
    label (markdown) escaped, whole (a ":" in it does not cut it), so no image or link is made of it."""
    from ui.safe import md

    header = "![x](http://127.0.0.1:9/p.png) [click](http://127.0.0.1:9/c) <b>hb</b>"
    db = Store(tmp_path / "app.duckdb")
    ensure_sample(db)
    orders = pd.DataFrame({"customer_id": list("AABBC"), "amount": [100.0, 120.0, 100.0, 90.0, 100.0],
                           "order_date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-05",
                                                         "2024-03-02", "2024-02-01"])})
    metrics = pd.DataFrame({"customer_id": list("ABC"), "metric": header, "value": [1.0, 2.0, 3.0]})
    db.replace_dataset("mine", {"orders": orders, "customer_metrics": metrics})
    db.close()
    monkeypatch.setenv("VALUATION_DB", str(tmp_path / "app.duckdb"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.selectbox(key="dataset").set_value("db:mine").run()
    at.switch_page("views/tuning.py").run()
    chooser = at.multiselect(key="custom_dims")
    assert header in chooser.options  # options are shown as plain text: no escaping
    chooser.set_value([header]).run()
    assert not at.exception, [e.message for e in at.exception]
    slider = at.slider(key=f"w::custom:{header}")
    assert slider.label == md(header)
    assert slider.label.startswith("\\!\\[x\\]")  # escaped: neither an image nor a link
