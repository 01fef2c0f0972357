"""The fast paths of scoring give what the plain ones give (no timings here: see bench/)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from valuation import insights, ingest, pipeline, tiers
from valuation.settings import PRESETS, ClassRules, LifecycleRules, Settings, TierCuts, Weights
from valuation.store import Store, load_sample


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
    replace(Settings(), tiers=TierCuts(0.1, 0.2, 0.3), classes=ClassRules(70, 50),
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
    matrix = tiers.migration_from_codes(c0, c1)
    crosstab = pd.crosstab(s0["tier"], s1["tier"]).reindex(index=tiers.TIERS, columns=tiers.TIERS, fill_value=0)
    assert (matrix.to_numpy() == crosstab.to_numpy()).all()
    for direction in ("up", "down", "all"):
        for top in (None, 5, 50):
            pd.testing.assert_frame_equal(
                insights.migration(s0, s1, top=top, direction=direction, codes=(c0, c1)),
                insights.migration(s0, s1, top=top, direction=direction))


def test_the_spelled_out_whitespace_class_is_pythons():
    python = re.compile(r"[\s:：]")
    ours = re.compile(ingest._SPACE_OR_COLON)
    assert all(bool(python.match(chr(c))) == bool(ours.match(chr(c))) for c in range(0x3100))
    ids = pd.Series(["合 计", "Total:", "总计：", "c\u3000", "C0001", None, "x\x0by"], dtype="str")
    arrow = ids.str.contains(ingest._SPACE_OR_COLON, regex=True).fillna(False).to_numpy(dtype=bool)
    assert arrow.tolist() == [True, True, True, True, False, False, True]
