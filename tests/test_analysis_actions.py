"""Action lists: who to call, who to visit, what to offer whom — on hand-made customers, the sample and the CLI."""

from __future__ import annotations

import argparse
import io
import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from valuation.analysis import actions
from valuation.cli import alerts as alerts_cli
from valuation.data import sample
from valuation.data.store import Store, load_sample
from valuation.i18n.format import format_pct
from valuation.i18n.text import t
from valuation.model import lifecycle, pipeline

# customer_id, tier, value_class, stage, days silent, usual gap, silent beyond usual, clv, revenue trend
_ROWS = [
    ("A1", "A", "most_valuable", "at_risk", 120, 30.0, True, 5000.0, 0.1),
    ("A2", "A", "most_valuable", "loyal", 10, 12.0, False, 8000.0, -0.5),
    ("B1", "B", "maintain", "repeat", 40, 10.0, True, 3000.0, 0.0),
    ("C1", "C", "most_valuable", "at_risk", 100, np.nan, False, 1000.0, 0.0),
    ("C2", "C", "maintain", "at_risk", 95, 20.0, False, 9000.0, 0.0),
    ("C3", "C", "growable", "repeat", 20, 15.0, False, 700.0, 0.3),
    ("D1", "D", "growable", "new", 5, np.nan, False, 100.0, 0.0),
    ("D2", "D", "maintain", "repeat", 30, 25.0, False, 200.0, 0.0),
    ("P1", "prospect", "growable", "prospect", np.nan, np.nan, False, 0.0, 0.0),
]
# Tier C buys cloud twice and consulting once; C3 has only hardware. D1 buys what D2 buys.
_CATEGORIES = [("C1", "云服务"), ("C1", "硬件"), ("C2", "云服务"), ("C2", "咨询"), ("C3", "硬件"),
               ("D1", "硬件"), ("D2", "硬件"), ("A1", "咨询")]


def make_scored() -> pd.DataFrame:
    """Nine customers shaped like ``pipeline.score`` output, one per situation the lists must handle."""
    rows = []
    for i, (cid, tier, cls, stage, days, gap, beyond, clv, trend) in enumerate(_ROWS):
        prev = 1000.0 if trend < 0 else 500.0
        rows.append({
            "customer_id": cid, "name": f"客户{cid}", "region": "华东", "tier": tier, "value_class": cls,
            "lifecycle_stage": stage, "days_since_last_order": days, "mean_gap_days": gap,
            "silent_beyond_usual": beyond, "clv": clv, "revenue_12m": clv / 2, "net_profit_12m": clv / 5,
            "last_order_date": pd.Timestamp("2026-09-30") - pd.Timedelta(days=0 if np.isnan(days) else days),
            "has_orders": tier != "prospect", "revenue_trend": trend, "revenue_prev_6m": prev,
            "revenue_last_6m": prev * (1 + trend) / (1 - trend), "strategic_value": 90.0 - i, "composite": 50.0,
        })
    out = pd.DataFrame(rows)
    out.loc[out["tier"] == "prospect", "last_order_date"] = pd.NaT
    return out


def categories() -> pd.DataFrame:
    return pd.DataFrame(_CATEGORIES, columns=["customer_id", "category"])


# --------------------------------------------------------------------------- hand-made customers


def test_at_risk_list_keeps_high_value_customers_only_most_valuable_first():
    at_risk = actions.action_lists(make_scored(), categories(), "en")["at_risk"]
    # C2 is at risk with the highest CLV but neither tier A/B nor most valuable.
    assert at_risk["customer_id"].tolist() == ["A1", "B1", "C1"]
    assert (at_risk["action"] == t("actions.action.at_risk", "en")).all()


def test_at_risk_reason_compares_the_silence_with_the_usual_gap():
    at_risk = actions.action_lists(make_scored(), None, "en")["at_risk"].set_index("customer_id")
    assert at_risk.loc["A1", "reason"] == t("actions.reason.silent_beyond_usual", "en", days=120, gap=30,
                                            times="4.0")
    assert at_risk.loc["C1", "reason"] == t("actions.reason.silent", "en", days=100)


def test_rows_carry_the_facts_a_salesperson_needs():
    at_risk = actions.action_lists(make_scored(), None, "zh")["at_risk"]
    for col in ("customer_id", "name", "region", "tier", "value_class", "lifecycle_stage", "action", "reason",
                "clv", "revenue_12m", "days_since_last_order", "mean_gap_days", "last_order_date"):
        assert col in at_risk
    assert at_risk.loc[0, "action"] == t("actions.action.at_risk", "zh")


def test_declining_list_names_the_drop():
    declining = actions.action_lists(make_scored(), None, "en")["declining"]
    assert declining["customer_id"].tolist() == ["A2"]
    row = declining.iloc[0]
    assert row["revenue_drop"] == pytest.approx(1000.0 - 1000.0 / 3)
    assert format_pct(row["revenue_drop"] / 1000.0) in row["reason"]


def test_growable_customers_get_what_their_tier_peers_buy_and_they_do_not():
    growable = actions.action_lists(make_scored(), categories(), "en")["growable"].set_index("customer_id")
    assert list(growable.index) == ["C3", "D1"]  # prospects are left out; highest strategic value first
    assert growable.loc["C3", "suggested_categories"] == "云服务, 咨询"
    assert growable.loc["C3", "suggestions"] == "云服务 (100% of tier C peers); 咨询 (50% of tier C peers)"
    assert "硬件" not in growable.loc["C3", "suggestions"]
    assert growable.loc["C3", "action"] == t("actions.action.growable", "en", categories="云服务, 咨询")
    # D1 already buys everything its only peer buys.
    assert growable.loc["D1", "suggestions"] == t("actions.no_suggestion", "en")
    assert growable.loc["D1", "action"] == t("action.growable", "en")


def test_cross_sell_counts_peers_without_the_customer():
    offers = actions.cross_sell(make_scored(), categories(), ["C3"])
    assert offers[["category", "peers_buying", "peers", "rank"]].values.tolist() == [
        ["云服务", 2, 2, 1], ["咨询", 1, 2, 2]]
    assert actions.cross_sell(make_scored(), categories(), ["C3"], top_k=1)["category"].tolist() == ["云服务"]


@pytest.mark.parametrize("missing, key", [
    (None, "actions.no_categories"),
    (pd.DataFrame(columns=["customer_id", "category"]), "actions.no_category_data"),
])
def test_without_category_data_the_growable_list_says_so(missing, key):
    growable = actions.action_lists(make_scored(), missing, "zh")["growable"]
    assert len(growable) == 2
    assert (growable["suggestions"] == t(key, "zh")).all()
    assert (growable["action"] == t("action.growable", "zh")).all()
    assert growable.attrs["note"] == t(key, "zh")


def test_lists_do_not_change_the_scored_frame():
    scored = make_scored()
    before = scored.copy()
    actions.action_lists(scored, categories(), "en")
    pd.testing.assert_frame_equal(scored, before)


def test_a_frame_without_the_needed_columns_is_refused():
    with pytest.raises(ValueError, match="silent_beyond_usual"):
        actions.action_lists(make_scored().drop(columns="silent_beyond_usual"), None, "en")


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    sample.generate(folder, customers=400, prospects=100, seed=7)
    return folder


@pytest.fixture(scope="module")
def db(sample_folder, tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "alerts.duckdb"
    store = Store(path)
    load_sample(store, folder=sample_folder)
    store.close()
    return path


@pytest.fixture(scope="module")
def on_sample(db):
    store = Store(db, read_only=True)
    scored = pipeline.run(store, "sample")
    owned = actions.customer_categories(store, "sample", scored.attrs["as_of"])
    store.close()
    return scored, owned, actions.action_lists(scored, owned, "en")


def test_customer_categories_are_distinct_pairs_up_to_the_as_of_date(db):
    store = Store(db, read_only=True)
    owned = actions.customer_categories(store, "sample", "2026-09-30")
    early = actions.customer_categories(store, "sample", "2024-06-30")
    orders = store.read("sample", "orders")
    store.close()
    assert list(owned.columns) == ["customer_id", "category"]
    assert not owned.duplicated().any()
    bought = orders[(orders["amount"] > 0) & orders["category"].notna()]
    assert len(owned) == len(bought[["customer_id", "category"]].drop_duplicates())
    assert 0 < len(early) < len(owned)


def test_sample_lists_follow_their_rules(on_sample):
    scored, _, lists = on_sample
    alerts = lifecycle.at_risk_alerts(scored)
    at_risk = lists["at_risk"]
    assert len(at_risk) > 0 and set(at_risk["customer_id"]) <= set(alerts["customer_id"])
    assert (at_risk["tier"].isin(["A", "B"]) | (at_risk["value_class"] == "most_valuable")).all()
    assert at_risk["clv"].is_monotonic_decreasing
    assert lists["declining"]["customer_id"].tolist() == lifecycle.declining_valuable(scored)["customer_id"].tolist()
    growable = lists["growable"]
    expected = scored[(scored["value_class"] == "growable") & scored["has_orders"]
                      & ~scored["lifecycle_stage"].isin(["at_risk", "dormant", "churned"])]
    assert sorted(growable["customer_id"]) == sorted(expected["customer_id"])


def test_the_lists_respect_the_lifecycle_on_the_sample(on_sample):
    scored, _, lists = on_sample
    stage = scored.set_index("customer_id")["lifecycle_stage"]
    # Nobody gone quiet is offered a cross-sell; nobody without an order is on any list.
    assert not stage[lists["growable"]["customer_id"]].isin(["at_risk", "dormant", "churned"]).any()
    assert set(lists["wake_up"]["lifecycle_stage"]) <= {"dormant", "churned"} and len(lists["wake_up"]) > 0
    assert (lists["wake_up"]["days_since_last_order"] <= 2 * 365).all()
    assert lists["wake_up"]["revenue_total"].is_monotonic_decreasing
    ids = set().union(*(set(f["customer_id"]) for f in lists.values()))
    assert scored.set_index("customer_id").loc[sorted(ids), "has_orders"].all()
    # Every below-zero customer is in exactly one of convert and let go.
    below = set(scored.loc[scored["value_class"] == "below_zero", "customer_id"])
    convert, let_go = set(lists["convert"]["customer_id"]), set(lists["let_go"]["customer_id"])
    assert convert | let_go == below and not convert & let_go and convert and let_go
    kept = scored.set_index("customer_id").loc[sorted(convert)]
    assert ((kept["actual_value"] > 0) | (kept["strategic_value"].fillna(0) > 0) | (kept["tenure_days"] < 365)).all()
    gone = scored.set_index("customer_id").loc[sorted(let_go)]
    assert ((gone["actual_value"] <= 0) & ~(gone["strategic_value"].fillna(0) > 0) & (gone["tenure_days"] >= 365)).all()


def test_sample_suggestions_exclude_owned_categories_and_name_the_peer_share(on_sample):
    scored, owned, lists = on_sample
    growable = lists["growable"]
    has = growable["suggested_categories"] != ""
    assert has.mean() > 0.5
    mine = owned.groupby("customer_id")["category"].agg(set)
    for row in growable[has].itertuples():
        offered = row.suggested_categories.split(", ")
        assert not set(offered) & mine.get(row.customer_id, set()), row.customer_id
        assert f"of tier {row.tier} peers" in row.suggestions
    # Recompute the first suggestion of the first customer by hand.
    row = growable[has].iloc[0]
    first = row["suggested_categories"].split(", ")[0]
    peers = scored[(scored["tier"] == row["tier"]) & scored["has_orders"]
                   & (scored["customer_id"] != row["customer_id"])]
    buying = owned[owned["customer_id"].isin(peers["customer_id"]) & (owned["category"] == first)]
    share = format_pct(len(buying) / len(peers))
    assert row["suggestions"].startswith(f"{first} ({share} of tier {row['tier']} peers)")


# --------------------------------------------------------------------------- the command line


def run_alerts(capsys, *argv):
    parser = argparse.ArgumentParser(prog="python -m valuation")
    alerts_cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["alerts", *argv])
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_alerts_json_prints_counts_and_top_rows_and_writes_csv_files(db, on_sample, tmp_path, capsys):
    _, _, lists = on_sample
    out = tmp_path / "lists"
    code, stdout, stderr = run_alerts(capsys, "--db", str(db), "--dataset", "sample", "--json", "--out", str(out))
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["counts"] == {k: len(f) for k, f in lists.items()}
    assert report["as_of"] == "2026-09-30" and report["notes"] == {}
    for key, frame in lists.items():
        top = report["top"][key]
        assert [r["customer_id"] for r in top] == frame["customer_id"].head(10).tolist()
        written = pd.read_csv(out / f"{key}.csv", encoding="utf-8-sig")
        assert len(written) == len(frame)
        assert written.columns[0] == t("feat.customer_id", "en")
    assert report["top"]["at_risk"][0]["last_order_date"][:4] == "2026"
    assert (out / "at_risk.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(report["files"]) == sorted(str(out / f"{k}.csv") for k in actions.LISTS)


def test_alerts_writes_one_workbook_with_a_sheet_per_list(db, tmp_path, capsys):
    path = tmp_path / "alerts.xlsx"
    code, stdout, _ = run_alerts(capsys, "--db", str(db), "--dataset", "sample", "--lang", "zh", "--out", str(path))
    assert code == 0
    wb = load_workbook(io.BytesIO(path.read_bytes()))
    assert wb.sheetnames == [t(f"sheet.{k}", "zh") for k in actions.LISTS]  # short names, whole
    header = [c.value for c in wb.worksheets[0][1]]
    assert header[:2] == [t("feat.customer_id", "zh"), t("feat.name", "zh")]
    assert t("actions.title.at_risk", "zh") in stdout and str(path) in stdout


def test_alerts_on_a_file_without_categories_says_there_are_no_suggestions(sample_folder, tmp_path, capsys):
    orders = pd.read_csv(sample_folder / "orders.csv").drop(columns=["category", "product"])
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    code, stdout, stderr = run_alerts(capsys, str(path), "--json", "--lang", "zh")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["notes"] == {"growable": t("actions.no_categories", "zh")}
    assert all(r["suggestions"] == t("actions.no_categories", "zh") for r in report["top"]["growable"])


@pytest.mark.parametrize("argv, message", [
    (["missing.csv"], "does not exist"),
    (["--db", "{db}", "--dataset", "nope"], "no dataset 'nope'"),
    (["--db", "{db}", "--dataset", "sample", "--as-of", "30/09/2026"], "YYYY-MM-DD"),
    (["--db", "{db}", "--dataset", "sample", "--out", "lists.csv"], "folder"),
    (["--db", "{db}", "--dataset", "sample", "--weights", "current=abc"], "--weights"),
])
def test_alerts_bad_input_exits_2_with_a_message(argv, message, db, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run_alerts(capsys, *[a.format(db=db) for a in argv])
    assert code == 2
    assert stderr.startswith("error: ") and message in stderr
    assert "Traceback" not in stderr and stdout == ""


# --------------------------------------------------------------------------- fast paths against the plain ones


def _plain_suggestion_text(offers: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The straightforward per-customer join (pandas groupby), as it was before the fast path."""
    text = [t("actions.suggestion", lang, category=c, share=format_pct(s), tier=tier)
            for c, s, tier in zip(offers["category"], offers["peer_share"], offers["tier"])]
    grouped = offers.assign(_text=text).groupby("customer_id", sort=False)
    return pd.DataFrame({
        "suggested_categories": grouped["category"].agg(t("actions.list_separator", lang).join),
        "suggestions": grouped["_text"].agg(t("actions.separator", lang).join),
    }).reset_index()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_suggestion_text_matches_the_plain_groupby(lang, seed):
    rng = np.random.default_rng(seed)
    n = 400
    offers = pd.DataFrame({
        "customer_id": rng.choice([f"C{i:03d}" for i in range(90)], n),  # unsorted, customers interleaved
        "tier": rng.choice(list("ABCD"), n),
        "category": rng.choice(["云服务", "software", "hardware", "support", "咨询"], n),
        "peer_share": rng.choice([0.1, 0.25, 1 / 3, 0.72], n),
    })
    fast = actions.suggestion_text(offers, lang)
    plain = _plain_suggestion_text(offers, lang)
    pd.testing.assert_frame_equal(fast.astype(object), plain.astype(object))


def test_suggestion_text_on_cross_sell_output_matches_the_plain_groupby(on_sample):
    scored, cats, _ = on_sample
    offers = actions.cross_sell(scored, cats)
    assert len(offers) > 0
    for lang in ("en", "zh"):
        pd.testing.assert_frame_equal(actions.suggestion_text(offers, lang).astype(object),
                                      _plain_suggestion_text(offers, lang).astype(object))


def _plain_cross_sell(scored: pd.DataFrame, owned_pairs: pd.DataFrame | None, customers=None,
                      top_k: int = actions.TOP_K) -> pd.DataFrame:
    """The straightforward merges on text ids, as :func:`actions.cross_sell` was before the coded path."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in actions.CROSS_SELL_COLUMNS})
    if owned_pairs is None or owned_pairs.empty or top_k < 1:
        return empty
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else scored["tier"] != "prospect"
    buyers = scored.loc[has, ["customer_id", "tier"]].astype({"customer_id": str})
    owned = (owned_pairs[["customer_id", "category"]].dropna()
             .astype({"customer_id": str, "category": str}).drop_duplicates())
    tier_size = buyers.groupby("tier").size()
    counts = (owned.merge(buyers, on="customer_id").groupby(["tier", "category"]).size()
              .rename("peers_buying").reset_index())
    targets = buyers if customers is None else buyers[buyers["customer_id"].isin([str(c) for c in customers])]
    offers = targets.merge(counts, on="tier")
    offers = offers.merge(owned.assign(_owned=True), on=["customer_id", "category"], how="left")
    offers = offers[offers["_owned"].isna()].drop(columns="_owned")
    offers["peers"] = offers["tier"].map(tier_size).astype("int64") - 1
    offers = offers[offers["peers"] > 0]
    if offers.empty:
        return empty
    offers["peer_share"] = offers["peers_buying"] / offers["peers"]
    offers = offers.sort_values(["customer_id", "peer_share", "category"], ascending=[True, False, True],
                                kind="mergesort")
    offers["rank"] = offers.groupby("customer_id").cumcount() + 1
    offers = offers[offers["rank"] <= top_k]
    return offers[list(actions.CROSS_SELL_COLUMNS)].reset_index(drop=True)


def test_cross_sell_by_codes_matches_the_plain_merges_on_the_sample(on_sample):
    scored, owned, _ = on_sample
    growable = scored.loc[scored["value_class"] == "growable", "customer_id"]
    for customers, top_k in ((None, 3), (growable, 3), (growable.head(7).tolist() * 2 + ["nobody"], 5), (None, 1)):
        fast = actions.cross_sell(scored, owned, customers, top_k)
        assert len(fast) > 0
        pd.testing.assert_frame_equal(fast, _plain_cross_sell(scored, owned, customers, top_k))


@pytest.mark.parametrize("seed", range(6))
def test_cross_sell_by_codes_matches_the_plain_merges_on_random_data(seed):
    rng = np.random.default_rng(seed)
    n = 120
    scored = pd.DataFrame({"customer_id": [f"K{i:04d}" for i in rng.permutation(n)],
                           "tier": rng.choice(["A", "B", "C", "D", "prospect"], n, p=[.05, .2, .3, .4, .05])})
    scored["has_orders"] = scored["tier"] != "prospect"
    pairs = pd.DataFrame({"customer_id": rng.choice(list(scored["customer_id"]) + ["stranger"], 300),
                          "category": rng.choice(["x", "y", "z", "云", "w", None], 300)})  # repeats, blanks
    for customers in (None, scored["customer_id"].sample(30, random_state=seed)):
        pd.testing.assert_frame_equal(actions.cross_sell(scored, pairs, customers),
                                      _plain_cross_sell(scored, pairs, customers))
