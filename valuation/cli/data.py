"""python -m valuation sample | ingest: the deterministic sample, and files into a dataset."""

from __future__ import annotations

import json
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
