"""The recording page: the people on the map, ties, the PHQ-9, and saving a session."""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.callbacks._common import client_tables
from dashboards.components import (
    client_href,
    safety_banner,
)
from dashboards.context import current_store
from dashboards.pages.record import (
    SAVING_HIDDEN,
    draft_rows,
    people_table,
    person_options,
    tie_options,
    work_options,
)
from ipt_network.clinical.safety import (
    SELF_HARM_ITEMS,
    ItemAnswer,
    safety_flag,
    with_answer,
)
from ipt_network.errors import (
    ClientNotFound,
    Failure,
    StoreError,
    ValidationError,
)
from ipt_network.io.recording import (
    AREA_WORK,
    FORM,
    RecordingError,
    add_person,
    add_work,
    contract_draft,
    prune_ties,
    record_contract,
    record_session,
)
from ipt_network.io.store import Store

#: Per-person input types on the recording page and the row field each one edits.
EDIT_FIELDS = {
    ids.RECORD_RING: "ring",
    ids.RECORD_CONFLICT: "conflict",
    ids.RECORD_SUPPORT: "support",
    ids.RECORD_OFF: "off",
}

Edits = dict[str, tuple[Any, Any]]


def merge_edits(rows: Any, edits: Edits) -> list[dict[str, Any]]:
    """The draft rows with the values typed into their inputs.

    Parameters
    ----------
    rows : list of dict
        The draft map's rows (from the page's ``dcc.Store``).
    edits : dict
        Input type (a key of :data:`EDIT_FIELDS`) to ``(ids, values)`` of the
        pattern-matching inputs, as Dash sends them. Values are left as sent;
        :func:`ipt_network.io.recording.session_tables` checks them.

    Examples
    --------
    >>> rows = [{"person_id": "p1", "ring": 1}]
    >>> ids_ = [{"type": "record-ring", "index": "p1"}]
    >>> merge_edits(rows, {"record-ring": (ids_, [3]), "record-off": (ids_, [["off"]])})
    [{'person_id': 'p1', 'ring': 3, 'off': True}]
    """
    merged = draft_rows(rows)
    by_id = {r["person_id"]: r for r in merged}
    for kind, (keys, values) in edits.items():
        field = EDIT_FIELDS.get(kind)
        if field is None or not isinstance(keys, list) or not isinstance(values, list):
            continue
        for key, value in zip(keys, values, strict=False):
            row = by_id.get(str(key.get("index"))) if isinstance(key, dict) else None
            if row is not None:
                row[field] = _is_on_value(value) if field == "off" else value
    return merged


def _text_in(value: Any, choices: set[str]) -> bool:
    """Whether ``value`` is one of the strings ``choices`` (False for anything unhashable)."""
    return isinstance(value, str) and value in choices


def _is_on_value(value: Any) -> bool:
    return isinstance(value, list) and "off" in value


def add_to_map(
    store: Store,
    client_id: Any,
    trigger: Any,
    rows: Any,
    edits: Edits | None = None,
    back_person: Any = None,
    new_name: Any = None,
    new_role: Any = None,
) -> tuple[list[dict[str, Any]], Any, str, list[dict[str, str]], list[dict[str, str]]]:
    """Put a known person back on the draft map (``"back"``) or add a new one (``"new"``).

    Returns
    -------
    tuple
        The map's rows (with the values typed so far), the people table, a
        message (empty when all went well), the options of people who could
        still be put back, and the people offered for new ties.
    """
    inventory = client_tables(store, client_id)
    current = merge_edits(rows, edits or {})
    try:
        if trigger == "back" and not (isinstance(back_person, str) and back_person):
            raise RecordingError([Failure(FORM, None, "person", "choose someone to put back")])
        if trigger == "back":
            current = add_person(current, inventory, client_id, person_id=back_person)
        elif trigger == "new":
            current = add_person(current, inventory, client_id, name=new_name or "", role=new_role)
        else:
            raise PreventUpdate
        message = ""
    except RecordingError as err:
        message = "; ".join(f"{f.column}: {f.message}" for f in err.failures)
    listed = {str(r.get("person_id")) for r in current}
    people = inventory.people
    off_map = [
        {"person_id": str(p), "name": str(n), "role": str(r)}
        for p, n, r in zip(people["person_id"], people["name"], people["role"], strict=True)
        if str(p) not in listed
    ]
    return current, people_table(current), message, person_options(off_map), person_options(current)


def add_tie(
    rows: Any, options: Any, value: Any, source: Any, target: Any
) -> tuple[list[dict[str, str]], list[str]]:
    """Add a tie between two people of the draft map to the ties checklist, ticked.

    Examples
    --------
    >>> rows = [{"person_id": "a", "name": "Ann"}, {"person_id": "b", "name": "Bo"}]
    >>> add_tie(rows, [], [], "a", "b")
    ([{'label': ' Ann and Bo', 'value': 'a|b'}], ['a|b'])
    """
    people = {r["person_id"] for r in draft_rows(rows)}
    if not isinstance(source, str) or not isinstance(target, str):
        raise PreventUpdate
    if source not in people or target not in people or source == target:
        raise PreventUpdate
    current = [o for o in options if isinstance(o, dict)] if isinstance(options, list) else []
    ticked = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    pair = {f"{source}|{target}", f"{target}|{source}"}
    existing = next((o["value"] for o in current if _text_in(o.get("value"), pair)), None)
    if existing is not None:
        return current, sorted({*ticked, existing})
    new = tie_options([{"source": source, "target": target}], draft_rows(rows))
    return current + new, [*ticked, new[0]["value"]]


def by_index(keys: Any, values: Any) -> dict[str, Any]:
    """The values of pattern-matching inputs by their ``index``, as Dash sends them.

    Entries whose id is not an object with a string index are dropped.

    Examples
    --------
    >>> by_index([{"type": "t", "index": "gains"}, "junk"], ["more time", "x"])
    {'gains': 'more time'}
    """
    if not isinstance(keys, list) or not isinstance(values, list):
        return {}
    return {
        key["index"]: value
        for key, value in zip(keys, values, strict=False)
        if isinstance(key, dict) and isinstance(key.get("index"), str)
    }


def middle_phase(
    stage: Any,
    difficulty: Any,
    work: Any,
    work_kept: Any,
    goal_status: dict[str, Any],
    new_goal: dict[str, Any],
    area: dict[str, Any],
) -> dict[str, Any]:
    """The middle-phase fields of the recording page as arguments of ``record_session``.

    Values are passed on as sent (the library checks them); only the shape is
    arranged: the work ticked to keep, one goal entry per status picked and
    one for a new goal, and each area record from its fields
    (``"<table>-<column>"``).

    Examples
    --------
    >>> fields = middle_phase("impasse", 2, [{"kind": "task"}, {"kind": "role_play"}], ["1"],
    ...                       {"g1": "achieved", "g2": None}, {}, {"grief_work-memories": "m"})
    >>> fields["communication"], fields["goals"], fields["grief_work"]
    ([{'kind': 'role_play'}], [{'goal_id': 'g1', 'status': 'achieved'}], [{'memories': 'm'}])
    """
    rows = work if isinstance(work, list) else []
    kept = {v for v in work_kept if isinstance(v, str)} if isinstance(work_kept, list) else set()
    goals = [{"goal_id": g, "status": v} for g, v in goal_status.items() if v]
    if any(new_goal.get(k) for k in ("area", "goal", "status")):
        goals.append({"goal_id": None, **{k: new_goal.get(k) for k in ("area", "goal", "status")}})
    records: dict[str, dict[str, Any]] = {table: {} for table in AREA_WORK}
    for name, value in area.items():
        table, _, column = name.partition("-")
        if table in records:
            records[table][column] = value
    return {
        "dispute_stage": stage,
        "phq9_difficulty": difficulty,
        "communication": [r for n, r in enumerate(rows) if str(n) in kept],
        "goals": goals,
        "dispute_work": [records["dispute_work"]],
        "transition_work": records["transition_work"],
        "grief_work": [records["grief_work"]],
    }


def _refused(err: Exception) -> tuple[list[Any], str]:
    """A refused save as the message's children and class: every problem, by field."""
    if isinstance(err, ClientNotFound):
        return [html.P("This client is no longer in the store.")], "message error"
    if isinstance(err, ValidationError):
        problems = [f"{f.column}: {f.message}" if f.column else f.message for f in err.failures]
        return [
            html.P("Nothing was saved. Please correct:"),
            html.Ul([html.Li(p) for p in problems]),
        ], "message error"
    return [html.P(str(err))], "message error"


def save_session(
    store: Store,
    client_id: Any,
    session: Any,
    date: Any,
    rows: Any,
    edits: Edits,
    ties: Any,
    phq9: Any,
    extra: dict[str, Any] | None = None,
) -> tuple[list[Any], str]:
    """Record the session from the form; a clear message either way.

    People ticked "take off" are left off the map, with their ties. ``extra``
    holds the middle-phase fields (:func:`middle_phase`).

    Returns
    -------
    tuple
        The message's children and its class (``"message ok"`` or ``"message error"``).
    """
    if not isinstance(client_id, str):
        raise PreventUpdate
    people = [r for r in merge_edits(rows, edits) if not r.get("off")]
    pairs = (
        [v.split("|", 1) for v in ties if isinstance(v, str) and "|" in v]
        if isinstance(ties, list)
        else []
    )
    kept = prune_ties([{"source": a, "target": b} for a, b in pairs], people)
    form = {"session": session, "date": date, "people": people, "ties": kept, "phq9": phq9}
    try:
        saved = record_session(store, client_id, **form, **(extra or {}))
    except (ClientNotFound, ValidationError, StoreError) as err:
        return _refused(err)
    return [
        html.P(f"Session {saved} saved."),
        dash.dcc.Link(f"See session {saved} on the map", href=client_href(client_id)),
    ], "message ok"


def save_contract(
    store: Store, client_id: Any, fields: dict[str, Any], loaded: Any
) -> tuple[list[Any], str, Any]:
    """Record the fields of the treatment contract and ending form changed since it was
    loaded; a clear message either way.

    ``loaded`` holds the values the form was opened with: a field changed in the
    store since then is refused rather than overwritten.

    Returns
    -------
    tuple
        The message's children, its class (``"message ok"`` or ``"message error"``)
        and the values the form now stands on (the stored ones after a save).
    """
    if not isinstance(client_id, str):
        raise PreventUpdate
    opened = loaded if isinstance(loaded, dict) else {}
    try:
        saved = record_contract(store, client_id, fields, loaded=opened)
    except (ClientNotFound, ValidationError, StoreError) as err:
        return *_refused(err), dash.no_update
    if not saved:
        return [html.P("Nothing changed since the page was opened.")], "message ok", opened
    now = contract_draft(store.inventory([client_id]), client_id)
    return [html.P("The contract and ending are saved.")], "message ok", now


def add_work_row(
    store: Store, client_id: Any, work: Any, kept: Any, entry: dict[str, Any], people: Any
) -> tuple[list[dict[str, Any]], list[dict[str, str]], list[str], str]:
    """Add the piece of communication work typed on the page to its list, ticked.

    Returns
    -------
    tuple
        The work rows, the checklist's options and ticked values, and a
        message (what was wrong, or that the work was added).
    """
    inventory = client_tables(store, client_id)
    rows = [r for r in work if isinstance(r, dict)] if isinstance(work, list) else []
    ticked = [v for v in kept if isinstance(v, str)] if isinstance(kept, list) else []
    try:
        rows = add_work(rows, entry, inventory, client_id, draft_rows(people))
    except RecordingError as err:
        message = "; ".join(f"{f.column}: {f.message}" for f in err.failures)
        return rows, work_options(rows, _all_people(inventory, people)), ticked, message
    ticked = [*ticked, str(len(rows) - 1)]
    added = "Added to the list above; it is saved with the session."
    return rows, work_options(rows, _all_people(inventory, people)), ticked, added


def _all_people(inventory: Any, people: Any) -> list[dict[str, Any]]:
    """The client's people and those new on the draft map, for naming work by person."""
    known = inventory.people
    stored = [
        {"person_id": str(p), "name": str(n)}
        for p, n in zip(known["person_id"], known["name"], strict=True)
    ]
    return [*draft_rows(people), *stored]


def _typed_item9(phq9: Any) -> int | None:
    """Item 9 as typed on the recording page (the last of the nine values), when 1 to 3."""
    if not isinstance(phq9, list) or len(phq9) != 9:
        return None
    value = phq9[-1]
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value in {"1", "2", "3"} else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= SELF_HARM_ITEMS[0].maximum else None


def record_banner(store: Store, client_id: Any, session: Any, phq9: Any) -> list[Any]:
    """The recording page's safety banner, live: the stored flag, and item 9 as typed.

    As soon as item 9 above 0 is typed for the session being recorded, the
    banner shows the flag with that answer, marked as not saved yet; once the
    session is saved the stored flag (which then holds it) is shown.

    Parameters
    ----------
    store : Store
        The app's store (its region gives the crisis lines).
    client_id : str
        The client (untrusted).
    session : int
        The session being recorded (untrusted).
    phq9 : list
        The nine item inputs' values, item 1 first (untrusted).
    """
    inventory = client_tables(store, client_id)
    if isinstance(session, bool) or not isinstance(session, int):
        raise PreventUpdate
    flag = safety_flag(inventory, client_id)
    typed = _typed_item9(phq9)
    pending = typed is not None and session not in inventory.sessions_of(client_id)
    if pending and typed is not None:
        flag = with_answer(flag, client_id, ItemAnswer(SELF_HARM_ITEMS[0], session, typed))
    lines = safety_banner(flag, region=store.region)
    if pending:
        lines.append(
            html.P(
                f"Item 9 at session {session} is entered on this page and not saved yet.",
                className="banner-line",
            )
        )
    return lines


def item9_note(store: Store, client_id: Any, session: Any, phq9: Any) -> str:
    """A line beside item 9 while an answer above 0 is typed and not saved yet.

    The flag itself, with the crisis lines, is the banner at the top of the
    page (:func:`record_banner`); this line tells a therapist typing at the
    bottom of the form that it is there.

    Examples
    --------
    >>> import os, tempfile
    >>> from ipt_network import Store, load_samples
    >>> store = Store.create(os.path.join(tempfile.mkdtemp(), "ipt.db"))
    >>> _ = store.import_inventory(load_samples().for_clients(["dispute-01"]))
    >>> item9_note(store, "dispute-01", 17, [None] * 8 + [2])
    'Item 9 above 0: the safety flag and the crisis lines are at the top of this page.'
    >>> item9_note(store, "dispute-01", 17, [0] * 9)
    ''
    >>> store.close()
    """
    if _typed_item9(phq9) is None:
        return ""
    inventory = client_tables(store, client_id)
    if isinstance(session, bool) or not isinstance(session, int):
        raise PreventUpdate
    if session in inventory.sessions_of(client_id):
        return ""
    return "Item 9 above 0: the safety flag and the crisis lines are at the top of this page."


def saving(button_id: str, message_id: str, saving_id: str) -> list[tuple[Output, Any, Any]]:
    """While a save runs: its button disabled, "Saving…" shown and the last message hidden.

    Examples
    --------
    >>> [str(out) for out, _, _ in saving("b", "m", "s")]
    ['b.disabled', 's.style', 'm.style']
    """
    return [
        (Output(button_id, "disabled"), True, False),
        (Output(saving_id, "style"), {}, SAVING_HIDDEN),
        (Output(message_id, "style"), SAVING_HIDDEN, {}),
    ]


def register(app: dash.Dash) -> None:
    """Wire this page's callbacks to ``app``; each fetches the request's store."""

    edit_states = [
        State({"type": kind, "index": ALL}, prop)
        for kind in EDIT_FIELDS
        for prop in ("id", "value")
    ]

    def edits_of(values: tuple[Any, ...]) -> Edits:
        pairs = iter(values)
        return {kind: (next(pairs), next(pairs)) for kind in EDIT_FIELDS}

    def fields(kind: str) -> list[State]:
        """The ids and values of every field of one pattern type."""
        return [State({"type": kind, "index": ALL}, prop) for prop in ("id", "value")]

    @app.callback(
        Output(ids.RECORD_ROWS, "data"),
        Output(ids.RECORD_PEOPLE, "children"),
        Output(ids.RECORD_ADD_MESSAGE, "children"),
        Output(ids.RECORD_BACK_PERSON, "options"),
        Output(ids.RECORD_TIE_A, "options"),
        Output(ids.RECORD_TIE_B, "options"),
        Input(ids.RECORD_BACK, "n_clicks"),
        Input(ids.RECORD_NEW, "n_clicks"),
        State(ids.RECORD_ROWS, "data"),
        State(ids.RECORD_BACK_PERSON, "value"),
        State(ids.RECORD_NEW_NAME, "value"),
        State(ids.RECORD_NEW_ROLE, "value"),
        State(ids.CLIENT_ID, "data"),
        *edit_states,
        prevent_initial_call=True,
    )
    def _add(
        _back: Any,
        _new: Any,
        rows: Any,
        back: Any,
        name: Any,
        role: Any,
        client_id: Any,
        *edits: Any,
    ) -> tuple[Any, ...]:
        trigger = "back" if ctx.triggered_id == ids.RECORD_BACK else "new"
        people = add_to_map(
            current_store(), client_id, trigger, rows, edits_of(edits), back, name, role
        )
        return (*people, people[-1])

    @app.callback(
        Output(ids.RECORD_TIES, "options"),
        Output(ids.RECORD_TIES, "value"),
        Input(ids.RECORD_ADD_TIE, "n_clicks"),
        State(ids.RECORD_ROWS, "data"),
        State(ids.RECORD_TIES, "options"),
        State(ids.RECORD_TIES, "value"),
        State(ids.RECORD_TIE_A, "value"),
        State(ids.RECORD_TIE_B, "value"),
        prevent_initial_call=True,
    )
    def _tie(
        _clicks: Any, rows: Any, options: Any, value: Any, source: Any, target: Any
    ) -> tuple[list[dict[str, str]], list[str]]:
        return add_tie(rows, options, value, source, target)

    @app.callback(
        Output(ids.RECORD_MESSAGE, "children"),
        Output(ids.RECORD_MESSAGE, "className"),
        Input(ids.RECORD_SAVE, "n_clicks"),
        State(ids.CLIENT_ID, "data"),
        State(ids.RECORD_SESSION, "data"),
        State(ids.RECORD_DATE, "value"),
        State(ids.RECORD_ROWS, "data"),
        State(ids.RECORD_TIES, "value"),
        State({"type": ids.RECORD_PHQ9, "index": ALL}, "value"),
        State(ids.RECORD_STAGE, "value"),
        State(ids.RECORD_DIFFICULTY, "value"),
        State(ids.RECORD_WORK, "data"),
        State(ids.RECORD_WORK_LIST, "value"),
        *fields(ids.RECORD_GOAL_STATUS),
        *fields(ids.RECORD_NEW_GOAL),
        *fields(ids.RECORD_AREA),
        *edit_states,
        running=saving(ids.RECORD_SAVE, ids.RECORD_MESSAGE, ids.RECORD_SAVING),
        prevent_initial_call=True,
    )
    def _save(
        _clicks: Any,
        client_id: Any,
        session: Any,
        date: Any,
        rows: Any,
        ties: Any,
        phq9: Any,
        stage: Any,
        difficulty: Any,
        work: Any,
        work_kept: Any,
        *rest: Any,
    ) -> tuple[list[Any], str]:
        goal_keys, goal_values, new_keys, new_values, area_keys, area_values = rest[:6]
        extra = middle_phase(
            stage,
            difficulty,
            work,
            work_kept,
            by_index(goal_keys, goal_values),
            by_index(new_keys, new_values),
            by_index(area_keys, area_values),
        )
        edits = edits_of(rest[6:])
        return save_session(
            current_store(), client_id, session, date, rows, edits, ties, phq9, extra
        )

    @app.callback(
        Output(ids.RECORD_WORK, "data"),
        Output(ids.RECORD_WORK_LIST, "options"),
        Output(ids.RECORD_WORK_LIST, "value"),
        Output(ids.RECORD_WORK_MESSAGE, "children"),
        Input(ids.RECORD_WORK_ADD, "n_clicks"),
        State(ids.CLIENT_ID, "data"),
        State(ids.RECORD_WORK, "data"),
        State(ids.RECORD_WORK_LIST, "value"),
        State(ids.RECORD_ROWS, "data"),
        *fields(ids.RECORD_WORK_FIELD),
        prevent_initial_call=True,
    )
    def _add_work(
        _clicks: Any, client_id: Any, work: Any, kept: Any, rows: Any, keys: Any, values: Any
    ) -> tuple[Any, ...]:
        entry = by_index(keys, values)
        return add_work_row(current_store(), client_id, work, kept, entry, rows)

    @app.callback(
        Output(ids.RECORD_CONTRACT_MESSAGE, "children"),
        Output(ids.RECORD_CONTRACT_MESSAGE, "className"),
        Output(ids.RECORD_CONTRACT_LOADED, "data"),
        Input(ids.RECORD_CONTRACT_SAVE, "n_clicks"),
        State(ids.CLIENT_ID, "data"),
        State(ids.RECORD_CONTRACT_LOADED, "data"),
        *fields(ids.RECORD_CONTRACT),
        running=saving(
            ids.RECORD_CONTRACT_SAVE, ids.RECORD_CONTRACT_MESSAGE, ids.RECORD_CONTRACT_SAVING
        ),
        prevent_initial_call=True,
    )
    def _save_contract(
        _clicks: Any, client_id: Any, loaded: Any, keys: Any, values: Any
    ) -> tuple[Any, ...]:
        return save_contract(current_store(), client_id, by_index(keys, values), loaded)

    @app.callback(
        Output(ids.RECORD_BANNER, "children"),
        Input(ids.RECORD_MESSAGE, "className"),  # set by every save: show the saved flag
        Input({"type": ids.RECORD_PHQ9, "index": ALL}, "value"),  # live, as item 9 is typed
        State(ids.CLIENT_ID, "data"),
        State(ids.RECORD_SESSION, "data"),
        prevent_initial_call=True,
    )
    def _record_banner(_saved: Any, phq9: Any, client_id: Any, session: Any) -> list[Any]:
        return record_banner(current_store(), client_id, session, phq9)

    @app.callback(
        Output(ids.RECORD_ITEM9_NOTE, "children"),
        Input(ids.RECORD_MESSAGE, "className"),  # after a save the session is stored: no note
        Input({"type": ids.RECORD_PHQ9, "index": ALL}, "value"),
        State(ids.CLIENT_ID, "data"),
        State(ids.RECORD_SESSION, "data"),
        prevent_initial_call=True,
    )
    def _item9_note(_saved: Any, phq9: Any, client_id: Any, session: Any) -> str:
        return item9_note(current_store(), client_id, session, phq9)
