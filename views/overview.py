"""Overview: KPIs, tier pyramid, value matrix, whale curve and what to do per value class."""

from __future__ import annotations

import streamlit as st

from ui import cache, state, widgets
from valuation.analysis import insights
from valuation.i18n.format import format_money, format_pct
from valuation.i18n.text import t
from valuation.present import charts, charts_matrix, exports

ctx = state.context()
lang = ctx.lang
st.title(t("page.overview", lang))
if not widgets.require_orders(ctx):
    st.stop()

scored = cache.scored(ctx)
settings = cache.settings()
widgets.data_notes(scored, lang)

k = insights.kpis(scored)
cols = st.columns(5)
cols[0].metric(t("kpi.customers", lang), f"{k['customers']:,}",
               help=t("kpi.customers_help", lang, prospects=f"{k['prospects']:,}"))
cols[1].metric(t("kpi.revenue_12m", lang), format_money(k["revenue_12m"], lang))
cols[2].metric(t("kpi.net_profit_12m", lang), format_money(k["net_profit_12m"], lang),
               help=t("kpi.net_profit_help", lang))
cols[3].metric(t("kpi.tier_a_share", lang), format_pct(k["tier_a_profit_share"]),
               help=t("kpi.tier_a_help", lang))
cols[4].metric(t("kpi.value_at_risk", lang), format_money(k["value_at_risk"], lang),
               help=t("kpi.value_at_risk_help", lang, n=f"{k['customers_at_risk']:,}"))

left, right = st.columns(2)
with left:
    st.plotly_chart(cache.kept(ctx, "pyramid", (settings, lang),
                                 lambda: charts.tier_pyramid(scored, lang, codes=cache.tier_codes(ctx, settings))),
                    key="pyramid")
with right:
    st.plotly_chart(cache.kept(ctx, "matrix", (settings.classes, lang),
                                 lambda: charts_matrix.value_matrix(scored, lang, settings.classes)), key="matrix")
st.markdown("  \n".join(exports.class_money_sentences(scored, lang)))

st.subheader(t("overview.whale", lang))
st.plotly_chart(cache.kept(ctx, "whale", (lang,), lambda: charts.whale_curve(scored, lang)), key="whale")

st.subheader(t("overview.actions", lang))
widgets.class_actions(scored, lang)
