"""Backups of a SQLite store while it is in use, and restoring one.

**Backup.** :func:`backup` copies the store with SQLite's online backup API
(``Connection.backup``) of the library that opens the store: Python's
``sqlite3`` for a plain store, SQLCipher's for an encrypted one, whose copy
is encrypted with the same key. The copy is read inside one read
transaction, so it is the store exactly as it was at one moment (one
revision), however many writes the dashboard or another command makes
meanwhile: in WAL mode a reader never blocks a writer, and the writers'
pages go to the WAL, not into the snapshot being copied. The copy is
written to a temporary owner-only file (0600) beside the target and moved
into place whole; an existing target is refused unless ``overwrite``. The
backup's audit row is appended before the copy is moved into place, so a
backup that cannot be recorded (another writer holding the store past the
busy timeout) leaves no copy behind.

**Restore.** :func:`restore` checks the copy first (a store, of a schema
version this ipt-network reads, that passes SQLite's ``quick_check``, and
encrypted exactly when the store it replaces is), then keeps the store it
replaces as ``<store>.before-restore-<UTC time>`` (0600) and moves the copy
into place with one atomic rename. The store must not be in use: a
dashboard still serving would keep reading the old file through its open
connections and never see the restored one, and a WAL file left behind by
the old store would be replayed into the new one. So the restore first
takes the old store for itself (it leaves WAL mode, which SQLite allows
only to a single connection, and holds the exclusive lock up to the
rename); when another program has the store open, the restore stops with
:class:`~ipt_network.errors.StoreBusy` and changes nothing. **Stop the
dashboard before a restore**, then start it again.

Both need a user who manages the store (the owner of a store without users,
or an admin), and each appends one audit row: ``backup`` to the store that
was copied (before the copy is moved into place), ``restore`` to the restored
store (written into the checked copy before it replaces the store, so the
restored store and its row land together or not at all). The restored
trail is the copy's, which ``audit verify`` accepts, plus that row.

A PostgreSQL store is backed up and restored with the server's own tools
(:data:`SERVER_TOOLS`).

Examples
--------
>>> import tempfile, os
>>> from ipt_network import load_samples
>>> from ipt_network.io.store import Store
>>> folder = tempfile.mkdtemp()
>>> store = Store.create(os.path.join(folder, "ipt.db"))
>>> store.import_inventory(load_samples())
4
>>> copy = store.backup(os.path.join(folder, "ipt-backup.db"))
>>> oct(os.stat(copy.path).st_mode & 0o777), copy.revision == store.revision
('0o600', True)
>>> store.close()
>>> done = restore(copy.path, os.path.join(folder, "ipt.db"))
>>> done.before.name.startswith("ipt.db.before-restore-")
True
>>> with Store.open(done.store) as back:
...     sorted(back.client_ids())[:2]
['deficits-01', 'dispute-01']
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ipt_network.errors import (
    BadArgument,
    InputMissing,
    KeyRequired,
    NotAStore,
    OutputExists,
    StoreBusy,
    StoreError,
)
from ipt_network.io._files import make_private, private_folder, private_output
from ipt_network.io.store import _audit, _bulk
from ipt_network.io.store._access import Actor, owner
from ipt_network.io.store._engine import (
    KEY_ENV,
    connect_file,
    engine_key,
    is_encrypted,
    prepare_sqlite_file,
    resolve_url,
    sqlite_path,
)

if TYPE_CHECKING:
    from ipt_network.io.store import Store

__all__ = ["backup", "restore", "store_file", "Backup", "Restored", "SERVER_TOOLS", "STEP_PAGES"]

#: What to use for a PostgreSQL store, which the server itself copies consistently.
SERVER_TOOLS: Final = (
    "a PostgreSQL store is backed up and restored with the server's own tools, as its "
    "superuser (row-level security hides rows from the store's own role): "
    "pg_dump --format=custom --file=ipt.dump DBNAME while the dashboard serves, and "
    "pg_restore --clean --if-exists --dbname=DBNAME ipt.dump (see the README)"
)
#: Pages copied per step of the backup API (4 MiB of 4 KiB pages), between progress updates.
STEP_PAGES: Final = 1024
#: A bar is shown (``progress=None``) for stores larger than this many bytes.
_LARGE: Final = 64 * 1024 * 1024


@dataclass(frozen=True)
class Backup:
    """A backup made by :func:`backup`.

    Attributes
    ----------
    path : pathlib.Path
        The copy.
    revision : int
        The store revision the copy holds (the audit row of the backup comes after it).
    encrypted : bool
        Whether the copy is encrypted (as the store is).
    """

    path: Path
    revision: int
    encrypted: bool


@dataclass(frozen=True)
class Restored:
    """What :func:`restore` did.

    Attributes
    ----------
    store : pathlib.Path
        The store file, now the restored copy.
    before : pathlib.Path or None
        Where the store it replaced is kept (``None`` when there was none).
    """

    store: Path
    before: Path | None


def store_file(db: str | os.PathLike[str] | None) -> Path:
    """The SQLite file of a store (path or URL) to back up or restore into.

    Raises
    ------
    StoreError
        For a database server (the sentence names pg_dump and pg_restore).
    BadArgument
        For an in-memory store.

    Examples
    --------
    >>> store_file("/data/ipt.db").name
    'ipt.db'
    >>> store_file("postgresql://host/ipt")
    Traceback (most recent call last):
    ...
    ipt_network.errors.StoreError: a PostgreSQL store is backed up and restored ...
    """
    url = resolve_url(db)
    file = sqlite_path(url)
    if file is None:
        if url.startswith("sqlite"):
            raise BadArgument("an in-memory store has no file to back up or restore")
        raise StoreError(SERVER_TOOLS)
    return file


def _copy(source: Any, target: Any, *, progress: bool | None, size: int, desc: str) -> None:
    """Copy every page of ``source`` into ``target`` (two connections of one library)."""
    from tqdm import tqdm

    show = size > _LARGE if progress is None else progress
    with tqdm(total=0, unit="page", desc=desc, disable=not show, leave=False) as bar:

        def step(_status: int, remaining: int, total: int) -> None:
            bar.total = total
            bar.update(total - remaining - bar.n)

        source.backup(target, pages=STEP_PAGES, progress=step)


@contextlib.contextmanager
def _snapshot(connection: Any) -> Iterator[int]:
    """A read transaction on a raw store connection; yields the revision it sees."""
    connection.execute("BEGIN")
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        yield int(row[0]) if row is not None else 0
    finally:
        connection.execute("ROLLBACK")


def backup(
    store: Store,
    target: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: bool | None = False,
) -> Backup:
    """Copy a SQLite store to ``target`` while it is in use (see the module's text).

    Parameters
    ----------
    store : Store
        The store, open; its acting user must manage it (owner or admin).
    target : path
        The file to write (0600; its folder is made 0700 when missing).
    overwrite : bool
        Replace an existing ``target`` (default: refuse).
    progress : bool or None
        A progress bar on stderr; ``None``: for stores over 64 MiB.

    Raises
    ------
    OutputExists
        When ``target`` exists and ``overwrite`` is false.
    Forbidden, SignInRequired
        When the acting user does not manage the store.
    StoreError
        For a PostgreSQL store (the sentence names pg_dump and pg_restore).
    """
    from ipt_network.io.store import _require_manager

    file = store_file(store.url)
    path = Path(target).expanduser().absolute()
    if path.resolve() == file.resolve():
        raise BadArgument("a backup goes to another file than the store itself")
    if path.exists() and not overwrite:
        raise OutputExists(f"{path} exists; choose another name, or --overwrite to replace it")
    _require_manager(store.actor, "back up the store")
    key = engine_key(store.engine)
    raw = store.engine.raw_connection()
    try:
        with private_output(path) as tmp:
            with _snapshot(raw.driver_connection) as revision:
                copy = connect_file(tmp, key)
                try:
                    _copy(
                        raw.driver_connection,
                        copy,
                        progress=progress,
                        size=file.stat().st_size,
                        desc="backup",
                    )
                finally:
                    copy.close()
            # the row lands before the copy is put in place: no copy is left without its row
            store.record(_audit.Event("backup", detail=f"revision {revision} to {path.name}"))
    finally:
        raw.close()
    return Backup(path, revision, key is not None)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _check_source(origin: Path, key: str | None) -> None:
    """Refuse, before anything is copied, a backup that no store library can read.

    Raises
    ------
    NotAStore
        When the file is no SQLite database (a text file, an empty file).
    WrongKey
        When the key does not open an encrypted backup.
    StoreError
        When a key is given for a backup that is not encrypted.
    """
    if origin.stat().st_size == 0:
        raise NotAStore(f"{origin} is empty: it is no ipt-network backup")
    prepare_sqlite_file(origin, create=False, key=key)
    if key is not None:
        connect_file(origin, key).close()  # WrongKey, in one sentence


def _check_copy(copy: Path, key: str | None) -> None:
    """Refuse a copy that is no store this ipt-network reads, or is damaged; leave it in WAL."""
    from ipt_network.io.store import Store

    with Store.open(copy, key=key) as store:  # NotAStore, SchemaVersionError, WrongKey
        raw = store.engine.raw_connection()
        try:
            connection: Any = raw.driver_connection
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise StoreError("the backup is damaged (SQLite's quick_check fails); not restored")
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()


@contextlib.contextmanager
def _taken(file: Path, key: str | None) -> Iterator[None]:
    """Hold the store file alone: its WAL folded in and gone, the exclusive lock held.

    Raises
    ------
    StoreBusy
        When another connection (another program: the dashboard) has the store open.
    """
    busy = StoreBusy(
        "the store is in use by another program (the dashboard, or a command still "
        "running): stop it, then restore. Nothing was changed."
    )
    connection = connect_file(file, key)
    try:
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            connection.execute("BEGIN EXCLUSIVE")
        except Exception as exc:  # noqa: BLE001 - sqlite3 or SQLCipher: the lock was refused
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise busy from None
            raise
        if str(mode).lower() != "delete":
            raise busy
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
    finally:
        connection.close()


def restore(
    source: str | os.PathLike[str],
    db: str | os.PathLike[str] | None = None,
    *,
    key: str | None = None,
    actor: Actor | None = None,
    progress: bool | None = False,
) -> Restored:
    """Put a backup in place of a SQLite store (see the module's text: stop the dashboard first).

    Parameters
    ----------
    source : path
        A backup made by :func:`backup` (or any store file).
    db : path or URL, optional
        The store to replace (default: :func:`~ipt_network.io.store.default_db_path`);
        it need not exist.
    key : str, optional
        The key of an encrypted backup, which is also the store's.
    actor : Actor, optional
        The signed-in user, for a store that has users (an admin).
    progress : bool or None
        A progress bar on stderr while the backup is copied in; ``None``: over 64 MiB.

    Raises
    ------
    InputMissing
        When there is no file at ``source``.
    StoreBusy
        When another program has the store open (nothing is changed).
    KeyRequired, WrongKey
        When the backup is encrypted and the key is missing or wrong.
    NotAStore, SchemaVersionError
        When the backup is no store, or one of a newer ipt-network. (A store
        being replaced that is no store, a damaged file, is kept beside the
        restored one like any other.)
    Forbidden, SignInRequired
        When the acting user does not manage the store being replaced.
    """
    from ipt_network.io.store import Store, _require_manager

    file = store_file(db)
    origin = Path(source).expanduser().absolute()
    if not origin.is_file():
        raise InputMissing(f"no backup at {origin}")
    if origin.resolve() == file.resolve():
        raise BadArgument("a store cannot be restored from itself")
    encrypted = is_encrypted(origin)
    if encrypted and key is None:
        raise KeyRequired(f"{origin} is an encrypted backup: set {KEY_ENV} to its key")
    exists = file.exists() and file.stat().st_size > 0
    if exists and is_encrypted(file) != encrypted:
        raise StoreError(
            "the backup and the store differ: one is encrypted and the other is not; "
            "restore into a new --db path instead"
        )
    _check_source(origin, key)
    who, damaged = actor or owner(), False
    if exists:
        try:
            current = Store.open(file, key=key)
        except NotAStore:  # nothing to sign in to: whoever may write the file replaces it
            damaged = True
        else:
            with current:
                who = current.acting_as(actor).actor if actor is not None else current.actor
                _require_manager(who, "restore the store")
    private_folder(file.parent)
    tmp = file.with_name(f".{file.name}.restore-{secrets.token_hex(4)}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    before = _kept_name(file) if exists or damaged else None
    try:
        reader, writer = connect_file(origin, key), connect_file(tmp, key)
        try:
            _copy(reader, writer, progress=progress, size=origin.stat().st_size, desc="restore")
        finally:
            reader.close()
            writer.close()
        _check_copy(tmp, key)
        # The restore's audit row goes into the copy before it is put in place: the
        # restored store and its row land together, or neither does.
        detail = f"from {origin.name}" + (
            f"; the store before kept as {before.name}" if before else ""
        )
        _record(tmp, key, _audit.Event("restore", detail=detail), who)
        if damaged:
            _no_wal(file)
            _keep(file, before)
            os.replace(tmp, file)
        elif exists:
            with _taken(file, key):
                _keep(file, before)
                os.replace(tmp, file)
        else:
            os.replace(tmp, file)
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{end}") for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        _bulk.clear_cache(_bulk.cache_folder(tmp))
    _bulk.clear_cache(_bulk.cache_folder(file))  # copies of the old store's revisions
    return Restored(file, before)


def _record(copy: Path, key: str | None, event: _audit.Event, who: Actor) -> None:
    """Append ``event`` to the copy's trail (upgrading an older copy first), all in its file.

    Raises
    ------
    StoreError
        When the copy's WAL is not folded back into its file once closed (the
        rename would leave the row behind).
    """
    from ipt_network.io.store import Store

    with Store.open(copy, write=True, key=key) as store, store._write(event, actor=who):
        pass
    wal = Path(f"{copy}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError("the restore could not finish writing the copy; nothing was replaced")


def _no_wal(file: Path) -> None:
    """Refuse to replace a file that is no store while a WAL file beside it would be replayed."""
    wal = Path(f"{file}-wal")
    if wal.exists():
        raise StoreError(
            f"{file} is no readable store, and {wal.name} lies beside it: make sure no "
            "program uses the store, move both files away, then restore"
        )


def _kept_name(file: Path) -> Path:
    """A free name beside ``file`` to keep it under: ``<store>.before-restore-<UTC time>``."""
    before = file.with_name(f"{file.name}.before-restore-{_stamp()}")
    while before.exists():
        before = before.with_name(f"{before.name}-{secrets.token_hex(2)}")
    return before


def _keep(file: Path, before: Path | None) -> None:
    """Keep the store file as ``before`` (a hard link, else a copy), owner-only."""
    assert before is not None  # named for every store that is replaced
    try:
        os.link(file, before)
    except FileExistsError:
        raise StoreError(f"{before} appeared meanwhile; nothing was replaced") from None
    except OSError:  # a file system without hard links
        shutil.copy2(file, before)
    make_private(before)
