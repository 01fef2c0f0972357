"""python -m valuation report: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

from valuation.cli.common import UsageError, _scoring_source, _settings, check_out, parse_as_of


def cmd_report(args) -> int:
    from valuation.model import persist
    from valuation.present.report import build_report

    as_of, settings = parse_as_of(args.as_of), _settings(args)  # checked before anything is opened
    check_out(args.out, (".html", ".htm"))
    store, dataset = _scoring_source(args)
    try:
        scored = persist.run(store, dataset, as_of, settings)  # the prepared file when one was kept
        currency = store.currency(dataset)
    finally:
        store.close()
    html = build_report(scored, lang=args.lang, dataset=args.dataset or args.file or dataset, settings=settings,
                        currency=currency)
    try:
        args.out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write {args.out}: {exc.strerror or exc}.") from None
    print(f"wrote {args.out} ({len(html) / 1e6:.1f} MB)")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("report", help="write the self-contained HTML report")
    p.add_argument("file", nargs="?", help="an orders file (instead of a stored dataset)")
    p.add_argument("--db", type=Path, default=None)
    p.add_argument("--dataset", default=None)
    p.add_argument("--as-of", default=None)
    p.add_argument("--weights", default=None)
    p.add_argument("--tilt", default=None, help="strategic tilt, e.g. 'industry:能源=15;region:西南=10' "
                   "(points added to the composite of those customers)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", type=Path, required=True, help="the .html file to write")
    p.set_defaults(func=cmd_report)
