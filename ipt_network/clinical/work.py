"""The read model of one client's middle-phase work, the treatment contract and the ending.

:func:`work_of` reads, once per inventory, the records a therapist keeps on the
work of the chosen problem area (all optional in the contract) and holds them
as plain records, no prose:

* goals (:class:`Goal`), each with its status at every session it was recorded;
* for a role dispute, what each side expects (:class:`Expectations`) and the
  clinician's call of the dispute's stage at each session (:class:`AtSession`);
* for a role transition, the old and new roles with their losses and gains
  (:class:`TransitionWork`);
* for grief, the memories worked through and the new connections
  (:class:`GriefWork`), and the **re-engagement**: the people who joined the
  map at a session dated after a death (:class:`Reengagement`, from the
  course's :class:`~ipt_network.clinical.course.Change` records);
* the skills practiced (:class:`SkillPractice`) and the communication analyses
  (:class:`Analysis`: what was said, what was meant, where it broke down);
* the treatment contract (:class:`Contract`) and the termination work
  (:class:`Ending`), and the plan (:class:`~ipt_network.clinical.model.CoursePlan`)
  that names the sessions past it: an extension, unless a maintenance contract
  is recorded.

The words for all of it are in :mod:`ipt_network.views.work`.

Examples
--------
>>> from ipt_network import load_samples
>>> work = work_of(load_samples(), "grief-01")
>>> [(r.label, r.session) for r in work.reengagement][:2]
[('Pastor Helen', 5), ('Thursday group at Glenwood Methodist', 8)]
>>> work.goals[0].status, work.skill_counts()["clear_request"]
('achieved', 2)
>>> work.upto(7).goals[0].status
'in_progress'
>>> work_of(load_samples(), "dispute-01").stage_runs()
(('impasse', 3, 5), ('renegotiation', 6, 16))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Final, Protocol, TypeVar

import pandas as pd

from ipt_network import names
from ipt_network.clinical.course import ChangeKind, ClientCourse, course_of
from ipt_network.clinical.model import CoursePlan, Phase
from ipt_network.io.inventory import Inventory, cell_text
from ipt_network.words import focus_areas

__all__ = [
    "Goal",
    "AtSession",
    "Expectations",
    "TransitionWork",
    "GriefWork",
    "Death",
    "Reengagement",
    "SkillPractice",
    "Analysis",
    "Contract",
    "Ending",
    "MiddleWork",
    "work_of",
]

# Under this key the course keeps its work (ClientCourse.derived).
_KEY: Final = "work"


@dataclass(frozen=True, slots=True)
class AtSession:
    """A value recorded at one session: a goal's status, or a dispute's stage."""

    session: int
    value: str


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal of the work, with its status at every session it was recorded.

    Attributes
    ----------
    goal_id : str
    area : str or None
        The problem area it serves.
    goal : str
        Its wording as last recorded.
    history : tuple of AtSession
        In session order; never empty.
    """

    goal_id: str
    area: str | None
    goal: str
    history: tuple[AtSession, ...]

    @property
    def status(self) -> str:
        """The latest status (one of :data:`ipt_network.names.GOAL_STATUSES`)."""
        return self.history[-1].value

    @property
    def session(self) -> int:
        """The session of the latest status."""
        return self.history[-1].session


@dataclass(frozen=True, slots=True)
class Expectations:
    """What the client and one person expect of each other, as recorded at a session."""

    session: int
    person_id: str
    label: str
    client_expects: str | None
    person_expects: str | None


@dataclass(frozen=True, slots=True)
class TransitionWork:
    """The old and new roles, with their losses and gains, as recorded at a session."""

    session: int
    old_role: str | None
    new_role: str | None
    losses: str | None
    gains: str | None


@dataclass(frozen=True, slots=True)
class GriefWork:
    """Memories worked through and new connections, about one person who died."""

    session: int
    person_id: str
    label: str
    memories: str | None
    new_connections: str | None


@dataclass(frozen=True, slots=True)
class Death:
    """A death: of a person on the people table (``person_id``) or of an event only."""

    person_id: str | None
    label: str | None
    date: date


@dataclass(frozen=True, slots=True)
class Reengagement:
    """A person who joined the map at a session dated after a death."""

    person_id: str
    label: str
    session: int
    after: Death


@dataclass(frozen=True, slots=True)
class SkillPractice:
    """One piece of communication work with the skill it practiced."""

    session: int
    person_id: str
    skill: str


@dataclass(frozen=True, slots=True)
class Analysis:
    """A communication analysis: what was said, what was meant, where it broke down."""

    session: int
    person_id: str
    label: str
    said: str | None
    meant: str | None
    breakdown: str | None


@dataclass(frozen=True, slots=True)
class Contract:
    """The treatment contract: planned sessions, agreed focus, formulation, date agreed."""

    planned_sessions: int
    focus: tuple[str, ...]
    focus_session: int | None
    formulation: str | None
    agreed_on: str | None


@dataclass(frozen=True, slots=True)
class Ending:
    """The termination work: gains, warning signs, who to turn to, the maintenance decision."""

    gains: str | None
    warning_signs: str | None
    who_to_turn_to: str | None
    maintenance: str | None

    def __bool__(self) -> bool:
        return any((self.gains, self.warning_signs, self.who_to_turn_to, self.maintenance))


@dataclass(frozen=True, slots=True)
class MiddleWork:
    """One client's middle-phase work, contract and ending (see :func:`work_of`).

    Every tuple is in session order. :meth:`upto` gives what was recorded up
    to a session.
    """

    client_id: str
    sessions: tuple[int, ...]
    dates: Mapping[int, date]
    plan: CoursePlan
    goals: tuple[Goal, ...]
    expectations: tuple[Expectations, ...]
    stages: tuple[AtSession, ...]
    transitions: tuple[TransitionWork, ...]
    grief: tuple[GriefWork, ...]
    deaths: tuple[Death, ...]
    reengagement: tuple[Reengagement, ...]
    skills: tuple[SkillPractice, ...]
    analyses: tuple[Analysis, ...]
    contract: Contract
    ending: Ending

    def skill_counts(self) -> dict[str, int]:
        """How often each skill was practiced, in the order of :data:`ipt_network.names.SKILLS`.

        Skills never practiced are left out.
        """
        counts = {s: 0 for s in names.SKILLS}
        for practice in self.skills:
            counts[practice.skill] = counts.get(practice.skill, 0) + 1
        return {s: n for s, n in counts.items() if n}

    def stage_runs(self) -> tuple[tuple[str, int, int], ...]:
        """The stage series as runs: ``(stage, first session, last session)``.

        A run goes on over the sessions that carry the same stage; a session
        without a call does not break it.
        """
        runs: list[tuple[str, int, int]] = []
        for at in self.stages:
            if runs and runs[-1][0] == at.value:
                runs[-1] = (at.value, runs[-1][1], at.session)
            else:
                runs.append((at.value, at.session, at.session))
        return tuple(runs)

    @property
    def past_plan(self) -> tuple[int, ...]:
        """The sessions past the planned number."""
        return tuple(s for s in self.sessions if s > self.plan.planned_sessions)

    @property
    def past_plan_phase(self) -> Phase:
        """What the sessions past the plan are: extension, or maintenance under a contract."""
        return self.plan.phase(self.plan.planned_sessions + 1)

    @property
    def ending_shown(self) -> bool:
        """Whether the ending is part of what is shown (the termination phase is reached)."""
        last = self.sessions[-1] if self.sessions else 0
        first_ending = self.plan.planned_sessions - self.plan.termination_sessions + 1
        return bool(self.ending) and last >= first_ending

    @property
    def contract_shown(self) -> bool:
        """Whether a contract is recorded and part of what is shown."""
        c = self.contract
        return bool(c.focus or c.formulation or c.agreed_on)

    def upto(self, session: int) -> MiddleWork:
        """What was recorded up to and including ``session``.

        The contract counts once it was agreed (its date reached, or the focus
        session reached when no date is kept); the ending once the
        termination phase is reached.
        """
        sessions = tuple(s for s in self.sessions if s <= session)
        goals = []
        for goal in self.goals:
            history = tuple(h for h in goal.history if h.session <= session)
            if history:
                goals.append(replace(goal, history=history))
        return replace(
            self,
            sessions=sessions,
            goals=tuple(goals),
            expectations=_until(self.expectations, session),
            stages=_until(self.stages, session),
            transitions=_until(self.transitions, session),
            grief=_until(self.grief, session),
            reengagement=_until(self.reengagement, session),
            skills=_until(self.skills, session),
            analyses=_until(self.analyses, session),
            contract=self.contract if self._agreed_by(session) else _NO_CONTRACT,
        )

    def _agreed_by(self, session: int) -> bool:
        c = self.contract
        if c.agreed_on is not None:
            agreed = _day(c.agreed_on)
            return any(s <= session and self.dates[s] >= agreed for s in self.sessions)
        return c.focus_session is not None and c.focus_session <= session


_NO_CONTRACT: Final = Contract(0, (), None, None, None)


class _Dated(Protocol):
    @property
    def session(self) -> int: ...


_R = TypeVar("_R", bound=_Dated)


def _until(records: tuple[_R, ...], session: int) -> tuple[_R, ...]:
    return tuple(r for r in records if r.session <= session)


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _rows(frame: pd.DataFrame, *columns: str) -> Iterator[tuple[int, tuple[str | None, ...]]]:
    """``(session, cells as text)`` of every row of a client's table, in session order."""
    if frame.empty:
        return
    ordered = frame.sort_values("session", kind="stable")
    present = [ordered[c] if c in ordered else [None] * len(ordered) for c in columns]
    for session, *cells in zip(ordered["session"], *present, strict=True):
        yield int(session), tuple(cell_text(v) for v in cells)


def _deaths(course: ClientCourse) -> tuple[Death, ...]:
    """Every death, in date order: people's ``deceased_date``, then death events.

    A death event of someone with a ``deceased_date`` is the same death; one
    naming nobody is kept once per date.
    """
    found: dict[str, Death] = {}
    for someone in course.people:
        if someone.deceased_date is not None:
            found[someone.person_id] = Death(
                someone.person_id, someone.label, _day(someone.deceased_date)
            )
    events = course.tables.events
    for kind, pid, when in zip(events["kind"], events["person_id"], events["date"], strict=True):
        day, person_id = cell_text(when), cell_text(pid)
        if kind != "death" or day is None:
            continue
        key = person_id if person_id is not None else f" {day}"  # no person id starts with " "
        label = None if person_id is None else course.labels.get(person_id, person_id)
        found.setdefault(key, Death(person_id, label, _day(day)))
    return tuple(sorted(found.values(), key=lambda d: d.date))


def _reengagement(course: ClientCourse, deaths: Iterable[Death]) -> tuple[Reengagement, ...]:
    """The people who joined the map at a session dated after a death (the latest before it)."""
    deaths = tuple(deaths)
    seen: set[str] = set()
    out = []
    for change in course.changes:
        if change.kind is not ChangeKind.JOINED or change.person_id in seen:
            continue
        day = _day(course.dates[change.session])
        before = [d for d in deaths if d.date < day and d.person_id != change.person_id]
        if before:
            seen.add(change.person_id)
            out.append(
                Reengagement(
                    change.person_id,
                    course.labels.get(change.person_id, change.person_id),
                    change.session,
                    before[-1],
                )
            )
    return tuple(out)


def _goals(frame: pd.DataFrame) -> tuple[Goal, ...]:
    by_id: dict[str, list[tuple[int, tuple[str | None, ...]]]] = {}
    for session, cells in _rows(frame, "goal_id", "area", "goal", "status"):
        if cells[0] is not None and cells[3] is not None:
            by_id.setdefault(cells[0], []).append((session, cells))
    goals = []
    for goal_id, rows in by_id.items():
        _, (_, area, text, _) = rows[-1]
        history = tuple(AtSession(s, str(cells[3])) for s, cells in rows)
        goals.append(Goal(goal_id, area, text or goal_id, history))
    return tuple(sorted(goals, key=lambda g: (g.history[0].session, g.goal_id)))


def _build(course: ClientCourse) -> MiddleWork:
    one = course.tables
    client = one.clients.iloc[0]

    def cell(column: str) -> str | None:
        return cell_text(client[column]) if column in client else None

    plan = CoursePlan.of(client["planned_sessions"], cell("maintenance"))
    label = course.labels
    focus_session = cell("focus_session")
    deaths = _deaths(course)
    stages = (
        tuple(AtSession(s, str(c[0])) for s, c in _rows(one.sessions, "dispute_stage") if c[0])
        if "dispute_stage" in one.sessions
        else ()
    )
    comm = tuple(
        _rows(one.communication, "person_id", "skill", "kind", "said", "meant", "breakdown")
    )
    return MiddleWork(
        client_id=course.client_id,
        sessions=course.sessions,
        dates={s: _day(d) for s, d in course.dates.items()},
        plan=plan,
        goals=_goals(one.goals),
        expectations=tuple(
            Expectations(s, str(p), label.get(str(p), str(p)), a, b)
            for s, (p, a, b) in _rows(
                one.dispute_work, "person_id", "client_expects", "person_expects"
            )
        ),
        stages=stages,
        transitions=tuple(
            TransitionWork(s, *cells)
            for s, cells in _rows(one.transition_work, "old_role", "new_role", "losses", "gains")
        ),
        grief=tuple(
            GriefWork(s, str(p), label.get(str(p), str(p)), m, n)
            for s, (p, m, n) in _rows(one.grief_work, "person_id", "memories", "new_connections")
        ),
        deaths=deaths,
        reengagement=_reengagement(course, deaths),
        skills=tuple(SkillPractice(s, str(c[0]), str(c[1])) for s, c in comm if c[1]),
        analyses=tuple(
            Analysis(s, str(c[0]), label.get(str(c[0]), str(c[0])), *c[3:])
            for s, c in comm
            if any(c[3:])
        ),
        contract=Contract(
            plan.planned_sessions,
            tuple(focus_areas(cell("focus"))),
            None if focus_session is None else int(float(focus_session)),
            cell("formulation"),
            cell("contract_date"),
        ),
        ending=Ending(
            cell("gains"), cell("warning_signs"), cell("who_to_turn_to"), cell("maintenance")
        ),
    )


def work_of(inventory: Inventory, client_id: str) -> MiddleWork:
    """The middle-phase work of one client, built once per inventory (with its course).

    Parameters
    ----------
    inventory : Inventory
        The tables of one or many clients.
    client_id : str
        Whose work.

    Returns
    -------
    MiddleWork
        Every record of the work, the contract and the ending; empty tuples
        and ``None`` where nothing is recorded.

    Raises
    ------
    ClientNotFound
        For an id that is not in the clients table.
    """
    return course_of(inventory, client_id).derived(_KEY, _build)
