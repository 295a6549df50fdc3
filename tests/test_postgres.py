"""PostgreSQL's own guard: row-level security holds by itself, for a non-superuser role.

The store filters every read and write in Python first; these tests go
around it. They connect as the application's role with SQLAlchemy alone,
tell the database who acts (:func:`ipt_network.io.store._postgres.bind`), and
show what the policies let through: a therapist's own clients and nothing
else, no row at all when no one is named, and no row written for another
therapist's client. The role itself is checked to be one the policies bind
(no superuser, no ``BYPASSRLS``). The last tests run on both databases: a
therapist's import, which the policies must let through for a new client.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from ipt_network import Inventory, Store
from ipt_network.errors import ClientExists, StoreError
from ipt_network.io.contract import TABLES
from ipt_network.io.store import Actor, _postgres, resolve_url

if TYPE_CHECKING:
    from conftest import StoreBackend

ON_POSTGRES = pytest.mark.parametrize("store_db", ["postgresql"], indirect=True)
ANN, BOB = Actor("ann", "therapist"), Actor("bob", "therapist")


@pytest.fixture
def store(samples_store: Store) -> Store:
    """The four sample clients (``users_store`` adds the users of ``AUTH_USERS``)."""
    return samples_store


@pytest.fixture
def app_engine(store_db: str) -> Iterator[sa.Engine]:
    """A plain SQLAlchemy engine as the application's role: no Store, no Python filter."""
    engine = sa.create_engine(resolve_url(store_db))
    yield engine
    engine.dispose()


def seen(engine: sa.Engine, actor: Actor | None, table: str, *, bound: bool = True) -> list[str]:
    """The client ids of every row of ``table`` the policies show ``actor``."""
    with engine.begin() as conn:
        if bound:
            _postgres.bind(conn, actor)
        return [r[0] for r in conn.exec_driver_sql(f"SELECT client_id FROM {table}")]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def held(backend: StoreBackend, table: str) -> list[str]:
    """The client ids of every row of ``table``, as the database holds them (no policy)."""
    with backend.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(f"SELECT client_id FROM {table}")]


@ON_POSTGRES
def test_the_app_role_is_bound_by_the_policies(
    store: Store, app_engine: sa.Engine, backend: StoreBackend
) -> None:
    with app_engine.connect() as conn:
        user, superuser, bypass = conn.exec_driver_sql(
            "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).one()
        flags = conn.execute(
            sa.text(
                "SELECT relname, relrowsecurity, relforcerowsecurity, "
                "pg_get_userbyid(relowner) FROM pg_class WHERE relname = ANY(:names)"
            ),
            {"names": _postgres.client_tables()},
        ).all()
    assert (user, superuser, bypass) == ("ipt_app", False, False)
    assert sorted(f[0] for f in flags) == _postgres.client_tables()
    # enabled and forced: the tables' owner, this very role, is bound as well
    assert {f[1:] for f in flags} == {(True, True, "ipt_app")}
    # every table of the contract, and the two that name clients beside them
    assert set(_postgres.client_tables()) == {*TABLES, "study_keys", "assignments"}


@ON_POSTGRES
def test_a_therapist_bound_in_the_database_sees_only_their_clients(
    users_store: Store,
    app_engine: sa.Engine,
    backend: StoreBackend,
    auth_users: dict[str, tuple[str, str, tuple[str, ...]]],
) -> None:
    mine, theirs = set(auth_users["ann"][2]), set(auth_users["bob"][2])
    shown = leaked = with_rows = 0
    for table in _postgres.client_tables():
        every = held(backend, table)
        ann = seen(app_engine, ANN, table)
        assert sorted(ann) == sorted(c for c in every if c in mine), table
        assert sorted(seen(app_engine, BOB, table)) == sorted(c for c in every if c in theirs)
        assert sorted(seen(app_engine, Actor("lee", "admin"), table)) == sorted(every)
        shown += len(ann)
        leaked += sum(c in theirs for c in ann)
        with_rows += any(c in theirs for c in every)
    print(
        f"row-level security: therapist A saw {shown} rows of their own clients and "
        f"{leaked} of therapist B's, over {len(_postgres.client_tables())} tables"
    )
    assert leaked == 0 and shown > 0
    assert with_rows >= 8  # B's clients have rows in most tables: the zero is no empty table


@ON_POSTGRES
def test_no_one_bound_sees_no_client_row(users_store: Store, app_engine: sa.Engine) -> None:
    for table in _postgres.client_tables():
        assert seen(app_engine, None, table) == [], table
        assert seen(app_engine, None, table, bound=False) == [], table
    assert seen(app_engine, Actor("lee", "admin"), "clients")  # the rows are there


@ON_POSTGRES
def test_a_therapist_writes_no_row_of_another_therapists_client(
    users_store: Store, app_engine: sa.Engine, backend: StoreBackend
) -> None:
    before = backend.rows()
    refused = []
    statements = (
        "INSERT INTO events (client_id, date, kind) VALUES ('transition-01', '2026-01-05', 'move')",
        "INSERT INTO clients (client_id, label) VALUES ('ann-new', 'x')",  # not assigned to ann
        "INSERT INTO assignments (user_name, client_id) VALUES ('ann', 'transition-01')",
        "UPDATE assignments SET client_id = 'transition-01' WHERE user_name = 'ann'",
    )
    for statement in statements:
        with app_engine.connect() as conn, conn.begin():
            _postgres.bind(conn, ANN)
            try:
                changed = conn.exec_driver_sql(statement).rowcount
            except sa.exc.ProgrammingError as error:
                assert "row-level security" in str(error)
                refused.append(statement)
            else:
                assert changed == 0, statement  # no row of theirs to change
    assert refused == list(statements[:3])
    with app_engine.begin() as conn:
        _postgres.bind(conn, ANN)
        for table in ("relationships", "sessions", "assignments"):
            deleted = conn.exec_driver_sql(f"DELETE FROM {table} WHERE client_id = 'transition-01'")
            assert deleted.rowcount == 0, table
        changed = conn.exec_driver_sql("UPDATE clients SET label = 'x'").rowcount
    assert changed == 2  # ann's own two clients, no other
    after = backend.rows()
    assert after["relationships"] == before["relationships"]
    assert after["assignments"] == before["assignments"]


@ON_POSTGRES
def test_a_forgotten_filter_in_python_still_shows_no_other_client(
    users_store: Store,
    monkeypatch: pytest.MonkeyPatch,
    auth_users: dict[str, tuple[str, str, tuple[str, ...]]],
) -> None:
    """A bug that drops the store's own filter (as a careless callback might) leaks nothing."""
    ann = users_store.acting_as(ANN)
    monkeypatch.setattr(Store, "_visible", lambda self, conn: None)  # the bug: "sees all"
    assert ann.client_ids() == sorted(auth_users["ann"][2])
    tables = ann.read_tables(["clients", "sessions", "relationships", "people"])
    assert {c for frame in tables.values() for c in frame["client_id"]} == set(auth_users["ann"][2])
    with pytest.raises(Exception, match="no client with id 'transition-01'"):
        ann.inventory(["transition-01"])


@ON_POSTGRES
def test_an_upgraded_store_gets_the_policies(store_db: str, backend: StoreBackend) -> None:
    Store.create(store_db).close()
    backend.make_old(
        "DROP TABLE users",
        "DROP TABLE assignments",
        "DROP TABLE audit",
        "DELETE FROM meta WHERE key = 'audit_head'",
        "UPDATE meta SET value = '5' WHERE key = 'schema_version'",
    )
    query = "SELECT count(*) FROM pg_class WHERE relrowsecurity AND relname = ANY(%(names)s)"

    def guarded() -> int:
        with backend.connect() as conn:
            return int(conn.exec_driver_sql(query, {"names": _postgres.client_tables()}).scalar())

    assert guarded() == 0
    Store.open(store_db, write=True).close()  # a writer upgrades it
    assert guarded() == len(_postgres.client_tables())


@ON_POSTGRES
def test_pg_dump_and_pg_restore_bring_back_every_row_and_policy(
    users_store: Store, store_db: str, pg_server: Any, backend: StoreBackend, tmp_path: Path
) -> None:
    """The README's backup: pg_dump as the superuser while in use, pg_restore after writes."""
    superuser = pg_server.url(store_db.rsplit("/", 1)[1], "postgres")
    dump = tmp_path / "ipt.dump"
    before = backend.rows()
    done = subprocess.run(
        [str(pg_server.bin / "pg_dump"), "--format=custom", f"--file={dump}", superuser],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    users_store.acting_as(Actor("lee", "admin")).unassign("ann", ["grief-01"])  # after it
    assert backend.rows() != before
    done = subprocess.run(
        [str(pg_server.bin / "pg_restore"), "--clean", "--if-exists", f"--dbname={superuser}"]
        + [str(dump)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert backend.rows() == before
    with Store.open(store_db) as again:
        assert again.acting_as(ANN).client_ids() == ["dispute-01", "grief-01"]
        assert again.acting_as(Actor("lee", "admin")).verify_audit().ok
    with backend.connect() as conn:
        forced = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_class WHERE relforcerowsecurity AND relname = ANY(%(n)s)",
            {"n": _postgres.client_tables()},
        ).scalar()
    assert forced == len(_postgres.client_tables())


def test_a_wrong_server_address_is_one_sentence(pg_server: Any) -> None:
    """What a mistyped ``--db`` on a practice's server gives: a sentence, never a traceback."""
    from click.testing import CliRunner

    from ipt_network.cli import main

    port = pg_server.port
    cases = {
        f"postgresql://ipt_app@127.0.0.1:{port}/no_such_db": "no database of that name",
        f"postgresql://nobody@127.0.0.1:{port}/postgres": "refused the user name or password",
        f"postgresql://ipt_app@127.0.0.1:{free_port()}/ipt": "cannot be reached",
    }
    for db, sentence in cases.items():
        with pytest.raises(StoreError, match=sentence):
            Store.open(db)
        result = CliRunner().invoke(main, ["clients", "--db", db])
        assert result.exit_code == 1 and sentence in result.output, result.output
        assert "Traceback" not in result.output and "psycopg" not in result.output


# ------------------------------------------------------------------ on both databases


def test_a_therapist_imports_a_new_client_and_never_over_anothers(
    users_store: Store,
    samples_once: Inventory,
    backend: StoreBackend,
    auth_users: dict[str, tuple[str, str, tuple[str, ...]]],
) -> None:
    ann = users_store.acting_as(ANN)
    new = Inventory.from_tables(
        {
            n: f.assign(client_id="ann-" + f["client_id"].astype(str))
            for n, f in samples_once.for_clients(["grief-01"]).items()
        }
    )
    assert ann.import_inventory(new) == 1
    assert ann.client_ids() == sorted([*auth_users["ann"][2], "ann-grief-01"])
    before = backend.rows()
    bobs = samples_once.for_clients(["transition-01"])
    with pytest.raises(ClientExists, match="transition-01"):
        ann.import_inventory(bobs, replace=True)
    assert backend.rows() == before
    assert ann.import_inventory(samples_once.for_clients(["grief-01"]), replace=True) == 1
