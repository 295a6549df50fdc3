"""The cohort page: the filters' values in, the count, figures and their tables out.

Every number comes from :func:`ipt_network.research.cohort.cohort_view`
(the store read once per revision); this module only checks what the browser
sent and puts the view into components.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import dash
import pandas as pd
from dash import Input, Output, html
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.components import Element, figure_card, frame_table
from dashboards.context import current_store
from dashboards.pages.cohort import DEFAULT_MEASURE
from ipt_network.io.store import Store
from ipt_network.research.cohort import (
    AREAS,
    CHANGES,
    COURSE_LENGTHS,
    EPISODES,
    CohortView,
    area_summary,
    cohort_view,
)
from ipt_network.views.figures import (
    Figure,
    cohort_change_figure,
    cohort_course_figure,
    cohort_scatter_figure,
)

__all__ = ["CohortOutputs", "cohort_outputs", "register"]

#: The filters in the order the page shows them, with their legends.
_FILTERS: tuple[tuple[str, Mapping[str, object]], ...] = (
    ("Problem area", AREAS),
    ("Episode", EPISODES),
    ("Course length", COURSE_LENGTHS),
)


class CohortOutputs(NamedTuple):
    """What one change of a filter updates, in the order of the callback's outputs."""

    shown: str
    results: list[Any]


def _card(graph_id: str, table_id: str, figure: Figure, table: Element) -> html.Section:
    """A figure card (:func:`dashboards.components.figure_card`) holding its figure and table."""
    card = figure_card(graph_id, table_id, height=f"{figure['layout']['height']}px")
    graph, details = card.children
    graph.figure = figure
    details.children[1].children = table
    return card


def _keys(value: Any, known: Mapping[str, object]) -> list[str]:
    """The ticked keys a checklist sent, or stop the update for anything but a list."""
    if not isinstance(value, list):
        raise PreventUpdate
    return [v for v in value if isinstance(v, str) and v in known]


def _count(view: CohortView) -> str:
    text = f"{view.n_clients:,} of {view.n_total:,} clients"
    if view.n_not_started:
        text += f" ({view.n_not_started:,} with no session yet left out)"
    return text + "."


def _empty_sentence(chosen: list[list[str]]) -> str:
    """Why nothing is shown: a group with no box ticked, or a combination nobody has."""
    for (legend, _), keys in zip(_FILTERS, chosen, strict=True):
        if not keys:
            return f"No client is shown: tick at least one box under {legend}."
    return "No client matches these filters together. Tick more boxes to see more clients."


def _course_table(view: CohortView) -> Element:
    course = view.course
    return frame_table(
        pd.DataFrame(
            {
                "problem area": course["area"].map(AREAS),
                "session": course["session"],
                "clients": course["n"],
                "mean PHQ-9": course["mean"].round(1),
                "SD": course["sd"].round(1),
            }
        )
    )


def _change_table(view: CohortView) -> Element:
    summary = view.summary
    return frame_table(
        pd.DataFrame(
            {
                "network change": summary["measure"].map(lambda m: CHANGES[m][0]),
                "clients": summary["n"],
                "mean": summary["mean"].round(2),
                "lower quartile": summary["q1"].round(2),
                "median": summary["median"].round(2),
                "upper quartile": summary["q3"].round(2),
            }
        )
    )


def _scatter_table(view: CohortView, measure: str) -> Element:
    table = area_summary(view.clients, measure)
    return frame_table(
        pd.DataFrame(
            {
                "problem area": table["area"].map(AREAS),
                "clients with both changes": table["n"],
                f"median {CHANGES[measure][0].lower()}": table["network_median"].round(2),
                "median PHQ-9 change": table["phq9_median"],
            }
        )
    )


def _scatter_note(view: CohortView) -> str | None:
    """Say how many clients the scatter leaves out for want of two PHQ-9 totals."""
    n = int(view.clients["phq9_change"].isna().sum())
    if not n:
        return None
    if n == 1:
        return "1 client has fewer than two PHQ-9 totals and is not in this figure."
    return f"{n:,} clients have fewer than two PHQ-9 totals and are not in this figure."


def cohort_outputs(
    store: Store, areas: Any, episodes: Any, lengths: Any, measure: Any = DEFAULT_MEASURE
) -> CohortOutputs:
    """The cohort page for the ticked filters (values as the browser sent them).

    A filter that is not a list stops the update; values that are not a
    known group are dropped. With no client kept, a sentence says why, in
    place of the figures (no empty axes).
    """
    chosen = [
        _keys(v, known) for v, (_, known) in zip((areas, episodes, lengths), _FILTERS, strict=True)
    ]
    if not isinstance(measure, str) or measure not in CHANGES:
        measure = DEFAULT_MEASURE
    view = cohort_view(store, areas=chosen[0], episodes=chosen[1], course_lengths=chosen[2])
    if view.empty:
        return CohortOutputs(
            _count(view), [html.P(_empty_sentence(chosen), id=ids.COHORT_EMPTY, className="card")]
        )
    return CohortOutputs(
        _count(view),
        [
            _card(
                ids.COHORT_COURSE,
                ids.COHORT_COURSE_TABLE,
                cohort_course_figure(view.course),
                _course_table(view),
            ),
            _card(
                ids.COHORT_CHANGE,
                ids.COHORT_CHANGE_TABLE,
                cohort_change_figure(view.bins),
                _change_table(view),
            ),
            _card(
                ids.COHORT_SCATTER,
                ids.COHORT_SCATTER_TABLE,
                cohort_scatter_figure(view.clients, measure),
                _scatter_table(view, measure),
            ),
            *[html.P(n, className="note") for n in [_scatter_note(view)] if n],
        ],
    )


def register(app: dash.Dash) -> None:
    """Wire this page's callback to ``app``; it fetches the request's store."""

    filters = (ids.COHORT_AREAS, ids.COHORT_EPISODES, ids.COHORT_LENGTHS, ids.COHORT_MEASURE)

    @app.callback(
        [Output(ids.COHORT_COUNT, "children"), Output(ids.COHORT_RESULTS, "children")],
        [Input(component, "value") for component in filters],
    )
    def _cohort(areas: Any, episodes: Any, lengths: Any, measure: Any) -> CohortOutputs:
        return cohort_outputs(current_store(), areas, episodes, lengths, measure)
