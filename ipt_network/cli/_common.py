"""Options and helpers shared by the command modules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from ipt_network.errors import IPTNetworkError

__all__ = ["db_option", "open_store", "client_argument", "errors_as_messages"]

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """Add ``--db`` (path or SQLAlchemy URL) to a command."""
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


def open_store(db: str | None, *, write: bool = False) -> Any:
    """Open an existing store for a command; a clear error when there is none.

    Commands that only read open it read-only (nothing is written, no lock is
    taken); commands that write pass ``write=True``, which also upgrades an
    older store.
    """
    from ipt_network.io.store import Store

    with errors_as_messages():
        return Store.open(db, write=write)
