"""Tests of the change engine: change columns against sets, and the therapist's narrative."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ipt_network.errors import ClientNotFound
from ipt_network.io.inventory import Inventory, empty_table
from ipt_network.network import engine
from ipt_network.network.engine import CHANGE_COLUMNS, index_snapshots, session_changes
from ipt_network.views.changes import course_verdict, describe_changes

Maps = dict[tuple[str, int], dict[str, int]]  # (client, session) -> person -> ring


def random_maps(seed: int) -> tuple[Maps, pd.DataFrame, pd.DataFrame]:
    """Random courses with churn, ring moves, empty sessions and identical sessions."""
    rng = np.random.default_rng(seed)
    maps: Maps = {}
    for c in range(30):
        people: dict[str, int] = {}
        for s in range(1, int(rng.integers(1, 9)) + 1):
            roll = rng.random()
            if roll < 0.1:
                people = {}
            elif roll < 0.8:
                people = {p: r for p, r in people.items() if rng.random() > 0.2}
                for i in rng.choice(12, size=int(rng.integers(0, 4)), replace=False):
                    people.setdefault(f"p{i}", int(rng.integers(1, 4)))
                people = {p: int(np.clip(r + rng.integers(-1, 2), 1, 3)) for p, r in people.items()}
            maps[(f"c{c:02d}", s)] = dict(people)
    rows = [(c, s, p, r, 0, 0) for (c, s), m in maps.items() for p, r in m.items()]
    rel = pd.DataFrame(
        rows, columns=["client_id", "session", "person_id", "ring", "conflict", "support"]
    )
    ses = pd.DataFrame(list(maps), columns=["client_id", "session"])
    return maps, rel, ses


def direct_changes(maps: Maps) -> dict[tuple[str, int], dict[str, float] | None]:
    """The change columns by plain set arithmetic on consecutive sessions."""
    out: dict[tuple[str, int], dict[str, float] | None] = {}
    for (client, session), now in sorted(maps.items()):
        before = maps.get((client, session - 1))
        if before is None:
            out[(client, session)] = None
            continue
        kept = now.keys() & before.keys()
        union = now.keys() | before.keys()
        out[(client, session)] = {
            "added": len(now.keys() - before.keys()),
            "lost": len(before.keys() - now.keys()),
            "kept": len(kept),
            "jaccard": len(kept) / len(union) if union else 1.0,
            "moved_in": sum(now[p] < before[p] for p in kept),
            "moved_out": sum(now[p] > before[p] for p in kept),
        }
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_change_columns_equal_direct_set_computation(seed: int) -> None:
    maps, rel, ses = random_maps(seed)
    table = session_changes(rel, ses)
    expected = direct_changes(maps)
    assert len(table) == len(expected)
    for row in table.itertuples(index=False):
        want = expected[(row.client_id, row.session)]
        if want is None:
            assert all(pd.isna(getattr(row, c)) for c in CHANGE_COLUMNS)
            continue
        for column, value in want.items():
            assert math.isclose(float(getattr(row, column)), value, abs_tol=1e-12), column
    # the data really hold the cases the definitions single out
    both_empty = [k for k, v in expected.items() if v and v["jaccard"] == 1.0 and not maps[k]]
    assert both_empty, "no pair of empty sessions in the sample"


def test_previous_session_is_the_previous_listed_one() -> None:
    rel = pd.DataFrame(
        {"client_id": ["a", "a", "b"], "session": [1, 4, 2], "person_id": ["x", "x", "x"],
         "ring": [3, 1, 2], "conflict": [0, 0, 0], "support": [0, 0, 0]}
    )  # fmt: skip
    table = session_changes(rel)
    assert list(table["client_id"]) == ["a", "a", "b"]
    second = table.iloc[1]
    assert (second["kept"], second["moved_in"], second["added"]) == (1, 1, 0)
    assert pd.isna(table.iloc[2]["kept"])  # client b's first session


def test_index_orders_snapshots_by_client_then_session() -> None:
    _, rel, ses = random_maps(5)
    idx = index_snapshots(rel.sample(frac=1, random_state=0), sessions=ses)
    keys = list(zip(idx.client_ids[idx.snap_client], idx.snap_session, strict=True))
    assert keys == sorted(keys) and len(keys) == len(ses)


# --------------------------------------------------------------------------- narrative


def inventory(states: dict[int, list[tuple[str, int, int]]]) -> Inventory:
    """One client 'k1' with people Ann (a), Bob (b), Cat (c); states: session -> rows."""
    rel = [
        ("k1", s, p, ring, conflict, 2) for s, rows in states.items() for p, ring, conflict in rows
    ]
    tables = {
        "clients": pd.DataFrame({"client_id": ["k1"], "label": ["K"], "planned_sessions": [16],
                                 "onset_date": [None], "focus": [None]}),
        "sessions": pd.DataFrame({"client_id": "k1", "session": list(states),
                                  "date": [f"2024-01-{s:02d}" for s in states]}),
        "people": pd.DataFrame({"client_id": "k1", "person_id": ["a", "b", "c"],
                                "name": ["Ann", "Bob", "Cat"], "role": "friend",
                                "deceased_date": None}),
        "relationships": pd.DataFrame(rel, columns=["client_id", "session", "person_id", "ring",
                                                    "conflict", "support"]),
    }  # fmt: skip
    typed = {}
    for name, frame in tables.items():
        template = empty_table(name)
        for column in template.columns:
            if column not in frame:
                frame[column] = None
        typed[name] = frame[list(template.columns)].astype(template.dtypes.to_dict())
    return Inventory.from_tables(typed)


def test_narrative_names_joins_leaves_moves_and_conflict() -> None:
    inv = inventory(
        {
            1: [("a", 2, 1), ("b", 3, 0)],
            2: [("a", 1, 3), ("c", 3, 0)],
            3: [("a", 1, 3), ("c", 3, 0)],
        }
    )
    lines = describe_changes(inv, "k1")
    assert len(lines) == 4
    assert lines[0] == "Session 1: the map starts with 2 people (0 inner, 1 middle, 1 outer)."
    assert "Cat joins the map in the outer circle" in lines[1]
    assert "Bob is no longer on the map" in lines[1]
    assert "Ann moved closer, from the middle circle to the inner circle" in lines[1]
    assert "conflict with Ann rose from 1 to 3" in lines[1]
    assert lines[2] == "Session 3: no change to the map."
    assert lines[3] == course_verdict(inv, "k1")


@pytest.mark.parametrize(
    ("last", "word"),
    [
        ([("a", 2, 0), ("b", 3, 0), ("c", 1, 0)], "grew from 2 to 3"),
        ([("a", 2, 0), ("b", 3, 2)], "held at 2"),
        ([("a", 3, 0)], "thinned from 2 to 1"),
    ],
)
def test_verdict_says_grow_hold_or_thin_and_where(last: list[tuple[str, int, int]],
                                                  word: str) -> None:  # fmt: skip
    inv = inventory({1: [("a", 2, 0), ("b", 3, 0)], 2: last})
    verdict = course_verdict(inv, "k1")
    assert word in verdict and verdict.startswith("Over the course (sessions 1 to 2)")
    if word.startswith("held"):
        assert "every circle the same size" in verdict and "rose from 0 to 2" in verdict
    if word.startswith("thinned"):
        assert "middle circle 1 to 0" in verdict


def test_empty_first_session_is_described() -> None:
    inv = inventory({1: [], 2: [("a", 1, 0)]})
    lines = describe_changes(inv, "k1")
    assert lines[0] == "Session 1: nobody is on the map yet."
    assert "Ann joins the map in the inner circle" in lines[1]


def test_every_sample_client_gets_one_line_per_session_and_a_verdict(
    samples_inv: Inventory,
) -> None:
    inv = samples_inv
    for client in inv.client_ids():
        lines = describe_changes(inv, client)
        assert len(lines) == len(inv.sessions_of(client)) + 1
        assert lines[-1].startswith("Over the course")


def test_unknown_client_raises(samples_inv: Inventory) -> None:
    with pytest.raises(ClientNotFound):
        describe_changes(samples_inv, "nobody-99")


# --------------------------------------------------------------------------- id fast paths


def same_partition(codes: np.ndarray, values: list[str]) -> bool:
    """Codes equal exactly where the values are equal."""
    pairs = set(zip(codes.tolist(), values, strict=True))
    return len(pairs) == len(set(values)) == len({c for c, _ in pairs})


@pytest.mark.parametrize("width", range(9))
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_packed_ids_are_equal_exactly_when_the_strings_are(width: int, kind: pa.DataType) -> None:
    rng = np.random.default_rng(width)
    alphabet = list("ab\u00e9") if width % 2 == 0 else list("abc")  # é is two bytes
    values: list[str] = []
    while len(values) < 50:
        text = "".join(rng.choice(alphabet, size=width))
        if len(text.encode()) == width:
            values.append(text)
    arr = pa.array(values, type=kind)
    for part in (arr, arr.slice(7), arr.slice(3, 5), arr.slice(49)):  # offsets and buffer tails
        packed = engine._packed([part])
        assert packed is not None
        assert same_partition(packed[0], part.to_pylist())
    both = engine._packed([arr.slice(0, 20), pa.array(values[20:], type=pa.large_string())])
    assert both is not None and same_partition(np.concatenate(both), values)


@pytest.mark.parametrize(
    "arrays",
    [
        [pa.array(["p1", "p10"])],  # mixed lengths
        [pa.array(["p01"]), pa.array(["p001"])],  # one length per array, not the same
        [pa.array(["person-0001", "person-0002"])],  # longer than PACK_MAX bytes
        [pa.array(["ab", None])],  # a missing value
        [pa.array([b"ab", b"cd"])],  # not strings
    ],
)
def test_packing_falls_back_for_other_ids(arrays: list[pa.Array]) -> None:
    assert engine._packed(arrays) is None


@pytest.mark.parametrize(
    "ids",
    [
        ["p01", "p02", "p17", "p01", "p17", "p03", "a00", "p99"],  # packed, lookup table
        ["p1", "p10", "p2", "p1", "p2", "p3"],  # mixed lengths: hashed as strings
        ["someone-long-1", "someone-long-2", "someone-long-1", "someone-long-3"],  # long
    ],
)
@pytest.mark.parametrize("lookup", [True, False])
def test_person_codes_number_equal_ids_alike(
    ids: list[str], lookup: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if lookup:  # packed ids through the lookup table, however few
        monkeypatch.setattr(engine, "LOOKUP_PER_ID", 2**40)
    else:  # packed ids factorised
        monkeypatch.setattr(engine, "LOOKUP_LIMIT", 0)
    (first, second), n = engine._person_codes([pa.array(ids[:3]), pa.array(ids[3:])])
    codes = np.concatenate([first, second])
    assert codes.min() >= 0 and codes.max() < n
    known = set(ids[:3])
    # ids of the first array: one code each, shared by their repeats in the other arrays
    assert same_partition(codes[[i for i, p in enumerate(ids) if p in known]],
                          [p for p in ids if p in known])  # fmt: skip
    # ids the first array lacks never take the code of one it holds
    assert not set(codes[[i for i, p in enumerate(ids) if p not in known]]) & set(first.tolist())


def test_runs_follow_consecutive_client_and_session() -> None:
    for clients in (["a", "a", "b", "a", "a"], ["a", "a", "bb", "a", "a"]):  # packed, strings
        runs = engine._runs(pa.array(clients), np.array([1, 1, 1, 1, 2], dtype=np.int64))
        assert runs.clients.to_pylist() == ["a", clients[2], "a"]
        assert runs.client_of_run.tolist() == [0, 1, 2, 2]
        assert runs.session.tolist() == [1, 1, 1, 2] and runs.length.tolist() == [2, 1, 1, 1]


@pytest.mark.parametrize("block", [1, 2, 3, 1 << 18])
def test_length_check_looks_at_every_block(block: int) -> None:
    offsets = np.arange(0, 3 * 8, 3, dtype=np.int64)  # seven strings of three bytes
    assert engine._all_lengths(offsets, 3, block=block)
    for i in range(1, len(offsets)):
        wrong = offsets.copy()
        wrong[i:] += 1  # string i - 1 is four bytes long
        assert not engine._all_lengths(wrong, 3, block=block)
