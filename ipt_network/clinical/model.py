"""The typed domain model: clients, people, relationship states, sessions, events.

The tidy tables (:class:`~ipt_network.io.inventory.Inventory`) are the workhorse
for analysis; these frozen dataclasses are the same facts one record at a
time, for code that handles one client. :class:`CoursePlan` gives each
session its phase of the IPT course.

Examples
--------
>>> plan = CoursePlan(planned_sessions=16)
>>> [str(plan.phase(s)) for s in (1, 3, 4, 13, 14, 16, 17)]
['initial', 'initial', 'middle', 'middle', 'termination', 'termination', 'maintenance']
>>> str(CoursePlan(8).phase(2)), str(CoursePlan(8).phase(7))
('initial', 'termination')
>>> state = RelationshipState("p1", ring=1, conflict=3, support=2)
>>> state.closeness
3
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ipt_network.io.contract import DEFAULT_PLANNED_SESSIONS, PHQ9_ITEMS
from ipt_network.names import closeness_weight

__all__ = [
    "Phase",
    "CoursePlan",
    "Client",
    "Person",
    "RelationshipState",
    "PersonTie",
    "Session",
    "LifeEvent",
    "CommunicationWork",
]


class Phase(StrEnum):
    """The phases of an IPT course."""

    INITIAL = "initial"
    MIDDLE = "middle"
    TERMINATION = "termination"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True)
class CoursePlan:
    """How many sessions are planned, which gives each session its phase.

    The initial phase is the first 3 sessions (2 in a course under 12
    sessions, never more than 4); termination is the last 3 (2 under 12
    sessions, 4 over 16); sessions past the plan are maintenance.

    Parameters
    ----------
    planned_sessions : int
        8 to 24; 16 by default.
    """

    planned_sessions: int = DEFAULT_PLANNED_SESSIONS

    def __post_init__(self) -> None:
        if not 8 <= self.planned_sessions <= 24:
            raise ValueError("planned_sessions must be from 8 to 24")

    @property
    def initial_sessions(self) -> int:
        """How many sessions the initial phase has."""
        return 2 if self.planned_sessions < 12 else 3

    @property
    def termination_sessions(self) -> int:
        """How many sessions the termination phase has."""
        n = self.planned_sessions
        return 2 if n < 12 else 3 if n <= 16 else 4

    def phase(self, session: int) -> Phase:
        """The phase a session falls in.

        Raises
        ------
        ValueError
            For a session number below 1.
        """
        if session < 1:
            raise ValueError("session numbers start at 1")
        if session > self.planned_sessions:
            return Phase.MAINTENANCE
        if session <= self.initial_sessions:
            return Phase.INITIAL
        if session > self.planned_sessions - self.termination_sessions:
            return Phase.TERMINATION
        return Phase.MIDDLE


@dataclass(frozen=True)
class Client:
    """A client and the plan of their course."""

    client_id: str
    label: str | None = None
    plan: CoursePlan = CoursePlan()
    onset_date: str | None = None
    focus: tuple[str, ...] = ()
    focus_session: int | None = None
    episode: str | None = None


@dataclass(frozen=True)
class Person:
    """An important person in the client's life; the id is stable across sessions."""

    person_id: str
    name: str
    role: str
    deceased_date: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class RelationshipState:
    """How the client stands with one person at one session (one row of relationships.csv)."""

    person_id: str
    ring: int
    conflict: int
    support: int
    contact_frequency: str | None = None
    expectations_met: int | None = None
    knows_about_depression: bool | None = None
    satisfying: str | None = None
    unsatisfying: str | None = None
    wants_to_change: str | None = None
    notes: str | None = None

    @property
    def closeness(self) -> int:
        """Closeness weight, ``4 - ring``."""
        return closeness_weight(self.ring)


@dataclass(frozen=True)
class PersonTie:
    """Two people the client says know each other, at one session."""

    source: str
    target: str


@dataclass(frozen=True)
class Session:
    """One session: its number, date and PHQ-9 items (all nine or none)."""

    session: int
    date: str
    phq9: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.phq9 is not None and len(self.phq9) != len(PHQ9_ITEMS):
            raise ValueError("PHQ-9 needs all nine items or none")


@dataclass(frozen=True)
class LifeEvent:
    """A dated life event, optionally about one person."""

    date: str
    kind: str
    person_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class CommunicationWork:
    """A role-play, communication analysis or between-session task with one person."""

    session: int
    person_id: str
    kind: str
    planned: str | None = None
    happened: str | None = None
    outcome: str | None = None
