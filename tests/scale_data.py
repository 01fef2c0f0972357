"""A small dataset with the edge cases of the feature query, and writers of it as Parquet folders.

Used by test_data_sources.py (DuckDB over Parquet against the imported data) and
test_data_spark_parity.py (DuckDB against Spark). Deterministic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from valuation.data.features import window_params

AS_OF = dt.date(2024, 6, 30)
LEAP_AS_OF = dt.date(2024, 2, 29)  # months back from a leap day: 2023-02-28, 2022-02-28


def _d(value) -> dt.date:
    return pd.Timestamp(value).date()


def edge_tables(*, cost: bool = True, service: bool = True, payments: bool = True,
                bulk: int = 120, seed: int = 5) -> dict[str, pd.DataFrame]:
    """Canonical frames: a random bulk (every month covered) plus hand-made edge customers.

    Edge cases: returns, a return cancelling a purchase (zero revenue windows), one order,
    several orders on one day, orders on the as-of date and on each window's boundary day,
    orders only after the as-of date, history older than 12 months only, prospects (created
    before, on and after the as-of date, or never), a Chinese id, rows with no cost or no
    category, invoices without an invoice date, paid on the due date, paid after the as-of
    date, due on the bad-debt boundary; complaints in both languages and cases.
    """
    rng = np.random.default_rng(seed)
    w = window_params(AS_OF)
    orders = []
    start, end = pd.Timestamp("2021-11-01"), pd.Timestamp("2024-08-31")
    span = (end - start).days
    categories = ["x", "y", "z", "w", None]
    for i in range(bulk):
        cid = f"B{i:04d}"
        n = int(rng.integers(1, 25))
        days = np.sort(rng.integers(0, span, n))
        for day in days:
            amount = round(float(rng.lognormal(6, 1)), 2)
            if rng.random() < 0.06:
                amount = -round(amount / 3, 2)
            c = None if rng.random() < 0.03 else round(amount * float(rng.uniform(0.4, 0.9)), 2)
            orders.append((cid, _d(start + pd.Timedelta(days=int(day))), amount, c,
                           categories[int(rng.integers(0, 5))], "直销" if rng.random() < 0.6 else "分销"))
    edge = [
        ("E-returns", "2023-03-01", 300.0, 100.0, "x"),
        ("E-returns", "2024-04-02", 100.0, 60.0, "x"),
        ("E-returns", "2024-05-02", -100.0, -60.0, "x"),   # last 6 months net zero
        ("E-one", "2024-03-15", 42.5, 20.0, "y"),
        ("E-sameday", "2024-01-10", 10.0, 5.0, "x"),
        ("E-sameday", "2024-01-10", 20.0, 5.0, "y"),
        ("E-sameday", "2024-01-10", 30.0, None, None),
        ("E-sameday", "2024-06-01", 5.0, 1.0, "z"),
        ("E-asof", _d(AS_OF), 7.0, 3.0, "x"),                       # on the as-of date: counts
        ("E-asof", w["start_12m"], 11.0, 3.0, "x"),                 # boundary: outside 12 months
        ("E-asof", w["start_6m"], 13.0, 3.0, "y"),                  # boundary: in previous 6 months
        ("E-asof", w["start_24m"], 17.0, 3.0, "z"),                 # boundary: outside 24 months
        ("E-asof", _d(AS_OF + dt.timedelta(days=1)), 19.0, 3.0, "x"),  # after: ignored
        ("E-late", "2024-07-15", 999.0, 1.0, "x"),                 # only after the as-of date
        ("E-old", "2022-05-05", 500.0, 200.0, "w"),                # nothing in the last 12 months
        ("E-old", "2022-09-09", 250.0, 100.0, "w"),
        ("E-refund-only", "2024-05-05", -50.0, -20.0, "x"),        # a return and nothing else
        ("客户甲", "2024-02-29", 88.8, 40.0, "y"),
        ("客户甲", "2023-02-28", 66.6, 30.0, "y"),
    ]
    orders += [(cid, _d(day), amount, c, cat, "直销") for cid, day, amount, c, cat in edge]
    orders = pd.DataFrame(orders, columns=["customer_id", "order_date", "amount", "cost", "category",
                                           "channel"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["order_id"] = [f"O{i:06d}" for i in range(len(orders))]
    if not cost:
        orders = orders.drop(columns=["cost"])

    ids = [f"B{i:04d}" for i in range(0, bulk, 2)] + ["E-returns", "E-one", "E-asof", "客户甲"]
    customers = pd.DataFrame({
        "customer_id": ids,
        "name": [f"公司{i}" for i in range(len(ids))],
        "region": [["华东", "华南", None][i % 3] for i in range(len(ids))],
        "created_at": [pd.Timestamp("2021-06-01") + pd.Timedelta(days=13 * i) for i in range(len(ids))],
        "wallet_estimate": [None if i % 4 == 0 else 1000.0 * (i + 1) for i in range(len(ids))],
        "satisfaction": [None if i % 3 else 3.5 for i in range(len(ids))],
        "pipeline_stage": ["customer"] * len(ids),
    })
    prospects = pd.DataFrame({
        "customer_id": ["P-none", "P-before", "P-on", "P-after", "E-late"],
        "name": ["无日期", "早", "当天", "以后", "后来者"],
        "region": ["华北"] * 5,
        "created_at": [pd.NaT, pd.Timestamp("2023-01-01"), pd.Timestamp(AS_OF),
                       pd.Timestamp(AS_OF) + pd.Timedelta(days=1), pd.Timestamp("2024-01-01")],
        "wallet_estimate": [500.0, None, 0.0, 10.0, None],
        "satisfaction": [None] * 5,
        "pipeline_stage": ["target", "prospect", "opportunity", "target", "prospect"],
    })
    customers = pd.concat([customers, prospects], ignore_index=True)
    tables = {"orders": orders, "customers": customers}

    if payments:
        pay = orders[orders["amount"] > 0].sample(frac=0.7, random_state=seed)
        due = pay["order_date"] + pd.Timedelta(days=30)
        late = pd.to_timedelta(rng.integers(-20, 150, len(pay)), unit="D")
        paid = (due + late).where(rng.random(len(pay)) > 0.12)
        invoice = pay["order_date"].where(rng.random(len(pay)) > 0.1)
        payments_frame = pd.DataFrame({"customer_id": pay["customer_id"].to_numpy(),
                                       "amount": pay["amount"].to_numpy(),
                                       "invoice_date": invoice.to_numpy(), "due_date": due.to_numpy(),
                                       "paid_date": paid.to_numpy()})
        ts = pd.Timestamp
        special = pd.DataFrame({
            "customer_id": ["E-one", "E-one", "E-asof", "E-asof", "E-sameday"],
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
            "invoice_date": [ts("2024-03-15"), pd.NaT, ts("2024-01-01"), ts("2024-02-01"), ts(AS_OF)],
            "due_date": [ts("2024-04-14"), ts("2024-04-20"), ts(w["bad_debt_before"]), ts(AS_OF),
                         ts("2024-07-30")],
            "paid_date": [ts("2024-04-14"), ts("2024-07-01"), pd.NaT, pd.NaT, pd.NaT],
        })
        tables["payments"] = pd.concat([payments_frame, special], ignore_index=True)
    if service:
        n = 150
        who = rng.choice(orders["customer_id"].unique(), n)
        when = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 960, n), unit="D")
        kinds = rng.choice(["complaint", "Complaint", "投诉", "ticket", "visit"], n)
        cost_ = np.round(rng.uniform(5, 300, n), 2)
        cost_ = np.where(rng.random(n) < 0.1, np.nan, cost_)
        sat = np.where(rng.random(n) < 0.3, np.nan, rng.integers(1, 6, n).astype(float))
        tables["service"] = pd.DataFrame({"customer_id": who, "date": when, "kind": kinds,
                                          "cost": cost_, "satisfaction": sat})
        extra = pd.DataFrame({"customer_id": ["E-asof", "E-asof"],
                              "date": [pd.Timestamp(AS_OF), pd.Timestamp(w["start_12m"])],
                              "kind": ["投诉", "COMPLAINT"], "cost": [12.0, 13.0],
                              "satisfaction": [1.0, 2.0]})
        tables["service"] = pd.concat([tables["service"], extra], ignore_index=True)
    return tables


def _as_dates(frame: pd.DataFrame, timestamps: bool) -> pa.Table:
    """Arrow table with date columns as date32 (or, with ``timestamps``, as naive timestamps)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if timestamps:
        return table
    fields = []
    for f in table.schema:
        fields.append(pa.field(f.name, pa.date32()) if pa.types.is_timestamp(f.type) else f)
    return table.cast(pa.schema(fields))


def write_parquet_dataset(tables: dict[str, pd.DataFrame], folder: Path, *, layout: str = "hive",
                          timestamps: bool = False) -> Path:
    """Write ``tables`` as a Parquet dataset folder.

    ``layout``: ``hive`` (orders/year=YYYY/…, other tables as folders of two files),
    ``files`` (orders.parquet, customers.parquet, …) or ``channel`` (orders partitioned by a
    canonical column, channel=…).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if layout == "files":
            pq.write_table(_as_dates(frame, timestamps), folder / f"{name}.parquet")
        elif name == "orders" and layout in ("hive", "channel"):
            frame = frame.assign(year=frame["order_date"].dt.year) if layout == "hive" else frame
            pq.write_to_dataset(_as_dates(frame, timestamps), folder / name,
                                partition_cols=["year" if layout == "hive" else "channel"])
        else:
            (folder / name).mkdir(exist_ok=True)
            half = len(frame) // 2
            pq.write_table(_as_dates(frame.iloc[:half], timestamps), folder / name / "part-0.parquet")
            pq.write_table(_as_dates(frame.iloc[half:], timestamps), folder / name / "part-1.parquet")
    return folder
