"""The relationship map: the client in the centre, three rings, and a compare mode."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Final

import networkx as nx
import numpy as np

from ipt_network import names
from ipt_network.clinical.course import Change, ChangeKind, PersonState, compare, course_of
from ipt_network.errors import BadArgument, BadTable, SessionNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.network.graph import course
from ipt_network.network.layout import TOP_GAP, person_angles, ring_positions, sector_angles
from ipt_network.views.figures._style import (
    _CALM_SPOKE,
    _DIGITS,
    _GHOST,
    _INK,
    _LABEL_LIMIT,
    _MUTED,
    _PAPER,
    _RULE,
    _SECTOR_RADIUS,
    _TIE,
    _WASH,
    CONFLICT_STYLES,
    OKABE_ITO,
    Figure,
    _base_layout,
    _esc,
    _note,
    _present,
    _segments,
    _text_positions,
)
from ipt_network.words import RING_WORDS, ROLE_TITLES


def _is_deceased(attrs: Mapping[str, Any], session_date: object) -> bool:
    """Died on or before the session date (or at any time when the date is unknown)."""
    died = attrs.get(names.DECEASED_DATE)
    if not _present(died):
        return False
    return not _present(session_date) or str(died) <= str(session_date)


# --------------------------------------------------------------------------- the map


def _people_of(G: nx.Graph) -> tuple[list[str], dict[str, int]]:
    """Person ids on the map and their rings, in adjacency order."""
    rings = {p: st.ring for p, st in _states_of(G).items()}
    return list(rings), rings


def _states_of(G: nx.Graph) -> dict[str, PersonState]:
    """The state of everyone on the map, in adjacency order."""
    if names.EGO not in G:
        raise BadTable(f"the snapshot graph has no {names.EGO!r} node")
    return {
        str(p): PersonState(
            int(d[names.RING]), int(d.get(names.CONFLICT) or 0), int(d.get(names.SUPPORT) or 0)
        )
        for p, d in G.adj[names.EGO].items()
    }


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
        f"{RING_WORDS[int(edge[names.RING])]} ring",
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


def _status(change: Change | None, since: object) -> str | None:
    """Compare-mode status of one person on the current map, from their change record."""
    if change is None or change.ring_after is None:
        return None
    if change.kind is ChangeKind.JOINED:
        return f"new since session {since}"
    if change.ring_before is None or change.kind not in _MOVED:
        return None
    way = "closer" if change.kind is ChangeKind.MOVED_IN else "further"
    old, new = RING_WORDS[change.ring_before], RING_WORDS[change.ring_after]
    return f"moved {way} since session {since}: {old} to {new}"


#: The changes the map draws: one per person at most.
_MOVED: Final = (ChangeKind.MOVED_IN, ChangeKind.MOVED_OUT)
_DRAWN: Final = (ChangeKind.JOINED, ChangeKind.LEFT, *_MOVED)


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
        A snapshot from :func:`ipt_network.network.graph.snapshot`: an ego node, person
        nodes, ego-person edges with ring, conflict and support, and person ties.
    angles : mapping of str to float
        Angle per ``person_id`` from :func:`ipt_network.network.layout.person_angles`,
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
        Role to sector angle from :func:`ipt_network.network.layout.sector_angles`, to
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
    now = _states_of(snapshot_graph)
    diff: dict[str, Change] = {}  # person_id -> joined, left or moved since `previous`
    since = None
    if previous is not None:
        was = _states_of(previous)
        since = previous.graph.get("session", "before")
        diff = {c.person_id: c for c in compare(was, now) if c.kind in _DRAWN}
    view = _PeopleView(snapshot_graph, angles, client_view, diff, since)
    # Ring-band washes and sector labels live in the layout; traces from the back forward.
    data = _tie_traces(snapshot_graph, view.pos)
    if previous is not None:
        before = {p: st.ring for p, st in was.items()}
        moves = list(diff.values())
        data += _compare_traces(
            previous,
            before,
            moves,
            view.pos,
            angles,
            since,
            client_view,
            view.font_size,
            view.scale,
        )
    data += _spoke_traces(view) + _people_traces(view)
    if previous is not None:
        data += _joined_traces(view, diff, since)
    data.append(_client_trace(view))
    who = "Your relationships" if client_view else "Relationship map"
    title = f"{who}, session {snapshot_graph.graph.get('session')}"
    if previous is not None:
        title += f", compared with session {since}"
    layout = _base_layout(title, font_size=view.font_size)
    layout.update(_map_frame(sectors, view.font_size))
    return {"data": data, "layout": layout}


class _PeopleView:
    """Everyone on one map: positions, conflict levels, marker sizes and hover text."""

    def __init__(
        self,
        snapshot_graph: nx.Graph,
        angles: Mapping[str, float],
        client_view: bool,
        diff: Mapping[str, Change],
        since: object,
    ) -> None:
        self.client_view = client_view
        self.font_size = 16 if client_view else 13
        self.date = snapshot_graph.graph.get("date")
        self.pids, rings = _people_of(snapshot_graph)
        n = len(self.pids)
        self.pos = ring_positions(angles, rings)
        self.theta = np.fromiter((angles[p] for p in self.pids), dtype=np.float64, count=n)
        self.px = np.fromiter((self.pos[p][0] for p in self.pids), dtype=np.float64, count=n)
        self.py = np.fromiter((self.pos[p][1] for p in self.pids), dtype=np.float64, count=n)
        self.ego_adj = snapshot_graph.adj[names.EGO]
        self.levels = np.fromiter(
            (int(self.ego_adj[p][names.CONFLICT]) for p in self.pids), dtype=np.int64, count=n
        )
        support = np.fromiter(
            (int(self.ego_adj[p][names.SUPPORT]) for p in self.pids), dtype=np.float64, count=n
        )
        nodes = snapshot_graph.nodes
        self.dead = np.fromiter(
            (_is_deceased(nodes[p], self.date) for p in self.pids), dtype=bool, count=n
        )
        self.rx, self.ry = np.round(self.px, _DIGITS), np.round(self.py, _DIGITS)
        # Larger for the client's shared screen; smaller when a crowded map needs the room.
        self.crowd = min(1.0, max(0.5, math.sqrt(_LABEL_LIMIT / max(n, 1))))
        self.big = 1.25 if client_view else 1.0
        self.scale = self.big * self.crowd
        self.sizes = np.round((11.0 + 4.0 * support) * self.scale).astype(np.int64)
        # In the clinician's view the level's number joins its name, and hovering a
        # person shows the name: one string per trace instead of one per person.
        self.level_names = [
            s.label if client_view else f"{s.label} ({i} of 4)"
            for i, s in enumerate(CONFLICT_STYLES)
        ]
        # Hover text and labels; each person's status comes from the compare diff.
        # With names shown as labels, the hover template takes the name from the label.
        show_names = len(self.pids) <= _LABEL_LIMIT
        names_shown = [_esc(nodes[p].get(names.NAME) or p) for p in self.pids]
        hover = [
            _hover(
                p,
                nodes[p],
                self.ego_adj[p],
                dead=bool(self.dead[i]),
                status=_status(diff.get(p), since),
                client_view=self.client_view,
            )
            for i, p in enumerate(self.pids)
        ]
        if not show_names:
            hover = [f"<b>{who}</b> {h}" for who, h in zip(names_shown, hover, strict=True)]
        self.hover = hover
        self.labels = names_shown if show_names else None
        self.textpos = _text_positions(self.theta) if show_names else None


def _tie_traces(snapshot_graph: nx.Graph, pos: Mapping[str, tuple[float, float]]) -> list[Figure]:
    """Ties between people: faint, one trace."""
    ties = [
        (str(u), str(v))
        for u, v, d in snapshot_graph.edges(data=True)
        if d.get(names.TIE) == names.TIE_PERSON and u in pos and v in pos
    ]
    if not ties:
        return []
    tx, ty = _paths_xy(_tie_paths(ties), pos)
    return [
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
    ]


def _spoke_traces(view: _PeopleView) -> list[Figure]:
    """Spokes from the client to each person, one trace per conflict level."""
    out = []
    for level, style in enumerate(CONFLICT_STYLES):
        sel = view.levels == level
        if not sel.any():
            continue
        xs, ys = _segments(0, 0, view.px[sel], view.py[sel])
        colour = _CALM_SPOKE if level == 0 else style.colour
        out.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": view.level_names[level],
                "legendgroup": f"conflict{level}",
                "x": xs,
                "y": ys,
                "line": {
                    "color": colour,
                    "width": round(style.width * view.crowd, 1),
                    "dash": style.dash,
                },
                "hoverinfo": "skip",
                "showlegend": True,
            }
        )
    return out


def _people_traces(view: _PeopleView) -> list[Figure]:
    """People: one marker trace per conflict level, the dead apart with a hollow marker."""
    people = partial(_people_trace, view)
    out = []
    for level, style in enumerate(CONFLICT_STYLES):
        sel = (view.levels == level) & ~view.dead
        if sel.any():
            out.append(
                people(
                    sel,
                    name=view.level_names[level],
                    group=f"conflict{level}",
                    hoverinfo="text" if view.client_view else "text+name",
                    marker={
                        "color": style.colour,
                        "symbol": "circle",
                        "line": {"color": _PAPER, "width": 1.5},
                    },
                )
            )
    if view.dead.any():
        out.append(
            people(
                view.dead,
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
    return out


def _joined_traces(view: _PeopleView, diff: Mapping[str, Change], since: object) -> list[Figure]:
    """Rings around people who joined since the compared session."""
    new = np.fromiter(
        (p in diff and diff[p].kind is ChangeKind.JOINED for p in view.pids),
        dtype=bool,
        count=len(view.pids),
    )
    if not new.any():
        return []
    return [
        {
            "type": "scatter",
            "mode": "markers",
            "name": f"new since session {since}",
            "x": view.rx[new].tolist(),
            "y": view.ry[new].tolist(),
            "marker": {
                "symbol": "circle-open",
                "color": OKABE_ITO["bluish_green"],
                "size": (view.sizes[new] + round(12 * view.scale)).tolist(),
                "line": {"color": OKABE_ITO["bluish_green"], "width": 2.5},
            },
            "hoverinfo": "skip",
        }
    ]


def _client_trace(view: _PeopleView) -> Figure:
    """The client in the centre."""
    me = "You" if view.client_view else "Client"
    return {
        "type": "scatter",
        "mode": "markers+text",
        "name": me,
        "x": [0],
        "y": [0],
        "text": [me],
        "textposition": "middle center",
        "textfont": {"color": _PAPER, "size": view.font_size},
        "marker": {"color": _INK, "size": round(38 * view.big), "line": {"width": 0}},
        "hoverinfo": "skip",
        "showlegend": False,
    }


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
    view: _PeopleView,
    sel: np.ndarray,
    *,
    name: str,
    group: str,
    marker: dict[str, Any],
    hoverinfo: str,
    legend: bool = False,
) -> dict[str, Any]:
    hover, labels, textpos = view.hover, view.labels, view.textpos
    idx = np.flatnonzero(sel).tolist()
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": "markers+text" if labels is not None else "markers",
        "name": name,
        "legendgroup": group,
        "showlegend": legend,
        "x": view.rx[sel].tolist(),
        "y": view.ry[sel].tolist(),
        "hovertext": [hover[i] for i in idx],
        "hoverinfo": hoverinfo,
        "marker": {**marker, "size": view.sizes[sel].tolist(), "opacity": 1},
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
    changes: Sequence[Change],
    pos: Mapping[str, tuple[float, float]],
    angles: Mapping[str, float],
    since: object,
    client_view: bool,
    font_size: int,
    scale: float,
) -> list[dict[str, Any]]:
    old_pos = ring_positions(angles, before)
    traces: list[dict[str, Any]] = []
    gone = [c.person_id for c in changes if c.kind is ChangeKind.LEFT]
    if gone:
        nodes = previous.nodes
        theta = np.fromiter((angles[p] for p in gone), dtype=np.float64, count=len(gone))
        hover = [
            f"<b>{_esc(nodes[p].get(names.NAME) or p)}</b> ({_esc(nodes[p].get(names.ROLE))})"
            f"<br>on the map at session {since} ({RING_WORDS[before[p]]} ring)"
            "<br>not on the map now"
            for p in gone
        ]
        show = len(gone) + len(pos) <= _LABEL_LIMIT
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
    moved = [c.person_id for c in changes if c.kind in _MOVED]
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
        for r, label in RING_WORDS.items()
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
                "text": ROLE_TITLES.get(role, role),
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
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
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
        raise BadArgument("compare_with must be a different session from the one shown")
    read = course_of(inventory, client_id)  # raises ClientNotFound; built once per inventory
    for s in (session, compare_with):
        if s is not None and s not in read.sessions:
            raise SessionNotFound(client_id, s)
    angles, sectors = read.derived("map_angles", lambda c: _angles(c.tables))
    wanted = [session] if compare_with is None else [session, compare_with]
    graphs = {G.graph["session"]: G for G in course(read.tables, client_id, sessions=wanted)}
    return map_figure(
        graphs[session],
        angles,
        previous=None if compare_with is None else graphs[compare_with],
        client_view=client_view,
        sectors=sectors,
    )


def _angles(tables: Inventory) -> tuple[dict[str, float], dict[str, float]]:
    """Every person's angle and every role's sector angle: the same at every session."""
    people = tables.people
    return person_angles(people), sector_angles(people)


# --------------------------------------------------------------------------- PHQ-9
