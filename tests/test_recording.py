"""Tests of ipt_network.io.recording: drafting, checking and saving a session."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ipt_network import names
from ipt_network.errors import ClientNotFound
from ipt_network.io.contract import PHQ9_ITEMS, TABLES
from ipt_network.io.inventory import Inventory
from ipt_network.io.recording import (
    RecordingError,
    add_person,
    draft_next_session,
    prune_ties,
    record_session,
    session_tables,
)
from ipt_network.io.store import Store


@pytest.fixture
def store(tmp_path: Path, tiny_inv: Inventory) -> Iterator[Store]:
    """A store of the two tiny clients (not the samples the shared fixture holds)."""
    with closing(Store.create(tmp_path / "ipt.db")) as made:
        made.import_inventory(tiny_inv)
        yield made


def _form(tiny_inv: Inventory, **changes: Any) -> dict[str, Any]:
    """The draft of c1's next session as a form would send it, with changes."""
    draft = draft_next_session(tiny_inv, "c1")
    form = {
        "session": draft.session,
        "date": draft.date,
        "people": draft.people,
        "ties": draft.ties,
        "phq9": [1] * 9,
    }
    return {**form, **changes}


def _columns(err: RecordingError) -> set[str]:
    return {str(f.column) for f in err.failures}


def test_draft_starts_from_the_last_map(tiny_inv: Inventory) -> None:
    draft = draft_next_session(tiny_inv, "c1")
    assert draft.session == 3
    assert draft.date == "2026-02-16"  # a week after session 2
    state = {p["person_id"]: (p["ring"], p["conflict"], p["support"]) for p in draft.people}
    assert state == {"p1": (1, 2, 2), "p2": (1, 0, 3)}
    assert {p["name"] for p in draft.people} == {"Ann", "Bo"}
    assert [(t["source"], t["target"]) for t in draft.ties] == [("p2", "p1")]
    assert [p["person_id"] for p in draft.off_map] == ["p3"]


def test_draft_of_a_client_without_sessions(tiny_inv: Inventory) -> None:
    bare = dataclasses.replace(
        tiny_inv, sessions=tiny_inv.sessions[tiny_inv.sessions["client_id"] != "c2"]
    )
    draft = draft_next_session(bare, "c2", today=dt.date(2026, 5, 4))
    assert (draft.session, draft.date, draft.people) == (1, "2026-05-04", [])
    assert [p["person_id"] for p in draft.off_map] == ["p1"]


def test_draft_unknown_client(tiny_inv: Inventory) -> None:
    with pytest.raises(ClientNotFound):
        draft_next_session(tiny_inv, "nobody")


def test_add_person_back_and_new(tiny_inv: Inventory) -> None:
    rows = draft_next_session(tiny_inv, "c1").people
    back = add_person(rows, tiny_inv, "c1", person_id="p3")
    assert back[-1] == {
        "person_id": "p3",
        "name": "Cy",
        "role": "family",
        "ring": 3,
        "conflict": 0,
        "support": 2,
    }
    new = add_person(back, tiny_inv, "c1", name="  Dee ", role="coworker")
    assert new[-1]["name"] == "Dee" and new[-1]["role"] == "coworker"
    assert new[-1]["person_id"] not in {"p1", "p2", "p3"}
    assert len(rows) == 2  # the input rows are not changed


def test_add_person_refusals_name_every_problem(tiny_inv: Inventory) -> None:
    rows = draft_next_session(tiny_inv, "c1").people
    with pytest.raises(RecordingError, match="already on the map"):
        add_person(rows, tiny_inv, "c1", person_id="p1")
    with pytest.raises(RecordingError) as info:
        add_person(rows, tiny_inv, "c1", name="", role="enemy")
    assert _columns(info.value) == {"name", "role"}
    assert "enemy" not in str(info.value)


def test_prune_ties_drops_people_taken_off_the_map() -> None:
    ties: list[Any] = [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}, "junk"]
    assert prune_ties(ties, [{"person_id": "a"}, {"person_id": "b"}]) == [
        {"source": "a", "target": "b"}
    ]


def test_session_tables_turn_the_form_into_contract_rows(tiny_inv: Inventory) -> None:
    people = [dict(p, ring=3) if p["person_id"] == "p1" else p for p in _form(tiny_inv)["people"]]
    people.append(
        {
            "person_id": "p9",
            "name": "Eve",
            "role": "friend",
            "ring": "2",
            "conflict": 0.0,
            "support": 4,
        }
    )
    tables = session_tables(tiny_inv, "c1", **_form(tiny_inv, people=people))
    for name, frame in tables.items():
        assert list(frame.columns) == TABLES[name].names
    rel = tables["relationships"].set_index("person_id")
    assert rel.loc["p1", "ring"] == 3 and rel.loc["p9", "ring"] == 2
    assert tables["people"]["person_id"].tolist() == ["p9"]
    assert tables["sessions"][list(PHQ9_ITEMS)].iloc[0].tolist() == [1] * 9
    assert len(tables["person_ties"]) == 1


def test_blank_phq9_is_no_phq9(tiny_inv: Inventory) -> None:
    tables = session_tables(tiny_inv, "c1", **_form(tiny_inv, phq9=[None, "", " "] + [None] * 6))
    assert tables["sessions"][list(PHQ9_ITEMS)].isna().all(axis=None)


@pytest.mark.parametrize(
    "phq9",
    [
        [None] * 8 + [2],  # item 9 alone
        [1, None, 1, 1, 1, 1, 1, 1, 2],  # one blank
        [1, 1, 1, 1, 1, 1, 1, 1, None],  # item 9 left blank: kept as not asked
    ],
)
def test_a_partly_filled_phq9_is_kept_as_given(tiny_inv: Inventory, phq9: list[int | None]) -> None:
    tables = session_tables(tiny_inv, "c1", **_form(tiny_inv, phq9=phq9))
    stored = tables["sessions"][list(PHQ9_ITEMS)].iloc[0]
    assert [None if pd.isna(v) else int(v) for v in stored] == phq9


def test_a_partly_filled_phq9_with_item9_is_saved_and_flags(
    store: Store, tiny_inv: Inventory
) -> None:
    from ipt_network.clinical.safety import safety_flag

    saved = record_session(store, "c1", **_form(tiny_inv, phq9=[2, 2, None, 2, 2, 2, 2, 2, 2]))
    after = store.inventory(["c1"])
    row = after.sessions[after.sessions["session"] == saved].iloc[0]
    assert pd.isna(row["phq9_3"]) and int(row["phq9_9"]) == 2
    flag = safety_flag(after, "c1")
    assert flag is not None
    assert any(a.session == saved and a.value == 2 for a in flag.answers)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"phq9": [4] + [0] * 8}, "PHQ-9 item 1"),
        ({"phq9": [None] * 8 + [4]}, "PHQ-9 item 9"),
        ({"phq9": [0] * 8 + ["x"]}, "PHQ-9 item 9"),
        ({"phq9": [1.5] + [0] * 8}, "PHQ-9 item 1"),
        ({"phq9": [True] + [0] * 8}, "PHQ-9 item 1"),
        ({"phq9": [1] * 5}, "PHQ-9"),
        ({"date": "2026-02-31"}, "date"),
        ({"date": "16/02/2026"}, "date"),
        ({"date": "2026-02-09"}, "date"),  # same day as the last session
        ({"date": 20260216}, "date"),
        ({"session": 7}, "session"),
        ({"session": "three"}, "session"),
        ({"people": "everyone"}, "people"),
        ({"ties": [{"source": "p1", "target": "p3"}]}, "tie 1"),
        ({"ties": [{"source": "p1", "target": "p1"}]}, "tie 1"),
    ],
)
def test_bad_values_are_refused(tiny_inv: Inventory, change: dict[str, Any], column: str) -> None:
    with pytest.raises(RecordingError) as info:
        session_tables(tiny_inv, "c1", **_form(tiny_inv, **change))
    assert column in _columns(info.value)
    assert "nothing was written" in str(info.value)


def test_bad_people_rows_are_each_named(tiny_inv: Inventory) -> None:
    people = [
        {"person_id": "p1", "ring": 0, "conflict": "a", "support": 2},
        {"person_id": "p1", "ring": 1, "conflict": 0, "support": 2},
        {"person_id": "../x", "ring": 1, "conflict": 0, "support": 2},
        {
            "person_id": "p7",
            "name": "Secret Name",
            "role": "stranger",
            "ring": 1,
            "conflict": 0,
            "support": 9,
        },
        ["not", "a", "row"],
    ]
    with pytest.raises(RecordingError) as info:
        session_tables(tiny_inv, "c1", **_form(tiny_inv, people=people, ties=[]))
    messages = [str(f) for f in info.value.failures]
    assert any("p1" in m and "ring" in m for m in messages)
    assert any("p1" in m and "conflict" in m for m in messages)
    assert any("twice" in m for m in messages)
    assert any("person 3" in m for m in messages)
    assert any("p7" in m and "role" in m for m in messages)
    assert any("p7" in m and "support" in m for m in messages)
    assert any("person 5" in m for m in messages)
    assert "Secret Name" not in str(info.value) and "stranger" not in str(info.value)


def test_record_session_stores_the_whole_session(store: Store, tiny_inv: Inventory) -> None:
    people = _form(tiny_inv)["people"] + [
        {"person_id": "p9", "name": "Eve", "role": "friend", "ring": 2, "conflict": 1, "support": 3}
    ]
    ties = [*_form(tiny_inv)["ties"], {"source": "p9", "target": "p1"}]
    saved = record_session(store, "c1", **_form(tiny_inv, people=people, ties=ties))
    assert saved == 3
    after = store.inventory(["c1"])
    assert after.sessions_of("c1") == [1, 2, 3]
    rel = after.relationships[after.relationships["session"] == 3]
    assert set(rel["person_id"]) == {"p1", "p2", "p9"}
    assert "p9" in set(after.people["person_id"])
    assert len(after.person_ties[after.person_ties["session"] == 3]) == 2


def test_a_bad_session_stores_nothing(store: Store, tiny_inv: Inventory) -> None:
    before = store.inventory(["c1"])
    with pytest.raises(RecordingError):
        record_session(store, "c1", **_form(tiny_inv, phq9=[9] * 9))
    after = store.inventory(["c1"])
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, getattr(after, name))


def test_the_same_session_cannot_be_saved_twice(store: Store, tiny_inv: Inventory) -> None:
    form = _form(tiny_inv)
    record_session(store, "c1", **form)
    with pytest.raises(RecordingError, match="next session is 4"):
        record_session(store, "c1", **form)


def test_roles_offered_are_the_contract_roles(tiny_inv: Inventory) -> None:
    for role in names.ROLES:
        rows = add_person([], tiny_inv, "c1", name="X", role=role)
        assert rows[0]["role"] == role
