"""Feature SQL over the store: values on tiny hand-made data, and no leak past the as-of date."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from valuation.data.features import compute_features, render_sql, small_pages, window_params
from valuation.data import threads
from valuation.data.store import Store, load_sample


def frame(columns, *rows, dates=()):
    f = pd.DataFrame(rows, columns=columns)
    for col in dates:
        f[col] = pd.to_datetime(f[col])
    return f


@pytest.fixture
def store():
    s = Store(":memory:")
    orders = frame(["customer_id", "order_date", "amount", "cost", "category"],
                   ("a", "2024-01-10", 100.0, 60.0, "x"),
                   ("a", "2024-01-10", 50.0, 30.0, "y"),   # same day: one purchase day
                   ("a", "2024-05-01", 200.0, 120.0, "x"),
                   ("a", "2024-06-01", -20.0, -12.0, "x"),  # a return
                   ("b", "2023-01-05", 80.0, 40.0, "z"),
                   ("b", "2024-03-01", 40.0, 20.0, "z"),    # 421 days after the first: a won-back gap
                   ("c", "2024-06-30", 10.0, 9.0, "x"),
                   ("late", "2024-07-15", 999.0, 1.0, "x"),  # after the as-of date used below
                   dates=["order_date"])
    customers = frame(["customer_id", "name", "wallet_estimate", "pipeline_stage", "created_at"],
                      ("a", "甲公司", 1000.0, "customer", "2023-12-01"),
                      ("p", "潜在客户", 500.0, "opportunity", "2024-02-01"),
                      ("future", "未来客户", None, "target", "2024-12-01"),
                      dates=["created_at"])
    payments = frame(["customer_id", "amount", "invoice_date", "due_date", "paid_date"],
                     ("a", 150.0, "2024-01-10", "2024-02-09", "2024-02-01"),   # on time, 22 days
                     ("a", 200.0, "2024-05-01", "2024-05-31", "2024-06-20"),   # 20 days late
                     ("b", 40.0, "2024-03-01", "2024-03-31", None),            # unpaid, overdue > 90 days
                     ("c", 10.0, "2024-06-30", "2024-07-30", None),            # not yet due
                     dates=["invoice_date", "due_date", "paid_date"])
    service = frame(["customer_id", "date", "kind", "cost", "satisfaction"],
                    ("b", "2024-04-01", "complaint", 70.0, 2.0),
                    ("b", "2024-05-01", "ticket", 30.0, 3.0),
                    ("a", "2022-01-01", "visit", 500.0, 5.0),  # older than 12 months
                    dates=["date"])
    s.replace_dataset("t", {"orders": orders, "customers": customers, "payments": payments,
                            "service": service})
    yield s
    s.close()


@pytest.fixture
def features(store):
    return compute_features(store, "t", as_of="2024-06-30").set_index("customer_id")


def test_one_row_per_known_customer_including_prospects_but_not_later_ones(features):
    assert sorted(features.index) == ["a", "b", "c", "p"]
    assert not features.loc["p", "has_orders"]
    assert features.loc["p", "orders"] == 0


def test_orders_after_the_as_of_date_do_not_leak_in(store, features):
    assert "late" not in features.index
    later = compute_features(store, "t", as_of="2024-07-31").set_index("customer_id")
    assert later.loc["late", "revenue_total"] == 999.0


def test_features_equal_those_of_the_data_cut_at_the_as_of_date(store):
    """Everything dated after the as-of date is as if it had never happened."""
    as_of = pd.Timestamp("2024-05-15")
    full = {t: store.read("t", t) for t in ("orders", "customers", "payments", "service")}
    cut = {
        "orders": full["orders"][full["orders"]["order_date"] <= as_of],
        "customers": full["customers"][~(full["customers"]["created_at"] > as_of)],
        "payments": full["payments"][full["payments"]["invoice_date"] <= as_of].assign(
            paid_date=lambda p: p["paid_date"].where(p["paid_date"] <= as_of)),
        "service": full["service"][full["service"]["date"] <= as_of],
    }
    store.replace_dataset("cut", cut)
    expected = compute_features(store, "cut", as_of=as_of)
    actual = compute_features(store, "t", as_of=as_of)
    pd.testing.assert_frame_equal(actual, expected)


def test_default_as_of_is_the_last_order_date(store):
    f = compute_features(store, "t")
    assert f.attrs["as_of"] == dt.date(2024, 7, 15)


def test_revenue_profit_and_returns_of_a_customer(features):
    a = features.loc["a"]
    assert a["orders"] == 3
    assert a["returns"] == 1
    assert a["revenue_total"] == pytest.approx(330.0)
    assert a["revenue_12m"] == pytest.approx(330.0)
    assert a["gross_profit_12m"] == pytest.approx(330.0 - 198.0)
    assert a["net_profit_12m"] == pytest.approx(132.0)  # the 2022 visit is outside the window
    assert a["purchase_days"] == 2
    assert a["days_since_last_order"] == 60  # last purchase 2024-05-01; the return is not a purchase
    assert a["tenure_days"] == (dt.date(2024, 6, 30) - dt.date(2023, 12, 1)).days  # from created_at
    assert a["T_days"] == (dt.date(2024, 6, 30) - dt.date(2024, 1, 10)).days  # from the first order


def test_service_cost_and_bad_debt_make_a_customer_lose_money(features):
    b = features.loc["b"]
    assert b["service_cost_12m"] == pytest.approx(100.0)
    assert b["complaints_12m"] == 1
    assert b["bad_debt_12m"] == pytest.approx(40.0)
    assert b["net_profit_12m"] == pytest.approx(20.0 - 100.0 - 40.0)
    assert b["max_gap_days"] == 421


def test_payment_behaviour(features):
    a = features.loc["a"]
    assert a["on_time_payment_ratio"] == pytest.approx(0.5)
    assert a["avg_days_to_pay"] == pytest.approx((22 + 50) / 2)
    assert a["avg_days_late"] == pytest.approx((-8 + 20) / 2)
    assert features.loc["b", "overdue_amount"] == pytest.approx(40.0)
    assert features.loc["c", "overdue_amount"] == 0.0  # not yet due
    assert pd.isna(features.loc["c", "on_time_payment_ratio"])


def test_wallet_share_headroom_and_category_coverage(features):
    a = features.loc["a"]
    assert a["share_of_wallet"] == pytest.approx(0.33)
    assert a["wallet_headroom"] == pytest.approx(670.0)
    assert a["categories_bought"] == 2
    assert a["category_coverage"] == pytest.approx(2 / 3)
    assert features.loc["p", "wallet_headroom"] == pytest.approx(500.0)


def test_revenue_trend_is_sane_when_either_half_year_is_zero(store):
    f = compute_features(store, "t", as_of="2024-09-30").set_index("customer_id")
    # a: 150 in January (previous half year), 200 - 20 in May-June (last half year)
    assert f.loc["a", "revenue_trend"] == pytest.approx((180 - 150) / 330)
    assert f.loc["b", "revenue_trend"] == -1.0  # bought only in the previous half
    assert f.loc["c", "revenue_trend"] == 1.0  # bought only in the last half
    assert f.loc["p", "revenue_trend"] == 0.0  # never bought


def test_clv_inputs_follow_the_literature(features):
    a = features.loc["a"]
    assert a["frequency"] == 1
    assert a["recency_days"] == (dt.date(2024, 5, 1) - dt.date(2024, 1, 10)).days
    assert a["monetary_value"] == pytest.approx(200.0)  # repeat purchases only


def test_without_cost_data_profit_falls_back_to_revenue():
    s = Store(":memory:")
    s.replace_dataset("n", {"orders": frame(["customer_id", "order_date", "amount"],
                                            ("a", "2024-01-01", 10.0), dates=["order_date"])})
    f = compute_features(s, "n")
    assert f.attrs["availability"].cost is False
    assert f.loc[0, "gross_profit_12m"] == 10.0


def test_window_params_are_calendar_months_back():
    p = window_params(dt.date(2024, 8, 31))
    assert p["start_6m"] == dt.date(2024, 2, 29)
    assert p["start_12m"] == dt.date(2023, 8, 31)


def test_rendered_sql_has_no_placeholders_left_for_either_engine():
    tables = {t: f"x.{t}" for t in ("orders", "customers", "payments", "service")}
    for engine in ("duckdb", "spark"):
        sql = render_sql(tables, engine)
        assert "{" not in sql and "}" not in sql
    assert "datediff(order_date, prev_date)" in render_sql(tables, "spark")


def test_the_last_comeback_is_the_latest_return_after_a_long_absence_with_that_absence():
    from valuation.data.features import compute_features
    from valuation.data.store import Store as _Store
    from valuation.model import lifecycle

    store = _Store(":memory:")
    rows = [("w", "2024-01-01"), ("w", "2024-01-10"), ("w", "2024-09-01"), ("w", "2024-09-15"),
            ("t", "2022-01-01"), ("t", "2023-06-01"), ("t", "2023-06-10"), ("t", "2024-03-01"), ("t", "2024-03-01"),
            ("s", "2024-01-01"), ("s", "2024-02-01"), ("s", "2024-03-01")]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date"]).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"]), amount=100.0)
    store.replace_dataset("x", {"orders": orders})
    f = compute_features(store, "x", "2024-10-01").set_index("customer_id")
    assert f.loc["w", "last_return_date"] == pd.Timestamp("2024-09-01")
    assert f.loc["w", "last_return_gap_days"] == 235 and f.loc["w", "days_since_return"] == 30
    # Two absences: the latest comeback (2024-03-01, after 265 days) counts, not the longer, older one.
    assert f.loc["t", "last_return_date"] == pd.Timestamp("2024-03-01") and f.loc["t", "last_return_gap_days"] == 265
    assert pd.isna(f.loc["s", "last_return_date"]) and pd.isna(f.loc["s", "days_since_return"])
    stages = lifecycle.lifecycle_stage(f.reset_index()).tolist()
    assert stages[f.index.get_loc("w")] == "woken"      # back 30 days ago after 235 days away
    assert stages[f.index.get_loc("t")] == "dormant"    # silent 214 days since
    f2 = compute_features(store, "x", "2024-04-01").set_index("customer_id")
    assert lifecycle.lifecycle_stage(f2.reset_index()).tolist()[f2.index.get_loc("t")] == "woken"
    store.close()


@pytest.mark.parametrize("workers", [2, 3])
def test_the_gather_over_threads_gives_the_same_frame_in_customer_order(workers, monkeypatch):
    s = Store(":memory:")
    load_sample(s)
    monkeypatch.setattr(threads, "workers", lambda: 1)
    inline = compute_features(s, "sample")
    monkeypatch.setattr(threads, "workers", lambda: workers)
    gathered = compute_features(s, "sample")
    s.close()
    pd.testing.assert_frame_equal(gathered, inline)
    assert gathered["customer_id"].is_monotonic_increasing and len(gathered) > 1000


def test_numpy_huge_page_advice_is_off_only_while_the_features_are_computed():
    """``small_pages``: off inside (the finishing step's ~100 new columns), back as it was
    after, an error included; the CLV fit and scores that follow keep NumPy's advice."""
    import numpy as np

    setter = np._core.multiarray._set_madvise_hugepage
    before = setter(True)
    try:
        with small_pages():
            assert setter(False) is False  # off in here
        assert setter(True) is True  # back on after
        with pytest.raises(RuntimeError):
            with small_pages():
                raise RuntimeError("a failed query")
        assert setter(True) is True
        # two sessions' features at once: off until the last one is done, then as the first found it
        first, second = small_pages(), small_pages()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert setter(False) is False  # the second is still computing
        second.__exit__(None, None, None)
        assert setter(True) is True
    finally:
        setter(before)
