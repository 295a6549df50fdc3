"""The dashboard's callbacks, called as plain functions on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash.exceptions import PreventUpdate

from dashboards import callbacks as cb
from dashboards import ids
from dashboards.components import component_text as text_of
from dashboards.pages.record import people_table
from ipt_network import load_samples
from ipt_network.clinical.safety import client_crisis_line, crisis_lines, safety_flags
from ipt_network.io.recording import draft_next_session
from ipt_network.io.store import Store
from ipt_network.network.layout import person_angles, ring_positions
from ipt_network.regions import region


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store of the four sample clients, read only in these tests."""
    store = Store.create(tmp_path_factory.mktemp("samples") / "ipt.db")
    store.import_inventory(load_samples())
    yield store
    store.close()


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[Store]:
    store = Store.create(tmp_path / "ipt.db")
    store.import_inventory(load_samples().for_clients(["dispute-01"]))
    yield store
    store.close()


# ---------------------------------------------------------------- client list


def test_client_list_has_every_client_and_the_crisis_line(samples: Store) -> None:
    rows = cb.client_rows(samples)
    text = text_of(rows)
    for cid in samples.client_ids():
        assert cid in text
    assert "SAFETY FLAG" in text and crisis_lines(region("us")) in text
    assert rows[0].role == "alert" and "banner" in rows[0].className  # the page's banner


def test_client_list_search_narrows(samples: Store) -> None:
    text = text_of(cb.client_rows(samples, "DISPUTE"))
    assert "dispute-01" in text and "grief-01" not in text
    assert "No client matches" in text_of(cb.client_rows(samples, "zzz"))
    assert "grief-01" in text_of(cb.client_rows(samples, 42))  # junk search is ignored


# ---------------------------------------------------------------- the map


def test_the_map_follows_the_session(samples: Store) -> None:
    first, _ = cb.map_outputs(samples, "grief-01", 1)
    last, table = cb.map_outputs(samples, "grief-01", 14)
    assert first["layout"]["title"]["text"].endswith("session 1")
    assert last["layout"]["title"]["text"].endswith("session 14")
    assert first["data"] != last["data"]
    assert "Ruth" in text_of(table)


def test_compare_mode_names_both_sessions(samples: Store) -> None:
    fig, _ = cb.map_outputs(samples, "grief-01", 9, ["on"], 1)
    assert "compared with session 1" in fig["layout"]["title"]["text"]
    same, _ = cb.map_outputs(samples, "grief-01", 9, ["on"], 9)
    assert "compared" not in same["layout"]["title"]["text"]


def test_client_view_map_has_no_scores(samples: Store) -> None:
    fig, table = cb.map_outputs(samples, "grief-01", 5, [], None, ["on"])
    assert "support" not in str(fig) and "conflict:" not in text_of(table)
    therapist, _ = cb.map_outputs(samples, "grief-01", 5)
    assert "support" in str(therapist)


@pytest.mark.parametrize(
    ("client_id", "session"),
    [
        ("grief-01", 99),
        ("grief-01", "1"),
        ("grief-01", True),
        ("grief-01", 1.5),
        ("nobody", 1),
        (None, 1),
        ({"x": 1}, 1),
    ],
)
def test_the_map_ignores_bad_input(samples: Store, client_id: Any, session: Any) -> None:
    with pytest.raises(PreventUpdate):
        cb.map_outputs(samples, client_id, session)


# ---------------------------------------------------------------- clinical panel


def test_clinical_panel_for_a_session(samples: Store) -> None:
    style, changes, phq, phq_table, trends, trends_table, areas, timeline = cb.clinical_outputs(
        samples, "grief-01", 5
    )
    assert style == {}
    assert text_of(changes).startswith("Session 5:")
    assert phq["data"] and trends["data"]
    assert "PHQ-9" in text_of(phq_table) or "Session" in text_of(phq_table)
    assert "People on the map" in text_of(trends_table)
    assert "Grief" in text_of(areas) and "Chosen focus: grief" in text_of(areas)
    assert "2025-" in text_of(timeline)


def test_clinical_panel_is_emptied_in_client_view(samples: Store) -> None:
    outputs = cb.clinical_outputs(samples, "grief-01", 5, ["on"])
    assert outputs[0] == {"display": "none"}
    assert all(not o or o == {"data": [], "layout": {}} for o in outputs[1:])


def test_person_history_and_communication(samples: Store) -> None:
    comm = samples.inventory(["grief-01"]).communication
    pid = str(comm["person_id"].iloc[0])
    text = text_of(cb.person_outputs(samples, "grief-01", pid))
    assert "Communication work" in text
    assert str(comm["planned"].iloc[0]) in text
    assert cb.person_outputs(samples, "grief-01", pid, ["on"]) == []
    assert cb.person_outputs(samples, "grief-01", None) == []
    with pytest.raises(PreventUpdate):
        cb.person_outputs(samples, "grief-01", "nobody")


def test_clicking_a_person_selects_them(samples: Store) -> None:
    inv = samples.inventory(["dispute-01"])
    rel = inv.relationships[inv.relationships["session"] == 4]
    rings = dict(zip(rel["person_id"].astype(str), rel["ring"].astype(int), strict=True))
    pid = sorted(rings)[0]
    x, y = ring_positions(person_angles(inv.people), rings)[pid]
    click = {"points": [{"x": x + 0.01, "y": y - 0.01}]}
    assert cb.clicked_person(samples, "dispute-01", 4, click) == pid
    with pytest.raises(PreventUpdate):  # the centre is the client, nobody else
        cb.clicked_person(samples, "dispute-01", 4, {"points": [{"x": 0.0, "y": 0.0}]})
    for junk in (None, {}, {"points": []}, {"points": [{"x": "a", "y": 1}]}):
        with pytest.raises(PreventUpdate):
            cb.clicked_person(samples, "dispute-01", 4, junk)


def test_play_walks_the_course_and_stops() -> None:
    session, playing = 1, False
    seen = []
    session, stopped, label = cb.play_step("play", session=14, first=1, last=14, playing=playing)
    assert (session, stopped) == (1, False) and "Pause" in label  # restarts from the first
    while not stopped:
        seen.append(session)
        session, stopped, label = cb.play_step(
            "tick", session=session, first=1, last=14, playing=True
        )
    assert seen + [session] == list(range(1, 15))
    assert "Play" in label
    assert cb.play_step("play", session=5, first=1, last=14, playing=True) == (5, True, label)
    with pytest.raises(PreventUpdate):
        cb.play_step("tick", session="5", first=1, last=14, playing=True)


def test_client_view_shows_every_client_the_same_calm_line(samples: Store) -> None:
    calm = client_crisis_line(samples.region)
    flagged = set(safety_flags(samples.inventory()))
    assert flagged and set(samples.client_ids()) - flagged  # both kinds among the samples
    for cid in samples.client_ids():
        cls, banner, header = cb.view_outputs(samples, cid, ["on"])
        assert "client-view" in cls and header == {"display": "none"}
        assert text_of(banner) == calm  # the same for flagged and unflagged clients
        assert "risk" not in text_of(banner).lower() and "flag" not in text_of(banner).lower()
    cid = sorted(flagged)[0]
    cls, banner, header = cb.view_outputs(samples, cid, [])
    assert "client-view" not in cls and "SAFETY FLAG" in text_of(banner)
    assert crisis_lines(samples.region) in text_of(banner)


# ---------------------------------------------------------------- recording


def _edits(rows: list[dict[str, Any]], **values: list[Any]) -> cb.Edits:
    """Pattern-matching (ids, values) per input type, as Dash sends them."""
    out: cb.Edits = {}
    for kind, field in cb.EDIT_FIELDS.items():
        keys = [ids.person_input(kind, r["person_id"]) for r in rows]
        out[kind] = (keys, values.get(field, [r.get(field) for r in rows]))
    return out


def test_adding_people_keeps_what_was_typed(samples: Store) -> None:
    draft = draft_next_session(samples.inventory(["grief-01"]), "grief-01")
    rings = [3] * len(draft.people)
    rows, table, message, back, tie_people = cb.add_to_map(
        samples,
        "grief-01",
        "new",
        draft.people,
        _edits(draft.people, ring=rings),
        None,
        "Mo",
        "friend",
    )
    assert message == "" and rows[-1]["name"] == "Mo" and len(rows) == len(draft.people) + 1
    assert [r["ring"] for r in rows[:-1]] == rings  # typed values survive the re-render
    assert "Mo" in text_of(table) and rows[-1]["person_id"] in {o["value"] for o in tie_people}
    same, _, message, _, _ = cb.add_to_map(samples, "grief-01", "new", rows, {}, None, "", "x")
    assert same == rows and "name" in message and "role" in message
    if back:
        who = back[0]["value"]
        rows3, _, message, back3, _ = cb.add_to_map(samples, "grief-01", "back", rows, {}, who)
        assert message == "" and rows3[-1]["person_id"] == who
        assert who not in {o["value"] for o in back3}


def test_merge_edits_ignores_junk() -> None:
    rows = [{"person_id": "a", "ring": 1}]
    junk: cb.Edits = {"record-ring": ("x", [2]), "nope": ([{"index": "a"}], [3])}
    assert cb.merge_edits(rows, junk) == rows
    assert cb.merge_edits("rows", {}) == []


def test_adding_a_tie() -> None:
    rows = [{"person_id": "a", "name": "Ann"}, {"person_id": "b", "name": "Bo"}]
    options, value = cb.add_tie(rows, [], [], "a", "b")
    assert value == ["a|b"] and "Ann and Bo" in options[0]["label"]
    again = cb.add_tie(rows, options, [], "b", "a")  # the same pair, ticked again
    assert again == (options, ["a|b"])
    for source, target in (("a", "a"), ("a", "zz"), (None, "b")):
        with pytest.raises(PreventUpdate):
            cb.add_tie(rows, options, value, source, target)


@pytest.mark.parametrize(
    ("source", "target"),
    [(["a"], "b"), ("a", ["b"]), ({"x": 1}, "b"), ("a", {"x": 1}), (1, 2), (None, None)],
)
def test_adding_a_tie_ignores_ends_that_are_not_ids(source: Any, target: Any) -> None:
    rows = [{"person_id": "a", "name": "Ann"}, {"person_id": "b", "name": "Bo"}]
    with pytest.raises(PreventUpdate):
        cb.add_tie(rows, [], [], source, target)


def test_adding_a_tie_survives_junk_rows_and_options() -> None:
    rows: list[Any] = [{"person_id": "a", "name": "Ann"}, 7, {"name": "no id"}, {"person_id": "b"}]
    junk_options: list[Any] = [{"value": ["a|b"]}, {"value": {"x": 1}}, "a|b", None]
    options, value = cb.add_tie(rows, junk_options, [["x"], "a|c"], "a", "b")
    assert value == ["a|c", "a|b"]
    assert options[-1] == {"label": " Ann and b", "value": "a|b"}


def test_the_people_table_skips_rows_without_a_person_id() -> None:
    rows: list[Any] = [
        {"person_id": "p1", "name": "Ann", "role": "friend", "ring": [1], "support": {"x": 1}},
        {"name": "no id", "ring": 1},
        {"person_id": ["p2"], "name": "list id"},
        "p3",
    ]
    table = people_table(rows)
    body = table.children[1].children
    assert len(body) == 1 and "Ann" in text_of(body)
    ring_input = body[0].children[2].children[-1]  # after its (hidden) label
    assert ring_input.id == ids.person_input(ids.RECORD_RING, "p1") and ring_input.value is None
    assert "Nobody is on the map" in text_of(people_table([{"name": "no id"}]))


def test_a_click_far_off_the_number_line_is_ignored(samples: Store) -> None:
    for x in (10**400, -(10**400), True, float("nan")):
        with pytest.raises(PreventUpdate):
            cb.clicked_person(samples, "dispute-01", 4, {"points": [{"x": x, "y": 0}]})


def test_putting_back_nobody_asks_for_a_person(samples: Store) -> None:
    draft = draft_next_session(samples.inventory(["grief-01"]), "grief-01")
    for who in (None, "", [], {"x": 1}):
        rows, _, message, _, _ = cb.add_to_map(samples, "grief-01", "back", draft.people, {}, who)
        assert rows == draft.people
        assert message.startswith("person:") and "name" not in message


def _save(store: Store, phq9: list[Any], **values: list[Any]) -> tuple[Any, str]:
    draft = draft_next_session(store.inventory(["dispute-01"]), "dispute-01")
    ties = [f"{t['source']}|{t['target']}" for t in draft.ties]
    return cb.save_session(
        store,
        "dispute-01",
        draft.session,
        draft.date,
        draft.people,
        _edits(draft.people, **values),
        ties,
        phq9,
    )


def test_saving_a_session_from_the_form(writable: Store) -> None:
    before = writable.inventory(["dispute-01"])
    draft = draft_next_session(before, "dispute-01")
    off = [[] for _ in draft.people]
    off[0] = ["off"]  # the first person is taken off the map, with their ties
    children, cls = _save(writable, [0] * 9, off=off)
    assert cls == "message ok" and f"Session {draft.session} saved" in text_of(children)
    after = writable.inventory(["dispute-01"])
    assert after.sessions_of("dispute-01") == [*before.sessions_of("dispute-01"), draft.session]
    rel = after.relationships[after.relationships["session"] == draft.session]
    gone = draft.people[0]["person_id"]
    assert gone not in set(rel["person_id"]) and len(rel) == len(draft.people) - 1
    ties = after.person_ties[after.person_ties["session"] == draft.session]
    assert gone not in set(ties["source"]) | set(ties["target"])


def test_a_bad_phq9_shows_a_message_and_saves_nothing(writable: Store) -> None:
    before = writable.inventory(["dispute-01"]).sessions_of("dispute-01")
    children, cls = _save(writable, [5, 0, 0, 0, 0, 0, 0, 0, 0])
    assert cls == "message error"
    text = text_of(children)
    assert "Nothing was saved" in text and "PHQ-9 item 1" in text and "0 to 3" in text
    assert writable.inventory(["dispute-01"]).sessions_of("dispute-01") == before


def test_a_bad_ring_typed_in_the_form_saves_nothing(writable: Store) -> None:
    before = writable.inventory(["dispute-01"]).sessions_of("dispute-01")
    draft = draft_next_session(writable.inventory(["dispute-01"]), "dispute-01")
    rings: list[Any] = [r["ring"] for r in draft.people]
    rings[0] = 7
    children, cls = _save(writable, [0] * 9, ring=rings)
    assert cls == "message error" and "ring must be a whole number from 1 to 3" in text_of(children)
    assert writable.inventory(["dispute-01"]).sessions_of("dispute-01") == before


def test_every_wired_id_comes_from_the_ids_module(samples: Store) -> None:
    import json

    from dashboards.app import create_app

    app = create_app(samples)
    wired = set()
    for callback in app._callback_list:
        for dep in [*callback["inputs"], *callback["state"]]:
            wired.add(dep["id"])
        for out in callback["output"].strip(".").split("..."):
            wired.add(out.rsplit(".", 1)[0])
    plain = {w for w in wired if not w.startswith("{")}
    patterns = {json.loads(w)["type"] for w in wired if w.startswith("{")}
    assert ids.MAP in plain and ids.RECORD_PHQ9 in patterns
    assert plain <= set(ids.ALL) and patterns <= set(ids.ALL)


def test_pages_build_from_the_store(samples: Store) -> None:
    from dashboards.app import create_app
    from dashboards.pages import client, clients, record

    app = create_app(samples)
    with app.server.test_request_context("/"):
        page = client.layout("grief-01")
        assert "grief-01" in text_of(page) and crisis_lines(region("us")) in text_of(page)
        draft = record.layout("dispute-01")
        assert "Record session 17" in text_of(draft)
        assert "Client not found" in text_of(record.layout("nobody"))
        assert "Client not found" in text_of(client.layout(None))
        assert "Clients" in text_of(clients.layout())
