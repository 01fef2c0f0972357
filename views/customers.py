"""Customers: a searchable, filterable table of scored customers and a profile of one."""

from __future__ import annotations

import streamlit as st

from ui import cache, state, widgets
from ui.safe import md
from valuation.analysis import insights
from valuation.i18n.format import format_money, format_pct
from valuation.i18n.text import t
from valuation.model.pipeline import output_frame
from valuation.present import charts, exports
from valuation.present.exports import csv_bytes

TABLE_ROWS = 5000        # rows sent to the browser; the download has them all
PROFILE_OPTIONS = 1000   # customers offered in the profile selector

ctx = state.context()
lang = ctx.lang
st.title(t("page.customers", lang))
if not widgets.require_orders(ctx):
    st.stop()

scored = cache.scored(ctx)
search = st.text_input(t("customers.search", lang), key="customer_search",
                       placeholder=t("customers.search_hint", lang))
filters = {}
prefixes = {"tier": "tier", "value_class": "class", "rfm_class": "rfmc", "lifecycle_stage": "stage",
            "grade_profit": "grade", "grade_potential": "grade", "grade_loyalty": "grade",
            "region": None, "industry": None}
cols = st.columns(5) + st.columns(4)
for col, (column, prefix) in zip(cols, prefixes.items()):
    values = sorted(v for v in scored[column].dropna().unique()) if column in scored else []
    filters[column] = col.multiselect(t(f"feat.{column}", lang), values, key=f"filter::{column}", placeholder=t("common.all", lang),
                                      format_func=(lambda v, p=prefix: t(f"{p}.{v}", lang)) if prefix else str)
shown = insights.filter_customers(scored, search, **filters)
st.caption(t("customers.count", lang, shown=f"{len(shown):,}", total=f"{len(scored):,}"))
table_cols = ["customer_id", "name", "tier", "value_class", "grade_profit", "grade_potential", "grade_loyalty",
              "rfm_class", "lifecycle_stage", "composite",
              "actual_value", "strategic_value", "revenue_12m", "net_profit_12m", "days_since_last_order", "region", "industry"]
# the first rows only: sorting a million to show 5,000 took 1.4 s on every rerun of this page
table = insights.best_first(shown, "composite", TABLE_ROWS)[[c for c in table_cols if c in shown]]
widgets.table(table, lang)
if len(shown) > TABLE_ROWS:
    st.caption(t("customers.table_limited", lang, rows=f"{TABLE_ROWS:,}", total=f"{len(shown):,}"))
# Built when clicked (a million rows take seconds to write), not on every rerun.
st.download_button(t("common.download_csv", lang), lambda: csv_bytes(output_frame(shown)),
                   file_name=exports.download_name("file.customers", lang, ctx.dataset, ctx.as_of), mime="text/csv",
                   key="download_customers")

availability = scored.attrs.get("availability")
if availability is None or availability.payments:  # seed 002: the arrears, by how long past due
    st.subheader(t("customers.ageing", lang))
    ageing = cache.overdue_ageing(ctx, scored)
    if ageing.empty:
        st.caption(t("customers.ageing_none", lang))
    else:
        widgets.table(ageing, lang)
        st.caption(t("customers.ageing_help", lang))

st.divider()
# The best-scored customers of the filter: a million options would be sent on every rerun.
options = table["customer_id"].head(PROFILE_OPTIONS).tolist()
if not options:
    st.info(t("customers.none", lang))
    st.stop()
labels = dict(zip(options, shown.loc[table.index[:PROFILE_OPTIONS], "name"].fillna("").astype(str)
                  if "name" in shown else [""] * len(options)))
who = st.selectbox(t("customers.profile", lang), options, format_func=lambda c: f"{c} · {labels.get(c, '')}",
                   key="profile_customer")
if len(table) > PROFILE_OPTIONS:
    st.caption(t("customers.profile_limited", lang, n=f"{PROFILE_OPTIONS:,}"))
row = scored.loc[scored["customer_id"] == who].iloc[0]
st.subheader(f"{md(row.get('name') or who)} · {t(f'tier.{row.tier}', lang)} · {t(f'class.{row.value_class}', lang)}"
             f" · {t(f'stage.{row.lifecycle_stage}', lang)}")
st.info(t(f"action.{row.value_class}", lang))
m = st.columns(5)
m[0].metric(t("feat.composite", lang), f"{row.composite:.0f}")
m[1].metric(t("dim.actual_value", lang), format_money(row.actual_value, lang), help=t("feat.actual_value", lang))
m[2].metric(t("dim.strategic_value", lang), format_money(row.strategic_value, lang),
            help=t("customers.strategic_help", lang))
m[3].metric(t("feat.net_profit_12m", lang), format_money(row.net_profit_12m, lang))
m[4].metric(t("feat.days_since_last_order", lang), "—" if row.days_since_last_order != row.days_since_last_order
            else f"{row.days_since_last_order:.0f}")

if row.value_class == "most_valuable" and (n := insights.value_replacement(scored, who)) is not None:
    st.markdown(t("customers.replacement_value", lang, actual=format_money(row.actual_value, lang), n=f"{n:.1f}"))
loss = insights.replacement_count(scored, who)
if loss["count"] is not None:
    st.markdown(t("customers.replacement", lang, n=f"{loss['count']:.1f}",
                  tier=t(f"tier.{loss['lower_tier']}", lang)))
if row.tier == "below_zero" and row.main_loss_driver:
    st.warning(t("customers.loss_driver", lang, driver=t(f"loss.{row.main_loss_driver}", lang),
                 service=format_money(row.cost_to_serve, lang), margin=format_money(row.thin_margin, lang),
                 unpaid=format_money(row.unpaid_invoices, lang)))

left, right = st.columns(2)
dims = [d for d in ("current", "future", "credit", "loyalty", "growth", "influence") if d in scored]
averages = insights.tier_average_scores(scored, tuple(dims))
with left:
    tier_avg = averages.loc[row.tier] if row.tier in averages.index else averages.mean()
    st.plotly_chart(charts.radar(row[dims].astype(float), tier_avg, lang, str(row.get("name") or who)),
                    key="radar")
with right:
    if not widgets.features_only(ctx, "history"):  # features computed elsewhere: no order rows
        orders = insights.customer_orders(ctx.store, ctx.dataset, who, ctx.as_of)
        st.plotly_chart(charts.order_history(orders, lang), key="history")

st.markdown("**" + t("customers.payments_service", lang) + "**")
facts = {
    t("feat.on_time_payment_ratio", lang): format_pct(row.on_time_payment_ratio),
    t("feat.avg_days_to_pay", lang): "—" if row.avg_days_to_pay != row.avg_days_to_pay else f"{row.avg_days_to_pay:.0f}",
    t("feat.overdue_amount", lang): format_money(row.overdue_amount, lang),
    t("feat.service_cost_12m", lang): format_money(row.service_cost_12m, lang),
    t("feat.complaints_12m", lang): f"{int(row.complaints_12m)}",
    t("feat.avg_service_satisfaction", lang): "—" if row.avg_service_satisfaction != row.avg_service_satisfaction
    else f"{row.avg_service_satisfaction:.1f}",
}
st.table({k: [v] for k, v in facts.items()})
