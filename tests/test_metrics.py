"""Tests of ipt_network.network.metrics: the cohort engine against networkx, edge cases, errors."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ipt_network import Inventory, names
from ipt_network.network import engine
from ipt_network.network.graph import course
from ipt_network.network.metrics import COLUMNS, METRIC_COLUMNS, cohort_metrics, snapshot_metrics

SPEC_COLUMNS = [
    "client_id", "session", "n_people", "n_inner", "closeness_sum", "conflict_sum",
    "support_sum", "n_conflictual", "n_ambivalent", "density", "components", "isolates",
    "effective_size", "constraint", "added", "lost", "kept", "jaccard", "moved_in", "moved_out",
]  # fmt: skip


@dataclass
class Cohort:
    """Random snapshots as tidy tables, with the networkx graph G of each snapshot."""

    rel: list[tuple[str, int, str, int, int, int]] = field(default_factory=list)
    ties: list[tuple[str, int, str, str]] = field(default_factory=list)
    sessions: list[tuple[str, int]] = field(default_factory=list)
    graphs: dict[tuple[str, int], nx.Graph] = field(default_factory=dict)

    def add(self, client: str, session: int, people: dict[str, tuple[int, int, int]],
            pairs: list[tuple[str, str]]) -> None:  # fmt: skip
        self.sessions.append((client, session))
        G = nx.Graph()
        G.add_node(names.EGO)
        for p, (ring, conflict, support) in people.items():
            self.rel.append((client, session, p, ring, conflict, support))
            G.add_edge(names.EGO, p, ring=ring, conflict=conflict, support=support)
        for a, b in pairs:
            self.ties.append((client, session, a, b))
            G.add_edge(a, b)
        self.graphs[(client, session)] = G

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        rel = pd.DataFrame(
            self.rel, columns=["client_id", "session", "person_id", "ring", "conflict", "support"]
        ).astype({"client_id": "string", "person_id": "string", "session": "Int64",
                  "ring": "Int64", "conflict": "Int64", "support": "Int64"})  # fmt: skip
        ties = pd.DataFrame(self.ties, columns=["client_id", "session", "source", "target"])
        ties = ties.astype({"client_id": "string", "source": "string", "target": "string",
                            "session": "Int64"})  # fmt: skip
        ses = pd.DataFrame(self.sessions, columns=["client_id", "session"])
        return rel, ties, ses


def random_cohort(seed: int, n_clients: int = 40, n_sessions: int = 6) -> Cohort:
    """Random maps, with empty maps, one person, no ties, complete ties and isolates."""
    rng = np.random.default_rng(seed)
    cohort = Cohort()
    shapes = ["empty", "one", "no_ties", "complete", "isolates", "random", "random"]
    for c in range(n_clients):
        client = f"client-{c:03d}"
        for s in range(1, n_sessions + 1):
            shape = shapes[int(rng.integers(len(shapes)))]
            n = {"empty": 0, "one": 1}.get(shape, int(rng.integers(2, 12)))
            ids = [f"p{i:02d}" for i in sorted(rng.choice(15, size=n, replace=False))]
            people = {
                p: (int(rng.integers(1, 4)), int(rng.integers(0, 5)), int(rng.integers(0, 5)))
                for p in ids
            }
            all_pairs = list(itertools.combinations(ids, 2))
            if shape == "complete":
                pairs = all_pairs
            elif shape in ("empty", "one", "no_ties"):
                pairs = []
            else:
                p_tie = 0.15 if shape == "isolates" else rng.random()
                pairs = [pr for pr in all_pairs if rng.random() < p_tie]
            if rng.random() < 0.5:  # either orientation is a valid tie
                pairs = [(b, a) for a, b in pairs]
            cohort.add(client, s, people, pairs)
    return cohort


def reference(G: nx.Graph) -> dict[str, float]:
    """Every metric column computed directly from the snapshot graph with networkx."""
    H = G.subgraph(n for n in G if n != names.EGO)
    states = [G.edges[names.EGO, p] for p in H]
    return {
        "n_people": len(H),
        "n_inner": sum(d["ring"] == 1 for d in states),
        "closeness_sum": sum(4 - d["ring"] for d in states),
        "conflict_sum": sum(d["conflict"] for d in states),
        "support_sum": sum(d["support"] for d in states),
        "n_conflictual": sum(d["conflict"] >= 3 for d in states),
        "n_ambivalent": sum(d["ring"] == 1 and d["conflict"] >= 2 for d in states),
        "density": nx.density(H) if len(H) >= 2 else 0.0,
        "components": nx.number_connected_components(H),
        "isolates": nx.number_of_isolates(H),
        "effective_size": nx.effective_size(G, [names.EGO])[names.EGO],
        "constraint": nx.constraint(G, [names.EGO])[names.EGO],
    }


def assert_close(got: float, want: float, what: str) -> None:
    if math.isnan(want):
        assert math.isnan(got), what
    else:
        assert abs(got - want) <= 1e-9, f"{what}: {got} != {want}"


def assert_matches_networkx(table: pd.DataFrame, graphs: dict[tuple[str, int], nx.Graph]) -> None:
    assert len(table) == len(graphs)
    for row in table.itertuples(index=False):
        ref = reference(graphs[(row.client_id, row.session)])
        for column, want in ref.items():
            assert_close(float(getattr(row, column)), float(want), f"{row[:2]} {column}")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_metric_column_equals_networkx(seed: int) -> None:
    cohort = random_cohort(seed)
    rel, ties, ses = cohort.tables()
    table = cohort_metrics(rel, ties, sessions=ses)
    assert_matches_networkx(table, cohort.graphs)
    # the random cohort really holds the edge cases
    assert (table["n_people"] == 0).any() and (table["n_people"] == 1).any()
    assert ((table["n_people"] >= 3) & (table["density"] == 1.0)).any()
    assert ((table["n_people"] >= 2) & (table["density"] == 0.0)).any()
    assert (table["isolates"] > 0).any()


def test_empty_map_values() -> None:
    cohort = Cohort()
    cohort.add("c", 1, {}, [])
    rel, ties, ses = cohort.tables()
    row = cohort_metrics(rel, ties, sessions=ses).iloc[0]
    assert row["n_people"] == 0 and row["components"] == 0 and row["density"] == 0.0
    assert math.isnan(row["effective_size"]) and math.isnan(row["constraint"])


def test_columns_and_types_follow_the_issue() -> None:
    rel, ties, ses = random_cohort(3, n_clients=3).tables()
    table = cohort_metrics(rel, ties, sessions=ses)
    assert list(table.columns) == SPEC_COLUMNS == list(COLUMNS)
    assert table["n_people"].dtype == np.int64 and table["constraint"].dtype == np.float64
    assert table["added"].dtype == "Int64"
    keys = list(zip(table["client_id"], table["session"], strict=True))
    assert keys == sorted(keys)


def test_rows_only_from_relationships_without_sessions() -> None:
    cohort = random_cohort(4, n_clients=5)
    rel, ties, ses = cohort.tables()
    table = cohort_metrics(rel, ties)
    with_people = {k for k, G in cohort.graphs.items() if G.number_of_nodes() > 1}
    assert set(zip(table["client_id"], table["session"], strict=True)) == with_people


def test_shuffled_rows_give_the_same_table() -> None:
    rel, ties, ses = random_cohort(5, n_clients=10).tables()
    expected = cohort_metrics(rel, ties, sessions=ses)
    shuffled = cohort_metrics(
        rel.sample(frac=1, random_state=1),
        ties.sample(frac=1, random_state=2),
        sessions=ses.sample(frac=1, random_state=3),
    )
    pd.testing.assert_frame_equal(shuffled, expected)


def test_hashed_lookup_gives_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    rel, ties, ses = random_cohort(6, n_clients=10).tables()
    expected = cohort_metrics(rel, ties, sessions=ses)
    monkeypatch.setattr(engine, "DENSE_LIMIT", 0)
    monkeypatch.setattr(engine, "DENSE_PER_ROW", 0)
    idx = engine.index_snapshots(rel, ties, ses)
    assert idx.nodes.index is not None  # the hashed path really ran
    pd.testing.assert_frame_equal(cohort_metrics(rel, ties, sessions=ses), expected)


def test_samples_equal_networkx_and_snapshot_metrics(samples_inv: Inventory) -> None:
    inv = samples_inv
    table = cohort_metrics(inv.relationships, inv.person_ties, sessions=inv.sessions)
    graphs = {}
    for client in inv.client_ids():
        for G in course(inv, client):
            graphs[(client, G.graph["session"])] = G
            one = snapshot_metrics(G)
            row = table[(table["client_id"] == client) & (table["session"] == G.graph["session"])]
            for column in METRIC_COLUMNS:
                assert_close(float(one[column]), float(row[column].iloc[0]), column)
    assert_matches_networkx(table, graphs)


def test_snapshot_metrics_on_a_plain_graph() -> None:
    G = nx.Graph()
    G.add_edge(names.EGO, "a", ring=1, conflict=3, support=2)
    G.add_edge(names.EGO, "b", ring=3, conflict=0, support=4)
    G.add_edge("a", "b")
    got = snapshot_metrics(G)
    want = reference(G)
    assert set(got) == set(METRIC_COLUMNS)
    for column in METRIC_COLUMNS:
        assert_close(float(got[column]), float(want[column]), column)
    assert isinstance(got["n_people"], int) and isinstance(got["constraint"], float)


def test_snapshot_metrics_rejects_bad_graphs() -> None:
    with pytest.raises(ValueError, match="no 'ego' node"):
        snapshot_metrics(nx.Graph([("a", "b")]))
    G = nx.Graph()
    G.add_edge(names.EGO, "a", ring=1)
    with pytest.raises(ValueError, match="lacks conflict, support"):
        snapshot_metrics(G)


def small_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    cohort = Cohort()
    cohort.add("c", 1, {"a": (1, 0, 0), "b": (2, 0, 0), "x": (3, 1, 1)}, [("a", "b")])
    rel, ties, _ = cohort.tables()
    return rel, ties


Change = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r, t: (r.drop(columns="ring"), t), "lacks the column"),
        (lambda r, t: (r.assign(ring=pd.array([1, None, 3], dtype="Int64")), t), "empty cells"),
        (lambda r, t: (r.assign(conflict=[0, 9, 0]), t), "between 0 and 4"),
        (lambda r, t: (pd.concat([r, r.iloc[:1]]), t), "appears twice"),
        (lambda r, t: (r, t.assign(target=["zed"])), "not on the map"),
        (lambda r, t: (r, t.assign(target=["a"])), "themselves"),
        (lambda r, t: (r, pd.concat([t, t.rename(columns={"source": "target",
                                                          "target": "source"})])), "repeat"),
        (lambda r, t: (r, t.assign(session=[7])), "nobody on the map"),
    ],
)  # fmt: skip
def test_bad_tables_are_refused_with_a_clear_error(change: Change, message: str) -> None:
    rel, ties = small_tables()
    bad_rel, bad_ties = change(rel, ties)
    with pytest.raises(ValueError, match=message):
        cohort_metrics(bad_rel, bad_ties)


def test_non_dataframe_input_is_a_type_error() -> None:
    rel, _ = small_tables()
    with pytest.raises(TypeError, match="DataFrame"):
        cohort_metrics(rel, [("c", 1, "a", "b")])


def test_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from ipt_network.network import metrics

    monkeypatch.setattr(metrics, "PROGRESS_MIN", 1)
    rel, ties = small_tables()
    cohort_metrics(rel, ties, progress=True)
    captured = capsys.readouterr()
    assert "metrics" in captured.err and captured.out == ""


def renamed(frame: pd.DataFrame, columns: list[str], rename: Callable[[str], str],
            dtype: str = "string") -> pd.DataFrame:  # fmt: skip
    out = frame.copy()
    for c in columns:
        out[c] = pd.Series([rename(v) for v in frame[c]], index=frame.index, dtype=dtype)
    return out


PERSON_IDS: dict[str, Callable[[str], str]] = {
    "mixed lengths": lambda p: p.lstrip("p0") or "zero",  # "1", "12", "zero": hashed
    "long": lambda p: f"person-number-{p}",  # longer than 8 bytes: hashed
    "two-byte letters": lambda p: p.replace("p", "\u00e9"),  # 4 bytes each: packed
    "wide range": lambda p: f"{p}-id-{p[-1]}",  # 8 bytes, last varies: packed, factorised
}


@pytest.mark.parametrize(
    ("setting", "value"), [("LOOKUP_PER_ID", 2**40), ("LOOKUP_LIMIT", 0), ("PACK_MAX", 0)]
)
def test_every_person_id_path_gives_the_same_table(
    setting: str, value: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packed ids through the lookup table, packed ids factorised, ids hashed as strings."""
    cohort = random_cohort(10, n_clients=8)
    rel, ties, ses = cohort.tables()
    expected = cohort_metrics(rel, ties, sessions=ses)
    monkeypatch.setattr(engine, setting, value)
    got = cohort_metrics(rel, ties, sessions=ses)
    pd.testing.assert_frame_equal(got, expected)
    assert_matches_networkx(got, cohort.graphs)


@pytest.mark.parametrize("how", list(PERSON_IDS))
def test_any_form_of_person_id_gives_the_same_table(how: str) -> None:
    rel, ties, ses = random_cohort(7, n_clients=8).tables()
    expected = cohort_metrics(rel, ties, sessions=ses)
    rename = PERSON_IDS[how]
    got = cohort_metrics(
        renamed(rel, ["person_id"], rename),
        renamed(ties, ["source", "target"], rename),
        sessions=ses,
    )
    pd.testing.assert_frame_equal(got, expected)


def test_client_ids_of_mixed_lengths_and_python_strings() -> None:
    rel, ties, ses = random_cohort(8, n_clients=12).tables()
    expected = cohort_metrics(rel, ties, sessions=ses)

    def rename(c: str) -> str:
        return c.replace("client-00", "c")  # "c1" sorts after "c0", before "c10" alike

    frames = [renamed(f, ["client_id"], rename) for f in (rel, ties, ses)]
    got = cohort_metrics(*frames[:2], sessions=frames[2])
    assert list(got["client_id"]) == [rename(c) for c in expected["client_id"]]
    pd.testing.assert_frame_equal(got.drop(columns="client_id"),
                                  expected.drop(columns="client_id"))  # fmt: skip
    python = [renamed(f, [c for c in f if f[c].dtype == "string"], str, "string[python]")
              for f in (rel, ties, ses)]  # fmt: skip
    pd.testing.assert_frame_equal(cohort_metrics(*python[:2], sessions=python[2]), expected)
    categorical = [f.astype({"client_id": "category"}) for f in (rel, ties, ses)]
    got = cohort_metrics(*categorical[:2], sessions=categorical[2])
    pd.testing.assert_frame_equal(got, expected)


def test_chunked_id_columns_give_the_same_table() -> None:
    rel, ties, ses = random_cohort(9, n_clients=6).tables()
    expected = cohort_metrics(rel, ties, sessions=ses)

    def chunked(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        half = len(frame) // 2
        for c in [c for c in frame if frame[c].dtype == "string"]:
            values = pa.array(frame[c].to_numpy(dtype=object), type=pa.large_string())
            parts = pa.chunked_array([values.slice(0, half), values.slice(half)])
            out[c] = pd.Series(pd.arrays.ArrowStringArray(parts), index=frame.index)
        return out

    got = cohort_metrics(chunked(rel), chunked(ties), sessions=chunked(ses))
    pd.testing.assert_frame_equal(got, expected)
