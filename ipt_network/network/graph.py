"""Snapshot graphs: one client's map at one session as a ``networkx.Graph``.

A snapshot has an ego node (:data:`~ipt_network.names.EGO`) for the client,
one node per person on the map carrying the person's attributes, one
ego-person edge per person carrying the relationship state (ring, closeness
weight ``4 - ring``, conflict, support and the optional inventory fields) and
one edge per person tie. Every edge has a :data:`~ipt_network.names.TIE`
attribute telling the two kinds apart. All attribute names live in
:mod:`ipt_network.names`.

Examples
--------
>>> from ipt_network import load_samples, names
>>> inv = load_samples()
>>> G = snapshot(inv, "grief-01", 1)
>>> G.graph["session"], G.nodes[names.EGO][names.KIND]
(1, 'ego')
>>> all(d[names.CLOSENESS] == 4 - d[names.RING] for _, _, d in G.edges(names.EGO, data=True))
True
>>> len(course(inv, "grief-01")) == len(inv.sessions_of("grief-01"))
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import networkx as nx
import pandas as pd

from ipt_network import names
from ipt_network.errors import SessionNotFound
from ipt_network.io.inventory import Inventory, is_missing

__all__ = ["snapshot", "course", "person_subgraph"]

# Under this name an Inventory keeps each client's rows as plain values (Inventory.kept).
_KIND: Final = "snapshot rows"
_PERSON_TIE: Final = {names.TIE: names.TIE_PERSON}
_PERSON_COLUMNS = ("name", "role", "deceased_date", "notes")
_STATE_COLUMNS = ("ring", "conflict", "support", *names.RELATIONSHIP_FIELDS)


def _clean(value: Any) -> Any:
    """Plain Python values on the graph: NA becomes None, numpy ints become int."""
    if is_missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _columns(frame: pd.DataFrame, wanted: tuple[str, ...]) -> list[str]:
    return [c for c in wanted if c in frame.columns]


def _records(
    frame: pd.DataFrame, key: str, wanted: tuple[str, ...]
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """``(key value, {column: plain value})`` for every row, the columns of ``wanted`` present."""
    cols = _columns(frame, wanted)
    for first, *rest in zip(frame[key], *(frame[c] for c in cols), strict=True):
        yield first, {c: _clean(v) for c, v in zip(cols, rest, strict=True)}


@dataclass(frozen=True)
class _Rows:
    """One client's rows as plain values, read once per inventory object (see :func:`course`)."""

    dates: dict[int, Any]
    people: dict[str, dict[str, Any]]  # person id -> node attributes
    states: dict[int, list[tuple[str, dict[str, Any]]]]  # session -> (person id, edge attributes)
    ties: dict[int, list[tuple[str, str]]]  # session -> person ties, in table order


def _read(one: Inventory) -> _Rows:
    people = {
        str(pid): {names.KIND: names.KIND_PERSON, names.PERSON_ID: str(pid), **attrs}
        for pid, attrs in _records(one.people, "person_id", _PERSON_COLUMNS)
    }
    states: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    rel = one.relationships
    records = _records(rel, "person_id", _STATE_COLUMNS)
    for s, (pid, state) in zip(rel["session"], records, strict=True):
        edge = {names.TIE: names.TIE_EGO, **state}
        edge[names.CLOSENESS] = names.closeness_weight(int(state[names.RING]))
        states.setdefault(int(s), []).append((str(pid), edge))
    ties: dict[int, list[tuple[str, str]]] = {}
    t = one.person_ties
    for s, a, b in zip(t["session"], t["source"], t["target"], strict=True):
        ties.setdefault(int(s), []).append((str(a), str(b)))
    dates = {
        int(s): _clean(d)
        for s, d in zip(one.sessions["session"], one.sessions["date"], strict=True)
    }
    return _Rows(dates, people, states, ties)


def _rows(inventory: Inventory, client_id: str) -> _Rows:
    """The client's rows, kept on ``inventory`` (which must not be mutated once read)."""

    def read() -> _Rows:
        one = inventory
        if inventory.client_ids() != [client_id]:  # a one-client inventory is read as it is
            one = inventory.for_clients([client_id])
        return _read(one)

    return inventory.kept(_KIND, client_id, read)


def _build(client_id: str, session: int, rows: _Rows) -> nx.Graph:
    G = nx.Graph(client_id=client_id, session=session, date=rows.dates.get(session))
    G.add_node(names.EGO, **{names.KIND: names.KIND_EGO})
    states = rows.states.get(session, [])
    G.add_nodes_from((pid, rows.people[pid]) for pid, _ in states)
    G.add_edges_from((names.EGO, pid, edge) for pid, edge in states)
    G.add_edges_from((a, b, _PERSON_TIE) for a, b in rows.ties.get(session, []))
    return G


def snapshot(inventory: Inventory, client_id: str, session: int) -> nx.Graph:
    """The relationship map of one client at one session.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    session : int
        The session number.

    Returns
    -------
    networkx.Graph
        Ego node, person nodes and both kinds of edges; graph attributes
        ``client_id``, ``session`` and ``date``.

    Raises
    ------
    ClientNotFound, SessionNotFound
        When the client is not in the inventory, or has no such session.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> G = snapshot(load_samples(), "deficits-01", 1)
    >>> G.number_of_nodes() == G.degree("ego") + 1
    True
    """
    if session not in inventory.sessions_of(client_id):
        raise SessionNotFound(client_id, session)
    return course(inventory, client_id, sessions=[session])[0]


def course(
    inventory: Inventory, client_id: str, sessions: list[int] | None = None
) -> list[nx.Graph]:
    """All snapshots of one client, ordered by session.

    The client's rows are read once per inventory object and kept on it, as
    :func:`~ipt_network.clinical.course.course_of` keeps the course: a
    dashboard's later steps build only the graphs they show. The inventory
    must not be mutated after it has been read.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    sessions : list of int, optional
        Only these sessions (default: every session of the client).

    Returns
    -------
    list of networkx.Graph
        One snapshot per session, in session order.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> [G.graph["session"] for G in course(load_samples(), "dispute-01")][:3]
    [1, 2, 3]
    """
    wanted = inventory.sessions_of(client_id) if sessions is None else sorted(sessions)
    rows = _rows(inventory, client_id)
    return [_build(client_id, s, rows) for s in wanted]


def person_subgraph(G: nx.Graph) -> nx.Graph:
    """The people and their ties, without the ego (the graph H of the guide).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.star_graph(["ego", "a", "b"])
    >>> sorted(person_subgraph(G).nodes)
    ['a', 'b']
    """
    return G.subgraph(n for n in G if n != names.EGO).copy()
