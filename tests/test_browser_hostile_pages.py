"""Real browser: every page, and the HTML report, show hostile data as text and never as markup.

One dataset carries HTML, script and markdown in every place a string from the data can take:
customer ids and names, region, industry and channel, order categories, products and channels,
and the header of a numeric customers-file column, offered as a custom dimension on the tuning
page (and chosen here through a share link, as anyone could send one). Each page is opened in
turn in one browser against one server; none may run a script, create a link or an image from
the data, or request anything from the loopback port the hostile markup points at, and the
hostile text must be readable as the characters it is.
"""

from __future__ import annotations

import time
import urllib.parse

import numpy as np
import pandas as pd
import pytest

from tests.browser import CHROMIUM, require_chromium, streamlit_server
from valuation.data.store import Store, ensure_sample

TRAP = "127.0.0.1:9"  # nothing listens there: any request to it was made by hostile data
DATASET = "hostile_pages"

# Customer ids and names.
ID_LINK = '<a href="http://127.0.0.1:9/id"><b>id-link</b></a>'
ID_MD = "![id](http://127.0.0.1:9/id.png)"
NAME_IMG = '<img src=x onerror="window.__pwned=1"><a href="http://127.0.0.1:9/l"><b>link</b></a>'
NAME_SCRIPT = "<script>window.__pwned=2</script>"
NAME_MD = "![p](http://127.0.0.1:9/pixel.png) [click](http://127.0.0.1:9/)"
NAME_LINK = '<a href="http://127.0.0.1:9/nm">name-link</a>'
# Customer attributes and order fields.
REGION = '<a href="http://127.0.0.1:9/region"><b>reg</b></a>'
REGION_MD = "![r](http://127.0.0.1:9/region.png) [reg-md](http://127.0.0.1:9/r)"
INDUSTRY = '<img src="http://127.0.0.1:9/ind.png" onerror="window.__pwned=3">'
CHANNEL = '<a href="http://127.0.0.1:9/ch">chan</a>'
CATEGORY = '<a href="http://127.0.0.1:9/cat">cat</a>'
CATEGORY_MD = "![c](http://127.0.0.1:9/cat.png)"
PRODUCT = '<a href="http://127.0.0.1:9/prod">prod</a>'
ORDER_CHANNEL = '<a href="http://127.0.0.1:9/oc">oc</a>'
# A numeric customers-file header (a custom dimension), and one a link names that no file has.
# No "," or "=": the share link's weights are "name:value" pairs separated by commas.
HEADER = "![x](http://127.0.0.1:9/p.png) [click](http://127.0.0.1:9/c) <b>hb</b>"
ABSENT = "![m](http://127.0.0.1:9/absent.png) [absent](http://127.0.0.1:9/a)"

# customer_id -> (name, region, industry, channel, monthly revenue pattern)
CUSTOMERS = {
    "H1": (NAME_IMG, REGION, INDUSTRY, CHANNEL, "big"),
    "H2": (NAME_SCRIPT, REGION_MD, INDUSTRY, CHANNEL, "stops"),
    "H3": (NAME_MD, REGION, "retail", "web", "grows"),
    ID_LINK: (NAME_LINK, REGION_MD, INDUSTRY, CHANNEL, "grows_fast"),
    ID_MD: ("plain name", REGION, "retail", CHANNEL, "falls"),
    "N1": ("N one", "east", INDUSTRY, "web", "steady"),
    "N2": ("N two", REGION_MD, "retail", "web", "late"),
    "N3": ("N three", "east", INDUSTRY, CHANNEL, "small"),
}

pytestmark = pytest.mark.browser


def _orders() -> pd.DataFrame:
    months = pd.date_range("2023-01-10", "2024-12-10", freq="MS") + pd.Timedelta(days=9)
    rows = []
    for cid, (*_, pattern) in CUSTOMERS.items():
        for i, day in enumerate(months):
            late = i >= len(months) - 6  # the last six months
            amount = {"big": 9000.0, "stops": 0.0 if i > len(months) - 6 else 3000.0,
                      "grows": 1500.0 * (3 if late else 1),
                      "grows_fast": 0.0 if i < 6 else 6000.0 * (4 if late else 1),
                      "falls": 4000.0 if i < len(months) - 9 else 300.0, "steady": 2000.0,
                      "late": 0.0 if i < len(months) - 8 else 2500.0,
                      "small": 200.0 if i % 3 == 0 else 0.0}[pattern]
            if amount:
                rows.append((cid, day, amount, amount * 0.6, CATEGORY if i % 2 else CATEGORY_MD, PRODUCT,
                             ORDER_CHANNEL))
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount", "cost", "category", "product",
                                       "channel"])


def _customers() -> pd.DataFrame:
    return pd.DataFrame([(cid, name, region, industry, channel, 100.0 + 10 * i)
                         for i, (cid, (name, region, industry, channel, _)) in enumerate(CUSTOMERS.items())],
                        columns=["customer_id", "name", "region", "industry", "channel", "acquisition_cost"])


def _metrics() -> pd.DataFrame:
    ids = list(CUSTOMERS)
    return pd.DataFrame({"customer_id": ids, "metric": HEADER, "value": np.arange(len(ids), dtype=float)})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    db = tmp_path_factory.mktemp("hostile_pages") / "hostile.duckdb"
    store = Store(db)
    ensure_sample(store)
    store.replace_dataset(DATASET, {"orders": _orders(), "customers": _customers(),
                                    "customer_metrics": _metrics()}, source="hostile.csv")
    store.close()
    with streamlit_server(db) as url:
        yield url


class Tab:
    """The one browser tab every test here drives, the server's URL, and what the tab has seen."""

    def __init__(self, page, url: str):
        self.page, self.url = page, url
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))


@pytest.fixture(scope="module")
def tab(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 2400},
                                      accept_downloads=True)
        yield Tab(context.new_page(), server)
        browser.close()


def _query() -> str:
    """A share link's parameters: this dataset, English, the hostile custom dimension weighted 10
    (and the absent one 5, which the scoring reports as missing)."""
    weights = ("current:30,future:25,credit:15,loyalty:15,growth:15,"
               f"custom:{HEADER}:10,custom:{ABSENT}:5")
    return urllib.parse.urlencode({"ds": f"db:{DATASET}", "lang": "en", "w": weights})


def _settle(page, timeout=90_000):
    """Wait until the script has rendered and no rerun is in progress."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)
    quiet_since = None
    deadline = time.time() + timeout / 1000
    while time.time() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since > 1.5:
            return
        time.sleep(0.2)
    raise AssertionError("the page kept running")


# Elements that could come from data, and where they point: links (HTML and SVG), images, frames.
_MARKUP = """() => Array.from(document.querySelectorAll('a, img, image, iframe, script, object, embed'))
  .map(e => [e.tagName.toLowerCase(), e.getAttribute('href') || e.getAttribute('xlink:href')
             || e.getAttribute('src') || '', (e.textContent || '').slice(0, 80)])"""
# The text of plotly's SVG: axis ticks, bar text, legends, titles, annotations.
_CHART_TEXT = """() => Array.from(document.querySelectorAll('[data-testid=stMain] [data-testid=stPlotlyChart] svg text'))
  .map(e => e.textContent).join('\\n')"""


def _check_no_markup(tab: Tab, where: str) -> None:
    page = tab.page
    elements = page.evaluate(_MARKUP)
    hostile = [e for e in elements if TRAP in e[1] or e[1] == "x"]
    assert not hostile, f"{where}: elements made from data: {hostile}"
    # Scripts on the page are Streamlit's own (with a src) or plotly's inline ones; none is data.
    scripts = [e for e in elements if e[0] == "script" and e[2].strip().startswith("window.__pwned")]
    assert not scripts, f"{where}: a script element from data: {scripts}"
    assert page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"] svg a').count() == 0, \
        f"{where}: plotly drew a link from data"
    assert page.locator('[data-testid="stMain"] b:has-text("hb"), [data-testid="stMain"] strong:has-text("hb")') \
        .count() == 0, f"{where}: the custom dimension's <b> became bold"
    assert page.evaluate("window.__pwned") is None, f"{where}: a script from data ran"
    assert not tab.dialogs, f"{where}: dialogs {tab.dialogs}"
    trapped = [u for u in tab.requests if TRAP in u]
    assert not trapped, f"{where}: requests made by data: {trapped}"
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, f"{where}: an exception box: {boxes.all_inner_texts()}"


def _visible(page) -> str:
    """The page's text (an invisible word joiner, ui/safe.py, keeps "http://" from being autolinked)."""
    return page.evaluate("document.body.innerText").replace("\u2060", "")


def _cells(page) -> list[str]:
    """The cells of the tables (st.dataframe draws on a canvas; its accessible table holds the text)."""
    return page.evaluate("Array.from(document.querySelectorAll('[data-testid=stDataFrame] td'))"
                         ".map(e => e.textContent)")


def _wait_cell(page, text: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in _cells(page):
            return
        time.sleep(0.5)
    raise AssertionError(f"no table cell reads {text!r}; cells: {_cells(page)[:60]}")


def _open(tab: Tab, name: str):
    page = tab.page
    tab.requests.clear()  # each page answers for itself
    tab.dialogs.clear()
    page.goto(f"{tab.url}/{'' if name == 'overview' else name}?{_query()}")
    _settle(page)
    time.sleep(1.5)  # images or requests (if any were created) get their moment
    return page


def _wait_chart_text(page, text: str, timeout: float = 60) -> None:
    """Wait until a chart on the page shows ``text``, character for character."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in page.evaluate(_CHART_TEXT):
            return
        time.sleep(0.5)
    raise AssertionError(f"no chart shows {text!r}; charts show: {page.evaluate(_CHART_TEXT)[:3000]}")


# ---------------------------------------------------------------------------- the pages


def test_overview_names_a_missing_hostile_custom_dimension_as_text(tab):
    page = _open(tab, "overview")
    page.locator('[data-testid="stMain"] [data-testid="stExpander"] summary').first.click()  # the data notes
    time.sleep(1)
    shown = _visible(page)
    assert ABSENT in shown, [line for line in shown.splitlines() if "absent" in line or "custom" in line]
    _check_no_markup(tab, "overview")


def test_tuning_slider_label_of_a_hostile_custom_dimension_is_text(tab):
    page = _open(tab, "tuning")
    labels = page.locator('[data-testid="stSlider"] label, [data-testid="stSlider"] [data-testid="stWidgetLabel"]')
    texts = [x.replace("\u2060", "") for x in labels.all_inner_texts()]
    assert any(HEADER in x for x in texts), texts
    # The multiselect offering it shows the header verbatim too (options are plain text).
    chosen = page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]').first.text_content()
    assert HEADER in chosen, chosen  # (text_content: the chip's inner text is cut to fit)
    # The explained customer's composite splits by dimension, the custom one named as text.
    _wait_chart_text(page, "<b>hb</b>")
    _check_no_markup(tab, "tuning")


def test_lifecycle_alerts_list_names_as_text(tab):
    page = _open(tab, "lifecycle")
    _wait_cell(page, NAME_SCRIPT)  # H2 stopped buying: at risk
    _check_no_markup(tab, "lifecycle")


def test_customers_profile_filters_and_selector_show_data_as_text(tab):
    page = _open(tab, "customers")
    search = page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input').first
    search.fill("H1")
    search.press("Enter")  # the search narrows the table and opens that customer's profile
    heading = page.locator('[data-testid="stMain"] h3').filter(has_text="onerror")
    heading.first.wait_for(timeout=60_000)
    _settle(page)
    assert NAME_IMG in heading.first.inner_text().replace("\u2060", "")
    picked = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input').last.input_value()
    assert picked == f"H1 · {NAME_IMG}", picked  # select box options: plain text, no backslashes
    _wait_chart_text(page, NAME_IMG)  # the radar chart's title and legend
    # The region filter offers the values as they are.
    page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]').filter(has_text="Region").first.click()
    options = page.locator('[role="option"]')
    options.first.wait_for(timeout=10_000)
    assert REGION in options.all_inner_texts() and REGION_MD in options.all_inner_texts()
    page.keyboard.press("Escape")
    _check_no_markup(tab, "customers")


def test_clv(tab):
    _open(tab, "clv")
    _check_no_markup(tab, "clv")


def _choose(page, selectbox, option: str) -> None:
    """Pick ``option`` in a select box and wait for the rerun."""
    from playwright.sync_api import expect

    selectbox.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(selectbox.locator("input")).to_have_value(option, timeout=10_000)
    _settle(page)


def _show_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()  # tabs switch in the browser: no rerun


def test_explore_charts_show_dimension_values_ids_and_names_as_text(tab):
    page = _open(tab, "explore")  # only the open tab is in the page: each is checked while open
    _wait_chart_text(page, REGION)  # one dimension: region first, as bars
    _check_no_markup(tab, "explore, region bars")
    _choose(page, page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first,
            "Product category")  # order categories, as bars
    _wait_chart_text(page, CATEGORY)
    _wait_chart_text(page, CATEGORY_MD)
    _check_no_markup(tab, "explore, category bars")
    for name, shown in (("Two dimensions", REGION),  # rows: region (the first attribute) × tier
                        ("Segments", REGION),  # tier › RFM segment › region
                        ("CLV vs acquisition cost", CHANNEL),  # by acquisition channel
                        ("Top and growing customers", ID_LINK)):  # ids and names, top and growing
        _show_tab(page, name)
        _wait_chart_text(page, shown)
        _check_no_markup(tab, f"explore, {name}")
    _wait_chart_text(page, NAME_IMG[:15] + "…")  # a long name is cut, then escaped


def test_dynamics_risers_and_fallers_show_ids_and_names_as_text(tab):
    page = _open(tab, "dynamics")
    _wait_chart_text(page, ID_LINK)  # the risers and fallers chart
    _check_no_markup(tab, "dynamics")


def test_actions_lists_and_the_downloaded_report(tab, tmp_path):
    page = _open(tab, "actions")
    page.locator('[data-testid="stMain"] [data-testid="stRadio"] label').filter(has_text="Growable").click()
    _wait_cell(page, NAME_MD)  # H3, growable
    assert REGION in _cells(page)
    _check_no_markup(tab, "actions")
    with page.expect_download(timeout=120_000) as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    report = tmp_path / "report.html"
    info.value.save_as(report)
    html = report.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in html  # an at-risk customer's name, escaped
    page.goto(report.as_uri())
    page.wait_for_selector(".chart .plot-container", timeout=60_000)
    time.sleep(1.5)
    shown = page.evaluate("document.body.innerText")
    assert NAME_SCRIPT in shown  # an at-risk customer, shown as the characters it is
    assert HEADER in shown and ABSENT in shown  # the custom dimensions: configuration, data notes
    scripts = page.locator("script").count()
    assert scripts == 1 + page.locator("section.chart").count()  # plotly.js and one per chart
    _check_no_markup(tab, "report")


def test_data(tab):
    _open(tab, "data")
    _check_no_markup(tab, "data")


def test_present_slides_to_the_at_risk_list(tab):
    page = _open(tab, "present")
    _check_no_markup(tab, "present")
    for _ in range(4):  # pyramid, matrix, whale, funnel, at risk
        page.locator(".st-key-present_next button:visible").click()
        _settle(page)
    # the at-risk slide is an HTML table (projector-size text): the hostile name is its text, escaped
    page.locator("table.present-table td").filter(has_text=NAME_SCRIPT).first.wait_for(timeout=60_000)
    _check_no_markup(tab, "present")
