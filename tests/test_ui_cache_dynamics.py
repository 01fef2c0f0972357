"""The value-over-time page's cached tables equal the direct computation, per dates and settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from ui import cache_dynamics
from valuation.analysis import snapshots
from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
from valuation.model import pipeline
from valuation.model.settings import PRESETS, Settings
from valuation.present import charts

DATES = (dt.date(2025, 9, 30), dt.date(2026, 3, 31), dt.date(2026, 9, 30))


@pytest.fixture(scope="module")
def store():
    s = Store(":memory:")
    ensure_sample(s)
    yield s
    s.close()


def scorings(store, settings, dates=DATES):
    return {d: pipeline.run(store, SAMPLE_DATASET, d, settings) for d in dates}


@pytest.mark.parametrize("preset", ["balanced", "growth_first"])
def test_cached_tables_equal_the_direct_ones_for_each_setting(store, preset):
    settings = replace(Settings(), weights=PRESETS[preset])
    scored_at = scorings(store, settings)
    k = ("v1", DATES, settings)
    first, last = DATES[0], DATES[-1]
    assert cache_dynamics.counts(k, first, last, scored_at) == \
        snapshots.tier_change_counts(scored_at[first], scored_at[last])
    rising, falling = cache_dynamics.rising_and_falling(k, first, last, 15, True, scored_at)
    expected = snapshots.rising_and_falling(scored_at[first], scored_at[last], 15, buyers_only=True)
    pd.testing.assert_frame_equal(rising, expected[0])
    pd.testing.assert_frame_equal(falling, expected[1])
    panel = snapshots.panel(scored_at)
    for column in ("tier", "lifecycle_stage"):
        pd.testing.assert_frame_equal(cache_dynamics.flows(k, column, scored_at), snapshots.flows(panel, column))
    matrix, moved = cache_dynamics.transition(k, DATES[1], last, "tier", "tier", scored_at)
    pd.testing.assert_frame_equal(matrix, snapshots.transition_matrix(panel, DATES[1], last, "tier"))
    before = scored_at[DATES[1]].set_index("customer_id")["tier"]
    after = scored_at[last].set_index("customer_id")["tier"]
    assert charts.migration_sankey(None, None, "en", "tier", table=moved).to_json() == \
        charts.migration_sankey(before, after, "en", "tier").to_json()
    pd.testing.assert_frame_equal(cache_dynamics.concentration(k, scored_at),
                                  snapshots.concentration_over_time(scored_at))


def test_other_dates_or_settings_are_other_entries(store):
    a = scorings(store, Settings())
    two = DATES[1:]
    b = {d: a[d] for d in two}
    growth = replace(Settings(), weights=PRESETS["growth_first"])
    c = scorings(store, growth, two)
    flows_a = cache_dynamics.flows(("v1", DATES, Settings()), "tier", a)
    flows_b = cache_dynamics.flows(("v1", two, Settings()), "tier", b)
    flows_c = cache_dynamics.flows(("v1", two, growth), "tier", c)
    assert flows_a["step"].max() == 1 and flows_b["step"].max() == 0
    pd.testing.assert_frame_equal(flows_c, snapshots.flows(snapshots.panel(c), "tier"))
    assert not flows_b.equals(flows_c)
