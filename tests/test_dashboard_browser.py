"""The dashboard's pages in a real headless Chromium (``pytest --headless``).

Needs Debian's ``chromium`` and ``chromium-driver`` (``make browser`` installs them).
Every page runs under the server's Content-Security-Policy
(:mod:`dashboards.security`). Client ids that need percent-encoding in an address
are tested here too: as links and pages built in Python, and clicked through.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import dash
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboards import ids
from dashboards.app import create_app
from dashboards.callbacks import client_rows, save_session
from dashboards.pages import client as client_page
from dashboards.pages import record as record_page
from ipt_network.clinical.safety import CRISIS_LINE
from ipt_network.io.inventory import Inventory
from ipt_network.io.recording import draft_next_session
from ipt_network.io.store import Store

MAP_TITLE = f"#{ids.MAP} .gtitle"
#: Client ids that need percent-encoding in an address: a space, a quote, a slash, an emoji.
ODD_IDS: Final = ("two words", 'say "hi"', "a/b", "seedling 🌱")


def test_every_page_loads_without_console_errors(duo: Any) -> None:
    pages = {
        "/": f"#{ids.CLIENT_TABLE} table",
        "/client/grief-01": MAP_TITLE,
        "/client/dispute-01/record": f"#{ids.RECORD_PEOPLE} table",
        "/client/nobody": "h1",
    }
    for path, ready in pages.items():
        duo.open(path, ready)
        assert duo.get_logs() == [], path
    duo.wait_for_contains_text("h1", "Client not found")


def test_moving_the_slider_changes_the_map(duo: Any, store: Store) -> None:
    duo.open("/client/grief-01", MAP_TITLE)
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 14", timeout=20)
    people_before = duo.find_element(f"#{ids.MAP_TABLE}").get_attribute("textContent")
    thumb = duo.find_element(f"#{ids.SESSION_SLIDER} [role=slider]")
    thumb.send_keys(Keys.HOME)
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 1", timeout=20)
    assert duo.find_element(f"#{ids.MAP_TABLE}").get_attribute("textContent") != people_before
    thumb.send_keys(Keys.ARROW_RIGHT)
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 2", timeout=20)
    duo.wait_for_contains_text(f"#{ids.CHANGES}", "Session 2:", timeout=20)
    duo.wait_for_contains_text(f"#{ids.PROBLEM_AREAS}", "as of session 2", timeout=20)
    # the patches moved the markers and the timeline's current entry to session 2
    for graph in (ids.PHQ9, ids.TRENDS):
        marked = _marker_sessions(duo, graph)
        assert marked and set(marked) == {2}, (graph, marked)
    current = duo.find_elements(f"#{ids.TIMELINE} li.current")
    sessions = store.inventory(["grief-01"]).sessions
    date = str(sessions.loc[sessions["session"] == 2, "date"].iloc[0])
    assert current and all(date in li.text for li in current)
    assert duo.get_logs() == []


def _marker_sessions(duo: Any, graph: str) -> list[Any]:
    """The x of every current-session marker drawn on a graph (lines and label)."""
    return list(
        duo.driver.execute_script(
            "const el = document.querySelector(arguments[0]);"
            "const lay = el.layout;"
            "return (lay.shapes || []).filter(s => s.line && s.line.dash === 'dot')"
            ".map(s => s.x0).concat((lay.annotations || [])"
            ".filter(a => a.text === 'this session').map(a => a.x));",
            f"#{graph} .js-plotly-plot",
        )
    )


def test_play_and_compare(duo: Any) -> None:
    duo.open("/client/dispute-01", MAP_TITLE)
    duo.find_element(f"#{ids.PLAY}").click()
    duo.wait_for_text_to_equal(MAP_TITLE, "Relationship map, session 2", timeout=20)
    duo.find_element(f"#{ids.PLAY}").click()  # pause
    duo.wait_for_contains_text(f"#{ids.PLAY}", "Play", timeout=20)
    duo.find_element(f"#{ids.COMPARE_ON} input").click()
    duo.wait_for_contains_text(MAP_TITLE, "compared with session 1", timeout=20)
    assert duo.get_logs() == []


def test_client_view_hides_the_clinical_panel_and_keeps_the_crisis_line(duo: Any) -> None:
    duo.open("/client/grief-01", MAP_TITLE)
    duo.wait_for_contains_text(f"#{ids.BANNER}", "SAFETY FLAG", timeout=20)
    duo.find_element(f"#{ids.CLIENT_VIEW} input").click()
    duo.wait_for_class_to_equal(f"#{ids.PAGE}", "page client-page client-view", timeout=20)
    duo.wait_for_text_to_equal(f"#{ids.BANNER}", CRISIS_LINE, timeout=20)
    assert not duo.find_element(f"#{ids.CLINICAL}").is_displayed()
    assert "support" not in duo.find_element(f"#{ids.MAP_TABLE}").get_attribute("textContent")
    # a slider step in client view moves the map and sends nothing clinical
    duo.find_element(f"#{ids.SESSION_SLIDER} [role=slider]").send_keys(Keys.ARROW_LEFT)
    duo.wait_for_text_to_equal(MAP_TITLE, "Your relationships, session 13", timeout=20)
    for hidden in (ids.CHANGES, ids.PROBLEM_AREAS, ids.TIMELINE):
        assert duo.find_element(f"#{hidden}").get_attribute("textContent") == "", hidden
    assert not duo.find_element(f"#{ids.CLINICAL}").is_displayed()
    # back in the therapist's view the panels are filled again: the changes of the session the
    # slider is on, and the problem areas as of the decision (the focus was chosen at session 2)
    duo.find_element(f"#{ids.CLIENT_VIEW} input").click()
    duo.wait_for_contains_text(f"#{ids.CHANGES}", "Session 13", timeout=20)
    duo.wait_for_contains_text(
        f"#{ids.PROBLEM_AREAS}", "as of session 2, when the focus was chosen", timeout=20
    )
    duo.wait_for_contains_text(f"#{ids.BANNER}", "SAFETY FLAG", timeout=20)
    assert duo.get_logs() == []


def test_the_middle_phase_work_card_follows_the_slider(duo: Any) -> None:
    work = f"#{ids.WORK}"
    duo.open("/client/grief-01", MAP_TITLE)
    duo.wait_for_contains_text(work, "Re-engagement after Frank's death: Pastor Helen", timeout=20)
    duo.wait_for_contains_text(work, "Dorothy (session 9)", timeout=20)
    thumb = duo.find_element(f"#{ids.SESSION_SLIDER} [role=slider]")
    thumb.send_keys(Keys.HOME)
    duo.wait_for_contains_text(work, "Recorded up to session 1.", timeout=20)
    assert "Re-engagement" not in duo.find_element(work).get_attribute("textContent")
    duo.find_element(f"#{ids.CLIENT_VIEW} input").click()  # hidden and emptied on a shared screen
    duo.wait_for_class_to_equal(f"#{ids.PAGE}", "page client-page client-view", timeout=20)
    duo.wait_for_text_to_equal(work, "", timeout=20)
    assert not duo.find_element(work).is_displayed()
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
    duo.open("/client/dispute-01/record", f"#{ids.RECORD_PEOPLE} table")
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
    duo.open("/client/dispute-01/record", f"#{ids.RECORD_PEOPLE} table")
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


def test_an_inline_script_injected_into_a_page_is_blocked(duo: Any) -> None:
    duo.open("/", f"#{ids.CLIENT_TABLE} table")
    ran = duo.driver.execute_script(
        "var s = document.createElement('script');"
        "s.textContent = 'window.__injected = true';"
        "document.head.appendChild(s);"
        "return window.__injected === true;"
    )
    assert ran is False
    [violation] = duo.get_logs()
    assert violation["source"] == "security" and "Content Security Policy" in violation["message"]


# ---------------------------------------------------------------- ids that need encoding


@pytest.fixture
def odd_store(tmp_path: Path, samples_inv: Inventory) -> Iterator[Store]:
    """The four sample clients renamed to :data:`ODD_IDS`."""
    samples = samples_inv
    renamed = dict(zip(sorted(samples.client_ids()), ODD_IDS, strict=True))
    s = Store.create(tmp_path / "odd.db")
    s.import_inventory(
        Inventory.from_tables(
            {name: t.assign(client_id=t["client_id"].map(renamed)) for name, t in samples.items()}
        )
    )
    yield s
    s.close()


def _links(component: Any) -> list[Any]:
    """Every dcc.Link in a component tree."""
    if isinstance(component, list | tuple):
        return [link for c in component for link in _links(c)]
    found = [component] if isinstance(component, dash.dcc.Link) else []
    return found + _links(getattr(component, "children", None) or [])


def test_the_client_list_links_percent_encode_ids(odd_store: Store) -> None:
    links = {link.children: link.href for link in _links(client_rows(odd_store))}
    assert set(links) == set(ODD_IDS)
    for client_id, href in links.items():
        assert href == "/client/" + quote(client_id, safe="")
        assert href.count("/") == 2 and " " not in href and '"' not in href


def test_pages_read_encoded_ids_and_link_onwards_encoded(odd_store: Store) -> None:
    app = create_app(odd_store)
    with app.server.test_request_context("/"):
        for client_id in ODD_IDS:
            encoded = quote(client_id, safe="")
            page = client_page.layout(client_id=encoded)
            record = record_page.layout(client_id=encoded)
            assert page.children[1].children[1].children == client_id  # the page's h1
            assert "Record session" in record.children[2].children[1].children
            hrefs = {link.href for link in _links(page) + _links(record)}
            assert {f"/client/{encoded}", f"/client/{encoded}/record"} <= hrefs
            assert "Client not found" in str(client_page.layout(client_id=client_id + "x"))


def test_the_save_message_links_to_the_encoded_id(odd_store: Store) -> None:
    client_id = 'say "hi"'
    draft = draft_next_session(odd_store.inventory([client_id]), client_id)
    ties = [f"{t['source']}|{t['target']}" for t in draft.ties]
    children, cls = save_session(
        odd_store, client_id, draft.session, draft.date, draft.people, {}, ties, [0] * 9
    )
    assert cls == "message ok"
    assert [link.href for link in _links(children)] == ["/client/say%20%22hi%22"]


def test_odd_ids_click_through_from_the_client_list(dash_duo: Any, odd_store: Store) -> None:
    dash_duo.driver.set_window_size(1500, 1300)
    dash_duo.start_server(create_app(odd_store))
    for client_id in ODD_IDS:
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}/")
        dash_duo.wait_for_element(f"#{ids.CLIENT_TABLE} table", timeout=20)
        dash_duo.driver.find_element(By.LINK_TEXT, client_id).click()
        dash_duo.wait_for_text_to_equal("h1", client_id, timeout=20)
        dash_duo.wait_for_element(MAP_TITLE, timeout=20)
        assert dash_duo.driver.current_url.endswith("/client/" + quote(client_id, safe=""))
        dash_duo.find_element(f"#{ids.RECORD_LINK}").click()
        dash_duo.wait_for_contains_text("h1", "Record session", timeout=20)
        assert client_id in dash_duo.find_element(".lede").text
    assert dash_duo.get_logs() == []
