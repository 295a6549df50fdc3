"""PostgreSQL: row-level security, the acting user, and the write lock.

A store on a PostgreSQL server keeps the same tables as a SQLite file. What
the server adds is a second guard around client data, inside the database:

- **Row-level security.** Every table with a ``client_id`` column (the
  contract's tables, ``study_keys`` and ``assignments``) has row-level
  security enabled *and forced* (so it holds for the tables' owner too), with
  one policy, :data:`POLICY`: the owner, an admin and a researcher see every
  row; a therapist only the rows of clients assigned to them. A transaction
  that names no one (a store with users and no one signed in) sees no client
  row at all. The same policy checks rows written, so a therapist cannot
  write rows of a client that is not theirs either.
- **Assignments.** ``assignments`` shows a therapist only their own rows
  (:data:`ASSIGNMENT_POLICIES`). Only the owner and an admin change or
  delete assignments; a therapist may add one only for themselves and only
  for a client not stored yet, the client they are importing
  (:data:`ASSIGN_SELF`), so a therapist cannot hand themselves another
  therapist's client either. Whether a client is stored, whoever it belongs
  to, is asked through one function, ``ipt_client_stored`` (:func:`stored`),
  which answers yes or no and never shows a row.
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

from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ipt_network.io.store._access import Actor

__all__ = [
    "POLICY",
    "MANAGER",
    "ASSIGNMENT_POLICY",
    "ASSIGN_SELF",
    "ASSIGNMENT_POLICIES",
    "STORED_FUNCTION",
    "POLICY_NAME",
    "WRITE_LOCK",
    "client_tables",
    "install_policies",
    "stored",
    "insert_rows",
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
#: Who manages the store: the owner and an admin (every assignment is theirs to change).
MANAGER: Final = "current_setting('ipt.role', true) IN ('owner', 'admin')"
#: Who sees a row of ``assignments``: the owner and an admin every row, a therapist their own.
ASSIGNMENT_POLICY: Final = f"{MANAGER} OR user_name = current_setting('ipt.actor', true)"
#: Which assignments a user may add: a manager any; anyone else only their own, and only for
#: a client not stored yet (the one they are importing).
ASSIGN_SELF: Final = (
    f"{MANAGER} OR (user_name = current_setting('ipt.actor', true) "
    "AND NOT ipt_client_stored(client_id))"
)
#: The name of the policy on each client table (replaced whole on every upgrade).
POLICY_NAME: Final = "ipt_client_rows"
#: The policies of ``assignments`` by name: (command, USING, WITH CHECK).
ASSIGNMENT_POLICIES: Final[dict[str, tuple[str, str | None, str | None]]] = {
    POLICY_NAME: ("SELECT", ASSIGNMENT_POLICY, None),
    "ipt_assign_add": ("INSERT", None, ASSIGN_SELF),
    "ipt_assign_change": ("UPDATE", MANAGER, MANAGER),
    "ipt_assign_remove": ("DELETE", MANAGER, None),
}
#: Whether a client is stored, whoever it is assigned to: the function reads as the owner
#: (``ipt.role`` changed for its own query only, then put back) and answers yes or no.
STORED_FUNCTION: Final = """
CREATE OR REPLACE FUNCTION ipt_client_stored(cid text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    acting text := coalesce(current_setting('ipt.role', true), '');
    found boolean;
BEGIN
    PERFORM set_config('ipt.role', 'owner', true);
    SELECT EXISTS (SELECT 1 FROM clients WHERE client_id = cid) INTO found;
    PERFORM set_config('ipt.role', acting, true);
    RETURN found;
END $$
"""
#: The key of the advisory lock every write transaction takes first (any fixed number).
WRITE_LOCK: Final = 0x1F7E7C0DE


def client_tables() -> list[str]:
    """The store's tables that hold a ``client_id`` column, sorted: those with the policy."""
    from ipt_network.io.store._schema import metadata

    return sorted(name for name, table in metadata.tables.items() if "client_id" in table.c)


def install_policies(conn: Connection) -> None:
    """Enable and force row-level security on every client table, with its policies.

    :data:`POLICY` on every client table but ``assignments``, which has
    :data:`ASSIGNMENT_POLICIES`; and the function ``ipt_client_stored`` they
    use. Runs inside the schema's transaction (creation and every upgrade);
    running it again leaves the same policies.
    """
    conn.exec_driver_sql(STORED_FUNCTION)
    for name in client_tables():
        conn.exec_driver_sql(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
        for policy in ASSIGNMENT_POLICIES:
            conn.exec_driver_sql(f"DROP POLICY IF EXISTS {policy} ON {name}")
        if name != "assignments":
            conn.exec_driver_sql(
                f"CREATE POLICY {POLICY_NAME} ON {name} USING ({POLICY}) WITH CHECK ({POLICY})"
            )
            continue
        for policy, (command, using, check) in ASSIGNMENT_POLICIES.items():
            rules = (f" USING ({using})" if using else "") + (
                f" WITH CHECK ({check})" if check else ""
            )
            conn.exec_driver_sql(f"CREATE POLICY {policy} ON {name} FOR {command}{rules}")


def stored(conn: Connection, client_ids: Sequence[str]) -> list[str]:
    """Which of ``client_ids`` are stored, whoever they are assigned to, sorted.

    What a therapist's import must know: an id taken by a client they cannot
    see is taken all the same. Only ids come back, never a row.
    """
    if not client_ids:
        return []
    rows = conn.execute(
        sa.text("SELECT c FROM unnest(CAST(:ids AS text[])) AS c WHERE ipt_client_stored(c)"),
        {"ids": list(client_ids)},
    )
    return sorted(str(r[0]) for r in rows)


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]
) -> None:
    """Insert validated rows into ``table`` in one statement, inside ``conn``'s transaction.

    The rows go as one array per column (``INSERT ... SELECT FROM unnest``):
    one round trip for thousands of rows, where ``executemany`` makes one per
    row. (``COPY`` would be faster still, but PostgreSQL refuses it on tables
    with row-level security.) The policies check every row.
    """
    from ipt_network.io.store._schema import metadata

    if not rows:
        return
    types = [metadata.tables[table].c[c].type.compile(dialect=conn.dialect) for c in columns]
    quoted = ", ".join(f'"{c}"' for c in columns)
    arrays = ", ".join(f"CAST(%s AS {kind}[])" for kind in types)
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({quoted}) SELECT * FROM unnest({arrays})",
        tuple(list(values) for values in zip(*rows, strict=True)),
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
