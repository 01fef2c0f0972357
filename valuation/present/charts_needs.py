"""Explore's needs-based segments (seed 003) for people: the chart, the table and each rule in words."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from valuation.i18n.format import format_count, format_pct
from valuation.i18n.text import t
from valuation.present.charts_explore import format_measure, measure_label
from valuation.present.style import BELOW_ZERO_RED, LINE_COLOR, NEUTRAL_COLOR, _empty, _finish, _label, _require

NEEDS_COLORS = {"price_sensitive": BELOW_ZERO_RED, "service_seeking": "#E69F00", "loyal": "#0072B2",
                "other": NEUTRAL_COLOR}


def needs_table(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A needs summary or customer list for people (:func:`labelled_table` after this): segment codes as
    names, the ``match_<segment>`` flags as one ``needs_all`` column of names, tiers as labels."""
    out = frame.copy()
    out.attrs = {}
    flags = [c for c in out.columns if c.startswith("match_")]
    if flags:
        names = {c: t(f"needs.segment.{c[len('match_'):]}", lang) for c in flags}
        sep = t("actions.list_separator", lang)
        at = list(out.columns).index(flags[0])
        joined = [sep.join(names[c] for c, hit in zip(flags, row) if hit)
                  for row in out[flags].itertuples(index=False)]
        out = out.drop(columns=flags)
        out.insert(at, "needs_all", joined)
    if "needs_segment" in out:
        out["needs_segment"] = [t(f"needs.segment.{v}", lang) for v in out["needs_segment"]]
    if "tier" in out:
        out["tier"] = [_label("tier", v, lang) for v in out["tier"]]
    return out


def needs_rules(thresholds: dict, offered, percentile: float, unit: bool, lang: str = "en") -> list[tuple[str, str]]:
    """(segment name, its rule in words with this dataset's cut-offs) for each offered segment, other last."""
    top = bottom = format_pct(1 - percentile)  # the top (or bottom) share of customers a cut-off keeps
    rules = []
    for name in offered:
        if name == "price_sensitive":
            parts = []
            if "below_median_share" in thresholds:
                parts.append(t("needs.rule.price_below", lang, share=format_pct(thresholds["below_median_share"]),
                               basis=t(f"needs.basis.{'unit' if unit else 'order'}", lang)))
            if "margin_rate" in thresholds:
                parts.append(t("needs.rule.price_margin", lang, margin=format_pct(thresholds["margin_rate"], 1),
                               bottom=bottom))
            text = t("needs.rule.or", lang).join(parts)
        elif name == "service_seeking":
            text = t("needs.rule.service_seeking", lang, rate=f"{thresholds['service_per_order']:.2f}", top=top)
        elif name == "loyal":
            text = t("needs.rule.loyal", lang, share=format_pct(thresholds["top_category_share"]), top=top,
                     days=f"{thresholds['purchase_days']:.0f}")
        else:
            text = t("needs.rule.other", lang)
        rules.append((t(f"needs.segment.{name}", lang), text))
    return rules


def needs_bars(summary: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Customers per needs segment (each counted once), coloured by segment; revenue and profit on hover."""
    _require(summary, ["needs_segment", "customers", "revenue_12m", "net_profit_12m"], "needs_bars")
    title = t("needs.chart_title", lang)
    if summary.empty:
        return _empty(title, lang)
    names = [t(f"needs.segment.{s}", lang) for s in summary["needs_segment"]]
    hover = [f"<b>{n}</b><br>" + "<br>".join(
        t("chart.explore.hover_measure", lang, measure=measure_label(m, lang), value=format_measure(m, v, lang))
        for m, v in (("customers", r.customers), ("revenue_12m", r.revenue_12m), ("net_profit_12m", r.net_profit_12m)))
        for n, r in zip(names, summary.itertuples(index=False))]
    fig = go.Figure(go.Bar(
        x=names, y=summary["customers"].to_numpy(dtype=float),
        marker={"color": [NEEDS_COLORS.get(s, LINE_COLOR) for s in summary["needs_segment"]]},
        text=[format_count(v) for v in summary["customers"]], textposition="outside", cliponaxis=False,
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title={"text": measure_label("customers", lang)})
    return _finish(fig, title, legend=False)

