"""Explore and value-over-time engine and charts: tiny hand-made data, then the sample against pandas."""

from __future__ import annotations

import datetime as dt
import string

import numpy as np
import pandas as pd
import pytest

from valuation.analysis import explore, snapshots
from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
from valuation.i18n.explore import TEXT as EXPLORE_TEXT
from valuation.i18n.text import TEXT
from valuation.model import pipeline
from valuation.present import charts_explore as cx

AS_OF = dt.date(2024, 6, 30)


def frame(columns, *rows, dates=()):
    f = pd.DataFrame(rows, columns=columns)
    for col in dates:
        f[col] = pd.to_datetime(f[col])
    return f


def tiny_orders(with_cost: bool = True) -> pd.DataFrame:
    orders = frame(["customer_id", "order_date", "amount", "cost", "category", "channel"],
                   ("a", "2024-01-10", 100.0, 60.0, "hw", "web"),
                   ("a", "2024-01-10", 50.0, 30.0, "sw", "web"),
                   ("a", "2024-05-01", 200.0, 120.0, "hw", "direct"),
                   ("a", "2024-06-01", -20.0, -12.0, "hw", "direct"),   # a return: nets off, not an order
                   ("b", "2023-06-30", 80.0, 40.0, "sw", "direct"),     # exactly 12 months before AS_OF
                   ("b", "2024-03-01", 40.0, 20.0, None, "direct"),     # no category
                   ("c", "2024-06-30", 10.0, 9.0, "hw", "web"),         # on the as-of date: counts
                   ("late", "2024-07-15", 999.0, 1.0, "hw", "web"),     # after the as-of date
                   dates=["order_date"])
    return orders if with_cost else orders.drop(columns=["cost"])


@pytest.fixture
def store():
    s = Store(":memory:")
    customers = frame(["customer_id", "name", "region", "channel", "acquisition_cost"],
                      ("a", "甲", "华东", "web", 100.0), ("b", "乙", "华南", "direct", None),
                      ("c", "丙", None, "web", 300.0))
    s.replace_dataset("t", {"orders": tiny_orders(), "customers": customers})
    s.replace_dataset("nocost", {"orders": tiny_orders(with_cost=False)})
    yield s
    s.close()


def scored_frame() -> pd.DataFrame:
    """Six customers shaped like pipeline.score output: four buyers, one loss-maker, one prospect."""
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "p"],
        "name": ["甲", "乙", "丙", "丁", "戊", "潜"],
        "has_orders": [True, True, True, True, True, False],
        "region": ["华东", "华南", "华东", None, "华南", "华东"],
        "channel": ["web", "direct", "web", "direct", "agent", "web"],
        "tier": ["A", "B", "C", "C", "below_zero", "prospect"],
        "rfm_segment": ["champions", "loyal", "lost", "lost", "at_risk", "no_orders"],
        "revenue_12m": [1000.0, 500.0, 200.0, 100.0, 50.0, 0.0],
        "net_profit_12m": [400.0, 150.0, 50.0, 20.0, -30.0, 0.0],
        "composite": [90.0, 70.0, 40.0, 30.0, 20.0, 5.0],
        "clv": [3000.0, 1000.0, 300.0, 100.0, 10.0, 0.0],
        "acquisition_cost": [500.0, 250.0, 100.0, 400.0, np.nan, 50.0],
    })


# --------------------------------------------------------------------------- customer-level slices


def test_customer_slice_counts_buyers_and_sums_their_value_per_region():
    out = explore.customer_slice(scored_frame(), ("region",)).set_index("region")
    assert list(out.index) == ["华东", "华南", explore.UNKNOWN]  # the prospect in 华东 is left out
    assert out.loc["华东", "customers"] == 2
    assert out.loc["华东", "revenue_12m"] == 1200.0
    assert out.loc["华南", "net_profit_12m"] == 120.0
    assert out.loc["华东", "composite"] == pytest.approx(65.0)  # a mean, not a sum
    assert out.loc[explore.UNKNOWN, "clv"] == 100.0


def test_nominal_values_go_largest_first_and_tiers_keep_their_canonical_order():
    by_profit = explore.customer_slice(scored_frame(), ("region",), measure="net_profit_12m")
    assert list(by_profit["region"]) == ["华东", "华南", explore.UNKNOWN]
    by_tier = explore.customer_slice(scored_frame(), ("tier",), measure="customers")
    assert list(by_tier["tier"]) == ["A", "B", "C", "below_zero"]  # C has most customers, A still first


def test_an_unknown_or_repeated_dimension_is_refused():
    with pytest.raises(ValueError, match="unknown dimension"):
        explore.customer_slice(scored_frame(), ("colour",))
    with pytest.raises(ValueError, match="distinct"):
        explore.customer_slice(scored_frame(), ("region", "region"))
    with pytest.raises(ValueError, match="customer-level"):
        explore.customer_slice(scored_frame(), ("month",))


def test_available_dimensions_follow_the_data():
    scored = scored_frame()
    dims = explore.available_dimensions(scored, {"orders": ["customer_id", "order_date", "amount", "category"]})
    assert "region" in dims and "tier" in dims and "category" in dims and "month" in dims
    assert "industry" not in dims  # no such column
    assert "order_channel" not in dims  # the orders had no channel


def test_pivot_puts_rows_and_columns_in_display_order():
    flat = explore.customer_slice(scored_frame(), ("region", "tier"))
    grid = explore.pivot(flat, ("region", "tier"), "customers")
    assert list(grid.index) == ["华东", "华南", explore.UNKNOWN]
    assert list(grid.columns) == ["A", "B", "C", "below_zero"]
    assert grid.loc["华东", "A"] == 1 and np.isnan(grid.loc["华东", "B"])


# --------------------------------------------------------------------------- order-level slices (SQL)


def test_order_slice_by_category_nets_returns_and_counts_buyers(store):
    out = explore.order_slice(store, "t", ("category",), AS_OF).set_index("category")
    # hw: 100 + 200 − 20 (return) + 10 = 290; sw: 50 + 80 = 130; the uncategorised order is "unknown".
    assert out.loc["hw", "revenue"] == pytest.approx(290.0)
    assert out.loc["hw", "gross_profit"] == pytest.approx(290.0 - (60 + 120 - 12 + 9))
    assert out.loc["hw", "orders"] == 3  # the return is not an order
    assert out.loc["hw", "customers"] == 2  # a and c; "late" bought after the as-of date
    assert out.loc["sw", "customers"] == 2
    assert out.loc[explore.UNKNOWN, "revenue"] == 40.0
    assert list(out.index)[-1] == explore.UNKNOWN


def test_orders_after_the_as_of_date_never_count(store):
    before = explore.order_slice(store, "t", ("year",), AS_OF)
    after = explore.order_slice(store, "t", ("year",), dt.date(2024, 7, 31))
    assert before["revenue"].sum() == pytest.approx(460.0)
    assert after["revenue"].sum() == pytest.approx(460.0 + 999.0)


def test_a_months_window_is_half_open(store):
    out = explore.order_slice(store, "t", ("order_channel",), AS_OF, months=12).set_index("order_channel")
    # b's order of 2023-06-30 sits exactly 12 months back: outside (start, as_of].
    assert out.loc["direct", "revenue"] == pytest.approx(200.0 - 20.0 + 40.0)
    assert out.loc["web", "revenue"] == pytest.approx(160.0)  # c's order on the as-of date is inside


def test_quarters_are_labelled_by_their_first_day_and_run_in_time_order(store):
    out = explore.order_slice(store, "t", ("quarter",), AS_OF)
    assert list(out["quarter"]) == [pd.Timestamp(d) for d in ("2023-04-01", "2024-01-01", "2024-04-01")]
    assert list(out["revenue"]) == pytest.approx([80.0, 190.0, 190.0])


def test_tier_by_quarter_joins_the_registered_tiers(store):
    attrs = pd.DataFrame({"customer_id": ["a", "b"], "tier": ["A", "C"]})  # c was not scored
    out = explore.order_slice(store, "t", ("tier", "quarter"), AS_OF, attrs=attrs)
    cell = out.set_index(["tier", "quarter"])["revenue"]
    assert cell[("A", pd.Timestamp("2024-01-01"))] == 150.0
    assert cell[("C", pd.Timestamp("2023-04-01"))] == 80.0
    assert cell[(explore.UNKNOWN, pd.Timestamp("2024-04-01"))] == 10.0
    assert list(out["tier"].unique()) == ["A", "C", explore.UNKNOWN]


def test_gross_profit_is_missing_without_a_cost_column(store):
    out = explore.order_slice(store, "nocost", ("category",), AS_OF)
    assert out["gross_profit"].isna().all()
    assert not explore.has_cost(store.provided_columns("nocost"))


def test_slice_query_passes_values_as_parameters_and_names_from_a_fixed_list():
    sql, params = explore.build_slice_query(("category", "tier"), '"ds_x"."orders"', AS_OF, 12, "_attrs")
    assert params["as_of"] == AS_OF and params["start"] == dt.date(2023, 6, 30)
    assert "2024" not in sql and "$as_of" in sql and "$start" in sql and "LEFT JOIN _attrs a" in sql
    sql_all, params_all = explore.build_slice_query(("month",), '"ds_x"."orders"', AS_OF)
    assert "$start" not in sql_all and "start" not in params_all and "JOIN" not in sql_all
    with pytest.raises(ValueError, match="attribute view"):
        explore.build_slice_query(("region", "month"), '"ds_x"."orders"', AS_OF)


# --------------------------------------------------------------------------- CLV and CAC, top, growth


def test_clv_against_cac_is_mean_clv_over_mean_known_cac_per_channel():
    out = explore.clv_vs_cac(scored_frame()).set_index("channel")
    assert out.loc["web", "mean_clv"] == pytest.approx((3000 + 300) / 2)
    assert out.loc["web", "mean_cac"] == pytest.approx((500 + 100) / 2)  # the prospect is left out
    assert out.loc["web", "clv_cac_ratio"] == pytest.approx(1650 / 300)
    assert out.loc["agent", "customers_with_cac"] == 0 and np.isnan(out.loc["agent", "clv_cac_ratio"])
    assert list(out.index) == ["web", "direct", "agent"]  # best ratio first, unknown ratio last
    overall = explore.clv_cac_overall(scored_frame())
    assert overall["customers"] == 5 and overall["customers_with_cac"] == 4


def test_missing_acquisition_cost_or_channel_is_reported():
    scored = scored_frame()
    assert explore.clv_cac_missing(scored) == ()
    assert explore.clv_cac_missing(scored.assign(acquisition_cost=np.nan)) == ("acquisition_cost",)
    assert explore.clv_cac_missing(scored.drop(columns=["channel"])) == ("channel",)
    no_channel = explore.clv_vs_cac(scored.drop(columns=["channel"]))
    assert list(no_channel["channel"]) == [explore.UNKNOWN]


def test_top_customers_rank_buyers_with_ties_broken_by_id():
    scored = scored_frame().assign(composite=[50.0, 70.0, 70.0, 10.0, 5.0, 99.0])
    top = explore.top_customers(scored, "composite", 3)
    assert list(top["customer_id"]) == ["b", "c", "a"]  # the prospect scores 99 but has no orders


def test_growth_rate_needs_the_minimum_base_and_lists_only_growers():
    change = pd.DataFrame({"customer_id": ["x", "y", "z", "w"],
                           "revenue_before": [10.0, 1000.0, 2000.0, 500.0],
                           "revenue_recent": [900.0, 1500.0, 5000.0, 100.0]})
    change["change"] = change["revenue_recent"] - change["revenue_before"]
    by_rate = explore.fastest_growing(change, min_base=100, by="rate")
    assert list(by_rate["customer_id"]) == ["z", "y"]  # x's base is too small for a rate; w shrank
    assert by_rate["growth_rate"].tolist() == pytest.approx([1.5, 0.5])
    by_change = explore.fastest_growing(change, min_base=100, by="change")
    assert list(by_change["customer_id"]) == ["z", "x", "y"]
    assert np.isnan(by_change.set_index("customer_id").loc["x", "growth_rate"])


def test_revenue_change_compares_two_windows_of_equal_length(store):
    windows = explore.growth_windows(AS_OF, 3)
    assert (windows["start"], windows["mid"]) == (dt.date(2023, 12, 30), dt.date(2024, 3, 30))
    out = explore.revenue_change(store, "t", AS_OF, 3).set_index("customer_id")
    assert out.loc["a", "revenue_before"] == 150.0 and out.loc["a", "revenue_recent"] == 180.0
    assert out.loc["b", "revenue_before"] == 40.0 and out.loc["b", "change"] == -40.0
    assert "late" not in out.index


# --------------------------------------------------------------------------- snapshots


def test_default_snapshots_are_the_last_quarter_ends_up_to_the_as_of_date():
    dates = snapshots.default_snapshot_dates(dt.date(2023, 9, 30), dt.date(2026, 8, 15))
    assert dates == [dt.date(2025, 9, 30), dt.date(2025, 12, 31), dt.date(2026, 3, 31), dt.date(2026, 6, 30)]
    assert len(snapshots.default_snapshot_dates(dt.date(2020, 1, 1), dt.date(2026, 1, 1), n=20)) == 8


def test_month_ends_stand_in_when_the_data_spans_under_two_quarters():
    dates = snapshots.default_snapshot_dates(dt.date(2024, 1, 10), dt.date(2024, 5, 20))
    assert dates == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30)]


def test_typed_dates_are_read_in_chinese_and_iso_and_the_rest_reported():
    good, bad = snapshots.parse_dates("2025-06-30, 2025/9/30；2025年12月31日 soon")
    assert good == [dt.date(2025, 6, 30), dt.date(2025, 9, 30), dt.date(2025, 12, 31)]
    assert bad == ["soon"]
    assert snapshots.parse_dates("") == ([], [])


def test_chosen_dates_stay_inside_the_data_and_keep_the_latest():
    picked = [dt.date(2024, m, 28) for m in range(1, 13)]
    kept, dropped = snapshots.choose_dates(picked, [dt.date(2030, 1, 1)], dt.date(2024, 2, 1), dt.date(2024, 12, 31))
    assert kept == picked[-8:]
    assert dt.date(2030, 1, 1) in dropped and picked[0] in dropped


def scoring(rows) -> pd.DataFrame:
    """A scored frame from (customer_id, tier, stage, composite) rows."""
    f = pd.DataFrame(rows, columns=["customer_id", "tier", "lifecycle_stage", "composite"])
    f["has_orders"] = f["tier"] != "prospect"
    f["revenue_12m"] = np.where(f["has_orders"], 100.0, 0.0)
    f["net_profit_12m"] = np.where(f["tier"] == "below_zero", -10.0, np.where(f["has_orders"], 40.0, 0.0))
    f["name"] = f["customer_id"].str.upper()
    return f


@pytest.fixture
def three_snapshots():
    d1, d2, d3 = dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30)
    return {
        d1: scoring([("a", "A", "loyal", 90), ("b", "C", "repeat", 40), ("p", "prospect", "prospect", 0)]),
        # rows in another order: matching must be by customer_id
        d2: scoring([("b", "B", "repeat", 70), ("p", "D", "new", 20), ("a", "A", "loyal", 85),
                     ("n", "C", "new", 30)]),
        d3: scoring([("a", "B", "at_risk", 60), ("b", "A", "loyal", 95), ("n", "below_zero", "new", 10),
                     ("p", "D", "repeat", 25)]),
    }


def test_flows_add_up_to_every_customer_at_each_step(three_snapshots):
    panel = snapshots.panel(three_snapshots)
    flows = snapshots.flows(panel, "tier")
    assert (flows.groupby("step")["customers"].sum() == 4).all()
    step0 = flows[flows["step"] == 0].set_index(["source", "target"])["customers"]
    assert step0[("A", "A")] == 1 and step0[("C", "B")] == 1 and step0[("prospect", "D")] == 1
    assert step0[(snapshots.ABSENT, "C")] == 1  # n was not known yet
    known_only = snapshots.flows(panel, "tier", include_absent=False)
    assert known_only.loc[known_only["step"] == 0, "customers"].sum() == 3


def test_stage_flows_and_the_transition_matrix_count_customers_known_at_both_ends(three_snapshots):
    panel = snapshots.panel(three_snapshots)
    stages = snapshots.flows(panel, "lifecycle_stage")
    assert set(stages["source"]) >= {"loyal", "repeat"}
    matrix = snapshots.transition_matrix(panel, dt.date(2024, 3, 31), dt.date(2024, 9, 30))
    assert int(matrix.to_numpy().sum()) == 3
    assert matrix.loc["A", "B"] == 1 and matrix.loc["C", "A"] == 1 and matrix.loc["prospect", "D"] == 1


def test_on_orders_alone_a_customer_first_seen_with_a_first_order_is_new_not_a_converted_prospect():
    # Orders with a name column: the names are lifted into a customers table without creation
    # dates, so "p" is known (without orders) at the first date although nobody listed it as a prospect.
    d1, d2 = dt.date(2024, 3, 31), dt.date(2024, 6, 30)
    lifted = {d1: scoring([("a", "A", "loyal", 90), ("p", "prospect", "prospect", 0)]),
              d2: scoring([("a", "A", "loyal", 85), ("p", "D", "new", 20), ("n", "C", "new", 30)])}
    assert not snapshots.knows_prospects(lifted)
    known = snapshots.known_customers(lifted)
    assert list(known[d1]["customer_id"]) == ["a"] and known[d2] is lifted[d2]
    counts = snapshots.tier_change_counts(known[d1], known[d2])
    assert counts["converted"] == 0 and counts["new"] == 2  # p and n appeared between the dates
    flows = snapshots.flows(snapshots.panel(known), "lifecycle_stage")
    assert "prospect" not in set(flows["source"])
    assert flows.loc[flows["source"] == snapshots.ABSENT, "customers"].sum() == 2
    # A customers file that lists prospects keeps them: p is a prospect who bought.
    listed = {**lifted, d2: scoring([("a", "A", "loyal", 85), ("p", "D", "new", 20),
                                     ("q", "prospect", "prospect", 0)])}
    assert snapshots.knows_prospects(listed)
    assert snapshots.tier_change_counts(*snapshots.known_customers(listed).values())["converted"] == 1


def test_risers_and_fallers_are_matched_by_id_not_row_order(three_snapshots):
    first, last = three_snapshots[dt.date(2024, 3, 31)], three_snapshots[dt.date(2024, 9, 30)]
    rising, falling = snapshots.rising_and_falling(first, last, top=5)
    assert list(rising["customer_id"]) == ["b"] and rising.loc[0, "score_moved"] == 55
    assert (rising.loc[0, "tier_before"], rising.loc[0, "tier_after"], rising.loc[0, "tier_steps"]) == ("C", "A", -2)
    assert list(falling["customer_id"]) == ["a"] and falling.loc[0, "score_moved"] == -30
    with_prospects, _ = snapshots.rising_and_falling(first, last, top=5, buyers_only=False)
    assert list(with_prospects["customer_id"]) == ["b", "p"]
    counts = snapshots.tier_change_counts(first, last)
    assert counts == {"up": 1, "down": 1, "same": 0, "converted": 1, "new": 1}


def test_concentration_over_time_gives_every_tier_at_every_snapshot(three_snapshots):
    conc = snapshots.concentration_over_time(three_snapshots)
    assert len(conc) == 3 * 5
    assert conc.groupby("snapshot")["customer_share"].sum().tolist() == pytest.approx([1.0, 1.0, 1.0])
    last = conc[conc["snapshot"] == pd.Timestamp("2024-09-30")].set_index("tier")
    assert last.loc["below_zero", "profit_share"] < 0 and last.loc["C", "customers"] == 0


# --------------------------------------------------------------------------- charts


def test_bars_follow_the_slice_order_and_translate_tiers():
    flat = explore.customer_slice(scored_frame(), ("tier",))
    fig = cx.slice_bars(flat, "tier", "net_profit_12m", "zh")
    bar = fig.data[0]
    assert list(bar.x) == ["A 级（核心）", "B 级（重要）", "C 级（普通）", "负值客户"]
    assert list(bar.y) == [400.0, 150.0, 70.0, -30.0]
    assert bar.marker.color[-1] == cx.BELOW_ZERO_RED
    assert fig.layout.title.text == "按价值层级：近12个月净利润"


def test_time_values_read_as_months_and_quarters_in_both_languages():
    ts = pd.Timestamp("2025-04-01")
    assert cx.value_label("month", ts, "zh") == "2025年4月" and cx.value_label("month", ts, "en") == "Apr 2025"
    assert cx.value_label("quarter", ts, "zh") == "2025年Q2" and cx.value_label("quarter", ts, "en") == "2025 Q2"
    assert cx.value_label("region", explore.UNKNOWN, "zh") == "未填写"


def test_heatmap_uses_a_diverging_scale_when_cells_lose_money():
    flat = explore.customer_slice(scored_frame(), ("region", "tier"))
    profit = cx.slice_heatmap(explore.pivot(flat, ("region", "tier"), "net_profit_12m"), "net_profit_12m", "en")
    assert profit.data[0].zmid == 0 and profit.data[0].colorscale[0][1] == cx.BELOW_ZERO_RED
    counts = cx.slice_heatmap(explore.pivot(flat, ("region", "tier"), "customers"), "customers", "en")
    assert counts.data[0].zmid is None and list(counts.data[0].y) == ["华东", "华南", "(not given)"]


def test_a_heatmap_never_carries_more_cells_than_the_limit():
    grid = pd.DataFrame(np.ones((300, 20)), index=pd.Index([f"r{i}" for i in range(300)], name="region"),
                        columns=pd.Index([f"c{j}" for j in range(20)], name="industry"))
    fig = cx.slice_heatmap(grid, "customers", "en")
    assert np.asarray(fig.data[0].z).size <= cx.MAX_POINTS
    assert any(a.name == "note" for a in fig.layout.annotations)


def test_segment_rings_carry_the_sums_of_their_children():
    path = ("tier", "rfm_segment", "region")
    cube = explore.customer_slice(scored_frame(), path)
    fig = cx.segment_chart(cube, path, "revenue_12m", "en")
    sb = fig.data[0]
    values = dict(zip(sb.ids, sb.values))
    assert sb.branchvalues == "total"
    assert values["C"] == 300.0 and values["C/lost"] == 300.0 and values["C/lost/华东"] == 200.0
    assert sum(v for i, v in values.items() if "/" not in i) == pytest.approx(1850.0)


def test_snapshot_sankey_links_equal_the_flows(three_snapshots):
    flows = snapshots.flows(snapshots.panel(three_snapshots), "tier")
    fig = cx.snapshot_sankey(flows, "en")
    link = fig.data[0].link
    assert sum(link.value) == flows["customers"].sum()
    labels = list(fig.data[0].node.label)
    assert labels.count("Tier A (core)") == 3 and "Not yet known" in labels
    assert len(labels) <= 3 * 7


def test_tier_shares_over_time_stack_one_bar_per_snapshot(three_snapshots):
    conc = snapshots.concentration_over_time(three_snapshots)
    fig = cx.tier_shares_over_time(conc, "en", "customer_share")
    assert fig.layout.barmode == "relative"
    assert all(len(trace.x) == 3 for trace in fig.data)
    stacked = np.sum([np.asarray(trace.y) for trace in fig.data], axis=0)
    assert stacked == pytest.approx([1.0, 1.0, 1.0])


def test_every_label_of_the_new_pages_has_chinese_and_english_with_the_same_placeholders():
    for key, (zh, en) in EXPLORE_TEXT.items():
        assert zh and en, key
        fields = [{f[1] for f in string.Formatter().parse(text) if f[1]} for text in (zh, en)]
        assert fields[0] == fields[1], key
        assert TEXT[key] == (zh, en), f"{key} is not merged into the label table"
    for dim in explore.DIMENSIONS:
        assert f"explore.dim.{dim}" in TEXT
    for measure in set(explore.CUSTOMER_MEASURES + explore.ORDER_MEASURES + cx.SHARE_MEASURES):
        assert f"explore.measure.{measure}" in TEXT


# --------------------------------------------------------------------------- on the sample


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("explore") / "sample.duckdb")
    ensure_sample(store)
    yield store
    store.close()


def test_category_by_quarter_in_sql_equals_pandas_on_the_sample(sample_store):
    as_of = dt.date(2026, 3, 31)
    out = explore.order_slice(sample_store, SAMPLE_DATASET, ("category", "quarter"), as_of, months=24)
    orders = sample_store.read(SAMPLE_DATASET, "orders")
    dates = pd.to_datetime(orders["order_date"])
    cut = orders[(dates <= pd.Timestamp(as_of)) & (dates > pd.Timestamp("2024-03-31"))].copy()
    cut["quarter"] = pd.to_datetime(cut["order_date"]).dt.to_period("Q").dt.start_time
    expected = cut.groupby(["category", "quarter"]).agg(revenue=("amount", "sum"))
    buyers = cut[cut["amount"] > 0].groupby(["category", "quarter"])["customer_id"].nunique()
    expected["customers"] = buyers.reindex(expected.index, fill_value=0)  # a return alone is not a purchase
    got = out.set_index(["category", "quarter"]).sort_index()
    assert got["revenue"].to_numpy() == pytest.approx(expected["revenue"].to_numpy())
    assert (got["customers"].to_numpy() == expected["customers"].to_numpy()).all()
    assert len(out) == 8 * 8  # 8 categories × 8 quarters: a heatmap, not a point per order


def test_region_slice_of_the_sample_adds_up_to_the_scored_totals(sample_store):
    scored = pipeline.run(sample_store, SAMPLE_DATASET)
    out = explore.customer_slice(scored, ("region",))
    buyers = scored[scored["has_orders"]]
    assert out["customers"].sum() == len(buyers)
    assert out["revenue_12m"].sum() == pytest.approx(buyers["revenue_12m"].sum())
    tier_month = explore.slice_table(scored, ("tier", "month"), sample_store, SAMPLE_DATASET,
                                     scored.attrs["as_of"], months=12)
    assert len(tier_month) <= 6 * 12 and explore.UNKNOWN not in set(tier_month["tier"])


def test_snapshot_scoring_equals_a_pipeline_run_at_each_date(sample_store):
    dates = [dt.date(2026, 3, 31), dt.date(2026, 9, 30)]
    scored = snapshots.score_snapshots(sample_store, SAMPLE_DATASET, dates)
    assert list(scored) == dates
    direct = pipeline.run(sample_store, SAMPLE_DATASET, dates[0])
    assert (scored[dates[0]]["tier"].to_numpy() == direct["tier"].to_numpy()).all()
    panel = snapshots.panel(scored)
    flows = snapshots.flows(panel, "tier")
    assert flows["customers"].sum() == len(scored[dates[1]])
    assert len(flows) <= 7 * 7


def test_gross_profit_is_not_offered_without_cost():
    assert "gross_profit" in explore.measures_for(("category",), cost=True)
    assert "gross_profit" not in explore.measures_for(("category",), cost=False)
    assert explore.measures_for(("region",), cost=False) == explore.CUSTOMER_MEASURES


def test_a_slice_says_which_orders_it_covers_and_when_tiers_were_scored():
    assert cx.slice_subtitle(("region",), None, AS_OF, "en").startswith("Customers with orders as of 2024-06-30")
    text = cx.slice_subtitle(("tier", "month"), 12, AS_OF, "zh")
    assert "近 12 个月" in text and "2024年6月30日" in text and "层级" in text
    assert "All orders up to" in cx.slice_subtitle(("category",), None, AS_OF, "en")


def test_snapshots_say_which_clv_method_ran_at_each_date(three_snapshots):
    from valuation.model.pipeline import ClvFit

    scored = {d: f.copy() for d, f in three_snapshots.items()}
    for i, f in enumerate(scored.values()):
        f.attrs["clv_fit"] = ClvFit("formula" if i == 1 else "model")
    methods = snapshots.clv_methods(scored)
    assert list(methods.values()) == ["model", "formula", "model"]


def test_charts_of_a_dimension_with_thousands_of_values_stay_under_the_limits():
    n = 5000
    many = pd.DataFrame({"region": [f"r{i:04d}" for i in range(n)], "customers": np.arange(n, 0, -1),
                         "revenue_12m": np.linspace(1e6, 1.0, n)})
    bars = cx.slice_bars(many, "region", "customers", "en")
    assert len(bars.data[0].x) == cx.MAX_BARS and bars.data[0].x[0] == "r0000"
    tiles = cx.slice_treemap(many, "region", "revenue_12m", "en")
    assert len(tiles.data[0].values) <= cx.MAX_POINTS
    cube = pd.DataFrame({"tier": np.resize(["A", "B", "C", "D"], n), "rfm_segment": "loyal",
                         "region": [f"r{i:04d}" for i in range(n)], "customers": np.arange(1, n + 1)})
    rings = cx.segment_chart(cube, ("tier", "rfm_segment", "region"), "customers", "en")
    assert len(rings.data[0].ids) <= cx.MAX_POINTS
    for fig in (bars, tiles, rings):
        assert any(a.name == "note" for a in fig.layout.annotations)
    wide = pd.DataFrame(np.ones((3, 500)), index=pd.Index(["a", "b", "c"], name="tier"),
                        columns=pd.Index([f"c{j}" for j in range(500)], name="region"))
    assert np.asarray(cx.slice_heatmap(wide, "customers", "en").data[0].z).shape == (3, cx.MAX_HEATMAP_COLUMNS)


# --------------------------------------------------------------------------- fast paths against the plain ones


def _plain_top_customers(scored, by, n):
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else pd.Series(True, index=scored.index)
    cols = [c for c in explore.TOP_COLUMNS if c in scored]
    if by not in cols:
        cols.append(by)
    return scored.loc[has & scored[by].notna(), cols].sort_values(
        [by, "customer_id"], ascending=[False, True], kind="mergesort").head(n).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(4))
def test_top_customers_from_the_largest_values_equal_a_full_sort(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    scored = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in rng.permutation(n)],
                           "composite": rng.integers(0, 40, n).astype(float),  # many ties at the cut
                           "clv": np.where(rng.random(n) < .1, np.nan, rng.normal(1000, 300, n)),
                           "net_profit_12m": rng.normal(0, 100, n).round(0),
                           "has_orders": rng.random(n) < .9})
    for by in ("composite", "clv", "net_profit_12m"):
        for top in (0, 1, 5, 20, 50, 400, 1900):
            pd.testing.assert_frame_equal(explore.top_customers(scored, by, top), _plain_top_customers(scored, by, top))


def test_sample_slices_and_clv_cac_equal_the_full_frame_computation(sample_store):
    """customer_slice, clv_vs_cac and clv_cac_overall read only the columns they need: same figures."""
    scored = pipeline.run(sample_store, SAMPLE_DATASET)
    wide = scored.assign(**{f"_extra_{i}": np.arange(len(scored)) for i in range(3)})
    for dims in (("region",), ("tier", "rfm_segment", "region"), ("industry", "tier")):
        for measure in (None, "clv", "composite"):
            pd.testing.assert_frame_equal(explore.customer_slice(scored, dims, measure),
                                          explore.customer_slice(wide, dims, measure))
    has = scored["has_orders"].astype(bool)
    stats = explore._clv_cac_stats(scored.loc[has])  # the whole rows, as before
    assert explore.clv_cac_overall(scored) == pytest.approx(stats, nan_ok=True)
    table = explore.clv_vs_cac(scored, "channel")
    assert table["customers"].sum() == has.sum()
    for _, row in table.iterrows():
        group = scored.loc[has & (scored["channel"].astype(object).where(scored["channel"].notna(), explore.UNKNOWN)
                                  == row["channel"])]
        assert row.drop("channel").to_dict() == pytest.approx(explore._clv_cac_stats(group), nan_ok=True)
    for by in ("composite", "clv", "net_profit_12m"):
        pd.testing.assert_frame_equal(explore.top_customers(scored, by, 20), _plain_top_customers(scored, by, 20))


def test_category_buyers_within_a_period_and_restrict_by_region():
    import datetime as dt

    from valuation.data.store import Store

    store = Store(":memory:")
    orders = pd.DataFrame({"customer_id": ["a", "b", "c", "b"], "category": ["X", "X", "Y", "Y"],
                           "order_date": pd.to_datetime(["2024-06-01", "2026-05-01", "2026-05-01", "2026-06-01"]),
                           "amount": [10.0, 10.0, 10.0, -5.0]})
    store.replace_dataset("x", {"orders": orders})
    as_of = dt.date(2026, 6, 30)
    assert explore.category_buyers(store, "x", as_of, ["X"], 12) == {"b"}
    assert explore.category_buyers(store, "x", as_of, ["X"], None) == {"a", "b"}
    assert explore.category_buyers(store, "x", as_of, ["Y"], None) == {"c"}  # a return is not a purchase
    store.close()
    scored = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["华东", "华北", "华东"]})
    assert explore.restrict(scored, ["华东"], {"a", "b"})["customer_id"].tolist() == ["a"]
    assert explore.restrict(scored, [], None)["customer_id"].tolist() == ["a", "b", "c"]
