"""Shared fixtures: a tiny valid tidy folder, written by hand, and stores."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ipt_network import Inventory

PHQ = ",".join(f"phq9_{i}" for i in range(1, 10))

TINY = {
    "clients.csv": "client_id,label,planned_sessions,onset_date,focus\n"
    "c1,Client one,12,2026-01-01,role_dispute\n"
    "c2,Client two,,,\n",
    "sessions.csv": f"client_id,session,date,{PHQ}\n"
    "c1,1,2026-02-02,2,2,2,2,2,2,2,2,1\n"
    "c1,2,2026-02-09,1,1,1,1,1,1,1,1,0\n"
    "c2,1,2026-03-01,,,,,,,,,\n",
    "people.csv": "client_id,person_id,name,role,deceased_date\n"
    "c1,p1,Ann,partner,\n"
    "c1,p2,Bo,friend,\n"
    "c1,p3,Cy,family,2025-12-01\n"
    "c2,p1,Di,coworker,\n",
    "relationships.csv": "client_id,session,person_id,ring,conflict,support\n"
    "c1,1,p1,1,4,1\n"
    "c1,1,p2,2,0,3\n"
    "c1,1,p3,1,0,2\n"
    "c1,2,p1,1,2,2\n"
    "c1,2,p2,1,0,3\n"
    "c2,1,p1,3,1,1\n",
    "person_ties.csv": "client_id,session,source,target\nc1,1,p1,p2\nc1,2,p2,p1\n",
    "events.csv": "client_id,date,kind,person_id,description\n"
    "c1,2025-12-01,death,p3,\n"
    "c1,2025-12-20,conflict,p1,Argument about money\n",
}


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """A valid tidy folder with two small clients."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_inv(tiny_folder: Path) -> Inventory:
    """The tiny folder, read and validated."""
    from ipt_network.io.tidy import read_inventory

    return read_inventory(tiny_folder)


@pytest.fixture
def edit_file(tiny_folder: Path) -> Callable[[str, Callable[[str], str]], Path]:
    """Change one file of the tiny folder with a text function; returns the folder."""

    def edit(name: str, change: Callable[[str], str]) -> Path:
        path = tiny_folder / name
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        return tiny_folder

    return edit


@pytest.fixture(scope="session")
def samples_once() -> Iterator[Inventory]:
    """The four sample clients, parsed and validated once for the whole run.

    Shared by every test that asks for it: never change its frames in place
    (take :func:`samples_inv` for a copy of your own). At the end of the run
    the tables are compared with a fresh :func:`~ipt_network.load_samples`,
    so a test that changed them fails the run.
    """
    from ipt_network import load_samples

    inventory = load_samples()
    yield inventory
    fresh = load_samples()
    changed = [n for n, f in fresh.items() if not f.equals(getattr(inventory, n))]
    assert not changed, f"a test changed the shared sample tables in place: {changed}"


@pytest.fixture
def samples_inv(samples_once: Inventory) -> Inventory:
    """A deep copy of the sample clients of :func:`samples_once`, for one test to change freely."""
    from ipt_network import Inventory

    return Inventory.from_tables({n: f.copy(deep=True) for n, f in samples_once.items()})


def _stored_samples(db: Any, samples: Inventory) -> Iterator[Any]:
    from ipt_network import Store

    s = Store.create(db)
    s.import_inventory(samples)
    yield s
    s.close()


@pytest.fixture
def store(tmp_path: Path, samples_once: Inventory) -> Iterator[Any]:
    """A store holding the four sample clients (a module may override it)."""
    yield from _stored_samples(tmp_path / "ipt.db", samples_once)


@pytest.fixture
def samples_store(store_db: str, samples_once: Inventory) -> Iterator[Any]:
    """The four sample clients in a SQLite file or a PostgreSQL database (``store_db``)."""
    yield from _stored_samples(store_db, samples_once)


@pytest.fixture
def duo(dash_duo: Any, store: Any) -> Any:
    """dash_duo serving a fresh app on ``store``, with a roomy window."""
    from dashboards.app import create_app

    dash_duo.driver.set_window_size(1500, 1300)
    dash_duo.driver.set_script_timeout(60)
    dash_duo.start_server(create_app(store))
    dash_duo.open = functools.partial(open_page, dash_duo)  # duo.open(path, ready)
    return dash_duo


def open_page(duo: Any, path: str, *ready: str) -> None:
    """Load ``path`` of the served app and wait for every element of ``ready``."""
    duo.wait_for_page(url=f"{duo.server_url}{path}")
    for selector in ready:
        duo.wait_for_element(selector, timeout=20)


# ---------------------------------------------------------------- PostgreSQL (tests/_postgres.py)


def _postgres_helpers() -> Any:
    """tests/_postgres.py as a module (the tests folder is no package)."""
    import importlib.util
    import sys

    name = "ipt_network_tests_postgres"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("_postgres.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A throwaway PostgreSQL server for the whole test session (started on first use)."""
    with _postgres_helpers().running() as server:
        yield server


@pytest.fixture
def pg_database(pg_server: Any) -> Iterator[str]:
    """The address of a new empty database for one test, owned by the non-superuser app role."""
    name = pg_server.new_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store test keeps its store: a SQLite file path, or a PostgreSQL database URL."""
    if request.param == "sqlite":
        return str(tmp_path / "ipt.db")
    return str(request.getfixturevalue("pg_database"))


class StoreBackend:
    """What a store test sees past the store, on either database (the ``backend`` fixture).

    Parameters
    ----------
    db : str
        The store's path (SQLite) or URL (PostgreSQL), as ``store_db`` gives it.
    server : tests/_postgres.Server or None
        The PostgreSQL server; ``None`` for SQLite.
    folder : Path
        Where new SQLite stores go (:meth:`new_db`).
    """

    def __init__(self, db: str, server: Any, folder: Path) -> None:
        self.db, self.server, self.folder = db, server, folder
        self.kind = "postgresql" if server is not None else "sqlite"
        self._made: list[str] = []

    def url(self, db: str | None = None, *, superuser: bool = False) -> str:
        """An SQLAlchemy URL of ``db`` (default: the test's store); a superuser's on a server."""
        from ipt_network.io.store import resolve_url

        db = db or self.db
        if self.server is None or not superuser:
            return resolve_url(db)
        return resolve_url(self.server.url(db.rsplit("/", 1)[1], _postgres_helpers().SUPERUSER))

    @contextlib.contextmanager
    def connect(self, db: str | None = None) -> Iterator[Any]:
        """A connection in one transaction that sees every row (SQLite's own library; a
        PostgreSQL superuser, whom no policy binds), committed at the end."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.url(db, superuser=True))
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    def client_ids(self, db: str | None = None) -> set[str]:
        """Every client id stored, read straight from the database."""
        with self.connect(db) as conn:
            return {r[0] for r in conn.exec_driver_sql("SELECT client_id FROM clients")}

    def rows(self, db: str | None = None) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table of the store, sorted: what the database holds."""
        import sqlalchemy as sa

        with self.connect(db) as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                name: sorted(
                    (tuple(map(repr, r)) for r in conn.exec_driver_sql(f"SELECT * FROM {name}")),
                )
                for name in names
            }

    def make_old(self, *statements: str) -> None:
        """Turn the test's store into one an older ipt-network wrote, in one transaction.

        On PostgreSQL the guards of version 6 go first, as a store of version
        5 or older has none: the row-level security policies and their
        function, and the audit trail's trigger. Then ``statements`` run (the
        tables and columns taken away, the version number put back).
        """
        from ipt_network.io.store import _postgres

        with self.connect() as conn:
            if self.kind == "postgresql":
                for name in _postgres.client_tables():
                    for policy in _postgres.ASSIGNMENT_POLICIES:
                        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {policy} ON {name}")
                    conn.exec_driver_sql(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY")
                    conn.exec_driver_sql(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")
                conn.exec_driver_sql("DROP FUNCTION ipt_client_stored(text)")
                conn.exec_driver_sql("DROP FUNCTION ipt_audit_append_only() CASCADE")
            for statement in statements:
                conn.exec_driver_sql(statement)

    def intact(self, db: str | None = None) -> str:
        """``"ok"`` when the database finds nothing broken: SQLite's integrity and foreign-key
        checks; PostgreSQL's ``amcheck`` over every index and the rows they point to."""
        with self.connect(db) as conn:
            if self.kind == "sqlite":
                if conn.exec_driver_sql("PRAGMA foreign_key_check").all():
                    return "a foreign key is broken"
                return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
            conn.exec_driver_sql(
                "SELECT bt_index_check(c.oid, true) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE a.amname = 'btree' AND n.nspname = 'public'"
            ).all()
            return "ok"

    @contextlib.contextmanager
    def hold_write_lock(self) -> Iterator[None]:
        """Another program holds the store's write lock (and has changed rows, uncommitted)."""
        if self.kind == "sqlite":
            other = sqlite3.connect(self.db, isolation_level=None, timeout=0)
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE clients SET label = label")
            try:
                yield
            finally:
                other.execute("ROLLBACK")
                other.close()
            return
        import psycopg

        from ipt_network.io.store._postgres import WRITE_LOCK

        with psycopg.connect(self.db) as conn:  # a transaction, rolled back at the end
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            conn.execute("SELECT set_config('ipt.role', 'owner', true)")
            conn.execute("UPDATE clients SET label = label")
            try:
                yield
            finally:
                conn.rollback()

    def write_lock_taken(self) -> bool:
        """Whether some program holds the store's write lock now (asks without waiting)."""
        if self.kind == "sqlite":
            probe = sqlite3.connect(self.db, isolation_level=None, timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                probe.close()
        import psycopg

        from ipt_network.io.store._postgres import WRITE_LOCK

        with psycopg.connect(self.db) as conn:
            got = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (WRITE_LOCK,)).fetchone()
            conn.rollback()
        return not (got and got[0])

    def new_db(self) -> str:
        """Another empty place for a store on the same database (dropped at the test's end)."""
        if self.server is None:
            path = self.folder / f"other-{len(self._made)}.db"
            self._made.append(str(path))
            return str(path)
        name = self.server.new_database()
        self._made.append(name)
        return str(self.server.url(name))

    def drop_made(self) -> None:
        """Drop the databases :meth:`new_db` made."""
        if self.server is not None:
            for name in self._made:
                self.server.drop_database(name)


@pytest.fixture
def backend(
    store_db: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[StoreBackend]:
    """The database behind ``store_db``, seen past the store (:class:`StoreBackend`)."""
    server = request.getfixturevalue("pg_server") if "://" in store_db else None
    helper = StoreBackend(store_db, server, tmp_path)
    yield helper
    helper.drop_made()


def _on_postgres(nodeid: str) -> bool:
    """Whether a test case ran against the PostgreSQL server."""
    return "postgresql" in nodeid or ("test_postgres.py" in nodeid and "[sqlite" not in nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line at the end: how many test cases ran on PostgreSQL, and how many passed."""
    ran = [
        r
        for key in ("passed", "failed", "error")
        for r in terminalreporter.stats.get(key, [])
        if getattr(r, "when", "call") == "call" and _on_postgres(r.nodeid)
    ]
    if ran:
        passed = sum(r.passed for r in ran)
        terminalreporter.write_line(
            f"PostgreSQL: {passed} of {len(ran)} test cases on the server passed"
        )


# --------------------------------------------------------------------------- users (sign-in)


#: name: (role, password, assigned clients) of the users of ``users_store`` (test only).
AUTH_USERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "lee": ("admin", "lee's long admin password", ()),
    "ann": ("therapist", "ann's long therapist password", ("grief-01", "dispute-01")),
    "bob": ("therapist", "bob's long therapist password", ("transition-01", "deficits-01")),
    "rae": ("researcher", "rae's long researcher password", ()),
}


@pytest.fixture
def auth_users() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """name: (role, password, assigned client ids) of the users of ``users_store``."""
    return dict(AUTH_USERS)


@pytest.fixture
def users_store(store: Any) -> Any:
    """``store`` with users: an admin, two therapists with two sample clients each, a researcher.

    The store itself then refuses client data until someone signs in.
    """
    store.add_user("lee", "admin", AUTH_USERS["lee"][1])  # the first user, added by the owner
    admin = store.acting_as(store.sign_in("lee", AUTH_USERS["lee"][1]))
    for name, (role, password, clients) in AUTH_USERS.items():
        if name != "lee":
            admin.add_user(name, role, password)
        if clients:
            admin.assign(name, list(clients))
    return store


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(client, name, next=None)``: the dashboard's sign-in form, filled and sent.

    Reads the CSRF token from the form as a browser would; returns the response.
    """
    import re

    def post(client: Any, name: str, password: str | None = None, next: str | None = None) -> Any:
        query = {"next": next} if next is not None else {}
        form = client.get("/login", query_string=query).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None, form[:300]
        data = {
            "csrf_token": token.group(1),
            "name": name,
            "password": AUTH_USERS[name][1] if password is None else password,
        }
        return client.post("/login", query_string=query, data=data)

    return post
