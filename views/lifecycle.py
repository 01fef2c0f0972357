"""Lifecycle: the funnel with conversion, activity states, at-risk and declining-value alerts."""

from __future__ import annotations

import streamlit as st

from ui import cache, controls, state, widgets
from valuation.i18n.text import t
from valuation.model import lifecycle
from valuation.present import charts
from valuation.present.exports import csv_bytes

ctx = state.context()
lang = ctx.lang
st.title(t("page.lifecycle", lang))
if not widgets.require_orders(ctx):
    st.stop()

with st.expander(t("life.thresholds", lang), expanded=True):
    rules = controls.lifecycle_controls(lang)
scored = cache.scored(ctx)

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.lifecycle_funnel(lifecycle.funnel(scored, scored["lifecycle_stage"], rules), lang),
                    key="funnel")
with right:
    st.plotly_chart(charts.activity_bars(scored, lang), key="activity")

alerts = lifecycle.at_risk_alerts(scored)
st.subheader(t("life.alerts", lang, n=f"{len(alerts):,}"))
st.caption(t("life.alerts_help", lang, days=rules.at_risk_days, k=rules.gap_multiple))
if alerts.empty:
    st.success(t("life.no_alerts", lang))
else:
    st.dataframe(widgets.labelled(alerts, lang), hide_index=True)
    st.download_button(t("common.download_csv", lang), csv_bytes(alerts), file_name="at_risk.csv",
                       mime="text/csv", key="download_alerts")

declining = lifecycle.declining_valuable(scored)
st.subheader(t("life.declining", lang, n=f"{len(declining):,}"))
st.caption(t("life.declining_help", lang))
if declining.empty:
    st.success(t("life.no_declining", lang))
else:
    st.dataframe(widgets.labelled(declining, lang), hide_index=True)
