"""Roles and the audit log in the store: who may change what, and every change recorded with
who made it (issue #14: sign-in and roles, audit log)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from valuation.data import access, sources
from valuation.data.access import Actor, Forbidden
from valuation.data.saved_views import delete_view, save_view
from valuation.data.store import SAMPLE_DATASET, Store, audit_log, ensure_sample


def orders(n: int = 2) -> dict[str, pd.DataFrame]:
    return {"orders": pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                                    "order_date": pd.to_datetime(["2024-01-01"] * n), "amount": [10.0] * n})}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "access.duckdb")
    yield s
    s.close()
    access.set_actor(access.LOCAL)


def as_(name: str, role: str) -> None:
    access.set_actor(Actor(name, role, signed_in=True))


def test_a_viewer_can_change_nothing_and_nothing_changes(store):
    ensure_sample(store)  # the app builds the sample whoever opens it first
    as_("vera@example.com", "viewer")
    with pytest.raises(Forbidden) as caught:
        store.replace_dataset("east", orders())
    assert caught.value.params == {"user": "vera@example.com", "role": "viewer", "action": "save_dataset",
                                   "needed": "analyst"}
    with pytest.raises(Forbidden):
        save_view(store, "mine", "{}")
    assert store.datasets() == [SAMPLE_DATASET]
    assert audit_log(store)["action"].tolist() == ["import"]  # the sample, by the app itself
    assert audit_log(store)["actor"].tolist() == ["system"]


def test_an_analyst_imports_and_replaces_but_may_not_delete_or_attach(store, tmp_path):
    as_("ann@example.com", "analyst")
    store.replace_dataset("east", orders(3))
    store.replace_dataset("east", orders(5))
    save_view(store, "Q3", "{}")
    with pytest.raises(Forbidden, match="needs the admin role"):
        store.delete_dataset("east")
    (tmp_path / "lake" / "orders").mkdir(parents=True)
    with pytest.raises(Forbidden):
        sources.attach_parquet(store, "lake", tmp_path / "lake")
    log = audit_log(store)
    assert log["action"].tolist() == ["save_view", "replace", "import"]  # newest first
    assert log["actor"].unique().tolist() == ["ann@example.com"]
    assert log["row_count"].tolist()[1:] == [5, 3]
    assert json.loads(log["detail"].iloc[1])["rows"] == {"orders": 5}
    assert store.read("east", "orders").shape[0] == 5


def test_an_admin_deletes_and_the_log_says_who_and_how_many_rows(store):
    as_("ann@example.com", "analyst")
    store.replace_dataset("east", orders(4))
    as_("root@example.com", "admin")
    store.delete_dataset("east")
    save_view(store, "v", "{}")
    delete_view(store, "v")
    log = audit_log(store)
    assert log[["actor", "action", "dataset", "row_count"]].head(3).values.tolist()[2] == [
        "root@example.com", "delete", "east", 4]
    assert log["action"].tolist()[:2] == ["delete_view", "save_view"]


def test_a_failed_import_leaves_no_line_in_the_log(store):
    bad = {"orders": pd.DataFrame({"customer_id": ["a"], "order_date": ["not a date"], "amount": [1.0]})}
    with pytest.raises(Exception):
        store.replace_dataset("east", bad)
    assert audit_log(store).empty and store.datasets() == []


@pytest.mark.parametrize("user, config, role", [
    ({"email": "Alice@Example.com"}, {"admins": ["alice@example.com"]}, "admin"),
    ({"email": "bob@example.com", "role": "analyst"}, {}, "analyst"),
    ({"email": "bob@example.com", "role": "analyst"}, {"viewers": ["bob@example.com"]}, "viewer"),
    ({"email": "eve@example.com", "role": "superuser"}, {}, "viewer"),  # an unknown claim grants nothing
    ({"email": "eve@example.com"}, {"default": "analyst"}, "analyst"),
    ({"sub": "carol", "groups": "admin"}, {"claim": "groups"}, "admin"),
])
def test_the_role_comes_from_the_configuration_then_the_token_then_the_default(user, config, role):
    assert access.role_for(user, config) == role


def test_the_command_line_acts_as_a_local_admin():
    assert access.actor() == Actor("local", "admin", signed_in=False)
    assert access.allowed("delete_dataset") and not access.allowed("no such action")


def test_the_audit_command_lists_who_changed_what(tmp_path, capsys):
    from valuation.cli.main import main

    db = tmp_path / "audited.duckdb"
    store = Store(db)
    as_("ann@example.com", "analyst")
    store.replace_dataset("east", orders(3))
    store.close()
    access.set_actor(access.LOCAL)
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\na,2024-01-01,10\nb,2024-01-02,5\n", encoding="utf-8")
    assert main(["ingest", str(path), "--db", str(db), "--dataset", "west"]) == 0
    capsys.readouterr()
    assert main(["audit", "--db", str(db), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    assert [(e["actor"], e["action"], e["dataset"], e["row_count"]) for e in entries] == [
        ("local", "import", "west", 2), ("ann@example.com", "import", "east", 3)]
    assert main(["audit", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "ann@example.com [analyst]  import  east (3 rows)" in text
    assert main(["audit", "--db", str(tmp_path / "none.duckdb")]) == 2
