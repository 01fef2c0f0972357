"""Streamlit entry point: page config, shared sidebar, navigation."""

import streamlit as st

from ui import sidebar, state
from valuation.i18n import t
from valuation.store import StoreError

st.set_page_config(page_title="客户价值 · Customer value", layout="wide")

try:
    ctx = sidebar.render()
except StoreError as exc:
    state.show_error(exc, st.session_state.get("lang", "en"))
    st.stop()

PAGES = [
    ("pages/overview.py", "page.overview", "overview"),
    ("pages/tuning.py", "page.tuning", "tuning"),
    ("pages/lifecycle.py", "page.lifecycle", "lifecycle"),
    ("pages/customers.py", "page.customers", "customers"),
    ("pages/clv.py", "page.clv", "clv"),
    ("pages/data.py", "page.data", "data"),
]
navigation = st.navigation([
    st.Page(path, title=t(key, ctx.lang), url_path=url, default=(i == 0))
    for i, (path, key, url) in enumerate(PAGES)
])
navigation.run()
