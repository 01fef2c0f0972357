"""Streamlit entry point: page config, shared sidebar, navigation."""

import time

import streamlit as st

from ui import auth, cache, share, sidebar, state
from valuation.data.access import Forbidden
from valuation.data.store import StoreError
from valuation.i18n.text import t

started = time.perf_counter()
st.set_page_config(page_title="客户价值 · Customer value", layout="wide")
cache.new_run()  # what the last run of this thread kept for itself goes

actor = auth.current_actor()  # the sign-in page when sign-in is configured and nobody is signed in
try:
    ctx = sidebar.render()
except StoreError as exc:
    state.show_error(exc, st.session_state.get("lang", "en"))
    st.stop()
auth.sidebar_panel(actor, ctx.lang)
if share.missing_dataset_notice(ctx):  # a link to data this session cannot open: never other data silently
    st.stop()

PAGES = [
    ("views/overview.py", "page.overview", "overview"),
    ("views/tuning.py", "page.tuning", "tuning"),
    ("views/lifecycle.py", "page.lifecycle", "lifecycle"),
    ("views/customers.py", "page.customers", "customers"),
    ("views/clv.py", "page.clv", "clv"),
    ("views/explore.py", "page.explore", "explore"),
    ("views/dynamics.py", "page.dynamics", "dynamics"),
    ("views/actions.py", "page.actions", "actions"),
    ("views/data.py", "page.data", "data"),
    ("views/present.py", "page.present", "present"),
]
navigation = st.navigation([
    st.Page(path, title=t(key, ctx.lang), url_path=url, default=(i == 0))
    for i, (path, key, url) in enumerate(PAGES)
])
try:
    navigation.run()
except Forbidden as exc:  # the pages hide what a role may not do; the store refuses it anyway
    auth.show_forbidden(exc, ctx.lang)
except StoreError as exc:  # a stored dataset that cannot be read as it is (damaged features, say)
    state.show_error(exc, ctx.lang)
share.write_url(state.context())
state.log_run(navigation.url_path, time.perf_counter() - started)  # VALUATION_RUN_LOG (docs/scale-out.md)
