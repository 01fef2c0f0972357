"""Weight tuning's score explanation: the customer chosen stays chosen while the sliders move,
and the bars follow the weights (#17: the options no longer change on every move)."""

from __future__ import annotations

import json

import pytest

from tests.apptest import open_page, prepared_sample, sample_db, start
from valuation.model import pipeline, scoring
from valuation.model.settings import Settings, Weights


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return sample_db(tmp_path_factory, "explain")


def _bars(app) -> dict[str, float]:
    """The explanation's bars (it is the page's last chart): dimension label -> points shown."""
    spec = json.loads(app.get("plotly_chart")[-1].proto.spec)
    bar = spec["data"][0]
    return dict(zip(bar["y"], (float(v) for v in bar["text"])))


def test_a_chosen_customer_stays_chosen_and_the_bars_follow_the_loyalty_weight(db_path, monkeypatch):
    prepared = prepared_sample(db_path)
    f = prepared.features
    buyers = f[f["has_orders"].astype(bool)]
    biggest = buyers.sort_values("revenue_12m", ascending=False, kind="stable")
    app = start(db_path, monkeypatch)
    open_page(app, "tuning")
    box = app.selectbox(key="explain_customer")
    assert box.label == "Customer (biggest 12-month revenue first)"
    assert box.options[0] == f"{biggest['customer_id'].iloc[0]} · {biggest['name'].iloc[0]}"
    assert len(box.options) == min(len(buyers), 1000)
    chosen = box.options[5]
    box.set_value(chosen).run()
    row = biggest.index[5]
    expected = scoring.contributions(prepared.scores.loc[[row]], Settings().weights).loc[row]
    assert _bars(app)["Loyalty"] == pytest.approx(round(float(expected["loyalty"]), 1), abs=0.051)

    app.slider(key="w::loyalty").set_value(60.0).run()  # loyalty up from the balanced preset
    assert not app.exception
    assert app.selectbox(key="explain_customer").value == chosen  # still the same customer
    heavier = Settings(weights=Weights(loyalty=60.0))
    after = scoring.contributions(prepared.scores.loc[[row]], heavier.weights).loc[row]
    assert _bars(app)["Loyalty"] == pytest.approx(round(float(after["loyalty"]), 1), abs=0.051)
    assert after["loyalty"] > expected["loyalty"]
    assert pipeline.score(prepared, heavier).at[row, "composite"] == pytest.approx(float(after.sum()))
