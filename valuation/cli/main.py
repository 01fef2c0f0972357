"""Command line: python -m valuation sample | ingest | score | clv | backtest | alerts | attach | features | report | audit."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from valuation.cli import alerts, audit, backtest, data, report, scale, score
from valuation.cli.common import UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m valuation",
                                     description="Customer valuation engine, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    data.add_parsers(sub)  # sample, ingest
    score.add_parsers(sub)  # score, clv
    backtest.add_parsers(sub)
    alerts.add_parsers(sub)
    scale.add_parsers(sub)  # attach (Parquet in place, features files) and features (DuckDB / Spark)
    report.add_parsers(sub)
    audit.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from valuation.data.files import IngestError
    from valuation.data.store import StoreError
    from valuation.i18n.format import using_currency

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # to repeat the command in a message (on a copy of a locked database file)
    try:
        with using_currency(None):  # a command sets its dataset's currency; the caller's is back after
            return args.func(args)
    except (IngestError, StoreError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (| head) closed the output: what ran, ran (an import is stored)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        except OSError:
            pass
        print("note: the output was closed before everything was printed.", file=sys.stderr)
        return 141
    except KeyboardInterrupt:
        print("interrupted; nothing was changed.", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for a user, unless they ask for one
        if os.environ.get("VALUATION_DEBUG"):
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc}. Nothing stored was changed. "
              "Set VALUATION_DEBUG=1 for details.", file=sys.stderr)
        return 1
