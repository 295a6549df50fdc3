"""PostgreSQL: row-level security, the acting user, and the write lock.

A store on a PostgreSQL server keeps the same tables as a SQLite file. What
the server adds is a second guard around client data, inside the database:

- **Row-level security.** Every table with a ``client_id`` column (the
  contract's tables, ``study_keys`` and ``assignments``) has row-level
  security enabled *and forced* (so it holds for the tables' owner too), with
  one policy, :data:`POLICY`: the owner, an admin and a researcher see every
  row; a therapist only the rows of clients assigned to them. The
  ``assignments`` table itself shows a therapist only their own rows. A
  transaction that names no one (a store with users and no one signed in)
  sees no client row at all. The same policy checks rows written, so a
  therapist cannot write rows of a client that is not theirs either.
- **The acting user.** Each transaction starts with :func:`bind`, which sets
  ``ipt.actor`` and ``ipt.role`` for that transaction only
  (``set_config(..., true)``); the policies read them.

The policies are a second line: :class:`~ipt_network.io.store.Store` applies
the same rules in Python first, and a bug there (or in a dashboard callback)
still cannot show a therapist another therapist's client. The application
must connect as a role that is neither a superuser nor has ``BYPASSRLS``:
those roles skip every policy.

**The write lock.** Writers take a transaction-level advisory lock
(:data:`WRITE_LOCK`) first, waiting at most the store's busy timeout
(``lock_timeout``), so two writers run one after the other and a writer
that waited too long fails with :class:`~ipt_network.errors.StoreBusy`,
having changed nothing. Readers take no such lock: they read one snapshot
(``REPEATABLE READ``, read only) and never wait for a writer.

Examples
--------
>>> "ipt.actor" in POLICY and "ipt.role" in POLICY
True
>>> client_tables()[:3]
['assignments', 'clients', 'communication']
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ipt_network.io.store._access import Actor

__all__ = [
    "POLICY",
    "ASSIGNMENT_POLICY",
    "POLICY_NAME",
    "WRITE_LOCK",
    "client_tables",
    "install_policies",
    "bind",
    "begin",
]

#: Who sees a row of a client table: every row for the owner, an admin and a
#: researcher; for a therapist, the rows of the clients assigned to them.
POLICY: Final = (
    "current_setting('ipt.role', true) IN ('owner', 'admin', 'researcher') "
    "OR client_id IN (SELECT a.client_id FROM assignments a "
    "WHERE a.user_name = current_setting('ipt.actor', true))"
)
#: Who sees a row of ``assignments``: the owner and an admin every row, a therapist their own.
ASSIGNMENT_POLICY: Final = (
    "current_setting('ipt.role', true) IN ('owner', 'admin') "
    "OR user_name = current_setting('ipt.actor', true)"
)
#: The name of the one policy on each table (replaced whole on every upgrade).
POLICY_NAME: Final = "ipt_client_rows"
#: The key of the advisory lock every write transaction takes first (any fixed number).
WRITE_LOCK: Final = 0x1F7E7C0DE


def client_tables() -> list[str]:
    """The store's tables that hold a ``client_id`` column, sorted: those with the policy."""
    from ipt_network.io.store._schema import metadata

    return sorted(name for name, table in metadata.tables.items() if "client_id" in table.c)


def install_policies(conn: Connection) -> None:
    """Enable and force row-level security with :data:`POLICY` on every client table.

    Runs inside the schema's transaction (creation and every upgrade); running
    it again leaves the same policies.
    """
    for name in client_tables():
        rule = ASSIGNMENT_POLICY if name == "assignments" else POLICY
        conn.exec_driver_sql(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {name}")
        conn.exec_driver_sql(
            f"CREATE POLICY {POLICY_NAME} ON {name} USING ({rule}) WITH CHECK ({rule})"
        )


def bind(conn: Connection, actor: Actor | None) -> None:
    """Tell the database who acts in this transaction (``None``: no one, no client rows)."""
    conn.execute(
        sa.text("SELECT set_config('ipt.actor', :name, true), set_config('ipt.role', :role, true)"),
        {"name": actor.name if actor else "", "role": actor.role if actor else ""},
    )


def begin(conn: Connection, *, writing: bool, timeout: float) -> None:
    """Start a transaction: a write takes :data:`WRITE_LOCK` (waiting at most ``timeout``
    seconds), a read takes one read-only snapshot and no lock."""
    if writing:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
    else:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
