"""Header mapping: which column of a file is which canonical column (English and Chinese synonyms), and where the header is."""

from __future__ import annotations

from collections import Counter

from valuation.data import schema
from valuation.data.files import _HEADER_SEARCH, IngestError, Note, label_note
from valuation.data.headers import header_unit, normalise_header


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


def money_units(headers: list[str], where: dict[str, int], table: str) -> dict[str, tuple[int, str]]:
    """The unit each mapped money column's header declares, where it is not plain yuan.

    Parameters
    ----------
    headers : list[str]
        Header texts as found in the file.
    where : dict[str, int]
        Canonical column -> header index, as mapped (detected or chosen by the user).
    table : str
        Target table.

    Returns
    -------
    dict[str, tuple[int, str]]
        Canonical money column -> (power of ten, unit as written): ``金额(万元)`` gives
        ``{"amount": (4, "万元")}``, ``Amount (CNY thousands)`` ``{"amount": (3, "CNY thousands")}``.
        Columns in yuan (``金额(元)``, ``Amount (CNY)``), without a unit, or not money
        (``数量(千件)``) are absent.
    """
    kinds = {c.name: c.kind for c in candidate_columns(table)}
    out = {}
    for canon, i in where.items():
        if kinds.get(canon) != "money":
            continue
        unit = header_unit(headers[i])
        if unit and unit[0]:
            out[canon] = unit
    return out


def unit_note(column: str, header: str, power: int, unit: str) -> Note:
    """The note that ``column`` (header ``header``) was multiplied by ``10**power`` for ``unit``."""
    return Note("note.unit_scaled", {"header": header, "col": column, "col_label": label_note(column),
                                     "unit": unit, "factor": f"{10 ** power:,}",
                                     "example": f"{1.5 * 10 ** power:,.0f}"})


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


def _unique_headers(headers: list[str]) -> tuple[list[str], Note | None]:
    """Headers made unique: a repeated header keeps its name the first time and becomes
    ``name #2``, ``name #3`` … after (which no detection matches, so the first one wins);
    with a note naming each repeated header and its columns."""
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
            notes.append(Note("load.duplicate_header", {"header": h, "n": n, "columns": ", ".join(cols)}))
    return out, Note("load.duplicate_headers", {"details": notes})


def _display_headers(fields: list[str]) -> list[str]:
    return [f.replace("\ufeff", "").strip() or f"(column {i + 1})" for i, f in enumerate(fields)]


# ============================================================================ delimited text
