"""The currency of a file's money: found in its amounts and money headers, kept per dataset in the store."""

from __future__ import annotations

import pandas as pd
import pytest

from valuation.data import sources
from valuation.data.currency import decide
from valuation.data.features import compute_features
from valuation.data.headers import header_currency
from valuation.data.ingest import read_table
from valuation.data.store import SAMPLE_DATASET, Store, StoreError, ensure_sample

DOLLARS = ("Customer,Order date,amount (USD)\n"
           'C1,2024-01-05,"$1,234.50"\n'
           "C2,2024-02-05,$12\n"
           "C1,2024-03-05,($4.50)\n")


def keys(result) -> list[str]:
    return [note.key for note in result.notes]


def test_a_dollar_csv_is_read_as_dollars_and_says_so():
    result = read_table(DOLLARS.encode(), name="dollars.csv")
    assert result.currency == "USD" and result.summary()["currency"] == "USD"
    assert result.tables["orders"]["amount"].tolist() == [1234.5, 12.0, -4.5]
    assert "note.currency_found" in keys(result)
    assert any("US dollar (USD)" in m for m in result.messages("en"))
    assert any("识别为美元" in m for m in result.messages("zh"))


def test_a_gbk_file_with_yuan_signs_is_yuan_and_needs_no_note():
    text = "客户编号,下单日期,金额(元)\nA1,2024年1月5日,￥1234.50\nA2,2024/2/5,500元\nA3,2024-03-01,800\n"
    result = read_table(text.encode("gbk"), name="订单.csv")
    assert result.encoding == "gb18030"
    assert result.currency == "CNY" and result.rows_loaded == 3
    assert not [k for k in keys(result) if k.startswith("note.currency")]


def test_plain_numbers_are_yuan():
    result = read_table(b"customer_id,order_date,amount\nA,2024-01-01,10\n", name="o.csv")
    assert result.currency == "CNY" and result.currency_counts == {}


def test_dollars_and_yuan_in_one_file_are_said_and_the_most_frequent_is_chosen():
    text = "customer_id,order_date,amount\nA,2024-01-01,$10\nB,2024-01-02,$20\nC,2024-01-03,¥30\n"
    result = read_table(text.encode(), name="mixed.csv")
    assert result.currency == "USD" and result.currency_counts == {"USD": 2, "CNY": 1}
    assert "note.currency_mixed" in keys(result) and "note.currency_found" not in keys(result)
    en = next(m for m in result.messages("en") if "more than one currency" in m)
    assert "US dollar (USD): 2" in en and "Chinese yuan (CNY): 1" in en and "Check the file" in en
    zh = next(m for m in result.messages("zh") if "混用" in m)
    assert "美元 2 处" in zh and "人民币 1 处" in zh


def test_a_header_that_names_a_currency_speaks_for_its_whole_column():
    result = read_table("客户编号,日期,金额(港币)\nA,2024-01-01,10\nB,2024-01-02,20\n".encode(), name="hk.csv")
    assert result.currency == "HKD" and result.currency_counts == {"HKD": 2}
    result = read_table(b"Customer,Date,Amount $\nA,2024-01-01,10\n", name="d.csv")
    assert result.mapping["amount"] == "Amount $" and result.currency == "USD"


@pytest.mark.parametrize("value, amount, currency", [
    ("€5", 5.0, "EUR"), ("£5", 5.0, "GBP"), ("HK$-6", -6.0, "HKD"), ("12美元", 12.0, "USD"),
    ("3万港币", 30_000.0, "HKD"), ("NT$1,000", 1000.0, "TWD"), ("JPY 900", 900.0, "JPY"), ("US$3", 3.0, "USD"),
])
def test_amounts_in_other_currencies_are_read_and_counted(value, amount, currency):
    result = read_table(f"customer_id,order_date,amount\nA,2024-01-01,\"{value}\"\n".encode(), name="o.csv")
    assert result.tables["orders"]["amount"].tolist() == [amount]
    assert result.currency == currency


@pytest.mark.parametrize("header, currency", [
    ("金额(美元)", "USD"), ("amount (USD)", "USD"), ("Amount $", "USD"), ("Amount USD", "USD"), ("金额美元", "USD"),
    ("amount (USD thousands)", "USD"), ("金额(港币)", "HKD"), ("金額(港元)", "HKD"), ("金额(欧元)", "EUR"),
    ("金額(新台幣千元)", "TWD"), ("金额(日元)", "JPY"), ("Amount £", "GBP"), ("金额(元)", "CNY"),
    ("Sales (RMB '000)", "CNY"), ("金额（万元）", "CNY"), ("金额", None), ("Dollar value", None), ("单元", None),
])
def test_money_headers_name_their_currency(header, currency):
    assert header_currency(header) == currency


def test_a_tie_goes_to_the_yuan_and_nothing_seen_is_the_yuan():
    assert decide({}) == "CNY" and decide({"USD": 3, "CNY": 3}) == "CNY" and decide({"USD": 3, "EUR": 1}) == "USD"


ORDERS = pd.DataFrame({"customer_id": ["A", "B"], "order_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                       "amount": [10.0, 20.0]})


def test_the_store_keeps_each_datasets_currency_and_forgets_it_with_the_dataset(tmp_path):
    store = Store(tmp_path / "c.duckdb")
    store.replace_dataset("usd", {"orders": ORDERS}, currency="usd")
    store.replace_dataset("plain", {"orders": ORDERS})
    assert store.currency("usd") == "USD" and store.currency("plain") == "CNY"
    store.delete_dataset("usd")
    assert store.currency("usd") == "CNY"
    store.replace_dataset("usd", {"orders": ORDERS})  # the same name again, no currency given: the yuan
    assert store.currency("usd") == "CNY"
    store.close()


def test_a_failed_replace_leaves_the_currency_as_it_was(tmp_path):
    store = Store(tmp_path / "c.duckdb")
    store.replace_dataset("d", {"orders": ORDERS}, currency="EUR")
    with pytest.raises(StoreError):
        store.replace_dataset("d", {"orders": ORDERS, "invoices": ORDERS}, currency="USD")
    with pytest.raises(StoreError) as err:
        store.replace_dataset("d", {"orders": ORDERS}, currency="XYZ")
    assert err.value.code == "unknown_currency"
    bad = ORDERS.assign(amount=["x", "y"])  # the insert fails inside the transaction
    with pytest.raises(Exception):
        store.replace_dataset("d", {"orders": bad}, currency="USD")
    assert store.currency("d") == "EUR"
    store.close()


def test_a_database_from_before_currencies_opens_and_reads_yuan(tmp_path):
    path = tmp_path / "old.duckdb"
    store = Store(path)
    store.replace_dataset("d", {"orders": ORDERS}, currency="USD")
    store.cursor().execute("DROP TABLE _meta.dataset_currency")  # what an older version wrote
    store.close()
    old = Store(path, read_only=True)
    assert old.currency("d") == "CNY" and len(old.read("d", "orders")) == 2
    assert {name: currency for name, (_, currency) in old.catalog().items()} == {"d": "CNY"}
    old.close()
    again = Store(path)  # opened for writing: the table is made, the dataset still reads as yuan
    assert again.currency("d") == "CNY"
    again.replace_dataset("d", {"orders": ORDERS}, currency="GBP")
    assert again.currency("d") == "GBP"
    again.close()


def test_features_datasets_are_yuan_unless_given(tmp_path):
    store = Store(tmp_path / "f.duckdb")
    ensure_sample(store)
    assert store.currency(SAMPLE_DATASET) == "CNY"
    features = compute_features(store, SAMPLE_DATASET)
    sources.attach_features(store, "feat_cny", features)
    sources.attach_features(store, "feat_usd", features, currency="USD")
    assert store.currency("feat_cny") == "CNY" and store.currency("feat_usd") == "USD"
    store.close()
