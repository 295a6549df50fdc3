"""The audit trail: one hash-chained row for every write and every export.

Every write transaction of :class:`~ipt_network.io.store.Store` appends one
row to the ``audit`` table inside the same transaction, so the change and its
row land together or not at all; reads that leave the system (an export, a
de-identified export, a report, a backup) append one too
(:meth:`~ipt_network.io.store.Store.record`). A row says when (UTC), who
(user name and role), what (:data:`ACTIONS`), which clients (ids only) and how
many rows; ``detail`` names a table, a format or a session number, never a
clinical value.

**Append-only, and tamper-evident.** The database refuses ``UPDATE`` and
``DELETE`` on the table (triggers, :func:`install`). Someone who removes the
triggers with the database's own client can still change rows, so each row
also carries ``hash``, the SHA-256 of its own fields and of the previous
row's hash (``prev_hash``; the first row follows :data:`GENESIS`), and the
store keeps the last row's number and hash in ``meta`` (``audit_head``).
:func:`verify` walks the chain and names the first row that breaks it:

- a row **edited** no longer matches its hash;
- a row **deleted** leaves a gap in the numbers (or, for the last rows, a
  trail that ends before the recorded head);
- rows **reordered** (numbers swapped) no longer match their hashes;
- a row **inserted** out of turn does not follow the row before it.

What the chain cannot show is a rewrite of every later row and of the head by
someone who knows this scheme; ``ipt-network audit verify`` prints the head's
hash, and keeping that line somewhere else (a ticket, a notebook) closes the
gap up to that point.

Examples
--------
>>> import sqlalchemy as sa
>>> from ipt_network.io.store import _schema
>>> from ipt_network.io.store._access import Actor
>>> engine = sa.create_engine("sqlite://")
>>> with engine.begin() as conn:
...     _schema.create_schema(conn)
...     append(conn, Actor("ann", "admin"), Event("import", ("c1", "c2"), rows=40))
...     append(conn, Actor("ann", "admin"), Event("export", ("c1",), detail="format=csv"))
1
2
>>> with engine.begin() as conn:
...     verify(conn).ok
True
>>> with engine.begin() as conn:
...     _ = conn.exec_driver_sql("DROP TRIGGER audit_no_update")
...     _ = conn.exec_driver_sql("UPDATE audit SET rows = 4 WHERE seq = 1")
...     check = verify(conn)
>>> check.ok, check.first_broken
(False, 1)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ipt_network.io.store._access import Actor
from ipt_network.io.store._schema import AUDIT, get_meta, put_meta

__all__ = [
    "Event",
    "AuditCheck",
    "ACTIONS",
    "GENESIS",
    "GUARDS",
    "missing_guards",
    "append",
    "verify",
    "read",
    "read_empty",
    "install",
]

#: What each action records, for ``audit show`` and the README.
ACTIONS: Final = {
    "init": "a store made",
    "migrate": "a store upgraded to the current schema",
    "import": "clients imported (new)",
    "import-replace": "clients imported over stored ones",
    "record": "rows added to a client's record (a session, work, events)",
    "update": "fields of one row changed (detail: the table)",
    "focus": "the chosen focus recorded",
    "setting": "a store-wide setting changed (detail: which)",
    "study-keys": "study ids made for a de-identified read",
    "user-add": "a user added (detail: the user and role)",
    "user-remove": "a user removed (detail: the user)",
    "assign": "clients assigned to a therapist (detail: the user)",
    "unassign": "clients taken from a therapist (detail: the user)",
    "export": "records exported (detail: the format)",
    "export-deidentified": "a de-identified export (detail: the format)",
    "report": "a client report written",
    "backup": "a copy of the store made",
    "restore": "the store replaced by a backup",
}
#: The ``prev_hash`` of the first row.
GENESIS: Final = "0" * 64
_HEAD: Final = "audit_head"


@dataclass(frozen=True)
class Event:
    """What one audit row records, apart from when and who.

    Parameters
    ----------
    action : str
        One of :data:`ACTIONS`.
    clients : sequence of str
        The client ids the action touched (none for a setting or a user).
    rows : int
        How many rows were written or exported.
    detail : str
        A table, a format, a session number or a user name; never a clinical value.
    """

    action: str
    clients: Sequence[str] = ()
    rows: int = 0
    detail: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown audit action {self.action!r}")
        object.__setattr__(self, "clients", tuple(sorted(set(self.clients))))


@dataclass(frozen=True)
class AuditCheck:
    """The outcome of :func:`verify`.

    Attributes
    ----------
    ok : bool
        Whether every row matches its hash and follows the one before.
    rows : int
        How many rows were checked.
    first_broken : int or None
        The number (``seq``) of the first row that breaks the chain.
    reason : str
        What is wrong with it, in words ("" when ``ok``).
    head : str
        The last row's number and hash, as ``seq:hash`` (to keep elsewhere).
    """

    ok: bool
    rows: int
    first_broken: int | None = None
    reason: str = ""
    head: str = field(default="")


def _digest(fields: Sequence[Any]) -> str:
    text = json.dumps(list(fields), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_FIELDS: Final = (
    "seq",
    "at",
    "actor",
    "role",
    "action",
    "clients",
    "n_clients",
    "rows",
    "detail",
    "prev_hash",
)


def _head(conn: Connection) -> tuple[int, str]:
    raw = get_meta(conn, _HEAD)
    if raw is None:
        return 0, GENESIS
    seq, digest = raw.split(":", 1)
    return int(seq), digest


def append(conn: Connection, actor: Actor, event: Event) -> int:
    """Append one row for ``event`` inside ``conn``'s write transaction; return its number."""
    last, prev = _head(conn)
    row = {
        "seq": last + 1,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor": actor.name,
        "role": actor.role,
        "action": event.action,
        "clients": ";".join(event.clients),
        "n_clients": len(event.clients),
        "rows": int(event.rows),
        "detail": event.detail,
        "prev_hash": prev,
    }
    row["hash"] = _digest([row[f] for f in _FIELDS])
    conn.execute(AUDIT.insert(), row)
    put_meta(conn, _HEAD, f"{row['seq']}:{row['hash']}")
    return last + 1


def verify(conn: Connection) -> AuditCheck:
    """Walk the whole trail and name the first row that breaks the chain."""
    last_seq, last_hash = 0, GENESIS
    count = 0
    columns = (AUDIT.c[f] for f in (*_FIELDS, "hash"))
    result = conn.execute(sa.select(*columns).order_by(AUDIT.c.seq))
    for row in result.mappings():
        count += 1
        seq = int(row["seq"])
        if seq != last_seq + 1:
            return AuditCheck(
                False,
                count,
                last_seq + 1,
                f"row {last_seq + 1} is missing: the trail goes from row {last_seq} to row {seq} "
                "(a row was deleted, or numbers were changed)",
            )
        if row["prev_hash"] != last_hash:
            return AuditCheck(
                False,
                count,
                seq,
                f"row {seq} does not follow row {last_seq} (rows were deleted, inserted or "
                "reordered)",
            )
        if _digest([row[f] for f in _FIELDS]) != row["hash"]:
            return AuditCheck(
                False, count, seq, f"row {seq} was changed after it was written (or moved)"
            )
        last_seq, last_hash = seq, str(row["hash"])
    head_seq, head_hash = _head(conn)
    if (head_seq, head_hash) != (last_seq, last_hash):
        if head_seq > last_seq:
            return AuditCheck(
                False,
                count,
                last_seq + 1,
                f"the trail ends at row {last_seq}, but the store recorded row {head_seq} as its "
                "last: rows at the end were deleted",
            )
        return AuditCheck(
            False,
            count,
            head_seq + 1 if head_seq < last_seq else last_seq,
            f"the store recorded row {head_seq} as the last, but the trail goes on to row "
            f"{last_seq}: rows were added outside ipt-network, or the record of the last row "
            "was changed",
        )
    gone = missing_guards(conn)
    if gone:
        return AuditCheck(
            False,
            count,
            None,
            f"every row is intact, but the database's append-only guard is gone (trigger "
            f"{', '.join(gone)}): someone removed it with the database's own client; "
            "ipt-network init puts it back",
            head=f"{last_seq}:{last_hash}",
        )
    return AuditCheck(True, count, head=f"{last_seq}:{last_hash}")


def read_empty() -> pd.DataFrame:
    """The trail of a store older than the trail: no rows, the columns of :func:`read`."""
    return pd.DataFrame(columns=[f for f in (*_FIELDS, "hash") if f != "prev_hash"])


def read(conn: Connection, client: str | None = None) -> pd.DataFrame:
    """The trail as a table, oldest first; only rows naming ``client`` when given."""
    query = sa.select(*(AUDIT.c[f] for f in (*_FIELDS, "hash"))).order_by(AUDIT.c.seq)
    if client is not None:
        # ids are joined with ";", so a match is bounded by separators or the ends
        padded = sa.literal(";") + AUDIT.c.clients + sa.literal(";")
        query = query.where(padded.contains(f";{client};", autoescape=True))
    frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=[*_FIELDS, "hash"])
    return frame.drop(columns=["prev_hash"])


#: The append-only triggers :func:`install` makes, by database.
GUARDS: Final = {
    "sqlite": ("audit_no_update", "audit_no_delete"),
    "postgresql": ("audit_no_change", "audit_no_truncate"),
}


def missing_guards(conn: Connection) -> list[str]:
    """The append-only triggers of :func:`install` that the database no longer has."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"
    elif conn.dialect.name == "postgresql":
        query = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit'::regclass AND NOT tgisinternal"
        )
    else:
        return []
    present = {str(row[0]) for row in conn.exec_driver_sql(query)}
    return [name for name in GUARDS[conn.dialect.name] if name not in present]


def install(conn: Connection) -> None:
    """Make the database refuse changes to audit rows (inside the schema's transaction)."""
    message = "the audit trail is append-only"
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS audit_no_{verb.lower()} BEFORE {verb} ON audit "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION ipt_audit_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_no_change ON audit")
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION ipt_audit_append_only()"
        )
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_no_truncate ON audit")
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION ipt_audit_append_only()"
        )
