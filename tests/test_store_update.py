"""Store.update: one row of one client changed, checked with the whole record; and the
middle-phase records through export, import and an older store's migration.

Every test runs on a SQLite file and on a PostgreSQL database (``store_db``);
on PostgreSQL, which keeps no columnar copy, the copy's test checks the read
after the update all the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import ipt_network.io.store as store_module
from ipt_network import Inventory, Store
from ipt_network.cli import main
from ipt_network.errors import (
    BadArgument,
    ClientNotFound,
    RowNotFound,
    SessionNotFound,
    ValidationError,
)
from ipt_network.io.contract import TABLES
from ipt_network.io.recording import record_goal, record_stage
from ipt_network.io.tidy import read_inventory

CLIENT = "dispute-01"
#: The tables the middle phase added, and the columns the contract, the ending, the
#: dispute stage and the work log added (space-separated, by table).
NEW_TABLES = ("goals", "dispute_work", "transition_work", "grief_work")
_ADDED = {
    "clients": "contract_date formulation gains warning_signs who_to_turn_to maintenance",
    "sessions": "dispute_stage",
    "communication": "skill said meant breakdown",
}
NEW_COLUMNS = {table: tuple(words.split()) for table, words in _ADDED.items()}


@pytest.fixture
def store(samples_store: Store) -> Store:
    """The four sample clients, in a SQLite file or a PostgreSQL database."""
    return samples_store


def _file_bytes(store: Store) -> bytes:
    """Every row of the store, as SQL returns them, for a byte-for-byte comparison."""
    with store.engine.connect() as conn:
        dump = [
            repr(conn.exec_driver_sql(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall())
            for name in (*TABLES, "meta")
        ]
    return "\n".join(dump).encode()


def test_update_changes_one_row_and_bumps_the_revision(store: Store) -> None:
    before = store.inventory([CLIENT])
    revision = store.revision
    store.update(CLIENT, "sessions", {"session": 4}, {"dispute_stage": "renegotiation"})
    after = store.inventory([CLIENT])
    assert store.revision == revision + 1
    changed = after.sessions.set_index("session")
    assert changed.loc[4, "dispute_stage"] == "renegotiation"
    # only that cell changed
    expected = before.sessions.set_index("session").copy()
    expected.loc[4, "dispute_stage"] = "renegotiation"
    pd.testing.assert_frame_equal(changed, expected)
    for name in TABLES:
        if name != "sessions":
            pd.testing.assert_frame_equal(getattr(before, name), getattr(after, name))


def test_update_renews_the_columnar_copy(store: Store) -> None:
    store.read_tables(["clients"])  # a copy at this revision
    store.update(CLIENT, "clients", {}, {"formulation": "Words", "maintenance": "agreed"})
    bulk = store.read_tables(["clients"])["clients"].set_index("client_id")
    assert bulk.loc[CLIENT, "formulation"] == "Words"
    assert bulk.loc[CLIENT, "maintenance"] == "agreed"


def test_none_empties_a_column(store: Store) -> None:
    store.update(CLIENT, "clients", {}, {"gains": "Some"})
    store.update(CLIENT, "clients", {}, {"gains": None})
    assert pd.isna(store.inventory([CLIENT]).clients["gains"].iloc[0])


def test_a_goal_row_is_updated_by_its_key(store: Store) -> None:
    goals = store.inventory([CLIENT]).goals
    row = goals.iloc[0]
    key = {"session": int(row["session"]), "goal_id": str(row["goal_id"])}
    store.update(CLIENT, "goals", key, {"status": "set_aside"})
    after = store.inventory([CLIENT]).goals
    match = (after["session"] == key["session"]) & (after["goal_id"] == key["goal_id"])
    assert after[match]["status"].tolist() == ["set_aside"]
    assert len(after) == len(goals)


@pytest.mark.parametrize(
    ("table", "key", "values", "error"),
    [
        ("sessions", {"session": 99}, {"dispute_stage": "impasse"}, SessionNotFound),
        ("goals", {"session": 1, "goal_id": "nope"}, {"status": "achieved"}, RowNotFound),
        ("sessions", {"session": 4}, {"dispute_stage": "stuck"}, ValidationError),
        ("clients", {}, {"planned_sessions": 40}, ValidationError),
        ("clients", {}, {"contract_date": "2026-02-31"}, ValidationError),
        ("events", {}, {"kind": "move"}, BadArgument),
        ("sessions", {}, {"dispute_stage": "impasse"}, BadArgument),
        ("sessions", {"session": 4}, {"session": 5}, BadArgument),
        ("sessions", {"session": 4}, {"nothing": 1}, BadArgument),
        ("sessions", {"session": 4}, {}, BadArgument),
        ("nowhere", {}, {"x": 1}, BadArgument),
    ],
)
def test_a_refused_update_leaves_the_store_as_it_was(
    store: Store, table: str, key: dict[str, Any], values: dict[str, Any], error: type
) -> None:
    before, revision = _file_bytes(store), store.revision
    with pytest.raises(error) as info:
        store.update(CLIENT, table, key, values)
    assert _file_bytes(store) == before
    assert store.revision == revision
    for value in values.values():  # the refused value is never in the message
        if isinstance(value, str) and len(value) > 3:
            assert value not in str(info.value)


def test_an_unknown_client_is_not_found(store: Store) -> None:
    with pytest.raises(ClientNotFound):
        store.update("nobody", "clients", {}, {"gains": "x"})


def test_a_reader_is_not_blocked_while_an_update_holds_the_write_lock(
    store: Store, store_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = Store.open(store_db)
    seen: list[tuple[Any, int]] = []
    real = store_module.validate

    def validate_and_read(tables: Any, **kw: Any) -> Inventory:
        # inside the update's write transaction: another connection reads at once
        old = reader.inventory([CLIENT]).sessions.set_index("session")
        seen.append((old.loc[2, "dispute_stage"], reader.revision))
        return real(tables, **kw)

    stored = store.inventory([CLIENT]).sessions.set_index("session").loc[2, "dispute_stage"]
    before = None if pd.isna(stored) else str(stored)
    new = "renegotiation" if before == "impasse" else "impasse"
    monkeypatch.setattr(store_module, "validate", validate_and_read)
    revision = store.revision
    store.update(CLIENT, "sessions", {"session": 2}, {"dispute_stage": new})
    [(read_stage, read_revision)] = seen
    # the reader was answered during the update, with the store as it was before it
    assert read_revision == revision
    assert (None if pd.isna(read_stage) else read_stage) == before
    assert reader.inventory([CLIENT]).sessions.set_index("session").loc[2, "dispute_stage"] == new
    reader.close()
    assert store.revision == revision + 1


def test_set_focus_goes_through_update(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    real = Store.update

    def spy(self: Store, *args: Any, **kw: Any) -> None:
        calls.append(args)
        real(self, *args, **kw)

    monkeypatch.setattr(Store, "update", spy)
    store.set_focus(CLIENT, ["grief"], 3)
    assert calls[0][:3] == (CLIENT, "clients", {})
    row = store.inventory([CLIENT]).clients.iloc[0]
    assert (row["focus"], int(row["focus_session"])) == ("grief", 3)
    before = _file_bytes(store)
    with pytest.raises(SessionNotFound):
        store.set_focus(CLIENT, ["role_dispute"], 99)
    assert _file_bytes(store) == before


def test_a_check_refuses_an_update_inside_its_transaction(store: Store) -> None:
    def refuse(current: Inventory) -> None:
        assert current.client_ids() == [CLIENT]
        raise BadArgument("refused by the check")

    revision, before = store.revision, _file_bytes(store)
    with pytest.raises(BadArgument, match="refused by the check"):
        store.update(CLIENT, "clients", {}, {"gains": "x"}, check=refuse)
    assert store.revision == revision
    assert _file_bytes(store) == before


# ---------------------------------------------------------------- export, import, migration


def _export(tmp_path: Path, db: str) -> Path:
    out = tmp_path / "export"
    result = CliRunner().invoke(main, ["export", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_export_then_import_keeps_every_middle_phase_record(
    store: Store, store_db: str, tmp_path: Path
) -> None:
    stored = store.inventory()
    for table in NEW_TABLES:
        assert len(getattr(stored, table)), f"the samples hold no {table} rows"
    for table, columns in NEW_COLUMNS.items():
        for column in columns:
            assert getattr(stored, table)[column].notna().any(), f"{table}.{column} is empty"
    folder = _export(tmp_path, store_db)
    back = read_inventory(folder)
    for table in (*NEW_TABLES, *NEW_COLUMNS):
        pd.testing.assert_frame_equal(
            getattr(back, table).reset_index(drop=True),
            getattr(stored, table).reset_index(drop=True),
            obj=table,
        )
    again = Store.create(tmp_path / "again.db")
    again.import_folder(folder)
    for table in (*NEW_TABLES, *NEW_COLUMNS):
        pd.testing.assert_frame_equal(
            getattr(again.inventory(), table), getattr(stored, table), obj=table
        )
    again.close()


def _version_3_store(path: str, inventory: Inventory) -> None:
    """A store as version 3 left it: none of the middle phase's tables and columns."""
    with Store.create(path) as made:
        made.import_inventory(inventory)
    dropped = [f"DROP TABLE {table}" for table in NEW_TABLES] + [
        f'ALTER TABLE {table} DROP COLUMN "{column}"'
        for table, columns in NEW_COLUMNS.items()
        for column in columns
    ]
    engine = sa.create_engine(store_module.resolve_url(path))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        for statement in dropped:
            conn.exec_driver_sql(statement)
    engine.dispose()


def test_a_version_3_store_migrates_and_takes_the_new_records(
    store_db: str, samples_once: Inventory
) -> None:
    path = store_db
    plain = {name: frame for name, frame in samples_once.items() if name not in NEW_TABLES}
    for table, columns in NEW_COLUMNS.items():
        plain[table] = plain[table].assign(**{c: pd.NA for c in columns})
    _version_3_store(path, Inventory.from_tables(plain).for_clients([CLIENT]))
    with Store.open(path, write=True) as store:
        assert store.schema_version == store_module.SCHEMA_VERSION
        record_stage(store, CLIENT, 3, "impasse")
        record_goal(
            store,
            CLIENT,
            3,
            {"goal_id": "g9", "area": "role_dispute", "goal": "Talk", "status": "in_progress"},
        )
        store.update(CLIENT, "clients", {}, {"maintenance": "declined"})
        after = store.inventory([CLIENT])
    assert after.sessions.set_index("session").loc[3, "dispute_stage"] == "impasse"
    assert after.goals[["goal_id", "status"]].values.tolist() == [["g9", "in_progress"]]
    assert after.clients["maintenance"].iloc[0] == "declined"
