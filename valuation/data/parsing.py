"""Vectorised parsers that turn raw text columns into amounts, numbers, dates, ids and text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from valuation.data.currency import WORDS, WORDS_PATTERN
from valuation.data.files import Note, label_note

# pandas 3's default string dtype (Arrow-backed, NaN for missing): every text/id column uses it.
STR = pd.StringDtype("pyarrow", na_value=np.nan)
# Dates are normalised to the day; microseconds is pandas 3's default resolution for parsed text.
DATE_DTYPE = "datetime64[us]"

# Cell contents that mean "no value" in ERP/Excel exports. "NA" is deliberately absent: it is a
# real region code (North America) far more often than a placeholder.
NULL_TOKENS = frozenset({
    "", "-", "--", "---", "—", "——", "–", "/", "null", "NULL", "Null", "none", "None", "NONE",
    "nan", "NaN", "NAN", "n/a", "N/A", "#N/A", "nil", "NIL", "无", "空",
})

# Reason sentences per reason_code; {col} is the canonical column name.
REASONS = {
    "missing_value": "{col}: required value is empty",
    "bad_amount": "{col}: not an amount (expected e.g. 1234.50, ¥1,234.50, (12.50) or 1.2万)",
    "bad_number": "{col}: not a number",
    "bad_flag": "{col}: not a yes/no value (expected e.g. 是/否, Y/N, yes/no, 1/0)",
    "bad_date": ("{col}: not a recognised date (expected e.g. 2024-01-05, 2024/1/5, "
                 "2024年1月5日, 20240105 or 5/1/2024)"),
    "impossible_date": "{col}: not a real calendar date (no such day in that month)",
    "date_out_of_range": "{col}: year outside 1900-2100",
    "two_digit_year": "{col}: two-digit year is ambiguous; write the year with four digits",
    "day_month_conflict": ("{col}: day/month order contradicts the rest of the column "
                           "(read as {order})"),
    "total_row": "{col}: this is a totals line (合计/总计/Total), not a customer",
    "wrong_field_count": "line has {found} fields but the header has {expected}",
    "unbalanced_quote": ("{col}: a quoted value runs over {lines} lines that look like rows of "
                         "their own; a quote character is probably unbalanced"),
    "value_too_long": ("{col}: value longer than 32,767 characters (Excel's cell limit); a stray "
                       "quote may have joined many lines into one value"),
    "bad_encoding": ("{col}: text that is neither UTF-8 nor GB18030/GBK (the characters cannot be "
                     "read)"),
}


@dataclass
class Parsed:
    """The result of parsing one raw column.

    Attributes
    ----------
    values : pd.Series
        Parsed values (float64, datetime64[us] or str), missing (NaN/NaT) where the input was
        empty or could not be parsed.
    errors : pd.Series
        Reason code (a key of ``REASONS``) where the input was present but unusable, NaN elsewhere.
    missing : np.ndarray
        Boolean mask of empty inputs (empty text or a placeholder such as ``NULL`` or ``-``).
    warnings : list[str]
        Column-level notes in English, e.g. how the day/month order was decided.
    notes : list[Note]
        The same notes with a text in both languages (``valuation.data.files.Note``).
    dayfirst : bool or None
        For dates: the order chosen for ``a/b/yyyy`` values, None when there were none.
    currencies : dict[str, int]
        For amounts: how many values name each currency (``{"USD": 12}`` for twelve ``$…``).
    """

    values: pd.Series
    errors: pd.Series
    missing: np.ndarray
    warnings: list[str] = field(default_factory=list)
    dayfirst: bool | None = None
    notes: list = field(default_factory=list)
    currencies: dict = field(default_factory=dict)

    @property
    def bad(self) -> np.ndarray:
        """Boolean mask of inputs that were present but could not be parsed."""
        return self.errors.notna().to_numpy()


# ----------------------------------------------------------------------------- helpers

def as_text(values) -> pd.Series:
    """Return ``values`` as an Arrow-backed ``str`` Series (lone surrogates replaced)."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if s.dtype == STR:
        return s
    try:
        return s.astype(STR)
    except (UnicodeEncodeError, pa.ArrowException, TypeError, ValueError):
        # Arrow refuses text that is not valid Unicode (lone surrogates); keep the rest of it.
        fixed = s.map(lambda v: v if not isinstance(v, str)
                      else v.encode("utf-8", "replace").decode("utf-8"))
        return fixed.astype(STR)


def _arrow(s: pd.Series) -> pa.ChunkedArray | pa.Array:
    return pa.array(s.array)


def _empty_errors(index) -> pd.Series:
    return pd.Series(np.nan, index=index, dtype=STR)


def strip_and_nulls(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Strip surrounding whitespace and turn placeholders into NaN.

    Parameters
    ----------
    s : pd.Series
        Raw text.

    Returns
    -------
    (pd.Series, np.ndarray)
        The stripped ``str`` Series with NaN for empty values, and the boolean mask of those.
    """
    t = as_text(s).str.strip()
    excel_text = t.str.startswith('="').fillna(False).to_numpy(dtype=bool)
    if excel_text.any():
        # ="00123" is Excel's trick to keep leading zeros: the value is what is inside.
        t = t.copy()
        t[excel_text] = t[excel_text].str.replace(r'^="(.*)"$', r"\1", regex=True).str.strip()
    missing = (t.isna() | t.isin(NULL_TOKENS)).to_numpy(dtype=bool)
    if missing.any():
        t = t.mask(missing)
    return t, missing


def _nfkc(u: pd.Series) -> pd.Series:
    """NFKC-normalise only the non-ASCII values: full-width digits, ￥, （）, ideographic spaces."""
    non_ascii = ~u.str.isascii().fillna(True).to_numpy(dtype=bool)
    if non_ascii.any():
        u = u.copy()
        u[non_ascii] = u[non_ascii].str.normalize("NFKC")
    return u


def _factorize(t: pd.Series, mask: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 outside ``mask``) and the unique values of ``t[mask]``: parsers work on uniques."""
    codes = np.full(len(t), -1, dtype=np.int64)
    if not mask.any():
        return codes, pd.Series([], dtype=STR)
    sub_codes, uniques = pd.factorize(t[mask])
    codes[mask] = sub_codes
    return codes, as_text(pd.Series(np.asarray(uniques, dtype=object)))


def _to_float(strings: pd.Series, exponent: int = 0) -> np.ndarray:
    """Cast validated numeric strings to float64 with Arrow (correctly rounded, NaN for null).

    ``exponent`` scales by a power of ten in the text ("1.1" becomes "1.1e4"), so Arrow rounds
    once: 1.1 in 万元 is exactly 11000, where 1.1 * 1e4 would be 11000.000000000002.
    """
    if len(strings) == 0:
        return np.empty(0, dtype=np.float64)
    text = _arrow(as_text(strings))
    written_e = None
    if exponent:
        written_e = pc.match_substring_regex(text, "[eE]")  # 1.5E+05 has its own exponent
        suffix = pa.scalar(f"e{exponent}", text.type)
        shifted = pc.binary_join_element_wise(text, suffix, pa.scalar("", text.type))
        text = pc.if_else(written_e, text, shifted)
    arr = pc.cast(text, pa.float64())
    # A writable copy: Arrow's zero-copy buffers are read-only.
    out = np.array(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
    if written_e is not None:
        has_e = np.asarray(pc.fill_null(written_e, False).to_numpy(zero_copy_only=False), dtype=bool)
        out[has_e] *= 10.0 ** exponent
    return out


def _extract(u: pd.Series, pattern: str, groups: list[str]) -> tuple[np.ndarray, dict]:
    """Run an Arrow (RE2) regex over ``u`` (a Series or an Arrow array): match mask and each named
    group as an object array."""
    m = pc.extract_regex(u if isinstance(u, (pa.Array, pa.ChunkedArray)) else _arrow(u), pattern)
    if isinstance(m, pa.ChunkedArray):
        m = m.combine_chunks()
    matched = np.asarray(m.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    out = {g: np.asarray(pc.struct_field(m, g).to_numpy(zero_copy_only=False), dtype=object)
           for g in groups}
    return matched, out


# ----------------------------------------------------------------------------- numbers

# A plain number as written by software: the fast path for clean columns.
_PLAIN_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# Currency words and signs (¥ RMB 元 $ USD 美元 € HK$ 港币 £ …: data/currency.WORDS), after
# upper-casing. Each run of characters that are not part of a number is marked ¤ before the pattern
# runs, and the runs must be currency words (checked once per distinct text): the sixty words as
# alternatives in the pattern made it four times slower on a million distinct amounts.
_NOT_NUMBER = r"[^0-9.,()+\-千万亿]+"
_NUMBER_CHARS = r"[0-9.,()+\-千万亿]+"
_MARK = "¤"
_CURRENCY_RUNS = re.compile(f"(?:{WORDS_PATTERN})+")
_UNITS = {"千": 3, "万": 4, "亿": 8}
_FORMATTED_NUMBER = (
    r"^¤?(?P<open>\()?(?P<s1>[+-])?¤?(?P<s2>[+-])?"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<unit>[千万亿])?¤?(?P<close>\))?¤?(?P<trail>-)?$"
)


def _currency_words(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per value: whether everything in it that is not part of a number is currency words (¥, RMB,
    US$, 美元 …, or nothing), and the currency of the first one (None when there is none)."""
    rest = pc.dictionary_encode(pc.replace_substring_regex(_arrow(u), _NUMBER_CHARS, ""))
    if isinstance(rest, pa.ChunkedArray):
        rest = rest.combine_chunks()
    texts = rest.dictionary.to_pylist()
    known = np.zeros(len(texts), dtype=bool)
    codes = np.full(len(texts), None, dtype=object)
    for i, text in enumerate(texts):  # few distinct texts: ¥, RMB, 元, $ …
        if not text:
            known[i] = True
        elif len(text) <= 16 and _CURRENCY_RUNS.fullmatch(text):
            known[i] = True
            codes[i] = WORDS[re.match(WORDS_PATTERN, text).group(0)]
    index = np.asarray(pc.fill_null(rest.indices, 0).to_numpy(zero_copy_only=False))
    valid = rest.indices.is_valid().to_numpy(zero_copy_only=False)
    return known[index] & valid, np.where(valid, codes[index], None)


def _parse_formatted_numbers(u: pd.Series, exponent: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Parse unique non-plain number strings; NaN where the text is not a number.

    ``exponent``: the column's unit (from its header) as a power of ten, for values without a
    千/万/亿 of their own. Also returns the currency each value names (``USD`` for ``$12``; None
    when it names none or is not a number).
    """
    u = _nfkc(u).str.replace("\u2212", "-", regex=False).str.upper()
    spaced = u.str.contains(r"\s", regex=True).fillna(False).to_numpy(dtype=bool)
    if spaced.any():
        s = u[spaced]
        # A space between digits is a thousands separator ("1 234.50"); other spaces are
        # padding. Two passes because a match consumes the digit after the space ("1 2 3").
        for _ in range(2):
            s = s.str.replace(r"([0-9])\s+([0-9])", r"\1,\2", regex=True)
        u = u.copy()
        u[spaced] = s.str.replace(r"\s+", "", regex=True)
    groups = ["open", "s1", "s2", "num", "unit", "close", "trail"]
    marked = pc.replace_substring_regex(_arrow(u), _NOT_NUMBER, _MARK)
    matched, g = _extract(marked, _FORMATTED_NUMBER, groups)
    words_only, named = _currency_words(u)
    matched = matched & words_only

    def grp(name):
        return pd.Series(g[name], dtype=object).fillna("")

    num, unit = grp("num"), grp("unit")
    opened, closed = grp("open") != "", grp("close") != ""
    s1, s2, trail = grp("s1"), grp("s2"), grp("trail")
    markers = (s1 != "").astype(int) + (s2 != "").astype(int) + (trail != "").astype(int) + opened
    # Balanced parentheses, and at most one way of saying "negative" ("-(12)" is a typo, not -12).
    ok = matched & (opened == closed).to_numpy() & (markers <= 1).to_numpy()
    negative = ((s1 == "-") | (s2 == "-") | (trail == "-") | opened).to_numpy()
    # 万/亿 scale by exponent text so Arrow rounds once: "1.1万" is exactly 11000.
    # A value's own 千/万/亿 says what it is in full ("1.2万" is 12000 under any header).
    power = unit.map(_UNITS).fillna(exponent).astype(int)
    text = num.str.replace(",", "", regex=False) + ("e" + power.astype(str)).where(power != 0, "")
    out = np.full(len(u), np.nan)
    if ok.any():
        out[ok] = _to_float(text[ok])
    out[negative & ok] *= -1
    named[~(ok & np.isfinite(out))] = None
    return out, named


def _cast_whole_column(t: pd.Series, present: np.ndarray, exponent: int = 0) -> np.ndarray | None:
    """Fast path for clean columns: one Arrow cast of the whole column (NaN where missing).

    None when some present value is not a plain number; then values are looked at one kind at
    a time. "inf"/"nan" cast fine here and are caught later as non-finite.
    """
    if not present.any():
        return None
    try:
        return _to_float(t, exponent)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def parse_amounts(values, *, kind: str = "money", exponent: int = 0) -> Parsed:
    """Parse amounts: ``1,234.50``, ``¥1,234.50``, ``RMB 12``, ``(12.50)``, ``12.5-``, ``1.2万``.

    Parameters
    ----------
    values : pd.Series or sequence of str
        Raw text.
    kind : {"money", "number"}
        Only changes the reason code of unparseable values (``bad_amount`` / ``bad_number``).
    exponent : int
        The column's unit as a power of ten (4 for a ``金额(万元)`` header, see ``header_unit``):
        values are multiplied by ``10**exponent``, rounded once as if written in yuan. A value
        with a 千/万/亿 of its own keeps it instead ("1.2万" is 12000 under any header).

    Returns
    -------
    Parsed
        float64 values; parentheses and a trailing minus mean negative; 千/万/亿 scale by
        1e3/1e4/1e8; currency signs and words (¥ ￥ $ € £ RMB CNY USD HKD 元 美元 港币 …, see
        ``data/currency.py``; counted per currency in ``currencies``), full-width digits,
        thousands separators and spaces are ignored. Empty or placeholder text is missing.
    """
    t, missing = strip_and_nulls(values)
    index = t.index
    out = np.full(len(t), np.nan)
    currencies: dict[str, int] = {}
    present = ~missing
    whole = _cast_whole_column(t, present, exponent)
    if whole is not None:
        out, plain = whole, present.copy()
    else:
        plain = present & t.str.fullmatch(_PLAIN_NUMBER).fillna(False).to_numpy(dtype=bool)
        if plain.any():
            out[plain] = _to_float(t[plain], exponent)
    rest = present & ~plain
    if rest.any():
        codes, uniques = _factorize(t, rest)
        parsed, named = _parse_formatted_numbers(uniques, exponent)
        out[rest] = parsed[codes[rest]]
        # How many values name each currency: counted per unique text, as many times as it occurs.
        per_unique = np.bincount(codes[rest], minlength=len(uniques))
        for code in pd.unique(named[pd.notna(named)]):
            currencies[code] = int(per_unique[named == code].sum())
    bad = present & ~np.isfinite(out)
    out[bad] = np.nan
    errors = _empty_errors(index)
    if bad.any():
        errors[bad] = "bad_amount" if kind == "money" else "bad_number"
    return Parsed(pd.Series(out, index=index, dtype=np.float64), errors, missing, currencies=currencies)


def parse_amount(text: str) -> float | None:
    """Parse one amount (see ``parse_amounts``); None when empty, ValueError when not a number."""
    p = parse_amounts(pd.Series([text], dtype=object))
    if p.bad[0]:
        raise ValueError(f"not an amount: {text!r}")
    v = p.values.iloc[0]
    return None if np.isnan(v) else float(v)


# ----------------------------------------------------------------------------- dates

# Optional time after a date: "14:30", "14:30:05.123", "下午2:30", "14时30分", "T10:00Z", "+08:00".
_TIME = (
    r"(?:(?:T|\s+|日)?\s*(?:上午|下午|AM|PM)?\s*[0-9]{1,2}(?::|时|点)[0-9]{1,2}"
    r"(?:(?::|分)[0-9]{1,2}(?:[.,][0-9]{1,9})?秒?)?分?\s*(?:AM|PM|A\.M\.|P\.M\.)?"
    r"\s*(?:Z|UTC|GMT|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_YMD = (r"^(?P<y>[0-9]{4})\s*(?:[-/.]|年)\s*(?P<m>[0-9]{1,2})\s*(?:[-/.]|月)\s*"
        r"(?P<d>[0-9]{1,2})\s*日?" + _TIME + r"$")
_COMPACT = r"^(?P<y>(?:19|20|21)[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})" + _TIME + r"$"
_AMBIGUOUS = (r"^(?P<a>[0-9]{1,2})\s*[-/.]\s*(?P<b>[0-9]{1,2})\s*[-/.]\s*(?P<y>[0-9]{4})"
              + _TIME + r"$")
_TWO_DIGIT_YEAR = r"^[0-9]{1,2}\s*[-/.]\s*[0-9]{1,2}\s*[-/.]\s*[0-9]{2}" + _TIME + r"$"
_DAY_MONTH_NAME = (r"^(?P<d>[0-9]{1,2})[-\s/.]*(?P<mon>[A-Z]{3,9})\.?[-\s/.,]*"
                   r"(?P<y>[0-9]{4}|[0-9]{2})" + _TIME + r"$")
_MONTH_NAME_DAY = (r"^(?P<mon>[A-Z]{3,9})\.?\s*(?P<d>[0-9]{1,2})(?:ST|ND|RD|TH)?,?\s*"
                   r"(?P<y>[0-9]{4})" + _TIME + r"$")
_SERIAL = r"^(?P<serial>[0-9]{5})(?:\.[0-9]+)?$"
# Excel serial day numbers accepted as dates: 10000 = 1927-05-18 ... 73050 = 2099-12-31.
SERIAL_RANGE = (10000, 73050)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
YEAR_RANGE = (1900, 2100)

_MONTHS = {}
for _i, _names in enumerate(
        [("JAN", "JANUARY"), ("FEB", "FEBRUARY"), ("MAR", "MARCH"), ("APR", "APRIL"), ("MAY",),
         ("JUN", "JUNE"), ("JUL", "JULY"), ("AUG", "AUGUST"), ("SEP", "SEPT", "SEPTEMBER"),
         ("OCT", "OCTOBER"), ("NOV", "NOVEMBER"), ("DEC", "DECEMBER")], start=1):
    for _n in _names:
        _MONTHS[_n] = _i


def _ints(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.full(len(a), -1, dtype=np.int64)
    if mask.any():
        out[mask] = pd.to_numeric(pd.Series(a[mask]), errors="coerce").fillna(-1).astype(np.int64)
    return out


def _ymd_to_dates(y, m, d) -> tuple[np.ndarray, np.ndarray]:
    """Build datetime64[D] from int arrays; also the mask of combinations that are real dates."""
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31) & (y >= 1) & (y <= 9999)
    dates = np.full(len(y), np.datetime64("NaT"), dtype="datetime64[D]")
    if ok.any():
        ym = ((y[ok] - 1970) * 12 + (m[ok] - 1)).astype("datetime64[M]")
        days = ym.astype("datetime64[D]") + (d[ok] - 1).astype("timedelta64[D]")
        real = days.astype("datetime64[M]") == ym  # 2024-02-30 spills into March
        idx = np.flatnonzero(ok)
        dates[idx[real]] = days[real]
        ok[idx[~real]] = False
    return dates, ok


def parse_dates(values, *, column: str = "date") -> Parsed:
    """Parse dates written in the styles Chinese and Western exports use; times are dropped.

    Accepted: ``2024-01-05`` (optionally with a time), ``2024/1/5``, ``2024.1.5``, ``20240105``,
    ``2024年1月5日`` (optionally with a time), ``01/05/2024`` and ``5/1/2024``, ``5-Jan-2024``,
    ``Jan 5, 2024`` and Excel serial day numbers (``45296`` is 2024-01-05).

    The day/month order of ``a/b/yyyy`` values is decided for the whole column: a first field
    above 12 proves day-first, a second field above 12 proves month-first. Without evidence the
    column is read month-first (US Excel) with a warning; with evidence both ways the majority
    wins and the contradicting values are rejected (``day_month_conflict``).

    Parameters
    ----------
    values : pd.Series or sequence of str
        Raw text.
    column : str
        Column name used in warnings.

    Returns
    -------
    Parsed
        ``datetime64[us]`` values at midnight.
    """
    t, missing = strip_and_nulls(values)
    index = t.index
    present = ~missing
    codes, u = _factorize(t, present)
    n = len(u)
    y = np.full(n, -1, dtype=np.int64)
    mo = np.full(n, -1, dtype=np.int64)
    d = np.full(n, -1, dtype=np.int64)
    reason = np.full(n, None, dtype=object)
    done = np.zeros(n, dtype=bool)
    dayfirst = None
    serial_dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    notes: list[Note] = []
    col = {"col": column, "col_label": label_note(column)}
    if n:
        weight = np.bincount(codes[codes >= 0], minlength=n)  # rows per distinct value
        u = _nfkc(u).str.upper()
        # Year first: ISO, slashes, dots, 年月日.
        for pattern in (_YMD, _COMPACT):
            hit, g = _extract(u, pattern, ["y", "m", "d"])
            hit &= ~done
            y = np.where(hit, _ints(g["y"], hit), y)
            mo = np.where(hit, _ints(g["m"], hit), mo)
            d = np.where(hit, _ints(g["d"], hit), d)
            done |= hit
        # Month names: 5-Jan-2024, 05 JAN 24, Jan 5, 2024.
        for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
            hit, g = _extract(u, pattern, ["y", "mon", "d"])
            hit &= ~done
            if hit.any():
                mon = np.array([_MONTHS.get(x, -1) if isinstance(x, str) else -1 for x in g["mon"]])
                yy = _ints(g["y"], hit)
                # A two-digit year beside a month name is unambiguous: 00-69 -> 20xx, else 19xx.
                yy = np.where((yy >= 0) & (yy < 100), np.where(yy < 70, 2000 + yy, 1900 + yy), yy)
                y = np.where(hit, yy, y)
                mo = np.where(hit, mon, mo)
                d = np.where(hit, _ints(g["d"], hit), d)
                done |= hit
        # Excel serial day numbers.
        hit, g = _extract(u, _SERIAL, ["serial"])
        hit &= ~done
        if hit.any():
            serial = _ints(g["serial"], hit)
            in_range = hit & (serial >= SERIAL_RANGE[0]) & (serial <= SERIAL_RANGE[1])
            serial_dates[in_range] = _EXCEL_EPOCH + serial[in_range].astype("timedelta64[D]")
            done |= in_range
            if in_range.any():
                notes.append(Note("load.serial_dates", {**col, "n": int(weight[in_range].sum())}))
        # Day/month or month/day with a four-digit year: decided for the whole column.
        hit, g = _extract(u, _AMBIGUOUS, ["a", "b", "y"])
        hit &= ~done
        if hit.any():
            a, b, yy = _ints(g["a"], hit), _ints(g["b"], hit), _ints(g["y"], hit)
            dayfirst_ev = hit & (a > 12) & (b <= 12)
            monthfirst_ev = hit & (b > 12) & (a <= 12)
            n_day, n_month = int(weight[dayfirst_ev].sum()), int(weight[monthfirst_ev].sum())
            if n_day and not n_month:
                dayfirst = True
                example = u[np.flatnonzero(dayfirst_ev)[0]]
                notes.append(Note("load.dayfirst", {**col, "example": example}))
            elif n_month and not n_day:
                dayfirst = False
                example = u[np.flatnonzero(monthfirst_ev)[0]]
                notes.append(Note("load.monthfirst", {**col, "example": example}))
            elif not n_day and not n_month:
                dayfirst = False
                if (hit & (a <= 12) & (b <= 12)).any():  # 31/31/2024 is impossible, not ambiguous
                    notes.append(Note("load.ambiguous_dates", col))
            else:
                dayfirst = n_day > n_month
                contra = monthfirst_ev if dayfirst else dayfirst_ev
                reason[contra] = "day_month_conflict"
                hit &= ~contra
                notes.append(Note("load.date_order_conflict", {
                    **col, "n_day": n_day, "n_month": n_month, "n": min(n_day, n_month),
                    "order": Note("load.order_dayfirst" if dayfirst else "load.order_monthfirst")}))
            y = np.where(hit, yy, y)
            mo = np.where(hit, np.where(dayfirst, b, a), mo)
            d = np.where(hit, np.where(dayfirst, a, b), d)
            done |= hit
        two = np.asarray(pc.match_substring_regex(_arrow(u), _TWO_DIGIT_YEAR)
                         .to_numpy(zero_copy_only=False), dtype=bool)
        reason[two & ~done & pd.isna(reason)] = "two_digit_year"

    is_serial = ~np.isnat(serial_dates)
    ymd = done & ~is_serial
    dates, real = _ymd_to_dates(y, mo, d)
    dates = np.where(is_serial, serial_dates, dates)
    in_years = (y >= YEAR_RANGE[0]) & (y <= YEAR_RANGE[1])
    good = np.where(ymd, real & in_years, done)
    reason = np.where(ymd & ~real & pd.isna(reason), "impossible_date", reason)
    reason = np.where(ymd & real & ~in_years & pd.isna(reason), "date_out_of_range", reason)
    reason = np.where(~good & pd.isna(reason), "bad_date", reason)
    dates = np.where(good, dates, np.datetime64("NaT"))

    out = np.full(len(t), np.datetime64("NaT"), dtype="datetime64[D]")
    errors = _empty_errors(index)
    if n:
        sel = codes >= 0
        out[sel] = dates[codes[sel]]
        bad_rows = sel.copy()
        bad_rows[sel] = ~good[codes[sel]]
        if bad_rows.any():
            errors[bad_rows] = reason[codes[bad_rows]].astype(str)
    values = pd.Series(out.astype(DATE_DTYPE), index=index)
    return Parsed(values, errors, missing, [note.text("en") for note in notes], dayfirst, notes)


def parse_date(text: str, *, dayfirst: bool | None = None):
    """Parse one date (see ``parse_dates``); None when empty, ValueError when not a date.

    ``dayfirst`` forces the order of an ambiguous ``a/b/yyyy`` value by parsing it beside a
    value that proves that order.
    """
    probe = [text]
    if dayfirst is not None:
        probe.append("13/01/2000" if dayfirst else "01/13/2000")
    p = parse_dates(pd.Series(probe, dtype=object))
    if p.bad[0]:
        raise ValueError(f"not a date: {text!r} ({p.errors.iloc[0]})")
    v = p.values.iloc[0]
    return None if pd.isna(v) else v


# ----------------------------------------------------------------------------- text and ids

def parse_text(values) -> Parsed:
    """Strip surrounding whitespace; empty text and placeholders become NaN. Never fails."""
    t, missing = strip_and_nulls(values)
    return Parsed(t, _empty_errors(t.index), missing)


# Yes/no spellings of a flag column (a reference account: 标杆客户 是/否), after lower-casing.
FLAG_YES = frozenset({"1", "1.0", "y", "yes", "true", "t", "x", "是", "有", "√", "✓", "✔", "对", "真"})
FLAG_NO = frozenset({"0", "0.0", "n", "no", "false", "f", "否", "不是", "非", "×", "✗", "假"})


def parse_flags(values) -> Parsed:
    """Yes/no values as 1.0/0.0 (是/否, Y/N, yes/no, true/false, 1/0, √/×); empty is missing,
    anything else ``bad_flag``."""
    t, missing = strip_and_nulls(values)
    low = t.str.lower()
    yes = low.isin(FLAG_YES).to_numpy(dtype=bool)
    no = low.isin(FLAG_NO).to_numpy(dtype=bool)
    out = np.where(yes, 1.0, np.where(no, 0.0, np.nan))
    errors = _empty_errors(t.index)
    bad = ~missing & ~yes & ~no
    if bad.any():
        errors[bad] = "bad_flag"
    return Parsed(pd.Series(out, index=t.index, dtype=np.float64), errors, missing)


def parse_column(values, kind: str, *, column: str = "", exponent: int = 0) -> Parsed:
    """Parse a raw column according to its schema ``kind`` (id, text, date, money, number, flag);
    ``exponent`` scales amounts by a power of ten (the unit of the column's header)."""
    if kind in ("id", "text"):
        return parse_text(values)
    if kind == "date":
        return parse_dates(values, column=column or "date")
    if kind in ("money", "number"):
        return parse_amounts(values, kind=kind, exponent=exponent)
    if kind == "flag":
        return parse_flags(values)
    raise ValueError(f"unknown column kind {kind!r}")
