"""Named view configurations (weights, cut-offs, page choices) saved in the database file, shared
by everyone on it: save, list, load, rename, delete, each write checked against the roles and
recorded in the audit log (``store.record``)."""

from __future__ import annotations

from contextlib import contextmanager

from valuation.data import access
from valuation.data.store import META, Store, StoreError, name_key, record, rolled_back


def _view_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 80 or any(ord(ch) < 32 for ch in cleaned):
        raise StoreError("bad_view_name", "A view name needs 1 to 80 printable characters.", name=name)
    return cleaned


def _view_taken(cur, name: str, *, other_than: str | None = None) -> None:
    """Refuse ``name`` when another view has the same name in another case or Unicode form."""
    key = name_key(name)
    for (existing,) in cur.execute(f"SELECT name FROM {META}.views").fetchall():
        if existing not in (name, other_than) and name_key(existing) == key:
            raise StoreError("view_name_taken", f"A view named {existing!r} exists already, and {name!r} is the "
                             "same name (upper/lower case and character width do not count).",
                             name=name, existing=existing)


@contextmanager
def _writing(store: Store, permission: str):
    """A cursor inside one transaction on ``store``, for a user allowed ``permission``: committed when
    the block ends, rolled back (and said in a StoreError) when it raises."""
    store._check_writable()
    access.require(permission)
    with store._write_lock:
        cur = store.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException as exc:
            raise rolled_back(cur, exc, store.path) from None


def save_view(store: Store, name: str, config_json: str) -> None:
    """Save (or overwrite, under exactly its name) a named view configuration in the database file."""
    name = _view_name(name)
    with _writing(store, "save_view") as cur:
        _view_taken(cur, name)
        cur.execute(f"DELETE FROM {META}.views WHERE name = $n", {"n": name})
        cur.execute(f"INSERT INTO {META}.views VALUES ($n, $c, now())", {"n": name, "c": config_json})
        record(cur, "save_view", None, None, {"view": name})


def list_views(store: Store) -> list[str]:
    return [r[0] for r in store.cursor().execute(f"SELECT name FROM {META}.views ORDER BY name").fetchall()]


def load_view(store: Store, name: str) -> str:
    row = store.cursor().execute(f"SELECT config FROM {META}.views WHERE name = $n", {"n": name}).fetchone()
    if row is None:
        raise StoreError("unknown_view", f"There is no saved view named {name!r}.", name=name)
    return row[0]


def rename_view(store: Store, old: str, new: str) -> None:
    new = _view_name(new)
    with _writing(store, "save_view") as cur:
        if cur.execute(f"SELECT count(*) FROM {META}.views WHERE name = $n", {"n": new}).fetchone()[0]:
            raise StoreError("view_exists", f"A view named {new!r} exists already.", name=new)
        _view_taken(cur, new, other_than=old)
        cur.execute(f"UPDATE {META}.views SET name = $new WHERE name = $old", {"new": new, "old": old})
        record(cur, "rename_view", None, None, {"view": old, "to": new})


def delete_view(store: Store, name: str) -> None:
    with _writing(store, "delete_view") as cur:
        cur.execute(f"DELETE FROM {META}.views WHERE name = $n", {"n": name})
        record(cur, "delete_view", None, None, {"view": name})
