"""Bulk reads: whole tables as typed DataFrames, fast, with one SQLite library.

Rows come from the store through the same ``sqlite3`` connection as every
other read (never a second SQLite library: see :mod:`ipt_network.io.store._engine`).
For a SQLite file the tables are then kept as a columnar copy (Parquet,
written with pyarrow) in a private folder beside the store, named by the
store revision they were read at. The revision is read in the same snapshot
as the rows, and every write transaction bumps it, so a copy is used only
while it is exactly what the store holds, in this process or any other.

A write transaction that says which clients it touched renews the copy
instead of leaving it stale (:class:`Changes`, :class:`Renewal`): the rows of
those clients are read inside the transaction (the state at exactly the new
revision), and after the commit the copy at the old revision, minus those
clients' rows, plus their new rows, is written as the copy at the new one. A
write that touches no client rows (a setting) links the old copy to the new
name. Anything missing or failing leaves no copy: the next read comes from SQL.

Rows keep the order a read from SQL gives: key order for a keyed table (its
key's b-tree), insertion order for the others, whose copies carry the hidden
``row_id`` to keep it by.

Examples
--------
>>> from pathlib import Path
>>> cache_folder(Path("/data/ipt.db")).name
'ipt.db-columns'
"""

from __future__ import annotations

import bisect
import contextlib
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ipt_network.errors import StoreError
from ipt_network.io._files import private_output
from ipt_network.io.contract import TABLES
from ipt_network.io.inventory import dtype_of, empty_table

__all__ = [
    "typed",
    "read_rows",
    "cache_folder",
    "cached_read",
    "clear_cache",
    "Changes",
    "Renewal",
    "ROW_ID",
]

#: The hidden column of an unkeyed table: its SQLite row id, the order rows are read in.
ROW_ID = "row_id"
_CHUNK = 500


def _order(name: str) -> tuple[str, ...]:
    """The columns that give a table's row order in SQL: its key, else its row id."""
    return TABLES[name].key or (ROW_ID,)


def typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast a frame read from SQL to the contract's dtypes and column order."""
    out = {}
    for col in TABLES[name].columns:
        values = frame[col.name]
        if col.kind == "bool" and values.dtype != "boolean":
            values = values.astype("Int64").astype("boolean")
        out[col.name] = values.astype(dtype_of(col))
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def read_rows(
    conn: Connection,
    name: str,
    where: sa.ColumnElement[bool] | None = None,
    absent: frozenset[str] = frozenset(),
    *,
    ordered: bool = False,
) -> Any:
    """One table's contract columns as a typed DataFrame, read inside ``conn``'s transaction.

    ``absent`` names columns an older store does not have yet: they come back empty.
    ``ordered`` reads the rows in key order (row-id order for an unkeyed
    table, whose :data:`ROW_ID` then comes along as a last column): the order
    SQLite scans a whole table in, stated. On another database (PostgreSQL)
    rows always come in that order, which its tables do not keep by
    themselves (a changed row moves), so both give the same frames.
    """
    from ipt_network.io.store._schema import metadata

    table = metadata.tables[name]
    columns = [c for c in TABLES[name].names if c not in absent]
    if not columns:  # a table an older store does not have yet
        return empty_table(name)
    hidden = [ROW_ID] if ordered and not TABLES[name].key else []
    query = sa.select(*[table.c[c] for c in columns + hidden])
    if where is not None:
        query = query.where(where)
    if ordered or conn.dialect.name != "sqlite":
        query = query.order_by(*[table.c[c] for c in _order(name)])
    if conn.dialect.name == "sqlite":
        # Straight from the sqlite3 cursor: SQLAlchemy's row objects cost more than the rows.
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        bound = [params[k] for k in compiled.positiontup or []]
        cursor = conn.connection.driver_connection.execute(str(compiled), bound)  # type: ignore[union-attr]
        rows = cursor.fetchall()
    else:
        rows = conn.execute(query).all()
    values = dict(zip(columns + hidden, zip(*rows, strict=True), strict=True)) if rows else {}
    data = {
        col.name: pd.array(list(values.get(col.name, [None] * len(rows))), dtype=dtype_of(col))
        for col in TABLES[name].columns
    }
    for col_name in hidden:
        data[col_name] = pd.array(list(values.get(col_name, [])), dtype="Int64")
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def cache_folder(store_file: Path) -> Path:
    """The private folder that holds a SQLite store's columnar copies."""
    return store_file.with_name(store_file.name + "-columns")


def _cache_file(folder: Path, name: str, revision: int) -> Path:
    return folder / f"{name}.r{revision}.parquet"


def _arrow_types(arrow_type: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None


def _write_cache(folder: Path, name: str, revision: int, frame: Any) -> None:
    """Write one table's copy at ``revision`` whole (0600, atomic), then drop its older copies.

    ``frame`` is a typed DataFrame or an Arrow table, with :data:`ROW_ID` for an unkeyed table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    target = _cache_file(folder, name, revision)
    with private_output(target) as tmp:
        pq.write_table(table, tmp, compression="none")
    _drop_others(folder, name, target)


def _drop_others(folder: Path, name: str, keep: Path) -> None:
    for stale in folder.glob(f"{name}.r*.parquet"):
        if stale.name != keep.name:
            stale.unlink(missing_ok=True)


@dataclass
class Changes:
    """What a write transaction changes, so that the columnar copy can follow it.

    Parameters
    ----------
    clients : collection of str
        The clients whose rows the transaction writes (empty: no client rows,
        such as a setting).
    rows : mapping of str to DataFrame, optional
        Those clients' whole rows per table, in the contract's columns, when
        the writer holds them already (an import, whose clients are written
        whole); else they are read back inside the transaction.
    tables : collection of str, optional
        The only tables the transaction may write (default: any); the copies
        of the others are carried over as they are.
    """

    clients: Collection[str]
    rows: Mapping[str, pd.DataFrame] | None = None
    tables: Collection[str] | None = None
    #: The store held no client when the transaction began (no old copy needed).
    empty_before: bool = False
    #: Per unkeyed table, the largest row id before the rows in ``rows`` were inserted.
    marks: dict[str, int] = field(default_factory=dict)

    def mark(self, conn: Connection) -> None:
        """Note the row ids of the unkeyed tables now, just before ``rows`` are inserted."""
        for name in TABLES:
            if not TABLES[name].key:
                self.marks[name] = int(
                    conn.exec_driver_sql(f"SELECT coalesce(max({ROW_ID}), 0) FROM {name}").scalar()
                    or 0
                )


@dataclass
class Renewal:
    """The columnar copy at ``revision``, prepared inside the write transaction that made it.

    Built by :meth:`prepare` before the commit (the touched clients' rows as
    they are at ``revision``), written by :meth:`write` after it.
    """

    folder: Path
    base: int
    revision: int
    clients: frozenset[str]
    #: Per table to renew: the touched clients' rows at ``revision`` (with their row
    #: ids), or ``None`` for a table the write left alone.
    rows: dict[str, pd.DataFrame | None]
    empty_before: bool

    @classmethod
    def prepare(
        cls,
        conn: Connection,
        folder: Path,
        base: int,
        changes: Changes,
        absent: Mapping[str, frozenset[str]],
    ) -> Renewal:
        """Read what the copy at ``base + 1`` needs, inside the transaction that writes it.

        Tables with no complete copy at ``base`` are left out (unless the store
        was empty), and so are tables an older store lacks columns of.
        """
        rows: dict[str, pd.DataFrame | None] = {}
        for name in TABLES:
            if absent.get(name) or not (
                changes.empty_before or _cache_file(folder, name, base).is_file()
            ):
                continue
            untouched = changes.tables is not None and name not in changes.tables
            if untouched or not (changes.clients or changes.empty_before):
                rows[name] = None
            elif changes.rows is not None:
                rows[name] = _with_row_ids(conn, name, changes.rows[name], changes.marks)
            else:
                rows[name] = _client_rows(conn, name, sorted(changes.clients))
        return cls(folder, base, base + 1, frozenset(changes.clients), rows, changes.empty_before)

    def write(self) -> None:
        """Write the copy at the new revision, table by table; any failure leaves that table out.

        Each table's file is written whole or not at all, so a reader finds an
        exact copy or none (and then reads SQL).
        """
        for name, new in self.rows.items():
            try:
                self._renew(name, new)
            except Exception:  # noqa: BLE001 - a copy is an optimisation; SQL stays the truth
                with contextlib.suppress(OSError):
                    _cache_file(self.folder, name, self.revision).unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # the old revision's copy is never read again
                _cache_file(self.folder, name, self.base).unlink(missing_ok=True)

    def _renew(self, name: str, new: pd.DataFrame | None) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        target = _cache_file(self.folder, name, self.revision)
        if self.empty_before:
            _write_cache(self.folder, name, self.revision, new)
            return
        base = _cache_file(self.folder, name, self.base)
        old = pq.read_table(base, memory_map=True) if self.clients and new is not None else None
        if old is not None and new is not None:
            if not {*_order(name), *TABLES[name].names} <= set(old.column_names):
                # written before copies kept row ids, or under an older contract: the next
                # read makes a new copy from SQL
                return
            added = pa.Table.from_pandas(new[old.column_names], preserve_index=False)
            kept, gone = _spliced(name, old, added.cast(old.schema), sorted(self.clients))
            if not gone.equals(added.cast(old.schema)):
                _write_cache(self.folder, name, self.revision, kept)
                return
        # no client rows written, or the touched clients' rows are as they were
        with contextlib.suppress(FileExistsError):  # another writer made the same copy
            os.link(base, target)


class _Ids:
    """A sorted client-id column read one value at a time, for :mod:`bisect`."""

    def __init__(self, column: Any) -> None:
        self.column = column

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, index: int) -> str:
        return str(self.column[index].as_py())


def _spliced(name: str, old: Any, new: Any, clients: list[str]) -> tuple[Any, Any]:
    """``old`` with the rows of ``clients`` replaced by ``new``, in SQL's row order.

    Returns the renewed table and the rows it dropped. A keyed table (its key
    starts with the client id, so each client's rows are one run) is cut and
    joined client by client without sorting; an unkeyed one is filtered and
    put in row-id order.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if TABLES[name].key[:1] != ("client_id",):
        gone = pc.is_in(old["client_id"], pa.array(clients, pa.string()))
        merged = pa.concat_tables([old.filter(pc.invert(gone)), new])
        order = [(c, "ascending") for c in _order(name)]
        return merged.take(pc.sort_indices(merged, order)), old.filter(gone)
    old_ids, new_ids = _Ids(old["client_id"]), _Ids(new["client_id"])
    pieces, dropped = [], []
    at = at_new = 0
    for client in clients:
        start = bisect.bisect_left(old_ids, client, at)
        stop = bisect.bisect_right(old_ids, client, start)
        new_start = bisect.bisect_left(new_ids, client, at_new)
        new_stop = bisect.bisect_right(new_ids, client, new_start)
        pieces += [old.slice(at, start - at), new.slice(new_start, new_stop - new_start)]
        dropped.append(old.slice(start, stop - start))
        at, at_new = stop, new_stop
    pieces.append(old.slice(at))
    return pa.concat_tables(pieces), pa.concat_tables(dropped or [old.slice(0, 0)])


def _client_rows(conn: Connection, name: str, clients: list[str]) -> pd.DataFrame:
    """Some clients' rows of one table in SQL's row order, read inside ``conn``'s transaction."""
    from ipt_network.io.store._schema import metadata

    column = metadata.tables[name].c.client_id
    parts = [
        read_rows(conn, name, column.in_(clients[i : i + _CHUNK]), ordered=True)
        for i in range(0, len(clients), _CHUNK)
    ]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _with_row_ids(
    conn: Connection, name: str, frame: pd.DataFrame, marks: Mapping[str, int]
) -> pd.DataFrame:
    """An imported table's rows with the row ids SQLite gave them (keyed tables as they are)."""
    frame = frame[TABLES[name].names].reset_index(drop=True)
    if TABLES[name].key:
        return frame
    from ipt_network.io.store._schema import metadata

    row_id = metadata.tables[name].c[ROW_ID]
    query = sa.select(row_id).where(row_id > marks[name]).order_by(row_id)
    ids = [r[0] for r in conn.execute(query)]
    if len(ids) != len(frame):
        raise StoreError(f"{name}: inserted rows and row ids differ")  # never for one writer
    return frame.assign(**{ROW_ID: pd.array(ids, dtype="Int64")})


def cached_read(
    conn: Connection,
    names: Sequence[str],
    folder: Path | None,
    revision: int | None,
    absent: Mapping[str, frozenset[str]],
) -> dict[str, pd.DataFrame]:
    """Whole tables at ``revision``: from the columnar copy when it is there, else from SQL.

    ``conn`` must be inside the read transaction in which ``revision`` was read.
    A table read from SQL is written to the copy for the next reader. A copy
    written under an older contract (a column missing: the software was
    upgraded since) is not used; it is read from SQL and written again.
    """
    import pyarrow.parquet as pq

    out: dict[str, pd.DataFrame] = {}
    for name in names:
        if folder is None or revision is None:
            out[name] = read_rows(conn, name, absent=absent.get(name, frozenset()))
            continue
        path = _cache_file(folder, name, revision)
        try:
            table = pq.read_table(path)
        except (OSError, ValueError):
            table = None
        if table is not None and set(TABLES[name].names) <= set(table.column_names):
            out[name] = typed(name, table.to_pandas(types_mapper=_arrow_types))
            continue
        frame = read_rows(conn, name, absent=absent.get(name, frozenset()), ordered=True)
        with contextlib.suppress(OSError):  # read-only folder: next read goes to SQL
            _write_cache(folder, name, revision, frame)
        out[name] = frame[TABLES[name].names]
    return out


def clear_cache(folder: Path) -> None:
    """Delete every columnar copy of a store (they are rebuilt on the next bulk read)."""
    if folder.is_dir():
        for path in folder.glob("*.parquet"):
            path.unlink(missing_ok=True)
