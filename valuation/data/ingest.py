"""Read customer files (CSV, TSV/TXT, .xlsx, Parquet) into canonical tables, reporting every row left out."""

from __future__ import annotations

from pathlib import Path

from valuation.data import schema
from valuation.data.files import (
    IngestError,
    _sniff_head,
    _source_bytes,
    encoding_notes,
    max_file_bytes,
)
from valuation.data.mapping import (
    _check_table,
    _unique_headers,
    detect_mapping,
    money_units,
    unit_note,
)
from valuation.data.reading import PARQUET, _open_workbook, _raw_from_bytes
from valuation.data.validate import IngestResult, _build
from valuation.data.workbook import default_sheet


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
        Excel sheet name or 0-based index; by default the first visible sheet (hidden sheets
        before it are skipped, with a note naming them).
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
        missing, bad mapping, unknown table, unreadable encoding), or would grow past the limits
        on rows, cells or decompressed bytes while it is read (``too_many_rows``,
        ``too_many_cells``, ``sheet_too_many_rows``, ``sheet_too_many_cells``,
        ``too_much_decompressed``: :mod:`valuation.data.limits`).
    """
    _check_table(table)
    data, shown = _source_bytes(source, name, max_file_bytes(max_mb))
    try:
        raw = _raw_from_bytes(data, shown, table, mapping, sheet)
        result = _build(raw, table, mapping, shown)
        for note in reversed(encoding_notes(data, raw.encoding, shown)):
            result.add_note(note, first=True)
        return result
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
        default = default_sheet(wb)
        wb.close()
    except IngestError:
        return exc
    if sheet is None:
        current = default.title if default is not None else names[0]
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
        reason=str(first["reason"]) if first is not None else "",
        reason_code=str(first["reason_code"]) if first is not None else "")


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
        its first megabyte, see :func:`_sniff_head`; "parquet" for a Parquet table; "big5" or
        "big5-hkscs" for traditional Chinese), ``delimiter``,
        ``header_line``,
        ``headers``, ``rows`` (DataFrame of raw strings under the headers; also as
        ``preview``), ``mapping``
        (canonical -> header, detected), ``missing`` (required columns not found), ``table``,
        ``sheets`` (xlsx sheet names, else None), ``sheet`` (the sheet shown: the one asked
        for, else the first visible one), ``warnings`` (English), ``notes`` (what the preview
        says before the import, as :class:`Note`, a text in both languages: an unsure GBK/Big5
        decision, a hidden sheet skipped, a unit in a mapped money header; the preview shows
        values as written, before the unit is applied).

    Raises
    ------
    IngestError
        For files that cannot be used at all (empty, not a table, unreadable encoding ...).
    """
    _check_table(table)
    data, shown = _source_bytes(source, name, max_file_bytes(max_mb))
    try:
        head = _sniff_head(data)
        raw = _raw_from_bytes(head, shown, table, None, sheet, preview=rows)
        decoding = encoding_notes(head, raw.encoding, shown)
        sheets = chosen = None
        if raw.delimiter is None and raw.encoding != PARQUET:
            wb = _open_workbook(data, shown)
            sheets = list(wb.sheetnames)
            default = default_sheet(wb)
            wb.close()
            chosen = sheet if sheet is not None else default.title if default is not None else None
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
    units = money_units(headers, {c: headers.index(h) for c, h in mapping.items()}, table)
    scaled = [unit_note(c, mapping[c], power, unit) for c, (power, unit) in units.items()]
    raw_notes = list(getattr(raw, "notes", []))  # from reading (a hidden sheet skipped …)
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
        "sheet": chosen,  # the sheet shown: the one asked for, else the first visible one
        "warnings": [n.text("en") for n in decoding + raw_notes + list(raw.warnings) + scaled],
        "notes": decoding + raw_notes + scaled,
    }
