"""The store: every client's inventory in SQL, written whole or not at all.

SQLAlchemy Core over SQLite by default (WAL journal, foreign keys on); any
SQLAlchemy URL works, so the same code runs on PostgreSQL. The schema mirrors
the tidy contract table for table and carries a version number
(:mod:`ipt_network.io.store._schema`). Every write runs in one transaction after
the data has passed :func:`~ipt_network.io.validation.validate`, so a failed
write leaves the store exactly as it was.

The rules that keep a store safe while the dashboard and the command line
share it (:mod:`ipt_network.io.store._engine`):

- **One SQLite library per store file per process**: Python's ``sqlite3``,
  nothing else (a second copy, such as ADBC's, corrupts a live store).
- **Opening for reading writes nothing**, and reads never wait for a writer.
- **Migration only in writers**: :meth:`Store.open` with ``write=True``
  upgrades an older store; a reader reads it as it is.
- **Writers wait a bounded time** (:func:`busy_timeout`, 10 s by default)
  for another writer, then fail with :class:`~ipt_network.errors.StoreBusy`.
- **Private files**: the store file, its WAL and SHM, and its columnar copies
  are readable by the owner only.

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
>>> oct(os.stat(os.path.join(tmp, "ipt.db")).st_mode & 0o777)
'0o600'
>>> store.close()
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final, NamedTuple, TypeVar, cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ipt_network.errors import (
    BadArgument,
    ClientExists,
    ClientNotFound,
    Failure,
    IPTNetworkError,
    NotAStore,
    RowNotFound,
    SessionNotFound,
    StoreError,
    ValidationError,
)
from ipt_network.io.contract import TABLE_ORDER, TABLES
from ipt_network.io.inventory import Inventory, is_missing
from ipt_network.io.store import _bulk, _schema
from ipt_network.io.store._engine import (
    WRITE,
    busy_timeout,
    default_db_path,
    enable_wal,
    make_engine,
    prepare_sqlite_file,
    resolve_url,
    sqlite_path,
    translate,
)
from ipt_network.io.store._schema import MIGRATIONS, SCHEMA_VERSION
from ipt_network.io.validation import validate
from ipt_network.regions import Region, region

__all__ = [
    "Store",
    "StudyKey",
    "STUDY_ID_PREFIX",
    "DATE_SHIFT_DAYS",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "default_db_path",
    "resolve_url",
    "busy_timeout",
]

_CHUNK = 50_000
_T = TypeVar("_T")
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}
#: How every study id starts; the rest is random (:func:`_new_study_key`).
STUDY_ID_PREFIX: Final = "S-"
#: A client's dates move back by a whole number of days drawn from this range (inclusive).
DATE_SHIFT_DAYS: Final = (365, 3650)
#: Letters and digits of study ids: no 0, O, 1 or I, which read alike.
_STUDY_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_STUDY_ID_LENGTH: Final = 10


class StudyKey(NamedTuple):
    """One client's key for de-identified exports, kept in the store and never exported.

    Attributes
    ----------
    study_id : str
        The random id that stands for the client (``S-`` and 10 random characters).
    date_offset_days : int
        How many days every date of the client moves back.
    """

    study_id: str
    date_offset_days: int


class Store:
    """A connection to one store.

    Use :meth:`create` or :meth:`open` rather than the constructor.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The engine to the database, made by :func:`~ipt_network.io.store._engine.make_engine`.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = str(engine.url)
        file = sqlite_path(engine.url.render_as_string(hide_password=False))
        self._columns = _bulk.cache_folder(file) if file is not None else None
        #: Columns an older store lacks (read as empty until a writer upgrades it).
        self._absent: dict[str, frozenset[str]] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(cls, db: str | os.PathLike[str] | None = None) -> Store:
        """Make a store (or upgrade an existing one) and return it, open for writing.

        Parameters
        ----------
        db : path or SQLAlchemy URL, optional
            Default: :func:`default_db_path`. A new SQLite file is made 0600, in
            a 0700 folder when the folder is new.
        """
        url = resolve_url(db)
        file = sqlite_path(url)
        if file is not None:
            if not file.exists():
                # copies left by a deleted store of the same name would match its revisions
                _bulk.clear_cache(_bulk.cache_folder(file))
            prepare_sqlite_file(file, create=True)
        store = cls(make_engine(url))
        with store._guard():
            enable_wal(store.engine)
            with store._write() as conn:
                if _schema.schema_version(conn) is None:
                    _schema.create_schema(conn)
                else:
                    _schema.migrate(conn)
        return store

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None = None, *, write: bool = False) -> Store:
        """Open an existing store.

        Opening for reading (the default) writes nothing and takes no lock.
        With ``write=True`` an older store is upgraded first, in one transaction.

        Raises
        ------
        StoreError
            When there is no store there.
        NotAStore
            When ``db`` is a folder, or a file or database that holds no store.
        DriverMissing
            When the database driver of the URL is not installed.
        SchemaVersionError
            When the store was written by a newer ipt-network.
        """
        url = resolve_url(db)
        file = sqlite_path(url)
        if file is not None:
            prepare_sqlite_file(file, create=False)
        store = cls(make_engine(url))
        try:
            with store._guard(), store._read() as conn:
                version = _schema.schema_version(conn)
                if version is not None and version < _schema.SCHEMA_VERSION:
                    store._absent = _schema.absent_columns(conn)
            if version is None:
                raise NotAStore(
                    "this database holds no ipt-network store; make one with ipt-network init"
                )
            _schema.check_readable(version)
            if write and version < _schema.SCHEMA_VERSION:
                store.migrate()
                store._absent = {}
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Any database failure that the engine did not translate becomes a StoreError."""
        try:
            yield
        except IPTNetworkError:
            raise
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
            # bulk reads use the sqlite3 cursor directly, so its errors arrive untranslated
            raise translate(getattr(exc, "orig", None) or exc) or StoreError(
                f"the store could not be used; nothing was changed ({type(exc).__name__})"
            ) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot, no lock taken."""
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(
        self, *, bulk: bool = False, changes: _bulk.Changes | None = None
    ) -> Iterator[Connection]:
        """A write transaction: the write lock at once (bounded wait), the revision bumped.

        ``changes`` says which clients the transaction writes: the columnar
        copy at the old revision is then renewed for the new one
        (:class:`~ipt_network.io.store._bulk.Renewal`), the touched clients'
        rows read before the commit, the file written after it. Without it
        the copy is left behind and the next bulk read comes from SQL.

        ``bulk`` is for whole clients that :func:`~ipt_network.io.validation.validate`
        has just checked, every reference included: SQLite's own foreign-key
        checks are then left out for that transaction (they cost three
        quarters of an import's time and can find nothing more, since every
        key holds the client id and the client's rows are all new).
        """
        renewal = None
        with self._guard(), self.engine.connect() as conn:
            conn.execution_options(**{WRITE: True})
            unchecked = bulk and conn.dialect.name == "sqlite"
            if unchecked:
                _foreign_keys(conn, on=False)
            try:
                with conn.begin():
                    yield conn
                    base = _schema.revision(conn)
                    if base is not None:
                        _schema.bump_revision(conn)
                        renewal = self._renewal(conn, base, changes)
            finally:
                if unchecked:
                    _foreign_keys(conn, on=True)
        if renewal is not None:  # committed; the write lock is released
            renewal.write()

    def _renewal(
        self, conn: Connection, base: int, changes: _bulk.Changes | None
    ) -> _bulk.Renewal | None:
        """What renews the columnar copy for this write, read inside it; ``None`` to skip."""
        if changes is None or self._columns is None:
            return None
        try:
            return _bulk.Renewal.prepare(conn, self._columns, base, changes, self._absent)
        except Exception:  # noqa: BLE001 - a copy is an optimisation; the write goes on
            return None  # no renewal: the next bulk read comes from SQL

    # ------------------------------------------------------------------ schema
    @property
    def schema_version(self) -> int:
        """The schema version of the store."""
        with self._read() as conn:
            version = _schema.schema_version(conn)
        assert version is not None
        return version

    @property
    def revision(self) -> int:
        """How many write transactions the store has seen (0 for a store older than revisions).

        Every write, from this process or another, bumps it: a cache keyed by
        it is stale as soon as the number changes.
        """
        with self._read() as conn:
            return _schema.revision(conn) or 0

    def migrate(self, target: int | None = None) -> int:
        """Upgrade the schema step by step in one transaction; return the new version.

        Writes nothing when the store is already at ``target``.

        Raises
        ------
        SchemaVersionError
            When the store is newer than ``target`` (default: :data:`SCHEMA_VERSION`).
        """
        with self._write() as conn:
            return _schema.migrate(conn, target)

    def setting(self, key: str) -> str | None:
        """A store-wide setting such as ``"region"``; ``None`` when never set."""
        with self._read() as conn:
            return _schema.get_setting(conn, key)

    @property
    def region(self) -> Region:
        """The practice's region, for the crisis lines every view shows (default ``us``)."""
        return region(self.setting("region"))

    def set_setting(self, key: str, value: str) -> None:
        """Change a store-wide setting, in one write transaction."""
        with self._write(changes=_bulk.Changes(())) as conn:
            _schema.set_setting(conn, key, value)

    # ------------------------------------------------------------------ writing
    def _delete_clients(self, conn: Connection, client_ids: Sequence[str]) -> None:
        for name in reversed(TABLE_ORDER):
            table = _schema.metadata.tables[name]
            for start in range(0, len(client_ids), 500):
                chunk = list(client_ids[start : start + 500])
                conn.execute(table.delete().where(table.c.client_id.in_(chunk)))

    def _insert(self, conn: Connection, inventory: Inventory, progress: bool) -> None:
        from tqdm import tqdm

        mark = _PLACEHOLDER.get(str(conn.dialect.paramstyle), "?")
        total = sum(len(frame) for _, frame in inventory.items())
        with tqdm(total=total, unit="row", desc="storing", disable=not progress) as bar:
            # the next chunk's rows are made while the database writes this one
            for sql, rows in _one_ahead(_batches(inventory, mark)):
                # executemany straight to the driver: the rows are already validated
                conn.exec_driver_sql(sql, rows)
                bar.update(len(rows))

    def import_inventory(
        self, inventory: Inventory, *, replace: bool = False, progress: bool | None = False
    ) -> int:
        """Store every table of an inventory in one transaction.

        Parameters
        ----------
        inventory : Inventory
            The tables; they are validated here, every rule of the contract.
        replace : bool
            Clients already in the store are replaced whole. Default: refuse.
        progress : bool or None
            Show a progress bar on stderr (default: no); ``None``: for more than 100 clients.

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
        StoreBusy
            When another program kept the write lock past the busy timeout.
        """
        return len(self._import(validate(inventory), replace, progress))

    def import_folder(
        self,
        folder: str | os.PathLike[str],
        *,
        replace: bool = False,
        progress: bool | None = False,
    ) -> Inventory:
        """Read a tidy inventory folder and store it in one transaction.

        The folder is read and validated once
        (:func:`~ipt_network.io.tidy.read_inventory`), and those very tables
        are written: the checks of ``import_inventory(read_inventory(folder))``
        at the cost of one validation instead of two. ``ipt-network import``
        runs this.

        Parameters
        ----------
        folder : path
            The folder holding ``clients.csv``, ``sessions.csv`` and the rest.
        replace, progress
            As for :meth:`import_inventory`.

        Returns
        -------
        Inventory
            The tables stored, typed as the contract says.

        Raises
        ------
        ValidationError
            When a file breaks the contract, naming file, line and column; nothing is written.
        ClientExists, StoreBusy
            As for :meth:`import_inventory`.
        """
        from ipt_network.io.tidy import read_inventory

        return self._import(read_inventory(folder), replace, progress)

    def _import(self, checked: Inventory, replace: bool, progress: bool | None) -> Inventory:
        """Write validated tables in one transaction; the columnar copy follows them."""
        ids = checked.client_ids()
        rows = Inventory.from_tables({n: _in_key_order(n, f) for n, f in checked.items()})
        changes = _bulk.Changes(ids, rows.tables())
        with self._write(bulk=True, changes=changes) as conn:
            present = self._existing(conn, ids)
            if present and not replace:
                shown = ", ".join(present[:10]) + (" ..." if len(present) > 10 else "")
                raise ClientExists(
                    f"{len(present)} client(s) already in the store ({shown}); nothing was "
                    "imported. Use --replace (replace=True in Python) to overwrite them."
                )
            # into an empty store the rows written are the whole tables
            changes.empty_before = not _stored_ids(conn, limit=1)
            self._delete_clients(conn, present)
            changes.mark(conn)
            self._insert(conn, rows, len(ids) > 100 if progress is None else progress)
        return checked

    def _existing(self, conn: Connection, client_ids: Sequence[str]) -> list[str]:
        clients = _schema.metadata.tables["clients"]
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
        the previous session, is refused) and written in one transaction; the
        record is read inside that transaction, so a write from another
        program cannot slip in between.

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
        written = [n for n, f in tables.items() if n in TABLES and len(f)]
        with self._write(changes=_bulk.Changes([client_id], tables=written)) as conn:
            current = self._inventory(conn, [client_id])
            merged = {
                name: pd.concat([frame, tables[name]], ignore_index=True)
                if name in tables and len(tables[name])
                else frame
                for name, frame in current.items()
            }
            try:
                checked = validate(merged)
            except ValidationError as err:
                failures = [_new_row_failure(f, current) for f in err.failures]
                raise ValidationError(failures) from None
            fresh = {n: f.iloc[len(getattr(current, n)) :] for n, f in checked.items()}
            self._insert(conn, Inventory.from_tables(fresh), progress=False)

    def update(
        self,
        client_id: str,
        table: str,
        key: Mapping[str, object],
        values: Mapping[str, object],
        *,
        check: Callable[[Inventory], None] | None = None,
    ) -> None:
        """Change some fields of one stored row of a client, checked with the whole record.

        The client's record is read inside the write transaction, the row
        changed, the whole record validated with
        :func:`~ipt_network.io.validation.validate`, and only that row written;
        the revision is bumped and the columnar copy renewed. A refused change
        leaves the store exactly as it was.

        Parameters
        ----------
        client_id : str
            The client.
        table : str
            A table of the contract with a key, such as ``"clients"`` or ``"sessions"``.
        key : mapping of str to object
            The row's key without ``client_id``: ``{}`` for ``clients``,
            ``{"session": 3}`` for ``sessions``, ``{"session": 3, "goal_id": "g1"}``
            for ``goals``.
        values : mapping of str to object
            New values by column; ``None`` empties a column that may be empty.
        check : callable, optional
            Called with the client's stored record inside the transaction,
            before the change; what it raises refuses the change.

        Raises
        ------
        ClientNotFound
            When the client is not stored.
        SessionNotFound
            When ``table`` is ``sessions`` and the client has no such session.
        RowNotFound
            When the client has no row with that key in another table.
        BadArgument
            When the table has no key, the key does not name its columns, or a
            column is unknown or part of the key.
        ValidationError
            When the changed record breaks the contract.

        Examples
        --------
        >>> import tempfile, os
        >>> from ipt_network import load_samples
        >>> store = Store.create(os.path.join(tempfile.mkdtemp(), "ipt.db"))
        >>> store.import_inventory(load_samples().for_clients(["dispute-01"]))
        1
        >>> store.update("dispute-01", "sessions", {"session": 5}, {"dispute_stage": "impasse"})
        >>> sessions = store.inventory(["dispute-01"]).sessions.set_index("session")
        >>> sessions.loc[5, "dispute_stage"]
        'impasse'
        >>> store.close()
        """
        where = _row_key(table, key, values)
        sql_table = _schema.metadata.tables[table]
        with self._write(changes=_bulk.Changes([client_id], tables=[table])) as conn:
            current = self._inventory(conn, [client_id])
            if check is not None:
                check(current)
            frame = getattr(current, table).astype(object)
            found = pd.Series(True, index=frame.index)
            for column, value in where.items():
                found &= frame[column].map(lambda cell, v=value: not is_missing(cell) and cell == v)
            if not found.any():
                raise _missing_row(client_id, table, where)
            for column, value in values.items():
                frame.loc[found, column] = None if is_missing(value) else value
            checked = getattr(validate({**current.tables(), table: frame}), table)
            row = checked[found.to_numpy()].iloc[0]
            conn.execute(
                sql_table.update()
                .where(
                    sql_table.c.client_id == client_id,
                    *(sql_table.c[c] == v for c, v in where.items() if c != "client_id"),
                )
                .values({c: _native(row[c]) for c in values})
            )

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

        def had_session(current: Inventory) -> None:
            if session not in current.sessions_of(client_id):
                raise SessionNotFound(client_id, session)

        values = {"focus": ";".join(areas), "focus_session": session}
        self.update(client_id, "clients", {}, values, check=had_session)

    def study_keys(self, client_ids: Sequence[str]) -> dict[str, StudyKey]:
        """Each client's study id and date shift, made (and kept) when the client has none.

        A client keeps its key for good, so later de-identified exports give
        it the same study id and the same shift. The keys missing are drawn
        with :mod:`secrets` (a random study id, never derived from the client
        id; a shift in :data:`DATE_SHIFT_DAYS`) and written in one write
        transaction; when every client has a key, nothing is written. The
        ``study_keys`` table is no table of the contract: no inventory read
        and no export holds it. An older store is upgraded first.

        Parameters
        ----------
        client_ids : sequence of str
            The clients (need not be stored: a key names a client id only).

        Returns
        -------
        dict of str to StudyKey
            By client id, in the order given.

        Examples
        --------
        >>> import tempfile, os
        >>> store = Store.create(os.path.join(tempfile.mkdtemp(), "ipt.db"))
        >>> keys = store.study_keys(["grief-01"])
        >>> keys["grief-01"].study_id.startswith(STUDY_ID_PREFIX)
        True
        >>> store.study_keys(["grief-01"]) == keys
        True
        >>> store.close()
        """
        wanted = list(dict.fromkeys(client_ids))
        with self._read() as conn:
            known = _read_study_keys(conn)
        if all(c in known for c in wanted):
            return {c: known[c] for c in wanted}
        if self.schema_version < SCHEMA_VERSION:
            self.migrate()
            self._absent = {}
        with self._write(changes=_bulk.Changes(())) as conn:
            known = _read_study_keys(conn)  # another writer may have made some meanwhile
            taken = {key.study_id for key in known.values()}
            created = datetime.now(UTC).isoformat(timespec="seconds")
            rows = []
            for client_id in (c for c in wanted if c not in known):
                known[client_id] = _new_study_key(taken)
                taken.add(known[client_id].study_id)
                rows.append({"client_id": client_id, **known[client_id]._asdict()})
            conn.execute(_schema.STUDY_KEYS.insert(), [r | {"created": created} for r in rows])
        return {c: known[c] for c in wanted}

    # ------------------------------------------------------------------ reading
    def client_ids(self) -> list[str]:
        """Every stored client id, sorted."""
        with self._read() as conn:
            return sorted(_stored_ids(conn))

    def _inventory(self, conn: Connection, client_ids: list[str]) -> Inventory:
        missing = set(client_ids) - set(self._existing(conn, client_ids))
        if missing:
            raise ClientNotFound(sorted(missing)[0])
        frames = {}
        for name in TABLES:
            column = _schema.metadata.tables[name].c.client_id
            where = column == client_ids[0] if len(client_ids) == 1 else column.in_(client_ids)
            frames[name] = _bulk.read_rows(conn, name, where, self._absent.get(name, frozenset()))
        return Inventory.from_tables(frames)

    def inventory(self, client_ids: Sequence[str] | None = None) -> Inventory:
        """The tables of some clients (default: all), typed as the contract says.

        Raises
        ------
        ClientNotFound
            When a requested client is not stored.
        """
        if client_ids is None:
            return Inventory.from_tables(self.read_tables(list(TABLES)))
        with self._read() as conn:
            return self._inventory(conn, list(client_ids))

    def read_tables(self, names: Sequence[str]) -> dict[str, pd.DataFrame]:
        """Whole tables as typed DataFrames, read in bulk from one consistent snapshot.

        A SQLite store keeps a columnar copy of each table read this way,
        keyed by the store revision (:mod:`ipt_network.io.store._bulk`): the
        next read at the same revision comes from it, several times faster
        than SQL. Every write of this class (an import, an append, a focus, a
        setting) renews the copy for the revision it makes, so the first read
        after a small write is as fast as the next. Python's ``sqlite3`` is
        the only SQLite library used.

        Parameters
        ----------
        names : sequence of str
            Table names of the contract.
        """
        with self._read() as conn:
            revision = _schema.revision(conn) if self._columns is not None else None
            return _bulk.cached_read(conn, names, self._columns, revision, self._absent)


def _read_study_keys(conn: Connection) -> dict[str, StudyKey]:
    """Every stored study key by client id; none in a store older than the table."""
    keys = _schema.STUDY_KEYS
    if not sa.inspect(conn).has_table(keys.name):
        return {}
    rows = conn.execute(sa.select(keys.c.client_id, keys.c.study_id, keys.c.date_offset_days))
    return {r[0]: StudyKey(r[1], int(r[2])) for r in rows}


def _new_study_key(taken: set[str]) -> StudyKey:
    """A random study id not in ``taken``, and a random shift in :data:`DATE_SHIFT_DAYS`.

    Examples
    --------
    >>> key = _new_study_key(set())
    >>> len(key.study_id), DATE_SHIFT_DAYS[0] <= key.date_offset_days <= DATE_SHIFT_DAYS[1]
    (12, True)
    """
    while True:
        random = "".join(secrets.choice(_STUDY_ALPHABET) for _ in range(_STUDY_ID_LENGTH))
        if STUDY_ID_PREFIX + random not in taken:
            break
    low, high = DATE_SHIFT_DAYS
    return StudyKey(STUDY_ID_PREFIX + random, low + secrets.randbelow(high - low + 1))


def _row_key(
    table: str, key: Mapping[str, object], values: Mapping[str, object]
) -> dict[str, object]:
    """The full key of the row :meth:`Store.update` changes, the client's id left out.

    Examples
    --------
    >>> _row_key("goals", {"session": 2, "goal_id": "g1"}, {"status": "achieved"})
    {'session': 2, 'goal_id': 'g1'}
    >>> _row_key("events", {}, {"kind": "move"})
    Traceback (most recent call last):
    ...
    ipt_network.errors.BadArgument: rows of events have no key and cannot be changed one by one
    """
    if table not in TABLES:
        raise BadArgument(f"{table!r} is not a table of the contract")
    spec = TABLES[table]
    if not spec.key:
        raise BadArgument(f"rows of {table} have no key and cannot be changed one by one")
    wanted = [c for c in spec.key if c != "client_id"]
    if sorted(key) != sorted(wanted):
        named = ", ".join(wanted) or "nothing"
        raise BadArgument(f"a row of {table} is named by {named}")
    unknown = [c for c in values if c not in spec.names or c in spec.key]
    if unknown:
        raise BadArgument(f"{table} has no column {unknown[0]!r} that can be changed")
    if not values:
        raise BadArgument("give at least one column to change")
    return {c: key[c] for c in wanted}


def _missing_row(client_id: str, table: str, key: Mapping[str, object]) -> IPTNetworkError:
    """The error for a row :meth:`Store.update` did not find (ids and numbers only)."""
    if table == "sessions":
        return SessionNotFound(client_id, key["session"])
    where = ", ".join(f"{c} {v!r}" for c, v in key.items())
    return RowNotFound(f"client {client_id!r} has no {table} row with {where}")


def _native(value: object) -> object:
    """A typed cell as a plain Python value for SQL: NA as ``None``, numpy scalars unwrapped.

    Examples
    --------
    >>> import numpy as np
    >>> _native(pd.NA), _native(np.int64(3)), _native("x")
    (None, 3, 'x')
    """
    if is_missing(value):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _foreign_keys(conn: Connection, *, on: bool) -> None:
    """Switch SQLite's foreign-key enforcement for this connection (outside a transaction)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _batches(inventory: Inventory, mark: str) -> Iterator[tuple[str, list[tuple[object, ...]]]]:
    """``(INSERT statement, rows)`` chunk by chunk, table by table in the contract's order."""
    for name in TABLE_ORDER:
        frame = getattr(inventory, name)
        # a column empty in every row is left to SQL's NULL: fewer values to pass
        columns = [c for c in TABLES[name].names if frame[c].notna().any()]
        if not columns:
            continue
        quoted = ", ".join(f'"{c}"' for c in columns)
        sql = f"INSERT INTO {name} ({quoted}) VALUES ({', '.join([mark] * len(columns))})"
        for rows in _rows(frame[columns]):
            yield sql, rows


def _one_ahead(items: Iterator[_T]) -> Iterator[_T]:
    """The items of ``items``, each next one made in a worker thread while this one is used.

    SQLite lets go of Python's lock while it writes, so making the next
    chunk's rows (Python work) overlaps the writing of this chunk.

    Examples
    --------
    >>> list(_one_ahead(iter(range(4))))
    [0, 1, 2, 3]
    """
    done = object()
    with ThreadPoolExecutor(1, thread_name_prefix="ipt-rows") as worker:
        pending = worker.submit(next, items, done)
        while (item := pending.result()) is not done:
            pending = worker.submit(next, items, done)
            yield cast(_T, item)


def _rows(frame: pd.DataFrame) -> Iterator[list[tuple[object, ...]]]:
    """Rows as plain-Python tuples, a chunk at a time, NA as None.

    Column by column (one conversion per column, not per cell), then zipped.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": ["x", "y"]})
    >>> next(_rows(frame))
    [(1, 'x'), (None, 'y')]
    """
    for start in range(0, len(frame), _CHUNK):
        chunk = frame.iloc[start : start + _CHUNK]
        columns = [chunk[c].to_numpy(dtype=object, na_value=None).tolist() for c in chunk.columns]
        yield list(zip(*columns, strict=True))


def _stored_ids(conn: Connection, *, limit: int | None = None) -> list[str]:
    """Stored client ids (at most ``limit``), read inside ``conn``'s transaction."""
    clients = _schema.metadata.tables["clients"]
    return [r[0] for r in conn.execute(sa.select(clients.c.client_id).limit(limit))]


def _in_key_order(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A keyed table's rows in key order, the order SQLite keeps and returns them in.

    Writing in key order appends to the table's b-tree, and the columnar copy
    written at import then holds the rows in the order a read from SQL gives.
    """
    key = list(TABLES[name].key)
    if not key or len(frame) < 2:
        return frame
    return frame.sort_values(key, kind="stable", ignore_index=True)


def _new_row_failure(failure: Failure, current: Inventory) -> Failure:
    """Name a failure in appended rows by its place among the new rows, not the merged table."""
    name = failure.file.removesuffix(".csv")
    if failure.row is None or name not in TABLES:
        return failure
    position = failure.row - 2 - len(getattr(current, name))
    if position < 0:
        return failure
    return Failure(f"new {name} row {position + 1}", None, failure.column, failure.message)
