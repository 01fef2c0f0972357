"""Sign-in with Streamlit's own ``st.login`` (OpenID Connect through Authlib) and the user's role.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` every visitor signs in first, and the
role comes from ``[roles]`` there or the identity token (``valuation.data.access.role_for``).
Without it (one person on a laptop) nothing changes: the user is ``local`` with every right, and
the sidebar says the app is in single-user mode. docs/security.md has the set-up.
"""

from __future__ import annotations

import streamlit as st

from ui.safe import md
from valuation.data import access
from valuation.i18n.text import lang_from_locale, t


def auth_configured() -> bool:
    """True when the secrets have an ``[auth]`` section (sign-in is then required)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: single-user mode
        return False


def roles_config() -> dict:
    try:
        return dict(st.secrets.get("roles", {}))
    except Exception:
        return {}


def _lang() -> str:
    return st.session_state.get("lang") or lang_from_locale(st.context.locale)


def current_actor() -> access.Actor:
    """The user of this run, set as the acting user of every store write; a visitor who has not
    signed in sees the sign-in page and nothing else (the run stops there)."""
    if not auth_configured():
        actor = access.Actor("local", "admin", signed_in=False)
    elif not st.user.is_logged_in:
        access.set_actor(access.Actor("anonymous", "none", signed_in=False))  # may do nothing
        sign_in_page(_lang())
        st.stop()
    else:
        info = st.user.to_dict()
        name = str(info.get("email") or info.get("sub") or "user")
        actor = access.Actor(name, access.role_for(info, roles_config()), signed_in=True)
    access.set_actor(actor)
    return actor


def sign_in_page(lang: str) -> None:
    st.title(t("auth.title", lang))
    st.write(t("auth.why", lang))
    if st.button(t("auth.sign_in", lang), type="primary", key="sign_in"):
        st.login()


def sidebar_panel(actor: access.Actor, lang: str) -> None:
    """Who is signed in with which role and a sign-out button; or that this is single-user mode."""
    if actor.signed_in:
        st.sidebar.caption(t("auth.signed_in_as", lang, user=md(actor.name), role=t(f"role.{actor.role}", lang)))
        if st.sidebar.button(t("auth.sign_out", lang), key="sign_out"):
            st.logout()
    else:
        st.sidebar.caption(t("auth.single_user", lang))


def show_forbidden(exc: access.Forbidden, lang: str) -> None:
    p = exc.params
    st.error(t("err.forbidden", lang, user=md(p["user"]), role=t(f"role.{p['role']}", lang),
               needed=t(f"role.{p['needed']}", lang)))


AUDIT_ACTIONS = ("import", "replace", "delete", "attach_parquet", "attach_features", "save_view",
                 "rename_view", "delete_view")


def audit_frame(log, lang: str):
    """The audit log for people: translated headers and actions, times to the second."""
    import pandas as pd

    return pd.DataFrame({
        t("audit.when", lang): pd.to_datetime(log["happened_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
        # "system" is the app itself (building the sample), not a person: said in the reader's language
        t("audit.who", lang): [t("audit.system", lang) if a == "system" else a for a in log["actor"]],
        t("audit.role", lang): [t(f"role.{r}", lang) for r in log["role"]],
        t("audit.action", lang): [t(f"audit.action.{a}", lang) if a in AUDIT_ACTIONS else a for a in log["action"]],
        t("audit.dataset", lang): log["dataset"].fillna("—"),
        t("audit.rows", lang): log["row_count"],
    })


def can(action: str) -> bool:
    """May the user of this run do ``action`` (hide or disable what they may not)?"""
    return access.allowed(action)
