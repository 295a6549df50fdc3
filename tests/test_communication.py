"""Tests of ipt_network.clinical.communication: the communication work in words."""

from __future__ import annotations

import pandas as pd

from ipt_network.clinical.communication import communication_items, communication_lines
from ipt_network.io.inventory import Inventory


def test_lines_group_by_person_then_session(samples_inv: Inventory) -> None:
    lines = communication_lines(samples_inv, "deficits-01")
    people = [line for line in lines if not line.startswith("  ")]
    assert people == [
        "Gary (coworker)",
        "Tom (coworker)",
        "Ben (friend)",
        "Josh (friend)",
        "Mom (Julie) (family)",
    ]
    josh = lines.index("Josh (friend)")
    assert lines[josh + 1].startswith("  Session 10, between-session task: Message Josh")
    assert lines[josh + 1].endswith("(did not happen)")
    assert lines[josh + 2].startswith("  Session 11, role-play:")


def test_every_row_appears_once(samples_inv: Inventory) -> None:
    inv = samples_inv
    for cid in inv.client_ids():
        n = int((inv.communication["client_id"] == cid).sum())
        assert len(communication_items(inv, cid)) == n
        assert sum(line.startswith("  Session") for line in communication_lines(inv, cid)) == n


def test_kinds_and_outcomes_in_words(samples_inv: Inventory) -> None:
    items = communication_items(samples_inv, "dispute-01")
    assert {i.kind for i in items} == {
        "communication analysis",
        "role-play",
        "between-session task",
    }
    assert {i.outcome for i in items} == {"went well", "mixed"}


def test_missing_fields_are_left_out(samples_inv: Inventory) -> None:
    inv = samples_inv.for_clients(["grief-01"])
    comm = inv.communication.copy()
    comm.loc[:, "happened"] = pd.NA
    comm.loc[:, "outcome"] = pd.NA
    lines = communication_lines(Inventory(**{**inv.tables(), "communication": comm}), "grief-01")
    assert (
        lines[1]
        == "  Session 3, between-session task: Call Ruth and tell her how hard the evenings are."
    )


def test_no_communication_work_gives_no_lines(samples_inv: Inventory) -> None:
    inv = samples_inv.for_clients(["grief-01"])
    empty = Inventory(**{**inv.tables(), "communication": inv.communication.iloc[0:0]})
    assert communication_lines(empty, "grief-01") == []
