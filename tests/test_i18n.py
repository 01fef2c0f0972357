"""One label table in two languages: every key used exists in both; money reads as each reader expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from valuation.i18n.format import format_date, format_money
from valuation.i18n.text import TEXT, lang_from_locale, t
from valuation.model import lifecycle, tiers
from valuation.model.settings import DIMENSIONS, OPTIONAL_DIMENSIONS, PRESETS

REPO = Path(__file__).resolve().parents[1]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[A-Za-z0-9_]+)+)["']""")


def source_files():
    for folder in ("valuation", "ui", "views"):
        yield from (REPO / folder).glob("*.py")
    yield REPO / "app.py"


def test_every_literal_label_key_in_the_code_exists_in_both_languages():
    missing = []
    for path in source_files():
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            pair = TEXT.get(key)
            if pair is None or not pair[0] or not pair[1]:
                missing.append(f"{path.name}: {key}")
    assert not missing


@pytest.mark.parametrize("prefix, names", [
    ("tier", tiers.TIERS), ("class", tiers.VALUE_CLASSES), ("action", tiers.VALUE_CLASSES),
    ("rfm", tiers.RFM_SEGMENTS), ("stage", lifecycle.STAGES + ("first_purchase",)),
    ("activity", lifecycle.ACTIVITY + ("none",)), ("dim", DIMENSIONS + OPTIONAL_DIMENSIONS),
    ("preset", tuple(PRESETS)), ("help", DIMENSIONS + OPTIONAL_DIMENSIONS),
])
def test_every_domain_value_has_a_chinese_and_an_english_label(prefix, names):
    for name in names:
        zh, en = TEXT[f"{prefix}.{name}"]
        assert zh and en and zh != en


def test_chinese_labels_are_chinese():
    assert t("tier.A", "zh").startswith("A 级")
    assert t("class.below_zero", "zh") == "负值客户"
    assert t("page.overview", "zh") == "总览"


@pytest.mark.parametrize("value, zh, en", [
    (34_060_000, "¥3,406万", "¥34.1M"),
    (125_000, "¥12.5万", "¥125.0K"),
    (980, "¥980", "¥980"),
    (-2_700_000, "-¥270万", "-¥2.7M"),
    (312_000_000, "¥3.12亿", "¥312.0M"),
    (-2_280_440, "-¥228万", "-¥2.3M"),        # the sign before the symbol, never ¥-2,280,440
    (99_999_999, "¥1.00亿", "¥100.0M"),       # a unit chosen after rounding: not ¥10,000万
    (999_960, "¥100万", "¥1.0M"),             # not ¥100.0万 / ¥1,000.0K
    (-0.4, "¥0", "¥0"),                       # nothing left after rounding: no sign
    (float("inf"), "—", "—"),
])
def test_money_reads_as_each_reader_expects(value, zh, en):
    assert format_money(value, "zh") == zh
    assert format_money(value, "en") == en


def test_dates_read_as_each_reader_expects():
    assert format_date("2024-01-05", "zh") == "2024年1月5日"
    assert format_date("2024-01-05", "en") == "2024-01-05"


@pytest.mark.parametrize("locale, lang", [("zh-CN", "zh"), ("zh-TW", "zh"), ("en-US", "en"), (None, "en"),
                                          ("de-DE", "en")])
def test_the_default_language_follows_the_browser_locale(locale, lang):
    assert lang_from_locale(locale) == lang


def test_a_missing_parameter_never_raises():
    assert t("data.report", "en") == TEXT["data.report"][1]


@pytest.mark.parametrize("currency, value, zh, en", [
    ("USD", -2_280_440, "-US$2.3M", "-$2.3M"),      # the sign first, never $-2,280,440
    ("USD", 125_000, "US$125.0K", "$125.0K"),       # 万 is for the yuan only: not US$12.5万
    ("USD", 34_060_000, "US$34.1M", "$34.1M"),
    ("USD", 999_960, "US$1.0M", "$1.0M"),           # a unit chosen after rounding, as for the yuan
    ("USD", 999_999_999, "US$1.00B", "$1.00B"),
    ("USD", -0.4, "US$0", "$0"),                    # nothing left after rounding: no sign
    ("EUR", 1_234.5, "€1.2K", "€1.2K"),
    ("HKD", 980, "HK$980", "HK$980"),
    ("TWD", 3_120_000_000, "NT$3.12B", "NT$3.12B"),
    ("GBP", -12_500, "-£12.5K", "-£12.5K"),
    ("JPY", 1_500_000, "JP¥1.5M", "JP¥1.5M"),      # the yen is never a bare ¥ (that is the yuan)
    ("CNY", 34_060_000, "¥3,406万", "¥34.1M"),
    ("USD", float("nan"), "—", "—"),
])
def test_money_in_other_currencies_has_their_symbol_and_no_wan(currency, value, zh, en):
    assert format_money(value, "zh", currency=currency) == zh
    assert format_money(value, "en", currency=currency) == en


def test_the_current_currency_is_the_default_and_comes_back_after_a_block():
    from valuation.i18n.format import current_currency, using_currency

    assert current_currency() == "CNY" and format_money(-2_280_440, "en") == "-¥2.3M"
    with using_currency("USD"):
        assert format_money(-2_280_440, "en") == "-$2.3M"
        assert format_money(-2_280_440, "en", currency="EUR") == "-€2.3M"  # given beats current
        assert t("feat.actual_value", "zh") == "实际价值（净CLV，美元）"
        assert t("feat.actual_value", "en") == "Actual value (net CLV, $)"
    assert current_currency() == "CNY"
    assert t("feat.actual_value", "zh") == "实际价值（净CLV，元）"  # the yuan's labels as they always were
    assert t("feat.actual_value", "en") == "Actual value (net CLV, ¥)"


def test_no_label_hard_codes_the_yuan_where_a_dataset_may_be_in_dollars():
    from valuation.i18n.format import using_currency

    with using_currency("USD"):
        for key in ("feat.actual_value", "feat.strategic_value", "explore.min_base", "clv.margin",
                    "clv.acquisition"):
            assert "元" not in t(key, "zh").replace("美元", "") and "¥" not in t(key, "en"), key


@pytest.mark.parametrize("currency, streamlit, streamlit_zh, excel", [
    ("CNY", "yen", "yen", '"¥"#,##0'), ("USD", "dollar", "dollar", '"$"#,##0'), ("EUR", "euro", "euro", '"€"#,##0'),
    ("HKD", "%,.0f HKD", "%,.0f港元", '"HK$"#,##0'), ("JPY", "%,.0f JPY", "%,.0f日元", '"JP¥"#,##0'),
])
def test_tables_and_workbooks_carry_the_currency_symbol(currency, streamlit, streamlit_zh, excel):
    from valuation.i18n.format import excel_money_format, streamlit_money_format

    # Streamlit's presets put the sign first (-¥1,235); a printf symbol in front would not (HK$-1,235),
    # so the other currencies follow the number: -1,235 HKD, -1,235港元.
    assert streamlit_money_format(currency) == streamlit
    assert streamlit_money_format(currency, "zh") == streamlit_zh
    assert excel_money_format(currency) == excel
