"""python -m valuation backtest: score as of an earlier date and compare with what customers really did."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from valuation.cli.common import UsageError, _scoring_source, _settings, parse_as_of
from valuation.data.files import IngestError
from valuation.data.store import StoreError

MAX_HORIZON_MONTHS = 60


def add_parsers(sub):
    """Add ``backtest`` to the subcommands of ``python -m valuation``; returns its parser."""
    p = sub.add_parser(
        "backtest", help="score as of HORIZON months before the as-of date and compare with what happened",
        description="Score the customers as they stood --horizon-months before the as-of date, then measure "
                    "what each really bought in the window after it: realised profit per tier and value "
                    "class, how well CLV ranks customers against last year's profit, predicted vs actual "
                    "purchases. Exit code 0 on success, 2 on bad input.")
    p.add_argument("file", nargs="?", help="an orders file to backtest (instead of a stored dataset)")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: data/valuation.duckdb)")
    p.add_argument("--dataset", default=None, help="dataset in the DuckDB file (default: the sample)")
    p.add_argument("--as-of", default=None, help="end of the window, YYYY-MM-DD (default: the last order date)")
    p.add_argument("--horizon-months", default="12",
                   help=f"length of the window in months, 1 to {MAX_HORIZON_MONTHS} (default 12)")
    p.add_argument("--weights", default=None, help="e.g. current=30,future=25,credit=15,loyalty=15,growth=15")
    p.add_argument("--tilt", default=None, help="strategic tilt, e.g. 'industry:能源=15;region:西南=10' "
                   "(points added to the composite of those customers)")
    p.add_argument("--json", action="store_true", help="print every figure as one JSON object")
    p.set_defaults(func=cmd_backtest)
    return p


def _parse_horizon(text: str) -> int:
    try:
        months = int(str(text).strip())
    except ValueError:
        months = 0
    if not 1 <= months <= MAX_HORIZON_MONTHS:
        raise UsageError(f"--horizon-months takes a whole number of months from 1 to {MAX_HORIZON_MONTHS}, "
                         f"got {text!r}.")
    return months


def _backtest(args) -> int:
    from valuation.analysis.backtest import backtest

    as_of = parse_as_of(args.as_of)  # every argument is checked before the store is opened
    horizon = _parse_horizon(args.horizon_months)
    settings = _settings(args)
    store, dataset = _scoring_source(args)
    try:
        result = backtest(store, dataset, as_of, horizon_months=horizon, settings=settings)
    finally:
        store.close()
    summary = result.summary()
    if args.file:
        summary["dataset"] = str(args.file)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, allow_nan=False))
    else:
        print(_human(result, summary))
    return 0


def _fmt(value, kind: str = "num") -> str:
    if value is None:
        return "n/a"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "corr":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _human(result, summary: dict) -> str:
    counts, rank, win = summary["counts"], summary["ranking"], summary["winner"]
    spearman = (f"{'Spearman vs realised profit':28}{_fmt(rank['clv']['spearman'], 'corr'):>8}"
                f"{_fmt(rank['naive']['spearman'], 'corr'):>8}  {win['spearman'] or 'n/a'}")
    capture = (f"{'top-10% profit capture':28}{_fmt(rank['clv']['top10_capture'], 'share'):>8}"
               f"{_fmt(rank['naive']['top10_capture'], 'share'):>8}  {win['top10_capture'] or 'n/a'}")
    lines = [
        (f"Backtest of {summary['dataset']}: scored as of {result.scored_at}, compared with what happened "
         f"up to {result.as_of} ({result.horizon_months} months)."),
        (f"Customers scored: {counts['customers_scored']:,} ({counts['buyers']:,} buyers, "
         f"{counts['prospects']:,} prospects); {counts['bought_in_window']:,} bought in the window."),
        f"{'':28}{'CLV':>8}{'naive':>8}  better",
        spearman,
        capture,
        "(naive = ranking by the last 12 months' net profit at the scoring date)",
    ]
    purchases, spend = summary["predicted_vs_actual"]["purchases"], summary["predicted_vs_actual"]["spend"]
    lines.append(f"Repeat purchase days: predicted {_fmt(purchases['predicted'])}, actual "
                 f"{_fmt(purchases['actual'])}; spend: predicted {_fmt(spend['predicted'])}, actual "
                 f"{_fmt(spend['actual'])}.")
    lines.append(f"{'tier':<12}{'customers':>10}{'share':>7}{'revenue':>15}{'net profit':>15}"
                 f"{'profit share':>13}{'per customer':>14}")
    for name, row in {**summary["by_tier"], "prospect": summary["prospects"]}.items():
        lines.append(f"{name:<12}{row['customers']:>10,}{_fmt(row['customer_share'], 'share'):>7}"
                     f"{_fmt(row['revenue']):>15}{_fmt(row['net_profit']):>15}"
                     f"{_fmt(row['profit_share'], 'share'):>13}{_fmt(row['profit_per_customer']):>14}")
    lines.append("Tiers ordered by realised profit per customer: "
                 + ("yes" if summary["tiers_ordered"] else "no"))
    lines += [f"note: {note}" for note in summary["notes"]]
    return "\n".join(lines)


def cmd_backtest(args) -> int:
    """``python -m valuation backtest``: 0 on success; 2 with one line on stderr when the input is wrong."""
    from valuation.analysis.backtest import BacktestError

    try:
        return _backtest(args)
    except (UsageError, IngestError, StoreError, BacktestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
