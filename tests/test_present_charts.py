"""Chart builders: figure data, titles, colours and sampling, inspected on tiny hand-made frames."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuation.i18n.format import format_pct
from valuation.i18n.text import TEXT, t
from valuation.model import clv, lifecycle, scoring, tiers
from valuation.model.settings import ClassRules, Weights
from valuation.present import charts, charts_clv, charts_matrix, style

DIMS = ["current", "future", "credit", "loyalty", "growth"]

# tier, customers, revenue_12m each, net_profit_12m each, clv of the first (then +10% per customer)
_TIER_ROWS = [
    ("A", 2, 1000.0, 500.0, 900.0),
    ("B", 3, 400.0, 150.0, 300.0),
    ("C", 5, 150.0, 40.0, 100.0),
    ("D", 6, 50.0, 10.0, 30.0),
    ("below_zero", 2, 100.0, -80.0, 5.0),
    ("prospect", 2, 0.0, 0.0, 0.0),
]
_STAGES = ["loyal", "repeat", "new", "at_risk", "dormant", "churned", "won_back", "loyal", "repeat", "new",
           "loyal", "repeat", "at_risk", "loyal", "churned", "repeat", "loyal", "new", "target", "prospect"]
_CLASSES = {"A": "most_valuable", "B": "most_valuable", "C": "growable", "D": "maintain",
            "below_zero": "below_zero", "prospect": "prospect"}


def scored_frame() -> pd.DataFrame:
    """Twenty customers shaped like ``pipeline.score`` output: 2 A, 3 B, 5 C, 6 D, 2 below zero, 2 prospects."""
    rows = []
    for tier, n, revenue, profit, value in _TIER_ROWS:
        for k in range(n):
            rows.append({"tier": tier, "revenue_12m": revenue, "net_profit_12m": profit,
                         "clv": value * (1 + 0.1 * k), "has_orders": tier != "prospect",
                         "value_class": _CLASSES[tier]})
    frame = pd.DataFrame(rows)
    n = len(frame)
    frame.insert(0, "customer_id", [f"c{i:02d}" for i in range(1, n + 1)])
    frame.insert(1, "name", [f"Customer {i}" for i in range(1, n + 1)])
    frame["lifecycle_stage"] = _STAGES
    rank = np.linspace(95, 5, n)  # best first
    frame["actual_value"] = np.where(frame["has_orders"], rank * 1000, 0.0)  # ¥95,000 down to ¥5,000
    frame["strategic_value"] = np.tile([3000.0, 70000.0], n // 2)
    for j, dim in enumerate(DIMS):
        frame[dim] = np.clip(rank - 5 * j, 0, 100)
    frame["composite"] = scoring.composite(frame[DIMS], Weights())
    return frame


def big_scored_frame(n: int = 10_000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(n)],
        "actual_value": rng.lognormal(9, 1, n),
        "strategic_value": rng.lognormal(9, 1, n),
        "value_class": rng.choice(list(tiers.VALUE_CLASSES), n),
    })


def points(fig) -> int:
    """Customers drawn (marker traces; the class boundaries are line traces)."""
    return sum(len(trace.x) for trace in fig.data if trace.mode == "markers")


def notes(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations if a.name == style.NOTE]


# --------------------------------------------------------------------------- pyramid


def test_pyramid_bars_count_the_customers_of_each_tier_with_A_on_top():
    fig = charts.tier_pyramid(scored_frame(), "en")
    pyramid = fig.data[0]
    assert list(pyramid.x) == [2, 3, 5, 6]
    assert list(pyramid.y) == [t(f"tier.{c}", "en") for c in "ABCD"]
    # Categories run bottom to top: A is the last, so it is drawn on top.
    assert fig.layout.yaxis.categoryarray[-1] == t("tier.A", "en")
    # Centred: each bar starts at minus half its length.
    assert list(pyramid.base) == [-1.0, -1.5, -2.5, -3.0]


def test_pyramid_text_gives_count_and_shares_of_revenue_and_profit():
    fig = charts.tier_pyramid(scored_frame(), "en")
    revenue_share = format_pct(2000 / 4450)  # A's revenue over the revenue of all buyers
    profit_share = format_pct(1000 / 1550)
    assert fig.data[0].text[0] == (f"<b>{t('tier.A', 'en')}</b> · 2 customers<br>{revenue_share} of revenue · "
                                   f"{profit_share} of profit")
    assert revenue_share == "45%" and profit_share == "65%"


def test_pyramid_shows_below_zero_apart_in_red_and_notes_the_prospects_left_out():
    fig = charts.tier_pyramid(scored_frame(), "en")
    below = fig.data[1]
    assert list(below.x) == [2]
    assert below.marker.color == style.TIER_COLORS["below_zero"]
    assert fig.layout.yaxis.categoryarray[0] == t("tier.below_zero", "en")
    assert "-10%" in below.text[0]  # -160 of 1,550 profit
    assert notes(fig) == ["2 prospects (no orders yet) not shown"]
    assert all(t("tier.prospect", "en") not in y for trace in fig.data for y in trace.y)


# --------------------------------------------------------------------------- value matrix


def test_value_matrix_never_sends_more_than_2000_points_and_says_it_sampled():
    big = big_scored_frame()
    fig = charts_matrix.value_matrix(big, "en")
    assert points(fig) == 2000
    assert notes(fig)[0] == "sampled 2,000 of 10,000 customers (fixed seed)"


def test_value_matrix_draws_the_same_sample_whatever_the_row_order():
    big = big_scored_frame()
    first = charts_matrix.value_matrix(big, "en")
    again = charts_matrix.value_matrix(big.iloc[::-1], "en")
    for a, b in zip(first.data, again.data):
        if a.mode == "markers":
            assert sorted(map(tuple, a.customdata)) == sorted(map(tuple, b.customdata))


def test_value_matrix_is_in_money_on_log_axes_with_the_class_boundaries():
    frame = scored_frame()
    fig = charts_matrix.value_matrix(frame, "en")
    assert notes(fig) == ["2 prospects (no orders yet) not shown"]  # 18 buyers: nothing sampled
    assert points(fig) == 18
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert "¥10K" in fig.layout.xaxis.ticktext and t("chart.matrix.x_money", "en") in fig.layout.xaxis.title.text
    lines = [(tuple(tr.x), tuple(tr.y)) for tr in fig.data if tr.mode == "lines"]
    buyers = frame[frame["has_orders"]]
    a_cut = buyers.loc[buyers["value_class"] == "most_valuable", "actual_value"].min()
    g_cut = buyers.loc[buyers["value_class"] == "growable", "strategic_value"].min()
    assert a_cut == lines[0][0][0] == lines[0][0][1]  # vertical: the least of the most valuable
    assert lines[1][1] == (g_cut, g_cut) and lines[1][0][1] == a_cut  # growable, left of that line
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "<b>Most valuable</b> · 5" in texts and "<b>Growable</b> · " in texts
    colours = {trace.name: trace.marker.color for trace in fig.data if trace.mode == "markers"}
    assert colours[t("class.below_zero", "en")] == style.CLASS_COLORS["below_zero"]
    hover = next(tr for tr in fig.data if tr.mode == "markers").customdata[0]
    assert hover[1].startswith("¥") and hover[2].startswith("¥")  # the true figures, in money


def test_a_dollar_dataset_draws_dollars_on_every_money_axis_and_no_wan():
    from valuation.i18n.format import using_currency

    frame = scored_frame()
    with using_currency("USD"):
        en, zh = charts_matrix.value_matrix(frame, "en"), charts_matrix.value_matrix(frame, "zh")
        _, axis_zh = style._money_axis([2_000_000.0], "zh", "收入")
        _, axis_en = style._money_axis([2_000_000.0], "en", "Revenue")
    assert "$10K" in en.layout.xaxis.ticktext and not any("¥" in x for x in en.layout.xaxis.ticktext)
    assert "US$10K" in zh.layout.xaxis.ticktext and not any("万" in x for x in zh.layout.xaxis.ticktext)
    hover = next(tr for tr in en.data if tr.mode == "markers").customdata[0]
    assert hover[1].startswith("$")
    assert axis_zh["tickprefix"] == "US$" and "万" not in axis_zh["title"]["text"]
    assert axis_en["tickprefix"] == "$"
    _, yuan = style._money_axis([2_000_000.0], "zh", "收入")  # outside the block: the yuan in 万元 again
    assert "万元" in yuan["title"]["text"]


def test_value_matrix_puts_losses_and_missing_wallets_on_the_edges_and_says_so():
    frame = scored_frame()
    frame.loc[0, "actual_value"] = -25_000.0
    frame.loc[1, "strategic_value"] = np.nan
    fig = charts_matrix.value_matrix(frame, "zh")
    texts = notes(fig)
    assert any("左边缘" in n and n.startswith("1 ") for n in texts)
    assert any("没有钱包估计" in n for n in texts)
    x_axis_start = 10 ** fig.layout.xaxis.range[0]
    xs = np.concatenate([np.asarray(tr.x, float) for tr in fig.data if tr.mode == "markers"])
    assert xs.min() > x_axis_start  # the loss is drawn inside the plot, on the edge strip
    first = [tr for tr in fig.data if tr.mode == "markers" for row in tr.customdata if row[0] == "Customer 1"]
    assert first and "-" in next(r for r in first[0].customdata if r[0] == "Customer 1")[1]


def test_value_matrix_without_wallet_estimates_shows_the_growth_score():
    frame = scored_frame().assign(strategic_value=np.nan)
    fig = charts_matrix.value_matrix(frame, "en", ClassRules(growth_cut=65))
    assert fig.layout.yaxis.type != "log" and "Growth score" in fig.layout.yaxis.title.text
    assert any("No wallet estimates" in n and "at least 65" in n for n in notes(fig))
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    assert tuple(lines[1].y) == (65, 65)


# --------------------------------------------------------------------------- whale curve


def test_whale_title_carries_the_real_top_share_and_the_cost_of_the_bottom():
    frame = scored_frame()
    reading = tiers.whale_reading(frame.loc[frame["has_orders"], "net_profit_12m"])
    fig = charts.whale_curve(frame, "en")
    top = f"{round(reading['top_share'] * 100)}%"
    assert fig.layout.title.text == charts.whale_sentence(reading, "en")
    assert fig.layout.title.text.startswith(f"The top 20% of customers give {top} of profit")
    assert "the bottom 30% cost" in fig.layout.title.text and "of the potential (peak) profit" in fig.layout.title.text
    peak = f"{round(abs(reading['bottom_of_peak']) * 100)}%"
    assert f"cost {peak} of the potential" in fig.layout.title.text  # Kotler's reading: against the peak
    assert len(fig.data[0].x) <= 201


def test_whale_sentence_says_add_when_the_bottom_thirty_percent_make_money():
    reading = {"customers": 10, "total_profit": 100.0, "top_share": 0.6, "bottom_share": 0.05, "peak_share": 1.0}
    assert charts.whale_sentence(reading, "en") == (
        "The top 20% of customers give 60% of profit; the bottom 30% add 5% of the potential profit")
    assert "贡献了潜在利润的 5%" in charts.whale_sentence(reading, "zh")


def test_whale_curve_without_profit_says_so_instead_of_drawing():
    frame = scored_frame().assign(net_profit_12m=0.0)
    fig = charts.whale_curve(frame, "en")
    assert fig.layout.title.text == t("chart.whale.empty", "en")
    assert not fig.data


# --------------------------------------------------------------------------- migration


def test_sankey_link_values_sum_to_the_customers_in_both_scorings():
    before = scored_frame().set_index("customer_id")["tier"]
    after = before.copy()
    after.iloc[:4] = ["B", "B", "below_zero", "C"]  # two A and two B customers move
    after = after.drop(after.index[-1])  # one customer no longer scored
    fig = charts.migration_sankey(before, after, "en")
    assert sum(fig.data[0].link.value) == 19
    assert fig.layout.title.subtitle.text == "4 of 19 customers moved"
    # every link is one cell of the matrix: from its row's node to its column's node
    link, labels = fig.data[0].link, list(fig.data[0].node.label)
    matrix = charts.migration_matrix(before, after)
    cells = {(t(f"tier.{b}", "en"), t(f"tier.{a}", "en"), int(matrix.loc[b, a]))
             for b in matrix.index for a in matrix.columns if matrix.loc[b, a]}
    assert {(labels[s], labels[g], v) for s, g, v in zip(link.source, link.target, link.value)} == cells
    before_nodes = sum(1 for b in matrix.index if matrix.loc[b].sum() > 0)  # the left column's nodes come first
    assert max(link.source) < before_nodes <= min(link.target)


def test_migration_matrix_counts_moves_in_canonical_order():
    before = pd.Series(["D", "A", "A", "prospect"], index=[1, 2, 3, 4])
    after = pd.Series(["C", "A", "below_zero", "D"], index=[1, 2, 3, 4])
    m = charts.migration_matrix(before, after)
    assert list(m.index) == ["A", "C", "D", "below_zero", "prospect"] == list(m.columns)
    assert m.loc["A", "below_zero"] == 1 and m.loc["D", "C"] == 1 and m.to_numpy().sum() == 4


def test_stage_sankey_uses_stage_labels_and_colours():
    stages = pd.Series(["loyal", "at_risk", "new"])
    fig = charts.migration_sankey(stages, pd.Series(["at_risk", "churned", "repeat"]), "zh", kind="stage")
    node = fig.data[0].node
    assert t("stage.loyal", "zh") in node.label
    assert node.color[list(node.label).index(t("stage.churned", "zh"))] == style.STAGE_COLORS["churned"]


# --------------------------------------------------------------------------- funnel, activity, contributions


def funnel_table() -> pd.DataFrame:
    """Shaped like ``lifecycle.funnel`` output."""
    customers = [1200, 1000, 800, 600, 300, 150]
    conversion = [np.nan] + [b / a for a, b in zip(customers, customers[1:])]
    return pd.DataFrame({"step": list(lifecycle.FUNNEL), "customers": customers, "conversion": conversion})


def test_funnel_values_equal_the_funnel_counts_with_conversion_from_the_previous_step():
    table = funnel_table()
    fig = charts.lifecycle_funnel(table, "en")
    assert list(fig.data[0].x) == table["customers"].tolist()
    assert fig.data[0].y[3] == t("stage.first_purchase", "en")
    assert fig.data[0].text[0] == "1,200"
    assert fig.data[0].text[4] == "300<br>50% of previous"
    assert fig.data[0].marker.color[5] == style.STAGE_COLORS["loyal"]


def test_activity_bars_count_each_state_and_leave_out_customers_without_orders():
    frame = scored_frame()
    fig = charts.activity_bars(frame, "en")
    # active = new + repeat + loyal; then at risk, dormant, churned, woken (none here), won back
    assert list(fig.data[0].y) == [12, 2, 1, 2, 0, 1]
    assert notes(fig) == ["2 prospects (no orders yet) not shown"]
    assert "Revenue, 12 months" in fig.data[0].customdata[0]


def test_contribution_bars_add_up_to_the_composite_in_the_title():
    frame = scored_frame()
    row = scoring.contributions(frame[DIMS], Weights()).iloc[0]
    fig = charts.contribution_bars(row, "en")
    assert sum(fig.data[0].x) == pytest.approx(frame["composite"].iloc[0])
    assert fig.layout.title.text.startswith(f"Composite {frame['composite'].iloc[0]:.1f}")
    assert list(fig.data[0].y) == [t(f"dim.{d}", "en") for d in DIMS]


def test_radar_closes_the_loop_over_the_dimensions_available():
    scores = pd.Series({"current": 80.0, "future": 60.0, "credit": np.nan, "loyalty": 40.0, "growth": 20.0})
    average = pd.Series({d: 50.0 for d in DIMS})
    fig = charts.radar(scores, average, "en", "Acme")
    customer = fig.data[1]
    assert customer.name == "Acme"
    assert list(customer.r) == [80.0, 60.0, 40.0, 20.0, 80.0]
    assert t("dim.credit", "en") not in customer.theta


# --------------------------------------------------------------------------- money charts


def test_order_history_nets_returns_and_fills_silent_months_with_zero():
    orders = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02", "2024-04-09"]),
                           "amount": [300.0, -100.0, 600.0, 900.0]})
    fig = charts.order_history(orders, "en")
    bars, rolling = fig.data
    assert list(bars.y) == [200.0, 0.0, 600.0, 900.0]
    assert list(rolling.y) == pytest.approx([200.0, 100.0, 800 / 3, 500.0])
    assert fig.layout.yaxis.tickformat == "~s"


def test_chinese_money_axes_switch_to_wan_when_values_are_large():
    orders = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-05", "2024-02-05"]),
                           "amount": [250_000.0, 50_000.0]})
    fig = charts.order_history(orders, "zh")
    assert list(fig.data[0].y) == [25.0, 5.0]
    assert "万元" in fig.layout.yaxis.title.text
    small = charts.order_history(orders.assign(amount=[500.0, 20.0]), "zh")
    assert "（元）" in small.layout.yaxis.title.text and list(small.data[0].y) == [500.0, 20.0]


def test_clv_by_tier_sends_quantiles_not_points():
    frame = scored_frame()
    fig = charts_clv.clv_by_tier(frame, "en")
    boxes = [trace for trace in fig.data if trace.type == "box"]
    assert [b.name for b in boxes] == [t(f"tier.{c}", "en") for c in ["A", "B", "C", "D", "below_zero"]]
    for box in boxes:
        assert box.y is None and len(box.q1) == len(box.median) == len(box.q3) == 1
    d = frame.loc[frame["tier"] == "D", "clv"]
    d_box = boxes[3]
    assert d_box.median[0] == pytest.approx(d.median())
    assert d_box.q1[0] == pytest.approx(d.quantile(0.25))
    assert sum(len(trace.x) for trace in fig.data) == 10  # a box and a hover point per tier


def test_formula_clv_chart_ends_at_the_formula_value():
    table = clv.formula_clv_table(100.0, 0.8, 0.01, 12, acquisition_cost=50.0)
    fig = charts_clv.formula_clv_chart(table, "en")
    expected = clv.formula_clv(100.0, 0.8, 0.01, 12, 50.0)
    assert fig.data[1].y[-1] == pytest.approx(expected)
    assert list(fig.data[0].y) == pytest.approx(table["discounted_margin"].tolist())
    assert f"¥{expected:,.0f}" in fig.layout.title.text


def test_tier_share_bars_stack_to_all_customers_with_orders():
    fig = charts.tier_share_bars(scored_frame(), "en")
    customer_shares = [trace.y[0] for trace in fig.data]
    assert sum(customer_shares) == pytest.approx(1.0)
    profit = {trace.name: trace.y[2] for trace in fig.data}
    assert profit[t("tier.below_zero", "en")] == pytest.approx(-160 / 1550)
    assert fig.layout.barmode == "relative"


# --------------------------------------------------------------------------- model diagnostics


def test_holdout_chart_plots_holdout_by_frequency_output():
    summary = pd.DataFrame({"frequency": [0, 0, 1, 2, 9], "recency": [0.0, 0.0, 10.0, 20.0, 30.0],
                            "T": [39.0] * 5, "frequency_holdout": [0, 1, 1, 2, 5],
                            "duration_holdout": [39.0] * 5})
    table = clv.holdout_by_frequency(summary, clv.BetaGeoModel.from_params(0.243, 4.414, 0.793, 2.426))
    fig = charts_clv.holdout_chart(table, "en")
    actual, predicted = fig.data
    assert list(actual.x) == table["label"].tolist() and actual.x[-1] == "7+"
    assert actual.y[0] == pytest.approx(0.5)
    assert list(predicted.y) == pytest.approx(table["predicted"].tolist(), nan_ok=True)
    assert actual.name == "Actual"


def test_p_alive_heatmap_shows_the_grid_and_thins_a_big_one():
    model = clv.BetaGeoModel.from_params(0.243, 4.414, 0.793, 2.426)
    grid = clv.probability_alive_matrix(model, 10, 39)
    fig = charts_clv.p_alive_heatmap(grid, "en")
    assert np.asarray(fig.data[0].z).shape == (11, 40)
    assert list(fig.data[0].y) == list(range(11)) and not notes(fig)
    big = charts_clv.p_alive_heatmap(clv.probability_alive_matrix(model, 99, 99), "en")
    assert np.asarray(big.data[0].z).size <= style.MAX_POINTS
    assert notes(big) == ["large grid: 1 in 3 rows and columns shown (1,156 of 10,000 cells)"]


# --------------------------------------------------------------------------- shared rules


def _all_figures(frame: pd.DataFrame, lang: str) -> dict:
    contrib = scoring.contributions(frame[DIMS], Weights()).iloc[0]
    table = clv.formula_clv_table(100.0, 0.8, 0.01, 12)
    return {
        "pyramid": charts.tier_pyramid(frame, lang),
        "matrix": charts_matrix.value_matrix(frame, lang),
        "whale": charts.whale_curve(frame, lang),
        "sankey": charts.migration_sankey(frame["tier"], frame["tier"], lang),
        "contrib": charts.contribution_bars(contrib, lang),
        "funnel": charts.lifecycle_funnel(funnel_table(), lang),
        "activity": charts.activity_bars(frame, lang),
        "radar": charts.radar(frame[DIMS].iloc[0], frame[DIMS].mean(), lang, "Acme"),
        "history": charts.order_history(pd.DataFrame({"order_date": pd.to_datetime(["2024-01-01"]),
                                                      "amount": [5.0]}), lang),
        "clv": charts_clv.clv_by_tier(frame, lang),
        "formula": charts_clv.formula_clv_chart(table, lang),
        "share": charts.tier_share_bars(frame, lang),
    }


def test_titles_switch_language():
    frame = scored_frame()
    en, zh = _all_figures(frame, "en"), _all_figures(frame, "zh")
    for name in en:
        assert en[name].layout.title.text != zh[name].layout.title.text, name
        assert re.search(r"[\u4e00-\u9fff]", zh[name].layout.title.text), name
    assert zh["pyramid"].layout.title.text == "客户价值金字塔"
    assert "客户" in zh["pyramid"].data[0].text[0] and "收入占" in zh["pyramid"].data[0].text[0]
    assert zh["whale"].layout.title.text.startswith("利润最高的 20% 客户贡献了")
    assert zh["activity"].data[0].x[0] == "活跃"


def test_every_figure_has_the_house_layout():
    for fig in _all_figures(scored_frame(), "zh").values():
        assert "Noto Sans CJK SC" in fig.layout.font.family
        assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white


def test_tier_A_has_the_same_colour_in_pyramid_sankey_and_clv_boxes():
    frame = scored_frame()
    a = style.TIER_COLORS["A"]
    pyramid = charts.tier_pyramid(frame, "en").data[0]
    assert pyramid.marker.color[list(pyramid.y).index(t("tier.A", "en"))] == a
    node = charts.migration_sankey(frame["tier"], frame["tier"], "en").data[0].node
    assert node.color[list(node.label).index(t("tier.A", "en"))] == a
    box = charts_clv.clv_by_tier(frame, "en").data[0]
    assert box.name == t("tier.A", "en") and box.marker.color == a and box.line.color == a
    share = charts.tier_share_bars(frame, "en").data[0]
    assert share.name == t("tier.A", "en") and share.marker.color == a
    assert style.CLASS_COLORS["below_zero"] == style.TIER_COLORS["below_zero"]


def test_builders_do_not_change_their_input():
    frame = scored_frame()
    kept = frame.copy(deep=True)
    _all_figures(frame, "en")
    pd.testing.assert_frame_equal(frame, kept)


def test_every_chart_label_used_exists_in_both_languages():
    source = "".join(Path(m.__file__).read_text(encoding="utf-8") for m in (charts, charts_clv, charts_matrix, style))
    used = set(re.findall(r'"(chart\.[a-z_.]+)"', source))
    assert used - set(TEXT) == set()
    for key in (k for k in TEXT if k.startswith("chart.")):
        zh, en = TEXT[key]
        assert zh and en, key


# --------------------------------------------------------------------------- realistic data


@pytest.fixture(scope="module")
def sample_scored(tmp_path_factory) -> pd.DataFrame:
    from valuation.data import sample
    from valuation.data.store import Store
    from valuation.model import pipeline

    folder = tmp_path_factory.mktemp("chart_sample")
    sample.generate(str(folder), customers=2000, prospects=1000, seed=7)
    dates = {"orders": ["order_date"], "customers": ["created_at"],
             "payments": ["invoice_date", "due_date", "paid_date"], "service": ["date"]}
    tables = {name: pd.read_csv(folder / f"{name}.csv", parse_dates=cols, dtype={"customer_id": str})
              for name, cols in dates.items()}
    store = Store(":memory:")
    store.replace_dataset("generated", tables)
    return pipeline.score(pipeline.prepare(store, "generated"))


def test_charts_on_the_sample_data_agree_with_the_summary(sample_scored):
    from valuation.model import pipeline

    summary = pipeline.summary(sample_scored)
    pyramid = charts.tier_pyramid(sample_scored, "en")
    assert list(pyramid.data[0].x) == [summary["tier"][c] for c in "ABCD"]
    whale = charts.whale_curve(sample_scored, "en")
    assert format_pct(summary["whale"]["top_share"]) in whale.layout.title.text
    matrix = charts_matrix.value_matrix(sample_scored, "en")
    assert points(matrix) == 2000  # 2,000 buyers: all drawn
    assert notes(matrix)[-1] == "1,000 prospects (no orders yet) not shown"
    drawn = {tr.name: len(tr.x) for tr in matrix.data if tr.mode == "markers"}
    assert drawn[t("class.most_valuable", "en")] == summary["value_class"]["most_valuable"]
    boxes = [trace for trace in charts_clv.clv_by_tier(sample_scored, "zh").data if trace.type == "box"]
    assert "万元" in charts_clv.clv_by_tier(sample_scored, "zh").layout.yaxis.title.text
    assert len(boxes) == 5
    table = lifecycle.funnel(sample_scored, sample_scored["lifecycle_stage"])
    assert list(charts.lifecycle_funnel(table, "en").data[0].x) == table["customers"].tolist()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pyramid_and_sankey_from_tier_codes_equal_the_figures_from_labels(lang):
    """The tuning page draws both figures from the tier codes on every slider move: same figures."""
    frame = scored_frame()
    after = frame.copy()
    after.loc[:3, "tier"] = ["B", "B", "below_zero", "C"]
    codes = {name: np.array([tiers.TIERS.index(x) for x in f["tier"]]) for name, f in
             (("before", frame), ("after", after))}
    assert charts.tier_pyramid(after, lang, codes=codes["after"]).to_json() == \
        charts.tier_pyramid(after, lang).to_json()
    from_codes = charts.migration_sankey(None, None, lang,
                                         table=tiers.migration_from_codes(codes["before"], codes["after"]))
    assert from_codes.to_json() == charts.migration_sankey(frame["tier"], after["tier"], lang).to_json()
    no_prospects = after[after["tier"] != "prospect"]
    assert charts.tier_pyramid(no_prospects, lang, codes=codes["after"][after["tier"].to_numpy() != "prospect"]
                               ).to_json() == charts.tier_pyramid(no_prospects, lang).to_json()


def _decoded(value):
    """A figure's JSON with plotly's base64 arrays ({"dtype", "bdata"}) written out as lists."""
    import base64

    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            return _decoded((array.reshape(value["shape"].split(", ")) if "shape" in value else array).tolist())
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_what_streamlit_sends_of_a_figure_is_the_figure_plotly_would_send(sample_scored, lang):
    """style.Figure skips plotly's deep copy and base64 pass when Streamlit asks for the figure's
    dict (#17): the JSON sent to the browser holds the same figure, and the figure is unchanged."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio
    import plotly.tools

    codes = np.array([tiers.TIERS.index(x) for x in sample_scored["tier"]])
    figures = [charts.tier_pyramid(sample_scored, lang, codes=codes), charts_matrix.value_matrix(sample_scored, lang),
               charts.migration_sankey(sample_scored["tier"], sample_scored["tier"], lang),
               charts.whale_curve(sample_scored, lang)]
    for fig in figures:
        assert isinstance(fig, style.Figure)
        before = fig.to_json()
        # what st.plotly_chart does with it
        sent = plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
        spec = pio.to_json(sent, validate=False)
        plain = go.Figure(fig).to_json()  # an ordinary go.Figure of the same figure
        assert _decoded(json.loads(spec)) == _decoded(json.loads(plain))
        assert fig.to_json() == before


def test_the_matrix_sample_is_the_seeded_sample_of_the_buyers_ordered_by_id():
    rng = np.random.default_rng(3)
    n = style.MAX_POINTS * 3
    frame = pd.DataFrame({"customer_id": [f"C{i:06d}" for i in rng.permutation(n)],
                          "has_orders": rng.random(n) < 0.7})
    rows = np.flatnonzero(frame["has_orders"].to_numpy())
    expected = frame.iloc[rows].sort_values("customer_id", kind="mergesort").sample(
        style.MAX_POINTS, random_state=style.SAMPLE_SEED)
    positions = style._sample_positions(frame, rows=rows)
    assert frame.iloc[positions]["customer_id"].tolist() == expected["customer_id"].tolist()
    assert style._sample_positions(frame.head(10)) is None  # all fit: nothing drawn
