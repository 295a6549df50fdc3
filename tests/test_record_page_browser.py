"""The recording page's middle-phase parts in a real headless Chromium (``pytest --headless``).

A session is recorded with a dispute stage, a piece of communication work with
its skill, and a goal's status, and read back from the store; the treatment
contract and ending form saves on its own.
"""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.keys import Keys

from dashboards import ids
from ipt_network.io.store import Store

CLIENT = "dispute-01"
READY = f"#{ids.RECORD_PEOPLE} table"


def _by_id(component_id: str | dict[str, str]) -> str:
    """A CSS selector for a component, a pattern-matching id too."""
    return f"[id='{ids.dom_id(component_id)}']"


def _choose(duo: Any, component_id: str | dict[str, str], text: str) -> None:
    """Pick the option reading ``text`` in a dropdown, then close its menu."""
    duo.select_dcc_dropdown(_by_id(component_id), value=text)
    duo.find_element("body").send_keys(Keys.ESCAPE)
    duo.wait_for_contains_text(_by_id(component_id), text, timeout=20)


def test_a_session_with_stage_skill_and_goal_status(duo: Any, store: Store) -> None:
    duo.open(f"/client/{CLIENT}/record", READY)
    _choose(duo, ids.RECORD_STAGE, "impasse")
    work = ids.RECORD_WORK_FIELD
    _choose(duo, ids.field_input(work, "person_id"), "Sarah (partner)")
    _choose(duo, ids.field_input(work, "kind"), "role-play")
    _choose(duo, ids.field_input(work, "skill"), "making a request clearly")
    duo.find_element(f"#{ids.RECORD_WORK_ADD}").click()
    duo.wait_for_contains_text(f"#{ids.RECORD_WORK_LIST}", "role-play with Sarah", timeout=20)
    _choose(duo, ids.field_input(ids.RECORD_GOAL_STATUS, "g1"), "set aside")
    duo.find_element(f"#{ids.RECORD_SAVE}").click()
    duo.wait_for_contains_text(f"#{ids.RECORD_MESSAGE}", "Session 17 saved.", timeout=20)
    after = store.inventory([CLIENT])
    assert after.sessions.set_index("session").loc[17, "dispute_stage"] == "impasse"
    work_rows = after.communication[after.communication["session"] == 17]
    assert work_rows[["person_id", "kind", "skill"]].values.tolist() == [
        ["p01", "role_play", "clear_request"]
    ]
    goals = after.goals[after.goals["session"] == 17]
    assert goals[["goal_id", "status"]].values.tolist() == [["g1", "set_aside"]]
    assert duo.get_logs() == []


def test_the_contract_form_saves_on_its_own(duo: Any, store: Store) -> None:
    before = store.inventory([CLIENT])
    duo.open(f"/client/{CLIENT}/record", READY)
    planned = duo.find_element(_by_id(ids.field_input(ids.RECORD_CONTRACT, "planned_sessions")))
    planned.send_keys(Keys.CONTROL, "a")
    planned.send_keys("14")
    _choose(duo, ids.field_input(ids.RECORD_CONTRACT, "maintenance"), "maintenance contract agreed")
    duo.find_element(f"#{ids.RECORD_CONTRACT_SAVE}").click()
    duo.wait_for_contains_text(
        f"#{ids.RECORD_CONTRACT_MESSAGE}", "The contract and ending are saved.", timeout=20
    )
    after = store.inventory([CLIENT])
    row = after.clients.iloc[0]
    assert (int(row["planned_sessions"]), row["maintenance"]) == (14, "agreed")
    assert row["formulation"] == before.clients["formulation"].iloc[0]  # kept as shown
    assert after.sessions_of(CLIENT) == before.sessions_of(CLIENT)  # no session saved
    assert duo.get_logs() == []


def _type_and_save(duo: Any, column: str, text: str, expected: str) -> None:
    """Type ``text`` in a field of the contract form, save it, wait for ``expected``."""
    box = duo.find_element(_by_id(ids.field_input(ids.RECORD_CONTRACT, column)))
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(text)
    duo.find_element(f"#{ids.RECORD_CONTRACT_SAVE}").click()
    duo.wait_for_contains_text(f"#{ids.RECORD_CONTRACT_MESSAGE}", expected, timeout=20)


def test_the_contract_form_keeps_changes_made_after_it_was_opened(duo: Any, store: Store) -> None:
    """The review's scenario: the page is opened, the command line records warning signs,
    the page changes only the planned sessions: the warning signs stay. A field the
    page changes that was changed elsewhere meanwhile is refused."""
    from ipt_network.io.recording import record_contract

    duo.open(f"/client/{CLIENT}/record", READY)
    record_contract(store, CLIENT, {"warning_signs": "CLI-NEW-WARNING"})
    _type_and_save(duo, "planned_sessions", "23", "The contract and ending are saved.")
    row = store.inventory([CLIENT]).clients.iloc[0]
    assert (int(row["planned_sessions"]), row["warning_signs"]) == (23, "CLI-NEW-WARNING")
    record_contract(store, CLIENT, {"gains": "CLI gains"})
    _type_and_save(duo, "gains", "Page gains", "changed since you opened the page")
    assert store.inventory([CLIENT]).clients.iloc[0]["gains"] == "CLI gains"
    saving = duo.find_element(f"#{ids.RECORD_CONTRACT_SAVING}")
    assert not saving.is_displayed()  # shown only while a save runs
    assert duo.get_logs() == []
