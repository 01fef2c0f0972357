"""Customer lifetime value: the formula calculator, model CLV by tier, and model diagnostics."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from ui import cache, state, widgets
from valuation.i18n.format import format_date, format_money, format_pct, using_currency
from valuation.i18n.text import t
from valuation.model import clv
from valuation.present import charts_clv, tables

ctx = state.context()
lang = ctx.lang
st.title(t("page.clv", lang))

# ---- formula calculator ----------------------------------------------------------
st.subheader(t("clv.formula", lang))
st.caption(t("clv.formula_help", lang))
left, right = st.columns([1, 2])
with left:
    margin = st.number_input(t("clv.margin", lang), 0.0, 1e9, 10_000.0, step=1000.0, key="clv_margin")
    retention = st.slider(t("clv.retention", lang), 0.0, 1.0, 0.80, 0.01, key="clv_retention")
    discount = st.slider(t("clv.discount", lang), 0.0, 0.50, 0.10, 0.01, key="clv_discount")
    horizon = st.slider(t("clv.horizon", lang), 1, 20, 5, key="clv_horizon")
    acquisition = st.number_input(t("clv.acquisition", lang), 0.0, 1e9, 5_000.0, step=500.0, key="clv_acq")
table = clv.formula_clv_table(margin, retention, discount, horizon, acquisition)
value = float(clv.formula_clv(margin, retention, discount, horizon, acquisition))
with right:
    st.metric(t("clv.result", lang), format_money(value, lang))
    st.markdown(t("clv.worked", lang, margin=format_money(margin, lang), r=format_pct(retention),
                  d=format_pct(discount), h=horizon, ac=format_money(acquisition, lang),
                  first=format_money(margin * retention / (1 + discount), lang),
                  value=format_money(value, lang)))
    st.plotly_chart(charts_clv.formula_clv_chart(table, lang), key="formula_chart")

# ---- purchase streams: seed 003's car buyer ----------------------------------------
# The seed's example is in yuan (a ¥500,000 car), whatever the dataset's currency.
with using_currency("CNY"):
    st.subheader(t("clv.streams", lang))
    st.caption(t("clv.streams_help", lang))
    COLUMNS = {"name": "clv.stream.name", "revenue": "clv.stream.revenue", "profit": "clv.stream.profit",
               "every_years": "clv.stream.every", "first_year": "clv.stream.first", "last_year": "clv.stream.last"}
    base = pd.DataFrame([vars(s) for s in clv.CAR_BUYER])[list(COLUMNS)]
    base["name"] = [t(f"clv.car.{key}", lang) for key in base["name"]]  # the seed's example in the reader's language
    edited = st.data_editor(base.rename(columns={k: t(v, lang) for k, v in COLUMNS.items()}), num_rows="dynamic",
                            hide_index=True, key="clv_streams",
                            column_config={t("clv.stream.revenue", lang): st.column_config.NumberColumn(min_value=0, format="yen"),
                                           t("clv.stream.profit", lang): st.column_config.NumberColumn(format="yen"),
                                           t("clv.stream.every", lang): st.column_config.NumberColumn(min_value=1, max_value=50, step=1),
                                           t("clv.stream.first", lang): st.column_config.NumberColumn(min_value=1, max_value=100, step=1),
                                           t("clv.stream.last", lang): st.column_config.NumberColumn(min_value=1, max_value=100, step=1)})
    edited = edited.rename(columns={t(v, lang): k for k, v in COLUMNS.items()})
    streams = [clv.Stream(str(r["name"] or "—"), float(r["revenue"] or 0), float(r["profit"] or 0),
                          int(r["every_years"] or 1), int(r["first_year"] or 1),
                          None if pd.isna(r["last_year"]) else int(r["last_year"]))
               for r in edited.to_dict("records") if pd.notna(r.get("revenue")) or pd.notna(r.get("profit"))]
    s1, s2, s3 = st.columns(3)
    stream_retention = s1.slider(t("clv.retention", lang), 0.0, 1.0, 1.0, 0.01, key="streams_retention")
    stream_discount = s2.slider(t("clv.discount", lang), 0.0, 0.50, 0.10, 0.01, key="streams_discount")
    stream_years = s3.slider(t("clv.streams_years", lang), 1, 40, 20, key="streams_years")
    schedule = clv.stream_schedule(streams, stream_years, stream_discount, stream_retention)
    totals = clv.stream_totals(schedule)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("clv.streams_revenue", lang), format_money(totals["revenue"], lang))
    m2.metric(t("clv.streams_profit", lang), format_money(totals["profit"], lang))
    m3.metric(t("clv.streams_npv", lang), format_money(totals["present_value"], lang))
    st.caption(t("clv.streams_seed", lang, revenue=format_money(clv.CAR_BUYER_SEED["revenue"], lang),
                 profit=format_money(clv.CAR_BUYER_SEED["profit"], lang)))
    st.plotly_chart(charts_clv.streams_chart(schedule, lang), key="streams_chart")

st.divider()
if not widgets.require_orders(ctx):
    st.stop()

# ---- model CLV per customer ------------------------------------------------------
scored = cache.scored(ctx)
fit = scored.attrs.get("clv_fit")
st.subheader(t("clv.model", lang))
if fit is not None and fit.method == "model":
    p, g = fit.purchase, fit.spend
    st.caption(t("clv.model_params", lang, model=t(f"clv.model.{fit.purchase_model}", lang), r=f"{p['r']:.4g}",
                 alpha=f"{p['alpha']:.4g}", a=f"{p['a']:.4g}", b=f"{p['b']:.4g}",
                 typical=format_money(math.exp(g["mu"] + g["tau2"] / 2), lang), tau=f"{math.sqrt(g['tau2']):.2f}",
                 s=f"{math.sqrt(g['s2']):.2f}", horizon=cache.settings().clv.horizon_months,
                 net=t("clv.net." + ("+".join(fit.costs) or "none"), lang)))
    if fit.selection:
        st.markdown(t("clv.selection", lang, weeks=f"{fit.selection['holdout']:.0f}",
                      customers=f"{fit.selection['customers']:,}",
                      model=t(f"clv.model.{fit.selection['chosen']}", lang)))
        st.dataframe(tables.selection_table(fit.selection, lang), hide_index=True)
else:
    st.warning(t("note.clv_formula", lang, reason=fit.reason_text(lang) if fit else ""))
st.plotly_chart(charts_clv.clv_by_tier(scored, lang), key="clv_by_tier")

# ---- diagnostics -----------------------------------------------------------------
st.subheader(t("clv.diagnostics", lang))
if widgets.features_only(ctx, "holdout"):  # features computed elsewhere: no transactions to hold out
    st.stop()
weeks = st.slider(t("clv.holdout_weeks", lang), 8, 52, 26, 1, key="holdout_weeks")
diag = cache.clv_diagnostics(ctx, weeks, getattr(fit, "purchase_model", None) or "bgnbd")
if "error" in diag:
    st.info(t(f"clv.diag_{diag['error']}", lang, end=str(diag["calibration_end"])))
else:
    st.markdown(t("clv.holdout_total", lang, end=str(diag["calibration_end"]), actual=f"{diag['actual_total']:,}",
                  predicted=f"{diag['predicted_total']:,.0f}"))
    left, right = st.columns(2)
    left.plotly_chart(charts_clv.holdout_chart(diag["holdout"], lang), key="holdout")
    right.plotly_chart(charts_clv.p_alive_heatmap(diag["p_alive"], lang), key="p_alive")

# ---- backtest on the user's own history -----------------------------------------
st.subheader(t("bt.title", lang))
horizon = st.select_slider(t("bt.horizon", lang), [6, 12, 24], value=12, key="backtest_horizon")
result = cache.backtest(ctx, horizon)
if isinstance(result, str):
    st.info(t("bt.error", lang, horizon=horizon))
else:
    st.caption(t("bt.caption", lang, scored_at=format_date(result.scored_at, lang),
                 as_of=format_date(result.as_of, lang)))
    st.dataframe(tables.backtest_ranking(result, lang), hide_index=True)
    st.dataframe(tables.backtest_tiers(result, lang), hide_index=True)
    st.caption(t("bt.ordered" if result.tiers_ordered else "bt.not_ordered", lang))
    purchases = result.totals["purchases"]
    st.caption(t("bt.purchases", lang, predicted=f"{purchases['predicted']:,.0f}", actual=f"{purchases['actual']:,.0f}",
                 error=format_pct(purchases["error"], 0) if purchases["error"] == purchases["error"] else "—"))
