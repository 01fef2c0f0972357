"""The command line: ingest, score and clv as a scheduled job would run them."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from valuation.cli.main import build_parser, main
from valuation.data.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"

ORDERS_GBK = ("客户编号,客户名称,下单日期,销售额,地区\n"
              "A1,甲公司,2024年1月5日,\"¥1,234.50\",华东\n"
              "A1,甲公司,2024/2/5,500元,华东\n"
              "B2,乙公司,2024-03-01,(100.00),华南\n"
              "B2,乙公司,2024-03-02,800,华南\n"
              "C3,丙公司,2024-13-40,100,华北\n")


@pytest.fixture
def gbk_file(tmp_path):
    path = tmp_path / "订单.csv"
    path.write_bytes(ORDERS_GBK.encode("gb18030"))
    return path


def run_json(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def test_ingest_json_reports_rows_amounts_encoding_and_mapping(gbk_file, tmp_path, capsys):
    code, report, _ = run_json(capsys, "ingest", str(gbk_file), "--db", str(tmp_path / "x.duckdb"),
                               "--dataset", "east", "--rejects", str(tmp_path / "rejects.csv"), "--json")
    assert code == 0
    assert report["rows_read"] == 5 and report["rows_loaded"] == 4 and report["rows_rejected"] == 1
    assert report["customers"] == 2
    assert report["amount_total"] == pytest.approx(1234.50 + 500 - 100 + 800)
    assert report["encoding"] == "gb18030" and report["delimiter"] == ","
    assert report["mapping"]["amount"] == "销售额" and report["mapping"]["order_date"] == "下单日期"
    rejects = pd.read_csv(tmp_path / "rejects.csv", encoding="utf-8-sig")
    assert rejects.loc[0, "line"] == 6 and rejects.loc[0, "column"] == "下单日期"
    store = Store(tmp_path / "x.duckdb", read_only=True)
    assert len(store.read("east", "orders")) == 4
    assert sorted(store.read("east", "customers")["region"]) == ["华东", "华南"]


def test_ingest_map_overrides_a_header(tmp_path, capsys):
    path = tmp_path / "o.csv"
    path.write_text("cust,when,money\nA,2024-01-01,10\n", encoding="utf-8")
    code, report, _ = run_json(capsys, "ingest", str(path), "--dry-run", "--json",
                               "--map", "customer_id=cust", "--map", "order_date=when", "--map", "amount=money")
    assert code == 0 and report["rows_loaded"] == 1


def test_missing_required_column_exits_2_naming_it_and_the_columns_found(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("客户编号,订单日期\nA,2024-01-01\n", encoding="utf-8")
    code = main(["ingest", str(path), "--db", str(tmp_path / "x.duckdb")])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.csv" in err and "amount" in err and "客户编号" in err and "订单日期" in err
    assert "Traceback" not in err


def test_a_failed_import_leaves_the_stored_dataset_exactly_as_it_was(gbk_file, tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert main(["ingest", str(gbk_file), "--db", str(db), "--dataset", "east"]) == 0
    before = Store(db, read_only=True)
    orders_before = before.read("east", "orders")
    before.close()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["ingest", str(empty), "--db", str(db), "--dataset", "east"]) == 2
    header_only = tmp_path / "header.csv"
    header_only.write_text("客户编号,订单日期,金额\n", encoding="utf-8")
    assert main(["ingest", str(header_only), "--db", str(db), "--dataset", "east"]) == 2
    after = Store(db, read_only=True)
    pd.testing.assert_frame_equal(after.read("east", "orders"), orders_before)
    capsys.readouterr()


def test_unusable_files_get_their_own_messages_and_no_traceback(tmp_path, capsys):
    png = tmp_path / "picture.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert main(["ingest", str(png), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "picture.csv" in err and "Traceback" not in err
    assert main(["ingest", str(tmp_path / "nowhere.csv"), "--dry-run"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_score_json_counts_every_classification(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    code, summary, _ = run_json(capsys, "score", "--db", str(db), "--json")
    assert code == 0
    assert summary["customers"] == 3000
    assert sum(summary["tier"].values()) == 3000
    # prospects are customers without orders yet: counted apart, as their tier
    assert summary["buyers"] + summary["prospects"] == 3000 and summary["prospects"] == summary["tier"]["prospect"]
    assert set(summary["lifecycle_stage"]) == {"target", "prospect", "opportunity", "new", "repeat", "loyal",
                                               "at_risk", "dormant", "churned", "woken", "won_back"}
    assert set(summary["value_class"]) == {"most_valuable", "growable", "below_zero", "maintain", "prospect"}
    assert summary["value_class"]["prospect"] == summary["tier"]["prospect"]  # no orders: no value class
    # Seed 000 in money: the fewest customers bringing 40% of actual value, about 5% of buyers.
    assert summary["value_class"]["most_valuable"] == 104
    assert summary["value_class"]["below_zero"] > 0
    assert summary["tier_share"]["A"]["profit"] > summary["tier_share"]["A"]["customers"] * 5
    assert summary["clv_method"] == "model"


def test_score_writes_a_csv_with_a_bom_and_the_named_columns(gbk_file, tmp_path, capsys):
    out = tmp_path / "scored.csv"
    assert main(["score", str(gbk_file), "--out", str(out), "--weights",
                 "current=50,future=10,credit=10,loyalty=20,growth=10"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    scored = pd.read_csv(out, encoding="utf-8-sig")
    for col in ("customer_id", "name", "current", "future", "loyalty", "growth", "composite", "tier",
                "value_class", "rfm_segment", "lifecycle_stage", "clv", "revenue_total", "orders",
                "days_since_last_order", "net_profit_12m"):
        assert col in scored.columns
    assert "credit" not in scored.columns  # no payments: reported missing, not faked
    assert sorted(scored["customer_id"]) == ["A1", "B2"]
    capsys.readouterr()


def test_bad_weights_are_a_usage_error(capsys):
    assert main(["score", "--weights", "loyalty=lots"]) == 2
    assert "--weights" in capsys.readouterr().err


def test_clv_command_reproduces_the_cdnow_figures(cdnow_dir, tmp_path, capsys):
    raw = pd.read_csv(cdnow_dir / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "cust", "date", "n_cds", "dollars"], dtype={"date": str})
    path = tmp_path / "cdnow.csv"
    raw.rename(columns={"cust": "customer_id", "date": "order_date", "dollars": "amount"})[
        ["customer_id", "order_date", "amount"]].to_csv(path, index=False)
    code, report, _ = run_json(capsys, "clv", str(path), "--calibration-end", "1997-09-30",
                               "--holdout-end", "1998-06-30", "--time-unit", "W", "--json")
    assert code == 0
    bg, gg = report["bgnbd"], report["gamma_gamma"]
    for got, want in [(bg["r"], 0.243), (bg["alpha"], 4.414), (bg["a"], 0.793), (bg["b"], 2.426),
                      (bg["loglik"], -9582.4), (gg["p"], 6.25), (gg["q"], 3.74), (gg["gamma"], 15.44)]:
        assert got == pytest.approx(want, rel=0.01)
    assert report["holdout"]["actual"] == 1882
    assert report["holdout"]["predicted"] == pytest.approx(1653.4, abs=1)


def test_python_dash_m_valuation_runs_as_a_process(tmp_path):
    done = subprocess.run([sys.executable, "-m", "valuation", "sample", "--customers", "50", "--seed", "3",
                           "--out", str(tmp_path / "s")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["customers"] == 75 and counts["orders"] > 0


@pytest.mark.parametrize("argv, says", [
    (["score", "--as-of", "2026-13-01"], "--as-of takes a date as YYYY-MM-DD"),
    (["score", "--as-of", "yesterday"], "--as-of takes a date as YYYY-MM-DD"),
    (["report", "--as-of", "x", "--out", "r.html"], "--as-of takes a date as YYYY-MM-DD"),
    (["score", "--weights", "current=inf"], "from 0 to 100"),
    (["score", "--weights", "current=1000"], "from 0 to 100"),
    (["score", "--weights", "current=nan"], "from 0 to 100"),
    (["alerts", "--weights", "growth=101"], "from 0 to 100"),
    (["sample", "--customers", "-5", "--out", "s"], "--customers takes a whole number from 1 to 2,000,000"),
    (["sample", "--customers", "2000001", "--out", "s"], "--customers takes a whole number from 1 to 2,000,000"),
])
def test_an_out_of_range_argument_exits_2_with_the_range_before_anything_runs(argv, says, tmp_path, capsys,
                                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VALUATION_DB", str(tmp_path / "untouched.duckdb"))
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "untouched.duckdb").exists() and not (tmp_path / "s").exists()


def test_score_json_is_strict_json(tmp_path, capsys):
    assert main(["score", "--db", str(tmp_path / "s.duckdb"), "--json"]) == 0
    out = capsys.readouterr().out

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")
    assert json.loads(out, parse_constant=refuse)["customers"] == 3000


def test_ingest_with_the_output_closed_early_still_stores_and_never_says_nothing_changed(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\na,2024-01-01,10\n", encoding="utf-8")
    db = tmp_path / "piped.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "valuation", "ingest", str(path), "--db", str(db),
                             "--dataset", "piped"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[1])
    proc.stdout.close()  # like `| head -0`: the reader is gone before the command prints
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Nothing stored was changed" not in err and "Traceback" not in err
    store = Store(db)
    try:
        assert store.datasets() == ["piped"]
    finally:
        store.close()


def test_map_to_an_empty_header_leaves_the_column_unmapped_as_documented(tmp_path, capsys):
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount,cost\na,2024-01-01,10,4\n", encoding="utf-8")
    code, report, _ = run_json(capsys, "ingest", str(path), "--map", "cost=", "--dry-run", "--json")
    assert code == 0 and "cost" not in report["mapping"]


def readme_commands() -> list[list[str]]:
    """The first command block of the README's command-line section, each line as arguments."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Headless: the same engine on the command line", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line, comments=True)[3:] for line in block.splitlines()
            if line.startswith("python -m valuation")]


def test_the_readme_commands_parse_and_use_only_what_a_fresh_clone_has():
    commands = readme_commands()
    assert len(commands) >= 10
    stored = {"sample"}
    for argv in commands:
        args = build_parser().parse_args(argv)  # exits (fails the test) on an unknown option
        assert "--db" not in argv, "the README runs on the default store"
        if getattr(args, "file", None):
            assert (REPO / args.file).is_file(), f"{args.file} is not in a fresh clone"
        if args.command in ("ingest", "attach"):
            stored.add(args.dataset)
        elif getattr(args, "dataset", None):
            assert args.dataset in stored, f"{argv}: dataset {args.dataset!r} is not imported above it"
    assert any(a[0] == "clv" and a[1] == "sample_data/orders.csv" for a in commands)
