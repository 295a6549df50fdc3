"""Cohort benchmark: the vectorised metric engine against igraph and networkx loops.

Builds the cohort of ``ipt-network synth --clients 10000 --seed 1`` in memory and
prints, in one run:

* snapshots per second of :func:`ipt_network.network.metrics.cohort_metrics` (full
  metric table with the change columns, from the two tidy DataFrames);
* snapshots per second of a per-snapshot loop that starts from the same
  in-memory tables, groups them by snapshot, builds an igraph graph per
  snapshot and calls its constraint, density and component count (the
  reference); for context also the same loop with the grouping done before the
  clock starts (igraph's own work only);
* snapshots per second of the plain per-snapshot networkx loop on a sample;
* the ratios, the engine's peak memory, and the engine's cost at 1,000,
  10,000 and 100,000 snapshots (it should grow linearly);
* an equality check of every metric column against networkx (graphs built from
  the tables with plain Python, sharing no code with the engine), and of the
  change columns against a direct set computation, on a 2,000-snapshot sample.

Every time is the median of several runs. The script exits with status 1 when a
target is missed (engine at least 10x the igraph loop, peak memory under 2 GB,
equality to 1e-9). Loading from the store is measured by ``benchmarks/store.py``.

Run ``python benchmarks/cohort.py`` for the full benchmark or add ``--quick``
for a small run (a few hundred clients, same checks, smaller targets are not
used: the same targets apply).
"""

from __future__ import annotations

import argparse
import functools
import gc
import resource
import sys
import tracemalloc
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from _common import median_seconds, verdict

from ipt_network.io.inventory import Inventory
from ipt_network.io.synth import synthesize
from ipt_network.network.metrics import cohort_metrics

IntArray = npt.NDArray[np.int64]

TARGET_IGRAPH_RATIO = 10.0
TARGET_PEAK_BYTES = 2 * 1024**3
TOLERANCE = 1e-9
GRAPH_COLUMNS = ("density", "components", "isolates", "effective_size", "constraint")


@dataclass
class Snapshots:
    """Each snapshot's people and ties, grouped from the tidy tables with plain Python.

    This is what a per-snapshot loop starts from, and it shares no code with the
    engine, so the equality check compares two independent computations.
    """

    client: list[str]
    session: list[int]
    people: list[list[str]]
    ties: list[list[tuple[str, str]]]

    @property
    def n(self) -> IntArray:
        return np.array([len(p) for p in self.people], dtype=np.int64)

    @property
    def n_ties(self) -> IntArray:
        return np.array([len(t) for t in self.ties], dtype=np.int64)


def _split(frame: pd.DataFrame, keys: pd.MultiIndex, columns: list[str]) -> list[list[Any]]:
    """Rows of ``columns`` split by snapshot key (vectorised grouping, then slices)."""
    codes = keys.get_indexer(pd.MultiIndex.from_arrays([frame["client_id"], frame["session"]]))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    values = [frame[c].to_numpy(dtype=object)[order] for c in columns]
    rows = list(zip(*values, strict=True)) if len(columns) > 1 else list(values[0])
    return [rows[bounds[k] : bounds[k + 1]] for k in range(len(keys))]


def group_snapshots(inv: Inventory) -> Snapshots:
    """Group the tables by (client, session), as an efficient per-snapshot loop would."""
    keys = pd.MultiIndex.from_frame(
        inv.sessions[["client_id", "session"]].sort_values(["client_id", "session"])
    )
    return Snapshots(
        client=[str(c) for c in keys.get_level_values(0)],
        session=[int(s) for s in keys.get_level_values(1)],
        people=_split(inv.relationships, keys, ["person_id"]),
        ties=_split(inv.person_ties, keys, ["source", "target"]),
    )


def igraph_snapshot(people: list[str], ties: list[tuple[str, str]]) -> tuple[float, int, float]:
    """Build one snapshot's igraph graph; its density, component count and ego constraint."""
    import igraph

    n = len(people)
    index = {p: i for i, p in enumerate(people)}
    g = igraph.Graph(n=n, edges=[(index[a], index[b]) for a, b in ties])
    density = g.density() if n >= 2 else 0.0
    components = len(g.connected_components())
    g.add_vertex()  # the ego, vertex n
    g.add_edges([(n, j) for j in range(n)])
    return density, components, g.constraint([n])[0]


def igraph_loop(inv: Inventory) -> list[tuple[float, int, float]]:
    """The reference: from the in-memory tables, one igraph graph per snapshot."""
    snaps = group_snapshots(inv)
    return [igraph_snapshot(p, t) for p, t in zip(snaps.people, snaps.ties, strict=True)]


def igraph_core(snaps: Snapshots) -> list[tuple[float, int, float]]:
    """The same loop on tables already grouped (igraph's own work only, for context)."""
    return [igraph_snapshot(p, t) for p, t in zip(snaps.people, snaps.ties, strict=True)]


def networkx_graph(snaps: Snapshots, k: int) -> nx.Graph:
    """G of the guide: the people, their ties, and an ego tied to everyone."""
    G = nx.Graph()
    G.add_node("ego")
    G.add_edges_from(("ego", p) for p in snaps.people[k])
    G.add_edges_from(snaps.ties[k])
    return G


def networkx_metrics(snaps: Snapshots, k: int) -> dict[str, float]:
    """The reference values of the graph columns for snapshot ``k``."""
    G = networkx_graph(snaps, k)
    H = G.subgraph(n for n in G if n != "ego")
    return {
        "density": nx.density(H) if len(H) >= 2 else 0.0,
        "components": nx.number_connected_components(H),
        "isolates": nx.number_of_isolates(H),
        "effective_size": nx.effective_size(G, ["ego"])["ego"],
        "constraint": nx.constraint(G, ["ego"])["ego"],
    }


def equal(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= TOLERANCE


def check_graph_columns(table: pd.DataFrame, snaps: Snapshots, sample: IntArray) -> int:
    """Number of (snapshot, column) cells that differ from networkx."""
    rows = table.set_index(["client_id", "session"])
    bad = 0
    for k in sample:
        ref = networkx_metrics(snaps, int(k))
        row = rows.loc[(snaps.client[int(k)], snaps.session[int(k)])]
        bad += sum(not equal(float(row[c]), float(ref[c])) for c in GRAPH_COLUMNS)
    return bad


def check_change_columns(table: pd.DataFrame, inv: Inventory, sample: IntArray) -> int:
    """Number of sampled rows whose change columns differ from a direct set computation."""
    rel = inv.relationships
    maps: dict[tuple[str, int], dict[str, int]] = {}
    for c, s, p, r in zip(
        rel["client_id"], rel["session"], rel["person_id"], rel["ring"], strict=True
    ):
        maps.setdefault((str(c), int(s)), {})[str(p)] = int(r)
    bad = 0
    for k in sample:
        row = table.iloc[int(k)]
        c, s = str(row["client_id"]), int(row["session"])
        before = table.iloc[int(k) - 1] if k > 0 else None
        if before is None or str(before["client_id"]) != c:
            bad += int(not pd.isna(row["added"]))
            continue
        now, then = maps.get((c, s), {}), maps.get((c, int(before["session"])), {})
        kept = now.keys() & then.keys()
        union = now.keys() | then.keys()
        ref = {
            "added": len(now.keys() - then.keys()),
            "lost": len(then.keys() - now.keys()),
            "kept": len(kept),
            "jaccard": len(kept) / len(union) if union else 1.0,
            "moved_in": sum(now[p] < then[p] for p in kept),
            "moved_out": sum(now[p] > then[p] for p in kept),
        }
        bad += int(any(not equal(float(row[col]), float(v)) for col, v in ref.items()))
    return bad


def first_clients(inv: Inventory, n_snapshots: int) -> Inventory:
    """The first clients whose sessions add up to about ``n_snapshots``."""
    per_client = inv.sessions.groupby("client_id", sort=True).size()
    cumulative = per_client.cumsum()
    keep = cumulative.index[: int(np.searchsorted(cumulative.to_numpy(), n_snapshots)) + 1]
    wanted = set(keep)
    return Inventory.from_tables(
        {
            name: inv.tables()[name][inv.tables()[name]["client_id"].isin(wanted)]
            for name in ("relationships", "person_ties", "sessions")
        }
    )


def engine(inv: Inventory) -> pd.DataFrame:
    return cohort_metrics(inv.relationships, inv.person_ties, sessions=inv.sessions)


def engine_peak_bytes(inv: Inventory) -> int:
    """Peak memory of one engine run: Python/numpy allocations plus Arrow's pool."""
    pool = pa.default_memory_pool()
    gc.collect()
    before = pool.bytes_allocated()
    tracemalloc.start()
    engine(inv)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return int(peak + max(pool.max_memory() - before, 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="runs per median (engine)")
    parser.add_argument("--quick", action="store_true", help="a small run: 600 clients")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients = min(args.clients, 600)
        args.repeats = min(args.repeats, 3)
    loop_repeats = 3
    nx_sample_size, check_size = (200, 400) if args.quick else (1_000, 2_000)
    scale_sizes = (1_000, 5_000) if args.quick else (1_000, 10_000, 100_000)

    print(f"synthesizing {args.clients} clients (seed {args.seed}) ...", flush=True)
    inv = synthesize(args.clients, args.seed, progress=True)
    snaps = group_snapshots(inv)
    n_snap = len(snaps.n)
    print(
        f"cohort: {args.clients} clients, {n_snap:,} snapshots, "
        f"{len(inv.relationships):,} relationship rows, {len(inv.person_ties):,} person ties"
    )
    failures: list[str] = []

    t_engine = median_seconds(lambda: engine(inv), args.repeats)
    t_igraph = median_seconds(lambda: igraph_loop(inv), loop_repeats)
    t_igraph_core = median_seconds(lambda: igraph_core(snaps), loop_repeats)
    rng = np.random.default_rng(0)
    nx_sample = np.sort(rng.choice(n_snap, size=min(nx_sample_size, n_snap), replace=False))
    t_nx = median_seconds(
        lambda: [networkx_metrics(snaps, int(k)) for k in nx_sample], loop_repeats
    )
    rate = {
        "engine": n_snap / t_engine,
        "igraph": n_snap / t_igraph,
        "networkx": len(nx_sample) / t_nx,
    }
    print("\nsnapshots per second (median of runs)")
    print(f"  cohort_metrics (whole tables) {rate['engine']:>12,.0f}")
    print(f"  igraph loop from the tables   {rate['igraph']:>12,.0f}  (the reference)")
    print(
        f"  igraph loop, tables pre-grouped {n_snap / t_igraph_core:>10,.0f}  "
        f"(igraph's own work only; engine is {t_igraph_core / t_engine:.1f}x this)"
    )
    print(f"  networkx loop ({len(nx_sample)} sample)   {rate['networkx']:>12,.0f}")
    ratio_igraph = rate["engine"] / rate["igraph"]
    print(f"  ratio engine / igraph   {ratio_igraph:8.1f}x  (target >= {TARGET_IGRAPH_RATIO:.0f}x)")
    print(f"  ratio engine / networkx {rate['engine'] / rate['networkx']:8.0f}x")
    if ratio_igraph < TARGET_IGRAPH_RATIO:
        failures.append(f"engine is {ratio_igraph:.1f}x the igraph loop, below 10x")

    peak = engine_peak_bytes(inv)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"\npeak memory of one engine run {peak / 1024**2:,.0f} MB (target < 2048 MB)")
    print(f"peak resident memory of this whole benchmark so far {rss / 1024**2:,.0f} MB")
    if peak >= TARGET_PEAK_BYTES:
        failures.append("engine peak memory at or above 2 GB")

    print("\nlinear cost: engine time by cohort size")
    for size in (s for s in scale_sizes if s <= n_snap):
        part = first_clients(inv, size)
        m = len(part.sessions)
        t = median_seconds(functools.partial(engine, part), args.repeats)
        print(f"  {m:>9,} snapshots  {t * 1e3:9.1f} ms  {t / m * 1e6:6.2f} us/snapshot")
    if n_snap < max(scale_sizes):
        print(
            f"  {n_snap:>9,} snapshots  {t_engine * 1e3:9.1f} ms  "
            f"{t_engine / n_snap * 1e6:6.2f} us/snapshot (whole cohort)"
        )

    table = engine(inv)
    check = np.sort(rng.choice(n_snap, size=min(check_size, n_snap), replace=False))
    # the sample always holds empty maps, single people and tie-less maps when the cohort has them
    special = [
        np.flatnonzero(snaps.n == 0)[:20],
        np.flatnonzero(snaps.n == 1)[:20],
        np.flatnonzero(snaps.n_ties == 0)[:20],
    ]
    check = np.unique(np.concatenate([check, *special]))
    bad_graph = check_graph_columns(table, snaps, check)
    bad_change = check_change_columns(table, inv, check)
    print(f"\nequality on {len(check):,} sampled snapshots (to {TOLERANCE:g})")
    print(f"  metric columns vs networkx: {bad_graph} differing cells")
    print(f"  change columns vs set computation: {bad_change} differing rows")
    if bad_graph or bad_change:
        failures.append("engine differs from the reference")

    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
