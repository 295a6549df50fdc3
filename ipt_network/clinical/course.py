"""The read model of one client's course: every fact the views render, built once.

:func:`course_of` reads one client's tables once and holds, as plain records:

* the people (:class:`Person`) with their display labels,
* the state of every person at every session (:class:`PersonState`: ring,
  conflict, support) and the ties between people at every session,
* the session dates and the onset of the current episode,
* the scored measure table and the safety flag (computed on first use),
* the change records (:class:`Change`): who joined, left, moved in or out,
  whose conflict changed, which ties were added or removed, session by session.

Every wording of a client's course (the changes in words, the report's
moves, the map's statuses and ghosts, the timeline, ``show``, the person
history and the problem-area evidence) renders from these records; no view
rebuilds a state dict or reads another view's sentences. The cohort engine
(:func:`ipt_network.network.engine.session_changes`) stays the fast path for
many clients and counts the same changes.

The course is memoised on the :class:`~ipt_network.io.inventory.Inventory`
object: every call with the same inventory builds it once. An inventory must
therefore not be mutated after it has been read; build a new one instead
(``Inventory(**{**inv.tables(), "people": changed})``).

Examples
--------
>>> from ipt_network import load_samples
>>> inv = load_samples()
>>> c = course_of(inv, "grief-01")
>>> c.sessions[:3], c.labels["p01"], c.labels_with_role["p01"]
((1, 2, 3), 'Frank', 'Frank (partner)')
>>> course_of(inv, "grief-01") is c
True
>>> {str(ch.kind) for ch in c.changes} >= {"joined", "moved_in"}
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, TypeVar

import pandas as pd

from ipt_network.clinical.measures import measure_table
from ipt_network.clinical.safety import SafetyFlag, safety_flag
from ipt_network.errors import SessionNotFound
from ipt_network.io.inventory import Inventory, cell_text
from ipt_network.names import closeness_weight

__all__ = [
    "ChangeKind",
    "Change",
    "Person",
    "PersonState",
    "ClientCourse",
    "compare",
    "course_of",
]

Tie = tuple[str, str]  # (source, target), the smaller id first
T = TypeVar("T")

# Under this name an Inventory keeps the courses built from it (Inventory.kept).
_KIND: Final = "course"


class ChangeKind(StrEnum):
    """What changed about one person (or one tie) from one session to another."""

    JOINED = "joined"
    LEFT = "left"
    MOVED_IN = "moved_in"
    MOVED_OUT = "moved_out"
    CONFLICT_CHANGED = "conflict_changed"
    TIE_ADDED = "tie_added"
    TIE_REMOVED = "tie_removed"


@dataclass(frozen=True, slots=True)
class PersonState:
    """How the client stands with one person at one session."""

    ring: int
    conflict: int
    support: int

    @property
    def closeness(self) -> int:
        """Closeness weight, ``4 - ring``."""
        return closeness_weight(self.ring)


@dataclass(frozen=True, slots=True)
class Person:
    """An important person in the client's life; the id is stable across sessions.

    Examples
    --------
    >>> Person("p1", None, "friend").label, Person("p1", "Ann", "friend").label_with_role
    ('p1', 'Ann (friend)')
    """

    person_id: str
    name: str | None
    role: str
    deceased_date: str | None = None
    notes: str | None = None

    @property
    def label(self) -> str:
        """The name, or the id when no name is recorded."""
        return self.name or self.person_id

    @property
    def label_with_role(self) -> str:
        """ "Name (role)"."""
        return f"{self.label} ({self.role})"


@dataclass(frozen=True, slots=True)
class Change:
    """One change between two sessions of a client's map.

    Parameters
    ----------
    session : int
        The later session.
    kind : ChangeKind
        What changed.
    person_id : str
        The person (for a tie, the smaller of its two ids).
    other_id : str, optional
        The other person of a tie.
    since : int, optional
        The earlier session compared with.
    ring_before, ring_after, conflict_before, conflict_after : int, optional
        The person's ring and conflict at the two sessions (empty where the
        person was not on that map, and for ties).
    """

    session: int
    kind: ChangeKind
    person_id: str
    other_id: str | None = None
    since: int | None = None
    ring_before: int | None = None
    ring_after: int | None = None
    conflict_before: int | None = None
    conflict_after: int | None = None

    @property
    def conflict_delta(self) -> int:
        """``conflict_after - conflict_before``; 0 unless the person is on both maps."""
        if self.conflict_before is None or self.conflict_after is None:
            return 0
        return self.conflict_after - self.conflict_before


def compare(
    before: Mapping[str, PersonState],
    after: Mapping[str, PersonState],
    *,
    session: int = 0,
    since: int | None = None,
    ties_before: Iterable[Tie] = (),
    ties_after: Iterable[Tie] = (),
) -> tuple[Change, ...]:
    """Every change from one map to another: the one place the difference is worked out.

    Parameters
    ----------
    before, after : mapping of str to PersonState
        Who is on each map, in the order the views list them.
    session : int, default 0
        The later session (``Change.session``; 0 when not numbered).
    since : int, optional
        The earlier session (``Change.since``).
    ties_before, ties_after : iterable of (str, str)
        The ties between people on each map, the smaller id first.

    Returns
    -------
    tuple of Change
        Joined (in the order of ``after``), left (order of ``before``), moved
        in or out and conflict changed (order of ``after``), ties added and
        removed.

    Examples
    --------
    >>> a, b = {"x": PersonState(2, 1, 0)}, {"x": PersonState(1, 1, 0), "y": PersonState(3, 0, 0)}
    >>> [(str(c.kind), c.person_id) for c in compare(a, b, session=2)]
    [('joined', 'y'), ('moved_in', 'x')]
    """
    joined = [
        Change(session, ChangeKind.JOINED, p, since=since, ring_after=now.ring,
               conflict_after=now.conflict)
        for p, now in after.items()
        if p not in before
    ]  # fmt: skip
    left = [
        Change(session, ChangeKind.LEFT, p, since=since, ring_before=then.ring,
               conflict_before=then.conflict) for p, then in before.items() if p not in after
    ]  # fmt: skip
    kept = [(p, before[p], now) for p, now in after.items() if p in before]
    moved = [
        _kept(session, since, p, then, now,
              ChangeKind.MOVED_IN if now.ring < then.ring else ChangeKind.MOVED_OUT)
        for p, then, now in kept
        if now.ring != then.ring
    ]  # fmt: skip
    conflict = [
        _kept(session, since, p, then, now, ChangeKind.CONFLICT_CHANGED)
        for p, then, now in kept
        if now.conflict != then.conflict
    ]
    old, new = dict.fromkeys(ties_before), dict.fromkeys(ties_after)  # ordered sets
    added = [
        Change(session, ChangeKind.TIE_ADDED, s, t, since) for s, t in new if (s, t) not in old
    ]
    removed = [
        Change(session, ChangeKind.TIE_REMOVED, s, t, since) for s, t in old if (s, t) not in new
    ]
    return (*joined, *left, *moved, *conflict, *added, *removed)


def _kept(
    session: int,
    since: int | None,
    pid: str,
    then: PersonState,
    now: PersonState,
    kind: ChangeKind,
) -> Change:
    """A change of someone on both maps."""
    return Change(
        session, kind, pid, since=since, ring_before=then.ring, ring_after=now.ring,
        conflict_before=then.conflict, conflict_after=now.conflict,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClientCourse:
    """One client's course, read once from the tables (see :func:`course_of`).

    Every mapping is read-only; the tables and the measure table must not be
    changed either.

    Attributes
    ----------
    client_id : str
    tables : Inventory
        The client's rows of every table.
    sessions : tuple of int
        Session numbers, in order.
    dates : mapping of int to str
        Session number to ISO date.
    people : tuple of Person
        In the order of the people table.
    labels, labels_with_role : mapping of str to str
        ``person_id`` to the name (the id when no name is recorded), and to
        "name (role)".
    states : mapping of int to mapping of str to PersonState
        Who is on the map at every session, in the order of the
        relationships table (empty for a session with nobody on the map).
    ties : mapping of int to tuple of (str, str)
        The ties between people at every session, the smaller id first.
    changes : tuple of Change
        Every change from each session to the next, in session order.
    onset : datetime.date, optional
        The onset of the current episode, when recorded.
    """

    client_id: str
    tables: Inventory
    sessions: tuple[int, ...]
    dates: Mapping[int, str]
    people: tuple[Person, ...]
    labels: Mapping[str, str]
    labels_with_role: Mapping[str, str]
    states: Mapping[int, Mapping[str, PersonState]]
    ties: Mapping[int, tuple[Tie, ...]]
    changes: tuple[Change, ...]
    onset: date | None
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def measures(self) -> pd.DataFrame:
        """The scored measure table (:func:`~ipt_network.clinical.measures.measure_table`).

        Scored on first use and kept; treat it as read-only.
        """
        if "measures" not in self._lazy:
            self._lazy["measures"] = measure_table(self.tables, self.client_id)
        table: pd.DataFrame = self._lazy["measures"]
        return table

    @property
    def flag(self) -> SafetyFlag | None:
        """The safety flag (:func:`~ipt_network.clinical.safety.safety_flag`), or ``None``."""
        if "flag" not in self._lazy:
            self._lazy["flag"] = safety_flag(self.tables, self.client_id)
        flag: SafetyFlag | None = self._lazy["flag"]
        return flag

    def derived(self, key: str, build: Callable[[ClientCourse], T]) -> T:
        """``build(self)``, computed on first use under ``key`` and kept with the course.

        For a layer's own per-client index (read-only, like every part of the course).

        Examples
        --------
        >>> from ipt_network import load_samples
        >>> c = course_of(load_samples(), "grief-01")
        >>> c.derived("n", lambda c: len(c.people)) == c.derived("n", lambda c: -1)
        True
        """
        if key not in self._lazy:
            self._lazy[key] = build(self)
        value: T = self._lazy[key]
        return value

    def changes_at(self, session: int) -> tuple[Change, ...]:
        """The changes since the previous session (none at the first session).

        Examples
        --------
        >>> from ipt_network import load_samples
        >>> course_of(load_samples(), "grief-01").changes_at(1)
        ()
        """
        return tuple(c for c in self.changes if c.session == session)

    def between(self, since: int, session: int) -> tuple[Change, ...]:
        """Every change from session ``since`` to session ``session`` (either order).

        Raises
        ------
        SessionNotFound
            When either session is not one of the client's.

        Examples
        --------
        >>> from ipt_network import load_samples
        >>> c = course_of(load_samples(), "grief-01")
        >>> c.between(1, 2) == c.changes_at(2)
        True
        """
        for s in (since, session):
            if s not in self.states:
                raise SessionNotFound(self.client_id, s)
        return compare(
            self.states[since],
            self.states[session],
            session=session,
            since=since,
            ties_before=self.ties[since],
            ties_after=self.ties[session],
        )


def _build(inventory: Inventory, client_id: str) -> ClientCourse:
    sessions = tuple(inventory.sessions_of(client_id))  # raises ClientNotFound
    one = inventory.for_clients([client_id])
    people = tuple(
        Person(str(p), cell_text(n), str(r), cell_text(d), cell_text(x))
        for p, n, r, d, x in zip(
            one.people["person_id"],
            one.people["name"],
            one.people["role"],
            one.people["deceased_date"],
            one.people["notes"] if "notes" in one.people else [None] * len(one.people),
            strict=True,
        )
    )
    states: dict[int, dict[str, PersonState]] = {s: {} for s in sessions}
    rel = one.relationships
    for s, p, r, c, u in zip(
        rel["session"], rel["person_id"], rel["ring"], rel["conflict"], rel["support"], strict=True
    ):
        if int(s) in states:
            states[int(s)][str(p)] = PersonState(int(r), int(c), int(u))
    ties: dict[int, list[Tie]] = {s: [] for s in sessions}
    t = one.person_ties
    for s, a, b in zip(t["session"], t["source"], t["target"], strict=True):
        if int(s) in ties:
            x, y = str(a), str(b)
            ties[int(s)].append((x, y) if x <= y else (y, x))
    frozen_ties = {s: tuple(dict.fromkeys(v)) for s, v in ties.items()}
    changes: list[Change] = []
    for prev, s in zip(sessions, sessions[1:], strict=False):
        changes += compare(
            states[prev],
            states[s],
            session=s,
            since=prev,
            ties_before=frozen_ties[prev],
            ties_after=frozen_ties[s],
        )
    onset = cell_text(one.clients["onset_date"].iloc[0])
    dates = zip(one.sessions["session"], one.sessions["date"], strict=True)
    return ClientCourse(
        client_id=client_id,
        tables=one,
        sessions=sessions,
        dates=MappingProxyType({int(s): str(d) for s, d in dates}),
        people=people,
        labels=MappingProxyType({p.person_id: p.label for p in people}),
        labels_with_role=MappingProxyType({p.person_id: p.label_with_role for p in people}),
        states=MappingProxyType({s: MappingProxyType(st) for s, st in states.items()}),
        ties=MappingProxyType(frozen_ties),
        changes=tuple(changes),
        onset=None if onset is None else date.fromisoformat(onset),
    )


def course_of(inventory: Inventory, client_id: str) -> ClientCourse:
    """The read model of one client's course, built once per inventory object.

    The course is kept on ``inventory`` (a private attribute), so every view
    called with the same inventory object reads the tables once. The
    inventory must not be mutated after it has been read.

    Parameters
    ----------
    inventory : Inventory
        The tables of one or many clients; the course is kept on this object.
    client_id : str
        Whose course.

    Returns
    -------
    ClientCourse
        Built on the first call for this inventory object and client.

    Raises
    ------
    ClientNotFound
        For an id that is not in the clients table (nothing is kept).

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> c = course_of(load_samples(), "dispute-01")
    >>> c.onset, len(c.states) == len(c.sessions)
    (datetime.date(2025, 8, 4), True)
    """
    found = inventory.kept(_KIND, client_id, lambda: _build(inventory, client_id))
    # views handed the client's own tables find the same course
    return found.tables.kept(_KIND, client_id, lambda: found)
