"""Suggest the IPT problem area from the inventory and the timeline, by transparent rules.

The clinician chooses the focus (one area, at most two). This module ranks the
candidates and shows the evidence behind each score in plain words, each line
with its points; it never decides.

**The session ranked.** By default the inventory is read as it stood at the
decision: the session at which the focus was chosen (``clients.focus_session``)
when it is recorded, else the last session of the initial phase
(:attr:`~ipt_network.clinical.model.CoursePlan.initial_sessions`, capped at the
client's sessions), else the latest session. ``session=`` (``--session``)
overrides it. Rows, deaths and events after that session's date are not read,
so conflict that arises later never changes the default suggestion.

**The score.** Each rule that fires gives one line of evidence with its points.
An area's score is its strongest line plus 1 for each other line with points,
at most +2: evidence about several people or events corroborates, it does not
add up. The lines are listed strongest first, and the text output says how
the score is made (:data:`SCORE_RULE`). Lines worth +0 show what was weighed
and why it did not count ("considered: ..."); "No evidence found" appears only
when there was nothing to weigh. Ties share a rank.

**Who is significant.** A person in the inner or middle circle; in the outer
circle (or not on the map) a partner, a family member or a friend, by role,
with a lower weight. A coworker, professional, community or other person in the
outer circle is weighed and shown with +0.

============  ===========================================================  ======
area          rule (one line of evidence each)                             points
============  ===========================================================  ======
grief         a death within the window around onset of an inner-circle    +5
              person (the closest circle they were placed in)
grief         ... of a middle-circle person                                +4
grief         ... of a partner, family member or friend in the outer       +3
              circle or not on the map (significant by role)
grief         ... of anyone else, or a death with no person named          +1
grief         a person who died, on the map with conflict 2 or more:       +2
              an ambivalent relationship with someone who died (ask about
              complicated grief); their conflict is never dispute evidence
grief         a significant person died before the window (ask whether     +1
              the grief was delayed or avoided)
grief         any other death known by the session ranked (after the       +0
              window, or not significant): "considered"
role dispute  a living person with conflict 3 or more at a session: inner  +3
              circle (+4 at conflict 4 of 4)
role dispute  ... middle circle (+3 at conflict 4 of 4)                    +2
role dispute  ... outer circle, partner, family or friend (by role)        +1
role dispute  ... outer circle, anyone else: "considered"                  +0
role dispute  ... someone who died: "considered", weighed under grief      +0
role dispute  expectations between them met 0 or 1 of 4 then               +1
role dispute  conflict 3 or more over two sessions in a row, or rose to it +1
role dispute  a conflict event with them within the window                 +1
role dispute  a conflict event within the window with no one else in the   +1
              dispute lines (or no person named)
role dispute  a separation or divorce from a person whose dispute is       +1
              still live (conflict 3 or more in the inner or middle circle
              at a session after it): it counts here, not as a transition
transition    a separation, divorce, move, job loss, new job, retirement,   +5
              birth or illness within the window that is the client's own
              (no person named, or a birth, separation or divorce)
transition    ... that names someone else (their illness or new job may     +2
              have changed the client's role too)
transition    such an event outside the window, or one counted under role  +0
              dispute: "considered"
deficits      at most 5 living people on the first map                     +3
deficits      at most 1 living person in the inner circle there            +1
deficits      support averaging below 2 of 4 there                         +1
deficits      an LSNS-6 total below 12 at its first administration (a      +3
              validated screen for social isolation)
deficits      the map before onset was no larger than now                  +1
============  ===========================================================  ======

The window runs from ``window_before_days`` before the onset to
``window_after_days`` after it (default 183 and 31: six months before to one
month after); when the onset is not recorded, the first session's date stands
in for it and every sentence says so. Deaths (from the people table and from
death events) and events count only once they are dated on or before the
session ranked. A person's rows after their death are grief evidence, and the
deficit signals never count the dead.

Each area's full pattern reaches 5 or more: a death of an inner-circle person
near onset; high conflict with a close person, unmet expectations, conflict
that stays or rises; a life change of the client's own near onset; a small,
thin network that was no larger before onset. Interpersonal deficits are chosen
last: they are ruled out when another area has a core signal, a line worth 2
or more (a significant death, an inner- or middle-circle dispute, a life change
near onset); weaker lines elsewhere (a relative in the outer circle in
conflict) compete with them on score. A map that was larger before onset than
now (withdrawal caused by the depression) rules them out too. Their signals
are never hidden: when deficits are not suggested, and always under
``scheme="three"`` (where deficits are not an area), they are listed as a
complicating factor (interpersonal sensitivity or social isolation).

**The dispute stage is the clinician's call** (``sessions.dispute_stage``, set
with ``ipt-network stage``): the role-dispute candidate carries the latest
stage recorded at or before the session ranked. Beside it the tool shows the
conflict trend of the leading person and its own guess, labelled a guess, from
the manual's definitions (:data:`ipt_network.words.STAGE_MEANINGS`):
*dissolution* when a separation or divorce with them is recorded or they left
the map; *impasse* when they moved outward or are in touch less often without
expectations rising, or when conflict fell without expectations rising (falling
conflict can mean disengagement); *renegotiation* when conflict is still open
and they are in touch (both still engaged, even loudly), or when conflict fell
as expectations rose.

Examples
--------
>>> from ipt_network import load_samples
>>> s = rank_problem_areas(load_samples(), "grief-01")
>>> s.session, s.session_basis, s.areas[0].area, s.areas[0].score
(2, 'focus', 'grief', 5)
>>> s.areas[0].evidence[0]
'Frank (partner), inner circle, died 5 weeks before onset (+5).'
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Literal

from ipt_network import names
from ipt_network.clinical.course import Person, course_of
from ipt_network.clinical.measures import LSNS6_ISOLATION_CUTOFF
from ipt_network.clinical.model import CoursePlan
from ipt_network.errors import IPTNetworkError, SessionNotFound
from ipt_network.io.contract import DEFAULT_PLANNED_SESSIONS, LSNS6_ITEMS
from ipt_network.io.inventory import Inventory, cell_text, is_missing
from ipt_network.words import (
    AREA_TITLES,
    RING_WORDS,
    STAGE_MEANINGS,
    describe_interval,
    event_phrase,
    focus_areas,
    join_and,
)

__all__ = [
    "ProblemAreaSettings",
    "AreaCandidate",
    "ProblemAreaSuggestion",
    "ProblemAreaError",
    "rank_problem_areas",
    "decision_session",
    "rank_all",
    "agreement_summary",
    "SUGGESTION_NOTE",
    "SCORE_RULE",
    "STAGE_NOT_RECORDED",
    "COMPLICATING_TITLE",
    "TRANSITION_KINDS",
    "SESSION_BASES",
]

Scheme = Literal["four", "three"]

#: Said with every suggestion.
SUGGESTION_NOTE: Final = (
    "This is a suggestion for the clinician, computed by fixed rules from the inventory "
    "and the timeline. It does not choose the focus: you and the client do."
)
#: How an area's score is made, said under the header of :meth:`ProblemAreaSuggestion.lines`.
SCORE_RULE: Final = "Score = strongest line + 1 for each other line with points, at most +2."
#: The stage line of a role dispute whose stage the clinician has not recorded.
STAGE_NOT_RECORDED: Final = (
    "Stage: not recorded yet — record it on the Record session page or with ipt-network stage."
)
#: The heading of the deficit signals when they are not an area (or not suggested).
COMPLICATING_TITLE: Final = "Complicating factor: interpersonal sensitivity or social isolation"
#: Event kinds that mark a role transition.
TRANSITION_KINDS: Final = tuple(
    k for k in names.EVENT_KINDS if k not in ("death", "conflict", "other")
)
#: Why a session was ranked, and how each reason reads: the focus session, the
#: end of the initial phase, the latest session, or the session asked for.
SESSION_BASES: Final = {
    "focus": "when the focus was chosen",
    "initial_phase": "the end of the initial phase",
    "latest": "the latest session",
    "asked": "as asked",
}
_OWN_WITH_PERSON: Final = ("birth", "separation", "divorce")
_ENDINGS: Final = ("separation", "divorce")
#: Roles that make a person significant in any circle (a friend is a close friend).
_SIGNIFICANT_ROLES: Final = ("partner", "family", "friend")
_DEATH_POINTS: Final = {1: 5, 2: 4}
_DEATH_BY_ROLE: Final = 3
_DEATH_OTHER: Final = 1
_AMBIVALENT: Final = 2  # conflict with someone who died that counts as ambivalence
_AMBIVALENCE_POINTS: Final = 2
_DISPUTE_POINTS: Final = {1: 3, 2: 2}  # +1 at the top of the scale (conflict 4 of 4)
_TOP_CONFLICT: Final = 4
_DISPUTE_BY_ROLE: Final = 1
_OWN_CHANGE: Final = 5
_OTHERS_CHANGE: Final = 2
_SMALL_NETWORK: Final = 5
_MAIN_SIGNAL: Final = 3  # a small map, or an LSNS-6 total below 12
_CORE: Final = 2  # a line worth this much is a core signal of its area (rules deficits out)
_LOW_SUPPORT: Final = 2.0
_HIGH_CONFLICT: Final = 3
_UNMET: Final = 1
_MAX_BONUS: Final = 2
_DEFICIT_AREA: Final = "interpersonal_deficits"
_DISPUTE_AREA: Final = "role_dispute"
_NO_EVIDENCE: Final = "No evidence found in the inventory or timeline."


class ProblemAreaError(IPTNetworkError, ValueError):
    """Settings that cannot be used (a negative window, an unknown scheme)."""


@dataclass(frozen=True)
class ProblemAreaSettings:
    """How near onset counts as near, and which scheme of areas to use.

    Parameters
    ----------
    window_before_days : int
        Days before onset that count as near it (default 183, about six months).
    window_after_days : int
        Days after onset that count as near it (default 31, about one month).
    scheme : {"four", "three"}
        ``"four"``: grief, role dispute, role transition, interpersonal
        deficits. ``"three"``: the first three; deficits' signals are reported
        as a complicating factor (interpersonal sensitivity or social isolation).

    Raises
    ------
    ProblemAreaError
        When a window is negative, or the scheme is neither ``"four"`` nor
        ``"three"``.

    Examples
    --------
    >>> ProblemAreaSettings(window_before_days=90).window_after_days
    31
    >>> ProblemAreaSettings(scheme="five")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    ProblemAreaError: scheme must be 'four' or 'three', not 'five'
    """

    window_before_days: int = 183
    window_after_days: int = 31
    scheme: Scheme = "four"

    def __post_init__(self) -> None:
        if self.scheme not in ("four", "three"):
            raise ProblemAreaError(f"scheme must be 'four' or 'three', not {self.scheme!r}")
        for name in ("window_before_days", "window_after_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ProblemAreaError(f"{name} must be a whole number of days, 0 or more")

    @property
    def areas(self) -> tuple[str, ...]:
        """The problem areas ranked under this scheme."""
        if self.scheme == "three":
            return tuple(a for a in names.PROBLEM_AREAS if a != _DEFICIT_AREA)
        return names.PROBLEM_AREAS


@dataclass(frozen=True)
class AreaCandidate:
    """One problem area's score and the evidence for it.

    Parameters
    ----------
    area : str
        One of :data:`ipt_network.names.PROBLEM_AREAS`.
    score : int
        The strongest line's points plus 1 for each other line with points, at
        most +2 (0: no evidence).
    rank : int
        1 for the highest score; areas with equal scores share a rank.
    tied : bool
        Another area has the same score above 0.
    evidence : tuple of str
        One plain sentence per line of evidence, each ending with its points
        such as ``(+4)``; or why there is none.
    stage_recorded : str, optional
        Role dispute only: the clinician's stage (``sessions.dispute_stage``),
        the latest recorded at or before the session ranked.
    stage_recorded_session : int, optional
        The session it was recorded at (the first of the latest sessions that
        record that stage in a row).
    stage_guess : str, optional
        Role dispute with evidence only: the tool's guess at the stage
        (``"renegotiation"``, ``"impasse"`` or ``"dissolution"``); ``None``
        with a ``stage_reason`` when the guess would turn on expectations met
        that are not recorded.
    stage_reason : str, optional
        Why the tool guesses that stage (or makes no guess), in words.
    conflict_trend : str, optional
        The conflict of the leading person session by session, such as
        ``"Sarah (partner): conflict 4, 4, 3 at sessions 1-3"``.
    """

    area: str
    score: int
    rank: int
    tied: bool
    evidence: tuple[str, ...]
    stage_recorded: str | None = None
    stage_recorded_session: int | None = None
    stage_guess: str | None = None
    stage_reason: str | None = None
    conflict_trend: str | None = None

    @property
    def label(self) -> str:
        """The area in words."""
        return AREA_TITLES[self.area]

    def stage_lines(self) -> list[str]:
        """The stage block of a role dispute: the clinician's call, the trend, the guess.

        Empty for the other areas, and for a role dispute with no evidence and
        no recorded stage.

        Examples
        --------
        >>> from ipt_network import load_samples
        >>> a = rank_problem_areas(load_samples(), "dispute-01", session=4).areas[0]
        >>> a.stage_lines()[0]
        'Stage (clinician): impasse, recorded at session 3.'
        """
        if self.area != _DISPUTE_AREA or (self.score == 0 and self.stage_recorded is None):
            return []
        if self.stage_recorded is None:
            out = [STAGE_NOT_RECORDED]
        else:
            out = [
                f"Stage (clinician): {self.stage_recorded}, recorded at session "
                f"{self.stage_recorded_session}."
            ]
        if self.conflict_trend is not None:
            out.append(f"Conflict trend: {self.conflict_trend}.")
        if self.stage_guess is not None:
            out.append(
                f"Tool's guess: {self.stage_guess} ({STAGE_MEANINGS[self.stage_guess]}). "
                f"{self.stage_reason} (a guess; the clinician decides)"
            )
        elif self.stage_reason is not None:
            out.append(f"Tool's guess: none. {self.stage_reason}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields, with the label."""
        return {**asdict(self), "evidence": list(self.evidence), "label": self.label}


@dataclass(frozen=True)
class ProblemAreaSuggestion:
    """The ranked problem areas of one client, with evidence and settings.

    Parameters
    ----------
    client_id : str
        Whose areas these are.
    session : int
        The inventory was read as of this session (0 when the client has none).
    reference : str
        ``"onset"``, or ``"the first session"`` when the onset is not recorded.
    reference_date : str or None
        ISO date of the reference, ``None`` when the client has no sessions
        and no onset.
    settings : ProblemAreaSettings
        The window and the scheme used.
    areas : tuple of AreaCandidate
        Best first; ties in the order of :data:`~ipt_network.names.PROBLEM_AREAS`.
    complicating_factors : tuple of str
        The isolation or sensitivity signals whenever deficits are not the
        suggestion (always under the three-area scheme).
    session_basis : str
        Why that session: a key of :data:`SESSION_BASES`.
    focus : tuple of str
        The focus the clinician chose (``clients.focus``), empty when none.
    """

    client_id: str
    session: int
    reference: str
    reference_date: str | None
    settings: ProblemAreaSettings
    areas: tuple[AreaCandidate, ...]
    complicating_factors: tuple[str, ...] = field(default=())
    session_basis: str = "asked"
    focus: tuple[str, ...] = field(default=())

    @property
    def top(self) -> list[AreaCandidate]:
        """The areas ranked first with some evidence (two or more when tied)."""
        return [a for a in self.areas if a.rank == 1 and a.score > 0]

    @property
    def agrees(self) -> bool | None:
        """Whether the chosen focus contains every area ranked first.

        ``None`` when no focus is chosen; ``False`` when no area has evidence.
        """
        if not self.focus:
            return None
        top = self.top
        return bool(top) and all(a.area in self.focus for a in top)

    @property
    def session_words(self) -> str:
        """Which session is ranked and why, such as "as of session 3, when the focus was chosen"."""
        return f"as of session {self.session}, {SESSION_BASES[self.session_basis]}"

    def row(self) -> dict[str, Any]:
        """One row for ``problem-areas --all``: ids, areas and numbers only.

        Examples
        --------
        >>> from ipt_network import load_samples
        >>> r = rank_problem_areas(load_samples(), "grief-01").row()
        >>> r["suggestion"], r["focus"], r["agree"], r["grief"]
        ('grief', 'grief', True, 5)
        """
        top = self.top
        scores = {a.area: a.score for a in self.areas}
        return {
            "client_id": self.client_id,
            "session": self.session,
            "session_basis": self.session_basis,
            "suggestion": ";".join(a.area for a in top),
            "score": top[0].score if top else 0,
            "focus": ";".join(self.focus),
            "agree": self.agrees,
            **{a: scores[a] for a in self.settings.areas},
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields, for ``problem-areas --json``.

        Examples
        --------
        >>> import json
        >>> from ipt_network import load_samples
        >>> d = rank_problem_areas(load_samples(), "dispute-01").to_dict()
        >>> d["session"], d["areas"][0]["area"], d["areas"][0]["stage_recorded"]
        (3, 'role_dispute', 'impasse')
        >>> json.loads(json.dumps(d))["note"] == SUGGESTION_NOTE
        True
        """
        return {
            "client_id": self.client_id,
            "session": self.session,
            "session_basis": self.session_basis,
            "session_reason": SESSION_BASES[self.session_basis],
            "focus": list(self.focus),
            "reference": self.reference,
            "reference_date": self.reference_date,
            "window_before_days": self.settings.window_before_days,
            "window_after_days": self.settings.window_after_days,
            "scheme": self.settings.scheme,
            "areas": [a.to_dict() for a in self.areas],
            "complicating_factors": list(self.complicating_factors),
            "score_rule": SCORE_RULE,
            "note": SUGGESTION_NOTE,
        }

    def lines(self) -> list[str]:
        """The suggestion as text for a terminal or a report.

        Examples
        --------
        >>> from ipt_network import load_samples
        >>> lines = rank_problem_areas(load_samples(), "transition-01").lines()
        >>> lines[0][:64]
        'Problem areas for transition-01, as of session 3, when the focus'
        >>> lines[1]
        'Score = strongest line + 1 for each other line with points, at most +2.'
        >>> lines[3]
        '1. Role transition (score 7)'
        """
        window = (
            f"{self.settings.window_before_days} days before to "
            f"{self.settings.window_after_days} days after {self.reference}"
        )
        out = [
            f"Problem areas for {self.client_id}, {self.session_words} "
            f"(near {self.reference} = {window}).",
            SCORE_RULE,
            "",
        ]
        for a in self.areas:
            tie = ", tied" if a.tied else ""
            out.append(f"{a.rank}. {a.label} (score {a.score}{tie})")
            out += [f"   - {e}" for e in a.evidence]
            out += [f"   {line}" for line in a.stage_lines()]
        if self.complicating_factors:
            out += ["", COMPLICATING_TITLE]
            out += [f"   - {e}" for e in self.complicating_factors]
        if not self.top:
            out += ["", "No problem area has evidence under these rules."]
        elif len(self.top) > 1:
            tied = join_and([a.label.lower() for a in self.top])
            out += ["", f"{tied[0].upper()}{tied[1:]} score the same: the clinician decides."]
        return [*out, "", SUGGESTION_NOTE]


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True, slots=True)
class _Row:
    """One relationships row: the client and one person at one session."""

    session: int
    pid: str
    ring: int
    conflict: int
    support: int
    expect: int | None  # expectations met, when recorded
    contact: int | None  # index in CONTACT_FREQUENCIES (0 = daily), when recorded


@dataclass(frozen=True, slots=True)
class _Event:
    """One dated timeline event; ``pid`` is ``None`` when no person is named."""

    kind: str
    pid: str | None
    day: date


@dataclass(frozen=True)
class _Index:
    """One client's rows as plain records, read once and reused for every session ranked."""

    client_id: str
    sessions: tuple[int, ...]
    dates: dict[int, date]
    rows: tuple[_Row, ...]  # by session, then person id
    events: tuple[_Event, ...]  # dated events, in date order (stable)
    deaths: dict[str, date]  # person id -> earliest recorded death (people table or event)
    labels: dict[str, str]  # person id -> "name (role)"
    roles: dict[str, str]
    lsns6: tuple[tuple[int, int], ...]  # (session, total) of every complete administration
    stages: tuple[tuple[int, str], ...]  # (session, dispute_stage) where recorded
    onset: date | None
    planned: int
    focus: tuple[str, ...]
    focus_session: int | None


_COLUMNS: Final = {
    "clients": ("onset_date", "planned_sessions", "focus", "focus_session"),
    "sessions": ("session", "date", "dispute_stage", *LSNS6_ITEMS),
    "people": ("person_id", "name", "role", "deceased_date"),
    "relationships": (
        "session",
        "person_id",
        "ring",
        "conflict",
        "support",
        "expectations_met",
        "contact_frequency",
    ),
    "events": ("date", "kind", "person_id"),
}
_CONTACT: Final = {f: i for i, f in enumerate(names.CONTACT_FREQUENCIES)}

Columns = dict[str, list[Any]]


def _date(value: object) -> date | None:
    text = cell_text(value)
    return None if text is None else date.fromisoformat(text)


def _int(value: object) -> int | None:
    return None if is_missing(value) else int(str(value))


def _columns(inventory: Inventory) -> dict[str, Columns]:
    """The columns the rules read, as Python lists (a missing optional column: all empty)."""
    out: dict[str, Columns] = {}
    for table, cols in _COLUMNS.items():
        frame = getattr(inventory, table)
        out[table] = {
            c: frame[c].tolist() if c in frame.columns else [None] * len(frame)
            for c in ("client_id", *cols)
        }
    return out


def _build_index(client_id: str, cols: Mapping[str, Columns]) -> _Index:
    """The index of one client from the columns of its rows only."""
    ses, rel, ev, ppl = cols["sessions"], cols["relationships"], cols["events"], cols["people"]
    dates = {int(s): d for s, v in zip(ses["session"], ses["date"], strict=True) if (d := _date(v))}
    rows = sorted(
        (
            _Row(int(s), str(p), int(r), int(c), int(u), _int(e), _CONTACT.get(str(f)))
            for s, p, r, c, u, e, f in zip(
                rel["session"], rel["person_id"], rel["ring"], rel["conflict"], rel["support"],
                rel["expectations_met"], rel["contact_frequency"], strict=True,
            )
        ),
        key=lambda row: (row.session, row.pid),
    )  # fmt: skip
    events = sorted(
        (
            _Event(str(k), cell_text(p), d)
            for d0, k, p in zip(ev["date"], ev["kind"], ev["person_id"], strict=True)
            if (d := _date(d0)) is not None
        ),
        key=lambda e: e.day,
    )
    deaths: dict[str, date] = {}
    for pid, gone in zip(ppl["person_id"], ppl["deceased_date"], strict=True):
        if (day := _date(gone)) is not None:
            deaths[str(pid)] = day
    for e in events:
        if e.kind == "death" and e.pid is not None:
            deaths[e.pid] = min(deaths.get(e.pid, e.day), e.day)
    people = [
        Person(str(p), cell_text(n), str(r))
        for p, n, r in zip(ppl["person_id"], ppl["name"], ppl["role"], strict=True)
    ]
    items = list(zip(*(ses[c] for c in LSNS6_ITEMS), strict=True))
    lsns6 = tuple(
        (int(s), sum(int(v) for v in answers))
        for s, answers in zip(ses["session"], items, strict=True)
        if not any(is_missing(v) for v in answers)
    )
    stages = tuple(
        sorted(
            (int(s), str(v))
            for s, v in zip(ses["session"], ses["dispute_stage"], strict=True)
            if not is_missing(v)
        )
    )
    cli = cols["clients"]
    planned = _int(cli["planned_sessions"][0]) if cli["planned_sessions"] else None
    return _Index(
        client_id=client_id,
        sessions=tuple(sorted(dates)),
        dates=dates,
        rows=tuple(rows),
        events=tuple(events),
        deaths=deaths,
        labels={p.person_id: p.label_with_role for p in people},
        roles={p.person_id: p.role for p in people},
        lsns6=lsns6,
        stages=stages,
        onset=_date(cli["onset_date"][0]) if cli["onset_date"] else None,
        planned=planned or DEFAULT_PLANNED_SESSIONS,
        focus=tuple(focus_areas(cell_text(cli["focus"][0]))) if cli["focus"] else (),
        focus_session=_int(cli["focus_session"][0]) if cli["focus_session"] else None,
    )


def _indexes(inventory: Inventory) -> Iterable[_Index]:
    """The index of every client of ``inventory``, reading each table once."""
    cols = _columns(inventory)
    where: dict[str, dict[str, list[int]]] = {}
    for table, table_cols in cols.items():
        positions: dict[str, list[int]] = {}
        for i, cid in enumerate(table_cols["client_id"]):
            positions.setdefault(str(cid), []).append(i)
        where[table] = positions
    for client_id in inventory.client_ids():
        mine = {
            table: {
                c: [values[i] for i in where[table].get(client_id, [])]
                for c, values in table_cols.items()
            }
            for table, table_cols in cols.items()
        }
        yield _build_index(client_id, mine)


def _index_of(inventory: Inventory, client_id: str) -> _Index:
    """One client's index, built once per course (the read model keeps it)."""
    course = course_of(inventory, client_id)  # raises ClientNotFound
    return course.derived("problem_areas", lambda c: _build_index(c.client_id, _columns(c.tables)))


def _default_session(index: _Index) -> tuple[int, str]:
    """The session of the decision, and why (a key of :data:`SESSION_BASES`)."""
    sessions = index.sessions
    if not sessions:
        return 0, "latest"
    if index.focus_session in sessions:
        return index.focus_session, "focus"
    try:
        initial = CoursePlan(index.planned).initial_sessions
    except IPTNetworkError:
        initial = CoursePlan().initial_sessions
    if initial in sessions:
        return initial, "initial_phase"
    return sessions[-1], "latest"  # the initial phase is not over yet


def _session_of(index: _Index, session: int | None) -> tuple[int, str]:
    """The session asked for (checked), else the default one; and why."""
    if session is None:
        return _default_session(index)
    if session not in index.sessions:
        raise SessionNotFound(index.client_id, session)
    return session, "asked"


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of evidence and its points."""

    points: int
    text: str

    def render(self) -> str:
        return f"{self.text} (+{self.points})."


@dataclass
class _Context:
    """What the rules read, for one client up to one session."""

    index: _Index
    session: int
    rel: list[_Row]
    by_person: dict[str, list[_Row]]
    events: list[_Event]
    deaths: dict[str, date]  # known by the session ranked
    ref: date | None
    ref_name: str
    start: date | None
    end: date | None

    def near(self, day: date) -> bool:
        return self.start is not None and self.end is not None and self.start <= day <= self.end

    def when(self, day: date) -> str:
        """ "5 weeks before onset" and the like."""
        assert self.ref is not None
        gap = (day - self.ref).days
        if gap == 0:
            return f"on the day of {self.ref_name}"
        side = "before" if gap < 0 else "after"
        return f"{describe_interval(gap)} {side} {self.ref_name}"

    def outside(self, day: date) -> str:
        """ "considered: 70 days after onset, outside the window"."""
        assert self.ref is not None
        gap = (day - self.ref).days
        side = "before" if gap < 0 else "after"
        return f"considered: {abs(gap)} days {side} {self.ref_name}, outside the window"

    def who(self, pid: str | None) -> str:
        """The person's label with role (the id when unknown)."""
        return "someone not named" if pid is None else self.index.labels.get(pid, pid)

    def role(self, pid: str) -> str:
        return self.index.roles.get(pid, "other")

    def significant_by_role(self, pid: str) -> bool:
        return self.role(pid) in _SIGNIFICANT_ROLES

    def alive_at(self, pid: str, session: int) -> bool:
        gone = self.deaths.get(pid)
        day = self.index.dates.get(session)
        return gone is None or day is None or day <= gone

    def of_kind(self, *kinds: str) -> list[_Event]:
        return [e for e in self.events if e.kind in kinds]


def _context(index: _Index, settings: ProblemAreaSettings, session: int) -> _Context:
    rel = [row for row in index.rows if row.session <= session]
    by_person: dict[str, list[_Row]] = {}
    for row in rel:
        by_person.setdefault(row.pid, []).append(row)
    end_date = index.dates.get(session)
    known = [e for e in index.events if end_date is None or e.day <= end_date]
    deaths = {p: d for p, d in index.deaths.items() if end_date is None or d <= end_date}
    ref, ref_name = index.onset, "onset"
    if ref is None and index.sessions:
        ref, ref_name = index.dates[index.sessions[0]], "the first session (onset not recorded)"
    start = None if ref is None else ref - timedelta(days=settings.window_before_days)
    stop = None if ref is None else ref + timedelta(days=settings.window_after_days)
    return _Context(index, session, rel, by_person, known, deaths, ref, ref_name, start, stop)


# --------------------------------------------------------------------------- rules


def _score(lines: Sequence[_Line]) -> int:
    """The strongest line plus 1 for each other line with points, at most +2."""
    scored = sorted((ln.points for ln in lines if ln.points > 0), reverse=True)
    if not scored:
        return 0
    return scored[0] + min(_MAX_BONUS, len(scored) - 1)


def _circle(ring: int | None) -> str:
    return "not on the map" if ring is None else f"{RING_WORDS[ring]} circle"


def _grief(ctx: _Context) -> list[_Line]:
    out: list[_Line] = []
    if ctx.ref is None:
        return out
    for pid, day in sorted(ctx.deaths.items(), key=lambda kv: (kv[1], kv[0])):
        rows = ctx.by_person.get(pid, [])
        ring = min((r.ring for r in rows), default=None)
        close = ring is not None and ring in _DEATH_POINTS
        by_role = not close and ctx.significant_by_role(pid)
        where = _circle(ring) + (f", significant as {ctx.role(pid)}" if by_role else "")
        head = f"{ctx.who(pid)}, {where}"
        if ctx.near(day):
            points = (
                _DEATH_POINTS[ring]
                if ring is not None and close
                else _DEATH_BY_ROLE
                if by_role
                else _DEATH_OTHER
            )
            out.append(_Line(points, f"{head}, died {ctx.when(day)}"))
        elif (close or by_role) and ctx.start is not None and day < ctx.start:
            out.append(
                _Line(
                    1,
                    f"{head}, died {ctx.when(day)}, before the window: ask whether the grief "
                    "was delayed or avoided",
                )
            )
        else:
            out.append(_Line(0, f"{head}, died: {ctx.outside(day)}"))
        worst = max(rows, key=lambda r: r.conflict, default=None)
        if worst is not None and worst.conflict >= _AMBIVALENT:
            out.append(
                _Line(
                    _AMBIVALENCE_POINTS,
                    f"{ctx.who(pid)}: conflict {worst.conflict} of 4 at session {worst.session}, "
                    "an ambivalent relationship with someone who died: ask about complicated "
                    "grief",
                )
            )
    for e in ctx.of_kind("death"):
        if e.pid is None:
            if ctx.near(e.day):
                out.append(_Line(_DEATH_OTHER, f"A death (no person named) {ctx.when(e.day)}"))
            else:
                out.append(_Line(0, f"A death (no person named): {ctx.outside(e.day)}"))
    return out


@dataclass
class _Dispute:
    """The dispute lines about one living person, and the session of its peak."""

    pid: str
    lines: list[_Line]
    peak: _Row

    @property
    def strength(self) -> tuple[int, int]:
        return self.lines[0].points, _score(self.lines)


def _disputes(ctx: _Context) -> tuple[list[_Dispute], list[_Line]]:
    """Disputes with living people, strongest first, and the lines weighed at +0."""
    found, considered = [], []
    conflict_events = ctx.of_kind("conflict")
    for pid in sorted(ctx.by_person):
        rows = ctx.by_person[pid]
        high = [r for r in rows if r.conflict >= _HIGH_CONFLICT]
        if not high:
            continue
        if pid in ctx.deaths:  # the dead are not disputants: their conflict is grief evidence
            considered.append(_moved_to_grief(ctx, pid, max(high, key=lambda r: r.conflict)))
            continue
        fallback = _DISPUTE_BY_ROLE if ctx.significant_by_role(pid) else 0

        def base(r: _Row, fallback: int = fallback) -> int:
            if r.ring in _DISPUTE_POINTS:
                return _DISPUTE_POINTS[r.ring] + (r.conflict >= _TOP_CONFLICT)
            return fallback

        peak = max(high, key=lambda r: (base(r), r.conflict))  # the first of the strongest
        who, s, c = ctx.who(pid), peak.session, peak.conflict
        if base(peak) == 0:
            considered.append(
                _Line(
                    0,
                    f"{who}, outer circle: conflict {c} of 4 at session {s}; considered: in the "
                    f"outer circle only a partner, family member or friend counts as significant",
                )
            )
            continue
        where = f"{RING_WORDS[peak.ring]} circle" + (
            f", significant as {ctx.role(pid)}" if peak.ring not in _DISPUTE_POINTS else ""
        )
        lines = [_Line(base(peak), f"{who}, {where}: conflict {c} of 4 at session {s}")]
        if peak.expect is not None and peak.expect <= _UNMET:
            lines.append(
                _Line(
                    1,
                    f"Expectations between the client and {who} met {peak.expect} of 4 "
                    f"at session {s}",
                )
            )
        flags = [r.conflict >= _HIGH_CONFLICT for r in rows]
        stuck = any(a and b for a, b in zip(flags, flags[1:], strict=False))
        if stuck:
            lines.append(
                _Line(1, f"Conflict with {who} stayed at 3 or more over sessions in a row")
            )
        elif not flags[0]:
            lines.append(_Line(1, f"Conflict with {who} rose from {rows[0].conflict} to {c}"))
        near = [e.day for e in conflict_events if e.pid == pid and ctx.near(e.day)]
        if near:
            lines.append(_Line(1, f"A conflict with {who} was recorded {ctx.when(near[0])}"))
        found.append(_Dispute(pid, lines, peak))
    found.sort(key=lambda d: (-d.strength[1], -d.strength[0], d.pid))
    return found, considered


def _moved_to_grief(ctx: _Context, pid: str, worst: _Row) -> _Line:
    """The +0 dispute line of someone in high conflict who died: weighed under grief."""
    who, day = ctx.who(pid), ctx.deaths[pid]
    when = day.isoformat() if ctx.ref is None else ctx.when(day)
    return _Line(
        0,
        f"{who}: conflict {worst.conflict} of 4 at session {worst.session}; considered: {who} "
        f"died {when}, their conflict is weighed under grief",
    )


def _live_dispute(ctx: _Context, e: _Event) -> bool:
    """Whether a dispute with the person of ``e`` is live after it.

    Live: conflict 3 or more in the inner or middle circle at a session after the event.
    """
    if e.pid is None or e.pid in ctx.deaths:
        return False
    return any(
        r.ring in _DISPUTE_POINTS
        and r.conflict >= _HIGH_CONFLICT
        and ctx.index.dates.get(r.session, date.min) > e.day
        for r in ctx.by_person.get(e.pid, [])
    )


def _role_dispute(ctx: _Context) -> tuple[list[_Line], list[_Dispute]]:
    found, considered = _disputes(ctx)
    lines = [ln for d in found for ln in d.lines]
    named = {d.pid for d in found}
    for e in ctx.of_kind("conflict"):
        if e.pid in named or e.pid in ctx.deaths:
            continue
        if ctx.near(e.day):
            lines.append(
                _Line(1, f"A conflict with {ctx.who(e.pid)} was recorded {ctx.when(e.day)}")
            )
        else:
            lines.append(_Line(0, f"A conflict with {ctx.who(e.pid)}: {ctx.outside(e.day)}"))
    for e in ctx.of_kind(*_ENDINGS):
        if _live_dispute(ctx, e):
            words = f"{event_phrase(e.kind)} from {ctx.who(e.pid)} {ctx.when(e.day)}"
            tail = "the conflict is still live after it: it counts here, not as a transition"
            lines.append(_Line(1 if ctx.near(e.day) else 0, f"{words}; {tail}"))
    return lines + considered, found


def _trend(ctx: _Context, pid: str) -> str:
    """ "Sarah (partner): conflict 4, 4, 3 at sessions 1-3"."""
    rows = ctx.by_person[pid]
    values = ", ".join(str(r.conflict) for r in rows)
    ss = [r.session for r in rows]
    index = ctx.index.sessions
    contiguous = ss == [s for s in index if ss[0] <= s <= ss[-1]]
    if len(ss) == 1:
        at = f"session {ss[0]}"
    elif contiguous:
        at = f"sessions {ss[0]}-{ss[-1]}"
    else:
        at = f"sessions {', '.join(map(str, ss))}"
    return f"{ctx.who(pid)}: conflict {values} at {at}"


def _stage_guess(ctx: _Context, d: _Dispute) -> tuple[str | None, str]:
    """The tool's guess at the stage, from the manual's definitions, and why.

    Expectations met that are not recorded (at the peak or at the latest
    session) are unknown: they never count as "not rising". When the guess
    would turn on them, there is no guess (``None``), only the reason.
    """
    who = ctx.who(d.pid)
    ended = [e for e in ctx.of_kind(*_ENDINGS) if e.pid == d.pid]
    if ended:
        return "dissolution", f"{event_phrase(ended[-1].kind)} from {who} is recorded."
    latest = ctx.by_person[d.pid][-1]
    if latest.session < ctx.session:
        return "dissolution", f"{who} is no longer on the map at session {ctx.session}."
    peak = d.peak
    moved_out = latest.ring > peak.ring
    less_contact = (
        latest.contact is not None and peak.contact is not None and latest.contact > peak.contact
    )
    known = latest.expect is not None and peak.expect is not None
    rose = latest.expect is not None and peak.expect is not None and latest.expect > peak.expect
    since = f"since session {peak.session}"
    if (moved_out or less_contact) and known and not rose:
        what = join_and(
            [
                w
                for w, on in (("moved outward", moved_out), ("is in touch less", less_contact))
                if on
            ]
        )
        return "impasse", (
            f"{who} {what} {since} and expectations have not risen: talk may have stopped."
        )
    if latest.conflict >= _HIGH_CONFLICT:
        unmet = (
            f", though expectations are met only {latest.expect} of 4"
            if latest.expect is not None and latest.expect <= _UNMET
            else ""
        )
        return "renegotiation", (
            f"Conflict with {who} is still {latest.conflict} of 4 at session {latest.session} "
            f"and they are still in touch{unmet}: open conflict usually means both are still "
            "engaged. If talk has stopped, it is an impasse."
        )
    fell = f"conflict with {who} fell from {peak.conflict} to {latest.conflict} {since}"
    if rose:
        return "renegotiation", (
            f"The {fell} as expectations met rose from {peak.expect} to {latest.expect}: "
            "they seem to be working it out."
        )
    if not known:
        missing = latest.session if latest.expect is None else peak.session
        return None, (
            f"The {fell}, but expectations met are not recorded at session {missing}: "
            "falling conflict can mean settling or disengagement. Record expectations met, "
            "or ask whether they still talk about it."
        )
    return "impasse", (
        f"The {fell} without expectations rising: falling conflict can mean disengagement "
        "rather than settling. Ask whether they still talk about it."
    )


def _transition(ctx: _Context) -> list[_Line]:
    out: list[_Line] = []
    for e in ctx.of_kind(*TRANSITION_KINDS):
        words = event_phrase(e.kind)
        if e.pid is not None:
            words += f", {ctx.who(e.pid)},"
        if e.kind in _ENDINGS and _live_dispute(ctx, e):
            out.append(
                _Line(0, f"{words} {ctx.when(e.day)}; considered: the dispute with them is "
                      "still live, so it counts under role dispute")
            )  # fmt: skip
        elif not ctx.near(e.day):
            out.append(_Line(0, f"{words} {ctx.outside(e.day)}"))
        elif e.pid is None or e.kind in _OWN_WITH_PERSON:
            out.append(_Line(_OWN_CHANGE, f"{words} {ctx.when(e.day)}"))
        else:
            out.append(
                _Line(
                    _OTHERS_CHANGE,
                    f"{words} {ctx.when(e.day)} (someone else's change; it may have changed "
                    "the client's role too)",
                )
            )
    return out


def _living(ctx: _Context, rows: Iterable[_Row]) -> list[_Row]:
    return [r for r in rows if r.pid not in ctx.deaths or ctx.alive_at(r.pid, r.session)]


def _map_size(rows: list[_Row]) -> tuple[int, int]:
    """People and closeness sum of one session's rows."""
    return len(rows), sum(4 - r.ring for r in rows)


def _deficits(ctx: _Context) -> tuple[list[_Line], bool]:
    """Lines, and whether the map shrank since before onset (ruling deficits out)."""
    living = _living(ctx, ctx.rel)
    if not living:
        return [_Line(0, "There is no map yet to look at")], False
    first_s = living[0].session
    first = [r for r in living if r.session == first_s]
    out: list[_Line] = []
    n = len(first)
    if n <= _SMALL_NETWORK:
        people = "person" if n == 1 else "people"
        out.append(_Line(_MAIN_SIGNAL, f"Only {n} {people} on the map at session {first_s}"))
    inner = sum(1 for r in first if r.ring == 1)
    if inner <= 1:
        who = "Nobody" if inner == 0 else "Only one person"
        out.append(_Line(1, f"{who} in the inner circle at session {first_s}"))
    support = sum(r.support for r in first) / n
    if support < _LOW_SUPPORT:
        out.append(_Line(1, f"Support averages {support:.1f} of 4 at session {first_s}"))
    lsns = [total for s, total in ctx.index.lsns6 if s <= ctx.session]
    if lsns and lsns[0] < LSNS6_ISOLATION_CUTOFF:
        out.append(
            _Line(
                _MAIN_SIGNAL,
                f"LSNS-6 total {lsns[0]}, below {LSNS6_ISOLATION_CUTOFF}: at risk of social "
                "isolation",
            )
        )
    onset = ctx.ref if ctx.ref_name == "onset" else None
    dates = ctx.index.dates
    before = [r for r in living if onset is not None and dates.get(r.session, onset) < onset]
    after = [r for r in living if r not in before]
    if not before or not after:
        out.append(
            _Line(
                0,
                "The map before onset is not recorded: ask whether the network was this small "
                "before the depression (withdrawal caused by the depression is not a deficit)",
            )
        )
        return out, False
    s0, s1 = before[-1].session, after[-1].session
    (n0, c0), (n1, c1) = (
        _map_size([r for r in before if r.session == s0]),
        _map_size([r for r in after if r.session == s1]),
    )
    if c1 < c0:
        out.append(
            _Line(
                0,
                f"The map was larger before onset ({n0} people at session {s0}) than now "
                f"({n1}): this looks like withdrawal with the depression, not a lasting deficit",
            )
        )
        return out, True
    out.append(
        _Line(1, f"The map was no larger before onset ({n0} people at session {s0}; {n1} now)")
    )
    return out, False


# --------------------------------------------------------------------------- ranking


@dataclass
class _Scored:
    area: str
    lines: list[_Line]
    score: int
    extra: dict[str, Any] = field(default_factory=dict)
    note: list[str] = field(default_factory=list)  # sentences without points, after the lines


def _ranked(scored: list[_Scored]) -> tuple[AreaCandidate, ...]:
    order = {a: i for i, a in enumerate(names.PROBLEM_AREAS)}
    scored = sorted(scored, key=lambda t: (-t.score, order[t.area]))
    out = []
    for t in scored:
        rank = 1 + sum(1 for other in scored if other.score > t.score)
        tied = t.score > 0 and sum(1 for other in scored if other.score == t.score) > 1
        strongest = sorted(t.lines, key=lambda ln: -ln.points)  # stable: ties keep their order
        said = [*t.note, *(ln.render() for ln in strongest)]
        evidence = tuple(said) if said else (_NO_EVIDENCE,)
        out.append(AreaCandidate(t.area, t.score, rank, tied, evidence, **t.extra))
    return tuple(out)


def _stage_fields(ctx: _Context, found: list[_Dispute]) -> dict[str, Any]:
    recorded = [(s, v) for s, v in ctx.index.stages if s <= ctx.session]
    extra: dict[str, Any] = {}
    if recorded:
        stage = recorded[-1][1]
        since = recorded[-1][0]
        for s, v in reversed(recorded):  # the first session of the latest run of that stage
            if v != stage:
                break
            since = s
        extra.update(stage_recorded=stage, stage_recorded_session=since)
    if found:
        guess, reason = _stage_guess(ctx, found[0])
        extra.update(
            stage_guess=guess, stage_reason=reason, conflict_trend=_trend(ctx, found[0].pid)
        )
    return extra


def _rank(
    index: _Index, settings: ProblemAreaSettings, session: int, basis: str
) -> ProblemAreaSuggestion:
    ctx = _context(index, settings, session)
    d_lines, found = _role_dispute(ctx)
    scored = [
        _Scored("grief", g := _grief(ctx), _score(g)),
        _Scored(_DISPUTE_AREA, d_lines, _score(d_lines), _stage_fields(ctx, found)),
        _Scored("role_transition", t := _transition(ctx), _score(t)),
    ]
    f_lines, shrank = _deficits(ctx)
    signals = [ln.render() for ln in f_lines if ln.points > 0]
    factors: list[str] = signals
    if settings.scheme == "four":
        others = [
            AREA_TITLES[s.area].lower() for s in scored if any(ln.points >= _CORE for ln in s.lines)
        ]
        deficits = _Scored(_DEFICIT_AREA, f_lines, 0 if shrank else _score(f_lines))
        if others:
            verb = "has" if len(others) == 1 else "have"
            deficits.note = [
                f"Not suggested: {join_and(others)} {verb} a core signal (a line worth "
                f"{_CORE} or more), and deficits are considered only when no other area does"
                + ("; the signals are listed as a complicating factor." if signals else ".")
            ]
            deficits.lines, deficits.score = [], 0
        else:
            factors = []
        scored.append(deficits)
    if ctx.ref is None:
        note = (
            "Neither the onset nor a session date is recorded, so nothing can be placed near onset."
        )
        for s in scored[:3]:
            s.note.append(note)
    return ProblemAreaSuggestion(
        client_id=index.client_id,
        session=session,
        reference="onset" if ctx.ref_name == "onset" else "the first session",
        reference_date=None if ctx.ref is None else ctx.ref.isoformat(),
        settings=settings,
        areas=_ranked(scored),
        complicating_factors=tuple(factors),
        session_basis=basis,
        focus=index.focus,
    )


def rank_problem_areas(
    inventory: Inventory,
    client_id: str,
    settings: ProblemAreaSettings | None = None,
    *,
    session: int | None = None,
) -> ProblemAreaSuggestion:
    """Rank the problem areas of one client, as of the decision, with evidence.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    settings : ProblemAreaSettings, optional
        The window around onset and the scheme (default: six months before to
        one month after, four areas).
    session : int, optional
        Read the inventory as of this session. Default: the session at which
        the focus was chosen when it is recorded, else the last session of the
        initial phase, else the latest (see the module's notes).

    Returns
    -------
    ProblemAreaSuggestion
        Every area of the scheme, best first, with its score and evidence, and
        the session ranked with the reason for it.

    Raises
    ------
    ClientNotFound, SessionNotFound
        When the client or the session is not in the inventory.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> inv = load_samples()
    >>> [rank_problem_areas(inv, c).areas[0].area for c in ("dispute-01", "deficits-01")]
    ['role_dispute', 'interpersonal_deficits']
    >>> rank_problem_areas(inv, "dispute-01", session=8).areas[0].stage_recorded
    'renegotiation'
    """
    index = _index_of(inventory, client_id)
    return _rank(index, settings or ProblemAreaSettings(), *_session_of(index, session))


def decision_session(inventory: Inventory, client_id: str) -> tuple[int, str]:
    """The session :func:`rank_problem_areas` ranks by default, and why.

    Parameters
    ----------
    inventory, client_id
        As for :func:`rank_problem_areas`.

    Returns
    -------
    tuple of (int, str)
        The session (0 when the client has none) and a key of
        :data:`SESSION_BASES` (``"focus"``, ``"initial_phase"`` or ``"latest"``).

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.

    See Also
    --------
    rank_problem_areas : ranks as of this session unless ``session=`` is given.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> decision_session(load_samples(), "dispute-01")
    (3, 'focus')
    """
    return _default_session(_index_of(inventory, client_id))


def rank_all(
    inventory: Inventory,
    settings: ProblemAreaSettings | None = None,
    *,
    sessions: Mapping[str, int] | None = None,
    progress: bool = False,
) -> list[ProblemAreaSuggestion]:
    """Rank every client of ``inventory`` at its default session (the decision).

    The tables are read once for all clients, so a large cohort ranks fast.

    Parameters
    ----------
    inventory : Inventory
        The tables of any number of clients.
    settings : ProblemAreaSettings, optional
        As for :func:`rank_problem_areas`.
    sessions : mapping of str to int, optional
        Rank these clients as of these sessions instead (as ``session=`` does).
    progress : bool, default False
        Show a progress bar, per client, on standard error.

    Returns
    -------
    list of ProblemAreaSuggestion
        In the order of the clients table; each equal to
        ``rank_problem_areas(inventory, client_id, settings, session=...)``.

    Raises
    ------
    SessionNotFound
        When a session of ``sessions`` is not one of its client's.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> [s.row()["suggestion"] for s in rank_all(load_samples())]
    ['grief', 'role_dispute', 'role_transition', 'interpersonal_deficits']
    """
    from tqdm import tqdm

    settings = settings or ProblemAreaSettings()
    out = []
    total = len(inventory.clients)
    for index in tqdm(
        _indexes(inventory), total=total, disable=not progress, file=sys.stderr, unit="client"
    ):
        out.append(
            _rank(index, settings, *_session_of(index, (sessions or {}).get(index.client_id)))
        )
    return out


def agreement_summary(suggestions: Sequence[ProblemAreaSuggestion]) -> str:
    """How often the suggestion agrees with the chosen focus, overall and by focus.

    The suggestion agrees with a focus when the focus (one or two areas)
    contains every area ranked first (:attr:`ProblemAreaSuggestion.agrees`);
    clients without a focus are left out. A two-area focus is one group
    whatever order it was recorded in (named in the order of
    :data:`~ipt_network.names.PROBLEM_AREAS`).

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> agreement_summary(rank_all(load_samples()))[:78]
    'Suggestion agrees with the chosen focus for 4 of 4 clients with a focus (100%)'
    """
    judged = [s for s in suggestions if s.agrees is not None]
    if not judged:
        return "No client has a chosen focus, so there is no agreement to report."
    hits = sum(1 for s in judged if s.agrees)
    by: Counter[str] = Counter()
    agreed: Counter[str] = Counter()
    order = {a: i for i, a in enumerate(names.PROBLEM_AREAS)}
    for s in judged:
        areas = sorted(s.focus, key=lambda a: (order.get(a, len(order)), a))
        key = " + ".join(AREA_TITLES.get(a, a).lower() for a in areas)
        by[key] += 1
        agreed[key] += bool(s.agrees)
    parts = [f"{k} {agreed[k]} of {n} ({_pct(agreed[k], n)})" for k, n in sorted(by.items())]
    return (
        f"Suggestion agrees with the chosen focus for {hits} of {len(judged)} clients with a "
        f"focus ({_pct(hits, len(judged))}); by focus: {', '.join(parts)}."
    )


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%"
