"""AppTest per page: change a widget, check what moved (on the bundled sample dataset)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from tests.apptest import metric, open_page, open_rules, orders_only_frame, prepared_sample, preset_box, start
from valuation.analysis import insights
from valuation.data.store import Store, ensure_sample
from valuation.i18n.format import format_money
from valuation.model import lifecycle, pipeline
from valuation.model.settings import Settings


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("apptest") / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.close()
    return path


@pytest.fixture(scope="module")
def engine(db_path):
    """The engine's own answers on the same data, to compare the pages with."""
    return prepared_sample(db_path)


@pytest.fixture
def app(db_path, monkeypatch):
    return start(db_path, monkeypatch)


def test_overview_shows_the_engine_figures(app, engine):
    k = insights.kpis(pipeline.score(engine))
    assert app.title[0].value == "Overview"
    assert metric(app, "Customers") == f"{k['customers']:,}"
    assert metric(app, "Tier A's share of profit") == f"{k['tier_a_profit_share'] * 100:.0f}%"


def test_moving_the_as_of_date_back_changes_the_overview(app):
    before = metric(app, "Revenue, 12 months")
    key = next(d.key for d in app.date_input)
    app.date_input(key=key).set_value(dt.date(2025, 9, 30)).run()
    assert not app.exception
    assert metric(app, "Revenue, 12 months") != before


def test_switching_language_changes_the_titles(app):
    assert app.title[0].value == "Overview"
    app.radio(key="lang").set_value("zh").run()
    assert app.title[0].value == "总览"
    assert "成交客户" in [m.label for m in app.metric]


def test_raising_the_loyalty_weight_moves_a_named_customer_from_c_to_b(app, engine):
    default = pipeline.score(engine, Settings())
    loyal = pipeline.score(engine, replace(Settings(), weights=Settings().weights.with_weight("loyalty", 45)))
    up = insights.migration(default, loyal, direction="up")
    named = up.loc[(up["tier_before"] == "C") & (up["tier_after"] == "B"), "customer_id"].iloc[0]

    open_page(app, "tuning")
    assert app.title[0].value == "Weight tuning"
    assert "No customer moved against the baseline." in [c.value for c in app.caption]
    app.slider(key="w::loyalty").set_value(45.0).run()
    assert not app.exception
    assert app.radio(key="movers_direction").value == "up"
    movers = app.dataframe[0].value
    row = movers[movers["Customer ID"] == named]
    assert len(row) == 1
    assert row.iloc[0]["Tier before"] == "Tier C (regular)"
    assert row.iloc[0]["Tier after"] == "Tier B (key)"
    # The counts above the pyramid say how many changed tier, as the engine does.
    changed = int((default["tier"] != loyal["tier"]).sum())
    assert metric(app, "Customers changing tier") == f"{changed:,}"


def test_a_slider_move_shows_the_engines_figures_without_assembling_a_scored_frame(app, engine, monkeypatch):
    """A move reads the composites and tier codes kept with the prepared data: the pyramid, tier
    A's share and the movers are the engine's, and no scored frame of every customer was put
    together for them (at 100k customers that was ~7 ms of every move, bench/load_test.py)."""
    import json

    from valuation.i18n.format import format_pct
    from valuation.model import tiers

    open_page(app, "tuning")
    score, assembled = pipeline.score, []
    monkeypatch.setattr(pipeline, "score", lambda *a, **k: assembled.append(a) or score(*a, **k))
    app.slider(key="w::loyalty").set_value(45.0).run()
    assert not app.exception and assembled == []
    loyal = score(engine, replace(Settings(), weights=Settings().weights.with_weight("loyalty", 45)))
    counts = loyal["tier"].value_counts()
    pyramid = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    assert [int(x) for x in pyramid["x"]] == [int(counts.get(tier, 0)) for tier in tiers.PYRAMID]
    assert metric(app, "Tier A's share of profit") == format_pct(insights.kpis(loyal)["tier_a_profit_share"])
    expected = insights.migration(score(engine, Settings()), loyal, direction="up")
    shown = app.dataframe[0].value
    assert list(shown["Customer ID"]) == list(expected["customer_id"])
    # the reason right after the tiers, where a 1280-pixel screen shows it without scrolling the table
    assert list(shown.columns)[2:5] == ["Tier before", "Tier after", "Main reason"]
    assert shown["Composite after"].to_numpy() == pytest.approx(expected["composite_after"].to_numpy(), abs=0.051)
    # why each one moved: raising loyalty's weight gave the first mover most of its points there
    first = engine.scores.loc[loyal.index[loyal["customer_id"] == expected["customer_id"].iloc[0]][0]]
    dims = list(engine.scores.columns)
    then, now = Settings().weights.as_dict(), Settings().weights.with_weight("loyalty", 45).as_dict()
    gained = {d: now[d] * first[d] / sum(now[k] for k in dims) - then[d] * first[d] / sum(then[k] for k in dims)
              for d in dims}
    assert max(gained, key=lambda d: abs(gained[d])) == "loyalty"
    assert shown["Main reason"].iloc[0] == f"Loyalty {gained['loyalty']:+.1f}"


def test_the_tuned_weights_carry_over_to_the_overview(app, engine):
    open_page(app, "tuning")
    preset_box(app).set_value("growth_first").run()
    assert app.slider(key="w::growth").value == 40.0
    open_page(app, "overview")
    expected = pipeline.score(engine, replace(Settings(), weights=Settings().weights.__class__(
        current=15, future=25, credit=10, loyalty=10, growth=40)))
    share = insights.kpis(expected)["tier_a_profit_share"]
    assert metric(app, "Tier A's share of profit") == f"{share * 100:.0f}%"


def _money_sentence(scored) -> str:
    money = insights.value_classes_in_money(scored)
    return (f"**Most valuable**: {money['most_valuable']:,} customers, {money['customer_share'] * 100:.1f}% of "
            f"buyers, bring {money['actual_share'] * 100:.0f}% of actual value")


def test_the_value_class_shares_move_the_overview_reading_in_yuan(app, engine):
    default = pipeline.score(engine)
    texts = lambda: [m.value for m in app.markdown]  # noqa: E731
    assert any(x.startswith(_money_sentence(default)) for x in texts())
    assert any("Losing one most valuable customer takes" in x for x in texts())
    open_page(app, "tuning")
    caption = next(c.value for c in app.caption if c.value.startswith("Most valuable:"))
    open_rules(app, "classes")
    app.number_input(key="class::most_valuable_share").set_value(60.0).run()
    assert not app.exception
    moved = next(c.value for c in app.caption if c.value.startswith("Most valuable:"))
    assert moved != caption
    wider = pipeline.score(engine, replace(Settings(), classes=replace(Settings().classes, most_valuable_share=0.6)))
    money = insights.value_classes_in_money(wider)
    assert moved.startswith(f"Most valuable: {money['most_valuable']:,} customers (60% of actual value)")
    open_page(app, "overview")
    assert any(x.startswith(_money_sentence(wider)) for x in texts())


def test_lowering_the_at_risk_threshold_lengthens_the_alert_list(app, engine):
    open_page(app, "lifecycle")
    count = lambda: int(next(s.value for s in app.subheader if s.value.startswith("At-risk alerts"))  # noqa: E731
                        .split("(")[1].split()[0].replace(",", ""))
    before = count()
    assert before == len(lifecycle.at_risk_alerts(pipeline.score(engine)))
    app.number_input(key="life::at_risk_days").set_value(60).run()
    assert not app.exception
    assert count() > before


def test_searching_customers_narrows_the_table_and_opens_the_profile(app, engine):
    open_page(app, "customers")
    total = len(engine.features)
    assert f"Showing {total:,} of {total:,} customers" in [c.value for c in app.caption]
    app.text_input(key="customer_search").set_value("C000001").run()
    assert f"Showing 1 of {total:,} customers" in [c.value for c in app.caption]
    assert app.selectbox(key="profile_customer").value == "C000001"
    row = pipeline.score(engine).set_index("customer_id").loc["C000001"]
    assert metric(app, "Actual value") == format_money(row["actual_value"], "en")
    assert metric(app, "Strategic value") == format_money(row["strategic_value"], "en")
    app.multiselect(key="filter::tier").set_value(["A"])
    app.text_input(key="customer_search").set_value("").run()
    n_a = int((pipeline.score(engine)["tier"] == "A").sum())
    assert f"Showing {n_a:,} of {total:,} customers" in [c.value for c in app.caption]


def test_clv_calculator_follows_its_sliders(app):
    open_page(app, "clv")
    first = metric(app, "Lifetime value")
    app.slider(key="clv_retention").set_value(0.5).run()
    assert metric(app, "Lifetime value") != first
    # 10,000 a year, r = 0.5, d = 10%, 5 years, minus 5,000 acquisition
    expected = sum(10_000 * 0.5 ** k / 1.1 ** k for k in range(1, 6)) - 5_000
    from valuation.i18n.format import format_money

    assert metric(app, "Lifetime value") == format_money(expected, "en")


GBK_ORDERS = ("客户编号,客户名称,订单日期,金额(元),成本,地区\n"
              "K001,华瑞科技,2024年1月5日,\"¥1,234.50\",800,华东\n"
              "K001,华瑞科技,2024/3/9,￥2000,1500,华东\n"
              "K001,华瑞科技,2024-03-20,(300.00),-200,华东\n"
              "K002,东方物流,2024-02-10,500,300,华南\n"
              "K003,坏数据公司,不是日期,500,200,华北\n")


def test_uploading_a_gbk_file_shows_the_report_and_its_tiers_at_once(app):
    open_page(app, "data")
    app.file_uploader(key="upload").set_value(("订单.csv", GBK_ORDERS.encode("gb18030"), "text/csv")).run()
    assert not app.exception
    markdown = " ".join(m.value for m in app.markdown)
    assert "5 rows read, 4 loaded, 1 rejected" in markdown
    rejects = app.dataframe[-1].value
    assert rejects.iloc[0]["line"] == 6 and rejects.iloc[0]["column"] == "订单日期"
    app.text_input(key="save_name").set_value("华东上传")
    app.button(key="use_session").click().run()
    assert not app.exception
    assert app.selectbox(key="dataset").value == "session:华东上传"
    assert "Loaded “华东上传” for this session only and switched to it." in [s.value for s in app.success]
    open_page(app, "overview")
    assert metric(app, "Customers") == "2"


def test_a_file_without_an_amount_column_gets_a_message_naming_it(app):
    open_page(app, "data")
    app.file_uploader(key="upload").set_value(
        ("bad.csv", "客户编号,订单日期\nK1,2024-01-01\n".encode(), "text/csv")).run()
    assert not app.exception
    errors = " ".join(e.value for e in app.error)
    assert "bad.csv" in errors and "amount" in errors


PAGES = ("overview", "tuning", "lifecycle", "customers", "clv", "data")


@pytest.fixture(scope="module")
def thin_db(tmp_path_factory):
    """Datasets a real user may have: one customer; orders without cost, payments or service."""
    path = tmp_path_factory.mktemp("thin") / "thin.duckdb"
    store = Store(path)
    ensure_sample(store)
    one = pd.DataFrame({"customer_id": ["ONLY"], "order_date": pd.to_datetime(["2024-05-01"]),
                        "amount": [1200.0]})
    store.replace_dataset("one", {"orders": one})
    store.replace_dataset("orders_only", {"orders": orders_only_frame()})
    store.close()
    return path


@pytest.mark.parametrize("dataset", ["one", "orders_only"])
def test_thin_datasets_render_every_page_and_say_what_is_missing(thin_db, monkeypatch, dataset):
    at = start(thin_db, monkeypatch)
    at.selectbox(key="dataset").set_value(f"db:{dataset}").run()
    assert not at.exception, [e.message for e in at.exception]
    expanders = [e.label for e in at.expander]
    assert any(label.startswith("About this data") for label in expanders)
    notes = " ".join(m.value for m in at.markdown)
    assert "No cost column" in notes and "No payments data" in notes
    for name in PAGES:
        open_page(at, name)
        assert at.title[0].value
    open_page(at, "tuning")
    at.slider(key="w::loyalty").set_value(60.0).run()
    assert not at.exception


def test_presentation_mode_steps_through_the_slides_with_the_configuration_in_the_footer(app, engine):
    open_page(app, "present")
    titles = [app.title[0].value]
    for _ in range(4):
        app.button(key="present_next").click().run()
        assert not app.exception
        titles.append(app.title[0].value)
    assert titles == ["The customer value pyramid", "Value matrix: whom to keep, whom to grow",
                      "Where profit comes from, and where it leaks", "Conversion: how many take the next step",
                      "Customers to win back this week"]
    # the at-risk slide: the most valuable first, as HTML at projector size (st.dataframe draws on a canvas)
    table = next(m.value for m in app.markdown if '<table border="1" class="dataframe present-table">' in m.value)
    alerts = lifecycle.at_risk_alerts(pipeline.score(engine))
    assert table.count("<tr>") == 7 and table.count("<tr ") == 1 and alerts["name"].iloc[0] in table
    footer = next(m.value for m in app.markdown if m.value.startswith('<div class="present-footer">'))
    assert "Dataset sample" in footer and "as of 2026-09-30" in footer and "Loyalty 15" in footer
    assert "Influence" not in footer  # weight 0: not listed
    app.button(key="present_next").click().run()
    assert app.title[0].value == "The customer value pyramid"
    app.button(key="present_prev").click().run()
    assert app.title[0].value == "Customers to win back this week"


def test_presentation_footer_lists_only_the_dimensions_the_data_scores(tmp_path, monkeypatch):
    """An orders-only dataset has no payments: credit is not scored, so the footer does not list it."""
    store = Store(tmp_path / "orders_only.duckdb")
    rows = [(f"C{i:03d}", f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}", 100.0 + i) for i in range(60)]
    rows += [(f"C{i:03d}", f"2026-{1 + i % 9:02d}-{1 + i % 27:02d}", 80.0 + i) for i in range(40)]
    store.replace_dataset("orders_only", {"orders": pd.DataFrame(rows, columns=["customer_id", "order_date",
                                                                               "amount"]).astype({"order_date": "datetime64[us]"})})
    store.close()
    at = start(tmp_path / "orders_only.duckdb", monkeypatch)
    at.selectbox(key="dataset").set_value("db:orders_only").run()
    open_page(at, "present")
    footer = next(m.value for m in at.markdown if m.value.startswith('<div class="present-footer">'))
    assert "Current contribution 30" in footer and "Credit" not in footer


def test_action_lists_switch_and_match_the_engine(app, engine):
    from valuation.analysis import actions

    open_page(app, "actions")
    assert app.title[0].value == "Actions and reports"
    scored = pipeline.score(engine)
    expected = actions.high_value_at_risk(scored)
    assert len(app.dataframe[0].value) == len(expected)
    app.radio(key="action_list").set_value("growable").run()
    assert not app.exception
    table = app.dataframe[0].value
    growable = scored[(scored["value_class"] == "growable") & scored["has_orders"]
                      & ~scored["lifecycle_stage"].isin(["at_risk", "dormant", "churned"])]
    assert len(table) == len(growable)
    suggestions = [c for c in table.columns if "uggest" in c]
    assert suggestions and table[suggestions[0]].astype(str).str.contains("%").any()
    # The lifecycle-aware lists: dormant customers to wake up, below-zero ones split in two.
    lists = actions.action_lists(scored, None, "en")
    for name, title in (("wake_up", "Dormant customers to wake up"), ("convert", "Below-zero customers to convert"),
                        ("let_go", "Below-zero customers to let go gracefully")):
        app.radio(key="action_list").set_value(name).run()
        assert not app.exception
        assert len(app.dataframe[0].value) == len(lists[name]) > 0
        assert f"{title} ({len(lists[name]):,})" in app.radio(key="action_list").options


def test_the_profile_selector_offers_the_best_scored_customers_and_search_reaches_any_other(app, engine):
    open_page(app, "customers")
    scored = pipeline.score(engine)
    ranked = scored.sort_values("composite", ascending=False)["customer_id"].tolist()
    options = app.selectbox(key="profile_customer").options
    assert len(options) == 1000 and [o.split(" · ")[0] for o in options] == ranked[:1000]
    assert "The list offers the 1,000 best-scored customers of the filter; search by id or name to open any " \
           "other." in [c.value for c in app.caption]
    last = ranked[-1]  # far outside the first thousand
    app.text_input(key="customer_search").set_value(last).run()
    assert app.selectbox(key="profile_customer").value == last
    assert not any("best-scored customers of the filter" in c.value for c in app.caption)


def test_clv_page_shows_the_chosen_purchase_model_and_its_holdout_answers_the_slider(app):
    open_page(app, "clv")
    texts = [m.value for m in app.markdown]
    assert any("chosen on a holdout" in x for x in texts)
    table = app.dataframe[1].value  # after the car buyer's purchase streams (an editable table)
    assert set(table["Candidate"]) == {"BG/NBD purchase model", "MBG/NBD purchase model"}
    assert (table["Chosen"] == "✓").sum() == 1

    def holdout_line():
        return next(x for x in (m.value for m in app.markdown) if "holdout" in x.lower() and "predicted" in x.lower()
                    and "chosen on a holdout" not in x)

    before = holdout_line()
    app.slider(key="holdout_weeks").set_value(13).run()
    after = holdout_line()
    assert after != before
    assert not any("cannot be fitted" in i.value for i in app.info)


def test_weight_tuning_shows_last_years_evidence_that_follows_the_sliders(app):
    from valuation.analysis import evidence
    from valuation.data.store import load_sample
    from valuation.model.settings import PRESETS, Weights

    open_page(app, "tuning")
    label = "Rank correlation with the next 12 months' profit"
    store = Store(":memory:")
    load_sample(store)  # the same data as the app's database
    ev = evidence.build(store, "sample", pipeline.prepare(store, "sample").as_of)
    assert metric(app, label) == f"{evidence.weight_evidence(ev, Settings())['spearman']:.3f}"
    before = metric(app, label)
    app.slider(key="w::credit").set_value(80.0).run()
    moved = Settings(weights=replace(PRESETS["balanced"], credit=80.0))
    assert metric(app, label) == f"{evidence.weight_evidence(ev, moved)['spearman']:.3f}" != before
    # The learned weights are offered with their figure and used only on the click.
    learned, rho = evidence.learned_weights(ev, Weights(influence=moved.weights.influence))
    assert any(f"{rho:.3f}" in m.value for m in app.markdown)
    app.button(key="apply_learned").click().run()
    assert metric(app, label) == f"{rho:.3f}"
    assert app.slider(key="w::credit").value == learned.credit


def test_clv_page_backtest_compares_clv_with_the_naive_ranking_and_follows_its_horizon(app):
    from valuation.analysis import backtest
    from valuation.data.store import load_sample

    open_page(app, "clv")
    ranking = app.dataframe[2].value  # after the streams and the model comparison
    store = Store(":memory:")
    load_sample(store)
    expected = backtest.backtest(store, "sample", horizon_months=12)
    clv_row = ranking[ranking["Ranked by"] == "Lifetime value (model)"].iloc[0]
    assert clv_row["Rank correlation with realised profit"] == f"{expected.ranking.loc['clv', 'spearman']:.3f}"
    tiers_table = app.dataframe[3].value
    assert tiers_table["Tier then"].iloc[0] == "Tier A (core)"
    app.select_slider(key="backtest_horizon").set_value(6).run()
    six = backtest.backtest(store, "sample", horizon_months=6)
    assert app.dataframe[2].value.iloc[0]["Rank correlation with realised profit"] == \
        f"{six.ranking.loc['clv', 'spearman']:.3f}"


def test_customers_filter_by_the_eight_rfm_classes_and_the_grades_in_chinese(app, engine):
    app.radio(key="lang").set_value("zh").run()
    open_page(app, "customers")
    scored = pipeline.score(engine)
    total = len(scored)
    rfm = app.multiselect(key="filter::rfm_class")
    assert "重要价值客户" in rfm.options  # shown in Chinese, the way the model is taught
    rfm.set_value(["important_value"]).run()
    n = int((scored["rfm_class"] == "important_value").sum())
    assert any(f"{n:,}" in c.value and f"{total:,}" in c.value for c in app.caption)
    app.multiselect(key="filter::grade_profit").set_value(["high"]).run()
    both = int(((scored["rfm_class"] == "important_value") & (scored["grade_profit"] == "high")).sum())
    assert 0 < both < n
    assert any(f"{both:,}" in c.value and f"{total:,}" in c.value for c in app.caption)
    headers = list(app.dataframe[0].value.columns)
    assert {"利润贡献", "潜力", "忠诚度", "RFM 八类"} <= set(headers)
    assert set(app.dataframe[0].value["利润贡献"]) == {"高"}


def test_the_car_buyer_streams_follow_their_retention_slider(app):
    from valuation.model import clv

    open_page(app, "clv")
    assert metric(app, "Total profit (undiscounted)") == format_money(512_900, "en")
    assert metric(app, "Net present value of profit") == format_money(
        clv.stream_totals(clv.stream_schedule(clv.CAR_BUYER, 20, 0.10, 1.0))["present_value"], "en")
    app.slider(key="streams_retention").set_value(0.9).run()
    assert not app.exception
    assert metric(app, "Net present value of profit") == format_money(
        clv.stream_totals(clv.stream_schedule(clv.CAR_BUYER, 20, 0.10, 0.9))["present_value"], "en")
    assert metric(app, "Total profit (undiscounted)") == format_money(512_900, "en")
    app.slider(key="clv_retention").set_value(1.0).run()  # the formula's retention reaches 1.0 now
    assert not app.exception


def test_customers_page_shows_overdue_ageing_by_tier_and_it_follows_the_weights(app, engine):
    open_page(app, "customers")
    table = next(d.value for d in app.dataframe if "Over 90 days overdue" in d.value.columns)
    shown = table.set_index("Tier")
    assert "Total" in shown.index and shown.loc["Total", "Overdue in all"] > 0
    buckets = shown.loc["Total", ["0–30 days overdue", "31–90 days overdue", "Over 90 days overdue"]].sum()
    assert buckets == pytest.approx(shown.loc["Total", "Overdue in all"], rel=1e-12)
    before = shown.loc["Tier A (core)", "Overdue in all"] if "Tier A (core)" in shown.index else 0.0
    open_page(app, "tuning")
    preset_box(app).set_value("growth_first").run()
    open_page(app, "customers")
    after = next(d.value for d in app.dataframe if "Over 90 days overdue" in d.value.columns).set_index("Tier")
    assert after.loc["Total", "Overdue in all"] == shown.loc["Total", "Overdue in all"]  # the same invoices
    assert after.loc["Tier A (core)", "Overdue in all"] != before  # other customers in tier A now


def test_the_woken_and_won_back_window_is_set_on_the_lifecycle_page(app, engine):
    open_page(app, "lifecycle")
    app.number_input(key="life::won_back_days").set_value(400).run()
    assert not app.exception
    assert app.session_state["settings"].lifecycle.won_back_days == 400
    stages = lambda days: pipeline.score(engine, replace(Settings(), lifecycle=replace(  # noqa: E731
        Settings().lifecycle, won_back_days=days)))["lifecycle_stage"].value_counts()
    assert stages(400)["woken"] > stages(180)["woken"] > 0
