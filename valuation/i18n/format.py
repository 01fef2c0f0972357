"""Money, counts, shares and dates as a reader of each language expects them."""

from __future__ import annotations

import math


# (smallest value, divisor, unit, decimals), largest first: 3,406万 but 12.5万; 34.1M, 12.5K.
_MONEY_SCALES = {
    "zh": ((1e8, 1e8, "亿", 2), (1e6, 1e4, "万", 0), (1e4, 1e4, "万", 1), (0.0, 1.0, "", 0)),
    "en": ((1e9, 1e9, "B", 2), (1e6, 1e6, "M", 1), (1e3, 1e3, "K", 1), (0.0, 1.0, "", 0)),
}


def format_money(value: float | None, lang: str = "en", *, symbol: str = "¥") -> str:
    """Money as a reader of ``lang`` expects: ¥3,406万 / ¥1.2亿 in Chinese, ¥34.1M / ¥12.5K in English.

    The sign comes first (-¥228万, -¥2.3M); a unit is chosen after rounding (99,999,999 is
    ¥1.00亿, not ¥10,000万; 999,960 is ¥1.0M, not ¥1,000.0K), and what rounds to nothing has no sign.
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    v = abs(float(value))
    scales = _MONEY_SCALES["zh" if lang == "zh" else "en"]
    i = next(i for i, scale in enumerate(scales) if v >= scale[0] or i == len(scales) - 1)
    if i > 0 and round(v / scales[i][1], scales[i][3]) * scales[i][1] >= scales[i - 1][0]:
        i -= 1  # rounded, it reaches the larger unit
    _, divisor, unit, digits = scales[i]
    shown = round(v / divisor, digits)
    sign = "-" if value < 0 and shown > 0 else ""
    return f"{sign}{symbol}{shown:,.{digits}f}{unit}"


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
