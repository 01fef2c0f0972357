"""AppTest for datasets that are not CSV/XLSX imports: features files, Parquet tables and Parquet
folders on the Data page; every page on a features dataset; uploads parsed once."""

from __future__ import annotations

import base64
import io
import json
import os

import numpy as np
import pytest

from tests import apptest
from tests.apptest import metric, open_page
from tests.scale_data import write_parquet_dataset
from ui.safe import md_params
from valuation.analysis import explore
from valuation.data import engines, sources
from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
from valuation.i18n.format import format_date
from valuation.i18n.text import t
from valuation.model import pipeline
from valuation.present import charts_explore as cx

PAGES = ("overview", "tuning", "lifecycle", "customers", "clv", "explore", "dynamics", "actions", "data",
         "present")


@pytest.fixture(scope="module")
def sample_tables():
    store = Store(":memory:")
    ensure_sample(store)
    tables = {name: store.read(SAMPLE_DATASET, name) for name in ("orders", "customers", "payments", "service")}
    store.close()
    return tables


@pytest.fixture(scope="module")
def lake(sample_tables, tmp_path_factory):
    """The sample as a Parquet dataset folder (orders partitioned by year)."""
    return write_parquet_dataset(sample_tables, tmp_path_factory.mktemp("lake") / "sales_lake", layout="hive")


@pytest.fixture(scope="module")
def features_file(lake, tmp_path_factory):
    features = engines.run_features_duckdb(lake)
    return sources.write_features(features, tmp_path_factory.mktemp("features") / "q3 features.parquet",
                                  engine="duckdb", source=str(lake))


@pytest.fixture(scope="module")
def expected(features_file):
    """The engine's answer on the same features: pipeline.summary of the default scoring."""
    scored = pipeline.score(pipeline.prepare_features(sources.read_features(features_file)))
    return {"summary": pipeline.summary(scored), "buyers": int(scored["has_orders"].sum())}


@pytest.fixture
def db_path(tmp_path):
    return apptest.sample_db_in(tmp_path)


def start(db_path, monkeypatch, lang="en", page="data"):
    return open_page(apptest.start(db_path, monkeypatch, lang), page)


def uploader(at):
    """The Data page's uploader (its key changes after each save, which empties it)."""
    (widget,) = at.get("file_uploader")
    return widget


def stored(db_path) -> Store:
    """The app's database file, opened as the app opens it (DuckDB refuses a second configuration)."""
    return Store(db_path)


def texts(at, kind) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def pyramid_counts(at, lang="en") -> dict[str, int]:
    """Customers per tier as the overview's pyramid draws them (tier code -> count)."""
    labels = {t(f"tier.{code}", lang): code for code in ("A", "B", "C", "D", "below_zero")}
    title = t("chart.pyramid.title", lang)
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if not spec["layout"]["title"]["text"].startswith(title):
            continue
        counts = {}
        for trace in spec["data"]:
            x = trace["x"]
            if isinstance(x, dict):
                x = np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"]))
            counts.update({labels[y]: int(v) for y, v in zip(trace["y"], x) if int(v)})
        return counts
    raise AssertionError("no tier pyramid on the page")


# ---------------------------------------------------------------------- features files


@pytest.mark.parametrize("button, scope", [("use_session", "session"), ("save_dataset", "db")])
def test_a_features_file_becomes_a_dataset_with_the_engines_tiers(db_path, monkeypatch, features_file,
                                                                   expected, lake, button, scope):
    at = start(db_path, monkeypatch)
    name = features_file.name
    uploader(at).set_value((name, features_file.read_bytes(), "application/octet-stream")).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = texts(at, "markdown")
    assert f"Features file {name}" in shown
    assert (f"Computed with duckdb from {lake}".replace("_", "\\_") in shown
            and f"as of 2026-09-30: {expected['summary']['customers']:,} customers, "
                f"{expected['buyers']:,} of them with orders" in shown)
    assert at.text_input(key=f"features::{name}::save_name").value == "q3 features"
    at.text_input(key=f"features::{name}::save_name").set_value("cluster q3")
    at.button(key=f"features::{name}::{button}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == f"{scope}:cluster q3"
    flash = t("data.session_ready" if scope == "session" else "data.saved", "en", name="cluster q3")
    assert flash in [s.value for s in at.success]
    assert not uploader(at).value  # the uploader was emptied
    assert "Features file" not in texts(at, "markdown")
    assert "holds features computed with duckdb" in texts(at, "info")
    if scope == "db":
        store = stored(db_path)
        assert sources.dataset_kind(store, "cluster q3") == sources.KIND_FEATURES
        store.close()

    open_page(at, "overview")
    assert metric(at, "Customers") == f"{expected['buyers']:,}"
    assert pyramid_counts(at) == {k: v for k, v in expected["summary"]["tier"].items() if k != "prospect"}
    assert at.date_input[0].value.isoformat() == expected["summary"]["as_of"]  # its one date


def test_an_unusable_features_file_name_keeps_every_dataset(db_path, monkeypatch, features_file):
    at = start(db_path, monkeypatch, lang="zh")
    before = at.selectbox(key="dataset").options
    name = features_file.name
    uploader(at).set_value((name, features_file.read_bytes(), "application/octet-stream")).run()
    at.text_input(key=f"features::{name}::save_name").set_value("bad/name")
    at.button(key=f"features::{name}::save_dataset").click().run()
    assert not at.exception
    assert t("err.bad_dataset_name", "zh", name="bad/name") in texts(at, "error")
    assert t("data.failed_nothing_changed", "zh") in texts(at, "warning")
    assert at.selectbox(key="dataset").options == before


# ---------------------------------------------------------------------- Parquet tables


def test_a_parquet_table_that_is_not_a_features_file_is_read_like_a_csv(db_path, monkeypatch, sample_tables):
    orders = sample_tables["orders"].rename(columns={"customer_id": "客户编号", "order_date": "订单日期",
                                                     "amount": "金额"})
    orders.loc[3, "金额"] = np.nan  # one row a CSV would reject too
    buffer = io.BytesIO()
    orders.to_parquet(buffer)
    at = start(db_path, monkeypatch)
    uploader(at).set_value(("lake_orders.parquet", buffer.getvalue(), "application/octet-stream")).run()
    assert not at.exception, [e.message for e in at.exception]
    n = len(orders)
    assert f"{n:,} rows read, {n - 1:,} loaded, 1 rejected" in texts(at, "markdown")
    assert t("scale.parquet_detected", "en", columns=len(orders.columns)) in texts(at, "caption")
    assert at.dataframe[-1].value.iloc[0]["line"] == 4  # row 4 of the file
    at.text_input(key="save_name").set_value("lake orders")
    at.button(key="use_session").click().run()
    assert at.selectbox(key="dataset").value == "session:lake orders"
    open_page(at, "overview")
    buyers = orders.drop(index=3)["客户编号"].nunique()
    assert metric(at, "Customers") == f"{buyers:,}"


# ---------------------------------------------------------------------- Parquet folders


@pytest.fixture
def roots(monkeypatch, lake, tmp_path):
    """The administrator allows attaching from the lake's parent and this test's folder."""
    monkeypatch.setenv(sources.ATTACH_ROOTS_ENV, f"{lake.parent};{tmp_path}")


def attach(at, path, name="", currency=None):
    at.text_input(key="attach_path").set_value(str(path))
    at.text_input(key="attach_name").set_value(name)
    if currency:
        at.selectbox(key="attach_currency").set_value(currency)
    at.button(key="attach_parquet").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_attaching_a_parquet_folder_selects_it_and_reads_it_in_place(db_path, monkeypatch, lake, roots):
    at = start(db_path, monkeypatch)
    sample_customers = metric(open_page(at, "overview"), "Customers")
    open_page(at, "data")
    attach(at, lake)  # no name: the folder's
    assert at.selectbox(key="dataset").value == "db:sales_lake"
    assert "Attached “sales\\_lake”: 25,860 orders read in place" in texts(at, "success")  # markdown-escaped
    assert "Read in place from the Parquet files under" in texts(at, "caption")
    store = stored(db_path)
    assert sources.dataset_kind(store, "sales_lake") == sources.KIND_PARQUET
    store.close()
    assert metric(open_page(at, "overview"), "Customers") == sample_customers  # the same data


def test_a_parquet_folder_attached_in_hong_kong_dollars_shows_its_money_in_them(db_path, monkeypatch, lake, roots):
    at = open_page(start(db_path, monkeypatch), "data")
    attach(at, lake, "hk_lake", currency="HKD")
    assert at.selectbox(key="dataset").value == "db:hk_lake"
    store = stored(db_path)
    assert store.currency("hk_lake") == "HKD" and store.currency("sales_lake") in (None, "CNY")
    store.close()
    revenue = metric(open_page(at, "overview"), "Revenue, 12 months")
    assert revenue.startswith("HK$") and "¥" not in revenue


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", ["missing", "no_orders", "columns", "wildcard"])
def test_a_bad_folder_shows_the_translated_error_and_changes_nothing(db_path, monkeypatch, tmp_path, lake,
                                                                      sample_tables, lang, case, roots):
    if case == "missing":
        path, code, params = tmp_path / "nowhere", "parquet_missing", {"path": str(tmp_path / "nowhere")}
    elif case == "no_orders":
        (tmp_path / "empty").mkdir()
        path, code, params = tmp_path / "empty", "parquet_no_orders", {"path": str(tmp_path / "empty")}
    elif case == "columns":
        path = write_parquet_dataset({"orders": sample_tables["orders"].drop(columns=["amount"])},
                                     tmp_path / "no_amount", layout="files")
        code, params = "parquet_missing_columns", {"table": "orders", "columns": "amount",
                                                   "path": str(path / "orders.parquet")}
    else:
        path, code, params = f"{lake}/*", "bad_path", {}
    at = start(db_path, monkeypatch, lang=lang)
    before = (at.selectbox(key="dataset").options, at.selectbox(key="dataset").value)
    attach(at, path, "broken")
    assert [e.value for e in at.error] == [t(f"err.{code}", lang, **md_params(params))]
    assert t("scale.attach_failed", lang) in texts(at, "warning")
    assert (at.selectbox(key="dataset").options, at.selectbox(key="dataset").value) == before
    store = stored(db_path)
    assert "broken" not in store.datasets()
    store.close()


def test_attach_without_a_path_asks_for_one(db_path, monkeypatch, roots):
    at = attach(start(db_path, monkeypatch, lang="zh"), "  ")
    assert t("scale.attach_no_path", "zh") in texts(at, "warning")
    assert not at.error


def test_attach_is_off_until_an_administrator_names_the_folders(db_path, monkeypatch, lake):
    monkeypatch.delenv(sources.ATTACH_ROOTS_ENV, raising=False)
    at = start(db_path, monkeypatch, lang="zh")
    assert t("scale.attach_disabled", "zh", env=sources.ATTACH_ROOTS_ENV) in texts(at, "info")
    assert at.button(key="attach_parquet").disabled
    store = stored(db_path)
    assert "sales_lake" not in store.datasets()
    store.close()


@pytest.mark.parametrize("outside", ["elsewhere", "dotdot", "symlink", "link_inside", "file_link_inside"])
def test_a_folder_outside_the_allowed_ones_is_refused(db_path, monkeypatch, tmp_path, lake, outside):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    monkeypatch.setenv(sources.ATTACH_ROOTS_ENV, str(allowed))
    if outside == "elsewhere":
        path = str(lake)
    elif outside == "dotdot":  # looks inside, resolves outside
        path = str(allowed / os.path.relpath(lake, allowed))  # allowed/../../…/sales_lake
        assert path.startswith(str(allowed)) and ".." in path
    elif outside == "symlink":
        (allowed / "link").symlink_to(lake, target_is_directory=True)
        path = str(allowed / "link")
    else:  # a folder inside the allowed one whose orders/ (or one Parquet file) links outside it
        inner = allowed / "lake"
        (inner / "orders").mkdir(parents=True)
        first = next((lake / "orders").rglob("*.parquet"))
        if outside == "link_inside":
            (inner / "orders").rmdir()
            (inner / "orders").symlink_to(lake / "orders", target_is_directory=True)
        else:
            (inner / "orders" / "part.parquet").symlink_to(first)
        path = str(inner)
    at = start(db_path, monkeypatch)
    before = at.selectbox(key="dataset").options
    attach(at, path, "sneaky")
    assert [e.value for e in at.error] == [t("err.attach_outside_roots", "en",
                                             **md_params({"path": path, "roots": str(allowed)}))]
    assert at.selectbox(key="dataset").options == before
    store = stored(db_path)
    assert "sneaky" not in store.datasets()
    store.close()


def test_within_roots_compares_whole_segments():
    assert sources.within_roots("s3://bucket/exports/q3", ["s3://bucket/exports"])
    assert not sources.within_roots("s3://bucket/exports-private/q3", ["s3://bucket/exports"])
    assert not sources.within_roots("/etc", ["s3://bucket"])
    assert not sources.within_roots("s3://bucket/x", ["/data"])
    assert sources.within_roots("/data/lake/", ["/data/lake"])
    assert not sources.within_roots("/data/lakehouse", ["/data/lake"])
    assert not sources.within_roots("", ["/data"])
    assert sources.attach_roots(" /a ; s3://b/c ;; ") == ["/a", "s3://b/c"]


# ---------------------------------------------------------------------- a features dataset on every page


@pytest.fixture(scope="module")
def features_db(tmp_path_factory, features_file):
    path = tmp_path_factory.mktemp("features_db") / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    sources.attach_features(store, "cluster", features_file)
    store.close()
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_for_a_features_dataset(features_db, monkeypatch, lang):
    at = start(features_db, monkeypatch, lang=lang, page="overview")
    at.selectbox(key="dataset").set_value("db:cluster").run()
    assert not at.exception, [e.message for e in at.exception]
    note = t("scale.no_orders_here", lang, name="cluster", as_of=format_date("2026-09-30", lang), what="")
    lead = note.split("，")[0] if lang == "zh" else note.split(" and no")[0]
    for name in PAGES:
        open_page(at, name)
        assert at.title[0].value
        assert not at.error, [e.value for e in at.error]
        if name in ("customers", "clv", "explore", "dynamics"):  # what needs orders says so
            assert lead in texts(at, "info"), name
    open_page(at, "tuning")
    at.slider(key="w::loyalty").set_value(60.0).run()
    assert not at.exception
    open_page(at, "explore")
    dims = at.selectbox(key="explore::dim").options
    assert dims and not {"Month", "Quarter", "Year", "月份", "季度", "年份"} & set(dims)
    codes = {cx.dim_label(d, lang): d for d in explore.DIMENSIONS}
    assert set(dims) <= set(codes)
    for label in dims:
        at.selectbox(key="explore::dim").set_value(codes[label]).run()
        assert not at.exception, label
    open_page(at, "actions")
    at.radio(key="action_list").set_value("growable").run()
    assert not at.exception
    assert t("scale.what.cross_sell", lang) in texts(at, "info")
    open_page(at, "customers")
    options = at.selectbox(key="profile_customer").options
    at.selectbox(key="profile_customer").set_value(options[-1].split(" · ")[0]).run()
    assert not at.exception


# ---------------------------------------------------------------------- uploads parsed once


def test_a_saved_upload_is_parsed_once_and_the_uploader_empties(db_path, monkeypatch):
    from valuation.data import ingest

    calls = {"read_table": 0, "sniff": 0}
    for func in calls:
        real = getattr(ingest, func)

        def counted(*args, _real=real, _name=func, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(ingest, func, counted)
    at = start(db_path, monkeypatch)
    text = "客户编号,订单日期,金额\nK1,2024-01-05,100\nK2,2024-02-05,200\n"
    uploader(at).set_value(("orders.csv", text.encode("gb18030"), "text/csv")).run()
    at.text_input(key="save_name").set_value("once")
    at.run()  # typing the name reruns the page: nothing is parsed again
    at.button(key="use_session").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == "session:once"
    assert calls == {"read_table": 1, "sniff": 1}
    assert not uploader(at).value and uploader(at).key != "upload"
    open_page(at, "data")
    uploader(at).set_value(("orders.csv", text.encode("utf-8"), "text/csv")).run()  # the new uploader works
    assert "2 rows read, 2 loaded, 0 rejected" in texts(at, "markdown")
    assert calls == {"read_table": 2, "sniff": 2}


def test_the_uploader_accepts_parquet(db_path, monkeypatch):
    at = start(db_path, monkeypatch)
    assert {"csv", "tsv", "txt", "xlsx", "parquet"} <= {ext.lstrip(".") for ext in uploader(at).allowed_type}
