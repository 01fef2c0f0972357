"""The command line and the currency of a dataset: set on import, shown by score and report."""

from __future__ import annotations

import json

from valuation.cli.main import main
from valuation.data.store import Store
from valuation.i18n.format import current_currency

ORDERS = "".join(["customer_id,order_date,amount\n"] + [
    f"C{i % 40:03d},2024-{1 + i % 12:02d}-{1 + i % 27:02d},{100 + (i * 37) % 900}\n" for i in range(400)])
DOLLARS = ORDERS.replace("amount\n", "amount (USD)\n")


def ingest(capsys, tmp_path, text: str, *extra: str) -> tuple[int, dict | None, str]:
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    code = main(["ingest", str(path), "--db", str(tmp_path / "x.duckdb"), "--dataset", "d", "--json", *extra])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def test_ingest_currency_eur_stores_euros_and_score_and_report_show_them(tmp_path, capsys):
    code, summary, _ = ingest(capsys, tmp_path, ORDERS, "--currency", "eur")
    assert code == 0 and summary["currency"] == "EUR"
    store = Store(tmp_path / "x.duckdb", read_only=True)
    assert store.currency("d") == "EUR"
    store.close()
    db = ["--db", str(tmp_path / "x.duckdb"), "--dataset", "d"]
    assert main(["score", *db, "--out", str(tmp_path / "x.csv")]) == 0
    assert "money in EUR (€)" in capsys.readouterr().out
    assert main(["score", *db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["currency"] == "EUR"
    assert main(["report", *db, "--lang", "en", "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    body = html[html.index("<body>"):]  # after plotly.js
    assert "€" in body and "¥" not in body
    assert current_currency() == "CNY"  # the command's currency does not outlive it


def test_a_dollar_file_is_stored_as_dollars_without_being_told(tmp_path, capsys):
    code, summary, _ = ingest(capsys, tmp_path, DOLLARS)
    assert code == 0 and summary["currency"] == "USD"
    assert main(["report", "--db", str(tmp_path / "x.duckdb"), "--dataset", "d", "--lang", "zh",
                 "--out", str(tmp_path / "r.html")]) == 0
    body = (tmp_path / "r.html").read_text(encoding="utf-8").split("<body>", 1)[1]
    assert "US$" in body and "万" not in body.replace("万元", "")  # no 万 for dollars


def test_an_unknown_currency_is_refused_before_the_store_is_opened(tmp_path, capsys):
    code, _, err = ingest(capsys, tmp_path, ORDERS, "--currency", "XYZ")
    assert code == 2 and "--currency" in err and "USD" in err
    assert not (tmp_path / "x.duckdb").exists()


def test_the_sample_is_still_in_yuan_with_wan_in_chinese(tmp_path, capsys):
    assert main(["report", "--db", str(tmp_path / "s.duckdb"), "--lang", "zh", "--out", str(tmp_path / "r.html")]) == 0
    body = (tmp_path / "r.html").read_text(encoding="utf-8").split("<body>", 1)[1]
    assert "¥" in body and "万" in body and "US$" not in body
