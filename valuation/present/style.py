"""The look every figure shares: a colour per tier, class and stage, fonts, sizes, and the finishing helpers."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from valuation.i18n.format import currency_symbol, uses_wan
from valuation.i18n.text import t
from valuation.model import tiers
from valuation.model.settings import DIMENSIONS, OPTIONAL_DIMENSIONS

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
    "prospect": "#D9D9D9",
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
    "woken": "#66C2A5",
    "none": "#D9D9D9",
}
NEUTRAL_COLOR = "#9E9E9E"
LINE_COLOR = "#0072B2"
ACCENT_COLOR = "#E69F00"

FONT_FAMILY = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
               '"Microsoft YaHei", "Helvetica Neue", Arial, sans-serif')
TEMPLATE = "valuation"


def _register_template() -> None:
    """plotly_white's layout, as a template of our own and the default (no per-trace defaults).

    plotly validates and deep-copies a figure's template whenever it is set: plotly_white with its
    defaults for every trace type took ~36 ms a figure, and the default "plotly" template ~12 ms
    on every ``go.Figure()``; this layout-only template takes ~3 ms (its bar outlines alone cost
    ~9 ms more, so they are left out: bars are drawn without them). Most of a dashboard rerun
    was that (bench/bench_rerun.py, docs/benchmarks.md). The default is set for this process:
    figures made anywhere in the app start from the same look without paying for another.
    """
    import plotly.io as pio

    white = pio.templates["plotly_white"]
    pio.templates[TEMPLATE] = go.layout.Template(layout=white.layout)
    pio.templates.default = TEMPLATE


_register_template()
_TEMPLATE_JSON: dict | None = None  # the template as plain JSON, made once

# plotly's property machinery (update_layout, add_annotation, add_trace: every key checked, set and
# deep-copied) took ~30 ms of a 35 ms pyramid and most of a slider rerun (bench/load_test.py). The
# figures are assembled as plain dicts and made a go.Figure once, unchecked. Under the tests
# (VALUATION_CHECK_FIGURES=1, tests/conftest.py) every figure is checked in full, so a misspelt
# property fails a test instead of being ignored by the browser.
CHECK_FIGURES = os.environ.get("VALUATION_CHECK_FIGURES", "") == "1"


class Figure(go.Figure):
    """A go.Figure whose ``to_dict`` does not deep-copy it nor turn its arrays into base64 first.

    ``st.plotly_chart`` calls ``to_dict`` on every rerun only to serialise the result (~7 ms of a
    slider rerun for three figures); the layout and each trace are copied one level deep, the
    arrays are written out as lists. Everything else is plotly's.
    """

    def to_dict(self):
        return {"data": [dict(trace) for trace in self._data], "layout": dict(self._layout)}


def figure(spec: dict) -> go.Figure:
    """A :class:`Figure` of ``spec`` (``{"data": [trace dicts with "type"], "layout": {…}}``),
    checked only under the tests (``CHECK_FIGURES``)."""
    return Figure(spec, _validate=CHECK_FIGURES)


def _template_json() -> dict:
    global _TEMPLATE_JSON
    if _TEMPLATE_JSON is None:
        import plotly.io as pio

        _TEMPLATE_JSON = pio.templates[TEMPLATE].to_plotly_json()
    return _TEMPLATE_JSON


def merge(into: dict, extra: dict) -> dict:
    """``extra`` merged into ``into`` key by key (nested dicts merged, the rest replaced), as
    plotly's update_layout does; returns ``into``."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value
    return into
MAX_POINTS = 2000  # the most points (or cells) a figure sends to the browser
SAMPLE_SEED = 20240101  # fixed, so the same customers are drawn on every rerun
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


def _finish(fig: go.Figure | dict, title: str, subtitle: str | None = None, notes=(), height: int | None = None,
            legend: bool = True) -> go.Figure:
    """The house layout: template, CJK-capable fonts, margins, a left title and notes under the plot.

    ``fig`` is a go.Figure or its spec as a plain dict (``{"data": […], "layout": {…}}``, not
    copied: it becomes the figure's); the house layout is merged into it as a dict and the
    figure made once (:func:`figure`).
    """
    if isinstance(fig, go.Figure):  # not to_dict(): it turns arrays into base64 strings
        spec = {"data": [trace.to_plotly_json() for trace in fig.data], "layout": fig.layout.to_plotly_json()}
    else:
        spec = fig
    layout = spec.setdefault("layout", {})
    subtitle = _wrap(subtitle) if subtitle else subtitle
    extra = 16 * subtitle.count("<br>") if subtitle else 0
    layout["template"] = _template_json()  # shared: go.Figure copies what it is given
    merge(layout, dict(
        font=dict(family=FONT_FAMILY, size=13, color="#333333"),
        hoverlabel=dict(font=dict(family=FONT_FAMILY)),
        title=dict(text=title, x=0.01, xanchor="left", yref="container", y=1, yanchor="top",
                   pad=dict(t=18), font=dict(size=17),
                   subtitle=dict(text=subtitle or "", font=dict(size=12, color="#666666"))),
        # Room for title, subtitle and, under them, a legend row above the plot.
        margin=dict(l=60, r=30, t=(70 if subtitle else 50) + extra + (40 if legend else 10),
                    b=max(100, 70 + 16 * len(notes)) if notes else 55),
        showlegend=legend,
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="right", x=1),
    ))
    if height:
        layout["height"] = height
    if notes:
        layout["annotations"] = list(layout.get("annotations", ())) + [
            dict(name=NOTE, text=note, xref="paper", yref="paper", x=0, y=0, xanchor="left", yanchor="top",
                 yshift=-52 - 16 * i, showarrow=False, font=dict(size=11, color="#777777"))
            for i, note in enumerate(notes)]
    return figure(spec)


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
    spec = {"data": [], "layout": {
        "annotations": [dict(text=t("chart.empty", lang), xref="paper", yref="paper", x=0.5, y=0.5,
                             showarrow=False, font=dict(size=14, color="#777777"))],
        "xaxis": {"visible": False}, "yaxis": {"visible": False}}}
    return _finish(spec, title, subtitle, legend=False)


def _money_axis(values, lang: str, what: str) -> tuple[float, dict]:
    """Divisor for the plotted values and the axis settings in the current currency (i18n/format.py):
    万元 when large in Chinese for the yuan; otherwise the symbol + K/M (¥, $ or US$ in Chinese, € …)."""
    if uses_wan(lang=lang):
        arr = np.abs(np.asarray(values, dtype=float))
        peak = float(np.nanmax(arr)) if arr.size and np.isfinite(arr).any() else 0.0
        divisor, unit = (1e4, t("chart.unit.wan", lang)) if peak >= 1e4 else (1.0, t("chart.unit.yuan", lang))
        return divisor, dict(title=dict(text=t("chart.axis.money", lang, what=what, unit=unit)),
                             exponentformat="none", separatethousands=True)
    return 1.0, dict(title=dict(text=what), tickformat="~s", tickprefix=currency_symbol(lang=lang))


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
    if dim.startswith(("custom:", "score_custom:")):  # a header may hold ":" itself (http://…)
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


def _sample_positions(frame: pd.DataFrame, n: int = MAX_POINTS, rows: np.ndarray | None = None) -> np.ndarray | None:
    """Positions in ``frame`` of at most ``n`` of the rows ``rows`` (every row when None), drawn with
    a fixed seed after ordering them by customer_id, so row order does not matter: the rows
    ``frame.iloc[rows].sort_values("customer_id", kind="mergesort").sample(n, random_state=SAMPLE_SEED)``
    gives, without building either frame; None when they all fit."""
    count = len(frame) if rows is None else len(rows)
    if count <= n:
        return None
    # The rows DataFrame.sample(n, random_state=SAMPLE_SEED) draws, taken alone: reordering all
    # of a million rows first took ~0.5 s of a dashboard's first run.
    positions = np.random.RandomState(SAMPLE_SEED).choice(count, size=n, replace=False)
    if "customer_id" in frame:  # stable, missing ids last: sort_values(kind="mergesort"), in Arrow
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = frame["customer_id"]
        if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow":
            values = pa.array(ids.array)
        else:
            values = pa.array(ids.astype(object).to_numpy(), type=pa.string(), from_pandas=True)
        if rows is not None:
            values = values.take(pa.array(rows))
        positions = pc.sort_indices(values).to_numpy()[positions]
    return positions if rows is None else rows[positions]


def _buyer_concentration(scored: pd.DataFrame, codes=None) -> pd.DataFrame:
    """tiers.concentration over customers with orders, every pyramid tier and below_zero present (0 if none).

    ``codes``: the tier of each row of ``scored`` as codes into ``tiers.TIERS``
    (``pipeline.tier_codes``): the same table by weighted counts, without grouping labels.
    """
    order = list(tiers.PYRAMID) + ["below_zero"]
    if codes is not None:  # weighted counts straight into the table's rows (every slider move)
        return tiers.concentration_from_codes(codes, scored["revenue_12m"], scored["net_profit_12m"], shown=order)
    buyers = scored[scored["tier"] != "prospect"]
    conc = tiers.concentration(buyers) if len(buyers) else pd.DataFrame(columns=["tier"])
    conc = conc.set_index("tier").reindex(order)
    return conc.fillna(0.0).reset_index()
