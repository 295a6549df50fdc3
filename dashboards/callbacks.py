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

import copy
import math
from dataclasses import dataclass
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
from dashboards.context import ClientContext, client_context, current_store
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
from ipt_network.errors import (
    ClientNotFound,
    Failure,
    IPTNetworkError,
    StoreError,
    ValidationError,
)
from ipt_network.io.inventory import Inventory
from ipt_network.io.recording import FORM, RecordingError, add_person, prune_ties, record_session
from ipt_network.io.store import Store
from ipt_network.network.layout import person_angles, ring_positions
from ipt_network.network.metrics import cohort_metrics
from ipt_network.views.changes import describe_changes
from ipt_network.views.figures import figure_table, phq9_figure, relationship_map, trends_figure
from ipt_network.views.overview import client_overview, person_communication, person_history
from ipt_network.views.timeline import TimelineEntry, timeline
from ipt_network.words import COMMUNICATION_WORDS, OUTCOME_WORDS, focus_words

__all__ = [
    "MAX_LISTED",
    "register",
    "client_rows",
    "show_error",
    "error_sentence",
    "CoursePanels",
    "course_panels",
    "map_outputs",
    "clinical_outputs",
    "clinical_step",
    "step_outputs",
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


def _context(store: Store, client_id: Any) -> ClientContext:
    """The client's context at the store's revision, or stop the update for a bad id."""
    if not isinstance(client_id, str) or not client_id:
        raise PreventUpdate
    try:
        return client_context(store, client_id)
    except ClientNotFound:
        raise PreventUpdate from None


def _client(store: Store, client_id: Any) -> Inventory:
    """The stored tables of one client, or stop the update for a bad id."""
    return _context(store, client_id).inventory


def _session(ctx: ClientContext, value: Any) -> int:
    """A session number the client has, or stop the update."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PreventUpdate
    if isinstance(value, float) and not value.is_integer():
        raise PreventUpdate
    session = int(value)
    if session not in ctx.sessions:
        raise PreventUpdate
    return session


def show_error(err: Exception) -> None:
    """The error handler of every callback: a library error becomes a sentence on the page.

    An :class:`~ipt_network.errors.IPTNetworkError` (the store locked or
    gone, say) is shown in the page's error line (:data:`dashboards.ids.ERROR`)
    and the callback's outputs are left as they were: no traceback, no
    error status. Any other exception is a bug and is raised again.

    Examples
    --------
    >>> show_error(ValueError("a bug"))
    Traceback (most recent call last):
    ...
    ValueError: a bug
    """
    if not isinstance(err, IPTNetworkError):
        raise err
    dash.set_props(ids.ERROR, {"children": error_sentence(err)})


def error_sentence(err: IPTNetworkError) -> str:
    """The message of a library error as a sentence: capital first letter, full stop.

    Examples
    --------
    >>> error_sentence(StoreError("the store is locked; try again"))
    'The store is locked; try again.'
    """
    text = str(err).strip() or type(err).__name__
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


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

#: The words of the current-session label on the PHQ-9 and trends figures.
_MARKER_TEXT = "this session"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class CoursePanels:
    """The clinical panels of one client that do not depend on the session.

    Built once per client and store revision (:func:`course_panels`); a
    slider step only moves the current-session marker of the figures and
    the ``current`` class of the timeline.
    """

    #: The changes in words, one line per session, and the closing summary line.
    changes: tuple[str, ...]
    #: PHQ-9 figure, its marker at the last session, and the marker's paths in it.
    phq9: dict[str, Any]
    phq9_marker: tuple[Path_, ...]
    #: The measures panel (PHQ-9 as text, other measures).
    measures: list[Any]
    trends: dict[str, Any]
    trends_marker: tuple[Path_, ...]
    trends_table: Any
    timeline: tuple[TimelineEntry, ...]
    #: The line naming the chosen focus.
    focus: str


def _marker_paths(fig: dict[str, Any], session: int) -> tuple[Path_, ...]:
    """Where ``fig`` holds the x of its current-session marker (dotted lines and label)."""
    layout = fig["layout"]
    paths: list[Path_] = []
    for i, shape in enumerate(layout.get("shapes") or []):
        line = shape.get("line") or {}
        if line.get("dash") == "dot" and shape.get("x0") == shape.get("x1") == session:
            paths += [("layout", "shapes", i, "x0"), ("layout", "shapes", i, "x1")]
    for i, note in enumerate(layout.get("annotations") or []):
        if note.get("text") == _MARKER_TEXT and note.get("x") == session:
            paths.append(("layout", "annotations", i, "x"))
    return tuple(paths)


def _set_paths(target: Any, paths: tuple[Path_, ...], value: Any) -> Any:
    """Set every path of ``target`` (a dict or a :class:`dash.Patch`) to ``value``."""
    for path in paths:
        node = target
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return target


def course_panels(ctx: ClientContext) -> CoursePanels:
    """The session-independent clinical panels of the context's client (built once)."""

    def build() -> CoursePanels:
        inventory, cid, last = ctx.inventory, ctx.client_id, ctx.sessions[-1]
        phq = phq9_figure(inventory, cid, current_session=last)
        scores = measure_table(inventory, cid)
        other = other_measures_lines(scores)
        measures: list[Any] = [frame_table(phq9_text_table(scores))]
        if other:
            measures += [html.H3("Other measures"), html.Ul([html.Li(line) for line in other])]
        metrics = cohort_metrics(
            inventory.relationships, inventory.person_ties, sessions=inventory.sessions
        )
        trends = trends_figure(metrics, current_session=last)
        return CoursePanels(
            changes=tuple(describe_changes(inventory, cid)),
            phq9=phq,
            phq9_marker=_marker_paths(phq, last),
            measures=measures,
            trends=trends,
            trends_marker=_marker_paths(trends, last),
            trends_table=alt_table(figure_table(trends)),
            timeline=tuple(timeline(inventory, cid)),
            focus=_focus_line(inventory),
        )

    return ctx.once("course", build)


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
    people who left as ghosts, people who joined ringed. Built once per
    client, store revision and choice of session, compare session and view.
    """
    ctx = _context(store, client_id)
    s = _session(ctx, session)
    other = None
    if _is_on(compare_on):
        other = _session(ctx, compare_session)
        if other == s:
            other = None
    view = _is_on(client_view)

    def build() -> tuple[dict[str, Any], Any]:
        fig = relationship_map(
            ctx.inventory, ctx.client_id, s, compare_with=other, client_view=view
        )
        return fig, alt_table(figure_table(fig))

    return ctx.once(("map", s, other, view), build)


def _changes(panels: CoursePanels, session: int) -> list[Any]:
    mine = [line for line in panels.changes[:-1] if line.startswith(f"Session {session}:")]
    return [html.P(line) for line in mine] + [html.P(panels.changes[-1], className="muted")]


def _focus_line(inventory: Inventory) -> str:
    client = inventory.clients.iloc[0]
    focus = client["focus"]
    if not (isinstance(focus, str) and focus):
        return "No focus chosen yet."
    when = client["focus_session"]
    at = f" at session {when}" if when is not pd.NA else ""
    return f"Chosen focus: {focus_words(focus)}{at}."


def _problem_areas(ctx: ClientContext, panels: CoursePanels, session: int) -> list[Any]:
    def build() -> list[Any]:
        suggestion = rank_problem_areas(ctx.inventory, ctx.client_id, session=session)
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
            html.P(panels.focus, className="focus"),
            html.P(f"Ranked as of session {session}:", className="muted"),
            html.Ol(items, className="areas"),
            html.P(SUGGESTION_NOTE, className="muted small"),
        ]

    return ctx.once(("areas", session), build)


def _entry_class(entry: TimelineEntry, session: int) -> str:
    return f"entry {entry.kind}" + (" current" if entry.session == session else "")


def _timeline(panels: CoursePanels, session: int) -> html.Ol:
    return html.Ol(
        [
            html.Li(
                [html.Span(e.date, className="date"), " ", e.text],
                className=_entry_class(e, session),
            )
            for e in panels.timeline
        ],
        className="timeline",
    )


def _timeline_patch(panels: CoursePanels, session: int) -> dash.Patch:
    """Move the timeline's ``current`` class to ``session`` (entries with a session only)."""
    patch = dash.Patch()
    for i, entry in enumerate(panels.timeline):
        if entry.session is not None:
            patch["props"]["children"][i]["props"]["className"] = _entry_class(entry, session)
    return patch


def clinical_outputs(
    store: Store, client_id: Any, session: Any, client_view: Any = None
) -> tuple[Any, ...]:
    """The whole clinical panel for the chosen session; hidden and emptied in client view.

    Sent when a client's page loads and when the client view is switched;
    a slider step sends :func:`clinical_step` instead.

    Returns
    -------
    tuple
        Panel style, changes in words, PHQ-9 figure and its table, trends
        figure and its table, problem areas, timeline.
    """
    ctx = _context(store, client_id)
    s = _session(ctx, session)
    if _is_on(client_view):
        return ({"display": "none"}, [], EMPTY_FIGURE, [], EMPTY_FIGURE, [], [], [])
    panels = course_panels(ctx)
    return (
        {},
        _changes(panels, s),
        _set_paths(copy.deepcopy(panels.phq9), panels.phq9_marker, s),
        panels.measures,
        _set_paths(copy.deepcopy(panels.trends), panels.trends_marker, s),
        panels.trends_table,
        _problem_areas(ctx, panels, s),
        _timeline(panels, s),
    )


def clinical_step(
    store: Store, client_id: Any, session: Any, client_view: Any = None
) -> tuple[Any, ...]:
    """What a slider step changes in the clinical panel (nothing in client view).

    Returns
    -------
    tuple
        Changes in words and problem areas of the session; patches moving
        the current-session marker of the PHQ-9 and trends figures and the
        timeline's ``current`` entry. In client view, ``dash.no_update`` for each.
    """
    ctx = _context(store, client_id)
    s = _session(ctx, session)
    if _is_on(client_view):
        return (dash.no_update,) * 5  # the panel is hidden and empty
    panels = course_panels(ctx)
    return (
        _changes(panels, s),
        _set_paths(dash.Patch(), panels.phq9_marker, s),
        _set_paths(dash.Patch(), panels.trends_marker, s),
        _problem_areas(ctx, panels, s),
        _timeline_patch(panels, s),
    )


def step_outputs(
    store: Store,
    client_id: Any,
    session: Any,
    compare: tuple[Any, Any] = (None, None),
    client_view: Any = None,
    *,
    slider_moved: bool = True,
) -> tuple[Any, ...]:
    """Everything a slider step changes, in one answer: the map, then :func:`clinical_step`.

    The map also follows the compare switches (``compare``: the switch's
    value and the session to compare with) and the client view; the
    clinical panel only follows the slider (``slider_moved``): the page's
    load and the view switch send it whole (:func:`clinical_outputs`).
    """
    figure, table = map_outputs(store, client_id, session, *compare, client_view)
    if not slider_moved:
        return figure, table, *(dash.no_update,) * 5
    return figure, table, *clinical_step(store, client_id, session, client_view)


def person_outputs(store: Store, client_id: Any, person_id: Any, client_view: Any = None) -> Any:
    """One person's ring, conflict and support over the sessions, and the work done with them."""
    if _is_on(client_view) or not isinstance(person_id, str) or not person_id:
        return []
    ctx = _context(store, client_id)
    return ctx.once(("person", person_id), lambda: _person_panel(ctx, person_id))


def _person_panel(ctx: ClientContext, person_id: str) -> list[Any]:
    try:
        history = person_history(ctx.inventory, ctx.client_id, person_id)
        work = person_communication(ctx.inventory, ctx.client_id, person_id)
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
            kind=work["kind"].map(COMMUNICATION_WORDS, na_action="ignore"),
            outcome=work["outcome"].map(OUTCOME_WORDS, na_action="ignore"),
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
    ctx = _context(store, client_id)
    s = _session(ctx, session)
    inventory = ctx.inventory
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
        Output(ids.CLINICAL, "style"),
        Output(ids.CHANGES, "children"),
        Output(ids.PHQ9, "figure"),
        Output(ids.PHQ9_TABLE, "children"),
        Output(ids.TRENDS, "figure"),
        Output(ids.TRENDS_TABLE, "children"),
        Output(ids.PROBLEM_AREAS, "children"),
        Output(ids.TIMELINE, "children"),
        Input(ids.CLIENT_VIEW, "value"),  # the page's load, and the view switched
        State(ids.SESSION_SLIDER, "value"),
        State(ids.CLIENT_ID, "data"),
    )
    def _clinical(view: Any, session: Any, client_id: Any) -> tuple[Any, ...]:
        return clinical_outputs(current_store(), client_id, session, view)

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.MAP_TABLE, "children"),
        Output(ids.CHANGES, "children", allow_duplicate=True),
        Output(ids.PHQ9, "figure", allow_duplicate=True),
        Output(ids.TRENDS, "figure", allow_duplicate=True),
        Output(ids.PROBLEM_AREAS, "children", allow_duplicate=True),
        Output(ids.TIMELINE, "children", allow_duplicate=True),
        Input(ids.SESSION_SLIDER, "value"),
        Input(ids.COMPARE_ON, "value"),
        Input(ids.COMPARE_SESSION, "value"),
        Input(ids.CLIENT_VIEW, "value"),
        State(ids.CLIENT_ID, "data"),
        prevent_initial_call="initial_duplicate",  # the map is drawn on the page's load
    )
    def _step(
        session: Any, compare_on: Any, compare_session: Any, view: Any, client_id: Any
    ) -> tuple[Any, ...]:
        # one request per slider step; on the page's load and the view switch
        # the clinical panel comes whole from _clinical
        moved = ctx.triggered_id == ids.SESSION_SLIDER and len(ctx.triggered) == 1
        compare = (compare_on, compare_session)
        return step_outputs(current_store(), client_id, session, compare, view, slider_moved=moved)

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
