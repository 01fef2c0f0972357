"""Money, counts, shares and dates as a reader of each language expects them."""

from __future__ import annotations

import math


def format_money(value: float | None, lang: str = "en", *, symbol: str = "¥") -> str:
    """Money as a reader of ``lang`` expects: ¥3,406万 / ¥1.2亿 in Chinese, ¥34.1M / ¥12.5K in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    if lang == "zh":
        if v >= 1e8:
            return f"{sign}{symbol}{v / 1e8:,.2f}亿"
        if v >= 1e4:
            return f"{sign}{symbol}{v / 1e4:,.0f}万" if v >= 1e6 else f"{sign}{symbol}{v / 1e4:,.1f}万"
        return f"{sign}{symbol}{v:,.0f}"
    if v >= 1e9:
        return f"{sign}{symbol}{v / 1e9:,.2f}B"
    if v >= 1e6:
        return f"{sign}{symbol}{v / 1e6:,.1f}M"
    if v >= 1e3:
        return f"{sign}{symbol}{v / 1e3:,.1f}K"
    return f"{sign}{symbol}{v:,.0f}"


def format_count(value: int, lang: str = "en") -> str:
    return f"{int(value):,}"


def format_pct(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.{digits}f}%"


def format_date(value, lang: str = "en") -> str:
    """2024年1月5日 in Chinese, 2024-01-05 in English."""
    if value is None:
        return "—"
    try:
        import pandas as pd

        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if ts is pd.NaT:
        return "—"
    return f"{ts.year}年{ts.month}月{ts.day}日" if lang == "zh" else ts.strftime("%Y-%m-%d")
