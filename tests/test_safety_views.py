"""A partly filled PHQ-9 with item 9 = 2 goes in, and every clinician view shows the flag.

End to end (issue 9): the row is imported with ``ipt-network import`` and
recorded on the recording page (in headless Chromium, ``pytest --headless``);
then every CLI view (``clients``, ``show``, ``timeline``, ``changes``,
``problem-areas`` as text and JSON) and every dashboard page shows the flag
with the crisis lines of the store's region, while the client view shows every
client the same calm sentence and nothing about the flag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from dash.exceptions import PreventUpdate
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboards import callbacks as cb
from dashboards import ids
from dashboards.app import create_app
from dashboards.components import component_text as text_of
from dashboards.pages import client as client_page
from dashboards.pages import record as record_page
from ipt_network.cli import main
from ipt_network.clinical.safety import client_crisis_line, crisis_lines
from ipt_network.io.contract import PHQ9_ITEMS
from ipt_network.io.store import Store
from ipt_network.io.tidy import read_inventory
from ipt_network.regions import region

#: c1: a full PHQ-9 (item 9 = 0), then one with item 3 blank and item 9 = 2.
#: c2: item 9 not asked, one item of nine missing; never flagged.
SESSIONS = (
    f"client_id,session,date,{','.join(PHQ9_ITEMS)},phq9_difficulty,epds_10,bdi2_9,hamd17_3\n"
    "c1,1,2026-02-02,2,2,2,2,2,2,2,2,0,3,,,\n"
    "c1,2,2026-02-09,1,1,,1,1,1,1,1,2,,,,\n"
    "c2,1,2026-03-01,0,0,0,1,1,1,1,1,,,,,\n"
)
#: What the flag of c1 says, in every clinician view.
NAMED = (
    "PHQ-9 item 9 (thoughts of death or self-harm) above 0: more than half the days at session 2"
)
ASKED = "last asked at session 2"
#: Words that would say or imply that a client is safe or at low risk.
REASSURING = re.compile(r"\b(low risk|no risk|not at risk|safe)\b", re.IGNORECASE)
#: The numbers each region's views must show, and the US number they must not (outside the US).
NUMBERS = {"us": ("988", "911"), "uk": ("116 123", "999")}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def folder(tiny_folder: Path) -> Path:
    """The tiny folder with the sessions above."""
    (tiny_folder / "sessions.csv").write_text(SESSIONS, encoding="utf-8")
    return tiny_folder


@pytest.fixture(params=["us", "uk"])
def db(request: pytest.FixtureRequest, tmp_path: Path, folder: Path) -> str:
    """A store of the region, filled through ``ipt-network import``."""
    path = str(tmp_path / "store.db")
    assert run("init", "--db", path, "--region", request.param)[0] == 0
    code, out = run("import", str(folder), "--db", path)
    assert code == 0, out
    return path


def _check_region_lines(text: str, code: str) -> None:
    for number in NUMBERS[code]:
        assert number in text
    if code != "us":
        assert "988" not in text


def test_the_partly_filled_phq9_goes_in_through_import(db: str) -> None:
    with Store.open(db) as store:
        sessions = store.inventory(["c1"]).sessions.set_index("session")
    assert pd.isna(sessions.loc[2, "phq9_3"]) and int(sessions.loc[2, "phq9_9"]) == 2
    assert int(sessions.loc[1, "phq9_difficulty"]) == 3


@pytest.mark.parametrize(
    "command",
    [["clients"], ["show", "c1"], ["timeline", "c1"], ["changes", "c1"], ["problem-areas", "c1"]],
)
def test_every_cli_view_shows_the_flag_with_the_region_lines(db: str, command: list[str]) -> None:
    code, out = run(*command, "--db", db)
    assert code == 0, out
    assert "SAFETY FLAG" in out and NAMED in out and ASKED in out
    with Store.open(db) as store:
        _check_region_lines(out, store.region.code)
        assert crisis_lines(store.region) in out


@pytest.mark.parametrize("command", [["show"], ["timeline"], ["changes"], ["problem-areas"]])
def test_an_unflagged_client_is_never_called_safe(db: str, command: list[str]) -> None:
    code, out = run(*command, "c2", "--db", db)
    assert code == 0, out
    assert "SAFETY FLAG" not in out and not REASSURING.search(out)


def test_problem_areas_json_has_the_safety_object(db: str) -> None:
    code, out = run("problem-areas", "c1", "--json", "--db", db)
    assert code == 0, out
    safety = json.loads(out)["safety"]
    assert safety["flag"] is True and NAMED in safety["headline"]
    assert [(a["measure"], a["item"], a["session"], a["value"]) for a in safety["answers"]] == [
        ("PHQ-9", 9, 2, 2)
    ]
    assert safety["answers"][0]["words"] == "more than half the days"
    assert safety["last_asked"] == [
        {"measure": "PHQ-9", "item": 9, "column": "phq9_9", "session": 2}
    ]
    with Store.open(db) as store:
        assert safety["region"] == store.region.code
        _check_region_lines(json.dumps(safety["crisis_lines"]), store.region.code)
    code, out = run("problem-areas", "c2", "--json", "--db", db)
    unflagged = json.loads(out)["safety"]
    assert unflagged["flag"] is False and unflagged["answers"] == []
    assert not REASSURING.search(json.dumps(unflagged))


def test_show_and_clients_mark_prorated_totals_and_item9_not_asked(db: str) -> None:
    _, show = run("show", "c1", "--db", db)
    # 1+1+1+1+1+1+1+2 = 9 over 8 answered items: 9 / 8 * 9 = 10.1, so 10, prorated
    assert "10 (prorated)" in show and "2 (more than half the days)" in show
    assert "extremely difficult" in show  # the difficulty item at session 1
    _, show2 = run("show", "c2", "--db", db)
    assert "6 (prorated)" in show2 and "item 9 not asked" in show2  # 5 / 8 * 9 = 5.6
    _, clients = run("clients", "--db", db)
    assert "10 (prorated)" in clients and "item 9 not asked" in clients
    _, timeline = run("timeline", "c2", "--db", db)
    assert "PHQ-9 6 (prorated; mild), item 9 not asked" in timeline


@pytest.fixture
def dash_store(db: str) -> Iterator[Store]:
    store = Store.open(db, write=True)
    yield store
    store.close()


def test_every_dashboard_page_shows_the_flag_with_the_region_lines(dash_store: Store) -> None:
    code = dash_store.region.code
    app = create_app(dash_store)
    with app.server.test_request_context("/"):
        views = {
            "client list": cb.client_rows(dash_store),
            "client page": client_page.layout("c1"),
            "record page": record_page.layout("c1"),
            "banner": cb.view_outputs(dash_store, "c1", [])[1],
            "live banner": cb.record_banner(dash_store, "c1", 3, [None] * 9),
        }
        for name, view in views.items():
            text = text_of(view)
            assert "SAFETY FLAG" in text and NAMED in text and ASKED in text, name
            _check_region_lines(text, code)
        listed = text_of(views["client list"])
        assert "10 (prorated), moderate, session 2" in listed and "item 9 not asked" in listed
        assert "-6 (from 16); reliable change" in listed  # a drop of 6: reliable, not a response
        assert "response not measured (first total below 10)" in listed  # c2: baseline 6
        clinical = cb.clinical_outputs(dash_store, "c1", 2)
        assert "10 (prorated)" in text_of(clinical[3])  # the PHQ-9 table
        assert "item 9 not asked" in text_of(cb.clinical_outputs(dash_store, "c2", 1)[3])
        for name, view in (
            ("c2 page", client_page.layout("c2")),
            ("c2 record", record_page.layout("c2")),
        ):
            assert "SAFETY FLAG" not in text_of(view) and not REASSURING.search(text_of(view)), name


def test_the_client_view_is_the_same_calm_line_for_every_client(dash_store: Store) -> None:
    calm = client_crisis_line(dash_store.region)
    for cid in ("c1", "c2"):  # flagged, and not
        _, banner, _ = cb.view_outputs(dash_store, cid, ["on"])
        assert text_of(banner) == calm
    assert calm.endswith(dash_store.region.call_text + ".")
    assert NUMBERS[dash_store.region.code][0] in calm
    assert "flag" not in calm.lower() and "risk" not in calm.lower()


def test_typing_item9_on_the_recording_page_raises_the_flag_before_the_save(
    dash_store: Store,
) -> None:
    assert cb.record_banner(dash_store, "c2", 2, [None] * 9) == []  # nothing typed, no flag
    assert cb.record_banner(dash_store, "c2", 2, [0] * 9) == []
    typed = text_of(cb.record_banner(dash_store, "c2", 2, [1, 1, None, 1, 1, 1, 1, 1, 3]))
    assert (
        "PHQ-9 item 9 (thoughts of death or self-harm) above 0: nearly every day at session 2"
        in (typed)
    )
    assert "not saved yet" in typed and crisis_lines(dash_store.region) in typed
    for junk in ("3", [3], None, {"x": 1}, [None] * 8 + [True], [None] * 8 + ["7"], [4.5] * 9):
        assert cb.record_banner(dash_store, "c2", 2, junk) == []  # never counts as typed
    with pytest.raises(PreventUpdate):
        cb.record_banner(dash_store, "c2", "2", [None] * 8 + [2])
    draft_people = [
        {"person_id": "p1", "ring": 3, "conflict": 1, "support": 1},
    ]
    children, cls = cb.save_session(
        dash_store, "c2", 2, "2026-03-08", draft_people, {}, [], [1, 1, None, 1, 1, 1, 1, 1, 2]
    )
    assert cls == "message ok", text_of(children)
    saved = text_of(cb.record_banner(dash_store, "c2", 2, [1, 1, None, 1, 1, 1, 1, 1, 2]))
    assert "more than half the days at session 2" in saved and "not saved yet" not in saved
    assert "SAFETY FLAG" in text_of(cb.client_rows(dash_store))


# ---------------------------------------------------------------- in the browser


@pytest.fixture
def store(tmp_path: Path, folder: Path) -> Iterator[Store]:
    """The two clients in a store of a UK practice."""
    store = Store.create(tmp_path / "browser.db")
    store.set_setting("region", "uk")
    store.import_inventory(read_inventory(folder))
    yield store
    store.close()


def _client_view(duo: Any, client_id: str) -> str:
    """Open a client's page, switch to the client view, and return the visible text."""
    duo.open(f"/client/{client_id}", f"#{ids.MAP} .gtitle")
    duo.find_element(f"#{ids.CLIENT_VIEW} input").click()
    duo.wait_for_class_to_equal(f"#{ids.PAGE}", "page client-page client-view", timeout=20)
    calm = client_crisis_line(region("uk"))
    duo.wait_for_text_to_equal(f"#{ids.BANNER}", calm, timeout=20)
    return str(duo.find_element("body").text)


def test_browser_client_view_has_the_crisis_line_for_all_and_no_flag_wording(duo: Any) -> None:
    unflagged = _client_view(duo, "c2")
    assert client_crisis_line(region("uk")) in unflagged and "116 123" in unflagged
    duo.open("/client/c1", f"#{ids.MAP} .gtitle")
    duo.wait_for_contains_text(f"#{ids.BANNER}", "SAFETY FLAG", timeout=20)  # the clinician's
    flagged = _client_view(duo, "c1")
    assert client_crisis_line(region("uk")) in flagged
    for word in ("safety", "flag", "risk", "item 9", "several days", "more than half"):
        assert word not in flagged.lower(), word
    assert duo.get_logs() == []


def test_browser_recording_page_flags_item9_as_typed_and_after_the_save(
    duo: Any, store: Store
) -> None:
    duo.open("/client/c2/record", f"#{ids.RECORD_PEOPLE} table")
    banner = f"#{ids.RECORD_BANNER}"
    assert duo.find_element(banner).text == ""
    boxes = duo.find_elements(".phq9-items input")
    for box, answer in zip(boxes, ["1", "1", "", "1", "1", "1", "1", "1", "2"], strict=True):
        if answer:
            box.send_keys(answer)
    duo.wait_for_contains_text(banner, "more than half the days at session 2", timeout=20)
    live = duo.find_element(banner).text
    assert "SAFETY FLAG" in live and "not saved yet" in live and "116 123" in live
    assert "988" not in live
    duo.find_element(f"#{ids.RECORD_SAVE}").click()
    duo.wait_for_contains_text(f"#{ids.RECORD_MESSAGE}", "Session 2 saved.", timeout=20)
    WebDriverWait(duo.driver, 20).until(
        lambda driver: "not saved yet" not in driver.find_element(By.ID, ids.RECORD_BANNER).text
    )
    after = duo.find_element(banner).text
    assert "SAFETY FLAG" in after and "not saved yet" not in after
    row = store.inventory(["c2"]).sessions.set_index("session").loc[2]
    assert pd.isna(row["phq9_3"]) and int(row["phq9_9"]) == 2
    duo.open("/", f"#{ids.CLIENT_TABLE} table")
    duo.wait_for_contains_text(f"#{ids.CLIENT_TABLE}", "SAFETY FLAG", timeout=20)
    assert "116 123" in duo.find_element(f"#{ids.CLIENT_TABLE}").text
    assert duo.get_logs() == []


def test_a_note_beside_item_9_points_to_the_flag_while_unsaved(dash_store: Store) -> None:
    typed = [1, 1, None, 1, 1, 1, 1, 1, 2]
    assert "safety flag" in cb.item9_note(dash_store, "c2", 2, typed)
    assert cb.item9_note(dash_store, "c2", 2, [0] * 9) == ""
    assert cb.item9_note(dash_store, "c2", 2, [None] * 9) == ""
    assert cb.item9_note(dash_store, "c2", 1, typed) == ""  # a stored session: the banner has it
