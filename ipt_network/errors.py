"""The exception hierarchy of ipt-network.

Every error the library raises on purpose subclasses :class:`IPTNetworkError`
and the matching built-in, so callers can catch either.

Examples
--------
>>> from ipt_network.errors import ClientNotFound, IPTNetworkError
>>> issubclass(ClientNotFound, KeyError) and issubclass(ClientNotFound, IPTNetworkError)
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "IPTNetworkError",
    "Failure",
    "ValidationError",
    "ClientNotFound",
    "SessionNotFound",
    "RowNotFound",
    "ClientExists",
    "StoreError",
    "SchemaVersionError",
    "StoreBusy",
    "NotAStore",
    "DriverMissing",
    "BadArgument",
    "BadTable",
    "WrongType",
    "PersonNotFound",
    "OutputExists",
    "InputMissing",
    "AccessError",
    "SignInRequired",
    "SignInFailed",
    "Forbidden",
    "KeyRequired",
    "WrongKey",
]


class IPTNetworkError(Exception):
    """Base class of every error ipt-network raises on purpose."""


@dataclass(frozen=True, order=True)
class Failure:
    """One broken rule, located in a file.

    Parameters
    ----------
    file : str
        The file (or table) name, such as ``"sessions.csv"``.
    row : int or None
        The physical line in the file where the record starts, as a text
        editor counts (the header is line 1; quoted line breaks and blank
        lines count); ``None`` when the failure concerns the whole file.
    column : str or None
        The column, or ``None`` for a whole row or file.
    message : str
        What is wrong, in words. Never contains clinical values beyond ids.

    Examples
    --------
    >>> str(Failure("people.csv", 4, "role", "must be one of partner, family"))
    'people.csv, line 4, column role: must be one of partner, family'
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class ValidationError(IPTNetworkError, ValueError):
    """Input that breaks the data contract; carries every failure found.

    Examples
    --------
    >>> err = ValidationError([Failure("a.csv", 2, "x", "bad"), Failure("a.csv", 3, "x", "bad")])
    >>> len(err.failures)
    2
    >>> print(err)
    2 problems found; nothing was written.
      a.csv, line 2, column x: bad
      a.csv, line 3, column x: bad
    """

    MAX_SHOWN = 50

    def __init__(self, failures: list[Failure]) -> None:
        self.failures = sorted(failures, key=lambda f: (f.file, f.row or 0, f.column or ""))
        super().__init__(self._describe())

    def _describe(self) -> str:
        n = len(self.failures)
        head = f"{n} problem{'s' if n != 1 else ''} found; nothing was written."
        lines = [head] + [f"  {f}" for f in self.failures[: self.MAX_SHOWN]]
        if n > self.MAX_SHOWN:
            lines.append(f"  ... and {n - self.MAX_SHOWN} more")
        return "\n".join(lines)


class BadArgument(IPTNetworkError, ValueError):
    """A value given to a function is outside what it accepts (a ring of 4, a session
    compared with itself, a negative count). The message names the argument.

    Examples
    --------
    >>> from ipt_network.names import closeness_weight
    >>> try:
    ...     closeness_weight(4)
    ... except ValueError as exc:
    ...     print(type(exc).__name__, exc)
    BadArgument ring must be 1, 2 or 3, not 4
    """


class BadTable(BadArgument):
    """A table (or graph) given to a function lacks columns, or holds rows it cannot use.

    Tables read with :func:`~ipt_network.io.tidy.read_inventory` or checked with
    :func:`~ipt_network.io.validation.validate` never raise it; frames built by
    hand can. The message names the table and column, never a cell's value.
    """


class WrongType(IPTNetworkError, TypeError):
    """An argument of the wrong kind, such as a list where a DataFrame is needed."""


class ClientNotFound(IPTNetworkError, KeyError):
    """No client with that id in the store or table."""

    def __str__(self) -> str:
        return f"no client with id {self.args[0]!r}"


class SessionNotFound(IPTNetworkError, KeyError):
    """The client has no session with that number."""

    def __str__(self) -> str:
        return f"client {self.args[0]!r} has no session {self.args[1]!r}"


class RowNotFound(IPTNetworkError, KeyError):
    """The client has no row with that key in a table (a goal, an area record).

    Examples
    --------
    >>> print(RowNotFound("client 'c1' has no goals row with session 2, goal_id 'g1'"))
    client 'c1' has no goals row with session 2, goal_id 'g1'
    """

    def __str__(self) -> str:
        return str(self.args[0])


class PersonNotFound(IPTNetworkError, ValueError):
    """The client has no person with that id.

    A ``ValueError``, as it has always been, so callers that catch that still do.

    Examples
    --------
    >>> print(PersonNotFound("grief-01", "p99"))
    client 'grief-01' has no person 'p99'
    """

    def __str__(self) -> str:
        return f"client {self.args[0]!r} has no person {self.args[1]!r}"


class OutputExists(IPTNetworkError, FileExistsError):
    """The folder to write into already holds files that would be replaced."""


class InputMissing(IPTNetworkError, FileNotFoundError):
    """A file or folder to read from is not there (or is not what it should be)."""


class ClientExists(IPTNetworkError, ValueError):
    """An import would overwrite clients already in the store."""


class StoreError(IPTNetworkError, RuntimeError):
    """The store could not be opened or written."""


class SchemaVersionError(StoreError):
    """The store's schema version is newer than this version of ipt-network knows."""


class StoreBusy(StoreError):
    """Another program held the store's write lock for longer than the busy timeout.

    Nothing was changed; trying again once the other program has finished works.
    """


class NotAStore(StoreError):
    """The ``--db`` given is not an ipt-network store (a text file, a folder, another database)."""


class KeyRequired(StoreError):
    """The store is encrypted and no key was given (set ``IPT_NETWORK_KEY``)."""


class WrongKey(StoreError):
    """The key given does not open the encrypted store; the message never holds the key."""


class DriverMissing(IPTNetworkError, ImportError):
    """The database driver a store URL needs is not installed; the message names the package."""


class AccessError(IPTNetworkError, PermissionError):
    """The acting user may not do this (base of the sign-in and role errors).

    Examples
    --------
    >>> issubclass(Forbidden, PermissionError) and issubclass(Forbidden, AccessError)
    True
    """


class SignInRequired(AccessError):
    """The store has users, and no one has signed in."""


class SignInFailed(AccessError):
    """Unknown user or wrong password; the message never says which."""


class Forbidden(AccessError):
    """The acting user's role does not allow this (a researcher reading a record, a therapist
    adding users)."""
