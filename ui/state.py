"""Stores, the current dataset and the per-session context, cached the Streamlit way."""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass

import streamlit as st

from ui.safe import md, md_params
from valuation.data.store import SAMPLE_DATASET, Store, StoreError, default_db_path, ensure_sample
from valuation.i18n.text import t

SESSION_STORE_KEY = "_session_store"
CONTEXT_KEY = "_context"
PENDING_DATASET_KEY = "_pending_dataset"
DB, SESSION = "db", "session"


@st.cache_resource(show_spinner=False)
def _shared_store(path: str) -> Store:
    # VALUATION_READ_ONLY=1: one of several app processes serving one file (DuckDB lets many
    # processes read a file, or one write it): browse and score; uploads stay in the session.
    store = Store(path, read_only=os.environ.get("VALUATION_READ_ONLY", "") in ("1", "true", "yes"))
    ensure_sample(store)
    return store


def shared_store() -> Store:
    """The database file every session shares (built from sample_data/ on first run)."""
    return _shared_store(str(default_db_path()))


def session_store() -> Store:
    """An in-memory store for uploads kept for this browser session only."""
    if SESSION_STORE_KEY not in st.session_state:
        st.session_state[SESSION_STORE_KEY] = Store(":memory:", private=True)
    return st.session_state[SESSION_STORE_KEY]


def ref(scope: str, name: str) -> str:
    """A dataset reference as a widget value: ``db:sample`` or ``session:my upload``."""
    return f"{scope}:{name}"


def parse_ref(value: str) -> tuple[str, str]:
    scope, _, name = value.partition(":")
    return scope, name


def store_for(scope: str) -> Store:
    return session_store() if scope == SESSION else shared_store()


def select_dataset_next_run(scope: str, name: str) -> None:
    """Make the sidebar pick this dataset on the next rerun (widgets can't be set after drawing)."""
    st.session_state[PENDING_DATASET_KEY] = ref(scope, name)


@dataclass(frozen=True)
class Context:
    """What every page needs to know: language, dataset and as-of date."""

    lang: str
    scope: str
    dataset: str
    as_of: dt.date | None
    first_order: dt.date | None
    last_order: dt.date | None
    currency: str = "CNY"  # of the dataset's money; also the run's current currency (i18n/format.py)
    stored_at: dt.datetime | None = None  # when the dataset was stored (its version; Store.catalog)

    @functools.cached_property
    def store(self) -> Store:  # looked up once per run (a page asks dozens of times)
        return store_for(self.scope)

    @property
    def dataset_ref(self) -> str:
        return ref(self.scope, self.dataset)


def set_context(ctx: Context) -> None:
    st.session_state[CONTEXT_KEY] = ctx


def context() -> Context:
    """The context the sidebar set up on this run."""
    return st.session_state[CONTEXT_KEY]


def show_error(exc: Exception, lang: str, **extra) -> None:
    """A clear message for a known error, translated by its code; never a traceback."""
    code = getattr(exc, "code", None)
    params = {**getattr(exc, "params", {}), **extra}
    params = {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
              for k, v in params.items()}
    key = f"err.{code}"
    text = t(key, lang, **md_params(params)) if code else None  # file names, headers: plain text
    if not text or text == key or "{" in text:
        text = md(str(exc))
    st.error(text)


@st.cache_data(show_spinner=False, max_entries=64)
def _order_dates(store_key: str, dataset: str, created, today: dt.date, _store: Store) -> tuple:
    from valuation.data import sources
    from valuation.data.features import future_orders as count_future

    first, last = sources.date_range(_store, dataset)
    info = sources.kind_info(_store, dataset)
    future = (0, None) if info and info["kind"] == sources.KIND_FEATURES else count_future(_store, dataset, today)
    return first, last, future, info


def _dates(store: Store, dataset: str, created) -> tuple:
    """The sidebar's queries over the orders and the dataset's kind, once per dataset version
    (``created``: when it was stored, from ``Store.catalog``) and day (the sidebar draws on every
    rerun of every page; a slider move must not scan the orders again)."""
    return _order_dates(f"{id(store)}:{store.path}", dataset, created, dt.date.today(), store)


def future_orders(store: Store, dataset: str, created) -> tuple[int, dt.date | None]:
    """Orders dated after today (count, latest); none for a features dataset (it has no orders)."""
    return _dates(store, dataset, created)[2]


def order_date_range(store: Store, dataset: str, created) -> tuple[dt.date | None, dt.date | None]:
    """First order date and the default as-of date (the last order on or before today).

    A features dataset (computed on Spark, valuation/sources.py) has one date: its as-of date.
    """
    first, last, _, _ = _dates(store, dataset, created)
    return first, last


def clear_dataset_caches() -> None:
    """After a dataset is replaced or deleted: cached figures of it are stale.

    Only ``st.cache_data`` holds figures of datasets (ui/cache.py, ui/cache_explore.py; keyed by
    the dataset version as well). Parsed uploads live in ``st.cache_resource`` (ui/widgets.py),
    so a save does not throw away the parsing of the files still being worked on.
    """
    st.cache_data.clear()
    VERSIONS.clear()


# (scope, store, dataset) -> (when read, version): ui/cache.py's dataset version, read again at
# most every VERSION_TTL seconds (a page asks many times a run; another process's import is seen
# within that time, this process's at once: clear_dataset_caches empties it).
VERSIONS: dict = {}
VERSION_TTL = 1.0


def features_info(ctx: Context) -> dict | None:
    """The record of a dataset of features computed elsewhere (engine, source, as-of), else None.

    Such a dataset has no order rows: pages that read orders say so instead of drawing nothing.
    """
    from valuation.data.sources import KIND_FEATURES, kind_info

    # Kept with the sidebar's dates per dataset version: not a query on every rerun.
    info = _dates(ctx.store, ctx.dataset, ctx.stored_at)[3] if ctx.stored_at is not None \
        else kind_info(ctx.store, ctx.dataset)
    return info if info and info["kind"] == KIND_FEATURES else None


def fragment_run() -> bool:
    """True when this run reruns fragments only (a slider on the tuning page): app.py's own code,
    and its line in ``VALUATION_RUN_LOG``, did not run, so the fragment logs itself."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    run = get_script_run_ctx()
    return bool(getattr(run, "fragment_ids_this_run", None))


def log_run(page: str, seconds: float) -> None:
    """One line per script run (UTC time, page, seconds) appended to the file ``VALUATION_RUN_LOG``
    names, when it is set: how long the server takes per rerun under a team's load, apart from the
    browsers (bench/load_test.py reads it; docs/scale-out.md)."""
    path = os.environ.get("VALUATION_RUN_LOG")
    if not path:
        return
    line = f"{dt.datetime.now(dt.timezone.utc).isoformat(timespec='milliseconds')}\t{page}\t{seconds:.4f}\n"
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
    except OSError:  # a log that cannot be written never stops the page
        pass


__all__ = ["Context", "DB", "SESSION", "SAMPLE_DATASET", "StoreError", "context",
           "order_date_range", "parse_ref", "ref", "select_dataset_next_run", "session_store",
           "set_context", "shared_store", "show_error", "store_for", "clear_dataset_caches",
           "features_info", "fragment_run", "log_run"]
