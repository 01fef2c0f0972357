"""Saved views and share links: the same configuration comes back, to the same tiers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import preset_box
from valuation.data import saved_views
from valuation.data.store import Store, StoreError, ensure_sample
from valuation.model.settings import LifecycleRules, Settings, TierCuts, Weights
from valuation.present.viewconfig import ViewConfig, from_query, to_query

APP = str(Path(__file__).resolve().parents[1] / "app.py")

TUNED = ViewConfig(
    dataset="db:sample", as_of=dt.date(2026, 6, 30), lang="en",
    settings=Settings(weights=Weights(current=20, future=20, credit=10, loyalty=40, growth=10,
                                      custom=(("importance", 15.0),)),
                      tiers=TierCuts(a=0.1, b=0.2, c=0.3),
                      lifecycle=replace(LifecycleRules(), at_risk_days=60, gap_multiple=2.5)))


def test_a_view_round_trips_through_json():
    assert ViewConfig.from_json(TUNED.to_json()) == TUNED


def test_a_view_round_trips_through_query_parameters():
    params = to_query(TUNED)
    assert params["asof"] == "2026-06-30" and params["lang"] == "en"
    assert "loyalty:40" in params["w"] and "custom:importance:15" in params["w"]
    config, ignored = from_query(params)
    assert ignored == []
    assert config == TUNED


def test_a_hand_edited_link_keeps_what_it_can_and_names_what_it_ignored():
    params = to_query(TUNED) | {"tiers": "5,lots,30", "lang": "fr"}
    config, ignored = from_query(params)
    assert sorted(ignored) == ["lang", "tiers"]
    assert config.settings.weights == TUNED.settings.weights
    assert config.settings.tiers == TierCuts()


@pytest.mark.parametrize("name, value", [
    ("clv", "100000000,10"),  # a horizon of 100 million months kept a core busy for hours
    ("clv", "inf,10"), ("clv", "36,inf"), ("clv", "-12,10"), ("clv", "36,-5"), ("clv", "nan,10"),
    ("life", "inf,180,365,3"), ("life", "90,180,365,inf"), ("life", "-1,180,365,3"), ("life", "90,180,1e12,3"),
    ("w", "current:1000"), ("w", "current:inf"), ("w", "current:nan"), ("w", "current:-1"),
    ("tiers", "inf,15,30"), ("vc", "400,50,30,60"), ("vc", "40,50,30,inf"), ("asof", "99999-01-01"),
])
def test_a_link_with_an_out_of_range_value_names_it_and_keeps_the_rest(name, value):
    params = to_query(TUNED) | {name: value}
    config, ignored = from_query(params)
    assert ignored == [name]
    kept = {k: v for k, v in to_query(config).items() if k != name}
    assert kept == {k: v for k, v in to_query(TUNED).items() if k != name}


def test_every_setting_is_held_to_its_documented_range():
    from valuation.model.settings import MAX_HORIZON_MONTHS, ClassRules, ClvSettings

    for bad in (dict(horizon_months=MAX_HORIZON_MONTHS + 1), dict(horizon_months=0),
                dict(annual_discount_rate=1.5), dict(margin=2.0)):
        with pytest.raises(ValueError):
            ClvSettings(**bad)
    for bad in (dict(at_risk_days=0), dict(churned_days=3651, dormant_days=180), dict(gap_multiple=0.5)):
        with pytest.raises(ValueError):
            LifecycleRules(**bad)
    with pytest.raises(ValueError, match="0 to 100"):
        Weights(custom=(("importance", 101.0),))
    with pytest.raises(ValueError):
        ClassRules(growth_cut=float("nan"))
    assert ClvSettings(horizon_months=MAX_HORIZON_MONTHS).horizon_months == 120


def test_saved_views_can_be_listed_loaded_renamed_and_deleted(tmp_path):
    store = Store(tmp_path / "v.duckdb")
    saved_views.save_view(store, "季度经营会", TUNED.to_json())
    saved_views.save_view(store, "default", ViewConfig().to_json())
    assert saved_views.list_views(store) == ["default", "季度经营会"]
    assert ViewConfig.from_json(saved_views.load_view(store, "季度经营会")) == TUNED
    saved_views.rename_view(store, "季度经营会", "Q3 review")
    with pytest.raises(StoreError):
        saved_views.rename_view(store, "default", "Q3 review")
    saved_views.delete_view(store, "default")
    assert saved_views.list_views(store) == ["Q3 review"]
    with pytest.raises(StoreError):
        saved_views.load_view(store, "default")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("views") / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.close()
    return path


@pytest.fixture
def app(db_path, monkeypatch):
    monkeypatch.setenv("VALUATION_DB", str(db_path))
    return AppTest.from_file(APP, default_timeout=120)


def tiers_shown(at):
    """Customer -> tier as the customers page shows them."""
    at.switch_page("views/customers.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    return dict(zip(table["Customer ID"], table["Tier"]))


def test_a_share_link_rebuilds_the_same_configuration(app):
    for key, value in to_query(TUNED).items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert app.radio(key="lang").value == "en"
    assert app.date_input(key="as_of::db:sample").value == dt.date(2026, 6, 30)
    app.switch_page("views/tuning.py").run()
    assert app.slider(key="w::loyalty").value == 40.0
    assert app.slider(key="w::custom:importance").value == 15.0
    assert app.session_state["settings"] == TUNED.settings
    app.switch_page("views/lifecycle.py").run()
    assert app.number_input(key="life::at_risk_days").value == 60
    # The URL the app keeps is the same link.
    assert {k: app.query_params[k][0] if isinstance(app.query_params[k], list) else app.query_params[k]
            for k in to_query(TUNED)} == to_query(TUNED)


def test_a_hostile_link_opens_every_page_with_defaults_and_says_what_it_ignored(app):
    for key, value in {"clv": "100000000,10", "life": "inf,180,365,3", "w": "current:1000",
                       "vc": "40,50,30,inf", "lang": "en"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    warning = " ".join(w.value for w in app.sidebar.warning)
    assert all(name in warning for name in ("clv", "life", "w", "vc"))
    assert app.session_state["settings"] == Settings()
    for page in ("tuning", "clv", "lifecycle", "overview"):
        app.switch_page(f"views/{page}.py").run()
        assert not app.exception, [e.message for e in app.exception]


def test_a_saved_view_reloads_to_the_same_tiers(app):
    app.session_state["lang"] = "en"
    app.run()
    app.switch_page("views/tuning.py").run()
    preset_box(app).set_value("loyalty_first").run()
    tuned = tiers_shown(app)
    app.text_input(key="view_name").set_value("loyalty view")
    app.button(key="view_save").click().run()
    assert "Saved view “loyalty view”." in [s.value for s in app.success]
    # Change everything, then load the view back.
    app.switch_page("views/tuning.py").run()
    preset_box(app).set_value("growth_first").run()
    assert tiers_shown(app) != tuned
    app.selectbox(key="view_choice").set_value("loyalty view")
    app.button(key="view_load").click().run()
    assert tiers_shown(app) == tuned
    app.switch_page("views/tuning.py").run()
    assert app.slider(key="w::loyalty").value == 40.0


def test_a_bad_or_taken_view_name_gets_a_translated_message_and_saves_nothing(app):
    from valuation.i18n.text import t

    app.session_state["lang"] = "zh"
    app.run()
    app.text_input(key="view_name").set_value("   ")
    app.button(key="view_save").click().run()
    assert [e.value for e in app.error] == [t("err.bad_view_name", "zh")]
    app.text_input(key="view_name").set_value("季度回顾")
    app.button(key="view_save").click().run()
    app.text_input(key="view_name").set_value("第二个")
    app.button(key="view_save").click().run()
    app.selectbox(key="view_choice").set_value("第二个")
    app.text_input(key="view_rename").set_value("季度回顾")
    app.button(key="view_rename_button").click().run()
    assert [e.value for e in app.error] == [t("err.view_exists", "zh", name="季度回顾")]
    assert not app.exception


def test_a_link_from_before_won_back_days_still_reads_and_a_new_one_carries_it():
    old = to_query(TUNED) | {"life": "60,180,365,2.5"}  # four numbers, as links were written before
    config, ignored = from_query(old)
    assert ignored == [] and config.settings.lifecycle.won_back_days == 180
    tuned = replace(TUNED, settings=replace(TUNED.settings, lifecycle=replace(TUNED.settings.lifecycle,
                                                                             won_back_days=270)))
    assert to_query(tuned)["life"].endswith(",270")
    assert from_query(to_query(tuned))[0] == tuned
