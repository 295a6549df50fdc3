"""Options and helpers shared by the command modules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from ipt_network.errors import IPTNetworkError

__all__ = [
    "db_option",
    "open_store",
    "signed_in",
    "client_argument",
    "errors_as_messages",
    "read_secret",
    "USER_ENV",
]

#: Environment variable naming the user to sign in as (``--user``).
USER_ENV = "IPT_NETWORK_USER"
_USER_KEY = "ipt_network_user"

F = TypeVar("F", bound=Callable[..., Any])


def _remember_user(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta[_USER_KEY] = value


def db_option(func: F) -> F:
    """Add ``--db`` (path or SQLAlchemy URL) and ``--user`` (who signs in) to a command.

    ``--user`` is not passed to the command: :func:`open_store` reads it.
    """
    func = click.option(
        "--user",
        envvar=USER_ENV,
        default=None,
        metavar="NAME",
        expose_value=False,
        callback=_remember_user,
        help=(
            "Sign in as this user; a store with users needs one (IPT_NETWORK_USER). The "
            "password is asked for on a terminal, else read from the first line of "
            "standard input."
        ),
    )(func)
    return click.option(
        "--db",
        envvar="IPT_NETWORK_DB",
        default=None,
        metavar="PATH|URL",
        help=(
            "The store: a SQLite file path or an SQLAlchemy URL such as "
            "postgresql://host/db. Default: IPT_NETWORK_DB, else store.db in your "
            "user data folder (see `ipt-network init --help`)."
        ),
    )(func)


def client_argument(func: F) -> F:
    """Add the CLIENT argument (a client id) to a command."""
    return click.argument("client_id", metavar="CLIENT")(func)


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Turn library errors into a clean message and a non-zero exit.

    Every :class:`~ipt_network.errors.IPTNetworkError` becomes its sentence;
    a file-system error on a path the user gave (a folder that cannot be
    written, a file that cannot be read) becomes the path and the reason.

    Examples
    --------
    >>> try:
    ...     with errors_as_messages():
    ...         raise PermissionError(13, "Permission denied", "/srv/out")
    ... except click.ClickException as exc:
    ...     print(exc.format_message())
    /srv/out: Permission denied
    """
    try:
        yield
    except IPTNetworkError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{where}{exc.strerror or type(exc).__name__}") from exc


def read_secret(label: str, *, confirm: bool = False) -> str:
    """A password: asked for without echo on a terminal, else the next line of standard input.

    Never an option or an argument, which would stay in the shell's history
    and show in the process list.
    """
    import sys

    if sys.stdin.isatty():
        return str(click.prompt(label, hide_input=True, confirmation_prompt=confirm))
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException(f"{label}: nothing on standard input")
    return line.rstrip("\r\n")


def open_store(db: str | None, *, write: bool = False, sign_in: bool = True) -> Any:
    """Open an existing store for a command, as the signed-in user; a clear error when not.

    Commands that only read open it read-only (nothing is written, no lock is
    taken); commands that write pass ``write=True``, which also upgrades an
    older store. An encrypted store's key comes from ``IPT_NETWORK_KEY`` or a
    prompt (:func:`ipt_network.cli._key.store_key`). With ``--user`` the
    password is read (:func:`read_secret`) and every read and write of the
    command acts for that user; a store with users and no ``--user`` says so.
    ``sign_in=False`` skips both (``serve --auth`` signs users in per request).
    """
    from ipt_network.cli._key import store_key
    from ipt_network.io.store import Store

    with errors_as_messages():
        store = Store.open(db, write=write, key=store_key(db))
    return signed_in(store) if sign_in else store


def signed_in(store: Any) -> Any:
    """``store`` as the user of ``--user`` (password read); itself when the store has no users.

    Closes the store and refuses when the store has users and no one signs in,
    or the sign-in fails.
    """
    ctx = click.get_current_context(silent=True)
    user = ctx.meta.get(_USER_KEY) if ctx is not None else None
    with errors_as_messages():
        try:
            if user:
                actor = store.sign_in(user, read_secret(f"Password for {user}"))
                return store.acting_as(actor)
            if store.has_users():
                raise click.ClickException(
                    "this store has users: sign in with --user NAME (or IPT_NETWORK_USER); "
                    "the password is asked for, or read from standard input"
                )
        except BaseException:
            store.close()
            raise
    return store
