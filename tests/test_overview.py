"""Tests of ipt_network.views.overview: client list rows and one person's history."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd
import pytest

from ipt_network import names
from ipt_network.clinical.measures import phq9_totals
from ipt_network.errors import ClientNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.views.overview import (
    OVERVIEW_COLUMNS,
    client_overview,
    person_communication,
    person_history,
)
from ipt_network.words import RING_WORDS


def test_client_rows_follow_the_course(tiny_inv: Inventory) -> None:
    rows = client_overview(tiny_inv).set_index("client_id")
    assert list(client_overview(tiny_inv).columns) == list(OVERVIEW_COLUMNS)
    c1 = rows.loc["c1"]
    # c1: 2 sessions of 12 planned; session 2 is in the initial phase of a 12-session course.
    assert (c1["sessions_done"], c1["planned_sessions"], c1["last_session"]) == (2, 12, 2)
    assert c1["phase"] == "initial"
    # Latest full PHQ-9 is session 2: eight items of 1 and item 9 of 0.
    assert (c1["phq9_session"], c1["phq9_total"], c1["phq9_band"]) == (2, 8, "mild")
    assert c1["focus"] == "role dispute"
    # Item 9 was 1 at session 1 only, and asked again (answered 0) at session 2.
    assert c1["safety_flag"].startswith("SAFETY FLAG: PHQ-9 item 9")
    assert "several days at session 1; last asked at session 2." in c1["safety_flag"]
    assert bool(c1["phq9_item9_asked"]) and not bool(c1["phq9_prorated"])


def _overview_of(*phq9: Sequence[int | None], **extra: Sequence[int | None]) -> pd.Series:
    """The overview row of one client whose sessions hold these PHQ-9 answers."""
    from ipt_network.io.contract import PHQ9_ITEMS
    from ipt_network.io.inventory import empty_table

    n = len(phq9)
    sessions = pd.DataFrame(
        {
            "client_id": ["a"] * n,
            "session": range(1, n + 1),
            "date": [f"2026-01-{i:02}" for i in range(1, n + 1)],
            **{c: [row[i] for row in phq9] for i, c in enumerate(PHQ9_ITEMS)},
            **extra,
        }
    )
    sessions = pd.concat([empty_table("sessions"), sessions], ignore_index=True)
    sessions = sessions.astype(empty_table("sessions").dtypes.to_dict())
    clients = pd.DataFrame({"client_id": ["a"], "planned_sessions": [12]})
    clients = pd.concat([empty_table("clients"), clients], ignore_index=True)
    clients = clients.astype(empty_table("clients").dtypes.to_dict())
    inv = Inventory.from_tables({"clients": clients, "sessions": sessions})
    return client_overview(inv).iloc[0]


@pytest.mark.parametrize(
    ("baseline", "latest", "response", "reliable"),
    [
        ([1] * 9, [0] * 9, None, True),  # baseline 9: response not measured; drop 9
        ([2, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0], True, False),  # 10 -> 5: drop 5
        ([2, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0, 0], True, True),  # 10 -> 4: drop 6
        ([2, 2, 2, 2, 2, 2, 2, 2, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1], False, True),  # 16 -> 9
    ],
)
def test_overview_response_needs_baseline_10_and_reliable_change_a_drop_of_6(
    baseline: list[int], latest: list[int], response: bool | None, reliable: bool
) -> None:
    row = _overview_of(baseline, latest)
    assert (None if pd.isna(row["phq9_response"]) else bool(row["phq9_response"])) is response
    assert bool(row["phq9_reliable_change"]) is reliable
    assert int(row["phq9_change"]) == sum(latest) - sum(baseline)


def test_overview_marks_a_prorated_total_and_a_later_incomplete_phq9() -> None:
    row = _overview_of(
        [2] * 9,
        [2, 2, 2, 2, 1, 1, 1, 1, None],  # one missing: 12 / 8 * 9 = 13.5, half up to 14
        [None, None, None, 1, 1, 1, 1, 1, 2],  # three missing: no total
        phq9_difficulty=[3, 2, None],
    )
    assert (int(row["phq9_session"]), int(row["phq9_total"])) == (2, 14)
    assert bool(row["phq9_prorated"]) and not bool(row["phq9_item9_asked"])
    assert int(row["phq9_difficulty"]) == 2
    assert int(row["phq9_incomplete_session"]) == 3
    assert row["safety_flag"].endswith(
        "above 0: more than half the days at session 1, more than half the days at session 3; "
        "last asked at session 3."
    )


def test_client_without_phq9_or_focus_has_empty_cells(tiny_inv: Inventory) -> None:
    c2 = client_overview(tiny_inv).set_index("client_id").loc["c2"]
    assert c2["sessions_done"] == 1
    assert c2["planned_sessions"] == 16  # the default plan
    assert pd.isna(c2["phq9_total"]) and pd.isna(c2["phq9_band"])
    assert pd.isna(c2["safety_flag"]) and pd.isna(c2["focus"])


def test_client_with_no_sessions_is_not_started(tiny_inv: Inventory) -> None:
    none = dataclasses.replace(
        tiny_inv, sessions=tiny_inv.sessions[tiny_inv.sessions["client_id"] != "c2"]
    )
    c2 = client_overview(none).set_index("client_id").loc["c2"]
    assert c2["sessions_done"] == 0
    assert pd.isna(c2["last_session"]) and pd.isna(c2["phase"])


def test_band_follows_the_latest_full_phq9(samples_inv: Inventory) -> None:
    inv = samples_inv
    rows = client_overview(inv).set_index("client_id")
    for cid in inv.client_ids():
        sessions = inv.sessions[inv.sessions["client_id"] == cid]
        totals = phq9_totals(sessions).dropna()
        last = sessions.loc[totals.index, "session"].max()
        assert rows.loc[cid, "phq9_session"] == last
        assert rows.loc[cid, "phq9_total"] == totals[sessions["session"] == last].iloc[0]


def test_person_history_marks_sessions_off_the_map(tiny_inv: Inventory) -> None:
    history = person_history(tiny_inv, "c1", "p3")
    assert history["session"].tolist() == [1, 2]
    assert history["on_map"].tolist() == [True, False]
    assert history["ring_label"].iloc[0] == RING_WORDS[1]
    assert history["ring"].isna().tolist() == [False, True]
    moved = person_history(tiny_inv, "c1", "p2")
    assert moved["ring"].tolist() == [2, 1]  # p2 moved into the inner ring


def test_person_history_refuses_unknown_ids(tiny_inv: Inventory) -> None:
    with pytest.raises(ValueError, match="no person"):
        person_history(tiny_inv, "c1", "nobody")
    with pytest.raises(ClientNotFound):
        person_history(tiny_inv, "zz", "p1")


def test_person_communication_lists_the_work_by_session(samples_inv: Inventory) -> None:
    inv = samples_inv
    comm = inv.communication
    pid = str(comm.loc[comm["client_id"] == "grief-01", "person_id"].iloc[0])
    work = person_communication(inv, "grief-01", pid)
    expected = comm[(comm["client_id"] == "grief-01") & (comm["person_id"] == pid)]
    assert len(work) == len(expected) > 0
    assert work["session"].is_monotonic_increasing
    assert set(work["kind"]) <= set(names.COMMUNICATION_KINDS)


def test_person_communication_empty_when_none(tiny_inv: Inventory) -> None:
    assert person_communication(tiny_inv, "c1", "p1").empty
