"""Cached action lists of the actions page (at risk, declining, growable with cross-sell suggestions)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui import cache, state
from valuation.analysis import actions
from valuation.model.settings import Settings


# cache_resource, not cache_data: the growable list of a million customers has hundreds of
# thousands of rows, which would be pickled and copied on every rerun. Callers must not mutate it.
@st.cache_resource(show_spinner=False, max_entries=8)
def _lists(version_key: str, as_of: dt.date | None, value: Settings, lang: str, with_categories: bool,
           _ctx: state.Context, _scored: pd.DataFrame) -> dict[str, pd.DataFrame]:
    categories = cache.customer_categories(_ctx) if with_categories else None
    return actions.action_lists(_scored, categories, lang, churned_days=value.lifecycle.churned_days)


def lists(ctx: state.Context, scored: pd.DataFrame, value: Settings | None = None) -> dict[str, pd.DataFrame]:
    """``actions.action_lists`` of ``scored`` (which must be ``cache.scored(ctx, value)``) in the
    context's language, with the dataset's customer categories when its orders have a category column.

    Built once per dataset version, as-of date, settings and language (a million customers took
    15 s: cross-sell suggestions over every growable customer), then served as it is.
    """
    value = value or cache.settings()
    with_categories = bool(scored.attrs["availability"].category)
    return _lists(cache.version(ctx), ctx.as_of, value, ctx.lang, with_categories, ctx, scored)
