"""Cached slices and snapshot scorings for the explore and value-over-time pages, and their table display."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from ui import cache, state
from valuation.analysis import explore, needs
from valuation.i18n.format import streamlit_money_format
from valuation.model.settings import Settings
from valuation.present import charts_explore


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
        return of_scored(ctx, scored, "customer_slice", dims, measure, value=value)
    needs_scores = any(d in explore.SCORED_DIMENSIONS for d in dims)
    value = (value or cache.settings()) if needs_scores else None
    frame = _order_slice(version(ctx), ctx.as_of, dims, months, value, ctx)
    return explore.sort_slice(frame, dims, measure)


# Customer-level results of the scored frame (slices, CLV against CAC, top customers): small frames,
# but each took a second or more to compute from a million rows, on every rerun. Cached per dataset
# version, as-of date and settings (the scored frame is a function of the three), and the arguments.
@st.cache_data(show_spinner=False, max_entries=128)
def _of_scored(version_key: str, as_of: dt.date | None, value: Settings, what: str, args: tuple,
               _scored: pd.DataFrame):
    return getattr(explore, what)(_scored, *args)


def of_scored(ctx: state.Context, scored: pd.DataFrame, what: str, *args, value: Settings | None = None):
    """``explore.<what>(scored, *args)``, cached; ``scored`` must be ``cache.scored(ctx, value)``.

    ``what`` is one of customer_slice, clv_vs_cac, clv_cac_overall, clv_cac_missing,
    top_customers, available_dimensions.
    """
    if what not in _OF_SCORED:
        raise ValueError(f"not a cached explore function: {what}")
    value = value or cache.settings()
    return _of_scored(version(ctx), ctx.as_of, value, what, tuple(_hashable(a) for a in args), scored)


_OF_SCORED = ("customer_slice", "clv_vs_cac", "clv_cac_overall", "clv_cac_missing", "top_customers",
              "available_dimensions")


def _hashable(arg):
    if isinstance(arg, dict):  # provided columns: {table: [columns]}
        return {k: list(v) for k, v in arg.items()}
    return tuple(arg) if isinstance(arg, list) else arg


@st.cache_data(show_spinner=False, max_entries=32)
def _category_buyers(version_key: str, as_of: dt.date | None, categories: tuple, months: int | None,
                     _ctx: state.Context) -> set:
    return explore.category_buyers(_ctx.store, _ctx.dataset, as_of, categories, months)


def category_buyers(ctx: state.Context, categories, months: int | None) -> set:
    """``explore.category_buyers`` for the context's dataset and date, once per choice (not per rerun)."""
    return _category_buyers(version(ctx), ctx.as_of, tuple(sorted(map(str, categories))), months, ctx)


@st.cache_data(show_spinner=False, max_entries=64)
def _fastest_growing(version_key: str, as_of: dt.date, value: Settings, months: int, min_base: float, top: int,
                     by: str, _ctx: state.Context, _scored: pd.DataFrame) -> pd.DataFrame:
    return explore.fastest_growing(revenue_change(_ctx, months), _scored, min_base, top, by)


def fastest_growing(ctx: state.Context, scored: pd.DataFrame, months: int, min_base: float, top: int,
                    by: str, value: Settings | None = None) -> pd.DataFrame:
    """``explore.fastest_growing(revenue_change(ctx, months), scored, …)``, cached per dataset version,
    as-of date, settings and arguments; ``scored`` must be ``cache.scored(ctx, value)``."""
    value = value or cache.settings()
    return _fastest_growing(version(ctx), ctx.as_of, value, int(months), float(min_base), int(top), by,
                            ctx, scored)


@st.cache_data(show_spinner=False, max_entries=16)
def _revenue_change(version_key: str, as_of: dt.date, months: int, _ctx: state.Context) -> pd.DataFrame:
    return explore.revenue_change(_ctx.store, _ctx.dataset, as_of, months)


def revenue_change(ctx: state.Context, months: int) -> pd.DataFrame:
    """Each customer's revenue in the last ``months`` months against the ``months`` before (cached SQL)."""
    return _revenue_change(version(ctx), ctx.as_of, int(months), ctx)


# cache_resource: the result holds a row per customer with orders, not copied on every rerun; callers
# must not mutate it.
@st.cache_resource(show_spinner=False, max_entries=16)
def _needs(version_key: str, as_of: dt.date | None, value: Settings, percentile: float, _ctx: state.Context,
           _scored: pd.DataFrame) -> needs.NeedsSegments:
    from ui import cache_actions

    return needs.needs_segments(_scored, cache_actions.purchases(_ctx, _scored), percentile)


def needs_segments(ctx: state.Context, scored: pd.DataFrame, percentile: float,
                   value: Settings | None = None) -> needs.NeedsSegments:
    """``needs.needs_segments`` of ``scored`` (which must be ``cache.scored(ctx, value)``) with the cached
    purchases query, once per dataset version, as-of date, settings and percentile."""
    value = value or cache.settings()
    return _needs(version(ctx), ctx.as_of, value, float(percentile), ctx, scored)


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
    """A slice or list as a table: translated headers and values, money, scores and shares formatted,
    "—" where a value is missing."""
    money = streamlit_money_format(lang=lang)  # whole amounts: "dollar" and "euro" would show cents
    config = {label: st.column_config.NumberColumn(format=fmt, step=1 if fmt == money else None)
              for label, fmt in charts_explore.column_formats(frame, lang).items()}
    st.dataframe(charts_explore.labelled_table(frame, lang), hide_index=True, column_config=config,
                 placeholder="—", **kwargs)
