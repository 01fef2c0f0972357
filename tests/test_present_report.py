"""The HTML report: one offline file with every chart, the configuration, the figures in words, escaped text."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from valuation.data import sample
from valuation.data.store import Store, load_sample
from valuation.i18n.format import format_date, format_pct
from valuation.i18n.text import t
from valuation.model import lifecycle, pipeline, tiers
from valuation.model.settings import ClassRules, ClvSettings, LifecycleRules, Settings, TierCuts, Weights
from valuation.present import charts, report

HOSTILE = "<script>alert(1)</script>"
SETTINGS = Settings(weights=Weights(current=41, future=22, credit=13, loyalty=11, growth=9),
                    tiers=TierCuts(a=0.07, b=0.13, c=0.30),
                    classes=ClassRules(most_valuable_share=0.35, growable_share=0.45, achievable_share=0.2, growth_cut=63),
                    lifecycle=LifecycleRules(at_risk_days=75, dormant_days=170, churned_days=400, gap_multiple=2.5),
                    clv=ClvSettings(horizon_months=24))
CHARTS = ("pyramid", "matrix", "whale", "funnel", "activity", "clv", "share")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A small generated dataset scored with SETTINGS; the top at-risk customer gets an HTML-hostile name."""
    folder = tmp_path_factory.mktemp("sample")
    sample.generate(folder, customers=400, prospects=100, seed=7)
    store = Store(":memory:")
    load_sample(store, folder=folder)
    out = pipeline.run(store, "sample", settings=SETTINGS)
    store.close()
    top = lifecycle.at_risk_alerts(out)["customer_id"].iloc[0]
    out["name"] = out["name"].astype(object)
    out.loc[out["customer_id"] == top, "name"] = HOSTILE
    return out


@pytest.fixture(scope="module")
def en(scored):
    return report.build_report(scored, lang="en", dataset="east & <west>", settings=SETTINGS,
                               generated_at=dt.datetime(2026, 10, 1, 9, 30))


@pytest.fixture(scope="module")
def zh(scored):
    return report.build_report(scored, lang="zh", dataset="华东", settings=SETTINGS)


class _Attributes(HTMLParser):
    """Every (tag, attribute, value); script bodies are data to this parser, not tags."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, name, value or "") for name, value in attrs]


def _without_plotlyjs(text: str) -> str:
    return text.replace(get_plotlyjs(), "")


def test_report_draws_all_seven_charts(en):
    assert en.count("Plotly.newPlot(") == len(CHARTS)
    for name in CHARTS:
        assert f'id="chart-{name}"' in en


def test_plotlyjs_is_inlined_exactly_once(en):
    assert en.count("* plotly.js v") == 1
    assert en.count(get_plotlyjs()) == 1
    head = en[:en.index("</head>")]
    assert get_plotlyjs() in head


def test_report_refers_to_no_other_file_or_host(en):
    parser = _Attributes()
    parser.feed(en)
    links = [(tag, name, value) for tag, name, value in parser.found if name in ("src", "href")]
    assert links == []
    # Outside plotly.js itself (which names hosts in code it never runs here) there is no URL at all.
    assert not re.search(r"https?://|//cdn|mathjax", _without_plotlyjs(en), re.IGNORECASE)


def test_report_is_utf8_with_a_cjk_font_stack(zh):
    assert zh.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in zh and '<html lang="zh-CN">' in zh
    assert '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif' in zh


def test_report_names_dataset_as_of_and_generation_time(en, scored):
    assert html.escape(t("report.dataset", "en", name="east & <west>")) in en
    assert "east &amp; &lt;west&gt;" in en and "<west>" not in en
    assert t("report.as_of", "en", date=format_date(scored.attrs["as_of"], "en")) in en
    assert "2026-10-01 09:30" in en


def test_report_shows_the_configuration_it_was_scored_with(en):
    def row(section_key, setting, value):
        cells = f"<td>{html.escape(t(section_key, 'en'))}</td><td>{html.escape(setting)}</td><td>{value}</td>"
        assert cells in en, cells

    row("tuning.weights", t("dim.current", "en"), "41")
    row("tuning.weights", t("dim.growth", "en"), "9")
    row("tuning.cuts", t("report.cfg.tier_a", "en"), "7%")
    row("tuning.cuts", t("report.cfg.tier_b", "en"), "13%")
    row("report.cfg.classes", t("report.cfg.most_valuable_share", "en"), "35%")
    row("report.cfg.classes", t("report.cfg.growable_share", "en"), "45%")
    row("report.cfg.classes", t("report.cfg.achievable_share", "en"), "20%")
    row("report.cfg.classes", t("report.cfg.growth_cut", "en"), "63")
    row("life.thresholds", t("life.at_risk_days", "en"), "75")
    row("life.thresholds", t("life.churned_days", "en"), "400")
    row("life.thresholds", t("life.gap_multiple", "en"), "2.5")
    row("report.cfg.clv", t("report.cfg.horizon_months", "en"), "24")


def test_report_states_the_whale_reading_with_the_real_figures(en, scored):
    reading = tiers.whale_reading(scored.loc[scored["has_orders"], "net_profit_12m"])
    sentence = charts.whale_sentence(reading, "en")
    assert format_pct(reading["top_share"]) in sentence
    assert f'<p class="whale">{html.escape(sentence)}</p>' in en


def test_report_gives_tier_counts_class_actions_and_missing_dimensions(en, scored):
    counts = scored["tier"].value_counts()
    for code in ("A", "B", "below_zero"):
        assert f"<td>{html.escape(t(f'tier.{code}', 'en'))}</td><td class=\"num\">{counts[code]:,}</td>" in en
    for cls in tiers.VALUE_CLASSES:
        assert html.escape(t(f"action.{cls}", "en")) in en
    assert html.escape(t("report.dims_none_missing", "en")) in en


def test_report_lists_top_at_risk_and_declining_customers(en, scored):
    alerts = lifecycle.at_risk_alerts(scored)
    declining = lifecycle.declining_valuable(scored)
    n = min(report.TOP_ROWS, len(alerts))
    assert t("report.section.at_risk", "en", n=n, total=len(alerts)) in en
    assert f"<td>{alerts['customer_id'].iloc[n - 1]}</td>" in en
    if len(declining):
        assert f"<td>{declining['customer_id'].iloc[0]}</td>" in en


def test_a_hostile_customer_name_appears_escaped(en):
    assert HOSTILE not in en
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in en
    assert en.count("<script") == 1 + len(CHARTS)  # plotly.js and one per chart, nothing else


def test_chinese_report_has_chinese_titles(zh):
    assert f"<h1>{t('report.title', 'zh')}</h1>" in zh
    for key in ("report.section.key_figures", "report.section.tiers", "report.section.config",
                "report.section.charts"):
        assert f"<h2>{t(key, 'zh')}</h2>" in zh
    assert "数据集：华东" in zh


def test_a_dataset_without_declining_columns_still_reports(scored):
    text = report.build_report(scored.drop(columns=["revenue_trend"]), lang="en", dataset="x")
    assert text.count("Plotly.newPlot(") == len(CHARTS)
    assert t("report.section.declining", "en", n=0, total=0).split("(")[0] not in text


@pytest.mark.browser
def test_report_renders_offline_in_chromium(en, tmp_path):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "report.html"
    path.write_text(en, encoding="utf-8")
    outside, errors = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))

        def only_files(route):
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_files)
        page.goto(path.as_uri())
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length === {len(CHARTS)}",
                               timeout=20_000)
        browser.close()
    assert outside == [] and errors == []
