"""Every component id of the dashboard, in one place.

Pages build components with these ids and callbacks refer to them, so a
renamed component cannot leave a callback pointing nowhere. Ids name
components only; they never carry client data.

Examples
--------
>>> from dashboards import ids
>>> ids.MAP, ids.SESSION_SLIDER
('map', 'session-slider')
>>> len(set(ALL)) == len(ALL)
True
"""

from __future__ import annotations

import json
from typing import Final

__all__ = [
    "ALL",
    "PAGE",
    "ERROR",
    "CLIENT_ID",
    "CLIENT_SEARCH",
    "CLIENT_TABLE",
    "COHORT_AREAS",
    "COHORT_EPISODES",
    "COHORT_LENGTHS",
    "COHORT_MEASURE",
    "COHORT_COUNT",
    "COHORT_EMPTY",
    "COHORT_RESULTS",
    "COHORT_COURSE",
    "COHORT_COURSE_TABLE",
    "COHORT_CHANGE",
    "COHORT_CHANGE_TABLE",
    "COHORT_SCATTER",
    "COHORT_SCATTER_TABLE",
    "BANNER",
    "HEADER_DETAILS",
    "SESSION_SLIDER",
    "PLAY",
    "PLAY_TIMER",
    "COMPARE_ON",
    "COMPARE_SESSION",
    "CLIENT_VIEW",
    "MAP",
    "MAP_TABLE",
    "CLINICAL",
    "CHANGES",
    "PHQ9",
    "PHQ9_TABLE",
    "TRENDS",
    "TRENDS_TABLE",
    "PROBLEM_AREAS",
    "TIMELINE",
    "PERSON",
    "PERSON_HISTORY",
    "WORK",
    "RECORD_LINK",
    "RECORD_SESSION",
    "RECORD_DATE",
    "RECORD_ROWS",
    "RECORD_PEOPLE",
    "RECORD_RING",
    "RECORD_CONFLICT",
    "RECORD_SUPPORT",
    "RECORD_OFF",
    "RECORD_TIES",
    "RECORD_TIE_A",
    "RECORD_TIE_B",
    "RECORD_ADD_TIE",
    "RECORD_BACK_PERSON",
    "RECORD_BACK",
    "RECORD_NEW_NAME",
    "RECORD_NEW_ROLE",
    "RECORD_NEW",
    "RECORD_ADD_MESSAGE",
    "RECORD_PHQ9",
    "RECORD_SAVE",
    "RECORD_MESSAGE",
    "RECORD_BANNER",
    "RECORD_ITEM9_NOTE",
    "RECORD_DIFFICULTY",
    "RECORD_STAGE",
    "RECORD_WORK",
    "RECORD_WORK_LIST",
    "RECORD_WORK_FIELD",
    "RECORD_WORK_ADD",
    "RECORD_WORK_MESSAGE",
    "RECORD_GOAL_STATUS",
    "RECORD_NEW_GOAL",
    "RECORD_AREA",
    "RECORD_CONTRACT",
    "RECORD_CONTRACT_SAVE",
    "RECORD_CONTRACT_MESSAGE",
    "RECORD_CONTRACT_LOADED",
    "RECORD_SAVING",
    "RECORD_CONTRACT_SAVING",
    "field_input",
    "phq9_item",
    "person_input",
    "dom_id",
]

# Every page
PAGE: Final = "page"
ERROR: Final = "error-message"  # the app's line for an error a callback met (in the shell)
CLIENT_ID: Final = "client-id"  # dcc.Store holding the client id of a client page

# Client list
CLIENT_SEARCH: Final = "client-search"
CLIENT_TABLE: Final = "client-table"

# Cohort page (filters live in these components' state, never in the address)
COHORT_AREAS: Final = "cohort-areas"  # checklist of problem-area groups
COHORT_EPISODES: Final = "cohort-episodes"  # checklist of episodes
COHORT_LENGTHS: Final = "cohort-lengths"  # checklist of course-length bands
COHORT_MEASURE: Final = "cohort-measure"  # the network change on the scatter's x axis
COHORT_COUNT: Final = "cohort-count"  # "n of N clients"
COHORT_EMPTY: Final = "cohort-empty"  # the sentence shown instead when no client is kept
COHORT_RESULTS: Final = "cohort-results"  # the figure cards, filled by the callback
COHORT_COURSE: Final = "cohort-course"
COHORT_COURSE_TABLE: Final = "cohort-course-table"
COHORT_CHANGE: Final = "cohort-change"
COHORT_CHANGE_TABLE: Final = "cohort-change-table"
COHORT_SCATTER: Final = "cohort-scatter"
COHORT_SCATTER_TABLE: Final = "cohort-scatter-table"

# Client page
BANNER: Final = "safety-banner"
HEADER_DETAILS: Final = "header-details"
SESSION_SLIDER: Final = "session-slider"
PLAY: Final = "play"
PLAY_TIMER: Final = "play-timer"
COMPARE_ON: Final = "compare-on"
COMPARE_SESSION: Final = "compare-session"
CLIENT_VIEW: Final = "client-view"
MAP: Final = "map"
MAP_TABLE: Final = "map-table"
CLINICAL: Final = "clinical"
CHANGES: Final = "changes"
PHQ9: Final = "phq9"
PHQ9_TABLE: Final = "phq9-table"
TRENDS: Final = "trends"
TRENDS_TABLE: Final = "trends-table"
PROBLEM_AREAS: Final = "problem-areas"
TIMELINE: Final = "timeline"
PERSON: Final = "person"
PERSON_HISTORY: Final = "person-history"
WORK: Final = "middle-phase-work"  # the card of the middle-phase work, up to the session
RECORD_LINK: Final = "record-link"

# Recording page
RECORD_SESSION: Final = "record-session"  # dcc.Store holding the session number
RECORD_DATE: Final = "record-date"
RECORD_ROWS: Final = "record-rows"  # dcc.Store: the draft map's people, as drafted or added
RECORD_PEOPLE: Final = "record-people"  # the table of people with their inputs
# Pattern-matching types of the per-person inputs; the index is the person id.
RECORD_RING: Final = "record-ring"
RECORD_CONFLICT: Final = "record-conflict"
RECORD_SUPPORT: Final = "record-support"
RECORD_OFF: Final = "record-off"
RECORD_TIES: Final = "record-ties"  # checklist of ties, ticked = kept
RECORD_TIE_A: Final = "record-tie-a"
RECORD_TIE_B: Final = "record-tie-b"
RECORD_ADD_TIE: Final = "record-add-tie"
RECORD_BACK_PERSON: Final = "record-back-person"
RECORD_BACK: Final = "record-back"
RECORD_NEW_NAME: Final = "record-new-name"
RECORD_NEW_ROLE: Final = "record-new-role"
RECORD_NEW: Final = "record-new"
RECORD_ADD_MESSAGE: Final = "record-add-message"
RECORD_PHQ9: Final = "record-phq9"  # pattern-matching type of the nine item inputs
RECORD_SAVE: Final = "record-save"
RECORD_MESSAGE: Final = "record-message"
RECORD_BANNER: Final = "record-banner"  # the safety banner, live as item 9 is typed
RECORD_ITEM9_NOTE: Final = "record-item9-note"  # beside item 9: the flag is shown at the top
RECORD_DIFFICULTY: Final = "record-difficulty"  # the PHQ-9 difficulty item
RECORD_STAGE: Final = "record-stage"  # the dispute stage of the session (the clinician's call)
RECORD_WORK: Final = "record-work"  # dcc.Store: communication work added on the page
RECORD_WORK_LIST: Final = "record-work-list"  # checklist of that work, ticked = saved
RECORD_WORK_FIELD: Final = "record-work-field"  # pattern type; index: a communication column
RECORD_WORK_ADD: Final = "record-work-add"
RECORD_WORK_MESSAGE: Final = "record-work-message"
RECORD_GOAL_STATUS: Final = "record-goal-status"  # pattern type; index: a goal id
RECORD_NEW_GOAL: Final = "record-new-goal"  # pattern type; index: area, goal or status
RECORD_AREA: Final = "record-area"  # pattern type; index: "<area table>-<column>"
RECORD_CONTRACT: Final = "record-contract"  # pattern type; index: a clients column
RECORD_CONTRACT_SAVE: Final = "record-contract-save"  # the contract form's own save
RECORD_CONTRACT_MESSAGE: Final = "record-contract-message"
RECORD_CONTRACT_LOADED: Final = "record-contract-loaded"  # the values the form was opened with
RECORD_SAVING: Final = "record-saving"  # "Saving…", shown while the session save runs
RECORD_CONTRACT_SAVING: Final = "record-contract-saving"  # the same for the contract form


def phq9_item(item: int) -> dict[str, str | int]:
    """The id of the input for PHQ-9 item ``item`` (1 to 9).

    Examples
    --------
    >>> phq9_item(9)
    {'type': 'record-phq9', 'index': 9}
    """
    return {"type": RECORD_PHQ9, "index": item}


def person_input(kind: str, person_id: str) -> dict[str, str]:
    """The id of one person's input on the recording page (``kind`` is a RECORD_ type).

    Examples
    --------
    >>> person_input(RECORD_RING, "p01")
    {'type': 'record-ring', 'index': 'p01'}
    """
    return {"type": kind, "index": person_id}


def field_input(kind: str, name: str) -> dict[str, str]:
    """The id of one field of a recording-page form whose fields share a type.

    Examples
    --------
    >>> field_input(RECORD_CONTRACT, "formulation")
    {'type': 'record-contract', 'index': 'formulation'}
    """
    return {"type": kind, "index": name}


def dom_id(component_id: str | dict[str, str]) -> str:
    """The ``id`` attribute Dash gives a component in the page, as ``<label for>`` needs it.

    A pattern-matching id becomes its JSON with the keys sorted and no spaces,
    as Dash's renderer writes it.

    Examples
    --------
    >>> dom_id(person_input(RECORD_RING, "p01")), dom_id(RECORD_DATE)
    ('{"index":"p01","type":"record-ring"}', 'record-date')
    """
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


ALL: Final = tuple(v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str))
