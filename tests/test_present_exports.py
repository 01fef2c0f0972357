"""Exports: formula neutralising, valid sheet names, labelled tables and the scored workbook read back."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from valuation.analysis import insights
from valuation.data import sample
from valuation.data.store import Store, load_sample
from valuation.i18n.text import t
from valuation.model import pipeline, tiers
from valuation.model.settings import Settings, TierCuts
from valuation.present import exports

HOSTILE = ["=1+1", "-abc", "@SUM(A1)", "+cmd|' /C calc'!A0", "\tx", "\rx"]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A small generated dataset (400 customers, 100 prospects), scored with the defaults."""
    folder = tmp_path_factory.mktemp("sample")
    sample.generate(folder, customers=400, prospects=100, seed=7)
    store = Store(":memory:")
    load_sample(store, folder=folder)
    out = pipeline.run(store, "sample")
    store.close()
    return out


@pytest.fixture(scope="module")
def hostile_scored(scored):
    """The scored frame with formula-like names on the first rows of every tier."""
    out = scored.copy()
    out["name"] = out["name"].astype(object)
    for tier in tiers.TIERS:
        idx = out.index[out["tier"] == tier][:len(HOSTILE)]
        out.loc[idx, "name"] = HOSTILE[:len(idx)]
    return out


@pytest.fixture(scope="module")
def book(hostile_scored):
    settings = Settings(tiers=TierCuts(a=0.05, b=0.15, c=0.30))
    data = exports.scored_workbook(hostile_scored, "en", settings=settings, dataset="demo")
    return load_workbook(io.BytesIO(data))


# --------------------------------------------------------------------------- neutralising


def test_formula_like_text_gets_an_apostrophe_and_numbers_stay_numbers():
    frame = pd.DataFrame({
        "mixed": pd.Series([-5, -2.5, "-abc", "=1+1", "@SUM(A1)", "\rx", "ok", None], dtype=object),
        "text": pd.Series(["+1", "a=b", "-", None, "x", "y", "z", "\tq"], dtype="string"),
        "money": [-1.5, -100.0, 3.0, 0.0, -0.01, 2.0, 1.0, -7.0],
    })
    out = exports.neutralise_formulas(frame)
    assert out["mixed"].tolist()[:2] == [-5, -2.5]
    assert isinstance(out["mixed"].iloc[0], int) and isinstance(out["mixed"].iloc[1], float)
    assert out["mixed"].tolist()[2:7] == ["'-abc", "'=1+1", "'@SUM(A1)", "'\rx", "ok"]
    assert out["mixed"].iloc[7] is None
    assert out["text"].tolist()[:3] == ["'+1", "a=b", "'-"] and out["text"].iloc[7] == "'\tq"
    assert out["money"].equals(frame["money"])
    assert frame["mixed"].iloc[3] == "=1+1"  # the input is not changed


def test_csv_neutralises_text_but_writes_negative_numbers_as_numbers():
    frame = pd.DataFrame({"name": ["=1+1", "-abc", "ok"], "net_profit_12m": [-12.5, 3.0, -0.5]})
    data = exports.csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["'=1+1", "-12.5"] and rows[2] == ["'-abc", "3.0"] and rows[3] == ["ok", "-0.5"]


@pytest.mark.parametrize("name, expected", [
    ("Summary", "Summary"),
    ("a[b]:c*d?e/f\\g", "a_b__c_d_e_f_g"),
    ("x" * 40, "x" * 31),
    ("'quoted'", "quoted"),
    ("", "Sheet"),
    ("可成长客户与交叉销售建议", "可成长客户与交叉销售建议"),
])
def test_sheet_titles_are_valid_excel_names(name, expected):
    assert exports.sheet_title(name) == expected


def test_repeated_sheet_titles_get_a_number_within_31_characters():
    assert exports.sheet_title("summary", ["Summary"]) == "summary (2)"
    assert exports.sheet_title("Summary", ["Summary", "Summary (2)"]) == "Summary (3)"
    long = exports.sheet_title("y" * 40, ["y" * 31])
    assert len(long) == 31 and long.endswith(" (2)")


def test_excel_bytes_accepts_any_sheet_name():
    data = exports.excel_bytes({"a/b?": pd.DataFrame({"x": ["=cmd"]}), "a_b_": pd.DataFrame({"x": [-1]})})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["a_b_", "a_b_ (2)"]
    assert wb["a_b_"]["A2"].value == "'=cmd" and wb["a_b_ (2)"]["A2"].value == -1


# --------------------------------------------------------------------------- labels


def test_labelled_translates_headers_and_codes_and_keeps_unknown_columns():
    frame = pd.DataFrame({"customer_id": ["C1"], "tier": ["A"], "value_class": ["growable"],
                          "last_order_date": pd.to_datetime(["2026-01-05"]), "mystery": [1],
                          "action": ["call"], "current": [50.0]})
    out = exports.labelled(frame, "zh")
    assert list(out.columns) == [t("feat.customer_id", "zh"), t("feat.tier", "zh"), t("feat.value_class", "zh"),
                                 t("feat.last_order_date", "zh"), "mystery", t("export.col.action", "zh"),
                                 t("dim.current", "zh")]
    assert out.iloc[0, 1] == t("tier.A", "zh") and out.iloc[0, 2] == t("class.growable", "zh")
    assert str(out.iloc[0, 3]) == "2026-01-05"


def test_every_export_column_has_a_label_in_both_languages(scored):
    for lang in ("zh", "en"):
        for col in pipeline.output_frame(scored).columns:
            assert exports.column_label(col, lang) != col, col


# --------------------------------------------------------------------------- the workbook


def test_workbook_has_a_summary_and_one_sheet_per_tier(book):
    expected = [t("export.sheet.summary", "en")] + [exports.sheet_title(t(f"tier.{c}", "en")) for c in tiers.TIERS]
    assert book.sheetnames == expected


def test_each_tier_sheet_holds_exactly_the_tier_customers(book, hostile_scored):
    for code in tiers.TIERS:
        ws = book[exports.sheet_title(t(f"tier.{code}", "en"))]
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0][0] == t("feat.customer_id", "en")
        assert len(rows) - 1 == int((hostile_scored["tier"] == code).sum()), code
        tier_col = rows[0].index(t("feat.tier", "en"))
        assert {r[tier_col] for r in rows[1:]} <= {t(f"tier.{code}", "en")}


def _summary_block(book, title_key: str) -> list[tuple]:
    rows = list(book[t("export.sheet.summary", "en")].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == t(title_key, "en"))
    block = []
    for row in rows[start + 2:]:
        if row[0] is None:
            break
        block.append(row)
    return block


def test_summary_figures_equal_the_kpis(book, hostile_scored):
    k = insights.kpis(hostile_scored)
    values = {r[0]: r[1] for r in _summary_block(book, "report.section.key_figures")}
    assert len(values) == len(k)
    for key, label_key in exports.KPI_LABELS.items():
        got, want = values[t(label_key, "en")], k[key]
        if isinstance(want, float) and math.isnan(want):
            assert got is None
        else:
            assert got == pytest.approx(want), key


def test_summary_tier_table_counts_and_shares_of_the_customers_with_orders(book, hostile_scored):
    block = _summary_block(book, "report.section.tiers")
    counts = hostile_scored["tier"].value_counts()
    buyers = int(hostile_scored["has_orders"].sum())  # the kpis' customers: tier A at a 5% cut is ~5%
    assert [r[0] for r in block] == [t(f"tier.{c}", "en") for c in tiers.TIERS]
    for code, row in zip(tiers.TIERS[:-1], block):
        assert row[1] == int(counts.get(code, 0))
        assert row[2] == pytest.approx(counts.get(code, 0) / buyers)
    assert block[0][2] == pytest.approx(0.05, abs=0.01)
    prospects = block[-1]
    assert prospects[1] == int(counts["prospect"]) and prospects[2] is None and prospects[6] is None
    assert sum(r[6] for r in block[:-1]) == pytest.approx(1.0)


def _formats(ws, row: int = 2) -> dict:
    """Header → number format of the cells in ``row``."""
    header = [c.value for c in ws[1]]
    return dict(zip(header, (c.number_format for c in ws[row])))


def test_workbook_numbers_carry_a_format_per_kind_and_names_fit_their_column(scored):
    book = load_workbook(io.BytesIO(exports.scored_workbook(scored, "zh")))
    ws = book[exports.sheet_title(t("tier.B", "zh"))]
    formats = _formats(ws)
    label = lambda c: exports.column_label(c, "zh")  # noqa: E731
    assert formats[label("revenue_12m")] == formats[label("clv")] == '"¥"#,##0'  # -¥1,234, the yuan's sign
    assert formats[label("composite")] == formats[label("current")] == "0.0"  # not 14 decimals
    assert formats[label("revenue_trend")] == formats[label("on_time_payment_ratio")] == "0.0%"
    assert formats[label("days_since_last_order")] == formats[label("mean_gap_days")] == "0"
    # Chinese names are twice as wide as their length: the column fits the longest (capped).
    header = [c.value for c in ws[1]]
    column = ws.cell(row=1, column=header.index(label("name")) + 1).column_letter
    names = [r[header.index(label("name"))] for r in ws.iter_rows(min_row=2, values_only=True)]
    widest = max(exports.text_width(n) for n in names)
    assert widest > 20
    assert ws.column_dimensions[column].width >= min(widest, exports.WIDTH_MAX)
    # The key figures: money, shares and counts each in their format.
    summary = book[t("export.sheet.summary", "zh")]
    figures = {r[0].value: r[1] for r in summary.iter_rows() if r[0].value and len(r) > 1 and r[1] is not None}
    assert figures[t("kpi.revenue_12m", "zh")].number_format == '"¥"#,##0'
    assert figures[t("kpi.tier_a_share", "zh")].number_format == "0.0%"


def test_text_width_counts_chinese_characters_double():
    assert exports.text_width("ABC") == 3
    assert exports.text_width("上海越博供应链有限公司") == 22
    assert exports.text_width(None) == 0


def test_summary_lists_classes_with_actions_and_the_configuration(book):
    classes = _summary_block(book, "report.section.classes")
    assert [r[0] for r in classes] == [t(f"class.{c}", "en") for c in tiers.VALUE_CLASSES]
    assert classes[1][4] == t("action.growable", "en")
    config = {(r[0], r[1]): r[2] for r in _summary_block(book, "report.section.config")}
    assert config[(t("tuning.weights", "en"), t("dim.current", "en"))] == "30"
    assert config[(t("tuning.cuts", "en"), t("report.cfg.tier_a", "en"))] == "5%"
    assert config[(t("life.thresholds", "en"), t("life.at_risk_days", "en"))] == "90"


def test_workbook_without_settings_has_no_configuration_block(scored):
    wb = load_workbook(io.BytesIO(exports.scored_workbook(scored, "zh")))
    firsts = [r[0] for r in wb[t("export.sheet.summary", "zh")].iter_rows(values_only=True)]
    assert t("report.section.config", "zh") not in firsts
    assert t("report.section.key_figures", "zh") in firsts
    assert wb.sheetnames[1] == t("tier.A", "zh")


def test_workbook_neutralises_formula_like_names_and_keeps_negative_numbers(book):
    ws = book[exports.sheet_title(t("tier.below_zero", "en"))]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    names = [r[header.index(t("feat.name", "en"))] for r in rows[1:]]
    # (XML reads a carriage return back as a newline)
    assert {"'" + h.replace("\r", "\n") for h in HOSTILE} <= set(names)
    assert not [n for n in names if n.startswith(exports._FORMULA_START)]
    profit = [r[header.index(t("feat.net_profit_12m", "en"))] for r in rows[1:]]
    assert all(isinstance(p, (int, float)) and p < 0 for p in profit)
    for sheet in book.worksheets:  # nothing anywhere is stored as a formula
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_a_dollar_workbook_shows_dollars_in_its_cells_and_headers(scored):
    from valuation.i18n.format import current_currency

    book = load_workbook(io.BytesIO(exports.scored_workbook(scored, "en", currency="USD")))
    ws = book[exports.sheet_title(t("tier.B", "en"))]
    formats = _formats(ws)
    assert formats["Actual value (net CLV, $)"] == formats[exports.column_label("revenue_12m", "en")] == '"$"#,##0'
    assert current_currency() == "CNY"  # the workbook's currency ends with it
