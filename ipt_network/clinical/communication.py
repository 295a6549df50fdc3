"""The communication work of IPT's middle phase, per person and session.

Role-plays of a hard conversation, communication analysis of a recent
interaction, and between-session tasks are recorded in the optional
``communication`` table: who it was about, at which session, what was
planned, what happened and how it went (went well, mixed, did not happen).
This module reads that table in words for ``show`` and the report.

Examples
--------
>>> from ipt_network import load_samples
>>> lines = communication_lines(load_samples(), "grief-01")
>>> lines[0]
'Ruth (family)'
>>> print(lines[1][:48])
  Session 3, between-session task: Call Ruth and
>>> lines[1].endswith("(went well)")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ipt_network.clinical.course import course_of
from ipt_network.io.inventory import Inventory, cell_text
from ipt_network.words import COMMUNICATION_WORDS, OUTCOME_WORDS

__all__ = [
    "KIND_WORDS",
    "OUTCOME_WORDS",
    "CommunicationItem",
    "communication_items",
    "communication_lines",
]

#: How each kind of work reads (:data:`ipt_network.words.COMMUNICATION_WORDS`).
KIND_WORDS: Final = COMMUNICATION_WORDS


@dataclass(frozen=True)
class CommunicationItem:
    """One piece of communication work, in words.

    Parameters
    ----------
    session : int
        The session it was planned or done in.
    person_id, person : str
        Who it was about: the id, and "name (role)".
    kind : str
        "role-play", "communication analysis" or "between-session task".
    planned, happened : str
        What was planned and what happened ("" when not recorded).
    outcome : str
        "went well", "mixed", "did not happen", or "" when not recorded.
    """

    session: int
    person_id: str
    person: str
    kind: str
    planned: str
    happened: str
    outcome: str

    def sentence(self) -> str:
        """The item in one line, without the person.

        Examples
        --------
        >>> CommunicationItem(4, "p1", "Ann (friend)", "role-play", "Ask Ann", "", "").sentence()
        'Session 4, role-play: Ask Ann.'
        """
        text = f"Session {self.session}, {self.kind}"
        if self.planned:
            text += f": {self.planned.rstrip('.')}."
        if self.happened:
            text += f" What happened: {self.happened.rstrip('.')}."
        if self.outcome:
            text += f" ({self.outcome})"
        return text


def _text(value: object) -> str:
    return cell_text(value) or ""


def communication_items(inventory: Inventory, client_id: str) -> list[CommunicationItem]:
    """The client's communication work, ordered by person (first worked with) then session.

    Raises
    ------
    ClientNotFound
        When ``client_id`` is not a client of ``inventory``; a known client
        with no communication work gets an empty list.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> items = communication_items(load_samples(), "dispute-01")
    >>> [(i.session, i.kind) for i in items[:2]]
    [(4, 'communication analysis'), (4, 'role-play')]
    """
    course = course_of(inventory, client_id)  # raises ClientNotFound
    labels = course.labels_with_role
    rows = course.tables.communication
    first_session = rows.groupby("person_id")["session"].transform("min")
    rows = rows.assign(_first=first_session, _row=range(len(rows)))
    rows = rows.sort_values(["_first", "person_id", "session", "_row"], kind="stable")
    return [
        CommunicationItem(
            session=int(r.session),
            person_id=str(r.person_id),
            person=labels.get(str(r.person_id), str(r.person_id)),
            kind=KIND_WORDS.get(str(r.kind), str(r.kind)),
            planned=_text(r.planned),
            happened=_text(r.happened),
            outcome=OUTCOME_WORDS.get(_text(r.outcome), _text(r.outcome)),
        )
        for r in rows.itertuples(index=False)
    ]


def communication_lines(inventory: Inventory, client_id: str) -> list[str]:
    """The communication work as text for ``show``: a line per person, then their items.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client (the communication table may be empty).
    client_id : str
        The client.

    Returns
    -------
    list of str
        For each person, their "name (role)" line, then one indented line per
        item in session order. Empty when nothing is recorded.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    """
    lines: list[str] = []
    current = None
    for item in communication_items(inventory, client_id):
        if item.person_id != current:
            current = item.person_id
            lines.append(item.person)
        lines.append(f"  {item.sentence()}")
    return lines
