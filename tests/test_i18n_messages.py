"""Every message a result carries is a code with parameters, said in the reader's language: a load's
warnings, rejected rows' reasons, why CLV used the formula, Excel sheet names and download names."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.test_pages_zh_walk import problems
from ui.widgets import rejects_frame
from valuation.analysis import actions
from valuation.data.files import Note
from valuation.data.ingest import read_table
from valuation.data.parsing import REASONS
from valuation.i18n.text import TEXT, t
from valuation.model import clv as clv_models
from valuation.model import tiers
from valuation.model.pipeline import MIN_REPEAT_BUYERS, ClvFit, add_clv
from valuation.model.settings import ClvSettings
from valuation.present import exports

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders(text: str) -> set[str]:
    # {col} names a column as the command line does; the Chinese text says its label, {col_label}.
    return {"col" if p == "col_label" else p for p in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("prefix", ["load.", "note.", "clvfit.", "reject.", "file.", "sheet."])
def test_every_message_has_both_languages_with_the_same_placeholders(prefix):
    keys = [k for k in TEXT if k.startswith(prefix)]
    assert keys
    for key in keys:
        zh, en = TEXT[key]
        assert zh and en, key
        assert placeholders(zh) <= placeholders(en), key  # Chinese may leave a detail out, never add one


# ---------------------------------------------------------------------------- a load's warnings

AWKWARD = ("销售订单导出 2026年9月\n"
           "客户编号,客户名称,订单日期,金额,毛利,金额\n"
           "K1,甲,14/03/2024,100,40,1\n"
           " K1 ,甲,15/03/2024,100,40,1\n"
           "1.23457E+11,乙,16/03/2024,50,20,1\n"
           ",,,,,\n"
           "K3,丙,17/03/2024,70,30,1\n"
           "K3,丙,17/03/2024,70,30,1\n"
           "K4,丁,18/03/2024,,30,1\n")


def test_every_warning_of_a_load_is_a_note_said_in_chinese_and_in_the_english_the_command_line_prints():
    r = read_table(AWKWARD.encode("gb18030"), name="订单.csv")
    keys = [n.key for n in r.notes]
    assert {"load.header_line", "load.duplicate_headers", "load.blank_lines", "load.dayfirst",
            "load.scientific_ids", "load.repeat_rows", "load.padded_ids", "load.cost_from_margin",
            "load.rows_rejected"} <= set(keys)
    assert r.warnings == [n.text("en") for n in r.notes]
    assert "header found on line 2; the 1 line(s) above it were skipped (a report title or export note)" in r.warnings
    assert "1 row(s) repeat an earlier row exactly (lines 8); they were loaded: if the file holds an export twice, " \
           "remove them" in r.warnings
    zh = r.messages("zh")
    assert "表头在第 2 行：上面的 1 行（报表标题或导出说明）已跳过。" in zh
    assert any(m.startswith("订单日期：按“日/月/年”读取") for m in zh)  # the column by its label
    assert any(m.startswith("表头重复：“金额”出现 2 次（第 4, 6 列）") for m in zh)
    assert not problems([("warning", m) for m in zh], set())


def test_mixed_encodings_and_a_date_order_conflict_are_said_in_chinese():
    utf8 = "客户编号,订单日期,金额\nK1,13/01/2024,1\n".encode()
    gbk = "K2,01/13/2024,2\nK3,14/01/2024,3\nK4,15/01/2024,4\n客户五,16/01/2024,5\n".encode("gb18030")
    r = read_table(utf8 + gbk, name="mixed.csv")
    zh = {n.key: n.text("zh") for n in r.notes}
    assert "load.mixed_encoding" in zh and "load.date_order_conflict" in zh
    assert "已按“日/月/年”读取" in zh["load.date_order_conflict"]
    assert "read as day/month/year" in r.warnings[[n.key for n in r.notes].index("load.date_order_conflict")]
    assert not problems([("warning", m) for m in zh.values()], set())


def test_a_note_writes_its_note_parameters_in_the_same_language():
    note = Note("load.duplicate_headers", {"details": [Note("load.duplicate_header", {"header": "金额", "n": 2,
                                                                                     "columns": "2, 5"})] * 2})
    assert note.text("zh").startswith("表头重复：“金额”出现 2 次（第 2, 5 列）；“金额”")
    assert note.text("en").startswith("duplicate headers: '金额' appears 2 times (columns 2, 5); '金额'")


# ---------------------------------------------------------------------------- rejected rows

def test_every_reason_code_has_a_reason_in_both_languages():
    for code in REASONS:
        zh, en = TEXT[f"reject.{code}"]
        assert zh and en and zh != en, code


def test_the_rejects_table_says_each_reason_in_chinese_and_keeps_the_code_labelled():
    r = read_table("客户编号,订单日期,金额\nK1,下周一,1\nK2,2024-01-02,\nK3,2024-01-03,5\n".encode(), name="o.csv")
    shown = rejects_frame(r.rejects, "zh")
    assert list(shown.columns) == [t(f"reject.col_{c}", "zh") for c in ("line", "column", "value", "reason",
                                                                        "reason_code")]
    assert shown["原因"].tolist() == ["订单日期：无法识别的日期（例如 2024-01-05、2024/1/5、2024年1月5日）", "金额：必填值为空"]
    assert shown["原因代码"].tolist() == ["bad_date", "missing_value"]  # for machines, in the CSV
    assert csv_text(shown).splitlines()[0] == "行号,列,原值,原因,原因代码"


def csv_text(frame) -> str:
    return exports.csv_bytes(frame).decode("utf-8-sig")


# ---------------------------------------------------------------------------- why CLV used the formula

def features(n: int, repeat: int) -> pd.DataFrame:
    """``n`` customers with one order each, ``repeat`` of them with three purchase days."""
    rng = np.random.default_rng(7)
    days = np.where(np.arange(n) < repeat, 3, 1)
    return pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(n)], "has_orders": True, "frequency": days - 1,
        "recency_days": np.where(days > 1, 200.0, 0.0), "T_days": 400.0, "purchase_days": days,
        "purchase_amount": days * rng.uniform(50, 150, n), "gross_profit_12m": 30.0, "revenue_12m": 100.0,
        "service_cost_12m": 0.0, "bad_debt_12m": 0.0, "gross_margin_rate": 0.3})


def test_too_few_repeat_buyers_is_said_in_chinese_and_in_the_english_of_the_command_line():
    try:
        _, fit = add_clv(features(30, 3), ClvSettings())
    except KeyError as exc:  # the features add_clv needs changed: say which
        pytest.fail(f"add_clv needs {exc}")
    assert fit.method == "formula" and fit.reason_code == "few_repeat_buyers"
    assert fit.reason_text("en") == fit.reason == (f"only 3 repeat buyers (at least {MIN_REPEAT_BUYERS} needed "
                                                   "for the models)")
    assert fit.reason_text("zh") == f"复购客户只有 3 位（购买模型至少需要 {MIN_REPEAT_BUYERS} 位）"


def test_a_model_that_cannot_be_fitted_says_why_with_a_code():
    with pytest.raises(clv_models.ConvergenceError) as caught:
        clv_models.fit_purchase_model("bgnbd", np.zeros(5), np.zeros(5), np.arange(5.0) + 10)
    exc = caught.value
    assert exc.code == "no_repeat" and exc.params == {"model": "BG/NBD"}
    fit = ClvFit("formula", reason=str(exc), reason_code=exc.code, reason_params=exc.params)
    assert fit.reason_text("en") == str(exc)
    assert fit.reason_text("zh").startswith("BG/NBD 拟合需要复购客户")


def test_a_degenerate_fit_keeps_its_hint_in_the_readers_language():
    fit = ClvFit("formula", reason="…", reason_code="degenerate",
                 reason_params={"model": "Gamma-Gamma", "names": "q, gamma", "values": "p=1, q=1e9, gamma=1e9",
                                "hint": "clvfit.hint_homogeneous_spend"})
    assert "消费水平看起来一致" in fit.reason_text("zh") and "spend looks homogeneous" in fit.reason_text("en")
    assert fit.reason_text("zh").startswith("Gamma-Gamma 拟合退化：参数 q, gamma")


def test_a_fit_from_before_the_codes_still_says_its_reason():
    assert ClvFit("formula", reason="old words").reason_text("zh") == "old words"


# ---------------------------------------------------------------------------- Excel sheet names

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sheet_name_fits_excel_whole_and_is_unique(lang):
    names = [t(f"sheet.{k}", lang) for k in actions.LISTS] + [t("export.sheet.summary", lang)] \
        + [t(f"tier.{c}", lang) for c in tiers.TIERS]
    for name in names:
        assert len(name) <= exports.SHEET_NAME_MAX and exports.sheet_title(name) == name, name
    assert len({n.lower() for n in names[:len(actions.LISTS)]}) == len(actions.LISTS)
    assert len({n.lower() for n in names[len(actions.LISTS):]}) == len(names) - len(actions.LISTS)


def test_the_action_lists_workbook_has_short_sheet_names_and_translated_headers():
    frame = pd.DataFrame({"customer_id": ["C1"], "suggested_categories": ["云服务"], "thin_margin": [12.0]})
    book = load_workbook(io.BytesIO(exports.frames_workbook(exports.list_sheets({"growable": frame,
                                                                                 "let_go": frame}, "zh"))))
    assert book.sheetnames == ["可成长", "负值客户-放弃"]
    assert [c.value for c in book["可成长"][1]] == ["客户编号", "建议推荐的品类", "毛利偏低少赚的毛利"]


def test_a_long_sheet_name_is_never_cut_inside_a_word():
    assert exports.sheet_title("Most valuable customers in decline") == "Most valuable customers in"
    assert exports.sheet_title("x" * 40) == "x" * 31  # one word longer than a sheet name: cut, no choice
    assert exports.sheet_title("Customers at risk in the north", ["Customers at risk in the north"]) \
        == "Customers at risk in the (2)"  # room for the number: a word goes, not half of one


# ---------------------------------------------------------------------------- download names

def test_downloads_are_named_in_the_readers_language():
    assert exports.download_name("file.at_risk_alerts", "zh", "2026-09-30") == "流失风险客户_2026-09-30.csv"
    assert exports.download_name("file.report", "zh", "sample", "2026-09-30", ext="html") \
        == "客户价值报告_sample_2026-09-30.html"
    assert exports.download_name("file.customers", "en", "sample", None, ext="xlsx") == "customers_sample.xlsx"
    assert exports.download_name("file.rejects", "zh", "a/b:c") == "被拒绝的行_a_b_c.csv"  # no folders, no colons


def test_every_download_name_is_a_plain_file_name_in_both_languages():
    for key in (k for k in TEXT if k.startswith("file.") and k != "file.months"):
        zh, en = exports.download_name(key, "zh", "x"), exports.download_name(key, "en", "x")
        assert re.search(r"[\u4e00-\u9fff]", zh), key
        assert en.isascii() and " " not in en, key
        assert not re.search(r'[\\/:*?"<>|]', zh + en), key
