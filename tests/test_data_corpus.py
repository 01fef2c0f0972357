"""The bad-input corpus (tests/corpus.py): each hostile file gets its documented outcome.

Library (``ingest.read_table``), command line (``python -m valuation ingest``: exit 2 and a
message naming the file, or a load) and, for a few, the Data page (no exception; an error or a
report shown). The outcomes are listed in docs/reliability.md.
"""

from __future__ import annotations

import functools
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests import corpus
from valuation.cli import main as cli
from valuation.data.files import IngestError
from valuation.data.ingest import check_loadable, read_table
from valuation.data.store import Store, ensure_sample
from valuation.present import exports

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")

# Files refused as a whole: case -> (code, words the message must hold besides the file name).
REFUSED = {
    "empty_file": ("empty_file", ["empty"]),
    "header_only": ("header_only", ["line 1", "no data rows"]),
    "binary_renamed": ("not_a_table", ["PNG image"]),
    "binary_noise": ("not_a_table", ["binary data"]),
    "missing_columns": ("missing_columns", ["amount", "客户编号, 下单日期, 备注"]),
    "xlsx_sheets_merged": ("missing_columns", ["sheet '说明'", "订单, 客户"]),  # first sheet: notes
    "too_large": ("too_large", ["2.0 MB", "1.0 MB"]),
}

# Files loaded with a report: case -> (rows read, rows loaded, [(line, column, reason_code)],
# words some warning must hold, or None).
LOADED = {
    "wrong_types": (7, 2, [(3, "customer_id", "missing_value"), (4, "order_date", "bad_date"),
                           (5, "amount", "bad_amount"), (6, "cost", "bad_amount"),
                           (7, "quantity", "bad_number")], None),
    "bad_dates": (13, 7, [(9, "order_date", "impossible_date"), (10, "order_date", "impossible_date"),
                          (11, "order_date", "date_out_of_range"), (12, "order_date", "two_digit_year"),
                          (13, "order_date", "impossible_date"), (14, "order_date", "bad_date")],
                  "Excel serial"),
    "huge_field": (3, 2, [(3, "name", "value_too_long")], None),
    "runaway_quote": (2, 1, [(3, "name", "value_too_long")], None),
    "wide_file": (50, 50, [], None),
    "duplicate_headers": (2, 2, [], "'amount' appears 2 times (columns 3, 4)"),
    "duplicate_rows": (5, 5, [], "3 row(s) repeat an earlier row exactly (lines 3, 5, 6)"),
    "mixed_encodings": (5, 4, [(6, "客户名称", "bad_encoding")], "2 line(s) are UTF-8 (lines 4, 5)"),
    "formula_text": (6, 6, [], None),
    "html_names": (4, 4, [], None),
    "quotes_and_newlines": (4, 3, [(6, "amount", "bad_amount")], None),
    "trimmed_id_collision": (5, 5, [], "with and without surrounding spaces (e.g. 'C001')"),
}


def read(case: str, **kwargs):
    if not kwargs:
        return _read_once(case)
    name, data = corpus.CASES[case]()
    return name, read_table(data, name=name, **kwargs)


@functools.lru_cache(maxsize=None)
def _read_once(case: str):
    name, data = corpus.CASES[case]()
    return name, read_table(data, name=name, max_mb=1 if case == "too_large" else None)


def test_every_case_has_a_documented_outcome():
    documented = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert set(REFUSED) | set(LOADED) | {"nothing_valid"} == set(corpus.CASES)
    for case in corpus.CASES:
        assert f"`{case}`" in documented, f"{case} is not in docs/reliability.md"


# ============================================================================ library

@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unusable_files_are_refused_with_a_message_naming_the_file(case):
    code, words = REFUSED[case]
    name = corpus.CASES[case]()[0]
    with pytest.raises(IngestError) as err:
        read(case)
    assert err.value.code == code
    message = str(err.value)
    assert name in message and "Traceback" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("case", sorted(LOADED))
def test_damaged_rows_are_rejected_by_line_and_column_and_the_rest_loads(case):
    rows_read, rows_loaded, problems, warning = LOADED[case]
    _, result = read(case)
    assert (result.rows_read, result.rows_loaded) == (rows_read, rows_loaded)
    assert result.rows_read == result.rows_loaded + result.rows_rejected  # nothing dropped silently
    got = list(zip(result.rejects["line"], result.rejects["column"], result.rejects["reason_code"]))
    assert got == problems
    assert result.rejects["reason"].str.len().gt(0).all()
    if warning:
        assert any(warning in w for w in result.warnings), result.warnings
    check_loadable(result)


def test_a_file_with_no_valid_row_is_reported_not_stored():
    _, result = read("nothing_valid")
    assert result.rows_loaded == 0 and result.rows_rejected == 2
    assert set(result.rejects["column"]) == {"customer_id", "order_date", "amount"}
    with pytest.raises(IngestError) as err:
        check_loadable(result)
    assert err.value.code == "no_rows_loaded"
    assert "nothing_valid.csv" in str(err.value) and "line 2, column customer_id" in str(err.value)


def test_a_50_mb_cell_is_rejected_without_blowing_up_memory():
    # A separate process, so the peak is this read's alone (ru_maxrss only grows).
    code = ("import resource, sys; sys.path.insert(0, '.'); from tests import corpus; "
            "from valuation.data.ingest import read_table; name, data = corpus.huge_field(); "
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
            "r = read_table(data, name=name); "
            "print(r.rows_loaded, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    loaded, grew_mb = map(int, out.stdout.split())
    assert loaded == 2
    assert grew_mb < 8 * corpus.HUGE_CHARS / 1e6, f"reading a 50 MB cell took {grew_mb} MB more"


def test_a_wide_file_lists_its_unused_columns():
    _, result = read("wide_file")
    assert len(result.unmapped) == corpus.WIDE_COLUMNS - 3
    assert list(result.tables["orders"].columns) == ["customer_id", "order_date", "amount"]


def test_duplicate_headers_use_the_first_and_the_second_can_be_mapped():
    _, first = read("duplicate_headers")
    assert first.tables["orders"]["amount"].tolist() == [100.0, 200.0]
    assert first.tables["customers"]["name"].tolist() == ["Alpha", "Beta"]
    assert first.unmapped == ["amount #2", "name #2"]
    _, second = read("duplicate_headers", mapping={"amount": "amount #2"})
    assert second.tables["orders"]["amount"].tolist() == [90.0, 180.0]


def test_mixed_encodings_read_each_line_in_its_own_encoding():
    _, result = read("mixed_encodings")
    assert result.encoding == "utf-8+gb18030"
    assert result.tables["customers"]["name"].tolist() == ["华瑞科技", "东方物流", "北京小米", "上海电气"]


def test_quotes_and_line_breaks_inside_names_survive():
    _, result = read("quotes_and_newlines")
    assert result.tables["customers"]["name"].tolist() == ['He said "hi"', "Two\nlines, one name",
                                                           "O'Brien & Sons"]


def test_ids_padded_with_spaces_are_one_customer():
    _, result = read("trimmed_id_collision")
    assert result.tables["orders"]["customer_id"].tolist() == ["C001"] * 4 + ["C002"]


def test_hostile_text_is_loaded_as_it_is_and_neutralised_in_every_export():
    _, result = read("formula_text")
    names = result.tables["customers"]["name"]
    assert names.tolist() == corpus.FORMULAS  # the data is kept exactly
    text = exports.csv_bytes(result.tables["customers"]).decode("utf-8-sig")
    parsed = pd.read_csv(io.StringIO(text), dtype=str)
    assert all(v.startswith("'") for v in parsed["name"])
    book = openpyxl.load_workbook(io.BytesIO(exports.excel_bytes({"c": result.tables["customers"]})))
    cells = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, str) and v.startswith("'") for v in cells)
    streamed = openpyxl.load_workbook(io.BytesIO(exports.frames_workbook({"c": result.tables["customers"]})))
    assert all(v.startswith("'") for v in [r[1] for r in streamed.active.iter_rows(min_row=2, values_only=True)])


def test_formula_like_headers_and_category_columns_are_neutralised_too():
    # A custom metric is named after a column of the customers file: its header is user text.
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": [1.0], "tier": pd.Categorical(["=1+1"]), "n": [-5]})
    text = exports.csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("'=cmd")
    assert text.splitlines()[1] == "1.0,'=1+1,-5"


def test_xlsx_reads_the_chosen_sheet_below_its_merged_title():
    name, data = corpus.xlsx_sheets_merged()
    result = read_table(data, name=name, sheet="订单")
    assert result.tables["orders"]["amount"].tolist() == [100.0, 200.0]
    assert result.mapping["amount"] == "金额（元）"
    assert result.unmapped == ["(column 4)"]  # the second cell of the merged header
    assert any("sheet row 2" in w for w in result.warnings)
    assert list(zip(result.rejects["line"], result.rejects["reason_code"])) == [(5, "missing_value")]
    assert read_table(data, name=name, sheet="1").rows_loaded == 2  # by number, as the CLI passes it
    with pytest.raises(IngestError) as err:
        read_table(data, name=name, sheet="Q3")
    assert err.value.code == "bad_sheet" and "说明, 订单, 客户" in str(err.value)


def test_the_size_limit_comes_from_the_environment(monkeypatch, tmp_path):
    name, data = corpus.too_large()
    path = tmp_path / name
    path.write_bytes(data)
    monkeypatch.setenv("VALUATION_MAX_FILE_MB", "1")
    with pytest.raises(IngestError) as err:
        read_table(path)  # refused from its size, before it is read
    assert err.value.code == "too_large"
    monkeypatch.setenv("VALUATION_MAX_FILE_MB", "5")
    assert read_table(path).rows_loaded > 0


# ============================================================================ command line

def run_cli(capsys, tmp_path, case, *extra):
    name, data = corpus.CASES[case]()
    path = tmp_path / name
    path.write_bytes(data)
    code = cli.main(["ingest", str(path), "--db", str(tmp_path / "cli.duckdb"), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err, name


@pytest.mark.parametrize("case", sorted(set(REFUSED) | {"nothing_valid"}))
def test_cli_exits_2_with_the_message_for_every_unusable_file(capsys, tmp_path, monkeypatch, case):
    monkeypatch.setenv("VALUATION_MAX_FILE_MB", "1")
    code, out, err, name = run_cli(capsys, tmp_path, case, "--rejects", str(tmp_path / "rejects.csv"))
    assert code == 2
    assert err.startswith("error: ") and name in err and "Traceback" not in err
    assert not (tmp_path / "cli.duckdb").exists()  # nothing opened, nothing stored
    if case == "nothing_valid":  # the report is written before the refusal
        # Line 2: three problems; line 3 (合计): one, it is a totals line, not a bad date and amount.
        assert len(pd.read_csv(tmp_path / "rejects.csv")) == 4


@pytest.mark.parametrize("case", sorted(LOADED))
def test_cli_loads_damaged_files_and_writes_the_rejects(capsys, tmp_path, case):
    code, out, err, name = run_cli(capsys, tmp_path, case, "--json", "--rejects",
                                   str(tmp_path / "rejects.csv"), "--dataset", "corpus")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["rows_loaded"] == LOADED[case][1]
    rejects = pd.read_csv(tmp_path / "rejects.csv", dtype={"column": str})
    assert len(rejects) == len(LOADED[case][2])
    store = Store(tmp_path / "cli.duckdb", read_only=True)
    try:
        assert len(store.read("corpus", "orders")) == LOADED[case][1]
    finally:
        store.close()


def test_cli_reads_another_sheet(capsys, tmp_path):
    code, out, err, _ = run_cli(capsys, tmp_path, "xlsx_sheets_merged", "--sheet", "订单", "--json")
    assert code == 0 and json.loads(out)["rows_loaded"] == 2


@pytest.mark.parametrize("case", ["binary_renamed", "nothing_valid"])
def test_python_dash_m_valuation_ingest_exits_2_as_a_process(tmp_path, case):
    name, data = corpus.CASES[case]()
    (tmp_path / name).write_bytes(data)
    proc = subprocess.run([sys.executable, "-m", "valuation", "ingest", name, "--db", "x.duckdb"],
                          cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and name in proc.stderr
    assert "Traceback" not in proc.stderr


# ============================================================================ the Data page

@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus_app") / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.close()
    return path


@pytest.fixture
def data_page(db_path, monkeypatch):
    monkeypatch.setenv("VALUATION_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception
    return at


def upload(at, case):
    name, data = corpus.CASES[case]()
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    return name


@pytest.mark.parametrize("case, words", [("binary_renamed", "not a table"), ("nothing_valid", "None of the 2"),
                                         ("missing_columns", "amount")])
def test_data_page_shows_an_error_for_unusable_files(data_page, case, words):
    name = upload(data_page, case)
    errors = " ".join(e.value for e in data_page.error)
    assert name.replace("_", "\\_") in errors and words in errors
    assert not [b for b in data_page.button if b.key in ("use_session", "save_dataset")]


def test_data_page_reports_rejects_and_warnings_of_a_damaged_file(data_page):
    upload(data_page, "mixed_encodings")
    assert "5 rows read, 4 loaded, 1 rejected" in " ".join(m.value for m in data_page.markdown)
    warnings = " ".join(w.value for w in data_page.warning)
    assert "mixes encodings" in warnings and "neither UTF-8 nor GB18030" in warnings
    assert data_page.dataframe[-1].value.iloc[0]["line"] == 6


def test_data_page_shows_duplicate_headers_without_failing(data_page):
    upload(data_page, "duplicate_headers")
    assert "amount #2" in data_page.dataframe[-1].value.columns or \
        any("amount #2" in list(d.value.columns) for d in data_page.dataframe)
    assert any("appears 2 times" in w.value for w in data_page.warning)


def test_data_page_offers_the_sheets_of_a_workbook(data_page):
    name = upload(data_page, "xlsx_sheets_merged")
    assert "erp\\_export.xlsx lacks" in " ".join(e.value for e in data_page.error)  # the notes sheet
    picker = data_page.selectbox(key=f"sheet::{name}")
    assert picker.options == ["说明", "订单", "客户"]
    picker.set_value("订单").run()
    assert not data_page.exception
    assert "3 rows read, 2 loaded, 1 rejected" in " ".join(m.value for m in data_page.markdown)


def test_data_page_refuses_a_file_over_the_size_limit(data_page, monkeypatch):
    monkeypatch.setenv("VALUATION_MAX_FILE_MB", "1")
    upload(data_page, "too_large")
    errors = " ".join(e.value for e in data_page.error)
    assert "big.csv" in errors and "over the 1.0 MB limit" in errors


def _text_cells(blob: bytes, kind: str) -> set[str]:
    import csv

    if kind == "csv":
        return {c for row in csv.reader(io.StringIO(blob.decode("utf-8-sig"))) for c in row}
    book = openpyxl.load_workbook(io.BytesIO(blob))
    return {v for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
            if isinstance(v, str)}


def test_every_export_neutralises_formula_like_names(tmp_path):
    from valuation.analysis import actions
    from valuation.model import pipeline

    _, result = read("formula_text")
    store = Store(":memory:")
    store.replace_dataset("f", result.tables, source="formulas.csv")
    scored = pipeline.run(store, "f")
    lists = {k: scored[["customer_id", "name", "tier", "clv"]] for k in actions.LISTS}
    exports.write_lists(lists, tmp_path / "lists")
    exports.write_lists(lists, tmp_path / "lists.xlsx")
    outputs = {
        "csv": exports.csv_bytes(pipeline.output_frame(scored)),
        "csv labelled": exports.csv_bytes(exports.labelled(pipeline.output_frame(scored), "zh")),
        "scored workbook": exports.scored_workbook(scored, "en"),
        "frames workbook": exports.frames_workbook({"at risk": exports.labelled(scored, "en")}),
        "action list csv": (tmp_path / "lists" / "at_risk.csv").read_bytes(),
        "action list workbook": (tmp_path / "lists.xlsx").read_bytes(),
    }
    assert cli.main(["score", str(tmp_path / "f.csv"), "--out", str(tmp_path / "s.xlsx")]) == 2  # no file
    (tmp_path / "f.csv").write_bytes(corpus.formula_text()[1])
    for out in ("s.csv", "s.xlsx"):
        assert cli.main(["score", str(tmp_path / "f.csv"), "--out", str(tmp_path / out)]) == 0
        outputs[f"cli {out}"] = (tmp_path / out).read_bytes()
    for what, blob in outputs.items():
        cells = _text_cells(blob, "xlsx" if blob[:2] == b"PK" else "csv")
        for formula in corpus.FORMULAS:
            assert formula not in cells, f"{what}: {formula!r} would run as a formula"
            assert "'" + formula in cells, f"{what}: {formula!r} is missing"


def test_chart_labels_show_names_as_text_not_plotly_markup():
    from valuation.present import charts

    name = '<a href="http://example.com">x</a><span style="font-size:90px">&</span>'
    fig = charts.radar(pd.Series({"current": 80.0, "future": 60.0}), pd.Series({"current": 50.0, "future": 50.0}),
                       "en", name)
    title = fig.layout.title.text
    assert "<a " not in title and "<span" not in title
    assert "&lt;a href=" in title and "&amp;" in title
    assert all("<a " not in (tr.name or "") for tr in fig.data)


def test_a_short_gbk_line_that_is_also_valid_utf8_stays_gbk():
    # "司" in GBK is CB BE, which is also valid UTF-8 (U+02FE): not a reason to call the file mixed.
    gbk = "客户编号,下单日期,金额,客户名称\nK1,2024-01-01,5,华瑞科技\nK2,2024-01-02,6,司\n".encode("gbk")
    result = read_table(gbk, name="g.csv")
    assert result.encoding == "gb18030" and result.tables["customers"]["name"].tolist() == ["华瑞科技", "司"]
    pasted = gbk + "K3,2024-01-03,7,Café Noir\n".encode("utf-8")
    result = read_table(pasted, name="g.csv")
    assert result.encoding == "utf-8+gb18030"
    assert result.tables["customers"]["name"].tolist() == ["华瑞科技", "司", "Café Noir"]
