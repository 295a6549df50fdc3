"""The store: every client's inventory in SQL, written whole or not at all.

SQLAlchemy Core over SQLite by default (WAL journal, foreign keys on); any
SQLAlchemy URL works, so the same code runs on PostgreSQL. The schema mirrors
the tidy contract table for table and carries a version number; opening an
older store migrates it in one transaction. Every write runs in a single
transaction after the data has passed :func:`~ipt_network.validation.validate`,
so a failed write leaves the store exactly as it was.

Examples
--------
>>> import tempfile, os
>>> from ipt_network import load_samples
>>> tmp = tempfile.mkdtemp()
>>> store = Store.create(os.path.join(tmp, "ipt.db"))
>>> store.import_inventory(load_samples())
4
>>> sorted(store.client_ids())[:2]
['deficits-01', 'dispute-01']
>>> store.inventory(["grief-01"]).client_ids()
['grief-01']
>>> store.close()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import click
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ipt_network.contract import TABLE_ORDER, TABLES, Column
from ipt_network.errors import (
    ClientExists,
    ClientNotFound,
    Failure,
    SchemaVersionError,
    SessionNotFound,
    StoreError,
    ValidationError,
)
from ipt_network.inventory import Inventory, dtype_of
from ipt_network.validation import validate

__all__ = [
    "Store",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "default_db_path",
    "resolve_url",
]

#: The schema version this code writes.
SCHEMA_VERSION: Final = 1

#: Migration steps: ``MIGRATIONS[n]`` upgrades a store from version n to n + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

_CHUNK = 50_000

metadata = sa.MetaData()

sa.Table("meta", metadata, sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text))


def _sql_type(col: Column) -> Any:
    return {"int": sa.Integer, "bool": sa.Boolean}.get(col.kind, sa.Text)


_FOREIGN_KEYS: Final[dict[str, list[tuple[list[str], str, list[str]]]]] = {
    "sessions": [(["client_id"], "clients", ["client_id"])],
    "people": [(["client_id"], "clients", ["client_id"])],
    "relationships": [
        (["client_id", "session"], "sessions", ["client_id", "session"]),
        (["client_id", "person_id"], "people", ["client_id", "person_id"]),
    ],
    "person_ties": [
        (
            ["client_id", "session", "source"],
            "relationships",
            ["client_id", "session", "person_id"],
        ),
        (
            ["client_id", "session", "target"],
            "relationships",
            ["client_id", "session", "person_id"],
        ),
    ],
    "events": [(["client_id"], "clients", ["client_id"])],
    "communication": [
        (["client_id", "session"], "sessions", ["client_id", "session"]),
        (["client_id", "person_id"], "people", ["client_id", "person_id"]),
    ],
}

for _name, _table in TABLES.items():
    _columns: list[Any] = [
        sa.Column(c.name, _sql_type(c), nullable=c.nullable or not c.required)
        for c in _table.columns
    ]
    if _table.key:
        _columns.append(sa.PrimaryKeyConstraint(*_table.key))
    else:
        _columns.insert(0, sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True))
    for _cols, _ref, _ref_cols in _FOREIGN_KEYS.get(_name, []):
        _columns.append(sa.ForeignKeyConstraint(_cols, [f"{_ref}.{c}" for c in _ref_cols]))
    sa.Table(_name, metadata, *_columns)
    sa.Index(f"ix_{_name}_client", metadata.tables[_name].c.client_id)


def default_db_path() -> Path:
    """Where the store lives when no ``--db`` is given.

    ``IPT_NETWORK_DB`` when set, else ``store.db`` in the per-user application
    folder (``~/.config/ipt-network`` on Linux, ``~/Library/Application
    Support/ipt-network`` on macOS, ``%APPDATA%\\ipt-network`` on Windows).

    Examples
    --------
    >>> default_db_path().name
    'store.db'
    """
    env = os.environ.get("IPT_NETWORK_DB")
    if env:
        return Path(env)
    return Path(click.get_app_dir("ipt-network")) / "store.db"


def resolve_url(db: str | os.PathLike[str] | None) -> str:
    """An SQLAlchemy URL from a path, a URL or ``None`` (the default path).

    Examples
    --------
    >>> resolve_url("postgresql://host/ipt")
    'postgresql://host/ipt'
    >>> resolve_url("/data/ipt.db")
    'sqlite:////data/ipt.db'
    """
    if db is not None and "://" in str(db):
        return str(db)
    path = Path(db) if db is not None else default_db_path()
    return f"sqlite:///{path.expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, open transactions, so DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast a frame read from SQL to the contract's dtypes and column order."""
    out = {}
    for col in TABLES[name].columns:
        values = frame[col.name]
        if col.kind == "bool":
            values = values.astype("Int64").astype("boolean")
        out[col.name] = values.astype(dtype_of(col))
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _rows(frame: pd.DataFrame) -> Iterator[list[tuple[Any, ...]]]:
    """Rows as plain-Python tuples, a chunk at a time, NA as None."""
    for start in range(0, len(frame), _CHUNK):
        chunk = frame.iloc[start : start + _CHUNK].astype(object)
        chunk = chunk.where(chunk.notna(), None)
        yield list(chunk.itertuples(index=False, name=None))


_PLACEHOLDER: Final = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class Store:
    """A connection to one store.

    Use :meth:`create` or :meth:`open` rather than the constructor.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The engine to the database.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ opening
    @classmethod
    def _engine(cls, url: str) -> Engine:
        engine = sa.create_engine(url)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            sa.event.listen(engine, "begin", _sqlite_begin)
        return engine

    @classmethod
    def create(cls, db: str | os.PathLike[str] | None = None) -> Store:
        """Make a store (or upgrade an existing one) and return it.

        Parameters
        ----------
        db : path or SQLAlchemy URL, optional
            Default: :func:`default_db_path`.
        """
        url = resolve_url(db)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        store = cls(cls._engine(url))
        with store.engine.begin() as conn:
            if store._version(conn) is None:
                metadata.create_all(conn)
                conn.execute(
                    metadata.tables["meta"].insert(),
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                )
        store.migrate()
        return store

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None = None) -> Store:
        """Open an existing store, migrating it when its schema is older.

        Raises
        ------
        StoreError
            When there is no store there.
        SchemaVersionError
            When the store was written by a newer ipt-network.
        """
        url = resolve_url(db)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            where = url.removeprefix("sqlite:///")
            raise StoreError(f"no store at {where}; make one with: ipt-network init --db {where}")
        store = cls(cls._engine(url))
        with store.engine.connect() as conn:
            if store._version(conn) is None:
                raise StoreError("this database holds no ipt-network store; run ipt-network init")
        store.migrate()
        return store

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ schema
    @staticmethod
    def _version(conn: Connection) -> int | None:
        if not sa.inspect(conn).has_table("meta"):
            return None
        meta = metadata.tables["meta"]
        value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        return None if value is None else int(value)

    @property
    def schema_version(self) -> int:
        """The schema version of the store."""
        with self.engine.connect() as conn:
            version = self._version(conn)
        assert version is not None
        return version

    def migrate(self, target: int | None = None) -> int:
        """Upgrade the schema step by step in one transaction; return the new version.

        Raises
        ------
        SchemaVersionError
            When the store is newer than ``target`` (default: :data:`SCHEMA_VERSION`).
        """
        target = SCHEMA_VERSION if target is None else target
        meta = metadata.tables["meta"]
        with self.engine.begin() as conn:
            version = self._version(conn)
            assert version is not None
            if version > target:
                raise SchemaVersionError(
                    f"the store has schema version {version}, newer than this ipt-network "
                    f"knows ({target}); upgrade ipt-network"
                )
            while version < target:
                if version not in MIGRATIONS:
                    raise SchemaVersionError(f"no migration from schema version {version}")
                MIGRATIONS[version](conn)
                version += 1
            conn.execute(
                meta.update().where(meta.c.key == "schema_version").values(value=str(version))
            )
        return version

    # ------------------------------------------------------------------ writing
    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(
                f"the store could not be written; nothing was changed ({type(exc).__name__})"
            ) from exc

    def _delete_clients(self, conn: Connection, client_ids: Sequence[str]) -> None:
        for name in reversed(TABLE_ORDER):
            table = metadata.tables[name]
            for start in range(0, len(client_ids), 500):
                chunk = list(client_ids[start : start + 500])
                conn.execute(table.delete().where(table.c.client_id.in_(chunk)))

    def _insert(self, conn: Connection, inventory: Inventory, progress: bool) -> None:
        from tqdm.auto import tqdm

        mark = _PLACEHOLDER.get(str(conn.dialect.paramstyle), "?")
        total = sum(len(frame) for _, frame in inventory.items())
        with tqdm(total=total, unit="row", desc="storing", disable=not progress) as bar:
            for name in TABLE_ORDER:
                columns = TABLES[name].names
                quoted = ", ".join(f'"{c}"' for c in columns)
                sql = f"INSERT INTO {name} ({quoted}) VALUES ({', '.join([mark] * len(columns))})"
                for rows in _rows(getattr(inventory, name)[columns]):
                    # executemany straight to the driver: the rows are already validated
                    conn.exec_driver_sql(sql, rows)
                    bar.update(len(rows))

    def import_inventory(
        self, inventory: Inventory, *, replace: bool = False, progress: bool = False
    ) -> int:
        """Store every table of an inventory in one transaction.

        Parameters
        ----------
        inventory : Inventory
            Validated tables (validated again here).
        replace : bool
            Clients already in the store are replaced whole. Default: refuse.
        progress : bool
            Show a progress bar on stderr.

        Returns
        -------
        int
            The number of clients stored.

        Raises
        ------
        ClientExists
            When a client is already stored and ``replace`` is false; nothing is written.
        ValidationError
            When the tables break the contract; nothing is written.
        """
        inventory = validate(inventory)
        ids = inventory.client_ids()
        with self._transaction() as conn:
            present = self._existing(conn, ids)
            if present and not replace:
                shown = ", ".join(present[:10]) + (" ..." if len(present) > 10 else "")
                raise ClientExists(
                    f"{len(present)} client(s) already in the store ({shown}); nothing was "
                    "imported. Use --replace (replace=True in Python) to overwrite them."
                )
            self._delete_clients(conn, present)
            self._insert(conn, inventory, progress)
        return len(ids)

    def _existing(self, conn: Connection, client_ids: Sequence[str]) -> list[str]:
        clients = metadata.tables["clients"]
        found: list[str] = []
        for start in range(0, len(client_ids), 500):
            chunk = list(client_ids[start : start + 500])
            rows = conn.execute(
                sa.select(clients.c.client_id).where(clients.c.client_id.in_(chunk))
            )
            found.extend(r[0] for r in rows)
        return sorted(found)

    def append(self, client_id: str, tables: Mapping[str, pd.DataFrame]) -> None:
        """Add rows to one stored client, checked with the client's whole record.

        The new rows are validated together with everything already stored
        for the client (so a tie to someone not on the map, or a date before
        the previous session, is refused) and written in one transaction.

        Parameters
        ----------
        client_id : str
            The client the rows belong to.
        tables : mapping of str to DataFrame
            New rows per table name, in the contract's columns.

        Raises
        ------
        ClientNotFound
            When the client is not stored.
        ValidationError
            When the client's record with the new rows breaks the contract.
        """
        current = self.inventory([client_id])
        merged = {
            name: pd.concat([frame, tables[name]], ignore_index=True)
            if name in tables and len(tables[name])
            else frame
            for name, frame in current.items()
        }
        try:
            checked = validate(merged)
        except ValidationError as err:
            raise ValidationError([_new_row_failure(f, current) for f in err.failures]) from None
        fresh = {name: frame.iloc[len(getattr(current, name)) :] for name, frame in checked.items()}
        with self._transaction() as conn:
            self._insert(conn, Inventory.from_tables(fresh), progress=False)

    def set_focus(self, client_id: str, areas: Sequence[str], session: int) -> None:
        """Record the chosen focus (one or two problem areas) and the session it was chosen at.

        Parameters
        ----------
        client_id : str
            The client.
        areas : sequence of str
            One or two of :data:`~ipt_network.names.PROBLEM_AREAS`.
        session : int
            A session the client has had.

        Raises
        ------
        ClientNotFound, SessionNotFound
            When the client or the session is not stored.
        ValidationError
            When the areas are not one or two known problem areas.
        """
        current = self.inventory([client_id])
        if session not in current.sessions_of(client_id):
            raise SessionNotFound(client_id, session)
        clients = current.clients.astype(object)
        clients.loc[:, "focus"] = ";".join(areas)
        clients.loc[:, "focus_session"] = session
        checked = validate({**current.tables(), "clients": clients})
        row = checked.clients.iloc[0]
        table = metadata.tables["clients"]
        with self._transaction() as conn:
            conn.execute(
                table.update()
                .where(table.c.client_id == client_id)
                .values(focus=str(row["focus"]), focus_session=int(row["focus_session"]))
            )

    # ------------------------------------------------------------------ reading
    def client_ids(self) -> list[str]:
        """Every stored client id, sorted."""
        clients = metadata.tables["clients"]
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(sa.select(clients.c.client_id)))

    def inventory(self, client_ids: Sequence[str] | None = None) -> Inventory:
        """The tables of some clients (default: all), typed as the contract says.

        Raises
        ------
        ClientNotFound
            When a requested client is not stored.
        """
        if client_ids is None:
            return Inventory.from_tables(self.read_tables(list(TABLES)))
        ids = list(client_ids)
        with self.engine.connect() as conn:
            missing = set(ids) - set(self._existing(conn, ids))
            if missing:
                raise ClientNotFound(sorted(missing)[0])
            frames = {}
            for name, table in TABLES.items():
                sql = metadata.tables[name]
                query = sa.select(*[sql.c[c] for c in table.names]).where(sql.c.client_id.in_(ids))
                frames[name] = _typed(
                    name, pd.DataFrame(conn.execute(query).all(), columns=table.names)
                )
        return Inventory.from_tables(frames)

    def read_tables(self, names: Sequence[str]) -> dict[str, pd.DataFrame]:
        """Whole tables as typed DataFrames, read in bulk.

        On SQLite the rows come through ADBC straight into Arrow, several
        times faster than ``pandas.read_sql``; other databases use
        ``pandas.read_sql``.

        Parameters
        ----------
        names : sequence of str
            Table names of the contract.
        """
        if self.engine.dialect.name == "sqlite":
            return {name: _typed(name, self._read_sqlite(name)) for name in names}
        with self.engine.connect() as conn:
            return {
                name: _typed(
                    name,
                    pd.read_sql(
                        sa.select(*[metadata.tables[name].c[c] for c in TABLES[name].names]), conn
                    ),
                )
                for name in names
            }

    def _read_sqlite(self, name: str) -> pd.DataFrame:
        import adbc_driver_sqlite.dbapi as adbc

        path = str(self.engine.url.database)
        columns = ", ".join(f'"{c}"' for c in TABLES[name].names)
        with adbc.connect(path) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT {columns} FROM {name}")  # noqa: S608 - names from the contract
            arrow = cur.fetch_arrow_table()
        return arrow.to_pandas(types_mapper=_arrow_types)


def _new_row_failure(failure: Failure, current: Inventory) -> Failure:
    """Name a failure in appended rows by its place among the new rows, not the merged table."""
    name = failure.file.removesuffix(".csv")
    if failure.row is None or name not in TABLES:
        return failure
    position = failure.row - 2 - len(getattr(current, name))
    if position < 0:
        return failure
    return Failure(f"new {name} row {position + 1}", None, failure.column, failure.message)


def _arrow_types(arrow_type: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None
