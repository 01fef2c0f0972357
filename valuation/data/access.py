"""Who may do what on a shared server: three roles, the actions each allows, and the acting user.

Roles (docs/security.md):

- ``viewer``: see every page, export and download, copy share links;
- ``analyst``: also upload files, save and replace datasets, use an upload for the session, save views;
- ``admin``: also delete datasets, attach Parquet folders and features, read the audit log.

The acting user is a context variable: the app sets it at the start of every run from the
signed-in user (``ui/auth.py``), each Streamlit session runs in its own thread, and the store
checks it before every write and records it in the audit log in the same transaction. The
command line and tests act as ``local`` with the admin role (whoever can run the command can
open the file anyway).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass

ROLES = ("viewer", "analyst", "admin")
# The least role each action needs.
ACTIONS: dict[str, str] = {
    "view": "viewer",
    "export": "viewer",
    "upload": "analyst",
    "save_dataset": "analyst",
    "save_view": "analyst",
    "delete_view": "analyst",
    "delete_dataset": "admin",
    "attach": "admin",
    "audit": "admin",
}
DEFAULT_ROLE = "viewer"


@dataclass(frozen=True)
class Actor:
    """The user behind a change: a name for the audit log and a role for the checks."""

    name: str = "local"
    role: str = "admin"
    signed_in: bool = False  # False: single-user mode (no sign-in configured) or a command line


LOCAL = Actor()
_ACTOR: contextvars.ContextVar[Actor] = contextvars.ContextVar("valuation_actor", default=LOCAL)


def set_actor(actor: Actor) -> None:
    """The user acting in this thread (one Streamlit session run, a job) from now on."""
    _ACTOR.set(actor)


def actor() -> Actor:
    return _ACTOR.get()


def allowed(action: str, who: Actor | None = None) -> bool:
    """May ``who`` (default: the acting user) do ``action``? Unknown actions are never allowed."""
    who = who or actor()
    need = ACTIONS.get(action)
    if need is None or who.role not in ROLES:
        return False
    return ROLES.index(who.role) >= ROLES.index(need)


class Forbidden(Exception):
    """The acting user's role does not allow the action; ``code`` and ``params`` as StoreError's."""

    def __init__(self, action: str, who: Actor):
        super().__init__(f"{who.name} ({who.role}) may not {action.replace('_', ' ')}; "
                         f"that needs the {ACTIONS.get(action, 'admin')} role.")
        self.code = "forbidden"
        self.params = {"user": who.name, "role": who.role, "action": action,
                       "needed": ACTIONS.get(action, "admin")}


def require(action: str) -> Actor:
    """The acting user, or Forbidden when their role does not allow ``action``."""
    who = actor()
    if not allowed(action, who):
        raise Forbidden(action, who)
    return who


def role_for(user: Mapping, config: Mapping | None = None) -> str:
    """The role of a signed-in user from the ``[roles]`` configuration and the identity token.

    In order: the user's email (or subject) in the configuration's ``admins``, ``analysts`` or
    ``viewers`` list (case does not matter); else the token's claim named by ``claim`` (default
    ``role``) when it names a role; else ``default`` (default ``viewer``: signing in grants
    nothing more than seeing).
    """
    config = config or {}
    ids = {str(user.get(k, "")).strip().casefold() for k in ("email", "sub") if user.get(k)}
    for role, key in (("admin", "admins"), ("analyst", "analysts"), ("viewer", "viewers")):
        listed = {str(x).strip().casefold() for x in (config.get(key) or ())}
        if ids & listed:
            return role
    claimed = str(user.get(str(config.get("claim", "role")), "") or "").strip().lower()
    if claimed in ROLES:
        return claimed
    default = str(config.get("default", DEFAULT_ROLE)).strip().lower()
    return default if default in ROLES else DEFAULT_ROLE
