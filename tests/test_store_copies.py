"""The columnar copy follows every write: renewed, never stale, never half a file.

A SQLite file keeps a columnar copy of its tables; a PostgreSQL store keeps
none and reads every table from SQL. What both must give is the same tables:
the property test runs every sequence of writes on a SQLite file and on a
PostgreSQL database side by side and compares them after each write, and the
tests on ``store`` run on both (``store_db``). The tests on ``file_store``
are about the copy's files themselves.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipt_network import Inventory, Store
from ipt_network.errors import ValidationError
from ipt_network.io.contract import TABLES
from ipt_network.io.store import _bulk
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import write_inventory
from ipt_network.names import PROBLEM_AREAS

NAMES = list(TABLES)
FIRST = synthesize(6, 1)
#: The same client ids with other rows: what an import with replace brings.
OTHER = synthesize(6, 2)


def renamed(inv: Inventory, prefix: str) -> Inventory:
    """The clients of ``inv`` under ids that start with ``prefix``."""
    return Inventory.from_tables(
        {n: f.assign(client_id=prefix + f["client_id"].astype(str)) for n, f in inv.items()}
    )


def copies(store: Store) -> set[str]:
    assert store._columns is not None
    return {p.name for p in store._columns.glob("*.parquet")}


def at(revision: int) -> set[str]:
    return {f"{name}.r{revision}.parquet" for name in NAMES}


def assert_copy_is_sql(store: Store) -> None:
    """Every table's copy exists at the revision and equals a read from SQL, row for row."""
    assert copies(store) == at(store.revision)
    cached = store.read_tables(NAMES)
    with store._read() as conn:
        fresh = _bulk.cached_read(conn, NAMES, None, None, {})
    for name in NAMES:
        pd.testing.assert_frame_equal(cached[name], fresh[name], obj=name)


def next_session(store: Store, client: str, *, event: bool) -> dict[str, pd.DataFrame]:
    """Rows for one more session of ``client``, a week after its last (and an event that day)."""
    inv = store.inventory([client])
    last = inv.sessions_of(client)[-1]
    session = inv.sessions[inv.sessions["session"] == last].copy()
    day = date.fromisoformat(str(session["date"].iloc[0])) + timedelta(days=7)
    session["session"] = last + 1
    session["date"] = day.isoformat()
    rel = inv.relationships[inv.relationships["session"] == last].copy()
    rel["session"] = last + 1
    rows = {"sessions": session, "relationships": rel}
    if event:
        rows["events"] = pd.DataFrame(
            {"client_id": [client], "date": [day.isoformat()], "kind": ["move"]}
        ).reindex(columns=TABLES["events"].names)
    return rows


def assert_reads_agree(store: Store) -> None:
    """Whole tables read in bulk equal the clients read one query per table (and, for a SQLite
    file, its columnar copy equals SQL)."""
    bulk = store.read_tables(NAMES)
    ids = store.client_ids()
    apart = store.inventory(ids)
    for name in NAMES:
        by_client = bulk[name].sort_values("client_id", kind="stable", ignore_index=True)
        other = getattr(apart, name).sort_values("client_id", kind="stable", ignore_index=True)
        pd.testing.assert_frame_equal(by_client, other, obj=name)
    assert set(bulk["clients"]["client_id"]) == set(ids)
    if store._columns is not None:
        assert_copy_is_sql(store)


@pytest.fixture
def store(store_db: str) -> Iterator[Store]:
    s = Store.create(store_db)
    s.import_inventory(FIRST)
    yield s
    s.close()


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.create(tmp_path / "ipt.db")
    s.import_inventory(FIRST)
    yield s
    s.close()


WRITES = st.one_of(
    st.tuples(st.just("append"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("focus"), st.integers(0, 5), st.sampled_from(PROBLEM_AREAS)),
    st.tuples(st.just("import"), st.integers(1, 3)),
    st.tuples(st.just("replace"), st.integers(0, 5), st.integers(1, 2)),
    st.tuples(st.just("setting"), st.sampled_from(["us", "uk"])),
)


def _apply(store: Store, number: int, write: tuple[Any, ...]) -> None:
    """One write of :data:`WRITES` to ``store``."""
    kind, *args = write
    client = FIRST.client_ids()[int(args[0])] if kind != "setting" else ""
    if kind == "append":
        store.append(client, next_session(store, client, event=bool(args[1])))
    elif kind == "focus":
        sessions = store.inventory([client]).sessions_of(client)
        store.set_focus(client, [str(args[1])], sessions[len(sessions) // 2])
    elif kind == "import":
        new = renamed(synthesize(int(args[0]), 10 + number), f"n{number}-")
        store.import_inventory(new)
    elif kind == "replace":
        ids = FIRST.client_ids()[int(args[0]) : int(args[0]) + int(args[1])]
        store.import_inventory(OTHER.for_clients(ids), replace=True)
    else:
        store.set_setting("region", str(args[0]))


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(writes=st.lists(WRITES, min_size=1, max_size=5))
def test_every_write_leaves_a_copy_equal_to_sql_and_to_postgresql(
    tmp_path_factory: pytest.TempPathFactory, pg_server: Any, writes: list[tuple[Any, ...]]
) -> None:
    path = tmp_path_factory.mktemp("copies") / "ipt.db"
    database = pg_server.new_database()
    try:
        with Store.create(path) as store, Store.create(pg_server.url(database)) as server:
            for both in (store, server):
                both.import_inventory(FIRST)
            assert_copy_is_sql(store)  # the import into an empty store wrote it
            assert_same_tables(store, server)
            for number, write in enumerate(writes):
                _apply(store, number, write)
                _apply(server, number, write)
                assert_copy_is_sql(store)
                assert_same_tables(store, server)
                assert store.revision == server.revision
    finally:
        pg_server.drop_database(database)


def assert_same_tables(sqlite_store: Store, server_store: Store) -> None:
    """Every table of the two stores holds the same rows, in the same order, typed alike."""
    here, there = sqlite_store.read_tables(NAMES), server_store.read_tables(NAMES)
    for name in NAMES:
        pd.testing.assert_frame_equal(here[name], there[name], obj=name)
    assert_reads_agree(server_store)


def test_a_setting_links_the_copy_and_touches_no_rows(file_store: Store) -> None:
    file_store.read_tables(NAMES)
    assert file_store._columns is not None
    before = file_store._columns / f"clients.r{file_store.revision}.parquet"
    inode = before.stat().st_ino
    file_store.set_setting("region", "uk")
    after = file_store._columns / f"clients.r{file_store.revision}.parquet"
    assert after.stat().st_ino == inode  # the same file under the new revision's name
    assert not before.exists()
    assert_copy_is_sql(file_store)


def test_a_failed_write_leaves_the_store_at_the_unchanged_revision(store: Store) -> None:
    revision = store.revision
    before = store.read_tables(NAMES)
    client = FIRST.client_ids()[0]
    rows = next_session(store, client, event=False)
    rows["sessions"]["date"] = "2000-01-01"  # before the previous session
    with pytest.raises(ValidationError):
        store.append(client, rows)
    assert store.revision == revision
    after = store.read_tables(NAMES)
    for name in NAMES:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
    assert_reads_agree(store)


def test_a_failed_write_leaves_the_copy_of_the_unchanged_revision(file_store: Store) -> None:
    revision = file_store.revision
    client = FIRST.client_ids()[0]
    rows = next_session(file_store, client, event=False)
    rows["sessions"]["date"] = "2000-01-01"  # before the previous session
    with pytest.raises(ValidationError):
        file_store.append(client, rows)
    assert copies(file_store) == at(revision)
    assert_copy_is_sql(file_store)


def test_a_failing_renewal_leaves_no_copy_and_the_write_stands(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_bulk.Renewal, "_renew", broken)
    client = FIRST.client_ids()[1]
    file_store.append(client, next_session(file_store, client, event=True))
    assert copies(file_store) == set()  # neither the old revision's copy nor a half-made new one
    monkeypatch.undo()
    assert file_store.inventory([client]).sessions_of(client)[-1] > FIRST.sessions_of(client)[-1]
    file_store.read_tables(NAMES)  # from SQL, and the copy written again
    assert_copy_is_sql(file_store)


def _drop_column_from_copy(store: Store, name: str, column: str) -> None:
    """Rewrite the copy of ``name`` without ``column``, as an older contract wrote it."""
    import pyarrow.parquet as pq

    assert store._columns is not None
    path = store._columns / f"{name}.r{store.revision}.parquet"
    table = pq.read_table(path)
    pq.write_table(table.drop_columns([column]), path)


def test_a_copy_written_under_an_older_contract_is_not_used(file_store: Store) -> None:
    """After an upgrade adds a column (clients.age), reads and writes agree with SQL."""
    file_store.read_tables(NAMES)
    _drop_column_from_copy(file_store, "clients", "age")
    clients = file_store.read_tables(["clients"])["clients"]
    assert "age" in clients.columns and len(clients) == len(FIRST.clients)
    assert_copy_is_sql(file_store)  # the copy was written again, whole
    _drop_column_from_copy(file_store, "clients", "age")
    file_store.set_focus(
        FIRST.client_ids()[0], ["grief"], 1
    )  # a write whose copy cannot be renewed
    assert file_store.inventory().clients["focus"].notna().any()
    file_store.read_tables(NAMES)
    assert_copy_is_sql(file_store)


def test_a_write_with_no_old_copy_writes_none(file_store: Store) -> None:
    assert file_store._columns is not None
    _bulk.clear_cache(file_store._columns)
    file_store.set_focus(FIRST.client_ids()[0], ["grief"], 1)
    assert copies(file_store) == set()


def test_another_process_imports_then_this_one_reads_what_sql_holds(
    store: Store, store_db: str, tmp_path: Path
) -> None:
    folder = tmp_path / "more"
    write_inventory(renamed(synthesize(2, 5), "x-"), folder)
    cli = [sys.executable, "-c", "from ipt_network.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if k != "IPT_NETWORK_DB"}
    done = subprocess.run(
        [*cli, "import", str(folder), "--db", store_db],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert {"x-c00001", "x-c00002"} <= set(store.client_ids())
    assert_reads_agree(store)  # on a SQLite file: the other process renewed the copy read here


def test_the_copy_is_private(file_store: Store) -> None:
    file_store.append(
        FIRST.client_ids()[2], next_session(file_store, FIRST.client_ids()[2], event=False)
    )
    assert file_store._columns is not None
    assert stat.S_IMODE(file_store._columns.stat().st_mode) == 0o700
    files = list(file_store._columns.iterdir())
    assert {p.name for p in files} == at(file_store.revision)  # no temporary file left behind
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
