"""Excel workbooks read within the limits: parts checked before opening, the sheet streamed cell by cell, nothing padded."""

from __future__ import annotations

import datetime as _dt
import io
from array import array
from collections.abc import Iterator

import pyarrow as pa

from valuation.data.files import IngestError, Note, _not_a_table
from valuation.data.limits import Limits, TableBudget, check_workbook, too_many_strings

# Rows are gathered as Python lists and turned into Arrow columns in chunks of about this many
# cells: a Python string per cell costs ~60 bytes, an Arrow text cell 8 plus its characters.
_CHUNK_CELLS = 1 << 20
_CHUNK_ROWS = 1 << 16
_BLANK: list[str] = []  # a row absent from the XML (shared, never changed)


def cell_text(v) -> str:
    """One cell value as the text a CSV export of it would hold."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, _dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, float):
        # Whole numbers stored as floats (ids, serial dates) must not grow a ".0".
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(v)


# ---------------------------------------------------------------------------- streaming XML

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT, _PHONETIC, _ENTRY = (
    _MAIN + tag for tag in ("row", "c", "v", "is", "t", "rPh", "si"))
_FEED_BYTES = 1 << 20
# Excel's own bounds: a row or column past them is a damaged or hostile file, not a table.
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
# Excel keeps at most 32,767 characters in a cell, and a longer value rejects its row
# (files.MAX_FIELD_CHARS): text beyond this is not kept, the row is rejected all the same.
_KEEP_CHARS = 32_768


def _parse(src, target) -> Iterator:
    """Feed a zip part to an XML parser calling ``target`` for each element, a megabyte at a time.

    No element tree is built: what ``target`` keeps is all the memory the part costs. After each
    megabyte the items ``target`` finished (``target.ready``) are handed out.
    """
    from xml.etree.ElementTree import XMLParser

    parser = XMLParser(target=target)
    while chunk := src.read(_FEED_BYTES):
        parser.feed(chunk)
        if target.ready:
            yield from target.ready
            target.ready = []
    parser.close()
    yield from target.ready
    target.ready = []


class _Text:
    """The text of ``<t>`` elements (rich-text runs joined, phonetic guides left out), capped."""

    def __init__(self):
        self.parts, self.size, self.on, self.phonetic = [], 0, False, 0

    def start(self, tag) -> None:
        if tag == _TEXT and not self.phonetic:
            self.on = True
        elif tag == _PHONETIC:
            self.phonetic += 1

    def end(self, tag) -> None:
        if tag == _TEXT:
            self.on = False
        elif tag == _PHONETIC:
            self.phonetic -= 1

    def data(self, text: str) -> None:
        if self.on and self.size <= _KEEP_CHARS:
            self.parts.append(text)
            self.size += len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts, self.size = [], 0
        return text


class SharedStrings:
    """A workbook's shared strings as one UTF-8 buffer and their end offsets.

    openpyxl keeps a Python string and a cleared XML element per entry (~150 bytes each): a
    table of forty million two-letter strings, 1.9 MB on disk, took 6 GB. Here an entry costs
    8 bytes beyond its text, and a string is made when a cell asks for it.
    """

    def __init__(self):
        self._text = bytearray()
        self._ends = array("q")

    def append(self, text: str) -> None:
        self._text += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._text))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> str:
        i = int(i)
        if i < 0:
            raise IndexError(i)
        start = self._ends[i - 1] if i else 0
        return self._text[start:self._ends[i]].decode("utf-8", "surrogatepass")


class _StringsTarget:
    def __init__(self, strings: SharedStrings, name: str, limit: int):
        self.strings, self.name, self.limit = strings, name, limit
        self.text, self.ready = _Text(), []

    def start(self, tag, attrib) -> None:
        self.text.start(tag)

    def data(self, text: str) -> None:
        self.text.data(text)

    def end(self, tag) -> None:
        if tag == _ENTRY:
            self.strings.append(self.text.take().replace("x005F_", ""))  # as openpyxl reads them
            if len(self.strings) > self.limit:
                raise too_many_strings(self.name, self.limit)
        else:
            self.text.end(tag)

    def close(self) -> None:
        return None


def _read_shared_strings(src, name: str, limit: int) -> SharedStrings:
    """The shared-string part, streamed; refused (``too_many_strings``) past ``limit`` strings."""
    strings = SharedStrings()
    for _ in _parse(src, _StringsTarget(strings, name, limit)):
        pass
    return strings


def _reader(data: bytes, name: str, strings_limit: int):
    """openpyxl's read-only workbook reader, its shared strings read by :func:`_read_shared_strings`."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import SHARED_STRINGS

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self):
            # openpyxl looks for the declared dimension when a sheet is opened, parsing a sheet
            # without one to its end (and holding every row): unused here, so never looked for.
            return None

    class Reader(ExcelReader):
        def read_strings(self):
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as src:
                    self.shared_strings = _read_shared_strings(src, name, strings_limit)

        def read_worksheets(self):  # ExcelReader.read_worksheets' read-only branch, with Sheet
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(sheet, rel)
                    continue
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    return Reader(io.BytesIO(data), read_only=True, data_only=True)


def open_workbook(data: bytes, name: str, limits: Limits | None = None):
    """The workbook in read-only mode, after its zip directory passed :func:`limits.check_workbook`."""
    limits = limits or Limits.from_env()
    sheet_bytes = check_workbook(data, name, limits)
    # Every shared string is the text of a cell, and a cell takes at least 21 bytes of sheet XML
    # (<c t="s"><v>0</v></c>); some slack for strings a tool left unused.
    strings = min(limits.cells, sheet_bytes // 21 + 100_000)
    try:
        reader = _reader(data, name, strings)
        reader.read()
    except IngestError:
        raise
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
        raise _not_a_table(name, "a zip archive that is not an Excel .xlsx workbook") from None
    return reader.wb


def default_sheet(wb):
    """The sheet read when none is chosen: the first visible one (the first of all if none is)."""
    sheets = wb.worksheets
    return next((ws for ws in sheets if ws.sheet_state == "visible"), sheets[0] if sheets else None)


def pick_sheet(wb, sheet, name: str):
    """The worksheet to read, and a :class:`Note` naming the hidden sheets skipped before it (or None)."""
    names = wb.sheetnames
    if sheet is None:
        ws = default_sheet(wb)
        if ws is None:
            raise IngestError("empty_file", f"{name} is empty: the workbook has no worksheet.", file=name)
        hidden = [s.title for s in wb.worksheets[:wb.worksheets.index(ws)]]
        if not hidden:
            return ws, None
        return ws, Note("note.hidden_sheet_skipped", {"file": name, "hidden": ", ".join(hidden),
                                                      "sheet": ws.title})
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return wb.worksheets[sheet], None
    if isinstance(sheet, str) and sheet in names:
        return wb[sheet], None
    if isinstance(sheet, str) and sheet.isdigit() and int(sheet) < len(names):
        return wb.worksheets[int(sheet)], None  # "1" from a command line: a number unless a sheet's name
    raise IngestError("bad_sheet", f"{name} has no sheet {sheet!r}. Sheets: {', '.join(names)}.",
                      file=name, sheet=sheet, sheets=list(names))


# ---------------------------------------------------------------------------- streaming a sheet


class _SheetTarget:
    """XML parser target for a worksheet: each row's values, by column, as the row ends.

    Values are those openpyxl's read-only cells give with ``data_only=True`` (shared strings,
    numbers, dates by number format, booleans, error codes, cached formula results).
    """

    def __init__(self, wb, strings, name: str):
        from openpyxl.utils.cell import coordinate_to_tuple
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        self.name, self.strings, self.ready = name, strings, []
        self.coordinate = coordinate_to_tuple
        self.epoch, self.dates, self.durations = wb.epoch, wb._date_formats, wb._timedelta_formats
        self.from_excel, self.from_iso, self.number = from_excel, from_ISO8601, _cast_number
        self.row = self.column = 0
        self.values: dict[int, object] = {}
        self.kind, self.style, self.raw, self.in_cell = "n", 0, None, False
        self.text = _Text()

    def _damaged(self, what: str) -> IngestError:
        return _not_a_table(self.name, f"a damaged Excel workbook ({what})")

    def start(self, tag, attrib) -> None:
        if tag == _CELL:
            ref = attrib.get("r")
            if ref:
                try:
                    _, self.column = self.coordinate(ref)
                except (ValueError, TypeError):
                    raise self._damaged(f"a cell named {ref[:20]!r}") from None
            else:
                self.column += 1
            if self.column > EXCEL_COLUMNS:
                raise self._damaged(f"a cell beyond column XFD in row {self.row:,}")
            self.kind, self.raw, self.in_cell = attrib.get("t", "n"), None, True
            self.style = int(attrib.get("s") or 0)
        elif tag == _ROW:
            ref = attrib.get("r")
            try:
                number = int(float(ref)) if ref else self.row + 1
            except ValueError:
                raise self._damaged(f"a row numbered {ref[:20]!r}") from None
            # A row numbered at or above the one before is not what Excel writes: keep its values as the next row.
            self.row = number if number > self.row else self.row + 1
            if self.row > EXCEL_ROWS:
                raise self._damaged(f"more than Excel's {EXCEL_ROWS:,} rows")
            self.column, self.values = 0, {}
        elif self.in_cell:
            if tag == _VALUE:
                self.text.on = True
            else:
                self.text.start(tag)

    def data(self, text: str) -> None:
        self.text.data(text)

    def end(self, tag) -> None:
        if tag == _CELL:
            value = self._value(self.text.take() if self.raw is None else self.raw)
            if value is not None:
                self.values[self.column] = value
            self.in_cell, self.raw = False, None
        elif tag == _ROW:
            if self.values:
                self.ready.append((self.row, self.values))
            self.values = {}
        elif self.in_cell:
            if tag == _VALUE:
                self.raw, self.text.on = self.text.take(), False
            elif tag != _INLINE:
                self.text.end(tag)

    def _value(self, raw: str):
        kind = self.kind
        if raw == "":
            return None
        try:
            if kind == "n":
                value = self.number(raw)
                if self.style in self.dates:
                    try:
                        return self.from_excel(value, self.epoch, timedelta=self.style in self.durations)
                    except (OverflowError, ValueError):
                        return "#VALUE!"
                return value
            if kind == "s":
                return self.strings[int(raw)]
            if kind == "b":
                return bool(int(raw))
            if kind == "d":
                return self.from_iso(raw)
        except (ValueError, IndexError, TypeError, OverflowError):
            raise self._damaged(f"cell {self.column:,} of row {self.row:,} holds {raw[:20]!r} as {kind}") from None
        return raw  # "inlineStr", "str" (a formula's text), "e" (an error such as #N/A)

    def close(self) -> None:
        return None


def sheet_rows(ws, name: str) -> Iterator[tuple[int, dict[int, object]]]:
    """(sheet row, {column: value}) of each row in the sheet's XML that holds a value.

    The XML is parsed as a stream without building a tree, so memory does not grow with the
    sheet. Rows missing from the XML are not made up and the sheet's declared dimension is never
    read: openpyxl's own row iterator pads every row to the declared width and fills in every
    missing row, which a 2 KB file with one value in XFD1048576 turns into 17 billion cells.
    """
    wb = ws.parent
    with wb._archive.open(ws._worksheet_path) as src:
        yield from _parse(src, _SheetTarget(wb, ws._shared_strings, name))


def read_sheet(ws, name: str, limits: Limits, max_rows: int | None = None) -> list[pa.ChunkedArray]:
    """The sheet as text columns, one entry per sheet row from row 1 to the last row with a value.

    Rows and cells are counted as the rows arrive and the sheet is refused (IngestError
    ``sheet_too_many_rows`` / ``sheet_too_many_cells``) as soon as the table would pass the
    limits: the rectangle from A1 to the last row and the rightmost column holding a value,
    empty cells included, as the file's table would hold them. ``max_rows`` stops early (a
    preview). Trailing columns whose cells are all blank are left out.
    """
    from openpyxl.utils import get_column_letter

    budget = TableBudget(name, limits, sheet=ws.title)
    chunks: list[tuple[int, list[pa.Array]]] = []
    pending: list[list[str]] = []
    pending_cells, rows, width, used = 0, 0, 0, 0

    def flush():
        nonlocal pending, pending_cells
        if pending:
            w = max(len(r) for r in pending)
            chunks.append((len(pending), [pa.array([r[i] if i < len(r) else "" for r in pending],
                                                   pa.large_string()) for i in range(w)]))
        pending, pending_cells = [], 0

    for number, values in sheet_rows(ws, name):
        if max_rows is not None and number > max_rows:
            break
        right = max(values)
        budget.check(number, max(width, right), f"{get_column_letter(right)}{number}")
        text = [""] * right
        for column, value in values.items():
            t = cell_text(value)
            text[column - 1] = t
            if column > used and t.strip():
                used = column
        pending.extend([_BLANK] * (number - rows - 1))  # rows absent from the XML: blank
        pending.append(text)
        rows, width = number, max(width, right)
        pending_cells += right
        if pending_cells >= _CHUNK_CELLS or len(pending) >= _CHUNK_ROWS:
            flush()
    flush()
    columns = []
    for i in range(used):
        parts = [cols[i] if i < len(cols) else pa.repeat(pa.scalar("", pa.large_string()), n)
                 for n, cols in chunks]
        columns.append(pa.chunked_array(parts, pa.large_string()))
    return columns
