"""Synthetic cohorts: realistic IPT courses in the tidy contract.

:func:`synthesize` draws a cohort of fictional clients, each with a course of
12 to 16 weekly sessions (a few drop out early, never before session 8), a
designed problem area, an interpersonal inventory that changes over the
course, life events that fit the problem area and PHQ-9, GAD-7 and LSNS-6
items. The effects follow the research figures of the field guide and of
acute IPT trials: symptoms fall for most clients but not all (about half
respond, a PHQ-9 drop of at least 50% from a baseline of 10 or more, and
about 30% remit, a last total below 5), perceived support rises by about
g = 0.4, chronic clients change less and single-episode clients regain more
of their network.

The questionnaires are as untidy as a clinic's: the first session's are
always complete, but about 12% of all PHQ-9 administrations are missing,
most of them sessions where no questionnaire was done and some of them
partly filled forms (usually one or two items blank, item 9 rarely). PHQ-9
item 9 is above 0 at baseline for about a quarter of clients, mostly
"several days", and fades as the other symptoms fall. Six clients in ten
also answer the PHQ-9 difficulty item.

Every client draws from its own random stream spawned from ``seed``, so the
output is the same byte for byte for the same arguments and the first ``k``
clients of a cohort do not depend on how many clients follow them. Each
client is generated with a handful of vectorised numpy calls and the tables
are built once, from column arrays, at the end.

Examples
--------
>>> from ipt_network.io.synth import synthesize
>>> inv = synthesize(3, seed=7)
>>> len(inv)
3
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm import tqdm

from ipt_network.errors import BadArgument
from ipt_network.io.contract import (
    GAD7_ITEMS,
    LSNS6_ITEMS,
    PHQ9_ITEMS,
    TABLES,
    Column,
    bounds,
    scale,
)
from ipt_network.io.inventory import Inventory, dtype_of
from ipt_network.names import (
    COMMUNICATION_KINDS,
    COMMUNICATION_OUTCOMES,
    CONTACT_FREQUENCIES,
    EPISODES,
    EVENT_KINDS,
    PROBLEM_AREAS,
    ROLES,
)

__all__ = ["synthesize"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
from pandas.api.extensions import ExtensionArray as ExtArray  # noqa: E402

# --- vocabulary codes -------------------------------------------------------

_GRIEF, _DISPUTE, _TRANSITION, _DEFICITS = range(4)
_PARTNER, _FAMILY, _FRIEND, _COWORKER, _PROFESSIONAL, _COMMUNITY, _OTHER = range(7)
_EVENT: Final = {kind: code for code, kind in enumerate(EVENT_KINDS)}
_EPISODES: Final = EPISODES
_SINGLE, _RECURRENT, _CHRONIC = range(3)
_NEVER: Final = CONTACT_FREQUENCIES.index("never")

# --- ranges, from the contract ------------------------------------------------

_RING: Final = bounds("relationships", "ring")
_CONFLICT: Final = bounds("relationships", "conflict")
_SUPPORT: Final = bounds("relationships", "support")
_MET: Final = bounds("relationships", "expectations_met")
_ITEM9: Final = bounds("sessions", PHQ9_ITEMS[-1])
_DIFFICULTY: Final = bounds("sessions", "phq9_difficulty")
_PHQ9_N, _PHQ9_TOP = scale(PHQ9_ITEMS)
_GAD7: Final = scale(GAD7_ITEMS)

#: Day number (since 1970-01-01) of Monday 2022-01-03, the earliest first session.
_FIRST_DAY: Final = int(np.datetime64("2022-01-03", "D").astype(np.int64))
_MAX_PEOPLE: Final = 25

_FIRST_NAMES: Final = (
    "Alba", "Bren", "Cato", "Dara", "Elin", "Fenn", "Gala", "Hale", "Ines", "Joss",
    "Kira", "Lorn", "Mira", "Nell", "Oren", "Pia", "Quin", "Rhea", "Sami", "Tove",
    "Ulla", "Vale", "Wren", "Xan", "Yara", "Zeno", "Arlo", "Bea", "Cyra", "Dov",
    "Edda", "Finn", "Greer", "Hux", "Ivo", "Juno", "Kai", "Lio", "Maren", "Noor",
)  # fmt: skip

#: Probability that two people of these roles know each other (ROLES order).
_TIE_P: Final = np.array(
    [
        [0.00, 0.80, 0.40, 0.10, 0.04, 0.20, 0.06],
        [0.80, 0.65, 0.15, 0.03, 0.03, 0.12, 0.05],
        [0.40, 0.15, 0.30, 0.08, 0.01, 0.10, 0.05],
        [0.10, 0.03, 0.08, 0.55, 0.01, 0.03, 0.05],
        [0.04, 0.03, 0.01, 0.01, 0.25, 0.01, 0.01],
        [0.20, 0.12, 0.10, 0.03, 0.01, 0.40, 0.05],
        [0.06, 0.05, 0.05, 0.05, 0.01, 0.05, 0.10],
    ]
)
#: Role weights of everyone but a partner, for full and for small (deficits) networks.
_ROLE_W: Final = np.array([0.0, 0.34, 0.28, 0.16, 0.08, 0.09, 0.05])
_ROLE_W_SMALL: Final = np.array([0.0, 0.45, 0.15, 0.12, 0.18, 0.05, 0.05])
#: Ring a person of each role starts in, as probabilities of rings 1, 2, 3.
_RING_P: Final = np.array(
    [
        [0.90, 0.10, 0.00],
        [0.40, 0.40, 0.20],
        [0.20, 0.45, 0.35],
        [0.02, 0.38, 0.60],
        [0.00, 0.30, 0.70],
        [0.00, 0.25, 0.75],
        [0.05, 0.35, 0.60],
    ]
)
#: Per-session probabilities of moving one ring in and out, by episode.
_RING_MOVES: Final = np.array([[0.060, 0.025], [0.040, 0.035], [0.030, 0.040]])
#: Mean and spread of the fraction of baseline PHQ-9 lost by the end, by episode:
#: about half of all clients respond and 30% remit, as in acute IPT trials.
_IMPROVEMENT: Final = np.array([[0.64, 0.36], [0.54, 0.38], [0.30, 0.32]])
_TRANSITIONS: Final = (
    ("move", 0.20),
    ("birth", 0.12),
    ("new_job", 0.14),
    ("job_loss", 0.16),
    ("retirement", 0.10),
    ("divorce", 0.10),
    ("separation", 0.10),
    ("illness", 0.08),
)
#: Role of the people a transition brings in, moves away or ends work with.
_AFFECTED: Final = {
    "new_job": _COWORKER,
    "job_loss": _COWORKER,
    "retirement": _COWORKER,
    "move": _FRIEND,
    "illness": _PROFESSIONAL,
}
_BACKGROUND: Final = ("move", "new_job", "illness", "other")
#: LSNS-6 score for a count of people: 0, 1, 2, 3-4, 5-8, 9 or more.
_LSNS_BINS: Final = np.array([1, 2, 3, 5, 9])


_PLANNED_P: Final = np.array([0.25, 0.1, 0.15, 0.1, 0.4])
_EPISODE_P: Final = np.array([0.45, 0.4, 0.15])
_GAPS: Final = np.array([6, 7, 8, 14])
_GAP_P: Final = np.array([0.03, 0.85, 0.03, 0.09])
_OUTCOME_P: Final = np.array([0.5, 0.35, 0.15])
#: PHQ-9 item 9 above 0 at baseline: chance ``intercept + slope * (baseline - 9)``,
#: about a quarter of clients; for the others, the chance that a 1 appears once later.
_ITEM9_BASELINE: Final = (0.10, 0.02)
_ITEM9_LATER: Final = 0.04
#: Beta distribution of a client's chance that a session's questionnaires are not done.
_BLANK_BETA: Final = (1.3, 12.0)
#: Chance that a session's PHQ-9 is partly filled, and of leaving 0, 1, 2, 3 or 4 items blank.
_PARTIAL_P: Final = 0.035
_PARTIAL_BLANKS_P: Final = np.array([0.0, 0.70, 0.22, 0.05, 0.03])
#: Relative chance of each PHQ-9 item being left blank on a partly filled form.
_BLANK_ITEM_W: Final = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.35])
#: Share of clients whose forms include the PHQ-9 difficulty item.
_DIFFICULTY_P: Final = 0.6
#: With a planted support effect: spread of a shift of everyone's support that a session
#: shares (a good or a bad week). Without it, mean support varies too little within a
#: client (SD about 0.12 around the client's trend) for a few hundred clients to show
#: the effect.
_SUPPORT_SHIFT_SD: Final = 1.0
#: The fixed centre of a planted support effect: the middle of the 0-4 scale.
_SUPPORT_CENTRE: Final = 2.0


def _draw(rng: np.random.Generator, weights: FloatArray, size: int = 1) -> IntArray:
    """``size`` indices drawn with probability proportional to ``weights``.

    A lighter :meth:`numpy.random.Generator.choice` for the many small draws here;
    a zero weight is never drawn.
    """
    cum = np.cumsum(weights)
    return np.searchsorted(cum, rng.random(size) * cum[-1], side="right").astype(np.int64)


# --- per-client state -----------------------------------------------------------


@dataclass
class _Client:
    """Everything drawn for one client, as small numpy arrays.

    People are indexed ``0 .. n_people - 1`` and sessions ``0 .. n_sessions - 1``;
    matrices are people by sessions. Dates are day numbers since 1970-01-01.
    """

    rng: np.random.Generator
    areas: list[int]
    episode: int
    planned: int
    n_sessions: int
    focus_session: int
    dates: IntArray
    onset: int
    role: IntArray
    start: IntArray
    end: IntArray
    ring: IntArray
    conflict: FloatArray
    support: FloatArray
    improvement: float
    deceased: IntArray = field(init=False)
    used: BoolArray = field(init=False)
    focal: int = -1
    planted: bool = False
    events: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.deceased = np.full(self.n_people, -1, dtype=np.int64)
        self.used = np.zeros(self.n_people, dtype=bool)

    @property
    def n_people(self) -> int:
        return len(self.role)

    @property
    def progress(self) -> FloatArray:
        """Course progress of each session, 0 at session 1 and 1 at the planned end."""
        return np.arange(self.n_sessions) / (self.planned - 1)

    def present(self) -> BoolArray:
        """People by sessions: who is on the map."""
        s = np.arange(self.n_sessions)
        return (self.start[:, None] <= s) & (s <= self.end[:, None])

    def pick(self, weights: FloatArray) -> int:
        """A person not yet used by an area hook, drawn by ``weights``; -1 if none."""
        w = np.where(self.used, 0.0, weights)
        if w.sum() <= 0:
            return -1
        p = int(_draw(self.rng, w)[0])
        self.used[p] = True
        return p

    def keep(self, person: int) -> None:
        """Keep ``person`` on the map from session 1 to the last."""
        self.start[person] = 0
        self.end[person] = self.n_sessions - 1

    def near_onset(self, before: int, after: int) -> int:
        """A date near onset, no later than the day before session 1."""
        day = self.onset + int(self.rng.integers(-before, after + 1))
        return min(day, int(self.dates[0]) - 1)

    def event(self, day: int, kind: str, person: int = -1) -> None:
        self.events.append((day, _EVENT[kind], person))


# --- course, cast and trajectories ------------------------------------------------


def _course(rng: np.random.Generator) -> tuple[int, int, int, IntArray, int, int]:
    """Planned sessions, sessions done, episode, session dates, onset and focus session."""
    planned = 12 + int(_draw(rng, _PLANNED_P)[0])
    done = planned if rng.random() > 0.1 else int(rng.integers(8, planned))
    episode = int(_draw(rng, _EPISODE_P)[0])
    gaps = _GAPS[_draw(rng, _GAP_P, done - 1)]
    first = _FIRST_DAY + int(rng.integers(0, 3 * 365))
    dates = first + np.concatenate(([0], np.cumsum(gaps))).astype(np.int64)
    weeks_before = rng.integers(104, 260) if episode == _CHRONIC else rng.integers(3, 36)
    onset = first - 7 * int(weeks_before) - int(rng.integers(0, 7))
    focus_session = int(rng.integers(2, 4))
    return planned, done, episode, dates, onset, focus_session


def _areas(rng: np.random.Generator) -> list[int]:
    """The designed focus: one area, occasionally a second one (never deficits)."""
    first = int(rng.integers(0, len(PROBLEM_AREAS)))
    if first != _DEFICITS and rng.random() < 0.1:
        others = [a for a in (_GRIEF, _DISPUTE, _TRANSITION) if a != first]
        return [first, others[int(rng.integers(0, 2))]]
    return [first]


def _cast(rng: np.random.Generator, small: bool) -> IntArray:
    """Roles of the people, partner first when there is one."""
    n = int(rng.integers(5, 11) if small else rng.integers(10, _MAX_PEOPLE + 1))
    w = _ROLE_W_SMALL if small else _ROLE_W
    role = _draw(rng, w, n)
    if rng.random() < (0.25 if small else 0.65):
        role[0] = _PARTNER
    return role


def _spans(
    rng: np.random.Generator, n: int, episode: int, n_sessions: int
) -> tuple[IntArray, IntArray]:
    """First and last session (0-based) each person is on the map."""
    join = rng.random(n) < (0.18 if episode == _SINGLE else 0.10)
    leave = rng.random(n) < 0.08
    join[:3] = leave[:3] = False
    start = np.where(join, rng.integers(1, n_sessions, size=n), 0)
    end = np.where(leave, rng.integers(start, n_sessions - 1, endpoint=True), n_sessions - 1)
    return start.astype(np.int64), end.astype(np.int64)


def _walk(
    rng: np.random.Generator, base: IntArray, n: int, move: tuple[float, float], lo: int, hi: int
) -> IntArray:
    """A sticky random walk of small steps around ``base``, clipped to ``lo .. hi``."""
    p_in, p_out = move
    u = rng.random((len(base), n))
    step = (u < p_out).astype(np.int64) - (u > 1 - p_in).astype(np.int64)
    step[:, 0] = 0
    return np.clip(base[:, None] + np.cumsum(step, axis=1), lo, hi)


def _new_client(rng: np.random.Generator, planted: bool) -> _Client:
    planned, done, episode, dates, onset, focus_session = _course(rng)
    areas = _areas(rng)
    small = areas[0] == _DEFICITS
    role = _cast(rng, small)
    n = len(role)
    start, end = _spans(rng, n, episode, done)
    cum = np.cumsum(_RING_P[role], axis=1)
    ring0 = 1 + (rng.random(n)[:, None] > cum).sum(axis=1)
    if small:
        ring0 = np.minimum(ring0 + (rng.random(n) < 0.4), _RING[1])
    p_in, p_out = _RING_MOVES[episode]
    ring = _walk(rng, ring0, done, (p_in, p_out), *_RING)
    c0 = np.minimum(rng.poisson(0.5 + 0.3 * (role <= _FAMILY)), 2)
    conflict = _walk(rng, c0, done, (0.06, 0.06), *_CONFLICT).astype(np.float64)
    support0 = 3.3 - 0.7 * (ring0 - 1) + rng.normal(0.0, 0.6, n) - 0.7 * small
    mu, sd = _IMPROVEMENT[episode]
    improvement = float(rng.normal(mu, sd))
    if not planted:  # deficits (lower support) and dropping out (fewer late sessions) improve less
        improvement = improvement - 0.08 * small - 0.1 * (done < planned)
    return _Client(
        rng=rng,
        areas=areas,
        episode=episode,
        planned=planned,
        n_sessions=done,
        focus_session=focus_session,
        dates=dates,
        onset=onset,
        role=role,
        start=start,
        end=end,
        ring=ring,
        conflict=conflict,
        support=np.repeat(support0[:, None], done, axis=1),
        improvement=improvement,
        planted=planted,
    )


# --- problem-area hooks ----------------------------------------------------------


def _grief(c: _Client) -> None:
    """A death of an inner or middle person shortly before onset."""
    close = (c.ring[:, 0] <= 2) & (c.role != _PROFESSIONAL)
    p = c.pick(close * (1.0 + 2.0 * (c.role <= _FAMILY)) + 1e-9)
    if p < 0:
        return
    c.keep(p)
    if c.rng.random() < 0.4:
        c.end[p] = int(c.rng.integers(c.n_sessions // 2, c.n_sessions))
    day = c.onset - int(c.rng.integers(0, 60))
    c.deceased[p] = day
    c.ring[p] = min(int(c.ring[p, 0]), 2)
    c.ring[p, c.n_sessions // 2 :] += c.rng.random() < 0.3
    c.conflict[p] = float(c.rng.random() < 0.25) * 2.0
    c.event(day, "death", p)
    c.focal = p


def _dispute(c: _Client) -> None:
    """High conflict with a partner or close family member; it falls for most."""
    close = c.ring[:, 0] <= 2
    w = close * np.select([c.role == _PARTNER, c.role == _FAMILY], [6.0, 2.0], 0.3)
    p = c.pick(w + 1e-9)
    if p < 0:
        return
    c.keep(p)
    c.ring[p] = np.minimum(c.ring[p], 2)
    high = float(c.rng.integers(3, 5))
    resolves = c.rng.random() < 0.7
    low = float(c.rng.integers(0, 3)) if resolves else high
    after_focus = np.clip((np.arange(c.n_sessions) - c.focus_session + 1) / 6.0, 0.0, 1.0)
    noise = c.rng.normal(0.0, 0.3, c.n_sessions)
    c.conflict[p] = high + (low - high) * after_focus + noise
    c.support[p] -= 1.0 * (1.0 - after_focus) if resolves else 1.0
    if not resolves and not c.planted:
        c.improvement -= 0.15
    c.event(c.near_onset(45, 15), "conflict", p)
    c.focal = p


def _transition(c: _Client) -> None:
    """A life change near onset, and its traces in the network."""
    kinds, weights = zip(*_TRANSITIONS, strict=True)
    kind = kinds[int(_draw(c.rng, np.asarray(weights))[0])]
    partner = np.flatnonzero((c.role == _PARTNER) & ~c.used)
    if kind in ("divorce", "separation") and not len(partner):
        kind = "move"
    day = c.near_onset(60, 20)
    n, s = c.n_sessions, np.arange(c.n_sessions)
    person = -1
    if kind in ("divorce", "separation"):
        person = int(partner[0])
        c.used[person] = True
        c.keep(person)
        # the ex-partner steps back: middle circle, then outer; the tension is there, not a fight
        c.ring[person] = np.where(s < c.rng.integers(1, n), 2, 3)
        c.conflict[person] += 1.0
        if c.rng.random() < 0.3:
            c.end[person] = int(c.rng.integers(n // 2, n))
    elif kind == "birth":
        person = c.pick(np.ones(c.n_people))
        if person >= 0:
            c.role[person] = _FAMILY
            c.keep(person)
            c.ring[person] = 1
    else:
        target = _AFFECTED[kind]
        who = (c.role == target) & ~c.used
        who[:3] = False
        k = int(who.sum())
        if kind in ("new_job", "illness"):
            c.start[who] = c.rng.integers(0, max(n // 2, 1), size=k)
        elif kind == "move":
            c.ring[who] = np.minimum(c.ring[who] + 1, _RING[1])
        else:
            c.end[who] = np.maximum(c.start[who], c.rng.integers(1, n, size=k))
    c.event(day, kind, person)
    c.focal = max(c.focal, person)


def _background(c: _Client) -> None:
    """Occasionally an unrelated event long before onset."""
    if c.rng.random() < 0.2:
        kind = _BACKGROUND[int(c.rng.integers(0, len(_BACKGROUND)))]
        c.event(c.onset - int(c.rng.integers(400, 2000)), kind)


_HOOKS: Final = {_GRIEF: _grief, _DISPUTE: _dispute, _TRANSITION: _transition}


# --- the tables of one client ------------------------------------------------------


class _Columns:
    """Column arrays of one table, collected client by client."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}
        self.clients: list[int] = []
        self.counts: list[int] = []

    def add(self, client: int, **columns: np.ndarray) -> None:
        """Append the rows of ``client``; integers are kept as int32 until the end."""
        for name, values in columns.items():
            if values.dtype.kind in "iu":
                values = values.astype(np.int32)
            self.parts.setdefault(name, []).append(values)
        self.clients.append(client)
        self.counts.append(len(values))

    def get(self, name: str) -> np.ndarray:
        """One column for every client, releasing its parts."""
        return np.concatenate(self.parts.pop(name))

    def owners(self) -> IntArray:
        """The client index of every row."""
        return np.repeat(np.asarray(self.clients, dtype=np.int64), self.counts)


@dataclass
class _Cohort:
    """The growing column arrays of every table."""

    clients: _Columns = field(default_factory=_Columns)
    sessions: _Columns = field(default_factory=_Columns)
    people: _Columns = field(default_factory=_Columns)
    relationships: _Columns = field(default_factory=_Columns)
    person_ties: _Columns = field(default_factory=_Columns)
    events: _Columns = field(default_factory=_Columns)
    communication: _Columns = field(default_factory=_Columns)


def _client_row(c: _Client, i: int, out: _Cohort) -> None:
    focus = ";".join(PROBLEM_AREAS[a] for a in c.areas)
    out.clients.add(
        i,
        planned=np.array([c.planned]),
        onset=np.array([c.onset]),
        focus=np.array([focus], dtype=object),
        focus_session=np.array([c.focus_session]),
        episode=np.array([c.episode]),
    )


def _people_rows(c: _Client, i: int, out: _Cohort) -> None:
    names = c.rng.permutation(len(_FIRST_NAMES))[: c.n_people]
    initials = c.rng.integers(0, 26, size=c.n_people)
    out.people.add(
        i,
        person=np.arange(c.n_people),
        name=names * 26 + initials,
        role=c.role.copy(),
        deceased=c.deceased,
    )


@dataclass(frozen=True)
class _States:
    """The integer relationship fields of one client, people by sessions."""

    support: IntArray
    conflict: IntArray
    met: IntArray
    contact: IntArray
    knows: BoolArray


def _states(c: _Client) -> _States:
    """Round the drawn trajectories into inventory fields.

    In planted mode (``c.planted``) the support gain over the course does not
    depend on the client's improvement or episode, and a session-to-session
    shift of :data:`_SUPPORT_SHIFT_SD` is added, drawn from a stream spawned off
    the client's, so that the client's own stream is drawn exactly as without it.
    """
    rng, n, s = c.rng, c.n_people, np.arange(c.n_sessions)
    gain = rng.normal(0.23, 0.25)
    if not c.planted:  # chronic courses gain less support; improvers gain more
        gain = gain * (0.5 if c.episode == _CHRONIC else 1.0) + 0.3 * (c.improvement - 0.52)
    support = c.support + gain * c.progress + rng.normal(0.0, 0.35, c.support.shape)
    if c.planted:
        shift = rng.spawn(1)[0].normal(0.0, _SUPPORT_SHIFT_SD, c.n_sessions)
        support = support + shift[None, :]
    support_i = np.clip(np.rint(support), *_SUPPORT).astype(np.int64)
    conflict = np.clip(np.rint(c.conflict), *_CONFLICT).astype(np.int64)
    met = support_i - 0.5 * conflict + 0.4 + rng.normal(0.0, 0.5, support.shape)
    contact = np.clip(c.ring - 1 + (rng.random(n) < 0.4)[:, None], 0, 3)
    dead = (c.deceased >= 0)[:, None] & (c.deceased[:, None] < c.dates[None, :])
    p_known = np.array([0.0, 0.75, 0.45, 0.15])[c.ring[:, 0]]
    later = np.where(rng.random(n) < 0.3, rng.integers(1, c.n_sessions, size=n), c.n_sessions)
    known_from = np.where(rng.random(n) < p_known, 0, later)
    if c.focal >= 0:
        known_from[c.focal] = min(known_from[c.focal], 1)
    return _States(
        support=support_i,
        conflict=conflict,
        met=np.clip(np.rint(met), *_MET).astype(np.int64),
        contact=np.where(dead, _NEVER, contact).astype(np.int64),
        knows=s[None, :] >= known_from[:, None],
    )


def _relationship_rows(c: _Client, i: int, present: BoolArray, st: _States, out: _Cohort) -> None:
    sess, person = np.nonzero(present.T)
    out.relationships.add(
        i,
        session=sess + 1,
        person=person,
        ring=c.ring[person, sess],
        conflict=st.conflict[person, sess],
        support=st.support[person, sess],
        contact=st.contact[person, sess],
        met=st.met[person, sess],
        knows=st.knows[person, sess],
    )


def _tie_rows(c: _Client, i: int, present: BoolArray, out: _Cohort) -> None:
    rng = c.rng
    a, b = np.triu_indices(c.n_people, k=1)
    base = rng.random(len(a)) < _TIE_P[c.role[a], c.role[b]]
    flips = rng.random(len(a)) < 0.08
    flip_at = np.where(flips, rng.integers(1, c.n_sessions, size=len(a)), c.n_sessions)
    s = np.arange(c.n_sessions)
    on = (base[None, :] ^ (s[:, None] >= flip_at[None, :])) & present.T[:, a] & present.T[:, b]
    sess, pair = np.nonzero(on)
    out.person_ties.add(i, session=sess + 1, source=a[pair], target=b[pair])


def _items(rng: np.random.Generator, totals: FloatArray, n_items: int, top: int) -> IntArray:
    """Item scores whose expected sum follows ``totals`` (one row per administration)."""
    weight = rng.gamma(8.0, 1.0 / 8.0, n_items)
    weight /= weight.mean()
    p = np.clip(totals[:, None] / (top * n_items) * weight[None, :], 0.01, 0.97)
    return rng.binomial(top, p).astype(np.int64)


def _lsns(c: _Client, present: BoolArray, st: _States, at: IntArray) -> IntArray:
    """LSNS-6 items at sessions ``at``, counted from the network: family then friends."""
    on = present[:, at] & (c.deceased < 0)[:, None]
    monthly = on & (st.contact[:, at] <= CONTACT_FREQUENCIES.index("monthly"))
    confide = on & ((c.ring[:, at] == 1) | (st.support[:, at] >= 3))
    helps = on & (st.support[:, at] >= 3)
    counts = []
    for group in (c.role <= _FAMILY, (c.role == _FRIEND) | (c.role == _COMMUNITY)):
        counts += [(m & group[:, None]).sum(axis=0) for m in (monthly, confide, helps)]
    return np.searchsorted(_LSNS_BINS, np.stack(counts, axis=1), side="right").astype(np.int64)


def _item9(rng: np.random.Generator, base: float, totals: FloatArray) -> IntArray:
    """PHQ-9 item 9 at every session, following the client's symptom course.

    About a quarter of clients (more of the most severe) answer above 0 at
    baseline, mostly "several days"; it fades as the other symptoms fall and
    returns when they rise. A few others answer 1 once during the course.
    """
    n = len(totals)
    item9 = np.zeros(n, dtype=np.int64)
    intercept, slope = _ITEM9_BASELINE
    if rng.random() < intercept + slope * (base - 9.0):
        first = 1 + rng.binomial(2, 0.2)
        level = first * np.clip(totals / base, 0.0, 1.5) ** 2 + rng.normal(0.0, 0.3, n)
        item9[:] = np.clip(np.rint(level), *_ITEM9)
        item9[0] = first
    elif n > 1 and rng.random() < _ITEM9_LATER:
        item9[rng.integers(1, n)] = 1
    return item9


def _unanswered(rng: np.random.Generator, n: int) -> tuple[BoolArray, BoolArray]:
    """Sessions whose questionnaires were not done, and PHQ-9 items left blank.

    Returns a mask of the ``n`` sessions and a sessions by 9 mask of blank
    PHQ-9 items on partly filled forms. Each client has its own chance of a
    session without questionnaires; the first session is always complete.
    Item 9 is the item least often left blank.
    """
    u = rng.random(n)
    p_blank = rng.beta(*_BLANK_BETA)
    blank = u < p_blank
    partial = (u >= p_blank) & (u < p_blank + _PARTIAL_P)
    blank[0] = partial[0] = False
    items = np.zeros((n, 9), dtype=bool)
    rows = np.flatnonzero(partial)
    if len(rows):
        k = _draw(rng, _PARTIAL_BLANKS_P, len(rows))
        keys = rng.random((len(rows), 9)) ** (1.0 / _BLANK_ITEM_W)
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        items[rows] = rank < k[:, None]
    return blank, items


def _support_deviation(present: BoolArray, st: _States) -> FloatArray:
    """Mean support of the people on the map at each session, less :data:`_SUPPORT_CENTRE`.

    The mean is the ``support`` measure of
    :func:`ipt_network.research.panel.session_panel` (``support_sum / n_people``);
    a session with nobody on the map counts as the centre.
    """
    on = present.sum(axis=0)
    mean = (st.support * present).sum(axis=0) / np.maximum(on, 1)
    return np.where(on > 0, mean - _SUPPORT_CENTRE, 0.0)


def _session_rows(
    c: _Client, i: int, present: BoolArray, st: _States, out: _Cohort, support_effect: float
) -> None:
    rng, n = c.rng, c.n_sessions
    base = min(max(rng.normal(17.0, 4.0), 9.0), 25.0)
    curve = (1.0 - np.exp(-2.5 * c.progress)) / (1.0 - np.exp(-2.5))
    totals = base * (1.0 - c.improvement * curve) + rng.normal(0.0, 1.5, n)
    if c.planted:  # the planted effect; no random number is drawn for it
        totals = totals - support_effect * _support_deviation(present, st)
    phq = np.zeros((n, _PHQ9_N), dtype=np.int64)
    first_eight = _PHQ9_N - 1  # item 9 is drawn on its own
    phq[:, :8] = _items(rng, np.clip(totals, 0.0, first_eight * _PHQ9_TOP), first_eight, _PHQ9_TOP)
    phq[:, 8] = _item9(rng, base, totals)
    gives_difficulty = rng.random() < _DIFFICULTY_P
    difficulty = np.clip(np.rint(phq.sum(axis=1) / 8.0 + rng.normal(0.0, 0.5, n)), *_DIFFICULTY)
    gad_at = np.flatnonzero((np.arange(n) % 4 == 0) | (np.arange(n) == n - 1))
    gad_base = min(max(rng.normal(10.0, 4.0), 2.0), 19.0)
    gad_change = c.improvement * 0.8 + rng.normal(0.0, 0.1)
    gad = np.full((n, _GAD7[0]), -1, dtype=np.int64)
    gad[gad_at] = _items(rng, gad_base * (1.0 - gad_change * curve[gad_at]), *_GAD7)
    lsns_at = np.array([0, n - 1])
    lsns = np.full((n, 6), -1, dtype=np.int64)
    lsns[lsns_at] = _lsns(c, present, st, lsns_at)
    blank, left_blank = _unanswered(rng, n)
    phq[left_blank] = -1
    for measure in (phq, gad, lsns):
        measure[blank] = -1
    difficulty[blank] = -1
    if not gives_difficulty:
        difficulty[:] = -1
    out.sessions.add(
        i,
        session=np.arange(1, n + 1),
        date=c.dates,
        phq=phq,
        difficulty=difficulty.astype(np.int64),
        gad=gad,
        lsns=lsns,
    )


def _communication_rows(c: _Client, i: int, present: BoolArray, out: _Cohort) -> None:
    rng = c.rng
    middle = np.arange(c.focus_session + 1, c.n_sessions - 2)
    k = min(int(rng.integers(2, 5)), len(middle))
    sessions = np.sort(rng.permutation(middle)[:k])
    on = present[:, sessions]
    closeness = (4 - c.ring[:, sessions]) ** 2 * on
    cum = np.cumsum(closeness, axis=0)
    people = (cum <= rng.random(k) * cum[-1]).sum(axis=0)
    if c.focal >= 0:
        focal = on[c.focal] & (rng.random(k) < 0.7)
        people[focal] = c.focal
    out.communication.add(
        i,
        session=sessions + 1,
        person=people,
        kind=rng.integers(0, len(COMMUNICATION_KINDS), size=k),
        outcome=_draw(rng, _OUTCOME_P, k),
    )


def _event_rows(c: _Client, i: int, out: _Cohort) -> None:
    events = sorted(c.events)
    out.events.add(
        i,
        date=np.array([e[0] for e in events], dtype=np.int64),
        kind=np.array([e[1] for e in events], dtype=np.int64),
        person=np.array([e[2] for e in events], dtype=np.int64),
    )


def _one_client(
    rng: np.random.Generator, i: int, out: _Cohort, support_effect: float | None
) -> None:
    c = _new_client(rng, planted=support_effect is not None)
    for area in c.areas:
        if area in _HOOKS:
            _HOOKS[area](c)
    _background(c)
    c.end = np.maximum(c.end, c.start)
    present = c.present()
    _client_row(c, i, out)
    _people_rows(c, i, out)
    st = _states(c)
    _relationship_rows(c, i, present, st, out)
    _tie_rows(c, i, present, out)
    _session_rows(c, i, present, st, out, support_effect or 0.0)
    _communication_rows(c, i, present, out)
    _event_rows(c, i, out)


# --- from column arrays to typed tables ---------------------------------------------


def _lookup(labels: list[str] | tuple[str, ...] | NDArray[np.str_], codes: np.ndarray) -> ExtArray:
    """Strings ``labels[codes]`` as a pandas ``string`` array; a code of -1 is missing."""
    return pd.array(list(labels), dtype="string").take(codes, allow_fill=True)


def _ints(values: np.ndarray) -> ExtArray:
    """An ``Int64`` array; negative values are missing."""
    values = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(values, values < 0)


def _dates(days: np.ndarray) -> ExtArray:
    """ISO date strings of day numbers; negative day numbers are missing."""
    unique, codes = np.unique(days, return_inverse=True)
    labels = np.datetime_as_string(unique.astype("datetime64[D]"), unit="D")
    return _lookup(labels, np.where(days < 0, -1, codes))


def _missing(col: Column, n: int) -> ExtArray:
    """``n`` missing values of the column's dtype."""
    dtype: Any = dtype_of(col)
    empty = pd.array(np.array([None], dtype=object), dtype=dtype)
    return empty.take(np.full(n, -1), allow_fill=True)


def _frame(name: str, n: int, columns: dict[str, ExtArray]) -> pd.DataFrame:
    """Table ``name`` with ``columns``; every other column of the contract is missing."""
    data = {
        c.name: columns[c.name] if c.name in columns else _missing(c, n)
        for c in TABLES[name].columns
    }
    return pd.DataFrame(data, copy=False)


_PERSON_IDS: Final = tuple(f"p{k:02d}" for k in range(1, _MAX_PEOPLE + 1))
_NAMES: Final = tuple(f"{first} {chr(65 + k)}." for first in _FIRST_NAMES for k in range(26))


def _matrix(prefix: tuple[str, ...], values: np.ndarray) -> dict[str, ExtArray]:
    """One ``Int64`` column per item from a rows-by-items matrix (-1 missing)."""
    return {name: _ints(values[:, k]) for k, name in enumerate(prefix)}


def _build(out: _Cohort, ids: list[str]) -> Inventory:
    """The typed tables from the collected column arrays."""
    tables: dict[str, pd.DataFrame] = {}
    for name, cols in (
        ("clients", _clients_columns(out.clients)),
        ("sessions", _sessions_columns(out.sessions)),
        ("people", _people_columns(out.people)),
        ("relationships", _relationships_columns(out.relationships)),
        ("person_ties", _ties_columns(out.person_ties)),
        ("events", _events_columns(out.events)),
        ("communication", _communication_columns(out.communication)),
    ):
        client = getattr(out, name).owners()
        tables[name] = _frame(name, len(client), {"client_id": _lookup(ids, client), **cols})
    return Inventory.from_tables(tables)


def _clients_columns(c: _Columns) -> dict[str, ExtArray]:
    return {
        "label": pd.array([f"Synthetic client {k + 1}" for k in c.owners()], dtype="string"),
        "planned_sessions": _ints(c.get("planned")),
        "onset_date": _dates(c.get("onset")),
        "focus": pd.array(c.get("focus"), dtype="string"),
        "focus_session": _ints(c.get("focus_session")),
        "episode": _lookup(_EPISODES, c.get("episode")),
    }


def _sessions_columns(c: _Columns) -> dict[str, ExtArray]:
    return {
        "session": _ints(c.get("session")),
        "date": _dates(c.get("date")),
        **_matrix(PHQ9_ITEMS, c.get("phq")),
        "phq9_difficulty": _ints(c.get("difficulty")),
        **_matrix(GAD7_ITEMS, c.get("gad")),
        **_matrix(LSNS6_ITEMS, c.get("lsns")),
    }


def _people_columns(c: _Columns) -> dict[str, ExtArray]:
    return {
        "person_id": _lookup(_PERSON_IDS, c.get("person")),
        "name": _lookup(_NAMES, c.get("name")),
        "role": _lookup(ROLES, c.get("role")),
        "deceased_date": _dates(c.get("deceased")),
    }


def _relationships_columns(c: _Columns) -> dict[str, ExtArray]:
    return {
        "session": _ints(c.get("session")),
        "person_id": _lookup(_PERSON_IDS, c.get("person")),
        "ring": _ints(c.get("ring")),
        "conflict": _ints(c.get("conflict")),
        "support": _ints(c.get("support")),
        "contact_frequency": _lookup(CONTACT_FREQUENCIES, c.get("contact")),
        "expectations_met": _ints(c.get("met")),
        "knows_about_depression": pd.array(c.get("knows"), dtype="boolean"),
    }


def _ties_columns(c: _Columns) -> dict[str, ExtArray]:
    return {
        "session": _ints(c.get("session")),
        "source": _lookup(_PERSON_IDS, c.get("source")),
        "target": _lookup(_PERSON_IDS, c.get("target")),
    }


def _events_columns(c: _Columns) -> dict[str, ExtArray]:
    return {
        "date": _dates(c.get("date")),
        "kind": _lookup(EVENT_KINDS, c.get("kind")),
        "person_id": _lookup(_PERSON_IDS, c.get("person")),
    }


def _communication_columns(c: _Columns) -> dict[str, ExtArray]:
    return {
        "session": _ints(c.get("session")),
        "person_id": _lookup(_PERSON_IDS, c.get("person")),
        "kind": _lookup(COMMUNICATION_KINDS, c.get("kind")),
        "outcome": _lookup(COMMUNICATION_OUTCOMES, c.get("outcome")),
    }


def synthesize(
    n_clients: int, seed: int, *, progress: bool = False, support_effect: float | None = None
) -> Inventory:
    """A synthetic cohort of IPT clients in the tidy contract.

    Parameters
    ----------
    n_clients : int
        Number of clients, ``0`` or more. Ids run ``c00001``, ``c00002``, ...
    seed : int
        Seed of the random streams: the same arguments give the same tables,
        byte for byte. Each client has its own stream, so a smaller cohort is
        the first clients of a larger one.
    progress : bool, default False
        Show a progress bar, per client, on standard error.
    support_effect : float or None, default None
        ``None``: the generator as it is, whose cohorts link support to
        improvement on purpose (support rises more for clients who improve
        more and less in chronic courses, and stays low when a dispute is not
        resolved), so they are not null cohorts for a model of support.
        A number B (``0.0`` included) switches on *planted mode*, for checking
        models (:mod:`ipt_network.research.models`): those built-in links are
        off (support gains are drawn without regard to improvement, episode
        or dispute resolution; deficits and dropping out no longer lower
        improvement), and the only link is the planted one: each client's
        latent PHQ-9 total at a session gets ``-B * (support_t - 2)`` before
        the items are drawn, where ``support_t`` is the mean support of the
        people on the map at that session (the ``support`` column of
        :func:`ipt_network.research.panel.session_panel`) and 2 is the middle
        of the 0-4 scale, a constant. So the effect is ``-B`` both within and
        between clients, and the growth model's ``support`` coefficient
        estimates ``-B`` (B = 0 gives a null cohort). For power, planted mode
        also shifts everyone's support at a session by a shared amount (SD
        0.5 points, a good or bad week), drawn from a stream spawned off the
        client's; the rest of the network is drawn as without it.

    Returns
    -------
    Inventory
        Every table of :data:`ipt_network.io.contract.TABLES` with the contract's
        columns in order, typed as :func:`ipt_network.io.inventory.dtype_of` says.

    Raises
    ------
    ValueError
        When ``n_clients`` is negative.

    Examples
    --------
    >>> inv = synthesize(4, seed=1)
    >>> inv.client_ids()
    ['c00001', 'c00002', 'c00003', 'c00004']
    >>> sessions = inv.sessions.groupby("client_id")["session"].max()
    >>> bool(sessions.between(8, 16).all())
    True
    >>> synthesize(4, seed=1).relationships.equals(inv.relationships)
    True
    """
    if n_clients < 0:
        raise BadArgument(f"n_clients must be 0 or more, not {n_clients}")
    if n_clients == 0:
        return Inventory.empty()
    width = max(5, len(str(n_clients)))
    ids = [f"c{k:0{width}d}" for k in range(1, n_clients + 1)]
    streams = np.random.default_rng(seed).spawn(n_clients)
    out = _Cohort()
    for i in tqdm(range(n_clients), disable=not progress, file=sys.stderr, unit="client"):
        _one_client(streams[i], i, out, support_effect)
    return _build(out, ids)
