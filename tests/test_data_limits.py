"""Bounded work per upload: small hostile files (tests/bombs.py) are refused while they are read,
with a message naming the file, the limit and how to split it, in bounded memory.

Each bomb is read in a child process whose address space is capped (a regression fails the
test instead of taking the machine's memory) and which reports its own peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests import bombs
from valuation.data import limits
from valuation.data.files import IngestError
from valuation.data.ingest import read_table
from valuation.i18n.text import t

REPO = Path(__file__).resolve().parents[1]
CAP_BYTES = 4 << 30       # address space of the child: the old reader passed it on every bomb
PEAK_MB = 600             # generous: the child starts at ~110 MB, a refused bomb stays under ~200
CHILD = r"""
import json, sys
from valuation.data.files import IngestError
from valuation.data.ingest import read_table, sniff
path, how = sys.argv[1], sys.argv[2]
try:
    result = (sniff if how == "sniff" else read_table)(path)
    out = {"code": None, "rows": None if how == "sniff" else result.rows_loaded}
except IngestError as exc:
    out = {"code": exc.code, "message": str(exc), "params": {k: str(v) for k, v in exc.params.items()}}
# VmHWM: this process's own peak (ru_maxrss would include the test runner it was forked from).
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out["peak_mb"] = int(peak.split()[1]) / 1024
print(json.dumps(out))
"""


def read_in_child(path: Path, how: str = "read", env: dict | None = None) -> dict:
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))

    environment = {k: v for k, v in os.environ.items() if not k.startswith("VALUATION_MAX_")}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), how], cwd=REPO, preexec_fn=cap,
                          env={**environment, **(env or {})}, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bomb_file(tmp_path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    assert path.stat().st_size < 5_000_000  # small on disk: far under the 200 MB upload limit
    return path


def refused(out: dict, code: str, *words: str) -> str:
    assert out["code"] == code, out
    message = out["message"]
    for word in words:
        assert word in message, (word, message)
    assert "Traceback" not in message
    assert out["peak_mb"] < PEAK_MB, out["peak_mb"]
    return message


# ---------------------------------------------------------------------------- workbooks


def test_one_value_in_cell_xfd1048576_is_refused_naming_the_cell_and_the_limit(tmp_path):
    path = bomb_file(tmp_path, "far.xlsx", bombs.xlsx_far_cell())
    message = refused(read_in_child(path), "sheet_too_many_cells",
                      "far.xlsx", "Sheet “Orders”", "XFD1048576", "1,048,576 rows × 16,384 columns",
                      "50,000,000 cells", "split the table into files of fewer rows")
    assert "VALUATION_MAX_CELLS" in message


def test_values_far_apart_down_and_across_the_sheet_are_refused_at_the_first_far_one(tmp_path):
    path = bomb_file(tmp_path, "apart.xlsx", bombs.xlsx_rows_far_apart())
    refused(read_in_child(path), "sheet_too_many_cells", "apart.xlsx", "XFD100000", "100,000 rows × 16,384")


def test_a_declared_dimension_of_the_whole_sheet_reads_only_the_rows_there_are(tmp_path):
    rows = bombs.ORDERS_ROWS + "".join(bombs._row((f"C{i}", "2024-01-05", i)) for i in range(20_000))
    path = bomb_file(tmp_path, "claims.xlsx", bombs.workbook([("Orders", bombs.sheet_xml(rows, "A1:XFD1048576"))]))
    out = read_in_child(path)
    assert out["code"] is None and out["rows"] == 20_002
    assert out["peak_mb"] < PEAK_MB, out["peak_mb"]  # the old reader padded each row to 16,384 cells


def test_a_sheet_of_millions_of_rows_stops_at_the_row_limit(tmp_path):
    path = bomb_file(tmp_path, "rows.xlsx", bombs.xlsx_rows_bomb(8_000_000))
    out = read_in_child(path, env={"VALUATION_MAX_ROWS": "100000"})
    refused(out, "sheet_too_many_rows", "Sheet “Orders” of rows.xlsx", "more than 100,000 rows",
            "Split the table into files of at most 100,000 rows", "VALUATION_MAX_ROWS")


def test_a_part_that_inflates_to_3_gb_is_refused_from_the_zip_directory(tmp_path):
    path = bomb_file(tmp_path, "zip.xlsx", bombs.xlsx_zip_bomb(3000))
    for how in ("read", "sniff"):  # the Data page sniffs first
        refused(read_in_child(path, how), "too_much_decompressed", "zip.xlsx", "more than 2,000 MB",
                "xl/worksheets/sheet1.xml", "VALUATION_MAX_DECOMPRESSED_MB")


def test_a_shared_string_table_bigger_than_its_sheets_can_use_is_refused(tmp_path):
    path = bomb_file(tmp_path, "strings.xlsx", bombs.xlsx_shared_strings_bomb(40_000_000))
    for how in ("read", "sniff"):
        refused(read_in_child(path, how), "too_many_strings", "strings.xlsx", "different texts")


def test_a_million_cell_formats_are_refused_before_the_excel_reader_builds_them(tmp_path):
    path = bomb_file(tmp_path, "styles.xlsx", bombs.xlsx_styles_bomb(1_200_000))
    refused(read_in_child(path), "not_a_table", "styles.xlsx", "xl/styles.xml", "1,000,000 XML tags")


def test_parts_compressed_in_a_way_excel_never_uses_are_not_opened():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as z:
        z.writestr("xl/workbook.xml", "<workbook/>" * 10)
    with pytest.raises(IngestError) as err:
        read_table(buffer.getvalue(), name="bz.xlsx")
    assert err.value.code == "not_a_table" and "xl/workbook.xml" in str(err.value)


# ---------------------------------------------------------------------------- Parquet


def test_forty_million_repeated_parquet_rows_are_refused_from_the_footer(tmp_path):
    path = bomb_file(tmp_path, "rows.parquet", bombs.parquet_rows_bomb(40_000_000))
    refused(read_in_child(path), "too_many_rows", "rows.parquet", "more than 5,000,000 rows",
            "Split it into files of at most 5,000,000 rows", "VALUATION_MAX_ROWS")


def test_a_parquet_dictionary_that_decodes_to_gigabytes_is_refused_before_decoding(tmp_path):
    path = bomb_file(tmp_path, "dict.parquet", bombs.parquet_dictionary_bomb(200, 16))
    refused(read_in_child(path), "too_much_decompressed", "dict.parquet", "more than 2,000 MB",
            "the text of its values")


def test_parquet_pages_declaring_more_than_the_limit_are_refused_unread(tmp_path):
    path = bomb_file(tmp_path, "wide.parquet", bombs.parquet_wide_values(8, 32))
    refused(read_in_child(path, env={"VALUATION_MAX_DECOMPRESSED_MB": "100"}), "too_much_decompressed",
            "wide.parquet", "more than 100 MB", "column customer_id")


# ---------------------------------------------------------------------------- text files


def test_a_text_file_over_the_row_limit_is_refused_and_quoted_line_breaks_are_not_rows(monkeypatch):
    monkeypatch.setenv("VALUATION_MAX_ROWS", "1000")
    lines = "".join(f"C{i},2024-01-05,{i}\n" for i in range(1500))
    with pytest.raises(IngestError) as err:
        read_table(("customer_id,order_date,amount\n" + lines).encode(), name="many.csv")
    assert err.value.code == "too_many_rows" and "many.csv has more than 1,000 rows" in str(err.value)
    # 900 records over 2,700 lines: the line count passes the limit, the records do not.
    notes = "".join(f'C{i},2024-01-05,{i},"two\nline\nnote"\n' for i in range(900))
    result = read_table(("customer_id,order_date,amount,note\n" + notes).encode(), name="notes.csv")
    assert result.rows_loaded == 900


def test_a_text_file_over_the_cell_limit_names_its_rows_and_columns(monkeypatch):
    monkeypatch.setenv("VALUATION_MAX_CELLS", "10000")
    header = "customer_id,order_date,amount," + ",".join(f"x{i}" for i in range(47))
    body = "".join(f"C{i},2024-01-05,{i}" + "," * 47 + "\n" for i in range(300))
    with pytest.raises(IngestError) as err:
        read_table((header + "\n" + body).encode(), name="wide.csv")
    assert err.value.code == "too_many_cells"
    assert "wide.csv would be a table of 301 rows × 50 columns = 15,050 cells" in str(err.value)


# ---------------------------------------------------------------------------- the limits themselves


def test_limits_come_from_the_environment_and_fall_back_to_the_defaults(monkeypatch):
    assert limits.Limits.from_env() == limits.Limits(5_000_000, 50_000_000, 2_000_000_000)
    monkeypatch.setenv("VALUATION_MAX_ROWS", "10")
    monkeypatch.setenv("VALUATION_MAX_CELLS", "not a number")
    monkeypatch.setenv("VALUATION_MAX_DECOMPRESSED_MB", "0.5")
    assert limits.Limits.from_env() == limits.Limits(10, limits.MAX_CELLS, 500_000)


@pytest.mark.parametrize("error", [
    limits.too_many_rows("a.csv", 5_000_000), limits.too_many_rows("a.xlsx", 5_000_000, "订单"),
    limits.too_many_cells("a.csv", 10, 20, 100), limits.too_many_cells("a.xlsx", 10, 20, 100, "S", "T10"),
    limits.too_many_strings("a.xlsx", 7), limits.too_much_decompressed("a.xlsx", "xl/x.xml", 3e9, 2e9),
])
def test_every_refusal_reads_the_same_in_english_from_the_table_and_has_a_chinese_text(error):
    assert t(f"err.{error.code}", "en", **error.params) == str(error)
    chinese = t(f"err.{error.code}", "zh", **error.params)
    assert chinese != f"err.{error.code}" and "{" not in chinese and error.params["file"] in chinese
