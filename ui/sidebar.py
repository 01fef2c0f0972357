"""The shared sidebar: language, dataset and as-of date, the same on every page."""

from __future__ import annotations

import streamlit as st

from ui import share, state
from ui.safe import md
from valuation.i18n.format import format_date
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
    shared = state.shared_store()
    options = [state.ref(state.DB, n) for n in shared.datasets()]
    options += [state.ref(state.SESSION, n) for n in state.session_store().datasets()]
    if not options:  # a read-only file without any dataset (the sample cannot be built into it)
        st.warning(t("sidebar.no_datasets", lang))
        st.stop()
    pending = st.session_state.pop(state.PENDING_DATASET_KEY, None)
    if pending in options:
        st.session_state["dataset"] = pending
    if st.session_state.get("dataset") not in options:
        st.session_state["dataset"] = state.ref(state.DB, state.SAMPLE_DATASET) \
            if state.ref(state.DB, state.SAMPLE_DATASET) in options else options[0]

    def label(value: str) -> str:
        scope, name = state.parse_ref(value)
        return t("sidebar.session_only", lang, name=name) if scope == state.SESSION else name

    chosen = st.sidebar.selectbox(t("sidebar.dataset", lang), options, format_func=label,
                                  key="dataset")
    scope, name = state.parse_ref(chosen)
    first, last = state.order_date_range(state.store_for(scope), name)
    as_of = None
    if last is not None:
        share.clamp_as_of(f"as_of::{chosen}", first, last)
        as_of = st.sidebar.date_input(t("sidebar.as_of", lang), value=last, min_value=first,
                                      max_value=last, help=t("sidebar.as_of_help", lang),
                                      key=f"as_of::{chosen}")
        future, latest = state.future_orders(state.store_for(scope), name)
        if future:
            st.sidebar.warning(t("sidebar.future_orders", lang, n=f"{future:,}", latest=format_date(latest, lang)))
    else:
        st.sidebar.warning(t("sidebar.no_orders", lang))
    ctx = state.Context(lang=lang, scope=scope, dataset=name, as_of=as_of,
                        first_order=first, last_order=last)
    state.set_context(ctx)
    share.saved_views_panel(ctx)
    return ctx
