"""A full disk during an import: the message says so, in both languages, and everything stored
before is as it was (issue #14, finding 7: the Data page showed a raw error and the command line
"cannot rollback - no transaction is active")."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from valuation.data.store import Store, StoreError
from valuation.i18n.text import t


class FullDisk:
    """A cursor whose writes fail as DuckDB's do on a full disk, after which DuckDB has already
    ended the transaction (so the rollback finds none)."""

    def __init__(self, cur):
        self._cur, self._failed = cur, False

    def execute(self, sql, *args, **kwargs):
        if sql.startswith("INSERT INTO") and "_incoming" in sql:
            self._failed = True
            self._cur.execute("ROLLBACK")
            raise duckdb.IOException('IO Error: Could not write file "x.duckdb": No space left on device')
        if sql == "ROLLBACK" and self._failed:
            raise duckdb.TransactionException("TransactionContext Error: cannot rollback - no transaction is active")
        return self._cur.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cur, name)


def orders(customer: str) -> dict[str, pd.DataFrame]:
    return {"orders": pd.DataFrame({"customer_id": [customer], "order_date": pd.to_datetime(["2024-01-01"]),
                                    "amount": [1.0]})}


def test_a_full_disk_says_so_and_loses_nothing(tmp_path, monkeypatch):
    store = Store(tmp_path / "d.duckdb")
    store.replace_dataset("east", orders("kept"))
    real = Store.cursor
    monkeypatch.setattr(Store, "cursor", lambda self: FullDisk(real(self)))
    with pytest.raises(StoreError) as caught:
        store.replace_dataset("east", orders("new"))
    assert caught.value.code == "disk_full"
    assert "no transaction" not in str(caught.value) and "is full" in str(caught.value)
    monkeypatch.setattr(Store, "cursor", real)
    assert store.read("east", "orders")["customer_id"].tolist() == ["kept"]
    assert "磁盘已满" in t("err.disk_full", "zh", path=store.path)
    store.close()


def test_the_command_line_says_the_disk_is_full_and_exits_2(tmp_path, monkeypatch, capsys):
    from valuation.cli.main import main

    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\na,2024-01-01,10\n", encoding="utf-8")
    real = Store.cursor
    monkeypatch.setattr(Store, "cursor", lambda self: FullDisk(real(self)))
    assert main(["ingest", str(path), "--db", str(tmp_path / "c.duckdb"), "--dataset", "east"]) == 2
    err = capsys.readouterr().err
    assert "is full" in err and "cannot rollback" not in err
