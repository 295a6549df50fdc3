"""Commands of a group practice: its users and roles (``users``) and its audit trail (``audit``).

A store without users belongs to whoever can open its file. The first user
added must be an admin; from then on every command names a signed-in user
(``--user NAME``), and only an admin manages users and reads the audit trail.
Passwords are never arguments: they are asked for without echo on a terminal,
else read line by line from standard input (the signing-in user's first, then
the new user's).

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(users_cmd, ["--help"])
>>> "assign" in result.output and result.exit_code == 0
True
"""

from __future__ import annotations

import click

from ipt_network.cli._common import db_option, errors_as_messages, open_store, read_secret

__all__ = ["users_cmd", "audit_cmd"]

_ROLES = click.Choice(["therapist", "researcher", "admin"])


@click.group("users")
def users_cmd() -> None:
    """Manage who may use the store: add, list, remove users, and assign clients.

    Roles: a therapist sees and edits only the clients assigned to them (and
    those they import); a researcher sees only the cohort page and
    de-identified exports and models; an admin manages users and assignments
    and sees every client. Every change is a row of the audit trail.
    """


@users_cmd.command("add")
@click.argument("name")
@click.option("--role", type=_ROLES, required=True, help="What the user may do.")
@db_option
def users_add(name: str, role: str, db: str | None) -> None:
    """Add the user NAME with a role; the password is read, never given as an argument.

    On a terminal the password is asked for twice without echo; otherwise it
    is the next line of standard input. At least 12 characters. The first
    user of a store must be an admin (--role admin), added by the store's
    owner; after that, sign in as an admin with --user.
    """
    store = open_store(db, write=True)
    try:
        with errors_as_messages():
            password = read_secret(f"Password for the new user {name}", confirm=True)
            store.add_user(name, role, password)
    finally:
        store.close()
    click.echo(f"Added {name.strip().lower()} as {role}.")


@users_cmd.command("list")
@db_option
def users_list(db: str | None) -> None:
    """List the users: name, role, when added, and how many clients are assigned."""
    store = open_store(db)
    try:
        with errors_as_messages():
            users = store.users()
    finally:
        store.close()
    if not users:
        click.echo("No users: the store acts for whoever can open its file.")
        return
    for user in users:
        clients = f"{len(user.clients)} client(s)" if user.role == "therapist" else "-"
        click.echo(f"{user.name:<20} {user.role:<11} added {user.created}  {clients}")


@users_cmd.command("remove")
@click.argument("name")
@db_option
def users_remove(name: str, db: str | None) -> None:
    """Remove the user NAME and their assignments (their rows of the audit trail stay)."""
    store = open_store(db, write=True)
    try:
        with errors_as_messages():
            store.remove_user(name)
    finally:
        store.close()
    click.echo(f"Removed {name.strip().lower()}.")


@users_cmd.command("assign")
@click.argument("name")
@click.argument("clients", nargs=-1, required=True, metavar="CLIENT...")
@click.option("--remove", is_flag=True, help="Take these clients from the therapist instead.")
@db_option
def users_assign(name: str, clients: tuple[str, ...], remove: bool, db: str | None) -> None:
    """Let the therapist NAME see and edit these clients (or, with --remove, no longer)."""
    store = open_store(db, write=True)
    try:
        with errors_as_messages():
            if remove:
                store.unassign(name, list(clients))
            else:
                store.assign(name, list(clients))
    finally:
        store.close()
    verb = "Took" if remove else "Assigned"
    click.echo(f"{verb} {len(set(clients))} client(s) {'from' if remove else 'to'} {name}.")


@click.group("audit")
def audit_cmd() -> None:
    """Read and check the audit trail: who wrote or exported what, and when.

    Every write (import, replace, a recorded session, focus, work, settings,
    users) and every read that leaves the system (export, de-identified
    export, report, metrics, model, backup) is one row; each row's hash
    covers the row before it, so an edited, deleted or reordered row is
    found by `audit verify`. Admins only.
    """


@audit_cmd.command("show")
@click.option(
    "--client", "client", default=None, metavar="ID", help="Only rows naming this client."
)
@click.option("--last", type=click.IntRange(1), default=None, help="Only the last N rows.")
@db_option
def audit_show(client: str | None, last: int | None, db: str | None) -> None:
    """Print the audit trail, oldest first: number, when (UTC), who, what, clients, rows."""
    store = open_store(db)
    try:
        with errors_as_messages():
            trail = store.audit_trail(client)
    finally:
        store.close()
    if last is not None:
        trail = trail.tail(last)
    if trail.empty:
        click.echo("No rows." if client is None else f"No rows name client {client}.")
        return
    for row in trail.itertuples(index=False):
        ids = str(row.clients).split(";") if row.clients else []
        named = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        detail = f" ({row.detail})" if row.detail else ""
        click.echo(
            f"{row.seq:>6}  {row.at[:19]}Z  {row.actor} ({row.role})  {row.action}{detail}"
            f"  {named or '-'}  {row.rows} row(s)"
        )


@audit_cmd.command("verify")
@db_option
def audit_verify(db: str | None) -> None:
    """Check every row against its hash and the row before it; exit 1 naming the first broken row.

    Prints the last row's number and hash: keep that line somewhere else (a
    ticket, a notebook), and a later check shows that nothing up to it was
    rewritten.
    """
    store = open_store(db)
    try:
        with errors_as_messages():
            check = store.verify_audit()
    finally:
        store.close()
    if not check.ok:
        if check.first_broken is None:
            raise click.ClickException(f"the audit trail is not protected: {check.reason}")
        raise click.ClickException(
            f"the audit trail is broken at row {check.first_broken}: {check.reason}"
        )
    click.echo(f"The audit trail is intact: {check.rows} row(s); the last is {check.head}.")
