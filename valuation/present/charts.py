"""Plotly figures for tiers, classes, the whale curve, migration, lifecycle and one customer: pure, aggregated."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from valuation.i18n.format import format_count, format_date, format_money, format_pct
from valuation.i18n.text import t
from valuation.model import lifecycle, tiers
from valuation.present.style import (
    ACCENT_COLOR,
    BELOW_ZERO_RED,
    LINE_COLOR,
    NOTE,
    NEUTRAL_COLOR,
    STAGE_COLORS,
    TIER_COLORS,
    _buyer_concentration,
    _dim_label,
    _dimension_order,
    _empty,
    _finish,
    _has_orders,
    _label,
    _money_axis,
    _require,
    _rgba,
    _wrap,
    plain,
)

WHALE_TOP = 0.20
WHALE_BOTTOM = 0.30


# --------------------------------------------------------------------------- 1. pyramid


def tier_pyramid(scored: pd.DataFrame, lang: str = "en", codes=None) -> go.Figure:
    """Customers per tier as a centred pyramid (A on top), below-zero apart in red underneath.

    Needs ``tier``, ``revenue_12m`` and ``net_profit_12m``. Shares are of the revenue and
    net profit of customers with orders; prospects are left out with a note of their count.
    ``codes`` (optional): ``scored``'s tiers as codes (``pipeline.tier_codes``), for a
    million customers on every slider move: the same figure without grouping labels (and
    without ``tier``: the prepared features will do).
    """
    _require(scored, (["tier"] if codes is None else []) + ["revenue_12m", "net_profit_12m"], "tier_pyramid")
    title, subtitle = t("chart.pyramid.title", lang), t("chart.pyramid.subtitle", lang)
    if codes is not None:
        prospects = int(np.count_nonzero(np.asarray(codes) == tiers.TIERS.index("prospect")))
    else:
        prospects = int((scored["tier"] == "prospect").sum())
    notes = [t("chart.note.prospects_excluded", lang, count=format_count(prospects))] if prospects else []
    conc = _buyer_concentration(scored, codes)
    if conc["customers"].sum() == 0:
        fig = _empty(title, lang, subtitle)
        return _finish(fig, title, subtitle, notes, legend=False)

    # Plain lists: pandas' row access cost more than the rest of the figure on every slider move.
    table = {column: conc[column].tolist() for column in conc.columns}

    def rows(codes):
        at = [i for i, tier in enumerate(table["tier"]) if tier in codes]
        labels = [t(f"tier.{table['tier'][i]}", lang) for i in at]
        text = [t("chart.pyramid.bar_text", lang, tier=label, customers=format_count(table["customers"][i]),
                  revenue=format_pct(table["revenue_share"][i]), profit=format_pct(table["profit_share"][i]))
                for label, i in zip(labels, at)]
        hover = ["<br>".join([f"<b>{label}</b>",
                              t("chart.hover.customers", lang, count=format_count(table["customers"][i])),
                              t("chart.hover.revenue", lang, value=format_money(table["revenue_12m"][i], lang)),
                              t("chart.hover.profit", lang, value=format_money(table["net_profit_12m"][i], lang))])
                 for label, i in zip(labels, at)]
        counts = np.array([table["customers"][i] for i in at], dtype=float).astype(int)
        return [table["tier"][i] for i in at], labels, counts, text, hover

    # A plain spec (style.figure): every slider move builds this figure again.
    codes, labels, counts, text, hover = rows(tiers.PYRAMID)
    data = [dict(type="bar", y=labels, x=counts, base=-counts / 2, orientation="h",
                 name=t("chart.pyramid.title", lang), marker=dict(color=[TIER_COLORS[c] for c in codes]),
                 text=text, textposition="none", customdata=hover,
                 hovertemplate="%{customdata}<extra></extra>", width=0.8)]
    bz_codes, bz_labels, bz_counts, bz_text, bz_hover = rows(["below_zero"])
    has_below = int(bz_counts[0]) > 0  # _buyer_concentration always has the below-zero row
    if has_below:
        data.append(dict(type="bar", y=bz_labels, x=bz_counts, base=-bz_counts / 2, orientation="h",
                         name=bz_labels[0], marker=dict(color=TIER_COLORS["below_zero"]), text=bz_text,
                         textposition="none", customdata=bz_hover,
                         hovertemplate="%{customdata}<extra></extra>", width=0.8))
    # Bottom to top: below zero, then D, C, B and A on top.
    order = (bz_labels if has_below else []) + labels[::-1]
    widest = float(max(counts.max(initial=0), bz_counts.max(initial=0) if has_below else 0, 1))
    layout = dict(
        yaxis=dict(categoryorder="array", categoryarray=order, showticklabels=False, showgrid=False),
        xaxis=dict(visible=False, range=[-widest / 2 * 1.06, widest / 2 * 1.06], domain=[0, 0.42]),
        annotations=[dict(text=line, xref="paper", yref="y", x=0.44, y=label, xanchor="left", showarrow=False,
                          align="left", font=dict(color=BELOW_ZERO_RED if code == "below_zero" else "#333333"))
                     for label, line, code in zip(labels + (bz_labels if has_below else []),
                                                  text + (bz_text if has_below else []),
                                                  codes + (bz_codes if has_below else []))])
    if has_below:  # a dashed rule keeps the loss-makers visibly apart from the pyramid
        layout["shapes"] = [dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=0.5, y1=0.5,
                                 line=dict(color="#BBBBBB", dash="dot", width=1))]
    return _finish({"data": data, "layout": layout}, title, subtitle, notes, legend=False,
                   height=360 + 30 * len(order))


# --------------------------------------------------------------------------- 3. whale curve


def whale_sentence(reading: dict, lang: str = "en", *, top: float = WHALE_TOP,
                   bottom: float = WHALE_BOTTOM) -> str:
    """Kotler's 20/80/30 reading in words.

    "The top 20% of customers give 89% of profit; the bottom 30% cost 9% of the potential (peak)
    profit" ("add" instead of "cost" when the bottom customers make money); the subtitle has
    Kotler's own figures beside it.

    ``reading`` is :func:`valuation.model.tiers.whale_reading` output computed with the same ``top`` and ``bottom``.
    """
    top_share = reading.get("top_share", float("nan"))
    if not reading.get("customers") or top_share is None or not math.isfinite(top_share):
        return t("chart.whale.empty", lang)
    if reading.get("total_profit", 0.0) <= 0:
        return t("chart.whale.negative_total", lang, total=format_money(reading["total_profit"], lang))
    # As Kotler meant it: the bottom's loss against the potential profit, the curve's peak.
    bottom_share = float(reading.get("bottom_of_peak", reading["bottom_share"]))
    key = "chart.whale.sentence_cost" if bottom_share < 0 else "chart.whale.sentence_add"
    return t(key, lang, top_pct=format_pct(top), top=format_pct(top_share), bottom_pct=format_pct(bottom),
             bottom=format_pct(abs(bottom_share)))


def whale_curve(scored: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Cumulative share of profit against share of customers ranked by profit (customers with orders).

    The title is :func:`whale_sentence`; markers show the top 20%, the drop over the
    bottom 30% and the peak. Needs ``net_profit_12m`` (and ``has_orders`` or ``tier``).
    """
    _require(scored, ["net_profit_12m"], "whale_curve")
    profit = scored.loc[_has_orders(scored), "net_profit_12m"]
    reading = tiers.whale_reading(profit, WHALE_TOP, WHALE_BOTTOM)
    sentence = whale_sentence(reading, lang)
    subtitle = t("chart.whale.title", lang)
    if not reading["customers"] or not math.isfinite(reading["top_share"]) or reading["total_profit"] <= 0:
        return _empty(sentence, lang, subtitle)
    curve = tiers.whale_curve(profit)
    x = curve["customer_share"].to_numpy(dtype=float)
    y = curve["profit_share"].to_numpy(dtype=float)
    hover = [t("chart.whale.hover", lang, customers=format_pct(a), profit=format_pct(b)) for a, b in zip(x, y)]
    fig = go.Figure()
    fig.add_vrect(x0=1 - WHALE_BOTTOM, x1=1, fillcolor=_rgba(BELOW_ZERO_RED, 0.07), line_width=0, layer="below")
    fig.add_hline(y=1.0, line=dict(color="#888888", dash="dash", width=1),
                  annotation=dict(text=t("chart.whale.total_line", lang), font=dict(size=11, color="#777777")),
                  annotation_position="bottom left")
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=t("chart.whale.curve", lang),
                             line=dict(color=LINE_COLOR, width=3), customdata=hover,
                             hovertemplate="%{customdata}<extra></extra>"))
    peak_i = int(np.argmax(y))
    drop_y = 1.0 - reading["bottom_share"]
    px, py = [WHALE_TOP, 1 - WHALE_BOTTOM, float(x[peak_i])], [reading["top_share"], drop_y, reading["peak_share"]]
    labels = [t("chart.whale.top_marker", lang, pct=format_pct(WHALE_TOP), share=format_pct(reading["top_share"])),
              t("chart.whale.bottom_marker", lang, pct=format_pct(WHALE_BOTTOM),
                share=format_pct(reading["bottom_share"])),
              t("chart.whale.peak", lang, share=format_pct(reading["peak_share"]))]
    colors = [LINE_COLOR, BELOW_ZERO_RED, ACCENT_COLOR]
    # The peak may coincide with the 70% point; then one label is enough.
    keep = [0, 1] + ([2] if abs(px[2] - px[1]) > 0.02 or abs(py[2] - py[1]) > 0.02 else [])
    fig.add_trace(go.Scatter(
        x=[px[i] for i in keep], y=[py[i] for i in keep], mode="markers+text",
        text=[labels[i] for i in keep], textposition=["bottom right", "top left", "top center"][:len(keep)],
        marker=dict(size=11, color=[colors[i] for i in keep], line=dict(color="white", width=1.5)),
        name=t("chart.whale.key_points", lang), hovertemplate="%{text}<extra></extra>"))
    low = min(0.0, float(y.min()))
    high = max(1.0, float(y.max()))
    fig.update_xaxes(title=dict(text=t("chart.whale.x", lang)), tickformat=".0%", range=[0, 1.02])
    fig.update_yaxes(title=dict(text=t("chart.whale.y", lang)), tickformat=".0%",
                     range=[low - 0.05, high + 0.12])
    return _finish(fig, sentence, subtitle, legend=False, height=480)


# --------------------------------------------------------------------------- 4. migration


def _canonical(values, kind: str | None) -> list:
    present = list(pd.unique(pd.Series(list(values), dtype=object)))
    if kind == "stage":
        canon = list(lifecycle.STAGES) + [s for s in lifecycle.ACTIVITY if s not in lifecycle.STAGES]
    elif kind == "tier" or set(present) <= set(tiers.TIERS):
        canon = list(tiers.TIERS)
    else:
        canon = list(lifecycle.STAGES) + [s for s in lifecycle.ACTIVITY if s not in lifecycle.STAGES]
    known = [c for c in canon if c in present]
    return known + sorted((v for v in present if v not in known), key=str)


def migration_matrix(before: pd.Series, after: pd.Series, kind: str | None = None) -> pd.DataFrame:
    """Customers moving from each label (rows, ``before``) to each label (columns, ``after``).

    The Series are aligned on their index; customers in only one of them are left out.
    Rows and columns both list every label seen, in canonical order (tiers A…prospect or
    lifecycle stages; ``kind`` "tier"/"stage" forces one, else it is inferred).
    """
    pair = pd.concat({"before": before, "after": after}, axis=1, join="inner").dropna()
    order = _canonical(list(pair["before"]) + list(pair["after"]), kind)
    if pair.empty:
        return pd.DataFrame(index=pd.Index([], name="before"), columns=pd.Index([], name="after"), dtype="int64")
    table = pd.crosstab(pair["before"], pair["after"]).reindex(index=order, columns=order, fill_value=0)
    table.index.name, table.columns.name = "before", "after"
    return table.astype("int64")


def migration_sankey(before: pd.Series | None, after: pd.Series | None, lang: str = "en", kind: str = "tier",
                     table: pd.DataFrame | None = None, sides: tuple[str, str] | None = None) -> go.Figure:
    """Flows between two scorings: tier → tier (``kind="tier"``) or stage → stage (``kind="stage"``).

    ``before`` and ``after`` are index-aligned Series of labels; link values add up
    to the number of customers present in both. Or ``table``, the counts already made
    (``tiers.migration_from_codes`` on a slider move: no million-label crosstab). ``sides``
    names the left and right columns (the baseline and the current setting, say) above them.
    """
    prefix, colors = ("stage", STAGE_COLORS) if kind == "stage" else ("tier", TIER_COLORS)
    title = t(f"chart.migration.title_{prefix}", lang)
    if table is None:
        table = migration_matrix(before, after, kind=prefix)
    counts = table.to_numpy()  # plain numbers: pandas' cell access cost more than the figure (every move)
    total = int(counts.sum())
    if total == 0:
        return _empty(title, lang)
    moved = total - int(np.trace(counts))
    subtitle = t("chart.migration.subtitle", lang, moved=format_count(moved), total=format_count(total))
    out_of, into = counts.sum(axis=1), counts.sum(axis=0)
    row_at = [i for i in range(len(table.index)) if out_of[i] > 0]
    col_at = [j for j in range(len(table.columns)) if into[j] > 0]
    rows, cols = [table.index[i] for i in row_at], [table.columns[j] for j in col_at]
    labels = [_label(prefix, c, lang) for c in rows] + [_label(prefix, c, lang) for c in cols]
    node_colors = [colors.get(c, NEUTRAL_COLOR) for c in rows + cols]
    node_hover = ([t("chart.migration.node_before", lang, label=_label(prefix, c, lang),
                     count=format_count(int(out_of[i]))) for c, i in zip(rows, row_at)]
                  + [t("chart.migration.node_after", lang, label=_label(prefix, c, lang),
                       count=format_count(int(into[j]))) for c, j in zip(cols, col_at)])
    source, target, value, link_colors, link_hover = [], [], [], [], []
    for node_b, (i, b) in enumerate(zip(row_at, rows)):  # node numbers: the rows, then the columns
        for node_a, (j, a) in enumerate(zip(col_at, cols), start=len(rows)):
            n = int(counts[i, j])
            if n:
                source.append(node_b)
                target.append(node_a)
                value.append(n)
                link_colors.append(_rgba(colors.get(b, NEUTRAL_COLOR), 0.35))
                link_hover.append(t("chart.migration.link", lang, before=_label(prefix, b, lang),
                                    after=_label(prefix, a, lang), count=format_count(n)))
    sankey = dict(
        type="sankey", arrangement="snap",
        node=dict(label=labels, color=node_colors, pad=14, thickness=18, sort="input",
                  line=dict(color="white", width=0.5), customdata=node_hover,
                  hovertemplate="%{customdata}<extra></extra>"),
        link=dict(source=source, target=target, value=value, color=link_colors, customdata=link_hover,
                  hovertemplate="%{customdata}<extra></extra>"))
    sides_notes = [dict(x=x, y=-0.04, xref="paper", yref="paper", text=f"<b>{plain(text)}</b>", showarrow=False,
                        xanchor=anchor, yanchor="top", font=dict(size=13))
                   for x, text, anchor in zip((0.0, 1.0), sides or (), ("left", "right"))]
    return _finish({"data": [sankey], "layout": {"annotations": sides_notes}}, title, subtitle, legend=False,
                   height=480)


# --------------------------------------------------------------------------- 5. contributions


def contribution_bars(contrib_row: pd.Series, lang: str = "en") -> go.Figure:
    """One customer's composite explained: each dimension's points (w·s/Σw), which add up to the composite.

    ``contrib_row`` is one row of :func:`valuation.model.scoring.contributions` (index = dimensions),
    with a ``tilt`` entry for the strategic tilt's points where it applies.
    """
    points = pd.to_numeric(contrib_row, errors="coerce").fillna(0.0)
    composite = float(points.sum())
    title = t("chart.contrib.title", lang, composite=f"{composite:.1f}")
    subtitle = t("chart.contrib.subtitle", lang)
    if points.empty:
        return _empty(title, lang, subtitle)
    dims = _dimension_order(points.index)
    labels = [_dim_label(d, lang) for d in dims]
    values = points.reindex(dims).to_numpy(dtype=float)
    hover = [t("chart.contrib.hover", lang, dimension=label, points=f"{v:.1f}")
             for label, v in zip(labels, values)]
    bar = dict(type="bar", y=labels, x=values, orientation="h", marker=dict(color=LINE_COLOR),
               text=[f"{v:.1f}" for v in values], textposition="outside", cliponaxis=False, customdata=hover,
               hovertemplate="%{customdata}<extra></extra>", name=t("chart.contrib.x", lang))
    layout = dict(yaxis=dict(autorange="reversed"),
                  xaxis=dict(title=dict(text=t("chart.contrib.x", lang)),
                             range=[min(values.min() * 1.15, 0.0), max(values.max() * 1.15, 1.0)]))
    return _finish({"data": [bar], "layout": layout}, title, subtitle, legend=False, height=160 + 40 * len(dims))


# --------------------------------------------------------------------------- 6. funnel


def lifecycle_funnel(funnel_df: pd.DataFrame, lang: str = "en") -> go.Figure:
    """The lifecycle funnel (:func:`valuation.model.lifecycle.funnel`) with each step's conversion from the one before.

    Needs ``step``, ``customers`` and ``conversion``.
    """
    _require(funnel_df, ["step", "customers", "conversion"], "lifecycle_funnel")
    title = t("chart.funnel.title", lang)
    if funnel_df.empty:
        return _empty(title, lang)
    steps = funnel_df["step"].tolist()
    labels = [_label("stage", s, lang) for s in steps]
    counts = funnel_df["customers"].astype(int).to_numpy()
    conversion = funnel_df["conversion"].to_numpy(dtype=float)
    rate = ["" if not np.isfinite(c) else t("chart.funnel.of_previous", lang, pct=format_pct(c))
            for c in conversion]
    text = ["<br>".join(filter(None, [format_count(n), r])) for n, r in zip(counts, rate)]
    hover = ["<br>".join(filter(None, [t("chart.funnel.hover", lang, step=label, count=format_count(n)), r]))
             for label, n, r in zip(labels, counts, rate)]
    fig = go.Figure(go.Funnel(
        y=labels, x=counts, text=text, textinfo="text", textposition="inside",
        marker=dict(color=[STAGE_COLORS.get(s, NEUTRAL_COLOR) for s in steps]),
        connector=dict(fillcolor="#EEEEEE", line=dict(width=0)),
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    return _finish(fig, title, legend=False, height=420)


def lifecycle_snapshot(funnel_df: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Where customers are today: the counts of :func:`valuation.model.lifecycle.funnel`, without rates.

    The ratio of two steps of a snapshot is not a conversion rate (every buyer counts as
    past opportunity, lost opportunities are rarely kept), so none is shown; the cohort
    funnel (:func:`cohort_funnel`) measures conversion. Needs ``step`` and ``customers``.
    """
    _require(funnel_df, ["step", "customers"], "lifecycle_snapshot")
    title, subtitle = t("chart.snapshot.title", lang), t("chart.snapshot.subtitle", lang)
    if funnel_df.empty:
        return _empty(title, lang, subtitle)
    notes = []
    counts_by_step = dict(zip(funnel_df["step"], funnel_df["customers"]))
    if "first_purchase" in counts_by_step and counts_by_step.get("target") == counts_by_step["first_purchase"]:
        # Everyone has bought (orders alone, no pipeline): the steps before a purchase would read 100%.
        funnel_df = funnel_df[~funnel_df["step"].isin(["target", "prospect", "opportunity"])]
        notes.append(t("chart.snapshot.buyers_only", lang))
    steps = funnel_df["step"].tolist()
    labels = [_label("stage", s, lang) for s in steps]
    counts = funnel_df["customers"].astype(int).to_numpy()
    everyone = max(int(counts.max()), 1)
    hover = [t("chart.snapshot.hover", lang, step=label, count=format_count(n), pct=format_pct(n / everyone))
             for label, n in zip(labels, counts)]
    fig = go.Figure(go.Bar(
        y=labels, x=counts, orientation="h", text=[format_count(n) for n in counts], textposition="outside",
        cliponaxis=False, marker=dict(color=[STAGE_COLORS.get(s, NEUTRAL_COLOR) for s in steps]),
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=dict(text=t("chart.axis.customers", lang)), rangemode="tozero", separatethousands=True)
    return _finish(fig, title, subtitle, notes, legend=False, height=420)


def cohort_funnel(cohort: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Conversion per step of :func:`valuation.analysis.funnel.cohort_funnel`: a bar per step, the
    converted of the measured in its text, open windows in the hover and a note.

    Needs ``step``, ``outcome``, ``entered``, ``open``, ``measured``, ``converted``,
    ``conversion`` and ``available``; ``attrs`` with start, end, window_days and as_of.
    """
    _require(cohort, ["step", "outcome", "entered", "open", "measured", "converted", "conversion", "available"],
             "cohort_funnel")
    a = cohort.attrs
    n = a.get("window_days", "")
    title = t("chart.cohort.title", lang, n=n)
    subtitle = t("chart.cohort.subtitle", lang, start=format_date(a.get("start"), lang),
                 end=format_date(a.get("end"), lang))
    if cohort.empty:
        return _empty(title, lang, subtitle)
    labels = [t(f"funnel.step.{s}", lang) for s in cohort["step"]]
    rate = cohort["conversion"].to_numpy(dtype=float)
    text = [_cohort_rate_text(row, lang) for row in cohort.itertuples(index=False)]
    hover = [t("chart.cohort.hover", lang, step=label, n=n, entered=format_count(r.entered),
               measured=format_count(r.measured), converted=format_count(r.converted), open=format_count(r.open))
             for label, r in zip(labels, cohort.itertuples(index=False))]
    opened = int(cohort["open"].sum())
    notes = [t("funnel.open_note", lang, n=format_count(opened), days=n, as_of=format_date(a.get("as_of"), lang))
             ] if opened else []
    fig = go.Figure(go.Bar(
        y=labels, x=np.nan_to_num(rate * 100), orientation="h", text=text, textposition="outside",
        cliponaxis=False, marker=dict(color=[STAGE_COLORS.get(o, LINE_COLOR) for o in cohort["outcome"]]),
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=dict(text=t("chart.cohort.x", lang)), range=[0, 130], ticksuffix="%",
                     tickvals=[0, 25, 50, 75, 100])
    return _finish(fig, title, subtitle, notes, legend=False, height=300)


def _cohort_rate_text(row, lang: str) -> str:
    if not row.available:
        return t("funnel.needs_created_at", lang)
    if not row.entered:
        return t("funnel.none_entered", lang)
    if not row.measured:
        return t("funnel.none_measured", lang)
    return t("chart.cohort.text", lang, converted=format_count(row.converted), measured=format_count(row.measured),
             pct=format_pct(row.conversion))


def cohort_table(cohort: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """:func:`cohort_funnel`'s numbers as a table with headers and step names in ``lang``; the rate as
    text (the reason where there is none)."""
    n = cohort.attrs.get("window_days", "")
    return pd.DataFrame({
        t("funnel.col.step", lang): [t(f"funnel.step.{s}", lang) for s in cohort["step"]],
        t("funnel.col.entered", lang): cohort["entered"].astype(int).to_numpy(),
        t("funnel.col.open", lang): cohort["open"].astype(int).to_numpy(),
        t("funnel.col.measured", lang): cohort["measured"].astype(int).to_numpy(),
        t("funnel.col.converted", lang, n=n): cohort["converted"].astype(int).to_numpy(),
        t("funnel.col.conversion", lang): [format_pct(r.conversion) if r.available and r.measured
                                           else _cohort_rate_text(r, lang) for r in cohort.itertuples(index=False)],
    })


# --------------------------------------------------------------------------- 7. activity


def activity_bars(scored: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Customers per activity state (active, at risk, dormant, churned, won back), 12-month revenue on hover.

    Needs ``lifecycle_stage`` (and ``revenue_12m`` for the hover); customers without orders are left out.
    """
    _require(scored, ["lifecycle_stage"], "activity_bars")
    title, subtitle = t("chart.activity.title", lang), t("chart.activity.subtitle", lang)
    state = lifecycle.activity_state(scored["lifecycle_stage"])
    none = int((state == "none").sum())
    notes = [t("chart.note.prospects_excluded", lang, count=format_count(none))] if none else []
    counts = state.value_counts().reindex(lifecycle.ACTIVITY, fill_value=0)
    revenue = (scored["revenue_12m"].groupby(state).sum().reindex(lifecycle.ACTIVITY, fill_value=0.0)
               if "revenue_12m" in scored else pd.Series(np.nan, index=list(lifecycle.ACTIVITY)))
    labels = [_label("activity", s, lang) for s in lifecycle.ACTIVITY]
    hover = ["<br>".join([f"<b>{label}</b>", t("chart.hover.customers", lang, count=format_count(n)),
                          t("chart.hover.revenue", lang, value=format_money(r, lang))])
             for label, n, r in zip(labels, counts.to_numpy(), revenue.to_numpy(dtype=float))]
    fig = go.Figure(go.Bar(
        x=labels, y=counts.to_numpy(dtype=int), text=[format_count(n) for n in counts], textposition="outside",
        cliponaxis=False, marker=dict(color=[STAGE_COLORS[s] for s in lifecycle.ACTIVITY]),
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", name=title))
    fig.update_yaxes(title=dict(text=t("chart.axis.customers", lang)), rangemode="tozero", separatethousands=True)
    return _finish(fig, title, subtitle, notes, legend=False, height=420)


# --------------------------------------------------------------------------- 8. radar


def radar(customer_scores: pd.Series, tier_average: pd.Series, lang: str = "en",
          customer_label: str = "") -> go.Figure:
    """The customer's dimension scores (0–100) against their tier's average, on the dimensions available."""
    scores = pd.to_numeric(customer_scores, errors="coerce")
    dims = [d for d in _dimension_order(scores.index) if pd.notna(scores.get(d))]
    customer_label = plain(customer_label)  # a customer's name is text, never plotly markup
    title = t("chart.radar.title", lang, customer=customer_label)
    if not dims:
        return _empty(title, lang)
    labels = [_dim_label(d, lang) for d in dims]
    average = pd.to_numeric(tier_average, errors="coerce").reindex(dims)
    fig = go.Figure()
    for name, values, color, dash, fill in (
            (t("chart.radar.tier_average", lang), average, NEUTRAL_COLOR, "dash", "none"),
            (customer_label, scores.reindex(dims), LINE_COLOR, "solid", "toself")):
        v = values.to_numpy(dtype=float)
        hover = [t("chart.radar.hover", lang, name=name, dimension=label,
                   score="—" if not np.isfinite(s) else f"{s:.0f}") for label, s in zip(labels, v)]
        # Close the loop by repeating the first point.
        fig.add_trace(go.Scatterpolar(
            r=np.append(v, v[0]), theta=labels + labels[:1], name=name, mode="lines+markers",
            fill=fill, fillcolor=_rgba(color, 0.18), line=dict(color=color, dash=dash, width=2),
            customdata=hover + hover[:1], hovertemplate="%{customdata}<extra></extra>"))
    fig.update_layout(polar=dict(radialaxis=dict(range=[0, 100], tickvals=[0, 25, 50, 75, 100])))
    return _finish(fig, title, height=460)


# --------------------------------------------------------------------------- 9. order history


def _month_label(ts: pd.Timestamp, lang: str) -> str:
    return f"{ts.year}年{ts.month}月" if lang == "zh" else ts.strftime("%b %Y")


def order_history(orders: pd.DataFrame, lang: str = "en") -> go.Figure:
    """One customer's revenue per month (returns net off as negatives) and its 3-month rolling mean.

    Needs ``order_date`` and ``amount``; months without orders count as zero.
    """
    _require(orders, ["order_date", "amount"], "order_history")
    title, subtitle = t("chart.history.title", lang), t("chart.history.subtitle", lang)
    dates = pd.to_datetime(orders["order_date"], errors="coerce")
    amount = pd.to_numeric(orders["amount"], errors="coerce")
    ok = dates.notna() & amount.notna()
    if not ok.any():
        return _empty(title, lang, subtitle)
    month = dates[ok].dt.to_period("M")
    monthly = amount[ok].groupby(month).sum()
    monthly = monthly.reindex(pd.period_range(monthly.index.min(), monthly.index.max(), freq="M"), fill_value=0.0)
    rolling = monthly.rolling(3, min_periods=1).mean()
    starts = monthly.index.to_timestamp()
    names = [_month_label(m, lang) for m in starts]
    divisor, axis = _money_axis(np.concatenate([monthly.to_numpy(), rolling.to_numpy()]), lang,
                                t("chart.history.revenue", lang))
    fig = go.Figure()
    for series, values, kind in ((t("chart.history.monthly", lang), monthly, "bar"),
                                 (t("chart.history.rolling", lang), rolling, "line")):
        v = values.to_numpy(dtype=float)
        hover = [t("chart.history.hover", lang, month=m, series=series, value=format_money(x, lang))
                 for m, x in zip(names, v)]
        if kind == "bar":
            fig.add_trace(go.Bar(x=starts, y=v / divisor, name=series, customdata=hover,
                                 hovertemplate="%{customdata}<extra></extra>",
                                 marker=dict(color=[TIER_COLORS["C"] if x >= 0 else BELOW_ZERO_RED for x in v])))
        else:
            fig.add_trace(go.Scatter(x=starts, y=v / divisor, name=series, mode="lines", customdata=hover,
                                     hovertemplate="%{customdata}<extra></extra>",
                                     line=dict(color=TIER_COLORS["A"], width=2.5)))
    fig.update_yaxes(**axis)
    fig.update_xaxes(title=dict(text=t("chart.axis.month", lang)),
                     tickformat="%Y年%-m月" if lang == "zh" else "%b %Y")
    return _finish(fig, title, subtitle, height=420)


# --------------------------------------------------------------------------- 14. tier shares


def tier_share_bars(scored: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Stacked 100% bars: each tier's share of customers, 12-month revenue and net profit (customers with orders).

    The below-zero tier's negative profit share stacks under the zero line, so the
    profit bar shows the other tiers earning more than 100%. Needs ``tier``,
    ``revenue_12m`` and ``net_profit_12m``.
    """
    _require(scored, ["tier", "revenue_12m", "net_profit_12m"], "tier_share_bars")
    title, subtitle = t("chart.share.title", lang), t("chart.share.subtitle", lang)
    prospects = int((scored["tier"] == "prospect").sum())
    notes = [t("chart.note.prospects_excluded", lang, count=format_count(prospects))] if prospects else []
    conc = _buyer_concentration(scored)
    if conc["customers"].sum() == 0:
        return _finish(_empty(title, lang, subtitle), title, subtitle, notes, legend=False)
    measures = (("customers", "customer_share", "chart.share.customers"),
                ("revenue_12m", "revenue_share", "chart.share.revenue"),
                ("net_profit_12m", "profit_share", "chart.share.profit"))
    x = [t(key, lang) for _, _, key in measures]
    fig = go.Figure()
    for row in conc.itertuples():
        if row.customers == 0:
            continue
        label = t(f"tier.{row.tier}", lang)
        shares = [float(getattr(row, share)) for _, share, _ in measures]
        values = [format_count(row.customers), format_money(row.revenue_12m, lang),
                  format_money(row.net_profit_12m, lang)]
        hover = [t("chart.share.hover", lang, tier=label, measure=m, share=format_pct(s), value=v)
                 for m, s, v in zip(x, shares, values)]
        fig.add_trace(go.Bar(
            x=x, y=shares, name=label, marker=dict(color=TIER_COLORS[row.tier]),
            text=[format_pct(s) for s in shares], textposition="inside",
            insidetextanchor="middle", customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    fig.update_layout(barmode="relative", uniformtext=dict(minsize=10, mode="hide"))
    fig.update_yaxes(title=dict(text=t("chart.axis.share", lang)), tickformat=".0%")
    return _finish(fig, title, subtitle, notes, height=460)


# --------------------------------------------------------------------------- projector


def for_projector(fig: go.Figure, height: int = 640, slide_title: bool = False) -> go.Figure:
    """A copy of ``fig`` in large type for a projector (presentation mode): every text at least 20 px.

    ``slide_title``: the slide shows the title already, so the chart's subtitle takes its place.
    """
    big = go.Figure(fig)
    big.update_layout(font=dict(size=20), title=dict(font=dict(size=28), subtitle=dict(font=dict(size=20))),
                      height=height, hoverlabel=dict(font=dict(size=20)), legend=dict(font=dict(size=20)))
    big.update_xaxes(tickfont=dict(size=20), title_font=dict(size=20))
    big.update_yaxes(tickfont=dict(size=20), title_font=dict(size=20))
    if slide_title:
        subtitle = (big.layout.title.subtitle.text or "") if big.layout.title.subtitle else ""
        # broken for a half-width chart; a slide is full width (about 100 Latin characters at 20 px)
        subtitle = _wrap(subtitle.replace("<br>", " "), width=100) if subtitle else ""
        lines = subtitle.count("<br>") + 1 if subtitle else 0
        big.update_layout(title=dict(text=subtitle, font=dict(size=20, color="#555555"), subtitle=dict(text="")),
                          margin=dict(t=(24 + 26 * lines if lines else 10) + (40 if big.layout.showlegend else 0)))
    for annotation in big.layout.annotations:  # every text on the chart at least 20 px
        size = annotation.font.size if annotation.font and annotation.font.size else 13
        annotation.font.size = max(20, int(size * 1.5))
        if annotation.name == NOTE and annotation.yshift:  # notes stacked under the plot: their spacing too
            annotation.yshift = annotation.yshift * 1.5
    if big.layout.margin.b:
        big.update_layout(margin=dict(b=int(big.layout.margin.b * 1.5)))
    return big


def without_notes(fig: go.Figure) -> tuple[go.Figure, list[str]]:
    """``fig`` without the notes stacked under its plot, and their texts (to show beside it instead)."""
    notes = [a.text for a in fig.layout.annotations if a.name == NOTE]
    kept = [a for a in fig.layout.annotations if a.name != NOTE]
    out = go.Figure(fig)
    out.layout.annotations = kept
    if notes:
        out.update_layout(margin=dict(b=55))
    return out, notes
