"""Value parsers: amounts, dates, text and header normalisation, with property tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.data.headers import normalise_header
from valuation.data.parsing import (
    DATE_DTYPE,
    STR,
    parse_amount,
    parse_amounts,
    parse_date,
    parse_dates,
    parse_text,
)


def amounts(values):
    return parse_amounts(pd.Series(values, dtype=object))


def dates(values):
    return parse_dates(pd.Series(values, dtype=object), column="order_date")


# ----------------------------------------------------------------------------- amounts

@pytest.mark.parametrize("text, expected", [
    ("1234.5", 1234.5),
    ("1,234.50", 1234.5),
    ("1,234,567.89", 1234567.89),
    ("¥1,234.50", 1234.5),
    ("￥1,234.50", 1234.5),
    ("RMB 1,234.50", 1234.5),
    ("rmb12", 12.0),
    ("CNY 12", 12.0),
    ("1,234.50元", 1234.5),
    ("$5.25", 5.25),
    ("USD 7", 7.0),
    ("１２３４．５", 1234.5),
    ("１，２３４", 1234.0),
    (" 1 234.50 ", 1234.5),
    ("-12.5", -12.5),
    ("12.5-", -12.5),
    ("(12.50)", -12.5),
    ("（12.50）", -12.5),
    ("(¥12.50)", -12.5),
    ("-¥3", -3.0),
    ("¥-3", -3.0),
    ("−7", -7.0),
    ("+5", 5.0),
    ("1.2万", 12000.0),
    ("1.1万元", 11000.0),
    ("3亿", 300000000.0),
    ("2千", 2000.0),
    ("1.5E+05", 150000.0),
    (".5", 0.5),
])
def test_formatted_amounts_parse_to_their_value(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "NULL", "-", "—", "#N/A", "None"])
def test_empty_and_placeholder_amounts_are_missing_not_errors(text):
    p = amounts([text])
    assert p.missing[0] and not p.bad[0] and np.isnan(p.values[0])


@pytest.mark.parametrize("text", ["abc", "12.3.4", "12,34", "1,2345", "-(12)", "(12", "12)",
                                  "inf", "nan5", "1e999", "--5", "5元5", "12-5"])
def test_unparseable_amounts_are_errors_with_a_reason_code(text):
    p = amounts([text])
    assert p.bad[0] and p.errors[0] == "bad_amount" and np.isnan(p.values[0])


def test_number_kind_reports_bad_number():
    p = parse_amounts(pd.Series(["x"]), kind="number")
    assert p.errors[0] == "bad_number"


def test_amount_values_are_float64_aligned_with_the_input_index():
    p = parse_amounts(pd.Series(["1", "x", "", "2"], index=[10, 11, 12, 13]))
    assert p.values.dtype == np.float64
    assert list(p.values.index) == [10, 11, 12, 13]
    assert p.bad.tolist() == [False, True, False, False]
    assert p.missing.tolist() == [False, False, True, False]


def test_parse_amount_raises_on_garbage_and_returns_none_for_empty():
    with pytest.raises(ValueError):
        parse_amount("12.3.4")
    assert parse_amount("") is None


# ----------------------------------------------------------------------------- dates

@pytest.mark.parametrize("text", [
    "2024-01-05", "2024-01-05 13:45:00", "2024-01-05T13:45:00", "2024-01-05T10:00:00+08:00",
    "2024-01-05 13:45:00.123", "2024/1/5", "2024/01/05 0:00", "2024.1.5", "20240105",
    "2024年1月5日", "2024年1月5日 14:30", "2024年01月05日14时30分", "２０２４年１月５日",
    "01/05/2024", "1/5/2024 08:00 AM", "45296", "45296.75", "5-Jan-2024", "05 Jan 24",
    "Jan 5, 2024", "January 5 2024",
])
def test_accepted_date_styles_parse_to_the_same_day(text):
    assert parse_date(text) == pd.Timestamp("2024-01-05")


def test_dates_are_datetime64_at_midnight():
    p = dates(["2024-01-05 23:59:59", "2024/2/1 08:00"])
    assert str(p.values.dtype) == DATE_DTYPE
    assert (p.values == p.values.dt.normalize()).all()


@pytest.mark.parametrize("text, code", [
    ("2024-02-30", "impossible_date"),
    ("2023-02-29", "impossible_date"),
    ("2024-13-01", "impossible_date"),
    ("31/04/2024", "impossible_date"),
    ("1850-01-01", "date_out_of_range"),
    ("abc", "bad_date"),
    ("2024-01", "bad_date"),
    ("12345678", "bad_date"),
    ("999", "bad_date"),
    ("5/1/24", "two_digit_year"),
])
def test_bad_dates_are_rejected_with_a_reason_code(text, code):
    p = dates([text])
    assert p.bad[0] and p.errors[0] == code and pd.isna(p.values[0])


def test_leap_day_is_a_real_date():
    assert parse_date("2024-02-29") == pd.Timestamp("2024-02-29")


def test_a_first_field_above_12_makes_the_column_day_first():
    p = dates(["05/01/2024", "25/01/2024", "", "03/02/2024"])
    assert p.dayfirst is True
    assert list(p.values.dropna()) == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-25"),
                                       pd.Timestamp("2024-02-03")]
    assert any("day-first because" in w for w in p.warnings)


def test_a_second_field_above_12_makes_the_column_month_first():
    p = dates(["01/05/2024", "01/25/2024"])
    assert p.dayfirst is False
    assert p.values[0] == pd.Timestamp("2024-01-05")
    assert any("month-first because" in w for w in p.warnings)


def test_an_ambiguous_column_is_month_first_with_a_warning():
    p = dates(["01/05/2024", "02/03/2024"])
    assert p.dayfirst is False
    assert p.values[0] == pd.Timestamp("2024-01-05")
    assert any("ambiguous" in w and "month/day/year" in w for w in p.warnings)


def test_rows_contradicting_the_majority_day_month_order_are_rejected():
    p = dates(["25/01/2024", "26/01/2024", "01/27/2024", "05/01/2024"])
    assert p.dayfirst is True
    assert p.errors.tolist()[2] == "day_month_conflict"
    assert p.bad.tolist() == [False, False, True, False]
    assert p.values[3] == pd.Timestamp("2024-01-05")


def test_excel_serials_are_read_with_a_warning():
    p = dates(["45296", "45297"])
    assert list(p.values) == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06")]
    assert any("Excel serial" in w for w in p.warnings)


def test_excel_serials_outside_the_plausible_range_are_not_dates():
    assert dates(["9999"]).bad[0]
    assert dates(["80000"]).bad[0]


def test_many_repeated_dates_are_parsed_once_per_distinct_value():
    raw = pd.Series(["2024/1/5", "2024/1/6"] * 50_000)
    p = parse_dates(raw)
    assert p.values.nunique() == 2 and not p.bad.any()


# ----------------------------------------------------------------------------- text, headers

def test_text_is_stripped_and_placeholders_become_missing():
    p = parse_text(pd.Series(["  C1 ", "", "NULL", "NA", "\u3000C2\u3000"]))
    assert p.values.dtype == STR
    assert p.values.tolist()[0] == "C1" and p.values.tolist()[4] == "C2"
    assert p.missing.tolist() == [False, True, True, False, False]
    assert p.values[3] == "NA"  # a real region code, not a placeholder


@pytest.mark.parametrize("header, expected", [
    ("金额(元)", "金额"), ("金额（元）", "金额"), ("Customer_ID", "customerid"),
    (" 客户 编号 ", "客户编号"), ("Order-Date", "orderdate"), ("Order No.", "orderno"),
    ("*客户编号", "客户编号"), ("金额【含税】", "金额"), ("ＡＭＯＵＮＴ", "amount"), (None, ""),
])
def test_headers_are_normalised_for_matching(header, expected):
    assert normalise_header(header) == expected


# ----------------------------------------------------------------------------- properties

@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=25), max_size=20))
def test_parsers_never_crash_on_arbitrary_text(values):
    series = pd.Series(values, dtype=object)
    for p in (parse_amounts(series), parse_dates(series), parse_text(series)):
        assert len(p.values) == len(values)
        # Every value is exactly one of: missing, bad, parsed.
        assert not (p.missing & p.bad).any()
        assert (p.missing | p.bad | p.values.notna().to_numpy()).all()
    for v in values:
        normalise_header(v)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                          st.text(alphabet="0123456789,.-()¥元万 /年月日", max_size=12)),
                max_size=20))
def test_parsers_never_crash_on_number_like_noise(values):
    series = pd.Series(values, dtype=object)
    parse_amounts(series)
    parse_dates(series)


money = st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"),
                    places=2, allow_nan=False, allow_infinity=False)

AMOUNT_STYLES = [
    lambda x: f"{x:,.2f}",
    lambda x: f"¥{x:,.2f}",
    lambda x: f"￥{x:,.2f}",
    lambda x: f"RMB {x:,.2f}",
    lambda x: f"{x:,.2f} CNY",
    lambda x: f"{x:,.2f}元",
    lambda x: f"$ {x:,.2f}",
    lambda x: f"USD{x:,.2f}",
    lambda x: f"({abs(x):,.2f})" if x < 0 else f"{x:,.2f}",
    lambda x: f"{abs(x):,.2f}-" if x < 0 else f"{x:,.2f}",
    lambda x: f"{x:,.2f}".translate(str.maketrans("0123456789,.-", "０１２３４５６７８９，．－")),
    lambda x: f"{x:.2f}",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(money, st.sampled_from(range(len(AMOUNT_STYLES)))), min_size=1,
                max_size=20))
def test_formatted_amounts_round_trip(cases):
    texts = [AMOUNT_STYLES[style](x) for x, style in cases]
    p = amounts(texts)
    assert not p.bad.any(), texts
    assert p.values.tolist() == [float(x) for x, _ in cases], texts


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999.9999"),
                                      places=4, allow_nan=False, allow_infinity=False),
                          st.sampled_from(["万", "亿", "万元"])), min_size=1, max_size=20))
def test_wan_and_yi_units_scale_exactly(cases):
    p = amounts([f"{x}{unit}" for x, unit in cases])
    scale = {"万": Decimal(10**4), "万元": Decimal(10**4), "亿": Decimal(10**8)}
    assert p.values.tolist() == [float(x * scale[unit]) for x, unit in cases]


DATE_STYLES = [
    lambda d: d.strftime("%Y-%m-%d"),
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S").replace("00:00:00", "13:45:07"),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month}月{d.day}日 9:05",
    lambda d: d.strftime("%d-%b-%Y"),
    lambda d: d.strftime("%b %d, %Y"),
    lambda d: str((d - dt.date(1899, 12, 30)).days),  # Excel serial
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2099, 12, 31)),
                          st.sampled_from(range(len(DATE_STYLES)))), min_size=1, max_size=20))
def test_dates_in_each_accepted_style_parse_back(cases):
    texts = [DATE_STYLES[style](d) for d, style in cases]
    p = dates(texts)
    assert not p.bad.any(), texts
    assert list(p.values) == [pd.Timestamp(d) for d, _ in cases], texts


@settings(max_examples=50, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
                min_size=1, max_size=20), st.booleans())
def test_day_month_dates_parse_back_once_the_order_is_known(ds, dayfirst):
    """A column of d/m/y (or m/d/y) dates with one value that proves the order parses back."""
    proof = "13/01/2000" if dayfirst else "01/13/2000"
    texts = [f"{d.day:02d}/{d.month:02d}/{d.year}" if dayfirst
             else f"{d.month}/{d.day}/{d.year}" for d in ds]
    p = dates(texts + [proof])
    assert p.dayfirst is dayfirst
    assert list(p.values[:-1]) == [pd.Timestamp(d) for d in ds]
