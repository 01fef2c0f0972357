"""The sample generator: the story the committed sample must carry, its format, determinism."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuation.data import schema
from valuation.data.sample import FILE_COLUMNS, generate
from valuation.data.sample_vocab import SERVICE_KINDS

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "sample_data"
# The documented command: python -m valuation sample --customers 2000 --prospects 1000 --seed 7
DOCUMENTED = {"customers": 2000, "prospects": 1000, "seed": 7}
FILES = ("customers.csv", "orders.csv", "payments.csv", "service.csv")
REGIONS = {"华东", "华南", "华北", "华中", "西南", "西北", "东北"}
YEAR = pd.Timedelta(days=365)


def lifecycle_stage_for_check(orders: pd.DataFrame, customers: pd.DataFrame,
                              as_of: pd.Timestamp) -> pd.Series:
    """Stage per customer by the rule this test holds the sample to (the engine owns the real one).

    Purchases are order lines with a positive amount (returns do not count). Accounts
    without purchases take their pipeline_stage. Otherwise, with the days since the last
    purchase: churned if > 365, dormant if > 180, at_risk if > 90; else won_back if two
    consecutive purchases were ever more than 365 days apart; new if the first purchase
    is within the last 90 days; loyal if tenure >= 365 days and >= 6 purchases in the
    last 12 months; repeat otherwise.
    """
    buys = orders[orders["amount"] > 0].sort_values(["customer_id", "order_date"])
    by = buys.groupby("customer_id")["order_date"]
    first, last = by.min(), by.max()
    max_gap = by.diff().dt.days.groupby(buys["customer_id"]).max().fillna(0)
    last_year = buys[buys["order_date"] > as_of - YEAR].groupby("customer_id").size()
    last_year = last_year.reindex(first.index, fill_value=0)
    silent = (as_of - last).dt.days
    tenure = (as_of - first).dt.days
    stage = pd.Series(np.select(
        [silent > 365, silent > 180, silent > 90, max_gap > 365, tenure <= 90,
         (tenure >= 365) & (last_year >= 6)],
        ["churned", "dormant", "at_risk", "won_back", "new", "loyal"], default="repeat"),
        index=first.index)
    pipeline = customers.set_index("customer_id")["pipeline_stage"]
    return stage.combine_first(pipeline[~pipeline.index.isin(stage.index)])


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate(out, **DOCUMENTED)


@pytest.fixture(scope="module")
def data(generated) -> dict[str, pd.DataFrame]:
    out, _ = generated
    return {
        "customers": pd.read_csv(out / "customers.csv", dtype={"customer_id": str},
                                 parse_dates=["created_at"]),
        "orders": pd.read_csv(out / "orders.csv", dtype={"customer_id": str},
                              parse_dates=["order_date"]),
        "payments": pd.read_csv(out / "payments.csv", dtype={"customer_id": str},
                                parse_dates=["invoice_date", "due_date", "paid_date"]),
        "service": pd.read_csv(out / "service.csv", dtype={"customer_id": str},
                               parse_dates=["date"]),
    }


@pytest.fixture(scope="module")
def as_of(data) -> pd.Timestamp:
    return data["orders"]["order_date"].max()


def _share_of_top(values: pd.Series, fraction: float) -> float:
    ranked = values.sort_values(ascending=False)
    return ranked.head(int(len(ranked) * fraction)).sum() / ranked.sum()


def _net_profit_last_year(data, as_of) -> pd.Series:
    orders, service = data["orders"], data["service"]
    o = orders[orders["order_date"] > as_of - YEAR]
    s = service[service["date"] > as_of - YEAR]
    ids = orders["customer_id"].unique()
    gross = (o["amount"] - o["cost"]).groupby(o["customer_id"]).sum().reindex(ids, fill_value=0)
    return gross.sub(s.groupby("customer_id")["cost"].sum(), fill_value=0).reindex(ids)


# --- format -------------------------------------------------------------------------------

def test_generate_returns_the_number_of_rows_written_per_table(generated, data):
    _, counts = generated
    assert counts == {name: len(df) for name, df in data.items()}
    assert counts["customers"] == 3000
    assert 20_000 <= counts["orders"] <= 30_000


def test_files_carry_canonical_schema_columns_in_a_fixed_order(generated):
    out, _ = generated
    for table, columns in FILE_COLUMNS.items():
        header = (out / f"{table}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert header == ",".join(columns)
        assert set(columns) <= {c.name for c in schema.stored_columns(table)}
        assert set(schema.required(table)) <= set(columns)


def test_values_are_plain_utf8_with_iso_dates_and_empty_missing_values(generated, data):
    out, _ = generated
    text = (out / "payments.csv").read_text(encoding="utf-8")
    assert '"' not in text and "\r" not in text
    assert re.fullmatch(r"INV\d{8},C\d{6},\d{4}-\d{2}-\d{2},-?\d+\.\d{2},\d{4}-\d{2}-\d{2},"
                        r"(\d{4}-\d{2}-\d{2})?", text.split("\n")[1])
    raw = pd.read_csv(out / "customers.csv", dtype=str, keep_default_na=False)
    ordering = raw[raw["customer_id"].str.startswith("C")]
    assert 0.05 <= (ordering["wallet_estimate"] == "").mean() <= 0.15
    assert (ordering["satisfaction"] != "").mean() > 0.7
    assert (ordering["importance"] == "").mean() > 0.7
    assert data["customers"]["customer_id"].is_unique
    assert data["orders"]["order_id"].is_unique and data["payments"]["invoice_id"].is_unique


def test_some_company_names_are_english(data):
    names = data["customers"]["name"]
    english = names.str.fullmatch(r"[A-Za-z ]+")
    assert 0 < english.sum() < 0.1 * len(names)
    assert names[~english].str.endswith("公司").all()


def test_last_order_falls_on_end_date_and_history_spans_three_years(data, as_of):
    assert as_of == pd.Timestamp("2026-09-30")
    assert data["orders"]["order_date"].min() >= as_of - pd.Timedelta(days=1096)
    assert data["service"]["date"].max() <= as_of
    assert data["payments"]["paid_date"].max() <= as_of


def test_regions_are_exactly_the_seven_chinese_regions(data):
    assert set(data["customers"]["region"]) == REGIONS
    assert data["customers"]["region"].value_counts().index[0] == "华东"


def test_about_one_to_two_percent_of_order_lines_are_returns_with_negative_cost(data):
    orders = data["orders"]
    returns = orders["amount"] < 0
    assert 0.01 <= returns.mean() <= 0.02
    assert (orders.loc[returns, "cost"] < 0).all() and (orders.loc[returns, "quantity"] < 0).all()
    assert orders["category"].nunique() == 8


# --- the story ----------------------------------------------------------------------------

def test_top_five_percent_of_customers_give_about_forty_percent_of_revenue(data):
    revenue = data["orders"].groupby("customer_id")["amount"].sum()
    assert 0.35 <= _share_of_top(revenue, 0.05) <= 0.45


def test_top_fifth_of_customers_by_profit_give_most_of_the_profit(data):
    orders, service = data["orders"], data["service"]
    profit = (orders["amount"] - orders["cost"]).groupby(orders["customer_id"]).sum()
    profit = profit.sub(service.groupby("customer_id")["cost"].sum(), fill_value=0)
    assert _share_of_top(profit.loc[profit.index.str.startswith("C")], 0.20) > 0.6


def test_a_clear_group_of_customers_lost_money_over_the_last_twelve_months(data, as_of):
    net = _net_profit_last_year(data, as_of)
    assert 0.05 <= (net < 0).mean() <= 0.12


def test_loss_making_customers_complain_more_and_pay_worse(data, as_of):
    net = _net_profit_last_year(data, as_of)
    losing = set(net.index[net < 0])
    service, payments = data["service"], data["payments"]
    complaint = service["kind"] == "complaint"
    in_losing = service["customer_id"].isin(losing)
    assert complaint[in_losing].mean() > 2 * complaint[~in_losing].mean()
    overdue = payments["paid_date"].isna() & (payments["due_date"] < as_of)
    late = payments["paid_date"] > payments["due_date"]
    bad = overdue | late
    pay_losing = payments["customer_id"].isin(losing)
    assert bad[pay_losing].mean() > 2 * bad[~pay_losing].mean()


def test_every_lifecycle_stage_is_present_with_loyal_and_repeat_the_biggest(data, as_of):
    stage = lifecycle_stage_for_check(data["orders"], data["customers"], as_of)
    ordering = stage[stage.index.str.startswith("C")].value_counts(normalize=True)
    assert set(ordering.index) == {"new", "repeat", "loyal", "at_risk", "dormant", "churned",
                                   "won_back"}
    assert ordering.min() >= 0.02
    assert set(ordering.index[:2]) == {"repeat", "loyal"}
    pipeline = stage[stage.index.str.startswith("P")]
    assert set(pipeline) == set(schema.PIPELINE_STAGES)
    assert len(pipeline) == DOCUMENTED["prospects"]


def test_prospects_have_a_customers_row_but_no_orders(data):
    customers = data["customers"]
    prospects = customers.loc[customers["pipeline_stage"] != "customer", "customer_id"]
    assert prospects.str.startswith("P").all()
    assert not data["orders"]["customer_id"].isin(prospects).any()
    assert set(data["orders"]["customer_id"]) == set(
        customers.loc[customers["pipeline_stage"] == "customer", "customer_id"])


def test_some_customers_grow_and_others_decline(data, as_of):
    orders = data["orders"]
    half = pd.Timedelta(days=182)
    recent = orders[orders["order_date"] > as_of - half].groupby("customer_id")["amount"].sum()
    before = orders[(orders["order_date"] <= as_of - half) & (orders["order_date"] > as_of - YEAR)]
    before = before.groupby("customer_id")["amount"].sum()
    both = pd.concat({"recent": recent, "before": before}, axis=1).fillna(0)
    both = both[both["before"] > 0]
    growing = (both["recent"] >= 2 * both["before"]).mean()
    declining = (both["recent"] <= 0.5 * both["before"]).mean()
    assert growing > 0.1 and declining > 0.1


def test_orders_slow_down_at_spring_festival_and_in_summer(data):
    buys = data["orders"][data["orders"]["amount"] > 0]
    for year in (2024, 2025):
        months = buys.loc[buys["order_date"].dt.year == year, "order_date"].dt.month
        per_month = months.value_counts().reindex(range(1, 13), fill_value=0)
        slow = per_month[[1, 2, 7, 8]].mean()
        busy = per_month.drop([1, 2, 7, 8]).mean()
        assert slow < 0.8 * busy


def test_most_invoices_are_paid_on_time_but_some_are_late_and_some_unpaid(data, as_of):
    p = data["payments"]
    on_time = p["paid_date"] <= p["due_date"]
    late = p["paid_date"] > p["due_date"]
    overdue_unpaid = p["paid_date"].isna() & (p["due_date"] < as_of)
    assert on_time.mean() > 0.75
    assert 0.03 <= late.mean() <= 0.2
    assert 0.01 <= overdue_unpaid.mean() <= 0.1
    assert set((p["due_date"] - p["invoice_date"]).dt.days) == {60, 90, 120}


def test_large_accounts_pay_late_more_often_than_small_ones(data):
    p, customers = data["payments"], data["customers"]
    size = p["customer_id"].map(customers.set_index("customer_id")["size"])
    late = (p["paid_date"] > p["due_date"]).groupby(size).mean()
    assert late["大型"] > 2 * late["小型"]
    terms = (p["due_date"] - p["invoice_date"]).dt.days.groupby(size).mean()
    assert terms["小型"] < terms["中型"] < terms["大型"]


def test_first_orders_earn_a_thin_margin_and_bring_onboarding_costs(data):
    orders, service = data["orders"], data["service"]
    buys = orders[orders["amount"] > 0].sort_values(["customer_id", "order_date", "order_id"])
    first = buys.groupby("customer_id").head(1)
    later = buys.drop(first.index)
    # Accounts whose first order falls after the history's first year were won inside it.
    won = first[first["order_date"] > orders["order_date"].min() + YEAR]
    margin = lambda lines: (lines["amount"] - lines["cost"]).sum() / lines["amount"].sum()  # noqa: E731
    assert margin(won) < margin(later) - 0.08
    early = service.merge(won[["customer_id", "order_date"]], on="customer_id")
    early = early[(early["date"] >= early["order_date"])
                  & (early["date"] <= early["order_date"] + pd.Timedelta(days=45))
                  & early["kind"].isin(["training", "visit"])]
    assert early["customer_id"].nunique() > 0.6 * len(won)


def test_one_time_buyers_include_accounts_that_bought_once_long_ago(data, as_of):
    buys = data["orders"][data["orders"]["amount"] > 0]
    days = buys.groupby("customer_id")["order_date"].agg(["nunique", "min"])
    once = days[days["nunique"] == 1]
    assert len(once) >= 0.05 * len(days)
    assert (once["min"] < as_of - YEAR).mean() > 0.3


def test_service_history_includes_complaints_among_english_kind_codes(data):
    kinds = data["service"]["kind"]
    assert set(kinds) == set(SERVICE_KINDS)
    assert (kinds == "complaint").mean() > 0.05
    assert data["service"]["satisfaction"].dropna().between(1, 5).all()


# --- determinism --------------------------------------------------------------------------

def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(generated, tmp_path):
    out, _ = generated
    generate(tmp_path / "again", **DOCUMENTED)
    generate(tmp_path / "other", **{**DOCUMENTED, "seed": 8})
    assert _bytes(tmp_path / "again") == _bytes(out)
    other = _bytes(tmp_path / "other")
    assert all(other[name] != content for name, content in _bytes(out).items())


def test_chunked_generation_is_reproducible_and_keeps_ids_unique(tmp_path):
    first = generate(tmp_path / "a", customers=300, prospects=120, chunk_customers=70)
    generate(tmp_path / "b", customers=300, prospects=120, chunk_customers=70)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    orders = pd.read_csv(tmp_path / "a" / "orders.csv")
    customers = pd.read_csv(tmp_path / "a" / "customers.csv")
    assert orders["order_id"].is_unique and len(orders) == first["orders"]
    assert customers["customer_id"].is_unique and len(customers) == 420
    assert orders["order_date"].max() == "2026-09-30"


def test_committed_sample_is_what_its_documented_command_produces(generated):
    out, _ = generated
    committed = _bytes(COMMITTED)
    fresh = _bytes(out)
    for name in FILES:
        assert committed[name] == fresh[name], (
            f"sample_data/{name} drifted from the generator; regenerate it with "
            "python -m valuation sample --customers 2000 --prospects 1000 --seed 7 --out sample_data")


def test_the_readmes_below_zero_figures_are_what_the_engine_reports():
    from valuation.data.store import Store, load_sample
    from valuation.model import pipeline

    text = (REPO / "sample_data" / "README.md").read_text(encoding="utf-8")
    count, share, total = re.search(r"(\d+) customers \(([\d.]+) % of those with\s+orders: the dashboard's "
                                    r"below-zero tier\).*?together −([\d.]+) M yuan", text, re.S).groups()
    store = Store(":memory:")
    load_sample(store)
    scored = pipeline.run(store, "sample")
    below = scored[scored["tier"] == "below_zero"]
    assert len(below) == int(count)
    assert f"{len(below) / scored['has_orders'].sum() * 100:.1f}" == share
    assert f"{-below['net_profit_12m'].sum() / 1e6:.1f}" == total


# --- what the engine makes of it ---------------------------------------------------------------

@pytest.fixture(scope="module")
def engine_on_sample():
    from valuation.data.store import Store, load_sample
    from valuation.model import pipeline

    store = Store(":memory:")
    load_sample(store)
    prepared = pipeline.prepare(store, "sample")
    scored = pipeline.score(prepared)
    return prepared, scored[scored["has_orders"].astype(bool)]


def test_the_purchase_model_fits_the_sample_without_a_penalty_and_with_a_finite_dropout(
        engine_on_sample):
    prepared, _ = engine_on_sample
    fit = prepared.clv_fit
    assert fit.method == "model"
    assert fit.purchase["penalizer"] == 0
    # a and b stay where the data put them, not run off towards the no-dropout limit.
    assert fit.purchase["a"] < 100 and fit.purchase["b"] < 1000


def test_one_time_buyers_are_not_worth_more_than_repeat_buyers(engine_on_sample):
    _, buyers = engine_on_sample
    once = buyers["frequency"] == 0
    assert once.sum() >= 100
    assert buyers.loc[once, "clv"].median() <= buyers.loc[~once, "clv"].median()


def test_loyal_customers_are_worth_at_least_as_much_as_new_ones(engine_on_sample):
    _, buyers = engine_on_sample
    clv = buyers.groupby("lifecycle_stage", observed=True)["clv"].median()
    assert clv["loyal"] >= clv["new"]
