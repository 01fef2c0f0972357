"""python -m valuation score | clv: tiers and classes for every customer, and the CLV fit."""

from __future__ import annotations

from pathlib import Path

from valuation.cli.common import (UsageError, _scoring_source, _settings, check_out, db_used, parse_as_of,
                                  print_json)

SCORE_SUFFIXES = (".csv", ".xlsx", ".parquet")


def cmd_score(args) -> int:
    from valuation.model import persist, pipeline
    from valuation.present.exports import write_table

    as_of, settings = parse_as_of(args.as_of), _settings(args)  # checked before anything is opened
    check_out(args.out, SCORE_SUFFIXES)
    source = {"db": None, "dataset": None}
    if args.features:  # features computed elsewhere (python -m valuation features): score them as they are
        from valuation.cli.scale import score_features_file

        scored = score_features_file(args.features, as_of, settings)
        source["features"] = str(args.features)
    else:
        store, dataset = _scoring_source(args)
        source = {"db": db_used(store), "dataset": str(args.file) if args.file else dataset,
                  "currency": store.currency(dataset)}
        try:
            scored = persist.run(store, dataset, as_of, settings)  # its prepared file kept for the dashboard
        finally:
            store.close()
    if args.out:
        frame = pipeline.output_frame(scored)
        frame.attrs = {}  # pandas writes attrs into Parquet as JSON, which has no date (the as-of date)
        try:
            write_table(frame, args.out)
        except OSError as exc:
            raise UsageError(f"Cannot write {args.out}: {exc.strerror or exc}.") from None
        source.update(out=str(args.out), rows=int(len(frame)))
    if args.json:
        print_json({**pipeline.summary(scored), **source})
    elif args.out:
        print(_wrote(args.out, scored))
    else:
        write_out = pipeline.output_frame(scored)
        print(write_out.to_csv(index=False), end="")
    return 0


def _wrote(out: Path, scored) -> str:
    """One line saying what ``score --out`` wrote: the file, its rows, the as-of date and the tier sizes."""
    from valuation.i18n.format import currency_symbol, current_currency
    from valuation.model.tiers import TIERS

    counts = scored["tier"].value_counts()
    tiers = ", ".join(f"{tier.replace('_', ' ')} {int(counts[tier]):,}" for tier in TIERS if tier in counts)
    return (f"wrote {out}: {len(scored):,} customers scored as of {scored.attrs.get('as_of')}; "
            f"tiers {tiers}; money in {current_currency()} ({currency_symbol()}).")


def cmd_clv(args) -> int:
    from valuation.data import ingest
    from valuation.model import clv

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
        print_json(report)
    else:
        for name, label in (("bgnbd", "BG/NBD"), ("mbgnbd", "MBG/NBD")):
            m = report[name]
            print(f"{label}: " + (m["error"] if "error" in m else
                                  f"r={m['r']:.4f} alpha={m['alpha']:.4f} a={m['a']:.4g} b={m['b']:.4g} "
                                  f"loglik={m['loglik']:.2f}" + (f" (ridge {m['penalizer']:g})" if m["penalizer"] else "")))
        gg, ln = report["gamma_gamma"], report["log_normal_spend"]
        print("Gamma-Gamma: " + (gg["error"] if "error" in gg else
                                 f"p={gg['p']:.4f} q={gg['q']:.4f} gamma={gg['gamma']:.4f}"))
        print("Log-normal spend: " + (ln["error"] if "error" in ln else
                                      f"mu={ln['mu']:.4f} tau2={ln['tau2']:.4f} s2={ln['s2']:.4f} "
                                      f"(a new customer's expected order {ln['new_customer_spend']:,.2f})"))
        if "holdout" in report:
            h = report["holdout"]
            models = ", ".join(f"{n} {r['predicted']:.1f} (RMSE {r['rmse']:.3f})" for n, r in h["models"].items())
            print(f"Holdout: actual {h['actual']}, predicted {models}; chosen {h['chosen']}")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("score", help="score and classify every customer")
    p.add_argument("file", nargs="?", help="an orders file to score (instead of a stored dataset)")
    p.add_argument("--db", type=Path, default=None)
    p.add_argument("--dataset", default=None)
    p.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: the last order date)")
    p.add_argument("--weights", default=None, help="e.g. current=30,future=25,credit=15,loyalty=15,growth=15")
    p.add_argument("--tilt", default=None, help="strategic tilt, e.g. 'industry:能源=15;region:西南=10' "
                   "(points added to the composite of those customers)")
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
