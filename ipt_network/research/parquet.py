"""The inventory as a Parquet dataset partitioned by client, for researchers' tools.

:func:`write_parquet` writes one dataset per table of the contract, plus the
``metrics`` table of :func:`ipt_network.network.metrics.cohort_metrics`, each
partitioned by client in the Hive layout::

    folder/
      clients/client_id=c00001/part-0.parquet
      sessions/client_id=c00001/part-0.parquet
      ...
      metrics/client_id=c00001/part-0.parquet

Columns keep the contract's types: ids, text, dates and choices are Parquet
strings, whole numbers ``int64`` (empty cells are nulls) and flags
booleans. A client id is written into a folder name percent-encoded (``a/b``
becomes ``client_id=a%2Fb``), so any id is a safe single folder; pandas,
pyarrow, DuckDB (``hive_partitioning``) and Dask decode it back.

The dataset is written into a temporary folder beside the target and moved
into place whole; every file is readable by its owner only (0600) and every
folder 0700. :func:`read_parquet` reads the contract tables back into an
:class:`~ipt_network.io.inventory.Inventory`.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from ipt_network.io.synth import synthesize
>>> inv = synthesize(3, seed=1)
>>> out = Path(tempfile.mkdtemp()) / "cohort"
>>> [p.name for p in write_parquet(inv, out)][-2:]
['grief_work', 'metrics']
>>> sorted(p.name for p in (out / "clients").iterdir())
['client_id=c00001', 'client_id=c00002', 'client_id=c00003']
>>> read_parquet(out).client_ids()
['c00001', 'c00002', 'c00003']
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from ipt_network.errors import BadTable, InputMissing, OutputExists
from ipt_network.io._files import OVERWRITE_HINT, make_private, private_folder
from ipt_network.io.contract import TABLES
from ipt_network.io.inventory import Inventory, dtype_of
from ipt_network.network.metrics import cohort_metrics

__all__ = ["METRICS", "PARTITION", "write_parquet", "read_parquet", "read_table"]

#: The name of the metrics dataset beside the contract's tables.
METRICS = "metrics"
#: The column every dataset is partitioned on.
PARTITION = "client_id"
#: The longest folder name most file systems accept, in bytes.
_NAME_MAX = 255
_ARROW_TYPES = {"Int64": pa.int64(), "int64": pa.int64(), "boolean": pa.bool_()}


def _arrow_type(dtype: object) -> pa.DataType:
    return _ARROW_TYPES.get(str(dtype), pa.float64() if dtype == "float64" else pa.string())


@cache
def _metric_dtypes() -> dict[str, object]:
    """The dtypes of the metric table, as the in-memory engine gives them."""

    empty = Inventory.empty()
    table = cohort_metrics(empty.relationships, empty.person_ties, sessions=empty.sessions)
    return dict(table.dtypes.items())


def _dtypes(name: str) -> dict[str, object]:
    """Column name to pandas dtype of a dataset: the contract's, or the metric table's."""
    if name == METRICS:
        return _metric_dtypes()
    return {c.name: dtype_of(c) for c in TABLES[name].columns}


def _schema(name: str) -> pa.Schema:
    return pa.schema([(c, _arrow_type(d)) for c, d in _dtypes(name).items()])


def _partitioning() -> ds.Partitioning:
    return ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")


def _check_ids(ids: pd.Series) -> None:
    """Refuse ids whose encoded folder name is longer than a file system allows."""
    for cid in ids.unique():
        if len(f"{PARTITION}={quote(str(cid), safe='')}".encode()) > _NAME_MAX:
            raise BadTable(f"client id {str(cid)[:40]!r}... is too long for a folder name")


def _write_table(name: str, frame: pd.DataFrame, root: Path) -> Path:
    schema = _schema(name)
    # grouped by client (each client's rows kept in order), so each client's file is written
    # in one go however many files are open at once
    frame = frame.sort_values(PARTITION, kind="stable")
    table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    target = private_folder(root / name)
    ds.write_dataset(
        table,
        target,
        format="parquet",
        partitioning=_partitioning(),
        basename_template="part-{i}.parquet",
        existing_data_behavior="error",
        preserve_order=True,
        max_partitions=max(1, frame[PARTITION].nunique()),
    )
    return target


def _make_tree_private(root: Path) -> None:
    for here, _folders, files in os.walk(root):
        make_private(Path(here))
        for file in files:
            make_private(Path(here) / file)


def _refuse_occupied(target: Path, overwrite: bool) -> bool:
    """Whether ``target`` holds files; :class:`OutputExists` when they may not be replaced."""
    occupied = target.exists() and any(target.iterdir())
    if occupied and not overwrite:
        raise OutputExists(f"{target} is not empty; {OVERWRITE_HINT}")
    return occupied


def _move_into_place(tmp: Path, target: Path, overwrite: bool) -> None:
    if _refuse_occupied(target, overwrite):
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
        os.replace(target, old / target.name)
        os.replace(tmp, target)
        shutil.rmtree(old)
        return
    if target.exists():
        target.rmdir()
    os.replace(tmp, target)


def write_parquet(
    inventory: Inventory, folder: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write every table and the metric table as Parquet datasets partitioned by client.

    Parameters
    ----------
    inventory : Inventory
        The tables to write (validated).
    folder : path
        The dataset's folder; created when missing, and must be empty unless
        ``overwrite``.
    overwrite : bool, default False
        Replace a folder that already holds files.

    Returns
    -------
    list of Path
        The folder of each table, in the contract's order, then ``metrics``.

    Raises
    ------
    OutputExists
        (a ``FileExistsError``) When the folder is not empty and ``overwrite`` is false.
    BadTable
        When a client id is too long to be a folder name once encoded.
    """

    target = Path(folder)
    _refuse_occupied(target, overwrite)
    _check_ids(inventory.clients[PARTITION])
    tables = inventory.tables()
    tables[METRICS] = cohort_metrics(
        inventory.relationships, inventory.person_ties, sessions=inventory.sessions
    )
    private_folder(target.parent)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.writing-"))
    try:
        for name, frame in tables.items():
            _write_table(name, frame, tmp)
        _make_tree_private(tmp)
        _move_into_place(tmp, target, overwrite)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [target / name for name in tables]


def read_table(folder: str | os.PathLike[str], name: str) -> pd.DataFrame:
    """One table of a dataset written by :func:`write_parquet`, with its pandas dtypes.

    Parameters
    ----------
    folder : path
        The dataset's folder.
    name : str
        A table of the contract, or ``"metrics"``.

    Returns
    -------
    DataFrame
        The table's columns in order, rows grouped by client in id order,
        each client's rows in the order written.

    Raises
    ------
    InputMissing
        When the folder holds no dataset of that table.
    """
    schema = _schema(name)
    path = Path(folder) / name
    if not path.is_dir():
        raise InputMissing(f"{path} is not a table of a Parquet dataset")
    dataset = ds.dataset(path, schema=schema, format="parquet", partitioning=_partitioning())
    frame = dataset.to_table().select(schema.names).to_pandas()
    frame = frame.astype(_dtypes(name))
    return frame.sort_values(PARTITION, kind="stable", ignore_index=True)


def read_parquet(folder: str | os.PathLike[str]) -> Inventory:
    """Read the contract's tables of a dataset written by :func:`write_parquet`.

    Parameters
    ----------
    folder : path
        The dataset's folder.

    Returns
    -------
    Inventory
        The tables with the contract's dtypes, rows grouped by client in id
        order (each client's rows as written): equal to the inventory written
        when its rows were in that order, as read from a store or synthesized.
    """
    return Inventory.from_tables({name: read_table(folder, name) for name in TABLES})
