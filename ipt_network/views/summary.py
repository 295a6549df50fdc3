"""A plain-text summary of one client's course, as ``ipt-network show`` prints it.

Examples
--------
>>> from ipt_network import load_samples
>>> text = client_summary(load_samples(), "dispute-01")
>>> "Sessions" in text and "People" in text
True
"""

from __future__ import annotations

import pandas as pd

from ipt_network.clinical.communication import communication_lines
from ipt_network.clinical.course import PersonState, course_of
from ipt_network.clinical.measures import other_measures_lines, phq9_text_table
from ipt_network.clinical.model import CoursePlan
from ipt_network.io.inventory import Inventory
from ipt_network.regions import Region
from ipt_network.views.work import NOTHING_RECORDED, work_lines
from ipt_network.words import RING_WORDS, focus_words

__all__ = ["client_summary"]


def _state(state: PersonState | None) -> str:
    if state is None:
        return "not on map"
    return f"{RING_WORDS[state.ring]}, conflict {state.conflict}"


def client_summary(inventory: Inventory, client_id: str, region: Region | None = None) -> str:
    """The course of one client in words and small tables.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client.
    client_id : str
        Whose course to summarise.
    region : Region, optional
        The practice's region, for the crisis lines under the safety flag
        (default :data:`~ipt_network.regions.DEFAULT_REGION`).

    Returns
    -------
    str
        Header, safety flag (when raised), sessions with the PHQ-9 (prorated
        totals marked, response, reliable change, item 9, difficulty), other
        measures, people, communication work, and the middle-phase work with
        the treatment contract and the ending (:func:`~ipt_network.views.work.work_lines`).

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    """
    course = course_of(inventory, client_id)  # raises ClientNotFound
    sessions_done = course.sessions
    one = course.tables
    client = one.clients.iloc[0]
    plan = CoursePlan.of(client["planned_sessions"], client.get("maintenance"))
    flag = course.flag
    lines: list[str] = []
    label = "" if pd.isna(client["label"]) else f" ({client['label']})"
    lines.append(f"Client {client_id}{label}")
    onset = "not recorded" if pd.isna(client["onset_date"]) else client["onset_date"]
    focus = focus_words(client["focus"], client["focus_session"])
    done = f"{len(sessions_done)} of {plan.planned_sessions} planned sessions"
    lines.append(f"  {done}; onset {onset}; focus {focus}")
    if flag is not None:
        lines += ["", *(f"  {line}" for line in flag.banner(region).splitlines())]

    scores = course.measures
    phq = phq9_text_table(scores)
    lines += [
        "",
        "Sessions",
        "  session  date        phase        PHQ-9          band               change  "
        "response  reliable  item 9                       difficulty",
    ]
    for cells in phq.to_dict("records"):
        number = int(cells["session"])
        response = "n/m" if cells["response"].startswith("not measured") else cells["response"]
        lines.append(
            f"  {number:>7}  {cells['date']}  {plan.phase(number):<11}  {cells['PHQ-9']:<13}  "
            f"{cells['band']:<17}  {cells['change']:>6}  {response:<8}  "
            f"{cells['reliable change']:<8}  {cells['item 9']:<27}  {cells['difficulty']}"
        )
    if phq["response"].str.startswith("not measured").any():
        lines.append("  n/m: response is not measured from a PHQ-9 baseline below 10.")
    if phq["PHQ-9"].str.endswith("(prorated)").any():
        lines.append("  prorated: 1 or 2 items missing, total = mean of the answered items x 9.")
    other = other_measures_lines(scores)
    if other:
        lines += ["", "Other measures", *(f"  {line}" for line in other)]

    first, latest = sessions_done[0], sessions_done[-1]
    lines += ["", f"People (session {first} -> session {latest})"]
    for person in sorted(course.people, key=lambda p: p.person_id):
        at_first = course.states[first].get(person.person_id)
        at_latest = course.states[latest].get(person.person_id)
        died = "" if person.deceased_date is None else f"  (died {person.deceased_date})"
        lines.append(
            f"  {person.label} [{person.role}]: {_state(at_first)} -> {_state(at_latest)}{died}"
        )

    work = communication_lines(one, client_id)
    if work:
        lines += ["", "Communication work", *(f"  {line}" for line in work)]
    middle = work_lines(one, client_id)
    lines += ["", "Middle-phase work", *(f"  {line}" for line in middle or [NOTHING_RECORDED])]
    if flag is not None:
        lines += ["", f"  {flag.headline()}"]
    return "\n".join(lines)
