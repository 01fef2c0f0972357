"""The baseline of the features benchmark: the same features in straightforward pandas.

Reads the four canonical tables from Parquet and computes, with ordinary pandas
(boolean masks, ``groupby().agg``, ``sort_values`` + ``diff`` for purchase gaps,
``nunique`` for distinct categories, ``merge``), the very columns the feature SQL
returns; ``features.finish_features`` then derives the rest, as for the SQL. The
result equals ``compute_features`` (checked by ``bench_features.py --check``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from valuation.data.features import RETURN_GAP_DAYS, Availability, finish_features, window_params

COMPLAINT_KINDS = ("complaint", "投诉")


def _date(value: dt.date) -> pd.Timestamp:
    return pd.Timestamp(value)


def raw_features(tables: dict[str, pd.DataFrame], as_of: dt.date) -> pd.DataFrame:
    """The feature query's output columns, computed with pandas."""
    p = {k: _date(v) for k, v in window_params(as_of).items()}
    orders = tables["orders"]
    o = orders[orders["order_date"] <= p["as_of"]]
    d, amount = o["order_date"], o["amount"]
    in12, in6, in24 = d > p["start_12m"], d > p["start_6m"], d > p["start_24m"]

    month = d.dt.month
    month_revenue = amount.groupby(month).sum()
    slow = (month_revenue.sort_values(kind="mergesort").index[:3].tolist()
            if len(month_revenue) == 12 else [])
    offseason_all = float(month_revenue[month_revenue.index.isin(slow)].sum()) if slow else np.nan
    revenue_all = float(month_revenue.sum()) if len(month_revenue) else np.nan

    cost = o["cost"]
    per_row = pd.DataFrame({
        "customer_id": o["customer_id"],
        "orders": (amount > 0).astype("int64"),
        "returns": (amount < 0).astype("int64"),
        "revenue_total": amount,
        "revenue_12m": amount.where(in12, 0.0),
        "orders_12m": (in12 & (amount > 0)).astype("int64"),
        "margin_12m": (amount - cost.fillna(0.0)).where(in12, 0.0),
        "rows_without_cost_12m": (in12 & cost.isna()).astype("int64"),
        "revenue_last_6m": amount.where(in6, 0.0),
        "revenue_prev_6m": amount.where(in12 & ~in6, 0.0),
        "revenue_24m": amount.where(in24, 0.0),
        "revenue_offseason_24m": amount.where(in24 & month.isin(slow), 0.0),
    })
    totals = per_row.groupby("customer_id", sort=False).sum()

    buys = o.loc[amount > 0, ["customer_id", "order_date", "amount", "category"]]
    daily = buys.groupby(["customer_id", "order_date"], sort=True, as_index=False)["amount"].sum()
    gaps = daily.groupby("customer_id", sort=False)["order_date"].diff().dt.days
    daily["gap"] = gaps
    first_rows = ~daily["customer_id"].duplicated()
    purchase = daily.groupby("customer_id", sort=False).agg(
        purchase_days=("order_date", "size"), first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"), purchase_amount=("amount", "sum"),
        max_gap_days=("gap", "max"))
    purchase["first_day_amount"] = daily.loc[first_rows].set_index("customer_id")["amount"]
    cal = daily[daily["order_date"] <= pd.Timestamp(p["holdout_start"])]
    by_customer = cal.groupby("customer_id", sort=False)["order_date"]
    purchase["purchase_days_cal"] = by_customer.size()
    purchase["last_order_date_cal"] = by_customer.max()
    comebacks = daily[daily["gap"] >= RETURN_GAP_DAYS].groupby("customer_id", sort=False).last()
    purchase["last_return_date"] = comebacks["order_date"]
    purchase["last_return_gap_days"] = comebacks["gap"]
    purchase = purchase[["purchase_days", "first_order_date", "last_order_date", "first_day_amount",
                         "purchase_amount", "max_gap_days", "purchase_days_cal", "last_order_date_cal",
                         "last_return_date", "last_return_gap_days"]]
    with_category = buys[buys["category"].notna()]
    categories = with_category.groupby("customer_id", sort=False)["category"].nunique()
    categories_total = int(with_category["category"].nunique())

    pay = tables["payments"]
    pay = pay[pay["invoice_date"].fillna(pay["due_date"]) <= p["as_of"]]
    paid = pay["paid_date"]
    paid_by_as_of = paid.notna() & (paid <= p["as_of"])
    open_at_as_of = paid.isna() | (paid > p["as_of"])
    due_by_as_of = pay["due_date"] <= p["as_of"]
    pay_rows = pd.DataFrame({
        "customer_id": pay["customer_id"],
        "invoices": 1,
        "invoices_due": due_by_as_of.astype("int64"),
        "invoices_on_time": (due_by_as_of & paid.notna() & (paid <= pay["due_date"])).astype("int64"),
        "days_to_pay": (paid - pay["invoice_date"]).dt.days.where(paid_by_as_of & pay["invoice_date"].notna()),
        "days_late": (paid - pay["due_date"]).dt.days.where(paid_by_as_of),
        "overdue_amount": pay["amount"].where((pay["due_date"] < p["as_of"]) & open_at_as_of, 0.0),
        "bad_debt_12m": pay["amount"].where((pay["due_date"] > p["start_12m"])
                                            & (pay["due_date"] <= p["bad_debt_before"])
                                            & open_at_as_of, 0.0),
    })
    pay_agg = pay_rows.groupby("customer_id", sort=False).agg(
        invoices=("invoices", "sum"), invoices_due=("invoices_due", "sum"),
        invoices_on_time=("invoices_on_time", "sum"), avg_days_to_pay=("days_to_pay", "mean"),
        avg_days_late=("days_late", "mean"), overdue_amount=("overdue_amount", "sum"),
        bad_debt_12m=("bad_debt_12m", "sum"))

    svc = tables["service"]
    svc = svc[svc["date"] <= p["as_of"]]
    recent = svc["date"] > p["start_12m"]
    complaint = svc["kind"].str.lower().isin(COMPLAINT_KINDS)
    svc_agg = pd.DataFrame({
        "customer_id": svc["customer_id"],
        "service_cost_12m": svc["cost"].fillna(0.0).where(recent, 0.0),
        "service_events_12m": recent.astype("int64"),
        "complaints_12m": (recent & complaint).astype("int64"),
        "complaints": complaint.astype("int64"),
        "avg_service_satisfaction": svc["satisfaction"],
    }).groupby("customer_id", sort=False).agg(
        service_cost_12m=("service_cost_12m", "sum"), service_events_12m=("service_events_12m", "sum"),
        complaints_12m=("complaints_12m", "sum"), complaints=("complaints", "sum"),
        avg_service_satisfaction=("avg_service_satisfaction", "mean"))

    customers = tables["customers"]
    listed = customers.loc[customers["created_at"].isna() | (customers["created_at"] <= p["as_of"]),
                           "customer_id"]
    known = pd.Index(pd.unique(pd.concat([listed, o["customer_id"]], ignore_index=True)), name="customer_id")
    out = pd.DataFrame(index=known.sort_values())
    out = out.join(customers.set_index("customer_id"), how="left")
    out = out.join(totals).join(purchase).join(categories.rename("categories_bought"))
    out["categories_total"] = categories_total
    out = out.join(pay_agg).join(svc_agg)
    out["offseason_revenue_all"] = offseason_all
    out["revenue_all"] = revenue_all
    return out.reset_index()


# Only the columns the features use: what a careful pandas user reads, and the fair baseline.
COLUMNS = {
    "orders": ["customer_id", "order_date", "amount", "cost", "category"],
    "customers": ["customer_id", "name", "region", "industry", "city", "size", "channel", "created_at",
                  "pipeline_stage", "acquisition_cost", "wallet_estimate", "satisfaction", "referrals",
                  "importance", "reference_account"],
    "payments": ["customer_id", "amount", "due_date", "paid_date", "invoice_date"],
    "service": ["customer_id", "date", "kind", "cost", "satisfaction"],
}


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(folder / f"{t}.parquet", columns=cols) for t, cols in COLUMNS.items()}


def compute_features(folder: Path, as_of: dt.date | None = None,
                     provided: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Read the Parquet tables of ``folder`` and compute the features as of ``as_of``.

    ``provided``: the columns the data came with (what decides which scores run); by default
    those read.
    """
    tables = read_tables(folder)
    for table in tables.values():
        for col in table.columns:
            if col.endswith("date") or col in ("date", "created_at"):
                table[col] = pd.to_datetime(table[col])
    if as_of is None:
        as_of = tables["orders"]["order_date"].max().date()
    availability = Availability.from_provided(provided or {t: list(f.columns) for t, f in tables.items()})
    return finish_features(raw_features(tables, as_of), as_of, availability)
