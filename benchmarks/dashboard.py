"""Benchmark: the relationship-map callback against the common plotly recipe.

For one session with 30 and with 300 people, this times the server-side work
of the dashboard's map callback, layout plus figure JSON:

* ours: :func:`ipt_network.network.layout.person_angles` on the client's people table,
  :func:`ipt_network.views.figures.map_figure` on the snapshot graph, and the JSON
  encoding Dash applies to a figure (``plotly.io.json.to_json_plotly``);
* the recipe: ``networkx.spring_layout``, a ``go.Figure`` with one
  ``go.Scatter`` trace per edge plus a node trace, then ``fig.to_json()``.

Both run in this one process on the same snapshots. The script prints the
median time per call of each (over ``--repeats`` runs), the speed-up, and
both JSON payload sizes, then checks the targets of the guide (section 4):
at least 30x faster at 300 people and 3x at 30, and a payload at most half
the recipe's at both sizes. It exits with status 1 when a target is missed.

Run it with ``python benchmarks/dashboard.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import pandas as pd
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from ipt_network import names
from ipt_network.network.layout import person_angles
from ipt_network.views.figures import map_figure

SIZES = (30, 300)
#: size -> (minimum speed-up, maximum payload ratio ours / recipe)
TARGETS = {30: (3.0, 0.5), 300: (30.0, 0.5)}

_NOTES = (
    "Talks most weeks; feels she does not listen.",
    "Helped with the move. Would like to see him more often.",
    "Argued about money again; wants to raise it calmly.",
)


def synthetic_session(n_people: int, seed: int = 0) -> tuple[nx.Graph, pd.DataFrame]:
    """A snapshot of ``n_people`` people shaped like ``graph.snapshot``'s, and its people table.

    Rings, conflict and support are drawn at random, one person in five has a
    note, one in fifty has died, and there are about as many person ties as
    people.
    """
    rng = random.Random(seed)
    width = len(str(n_people))
    pids = [f"p{i:0{width}d}" for i in range(1, n_people + 1)]
    roles = [rng.choice(names.ROLES) for _ in pids]
    G = nx.Graph(client_id="bench", session=5, date="2024-03-04")
    G.add_node(names.EGO, **{names.KIND: names.KIND_EGO})
    for i, (pid, role) in enumerate(zip(pids, roles, strict=True)):
        G.add_node(
            pid,
            **{
                names.KIND: names.KIND_PERSON,
                names.PERSON_ID: pid,
                names.NAME: f"Person {i + 1}",
                names.ROLE: role,
                names.DECEASED_DATE: "2023-11-02" if i % 50 == 7 else None,
                "notes": rng.choice(_NOTES) if i % 5 == 0 else None,
            },
        )
        ring = rng.choice((1, 2, 2, 3, 3, 3))
        G.add_edge(
            names.EGO,
            pid,
            **{
                names.TIE: names.TIE_EGO,
                names.RING: ring,
                names.CLOSENESS: names.closeness_weight(ring),
                names.CONFLICT: rng.choice((0, 0, 0, 1, 1, 2, 3, 4)),
                names.SUPPORT: rng.randint(0, 4),
                "notes": None,
            },
        )
    while G.number_of_edges() < 2 * n_people:
        u, v = rng.sample(pids, 2)
        G.add_edge(u, v, **{names.TIE: names.TIE_PERSON})
    people = pd.DataFrame({"client_id": "bench", "person_id": pids, "role": roles})
    return G, people


def ours(G: nx.Graph, people: pd.DataFrame) -> str:
    """The map callback's server-side work: angles, figure dict, JSON as Dash sends it."""
    return to_json_plotly(map_figure(G, person_angles(people)))


def recipe(G: nx.Graph) -> str:
    """The common recipe: spring layout, one trace per edge, a node trace, ``to_json``."""
    pos = nx.spring_layout(G, seed=1)
    edge_traces = [
        go.Scatter(
            x=[pos[u][0], pos[v][0], None],
            y=[pos[u][1], pos[v][1], None],
            mode="lines",
            line={"width": 1, "color": "#888"},
            hoverinfo="none",
        )
        for u, v in G.edges()
    ]
    nodes = list(G.nodes())
    node_trace = go.Scatter(
        x=[pos[n][0] for n in nodes],
        y=[pos[n][1] for n in nodes],
        mode="markers",
        hoverinfo="text",
        text=[f"{G.nodes[n].get(names.NAME, n)}: {G.degree(n)} connections" for n in nodes],
        marker={
            "showscale": True,
            "colorscale": "YlGnBu",
            "color": [G.degree(n) for n in nodes],
            "size": 10,
            "line_width": 2,
        },
    )
    fig = go.Figure(
        data=[*edge_traces, node_trace],
        layout=go.Layout(
            showlegend=False,
            hovermode="closest",
            margin={"b": 20, "l": 5, "r": 5, "t": 40},
            xaxis={"showgrid": False, "zeroline": False, "showticklabels": False},
            yaxis={"showgrid": False, "zeroline": False, "showticklabels": False},
        ),
    )
    return fig.to_json()


def median_ms(work: Callable[[], str], repeats: int) -> float:
    """Median wall time of ``work()`` in milliseconds, after one warm-up call."""
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


@dataclass
class Result:
    """One size's measurements."""

    n_people: int
    ours_ms: float
    recipe_ms: float
    ours_bytes: int
    recipe_bytes: int

    @property
    def speedup(self) -> float:
        return self.recipe_ms / self.ours_ms

    @property
    def payload_ratio(self) -> float:
        return self.ours_bytes / self.recipe_bytes

    def misses(self) -> list[str]:
        """The targets this size misses, in words."""
        min_speedup, max_payload = TARGETS[self.n_people]
        out = []
        if self.speedup < min_speedup:
            out.append(f"{self.n_people} people: {self.speedup:.1f}x, target {min_speedup:.0f}x")
        if self.payload_ratio > max_payload:
            out.append(
                f"{self.n_people} people: payload {self.payload_ratio:.2f} of the recipe's, "
                f"target at most {max_payload:.2f}"
            )
        return out


def measure(n_people: int, repeats: int, recipe_repeats: int) -> Result:
    """Time ours and the recipe on one synthetic session of ``n_people``."""
    G, people = synthetic_session(n_people)
    return Result(
        n_people=n_people,
        ours_ms=median_ms(lambda: ours(G, people), repeats),
        recipe_ms=median_ms(lambda: recipe(G), recipe_repeats),
        ours_bytes=len(ours(G, people).encode()),
        recipe_bytes=len(recipe(G).encode()),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeats", type=int, default=21, help="timed runs of ours per size (default 21)"
    )
    parser.add_argument(
        "--recipe-repeats",
        type=int,
        default=5,
        help="timed runs of the recipe per size (default 5; it is slow at 300 people)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.recipe_repeats < 1:
        parser.error("repeats must be at least 1")
    print(
        f"relationship-map callback, median of {args.repeats} runs (ours) "
        f"and {args.recipe_repeats} runs (recipe)"
    )
    header = (
        f"{'people':>6}  {'ours ms':>9}  {'recipe ms':>9}  {'speed-up':>8}  "
        f"{'ours bytes':>10}  {'recipe bytes':>12}  {'payload':>7}"
    )
    print(header, flush=True)
    results = []
    for n in SIZES:
        r = measure(n, args.repeats, args.recipe_repeats)
        results.append(r)
        print(
            f"{n:>6}  {r.ours_ms:>9.2f}  {r.recipe_ms:>9.1f}  {r.speedup:>7.1f}x  "
            f"{r.ours_bytes:>10,}  {r.recipe_bytes:>12,}  {r.payload_ratio:>7.2f}",
            flush=True,
        )
    misses = [m for r in results for m in r.misses()]
    targets = ", ".join(
        f"{n} people: >= {s:.0f}x and payload <= {p:.2f}" for n, (s, p) in TARGETS.items()
    )
    if misses:
        print("MISSED: " + "; ".join(misses), file=sys.stderr)
        return 1
    print(f"all targets met ({targets})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
