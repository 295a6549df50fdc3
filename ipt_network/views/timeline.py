"""A client's timeline: life events, depression onset, sessions and map changes, by date.

IPT ties the interpersonal inventory to a timeline of life events and mood.
:func:`timeline` gathers, in date order:

* the life events of the events table (with the person they concern),
* deaths known only from the people table's ``deceased_date``,
* the onset of the current episode (``clients.onset_date``),
* every session with its PHQ-9 total and band (marked "prorated" when 1 or 2
  items were missing, "incomplete" when 3 or more were), response and
  reliable change from baseline, item 9 ("item 9 not asked" when the PHQ-9
  was given without it), any self-harm item above 0 (see
  :mod:`ipt_network.clinical.safety`), and the people whose ring or conflict changed
  since the previous session (the change records of
  :func:`ipt_network.clinical.course.course_of`, in the words of
  :func:`ipt_network.views.changes.session_words`).

:func:`format_timeline` prints it one line per entry, for the ``timeline``
command and the report.

Examples
--------
>>> from ipt_network import load_samples
>>> entries = timeline(load_samples(), "grief-01")
>>> [e.kind for e in entries[:4]]
['event', 'event', 'onset', 'session']
>>> print(format_timeline(entries)[2])
2025-02-24  Depression began (onset of this episode)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

import pandas as pd

from ipt_network.clinical.course import course_of
from ipt_network.clinical.measures import (
    ITEM9_NOT_ASKED,
    PHQ9_ANSWER_WORDS,
    phq9_difficulty_words,
)
from ipt_network.clinical.safety import SELF_HARM_ITEMS
from ipt_network.io.inventory import Inventory, cell_text, is_missing
from ipt_network.views.changes import session_words
from ipt_network.words import EVENT_TITLES, describe_interval

__all__ = [
    "TimelineEntry",
    "timeline",
    "format_timeline",
    "onset_date",
    "person_labels",
    "describe_interval",
]

EntryKind = Literal["event", "death", "onset", "session"]

# Same-day order: what happened in life, then the onset, then the session.
_ORDER: Final = {"event": 0, "death": 0, "onset": 1, "session": 2}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a client's timeline.

    Parameters
    ----------
    date : str
        ISO date.
    kind : {"event", "death", "onset", "session"}
        A life event, a death known from the people table, the onset, or a session.
    text : str
        The entry in words (may name people: for the clinician's eyes only).
    session : int, optional
        The session number, for sessions.
    person_id : str, optional
        The person an event concerns.
    event_kind : str, optional
        The event's kind, one of :data:`ipt_network.names.EVENT_KINDS`.
    phq9_total : int, optional
        The PHQ-9 total, for sessions where it was given (prorated or not).
    phq9_prorated : bool
        The total was prorated from 7 or 8 answered items.
    """

    date: str
    kind: EntryKind
    text: str
    session: int | None = None
    person_id: str | None = None
    event_kind: str | None = None
    phq9_total: int | None = None
    phq9_prorated: bool = False


def onset_date(inventory: Inventory, client_id: str) -> date | None:
    """The onset date of the client's current episode, or ``None`` when not recorded.

    The read model's :attr:`~ipt_network.clinical.course.ClientCourse.onset`;
    raises :class:`~ipt_network.errors.ClientNotFound` for an unknown client.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> onset_date(load_samples(), "dispute-01")
    datetime.date(2025, 8, 4)
    """
    return course_of(inventory, client_id).onset


def person_labels(inventory: Inventory, client_id: str) -> dict[str, str]:
    """``person_id`` to "name (role)" for one client's people.

    A copy of the read model's
    :attr:`~ipt_network.clinical.course.ClientCourse.labels_with_role`;
    raises :class:`~ipt_network.errors.ClientNotFound` for an unknown client.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> person_labels(load_samples(), "grief-01")["p01"]
    'Frank (partner)'
    """
    return dict(course_of(inventory, client_id).labels_with_role)


def _event_entries(inventory: Inventory, client_id: str) -> list[TimelineEntry]:
    course = course_of(inventory, client_id)
    labels = course.labels_with_role
    ev = course.tables.events
    out = []
    died_by_event = set()
    for day, kind, pid, desc in zip(
        ev["date"], ev["kind"], ev["person_id"], ev["description"], strict=True
    ):
        person = cell_text(pid)
        words = EVENT_TITLES.get(str(kind), str(kind))
        if person is not None:
            words += f", {labels.get(person, person)}"
            if kind == "death":
                died_by_event.add(person)
        detail = cell_text(desc)
        text = f"{words}: {detail}" if detail else words
        out.append(TimelineEntry(str(day), "event", text, person_id=person, event_kind=str(kind)))
    for someone in course.people:
        pid, day = someone.person_id, someone.deceased_date
        if day is not None and pid not in died_by_event:
            text = f"Death, {someone.label_with_role}"
            out.append(TimelineEntry(day, "death", text, person_id=pid, event_kind="death"))
    return out


def _session_entries(inventory: Inventory, client_id: str) -> list[TimelineEntry]:
    course = course_of(inventory, client_id)
    out = []
    for _, row in course.measures.iterrows():
        session = int(row["session"])
        parts = _phq9_parts(row) + _self_harm_parts(row)
        change = session_words(course, session)
        if change:
            parts.append(change)
        text = f"Session {session}: " + "; ".join(parts) + "."
        total = None if is_missing(row["phq9_total"]) else int(row["phq9_total"])
        prorated = total is not None and _true(row["phq9_prorated"])
        out.append(
            TimelineEntry(
                str(row["date"]),
                "session",
                text,
                session,
                phq9_total=total,
                phq9_prorated=prorated,
            )
        )
    return out


def _phq9_parts(row: pd.Series) -> list[str]:
    """The PHQ-9 of one session in words: total, band, change markers, item 9, difficulty."""
    if int(row["phq9_answered"]) == 0:
        return ["PHQ-9 not given"]
    if is_missing(row["phq9_total"]):
        phq = "PHQ-9 incomplete (3 or more items missing)"
    else:
        marks = ("prorated; " if _true(row["phq9_prorated"]) else "") + str(row["phq9_band"])
        phq = f"PHQ-9 {int(row['phq9_total'])} ({marks})"
        if _true(row["phq9_reliable_change"]):
            phq += ", a reliable change from baseline"
        if _true(row["phq9_response"]):
            phq += ", response"
    item9 = row["phq9_item9"]
    if is_missing(item9):
        phq += f", {ITEM9_NOT_ASKED}"
    elif int(item9) > 0:
        phq += f", item 9: {PHQ9_ANSWER_WORDS[int(item9)]} (see the safety flag)"
    parts = [phq]
    if not is_missing(row["phq9_difficulty"]):
        parts.append(f"difficulty: {phq9_difficulty_words(row['phq9_difficulty'])}")
    return parts


def _true(value: object) -> bool:
    return not is_missing(value) and bool(value)


def _self_harm_parts(row: pd.Series) -> list[str]:
    """Self-harm items of the other measures above 0 at this session."""
    return [
        f"{item.name}: {item.value_words(int(row[item.column]))} (see the safety flag)"
        for item in SELF_HARM_ITEMS[1:]
        if not is_missing(row[item.column]) and int(row[item.column]) > 0
    ]


def timeline(inventory: Inventory, client_id: str) -> list[TimelineEntry]:
    """Every dated thing known about one client, in date order.

    Parameters
    ----------
    inventory : Inventory
        Validated tables holding the client.
    client_id : str
        Whose timeline.

    Returns
    -------
    list of TimelineEntry
        Sorted by date; on the same day, life events come before the onset
        and the onset before a session.

    Raises
    ------
    ClientNotFound
        For a client id the inventory does not hold.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> entries = timeline(load_samples(), "transition-01")
    >>> [e.date for e in entries] == sorted(e.date for e in entries)
    True
    """
    entries = _event_entries(inventory, client_id)
    onset = course_of(inventory, client_id).onset
    if onset is not None:
        entries.append(
            TimelineEntry(onset.isoformat(), "onset", "Depression began (onset of this episode)")
        )
    entries += _session_entries(inventory, client_id)
    return sorted(entries, key=lambda e: (e.date, _ORDER[e.kind], e.session or 0))


def format_timeline(entries: list[TimelineEntry]) -> list[str]:
    """One line per entry: the date, two spaces, the text.

    Examples
    --------
    >>> format_timeline([TimelineEntry("2026-01-02", "onset", "Depression began")])
    ['2026-01-02  Depression began']
    """
    return [f"{e.date}  {e.text}" for e in entries]
