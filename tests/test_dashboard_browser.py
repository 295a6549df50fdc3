"""The dashboard's pages in a real headless Chromium (``pytest --headless``).

Needs Debian's ``chromium`` and ``chromium-driver`` (``make browser`` installs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.keys import Keys

from dashboards import ids
from dashboards.app import create_app
from ipt_network import load_samples
from ipt_network.safety import CRISIS_LINE
from ipt_network.store import Store

MAP_TITLE = f"#{ids.MAP} .gtitle"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.create(tmp_path / "ipt.db")
    s.import_inventory(load_samples())
    yield s
    s.close()


@pytest.fixture
def duo(dash_duo: Any, store: Store) -> Any:
    """dash_duo serving a fresh app on the sample store, with a roomy window."""
    dash_duo.driver.set_window_size(1500, 1300)
    dash_duo.start_server(create_app(store))
    return dash_duo


def _open(duo: Any, path: str, ready: str) -> None:
    duo.wait_for_page(url=f"{duo.server_url}{path}")
    duo.wait_for_element(ready, timeout=20)


def test_every_page_loads_without_console_errors(duo: Any) -> None:
    pages = {
        "/": f"#{ids.CLIENT_TABLE} table",
        "/client/grief-01": MAP_TITLE,
        "/client/dispute-01/record": f"#{ids.RECORD_PEOPLE} table",
        "/client/nobody": "h1",
    }
    for path, ready in pages.items():
        _open(duo, path, ready)
        assert duo.get_logs() == [], path
    duo.wait_for_contains_text("h1", "Client not found")


def test_moving_the_slider_changes_the_map(duo: Any) -> None:
    _open(duo, "/client/grief-01", MAP_TITLE)
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 14", timeout=20)
    people_before = duo.find_element(f"#{ids.MAP_TABLE}").get_attribute("textContent")
    thumb = duo.find_element(f"#{ids.SESSION_SLIDER} [role=slider]")
    thumb.send_keys(Keys.HOME)
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 1", timeout=20)
    assert duo.find_element(f"#{ids.MAP_TABLE}").get_attribute("textContent") != people_before
    thumb.send_keys(Keys.ARROW_RIGHT)
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 2", timeout=20)
    duo.wait_for_contains_text(f"#{ids.CHANGES}", "Session 2:", timeout=20)
    assert duo.get_logs() == []


def test_play_and_compare(duo: Any) -> None:
    _open(duo, "/client/dispute-01", MAP_TITLE)
    duo.find_element(f"#{ids.PLAY}").click()
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 2", timeout=20)
    duo.find_element(f"#{ids.PLAY}").click()  # pause
    duo.wait_for_contains_text(f"#{ids.PLAY}", "Play", timeout=20)
    duo.find_element(f"#{ids.COMPARE_ON} input").click()
    duo.wait_for_contains_text(MAP_TITLE, "compared with session 1", timeout=20)
    assert duo.get_logs() == []


def test_client_view_hides_the_clinical_panel_and_keeps_the_crisis_line(duo: Any) -> None:
    _open(duo, "/client/grief-01", MAP_TITLE)
    duo.wait_for_contains_text(f"#{ids.BANNER}", "SAFETY FLAG", timeout=20)
    duo.find_element(f"#{ids.CLIENT_VIEW} input").click()
    duo.wait_for_class_to_equal(f"#{ids.PAGE}", "page client-page client-view", timeout=20)
    duo.wait_for_text_to_equal(f"#{ids.BANNER}", CRISIS_LINE, timeout=20)
    assert not duo.find_element(f"#{ids.CLINICAL}").is_displayed()
    assert "support" not in duo.find_element(f"#{ids.MAP_TABLE}").get_attribute("textContent")
    assert duo.get_logs() == []


def _type_phq9(duo: Any, answers: list[str]) -> None:
    boxes = duo.find_elements(".phq9-items input")
    assert len(boxes) == 9
    for box, answer in zip(boxes, answers, strict=True):
        box.send_keys(answer)


def test_recording_a_session_through_the_form(duo: Any, store: Store) -> None:
    before = store.inventory(["dispute-01"])
    first = before.relationships[before.relationships["session"] == 16].iloc[0]
    new_ring = 3 if int(first["ring"]) != 3 else 1
    _open(duo, "/client/dispute-01/record", f"#{ids.RECORD_PEOPLE} table")
    where = f"#{ids.RECORD_PEOPLE}"
    ring = duo.find_elements(f"{where} input.{ids.RECORD_RING}, {where} .{ids.RECORD_RING} input")[
        0
    ]
    ring.send_keys(Keys.CONTROL, "a")
    ring.send_keys(str(new_ring))
    _type_phq9(duo, ["1", "1", "0", "1", "0", "0", "1", "0", "0"])
    duo.find_element(f"#{ids.RECORD_SAVE}").click()
    duo.wait_for_contains_text(f"#{ids.RECORD_MESSAGE}", "Session 17 saved.", timeout=20)
    after = store.inventory(["dispute-01"])
    assert after.sessions_of("dispute-01")[-1] == 17
    row = after.sessions[after.sessions["session"] == 17].iloc[0]
    assert [int(row[f"phq9_{i}"]) for i in range(1, 10)] == [1, 1, 0, 1, 0, 0, 1, 0, 0]
    rel = after.relationships[after.relationships["session"] == 17].set_index("person_id")
    assert int(rel.loc[first["person_id"], "ring"]) == new_ring
    assert duo.get_logs() == []


def test_a_bad_phq9_shows_the_message_and_changes_nothing(duo: Any, store: Store) -> None:
    before = store.inventory(["dispute-01"])
    _open(duo, "/client/dispute-01/record", f"#{ids.RECORD_PEOPLE} table")
    _type_phq9(duo, ["5", "1", "0", "1", "0", "0", "1", "0", "0"])
    duo.find_element(f"#{ids.RECORD_SAVE}").click()
    duo.wait_for_contains_text(
        f"#{ids.RECORD_MESSAGE}", "PHQ-9 item 1: must be a whole number from 0 to 3", timeout=20
    )
    assert "Nothing was saved" in duo.find_element(f"#{ids.RECORD_MESSAGE}").text
    after = store.inventory(["dispute-01"])
    assert after.sessions_of("dispute-01") == before.sessions_of("dispute-01")
    assert len(after.relationships) == len(before.relationships)
    assert duo.get_logs() == []
