"""Read customer files (CSV, TSV/TXT, .xlsx) into canonical tables, reporting every row left out."""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import schema
from .parsing import (
    REASONS,
    STR,
    TOTAL_TOKENS,
    Parsed,
    as_text,
    normalise_header,
    parse_column,
)

__all__ = ["IngestError", "IngestResult", "read_table", "detect_mapping", "sniff",
           "candidate_columns", "check_loadable", "REJECT_COLUMNS", "MAX_FILE_MB", "MAX_FIELD_CHARS"]

REJECT_COLUMNS = ["line", "column", "value", "reason", "reason_code"]
DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_BYTES = 65536
# How many leading records may precede the header (report titles, export dates, blank lines).
_HEADER_SEARCH = 30
_MAX_LINES_IN_WARNING = 10
# Files over this size are refused before they are read: the app's upload limit
# (server.maxUploadSize). VALUATION_MAX_FILE_MB or ``max_mb=`` changes it.
MAX_FILE_MB = 200.0
# A value longer than this rejects its row (Excel's own cell limit): it is a runaway quote or junk,
# and keeping it would cost memory in every later step.
MAX_FIELD_CHARS = 32_767


class IngestError(Exception):
    """A file that cannot be used at all.

    ``str(e)`` is the user-facing English message; ``e.code`` a stable key (``empty_file``,
    ``header_only``, ``not_a_table``, ``old_excel_format``, ``missing_columns``, ``unknown_table``,
    ``bad_mapping``, ``bad_sheet``, ``unreadable_encoding``, ``file_not_found``, ``too_large``,
    ``read_failed``);
    ``e.params`` the values in the message (``file``, ``missing``, ``found`` ...) for translation.
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


@dataclass
class IngestResult:
    """What ``read_table`` loaded, and everything it left out and why.

    Attributes
    ----------
    tables : dict[str, pd.DataFrame]
        Canonical tables: the target table, plus ``customers`` lifted from attribute columns of
        an orders file. Columns are canonical names in ``schema.stored_columns`` order; ids and
        text are ``str`` dtype, dates ``datetime64[us]`` at midnight, money/number ``float64``.
    rejects : pd.DataFrame
        One entry per problem: ``line`` (1-based physical line, header = line 1; sheet row for
        xlsx), ``column`` (source header, empty for a whole-line problem), ``value`` (raw text),
        ``reason`` (English sentence), ``reason_code``.
    rows_read, rows_loaded, rows_rejected : int
        Data rows seen (blank rows excluded), loaded and rejected; ``rows_read ==
        rows_loaded + rows_rejected``. A row with two problems counts once.
    """

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    encoding: str
    delimiter: str | None
    source_name: str
    table: str
    mapping: dict[str, str]
    unmapped: list[str]
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-able summary of the load (counts, total amount, encoding, mapping, warnings)."""
        target = self.tables.get(self.table)
        customers = amount_total = None
        if target is not None:
            customers = int(target["customer_id"].nunique())
            if "amount" in target.columns:
                amount_total = round(float(target["amount"].sum()), 2)
        return {
            "table": self.table,
            "source": self.source_name,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "customers": customers,
            "amount_total": amount_total,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "mapping": dict(self.mapping),
            "unmapped": list(self.unmapped),
            "warnings": list(self.warnings),
        }


@dataclass
class _Raw:
    """A file as positional text columns, before mapping and parsing."""

    headers: list[str]          # display names: stripped header text, "(column N)" when empty
    data: pd.DataFrame          # columns 0..n-1, str dtype, one row per record after the header
    lines: np.ndarray           # physical line (sheet row) of each data row
    ragged: list[tuple[int, int, str]]   # (line, fields found, raw text) of rows with a wrong width
    encoding: str
    delimiter: str | None
    header_line: int
    warnings: list[str]
    quoted: bool = False        # the data part contains quote characters
    replaced: bool = False      # undecodable bytes became U+FFFD: rows holding one are rejected


# ============================================================================ source bytes

def max_file_bytes(max_mb: float | None = None) -> int:
    """The size limit in bytes: ``max_mb``, else VALUATION_MAX_FILE_MB, else MAX_FILE_MB."""
    if max_mb is None:
        try:
            max_mb = float(os.environ.get("VALUATION_MAX_FILE_MB") or MAX_FILE_MB)
        except ValueError:
            max_mb = MAX_FILE_MB
    return int(max_mb * 1_000_000)


def _check_size(size: int, name: str, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise IngestError(
            "too_large",
            f"{name} is {size / 1e6:,.1f} MB; files over {limit / 1e6:,.1f} MB are not loaded. "
            "Split it (for example by year), or raise the limit (VALUATION_MAX_FILE_MB).",
            file=name, size_mb=round(size / 1e6, 1), limit_mb=round(limit / 1e6, 1))


def _source_bytes(source, name: str | None, limit: int | None = None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        shown = name or "uploaded file"
        _check_size(len(source), shown, limit)
        return bytes(source), shown
    if hasattr(source, "getvalue") or hasattr(source, "read"):
        # File-like objects, e.g. Streamlit's UploadedFile.
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        shown = name or getattr(source, "name", None) or "uploaded file"
        _check_size(len(data), shown, limit)
        return bytes(data), shown
    path = Path(source)
    shown = name or path.name
    try:
        if path.is_file():
            _check_size(path.stat().st_size, shown, limit)  # before reading it into memory
        return path.read_bytes(), shown
    except FileNotFoundError:
        raise IngestError("file_not_found", f"{shown}: file not found ({path}).",
                          file=shown, path=str(path)) from None
    except IsADirectoryError:
        raise IngestError("not_a_table", f"{shown} is a folder, not a table file.",
                          file=shown, detail="a folder") from None


_MAGIC = [
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"BM", None), (b"SQLite format 3", "an SQLite database"),
    (b"PAR1", "a Parquet file"), (b"DUCK", "a DuckDB database"),
]


def _not_a_table(name: str, detail: str) -> IngestError:
    return IngestError(
        "not_a_table",
        f"{name} is not a table: it looks like {detail}. Upload a CSV, TSV/TXT or .xlsx file.",
        file=name, detail=detail)


def _file_kind(data: bytes, name: str) -> str:
    """``"xlsx"`` or ``"text"``, decided by content; raise for empty and known binary files."""
    if not data.strip():
        raise IngestError("empty_file", f"{name} is empty: there is nothing to load.", file=name)
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise IngestError(
            "old_excel_format",
            f"{name} is an old Excel 97-2003 (.xls) workbook, which cannot be read. Open it in "
            "Excel and save it as .xlsx or as 'CSV UTF-8', then upload that.", file=name)
    for magic, what in _MAGIC:
        if what and data.startswith(magic):
            raise _not_a_table(name, what)
    return "text"


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM from the NUL pattern of mostly-ASCII text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    return bool(sample) and len(_CONTROL.findall(sample)) > max(2, 0.01 * len(sample))


def _decode(data: bytes, name: str) -> tuple[str, bytes]:
    """Return (encoding, UTF-8 bytes without BOM). Python decodes; DuckDB/Arrow cannot do GBK."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data[len(codecs.BOM_UTF8):]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(
                "unreadable_encoding",
                f"{name} starts with a UTF-8 marker but is not valid UTF-8 text. Save it from "
                "Excel as 'CSV UTF-8' and upload it again.", file=name) from None
        utf8 = body
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_a_table(name, "binary data (a UTF-16 marker but no valid UTF-16 text)") \
                from None
        utf8 = text.encode("utf-8")
    else:
        guess = _utf16_without_bom(data) if b"\x00" in data[:4096] else None
        text = None
        if guess:
            try:
                text, encoding = data.decode(guess), guess
            except UnicodeDecodeError:
                text = None
        if text is None:
            if b"\x00" in data:
                raise _not_a_table(name, "binary data (it contains NUL bytes)")
            try:
                # Strict UTF-8 first: GB18030 would also "decode" most UTF-8 text, wrongly.
                text, encoding = data.decode("utf-8"), "utf-8"
                utf8 = data
            except UnicodeDecodeError:
                try:
                    text, encoding = data.decode("gb18030"), "gb18030"
                except UnicodeDecodeError:
                    if _looks_binary(data[:8192].decode("latin-1")):
                        raise _not_a_table(name, "binary data") from None
                    raise IngestError(
                        "unreadable_encoding",
                        f"{name} is not UTF-8, UTF-16 or GB18030/GBK text, so its characters "
                        "cannot be read. Save it from Excel as 'CSV UTF-8' and upload it again.",
                        file=name) from None
        if encoding != "utf-8":
            utf8 = text.encode("utf-8")
    if _looks_binary(text):
        raise _not_a_table(name, "binary data (control characters, not text)")
    if not text.replace("\ufeff", "").strip():
        raise IngestError("empty_file", f"{name} is empty: there is nothing to load.", file=name)
    return encoding, utf8


# ============================================================================ mapping

def candidate_columns(table: str) -> list[schema.Column]:
    """Canonical columns a file for ``table`` may map: for orders also the liftable attributes."""
    cols = list(schema.columns(table))
    if table == "orders":
        names = {c.name for c in cols}
        cols += [c for c in schema.columns("customers")
                 if c.name in schema.LIFTED_CUSTOMER_COLUMNS and c.name not in names]
    return cols


def _check_table(table: str) -> None:
    if table not in schema.TABLES:
        choices = ", ".join(schema.TABLES)
        raise IngestError("unknown_table", f"Unknown table '{table}'. Choose one of: {choices}.",
                          table=table, choices=list(schema.TABLES))


def _detect(headers: list[str], table: str, *, taken: set[int] = frozenset(),
            done: set[str] = frozenset()) -> dict[str, int]:
    """Canonical name -> header index; exact canonical names first, then synonyms in file order."""
    norm = [normalise_header(h) for h in headers]
    cands = [c for c in candidate_columns(table) if c.name not in done]
    used = set(taken)
    found: dict[str, int] = {}
    for col in cands:
        key = normalise_header(col.name)
        for i, n in enumerate(norm):
            if i not in used and n and n == key:
                found[col.name] = i
                used.add(i)
                break
    for col in cands:
        if col.name in found:
            continue
        keys = {normalise_header(s) for s in col.synonyms}
        for i, n in enumerate(norm):
            if i not in used and n in keys:
                found[col.name] = i
                used.add(i)
                break
    return found


def detect_mapping(headers: list[str], table: str) -> dict[str, str]:
    """Guess which header holds each canonical column.

    Parameters
    ----------
    headers : list[str]
        Header texts as found in the file.
    table : str
        Target table (orders, customers, payments, service). For orders, liftable customer
        attributes (region, industry, ...) are included.

    Returns
    -------
    dict[str, str]
        Canonical column -> header, in schema order. Each column and each header is used at
        most once; an exact canonical name beats a synonym, then the first matching header wins.
    """
    _check_table(table)
    headers = [str(h) for h in headers]
    found = _detect(headers, table)
    order = [c.name for c in candidate_columns(table)]
    return {c: headers[found[c]] for c in order if c in found}


def _find_header(headers: list[str], wanted: str) -> int | None:
    for test in (lambda h: h == wanted, lambda h: h.strip() == wanted.strip(),
                 lambda h: normalise_header(h) == normalise_header(wanted) != ""):
        for i, h in enumerate(headers):
            if test(h):
                return i
    return None


def _resolve(headers: list[str], table: str, mapping: dict[str, str] | None,
             name: str) -> dict[str, int]:
    """Canonical -> column index: the user's mapping first, detection for the rest."""
    cands = {c.name for c in candidate_columns(table)}
    chosen: dict[str, int] = {}
    skipped: set[str] = set()
    for canon, header in (mapping or {}).items():
        if canon not in cands:
            raise IngestError(
                "bad_mapping",
                f"The mapping names '{canon}', which is not a column of the {table} table. "
                f"Columns are: {', '.join(sorted(cands))}.",
                file=name, column=canon, table=table, columns=sorted(cands))
        if header is None or str(header).strip() == "":
            skipped.add(canon)  # an explicit "do not use this column"
            continue
        i = _find_header(headers, str(header))
        if i is None:
            raise IngestError(
                "bad_mapping",
                f"The mapping {canon}={header} names a column that is not in {name}. "
                f"Columns found: {', '.join(headers)}.",
                file=name, column=canon, header=str(header), found=list(headers))
        chosen[canon] = i
    auto = _detect(headers, table, taken=set(chosen.values()), done=set(chosen) | skipped)
    chosen.update(auto)
    order = [c.name for c in candidate_columns(table)]
    return {c: chosen[c] for c in order if c in chosen}


def _missing_error(name: str, table: str, missing: list[str], headers: list[str]) -> IngestError:
    by_name = {c.name: c for c in schema.columns(table)}
    hints = {m: [s for s in by_name[m].synonyms if s.isascii()][:2]
             + [s for s in by_name[m].synonyms if not s.isascii()][:2] for m in missing}
    described = "; ".join(f"{m} (e.g. {', '.join(hints[m])})" for m in missing)
    found = ", ".join(h for h in headers) or "(none)"
    message = (
        f"{name} cannot be loaded as {table}: no column found for {described}. "
        f"Columns found: {found}. Rename the header in the file to an accepted name, or map it: "
        f"--map {missing[0]}=<header> on the command line, or the column mapping in the app.")
    return IngestError("missing_columns", message, file=name, table=table, missing=list(missing),
                       found=list(headers), examples=hints)


def _header_score(fields: list[str], table: str, mapping: dict[str, str] | None) -> int:
    """How many of the fields name a column: detected, or named by the user's mapping."""
    hits = set(_detect([f.strip() for f in fields], table).values())
    for header in (mapping or {}).values():
        if header:
            i = _find_header(fields, str(header))
            if i is not None:
                hits.add(i)
    return len(hits)


def _pick_header(records: list[tuple[int, list[str]]], table: str,
                 mapping: dict[str, str] | None) -> int:
    """Index of the header among the leading records.

    Exports often start with a report title or an export date, so a later row that names at
    least two canonical columns (or the mapped headers) and more than the first non-blank row
    does is the header; otherwise the first non-blank row is. One stray cell ("Total" in a data
    row) cannot move the header.
    """
    first, best, best_score = None, None, 0
    for k, (_, fields) in enumerate(records[:_HEADER_SEARCH]):
        if not any(f.strip() for f in fields):
            continue
        score = _header_score(fields, table, mapping)
        if first is None:
            first, best, best_score = k, k, score
        elif score > best_score and score >= 2:
            best, best_score = k, score
    return best if best is not None else 0


def _unique_headers(headers: list[str]) -> tuple[list[str], str | None]:
    """Headers made unique: a repeated header keeps its name the first time and becomes
    ``name #2``, ``name #3`` … after (which no detection matches, so the first one wins);
    with a warning naming each repeated header and its columns."""
    seen = Counter(headers)
    if len(seen) == len(headers):
        return headers, None
    out, used, notes = [], set(headers), []
    count: Counter = Counter()
    for h in headers:
        count[h] += 1
        if count[h] == 1:
            out.append(h)
            continue
        k = count[h]
        while f"{h} #{k}" in used:
            k += 1
        out.append(f"{h} #{k}")
        used.add(out[-1])
    for h, n in seen.items():
        if n > 1:
            cols = [str(i + 1) for i, x in enumerate(headers) if x == h]
            notes.append(f"'{h}' appears {n} times (columns {', '.join(cols)})")
    return out, ("duplicate headers: " + "; ".join(notes) + ". The first of each is used; the "
                 "others are named '#2', '#3' … and ignored unless you map them")


def _display_headers(fields: list[str]) -> list[str]:
    return [f.replace("\ufeff", "").strip() or f"(column {i + 1})" for i, f in enumerate(fields)]


# ============================================================================ delimited text

def _sample(utf8: bytes) -> tuple[str, bool]:
    """The first ~64 KB as text, cut at a line end; and whether it is the whole file."""
    if len(utf8) <= _SAMPLE_BYTES:
        return utf8.decode("utf-8"), True
    chunk = utf8[:_SAMPLE_BYTES]
    cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
    if cut > 0:
        chunk = chunk[:cut + 1]
    return chunk.decode("utf-8", "ignore"), False


def _records(text: str, delimiter: str, limit: int | None = None) -> list[tuple[int, int, list]]:
    """(first line, last line, fields) of each CSV record, as Python's csv module reads them."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    out, prev = [], 0
    try:
        for row in reader:
            out.append((prev + 1, reader.line_num, row))
            prev = reader.line_num
            if limit and len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _choose_delimiter(sample: str, complete: bool) -> str:
    """csv.Sniffer's guess, checked against the field counts each candidate gives."""
    stats = {}
    for d in DELIMITERS:
        recs = [r for r in _records(sample, d, limit=300) if any(f.strip() for f in r[2])]
        if not complete and len(recs) > 1:
            recs = recs[:-1]  # may be cut inside a quoted field
        counts = [len(r[2]) for r in recs]
        body = counts[1:] or counts
        modal = Counter(body).most_common(1)[0][0] if body else 0
        frac = sum(c == modal for c in counts) / len(counts) if counts else 0.0
        stats[d] = (modal, frac, counts[0] if counts else 0)
    try:
        sniffed = csv.Sniffer().sniff(sample[:8192], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None

    def key(d):
        modal, frac, head = stats[d]
        # More than one column, header as wide as the rows, consistent rows; Sniffer breaks ties.
        return (modal > 1, head == modal, frac >= 0.9, modal, frac, d == sniffed,
                -DELIMITERS.index(d))

    return max(DELIMITERS, key=key)


def _offset_after_lines(buf: bytes, n: int, newline: bytes) -> int:
    pos = 0
    for _ in range(n):
        i = buf.find(newline, pos)
        if i < 0:
            return len(buf)
        pos = i + 1
    return pos


def _has_breaks(s: pd.Series) -> np.ndarray:
    """Values holding a line break (literal searches: much faster than a regex)."""
    found = s.str.contains("\n", regex=False).fillna(False).to_numpy(dtype=bool)
    return found | s.str.contains("\r", regex=False).fillna(False).to_numpy(dtype=bool)


def _count_breaks(s: pd.Series) -> np.ndarray:
    return s.str.count(r"\r\n|\r|\n").fillna(0).to_numpy(dtype=np.int64)


def _read_arrow(body: pa.Buffer, delimiter: str, ncols: int, threads: bool,
                block_size: int = 1 << 22):
    invalid: list[tuple] = []

    def handler(row):
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    names = [f"c{i}" for i in range(ncols)]
    table = pacsv.read_csv(
        pa.BufferReader(body),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=threads,
                                       block_size=block_size),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                         escape_char=False, newlines_in_values=True,
                                         ignore_empty_lines=False, invalid_row_handler=handler),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False))
    return table, invalid


def _frame(columns: list) -> pd.DataFrame:
    return pd.DataFrame({i: as_text(pd.Series(c, dtype=object)) if not isinstance(c, pd.Series)
                         else c for i, c in enumerate(columns)})


def _read_body_arrow(utf8: bytes, offset: int, delimiter: str, ncols: int, header_end: int,
                     quoted: bool, *, one_block: bool = False):
    """Parse the data part with Arrow; physical line numbers from record numbers.

    ``one_block`` parses the whole body as one block: needed when a value is larger than a block
    (Arrow refuses values that straddle blocks), and far leaner than the Python reader.
    """
    body = pa.py_buffer(utf8).slice(offset)
    if one_block:
        table, invalid = _read_arrow(body, delimiter, ncols, threads=False,
                                     block_size=max(1 << 22, body.size + 1))
    else:
        table, invalid = _read_arrow(body, delimiter, ncols, threads=True)
    if invalid and any(n is None for n, _, _ in invalid):
        # Row numbers of bad rows are only known when parsing on one thread.
        table, invalid = _read_arrow(body, delimiter, ncols, threads=False)
    df = pd.DataFrame({i: table.column(i).to_pandas(types_mapper=lambda t: STR)
                       for i in range(ncols)})
    n_valid, n_bad = len(df), len(invalid)
    records = np.arange(1, n_valid + n_bad + 1, dtype=np.int64)
    bad_numbers = np.array([n for n, _, _ in invalid], dtype=np.int64)
    valid_records = np.setdiff1d(records, bad_numbers, assume_unique=True) if n_bad else records
    if len(valid_records) != n_valid:
        raise ValueError("record numbering mismatch")
    extra = np.zeros(n_valid + n_bad + 1, dtype=np.int64)
    if quoted:
        # Quoted fields may hold line breaks: later records start further down the file.
        for i in range(ncols):
            if _has_breaks(df[i]).any():
                extra[valid_records] += _count_breaks(df[i])
        for n, _, text in invalid:
            extra[n] += len(re.findall(r"\r\n|\r|\n", text or ""))
    before = np.concatenate([[0], np.cumsum(extra[1:])])[:-1]  # breaks in records 1..r-1
    lines = header_end + valid_records + before[valid_records - 1]
    ragged = [(int(header_end + n + before[n - 1]), int(found), text or "")
              for n, found, text in invalid]
    return df, lines, ragged


def _read_body_python(text: str, delimiter: str, ncols: int, header_end: int):
    """The slow, exact fallback when Arrow refuses the data (e.g. a field over 4 MB)."""
    cols: list[list[str]] = [[] for _ in range(ncols)]
    lines, ragged = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    previous_limit = csv.field_size_limit(2**31 - 1)  # process-wide: restored below
    try:
        prev = 0
        for row in reader:
            start = header_end + prev + 1
            prev = reader.line_num
            if not row:
                row = [""] * ncols
            if len(row) != ncols:
                ragged.append((start, len(row), delimiter.join(row)))
                continue
            for c, v in zip(cols, row):
                c.append(v)
            lines.append(start)
    finally:
        csv.field_size_limit(previous_limit)
    return _frame(cols), np.array(lines, dtype=np.int64), ragged


def _read_delimited(utf8: bytes, encoding: str, name: str, table: str,
                    mapping: dict[str, str] | None, *, preview: int | None = None) -> _Raw:
    sample, complete = _sample(utf8)
    warnings: list[str] = []
    skip_first = 0
    forced = re.match(r"^sep=(.)\r?\n", sample)  # Excel's "sep=;" hint line
    if forced:
        delimiter, skip_first = forced.group(1), 1
    else:
        delimiter = _choose_delimiter(sample, complete)
    recs = _records(sample, delimiter, limit=_HEADER_SEARCH + 200)
    recs = [r for r in recs if r[0] > skip_first]
    if not recs:
        raise IngestError("empty_file", f"{name} is empty: there is nothing to load.", file=name)
    k = _pick_header([(r[0], r[2]) for r in recs], table, mapping)
    header_start, header_end, header_fields = recs[k]
    if header_start > 1:
        warnings.append(f"header found on line {header_start}; the {header_start - 1} line(s) "
                        "above it were skipped (a report title or export note)")
    headers = list(header_fields)
    # Match the width of the data rows: trailing delimiters on every data line add unnamed
    # columns; trailing empty header cells beyond the data are dropped.
    body_counts = [len(r[2]) for r in recs[k + 1:] if any(f.strip() for f in r[2])]
    if not complete and len(body_counts) > 1:
        body_counts = body_counts[:-1]
    if body_counts:
        modal = Counter(body_counts).most_common(1)[0][0]
        if modal > len(headers):
            headers += [""] * (modal - len(headers))
        elif modal < len(headers) and not any(h.strip() for h in headers[modal:]):
            headers = headers[:modal]
    ncols = len(headers)
    display = _display_headers(headers)

    newline = b"\n" if b"\n" in utf8[:_SAMPLE_BYTES * 4] else b"\r"
    offset = _offset_after_lines(utf8, header_end, newline)
    if preview is not None:
        rows = [r for r in recs[k + 1:] if any(f.strip() for f in r[2])][:preview]
        df = _frame([[(r[2][i] if i < len(r[2]) else "") for r in rows] for i in range(ncols)])
        return _Raw(display, df, np.array([r[0] for r in rows], dtype=np.int64), [], encoding,
                    delimiter, header_start, warnings)
    if not utf8[offset:offset + 4096].strip() and not utf8[offset:].strip():
        raise _header_only(name, header_start)
    quoted = utf8.find(b'"', offset) >= 0
    try:
        df, lines, ragged = _read_body_arrow(utf8, offset, delimiter, ncols, header_end, quoted)
    except (pa.ArrowException, ValueError) as exc:
        try:
            if "straddl" not in str(exc):  # a value bigger than a block: one block holds it
                raise
            df, lines, ragged = _read_body_arrow(utf8, offset, delimiter, ncols, header_end,
                                                 quoted, one_block=True)
        except (pa.ArrowException, ValueError):
            df, lines, ragged = _read_body_python(utf8[offset:].decode("utf-8"), delimiter,
                                                  ncols, header_end)
    return _Raw(display, df, lines, ragged, encoding, delimiter, header_start, warnings, quoted)


def _header_only(name: str, header_line: int) -> IngestError:
    return IngestError("header_only",
                       f"{name} has a header row (line {header_line}) but no data rows.",
                       file=name, header_line=header_line)


# ============================================================================ xlsx

def _cell_text(v) -> str:
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


def _open_workbook(data: bytes, name: str):
    import openpyxl  # only needed for Excel files

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
        raise _not_a_table(name, "a zip archive that is not an Excel .xlsx workbook") from None


def _pick_sheet(wb, sheet, name: str):
    names = wb.sheetnames
    if sheet is None:
        return wb.worksheets[0]
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return wb.worksheets[sheet]
    if isinstance(sheet, str) and sheet in names:
        return wb[sheet]
    if isinstance(sheet, str) and sheet.isdigit() and int(sheet) < len(names):
        return wb.worksheets[int(sheet)]  # "1" from a command line: a number unless a sheet's name
    raise IngestError("bad_sheet", f"{name} has no sheet {sheet!r}. Sheets: {', '.join(names)}.",
                      file=name, sheet=sheet, sheets=list(names))


def _read_xlsx(data: bytes, name: str, table: str, mapping: dict[str, str] | None,
               sheet, *, preview: int | None = None) -> _Raw:
    wb = _open_workbook(data, name)
    try:
        ws = _pick_sheet(wb, sheet, name)
        rows: list[list[str]] = []
        limit = None if preview is None else _HEADER_SEARCH + preview + 1
        # Read-only mode yields every row from row 1 (gaps as empty rows): index + 1 = sheet row.
        for row in ws.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in row])
            if limit and len(rows) >= limit:
                break
    finally:
        wb.close()
    width = max((len(r) for r in rows), default=0)
    while width and not any(len(r) >= width and r[width - 1].strip() for r in rows):
        width -= 1  # trailing all-empty columns (formatted but unused cells)
    if width == 0:
        raise IngestError("empty_file", f"{name} is empty: the sheet has no cells with values.",
                          file=name)
    rows = [(r + [""] * (width - len(r)))[:width] for r in rows]
    k = _pick_header([(i + 1, r) for i, r in enumerate(rows)], table, mapping)
    warnings = []
    if k > 0:
        warnings.append(f"header found on sheet row {k + 1}; the {k} row(s) above it were "
                        "skipped (a report title or export note)")
    body = rows[k + 1:]
    lines = np.arange(k + 2, k + 2 + len(body), dtype=np.int64)
    if preview is not None:
        keep = [i for i, r in enumerate(body) if any(v.strip() for v in r)][:preview]
        body, lines = [body[i] for i in keep], lines[keep]
    df = _frame([[r[i] for r in body] for i in range(width)])
    return _Raw(_display_headers(rows[k]), df, lines, [], "xlsx", None, k + 1, warnings)


# ============================================================================ loading

PARQUET = "parquet"  # the "encoding" of a Parquet table: typed columns, nothing to decode


def _parquet_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """One Parquet column as the text a CSV export of it would hold (nulls as empty cells)."""
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        column = column.cast(pa.timestamp(kind.unit))  # the UTC wall time, as DuckDB and Spark read it
    try:
        text = column.cast(pa.large_string())
    except (pa.ArrowException, ValueError):  # nested values, binary that is not UTF-8
        text = pa.chunked_array([pa.array([None if v is None else str(v) for v in column.to_pylist()],
                                          pa.large_string())], pa.large_string())
    return text.fill_null("")


def _read_parquet(data: bytes, name: str, *, preview: int | None = None) -> _Raw:
    """A Parquet table (an orders export from a data lake) as text columns, read like a CSV file.

    Every column becomes the text Arrow writes for it (dates 2024-01-05, numbers 1234.5), so the
    mapping, the validation of every value and the rejects report are those of a CSV file.
    ``lines`` are row numbers in the file, from 1 (there is no header line).
    """
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        if preview is None:
            table = parquet.read()
        else:
            batch = next(parquet.iter_batches(batch_size=max(int(preview), 1)), None)
            table = (pa.Table.from_batches([batch]) if batch is not None
                     else parquet.schema_arrow.empty_table())
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise IngestError("bad_parquet", f"{name} is a Parquet file that could not be read ({exc}). "
                          "Write it again, or export the table as CSV.", file=name, detail=str(exc)) from None
    if table.num_columns == 0:
        raise IngestError("empty_file", f"{name} is empty: there is nothing to load.", file=name)
    if table.num_rows == 0 and preview is None:
        raise IngestError("header_only", f"{name} has columns but no rows.", file=name, header_line=0)
    df = pd.DataFrame({i: _parquet_text(table.column(i)).to_pandas(types_mapper=lambda t: STR)
                       for i in range(table.num_columns)})
    lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return _Raw(_display_headers([str(c) for c in table.column_names]), df, lines, [], PARQUET,
                None, 0, [])


def _raw_from_bytes(data: bytes, name: str, table: str, mapping, sheet, *,
                    preview: int | None = None) -> _Raw:
    if data[:4] == b"PAR1":  # a Parquet table: typed columns, no encoding or delimiter to find
        return _read_parquet(data, name, preview=preview)
    kind = _file_kind(data, name)
    if kind == "xlsx":
        return _read_xlsx(data, name, table, mapping, sheet, preview=preview)
    try:
        encoding, utf8 = _decode(data, name)
        by_line = _decode_by_line(data, whole_gb18030=True) if encoding == "gb18030" else None
    except IngestError as exc:
        by_line = _decode_by_line(data) if exc.code == "unreadable_encoding" else None
        if by_line is None:
            raise
    notes, replaced = [], False
    if by_line is not None:
        encoding, utf8, notes, replaced = by_line
    raw = _read_delimited(utf8, encoding, name, table, mapping, preview=preview)
    raw.warnings[:0] = notes
    raw.replaced = replaced
    return raw


MIXED_ENCODING = "utf-8+gb18030"


def _is_utf8_line(line: bytes) -> bool:
    text = line.decode("utf-8", "replace")
    if "\ufffd" not in text:
        return True
    if b"\xef\xbf\xbd" not in line:  # a real U+FFFD in the line, or a replaced byte?
        return False
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _plausible_utf8(text: str) -> bool:
    wide = [ord(c) for c in text if ord(c) >= 0x80]
    return any(c >= 0x800 for c in wide) or all(c < 0x250 for c in wide)


def _decode_by_line(data: bytes, whole_gb18030: bool = False) -> tuple[str, bytes, list[str], bool] | None:
    """Decode a file that is not one encoding (rows pasted from a UTF-8 and a GBK export) line by line.

    Every line with non-ASCII text is UTF-8 if it is valid UTF-8, else GB18030; a line that is
    neither keeps U+FFFD for its undecodable bytes and its row is rejected (``bad_encoding``).
    Returns None when the file is plain GB18030 (no line is valid, non-ASCII UTF-8) or when most
    lines decode in neither encoding (some other encoding: the caller refuses the file).
    ``whole_gb18030``: the whole file decodes as GB18030, so every line does. Costs one lenient
    UTF-8 decode per non-ASCII line, paid only by files that are not UTF-8.
    """
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    # The pass every GBK file pays: a lenient UTF-8 decode of the whole file (a newline never
    # becomes part of a replaced sequence, so its lines are the byte lines), then two C-level
    # string tests per line. A line holding a real U+FFFD is checked on its own.
    lenient = body.decode("utf-8", "replace").split("\n")  # old-Mac CR-only files: one "line"
    if b"\xef\xbf\xbd" in body:
        utf8_lines = [i for i, (text, line) in enumerate(zip(lenient, body.split(b"\n")))
                      if not text.isascii() and _is_utf8_line(line)]
    else:
        utf8_lines = [i for i, text in enumerate(lenient) if not text.isascii() and "\ufffd" not in text]
    if whole_gb18030:
        # The line reads in both: a short GBK line can be valid UTF-8 by chance ("司" is CB BE,
        # also U+02FE). Take UTF-8 only when it gives Chinese (or any 3-byte character) or Latin.
        utf8_lines = [i for i in utf8_lines if _plausible_utf8(lenient[i])]
    del lenient
    if not utf8_lines and whole_gb18030:
        return None  # plain GB18030: the common case ends here
    lines = body.split(b"\n")
    utf8_set = set(utf8_lines)
    gb_lines, bad_lines = [], []
    for i, line in enumerate(lines):
        if i in utf8_set or line.isascii():
            continue
        try:
            line.decode("gb18030")
            gb_lines.append(i)
        except UnicodeDecodeError:
            bad_lines.append(i)
    if not utf8_lines and not bad_lines:
        return None  # plain GB18030
    if len(bad_lines) * 2 > len(utf8_lines) + len(gb_lines) + len(bad_lines):
        return None  # mostly neither: not a Chinese/UTF-8 text file
    if not gb_lines and not bad_lines:
        return None  # valid UTF-8 after all (not reached: the caller tried UTF-8 first)
    text = "\n".join(line.decode("utf-8") if i in utf8_set
                     else line.decode("gb18030", "replace") for i, line in enumerate(lines))
    if _looks_binary(text):
        return None
    numbers = lambda idx: _line_list(np.asarray(idx, dtype=np.int64) + 1)  # noqa: E731
    notes = []
    if utf8_lines and gb_lines:
        notes.append(f"the file mixes encodings: {len(utf8_lines)} line(s) are UTF-8 (lines "
                     f"{numbers(utf8_lines)}) and {len(gb_lines)} GB18030/GBK (lines "
                     f"{numbers(gb_lines)}); each line was read in its own encoding")
    if bad_lines:
        notes.append(f"{len(bad_lines)} line(s) are neither UTF-8 nor GB18030/GBK text (lines "
                     f"{numbers(bad_lines)}); their rows are rejected")
    encoding = MIXED_ENCODING if utf8_lines and gb_lines else ("gb18030" if gb_lines else "utf-8")
    return encoding, text.encode("utf-8"), notes, bool(bad_lines)


def _line_list(lines: np.ndarray) -> str:
    shown = ", ".join(str(int(x)) for x in lines[:_MAX_LINES_IN_WARNING])
    return shown + (", ..." if len(lines) > _MAX_LINES_IN_WARNING else "")


def _runaway_quotes(values: pd.Series, delimiter: str, ncols: int):
    """Rows where a quoted value swallowed following lines that look like whole rows.

    A stray opening quote makes a CSV reader run on to the next quote, taking real rows into one
    field; when the field counts still work out nothing else would notice.
    """
    multi = _has_breaks(values)
    runaway = np.zeros(len(values), dtype=bool)
    spans = np.zeros(len(values), dtype=np.int64)
    for pos in np.flatnonzero(multi):  # only the rare values holding line breaks
        parts = re.split(r"\r\n|\r|\n", values.iloc[pos].rstrip("\r\n"))
        if any(part.count(delimiter) >= ncols - 1 for part in parts[1:]):
            runaway[pos], spans[pos] = True, len(parts)
    return runaway, spans


def _too_long(s: pd.Series) -> np.ndarray | None:
    """Mask of values over MAX_FIELD_CHARS characters; None, cheaply (from offsets), if none."""
    arr = pa.array(s.array)
    longest = pc.max(pc.binary_length(arr)).as_py()
    if longest is None or longest <= MAX_FIELD_CHARS:  # bytes >= characters
        return None
    mask = pc.fill_null(pc.greater(pc.utf8_length(arr), MAX_FIELD_CHARS), False)
    mask = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)
    return mask if mask.any() else None


def _reject_unreadable(columns: list, lines: np.ndarray, headers: list[str],
                       where: dict[str, int], replaced: bool):
    """Rows holding a value longer than MAX_FIELD_CHARS (``value_too_long``) or undecodable text
    (``bad_encoding``, when decoding replaced bytes): their reject entries, and the columns and
    lines without them."""
    label = {i: c for c, i in where.items()}
    parts, bad = [], np.zeros(len(lines), dtype=bool)
    for i, s in enumerate(columns):
        found = [(_too_long(s), "value_too_long")]
        if replaced:
            found.append((s.str.contains("\ufffd", regex=False).fillna(False)
                          .to_numpy(dtype=bool), "bad_encoding"))
        for mask, code in found:
            if mask is None or not mask.any():
                continue
            parts.append(pd.DataFrame({
                "line": lines[mask], "column": headers[i],
                "value": s[mask].fillna("").str.slice(0, 500).to_numpy(dtype=object),
                "reason": REASONS[code].format(col=label.get(i, headers[i])),
                "reason_code": code}))
            bad |= mask
    if not bad.any():
        return [], columns, lines, 0
    ok = ~bad
    return parts, [s[ok].reset_index(drop=True) for s in columns], lines[ok], int(bad.sum())


def _duplicate_rows(columns: list, ok: np.ndarray, keys: list[pd.Series]) -> np.ndarray:
    """Rows (among ``ok``) equal in every field to an earlier row.

    A cheap pass first: a hash of the parsed required values (``keys``, aligned with the ``ok``
    rows) finds candidates; only those are compared on every raw field.
    """
    out = np.zeros(len(ok), dtype=bool)
    idx = np.flatnonzero(ok)
    if len(idx) < 2 or not keys:
        return out
    h = np.zeros(len(idx), dtype=np.uint64)
    for key in keys:
        h = h * np.uint64(1_000_003) ^ pd.util.hash_pandas_object(key, index=False).to_numpy()
    candidate = pd.Series(h).duplicated(keep=False).to_numpy()
    if not candidate.any():
        return out
    rows = idx[candidate]
    full = pd.DataFrame({i: c.iloc[rows].reset_index(drop=True) for i, c in enumerate(columns)})
    out[rows[full.duplicated().to_numpy()]] = True
    return out


def _trimmed_id_collisions(raw_ids: pd.Series, ids: pd.Series) -> list[str]:
    """The customer ids written both with and without surrounding whitespace."""
    raw = raw_ids.reset_index(drop=True)
    padded = np.array((raw.str.len() != ids.str.len()).fillna(False), dtype=bool)
    if not padded.any():
        return []
    padded &= ~raw.str.startswith('="').fillna(False).to_numpy(dtype=bool)  # Excel's ="00123"
    plain = set(ids[~padded].dropna().unique())
    return [v for v in ids[padded].dropna().unique() if v in plain]


def _all_blank(s: pd.Series) -> bool:
    return bool((s.str.strip().fillna("") == "").all())


def _blank_rows(data: pd.DataFrame) -> np.ndarray:
    """Rows whose every field is empty or whitespace; checked column by column on the rows still
    in doubt, so a normal file costs one pass over its first column."""
    doubt = np.ones(len(data), dtype=bool)
    for i in data.columns:
        if not doubt.any():
            break
        idx = np.flatnonzero(doubt)
        s = data[i].iloc[idx] if len(idx) < len(data) else data[i]
        doubt[idx] = (s.str.strip().fillna("") == "").to_numpy(dtype=bool)
    return doubt


def _scientific_ids(ids: pd.Series) -> int:
    """How many ids look like Excel's scientific notation (1.23457E+11)."""
    plus = ids.str.contains("+", regex=False).fillna(False).to_numpy(dtype=bool)
    if not plus.any():
        return 0
    return int(ids[plus].str.fullmatch(r"[0-9]\.[0-9]+[eE]\+[0-9]+").sum())


# Every character for which str.isspace() is true (what \s matches in a str pattern), ":" and "：".
_SPACE_OR_COLON = "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000:：]"


def _total_rows(ids: pd.Series) -> np.ndarray:
    """Rows whose customer id is a totals label such as 合计, "合 计" or "Total:"."""
    lowered = ids.str.lower()
    out = np.array(lowered.isin(TOTAL_TOKENS).to_numpy(dtype=bool))  # writable copy
    # The characters of Python's \s spelled out, so Arrow's regex engine runs this (pandas sends
    # \s itself to Python's re, one row at a time: half a second per million ids).
    padded = lowered.str.contains(_SPACE_OR_COLON, regex=True).fillna(False).to_numpy(dtype=bool)
    if padded.any():
        squeezed = lowered[padded].str.replace(r"[\s:：]+", "", regex=True)
        out[padded] |= squeezed.isin(TOTAL_TOKENS).to_numpy(dtype=bool)
    return out


def _build(raw: _Raw, table: str, mapping: dict[str, str] | None, name: str) -> IngestResult:
    warnings = list(raw.warnings)
    headers, duplicates = _unique_headers(raw.headers)
    if duplicates:
        warnings.append(duplicates)
    data = raw.data
    ncols = len(headers)
    blank = _blank_rows(data)
    if blank.any():
        word = "sheet row(s)" if raw.delimiter is None else "line(s)"
        warnings.append(f"{int(blank.sum())} empty row(s) skipped ({word} "
                        f"{_line_list(raw.lines[blank])})")
    keep = ~blank
    # Columns of the data rows, raw text; copying only when blank rows must go.
    columns = ([data[i][keep].reset_index(drop=True) for i in range(ncols)] if blank.any()
               else [data[i].reset_index(drop=True) for i in range(ncols)])
    rows_read = int(keep.sum()) + len(raw.ragged)
    if rows_read == 0:
        raise _header_only(name, raw.header_line)

    where = _resolve(headers, table, mapping, name)
    missing = [c for c in schema.required(table) if c not in where]
    if missing:
        raise _missing_error(name, table, missing, headers)

    lines = raw.lines[keep]
    # Values no row of data holds (over-long, undecodable) reject their row before any parsing.
    early_parts, columns, lines, n_early = _reject_unreadable(columns, lines, headers, where,
                                                              raw.replaced)
    n = len(lines)
    kinds = {c.name: c for c in candidate_columns(table)}
    required = set(schema.required(table))
    parsed: dict[str, Parsed] = {}
    reject_parts: list[pd.DataFrame] = list(early_parts)
    rejected = np.zeros(n, dtype=bool)

    def add_rejects(mask: np.ndarray, canon: str, code: str, *, index: int | None = None,
                    **fmt) -> None:
        nonlocal rejected
        if not mask.any():
            return
        i = where[canon] if index is None else index
        raw_values = columns[i][mask]
        reject_parts.append(pd.DataFrame({
            "line": lines[mask],
            "column": headers[i],
            "value": raw_values.fillna("").str.slice(0, 500).to_numpy(dtype=object),
            "reason": REASONS[code].format(col=canon, **fmt),
            "reason_code": code,
        }))
        rejected |= mask

    for canon, i in where.items():
        col = kinds[canon]
        p = parse_column(columns[i], col.kind, column=canon)
        parsed[canon] = p
        warnings.extend(p.warnings)
        if canon in required:
            add_rejects(p.missing, canon, "missing_value")
        if p.bad.any():
            codes = p.errors.to_numpy(dtype=object)
            for code in pd.unique(codes[p.bad]):
                order = "day-first" if p.dayfirst else "month-first"
                add_rejects(p.bad & (codes == code), canon, code, order=order)
        if canon == "customer_id":
            add_rejects(_total_rows(p.values), canon, "total_row")
        if col.kind == "id":
            mangled = _scientific_ids(p.values)
            if mangled:
                warnings.append(f"{canon}: {mangled} value(s) look like numbers Excel turned into "
                                "scientific notation (e.g. 1.23457E+11); different ids may have "
                                "collapsed into one. Export the column as text")

    if raw.quoted and ncols > 1:
        for i in range(ncols):  # every column, mapped or not: a runaway quote hides rows
            runaway, spans = _runaway_quotes(columns[i], raw.delimiter, ncols)
            for lines_spanned in sorted(set(spans[runaway])):
                label = next((c for c, j in where.items() if j == i), headers[i])
                add_rejects(runaway & (spans == lines_spanned), label, "unbalanced_quote",
                            index=i, lines=lines_spanned)

    if raw.ragged:
        expected = ncols
        reject_parts.append(pd.DataFrame({
            "line": [r[0] for r in raw.ragged],
            "column": "",
            "value": [r[2][:500] for r in raw.ragged],
            "reason": [REASONS["wrong_field_count"].format(found=r[1], expected=expected)
                       for r in raw.ragged],
            "reason_code": "wrong_field_count",
        }))

    ok = ~rejected
    values = {canon: p.values[ok].reset_index(drop=True) for canon, p in parsed.items()}
    copies = _duplicate_rows(columns, ok, [values[c] for c in schema.required(table) if c in values])
    if copies.any():
        warnings.append(f"{int(copies.sum())} row(s) repeat an earlier row exactly (lines "
                        f"{_line_list(lines[copies])}); they were loaded: if the file holds an "
                        "export twice, remove them")
    if "customer_id" in where:
        collided = _trimmed_id_collisions(columns[where["customer_id"]][ok], values["customer_id"])
        if collided:
            warnings.append(f"customer_id: {len(collided)} id(s) are written both with and "
                            f"without surrounding spaces (e.g. '{collided[0]}'); spaces are "
                            "trimmed, so each is one customer")

    if table == "orders":
        if "margin" in values and "cost" not in values:
            values["cost"] = values["amount"] - values["margin"]
            warnings.append("cost computed as amount - margin (the file has a margin column "
                            "and no cost column)")
        elif "margin" in values:
            warnings.append("the file has both cost and margin: cost is used, margin ignored")
        elif "cost" not in values:
            warnings.append("no cost column: profit falls back to revenue")

    tables: dict[str, pd.DataFrame] = {}
    stored = [c.name for c in schema.stored_columns(table)]
    tables[table] = pd.DataFrame({c: values[c] for c in stored if c in values})
    if table == "orders":
        lifted = [c.name for c in schema.stored_columns("customers")
                  if c.name in schema.LIFTED_CUSTOMER_COLUMNS and c.name in values]
        if lifted:
            attrs = pd.DataFrame({c: values[c] for c in ["customer_id"] + lifted})
            # First non-empty value per customer and column (groupby.first skips missing).
            tables["customers"] = (attrs.groupby("customer_id", sort=False, as_index=False)
                                   .first().reset_index(drop=True))

    if table == "customers":
        metrics = _numeric_extras(headers, columns, set(where.values()), ok, values["customer_id"])
        if metrics is not None:
            tables["customer_metrics"] = metrics

    rejects = (pd.concat(reject_parts, ignore_index=True) if reject_parts
               else pd.DataFrame({c: [] for c in REJECT_COLUMNS}))
    rejects = rejects.sort_values("line", kind="stable").reset_index(drop=True)
    rejects["line"] = rejects["line"].astype(np.int64)
    for c in REJECT_COLUMNS[1:]:
        rejects[c] = rejects[c].astype(STR)
    rows_rejected = int(rejected.sum()) + len(raw.ragged) + n_early
    if rows_rejected:
        warnings.append(f"{rows_rejected} of {rows_read} row(s) rejected; see the rejects report")

    used = set(where.values())
    # Unnamed columns that hold nothing (trailing delimiters) are not worth mentioning.
    unmapped = [h for i, h in enumerate(headers) if i not in used
                and not (h.startswith("(column ") and _all_blank(columns[i]))]
    return IngestResult(
        tables=tables, rejects=rejects, rows_read=rows_read, rows_loaded=int(ok.sum()),
        rows_rejected=rows_rejected, encoding=raw.encoding, delimiter=raw.delimiter,
        source_name=name, table=table, mapping={c: headers[i] for c, i in where.items()},
        unmapped=unmapped, warnings=warnings)


def _numeric_extras(headers: list[str], columns: list, used: set[int], ok: np.ndarray,
                    ids: pd.Series) -> pd.DataFrame | None:
    """Numeric columns of a customers file that match no canonical column, in long form.

    Managers keep judgement the data lacks (a strategic-importance score, a credit
    rating) in extra columns; every such column whose filled cells all read as
    numbers is kept as (customer_id, metric, value) so it can become a custom
    dimension. Columns with any text in them are not metrics and are left out.
    """
    parts = []
    for i, header in enumerate(headers):
        if i in used or header.startswith("(column "):
            continue
        parsed = parse_column(columns[i][ok].reset_index(drop=True), "number", column=header)
        present = ~parsed.missing
        if not present.any() or parsed.bad.any():
            continue
        keep = present & parsed.values.notna().to_numpy()
        parts.append(pd.DataFrame({"customer_id": ids[keep].to_numpy(), "metric": header,
                                   "value": parsed.values[keep].to_numpy(dtype=float)}))
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True)


def read_table(source: str | Path | bytes, *, name: str | None = None, table: str = "orders",
               mapping: dict[str, str] | None = None,
               sheet: str | int | None = None, max_mb: float | None = None) -> IngestResult:
    """Read a CSV, TSV/TXT or .xlsx file into canonical tables.

    Parameters
    ----------
    source : str, Path or bytes
        A path, or the raw bytes of an upload (then ``name`` is used in messages). File-like
        objects with ``getvalue()``/``read()`` are accepted too.
    name : str, optional
        File name shown in messages; defaults to the path's name.
    table : {"orders", "customers", "payments", "service"}
        Target table. An orders file also yields ``customers`` from its attribute columns.
    mapping : dict[str, str], optional
        Canonical column -> source header, overriding detection for those columns; a header of
        ``""`` or None leaves that canonical column unmapped.
    sheet : str or int, optional
        Excel sheet name or 0-based index; the first sheet by default.
    max_mb : float, optional
        Refuse files larger than this many MB (``too_large``) before reading them; default
        VALUATION_MAX_FILE_MB, else ``MAX_FILE_MB`` (200, the app's upload limit).

    Returns
    -------
    IngestResult
        Tables, rejects report, counts, encoding, delimiter, mapping and warnings.

    Raises
    ------
    IngestError
        When the file cannot be used at all (empty, not a table, header only, required columns
        missing, bad mapping, unknown table, unreadable encoding).
    """
    _check_table(table)
    data, shown = _source_bytes(source, name, max_file_bytes(max_mb))
    try:
        raw = _raw_from_bytes(data, shown, table, mapping, sheet)
        return _build(raw, table, mapping, shown)
    except IngestError as exc:
        raise _name_other_sheets(exc, data, shown, sheet)
    except MemoryError:
        raise IngestError("read_failed", f"{shown} is too large to load in memory.",
                          file=shown, error="MemoryError") from None
    except Exception as e:  # a user must see a message, never a traceback
        raise IngestError("read_failed", f"{shown} could not be read: {type(e).__name__}: {e}",
                          file=shown, error=f"{type(e).__name__}: {e}") from e


def _name_other_sheets(exc: IngestError, data: bytes, name: str, sheet) -> IngestError:
    """A workbook whose chosen sheet holds no usable table: say which other sheets there are."""
    if exc.code not in ("missing_columns", "header_only", "empty_file") or \
            not data.startswith(b"PK\x03\x04"):
        return exc
    try:
        wb = _open_workbook(data, name)
        names = list(wb.sheetnames)
        wb.close()
    except IngestError:
        return exc
    if sheet is None:
        current = names[0]
    elif isinstance(sheet, str) and sheet in names:
        current = sheet
    else:
        current = names[int(sheet)]
    others = [n for n in names if n != current]
    if not others:
        return exc
    message = (f"{exc.message} (This is sheet '{current}'; the workbook also has: "
               f"{', '.join(others)}. Choose the sheet that holds the table: --sheet on the command "
               "line, or the sheet picker in the app.)")
    return IngestError(exc.code, message, **{**exc.params, "sheet": current, "sheets": names})


def check_loadable(result: IngestResult) -> None:
    """Raise IngestError ``no_rows_loaded`` when every data row was rejected.

    Storing such a load would replace a dataset with nothing. The message names the file and
    the first problem (line, column, reason); the result's rejects report has them all.
    """
    if result.rows_loaded:
        return
    first = result.rejects.iloc[0] if len(result.rejects) else None
    where = (f"line {int(first['line'])}" + (f", column {first['column']}" if first["column"] else "")
             if first is not None else "")
    raise IngestError(
        "no_rows_loaded",
        f"{result.source_name}: none of its {result.rows_read:,} row(s) could be loaded; the first "
        f"problem is on {where}: {first['reason'] if first is not None else ''}. Nothing was "
        "stored; see every problem in the rejects report.",
        file=result.source_name, rows=result.rows_read,
        line=int(first["line"]) if first is not None else 0,
        column=str(first["column"]) if first is not None else "",
        reason=str(first["reason"]) if first is not None else "")


_SNIFF_HEAD_BYTES = 1 << 20


def _valid_utf8(data: bytes, start: int = 0, stop: int | None = None) -> bool:
    """Whether ``data[start:stop]`` is strict UTF-8: Arrow's validator, no copy and no str built."""
    body = pa.py_buffer(data).slice(start, (len(data) if stop is None else stop) - start)
    offsets = pa.py_buffer(np.array([0, body.size], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, body]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _sniff_head(data: bytes) -> bytes:
    """What :func:`sniff` decodes: a big text file's first megabyte, cut after a line end; else all.

    A preview needs the first 64 KB of text, but decoding a 100 MB GB18030 file took seconds.
    The cut is after a line feed: byte 0x0A is never part of a UTF-8 or GB18030/GBK multi-byte
    character, so no character is split. The head gives the encoding of the whole file:

    - a head that is not UTF-8 is GB18030/GBK from its first lines on (or mixes encodings within
      the head, which its decoding reports); ``read_table`` decodes every byte and reports lines
      further on in another encoding;
    - a head that reads as UTF-8 (plain ASCII included) is used only when the rest of the file
      is valid UTF-8 too (a validation, not a decode); otherwise the file is GBK after an ASCII
      head, or mixed, and is decoded whole, as before.

    Workbooks, Parquet, UTF-16 (NUL bytes), small files and files whose first megabyte holds
    fewer than 64 KB of whole lines are returned whole.
    """
    if (len(data) <= _SNIFF_HEAD_BYTES or data[:4] in (b"PK\x03\x04", b"PAR1")
            or b"\x00" in data[:4096] or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))):
        return data
    cut = data.rfind(b"\n", 0, _SNIFF_HEAD_BYTES)
    if cut < _SAMPLE_BYTES:  # very long lines (or CR-only line ends): the preview needs more
        return data
    head = data[:cut + 1]
    if not _valid_utf8(data, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0, cut + 1):
        return head
    return head if _valid_utf8(data, cut + 1) else data


def sniff(source, name: str | None = None, *, table: str = "orders", sheet=None,
          rows: int = 10, max_mb: float | None = None) -> dict:
    """Look at a file before loading it: encoding, delimiter, headers, first rows, mapping.

    Parameters
    ----------
    source : str, Path or bytes
        As for ``read_table``.
    name : str, optional
        File name shown in messages.
    table : str
        Table whose columns the detected mapping refers to.
    sheet : str or int, optional
        Excel sheet.
    rows : int
        How many data rows to return.

    Returns
    -------
    dict
        ``source``, ``kind`` ("csv", "xlsx" or "parquet"), ``encoding`` (of a big text file: that of
        its first megabyte, see :func:`_sniff_head`; "parquet" for a Parquet table), ``delimiter``,
        ``header_line``,
        ``headers``, ``rows`` (DataFrame of raw strings under the headers; also as
        ``preview``), ``mapping``
        (canonical -> header, detected), ``missing`` (required columns not found), ``table``,
        ``sheets`` (xlsx sheet names, else None), ``warnings``.

    Raises
    ------
    IngestError
        For files that cannot be used at all (empty, not a table, unreadable encoding ...).
    """
    _check_table(table)
    data, shown = _source_bytes(source, name, max_file_bytes(max_mb))
    try:
        raw = _raw_from_bytes(_sniff_head(data), shown, table, None, sheet, preview=rows)
        sheets = None
        if raw.delimiter is None and raw.encoding != PARQUET:
            wb = _open_workbook(data, shown)
            sheets = list(wb.sheetnames)
            wb.close()
    except IngestError:
        raise
    except Exception as e:
        raise IngestError("read_failed", f"{shown} could not be read: {type(e).__name__}: {e}",
                          file=shown, error=f"{type(e).__name__}: {e}") from e
    headers, duplicates = _unique_headers(raw.headers)
    if duplicates:
        raw.warnings.append(duplicates)
    preview = raw.data.copy()
    preview.columns = headers
    mapping = detect_mapping(headers, table)
    return {
        "source": shown,
        "kind": PARQUET if raw.encoding == PARQUET else "xlsx" if raw.delimiter is None else "csv",
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "header_line": raw.header_line,
        "headers": list(headers),
        "rows": preview.reset_index(drop=True),
        "preview": preview.reset_index(drop=True),  # alias of "rows" (the data page uses it)
        "mapping": mapping,
        "missing": [c for c in schema.required(table) if c not in mapping],
        "table": table,
        "sheets": sheets,
        "warnings": list(raw.warnings),
    }
