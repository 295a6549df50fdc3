"""Bulk reads: whole tables as typed DataFrames, fast, with one SQLite library.

Rows come from the store through the same ``sqlite3`` connection as every
other read (never a second SQLite library: see :mod:`ipt_network.io.store._engine`).
For a SQLite file the tables are then kept as a columnar copy (Parquet,
written with pyarrow) in a private folder beside the store, named by the
store revision they were read at. The revision is read in the same snapshot
as the rows, and every write transaction bumps it, so a copy is used only
while it is exactly what the store holds, in this process or any other.

Examples
--------
>>> from pathlib import Path
>>> cache_folder(Path("/data/ipt.db")).name
'ipt.db-columns'
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ipt_network.io._files import private_output
from ipt_network.io.contract import TABLES
from ipt_network.io.inventory import dtype_of

__all__ = ["typed", "read_rows", "cache_folder", "cached_read", "store_copies", "clear_cache"]


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
) -> Any:
    """One table's contract columns as a typed DataFrame, read inside ``conn``'s transaction.

    ``absent`` names columns an older store does not have yet: they come back empty.
    """
    from ipt_network.io.store._schema import metadata

    table = metadata.tables[name]
    columns = [c for c in TABLES[name].names if c not in absent]
    query = sa.select(*[table.c[c] for c in columns])
    if where is not None:
        query = query.where(where)
    if conn.dialect.name == "sqlite":
        # Straight from the sqlite3 cursor: SQLAlchemy's row objects cost more than the rows.
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": False})
        params = compiled.construct_params()
        ordered = [params[k] for k in compiled.positiontup or []]
        cursor = conn.connection.driver_connection.execute(str(compiled), ordered)  # type: ignore[union-attr]
        rows = cursor.fetchall()
    else:
        rows = conn.execute(query).all()
    values = dict(zip(columns, zip(*rows, strict=True), strict=True)) if rows else {}
    data = {
        col.name: pd.array(list(values.get(col.name, [None] * len(rows))), dtype=dtype_of(col))
        for col in TABLES[name].columns
    }
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


def _write_cache(folder: Path, name: str, revision: int, frame: pd.DataFrame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = _cache_file(folder, name, revision)
    with private_output(target) as tmp:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp, compression="none")
    for stale in folder.glob(f"{name}.r*.parquet"):
        if stale.name != target.name:
            stale.unlink(missing_ok=True)


def store_copies(folder: Path, revision: int, frames: Mapping[str, pd.DataFrame]) -> None:
    """Keep whole typed tables as the columnar copy at ``revision`` (after it is committed).

    An import into an empty store calls this with the tables it wrote, so the
    first bulk read after it is as fast as the next. A folder that cannot be
    written is passed over: the next read then comes from SQL.
    """
    with contextlib.suppress(OSError):
        for name, frame in frames.items():
            _write_cache(folder, name, revision, frame[TABLES[name].names])


def cached_read(
    conn: Connection,
    names: Sequence[str],
    folder: Path | None,
    revision: int | None,
    absent: Mapping[str, frozenset[str]],
) -> dict[str, pd.DataFrame]:
    """Whole tables at ``revision``: from the columnar copy when it is there, else from SQL.

    ``conn`` must be inside the read transaction in which ``revision`` was read.
    A table read from SQL is written to the copy for the next reader.
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
            frame = read_rows(conn, name, absent=absent.get(name, frozenset()))
            with contextlib.suppress(OSError):  # read-only folder: next read goes to SQL
                _write_cache(folder, name, revision, frame)
            out[name] = frame
        else:
            out[name] = typed(name, table.to_pandas(types_mapper=_arrow_types))
    return out


def clear_cache(folder: Path) -> None:
    """Delete every columnar copy of a store (they are rebuilt on the next bulk read)."""
    if folder.is_dir():
        for path in folder.glob("*.parquet"):
            path.unlink(missing_ok=True)
