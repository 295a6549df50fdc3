"""The cohort page's figures: PHQ-9 course by area, network change, and the two together.

Each takes a table of :class:`ipt_network.research.cohort.CohortView` and
returns a plain figure dict in the theme of every other figure. A problem
area is drawn with its colour *and* its marker shape and line dash
(:data:`AREA_STYLES`), so areas stay apart without colour. Hover text names a
client by id only, never by name.

Examples
--------
>>> from ipt_network import load_samples
>>> from ipt_network.research.cohort import cohort_view
>>> view = cohort_view(load_samples())
>>> [t["name"] for t in cohort_course_figure(view.course)["data"] if t.get("showlegend")]
['Grief (1 client)', 'Role dispute (1 client)', 'Role transition (1 client)', \
'Interpersonal deficits (1 client)']
>>> scatter = cohort_scatter_figure(view.clients, "support_change")
>>> sorted(h for t in scatter["data"] for h in t["hovertext"])[:2]
['deficits-01', 'dispute-01']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from ipt_network.clinical.measures import PHQ9_BANDS
from ipt_network.errors import BadArgument
from ipt_network.research.cohort import AREAS, CHANGES
from ipt_network.views import theme
from ipt_network.views.figures._style import OKABE_ITO, Figure, _base_layout

__all__ = [
    "AreaStyle",
    "AREA_STYLES",
    "cohort_course_figure",
    "cohort_change_figure",
    "cohort_scatter_figure",
]


class AreaStyle(NamedTuple):
    """How one problem-area group is drawn: colour, marker symbol and line dash."""

    colour: str
    symbol: str
    dash: str


#: Problem-area group (:data:`ipt_network.research.cohort.AREAS`) to its style.
AREA_STYLES: Final[Mapping[str, AreaStyle]] = {
    "grief": AreaStyle(OKABE_ITO["blue"], "circle", "solid"),
    "role_dispute": AreaStyle(OKABE_ITO["vermillion"], "square", "dash"),
    "role_transition": AreaStyle(OKABE_ITO["bluish_green"], "diamond", "dot"),
    "interpersonal_deficits": AreaStyle(OKABE_ITO["reddish_purple"], "triangle-up", "dashdot"),
    "several": AreaStyle(theme.INK, "x", "longdash"),
    "none": AreaStyle(theme.MUTED, "cross", "longdashdot"),
}

#: The axis words of each network change of :data:`ipt_network.research.cohort.CHANGES`.
_CHANGE_AXES: Final = {
    "added": "People on the last map, not the first",
    "lost": "People on the first map, not the last",
    "support_change": "Mean support, last minus first (0 to 4 scale)",
    "closeness_change": "Mean closeness, last minus first (1 to 3 scale)",
}
_PHQ9_TOP: Final = PHQ9_BANDS.maximum
_PHQ9_AXIS: Final = "PHQ-9 change, last total minus first (below 0: fewer symptoms)"


def _clients(n: int) -> str:
    return f"{n:,} client" + ("" if n == 1 else "s")


def _layout(title: str, **more: Any) -> dict[str, Any]:
    layout = _base_layout(title, font_size=12)
    layout.update({"margin": {"l": 64, "r": 16, "t": 72, "b": 64}, **more})
    return layout


def _axis(title: str | None, **more: Any) -> dict[str, Any]:
    axis: dict[str, Any] = {"gridcolor": theme.GRID, "zeroline": False, **more}
    if title:
        axis["title"] = {"text": title}
    return axis


def _grid(
    n: int, columns: int, gap: float = 0.08, vgap: float = 0.13
) -> list[tuple[list[float], list[float]]]:
    """The x and y domains of ``n`` panels, ``columns`` to a row, top left first."""
    rows = math.ceil(n / columns)
    width = (1 - gap * (columns - 1)) / columns
    height = (1 - vgap * (rows - 1)) / rows
    out = []
    for i in range(n):
        r, c = divmod(i, columns)
        x0 = c * (width + gap)
        top = 1 - r * (height + vgap)
        out.append(([round(x0, 4), round(x0 + width, 4)], [round(top - height, 4), round(top, 4)]))
    return out


def _panel_title(text: str, x: float, y: float) -> dict[str, Any]:
    return {
        "xref": "paper",
        "yref": "paper",
        "x": x,
        "y": y,
        "xanchor": "left",
        "yanchor": "bottom",
        "text": f"<b>{text}</b>",
        "showarrow": False,
        "font": {"size": 12, "color": theme.INK},
    }


def _round(values: Sequence[float] | np.ndarray, digits: int = 2) -> list[float | None]:
    return [None if v != v else round(float(v), digits) for v in values]


def cohort_course_figure(course: pd.DataFrame) -> Figure:
    """The PHQ-9 course by problem area: one panel per area, the mean with a band of ±1 SD.

    Parameters
    ----------
    course : DataFrame
        :attr:`ipt_network.research.cohort.CohortView.course`
        (``area, session, n, mean, sd``).

    Returns
    -------
    dict
        A plotly figure dict: per area present, a shaded band from one
        standard deviation below the mean to one above (kept within 0 to 27;
        no band where one client gave a total) and the mean line, hovering
        the session, mean, SD and number of clients. Legend names carry the
        area's largest number of clients at one session.
    """
    areas = [a for a in AREAS if a in set(course["area"])]
    columns = min(len(areas), 3) or 1
    data: list[dict[str, Any]] = []
    annotations = []
    layout = _layout(
        "PHQ-9 over the course by problem area: mean, and a band of one SD either side",
        showlegend=False,
        height=300 * math.ceil(max(len(areas), 1) / columns) + 80,
    )
    for i, (area, (xd, yd)) in enumerate(zip(areas, _grid(len(areas), columns), strict=True)):
        k = "" if i == 0 else str(i + 1)
        rows = course[course["area"] == area].sort_values("session")
        style, words = AREA_STYLES[area], AREAS[area]
        x = rows["session"].astype(int).tolist()
        mean = rows["mean"].to_numpy(dtype=float)
        sd = np.nan_to_num(rows["sd"].to_numpy(dtype=float))
        low, high = np.clip(mean - sd, 0, _PHQ9_TOP), np.clip(mean + sd, 0, _PHQ9_TOP)
        axes = {"xaxis": f"x{k}", "yaxis": f"y{k}"}
        data.append(
            {
                "type": "scatter",
                "x": x + x[::-1],
                "y": _round(high, 2) + _round(low[::-1], 2),
                "mode": "lines",  # no markers: plotly adds them below 20 points
                "fill": "toself",
                "fillcolor": theme.rgba(style.colour, 0.18),
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
                "name": f"{words}: one SD either side of the mean",
                **axes,
            }
        )
        n = rows["n"].astype(int).tolist()
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{words} ({_clients(max(n, default=0))})",
                "x": x,
                "y": _round(mean, 2),
                "line": {"color": style.colour, "width": 2, "dash": style.dash},
                "marker": {"color": style.colour, "symbol": style.symbol, "size": 6},
                "hovertext": [
                    f"{words}, session {s}: mean {m:.1f}"
                    + (f", SD {d:.1f}" if c > 1 else "")
                    + f", {_clients(c)}"
                    for s, m, d, c in zip(x, mean, sd, n, strict=True)
                ],
                "hoverinfo": "text",
                "showlegend": True,
                **axes,
            }
        )
        last_row = i >= len(areas) - columns
        layout[f"xaxis{k}"] = _axis(
            "Session" if last_row else None, domain=xd, anchor=f"y{k}", matches="x" if k else None
        )
        layout[f"yaxis{k}"] = _axis(
            "PHQ-9 total" if i % columns == 0 else None,
            domain=yd,
            anchor=f"x{k}",
            range=[0, _PHQ9_TOP],
        )
        annotations.append(_panel_title(f"{words} ({_clients(max(n, default=0))})", xd[0], yd[1]))
    for axis in [key for key in layout if key.startswith("xaxis")]:
        layout[axis] = {a: v for a, v in layout[axis].items() if v is not None}
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


def cohort_change_figure(bins: pd.DataFrame) -> Figure:
    """The distribution of network change from the first session to the last: four histograms.

    Parameters
    ----------
    bins : DataFrame
        :attr:`ipt_network.research.cohort.CohortView.bins`
        (``measure, lo, hi, count``).

    Returns
    -------
    dict
        A plotly figure dict of four bar panels (people added, people lost,
        change in mean support, change in mean closeness), the number of
        clients per bin, each bar hovering its range and count.
    """
    data: list[dict[str, Any]] = []
    annotations = []
    layout = _layout(
        "Network change from the first session to the last",
        showlegend=False,
        bargap=0.05,
        height=620,
    )
    for i, (measure, (xd, yd)) in enumerate(zip(CHANGES, _grid(4, 2, vgap=0.2), strict=True)):
        k = "" if i == 0 else str(i + 1)
        rows = bins[bins["measure"] == measure]
        counted = np.flatnonzero(rows["count"].to_numpy())
        if len(counted):  # the empty bins at either end are left out
            rows = rows.iloc[counted[0] : counted[-1] + 1]
        words, width = CHANGES[measure]
        lo, hi = rows["lo"].to_numpy(dtype=float), rows["hi"].to_numpy(dtype=float)
        count = rows["count"].astype(int).tolist()
        whole = width == 1.0
        what = [
            f"{int(a)}" if whole else f"{a:+.2f} to {b:+.2f}" for a, b in zip(lo, hi, strict=True)
        ]
        data.append(
            {
                "type": "bar",
                "name": words,
                "x": _round((lo + hi) / 2 if not whole else lo, 4),
                "y": count,
                "width": width,
                "marker": {
                    "color": OKABE_ITO["blue"],
                    "line": {"color": theme.PAPER, "width": 0.5},
                },
                "hovertext": [
                    f"{words} {w}: {_clients(c)}" for w, c in zip(what, count, strict=True)
                ],
                "hoverinfo": "text",
                "xaxis": f"x{k}",
                "yaxis": f"y{k}",
            }
        )
        layout[f"xaxis{k}"] = _axis(_CHANGE_AXES[measure], domain=xd, anchor=f"y{k}")
        layout[f"yaxis{k}"] = _axis(
            "Clients" if i % 2 == 0 else None,
            domain=yd,
            anchor=f"x{k}",
            tickformat="d",  # whole clients only
            tick0=0,
            dtick=_count_step(max(count, default=0)),
            rangemode="tozero",
        )
        annotations.append(_panel_title(words, xd[0], yd[1]))
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


#: Network changes that are counts of people: their points are spread sideways a little.
_WHOLE_NUMBERS: Final = frozenset({"added", "lost"})
_SPREAD_NOTE: Final = " (points spread sideways a little so they do not hide each other)"
_SPREAD: Final = 0.3  # the widest offset either side, in people


def _count_step(largest: int) -> int:
    """A round tick step (1, 2, 5, 10, 20, 50, ...): at most five ticks up to ``largest``.

    Examples
    --------
    >>> [_count_step(n) for n in (0, 3, 7, 33, 165, 1200)]
    [1, 1, 2, 10, 50, 500]
    """
    steps = (m * 10**e for e in range(12) for m in (1, 2, 5))
    return next(step for step in steps if largest <= 5 * step)


def _spread(n: int) -> npt.NDArray[np.float64]:
    """Fixed sideways offsets for ``n`` points (a golden-ratio sequence: no randomness).

    Examples
    --------
    >>> offsets = _spread(100)
    >>> bool((abs(offsets) <= 0.3).all()), len(set(offsets.round(6))) == 100
    (True, True)
    """
    golden = (np.arange(n, dtype=np.float64) * 0.6180339887498949) % 1.0
    return np.asarray((golden - 0.5) * 2 * _SPREAD, dtype=np.float64)


def cohort_scatter_figure(clients: pd.DataFrame, measure: str) -> Figure:
    """Network change against PHQ-9 change, one point per client, by problem area.

    Parameters
    ----------
    clients : DataFrame
        :attr:`ipt_network.research.cohort.CohortView.clients`.
    measure : str
        The network change on the x axis: a key of
        :data:`ipt_network.research.cohort.CHANGES`.

    Returns
    -------
    dict
        A plotly figure dict: one marker trace per area group (colour and
        shape), clients with both changes measured; hovering a point shows
        the client's id and nothing else, except for a count of people
        (added, lost), whose points are spread sideways a little so they do
        not hide each other and whose hover adds the true count. Dotted lines
        mark no change.

    Raises
    ------
    BadArgument
        When ``measure`` is not a network change.
    """
    if measure not in CHANGES:
        raise BadArgument(f"measure must be one of {', '.join(CHANGES)}, not {measure!r}")
    x_all = clients[measure].astype("float64").to_numpy()
    y_all = clients["phq9_change"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    both = ~np.isnan(x_all) & ~np.isnan(y_all)
    counted = measure in _WHOLE_NUMBERS
    ids = clients["client_id"].astype(str).to_numpy()
    hover = np.array([f"{i}: {x:.0f}" for i, x in zip(ids, x_all, strict=True)]) if counted else ids
    x_drawn = x_all + _spread(len(x_all)) if counted else x_all
    data: list[dict[str, Any]] = []
    for area in AREAS:
        mask = both & (clients["area"] == area).to_numpy()
        if not mask.any():
            continue
        style = AREA_STYLES[area]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{AREAS[area]} ({_clients(int(mask.sum()))})",
                "x": _round(x_drawn[mask], 3),
                "y": _round(y_all[mask], 0),
                "hovertext": hover[mask].tolist(),
                "hoverinfo": "text",
                "marker": {
                    "color": theme.rgba(style.colour, 0.6),
                    "symbol": style.symbol,
                    "size": 7,
                    "line": {"color": style.colour, "width": 1},
                },
            }
        )
    zero = {"color": theme.MUTED, "width": 1, "dash": "dot"}
    layout = _layout(
        f"{CHANGES[measure][0]} and PHQ-9 change, one point per client",
        showlegend=True,
        legend={"title": {"text": "Problem area"}},
        height=520,
        xaxis=_axis(_CHANGE_AXES[measure] + (_SPREAD_NOTE if counted else "")),
        yaxis=_axis(_PHQ9_AXIS),
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": 0,
                "x1": 0,
                "y0": 0,
                "y1": 1,
                "line": zero,
            },
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": 0,
                "y1": 0,
                "line": zero,
            },
        ],
    )
    return {"data": data, "layout": layout}
