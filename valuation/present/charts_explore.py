"""Plotly builders for the explore and value-over-time pages: pure, aggregated, in the house style."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from valuation.analysis import explore, snapshots
from valuation.i18n.format import format_count, format_date, format_money, format_pct, streamlit_money_format
from valuation.i18n.text import TEXT, t
from valuation.model import tiers
from valuation.present.style import (
    ACCENT_COLOR,
    BELOW_ZERO_RED,
    CLASS_COLORS,
    LINE_COLOR,
    MAX_POINTS,
    NEUTRAL_COLOR,
    STAGE_COLORS,
    TIER_COLORS,
    _empty,
    _finish,
    _label,
    _money_axis,
    _require,
    _rgba,
    plain,
)

SEQUENTIAL_SCALE = [[0.0, "#F7FBFF"], [0.5, "#6BAED6"], [1.0, "#08306B"]]
DIVERGING_SCALE = [[0.0, BELOW_ZERO_RED], [0.5, "#F7F7F7"], [1.0, "#08306B"]]
ABSENT_COLOR = "#E0E0E0"
RISE_COLOR = "#0072B2"
HEATMAP_TEXT_CELLS = 240  # above this many cells the values move to the hover only
MAX_BARS = 60  # more categories than this are unreadable as bars: the first ones (largest) are kept
MAX_HEATMAP_COLUMNS = 100
_VALUE_PREFIX = {"tier": "tier", "value_class": "class", "rfm_segment": "rfm", "rfm_class": "rfmc",
                 "lifecycle_stage": "stage", "grade_profit": "grade", "grade_potential": "grade",
                 "grade_loyalty": "grade"}
_VALUE_COLORS = {"tier": TIER_COLORS, "value_class": CLASS_COLORS, "lifecycle_stage": STAGE_COLORS}


# --------------------------------------------------------------------------- labels and formats


def value_label(dim: str, value, lang: str = "en") -> str:
    """A dimension value as a reader sees it: translated codes, 2025年3月 / Mar 2025, 2025 Q1, 2025."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == explore.UNKNOWN:
        return t("explore.unknown", lang)
    if value == snapshots.ABSENT:
        return t("dynamics.not_yet", lang)
    if dim in explore.TIME_DIMENSIONS:
        ts = pd.Timestamp(value)
        if dim == "month":
            return f"{ts.year}年{ts.month}月" if lang == "zh" else ts.strftime("%b %Y")
        if dim == "quarter":
            return t("explore.quarter_label", lang, year=ts.year, q=(ts.month - 1) // 3 + 1)
        return f"{ts.year}年" if lang == "zh" else str(ts.year)
    if dim in _VALUE_PREFIX:
        return _label(_VALUE_PREFIX[dim], value, lang)
    return str(value)


def chart_value_label(dim: str, value, lang: str = "en") -> str:
    """:func:`value_label` for a plotly figure: a region, industry or category from the data is
    text, never plotly markup (``<a href>``, ``<b>``), wherever it goes: ticks, hover, tiles, nodes."""
    return plain(value_label(dim, value, lang))


def dim_label(dim: str, lang: str = "en") -> str:
    return t(f"explore.dim.{dim}", lang)


def measure_label(measure: str, lang: str = "en") -> str:
    return t(f"explore.measure.{measure}", lang)


def format_measure(measure: str, value, lang: str = "en") -> str:
    """Money as money, counts as whole numbers, scores to one decimal, shares as percentages."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if measure in explore.MONEY_MEASURES or measure in ("mean_clv", "mean_cac", "change", "revenue_before",
                                                         "revenue_recent", "net_profit_12m"):
        return format_money(float(value), lang)
    if measure in ("customers", "orders"):
        return format_count(value)
    if measure.endswith("_share") or measure == "growth_rate":
        return format_pct(float(value))
    return f"{float(value):.1f}"


def slice_subtitle(dims, months: int | None, as_of, lang: str = "en") -> str:
    """What a slice covers: customers as of the date, or which orders (and that tiers are as of the date)."""
    when = format_date(as_of, lang)
    if not explore.is_order_level(dims):
        return t("explore.customers_as_of", lang, as_of=when)
    parts = [t("explore.period_months" if months else "explore.period_all", lang, n=months, as_of=when)]
    if any(d in explore.SCORED_DIMENSIONS for d in dims):
        parts.append(t("explore.scored_as_of", lang, as_of=when))
    return " · ".join(parts)


def _value_color(dim: str, value, measure_value: float | None = None) -> str:
    if measure_value is not None and np.isfinite(measure_value) and measure_value < 0:
        return BELOW_ZERO_RED
    palette = _VALUE_COLORS.get(dim)
    if palette is not None:
        return palette.get(value, NEUTRAL_COLOR)
    return NEUTRAL_COLOR if value == explore.UNKNOWN else LINE_COLOR


def _measure_axis(values, measure: str, lang: str, what: str | None = None) -> tuple[float, dict]:
    """Divisor and axis settings for a measure: money (万元 / ¥K), counts, 0–100 scores or shares."""
    what = what or measure_label(measure, lang)
    if measure in explore.MONEY_MEASURES:
        return _money_axis(values, lang, what)
    if measure.endswith("_share"):
        return 1.0, dict(title=dict(text=what), tickformat=".0%")
    return 1.0, dict(title=dict(text=what), separatethousands=True)


def _measure_line(measure: str, value, lang: str) -> str:
    return t("chart.explore.hover_measure", lang, measure=measure_label(measure, lang),
             value=format_measure(measure, value, lang))


# --------------------------------------------------------------------------- one dimension


def slice_bars(frame: pd.DataFrame, dim: str, measure: str, lang: str = "en", subtitle: str | None = None,
               notes=()) -> go.Figure:
    """One bar per value of ``dim`` for ``measure`` (a :func:`valuation.analysis.explore.slice_table` output).

    Rows keep the frame's order (time chronological, tiers canonical, the rest
    largest first). Negative bars are red. Needs ``dim`` and ``measure``.
    """
    _require(frame, [dim, measure], "slice_bars")
    title = t("chart.explore.bars_title", lang, measure=measure_label(measure, lang), dim=dim_label(dim, lang))
    values = pd.to_numeric(frame[measure], errors="coerce").to_numpy(dtype=float)
    if frame.empty or not np.isfinite(values).any():
        return _finish(_empty(title, lang, subtitle), title, subtitle, notes, legend=False)
    limit = MAX_POINTS if dim in explore.TIME_DIMENSIONS else MAX_BARS
    if len(frame) > limit:
        notes = [*notes, t("chart.explore.note_first_kept", lang, shown=format_count(limit),
                           total=format_count(len(frame)))]
        frame, values = frame.iloc[:limit], values[:limit]
    labels = [chart_value_label(dim, v, lang) for v in frame[dim]]
    divisor, axis = _measure_axis(values, measure, lang)
    hover = []
    for i, (label, row) in enumerate(zip(labels, frame.itertuples(index=False))):
        lines = [f"<b>{label}</b>", _measure_line(measure, values[i], lang)]
        if measure != "customers" and "customers" in frame:
            lines.append(t("chart.hover.customers", lang, count=format_count(getattr(row, "customers"))))
        hover.append("<br>".join(lines))
    fig = go.Figure(go.Bar(
        x=labels, y=values / divisor, name=measure_label(measure, lang),
        marker=dict(color=[_value_color(dim, v, x) for v, x in zip(frame[dim], values)]),
        text=[format_measure(measure, x, lang) for x in values], textposition="outside", cliponaxis=False,
        customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    fig.update_yaxes(**axis)
    fig.update_xaxes(title=dict(text=dim_label(dim, lang)), type="category")
    if len(labels) > 12:
        fig.update_traces(textposition="none")
    return _finish(fig, title, subtitle, notes, legend=False, height=440)


def slice_treemap(frame: pd.DataFrame, dim: str, measure: str, lang: str = "en", subtitle: str | None = None,
                  notes=()) -> go.Figure:
    """The same slice as a treemap: tile area = the measure (negative values cannot have an area).

    For a mean measure (composite) the area is the customer count and the colour the mean.
    """
    _require(frame, [dim, measure], "slice_treemap")
    title = t("chart.explore.treemap_title", lang, measure=measure_label(measure, lang), dim=dim_label(dim, lang))
    values = pd.to_numeric(frame[measure], errors="coerce").to_numpy(dtype=float)
    notes = list(notes)
    mean_measure = measure in explore.MEAN_MEASURES
    size = frame["customers"].to_numpy(dtype=float) if mean_measure and "customers" in frame else values
    keep = np.isfinite(size) & (size > 0)
    dropped = int((np.isfinite(size) & (size < 0)).sum())
    if dropped:
        notes.append(t("chart.explore.note_negative_left_out", lang, n=format_count(dropped)))
    if not keep.any():
        return _finish(_empty(title, lang, subtitle), title, subtitle, notes, legend=False)
    if keep.sum() > MAX_POINTS:  # keep the largest tiles
        cut = np.sort(size[keep])[::-1][MAX_POINTS - 1]
        notes.append(t("chart.explore.note_first_kept", lang, shown=format_count(MAX_POINTS),
                       total=format_count(int(keep.sum()))))
        keep &= size >= cut
        keep &= np.cumsum(keep) <= MAX_POINTS
    part = frame.loc[keep]
    labels = [chart_value_label(dim, v, lang) for v in part[dim]]
    shown = values[keep]
    total = float(size[keep].sum())
    hover = [f"<b>{label}</b><br>{_measure_line(measure, v, lang)}"
             + ("" if mean_measure else f"<br>{t('chart.explore.share_of_total', lang, share=format_pct(s / total))}")
             for label, v, s in zip(labels, shown, size[keep])]
    text = [f"{label}<br>{format_measure(measure, v, lang)}" for label, v in zip(labels, shown)]
    marker = (dict(colors=shown, colorscale=SEQUENTIAL_SCALE, cmin=0, cmax=100,
                   colorbar=dict(title=dict(text=measure_label(measure, lang))))
              if mean_measure else
              dict(colors=[_value_color(dim, v) for v in part[dim]]))
    fig = go.Figure(go.Treemap(
        labels=labels, parents=[""] * len(labels), values=size[keep], text=text, textinfo="text",
        marker=marker, customdata=hover, hovertemplate="%{customdata}<extra></extra>", branchvalues="remainder",
        name=title, sort=False))
    if mean_measure:
        notes.append(t("chart.explore.note_area_customers", lang))
    return _finish(fig, title, subtitle, notes, legend=False, height=460)


# --------------------------------------------------------------------------- two dimensions


def slice_heatmap(grid: pd.DataFrame, measure: str, lang: str = "en", subtitle: str | None = None,
                  notes=()) -> go.Figure:
    """A two-dimensional slice as a heatmap: rows and columns from :func:`valuation.analysis.explore.pivot`.

    The grid's ``index.name`` and ``columns.name`` are the dimensions. A measure
    that can be negative (profit) gets a diverging scale centred on zero. Grids
    over :data:`~valuation.present.style.MAX_POINTS` cells keep the largest rows.
    """
    d0, d1 = grid.index.name, grid.columns.name
    title = t("chart.explore.heatmap_title", lang, measure=measure_label(measure, lang),
              rows=dim_label(str(d0), lang), cols=dim_label(str(d1), lang))
    notes = list(notes)
    if grid.size == 0 or not np.isfinite(grid.to_numpy(dtype=float)).any():
        return _finish(_empty(title, lang, subtitle), title, subtitle, notes, legend=False)
    if grid.shape[1] > MAX_HEATMAP_COLUMNS:
        notes.append(t("chart.explore.note_columns_kept", lang, shown=format_count(MAX_HEATMAP_COLUMNS),
                       total=format_count(grid.shape[1])))
        grid = grid.iloc[:, :MAX_HEATMAP_COLUMNS]
    if grid.size > MAX_POINTS:
        keep = max(1, MAX_POINTS // grid.shape[1])
        notes.append(t("chart.explore.note_rows_kept", lang, shown=format_count(keep),
                       total=format_count(grid.shape[0])))
        grid = grid.iloc[:keep]
    z = grid.to_numpy(dtype=float)
    finite = z[np.isfinite(z)]
    negative = finite.size and finite.min() < 0
    divisor, axis = _measure_axis(finite, measure, lang)
    rows = [chart_value_label(d0, v, lang) for v in grid.index]
    cols = [chart_value_label(d1, v, lang) for v in grid.columns]
    cell_text = [[format_measure(measure, z[i, j], lang) if np.isfinite(z[i, j]) else "" for j in range(z.shape[1])]
                 for i in range(z.shape[0])]
    hover = [[f"<b>{rows[i]} · {cols[j]}</b><br>{measure_label(measure, lang)}: "
              f"{format_measure(measure, z[i, j], lang) if np.isfinite(z[i, j]) else '—'}"
              for j in range(z.shape[1])] for i in range(z.shape[0])]
    colorbar = dict(title=dict(text=axis["title"]["text"]))
    for key in ("tickformat", "tickprefix"):
        if key in axis:
            colorbar[key] = axis[key]
    heat = dict(z=z / divisor, x=cols, y=rows, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
                colorbar=colorbar, xgap=1, ygap=1, name=title)
    if negative:
        peak = float(np.abs(finite).max()) / divisor
        heat.update(colorscale=DIVERGING_SCALE, zmid=0, zmin=-peak, zmax=peak)
    else:
        heat.update(colorscale=SEQUENTIAL_SCALE, zmin=0)
    if z.size <= HEATMAP_TEXT_CELLS:
        heat.update(text=cell_text, texttemplate="%{text}", textfont=dict(size=11))
    fig = go.Figure(go.Heatmap(**heat))
    fig.update_xaxes(title=dict(text=dim_label(str(d1), lang)), type="category", side="bottom")
    fig.update_yaxes(title=dict(text=dim_label(str(d0), lang)), type="category", autorange="reversed")
    return _finish(fig, title, subtitle, notes, legend=False, height=max(380, 120 + 34 * len(rows)))


# --------------------------------------------------------------------------- three dimensions


def segment_chart(cube: pd.DataFrame, path, measure: str = "customers", lang: str = "en",
                  kind: str = "sunburst", subtitle: str | None = None) -> go.Figure:
    """Tier × behaviour segment × region (or any path of customer dimensions) as a sunburst or treemap.

    ``cube`` is :func:`valuation.analysis.explore.customer_slice` by ``path``; ``measure`` is
    additive (customers, revenue_12m, clv). Inner rings carry the sums of their
    children; the tier colour runs through each branch, lighter with depth.
    Negative cells have no area and are left out with a note.
    """
    path = list(path)
    _require(cube, [*path, measure], "segment_chart")
    title = t("chart.explore.segments_title", lang, path=" › ".join(dim_label(d, lang) for d in path),
              measure=measure_label(measure, lang))
    values = pd.to_numeric(cube[measure], errors="coerce").fillna(0.0)
    notes = []
    dropped = int((values < 0).sum())
    if dropped:
        notes.append(t("chart.explore.note_negative_left_out", lang, n=format_count(dropped)))
    leaves = cube.assign(_v=values)[values > 0]
    if leaves.empty:
        return _finish(_empty(title, lang, subtitle), title, subtitle, notes, legend=False)
    # Inner rings add at most a node per leaf, so half the budget goes to the leaves (the largest).
    if len(leaves) > MAX_POINTS // 2:
        notes.append(t("chart.explore.note_first_kept", lang, shown=format_count(MAX_POINTS // 2),
                       total=format_count(len(leaves))))
        leaves = leaves.sort_values("_v", ascending=False, kind="mergesort").head(MAX_POINTS // 2)
        leaves = leaves.sort_index()
    total = float(leaves["_v"].sum())
    ids, labels, parents, sizes, colors, hover = [], [], [], [], [], []
    for depth in range(len(path)):
        level = leaves.groupby(path[:depth + 1], sort=False)["_v"].sum()
        for key, v in level.items():
            key = key if isinstance(key, tuple) else (key,)
            # Ids are not labels, but a treemap's path bar can show them: escaped like the labels.
            ids.append("/".join(plain(k) for k in key))
            labels.append(chart_value_label(path[depth], key[-1], lang))
            parents.append("/".join(plain(k) for k in key[:-1]))
            sizes.append(float(v))
            base = _value_color(path[0], key[0])
            colors.append(_rgba(base, [1.0, 0.7, 0.45, 0.3][min(depth, 3)]) if base.startswith("#") else base)
            trail = " › ".join(chart_value_label(path[i], key[i], lang) for i in range(depth + 1))
            hover.append(f"<b>{trail}</b><br>{_measure_line(measure, v, lang)}"
                         f"<br>{t('chart.explore.share_of_total', lang, share=format_pct(v / total, 1))}")
    trace = go.Sunburst if kind == "sunburst" else go.Treemap
    extra = dict(insidetextorientation="radial") if kind == "sunburst" else dict(textinfo="label+percent root")
    fig = go.Figure(trace(ids=ids, labels=labels, parents=parents, values=sizes, branchvalues="total",
                          marker=dict(colors=colors, line=dict(color="white", width=1)), customdata=hover,
                          hovertemplate="%{customdata}<extra></extra>", sort=False, name=title,
                          maxdepth=len(path), **extra))
    return _finish(fig, title, subtitle, notes, legend=False, height=620)


# --------------------------------------------------------------------------- CLV against acquisition cost


def clv_cac_chart(table: pd.DataFrame, lang: str = "en", by: str = "channel") -> go.Figure:
    """Mean CLV against mean acquisition cost per channel, the CLV/CAC ratio written over each pair.

    Takes :func:`valuation.analysis.explore.clv_vs_cac` output.
    """
    _require(table, [by, "mean_clv", "mean_cac", "clv_cac_ratio", "customers"], "clv_cac_chart")
    title, subtitle = t("chart.explore.clv_cac_title", lang), t("chart.explore.clv_cac_subtitle", lang)
    if table.empty:
        return _empty(title, lang, subtitle)
    labels = [chart_value_label(by, v, lang) for v in table[by]]
    clv = table["mean_clv"].to_numpy(dtype=float)
    cac = table["mean_cac"].to_numpy(dtype=float)
    divisor, axis = _money_axis(np.concatenate([clv, np.nan_to_num(cac)]), lang, t("chart.explore.per_customer", lang))
    fig = go.Figure()
    for key, values, color in (("chart.explore.mean_clv", clv, LINE_COLOR),
                               ("chart.explore.mean_cac", cac, ACCENT_COLOR)):
        series = t(key, lang)
        hover = [f"<b>{label}</b><br>"
                 + t("chart.explore.hover_measure", lang, measure=series, value=format_money(v, lang)) + "<br>"
                 + t("chart.hover.customers", lang, count=format_count(n))
                 for label, v, n in zip(labels, values, table["customers"])]
        fig.add_trace(go.Bar(x=labels, y=values / divisor, name=series, marker=dict(color=color),
                             customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    top = np.nanmax(np.concatenate([clv, cac])) / divisor if np.isfinite(np.concatenate([clv, cac])).any() else 1
    for label, ratio in zip(labels, table["clv_cac_ratio"].to_numpy(dtype=float)):
        text = t("chart.explore.ratio", lang, ratio="—" if not np.isfinite(ratio) else f"{ratio:.1f}")
        fig.add_annotation(x=label, y=top * 1.08, text=text, showarrow=False,
                           font=dict(size=12, color=BELOW_ZERO_RED if np.isfinite(ratio) and ratio < 1 else "#333333"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(**axis, range=[0, top * 1.18])
    fig.update_xaxes(title=dict(text=dim_label(by, lang)), type="category")
    return _finish(fig, title, subtitle, notes=[t("chart.explore.clv_cac_note", lang)], height=440)


# --------------------------------------------------------------------------- top and growing customers


def _customer_label(row) -> str:
    """Id and (shortened) name for a plotly label: the data's text, escaped as :func:`plain` says."""
    name = getattr(row, "name", None)
    name = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
    if len(name) > 16:
        name = name[:15] + "…"
    return plain(f"{row.customer_id} {name}".strip())  # cut first: an entity is never cut in half


def top_customers_chart(top: pd.DataFrame, by: str = "composite", lang: str = "en") -> go.Figure:
    """Horizontal bars of the top customers on ``by`` (from :func:`valuation.analysis.explore.top_customers`), best on top."""
    _require(top, ["customer_id", by], "top_customers_chart")
    what = t(f"feat.{by}", lang) if f"feat.{by}" in TEXT else measure_label(by, lang)
    title = t("chart.explore.top_title", lang, n=format_count(len(top)), measure=what)
    if top.empty:
        return _empty(title, lang)
    values = top[by].to_numpy(dtype=float)
    labels = [_customer_label(r) for r in top.itertuples(index=False)]
    divisor, axis = _measure_axis(values, by, lang, what)
    tier_col = top["tier"] if "tier" in top else pd.Series("C", index=top.index)
    hover = [f"<b>{label}</b><br>" + t("chart.explore.hover_measure", lang, measure=what,
                                          value=format_measure(by, v, lang))
             + ("<br>" + t("chart.explore.hover_measure", lang, measure=t("feat.tier", lang),
                                 value=_label("tier", tr, lang)) if "tier" in top else "")
             for label, v, tr in zip(labels, values, tier_col)]
    fig = go.Figure(go.Bar(
        y=labels, x=values / divisor, orientation="h", marker=dict(
            color=[BELOW_ZERO_RED if v < 0 else TIER_COLORS.get(tr, LINE_COLOR) for v, tr in zip(values, tier_col)]),
        text=[format_measure(by, v, lang) for v in values], textposition="outside", cliponaxis=False,
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(**axis)
    return _finish(fig, title, t("chart.explore.top_subtitle", lang), legend=False,
                   height=160 + 24 * len(labels))


def growth_chart(growers: pd.DataFrame, lang: str = "en", by: str = "rate", subtitle: str | None = None,
                 notes=()) -> go.Figure:
    """The fastest-growing customers (:func:`valuation.analysis.explore.fastest_growing`): growth rate or revenue gained."""
    _require(growers, ["customer_id", "revenue_before", "revenue_recent", "change", "growth_rate"], "growth_chart")
    measure = "growth_rate" if by == "rate" else "change"
    title = t(f"chart.explore.growth_title_{by}", lang, n=format_count(len(growers)))
    if growers.empty:
        return _finish(_empty(title, lang, subtitle), title, subtitle, notes, legend=False)
    labels = [_customer_label(r) for r in growers.itertuples(index=False)]
    values = growers[measure].to_numpy(dtype=float)
    hover = [t("chart.explore.growth_hover", lang, customer=label, before=format_money(r.revenue_before, lang),
               recent=format_money(r.revenue_recent, lang), change=format_money(r.change, lang),
               rate=format_measure("growth_rate", r.growth_rate, lang))
             for label, r in zip(labels, growers.itertuples(index=False))]
    if by == "rate":
        x, axis = values, dict(title=dict(text=t("explore.measure.growth_rate", lang)), tickformat=".0%")
    else:
        divisor, axis = _money_axis(values, lang, t("explore.measure.change", lang))
        x = values / divisor
    fig = go.Figure(go.Bar(
        y=labels, x=x, orientation="h", marker=dict(color=RISE_COLOR),
        text=[format_measure(measure, v, lang) for v in values], textposition="outside", cliponaxis=False,
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(**axis)
    return _finish(fig, title, subtitle, notes, legend=False, height=160 + 24 * len(labels))


# --------------------------------------------------------------------------- value over time


def _kind_prefix(kind: str) -> tuple[str, str, dict]:
    if kind == "stage":
        return "lifecycle_stage", "stage", STAGE_COLORS
    return "tier", "tier", TIER_COLORS


def snapshot_sankey(flow_frame: pd.DataFrame, lang: str = "en", kind: str = "tier") -> go.Figure:
    """Customers flowing between tiers (or stages) across consecutive snapshots: first → … → last.

    Takes :func:`valuation.analysis.snapshots.flows` output. One column of nodes per
    snapshot, labels in canonical order (A on top); customers not yet known at a
    snapshot flow from a grey "not yet" node.
    """
    _require(flow_frame, ["step", "from_snapshot", "to_snapshot", "source", "target", "customers"], "snapshot_sankey")
    column, prefix, colors = _kind_prefix(kind)
    title = t(f"chart.dynamics.sankey_title_{prefix}", lang)
    if flow_frame.empty:
        return _empty(title, lang)
    dates = sorted(set(flow_frame["from_snapshot"]) | set(flow_frame["to_snapshot"]))
    col_of = {d: i for i, d in enumerate(dates)}
    order = snapshots.label_order(column, list(flow_frame["source"]) + list(flow_frame["target"]))
    counts: dict[tuple[int, str], int] = {}
    for r in flow_frame.itertuples(index=False):
        i, j = col_of[r.from_snapshot], col_of[r.to_snapshot]
        if i == 0:
            counts[(i, r.source)] = counts.get((i, r.source), 0) + int(r.customers)
        counts[(j, r.target)] = counts.get((j, r.target), 0) + int(r.customers)
    nodes = sorted(counts, key=lambda k: (k[0], order.index(k[1])))
    index = {k: n for n, k in enumerate(nodes)}
    last = max(1, len(dates) - 1)
    x, y = [], []
    for c in range(len(dates)):
        column_nodes = [k for k in nodes if k[0] == c]
        total = sum(counts[k] for k in column_nodes) or 1
        cum = 0
        for k in column_nodes:
            x.append(min(max(c / last, 0.001), 0.999))
            y.append(min(max((cum + counts[k] / 2) / total, 0.001), 0.999))
            cum += counts[k]
    labels = [chart_value_label(column, k[1], lang) for k in nodes]
    node_colors = [ABSENT_COLOR if k[1] == snapshots.ABSENT else colors.get(k[1], NEUTRAL_COLOR) for k in nodes]
    node_hover = [t("chart.dynamics.node_hover", lang, label=label, date=format_date(dates[k[0]], lang),
                    count=format_count(counts[k])) for label, k in zip(labels, nodes)]
    src, dst, val, link_colors, link_hover = [], [], [], [], []
    for r in flow_frame.itertuples(index=False):
        a, b = (col_of[r.from_snapshot], r.source), (col_of[r.to_snapshot], r.target)
        src.append(index[a])
        dst.append(index[b])
        val.append(int(r.customers))
        base = ABSENT_COLOR if r.source == snapshots.ABSENT else colors.get(r.source, NEUTRAL_COLOR)
        link_colors.append(_rgba(base, 0.35))
        link_hover.append(t("chart.dynamics.link_hover", lang, before=chart_value_label(column, r.source, lang),
                            after=chart_value_label(column, r.target, lang),
                            start=format_date(r.from_snapshot, lang), end=format_date(r.to_snapshot, lang),
                            count=format_count(r.customers)))
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=labels, color=node_colors, x=x, y=y, pad=10, thickness=16,
                  line=dict(color="white", width=0.5), customdata=node_hover,
                  hovertemplate="%{customdata}<extra></extra>"),
        link=dict(source=src, target=dst, value=val, color=link_colors, customdata=link_hover,
                  hovertemplate="%{customdata}<extra></extra>")))
    for c, d in enumerate(dates):
        fig.add_annotation(text=f"<b>{format_date(d, lang)}</b>", x=c / last, y=1.06, xref="paper", yref="paper",
                           showarrow=False, xanchor="left" if c == 0 else ("right" if c == last else "center"))
    moved = int(flow_frame.loc[(flow_frame["source"] != flow_frame["target"])
                               & (flow_frame["source"] != snapshots.ABSENT), "customers"].sum())
    subtitle = t("chart.dynamics.sankey_subtitle", lang, moved=format_count(moved), steps=format_count(len(dates) - 1))
    fig = _finish(fig, title, subtitle, legend=False, height=560)
    fig.update_layout(margin=dict(t=fig.layout.margin.t + 20))
    return fig


SHARE_MEASURES = ("customers", "customer_share", "revenue_share", "profit_share")


def tier_shares_over_time(conc: pd.DataFrame, lang: str = "en", measure: str = "profit_share") -> go.Figure:
    """Each tier's customers or share of customers, revenue or profit per snapshot, as stacked bars.

    Takes :func:`valuation.analysis.snapshots.concentration_over_time`. The below-zero tier's
    negative profit share stacks under the zero line.
    """
    _require(conc, ["snapshot", "tier", measure], "tier_shares_over_time")
    title = t("chart.dynamics.shares_title", lang, measure=measure_label(measure, lang))
    subtitle = t("chart.dynamics.shares_subtitle", lang)
    if conc.empty:
        return _empty(title, lang, subtitle)
    dates = sorted(conc["snapshot"].unique())
    x = [format_date(d, lang) for d in dates]
    fig = go.Figure()
    for tier in list(tiers.PYRAMID) + ["below_zero"]:
        part = conc[conc["tier"] == tier].set_index("snapshot").reindex(dates)
        v = part[measure].fillna(0).to_numpy(dtype=float)
        if not np.any(v):
            continue
        label = t(f"tier.{tier}", lang)
        hover = [f"<b>{label} · {d}</b><br>{_measure_line(measure, s, lang)}<br>"
                 + t("chart.hover.customers", lang, count=format_count(n))
                 for d, s, n in zip(x, v, part["customers"].fillna(0).astype(int))]
        fig.add_trace(go.Bar(x=x, y=v, name=label, marker=dict(color=TIER_COLORS[tier]),
                             text=[format_measure(measure, s, lang) for s in v], textposition="inside",
                             insidetextanchor="middle", customdata=hover,
                             hovertemplate="%{customdata}<extra></extra>"))
    fig.update_layout(barmode="relative", uniformtext=dict(minsize=10, mode="hide"))
    _, axis = _measure_axis(conc[measure].to_numpy(dtype=float), measure, lang)
    fig.update_yaxes(**axis)
    fig.update_xaxes(title=dict(text=t("chart.dynamics.snapshot", lang)), type="category")
    return _finish(fig, title, subtitle, height=460)


def movers_chart(rising: pd.DataFrame, falling: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Diverging bars of composite change: the biggest risers (blue, on top) and fallers (red)."""
    for frame in (rising, falling):
        _require(frame, ["customer_id", "score_moved", "tier_before", "tier_after"], "movers_chart")
    title, subtitle = t("chart.dynamics.movers_title", lang), t("chart.dynamics.movers_subtitle", lang)
    both = pd.concat([rising, falling.iloc[::-1]], ignore_index=True)
    if both.empty:
        return _empty(title, lang, subtitle)
    labels = [_customer_label(r) for r in both.itertuples(index=False)]
    values = both["score_moved"].to_numpy(dtype=float)
    hover = [t("chart.dynamics.mover_hover", lang, customer=label, before=f"{r.composite_before:.1f}",
               after=f"{r.composite_after:.1f}", tier_before=_label("tier", r.tier_before, lang),
               tier_after=_label("tier", r.tier_after, lang))
             for label, r in zip(labels, both.itertuples(index=False))]
    fig = go.Figure(go.Bar(
        y=labels, x=values, orientation="h",
        marker=dict(color=[RISE_COLOR if v > 0 else BELOW_ZERO_RED for v in values]),
        text=[f"{v:+.1f}" for v in values], textposition="outside", cliponaxis=False,
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=dict(text=t("feat.score_moved", lang)), zeroline=True, zerolinecolor="#888888")
    return _finish(fig, title, subtitle, legend=False, height=160 + 22 * len(labels))


# --------------------------------------------------------------------------- tables for display


def labelled_table(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A copy for display: dimension values and column headers translated, dates without times."""
    out = frame.copy()
    out.attrs = {}
    for col in out.columns:
        if col in explore.DIMENSIONS:
            out[col] = [value_label(col, v, lang) for v in out[col]]
        elif col in ("tier_before", "tier_after"):
            out[col] = [_label("tier", v, lang) for v in out[col]]
        elif col in ("stage_before", "stage_after"):
            out[col] = [_label("stage", v, lang) for v in out[col]]
        elif col in ("source", "target"):
            continue
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.date
    return out.rename(columns={c: column_label(c, lang) for c in out.columns})


_MONEY_COLUMNS = set(explore.MONEY_MEASURES) | {"mean_clv", "mean_cac", "total_clv", "total_cac", "revenue_before",
                                                 "revenue_recent", "change", "net_profit_before", "net_profit_after",
                                                 "acquisition_cost", "total_acquisition_cost"}
# Money as format.streamlit_money_format writes it in the current currency: "yen" -¥2,280,440 (the printf
# "¥%,.0f" wrote ¥-2,280,440), "dollar" -$2,280,440, "%,.0f HKD" -2,280,440 HKD; a number that sorts.
# The other kinds:
_STREAMLIT_FORMATS = {"pct": "percent", "score": "%.1f", "days": "%d", "count": "%,d"}
_SCORE_COLUMNS = {"composite", "composite_before", "composite_after", "score_moved", "clv_cac_ratio"}
_COUNT_COLUMNS = {"customers", "orders", "customers_with_cac", "step", "tier_steps", "matching"}


def column_formats(frame: pd.DataFrame, lang: str = "en") -> dict[str, str]:
    """Number formats for :func:`labelled_table` headers: money in the current currency with separators
    (¥, $ …), scores to 0.1, shares in % (the kinds of ``exports.column_kind`` for every other column)."""
    from valuation.present.exports import column_kind

    out = {}
    for col in frame.columns:
        if col in _MONEY_COLUMNS or column_kind(col) == "money":
            fmt = streamlit_money_format(lang=lang)
        elif col in _SCORE_COLUMNS:
            fmt = "%.1f"
        elif col in _COUNT_COLUMNS:
            fmt = "%,d" if col not in ("tier_steps",) else "%+d"
        elif col.endswith("_share") or col == "growth_rate":
            fmt = "percent"
        elif column_kind(col) is not None:
            fmt = _STREAMLIT_FORMATS[column_kind(col)]
        else:
            continue
        out[column_label(col, lang)] = fmt
    return out


def column_label(column: str, lang: str = "en") -> str:
    """A table header: explore.col.*, a dimension or measure name, or the shared feat.* label."""
    for key in (f"explore.col.{column}", f"explore.dim.{column}", f"explore.measure.{column}", f"feat.{column}"):
        if key in TEXT:
            return t(key, lang)
    return column


__all__ = ["chart_value_label", "clv_cac_chart", "column_formats", "column_label", "dim_label", "format_measure", "growth_chart",
           "labelled_table", "measure_label", "movers_chart", "segment_chart", "slice_bars", "slice_heatmap",
           "slice_subtitle", "slice_treemap", "snapshot_sankey", "tier_shares_over_time", "top_customers_chart",
           "value_label"]
