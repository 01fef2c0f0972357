"""Influence by industry and region, reference accounts, and the strategic tilt (seeds 001, 002)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from valuation.data import parsing
from valuation.data.features import compute_features
from valuation.data.ingest import read_table
from valuation.data.store import SAMPLE_DATASET, Store, load_sample
from valuation.model import pipeline, scoring, tiers
from valuation.model.settings import Settings, Tilt
from valuation.present.viewconfig import ViewConfig, from_query, to_query


@pytest.fixture(scope="module")
def sample():
    store = Store(":memory:")
    load_sample(store)
    prepared = pipeline.prepare(store, SAMPLE_DATASET)
    yield store, prepared
    store.close()


# --------------------------------------------------------------------------- influence


def test_industry_share_is_each_customers_part_of_its_industrys_revenue():
    f = pd.DataFrame({"industry": ["能源", "能源", "零售", None, " "],
                      "revenue_12m": [300.0, 100.0, -50.0, 900.0, 10.0]})
    share = scoring.group_share(f, "industry")
    assert share[:2] == pytest.approx([0.75, 0.25])
    assert np.isnan(share[2])  # a return-only industry has no revenue to share
    assert np.isnan(share[3]) and np.isnan(share[4])  # no industry, no share
    assert np.isnan(scoring.group_share(f.drop(columns="industry"), "industry")).all()


def test_a_big_account_in_a_small_industry_outranks_a_bigger_one_in_a_big_industry_on_influence():
    f = pd.DataFrame({
        "customer_id": ["big_small_ind", "bigger_big_ind", "rest1", "rest2", "rest3"],
        "has_orders": True, "industry": ["新能源", "制造业", "制造业", "制造业", "新能源"],
        "region": None, "revenue_12m": [90.0, 200.0, 300.0, 400.0, 10.0],
    })
    for col in ("invoices", "overdue_amount"):
        f[col] = 0.0
    f["satisfaction"] = np.nan
    f["avg_service_satisfaction"] = np.nan
    scores, report = scoring.dimension_scores(f, custom_columns=())
    assert report.used_sub_metrics["influence"] == ["industry_share"]
    assert scores.loc[0, "influence"] > scores.loc[1, "influence"]  # 90% of its industry vs 22%


def test_reference_accounts_read_from_chinese_yes_no_and_raise_influence(tmp_path):
    p = parsing.parse_column(pd.Series(["是", "否", "Y", "no", "√", "×", "", "也许"]), "flag")
    assert p.values.iloc[:6].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert np.isnan(p.values.iloc[6]) and p.missing[6]
    assert p.errors.iloc[7] == "bad_flag"

    orders = tmp_path / "orders.csv"
    orders.write_text("客户编号,下单日期,金额\nA,2024-01-05,100\nB,2024-01-06,100\nC,2024-01-07,100\n",
                      encoding="utf-8")
    customers = tmp_path / "customers.csv"
    customers.write_text("客户编号,标杆客户\nA,是\nB,否\nC,也许\n", encoding="gbk")
    store = Store(":memory:")
    read = {"orders": read_table(orders, table="orders"), "customers": read_table(customers, table="customers")}
    rejects = read["customers"].rejects
    assert rejects["reason_code"].tolist() == ["bad_flag"]
    assert "标杆客户" in rejects["column"].iloc[0] or rejects["column"].iloc[0] == "reference_account"
    store.replace_dataset("d", {"orders": read["orders"].tables["orders"],
                                "customers": read["customers"].tables["customers"]})
    f = compute_features(store, "d").set_index("customer_id")
    assert f.loc["A", "reference_account"] == 1.0 and f.loc["B", "reference_account"] == 0.0
    scores, report = scoring.dimension_scores(f.reset_index())
    assert "reference_account" in report.used_sub_metrics["influence"]


def test_a_dataset_stored_before_reference_accounts_existed_still_scores(tmp_path):
    store = Store(tmp_path / "old.duckdb")
    load_sample(store)
    store.cursor().execute('ALTER TABLE "ds_sample".customers DROP COLUMN reference_account')
    f = compute_features(store, SAMPLE_DATASET)
    assert f["reference_account"].isna().all()
    assert len(f) == 3000
    store.close()


def test_the_sample_has_reference_accounts_and_they_lead_on_influence(sample):
    _, prepared = sample
    f = prepared.features
    assert int((f["reference_account"] == 1).sum()) == 38
    assert prepared.report.used_sub_metrics["influence"] == [
        "referrals", "importance", "reference_account", "industry_share", "region_share"]
    ref = f["reference_account"] == 1
    assert prepared.scores.loc[ref, "influence"].mean() > prepared.scores.loc[~ref, "influence"].mean() + 30


# --------------------------------------------------------------------------- tilt


def test_tilt_points_add_to_the_composite_and_are_capped():
    f = pd.DataFrame({"industry": ["能源", "零售", None, " 能源 "], "region": ["西南", "西南", "华东", "华北"]})
    tilt = Tilt.of([("industry", "能源", 15), ("region", "西南", 10)])
    assert scoring.tilt_points(f, tilt).tolist() == [25.0, 10.0, 0.0, 15.0]
    assert scoring.tilted(np.array([90.0, 3.0]), np.array([25.0, -10.0])).tolist() == [100.0, 0.0]


def test_favouring_an_industry_moves_its_customers_up_the_tiers_and_nothing_else(sample):
    _, prepared = sample
    plain = pipeline.score(prepared, Settings())
    tilt = Tilt.of([("industry", "能源", 15)])
    tilted = pipeline.score(prepared, Settings(tilt=tilt))
    energy = (plain["industry"] == "能源").to_numpy()
    base = plain["composite"].to_numpy()
    assert tilted["composite"].to_numpy()[energy] == pytest.approx(np.minimum(base[energy] + 15, 100))
    assert tilted["composite"].to_numpy()[~energy] == pytest.approx(base[~energy])
    rank = {t: i for i, t in enumerate(tiers.TIERS)}
    before = plain["tier"].map(rank).to_numpy()
    after = tilted["tier"].map(rank).to_numpy()
    assert (after[energy] <= before[energy]).all() and (after[energy] < before[energy]).sum() > 20
    assert int((tilted.loc[energy, "tier"] == "A").sum()) > 3 * int((plain.loc[energy, "tier"] == "A").sum())
    assert (tilted["value_class"] == plain["value_class"]).all()  # classes are cut on money
    # tier codes follow the same tilt (the pages' charts read them)
    codes = pipeline.tier_codes(prepared, Settings(tilt=tilt))
    assert (np.asarray(tiers.TIERS)[codes] == tilted["tier"].to_numpy()).all()


def test_tilt_options_list_attributes_with_a_few_values_most_customers_first(sample):
    _, prepared = sample
    options = pipeline.tilt_options(prepared)
    assert set(options) == {"industry", "region", "city", "size", "channel"}
    assert options["industry"][0] == "制造业" and len(options["industry"]) == 8


def test_tilt_is_checked_parsed_and_carried_in_links():
    with pytest.raises(ValueError, match="industry, region"):
        Tilt.of([("colour", "red", 5)])
    with pytest.raises(ValueError, match="from -50 to 50"):
        Tilt.of([("industry", "能源", 80)])
    with pytest.raises(ValueError, match="attribute:value=points"):
        Tilt.parse("industry能源=15")
    assert Tilt.parse("industry:能源=15; region:西南=10").rules == (("industry", "能源", 15.0),
                                                                 ("region", "西南", 10.0))
    assert Tilt.of([("industry", "能源", 0)]).rules == ()  # zero points is no rule
    config = ViewConfig(settings=Settings(tilt=Tilt.parse("industry:能源=15")))
    params = to_query(config)
    assert json.loads(params["tilt"]) == [["industry", "能源", 15.0]]
    back, ignored = from_query(params)
    assert back.settings.tilt == config.settings.tilt and not ignored
    _, ignored = from_query({**params, "tilt": "[[\"industry\"]]"})
    assert ignored == ["tilt"]
    assert "tilt" not in to_query(ViewConfig())
    assert Settings.from_json(config.settings.to_json()) == config.settings


def test_the_command_line_scores_with_a_tilt_and_refuses_a_bad_one(tmp_path, capsys):
    from valuation.cli.main import main

    db = tmp_path / "cli.duckdb"
    assert main(["score", "--db", str(db), "--json", "--tilt", "industry:能源=15"]) == 0
    tilted = json.loads(capsys.readouterr().out)
    assert main(["score", "--db", str(db), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert tilted["tier"] == plain["tier"]  # tier sizes follow the cut-offs …
    assert main(["score", "--db", str(db), "--tilt", "industry=15"]) == 2
    assert "--tilt" in capsys.readouterr().err


def test_report_configuration_lists_the_tilt():
    from valuation.present.exports import settings_table

    table = settings_table(replace(Settings(), tilt=Tilt.parse("region:西南=10")), "zh")
    row = table[table["section"] == "战略倾斜"]
    assert row["setting"].tolist() == ["地区: 西南"] and row["value"].tolist() == ["+10"]
