"""Command line: python -m valuation sample | ingest | score | clv | alerts | attach | features | report."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from valuation import schema


class UsageError(Exception):
    """A mistake in the command's arguments; the message says how to fix it."""


def _parse_map(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        canonical, sep, header = pair.partition("=")
        if not sep or not canonical.strip() or not header.strip():
            raise UsageError(f"--map takes canonical=Header, got {pair!r} "
                             "(for example --map amount=销售额).")
        mapping[canonical.strip()] = header.strip()
    return mapping


def cmd_sample(args) -> int:
    from valuation import sample

    counts = sample.generate(args.out, customers=args.customers, prospects=args.prospects,
                             seed=args.seed)
    print(json.dumps({"out": str(args.out), **counts}, ensure_ascii=False))
    return 0


def cmd_ingest(args) -> int:
    from valuation import ingest
    from valuation.store import open_store

    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"File {args.file} does not exist.")
    result = ingest.read_table(path, table=args.table, mapping=_parse_map(args.map),
                               sheet=args.sheet)
    if args.rejects:
        from valuation.exports import write_csv

        write_csv(result.rejects, args.rejects)
    ingest.check_loadable(result)  # every row rejected: storing it would replace data with nothing
    summary = result.summary()
    if not args.dry_run:
        dataset = args.dataset or path.stem
        with open_store(args.db) as store:
            tables = dict(result.tables)
            if args.table != "orders" or args.append:
                # Adding a non-orders table (or appending) to an existing dataset keeps its other tables.
                if store.has_dataset(dataset):
                    existing = store.export_tables(dataset)
                    existing.update(tables)
                    tables = existing
                elif args.table != "orders":
                    raise UsageError(f"Dataset {dataset!r} does not exist yet: import its orders "
                                     f"first, then add the {args.table} table to it.")
            store.replace_dataset(dataset, tables, source=path.name)
        summary["dataset"] = dataset
        summary["db"] = str(args.db or "")
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
            print(f"Stored as dataset {summary['dataset']!r}.")
    return 0


def _scoring_source(args):
    """(store, dataset, owned) for score/alerts: a FILE in memory, a --db dataset, or the sample."""
    from valuation import ingest
    from valuation.store import SAMPLE_DATASET, Store, default_db_path, ensure_sample

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
    from valuation.settings import Settings, Weights

    settings = Settings()
    if args.weights:
        try:
            settings = Settings(weights=Weights.parse(args.weights))
        except ValueError as exc:
            raise UsageError(f"--weights: {exc}") from None
    return settings


def cmd_score(args) -> int:
    from valuation import pipeline
    from valuation.exports import write_table

    if args.features:  # features computed elsewhere (python -m valuation features): score them as they are
        from valuation.cli_scale import score_features_file

        scored = score_features_file(args.features, args.as_of, _settings(args))
    else:
        store, dataset = _scoring_source(args)
        try:
            scored = pipeline.run(store, dataset, args.as_of, _settings(args))
        finally:
            store.close()
    if args.out:
        write_table(pipeline.output_frame(scored), args.out)
    if args.json:
        print(json.dumps(pipeline.summary(scored), ensure_ascii=False, default=str))
    elif not args.out:
        write_out = pipeline.output_frame(scored)
        print(write_out.to_csv(index=False), end="")
    return 0


def cmd_clv(args) -> int:
    from valuation import clv, ingest

    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"File {args.file} does not exist.")
    orders = ingest.read_table(path, table="orders").tables["orders"]
    try:
        report = clv.fit_clv(orders, calibration_end=args.calibration_end, holdout_end=args.holdout_end,
                             time_unit=args.time_unit)
    except clv.ConvergenceError as exc:
        raise UsageError(f"The CLV models could not be fitted on {path.name}: {exc}") from None
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        bg, gg = report["bgnbd"], report["gamma_gamma"]
        print(f"BG/NBD: r={bg['r']:.4f} alpha={bg['alpha']:.4f} a={bg['a']:.4f} b={bg['b']:.4f} "
              f"loglik={bg['loglik']:.2f}")
        print(f"Gamma-Gamma: p={gg['p']:.4f} q={gg['q']:.4f} gamma={gg['gamma']:.4f}")
        if "holdout" in report:
            print(f"Holdout: actual {report['holdout']['actual']}, predicted {report['holdout']['predicted']:.1f}")
    return 0


def cmd_report(args) -> int:
    from valuation import pipeline
    from valuation.report import build_report

    settings = _settings(args)
    store, dataset = _scoring_source(args)
    try:
        scored = pipeline.run(store, dataset, args.as_of, settings)
    finally:
        store.close()
    html = build_report(scored, lang=args.lang, dataset=args.dataset or args.file or dataset, settings=settings)
    args.out.write_text(html, encoding="utf-8")
    print(f"wrote {args.out} ({len(html) / 1e6:.1f} MB)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m valuation",
                                     description="Customer valuation engine, headless.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write the deterministic sample CSVs")
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--prospects", type=int, default=None,
                   help="pipeline prospects without orders (default: customers / 2)")
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
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("score", help="score and classify every customer")
    p.add_argument("file", nargs="?", help="an orders file to score (instead of a stored dataset)")
    p.add_argument("--db", type=Path, default=None)
    p.add_argument("--dataset", default=None)
    p.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: the last order date)")
    p.add_argument("--weights", default=None, help="e.g. current=30,future=25,credit=15,loyalty=15,growth=15")
    p.add_argument("--out", type=Path, default=None, help=".csv, .xlsx or .parquet")
    p.add_argument("--json", action="store_true", help="print counts and shares as one JSON object")
    p.add_argument("--features", type=Path, default=None,
                   help="a features .parquet file written by `python -m valuation features`")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("clv", help="fit BG/NBD + Gamma-Gamma on an orders file")
    p.add_argument("file")
    p.add_argument("--calibration-end", required=True)
    p.add_argument("--holdout-end", default=None)
    p.add_argument("--time-unit", choices=["D", "W"], default="W")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clv)

    from valuation.actions import add_alerts_parser

    add_alerts_parser(sub)

    from valuation.cli_scale import add_parsers as add_scale_parsers

    add_scale_parsers(sub)  # attach (Parquet in place, features files) and features (DuckDB / Spark)

    p = sub.add_parser("report", help="write the self-contained HTML report")
    p.add_argument("file", nargs="?", help="an orders file (instead of a stored dataset)")
    p.add_argument("--db", type=Path, default=None)
    p.add_argument("--dataset", default=None)
    p.add_argument("--as-of", default=None)
    p.add_argument("--weights", default=None)
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", type=Path, required=True, help="the .html file to write")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    from valuation.ingest import IngestError
    from valuation.store import StoreError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (IngestError, StoreError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was changed.", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for a user, unless they ask for one
        if os.environ.get("VALUATION_DEBUG"):
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc}. Nothing stored was changed. "
              "Set VALUATION_DEBUG=1 for details.", file=sys.stderr)
        return 1
