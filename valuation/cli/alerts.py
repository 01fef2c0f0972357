"""python -m valuation alerts: the three action lists for a sales team, printed or written for a scheduled job."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from valuation.analysis.actions import action_lists, customer_categories
from valuation.analysis.upsell import category_purchases
from valuation.cli.common import UsageError, _scoring_source, _settings, check_out, db_used, parse_as_of
from valuation.data.files import IngestError
from valuation.data.store import StoreError
from valuation.i18n.text import t
from valuation.model import persist
from valuation.present.exports import write_lists

JSON_ROWS = 10  # rows of each list that --json prints


def _records(frame: pd.DataFrame, n: int = JSON_ROWS) -> list[dict]:
    head = frame.head(n).copy()
    for col in head.columns:
        if pd.api.types.is_datetime64_any_dtype(head[col]):
            head[col] = head[col].dt.strftime("%Y-%m-%d")
    return json.loads(head.to_json(orient="records", force_ascii=False, date_format="iso"))


def add_parsers(sub):
    """Add ``alerts`` to the subcommands of ``python -m valuation``; returns its parser."""
    p = sub.add_parser("alerts", help="action lists: high-value customers at risk, declining most valuable "
                                      "customers, growable customers with cross-sell suggestions",
                       description="Score the customers and write the three action lists a sales team works "
                                   "through. Exit code 0 on success, 2 on bad input.")
    p.add_argument("file", nargs="?", help="an orders file to score (instead of a stored dataset)")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: data/valuation.duckdb)")
    p.add_argument("--dataset", default=None, help="dataset in the DuckDB file (default: the sample)")
    p.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: the last order date)")
    p.add_argument("--weights", default=None, help="e.g. current=30,future=25,credit=15,loyalty=15,growth=15")
    p.add_argument("--tilt", default=None, help="strategic tilt, e.g. 'industry:能源=15;region:西南=10' "
                   "(points added to the composite of those customers)")
    p.add_argument("--lang", choices=["zh", "en"], default="en", help="language of the actions and headers")
    p.add_argument("--out", type=Path, default=None,
                   help="a folder for at_risk.csv, declining.csv and growable.csv, or a .xlsx file")
    p.add_argument("--json", action="store_true",
                   help="print the count of each list and its first 10 rows as one JSON object")
    p.set_defaults(func=cmd_alerts)
    return p


def _alerts(args) -> int:
    as_of = parse_as_of(args.as_of)  # every argument is checked before the store is opened
    check_out(args.out, (".xlsx",), folder=True)  # a folder for the CSV files, or one workbook
    settings = _settings(args)
    store, dataset = _scoring_source(args)
    db = db_used(store)
    try:
        scored = persist.run(store, dataset, as_of, settings)  # the prepared file when one was kept
        availability = scored.attrs.get("availability")
        with_categories = availability is None or availability.category
        categories = customer_categories(store, dataset, scored.attrs.get("as_of")) if with_categories else None
        # what each customer buys of each category: the price-band (up-sell) suggestions, as on the page
        bought = category_purchases(store, dataset, scored.attrs.get("as_of")) if with_categories else None
    finally:
        store.close()
    lists = action_lists(scored, categories, args.lang, churned_days=settings.lifecycle.churned_days,
                         purchases=bought)
    files: list[Path] = []
    if args.out:
        try:
            files = write_lists(lists, args.out, args.lang)
        except OSError as exc:
            raise UsageError(f"Cannot write {args.out}: {exc.strerror or exc}.") from None
    notes = {k: f.attrs["note"] for k, f in lists.items() if f.attrs.get("note")}
    if args.json:
        print(json.dumps({
            "dataset": dataset if not args.file else str(args.file),
            "db": db,
            "as_of": str(scored.attrs.get("as_of")),
            "lang": args.lang,
            "counts": {k: int(len(f)) for k, f in lists.items()},
            "notes": notes,
            "files": [str(p) for p in files],
            "top": {k: _records(f) for k, f in lists.items()},
        }, ensure_ascii=False, default=str))
    else:
        for key, frame in lists.items():
            print(f"{t(f'actions.title.{key}', args.lang)}: {len(frame)}")
        for note in notes.values():
            print(f"note: {note}")
        for path in files:
            print(f"written: {path}")
        if not files:
            print("Add --out FOLDER or --out FILE.xlsx to write the lists, or --json to print them.")
    return 0


def cmd_alerts(args) -> int:
    """``python -m valuation alerts``: 0 on success; 2 with one line on stderr when the input is wrong."""
    try:
        return _alerts(args)
    except (UsageError, IngestError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
