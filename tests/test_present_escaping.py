"""Text from the data reaches figures, labels and the report as text: escaped for where it goes.

Plotly reads ``<a href>``, ``<b>`` and ``<span style>`` in any string of a figure (ticks, hover,
tiles, nodes, legends, annotations), so every data string in the explore and value-over-time
charts goes through ``style.plain``; a custom dimension's header is named by ``exports.dimension_label``
and escaped by whoever shows it (markdown, plotly or HTML).
"""

from __future__ import annotations

import html

import pandas as pd
import pytest

from valuation.present import charts_explore as cx
from valuation.present import exports
from valuation.present.style import plain

LINK = '<a href="http://127.0.0.1:9/x"><b>bold</b></a>'
IMG = '<img src=x onerror="window.__pwned=1">'
ESCAPED = plain(LINK)


def _strings(value):
    """Every string anywhere in a figure's JSON (data and layout)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif hasattr(value, "tolist"):
        yield from _strings(value.tolist())


def _assert_text_only(fig, raw=(LINK, IMG)):
    strings = list(_strings(fig.to_plotly_json()))
    leaked = [s for s in strings if any(r in s for r in raw) or "<a " in s or "<img" in s]
    assert not leaked, leaked[:5]
    assert any(ESCAPED in s for s in strings), "the hostile text is not shown at all"


@pytest.mark.parametrize("build", [cx.slice_bars, cx.slice_treemap])
def test_one_dimension_slices_show_region_values_as_text(build):
    frame = pd.DataFrame({"region": [LINK, IMG, "east"], "customers": [3, 2, 1]})
    _assert_text_only(build(frame, "region", "customers", "en"))


def test_heatmap_axes_and_hover_show_values_as_text():
    grid = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=pd.Index([LINK, IMG], name="industry"),
                        columns=pd.Index(["A", "B"], name="tier"))
    _assert_text_only(cx.slice_heatmap(grid, "customers", "en"))


def test_segment_rings_show_values_as_text():
    cube = pd.DataFrame({"tier": ["A", "A", "B"], "rfm_segment": ["champions", "loyal", "loyal"],
                         "region": [LINK, IMG, LINK], "customers": [2, 1, 3]})
    fig = cx.segment_chart(cube, ("tier", "rfm_segment", "region"), "customers", "en")
    _assert_text_only(fig)


def test_clv_against_cac_shows_channels_as_text():
    table = pd.DataFrame({"channel": [LINK, IMG], "mean_clv": [900.0, 500.0], "mean_cac": [100.0, 400.0],
                          "clv_cac_ratio": [9.0, 1.25], "customers": [3, 2]})
    _assert_text_only(cx.clv_cac_chart(table, "en"))


def test_top_and_growing_customers_show_ids_and_names_as_text():
    top = pd.DataFrame({"customer_id": [LINK, "C2"], "name": ["n", IMG], "composite": [90.0, 80.0],
                        "tier": ["A", "B"]})
    _assert_text_only(cx.top_customers_chart(top, "composite", "en"))
    growers = pd.DataFrame({"customer_id": [LINK, "C2"], "name": [IMG, "m"], "revenue_before": [6000.0, 7000.0],
                            "revenue_recent": [12000.0, 8000.0], "change": [6000.0, 1000.0],
                            "growth_rate": [1.0, 1 / 7]})
    for by in ("rate", "change"):
        _assert_text_only(cx.growth_chart(growers, "en", by))


def test_a_long_hostile_name_is_cut_before_it_is_escaped():
    top = pd.DataFrame({"customer_id": ["C1"], "name": [LINK], "composite": [90.0], "tier": ["A"]})
    label = cx.top_customers_chart(top, "composite", "en").data[0].y[0]
    assert label == plain(f"C1 {LINK[:15]}…")  # no entity cut in half


def test_risers_and_fallers_show_ids_and_names_as_text():
    def movers(ids, names, moved):
        return pd.DataFrame({"customer_id": ids, "name": names, "score_moved": moved, "tier_before": ["B", "A"],
                             "tier_after": ["A", "B"], "composite_before": [50.0, 70.0],
                             "composite_after": [60.0, 40.0]})
    fig = cx.movers_chart(movers([LINK, "R2"], ["r", IMG], [10.0, 5.0]), movers(["F1", IMG], [LINK, "f"], [-3.0, -8.0]),
                          "en")
    _assert_text_only(fig)


def test_chart_value_labels_escape_while_table_labels_stay_raw():
    assert cx.chart_value_label("region", LINK) == ESCAPED
    assert cx.value_label("region", LINK) == LINK  # tables (st.dataframe) show raw text as text
    assert cx.chart_value_label("tier", "A") == cx.value_label("tier", "A")


def test_a_custom_dimension_is_named_by_its_header():
    assert exports.dimension_label(f"custom:{LINK}", "en") == LINK
    assert exports.dimension_label("current", "en") == exports.t("dim.current", "en")


def test_the_report_names_custom_dimensions_escaped():
    from valuation.present import report

    class Report:  # the part of a DimensionReport the report reads
        available = ("current", f"custom:{LINK}")
        missing = (f"custom:{IMG}",)

    scored = pd.DataFrame()
    scored.attrs["dimensions"] = Report()
    text = report._data_html(scored, "en")
    assert html.escape(LINK) in text and html.escape(IMG) in text
    assert "<a " not in text and "<img" not in text and "dim.custom" not in text
