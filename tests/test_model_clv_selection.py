"""The purchase model is chosen per dataset by a held-out comparison, and the diagnostics and the
`clv` command use the same models as scoring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.b2b import b2b_history, cut
from valuation.analysis import insights
from valuation.cli.main import main
from valuation.data.features import SELECTION_HOLDOUT_DAYS, compute_features
from valuation.data.store import Store, load_sample
from valuation.model import clv, pipeline

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_store():
    store = Store(":memory:")
    load_sample(store)
    yield store
    store.close()


def b2b_scored(seed: int):
    history = b2b_history(3000, seed=seed)
    store = Store(":memory:")
    store.replace_dataset("b2b", cut(history.tables, history.split), source="b2b")
    prep = pipeline.prepare(store, "b2b", history.split)
    store.close()
    return prep, history


def test_features_carry_each_customers_history_at_the_holdout_start_and_what_followed():
    as_of = dt.date(2026, 6, 30)
    start = as_of - dt.timedelta(days=SELECTION_HOLDOUT_DAYS)
    days = lambda *offsets: [start + dt.timedelta(days=d) for d in offsets]  # noqa: E731
    orders = pd.DataFrame({
        # C1: first day 100 days before the holdout start, two more days before it (one with two
        # orders), two days after it. C2: only after the start. C3: one day before, nothing after.
        "customer_id": ["C1"] * 6 + ["C2", "C3"],
        "order_date": pd.to_datetime(days(-100, -40, -40, 0, 10, 50) + days(20) + days(-5)),
        "amount": [100.0, 50.0, 50.0, 80.0, 120.0, 90.0, 300.0, 40.0],
    })
    store = Store(":memory:")
    store.replace_dataset("h", {"orders": orders}, source="hand")
    f = compute_features(store, "h", as_of).set_index("customer_id")
    assert f.loc["C1", ["frequency_cal", "recency_cal_days", "T_cal_days", "frequency_holdout"]].tolist() == \
        [2.0, 100.0, 100.0, 2.0]  # days -100, -40, 0 (the start itself counts as calibration)
    assert f.loc["C1", "frequency"] == 4
    assert f.loc["C2", ["frequency_cal", "frequency_holdout"]].isna().all()  # not a customer at the start
    assert f.loc["C3", ["frequency_cal", "recency_cal_days", "T_cal_days", "frequency_holdout"]].tolist() == \
        [0.0, 0.0, 5.0, 0.0]


def test_the_model_with_the_smaller_holdout_error_is_chosen_and_both_are_reported():
    rng = np.random.default_rng(3)
    sim = clv.simulate_bgnbd(4000, r=0.5, alpha=6.0, a=0.9, b=1.6, T=52.0, seed=3)
    x, tx, T = (sim[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    holdout = rng.poisson(np.maximum(x, 0.1) / 4)  # any holdout counts: the rule is what is checked
    selection = clv.choose_purchase_model(x, tx, T, holdout, 26.0)
    assert set(selection.candidates) == {"bgnbd", "mbgnbd"}
    rmse = {n: r["rmse"] for n, r in selection.candidates.items()}
    assert selection.chosen == min(rmse, key=rmse.get)
    assert selection.actual == holdout.sum() and selection.customers == len(x)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_b2b_histories_with_one_and_done_accounts_mbgnbd_is_chosen_and_one_time_buyers_can_be_dead(seed):
    prep, history = b2b_scored(seed)
    fit = prep.clv_fit
    assert fit.purchase_model == "mbgnbd" and fit.selection["chosen"] == "mbgnbd"
    cands = fit.selection["candidates"]
    assert cands["mbgnbd"]["rmse"] < cands["bgnbd"]["rmse"]
    f = prep.features[prep.features["has_orders"]].merge(history.truth, on="customer_id")
    once = f[f["frequency"] == 0]
    # BG/NBD says 1.0 for every one of them; the truth is about a fifth alive.
    assert once["p_alive"].mean() < 0.9
    assert abs(once["p_alive"].mean() - once["alive_at_split"].mean()) < 1 - once["alive_at_split"].mean()


def test_features_without_the_calibration_columns_fall_back_to_bgnbd(sample_store):
    features = compute_features(sample_store, "sample")
    legacy = features.drop(columns=["frequency_cal", "recency_cal_days", "T_cal_days", "frequency_holdout"])
    prep = pipeline.prepare_features(legacy)
    assert prep.clv_fit.purchase_model == "bgnbd" and prep.clv_fit.selection is None


@pytest.mark.parametrize("weeks", [13, 26, 52])
def test_diagnostics_fit_the_scorings_model_and_predict_the_samples_holdout_within_20_percent(sample_store, weeks):
    prep = pipeline.prepare(sample_store, "sample")
    orders = insights.transactions(sample_store, "sample", prep.as_of)
    diag = insights.clv_diagnostics(orders, prep.as_of, weeks, prep.clv_fit.purchase_model)
    assert "error" not in diag and diag["purchase_model"] == prep.clv_fit.purchase_model
    assert diag["predicted_total"] == pytest.approx(diag["actual_total"], rel=0.2)


@pytest.mark.parametrize("calibration_end", ["2026-07-01", "2026-04-01", "2025-09-30"])
def test_the_clv_command_fits_the_sample_and_names_the_chosen_model(calibration_end, capsys):
    import json

    code = main(["clv", str(REPO / "sample_data" / "orders.csv"), "--calibration-end", calibration_end,
                 "--holdout-end", "2026-09-30", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    holdout = report["holdout"]
    assert holdout["chosen"] in ("bgnbd", "mbgnbd")
    chosen = holdout["models"][holdout["chosen"]]
    assert chosen["predicted"] == pytest.approx(holdout["actual"], rel=0.2)
    assert report["log_normal_spend"]["new_customer_spend"] > 0
