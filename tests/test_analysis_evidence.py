"""Evidence beside the sliders: last year's tiers under the current weights against the profit that
followed, and the weights learned from that history."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import spearmanr

from tests.b2b import b2b_history
from valuation.analysis import evidence
from valuation.analysis.backtest import realised
from valuation.data.store import Store
from valuation.model import persist, pipeline
from valuation.model.settings import PRESETS, Settings, Weights


@pytest.fixture(scope="module")
def b2b():
    history = b2b_history(2000, seed=4)
    store = Store(":memory:")
    store.replace_dataset("b2b", history.tables, source="b2b")  # the whole history: the evidence cuts it
    as_of = pd.Timestamp(history.end).date()
    ev = evidence.build(store, "b2b", as_of)
    yield store, ev
    store.close()


def test_the_top_tiers_share_is_the_realised_profit_of_last_years_tiers_a_and_b(b2b):
    store, ev = b2b
    settings = Settings(weights=PRESETS["profit_first"])
    past = pipeline.score(pipeline.prepare(store, "b2b", ev.scored_at), settings)
    after = realised(store, "b2b", ev.scored_at, ev.as_of, ev.past.availability)
    joined = past.merge(after[["customer_id", "net_profit"]], on="customer_id", how="left").fillna({"net_profit": 0})
    buyers = joined[joined["has_orders"]]
    expected = buyers.loc[buyers["tier"].isin(["A", "B"]), "net_profit"].sum() / buyers["net_profit"].sum()
    got = evidence.weight_evidence(ev, settings)
    assert got["top_share"] == pytest.approx(expected, rel=1e-9)
    assert got["spearman"] == pytest.approx(spearmanr(buyers["composite"], buyers["net_profit"])[0], rel=1e-9)
    assert got["by_tier"]["A"] == pytest.approx(buyers.loc[buyers["tier"] == "A", "net_profit"].sum())


def test_different_weights_give_different_evidence(b2b):
    _, ev = b2b
    a = evidence.weight_evidence(ev, Settings(weights=PRESETS["profit_first"]))
    b = evidence.weight_evidence(ev, Settings(weights=PRESETS["loyalty_first"]))
    assert a["spearman"] != b["spearman"]


def test_learned_weights_are_a_grid_point_at_least_as_good_as_equal_weights_and_every_preset_on_it(b2b):
    _, ev = b2b
    learned, rho = evidence.learned_weights(ev)
    values = [learned.current, learned.future, learned.credit, learned.loyalty, learned.growth]
    assert sum(values) == 100 and all(v % evidence.LEARN_STEP == 0 and v >= 0 for v in values)
    equal = Weights(current=20, future=20, credit=20, loyalty=20, growth=20, influence=0)
    assert rho >= evidence.weight_evidence(ev, Settings(weights=equal))["spearman"] - 1e-12
    assert rho == pytest.approx(evidence.weight_evidence(ev, Settings(weights=learned))["spearman"])


def test_without_a_year_of_history_there_is_no_evidence():
    orders = pd.DataFrame({"customer_id": ["A", "B", "A"],
                           "order_date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-03-01"]),
                           "amount": [100.0, 200.0, 50.0]})
    store = Store(":memory:")
    store.replace_dataset("short", {"orders": orders}, source="t")
    assert evidence.build(store, "short", pd.Timestamp("2026-03-01").date()) is None


@pytest.fixture
def b2b_file(tmp_path):
    history = b2b_history(800, seed=7)
    store = Store(str(tmp_path / "valuation.duckdb"))
    store.replace_dataset("b2b", history.tables, source="b2b")
    yield store, history, pd.Timestamp(history.end).date()
    store.close()


def _kept_files(store):
    return sorted(p.name.rsplit(".", 1)[-1] for p in persist.folder(store).rglob("*") if p.is_file())


def test_a_restarted_server_reads_last_years_evidence_and_learned_weights_instead_of_computing_them(
        b2b_file, monkeypatch):
    store, _, as_of = b2b_file
    first = evidence.build(store, "b2b", as_of)
    learned, rho = evidence.learned_weights(first)
    settings = Settings(weights=PRESETS["profit_first"])
    shown = evidence.weight_evidence(first, settings)
    # beside the database: the past date's prepared file and the evidence kept with it
    assert _kept_files(store) == ["arrow", "npz"]

    def refuse(*args, **kwargs):
        raise AssertionError("computed again after a restart")
    monkeypatch.setattr(pipeline, "prepare_dataset", refuse)  # the past date's features and fit
    monkeypatch.setattr(evidence, "realised", refuse)  # the query of what followed
    monkeypatch.setattr(evidence, "_search", refuse)  # the learned weights' grid search
    again = evidence.build(store, "b2b", as_of)  # a new process has none of it in memory
    assert again is not first and again.past is not first.past
    assert (again.realised_profit == first.realised_profit).all()
    assert evidence.learned_weights(again) == (learned, rho)
    assert evidence.weight_evidence(again, settings) == shown


def test_a_damaged_kept_evidence_is_computed_again_and_replaced(b2b_file):
    store, _, as_of = b2b_file
    first = evidence.build(store, "b2b", as_of)
    kept = next(persist.folder(store).rglob("*.npz"))
    kept.write_bytes(b"not an npz file")
    again = evidence.build(store, "b2b", as_of)
    assert (again.realised_profit == first.realised_profit).all()
    assert (persist.load_arrays(kept)["realised_profit"] == first.realised_profit).all()


def test_a_new_import_drops_the_evidence_kept_for_the_old_one(b2b_file):
    store, history, as_of = b2b_file
    evidence.build(store, "b2b", as_of)
    old = set(persist.folder(store).rglob("*.npz"))
    store.replace_dataset("b2b", history.tables, source="b2b")  # imported again: a new version
    evidence.build(store, "b2b", as_of)
    new = set(persist.folder(store).rglob("*.npz"))
    assert len(old) == len(new) == 1 and not old & new and not any(p.exists() for p in old)
