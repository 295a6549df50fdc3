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

import dash

from dashboards.callbacks import client, clients, cohort, record
from dashboards.callbacks._common import error_sentence, show_error
from dashboards.callbacks.client import (
    CoursePanels,
    clicked_person,
    clinical_outputs,
    clinical_step,
    course_panels,
    map_outputs,
    person_outputs,
    play_step,
    step_outputs,
    view_outputs,
)
from dashboards.callbacks.clients import MAX_LISTED, client_rows
from dashboards.callbacks.record import (
    EDIT_FIELDS,
    Edits,
    add_tie,
    add_to_map,
    item9_note,
    merge_edits,
    record_banner,
    save_session,
)

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
    "Edits",
    "merge_edits",
    "add_to_map",
    "add_tie",
    "save_session",
    "item9_note",
    "record_banner",
]


def register(app: dash.Dash) -> None:
    """Wire every page's callbacks to ``app``; each fetches the request's store."""
    clients.register(app)
    cohort.register(app)
    client.register(app)
    record.register(app)
