"""Money, counts, shares and dates as a reader of each language expects them.

Money is written in its dataset's currency (``CURRENCIES``). Which one is a per-run setting, as the
acting user is (``valuation/data/access.py``): a context variable, CNY unless set. The dashboard sets
it at the start of every run from the chosen dataset (``ui/sidebar.py``); each Streamlit session runs
in its own thread, so sessions never see each other's. Headless code passes the currency itself:
``format_money(v, lang, currency="USD")``, or ``with using_currency("USD"):`` around a whole report,
workbook or command (``present/report.py``, ``present/exports.py``, ``cli/``), so the charts and
labels drawn inside follow too.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math

DEFAULT_CURRENCY = "CNY"

# Currency -> (symbol in English, symbol in Chinese, name in English, name in Chinese (no Latin code: a
# Chinese page has no English words), unit in Chinese labels: 实际价值（净CLV，元）). ¥ alone is the
# yuan: the yen is written JP¥ so the two never look alike, and a US dollar is US$ in Chinese text
# (where $ alone might be any dollar), $ in English.
CURRENCIES: dict[str, tuple[str, str, str, str, str]] = {
    "CNY": ("¥", "¥", "Chinese yuan (CNY)", "人民币", "元"),
    "USD": ("$", "US$", "US dollar (USD)", "美元", "美元"),
    "EUR": ("€", "€", "Euro (EUR)", "欧元", "欧元"),
    "HKD": ("HK$", "HK$", "Hong Kong dollar (HKD)", "港元", "港元"),
    "TWD": ("NT$", "NT$", "New Taiwan dollar (TWD)", "新台币", "新台币"),
    "GBP": ("£", "£", "Pound sterling (GBP)", "英镑", "英镑"),
    "JPY": ("JP¥", "JP¥", "Japanese yen (JPY)", "日元", "日元"),
    "SGD": ("S$", "S$", "Singapore dollar (SGD)", "新加坡元", "新加坡元"),
    "AUD": ("A$", "A$", "Australian dollar (AUD)", "澳元", "澳元"),
    "CAD": ("C$", "C$", "Canadian dollar (CAD)", "加元", "加元"),
    "KRW": ("₩", "₩", "South Korean won (KRW)", "韩元", "韩元"),
}

_CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("valuation_currency", default=DEFAULT_CURRENCY)


def check_currency(code) -> str:
    """``code`` as a known currency code (``usd`` -> ``USD``); ValueError naming the known ones."""
    text = str(code or "").strip().upper()
    if text not in CURRENCIES:
        raise ValueError(f"unknown currency {code!r}: choose one of {', '.join(CURRENCIES)}")
    return text


def set_currency(code: str | None) -> None:
    """The currency money is written in from now on, in this thread (one Streamlit run, a command).
    An unknown or missing code (a database written by a later version) is the default, CNY."""
    _CURRENT.set(code if code in CURRENCIES else DEFAULT_CURRENCY)


def current_currency() -> str:
    return _CURRENT.get()


@contextlib.contextmanager
def using_currency(code: str | None):
    """Money written in ``code`` inside the block (a report, a workbook, a command), as it was after;
    None keeps the current currency."""
    token = _CURRENT.set(current_currency() if code is None else code if code in CURRENCIES else DEFAULT_CURRENCY)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def in_currency(fn):
    """``fn`` with a ``currency=`` keyword: the currency of everything it writes (its labels, figures and
    charts; None: the current one). For what runs headless or on another thread (a report, a workbook)."""
    @functools.wraps(fn)
    def wrapper(*args, currency: str | None = None, **kwargs):
        with using_currency(currency):
            return fn(*args, **kwargs)
    return wrapper


def _resolve(currency: str | None) -> str:
    return current_currency() if currency is None else (currency if currency in CURRENCIES else DEFAULT_CURRENCY)


def currency_symbol(currency: str | None = None, lang: str = "en") -> str:
    """¥, $ (US$ in Chinese), €, HK$, NT$, £, JP¥ …: what money in ``currency`` starts with."""
    return CURRENCIES[_resolve(currency)][1 if lang == "zh" else 0]


def currency_name(currency: str | None = None, lang: str = "en") -> str:
    """The currency for a picker or a sentence: ``US dollar (USD)`` / ``美元``."""
    return CURRENCIES[_resolve(currency)][3 if lang == "zh" else 2]


def money_unit(currency: str | None = None, lang: str = "en") -> str:
    """The unit a label names in brackets: 元 / 美元 in Chinese, ¥ / $ in English (``{money_unit}``)."""
    code = _resolve(currency)
    return CURRENCIES[code][4] if lang == "zh" else CURRENCIES[code][0]


def uses_wan(currency: str | None = None, lang: str = "en") -> bool:
    """Whether money is grouped in 万/亿: in Chinese, for the yuan only (a dollar figure in 万 misleads)."""
    return lang == "zh" and _resolve(currency) == "CNY"


# (smallest value, divisor, unit, decimals), largest first: 3,406万 but 12.5万; 34.1M, 12.5K.
_MONEY_SCALES = {
    "zh": ((1e8, 1e8, "亿", 2), (1e6, 1e4, "万", 0), (1e4, 1e4, "万", 1), (0.0, 1.0, "", 0)),
    "en": ((1e9, 1e9, "B", 2), (1e6, 1e6, "M", 1), (1e3, 1e3, "K", 1), (0.0, 1.0, "", 0)),
}


def format_money(value: float | None, lang: str = "en", *, currency: str | None = None) -> str:
    """Money as a reader of ``lang`` expects: ¥3,406万 / ¥1.2亿 in Chinese, ¥34.1M / ¥12.5K in English.

    ``currency`` (default: the current one, see the module's docstring) gives the symbol; 万/亿 are for
    the yuan in Chinese only, every other currency is grouped in K/M/B in both languages: US$34.1M in
    Chinese, $34.1M in English, €12.5K, HK$980. The sign comes first (-¥228万, -$2.3M); a unit is chosen
    after rounding (99,999,999 is ¥1.00亿, not ¥10,000万; 999,960 is ¥1.0M, not ¥1,000.0K), and what
    rounds to nothing has no sign.
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    code = _resolve(currency)
    symbol = currency_symbol(code, lang)
    v = abs(float(value))
    scales = _MONEY_SCALES["zh" if uses_wan(code, lang) else "en"]
    i = next(i for i, scale in enumerate(scales) if v >= scale[0] or i == len(scales) - 1)
    if i > 0 and round(v / scales[i][1], scales[i][3]) * scales[i][1] >= scales[i - 1][0]:
        i -= 1  # rounded, it reaches the larger unit
    _, divisor, unit, digits = scales[i]
    shown = round(v / divisor, digits)
    sign = "-" if value < 0 and shown > 0 else ""
    return f"{sign}{symbol}{shown:,.{digits}f}{unit}"


# Streamlit's own currency formats put the sign first (-¥2,280,440, -$2,280,440). A printf format
# with the symbol in front ("HK$%,.0f") writes the sign after it (HK$-2,280,440), so the other
# currencies are written after the number, as accounts write them: -2,280,440 HKD, -2,280,440港元.
# Streamlit's "yen" is the ¥ sign, which is the yuan's too.
_STREAMLIT_PRESETS = {"CNY": "yen", "USD": "dollar", "EUR": "euro"}


def streamlit_money_format(currency: str | None = None, lang: str = "en") -> str:
    """The ``st.column_config.NumberColumn`` format of money in ``currency`` (default: the current one):
    ``yen`` (¥1,235), ``dollar``, ``euro``, else the whole number then the currency's code in English
    (``%,.0f HKD``: -2,280,440 HKD) or its unit in Chinese (``%,.0f港元``)."""
    code = _resolve(currency)
    if code in _STREAMLIT_PRESETS:
        return _STREAMLIT_PRESETS[code]
    return "%,.0f" + (CURRENCIES[code][4] if lang == "zh" else " " + code)


def excel_money_format(currency: str | None = None) -> str:
    """An Excel number format of whole money with the currency's symbol: ``"¥"#,##0`` (-¥1,234)."""
    return '"' + currency_symbol(_resolve(currency), "en") + '"#,##0'


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
