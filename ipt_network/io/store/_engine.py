"""Connecting to a store: URLs, SQLite settings, locks, private files, clear errors.

**One SQLite library per store file per process.** Every connection to a
SQLite store goes through Python's own ``sqlite3`` module (through
SQLAlchemy). No second copy of SQLite (such as the one bundled in ADBC's
SQLite driver) may open a store file in the same process: each copy keeps its
own POSIX locks, and when one closes its last connection it checkpoints and
deletes the ``-wal`` and ``-shm`` files under the other, which corrupts the
store (SQLite's "How To Corrupt An SQLite Database File", section 2.2.1).
Fast bulk reads use a columnar copy written at a known store revision instead
(:mod:`ipt_network.io.store._bulk`).

**Readers never wait for writers.** The store runs in WAL mode: a read sees
the last committed state and takes no write lock. Opening a store for reading
writes nothing. A write transaction starts with ``BEGIN IMMEDIATE``, so it
takes the write lock at once or waits for it up to :func:`busy_timeout`
seconds, then fails with :class:`~ipt_network.errors.StoreBusy` and changes
nothing.

**Encryption at rest.** A store made with a key (``ipt-network init
--encrypt``; the key from ``IPT_NETWORK_KEY`` or a prompt, never an option)
is an SQLCipher file: every page of the store, its WAL and its journal is
encrypted (AES-256), and temporary tables stay in memory. Such a file is
opened only through ``sqlcipher3`` (SQLCipher's own copy of SQLite), never
through ``sqlite3``: the same one-library rule, one library per file. Without
the key, or with a wrong one, opening stops with one sentence
(:class:`~ipt_network.errors.KeyRequired`, :class:`~ipt_network.errors.WrongKey`).

**Private files.** A new store file is created readable and writable by its
owner only (0600); SQLite gives its ``-wal`` and ``-shm`` files the same
mode. A folder made for it is 0700.

Examples
--------
>>> resolve_url("postgresql://host/ipt")
'postgresql+psycopg://host/ipt'
>>> resolve_url("/data/ipt.db")
'sqlite:////data/ipt.db'
>>> busy_timeout() > 0
True
"""

from __future__ import annotations

import os
import stat
import weakref
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ipt_network.errors import (
    BadArgument,
    DriverMissing,
    Forbidden,
    IPTNetworkError,
    KeyRequired,
    NotAStore,
    StoreBusy,
    StoreError,
    WrongKey,
)
from ipt_network.io._files import private_folder

__all__ = [
    "default_db_path",
    "resolve_url",
    "sqlite_path",
    "busy_timeout",
    "make_engine",
    "translate",
    "prepare_sqlite_file",
    "is_encrypted",
    "connect_file",
    "engine_key",
    "KEY_ENV",
    "MIN_KEY_LENGTH",
    "WRITE",
    "BUSY_TIMEOUT_ENV",
    "DEFAULT_BUSY_TIMEOUT",
]

#: Seconds a writer waits for another writer before giving up (see :func:`busy_timeout`).
DEFAULT_BUSY_TIMEOUT: Final = 10.0
#: Environment variable that changes the busy timeout, in seconds.
BUSY_TIMEOUT_ENV: Final = "IPT_NETWORK_BUSY_TIMEOUT"
#: Execution option that marks a connection's transaction as a write.
WRITE: Final = "ipt_network_write"
#: Environment variable that holds an encrypted store's key (never a command-line option).
KEY_ENV: Final = "IPT_NETWORK_KEY"
#: The shortest key a new encrypted store accepts.
MIN_KEY_LENGTH: Final = 12
#: The first 16 bytes of every plain SQLite file.
_SQLITE_HEADER: Final = b"SQLite format 3\x00"
#: SQLite's smallest page: a database file is always a whole number of pages.
_MIN_PAGE: Final = 512
#: The key of each encrypted store's engine (for backups, which open a second file alike).
_KEYS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()

#: Database drivers by URL scheme: (SQLAlchemy dialect+driver, package to install).
_DRIVERS: Final = {
    "postgresql": ("postgresql+psycopg", "psycopg[binary]"),
    "postgres": ("postgresql+psycopg", "psycopg[binary]"),
}


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
    import platformdirs

    folder = platformdirs.user_config_dir("ipt-network", appauthor=False, roaming=True)
    return Path(folder) / "store.db"


def resolve_url(db: str | os.PathLike[str] | None) -> str:
    """An SQLAlchemy URL from a path, a URL or ``None`` (the default path).

    A bare ``postgresql://`` URL is given the psycopg (version 3) driver.
    """
    if db is not None and "://" in str(db):
        url = str(db)
        scheme, rest = url.split("://", 1)
        if scheme in _DRIVERS:
            return f"{_DRIVERS[scheme][0]}://{rest}"
        return url
    path = Path(db) if db is not None else default_db_path()
    return f"sqlite:///{path.expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; ``None`` for other databases and in-memory SQLite."""
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(rest) if rest and rest != ":memory:" else None


def busy_timeout() -> float:
    """Seconds a write waits for another program's write before it gives up.

    :data:`DEFAULT_BUSY_TIMEOUT` (10 s) unless ``IPT_NETWORK_BUSY_TIMEOUT`` says
    otherwise. Reads never wait: they see the last committed state.
    """
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT
    return value if value >= 0 else DEFAULT_BUSY_TIMEOUT


def is_encrypted(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` looks like an encrypted (SQLCipher) store file.

    A file that is not empty, does not start with SQLite's header (SQLCipher
    encrypts it with the rest of the first page) and, like every SQLite
    file, is a whole number of pages. Only opening it with the key tells for
    sure; a text file or a folder is not one.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> notes = os.path.join(folder, "notes.txt")
    >>> with open(notes, "w") as handle:
    ...     _ = handle.write("not a store")
    >>> is_encrypted(notes), is_encrypted(os.path.join(folder, "nothing.db"))
    (False, False)
    """
    try:
        size = os.stat(path).st_size
        if not stat.S_ISREG(os.stat(path).st_mode) or size < _MIN_PAGE or size % _MIN_PAGE:
            return False
        with open(path, "rb") as handle:
            return handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER
    except OSError:
        return False


def _key_required(path: Path) -> KeyRequired:
    return KeyRequired(
        f"{path} is an encrypted store: set {KEY_ENV} to its key "
        "(on a terminal, ipt-network asks for it)"
    )


def prepare_sqlite_file(path: Path, *, create: bool, key: str | None = None) -> None:
    """Check (and, with ``create``, make) the file of a SQLite store, owner-only.

    With a ``key`` the file is (or becomes) an encrypted store: an existing
    one must not be a plain SQLite file, a new one needs a key of at least
    :data:`MIN_KEY_LENGTH` characters.

    Raises
    ------
    NotAStore
        When the path is a folder, or an existing file that is not SQLite.
    KeyRequired
        When the file is an encrypted store and no key was given.
    StoreError
        When there is no file and ``create`` is false, or a key is given for a
        store that is not encrypted.
    BadArgument
        When a new encrypted store's key is too short.
    """
    if path.is_dir():
        raise NotAStore(f"{path} is a folder, not an ipt-network store; give the store's file")
    if not path.exists():
        if not create:
            raise StoreError(f"no store at {path}; make one with: ipt-network init --db {path}")
        if key is not None and len(key) < MIN_KEY_LENGTH:
            raise BadArgument(f"an encryption key has at least {MIN_KEY_LENGTH} characters")
        private_folder(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise StoreError(f"{path} cannot be read ({exc.strerror})") from None
    if head == _SQLITE_HEADER and key is not None:
        raise StoreError(
            f"{path} is a store without encryption: open it without a key (unset {KEY_ENV})"
        )
    if head and head != _SQLITE_HEADER and key is None:
        if is_encrypted(path):
            raise _key_required(path)
        raise NotAStore(f"{path} is not an ipt-network store (it is not a SQLite database)")
    if create and stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the sqlite3 module, opens transactions, so DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlcipher() -> Any:
    """SQLCipher's DB-API module; a clear sentence when the extra is not installed."""
    try:
        from sqlcipher3 import dbapi2
    except ModuleNotFoundError:
        raise DriverMissing(
            "an encrypted store needs SQLCipher: pip install 'ipt-network[encrypt]'"
        ) from None
    return dbapi2


def _literal(key: str) -> str:
    """``key`` as an SQL string literal (``PRAGMA key`` takes no bound parameters)."""
    if not key or "\x00" in key:
        raise BadArgument("an encryption key is a non-empty text without NUL characters")
    return "'" + key.replace("'", "''") + "'"


def connect_file(path: str | os.PathLike[str], key: str | None = None) -> Any:
    """A DB-API connection to a SQLite file: ``sqlite3`` without a key, SQLCipher with one.

    For the store's engine and for copies of it (backups): a file is always
    opened by the library that encrypts it, or by Python's own when plain.
    With a key, ``PRAGMA key`` runs first, temporary tables stay in memory,
    and the key is checked at once by reading the schema; the library's
    own log lines are silenced, so a wrong key is one sentence. The
    connection has autocommit on (the caller opens transactions) and the
    store's busy timeout.

    Raises
    ------
    WrongKey
        When the key does not open the file (or the file is no encrypted store).
    DriverMissing
        When a key is given and SQLCipher is not installed.

    Examples
    --------
    >>> import tempfile, os
    >>> conn = connect_file(os.path.join(tempfile.mkdtemp(), "copy.db"))
    >>> conn.execute("SELECT 1").fetchone()
    (1,)
    >>> conn.close()
    """
    if key is None:
        import sqlite3

        plain = sqlite3.connect(os.fspath(path), check_same_thread=False)
        _sqlite_connect(plain, None)
        return plain
    dbapi = _sqlcipher()
    conn = dbapi.connect(os.fspath(path), check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {_literal(key)}")
        conn.execute("PRAGMA temp_store = MEMORY")
        _sqlite_connect(conn, None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except dbapi.DatabaseError as exc:
        conn.close()
        if "not a database" in str(exc).lower():
            raise WrongKey(
                f"the key does not open {path}: set {KEY_ENV} to the key the store was "
                "made with (or this file is no encrypted ipt-network store)"
            ) from None
        raise
    except BaseException:
        conn.close()
        raise
    return conn


def engine_key(engine: Engine) -> str | None:
    """The key of an encrypted store's engine; ``None`` for a plain one."""
    return _KEYS.get(engine)


def _sqlite_begin(conn: Connection) -> None:
    # A write takes the write lock at its start (and waits for it up to the busy
    # timeout); a read only reads a snapshot and never blocks on a writer.
    writing = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _postgres_begin(conn: Connection) -> None:
    # The same rule on a PostgreSQL server: a write waits a bounded time for the write lock
    # at its start, a read takes a snapshot and no lock (ipt_network.io.store._postgres).
    from ipt_network.io.store import _postgres

    writing = bool(conn.get_execution_options().get(WRITE, False))
    _postgres.begin(conn, writing=writing, timeout=busy_timeout())


#: PostgreSQL error codes (SQLSTATE) a user can act on: a writer that waited too long, and a
#: server that cannot be reached with these credentials or has no such database.
_PG_BUSY: Final = {"55P03", "40001", "40P01"}
_PG_LOGIN: Final = {"28000", "28P01"}
_PG_NO_DATABASE: Final = "3D000"
#: What the server says when it refuses a login (an unknown role, a wrong password, no entry).
_PG_LOGIN_WORDS: Final = ("role", "password", "pg_hba.conf", "authentication")
_PG_POLICY: Final = "row-level security"


def _translate_postgres(error: BaseException, code: str | None) -> IPTNetworkError | None:
    """The sentence for a PostgreSQL error (``None``: not one of its own).

    A refusal while connecting carries no error code, only the server's
    words (``FATAL: database "x" does not exist``), so those are read too.
    """
    text = str(error).lower()
    if code is None and "fatal" in text:
        if "database" in text and "does not exist" in text:
            code = _PG_NO_DATABASE
        elif any(w in text for w in _PG_LOGIN_WORDS):
            code = "28000"
    if code in _PG_LOGIN:
        return StoreError(
            "the database server refused the user name or password in the store's address"
        )
    if code == _PG_NO_DATABASE:
        return StoreError(
            "the database server has no database of that name; ask its administrator to "
            "make one (see the README, 'A practice's PostgreSQL server')"
        )
    if _PG_POLICY in text:
        return Forbidden("this user may not write rows of that client")
    if code is None and ("connection" in text or "server" in text) and "failed" in text:
        return StoreError(
            "the database server in the store's address cannot be reached; check the host "
            "and port, and that the server is running"
        )
    return None


def _close_when_gone(engine: Engine) -> None:
    """Close a server engine's pooled connections when the engine is dropped (or at exit).

    A command that opens a store and ends without closing it would otherwise
    leave its connections to be collected open (psycopg warns) and the server
    to notice the client gone only later. Every pool the engine has had (each
    :meth:`~sqlalchemy.engine.Engine.dispose` makes a new one) is closed.
    """
    pools = [engine.pool]
    sa.event.listen(engine, "engine_disposed", lambda disposed: pools.append(disposed.pool))

    def close_all() -> None:
        for pool in pools:
            pool.dispose()

    weakref.finalize(engine, close_all)


def translate(error: BaseException) -> IPTNetworkError | None:
    """The ipt-network error, with a sentence a user can act on, for a database error.

    ``None`` when the error is not one a user can do anything about (then it
    becomes a plain :class:`~ipt_network.errors.StoreError`).
    """
    text = str(error).lower()
    code = getattr(error, "sqlstate", None)
    if code is not None or type(error).__module__.startswith("psycopg"):
        better = _translate_postgres(error, code)
        if better is not None:
            return better
    if "locked" in text or "busy" in text or code in _PG_BUSY:
        return StoreBusy(
            "another program is writing to the store (an import, or the dashboard "
            f"saving a session); waited {busy_timeout():g} s. Nothing was changed: "
            "try again in a moment."
        )
    if "file is not a database" in text or "not a database" in text:
        return NotAStore("this file is not an ipt-network store (it is not a SQLite database)")
    if "unable to open database" in text or "readonly" in text or "read-only" in text:
        return StoreError(f"the store cannot be opened for this ({type(error).__name__})")
    if "no such column" in text or "no such table" in text or code in ("42P01", "42703"):
        return StoreError(
            "the store's tables are older than this ipt-network; upgrade the store with "
            "ipt-network init --db <the store>"
        )
    return None


def _translate(context: Any) -> None:
    """SQLAlchemy's error hook: raise the translated error in place of the driver's."""
    better = translate(context.original_exception)
    if better is not None:
        raise better from None


def make_engine(url: str, key: str | None = None) -> Engine:
    """An engine for ``url`` with the store's SQLite settings and error translation.

    With a ``key`` (a SQLite file only) every connection is an SQLCipher one
    made by :func:`connect_file`; no ``sqlite3`` connection ever opens the file.

    Raises
    ------
    DriverMissing
        When the URL's database driver is not installed (the package is named).
    StoreError
        When the URL is not one SQLAlchemy knows, or a key is given for a
        database that is not a SQLite file.
    """
    options: dict[str, Any] = {}
    if key is not None:
        file = sqlite_path(url)
        if file is None:
            raise StoreError(
                "a key encrypts a SQLite store file; a database server such as PostgreSQL "
                "encrypts its own disks and connections (see its documentation)"
            )
        _literal(key)  # an empty key would leave the file in clear
        options = {"module": _sqlcipher(), "creator": lambda: connect_file(file, key)}
    try:
        engine = sa.create_engine(url, **options)
    except ModuleNotFoundError as exc:
        scheme = url.split("://", 1)[0].split("+", 1)[0]
        package = _DRIVERS.get(scheme, ("", exc.name or "the driver"))[1]
        raise DriverMissing(
            f"this store needs the database driver {exc.name!r}: pip install '{package}'"
        ) from None
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise StoreError(f"not a store address ipt-network understands ({exc})") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    elif engine.dialect.name == "postgresql":
        sa.event.listen(engine, "begin", _postgres_begin)
        _close_when_gone(engine)
    sa.event.listen(engine, "handle_error", _translate)
    if key is not None:
        _KEYS[engine] = key
    return engine


def enable_wal(engine: Engine) -> None:
    """Put a SQLite store file in WAL mode (persistent in the file); a no-op elsewhere."""
    if engine.dialect.name != "sqlite" or sqlite_path(str(engine.url)) is None:
        return
    raw = engine.raw_connection()  # outside any transaction: the mode cannot change inside one
    try:
        cursor = raw.cursor()
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
    finally:
        raw.close()
