"""The dashboard server's defences, through Flask's test client and a real ``serve``.

Host check, security headers, refusal of malformed callback requests, a fuzz of
every registered callback with wrongly typed values, and the Server banner of
the real process. Client ids that need percent-encoding are tested with the
pages, in ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import dash
import pytest
from flask.testing import FlaskClient

from dashboards import ids, security
from dashboards.app import create_app
from dashboards.pages.record import tie_options
from ipt_network import load_samples
from ipt_network.io.recording import draft_next_session
from ipt_network.io.store import Store
from ipt_network.network.layout import person_angles, ring_positions

CLIENT: Final = "dispute-01"
CALLBACK: Final = "/_dash-update-component"
#: Text that would betray a crash or the server's internals in a response body.
LEAKS: Final = ("Traceback", 'File "', "Exception", "sqlalchemy", "Werkzeug", "werkzeug")


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"a": [value]}
    return value


#: Wrongly typed values for any callback input or state (JSON allows NaN and Infinity in Python).
WRONG: Final[tuple[Any, ...]] = (
    None,
    True,
    False,
    0,
    -1,
    2**70,
    10**400,
    1.5,
    float("nan"),
    float("inf"),
    "",
    "   ",
    "NaN",
    "-1",
    "1e309",
    "x" * 100_000,
    "<script>alert(1)</script>",
    [],
    [None],
    [1, "a", None, {}],
    ["on", "off"],
    [[["deep"]]],
    {},
    {"a": 1},
    {"points": "x"},
    {"points": [{"x": "NaN", "y": []}]},
    {"points": [{"x": 10**40, "y": 1e308}]},
    _deep(6),
)


# --------------------------------------------------------------------------- fixtures


def _sample_store(path: Path) -> Store:
    store = Store.create(path)
    store.import_inventory(load_samples())
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = _sample_store(tmp_path / "ipt.db")
    yield s
    s.close()


@pytest.fixture
def app(store: Store) -> dash.Dash:
    return create_app(store)


@pytest.fixture
def client(app: dash.Dash) -> FlaskClient:
    c = app.server.test_client()
    c.get("/")  # the first request registers Dash's page router callback
    return c


# --------------------------------------------------------------------------- requests


def post_callback(client: FlaskClient, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(CALLBACK, data=data, content_type="application/json", headers=headers)


def body_text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def assert_no_leak(response: Any) -> None:
    text = body_text(response)
    assert not any(leak in text for leak in LEAKS), text[:300]


# --------------------------------------------------------------------------- callback bodies


def good_values(store: Store) -> dict[tuple[str, str], Any]:
    """A value that fits, for every (component id, property) a callback reads."""
    inventory = store.inventory([CLIENT])
    sessions = inventory.sessions_of(CLIENT)
    draft = draft_next_session(inventory, CLIENT)
    rel = inventory.relationships[inventory.relationships["session"] == sessions[-1]]
    rings = dict(zip(rel["person_id"].astype(str), rel["ring"].astype(int), strict=True))
    first = sorted(rings)[0]
    x, y = ring_positions(person_angles(inventory.people), rings)[first]
    on_map = [r["person_id"] for r in draft.people]
    off_map = sorted(set(inventory.people["person_id"].astype(str)) - set(on_map))
    return {
        ("_pages_location", "pathname"): f"/client/{CLIENT}",
        ("_pages_location", "search"): "",
        ("_pages_store", "data"): {"title": "Clients"},
        (ids.CLIENT_SEARCH, "value"): "dispute",
        (ids.COHORT_AREAS, "value"): ["grief", "role_dispute"],
        (ids.COHORT_EPISODES, "value"): ["single"],
        (ids.COHORT_LENGTHS, "value"): ["13_to_16"],
        (ids.COHORT_MEASURE, "value"): "added",
        (ids.CLIENT_ID, "data"): CLIENT,
        (ids.SESSION_SLIDER, "value"): sessions[-1],
        (ids.SESSION_SLIDER, "min"): sessions[0],
        (ids.SESSION_SLIDER, "max"): sessions[-1],
        (ids.COMPARE_ON, "value"): ["on"],
        (ids.COMPARE_SESSION, "value"): sessions[0],
        (ids.CLIENT_VIEW, "value"): [],
        (ids.PERSON, "value"): first,
        (ids.MAP, "clickData"): {"points": [{"x": x, "y": y}]},
        (ids.PLAY, "n_clicks"): 1,
        (ids.PLAY_TIMER, "n_intervals"): 1,
        (ids.PLAY_TIMER, "disabled"): True,
        (ids.RECORD_BACK, "n_clicks"): 1,
        (ids.RECORD_NEW, "n_clicks"): 1,
        (ids.RECORD_ROWS, "data"): draft.people,
        (ids.RECORD_BACK_PERSON, "value"): off_map[0] if off_map else None,
        (ids.RECORD_NEW_NAME, "value"): "Mo",
        (ids.RECORD_NEW_ROLE, "value"): "friend",
        (ids.RECORD_ADD_TIE, "n_clicks"): 1,
        (ids.RECORD_TIES, "options"): tie_options(draft.ties, draft.people),
        (ids.RECORD_TIES, "value"): [f"{t['source']}|{t['target']}" for t in draft.ties],
        (ids.RECORD_TIE_A, "value"): on_map[0],
        (ids.RECORD_TIE_B, "value"): on_map[-1],
        (ids.RECORD_SAVE, "n_clicks"): 1,
        (ids.RECORD_MESSAGE, "className"): "message ok",
        (ids.RECORD_SESSION, "data"): draft.session,
        (ids.RECORD_DATE, "value"): draft.date,
        # Pattern-matching inputs: one component per person (per item for the PHQ-9).
        (ids.RECORD_RING, "value"): [r["ring"] for r in draft.people],
        (ids.RECORD_CONFLICT, "value"): [r["conflict"] for r in draft.people],
        (ids.RECORD_SUPPORT, "value"): [r["support"] for r in draft.people],
        (ids.RECORD_OFF, "value"): [[] for _ in draft.people],
        (ids.RECORD_PHQ9, "value"): [0] * 9,
        (ids.RECORD_STAGE, "value"): "impasse",
        (ids.RECORD_DIFFICULTY, "value"): 1,
        (ids.RECORD_WORK, "data"): [],
        (ids.RECORD_WORK_LIST, "value"): [],
        (ids.RECORD_WORK_ADD, "n_clicks"): 1,
        (ids.RECORD_CONTRACT_SAVE, "n_clicks"): 1,
        (ids.RECORD_CONTRACT_LOADED, "data"): draft.contract,
        # the recording page's other pattern types, given one empty field per person
        **{
            (kind, "value"): [None] * len(on_map)
            for kind in (
                ids.RECORD_WORK_FIELD,
                ids.RECORD_GOAL_STATUS,
                ids.RECORD_NEW_GOAL,
                ids.RECORD_AREA,
                ids.RECORD_CONTRACT,
            )
        },
        ("indices", ids.RECORD_PHQ9): list(range(1, 10)),
        ("indices", "people"): on_map,
    }


def _slot(dep: dict[str, str], good: dict[tuple[str, str], Any]) -> Any:
    """The request item(s) for one declared input or state, filled with fitting values."""
    if not dep["id"].startswith("{"):
        return {**dep, "value": good[(dep["id"], dep["property"])]}
    kind = json.loads(dep["id"])["type"]
    indices = good[("indices", kind if kind == ids.RECORD_PHQ9 else "people")]
    items = []
    for n, index in enumerate(indices):
        component = {"type": kind, "index": index}
        value = component if dep["property"] == "id" else good[(kind, dep["property"])][n]
        items.append({"id": component, "property": dep["property"], "value": value})
    return items


def base_body(
    output: str, spec: dict[str, Any], good: dict[tuple[str, str], Any]
) -> dict[str, Any]:
    """A well-formed callback request, as Dash's renderer sends it."""
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in (output[2:-2].split("...") if output.startswith("..") else [output])
    ]
    inputs = [_slot(d, good) for d in spec["inputs"]]
    first = inputs[0]
    body: dict[str, Any] = {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": [f"{first['id']}.{first['property']}"],
    }
    if spec["state"]:
        body["state"] = [_slot(d, good) for d in spec["state"]]
    return body


def search_body(app: dash.Dash, store: Store) -> dict[str, Any]:
    """A well-formed request of the client list's search, the simplest callback."""
    output = f"{ids.CLIENT_TABLE}.children"
    return base_body(output, app.callback_map[output], good_values(store))


def wrong_payloads(app: dash.Dash, store: Store) -> Iterator[tuple[str, dict[str, Any]]]:
    """(callback, body) for every input and state of every callback, with every WRONG value.

    A pattern-matching input gets the wrong value in each of its components.
    """
    good = good_values(store)
    for output, spec in app.callback_map.items():
        base = base_body(output, spec, good)
        for kind in ("inputs", "state"):
            for i in range(len(base.get(kind, []))):
                for wrong in WRONG:
                    body = copy.deepcopy(base)
                    slot = body[kind][i]
                    for item in slot if isinstance(slot, list) else [slot]:
                        item["value"] = wrong
                    yield output, body


def run_fuzz(app: dash.Dash, store: Store) -> dict[str, Counter[int]]:
    """Send every wrong payload; statuses counted per callback. Asserts nothing leaks."""
    client = app.server.test_client()
    client.get("/")
    statuses: dict[str, Counter[int]] = {}
    for output, body in wrong_payloads(app, store):
        response = post_callback(client, body)
        statuses.setdefault(output, Counter())[response.status_code] += 1
        assert response.status_code < 500, (output, body_text(response)[:300])
        assert_no_leak(response)
    return statuses


# --------------------------------------------------------------------------- the fuzz


def _is_pages_router(output: str) -> bool:
    return "_pages_content" in output


def _runs_on_server(app: dash.Dash, output: str) -> bool:
    return callable(app.callback_map[output].get("callback"))


def test_every_callback_is_fuzzed_with_wrong_types_and_none_fails(
    app: dash.Dash, store: Store
) -> None:
    statuses = run_fuzz(app, store)
    assert set(statuses) == set(app.callback_map)  # every registered callback, page router too
    total = sum(sum(c.values()) for c in statuses.values())
    assert total >= 200
    tally = sum(statuses.values(), Counter())
    print(f"fuzz: {total} payloads to {len(statuses)} callbacks: {dict(sorted(tally.items()))}")
    for output, seen in statuses.items():
        assert max(seen) < 500, output
        if not _runs_on_server(app, output):
            assert set(seen) == {400}, (output, seen)  # nothing to run: refused
        elif _is_pages_router(output):
            # Dash's router gets only a path and a query string; others are refused.
            assert set(seen) <= {200, 204, 400}, (output, seen)
        else:
            # Our callbacks get every wrong value (the shape is right) and stop
            # cleanly: an update, a message, or no update at all.
            assert set(seen) <= {200, 204}, (output, seen)
    assert sum(c[204] for c in statuses.values()) > 0
    assert sum(c[200] for c in statuses.values()) > 0


def test_well_formed_requests_update_every_callback(
    client: FlaskClient, app: dash.Dash, store: Store
) -> None:
    good = good_values(store)
    for output, spec in app.callback_map.items():
        response = post_callback(client, base_body(output, spec, good))
        if not _runs_on_server(app, output):
            assert response.status_code == 400  # Dash's title callback runs in the browser
            continue
        assert response.status_code in (200, 204), (output, body_text(response)[:300])
        if response.status_code == 200:
            assert "response" in response.get_json()


def _malformed(good_body: dict[str, Any]) -> dict[str, Any]:
    """Malformed variants of one well-formed body, by what is wrong."""
    b = good_body
    first = b["inputs"][0]
    return {
        "a JSON array": [b],
        "a JSON string": "just text",
        "no output": {k: v for k, v in b.items() if k != "output"},
        "output not a string": {**b, "output": ["map.figure"]},
        "unknown output": {**b, "output": "nowhere.children"},
        "clientside output": {**b, "output": "_pages_dummy.children"},
        "no outputs": {k: v for k, v in b.items() if k != "outputs"},
        "outputs of another": {**b, "outputs": {"id": "map", "property": "figure"}},
        "outputs a string": {**b, "outputs": "client-table.children"},
        "no inputs": {k: v for k, v in b.items() if k != "inputs"},
        "inputs an object": {**b, "inputs": first},
        "inputs too many": {**b, "inputs": [first, first]},
        "inputs empty": {**b, "inputs": []},
        "input not an object": {**b, "inputs": ["client-search.value"]},
        "input without id": {**b, "inputs": [{"property": "value", "value": "x"}]},
        "input of another id": {**b, "inputs": [{**first, "id": "map"}]},
        "input id an object": {**b, "inputs": [{**first, "id": {"type": "client-search"}}]},
        "input of another property": {**b, "inputs": [{**first, "property": "children"}]},
        "input property a number": {**b, "inputs": [{**first, "property": 3}]},
        "state where none is declared": {**b, "state": [first]},
        "changedPropIds a string": {**b, "changedPropIds": "client-search.value"},
        "changedPropIds of numbers": {**b, "changedPropIds": [1]},
        "changedPropIds not an input": {**b, "changedPropIds": ["map.figure"]},
        "value nested too deep": {**b, "inputs": [{**first, "value": _deep(40)}]},
        "text with a lone surrogate": {**b, "inputs": [{**first, "value": "\ud800"}]},
        "a key with a lone surrogate": {**b, "inputs": [{**first, "value": {"\udfff": 1}}]},
    }


def test_malformed_callback_requests_get_400(
    client: FlaskClient, store: Store, app: dash.Dash
) -> None:
    body = search_body(app, store)
    cases = _malformed(body)
    for what, bad in cases.items():
        response = post_callback(client, bad)
        assert response.status_code == 400, what
        assert body_text(response).startswith("Bad "), what
        assert_no_leak(response)
    for raw in ("{not json", "[" * 100_000 + "]" * 100_000, '{"output": 1e99999'):
        response = post_callback(client, raw)
        assert response.status_code == 400 and "not valid JSON" in body_text(response)


def test_malformed_pattern_and_multi_output_requests_get_400(
    client: FlaskClient, store: Store, app: dash.Dash
) -> None:
    good = good_values(store)
    save = next(o for o in app.callback_map if f"{ids.RECORD_MESSAGE}.className" in o)
    body = base_body(save, app.callback_map[save], good)
    phq9 = 5  # the state slot of the PHQ-9 items
    assert isinstance(body["state"][phq9], list)
    bad_items = [
        body["state"][phq9][0] | {"id": {"type": ids.RECORD_PHQ9}},  # no index
        body["state"][phq9][0] | {"id": {"type": ids.RECORD_RING, "index": 1}},
        body["state"][phq9][0] | {"id": {"type": ids.RECORD_PHQ9, "index": [1]}},
        body["state"][phq9][0] | {"id": {"type": ids.RECORD_PHQ9, "index": True}},
    ]
    variants = [copy.deepcopy(body) for _ in range(len(bad_items) + 4)]
    for variant, item in zip(variants, bad_items, strict=False):
        variant["state"][phq9] = [item]
    variants[-4]["state"][phq9] = {"not": "a list"}
    variants[-3]["state"][phq9] = [0] * 9
    variants[-2]["outputs"] = body["outputs"][:1]
    variants[-1]["state"] = body["state"][:-1]
    for variant in variants:
        response = post_callback(client, variant)
        assert response.status_code == 400, variant["state"][phq9]
    empty = copy.deepcopy(body)
    empty["state"][phq9] = []  # no PHQ-9 inputs on the page: a fitting shape
    assert post_callback(client, empty).status_code in (200, 204)


def test_content_type_and_size_are_checked(
    client: FlaskClient, store: Store, app: dash.Dash
) -> None:
    body = json.dumps(search_body(app, store))
    as_text = client.post(CALLBACK, data=body, content_type="text/plain")
    assert as_text.status_code == 415
    huge = json.dumps({**search_body(app, store), "pad": "x" * (security.MAX_BODY_BYTES + 1)})
    assert post_callback(client, huge).status_code == 413


# --------------------------------------------------------------------------- the Host check


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.1:8050", "localhost:58050", "LOCALHOST", "[::1]:8050", "localhost."],
)
def test_loopback_hosts_are_served(client: FlaskClient, host: str) -> None:
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8050",
        "127.0.0.1.nip.io",
        "localhost.evil.example",
        "127.0.0.2",
        "0.0.0.0:8050",
        "::1",
        "[::2]:8050",
        "localhost:http",
        "localhost:8050:1",
        "",
    ],
)
def test_other_hosts_are_refused(client: FlaskClient, host: str) -> None:
    for path in ("/", f"/client/{CLIENT}", "/assets/style.css", "/_dash-layout"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, path
        assert body_text(response).startswith("Bad request: this dashboard answers only to")
        assert len(body_text(response)) < 120
        assert response.headers["X-Frame-Options"] == "DENY"
    refused = post_callback(client, {}, Host="evil.example")
    assert refused.status_code == 400 and "answers only to" in body_text(refused)


def test_a_post_from_another_site_is_refused(
    client: FlaskClient, store: Store, app: dash.Dash
) -> None:
    body = search_body(app, store)
    for origin in ("http://evil.example", "http://localhost:9999", "null", "file://"):
        response = post_callback(client, body, Origin=origin)
        assert response.status_code == 403, origin
    assert post_callback(client, body, Origin="http://localhost").status_code == 200


def test_paths_with_control_characters_are_refused(client: FlaskClient) -> None:
    for path in ("/client/%0A/record", "/client/a%00b", "/%7F"):
        response = client.get(path)
        assert response.status_code == 400 and "control characters" in body_text(response)


# --------------------------------------------------------------------------- headers


def _inline_script_hashes(html: str) -> set[str]:
    """The CSP hashes of the inline scripts a browser would run in ``html``."""
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    hashes = set()
    for attrs, text in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        if "src=" in attrs or "application/json" in attrs:
            continue
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        hashes.add(f"'sha256-{digest}'")
    return hashes


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in csp.split("; ")}


def _assert_security_headers(response: Any, *, no_store: bool) -> dict[str, list[str]]:
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = _directives(headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    if no_store:
        assert headers["Cache-Control"] == "no-store"
    return csp


def test_pages_send_the_security_headers_and_a_csp_naming_their_inline_scripts(
    client: FlaskClient,
) -> None:
    for path in ("/", f"/client/{CLIENT}", f"/client/{CLIENT}/record", "/client/nobody"):
        response = client.get(path)
        assert response.status_code == 200
        csp = _assert_security_headers(response, no_store=True)
        inline = _inline_script_hashes(body_text(response))
        assert inline  # Dash's renderer start-up at least
        assert inline <= set(csp["script-src"]), path


def test_callback_and_data_responses_are_not_stored(
    client: FlaskClient, store: Store, app: dash.Dash
) -> None:
    good = good_values(store)
    clinical = next(o for o in app.callback_map if f"{ids.CLINICAL}.style" in o)
    updated = post_callback(client, base_body(clinical, app.callback_map[clinical], good))
    assert updated.status_code == 200
    _assert_security_headers(updated, no_store=True)
    refused = post_callback(client, {"output": "nowhere"})
    _assert_security_headers(refused, no_store=True)
    for path in ("/_dash-layout", "/_dash-dependencies"):
        _assert_security_headers(client.get(path), no_store=True)


def test_static_files_send_the_security_headers(client: FlaskClient) -> None:
    index = body_text(client.get("/"))
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', index)
    assert scripts
    for path in ("/assets/style.css", scripts[0], "/_favicon.ico"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_security_headers(response, no_store=False)
        response.close()


# --------------------------------------------------------------------------- the real server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers


def test_the_real_server_hides_its_version_banner(store: Store) -> None:
    db = store.engine.url.database
    port = _free_port()
    cli = [sys.executable, "-c", "from ipt_network.cli import main; main()"]  # ipt-network
    proc = subprocess.Popen(
        [*cli, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers = _get(url)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert status == 200
        for response_headers in (headers, _get(url, Host="evil.example")[1]):
            server = response_headers.get("Server", "")
            assert "Werkzeug" not in server and "Python" not in server, server
            assert server == security.SERVER_NAME
            assert response_headers["X-Frame-Options"] == "DENY"
        assert _get(url, Host="evil.example")[0] == 400
        assert _get(url + "_dash-layout")[1]["Cache-Control"] == "no-store"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()
