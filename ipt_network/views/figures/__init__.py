"""Figures for the therapist's dashboard and the end-of-course report.

Every builder returns a plain figure dict, ``{"data": [...], "layout": {...}}``,
ready for ``dcc.Graph(figure=...)``, :func:`plotly.io.to_json` or
``plotly.graph_objects.Figure(fig)``. The dicts are kept small: one scatter
trace per marker style, edges batched into a few line traces with ``None``
separators, coordinates rounded, no template.

* :func:`relationship_map` (and the lower-level :func:`map_figure`): the
  client in the centre, three labelled rings, each person on their ring at a
  stable angle (:mod:`ipt_network.network.layout`). Conflict shows by colour *and*
  line style, support by marker size, a person who has died by a hollow
  marker; a compare mode shows who left (as ghosts), who joined and who moved.
* :func:`phq9_figure`: the PHQ-9 course over the severity bands.
* :func:`trends_figure`: small multiples of the map's metrics over sessions.
* :func:`cohort_course_figure`, :func:`cohort_change_figure` and
  :func:`cohort_scatter_figure`: the cohort page's PHQ-9 course by problem
  area, distribution of network change, and the two against each other.
* :func:`figure_table`: a text alternative for any of them.

Colours come from the Okabe-Ito palette (:data:`OKABE_ITO`), safe for the
common forms of colour blindness.

Examples
--------
>>> import networkx as nx
>>> from ipt_network import names
>>> G = nx.Graph(session=1, date="2024-01-08")
>>> G.add_node(names.EGO, kind="ego")
>>> G.add_node("p1", kind="person", name="Sam", role="friend", deceased_date=None)
>>> G.add_edge(names.EGO, "p1", tie="ego", ring=1, closeness=3, conflict=2, support=3)
>>> fig = map_figure(G, {"p1": 0.0})
>>> [t["name"] for t in fig["data"] if t.get("showlegend")]
['some conflict (2 of 4)']
>>> figure_table(fig)
[{'series': 'some conflict (2 of 4)', 'text': 'Sam (friend); inner ring; support 3 of 4'}]
"""

from __future__ import annotations

from ipt_network.views.figures._style import (
    CONFLICT_STYLES,
    OKABE_ITO,
    TREND_METRICS,
    ConflictStyle,
    Figure,
)
from ipt_network.views.figures.cohort import (
    AREA_STYLES,
    cohort_change_figure,
    cohort_course_figure,
    cohort_scatter_figure,
)
from ipt_network.views.figures.map import map_figure, relationship_map
from ipt_network.views.figures.phq9 import phq9_figure
from ipt_network.views.figures.table import figure_table
from ipt_network.views.figures.trends import trends_figure

__all__ = [
    "OKABE_ITO",
    "CONFLICT_STYLES",
    "TREND_METRICS",
    "ConflictStyle",
    "relationship_map",
    "map_figure",
    "phq9_figure",
    "trends_figure",
    "figure_table",
    "Figure",
    "AREA_STYLES",
    "cohort_course_figure",
    "cohort_change_figure",
    "cohort_scatter_figure",
]
