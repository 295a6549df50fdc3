"""Small multiples of the map's metrics over the sessions of one client."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ipt_network.errors import BadTable
from ipt_network.views import theme
from ipt_network.views.figures._style import (
    _INK,
    OKABE_ITO,
    TREND_METRICS,
    Figure,
    _base_layout,
    _current_label,
    _current_marker,
)


def trends_figure(metric_rows: pd.DataFrame, current_session: int | None = None) -> Figure:
    """Small multiples of the map's metrics over the sessions of one client.

    Parameters
    ----------
    metric_rows : DataFrame
        One row per session of one client with ``session`` and the columns of
        :data:`TREND_METRICS` (``n_people``, ``n_inner``, ``conflict_sum``,
        ``density``), as the metrics table has them.
    current_session : int, optional
        The session to mark in every panel.

    Returns
    -------
    dict
        A plotly figure dict with one panel per metric, stacked, sharing the
        session axis.

    Raises
    ------
    ValueError
        When ``session`` or a column of :data:`TREND_METRICS` is missing, or
        the rows hold more than one client.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"session": [1, 2], "n_people": [5, 6], "n_inner": [1, 2],
    ...                      "conflict_sum": [4, 3], "density": [0.2, 0.25]})
    >>> fig = trends_figure(rows, current_session=2)
    >>> for trace in fig["data"]:
    ...     print(trace["name"], trace["y"])
    People on the map [5.0, 6.0]
    Inner circle [1.0, 2.0]
    Conflict (sum over people) [4.0, 3.0]
    Density of ties between people [0.2, 0.25]
    """
    missing = [c for c in ("session", *TREND_METRICS) if c not in metric_rows.columns]
    if missing:
        raise BadTable(f"metric rows need the column(s) {', '.join(missing)}")
    if "client_id" in metric_rows.columns and metric_rows["client_id"].nunique() > 1:
        raise BadTable("trends_figure takes the rows of one client; filter by client_id first")
    rows = metric_rows.sort_values("session")
    x = rows["session"].astype(int).tolist()
    n = len(TREND_METRICS)
    gap = 0.07
    height = (1 - gap * (n - 1)) / n
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    layout = _base_layout("The map over the course", font_size=12)
    for i, (col, title) in enumerate(TREND_METRICS.items()):
        k = "" if i == 0 else str(i + 1)
        top = 1 - i * (height + gap)
        values = rows[col].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        fmt = "{:.2f}" if col == "density" else "{:.0f}"
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": title,
                "x": x,
                "y": [None if math.isnan(v) else round(float(v), 4) for v in values],
                "xaxis": f"x{k}",
                "yaxis": f"y{k}",
                "hovertext": [
                    f"Session {s}: {title.lower()} "
                    + ("not computed" if math.isnan(v) else fmt.format(v))
                    for s, v in zip(x, values, strict=True)
                ],
                "hoverinfo": "text",
                "line": {"color": OKABE_ITO["blue"], "width": 2},
                "marker": {"color": OKABE_ITO["blue"], "size": 6},
                "showlegend": False,
            }
        )
        layout[f"xaxis{k}"] = {
            "anchor": f"y{k}",
            "matches": None if i == 0 else "x",
            "showticklabels": i == n - 1,
            "dtick": 1,
            "showgrid": False,
            "zeroline": False,
            "title": {"text": "Session"} if i == n - 1 else None,
        }
        layout[f"yaxis{k}"] = {
            "domain": [round(top - height, 4), round(top, 4)],
            "anchor": f"x{k}",
            "rangemode": "tozero",
            "gridcolor": theme.GRID,
            "zeroline": False,
            "nticks": 4,
        }
        annotations.append(
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": round(top, 4),
                "xanchor": "left",
                "yanchor": "bottom",
                "text": f"<b>{title}</b>",
                "showarrow": False,
                "font": {"size": 12, "color": _INK},
            }
        )
        if current_session is not None:
            shapes.append(_current_marker(current_session, xref=f"x{k}", yref=f"y{k} domain"))
    if current_session is not None:
        annotations.append(_current_label(current_session))
    for axis in [key for key in layout if key.startswith("xaxis")]:
        layout[axis] = {k: v for k, v in layout[axis].items() if v is not None}
    layout.update(
        {
            "shapes": shapes,
            "annotations": annotations,
            "showlegend": False,
            "margin": {"l": 48, "r": 16, "t": 72, "b": 48},
        }
    )
    return {"data": data, "layout": layout}
