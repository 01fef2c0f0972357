"""Presentation mode: full width, large type, one slide at a time, the configuration in the footer."""

from __future__ import annotations

import streamlit as st

from ui import cache, state, widgets
from ui.safe import md
from valuation.i18n.format import format_money, format_pct
from valuation.i18n.text import t
from valuation.model import lifecycle
from valuation.present import charts, charts_matrix, exports

SLIDES = ("pyramid", "matrix", "whale", "funnel", "at_risk")

ctx = state.context()
lang = ctx.lang
if not widgets.require_orders(ctx):
    st.stop()
widgets.projector_style()

scored = cache.scored(ctx)
settings = cache.settings()
step = st.session_state.setdefault("present_step", 0) % len(SLIDES)
slide = SLIDES[step]

st.title(t(f"present.{slide}", lang))
if slide == "pyramid":
    figure = charts.tier_pyramid(scored, lang, codes=cache.tier_codes(ctx, settings))
elif slide == "matrix":
    figure = charts_matrix.value_matrix(scored, lang, settings.classes)
elif slide == "whale":
    figure = charts.whale_curve(scored, lang)
elif slide == "funnel":
    figure = charts.lifecycle_funnel(lifecycle.funnel(scored, scored["lifecycle_stage"], settings.lifecycle), lang)
else:
    figure = None
if figure is not None:
    st.plotly_chart(charts.for_projector(figure), key=f"slide_{slide}")
    if slide == "matrix":
        st.markdown(" ".join(exports.class_money_sentences(scored, lang)))
else:
    alerts = lifecycle.at_risk_alerts(scored).head(12)
    st.markdown(f"### {t('present.at_risk_lead', lang, n=len(lifecycle.at_risk_alerts(scored)), value=format_money(alerts['clv'].sum(), lang))}")
    st.dataframe(widgets.labelled(alerts[["customer_id", "name", "tier", "days_since_last_order", "mean_gap_days",
                                          "last_order_date", "clv"]], lang),
                 hide_index=True, column_config=widgets.number_columns(lang), height=480)

left, middle, right = st.columns([1, 4, 1])


def _move(delta: int) -> None:
    st.session_state["present_step"] = (st.session_state.get("present_step", 0) + delta) % len(SLIDES)


left.button(t("present.previous", lang), key="present_prev", on_click=_move, args=(-1,), use_container_width=True)
right.button(t("present.next", lang), key="present_next", on_click=_move, args=(1,), use_container_width=True,
             type="primary")
middle.progress((step + 1) / len(SLIDES), text=t("present.counter", lang, n=step + 1, total=len(SLIDES)))

w = settings.weights.as_dict()
weights = " · ".join(f"{t(f'dim.{d}', lang)} {v:g}" for d, v in w.items() if v > 0 and not d.startswith("custom:"))
st.caption(t("present.footer", lang, dataset=md(ctx.dataset), as_of=str(ctx.as_of), weights=weights,
             a=format_pct(settings.tiers.a), b=format_pct(settings.tiers.b), c=format_pct(settings.tiers.c),
             at_risk=settings.lifecycle.at_risk_days))
