"""Reading files into text columns: old Mac line ends, hidden sheets, and the streamed workbook reader
giving the values openpyxl gives."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from tests import bombs
from valuation.data.files import IngestError
from valuation.data.ingest import read_table, sniff
from valuation.data.limits import Limits
from valuation.data.workbook import cell_text, open_workbook, read_sheet

# ---------------------------------------------------------------------------- old Mac line ends


@pytest.mark.parametrize("title", ["", "Orders export 2024\r\r"], ids=["no title", "title above the header"])
def test_an_old_mac_file_keeps_every_row_when_a_quoted_cell_holds_a_line_break(title):
    # Excel for Mac ends rows with CR and writes a line break inside a cell as LF.
    text = (title + 'customer_id,order_date,amount,note\r'
            'C1,2024-01-05,100,"two\nlines"\r'
            'C2,2024-01-06,abc,x\r'
            'C3,2024-01-07,300,y\r')
    result = read_table(text.encode(), name="mac.csv")
    assert result.rows_read == 3 and result.rows_loaded == 2
    assert result.tables["orders"]["customer_id"].tolist() == ["C1", "C3"]
    offset = 2 if title else 0
    assert result.rejects["line"].tolist() == [4 + offset]  # C2: header 1, C1 on lines 2-3


# ---------------------------------------------------------------------------- hidden sheets


def hidden_first(state: str = "hidden") -> bytes:
    book = bombs.workbook([("Lookup", bombs.sheet_xml(bombs._row(("code", "label"), 1) + bombs._row(("a", "b"), 2))),
                           ("Orders", bombs.sheet_xml(bombs.ORDERS_ROWS))], hidden=("Lookup",))
    return book if state == "hidden" else book.replace(b'state="hidden"', b'state="veryHidden"')


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_is_skipped_for_the_first_visible_one_and_the_notes_say_so(state):
    result = read_table(hidden_first(state), name="book.xlsx")
    assert result.tables["orders"]["customer_id"].tolist() == ["C1", "C2"]
    note = "Hidden sheet(s) Lookup of book.xlsx skipped: read “Orders”, the first visible sheet."
    assert any(w.startswith(note) for w in result.warnings)
    assert [n.key for n in result.notes if n.key == "note.hidden_sheet_skipped"]
    assert any("隐藏工作表 Lookup 已跳过" in m for m in result.messages("zh"))
    preview = sniff(hidden_first(state), name="book.xlsx")
    assert preview["sheet"] == "Orders" and preview["sheets"] == ["Lookup", "Orders"]
    assert preview["headers"] == ["customer_id", "order_date", "amount"]
    # Chosen by name, a hidden sheet is read (here: it is not an orders table).
    with pytest.raises(IngestError) as err:
        read_table(hidden_first(state), name="book.xlsx", sheet="Lookup")
    assert err.value.code == "missing_columns" and "This is sheet 'Lookup'" in str(err.value)
    # When every sheet is hidden, the first is read.
    all_hidden = bombs.workbook([("Orders", bombs.sheet_xml(bombs.ORDERS_ROWS))], hidden=("Orders",))
    result = read_table(all_hidden, name="all.xlsx")
    assert result.rows_loaded == 2 and not any("Hidden" in w for w in result.warnings)


# ---------------------------------------------------------------------------- the streamed reader


def test_the_streamed_reader_gives_the_values_openpyxl_gives():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "date", "when", "amount", "int", "flag", "rich", "formula", "empty", "error"])
    rich = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    ws.append(["007", dt.date(2024, 1, 5), dt.datetime(2024, 1, 5, 13, 30), 1234.5, 42, True, rich,
               "=1+1", None, "#N/A"])
    ws.append(["x", 45292, dt.time(8, 15), 1e20, -3, False, "  spaced ", "text", "", "=NA()"])
    ws["L7"] = "far right, further down"
    ws["B5"] = dt.timedelta(hours=30)
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()

    theirs = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    expected = [[cell_text(v) for v in row] for row in theirs.iter_rows(values_only=True)]
    ours = open_workbook(data, "values.xlsx")
    columns = read_sheet(ours.worksheets[0], "values.xlsx", Limits())
    ours.close()
    got = [list(r) for r in zip(*(c.to_pylist() for c in columns))]
    width = len(columns)
    assert got == [(r + [""] * width)[:width] for r in expected]
