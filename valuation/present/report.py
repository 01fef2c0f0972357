"""A self-contained HTML report for meetings: key figures in words, the configuration, charts and alert lists."""

from __future__ import annotations

import datetime as dt
import html
import math
import numbers

import pandas as pd

from valuation.analysis import insights
from valuation.i18n.format import format_count, format_date, format_money, format_pct, in_currency
from valuation.i18n.text import t
from valuation.model import lifecycle, tiers
from valuation.model.settings import Settings
from valuation.present import charts, charts_clv, charts_matrix
from valuation.present.exports import (class_money_sentences, class_table, column_kind, column_label, dataset_notes,
                                       dimension_label, settings_table, tier_table)

TOP_ROWS = 20  # customers per alert table
FONT_STACK = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'
PLOTLY_CONFIG = {"responsive": True, "displaylogo": False}

_CODES = {"tier": "tier", "value_class": "class", "lifecycle_stage": "stage", "rfm_segment": "rfm",
          "rfm_class": "rfmc", "grade_profit": "grade", "grade_potential": "grade", "grade_loyalty": "grade"}
AT_RISK_COLUMNS = ("customer_id", "name", "tier", "value_class", "lifecycle_stage", "days_since_last_order",
                   "mean_gap_days", "last_order_date", "revenue_12m", "clv")
DECLINING_COLUMNS = ("customer_id", "name", "tier", "revenue_prev_6m", "revenue_last_6m", "revenue_drop",
                     "revenue_trend", "clv")

_CSS = """
:root { color-scheme: light; }
body { font-family: %(font)s; color: #222; margin: 0 auto; max-width: 1180px; padding: 24px 32px 48px;
       line-height: 1.55; background: #fff; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e3e8ef; }
.meta { color: #555; margin: 2px 0; }
.note { color: #777; font-size: 13px; }
ul.words { padding-left: 20px; }
ul.words li { margin: 4px 0; }
.whale { font-size: 17px; font-weight: 600; color: #08306B; margin: 12px 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; width: 100%%; }
th, td { border: 1px solid #dde3ea; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f3f6fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart { margin: 14px 0 26px; break-inside: avoid; page-break-inside: avoid; }
footer { margin-top: 40px; color: #888; font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, tr { break-inside: avoid; page-break-inside: avoid; }
}
@page { size: A4; margin: 12mm; }
""" % {"font": FONT_STACK}


def _e(value) -> str:
    """Any value as escaped HTML text (quotes too, so it is safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cell(column: str, value, lang: str) -> tuple[str, bool]:
    """(text, numeric) of one table cell, formatted for a reader of ``lang``."""
    if _missing(value):
        return "—", False
    if column in _CODES:
        return t(f"{_CODES[column]}.{value}", lang), False
    if isinstance(value, str):  # already formatted, or plain text
        return value, False
    kind = column_kind(column)  # the kinds the screen and the workbook format by
    if kind == "money":
        return format_money(float(value), lang), True
    if kind in ("days", "count"):
        return format_count(int(round(float(value))), lang), True
    if kind == "pct":
        return format_pct(float(value)), True
    if kind == "score":
        return f"{float(value):.1f}", True
    if column.endswith("_date"):
        return format_date(value, lang), False
    if isinstance(value, float):
        return f"{value:,.1f}", True
    return str(value), isinstance(value, numbers.Integral) and not isinstance(value, bool)


def html_table(frame: pd.DataFrame, lang: str, headers: list[str] | None = None, numeric=()) -> str:
    """A frame as an HTML table: translated headers, formatted values, every text escaped.

    ``numeric`` names columns of already formatted numbers, aligned right like numbers.
    """
    headers = headers if headers is not None else [column_label(str(c), lang) for c in frame.columns]
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, values):
            text, is_number = _cell(str(column), value, lang)
            is_number = is_number or column in numeric
            cells.append(f'<td class="num">{_e(text)}</td>' if is_number else f"<td>{_e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure_html(fig, name: str) -> str:
    height = fig.layout.height or 450
    div = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, config=PLOTLY_CONFIG,
                      div_id=f"chart-{name}", default_width="100%", default_height=f"{int(height)}px")
    return f'<section class="chart">{div}</section>'


def report_figures(scored: pd.DataFrame, lang: str, settings: Settings = Settings()) -> dict:
    """The report's charts, by name, in the order they appear."""
    return {
        "pyramid": charts.tier_pyramid(scored, lang),
        "matrix": charts_matrix.value_matrix(scored, lang, settings.classes),
        "whale": charts.whale_curve(scored, lang),
        "funnel": charts.lifecycle_snapshot(lifecycle.funnel(scored, scored["lifecycle_stage"], settings.lifecycle),
                                            lang),
        "activity": charts.activity_bars(scored, lang),
        "clv": charts_clv.clv_by_tier(scored, lang),
        "share": charts.tier_share_bars(scored, lang),
    }


def _when(value, lang: str) -> str:
    ts = pd.Timestamp(value)
    return f"{format_date(ts, lang)} {ts:%H:%M}"


def _key_figures(scored: pd.DataFrame, lang: str) -> str:
    k = insights.kpis(scored)
    share = k["tier_a_profit_share"]
    words = [
        t("report.words.customers", lang, customers=format_count(k["customers"]),
          prospects=format_count(k["prospects"])),
        t("report.words.revenue", lang, revenue=format_money(k["revenue_12m"], lang),
          profit=format_money(k["net_profit_12m"], lang)),
    ]
    if share is not None and math.isfinite(share):
        words.append(t("report.words.tier_a", lang, share=format_pct(share)))
    words.append(t("report.words.at_risk", lang, n=format_count(k["customers_at_risk"]),
                   value=format_money(k["value_at_risk"], lang)))
    words.append(t("report.words.below_zero", lang, n=format_count(k["below_zero"])))
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else scored["tier"] != "prospect"
    whale = charts.whale_sentence(tiers.whale_reading(scored.loc[has, "net_profit_12m"]), lang)
    items = "".join(f"<li>{_e(w)}</li>" for w in words)
    return f'<ul class="words">{items}</ul><p class="whale">{_e(whale)}</p>'


def _tiers_html(scored: pd.DataFrame, lang: str) -> str:
    table = tier_table(scored)
    cells = pd.DataFrame({
        "tier": table["tier"],
        "customers": [format_count(n) for n in table["customers"]],
        "customer_share": [format_pct(v) for v in table["customer_share"]],
        "revenue_12m": [format_money(v, lang) for v in table["revenue_12m"]],
        "revenue_share": [format_pct(v) for v in table["revenue_share"]],
        "net_profit_12m": [format_money(v, lang) for v in table["net_profit_12m"]],
        "profit_share": [format_pct(v) for v in table["profit_share"]],
    })
    return html_table(cells, lang, [column_label(c, lang) for c in table.columns], numeric=set(cells.columns[1:]))


def _classes_html(scored: pd.DataFrame, lang: str) -> str:
    table = class_table(scored, lang)
    cells = pd.DataFrame({
        "value_class": table["value_class"],
        "customers": [format_count(n) for n in table["customers"]],
        "net_profit_12m": [format_money(v, lang) for v in table["net_profit_12m"]],
        "action": table["action"],
    })
    words = "".join(f"<li>{_e(line.replace('**', ''))}</li>" for line in class_money_sentences(scored, lang))
    return html_table(cells, lang, [column_label(c, lang) for c in cells.columns],
                      numeric={"customers", "net_profit_12m"}) + f'<ul class="words">{words}</ul>'


def _data_html(scored: pd.DataFrame, lang: str) -> str:
    report = scored.attrs.get("dimensions")
    lines = []
    if report is not None:
        separator = t("actions.list_separator", lang)
        lines.append(t("report.dims_available", lang,
                       dims=separator.join(dimension_label(d, lang) for d in report.available)))
        if report.missing:
            lines.append(t("dim.missing", lang, dims=dataset_notes(scored, lang)["missing"]))
        else:
            lines.append(t("report.dims_none_missing", lang))
    availability = scored.attrs.get("availability")
    for note in getattr(availability, "notes", ()) or ():
        lines.append(t(f"note.{note}", lang))
    fit = scored.attrs.get("clv_fit")
    if fit is not None:
        lines.append(t("note.clv_formula", lang, reason=fit.reason_text(lang)) if fit.method == "formula"
                     else t("report.clv_model", lang))
    return '<ul class="words">' + "".join(f"<li>{_e(x)}</li>" for x in lines) + "</ul>"


def _alert_section(frame: pd.DataFrame, columns, title_key: str, empty_key: str, lang: str, top: int) -> str:
    shown = frame[[c for c in columns if c in frame]].head(top)
    title = t(title_key, lang, n=format_count(len(shown)), total=format_count(len(frame)))
    body = html_table(shown, lang) if len(shown) else f'<p class="note">{_e(t(empty_key, lang))}</p>'
    return f"<h2>{_e(title)}</h2>{body}"


@in_currency
def build_report(scored: pd.DataFrame, *, lang: str, dataset: str, settings: Settings = Settings(),
                 generated_at: dt.datetime | str | None = None, title: str | None = None,
                 top: int = TOP_ROWS) -> str:
    """One HTML document, readable offline, for a meeting about the customer base.

    Parameters
    ----------
    scored : DataFrame
        ``pipeline.score`` output, with its ``attrs`` (as_of, dimensions, clv_fit, availability).
    lang : {"zh", "en"}
        Language of every label, number and date.
    dataset : str
        The dataset's name, shown in the header.
    settings : Settings
        The configuration the scores were computed with (shown as a table; the
        funnel and value matrix use its lifecycle and class rules).
    generated_at : datetime, optional
        When the report was made (default: now).
    title : str, optional
        The heading (default: "Customer value report" in ``lang``).
    top : int
        Customers shown in each alert table.
    currency : str, optional
        The currency of the dataset's money (``Store.currency``): every figure, axis and label of
        the report is written in it (default: the current one, CNY unless set; ``format.in_currency``).

    Returns
    -------
    str
        A complete HTML document: plotly.js inlined once in the head, the seven
        charts drawn from it, no reference to any other file or host, and every
        text from the data (names, ids, the dataset name) HTML-escaped.
    """
    from plotly.offline import get_plotlyjs

    title = title or t("report.title", lang)
    as_of = scored.attrs.get("as_of")
    when = generated_at if generated_at is not None else dt.datetime.now()
    figures = report_figures(scored, lang, settings)
    at_risk = lifecycle.at_risk_alerts(scored)
    declining = lifecycle.declining_valuable(scored) if {"revenue_trend", "revenue_last_6m",
                                                         "revenue_prev_6m"} <= set(scored.columns) else None
    config = settings_table(settings, lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} · {_e(dataset)}</title>",
        f"<style>{_CSS}</style>",
        # plotly.js once, inline: the file must open on a laptop without network in a meeting room.
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(t("report.dataset", lang, name=dataset))}</p>',
        f'<p class="meta">{_e(t("report.as_of", lang, date=format_date(as_of, lang)))}</p>',
        f'<p class="meta">{_e(t("report.generated", lang, when=_when(when, lang)))}</p>',
        f'<p class="note">{_e(t("report.offline_note", lang))}</p>',
        "</header>",
        f"<h2>{_e(t('report.section.key_figures', lang))}</h2>",
        _key_figures(scored, lang),
        f"<h2>{_e(t('report.section.tiers', lang))}</h2>",
        _tiers_html(scored, lang),
        f"<h2>{_e(t('report.section.classes', lang))}</h2>",
        _classes_html(scored, lang),
        f"<h2>{_e(t('report.section.data', lang))}</h2>",
        _data_html(scored, lang),
        f"<h2>{_e(t('report.section.config', lang))}</h2>",
        html_table(config, lang, [column_label(c, lang) for c in config.columns]),
        f"<h2>{_e(t('report.section.charts', lang))}</h2>",
        *(_figure_html(fig, name) for name, fig in figures.items()),
        _alert_section(at_risk, AT_RISK_COLUMNS, "report.section.at_risk", "life.no_alerts", lang, top),
    ]
    if declining is not None:
        parts.append(_alert_section(declining, DECLINING_COLUMNS, "report.section.declining",
                                    "life.no_declining", lang, top))
    parts += [f"<footer>{_e(t('report.footer', lang))}</footer>", "</body>", "</html>"]
    return "\n".join(parts)
