"""Every table on every page shows its numbers for people: money, shares, scores, days and counts
formatted by kind in the reader's language, "—" where a value is missing (never None or nan)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.apptest import open_page, orders_only_frame, start
from ui.widgets import NUMBER_FORMATS
from valuation.data.store import Store, ensure_sample
from valuation.present import exports

ALL_PAGES = ("overview", "tuning", "lifecycle", "customers", "clv", "dynamics", "explore", "actions", "data")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("tables") / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.replace_dataset("orders_only", {"orders": orders_only_frame()})
    store.replace_dataset("hong_kong", {"orders": orders_only_frame()}, currency="HKD")
    store.close()
    return path


def expected_formats(lang: str) -> dict[str, str]:
    """Header in ``lang`` → the format its kind gets (money "yen": -¥2,280,440, never ¥-2,280,440)."""
    return {exports.column_label(c, lang): NUMBER_FORMATS[kind]
            for kind, columns in exports.NUMBER_KINDS.items() for c in columns}


def table_problems(at, page: str, lang: str) -> list[str]:
    """What a reader would see raw in the page's tables: unformatted decimals or thousands, the
    yen sign after the minus, a format of the wrong kind, missing values shown as None."""
    problems, wanted = [], expected_formats(lang)
    for i, element in enumerate(at.dataframe):
        proto = element.proto
        config = json.loads(proto.columns or "{}")
        data = element.value
        where = f"{page} ({lang}) table {i}"
        if proto.placeholder != "—" and data.isna().to_numpy().any():
            problems.append(f"{where}: missing values shown as None")
        for col in data.columns:
            fmt = config.get(str(col), {}).get("type_config", {}).get("format")
            values = data[col]
            if fmt is None and pd.api.types.is_float_dtype(values) and not values.dropna().empty:
                problems.append(f"{where}: {col} has raw decimals ({values.dropna().iloc[0]})")
            if (fmt is None and pd.api.types.is_integer_dtype(values) and len(values)
                    and values.abs().max() >= 1000):
                problems.append(f"{where}: {col} has no thousands separator ({values.abs().max()})")
            if fmt and fmt.startswith("¥%"):
                problems.append(f"{where}: {col} writes ¥ before the minus ({fmt})")
            if fmt and str(col) in wanted and fmt != wanted[str(col)]:
                problems.append(f"{where}: {col} formatted {fmt}, its kind wants {wanted[str(col)]}")
    return problems


@pytest.mark.parametrize("lang, pages", [("en", ALL_PAGES), ("zh", ("lifecycle", "customers", "dynamics"))])
def test_every_table_formats_its_numbers_and_missing_values(db_path, monkeypatch, lang, pages):
    at = start(db_path, monkeypatch, lang)
    problems = []
    for page in pages:
        open_page(at, page)
        if page == "tuning":  # the movers' table appears once a weight moves
            at.slider(key="w::loyalty").set_value(45.0).run()
        problems += table_problems(at, page, lang)
    assert not problems, "\n".join(problems)


def test_orders_only_tables_show_a_dash_for_missing_names(db_path, monkeypatch):
    at = start(db_path, monkeypatch, "zh")
    at.selectbox(key="dataset").set_value("db:orders_only").run()
    problems = []
    for page in ("lifecycle", "customers", "dynamics"):
        open_page(at, page)
        problems += table_problems(at, page, "zh")
        assert any(e.value["客户名称"].isna().any() for e in at.dataframe if "客户名称" in e.value), page
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang, money", [("en", "%,.0f HKD"), ("zh", "%,.0f港元")])
def test_money_in_hong_kong_dollars_keeps_the_minus_sign_in_front(db_path, monkeypatch, lang, money):
    """Streamlit has no format of the Hong Kong dollar's own, and a printf "HK$%,.0f" writes HK$-1,235:
    the currency follows the number instead (-1,235 HKD, -1,235港元)."""
    at = start(db_path, monkeypatch, lang)
    at.selectbox(key="dataset").set_value("db:hong_kong").run()
    formats = []
    for page in ("customers", "actions"):
        open_page(at, page)
        for element in at.dataframe:
            config = json.loads(element.proto.columns or "{}")
            formats += [c.get("type_config", {}).get("format") for c in config.values()]
    in_hkd = [f for f in formats if f and ("HK" in f or "港元" in f)]
    assert in_hkd and set(in_hkd) == {money}
    assert "yen" not in formats and "dollar" not in formats  # no table shows the money as yuan or US$
