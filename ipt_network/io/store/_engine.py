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
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ipt_network.errors import DriverMissing, IPTNetworkError, NotAStore, StoreBusy, StoreError
from ipt_network.io._files import private_folder

__all__ = [
    "default_db_path",
    "resolve_url",
    "sqlite_path",
    "busy_timeout",
    "make_engine",
    "translate",
    "prepare_sqlite_file",
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


def prepare_sqlite_file(path: Path, *, create: bool) -> None:
    """Check (and, with ``create``, make) the file of a SQLite store, owner-only.

    Raises
    ------
    NotAStore
        When the path is a folder, or an existing file that is not SQLite.
    StoreError
        When there is no file and ``create`` is false.
    """
    if path.is_dir():
        raise NotAStore(f"{path} is a folder, not an ipt-network store; give the store's file")
    if not path.exists():
        if not create:
            raise StoreError(f"no store at {path}; make one with: ipt-network init --db {path}")
        private_folder(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise StoreError(f"{path} cannot be read ({exc.strerror})") from None
    if head and head != b"SQLite format 3\x00":
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


def _sqlite_begin(conn: Connection) -> None:
    # A write takes the write lock at its start (and waits for it up to the busy
    # timeout); a read only reads a snapshot and never blocks on a writer.
    writing = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def translate(error: BaseException) -> IPTNetworkError | None:
    """The ipt-network error, with a sentence a user can act on, for a database error.

    ``None`` when the error is not one a user can do anything about (then it
    becomes a plain :class:`~ipt_network.errors.StoreError`).
    """
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return StoreBusy(
            "another program is writing to the store (an import, or the dashboard "
            f"saving a session); waited {busy_timeout():g} s. Nothing was changed: "
            "try again in a moment."
        )
    if "file is not a database" in text or "not a database" in text:
        return NotAStore("this file is not an ipt-network store (it is not a SQLite database)")
    if "unable to open database" in text or "readonly" in text or "read-only" in text:
        return StoreError(f"the store cannot be opened for this ({type(error).__name__})")
    if "no such column" in text or "no such table" in text:
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


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the store's SQLite settings and error translation.

    Raises
    ------
    DriverMissing
        When the URL's database driver is not installed (the package is named).
    StoreError
        When the URL is not one SQLAlchemy knows.
    """
    try:
        engine = sa.create_engine(url)
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
    sa.event.listen(engine, "handle_error", _translate)
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
