"""The view configuration in the URL (share links, refresh) and saved views in the database."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ui import cache, state
from ui.safe import md
from valuation.data import saved_views
from valuation.data import access
from valuation.data.store import StoreError
from valuation.i18n.text import t
from valuation.present.viewconfig import ViewConfig, from_query, to_query

RESTORED_KEY = "_url_restored"
MISSING_KEY = "_missing_dataset"  # the dataset a link named that this session cannot open
SHOWN_INSTEAD_KEY = "_missing_dataset_seen"
SESSION_SAVED_KEY = "_session_dataset_saved"
WIDGET_PREFIXES = ("w::", "cut::", "life::", "class::", "tilt::")


def _reset_setting_widgets() -> None:
    """Forget slider/input state so the controls redraw from the (new) settings."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and (key.startswith(WIDGET_PREFIXES) or key == "preset"):
            del st.session_state[key]


def apply(config: ViewConfig) -> None:
    """Make ``config`` the session's view. Call before the sidebar widgets are drawn (or in a callback)."""
    st.session_state["lang"] = config.lang
    st.session_state["dataset"] = config.dataset
    if config.as_of is not None:
        st.session_state[f"as_of::{config.dataset}"] = config.as_of
    cache.set_settings(config.settings)
    _reset_setting_widgets()


def restore_from_url() -> list[str]:
    """On a session's first run, take the view from the link it was opened with.

    Returns the names of parameters that could not be read (they are ignored).
    """
    if st.session_state.get(RESTORED_KEY):
        return []
    st.session_state[RESTORED_KEY] = True
    params = st.query_params.to_dict()
    if not params:
        return []
    config, ignored = from_query(params, ViewConfig(lang=st.session_state.get("lang", "zh")))
    apply(config)
    return ignored


def clamp_as_of(key: str, first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """A date from a link may lie outside this dataset's range: bring it inside, and return
    (asked, used) on the run that did so, so the sidebar can say it (None otherwise)."""
    value = st.session_state.get(key)
    if value is None or first is None or last is None:
        return None
    if value < first or value > last:
        st.session_state[key] = min(max(value, first), last)
        return value, st.session_state[key]
    return None


def forget_missing() -> None:
    """The manager chose a dataset: the notice about the one the link named has done its work."""
    st.session_state.pop(MISSING_KEY, None)
    st.session_state.pop(SHOWN_INSTEAD_KEY, None)


def missing_dataset_notice(ctx: state.Context) -> bool:
    """When a link (or a refresh) named a dataset this session cannot open: say which and why,
    and what is shown instead only once the manager agrees. True while the page must wait."""
    missing = st.session_state.get(MISSING_KEY)
    if not missing:
        return False
    scope, name = state.parse_ref(missing)
    key = "link.missing_session" if scope == state.SESSION else "link.missing_db"
    if st.session_state.get(SHOWN_INSTEAD_KEY):
        st.warning(t("link.showing_instead_note", ctx.lang, name=md(name), shown=md(ctx.dataset)))
        return False
    st.error(t(key, ctx.lang, name=md(name)))
    if st.button(t("link.show_instead", ctx.lang, shown=md(ctx.dataset)), key="missing_show_instead"):
        st.session_state[SHOWN_INSTEAD_KEY] = True
        st.rerun()
    return True


def _save_session_dataset(name: str) -> None:
    """Copy a session-only dataset into the shared store (an analyst's click), and switch to it."""
    session = state.session_store()
    try:
        state.shared_store().replace_dataset(name, session.export_tables(name), source=session.info(name).source,
                                             currency=session.currency(name))
    except StoreError as exc:
        st.session_state["_session_save_error"] = exc
        return
    session.delete_dataset(name)
    state.clear_dataset_caches()
    state.select_dataset_next_run(state.DB, name)
    st.session_state[SESSION_SAVED_KEY] = name


def session_only_panel(name: str, lang: str) -> None:
    """Sidebar: this view uses data kept for this session only; analysts may save it for the team."""
    st.sidebar.warning(t("sidebar.session_warning", lang))
    if access.allowed("save_dataset") and not state.shared_store().read_only:
        st.sidebar.button(t("sidebar.save_session", lang), key="save_session_dataset", on_click=_save_session_dataset,
                          args=(name,), use_container_width=True)
    error = st.session_state.pop("_session_save_error", None)
    if error is not None:
        state.show_error(error, lang)


def current(ctx: state.Context) -> ViewConfig:
    return ViewConfig(dataset=ctx.dataset_ref, as_of=ctx.as_of, lang=ctx.lang, settings=cache.settings())


def write_url(ctx: state.Context) -> None:
    """Keep the URL equal to the view, so a copied link or a refresh reproduces it."""
    wanted = to_query(current(ctx))
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# ---- saved views -------------------------------------------------------------------
def _load(name: str) -> None:
    try:
        config = ViewConfig.from_json(saved_views.load_view(state.shared_store(), name))
    except (StoreError, access.Forbidden) as exc:
        st.session_state["_view_message"] = ("error", exc)
        return
    apply(config)
    st.session_state["_view_message"] = ("success", ("view.loaded", name))


def _save(ctx: state.Context) -> None:
    name = st.session_state.get("view_name", "")
    try:
        saved_views.save_view(state.shared_store(), name, current(ctx).to_json())
    except (StoreError, access.Forbidden) as exc:
        st.session_state["_view_message"] = ("error", exc)
    else:
        st.session_state["_view_message"] = ("success", ("view.saved", name.strip()))


def _rename(old: str) -> None:
    new = st.session_state.get("view_rename", "")
    try:
        saved_views.rename_view(state.shared_store(), old, new)
    except (StoreError, access.Forbidden) as exc:
        st.session_state["_view_message"] = ("error", exc)
    else:
        st.session_state["_view_message"] = ("success", ("view.renamed", new.strip()))


def _delete(name: str) -> None:
    try:
        saved_views.delete_view(state.shared_store(), name)
    except (StoreError, access.Forbidden) as exc:
        st.session_state["_view_message"] = ("error", exc)
    else:
        st.session_state["_view_message"] = ("success", ("view.deleted", name))


def saved_views_panel(ctx: state.Context) -> None:
    """Sidebar: save the whole view by name; load, rename or delete saved ones."""
    lang = ctx.lang
    editable = access.allowed("save_view")
    with st.sidebar.expander(t("view.title", lang)):
        names = saved_views.list_views(state.shared_store())
        if names:
            chosen = st.selectbox(t("view.saved_list", lang), names, key="view_choice")
            left, right = st.columns(2)
            left.button(t("view.load", lang), key="view_load", on_click=_load, args=(chosen,),
                        use_container_width=True)
            if editable:
                right.button(t("view.delete", lang), key="view_delete", on_click=_delete, args=(chosen,),
                             use_container_width=True)
                st.text_input(t("view.rename_to", lang), key="view_rename")
                st.button(t("view.rename", lang), key="view_rename_button", on_click=_rename, args=(chosen,))
        else:
            st.caption(t("view.none", lang))
        if editable:  # a viewer loads views and copies links; saving writes to the shared store
            st.divider()
            st.text_input(t("view.name", lang), key="view_name", placeholder=t("view.name_hint", lang))
            st.button(t("view.save", lang), key="view_save", on_click=_save, args=(ctx,), type="primary")
        message = st.session_state.pop("_view_message", None)
        if message:
            kind, content = message
            if kind == "error":  # a StoreError: translated by its code (name, read-only, locked file)
                state.show_error(content, lang)
            else:
                st.success(t(content[0], lang, name=md(content[1])))
        st.caption(t("view.link_hint_session" if ctx.scope == state.SESSION else "view.link_hint", lang))
