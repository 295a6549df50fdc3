r"""Network metrics of every snapshot, for one graph or a whole cohort at once.

The metric table has one row per client and session and the columns of
:data:`COLUMNS`: the map's size and make-up, the structure of the person ties
(density, components, isolates) and Burt's structural-hole measures of the
client (effective size and constraint), then the change from the previous
session (:mod:`ipt_network.network.engine`).

:func:`cohort_metrics` computes the table from the tidy ``relationships`` and
``person_ties`` tables on whole arrays at once (numpy, scipy.sparse), never
one graph at a time. networkx is the reference: for each snapshot, with H the
graph of the people and their ties and G = H plus an ego tied to everyone,
the values equal ``networkx.density(H)``,
``networkx.number_connected_components(H)``,
``networkx.effective_size(G, [ego])`` and ``networkx.constraint(G, [ego])``.

Closed forms used for the ego of G (unweighted, undirected), with n people,
t person ties and :math:`d_j` the number of person ties of person j:

* every mutual weight is 2 for a tie and 0 otherwise, so the normalised
  weight :math:`p_{uv} = 1/\deg_G(u)` for a neighbour v;
  :math:`p_{\text{ego},j} = 1/n` and :math:`p_{qj} = 1/(1 + d_q)`;
* effective size (Borgatti's form of Burt's measure): :math:`n - 2t/n`;
* local constraint of ego on j: :math:`\ell_j = (1/n)^2 (1 + s_j)^2` with
  :math:`s_j = \sum_{q \sim j} 1/(1 + d_q)` over j's tied people, so
  constraint :math:`= n^{-2} \sum_j (1 + s_j)^2`;
* both are NaN for an empty map (networkx: undefined for an isolated ego);
  density is 0 with fewer than 2 people, components 0 for an empty map.

Examples
--------
>>> import networkx as nx
>>> G = nx.Graph([("ego", "a"), ("ego", "b"), ("ego", "c"), ("a", "b")])
>>> for p, r in zip("abc", (1, 2, 3)):
...     G.edges["ego", p].update(ring=r, conflict=r, support=1)
>>> m = snapshot_metrics(G)
>>> m["n_people"], m["components"], round(m["constraint"], 6)
(3, 2, 0.611111)
>>> round(nx.constraint(G, ["ego"])["ego"], 6)
0.611111
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from tqdm import tqdm

from ipt_network import names
from ipt_network.errors import BadTable
from ipt_network.network.engine import (
    CHANGE_COLUMNS,
    SnapshotIndex,
    change_frame,
    index_snapshots,
    snapshot_keys,
)

__all__ = [
    "METRIC_COLUMNS",
    "CHANGE_COLUMNS",
    "COLUMNS",
    "cohort_metrics",
    "snapshot_metrics",
    "metric_arrays",
]

FloatArray = npt.NDArray[np.float64]

#: The network metrics of the guide, section 3, in order.
METRIC_COLUMNS: tuple[str, ...] = (
    "n_people",
    "n_inner",
    "closeness_sum",
    "conflict_sum",
    "support_sum",
    "n_conflictual",
    "n_ambivalent",
    "density",
    "components",
    "isolates",
    "effective_size",
    "constraint",
)
#: Every column of the metric table, in order.
COLUMNS: tuple[str, ...] = ("client_id", "session", *METRIC_COLUMNS, *CHANGE_COLUMNS)
_FLOAT_METRICS = frozenset({"density", "effective_size", "constraint"})
#: Relationship rows from which :func:`cohort_metrics` shows a progress bar when asked.
PROGRESS_MIN = 250_000


def _adjacency(idx: SnapshotIndex) -> sp.csr_array:
    """The person ties as one sparse matrix over every relationship row, each tie once."""
    n_rows = len(idx.row_snap)
    a, b = idx.tie_a, idx.tie_b
    ones = np.ones(len(a), dtype=np.float64)
    index_type = np.int32 if n_rows < 2**31 - 1 and len(a) < 2**31 - 1 else np.int64
    if len(a) < 2 or bool((a[1:] >= a[:-1]).all()):
        # ties sorted by their first end (as stores and tidy files keep them): CSR directly
        indptr = np.zeros(n_rows + 1, dtype=index_type)
        np.cumsum(np.bincount(a, minlength=n_rows), out=indptr[1:])
        return sp.csr_array((ones, b.astype(index_type), indptr), shape=(n_rows, n_rows))
    coords = (a.astype(index_type), b.astype(index_type))
    return sp.coo_array((ones, coords), shape=(n_rows, n_rows)).tocsr()


def _components(idx: SnapshotIndex, adj: sp.csr_array) -> FloatArray:
    """Connected components of H per snapshot: one sparse graph of every person at once."""
    if adj.shape[0] == 0:
        return np.zeros(idx.n_snapshots)
    n_comp, label = connected_components(adj, directed=False)
    comp_snap = np.empty(n_comp, dtype=np.int64)
    comp_snap[label] = idx.row_snap
    return idx.per_snapshot(comp_snap)


def metric_arrays(idx: SnapshotIndex) -> dict[str, FloatArray]:
    """The network metrics of every snapshot, as float arrays.

    Parameters
    ----------
    idx : SnapshotIndex
        From :func:`ipt_network.network.engine.index_snapshots`, with the person ties.

    Returns
    -------
    dict of str to ndarray
        One array per name of :data:`METRIC_COLUMNS`, aligned with the snapshots.
    """
    snap, ring, conflict = idx.row_snap, idx.ring, idx.conflict
    n_rows = len(snap)
    adj = _adjacency(idx)
    degree = np.diff(adj.indptr)
    degree += np.bincount(idx.tie_b, minlength=n_rows)
    t = idx.per_snapshot(idx.tie_snap)
    inverse = degree + 1.0
    np.divide(1.0, inverse, out=inverse)
    # s_j: the sum of 1 / (1 + d_q) over j's tied people, both ends of every tie
    s = np.bincount(idx.tie_a, weights=inverse[idx.tie_b], minlength=n_rows).astype(
        np.float64, copy=False
    )  # int64 when there are no ties
    s += np.bincount(idx.tie_b, weights=inverse[idx.tie_a], minlength=n_rows)
    # one count per (ring, conflict, snapshot) cell: a single bincount gives every
    # row-level count and sum but the support
    key = ring * 5
    key += conflict
    key -= 5
    key *= idx.n_snapshots
    key += snap
    counts = np.bincount(key, minlength=15 * idx.n_snapshots).reshape(3, 5, idx.n_snapshots)
    by_ring, by_conflict = counts.sum(axis=1), counts.sum(axis=0)
    sums = {
        "n_people": by_ring.sum(axis=0),
        "n_inner": by_ring[0],
        "closeness_sum": 3 * by_ring[0] + 2 * by_ring[1] + by_ring[2],
        "conflict_sum": by_conflict[1]
        + 2 * by_conflict[2]
        + 3 * by_conflict[3]
        + 4 * by_conflict[4],
        "n_conflictual": by_conflict[3] + by_conflict[4],
        "n_ambivalent": counts[0, 2:].sum(axis=0),
    }
    n = sums["n_people"].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(n >= 2, 2.0 * t / (n * (n - 1.0)), 0.0)
        effective_size = np.where(n > 0, n - 2.0 * t / n, np.nan)
        s += 1.0
        np.multiply(s, s, out=s)
        constraint = np.where(n > 0, idx.per_snapshot(snap, s) / (n * n), np.nan)
    return {
        **{c: v.astype(np.float64) for c, v in sums.items()},
        "support_sum": idx.per_snapshot(snap, idx.support),
        "density": density,
        "components": _components(idx, adj),
        "isolates": idx.per_snapshot(snap[degree == 0]),
        "effective_size": effective_size,
        "constraint": constraint,
    }


def cohort_metrics(
    relationships: pd.DataFrame,
    person_ties: pd.DataFrame,
    *,
    sessions: pd.DataFrame | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """The metric table of a whole cohort: one row per client and session.

    The three tables may also be Dask DataFrames: the work is then spread
    over their partitions by :mod:`ipt_network.network.dask` and the same
    table is returned.

    Parameters
    ----------
    relationships : DataFrame
        The tidy ``relationships`` table: at least ``client_id, session,
        person_id, ring, conflict, support``.
    person_ties : DataFrame
        The tidy ``person_ties`` table: ``client_id, session, source, target``.
    sessions : DataFrame, optional
        The ``sessions`` table (``client_id, session``). With it, sessions with
        nobody on the map get a row too (size 0, effective size and
        constraint NaN); without it, rows are the client-sessions that have
        relationship rows.
    progress : bool, default False
        Show a progress bar on stderr for large cohorts.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, sorted by client id and session. Counts are
        ``int64``; ``density``, ``effective_size``, ``constraint`` and
        ``jaccard`` are ``float64``; the other change columns are nullable
        ``Int64``, empty for a client's first session.

    Raises
    ------
    ValueError
        When a table lacks a column, holds empty or out-of-range values, lists
        a person twice in one session, or has a person tie that is not
        between two different people on the map at that session.

    Examples
    --------
    >>> import pandas as pd
    >>> rel = pd.DataFrame({"client_id": ["c"] * 4, "session": [1, 1, 1, 2],
    ...     "person_id": ["a", "b", "c", "a"], "ring": [1, 1, 3, 2],
    ...     "conflict": [2, 0, 4, 0], "support": [3, 4, 0, 3]})
    >>> ties = pd.DataFrame({"client_id": ["c"], "session": [1], "source": ["a"],
    ...     "target": ["b"]})
    >>> table = cohort_metrics(rel, ties)
    >>> table[["session", "n_people", "n_ambivalent", "components", "added", "lost"]]
       session  n_people  n_ambivalent  components  added  lost
    0        1         3             1           2   <NA>  <NA>
    1        2         1             0           1      0     2
    """
    if type(relationships).__module__.startswith("dask"):
        from ipt_network.network.dask import cohort_metrics_dask, collect  # dask is optional

        return collect(cohort_metrics_dask(relationships, person_ties, sessions=sessions))
    quiet = not progress or len(relationships) < PROGRESS_MIN
    with tqdm(total=4, desc="metrics", unit="step", disable=quiet, leave=False) as bar:
        idx = index_snapshots(relationships, person_ties, sessions)
        bar.update()
        arrays = metric_arrays(idx)
        bar.update()
        changes = change_frame(idx)
        bar.update()
        metrics = pd.DataFrame(
            {
                c: arrays[c] if c in _FLOAT_METRICS else arrays[c].astype(np.int64)
                for c in METRIC_COLUMNS
            }
        )
        table = pd.concat([snapshot_keys(idx), metrics, changes], axis=1)
        bar.update()
    return table


def _graph_tables(G: nx.Graph) -> tuple[pd.DataFrame, pd.DataFrame]:
    if names.EGO not in G:
        raise BadTable(f"the snapshot graph has no {names.EGO!r} node")
    rows = []
    for person in G.neighbors(names.EGO):
        data = G.edges[names.EGO, person]
        missing = [k for k in (names.RING, names.CONFLICT, names.SUPPORT) if data.get(k) is None]
        if missing:
            raise BadTable(f"the edge from the client to {person!r} lacks {', '.join(missing)}")
        rows.append((str(person), data[names.RING], data[names.CONFLICT], data[names.SUPPORT]))
    people = {p for p, *_ in rows}
    ties = []
    for u, v in G.edges():
        if names.EGO in (u, v):
            continue
        if str(u) not in people or str(v) not in people:
            raise BadTable("a person tie joins someone the client is not tied to")
        ties.append((str(u), str(v)))
    client = str(G.graph.get("client_id", "client"))
    session = int(G.graph.get("session", 1))
    rel = pd.DataFrame(
        rows, columns=["person_id", names.RING, names.CONFLICT, names.SUPPORT]
    ).astype(
        {
            "person_id": "string",
            names.RING: "int64",
            names.CONFLICT: "int64",
            names.SUPPORT: "int64",
        }
    )
    rel.insert(0, "client_id", pd.Series([client] * len(rel), dtype="string"))
    rel.insert(1, "session", np.full(len(rel), session, dtype=np.int64))
    tie = pd.DataFrame(ties, columns=["source", "target"], dtype="string")
    tie.insert(0, "client_id", pd.Series([client] * len(tie), dtype="string"))
    tie.insert(1, "session", np.full(len(tie), session, dtype=np.int64))
    return rel, tie


def snapshot_metrics(G: nx.Graph) -> dict[str, Any]:
    """The network metrics of one snapshot graph.

    Parameters
    ----------
    G : networkx.Graph
        A snapshot as built by :func:`ipt_network.network.graph.snapshot`: an
        :data:`~ipt_network.names.EGO` node whose edges carry ``ring``,
        ``conflict`` and ``support``, and person ties between people.

    Returns
    -------
    dict
        The :data:`METRIC_COLUMNS` of the snapshot: ints for counts, floats
        for ``density``, ``effective_size`` and ``constraint``.

    Raises
    ------
    ValueError
        When there is no ego node, an ego edge lacks ring, conflict or
        support, or a person is tied to someone off the map.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> from ipt_network.network.graph import snapshot
    >>> m = snapshot_metrics(snapshot(load_samples(), "grief-01", 1))
    >>> m["n_people"] >= m["n_inner"]
    True
    """
    rel, tie = _graph_tables(G)
    session = int(G.graph.get("session", 1))
    client = str(G.graph.get("client_id", "client"))
    sessions = pd.DataFrame(
        {"client_id": pd.Series([client], dtype="string"), "session": [session]}
    )
    idx = index_snapshots(rel, tie, sessions)
    arrays = metric_arrays(idx)
    return {
        c: float(arrays[c][0]) if c in _FLOAT_METRICS else int(arrays[c][0]) for c in METRIC_COLUMNS
    }
