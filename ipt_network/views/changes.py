"""One client's course in sentences: who joined, left, moved, and the verdict.

Every sentence here renders the change records of the client's read model
(:func:`ipt_network.clinical.course.course_of`); nothing is worked out twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ipt_network.clinical.course import Change, ChangeKind, ClientCourse, PersonState, course_of
from ipt_network.errors import SessionNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.words import RING_WORDS, join_and

__all__ = ["describe_changes", "course_verdict", "session_words"]


def _ring_name(ring: int) -> str:
    return f"the {RING_WORDS[ring]} circle"


def describe_changes(inventory: Inventory, client_id: str) -> list[str]:
    """One client's network, session by session, in plain sentences.

    Each session after the first says who joined the map (and in which
    circle), who left it, who moved closer or further away, and whose
    conflict rose or fell. The first line describes the starting map and the
    last line is the verdict of :func:`course_verdict`.

    Parameters
    ----------
    inventory : Inventory
        Validated tables holding the client.
    client_id : str
        Whose course to tell.

    Returns
    -------
    list of str
        One line per session, then the verdict.

    Raises
    ------
    ClientNotFound, SessionNotFound
        When the client is unknown or has no sessions.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> lines = describe_changes(load_samples(), "grief-01")
    >>> lines[0].startswith("Session 1:")
    True
    """
    course = _with_sessions(inventory, client_id)
    lines = [
        f"Session {s}: {session_words(course, s) or 'no change to the map'}."
        for s in course.sessions
    ]
    lines.append(_verdict(course))
    return lines


def _with_sessions(inventory: Inventory, client_id: str) -> ClientCourse:
    course = course_of(inventory, client_id)  # raises ClientNotFound
    if not course.sessions:
        raise SessionNotFound(client_id, 1)
    return course


def session_words(course: ClientCourse, session: int) -> str:
    """What the map shows at one session, without the final full stop.

    The first session describes the starting map; a later one names the
    changes since the previous session (empty when nothing changed).

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> from ipt_network.clinical.course import course_of
    >>> c = course_of(load_samples(), "grief-01")
    >>> session_words(c, 1).startswith("the map starts with")
    True
    """
    if session == course.sessions[0]:
        return _opening(course.states[session])
    return _change_words(course.changes_at(session), course.labels)


def _ring_counts(state: Mapping[str, PersonState]) -> dict[int, int]:
    return {r: sum(1 for st in state.values() if st.ring == r) for r in RING_WORDS}


def _plural(n: int) -> str:
    return "person" if n == 1 else "people"


def _opening(now: Mapping[str, PersonState]) -> str:
    if not now:
        return "nobody is on the map yet"
    counts = _ring_counts(now)
    rings = ", ".join(f"{counts[r]} {RING_WORDS[r]}" for r in RING_WORDS)
    return f"the map starts with {len(now)} {_plural(len(now))} ({rings})"


def _change_words(changes: Sequence[Change], label: Mapping[str, str]) -> str:
    def who(people: list[str]) -> str:
        return join_and([label.get(p, p) for p in people])

    def of(*kinds: ChangeKind) -> list[Change]:
        return [c for c in changes if c.kind in kinds]

    parts = []
    joined = of(ChangeKind.JOINED)
    for ring in RING_WORDS:
        here = [c.person_id for c in joined if c.ring_after == ring]
        if here:
            verb = "joins" if len(here) == 1 else "join"
            parts.append(f"{who(here)} {verb} the map in {_ring_name(ring)}")
    left = [c.person_id for c in of(ChangeKind.LEFT)]
    if left:
        parts.append(f"{who(left)} {'is' if len(left) == 1 else 'are'} no longer on the map")
    for c in of(ChangeKind.MOVED_IN, ChangeKind.MOVED_OUT):
        assert c.ring_before is not None and c.ring_after is not None
        way = "closer" if c.kind is ChangeKind.MOVED_IN else "further away"
        parts.append(
            f"{who([c.person_id])} moved {way}, "
            f"from {_ring_name(c.ring_before)} to {_ring_name(c.ring_after)}"
        )
    for c in of(ChangeKind.CONFLICT_CHANGED):
        way = "rose" if c.conflict_delta > 0 else "fell"
        span = f"from {c.conflict_before} to {c.conflict_after}"
        parts.append(f"conflict with {who([c.person_id])} {way} {span}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _verdict(course: ClientCourse) -> str:
    s0, s1 = course.sessions[0], course.sessions[-1]
    first, last = course.states[s0], course.states[s1]
    n0, n1 = len(first), len(last)
    span = f"Over the course (sessions {s0} to {s1})"
    if n1 > n0:
        head = f"{span} the network grew from {n0} to {n1} {_plural(n1)}"
    elif n1 < n0:
        head = f"{span} the network thinned from {n0} to {n1} {_plural(n1)}"
    else:
        head = f"{span} the network held at {n1} {_plural(n1)}"
    c0, c1 = _ring_counts(first), _ring_counts(last)
    shifts = [f"{RING_WORDS[r]} circle {c0[r]} to {c1[r]}" for r in RING_WORDS if c0[r] != c1[r]]
    where = f" ({', '.join(shifts)})" if shifts else ", with every circle the same size"
    k0 = sum(st.conflict for st in first.values())
    k1 = sum(st.conflict for st in last.values())
    if k1 != k0:
        conflict = f"; total conflict {'fell' if k1 < k0 else 'rose'} from {k0} to {k1}"
    else:
        conflict = "; total conflict unchanged"
    return f"{head}{where}{conflict}."


def course_verdict(inventory: Inventory, client_id: str) -> str:
    """One line on the whole course: did the network grow, hold or thin, and where.

    Compares the first and the last session: the number of people, the count
    in each circle, and the total conflict.

    Parameters
    ----------
    inventory : Inventory
        Validated tables holding the client.
    client_id : str
        Whose course to judge.

    Returns
    -------
    str

    Raises
    ------
    ClientNotFound, SessionNotFound
        As :func:`describe_changes` does.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> course_verdict(load_samples(), "deficits-01").startswith("Over the course")
    True
    """
    return _verdict(_with_sessions(inventory, client_id))
