"""Commands that copy a store while it is in use, and put a copy back: backup, restore."""

from __future__ import annotations

from pathlib import Path

import click

from ipt_network.cli._common import db_option, errors_as_messages, open_store

__all__ = ["backup_cmd", "restore_cmd"]


@click.command("backup")
@db_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write the copy to (readable by you only).",
)
@click.option("--overwrite", is_flag=True, help="Replace the file at --out if there is one.")
def backup_cmd(db: str | None, out: Path, overwrite: bool) -> None:
    """Copy the store to one file while it is in use (the dashboard may keep serving).

    The copy is the store as it was at one moment, whatever is written
    meanwhile (SQLite's online backup). An encrypted store's copy is encrypted
    with the same key. Owner or admin only; the backup is recorded in the
    store's audit trail. A PostgreSQL store is copied with pg_dump instead.
    Put a copy back with `ipt-network restore FILE`.
    """
    from ipt_network.io.store._backup import store_file

    with errors_as_messages():
        store_file(db)  # a database server: pg_dump, before connecting to it
    store = open_store(db, write=True)
    with errors_as_messages(), store:
        made = store.backup(out, overwrite=overwrite, progress=None)
    size = made.path.stat().st_size / 1_000_000
    state = "encrypted" if made.encrypted else "not encrypted"
    click.echo(
        f"Backed up the store at revision {made.revision} to {made.path} ({size:.1f} MB, {state})."
    )


@click.command("restore")
@click.argument(
    "source", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@db_option
@click.option("--yes", is_flag=True, help="Do not ask before replacing the store.")
def restore_cmd(source: Path, db: str | None, yes: bool) -> None:
    """Put a backup made by `ipt-network backup` in place of the store.

    Stop the dashboard first: a restore refuses a store that another program
    has open, and changes nothing then. The backup is checked (a store this
    version reads, undamaged) before anything is replaced; the store it
    replaces is kept beside it as STORE.before-restore-TIME. An encrypted
    backup needs its key (IPT_NETWORK_KEY, or asked for on a terminal).
    Owner or admin only; the restore is recorded in the restored store's
    audit trail. A PostgreSQL store is restored with pg_restore instead.
    """
    from ipt_network.cli._key import store_key
    from ipt_network.errors import NotAStore
    from ipt_network.io.store import Store, resolve_url
    from ipt_network.io.store._backup import store_file
    from ipt_network.io.store._engine import engine_key

    with errors_as_messages():
        target = resolve_url(db)
        file = store_file(db)  # a database server: pg_restore, before asking anything
        current = None
        if file.is_file() and file.stat().st_size > 0:
            try:  # the store's key and the signed-in user (--user), as every command
                current = open_store(db)
            except click.ClickException as exc:
                if not isinstance(exc.__cause__, NotAStore):
                    raise
                # a damaged store: nothing to sign in to; it is kept beside the restored one
        if current is not None:
            try:
                actor, key = current.actor, engine_key(current.engine)
            finally:
                current.engine.dispose()  # a signed-in view closes nothing of its own
        else:
            actor, key = None, store_key(source)
        if not yes:
            click.confirm(
                f"Replace the store at {target} with {source}? The store now there is kept "
                "beside it",
                abort=True,
                err=True,
            )
        done = Store.restore(source, db, key=key, actor=actor, progress=None)
    kept = f"; the store before is kept as {done.before}" if done.before else ""
    click.echo(
        f"Restored {source} into {done.store}{kept}. Start the dashboard again if it was serving."
    )
