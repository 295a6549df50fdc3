"""The store: schema version and migration, atomic writes, bulk reads.

Every test runs on a SQLite file and on a PostgreSQL database (``store_db``)
except these, which are about SQLite itself: WAL mode and SQLite's
foreign-key switch (``PRAGMA``), a missing store file, and the columnar copy
(Parquet files beside a SQLite file; a server's store keeps none).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
import sqlalchemy as sa

import ipt_network.io.store._schema as schema
from ipt_network import Inventory, Store
from ipt_network.errors import (
    ClientNotFound,
    NotAStore,
    SchemaVersionError,
    SessionNotFound,
    StoreError,
    ValidationError,
)
from ipt_network.io.contract import TABLES
from ipt_network.io.store import Event, resolve_url

if TYPE_CHECKING:
    from conftest import StoreBackend


@pytest.fixture
def store(samples_store: Store) -> Store:
    """The four sample clients, in a SQLite file or a PostgreSQL database."""
    return samples_store


@pytest.fixture
def sqlite_store(tmp_path: Path, samples_inv: Inventory) -> Iterator[Store]:
    s = Store.create(tmp_path / "ipt.db")
    s.import_inventory(samples_inv)
    yield s
    s.close()


def snapshot_of(store: Store) -> dict[str, pd.DataFrame]:
    return store.read_tables(list(TABLES))


def assert_unchanged(before: dict[str, pd.DataFrame], store: Store) -> None:
    after = snapshot_of(store)
    for name in TABLES:
        pd.testing.assert_frame_equal(before[name], after[name])


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_open_missing_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="ipt-network init"):
        Store.open(tmp_path / "nothing.db")


def test_a_database_without_a_store_is_refused_and_left_empty(store_db: str) -> None:
    """An empty database (a new server database, or an empty SQLite file) holds no store."""
    if "://" not in store_db:
        Path(store_db).touch()
    with pytest.raises(NotAStore, match="ipt-network init"):
        Store.open(store_db)
    engine = sa.create_engine(resolve_url(store_db))
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []  # opening to read made nothing
    engine.dispose()


def test_read_tables_equals_inventory(store: Store, samples_inv: Inventory) -> None:
    samples = samples_inv
    bulk = store.read_tables(["relationships", "sessions", "people"])
    for name in bulk:
        key = list(TABLES[name].key)
        expected = getattr(samples, name).sort_values(key).reset_index(drop=True)
        got = bulk[name].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(expected, got)


NEW_IN_3 = ("phq9_difficulty", "epds_10", "bdi2_9", "hamd17_3")
#: Version 4: the middle phase's tables, and columns of the contract, the ending and the work log.
TABLES_NEW_IN_4 = ("goals", "dispute_work", "transition_work", "grief_work")
COLUMNS_NEW_IN_4 = {
    "clients": (
        "contract_date",
        "formulation",
        "gains",
        "warning_signs",
        "who_to_turn_to",
        "maintenance",
    ),
    "sessions": ("dispute_stage",),
    "communication": ("skill", "said", "meant", "breakdown"),
}
#: Version 5: the age at intake, and the de-identified export's key table.
COLUMNS_NEW_IN_5 = {"clients": ("age",)}
TABLES_NEW_IN_5 = ("study_keys",)


#: Version 6: a group practice's users, their assignments and the audit trail.
TABLES_NEW_IN_6 = ("users", "assignments", "audit")


def _old_store(backend: StoreBackend, inventory: Inventory) -> None:
    """A store as version 1 wrote it: no revision row, none of the tables and columns added
    since (on PostgreSQL no row-level security either: :meth:`StoreBackend.make_old`)."""
    with Store.create(backend.db) as store:
        store.import_inventory(inventory)
    backend.make_old(
        "DELETE FROM meta WHERE key IN ('revision', 'audit_head')",
        "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
        *(f'ALTER TABLE sessions DROP COLUMN "{column}"' for column in NEW_IN_3),
        *(f"DROP TABLE {t}" for t in (*TABLES_NEW_IN_4, *TABLES_NEW_IN_5, *TABLES_NEW_IN_6)),
        *(
            f'ALTER TABLE {table} DROP COLUMN "{column}"'
            for table, columns in (*COLUMNS_NEW_IN_4.items(), *COLUMNS_NEW_IN_5.items())
            for column in columns
        ),
    )


def test_version_1_store_is_read_as_is_and_upgraded_by_a_writer(
    store_db: str, backend: StoreBackend, samples_inv: Inventory
) -> None:
    path = store_db
    _old_store(backend, samples_inv)
    reader = Store.open(path)
    assert reader.schema_version == 1  # opening to read changed nothing
    assert reader.revision == 0
    # the columns the old store lacks read as empty; everything else as stored
    sessions = reader.inventory(["grief-01"]).sessions
    assert sessions[list(NEW_IN_3)].isna().all().all()
    assert sessions["phq9_9"].notna().any()
    assert set(reader.read_tables(["sessions"])["sessions"].columns) >= set(NEW_IN_3)
    # a table the old store does not have reads as an empty table of the contract
    old = reader.inventory(["grief-01"])
    assert old.goals.empty and list(old.goals.columns) == TABLES["goals"].names
    assert old.clients["formulation"].isna().all()
    reader.close()
    writer = Store.open(path, write=True)
    assert writer.schema_version == schema.SCHEMA_VERSION == 6
    before = writer.revision
    writer.import_inventory(samples_inv.for_clients(["grief-01"]), replace=True)
    assert writer.revision == before + 1
    with writer.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("sessions")}
        new_tables = {*TABLES_NEW_IN_4, *TABLES_NEW_IN_5, *TABLES_NEW_IN_6}
        assert new_tables <= set(sa.inspect(conn).get_table_names())
        for table, added in (*COLUMNS_NEW_IN_4.items(), *COLUMNS_NEW_IN_5.items()):
            assert set(added) <= {c["name"] for c in sa.inspect(conn).get_columns(table)}
    assert set(NEW_IN_3) <= columns
    assert writer.audit_trail()["action"].tolist() == ["migrate", "import-replace"]
    assert writer.verify_audit().ok
    writer.close()


def test_migration_runs_registered_steps(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def add_column(conn: sa.Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN site TEXT")

    current = schema.SCHEMA_VERSION
    monkeypatch.setitem(schema.MIGRATIONS, current, add_column)
    assert store.migrate(target=current + 1) == current + 1
    assert store.schema_version == current + 1
    with store.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("clients")}
    assert "site" in columns


def test_failed_migration_changes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(conn: sa.Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN site TEXT")
        raise RuntimeError("step failed")

    current = schema.SCHEMA_VERSION
    monkeypatch.setitem(schema.MIGRATIONS, current, broken)
    with pytest.raises(RuntimeError):
        store.migrate(target=current + 1)
    assert store.schema_version == current
    with store.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("clients")}
    assert "site" not in columns


def test_newer_store_is_refused(store_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = store_db
    Store.create(path).close()
    current = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 3)
    for v in range(current, current + 3):
        monkeypatch.setitem(schema.MIGRATIONS, v, lambda conn: None)
    Store.open(path, write=True).close()  # a writer migrates up to current + 3
    monkeypatch.setattr(schema, "SCHEMA_VERSION", current)
    with pytest.raises(SchemaVersionError, match="newer"):
        Store.open(path)


def test_append_adds_a_session_whole(store: Store) -> None:
    inv = store.inventory(["dispute-01"])
    last = inv.sessions_of("dispute-01")[-1]
    prev = inv.sessions[inv.sessions["session"] == last].copy()
    prev["session"] = last + 1
    prev["date"] = "2027-01-04"
    rel = inv.relationships[inv.relationships["session"] == last].copy()
    rel["session"] = last + 1
    store.append("dispute-01", {"sessions": prev, "relationships": rel})
    again = store.inventory(["dispute-01"])
    assert again.sessions_of("dispute-01")[-1] == last + 1
    assert len(again.relationships) == len(inv.relationships) + len(rel)


def test_append_refuses_bad_rows_and_writes_nothing(store: Store) -> None:
    before = snapshot_of(store)
    inv = store.inventory(["dispute-01"])
    last = inv.sessions_of("dispute-01")[-1]
    new = inv.sessions[inv.sessions["session"] == last].copy()
    new["session"] = last + 1
    new["date"] = "2020-01-01"  # before the previous session
    rel = inv.relationships[inv.relationships["session"] == last].copy()
    rel["session"] = last + 1
    rel.iloc[0, rel.columns.get_loc("ring")] = 9
    with pytest.raises(ValidationError) as info:
        store.append("dispute-01", {"sessions": new, "relationships": rel})
    assert {f.column for f in info.value.failures} >= {"date", "ring"}
    # failures name the new rows, not lines of a file the user never saw
    assert {(f.file, f.column) for f in info.value.failures} >= {
        ("new sessions row 1", "date"),
        ("new relationships row 1", "ring"),
    }
    assert_unchanged(before, store)


def test_append_to_unknown_client(store: Store) -> None:
    with pytest.raises(ClientNotFound):
        store.append("nobody", {})


def test_set_focus(store: Store) -> None:
    store.set_focus("deficits-01", ["interpersonal_deficits", "role_transition"], 3)
    row = store.inventory(["deficits-01"]).clients.iloc[0]
    assert row["focus"] == "interpersonal_deficits;role_transition"
    assert row["focus_session"] == 3
    with pytest.raises(SessionNotFound):
        store.set_focus("deficits-01", ["grief"], 99)
    with pytest.raises(ValidationError):
        store.set_focus("deficits-01", ["grief", "role_dispute", "role_transition"], 3)


def test_bulk_import_leaves_every_foreign_key_satisfied_and_checks_back_on(
    store: Store, samples_inv: Inventory
) -> None:
    store.import_inventory(samples_inv.for_clients(["grief-01"]), replace=True)
    if store.engine.dialect.name == "sqlite":  # PostgreSQL checks every foreign key, always
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    # enforcement is on again for the next write on the pooled connection
    with pytest.raises(StoreError), store._write(Event("record", ["grief-01"])) as conn:
        conn.exec_driver_sql(
            "INSERT INTO relationships (client_id, session, person_id, ring, conflict, support) "
            "VALUES ('grief-01', 99, 'nobody', 1, 0, 0)"
        )


# ---------------------------------------------------------------- import: validated once, copy kept


def test_import_folder_validates_once_and_refuses_a_bad_folder_whole(
    store_db: str, tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipt_network.io.store as store_module
    import ipt_network.io.tidy as tidy

    calls: list[str] = []
    for module in (tidy, store_module):
        real = module.validate

        def counted(*args: object, real: object = real, **kwargs: object) -> Inventory:
            calls.append("validate")
            return real(*args, **kwargs)  # type: ignore[operator, no-any-return]

        monkeypatch.setattr(module, "validate", counted)
    store = Store.create(store_db)
    stored = store.import_folder(tiny_folder)
    assert calls == ["validate"]
    assert store.client_ids() == ["c1", "c2"] and stored.client_ids() == ["c1", "c2"]
    # a second folder with one broken row: nothing of it is written
    text = (tiny_folder / "relationships.csv").read_text(encoding="utf-8")
    (tiny_folder / "relationships.csv").write_text(
        text.replace("c1,1,p1,1,4,1", "c1,1,p1,9,4,1"), encoding="utf-8"
    )
    before = snapshot_of(store)
    with pytest.raises(ValidationError, match="relationships.csv, line 2, column ring"):
        store.import_folder(tiny_folder, replace=True)
    assert_unchanged(before, store)
    store.close()


def test_import_into_an_empty_store_keeps_the_columnar_copy_of_what_sql_holds(
    tmp_path: Path, samples_inv: Inventory
) -> None:
    from ipt_network.io.store import _bulk

    unsorted = Inventory.from_tables(
        {n: f.iloc[::-1].reset_index(drop=True) for n, f in samples_inv.items()}
    )
    store = Store.create(tmp_path / "ipt.db")
    store.import_inventory(unsorted)
    folder = _bulk.cache_folder(tmp_path / "ipt.db")
    revision = store.revision
    assert sorted(p.name for p in folder.glob("*.parquet")) == sorted(
        f"{name}.r{revision}.parquet" for name in TABLES
    )
    warm = store.read_tables(list(TABLES))
    _bulk.clear_cache(folder)
    from_sql = store.read_tables(list(TABLES))
    for name in TABLES:
        pd.testing.assert_frame_equal(warm[name], from_sql[name], obj=name)
    # with no copy at the revision before it, an import into a non-empty store makes none
    _bulk.clear_cache(folder)
    store.import_inventory(samples_inv.for_clients(["grief-01"]), replace=True)
    assert not list(folder.glob("*.parquet"))
    store.close()


def test_a_new_store_never_reads_the_copies_of_a_deleted_one(
    tmp_path: Path, samples_inv: Inventory
) -> None:
    path = tmp_path / "ipt.db"
    with Store.create(path) as first:
        first.import_inventory(samples_inv.for_clients(["grief-01"]))
        assert list(first.read_tables(["clients"])["clients"]["client_id"]) == ["grief-01"]
        revision = first.revision
    for leftover in tmp_path.glob("ipt.db*"):
        if leftover.is_file():
            leftover.unlink()
    with Store.create(path) as second:  # same path; its revisions count up as the first's did
        while second.revision < revision:
            second.set_setting("region", "us")
        assert second.revision == revision
        assert second.read_tables(["clients"])["clients"].empty


# ------------------------------------------------------------ the read model and the cohort load


def test_the_read_model_of_a_stored_client_is_that_of_its_tables(
    store: Store, samples_inv: Inventory
) -> None:
    from ipt_network.clinical.course import course_of

    store.set_focus("grief-01", ["grief"], 2)  # a write after the import, read back too
    samples_inv.clients.loc[samples_inv.clients["client_id"] == "grief-01", "focus"] = "grief"
    samples_inv.clients.loc[samples_inv.clients["client_id"] == "grief-01", "focus_session"] = 2
    # the store keeps a keyed table's rows in key order (a file: in the order written)
    in_key_order = Inventory.from_tables(
        {
            name: frame.sort_values(list(TABLES[name].key), kind="stable", ignore_index=True)
            if TABLES[name].key
            else frame
            for name, frame in samples_inv.items()
        }
    )
    for client in samples_inv.client_ids():
        stored = course_of(store.inventory([client]), client)
        direct = course_of(in_key_order.for_clients([client]), client)
        for part in ("sessions", "dates", "people", "labels", "states", "ties", "onset"):
            assert getattr(stored, part) == getattr(direct, part), (client, part)
        assert stored.changes == direct.changes and len(stored.changes) > 0
        pd.testing.assert_frame_equal(stored.measures, direct.measures)
        assert stored.tables.clients["focus"].tolist() == direct.tables.clients["focus"].tolist()


def test_the_cohort_loaded_from_a_store_is_that_of_its_tables(store_db: str) -> None:
    from ipt_network.io.synth import synthesize
    from ipt_network.research.cohort import cohort_base, cohort_view, forget_bases, stored_base

    cohort = synthesize(30, seed=7)
    with Store.create(store_db) as store:
        store.import_inventory(cohort)
        forget_bases()
        loaded, direct = cohort_base(store), cohort_base(cohort)
        pd.testing.assert_frame_equal(loaded.clients, direct.clients)
        pd.testing.assert_frame_equal(loaded.phq9, direct.phq9)
        assert loaded.n_not_started == direct.n_not_started
        assert len(loaded.clients) == 30
        base = stored_base(store)
        assert stored_base(store) is base  # read once per revision
        view = cohort_view(store, areas=["grief"])
        assert view.n_clients == cohort_view(cohort, areas=["grief"]).n_clients > 0
