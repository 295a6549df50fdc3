"""Overviews for the therapist: the client list and one person's history.

:func:`client_overview` gives one row per client, the way the dashboard's
client list shows them: sessions done of planned, the phase of the course,
the latest PHQ-9 total (prorated when 1 or 2 items were missing) and its band
(:func:`ipt_network.clinical.measures.phq9_band`), its change from baseline with
response and reliable change, the focus and the safety flag
(:func:`ipt_network.clinical.safety.safety_flags`, the one rule for the flag).
:func:`person_history` follows one person across the sessions of a client
(ring, conflict and support, or off the map) and :func:`person_communication`
lists the communication work recorded with them.

Both work on the tables alone, vectorised, so the client list of a large
store costs one pass over the ``clients`` and ``sessions`` tables.

Examples
--------
>>> from ipt_network import load_samples
>>> inv = load_samples()
>>> rows = client_overview(inv)
>>> row = rows.set_index("client_id").loc["grief-01"]
>>> int(row["sessions_done"]) <= int(row["planned_sessions"])
True
>>> row["safety_flag"].startswith("SAFETY FLAG: PHQ-9 item 9")
True
>>> history = person_history(inv, "grief-01", "p02")
>>> list(history.columns)
['session', 'on_map', 'ring', 'ring_label', 'conflict', 'support']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from ipt_network.clinical.course import PersonState, course_of
from ipt_network.clinical.measures import (
    PHQ9_RELIABLE_DROP,
    PHQ9_RESPONSE_MIN_BASELINE,
    phq9_band,
    phq9_scores,
)
from ipt_network.clinical.model import CoursePlan
from ipt_network.clinical.safety import safety_flags
from ipt_network.errors import PersonNotFound
from ipt_network.io.contract import DEFAULT_PLANNED_SESSIONS
from ipt_network.io.inventory import Inventory
from ipt_network.words import RING_WORDS, focus_words

__all__ = [
    "OVERVIEW_COLUMNS",
    "client_overview",
    "person_history",
    "person_communication",
]

#: Columns of :func:`client_overview`, in order.
OVERVIEW_COLUMNS: Final = (
    "client_id",
    "label",
    "sessions_done",
    "planned_sessions",
    "last_session",
    "phase",
    "phq9_session",
    "phq9_total",
    "phq9_prorated",
    "phq9_band",
    "phq9_baseline",
    "phq9_change",
    "phq9_response",
    "phq9_reliable_change",
    "phq9_difficulty",
    "phq9_item9_asked",
    "phq9_incomplete_session",
    "focus",
    "safety_flag",
)


def client_overview(inventory: Inventory) -> pd.DataFrame:
    """One row per client for the client list.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the clients; only ``clients`` and ``sessions`` are read,
        so an inventory built from those two tables alone is enough.

    Returns
    -------
    DataFrame
        Columns :data:`OVERVIEW_COLUMNS`, in the order of the clients table:
        ``sessions_done`` (sessions recorded), ``planned_sessions``,
        ``last_session`` and its ``phase`` (empty before the first session;
        past the plan, ``extension`` unless ``clients.maintenance`` is
        ``agreed``, then ``maintenance``),
        ``phq9_session``, ``phq9_total``, ``phq9_prorated`` and ``phq9_band``
        of the latest session with a PHQ-9 total (prorated when 1 or 2 items
        were missing); ``phq9_baseline`` (the first total), ``phq9_change``,
        ``phq9_response`` (empty when the baseline is below 10),
        ``phq9_reliable_change`` (a drop of 6 or more); ``phq9_difficulty``
        and ``phq9_item9_asked`` at that session; ``phq9_incomplete_session``,
        a later session whose PHQ-9 had too many items missing for a total;
        ``focus`` as words, and ``safety_flag``, the flag's headline (empty
        when no self-harm item was ever above 0, which is no statement about
        risk).

    Examples
    --------
    >>> import pandas as pd
    >>> from ipt_network.io.contract import PHQ9_ITEMS
    >>> from ipt_network.io.inventory import Inventory
    >>> clients = pd.DataFrame({"client_id": ["a"], "label": ["A"],
    ...     "planned_sessions": pd.array([12], dtype="Int64"), "onset_date": [None],
    ...     "focus": ["role_dispute"]})
    >>> sessions = pd.DataFrame({"client_id": ["a", "a"], "session": [1, 2],
    ...     "date": ["2026-01-05", "2026-01-12"],
    ...     **{c: pd.array([2, 1], dtype="Int64") for c in PHQ9_ITEMS}})
    >>> row = client_overview(Inventory.from_tables(
    ...     {"clients": clients, "sessions": sessions})).iloc[0]
    >>> int(row["sessions_done"]), row["phase"], int(row["phq9_total"]), row["phq9_band"]
    (2, 'initial', 9, 'mild')
    >>> row["focus"], row["safety_flag"].endswith("last asked at session 2.")
    ('role dispute', True)
    >>> int(row["phq9_baseline"]), int(row["phq9_change"]), bool(row["phq9_response"])
    (18, -9, True)
    """
    clients = inventory.clients.reset_index(drop=True)
    sessions = inventory.sessions
    ids = clients["client_id"].astype(str)
    planned = (
        clients["planned_sessions"].astype("Int64").fillna(DEFAULT_PLANNED_SESSIONS).astype(int)
    )
    agreed = (
        clients["maintenance"].astype("string").fillna("")
        if "maintenance" in clients
        else pd.Series([""] * len(clients), dtype="string")
    )
    by_client = sessions.groupby(sessions["client_id"].astype(str))["session"]
    done = ids.map(by_client.size()).fillna(0).astype(int)
    last = ids.map(by_client.max()).astype("Int64")

    phq = _latest_phq9(sessions, ids)
    flags = {cid: flag.headline() for cid, flag in safety_flags(inventory).items()}
    return pd.DataFrame(
        {
            "client_id": ids,
            "label": clients["label"].astype("string"),
            "sessions_done": done,
            "planned_sessions": planned,
            "last_session": last,
            "phase": pd.array(
                [
                    str(CoursePlan.of(p, m).phase(int(s))) if s is not pd.NA else pd.NA
                    for p, m, s in zip(planned, agreed, last, strict=True)
                ],
                dtype="string",
            ),
            **phq,
            "focus": clients["focus"].astype("string").map(focus_words, na_action="ignore"),
            "safety_flag": ids.map(flags).astype("string"),
        },
        columns=list(OVERVIEW_COLUMNS),
    )


def _latest_phq9(sessions: pd.DataFrame, ids: pd.Series) -> dict[str, pd.Series]:
    """The PHQ-9 columns of :data:`OVERVIEW_COLUMNS`, one value per client of ``ids``."""
    scores = phq9_scores(sessions)
    frame = pd.concat([sessions[["client_id", "session"]], scores], axis=1)
    frame = frame.assign(
        client_id=frame["client_id"].astype(str),
        difficulty=sessions["phq9_difficulty"].astype("Int64")
        if "phq9_difficulty" in sessions
        else pd.array([pd.NA] * len(sessions), dtype="Int64"),
    ).sort_values(["client_id", "session"], kind="stable")
    scored = frame[frame["phq9_total"].notna()]
    by_client = scored.groupby("client_id")
    first = by_client.head(1).set_index("client_id")
    latest = by_client.tail(1).set_index("client_id")
    total = ids.map(latest["phq9_total"]).astype("Int64")
    baseline = ids.map(first["phq9_total"]).astype("Int64")
    drop = baseline - total
    measurable = baseline >= PHQ9_RESPONSE_MIN_BASELINE
    response = (2 * drop >= baseline).astype("boolean").where(measurable, pd.NA)
    incomplete = frame[frame["phq9_incomplete"]]
    later = incomplete.merge(
        latest["session"].rename("scored_at"), left_on="client_id", right_index=True, how="left"
    )
    later = later[later["scored_at"].isna() | (later["session"] > later["scored_at"])]
    return {
        "phq9_session": ids.map(latest["session"]).astype("Int64"),
        "phq9_total": total,
        "phq9_prorated": ids.map(latest["phq9_prorated"]).astype("boolean"),
        "phq9_band": pd.array(
            [phq9_band(int(t)) if t is not pd.NA else pd.NA for t in total], dtype="string"
        ),
        "phq9_baseline": baseline,
        "phq9_change": (total - baseline).astype("Int64"),
        "phq9_response": response,
        "phq9_reliable_change": (drop >= PHQ9_RELIABLE_DROP).astype("boolean"),
        "phq9_difficulty": ids.map(latest["difficulty"]).astype("Int64"),
        "phq9_item9_asked": ids.map(latest["phq9_item9"].notna()).astype("boolean"),
        "phq9_incomplete_session": ids.map(later.groupby("client_id")["session"].max()).astype(
            "Int64"
        ),
    }


def _person_rows(frame: pd.DataFrame, client_id: str, person_id: str) -> pd.DataFrame:
    return frame[(frame["client_id"] == client_id) & (frame["person_id"] == person_id)]


def _check_person(inventory: Inventory, client_id: str, person_id: str) -> list[int]:
    sessions = inventory.sessions_of(client_id)  # raises ClientNotFound
    if _person_rows(inventory.people, client_id, person_id).empty:
        raise PersonNotFound(client_id, person_id)
    return sessions


def person_history(inventory: Inventory, client_id: str, person_id: str) -> pd.DataFrame:
    """One person across every session of a client.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client.
    client_id, person_id : str
        The client and the person.

    Returns
    -------
    DataFrame
        One row per session of the client, in order: ``session``, ``on_map``
        (bool), ``ring`` (1 inner to 3 outer), ``ring_label``, ``conflict`` and
        ``support`` (0 to 4); the last four are empty where the person was not
        on the map.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    ValueError
        When the client has no such person.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> h = person_history(load_samples(), "dispute-01", "p01")
    >>> bool(h["on_map"].iloc[0]), h["ring_label"].iloc[0] in ("inner", "middle", "outer")
    (True, True)
    """
    _check_person(inventory, client_id, person_id)
    course = course_of(inventory, client_id)
    at = [course.states[s].get(person_id) for s in course.sessions]

    def column(value: Callable[[PersonState], int]) -> pd.arrays.IntegerArray:
        return pd.array([None if st is None else value(st) for st in at], dtype="Int64")

    ring = column(lambda st: st.ring)
    return pd.DataFrame(
        {
            "session": np.asarray(course.sessions, dtype=np.int64),
            "on_map": np.array([st is not None for st in at], dtype=bool),
            "ring": ring,
            "ring_label": pd.Series(ring).map(RING_WORDS).astype("string"),
            "conflict": column(lambda st: st.conflict),
            "support": column(lambda st: st.support),
        }
    )


def person_communication(inventory: Inventory, client_id: str, person_id: str) -> pd.DataFrame:
    """The communication work recorded with one person, by session.

    Returns
    -------
    DataFrame
        ``session, kind, planned, happened, outcome``, sorted by session.

    Raises
    ------
    ClientNotFound, ValueError
        As :func:`person_history` does.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> work = person_communication(load_samples(), "grief-01", "p02")
    >>> list(work.columns)
    ['session', 'kind', 'planned', 'happened', 'outcome']
    """
    _check_person(inventory, client_id, person_id)
    rows = _person_rows(inventory.communication, client_id, person_id)
    columns = ["session", "kind", "planned", "happened", "outcome"]
    return rows.sort_values("session", kind="stable")[columns].reset_index(drop=True)
