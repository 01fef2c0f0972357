"""The README's screenshots, in Chinese and English, from the bundled sample: ``python docs/screenshots.py``.

Starts ``streamlit run app.py`` on a fresh database built from sample_data/ (never your own
data/valuation.duckdb), opens each page in Debian's chromium through the ``playwright``
package (``requirements-dev.txt``; no ``playwright install``: it drives /usr/bin/chromium),
waits until the page has finished, and writes ``docs/images/<page>_<lang>.png``. The
presentation is taken at a projector's 1280×720, the other pages at 1280 wide.

Options: ``--pages overview tuning`` (default: the README's), ``--langs zh en``, ``--out DIR``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "images"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# page -> viewport height (the presentation: a projector's)
PAGES = {
    "overview": 1500,
    "tuning": 1500,
    "lifecycle": 1300,
    "actions": 1100,
    "explore": 1300,
    "present": 720,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env={**os.environ, "VALUATION_DB": str(db)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start")


def _settle(page, timeout: float = 120) -> None:
    """Until the script has rendered and no rerun has been running for a second and a half."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
    quiet, deadline = None, time.time() + timeout
    while time.time() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count():
            quiet = None
        elif quiet is None:
            quiet = time.time()
        elif time.time() - quiet > 1.5:
            page.wait_for_timeout(800)  # plotly lays out its text after drawing
            return
        time.sleep(0.2)
    raise SystemExit(f"{page.url} kept running")


def take(pages, langs, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        server = _serve(Path(tmp) / "screens.duckdb", port)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                for lang in langs:
                    for name in pages:
                        context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US",
                                                      viewport={"width": 1280, "height": PAGES[name]})
                        page = context.new_page()
                        page.goto(f"http://127.0.0.1:{port}/{'' if name == 'overview' else name}?lang={lang}")
                        _settle(page)
                        if name == "tuning":  # the page as a manager sees it after moving a slider
                            slider = page.get_by_role("slider").nth(3)  # loyalty
                            slider.focus()
                            for _ in range(4):
                                page.keyboard.press("ArrowRight")
                            page.wait_for_timeout(500)
                            _settle(page)
                        if name == "present":  # the value matrix, the slide a meeting argues over
                            page.locator("body").press("ArrowRight")
                            page.wait_for_timeout(500)
                            _settle(page)
                        path = out / f"{name}_{lang}.png"
                        page.screenshot(path=str(path))
                        written.append(path)
                        print(path)
                        context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--langs", nargs="+", default=["zh", "en"], choices=["zh", "en"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("Debian's chromium is needed: apt-get install chromium fonts-noto-cjk", file=sys.stderr)
        return 2
    take(args.pages, args.langs, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
