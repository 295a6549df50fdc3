"""The cohort page: PHQ-9 course and network change across every client, with filters.

The figures (or, when no client is kept, a sentence saying why) are put in
by a callback (:mod:`dashboards.callbacks.cohort`)
from the read model :mod:`ipt_network.research.cohort`. The filters live in
the checklists' own state, never in the page address, so no clinical
grouping ends up in a URL, a browser history or a server log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from dash import dcc, html

from dashboards import ids
from dashboards.auth import home_path, signed_in
from ipt_network.research.cohort import AREAS, CHANGES, COURSE_LENGTHS, EPISODES

__all__ = ["NAME", "layout"]

NAME: Final = "Cohort"
#: The network change the scatter plot shows first.
DEFAULT_MEASURE: Final = "support_change"


#: The look of the filters (the shared stylesheet has no rules for a group of tick boxes).
_GROUP: Final = {"border": "none", "margin": 0, "padding": 0, "minWidth": "13rem"}
_OPTIONS: Final = {"display": "flex", "flexDirection": "column", "gap": "0.35rem"}
_ROW: Final = {"display": "flex", "flexWrap": "wrap", "gap": "1.5rem"}
#: The count is read out when a filter changes it; the filters' card is named.
_LIVE: Final[dict[str, Any]] = {"aria-live": "polite"}
_NAMED: Final[dict[str, Any]] = {"aria-label": "Filters"}


def _options(
    legend: str, component: type[dcc.Checklist] | type[dcc.RadioItems], **props: Any
) -> html.Fieldset:
    """A group of tick boxes or radio buttons named by its legend."""
    return html.Fieldset(
        [
            html.Legend(legend, className="field-label"),
            component(className="switch", style=_OPTIONS, **props),
        ],
        style=_GROUP,
    )


def _checklist(legend: str, component_id: str, options: Mapping[str, str]) -> html.Fieldset:
    """A group of tick boxes, every option ticked."""
    return _options(
        legend,
        dcc.Checklist,
        id=component_id,
        options=[{"label": words, "value": key} for key, words in options.items()],
        value=list(options),
    )


def layout(**_: Any) -> html.Main:
    """The cohort page."""
    lengths = {key: words for key, (_, _, words) in COURSE_LENGTHS.items()}
    # a researcher starts here and has no client list to go back to
    back = [dcc.Link("Back to the client list", href="/")] if home_path(signed_in()) == "/" else []
    return html.Main(
        [
            html.Header(
                [
                    html.H1("Cohort"),
                    html.P(
                        [
                            "Every client's course together: how PHQ-9 totals moved by "
                            "problem area, how maps changed from the first session to the "
                            "last, and the two side by side. ",
                            *back,
                        ],
                        className="lede",
                    ),
                ],
                className="page-head",
            ),
            html.Section(
                [
                    html.H2("Which clients"),
                    html.Div(
                        [
                            _checklist("Problem area", ids.COHORT_AREAS, AREAS),
                            _checklist("Episode", ids.COHORT_EPISODES, EPISODES),
                            _checklist("Course length", ids.COHORT_LENGTHS, lengths),
                            _options(
                                "Network change in the last figure",
                                dcc.RadioItems,
                                id=ids.COHORT_MEASURE,
                                options=[
                                    {"label": words, "value": key}
                                    for key, (words, _) in CHANGES.items()
                                ],
                                value=DEFAULT_MEASURE,
                            ),
                        ],
                        style=_ROW,
                    ),
                    html.P(id=ids.COHORT_COUNT, **_LIVE),
                ],
                className="card",
                **_NAMED,
            ),
            html.Div(id=ids.COHORT_RESULTS),
        ],
        className="page",
    )
