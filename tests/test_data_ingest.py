"""Reading customer files: encodings, delimiters, Excel, mapping, rejects and unusable files."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.data import schema
from valuation.data.files import IngestError
from valuation.data.headers import normalise_header
from valuation.data.ingest import read_table, sniff
from valuation.data.mapping import candidate_columns, detect_mapping
from valuation.data.parsing import STR
from valuation.data.reading import _read_body_arrow, _read_body_python
from valuation.data.validate import REJECT_COLUMNS

ORDERS = (
    "客户编号,下单日期,金额\n"
    "C1,2024-01-05,100\n"
    "C2,2024-01-06,200.5\n"
    "C1,2024-01-07,-30\n"
)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_bytes(rows, sheets=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in rows:
        ws.append(row)
    for title, extra in (sheets or {}).items():
        other = wb.create_sheet(title)
        for row in extra:
            other.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def reject_lines(result, code=None):
    r = result.rejects
    if code:
        r = r[r["reason_code"] == code]
    return r["line"].tolist()


# ============================================================================ encodings

def test_utf8_csv_with_chinese_headers_loads(tmp_path):
    r = read_table(write(tmp_path, "orders.csv", ORDERS))
    orders = r.tables["orders"]
    assert r.encoding == "utf-8" and r.delimiter == ","
    assert r.rows_read == 3 and r.rows_loaded == 3 and r.rows_rejected == 0
    assert list(orders.columns) == ["customer_id", "order_date", "amount"]
    assert orders["amount"].tolist() == [100.0, 200.5, -30.0]
    assert r.source_name == "orders.csv"


def test_utf8_file_with_bom_reports_utf8_sig(tmp_path):
    r = read_table(write(tmp_path, "orders.csv", ORDERS, "utf-8-sig"))
    assert r.encoding == "utf-8-sig"
    assert r.mapping["customer_id"] == "客户编号"  # the BOM is not part of the first header
    assert r.rows_loaded == 3


def test_gbk_file_with_yuan_amounts_loads(tmp_path):
    text = "客户编号,客户名称,下单日期,金额(元)\nC1,华为,2024/1/5,\"1,234.50元\"\nC2,小米,2024/1/6,88元\n"
    r = read_table(write(tmp_path, "导出.csv", text, "gbk"))
    assert r.encoding == "gb18030"
    assert r.tables["orders"]["amount"].tolist() == [1234.5, 88.0]
    assert r.tables["customers"]["name"].tolist() == ["华为", "小米"]


def test_gb18030_file_with_characters_outside_gbk_loads(tmp_path):
    text = "客户编号,日期,金额\n𠀀客户,2024-01-05,￥12\n"
    r = read_table(write(tmp_path, "o.csv", text, "gb18030"))
    assert r.encoding == "gb18030"
    assert r.tables["orders"]["customer_id"].tolist() == ["𠀀客户"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_excel_unicode_text_export_utf16_with_bom_and_tabs_loads(tmp_path, codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    text = ORDERS.replace(",", "\t").replace("\n", "\r\n")
    path = tmp_path / "unicode.txt"
    path.write_bytes(bom + text.encode(codec))
    r = read_table(path)
    assert r.encoding == "utf-16" and r.delimiter == "\t"
    assert r.tables["orders"]["amount"].tolist() == [100.0, 200.5, -30.0]


def test_utf16_without_bom_is_recognised(tmp_path):
    path = tmp_path / "o.txt"
    path.write_bytes(ORDERS.replace(",", "\t").encode("utf-16-le"))
    r = read_table(path)
    assert r.encoding == "utf-16-le" and r.rows_loaded == 3


def test_text_that_is_neither_utf8_nor_gb18030_is_an_unreadable_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("customer_id,date,amount\ncafé,2024-01-05,1\n".encode("cp1252"))
    with pytest.raises(IngestError) as e:
        read_table(path)
    assert e.value.code == "unreadable_encoding"
    assert "latin.csv" in str(e.value) and "CSV UTF-8" in str(e.value)


# ============================================================================ delimiters, formats

@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_each_delimiter_is_detected(tmp_path, delimiter):
    text = ("customer_id,order_date,amount,product\n"
            'C1,2024-01-05,"1,234.50",Widget\n'
            "C2,2024-01-06,5,Gadget\n")
    if delimiter != ",":
        text = text.replace(",", delimiter).replace(f'"1{delimiter}234.50"', "1,234.50")
    r = read_table(write(tmp_path, "o.txt", text))
    assert r.delimiter == delimiter
    assert r.tables["orders"]["amount"].tolist() == [1234.5, 5.0]
    assert r.tables["orders"]["product"].tolist() == ["Widget", "Gadget"]


def test_tab_file_with_comma_amounts_in_every_row_is_still_tab_separated(tmp_path):
    text = "customer_id\torder_date\tamount\nC1\t2024-01-05\t1,234.50\nC2\t2024-01-06\t2,000.00\n"
    r = read_table(write(tmp_path, "o.tsv", text))
    assert r.delimiter == "\t"
    assert r.tables["orders"]["amount"].tolist() == [1234.5, 2000.0]


def test_excel_sep_hint_line_sets_the_delimiter(tmp_path):
    r = read_table(write(tmp_path, "o.csv", "sep=;\n" + ORDERS.replace(",", ";")))
    assert r.delimiter == ";" and r.rows_loaded == 3


def test_windows_and_old_mac_line_endings(tmp_path):
    for ending in ("\r\n", "\r"):
        r = read_table(write(tmp_path, "o.csv", ORDERS.replace("\n", ending)))
        assert r.rows_loaded == 3
        assert r.tables["orders"]["customer_id"].tolist() == ["C1", "C2", "C1"]


def test_file_like_upload_objects_are_read():
    upload = io.BytesIO(ORDERS.encode("gbk"))
    upload.name = "上传.csv"
    r = read_table(upload)
    assert r.source_name == "上传.csv" and r.encoding == "gb18030" and r.rows_loaded == 3


def test_bytes_source_uses_the_given_name(tmp_path):
    r = read_table(ORDERS.encode(), name="upload.csv")
    assert r.source_name == "upload.csv" and r.rows_loaded == 3
    with pytest.raises(IngestError) as e:
        read_table(b"", name="upload.csv")
    assert "upload.csv" in str(e.value)


def test_xlsx_with_date_cells_and_serials_loads():
    data = xlsx_bytes([
        ["客户编号", "下单日期", "金额", "行业"],
        [1001, dt.datetime(2024, 1, 5, 13, 30), 1234.5, "制造"],
        ["1002", 45296, "¥2,000", None],
        [1001.0, dt.date(2024, 1, 7), -3, "零售"],
    ])
    r = read_table(data, name="orders.xlsx")
    orders = r.tables["orders"]
    assert r.encoding == "xlsx" and r.delimiter is None
    assert orders["customer_id"].tolist() == ["1001", "1002", "1001"]
    assert orders["order_date"].tolist() == [pd.Timestamp("2024-01-05"),
                                             pd.Timestamp("2024-01-05"),
                                             pd.Timestamp("2024-01-07")]
    assert orders["amount"].tolist() == [1234.5, 2000.0, -3.0]
    industry = r.tables["customers"].set_index("customer_id")["industry"]
    assert industry["1001"] == "制造" and pd.isna(industry["1002"])


def test_xlsx_is_detected_by_content_not_extension(tmp_path):
    path = tmp_path / "really_excel.csv"
    path.write_bytes(xlsx_bytes([["customer_id", "date", "amount"], ["C1", "2024-01-05", 3]]))
    r = read_table(path)
    assert r.delimiter is None and r.rows_loaded == 1


def test_xlsx_sheet_can_be_chosen_by_name_or_index():
    data = xlsx_bytes([["x"], [1]], sheets={"客户": [["客户编号", "地区"], ["C1", "华东"]]})
    by_name = read_table(data, name="b.xlsx", table="customers", sheet="客户")
    by_index = read_table(data, name="b.xlsx", table="customers", sheet=1)
    assert by_name.tables["customers"]["region"].tolist() == ["华东"]
    assert by_index.tables["customers"].equals(by_name.tables["customers"])
    with pytest.raises(IngestError) as e:
        read_table(data, name="b.xlsx", table="customers", sheet="missing")
    assert e.value.code == "bad_sheet" and e.value.params["sheets"] == ["Sheet1", "客户"]


def test_xlsx_rejects_report_sheet_rows():
    data = xlsx_bytes([
        ["report title"], [],
        ["customer_id", "order_date", "amount"],
        ["C1", "2024-01-05", 1],
        ["C2", "2024-02-30", 2],
        [None, None, None],
        ["", "2024-01-05", 3],
    ])
    r = read_table(data, name="t.xlsx")
    assert r.rows_loaded == 1
    assert reject_lines(r) == [5, 7]
    assert any("sheet row 3" in w for w in r.warnings)


# ============================================================================ headers and mapping

@pytest.mark.parametrize("header", ["金额(元)", "金额（元）", "Amount", "销售额", "AMOUNT (CNY)",
                                    " 实付金额 ", "sales_amount"])
def test_amount_header_spellings_are_matched(tmp_path, header):
    text = f"customer_id,order_date,{header}\nC1,2024-01-05,5\n"
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.mapping["amount"] == header.strip()


@pytest.mark.parametrize("header", ["Customer_ID", " 客户 编号 ", "客户编号", "客户ID", "Client",
                                    "customer-id", "CUSTOMER NO."])
def test_customer_id_header_spellings_are_matched(header):
    mapping = detect_mapping([header, "日期", "金额"], "orders")
    assert mapping == {"customer_id": header, "order_date": "日期", "amount": "金额"}


def test_chinese_erp_headers_map_every_orders_column():
    headers = ["订单编号", "客户编码", "客户名称", "单据日期", "产品名称", "产品类别", "数量",
               "价税合计", "成本金额", "销售渠道", "地区", "行业", "城市"]
    m = detect_mapping(headers, "orders")
    assert m == {"customer_id": "客户编码", "order_date": "单据日期", "amount": "价税合计",
                 "order_id": "订单编号", "cost": "成本金额", "product": "产品名称",
                 "category": "产品类别", "quantity": "数量", "channel": "销售渠道",
                 "name": "客户名称", "region": "地区", "industry": "行业", "city": "城市"}


def test_an_exact_canonical_name_beats_a_synonym():
    m = detect_mapping(["sales", "amount", "customer", "customer_id", "date"], "orders")
    assert m["amount"] == "amount" and m["customer_id"] == "customer_id"


def test_the_first_matching_header_wins_and_each_header_is_used_once():
    m = detect_mapping(["客户", "金额", "销售额", "日期", "下单日期"], "orders")
    assert m == {"customer_id": "客户", "order_date": "日期", "amount": "金额"}


def test_synonyms_do_not_overlap_within_a_table():
    for table in schema.TABLES:
        owner = {}
        for col in candidate_columns(table):
            for s in (col.name,) + col.synonyms:
                key = normalise_header(s)
                assert owner.setdefault(key, col.name) == col.name, (table, s)


def test_mapping_override_uses_the_named_header(tmp_path):
    text = "客户编号,日期,金额,销售额\nC1,2024-01-05,1,100\n"
    r = read_table(write(tmp_path, "o.csv", text), mapping={"amount": "销售额"})
    assert r.mapping["amount"] == "销售额"
    assert r.tables["orders"]["amount"].tolist() == [100.0]
    assert "金额" in r.unmapped


def test_mapping_override_can_name_a_header_nothing_would_detect(tmp_path):
    text = "buyer_ref,when,how_much,zone\nC1,2024-01-05,100,East\n"
    r = read_table(write(tmp_path, "o.csv", text),
                   mapping={"customer_id": "buyer_ref", "order_date": "when",
                            "amount": "how_much", "region": "zone"})
    assert r.tables["orders"].iloc[0]["amount"] == 100.0
    assert r.tables["customers"]["region"].tolist() == ["East"]


def test_mapping_to_an_empty_header_leaves_a_column_unmapped(tmp_path):
    text = "客户编号,日期,金额,成本\nC1,2024-01-05,100,60\n"
    r = read_table(write(tmp_path, "o.csv", text), mapping={"cost": ""})
    assert "cost" not in r.tables["orders"].columns and "成本" in r.unmapped


def test_mapping_that_names_a_missing_header_lists_the_headers_found(tmp_path):
    with pytest.raises(IngestError) as e:
        read_table(write(tmp_path, "o.csv", ORDERS), mapping={"amount": "销售额"})
    assert e.value.code == "bad_mapping"
    assert e.value.params["found"] == ["客户编号", "下单日期", "金额"]
    assert "销售额" in str(e.value) and "客户编号" in str(e.value)


def test_mapping_of_an_unknown_canonical_column_is_a_bad_mapping(tmp_path):
    with pytest.raises(IngestError) as e:
        read_table(write(tmp_path, "o.csv", ORDERS), mapping={"revenue": "金额"})
    assert e.value.code == "bad_mapping" and "revenue" in str(e.value)


def test_title_lines_above_the_header_are_skipped_with_a_warning(tmp_path):
    text = "销售订单明细表\n导出时间：2024-03-01 10:00\n\n" + ORDERS
    r = read_table(write(tmp_path, "o.csv", text, "gbk"))
    assert r.rows_loaded == 3
    assert any("header found on line 4" in w for w in r.warnings)


def test_a_stray_synonym_in_a_data_row_does_not_move_the_header(tmp_path):
    text = "buyer,when,how_much\nC1,2024-01-05,1\nTotal,x,y\n"
    r = read_table(write(tmp_path, "o.csv", text),
                   mapping={"customer_id": "buyer", "order_date": "when", "amount": "how_much"})
    assert r.rows_read == 2 and r.rows_loaded == 1


def test_a_mapped_header_below_a_title_is_found(tmp_path):
    text = "Sales export 2024\nbuyer,when,how_much\nC1,2024-01-05,1\n"
    r = read_table(write(tmp_path, "o.csv", text),
                   mapping={"customer_id": "buyer", "order_date": "when", "amount": "how_much"})
    assert r.rows_loaded == 1 and any("line 2" in w for w in r.warnings)


def test_a_partial_mapping_still_finds_the_header_below_a_title(tmp_path):
    text = "销售明细\n客户编号,日期,销售额\nC1,2024-01-05,7\n"
    r = read_table(write(tmp_path, "o.csv", text), mapping={"amount": "销售额"})
    assert r.rows_loaded == 1 and r.tables["orders"]["amount"].tolist() == [7.0]


def test_trailing_delimiters_on_every_line_add_no_rejects(tmp_path):
    text = "".join(line + ",\n" for line in ORDERS.splitlines())
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.rows_loaded == 3 and r.rows_rejected == 0 and r.unmapped == []


# ============================================================================ values in files

def test_amount_formats_in_a_file(tmp_path):
    text = ("客户编号,日期,金额\n"
            'C1,2024-01-05,"1,234.50"\nC1,2024-01-05,¥12\nC1,2024-01-05,RMB 7\n'
            "C1,2024-01-05,(12.50)\nC1,2024-01-05,12.5-\nC1,2024-01-05,1.2万\n"
            "C1,2024-01-05,3亿\nC1,2024-01-05,１２\nC1,2024-01-05,abc\nC1,2024-01-05,12.3.4\n")
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.tables["orders"]["amount"].tolist() == [1234.5, 12, 7, -12.5, -12.5, 12000,
                                                     300000000, 12]
    assert reject_lines(r, "bad_amount") == [10, 11]


def test_date_formats_in_a_file(tmp_path):
    text = ("customer_id,order_date,amount\n"
            "C1,2024-01-05,1\nC1,2024-01-05 08:30:00,1\nC1,2024/1/5,1\nC1,2024.1.5,1\n"
            "C1,20240105,1\nC1,2024年1月5日,1\nC1,2024年1月5日 14:30,1\nC1,45296,1\n"
            "C1,2024-02-30,1\n")
    r = read_table(write(tmp_path, "o.csv", text))
    assert set(r.tables["orders"]["order_date"]) == {pd.Timestamp("2024-01-05")}
    assert r.rows_loaded == 8
    assert reject_lines(r, "impossible_date") == [10]


def test_day_first_column_is_decided_from_the_whole_file(tmp_path):
    text = "customer_id,order_date,amount\nC1,05/01/2024,1\nC2,25/01/2024,1\n"
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.tables["orders"]["order_date"].tolist() == [pd.Timestamp("2024-01-05"),
                                                         pd.Timestamp("2024-01-25")]
    assert any("day-first" in w for w in r.warnings)


def test_conflicting_day_month_rows_are_rejected(tmp_path):
    text = ("customer_id,order_date,amount\n"
            "C1,25/01/2024,1\nC2,26/01/2024,1\nC3,01/27/2024,1\n")
    r = read_table(write(tmp_path, "o.csv", text))
    assert reject_lines(r, "day_month_conflict") == [4]
    assert "day-first" in r.rejects.iloc[0]["reason"]


def test_ids_are_trimmed_so_padded_ids_are_the_same_customer(tmp_path):
    text = "customer_id,order_date,amount,order_id\n C1 ,2024-01-05,1, O1\nC1,2024-01-06,2,O2 \n"
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.tables["orders"]["customer_id"].tolist() == ["C1", "C1"]
    assert r.tables["orders"]["order_id"].tolist() == ["O1", "O2"]
    assert r.summary()["customers"] == 1


def test_negative_amounts_are_kept_as_returns(tmp_path):
    r = read_table(write(tmp_path, "o.csv", ORDERS))
    assert r.tables["orders"]["amount"].min() == -30.0
    assert r.summary()["amount_total"] == 270.5


def test_margin_without_cost_becomes_cost(tmp_path):
    text = "客户编号,日期,金额,毛利\nC1,2024-01-05,100,30\nC2,2024-01-06,-50,-10\n"
    r = read_table(write(tmp_path, "o.csv", text))
    orders = r.tables["orders"]
    assert "margin" not in orders.columns
    assert orders["cost"].tolist() == [70.0, -40.0]
    assert r.mapping["margin"] == "毛利"


def test_no_cost_column_warns_that_profit_falls_back_to_revenue(tmp_path):
    r = read_table(write(tmp_path, "o.csv", ORDERS))
    assert "no cost column: profit falls back to revenue" in r.warnings


def test_attribute_columns_are_lifted_into_customers(tmp_path):
    text = ("客户编号,客户名称,日期,金额,地区,行业,产品,渠道,满意度\n"
            "C1,甲公司,2024-01-05,100,,制造,A,线上,\n"
            "C2,乙公司,2024-01-06,50,华南,零售,B,线下,4.5\n"
            "C1,,2024-01-07,20,华东,服务,A,线上,3\n")
    r = read_table(write(tmp_path, "o.csv", text))
    orders, customers = r.tables["orders"], r.tables["customers"]
    assert list(orders.columns) == ["customer_id", "order_date", "amount", "product", "channel"]
    assert list(customers.columns) == ["customer_id", "name", "region", "industry",
                                       "satisfaction"]
    c1 = customers.set_index("customer_id").loc["C1"]
    # First non-empty value per column: region comes from the second C1 row.
    assert (c1["name"], c1["region"], c1["industry"], c1["satisfaction"]) == \
        ("甲公司", "华东", "制造", 3.0)
    assert len(customers) == 2


def test_orders_without_attribute_columns_yield_no_customers_table(tmp_path):
    assert set(read_table(write(tmp_path, "o.csv", ORDERS)).tables) == {"orders"}


def test_totals_row_is_rejected_not_loaded_as_a_customer(tmp_path):
    text = ORDERS + "合 计,2024-01-31,270.5\n"
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.rows_loaded == 3 and reject_lines(r, "total_row") == [5]


def test_customers_payments_and_service_files_load(tmp_path):
    customers = read_table(write(tmp_path, "c.csv",
                                 "客户编号,客户名称,地区,行业,创建日期,年度预算\n"
                                 "C1,甲,华东,制造,2023-05-01,\"1,000,000\"\n"),
                           table="customers")
    assert customers.tables["customers"]["wallet_estimate"].tolist() == [1e6]
    assert customers.summary()["amount_total"] is None
    payments = read_table(write(tmp_path, "p.csv",
                                "客户编号,发票号,应收金额,到期日,付款日期\n"
                                "C1,F1,100,2024-02-01,2024-01-30\nC1,F2,50,2024-03-01,\n"),
                          table="payments")
    paid = payments.tables["payments"]["paid_date"]
    assert paid.isna().tolist() == [False, True]  # empty paid_date = unpaid, not a reject
    assert payments.summary()["amount_total"] == 150.0
    service = read_table(write(tmp_path, "s.csv",
                               "客户编号,服务日期,类型,服务成本,满意度\nC1,2024-01-05,投诉,200,2\n"),
                         table="service")
    assert list(service.tables["service"].columns) == ["customer_id", "date", "kind", "cost",
                                                       "satisfaction"]


def test_output_dtypes_are_canonical(tmp_path):
    text = ("订单号,客户编号,日期,金额,成本,产品,数量,地区,创建日期\n"
            "O1,C1,2024-01-05,100,60,A,2,华东,2023-01-01\n")
    r = read_table(write(tmp_path, "o.csv", text))
    orders, customers = r.tables["orders"], r.tables["customers"]
    assert list(orders.columns) == [c.name for c in schema.stored_columns("orders")
                                    if c.name in orders.columns]
    for col in ("customer_id", "order_id", "product"):
        assert orders[col].dtype == STR
    assert str(orders["order_date"].dtype) == "datetime64[us]"
    assert str(customers["created_at"].dtype) == "datetime64[us]"
    for col in ("amount", "cost", "quantity"):
        assert orders[col].dtype == np.float64


# ============================================================================ rejects

def test_rejected_rows_have_correct_line_numbers_with_blank_lines_and_quoted_newlines(tmp_path):
    text = ("客户编号,下单日期,金额,备注\n"        # 1
            'C1,2024/1/5,"1,234.50","a\nb"\n'      # 2-3
            "C2,2024-02-30,100,x\n"                # 4  impossible date
            "\n"                                   # 5  blank
            ",2024/1/8,5,z\n"                      # 6  no customer
            'C4,2024/1/9,abc,"q\n\nr"\n'           # 7-9 bad amount
            "C5,2024/1/10,7,ok\n")                 # 10
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.rows_read == 5 and r.rows_loaded == 2 and r.rows_rejected == 3
    assert r.rejects["line"].tolist() == [4, 6, 7]
    assert r.rejects["reason_code"].tolist() == ["impossible_date", "missing_value", "bad_amount"]
    assert r.rejects["column"].tolist() == ["下单日期", "客户编号", "金额"]
    assert r.rejects["value"].tolist() == ["2024-02-30", "", "abc"]
    assert list(r.rejects.columns) == REJECT_COLUMNS
    assert any("line(s) 5" in w for w in r.warnings)


def test_ragged_lines_are_rejected_with_their_line_numbers(tmp_path):
    text = ("customer_id,order_date,amount\n"
            "C1,2024-01-05,1\n"
            "C2,2024-01-05,2,surplus\n"
            '"C3\nsplit",2024-01-05,3\n'
            "C4,2024-01-05\n"
            "C5,2024-01-05,5\n")
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.tables["orders"]["customer_id"].tolist() == ["C1", "C3\nsplit", "C5"]
    assert reject_lines(r, "wrong_field_count") == [3, 6]
    assert r.rejects["reason"].tolist() == ["line has 4 fields but the header has 3",
                                            "line has 2 fields but the header has 3"]
    assert r.rows_read == 5 and r.rows_rejected == 2


def test_a_row_failing_in_two_columns_counts_once(tmp_path):
    text = "customer_id,order_date,amount\nC1,not a date,abc\nC2,2024-01-05,1\n"
    r = read_table(write(tmp_path, "o.csv", text))
    assert len(r.rejects) == 2 and r.rows_rejected == 1
    assert r.rows_read == r.rows_loaded + r.rows_rejected


def test_empty_customer_id_and_missing_required_values_are_rejected(tmp_path):
    text = ("customer_id,order_date,amount\n"
            "  ,2024-01-05,1\nC2,,1\nC3,2024-01-05,\nC4,2024-01-05,2\n")
    r = read_table(write(tmp_path, "o.csv", text))
    assert reject_lines(r, "missing_value") == [2, 3, 4]
    assert r.rows_loaded == 1


def test_an_unparseable_optional_value_rejects_the_row_but_an_empty_one_does_not(tmp_path):
    text = "customer_id,order_date,amount,cost\nC1,2024-01-05,10,\nC2,2024-01-05,10,x\n"
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.tables["orders"]["customer_id"].tolist() == ["C1"]
    assert np.isnan(r.tables["orders"]["cost"][0])
    assert reject_lines(r, "bad_amount") == [3]


def test_a_runaway_quote_that_swallows_rows_is_rejected_not_hidden(tmp_path):
    text = ("customer_id,order_date,amount,note\n"
            'C1,2024-01-05,1,"unterminated\n'
            "C2,2024-01-05,2,ok\n")
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.rows_loaded == 0
    assert reject_lines(r, "unbalanced_quote") == [2]
    assert "note" in r.rejects.iloc[0]["reason"]


def test_excel_text_formulas_and_tab_prefixes_keep_leading_zeros(tmp_path):
    text = 'customer_id,order_date,amount\n="00123",2024-01-05,1\n\t00124,2024-01-05,2\n'
    r = read_table(write(tmp_path, "o.csv", text))
    assert r.tables["orders"]["customer_id"].tolist() == ["00123", "00124"]


def test_ids_mangled_into_scientific_notation_are_warned_about(tmp_path):
    text = "customer_id,order_date,amount\n1.23457E+11,2024-01-05,1\n"
    r = read_table(write(tmp_path, "o.csv", text))
    assert any("scientific notation" in w for w in r.warnings)


def test_python_fallback_reader_agrees_with_arrow():
    body = ('C1,"x\ny",1\n\nC2,z\nC3,w,3,4\n"C4","q",4\n').encode()
    df_a, lines_a, ragged_a = _read_body_arrow(body, 0, ",", 3, header_end=1, quoted=True)
    df_p, lines_p, ragged_p = _read_body_python(body.decode(), ",", 3, header_end=1)
    assert lines_a.tolist() == lines_p.tolist() == [2, 4, 7]
    assert [r[:2] for r in ragged_a] == [r[:2] for r in ragged_p] == [(5, 2), (6, 4)]
    assert df_a.equals(df_p)


# ============================================================================ unusable files

@pytest.mark.parametrize("content", [b"", b"   \r\n\n", codecs.BOM_UTF8 + b"\n",
                                     codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_empty_file_is_reported(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError) as e:
        read_table(path)
    assert e.value.code == "empty_file"
    assert "empty.csv" in str(e.value) and e.value.params["file"] == "empty.csv"


def test_header_only_file_is_reported(tmp_path):
    for text in ("客户编号,日期,金额\n", "客户编号,日期,金额", "客户编号,日期,金额\n,,\n\n"):
        with pytest.raises(IngestError) as e:
            read_table(write(tmp_path, "h.csv", text))
        assert e.value.code == "header_only" and "h.csv" in str(e.value)


def test_missing_amount_column_names_it_and_lists_columns_found(tmp_path):
    with pytest.raises(IngestError) as e:
        read_table(write(tmp_path, "o.csv", "客户编号,下单日期,备注\nC1,2024-01-05,x\n"))
    err = e.value
    assert err.code == "missing_columns"
    assert err.params["missing"] == ["amount"]
    assert err.params["found"] == ["客户编号", "下单日期", "备注"]
    message = str(err)
    assert "o.csv" in message and "amount" in message and "备注" in message
    assert "--map amount=" in message and "rename" in message.lower()


def test_every_missing_required_column_is_named(tmp_path):
    with pytest.raises(IngestError) as e:
        read_table(write(tmp_path, "o.csv", "foo,bar\n1,2\n"))
    assert e.value.params["missing"] == ["customer_id", "order_date", "amount"]


def test_unknown_table_is_reported(tmp_path):
    with pytest.raises(IngestError) as e:
        read_table(write(tmp_path, "o.csv", ORDERS), table="invoices")
    assert e.value.code == "unknown_table" and "orders" in str(e.value)


@pytest.mark.parametrize("content, detail", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG"),
    (b"customer_id,date\x00,amount\n\x00\x01\x02", "NUL"),
    (bytes(range(1, 32)) * 50, "binary"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"PK\x03\x04not really a zip", "zip"),
])
def test_binary_junk_is_not_a_table(tmp_path, content, detail):
    path = tmp_path / "picture.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError) as e:
        read_table(path)
    assert e.value.code == "not_a_table"
    assert detail.lower() in str(e.value).lower() and "picture.csv" in str(e.value)


def test_old_xls_workbook_is_reported_with_how_to_fix(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(IngestError) as e:
        read_table(path)
    assert e.value.code == "old_excel_format" and ".xlsx" in str(e.value)


def test_an_unexpected_failure_is_an_ingest_error_not_a_traceback(tmp_path, monkeypatch):
    import valuation.data.ingest as ingest

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest, "_build", boom)
    with pytest.raises(IngestError) as e:
        read_table(write(tmp_path, "o.csv", ORDERS))
    assert e.value.code == "read_failed" and "disk on fire" in str(e.value)


def test_missing_path_is_an_ingest_error(tmp_path):
    with pytest.raises(IngestError) as e:
        read_table(tmp_path / "nope.csv")
    assert e.value.code == "file_not_found"


# ============================================================================ summary and sniff

def test_summary_is_json_able_and_complete(tmp_path):
    s = read_table(write(tmp_path, "o.csv", ORDERS)).summary()
    json.dumps(s, ensure_ascii=False)
    assert s["customers"] == 2 and s["amount_total"] == 270.5
    assert set(s) >= {"rows_read", "rows_loaded", "rows_rejected", "customers", "amount_total",
                      "encoding", "delimiter", "mapping", "unmapped", "warnings", "table",
                      "source"}


def test_sniff_shows_encoding_delimiter_headers_rows_and_mapping(tmp_path):
    text = "标题\n客户编号;下单日期;销售额;备注\nC1;2024/1/5;￥12;x\nC2;2024/1/6;￥13;y\n"
    s = sniff(write(tmp_path, "o.csv", text, "gbk").read_bytes(), name="o.csv")
    assert s["encoding"] == "gb18030" and s["delimiter"] == ";" and s["header_line"] == 2
    assert s["headers"] == ["客户编号", "下单日期", "销售额", "备注"]
    assert s["mapping"] == {"customer_id": "客户编号", "order_date": "下单日期", "amount": "销售额"}
    assert s["rows"]["销售额"].tolist() == ["￥12", "￥13"]
    assert s["preview"].equals(s["rows"])
    assert s["missing"] == []


def test_sniff_of_xlsx_lists_sheets():
    s = sniff(xlsx_bytes([["customer_id", "date"], ["C1", "2024-01-05"]], sheets={"b": [[1]]}))
    assert s["kind"] == "xlsx" and s["sheets"] == ["Sheet1", "b"] and s["missing"] == ["amount"]


# ============================================================================ robustness

_CELLS = st.one_of(st.text(max_size=12),
                   st.sampled_from(["C1", " C2 ", "2024-01-05", "2024/1/5", "¥1,234.50", "(3)",
                                    "", "合计", '"q"', '"a\nb"', "1.2万", "45296"]))


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.lists(_CELLS, min_size=1, max_size=5), min_size=1, max_size=8),
       st.sampled_from([",", "\t", ";", "|"]), st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_read_table_never_fails_unexpectedly_on_messy_files(rows, delimiter, encoding):
    header = delimiter.join(["客户编号", "下单日期", "金额", "备注"][: max(len(r) for r in rows)])
    text = header + "\n" + "\n".join(delimiter.join(r) for r in rows) + "\n"
    try:
        data = text.encode(encoding, errors="replace")
    except UnicodeEncodeError:
        return
    try:
        r = read_table(data, name="messy.csv")
    except IngestError as e:
        assert e.code != "read_failed", str(e)
        return
    assert r.rows_read == r.rows_loaded + r.rows_rejected
    assert list(r.rejects.columns) == REJECT_COLUMNS
    assert (r.rejects["line"] >= 2).all()


@settings(max_examples=40, deadline=None, database=None)
@given(st.binary(max_size=300))
def test_read_table_never_fails_unexpectedly_on_random_bytes(data):
    try:
        read_table(data, name="junk.csv")
    except IngestError as e:
        assert e.code != "read_failed", str(e)


# ---- sniff reads the head of a big file; Parquet tables read like CSV files ----------------
def _gb18030_rows(n: int, start: int = 0) -> list[str]:
    return [f"K{i:06d},华瑞科技{i % 97},2024-01-{1 + i % 28:02d},{100 + i % 1000}.50,华东"
            for i in range(start, start + n)]


def _straddling(head: bytes, line: str, at: int) -> bytes:
    """``head`` padded with ASCII lines so that the first byte of ``line``'s first Chinese
    character is the last byte before offset ``at``: the character straddles the boundary."""
    encoded = line.encode("gb18030")
    first_wide = next(i for i, ch in enumerate(line) if ord(ch) > 127)
    before = len(line[:first_wide].encode("gb18030"))
    need = at - 1 - before - len(head)  # bytes of ASCII filler lines (each ends with \n)
    filler = []
    while need > 0:
        width = min(need, 200)
        if need - width in range(1, 40):  # keep room for a whole filler line
            width = need - 40
        row = f"K{len(filler):06d},Acme,2024-01-02,{'9' * max(width - 25, 1)},east"[:width - 1]
        filler.append(row + "\n")
        need -= len(filler[-1])
    data = head + "".join(filler).encode("ascii") + encoded
    assert data[at - 1:at + 1] == encoded[before:before + 2]  # the character straddles ``at``
    return data


@pytest.fixture
def decoded_sizes(monkeypatch):
    """The size of every buffer ``ingest`` decodes as text."""
    from valuation.data import reading

    sizes, real = [], reading._decode

    def spy(data, name):
        sizes.append(len(data))
        return real(data, name)

    monkeypatch.setattr(reading, "_decode", spy)
    return sizes


def test_sniff_decodes_only_the_head_of_a_big_gb18030_file(decoded_sizes):
    from valuation.data.files import _SNIFF_HEAD_BYTES

    header = "客户编号,客户名称,订单日期,金额,地区\n"
    for pad in range(8):  # shift the rows until a character straddles the head's nominal end
        rows = [f"K{'0' * pad}{row[1:]}" for row in _gb18030_rows(60_000)]
        data = (header + "\n".join(rows) + "\n").encode("gb18030")
        try:
            data[:_SNIFF_HEAD_BYTES].decode("gb18030")
        except UnicodeDecodeError:
            break
    else:
        pytest.fail("no layout puts a character across the boundary")
    assert len(data) > 2 * _SNIFF_HEAD_BYTES
    sniffed = sniff(data, name="big.csv")
    assert max(decoded_sizes) <= _SNIFF_HEAD_BYTES  # not the whole file
    assert sniffed["encoding"] == "gb18030" and sniffed["delimiter"] == ","
    assert sniffed["headers"] == ["客户编号", "客户名称", "订单日期", "金额", "地区"]
    assert sniffed["preview"].astype(str).apply(",".join, axis=1).tolist() == rows[:10]
    assert sniffed["mapping"]["amount"] == "金额"
    result = read_table(data, name="big.csv")  # the full read still decodes and checks every byte
    assert result.encoding == "gb18030" and result.rows_loaded == len(rows)


def test_sniff_finds_gbk_that_starts_after_an_ascii_head(decoded_sizes):
    """The first megabyte is plain ASCII; the first Chinese character straddles the head's end."""
    from valuation.data.files import _SNIFF_HEAD_BYTES

    head = "customer_id,name,order_date,amount,region\n".encode("ascii")
    data = _straddling(head, _gb18030_rows(1)[0] + "\n", _SNIFF_HEAD_BYTES)
    data += ("\n".join(_gb18030_rows(2_000, 1)) + "\n").encode("gb18030")
    sniffed = sniff(data, name="late.csv")
    assert sniffed["encoding"] == "gb18030"  # the head alone reads as UTF-8: the whole file is decoded
    assert max(decoded_sizes) == len(data)
    assert sniffed["headers"] == ["customer_id", "name", "order_date", "amount", "region"]
    assert sniffed["preview"].iloc[0]["name"] == "Acme"
    assert read_table(data, name="late.csv").encoding == "gb18030"


def test_sniff_of_a_big_utf8_file_with_gbk_lines_further_on_reports_the_mix():
    header = "客户编号,客户名称,订单日期,金额,地区\n"
    utf8 = (header + "\n".join(_gb18030_rows(30_000)) + "\n").encode("utf-8")
    gbk = ("\n".join(_gb18030_rows(100, 30_000)) + "\n").encode("gb18030")
    sniffed = sniff(utf8 + gbk, name="mixed.csv")
    assert sniffed["encoding"] == "utf-8+gb18030"
    assert sniffed["preview"].iloc[0]["客户名称"] == "华瑞科技0"
    small = sniff(utf8[:200_000].rsplit(b"\n", 1)[0] + b"\n", name="small.csv")
    assert small["encoding"] == "utf-8"


def test_a_parquet_table_is_read_like_the_same_table_as_csv(tmp_path):
    frame = pd.DataFrame({
        "客户编号": ["K1", "K2", "K1", "K3"],
        "订单日期": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-20", None]),
        "金额": [1234.5, 500.0, -300.0, 80.0],
        "地区": ["华东", "华南", "华东", None],
    })
    parquet = io.BytesIO()
    frame.to_parquet(parquet)
    csv_text = frame.assign(订单日期=frame["订单日期"].dt.strftime("%Y-%m-%d")).to_csv(index=False)
    from_csv = read_table(csv_text.encode("utf-8"), name="orders.csv")
    from_parquet = read_table(parquet.getvalue(), name="orders.parquet")
    for table, expected in from_csv.tables.items():
        pd.testing.assert_frame_equal(from_parquet.tables[table], expected)
    assert from_parquet.encoding == "parquet" and from_parquet.rows_rejected == 1
    assert from_parquet.rejects.iloc[0]["line"] == 4  # row 4 of the file (no header line)
    sniffed = sniff(parquet.getvalue(), name="orders.parquet")
    assert sniffed["kind"] == "parquet" and sniffed["sheets"] is None
    assert sniffed["headers"] == list(frame.columns) and len(sniffed["preview"]) == 4
    assert sniffed["mapping"]["amount"] == "金额"


def test_a_damaged_parquet_file_gets_its_own_message():
    with pytest.raises(IngestError) as err:
        read_table(b"PAR1" + b"\x00" * 64, name="broken.parquet")
    assert err.value.code == "bad_parquet" and "broken.parquet" in str(err.value)
