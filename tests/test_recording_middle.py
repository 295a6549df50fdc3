"""Recording the middle phase with a session: the dispute stage, the PHQ-9 difficulty item,
communication work, goals and the area records; and the contract and ending form.

Every value may come from a browser: good values are stored whole, bad ones are
listed together and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from dashboards.callbacks.record import (
    add_work_row,
    by_index,
    middle_phase,
    save_contract,
    save_session,
)
from ipt_network import Inventory, Store
from ipt_network.io.contract import MAX_CELL_CHARS, TABLES
from ipt_network.io.recording import (
    CONTRACT_FORM,
    RecordingError,
    add_work,
    client_goals,
    contract_draft,
    contract_values,
    draft_next_session,
    record_contract,
    record_session,
    session_tables,
)

CLIENT = "dispute-01"
SECRET = "Secret words of the client"


def _form(inventory: Inventory, **changes: Any) -> dict[str, Any]:
    draft = draft_next_session(inventory, CLIENT)
    form = {"session": draft.session, "date": draft.date, "people": draft.people}
    return {**form, "ties": draft.ties, **changes}


def _columns(err: RecordingError) -> set[str]:
    return {str(f.column) for f in err.failures}


def _messages(err: RecordingError) -> str:
    return " | ".join(str(f) for f in err.failures)


GOOD = {
    "phq9_difficulty": "2",
    "dispute_stage": "impasse",
    "communication": [
        {
            "person_id": "p01",
            "kind": "communication_analysis",
            "skill": "naming_feeling",
            "outcome": "mixed",
            "planned": "Talk about money",
            "said": SECRET,
            "meant": "I feel left out",
            "breakdown": "Voices rose",
        },
        {"person_id": "p02", "kind": "role_play", "skill": "clear_request"},
        {"person_id": None, "kind": None},  # an empty row left in the form
    ],
    "goals": [
        {"goal_id": "g1", "status": "achieved"},
        {
            "goal_id": None,
            "area": "role_dispute",
            "goal": "Ask for a weekly talk",
            "status": "not_started",
        },
        {"goal_id": "g2", "status": None},  # no status picked: no row
    ],
    "dispute_work": [{"person_id": "p01", "client_expects": SECRET, "person_expects": "Help"}],
    "transition_work": {"old_role": "", "new_role": None},  # nothing typed: no row
    "grief_work": [],
}


def test_session_tables_turn_the_middle_phase_into_rows(samples_inv: Inventory) -> None:
    known = client_goals(samples_inv, CLIENT)
    assert [g["goal_id"] for g in known] == ["g1", "g2"]
    tables = session_tables(samples_inv, CLIENT, **_form(samples_inv, **GOOD))
    for name, frame in tables.items():
        assert list(frame.columns) == TABLES[name].names, name
    session = tables["sessions"].iloc[0]
    assert (int(session["phq9_difficulty"]), session["dispute_stage"]) == (2, "impasse")
    work = tables["communication"]
    assert work["kind"].tolist() == ["communication_analysis", "role_play"]
    assert work["skill"].tolist() == ["naming_feeling", "clear_request"]
    assert work["said"].iloc[0] == SECRET and pd.isna(work["said"].iloc[1])
    rows = tables["goals"]
    assert len(rows) == 2
    kept = rows.iloc[0]
    # a known goal keeps the area and text of its last row
    assert (kept["goal_id"], kept["goal"], kept["area"], kept["status"]) == (
        known[0]["goal_id"],
        known[0]["goal"],
        known[0]["area"],
        "achieved",
    )
    new = rows.iloc[1]
    assert new["goal_id"] not in {g["goal_id"] for g in known}
    assert (new["area"], new["status"]) == ("role_dispute", "not_started")
    assert tables["dispute_work"]["person_expects"].tolist() == ["Help"]
    assert tables["transition_work"].empty and tables["grief_work"].empty


def test_without_the_new_fields_nothing_new_is_made(samples_inv: Inventory) -> None:
    tables = session_tables(samples_inv, CLIENT, **_form(samples_inv))
    row = tables["sessions"].iloc[0]
    assert pd.isna(row["phq9_difficulty"]) and pd.isna(row["dispute_stage"])
    for name in ("communication", "goals", "dispute_work", "transition_work", "grief_work"):
        assert tables[name].empty, name


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"phq9_difficulty": 4}, "PHQ-9 difficulty", "0 to 3"),
        ({"phq9_difficulty": True}, "PHQ-9 difficulty", "0 to 3"),
        ({"phq9_difficulty": "x"}, "PHQ-9 difficulty", "0 to 3"),
        ({"dispute_stage": "stuck"}, "dispute stage", "renegotiation"),
        ({"dispute_stage": ["impasse"]}, "dispute stage", "renegotiation"),
        ({"communication": "all of it"}, "communication work", "a list"),
        ({"communication": [{"person_id": "p01"}]}, "work 1", "needs a kind"),
        ({"communication": [{"person_id": "p01", "kind": "yelling"}]}, "work 1", "kind must be"),
        ({"communication": [{"person_id": "nobody", "kind": "task"}]}, "work 1", "people"),
        (
            {"communication": [{"person_id": "p01", "kind": "task", "skill": "x"}]},
            "work 1",
            "skill",
        ),
        (
            {"communication": [{"person_id": "p01", "kind": "task", "said": SECRET}]},
            "work 1",
            "belong to a communication analysis",
        ),
        (
            {
                "communication": [
                    {"person_id": "p01", "kind": "task", "planned": "x" * (MAX_CELL_CHARS + 1)}
                ]
            },
            "work 1",
            "at most",
        ),
        ({"communication": [{"person_id": "p01", "kind": "task", "planned": 5}]}, "work 1", "text"),
        ({"communication": ["junk"]}, "communication work", "not a set of fields"),
        ({"goals": [{"goal_id": "new-one", "status": "achieved"}]}, "goal 1", "needs an area"),
        ({"goals": [{"goal_id": "../etc", "status": "achieved"}]}, "goal 1", "goal id"),
        ({"goals": [{"goal_id": "g1", "status": "done"}]}, "goal 1", "status must be"),
        (
            {"goals": [{"goal_id": None, "area": "anger", "goal": "x", "status": "achieved"}]},
            "goal 1",
            "area must be",
        ),
        (
            {"goals": [{"goal_id": None, "area": "grief", "goal": "x", "status": None}]},
            "goal 1",
            "needs a status",
        ),
        ({"goals": [{"goal_id": "g1", "status": "achieved"}] * 2}, "goal 2", "twice"),
        ({"dispute_work": [{"client_expects": "x"}]}, "dispute work 1", "people"),
        (
            {"dispute_work": [{"person_id": "p01", "client_expects": "x"}] * 2},
            "dispute work 2",
            "twice",
        ),
        ({"grief_work": [{"person_id": "p01", "memories": 3}]}, "grief work 1", "text"),
        (
            {"transition_work": [{"old_role": "a"}, {"new_role": "b"}]},
            "transition work 2",
            "one record a session",
        ),
    ],
)
def test_bad_middle_phase_values_are_refused(
    samples_inv: Inventory, change: dict[str, Any], column: str, words: str
) -> None:
    with pytest.raises(RecordingError) as info:
        session_tables(samples_inv, CLIENT, **_form(samples_inv, **change))
    assert column in _columns(info.value), _messages(info.value)
    assert words in _messages(info.value)
    assert SECRET not in str(info.value)


def test_every_problem_is_listed_together(samples_inv: Inventory) -> None:
    bad = {
        "phq9_difficulty": 9,
        "dispute_stage": "stuck",
        "communication": [{"person_id": "p01"}],
        "goals": [{"goal_id": "new", "status": "achieved"}],
        "grief_work": [{"memories": "x"}],
    }
    with pytest.raises(RecordingError) as info:
        session_tables(samples_inv, CLIENT, **_form(samples_inv, **bad))
    assert {"PHQ-9 difficulty", "dispute stage", "work 1", "goal 1", "grief work 1"} <= _columns(
        info.value
    )


def test_work_may_name_someone_new_this_session(samples_inv: Inventory) -> None:
    people = [
        *_form(samples_inv)["people"],
        {
            "person_id": "p77",
            "name": "Noor",
            "role": "friend",
            "ring": 3,
            "conflict": 0,
            "support": 2,
        },
    ]
    work = [{"person_id": "p77", "kind": "task", "skill": "repair"}]
    tables = session_tables(
        samples_inv, CLIENT, **_form(samples_inv, people=people, communication=work)
    )
    assert tables["communication"]["person_id"].tolist() == ["p77"]


def test_record_session_stores_the_middle_phase_whole(store: Store) -> None:
    inventory = store.inventory([CLIENT])
    saved = record_session(store, CLIENT, **_form(inventory, **GOOD))
    after = store.inventory([CLIENT])
    row = after.sessions.set_index("session").loc[saved]
    assert (row["dispute_stage"], int(row["phq9_difficulty"])) == ("impasse", 2)
    assert len(after.communication[after.communication["session"] == saved]) == 2
    assert len(after.goals[after.goals["session"] == saved]) == 2
    assert len(after.dispute_work[after.dispute_work["session"] == saved]) == 1


def test_a_bad_middle_phase_value_stores_nothing(store: Store) -> None:
    before = store.inventory([CLIENT])
    revision = store.revision
    with pytest.raises(RecordingError):
        record_session(store, CLIENT, **_form(before, **{**GOOD, "dispute_stage": "stuck"}))
    after = store.inventory([CLIENT])
    assert store.revision == revision
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, getattr(after, name), obj=name)


# ---------------------------------------------------------------- goals, work added on the page


def test_client_goals_give_each_goal_its_last_status(samples_inv: Inventory) -> None:
    goals = client_goals(samples_inv, CLIENT)
    table = samples_inv.goals[samples_inv.goals["client_id"] == CLIENT]
    assert {g["goal_id"] for g in goals} == set(table["goal_id"])
    for goal in goals:
        rows = table[table["goal_id"] == goal["goal_id"]].sort_values("session")
        assert goal["session"] == int(rows["session"].iloc[-1])
        assert goal["status"] == rows["status"].iloc[-1]


def test_add_work_checks_the_piece_and_keeps_the_list(samples_inv: Inventory) -> None:
    first = add_work([], {"person_id": "p01", "kind": "task"}, samples_inv, CLIENT, [])
    both = add_work(first, {"person_id": "p02", "kind": "role_play"}, samples_inv, CLIENT, [])
    assert [r["person_id"] for r in both] == ["p01", "p02"]
    with pytest.raises(RecordingError, match="fill in"):
        add_work(both, {}, samples_inv, CLIENT, [])
    with pytest.raises(RecordingError, match="belong to a communication analysis"):
        add_work(both, {"person_id": "p01", "kind": "task", "meant": "x"}, samples_inv, CLIENT, [])


# ---------------------------------------------------------------- the contract and ending form


def test_contract_values_check_each_field() -> None:
    good = contract_values(
        {
            "planned_sessions": 12.0,
            "contract_date": "2026-01-05",
            "formulation": f"  {SECRET}  ",
            "maintenance": "undecided",
            "gains": "",
        }
    )
    assert good == {
        "planned_sessions": 12,
        "contract_date": "2026-01-05",
        "formulation": SECRET,
        "maintenance": "undecided",
        "gains": None,
    }
    with pytest.raises(RecordingError) as info:
        contract_values(
            {
                "planned_sessions": 7,
                "contract_date": "05/01/2026",
                "maintenance": "forever",
                "warning_signs": ["x"],
                "who": SECRET,
            }
        )
    assert _columns(info.value) == {
        "planned sessions",
        "contract date",
        "maintenance",
        "warning signs",
        "form",
    }
    assert {f.file for f in info.value.failures} == {CONTRACT_FORM}
    assert SECRET not in str(info.value)


def test_record_contract_updates_the_client_only(store: Store) -> None:
    before = store.inventory([CLIENT])
    fields = record_contract(store, CLIENT, {"formulation": SECRET, "maintenance": "agreed"})
    assert fields == ["formulation", "maintenance"]
    after = store.inventory([CLIENT])
    draft = contract_draft(after, CLIENT)
    assert (draft["formulation"], draft["maintenance"]) == (SECRET, "agreed")
    assert draft["planned_sessions"] == int(before.clients["planned_sessions"].iloc[0])
    assert after.sessions_of(CLIENT) == before.sessions_of(CLIENT)


# ---------------------------------------------------------------- the page's callbacks


def test_by_index_and_middle_phase_arrange_the_browser_values() -> None:
    keys = [{"type": "t", "index": "a"}, {"type": "t", "index": 3}, "junk"]
    assert by_index(keys, [1, 2, 3]) == {"a": 1}
    assert by_index("junk", [1]) == {}
    fields = middle_phase(
        "impasse",
        "1",
        [{"kind": "task"}, {"kind": "role_play"}, "junk"],
        ["0", 2, None],
        {"g1": "achieved", "g2": None},
        {"area": "grief", "goal": "Visit", "status": "not_started"},
        {
            "dispute_work-person_id": "p01",
            "dispute_work-client_expects": "x",
            "transition_work-losses": "y",
            "elsewhere-z": "w",
        },
    )
    assert fields["communication"] == [{"kind": "task"}]
    assert fields["goals"] == [
        {"goal_id": "g1", "status": "achieved"},
        {"goal_id": None, "area": "grief", "goal": "Visit", "status": "not_started"},
    ]
    assert fields["dispute_work"] == [{"person_id": "p01", "client_expects": "x"}]
    assert fields["transition_work"] == {"losses": "y"}
    assert fields["grief_work"] == [{}]
    assert middle_phase(None, None, "junk", "junk", {}, {}, {})["communication"] == []


def test_save_session_with_the_middle_phase(store: Store) -> None:
    draft = draft_next_session(store.inventory([CLIENT]), CLIENT)
    extra = middle_phase(
        "renegotiation",
        None,
        [{"person_id": "p01", "kind": "role_play", "skill": "repair"}],
        ["0"],
        {},
        {},
        {},
    )
    children, css = save_session(
        store, CLIENT, draft.session, draft.date, draft.people, {}, [], [None] * 9, extra
    )
    assert css == "message ok", children
    after = store.inventory([CLIENT])
    assert (
        after.sessions.set_index("session").loc[draft.session, "dispute_stage"] == "renegotiation"
    )
    assert after.communication["skill"].iloc[-1] == "repair"
    bad = middle_phase("stuck", 7, [], [], {}, {}, {})
    children, css = save_session(
        store, CLIENT, draft.session + 1, "2099-01-01", draft.people, {}, [], None, bad
    )
    text = str(children)
    assert css == "message error" and "dispute stage" in text and "PHQ-9 difficulty" in text


def test_save_contract_says_what_happened(store: Store) -> None:
    opened = contract_draft(store.inventory([CLIENT]), CLIENT)
    form = {**opened, "gains": SECRET, "planned_sessions": "14"}
    children, css, now = save_contract(store, CLIENT, form, opened)
    assert css == "message ok"
    assert SECRET not in str(children)
    assert int(store.inventory([CLIENT]).clients["planned_sessions"].iloc[0]) == 14
    assert now["planned_sessions"] == 14 and now["gains"] == SECRET
    revision = store.revision
    children, css, _ = save_contract(store, CLIENT, {**now, "planned_sessions": "99"}, now)
    assert css == "message error" and "planned sessions" in str(children)
    assert SECRET not in str(children)
    assert store.revision == revision


def test_contract_form_keeps_a_change_made_elsewhere_after_loading(store: Store) -> None:
    """The review's scenario: the page is opened, the CLI records warning signs, then
    the page saves planned sessions: the CLI's warning signs stay."""
    opened = contract_draft(store.inventory([CLIENT]), CLIENT)
    record_contract(store, CLIENT, {"warning_signs": "CLI-NEW-WARNING"})
    children, css, now = save_contract(store, CLIENT, {**opened, "planned_sessions": 23}, opened)
    assert css == "message ok", children
    row = store.inventory([CLIENT]).clients.iloc[0]
    assert row["warning_signs"] == "CLI-NEW-WARNING" and int(row["planned_sessions"]) == 23
    assert now["warning_signs"] == "CLI-NEW-WARNING"


def test_contract_form_refuses_a_field_changed_since_loading(store: Store) -> None:
    opened = contract_draft(store.inventory([CLIENT]), CLIENT)
    record_contract(store, CLIENT, {"warning_signs": "CLI-NEW-WARNING"})
    revision = store.revision
    form = {**opened, "warning_signs": "page words", "planned_sessions": 23}
    children, css, loaded = save_contract(store, CLIENT, form, opened)
    assert css == "message error" and "changed since you opened the page" in str(children)
    assert "page words" not in str(children) and "CLI-NEW-WARNING" not in str(children)
    assert store.revision == revision
    row = store.inventory([CLIENT]).clients.iloc[0]
    assert row["warning_signs"] == "CLI-NEW-WARNING"
    assert int(row["planned_sessions"]) == int(opened["planned_sessions"])


def test_contract_form_unchanged_writes_nothing(store: Store) -> None:
    opened = contract_draft(store.inventory([CLIENT]), CLIENT)
    revision = store.revision
    assert record_contract(store, CLIENT, dict(opened), loaded=opened) == []
    assert store.revision == revision


def test_contract_date_before_the_first_session_is_refused(store: Store) -> None:
    inventory = store.inventory([CLIENT])
    first = str(inventory.sessions.sort_values("session")["date"].iloc[0])
    with pytest.raises(RecordingError) as err:
        record_contract(store, CLIENT, {"contract_date": "2024-01-01"})
    assert "first session" in _messages(err.value)
    assert record_contract(store, CLIENT, {"contract_date": first}) == ["contract_date"]


def test_add_work_row_reports_problems_and_ticks_what_it_adds(store: Store) -> None:
    rows, options, ticked, message = add_work_row(
        store, CLIENT, [], [], {"person_id": "p01", "kind": "task", "skill": "repair"}, []
    )
    assert len(rows) == 1 and ticked == ["0"] and "Added" in message
    assert "between-session task with Sarah" in options[0]["label"]
    rows, options, ticked, message = add_work_row(store, CLIENT, rows, ticked, {"kind": "x"}, [])
    assert len(rows) == 1 and ticked == ["0"] and "work 1" in message


def test_an_empty_contract_form_is_refused() -> None:
    """The contract form's failures name the form, not a file on disk."""
    with pytest.raises(RecordingError) as info:
        contract_values({})
    assert str(info.value.failures[0]).startswith(CONTRACT_FORM)


def test_a_kept_person_carries_the_last_maps_other_fields(samples_once: Inventory) -> None:
    """Only ring, conflict and support are edited on the page: the rest of each kept
    person's row is carried forward, unless the form gives a value."""
    rel = samples_once.relationships
    last = rel[
        (rel["client_id"] == CLIENT)
        & (rel["session"] == rel[rel["client_id"] == CLIENT]["session"].max())
    ]
    before = last.set_index("person_id")
    filled = before["expectations_met"].notna() & before["contact_frequency"].notna()
    assert filled.any(), "the sample needs a person with these fields recorded"
    pid = str(filled[filled].index[0])
    people = [
        {k: v for k, v in p.items() if k in ("person_id", "ring", "conflict", "support")}
        for p in draft_next_session(samples_once, CLIENT).people
    ]
    people = [{**p, "notes": "new words"} if p["person_id"] == pid else p for p in people]
    tables = session_tables(samples_once, CLIENT, **_form(samples_once, people=people))
    after = tables["relationships"].set_index("person_id")
    for column in ("contact_frequency", "expectations_met", "knows_about_depression"):
        assert after.at[pid, column] == before.at[pid, column], column
    for column in ("satisfying", "unsatisfying", "wants_to_change"):
        assert after[column].isna().sum() == before[column].isna().sum(), column
    assert after.at[pid, "notes"] == "new words"
    with pytest.raises(RecordingError) as err:
        bad = [{**p, "expectations_met": 9} if p["person_id"] == pid else p for p in people]
        session_tables(samples_once, CLIENT, **_form(samples_once, people=bad))
    assert f"person {pid}" in _columns(err.value)


def test_grief_work_on_the_page_needs_someone_who_died(samples_inv: Inventory) -> None:
    with pytest.raises(RecordingError) as err:
        session_tables(
            samples_inv,
            CLIENT,
            **_form(samples_inv, grief_work=[{"person_id": "p01", "memories": "m"}]),
        )
    assert "p01 had not died by this session" in _messages(err.value)
    draft = draft_next_session(samples_inv, "grief-01")
    tables = session_tables(
        samples_inv,
        "grief-01",
        session=draft.session,
        date=draft.date,
        people=draft.people,
        grief_work=[{"person_id": "p01", "memories": "m"}],
    )
    assert tables["grief_work"]["person_id"].tolist() == ["p01"]


def test_a_new_goal_with_a_known_goals_words_is_that_goal(samples_inv: Inventory) -> None:
    known = client_goals(samples_inv, CLIENT)[0]
    shouted = "  " + known["goal"].upper() + " "
    entry = {"goal_id": None, "area": known["area"], "goal": shouted, "status": "achieved"}
    tables = session_tables(samples_inv, CLIENT, **_form(samples_inv, goals=[entry]))
    row = tables["goals"].iloc[0]
    assert (row["goal_id"], row["goal"]) == (known["goal_id"], known["goal"])
    other = "grief" if known["area"] != "grief" else "role_dispute"
    with pytest.raises(RecordingError) as err:
        session_tables(samples_inv, CLIENT, **_form(samples_inv, goals=[{**entry, "area": other}]))
    assert f"goal {known['goal_id']} is a" in _messages(err.value)
