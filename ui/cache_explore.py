"""Cached slices and snapshot scorings for the explore and value-over-time pages, and their table display."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from ui import cache, state
from valuation import charts_explore, explore
from valuation.settings import Settings


def version(ctx: state.Context) -> str:
    """The dataset version the engine caches key on (changes whenever the dataset is replaced)."""
    return cache.version(ctx)


@st.cache_data(show_spinner=False, max_entries=64)
def _order_slice(version_key: str, as_of: dt.date, dims: tuple[str, ...], months: int | None,
                 value: Settings | None, _ctx: state.Context) -> pd.DataFrame:
    customer_dims = [d for d in dims if d not in explore.ORDER_DIMENSIONS]
    attrs = cache.scored(_ctx, value)[["customer_id", *customer_dims]] if customer_dims else None
    return explore.order_slice(_ctx.store, _ctx.dataset, dims, as_of, months, attrs)


def slice_table(ctx: state.Context, scored: pd.DataFrame, dims: tuple[str, ...], months: int | None = None,
                measure: str | None = None, value: Settings | None = None) -> pd.DataFrame:
    """A slice by ``dims``: customer-level from ``scored`` (no SQL), order-level through cached SQL.

    The SQL result is cached per dataset version, as-of date, dimensions and window;
    the settings join the key only when a scored dimension (tier, class, segment,
    stage) is sliced, so moving a weight does not invalidate a slice by region × month.
    """
    dims = tuple(dims)
    if not explore.is_order_level(dims):
        return explore.customer_slice(scored, dims, measure)
    needs_scores = any(d in explore.SCORED_DIMENSIONS for d in dims)
    value = (value or cache.settings()) if needs_scores else None
    frame = _order_slice(version(ctx), ctx.as_of, dims, months, value, ctx)
    return explore.sort_slice(frame, dims, measure)


@st.cache_data(show_spinner=False, max_entries=16)
def _revenue_change(version_key: str, as_of: dt.date, months: int, _ctx: state.Context) -> pd.DataFrame:
    return explore.revenue_change(_ctx.store, _ctx.dataset, as_of, months)


def revenue_change(ctx: state.Context, months: int) -> pd.DataFrame:
    """Each customer's revenue in the last ``months`` months against the ``months`` before (cached SQL)."""
    return _revenue_change(version(ctx), ctx.as_of, int(months), ctx)


@st.cache_data(show_spinner=False, max_entries=16)
def _provided(version_key: str, _ctx: state.Context) -> dict[str, list[str]]:
    return _ctx.store.provided_columns(_ctx.dataset)


def provided_columns(ctx: state.Context) -> dict[str, list[str]]:
    """Which canonical columns the dataset's files had (cached per dataset version)."""
    return _provided(version(ctx), ctx)


def snapshot_scores(ctx: state.Context, dates, value: Settings | None = None) -> dict[dt.date, pd.DataFrame]:
    """Scored customers as of each date, with the session's settings.

    Each date goes through :func:`ui.cache.scored` with the context's as-of date
    replaced, so it is cached per dataset, date and settings like every other page.
    """
    value = value or cache.settings()
    return {d: cache.scored(replace(ctx, as_of=d), value) for d in sorted(dates)}


def show_table(frame: pd.DataFrame, lang: str, **kwargs) -> None:
    """A slice or list as a table: translated headers and values, money, scores and shares formatted."""
    config = {label: st.column_config.NumberColumn(format=fmt)
              for label, fmt in charts_explore.column_formats(frame, lang).items()}
    st.dataframe(charts_explore.labelled_table(frame, lang), hide_index=True, column_config=config, **kwargs)
