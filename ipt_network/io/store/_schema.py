"""The store's SQL schema, its version, and the migrations between versions.

The tables mirror the tidy contract (:mod:`ipt_network.io.contract`) table for
table, keys and foreign keys included. ``meta`` holds the schema version and
the store revision, a counter that every write transaction bumps so that
caches (in this process or another) know when what they hold is stale.
``study_keys`` holds, per client, the random study id and the date shift of
the de-identified export (:mod:`ipt_network.research.deidentify`); it is not a
table of the contract, so no read of an inventory and no export ever sees it.

Examples
--------
>>> sorted(metadata.tables)[:3]
['clients', 'communication', 'dispute_work']
>>> SCHEMA_VERSION
5
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
]

#: The schema version this code writes.
SCHEMA_VERSION: Final = 5

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

    New columns are nullable, so existing rows stay valid. The step does
    whatever is missing, so running it at either version leaves the same store.
    """
    metadata.create_all(conn, checkfirst=True)
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
}


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
    full = f"setting:{key}"
    if _meta_value(conn, full) is None:
        conn.execute(_META.insert(), {"key": full, "value": value})
    else:
        conn.execute(_META.update().where(_META.c.key == full).values(value=value))
