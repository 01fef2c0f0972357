"""AppTest for the explore and value-over-time pages: change a widget, check what moved against the engine."""

from __future__ import annotations

import base64
import datetime as dt
import json

import numpy as np
import pytest

from tests.apptest import metric, open_page, start
from valuation.analysis import explore, snapshots
from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
from valuation.model import pipeline

FIRST_ORDER, LAST_ORDER = dt.date(2023, 9, 30), dt.date(2026, 9, 30)  # the sample's order history


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("apptest_explore") / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.close()
    return path


@pytest.fixture(scope="module")
def engine(db_path):
    """The engine's own answers on the same data (default settings), to compare the pages with."""
    store = Store(db_path, read_only=True)
    dates = snapshots.default_snapshot_dates(FIRST_ORDER, LAST_ORDER)
    two = [dt.date(2026, 3, 31), LAST_ORDER]
    answers = {
        "scored": pipeline.run(store, SAMPLE_DATASET),
        "category_revenue": explore.order_slice(store, SAMPLE_DATASET, ("category",), LAST_ORDER,
                                                measure="revenue"),
        "change_3m": explore.revenue_change(store, SAMPLE_DATASET, LAST_ORDER, 3),
        "dates": dates,
        "snapshots": snapshots.score_snapshots(store, SAMPLE_DATASET, sorted(set(dates) | set(two))),
        "two": two,
    }
    store.close()
    return answers


@pytest.fixture
def app(db_path, monkeypatch):
    return start(db_path, monkeypatch)


def figures(at) -> dict[str, dict]:
    """Every plotly figure on the page by its title."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out[spec["layout"]["title"]["text"]] = spec
    return out


def array(value) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array ({"dtype", "bdata"}) as plotly writes numpy data."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value, dtype=float if value and not isinstance(value[0], str) else object)


def snapshot_picker(at):
    return next(m for m in at.multiselect if m.label == "Snapshot dates")


# --------------------------------------------------------------------------- explore


def test_switching_the_dimension_from_region_to_industry_moves_bars_and_table(app, engine):
    open_page(app, "explore")
    assert app.title[0].value == "Explore"
    assert app.selectbox(key="explore::dim").value == "region"
    by_region = explore.customer_slice(engine["scored"], ("region",))
    bars = figures(app)["Customers by Region"]["data"][0]
    assert list(bars["x"]) == list(by_region["region"])
    assert array(bars["y"]).tolist() == by_region["customers"].tolist()
    assert app.dataframe[0].value["Region"].tolist() == list(by_region["region"])

    app.selectbox(key="explore::dim").set_value("industry").run()
    assert not app.exception
    by_industry = explore.customer_slice(engine["scored"], ("industry",))
    bars = figures(app)["Customers by Industry"]["data"][0]
    assert list(bars["x"]) == list(by_industry["industry"])
    assert array(bars["y"]).tolist() == by_industry["customers"].tolist()
    table = app.dataframe[0].value
    assert "Region" not in table and table["Industry"].tolist() == list(by_industry["industry"])


def test_a_category_slice_shows_the_sql_revenue_and_offers_order_measures(app, engine):
    open_page(app, "explore")
    app.selectbox(key="explore::dim").set_value("category").run()
    measure = app.selectbox(key="explore::measure::order")
    assert measure.options == ["Revenue", "Gross profit", "Orders", "Customers"]
    measure.set_value("revenue").run()
    assert not app.exception
    expected = engine["category_revenue"]
    bars = figures(app)["Revenue by Product category"]["data"][0]
    assert list(bars["x"]) == list(expected["category"])
    assert array(bars["y"]) == pytest.approx(expected["revenue"].to_numpy())  # English: plotted in yuan


def test_the_region_by_tier_heatmap_counts_the_engine_customers(app, engine):
    open_page(app, "explore")
    grid = explore.pivot(explore.customer_slice(engine["scored"], ("region", "tier")), ("region", "tier"),
                         "customers")
    heat = figures(app)["Customers: Region × Tier"]["data"][0]
    assert list(heat["y"]) == list(grid.index)
    z = np.array([[np.nan if v is None else v for v in row] for row in heat["z"]], dtype=float) \
        if isinstance(heat["z"], list) else array(heat["z"]).reshape(grid.shape)
    assert np.allclose(z, grid.to_numpy(dtype=float), equal_nan=True)


def test_the_growth_window_changes_the_fastest_growers(app, engine):
    open_page(app, "explore")
    before = app.dataframe[-1].value["Customer ID"].tolist()
    app.selectbox(key="explore::growth_months").set_value(3).run()
    assert not app.exception
    expected = explore.fastest_growing(engine["change_3m"], engine["scored"], 5000, 20, "rate")
    after = app.dataframe[-1].value["Customer ID"].tolist()
    assert after == expected["customer_id"].tolist() and after != before


# --------------------------------------------------------------------------- value over time


def test_value_over_time_opens_on_the_last_four_quarter_ends_and_counts_moves_like_the_engine(app, engine):
    open_page(app, "dynamics")
    assert app.title[0].value == "Value over time"
    dates = engine["dates"]
    assert snapshot_picker(app).value == dates
    counts = snapshots.tier_change_counts(engine["snapshots"][dates[0]], engine["snapshots"][dates[-1]])
    assert metric(app, "Customers up a tier") == f"{counts['up']:,}"
    assert metric(app, "Customers down a tier") == f"{counts['down']:,}"
    methods = snapshots.clv_methods({d: engine["snapshots"][d] for d in dates})
    formula_dates = [d.isoformat() for d, m in methods.items() if m == "formula"]
    mixed = [w.value for w in app.warning if "could not be fitted" in w.value]
    assert len(mixed) == (1 if formula_dates and len(formula_dates) < len(dates) else 0)
    assert all(d in mixed[0] for d in formula_dates) if mixed else True
    sankey = figures(app)["Tier moves across snapshots"]
    flows = snapshots.flows(snapshots.panel({d: engine["snapshots"][d] for d in dates}), "tier")
    assert array(sankey["data"][0]["link"]["value"]).sum() == flows["customers"].sum()
    assert [a["text"] for a in sankey["layout"]["annotations"] if a["text"].startswith("<b>")] == \
        [f"<b>{d.isoformat()}</b>" for d in dates]


def test_choosing_two_snapshots_redraws_the_sankey_and_the_risers(app, engine):
    open_page(app, "dynamics")
    nodes_before = len(figures(app)["Tier moves across snapshots"]["data"][0]["node"]["label"])
    first, last = engine["two"]
    snapshot_picker(app).set_value([first, last]).run()
    assert not app.exception
    assert "2 snapshots: 2026-03-31 → 2026-09-30" in [c.value for c in app.caption]
    sankey = figures(app)["Tier moves across snapshots"]
    assert len(sankey["data"][0]["node"]["label"]) < nodes_before
    rising, falling = snapshots.rising_and_falling(engine["snapshots"][first], engine["snapshots"][last], 15)
    tables = [d.value for d in app.dataframe]
    assert tables[-2]["Customer ID"].tolist() == rising["customer_id"].tolist()
    assert tables[-1]["Customer ID"].tolist() == falling["customer_id"].tolist()
    counts = snapshots.tier_change_counts(engine["snapshots"][first], engine["snapshots"][last])
    assert metric(app, "Prospects who bought") == f"{counts['converted']:,}"


def test_the_two_chosen_view_draws_the_migration_sankey_between_them(app, engine):
    open_page(app, "dynamics")
    app.radio(key="dyn::view").set_value("two").run()
    assert not app.exception
    dates = engine["dates"]
    assert app.selectbox(key="dyn::from").value == dates[0] and app.selectbox(key="dyn::to").value == dates[-1]
    charts = figures(app)
    assert "Tier moves across snapshots" not in charts
    sankey = charts["Tier migration"]
    before = engine["snapshots"][dates[0]].set_index("customer_id")["tier"]
    after = engine["snapshots"][dates[-1]].set_index("customer_id")["tier"]
    both = before.index.intersection(after.index)
    assert array(sankey["data"][0]["link"]["value"]).sum() == len(both)


# --------------------------------------------------------------------------- cached paths


def test_cached_tables_follow_the_settings_and_equal_the_engine_on_every_rerun(app, db_path, tmp_path):
    """The explore and actions pages serve cached results (per dataset version, as-of date and settings):
    a rerun shows the same tables, and new weights show the engine's answer for those weights."""
    import shutil
    from dataclasses import replace

    from valuation.analysis import actions, upsell
    from valuation.model.settings import Settings, Weights
    from valuation.present.exports import labelled

    copy = tmp_path / "engine.duckdb"  # the app holds the file open: the engine reads a copy of it
    shutil.copy(db_path, copy)
    store = Store(copy, read_only=True)
    tilted = replace(Settings(), weights=Weights(current=80, future=5, credit=5, loyalty=5, growth=5))
    expected = {}
    for name, value in (("default", Settings()), ("tilted", tilted)):
        scored = pipeline.run(store, SAMPLE_DATASET, settings=value)
        owned = actions.customer_categories(store, SAMPLE_DATASET, scored.attrs["as_of"])
        bought = upsell.category_purchases(store, SAMPLE_DATASET, scored.attrs["as_of"])
        expected[name] = (explore.top_customers(scored, "composite", 20),
                          explore.customer_slice(scored, ("tier", "rfm_segment", "region"), "customers"),
                          actions.action_lists(scored, owned, "en", purchases=bought))
    store.close()
    assert not expected["default"][0].equals(expected["tilted"][0])  # the weights move the top customers

    def shown(at, title_word):
        return next(d.value for d in at.dataframe if any(title_word in str(c) for c in d.value.columns))

    for name, value in (("default", Settings()), ("tilted", tilted), ("default", Settings())):
        app.session_state["settings"] = value
        top, cube, lists = expected[name]
        open_page(app, "explore")
        for _ in range(2):  # computed, then served from the cache
            ids = app.dataframe[5].value.iloc[:, 0].tolist()  # the top-customers table (ids first)
            assert ids == top["customer_id"].tolist()
            cube_shown = app.dataframe[2].value
            assert cube_shown.iloc[:, -5].tolist() == cube["customers"].tolist()
            app.run()
        open_page(app, "actions")
        for list_name in actions.LISTS:
            app.radio(key="action_list").set_value(list_name).run()
            frame = lists[list_name]
            if frame.empty:
                assert app.success
                continue
            got = app.dataframe[0].value.reset_index(drop=True)
            want = labelled(frame.head(5000), "en").reset_index(drop=True)
            assert got.columns.tolist() == want.columns.tolist()
            assert got.iloc[:, 0].astype(str).tolist() == want.iloc[:, 0].astype(str).tolist()
            assert got.astype(str).equals(want.astype(str))


def test_top_and_fastest_growing_lists_filter_by_region_product_and_period_together(app, engine, db_path):
    scored = engine["scored"]
    store = Store(db_path)  # the app's own configuration (DuckDB allows one per file in a process)
    try:
        category = explore.order_slice(store, SAMPLE_DATASET, ("category",), LAST_ORDER,
                                       measure="revenue")["category"].iloc[0]
        buyers = explore.category_buyers(store, SAMPLE_DATASET, LAST_ORDER, [category], 12)
    finally:
        store.close()
    open_page(app, "explore")
    app.multiselect(key="explore::top_regions").set_value(["华东"])
    app.multiselect(key="explore::top_products").set_value([category])
    app.selectbox(key="explore::top_period").set_value(12).run()
    assert not app.exception
    chosen = explore.restrict(scored, ["华东"], buyers)
    assert 0 < len(chosen) < len(scored) and set(chosen["region"]) == {"华东"}
    expected = explore.top_customers(chosen, "composite", 20)["customer_id"].tolist()
    tables = [d.value for d in app.dataframe if "Customer ID" in d.value.columns]
    assert any(t["Customer ID"].tolist() == expected for t in tables)
    growers = app.dataframe[-1].value["Customer ID"].tolist()
    assert growers and set(growers) <= set(chosen["customer_id"])
    assert any(f"{int(chosen['has_orders'].sum()):,} buyers" in c.value for c in app.caption)


# --------------------------------------------------------------------------- buy more, needs segments (#15 item 10)


def needs_table(at, header: str = "Needs segment"):
    return next(d.value for d in at.dataframe if header in d.value.columns)


def test_the_growable_list_shows_the_buy_more_suggestions_with_their_rule(app, engine):
    from valuation.analysis import upsell

    open_page(app, "actions")
    app.radio(key="action_list").set_value("growable").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert "Buy-more suggestions" in table.columns and "Yearly revenue from a shorter cycle" in table.columns
    shown = table["Buy-more suggestions"].astype(str)
    assert shown.str.startswith("Shorten the reorder cycle").any() and shown.str.contains("higher price band").any()
    assert any(c.value.startswith("Buy more of what they buy") for c in app.caption)
    expected = upsell.frequency_gains(engine["scored"], table["Customer ID"].astype(str))
    assert (table["Yearly revenue from a shorter cycle"].notna().sum()) == len(expected)


def test_the_needs_percentile_changes_the_segment_counts_as_the_engine_does(app, db_path):
    import shutil
    import tempfile
    from pathlib import Path

    from valuation.analysis import needs, upsell

    with tempfile.TemporaryDirectory() as folder:  # the app holds the file open: the engine reads a copy
        copy = Path(folder) / "engine.duckdb"
        shutil.copy(db_path, copy)
        store = Store(copy, read_only=True)
        scored = pipeline.run(store, SAMPLE_DATASET)
        bought = upsell.category_purchases(store, SAMPLE_DATASET, scored.attrs["as_of"])
        store.close()
    open_page(app, "explore")
    assert "Needs-based segments" in [h.value for h in app.subheader]
    before = needs_table(app)
    want = needs.needs_summary(needs.needs_segments(scored, bought, 0.75))
    assert before["Customers"].tolist() == want["customers"].tolist()
    assert before["Needs segment"].tolist() == ["Price-sensitive", "Service-seeking", "Brand-loyal", "Other / mixed"]
    app.slider(key="explore::needs_pct").set_value(90).run()
    assert not app.exception
    after = needs_table(app)
    want = needs.needs_summary(needs.needs_segments(scored, bought, 0.9))
    assert after["Customers"].tolist() == want["customers"].tolist() != before["Customers"].tolist()
    rules = [c.value for c in app.caption if c.value.startswith("Brand-loyal: ")]
    assert rules and "the top 10% of customers" in rules[0]


def test_buy_more_and_needs_segments_read_in_chinese(db_path, monkeypatch):
    import re

    app = start(db_path, monkeypatch, lang="zh")
    open_page(app, "explore")
    assert "需求分群" in [h.value for h in app.subheader]
    table = needs_table(app, "需求分群")
    assert table["需求分群"].tolist() == ["价格敏感型", "服务追求型", "品牌忠诚型", "其他/综合型"]
    assert "符合规则的客户数" in table.columns
    captions = " ".join(c.value for c in app.caption if "型：" in c.value or "优先级" in c.value)
    assert captions and not re.search(r"[A-Za-z]{3,}", captions)
    open_page(app, "actions")
    app.radio(key="action_list").set_value("growable").run()
    assert not app.exception
    growable = app.dataframe[0].value
    assert "提升购买建议" in growable.columns and "缩短周期年增收" in growable.columns
    words = " ".join(growable["提升购买建议"].astype(str))
    assert "缩短复购周期" in words and not re.search(r"[A-Za-z]{3,}", words)


def test_value_over_times_csv_files_say_what_the_tables_say_in_chinese(db_path, monkeypatch, engine):
    """The flows, the tier shares and the risers and fallers download as the page shows them: headers
    and tier labels in the reader's language, not the engine's column codes."""
    import io
    import re

    import pandas as pd
    import streamlit
    from streamlit.delta_generator import DeltaGenerator

    files = {}
    original = DeltaGenerator.download_button

    def recording(self, label, data, file_name=None, *args, **kwargs):
        files[kwargs.get("key")] = data
        return original(self, label, data, file_name, *args, **kwargs)
    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    monkeypatch.setattr(streamlit, "download_button", lambda *a, **k: recording(streamlit._main, *a, **k))
    at = open_page(start(db_path, monkeypatch, "zh"), "dynamics")
    assert not at.exception, [e.message for e in at.exception]
    code = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")  # from_snapshot, customer_share, tier_before …
    for key in ("download_dyn_flows", "download_dyn_shares", "download_dyn_movers"):
        frame = pd.read_csv(io.BytesIO(files[key]))
        assert not [c for c in frame.columns if code.match(str(c))], (key, list(frame.columns))
        text = files[key].decode("utf-8-sig")
        assert "below_zero" not in text and "prospect," not in text and "rising" not in text, key
    flows = pd.read_csv(io.BytesIO(files["download_dyn_flows"]))
    expected = snapshots.flows(snapshots.panel({d: engine["snapshots"][d] for d in engine["dates"]}), "tier")
    assert flows[flows.columns[-1]].sum() == expected["customers"].sum()  # the same counts, labelled
    movers = files["download_dyn_movers"].decode("utf-8-sig")
    assert "上升" in movers and "下降" in movers
