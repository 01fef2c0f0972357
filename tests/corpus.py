"""A corpus of hostile and broken files, generated: one function per case returning (file name, bytes).

Each case's documented outcome is in docs/reliability.md (the "Bad-input corpus" table) and is
checked by tests/test_data_corpus.py against the library, the command line and the Data page.
Files are built in memory; the largest (``huge_field``) is about 50 MB.
"""

from __future__ import annotations

import io
import random
import zlib

HEADER = "customer_id,order_date,amount,name\n"
GOOD = "C001,2024-01-05,100.00,Good Co\n"


def empty_file() -> tuple[str, bytes]:
    """0 bytes."""
    return "empty.csv", b""


def header_only() -> tuple[str, bytes]:
    """A header row and nothing else (Excel's CRLF)."""
    return "header_only.csv", b"customer_id,order_date,amount\r\n"


def binary_renamed() -> tuple[str, bytes]:
    """A PNG image renamed .csv."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes.fromhex("0000000100000001080200000"
                                                                "0"))
           + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    return "photo.csv", png


def binary_noise() -> tuple[str, bytes]:
    """Random bytes (with NULs) renamed .csv: no known magic number."""
    rng = random.Random(7)
    return "noise.csv", bytes(rng.randrange(256) for _ in range(4096))


def missing_columns() -> tuple[str, bytes]:
    """Chinese headers without any amount column."""
    return "no_amount.csv", "客户编号,下单日期,备注\nK1,2024-01-05,首单\nK2,2024-01-06,\n".encode()


def wrong_types() -> tuple[str, bytes]:
    """Every column holds a value of the wrong type on some row; two rows are fine."""
    text = ("customer_id,order_date,amount,cost,quantity\n"
            "C001,2024-01-05,100,60,1\n"         # line 2: fine
            ",2024-01-06,100,60,1\n"              # line 3: customer_id empty
            "C002,next tuesday,100,60,1\n"        # line 4: order_date not a date
            "C003,2024-01-07,one hundred,60,1\n"  # line 5: amount not an amount
            "C004,2024-01-08,100,cheap,1\n"       # line 6: cost not an amount
            "C005,2024-01-09,100,60,a few\n"      # line 7: quantity not a number
            "C006,2024-01-10,250.5,100,2\n")      # line 8: fine
    return "wrong_types.csv", text.encode()


def nothing_valid() -> tuple[str, bytes]:
    """Every row wrong in every column: nothing can be loaded."""
    text = "customer_id,order_date,amount\n,someday,abc\n合计,2024-02-30,1.2.3\n"
    return "nothing_valid.csv", text.encode()


def bad_dates() -> tuple[str, bytes]:
    """Mixed date formats in one column, and impossible ones."""
    rows = [
        ("C1", "2024-01-05"), ("C2", "2024/1/6"), ("C3", "2024年1月7日"), ("C4", "20240108"),
        ("C5", "45300"), ("C6", "9-Jan-2024"), ("C7", "Jan 10, 2024"),  # 7 formats, all fine
        ("C8", "2024-02-30"), ("C9", "2023-02-29"),                      # impossible days
        ("C10", "1899-12-31"), ("C11", "1/5/24"), ("C12", "31/31/2024"), ("C13", "yesterday"),
    ]
    return "bad_dates.csv", (HEADER.replace(",name", "") + "".join(
        f'{c},"{d}",10\n' for c, d in rows)).encode()


HUGE_CHARS = 50_000_000


def huge_field() -> tuple[str, bytes]:
    """One cell of 50 MB (an unquoted name), between two ordinary rows."""
    return "huge_field.csv", (HEADER + GOOD).encode() + b"C002,2024-01-06,5," + b"x" * HUGE_CHARS \
        + b"\nC003,2024-01-07,6,Small Co\n"


def runaway_quote() -> tuple[str, bytes]:
    """A stray quote swallows 20,000 following lines into one 1.3 MB value."""
    body = "".join(f"C{i:05d},2024-01-06,5,name {i}\n" for i in range(20_000))
    return "runaway.csv", (HEADER + GOOD + 'C002,2024-01-06,5,"unclosed\n' + body).encode()


WIDE_COLUMNS = 5_000


def wide_file() -> tuple[str, bytes]:
    """5,000 columns: the three needed ones and 4,997 others, 50 rows."""
    extra = [f"attr_{i}" for i in range(WIDE_COLUMNS - 3)]
    lines = [",".join(["customer_id", "order_date", "amount"] + extra)]
    for r in range(50):
        lines.append(",".join([f"C{r:03d}", "2024-01-05", str(r + 1)] + [str(r)] * len(extra)))
    return "wide.csv", ("\n".join(lines) + "\n").encode()


def duplicate_headers() -> tuple[str, bytes]:
    """Two columns named amount (first gross, then net) and two named name."""
    text = ("customer_id,order_date,amount,amount,name,name\n"
            "C001,2024-01-05,100,90,Alpha,Alpha Ltd\n"
            "C002,2024-01-06,200,180,Beta,Beta Ltd\n")
    return "dup_headers.csv", text.encode()


def duplicate_rows() -> tuple[str, bytes]:
    """The same order exported three times, another twice."""
    text = (HEADER + GOOD + GOOD + "C002,2024-01-06,50,Other Co\n" + GOOD
            + "C002,2024-01-06,50,Other Co\n")
    return "dup_rows.csv", text.encode()


def mixed_encodings() -> tuple[str, bytes]:
    """A GBK export with rows pasted from a UTF-8 file, and one Latin-1 line (neither)."""
    gbk = "客户编号,下单日期,金额,客户名称\nK001,2024-01-05,100,华瑞科技\nK002,2024-01-06,200,东方物流\n"
    utf8 = "K003,2024-01-07,300,北京小米\nK004,2024-01-08,400,上海电气\n"
    latin = "K005,2024-01-09,500,Café Noir\n"
    return "mixed.csv", gbk.encode("gbk") + utf8.encode("utf-8") + latin.encode("latin-1")


FORMULAS = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", '=HYPERLINK("http://example.com","x")',
            "=cmd|' /C calc'!A0"]


def formula_text() -> tuple[str, bytes]:
    """Names that a spreadsheet would run as formulas."""
    rows = "".join(f'C{i:03d},2024-01-05,10,"{f.replace(chr(34), chr(34) * 2)}"\n'
                   for i, f in enumerate(FORMULAS))
    return "formulas.csv", (HEADER + rows).encode()


HTML_NAMES = ["<img src=x onerror=alert(1)>", "<script>alert('x')</script>",
              '"><svg onload=alert(1)>', "![p](http://127.0.0.1:9/pixel.png) [click](http://x)"]


def html_names() -> tuple[str, bytes]:
    """HTML, script and markdown in customer names."""
    rows = "".join(f'H{i:03d},2024-01-05,{100 * (i + 1)},"{n.replace(chr(34), chr(34) * 2)}"\n'
                   for i, n in enumerate(HTML_NAMES))
    return "html_names.csv", (HEADER + rows).encode()


def quotes_and_newlines() -> tuple[str, bytes]:
    """Names holding doubled quotes, a line break and an apostrophe; a bad row after them."""
    text = (HEADER
            + 'C001,2024-01-05,10,"He said ""hi"""\n'          # line 2
            + 'C002,2024-01-05,20,"Two\nlines, one name"\n'    # lines 3-4
            + "C003,2024-01-05,30,O'Brien & Sons\n"             # line 5
            + "C004,2024-01-05,lots,Bad Amount Ltd\n")          # line 6: rejected
    return "quotes.csv", text.encode()


def trimmed_id_collision() -> tuple[str, bytes]:
    """One customer written four ways: padded with spaces, a tab, full-width spaces."""
    text = ("customer_id,order_date,amount\n"
            "C001,2024-01-05,10\n"
            " C001,2024-01-06,20\n"
            "C001  ,2024-01-07,30\n"
            "\u3000C001\u3000,2024-01-08,40\n"
            "C002,2024-01-08,5\n")
    return "trimmed_ids.csv", text.encode()


def xlsx_sheets_merged() -> tuple[str, bytes]:
    """A workbook: a notes sheet first, then the orders under a merged title row, with the amount
    header merged across two columns (gross and net), then a customers sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["本文件由 ERP 导出"])
    notes.append(["导出时间：2024-02-01"])
    orders = wb.create_sheet("订单")
    orders.append(["2024年1月销售订单"])
    orders.merge_cells("A1:D1")
    orders.append(["客户编号", "下单日期", "金额（元）", None])
    orders.merge_cells("C2:D2")
    orders.append(["K001", "2024-01-05", 100, 88])
    orders.append(["K002", "2024-01-06", 200, 176])
    orders.append(["K003", "2024-01-07", "n/a", 0])
    customers = wb.create_sheet("客户")
    customers.append(["客户编号", "客户名称"])
    customers.append(["K001", "华瑞科技"])
    buf = io.BytesIO()
    wb.save(buf)
    return "erp_export.xlsx", buf.getvalue()


def too_large() -> tuple[str, bytes]:
    """A valid file of about 2 MB, refused under a small size limit (the tests set 1 MB)."""
    row = "C001,2024-01-05,100.00,Good Co\n"
    return "big.csv", (HEADER + row * (2_000_000 // len(row))).encode()


CASES = {f.__name__: f for f in (
    empty_file, header_only, binary_renamed, binary_noise, missing_columns, wrong_types,
    nothing_valid, bad_dates, huge_field, runaway_quote, wide_file, duplicate_headers,
    duplicate_rows, mixed_encodings, formula_text, html_names, quotes_and_newlines,
    trimmed_id_collision, xlsx_sheets_merged, too_large)}
