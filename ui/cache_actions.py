"""Cached action lists of the actions page (at risk, declining, growable with cross-sell suggestions)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui import cache, state
from valuation.analysis import actions, upsell
from valuation.i18n.format import format_pct, streamlit_money_format
from valuation.i18n.text import t
from valuation.model.settings import Settings


# cache_resource, not cache_data: the growable list of a million customers has hundreds of
# thousands of rows, which would be pickled and copied on every rerun. Callers must not mutate it.
@st.cache_resource(show_spinner=False, max_entries=8)
def _lists(version_key: str, as_of: dt.date | None, value: Settings, lang: str, with_categories: bool,
           _ctx: state.Context, _scored: pd.DataFrame) -> dict[str, pd.DataFrame]:
    categories = cache.customer_categories(_ctx) if with_categories else None
    bought = _purchases(version_key, as_of, _ctx) if with_categories else None
    return actions.action_lists(_scored, categories, lang, churned_days=value.lifecycle.churned_days,
                                purchases=bought)


# cache_resource: a row per customer and category bought (millions for a large dataset), read by the
# action lists and Explore's needs segments alike; callers must not mutate it.
@st.cache_resource(show_spinner=False, max_entries=8)
def _purchases(version_key: str, as_of: dt.date, _ctx: state.Context) -> pd.DataFrame:
    return upsell.category_purchases(_ctx.store, _ctx.dataset, as_of)


def purchases(ctx: state.Context, scored: pd.DataFrame) -> pd.DataFrame | None:
    """``upsell.category_purchases`` up to the as-of date, once per dataset version and as-of date;
    None when the orders have no category column (``scored`` carries the availability)."""
    if not scored.attrs["availability"].category:
        return None
    return _purchases(cache.version(ctx), ctx.as_of, ctx)


def buy_more_rule(ctx: state.Context) -> str:
    """The rule behind the buy-more suggestions in the reader's language, priced per unit when the
    orders have quantities."""
    from ui import cache_explore

    unit = "quantity" in cache_explore.provided_columns(ctx).get("orders", [])
    return t("buymore.rule", ctx.lang, ratio=upsell.CYCLE_RATIO, thin=format_pct(upsell.THIN_MARGIN_RATIO),
             basis=t(f"buymore.basis.{'unit' if unit else 'order'}", ctx.lang))


def buy_more_columns(lang: str) -> dict:
    """Column formats of the buy-more figures of the growable list (money in the dataset's currency, days whole)."""
    money = st.column_config.NumberColumn(format=streamlit_money_format(lang=lang), step=1)  # -¥1,234, -1,234 HKD
    cols = {t(f"export.col.{c}", lang): money for c in upsell.BUY_MORE_FIGURES
            if c not in ("peer_gap_days", "upsell_category")}
    cols[t("export.col.peer_gap_days", lang)] = st.column_config.NumberColumn(format="%.0f")
    return cols


def lists(ctx: state.Context, scored: pd.DataFrame, value: Settings | None = None) -> dict[str, pd.DataFrame]:
    """``actions.action_lists`` of ``scored`` (which must be ``cache.scored(ctx, value)``) in the
    context's language, with the dataset's customer categories when its orders have a category column.

    Built once per dataset version, as-of date, settings and language (a million customers took
    15 s: cross-sell suggestions over every growable customer), then served as it is.
    """
    value = value or cache.settings()
    with_categories = bool(scored.attrs["availability"].category)
    return _lists(cache.version(ctx), ctx.as_of, value, ctx.lang, with_categories, ctx, scored)
