"""Cached purchase dates and cohort funnels of the lifecycle page, per dataset version and as-of date.

The dates come from one query over the orders (once per dataset version and as-of date); a
funnel for another period or window is computed from them without SQL. Results are shared
between sessions: callers must not mutate them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui import cache, state
from valuation.analysis import funnel


@st.cache_resource(show_spinner=False, max_entries=8)
def _history(version: str, as_of: dt.date, _store, dataset: str) -> pd.DataFrame:
    return funnel.purchase_history(_store, dataset, as_of)


@st.cache_resource(show_spinner=False, max_entries=64)
def _cohort(version: str, as_of: dt.date, start: dt.date, end: dt.date, window_days: int,
            _history: pd.DataFrame) -> pd.DataFrame:
    return funnel.cohort_funnel(_history, start, end, window_days, as_of)


def cohort_funnel(ctx: state.Context, as_of: dt.date, start: dt.date, end: dt.date,
                  window_days: int) -> pd.DataFrame:
    """``funnel.cohort_funnel`` of the current dataset as of ``as_of`` (the query cached, then the funnel)."""
    version = cache.version(ctx)
    history = _history(version, as_of, ctx.store, ctx.dataset)
    return _cohort(version, as_of, start, end, int(window_days), history)
