"""Command line for data beyond one machine: ``attach`` (Parquet in place, or a features file)
and ``features`` (the per-customer features on DuckDB or Spark, written as Parquet)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def cmd_attach(args) -> int:
    from valuation.cli.common import UsageError, command_line, currency_arg, db_path, new_dataset_name, writing_store
    from valuation.data import sources

    path = str(args.path)
    dataset = new_dataset_name(args.dataset)  # every argument is checked before the store is opened
    currency = currency_arg(args.currency)
    db = db_path(args)
    is_file = not sources.is_remote(path) and Path(path).is_file()
    if not sources.is_remote(path) and not is_file:
        sources.locate(path)  # a local folder without orders is refused before the store is opened
    if is_file and not sources.is_features_file(path):
        raise UsageError(f"{path} is a file but not a features file: attach takes a folder of Parquet "
                         "files (orders/, customers/, payments/, service/) or a file written by "
                         "python -m valuation features --out FILE.parquet.")
    with writing_store(db, argv=command_line(args)) as store:
        if is_file:
            summary = sources.attach_features(store, dataset, path, currency=currency)
        else:
            summary = sources.attach_parquet(store, dataset, path, currency=currency)
    summary["db"] = str(db.resolve())
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, default=str))
    elif summary["kind"] == sources.KIND_FEATURES:
        print(f"Stored features of {summary['customers']} customers as of {summary['as_of']} "
              f"as dataset {summary['dataset']!r} in {summary['db']} (scored as they are).")
    else:
        print(f"Attached {summary['path']} as dataset {summary['dataset']!r} in {summary['db']}: "
              f"{summary['orders']} order rows read in place; tables "
              f"{', '.join(summary['tables'])}.")
    return 0


def cmd_features(args) -> int:
    from valuation.data import engines, sources

    conf = {}
    for pair in args.conf or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            from valuation.cli.common import UsageError

            raise UsageError(f"--conf takes KEY=VALUE, got {pair!r} (e.g. --conf spark.driver.memory=8g).")
        conf[key.strip()] = value.strip()
    from valuation.cli.common import check_out, parse_as_of

    as_of = parse_as_of(args.as_of)
    check_out(args.out, (".parquet",))
    started = time.perf_counter()
    features = engines.run_features(args.engine, args.source, as_of, master=args.master,
                                    remote=args.remote, conf=conf)
    seconds = time.perf_counter() - started
    out = sources.write_features(features, args.out, engine=args.engine, source=str(args.source))
    summary = {"out": str(out), "engine": args.engine, "source": str(args.source),
               "as_of": str(features.attrs["as_of"]), "customers": int(len(features)),
               "with_orders": int(features["has_orders"].sum()), "seconds": round(seconds, 2)}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"Features of {summary['customers']} customers as of {summary['as_of']} computed on "
              f"{args.engine} in {seconds:.1f} s, written to {out}. Score them with: "
              f"python -m valuation score --features {out}", file=sys.stdout)
    return 0


def score_features_file(path, as_of, settings):
    """Scored customers from a features file (``score --features``)."""
    from valuation.data import sources
    from valuation.data.store import StoreError
    from valuation.model import pipeline

    features = sources.read_features(path)
    if as_of is not None and str(features.attrs["as_of"]) != str(as_of):
        raise StoreError("features_as_of", f"{path} holds features as of {features.attrs['as_of']}, "
                         f"not {as_of}: compute them again with --as-of {as_of}.")
    custom = tuple(c for c, _ in settings.weights.custom)
    return pipeline.score(pipeline.prepare_features(features, settings.clv, custom), settings)


def add_parsers(sub) -> None:
    p = sub.add_parser("attach", help="register Parquet files read in place, or a features file, as a dataset")
    p.add_argument("path", help="a folder with orders/ (and customers/, payments/, service/) of Parquet "
                                "files, local or s3://…; or a features .parquet file")
    p.add_argument("--dataset", required=True, help="dataset name")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: data/valuation.duckdb)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--currency", default=None, metavar="CODE",
                   help="currency of the data's money, e.g. USD (default CNY)")
    p.set_defaults(func=cmd_attach)

    p = sub.add_parser("features", help="compute per-customer features on DuckDB or Spark into Parquet")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    p.add_argument("--source", required=True,
                   help="Parquet dataset folder (local, s3a://…) or, on Spark, a catalog database "
                        "with tables orders, customers, payments, service")
    p.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: the last order date)")
    p.add_argument("--master", default=None, help="Spark master for local mode (default local[*])")
    p.add_argument("--remote", default=None, help="Spark Connect URL of a cluster, e.g. sc://HOST:15002")
    p.add_argument("--conf", action="append", metavar="KEY=VALUE",
                   help="a Spark setting, repeatable, e.g. --conf spark.driver.memory=4g for local "
                        "mode on millions of orders (the default is 1g)")
    p.add_argument("--out", type=Path, required=True, help="the features .parquet file to write")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_features)
