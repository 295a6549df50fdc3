"""Tests of the figures: the relationship map, PHQ-9 course, trends, text alternative."""

from __future__ import annotations

import json
import math
from typing import Any

import networkx as nx
import pandas as pd
import plotly.graph_objects as go
import pytest

import ipt_network as ipt
from ipt_network import names
from ipt_network.errors import ClientNotFound, SessionNotFound
from ipt_network.io.inventory import Inventory, empty_table
from ipt_network.io.validation import validate
from ipt_network.network.layout import person_angles
from ipt_network.views.figures import (
    CONFLICT_STYLES,
    OKABE_ITO,
    TREND_METRICS,
    figure_table,
    map_figure,
    phq9_figure,
    relationship_map,
    trends_figure,
)

PHQ9 = [f"phq9_{i}" for i in range(1, 10)]
NOTE = "Argued about the chores again"
PERSON_NOTE = "Met at the choir"
ITEMS_1 = [2, 2, 1, 1, 2, 2, 1, 1, 0]
ITEMS_3 = [1, 1, 1, 0, 1, 1, 0, 1, 1]


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype(object).where(pd.DataFrame(rows).notna(), None)


@pytest.fixture
def inv() -> ipt.Inventory:
    """One client, three sessions: Alex moves out, Ed leaves, Di joins, Bea dies."""
    sessions = [
        {"session": 1, "date": "2024-01-03", **dict(zip(PHQ9, ITEMS_1, strict=True))},
        {"session": 2, "date": "2024-01-17"},  # no PHQ-9 this time
        {"session": 3, "date": "2024-01-24", **dict(zip(PHQ9, ITEMS_3, strict=True))},
    ]
    people = [
        ("p1", "Alex", "partner", None, None),
        ("p2", "Bea", "family", "2024-01-10", None),
        ("p3", "Cy", "friend", None, None),
        ("p4", "Di", "friend", None, None),
        ("p5", "Ed <the boss>", "coworker", None, PERSON_NOTE),
    ]
    # (session, person, ring, conflict, support, notes)
    states = [
        (1, "p1", 1, 3, 2, NOTE),
        (1, "p2", 1, 0, 4, None),
        (1, "p3", 2, 0, 3, None),
        (1, "p5", 3, 1, 1, None),
        (2, "p1", 2, 4, 1, NOTE),
        (2, "p2", 1, 0, 4, None),
        (2, "p3", 2, 2, 3, None),
        (2, "p4", 3, 0, 2, None),
        (3, "p1", 2, 4, 1, None),
        (3, "p3", 2, 2, 3, None),
        (3, "p4", 3, 0, 2, None),
    ]
    ties = [(1, "p1", "p2"), (1, "p2", "p3"), (2, "p1", "p3"), (2, "p3", "p4")]
    tables = {
        "clients": _frame(
            [
                {
                    "client_id": "c1",
                    "label": "Test",
                    "planned_sessions": 12,
                    "onset_date": None,
                    "focus": None,
                }
            ]
        ),
        "sessions": _frame([{"client_id": "c1", "phq9_9": None, **s} for s in sessions]),
        "people": _frame(
            [
                {
                    "client_id": "c1",
                    "person_id": p,
                    "name": n,
                    "role": r,
                    "deceased_date": d,
                    "notes": note,
                }
                for p, n, r, d, note in people
            ]
        ),
        "relationships": _frame(
            [
                {
                    "client_id": "c1",
                    "session": s,
                    "person_id": p,
                    "ring": ring,
                    "conflict": c,
                    "support": sup,
                    "notes": note,
                }
                for s, p, ring, c, sup, note in states
            ]
        ),
        "person_ties": _frame(
            [{"client_id": "c1", "session": s, "source": a, "target": b} for s, a, b in ties]
        ),
        "events": empty_table("events"),
    }
    return validate(tables)


def points(fig: dict[str, Any]) -> dict[str, tuple[float, float, dict[str, Any]]]:
    """Name label -> (x, y, trace) for every labelled marker of a map."""
    out = {}
    for trace in fig["data"]:
        for x, y, text in zip(trace["x"], trace["y"], trace.get("text") or [], strict=False):
            out[text] = (x, y, trace)
    return out


def angle(x: float, y: float) -> float:
    return math.atan2(y, x) % (2 * math.pi)


# --------------------------------------------------------------------------- the map


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"client_view": True}, {"compare_with": 1}, {"compare_with": 1, "client_view": True}],
)
def test_map_figures_are_valid_plotly_and_plain_json(inv: ipt.Inventory, kwargs: Any) -> None:
    fig = relationship_map(inv, "c1", 2, **kwargs)
    go.Figure(fig)  # raises on any invalid property
    assert json.loads(json.dumps(fig)) == fig


def test_a_person_keeps_their_angle_across_sessions(inv: ipt.Inventory) -> None:
    one, two = points(relationship_map(inv, "c1", 1)), points(relationship_map(inv, "c1", 2))
    for name in ("Alex", "Cy"):
        assert angle(*one[name][:2]) == pytest.approx(angle(*two[name][:2]), abs=0.01)


def test_people_sit_on_the_ring_of_their_closeness(inv: ipt.Inventory) -> None:
    pts = points(relationship_map(inv, "c1", 2))
    expected = {"Alex": 2, "Bea": 1, "Cy": 2, "Di": 3}
    for name, ring in expected.items():
        assert math.hypot(*pts[name][:2]) == pytest.approx(ring, abs=0.01)


def test_rings_are_drawn_and_labelled_with_the_client_in_the_centre(inv: ipt.Inventory) -> None:
    fig = relationship_map(inv, "c1", 1)
    circles = [s for s in fig["layout"]["shapes"] if s["type"] == "circle"]
    assert sorted(s["x1"] for s in circles) == [1, 2, 3]
    labels = {a["text"] for a in fig["layout"]["annotations"]}
    assert {"inner", "middle", "outer"} <= labels
    assert points(fig)["Client"][:2] == (0, 0)
    assert points(relationship_map(inv, "c1", 1, client_view=True))["You"][:2] == (0, 0)


def test_a_person_who_has_died_gets_a_hollow_marker_from_the_date_of_death(
    inv: ipt.Inventory,
) -> None:
    before = points(relationship_map(inv, "c1", 1))["Bea"][2]
    after = points(relationship_map(inv, "c1", 2))["Bea"][2]
    assert not before["marker"]["symbol"].endswith("-open")
    assert after["marker"]["symbol"].endswith("-open")
    assert "Bea" in after["text"]
    assert points(relationship_map(inv, "c1", 2))["Cy"][2]["marker"]["symbol"] == "circle"


def test_support_sets_marker_size(inv: ipt.Inventory) -> None:
    fig = relationship_map(inv, "c1", 1)
    size: dict[str, int] = {}
    for trace in fig["data"]:
        if isinstance(trace.get("marker", {}).get("size"), list) and "text" in trace:
            size.update(zip(trace["text"], trace["marker"]["size"], strict=True))
    assert size["Ed &lt;the boss&gt;"] < size["Alex"] < size["Cy"] < size["Bea"]  # support 1 2 3 4


def test_conflict_shows_by_colour_and_by_line_style(inv: ipt.Inventory) -> None:
    assert len({s.colour for s in CONFLICT_STYLES}) == len(CONFLICT_STYLES)
    assert len({s.dash for s in CONFLICT_STYLES}) == len(CONFLICT_STYLES)
    assert {s.colour for s in CONFLICT_STYLES} <= set(OKABE_ITO.values())
    fig = relationship_map(inv, "c1", 2)  # conflict levels 4, 0, 2, 0
    spokes = [t for t in fig["data"] if t.get("mode") == "lines" and t.get("showlegend")]
    levels = {t["legendgroup"]: t["line"] for t in spokes}
    assert set(levels) == {"conflict0", "conflict2", "conflict4"}
    assert len({line["dash"] for line in levels.values()}) == 3
    assert len({line["color"] for line in levels.values()}) == 3
    # The person's marker carries the level's colour too.
    assert points(fig)["Alex"][2]["marker"]["color"] == CONFLICT_STYLES[4].colour


def test_hover_has_role_ring_conflict_support_and_notes(inv: ipt.Inventory) -> None:
    rows = figure_table(relationship_map(inv, "c1", 1))
    alex = next(r for r in rows if r["text"].startswith("Alex"))
    assert "(partner)" in alex["text"] and "inner ring" in alex["text"]
    assert "support 2 of 4" in alex["text"] and NOTE in alex["text"]
    assert "3 of 4" in alex["series"]  # the conflict level names the trace shown beside it
    ed = next(r for r in rows if r["text"].startswith("Ed"))
    assert PERSON_NOTE in ed["text"] and "Ed <the boss>" in ed["text"]


def test_client_view_hides_notes_and_scores(inv: ipt.Inventory) -> None:
    fig = relationship_map(inv, "c1", 2, compare_with=1, client_view=True)
    text = json.dumps(fig)
    for secret in (NOTE, PERSON_NOTE, "support", "of 4", "2024-01-10", "conflict ("):
        assert secret not in text
    assert "You" in text and "Alex" in text
    rows = figure_table(fig)
    assert rows and all("support" not in r["text"] and NOTE not in r["text"] for r in rows)


def test_names_are_escaped_for_plotly_html(inv: ipt.Inventory) -> None:
    text = json.dumps(relationship_map(inv, "c1", 1))
    assert "<the boss>" not in text and "&lt;the boss&gt;" in text


def test_compare_mode_shows_ghosts_joiners_and_movers(inv: ipt.Inventory) -> None:
    fig = relationship_map(inv, "c1", 2, compare_with=1)
    by_name = {t["name"]: t for t in fig["data"]}
    ghosts = by_name["not on the map now (on it at session 1)"]
    assert ghosts["text"] == ["Ed &lt;the boss&gt;"]
    assert math.hypot(ghosts["x"][0], ghosts["y"][0]) == pytest.approx(3, abs=0.01)  # old ring
    joined = by_name["new since session 1"]
    di = points(fig)["Di"]
    assert list(zip(joined["x"], joined["y"], strict=True)) == [di[:2]]
    moved = by_name["moved since session 1"]
    xs = [x for x in moved["x"] if x is not None]
    ys = [y for y in moved["y"] if y is not None]
    radii = [math.hypot(x, y) for x, y in zip(xs, ys, strict=True)]
    assert radii[0] == pytest.approx(1, abs=0.01) and radii[-1] == pytest.approx(2, abs=0.01)
    assert "moved further" in next(r["text"] for r in figure_table(fig) if "Alex" in r["text"])
    # Without compare mode, none of these traces exist.
    plain = {t["name"] for t in relationship_map(inv, "c1", 2)["data"]}
    assert not {n for n in plain if "session 1" in n}


def test_person_ties_are_one_faint_trace_drawing_each_tie(inv: ipt.Inventory) -> None:
    fig = relationship_map(inv, "c1", 2)
    ties = next(t for t in fig["data"] if t["name"] == "know each other")
    assert ties["hoverinfo"] == "skip"
    pts = {(x, y): name for name, (x, y, _) in points(fig).items()}
    drawn = set()
    path: list[str] = []
    for x, y in zip(ties["x"] + [None], ties["y"] + [None], strict=True):
        if x is None:
            drawn |= {frozenset(p) for p in zip(path, path[1:], strict=False)}
            path = []
        else:
            path.append(pts[(x, y)])
    assert drawn == {frozenset(("Alex", "Cy")), frozenset(("Cy", "Di"))}


def test_trace_count_does_not_grow_with_people() -> None:
    G = nx.Graph(session=1)
    G.add_node(names.EGO, kind="ego")
    people = []
    for i in range(300):
        pid = f"p{i:03d}"
        people.append((pid, names.ROLES[i % 7]))
        G.add_node(pid, kind="person", name=f"P{i}", role=names.ROLES[i % 7])
        G.add_edge(names.EGO, pid, tie="ego", ring=1 + i % 3, conflict=i % 5, support=i % 5)
        if i:
            G.add_edge(pid, f"p{i - 1:03d}", tie="person")
    table = pd.DataFrame(people, columns=["person_id", "role"])
    fig = map_figure(G, person_angles(table))
    go.Figure(fig)
    assert len(fig["data"]) <= 12
    assert all("text" not in t for t in fig["data"][:-1])  # too many names to label: hover only
    assert len(figure_table(fig)) == 300


def test_map_refuses_bad_input(inv: ipt.Inventory) -> None:
    with pytest.raises(ClientNotFound):
        relationship_map(inv, "nobody", 1)
    with pytest.raises(SessionNotFound):
        relationship_map(inv, "c1", 9)
    with pytest.raises(SessionNotFound):
        relationship_map(inv, "c1", 1, compare_with=9)
    with pytest.raises(ValueError, match="different session"):
        relationship_map(inv, "c1", 1, compare_with=1)
    with pytest.raises(ValueError, match="no 'ego' node"):
        map_figure(nx.Graph(), {})


def test_every_sample_client_maps_and_compares(samples_inv: Inventory) -> None:
    samples = samples_inv
    for cid in samples.client_ids():
        sessions = samples.sessions_of(cid)
        fig = relationship_map(samples, cid, sessions[-1], compare_with=sessions[0])
        go.Figure(fig)
        go.Figure(relationship_map(samples, cid, sessions[-1], client_view=True))


# --------------------------------------------------------------------------- PHQ-9


def test_phq9_figure_plots_totals_of_complete_sessions(inv: ipt.Inventory) -> None:
    fig = phq9_figure(inv, "c1", current_session=2)
    go.Figure(fig)
    totals = fig["data"][0]
    assert totals["x"] == [1, 3]  # session 2 has no PHQ-9
    assert totals["y"] == [sum(ITEMS_1), sum(ITEMS_3)]


def test_phq9_figure_draws_the_five_bands_and_marks_the_session(inv: ipt.Inventory) -> None:
    fig = phq9_figure(inv, "c1", current_session=2)
    bands = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    edges = [(b["y0"] + 0.5, b["y1"] - 0.5) for b in bands]
    assert edges == [(0, 4), (5, 9), (10, 14), (15, 19), (20, 27)]
    assert len({b["fillcolor"] for b in bands}) == 5
    lines = [s for s in fig["layout"]["shapes"] if s["type"] == "line"]
    assert [(s["x0"], s["x1"]) for s in lines] == [(2, 2)]
    labels = " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert "moderately severe (15-19)" in labels and "this session" in labels


def test_phq9_item9_above_zero_gets_a_distinct_marker(inv: ipt.Inventory) -> None:
    fig = phq9_figure(inv, "c1")
    flag = fig["data"][1]
    assert flag["x"] == [3] and flag["marker"]["symbol"] != fig["data"][0]["marker"].get("symbol")
    assert "988" in flag["hovertext"][0]
    assert not any(s["type"] == "line" for s in fig["layout"]["shapes"])


def test_phq9_figure_without_any_phq9(inv: ipt.Inventory) -> None:
    empty = inv.sessions.copy()
    empty[PHQ9] = pd.NA
    fig = phq9_figure(ipt.Inventory(**{**inv.tables(), "sessions": empty}), "c1")
    go.Figure(fig)
    assert fig["data"][0]["x"] == [] and len(fig["data"]) == 1
    assert any("No PHQ-9" in a["text"] for a in fig["layout"]["annotations"])


def test_phq9_figure_unknown_client(inv: ipt.Inventory) -> None:
    with pytest.raises(ClientNotFound):
        phq9_figure(inv, "nobody")


# --------------------------------------------------------------------------- trends


def metric_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": "c1",
            "session": [2, 1, 3],
            "n_people": [4, 4, 3],
            "n_inner": [1, 2, 0],
            "conflict_sum": [6, 4, 6],
            "density": [0.5, 2 / 6, float("nan")],
        }
    )


def test_trends_are_small_multiples_over_sessions() -> None:
    fig = trends_figure(metric_rows(), current_session=2)
    go.Figure(fig)
    assert [t["name"] for t in fig["data"]] == list(TREND_METRICS.values())
    assert [t["yaxis"] for t in fig["data"]] == ["y", "y2", "y3", "y4"]
    people = fig["data"][0]
    assert people["x"] == [1, 2, 3] and people["y"] == [4, 4, 3]  # sorted by session
    assert fig["data"][3]["y"][2] is None  # density not computed
    domains = [fig["layout"][f"yaxis{k}"]["domain"] for k in ("", "2", "3", "4")]
    assert all(a[0] > b[1] for a, b in zip(domains, domains[1:], strict=False))  # no overlap
    marks = [s for s in fig["layout"]["shapes"] if s["type"] == "line"]
    assert len(marks) == 4 and all(s["x0"] == 2 for s in marks)


def test_trends_refuse_missing_columns_and_several_clients() -> None:
    with pytest.raises(ValueError, match="density"):
        trends_figure(metric_rows().drop(columns="density"))
    two = pd.concat([metric_rows(), metric_rows().assign(client_id="c2")])
    with pytest.raises(ValueError, match="one client"):
        trends_figure(two)


def test_figure_table_describes_every_trend_point() -> None:
    rows = figure_table(trends_figure(metric_rows()))
    assert len(rows) == 4 * 3
    assert {
        "series": "Density of ties between people",
        "text": "Session 2: density of ties between people 0.50",
    } in rows
