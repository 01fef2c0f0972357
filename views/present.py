"""Presentation mode: one slide per screen at 1280×720 and up, large type, keys to move, a way out."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from ui import cache, cache_lifecycle, state, widgets
from valuation.analysis import funnel
from valuation.i18n.format import format_count, format_money, format_pct
from valuation.i18n.text import t
from valuation.model import lifecycle
from valuation.present import charts, charts_matrix, exports

SLIDES = ("pyramid", "matrix", "whale", "funnel", "at_risk")
CHART_HEIGHT = 520  # px: with the title row and the footer a slide fits a 1280×720 screen
MATRIX_HEIGHT = 390  # the matrix slide keeps two lines of the seed's checks under the chart
AT_RISK_ROWS = 7
STEP_KEY = "present_step"

ctx = state.context()
lang = ctx.lang
if not widgets.require_orders(ctx):
    st.stop()
widgets.projector_style()


def _move(delta: int) -> None:
    st.session_state[STEP_KEY] = (st.session_state.get(STEP_KEY, 0) + delta) % len(SLIDES)


scored = cache.scored(ctx)
settings = cache.settings()
step = st.session_state.setdefault(STEP_KEY, 0) % len(SLIDES)
slide = SLIDES[step]

# One row on top: the slide's title, where we are, and the ways to move or leave.
head, counter, prev, nxt, leave = st.columns([13, 1.3, 2.5, 2.5, 2.5], vertical_alignment="center")
head.title(t(f"present.{slide}", lang))
counter.markdown(f'<p class="present-counter" title="{t("present.counter", lang, n=step + 1, total=len(SLIDES))}">'
                 f'{step + 1} / {len(SLIDES)}</p>', unsafe_allow_html=True)
prev.button(t("present.previous", lang), key="present_prev", on_click=_move, args=(-1,), use_container_width=True,
            help=t("present.keys_prev", lang))
nxt.button(t("present.next", lang), key="present_next", on_click=_move, args=(1,), use_container_width=True,
           type="primary", help=t("present.keys_next", lang))
# A link, as the sidebar's are (st.switch_page from a button lost the sidebar's language on the way).
leave.container(key="present_exit").page_link("views/overview.py", label=t("present.exit", lang),
                                               help=t("present.keys_exit", lang), use_container_width=True)

if slide == "pyramid":
    figure, height = charts.tier_pyramid(scored, lang, codes=cache.tier_codes(ctx, settings)), CHART_HEIGHT
elif slide == "matrix":
    figure, height = charts_matrix.value_matrix(scored, lang, settings.classes), MATRIX_HEIGHT
elif slide == "whale":
    figure, height = charts.whale_curve(scored, lang), CHART_HEIGHT
elif slide == "funnel":  # conversion by cohort over the default period; where customers are without orders
    if state.features_info(ctx) is not None:
        figure = charts.lifecycle_snapshot(lifecycle.funnel(scored, scored["lifecycle_stage"], settings.lifecycle),
                                           lang)
    else:
        as_of = scored.attrs["as_of"]
        figure = charts.cohort_funnel(cache_lifecycle.cohort_funnel(ctx, as_of, *funnel.default_period(as_of),
                                                                    funnel.DEFAULT_WINDOW_DAYS), lang)
    height = CHART_HEIGHT
else:
    figure = None
if figure is not None:
    figure, notes = charts.without_notes(figure)  # as text under the chart: they squeezed its plot
    st.plotly_chart(charts.for_projector(figure, height=height, slide_title=True), key=f"slide_{slide}",
                    config={"displayModeBar": False})
    if notes:
        st.markdown(f'<p class="present-notes">{t("actions.list_separator", lang).join(notes)}</p>',
                    unsafe_allow_html=True)  # our own sentences, their figures and names already plain()
    if slide == "matrix":
        st.markdown(" ".join(exports.class_money_sentences(scored, lang)))
else:
    alerts = lifecycle.at_risk_alerts(scored)
    top = alerts.head(AT_RISK_ROWS)
    st.markdown(f"### {t('present.at_risk_lead', lang, n=format_count(len(alerts)), k=len(top), value=format_money(top['clv'].sum(), lang))}")
    table = pd.DataFrame({
        t("feat.name", lang): top["name"].fillna(top["customer_id"]).astype(str),
        t("feat.tier", lang): [t(f"tier.{x}", lang) for x in top["tier"]],
        t("present.silent_days", lang): [format_count(x) for x in top["days_since_last_order"]],
        t("present.usual_gap", lang): ["—" if pd.isna(x) else format_count(round(x)) for x in top["mean_gap_days"]],
        t("feat.clv", lang): [format_money(x, lang) for x in top["clv"]],
    })
    st.markdown(table.to_html(index=False, classes="present-table", escape=True), unsafe_allow_html=True)

# Only the dimensions this dataset scores, with the weight they carry.
available = set(scored.attrs["dimensions"].available) if scored.attrs.get("dimensions") else None
weights = " · ".join(f"{exports.dimension_label(d, lang)} {v:g}" for d, v in settings.weights.as_dict().items()
                     if v > 0 and (available is None or d in available))
footer = t("present.footer", lang, dataset=ctx.dataset, as_of=str(ctx.as_of), weights=weights,
           a=format_pct(settings.tiers.a), b=format_pct(settings.tiers.b), c=format_pct(settings.tiers.c),
           at_risk=settings.lifecycle.at_risk_days)
st.markdown(f'<div class="present-footer"><p>{html.escape(footer)}</p></div>', unsafe_allow_html=True)

# → ← PageDown PageUp Space move, Esc leaves: a listener on the page (this frame is same-origin),
# acting only while a slide is on screen and no field has focus. Each rerun may draw this frame
# anew, so the listener it adds replaces the one an earlier frame added.
st.iframe("""
<script>
const host = window.parent, doc = host.document;
if (host.__valuationPresentKeys) doc.removeEventListener("keydown", host.__valuationPresentKeys);
host.__valuationPresentKeys = (e) => {
  if (!doc.querySelector(".st-key-present_next button") || e.altKey || e.ctrlKey || e.metaKey) return;
  const active = doc.activeElement;
  if (active && (["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName) || active.isContentEditable)) return;
  const key = {ArrowRight: "next", PageDown: "next", " ": "next", ArrowLeft: "prev", PageUp: "prev",
               Escape: "exit"}[e.key];
  // the visible one: a button with a tooltip has a hidden twin
  const button = key && [...doc.querySelectorAll(".st-key-present_" + key + " button, .st-key-present_" + key + " a")]
      .find((el) => el.offsetParent !== null);
  if (button) { e.preventDefault(); button.click(); }
};
doc.addEventListener("keydown", host.__valuationPresentKeys);
</script>
""", height="content")
