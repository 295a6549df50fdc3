"""The dashboard's callbacks, called as plain functions on a real store."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dash
import pytest
from dash.exceptions import PreventUpdate
from plotly.io.json import to_json_plotly

from dashboards import callbacks as cb
from dashboards import context, ids
from dashboards.components import component_text as text_of
from dashboards.pages.record import people_table
from ipt_network import Inventory
from ipt_network.clinical.problem_areas import STAGE_NOT_RECORDED, rank_problem_areas
from ipt_network.clinical.safety import client_crisis_line, crisis_lines, safety_flags
from ipt_network.errors import ClientNotFound, StoreError
from ipt_network.io.recording import draft_next_session
from ipt_network.io.store import Store
from ipt_network.network.layout import person_angles, ring_positions
from ipt_network.network.metrics import cohort_metrics
from ipt_network.regions import region
from ipt_network.views.figures import trends_figure


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, samples_once: Inventory) -> Iterator[Store]:
    """A store of the four sample clients, read only in these tests."""
    store = Store.create(tmp_path_factory.mktemp("samples") / "ipt.db")
    store.import_inventory(samples_once)
    yield store
    store.close()


@pytest.fixture
def writable(tmp_path: Path, samples_inv: Inventory) -> Iterator[Store]:
    store = Store.create(tmp_path / "ipt.db")
    store.import_inventory(samples_inv.for_clients(["dispute-01"]))
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
    assert "Complicating factor: interpersonal sensitivity" in text_of(areas)  # never hidden
    assert "2025-" in text_of(timeline)


@pytest.mark.parametrize("client_id", ["grief-01", "dispute-01", "transition-01", "deficits-01"])
def test_problem_areas_panel_ranks_as_the_command_does(samples: Store, client_id: str) -> None:
    """Review items 3 and 9: the decision's ranking, said once, ranks not numbered twice."""
    inv = samples.inventory([client_id])
    areas = cb.clinical_outputs(samples, client_id, inv.sessions_of(client_id)[-1])[6]
    expected = rank_problem_areas(inv, client_id)
    text = text_of(areas)
    assert f"Ranked {expected.session_words}:" in text
    assert text.index(expected.areas[0].evidence[0]) < text.index(expected.areas[1].evidence[0])
    assert all(e in text for a in expected.areas for e in a.evidence)
    panel = json.dumps(_json(areas))
    assert '"type": "Ol"' not in panel and "1. 1." not in text
    assert text.count(f"{expected.areas[0].rank}. {expected.areas[0].label}") == 1


def test_problem_areas_panel_points_to_the_recording_page(samples: Store) -> None:
    """Review item 9: a dispute without a recorded stage says where to record it."""
    text = text_of(cb.clinical_outputs(samples, "dispute-01", 2)[6])
    assert "Ranked as of session 2, the session shown (by default as of session 3" in text
    assert STAGE_NOT_RECORDED in text and "Record session page" in STAGE_NOT_RECORDED


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
    # grief-01 has one person off the map: offered to be put back, and put back
    assert [o["value"] for o in back] == [p["person_id"] for p in draft.off_map] and back
    who = back[0]["value"]
    rows3, _, message, back3, _ = cb.add_to_map(samples, "grief-01", "back", rows, {}, who)
    assert message == "" and rows3[-1]["person_id"] == who and len(rows3) == len(rows) + 1
    assert rows3[:-1] == rows  # the people already on the map and their typed values stay
    assert who not in {o["value"] for o in back3} and back3 == []


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


# ---------------------------------------------------------------- one context per client


def _applied(target: Any, patch: dash.Patch) -> Any:
    """``target`` (JSON-ready) with the assignments of ``patch`` made, as the browser makes them."""
    out = json.loads(to_json_plotly(target))
    for op in patch.to_plotly_json()["operations"]:
        assert op["operation"] == "Assign", op  # a step only moves values, never resends a list
        node = out
        for key in op["location"][:-1]:
            node = node[key]
        node[op["location"][-1]] = op["params"]["value"]
    return out


def _json(value: Any) -> Any:
    return json.loads(to_json_plotly(value))


@pytest.mark.parametrize("client_id", ["grief-01", "dispute-01", "transition-01"])
def test_a_slider_step_patches_to_what_a_full_render_shows(samples: Store, client_id: str) -> None:
    inv = samples.inventory([client_id])
    sessions = inv.sessions_of(client_id)
    last = sessions[-1]
    _, _, phq, _, trends, _, areas_last, timeline_last = cb.clinical_outputs(
        samples, client_id, last
    )
    for s in (sessions[0], sessions[len(sessions) // 2]):
        changes, phq_patch, trends_patch, areas, timeline_patch = cb.clinical_step(
            samples, client_id, s
        )
        full = cb.clinical_outputs(samples, client_id, s)
        assert _applied(phq, phq_patch) == _json(full[2])
        assert _applied(trends, trends_patch) == _json(full[4])
        assert _applied(timeline_last, timeline_patch) == _json(full[7])
        assert _json(changes) == _json(full[1]) and _json(areas) == _json(full[6])
        decision = rank_problem_areas(inv, client_id).session
        if s < decision:  # ranked as of the session shown, and it says so
            assert _json(areas) != _json(areas_last)
            assert f"Ranked as of session {s}, the session shown" in text_of(areas)
        else:  # ranked as of the decision, as from the last session
            assert _json(areas) == _json(areas_last)
        assert phq_patch.to_plotly_json()["operations"]  # the marker really moves
        marks = [x for x in _json(full[2])["layout"]["shapes"] if x.get("x0") == s]
        assert marks and phq != full[2]
    # the figures match those the library draws for the session, marker included
    s = sessions[0]
    assert _json(cb.clinical_outputs(samples, client_id, s)[4]) == _json(
        trends_figure(
            cohort_metrics(inv.relationships, inv.person_ties, sessions=inv.sessions),
            current_session=s,
        )
    )


def test_one_answer_per_slider_step_and_nothing_clinical_in_client_view(samples: Store) -> None:
    step = cb.step_outputs(samples, "grief-01", 3)
    assert _json(step[:2]) == _json(cb.map_outputs(samples, "grief-01", 3))
    assert _json(step[2:]) == _json(cb.clinical_step(samples, "grief-01", 3))
    assert "Session 3:" in text_of(step[2])
    assert "as of session 2, when the focus" in text_of(step[5])  # the decision, not session 3
    hidden = cb.step_outputs(samples, "grief-01", 3, client_view=["on"])
    assert all(o is dash.no_update for o in hidden[2:])
    assert "support" not in str(hidden[0])  # the map in client view has no scores
    compared = cb.step_outputs(samples, "grief-01", 3, (["on"], 1), slider_moved=False)
    assert "compared with session 1" in compared[0]["layout"]["title"]["text"]
    assert all(o is dash.no_update for o in compared[2:])
    for junk in (99, "3", None):
        with pytest.raises(PreventUpdate):
            cb.step_outputs(samples, "grief-01", junk)
        with pytest.raises(PreventUpdate):
            cb.clinical_step(samples, "grief-01", junk)


def test_slider_steps_read_the_client_once_and_build_the_course_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = "deficits-01"
    sessions = store.inventory([client]).sessions_of(client)
    reads: list[Any] = []
    builds: list[Any] = []
    inventory = Store.inventory
    describe = cb.client.describe_changes
    monkeypatch.setattr(Store, "inventory", lambda self, *a: reads.append(a) or inventory(self, *a))
    monkeypatch.setattr(cb.client, "describe_changes", lambda *a: builds.append(a) or describe(*a))
    for s in sessions:
        cb.map_outputs(store, client, s)
        cb.clinical_step(store, client, s)
    assert cb.clinical_outputs(store, client, sessions[1])[0] == {}
    assert len(reads) == 1 and len(builds) == 1
    store.set_setting("region", "uk")  # a write: the next step reads the client again
    cb.clinical_step(store, client, sessions[0])
    assert len(reads) == 2 and len(builds) == 2


def test_a_write_from_another_store_is_seen_on_the_next_request(writable: Store) -> None:
    before = context.client_context(writable, "dispute-01")
    assert context.client_context(writable, "dispute-01") is before
    other = Store.open(writable.url, write=True)  # another process's connection
    try:
        children, cls = _save(other, [0] * 9)
    finally:
        other.close()
    assert cls == "message ok"
    after = context.client_context(writable, "dispute-01")
    assert after is not before and after.revision > before.revision
    assert after.sessions == [*before.sessions, before.sessions[-1] + 1]
    fig, _ = cb.map_outputs(writable, "dispute-01", after.sessions[-1])  # the new session is there
    assert fig["layout"]["title"]["text"].endswith(f"session {after.sessions[-1]}")


def test_the_context_keeps_a_few_clients_and_a_few_panels(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = store
    monkeypatch.setattr(context, "MAX_CLIENTS", 2)
    monkeypatch.setattr(context, "MAX_PANELS", 3)
    first = context.client_context(samples, "grief-01")
    context.client_context(samples, "dispute-01")
    context.client_context(samples, "transition-01")  # grief-01 is dropped
    assert context.client_context(samples, "grief-01") is not first
    ctx = context.client_context(samples, "grief-01")
    built: list[int] = []
    for key in range(4):
        ctx.once(key, lambda k=key: built.append(k) or k)
    assert ctx.once(3, lambda: -1) == 3 and ctx.once(0, lambda: -1) == -1  # 0 was dropped
    assert built == [0, 1, 2, 3]
    with pytest.raises(ClientNotFound):
        context.client_context(samples, "nobody")


def test_two_threads_asking_together_build_a_panel_once(samples: Store) -> None:
    ctx = context.client_context(samples, "grief-01")
    built: list[int] = []

    def slow() -> int:
        built.append(1)
        time.sleep(0.05)
        return 7

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: ctx.once(("slow", id(built)), slow), range(4)))
    assert got == [7] * 4 and built == [1]


# ---------------------------------------------------------------- errors become a sentence


def test_a_store_error_in_a_callback_is_a_sentence_not_a_500(
    samples: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards.app import create_app

    def broken(store: Store, client_id: str) -> Any:
        raise StoreError("the store is locked by another program; try again")

    app = create_app(samples)
    client = app.server.test_client()
    client.get("/")
    monkeypatch.setattr(cb._common, "client_context", broken)
    output = next(key for key in app.callback_map if f"..{ids.MAP}.figure..." in key)
    parts = [part.rsplit(".", 1) for part in output.strip(".").split("...")]
    body = {
        "output": output,
        "outputs": [{"id": i, "property": prop} for i, prop in parts],
        "inputs": [
            {"id": ids.SESSION_SLIDER, "property": "value", "value": 3},
            {"id": ids.COMPARE_ON, "property": "value", "value": []},
            {"id": ids.COMPARE_SESSION, "property": "value", "value": 1},
            {"id": ids.CLIENT_VIEW, "property": "value", "value": []},
        ],
        "state": [{"id": ids.CLIENT_ID, "property": "data", "value": "grief-01"}],
        "changedPropIds": [f"{ids.SESSION_SLIDER}.value"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and not json.loads(text).get("response")  # outputs kept
    shown = json.loads(text)["sideUpdate"][ids.ERROR]["children"]
    assert shown == "The store is locked by another program; try again."
    monkeypatch.setattr(cb._common, "client_context", lambda *a: 1 / 0)  # a bug is not hidden
    assert client.post("/_dash-update-component", json=body).status_code == 500


def _html_table(header: list[str], rows: list[list[str]]) -> Any:
    """The table as ``dash.html`` components, the way Dash would build it."""
    from dash import html

    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in header]))
    body = html.Tbody([html.Tr([html.Td(v) for v in row]) for row in rows])
    return html.Table([head, body], className="data-table")


@pytest.mark.parametrize("session", [1, 9])
def test_the_map_table_sends_what_dash_components_would(samples: Store, session: int) -> None:
    """The map's text alternative is built in Dash's wire form; the browser gets the same JSON."""
    _, table = cb.map_outputs(samples, "grief-01", session, ["on"], 1)
    rows = table["props"]["children"][1]["props"]["children"]
    cells = [[td["props"]["children"] for td in tr["props"]["children"]] for tr in rows]
    assert len(cells) > 5 and all(len(row) == 2 for row in cells)
    assert any("Ruth" in row[1] for row in cells)  # a person of the sample, by name
    assert _json(table) == _json(_html_table(["what", "detail"], cells))
    assert text_of(table).startswith("what detail ")
