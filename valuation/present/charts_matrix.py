"""The value matrix: actual value (net CLV) against strategic value, in money on log axes (seed 000)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from valuation.i18n.format import currency_symbol, format_count, format_money, uses_wan
from valuation.i18n.text import t
from valuation.model.settings import ClassRules
from valuation.present.style import CLASS_COLORS, _empty, _finish, _require, _sample_positions, plain

_MATRIX_LAYER_ORDER = ("maintain", "growable", "most_valuable", "below_zero")  # red drawn last, on top
_EDGE = 0.6  # a value under an axis' lowest decade is drawn at 0.6 × that decade: a strip along the edge


def _log_bounds(values: np.ndarray) -> tuple[float, float]:
    """Decades around the positive values (the lowest 5% left to the edge strip, so a few
    ¥3 customers do not stretch the axis over five decades)."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return 1.0, 10.0
    low = 10.0 ** math.floor(math.log10(max(float(np.quantile(positive, 0.05)), 1.0)))
    high = 10.0 ** math.ceil(math.log10(max(float(positive.max()), low * 10)))
    return low, high


def _log_axis(low: float, high: float, lang: str, title: str) -> dict:
    """A log axis from ``_EDGE × low`` to ``high``, ticks at the decades in the reader's money."""
    ticks = [10.0 ** k for k in range(int(round(math.log10(low))), int(round(math.log10(high))) + 1)]
    return dict(type="log", range=[math.log10(low * _EDGE * 0.8), math.log10(high) + 0.05], tickvals=ticks,
                ticktext=[_decade(v, lang) for v in ticks], title=dict(text=title), zeroline=False)


def _decade(value: float, lang: str) -> str:
    """A round amount as a tick in the current currency: ¥1,000 · ¥1万 · ¥100万 · ¥1亿 for the yuan in
    Chinese; ¥1K · ¥100K · ¥1M in English, and for every other currency ($1K, US$1M in Chinese)."""
    steps = ((1e8, "亿"), (1e4, "万")) if uses_wan(lang=lang) else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    symbol = currency_symbol(lang=lang)
    for size, unit in steps:
        if value >= size:
            return f"{symbol}{value / size:,.0f}{unit}"
    return f"{symbol}{value:,.0f}"


def value_matrix(scored: pd.DataFrame, lang: str = "en", class_rules: ClassRules = ClassRules()) -> go.Figure:
    """Actual value (x, net CLV in ¥) against strategic value (y, ¥), log axes, coloured by value class.

    Customers with orders only. Values under an axis' lowest decade (a loss, nothing, no wallet
    estimate) sit in a strip along that edge, counted in a note; the hover shows the true
    figures. The dashed lines are the class boundaries: the smallest actual value among the most
    valuable, the smallest strategic value among the growable. Without any wallet estimate the
    y axis is the growth score (0–100) and its line the rule's ``growth_cut``. At most
    :data:`MAX_POINTS` customers are drawn (a seeded sample, said in a note); the labels count
    every customer. Needs ``actual_value``, ``strategic_value`` and ``value_class``.
    """
    _require(scored, ["actual_value", "strategic_value", "value_class"], "value_matrix")
    title, subtitle = t("chart.matrix.title", lang), t("chart.matrix.subtitle", lang)
    # Only the columns drawn, and only the sampled rows' text: filtering a million rows of every
    # column took ~1 s, and a million class names as Python strings 0.05 s.
    scored = scored[[c for c in ("customer_id", "name", "tier", "actual_value", "strategic_value", "growth",
                                 "value_class", "has_orders") if c in scored]]
    if "has_orders" in scored:
        prospect = ~scored["has_orders"].to_numpy(dtype=bool)
    else:
        prospect = (scored["value_class"] == "prospect").to_numpy()
    prospects = int(prospect.sum())
    rows = np.flatnonzero(~prospect)  # the matrix is about customers who buy: prospects have no actual value yet
    if len(rows) == 0:
        return _empty(title, lang, subtitle)
    codes, names = pd.factorize(scored["value_class"], use_na_sentinel=True)
    names = np.append(np.asarray(names, dtype=object), None)  # code -1 (no class) takes the None
    buyer_codes = np.where(codes[rows] < 0, len(names) - 1, codes[rows])
    classes = names[buyer_codes]  # the few names, referenced: no string made per customer
    counts = pd.Series(np.bincount(buyer_codes, minlength=len(names)), index=names)
    actual = scored["actual_value"].to_numpy(dtype=float)[rows]
    strategic = scored["strategic_value"].to_numpy(dtype=float)[rows]
    money_y = bool(np.isfinite(strategic).any()) or "growth" not in scored
    x_low, x_high = _log_bounds(actual)
    notes = []
    edge_x = int(np.count_nonzero(~(actual >= x_low)))
    if edge_x:
        notes.append(t("chart.matrix.edge_x", lang, count=format_count(edge_x), low=_decade(x_low, lang)))
    if money_y:
        y_low, y_high = _log_bounds(strategic)
        no_wallet = int(np.count_nonzero(np.isnan(strategic)))
        edge_y = int(np.count_nonzero(~(strategic >= y_low))) - no_wallet
        if edge_y:
            notes.append(t("chart.matrix.edge_y", lang, count=format_count(edge_y), low=_decade(y_low, lang)))
        if no_wallet:
            notes.append(t("chart.matrix.no_wallet_some", lang, count=format_count(no_wallet)))
    else:
        notes.append(t("chart.matrix.no_wallet", lang, cut=f"{class_rules.growth_cut:g}"))
    positions = _sample_positions(scored, rows=rows)
    sampled = positions is not None
    shown = scored.take(positions if sampled else rows)
    if sampled:
        notes.insert(0, t("chart.note.sampled", lang, shown=format_count(len(shown)),
                          total=format_count(len(rows))))
    if prospects:
        notes.append(t("chart.note.prospects_excluded", lang, count=format_count(prospects)))
    who = pd.Series("", index=shown.index, dtype="string")
    for column in ("customer_id", "name"):  # the name when there is one, else the id
        if column in shown:
            who = shown[column].astype("string").fillna(who)
    who = who.fillna("").map(plain).to_numpy(dtype=object)  # names are text: see plain()
    a_shown = shown["actual_value"].to_numpy(dtype=float)
    s_shown = shown["strategic_value"].to_numpy(dtype=float)
    x = np.where(a_shown >= x_low, a_shown, x_low * _EDGE)
    if money_y:
        y = np.where(s_shown >= y_low, s_shown, y_low * _EDGE)
        y_text = [format_money(v, lang) if np.isfinite(v) else t("chart.matrix.no_estimate", lang) for v in s_shown]
    else:
        y = shown["growth"].to_numpy(dtype=float)
        y_text = [f"{v:.0f}" for v in y]
    custom = np.column_stack([who, [format_money(v, lang) for v in a_shown], y_text]) if len(shown) else None
    y_title = t("chart.matrix.y_money" if money_y else "chart.matrix.y_growth", lang)
    hover = (f"%{{customdata[0]}}<br>{t('chart.matrix.x_money', lang)} %{{customdata[1]}}"
             f"<br>{y_title} %{{customdata[2]}}<extra>%{{fullData.name}}</extra>")
    fig = go.Figure()
    shown_classes = shown["value_class"].to_numpy(dtype=object)
    for cls in _MATRIX_LAYER_ORDER:
        mask = shown_classes == cls
        if not mask.any():
            continue
        fig.add_trace(go.Scatter(
            x=x[mask], y=y[mask], mode="markers", name=t(f"class.{cls}", lang), customdata=custom[mask],
            hovertemplate=hover, marker=dict(color=CLASS_COLORS[cls], size=6, opacity=0.65, line=dict(width=0))))
    # The boundaries as the data draw them (lines as traces: data coordinates on log axes).
    most = actual[classes == "most_valuable"]
    y_bottom, y_top = (y_low * _EDGE * 0.8, y_high) if money_y else (-2.0, 102.0)
    dash = dict(color="#777777", dash="dash", width=1.2)
    if most.size:
        a_cut = float(most.min())
        fig.add_trace(go.Scatter(x=[a_cut, a_cut], y=[y_bottom, y_top], mode="lines", line=dash,
                                 hoverinfo="skip", showlegend=False))
        grow = strategic[classes == "growable"] if money_y else np.array([class_rules.growth_cut])
        if grow.size:  # growable customers are left of the most valuable, so the line stops there
            g_cut = float(np.nanmin(grow))
            fig.add_trace(go.Scatter(x=[x_low * _EDGE * 0.8, a_cut], y=[g_cut, g_cut], mode="lines", line=dash,
                                     hoverinfo="skip", showlegend=False))

    def corner(cls, x_pos, y_pos, xanchor, yanchor):
        fig.add_annotation(
            xref="paper", yref="paper", x=x_pos, y=y_pos, xanchor=xanchor, yanchor=yanchor, showarrow=False,
            align=xanchor, text=t("chart.matrix.quadrant", lang, label=t(f"class.{cls}", lang),
                                  count=format_count(int(counts.get(cls, 0)))),
            font=dict(size=11, color=CLASS_COLORS[cls]), bgcolor="rgba(255, 255, 255, 0.8)")

    corner("most_valuable", 1, 1, "right", "top")
    corner("growable", 0.01, 1, "left", "top")
    corner("maintain", 0.01, 0, "left", "bottom")
    corner("below_zero", 1, 0, "right", "bottom")
    fig.update_xaxes(**_log_axis(x_low, x_high, lang, t("chart.matrix.x_money", lang)))
    if money_y:
        fig.update_yaxes(**_log_axis(y_low, y_high, lang, y_title))
    else:
        fig.update_yaxes(title=dict(text=y_title), range=[-2, 102], zeroline=False)
    return _finish(fig, title, subtitle, notes, height=560)


