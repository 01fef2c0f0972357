"""Overdue ageing per tier (seed 002: credit is the payment cycle and the arrears)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from valuation.analysis import insights
from valuation.data.store import Store


def test_overdue_invoices_fall_in_their_age_bucket_under_their_tier():
    store = Store(":memory:")
    orders = pd.DataFrame({"customer_id": ["a", "b", "c"], "order_date": pd.to_datetime(["2024-01-01"] * 3),
                           "amount": [100.0, 100.0, 100.0]})
    d = pd.to_datetime
    payments = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "c", "c"],
        "amount": [1000.0, 200.0, 300.0, 50.0, 70.0, 999.0],
        "due_date": d(["2024-06-20", "2024-04-01", "2024-05-15", "2024-02-01", "2024-06-25", "2024-07-15"]),
        "paid_date": d([None, None, None, "2024-03-01", "2024-07-10", None]),
    })
    store.replace_dataset("x", {"orders": orders, "payments": payments})
    scored = pd.DataFrame({"customer_id": ["a", "b", "c"], "tier": ["A", "B", "below_zero"]})
    table = insights.overdue_ageing(store, "x", dt.date(2024, 6, 30), scored).set_index("tier")
    # a: 10 days (1,000) and 90 days (200); b: 46 days (300), the paid one is not overdue;
    # c: paid after the as-of date, so still overdue then (5 days, 70); the 999 is not due yet.
    assert table.loc["A", ["0_30", "31_90", "90_plus", "total", "customers"]].tolist() == [1000, 200, 0, 1200, 1]
    assert table.loc["B", ["0_30", "31_90", "90_plus", "total"]].tolist() == [0, 300, 0, 300]
    assert table.loc["below_zero", "0_30"] == 70
    assert table.loc["total", ["total", "customers"]].tolist() == [1570, 3]
    assert list(table.index) == ["A", "B", "below_zero", "total"]
    store.close()
