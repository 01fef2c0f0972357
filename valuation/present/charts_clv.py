"""CLV figures: CLV by tier, holdout fit, P(alive) matrix and the formula calculator's curve."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from valuation.i18n.format import format_count, format_money, format_pct
from valuation.i18n.text import t
from valuation.model import tiers
from valuation.present.style import (ACCENT_COLOR, MAX_POINTS, TIER_COLORS, _empty, _finish, _money_axis, _require, _rgba,
                                     plain)

# --------------------------------------------------------------------------- 10. CLV by tier


def _box_stats(values: np.ndarray) -> dict:
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    iqr = q3 - q1
    # Whiskers end at the furthest data point within 1.5 IQR (Tukey), as plotly draws them.
    lower = values[values >= q1 - 1.5 * iqr].min()
    upper = values[values <= q3 + 1.5 * iqr].max()
    return dict(q1=q1, median=median, q3=q3, lowerfence=lower, upperfence=upper, mean=values.mean())


def clv_by_tier(scored: pd.DataFrame, lang: str = "en") -> go.Figure:
    """CLV distribution per tier (A–D and below zero) as boxes built from precomputed quantiles.

    Only five numbers and a mean per tier reach the browser, never a point per
    customer. Needs ``tier`` and ``clv``.
    """
    _require(scored, ["tier", "clv"], "clv_by_tier")
    title, subtitle = t("chart.clv.title", lang), t("chart.clv.subtitle", lang)
    codes = [c for c in list(tiers.PYRAMID) + ["below_zero"]]
    groups = {c: pd.to_numeric(scored.loc[scored["tier"] == c, "clv"], errors="coerce").dropna().to_numpy(float)
              for c in codes}
    groups = {c: v for c, v in groups.items() if v.size}
    if not groups:
        return _empty(title, lang, subtitle)
    stats = {c: _box_stats(v) for c, v in groups.items()}
    divisor, axis = _money_axis([s[k] for s in stats.values() for k in ("lowerfence", "upperfence")], lang,
                                t("feat.clv", lang))
    fig = go.Figure()
    for c, s in stats.items():
        label = t(f"tier.{c}", lang)
        fig.add_trace(go.Box(
            x=[label], name=label, boxpoints=False, hoverinfo="skip",
            **{k: [s[k] / divisor] for k in ("q1", "median", "q3", "lowerfence", "upperfence", "mean")},
            marker=dict(color=TIER_COLORS[c]), line=dict(color=TIER_COLORS[c]),
            fillcolor=_rgba(TIER_COLORS[c], 0.35)))
    # One invisible point per tier carries the hover, in the reader's language and money format.
    hover = [t("chart.clv.hover", lang, tier=t(f"tier.{c}", lang), count=format_count(groups[c].size),
               **{k: format_money(s[key], lang) for k, key in (("upper", "upperfence"), ("q3", "q3"),
                                                              ("median", "median"), ("q1", "q1"),
                                                              ("lower", "lowerfence"), ("mean", "mean"))})
             for c, s in stats.items()]
    fig.add_trace(go.Scatter(
        x=[t(f"tier.{c}", lang) for c in stats], y=[s["median"] / divisor for s in stats.values()],
        mode="markers", marker=dict(size=18, opacity=0), customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", showlegend=False, name=title))
    fig.update_yaxes(**axis)
    return _finish(fig, title, subtitle, legend=False, height=460)


# --------------------------------------------------------------------------- 11. holdout


def holdout_chart(holdout_df: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Actual against predicted mean holdout repeat purchases by calibration frequency.

    The check of Fig. 4 in Fader, Hardie & Lee (2005).
    Takes :func:`valuation.model.clv.holdout_by_frequency` output: index ``frequency``,
    columns ``label`` ("0" … "7+"), ``customers``, ``actual``, ``predicted``
    (``frequency`` as a column works too).
    """
    _require(holdout_df, ["actual", "predicted"], "holdout_chart")
    title, subtitle = t("chart.holdout.title", lang), t("chart.holdout.subtitle", lang)
    if holdout_df.empty:
        return _empty(title, lang, subtitle)
    if "label" in holdout_df:
        x = holdout_df["label"].astype(str).tolist()
    elif "frequency" in holdout_df:
        x = holdout_df["frequency"].astype(str).tolist()
    else:
        x = [str(i) for i in holdout_df.index]
    customers = (holdout_df["customers"].fillna(0).astype(int).to_numpy() if "customers" in holdout_df
                 else np.zeros(len(holdout_df), dtype=int))
    fig = go.Figure()
    for key, column, color, dash in (("chart.holdout.actual", "actual", "#333333", "solid"),
                                     ("chart.holdout.predicted", "predicted", ACCENT_COLOR, "dash")):
        series = t(key, lang)
        v = holdout_df[column].to_numpy(dtype=float)
        hover = [t("chart.holdout.hover", lang, series=series, frequency=f, count=format_count(n),
                   value="—" if not np.isfinite(y) else f"{y:.2f}") for f, y, n in zip(x, v, customers)]
        fig.add_trace(go.Scatter(x=x, y=v, name=series, mode="lines+markers", customdata=hover,
                                 hovertemplate="%{customdata}<extra></extra>",
                                 line=dict(color=color, dash=dash, width=2.5), marker=dict(size=8)))
    fig.update_xaxes(title=dict(text=t("chart.holdout.x", lang)), type="category")
    fig.update_yaxes(title=dict(text=t("chart.holdout.y", lang)), rangemode="tozero")
    return _finish(fig, title, subtitle, height=420)


# --------------------------------------------------------------------------- 12. P(alive)

P_ALIVE_SCALE = [[0.0, "#F7FBFF"], [0.5, "#6BAED6"], [1.0, "#08306B"]]


def p_alive_heatmap(matrix: pd.DataFrame, lang: str = "en", *, time_unit: str = "W") -> go.Figure:
    """P(alive) for each frequency (rows, y) and recency (columns, x), values 0–1.

    Takes :func:`valuation.model.clv.probability_alive_matrix` output. Grids over
    :data:`MAX_POINTS` cells are thinned to every k-th row and column (with a note).
    ``time_unit`` ("W" or "D") names the recency unit on the axis.
    """
    title, subtitle = t("chart.palive.title", lang), t("chart.palive.subtitle", lang)
    if matrix.size == 0:
        return _empty(title, lang, subtitle)
    notes = []
    grid = matrix
    if matrix.size > MAX_POINTS:
        step = int(math.ceil(math.sqrt(matrix.size / MAX_POINTS)))
        grid = matrix.iloc[::step, ::step]
        notes.append(t("chart.note.grid_thinned", lang, step=step, shown=format_count(grid.size),
                       total=format_count(matrix.size)))
    unit = t(f"chart.unit.{time_unit}", lang)
    z = grid.to_numpy(dtype=float)
    hover = [[t("chart.palive.hover", lang, frequency=f, recency=r, unit=unit,
                p="—" if not np.isfinite(z[i, j]) else format_pct(z[i, j]))
              for j, r in enumerate(grid.columns)] for i, f in enumerate(grid.index)]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(grid.columns), y=list(grid.index), zmin=0, zmax=1, colorscale=P_ALIVE_SCALE,
        colorbar=dict(title=dict(text=t("feat.p_alive", lang)), tickformat=".0%"),
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_xaxes(title=dict(text=t("chart.palive.x", lang, unit=unit)))
    fig.update_yaxes(title=dict(text=t("chart.palive.y", lang)))
    return _finish(fig, title, subtitle, notes, legend=False, height=480)


# --------------------------------------------------------------------------- 13. formula CLV


_STREAM_COLORS = ("#08306B", "#2171B5", "#6BAED6", "#009E73", "#56B4E9", "#A0A0A0", "#CC79A7", "#E69F00", "#D55E00")


def streams_chart(schedule: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Present value of the profit per year, stacked by purchase stream
    (:func:`valuation.model.clv.stream_schedule`): where a long relationship's value comes from."""
    _require(schedule, ["year", "stream", "present_value"], "streams_chart")
    title = t("chart.streams.title", lang, value=format_money(float(schedule["present_value"].sum()), lang))
    if schedule.empty:
        return _empty(title, lang)
    divisor, axis = _money_axis(schedule.groupby("year")["present_value"].sum().to_numpy(), lang,
                                t("chart.streams.value", lang))
    fig = go.Figure()
    for i, (name, part) in enumerate(schedule.groupby("stream", sort=False)):
        fig.add_trace(go.Bar(x=part["year"], y=part["present_value"] / divisor, name=plain(name),
                             marker=dict(color=_STREAM_COLORS[i % len(_STREAM_COLORS)]),
                             customdata=[format_money(v, lang) for v in part["present_value"]],
                             hovertemplate=f"{plain(name)} · %{{x}}: %{{customdata}}<extra></extra>"))
    fig.update_yaxes(**axis)
    fig.update_xaxes(title=dict(text=t("chart.streams.year", lang)), dtick=1)
    fig = _finish(fig, title, t("chart.streams.subtitle", lang), height=480)
    # Nine streams: the legend goes beside the plot, not over the title.
    fig.update_layout(barmode="stack", legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top",
                                                   font=dict(size=11)),
                      margin=dict(r=260, t=90))
    return fig


def formula_clv_chart(table: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Discounted margin per period (bars) and the running CLV (line) of :func:`valuation.model.clv.formula_clv_table`.

    Needs ``period``, ``discounted_margin`` and ``cumulative_clv``.
    """
    _require(table, ["period", "discounted_margin", "cumulative_clv"], "formula_clv_chart")
    if table.empty:
        return _empty(t("chart.formula.title", lang, clv="—", periods=0), lang)
    periods = table["period"].to_numpy()
    bars = table["discounted_margin"].to_numpy(dtype=float)
    line = table["cumulative_clv"].to_numpy(dtype=float)
    title = t("chart.formula.title", lang, clv=format_money(line[-1], lang), periods=format_count(len(table)))
    divisor, axis = _money_axis(np.concatenate([bars, line]), lang, t("chart.formula.value", lang))
    fig = go.Figure()
    for key, values in (("chart.formula.bars", bars), ("chart.formula.line", line)):
        series = t(key, lang)
        hover = [t("chart.formula.hover", lang, period=p, series=series, value=format_money(v, lang))
                 for p, v in zip(periods, values)]
        common = dict(x=periods, y=values / divisor, name=series, customdata=hover,
                      hovertemplate="%{customdata}<extra></extra>")
        if key == "chart.formula.bars":
            fig.add_trace(go.Bar(**common, marker=dict(color=TIER_COLORS["C"])))
        else:
            fig.add_trace(go.Scatter(**common, mode="lines+markers" if len(periods) <= 60 else "lines",
                                     line=dict(color=TIER_COLORS["A"], width=2.5), marker=dict(size=5)))
    fig.update_yaxes(**axis)
    fig.update_xaxes(title=dict(text=t("chart.axis.period", lang)))
    return _finish(fig, title, t("chart.formula.subtitle", lang), height=420)
