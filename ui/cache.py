"""Cached engine results keyed by dataset, as-of date and settings; the tuned settings of a session."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from ui import state
from ui.safe import md
from valuation.data.store import META
from valuation.i18n.text import t
from valuation.model import persist, pipeline
from valuation.model.settings import ClvSettings, Settings, Weights

SETTINGS_KEY = "settings"


def settings() -> Settings:
    """The session's current settings (weights, cut-offs, thresholds), shared by every page."""
    if SETTINGS_KEY not in st.session_state:
        st.session_state[SETTINGS_KEY] = Settings()
    return st.session_state[SETTINGS_KEY]


def set_settings(value: Settings) -> None:
    st.session_state[SETTINGS_KEY] = value


def update_settings(**parts) -> Settings:
    """Replace parts of the settings (weights=…, tiers=…, lifecycle=…)."""
    value = replace(settings(), **parts)
    set_settings(value)
    return value


def version(ctx: state.Context) -> str:
    """Changes whenever the dataset is replaced, so stale cache entries are never served.

    One small query (a page asks several times per rerun; ``store.info`` would count the
    rows of every table each time).
    """
    key = (ctx.scope, id(ctx.store), ctx.dataset)
    now = time.monotonic()
    seen = state.VERSIONS.get(key)
    if seen is not None and now - seen[0] < state.VERSION_TTL:
        return seen[1]
    row = ctx.store.cursor().execute(f"SELECT created_at FROM {META}.datasets WHERE name = $d",
                                     {"d": ctx.dataset}).fetchone()
    if row is None:
        ctx.store.info(ctx.dataset)  # raises the StoreError of an unknown dataset
    value = f"{ctx.scope}:{id(ctx.store)}:{ctx.dataset}:{pd.Timestamp(row[0]).isoformat()}"
    state.VERSIONS[key] = (now, value)
    return value


# The keys of the two caches every page asks for dozens of times a run are one string each
# (repr of frozen dataclasses: exact and stable): Streamlit hashing the Settings dataclass field
# by field took ~60 ms of every tuning-page rerun at 100k customers (bench/bench_rerun.py).
def _key(*parts) -> str:
    return "|".join(map(repr, parts))


# cache_resource, not cache_data: a prepared dataset of a million customers is returned
# without a pickled copy on every rerun. Callers must not mutate it.
@st.cache_resource(show_spinner=False, max_entries=16)
def _prepared(key: str, _store, _dataset: str, _as_of: dt.date | None, _clv: ClvSettings,
              _custom: tuple[str, ...]) -> pipeline.Prepared:
    # From the file beside the database when any session, process or earlier run prepared it.
    return persist.prepare_dataset(_store, _dataset, _as_of, _clv, _custom, wait=False)


# What this script run already got from the two caches every page asks dozens of times a run
# (~20 calls each on the tuning page): Streamlit's cached-function call inspects the function's
# signature and hashes its arguments every time. One dict per script thread (Streamlit starts a
# thread per run, so it goes with the run); it holds what the caches hold for the same keys.
_RUN = threading.local()


def _in_run(kind: str, key: str, get):
    """``get()`` once per ``(kind, key)`` in this script run."""
    memo = getattr(_RUN, "memo", None)
    if memo is None or len(memo) > 16:  # bounded: fragment reruns do not call new_run()
        memo = _RUN.memo = {}
    if (kind, key) not in memo:
        memo[kind, key] = get()
    return memo[kind, key]


def new_run() -> None:
    """A script run starts (app.py): nothing of an earlier run on this thread is reused."""
    _RUN.memo = {}


def prepared(ctx: state.Context, clv: ClvSettings | None = None,
             custom: tuple[str, ...] = ()) -> pipeline.Prepared:
    """Features, CLV and dimension scores of the current dataset and as-of date (SQL + fit, cached)."""
    clv = clv or settings().clv
    key = _key(version(ctx), ctx.as_of, clv, custom)
    return _in_run("prepared", key, lambda: _prepared_now(ctx, key, clv, custom))


def _prepared_now(ctx: state.Context, key: str, clv: ClvSettings, custom: tuple[str, ...]) -> pipeline.Prepared:
    args = (key, ctx.store, ctx.dataset, ctx.as_of, clv, custom)
    if key in _PREPARED_KEYS:  # computed before (a page asks many times per rerun): no spinner
        return _prepared(*args)
    # The first time: a million customers take several seconds, so say what we wait for
    # (st.spinner shows itself only after half a second).
    with st.spinner(t("cache.preparing", ctx.lang, name=md(ctx.dataset)), show_time=True):
        prep = _prepared(*args)
    if len(_PREPARED_KEYS) > 256:
        _PREPARED_KEYS.clear()
    _PREPARED_KEYS.add(key)
    return prep


_PREPARED_KEYS: set = set()  # keys of _prepared computed in this process (a hint, never a result)


@st.cache_resource(show_spinner=False, max_entries=24)
def _scored(key: str, _value: Settings, _prep: pipeline.Prepared) -> pd.DataFrame:
    return pipeline.score(_prep, _value)


def prepared_for(ctx: state.Context, value: Settings | None = None) -> pipeline.Prepared:
    """:func:`prepared` as scoring with ``value`` (default: the session's settings) reads it: its
    CLV settings and custom dimensions."""
    value = value or settings()
    return prepared(ctx, value.clv, tuple(c for c, _ in value.weights.custom))


def scored(ctx: state.Context, value: Settings | None = None) -> pd.DataFrame:
    """Scored customers for the given (default: the session's) settings; re-scores only, no SQL."""
    value = value or settings()
    prep = prepared_for(ctx, value)
    key = _key(version(ctx), ctx.as_of, value)
    return _in_run("scored", key, lambda: _scored(key, value, prep))


def kept(ctx: state.Context, name: str, inputs: tuple, build, value: Settings | None = None):
    """A chart (or any derived value) of the current dataset and date, built once per ``name`` and
    ``inputs`` (hashable: the settings, the language, a baseline …) and kept with the prepared
    data (32 at most, the least recently used going first: ``Prepared.memo``).

    Building a plotly figure costs tens of milliseconds of validation; a rerun that changes
    none of its inputs (any click elsewhere, another session on the same view) reuses it. The
    value is shared: callers must not change it (``st.plotly_chart`` does not).
    """
    return prepared_for(ctx, value).memo(("kept", name, inputs), build, limit=32)


def composite(ctx: state.Context, value: Settings | None = None) -> np.ndarray:
    """The composite of every customer of :func:`scored` (kept per setting with the prepared data):
    what a slider move needs of the scoring, without assembling the scored frame."""
    value = value or settings()
    return pipeline.composite(prepared_for(ctx, value), value)


def tier_codes(ctx: state.Context, value: Settings | None = None):
    """The tier of every customer of :func:`scored` as codes into ``tiers.TIERS`` (kept per setting
    with the prepared data): counts and migrations for a slider move without regrouping labels."""
    value = value or settings()
    return pipeline.tier_codes(prepared_for(ctx, value), value)


@st.cache_data(show_spinner=False, max_entries=16)
def _clv_diagnostics(version: str, as_of: dt.date | None, weeks: int, purchase_model: str, _store,
                     dataset: str) -> dict:
    from valuation.analysis import insights

    # kept beside the date's prepared file: a restart reads it (insights.kept_clv_diagnostics)
    return insights.kept_clv_diagnostics(_store, dataset, as_of, weeks, purchase_model)


def clv_diagnostics(ctx: state.Context, weeks: int, purchase_model: str = "bgnbd") -> dict:
    """Calibration/holdout fit of the scoring's purchase model on the current dataset (cached)."""
    return _clv_diagnostics(version(ctx), ctx.as_of, weeks, purchase_model, ctx.store, ctx.dataset)


@st.cache_data(show_spinner=False, max_entries=16)
def _customer_categories(version: str, as_of: dt.date | None, _store, dataset: str) -> pd.DataFrame:
    from valuation.analysis import actions

    return actions.customer_categories(_store, dataset, as_of)


def customer_categories(ctx: state.Context) -> pd.DataFrame:
    """(customer_id, category) pairs bought up to the as-of date, for cross-sell suggestions (cached)."""
    return _customer_categories(version(ctx), ctx.as_of, ctx.store, ctx.dataset)


@st.cache_data(show_spinner=False, max_entries=16)
def _overdue_ageing(version: str, as_of: dt.date | None, value: Settings, _store, dataset: str,
                    _scored: pd.DataFrame) -> pd.DataFrame:
    from valuation.analysis import insights

    return insights.overdue_ageing(_store, dataset, as_of, _scored)


def overdue_ageing(ctx: state.Context, scored: pd.DataFrame, value: Settings | None = None) -> pd.DataFrame:
    """Overdue receivables by age and tier (``insights.overdue_ageing``), per dataset, date and settings."""
    return _overdue_ageing(version(ctx), ctx.as_of, value or settings(), ctx.store, ctx.dataset, scored)


# Keyed by one string (_key) like _prepared: asked on every slider move, and Streamlit hashing the
# settings dataclasses field by field cost more than the answer.
@st.cache_resource(show_spinner=False, max_entries=8)
def _evidence(key: str, _as_of: dt.date, _clv: ClvSettings, _custom: tuple[str, ...], _store, _dataset: str):
    from valuation.analysis import evidence

    # wait=False: the past date's prepared file is written in the background, as the shown date's is
    return evidence.build(_store, _dataset, _as_of, _clv, _custom, wait=False)


def evidence(ctx: state.Context, value: Settings | None = None):
    """The dataset scored a year before the as-of date beside what each customer made since
    (one feature query and model fit at the past date, cached); None without that much history."""
    value = value or settings()
    custom = tuple(c for c, _ in value.weights.custom)
    as_of = prepared(ctx, value.clv, custom).as_of
    key = _key(version(ctx), as_of, value.clv, custom)

    def get():
        if key in _EVIDENCE_KEYS:
            return _evidence(key, as_of, value.clv, custom, ctx.store, ctx.dataset)
        with st.spinner(t("cache.evidence", ctx.lang), show_time=True):
            result = _evidence(key, as_of, value.clv, custom, ctx.store, ctx.dataset)
        _EVIDENCE_KEYS.add(key)
        return result
    return _in_run("evidence", key, get)


_EVIDENCE_KEYS: set = set()


@st.cache_resource(show_spinner=False, max_entries=8)
def _learned(key: str, _base: Weights, _evidence):
    from valuation.analysis import evidence

    return evidence.learned_weights(_evidence, _base)


def learned_weights(ctx: state.Context, value: Settings | None = None):
    """The weights that would have predicted last year's outcome best, with their figure (cached)."""
    value = value or settings()
    ev = evidence(ctx, value)
    if ev is None:
        return None
    custom = tuple(c for c, _ in value.weights.custom)
    base = Weights(influence=value.weights.influence, custom=value.weights.custom)
    key = _key(version(ctx), ev.as_of, value.clv, custom, base)
    return _in_run("learned", key, lambda: _learned(key, base, ev))


@st.cache_resource(show_spinner=False, max_entries=8)
def _backtest(version: str, as_of: dt.date, horizon: int, value: Settings, _store, dataset: str):
    from valuation.analysis import backtest

    try:
        return backtest.backtest(_store, dataset, as_of, horizon_months=horizon, settings=value, wait=False)
    except backtest.BacktestError as exc:
        return str(exc)


def backtest(ctx: state.Context, horizon: int, value: Settings | None = None):
    """The backtest of the current dataset and settings (cached): a BacktestResult, or the reason
    there is none (in English: the engine's message)."""
    value = value or settings()
    as_of = prepared_for(ctx, value).as_of
    with st.spinner(t("cache.backtest", ctx.lang, months=horizon), show_time=True):
        return _backtest(version(ctx), as_of, horizon, value, ctx.store, ctx.dataset)
