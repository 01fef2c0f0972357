"""Buying more of what they buy: a shorter reorder cycle, a higher price band, a thin margin per order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.analysis import actions, upsell
from valuation.data.store import Store, load_sample
from valuation.i18n.format import format_money
from valuation.i18n.text import t
from valuation.model import pipeline

AS_OF = "2026-06-30"


def tier_b(rows) -> pd.DataFrame:
    """Customers of tier B shaped like ``pipeline.score`` output: (id, cycle, purchase days, amount,
    revenue_12m, gross_profit_12m, orders_12m)."""
    return pd.DataFrame([{
        "customer_id": cid, "tier": "B", "value_class": "growable", "has_orders": True, "mean_gap_days": gap,
        "purchase_days": days, "purchase_amount": amount, "revenue_12m": rev, "gross_profit_12m": gp,
        "orders_12m": n12} for cid, gap, days, amount, rev, gp, n12 in rows])


def peers_and(*rows) -> pd.DataFrame:
    # Four peers reorder every 30 days, ¥1,000 a purchase, ¥400 of margin an order.
    peers = [(f"P{i}", 30.0, 13, 13000.0, 12000.0, 4800.0, 12) for i in range(1, 5)]
    return tier_b(peers + list(rows))


# --------------------------------------------------------------------------- frequency


def test_a_90_day_cycle_among_30_day_peers_gains_the_peers_extra_orders_at_its_own_order_value_and_margin():
    scored = peers_and(("SLOW", 90.0, 5, 10000.0, 8000.0, 2000.0, 4))  # ¥2,000 a purchase, 25% margin
    gains = upsell.frequency_gains(scored)
    assert gains["customer_id"].tolist() == ["SLOW"]  # the peers reorder at the median: nothing to shorten
    row = gains.iloc[0]
    extra = 365 / 30 - 365 / 90  # 8.11 purchases a year
    assert row["peer_gap_days"] == 30.0
    assert row["extra_orders_12m"] == pytest.approx(extra)
    assert row["frequency_gain_12m"] == pytest.approx(extra * 2000.0)  # ¥16,222
    assert row["frequency_profit_12m"] == pytest.approx(extra * 2000.0 * 0.25)  # ¥4,056


def test_a_one_off_buyer_and_a_cycle_near_the_peers_get_no_frequency_suggestion():
    scored = peers_and(("ONCE", np.nan, 1, 5000.0, 5000.0, 1000.0, 1), ("NEAR", 36.0, 10, 9000.0, 6000.0, 1500.0, 6))
    assert upsell.frequency_gains(scored).empty  # 36 days is under 1.25 × 30


def test_without_enough_peers_a_tier_suggests_no_cycle():
    scored = tier_b([("P1", 30.0, 13, 13000.0, 12000.0, 4800.0, 12), ("P2", 30.0, 13, 13000.0, 12000.0, 4800.0, 12),
                     ("SLOW", 90.0, 5, 10000.0, 8000.0, 2000.0, 4)])
    assert upsell.frequency_gains(scored).empty


def test_peer_median_leaves_the_customer_out():
    values = pd.Series([10.0, 20.0, 30.0, 40.0, 1.0, 2.0])
    groups = pd.Series(["a", "a", "a", "a", "b", "b"])
    assert upsell.peer_median(values, groups).tolist() == [30.0, 30.0, 20.0, 20.0, 2.0, 1.0]


# --------------------------------------------------------------------------- price bands


def orders(with_quantity: bool = True) -> pd.DataFrame:
    """Five buyers of 硬件: LOW pays ¥100 a unit (3 units an order), the others ¥300 (2 units).

    LOW's return and an order after the as-of date would move its price if they counted.
    """
    rows = [("LOW", "2026-03-01", 300.0, 3.0), ("LOW", "2026-05-01", 300.0, 3.0),
            ("LOW", "2026-05-02", -3000.0, -1.0),  # a return
            ("LOW", "2026-08-01", 9000.0, 1.0)]  # after the as-of date
    for i in range(1, 5):
        rows += [(f"P{i}", "2026-02-01", 600.0, 2.0), (f"P{i}", "2026-04-01", 600.0, 2.0)]
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount", "quantity"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["category"] = "硬件"
    return frame if with_quantity else frame.drop(columns="quantity")


@pytest.fixture
def store():
    s = Store(":memory:")
    s.replace_dataset("unit", {"orders": orders()})
    s.replace_dataset("order", {"orders": orders(with_quantity=False).assign(
        amount=lambda f: f["amount"] / np.where(f["customer_id"] == "LOW", 3, 2))})  # ¥100 / ¥300 an order
    yield s
    s.close()


def test_a_customer_paying_100_a_unit_where_peers_pay_300_is_offered_the_peers_band_per_order(store):
    bought = upsell.category_purchases(store, "unit", AS_OF)
    low = bought.set_index("customer_id").loc["LOW"]
    assert (low["orders"], low["amount"], low["quantity"]) == (2, 600.0, 6.0)  # no return, no later order
    offers = upsell.upsell_offers(bought)
    assert offers["customer_id"].tolist() == ["LOW"]
    row = offers.iloc[0]
    assert (row["upsell_category"], row["price_paid"], row["band_price"]) == ("硬件", 100.0, 300.0)
    assert row["upsell_gain_per_order"] == pytest.approx(200.0 * 3)  # ¥200 a unit × 3 units an order
    assert row["upsell_gain_12m"] == pytest.approx(600.0 * 2)


def test_without_quantities_the_band_is_the_average_order_value_per_category(store):
    bought = upsell.category_purchases(store, "order", AS_OF)
    assert not upsell.is_unit_priced(bought)
    row = upsell.upsell_offers(bought).set_index("customer_id").loc["LOW"]
    assert (row["price_paid"], row["band_price"], row["upsell_gain_per_order"]) == (100.0, 300.0, 200.0)


def test_a_category_with_fewer_than_five_buyers_has_no_price_bands(store):
    bought = upsell.category_purchases(store, "unit", AS_OF)
    assert upsell.upsell_offers(bought[bought["customer_id"] != "P4"]).empty


def test_the_purchases_count_orders_below_the_category_median(store):
    bought = upsell.category_purchases(store, "unit", AS_OF).set_index("customer_id")
    assert bought.loc["LOW", "orders_below_median"] == 2 and bought.loc["P1", "orders_below_median"] == 0


# --------------------------------------------------------------------------- margin per order, text, lists


def test_a_margin_per_order_under_half_the_peers_is_thin_and_says_bundle():
    scored = peers_and(("THIN", 30.0, 13, 13000.0, 12000.0, 1200.0, 12))  # ¥100 an order against ¥400
    thin = upsell.thin_margin_orders(scored)
    assert thin["customer_id"].tolist() == ["THIN"]
    assert thin.iloc[0][["margin_per_order", "peer_margin_per_order", "margin_gap_12m"]].tolist() == [100.0, 400.0,
                                                                                                    3600.0]
    more = upsell.buy_more(scored, None, ["THIN"], "zh").iloc[0]
    assert more["buy_more"] == t("buymore.thin_margin", "zh", own=format_money(100.0, "zh"),
                                 peer=format_money(400.0, "zh"), pct="25%")


def test_without_cost_no_margin_is_judged_and_the_cycle_gain_has_no_profit():
    scored = peers_and(("SLOW", 90.0, 5, 10000.0, 8000.0, 8000.0, 4))
    scored.attrs["availability"] = type("Availability", (), {"cost": False})()
    assert upsell.thin_margin_orders(scored).empty
    more = upsell.buy_more(scored, None, ["SLOW", "P1"], "en")
    assert np.isnan(more.loc[0, "frequency_profit_12m"]) and more.loc[0, "buy_more"].startswith("Shorten the reorder")
    assert "gross profit" not in more.loc[0, "buy_more"] and more.loc[1, "buy_more"] == ""


def test_the_growable_list_of_the_sample_carries_buy_more_suggestions_and_figures():
    store = Store(":memory:")
    load_sample(store)
    scored = pipeline.run(store, "sample")
    as_of = scored.attrs["as_of"]
    bought = upsell.category_purchases(store, "sample", as_of)
    owned = actions.customer_categories(store, "sample", as_of)
    store.close()
    growable = actions.action_lists(scored, owned, "zh", purchases=bought)["growable"]
    assert {"buy_more", *upsell.BUY_MORE_FIGURES} <= set(growable.columns)
    has_cycle = growable["frequency_gain_12m"].notna()
    assert has_cycle.any() and growable["upsell_gain_per_order"].notna().any()
    assert growable.loc[has_cycle, "buy_more"].str.contains("缩短复购周期").all()
    assert (growable.loc[growable["buy_more"] == "", upsell.BUY_MORE_FIGURES[1:3]].isna()).all().all()
    # Without the purchases the cycle and margin suggestions stay; the price band needs them.
    plain = actions.action_lists(scored, owned, "zh")["growable"]
    assert plain["upsell_gain_per_order"].isna().all()
    assert plain["frequency_gain_12m"].notna().sum() == has_cycle.sum()
