"""Bounded work per upload: the rows, cells and decompressed bytes one file may grow to while it is read.

The 200 MB upload limit (``files.MAX_FILE_MB``) bounds what arrives, not what it becomes: a 2 KB
workbook with one value in cell XFD1048576, a workbook part that inflates to gigabytes, or a
0.5 MB Parquet file of forty million dictionary-encoded rows each took the process to several GB.
These limits are checked while a file is read, before the memory is spent:

- **decompressed bytes** (``MAX_DECOMPRESSED_MB``): the sizes a workbook's zip directory
  declares for its parts (zip never inflates a part past its declared size), and the sizes a
  Parquet footer declares for its column data, are summed before anything is inflated; the text
  a Parquet file turns into is counted again as each row group is read.
- **rows** (``MAX_ROWS``) and **cells** (``MAX_CELLS``, rows x columns of the table the file
  becomes, empty cells included): counted row by row in a worksheet, from the footer of a Parquet
  file, and from the line count of a text file.

Each default is a module constant; an administrator changes it with the environment variable
named beside it. Measured on 2 cores: a CSV at the row limit (5M rows x 3 columns) or the cell
limit (2.5M rows x 20 columns) loads in 4-6 s and peaks at 1.3 GB; a workbook of Excel's
1,048,576 rows x 3 columns in 27 s at 0.4 GB; every bomb in tests/bombs.py is refused in under
0.3 s and 200 MB (docs/data-format.md, "limits while reading").
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from dataclasses import dataclass

from valuation.data.files import IngestError, _not_a_table

MAX_ROWS = 5_000_000
"""Rows per file (VALUATION_MAX_ROWS): a 200 MB CSV of orders holds 3 to 8 million."""
MAX_CELLS = 50_000_000
"""Rows x columns per file (VALUATION_MAX_CELLS): 26-60 bytes a cell at peak, 1.3-3 GB at the limit."""
MAX_DECOMPRESSED_MB = 2_000
"""MB a workbook's parts or a Parquet file's column data may unpack to (VALUATION_MAX_DECOMPRESSED_MB)."""
MAX_WHOLE_PART_MB = 64
"""MB a workbook part that the Excel reader holds whole (styles, workbook, relations) may unpack to."""
MAX_ZIP_PARTS = 10_000
"""Parts a workbook may have: Excel writes tens; listing a directory of millions costs ~1 KB each."""
MAX_WHOLE_PART_TAGS = 1_000_000
"""XML tags in the parts held whole: Excel's 64,000 cell formats take ~300,000; openpyxl spends
~1 KB on each (400,000 tags of styles, 7.6 MB, cost 370 MB and 6 s)."""

ENV = {"rows": "VALUATION_MAX_ROWS", "cells": "VALUATION_MAX_CELLS",
       "decompressed_mb": "VALUATION_MAX_DECOMPRESSED_MB"}


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    """How far one file may grow while it is read (see the module docstring)."""

    rows: int = MAX_ROWS
    cells: int = MAX_CELLS
    decompressed_bytes: int = MAX_DECOMPRESSED_MB * 1_000_000

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, each replaced by its environment variable when that is a positive number."""
        return cls(rows=int(_env_number(ENV["rows"], MAX_ROWS)),
                   cells=int(_env_number(ENV["cells"], MAX_CELLS)),
                   decompressed_bytes=int(_env_number(ENV["decompressed_mb"], MAX_DECOMPRESSED_MB) * 1_000_000))


def _n(value: int) -> str:
    return f"{value:,}"


# ---------------------------------------------------------------------------- refusals


def too_many_rows(name: str, limit: int, sheet: str | None = None) -> IngestError:
    """More data rows than ``limit``: split the file."""
    if sheet is not None:
        return IngestError(
            "sheet_too_many_rows",
            f"Sheet “{sheet}” of {name} has more than {_n(limit)} rows, the limit for one file; "
            f"nothing was loaded. Split the table into files of at most {_n(limit)} rows (for example "
            "one per year) and upload them together: they are stacked into one dataset. "
            f"An administrator can raise the limit ({ENV['rows']}).",
            file=name, sheet=sheet, limit=_n(limit), env=ENV["rows"])
    return IngestError(
        "too_many_rows",
        f"{name} has more than {_n(limit)} rows, the limit for one file; nothing was loaded. Split "
        f"it into files of at most {_n(limit)} rows (for example one per year) and upload them "
        f"together: they are stacked into one dataset. An administrator can raise the limit "
        f"({ENV['rows']}).", file=name, limit=_n(limit), env=ENV["rows"])


def too_many_cells(name: str, rows: int, columns: int, limit: int, sheet: str | None = None,
                   cell: str | None = None) -> IngestError:
    """A table of ``rows`` x ``columns`` cells, more than ``limit``: trim it or split it."""
    cells = rows * columns
    if sheet is not None:
        return IngestError(
            "sheet_too_many_cells",
            f"Sheet “{sheet}” of {name} reaches cell {cell}: its table would be {_n(rows)} rows × "
            f"{_n(columns)} columns = {_n(cells)} cells, over the limit of {_n(limit)} cells for one "
            "file; nothing was loaded. Delete what lies outside the table (a stray value far to the "
            "right or far below makes every row and column up to it count), or split the table into "
            "files of fewer rows and upload them together. An administrator can raise the limit "
            f"({ENV['cells']}).",
            file=name, sheet=sheet, cell=cell, rows=_n(rows), columns=_n(columns), cells=_n(cells),
            limit=_n(limit), env=ENV["cells"])
    return IngestError(
        "too_many_cells",
        f"{name} would be a table of {_n(rows)} rows × {_n(columns)} columns = {_n(cells)} cells, "
        f"over the limit of {_n(limit)} cells for one file; nothing was loaded. Leave out columns "
        "you do not need, or split it into files of fewer rows and upload them together. An "
        f"administrator can raise the limit ({ENV['cells']}).",
        file=name, rows=_n(rows), columns=_n(columns), cells=_n(cells), limit=_n(limit), env=ENV["cells"])


def too_many_strings(name: str, limit: int) -> IngestError:
    """A workbook whose shared-string table holds more entries than its sheets or the limit allow."""
    return IngestError(
        "too_many_strings",
        f"{name} holds more than {_n(limit)} different texts (shared strings): more than its sheets "
        "have cells to use them, or than the cells one file may have. It was not read. Open it in "
        "Excel and save the table as CSV, or split it into smaller files and upload them together. "
        f"An administrator can raise the cell limit ({ENV['cells']}).",
        file=name, limit=_n(limit), env=ENV["cells"])


def too_much_decompressed(name: str, part: str, size: int, limit: int) -> IngestError:
    """A compressed file whose ``part`` unpacks to more than ``limit`` bytes: refused unopened."""
    size_mb, limit_mb = f"{size / 1e6:,.0f}", f"{limit / 1e6:,.0f}"
    return IngestError(
        "too_much_decompressed",
        f"{name} unpacks to more than {limit_mb} MB ({part}: {size_mb} MB), the limit for one file; "
        "nothing was loaded. Save the table as CSV, or split it into smaller files and upload them "
        f"together. An administrator can raise the limit ({ENV['decompressed_mb']}).",
        file=name, part=part, size_mb=size_mb, limit_mb=limit_mb, env=ENV["decompressed_mb"])


# ---------------------------------------------------------------------------- workbooks (zip)

_EOCD = b"PK\x05\x06"
# Parts the Excel reader streams; every other part is parsed whole into Python objects.
_SHEET_PART = re.compile(r"(^|/)worksheets/|(^|/)sheet\d*\.xml$", re.IGNORECASE)


def _streamed(part: str) -> str | None:
    """``"sheet"`` or ``"strings"`` for the parts the Excel reader streams (worksheets, wherever a
    tool put them; the shared strings), None for the parts it parses whole."""
    if "chartsheets/" in part.lower():
        return None
    if part.lower().endswith("sharedstrings.xml"):
        return "strings"
    return "sheet" if _SHEET_PART.search(part) else None


def zip_entry_count(data: bytes) -> int | None:
    """The number of parts a zip's end record declares (read without parsing the directory)."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    return struct.unpack("<H", data[at + 10:at + 12])[0]


def check_workbook(data: bytes, name: str, limits: Limits) -> int:
    """Refuse a workbook whose parts would unpack past the limits, from its zip directory alone.

    Runs before the workbook is opened: the directory lists each part's unpacked size, and zip
    never inflates a part past it. Parts compressed other than by deflate (bzip2, LZMA: no Excel
    writes them) are refused, as their inflation is not bounded per read. Returns the bytes of
    worksheet XML (what bounds the cells, and so the shared strings, a workbook can use).
    """
    count = zip_entry_count(data)
    if count is not None and count >= 0xFFFF or (count or 0) > MAX_ZIP_PARTS:
        raise _not_a_table(name, f"a zip archive of more than {_n(MAX_ZIP_PARTS)} parts, not an "
                           "Excel .xlsx workbook")
    try:
        with zipfile.ZipFile(_BytesView(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        raise _not_a_table(name, "a zip archive that is not an Excel .xlsx workbook") from None
    total = sheets = 0
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _not_a_table(name, f"a zip archive whose part {info.filename} is compressed in a way "
                               "Excel never uses")
        total += info.file_size
        if total > limits.decompressed_bytes:
            raise too_much_decompressed(name, info.filename, info.file_size, limits.decompressed_bytes)
        whole = min(limits.decompressed_bytes, MAX_WHOLE_PART_MB * 1_000_000)
        streamed = _streamed(info.filename)
        if streamed is None and info.file_size > whole:
            raise too_much_decompressed(name, info.filename, info.file_size, whole)
        if streamed == "sheet":
            sheets += info.file_size
        elif streamed is None and info.file_size > 1_000_000:
            _check_tags(archive_of(data), info, name)
    return sheets


def archive_of(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(_BytesView(data))


def _check_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Count the tags of a part the Excel reader parses whole, a megabyte at a time (no parse)."""
    tags = 0
    with archive.open(info) as part:
        while chunk := part.read(1 << 20):
            tags += chunk.count(b"<")
            if tags > MAX_WHOLE_PART_TAGS:
                raise _not_a_table(name, f"a damaged Excel workbook (its part {info.filename} holds more "
                                   f"than {_n(MAX_WHOLE_PART_TAGS)} XML tags)")


class _BytesView:
    """A read-only file over bytes without the copy ``io.BytesIO(bytes)`` may make."""

    def __init__(self, data: bytes):
        self._view, self._pos = memoryview(data), 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else len(self._view) + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        end = len(self._view) if n is None or n < 0 else min(len(self._view), self._pos + n)
        out = bytes(self._view[self._pos:end])
        self._pos = end
        return out

    def seekable(self) -> bool:
        return True


# ---------------------------------------------------------------------------- counting while reading


class TableBudget:
    """Rows and cells of a table as it is read, refused the moment either passes its limit.

    ``sheet`` names the worksheet in the messages (None for text and Parquet files).
    """

    def __init__(self, name: str, limits: Limits, sheet: str | None = None):
        self.name, self.limits, self.sheet = name, limits, sheet

    def check(self, rows: int, columns: int, cell: str | None = None) -> None:
        """``rows`` rows (header included) of ``columns`` columns are about to be held."""
        if rows > self.limits.rows + 1:  # the header row is not a data row
            raise too_many_rows(self.name, self.limits.rows, self.sheet)
        if rows * columns > self.limits.cells:
            raise too_many_cells(self.name, rows, columns, self.limits.cells, self.sheet, cell)
