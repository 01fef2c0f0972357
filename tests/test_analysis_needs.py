"""Needs-based segments from behaviour (seed 003) on hand-made customers whose needs are known."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from valuation.analysis import needs

# Twelve ordinary customers, their signals spread out so each percentile cuts between them.
ORDINARY = [f"O{i:02d}" for i in range(12)]


@dataclass(frozen=True)
class Has:
    cost: bool = True
    service: bool = True


def customers() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scored, purchases): the ordinary twelve, and PRICE (9 of 10 orders below the category median),
    THIN (a 5% margin), SERVICE (2 service events an order), LOYAL (one category, 20 purchase days)
    and BOTH (cheap orders and many service events)."""
    scored, bought = [], []

    def add(cid, margin, events, orders_12m, days, below, priced, spend):
        scored.append({"customer_id": cid, "tier": "C", "has_orders": True, "revenue_12m": 10000.0,
                       "gross_profit_12m": 10000.0 * margin, "net_profit_12m": 10000.0 * margin - 100.0,
                       "composite": 50.0, "orders_12m": orders_12m, "service_events_12m": events,
                       "purchase_days": days})
        for k, amount in enumerate(spend):
            bought.append({"customer_id": cid, "category": f"cat{k}", "orders": priced if k == 0 else 1,
                           "amount": amount, "priced_orders": priced if k == 0 else 1,
                           "priced_amount": amount, "quantity": float("nan"), "orders_12m": 1,
                           "orders_below_median": below if k == 0 else 0})

    for i, cid in enumerate(ORDINARY):
        share = 0.30 + 0.02 * i  # their largest category's share of spend: 30% … 52%
        add(cid, 0.40 + 0.01 * i, 1, 10, 6 + i % 5, 2, 5, [1000 * share, 1000 * (1 - share) / 2,
                                                         1000 * (1 - share) / 2])
    add("PRICE", 0.60, 1, 10, 8, 9, 10, [400.0, 350.0, 250.0])
    add("THIN", 0.05, 1, 10, 8, 2, 5, [400.0, 350.0, 250.0])
    add("SERVICE", 0.60, 10, 5, 8, 2, 5, [400.0, 350.0, 250.0])
    add("LOYAL", 0.60, 1, 10, 20, 2, 5, [1000.0])
    add("BOTH", 0.60, 20, 5, 8, 9, 10, [400.0, 350.0, 250.0])
    scored = pd.DataFrame(scored)
    scored.attrs["availability"] = Has()
    return scored, pd.DataFrame(bought)


def segment_of(result: needs.NeedsSegments) -> pd.Series:
    return result.customers.set_index("customer_id")["needs_segment"]


def test_price_sensitive_service_seeking_and_loyal_customers_land_in_their_segments():
    scored, bought = customers()
    segment = segment_of(needs.needs_segments(scored, bought))
    assert segment["PRICE"] == "price_sensitive"  # most orders below the median
    assert segment["THIN"] == "price_sensitive"  # the margin well below the others'
    assert segment["SERVICE"] == "service_seeking"
    assert segment["LOYAL"] == "loyal"
    assert segment["O11"] == "other"  # the highest margin of the ordinary ones, a typical basket


def test_a_customer_matching_two_rules_is_counted_once_by_precedence_and_matches_both():
    scored, bought = customers()
    result = needs.needs_segments(scored, bought)
    both = result.customers.set_index("customer_id").loc["BOTH"]
    assert both["needs_segment"] == "price_sensitive"
    assert both["match_price_sensitive"] and both["match_service_seeking"] and not both["match_loyal"]
    summary = needs.needs_summary(result).set_index("needs_segment")
    assert summary["customers"].sum() == len(scored)
    assert summary.loc["service_seeking", "matching"] == summary.loc["service_seeking", "customers"] + 1


def test_the_cut_offs_are_percentiles_of_the_dataset_so_a_higher_percentile_keeps_fewer():
    scored, bought = customers()
    low = needs.needs_summary(needs.needs_segments(scored, bought, 0.6)).set_index("needs_segment")
    high = needs.needs_summary(needs.needs_segments(scored, bought, 0.9)).set_index("needs_segment")
    assert high.loc["other", "customers"] > low.loc["other", "customers"]
    assert high.loc["loyal", "matching"] < low.loc["loyal", "matching"]


def test_without_a_service_table_service_seeking_is_not_offered_and_says_why():
    scored, bought = customers()
    scored.attrs["availability"] = Has(service=False)
    result = needs.needs_segments(scored, bought)
    assert result.unavailable == {"service_seeking": "needs.missing.service_seeking"}
    assert "service_seeking" not in result.offered and "match_service_seeking" not in result.customers
    assert "service_seeking" not in needs.needs_summary(result)["needs_segment"].tolist()
    assert segment_of(result)["SERVICE"] == "other"


def test_without_categories_loyalty_is_not_offered_and_price_runs_on_the_margin_alone():
    scored, _ = customers()
    result = needs.needs_segments(scored, None)
    assert result.unavailable == {"loyal": "needs.missing.loyal"}
    assert result.partial == ("needs.partial.price_no_category",)
    segment = segment_of(result)
    assert segment["THIN"] == "price_sensitive" and segment["PRICE"] != "price_sensitive"


def test_without_categories_or_cost_price_sensitivity_is_not_offered():
    scored, _ = customers()
    scored.attrs["availability"] = Has(cost=False)
    result = needs.needs_segments(scored, None)
    assert set(result.unavailable) == {"price_sensitive", "loyal"}
    assert result.offered == ("service_seeking", "other")


def test_a_percentile_outside_the_upper_half_is_refused():
    scored, bought = customers()
    with pytest.raises(ValueError, match="percentile"):
        needs.needs_segments(scored, bought, 0.4)
