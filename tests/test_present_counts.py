"""Handout and screen agree: the overview, the HTML report and the Excel summary count the same customers."""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from tests.apptest import open_page, open_rules, prepared_sample, sample_db, start
from tests.test_pages_explore import array
from valuation.i18n.format import format_money, format_pct
from valuation.i18n.text import TEXT, t
from valuation.model import pipeline
from valuation.model.settings import Settings, TierCuts
from valuation.present import exports
from valuation.present.report import build_report

TUNED = replace(Settings(), weights=Settings().weights.with_weight("loyalty", 45),
                tiers=TierCuts(a=0.10, b=0.15, c=0.30))


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return sample_db(tmp_path_factory, "counts")


@pytest.fixture(scope="module")
def engine(db_path):
    return prepared_sample(db_path)


def _number(text) -> int:
    return int(str(text).replace(",", ""))


def _read(key: str, lang: str, text: str) -> dict | None:
    """The placeholders of the label ``key`` read back from ``text`` (None when it is another sentence)."""
    template = TEXT[key][0 if lang == "zh" else 1].replace("**", "")
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
    found = re.fullmatch(pattern, text.replace("**", ""))
    return found.groupdict() if found else None


def _first(key: str, lang: str, lines) -> dict:
    return next(found for line in lines if (found := _read(key, lang, line)) is not None)


def overview_figures(at, lang: str) -> dict:
    """What the overview shows: metrics and their help, the pyramid's bars, the class cards and sentences."""
    metrics = {m.label: m for m in at.metric}
    customers, risk = metrics[t("kpi.customers", lang)], metrics[t("kpi.value_at_risk", lang)]
    pyramid = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                   if t("chart.pyramid.title", lang) in c.proto.spec)
    tiers = {label: int(n) for trace in pyramid["data"] for label, n in zip(trace["y"], array(trace["x"]))}
    lines = [line for m in at.markdown for line in m.value.split("  \n")]
    cards = {found.group(1): _number(found.group(2)) for line in lines
             if (found := re.fullmatch(r"\*\*(.+)\*\* · ([\d,]+)", line))}
    return {
        "customers": _number(customers.value),
        "prospects": _number(_read("kpi.customers_help", lang, customers.proto.help)["prospects"]),
        "customers_at_risk": _number(_read("kpi.value_at_risk_help", lang, risk.proto.help)["n"]),
        "value_at_risk": risk.value,
        "tiers": tiers,
        "classes": cards,
        "most_valuable": _number(_first("overview.classes_money", lang, lines)["n"]),
        "growable": _number(_first("overview.replacement", lang, lines)["g"]),
    }


def _section_rows(text: str, title: str) -> list[list[str]]:
    body = text.split(f"<h2>{html.escape(title)}</h2>", 1)[1].split("<h2>", 1)[0]
    rows = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body)]
    return [r for r in rows if r]


def report_figures(text: str, lang: str) -> dict:
    """The same figures read back from the HTML report's sentences and tables."""
    words = [html.unescape(w) for w in re.findall(r"<li>(.*?)</li>", text)]
    who = _first("report.words.customers", lang, words)
    risk = _first("report.words.at_risk", lang, words)
    return {
        "customers": _number(who["customers"]),
        "prospects": _number(who["prospects"]),
        "customers_at_risk": _number(risk["n"]),
        "value_at_risk": risk["value"],
        "below_zero": _number(_first("report.words.below_zero", lang, words)["n"]),
        "tiers": {r[0]: _number(r[1]) for r in _section_rows(text, t("report.section.tiers", lang))},
        "tier_shares": {r[0]: r[2] for r in _section_rows(text, t("report.section.tiers", lang))},
        "classes": {r[0]: _number(r[1]) for r in _section_rows(text, t("report.section.classes", lang))},
        "most_valuable": _number(_first("overview.classes_money", lang, words)["n"]),
        "growable": _number(_first("overview.replacement", lang, words)["g"]),
    }


def workbook_figures(data: bytes, lang: str) -> dict:
    """The same figures read back from the workbook's summary sheet."""
    rows = list(load_workbook(io.BytesIO(data))[t("export.sheet.summary", lang)].iter_rows(values_only=True))

    def block(title_key):
        start = next(i for i, r in enumerate(rows) if r[0] == t(title_key, lang))
        out = []
        for row in rows[start + 2:]:
            if row[0] is None:
                break
            out.append(row)
        return out

    kpis = {r[0]: r[1] for r in block("report.section.key_figures")}
    return {
        "customers": kpis[t("kpi.customers", lang)],
        "prospects": kpis[t("report.kpi.prospects", lang)],
        "customers_at_risk": kpis[t("report.kpi.customers_at_risk", lang)],
        "value_at_risk": format_money(kpis[t("kpi.value_at_risk", lang)], lang),
        "below_zero": kpis[t("report.kpi.below_zero", lang)],
        "tiers": {r[0]: r[1] for r in block("report.section.tiers")},
        "tier_shares": {r[0]: r[2] for r in block("report.section.tiers")},
        "classes": {r[0]: r[1] for r in block("report.section.classes")},
    }


def _set_tuned(at) -> None:
    """TUNED through the tuning page's widgets, as a user would set it."""
    open_page(at, "tuning")
    at.slider(key="w::loyalty").set_value(45.0).run()
    open_rules(at, "tiers")
    at.number_input(key="cut::a").set_value(10.0).run()
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize("lang, tuned", [("en", False), ("zh", True)])
def test_overview_report_and_workbook_count_the_same_customers(db_path, engine, monkeypatch, lang, tuned):
    at = start(db_path, monkeypatch, lang)
    settings = Settings()
    if tuned:
        _set_tuned(at)
        settings = TUNED
    open_page(at, "overview")
    screen = overview_figures(at, lang)

    scored = pipeline.score(engine, settings)
    report = report_figures(build_report(scored, lang=lang, dataset="sample", settings=settings), lang)
    book = workbook_figures(exports.scored_workbook(scored, lang, settings=settings, dataset="sample"), lang)

    for key in ("customers", "prospects", "customers_at_risk", "value_at_risk"):
        assert screen[key] == report[key] == book[key], key
    assert report["below_zero"] == book["below_zero"] == screen["tiers"][t("tier.below_zero", lang)]
    # Per tier: the pyramid's bars are the buyers' tiers; the tables add the prospects' row.
    prospect = t("tier.prospect", lang)
    assert report["tiers"] == book["tiers"]
    assert {k: v for k, v in report["tiers"].items() if k != prospect and v} == screen["tiers"]
    assert report["tiers"][prospect] == screen["prospects"]
    # Each tier's share of customers is of the customers the screen counts (buyers), in both handouts.
    for label, n in screen["tiers"].items():
        assert report["tier_shares"][label] == format_pct(n / screen["customers"]), label
        assert book["tier_shares"][label] == pytest.approx(n / screen["customers"]), label
    assert report["tier_shares"][prospect] == "—" and book["tier_shares"][prospect] is None
    # Per value class: the cards, the report's table and the workbook's table.
    assert screen["classes"] == report["classes"] == book["classes"]
    assert sum(screen["classes"].values()) == screen["customers"]
    most, growable = t("class.most_valuable", lang), t("class.growable", lang)
    assert screen["most_valuable"] == report["most_valuable"] == screen["classes"][most]
    assert screen["growable"] == report["growable"] == screen["classes"][growable]
    if tuned:  # the changed setting reached all three (tier A is twice as large)
        default = pipeline.score(engine, Settings())
        assert screen["tiers"][t("tier.A", lang)] > int((default["tier"] == "A").sum())
