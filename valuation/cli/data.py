"""python -m valuation sample | ingest | prepare: the deterministic sample, files into a dataset, and
a dataset made ready for the dashboard's first visitors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from valuation.cli.common import (UsageError, _parse_map, check_out, command_line, currency_arg, db_path,
                                  new_dataset_name, writing_store)
from valuation.data import schema
from valuation.i18n.format import CURRENCIES


MAX_SAMPLE_CUSTOMERS = 2_000_000  # about 26 million orders, 80 s here: the benchmarks go to 1 million


def cmd_sample(args) -> int:
    from valuation.data import sample

    if not 1 <= args.customers <= MAX_SAMPLE_CUSTOMERS:
        raise UsageError(f"--customers takes a whole number from 1 to {MAX_SAMPLE_CUSTOMERS:,}, got {args.customers}.")
    if args.prospects is not None and not 0 <= args.prospects <= MAX_SAMPLE_CUSTOMERS:
        raise UsageError(f"--prospects takes a whole number from 0 to {MAX_SAMPLE_CUSTOMERS:,}, "
                         f"got {args.prospects}.")
    check_out(args.out, (), folder=True)  # a folder for the four CSV files
    counts = sample.generate(args.out, customers=args.customers, prospects=args.prospects,
                             seed=args.seed)
    print(json.dumps({"out": str(args.out), **counts}, ensure_ascii=False))
    return 0


def cmd_ingest(args) -> int:
    from valuation.data import ingest

    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"File {args.file} does not exist.")
    mapping = _parse_map(args.map)  # every argument is checked before the file is read or the store opened
    currency = currency_arg(args.currency)
    check_out(args.rejects, (".csv",), option="--rejects")
    db = None if args.dry_run else db_path(args)
    if not args.dry_run:
        dataset = new_dataset_name(args.dataset or path.stem)
    result = ingest.read_table(path, table=args.table, mapping=mapping, sheet=args.sheet)
    if args.rejects:
        from valuation.present.exports import write_csv

        write_csv(result.rejects, args.rejects)
    ingest.check_loadable(result)  # every row rejected: storing it would replace data with nothing
    summary = result.summary()
    if not args.dry_run:
        with writing_store(db, argv=command_line(args)) as store:
            tables = dict(result.tables)
            if args.table != "orders" or args.append:
                # Adding a non-orders table (or appending) to an existing dataset keeps its other tables,
                # and its currency unless the new file names one (or --currency does).
                if store.has_dataset(dataset):
                    existing = store.export_tables(dataset)
                    existing.update(tables)
                    tables = existing
                    if currency is None and not result.currency_counts:
                        currency = store.currency(dataset)
                elif args.table != "orders":
                    raise UsageError(f"Dataset {dataset!r} does not exist yet: import its orders "
                                     f"first, then add the {args.table} table to it.")
            currency = currency or result.currency
            store.replace_dataset(dataset, tables, source=path.name, currency=currency)
        summary["dataset"] = dataset
        summary["db"] = str(db.resolve())
    summary["currency"] = currency or result.currency
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        print(f"{path.name}: {summary['rows_read']} rows read, {summary['rows_loaded']} loaded, "
              f"{summary['rows_rejected']} rejected; encoding {summary['encoding']}, "
              f"delimiter {summary['delimiter']!r}.")
        for warning in summary.get("warnings", []):
            print(f"note: {warning}")
        if summary["rows_rejected"] and not args.rejects:
            print("Rerun with --rejects rejects.csv to get every rejected row with its reason.")
        if "dataset" in summary:
            print(f"Stored as dataset {summary['dataset']!r} in {summary['db']} "
                  f"({summary['rows_loaded']} {args.table} rows; money in {summary['currency']}).")
        else:
            print(f"Money in {summary['currency']} (store it with --currency CODE if that is wrong).")
    return 0


def cmd_prepare(args) -> int:
    """Prepare what the dashboard computes on a dataset's first visit and keeps beside the database
    (valuation/model/persist.py), so every manager's first open after an import or a restart reads
    it: the date shown, the year before it (the evidence beside the sliders, the backtest), what
    each customer made since and the learned weights, the purchase history of the lifecycle
    cohorts, the CLV diagnostics and the purchases per category. Run it after a nightly import."""
    import time

    from valuation.analysis import actions, evidence, funnel, insights, upsell
    from valuation.cli.common import _stored_source, parse_as_of
    from valuation.data import purchase_days, sources
    from valuation.data.store import StoreError
    from valuation.model import persist

    as_of = parse_as_of(args.as_of)
    store, dataset = _stored_source(args)
    steps = []

    def step(name, work):
        start = time.perf_counter()
        result = work()
        steps.append({"step": name, "seconds": round(time.perf_counter() - start, 2)})
        if not args.json:
            print(f"{name}: {steps[-1]['seconds']:.1f} s", flush=True)
        return result

    def number_purchase_days():
        with writing_store(db_path(args), argv=command_line(args)) as writer:
            writer.add_purchase_days(dataset)
    if (sources.dataset_kind(store, dataset) == sources.KIND_IMPORTED
            and store.derived_ref(dataset, purchase_days.TABLE) is None):
        # Imported by an older version: number its purchase days once, as an import now does, so
        # that no date (this run's or a manager's) sorts every order line again.
        store.close()
        try:
            step("numbered purchase days (a dataset imported by an older version)", number_purchase_days)
        except StoreError as exc:  # held by the dashboard's readers, or a read-only file: go on without
            print(f"note: the purchase days of {dataset!r} are numbered by each query until a prepare can "
                  f"write the database ({exc})", file=sys.stderr)
        store, dataset = _stored_source(args)
    try:
        if persist.folder(store) is None:
            raise UsageError("Nothing to keep: prepared files are kept beside a database file.")
        as_of = as_of or sources.date_range(store, dataset)[1]  # the dashboard's default date
        if as_of is None:
            raise UsageError(f"Dataset {dataset!r} has no orders to prepare; import its orders first.")
        prepared = step("the date shown (features, CLV fit, scores)",
                        lambda: persist.prepare_dataset(store, dataset, as_of))
        if sources.dataset_kind(store, dataset) == sources.KIND_FEATURES:
            steps.append({"step": "features computed elsewhere: one date, no order history", "seconds": 0.0})
            return _prepared_summary(args, store, dataset, as_of, steps)
        found = step("the year before it, and what each customer made since",
                     lambda: evidence.build(store, dataset, as_of))
        if found is not None:
            step("the learned weights", lambda: evidence.learned_weights(found))
        step("the purchase history (lifecycle cohorts)", lambda: funnel.purchase_history(store, dataset, as_of))
        model = getattr(prepared.clv_fit, "purchase_model", None) or "bgnbd"
        step("the CLV diagnostics", lambda: insights.kept_clv_diagnostics(store, dataset, as_of, 26, model))
        if prepared.availability.category:
            step("purchases per category", lambda: (upsell.category_purchases(store, dataset, as_of),
                                                     actions.customer_categories(store, dataset, as_of)))
    finally:
        store.close()
    return _prepared_summary(args, store, dataset, as_of, steps)


def _prepared_summary(args, store, dataset: str, as_of, steps: list[dict]) -> int:
    from valuation.cli.common import print_json
    from valuation.model import persist

    kept = sorted(p.name for p in persist.folder(store).rglob("*") if p.is_file() and not p.name.endswith(".tmp"))
    if args.json:
        print_json({"dataset": dataset, "as_of": str(as_of), "steps": steps,
                    "folder": str(persist.folder(store).resolve()), "files": len(kept)})
    else:
        print(f"prepared {dataset!r} as of {as_of} in {sum(s['seconds'] for s in steps):.1f} s; "
              f"{len(kept)} files in {persist.folder(store)}")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("sample", help="write the deterministic sample CSVs")
    p.add_argument("--customers", type=int, default=2000,
                   help=f"customers with orders, 1 to {MAX_SAMPLE_CUSTOMERS:,} (default 2,000)")
    p.add_argument("--prospects", type=int, default=None,
                   help=f"pipeline prospects without orders, 0 to {MAX_SAMPLE_CUSTOMERS:,} (default: customers / 2)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("ingest", help="read a CSV/TSV/Excel file into a dataset")
    p.add_argument("file")
    p.add_argument("--table", choices=list(schema.TABLES), default="orders")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: data/valuation.duckdb)")
    p.add_argument("--dataset", default=None, help="dataset name (default: the file name)")
    p.add_argument("--map", action="append", metavar="canonical=Header",
                   help="use this header for a canonical column; repeatable")
    p.add_argument("--rejects", type=Path, default=None, help="write rejected rows to this CSV")
    p.add_argument("--sheet", default=None,
                   help="Excel sheet by name or 0-based number (default: the first sheet)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--dry-run", action="store_true", help="validate only, store nothing")
    p.add_argument("--append", action="store_true",
                   help="keep the dataset's other tables when replacing one")
    p.add_argument("--currency", default=None, metavar="CODE",
                   help=f"currency of the file's money, one of {', '.join(CURRENCIES)} (default: the one its "
                   "amounts and money headers name, else CNY; a lone ¥ is CNY, so give JPY for yen)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("prepare", help="compute and keep what a dataset's first visit needs (after an import)")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: data/valuation.duckdb)")
    p.add_argument("--dataset", default=None, help="dataset name (default: the sample)")
    p.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: the last order date, as the dashboard)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_prepare)
