"""Read customer files (CSV, TSV/TXT, .xlsx, Parquet) into canonical tables, reporting every row left out."""

from __future__ import annotations

from pathlib import Path

from valuation.data import schema
from valuation.data.files import IngestError, _sniff_head, _source_bytes, max_file_bytes
from valuation.data.mapping import _check_table, _unique_headers, detect_mapping
from valuation.data.reading import PARQUET, _open_workbook, _raw_from_bytes
from valuation.data.validate import IngestResult, _build


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
