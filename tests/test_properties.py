"""Properties checked on generated inputs (hypothesis): parsers, scores, composite, tiers, row order.

Example counts are modest so the module runs in a few seconds; each property is stated in its
test's name.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from valuation.data import schema
from valuation.data.features import Availability
from valuation.data.headers import normalise_header
from valuation.data.mapping import candidate_columns, detect_mapping
from valuation.data.parsing import (
    YEAR_RANGE,
    parse_amount,
    parse_amounts,
    parse_date,
    parse_dates,
)
from valuation.model import scoring, tiers
from valuation.model.settings import DIMENSIONS, TierCuts, Weights

FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text built from the characters the parsers look at, so generated values reach their branches.
AMOUNT_CHARS = "0123456789.,-+()（）¥￥$€ 万亿千元RMBCNYUSDeE１２３，．"
DATE_CHARS = "0123456789-/.年月日时分: TAPMJanFebDecZ+"
any_text = st.one_of(st.text(max_size=25), st.text(alphabet=AMOUNT_CHARS, max_size=15),
                     st.text(alphabet=DATE_CHARS, max_size=22))


# ============================================================================ amounts

@SOME
@given(st.lists(any_text, max_size=12))
def test_the_amount_parser_never_fails_and_flags_exactly_what_it_cannot_read(values):
    p = parse_amounts(pd.Series(values, dtype=object))
    v = p.values.to_numpy()
    assert len(v) == len(values)
    bad, missing = p.bad, p.missing
    assert not (bad & missing).any()
    read = ~bad & ~missing
    assert np.isfinite(v[read]).all()            # what it accepts is a finite number
    assert np.isnan(v[bad | missing]).all()      # what it refuses is missing, with a reason
    assert p.errors[bad].isin(["bad_amount"]).all()


def _styles(x: Decimal) -> list[str]:
    plain = f"{abs(x):.2f}"
    grouped = f"{abs(x):,.2f}"
    sign = "-" if x < 0 else ""
    out = [f"{x:.2f}", f"{sign}{grouped}", f"{sign}¥{grouped}", f"¥{sign}{grouped}", f"RMB {sign}{plain}",
           f"{sign}{plain}元", f"{sign}{grouped.replace(',', '，')}".translate(_FULL_WIDTH)]
    if x < 0:
        out += [f"({grouped})", f"（{grouped}）", f"{plain}-", f"(¥{grouped})"]
    return out


_FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


@SOME
@given(st.decimals(min_value=-10**11, max_value=10**11, places=2, allow_nan=False), st.data())
def test_amounts_written_in_any_accepted_style_read_back_exactly(x, data):
    text = data.draw(st.sampled_from(_styles(x)))
    assert parse_amount(text) == pytest.approx(float(x), rel=1e-12, abs=1e-9), text


@FEW
@given(st.integers(min_value=-99999, max_value=99999), st.sampled_from([("万", 10_000), ("亿", 10**8), ("千", 1000)]))
def test_chinese_scale_words_multiply_exactly(n, unit):
    word, scale = unit
    assert parse_amount(f"{n}{word}") == n * scale


# ============================================================================ dates

@SOME
@given(st.lists(any_text, max_size=12))
def test_the_date_parser_never_fails_and_flags_exactly_what_it_cannot_read(values):
    p = parse_dates(pd.Series(values, dtype=object))
    v = p.values
    bad, missing = p.bad, p.missing
    assert not (bad & missing).any()
    read = ~bad & ~missing
    assert v[read].notna().all() and v[bad | missing].isna().all()
    years = v[read].dt.year
    assert ((years >= YEAR_RANGE[0]) & (years <= YEAR_RANGE[1])).all() or not read.any()


DATE_STYLES = {
    "iso": lambda d: d.isoformat(),
    "iso_time": lambda d: f"{d.isoformat()}T13:45:00+08:00",
    "slashes": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dots": lambda d: f"{d.year}.{d.month}.{d.day}",
    "compact": lambda d: d.strftime("%Y%m%d"),
    "chinese": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "chinese_time": lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日 14:30",
    "day_month_name": lambda d: d.strftime("%d-%b-%Y"),
    "month_name_day": lambda d: d.strftime("%b %d, %Y"),
}


@SOME
@given(st.dates(min_value=dt.date(*YEAR_RANGE[:1], 1, 1), max_value=dt.date(YEAR_RANGE[1], 12, 31)),
       st.sampled_from(sorted(DATE_STYLES)))
def test_dates_written_in_any_accepted_style_read_back_as_the_same_day(day, style):
    text = DATE_STYLES[style](day)
    assert parse_date(text).date() == day, text


@FEW
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), st.booleans())
def test_day_month_order_given_for_the_column_reads_back_the_same_day(day, dayfirst):
    text = f"{day.day}/{day.month}/{day.year}" if dayfirst else f"{day.month}/{day.day}/{day.year}"
    assert parse_date(text, dayfirst=dayfirst).date() == day


@FEW
@given(st.dates(min_value=dt.date(1927, 5, 18), max_value=dt.date(2099, 12, 31)))
def test_excel_serial_numbers_read_back_as_the_same_day(day):
    serial = (day - dt.date(1899, 12, 30)).days
    assert parse_date(str(serial)).date() == day


# ============================================================================ column names

@SOME
@given(st.text(max_size=30))
def test_header_normalisation_never_fails_and_is_idempotent(header):
    once = normalise_header(header)
    assert normalise_header(once) == once


def _decorate(text: str, how: str) -> str:
    if how == "upper":
        return text.upper()
    if how == "padded":
        return f"  {text} \t"
    if how == "unit":
        return f"{text}（元）"
    if how == "bracket":
        return f"{text} [CNY]"
    if how == "underscores":
        return text.replace(" ", "_")
    if how == "full_width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if how == "starred":
        return f"*{text}:"
    return text


SYNONYMS = sorted({(table, col.name, s) for table in schema.TABLES for col in candidate_columns(table)
                   for s in (*col.synonyms, col.name)})


@SOME
@given(st.sampled_from(SYNONYMS), st.sampled_from(["plain", "upper", "padded", "unit", "bracket",
                                                   "underscores", "full_width", "starred"]))
def test_every_header_spelling_round_trips_to_a_column_that_has_it(entry, how):
    table, column, synonym = entry
    header = _decorate(synonym, how)
    assert normalise_header(header) == normalise_header(synonym)
    mapped = detect_mapping([header], table)
    assert len(mapped) == 1
    (canon, got), = mapped.items()
    assert got == header
    target = next(c for c in candidate_columns(table) if c.name == canon)
    names = {normalise_header(s) for s in (*target.synonyms, target.name)}
    assert normalise_header(synonym) in names
    if normalise_header(synonym) == normalise_header(column):
        assert canon == column  # the exact canonical name always maps to its own column


# ============================================================================ scores, composite, tiers

maybe = st.one_of(st.none(), st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))


@st.composite
def feature_frames(draw):
    n = draw(st.integers(min_value=1, max_value=30))
    columns = sorted({m for metrics in scoring.SUB_METRICS.values() for m, _, _ in metrics}
                     | {"revenue_12m", "overdue_amount", "invoices", "satisfaction",
                        "avg_service_satisfaction", "days_since_last_order"})
    data = {c: [np.nan if v is None else v for v in draw(st.lists(maybe, min_size=n, max_size=n))]
            for c in columns}
    frame = pd.DataFrame(data)
    frame["invoices"] = frame["invoices"].abs().fillna(0)
    frame["overdue_amount"] = frame["overdue_amount"].abs().fillna(0)
    frame["revenue_12m"] = frame["revenue_12m"].fillna(0)
    frame["customer_id"] = [f"C{i:03d}" for i in range(n)]
    frame["has_orders"] = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return frame


ALL_DATA = Availability(cost=True, payments=True, service=True, wallet=True, category=True,
                        influence=True, satisfaction=True)
weights_st = st.builds(Weights, **{d: st.floats(min_value=0, max_value=100) for d in DIMENSIONS + ("influence",)})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feature_frames(), weights_st)
def test_every_score_and_the_composite_stay_within_0_and_100(features, weights):
    scores, _ = scoring.dimension_scores(features, ALL_DATA)
    values = scores.to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all() and (values <= 100).all()
    composite = scoring.composite(scores, weights)
    assert composite.between(-1e-9, 100 + 1e-9).all()


score_frames = st.integers(min_value=1, max_value=25).flatmap(lambda n: st.fixed_dictionaries(
    {d: st.lists(st.floats(min_value=0, max_value=100), min_size=n, max_size=n) for d in DIMENSIONS}))


@SOME
@given(score_frames, weights_st, st.sampled_from(DIMENSIONS), st.floats(min_value=0.001, max_value=100), st.data())
def test_the_composite_never_falls_when_a_weighted_dimension_rises(scores, weights, dim, rise, data):
    frame = pd.DataFrame(scores)
    who = data.draw(st.integers(min_value=0, max_value=len(frame) - 1))
    before = scoring.composite(frame, weights).iloc[who]
    higher = frame.copy()
    higher.loc[who, dim] = min(100.0, higher.loc[who, dim] + rise)
    after = scoring.composite(higher, weights).iloc[who]
    assert after >= before - 1e-9
    share = getattr(weights, dim) / sum(getattr(weights, d) for d in DIMENSIONS) if getattr(weights, dim) else 0
    step = higher.loc[who, dim] - frame.loc[who, dim]
    if share * step > 1e-6:  # a dimension that counts, and a rise that is more than float noise
        assert after - before == pytest.approx(share * step, rel=1e-6, abs=1e-9)


cuts_st = st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)).filter(lambda t: sum(t) <= 1).map(
    lambda t: TierCuts(*t))


@SOME
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(-1e6, 1e6), st.booleans()), min_size=1, max_size=60),
       cuts_st)
def test_tier_sizes_follow_the_cut_offs(rows, cuts):
    composite = pd.Series([r[0] for r in rows])
    profit = pd.Series([r[1] for r in rows])
    has = pd.Series([r[2] for r in rows])
    tier = tiers.assign_tiers(composite, profit, has, cuts, pd.Series([f"C{i}" for i in range(len(rows))]))
    ranked = has & (profit >= 0)
    n = int(ranked.sum())
    counts = tier.value_counts()
    bounds = np.ceil(np.round(np.cumsum([cuts.a, cuts.b, cuts.c]) * n, 6)).astype(int)
    assert counts.get("A", 0) == bounds[0]
    assert counts.get("A", 0) + counts.get("B", 0) == bounds[1]
    assert counts.get("A", 0) + counts.get("B", 0) + counts.get("C", 0) == bounds[2]
    assert counts.get("D", 0) == n - bounds[2]
    assert counts.get("below_zero", 0) == int((has & (profit < 0)).sum())
    assert counts.get("prospect", 0) == int((~has).sum())
    order = ["A", "B", "C", "D"]
    for upper, lower in zip(order, order[1:]):  # every A scores at least every B, and so on
        if (tier == upper).any() and (tier == lower).any():
            assert composite[tier == upper].min() >= composite[tier == lower].max()


@pytest.fixture(scope="module")
def sample_features(tmp_path_factory):
    """Features (with CLV) of the bundled sample, computed once."""
    from valuation.data.features import compute_features
    from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
    from valuation.model import pipeline

    store = Store(tmp_path_factory.mktemp("props") / "p.duckdb")
    ensure_sample(store)
    raw = pipeline.add_customer_metrics(compute_features(store, SAMPLE_DATASET),
                                        store.customer_metrics(SAMPLE_DATASET))
    store.close()
    return pipeline.prepare_features(raw), raw


def _tiers_of(features: pd.DataFrame, weights: Weights) -> pd.Series:
    scores, _ = scoring.dimension_scores(features, features.attrs.get("availability"))
    composite = scoring.composite(scores, weights)
    tier = tiers.assign_tiers(composite, features["net_profit_12m"], features["has_orders"].astype(bool),
                              TierCuts(), features["customer_id"])
    return pd.Series(tier.to_numpy(), index=features["customer_id"].to_numpy()).sort_index()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1), weights_st)
def test_tiers_do_not_depend_on_row_order(sample_features, seed, weights):
    prepared, _ = sample_features
    features = prepared.features
    assume(sum(weights.as_dict().values()) > 0)
    shuffled = features.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    shuffled.attrs.update(features.attrs)
    pd.testing.assert_series_equal(_tiers_of(shuffled, weights), _tiers_of(features, weights))


def test_the_whole_pipeline_gives_the_same_tiers_whatever_the_row_order(sample_features):
    from valuation.model import pipeline

    prepared, raw = sample_features
    base = pipeline.score(prepared).set_index("customer_id")["tier"].sort_index()
    shuffled = raw.sample(frac=1.0, random_state=11).reset_index(drop=True)
    shuffled.attrs.update(raw.attrs)
    again = pipeline.score(pipeline.prepare_features(shuffled)).set_index("customer_id")["tier"].sort_index()
    pd.testing.assert_series_equal(again, base)
