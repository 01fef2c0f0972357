"""From text columns to canonical tables: values parsed, rows rejected with line, column and reason, attributes lifted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from valuation.data import schema
from valuation.data.currency import currency_note, decide
from valuation.data.files import MAX_FIELD_CHARS, Note, _line_list, label_note
from valuation.data.headers import header_currency, totals_labels
from valuation.data.mapping import (
    _missing_error,
    _resolve,
    _unique_headers,
    candidate_columns,
    money_units,
    unit_note,
)
from valuation.data.parsing import REASONS, STR, Parsed, parse_column
from valuation.data.reading import _has_breaks, _header_only, _Raw
from valuation.i18n.format import DEFAULT_CURRENCY

REJECT_COLUMNS = ["line", "column", "value", "reason", "reason_code"]


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
        rows_loaded + rows_rejected``. A row with two problems counts once. Totals lines
        (合计, Total …) are rejected with reason ``total_row``.
    warnings : list[str]
        Notes on the load in English, for the command line and logs.
    notes : list[Note]
        The same notes with a text in both languages (the header found below a title, a unit
        applied to a column, totals lines left out, rows repeated, an unsure GBK/Big5 decision
        …): a key of the i18n table and its parameters; ``warnings`` holds their English texts.
        ``messages(lang)`` gives the warnings in the reader's language.
    currency : str
        The currency of the file's money (``CNY``, ``USD`` …, ``data/currency.py``): the one its
        amounts and money headers name most often, CNY when they name none. Two currencies in one
        file are said in a note (``note.currency_mixed``), another than CNY too (``note.currency_found``).
    currency_counts : dict[str, int]
        How many money values named each currency (a header naming one counts for its whole column).
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
    notes: list[Note] = field(default_factory=list)
    currency: str = DEFAULT_CURRENCY
    currency_counts: dict[str, int] = field(default_factory=dict)

    def add_note(self, note: Note, *, first: bool = False) -> None:
        """Add ``note`` to ``notes`` and its English text to ``warnings`` (at the front if ``first``)."""
        at = 0 if first else len(self.notes)
        self.notes.insert(at, note)
        self.warnings.insert(0 if first else len(self.warnings), note.text("en"))

    def messages(self, lang: str = "en") -> list[str]:
        """The warnings in ``lang``: each note's text in that language, other warnings as written."""
        by_english = {note.text("en"): note for note in self.notes}
        return [by_english[w].text(lang) if w in by_english else w for w in self.warnings]

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
            "currency": self.currency,
            "warnings": list(self.warnings),
        }


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


def _totals_lines(columns: list, parsed: dict[str, Parsed], where: dict[str, int],
                  required: set[str]) -> np.ndarray:
    """The column index of each row's totals label, -1 for an ordinary row.

    A row is a totals line (合计, 本页合计, 小计, Total, Grand total … see
    ``headers.totals_labels``) when

    - its customer id is such a label: no customer's code is 合计 or Total; or
    - another of its cells (the first column, the name, the date …) is one, and the row would
      be rejected anyway because a value is missing or unreadable (an empty customer id, no
      date): ``小计,,,,300`` or a per-customer ``K1,小计,30``.

    So an ordinary row is never dropped for its words: ``TOTAL01``, ``合计科技有限公司`` or a
    customer named ``TOTAL`` on a row with a date and an amount loads.
    """
    n = len(next(iter(parsed.values())).values)
    label = np.full(n, -1, dtype=np.int64)
    ids = parsed["customer_id"].values
    label[totals_labels(ids)] = where["customer_id"]
    doomed = np.zeros(n, dtype=bool)
    for canon, p in parsed.items():
        doomed |= p.bad | (p.missing if canon in required else False)
    doomed &= label < 0
    if doomed.any():
        for i in range(len(columns)):  # left to right: the first label names the line
            rows = np.flatnonzero(doomed & (label < 0))
            if not len(rows):
                break
            hit = totals_labels(columns[i].iloc[rows].reset_index(drop=True))
            label[rows[hit]] = i
    return label


def _build(raw: _Raw, table: str, mapping: dict[str, str] | None, name: str) -> IngestResult:
    # Every remark on the load is a Note (a text in both languages), in the order the command line
    # prints their English texts (``warnings``): from reading the file (a hidden sheet skipped, the
    # encoding, where the header is), then from its headers and values.
    notes: list[Note] = list(getattr(raw, "notes", [])) + list(raw.warnings)
    headers, duplicates = _unique_headers(raw.headers)
    if duplicates:
        notes.append(duplicates)
    data = raw.data
    ncols = len(headers)
    blank = _blank_rows(data)
    if blank.any():
        notes.append(Note("load.blank_sheet_rows" if raw.delimiter is None else "load.blank_lines",
                          {"n": int(blank.sum()), "lines": _line_list(raw.lines[blank])}))
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
    # 金额(万元): values are in units of 10,000 yuan; they are multiplied where they become numbers.
    units = money_units(headers, where, table)
    scaled = [unit_note(canon, headers[where[canon]], power, unit) for canon, (power, unit) in units.items()]

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
        p = parse_column(columns[i], kinds[canon].kind, column=canon,
                         exponent=units[canon][0] if canon in units else 0)
        parsed[canon] = p
        notes.extend(p.notes)
    notes.extend(scaled)
    currency_counts = money_currencies(headers, where, kinds, parsed)
    currency = decide(currency_counts)
    said = currency_note(currency_counts, currency)
    if said is not None:
        notes.append(said)

    # Totals lines first: they are reported as such, not also as a missing date or amount.
    label = _totals_lines(columns, parsed, where, required) if n else np.zeros(0, dtype=np.int64)
    totals = label >= 0
    for i in np.unique(label[totals]):
        canon = next((c for c, j in where.items() if j == i), headers[i])
        add_rejects(label == i, canon, "total_row", index=int(i))
    if totals.any():
        notes.append(Note("note.totals_rows", {"n": int(totals.sum()),
                                               "lines": _line_list(lines[totals])}))

    for canon, i in where.items():
        col, p = kinds[canon], parsed[canon]
        if canon in required:
            add_rejects(p.missing & ~totals, canon, "missing_value")
        if p.bad.any():
            codes = p.errors.to_numpy(dtype=object)
            for code in pd.unique(codes[p.bad & ~totals]):
                order = "day-first" if p.dayfirst else "month-first"
                add_rejects(p.bad & ~totals & (codes == code), canon, code, order=order)
        if col.kind == "id":
            mangled = _scientific_ids(p.values)
            if mangled:
                notes.append(Note("load.scientific_ids", {"col": canon, "col_label": label_note(canon),
                                                          "n": mangled}))

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
        notes.append(Note("load.repeat_rows", {"n": int(copies.sum()), "lines": _line_list(lines[copies])}))
    if "customer_id" in where:
        collided = _trimmed_id_collisions(columns[where["customer_id"]][ok], values["customer_id"])
        if collided:
            notes.append(Note("load.padded_ids", {"n": len(collided), "example": collided[0]}))

    if table == "orders":
        if "margin" in values and "cost" not in values:
            values["cost"] = values["amount"] - values["margin"]
            notes.append(Note("load.cost_from_margin"))
        elif "margin" in values:
            notes.append(Note("load.cost_and_margin"))
        elif "cost" not in values:
            notes.append(Note("load.no_cost"))

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
        notes.append(Note("load.rows_rejected", {"n": rows_rejected, "total": rows_read}))

    used = set(where.values())
    # Unnamed columns that hold nothing (trailing delimiters) are not worth mentioning.
    unmapped = [h for i, h in enumerate(headers) if i not in used
                and not (h.startswith("(column ") and _all_blank(columns[i]))]
    return IngestResult(
        tables=tables, rejects=rejects, rows_read=rows_read, rows_loaded=int(ok.sum()),
        rows_rejected=rows_rejected, encoding=raw.encoding, delimiter=raw.delimiter,
        source_name=name, table=table, mapping={c: headers[i] for c, i in where.items()},
        unmapped=unmapped, warnings=[note.text("en") for note in notes], notes=notes,
        currency=currency, currency_counts=currency_counts)


def money_currencies(headers: list[str], where: dict[str, int], kinds: dict, parsed: dict[str, Parsed]) -> dict[str, int]:
    """How many money values name each currency: by their own signs and words ($12, 12美元), and
    every value of a column whose header names one (金额(美元), amount (USD), Amount $)."""
    counts: dict[str, int] = {}
    for canon, i in where.items():
        if kinds[canon].kind != "money":
            continue
        p = parsed[canon]
        for code, n in p.currencies.items():
            counts[code] = counts.get(code, 0) + n
        named = header_currency(headers[i])
        if named:
            counts[named] = counts.get(named, 0) + int((~p.missing).sum())
    return counts


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
