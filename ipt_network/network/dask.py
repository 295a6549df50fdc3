"""The metric table of a cohort held in Dask DataFrames, past one machine.

:func:`cohort_metrics_dask` takes the ``relationships``, ``person_ties`` and
(optionally) ``sessions`` tables as Dask DataFrames, for example read with
``dask.dataframe.read_parquet`` from a dataset written by
:func:`ipt_network.research.parquet.write_parquet`. Dask's own hash shuffle puts
every client's rows of the three tables into the same partition number (or,
when every table is already indexed by client with known divisions, as
``read_parquet(..., index="client_id", calculate_divisions=True)`` gives for a
dataset sorted by client, Dask's ``repartition`` cuts the three at the same
client ids and nothing is shuffled),
and ``map_partitions`` runs the in-memory engine
(:func:`~ipt_network.network.metrics.cohort_metrics`) on each partition, on
whatever scheduler is active (threads, processes or a ``dask.distributed``
cluster). Every client's metrics depend on its own rows only, so the result
is the in-memory engine's table.

dask is optional: it is imported when a function here is called, and a
:class:`~ipt_network.errors.DriverMissing` error names the package to install
when it is not.

Examples
--------
>>> import dask.dataframe as dd
>>> import pandas as pd
>>> from ipt_network.io.synth import synthesize
>>> from ipt_network.network.metrics import cohort_metrics
>>> inv = synthesize(6, seed=1)
>>> rel = dd.from_pandas(inv.relationships, npartitions=3)
>>> ties = dd.from_pandas(inv.person_ties, npartitions=2)
>>> table = collect(cohort_metrics_dask(rel, ties))
>>> pd.testing.assert_frame_equal(table, cohort_metrics(inv.relationships, inv.person_ties))
>>> len(table)
82
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pandas as pd

from ipt_network.errors import DriverMissing
from ipt_network.io.inventory import Inventory
from ipt_network.network.metrics import cohort_metrics

__all__ = ["MAX_PARTITIONS", "require_dask", "cohort_metrics_dask", "collect"]

_KEY = "client_id"
#: The most partitions :func:`cohort_metrics_dask` makes unless told otherwise.
MAX_PARTITIONS = 64
#: The columns each table needs, the only ones moved between workers.
_NEEDED = {
    "relationships": ["client_id", "session", "person_id", "ring", "conflict", "support"],
    "person_ties": ["client_id", "session", "source", "target"],
    "sessions": ["client_id", "session"],
}


def require_dask() -> ModuleType:
    """``dask.dataframe``, imported now.

    Raises
    ------
    DriverMissing
        (an ``ImportError``) When dask is not installed; the message names the package.
    """
    try:
        return importlib.import_module("dask.dataframe")
    except ImportError as exc:
        raise DriverMissing("the Dask path needs dask: pip install 'dask[dataframe]'") from exc


def _by_client(frame: Any, table: str, npartitions: int) -> Any:
    """The needed columns, client ids as one string dtype, hashed into partitions by client."""
    if frame.index.name == _KEY:
        frame = frame.reset_index()
    frame = frame[[c for c in _NEEDED[table] if c in frame.columns]]
    frame = frame.astype({_KEY: pd.StringDtype("pyarrow")})
    return frame.shuffle(on=_KEY, npartitions=npartitions)


def _indexed_by_client(frames: list[Any]) -> bool:
    """Whether every frame is indexed by client id with known divisions (no shuffle needed)."""
    return all(f.index.name == _KEY and f.known_divisions for f in frames)


def _as_columns(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A partition with the client id as a column, as the in-memory engine reads it."""
    if frame is None or frame.index.name != _KEY:
        return frame
    return frame.reset_index()


def _partition_metrics(
    relationships: pd.DataFrame, person_ties: pd.DataFrame, sessions: pd.DataFrame | None
) -> pd.DataFrame:
    rel, ties, sess = (_as_columns(f) for f in (relationships, person_ties, sessions))
    assert rel is not None and ties is not None
    table = cohort_metrics(rel, ties, sessions=sess)
    return table.astype({_KEY: "string"})


def cohort_metrics_dask(
    relationships: Any,
    person_ties: Any,
    *,
    sessions: Any | None = None,
    npartitions: int | None = None,
) -> Any:
    """The metric table of a cohort in Dask DataFrames, as a lazy Dask DataFrame.

    Parameters
    ----------
    relationships, person_ties : dask.dataframe.DataFrame
        The tidy tables, with the columns :func:`cohort_metrics` needs.
    sessions : dask.dataframe.DataFrame, optional
        The ``sessions`` table; with it, sessions with nobody on the map get a row.
    npartitions : int, optional
        Partitions of the shuffle, each holding whole clients (default: those
        of ``relationships``, at most :data:`MAX_PARTITIONS`; a dataset read
        from Parquet has one per file). Give more for a large cluster. Frames
        indexed by client with known divisions are not shuffled unless this is given.

    Returns
    -------
    dask.dataframe.DataFrame
        Columns :data:`~ipt_network.network.metrics.COLUMNS`; each partition is
        sorted by client and session. ``.compute()`` and sorting by
        ``client_id, session`` give :func:`cohort_metrics`'s table.

    Raises
    ------
    DriverMissing
        When dask is not installed.
    """
    dd = require_dask()
    given = [relationships, person_ties] + ([sessions] if sessions is not None else [])
    no_sessions = [] if sessions is not None else [None]
    empty = Inventory.empty()
    meta = _partition_metrics(empty.relationships, empty.person_ties, empty.sessions)
    aligned = _indexed_by_client(given) and npartitions is None
    if aligned:
        # cut at the same client ids (Dask's repartition): whole clients, nothing shuffled
        cuts = sorted(set().union(*(f.divisions for f in given)))
        frames = [
            f[[c for c in _NEEDED[t] if c in f.columns]].repartition(divisions=cuts, force=True)
            for f, t in zip(given, _NEEDED, strict=False)
        ]
    else:
        parts = npartitions or min(relationships.npartitions, MAX_PARTITIONS)
        frames = [_by_client(f, t, parts) for f, t in zip(given, _NEEDED, strict=False)]
    return dd.map_partitions(
        _partition_metrics,
        *frames,
        *no_sessions,
        meta=meta,
        align_dataframes=False,
        enforce_metadata=False,
    )


def collect(table: Any) -> pd.DataFrame:
    """Compute a lazy metric table into the in-memory engine's order and index.

    Parameters
    ----------
    table : dask.dataframe.DataFrame
        From :func:`cohort_metrics_dask`.

    Returns
    -------
    DataFrame
        Sorted by client id and session with a fresh index, as
        :func:`~ipt_network.network.metrics.cohort_metrics` returns it.
    """
    return table.compute().sort_values([_KEY, "session"], ignore_index=True)
