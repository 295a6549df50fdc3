"""The PHQ-9 course over the severity bands."""

from __future__ import annotations

from typing import Any

import numpy as np

from ipt_network.clinical.measures import PHQ9_BANDS, measure_table
from ipt_network.io.inventory import Inventory
from ipt_network.views import theme
from ipt_network.views.figures._style import (
    _MUTED,
    OKABE_ITO,
    Figure,
    _base_layout,
    _current_label,
    _current_marker,
)


def phq9_figure(inventory: Inventory, client_id: str, current_session: int | None = None) -> Figure:
    """The PHQ-9 course of one client over the severity bands.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    current_session : int, optional
        The session to mark with a dotted vertical line.

    Returns
    -------
    dict
        A plotly figure dict: shaded, labelled bands (0-4 minimal, 5-9 mild,
        10-14 moderate, 15-19 moderately severe, 20-27 severe), the totals of
        sessions where all nine items were given, and a distinct diamond on
        sessions where item 9 (thoughts of death or self-harm) is above 0.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory; a client with no complete
        PHQ-9 still gets the bands, with no points.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> fig = phq9_figure(load_samples(), "grief-01", current_session=3)
    >>> [a["text"] for a in fig["layout"]["annotations"]][:2]
    ['minimal (0-4)', 'mild (5-9)']
    """
    scores = measure_table(inventory, client_id)  # raises ClientNotFound
    one = inventory.clients[inventory.clients["client_id"] == client_id]
    given = scores["phq9_total"].notna().to_numpy(dtype=bool)
    x = scores["session"].astype(int).to_numpy()[given]
    y = scores["phq9_total"].to_numpy(dtype=float, na_value=np.nan)[given]
    bands = scores["phq9_band"].astype(str).to_numpy()[given]
    item9 = scores["phq9_item9"].to_numpy(dtype=float, na_value=np.nan)[given]
    planned = one["planned_sessions"].dropna()
    last = max(
        [
            int(x.max()) if len(x) else 1,
            int(planned.iloc[0]) if len(planned) else 1,
            current_session or 1,
        ]
    )
    hover = [f"Session {s}: PHQ-9 {int(t)}, {b}" for s, t, b in zip(x, y, bands, strict=True)]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "PHQ-9 total",
            "x": x.tolist(),
            "y": y.tolist(),
            "hovertext": hover,
            "hoverinfo": "text",
            "line": {"color": OKABE_ITO["blue"], "width": 2.5},
            "marker": {"color": OKABE_ITO["blue"], "size": 8},
        }
    ]
    flagged = item9 > 0
    if flagged.any():
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "item 9 above 0 (thoughts of death or self-harm)",
                "x": x[flagged].tolist(),
                "y": y[flagged].tolist(),
                "hovertext": [
                    f"Session {s}: item 9 is {int(v)} (thoughts of death or self-harm). "
                    "988 Suicide and Crisis Lifeline: call or text 988 (US)"
                    for s, v in zip(x[flagged], item9[flagged], strict=True)
                ],
                "hoverinfo": "text",
                "marker": {
                    "symbol": "diamond",
                    "size": 15,
                    "color": OKABE_ITO["vermillion"],
                    "line": {"color": theme.PAPER, "width": 1.5},
                },
            }
        )
    shades = theme.SEVERITY_FILLS
    shapes: list[dict[str, Any]] = [
        {
            "type": "rect",
            "xref": "paper",
            "yref": "y",
            "x0": 0,
            "x1": 1,
            "y0": lo - 0.5,
            "y1": hi + 0.5,
            "fillcolor": shade,
            "line": {"width": 0},
            "layer": "below",
        }
        for (lo, hi, _), shade in zip(PHQ9_BANDS.ranges(), shades, strict=True)
    ]
    annotations: list[dict[str, Any]] = [
        {
            "xref": "paper",
            "yref": "y",
            "x": 1.01,
            "y": (lo + hi) / 2,
            "text": f"{label} ({lo}-{hi})",
            "showarrow": False,
            "xanchor": "left",
            "font": {"size": 11, "color": _MUTED},
        }
        for lo, hi, label in PHQ9_BANDS.ranges()
    ]
    if current_session is not None:
        shapes.append(_current_marker(current_session))
        annotations.append(_current_label(current_session))
    if not len(x):
        annotations.append(
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "text": "No PHQ-9 recorded yet",
                "showarrow": False,
                "font": {"size": 14, "color": _MUTED},
            }
        )
    layout = _base_layout("PHQ-9 over the course", font_size=12)
    layout.update(
        {
            "shapes": shapes,
            "annotations": annotations,
            "xaxis": {
                "title": {"text": "Session"},
                "range": [0.5, last + 0.5],
                "dtick": 1,
                "showgrid": False,
                "zeroline": False,
            },
            "yaxis": {
                "title": {"text": "PHQ-9 total (0-27)"},
                "range": [-0.5, 27.5],
                "tickvals": [0, 5, 10, 15, 20, 27],
                "showgrid": False,
                "zeroline": False,
            },
            "showlegend": bool(flagged.any()),
            "legend": {"orientation": "h", "x": 0, "y": -0.18},
            "margin": {"l": 56, "r": 140, "t": 56, "b": 48},
        }
    )
    return {"data": data, "layout": layout}
