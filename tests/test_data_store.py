"""The DuckDB store: datasets side by side, all-or-nothing replaces, locks, quoting."""

from __future__ import annotations

import subprocess
import sys
import threading

import pandas as pd
import pytest

from valuation.data.store import Store, StoreError, merge_tables, quote_ident, validate_dataset_name


def orders(*rows):
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"]).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"]))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "test.duckdb")
    yield s
    s.close()


def test_two_datasets_live_side_by_side(store):
    store.replace_dataset("north", {"orders": orders(("a", "2024-01-01", 10.0))})
    store.replace_dataset("south", {"orders": orders(("b", "2024-02-01", 20.0), ("c", "2024-02-02", 5.0))})
    assert store.datasets() == ["north", "south"]
    assert store.read("north", "orders")["amount"].tolist() == [10.0]
    assert sorted(store.read("south", "orders")["customer_id"]) == ["b", "c"]


def test_the_catalog_lists_every_dataset_with_its_version_and_currency_in_one_query(store):
    store.replace_dataset("south", {"orders": orders(("b", "2024-02-01", 20.0))}, currency="USD")
    store.replace_dataset("north", {"orders": orders(("a", "2024-01-01", 10.0))})
    catalog = store.catalog()
    assert list(catalog) == store.datasets() == ["north", "south"]
    assert {name: currency for name, (_, currency) in catalog.items()} == {"north": "CNY", "south": "USD"}
    assert all(created == store.info(name).created_at for name, (created, _) in catalog.items())
    before = catalog["south"][0]
    store.replace_dataset("south", {"orders": orders(("c", "2024-03-01", 1.0))}, currency="EUR")
    assert store.catalog()["south"][0] > before and store.catalog()["south"][1] == "EUR"  # a new version


def test_missing_tables_are_empty_and_reported_as_not_provided(store):
    store.replace_dataset("d", {"orders": orders(("a", "2024-01-01", 10.0))})
    assert len(store.read("d", "payments")) == 0
    assert store.provided_columns("d") == {"orders": ["amount", "customer_id", "order_date"]}
    summary = store.table_summary("d").set_index("table")
    assert summary.loc["orders", "rows"] == 1
    assert str(summary.loc["orders", "first_date"]) == "2024-01-01"


def test_failed_replace_leaves_the_existing_dataset_exactly_as_it_was(store):
    before = orders(("a", "2024-01-01", 10.0), ("b", "2024-01-02", -3.5))
    store.replace_dataset("d", {"orders": before}, source="first.csv")
    bad = orders(("x", "2024-01-01", 1.0)).assign(amount=["not a number"])
    with pytest.raises(Exception):
        store.replace_dataset("d", {"orders": bad}, source="second.csv")
    after = store.read("d", "orders")[["customer_id", "order_date", "amount"]]
    pd.testing.assert_frame_equal(after, before, check_dtype=False)
    assert store.info("d").source == "first.csv"


def test_replace_swaps_the_whole_dataset(store):
    store.replace_dataset("d", {"orders": orders(("a", "2024-01-01", 10.0)),
                                "service": pd.DataFrame({"customer_id": ["a"],
                                                         "date": pd.to_datetime(["2024-01-03"])})})
    store.replace_dataset("d", {"orders": orders(("z", "2025-01-01", 1.0))})
    assert store.read("d", "orders")["customer_id"].tolist() == ["z"]
    assert len(store.read("d", "service")) == 0
    assert "service" not in store.provided_columns("d")


def test_hostile_dataset_name_is_refused_and_harms_nothing(store):
    store.replace_dataset("orders", {"orders": orders(("a", "2024-01-01", 10.0))})
    with pytest.raises(StoreError) as err:
        store.replace_dataset('x"; DROP TABLE orders; --', {"orders": orders(("b", "2024-01-01", 1.0))})
    assert err.value.code == "bad_dataset_name"
    assert store.datasets() == ["orders"]
    assert len(store.read("orders", "orders")) == 1


def test_chinese_dataset_names_are_allowed():
    assert validate_dataset_name(" 华东 客户-2024 ") == "华东 客户-2024"


def test_identifiers_are_quoted_with_doubled_quotes():
    assert quote_ident('a"b') == '"a""b"'


def test_threads_reading_through_their_own_cursors_all_get_the_right_answer(store):
    store.replace_dataset("d", {"orders": orders(*[(f"c{i}", "2024-01-01", float(i)) for i in range(100)])})
    answers, errors = [], []

    def work():
        try:
            for _ in range(20):
                answers.append(store.cursor().execute(
                    f"SELECT sum(amount) FROM {store.table_ref('d', 'orders')}").fetchone()[0])
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert set(answers) == {4950.0}


def test_database_held_by_another_process_gives_a_clear_message(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError) as err:
            Store(path)
        assert err.value.code == "db_locked"
        assert str(path) in str(err.value)
        assert "another program" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_merge_keeps_customers_file_values_over_lifted_attributes():
    from_customers_file = {"customers": pd.DataFrame({"customer_id": ["a"], "region": ["华东"], "name": [None]})}
    from_orders_file = {"orders": orders(("a", "2024-01-01", 1.0)),
                        "customers": pd.DataFrame({"customer_id": ["a", "b"], "region": ["华南", "华北"],
                                                   "name": ["甲公司", "乙公司"]})}
    merged = merge_tables([from_customers_file, from_orders_file])
    customers = merged["customers"].set_index("customer_id")
    assert customers.loc["a", "region"] == "华东"
    assert customers.loc["a", "name"] == "甲公司"
    assert customers.loc["b", "region"] == "华北"
    assert len(merged["orders"]) == 1
