"""The cohort read model: PHQ-9 course and network change across many clients.

:func:`cohort_view` gives the few small tables the dashboard's cohort page
(``/cohort``) draws, for all clients or for those a filter keeps:

* ``course``: the PHQ-9 course by problem area, per area and session: the
  number of clients with a total, the mean, the standard deviation and the
  quartiles. Totals are scored as everywhere else in the project
  (:func:`ipt_network.clinical.measures.phq9_scores`: prorated when one or
  two items are missing, none when more are).
* ``clients``: one row per client: the PHQ-9 change from the first total to
  the last, and the network change from the first session to the last: the
  people added (on the last map but not the first) and lost (on the first
  but not the last), as :func:`ipt_network.network.engine.change_arrays`
  counts them between two snapshots, and the change in mean support and in
  mean closeness (:func:`ipt_network.research.panel.per_person`, as the models use them).
* ``bins``: the distribution of those four network changes, as counts in
  fixed bins (the same bins whatever the filter, so figures compare).
* ``summary``: per network change, its count, quartiles and mean.

Only what the page needs is read: the ``clients``, ``sessions`` and
``relationships`` tables (:meth:`ipt_network.io.store.Store.read_tables`, the
store's bulk read from its columnar copy), and of the relationships only the
rows of each client's first and last session.

Definitions
-----------
Problem area
    The client's ``focus``: the area, when one is chosen; ``several`` when
    more than one; ``none`` when none is chosen yet. Each client is in one
    group (:data:`AREAS`), so the groups' counts add up to the cohort.
Episode
    ``clients.episode`` (:data:`EPISODES`); ``unknown`` when not recorded.
Course length
    The number of sessions recorded, in the bands of :data:`COURSE_LENGTHS`:
    8 or fewer, 9 to 12, 13 to 16, more than 16. Clients with no session
    recorded yet have nothing to show and are left out (``n_not_started``).

Examples
--------
>>> from ipt_network import load_samples
>>> view = cohort_view(load_samples())
>>> view.n_clients, view.n_total
(4, 4)
>>> sorted(view.clients["area"])
['grief', 'interpersonal_deficits', 'role_dispute', 'role_transition']
>>> cohort_view(load_samples(), areas=["grief"]).n_clients
1
>>> cohort_view(load_samples(), areas=[]).empty
True
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipt_network import names
from ipt_network.clinical.measures import phq9_scores
from ipt_network.errors import BadArgument
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store
from ipt_network.network.engine import change_arrays, index_snapshots
from ipt_network.research.panel import per_person
from ipt_network.words import AREA_TITLES, EPISODE_WORDS, NO_FOCUS

__all__ = [
    "AREAS",
    "EPISODES",
    "COURSE_LENGTHS",
    "CHANGES",
    "CLIENT_COLUMNS",
    "CohortView",
    "CohortBase",
    "cohort_view",
    "cohort_base",
    "stored_base",
    "forget_bases",
    "area_summary",
    "course_length",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: More than any session number, for integer (client, session) keys.
_SESSION_SPAN: Final = 1 << 20

#: Problem-area groups, in the order the page lists them, with their words.
AREAS: Final[Mapping[str, str]] = {
    **AREA_TITLES,
    "several": "Several areas",
    "none": NO_FOCUS[0].upper() + NO_FOCUS[1:],
}
#: Episode groups (``clients.episode``, or ``unknown``) with their words.
EPISODES: Final[Mapping[str, str]] = {
    **{e: EPISODE_WORDS[e][0].upper() + EPISODE_WORDS[e][1:] for e in names.EPISODES},
    "unknown": "Not recorded",
}
#: Course-length bands: key -> (fewest sessions, most sessions or None, words).
COURSE_LENGTHS: Final[Mapping[str, tuple[int, int | None, str]]] = {
    "up_to_8": (1, 8, "8 sessions or fewer"),
    "9_to_12": (9, 12, "9 to 12 sessions"),
    "13_to_16": (13, 16, "13 to 16 sessions"),
    "over_16": (17, None, "More than 16 sessions"),
}
#: The network changes from the first session to the last: column -> (words, bin width).
CHANGES: Final[Mapping[str, tuple[str, float]]] = {
    "added": ("People added", 1.0),
    "lost": ("People lost", 1.0),
    "support_change": ("Change in mean support", 0.25),
    "closeness_change": ("Change in mean closeness", 0.125),
}
#: The largest change each measure can take (support 0 to 4, closeness 1 to 3).
_CHANGE_SPAN: Final = {"support_change": 4.0, "closeness_change": 2.0}

#: Columns of :attr:`CohortView.clients`, in order.
CLIENT_COLUMNS: Final = (
    "client_id",
    "area",
    "episode",
    "sessions",
    "course_length",
    "phq9_first",
    "phq9_last",
    "phq9_change",
    "n_people_first",
    "n_people_last",
    "added",
    "lost",
    "support_first",
    "support_last",
    "support_change",
    "closeness_first",
    "closeness_last",
    "closeness_change",
)


@dataclass(frozen=True)
class CohortView:
    """What the cohort page shows, for the clients a filter keeps.

    Attributes
    ----------
    clients : DataFrame
        One row per client kept, columns :data:`CLIENT_COLUMNS`. Counts are
        nullable integers, the means and changes floats (NaN when not
        measured: one session only, an empty map, fewer than two PHQ-9 totals).
    course : DataFrame
        ``area, session, n, mean, sd, q1, median, q3``: the PHQ-9 totals of the
        clients kept, per area group and session number (``sd`` NaN for one client).
    bins : DataFrame
        ``measure, lo, hi, count``: the clients per bin of each network change
        of :data:`CHANGES` (a bin holds ``lo <= x < hi``; the last one its ``hi`` too).
    summary : DataFrame
        ``measure, n, mean, q1, median, q3``, one row per network change.
    n_total : int
        Clients in the cohort before filtering (those with a session recorded).
    n_not_started : int
        Clients left out because no session is recorded yet.
    """

    clients: pd.DataFrame
    course: pd.DataFrame
    bins: pd.DataFrame
    summary: pd.DataFrame
    n_total: int
    n_not_started: int

    @property
    def n_clients(self) -> int:
        """Clients kept by the filters."""
        return len(self.clients)

    @property
    def empty(self) -> bool:
        """No client is kept."""
        return self.clients.empty


@dataclass(frozen=True)
class CohortBase:
    """The unfiltered tables :func:`cohort_view` filters (from :func:`cohort_base`).

    Attributes
    ----------
    clients : DataFrame
        Columns :data:`CLIENT_COLUMNS`, every client with a session recorded.
    phq9 : DataFrame
        ``client_id, session, phq9_total``: every PHQ-9 total of those clients.
    n_not_started : int
        Clients with no session recorded.
    """

    clients: pd.DataFrame
    phq9: pd.DataFrame
    n_not_started: int


def course_length(sessions: int) -> str:
    """The :data:`COURSE_LENGTHS` band of a course of ``sessions`` sessions (at least 1).

    Examples
    --------
    >>> [course_length(n) for n in (1, 8, 9, 12, 13, 16, 17, 40)]
    ['up_to_8', 'up_to_8', '9_to_12', '9_to_12', '13_to_16', '13_to_16', 'over_16', 'over_16']
    """
    for key, (lo, hi, _) in COURSE_LENGTHS.items():
        if sessions >= lo and (hi is None or sessions <= hi):
            return key
    raise BadArgument(f"a course length is at least 1 session, not {sessions}")


def _course_lengths(sessions: pd.Series) -> pd.Series:
    """:func:`course_length` of every value, vectorised."""
    edges = [lo for lo, _, _ in COURSE_LENGTHS.values()][1:]
    keys = np.array(list(COURSE_LENGTHS))
    return pd.Series(keys[np.searchsorted(edges, sessions.to_numpy(), side="right")])


def _at(rows: pd.DataFrame, keys: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Which ``rows`` have a (``client_id``, ``session``) of ``keys`` (Arrow lookups, int keys)."""
    clients = pa.array(keys["client_id"].astype("string").unique(), type=pa.string())

    def key(frame: pd.DataFrame) -> IntArray:
        ids = pa.array(frame["client_id"].astype("string"), type=pa.string())
        code = pc.index_in(ids, value_set=clients).fill_null(-1).to_numpy()
        return code.astype(np.int64) * _SESSION_SPAN + frame["session"].to_numpy(dtype=np.int64)

    return np.isin(key(rows), key(keys))


def _network_change(relationships: pd.DataFrame, ends: pd.DataFrame) -> pd.DataFrame:
    """People added and lost and the means at the first and last session of each client.

    ``ends`` holds ``client_id, session`` of each client's first and last
    session (one row when they are the same); only those snapshots are indexed.
    """
    rel = relationships[["client_id", "session", "person_id", "ring", "conflict", "support"]]
    idx = index_snapshots(rel[_at(rel, ends)], sessions=ends)
    weight = np.array([0.0, *(names.closeness_weight(r) for r in (1, 2, 3))])
    n_people = idx.per_snapshot(idx.row_snap)
    support = per_person(n_people, idx.per_snapshot(idx.row_snap, idx.support))
    closeness = per_person(n_people, idx.per_snapshot(idx.row_snap, weight[idx.ring]))
    change = change_arrays(idx)
    # each client has one snapshot (first session = last) or two (prev of the last is the first)
    snaps = np.arange(idx.n_snapshots)
    is_first = np.zeros(idx.n_snapshots, dtype=bool)
    is_first[idx.prev[idx.prev >= 0]] = True
    stop = snaps[~is_first]
    start = np.where(idx.prev[stop] >= 0, idx.prev[stop], stop)
    two = start != stop

    def both(values: FloatArray) -> FloatArray:
        """``values`` where a client has two sessions, NaN for a lone session."""
        return np.where(two, values, np.nan)

    def counts(values: FloatArray) -> pd.arrays.IntegerArray:
        return pd.array(both(values), dtype="Float64").astype("Int64")

    return pd.DataFrame(
        {
            "client_id": pd.array(idx.client_ids[idx.snap_client[stop]].astype(str), "string"),
            "n_people_first": n_people[start].astype(np.int64),
            "n_people_last": n_people[stop].astype(np.int64),
            "added": counts(change["added"][stop]),
            "lost": counts(change["lost"][stop]),
            "support_first": support[start],
            "support_last": support[stop],
            "support_change": both(support[stop] - support[start]),
            "closeness_first": closeness[start],
            "closeness_last": closeness[stop],
            "closeness_change": both(closeness[stop] - closeness[start]),
        }
    )


def _area_groups(focus: pd.Series) -> pd.Series:
    """The area group of every ``focus`` cell (``"a;b"``): the area, ``several`` or ``none``."""
    text = focus.astype("string").fillna("").str.strip()
    several = text.str.contains(";", regex=False) & (
        text.str.split(";").map(lambda parts: sum(1 for p in parts if p.strip())) > 1
    )
    single = text.str.strip("; ").str.strip()
    out = single.where(single != "", "none").where(~several, "several")
    return out.astype(str)


def cohort_base(source: Store | Inventory) -> CohortBase:
    """The unfiltered cohort: every client's row of :data:`CLIENT_COLUMNS` and PHQ-9 totals.

    Parameters
    ----------
    source : Store or Inventory
        A store (its ``clients``, ``sessions`` and ``relationships`` tables are
        read in bulk) or tables already read.

    Returns
    -------
    CohortBase
    """
    if isinstance(source, Store):
        source = Inventory.from_tables(source.read_tables(["clients", "sessions", "relationships"]))
    clients, sessions = source.clients, source.sessions
    ses = pd.DataFrame(
        {
            "client_id": sessions["client_id"].astype(str).to_numpy(),
            "session": sessions["session"].astype("int64").to_numpy(),
            "phq9_total": phq9_scores(sessions)["phq9_total"].to_numpy(
                dtype=np.float64, na_value=np.nan
            ),
        }
    ).sort_values(["client_id", "session"], kind="stable")
    by_client = ses.groupby("client_id", sort=False)["session"]
    counts = by_client.size()
    ends = pd.concat(
        [by_client.min().rename("session"), by_client.max().rename("session")]
    ).reset_index()
    ends = ends.drop_duplicates().sort_values(["client_id", "session"], ignore_index=True)
    network = _network_change(source.relationships, ends)
    totals = ses.dropna(subset=["phq9_total"])
    by_total = totals.groupby("client_id", sort=False)["phq9_total"]
    n_totals = by_total.size()
    ids = clients["client_id"].astype(str)
    started = ids.isin(counts.index).to_numpy()
    ids = ids[started].reset_index(drop=True)
    first, last = ids.map(by_total.first()), ids.map(by_total.last())
    two_totals = ids.map(n_totals).fillna(0).to_numpy() >= 2
    episode = clients["episode"] if "episode" in clients else pd.Series([None] * len(clients))
    n_sessions = ids.map(counts).astype("int64")
    table = pd.DataFrame(
        {
            "client_id": ids.astype("string"),
            "area": _area_groups(clients["focus"][started].reset_index(drop=True)),
            "episode": episode[started]
            .astype("string")
            .fillna("unknown")
            .reset_index(drop=True)
            .astype(str),
            "sessions": n_sessions,
            "course_length": _course_lengths(n_sessions),
            "phq9_first": first.astype("Int64"),
            "phq9_last": last.astype("Int64"),
            "phq9_change": (last - first).astype("Int64").where(two_totals, pd.NA),
        }
    )
    table = table.join(network.set_index("client_id"), on="client_id")
    return CohortBase(
        clients=table[list(CLIENT_COLUMNS)],
        phq9=totals.reset_index(drop=True),
        n_not_started=int((~started).sum()),
    )


_BASES: weakref.WeakKeyDictionary[Store, tuple[int, CohortBase]] = weakref.WeakKeyDictionary()
_BASES_LOCK: Final = threading.Lock()


def stored_base(store: Store) -> CohortBase:
    """:func:`cohort_base` of a store, built once per store revision.

    The revision is read before the tables, so a write landing in between
    leaves a base that the next call replaces, never a stale one kept.
    """
    revision = store.revision
    with _BASES_LOCK:
        kept = _BASES.get(store)
    if kept is not None and kept[0] == revision:
        return kept[1]
    base = cohort_base(store)
    with _BASES_LOCK:
        _BASES[store] = (revision, base)
    return base


def forget_bases() -> None:
    """Drop every base :func:`stored_base` keeps (the next call reads the store again)."""
    with _BASES_LOCK:
        _BASES.clear()


def _chosen(values: Iterable[str] | None, known: Mapping[str, object], what: str) -> set[str]:
    """The keys a filter keeps (all when ``None``), each checked against ``known``."""
    if values is None:
        return set(known)
    chosen = {str(v) for v in values}
    unknown = sorted(chosen - set(known))
    if unknown:
        raise BadArgument(f"{what} has no group {unknown[0]!r}; choose from {', '.join(known)}")
    return chosen


def _course(phq9: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """PHQ-9 totals per area group and session: n, mean, SD and quartiles."""
    rows = phq9.merge(clients[["client_id", "area"]].astype({"client_id": str}), on="client_id")
    values = rows["phq9_total"].astype("float64")
    grouped = values.groupby([rows["area"], rows["session"]], sort=False)
    course = pd.DataFrame(
        {
            "n": grouped.size(),
            "mean": grouped.mean(),
            "sd": grouped.std(),
            "q1": grouped.quantile(0.25),
            "median": grouped.median(),
            "q3": grouped.quantile(0.75),
        }
    ).reset_index()
    order = {a: i for i, a in enumerate(AREAS)}
    course = course.sort_values(
        ["area", "session"], key=lambda s: s.map(order) if s.name == "area" else s
    )
    return course.reset_index(drop=True).astype({"n": "int64"})


def _edges(measure: str, values: FloatArray) -> FloatArray:
    """Fixed bin edges of a network change: whole numbers for counts, its span for means."""
    width = CHANGES[measure][1]
    if measure in _CHANGE_SPAN:
        span = _CHANGE_SPAN[measure]
        return np.arange(-span, span + width / 2, width)
    top = float(values.max()) if len(values) else 0.0
    return np.arange(0.0, top + 2.0, width)


def _distributions(clients: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``bins`` and ``summary`` tables of the network changes of ``clients``."""
    bins, summary = [], []
    for measure in CHANGES:
        values = clients[measure].astype("float64").to_numpy()
        values = values[~np.isnan(values)]
        edges = _edges(measure, values)
        counts, _ = np.histogram(values, bins=edges)
        bins.append(
            pd.DataFrame({"measure": measure, "lo": edges[:-1], "hi": edges[1:], "count": counts})
        )
        q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75]) if len(values) else [np.nan] * 3
        mean = float(values.mean()) if len(values) else np.nan
        summary.append(
            {
                "measure": measure,
                "n": len(values),
                "mean": mean,
                "q1": q1,
                "median": median,
                "q3": q3,
            }
        )
    return pd.concat(bins, ignore_index=True).astype({"count": "int64"}), pd.DataFrame(summary)


def cohort_view(
    source: Store | Inventory | CohortBase,
    *,
    areas: Iterable[str] | None = None,
    episodes: Iterable[str] | None = None,
    course_lengths: Iterable[str] | None = None,
) -> CohortView:
    """The cohort page's tables for the clients the filters keep.

    Parameters
    ----------
    source : Store, Inventory or CohortBase
        A store (read once per revision, :func:`stored_base`), tables, or the
        unfiltered cohort from :func:`cohort_base` (built once, filtered many times).
    areas, episodes, course_lengths : iterable of str, optional
        Keys of :data:`AREAS`, :data:`EPISODES` and :data:`COURSE_LENGTHS`
        to keep (default: all). An empty iterable keeps nobody.

    Returns
    -------
    CohortView

    Raises
    ------
    BadArgument
        When a filter names a group that does not exist.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> base = cohort_base(load_samples())
    >>> view = cohort_view(base, course_lengths=["13_to_16", "over_16"])
    >>> view.n_clients <= view.n_total == 4
    True
    >>> list(view.course.columns)
    ['area', 'session', 'n', 'mean', 'sd', 'q1', 'median', 'q3']
    >>> cohort_view(base, episodes=["sometimes"])
    Traceback (most recent call last):
    ...
    ipt_network.errors.BadArgument: episode has no group 'sometimes'; choose from single, \
recurrent, chronic, unknown
    """
    if isinstance(source, Store):
        base = stored_base(source)
    else:
        base = source if isinstance(source, CohortBase) else cohort_base(source)
    table = base.clients
    keep = (
        table["area"].isin(_chosen(areas, AREAS, "problem area"))
        & table["episode"].isin(_chosen(episodes, EPISODES, "episode"))
        & table["course_length"].isin(_chosen(course_lengths, COURSE_LENGTHS, "course length"))
    )
    kept = table[keep.to_numpy()].reset_index(drop=True)
    bins, summary = _distributions(kept)
    return CohortView(
        clients=kept,
        course=_course(base.phq9, kept),
        bins=bins,
        summary=summary,
        n_total=len(table),
        n_not_started=base.n_not_started,
    )


def area_summary(clients: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per area group: clients with both changes measured, and the medians of both.

    Parameters
    ----------
    clients : DataFrame
        :attr:`CohortView.clients`.
    measure : str
        A network change of :data:`CHANGES`.

    Returns
    -------
    DataFrame
        ``area, n, network_median, phq9_median``, areas in the order of
        :data:`AREAS`, only those with a client.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> table = area_summary(cohort_view(load_samples()).clients, "added")
    >>> row = table.set_index("area").loc["grief"]
    >>> int(row["n"]), float(row["network_median"]), float(row["phq9_median"])
    (1, 3.0, -12.0)
    """
    if measure not in CHANGES:
        raise BadArgument(f"measure must be one of {', '.join(CHANGES)}, not {measure!r}")
    x = clients[measure].astype("float64")
    y = clients["phq9_change"].astype("Float64").astype("float64")
    both = x.notna() & y.notna()
    grouped = pd.DataFrame({"area": clients["area"], "x": x, "y": y})[both].groupby("area")
    table = pd.DataFrame(
        {
            "n": grouped.size(),
            "network_median": grouped["x"].median(),
            "phq9_median": grouped["y"].median(),
        }
    )
    order = [a for a in AREAS if a in table.index]
    return table.reindex(order).rename_axis("area").reset_index()
