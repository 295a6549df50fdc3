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
from ipt_network.io.contract import TABLES
from ipt_network.io.inventory import Inventory
from ipt_network.io.recording import AREA_WORK, Draft, draft_next_session
from ipt_network.words import (
    AREA_TITLES,
    COMMUNICATION_WORDS,
    GOAL_STATUS_WORDS,
    MAINTENANCE_WORDS,
    OUTCOME_WORDS,
    SKILL_WORDS,
    STAGE_MEANINGS,
    STAGE_WORDS,
)

__all__ = [
    "NAME",
    "SAVING_HIDDEN",
    "PHQ9_QUESTIONS",
    "FIELDS",
    "layout",
    "skeleton",
    "form",
    "draft_rows",
    "people_table",
    "person_options",
    "tie_options",
    "AREA_SECTIONS",
    "work_options",
    "goals_table",
]

NAME: Final = "Record a session"
#: The style of the "Saving…" line when no save is running.
SAVING_HIDDEN: Final = {"display": "none"}

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


#: The area record each focus area takes on this page: (table, title, focus area).
AREA_SECTIONS: Final = (
    ("dispute_work", "Role dispute: what each side expects", "role_dispute"),
    ("transition_work", "Role transition: the old and the new role", "role_transition"),
    ("grief_work", "Grief: memories and new connections", "grief"),
)
#: How each field of the area records, the communication work and the contract form reads.
_FIELD_TITLES: Final = {
    "client_expects": "What the client expects of the person",
    "person_expects": "What the person expects of the client",
    "old_role": "The old role",
    "new_role": "The new role",
    "losses": "What was lost",
    "gains": "What was gained",
    "memories": "Memories worked through",
    "new_connections": "New people or activities",
    "planned": "What was planned or rehearsed",
    "happened": "What happened",
    "said": "What was said",
    "meant": "What was meant",
    "breakdown": "Where it broke down",
    "formulation": "The interpersonal formulation, in the client's words",
    "warning_signs": "Warning signs",
    "who_to_turn_to": "Who to turn to",
}
#: The ending's gains read differently from a transition's.
_ENDING_GAINS: Final = "Gains credited to the client"


def _options(words: dict[str, str]) -> list[dict[str, str]]:
    """Dropdown options from a vocabulary's words, valued by the stored value."""
    return [{"label": label, "value": value} for value, label in words.items()]


def work_options(rows: Any, people: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Checklist options for the communication work added on the page, valued by position.

    Examples
    --------
    >>> work_options([{"person_id": "p1", "kind": "role_play", "skill": "repair"}],
    ...              [{"person_id": "p1", "name": "Ann", "role": "friend"}])
    [{'label': ' role-play with Ann (repairing after a misunderstanding)', 'value': '0'}]
    """
    named = {r["person_id"]: str(r.get("name") or r["person_id"]) for r in draft_rows(people)}
    options = []
    for n, row in enumerate(rows if isinstance(rows, list) else []):
        if not isinstance(row, dict):
            continue
        kind = COMMUNICATION_WORDS.get(str(row.get("kind")), "work")
        who = named.get(str(row.get("person_id")), str(row.get("person_id")))
        skill = SKILL_WORDS.get(str(row.get("skill")))
        label = f" {kind} with {who}" + (f" ({skill})" if skill else "")
        options.append({"label": label, "value": str(n)})
    return options


def _field(name: str, control: Any, *, native: bool = True, grow: bool = False) -> html.Div:
    """A control with its label shown above it (``native``: a ``<label for>``)."""
    label = control_label(name, control.id, native=native, class_name="field-label")
    return html.Div([label, control], className="field grow" if grow else "field")


def _dropdown(
    name: str, control_id: str | dict[str, str], options: list[dict[str, str]], **props: Any
) -> html.Div:
    """A labelled dropdown, the label shown above it."""
    return _field(name, dcc.Dropdown(id=control_id, options=options, **props), native=False)


def _text(name: str, control_id: str | dict[str, str], value: Any = None) -> html.Div:
    """A labelled box of free text, the label shown above it."""
    text = value if isinstance(value, str) else None
    return _field(name, dcc.Textarea(id=control_id, value=text, className="free-text"))


def _save_row(label: str, button_id: str, message_id: str, saving_id: str) -> html.Div:
    """A save button with the line that says how the save went, and a "Saving…" line
    shown instead while the save runs."""
    return html.Div(
        [
            html.Button(label, id=button_id, n_clicks=0, className="button primary"),
            html.Div("Saving…", id=saving_id, className="message", style=SAVING_HIDDEN),
            html.Div(id=message_id, role="status", className="message"),
        ],
        className="save-row",
    )


def _everyone(draft: Draft) -> list[dict[str, Any]]:
    """Every person of the client: on the draft map, then off it."""
    return [*draft.people, *draft.off_map]


def goals_table(goals: list[dict[str, Any]]) -> html.Table | html.P:
    """The client's goals, each with its last status and a status picker for this session.

    Examples
    --------
    >>> table = goals_table([{"goal_id": "g1", "area": "grief", "goal": "Visit the grave",
    ...                       "status": "in_progress", "session": 5}])
    >>> len(table.children[1].children)
    1
    """
    if not goals:
        return html.P("No goals yet: add the first below.", className="muted")
    head = html.Thead(
        html.Tr(
            [
                html.Th(title, scope="col")
                for title in ("Goal", "Area", "Last status", "Status this session")
            ]
        )
    )
    body = []
    for goal in goals:
        picker = ids.field_input(ids.RECORD_GOAL_STATUS, str(goal["goal_id"]))
        last = GOAL_STATUS_WORDS.get(str(goal["status"]), str(goal["status"]))
        body.append(
            html.Tr(
                [
                    html.Th(str(goal["goal"]), scope="row"),
                    html.Td(AREA_TITLES.get(str(goal["area"]), str(goal["area"]))),
                    html.Td(f"{last} (session {goal['session']})"),
                    html.Td(
                        [
                            control_label(
                                f"Status this session of goal {goal['goal_id']}",
                                picker,
                                hidden=True,
                            ),
                            dcc.Dropdown(
                                id=picker,
                                options=_options(GOAL_STATUS_WORDS),
                                placeholder="No change recorded",
                            ),
                        ]
                    ),
                ]
            )
        )
    return html.Table([head, html.Tbody(body)], className="data-table goals-table")


def _stage_section() -> html.Section:
    meanings = [
        html.Li(f"{STAGE_WORDS[stage]}: {STAGE_MEANINGS[stage]}.") for stage in names.DISPUTE_STAGES
    ]
    return _section(
        "Dispute stage",
        _dropdown(
            "Stage of the role dispute this session",
            ids.RECORD_STAGE,
            _options(STAGE_WORDS),
            placeholder="Not recorded",
        ),
        html.Ul(meanings, className="muted stage-meanings"),
        hint="Your call, for a client working on a role dispute; leave it empty otherwise.",
    )


def _work_section(draft: Draft) -> html.Section:
    def field(name: str) -> dict[str, str]:
        return ids.field_input(ids.RECORD_WORK_FIELD, name)

    choices = html.Div(
        [
            _dropdown("Person", field("person_id"), person_options(_everyone(draft))),
            _dropdown("Kind of work", field("kind"), _options(COMMUNICATION_WORDS)),
            _dropdown("Skill practiced", field("skill"), _options(SKILL_WORDS)),
            _dropdown("How it went", field("outcome"), _options(OUTCOME_WORDS)),
        ],
        className="field-row",
    )
    texts = [_text(_FIELD_TITLES[c], field(c)) for c in ("planned", "happened")]
    analysis = html.Fieldset(
        [
            html.Legend("For a communication analysis"),
            *(_text(_FIELD_TITLES[c], field(c)) for c in ("said", "meant", "breakdown")),
        ],
        className="analysis",
    )
    return _section(
        "Communication work",
        dcc.Store(id=ids.RECORD_WORK, data=[]),
        dcc.Checklist(id=ids.RECORD_WORK_LIST, options=[], value=[], className="ties"),
        choices,
        *texts,
        analysis,
        html.Button("Add this work", id=ids.RECORD_WORK_ADD, n_clicks=0, className="button"),
        html.Div(id=ids.RECORD_WORK_MESSAGE, role="status", className="message"),
        hint="Role-plays, communication analyses and between-session tasks of this session, "
        "one at a time; untick a piece to leave it out.",
    )


def _goals_section(draft: Draft) -> html.Section:
    def new(name: str) -> dict[str, str]:
        return ids.field_input(ids.RECORD_NEW_GOAL, name)

    return _section(
        "Goals",
        goals_table(draft.goals),
        html.Div(
            [
                _dropdown("New goal's area", new("area"), _options(AREA_TITLES)),
                _field(
                    "New goal",
                    dcc.Input(id=new("goal"), type="text", maxLength=500, className="grow"),
                    grow=True,
                ),
                _dropdown("New goal's status", new("status"), _options(GOAL_STATUS_WORDS)),
            ],
            className="field-row",
        ),
        hint="Pick a status for each goal worked on this session; a goal left alone keeps "
        "its last status. A new goal needs an area, the goal in words and a status.",
    )


def _area_sections(draft: Draft) -> list[html.Section]:
    sections = []
    for table, title, area in AREA_SECTIONS:
        children: list[Any] = []
        if "person_id" in TABLES[table].names:
            children.append(
                _dropdown(
                    "Person",
                    ids.field_input(ids.RECORD_AREA, f"{table}-person_id"),
                    person_options(_everyone(draft)),
                )
            )
        children += [
            _text(_FIELD_TITLES[c], ids.field_input(ids.RECORD_AREA, f"{table}-{c}"))
            for c in AREA_WORK[table]
        ]
        # the record of each chosen focus area; all three while no focus is chosen
        section = _section(title, *children, hidden=bool(draft.focus) and area not in draft.focus)
        sections.append(section)
    return sections


def _contract_section(draft: Draft) -> html.Section:
    def field(name: str) -> dict[str, str]:
        return ids.field_input(ids.RECORD_CONTRACT, name)

    values = draft.contract
    planned = dcc.Input(
        id=field("planned_sessions"),
        type="number",
        step=1,
        value=_input_value(values.get("planned_sessions")),
        placeholder="8-24",
        className="item-input",
    )
    agreed = dcc.Input(
        id=field("contract_date"),
        type="text",
        value=_input_value(values.get("contract_date")),
        placeholder="YYYY-MM-DD",
        maxLength=10,
        className="date",
    )
    maintenance = _dropdown(
        "Maintenance",
        field("maintenance"),
        _options(MAINTENANCE_WORDS),
        value=values.get("maintenance"),
        placeholder="Not decided",
    )
    texts = [(_FIELD_TITLES["formulation"], "formulation"), (_ENDING_GAINS, "gains")]
    texts += [(_FIELD_TITLES[c], c) for c in ("warning_signs", "who_to_turn_to")]
    return _section(
        "Treatment contract and ending",
        html.Div(
            [_field("Planned sessions", planned), _field("Date agreed", agreed), maintenance],
            className="field-row",
        ),
        *(_text(title, field(column), values.get(column)) for title, column in texts),
        dcc.Store(id=ids.RECORD_CONTRACT_LOADED, data=values),
        _save_row(
            "Save the contract and ending",
            ids.RECORD_CONTRACT_SAVE,
            ids.RECORD_CONTRACT_MESSAGE,
            ids.RECORD_CONTRACT_SAVING,
        ),
        hint="Saved on its own, for the client rather than this session. The agreed focus "
        "is recorded on the command line (ipt-network focus). Sessions past the plan count "
        "as maintenance only once a maintenance contract is agreed.",
    )


def _section(
    title: str, *children: Any, hint: str | None = None, hidden: bool = False
) -> html.Section:
    head: list[Any] = [html.H2(title)]
    if hint:
        head.append(html.P(hint, className="muted"))
    return html.Section([*head, *children], className="card", hidden=hidden)


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


def _item_input(control_id: str | dict[str, str | int]) -> dcc.Input:
    """A box for one questionnaire answer, 0 to 3."""
    return dcc.Input(
        id=control_id,
        type="number",
        inputMode="numeric",
        step=1,
        placeholder="0-3",
        className="item-input",
    )


def _phq9_inputs() -> html.Ol:
    return html.Ol(
        [
            html.Li(
                html.Label(
                    [
                        html.Span(question, className="question"),
                        _item_input(ids.phq9_item(i)),
                    ]
                )
            )
            for i, question in enumerate(PHQ9_QUESTIONS, start=1)
        ]
        + [html.P(id=ids.RECORD_ITEM9_NOTE, role="status", className="item9-note")],
        className="phq9-items",
    )


def _difficulty_input() -> html.Div:
    return html.Div(
        [
            control_label(
                "If any problems were checked: how difficult have they made it to work, "
                "take care of things at home, or get along with other people? "
                "(0 not difficult at all, 3 extremely difficult)",
                ids.RECORD_DIFFICULTY,
                native=True,
                class_name="question",
            ),
            _item_input(ids.RECORD_DIFFICULTY),
        ],
        className="difficulty",
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
                _difficulty_input(),
                hint="Over the last 2 weeks: 0 not at all, 1 several days, "
                "2 more than half the days, 3 nearly every day. Leave an item empty if "
                "it was not answered (1 or 2 empty: the total is prorated), and all nine "
                "if the PHQ-9 was not given this session. Item 9 is kept whatever else "
                "is empty.",
            ),
            _stage_section(),
            _work_section(draft),
            _goals_section(draft),
            *_area_sections(draft),
            _save_row(
                f"Save session {draft.session}",
                ids.RECORD_SAVE,
                ids.RECORD_MESSAGE,
                ids.RECORD_SAVING,
            ),
            _contract_section(draft),
        ],
        className="page record-page",
    )
