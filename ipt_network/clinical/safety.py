"""The safety flag: a self-harm item above 0 at any session, always shown to the clinician.

Four items can raise the flag, each stored as a value only (never its text):

=========  ======  ======================  =========================
measure    item    column                  values
=========  ======  ======================  =========================
PHQ-9      9       ``phq9_9``              0 to 3
EPDS       10      ``epds_10``             0 to 3
BDI-II     9       ``bdi2_9``              0 to 3
HAM-D 17   3       ``hamd17_3``            0 to 4
=========  ======  ======================  =========================

Any answer above 0 at any session raises the flag, whatever else of the
questionnaire is missing. The flag names each measure and item, the answer in
words (for PHQ-9 item 9 the instrument's own frequency words; for the licensed
instruments "n of 3" or "n of 4"), the session, and the latest session at
which that item was asked. Every clinician view shows it with the crisis lines
of the practice's region (:mod:`ipt_network.regions`).

An answer of 0 never means "low risk": when there is no flag, nothing is said
about risk at all. What the client sees carries no flag: every client, flagged
or not, gets the same calm sentence, :func:`client_crisis_line`.

Examples
--------
>>> from ipt_network import load_samples
>>> flag = safety_flag(load_samples(), "grief-01")
>>> flag is not None and "988" in flag.banner()
True
>>> print(client_crisis_line())
If you ever feel hopeless or think about harming yourself, you can call or text 988 at any hour, or chat at 988lifeline.org.
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from ipt_network.clinical.measures import ITEM9_NOT_ASKED, PHQ9_ANSWER_WORDS
from ipt_network.errors import BadArgument
from ipt_network.io.inventory import Inventory
from ipt_network.regions import Region, region

__all__ = [
    "SelfHarmItem",
    "SELF_HARM_ITEMS",
    "ItemAnswer",
    "SafetyFlag",
    "safety_flag",
    "safety_flags",
    "safety_json",
    "with_answer",
    "client_crisis_line",
    "crisis_lines",
    "CRISIS_LINE",
    "ITEM9_NOT_ASKED",
    "REVIEW_PROMPT",
]

#: The prompt to the clinician under the flag's headline.
REVIEW_PROMPT: Final = "Review risk with the client."


@dataclass(frozen=True)
class SelfHarmItem:
    """One questionnaire item that raises the flag when above 0.

    Parameters
    ----------
    measure : str
        The instrument (``"PHQ-9"``).
    item : int
        The item's number in the instrument.
    column : str
        The sessions column that holds it.
    maximum : int
        The highest answer.
    about : str
        What the item is about, in our own words (never the licensed item text).
    words : tuple of str
        The answers 1 to ``maximum`` in words, when the instrument's wording is
        free to use; empty for licensed instruments (then ``"n of maximum"``).
    """

    measure: str
    item: int
    column: str
    maximum: int
    about: str
    words: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``"PHQ-9 item 9"``."""
        return f"{self.measure} item {self.item}"

    def value_words(self, value: int) -> str:
        """An answer in words.

        Examples
        --------
        >>> [SELF_HARM_ITEMS[0].value_words(v) for v in (1, 2, 3)]
        ['several days', 'more than half the days', 'nearly every day']
        >>> SELF_HARM_ITEMS[3].value_words(2)
        '2 of 4'
        """
        if self.words and 1 <= value <= len(self.words):
            return self.words[value - 1]
        return f"{value} of {self.maximum}"


#: The items that raise the flag, in the order the flag names them.
SELF_HARM_ITEMS: Final = (
    SelfHarmItem(
        "PHQ-9",
        9,
        "phq9_9",
        3,
        "thoughts of death or self-harm",
        PHQ9_ANSWER_WORDS[1:],
    ),
    SelfHarmItem("EPDS", 10, "epds_10", 3, "self-harm item"),
    SelfHarmItem("BDI-II", 9, "bdi2_9", 3, "self-harm item"),
    SelfHarmItem("HAM-D 17", 3, "hamd17_3", 4, "self-harm item"),
)
_ORDER: Final = {item.column: n for n, item in enumerate(SELF_HARM_ITEMS)}


@dataclass(frozen=True)
class ItemAnswer:
    """One answer above 0 to a self-harm item.

    Parameters
    ----------
    item : SelfHarmItem
        Which item.
    session : int
        The session it was given at.
    value : int
        The answer, 1 to the item's maximum.
    """

    item: SelfHarmItem
    session: int
    value: int

    @property
    def words(self) -> str:
        """The answer in words (:meth:`SelfHarmItem.value_words`)."""
        return self.item.value_words(self.value)


@dataclass(frozen=True)
class SafetyFlag:
    """A self-harm item was above 0 at one or more sessions.

    Parameters
    ----------
    client_id : str
        The client.
    answers : tuple of ItemAnswer
        Every answer above 0, by session, then in the order of
        :data:`SELF_HARM_ITEMS`.
    last_asked : tuple of (SelfHarmItem, int)
        For each item that raised the flag, the latest session at which it
        was asked (whatever the answer).

    Examples
    --------
    >>> phq9 = SELF_HARM_ITEMS[0]
    >>> flag = SafetyFlag("c1", (ItemAnswer(phq9, 2, 2), ItemAnswer(phq9, 5, 1)), ((phq9, 6),))
    >>> flag.sessions, flag.latest, flag.highest
    ((2, 5), 5, 2)
    """

    client_id: str
    answers: tuple[ItemAnswer, ...]
    last_asked: tuple[tuple[SelfHarmItem, int], ...]

    @property
    def sessions(self) -> tuple[int, ...]:
        """Every session with an answer above 0, in order."""
        return tuple(sorted({a.session for a in self.answers}))

    @property
    def latest(self) -> int:
        """The most recent session with an answer above 0."""
        return self.sessions[-1]

    @property
    def highest(self) -> int:
        """The highest PHQ-9 item-9 answer, or of any item when PHQ-9 item 9 raised none."""
        phq9 = [a.value for a in self.answers if a.item is SELF_HARM_ITEMS[0]]
        return max(phq9 or [a.value for a in self.answers])

    @property
    def items(self) -> tuple[SelfHarmItem, ...]:
        """The items that raised the flag, in the order of :data:`SELF_HARM_ITEMS`."""
        return tuple(item for item, _ in self.last_asked)

    def item_sentences(self) -> list[str]:
        """One sentence per item that raised the flag.

        Examples
        --------
        >>> phq9, epds = SELF_HARM_ITEMS[:2]
        >>> flag = SafetyFlag(
        ...     "c1", (ItemAnswer(phq9, 2, 2), ItemAnswer(epds, 3, 1)), ((phq9, 4), (epds, 3)))
        >>> for line in flag.item_sentences():
        ...     print(line)
        PHQ-9 item 9 (thoughts of death or self-harm) above 0: more than half the days at session 2; last asked at session 4.
        EPDS item 10 (self-harm item) above 0: 1 of 3 at session 3; last asked at session 3.
        """  # noqa: E501
        out = []
        for item, asked in self.last_asked:
            given = ", ".join(
                f"{a.words} at session {a.session}" for a in self.answers if a.item is item
            )
            out.append(
                f"{item.name} ({item.about}) above 0: {given}; last asked at session {asked}."
            )
        return out

    def headline(self) -> str:
        """One line naming every item, answer and session that raised the flag.

        Examples
        --------
        >>> phq9 = SELF_HARM_ITEMS[0]
        >>> SafetyFlag("c1", (ItemAnswer(phq9, 2, 3),), ((phq9, 5),)).headline()
        'SAFETY FLAG: PHQ-9 item 9 (thoughts of death or self-harm) above 0: nearly every day at session 2; last asked at session 5.'
        """  # noqa: E501
        return "SAFETY FLAG: " + " ".join(self.item_sentences())

    def banner(self, region: Region | None = None) -> str:
        """The headline, a prompt to review it, and the crisis lines of ``region``.

        Parameters
        ----------
        region : Region, optional
            The practice's region (:attr:`ipt_network.io.store.Store.region`);
            default: :data:`~ipt_network.regions.DEFAULT_REGION`.

        Examples
        --------
        >>> from ipt_network.regions import region as lookup
        >>> phq9 = SELF_HARM_ITEMS[0]
        >>> flag = SafetyFlag("c1", (ItemAnswer(phq9, 3, 1),), ((phq9, 3),))
        >>> print(flag.banner(lookup("au")))
        SAFETY FLAG: PHQ-9 item 9 (thoughts of death or self-harm) above 0: several days at session 3; last asked at session 3.
        Review risk with the client.
        Crisis lines (Australia): Lifeline: call 13 11 14 at any hour. Emergency: call 000.
        """  # noqa: E501
        return f"{self.headline()}\n{REVIEW_PROMPT}\n{crisis_lines(region)}"

    def to_dict(self, region: Region | None = None) -> dict[str, Any]:
        """The flag as plain JSON-ready fields (see :func:`safety_json`)."""
        return safety_json(self, region)


def _region(where: Region | None) -> Region:
    return region(None) if where is None else where


def crisis_lines(region: Region | None = None) -> str:
    """The region's crisis lines on one line, for clinician views.

    Examples
    --------
    >>> crisis_lines()
    'Crisis lines (United States): 988 Suicide and Crisis Lifeline: call or text 988, or chat at 988lifeline.org, at any hour. Emergency: call 911 for immediate danger.'
    """  # noqa: E501
    where = _region(region)
    return f"Crisis lines ({where.name}): {where.summary()}"


def client_crisis_line(region: Region | None = None) -> str:
    """The one calm sentence for client-facing output, the same for every client.

    It names no flag and no risk, so on a shared screen or a printed report
    it tells nobody that an item was answered.

    Parameters
    ----------
    region : Region, optional
        The practice's region; default :data:`~ipt_network.regions.DEFAULT_REGION`.

    Examples
    --------
    >>> from ipt_network.regions import region as lookup
    >>> client_crisis_line(lookup("uk"))
    'If you ever feel hopeless or think about harming yourself, you can call Samaritans free on 116 123 at any hour.'
    """  # noqa: E501
    return (
        f"If you ever feel hopeless or think about harming yourself, {_region(region).call_text}."
    )


#: The calm client-facing sentence of the default region (US). Views that know
#: the store's region call :func:`client_crisis_line` with it instead.
CRISIS_LINE: Final = client_crisis_line()


def safety_json(flag: SafetyFlag | None, region: Region | None = None) -> dict[str, Any]:
    """The ``"safety"`` object of a command's JSON output, flagged or not.

    ``flag`` is ``false`` when no item was above 0; that is no statement about
    risk, and the object says so. The region's crisis lines are always there.

    Examples
    --------
    >>> d = safety_json(None)
    >>> d["flag"], d["answers"], d["crisis_lines"][0]["number"]
    (False, [], '988')
    """
    where = _region(region)
    out: dict[str, Any] = {
        "flag": flag is not None,
        "headline": None if flag is None else flag.headline(),
        "answers": [],
        "last_asked": [],
        "region": where.code,
        "crisis_lines": [
            {"name": line.name, "number": line.number, "how": line.how, "emergency": line.emergency}
            for line in where.lines
        ],
    }
    if flag is None:
        out["note"] = (
            "No self-harm item was above 0 in the recorded sessions. This is not an "
            "assessment: ask at every session."
        )
        return out
    out["answers"] = [
        {
            "measure": a.item.measure,
            "item": a.item.item,
            "column": a.item.column,
            "session": a.session,
            "value": a.value,
            "maximum": a.item.maximum,
            "words": a.words,
        }
        for a in flag.answers
    ]
    out["last_asked"] = [
        {"measure": item.measure, "item": item.item, "column": item.column, "session": session}
        for item, session in flag.last_asked
    ]
    return out


def _answers(sessions: pd.DataFrame) -> Iterable[tuple[str, ItemAnswer, int]]:
    """Every answer above 0, with the latest session at which its item was asked."""
    for item in SELF_HARM_ITEMS:
        if item.column not in sessions.columns:
            continue
        values = sessions[item.column].astype("Int64")
        given = values.notna().to_numpy(dtype=bool)
        if not given.any():
            continue
        asked = sessions.loc[given, ["client_id", "session"]].assign(value=values[given])
        above = asked[asked["value"] > 0]
        if above.empty:
            continue
        last = asked[asked["client_id"].isin(above["client_id"])].groupby("client_id")["session"]
        latest = last.max()
        for cid, session, value in zip(
            above["client_id"], above["session"], above["value"], strict=True
        ):
            yield str(cid), ItemAnswer(item, int(session), int(value)), int(latest[cid])


def safety_flags(inventory: Inventory) -> dict[str, SafetyFlag]:
    """The flag of every flagged client, in one pass over the sessions table.

    Clients with no answer above 0 are absent: that is no statement about risk.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> flags = safety_flags(load_samples())
    >>> "grief-01" in flags
    True
    """
    return _flags(inventory.sessions)


def _flags(sessions: pd.DataFrame) -> dict[str, SafetyFlag]:
    answers: dict[str, list[ItemAnswer]] = {}
    asked: dict[str, dict[SelfHarmItem, int]] = {}
    for cid, answer, latest in _answers(sessions):
        answers.setdefault(cid, []).append(answer)
        asked.setdefault(cid, {})[answer.item] = latest
    return {
        cid: SafetyFlag(
            cid,
            tuple(sorted(found, key=lambda a: (a.session, _ORDER[a.item.column]))),
            tuple(sorted(asked[cid].items(), key=lambda pair: _ORDER[pair[0].column])),
        )
        for cid, found in answers.items()
    }


def with_answer(flag: SafetyFlag | None, client_id: str, answer: ItemAnswer) -> SafetyFlag:
    """``flag`` with one more answer above 0, such as one typed in a form but not saved yet.

    Examples
    --------
    >>> phq9 = SELF_HARM_ITEMS[0]
    >>> flag = with_answer(None, "c1", ItemAnswer(phq9, 4, 2))
    >>> flag.sessions, flag.last_asked[0][1]
    ((4,), 4)
    >>> with_answer(flag, "c1", ItemAnswer(SELF_HARM_ITEMS[1], 5, 1)).items[1].measure
    'EPDS'
    """
    if answer.value <= 0:
        raise BadArgument("only an answer above 0 raises the flag")
    answers = () if flag is None else flag.answers
    asked = {} if flag is None else dict(flag.last_asked)
    asked[answer.item] = max(asked.get(answer.item, answer.session), answer.session)
    return SafetyFlag(
        client_id,
        tuple(sorted((*answers, answer), key=lambda a: (a.session, _ORDER[a.item.column]))),
        tuple(sorted(asked.items(), key=lambda pair: _ORDER[pair[0].column])),
    )


def safety_flag(inventory: Inventory, client_id: str) -> SafetyFlag | None:
    """The client's safety flag, or ``None`` when no self-harm item was ever above 0.

    ``None`` means only that no flag was raised: it is not a statement about risk.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    """
    inventory.sessions_of(client_id)  # raises ClientNotFound
    s = inventory.sessions
    return _flags(s[s["client_id"] == client_id]).get(client_id)
