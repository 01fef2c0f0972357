"""Real browser: every presentation slide fits a 1280×720 and a 1920×1080 screen, reads at 20 px,
and answers the keyboard (→ ← PageDown PageUp Space move, Esc leaves for the overview)."""

from __future__ import annotations

import subprocess

import pytest

from tests.browser import CHROMIUM, require_chromium, streamlit_server
from tests.test_browser import SCREENS, _settle

pytestmark = pytest.mark.browser

TITLES = {
    "zh": ["客户价值金字塔", "价值矩阵：谁值得保持，谁值得培养", "利润从哪里来，又流失到哪里",
           "客户转化：每一步有多少人走到下一步", "本周要挽留的客户"],
    "en": ["The customer value pyramid", "Value matrix: whom to keep, whom to grow",
           "Where profit comes from, and where it leaks", "Conversion: how many take the next step",
           "Customers to win back this week"],
}
OVERVIEW = {"zh": "总览", "en": "Overview"}

# What a slide must satisfy, measured in the page: no scrolling, the footer on screen, and the
# smallest text of the chart (SVG text) and of the table at least 20 px.
MEASURE = """() => {
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const texts = [...document.querySelectorAll('[data-testid="stPlotlyChart"] svg text')]
      .filter((el) => el.textContent.trim() && el.getBBox().width > 0);
  const cells = [...document.querySelectorAll('table.present-table td, table.present-table th')];
  const footer = document.querySelector('.present-footer');
  return {
    scroll: document.documentElement.scrollHeight, inner: window.innerHeight,
    footerBottom: footer ? footer.getBoundingClientRect().bottom : null,
    chartMin: texts.length ? Math.min(...texts.map(px)) : null,
    tableMin: cells.length ? Math.min(...cells.map(px)) : null,
  };
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    with streamlit_server(tmp_path_factory.mktemp("db") / "present.duckdb", output=subprocess.PIPE) as url:
        yield url


def _title(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text()


def _press(page, key: str) -> None:
    page.locator("body").press(key)
    page.wait_for_timeout(300)
    _settle(page, quiet=0.4)


@pytest.mark.parametrize("lang, size", [("zh", (1280, 720)), ("en", (1280, 720)), ("zh", (1920, 1080))])
def test_every_slide_fits_the_screen_reads_large_and_answers_the_keyboard(server, lang, size):
    from playwright.sync_api import sync_playwright

    SCREENS.mkdir(parents=True, exist_ok=True)
    width, height = size
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US",
                                   viewport={"width": width, "height": height}).new_page()
        page.goto(f"{server}/present?lang={lang}")
        _settle(page, quiet=0.4)
        for i, expected in enumerate(TITLES[lang]):
            assert _title(page) == expected
            page.wait_for_function("""() => document.querySelector('[data-testid="stPlotlyChart"] svg text')
                                        || document.querySelector('table.present-table')""", timeout=30_000)
            page.wait_for_timeout(500)  # plotly lays its text out after drawing
            m = page.evaluate(MEASURE)
            where = f"slide {i + 1} at {width}×{height} ({lang})"
            assert m["scroll"] <= m["inner"] + 1, f"{where} scrolls: {m}"
            assert m["footerBottom"] is not None and m["footerBottom"] <= m["inner"], f"{where}: footer cut: {m}"
            for kind in ("chartMin", "tableMin"):
                assert m[kind] is None or m[kind] >= 20, f"{where}: {kind} {m[kind]} px"
            assert m["chartMin"] is not None or m["tableMin"] is not None, f"{where}: neither chart nor table"
            page.screenshot(path=str(SCREENS / f"{lang}_present_{width}_{i + 1}.png"))
            _press(page, ["ArrowRight", "PageDown", "Space", "ArrowRight", "ArrowRight"][i])
        assert _title(page) == TITLES[lang][0]  # after the last slide, the first again
        _press(page, "ArrowLeft")
        assert _title(page) == TITLES[lang][-1]
        _press(page, "PageUp")
        assert _title(page) == TITLES[lang][-2]
        _press(page, "Escape")
        assert _title(page) == OVERVIEW[lang]  # left for the overview, in the same language
        assert page.locator('[data-testid="stSidebar"]').is_visible()
        browser.close()
