"""Lifecycle: conversion by cohort, where customers are today, activity states, at-risk and declining-value alerts."""

from __future__ import annotations

import streamlit as st

from ui import cache, cache_lifecycle, controls, state, widgets
from valuation.analysis import funnel
from valuation.i18n.format import format_count, format_date
from valuation.i18n.text import t
from valuation.model import lifecycle
from valuation.present import charts, exports
from valuation.present.exports import csv_bytes

ctx = state.context()
lang = ctx.lang
st.title(t("page.lifecycle", lang))
if not widgets.require_orders(ctx):
    st.stop()

with st.expander(t("life.thresholds", lang), expanded=True):
    rules = controls.lifecycle_controls(lang)
scored = cache.scored(ctx)
as_of = scored.attrs["as_of"]

st.subheader(t("funnel.cohort.title", lang))
if not widgets.features_only(ctx, "cohort_funnel"):
    window_col, start_col, end_col = st.columns(3)
    window = int(window_col.number_input(t("funnel.window", lang), min_value=1, max_value=730,
                                         value=funnel.DEFAULT_WINDOW_DAYS, step=15, key="funnel::window",
                                         help=t("funnel.window_help", lang)))
    # The period is keyed by the as-of date (a new date starts from its own default) but not by the
    # window: comparing windows on one period is the point, and open windows are counted apart.
    first, last = funnel.default_period(as_of)
    period_help = t("funnel.period_help", lang, n=funnel.DEFAULT_WINDOW_DAYS)
    start = start_col.date_input(t("funnel.start", lang), value=first, max_value=as_of, help=period_help,
                                 key=f"funnel::start::{as_of}")
    end = end_col.date_input(t("funnel.end", lang), value=last, max_value=as_of, help=period_help,
                             key=f"funnel::end::{as_of}")
    st.caption(t("funnel.cohort.intro", lang, n=window))
    if start > end:
        st.warning(t("funnel.bad_period", lang, as_of=format_date(as_of, lang)))
    else:
        cohort = cache_lifecycle.cohort_funnel(ctx, as_of, start, end, window)
        st.plotly_chart(charts.cohort_funnel(cohort, lang), key="cohort_funnel")
        steps = charts.cohort_table(cohort, lang)
        st.dataframe(steps, hide_index=True, key="cohort_table", column_config=widgets.count_columns(steps))
        opened = int(cohort["open"].sum())
        st.caption(t("funnel.open_note" if opened else "funnel.all_closed", lang, n=format_count(opened),
                     days=window, as_of=format_date(as_of, lang)))
        if not cohort["available"].all():
            st.info(t("funnel.no_created_at", lang))
        elif cohort.attrs["without_created_at"]:
            st.caption(t("funnel.without_created_at", lang, n=format_count(cohort.attrs["without_created_at"])))

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.lifecycle_snapshot(lifecycle.funnel(scored, scored["lifecycle_stage"], rules), lang),
                    key="funnel")
    st.caption(t("funnel.snapshot_help", lang))
with right:
    st.plotly_chart(charts.activity_bars(scored, lang), key="activity")

alerts = lifecycle.at_risk_alerts(scored)
st.subheader(t("life.alerts", lang, n=f"{len(alerts):,}"))
st.caption(t("life.alerts_help", lang, days=rules.at_risk_days, k=rules.gap_multiple))
if alerts.empty:
    st.success(t("life.no_alerts", lang))
else:
    widgets.table(alerts, lang)
    st.download_button(t("common.download_csv", lang), widgets.in_this_run(lambda: csv_bytes(widgets.labelled(alerts, lang))),
                       file_name=exports.download_name("file.at_risk_alerts", lang, ctx.dataset, ctx.as_of),
                       mime="text/csv", key="download_alerts")

declining = lifecycle.declining_valuable(scored)
st.subheader(t("life.declining", lang, n=f"{len(declining):,}"))
st.caption(t("life.declining_help", lang))
if declining.empty:
    st.success(t("life.no_declining", lang))
else:
    widgets.table(declining, lang)
