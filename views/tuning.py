"""Weight tuning: sliders and presets, tier cut-offs, migration against a baseline, score explained."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import streamlit as st

from ui import cache, controls, share, state, widgets
from valuation.analysis import insights
from valuation.i18n.format import format_pct
from valuation.i18n.text import t
from valuation.model import pipeline, scoring, tiers
from valuation.model.settings import PRESETS, Tilt
from valuation.present import charts, exports

ctx = state.context()
lang = ctx.lang
st.title(t("page.tuning", lang))
if not widgets.require_orders(ctx):
    st.stop()

TOP_CODES = [tiers.TIERS.index("A"), tiers.TIERS.index("B")]


@st.fragment
def panels() -> None:
    """The whole page below the title. A fragment: moving a slider reruns this part only, not the
    sidebar and the app around it (bench/load_test.py: less server time per move, and the
    browsers redraw less); the sidebar's own widgets still rerun everything."""
    started = time.perf_counter()
    prep = cache.prepared(ctx)
    dimensions = tuple(d for d in prep.report.available if not d.startswith("custom:"))
    custom_options = [c for c in prep.custom_candidates]

    left, right = st.columns([1, 2])
    with left:
        st.subheader(t("tuning.weights", lang))
        chosen_custom = st.multiselect(t("tuning.custom_dims", lang), custom_options,
                                       default=[c for c, _ in cache.settings().weights.custom if c in custom_options],
                                       format_func=lambda c: exports.column_label(f"custom:{c}", lang),
                                       help=t("tuning.custom_help", lang), key="custom_dims",
                                       placeholder=t("common.choose", lang))
        settings = cache.settings()
        kept = tuple((c, w) for c, w in settings.weights.custom if c in chosen_custom)
        added = tuple((c, 10.0) for c in chosen_custom if c not in dict(kept))
        if kept + added != settings.weights.custom:
            cache.update_settings(weights=replace(settings.weights, custom=tuple(sorted(kept + added))))
        controls.weight_controls(dimensions + tuple(f"custom:{c}" for c in chosen_custom), lang)
        missing = [d for d in prep.report.missing if not d.startswith("custom:")]
        if missing:
            st.caption(t("dim.missing", lang, dims=", ".join(t(f"dim.{d}", lang) for d in missing)))
        # The rules change now and then, the weights all the time: each rule set waits in an expander
        # whose inputs are drawn only while it is open, so a slider move does not send up to sixteen
        # inputs nobody is looking at (bench/load_test.py: the server's time per move).
        with st.expander(t("tuning.cuts", lang), key="rules::tiers", on_change="rerun") as box:
            if box.open:
                controls.tier_controls(lang)
        with st.expander(t("tuning.classes", lang), key="rules::classes", on_change="rerun") as box:
            if box.open:
                controls.class_controls(lang)
        with st.expander(t("tuning.tilt", lang), key="rules::tilt", on_change="rerun") as box:
            if box.open:
                st.caption(t("tuning.tilt_help", lang))
                tilt_options = pipeline.tilt_options(prep)
                if tilt_options:
                    controls.tilt_controls(tilt_options, lang)
                else:
                    st.caption(t("tuning.tilt_none", lang))

    settings = cache.settings()
    # A slider move reads the composites and tier codes kept with the prepared data, never the whole
    # scored frame (at 100k customers, assembling it was ~7 ms of every move): what needs the frame
    # asks for it only when its own inputs change.
    features = cache.prepared_for(ctx, settings).features
    with left:
        money = cache.kept(ctx, "classes_in_money", (settings.classes,),
                           lambda: insights.value_classes_in_money(cache.scored(ctx, settings)))
        st.caption(t("tuning.class_counts", lang, most=f"{money['most_valuable']:,}", share=format_pct(money["actual_share"]),
                     grow=f"{money['growable']:,}"))
        if settings.tilt.rules:
            favoured = pipeline.tilt_points(prep, settings.tilt) != 0
            top = np.isin(cache.tier_codes(ctx, settings), TOP_CODES)
            untilted = np.isin(cache.tier_codes(ctx, replace(settings, tilt=Tilt())), TOP_CODES)
            st.caption(t("tuning.tilt_effect", lang, n=f"{int(favoured.sum()):,}",
                         with_tilt=f"{int((top & favoured).sum()):,}", without=f"{int((untilted & favoured).sum()):,}"))
    baseline_name = right.selectbox(t("tuning.baseline", lang), list(PRESETS),
                                    format_func=lambda n: t(f"preset.{n}", lang), key="baseline")
    baseline_settings = replace(settings, weights=PRESETS[baseline_name], tilt=Tilt())
    if settings.tilt.rules:
        right.caption(t("tuning.baseline_no_tilt", lang))
    with right:
        # Tier sizes follow the cut-offs, so what moves with the weights is who is in each tier.
        # Counts come from the tier codes kept with the scores (TIERS order: negative = towards A).
        codes, base_codes = cache.tier_codes(ctx, settings), cache.tier_codes(ctx, baseline_settings)
        steps = codes.astype(np.int16) - base_codes
        changed = int(np.count_nonzero(steps))
        now, then = insights.tier_a_share_from_codes(features, codes), insights.tier_a_share_from_codes(features, base_codes)
        cols = st.columns(4)
        cols[0].metric(t("tuning.changed", lang), f"{changed:,}")
        cols[1].metric(t("tuning.direction_up", lang), f"{int(np.count_nonzero(steps < 0)):,}")
        cols[2].metric(t("tuning.direction_down", lang), f"{int(np.count_nonzero(steps > 0)):,}")
        cols[3].metric(t("kpi.tier_a_share", lang), format_pct(now),
                       delta=t("tuning.delta_pt", lang, pts=f"{(now - then) * 100:+.1f}") if changed else None)
        cuts = settings.tiers
        st.caption(t("tuning.tier_sizes_fixed", lang, a=format_pct(cuts.a), b=format_pct(cuts.b), c=format_pct(cuts.c)))
        widgets.weight_evidence(ctx, settings, baseline_settings, baseline_name)
        # Both figures from the codes: grouping 1.5 million tier labels took ~2 s per move.
        st.plotly_chart(cache.kept(ctx, "pyramid", (settings, lang),
                                     lambda: charts.tier_pyramid(features, lang, codes=codes)), key="tuning_pyramid")
        # Prospects and below-zero customers are placed by orders and profit, never by the weights:
        # their bands would only dwarf the moves (1,000 prospects beside a dozen movers).
        table = tiers.migration_from_codes(base_codes, codes)
        fixed = [c for c in ("prospect", "below_zero") if c in table.index]
        left_out = {c: int(table.loc[c, c]) for c in fixed}
        table = table.drop(index=fixed, columns=fixed, errors="ignore")
        sides = (t(f"preset.{baseline_name}", lang), t("tuning.now", lang))
        st.plotly_chart(cache.kept(ctx, "sankey", (settings, baseline_settings, lang),
                                     lambda: charts.migration_sankey(None, None, lang, table=table, sides=sides)),
                        key="sankey")
        if any(left_out.values()):
            st.caption(t("tuning.sankey_left_out", lang, prospects=f"{left_out.get('prospect', 0):,}",
                         below=f"{left_out.get('below_zero', 0):,}"))
    movers_table(settings, baseline_settings, baseline_name)
    explain(settings)
    share.write_url(ctx)  # the link follows the sliders (app.py does it after a full run)
    if state.fragment_run():
        state.log_run("tuning (panels)", time.perf_counter() - started)


EXPLAIN_OPTIONS = 1000  # the selector lists the biggest buyers; a million would not load


@st.fragment
def movers_table(settings, baseline_settings, baseline_name: str) -> None:
    """The movers list; switching its direction reruns this part only (with these arguments)."""
    st.subheader(t("tuning.movers", lang))
    direction = st.radio(t("tuning.direction", lang), ["up", "down", "all"], horizontal=True,
                         format_func=lambda d: t(f"tuning.direction_{d}", lang), key="movers_direction")
    def build():
        prep = cache.prepared_for(ctx, settings)
        found = insights.migration(prep.features, prep.features, direction=direction, keep_rows=True,
                                   codes=(cache.tier_codes(ctx, baseline_settings), cache.tier_codes(ctx, settings)),
                                   composites=(cache.composite(ctx, baseline_settings), cache.composite(ctx, settings)))
        if not found.empty:
            # the reason right after the tiers: at 1280 px the English table shows it without scrolling
            found.insert(found.columns.get_loc("tier_after") + 1, "driver",
                         _drivers(found, settings, baseline_settings))
        return found.drop(columns=["tier_steps", "row"])
    # kept per setting (shared: not changed here); the language is in the key, the reasons are words
    movers = cache.kept(ctx, "movers", (baseline_settings, settings, direction, lang), build)
    if movers.empty:
        st.caption(t("tuning.no_movers", lang))
    else:
        st.caption(t("tuning.movers_help", lang, baseline=t(f"preset.{baseline_name}", lang)))
        widgets.table(movers, lang)


def _drivers(movers, settings, baseline_settings) -> list[str]:
    """Per mover, the dimension (or the tilt) whose points moved its composite most, e.g. "忠诚度 +8.2"."""
    prep = cache.prepared_for(ctx, settings)
    drivers, points = insights.move_drivers(prep.scores, movers["row"].to_numpy(), baseline_settings.weights,
                                            settings.weights, movers["composite_before"].to_numpy(),
                                            movers["composite_after"].to_numpy())
    return [f"{exports.dimension_label(d, lang)} {p:+.1f}" for d, p in zip(drivers, points)]


def _explain_options(features):
    """The biggest buyers by 12-month revenue (ids, names, rows) the explanation offers, biggest first.

    The same list whatever the weights: a customer chosen stays chosen while the sliders move,
    and a slider move does not send a thousand options again.
    """
    buyers = np.flatnonzero(features["has_orders"].to_numpy(dtype=bool))
    revenue = np.nan_to_num(features["revenue_12m"].to_numpy(dtype=float)[buyers], nan=0.0)
    if len(buyers) > EXPLAIN_OPTIONS:  # the biggest ones, without sorting everyone
        top = np.argpartition(-revenue, EXPLAIN_OPTIONS - 1)[:EXPLAIN_OPTIONS]
        buyers, revenue = buyers[top], revenue[top]
    ranked = features.iloc[buyers[np.argsort(-revenue, kind="stable")]]
    ids = ranked["customer_id"].tolist()
    # the options as the text shown ("C000123 · 名称"), so the selectbox formats nothing per rerun
    options = [f"{c} · {n}" for c, n in zip(ids, ranked["name"].fillna("").astype(str))]
    rows = dict(zip(reversed(options), reversed(ranked.index)))  # an id listed twice: its best row
    return options, rows


@st.fragment
def explain(settings) -> None:
    """One customer's composite split by dimension; choosing another reruns this part only."""
    st.subheader(t("tuning.explain", lang))
    options, rows = cache.kept(ctx, "explain_options", (), lambda: _explain_options(cache.prepared(ctx).features))
    who = st.selectbox(t("tuning.explain_who", lang), options, key="explain_customer")
    if who:
        prep = cache.prepared_for(ctx, settings)
        row = rows[who]
        contrib = scoring.contributions(prep.scores.loc[[row]], settings.weights).loc[row]  # that row only
        composite = cache.composite(ctx, settings)[prep.scores.index.get_loc(row)]
        tilt = float(composite) - float(contrib.sum())  # the tilt's points, after the cap
        if settings.tilt.rules and abs(tilt) > 1e-9:
            contrib["tilt"] = tilt
        st.plotly_chart(cache.kept(ctx, "contrib", (settings, row, lang),
                                     lambda: charts.contribution_bars(contrib, lang)), key="contrib")


panels()
