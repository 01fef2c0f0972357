"""Weight tuning's strategic tilt (seed 001): pick an industry, watch its customers move up."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.apptest import metric, open_page, open_rules, prepared_sample, preset_box, sample_db, start
from valuation.model import pipeline, tiers
from valuation.model.settings import Settings, Tilt


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return sample_db(tmp_path_factory, "tilt")


@pytest.fixture(scope="module")
def engine(db_path):
    return prepared_sample(db_path)


def _top(prepared, settings, mask):
    codes = pipeline.tier_codes(prepared, settings)
    return int((np.isin(codes, [tiers.TIERS.index("A"), tiers.TIERS.index("B")]) & mask).sum())


def test_favouring_an_industry_on_the_tuning_page_moves_its_customers_and_says_how_many(db_path, engine,
                                                                                      monkeypatch):
    app = start(db_path, monkeypatch)
    open_page(app, "tuning")
    assert "Strategic tilt" in [e.label for e in app.expander]
    assert metric(app, "Customers changing tier") == "0"
    open_rules(app, "tilt")
    app.multiselect(key="tilt::values::industry").set_value(["能源"]).run()
    assert not app.exception
    tilt = Tilt.of([("industry", "能源", 10)])
    energy = (engine.features["industry"] == "能源").to_numpy()
    expected = (f"Favoured customers: {int(energy.sum()):,}; in tiers A/B: "
                f"{_top(engine, Settings(tilt=tilt), energy):,}, {_top(engine, Settings(), energy):,} without the tilt.")
    assert expected in [c.value for c in app.caption]
    moved = int(metric(app, "Customers changing tier").replace(",", ""))
    assert moved > 0
    # more points move more customers, and the link carries the tilt
    app.number_input(key="tilt::points::industry").set_value(20.0).run()
    assert int(metric(app, "Customers changing tier").replace(",", "")) > moved
    assert json.loads(app.query_params["tilt"][0] if isinstance(app.query_params["tilt"], list)
                      else app.query_params["tilt"]) == [["industry", "能源", 20.0]]


def test_the_tilt_reads_in_chinese(db_path, monkeypatch):
    app = start(db_path, monkeypatch, lang="zh")
    open_page(app, "tuning")
    assert "战略倾斜" in [e.label for e in app.expander]
    open_rules(app, "tilt")
    assert app.multiselect(key="tilt::values::region").label == "倾斜的地区"
    assert app.number_input(key="tilt::points::region").label == "加分"


def test_tuning_says_what_the_weights_do(db_path, engine, monkeypatch):
    """#16 item 5: the preset box follows the sliders, the total and shares are shown, tier sizes are
    said to follow the cut-offs, the Sankey leaves out what weights cannot move, movers say why."""
    app = start(db_path, monkeypatch)
    open_page(app, "tuning")
    assert preset_box(app).value == "balanced"
    captions = [c.value for c in app.caption]
    assert "Weights add up to 100; each counts by its share of the composite: Current contribution 30%, " \
           "Future contribution 25%, Credit 15%, Loyalty 15%, Growth potential 15%" in captions
    assert any(c.startswith("Tier sizes follow the cut-offs (A 5%, B 15%, C 30%)") for c in captions)
    app.slider(key="w::loyalty").set_value(35.0).run()
    assert preset_box(app).value == "custom"
    captions = [c.value for c in app.caption]
    assert any(c.startswith("Weights add up to 120;") and "Loyalty 29%" in c for c in captions)
    counts = pipeline.score(engine)["tier"].value_counts()
    assert (f"Prospects ({counts['prospect']:,}) and below-zero customers ({counts['below_zero']:,}) do not "
            "depend on the weights and are left out of the chart.") in captions
    sankey = next(c for c in app.get("plotly_chart") if "Tier migration" in c.proto.spec)
    assert "Prospect" not in json.loads(sankey.proto.spec)["data"][0]["node"]["label"].__str__()
    movers = app.dataframe[0].value
    assert movers["Main reason"].str.startswith("Loyalty +").all()  # only loyalty moved
    # back to the preset's weights: the box says so again
    app.slider(key="w::loyalty").set_value(15.0).run()
    assert preset_box(app).value == "balanced"


def test_a_tilt_is_the_main_reason_of_the_moves_it_causes(db_path, monkeypatch):
    app = start(db_path, monkeypatch, lang="zh")
    open_rules(open_page(app, "tuning"), "tilt")
    app.multiselect(key="tilt::values::industry").set_value(["能源"]).run()
    movers = app.dataframe[0].value
    assert len(movers) > 0 and movers["主要原因"].str.startswith("战略倾斜 +").all()


def test_the_rules_wait_closed_and_open_with_the_cut_offs_in_force(db_path, monkeypatch):
    """The rule inputs are drawn only while their expander is open (a slider move sends none of
    them); a cut-off set there stays in force closed, and reopening shows it again."""
    app = start(db_path, monkeypatch)
    open_page(app, "tuning")
    assert [e.label for e in app.expander][:3] == ["Tier cut-offs (%)", "Value classes", "Strategic tilt"]
    assert not [w for w in app.number_input if w.key and w.key.startswith(("cut::", "class::", "tilt::"))]
    open_rules(app, "tiers")
    assert [app.number_input(key=f"cut::{k}").value for k in "abc"] == [5.0, 15.0, 30.0]
    app.number_input(key="cut::a").set_value(10.0).run()
    app.slider(key="w::loyalty").set_value(25.0).run()  # open rules stay open while the weights move
    assert app.number_input(key="cut::a").value == 10.0
    assert any(c.value.startswith("Tier sizes follow the cut-offs (A 10%, B 15%, C 30%)") for c in app.caption)
    app.session_state["rules::tiers"] = False
    app.run()
    assert not [w for w in app.number_input if w.key and w.key.startswith("cut::")]
    assert any(c.value.startswith("Tier sizes follow the cut-offs (A 10%, B 15%, C 30%)") for c in app.caption)
    open_rules(app, "tiers")
    assert app.number_input(key="cut::a").value == 10.0
