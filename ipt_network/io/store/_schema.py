"""The store's SQL schema, its version, and the migrations between versions.

The tables mirror the tidy contract (:mod:`ipt_network.io.contract`) table for
table, keys and foreign keys included. ``meta`` holds the schema version and
the store revision, a counter that every write transaction bumps so that
caches (in this process or another) know when what they hold is stale.
``users``, ``assignments`` and ``audit`` (version 6) hold the practice's
users, which clients each therapist sees, and the hash-chained audit trail
(:mod:`ipt_network.io.store._access`, :mod:`ipt_network.io.store._audit`).
``study_keys`` holds, per client, the random study id and the date shift of
the de-identified export (:mod:`ipt_network.research.deidentify`); it is not a
table of the contract, so no read of an inventory and no export ever sees it.

Examples
--------
>>> sorted(set(metadata.tables) - set(PRIVATE_TABLES))[:3]
['clients', 'communication', 'dispute_work']
>>> SCHEMA_VERSION
6
>>> [c.name for c in STUDY_KEYS.columns]
['client_id', 'study_id', 'date_offset_days', 'created']
>>> FOREIGN_KEYS["person_ties"][0]
(['client_id', 'session', 'source'], 'relationships', ['client_id', 'session', 'person_id'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ipt_network.errors import SchemaVersionError
from ipt_network.io.contract import TABLES, Column

__all__ = [
    "metadata",
    "STUDY_KEYS",
    "USERS",
    "ASSIGNMENTS",
    "AUDIT",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "FOREIGN_KEYS",
    "schema_version",
    "create_schema",
    "migrate",
    "revision",
    "bump_revision",
    "get_setting",
    "absent_columns",
    "set_setting",
    "get_meta",
    "put_meta",
    "PRIVATE_TABLES",
]

#: The schema version this code writes.
SCHEMA_VERSION: Final = 6

metadata = sa.MetaData()
_META = sa.Table(
    "meta", metadata, sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text)
)
#: Each client's study id and date shift for de-identified exports (version 5); never exported.
STUDY_KEYS: Final = sa.Table(
    "study_keys",
    metadata,
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("study_id", sa.Text, nullable=False, unique=True),
    sa.Column("date_offset_days", sa.Integer, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
)
#: The practice's users (version 6): an Argon2id hash, never a password.
USERS: Final = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
)
#: Which clients each therapist sees (version 6).
ASSIGNMENTS: Final = sa.Table(
    "assignments",
    metadata,
    sa.Column("user_name", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, primary_key=True),
)
#: The audit trail (version 6): one row per write or export, each hash covering the one before.
AUDIT: Final = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("clients", sa.Text, nullable=False),
    sa.Column("n_clients", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
)
#: Tables of the store that are no tables of the contract (never read as an inventory).
PRIVATE_TABLES: Final = ("meta", "study_keys", "users", "assignments", "audit")

#: Foreign keys per table, as the contract declares them for the store:
#: (columns, referenced table, referenced columns).
FOREIGN_KEYS: Final[dict[str, list[tuple[list[str], str, list[str]]]]] = {
    name: [(list(fk.columns), fk.table, list(fk.ref_columns)) for fk in stored]
    for name, table in TABLES.items()
    if (stored := [fk for fk in table.foreign_keys if fk.stored])
}


def _sql_type(col: Column) -> Any:
    return {"int": sa.Integer, "bool": sa.Boolean}.get(col.kind, sa.Text)


def _define_tables() -> None:
    for name, table in TABLES.items():
        columns: list[Any] = [
            sa.Column(c.name, _sql_type(c), nullable=c.nullable or not c.required)
            for c in table.columns
        ]
        if table.key:
            columns.append(sa.PrimaryKeyConstraint(*table.key))
        else:
            columns.insert(0, sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True))
        for cols, ref, ref_cols in FOREIGN_KEYS.get(name, []):
            columns.append(sa.ForeignKeyConstraint(cols, [f"{ref}.{c}" for c in ref_cols]))
        # a keyed SQLite table is its key's b-tree (WITHOUT ROWID): one b-tree, not two, to write
        sa.Table(name, metadata, *columns, sqlite_with_rowid=not table.key)
        if table.key[:1] != ("client_id",):  # a key that starts with client_id serves already
            sa.Index(f"ix_{name}_client", metadata.tables[name].c.client_id)


_define_tables()


def _to_version_2(conn: Connection) -> None:
    """Version 1 to 2: the store revision that every write bumps; no index the key repeats."""
    conn.execute(_META.insert(), {"key": "revision", "value": "0"})
    for name, table in TABLES.items():
        if table.key[:1] == ("client_id",):
            conn.execute(sa.text(f"DROP INDEX IF EXISTS ix_{name}_client"))


def absent_columns(conn: Connection) -> dict[str, frozenset[str]]:
    """Contract columns an older store's tables do not have yet, by table.

    A table the store does not have at all lists every one of its columns.
    """
    inspector = sa.inspect(conn)
    out = {}
    for name, table in metadata.tables.items():
        if name != "meta":
            present = (
                {c["name"] for c in inspector.get_columns(name)}
                if inspector.has_table(name)
                else set()
            )
            out[name] = frozenset(c.name for c in table.columns if c.name not in present)
    return out


def _add_contract_parts(conn: Connection) -> None:
    """Add every table and optional column the contract has gained since the store was made.

    Version 2 to 3: the PHQ-9 difficulty item and the self-harm items of the
    EPDS, BDI-II and HAM-D (``phq9_difficulty``, ``epds_10``, ``bdi2_9``,
    ``hamd17_3``).

    Version 3 to 4: the records of the middle phase, the treatment contract and
    the ending. New tables ``goals``, ``dispute_work``, ``transition_work`` and
    ``grief_work``; new optional columns for the contract and termination
    (``clients``), the dispute stage (``sessions``), and the skill and the
    communication analysis (``communication``).

    Version 4 to 5: the client's age at intake (``clients.age``) and the
    ``study_keys`` table of the de-identified export (empty until the first
    such export).

    Version 5 to 6: the ``users``, ``assignments`` and ``audit`` tables of a
    group practice (empty: the store keeps acting for its owner until a user
    is added), and the audit trail's append-only guard.

    New columns are nullable, so existing rows stay valid. The step does
    whatever is missing, so running it at either version leaves the same store.
    """
    metadata.create_all(conn, checkfirst=True)
    _guards(conn)
    for name, missing in absent_columns(conn).items():
        for column in metadata.tables[name].columns:
            if column.name in missing:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(sa.text(f'ALTER TABLE {name} ADD COLUMN "{column.name}" {kind}'))


#: Migration steps: ``MIGRATIONS[n]`` upgrades a store from version n to n + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _to_version_2,
    2: _add_contract_parts,
    3: _add_contract_parts,
    4: _add_contract_parts,
    5: _add_contract_parts,
}


def _guards(conn: Connection) -> None:
    """What the database itself enforces beyond the tables (in the schema's transaction).

    The audit trail's append-only triggers (:func:`ipt_network.io.store._audit.install`)
    and, on PostgreSQL, the row-level security policies
    (:func:`ipt_network.io.store._postgres.install_policies`).
    """
    from ipt_network.io.store import _audit

    _audit.install(conn)
    if conn.dialect.name == "postgresql":
        from ipt_network.io.store import _postgres

        _postgres.install_policies(conn)


def _meta_value(conn: Connection, key: str) -> str | None:
    value = conn.execute(sa.select(_META.c.value).where(_META.c.key == key)).scalar()
    return None if value is None else str(value)


def schema_version(conn: Connection) -> int | None:
    """The store's schema version; ``None`` when the database holds no store."""
    if not sa.inspect(conn).has_table("meta"):
        return None
    value = _meta_value(conn, "schema_version")
    return None if value is None else int(value)


def create_schema(conn: Connection) -> None:
    """Make every table of an empty database, at the current version."""
    metadata.create_all(conn)
    _guards(conn)
    conn.execute(
        _META.insert(),
        [
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "revision", "value": "0"},
        ],
    )


def check_readable(version: int, target: int | None = None) -> None:
    """Refuse a store written by a newer ipt-network than this one."""
    target = SCHEMA_VERSION if target is None else target
    if version > target:
        raise SchemaVersionError(
            f"the store has schema version {version}, newer than this ipt-network "
            f"knows ({target}); upgrade ipt-network"
        )


def migrate(conn: Connection, target: int | None = None) -> int:
    """Run the steps from the store's version up to ``target`` inside ``conn``'s transaction.

    Writes nothing when the store is already at ``target``.

    Raises
    ------
    SchemaVersionError
        When the store is newer than ``target`` or a step is missing.
    """
    target = SCHEMA_VERSION if target is None else target
    version = schema_version(conn)
    assert version is not None
    check_readable(version, target)
    if version == target:
        return version
    while version < target:
        if version not in MIGRATIONS:
            raise SchemaVersionError(f"no migration from schema version {version}")
        MIGRATIONS[version](conn)
        version += 1
    conn.execute(_META.update().where(_META.c.key == "schema_version").values(value=str(version)))
    return version


def revision(conn: Connection) -> int | None:
    """The store revision (``None`` for a store older than revisions)."""
    value = _meta_value(conn, "revision")
    return None if value is None else int(value)


def bump_revision(conn: Connection) -> None:
    """Count one more write transaction; called inside every write."""
    conn.execute(
        _META.update()
        .where(_META.c.key == "revision")
        .values(value=sa.cast(sa.cast(_META.c.value, sa.Integer) + 1, sa.Text))
    )


def get_setting(conn: Connection, key: str) -> str | None:
    """A store-wide setting (such as the practice's region), ``None`` when unset."""
    return _meta_value(conn, f"setting:{key}")


def set_setting(conn: Connection, key: str, value: str) -> None:
    """Store a store-wide setting inside the current write transaction."""
    put_meta(conn, f"setting:{key}", value)


def get_meta(conn: Connection, key: str) -> str | None:
    """A value of the ``meta`` table (such as ``audit_head``), ``None`` when absent."""
    return _meta_value(conn, key)


def put_meta(conn: Connection, key: str, value: str) -> None:
    """Set a value of the ``meta`` table inside the current write transaction."""
    if _meta_value(conn, key) is None:
        conn.execute(_META.insert(), {"key": key, "value": value})
    else:
        conn.execute(_META.update().where(_META.c.key == key).values(value=value))
