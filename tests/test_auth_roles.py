"""What each role sees in the dashboard with sign-in on (``serve --auth``).

Therapist ann is assigned two sample clients, therapist bob the other two.
Signed in as ann, every page and every server callback is asked for bob's
clients, with values taken from bob's own records; the store's reads that
return any of bob's rows are counted, and every response is searched for
bob's data (his people's names, his clients' labels, dates, notes and PHQ-9
courses; a word ann sent in the request does not count, since a page may say
back the id it was asked for). Both counts must be 0, and every response must
be the one an id that does not exist gets (no existence oracle). The same
requests signed in as bob find his data (so the requests do reach it). Every
command of the CLI that reads clients is run the same way. A researcher opens
the cohort page only, and gets no client's id or label there.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import dash
import pandas as pd
import pytest
from flask.testing import FlaskClient

from dashboards import ids
from dashboards.app import create_app
from ipt_network import Inventory
from ipt_network.io.recording import draft_next_session
from ipt_network.io.store import Store

CALLBACK: Final = "/_dash-update-component"
SignIn = Callable[..., Any]
#: Client reads of the store that a leak would go through.
READS: Final = ("inventory", "read_tables", "client_ids")


@pytest.fixture
def app(users_store: Store) -> dash.Dash:
    return create_app(users_store, auth=True)


@pytest.fixture
def admin(users_store: Store, auth_users: dict[str, Any]) -> Store:
    return users_store.acting_as(users_store.sign_in("lee", auth_users["lee"][1]))


def client_for(app: dash.Dash, sign_in: SignIn, name: str) -> FlaskClient:
    client = app.server.test_client()
    assert sign_in(client, name).status_code == 303
    assert client.get("/").status_code in (200, 302)  # Dash registers its page router
    return client


# --------------------------------------------------------------------------- bob's data


def _data_words(inventory: Inventory) -> set[str]:
    """What a client's record says, as text: names, labels, dates, notes and PHQ-9 courses."""
    words = set(inventory.people["name"].astype(str)) | set(inventory.clients["label"].astype(str))
    dates = [inventory.sessions["date"], inventory.events["date"]]
    dates += [inventory.clients[c] for c in ("onset_date", "contract_date")]
    words |= {str(d) for column in dates for d in column.dropna()}
    words |= {str(t) for t in inventory.events["description"].dropna()}
    for _, sessions in inventory.sessions.groupby("client_id"):
        totals = sessions.filter(like="phq9_").sum(axis=1, min_count=9).dropna()
        # a course of PHQ-9 totals as a figure's JSON holds it
        words.add(",".join(str(int(t)) for t in totals))
    return words


def markers(admin: Store, theirs: list[str], others: list[str]) -> set[str]:
    """Strings that betray the clients ``theirs``: their data, none of it in ``others``' records.

    Ids are left out: a page or a callback asked for an id may say it back
    (the same for a client that does not exist, see :func:`probe`).
    """
    mine = _data_words(admin.inventory(theirs))
    other = _data_words(admin.inventory(others)) if others else set()
    return {w for w in mine - other if len(w) >= 4}


def _holds(value: Any, targets: set[str]) -> bool:
    """Whether a store read's result has a row or an id of ``targets``."""
    if isinstance(value, Inventory):
        return bool(set(value.client_ids()) & targets)
    if isinstance(value, dict):
        return any(_holds(v, targets) for v in value.values())
    if isinstance(value, pd.DataFrame):
        return "client_id" in value and bool(set(value["client_id"].astype(str)) & targets)
    if isinstance(value, list):
        return bool({v for v in value if isinstance(v, str)} & targets)
    return False


@pytest.fixture
def reads_of(monkeypatch: pytest.MonkeyPatch) -> Callable[[set[str]], Counter[str]]:
    """``reads_of(ids)``: from now on, count the store reads returning rows of ``ids``."""

    def start(targets: set[str]) -> Counter[str]:
        seen: Counter[str] = Counter()
        for name in READS:
            original = getattr(Store, name)

            def counted(self: Store, *args: Any, _read: Any = original, _name: str = name,
                        **kwargs: Any) -> Any:  # fmt: skip
                out = _read(self, *args, **kwargs)
                if _holds(out, targets):
                    seen[_name] += 1
                return out

            monkeypatch.setattr(Store, name, counted)
        return seen

    return start


def values_for(inventory: Inventory, client_id: str) -> dict[tuple[str, str], Any]:
    """A fitting value for every callback input, taken from ``client_id``'s own records."""
    sessions = inventory.sessions_of(client_id)
    draft = draft_next_session(inventory, client_id)
    on_map = [r["person_id"] for r in draft.people]
    return {
        ("_pages_store", "data"): {"title": "x"},
        ("_pages_location", "search"): "",
        (ids.CLIENT_SEARCH, "value"): "",
        (ids.COHORT_AREAS, "value"): ["grief", "role_dispute", "role_transition", "deficits"],
        (ids.COHORT_EPISODES, "value"): ["single", "recurrent"],
        (ids.COHORT_LENGTHS, "value"): ["up_to_12", "13_to_16", "over_16"],
        (ids.COHORT_MEASURE, "value"): "added",
        (ids.CLIENT_ID, "data"): client_id,
        (ids.SESSION_SLIDER, "value"): sessions[-1],
        (ids.SESSION_SLIDER, "min"): sessions[0],
        (ids.SESSION_SLIDER, "max"): sessions[-1],
        (ids.COMPARE_ON, "value"): ["on"],
        (ids.COMPARE_SESSION, "value"): sessions[0],
        (ids.CLIENT_VIEW, "value"): [],
        (ids.PERSON, "value"): on_map[0],
        (ids.PLAY, "n_clicks"): 1,
        (ids.PLAY_TIMER, "n_intervals"): 1,
        (ids.PLAY_TIMER, "disabled"): True,
        (ids.RECORD_ROWS, "data"): draft.people,
        (ids.RECORD_SESSION, "data"): draft.session,
        (ids.RECORD_DATE, "value"): draft.date,
        (ids.RECORD_WORK, "data"): [],
        (ids.RECORD_CONTRACT_LOADED, "data"): draft.contract,
        (ids.RECORD_TIES, "value"): [f"{t['source']}|{t['target']}" for t in draft.ties],
        (ids.RECORD_TIE_A, "value"): on_map[0],
        (ids.RECORD_TIE_B, "value"): on_map[-1],
        ("people", "index"): on_map,
        (ids.RECORD_RING, "value"): [r["ring"] for r in draft.people],
        (ids.RECORD_CONFLICT, "value"): [r["conflict"] for r in draft.people],
        (ids.RECORD_SUPPORT, "value"): [r["support"] for r in draft.people],
        (ids.RECORD_PHQ9, "value"): [0] * 9,
    }


def _slot(dep: dict[str, str], values: dict[tuple[str, str], Any]) -> Any:
    if not dep["id"].startswith("{"):
        prop = dep["property"]
        default = 1 if prop == "n_clicks" else None
        return {**dep, "value": values.get((dep["id"], prop), default)}
    kind = json.loads(dep["id"])["type"]
    default = list(range(1, 10)) if kind == ids.RECORD_PHQ9 else values[("people", "index")]
    indices = values.get((kind, "index"), default)
    given = values.get((kind, dep["property"]), [None] * len(indices))
    return [
        {
            "id": {"type": kind, "index": index},
            "property": dep["property"],
            "value": {"type": kind, "index": index} if dep["property"] == "id" else given[n],
        }
        for n, index in enumerate(indices)
    ]


def callback_body(
    output: str, spec: dict[str, Any], values: dict[tuple[str, str], Any], path: str
) -> dict[str, Any]:
    """A request of callback ``output`` with ``values`` (the page router gets ``path``)."""
    values = {**values, ("_pages_location", "pathname"): path}
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in (output[2:-2].split("...") if output.startswith("..") else [output])
    ]
    inputs = [_slot(d, values) for d in spec["inputs"]]
    first = inputs[0] if isinstance(inputs[0], dict) else inputs[0][0]
    return {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": inputs,
        "state": [_slot(d, values) for d in spec["state"]],
        "changedPropIds": [f"{_string_id(first['id'])}.{first['property']}"],
    }


def _string_id(component_id: Any) -> str:
    """An id as Dash writes it in a prop id (a pattern id as JSON with sorted keys)."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


#: An id no client of the store has: what a page says for it is what "not found" looks like.
GHOST: Final = "ghost-99"


def _requests(
    app: dash.Dash, client_id: str, values: dict[tuple[str, str], Any]
) -> Iterator[tuple[str, str, dict[str, Any] | None]]:
    """(name, path, callback body or None for a page) of every request about ``client_id``."""
    paths = ["/", "/cohort", f"/client/{client_id}", f"/client/{client_id}/record"]
    for path in paths:
        yield f"GET {path}", path, None
    for output, spec in app.callback_map.items():
        if not callable(spec.get("callback")):
            continue  # runs in the browser
        router = "_pages_content" in output
        for path in paths if router else paths[2:3]:
            yield f"{output} {path}", path, callback_body(output, spec, values, path)


#: The random token a page carries for the callbacks' CSRF check (new on every page).
_TOKEN: Final = re.compile(r'"[A-Za-z0-9]+~[0-9a-f]{32,}"')


def _send(client: FlaskClient, path: str, body: dict[str, Any] | None) -> tuple[int, str]:
    """Status and text of a page or a callback (its JSON as plain text, ``/`` not escaped)."""
    if body is None:
        response = client.get(path)
        return response.status_code, _TOKEN.sub('"token"', response.get_data(as_text=True))
    response = client.post(CALLBACK, json=body)
    text = response.get_data(as_text=True)
    if response.is_json:
        text = json.dumps(response.get_json(), ensure_ascii=False)
    return response.status_code, text


def probe(
    app: dash.Dash,
    client: FlaskClient,
    values_of: dict[str, dict[tuple[str, str], Any]],
    words: set[str],
    *,
    oracle: list[str] | None = None,
) -> tuple[int, list[str], int]:
    """Every page and server callback asked for each client of ``values_of``, with its values.

    A word counts as shown only when the response holds it and the request
    did not (a callback may say back what the browser sent it). With
    ``oracle``, each request is sent again for :data:`GHOST`, an id no
    client has, with the same values: every response that differs, the id
    aside, is added to ``oracle`` (it would tell that the client exists).

    Returns (requests sent, what the responses showing any of ``words`` were, errors 5xx).
    """
    sent = errors = 0
    showing: list[str] = []
    for client_id, values in values_of.items():
        for what, path, body in _requests(app, client_id, values):
            sent += 1
            status, text = _send(client, path, body)
            asked = path + json.dumps(body)
            shown = sorted(word for word in words if word in text and word not in asked)
            if shown:
                showing.append(f"{what}: {shown}")
            errors += status >= 500
            if oracle is not None:
                ghost = json.loads(json.dumps(body).replace(client_id, GHOST)) if body else None
                ghost_status, ghost_text = _send(client, path.replace(client_id, GHOST), ghost)
                if (status, text) != (ghost_status, ghost_text.replace(GHOST, client_id)):
                    oracle.append(what)
    return sent, showing, errors


# --------------------------------------------------------------------------- therapists


def test_a_therapist_reads_none_of_another_therapists_clients(
    app: dash.Dash,
    sign_in: SignIn,
    admin: Store,
    auth_users: dict[str, Any],
    reads_of: Callable[[set[str]], Counter[str]],
) -> None:
    bobs = list(auth_users["bob"][2])
    anns = list(auth_users["ann"][2])
    words = markers(admin, bobs, anns)
    before = {c: admin.inventory([c]) for c in bobs}
    revision = admin.revision
    values_of = {c: values_for(admin.inventory([c]), c) for c in bobs}
    ann = client_for(app, sign_in, "ann")
    reads = reads_of(set(bobs))
    oracle: list[str] = []
    sent, showing, errors = probe(app, ann, values_of, words, oracle=oracle)
    n_callbacks = sum(callable(s.get("callback")) for s in app.callback_map.values())
    print(
        f"ann asked for bob's {len(bobs)} clients: {sent} requests (4 pages, "
        f"{n_callbacks} server callbacks each); reads returning bob's rows: "
        f"{sum(reads.values())}; responses showing bob's data: {len(showing)}; "
        f"responses unlike those for an id that does not exist: {len(oracle)}"
    )
    assert errors == 0
    assert sum(reads.values()) == 0
    assert showing == []
    assert oracle == []
    assert admin.revision == revision  # nothing written (the save buttons were pressed)
    for client_id, tables in before.items():
        assert admin.inventory([client_id]).sessions.equals(tables.sessions)
    # The same requests signed in as bob do find his data: the probe reaches it.
    bob = client_for(app, sign_in, "bob")
    reads.clear()
    _, bob_showing, bob_errors = probe(app, bob, values_of, words)
    assert bob_errors == 0
    assert bob_showing and sum(reads.values()) > 0


def test_a_therapists_client_list_has_their_clients_only(
    app: dash.Dash, sign_in: SignIn, admin: Store, auth_users: dict[str, Any]
) -> None:
    ann = client_for(app, sign_in, "ann")
    values = values_for(admin.inventory(["grief-01"]), "grief-01")
    output = f"{ids.CLIENT_TABLE}.children"
    body = callback_body(output, app.callback_map[output], values, "/")
    _, text = _send(ann, "/", body)
    for client_id in auth_users["ann"][2]:
        assert f"/client/{client_id}" in text
    for client_id in auth_users["bob"][2]:
        assert client_id not in text


def test_another_therapists_client_page_is_not_found(
    app: dash.Dash, sign_in: SignIn, admin: Store
) -> None:
    ann = client_for(app, sign_in, "ann")
    values = values_for(admin.inventory(["transition-01"]), "transition-01")
    router = next(o for o in app.callback_map if "_pages_content" in o)
    body = callback_body(router, app.callback_map[router], values, "/client/transition-01")
    response = ann.post(CALLBACK, json=body)
    assert response.status_code == 200
    assert "Client not found" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- researcher


@pytest.fixture
def researcher(app: dash.Dash, sign_in: SignIn) -> Iterator[FlaskClient]:
    client = app.server.test_client()
    response = sign_in(client, "rae")
    assert response.headers["Location"] == "/cohort"  # the researcher's start page
    yield client


def test_a_researcher_opens_the_cohort_page_only(app: dash.Dash, researcher: FlaskClient) -> None:
    assert researcher.get("/cohort").status_code == 200
    assert researcher.get("/").headers["Location"] == "/cohort"
    for path in ("/client/grief-01", "/client/grief-01/record", "/anything"):
        page = researcher.get(path)
        assert page.status_code == 403
        text = page.get_data(as_text=True)
        assert text.count("<h1>") == 1 and "not open to your role" in text


def test_a_researcher_signs_out_from_a_page_not_open_to_them(researcher: FlaskClient) -> None:
    import re

    text = researcher.get("/client/grief-01").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert token is not None and 'action="/logout"' in text
    response = researcher.post("/logout", data={"csrf_token": token.group(1)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert researcher.get("/cohort").status_code == 302  # signed out: back to the form


def test_the_cohort_page_links_to_the_client_list_only_for_those_who_have_one(
    researcher: FlaskClient, app: dash.Dash, sign_in: SignIn
) -> None:
    router = next(o for o in app.callback_map if "_pages_content" in o)
    body = callback_body(router, app.callback_map[router], {}, "/cohort")

    def links_home(client: FlaskClient) -> bool:
        code, text = _send(client, "/cohort", body)
        assert code == 200, text[:300]
        return "Back to the client list" in text

    assert links_home(client_for(app, sign_in, "ann"))
    assert not links_home(researcher)


def test_a_researcher_calls_the_cohort_callbacks_only_and_sees_no_identity(
    app: dash.Dash, researcher: FlaskClient, admin: Store, sign_in: SignIn
) -> None:
    client_for(app, sign_in, "lee")  # Dash's router registered
    every = admin.client_ids()
    words = markers(admin, every, []) | set(every)  # no id either: none was asked for
    values = values_for(admin.inventory(["grief-01"]), "grief-01")
    statuses: dict[str, int] = {}
    for output, spec in app.callback_map.items():
        if not callable(spec.get("callback")):
            continue
        router = "_pages_content" in output
        for path in ("/cohort", "/", "/client/grief-01") if router else ("/cohort",):
            response = researcher.post(CALLBACK, json=callback_body(output, spec, values, path))
            statuses[f"{output} {path}"] = response.status_code
            text = response.get_data(as_text=True)
            assert not any(word in text for word in words), (output, path)
    allowed = {k for k, s in statuses.items() if s != 403}
    print(
        f"researcher: {len(statuses)} callback requests, {len(allowed)} allowed: {sorted(allowed)}"
    )
    cohort = {
        k for k in statuses if ids.COHORT_COUNT in k or k.endswith(" /cohort") and "_pages" in k
    }
    assert allowed == cohort
    assert all(statuses[k] == 200 for k in cohort)


# --------------------------------------------------------------------------- the command line

#: Commands that read one client, asked for a client; ``{c}`` is the client, ``{out}`` a folder.
ASKING: Final = {
    "show": ["{c}"],
    "changes": ["{c}"],
    "timeline": ["{c}"],
    "problem-areas": ["{c}"],
    "report": ["{c}", "--out", "{out}/report.html"],
    "export": ["--client", "{c}", "--out", "{out}/export"],
    "focus": ["{c}", "grief", "--session", "1"],
    "work": ["{c}", "--session", "1", "--person", "p01", "--kind", "task"],
    "stage": ["{c}", "impasse", "--session", "1"],
    "contract": ["{c}", "--planned", "12"],
    "ending": ["{c}", "--gains", "More walks."],
    "goal": ["{c}", "--session", "1", "--goal-id", "g1", "--status", "achieved"],
    "area-work": ["{c}", "grief", "--session", "1", "--person", "p01", "--memories", "A walk."],
}
#: Commands that read every client the user sees (``{out}``: a folder for their files).
WHOLE: Final = {
    "clients": [],
    "export": ["--out", "{out}/all"],
    "metrics": ["--out", "{out}/metrics.csv", "--no-progress"],
    "problem-areas": ["--all", "--out", "{out}/areas.json", "--no-progress"],
    "model": ["--out", "{out}/model", "--no-progress"],
}
#: Commands that read no client's record for a therapist, and why.
NO_CLIENT_READ: Final = {
    "init": "makes or upgrades a store",
    "settings": "the region only",
    "import": "writes; a taken id is refused (import walks in test_audit.py)",
    "import-nc": "writes, as import",
    "synth": "no store",
    "demo": "its own sample store",
    "serve": "the dashboard, probed above",
    "backup": "admins only",
    "restore": "admins only",
    "users": "admins only",
    "audit": "admins only",
}


def _texts(folder: Path) -> str:
    """Every file written under ``folder``, as one text (bytes that are not UTF-8 dropped)."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "ignore") for p in folder.rglob("*") if p.is_file()
    )


def test_a_therapist_reads_none_of_another_therapists_clients_from_the_command_line(
    users_store: Store, admin: Store, auth_users: dict[str, Any], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from ipt_network.cli import COMMANDS, main

    unclassified = set(COMMANDS) - set(ASKING) - set(WHOLE) - set(NO_CLIENT_READ)
    assert not unclassified, f"classify these commands in this test: {sorted(unclassified)}"
    bobs, anns = list(auth_users["bob"][2]), list(auth_users["ann"][2])
    words = markers(admin, bobs, anns)
    db = str(users_store.engine.url.database)
    revision = admin.revision

    def as_ann(command: str, args: list[str], client: str, out: Path) -> tuple[int, str, str]:
        out.mkdir(parents=True)
        words_in = [a.format(c=client, out=out) for a in args]
        result = CliRunner().invoke(
            main, [command, *words_in, "--db", db, "--user", "ann"], input=auth_users["ann"][1]
        )
        return result.exit_code, result.output, _texts(out)

    shown: list[str] = []
    unlike: list[str] = []
    runs = 0
    for command, args in ASKING.items():
        for client in bobs:
            runs += 1
            code, out, files = as_ann(command, args, client, tmp_path / f"{command}-{client}")
            ghost = as_ann(command, args, GHOST, tmp_path / f"{command}-ghost-{client}")
            if (code, out, files) != (ghost[0], ghost[1].replace(GHOST, client), ghost[2]):
                unlike.append(f"{command} {client}")
            if code == 0 or any(w in out + files for w in words):
                shown.append(f"{command} {client}: exit {code}")
    for command, args in WHOLE.items():
        runs += 1
        code, out, files = as_ann(command, args, "", tmp_path / f"whole-{command}")
        assert code == 0, f"{command}: {out}"
        found = sorted(w for w in {*words, *bobs} if w in out + files)
        if found:
            shown.append(f"{command}: {found}")
    print(
        f"ann ran {len(ASKING) + len(WHOLE)} commands that read clients ({runs} runs) for bob's "
        f"{len(bobs)} clients: outputs and files showing bob's data: {len(shown)}; answers "
        f"unlike those for an id that does not exist: {len(unlike)}"
    )
    assert shown == []
    assert unlike == []
    assert admin.revision == revision  # nothing written (an audit row bumps no revision)
    anns_rows = admin.audit_trail().query("actor == 'ann'")
    assert len(anns_rows) == 4  # her exports: export, metrics, problem-areas --all, model
    assert not any(c in row for row in anns_rows["clients"] for c in bobs)
