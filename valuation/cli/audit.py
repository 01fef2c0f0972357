"""python -m valuation audit: who imported, replaced, deleted, attached or saved what, and when."""

from __future__ import annotations

from pathlib import Path

from valuation.cli.common import UsageError, command_line, db_path, open_db, print_json


def cmd_audit(args) -> int:
    from valuation.data.store import audit_log

    if not 1 <= args.limit <= 100_000:
        raise UsageError(f"--limit takes a whole number from 1 to 100,000, got {args.limit}.")
    path = db_path(args)
    if not path.exists():
        raise UsageError(f"There is no database file at {path}.")
    store = open_db(path, write=False, argv=command_line(args))
    try:
        log = audit_log(store, args.limit)
    finally:
        store.close()
    if args.json:
        print_json({"db": str(path.resolve()), "entries": [
            {**row, "happened_at": row["happened_at"].isoformat(timespec="seconds"),
             "row_count": None if row["row_count"] != row["row_count"] else int(row["row_count"])}
            for row in log.to_dict("records")]})
        return 0
    if log.empty:
        print(f"No changes recorded in {path}.")
        return 0
    for row in log.itertuples():
        rows = "" if row.row_count != row.row_count or row.row_count is None else f" ({int(row.row_count):,} rows)"
        print(f"{row.happened_at:%Y-%m-%d %H:%M:%S}  {row.actor} [{row.role}]  {row.action}  "
              f"{row.dataset or ''}{rows}")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("audit", help="the audit log: who changed which dataset or view, and when",
                       description="Print the store's audit log, newest first: imports, replacements, "
                                   "deletions, attached folders and features, saved views; with the user "
                                   "(the signed-in email on a shared server, 'local' on the command line), "
                                   "their role and row counts. Read-only. Exit 0, or 2 on bad input.")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: data/valuation.duckdb)")
    p.add_argument("--limit", type=int, default=500, help="newest entries to show, 1 to 100,000 (default 500)")
    p.add_argument("--json", action="store_true", help="print the entries as one JSON object")
    p.set_defaults(func=cmd_audit)
