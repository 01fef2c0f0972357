"""Tables for people: engine results with headers, row names and numbers in the reader's language."""

from __future__ import annotations

import math

import pandas as pd

from valuation.i18n.format import format_count, format_money, format_pct
from valuation.i18n.text import t


def _fmt(value, kind: str, lang: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "money":
        return format_money(value, lang)
    if kind == "pct":
        return format_pct(value, 1)
    if kind == "count":
        return format_count(value, lang)
    return f"{value:.3f}"


def backtest_ranking(result, lang: str = "en") -> pd.DataFrame:
    """How well each predictor ranked the realised profit: CLV, last 12 months' profit, composite, perfect."""
    rows = []
    for name in ("clv", "naive", "composite", "perfect"):
        r = result.ranking.loc[name]
        rows.append({t("bt.col.predictor", lang): t(f"bt.pred.{name}", lang),
                     t("bt.col.spearman", lang): _fmt(float(r["spearman"]), "num", lang),
                     t("bt.col.capture", lang): _fmt(float(r["top10_capture"]), "pct", lang)})
    return pd.DataFrame(rows)


def backtest_tiers(result, lang: str = "en") -> pd.DataFrame:
    """Per tier scored back then: customers, what they really brought since, profit share and per customer."""
    rows = []
    table = pd.concat([result.by_tier, result.prospects])
    for tier, r in table.iterrows():
        rows.append({t("bt.col.tier", lang): t(f"tier.{tier}", lang),
                     t("bt.col.customers", lang): _fmt(int(r["customers"]), "count", lang),
                     t("bt.col.revenue", lang): _fmt(float(r["revenue"]), "money", lang),
                     t("bt.col.net_profit", lang): _fmt(float(r["net_profit"]), "money", lang),
                     t("bt.col.profit_share", lang): _fmt(float(r["profit_share"]), "pct", lang),
                     t("bt.col.per_customer", lang): _fmt(float(r["profit_per_customer"]), "money", lang)})
    return pd.DataFrame(rows)


def selection_table(selection: dict, lang: str = "en") -> pd.DataFrame:
    """The purchase-model comparison of ``ClvFit.selection`` for people: one row per candidate with
    its predicted holdout purchases, the actual ones, the error per customer and whether it was
    chosen (headers and model names in ``lang``)."""
    rows = []
    for name, result in selection["candidates"].items():
        fitted = "error" not in result
        rows.append({
            t("clv.sel.model", lang): t(f"clv.model.{name}", lang),
            t("clv.sel.predicted", lang): f"{result['predicted']:,.0f}" if fitted else "—",
            t("clv.sel.actual", lang): f"{selection['actual']:,.0f}",
            t("clv.sel.rmse", lang): f"{result['rmse']:.3f}" if fitted else t("clv.sel.no_fit", lang),
            t("clv.sel.chosen", lang): "✓" if name == selection["chosen"] else "",
        })
    return pd.DataFrame(rows)

