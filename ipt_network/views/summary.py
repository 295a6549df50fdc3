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
from ipt_network.clinical.measures import measure_table, other_measures_lines, phq9_text_table
from ipt_network.clinical.model import CoursePlan
from ipt_network.clinical.safety import safety_flag
from ipt_network.io.inventory import Inventory
from ipt_network.names import RING_LABELS
from ipt_network.regions import Region

__all__ = ["client_summary"]


def _state(row: pd.Series | None) -> str:
    if row is None:
        return "not on map"
    return f"{RING_LABELS[int(row['ring'])]}, conflict {int(row['conflict'])}"


def client_summary(inventory: Inventory, client_id: str, region: Region | None = None) -> str:
    """The course of one client in words and small tables.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client.
    client_id : str
        The client.
    region : Region, optional
        The practice's region, for the crisis lines under the safety flag
        (default :data:`~ipt_network.regions.DEFAULT_REGION`).

    Returns
    -------
    str
        Header, safety flag (when raised), sessions with the PHQ-9 (prorated
        totals marked, response, reliable change, item 9, difficulty), other
        measures, people and communication work.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    """
    sessions_done = inventory.sessions_of(client_id)
    one = inventory.for_clients([client_id])
    client = one.clients.iloc[0]
    plan = CoursePlan(int(client["planned_sessions"]))
    flag = safety_flag(one, client_id)
    lines: list[str] = []
    label = "" if pd.isna(client["label"]) else f" ({client['label']})"
    lines.append(f"Client {client_id}{label}")
    onset = "not recorded" if pd.isna(client["onset_date"]) else client["onset_date"]
    focus = (
        "not chosen yet"
        if pd.isna(client["focus"])
        else str(client["focus"]).replace(";", " and ").replace("_", " ")
    )
    if not pd.isna(client["focus_session"]):
        focus += f" (chosen at session {int(client['focus_session'])})"
    done = f"{len(sessions_done)} of {plan.planned_sessions} planned sessions"
    lines.append(f"  {done}; onset {onset}; focus {focus}")
    if flag is not None:
        lines += ["", *(f"  {line}" for line in flag.banner(region).splitlines())]

    scores = measure_table(one, client_id)
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
    rel = one.relationships.set_index(["session", "person_id"])
    lines += ["", f"People (session {first} -> session {latest})"]
    for person in one.people.sort_values("person_id").itertuples(index=False):
        pid = str(person.person_id)
        at_first = rel.loc[(first, pid)] if (first, pid) in rel.index else None
        at_latest = rel.loc[(latest, pid)] if (latest, pid) in rel.index else None
        died = "" if pd.isna(person.deceased_date) else f"  (died {person.deceased_date})"
        lines.append(
            f"  {person.name} [{person.role}]: {_state(at_first)} -> {_state(at_latest)}{died}"
        )

    work = communication_lines(one, client_id)
    if work:
        lines += ["", "Communication work", *(f"  {line}" for line in work)]
    if flag is not None:
        lines += ["", f"  {flag.headline()}"]
    return "\n".join(lines)
