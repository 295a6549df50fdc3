"""Suggest the IPT problem area from the inventory and the timeline, by transparent rules.

The clinician chooses the focus (one area, at most two). This module ranks the
candidates and shows the evidence behind each score in plain words; it never
decides. Every rule and its points:

======================  =====================================================  ======
area                    rule                                                   points
======================  =====================================================  ======
grief                   a person died within the window around onset: inner    4 / 3 / 1
                        / middle / outer circle (circle at their first
                        session on the map; 1 when never on the map)
grief                   an inner- or middle-circle person died before the      1
                        window (delayed or avoided grief is worth asking
                        about)
role dispute            an inner- or middle-circle person with conflict 3 or   2
                        more at a session
role dispute            ... who was in the inner circle then                   +1
role dispute            ... with expectations met 0 or 1 of 4 then             +1
role dispute            ... whose conflict stayed at 3 or more over two        +1
                        sessions in a row, or rose to it
role dispute            a conflict event with a person within the window       +1
role transition         a separation, divorce, move, job loss, new job,        2
                        retirement, birth or illness within the window that
                        is the client's own (no person named, or a birth,
                        separation or divorce)
role transition         ... that names someone else (their illness or job      1
                        may have changed the client's role too)
deficits                at most 5 people on the first map                      1
deficits                at most 1 person in the inner circle                   1
deficits                support averaging below 2 of 4                         1
deficits                an LSNS-6 total below 12 at its first administration   1
deficits                the map before onset was no larger than now            1
======================  =====================================================  ======

The window runs from ``window_before_days`` before the onset to
``window_after_days`` after it (default 183 and 31: six months before to one
month after); when the onset is not recorded, the first session's date stands
in for it and every sentence says so. Interpersonal deficits are suggested only
when no other area has evidence, and a map that was larger before onset than
now (withdrawal caused by the depression) rules them out. With
``scheme="three"`` deficits are not an area: their signals are reported as a
complicating factor (interpersonal sensitivity or social isolation).

For a role dispute the likely stage comes from the leading person's course:
*dissolution* when a separation or divorce with them is recorded, or they left
the map or moved to the outer circle; *impasse* when conflict is still 3 or
more and expectations have not risen since the peak; otherwise
*renegotiation* (both still trying: conflict fell or expectations rose).

Examples
--------
>>> from ipt_network import load_samples
>>> s = rank_problem_areas(load_samples(), "grief-01")
>>> s.areas[0].area, s.areas[0].score
('grief', 4)
>>> s.areas[0].evidence[0]
'Frank (partner), inner circle, died 5 weeks before onset.'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Literal

from ipt_network import names
from ipt_network.clinical.course import ClientCourse, course_of
from ipt_network.clinical.measures import LSNS6_ISOLATION_CUTOFF
from ipt_network.errors import IPTNetworkError, SessionNotFound
from ipt_network.io.inventory import Inventory, is_missing
from ipt_network.words import AREA_TITLES, RING_WORDS, describe_interval, event_phrase

__all__ = [
    "ProblemAreaSettings",
    "AreaCandidate",
    "ProblemAreaSuggestion",
    "ProblemAreaError",
    "rank_problem_areas",
    "SUGGESTION_NOTE",
    "TRANSITION_KINDS",
]

Scheme = Literal["four", "three"]

#: How each problem area reads (:data:`ipt_network.words.AREA_TITLES`).
#: Said with every suggestion.
SUGGESTION_NOTE: Final = (
    "This is a suggestion for the clinician, computed by fixed rules from the inventory "
    "and the timeline. It does not choose the focus: you and the client do."
)
#: Event kinds that mark a role transition.
TRANSITION_KINDS: Final = tuple(
    k for k in names.EVENT_KINDS if k not in ("death", "conflict", "other")
)
_OWN_WITH_PERSON: Final = ("birth", "separation", "divorce")
_DEATH_POINTS: Final = {1: 4, 2: 3, 3: 1}
_SMALL_NETWORK: Final = 5
_LOW_SUPPORT: Final = 2.0
_HIGH_CONFLICT: Final = 3
_UNMET: Final = 1
_DEFICIT_AREA: Final = "interpersonal_deficits"


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
        The sum of the points of the rules that fired (0: no evidence).
    rank : int
        1 for the highest score; areas with equal scores share a rank.
    tied : bool
        Another area has the same score above 0.
    evidence : tuple of str
        One plain sentence per rule that fired, or why none did.
    stage : str, optional
        For a role dispute with evidence: ``"renegotiation"``, ``"impasse"``
        or ``"dissolution"``.
    stage_reason : str, optional
        Why that stage, in words.
    """

    area: str
    score: int
    rank: int
    tied: bool
    evidence: tuple[str, ...]
    stage: str | None = None
    stage_reason: str | None = None

    @property
    def label(self) -> str:
        """The area in words."""
        return AREA_TITLES[self.area]

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
        The inventory was read as of this session.
    reference : str
        ``"onset"``, or ``"first session"`` when the onset is not recorded.
    reference_date : str or None
        ISO date of the reference, ``None`` when the client has no sessions
        and no onset.
    settings : ProblemAreaSettings
        The window and the scheme used.
    areas : tuple of AreaCandidate
        Best first; ties in the order of :data:`~ipt_network.names.PROBLEM_AREAS`.
    complicating_factors : tuple of str
        Under the three-area scheme: the isolation or sensitivity signals.
    """

    client_id: str
    session: int
    reference: str
    reference_date: str | None
    settings: ProblemAreaSettings
    areas: tuple[AreaCandidate, ...]
    complicating_factors: tuple[str, ...] = field(default=())

    @property
    def top(self) -> list[AreaCandidate]:
        """The areas ranked first with some evidence (two or more when tied)."""
        return [a for a in self.areas if a.rank == 1 and a.score > 0]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields, for ``problem-areas --json``.

        Examples
        --------
        >>> import json
        >>> from ipt_network import load_samples
        >>> d = rank_problem_areas(load_samples(), "dispute-01").to_dict()
        >>> d["areas"][0]["area"], d["areas"][0]["stage"]
        ('role_dispute', 'renegotiation')
        >>> json.loads(json.dumps(d))["note"] == SUGGESTION_NOTE
        True
        """
        return {
            "client_id": self.client_id,
            "session": self.session,
            "reference": self.reference,
            "reference_date": self.reference_date,
            "window_before_days": self.settings.window_before_days,
            "window_after_days": self.settings.window_after_days,
            "scheme": self.settings.scheme,
            "areas": [a.to_dict() for a in self.areas],
            "complicating_factors": list(self.complicating_factors),
            "note": SUGGESTION_NOTE,
        }

    def lines(self) -> list[str]:
        """The suggestion as text for a terminal or a report.

        Examples
        --------
        >>> from ipt_network import load_samples
        >>> rank_problem_areas(load_samples(), "transition-01").lines()[2]
        '1. Role transition (score 5)'
        """
        window = (
            f"{self.settings.window_before_days} days before to "
            f"{self.settings.window_after_days} days after {self.reference}"
        )
        out = [
            f"Problem areas for {self.client_id}, as of session {self.session} "
            f"(near {self.reference} = {window}).",
            "",
        ]
        for a in self.areas:
            tie = ", tied" if a.tied else ""
            out.append(f"{a.rank}. {a.label} (score {a.score}{tie})")
            out += [f"   - {e}" for e in a.evidence]
            if a.stage is not None:
                out.append(f"   Likely stage: {a.stage}. {a.stage_reason}")
        if self.complicating_factors:
            out += ["", "Complicating factor: interpersonal sensitivity or social isolation"]
            out += [f"   - {e}" for e in self.complicating_factors]
        if not self.top:
            out += ["", "No problem area has evidence under these rules."]
        elif len(self.top) > 1:
            tied = " and ".join(a.label.lower() for a in self.top)
            out += ["", f"{tied[0].upper()}{tied[1:]} score the same: the clinician decides."]
        return [*out, "", SUGGESTION_NOTE]


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, slots=True)
class _Row:
    """One relationships row: the client and one person at one session."""

    session: int
    pid: str
    ring: int
    conflict: int
    support: int
    expect: int | None  # expectations met, when recorded


@dataclass(frozen=True, slots=True)
class _Event:
    """One timeline event; ``pid`` is ``None`` when no person is named."""

    kind: str
    pid: str | None
    day: date | None


@dataclass(frozen=True)
class _Index:
    """One client's rows as plain records, read once per course and reused for every session."""

    rows: tuple[_Row, ...]  # by session, then person id
    events: tuple[_Event, ...]  # in the order of the events table
    deceased: tuple[tuple[str, date], ...]  # from the people table, in its order
    dates: dict[int, date]
    lsns6: tuple[tuple[int, int], ...]  # (session, total) of every administration, in order


def _date(value: object) -> date | None:
    if is_missing(value):
        return None
    return date.fromisoformat(str(value))


def _int(value: object) -> int | None:
    return None if is_missing(value) else int(str(value))


def _index(course: ClientCourse) -> _Index:
    one = course.tables
    rel = one.relationships
    rows = sorted(
        (
            _Row(int(s), str(p), int(r), int(c), int(u), _int(e))
            for s, p, r, c, u, e in zip(
                rel["session"],
                rel["person_id"],
                rel["ring"],
                rel["conflict"],
                rel["support"],
                rel["expectations_met"],
                strict=True,
            )
        ),
        key=lambda row: (row.session, row.pid),
    )
    ev = one.events
    events = tuple(
        _Event(str(k), None if is_missing(p) else str(p), _date(d))
        for k, p, d in zip(ev["kind"], ev["person_id"], ev["date"], strict=True)
    )
    deceased = tuple(
        (str(p), day)
        for p, gone in zip(one.people["person_id"], one.people["deceased_date"], strict=True)
        if (day := _date(gone)) is not None
    )
    dates = {
        int(s): d
        for s, d in zip(one.sessions["session"], one.sessions["date"].map(_date), strict=True)
        if d is not None
    }
    scores = course.measures
    lsns6 = tuple(
        (int(s), int(t))
        for s, t in zip(scores["session"], scores["lsns6_total"], strict=True)
        if not is_missing(t)
    )
    return _Index(tuple(rows), events, deceased, dates, lsns6)


@dataclass
class _Context:
    """What the rules read, for one client up to one session."""

    labels: Mapping[str, str]
    rel: list[_Row]  # this client's relationships up to the session, by session
    by_person: dict[str, list[_Row]]  # the same rows by person, each by session
    events: list[_Event]
    deaths: list[tuple[str, date]]  # (person_id, date), one per person
    ref: date | None
    ref_name: str
    start: date | None
    end: date | None
    first_session: int | None
    last_session: int
    session_dates: dict[int, date]
    lsns6_first: int | None

    def near(self, day: date | None) -> bool:
        return (
            day is not None
            and self.start is not None
            and self.end is not None
            and self.start <= day <= self.end
        )

    def when(self, day: date) -> str:
        """ "5 weeks before onset" and the like."""
        assert self.ref is not None
        gap = (day - self.ref).days
        if gap == 0:
            return f"on the day of {self.ref_name}"
        side = "before" if gap < 0 else "after"
        return f"{describe_interval(gap)} {side} {self.ref_name}"

    def who(self, pid: str | None) -> str:
        """The person's label with role (the id when unknown)."""
        return "someone not named" if pid is None else self.labels.get(pid, pid)

    def first_ring(self, pid: str) -> int | None:
        rows = self.by_person.get(pid)
        return rows[0].ring if rows else None

    def of_kind(self, *kinds: str) -> list[_Event]:
        return [e for e in self.events if e.kind in kinds]


def _context(
    inventory: Inventory, client_id: str, settings: ProblemAreaSettings, session: int | None
) -> _Context:
    course = course_of(inventory, client_id)  # raises ClientNotFound
    sessions = course.sessions
    if session is not None and session not in sessions:
        raise SessionNotFound(client_id, session)
    upto = [s for s in sessions if session is None or s <= session]
    last = upto[-1] if upto else 0
    index = course.derived("problem_areas", _index)
    dates = index.dates
    rel = [row for row in index.rows if row.session <= last]
    by_person: dict[str, list[_Row]] = {}
    for row in rel:
        by_person.setdefault(row.pid, []).append(row)
    end_date = dates.get(last)
    events = [
        e for e in index.events if end_date is None or (e.day is not None and e.day <= end_date)
    ]
    deaths: dict[str, date] = {}
    for e in sorted(_named_deaths(events), key=lambda e: e.day or date.min):
        deaths.setdefault(str(e.pid), e.day or date.min)
    for pid, day in index.deceased:
        deaths.setdefault(pid, day)
    onset = course.onset
    ref, ref_name = onset, "onset"
    if ref is None and upto:
        ref, ref_name = dates.get(upto[0]), "the first session (onset not recorded)"
    start = None if ref is None else ref - timedelta(days=settings.window_before_days)
    stop = None if ref is None else ref + timedelta(days=settings.window_after_days)
    lsns = [total for s, total in index.lsns6 if s <= last]
    return _Context(
        labels=course.labels_with_role,
        rel=rel,
        by_person=by_person,
        events=events,
        deaths=sorted(deaths.items(), key=lambda kv: (kv[1], kv[0])),
        ref=ref,
        ref_name=ref_name,
        start=start,
        end=stop,
        first_session=upto[0] if upto else None,
        last_session=last,
        session_dates=dates,
        lsns6_first=lsns[0] if lsns else None,
    )


def _named_deaths(events: list[_Event]) -> list[_Event]:
    return [e for e in events if e.kind == "death" and e.pid is not None and e.day is not None]


# --------------------------------------------------------------------------- rules

Found = tuple[int, list[str]]


def _grief(ctx: _Context) -> Found:
    points, said = 0, []
    for pid, day in ctx.deaths:
        who = ctx.who(pid)
        ring = ctx.first_ring(pid)
        circle = f"{RING_WORDS[ring]} circle" if ring is not None else "not on the map"
        if ctx.ref is None:
            continue
        if ctx.near(day):
            points += _DEATH_POINTS[ring] if ring is not None else 1
            said.append(f"{who}, {circle}, died {ctx.when(day)}.")
        elif ring in (1, 2) and ctx.start is not None and day < ctx.start:
            points += 1
            said.append(
                f"{who}, {circle}, died {ctx.when(day)}, before the window: ask whether "
                "the grief was delayed or avoided."
            )
    for e in ctx.of_kind("death"):
        if e.pid is None and e.day is not None and ctx.near(e.day):
            points += 1
            said.append(f"A death (no person named) {ctx.when(e.day)}.")
    return points, said


@dataclass
class _Dispute:
    pid: str
    points: int
    said: list[str]
    peak_session: int
    peak_conflict: int
    peak_expect: int | None


def _disputes(ctx: _Context) -> list[_Dispute]:
    out = []
    conflict_events = ctx.of_kind("conflict")
    for pid in sorted(ctx.by_person):
        rows = ctx.by_person[pid]
        close = [r for r in rows if r.ring <= 2 and r.conflict >= _HIGH_CONFLICT]
        if not close:
            continue
        peak = max(close, key=lambda r: r.conflict)  # the first of the highest
        s, c, ring, exp = peak.session, peak.conflict, peak.ring, peak.expect
        who = ctx.who(pid)
        points = 2 + (ring == 1)
        said = [f"{who}, {RING_WORDS[ring]} circle: conflict {c} of 4 at session {s}."]
        if exp is not None and exp <= _UNMET:
            points += 1
            said.append(f"Expectations between them met {exp} of 4 at session {s}.")
        conflicts = [r.conflict for r in rows]
        high = [x >= _HIGH_CONFLICT for x in conflicts]
        stuck = any(a and b for a, b in zip(high, high[1:], strict=False))
        rose = conflicts[0] < _HIGH_CONFLICT and any(high)
        if stuck or rose:
            points += 1
            said.append(
                f"Conflict with {who} stayed at 3 or more over sessions in a row."
                if stuck
                else f"Conflict with {who} rose from {conflicts[0]} to {max(conflicts)}."
            )
        near = [e.day for e in conflict_events if e.pid == pid and ctx.near(e.day)]
        if near and near[0] is not None:
            points += 1
            said.append(f"A conflict with {who} was recorded {ctx.when(near[0])}.")
        out.append(_Dispute(pid, points, said, s, c, exp))
    return sorted(out, key=lambda d: (-d.points, d.pid))


def _role_dispute(ctx: _Context) -> tuple[int, list[str], str | None, str | None]:
    found = _disputes(ctx)
    points = sum(d.points for d in found)
    said = [line for d in found for line in d.said]
    named = {d.pid for d in found}
    for e in ctx.of_kind("conflict"):
        if e.day is not None and ctx.near(e.day) and (e.pid is None or e.pid not in named):
            points += 1
            said.append(f"A conflict with {ctx.who(e.pid)} was recorded {ctx.when(e.day)}.")
    if not found:
        return points, said, None, None
    stage, reason = _stage(ctx, found[0])
    return points, said, stage, reason


def _stage(ctx: _Context, d: _Dispute) -> tuple[str, str]:
    who = ctx.who(d.pid)
    if any(e.pid == d.pid for e in ctx.of_kind("separation", "divorce")):
        return "dissolution", f"A separation or divorce with {who} is recorded."
    latest = ctx.by_person[d.pid][-1]
    if latest.session < ctx.last_session:
        return "dissolution", f"{who} is no longer on the map at session {ctx.last_session}."
    if latest.ring == 3 and latest.session > d.peak_session:
        return "dissolution", f"{who} has moved to the outer circle since session {d.peak_session}."
    c_now, e_now, s_now = latest.conflict, latest.expect, ctx.last_session
    improved = e_now is not None and d.peak_expect is not None and e_now > d.peak_expect
    if c_now >= _HIGH_CONFLICT and not improved:
        return "impasse", (
            f"Conflict with {who} is still {c_now} of 4 at session {s_now} and expectations "
            "have not risen since its peak."
        )
    moves = [f"conflict went from {d.peak_conflict} at session {d.peak_session} to {c_now}"]
    if improved:
        moves.append(f"expectations met rose from {d.peak_expect} to {e_now}")
    return (
        "renegotiation",
        f"With {who}, {' and '.join(moves)} at session {s_now}: both still trying.",
    )


def _role_transition(ctx: _Context) -> Found:
    points, said = 0, []
    events = sorted(
        ctx.of_kind(*TRANSITION_KINDS), key=lambda e: (e.day is None, e.day or date.min)
    )
    for e in events:
        if e.day is None or not ctx.near(e.day):
            continue
        words = event_phrase(e.kind)
        if e.pid is None:
            points += 2
            said.append(f"{words} {ctx.when(e.day)}.")
        else:
            own = e.kind in _OWN_WITH_PERSON
            points += 2 if own else 1
            tail = "" if own else " (someone else's change; it may have changed the client's role)"
            said.append(f"{words}, {ctx.who(e.pid)}, {ctx.when(e.day)}{tail}.")
    return points, said


def _map_size(rows: list[_Row]) -> tuple[int, int]:
    """People and closeness sum of one session's rows."""
    return len(rows), sum(4 - r.ring for r in rows)


def _deficits(ctx: _Context) -> tuple[int, list[str], bool]:
    """Points, sentences, and whether the map shrank since before onset (ruling deficits out)."""
    if ctx.first_session is None or not ctx.rel:
        return 0, ["There is no map yet to look at."], False
    first_s = ctx.rel[0].session
    first = [r for r in ctx.rel if r.session == first_s]
    points, said = 0, []
    n = len(first)
    if n <= _SMALL_NETWORK:
        points += 1
        said.append(f"Only {n} {'person' if n == 1 else 'people'} on the map at session {first_s}.")
    inner = sum(1 for r in first if r.ring == 1)
    if inner <= 1:
        points += 1
        who = "Nobody" if inner == 0 else "Only one person"
        said.append(f"{who} in the inner circle at session {first_s}.")
    support = sum(r.support for r in first) / n
    if support < _LOW_SUPPORT:
        points += 1
        said.append(f"Support averages {support:.1f} of 4 at session {first_s}.")
    if ctx.lsns6_first is not None and ctx.lsns6_first < LSNS6_ISOLATION_CUTOFF:
        points += 1
        said.append(
            f"LSNS-6 total {ctx.lsns6_first}, below {LSNS6_ISOLATION_CUTOFF}: at risk of "
            "social isolation."
        )
    shrank = False
    onset = ctx.ref if ctx.ref_name == "onset" else None
    before = {
        s
        for s, d in ctx.session_dates.items()
        if onset is not None and d < onset and s <= ctx.last_session
    }
    before_rows = [r for r in ctx.rel if r.session in before]
    after_onset = [r for r in ctx.rel if r.session not in before]
    if not before_rows or not after_onset:
        said.append(
            "The map before onset is not recorded: ask whether the network was this small "
            "before the depression (withdrawal caused by the depression is not a deficit)."
        )
    else:
        s_before = max(r.session for r in before_rows)
        s_now = max(r.session for r in after_onset)
        (n0, c0), (n1, c1) = (
            _map_size([r for r in before_rows if r.session == s_before]),
            _map_size([r for r in after_onset if r.session == s_now]),
        )
        if c1 < c0:
            shrank = True
            said.append(
                f"The map was larger before onset ({n0} people at session {s_before}) than now "
                f"({n1}): this looks like withdrawal with the depression, not a lasting deficit."
            )
        else:
            points += 1
            said.append(
                f"The map was no larger before onset ({n0} people at session {s_before}; {n1} now)."
            )
    return points, said, shrank


# --------------------------------------------------------------------------- ranking


def _ranked(
    scored: list[tuple[str, int, list[str], str | None, str | None]],
) -> tuple[AreaCandidate, ...]:
    order = {a: i for i, a in enumerate(names.PROBLEM_AREAS)}
    scored = sorted(scored, key=lambda t: (-t[1], order[t[0]]))
    out = []
    for area, score, said, stage, reason in scored:
        rank = 1 + sum(1 for other in scored if other[1] > score)
        tied = score > 0 and sum(1 for other in scored if other[1] == score) > 1
        evidence = tuple(said) if said else ("No evidence found in the inventory or timeline.",)
        out.append(AreaCandidate(area, score, rank, tied, evidence, stage, reason))
    return tuple(out)


def rank_problem_areas(
    inventory: Inventory,
    client_id: str,
    settings: ProblemAreaSettings | None = None,
    *,
    session: int | None = None,
) -> ProblemAreaSuggestion:
    """Rank the problem areas of one client's current course, with evidence.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    settings : ProblemAreaSettings, optional
        The window around onset and the scheme (default: six months before to
        one month after, four areas).
    session : int, optional
        Read the inventory as of this session (default: the latest), so the
        ranking can be seen as it stood when the focus was chosen.

    Returns
    -------
    ProblemAreaSuggestion
        Every area of the scheme, best first, with its score and evidence.

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
    >>> rank_problem_areas(inv, "dispute-01", session=3).areas[0].stage
    'impasse'
    """
    settings = settings or ProblemAreaSettings()
    ctx = _context(inventory, client_id, settings, session)
    g_points, g_said = _grief(ctx)
    d_points, d_said, stage, reason = _role_dispute(ctx)
    t_points, t_said = _role_transition(ctx)
    f_points, f_said, shrank = _deficits(ctx)
    scored: list[tuple[str, int, list[str], str | None, str | None]] = [
        ("grief", g_points, g_said, None, None),
        ("role_dispute", d_points, d_said, stage, reason),
        ("role_transition", t_points, t_said, None, None),
    ]
    factors: tuple[str, ...] = ()
    if settings.scheme == "three":
        factors = tuple(f_said) if f_points > 0 else ()
    else:
        others = [label for area, p, *_ in scored if p > 0 for label in [AREA_TITLES[area].lower()]]
        if others:
            f_said = [
                f"Not suggested: {' and '.join(others)} {'has' if len(others) == 1 else 'have'} "
                "evidence, and deficits are considered only when no other area does."
            ]
            f_points = 0
        elif shrank:
            f_points = 0
        scored.append((_DEFICIT_AREA, f_points, f_said, None, None))
    if ctx.ref is None:
        note = (
            "Neither the onset nor a session date is recorded, so nothing can be placed near onset."
        )
        scored = [
            (a, p, [*s, note] if a != _DEFICIT_AREA else s, st, r) for a, p, s, st, r in scored
        ]
    return ProblemAreaSuggestion(
        client_id=client_id,
        session=ctx.last_session,
        reference="onset" if ctx.ref_name == "onset" else "the first session",
        reference_date=None if ctx.ref is None else ctx.ref.isoformat(),
        settings=settings,
        areas=_ranked(scored),
        complicating_factors=factors,
    )
