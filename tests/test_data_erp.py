"""Real Chinese ERP/CRM exports load with the right numbers: units in amount headers, totals lines, Big5."""

from __future__ import annotations

import io
import random

import openpyxl
import pytest

from valuation.data.files import IngestError
from valuation.data.ingest import read_table, sniff


def load(text: str, encoding: str = "utf-8", *, name: str = "导出.csv", table: str = "orders"):
    return read_table(text.encode(encoding), name=name, table=table)


def reasons(result) -> list[tuple[int, str]]:
    return list(zip(result.rejects["line"].tolist(), result.rejects["reason_code"].tolist()))


def amounts(result, table: str = "orders", column: str = "amount") -> dict[str, float]:
    frame = result.tables[table]
    return dict(zip(frame["customer_id"], frame[column]))


# ============================================================================ units in headers

def test_an_amount_under_a_wan_yuan_header_loads_in_yuan():
    r = load("客户编号,客户名称,下单日期,金额(万元)\n"
             "K001,华瑞科技,2024-01-05,1.5\n"
             "K002,东方物流,2024-01-06,0.12\n"
             "K003,北京小米,2024-01-07,\"1,234.5\"\n")
    assert r.mapping["amount"] == "金额(万元)"
    assert amounts(r) == {"K001": 15000.0, "K002": 1200.0, "K003": 12345000.0}


@pytest.mark.parametrize("header, factor", [
    ("金额(万元)", 10_000), ("销售额（万元）", 10_000), ("金额（千元）", 1_000), ("收入(亿元)", 100_000_000),
    ("金额[万元]", 10_000), ("金额(单位：万元)", 10_000), ("金额/万元", 10_000), ("金额万元", 10_000),
    ("金額(萬元)", 10_000), ("amount (thousand CNY)", 1_000), ("Amount (CNY thousands)", 1_000),
    ("revenue (million)", 1_000_000), ("Revenue (mn)", 1_000_000), ("amount (¥000)", 1_000),
    ("Sales (RMB '000)", 1_000), ("Amount (k)", 1_000), ("amount in thousands", 1_000),
])
def test_each_unit_spelling_maps_the_amount_and_multiplies_it(header, factor):
    r = load(f"customer_id,order_date,{header}\nC1,2024-01-05,1.1\nC2,2024-01-06,-0.25\n")
    assert r.mapping["amount"] == header
    # Exact, as if the file had said 11000: 1.1 * 10000 in floating point is 11000.000000000002.
    assert amounts(r) == {"C1": float(f"1.1e{len(str(factor)) - 1}"), "C2": -0.25 * factor}


@pytest.mark.parametrize("header, unit", [
    ("金额(万元)", (4, "万元")), ("收入（亿元）", (8, "亿元")), ("销售额【百万元】", (6, "百万元")),
    ("金额(单位：千元)", (3, "单位:千元")), ("金额/万元", (4, "万元")), ("金额万元", (4, "万元")),
    ("Amount (RMB 10k)", (4, "RMB 10k")), ("amount (USD m)", (6, "USD m")), ("金额(新台幣千元)", (3, "新台幣千元")),
    ("金额(元)", (0, "元")), ("Amount (CNY)", (0, "CNY")),
    ("金额(含税)", None), ("毛利率(%)", None), ("数量(千件)", None), ("客户编号", None), ("单元", None),
])
def test_header_units_read_as_powers_of_ten(header, unit):
    from valuation.data.headers import header_unit

    assert header_unit(header) == unit


def test_a_yuan_header_is_not_scaled_but_a_thousand_yuan_cost_beside_it_is():
    r = load("客户编号,下单日期,金额(元),成本(千元),数量(千件)\nK1,2024-01-05,1500,1.2,3\n")
    orders = r.tables["orders"]
    assert orders["amount"].tolist() == [1500.0]
    assert orders["cost"].tolist() == [1200.0]
    assert orders["quantity"].tolist() == [3.0]  # a count, not money: never scaled
    assert [n.params["header"] for n in r.notes if n.key == "note.unit_scaled"] == ["成本(千元)"]


def test_the_import_report_says_which_column_was_scaled_by_what_in_both_languages():
    r = load("客户编号,下单日期,金额(万元)\nK1,2024-01-05,1.5\n")
    (note,) = [n for n in r.notes if n.key == "note.unit_scaled"]
    zh, en = note.text("zh"), note.text("en")
    assert "金额(万元)" in zh and "10,000" in zh and "万元" in zh
    assert "金额(万元)" in en and "multiplied by 10,000" in en and "amount" in en
    assert en in r.warnings  # the command line and the English report show it too
    assert r.messages("zh") == [n.text("zh") for n in r.notes]  # every warning is a note now
    assert r.messages("zh")[r.warnings.index(en)] == zh


def test_every_money_column_of_every_table_is_scaled():
    orders = load("客户编号,下单日期,金额(万元),毛利(万元),地区,年度预算(亿元)\nK1,2024-01-05,2,0.5,华东,0.1\n")
    assert orders.tables["orders"]["cost"].tolist() == [15000.0]  # amount - margin, both in yuan
    assert orders.tables["customers"]["wallet_estimate"].tolist() == [10_000_000.0]
    customers = load("客户编号,获客成本(千元),采购预算(万元),满意度\nK1,3.5,120,4\n", table="customers")
    frame = customers.tables["customers"]
    assert frame["acquisition_cost"].tolist() == [3500.0]
    assert frame["wallet_estimate"].tolist() == [1_200_000.0]
    assert frame["satisfaction"].tolist() == [4.0]
    payments = load("客户编号,发票金额(万元),到期日\nK1,3.2,2024-03-31\n", table="payments")
    assert payments.tables["payments"]["amount"].tolist() == [32000.0]
    service = load("客户编号,服务日期,服务成本(千元)\nK1,2024-02-01,0.8\n", table="service")
    assert service.tables["service"]["cost"].tolist() == [800.0]


def test_a_mapped_header_with_a_unit_is_scaled_too():
    r = read_table("客户,日期,本期发生额(万元)\nK1,2024-01-05,2.5\n".encode(), name="o.csv",
                   mapping={"amount": "本期发生额(万元)"})
    assert amounts(r) == {"K1": 25000.0}


def test_sniff_tells_the_unit_before_the_import():
    s = sniff("客户编号,下单日期,金额（万元）\nK1,2024-01-05,1.5\n".encode(), name="o.csv")
    assert s["mapping"]["amount"] == "金额（万元）"
    assert any("10,000" in n.text("zh") for n in s["notes"])


# ============================================================================ totals lines

ERP_REPORT = (
    "序号,客户编号,客户名称,下单日期,金额\n"          # line 1
    "1,K001,华瑞科技,2024-01-05,100\n"                # 2
    "2,K002,东方物流,2024-01-06,200\n"                # 3
    "小计,,,,300\n"                                   # 4
    "3,K003,北京小米,2024-01-07,50\n"                 # 5
    "本页合计,,,,350\n"                               # 6
    "合计(含税),,,,395.5\n"                           # 7
    ",,,总计：,350\n"                                 # 8
    "Total,,,,350\n"                                  # 9
    ",TOTAL AMOUNT,,,350\n"                           # 10
    ",Subtotal,,,350\n"                               # 11
    "Grand total,,,,350\n"                            # 12
    "4,K001,华瑞科技,2024-01-08,25\n"                 # 13
)


def test_erp_totals_and_subtotals_are_left_out_each_reported_with_its_line():
    r = load(ERP_REPORT)
    assert reasons(r) == [(line, "total_row") for line in (4, 6, 7, 8, 9, 10, 11, 12)]
    assert r.rows_loaded == 4 and r.rows_rejected == 8
    assert set(r.tables["orders"]["customer_id"]) == {"K001", "K002", "K003"}
    assert r.summary()["amount_total"] == 375.0
    values = r.rejects.set_index("line")["value"]
    assert values[6] == "本页合计" and values[8] == "总计：" and values[10] == "TOTAL AMOUNT"


def test_the_report_counts_the_totals_lines_in_both_languages():
    r = load(ERP_REPORT)
    (note,) = [n for n in r.notes if n.key == "note.totals_rows"]
    assert "8" in note.text("en") and "4, 6, 7, 8, 9, 10, 11, 12" in note.text("en")
    assert "合计" in note.text("zh") and "4, 6, 7, 8, 9, 10, 11, 12" in note.text("zh")


def test_a_per_customer_subtotal_line_is_a_totals_line_not_a_missing_date():
    r = load("客户编号,下单日期,金额\nK1,2024-01-05,10\nK1,2024-01-06,20\nK1,小计,30\nK2,2024-01-07,5\n")
    assert reasons(r) == [(4, "total_row")]
    assert amounts(r) == {"K1": 20.0, "K2": 5.0}


def test_customers_whose_id_or_name_only_contains_a_totals_word_are_loaded():
    r = load("客户编号,客户名称,下单日期,金额\n"
             "TOTAL01,道达尔能源,2024-01-05,10\n"      # an id that starts like "Total"
             "K002,合计科技有限公司,2024-01-06,20\n"    # a name with 合计 in it
             "K003,TOTAL,2024-01-07,30\n"               # TotalEnergies' old name, on an ordinary row
             "K004,Subtotal Design Studio,2024-01-08,40\n"
             "本页合计,,,100\n")
    assert reasons(r) == [(6, "total_row")]
    assert r.tables["customers"]["name"].tolist() == ["道达尔能源", "合计科技有限公司", "TOTAL",
                                                      "Subtotal Design Studio"]


def test_an_erp_workbook_with_a_wan_yuan_header_and_a_totals_row_loads_right():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年1月销售明细"])
    ws.append(["客户编码", "客户名称", "单据日期", "价税合计（万元）"])
    ws.append(["K001", "华瑞科技", "2024-01-05", 1.5])
    ws.append(["K002", "东方物流", "2024-01-06", 0.25])
    ws.append(["合计", None, None, 1.75])
    buf = io.BytesIO()
    wb.save(buf)
    r = read_table(buf.getvalue(), name="销售明细.xlsx")
    assert amounts(r) == {"K001": 15000.0, "K002": 2500.0}
    assert reasons(r) == [(5, "total_row")]


# ============================================================================ Big5

TRADITIONAL = ["台灣積體電路製造股份有限公司", "鴻海精密工業股份有限公司", "香港貿易發展局", "聯發科技股份有限公司",
               "中華電信股份有限公司", "國泰人壽保險股份有限公司", "長榮海運股份有限公司", "恒生銀行有限公司"]
TW_ADDRESSES = ["新竹科學園區力行六路8號", "新北市土城區自由街2號", "香港灣仔港灣道1號", "台北市信義區信義路五段7號"]
SIMPLIFIED = ["华为技术有限公司", "北京小米科技有限责任公司", "上海电气集团股份有限公司", "比亚迪股份有限公司",
              "珠海格力电器股份有限公司", "顺丰速运有限公司", "招商银行股份有限公司", "福耀玻璃工业集团"]
CN_ADDRESSES = ["广东省深圳市龙岗区坂田", "北京市海淀区清河中街68号", "上海市浦东新区世纪大道100号", "天津市滨海新区"]


def export(names: list[str], addresses: list[str], rows: int, seed: int = 0,
           header: str = "客戶編號,客戶名稱,地址,訂單日期,金額") -> tuple[str, list[str]]:
    """An ERP export with ``rows`` orders; returns the text and the names in row order."""
    rng = random.Random(seed)
    chosen = [rng.choice(names) for _ in range(rows)]
    lines = [header] + [f"C{i:04d},{name},{rng.choice(addresses)},2024-{1 + i % 12:02d}-{1 + i % 28:02d},"
                        f"\"{rng.randrange(100, 9_000_000):,}.50\"" for i, name in enumerate(chosen)]
    return "\r\n".join(lines) + "\r\n", chosen


@pytest.mark.parametrize("rows", [3, 400])
def test_big5_and_gbk_exports_each_load_with_their_own_characters(rows):
    big5_text, big5_names = export(TRADITIONAL, TW_ADDRESSES, rows)
    big5 = load(big5_text, "cp950", name="台灣訂單.csv")
    assert big5.encoding == "big5"
    assert big5.tables["customers"]["name"].tolist() == big5_names
    assert big5.mapping == {"customer_id": "客戶編號", "order_date": "訂單日期", "amount": "金額",
                            "name": "客戶名稱"}
    assert big5.rows_loaded == rows and not len(big5.rejects)
    gbk_text, gbk_names = export(SIMPLIFIED, CN_ADDRESSES, rows, header="客户编号,客户名称,地址,订单日期,金额")
    gbk = load(gbk_text, "gbk")
    assert gbk.encoding == "gb18030"
    assert gbk.tables["customers"]["name"].tolist() == gbk_names
    assert not [n for n in gbk.notes if n.key.startswith("note.encoding")]


def test_a_hong_kong_export_with_hkscs_characters_loads():
    text = "客戶編號,客戶名稱,訂單日期,金額(千元)\nH1,華富邨物業管理有限公司,2024-01-05,12\nH2,港鐵𨋢修工程,2024-01-06,8\n"
    r = load(text, "big5hkscs", name="香港.csv")
    assert r.encoding == "big5-hkscs"
    assert r.tables["customers"]["name"].tolist() == ["華富邨物業管理有限公司", "港鐵𨋢修工程"]
    assert amounts(r) == {"H1": 12000.0, "H2": 8000.0}


def test_sniff_previews_a_big5_file_in_traditional_characters():
    text, names = export(TRADITIONAL, TW_ADDRESSES, 5)
    s = sniff(text.encode("cp950"), name="台灣訂單.csv")
    assert s["encoding"] == "big5" and s["headers"][:2] == ["客戶編號", "客戶名稱"]
    assert s["preview"]["客戶名稱"].tolist() == names
    assert s["mapping"]["amount"] == "金額"


@pytest.mark.parametrize("codec, name", [("cp950", "華碩"), ("gbk", "阿里巴巴")])
def test_a_file_with_too_little_chinese_to_tell_big5_from_gbk_says_so(codec, name):
    """One short name reads as either encoding: the file is read as GBK (the common case) and the
    reader is told how to check and fix it, in either language; never silent mojibake."""
    r = load(f"customer_id,name,order_date,amount\nC1,{name},2024-01-05,1\n", codec, name="short.csv")
    assert r.encoding == "gb18030"
    (note,) = [n for n in r.notes if n.key.startswith("note.encoding")]
    assert r.warnings[0] == note.text("en")
    for text in (note.text("en"), note.text("zh")):
        assert "short.csv" in text and "Big5" in text and "GBK" in text and "CSV UTF-8" in text


def test_generated_big5_and_gbk_exports_are_all_told_apart():
    """The decision measured on real-shaped files (3 to 400 rows, with and without addresses)."""
    wrong = []
    for seed in range(12):
        for rows in (3, 10, 400):
            for codec, names, addresses, header, expected in [
                    ("cp950", TRADITIONAL, TW_ADDRESSES, "客戶編號,客戶名稱,地址,訂單日期,金額", "big5"),
                    ("gbk", SIMPLIFIED, CN_ADDRESSES, "客户编号,客户名称,地址,订单日期,金额", "gb18030"),
                    ("cp950", TRADITIONAL, ["-"], "customer_id,name,address,order_date,amount", "big5"),
                    ("gbk", SIMPLIFIED, ["-"], "customer_id,name,address,order_date,amount", "gb18030")]:
                text, _ = export(names, addresses, rows, seed, header)
                if load(text, codec).encoding != expected:
                    wrong.append((codec, rows, seed, header[:5]))
    assert wrong == []


def test_text_in_no_chinese_encoding_names_the_file_and_says_to_save_it_as_utf8():
    data = "customer_id,date,amount\ncaf\xe9,2024-01-05,1\nJos\xe9,2024-01-06,2\n".encode("cp1252")
    with pytest.raises(IngestError) as err:
        read_table(data, name="europe.csv")
    message = str(err.value)
    assert err.value.code == "unreadable_encoding"
    assert "europe.csv" in message and "CSV UTF-8" in message and "Big5" in message
