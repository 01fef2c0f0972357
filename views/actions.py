"""Actions and reports: the three action lists for the sales team, the HTML report, Excel and CSV exports."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ui import cache, cache_actions, state, widgets
from valuation.i18n.text import t
from valuation.model import pipeline
from valuation.present import exports
from valuation.present.report import build_report

ctx = state.context()
lang = ctx.lang
st.title(t("page.actions", lang))
if not widgets.require_orders(ctx):
    st.stop()

scored = cache.scored(ctx)
settings = cache.settings()
stamp = (ctx.dataset, ctx.as_of)  # in every download's name, after what it is in the reader's language
TABLE_ROWS = 5000  # rows of a list sent to the browser; its CSV download has them all

# ---- meeting material -------------------------------------------------------------
st.subheader(t("actions_page.downloads", lang))
st.caption(t("actions_page.downloads_help", lang))
cols = st.columns(3)
# Built only when clicked (on its own thread): the report inlines plotly.js, the workbook is large.
cols[0].download_button(t("actions_page.report", lang),
                        lambda: build_report(scored, lang=lang, dataset=ctx.dataset, settings=settings,
                                             generated_at=dt.datetime.now(), currency=ctx.currency).encode("utf-8"),
                        file_name=exports.download_name("file.report", lang, *stamp, ext="html"), mime="text/html",
                        key="download_report",
                        type="primary", use_container_width=True)
cols[1].download_button(t("actions_page.excel", lang),
                        lambda: exports.scored_workbook(scored, lang, settings=settings, dataset=ctx.dataset,
                                                        currency=ctx.currency),
                        file_name=exports.download_name("file.customers", lang, *stamp, ext="xlsx"),
                        key="download_excel", use_container_width=True,
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
cols[2].download_button(t("actions_page.csv", lang),
                        widgets.in_this_run(lambda: exports.csv_bytes(exports.labelled(pipeline.output_frame(scored), lang))),
                        file_name=exports.download_name("file.customers", lang, *stamp), mime="text/csv",
                        key="download_csv",
                        use_container_width=True)

# ---- action lists -----------------------------------------------------------------
st.subheader(t("actions_page.lists", lang))
lists = cache_actions.lists(ctx, scored, settings)  # cached: a million customers take seconds
names = list(lists)
choice = st.radio(t("actions_page.which", lang), names, horizontal=True, key="action_list",
                  format_func=lambda n: f"{t(f'actions.title.{n}', lang)} ({len(lists[n]):,})")
chosen = lists[choice]
st.caption(t(f"actions.rule.{choice}", lang))
if choice == "growable":  # seed 000: buy more of what they buy, beside the cross-sell
    st.caption(cache_actions.buy_more_rule(ctx))
# Features computed elsewhere have no orders, so no categories bought to suggest from: say so instead.
explained = choice == "growable" and widgets.features_only(ctx, "cross_sell")
if chosen.attrs.get("note") and not explained:
    st.info(chosen.attrs["note"])
if chosen.empty:
    st.success(t("actions_page.empty", lang))
else:
    # The first rows only go to the browser (a list can hold hundreds of thousands); the CSV has them all
    # and is written when clicked, not on every rerun.
    widgets.table(chosen.head(TABLE_ROWS), lang, column_config=cache_actions.buy_more_columns(lang))
    if len(chosen) > TABLE_ROWS:
        st.caption(t("customers.count", lang, shown=f"{TABLE_ROWS:,}", total=f"{len(chosen):,}"))
    st.download_button(t("common.download_csv", lang),
                       widgets.in_this_run(lambda frame=chosen: exports.csv_bytes(widgets.labelled(frame, lang))),
                       file_name=exports.download_name(f"file.{choice}", lang, *stamp), mime="text/csv",
                       key="download_list")
st.download_button(t("actions_page.all_lists", lang),
                   widgets.in_this_run(lambda: exports.frames_workbook(exports.list_sheets(lists, lang))),
                   file_name=exports.download_name("file.action_lists", lang, *stamp, ext="xlsx"), key="download_lists",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
st.caption(t("actions_page.schedule", lang))
