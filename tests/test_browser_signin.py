"""Real browser, real sign-in: Streamlit's st.login against a local OpenID Connect provider
(oidc-provider-mock, started here on 127.0.0.1), three users and their roles.

- vera (no role anywhere) is a viewer: every page shows, the Data page offers no upload or delete,
  the sidebar offers no saving of views;
- ann (listed as an analyst in the [roles] configuration) uploads a CSV and saves it as a dataset;
- alice (role claim "admin" in her token) sees the audit log, with ann's import in it, and may delete.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser import CHROMIUM, free_port, require_chromium, streamlit_server
from valuation.data.store import Store, ensure_sample
from valuation.i18n.text import t

pytestmark = pytest.mark.browser

USERS = ['{"sub": "alice", "email": "alice@example.com", "role": "admin"}',
         '{"sub": "ann", "email": "ann@example.com"}',
         '{"sub": "vera", "email": "vera@example.com"}']
ATTACH_TITLE = t("scale.attach_title", "en")
CSV = "customer_id,order_date,amount\nN1,2026-01-05,1200\nN1,2026-03-01,800\nN2,2026-02-10,300\n"


@contextlib.contextmanager
def oidc_provider():
    pytest.importorskip("oidc_provider_mock")
    port = free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for claims in USERS:
        args += ["--user-claims", claims]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the OIDC provider did not start")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("signin")
    db = folder / "shared.duckdb"
    store = Store(db)
    ensure_sample(store)
    store.close()
    port = free_port()
    with oidc_provider() as provider:
        secrets = folder / "secrets.toml"
        secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-cookie-secret-for-the-sign-in-test"
client_id = "valuation-test"
client_secret = "not-a-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[roles]
analysts = ["ann@example.com"]
""", encoding="utf-8")
        with streamlit_server(db, port=port, args=["--secrets.files", str(secrets)]) as url:
            yield url, db, folder


def sign_in(browser, url: str, user: str, path: str = ""):
    page = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1600}).new_page()
    page.goto(url)
    page.get_by_role("button", name="Sign in").click(timeout=90_000)
    page.click(f"button[value={user}]", timeout=30_000)  # the provider's page: one button per user
    signed_in(page, user).wait_for(timeout=90_000)  # back on the app, signed in (a cookie)
    if path:
        page.goto(f"{url}/{path}")
        signed_in(page, user).wait_for(timeout=90_000)
    return page


def signed_in(page, user: str, role: str = ""):
    """The sidebar line; an invisible word joiner after "@" keeps the address from becoming a link."""
    return page.get_by_text(re.compile(rf"Signed in as {user}@\u2060?example\.com · {role}"))


def test_sign_in_roles_and_the_audit_log_end_to_end(server):
    from playwright.sync_api import sync_playwright

    url, db, folder = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        # Nobody signed in: the sign-in page and nothing of the data.
        page = browser.new_context(locale="en-US").new_page()
        page.goto(url)
        page.get_by_role("button", name="Sign in").wait_for(timeout=90_000)
        assert page.get_by_text("Please sign in").count() == 1
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
        assert page.get_by_text("Customers").count() == 0

        # vera: a viewer.
        vera = sign_in(browser, url, "vera")
        signed_in(vera, "vera", "viewer").wait_for()
        vera.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=90_000)
        vera.goto(f"{url}/data")
        vera.get_by_text("Your role (viewer) can see and export").wait_for(timeout=90_000)
        assert vera.locator('input[type="file"]').count() == 0
        assert vera.get_by_role("button", name="Save view").count() == 0
        assert vera.locator('[data-testid="stException"]').count() == 0

        # ann: an analyst by the [roles] configuration, uploads and saves a dataset.
        ann = sign_in(browser, url, "ann", "data")
        signed_in(ann, "ann", "analyst").wait_for()
        csv = folder / "north.csv"
        csv.write_text(CSV, encoding="utf-8")
        ann.locator('input[type="file"]').first.set_input_files(str(csv), timeout=90_000)
        name = ann.get_by_label("Dataset name")
        name.wait_for(timeout=90_000)
        name.fill("north")
        name.press("Enter")
        ann.get_by_role("button", name="Save as a dataset").click()
        ann.get_by_text("Current dataset: north").first.wait_for(timeout=90_000)
        assert ann.get_by_text("Audit log").count() == 0  # the log is an administrator's
        assert ann.get_by_text(ATTACH_TITLE).count() == 0

        # alice: an admin by her token's claim; the audit log names ann's import.
        alice = sign_in(browser, url, "alice", "data")
        signed_in(alice, "alice", "admin").wait_for()
        alice.get_by_text("Audit log").first.click(timeout=90_000)
        grid = alice.locator('[data-testid="stDataFrame"]').filter(has_text="ann@example.com")
        grid.first.wait_for(timeout=60_000)
        rows = alice.evaluate("Array.from(document.querySelectorAll('[data-testid=stDataFrame] tr'))"
                              ".map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent))")
        assert ["ann@example.com", "analyst", "import", "north", "3"] in [r[1:] for r in rows if r], rows
        assert alice.get_by_text(ATTACH_TITLE).count() == 1  # attaching server folders: admins only
        browser.close()
