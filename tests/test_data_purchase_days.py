"""The purchase days an import numbers once: every date's features and purchase history read them
and come out exactly as when each query numbered the purchases itself (purchase_days.py)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.scale_data import AS_OF, LEAP_AS_OF, edge_tables
from valuation.analysis import funnel
from valuation.data import purchase_days
from valuation.data.features import compute_features
from valuation.data.store import Store

# Dates that cut the history in different places: the edge cases' own date and a leap day, a date
# before most customers' first purchase, a date inside the busiest run of same-day lines, and the
# last order's date (the default).
DATES = (AS_OF, LEAP_AS_OF, dt.date(2022, 1, 15), dt.date(2024, 1, 10), None)


def lumpy_orders(seed: int = 3, customers: int = 300) -> pd.DataFrame:
    """B2B-shaped order lines: several lines a day, returns on later days and on the same day,
    one-off buyers, long silences (comebacks), lines dated after today (a typing mistake)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        cid = f"L{i:04d}"
        days = np.sort(rng.choice(900, size=int(rng.integers(1, 14)), replace=True))
        if rng.random() < 0.2:  # a silence of a year, then back
            days = np.concatenate([days, days.max() + 365 + rng.integers(1, 60, 2)])
        for day in days:
            for _ in range(int(rng.integers(1, 4))):  # order lines of one order
                amount = round(float(rng.lognormal(7, 1.4)), 2)
                rows.append((cid, pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(day)), amount))
            if rng.random() < 0.08:
                rows.append((cid, pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(day) + int(rng.integers(0, 30))),
                             -round(amount / 2, 2)))
    rows.append(("L0000", pd.Timestamp("2099-01-01"), 5.0))
    rows.append(("L0001", pd.Timestamp("2023-06-01"), 0.0))  # a zero line is not a purchase
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """The same data imported twice; the second store's table dropped, as an older version left it."""
    tables = edge_tables()
    tables["orders"] = pd.concat([tables["orders"], lumpy_orders().assign(category="x")], ignore_index=True)
    pair = []
    for name in ("stored", "numbered"):
        store = Store(tmp_path_factory.mktemp(name) / "s.duckdb")
        store.replace_dataset("d", tables, source=name)
        pair.append(store)
    stored, numbered = pair
    numbered.cursor().execute(f"DROP TABLE {numbered.derived_ref('d', purchase_days.TABLE)}")
    yield stored, numbered
    for store in pair:
        store.close()


def test_an_import_stores_the_numbered_purchases_and_the_queries_read_them(stores):
    stored, numbered = stores
    assert stored.derived_ref("d", purchase_days.TABLE) is not None
    assert "DENSE_RANK" not in purchase_days.source_sql(stored, "d")
    assert numbered.derived_ref("d", purchase_days.TABLE) is None
    assert "DENSE_RANK" in purchase_days.source_sql(numbered, "d")
    rows = stored.cursor().execute(
        f"SELECT customer_id, order_date, day_no, gap_days FROM {stored.derived_ref('d', purchase_days.TABLE)} "
        "WHERE customer_id = 'E-sameday' ORDER BY order_date, day_no").fetchall()
    # three lines on 2024-01-10 are one purchase day; the gap (143 days) is on the next day's line only
    assert [(r[1], r[2], r[3]) for r in rows] == [(dt.date(2024, 1, 10), 1, None)] * 3 + [(dt.date(2024, 6, 1), 2, 143)]
    # returns and zero lines are not purchases; a line dated 2099 is (and is left out before its date)
    amounts = stored.cursor().execute(
        f"SELECT min(amount), max(order_date) FROM {stored.derived_ref('d', purchase_days.TABLE)}").fetchone()
    assert amounts[0] > 0 and amounts[1] == dt.date(2099, 1, 1)


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_features_from_the_stored_purchase_days_equal_the_numbering_in_the_query(stores, as_of):
    stored, numbered = stores
    got, want = compute_features(stored, "d", as_of), compute_features(numbered, "d", as_of)
    # counts and dates exactly; sums to the last bits DuckDB's parallel adding leaves (1e-12)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=0)
    assert got.attrs["as_of"] == want.attrs["as_of"]
    # the comparison covers what the numbering decides: repeat days, gaps and comebacks
    assert got["purchase_days"].max() >= 2 and got["max_gap_days"].notna().any()
    if as_of in (AS_OF, None):
        assert got["purchase_days"].max() > 3 and got["last_return_date"].notna().any()


@pytest.mark.parametrize("as_of", (AS_OF, dt.date(2022, 1, 15)), ids=str)
def test_the_lifecycle_purchase_history_is_the_same_either_way(stores, as_of):
    stored, numbered = stores
    got, want = funnel.purchase_history(stored, "d", as_of), funnel.purchase_history(numbered, "d", as_of)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["third_purchase"].notna().sum() > 10


def test_a_failed_import_leaves_the_old_purchase_days(tmp_path):
    store = Store(tmp_path / "f.duckdb")
    old = pd.DataFrame({"customer_id": ["A", "A"], "order_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                        "amount": [1.0, 2.0]})
    store.replace_dataset("d", {"orders": old})
    bad = old.assign(amount=["x", "y"])  # not numbers: the insert fails inside the transaction
    with pytest.raises(Exception):
        store.replace_dataset("d", {"orders": bad})
    rows = store.cursor().execute(
        f"SELECT day_no, gap_days FROM {store.derived_ref('d', purchase_days.TABLE)} ORDER BY day_no").fetchall()
    assert rows == [(1, None), (2, 31)]
    store.close()


def test_prepare_numbers_the_purchase_days_of_a_dataset_imported_before_they_were_stored(tmp_path, capsys):
    from valuation.cli.main import main as cli
    from valuation.data.sources import attach_features, attach_parquet

    db = tmp_path / "old.duckdb"
    store = Store(db)
    store.replace_dataset("d", edge_tables(bulk=30), source="old")
    store.cursor().execute(f"DROP TABLE {store.derived_ref('d', purchase_days.TABLE)}")  # as before
    before = compute_features(store, "d", AS_OF)
    store.close()
    # While a dashboard's reader holds the file, prepare cannot write: it says so and prepares anyway.
    reader = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"c = duckdb.connect({str(db)!r}, read_only=True); print('ready', flush=True); "
                               "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "ready"
        assert cli(["prepare", "--db", str(db), "--dataset", "d", "--as-of", str(AS_OF)]) == 0
        said = capsys.readouterr()
        assert "numbered by each query until a prepare can write the database" in said.err
        assert "prepared 'd'" in said.out and "numbered purchase days" not in said.out
    finally:
        reader.communicate("")
    assert cli(["prepare", "--db", str(db), "--dataset", "d", "--as-of", str(AS_OF)]) == 0
    assert "numbered purchase days (a dataset imported by an older version)" in capsys.readouterr().out
    store = Store(db, read_only=True)
    assert store.derived_ref("d", purchase_days.TABLE) is not None
    pd.testing.assert_frame_equal(compute_features(store, "d", AS_OF), before, check_exact=False, rtol=1e-12)
    store.close()
    assert cli(["prepare", "--db", str(db), "--dataset", "d", "--as-of", str(AS_OF)]) == 0
    assert "numbered purchase days" not in capsys.readouterr().out  # once
    # a folder read in place has no stored orders to number: the queries number them each time
    folder = tmp_path / "lake"
    folder.mkdir()
    edge_tables(bulk=5)["orders"].to_parquet(folder / "orders.parquet")
    store = Store(db)
    attach_parquet(store, "lake", folder)
    assert store.add_purchase_days("lake") is False and store.derived_ref("lake", purchase_days.TABLE) is None
    attach_features(store, "cluster", before)  # features computed elsewhere: no orders to number
    store.close()
    assert cli(["prepare", "--db", str(db), "--dataset", "cluster"]) == 0
    assert "numbered purchase days" not in capsys.readouterr().out
