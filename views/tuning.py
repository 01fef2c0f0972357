"""Weight tuning: sliders and presets, tier cut-offs, migration against a baseline, score explained."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from ui import cache, controls, state, widgets
from valuation.analysis import insights
from valuation.i18n.format import format_pct
from valuation.i18n.text import t
from valuation.model import scoring, tiers
from valuation.model.settings import PRESETS
from valuation.present import charts, exports

ctx = state.context()
lang = ctx.lang
st.title(t("page.tuning", lang))
if not widgets.require_orders(ctx):
    st.stop()

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
    weights = controls.weight_controls(dimensions + tuple(f"custom:{c}" for c in chosen_custom), lang)
    missing = [d for d in prep.report.missing if not d.startswith("custom:")]
    if missing:
        st.caption(t("dim.missing", lang, dims=", ".join(t(f"dim.{d}", lang) for d in missing)))
    st.subheader(t("tuning.cuts", lang))
    controls.tier_controls(lang)
    st.subheader(t("tuning.classes", lang))
    controls.class_controls(lang)

settings = cache.settings()
scored = cache.scored(ctx, settings)
with left:
    money = insights.value_classes_in_money(scored)
    st.caption(t("tuning.class_counts", lang, most=f"{money['most_valuable']:,}", share=format_pct(money["actual_share"]),
                 grow=f"{money['growable']:,}"))
baseline_name = right.selectbox(t("tuning.baseline", lang), list(PRESETS),
                                format_func=lambda n: t(f"preset.{n}", lang), key="baseline")
baseline_settings = replace(settings, weights=PRESETS[baseline_name])
baseline = cache.scored(ctx, baseline_settings)
with right:
    # Tier sizes follow the cut-offs, so what moves with the weights is who is in each tier.
    # Counts come from the tier codes kept with the scores (TIERS order: negative = towards A).
    codes, base_codes = cache.tier_codes(ctx, settings), cache.tier_codes(ctx, baseline_settings)
    steps = codes.astype(np.int16) - base_codes
    changed = int(np.count_nonzero(steps))
    now, then = insights.tier_a_share_from_codes(scored, codes), insights.tier_a_share_from_codes(scored, base_codes)
    cols = st.columns(4)
    cols[0].metric(t("tuning.changed", lang), f"{changed:,}")
    cols[1].metric(t("tuning.direction_up", lang), f"{int(np.count_nonzero(steps < 0)):,}")
    cols[2].metric(t("tuning.direction_down", lang), f"{int(np.count_nonzero(steps > 0)):,}")
    cols[3].metric(t("kpi.tier_a_share", lang), format_pct(now),
                   delta=f"{(now - then) * 100:+.1f} pt" if changed else None)
    widgets.weight_evidence(ctx, settings, baseline_settings, baseline_name)
    # Both figures from the codes: grouping 1.5 million tier labels took ~2 s per move.
    st.plotly_chart(charts.tier_pyramid(scored, lang, codes=codes), key="tuning_pyramid")
    st.plotly_chart(charts.migration_sankey(None, None, lang, table=tiers.migration_from_codes(base_codes, codes)),
                    key="sankey")

EXPLAIN_OPTIONS = 1000  # the selector lists the best-scored customers; a million would not load


@st.fragment
def movers_table() -> None:
    """The movers list; switching its direction reruns this part only."""
    st.subheader(t("tuning.movers", lang))
    direction = st.radio(t("tuning.direction", lang), ["up", "down", "all"], horizontal=True,
                         format_func=lambda d: t(f"tuning.direction_{d}", lang), key="movers_direction")
    movers = insights.migration(cache.scored(ctx, baseline_settings), cache.scored(ctx, settings),
                                direction=direction, codes=(cache.tier_codes(ctx, baseline_settings),
                                                            cache.tier_codes(ctx, settings)))
    if movers.empty:
        st.caption(t("tuning.no_movers", lang))
    else:
        st.dataframe(widgets.labelled(movers.drop(columns=["tier_steps"]), lang), hide_index=True,
                     column_config=widgets.number_columns(lang))


@st.fragment
def explain() -> None:
    """One customer's composite split by dimension; choosing another reruns this part only."""
    st.subheader(t("tuning.explain", lang))
    current = cache.scored(ctx, settings)
    buyers = np.flatnonzero(current["has_orders"].to_numpy(dtype=bool))
    composite = current["composite"].to_numpy()[buyers]
    if len(buyers) > EXPLAIN_OPTIONS:  # the best ones, without sorting everyone
        buyers = buyers[np.argpartition(-composite, EXPLAIN_OPTIONS - 1)[:EXPLAIN_OPTIONS]]
        composite = current["composite"].to_numpy()[buyers]
    ranked = current.iloc[buyers[np.argsort(-composite, kind="stable")]]
    options = ranked["customer_id"].tolist()
    labels = dict(zip(options, ranked["name"].fillna("").astype(str)))
    rows = dict(zip(reversed(options), reversed(ranked.index)))  # an id listed twice: its best row
    who = st.selectbox(t("tuning.explain_who", lang), options,
                       format_func=lambda c: f"{c} · {labels.get(c, '')}", key="explain_customer")
    if who:
        prep = cache.prepared(ctx, settings.clv, tuple(c for c, _ in settings.weights.custom))
        row = rows[who]
        contrib = scoring.contributions(prep.scores.loc[[row]], settings.weights)  # that row only
        st.plotly_chart(charts.contribution_bars(contrib.loc[row], lang), key="contrib")


movers_table()
explain()
