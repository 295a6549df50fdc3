"""The dashboard's callbacks: unpack the inputs, call the library, return.

Each callback is a plain function of the store and the (untrusted) values the
browser sent, so tests call it directly; :func:`register` wires them to an
app, fetching the store of the request with
:func:`dashboards.context.current_store`. Values from the browser are checked
before use: an id must be a string, a session a known session number; anything
else stops the update (:class:`dash.exceptions.PreventUpdate`) or shows a message.

Examples
--------
>>> play_step("play", session=3, first=1, last=5, playing=False)
(3, False, '❚❚ Pause')
>>> play_step("tick", session=5, first=1, last=5, playing=True)
(5, True, '▶ Play the course')
"""

from __future__ import annotations

import math
from typing import Any

import dash
import pandas as pd
from dash import ALL, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.components import (
    EMPTY_FIGURE,
    alt_table,
    client_href,
    frame_table,
    safety_banner,
)
from dashboards.context import current_store
from dashboards.pages.record import draft_rows, people_table, person_options, tie_options
from ipt_network.clinical.measures import (
    ITEM9_NOT_ASKED,
    measure_table,
    other_measures_lines,
    phq9_text_table,
    phq9_total_text,
)
from ipt_network.clinical.problem_areas import SUGGESTION_NOTE, rank_problem_areas
from ipt_network.clinical.safety import (
    SELF_HARM_ITEMS,
    ItemAnswer,
    crisis_lines,
    safety_flag,
    with_answer,
)
from ipt_network.errors import ClientNotFound, Failure, StoreError, ValidationError
from ipt_network.io.inventory import Inventory
from ipt_network.io.recording import FORM, RecordingError, add_person, prune_ties, record_session
from ipt_network.io.store import Store
from ipt_network.network.layout import person_angles, ring_positions
from ipt_network.network.metrics import cohort_metrics
from ipt_network.views.changes import describe_changes
from ipt_network.views.figures import figure_table, phq9_figure, relationship_map, trends_figure
from ipt_network.views.overview import client_overview, person_communication, person_history
from ipt_network.views.timeline import timeline

__all__ = [
    "MAX_LISTED",
    "register",
    "client_rows",
    "map_outputs",
    "clinical_outputs",
    "person_outputs",
    "clicked_person",
    "play_step",
    "view_outputs",
    "EDIT_FIELDS",
    "merge_edits",
    "add_to_map",
    "add_tie",
    "save_session",
    "item9_note",
    "record_banner",
]

#: The client list shows at most this many rows; the search box narrows it.
MAX_LISTED = 200
_PLAY = "▶ Play the course"
_PAUSE = "❚❚ Pause"
_CLICK_RADIUS = 0.45  # how near (in ring units) a click must be to a person


# --------------------------------------------------------------------------- checking inputs


def _is_on(value: Any) -> bool:
    """A dcc.Checklist switch is on when its value list holds "on"."""
    return isinstance(value, list) and "on" in value


def _client(store: Store, client_id: Any) -> Inventory:
    """The stored tables of one client, or stop the update for a bad id."""
    if not isinstance(client_id, str) or not client_id:
        raise PreventUpdate
    try:
        return store.inventory([client_id])
    except ClientNotFound:
        raise PreventUpdate from None


def _session(inventory: Inventory, client_id: str, value: Any) -> int:
    """A session number the client has, or stop the update."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PreventUpdate
    if isinstance(value, float) and not value.is_integer():
        raise PreventUpdate
    session = int(value)
    if session not in inventory.sessions_of(client_id):
        raise PreventUpdate
    return session


# --------------------------------------------------------------------------- client list


def client_rows(store: Store, search: Any = None) -> list[Any]:
    """The client list table, narrowed to ids or labels containing ``search``."""
    tables = store.read_tables(["clients", "sessions"])
    rows = client_overview(Inventory.from_tables(tables))
    if isinstance(search, str) and search.strip():
        needle = search.strip().lower()
        hit = rows["client_id"].str.lower().str.contains(needle, regex=False) | rows[
            "label"
        ].fillna("").str.lower().str.contains(needle, regex=False)
        rows = rows[hit]
    if rows.empty:
        return [html.P("No client matches.", className="muted")]
    shown = rows.head(MAX_LISTED)
    body = [_client_row(row) for row in shown.itertuples(index=False)]
    head = html.Thead(
        html.Tr(
            [
                html.Th(h, scope="col")
                for h in (
                    "Client",
                    "Sessions",
                    "Phase",
                    "Latest PHQ-9",
                    "Since the first PHQ-9",
                    "Focus",
                    "Safety",
                )
            ]
        )
    )
    out: list[Any] = []
    flagged = int(shown["safety_flag"].notna().sum())
    if flagged:
        out.append(
            html.Div(
                [
                    html.P(
                        f"SAFETY FLAG: {flagged} of the clients listed had a self-harm item "
                        "above 0 (see the Safety column).",
                        className="banner-line",
                    ),
                    html.P(crisis_lines(store.region), className="banner-line crisis-note"),
                ],
                role="alert",
                className="banner",
            )
        )
    out.append(html.Table([head, html.Tbody(body)], className="data-table client-list"))
    if len(rows) > MAX_LISTED:
        out.append(
            html.P(
                f"Showing {MAX_LISTED} of {len(rows)} clients; search to find others.",
                className="muted",
            )
        )
    return out


def _truth(value: Any) -> bool | None:
    """A cell of a nullable boolean column as ``True``, ``False`` or ``None`` (missing)."""
    return None if value is None or value is pd.NA else bool(value)


def _since_first(row: Any) -> str:
    """Change from the first PHQ-9 total, with reliable change and response."""
    if row.phq9_total is pd.NA:
        return ""
    marks = []
    if _truth(row.phq9_reliable_change):
        marks.append("reliable change")
    response = _truth(row.phq9_response)
    if response is None:
        marks.append("response not measured (first total below 10)")
    elif response:
        marks.append("response")
    change = f"{int(row.phq9_change):+d} (from {row.phq9_baseline})"
    return "; ".join([change, *marks])


def _client_row(row: Any) -> html.Tr:
    label = row.label if isinstance(row.label, str) else ""
    notes = []
    if row.phq9_total is pd.NA:
        phq = "not given"
    else:
        total = phq9_total_text(row.phq9_total, row.phq9_prorated)
        phq = f"{total}, {row.phq9_band}, session {row.phq9_session}"
        if _truth(row.phq9_item9_asked) is False:
            notes.append(ITEM9_NOT_ASKED)
    if row.phq9_incomplete_session is not pd.NA:
        notes.append(f"session {row.phq9_incomplete_session}: PHQ-9 incomplete")
    flag = row.safety_flag if isinstance(row.safety_flag, str) else ""
    return html.Tr(
        [
            html.Td(
                [
                    dash.dcc.Link(row.client_id, href=client_href(str(row.client_id))),
                    html.Span(label, className="muted sub"),
                ]
            ),
            html.Td(f"{row.sessions_done} of {row.planned_sessions}"),
            html.Td(row.phase if isinstance(row.phase, str) else "not started"),
            html.Td([phq, *(html.Span(n, className="muted sub") for n in notes)]),
            html.Td(_since_first(row)),
            html.Td(row.focus if isinstance(row.focus, str) and row.focus else "not chosen"),
            html.Td(html.Span(flag, className="flag") if flag else ""),
        ],
        className="flagged" if flag else None,
    )


# --------------------------------------------------------------------------- client page


def map_outputs(
    store: Store,
    client_id: Any,
    session: Any,
    compare_on: Any = None,
    compare_session: Any = None,
    client_view: Any = None,
) -> tuple[dict[str, Any], Any]:
    """The relationship map of the chosen session and its table alternative.

    In compare mode (``compare_on``) the map shows ``compare_session`` too:
    people who left as ghosts, people who joined ringed.
    """
    inventory = _client(store, client_id)
    s = _session(inventory, client_id, session)
    other = None
    if _is_on(compare_on):
        other = _session(inventory, client_id, compare_session)
        if other == s:
            other = None
    fig = relationship_map(
        inventory, client_id, s, compare_with=other, client_view=_is_on(client_view)
    )
    return fig, alt_table(figure_table(fig))


def _changes(inventory: Inventory, client_id: str, session: int) -> list[Any]:
    lines = describe_changes(inventory, client_id)
    mine = [line for line in lines[:-1] if line.startswith(f"Session {session}:")]
    return [html.P(line) for line in mine] + [html.P(lines[-1], className="muted")]


def _problem_areas(inventory: Inventory, client_id: str, session: int) -> list[Any]:
    suggestion = rank_problem_areas(inventory, client_id, session=session)
    client = inventory.clients.iloc[0]
    focus = client["focus"]
    if isinstance(focus, str) and focus:
        when = client["focus_session"]
        at = f" at session {when}" if when is not pd.NA else ""
        chosen = f"Chosen focus: {focus.replace('_', ' ').replace(';', ', ')}{at}."
    else:
        chosen = "No focus chosen yet."
    items = []
    for area in suggestion.areas:
        detail: list[Any] = [
            html.Strong(f"{area.rank}. {area.label}"),
            html.Span(f" score {area.score}{', tied' if area.tied else ''}", className="muted"),
            html.Ul([html.Li(e) for e in area.evidence]),
        ]
        if area.stage:
            detail.append(html.P(f"Likely stage: {area.stage}. {area.stage_reason}"))
        items.append(html.Li(detail, className="area"))
    return [
        html.P(chosen, className="focus"),
        html.P(f"Ranked as of session {session}:", className="muted"),
        html.Ol(items, className="areas"),
        html.P(SUGGESTION_NOTE, className="muted small"),
    ]


def _timeline(inventory: Inventory, client_id: str, session: int) -> html.Ol:
    entries = timeline(inventory, client_id)
    return html.Ol(
        [
            html.Li(
                [html.Span(e.date, className="date"), " ", e.text],
                className=f"entry {e.kind}" + (" current" if e.session == session else ""),
            )
            for e in entries
        ],
        className="timeline",
    )


def clinical_outputs(
    store: Store, client_id: Any, session: Any, client_view: Any = None
) -> tuple[Any, ...]:
    """The clinical panel for the chosen session; hidden and emptied in client view.

    Returns
    -------
    tuple
        Panel style, changes in words, PHQ-9 figure and its table, trends
        figure and its table, problem areas, timeline.
    """
    inventory = _client(store, client_id)
    s = _session(inventory, client_id, session)
    if _is_on(client_view):
        return ({"display": "none"}, [], EMPTY_FIGURE, [], EMPTY_FIGURE, [], [], [])
    phq = phq9_figure(inventory, client_id, current_session=s)
    scores = measure_table(inventory, client_id)
    other = other_measures_lines(scores)
    measures: list[Any] = [frame_table(phq9_text_table(scores))]
    if other:
        measures += [html.H3("Other measures"), html.Ul([html.Li(line) for line in other])]
    metrics = cohort_metrics(
        inventory.relationships, inventory.person_ties, sessions=inventory.sessions
    )
    trends = trends_figure(metrics, current_session=s)
    return (
        {},
        _changes(inventory, client_id, s),
        phq,
        measures,
        trends,
        alt_table(figure_table(trends)),
        _problem_areas(inventory, client_id, s),
        _timeline(inventory, client_id, s),
    )


def person_outputs(store: Store, client_id: Any, person_id: Any, client_view: Any = None) -> Any:
    """One person's ring, conflict and support over the sessions, and the work done with them."""
    if _is_on(client_view) or not isinstance(person_id, str) or not person_id:
        return []
    inventory = _client(store, client_id)
    try:
        history = person_history(inventory, client_id, person_id)
        work = person_communication(inventory, client_id, person_id)
    except ValueError:
        raise PreventUpdate from None
    shown = history.assign(
        on_map=history["on_map"].map({True: "yes", False: "no"}),
    )[["session", "on_map", "ring_label", "conflict", "support"]].rename(
        columns={"on_map": "on the map", "ring_label": "ring"}
    )
    out: list[Any] = [frame_table(shown)]
    out.append(html.H3("Communication work"))
    if work.empty:
        out.append(html.P("None recorded with this person.", className="muted"))
    else:
        work = work.assign(
            kind=work["kind"].str.replace("_", " "),
            outcome=work["outcome"].str.replace("_", " "),
        )
        out.append(frame_table(work))
    return out


def clicked_person(store: Store, client_id: Any, session: Any, click: Any) -> str:
    """The person nearest a click on the map (within half a ring), as a person id."""
    if not isinstance(click, dict) or not isinstance(click.get("points"), list):
        raise PreventUpdate
    points = click["points"]
    if not points or not isinstance(points[0], dict):
        raise PreventUpdate
    where = (_coordinate(points[0].get("x")), _coordinate(points[0].get("y")))
    inventory = _client(store, client_id)
    s = _session(inventory, client_id, session)
    rel = inventory.relationships[inventory.relationships["session"] == s]
    rings = dict(zip(rel["person_id"].astype(str), rel["ring"].astype(int), strict=True))
    if not rings:
        raise PreventUpdate
    positions = ring_positions(person_angles(inventory.people), rings)
    pid, (px, py) = min(positions.items(), key=lambda kv: math.dist(kv[1], where))
    if math.dist((px, py), where) > _CLICK_RADIUS:
        raise PreventUpdate
    return pid


def _coordinate(value: Any) -> float:
    """A finite number sent as a plot coordinate, or stop the update."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PreventUpdate
    try:
        number = float(value)
    except OverflowError:
        raise PreventUpdate from None
    if not math.isfinite(number):
        raise PreventUpdate
    return number


def play_step(
    trigger: Any, *, session: Any, first: Any, last: Any, playing: bool
) -> tuple[int, bool, str]:
    """Advance the course animation.

    ``trigger`` is ``"play"`` (the button: start, or pause when playing) or
    ``"tick"`` (the timer: next session, stopping after the last).

    Returns
    -------
    tuple
        Slider value, timer disabled, button label.

    Examples
    --------
    >>> play_step("play", session=5, first=1, last=5, playing=False)
    (1, False, '❚❚ Pause')
    >>> play_step("tick", session=2, first=1, last=5, playing=True)
    (3, False, '❚❚ Pause')
    """
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (session, first, last)):
        raise PreventUpdate
    if trigger == "play":
        if playing:
            return session, True, _PLAY
        start = first if session >= last else session
        return start, False, _PAUSE
    if trigger == "tick":
        if session >= last:
            return last, True, _PLAY
        return session + 1, session + 1 >= last, _PLAY if session + 1 >= last else _PAUSE
    raise PreventUpdate


def view_outputs(store: Store, client_id: Any, client_view: Any) -> tuple[str, list[Any], Any]:
    """Page class, safety banner and header line for the therapist or the client view.

    The therapist's banner is the safety flag with the crisis lines of the
    store's region. The client view shows every client, flagged or not, the
    same calm crisis sentence of the region, and hides the clinical header
    (label, phase, focus).
    """
    inventory = _client(store, client_id)
    on = _is_on(client_view)
    flag = None if on else safety_flag(inventory, client_id)  # the client view never reads it
    banner = safety_banner(flag, client_view=on, region=store.region)
    style = {"display": "none"} if on else {}
    return ("page client-page client-view" if on else "page client-page"), banner, style


# --------------------------------------------------------------------------- recording page


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
    inventory = _client(store, client_id)
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


def save_session(
    store: Store,
    client_id: Any,
    session: Any,
    date: Any,
    rows: Any,
    edits: Edits,
    ties: Any,
    phq9: Any,
) -> tuple[list[Any], str]:
    """Record the session from the form; a clear message either way.

    People ticked "take off" are left off the map, with their ties.

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
    try:
        saved = record_session(
            store, client_id, session=session, date=date, people=people, ties=kept, phq9=phq9
        )
    except ClientNotFound:
        return [html.P("This client is no longer in the store.")], "message error"
    except ValidationError as err:
        problems = [f"{f.column}: {f.message}" if f.column else f.message for f in err.failures]
        return [
            html.P("Nothing was saved. Please correct:"),
            html.Ul([html.Li(p) for p in problems]),
        ], "message error"
    except StoreError as err:
        return [html.P(str(err))], "message error"
    return [
        html.P(f"Session {saved} saved."),
        dash.dcc.Link(f"See session {saved} on the map", href=client_href(client_id)),
    ], "message ok"


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
    inventory = _client(store, client_id)
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
    inventory = _client(store, client_id)
    if isinstance(session, bool) or not isinstance(session, int):
        raise PreventUpdate
    if session in inventory.sessions_of(client_id):
        return ""
    return "Item 9 above 0: the safety flag and the crisis lines are at the top of this page."


# --------------------------------------------------------------------------- wiring


def register(app: dash.Dash) -> None:
    """Wire every callback to ``app``; each fetches the request's store."""

    @app.callback(Output(ids.CLIENT_TABLE, "children"), Input(ids.CLIENT_SEARCH, "value"))
    def _client_table(search: Any) -> list[Any]:
        return client_rows(current_store(), search)

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.MAP_TABLE, "children"),
        Input(ids.SESSION_SLIDER, "value"),
        Input(ids.COMPARE_ON, "value"),
        Input(ids.COMPARE_SESSION, "value"),
        Input(ids.CLIENT_VIEW, "value"),
        State(ids.CLIENT_ID, "data"),
    )
    def _map(
        session: Any, compare_on: Any, compare_session: Any, view: Any, client_id: Any
    ) -> tuple[dict[str, Any], Any]:
        return map_outputs(current_store(), client_id, session, compare_on, compare_session, view)

    @app.callback(
        Output(ids.CLINICAL, "style"),
        Output(ids.CHANGES, "children"),
        Output(ids.PHQ9, "figure"),
        Output(ids.PHQ9_TABLE, "children"),
        Output(ids.TRENDS, "figure"),
        Output(ids.TRENDS_TABLE, "children"),
        Output(ids.PROBLEM_AREAS, "children"),
        Output(ids.TIMELINE, "children"),
        Input(ids.SESSION_SLIDER, "value"),
        Input(ids.CLIENT_VIEW, "value"),
        State(ids.CLIENT_ID, "data"),
    )
    def _clinical(session: Any, view: Any, client_id: Any) -> tuple[Any, ...]:
        return clinical_outputs(current_store(), client_id, session, view)

    @app.callback(
        Output(ids.PERSON_HISTORY, "children"),
        Input(ids.PERSON, "value"),
        Input(ids.CLIENT_VIEW, "value"),
        State(ids.CLIENT_ID, "data"),
    )
    def _person(person_id: Any, view: Any, client_id: Any) -> Any:
        return person_outputs(current_store(), client_id, person_id, view)

    @app.callback(
        Output(ids.PERSON, "value"),
        Input(ids.MAP, "clickData"),
        State(ids.SESSION_SLIDER, "value"),
        State(ids.CLIENT_ID, "data"),
        prevent_initial_call=True,
    )
    def _click(click: Any, session: Any, client_id: Any) -> str:
        return clicked_person(current_store(), client_id, session, click)

    @app.callback(
        Output(ids.SESSION_SLIDER, "value"),
        Output(ids.PLAY_TIMER, "disabled"),
        Output(ids.PLAY, "children"),
        Input(ids.PLAY, "n_clicks"),
        Input(ids.PLAY_TIMER, "n_intervals"),
        State(ids.SESSION_SLIDER, "value"),
        State(ids.SESSION_SLIDER, "min"),
        State(ids.SESSION_SLIDER, "max"),
        State(ids.PLAY_TIMER, "disabled"),
        prevent_initial_call=True,
    )
    def _play(
        _clicks: Any, _ticks: Any, session: Any, first: Any, last: Any, stopped: Any
    ) -> tuple[int, bool, str]:
        trigger = "play" if ctx.triggered_id == ids.PLAY else "tick"
        return play_step(trigger, session=session, first=first, last=last, playing=not stopped)

    @app.callback(
        Output(ids.PAGE, "className"),
        Output(ids.BANNER, "children"),
        Output(ids.HEADER_DETAILS, "style"),
        Input(ids.CLIENT_VIEW, "value"),
        State(ids.CLIENT_ID, "data"),
    )
    def _view(view: Any, client_id: Any) -> tuple[str, list[Any], Any]:
        return view_outputs(current_store(), client_id, view)

    edit_states = [
        State({"type": kind, "index": ALL}, prop)
        for kind in EDIT_FIELDS
        for prop in ("id", "value")
    ]

    def edits_of(values: tuple[Any, ...]) -> Edits:
        pairs = iter(values)
        return {kind: (next(pairs), next(pairs)) for kind in EDIT_FIELDS}

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
        *edit_states,
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
        *edits: Any,
    ) -> tuple[list[Any], str]:
        return save_session(
            current_store(), client_id, session, date, rows, edits_of(edits), ties, phq9
        )

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
