"""The client page: the map, the clinical panel, the slider, play, and a person's history."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.callbacks._common import checked_session, client_tables, context_of, is_on
from dashboards.components import (
    EMPTY_FIGURE,
    Element,
    alt_table,
    element,
    frame_table,
    safety_banner,
)
from dashboards.context import ClientContext, current_store
from ipt_network.clinical.measures import (
    measure_table,
    other_measures_lines,
    phq9_text_table,
)
from ipt_network.clinical.problem_areas import (
    COMPLICATING_TITLE,
    SESSION_BASES,
    SUGGESTION_NOTE,
    decision_session,
    rank_problem_areas,
)
from ipt_network.clinical.safety import (
    safety_flag,
)
from ipt_network.clinical.work import MiddleWork, work_of
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store
from ipt_network.network.layout import person_angles, ring_positions
from ipt_network.network.metrics import cohort_metrics
from ipt_network.views.changes import describe_changes
from ipt_network.views.figures import figure_table, phq9_figure, relationship_map, trends_figure
from ipt_network.views.overview import person_communication, person_history
from ipt_network.views.timeline import TimelineEntry, timeline
from ipt_network.views.work import NOTHING_RECORDED, work_sections
from ipt_network.words import COMMUNICATION_WORDS, OUTCOME_WORDS, focus_words

_PLAY = "▶ Play the course"
_PAUSE = "❚❚ Pause"
_CLICK_RADIUS = 0.45  # how near (in ring units) a click must be to a person


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
    ctx = context_of(store, client_id)
    s = checked_session(ctx, session)
    other = None
    if is_on(compare_on):
        other = checked_session(ctx, compare_session)
        if other == s:
            other = None
    view = is_on(client_view)

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
    """The problem-area panel, ranked as ``problem-areas`` and the report rank it.

    That is as of the decision (:func:`decision_session`), or as of the session
    shown when it is earlier; the panel says which. One panel per session
    ranked is kept, so every later session shares the decision's panel.
    """
    decision, basis = ctx.once(
        ("areas-decision",), lambda: decision_session(ctx.inventory, ctx.client_id)
    )
    ranked = min(session, decision) if decision else session

    def build() -> list[Any]:
        if ranked < decision:
            suggestion = rank_problem_areas(ctx.inventory, ctx.client_id, session=ranked)
            when = (
                f"Ranked as of session {ranked}, the session shown (by default as of session "
                f"{decision}, {SESSION_BASES[basis]}):"
            )
        else:
            suggestion = rank_problem_areas(ctx.inventory, ctx.client_id)
            when = f"Ranked {suggestion.session_words}:"
        items = []
        for area in suggestion.areas:
            detail: list[Any] = [
                html.Strong(f"{area.rank}. {area.label}"),
                html.Span(f" score {area.score}{', tied' if area.tied else ''}", className="muted"),
                html.Ul([html.Li(e) for e in area.evidence]),
            ]
            detail += [html.P(line) for line in area.stage_lines()]
            items.append(html.Li(detail, className="area"))
        return [
            html.P(panels.focus, className="focus"),
            html.P(when, className="muted"),
            # the rank is in the text (tied areas share it), so the list has no numbers
            html.Ul(items, className="areas", style={"listStyleType": "none"}),
            *(
                [html.P(COMPLICATING_TITLE), html.Ul([html.Li(f) for f in factors])]
                if (factors := suggestion.complicating_factors)
                else []
            ),
            html.P(SUGGESTION_NOTE, className="muted small"),
        ]

    return ctx.once(("areas", ranked), build)


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
    ctx = context_of(store, client_id)
    s = checked_session(ctx, session)
    if is_on(client_view):
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
    ctx = context_of(store, client_id)
    s = checked_session(ctx, session)
    if is_on(client_view):
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


def work_outputs(store: Store, client_id: Any, session: Any, client_view: Any = None) -> Any:
    """The "Middle-phase work" card: what was recorded up to the chosen session.

    Goals with their status, the dispute stage so far, the people who joined
    after a death (marked as re-engagement), the skills counted, and the
    contract and the ending once recorded (:func:`ipt_network.views.work.work_sections`).
    The cards of every session are built together, once per client and store
    revision (on the page's load), so a slider step only picks one; empty in
    client view.
    """
    ctx = context_of(store, client_id)
    s = checked_session(ctx, session)
    if is_on(client_view):
        return []
    return ctx.once("work", lambda: _work_panels(ctx))[s]


def _work_panels(ctx: ClientContext) -> dict[int, list[Element]]:
    work = work_of(ctx.inventory, ctx.client_id)
    return {s: _work_panel(work.upto(s), s) for s in ctx.sessions}


def _work_panel(work: MiddleWork, session: int) -> list[Element]:
    """One session's card, in Dash's wire form (:func:`dashboards.components.element`)."""
    sections = work_sections(work)
    out = [element("P", f"Recorded up to session {session}.", className="muted")]
    if not sections:
        return [*out, element("P", NOTHING_RECORDED, className="muted")]
    for head, lines in sections:
        out += [element("H3", head), element("Ul", [element("Li", line) for line in lines])]
    return out


def person_outputs(store: Store, client_id: Any, person_id: Any, client_view: Any = None) -> Any:
    """One person's ring, conflict and support over the sessions, and the work done with them."""
    if is_on(client_view) or not isinstance(person_id, str) or not person_id:
        return []
    ctx = context_of(store, client_id)
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
    ctx = context_of(store, client_id)
    s = checked_session(ctx, session)
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
    inventory = client_tables(store, client_id)
    on = is_on(client_view)
    flag = None if on else safety_flag(inventory, client_id)  # the client view never reads it
    banner = safety_banner(flag, client_view=on, region=store.region)
    style = {"display": "none"} if on else {}
    return ("page client-page client-view" if on else "page client-page"), banner, style


def register(app: dash.Dash) -> None:
    """Wire this page's callbacks to ``app``; each fetches the request's store."""

    @app.callback(
        Output(ids.CLINICAL, "style"),
        Output(ids.CHANGES, "children"),
        Output(ids.PHQ9, "figure"),
        Output(ids.PHQ9_TABLE, "children"),
        Output(ids.TRENDS, "figure"),
        Output(ids.TRENDS_TABLE, "children"),
        Output(ids.PROBLEM_AREAS, "children"),
        Output(ids.TIMELINE, "children"),
        Output(ids.WORK, "children"),
        Input(ids.CLIENT_VIEW, "value"),  # the page's load, and the view switched
        State(ids.SESSION_SLIDER, "value"),
        State(ids.CLIENT_ID, "data"),
    )
    def _clinical(view: Any, session: Any, client_id: Any) -> tuple[Any, ...]:
        store = current_store()
        work = work_outputs(store, client_id, session, view)
        return (*clinical_outputs(store, client_id, session, view), work)

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.MAP_TABLE, "children"),
        Output(ids.CHANGES, "children", allow_duplicate=True),
        Output(ids.PHQ9, "figure", allow_duplicate=True),
        Output(ids.TRENDS, "figure", allow_duplicate=True),
        Output(ids.PROBLEM_AREAS, "children", allow_duplicate=True),
        Output(ids.TIMELINE, "children", allow_duplicate=True),
        Output(ids.WORK, "children", allow_duplicate=True),
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
        store = current_store()
        step = step_outputs(store, client_id, session, compare, view, slider_moved=moved)
        work = work_outputs(store, client_id, session, view) if moved else dash.no_update
        return (*step, work)

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
