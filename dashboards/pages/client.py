"""One client's page: the relationship map across the course, and the clinical panel.

The layout is built from the store when the page opens: the session slider,
the play button, the compare and client-view switches, and empty cards that
the callbacks of :mod:`dashboards.callbacks` fill for the chosen session.
The browser keeps only the client id (in a ``dcc.Store``) and the session
numbers of the controls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from dash import dcc, html

from dashboards import ids
from dashboards.components import (
    MAX_SHOWN_ID,
    SKELETON,
    client_from_path,
    client_href,
    control_label,
    figure_card,
    safety_banner,
)
from dashboards.context import client_context, current_store
from ipt_network.clinical.safety import safety_flag
from ipt_network.errors import ClientNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.views.overview import client_overview

__all__ = [
    "NAME",
    "PLAY_INTERVAL_MS",
    "layout",
    "skeleton",
    "course_page",
    "client_page",
    "not_found",
    "session_marks",
    "header_line",
]

NAME: Final = "Client"
#: Time each session stays on screen while the course plays.
PLAY_INTERVAL_MS: Final = 1400


def not_found(client_id: object) -> html.Main:
    """The page for a client id that is not in the store (the id shown cut short)."""
    shown = str(client_id)
    if len(shown) > MAX_SHOWN_ID:
        shown = shown[:MAX_SHOWN_ID] + "…"
    return html.Main(
        [
            html.H1("Client not found"),
            html.P(f"There is no client with id {shown} in this store."),
            dcc.Link("Back to all clients", href="/"),
        ],
        className="page",
    )


def session_marks(sessions: list[int]) -> dict[int, str]:
    """Slider marks: every session, or every fifth one on a long course.

    Examples
    --------
    >>> session_marks([1, 2, 3])
    {1: '1', 2: '2', 3: '3'}
    >>> list(session_marks(list(range(1, 41))))[:3]
    [1, 5, 10]
    """
    if len(sessions) <= 24:
        return {s: str(s) for s in sessions}
    keep = {sessions[0], sessions[-1]} | {s for s in sessions if s % 5 == 0}
    return {s: str(s) for s in sorted(keep)}


def header_line(inventory: Inventory, client_id: str) -> str:
    """One line under the client's id: label, sessions of planned, phase, focus.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> header_line(load_samples(), "dispute-01").count(" · ")
    3
    """
    row = client_overview(inventory.for_clients([client_id])).iloc[0]
    parts = [str(row["label"]) if isinstance(row["label"], str) else client_id]
    parts.append(f"{int(row['sessions_done'])} of {int(row['planned_sessions'])} sessions")
    parts.append(f"{row['phase']} phase" if isinstance(row["phase"], str) else "not started")
    focus = row["focus"]
    parts.append(f"focus: {focus}" if isinstance(focus, str) and focus else "no focus chosen yet")
    return " · ".join(parts)


def _people_options(inventory: Inventory) -> list[dict[str, str]]:
    people = inventory.people.sort_values(["name", "person_id"])
    return [
        {"label": f"{name} ({role})", "value": str(pid)}
        for pid, name, role in zip(people["person_id"], people["name"], people["role"], strict=True)
    ]


def _controls(client_id: str, sessions: list[int]) -> html.Div:
    first, last = sessions[0], sessions[-1]
    choices = [{"label": f"Session {s}", "value": s} for s in sessions]
    return html.Div(
        [
            html.Div(
                [
                    control_label("Session", ids.SESSION_SLIDER, class_name="control-label"),
                    dcc.Slider(
                        id=ids.SESSION_SLIDER,
                        min=first,
                        max=last,
                        step=1,
                        value=last,
                        marks=session_marks(sessions),
                        included=False,
                        allow_direct_input=False,
                        updatemode="mouseup",
                    ),
                ],
                className="slider-block",
            ),
            html.Div(
                [
                    html.Button(
                        "▶ Play the course",
                        id=ids.PLAY,
                        n_clicks=0,
                        className="button",
                        disabled=len(sessions) < 2,
                    ),
                    dcc.Interval(id=ids.PLAY_TIMER, interval=PLAY_INTERVAL_MS, disabled=True),
                    dcc.Checklist(
                        id=ids.COMPARE_ON,
                        options=[{"label": " Compare with", "value": "on"}],
                        value=[],
                        className="switch",
                    ),
                    control_label("Session to compare with", ids.COMPARE_SESSION, hidden=True),
                    dcc.Dropdown(
                        id=ids.COMPARE_SESSION,
                        options=choices,
                        value=first,
                        clearable=False,
                        searchable=False,
                        className="compare-session",
                    ),
                    dcc.Checklist(
                        id=ids.CLIENT_VIEW,
                        options=[{"label": " Client view (shared screen)", "value": "on"}],
                        value=[],
                        className="switch",
                    ),
                    dcc.Link(
                        f"Record session {last + 1}",
                        id=ids.RECORD_LINK,
                        href=client_href(client_id, record=True),
                        className="button primary therapist-only",
                    ),
                ],
                className="control-row",
            ),
        ],
        className="controls card",
    )


def _map_card() -> html.Section:
    return html.Section(
        [
            dcc.Graph(
                id=ids.MAP,
                config={"displaylogo": False, "displayModeBar": False},
                className="map-graph",
            ),
            html.Details(
                [html.Summary("Show the map as a table"), html.Div(id=ids.MAP_TABLE)],
                className="alt",
            ),
        ],
        className="card map-card",
    )


def _work_card() -> html.Section:
    """Under the map: the middle-phase work recorded up to the session (therapist only)."""
    return html.Section(
        [html.H2("Middle-phase work"), html.Div(id=ids.WORK)],
        className="card work-card therapist-only",
    )


def _clinical_panel(people: list[dict[str, str]]) -> html.Aside:
    timeline_name: dict[str, Any] = {"aria-label": "Timeline"}
    return html.Aside(
        [
            html.Section(
                [html.H2("This session in words"), html.Div(id=ids.CHANGES)], className="card"
            ),
            html.Section(
                [
                    html.H2("A person's history"),
                    html.P(
                        "Click a person on the map, or choose them here.",
                        className="muted",
                    ),
                    control_label("Person", ids.PERSON, hidden=True),
                    dcc.Dropdown(
                        id=ids.PERSON,
                        options=people,
                        placeholder="Choose a person",
                    ),
                    html.Div(id=ids.PERSON_HISTORY),
                ],
                className="card",
            ),
            figure_card(ids.PHQ9, ids.PHQ9_TABLE, height="300px"),
            figure_card(ids.TRENDS, ids.TRENDS_TABLE, height="460px"),
            html.Section(
                [html.H2("Problem areas"), html.Div(id=ids.PROBLEM_AREAS)], className="card"
            ),
            html.Section(
                [
                    html.H2("Timeline"),
                    # A scrolling box: focusable, so the keyboard can scroll it too.
                    html.Div(
                        id=ids.TIMELINE,
                        className="scroll-region",
                        tabIndex="0",
                        role="region",
                        **timeline_name,
                    ),
                ],
                className="card",
            ),
        ],
        id=ids.CLINICAL,
        className="clinical",
    )


def layout(client_id: object = SKELETON, **_: Any) -> html.Main:
    """The page of one client; a "not found" page for an unknown id.

    ``client_id`` is the path's ``<client_id>`` as the browser sends it,
    percent-encoded (:func:`dashboards.components.client_href`). The client's
    tables come from :func:`dashboards.context.client_context`, which the
    callbacks filling the page then share. Without it (Dash building its
    validation layout) the page has every component and no data (:func:`skeleton`).
    """
    return client_page(client_id, skeleton, _page)


def _page(cid: str, inventory: Inventory, banner: list[Any]) -> html.Main:
    return course_page(
        cid,
        inventory.sessions_of(cid),
        header=header_line(inventory, cid),
        banner=banner,
        people=_people_options(inventory),
    )


def client_page(
    client_id: object,
    skeleton: Callable[[], html.Main],
    build: Callable[[str, Inventory, list[Any]], html.Main],
) -> html.Main:
    """A page of one client, from the ``<client_id>`` of its address.

    Parameters
    ----------
    client_id : str or SKELETON
        The path's ``<client_id>``, percent-encoded; :data:`SKELETON` when
        Dash calls the layout without it.
    skeleton : callable
        The page without data, returned for :data:`SKELETON`.
    build : callable
        ``build(client_id, inventory, banner)``: the page of a stored client,
        given its tables (:func:`dashboards.context.client_context`) and its
        safety banner's children.

    Returns
    -------
    html.Main
        The page, or the "not found" page for an id that is not stored.
    """
    if client_id is SKELETON:
        return skeleton()
    cid = client_from_path(client_id)
    if cid is None:
        return not_found(client_id)
    store = current_store()
    try:
        inventory = client_context(store, cid).inventory
    except ClientNotFound:
        return not_found(cid)
    return build(cid, inventory, safety_banner(safety_flag(inventory, cid), region=store.region))


def skeleton() -> html.Main:
    """The page with every component and no client: for the app's validation layout."""
    return course_page("", [1], header="", banner=[], people=[])


def course_page(
    cid: str,
    sessions: list[int],
    *,
    header: str,
    banner: list[Any],
    people: list[dict[str, str]],
) -> html.Main:
    """The page of client ``cid`` with ``sessions``; the cards are filled by callbacks.

    Parameters
    ----------
    cid : str
        The client id.
    sessions : list of int
        The client's session numbers (none: a page offering to record the first).
    header : str
        The line under the id (:func:`header_line`).
    banner : list
        The safety banner's children.
    people : list of dict
        The options of the person chooser.
    """
    head = html.Header(
        [
            dcc.Link("← All clients", href="/", className="back therapist-only"),
            html.H1(cid),
            html.P(header, id=ids.HEADER_DETAILS, className="lede"),
        ],
        className="page-head",
    )
    banner_box = html.Div(banner, id=ids.BANNER, role="alert", className="banner")
    if not sessions:
        return html.Main(
            [
                head,
                banner_box,
                html.P("No session has been recorded for this client yet."),
                dcc.Link(
                    "Record the first session",
                    href=client_href(cid, record=True),
                    className="button primary",
                ),
            ],
            className="page",
        )
    return html.Main(
        [
            dcc.Store(id=ids.CLIENT_ID, data=cid),
            head,
            banner_box,
            _controls(cid, sessions),
            html.Div(
                [
                    html.Div([_map_card(), _work_card()], className="map-column"),
                    _clinical_panel(people),
                ],
                className="client-grid",
            ),
        ],
        id=ids.PAGE,
        className="page client-page",
    )
