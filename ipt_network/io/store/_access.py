"""Who is acting on a store, and what each role may see and do.

A store without users belongs to whoever can open its file (a laptop, the
demo, every store made before users existed): that person acts as the
**owner** and may do everything. Once a store has users (``ipt-network users
add``), every read and write names an acting user, signed in with a password:

- **admin**: every client, and the users, their assignments, the store's
  settings, backups and restores;
- **therapist**: only the clients assigned to them (a client they import is
  assigned to them); any other client is, for them, a client that does not
  exist;
- **researcher**: no identified record at all; whole tables come
  de-identified (study ids, shifted dates, no text), which is what the cohort
  page, ``model`` and ``export --deidentify`` need.

The rules live here and in :class:`~ipt_network.io.store.Store`, which
applies them to every read and write; on PostgreSQL, row-level security
policies apply the therapist rule a second time inside the database
(:mod:`ipt_network.io.store._postgres`).

Passwords are kept as Argon2id hashes (argon2-cffi, its default parameters),
never in clear.

Examples
--------
>>> hashed = hash_password("correct horse battery staple")
>>> hashed.startswith("$argon2id$")
True
>>> password_matches(hashed, "correct horse battery staple"), password_matches(hashed, "x")
(True, False)
>>> Actor("ann", "therapist").sees_all
False
>>> owner().role
'owner'
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ipt_network.errors import BadArgument

__all__ = [
    "Actor",
    "ROLES",
    "OWNER",
    "owner",
    "hash_password",
    "password_matches",
    "check_user_name",
    "check_role",
    "MIN_PASSWORD_LENGTH",
]

#: The roles a user can have (``owner`` is no user's role: it is a store without users).
ROLES: Final = ("therapist", "researcher", "admin")
#: The role of whoever opens a store that has no users.
OWNER: Final = "owner"
#: Passwords shorter than this are refused (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD_LENGTH: Final = 12
_NAME: Final = re.compile(r"[a-z][a-z0-9._-]{1,39}")


@dataclass(frozen=True)
class Actor:
    """The user a read or write is made for.

    Parameters
    ----------
    name : str
        The user name (for the owner: the operating-system user).
    role : str
        ``"owner"``, or one of :data:`ROLES`.
    """

    name: str
    role: str

    @property
    def sees_all(self) -> bool:
        """Whether every client's identified record is visible (owner and admin)."""
        return self.role in (OWNER, "admin")

    @property
    def manages(self) -> bool:
        """Whether users, assignments, settings, backups and restores are allowed."""
        return self.role in (OWNER, "admin")


def owner() -> Actor:
    """The actor of a store without users: the operating-system user, role ``owner``."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        name = "owner"
    return Actor(name, OWNER)


def check_user_name(name: str) -> str:
    """A user name as stored: lower case, 2 to 40 letters, digits, ``.``, ``_`` or ``-``.

    Examples
    --------
    >>> check_user_name("Dr.Ann")
    'dr.ann'
    >>> check_user_name("a b")
    Traceback (most recent call last):
    ...
    ipt_network.errors.BadArgument: a user name is 2 to 40 letters, digits, '.', '_' or '-', starting with a letter
    """  # noqa: E501
    cleaned = name.strip().lower()
    if not _NAME.fullmatch(cleaned):
        raise BadArgument(
            "a user name is 2 to 40 letters, digits, '.', '_' or '-', starting with a letter"
        )
    return cleaned


def check_role(role: str) -> str:
    """``role`` when it is one of :data:`ROLES`; otherwise a clear refusal."""
    if role not in ROLES:
        raise BadArgument(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    return role


def hash_password(password: str) -> str:
    """The Argon2id hash of a password, as stored (refuses one that is too short)."""
    from argon2 import PasswordHasher

    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadArgument(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return PasswordHasher().hash(password)


def password_matches(hashed: str, password: str) -> bool:
    """Whether ``password`` is the one ``hashed`` was made from (constant-time, Argon2)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


#: A hash to verify against when the user does not exist, so that an unknown
#: name takes as long as a wrong password and the timing tells nothing.
_DUMMY: list[str] = []


def dummy_hash() -> str:
    """A fixed valid hash, made once per process (see :data:`_DUMMY`)."""
    if not _DUMMY:
        _DUMMY.append(hash_password("x" * MIN_PASSWORD_LENGTH))
    return _DUMMY[0]


def assigned(conn: Connection, table: sa.Table, user: str) -> list[str]:
    """The client ids assigned to ``user``, sorted, read inside ``conn``'s transaction."""
    rows = conn.execute(sa.select(table.c.client_id).where(table.c.user_name == user))
    return sorted(r[0] for r in rows)
