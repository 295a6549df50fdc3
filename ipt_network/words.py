"""The human words for every controlled value: problem areas, roles, events, rings, focus.

The allowed values themselves live on the contract
(:mod:`ipt_network.io.contract`, which takes them from :mod:`ipt_network.names`);
this module only says how each value reads, for the clinician and for the
client. Every view, report, CLI command and dashboard takes its words from
here, so one value never reads two ways by accident.

Examples
--------
>>> AREA_TITLES["role_dispute"], area_words("role_dispute")
('Role dispute', 'role dispute')
>>> area_words("grief", client=True)
'coping with a loss'
>>> focus_words("role_transition;grief", 4)
'role transition and grief, chosen at session 4'
>>> EVENT_TITLES["move"], event_phrase("job_loss")
('Moved home', 'A job loss')
>>> ROLE_TITLES["coworker"], RING_WORDS[1]
('Work', 'inner')
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Final

from ipt_network import names
from ipt_network.io.contract import bounds

__all__ = [
    "AREA_TITLES",
    "CLIENT_AREA_WORDS",
    "ROLE_TITLES",
    "EVENT_TITLES",
    "EVENT_PHRASES",
    "RING_WORDS",
    "NO_FOCUS",
    "CONTACT_WORDS",
    "EPISODE_WORDS",
    "COMMUNICATION_WORDS",
    "OUTCOME_WORDS",
    "STAGE_WORDS",
    "STAGE_MEANINGS",
    "SKILL_WORDS",
    "GOAL_STATUS_WORDS",
    "MAINTENANCE_WORDS",
    "CLIENT_WORK_WORDS",
    "CLIENT_GOAL_WORDS",
    "VOCABULARY_WORDS",
    "value_words",
    "area_words",
    "focus_areas",
    "focus_words",
    "event_phrase",
    "join_and",
    "describe_interval",
]

#: How each problem area reads as a title, for the clinician.
AREA_TITLES: Final = {
    "grief": "Grief",
    "role_dispute": "Role dispute",
    "role_transition": "Role transition",
    "interpersonal_deficits": "Interpersonal deficits",
}

#: The problem areas in everyday words, for what the client reads (the
#: end-of-course report).
CLIENT_AREA_WORDS: Final = {
    "grief": "coping with a loss",
    "role_dispute": "a disagreement with someone important",
    "role_transition": "a big change in life",
    "interpersonal_deficits": "feeling alone or finding it hard to get close",
}

#: How each role reads as a heading (the sectors of the map).
ROLE_TITLES: Final = {
    "partner": "Partner",
    "family": "Family",
    "friend": "Friends",
    "coworker": "Work",
    "professional": "Professionals",
    "community": "Community",
    "other": "Other",
}

#: How each event kind reads as a title (the timeline).
EVENT_TITLES: Final = {
    "death": "Death",
    "separation": "Separation",
    "divorce": "Divorce",
    "move": "Moved home",
    "job_loss": "Job loss",
    "new_job": "New job",
    "retirement": "Retirement",
    "birth": "Birth",
    "illness": "Illness",
    "conflict": "Conflict",
    "other": "Life event",
}

#: How each event kind reads inside a sentence (the problem-area evidence).
EVENT_PHRASES: Final = {
    "death": "a death",
    "separation": "a separation",
    "divorce": "a divorce",
    "move": "a move",
    "job_loss": "a job loss",
    "new_job": "a new job",
    "retirement": "retirement",
    "birth": "a birth",
    "illness": "an illness",
    "conflict": "a conflict",
    "other": "a life event",
}

_RING_LO, _RING_HI = bounds("relationships", "ring")
#: Each ring of the closeness circle (1 is the inner ring) in a word; one word
#: for every ring the contract allows (``strict``: a new ring needs a word).
RING_WORDS: Final[dict[int, str]] = dict(
    zip(range(_RING_LO, _RING_HI + 1), ("inner", "middle", "outer"), strict=True)
)

#: What a client without a chosen focus shows.
NO_FOCUS: Final = "not chosen yet"

#: How often the client and a person are in touch.
CONTACT_WORDS: Final = {f: f for f in names.CONTACT_FREQUENCIES}  # the words are the values
#: The course of the client's depression.
EPISODE_WORDS: Final = {
    "single": "single episode",
    "recurrent": "recurrent",
    "chronic": "chronic",
}
#: The kinds of communication work of the middle phase.
COMMUNICATION_WORDS: Final = {
    "role_play": "role-play",
    "communication_analysis": "communication analysis",
    "task": "between-session task",
}
#: How a planned conversation went.
OUTCOME_WORDS: Final = {
    "went_well": "went well",
    "mixed": "mixed",
    "did_not_happen": "did not happen",
}

#: The stages of a role dispute, as the manual defines them.
STAGE_WORDS: Final = {
    "renegotiation": "renegotiation",
    "impasse": "impasse",
    "dissolution": "dissolution",
}
#: What each stage means, in the manual's terms.
STAGE_MEANINGS: Final = {
    "renegotiation": "both are actively trying to settle it, even loudly",
    "impasse": "talk has stopped and resentment smolders, often with little open conflict",
    "dissolution": "the relationship is ending; what is left is to grieve it and move on",
}
#: The skills practiced in communication work.
SKILL_WORDS: Final = {
    "clear_request": "making a request clearly",
    "naming_feeling": "naming a feeling without accusing",
    "repair": "repairing after a misunderstanding",
    "other": "another skill",
}
#: Where a goal stands.
GOAL_STATUS_WORDS: Final = {
    "not_started": "not started",
    "in_progress": "in progress",
    "achieved": "achieved",
    "set_aside": "set aside",
}
#: The decision about maintenance.
MAINTENANCE_WORDS: Final = {
    "agreed": "maintenance contract agreed",
    "declined": "no maintenance",
    "undecided": "not decided yet",
}

#: The kinds of communication work (:data:`ipt_network.names.COMMUNICATION_KINDS`)
#: in the client's words, for the client report: never the therapy labels of
#: :data:`COMMUNICATION_WORDS` (``strict``: a new kind needs its words).
CLIENT_WORK_WORDS: Final[dict[str, str]] = dict(
    zip(
        names.COMMUNICATION_KINDS,
        (
            "practicing a conversation",
            "looking back at a conversation",
            "something to try between sessions",
        ),
        strict=True,
    )
)
#: Where a goal stands (:data:`ipt_network.names.GOAL_STATUSES`) in the client's
#: words, for the client report.
CLIENT_GOAL_WORDS: Final[dict[str, str]] = dict(
    zip(
        names.GOAL_STATUSES,
        ("not started yet", "still working on it", "done", "set aside for now"),
        strict=True,
    )
)

#: The words of every vocabulary of the contract, by (table, column).
VOCABULARY_WORDS: Final[dict[tuple[str, str], dict[str, str]]] = {
    ("clients", "focus"): AREA_TITLES,
    ("clients", "episode"): EPISODE_WORDS,
    ("people", "role"): ROLE_TITLES,
    ("relationships", "contact_frequency"): CONTACT_WORDS,
    ("events", "kind"): EVENT_TITLES,
    ("communication", "kind"): COMMUNICATION_WORDS,
    ("communication", "outcome"): OUTCOME_WORDS,
    ("communication", "skill"): SKILL_WORDS,
    ("sessions", "dispute_stage"): STAGE_WORDS,
    ("goals", "area"): AREA_TITLES,
    ("goals", "status"): GOAL_STATUS_WORDS,
    ("clients", "maintenance"): MAINTENANCE_WORDS,
}


def value_words(table: str, column: str, value: str) -> str:
    """A value of one of the contract's vocabularies in words.

    Parameters
    ----------
    table, column : str
        A ``choice`` or ``areas`` column of the contract.
    value : str
        One of its allowed values; another value reads as itself with spaces
        for underscores.

    Examples
    --------
    >>> value_words("communication", "outcome", "did_not_happen")
    'did not happen'
    >>> value_words("events", "kind", "job_loss")
    'Job loss'
    """
    return VOCABULARY_WORDS.get((table, column), {}).get(value, value.replace("_", " "))


def join_and(parts: Sequence[str]) -> str:
    """Words joined as a list is read aloud: ``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> join_and([]), join_and(["a"]), join_and(["a", "b"]), join_and(["a", "b", "c"])
    ('', 'a', 'a and b', 'a, b and c')
    """
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def area_words(area: str, *, client: bool = False) -> str:
    """One problem area in words: the clinician's name in lower case, or the client's words.

    An unknown value reads as itself with spaces for underscores.

    Examples
    --------
    >>> area_words("interpersonal_deficits"), area_words("something_else")
    ('interpersonal deficits', 'something else')
    """
    table = CLIENT_AREA_WORDS if client else {a: t.lower() for a, t in AREA_TITLES.items()}
    return table.get(area, area.replace("_", " "))


def focus_areas(focus: object) -> list[str]:
    """The areas of a focus cell (``"a;b"``), a sequence of areas, or nothing.

    Examples
    --------
    >>> focus_areas("grief; role_dispute"), focus_areas(None), focus_areas(["grief"])
    (['grief', 'role_dispute'], [], ['grief'])
    """
    if isinstance(focus, str):
        return [a.strip() for a in focus.split(";") if a.strip()]
    if isinstance(focus, Sequence):
        return [str(a) for a in focus]
    return []


def focus_words(focus: object, session: object = None, *, client: bool = False) -> str:
    """A client's focus in words, with the session it was chosen at when known.

    Parameters
    ----------
    focus : str, sequence of str or missing
        The ``focus`` cell (``"grief;role_dispute"``) or its areas.
    session : int, optional
        The session the focus was chosen at (missing values are ignored).
    client : bool
        The client's words (:data:`CLIENT_AREA_WORDS`) instead of the clinician's.

    Returns
    -------
    str
        Such as ``"grief and role dispute, chosen at session 3"``, or
        :data:`NO_FOCUS` when no area is chosen.

    Examples
    --------
    >>> focus_words("grief;role_dispute"), focus_words(float("nan"), 3)
    ('grief and role dispute', 'not chosen yet')
    >>> focus_words(["role_dispute"], client=True)
    'a disagreement with someone important'
    """
    areas = focus_areas(focus)
    if not areas:
        return NO_FOCUS
    text = join_and([area_words(a, client=client) for a in areas])
    if isinstance(session, numbers.Real) and session == session:  # NaN is not a session
        text += f", chosen at session {int(float(session))}"
    return text


def event_phrase(kind: str) -> str:
    """An event kind as the start of a sentence, such as ``"A move"``.

    Examples
    --------
    >>> event_phrase("illness"), event_phrase("retirement")
    ('An illness', 'Retirement')
    """
    phrase = EVENT_PHRASES.get(kind, kind.replace("_", " "))
    return phrase[:1].upper() + phrase[1:]


def describe_interval(days: int) -> str:
    """A span of days in plain words: days, weeks, then months, then years.

    Examples
    --------
    >>> [describe_interval(d) for d in (0, 1, 10, 37, 107, 400)]
    ['the same day', '1 day', '10 days', '5 weeks', '4 months', '13 months']
    >>> describe_interval(800)
    '2 years'
    """
    days = abs(days)
    if days == 0:
        return "the same day"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 63:
        return f"{round(days / 7)} weeks"
    months = round(days / 30.44)
    if months < 24:
        return f"{months} months"
    return f"{round(days / 365.25)} years"
