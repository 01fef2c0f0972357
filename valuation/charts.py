"""Plotly figure builders: ``figure = f(dataframe, lang, ...)``, pure, aggregated before plotting."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from valuation import lifecycle, tiers
from valuation.i18n import format_count, format_money, format_pct, t
from valuation.settings import DIMENSIONS, OPTIONAL_DIMENSIONS, ClassRules

# One colour per tier, class and stage, the same on every chart. Blues by rank (they differ in
# lightness, so they survive colour blindness and greyscale); below zero is Okabe-Ito vermillion.
BELOW_ZERO_RED = "#D55E00"
TIER_COLORS: dict[str, str] = {
    "A": "#08306B",
    "B": "#2171B5",
    "C": "#6BAED6",
    "D": "#A9CCE3",
    "below_zero": BELOW_ZERO_RED,
    "prospect": "#BDBDBD",
}
CLASS_COLORS: dict[str, str] = {
    "most_valuable": "#0072B2",
    "growable": "#009E73",
    "below_zero": BELOW_ZERO_RED,
    "maintain": "#A0A0A0",
}
STAGE_COLORS: dict[str, str] = {
    "target": "#D9D9D9",
    "prospect": "#BDBDBD",
    "opportunity": "#CC79A7",
    "first_purchase": "#56B4E9",
    "new": "#56B4E9",
    "repeat": "#2171B5",
    "loyal": "#08306B",
    "active": "#2171B5",
    "at_risk": "#E69F00",
    "dormant": "#B07AA1",
    "churned": "#7F7F7F",
    "won_back": "#009E73",
    "none": "#D9D9D9",
}
NEUTRAL_COLOR = "#9E9E9E"
LINE_COLOR = "#0072B2"
ACCENT_COLOR = "#E69F00"

FONT_FAMILY = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
               '"Microsoft YaHei", "Helvetica Neue", Arial, sans-serif')
TEMPLATE = "plotly_white"
MAX_POINTS = 2000  # the most points (or cells) a figure sends to the browser
SAMPLE_SEED = 20240101  # fixed, so the same customers are drawn on every rerun
WHALE_TOP = 0.20
WHALE_BOTTOM = 0.30
NOTE = "note"  # name of the annotations that explain sampling or exclusions


# --------------------------------------------------------------------------- helpers


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}; got {', '.join(map(str, frame.columns))}")


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _finish(fig: go.Figure, title: str, subtitle: str | None = None, notes=(), height: int | None = None,
            legend: bool = True) -> go.Figure:
    """The house layout: template, CJK-capable fonts, margins, a left title and notes under the plot."""
    subtitle = _wrap(subtitle) if subtitle else subtitle
    extra = 16 * subtitle.count("<br>") if subtitle else 0
    fig.update_layout(
        template=TEMPLATE,
        font=dict(family=FONT_FAMILY, size=13, color="#333333"),
        hoverlabel=dict(font=dict(family=FONT_FAMILY)),
        title=dict(text=title, x=0.01, xanchor="left", yref="container", y=1, yanchor="top",
                   pad=dict(t=18), font=dict(size=17),
                   subtitle=dict(text=subtitle or "", font=dict(size=12, color="#666666"))),
        # Room for title, subtitle and, under them, a legend row above the plot.
        margin=dict(l=60, r=30, t=(70 if subtitle else 50) + extra + (40 if legend else 10),
                    b=100 if notes else 55),
        showlegend=legend,
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="right", x=1),
    )
    if height:
        fig.update_layout(height=height)
    for i, note in enumerate(notes):
        fig.add_annotation(name=NOTE, text=note, xref="paper", yref="paper", x=0, y=0, xanchor="left",
                           yanchor="top", yshift=-52 - 16 * i, showarrow=False,
                           font=dict(size=11, color="#777777"))
    return fig


def _wrap(text: str, width: int = 64) -> str:
    """Break a long subtitle into lines so half-width charts do not cut it off.

    Chinese characters are about twice as wide as Latin ones, so they count double.
    """
    if "<br>" in text:
        return text
    lines, line, size = [], "", 0
    for token in re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+", text):
        w = sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in token.rstrip())
        if size + w > width and line.strip():
            lines.append(line.rstrip())
            line, size = "", 0
        line += token
        size += w + (len(token) - len(token.rstrip()))
    lines.append(line.rstrip())
    return "<br>".join(l for l in lines if l)


def _empty(title: str, lang: str, subtitle: str | None = None) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=t("chart.empty", lang), xref="paper", yref="paper", x=0.5, y=0.5,
                       showarrow=False, font=dict(size=14, color="#777777"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _finish(fig, title, subtitle, legend=False)


def _money_axis(values, lang: str, what: str) -> tuple[float, dict]:
    """Divisor for the plotted values and the axis settings: 万元 when large in Chinese, ¥ + K/M in English."""
    arr = np.abs(np.asarray(values, dtype=float))
    peak = float(np.nanmax(arr)) if arr.size and np.isfinite(arr).any() else 0.0
    if lang == "zh":
        divisor, unit = (1e4, t("chart.unit.wan", lang)) if peak >= 1e4 else (1.0, t("chart.unit.yuan", lang))
        return divisor, dict(title=dict(text=t("chart.axis.money", lang, what=what, unit=unit)),
                             exponentformat="none", separatethousands=True)
    return 1.0, dict(title=dict(text=what), tickformat="~s", tickprefix="¥")


def _label(prefix: str, code, lang: str) -> str:
    """The translated label of a tier/class/stage code; activity and raw codes as fallbacks."""
    for key in (f"{prefix}.{code}", f"activity.{code}"):
        text = t(key, lang)
        if text != key:
            return text
    return str(code)


def plain(text) -> str:
    """Text from the data (a name, a header) for a plotly label: plotly reads ``<b>``, ``<a href>``
    and ``<span style>`` in any text, so ``&``, ``<`` and ``>`` become entities it shows as is."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _dim_label(dim: str, lang: str) -> str:
    if ":" in dim:  # custom:<column> or score_custom:<column>
        column = dim.split(":", 1)[1]
        key = f"feat.{column}"
        text = t(key, lang)
        return plain(column) if text == key else text
    return t(f"dim.{dim}", lang)


def _dimension_order(index) -> list[str]:
    known = [d for d in DIMENSIONS + OPTIONAL_DIMENSIONS if d in index]
    return known + [d for d in index if d not in known]


def _has_orders(scored: pd.DataFrame) -> pd.Series:
    if "has_orders" in scored:
        return scored["has_orders"].astype(bool)
    return scored["tier"] != "prospect"


def _sample(frame: pd.DataFrame, n: int = MAX_POINTS) -> tuple[pd.DataFrame, bool]:
    """At most ``n`` rows, drawn with a fixed seed after ordering by customer_id (row order does not matter)."""
    if len(frame) <= n:
        return frame, False
    if "customer_id" in frame:  # stable, missing ids last: sort_values(kind="mergesort"), in Arrow
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pa.array(frame["customer_id"].astype(object).to_numpy(), type=pa.string(), from_pandas=True)
        frame = frame.take(pc.sort_indices(ids).to_numpy())
    return frame.sample(n=n, random_state=SAMPLE_SEED), True


def _buyer_concentration(scored: pd.DataFrame, codes=None) -> pd.DataFrame:
    """tiers.concentration over customers with orders, every pyramid tier and below_zero present (0 if none).

    ``codes``: the tier of each row of ``scored`` as codes into ``tiers.TIERS``
    (``pipeline.tier_codes``): the same table by weighted counts, without grouping labels.
    """
    if codes is not None:
        codes = np.asarray(codes)
        buyer = codes != tiers.TIERS.index("prospect")
        conc = (tiers.concentration_from_codes(codes[buyer], scored["revenue_12m"].to_numpy()[buyer],
                                               scored["net_profit_12m"].to_numpy()[buyer])
                if buyer.any() else pd.DataFrame(columns=["tier"]))
    else:
        buyers = scored[scored["tier"] != "prospect"]
        conc = tiers.concentration(buyers) if len(buyers) else pd.DataFrame(columns=["tier"])
    order = list(tiers.PYRAMID) + ["below_zero"]
    conc = conc.set_index("tier").reindex(order)
    return conc.fillna(0.0).reset_index()


# --------------------------------------------------------------------------- 1. pyramid


def tier_pyramid(scored: pd.DataFrame, lang: str = "en", codes=None) -> go.Figure:
    """Customers per tier as a centred pyramid (A on top), below-zero apart in red underneath.

    Needs ``tier``, ``revenue_12m`` and ``net_profit_12m``. Shares are of the revenue and
    net profit of customers with orders; prospects are left out with a note of their count.
    ``codes`` (optional): ``scored``'s tiers as codes (``pipeline.tier_codes``), for a
    million customers on every slider move: the same figure without grouping labels.
    """
    _require(scored, ["tier", "revenue_12m", "net_profit_12m"], "tier_pyramid")
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

    def rows(codes):
        part = conc[conc["tier"].isin(codes)]
        labels = [t(f"tier.{c}", lang) for c in part["tier"]]
        text = [t("chart.pyramid.bar_text", lang, tier=label, customers=format_count(r.customers),
                  revenue=format_pct(r.revenue_share), profit=format_pct(r.profit_share))
                for label, r in zip(labels, part.itertuples())]
        hover = ["<br>".join([f"<b>{label}</b>",
                              t("chart.hover.customers", lang, count=format_count(r.customers)),
                              t("chart.hover.revenue", lang, value=format_money(r.revenue_12m, lang)),
                              t("chart.hover.profit", lang, value=format_money(r.net_profit_12m, lang))])
                 for label, r in zip(labels, part.itertuples())]
        counts = part["customers"].astype(int).to_numpy()
        return part["tier"].tolist(), labels, counts, text, hover

    fig = go.Figure()
    codes, labels, counts, text, hover = rows(tiers.PYRAMID)
    fig.add_trace(go.Bar(
        y=labels, x=counts, base=-counts / 2, orientation="h", name=t("chart.pyramid.title", lang),
        marker=dict(color=[TIER_COLORS[c] for c in codes]), text=text, textposition="none",
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", width=0.8))
    below = conc[conc["tier"] == "below_zero"]
    bz_codes, bz_labels, bz_counts, bz_text, bz_hover = rows(["below_zero"])
    has_below = int(below["customers"].iloc[0]) > 0
    if has_below:
        fig.add_trace(go.Bar(
            y=bz_labels, x=bz_counts, base=-bz_counts / 2, orientation="h", name=bz_labels[0],
            marker=dict(color=TIER_COLORS["below_zero"]), text=bz_text, textposition="none",
            customdata=bz_hover, hovertemplate="%{customdata}<extra></extra>", width=0.8))
    # Bottom to top: below zero, then D, C, B and A on top.
    order = (bz_labels if has_below else []) + labels[::-1]
    widest = float(max(counts.max(initial=0), bz_counts.max(initial=0) if has_below else 0, 1))
    fig.update_yaxes(categoryorder="array", categoryarray=order, showticklabels=False, showgrid=False)
    fig.update_xaxes(visible=False, range=[-widest / 2 * 1.06, widest / 2 * 1.06], domain=[0, 0.42])
    for label, line, code in zip(labels + (bz_labels if has_below else []),
                                 text + (bz_text if has_below else []),
                                 codes + (bz_codes if has_below else [])):
        fig.add_annotation(text=line, xref="paper", yref="y", x=0.44, y=label, xanchor="left",
                           showarrow=False, align="left",
                           font=dict(color=BELOW_ZERO_RED if code == "below_zero" else "#333333"))
    if has_below:  # a dashed rule keeps the loss-makers visibly apart from the pyramid
        fig.add_shape(type="line", xref="paper", yref="y", x0=0, x1=1, y0=0.5, y1=0.5,
                      line=dict(color="#BBBBBB", dash="dot", width=1))
    return _finish(fig, title, subtitle, notes, legend=False, height=360 + 30 * len(order))


# --------------------------------------------------------------------------- 2. value matrix

_MATRIX_LAYER_ORDER = ("maintain", "growable", "most_valuable", "below_zero")  # red drawn last, on top


def value_matrix(scored: pd.DataFrame, lang: str = "en", class_rules: ClassRules = ClassRules()) -> go.Figure:
    """Actual value (x) against strategic value (y), 0–100, coloured by value class.

    At most :data:`MAX_POINTS` customers are drawn (a seeded sample, said in a note);
    the quadrant labels count every customer. Needs ``actual_value``,
    ``strategic_value`` and ``value_class``.
    """
    _require(scored, ["actual_value", "strategic_value", "value_class"], "value_matrix")
    title, subtitle = t("chart.matrix.title", lang), t("chart.matrix.subtitle", lang)
    # Only the columns drawn: filtering and sorting a million rows of every column took ~1 s.
    scored = scored[[c for c in ("customer_id", "name", "tier", "actual_value", "strategic_value",
                                 "value_class") if c in scored]]
    prospect = (scored["tier"] == "prospect").to_numpy() if "tier" in scored else np.zeros(len(scored), bool)
    prospects = int(prospect.sum())
    if prospects:  # the matrix is about customers who buy; prospects have no actual value yet
        scored = scored[~prospect]
    if len(scored) == 0:
        return _empty(title, lang, subtitle)
    counts = scored["value_class"].value_counts()
    shown, sampled = _sample(scored)
    notes = [t("chart.note.sampled", lang, shown=format_count(len(shown)), total=format_count(len(scored)))] \
        if sampled else []
    if prospects:
        notes.append(t("chart.note.prospects_excluded", lang, count=format_count(prospects)))
    who = pd.Series("", index=shown.index, dtype="string")
    for column in ("customer_id", "name"):  # the name when there is one, else the id
        if column in shown:
            who = shown[column].astype("string").fillna(who)
    who = who.fillna("").str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False) \
        .str.replace(">", "&gt;", regex=False).to_numpy(dtype=object)  # names are text: see plain()
    hover = (f"%{{customdata}}<br>{t('dim.actual_value', lang)} %{{x:.0f}}"
             f"<br>{t('dim.strategic_value', lang)} %{{y:.0f}}<extra>%{{fullData.name}}</extra>")
    fig = go.Figure()
    for cls in _MATRIX_LAYER_ORDER:
        mask = (shown["value_class"] == cls).to_numpy()
        if not mask.any():
            continue
        fig.add_trace(go.Scatter(
            x=shown["actual_value"].to_numpy(dtype=float)[mask],
            y=shown["strategic_value"].to_numpy(dtype=float)[mask],
            mode="markers", name=t(f"class.{cls}", lang), customdata=who[mask], hovertemplate=hover,
            marker=dict(color=CLASS_COLORS[cls], size=6, opacity=0.65, line=dict(width=0))))
    a_cut, s_cut = float(class_rules.actual_cut), float(class_rules.strategic_cut)
    dash = dict(color="#777777", dash="dash", width=1.2)
    fig.add_shape(type="line", x0=a_cut, x1=a_cut, y0=0, y1=100, line=dash)
    # Growable needs actual value under its cut, so the strategic line stops there.
    fig.add_shape(type="line", x0=0, x1=a_cut, y0=s_cut, y1=s_cut, line=dash)

    def quadrant(cls, x, y, xanchor, yanchor):
        fig.add_annotation(
            x=x, y=y, xanchor=xanchor, yanchor=yanchor, showarrow=False, align=xanchor,
            text=t("chart.matrix.quadrant", lang, label=t(f"class.{cls}", lang),
                   count=format_count(int(counts.get(cls, 0))), action=t(f"chart.action_short.{cls}", lang)),
            font=dict(size=11, color=CLASS_COLORS[cls]), bgcolor="rgba(255, 255, 255, 0.8)")

    quadrant("most_valuable", 100, 100, "right", "top")
    quadrant("growable", 1, 100, "left", "top")
    quadrant("maintain", 1, 0, "left", "bottom")
    quadrant("below_zero", 100, 0, "right", "bottom")
    fig.update_xaxes(title=dict(text=t("dim.actual_value", lang)), range=[-2, 102], zeroline=False)
    fig.update_yaxes(title=dict(text=t("dim.strategic_value", lang)), range=[-2, 102], zeroline=False)
    return _finish(fig, title, subtitle, notes, height=560)


# --------------------------------------------------------------------------- 3. whale curve


def whale_sentence(reading: dict, lang: str = "en", *, top: float = WHALE_TOP,
                   bottom: float = WHALE_BOTTOM) -> str:
    """Kotler's 20/80/30 reading in words.

    "The top 20% of customers give 89% of profit; the bottom 30% cost 9% of it"
    ("add" instead of "cost" when the bottom customers make money).

    ``reading`` is :func:`valuation.tiers.whale_reading` output computed with the same ``top`` and ``bottom``.
    """
    top_share = reading.get("top_share", float("nan"))
    if not reading.get("customers") or top_share is None or not math.isfinite(top_share):
        return t("chart.whale.empty", lang)
    if reading.get("total_profit", 0.0) <= 0:
        return t("chart.whale.negative_total", lang, total=format_money(reading["total_profit"], lang))
    bottom_share = float(reading["bottom_share"])
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
                     table: pd.DataFrame | None = None) -> go.Figure:
    """Flows between two scorings: tier → tier (``kind="tier"``) or stage → stage (``kind="stage"``).

    ``before`` and ``after`` are index-aligned Series of labels; link values add up
    to the number of customers present in both. Or ``table``, the counts already made
    (``tiers.migration_from_codes`` on a slider move: no million-label crosstab).
    """
    prefix, colors = ("stage", STAGE_COLORS) if kind == "stage" else ("tier", TIER_COLORS)
    title = t(f"chart.migration.title_{prefix}", lang)
    if table is None:
        table = migration_matrix(before, after, kind=prefix)
    total = int(table.to_numpy().sum())
    if total == 0:
        return _empty(title, lang)
    moved = total - int(np.trace(table.to_numpy()))
    subtitle = t("chart.migration.subtitle", lang, moved=format_count(moved), total=format_count(total))
    rows = [c for c in table.index if table.loc[c].sum() > 0]
    cols = [c for c in table.columns if table[c].sum() > 0]
    labels = [_label(prefix, c, lang) for c in rows] + [_label(prefix, c, lang) for c in cols]
    node_colors = [colors.get(c, NEUTRAL_COLOR) for c in rows + cols]
    node_hover = ([t("chart.migration.node_before", lang, label=_label(prefix, c, lang),
                     count=format_count(int(table.loc[c].sum()))) for c in rows]
                  + [t("chart.migration.node_after", lang, label=_label(prefix, c, lang),
                       count=format_count(int(table[c].sum()))) for c in cols])
    source, target, value, link_colors, link_hover = [], [], [], [], []
    for i, b in enumerate(rows):
        for j, a in enumerate(cols):
            n = int(table.loc[b, a])
            if n:
                source.append(i)
                target.append(len(rows) + j)
                value.append(n)
                link_colors.append(_rgba(colors.get(b, NEUTRAL_COLOR), 0.35))
                link_hover.append(t("chart.migration.link", lang, before=_label(prefix, b, lang),
                                    after=_label(prefix, a, lang), count=format_count(n)))
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=labels, color=node_colors, pad=14, thickness=18, sort="input",
                  line=dict(color="white", width=0.5), customdata=node_hover,
                  hovertemplate="%{customdata}<extra></extra>"),
        link=dict(source=source, target=target, value=value, color=link_colors, customdata=link_hover,
                  hovertemplate="%{customdata}<extra></extra>")))
    return _finish(fig, title, subtitle, legend=False, height=480)


# --------------------------------------------------------------------------- 5. contributions


def contribution_bars(contrib_row: pd.Series, lang: str = "en") -> go.Figure:
    """One customer's composite explained: each dimension's points (w·s/Σw), which add up to the composite.

    ``contrib_row`` is one row of :func:`valuation.scoring.contributions` (index = dimensions).
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
    fig = go.Figure(go.Bar(
        y=labels, x=values, orientation="h", marker=dict(color=LINE_COLOR), text=[f"{v:.1f}" for v in values],
        textposition="outside", cliponaxis=False, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        name=t("chart.contrib.x", lang)))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=dict(text=t("chart.contrib.x", lang)), range=[0, max(values.max() * 1.15, 1.0)])
    return _finish(fig, title, subtitle, legend=False, height=160 + 40 * len(dims))


# --------------------------------------------------------------------------- 6. funnel


def lifecycle_funnel(funnel_df: pd.DataFrame, lang: str = "en") -> go.Figure:
    """The lifecycle funnel (:func:`valuation.lifecycle.funnel`) with each step's conversion from the one before.

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
    Takes :func:`valuation.clv.holdout_by_frequency` output: index ``frequency``,
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

    Takes :func:`valuation.clv.probability_alive_matrix` output. Grids over
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


def formula_clv_chart(table: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Discounted margin per period (bars) and the running CLV (line) of :func:`valuation.clv.formula_clv_table`.

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


def for_projector(fig: go.Figure, height: int = 640) -> go.Figure:
    """A copy of ``fig`` in large type for a projector (presentation mode, reports)."""
    big = go.Figure(fig)
    big.update_layout(font=dict(size=20), title=dict(font=dict(size=28)), height=height,
                      hoverlabel=dict(font=dict(size=18)), legend=dict(font=dict(size=18)))
    for annotation in big.layout.annotations:
        size = annotation.font.size if annotation.font and annotation.font.size else 13
        annotation.font.size = int(size * 1.5)
    return big
