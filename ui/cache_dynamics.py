"""Cached tables of the value-over-time page, per dataset version, snapshot dates and settings.

At a million customers each table is built from several 1.5-million-row scorings (a panel
of every snapshot, a pivot per label kind, a join of two scorings): about ten seconds a
rerun before they were cached. The results are shared between sessions: callers must not
mutate them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui import cache, state
from valuation.analysis import snapshots
from valuation.model.settings import Settings
from valuation.present import charts


def key(ctx: state.Context, dates, value: Settings | None = None) -> tuple:
    """What the snapshot scorings depend on: the dataset version, the dates and the settings."""
    return (cache.version(ctx), tuple(sorted(dates)), value or cache.settings())


# The leading-underscore arguments are not hashed: ``k`` (the key) names what they hold.
@st.cache_resource(show_spinner=False, max_entries=8)
def _known(k: tuple, _scored_at: dict) -> dict:
    return snapshots.known_customers(_scored_at)


def known(k: tuple, scored_at: dict) -> dict:
    """The scorings with only the customers each date knew (``snapshots.known_customers``): on
    orders alone, a customer without an order yet is not a prospect but not yet there. The page
    passes this to every table below."""
    return _known(k, scored_at)


@st.cache_resource(show_spinner=False, max_entries=8)
def panel(k: tuple, _scored_at: dict) -> pd.DataFrame:
    return snapshots.panel(_scored_at)


@st.cache_resource(show_spinner=False, max_entries=16)
def _flows(k: tuple, column: str, _scored_at: dict) -> pd.DataFrame:
    return snapshots.flows(panel(k, _scored_at), column)


def flows(k: tuple, column: str, scored_at: dict) -> pd.DataFrame:
    return _flows(k, column, scored_at)


@st.cache_resource(show_spinner=False, max_entries=16)
def _transition(k: tuple, start: dt.date, end: dt.date, column: str, kind: str,
                _scored_at: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    before = _scored_at[start].set_index("customer_id")[column]
    after = _scored_at[end].set_index("customer_id")[column]
    sankey = charts.migration_matrix(before, after, kind="stage" if kind == "stage" else "tier")
    return snapshots.transition_matrix(panel(k, _scored_at), start, end, column), sankey


def transition(k: tuple, start: dt.date, end: dt.date, column: str, kind: str,
               scored_at: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(transition matrix of customers known at both dates, the Sankey's migration table)."""
    return _transition(k, start, end, column, kind, scored_at)


@st.cache_resource(show_spinner=False, max_entries=8)
def _concentration(k: tuple, _scored_at: dict) -> pd.DataFrame:
    return snapshots.concentration_over_time(_scored_at)


def concentration(k: tuple, scored_at: dict) -> pd.DataFrame:
    return _concentration(k, scored_at)


@st.cache_resource(show_spinner=False, max_entries=8)
def _moves(k: tuple, first: dt.date, last: dt.date, _scored_at: dict) -> pd.DataFrame:
    return snapshots.movers(_scored_at[first], _scored_at[last])


@st.cache_resource(show_spinner=False, max_entries=8)
def _counts(k: tuple, first: dt.date, last: dt.date, _scored_at: dict) -> dict[str, int]:
    return snapshots.tier_change_counts(_scored_at[first], _scored_at[last],
                                        moves=_moves(k, first, last, _scored_at))


def counts(k: tuple, first: dt.date, last: dt.date, scored_at: dict) -> dict[str, int]:
    return _counts(k, first, last, scored_at)


@st.cache_resource(show_spinner=False, max_entries=32)
def _rising_and_falling(k: tuple, first: dt.date, last: dt.date, top: int, buyers_only: bool,
                        _scored_at: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return snapshots.rising_and_falling(_scored_at[first], _scored_at[last], top, buyers_only=buyers_only,
                                        moves=_moves(k, first, last, _scored_at))


def rising_and_falling(k: tuple, first: dt.date, last: dt.date, top: int, buyers_only: bool,
                       scored_at: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _rising_and_falling(k, first, last, top, buyers_only, scored_at)
