"""The shared sidebar: language, dataset and as-of date, the same on every page."""

from __future__ import annotations

import streamlit as st

from ui import share, state
from ui.safe import md
from valuation.i18n.format import format_date, set_currency
from valuation.i18n.text import LANG_NAMES, LANGS, lang_from_locale, t


def language() -> str:
    """The language switch; its default follows the browser's locale."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = lang_from_locale(st.context.locale)
    return st.sidebar.radio(t("sidebar.language", st.session_state["lang"]), LANGS,
                            format_func=LANG_NAMES.get, horizontal=True, key="lang")


def render() -> state.Context:
    """Draw the sidebar and return the context for this run."""
    ignored = share.restore_from_url()
    lang = language()
    if ignored:
        st.sidebar.warning(t("view.link_ignored", lang, names=md(", ".join(ignored))))
    # One query per store for the names, versions and currencies (this runs on every rerun).
    catalogs = {state.DB: state.shared_store().catalog(), state.SESSION: state.session_store().catalog()}
    options = [state.ref(scope, n) for scope in (state.DB, state.SESSION) for n in catalogs[scope]]
    if not options:  # a read-only file without any dataset (the sample cannot be built into it)
        st.warning(t("sidebar.no_datasets", lang))
        st.stop()
    pending = st.session_state.pop(state.PENDING_DATASET_KEY, None)
    if pending in options:
        st.session_state["dataset"] = pending
    requested = st.session_state.get("dataset")
    if requested not in options:
        if requested is not None:  # a link (or a refresh) naming data this session cannot open: say so
            st.session_state[share.MISSING_KEY] = requested
        st.session_state["dataset"] = state.ref(state.DB, state.SAMPLE_DATASET) \
            if state.ref(state.DB, state.SAMPLE_DATASET) in options else options[0]

    def label(value: str) -> str:
        scope, name = state.parse_ref(value)
        return t("sidebar.session_only", lang, name=name) if scope == state.SESSION else name

    chosen = st.sidebar.selectbox(t("sidebar.dataset", lang), options, format_func=label,
                                  key="dataset", on_change=share.forget_missing)
    scope, name = state.parse_ref(chosen)
    # Every figure of this run in the dataset's currency: money is formatted all over the pages.
    created, currency = catalogs[scope][name]
    set_currency(currency)
    saved = st.session_state.pop(share.SESSION_SAVED_KEY, None)
    if saved:
        st.sidebar.success(t("sidebar.session_saved", lang, name=md(saved)))
    if scope == state.SESSION:  # the view rests on data nobody else (nor a refresh) can open
        share.session_only_panel(name, lang)
    first, last = state.order_date_range(state.store_for(scope), name, created)
    as_of = None
    if last is not None:
        clamped = share.clamp_as_of(f"as_of::{chosen}", first, last)
        if clamped:
            st.sidebar.warning(t("sidebar.as_of_clamped", lang, asked=format_date(clamped[0], lang),
                                 first=format_date(first, lang), last=format_date(last, lang),
                                 used=format_date(clamped[1], lang)))
        as_of = st.sidebar.date_input(t("sidebar.as_of", lang), value=last, min_value=first,
                                      max_value=last, help=t("sidebar.as_of_help", lang),
                                      key=f"as_of::{chosen}")
        future, latest = state.future_orders(state.store_for(scope), name, created)
        if future:
            st.sidebar.warning(t("sidebar.future_orders", lang, n=f"{future:,}", latest=format_date(latest, lang)))
    else:
        st.sidebar.warning(t("sidebar.no_orders", lang))
    ctx = state.Context(lang=lang, scope=scope, dataset=name, as_of=as_of,
                        first_order=first, last_order=last, currency=currency, stored_at=created)
    state.set_context(ctx)
    share.saved_views_panel(ctx)
    return ctx
