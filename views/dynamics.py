"""Value over time: the dataset scored at several snapshot dates; tier and stage moves, shares, risers and fallers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import cache_dynamics, cache_explore, state, widgets
from ui.safe import md
from valuation.analysis import snapshots
from valuation.i18n.format import format_date
from valuation.i18n.text import t
from valuation.present import charts, exports
from valuation.present import charts_explore as cx
from valuation.present.exports import csv_bytes

ctx = state.context()
lang = ctx.lang
st.title(t("page.dynamics", lang))
if not widgets.require_orders(ctx) or widgets.features_only(ctx, "dynamics"):
    st.stop()
st.caption(t("dynamics.intro", lang, as_of=format_date(ctx.as_of, lang)))

# ---- which snapshots --------------------------------------------------------------
candidates = snapshots.period_ends(ctx.first_order, ctx.as_of, "Q")
if len(candidates) < 2:
    candidates = snapshots.period_ends(ctx.first_order, ctx.as_of, "M")
if ctx.as_of not in candidates:
    candidates.append(ctx.as_of)
default = snapshots.default_snapshot_dates(ctx.first_order, ctx.as_of)
left, right = st.columns([3, 2])
selected = left.multiselect(t("dynamics.dates", lang), candidates, default=[d for d in default if d in candidates],
                            format_func=lambda d: format_date(d, lang), max_selections=snapshots.MAX_SNAPSHOTS,
                            help=t("dynamics.dates_help", lang, n=snapshots.MAX_SNAPSHOTS),
                            # a new dataset or as-of date starts again from its own default snapshots
                            key=f"dyn::dates::{ctx.dataset_ref}::{ctx.as_of}",
                            placeholder=t("common.choose", lang))
typed = right.text_input(t("dynamics.extra_dates", lang), key="dyn::extra", placeholder="2025-06-15, 2025-11-30",
                         help=t("dynamics.extra_help", lang))
extra, bad = snapshots.parse_dates(typed)
if bad:
    st.warning(t("dynamics.bad_dates", lang, dates=md(", ".join(bad))))  # as typed: text, not markdown
dates, dropped = snapshots.choose_dates(selected, extra, ctx.first_order, ctx.as_of)
if dropped:
    st.warning(t("dynamics.dropped", lang, dates=", ".join(format_date(d, lang) for d in dropped),
                 first=format_date(ctx.first_order, lang), last=format_date(ctx.as_of, lang),
                 n=snapshots.MAX_SNAPSHOTS))
if len(dates) < 2:
    st.info(t("dynamics.need_two", lang))
    st.stop()

scored_at = cache_explore.snapshot_scores(ctx, dates)
k = cache_dynamics.key(ctx, dates)  # every table below is cached under it (ui/cache_dynamics.py)
prospects = snapshots.knows_prospects(scored_at)  # orders alone know a customer from their first order
scored_at = cache_dynamics.known(k, scored_at)
methods = snapshots.clv_methods(scored_at)
if len(set(methods.values())) > 1:
    st.warning(t("dynamics.mixed_clv", lang, dates=", ".join(
        format_date(d, lang) for d, m in methods.items() if m == "formula")))
first, last = dates[0], dates[-1]
counts = cache_dynamics.counts(k, first, last, scored_at)
st.caption(t("dynamics.span", lang, first=format_date(first, lang), last=format_date(last, lang), n=len(dates)))
if prospects:
    m = st.columns(5)
    for col, key in zip(m, ("up", "down", "same", "converted", "new")):
        col.metric(t(f"dynamics.count.{key}", lang), f"{counts[key]:,}")
else:  # no prospect can convert: who appeared between the dates are new customers
    m = st.columns(4)
    for col, key in zip(m, ("up", "down", "same")):
        col.metric(t(f"dynamics.count.{key}", lang), f"{counts[key]:,}")
    m[3].metric(t("dynamics.count.new_buyers", lang), f"{counts['new']:,}",
                help=t("dynamics.count.new_buyers_help", lang, first=format_date(first, lang),
                       last=format_date(last, lang)))

# ---- moves between tiers or stages -------------------------------------------------
st.subheader(t("dynamics.moves", lang))
c1, c2, c3, c4 = st.columns(4)
kind = c1.radio(t("dynamics.kind", lang), ["tier", "stage"], horizontal=True,
                format_func=lambda k: t(f"dynamics.kind.{k}", lang), key="dyn::kind")
view = c2.radio(t("dynamics.view", lang), ["all", "two"], horizontal=True,
                format_func=lambda v: t(f"dynamics.view.{v}", lang), key="dyn::view")
column = snapshots.KINDS[kind]
if view == "all":
    flow = cache_dynamics.flows(k, column, scored_at)
    st.plotly_chart(cx.snapshot_sankey(flow, lang, kind), key="dyn_sankey")
    st.caption(t("dynamics.sankey_help", lang))
    # The snapshot dates name each step (the engine's step number counts from 0).
    shown_flow = flow.drop(columns="step").assign(
        source=[cx.value_label(column, v, lang) for v in flow["source"]],
        target=[cx.value_label(column, v, lang) for v in flow["target"]])
    cache_explore.show_table(shown_flow, lang)
    # the file says what the table says: headers and labels in the reader's language
    st.download_button(t("common.download_csv", lang), csv_bytes(cx.labelled_table(shown_flow, lang)),
                       mime="text/csv", key="download_dyn_flows",
                       file_name=exports.download_name("file.flows", lang, t(f"dynamics.kind.{kind}", lang)))
else:
    start = c3.selectbox(t("dynamics.from", lang), dates, index=0, format_func=lambda d: format_date(d, lang),
                         key="dyn::from")
    end = c4.selectbox(t("dynamics.to", lang), dates, index=len(dates) - 1,
                       format_func=lambda d: format_date(d, lang), key="dyn::to")
    if start >= end:
        st.info(t("dynamics.order", lang))
    else:
        matrix, moved = cache_dynamics.transition(k, start, end, column, kind, scored_at)
        st.plotly_chart(charts.migration_sankey(None, None, lang, kind, table=moved), key="dyn_sankey_two")
        shown = matrix.copy()
        shown.index = [cx.value_label(column, v, lang) for v in shown.index]
        shown.columns = [cx.value_label(column, v, lang) for v in shown.columns]
        st.dataframe(shown, column_config=widgets.count_columns(shown))
        corner = f"{format_date(start, lang)} → {format_date(end, lang)}"  # rows then, columns after
        st.download_button(t("common.download_csv", lang), csv_bytes(shown.rename_axis(corner).reset_index()),
                           file_name=exports.download_name("file.transitions", lang, t(f"dynamics.kind.{kind}", lang)),
                           mime="text/csv", key="download_dyn_matrix")

# ---- tier sizes and shares per snapshot --------------------------------------------
st.subheader(t("dynamics.shares", lang))
conc = cache_dynamics.concentration(k, scored_at)
share_measure = st.radio(t("dynamics.share_measure", lang), list(cx.SHARE_MEASURES), index=3, horizontal=True,
                         format_func=lambda s: cx.measure_label(s, lang), key="dyn::share_measure")
st.plotly_chart(cx.tier_shares_over_time(conc, lang, share_measure), key="dyn_shares")
cache_explore.show_table(conc, lang)
st.download_button(t("common.download_csv", lang), csv_bytes(cx.labelled_table(conc, lang)), mime="text/csv",
                   file_name=exports.download_name("file.tier_shares", lang, ctx.dataset, ctx.as_of),
                   key="download_dyn_shares")

# ---- risers and fallers ------------------------------------------------------------
st.subheader(t("dynamics.movers", lang, first=format_date(first, lang), last=format_date(last, lang)))
st.caption(t("dynamics.movers_help", lang))
c1, c2 = st.columns(2)
top_n = c1.slider(t("dynamics.top_n", lang), 5, 50, 15, 5, key="dyn::top_n")
with_prospects = prospects and c2.checkbox(t("dynamics.include_prospects", lang), value=False, key="dyn::prospects")
rising, falling = cache_dynamics.rising_and_falling(k, first, last, top_n, not with_prospects, scored_at)
st.plotly_chart(cx.movers_chart(rising, falling, lang), key="dyn_movers")
left, right = st.columns(2)
for col, title_key, frame in ((left, "dynamics.rising", rising), (right, "dynamics.falling", falling)):
    col.markdown(f"**{t(title_key, lang, n=len(frame))}**")
    with col:
        cache_explore.show_table(frame.drop(columns=["tier_steps"]), lang)
both = pd.concat([rising.assign(direction=t("dynamics.rose", lang)), falling.assign(direction=t("dynamics.fell", lang))],
                 ignore_index=True)
st.download_button(t("common.download_csv", lang), csv_bytes(cx.labelled_table(both, lang)),
                   file_name=exports.download_name("file.risers_fallers", lang, ctx.dataset, ctx.as_of),
                   mime="text/csv", key="download_dyn_movers")
