"""Recording the next session: start from the last map, edit it, enter the PHQ-9, save.

The form is drafted from the store by
:func:`ipt_network.io.recording.draft_next_session`. Everything it sends back is
checked by :func:`ipt_network.io.recording.record_session` in the save callback;
a session is stored whole or not at all.
"""

from __future__ import annotations

from typing import Any, Final

from dash import dcc, html

from dashboards import ids
from dashboards.components import (
    SKELETON,
    client_href,
    control_label,
    visually_hidden,
)
from dashboards.pages.client import client_page
from ipt_network import names
from ipt_network.io.inventory import Inventory
from ipt_network.io.recording import Draft, draft_next_session

__all__ = [
    "NAME",
    "PHQ9_QUESTIONS",
    "FIELDS",
    "layout",
    "skeleton",
    "form",
    "draft_rows",
    "people_table",
    "person_options",
    "tie_options",
]

NAME: Final = "Record a session"

#: The nine PHQ-9 questions, shortened ("Over the last 2 weeks, how often have you been
#: bothered by ..."; 0 not at all, 1 several days, 2 more than half the days, 3 nearly every day).
PHQ9_QUESTIONS: Final = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure",
    "Trouble concentrating on things",
    "Moving or speaking slowly, or being fidgety or restless",
    "Thoughts that you would be better off dead, or of hurting yourself",
)

#: Each person's editable fields: (input type, heading, lowest, highest).
FIELDS: Final = (
    (ids.RECORD_RING, "Ring (1 inner, 2 middle, 3 outer)", 1, 3),
    (ids.RECORD_CONFLICT, "Conflict (0 none to 4)", 0, 4),
    (ids.RECORD_SUPPORT, "Support (0 none to 4)", 0, 4),
)
_FIELD_KEYS: Final = {
    ids.RECORD_RING: "ring",
    ids.RECORD_CONFLICT: "conflict",
    ids.RECORD_SUPPORT: "support",
}


def draft_rows(value: Any) -> list[dict[str, Any]]:
    """The rows of a draft map sent back by the browser: objects with a person id.

    The draft lives in a ``dcc.Store`` on the page, so it comes back as
    untrusted JSON: anything that is not an object with a non-empty string
    ``person_id`` is dropped (the rest is checked when the session is saved).

    Examples
    --------
    >>> draft_rows([{"person_id": "p1"}, {"name": "no id"}, {"person_id": ["p2"]}, "p3"])
    [{'person_id': 'p1'}]
    >>> draft_rows({"person_id": "p1"})
    []
    """
    if not isinstance(value, list):
        return []
    return [
        dict(r)
        for r in value
        if isinstance(r, dict) and isinstance(r.get("person_id"), str) and r["person_id"]
    ]


def _input_value(value: Any) -> int | float | str | None:
    """A value an input can show: a number or text, else nothing."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    return value


def person_options(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Dropdown options naming people by name and role, valued by person id.

    Examples
    --------
    >>> person_options([{"person_id": "p1", "name": "Ann", "role": "friend"}])
    [{'label': 'Ann (friend)', 'value': 'p1'}]
    """
    return [
        {
            "label": f"{r.get('name') or r['person_id']} ({r.get('role')})",
            "value": r["person_id"],
        }
        for r in draft_rows(rows)
    ]


def people_table(rows: list[dict[str, Any]]) -> html.Table | html.P:
    """The draft map as a table of people, each with ring, conflict and support inputs.

    Rows without a person id are left out (see :func:`draft_rows`).

    Examples
    --------
    >>> table = people_table([{"person_id": "p1", "name": "Ann", "role": "friend",
    ...                        "ring": 1, "conflict": 0, "support": 3}])
    >>> len(table.children[1].children)
    1
    """
    rows = draft_rows(rows)
    if not rows:
        return html.P("Nobody is on the map yet: add people below.", className="muted")
    head = html.Thead(
        html.Tr(
            [html.Th("Person", scope="col"), html.Th("Role", scope="col")]
            + [html.Th(title, scope="col") for _, title, _, _ in FIELDS]
            + [html.Th("Off the map", scope="col")]
        )
    )
    body = []
    for row in rows:
        pid = row["person_id"]
        name = str(row.get("name") or pid)
        cells: list[Any] = [html.Th(name, scope="row"), html.Td(str(row.get("role") or ""))]
        for kind, title, low, high in FIELDS:
            field = ids.person_input(kind, pid)
            cells.append(
                html.Td(
                    [
                        # Each input named for its person: "Ring for Ann".
                        control_label(
                            f"{title.split(' (')[0]} for {name}", field, hidden=True, native=True
                        ),
                        dcc.Input(
                            id=field,
                            type="number",
                            value=_input_value(row.get(_FIELD_KEYS[kind])),
                            step=1,
                            inputMode="numeric",
                            placeholder=f"{low}-{high}",
                            className=f"item-input {kind}",
                        ),
                    ]
                )
            )
        cells.append(
            html.Td(
                dcc.Checklist(
                    id=ids.person_input(ids.RECORD_OFF, pid),
                    options=[
                        {
                            "label": html.Span([" take off", visually_hidden(f" {name}")]),
                            "value": "off",
                        }
                    ],
                    value=["off"] if row.get("off") else [],
                )
            )
        )
        body.append(html.Tr(cells))
    return html.Table([head, html.Tbody(body)], className="data-table people-table")


def tie_options(ties: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Checklist options for ties, labelled by name, valued ``"source|target"``.

    Examples
    --------
    >>> tie_options([{"source": "a", "target": "b"}],
    ...             [{"person_id": "a", "name": "Ann"}, {"person_id": "b", "name": "Bo"}])
    [{'label': ' Ann and Bo', 'value': 'a|b'}]
    """
    label = {r["person_id"]: str(r.get("name") or r["person_id"]) for r in draft_rows(rows)}
    return [
        {
            "label": f" {label.get(str(t['source']), t['source'])} and "
            f"{label.get(str(t['target']), t['target'])}",
            "value": f"{t['source']}|{t['target']}",
        }
        for t in ties
    ]


def _section(title: str, *children: Any, hint: str | None = None) -> html.Section:
    head: list[Any] = [html.H2(title)]
    if hint:
        head.append(html.P(hint, className="muted"))
    return html.Section([*head, *children], className="card")


def _chooser(
    name: str, chooser_id: str, people: list[dict[str, Any]], placeholder: str = "Person"
) -> tuple[html.Label, dcc.Dropdown]:
    """A dropdown of ``people``, named ``name`` for screen readers."""
    return (
        control_label(name, chooser_id, hidden=True),
        dcc.Dropdown(
            id=chooser_id,
            options=person_options(people),
            placeholder=placeholder,
            className="grow",
        ),
    )


def _phq9_inputs() -> html.Ol:
    return html.Ol(
        [
            html.Li(
                html.Label(
                    [
                        html.Span(question, className="question"),
                        dcc.Input(
                            id=ids.phq9_item(i),
                            type="number",
                            inputMode="numeric",
                            step=1,
                            placeholder="0-3",
                            className="item-input",
                        ),
                    ]
                )
            )
            for i, question in enumerate(PHQ9_QUESTIONS, start=1)
        ]
        + [html.P(id=ids.RECORD_ITEM9_NOTE, role="status", className="item9-note")],
        className="phq9-items",
    )


def layout(client_id: object = SKELETON, **_: Any) -> html.Main:
    """The recording page of one client; a "not found" page for an unknown id.

    ``client_id`` is the path's ``<client_id>``, percent-encoded as in
    :func:`dashboards.components.client_href`. Without it (Dash building its
    validation layout) the page has every component and no data (:func:`skeleton`).
    """
    return client_page(client_id, skeleton, _page)


def _page(cid: str, inventory: Inventory, banner: list[Any]) -> html.Main:
    return form(draft_next_session(inventory, cid), banner)


def skeleton() -> html.Main:
    """The page with every component and no client: for the app's validation layout."""
    return form(Draft("", 1, "", [], [], []), [])


def form(draft: Draft, banner: list[Any]) -> html.Main:
    """The recording page of ``draft``, its safety banner's children ``banner``."""
    cid = draft.client_id
    start = (
        f"Starting from the map of session {draft.session - 1}."
        if draft.session > 1
        else "The first session: add the important people."
    )
    return html.Main(
        [
            dcc.Store(id=ids.CLIENT_ID, data=cid),
            dcc.Store(id=ids.RECORD_SESSION, data=draft.session),
            html.Header(
                [
                    dcc.Link(f"← Back to {cid}", href=client_href(cid), className="back"),
                    html.H1(f"Record session {draft.session}"),
                    html.P(f"{cid}. {start}", className="lede"),
                ],
                className="page-head",
            ),
            html.Div(
                banner,
                id=ids.RECORD_BANNER,
                role="alert",
                className="banner",
            ),
            _section(
                "Date",
                control_label("Date of the session", ids.RECORD_DATE, hidden=True, native=True),
                dcc.Input(
                    id=ids.RECORD_DATE,
                    type="text",
                    value=draft.date,
                    placeholder="YYYY-MM-DD",
                    maxLength=10,
                    className="date",
                ),
            ),
            _section(
                "The map",
                dcc.Store(id=ids.RECORD_ROWS, data=draft.people),
                html.Div(people_table(draft.people), id=ids.RECORD_PEOPLE),
                html.Div(
                    [
                        *_chooser(
                            "Person to put back on the map",
                            ids.RECORD_BACK_PERSON,
                            draft.off_map,
                            "Someone who was on the map before",
                        ),
                        html.Button(
                            "Put back on the map",
                            id=ids.RECORD_BACK,
                            n_clicks=0,
                            className="button",
                        ),
                    ],
                    className="add-row",
                ),
                html.Div(
                    [
                        control_label(
                            "New person's name", ids.RECORD_NEW_NAME, hidden=True, native=True
                        ),
                        dcc.Input(
                            id=ids.RECORD_NEW_NAME,
                            type="text",
                            placeholder="New person's name",
                            maxLength=120,
                            className="grow",
                        ),
                        control_label("New person's role", ids.RECORD_NEW_ROLE, hidden=True),
                        dcc.Dropdown(
                            id=ids.RECORD_NEW_ROLE,
                            options=[{"label": r, "value": r} for r in names.ROLES],
                            placeholder="Role",
                            className="role",
                        ),
                        html.Button(
                            "Add a new person", id=ids.RECORD_NEW, n_clicks=0, className="button"
                        ),
                    ],
                    className="add-row",
                ),
                html.Div(id=ids.RECORD_ADD_MESSAGE, role="status", className="message"),
                hint="Change a ring, conflict or support by typing a new number; "
                'tick "take off" for someone who is no longer on the map.',
            ),
            _section(
                "Who knows whom",
                dcc.Checklist(
                    id=ids.RECORD_TIES,
                    options=tie_options(draft.ties, draft.people),
                    value=[f"{t['source']}|{t['target']}" for t in draft.ties],
                    className="ties",
                ),
                html.Div(
                    [
                        *_chooser("First person of the pair", ids.RECORD_TIE_A, draft.people),
                        html.Span("knows"),
                        *_chooser("Second person of the pair", ids.RECORD_TIE_B, draft.people),
                        html.Button(
                            "Add the tie", id=ids.RECORD_ADD_TIE, n_clicks=0, className="button"
                        ),
                    ],
                    className="add-row",
                ),
                hint="Pairs of people on the map who know each other: untick a pair "
                "that no longer holds. Ties of someone taken off the map are dropped.",
            ),
            _section(
                "PHQ-9",
                _phq9_inputs(),
                hint="Over the last 2 weeks: 0 not at all, 1 several days, "
                "2 more than half the days, 3 nearly every day. Leave an item empty if "
                "it was not answered (1 or 2 empty: the total is prorated), and all nine "
                "if the PHQ-9 was not given this session. Item 9 is kept whatever else "
                "is empty.",
            ),
            html.Div(
                [
                    html.Button(
                        f"Save session {draft.session}",
                        id=ids.RECORD_SAVE,
                        n_clicks=0,
                        className="button primary",
                    ),
                    html.Div(
                        id=ids.RECORD_MESSAGE,
                        role="status",
                        className="message",
                    ),
                ],
                className="save-row",
            ),
        ],
        className="page record-page",
    )
