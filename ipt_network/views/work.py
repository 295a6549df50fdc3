"""The middle-phase work, the treatment contract and the ending in words, for the clinician.

Every sentence about the work is made here, from the records of
:func:`ipt_network.clinical.work.work_of` and the words of
:mod:`ipt_network.words`: ``show`` prints :func:`work_lines`, the clinician
report's appendix and the dashboard's "Middle-phase work" card render
:func:`work_sections` (a heading and its lines each).

Examples
--------
>>> from ipt_network import load_samples
>>> inv = load_samples()
>>> lines = work_lines(inv, "dispute-01")
>>> "  Dispute stage (clinician's call): impasse at sessions 3-5, renegotiation at 6-16" in lines
True
>>> [line for line in work_lines(inv, "grief-01") if "Re-engagement" in line][0][:52]
"  Re-engagement after Frank's death: Pastor Helen (s"
>>> [h for h, _ in work_sections(work_of(inv, "grief-01").upto(4))]
['Treatment contract', 'Goals', 'Grief work', 'Communication work']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from ipt_network.clinical.model import Phase
from ipt_network.clinical.work import Death, MiddleWork, work_of
from ipt_network.io.inventory import Inventory
from ipt_network.words import (
    GOAL_STATUS_WORDS,
    MAINTENANCE_WORDS,
    SKILL_WORDS,
    STAGE_WORDS,
    area_words,
    focus_words,
    join_and,
)

__all__ = [
    "NOTHING_RECORDED",
    "Section",
    "work_sections",
    "work_lines",
    "split_items",
    "skill_phrase",
    "stage_line",
    "past_plan_line",
]

#: What the work reads when nothing of it is recorded.
NOTHING_RECORDED: Final = "No middle-phase work recorded yet."

#: A heading and its lines.
Section = tuple[str, list[str]]


def split_items(text: str | None) -> list[str]:
    """A free-text list (items separated by ``;``) as its items: capitalised, no closing stop.

    Examples
    --------
    >>> split_items("Staying in bed; skipping the group."), split_items(None)
    (['Staying in bed', 'Skipping the group'], [])
    """
    if not text:
        return []
    items = (item.strip().rstrip(".").strip() for item in text.split(";"))
    return [item[:1].upper() + item[1:] for item in items if item]


def _quoted(text: str | None) -> str:
    return f"\u201c{text}\u201d" if text else "not recorded"


def _span(first: int, last: int, *, word: bool) -> str:
    numbers = str(first) if first == last else f"{first}-{last}"
    if not word:
        return numbers
    return f"session {numbers}" if first == last else f"sessions {numbers}"


def stage_line(work: MiddleWork) -> str | None:
    """The clinician's stage calls as runs over the sessions, or ``None`` when none is recorded.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> stage_line(work_of(load_samples(), "dispute-01").upto(4))
    "Dispute stage (clinician's call): impasse at sessions 3-4"
    """
    runs = work.stage_runs()
    if not runs:
        return None
    parts = [
        f"{STAGE_WORDS.get(stage, stage)} at {_span(a, b, word=i == 0)}"
        for i, (stage, a, b) in enumerate(runs)
    ]
    return f"Dispute stage (clinician's call): {', '.join(parts)}"


def skill_phrase(work: MiddleWork) -> str | None:
    """The skills practiced, counted by skill, or ``None`` when none is recorded.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> skill_phrase(work_of(load_samples(), "dispute-01"))
    'making a request clearly ×2, naming a feeling without accusing ×2 and repairing after a misunderstanding ×1'
    """  # noqa: E501
    counts = work.skill_counts()
    if not counts:
        return None
    return join_and([f"{SKILL_WORDS.get(s, s)} ×{n}" for s, n in counts.items()])


def past_plan_line(work: MiddleWork) -> str | None:
    """What the sessions past the plan are, or ``None`` when there are none.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> past_plan_line(work_of(load_samples(), "grief-01")) is None
    True
    """
    past = work.past_plan
    if not past:
        return None
    where = _span(past[0], past[-1], word=True)
    if work.past_plan_phase is Phase.MAINTENANCE:
        return f"Sessions past the plan ({where}): maintenance (maintenance contract agreed)"
    declined = work.ending.maintenance == "declined"
    why = "maintenance declined" if declined else "no maintenance contract recorded"
    return f"Sessions past the plan ({where}): extension ({why})"


def _death_words(death: Death) -> str:
    if death.label:
        return f"{death.label}'s death"
    return f"the death on {death.date.isoformat()}"


def _contract(work: MiddleWork) -> list[str]:
    if not work.contract_shown:
        return []
    c = work.contract
    agreed = f"Agreed on {c.agreed_on}" if c.agreed_on else "Agreed (date not recorded)"
    lines = [
        f"{agreed}: {c.planned_sessions} planned sessions; focus "
        f"{focus_words(c.focus, c.focus_session)}"
    ]
    if c.formulation:
        lines.append(f"Formulation (the client's words): {_quoted(c.formulation)}")
    return lines


def _goals(work: MiddleWork) -> list[str]:
    areas = {g.area for g in work.goals}
    lines = []
    for goal in work.goals:
        area = f"[{area_words(goal.area)}] " if len(areas) > 1 and goal.area else ""
        earlier = ", ".join(
            f"{GOAL_STATUS_WORDS.get(h.value, h.value)} at {h.session}" for h in goal.history[:-1]
        )
        status = GOAL_STATUS_WORDS.get(goal.status, goal.status)
        line = f"{area}{goal.goal}: {status} at session {goal.session}"
        lines.append(f"{line} (earlier: {earlier})" if earlier else line)
    return lines


def _led(lead: str | None, lines: Iterable[str]) -> list[str]:
    """``lines`` after ``lead`` (when there is one)."""
    return [*([] if lead is None else [lead]), *lines]


def _dispute(work: MiddleWork) -> list[str]:
    return _led(
        stage_line(work),
        (
            f"{e.label}, session {e.session}: the client expects {_quoted(e.client_expects)}; "
            f"{e.label} expects {_quoted(e.person_expects)}"
            for e in work.expectations
        ),
    )


def _transition(work: MiddleWork) -> list[str]:
    return [
        f"Session {t.session}: from {_quoted(t.old_role)} to {_quoted(t.new_role)}; "
        f"losses: {t.losses or 'not recorded'}; gains: {t.gains or 'not recorded'}"
        for t in work.transitions
    ]


def _grief(work: MiddleWork) -> list[str]:
    lines = []
    for g in work.grief:
        parts = [f"memories: {g.memories}"] if g.memories else []
        if g.new_connections:
            parts.append(f"new connections: {g.new_connections}")
        lines.append(f"Session {g.session}, {g.label}: {'; '.join(parts) or 'nothing noted'}")
    deaths: dict[Death, list[str]] = {}
    for r in work.reengagement:
        deaths.setdefault(r.after, []).append(f"{r.label} (session {r.session})")
    lines += [
        f"Re-engagement after {_death_words(d)}: {join_and(people)}" for d, people in deaths.items()
    ]
    return lines


def _communication(work: MiddleWork) -> list[str]:
    skills = skill_phrase(work)
    return _led(
        None if skills is None else f"Skills practiced: {skills}",
        (
            f"Communication analysis, session {a.session}, {a.label}: said {_quoted(a.said)}; "
            f"meant {_quoted(a.meant)}; where it broke down: {a.breakdown or 'not recorded'}"
            for a in work.analyses
        ),
    )


def _ending(work: MiddleWork) -> list[str]:
    lines = []
    if work.ending_shown:
        e = work.ending
        named = (
            ("Gains credited to the client", e.gains),
            ("Warning signs", e.warning_signs),
            ("Who to turn to", e.who_to_turn_to),
        )
        lines += [f"{head}: {text}" for head, text in named if text]
        if e.maintenance:
            lines.append(f"Maintenance: {MAINTENANCE_WORDS.get(e.maintenance, e.maintenance)}")
    past = past_plan_line(work)
    if past is not None:
        lines.append(past)
    return lines


def work_sections(work: MiddleWork) -> list[Section]:
    """The work as headed sections, leaving out those with nothing recorded.

    Parameters
    ----------
    work : MiddleWork
        The whole course's work, or what was recorded up to a session
        (:meth:`~ipt_network.clinical.work.MiddleWork.upto`).

    Returns
    -------
    list of (str, list of str)
        "Treatment contract", "Goals", "Role dispute work", "Role transition
        work", "Grief work", "Communication work" and "The ending", in that
        order, each only when something of it is recorded.
    """
    sections = (
        ("Treatment contract", _contract(work)),
        ("Goals", _goals(work)),
        ("Role dispute work", _dispute(work)),
        ("Role transition work", _transition(work)),
        ("Grief work", _grief(work)),
        ("Communication work", _communication(work)),
        ("The ending", _ending(work)),
    )
    return [(head, lines) for head, lines in sections if lines]


def _indented(sections: Sequence[Section]) -> list[str]:
    out: list[str] = []
    for head, lines in sections:
        out += [head, *(f"  {line}" for line in lines)]
    return out


def work_lines(inventory: Inventory, client_id: str, session: int | None = None) -> list[str]:
    """The work in words for a terminal: each heading, then its lines indented.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client.
    client_id : str
        Whose work.
    session : int, optional
        Only what was recorded up to this session (default: the whole course).

    Returns
    -------
    list of str
        Empty when nothing of the work, the contract or the ending is recorded.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    """
    work = work_of(inventory, client_id)
    if session is not None:
        work = work.upto(session)
    return _indented(work_sections(work))
