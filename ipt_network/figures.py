"""Figures for the therapist's dashboard and the end-of-course report.

Every builder returns a plain figure dict, ``{"data": [...], "layout": {...}}``,
ready for ``dcc.Graph(figure=...)``, :func:`plotly.io.to_json` or
``plotly.graph_objects.Figure(fig)``. The dicts are kept small: one scatter
trace per marker style, edges batched into a few line traces with ``None``
separators, coordinates rounded, no template.

* :func:`relationship_map` (and the lower-level :func:`map_figure`): the
  client in the centre, three labelled rings, each person on their ring at a
  stable angle (:mod:`ipt_network.layout`). Conflict shows by colour *and*
  line style, support by marker size, a person who has died by a hollow
  marker; a compare mode shows who left (as ghosts), who joined and who moved.
* :func:`phq9_figure`: the PHQ-9 course over the severity bands.
* :func:`trends_figure`: small multiples of the map's metrics over sessions.
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

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

import networkx as nx
import numpy as np
import pandas as pd

from ipt_network import names
from ipt_network.errors import SessionNotFound
from ipt_network.graph import course
from ipt_network.inventory import Inventory
from ipt_network.layout import TOP_GAP, person_angles, ring_positions, sector_angles
from ipt_network.measures import PHQ9_BANDS, measure_table

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
]

Figure = dict[str, Any]

#: The Okabe-Ito colour-blind-safe palette, the only hues the figures use.
OKABE_ITO: Final = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Neutrals for text, rules and washes (greys are safe for every reader).
_INK: Final = "#33414E"
_MUTED: Final = "#7B8794"
_RULE: Final = "#C9D2DB"
_TIE: Final = "rgba(123, 135, 148, 0.4)"
_CALM_SPOKE: Final = "rgba(0, 114, 178, 0.35)"  # Okabe-Ito blue, faded
_WASH: Final = ("#EEF3F7", "#F4F7FA", "#FAFBFD")  # inner, middle, outer ring fills
_FONT: Final = "Inter, 'Segoe UI', Arial, sans-serif"


class ConflictStyle(NamedTuple):
    """How one conflict level is drawn.

    Attributes
    ----------
    label : str
        Words for the level, as shown in the legend.
    colour : str
        Line and marker colour.
    dash : str
        Plotly line dash of the spoke from the client to the person.
    width : float
        Spoke width in pixels.
    """

    label: str
    colour: str
    dash: str
    width: float


#: Conflict level (0 to 4) to its style: colour *and* dash *and* width differ,
#: so the level survives colour blindness and black-and-white printing.
CONFLICT_STYLES: Final = (
    ConflictStyle("no conflict", OKABE_ITO["blue"], "solid", 1.0),
    ConflictStyle("a little conflict", OKABE_ITO["sky_blue"], "dot", 1.6),
    ConflictStyle("some conflict", OKABE_ITO["orange"], "dash", 2.0),
    ConflictStyle("a lot of conflict", OKABE_ITO["reddish_purple"], "dashdot", 2.6),
    ConflictStyle("very much conflict", OKABE_ITO["vermillion"], "longdash", 3.2),
)

#: Metric column to panel title, in the order of :func:`trends_figure`'s panels.
TREND_METRICS: Final = {
    "n_people": "People on the map",
    "n_inner": "Inner circle",
    "conflict_sum": "Conflict (sum over people)",
    "density": "Density of ties between people",
}

_ROLE_TITLES: Final = {
    "partner": "Partner",
    "family": "Family",
    "friend": "Friends",
    "coworker": "Work",
    "professional": "Professionals",
    "community": "Community",
    "other": "Other",
}
_GHOST: Final = "rgba(123, 135, 148, 0.35)"
_LABEL_LIMIT: Final = 40  # above this many people, names show on hover only
_NOTE_CHARS: Final = 280
_DIGITS: Final = 2  # 0.01 of a ring is about a pixel
_SECTOR_RADIUS: Final = 3.5  # role labels sit just outside the outer ring


# --------------------------------------------------------------------------- helpers


def _esc(value: object) -> str:
    """Plain text made safe for plotly's small HTML subset."""
    return html.escape(str(value), quote=False)


def _note(text: object) -> str:
    """A note, shortened and wrapped (greedily, at about 48 characters) for a hover box."""
    words = str(text).split()
    out: list[str] = []
    line = ""
    used = 0
    for word in words:
        if used + len(word) > _NOTE_CHARS:
            line += " …"
            break
        used += len(word) + 1
        if line and len(line) + len(word) >= 48:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "<br>".join(_esc(x) for x in out)


def _present(value: object) -> bool:
    return value is not None and value is not pd.NA and value == value and value != ""


def _segments(
    x0: Sequence[float] | int,
    y0: Sequence[float] | int,
    x1: Sequence[float],
    y1: Sequence[float],
    *,
    mid: bool = False,
) -> tuple[list[Any], list[Any]]:
    """Coordinates of many line segments in one trace, ``None`` between them.

    With ``mid`` a midpoint is inserted in each segment (for an arrow marker).
    An ``int`` start (the centre, 0) is written as that int, which is shorter.
    """
    n = len(x1)
    step = 4 if mid else 3
    xs = np.empty(step * n, dtype=object)
    ys = np.empty(step * n, dtype=object)
    ax1, ay1 = np.round(np.asarray(x1, float), _DIGITS), np.round(np.asarray(y1, float), _DIGITS)
    ax0 = np.round(np.broadcast_to(np.asarray(x0, float), (n,)), _DIGITS)
    ay0 = np.round(np.broadcast_to(np.asarray(y0, float), (n,)), _DIGITS)
    xs[0::step] = x0 if isinstance(x0, int) else ax0.tolist()
    ys[0::step] = y0 if isinstance(y0, int) else ay0.tolist()
    if mid:
        xs[1::step] = np.round((ax0 + ax1) / 2, _DIGITS).tolist()
        ys[1::step] = np.round((ay0 + ay1) / 2, _DIGITS).tolist()
    xs[step - 2 :: step], ys[step - 2 :: step] = ax1.tolist(), ay1.tolist()
    xs[step - 1 :: step] = None
    ys[step - 1 :: step] = None
    return xs.tolist(), ys.tolist()


def _text_positions(theta: np.ndarray) -> list[str]:
    """Put a name on the outer side of its marker, so names do not cover spokes."""
    c, s = np.cos(theta), np.sin(theta)
    side = np.where(c > 0.35, "middle right", np.where(c < -0.35, "middle left", ""))
    vertical = np.where(s >= 0, "top center", "bottom center")
    return np.where(side == "", vertical, side).tolist()


def _base_layout(title: str, *, font_size: int) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.02, "xanchor": "left", "font": {"size": font_size + 4}},
        "font": {"family": _FONT, "color": _INK, "size": font_size},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "hoverlabel": {
            "bgcolor": "#FFFFFF",
            "bordercolor": _RULE,
            "align": "left",
            "namelength": -1,
            "font": {"color": _INK, "size": font_size},
        },
        "margin": {"l": 16, "r": 16, "t": 56, "b": 16},
    }


def _is_deceased(attrs: Mapping[str, Any], session_date: object) -> bool:
    """Died on or before the session date (or at any time when the date is unknown)."""
    died = attrs.get(names.DECEASED_DATE)
    if not _present(died):
        return False
    return not _present(session_date) or str(died) <= str(session_date)


# --------------------------------------------------------------------------- the map


def _people_of(G: nx.Graph) -> tuple[list[str], dict[str, int]]:
    """Person ids on the map and their rings, in adjacency order."""
    if names.EGO not in G:
        raise ValueError(f"the snapshot graph has no {names.EGO!r} node")
    rings = {str(p): int(d[names.RING]) for p, d in G.adj[names.EGO].items()}
    return list(rings), rings


def _hover(
    pid: str,
    node: Mapping[str, Any],
    edge: Mapping[str, Any],
    *,
    dead: bool,
    status: str | None,
    client_view: bool,
) -> str:
    """Hover text of one person, after their name: role, ring, and so on."""
    lines = [
        f"({_esc(node.get(names.ROLE) or 'other')})",
        f"{names.RING_LABELS[int(edge[names.RING])]} ring",
    ]
    if dead:
        died = node.get(names.DECEASED_DATE)
        lines.append("has died" if client_view else f"died {_esc(died)}")
    if status:
        lines.append(status)
    if client_view:
        return "<br>".join(lines)
    if dead:  # the people trace of the dead mixes conflict levels: say it here
        lines.append(f"conflict {int(edge[names.CONFLICT])} of 4")
    lines.append(f"support {int(edge[names.SUPPORT])} of 4")
    for note in (node.get("notes"), edge.get("notes")):
        if _present(note):
            lines.append(f"notes: {_note(note)}")
    return "<br>".join(lines)


def _status(pid: str, ring: int, before: Mapping[str, int] | None, since: object) -> str | None:
    """Compare-mode status of one person on the current map."""
    if before is None:
        return None
    if pid not in before:
        return f"new since session {since}"
    old = before[pid]
    if old == ring:
        return None
    way = "closer" if ring < old else "further"
    return (
        f"moved {way} since session {since}: {names.RING_LABELS[old]} to {names.RING_LABELS[ring]}"
    )


def map_figure(
    snapshot_graph: nx.Graph,
    angles: Mapping[str, float],
    *,
    previous: nx.Graph | None = None,
    client_view: bool = False,
    sectors: Mapping[str, float] | None = None,
) -> Figure:
    """The relationship map of one snapshot graph.

    This is the whole server-side work of the dashboard's map callback once
    the snapshot is built: positions, traces and layout, as a plain dict.

    Parameters
    ----------
    snapshot_graph : networkx.Graph
        A snapshot from :func:`ipt_network.graph.snapshot`: an ego node, person
        nodes, ego-person edges with ring, conflict and support, and person ties.
    angles : mapping of str to float
        Angle per ``person_id`` from :func:`ipt_network.layout.person_angles`,
        covering everyone on ``snapshot_graph`` and ``previous``.
    previous : networkx.Graph, optional
        Another snapshot of the same client to compare with: people on it but
        not on ``snapshot_graph`` are drawn as ghosts at their old position,
        people who joined are ringed, and people who changed ring get a faint
        arrow from their old to their new position.
    client_view : bool
        For showing the map to the client: "You" in the centre, larger text,
        and no notes and no scores in the hover text.
    sectors : mapping of str to float, optional
        Role to sector angle from :func:`ipt_network.layout.sector_angles`, to
        label the role sectors around the outer ring.

    Returns
    -------
    dict
        A plotly figure dict.

    Raises
    ------
    ValueError
        When the graph has no ego node or a person has no angle.

    Examples
    --------
    >>> import math
    >>> import networkx as nx
    >>> G = nx.Graph(session=2)
    >>> G.add_node("ego", kind="ego")
    >>> G.add_node("a", kind="person", name="Ana", role="family")
    >>> G.add_edge("ego", "a", tie="ego", ring=2, conflict=0, support=4)
    >>> fig = map_figure(G, {"a": math.pi / 2}, client_view=True)
    >>> [t["name"] for t in fig["data"]][-1]
    'You'
    >>> "support" in str(fig)
    False
    """
    font_size = 16 if client_view else 13
    session = snapshot_graph.graph.get("session")
    date = snapshot_graph.graph.get("date")
    pids, rings = _people_of(snapshot_graph)
    pos = ring_positions(angles, rings)
    theta = np.fromiter((angles[p] for p in pids), dtype=np.float64, count=len(pids))
    px = np.fromiter((pos[p][0] for p in pids), dtype=np.float64, count=len(pids))
    py = np.fromiter((pos[p][1] for p in pids), dtype=np.float64, count=len(pids))
    ego_adj = snapshot_graph.adj[names.EGO]
    nodes = snapshot_graph.nodes
    levels = np.fromiter(
        (int(ego_adj[p][names.CONFLICT]) for p in pids), dtype=np.int64, count=len(pids)
    )
    support = np.fromiter(
        (int(ego_adj[p][names.SUPPORT]) for p in pids), dtype=np.float64, count=len(pids)
    )
    dead = np.fromiter((_is_deceased(nodes[p], date) for p in pids), dtype=bool, count=len(pids))
    before: dict[str, int] | None = None
    since = None
    if previous is not None:
        _, before = _people_of(previous)
        since = previous.graph.get("session", "before")
    # With names shown as labels, the hover template takes the name from the label.
    show_names = len(pids) <= _LABEL_LIMIT
    names_shown = [_esc(nodes[p].get(names.NAME) or p) for p in pids]
    hover = [
        _hover(
            p,
            nodes[p],
            ego_adj[p],
            dead=bool(dead[i]),
            status=_status(p, rings[p], before, since),
            client_view=client_view,
        )
        for i, p in enumerate(pids)
    ]
    if not show_names:
        hover = [f"<b>{who}</b> {h}" for who, h in zip(names_shown, hover, strict=True)]
    labels = names_shown if show_names else None
    textpos = _text_positions(theta) if show_names else None
    rx, ry = np.round(px, _DIGITS), np.round(py, _DIGITS)
    # Larger for the client's shared screen; smaller when a crowded map needs the room.
    crowd = min(1.0, max(0.5, math.sqrt(_LABEL_LIMIT / max(len(pids), 1))))
    big = 1.25 if client_view else 1.0
    scale = big * crowd
    sizes = np.round((11.0 + 4.0 * support) * scale).astype(np.int64)

    data: list[dict[str, Any]] = []
    # Ring-band washes and sector labels live in the layout; traces from the back forward.
    # 1. Ties between people: faint, one trace.
    ties = [
        (str(u), str(v))
        for u, v, d in snapshot_graph.edges(data=True)
        if d.get(names.TIE) == names.TIE_PERSON and u in pos and v in pos
    ]
    if ties:
        tx, ty = _paths_xy(_tie_paths(ties), pos)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "know each other",
                "x": tx,
                "y": ty,
                "line": {"color": _TIE, "width": 0.8},
                "hoverinfo": "skip",
                "legendgroup": "ties",
            }
        )
    # 2. Ghosts and movement (compare mode).
    if previous is not None and before is not None:
        data.extend(
            _compare_traces(
                previous, before, rings, pos, angles, since, client_view, font_size, scale
            )
        )
    # 3. Spokes from the client to each person, one trace per conflict level.
    # In the clinician's view the level's number joins its name, and hovering a
    # person shows the name: one string per trace instead of one per person.
    level_names = [
        s.label if client_view else f"{s.label} ({i} of 4)" for i, s in enumerate(CONFLICT_STYLES)
    ]
    for level, style in enumerate(CONFLICT_STYLES):
        sel = levels == level
        if not sel.any():
            continue
        xs, ys = _segments(0, 0, px[sel], py[sel])
        colour = _CALM_SPOKE if level == 0 else style.colour
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": level_names[level],
                "legendgroup": f"conflict{level}",
                "x": xs,
                "y": ys,
                "line": {
                    "color": colour,
                    "width": round(style.width * crowd, 1),
                    "dash": style.dash,
                },
                "hoverinfo": "skip",
                "showlegend": True,
            }
        )
    # 4. People: one marker trace per conflict level, the dead apart with a hollow marker.
    for level, style in enumerate(CONFLICT_STYLES):
        sel = (levels == level) & ~dead
        if sel.any():
            data.append(
                _people_trace(
                    sel,
                    rx,
                    ry,
                    sizes,
                    hover,
                    labels,
                    textpos,
                    name=level_names[level],
                    group=f"conflict{level}",
                    hoverinfo="text" if client_view else "text+name",
                    marker={
                        "color": style.colour,
                        "symbol": "circle",
                        "line": {"color": "#FFFFFF", "width": 1.5},
                    },
                )
            )
    if dead.any():
        data.append(
            _people_trace(
                dead,
                rx,
                ry,
                sizes,
                hover,
                labels,
                textpos,
                name="has died",
                group="deceased",
                hoverinfo="text",
                legend=True,
                marker={
                    "color": _INK,
                    "symbol": "circle-open",
                    "line": {"color": _INK, "width": 2.2},
                },
            )
        )
    # 5. Rings around people who joined since the compared session.
    if before is not None:
        new = np.fromiter((p not in before for p in pids), dtype=bool, count=len(pids))
        if new.any():
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"new since session {since}",
                    "x": rx[new].tolist(),
                    "y": ry[new].tolist(),
                    "marker": {
                        "symbol": "circle-open",
                        "color": OKABE_ITO["bluish_green"],
                        "size": (sizes[new] + round(12 * scale)).tolist(),
                        "line": {"color": OKABE_ITO["bluish_green"], "width": 2.5},
                    },
                    "hoverinfo": "skip",
                }
            )
    # 6. The client in the centre.
    me = "You" if client_view else "Client"
    data.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": me,
            "x": [0],
            "y": [0],
            "text": [me],
            "textposition": "middle center",
            "textfont": {"color": "#FFFFFF", "size": font_size},
            "marker": {"color": _INK, "size": round(38 * big), "line": {"width": 0}},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )

    if client_view:
        title = f"Your relationships, session {session}"
    else:
        title = f"Relationship map, session {session}"
    if previous is not None:
        title += f", compared with session {since}"
    layout = _base_layout(title, font_size=font_size)
    layout.update(_map_frame(sectors, font_size))
    return {"data": data, "layout": layout}


def _tie_paths(ties: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Cover the ties with few paths, so one trace draws them with few ``None`` breaks.

    Each tie is drawn exactly once. Walks start at people with an odd number of
    undrawn ties where there are any (as in finding an Euler path).

    Examples
    --------
    >>> _tie_paths([("a", "b"), ("b", "c"), ("c", "d")])
    [['a', 'b', 'c', 'd']]
    """
    adj: dict[str, list[str]] = {}
    for u, v in ties:
        adj.setdefault(u, []).append(v)
        adj.setdefault(v, []).append(u)
    used: set[tuple[str, str]] = set()
    order = sorted(adj, key=lambda n: len(adj[n]) % 2 == 0)  # odd degree first
    paths = []
    for start in order:
        while adj[start]:
            path = [start]
            here = start
            while adj[here]:
                nxt = adj[here].pop()
                key = (here, nxt) if here < nxt else (nxt, here)
                if key in used:
                    continue
                used.add(key)
                path.append(nxt)
                here = nxt
            if len(path) > 1:
                paths.append(path)
    return paths


def _paths_xy(
    paths: Sequence[Sequence[str]], pos: Mapping[str, tuple[float, float]]
) -> tuple[list[float | None], list[float | None]]:
    """Coordinates of polylines, ``None`` between them."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for path in paths:
        for p in path:
            x, y = pos[p]
            xs.append(round(x, _DIGITS))
            ys.append(round(y, _DIGITS))
        xs.append(None)
        ys.append(None)
    return xs, ys


def _people_trace(
    sel: np.ndarray,
    rx: np.ndarray,
    ry: np.ndarray,
    sizes: np.ndarray,
    hover: list[str],
    labels: list[str] | None,
    textpos: list[str] | None,
    *,
    name: str,
    group: str,
    marker: dict[str, Any],
    hoverinfo: str,
    legend: bool = False,
) -> dict[str, Any]:
    idx = np.flatnonzero(sel).tolist()
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": "markers+text" if labels is not None else "markers",
        "name": name,
        "legendgroup": group,
        "showlegend": legend,
        "x": rx[sel].tolist(),
        "y": ry[sel].tolist(),
        "hovertext": [hover[i] for i in idx],
        "hoverinfo": hoverinfo,
        "marker": {**marker, "size": sizes[sel].tolist(), "opacity": 1},
    }
    if labels is not None and textpos is not None:
        trace["text"] = [labels[i] for i in idx]
        trace["textposition"] = [textpos[i] for i in idx]
        # The name box beside the hover label shows the trace name unless told not to.
        extra = "" if "name" in hoverinfo else "<extra></extra>"
        trace["hovertemplate"] = f"<b>%{{text}}</b> %{{hovertext}}{extra}"
        del trace["hoverinfo"]
    return trace


def _compare_traces(
    previous: nx.Graph,
    before: Mapping[str, int],
    rings: Mapping[str, int],
    pos: Mapping[str, tuple[float, float]],
    angles: Mapping[str, float],
    since: object,
    client_view: bool,
    font_size: int,
    scale: float,
) -> list[dict[str, Any]]:
    old_pos = ring_positions(angles, before)
    traces: list[dict[str, Any]] = []
    gone = [p for p in before if p not in rings]
    if gone:
        nodes = previous.nodes
        theta = np.fromiter((angles[p] for p in gone), dtype=np.float64, count=len(gone))
        hover = [
            f"<b>{_esc(nodes[p].get(names.NAME) or p)}</b> ({_esc(nodes[p].get(names.ROLE))})"
            f"<br>on the map at session {since} ({names.RING_LABELS[before[p]]} ring)"
            "<br>not on the map now"
            for p in gone
        ]
        show = len(gone) + len(rings) <= _LABEL_LIMIT
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "markers+text" if show else "markers",
            "name": f"not on the map now (on it at session {since})",
            "x": [round(old_pos[p][0], _DIGITS) for p in gone],
            "y": [round(old_pos[p][1], _DIGITS) for p in gone],
            "hovertext": hover,
            "hoverinfo": "text",
            "marker": {
                "color": _GHOST,
                "size": round(14 * scale),
                "line": {"color": _MUTED, "width": 1},
            },
        }
        if show:
            trace["text"] = [_esc(nodes[p].get(names.NAME) or p) for p in gone]
            trace["textposition"] = _text_positions(theta)
            trace["textfont"] = {"size": font_size - 1, "color": _MUTED}
        traces.append(trace)
    moved = [p for p in rings if p in before and before[p] != rings[p]]
    if moved:
        xs, ys = _segments(
            [old_pos[p][0] for p in moved],
            [old_pos[p][1] for p in moved],
            [pos[p][0] for p in moved],
            [pos[p][1] for p in moved],
            mid=True,
        )
        # A small dot where the person was, an arrow halfway along the way they moved.
        size = [5 * scale, 11 * scale, 0, 0] * len(moved)
        symbol = ["circle", "arrow", "circle", "circle"] * len(moved)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"moved since session {since}",
                "x": xs,
                "y": ys,
                "line": {"color": _MUTED, "width": 1.2, "dash": "dot"},
                "marker": {
                    "symbol": symbol,
                    "angleref": "previous",
                    "size": size,
                    "color": _MUTED,
                    "opacity": 1,
                },
                "hoverinfo": "skip",
            }
        )
    return traces


def _map_frame(sectors: Mapping[str, float] | None, font_size: int) -> dict[str, Any]:
    """Rings as shapes, their labels in the top gap, sector labels around the outside."""
    shapes = [
        {
            "type": "circle",
            "x0": -r,
            "y0": -r,
            "x1": r,
            "y1": r,
            "layer": "below",
            "fillcolor": _WASH[r - 1],
            "line": {"color": _RULE, "width": 1},
        }
        for r in (3, 2, 1)
    ]
    annotations: list[dict[str, Any]] = [
        {
            "x": 0,
            "y": r - 0.04,
            "text": label,
            "showarrow": False,
            "yanchor": "top",
            "font": {"size": font_size - 1, "color": _MUTED},
        }
        for r, label in names.RING_LABELS.items()
    ]
    for role, t in (sectors or {}).items():
        c, s = math.cos(t), math.sin(t)
        # Keep sector labels out of the ring-label gap at the top.
        if abs((t - math.pi / 2 + math.pi) % (2 * math.pi) - math.pi) < TOP_GAP / 2:
            continue
        annotations.append(
            {
                "x": round(_SECTOR_RADIUS * c, _DIGITS),
                "y": round(_SECTOR_RADIUS * s, _DIGITS),
                "text": _ROLE_TITLES.get(role, role),
                "showarrow": False,
                "xanchor": "left" if c > 0.2 else "right" if c < -0.2 else "center",
                "yanchor": "bottom" if s > 0.2 else "top" if s < -0.2 else "middle",
                "font": {"size": font_size, "color": _MUTED},
            }
        )
    axis = {"visible": False, "range": [-4.5, 4.5], "zeroline": False, "showgrid": False}
    return {
        "shapes": shapes,
        "annotations": annotations,
        "xaxis": {**axis, "scaleanchor": "y", "scaleratio": 1, "constrain": "domain"},
        "yaxis": {**axis, "range": [-4.0, 4.0]},
        "hovermode": "closest",
        "dragmode": "pan",
        "legend": {
            "orientation": "h",
            "x": 0.5,
            "xanchor": "center",
            "y": -0.02,
            "yanchor": "top",
            "font": {"size": font_size - 1},
        },
    }


def relationship_map(
    inventory: Inventory,
    client_id: str,
    session: int,
    *,
    compare_with: int | None = None,
    client_view: bool = False,
) -> Figure:
    """The relationship map of one client at one session.

    Parameters
    ----------
    inventory : Inventory
        Validated tables holding the client.
    client_id : str
        The client.
    session : int
        The session to show.
    compare_with : int, optional
        Another session of the same client: who left since then is drawn as a
        ghost at the old position, who joined is ringed, who moved gets an arrow.
    client_view : bool
        For a shared screen: "You" in the centre, no notes and no scores.

    Returns
    -------
    dict
        A plotly figure dict (see :func:`map_figure`).

    Raises
    ------
    ClientNotFound, SessionNotFound
        When the client or a session is not in the inventory.
    ValueError
        When ``compare_with`` equals ``session``.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> fig = relationship_map(load_samples(), "grief-01", 2, compare_with=1)
    >>> fig["layout"]["title"]["text"]
    'Relationship map, session 2, compared with session 1'
    """
    if compare_with is not None and compare_with == session:
        raise ValueError("compare_with must be a different session from the one shown")
    known = inventory.sessions_of(client_id)
    for s in (session, compare_with):
        if s is not None and s not in known:
            raise SessionNotFound(client_id, s)
    people = inventory.people[inventory.people["client_id"] == client_id]
    angles = person_angles(people)
    wanted = [session] if compare_with is None else [session, compare_with]
    graphs = {G.graph["session"]: G for G in course(inventory, client_id, sessions=wanted)}
    return map_figure(
        graphs[session],
        angles,
        previous=None if compare_with is None else graphs[compare_with],
        client_view=client_view,
        sectors=sector_angles(people),
    )


# --------------------------------------------------------------------------- PHQ-9


def _current_marker(x: float, *, xref: str = "x", yref: str = "paper") -> dict[str, Any]:
    return {
        "type": "line",
        "xref": xref,
        "yref": yref,
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": _INK, "width": 1.5, "dash": "dot"},
    }


def phq9_figure(inventory: Inventory, client_id: str, current_session: int | None = None) -> Figure:
    """The PHQ-9 course of one client over the severity bands.

    Parameters
    ----------
    inventory : Inventory
        Validated tables holding the client.
    client_id : str
        The client.
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
        When the client is not in the inventory.

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
                    "line": {"color": "#FFFFFF", "width": 1.5},
                },
            }
        )
    shades = ("#FFFFFF", "#F3F5F8", "#E8ECF1", "#DCE2E9", "#CFD7E0")
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


def _current_label(x: float, *, xref: str = "x", yref: str = "paper") -> dict[str, Any]:
    return {
        "xref": xref,
        "yref": yref,
        "x": x,
        "y": 1,
        "yanchor": "bottom",
        "text": "this session",
        "showarrow": False,
        "font": {"size": 11, "color": _INK},
    }


# --------------------------------------------------------------------------- trends


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
        When a column is missing or the rows hold more than one client.

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
        raise ValueError(f"metric rows need the column(s) {', '.join(missing)}")
    if "client_id" in metric_rows.columns and metric_rows["client_id"].nunique() > 1:
        raise ValueError("trends_figure takes the rows of one client; filter by client_id first")
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
            "gridcolor": "#EEF1F4",
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


# --------------------------------------------------------------------------- text alternative

_TAG = re.compile(r"<[^>]+>")
_EXTRA = re.compile(r"<extra>.*?</extra>")


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text.replace("<br>", "; ")))


def figure_table(fig: Mapping[str, Any]) -> list[dict[str, str]]:
    """A table alternative of a figure: one row per point that has hover text.

    Decorative traces (rings, spokes, ties, arrows) are left out; what a
    sighted reader learns by hovering is what the table says, so a client-view
    map's table also has no notes and no scores.

    Parameters
    ----------
    fig : mapping
        A figure dict from this module.

    Returns
    -------
    list of dict
        Rows with ``series`` (the trace name) and ``text`` (the hover text as
        plain text, lines joined by ``"; "``).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"session": [1], "n_people": [5], "n_inner": [1],
    ...                      "conflict_sum": [4], "density": [0.2]})
    >>> figure_table(trends_figure(rows))[0]
    {'series': 'People on the map', 'text': 'Session 1: people on the map 5'}
    """
    rows: list[dict[str, str]] = []
    for trace in fig.get("data", []):
        if trace.get("hoverinfo") == "skip":
            continue
        hovertext = trace.get("hovertext") or []
        template = _EXTRA.sub("", trace.get("hovertemplate") or "%{hovertext}")
        texts = trace.get("text") or [""] * len(hovertext)
        for text, hover in zip(texts, hovertext, strict=True):
            shown = template.replace("%{text}", str(text)).replace("%{hovertext}", str(hover))
            rows.append({"series": str(trace.get("name", "")), "text": _plain(shown)})
    return rows
