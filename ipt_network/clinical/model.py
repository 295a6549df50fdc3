"""The plan of an IPT course: :class:`CoursePlan` gives each session its :class:`Phase`.

The records of one client's course (people, their state at each session,
the changes between sessions) are in :mod:`ipt_network.clinical.course`.

Examples
--------
>>> plan = CoursePlan(planned_sessions=16)
>>> [str(plan.phase(s)) for s in (1, 3, 4, 13, 14, 16, 17)]
['initial', 'initial', 'middle', 'middle', 'termination', 'termination', 'extension']
>>> str(CoursePlan(16, maintenance=True).phase(17))
'maintenance'
>>> str(CoursePlan(8).phase(2)), str(CoursePlan(8).phase(7))
('initial', 'termination')
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ipt_network.errors import BadArgument
from ipt_network.io.contract import DEFAULT_PLANNED_SESSIONS, bounds
from ipt_network.io.inventory import cell_text

__all__ = ["Phase", "CoursePlan", "MAINTENANCE_AGREED"]


class Phase(StrEnum):
    """The phases of an IPT course."""

    INITIAL = "initial"
    MIDDLE = "middle"
    TERMINATION = "termination"
    #: Sessions past the plan without a maintenance contract.
    EXTENSION = "extension"
    #: Sessions past the plan under a recorded maintenance contract.
    MAINTENANCE = "maintenance"


#: The value of ``clients.maintenance`` that records a maintenance contract.
MAINTENANCE_AGREED = "agreed"


@dataclass(frozen=True)
class CoursePlan:
    """How many sessions are planned, which gives each session its phase.

    The initial phase is the first 3 sessions (2 in a course under 12
    sessions, never more than 4); termination is the last 3 (2 under 12
    sessions, 4 over 16). Sessions past the plan are an extension unless a
    maintenance contract is recorded; only then are they maintenance.

    Parameters
    ----------
    planned_sessions : int
        8 to 24; 16 by default.
    maintenance : bool
        Whether a maintenance contract is recorded (``clients.maintenance``
        is ``"agreed"``).
    """

    planned_sessions: int = DEFAULT_PLANNED_SESSIONS
    maintenance: bool = False

    @classmethod
    def of(cls, planned_sessions: object, maintenance: object = None) -> CoursePlan:
        """The plan of a clients row's ``planned_sessions`` and ``maintenance`` cells.

        An empty ``planned_sessions`` is the default; a maintenance contract is
        recorded only by ``"agreed"``.

        Examples
        --------
        >>> CoursePlan.of(None, "agreed")
        CoursePlan(planned_sessions=16, maintenance=True)
        >>> CoursePlan.of(12, "declined").maintenance
        False
        """
        planned = cell_text(planned_sessions)
        return cls(
            DEFAULT_PLANNED_SESSIONS if planned is None else int(float(planned)),
            cell_text(maintenance) == MAINTENANCE_AGREED,
        )

    def __post_init__(self) -> None:
        lo, hi = bounds("clients", "planned_sessions")
        if not lo <= self.planned_sessions <= hi:
            raise BadArgument(f"planned_sessions must be from {lo} to {hi}")

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
            raise BadArgument("session numbers start at 1")
        if session > self.planned_sessions:
            return Phase.MAINTENANCE if self.maintenance else Phase.EXTENSION
        if session <= self.initial_sessions:
            return Phase.INITIAL
        if session > self.planned_sessions - self.termination_sessions:
            return Phase.TERMINATION
        return Phase.MIDDLE
