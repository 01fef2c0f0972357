"""Reading a decoded file into positional text columns: delimited text, Excel workbooks and Parquet tables."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from valuation.data.files import (
    _HEADER_SEARCH,
    _SAMPLE_BYTES,
    DELIMITERS,
    IngestError,
    Note,
    _decode,
    _decode_by_line,
    _file_kind,
)
from valuation.data.limits import Limits, TableBudget, too_much_decompressed
from valuation.data.mapping import _display_headers, _pick_header
from valuation.data.parsing import STR, as_text
from valuation.data.workbook import open_workbook, pick_sheet, read_sheet


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
    warnings: list                # Notes on reading it (encoding, where the header is), in file order
    quoted: bool = False        # the data part contains quote characters
    replaced: bool = False      # undecodable bytes became U+FFFD: rows holding one are rejected
    notes: list = field(default_factory=list)  # Notes (both languages) for the load, not yet in warnings


# ============================================================================ source bytes


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


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _offset_after_lines(buf: bytes, n: int) -> int:
    """Byte offset after the first ``n`` lines, counted as Python's csv module counts them.

    Any line end counts (CRLF, LF, or a lone CR: old Mac files end lines with CR and may hold
    an LF inside a quoted cell), so the offset agrees with the line numbers of :func:`_records`.
    """
    if n <= 0:
        return 0
    for k, match in enumerate(_LINE_END.finditer(buf), 1):
        if k == n:
            return match.end()
    return len(buf)


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
                    mapping: dict[str, str] | None, *, preview: int | None = None,
                    limits: Limits | None = None) -> _Raw:
    sample, complete = _sample(utf8)
    warnings: list[Note] = []
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
        warnings.append(Note("load.header_line", {"line": header_start, "skipped": header_start - 1}))
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

    offset = _offset_after_lines(utf8, header_end)
    if preview is not None:
        rows = [r for r in recs[k + 1:] if any(f.strip() for f in r[2])][:preview]
        df = _frame([[(r[2][i] if i < len(r[2]) else "") for r in rows] for i in range(ncols)])
        return _Raw(display, df, np.array([r[0] for r in rows], dtype=np.int64), [], encoding,
                    delimiter, header_start, warnings)
    if not utf8[offset:offset + 4096].strip() and not utf8[offset:].strip():
        raise _header_only(name, header_start)
    quoted = utf8.find(b'"', offset) >= 0
    _check_delimited_size(utf8, offset, delimiter, ncols, quoted, name, limits or Limits.from_env())
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


def _check_delimited_size(utf8: bytes, offset: int, delimiter: str, ncols: int, quoted: bool,
                          name: str, limits: Limits) -> None:
    """Refuse a text file whose data rows would pass the row or cell limit, before parsing them.

    A record is at least one line, so the line count bounds the records (a cheap count of line
    ends); only when that bound passes a limit and quoted values might hold line breaks are the
    records counted exactly, by a streaming parse that stops at the limit.
    """
    body = memoryview(utf8)[offset:]
    crlf = utf8.count(b"\r\n", offset)
    lines = utf8.count(b"\n", offset) + utf8.count(b"\r", offset) - crlf
    if body and utf8[-1:] not in (b"\n", b"\r"):
        lines += 1  # a last line without a line end
    budget = TableBudget(name, limits)
    if lines <= limits.rows and lines * ncols <= limits.cells:
        return
    if not quoted:
        budget.check(lines + 1, ncols)
        return
    names = [f"c{i}" for i in range(ncols)]
    ragged = [0]  # rows of another width are rows too: they are kept, as rejects

    def skipped(row):
        ragged[0] += 1
        return "skip"

    records = 0
    try:
        reader = pacsv.open_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=True,
                                             ignore_empty_lines=False, invalid_row_handler=skipped),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                 include_columns=names[:1]))
        for batch in reader:
            records += batch.num_rows
            budget.check(records + ragged[0] + 1, ncols)
    except (pa.ArrowException, ValueError):  # a value Arrow cannot parse in one block: the bound decides
        budget.check(lines + 1, ncols)


def _header_only(name: str, header_line: int) -> IngestError:
    return IngestError("header_only",
                       f"{name} has a header row (line {header_line}) but no data rows.",
                       file=name, header_line=header_line)


# ============================================================================ xlsx

_open_workbook = open_workbook  # the name ingest.py imports


def _read_xlsx(data: bytes, name: str, table: str, mapping: dict[str, str] | None,
               sheet, *, preview: int | None = None, limits: Limits | None = None) -> _Raw:
    limits = limits or Limits.from_env()
    wb = open_workbook(data, name, limits)
    try:
        ws, skipped = pick_sheet(wb, sheet, name)
        limit = None if preview is None else _HEADER_SEARCH + preview + 1
        columns = read_sheet(ws, name, limits, limit)  # index i = sheet row i + 1
    finally:
        wb.close()
    width = len(columns)
    if width == 0:
        raise IngestError("empty_file", f"{name} is empty: the sheet has no cells with values.",
                          file=name)
    search = min(len(columns[0]), _HEADER_SEARCH)
    head = [c.slice(0, search).to_pylist() for c in columns]
    k = _pick_header([(i + 1, [c[i] for c in head]) for i in range(search)], table, mapping)
    warnings = []
    if k > 0:
        warnings.append(Note("load.header_sheet_row", {"row": k + 1, "skipped": k}))
    header = [c[k] for c in head]
    body = [c.slice(k + 1) for c in columns]
    lines = np.arange(k + 2, k + 2 + len(body[0]), dtype=np.int64)
    if preview is not None:
        rows = [list(r) for r in zip(*(c.to_pylist() for c in body))]
        keep = [i for i, r in enumerate(rows) if any(v.strip() for v in r)][:preview]
        df = _frame([[rows[i][j] for i in keep] for j in range(width)])
        lines = lines[keep]
    else:
        df = pd.DataFrame({i: c.to_pandas(types_mapper=lambda t: STR) for i, c in enumerate(body)})
    return _Raw(_display_headers(header), df, lines, [], "xlsx", None, k + 1, warnings,
                notes=[skipped] if skipped else [])


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


def _decoded_bytes(column: pa.ChunkedArray) -> int:
    """Bytes of text a dictionary-encoded column becomes once decoded (its values, not a copy)."""
    total = 0
    for chunk in column.chunks:
        if isinstance(chunk, pa.DictionaryArray) and len(chunk):
            lengths = pc.binary_length(chunk.dictionary) if (
                pa.types.is_string(chunk.dictionary.type) or pa.types.is_binary(chunk.dictionary.type)
                or pa.types.is_large_string(chunk.dictionary.type)
                or pa.types.is_large_binary(chunk.dictionary.type)) else None
            if lengths is not None:
                total += int(pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0)
    return total


def _check_parquet(parquet, name: str, limits: Limits) -> None:
    """Refuse a Parquet file past the limits from its footer, before a value is read.

    The footer gives the rows, the values of every column (a nested column counts each value),
    and the bytes each column's pages unpack to: a 0.5 MB file of forty million repeated rows
    passed the upload limit and took gigabytes to read.
    """
    meta = parquet.metadata
    columns = len(parquet.schema_arrow.names)
    TableBudget(name, limits).check(meta.num_rows + 1, columns)  # + 1: the column names
    values, unpacked = 0, {}
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            chunk = group.column(c)
            values += chunk.num_values
            unpacked[chunk.path_in_schema] = (unpacked.get(chunk.path_in_schema, 0)
                                              + chunk.total_uncompressed_size)
    if values > limits.cells:
        TableBudget(name, limits).check(meta.num_rows + 1, max(columns, -(-values // max(meta.num_rows, 1))))
    if sum(unpacked.values()) > limits.decompressed_bytes:
        largest = max(unpacked, key=unpacked.get)
        raise too_much_decompressed(name, f"column {largest}", unpacked[largest], limits.decompressed_bytes)


def _read_parquet(data: bytes, name: str, *, preview: int | None = None,
                  limits: Limits | None = None) -> _Raw:
    """A Parquet table (an orders export from a data lake) as text columns, read like a CSV file.

    Every column becomes the text Arrow writes for it (dates 2024-01-05, numbers 1234.5), so the
    mapping, the validation of every value and the rejects report are those of a CSV file.
    ``lines`` are row numbers in the file, from 1 (there is no header line).

    Within the limits (:mod:`valuation.data.limits`): the footer is checked first; then the file
    is read one row group at a time, text columns kept dictionary-encoded until the text they
    decode to has been counted.
    """
    import pyarrow.parquet as pq

    limits = limits or Limits.from_env()
    produced = 0

    def as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
        nonlocal produced
        produced += _decoded_bytes(column)
        if produced > limits.decompressed_bytes:
            raise too_much_decompressed(name, "the text of its values", produced, limits.decompressed_bytes)
        text = _parquet_text(column)
        produced += text.nbytes - _decoded_bytes(column)
        if produced > limits.decompressed_bytes:
            raise too_much_decompressed(name, "the text of its values", produced, limits.decompressed_bytes)
        return text

    try:
        schema = pq.ParquetFile(pa.BufferReader(data)).schema_arrow
        texts = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                 or pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
        parquet = pq.ParquetFile(pa.BufferReader(data), read_dictionary=texts)
        if preview is None:
            _check_parquet(parquet, name, limits)
        names = list(parquet.schema_arrow.names)
        parts: list[list[pa.ChunkedArray]] = [[] for _ in names]
        if preview is None:
            for g in range(parquet.metadata.num_row_groups):
                group = parquet.read_row_group(g)
                for i in range(len(names)):
                    parts[i].append(as_text(group.column(i)))
                del group
        else:
            batch = next(parquet.iter_batches(batch_size=max(int(preview), 1)), None)
            if batch is not None:
                group = pa.Table.from_batches([batch])
                for i in range(len(names)):
                    parts[i].append(as_text(group.column(i)))
    except IngestError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise IngestError("bad_parquet", f"{name} is a Parquet file that could not be read ({exc}). "
                          "Write it again, or export the table as CSV.", file=name, detail=str(exc)) from None
    if not names:
        raise IngestError("empty_file", f"{name} is empty: there is nothing to load.", file=name)
    columns = [pa.chunked_array([c for part in p for c in part.chunks], pa.large_string()) for p in parts]
    rows = len(columns[0])
    if rows == 0 and preview is None:
        raise IngestError("header_only", f"{name} has columns but no rows.", file=name, header_line=0)
    df = pd.DataFrame({i: c.to_pandas(types_mapper=lambda t: STR) for i, c in enumerate(columns)})
    lines = np.arange(1, rows + 1, dtype=np.int64)
    return _Raw(_display_headers([str(c) for c in names]), df, lines, [], PARQUET, None, 0, [])


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
