"""What the commands share: the usage error, --map and --weights parsing, and where scores come from."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path


class UsageError(Exception):
    """A mistake in the command's arguments; the message says how to fix it."""


def parse_as_of(text: str | None) -> dt.date | None:
    """``--as-of`` as a date; a bad one is a usage error (exit 2) before anything is opened."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise UsageError(f"--as-of takes a date as YYYY-MM-DD, got {text!r}.") from None


def _parse_map(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        canonical, sep, header = pair.partition("=")
        if not sep or not canonical.strip():
            raise UsageError(f"--map takes canonical=Header, got {pair!r} "
                             "(for example --map amount=销售额; --map cost= leaves cost unmapped).")
        mapping[canonical.strip()] = header.strip()  # empty: do not use any column for it
    return mapping


def _scoring_source(args):
    """(store, dataset, owned) for score/alerts: a FILE in memory, a --db dataset, or the sample."""
    from valuation.data import ingest
    from valuation.data.store import SAMPLE_DATASET, Store, default_db_path, ensure_sample

    if args.file:
        path = Path(args.file)
        if not path.exists():
            raise UsageError(f"File {args.file} does not exist.")
        result = ingest.read_table(path, table="orders")
        ingest.check_loadable(result)
        for warning in result.warnings:
            print(f"note: {warning}", file=sys.stderr)
        if result.rows_rejected:
            print(f"note: {result.rows_rejected} rows of {path.name} were rejected; "
                  f"see them with: python -m valuation ingest {path.name} --dry-run --rejects rejects.csv",
                  file=sys.stderr)
        store = Store(":memory:")
        store.replace_dataset("file", result.tables, source=path.name)
        return store, "file"
    store = Store(args.db or default_db_path())
    if args.dataset:
        if not store.has_dataset(args.dataset):
            names = ", ".join(store.datasets()) or "none"
            raise UsageError(f"There is no dataset {args.dataset!r} in {store.path}; datasets: {names}.")
        return store, args.dataset
    ensure_sample(store)
    return store, SAMPLE_DATASET


def _settings(args):
    from valuation.model.settings import Settings, Weights

    settings = Settings()
    if args.weights:
        try:
            settings = Settings(weights=Weights.parse(args.weights))
        except ValueError as exc:
            raise UsageError(f"--weights: {exc}") from None
    return settings


def _json_safe(value):
    """``value`` with every NaN or infinity replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def print_json(value) -> None:
    """One JSON object on stdout, strict: non-finite numbers (e.g. an MBG/NBD boundary b = ∞) as null."""
    print(json.dumps(_json_safe(value), ensure_ascii=False, allow_nan=False, default=str))
