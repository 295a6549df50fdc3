"""The key of an encrypted store, for the command line: from the environment or a prompt.

The key never comes from an option (it would stay in the shell's history and
in the process list) and is never printed or logged. It comes from
``IPT_NETWORK_KEY``, else, on a terminal, from a prompt that does not echo.
A plain store needs no key, and gets none even when the variable is set.

Examples
--------
>>> import os, tempfile
>>> store_key(os.path.join(tempfile.mkdtemp(), "new.db")) is None
True
>>> store_key("postgresql://host/ipt") is None
True
"""

from __future__ import annotations

import os
import sys

import click

from ipt_network.errors import KeyRequired, StoreError
from ipt_network.io.store._engine import (
    KEY_ENV,
    MIN_KEY_LENGTH,
    is_encrypted,
    resolve_url,
    sqlite_path,
)

__all__ = ["store_key"]


def _interactive() -> bool:
    """Whether a person can be asked (standard input is a terminal)."""
    return sys.stdin.isatty()


def store_key(path_or_url: str | os.PathLike[str] | None, *, create: bool = False) -> str | None:
    """The key to open (or, with ``create``, to encrypt) the store at ``path_or_url``.

    ``IPT_NETWORK_KEY`` when set; else a no-echo prompt when standard input is a
    terminal (asked twice for a new encrypted store); else ``None``, and opening
    an encrypted store then says to set the variable. Without ``create`` a
    store that is not encrypted (or not there) gets ``None``.

    Raises
    ------
    KeyRequired
        With ``create``, when there is no key and no one to ask.
    StoreError
        With ``create``, for a store that is not a SQLite file.
    """
    file = sqlite_path(resolve_url(path_or_url))
    if create and file is None:
        raise StoreError(
            "--encrypt is for a SQLite store file; a PostgreSQL server encrypts its own "
            "disks and connections (see its documentation)"
        )
    encrypted = file is not None and is_encrypted(file)
    if not create and not encrypted:
        return None
    key = os.environ.get(KEY_ENV) or None
    if key is not None or not _interactive():
        if key is None and create:
            raise KeyRequired(
                f"an encrypted store needs a key: set {KEY_ENV} (at least {MIN_KEY_LENGTH} "
                "characters), or run the command on a terminal to be asked for it"
            )
        return key
    if encrypted:
        return str(click.prompt("Key of the encrypted store", hide_input=True, err=True))
    click.echo(
        f"The key encrypts the store: at least {MIN_KEY_LENGTH} characters. Keep it "
        "safe: without it no one can open the store, and it cannot be recovered.",
        err=True,
    )
    return str(
        click.prompt("New key", hide_input=True, confirmation_prompt="Repeat the key", err=True)
    )
