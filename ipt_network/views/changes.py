"""One client's course in sentences: who joined, left, moved, and the verdict."""

from __future__ import annotations

from ipt_network import names
from ipt_network.errors import SessionNotFound
from ipt_network.io.inventory import Inventory

__all__ = ["describe_changes", "course_verdict"]


def _people_list(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _ring_name(ring: int) -> str:
    return f"the {names.RING_LABELS[ring]} circle"


State = dict[str, tuple[int, int]]  # person_id -> (ring, conflict)


def _client_course(
    inventory: Inventory, client_id: str
) -> tuple[list[tuple[int, State]], dict[str, str]]:
    """Each session of the client, in order, with who is on the map (ring, conflict)."""
    sessions = inventory.sessions_of(client_id)  # raises ClientNotFound
    one = inventory.for_clients([client_id])
    label = {
        str(p): (str(n) if isinstance(n, str) and n.strip() else str(p))
        for p, n in zip(one.people["person_id"], one.people["name"], strict=True)
    }
    states: dict[int, State] = {s: {} for s in sessions}
    rel = one.relationships
    for s, p, r, c in zip(
        rel["session"], rel["person_id"], rel["ring"], rel["conflict"], strict=True
    ):
        states.setdefault(int(s), {})[str(p)] = (int(r), int(c))
    return sorted(states.items()), label


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
        The client.

    Returns
    -------
    list of str
        One line per session, then the verdict.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> lines = describe_changes(load_samples(), "grief-01")
    >>> lines[0].startswith("Session 1:")
    True
    """
    course, label = _client_course(inventory, client_id)
    lines = []
    for i, (s, now) in enumerate(course):
        text = _opening(now) if i == 0 else _session_sentence(course[i - 1][1], now, label)
        lines.append(f"Session {s}: {text}")
    lines.append(_verdict(course))
    return lines


def _ring_counts(state: State) -> dict[int, int]:
    return {r: sum(1 for ring, _ in state.values() if ring == r) for r in names.RING_LABELS}


def _plural(n: int) -> str:
    return "person" if n == 1 else "people"


def _opening(now: State) -> str:
    if not now:
        return "nobody is on the map yet."
    counts = _ring_counts(now)
    rings = ", ".join(f"{counts[r]} {names.RING_LABELS[r]}" for r in names.RING_LABELS)
    return f"the map starts with {len(now)} {_plural(len(now))} ({rings})."


def _session_sentence(before: State, now: State, label: dict[str, str]) -> str:
    def who(people: list[str]) -> str:
        return _people_list([label.get(p, p) for p in people])

    parts = []
    for ring in names.RING_LABELS:
        joined = [p for p in now if p not in before and now[p][0] == ring]
        if joined:
            verb = "joins" if len(joined) == 1 else "join"
            parts.append(f"{who(joined)} {verb} the map in {_ring_name(ring)}")
    left = [p for p in before if p not in now]
    if left:
        parts.append(f"{who(left)} {'is' if len(left) == 1 else 'are'} no longer on the map")
    kept = [p for p in now if p in before]
    for p in kept:
        r0, r1 = before[p][0], now[p][0]
        if r1 != r0:
            way = "closer" if r1 < r0 else "further away"
            parts.append(f"{who([p])} moved {way}, from {_ring_name(r0)} to {_ring_name(r1)}")
    for p in kept:
        c0, c1 = before[p][1], now[p][1]
        if c1 != c0:
            parts.append(
                f"conflict with {who([p])} {'rose' if c1 > c0 else 'fell'} from {c0} to {c1}"
            )
    if not parts:
        return "no change to the map."
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def _verdict(course: list[tuple[int, State]]) -> str:
    (s0, first), (s1, last) = course[0], course[-1]
    n0, n1 = len(first), len(last)
    span = f"Over the course (sessions {s0} to {s1})"
    if n1 > n0:
        head = f"{span} the network grew from {n0} to {n1} {_plural(n1)}"
    elif n1 < n0:
        head = f"{span} the network thinned from {n0} to {n1} {_plural(n1)}"
    else:
        head = f"{span} the network held at {n1} {_plural(n1)}"
    c0, c1 = _ring_counts(first), _ring_counts(last)
    shifts = [
        f"{names.RING_LABELS[r]} circle {c0[r]} to {c1[r]}"
        for r in names.RING_LABELS
        if c0[r] != c1[r]
    ]
    where = f" ({', '.join(shifts)})" if shifts else ", with every circle the same size"
    k0 = sum(c for _, c in first.values())
    k1 = sum(c for _, c in last.values())
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
        The client.

    Returns
    -------
    str

    Raises
    ------
    ClientNotFound, SessionNotFound
        When the client is unknown or has no sessions.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> course_verdict(load_samples(), "deficits-01").startswith("Over the course")
    True
    """
    course, _ = _client_course(inventory, client_id)
    if not course:
        raise SessionNotFound(client_id, 1)
    return _verdict(course)
