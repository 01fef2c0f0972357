"""Real browser: customer names holding HTML, script or markdown show as text, never as markup.

A dataset whose most valuable customer is named ``<img src=x onerror=…>`` and others carry a
script tag and a markdown image pointing at a loopback port; the customers page (table, profile
heading, charts) must run no script, create no image and request nothing from that port.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from tests.browser import CHROMIUM, require_chromium, streamlit_server
from valuation.data.store import Store, ensure_sample

IMG = '<img src=x onerror="window.__pwned=1"><a href="http://127.0.0.1:9/l"><b>link</b></a>'
NAMES = {"H1": IMG, "H2": "<script>window.__pwned=2</script>",
         "H3": "![p](http://127.0.0.1:9/pixel.png) [click](http://127.0.0.1:9/)"}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    store = Store(db)
    ensure_sample(store)
    days = pd.date_range("2024-01-01", periods=24, freq="15D")
    rows = [(cid, d, amount) for cid, amount in (("H1", 9000.0), ("H2", 300.0), ("H3", 200.0))
            for d in days]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    customers = pd.DataFrame({"customer_id": list(NAMES), "name": list(NAMES.values())})
    store.replace_dataset("hostile", {"orders": orders, "customers": customers}, source="hostile.csv")
    store.close()
    with streamlit_server(db) as url:
        yield url


def test_hostile_names_show_as_text_on_the_customers_page(server):
    from playwright.sync_api import sync_playwright

    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 2400}).new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{server}/customers?ds=db:hostile&lang=en")
        heading = page.locator('[data-testid="stMain"] h3').filter(has_text="onerror")
        heading.first.wait_for(timeout=90_000)
        time.sleep(2)  # let charts and images (if any were created) load
        # The name, character for character (an invisible word joiner keeps "http://" from being linked).
        assert IMG in heading.first.inner_text().replace("\u2060", "")
        assert page.evaluate("window.__pwned") is None and not dialogs
        assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0
        assert page.locator('[data-testid="stMain"] script').count() == 0
        # The radar chart's title and legend show the name as text: plotly made no link of it.
        page.locator('[data-testid="stPlotlyChart"] .gtitle').first.wait_for(timeout=60_000)
        titles = page.evaluate("Array.from(document.querySelectorAll('[data-testid=stPlotlyChart] .gtitle'))"
                               ".map(e => e.textContent)")
        assert any('<a href="http://127.0.0.1:9/l"><b>link</b></a>' in x for x in titles), titles
        assert page.locator('[data-testid="stMain"] svg a').count() == 0
        # The profile of the markdown-named customer: its heading is text, its "image" never loads.
        search = page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input').first
        search.fill("H3")
        search.press("Enter")  # the search narrows the table and opens that customer's profile
        page.locator('[data-testid="stMain"] h3').filter(has_text="pixel.png").first.wait_for(timeout=60_000)
        time.sleep(2)
        shown = page.locator('[data-testid="stMain"] h3').filter(has_text="pixel.png").first.inner_text()
        assert NAMES["H3"] in shown.replace("\u2060", "")  # an invisible word joiner keeps URLs unlinked
        assert page.locator('[data-testid="stMain"] a[href^="http://127.0.0.1:9"]').count() == 0
        assert page.evaluate("window.__pwned") is None and not dialogs
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()
    assert not [u for u in requests if u.startswith("http://127.0.0.1:9/")], "a name loaded an image"
