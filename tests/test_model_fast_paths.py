"""The fast paths of scoring give what the plain ones give (no timings here: see bench/)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest

from valuation.analysis import insights
from valuation.data import threads
from valuation.data.store import Store, load_sample
from valuation.model import pipeline, tiers
from valuation.present import charts, style
from valuation.model.settings import PRESETS, ClassRules, LifecycleRules, Settings, TierCuts, Tilt, Weights


@pytest.fixture(scope="module")
def prepared():
    store = Store(":memory:")
    load_sample(store)
    prep = pipeline.prepare(store, "sample")
    store.close()
    return prep


SETTINGS = [
    Settings(),
    replace(Settings(), weights=PRESETS["growth_first"]),
    replace(Settings(), weights=Weights(current=0, future=0, credit=0, loyalty=0, growth=0)),  # all tied
    replace(Settings(), tiers=TierCuts(0.1, 0.2, 0.3), classes=ClassRules(0.6, 0.3, 0.2),
            lifecycle=LifecycleRules(at_risk_days=60, dormant_days=120, churned_days=300)),
    replace(Settings(), weights=Weights(custom=(("satisfaction", 10.0),))),
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_score_equals_the_step_by_step_scoring(prepared, settings):
    fast = pipeline.score(prepared, settings)
    fast_again = pipeline.score(prepared, settings)  # from the per-setting memo
    plain = pipeline._score_by_columns(prepared, pipeline._with_custom_scores(prepared, settings), settings)
    pd.testing.assert_frame_equal(fast, plain)
    pd.testing.assert_frame_equal(fast_again, plain)
    assert fast.attrs.keys() == plain.attrs.keys()
    codes = pipeline.tier_codes(prepared, settings)
    assert (tiers.TIER_LABELS[codes] == fast["tier"].to_numpy()).all()


def reference_tiers(composite, net, has, cuts, ids):
    """Sort by (composite desc, id asc) and cut: the definition the ranker must meet."""
    tier = pd.Series("prospect", index=composite.index, dtype=object)
    below = has & (net < 0)
    tier[below] = "below_zero"
    ranked = has & ~below
    n = int(ranked.sum())
    if n:
        frame = pd.DataFrame({"s": composite[ranked], "id": ids[ranked].astype(str)})
        order = frame.sort_values(["s", "id"], ascending=[False, True], kind="mergesort").index
        bounds = np.ceil(np.round(np.cumsum([cuts.a, cuts.b, cuts.c]) * n, 6)).astype(int)
        pos = np.arange(n)
        tier[order] = np.select([pos < bounds[0], pos < bounds[1], pos < bounds[2]], ["A", "B", "C"], "D")
    return tier


def test_the_tier_ranker_matches_sorting_with_ties_and_duplicate_ids():
    rng = np.random.default_rng(5)
    for trial in range(200):
        n = int(rng.integers(1, 80))
        values = rng.choice([0.0, 12.5, 50.0, 100.0], n) if trial % 2 else rng.random(n) * 100
        composite = pd.Series(values)
        net = pd.Series(rng.normal(1, 2, n))
        has = pd.Series(rng.random(n) < 0.8)
        ids = pd.Series([f"C{int(x):03d}" for x in rng.integers(0, 50, n)])
        cuts = TierCuts(*sorted(rng.dirichlet([1, 1, 1, 1])[:3].tolist())) if trial % 3 else TierCuts()
        expected = reference_tiers(composite, net, has, cuts, ids)
        assert tiers.assign_tiers(composite, net, has, cuts, ids).equals(expected), trial


def test_chart_data_from_codes_equals_chart_data_from_labels(prepared):
    before, after = Settings(), replace(Settings(), weights=PRESETS["loyalty_first"])
    s0, s1 = pipeline.score(prepared, before), pipeline.score(prepared, after)
    c0, c1 = pipeline.tier_codes(prepared, before), pipeline.tier_codes(prepared, after)
    pd.testing.assert_frame_equal(tiers.concentration_from_codes(c1, s1["revenue_12m"], s1["net_profit_12m"]),
                                  tiers.concentration(s1), check_exact=False, rtol=1e-12)
    # the pyramid's table: from the codes, the same rows and figures as grouping the labels
    pd.testing.assert_frame_equal(style._buyer_concentration(s1, c1), style._buyer_concentration(s1),
                                  check_exact=False, rtol=1e-12, check_dtype=False)
    matrix = tiers.migration_from_codes(c0, c1)
    crosstab = pd.crosstab(s0["tier"], s1["tier"]).reindex(index=tiers.TIERS, columns=tiers.TIERS, fill_value=0)
    assert (matrix.to_numpy() == crosstab.to_numpy()).all()
    f = prepared.features  # what the tuning page passes on a slider move: no scored frame
    composites = (pipeline.composite(prepared, before), pipeline.composite(prepared, after))
    for direction in ("up", "down", "all"):
        for top in (None, 5, 50):
            expected = insights.migration(s0, s1, top=top, direction=direction)
            pd.testing.assert_frame_equal(
                insights.migration(s0, s1, top=top, direction=direction, codes=(c0, c1)), expected)
            pd.testing.assert_frame_equal(insights.migration(f, f, top=top, direction=direction, codes=(c0, c1),
                                                             composites=composites), expected)
    assert charts.tier_pyramid(f, "zh", codes=c1) == charts.tier_pyramid(s1, "zh")


def test_a_movers_driver_is_the_dimension_or_tilt_whose_points_moved_most(prepared):
    """Per dimension, points = w·s / Σw before and after; the tilt's points are what the composite
    holds beyond them. The driver shown is the largest change, signed, checked row by row."""
    industry = prepared.features["industry"].dropna().astype(str).mode().iloc[0]
    before = Settings()
    after = replace(Settings(), weights=PRESETS["loyalty_first"], tilt=Tilt.of([("industry", industry, 12)]))
    c0, c1 = pipeline.composite(prepared, before), pipeline.composite(prepared, after)
    rows = np.flatnonzero(np.abs(c1 - c0) > 1e-9)[:200]
    drivers, points = insights.move_drivers(prepared.scores, rows, before.weights, after.weights, c0[rows], c1[rows])
    assert len(rows) == 200 and "tilt" in set(drivers) and "loyalty" in set(drivers)
    dims = list(prepared.scores.columns)
    for i, row in enumerate(rows):
        moved = {}
        for weights, sign, composite in ((before.weights, -1, c0[row]), (after.weights, 1, c1[row])):
            total = sum(weights.as_dict()[d] for d in dims)
            mine = {d: weights.as_dict()[d] * prepared.scores[d].iloc[row] / total for d in dims}
            mine["tilt"] = composite - sum(mine.values())
            for d, value in mine.items():
                moved[d] = moved.get(d, 0.0) + sign * value
        largest = max(moved, key=lambda d: abs(moved[d]))
        assert drivers[i] == largest and points[i] == pytest.approx(moved[largest], abs=1e-9), row


def test_totals_labels_with_any_whitespace_or_colon_are_found_by_the_arrow_pass():
    from valuation.data.headers import totals_labels

    ids = pd.Series(["合 计", "Total:", "总计：", "合\u3000计", "\t小计\n", "C0001", None, "合计科技"], dtype="str")
    assert totals_labels(ids).tolist() == [True, True, True, True, True, False, False, False]


# --------------------------------------------------------------------------- prepare and first score
# The vectorised paths of prepare (CLV per (x, T) pair, ranks without pandas) and of the first
# score (labels from codes) against the straightforward computation they replace.

from valuation.data import sample
from valuation.model import clv, lifecycle, scoring  # noqa: E402
from valuation.model.clv import purchase  # noqa: E402
from valuation.model.settings import ClvSettings  # noqa: E402


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated dataset above the size where CLV switches to distinct (x, T) pairs."""
    folder = tmp_path_factory.mktemp("fast_sample")
    sample.generate(folder, customers=6000, prospects=2000, seed=11)
    dates = {"orders": ["order_date"], "customers": ["created_at"],
             "payments": ["invoice_date", "due_date", "paid_date"], "service": ["date"]}
    tables = {name: pd.read_csv(folder / f"{name}.csv", parse_dates=cols, dtype={"customer_id": str})
              for name, cols in dates.items()}
    store = Store(":memory:")
    store.replace_dataset("gen", tables)
    prep = pipeline.prepare(store, "gen")
    store.close()
    assert prep.clv_fit.method == "model" and int(prep.features["has_orders"].sum()) > purchase._PAIRS_FROM
    return prep


def _models(prep):
    fit = prep.clv_fit
    params = [fit.purchase[k] for k in ("r", "alpha", "a", "b")]
    bg = clv.BetaGeoModel.from_params(*params)  # the identities below hold for any parameters
    gg = clv.GammaGammaModel.from_params(6.25, 3.74, 15.44)  # any spend model: the purchase sum is under test
    return bg, gg, clv.PURCHASE_MODELS[fit.purchase_model].from_params(*params)


def _histories(prep):
    f = prep.features[prep.features["has_orders"]]
    return (f["frequency"].to_numpy(dtype=float), f["recency_days"].to_numpy(dtype=float) / 7,
            f["T_days"].to_numpy(dtype=float) / 7, f["monetary_value"].to_numpy(dtype=float))


def plain_clv(bg, gg, x, tx, T, m, horizon, monthly_rate, margin):
    """The discounted sum of lifetimes, every customer's forecast from the formulas."""
    r, alpha, a, b = bg._params()
    step = clv.DAYS_PER_MONTH / 7
    alive = np.asarray(bg.probability_alive(x, tx, T))
    total, previous = np.zeros(len(x)), np.zeros(len(x))
    for k in range(1, horizon + 1):
        cumulative = purchase._bgnbd_bracket(np.asarray(k * step), x, T, r, alpha, a, b) * alive
        total += (cumulative - previous) / (1.0 + monthly_rate) ** k
        previous = cumulative
    return total * np.asarray(gg.expected_customer_spend(x, m)) * margin


@pytest.mark.parametrize("horizon, monthly_rate", [(36, 0.008), (5, 0.0), (0, 0.01)])
def test_clv_per_distinct_pair_equals_the_forecast_per_customer(generated, horizon, monthly_rate):
    bg, gg, _ = _models(generated)
    x, tx, T, m = _histories(generated)
    margin = np.linspace(0.1, 0.6, len(x))
    fast = clv.customer_lifetime_value(bg, gg, x, tx, T, m, horizon_months=horizon,
                                       monthly_discount_rate=monthly_rate, margin=margin)
    np.testing.assert_allclose(fast, plain_clv(bg, gg, x, tx, T, m, horizon, monthly_rate, margin),
                               rtol=1e-12, atol=0)
    small = clv.customer_lifetime_value(bg, gg, x[:50], tx[:50], T[:50], m[:50], horizon_months=horizon,
                                        monthly_discount_rate=monthly_rate, margin=margin[:50])
    np.testing.assert_allclose(small, fast[:50], rtol=1e-12, atol=0)  # below the size that groups pairs


def test_expected_purchases_per_distinct_pair_equal_the_formula(generated):
    bg, _, chosen = _models(generated)
    x, tx, T, _ = _histories(generated)
    r, alpha, a, b = bg._params()
    for t in (1.0, 52.18, 400.0):
        plain = purchase._bgnbd_bracket(np.asarray(t), x, T, r, alpha, a, b) * bg.probability_alive(x, tx, T)
        np.testing.assert_allclose(bg.conditional_expected_purchases(t, x, tx, T), plain, rtol=1e-12, atol=0)
    f = generated.features
    has = f["has_orders"].to_numpy()
    np.testing.assert_allclose(f.loc[has, "expected_purchases_12m"],
                               chosen.conditional_expected_purchases(52.18, x, tx, T), rtol=1e-12, atol=0)
    np.testing.assert_allclose(f.loc[has, "p_alive"], chosen.probability_alive(x, tx, T), rtol=1e-12, atol=0)
    assert (f.loc[~has, "clv"] == 0).all() and f.loc[~has, "p_alive"].isna().all()
    assert (f.loc[~has, "expected_purchases_12m"] == 0).all()
    assert list(f.columns[-6:]) == ["clv", "p_alive", "expected_purchases_12m", "expected_order_value",
                                    "actual_value", "wallet_profit_pv"]


def test_formula_clv_columns_without_enough_repeat_buyers(generated):
    f = generated.features
    few = pd.concat([f[f["has_orders"]].head(15), f[~f["has_orders"]].head(10)])
    out, fit = pipeline.add_clv(few, ClvSettings())
    assert fit.method == "formula"
    assert out["p_alive"].isna().all() and (out["expected_purchases_12m"] == 0).all()
    assert (out.loc[~out["has_orders"], "clv"] == 0).all() and out["clv"].dtype == float


def plain_percentile(values, within=None, direction=+1):
    """percentile_score with pandas' rank and label alignment (the definition)."""
    x = pd.to_numeric(values, errors="coerce").astype(float) * direction
    mask = x.notna() if within is None else (x.notna() & within)
    out = pd.Series(np.nan, index=values.index)
    n = int(mask.sum())
    if n == 0:
        return out
    if n == 1:
        out[mask] = 100.0
        return out
    out[mask] = (x[mask].rank(method="average") - 1) / (n - 1) * 100.0
    return out


def rank_cases():
    rng = np.random.default_rng(3)
    n = 5000
    return {
        "continuous": rng.lognormal(size=n),
        "continuous with ties": np.where(np.arange(n) % 7 == 0, rng.choice([-np.inf, -0.0, 0.0, 1.0, np.inf], n),
                                         rng.lognormal(size=n)),
        "money with ties": np.round(rng.normal(100, 50, n), 0) / 4,
        "small whole numbers": rng.integers(0, 30, n).astype(float),
        "wide whole numbers": rng.integers(-10**9, 10**9, n).astype(float),
        "huge whole numbers": 1e17 + rng.integers(0, 5, n) * 16.0,
        "few ratios": rng.integers(0, 7, n) / 7,
        "signed zeros": rng.choice([-0.0, 0.0, 1.0, -1.0], n),
        "infinities": rng.choice([-np.inf, np.inf, 0.5, 2.0, 1e300], n),
        "all equal": np.full(n, 3.25),
        "one": np.array([7.0]),
        "two": np.array([2.0, -1.0]),
        "empty": np.array([], dtype=float),
    }


@pytest.mark.parametrize("case", list(rank_cases()))
def test_average_ranks_equal_pandas_rank(case):
    values = rank_cases()[case]
    expected = pd.Series(values).rank(method="average").to_numpy()
    assert np.array_equal(scoring.average_ranks(values), expected)


@pytest.mark.parametrize("case", list(rank_cases()))
def test_percentile_score_equals_pandas_rank_with_masks_and_directions(case):
    values = rank_cases()[case].copy()
    rng = np.random.default_rng(len(values))
    if len(values) > 2:
        values[rng.random(len(values)) < 0.1] = np.nan
    series = pd.Series(values, index=pd.RangeIndex(len(values)) + 10)
    within = pd.Series(rng.random(len(values)) < 0.7, index=series.index)
    for direction in (+1, -1):
        for mask in (None, within):
            pd.testing.assert_series_equal(scoring.percentile_score(series, mask, direction),
                                           plain_percentile(series, mask, direction))
    shuffled = within.sample(frac=1.0, random_state=1)  # other label order: aligned, as pandas does
    pd.testing.assert_series_equal(scoring.percentile_score(series, shuffled), plain_percentile(series, shuffled))
    ints = pd.Series(rng.integers(0, 9, len(values)), index=series.index)  # int64 column
    pd.testing.assert_series_equal(scoring.percentile_score(ints, within), plain_percentile(ints, within))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("k", [0, 1, 2, 6, 9])
def test_the_composite_sum_without_blas_equals_the_matrix_product(k, order):
    rng = np.random.default_rng(k)
    matrix = np.asarray(rng.random((5000, k)) * 100, order=order)
    weights = rng.random(k) / max(k, 1)
    expected = matrix @ weights if k else np.zeros(5000)
    np.testing.assert_allclose(scoring.weighted_sum(matrix, weights), expected, rtol=1e-13, atol=1e-12)
    assert scoring.weighted_sum(matrix, weights).shape == (5000,)


@pytest.mark.parametrize("k", range(1, 10))
def test_weighted_sums_equal_the_row_sums_of_the_stacked_matrix(k):
    rng = np.random.default_rng(k)
    parts = [np.where(rng.random(20000) < 0.3, np.nan, rng.random(20000) * 100) for _ in range(k)]
    weights = list(rng.random(k))
    stacked, w = np.column_stack(parts), np.array(weights)
    wsum, total = scoring._weighted_sums(parts, weights)
    assert np.array_equal(wsum, (~np.isnan(stacked) * w).sum(axis=1))
    assert np.array_equal(total, np.nansum(np.nan_to_num(stacked) * w, axis=1))


def plain_dimension_scores(features, availability):
    """dimension_scores as first written: pandas ranks, a stacked matrix per dimension."""
    f = scoring.prepare_metrics(features)
    orders_mask = f["has_orders"].astype(bool)
    scores = pd.DataFrame(index=f.index)
    for dim, metrics in scoring.SUB_METRICS.items():
        parts, weights = [], []
        for metric, weight, direction in metrics:
            if not scoring._metric_available(metric, availability, f) and metric in scoring.FALLBACK:
                metric, direction = scoring.FALLBACK[metric]
            if not scoring._metric_available(metric, availability, f):
                continue
            within = orders_mask if dim in scoring.ZERO_WITHOUT_ORDERS or metric == "revenue_trend" else None
            parts.append(plain_percentile(f[metric], within, direction))
            weights.append(weight)
        if not parts:
            continue
        stacked = np.column_stack([p.to_numpy() for p in parts])
        w = np.array(weights)
        wsum = (~np.isnan(stacked) * w).sum(axis=1)
        value = np.where(wsum > 0, np.nansum(np.nan_to_num(stacked) * w, axis=1)
                         / np.where(wsum > 0, wsum, 1), scoring.NEUTRAL)
        if dim in scoring.ZERO_WITHOUT_ORDERS:
            value = np.where(orders_mask, value, 0.0)
        scores[dim] = np.clip(value, 0.0, 100.0)
    return scores


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("data", ["generated", "prepared"])
def test_dimension_scores_equal_the_plain_computation(data, workers, request, monkeypatch):
    monkeypatch.setattr(threads, "workers", lambda: workers)  # inline, and more threads than cores
    prep = request.getfixturevalue(data)
    fast, _ = scoring.dimension_scores(prep.features, prep.availability)
    pd.testing.assert_frame_equal(fast, plain_dimension_scores(prep.features, prep.availability),
                                  check_exact=False, rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(prep.scores, fast)


def plain_quintile(values, within):
    out = pd.Series(0, index=values.index, dtype="int64")
    if int(within.sum()):
        out[within] = np.clip(np.ceil(values[within].rank(method="average", pct=True) * 5), 1, 5).astype("int64")
    return out


def test_rfm_scores_and_segments_equal_the_pandas_ranks_and_string_map(generated):
    f = generated.features
    has = f["has_orders"].astype(bool)
    fast = tiers.rfm_scores(f["days_since_last_order"], f["purchase_days"], f["revenue_total"], has)
    plain = pd.DataFrame({"r_score": plain_quintile(-f["days_since_last_order"], has),
                          "f_score": plain_quintile(f["purchase_days"], has),
                          "m_score": plain_quintile(f["revenue_total"], has)})
    pd.testing.assert_frame_equal(fast, plain)
    rng = np.random.default_rng(2)
    r, fs, m = (pd.Series(rng.integers(0, 6, 3000)) for _ in range(3))
    fm = np.floor((fs + m) / 2 + 0.5).astype(int)
    conditions = [r == 0, ((r == 5) & (fm >= 4)) | ((r == 4) & (fm == 5)), (r >= 3) & (fm >= 4),
                  (r >= 4) & (fm >= 2) & (fm <= 3), (r == 5) & (fm == 1), (r == 4) & (fm == 1),
                  (r == 3) & (fm == 3), (r == 3) & (fm <= 2), (r <= 2) & (fm == 5), (r <= 2) & (fm >= 3),
                  (r == 2) & (fm <= 2)]
    names = ["no_orders", "champions", "loyal", "potential_loyalist", "new", "promising",
             "need_attention", "about_to_sleep", "cant_lose", "at_risk", "hibernating"]
    expected = pd.Series(np.select(conditions, names, default="lost"), index=r.index)
    pd.testing.assert_series_equal(tiers.rfm_segment(r, fs, m), expected)
    assert set(expected) == set(tiers.RFM_SEGMENTS)
    empty = pd.Series([], dtype="int64")
    pd.testing.assert_series_equal(tiers.rfm_segment(empty, empty, empty),
                                   pd.Series(np.select([empty == 0], ["no_orders"], "lost"), index=empty.index))
    ties = pd.Series([0.0, -0.0, 3.0, 3.0, np.inf, 1.0])
    mask = pd.Series([True] * 6)
    pd.testing.assert_series_equal(tiers.quintile(ties, mask), plain_quintile(ties, mask))


def test_quintiles_equal_pandas_ranks_for_every_kind_of_column():
    rng = np.random.default_rng(6)
    columns = [pd.Series(rng.integers(0, 5, 500)), pd.Series(rng.random(500)), pd.Series(rng.random(500) < 0.5),
               pd.Series(rng.integers(0, 5, 500)).astype("Int64"), pd.Series(2**60 + rng.integers(0, 9, 500))]
    within = pd.Series(rng.random(500) < 0.6)
    for values in columns:
        for mask in (within, within.sample(frac=1.0, random_state=2), pd.Series(False, index=within.index)):
            pd.testing.assert_series_equal(tiers.quintile(values, mask), plain_quintile(values, mask))


def plain_value_classes(f: pd.DataFrame, strategic: pd.Series, rules: ClassRules) -> pd.Series:
    """The class rule written out with pandas sorts and cumulative sums, one class at a time."""
    has = f["has_orders"].astype(bool)
    below = has & (f["net_profit_12m"] < 0)
    out = pd.Series("maintain", index=f.index, dtype=object)
    out[~has] = "prospect"
    out[below] = "below_zero"
    total = f.loc[has, "actual_value"].clip(lower=0).sum()
    ranked = f.loc[has & ~below & (f["actual_value"] > 0), "actual_value"].sort_values(ascending=False,
                                                                                         kind="stable")
    k = int((ranked.cumsum() < rules.most_valuable_share * total * (1 - 1e-12)).sum()) + 1
    out[ranked.index[:k]] = "most_valuable"
    others = has & ~below & (out == "maintain")
    money = strategic.fillna(0.0)
    ranked = money[others & (money > 0)].sort_values(ascending=False, kind="stable")
    k = int((ranked.cumsum() < rules.growable_share * money[others].clip(lower=0).sum() * (1 - 1e-12)).sum()) + 1
    out[ranked.index[:k]] = "growable"
    return out


def test_value_classes_equal_the_plain_sorted_rule(generated):
    f = generated.features
    has = f["has_orders"].astype(bool)
    for rules in (ClassRules(), ClassRules(0.6, 0.3, 0.2), ClassRules(1.0, 1.0, 1.0), ClassRules(0.01, 0.01)):
        strategic = tiers.strategic_value(f["wallet_profit_pv"], rules)
        got = tiers.assign_value_class(f["actual_value"], strategic, f["net_profit_12m"], has, rules)
        pd.testing.assert_series_equal(got.astype(object), plain_value_classes(f, strategic, rules),
                                       check_names=False)


RULES = [LifecycleRules(), LifecycleRules(at_risk_days=60, dormant_days=120, churned_days=300),
         LifecycleRules(new_days=400, loyal_min_tenure_days=100, loyal_min_orders_12m=1)]


@pytest.mark.parametrize("rules", RULES)
def test_lifecycle_stages_equal_the_per_customer_stages(generated, rules):
    f = generated.features.copy()
    dirty = np.array([" Target", "OPPORTUNITY ", None, "", "lead", "prospect", "target\t", "Prospect"],
                     dtype=object)
    no_orders = ~f["has_orders"].to_numpy()
    f.loc[no_orders, "pipeline_stage"] = dirty[np.arange(int(no_orders.sum())) % len(dirty)]
    for frame in (f, generated.features, f.head(0)):
        pd.testing.assert_series_equal(lifecycle.lifecycle_stage(frame, rules),
                                       lifecycle._lifecycle_stage_plain(frame, rules))
    stages = lifecycle.lifecycle_stage(f, rules)
    assert set(stages[no_orders]) == {"target", "prospect", "opportunity"}
    as_object = f.assign(pipeline_stage=f["pipeline_stage"].astype(object))
    pd.testing.assert_series_equal(lifecycle.lifecycle_stage(as_object, rules), stages)


def plain_loss_drivers(f):
    revenue = f["revenue_12m"].clip(lower=0)
    rate = np.where(revenue > 0, f["gross_profit_12m"] / revenue.where(revenue > 0, 1.0), np.nan)
    median_rate = np.nanmedian(rate) if np.isfinite(rate).any() else np.nan
    thin = np.where(np.isfinite(rate) & (rate < median_rate), (median_rate - rate) * revenue, 0.0)
    out = pd.DataFrame({"cost_to_serve": f["service_cost_12m"].to_numpy(), "thin_margin": thin,
                        "unpaid_invoices": f["bad_debt_12m"].to_numpy()}, index=f.index)
    main = out.idxmax(axis=1).where(out.max(axis=1) > 0, "no_revenue")
    out["main_loss_driver"] = main.where(f["net_profit_12m"] < 0, "")
    return out


def test_loss_drivers_equal_idxmax_with_ties_and_gaps(generated):
    f = generated.features.copy()
    rng = np.random.default_rng(4)
    n = len(f)
    f["service_cost_12m"] = np.where(rng.random(n) < 0.1, np.nan, f["service_cost_12m"])
    tie = rng.random(n) < 0.1
    f.loc[tie, "bad_debt_12m"] = f.loc[tie, "service_cost_12m"]
    f["net_profit_12m"] = np.where(rng.random(n) < 0.4, -np.abs(f["net_profit_12m"]) - 1, f["net_profit_12m"])
    for frame in (f, generated.features, f.head(0)):
        pd.testing.assert_frame_equal(scoring.loss_drivers(frame), plain_loss_drivers(frame))
    assert set(scoring.loss_drivers(f)["main_loss_driver"]) >= {"", "cost_to_serve", "thin_margin"}


def test_the_tier_ranker_sorts_str_and_object_ids_alike():
    rng = np.random.default_rng(8)
    ids = [f"C{int(x):04d}" if x % 7 else f"客户{int(x)}" for x in rng.integers(0, 500, 3000)]
    composite = pd.Series(rng.choice([10.0, 20.0, 30.0], 3000))
    net, has = pd.Series(rng.normal(1, 1, 3000)), pd.Series(rng.random(3000) < 0.9)
    as_str = tiers.assign_tiers(composite, net, has, TierCuts(), pd.Series(ids, dtype="str"))
    as_object = tiers.assign_tiers(composite, net, has, TierCuts(), pd.Series(ids, dtype=object))
    pd.testing.assert_series_equal(as_str, as_object)
    assert as_str.equals(reference_tiers(composite, net, has, TierCuts(), pd.Series(ids, dtype=object)))


def test_labels_from_codes_equal_an_array_of_labels():
    codes = np.random.default_rng(0).integers(0, 3, 1000)
    labels = ["a", "bb", "ccc"]
    index = pd.RangeIndex(1000) * 2
    pd.testing.assert_series_equal(scoring.labels_from_codes(labels, codes, index, name="x"),
                                   pd.Series(np.array(labels)[codes], index=index, name="x"))


@pytest.mark.parametrize("n", [1, 7, 50, 400, 5000])
def test_the_first_rows_by_a_score_are_those_of_a_full_stable_sort(n):
    """The customers page shows the best 5,000 of a filter: the same rows, in the same order, as
    sorting them all (ties in row order, missing scores last)."""
    rng = np.random.default_rng(n)
    score = rng.integers(0, 300, 4000).astype(float)  # many ties, also across the n-th row
    score[rng.choice(4000, 300, replace=False)] = np.nan
    frame = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(4000)], "composite": score},
                         index=rng.permutation(4000))
    expected = frame.sort_values("composite", ascending=False, kind="stable").head(n)
    pd.testing.assert_frame_equal(insights.best_first(frame, "composite", n), expected)


def test_the_snapshot_grid_and_concentration_are_those_of_pivot_and_grouping():
    """The value-over-time page's grid of labels per customer and snapshot, and its tier shares
    per snapshot, made from codes: the same as pivoting the panel and grouping the labels."""
    from valuation.analysis import snapshots

    rng = np.random.default_rng(3)
    labels = np.array(list(tiers.TIERS), dtype=object)
    frames = {}
    for k, date in enumerate(pd.to_datetime(["2025-12-31", "2026-03-31", "2026-06-30"]).date):
        n = 600 + 200 * k  # later snapshots know more customers
        tier = labels[rng.integers(0, len(labels), n)]
        if k == 1:
            tier[:5] = None  # a label missing: not yet known on the grid
        frames[date] = pd.DataFrame({"customer_id": [f"C{i:04d}" for i in rng.permutation(n)],
                                     "tier": tier, "lifecycle_stage": "active", "composite": rng.random(n),
                                     "revenue_12m": rng.gamma(1.0, 1000.0, n),
                                     "net_profit_12m": rng.normal(100.0, 300.0, n)})
    panel = snapshots.panel(frames)
    expected = panel.pivot(index="customer_id", columns="snapshot", values="tier").sort_index(axis=1) \
        .fillna(snapshots.ABSENT)
    pd.testing.assert_frame_equal(snapshots.states(panel), expected, check_dtype=False)
    with pytest.raises(ValueError):
        snapshots.states(pd.concat([panel, panel.head(1)]))
    for include_absent in (True, False):  # the flows between snapshots: counted from codes, as grouping the grid
        got = snapshots.flows(panel, "tier", include_absent=include_absent)
        dates = list(expected.columns)
        for step, (a, b) in enumerate(zip(dates[:-1], dates[1:])):
            pair = expected[[a, b]]
            if not include_absent:
                pair = pair[(pair[a] != snapshots.ABSENT) & (pair[b] != snapshots.ABSENT)]
            grouped = pair.groupby([a, b]).size()
            mine = got[got["step"] == step].set_index(["source", "target"])["customers"]
            assert dict(mine) == {k: int(v) for k, v in grouped.items()}
    conc = snapshots.concentration_over_time(frames)
    for date, scored in frames.items():
        buyers = scored[scored["tier"] != "prospect"]
        grouped = tiers.concentration(buyers).set_index("tier")
        got = conc[conc["snapshot"] == pd.Timestamp(date)].set_index("tier")
        assert list(got.index) == list(tiers.PYRAMID) + ["below_zero"]
        for tier_, row in grouped.iterrows():
            assert got.loc[tier_, "customers"] == row["customers"]
            for col in ("revenue_12m", "net_profit_12m", "customer_share", "revenue_share", "profit_share"):
                assert got.loc[tier_, col] == pytest.approx(row[col], rel=1e-12)


def test_a_value_asked_for_on_every_rerun_stays_while_slider_settings_come_and_go(prepared):
    """The memo drops the least recently used key of a kind: a chart every rerun asks for (the value
    classes' money, keyed by the class rules only) is not rebuilt because forty slider settings
    passed through a memo of 32."""
    builds = []
    prepared.memo(("kept", "classes_in_money"), lambda: builds.append(1) or "money", limit=32)
    for step in range(40):
        prepared.memo(("kept", "pyramid", step), lambda: "figure", limit=32)
        assert prepared.memo(("kept", "classes_in_money"), lambda: builds.append(1) or "money", limit=32) == "money"
    assert builds == [1]
    kept = [k for k in prepared.memo_keys() if k[0] == "kept"]
    assert len(kept) == 32 and ("kept", "pyramid", 0) not in kept and ("kept", "pyramid", 39) in kept


def _movers_by_sorting_everyone(before, after, top, direction):
    """The movers list the plain way: every customer in one frame, filtered, sorted by the rule."""
    order = {t: i for i, t in enumerate(tiers.TIERS)}
    frame = pd.DataFrame({
        "customer_id": after["customer_id"].to_numpy(), "name": after["name"].to_numpy(),
        "tier_before": before["tier"].to_numpy(), "tier_after": after["tier"].to_numpy(),
        "composite_before": before["composite"].to_numpy(), "composite_after": after["composite"].to_numpy()})
    frame["score_moved"] = frame["composite_after"] - frame["composite_before"]
    frame["tier_steps"] = frame["tier_after"].map(order) - frame["tier_before"].map(order)
    if direction == "up":
        moved = frame[frame["tier_steps"] < 0].sort_values(["score_moved", "customer_id"], ascending=[False, True],
                                                           kind="stable")
    elif direction == "down":
        moved = frame[frame["tier_steps"] > 0].sort_values(["score_moved", "customer_id"], kind="stable")
    else:
        moved = frame[(frame["tier_steps"] != 0) | (frame["score_moved"].abs() > 1e-9)]
        moved = moved.assign(_t=moved["tier_steps"].abs(), _a=moved["score_moved"].abs()).sort_values(
            ["_t", "_a", "customer_id"], ascending=[False, False, True], kind="stable").drop(columns=["_t", "_a"])
    return (moved if top is None else moved.head(top)).reset_index(drop=True)


@pytest.mark.parametrize("direction", ["up", "down", "all"])
@pytest.mark.parametrize("top", [None, 0, 1, 7, 50])
def test_the_movers_are_those_of_sorting_every_customer(top, direction):
    """Ties on the score moved (whole points), ids listed twice and ids out of order: the list and
    its order are those of filtering and sorting the whole frame."""
    rng = np.random.default_rng(11)
    n = 3000
    ids = np.array([f"C{i:05d}" for i in rng.permutation(n)], dtype=object)
    ids[rng.choice(n, 40, replace=False)] = "C00007"  # one id on many rows
    codes = [rng.choice(len(tiers.TIERS), n) for _ in range(2)]
    before = pd.DataFrame({"customer_id": ids, "name": [f"名{i}" for i in range(n)],
                           "tier": np.array(tiers.TIERS, dtype=object)[codes[0]],
                           "composite": rng.integers(0, 20, n).astype(float)})
    after = before.assign(tier=np.array(tiers.TIERS, dtype=object)[codes[1]],
                          composite=before["composite"] + rng.integers(-3, 4, n))
    expected = _movers_by_sorting_everyone(before, after, top, direction)
    found = insights.migration(before, after, top=top, direction=direction, keep_rows=True,
                               codes=(codes[0].astype(np.int8), codes[1].astype(np.int8)))
    assert found["row"].is_unique and len(found) == len(expected)
    pd.testing.assert_frame_equal(found.drop(columns="row"), expected, check_dtype=False)
    pd.testing.assert_frame_equal(insights.migration(before, after, top=top, direction=direction), expected,
                                  check_dtype=False)


def test_sessions_sharing_the_memo_at_once_neither_fail_nor_overfill_it(prepared):
    """Every session on a server shares a prepared dataset's memo. Four threads hitting, adding and
    evicting keys whose hash and equality run Python code (as the settings' do), switching threads
    as often as CPython allows: no error, at most ``limit`` keys of the kind, and every value read
    back is the one computed for its key."""
    import sys
    import threading

    @dataclass(frozen=True)
    class Key:
        n: int

        def __hash__(self):
            return hash(("key", self.n))

    errors, wrong = [], []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for n in rng.integers(0, 60, 6000):
                if prepared.memo(("stress", Key(int(n))), lambda n=n: int(n) * 10, limit=32) != n * 10:
                    wrong.append(int(n))
        except Exception as exc:  # noqa: BLE001 - what the test looks for
            errors.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads_ = [threading.Thread(target=work, args=(s,)) for s in range(4)]
        for thread in threads_:
            thread.start()
        for thread in threads_:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == [] and wrong == []
    assert len([k for k in prepared.memo_keys() if k[0] == "stress"]) <= 32
