"""Prepared datasets kept beside the database (#17): read back by later sessions, processes and
restarts, the same scores as preparing again, invalidated by a new import, never in the way."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pandas as pd
import pytest

from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
from valuation.model import persist, pipeline
from valuation.model.settings import ClvSettings, Settings, Tilt, Weights

AS_OF = dt.date(2026, 9, 30)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "v.duckdb")
    ensure_sample(s)
    yield s
    s.close()


def _no_prepare(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("prepared again instead of read from its file")
    monkeypatch.setattr(pipeline, "prepare_dataset", fail)


def test_a_prepared_dataset_read_back_scores_exactly_as_preparing_it_again(store, monkeypatch):
    fresh = persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)
    path = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    assert path.exists() and path.parent.parent == store_folder(store)
    _no_prepare(monkeypatch)
    kept = persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)
    assert kept.clv_fit == fresh.clv_fit and kept.report == fresh.report and kept.as_of == fresh.as_of
    assert kept.availability == fresh.availability and kept.custom_candidates == fresh.custom_candidates
    for settings in (Settings(), Settings(weights=Weights(loyalty=45, influence=10)),
                     Settings(tilt=Tilt.parse("industry:能源=15"))):
        pd.testing.assert_frame_equal(pipeline.score(kept, settings), pipeline.score(fresh, settings))


def test_a_restart_does_not_derive_again_what_the_first_score_derived(store, monkeypatch):
    """RFM, loss drivers, the ranker's id order, and classes and stages under the default rules are
    kept in the file: after a restart the first score recomputes none of them (1.5 s at 1M)."""
    from valuation.model import lifecycle, scoring, tiers

    fresh = persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)
    expected = pipeline.score(fresh, Settings())
    path = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    with monkeypatch.context() as m:
        def fail(*args, **kwargs):
            raise AssertionError("derived again after a restart")
        for module, name in ((tiers, "rfm_scores"), (tiers, "rfm_class"), (scoring, "loss_drivers"),
                             (tiers, "assign_value_class"), (lifecycle, "lifecycle_stage"), (tiers, "grades")):
            m.setattr(module, name, fail)
        m.setattr(tiers.TierRanker, "__init__", fail)
        kept = persist.load(path)
        pd.testing.assert_frame_equal(pipeline.score(kept, Settings(weights=Weights(loyalty=45))),
                                      pipeline.score(fresh, Settings(weights=Weights(loyalty=45))))
        pd.testing.assert_frame_equal(pipeline.score(kept, Settings()), expected)
    # Other rules than the kept ones are derived as before, and right.
    from valuation.model.settings import LifecycleRules
    other = Settings(lifecycle=LifecycleRules(at_risk_days=30))
    pd.testing.assert_frame_equal(pipeline.score(persist.load(path), other), pipeline.score(fresh, other))


def test_kept_classes_and_stages_of_other_default_rules_are_not_used(store, monkeypatch):
    """A file written when the default rules were different (an upgrade changed them): its classes
    and stages are derived again, not taken from the file."""
    from valuation.model import settings as settings_module

    fresh = persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)
    path = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    table = persist.feather.read_table(path)
    meta = persist.json.loads(table.schema.metadata[persist.META_KEY])
    assert set(meta["derived_rules"]) == {"classes", "lifecycle"}
    meta["derived_rules"]["lifecycle"] = repr(settings_module.LifecycleRules(at_risk_days=30))
    kept = persist.from_table(table.replace_schema_metadata({persist.META_KEY: persist.json.dumps(meta)}))
    assert ("lifecycle", Settings().lifecycle) not in kept.memo_keys() and ("static",) in kept.memo_keys()
    pd.testing.assert_frame_equal(pipeline.score(kept, Settings()), pipeline.score(fresh, Settings()))


def test_the_dashboard_does_not_wait_for_the_file_to_be_written(store, monkeypatch):
    """``wait=False``: the prepared dataset is returned while its file is still being written (at 1M
    customers the write takes seconds); the file is whole once written, and read back next time."""
    release = threading.Event()
    real_save = persist.save

    def slow_save(*args):
        assert release.wait(30)
        return real_save(*args)

    monkeypatch.setattr(persist, "save", slow_save)
    prepared = persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF, wait=False)  # save is blocked
    path = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    assert prepared.as_of == AS_OF and not path.exists()
    release.set()
    persist.wait()
    assert path.exists()
    _no_prepare(monkeypatch)
    pd.testing.assert_frame_equal(pipeline.score(persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF), Settings()),
                                  pipeline.score(prepared, Settings()))


def store_folder(store):
    return persist.folder(store)


def test_a_restart_reads_the_file_and_a_new_import_prepares_again(store, tmp_path, monkeypatch):
    persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)
    first = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    store.close()
    again = Store(tmp_path / "v.duckdb", read_only=True)  # a restart, or another process reading
    with monkeypatch.context() as m:
        _no_prepare(m)
        assert persist.prepare_dataset(again, SAMPLE_DATASET, AS_OF).as_of == AS_OF
    again.close()
    writer = Store(tmp_path / "v.duckdb")
    orders = writer.read(SAMPLE_DATASET, "orders").head(5000)
    writer.replace_dataset("east", {"orders": orders})
    persist.prepare_dataset(writer, "east", None)  # no as-of: prepared, not kept (its date is unknown)
    east_as_of = orders["order_date"].max().date()
    persist.prepare_dataset(writer, "east", east_as_of)
    old = persist.file_for(writer, "east", east_as_of, ClvSettings(), ())
    assert old.exists()
    writer.replace_dataset("east", {"orders": orders.head(3000)}, source="a new import")
    new = persist.file_for(writer, "east", east_as_of, ClvSettings(), ())
    assert new != old
    prepared = persist.prepare_dataset(writer, "east", east_as_of)
    assert int(prepared.features["has_orders"].sum()) == orders.head(3000)["customer_id"].nunique()
    assert new.exists() and not old.exists()  # the earlier import's file went
    assert first.exists()  # other datasets keep theirs
    persist.forget(writer, "east")
    assert not new.parent.exists()
    writer.close()


def test_other_settings_and_dates_are_other_files_and_the_ones_used_last_are_kept(store):
    months = [12 * (k + 1) for k in range(persist.KEEP_PER_DATASET + 1)]
    paths = [persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=m), ()) for m in months]
    assert len(set(paths)) == len(months)
    for m in months[:-1]:
        persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=m))
    for path in paths[:-1]:  # written in this order, older first
        os.utime(path, (1_000_000 + months[paths.index(path)],) * 2)
    assert persist.load(paths[0]) is not None  # the oldest is read (used) again ...
    persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=months[-1]))
    kept = sorted(paths[0].parent.glob("*.arrow"))
    assert len(kept) == persist.KEEP_PER_DATASET
    assert paths[0].exists() and not paths[1].exists()  # ... so the one used least recently went


def test_results_kept_beside_a_prepared_file_go_when_it_goes(store):
    import numpy as np

    def kept(months):
        return persist.companion(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=months), (), "evidence1-x")
    persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=12))
    os.utime(persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=12), ()), (1_000_000,) * 2)
    assert persist.save_arrays(kept(12), {"profit": np.arange(3.0)})
    assert (persist.load_arrays(kept(12))["profit"] == [0.0, 1.0, 2.0]).all()
    assert persist.load_arrays(kept(24)) is None  # nothing kept for those settings
    others = [13 + k for k in range(persist.KEEP_PER_DATASET)]
    for months in others[:-1]:  # more prepared files: the first is still among those kept
        persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=months))
    assert kept(12).exists()
    persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=others[-1]))  # one too many
    assert not persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(horizon_months=12), ()).exists()
    assert not kept(12).exists() and persist.load_arrays(kept(12)) is None
    with pytest.raises(ValueError):  # a name is never a path
        persist.companion(store, SAMPLE_DATASET, AS_OF, ClvSettings(), (), "../escape")


def test_a_damaged_or_unwritable_file_is_not_in_the_way(store, tmp_path):
    path = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an arrow file at all")
    prepared = persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)  # damaged: prepared and rewritten
    assert persist.load(path).clv_fit == prepared.clv_fit
    # a folder that cannot be created (a file is in its way): prepared as before, nothing kept
    memory = Store(":memory:")
    ensure_sample(memory)
    assert persist.folder(memory) is None and persist.file_for(memory, SAMPLE_DATASET, AS_OF, ClvSettings(), ()) is None
    blocked = Store(tmp_path / "b.duckdb")
    ensure_sample(blocked)
    persist.folder(blocked).write_text("in the way")
    assert persist.prepare_dataset(blocked, SAMPLE_DATASET, AS_OF).as_of == AS_OF
    blocked.close()


def test_two_sessions_preparing_at_once_leave_one_whole_file(store):
    results = []
    threads = [threading.Thread(target=lambda: results.append(persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)))
               for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    path = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    pd.testing.assert_frame_equal(pipeline.score(persist.load(path)), pipeline.score(results[0]))


def test_the_dashboard_keeps_what_it_prepared_for_the_next_start(tmp_path, monkeypatch):
    import streamlit as st

    from tests.apptest import metric, start

    db = tmp_path / "app.duckdb"
    s = Store(db)
    ensure_sample(s)
    s.close()
    at = start(db, monkeypatch)
    customers = metric(at, "Customers")
    persist.wait()  # the dashboard writes the file in the background
    assert list((tmp_path / "app.duckdb.prepared").rglob("*.arrow"))
    st.cache_resource.clear()  # a restart: nothing in memory
    prepare = pipeline.prepare_dataset
    _no_prepare(monkeypatch)
    again = start(db, monkeypatch)
    assert metric(again, "Customers") == customers
    # The restored columns are the mapped file itself (read-only arrays): every page works on them
    # (other dates, for the evidence and the snapshots, are prepared as usual), and a slider move
    # scores them again.
    from tests.apptest import open_page
    monkeypatch.setattr(pipeline, "prepare_dataset", prepare)
    for page in ("tuning", "lifecycle", "customers", "clv", "explore", "dynamics", "actions", "data", "present"):
        open_page(again, page)
    open_page(again, "tuning")
    again.slider(key="w::loyalty").set_value(45.0).run()
    assert not again.exception, [e.message for e in again.exception]
    assert not persist.load(next((tmp_path / "app.duckdb.prepared").rglob("*.arrow"))).features[
        "revenue_12m"].to_numpy().flags.writeable  # the case this test is about


def test_a_kept_result_comes_back_exactly_and_what_would_not_is_not_kept(tmp_path):
    import numpy as np

    holdout = pd.DataFrame({"label": ["0", "1", "7+"], "customers": [200, 104, 3], "actual": [0.8, 1.2, 9.5]},
                           index=pd.RangeIndex(3, name="frequency"))
    grid = pd.DataFrame(np.arange(6.0).reshape(2, 3), index=pd.Index([0, 1], name="frequency"),
                        columns=pd.Index([0, 1, 2], name="recency"))
    result = {"calibration_end": dt.date(2026, 3, 31), "params": {"r": 0.5, "alpha": 6.1}, "model": "mbgnbd",
              "holdout": holdout, "p_alive": grid, "total": 1234, "matrix": np.eye(2)}
    path = tmp_path / "diag.npz"
    assert persist.save_result(path, result)
    back = persist.load_result(path)
    assert back.keys() == result.keys()
    pd.testing.assert_frame_equal(back["holdout"], holdout)  # text, whole numbers and floats, the index's name
    pd.testing.assert_frame_equal(back["p_alive"], grid)  # whole-number column labels stay numbers
    assert back["calibration_end"] == dt.date(2026, 3, 31) and back["params"] == {"r": 0.5, "alpha": 6.1}
    assert back["total"] == 1234 and (back["matrix"] == np.eye(2)).all()
    # values that would come back changed (lists, timestamps as text) or need pickle: not kept at all
    assert not persist.save_result(tmp_path / "lists.npz", {"t": pd.DataFrame({"x": [[1], [2]]})})
    assert not persist.save_result(tmp_path / "dates.npz", {"t": pd.DataFrame({"d": pd.to_datetime(["2026-01-01"])})})
    assert not persist.save_result(tmp_path / "object.npz", {"o": object()})
    assert not list(tmp_path.glob("lists.npz")) + list(tmp_path.glob("dates.npz")) + list(tmp_path.glob("object.npz"))
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    assert persist.load_result(tmp_path / "bad.npz") is None and persist.load_result(None) is None


def test_the_clv_diagnostics_are_read_back_after_a_restart_not_fitted_again(store, monkeypatch):
    from valuation.analysis import insights

    first = insights.kept_clv_diagnostics(store, SAMPLE_DATASET, AS_OF, 26, "bgnbd")
    assert "error" not in first and first["actual_total"] > 0

    def refuse(*args, **kwargs):
        raise AssertionError("read every purchase again")
    monkeypatch.setattr(insights, "transactions", refuse)
    again = insights.kept_clv_diagnostics(store, SAMPLE_DATASET, AS_OF, 26, "bgnbd")
    pd.testing.assert_frame_equal(again["holdout"], first["holdout"])
    pd.testing.assert_frame_equal(again["p_alive"], first["p_alive"])
    assert {k: v for k, v in again.items() if k not in ("holdout", "p_alive")} == \
        {k: v for k, v in first.items() if k not in ("holdout", "p_alive")}
    with pytest.raises(AssertionError):  # other holdout weeks are another result
        insights.kept_clv_diagnostics(store, SAMPLE_DATASET, AS_OF, 13, "bgnbd")


def test_purchases_per_category_are_kept_and_the_action_lists_from_them_are_the_same(store, monkeypatch):
    """The action lists' two order queries (what each customer bought of each category, and the
    categories bought) are kept beside the date's prepared file: a restart maps them back (read-only
    columns) and the lists made from them are the lists made from the queries."""
    from valuation.analysis import actions, upsell
    from valuation.data import features

    bought, categories = upsell.category_purchases(store, SAMPLE_DATASET, AS_OF), \
        actions.customer_categories(store, SAMPLE_DATASET, AS_OF)
    assert len(bought) > 0 and len(categories) > 0
    scored = pipeline.score(persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF))
    before = actions.action_lists(scored, categories, "zh", purchases=bought)

    def refuse(*args, **kwargs):
        raise AssertionError("queried again")
    monkeypatch.setattr(features, "fetch_frame", refuse)
    monkeypatch.setattr(upsell, "fetch_frame", refuse)
    monkeypatch.setattr(actions, "fetch_frame", refuse)
    bought_again = upsell.category_purchases(store, SAMPLE_DATASET, AS_OF)
    categories_again = actions.customer_categories(store, SAMPLE_DATASET, AS_OF)
    pd.testing.assert_frame_equal(bought_again, bought)
    pd.testing.assert_frame_equal(categories_again, categories)
    after = actions.action_lists(scored, categories_again, "zh", purchases=bought_again)
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name])
    # another date is another table: queried
    with pytest.raises(AssertionError):
        upsell.category_purchases(store, SAMPLE_DATASET, AS_OF - dt.timedelta(days=30))


def test_after_the_prepare_command_a_new_server_computes_nothing_on_a_first_visit(tmp_path, monkeypatch, capsys):
    """`python -m valuation prepare` (after a nightly import) keeps what a dataset's first visit
    needs, named as the dashboard names it: the overview, the tuning page with its evidence and
    learned weights, the lifecycle cohorts, the CLV page's diagnostics and the action lists then
    prepare, query and fit nothing (the backtest, which depends on the weights, queries what
    followed)."""
    import streamlit as st

    from tests.apptest import metric, open_page, start
    from valuation.analysis import actions, evidence, funnel, insights, upsell
    from valuation.cli.main import main as cli
    from valuation.data import features

    db = tmp_path / "app.duckdb"
    assert cli(["prepare", "--db", str(db)]) == 0
    said = capsys.readouterr().out
    assert "prepared 'sample' as of 2026-09-30" in said and "the learned weights" in said
    assert cli(["prepare", "--db", str(db), "--dataset", "nope"]) == 2
    assert "There is no dataset 'nope'" in capsys.readouterr().err
    st.cache_resource.clear()
    st.cache_data.clear()

    def refuse(*args, **kwargs):
        raise AssertionError("computed on a first visit after `prepare`")
    _no_prepare(monkeypatch)  # no date prepared again: neither the one shown nor the year before
    for module, name in ((evidence, "realised"), (evidence, "_search"), (insights, "transactions"),
                         (features, "fetch_frame"), (upsell, "fetch_frame"), (actions, "fetch_frame"),
                         (funnel, "fetch_frame")):
        monkeypatch.setattr(module, name, refuse)
    at = start(db, monkeypatch)
    assert metric(at, "Customers")
    for page in ("tuning", "lifecycle", "clv", "actions"):
        open_page(at, page)
        assert not at.exception, [e.message for e in at.exception]


def test_a_temporary_file_left_by_a_killed_writer_is_removed_and_one_being_written_is_not(store):
    first = persist.file_for(store, SAMPLE_DATASET, AS_OF, ClvSettings(), ())
    persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF)
    left, writing = first.parent / "tmpkilled.tmp", first.parent / "tmpwriting.tmp"
    left.write_bytes(b"half a file")
    writing.write_bytes(b"being written")
    os.utime(left, (0, 0))  # written long ago
    persist.prepare_dataset(store, SAMPLE_DATASET, AS_OF - dt.timedelta(days=1))  # a save prunes
    assert not left.exists() and writing.exists()


def test_new_parquet_files_in_a_folder_read_in_place_are_not_hidden_by_what_was_kept(tmp_path, monkeypatch):
    """A Parquet folder attached in place changes without a new attach (a nightly export adds a
    file): what was kept for it is named by its files too, so a restart prepares the new data
    instead of reading the old figures; a folder that cannot be looked at (object storage) is
    never kept."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.scale_data import edge_tables, write_parquet_dataset
    from valuation.data import sources

    tables = edge_tables()
    lake = write_parquet_dataset(tables, tmp_path / "lake", layout="files")
    s = Store(tmp_path / "v.duckdb")
    try:
        sources.attach_parquet(s, "lake", lake)
        as_of = pd.Timestamp(tables["orders"]["order_date"].max()).date()
        before = persist.prepare_dataset(s, "lake", as_of)
        path = persist.file_for(s, "lake", as_of, ClvSettings(), ())
        assert path.exists() and persist.prepare_dataset(s, "lake", as_of).features["revenue_total"].sum() == \
            pytest.approx(before.features["revenue_total"].sum())  # read back while the files are the same
        extra = tables["orders"].head(1).assign(customer_id="NEW-1", amount=1234.5)
        orders = pq.read_table(lake / "orders.parquet").to_pandas()
        pq.write_table(pa.Table.from_pandas(pd.concat([orders, extra.astype(orders.dtypes.to_dict())],
                                                      ignore_index=True), preserve_index=False),
                       lake / "orders.parquet")  # the export grew: the same attach, new data
        assert persist.file_for(s, "lake", as_of, ClvSettings(), ()) != path
        after = persist.prepare_dataset(s, "lake", as_of)
        assert "NEW-1" in set(after.features["customer_id"])
        assert after.features["revenue_total"].sum() == pytest.approx(before.features["revenue_total"].sum() + 1234.5)
        monkeypatch.setattr(sources, "kind_info", lambda store, name: {"kind": sources.KIND_PARQUET,
                                                                      "location": "s3://bucket/sales"})
        assert persist.file_for(s, "lake", as_of, ClvSettings(), ()) is None  # cannot tell: not kept
    finally:
        s.close()
