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

import copy
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
    Forbidden,
    IPTNetworkError,
    NotAStore,
    RowNotFound,
    SessionNotFound,
    SignInFailed,
    SignInRequired,
    StoreError,
    ValidationError,
)
from ipt_network.io.contract import TABLE_ORDER, TABLES
from ipt_network.io.inventory import Inventory, is_missing
from ipt_network.io.store import _access, _audit, _backup, _bulk, _schema
from ipt_network.io.store._access import Actor, owner
from ipt_network.io.store._audit import AuditCheck, Event
from ipt_network.io.store._engine import (
    WRITE,
    busy_timeout,
    default_db_path,
    enable_wal,
    engine_key,
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
    "Actor",
    "UserInfo",
    "Event",
    "AuditCheck",
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
        # an encrypted store keeps no columnar copy: Parquet files would hold its rows in clear
        encrypted = engine_key(engine) is not None
        self._columns = _bulk.cache_folder(file) if file is not None and not encrypted else None
        #: Columns an older store lacks (read as empty until a writer upgrades it).
        self._absent: dict[str, frozenset[str]] = {}
        #: The signed-in user; ``None``: the owner while the store has no users.
        self._actor: Actor | None = None
        #: Views of this store per acting user (:meth:`acting_as`), so caches keyed
        #: by the store object keep working across requests of one user.
        self._views: dict[Actor, Store] = {}
        self._base: Store = self

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(
        cls,
        db: str | os.PathLike[str] | None = None,
        *,
        key: str | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> Store:
        """Make a store (or upgrade an existing one) and return it, open for writing.

        Parameters
        ----------
        db : path or SQLAlchemy URL, optional
            Default: :func:`default_db_path`. A new SQLite file is made 0600, in
            a 0700 folder when the folder is new.
        key : str, optional
            Encrypt a new SQLite store with this key (SQLCipher; at least
            :data:`~ipt_network.io.store._engine.MIN_KEY_LENGTH` characters),
            or the key of an existing encrypted one.
        settings : mapping, optional
            Store-wide settings (such as ``region``) of a new store, written in
            the same transaction as its tables and its one ``init`` audit row;
            ignored for an existing store (see :meth:`set_setting`).
        """
        url = resolve_url(db)
        file = sqlite_path(url)
        if file is not None:
            if not file.exists():
                # copies left by a deleted store of the same name would match its revisions
                _bulk.clear_cache(_bulk.cache_folder(file))
            prepare_sqlite_file(file, create=True, key=key)
        store = cls(make_engine(url, key))
        with store._guard():
            enable_wal(store.engine)
            with store.engine.connect() as conn:
                version = _schema.schema_version(conn)
            if version is None:
                with store._write(_audit.Event("init"), actor=owner()) as conn:
                    _schema.create_schema(conn)
                    for name, value in (settings or {}).items():
                        _schema.set_setting(conn, name, value)
            elif version < _schema.SCHEMA_VERSION:
                store.migrate()
            else:
                _schema.check_readable(version)
                store._restore_guards()
        return store

    def _restore_guards(self) -> None:
        """Put back the audit trail's append-only triggers if someone removed them."""
        with self.engine.connect() as conn:
            if not _audit.missing_guards(conn):
                return
        with self._write(_audit.Event("init", detail="guards"), actor=owner()) as conn:
            _audit.install(conn)

    @classmethod
    def open(
        cls,
        db: str | os.PathLike[str] | None = None,
        *,
        write: bool = False,
        key: str | None = None,
    ) -> Store:
        """Open an existing store.

        Opening for reading (the default) writes nothing and takes no lock.
        With ``write=True`` an older store is upgraded first, in one transaction.
        An encrypted store needs its ``key``.

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
        KeyRequired, WrongKey
            When the store is encrypted and the key is missing or wrong.
        """
        url = resolve_url(db)
        file = sqlite_path(url)
        if file is not None:
            prepare_sqlite_file(file, create=False, key=key)
        store = cls(make_engine(url, key))
        try:
            # before anyone acts: what the database holds decides whether it can be used
            with store._guard(), store.engine.connect() as conn, conn.begin():
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
        """Release the connections (the engine stays usable: the next use reconnects)."""
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
        """A read transaction: one consistent snapshot, no lock taken, the acting user bound."""
        with self._guard(), self.engine.connect() as conn, conn.begin():
            self._bind(conn, self._actor)
            yield conn

    def _bind(self, conn: Connection, actor: Actor | None) -> None:
        """Settle who acts in this transaction (see :meth:`_acting`) and tell the database.

        With no signed-in user, a store without users acts for its owner; a
        store with users acts for no one, and :meth:`_acting` refuses.
        """
        if actor is None and not self._has_users(conn):
            actor = owner()
        conn.info[_ACTOR] = actor
        if conn.dialect.name == "postgresql":
            from ipt_network.io.store import _postgres

            _postgres.bind(conn, actor)

    @staticmethod
    def _acting(conn: Connection) -> Actor:
        """The user this transaction acts for.

        Raises
        ------
        SignInRequired
            When the store has users and no one signed in.
        """
        actor = conn.info.get(_ACTOR)
        if actor is None:
            raise SignInRequired("this store has users: sign in first")
        return cast(Actor, actor)

    @contextmanager
    def _write(
        self,
        event: _audit.Event,
        *,
        bulk: bool = False,
        changes: _bulk.Changes | None = None,
        actor: Actor | None = None,
        bump: bool = True,
    ) -> Iterator[Connection]:
        """A write transaction: the write lock at once (bounded wait), the revision bumped,
        one audit row appended.

        ``event`` is what the audit row records (:mod:`ipt_network.io.store._audit`);
        the body may change it with :func:`_retell` once it knows more (an
        import that replaced clients). The row is appended inside the
        transaction, so the write and its row land together or not at all.
        ``actor`` overrides the signed-in user (the owner's own upgrades);
        ``bump=False`` leaves the revision as it is (an audit-only row).

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
                    self._bind(conn, actor or self._actor)
                    conn.info[_EVENT] = event
                    yield conn
                    _audit.append(conn, self._acting(conn), conn.info.pop(_EVENT))
                    base = _schema.revision(conn)
                    if base is not None and bump:
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
        with self._read() as conn:
            version = _schema.schema_version(conn)
        if version == (_schema.SCHEMA_VERSION if target is None else target):
            return version
        # the owner's own upgrade when no one has signed in (a store is opened before that)
        with self._write(_audit.Event("migrate"), actor=self._actor or owner()) as conn:
            version = _schema.migrate(conn, target)
        self._absent = {}
        return version

    def setting(self, key: str) -> str | None:
        """A store-wide setting such as ``"region"``; ``None`` when never set."""
        with self._read() as conn:
            return _schema.get_setting(conn, key)

    @property
    def region(self) -> Region:
        """The practice's region, for the crisis lines every view shows (default ``us``)."""
        return region(self.setting("region"))

    def set_setting(self, key: str, value: str) -> None:
        """Change a store-wide setting, in one write transaction (owner and admin only).

        Raises
        ------
        Forbidden
            When the acting user does not manage the store.
        """
        with self._write(_audit.Event("setting", detail=key), changes=_bulk.Changes(())) as conn:
            _require_manager(self._acting(conn), "change the store's settings")
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
        server = conn.dialect.name == "postgresql"
        total = sum(len(frame) for _, frame in inventory.items())
        with tqdm(total=total, unit="row", desc="storing", disable=not progress) as bar:
            # the next chunk's rows are made while the database writes this one
            for name, columns, rows in _one_ahead(_batches(inventory)):
                # straight to the driver: the rows are already validated
                if server:  # one statement per chunk: many times faster than a row at a time
                    from ipt_network.io.store import _postgres

                    _postgres.insert_rows(conn, name, columns, rows)
                else:
                    quoted = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join([mark] * len(columns))
                    conn.exec_driver_sql(f"INSERT INTO {name} ({quoted}) VALUES ({marks})", rows)
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
        event = _audit.Event("import", ids, rows=sum(len(f) for _, f in rows.items()))
        with self._write(event, bulk=True, changes=changes) as conn:
            actor = self._acting(conn)
            if actor.role == "researcher":
                raise Forbidden("a researcher cannot import clients")
            present = self._existing(conn, ids)
            if actor.role == "therapist":
                mine = set(_access.assigned(conn, _schema.ASSIGNMENTS, actor.name))
                taken = [c for c in _stored_anywhere(conn, ids, present) if c not in mine]
                if taken:
                    raise ClientExists(
                        f"{len(taken)} client id(s) are taken by another therapist's client "
                        f"({', '.join(taken[:10])}); nothing was imported. Choose other ids."
                    )
            if present and not replace:
                shown = ", ".join(present[:10]) + (" ..." if len(present) > 10 else "")
                raise ClientExists(
                    f"{len(present)} client(s) already in the store ({shown}); nothing was "
                    "imported. Use --replace (replace=True in Python) to overwrite them."
                )
            # into an empty store the rows written are the whole tables
            changes.empty_before = not _stored_ids(conn, limit=1)
            if present:
                _retell(conn, _audit.Event("import-replace", ids, rows=event.rows))
            self._delete_clients(conn, present)
            changes.mark(conn)
            if actor.role == "therapist":  # first: PostgreSQL's policies then accept the rows
                _assign(conn, actor.name, [c for c in ids if c not in set(present)])
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
        n_rows = sum(len(tables[n]) for n in written)
        event = _audit.Event("record", [client_id], rows=n_rows, detail=",".join(written))
        with self._write(event, changes=_bulk.Changes([client_id], tables=written)) as conn:
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
        action: str = "update",
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
        action : {"update", "focus"}
            What the audit row calls the change.

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
        event = _audit.Event(
            "focus" if action == "focus" else "update", [client_id], rows=1, detail=table
        )
        with self._write(event, changes=_bulk.Changes([client_id], tables=[table])) as conn:
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
        self.update(client_id, "clients", {}, values, check=had_session, action="focus")

    def study_keys(
        self, client_ids: Sequence[str], *, event: _audit.Event | None = None
    ) -> dict[str, StudyKey]:
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
        event : Event, optional
            The audit row of the read these keys are for (a de-identified
            export): appended with the new keys, or alone when there are none.

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
            self._check_keys_allowed(conn, wanted)
            known = _read_study_keys(conn)
        if all(c in known for c in wanted):
            if event is not None:
                self.record(event)
            return {c: known[c] for c in wanted}
        if self.schema_version < _schema.SCHEMA_VERSION:
            self.migrate()
        missing = [c for c in wanted if c not in known]
        event = event or _audit.Event("study-keys", missing, rows=len(missing))
        with self._write(event, changes=_bulk.Changes(())) as conn:
            self._check_keys_allowed(conn, wanted)
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
        """Every stored client id the acting user may see, sorted.

        Raises
        ------
        Forbidden
            For a researcher, who sees no identified record.
        """
        with self._read() as conn:
            visible = self._visible(conn)
            stored = _stored_ids(conn)
        return sorted(stored if visible is None else set(stored) & visible)

    def _visible(self, conn: Connection) -> set[str] | None:
        """The client ids the acting user may see; ``None`` for every client.

        Raises
        ------
        SignInRequired
            When the store has users and no one signed in.
        Forbidden
            For a researcher (no identified record at all).
        """
        actor = self._acting(conn)
        if actor.sees_all:
            return None
        if actor.role == "therapist":
            return set(_access.assigned(conn, _schema.ASSIGNMENTS, actor.name))
        raise Forbidden(
            "a researcher sees de-identified tables only (the cohort page, "
            "export --deidentify, model)"
        )

    def _inventory(self, conn: Connection, client_ids: list[str]) -> Inventory:
        visible = self._visible(conn)
        missing = set(client_ids) - set(self._existing(conn, client_ids))
        if visible is not None:  # another therapist's client does not exist for this one
            missing |= set(client_ids) - visible
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
        with self._read() as conn:
            if client_ids is not None:
                return self._inventory(conn, list(client_ids))
            self._visible(conn)  # a researcher reads no identified record, not even this way
        return Inventory.from_tables(self.read_tables(list(TABLES)))

    def deidentified(
        self, client_ids: Sequence[str] | None = None, *, export: str | None = None
    ) -> Inventory:
        """The tables of some clients (default: all the acting user may see), de-identified.

        What ``export --deidentify`` writes and what a researcher reads
        (:func:`ipt_network.io.deidentify.deidentify`): study ids, dates moved
        back by each client's offset, ages of 90 and over as 90, person and
        goal ids re-keyed, no text. The study keys missing are made first (one
        write, :meth:`study_keys`). A researcher may ask for every client;
        others for the clients they see.

        With ``export`` (the format written), the read is an export: one
        ``export-deidentified`` audit row names the clients (by their real
        ids, in the trail only), in the same write as their new study keys.

        Raises
        ------
        ClientNotFound
            When a client asked for is not stored or not visible.
        """
        from ipt_network.io.deidentify import deidentify

        with self._read() as conn:
            researcher = self._acting(conn).role == "researcher"
            if researcher:  # every client, identified only here, on the way to de-identifying
                stored = set(_stored_ids(conn))
                tables = _bulk.cached_read(
                    conn, list(TABLES), self._columns, self._revision_of(conn), self._absent
                )
        if not researcher:
            inventory = self.inventory(client_ids)
        elif client_ids is None:
            inventory = Inventory.from_tables(tables)
        else:
            missing = [c for c in client_ids if c not in stored]
            if missing:
                raise ClientNotFound(missing[0])
            inventory = Inventory.from_tables(tables).for_clients(list(client_ids))
        ids = inventory.client_ids()
        rows = sum(len(frame) for _, frame in inventory.items())
        event = None if export is None else _audit.Event("export-deidentified", ids, rows, export)
        keys = self.study_keys(ids, event=event)
        return deidentify(inventory, {c: (k.study_id, k.date_offset_days) for c, k in keys.items()})

    def read_tables(self, names: Sequence[str]) -> dict[str, pd.DataFrame]:
        """Whole tables as typed DataFrames, read in bulk from one consistent snapshot.

        A SQLite store keeps a columnar copy of each table read this way,
        keyed by the store revision (:mod:`ipt_network.io.store._bulk`): the
        next read at the same revision comes from it, several times faster
        than SQL. Every write of this class (an import, an append, a focus, a
        setting) renews the copy for the revision it makes, so the first read
        after a small write is as fast as the next. Python's ``sqlite3`` is
        the only SQLite library used.

        Who reads what: the owner and an admin read every client; a therapist
        the clients assigned to them; a researcher every client de-identified
        (study ids, shifted dates, no text; the study keys missing are made
        first, one write).

        Parameters
        ----------
        names : sequence of str
            Table names of the contract.
        """
        with self._read() as conn:
            researcher = self._acting(conn).role == "researcher"
            if not researcher:
                visible = self._visible(conn)
                tables = _bulk.cached_read(
                    conn, names, self._columns, self._revision_of(conn), self._absent
                )
        if researcher:
            anon = self.deidentified()
            return {name: getattr(anon, name) for name in names}
        if visible is None:
            return tables
        return {
            name: frame[frame["client_id"].isin(visible)].reset_index(drop=True)
            for name, frame in tables.items()
        }

    def _revision_of(self, conn: Connection) -> int | None:
        """The revision that keys the columnar copy; ``None`` when there is no copy."""
        return _schema.revision(conn) if self._columns is not None else None

    # ------------------------------------------------------------------ users and access
    @property
    def actor(self) -> Actor:
        """The user reads and writes act for (the owner while the store has no users).

        Raises
        ------
        SignInRequired
            When the store has users and no one signed in.
        """
        with self._read() as conn:
            return self._acting(conn)

    def acting_as(self, actor: Actor) -> Store:
        """This store as seen by ``actor``: every read and write limited to what they may do.

        A view sharing this store's connections; asking twice for the same
        user gives the same view, so caches keyed by the store keep working.
        Get the actor from :meth:`sign_in`.

        Examples
        --------
        >>> import tempfile, os
        >>> from ipt_network import load_samples
        >>> store = Store.create(os.path.join(tempfile.mkdtemp(), "ipt.db"))
        >>> store.import_inventory(load_samples())
        4
        >>> store.add_user("lee", "admin", "the admin's long password")
        >>> lee = store.acting_as(store.sign_in("lee", "the admin's long password"))
        >>> lee.add_user("ann", "therapist", "a long enough password")
        >>> lee.assign("ann", ["grief-01"])
        >>> ann = store.acting_as(store.sign_in("ann", "a long enough password"))
        >>> ann.client_ids()
        ['grief-01']
        >>> ann.inventory(["dispute-01"])
        Traceback (most recent call last):
        ...
        ipt_network.errors.ClientNotFound: no client with id 'dispute-01'
        >>> store.client_ids()  # with users, no one acts unless signed in
        Traceback (most recent call last):
        ...
        ipt_network.errors.SignInRequired: this store has users: sign in first
        >>> store.close()
        """
        base = self._base
        view = base._views.get(actor)
        if view is None:
            view = copy.copy(base)
            view._actor = actor
            view._views = {}
            base._views[actor] = view
        return view

    def _has_users(self, conn: Connection) -> bool:
        if self._absent.get("users"):  # an older store, read as it is: no users table yet
            return False
        return conn.execute(sa.select(_schema.USERS.c.name).limit(1)).first() is not None

    def has_users(self) -> bool:
        """Whether the store has users (then every read and write needs one signed in)."""
        with self._read() as conn:
            return self._has_users(conn)

    def member(self, name: str) -> Actor | None:
        """The user ``name`` with their current role; ``None`` when there is no such user.

        The dashboard asks on every request, so a removed user or a changed
        role takes effect at once.
        """
        users = _schema.USERS
        with self._read() as conn:
            if not self._has_users(conn):
                return None
            row = conn.execute(sa.select(users.c.role).where(users.c.name == name)).first()
        return None if row is None else Actor(name, str(row[0]))

    def sign_in(self, name: str, password: str) -> Actor:
        """The user ``name`` when ``password`` is theirs.

        An unknown name costs the same Argon2 check as a wrong password, and
        both give the same sentence.

        Raises
        ------
        SignInFailed
            For an unknown user or a wrong password.
        """
        users = _schema.USERS
        with self._read() as conn:
            row = (
                conn.execute(
                    sa.select(users.c.role, users.c.password_hash).where(
                        users.c.name == name.strip().lower()
                    )
                ).first()
                if self._has_users(conn)
                else None
            )
        hashed = str(row[1]) if row is not None else _access.dummy_hash()
        if not _access.password_matches(hashed, password) or row is None:
            raise SignInFailed("the user name or the password is wrong")
        return Actor(name.strip().lower(), str(row[0]))

    def users(self) -> list[UserInfo]:
        """Every user with their role and assigned clients, by name (owner and admin only)."""
        users, links = _schema.USERS, _schema.ASSIGNMENTS
        with self._read() as conn:
            _require_manager(self._acting(conn), "list the users")
            if not self._has_users(conn):
                return []
            rows = conn.execute(
                sa.select(users.c.name, users.c.role, users.c.created).order_by(users.c.name)
            ).all()
            pairs = conn.execute(sa.select(links.c.user_name, links.c.client_id)).all()
        clients: dict[str, list[str]] = {}
        for user, client in pairs:
            clients.setdefault(user, []).append(client)
        return [UserInfo(r[0], r[1], r[2], tuple(sorted(clients.get(r[0], [])))) for r in rows]

    def add_user(self, name: str, role: str, password: str) -> None:
        """Add a user with a role and a password (kept as an Argon2id hash).

        The first user of a store must be an admin (added by the owner);
        after that only an admin adds users.

        Raises
        ------
        BadArgument
            For a bad name, an unknown role, a short password, or a first user
            who is not an admin.
        Forbidden
            When the acting user is not an admin.
        ClientExists
            Never; a taken name is a :class:`BadArgument`.
        """
        name, role = _access.check_user_name(name), _access.check_role(role)
        hashed = _access.hash_password(password)
        if self.schema_version < _schema.SCHEMA_VERSION:
            self.migrate()
        users = _schema.USERS
        with self._write(_audit.Event("user-add", detail=f"{name} as {role}")) as conn:
            _require_manager(self._acting(conn), "add users")
            if not self._has_users(conn) and role != "admin":
                raise BadArgument("the first user of a store is an admin: --role admin")
            if conn.execute(sa.select(users.c.name).where(users.c.name == name)).first():
                raise BadArgument(f"there is already a user {name!r}")
            created = datetime.now(UTC).isoformat(timespec="seconds")
            conn.execute(
                users.insert(),
                {"name": name, "role": role, "password_hash": hashed, "created": created},
            )

    def remove_user(self, name: str) -> None:
        """Remove a user and their assignments (their audit rows stay).

        Raises
        ------
        BadArgument
            When there is no such user, or it is the last admin.
        Forbidden
            When the acting user is not an admin.
        """
        users, links = _schema.USERS, _schema.ASSIGNMENTS
        name = name.strip().lower()
        with self._write(_audit.Event("user-remove", detail=name)) as conn:
            _require_manager(self._acting(conn), "remove users")
            role = conn.execute(sa.select(users.c.role).where(users.c.name == name)).scalar()
            if role is None:
                raise BadArgument(f"there is no user {name!r}")
            admins = conn.execute(
                sa.select(sa.func.count()).select_from(users).where(users.c.role == "admin")
            ).scalar_one()
            if role == "admin" and admins == 1:
                raise BadArgument("this is the last admin; add another admin first")
            conn.execute(links.delete().where(links.c.user_name == name))
            conn.execute(users.delete().where(users.c.name == name))

    def assign(self, name: str, client_ids: Sequence[str]) -> None:
        """Let the therapist ``name`` see and edit these clients (owner and admin only).

        Raises
        ------
        BadArgument
            When there is no such user, or the user is not a therapist.
        ClientNotFound
            When a client is not stored.
        Forbidden
            When the acting user is not an admin.
        """
        self._assignment("assign", name, client_ids)

    def unassign(self, name: str, client_ids: Sequence[str]) -> None:
        """Take these clients from the therapist ``name`` (owner and admin only)."""
        self._assignment("unassign", name, client_ids)

    def _assignment(self, action: str, name: str, client_ids: Sequence[str]) -> None:
        users, links = _schema.USERS, _schema.ASSIGNMENTS
        name, ids = name.strip().lower(), list(dict.fromkeys(client_ids))
        with self._write(_audit.Event(action, ids, rows=len(ids), detail=name)) as conn:
            _require_manager(self._acting(conn), "assign clients")
            role = conn.execute(sa.select(users.c.role).where(users.c.name == name)).scalar()
            if role != "therapist":
                raise BadArgument(
                    f"there is no user {name!r}"
                    if role is None
                    else f"{name!r} is a {role}: only therapists are assigned clients"
                )
            missing = sorted(set(ids) - set(self._existing(conn, ids)))
            if missing:
                raise ClientNotFound(missing[0])
            if action == "assign":
                _assign(conn, name, ids)
            else:
                conn.execute(
                    links.delete().where(links.c.user_name == name, links.c.client_id.in_(ids))
                )

    # ------------------------------------------------------------------ the audit trail
    def record(self, event: _audit.Event) -> None:
        """Append one audit row for a read that leaves the system (an export, a report).

        The revision stays as it is (nothing of the record changed). The
        clients named must be ones the acting user may see. An older store is
        upgraded first.

        Raises
        ------
        ClientNotFound
            When a client named is not one the acting user may see.
        """
        if self.schema_version < _schema.SCHEMA_VERSION:
            self.migrate()
        with self._write(event, bump=False) as conn:
            actor = self._acting(conn)
            if actor.role != "researcher":
                visible = self._visible(conn)
                if visible is not None and not set(event.clients) <= visible:
                    raise ClientNotFound(sorted(set(event.clients) - visible)[0])

    def audit_trail(self, client: str | None = None) -> pd.DataFrame:
        """The audit trail, oldest first; only the rows naming ``client`` when given.

        Owner and admin only: the trail names every client.

        Raises
        ------
        Forbidden
            For a therapist or a researcher.
        """
        with self._trail("read the audit trail") as conn:
            return _audit.read_empty() if conn is None else _audit.read(conn, client)

    def verify_audit(self) -> _audit.AuditCheck:
        """Check that no audit row was edited, deleted, inserted or reordered.

        Raises
        ------
        Forbidden
            For a therapist or a researcher.
        """
        with self._trail("check the audit trail") as conn:
            return _audit.AuditCheck(True, 0) if conn is None else _audit.verify(conn)

    @contextmanager
    def _trail(self, doing: str) -> Iterator[Connection | None]:
        """A read of the audit trail by a manager; ``None`` when the store has no trail yet."""
        with self._read() as conn:
            _require_manager(self._acting(conn), doing)
            yield None if self._absent.get("audit") else conn

    # ------------------------------------------------------------------ backups
    def backup(
        self,
        target: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        progress: bool | None = False,
    ) -> _backup.Backup:
        """Copy this SQLite store to ``target`` while it is in use (owner and admin only).

        One consistent snapshot, encrypted as the store is; see
        :func:`~ipt_network.io.store._backup.backup`.
        """
        return _backup.backup(self, target, overwrite=overwrite, progress=progress)

    @staticmethod
    def restore(
        source: str | os.PathLike[str],
        db: str | os.PathLike[str] | None = None,
        *,
        key: str | None = None,
        actor: Actor | None = None,
        progress: bool | None = False,
    ) -> _backup.Restored:
        """Put a backup in place of the store at ``db`` (stop the dashboard first).

        The store replaced is kept beside it; see
        :func:`~ipt_network.io.store._backup.restore`.
        """
        return _backup.restore(source, db, key=key, actor=actor, progress=progress)

    def _check_keys_allowed(self, conn: Connection, client_ids: Sequence[str]) -> None:
        """Study keys are made for clients the acting user may export (researchers: any)."""
        actor = self._acting(conn)
        if actor.role == "researcher":
            return
        visible = self._visible(conn)
        if visible is not None and not set(client_ids) <= visible:
            raise ClientNotFound(sorted(set(client_ids) - visible)[0])


class UserInfo(NamedTuple):
    """One user of a store, as :meth:`Store.users` lists them (never the password hash)."""

    name: str
    role: str
    created: str
    clients: tuple[str, ...]


#: Keys of ``Connection.info``: the transaction's acting user, and its audit event.
_ACTOR: Final = "ipt_network_actor"
_EVENT: Final = "ipt_network_event"


def _retell(conn: Connection, event: _audit.Event) -> None:
    """Change what the current write transaction's audit row records."""
    conn.info[_EVENT] = event


def _require_manager(actor: Actor, what: str) -> None:
    """Refuse, naming what was asked, unless the actor manages the store."""
    if not actor.manages:
        raise Forbidden(f"only an admin can {what}")


def _stored_anywhere(conn: Connection, client_ids: Sequence[str], seen: list[str]) -> list[str]:
    """Which of ``client_ids`` are stored, visible to the acting user or not.

    ``seen`` are those the user's own reads found; on PostgreSQL the policies
    hide other therapists' clients from those reads, so the server is asked
    (:func:`~ipt_network.io.store._postgres.stored`).
    """
    if conn.dialect.name != "postgresql":
        return seen
    from ipt_network.io.store import _postgres

    return _postgres.stored(conn, client_ids)


def _assign(conn: Connection, user: str, client_ids: Sequence[str]) -> None:
    """Add assignments (those already there are kept), inside a write transaction."""
    links = _schema.ASSIGNMENTS
    have = set(_access.assigned(conn, links, user))
    new = [{"user_name": user, "client_id": c} for c in client_ids if c not in have]
    if new:
        conn.execute(links.insert(), new)


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


def _batches(inventory: Inventory) -> Iterator[tuple[str, list[str], list[tuple[object, ...]]]]:
    """``(table, columns, rows)`` chunk by chunk, table by table in the contract's order."""
    for name in TABLE_ORDER:
        frame = getattr(inventory, name)
        # a column empty in every row is left to SQL's NULL: fewer values to pass
        columns = [c for c in TABLES[name].names if frame[c].notna().any()]
        if not columns:
            continue
        for rows in _rows(frame[columns]):
            yield name, columns, rows


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
