"""Change between sessions: who joined, who left, who moved, whose conflict moved.

Two layers live here.

* The cohort layer works on whole tables at once. :func:`index_snapshots`
  turns the tidy ``relationships`` (and optionally ``person_ties`` and
  ``sessions``) tables into integer arrays: one index per snapshot (a client
  at a session), the previous snapshot of the same client, and a lookup from
  (snapshot, person) to the relationship row. :func:`session_changes` then
  gives the change columns of the guide (section 3) for every client and
  session: ``added``, ``lost``, ``kept``, ``jaccard``, ``moved_in`` and
  ``moved_out``, empty for a client's first session.
  :mod:`ipt_network.network.metrics` builds the network metrics on the same index.
* The clinical layer, :func:`describe_changes`, tells one client's course in
  sentences a therapist could read aloud, with people's names, and ends with
  a one-line verdict: did the network grow, hold or thin, and where.

Examples
--------
>>> import pandas as pd
>>> rel = pd.DataFrame({
...     "client_id": ["c1"] * 5,
...     "session": [1, 1, 2, 2, 2],
...     "person_id": ["mum", "ann", "mum", "ann", "bob"],
...     "ring": [2, 3, 1, 3, 3],
...     "conflict": [0] * 5,
...     "support": [2] * 5,
... })
>>> session_changes(rel)[["session", "added", "lost", "kept", "jaccard", "moved_in"]]
   session  added  lost  kept   jaccard  moved_in
0        1   <NA>  <NA>  <NA>       NaN      <NA>
1        2      1     0     2  0.666667         1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipt_network.errors import BadTable, WrongType
from ipt_network.io.contract import bounds

__all__ = [
    "CHANGE_COLUMNS",
    "SnapshotIndex",
    "index_snapshots",
    "change_arrays",
    "change_frame",
    "snapshot_keys",
    "session_changes",
]

IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.signedinteger[Any]]
FloatArray = npt.NDArray[np.float64]

#: The change columns, in the order of the metric table.
CHANGE_COLUMNS: tuple[str, ...] = ("added", "lost", "kept", "jaccard", "moved_in", "moved_out")

_REL_COLUMNS = ("client_id", "session", "person_id", "ring", "conflict", "support")
_TIE_COLUMNS = ("client_id", "session", "source", "target")
_SESSION_COLUMNS = ("client_id", "session")
#: Largest dense (snapshot x person) lookup table, in cells, before hashing instead.
DENSE_LIMIT = 1 << 25
#: ... or, for larger cohorts, cells per relationship row.
DENSE_PER_ROW = 8
#: Longest id, in bytes, that the fast path packs into one integer.
PACK_MAX = 8
#: Largest range of packed ids numbered through a lookup table rather than hashed ...
LOOKUP_LIMIT = 1 << 22
#: ... and at most this many table slots per id looked up.
LOOKUP_PER_ID = 8


# --------------------------------------------------------------------------- cohort layer


def _require(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise WrongType(f"{table} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BadTable(f"{table} lacks the column(s) {', '.join(missing)}")
    for c in columns:
        if frame[c].isna().any():
            raise BadTable(f"{table}: column {c} has empty cells")


def _ints(frame: pd.DataFrame, table: str, column: str) -> IntArray:
    """A column of whole numbers within the contract's range for ``table.column``."""
    lo, hi = bounds(table, column)
    try:
        values = frame[column].to_numpy(dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise BadTable(f"{table}: column {column} must hold whole numbers") from exc
    if len(values) and (values.min() < lo or values.max() > hi):
        raise BadTable(f"{table}: column {column} must lie between {lo} and {hi}")
    return values


def _arrow(series: pd.Series) -> pa.Array:
    """An id column as one Arrow string array, without copying when it is Arrow-backed."""
    arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type not in (pa.string(), pa.large_string()):
        arr = arr.cast(pa.large_string())
    return arr


def _all_lengths(offsets: npt.NDArray[Any], width: int, block: int = 1 << 18) -> bool:
    """Whether every string of these Arrow offsets is ``width`` bytes long.

    Checked a block at a time, so the differences stay in cache.
    """
    n = len(offsets) - 1
    step = np.empty(min(n, block), dtype=offsets.dtype)
    for start in range(0, n, block):
        stop = min(start + block, n)
        part = np.subtract(
            offsets[start + 1 : stop + 1], offsets[start:stop], out=step[: stop - start]
        )
        if not bool((part == width).all()):
            return False
    return True


def _pack_into(arr: pa.Array, width: int, out: npt.NDArray[np.uint64]) -> bool:
    """Write each string of ``arr``, all ``width`` bytes long, into ``out`` as one integer.

    The bytes are read in place from the Arrow data buffer, a ``width``-byte
    window per string, so equal ids give equal integers and different ids
    different ones. Returns False (``out`` undefined) when ``arr`` is not a
    null-free string array whose strings all have exactly ``width`` bytes.
    """
    if arr.type == pa.string():
        offset_type: type[np.int32] | type[np.int64] = np.int32
    elif arr.type == pa.large_string():
        offset_type = np.int64
    else:
        return False
    n = len(arr)
    if n == 0:
        return True
    if arr.null_count or width > PACK_MAX:
        return False
    _, offset_buffer, data_buffer = arr.buffers()
    offsets = np.frombuffer(
        offset_buffer,
        dtype=offset_type,
        count=n + 1,
        offset=arr.offset * np.dtype(offset_type).itemsize,
    )
    if not _all_lengths(offsets, width):
        return False
    if width == 0:
        out[:] = 0
        return True
    word = next(w for w in (1, 2, 4, 8) if w >= width)
    mask = np.uint64((1 << (8 * width)) - 1)
    start = int(offsets[0])
    # windows that would run past the end of the buffer are read from a padded copy
    fit = min(n, max(0, (data_buffer.size - start - word) // width + 1))
    head = np.ndarray((fit,), dtype=f"<u{word}", buffer=data_buffer, offset=start, strides=(width,))
    np.bitwise_and(head, mask, out=out[:fit])
    if fit < n:
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        tail = np.zeros((n - fit) * width + word, dtype=np.uint8)
        tail[: (n - fit) * width] = data[start + fit * width : start + n * width]
        rest = np.ndarray((n - fit,), dtype=f"<u{word}", buffer=tail, strides=(width,))
        np.bitwise_and(rest, mask, out=out[fit:])
    return True


def _packed(arrays: Sequence[pa.Array]) -> list[npt.NDArray[np.uint64]] | None:
    """Each string of several arrays packed into one integer, or None.

    The fast path of the id columns: when every string of every array has the
    same length of at most :data:`PACK_MAX` bytes, each id becomes the integer
    of its bytes (equal ids, equal integers), so ids can be compared and
    factorised as integers instead of hashed as strings. One integer array per
    array given.
    """
    out = [np.empty(len(a), dtype=np.uint64) for a in arrays]
    first = next((a for a in arrays if len(a)), None)
    if first is None:
        return out
    value = (
        first[0].as_py() if isinstance(first[0], pa.StringScalar | pa.LargeStringScalar) else None
    )
    if value is None:
        return None
    width = len(value.encode())
    if all(_pack_into(a, width, o) for a, o in zip(arrays, out, strict=True)):
        return out
    return None


def _encode(arrays: Sequence[pa.Array]) -> tuple[list[IntArray], npt.NDArray[np.object_]]:
    """Joint codes of several string arrays, numbered in sorted order of the values."""
    encoded = pc.dictionary_encode(pa.concat_arrays([a.cast(pa.large_string()) for a in arrays]))
    dictionary = encoded.dictionary
    order = np.asarray(pc.sort_indices(dictionary), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    uniques = np.asarray(dictionary.take(pa.array(order)).to_pylist(), dtype=object)
    flat = rank[np.asarray(encoded.indices, dtype=np.int64)]
    bounds = np.cumsum([len(a) for a in arrays])[:-1]
    return list(np.split(flat, bounds)), uniques


def _person_codes(arrays: Sequence[pa.Array]) -> tuple[list[CodeArray], int]:
    """Joint codes of the person-id columns, and the number of codes.

    Equal ids get equal codes and the ids of the first array distinct ones;
    ids missing from the first array (the relationships) may share one extra
    code. Ids of one short length are numbered as packed integers
    (:func:`_packed`), through a lookup table when their range is small;
    others are hashed as strings.
    """
    packed = _packed(arrays)
    if packed is None:
        codes, uniques = _encode(arrays)
        return codes, len(uniques)
    first = packed[0]
    lo, hi = (int(first.min()), int(first.max())) if len(first) else (0, -1)
    if len(first) and hi - lo < min(LOOKUP_LIMIT, LOOKUP_PER_ID * sum(map(len, packed))):
        # few distinct bytes per position (as in "p01", "p02", ...): a lookup table over
        # the range of the first array, whose last slot takes every id outside it
        index = []
        for i, values in enumerate(packed):
            offset = np.subtract(values, np.uint64(lo), out=values)  # below lo: wraps around
            if i:
                np.minimum(offset, np.uint64(hi - lo + 1), out=offset)
            index.append(offset.view(np.int64))
        seen = np.zeros(hi - lo + 2, dtype=bool)
        seen[index[0]] = True
        n_ids = int(np.count_nonzero(seen))
        code = np.where(seen, np.cumsum(seen, dtype=np.int32) - 1, np.int32(n_ids))
        return [code.take(i) for i in index], n_ids + 1
    flat, uniques = pd.factorize(np.concatenate(packed))
    bounds = np.cumsum([len(a) for a in arrays])[:-1]
    return list(np.split(flat.astype(np.int64, copy=False), bounds)), len(uniques)


class _Runs(NamedTuple):
    """Runs of consecutive rows of one client and session (see :func:`_runs`)."""

    clients: pa.Array  # the client id of each run of rows of one client
    client_of_run: IntArray  # for each (client, session) run, its client run
    session: IntArray  # the session of each (client, session) run
    length: IntArray  # the number of rows of each (client, session) run


def _runs(client: pa.Array, session: IntArray) -> _Runs:
    """Runs of consecutive rows of the same client, and of the same client and session.

    Tables arrive grouped by client and session (the tidy files, the store and
    :mod:`ipt_network.io.synth` keep them sorted), so there are far fewer runs
    than rows and only the client id of each client run needs encoding; rows
    in any other order give the same result, only more slowly.
    """
    n = len(session)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Runs(client, empty, empty, empty)
    new_client = np.empty(n, dtype=bool)
    new_client[0] = True
    packed = _packed([client])
    if packed is not None:
        np.not_equal(packed[0][1:], packed[0][:-1], out=new_client[1:])
    else:
        new_client[1:] = np.asarray(pc.not_equal(client.slice(1), client.slice(0, n - 1)))
    new_run = new_client.copy()
    new_run[1:] |= session[1:] != session[:-1]
    starts = np.flatnonzero(new_run)
    client_of_run = np.cumsum(new_client[starts], dtype=np.int64) - 1
    return _Runs(
        clients=client.take(pa.array(np.flatnonzero(new_client))),
        client_of_run=client_of_run,
        session=session[starts],
        length=np.diff(np.append(starts, n)),
    )


class _NodeTable:
    """Find the relationship row of (snapshot, person); -1 when the person is not on the map.

    Snapshot ``n_snap`` (one past the last) stands for "no snapshot": nobody
    is on its map, so lookups need no masking of missing snapshots.
    """

    def __init__(self, snap: IntArray, person: CodeArray, n_snap: int, n_person: int) -> None:
        self.n_snap = n_snap
        self.n_person = max(n_person, 1)
        keys = snap * self.n_person
        keys += person
        n = len(keys)
        cells = (n_snap + 1) * self.n_person
        self.dense: npt.NDArray[np.int32] | None = None
        self.index: pd.Index | None = None
        if n < 2**31 - 1 and cells <= max(DENSE_LIMIT, DENSE_PER_ROW * n):
            rows = np.arange(n, dtype=np.int32)
            self.dense = np.full(cells, -1, dtype=np.int32)
            self.dense[keys] = rows
            duplicated = bool((self.dense[keys] != rows).any())
        else:
            self.index = pd.Index(keys)
            duplicated = bool(self.index.has_duplicates)
        if duplicated:
            raise BadTable("relationships: a person appears twice in the same client and session")

    def base(self, snap: IntArray) -> IntArray:
        """The key of person 0 in each snapshot; ``-1`` (no snapshot) allowed."""
        return np.where(snap >= 0, snap, self.n_snap) * self.n_person

    def find(self, base: IntArray, person: CodeArray) -> IntArray:
        """Rows of (snapshot, ``person``), the snapshot given by its :meth:`base`."""
        keys = base + person
        if self.dense is not None:
            return self.dense.take(keys).astype(np.int64)
        assert self.index is not None
        return self.index.get_indexer(pd.Index(keys)).astype(np.int64)


@dataclass(frozen=True)
class SnapshotIndex:
    """Integer arrays describing every snapshot of a cohort.

    Snapshots are numbered ``0 .. n_snapshots - 1`` in order of client id,
    then session. Build one with :func:`index_snapshots`.

    Attributes
    ----------
    client_ids : ndarray of str
        Sorted distinct client ids; ``snap_client`` indexes into it.
    snap_client, snap_session : ndarray of int64
        Client code and session number of each snapshot.
    prev : ndarray of int64
        The previous snapshot of the same client, ``-1`` for a first session.
    row_snap : ndarray of int64
        Snapshot of each relationship row.
    row_person : ndarray of int32 or int64
        Person code of each relationship row.
    ring, conflict, support : ndarray of int64
        The relationship columns, row by row.
    tie_a, tie_b, tie_snap : ndarray of int64
        For each person tie, the relationship rows of its two ends and its snapshot.
    """

    client_ids: npt.NDArray[np.object_]
    snap_client: IntArray
    snap_session: IntArray
    prev: IntArray
    row_snap: IntArray
    row_person: CodeArray
    ring: IntArray
    conflict: IntArray
    support: IntArray
    tie_a: IntArray
    tie_b: IntArray
    tie_snap: IntArray
    nodes: _NodeTable

    @property
    def n_snapshots(self) -> int:
        """Number of snapshots."""
        return len(self.snap_client)

    def per_snapshot(self, snap: IntArray, weights: npt.ArrayLike | None = None) -> FloatArray:
        """Sum ``weights`` (default 1) by snapshot: a vectorised group-by."""
        return np.bincount(snap, weights=weights, minlength=self.n_snapshots).astype(np.float64)


def _bad_rows(
    table: str, what: str, mask: npt.NDArray[np.bool_], idx: SnapshotIndex, snap: IntArray
) -> BadTable:
    first = int(np.flatnonzero(mask)[0])
    s = int(snap[first])
    where = (
        f" (first: client {idx.client_ids[idx.snap_client[s]]!r}, "
        f"session {int(idx.snap_session[s])})"
    )
    return BadTable(f"{table}: {int(mask.sum())} row(s) {what}{where}")


def index_snapshots(
    relationships: pd.DataFrame,
    person_ties: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
) -> SnapshotIndex:
    """Number every snapshot and person of a cohort, on whole tables at once.

    Parameters
    ----------
    relationships : DataFrame
        Columns ``client_id, session, person_id, ring, conflict, support``.
    person_ties : DataFrame, optional
        Columns ``client_id, session, source, target``; both ends must be on
        the map at that session, no self-ties, each pair at most once.
    sessions : DataFrame, optional
        Columns ``client_id, session``. With it, every session listed is a
        snapshot, including sessions with nobody on the map; without it, the
        snapshots are the client-sessions that have relationship rows.

    Returns
    -------
    SnapshotIndex

    Raises
    ------
    ValueError
        When a column is missing or empty, a value is out of range, a person
        appears twice in a snapshot, or a person tie is malformed.

    Examples
    --------
    >>> import pandas as pd
    >>> rel = pd.DataFrame({"client_id": ["b", "a", "a"], "session": [1, 2, 1],
    ...     "person_id": ["x", "x", "x"], "ring": [1, 1, 2], "conflict": [0, 0, 0],
    ...     "support": [1, 1, 1]})
    >>> idx = index_snapshots(rel)
    >>> list(idx.client_ids), idx.snap_session.tolist(), idx.prev.tolist()
    (['a', 'b'], [1, 2, 1], [-1, 0, -1])
    """
    _require(relationships, "relationships", _REL_COLUMNS)
    ties = (
        person_ties
        if person_ties is not None
        else pd.DataFrame(
            {c: pd.Series(dtype="string" if c != "session" else "int64") for c in _TIE_COLUMNS}
        )
    )
    _require(ties, "person_ties", _TIE_COLUMNS)
    if sessions is not None:
        _require(sessions, "sessions", _SESSION_COLUMNS)
    frames = [relationships, ties] + ([sessions] if sessions is not None else [])
    labels = ["relationships", "person_ties", "sessions"]
    s_all = [_ints(f, t, "session") for f, t in zip(frames, labels, strict=False)]
    ring, conflict, support = (
        _ints(relationships, "relationships", c) for c in ("ring", "conflict", "support")
    )

    # snapshots: encode the client ids of runs of rows, not of every row
    runs = [_runs(_arrow(f["client_id"]), s) for f, s in zip(frames, s_all, strict=True)]
    client_codes, client_ids = _encode([r.clients for r in runs])
    width = int(max((s.max() for s in s_all if len(s)), default=0)) + 1
    run_keys = [
        c[r.client_of_run] * width + r.session for c, r in zip(client_codes, runs, strict=True)
    ]
    present = np.zeros(len(client_ids) * width, dtype=bool)
    present[run_keys[0]] = True
    if sessions is not None:
        present[run_keys[2]] = True
    slot = np.cumsum(present, dtype=np.int64) - 1
    where = np.flatnonzero(present)
    snap_client, snap_session = where // width, where % width
    n_snap = len(where)
    prev = np.arange(n_snap, dtype=np.int64) - 1
    if n_snap:
        first = np.ones(n_snap, dtype=bool)
        first[1:] = snap_client[1:] != snap_client[:-1]
        prev[first] = -1
    row_snap = np.repeat(slot[run_keys[0]], runs[0].length)
    tie_run_snap = np.where(present[run_keys[1]], slot[run_keys[1]], -1)
    tie_snap = np.repeat(tie_run_snap, runs[1].length)

    (p_rel, p_src, p_tgt), n_person = _person_codes(
        [_arrow(relationships["person_id"]), _arrow(ties["source"]), _arrow(ties["target"])]
    )
    nodes = _NodeTable(row_snap, p_rel, n_snap, n_person)
    tie_base = np.repeat(nodes.base(tie_run_snap), runs[1].length)
    tie_a = nodes.find(tie_base, p_src)
    tie_b = nodes.find(tie_base, p_tgt)
    idx = SnapshotIndex(
        client_ids=client_ids,
        snap_client=snap_client,
        snap_session=snap_session,
        prev=prev,
        row_snap=row_snap,
        row_person=p_rel,
        ring=ring,
        conflict=conflict,
        support=support,
        tie_a=tie_a,
        tie_b=tie_b,
        tie_snap=tie_snap,
        nodes=nodes,
    )
    if len(tie_a):
        _check_ties(idx)
    return idx


def _check_ties(idx: SnapshotIndex) -> None:
    a, b = idx.tie_a, idx.tie_b
    if bool((a < b).all()) and int(a.min()) >= 0:
        low, high = a, b  # every tie names its lower row first, as sorted tables do
    else:
        low, high = np.minimum(a, b), np.maximum(a, b)
        if int(low.min()) < 0:
            off = low < 0
            if (idx.tie_snap[off] < 0).all():
                raise BadTable(
                    f"person_ties: {int(off.sum())} row(s) name a client and session with "
                    "nobody on the map"
                )
            mask = off & (idx.tie_snap >= 0)
            raise _bad_rows(
                "person_ties",
                "join someone who is not on the map at that session",
                mask,
                idx,
                idx.tie_snap,
            )
        selfie = low == high
        if selfie.any():
            raise _bad_rows("person_ties", "tie a person to themselves", selfie, idx, idx.tie_snap)
    n = max(len(idx.row_snap), 1)
    pair = low * n
    pair += high
    if len(pair) > 1 and bool((pair[1:] > pair[:-1]).all()):
        return  # strictly increasing (sorted input): no pair repeats
    dup = np.asarray(pd.Index(pair).duplicated())
    if dup.any():
        raise _bad_rows("person_ties", "repeat a pair already tied", dup, idx, idx.tie_snap)


def change_arrays(idx: SnapshotIndex) -> dict[str, npt.NDArray[np.float64]]:
    """The change columns as float arrays, NaN for a client's first session.

    Parameters
    ----------
    idx : SnapshotIndex
        From :func:`index_snapshots`.

    Returns
    -------
    dict of str to ndarray
        One array per name of :data:`CHANGE_COLUMNS`, aligned with the snapshots.
    """
    prev_row = idx.nodes.find(idx.nodes.base(idx.prev)[idx.row_snap], idx.row_person)
    kept_row = prev_row >= 0
    # each row falls in one cell: 0 new, 1 moved out, 2 kept in its ring, 3 moved in;
    # a single bincount of (snapshot, cell) gives every count
    cell = np.sign(idx.ring[np.maximum(prev_row, 0)] - idx.ring)
    cell += 2
    cell *= kept_row
    key = idx.row_snap * 4
    key += cell
    counts = np.bincount(key, minlength=idx.n_snapshots * 4).reshape(-1, 4).astype(np.float64)
    n = counts.sum(axis=1)
    kept = n - counts[:, 0]
    n_prev = np.where(idx.prev >= 0, n[np.maximum(idx.prev, 0)], np.nan)
    first = idx.prev < 0
    union = n + n_prev - kept
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, kept / union, 1.0)
    out = {
        "added": counts[:, 0].copy(),
        "lost": n_prev - kept,
        "kept": kept,
        "jaccard": jaccard,
        "moved_in": counts[:, 3].copy(),
        "moved_out": counts[:, 1].copy(),
    }
    for values in out.values():
        values[first] = np.nan
    return out


def snapshot_keys(idx: SnapshotIndex) -> pd.DataFrame:
    """``client_id`` (string) and ``session`` (int64) of every snapshot, in order."""
    return pd.DataFrame(
        {
            "client_id": pd.Series(
                pa.array(idx.client_ids, type=pa.large_string()).take(pa.array(idx.snap_client)),
                dtype="string",
            ),
            "session": idx.snap_session,
        }
    )


def _nullable_ints(values: FloatArray) -> pd.arrays.IntegerArray:
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def change_frame(idx: SnapshotIndex) -> pd.DataFrame:
    """The change columns as a DataFrame: nullable ``Int64`` counts, ``float64`` jaccard."""
    arrays = change_arrays(idx)
    return pd.DataFrame(
        {c: arrays[c] if c == "jaccard" else _nullable_ints(arrays[c]) for c in CHANGE_COLUMNS}
    )


def session_changes(
    relationships: pd.DataFrame, sessions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Change from the previous session, for every client and session.

    Parameters
    ----------
    relationships : DataFrame
        The tidy ``relationships`` table (at least ``client_id, session,
        person_id, ring, conflict, support``).
    sessions : DataFrame, optional
        The ``sessions`` table, so sessions with nobody on the map count too.

    Returns
    -------
    DataFrame
        ``client_id, session`` and :data:`CHANGE_COLUMNS`, sorted by client and
        session. Counts are nullable integers; every change column is empty
        for a client's first session. ``jaccard`` is 1.0 when both maps are empty.

    Examples
    --------
    >>> import pandas as pd
    >>> rel = pd.DataFrame({"client_id": ["c", "c"], "session": [1, 3],
    ...     "person_id": ["x", "y"], "ring": [1, 1], "conflict": [0, 0],
    ...     "support": [0, 0]})
    >>> ses = pd.DataFrame({"client_id": ["c"] * 3, "session": [1, 2, 3]})
    >>> session_changes(rel, ses)[["session", "added", "lost", "jaccard"]]
       session  added  lost  jaccard
    0        1   <NA>  <NA>      NaN
    1        2      0     1      0.0
    2        3      1     0      0.0
    """
    idx = index_snapshots(relationships, sessions=sessions)
    return pd.concat([snapshot_keys(idx), change_frame(idx)], axis=1)
