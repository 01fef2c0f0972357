"""Explore: customers and value sliced by one, two and three dimensions; CLV against CAC; top and growing."""

from __future__ import annotations

import streamlit as st

from ui import cache, cache_explore, state, widgets
from valuation.analysis import explore, needs
from valuation.i18n.format import format_date, format_money
from valuation.i18n.text import t
from valuation.present import charts_explore as cx
from valuation.present import charts_needs
from valuation.present import exports
from valuation.present.exports import csv_bytes

ctx = state.context()
lang = ctx.lang
st.title(t("page.explore", lang))
if not widgets.require_orders(ctx):
    st.stop()

scored = cache.scored(ctx)
provided = cache_explore.provided_columns(ctx)
dims = cache_explore.of_scored(ctx, scored, "available_dimensions", provided)
if widgets.features_only(ctx, "order_slices"):  # features computed elsewhere: customer-level slices only
    dims = tuple(d for d in dims if d not in explore.ORDER_DIMENSIONS)
cost_known = explore.has_cost(provided)
st.caption(t("explore.intro", lang, as_of=format_date(ctx.as_of, lang)))
PERIODS = (0, 24, 12)  # months of orders; 0 = all history up to the as-of date


def download(frame, name: tuple, key: str) -> None:
    """A CSV of ``frame`` named in the reader's language: ``name`` is a ``file.*`` key and the words after it."""
    # the file says what the table says: headers and labels in the reader's language
    st.download_button(t("common.download_csv", lang), csv_bytes(cx.labelled_table(frame, lang)),
                       file_name=exports.download_name(*name[:1], lang, *name[1:]), mime="text/csv", key=key)


tab_one, tab_two, tab_three, tab_cac, tab_top = st.tabs(
    [t(f"explore.tab.{k}", lang) for k in ("one", "two", "segments", "clv_cac", "top")])

# ---- one dimension ----------------------------------------------------------------
with tab_one:
    c1, c2, c3, c4 = st.columns([2, 2, 2, 3])
    dim = c1.selectbox(t("explore.dimension", lang), dims, format_func=lambda d: cx.dim_label(d, lang),
                       key="explore::dim")
    measures = explore.measures_for((dim,), cost_known)
    mode = "order" if explore.is_order_level((dim,)) else "customer"
    measure = c2.selectbox(t("explore.measure", lang), measures, format_func=lambda m: cx.measure_label(m, lang),
                           key=f"explore::measure::{mode}")
    kind = c3.radio(t("explore.chart_kind", lang), ["bars", "treemap"], horizontal=True,
                    format_func=lambda k: t(f"explore.chart.{k}", lang), key="explore::kind")
    months = None
    if mode == "order":
        months = c4.selectbox(t("explore.period", lang), PERIODS, key="explore::months",
                              format_func=lambda m: t("explore.period.n" if m else "explore.period.all",
                                                      lang, n=m)) or None
    frame = cache_explore.slice_table(ctx, scored, (dim,), months, measure)
    subtitle = cx.slice_subtitle((dim,), months, ctx.as_of, lang)
    build = cx.slice_bars if kind == "bars" else cx.slice_treemap
    st.plotly_chart(build(frame, dim, measure, lang, subtitle), key="explore_one")
    cache_explore.show_table(frame, lang)
    download(frame, ("file.explore", cx.dim_label(dim, lang)), "download_explore_one")

# ---- two dimensions ---------------------------------------------------------------
with tab_two:
    c1, c2, c3, c4 = st.columns([2, 2, 2, 3])
    first_attribute = next((d for d in ("region", "industry", "size", "channel") if d in dims),
                           "quarter" if "quarter" in dims else dims[0])
    rows = c1.selectbox(t("explore.rows", lang), dims, format_func=lambda d: cx.dim_label(d, lang),
                        index=dims.index(first_attribute), key="explore::rows")
    cols = c2.selectbox(t("explore.cols", lang), dims, format_func=lambda d: cx.dim_label(d, lang),
                        index=dims.index("tier"), key="explore::cols")
    if rows == cols:
        st.info(t("explore.same_dims", lang))
    else:
        pair = (rows, cols)
        mode2 = "order" if explore.is_order_level(pair) else "customer"
        measure2 = c3.selectbox(t("explore.measure", lang), explore.measures_for(pair, cost_known),
                                format_func=lambda m: cx.measure_label(m, lang), key=f"explore::measure2::{mode2}")
        months2 = None
        if mode2 == "order":
            months2 = c4.selectbox(t("explore.period", lang), PERIODS, key="explore::months2",
                                   format_func=lambda m: t("explore.period.n" if m else "explore.period.all",
                                                           lang, n=m)) or None
        frame2 = cache_explore.slice_table(ctx, scored, pair, months2, measure2)
        grid = explore.pivot(frame2, pair, measure2)
        subtitle2 = cx.slice_subtitle(pair, months2, ctx.as_of, lang)
        st.plotly_chart(cx.slice_heatmap(grid, measure2, lang, subtitle2),
                        key="explore_two")
        cache_explore.show_table(frame2, lang)
        download(frame2, ("file.explore", cx.dim_label(rows, lang), cx.dim_label(cols, lang)), "download_explore_two")

# ---- three dimensions: value tier × behaviour segment × region or industry --------
with tab_three:
    st.caption(t("explore.segments_help", lang))
    c1, c2, c3 = st.columns(3)
    third = [d for d in ("region", "industry", "size", "channel") if d in dims] or ["lifecycle_stage"]
    by = c1.selectbox(t("explore.segments_by", lang), third, format_func=lambda d: cx.dim_label(d, lang),
                      key="explore::seg_by")
    seg_measure = c2.selectbox(t("explore.measure", lang), ("customers", "revenue_12m", "clv"),
                               format_func=lambda m: cx.measure_label(m, lang), key="explore::seg_measure")
    seg_kind = c3.radio(t("explore.chart_kind", lang), ["sunburst", "treemap"], horizontal=True,
                        format_func=lambda k: t(f"explore.chart.{k}", lang), key="explore::seg_kind")
    path = ("tier", "rfm_segment", by)
    cube = cache_explore.of_scored(ctx, scored, "customer_slice", path, seg_measure)
    st.plotly_chart(cx.segment_chart(cube, path, seg_measure, lang, seg_kind,
                                     cx.slice_subtitle(path, None, ctx.as_of, lang)),
                    key="explore_segments")
    cache_explore.show_table(cube, lang)
    download(cube, ("file.segments", cx.dim_label(by, lang)), "download_explore_segments")

    # Seed 003: needs-based segments read from behaviour, every cut-off a percentile of this dataset.
    st.subheader(t("needs.title", lang))
    if not widgets.features_only(ctx, "needs"):
        st.caption(t("needs.intro", lang))
        pct = st.slider(t("needs.percentile", lang), 60, 95, 75, 5, help=t("needs.percentile_help", lang),
                        key="explore::needs_pct")
        found = cache_explore.needs_segments(ctx, scored, pct / 100)
        for reason in (*found.unavailable.values(), *found.partial):
            st.info(t(reason, lang))
        summary = needs.needs_summary(found)
        st.plotly_chart(charts_needs.needs_bars(summary, lang), key="explore_needs")
        cache_explore.show_table(charts_needs.needs_table(summary, lang), lang)
        st.caption(t("needs.precedence", lang))
        unit = "quantity" in provided.get("orders", [])
        for name, rule in charts_needs.needs_rules(found.thresholds, found.offered, pct / 100, unit, lang):
            st.caption(t("chart.explore.hover_measure", lang, measure=name, value=rule))
        st.download_button(t("needs.download_list", lang),
                           lambda: csv_bytes(cx.labelled_table(charts_needs.needs_table(found.customers, lang), lang)),
                           file_name=exports.download_name("file.needs_segments", lang, ctx.dataset, ctx.as_of),
                           mime="text/csv",
                           key="download_explore_needs")

# ---- CLV against acquisition cost by channel --------------------------------------
with tab_cac:
    missing = cache_explore.of_scored(ctx, scored, "clv_cac_missing")
    for column in missing:
        st.warning(t(f"explore.missing.{column}", lang))
    if "acquisition_cost" not in missing:
        overall = cache_explore.of_scored(ctx, scored, "clv_cac_overall")
        m = st.columns(4)
        m[0].metric(t("explore.col.mean_clv", lang), format_money(overall["mean_clv"], lang))
        m[1].metric(t("explore.col.mean_cac", lang), format_money(overall["mean_cac"], lang))
        m[2].metric(t("explore.col.clv_cac_ratio", lang), cx.format_measure("clv_cac_ratio", overall["clv_cac_ratio"]))
        m[3].metric(t("explore.col.customers_with_cac", lang),
                    f"{overall['customers_with_cac']:,} / {overall['customers']:,}")
    cac_table = cache_explore.of_scored(ctx, scored, "clv_vs_cac", "channel")
    st.plotly_chart(cx.clv_cac_chart(cac_table, lang), key="explore_cac")
    cache_explore.show_table(cac_table, lang)
    download(cac_table, ("file.clv_vs_cac",), "download_explore_cac")

# ---- top and fastest-growing customers --------------------------------------------
with tab_top:
    # Seed 002: the lists by region, product and period together.
    f1, f2, f3 = st.columns(3)
    regions = f1.multiselect(t("feat.region", lang), sorted(scored["region"].dropna().unique())
                             if "region" in scored else [], key="explore::top_regions", placeholder=t("common.all", lang))
    categories = cache.customer_categories(ctx)["category"].unique().tolist() if (
        scored.attrs["availability"].category and state.features_info(ctx) is None) else []
    products = f2.multiselect(t("explore.top_products", lang), sorted(categories), key="explore::top_products",
                              placeholder=t("common.all", lang))
    period = f3.selectbox(t("explore.top_period", lang), (0, 3, 6, 12, 24), key="explore::top_period",
                          format_func=lambda m: t("explore.period.n", lang, n=m) if m else t("explore.period.all", lang))
    buyers = cache_explore.category_buyers(ctx, products, period or None) if products else None
    chosen = explore.restrict(scored, regions, buyers) if (regions or buyers is not None) else scored
    c1, c2 = st.columns(2)
    top_by = c1.selectbox(t("explore.top_by", lang), ("composite", "clv", "net_profit_12m"),
                          format_func=lambda m: t(f"feat.{m}", lang), key="explore::top_by")
    top_n = c2.slider(t("explore.top_n", lang), 5, 50, 20, 5, key="explore::top_n")
    if chosen is scored:
        top = cache_explore.of_scored(ctx, scored, "top_customers", top_by, top_n)
    else:  # a filtered few: computed as asked (the cache is keyed by the whole dataset)
        top = explore.top_customers(chosen, top_by, top_n)
        st.caption(t("explore.top_filtered", lang, n=f"{int(chosen['has_orders'].sum()):,}"))
    st.plotly_chart(cx.top_customers_chart(top, top_by, lang), key="explore_top")
    widgets.table(top, lang)
    download(top, ("file.top", t(f"feat.{top_by}", lang)), "download_explore_top")

    st.subheader(t("explore.growth", lang))
    if widgets.features_only(ctx, "growth"):  # no orders: no revenue windows to compare
        st.stop()
    c1, c2, c3 = st.columns(3)
    g_months = c1.selectbox(t("explore.growth_window", lang), (3, 6, 12), index=1,
                            format_func=lambda m: t("explore.growth_months", lang, n=m), key="explore::growth_months")
    min_base = c2.number_input(t("explore.min_base", lang), 0, 10**9, 5000, step=1000,
                               help=t("explore.min_base_help", lang), key="explore::min_base")
    rank_by = c3.radio(t("explore.growth_rank", lang), ["rate", "change"], horizontal=True,
                       format_func=lambda r: t(f"explore.growth_rank.{r}", lang), key="explore::growth_rank")
    windows = explore.growth_windows(ctx.as_of, g_months)
    if chosen is scored:
        growers = cache_explore.fastest_growing(ctx, scored, g_months, min_base, top_n, rank_by)
    else:
        change = cache_explore.revenue_change(ctx, g_months)
        change = change[change["customer_id"].isin(chosen["customer_id"])]
        growers = explore.fastest_growing(change, chosen, min_base, top_n, rank_by)
    window_text = t("explore.growth_windows", lang, b0=format_date(windows["before_first"], lang),
                    b1=format_date(windows["mid"], lang), r0=format_date(windows["recent_first"], lang),
                    r1=format_date(windows["as_of"], lang))
    st.plotly_chart(cx.growth_chart(growers, lang, rank_by, window_text,
                                    [t("explore.min_base_note", lang, base=format_money(min_base, lang))]
                                    if rank_by == "rate" else []), key="explore_growth")
    cache_explore.show_table(growers, lang)
    download(growers, ("file.growing", t("file.months", lang, n=g_months)), "download_explore_growth")
