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

from typing import Any

import networkx as nx
import pandas as pd

from ipt_network import names
from ipt_network.errors import SessionNotFound
from ipt_network.io.inventory import Inventory, is_missing

__all__ = ["snapshot", "course", "person_subgraph"]

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


def _person_attrs(people: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each person's node attributes, by person id (read once per call, not per node)."""
    cols = _columns(people, _PERSON_COLUMNS)
    values = zip(people["person_id"], *(people[c] for c in cols), strict=True)
    return {
        str(pid): {c: _clean(v) for c, v in zip(cols, rest, strict=True)} for pid, *rest in values
    }


def _build(
    client_id: str,
    session: int,
    date: str | None,
    people: dict[str, dict[str, Any]],
    states: pd.DataFrame,
    ties: pd.DataFrame,
) -> nx.Graph:
    G = nx.Graph(client_id=client_id, session=session, date=date)
    G.add_node(names.EGO, **{names.KIND: names.KIND_EGO})
    cols = _columns(states, _STATE_COLUMNS)
    for pid_value, *values in zip(states["person_id"], *(states[c] for c in cols), strict=True):
        pid = str(pid_value)
        G.add_node(pid, **{names.KIND: names.KIND_PERSON, names.PERSON_ID: pid}, **people[pid])
        state = {c: _clean(v) for c, v in zip(cols, values, strict=True)}
        state[names.CLOSENESS] = names.closeness_weight(int(state[names.RING]))
        G.add_edge(names.EGO, pid, **{names.TIE: names.TIE_EGO}, **state)
    for s, t in zip(ties["source"], ties["target"], strict=True):
        G.add_edge(str(s), str(t), **{names.TIE: names.TIE_PERSON})
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
    one = inventory
    if inventory.client_ids() != [client_id]:  # a one-client inventory is used as it is
        one = inventory.for_clients([client_id])
    dates = dict(zip(one.sessions["session"].astype(int), one.sessions["date"], strict=True))
    people = _person_attrs(one.people)
    rel, tie = one.relationships, one.person_ties
    return [
        _build(
            client_id,
            s,
            _clean(dates.get(s)),
            people,
            rel[rel["session"] == s],
            tie[tie["session"] == s],
        )
        for s in wanted
    ]


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
