"""Recording the next session: start from the last map, edit it, enter the PHQ-9, save.

The form is drafted from the store by
:func:`ipt_network.recording.draft_next_session`. Everything it sends back is
checked by :func:`ipt_network.recording.record_session` in the save callback;
a session is stored whole or not at all.
"""

from __future__ import annotations

from typing import Any, Final

from dash import dcc, html
from dash.dash_table.DataTable import DataTable

from dashboards import ids
from dashboards.components import safety_banner
from dashboards.context import current_store
from dashboards.pages.client import not_found
from ipt_network import names
from ipt_network.errors import ClientNotFound
from ipt_network.recording import draft_next_session
from ipt_network.safety import safety_flag

__all__ = ["NAME", "PHQ9_QUESTIONS", "PEOPLE_COLUMNS", "layout", "person_options"]

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

#: Columns of the editable map table (person_id rides along in each row, unseen).
PEOPLE_COLUMNS: Final = (
    {"id": "name", "name": "Person", "editable": False},
    {"id": "role", "name": "Role", "editable": False},
    {"id": "ring", "name": "Ring (1 inner, 2 middle, 3 outer)", "type": "numeric"},
    {"id": "conflict", "name": "Conflict (0 none to 4)", "type": "numeric"},
    {"id": "support", "name": "Support (0 none to 4)", "type": "numeric"},
)


_FONT: Final = "Inter, 'Segoe UI', 'Helvetica Neue', Arial, sans-serif"
_CELL: Final = {"fontFamily": _FONT, "fontSize": "15px", "padding": "6px 10px", "textAlign": "left"}
_HEADER: Final = {"fontWeight": "600", "backgroundColor": "#F4F7FA"}


def person_options(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Dropdown options naming people by name and role, valued by person id.

    Examples
    --------
    >>> person_options([{"person_id": "p1", "name": "Ann", "role": "friend"}])
    [{'label': 'Ann (friend)', 'value': 'p1'}]
    """
    return [
        {
            "label": f"{r.get('name') or r.get('person_id')} ({r.get('role')})",
            "value": str(r["person_id"]),
        }
        for r in rows
        if isinstance(r, dict) and r.get("person_id")
    ]


def _section(title: str, *children: Any, hint: str | None = None) -> html.Section:
    head: list[Any] = [html.H2(title)]
    if hint:
        head.append(html.P(hint, className="muted"))
    return html.Section([*head, *children], className="card")


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
        ],
        className="phq9-items",
    )


def layout(client_id: str | None = None, **_: Any) -> html.Main:
    """The recording page of one client; a "not found" page for an unknown id."""
    store = current_store()
    try:
        inventory = store.inventory([str(client_id)])
    except ClientNotFound:
        return not_found(client_id)
    cid = str(client_id)
    draft = draft_next_session(inventory, cid)
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
                    dcc.Link(f"← Back to {cid}", href=f"/client/{cid}", className="back"),
                    html.H1(f"Record session {draft.session}"),
                    html.P(f"{cid}. {start}", className="lede"),
                ],
                className="page-head",
            ),
            html.Div(safety_banner(safety_flag(inventory, cid)), role="alert", className="banner"),
            _section(
                "Date",
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
                DataTable(
                    id=ids.RECORD_PEOPLE,
                    columns=list(PEOPLE_COLUMNS),
                    data=draft.people,
                    editable=True,
                    row_deletable=True,
                    style_as_list_view=True,
                    style_cell={
                        "fontFamily": "inherit",
                        "padding": "6px 10px",
                        "textAlign": "left",
                    },
                    style_header=_HEADER,
                ),
                html.Div(
                    [
                        dcc.Dropdown(
                            id=ids.RECORD_BACK_PERSON,
                            options=person_options(draft.off_map),
                            placeholder="Someone who was on the map before",
                            className="grow",
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
                        dcc.Input(
                            id=ids.RECORD_NEW_NAME,
                            type="text",
                            placeholder="New person's name",
                            maxLength=120,
                            className="grow",
                        ),
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
                hint="Change a ring, conflict or support by typing in its cell; "
                "remove someone from the map with the × at the start of their row.",
            ),
            _section(
                "Who knows whom",
                DataTable(
                    id=ids.RECORD_TIES,
                    columns=[
                        {"id": "source", "name": "Person", "presentation": "dropdown"},
                        {"id": "target", "name": "knows", "presentation": "dropdown"},
                    ],
                    data=draft.ties,
                    editable=True,
                    row_deletable=True,
                    style_as_list_view=True,
                    style_cell={
                        "fontFamily": "inherit",
                        "padding": "6px 10px",
                        "textAlign": "left",
                    },
                    style_header=_HEADER,
                ),
                html.Button("Add a tie", id=ids.RECORD_ADD_TIE, n_clicks=0, className="button"),
                hint="Pairs of people on the map who know each other.",
            ),
            _section(
                "PHQ-9",
                _phq9_inputs(),
                hint="Over the last 2 weeks: 0 not at all, 1 several days, "
                "2 more than half the days, 3 nearly every day. Leave all nine empty "
                "if it was not given this session.",
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
