"""The read model of one client's course: its records, its agreement with the cohort
engine, set arithmetic for any two sessions, and the memo that builds it once."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ipt_network.clinical import course as course_module
from ipt_network.clinical.course import (
    Change,
    ChangeKind,
    ClientCourse,
    PersonState,
    compare,
    course_of,
)
from ipt_network.clinical.measures import measure_table
from ipt_network.clinical.safety import safety_flag
from ipt_network.errors import ClientNotFound, SessionNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import read_inventory
from ipt_network.network.engine import session_changes

_ENGINE_COLUMNS = {
    ChangeKind.JOINED: "added",
    ChangeKind.LEFT: "lost",
    ChangeKind.MOVED_IN: "moved_in",
    ChangeKind.MOVED_OUT: "moved_out",
}


@pytest.fixture(scope="module")
def samples(samples_once: Inventory) -> Inventory:
    return samples_once


@pytest.fixture(scope="module")
def cohort() -> Inventory:
    return synthesize(30, seed=11)


def _courses(inventory: Inventory) -> Iterator[ClientCourse]:
    for client_id in inventory.client_ids():
        yield course_of(inventory, client_id)


def _table_states(inventory: Inventory, client_id: str, session: int) -> dict[str, tuple[int, int]]:
    """(ring, conflict) per person at one session, read straight from the table."""
    r = inventory.relationships
    rows = r[(r["client_id"] == client_id) & (r["session"] == session)]
    return {
        str(p): (int(ring), int(c))
        for p, ring, c in zip(rows["person_id"], rows["ring"], rows["conflict"], strict=True)
    }


def _table_ties(inventory: Inventory, client_id: str, session: int) -> set[frozenset[str]]:
    t = inventory.person_ties
    rows = t[(t["client_id"] == client_id) & (t["session"] == session)]
    return {
        frozenset((str(a), str(b))) for a, b in zip(rows["source"], rows["target"], strict=True)
    }


# --------------------------------------------------------------------------- the records


def test_records_hold_the_tables_of_one_client(samples: Inventory) -> None:
    c = course_of(samples, "grief-01")
    assert c.client_id == "grief-01" and c.tables.client_ids() == ["grief-01"]
    assert list(c.sessions) == samples.sessions_of("grief-01")
    assert set(c.states) == set(c.sessions) == set(c.ties) == set(c.dates)
    assert c.labels["p01"] == "Frank" and c.labels_with_role["p01"] == "Frank (partner)"
    assert [p.person_id for p in c.people] == list(c.labels)
    assert str(c.onset) == "2025-02-24"
    for s in c.sessions:
        table = _table_states(samples, "grief-01", s)
        assert {p: (st.ring, st.conflict) for p, st in c.states[s].items()} == table
        assert list(c.states[s]) == list(table)  # in the table's order
        assert {frozenset(t) for t in c.ties[s]} == _table_ties(samples, "grief-01", s)
    with pytest.raises(TypeError):
        c.states[1]["p01"] = PersonState(1, 0, 0)  # type: ignore[index]


def test_measures_and_flag_are_those_of_the_clinical_modules(samples: Inventory) -> None:
    for c in _courses(samples):
        pd.testing.assert_frame_equal(c.measures, measure_table(samples, c.client_id))
        assert c.flag == safety_flag(samples, c.client_id)
    assert course_of(samples, "grief-01").flag is not None


def test_the_first_session_has_no_changes(samples: Inventory) -> None:
    for c in _courses(samples):
        assert c.changes_at(c.sessions[0]) == ()
        assert all(ch.session in c.sessions[1:] for ch in c.changes)
        assert c.changes == tuple(ch for s in c.sessions for ch in c.changes_at(s))


def test_unknown_client_and_session_are_refused(samples: Inventory) -> None:
    with pytest.raises(ClientNotFound):
        course_of(samples, "nobody-99")
    c = course_of(samples, "grief-01")
    with pytest.raises(SessionNotFound):
        c.between(1, 999)


def test_compare_names_every_kind_once_in_order() -> None:
    before = {"a": PersonState(2, 1, 0), "b": PersonState(3, 0, 0), "c": PersonState(1, 2, 0)}
    after = {
        "d": PersonState(1, 0, 0),
        "c": PersonState(2, 4, 0),
        "a": PersonState(1, 1, 0),
    }
    changes = compare(
        before, after, session=5, since=2, ties_before=[("a", "b")], ties_after=[("a", "c")]
    )
    assert [(str(c.kind), c.person_id, c.other_id) for c in changes] == [
        ("joined", "d", None),
        ("left", "b", None),
        ("moved_out", "c", None),
        ("moved_in", "a", None),
        ("conflict_changed", "c", None),
        ("tie_added", "a", "c"),
        ("tie_removed", "a", "b"),
    ]
    assert all(c.session == 5 and c.since == 2 for c in changes)
    conflict = changes[4]
    assert (conflict.ring_before, conflict.ring_after) == (1, 2)
    assert (conflict.conflict_before, conflict.conflict_after, conflict.conflict_delta) == (2, 4, 2)
    assert changes[0].ring_before is None and changes[0].conflict_delta == 0
    assert compare(after, after) == ()


# --------------------------------------------------------------------------- the engine agrees


def _counts(c: ClientCourse, session: int) -> dict[str, int]:
    kinds = Counter(ch.kind for ch in c.changes_at(session))
    return {column: kinds[kind] for kind, column in _ENGINE_COLUMNS.items()}


@pytest.mark.parametrize("which", ["samples", "cohort"])
def test_change_records_count_what_the_cohort_engine_counts(
    which: str, request: pytest.FixtureRequest
) -> None:
    inventory: Inventory = request.getfixturevalue(which)
    engine = session_changes(inventory.relationships, inventory.sessions)
    rows = {(str(r.client_id), int(r.session)): r for r in engine.itertuples(index=False)}
    checked = 0
    for c in _courses(inventory):
        for i, s in enumerate(c.sessions):
            row = rows[(c.client_id, s)]
            if i == 0:
                assert all(pd.isna(getattr(row, col)) for col in _ENGINE_COLUMNS.values())
                continue
            assert _counts(c, s) == {
                col: int(getattr(row, col)) for col in _ENGINE_COLUMNS.values()
            }
            checked += 1
    assert checked > (10 if which == "samples" else 100)
    assert len(rows) == sum(len(c.sessions) for c in _courses(inventory))


# --------------------------------------------------------------------------- any two sessions


def _by_kind(changes: tuple[Change, ...]) -> dict[ChangeKind, set[str | frozenset[str]]]:
    out: dict[ChangeKind, set[str | frozenset[str]]] = {k: set() for k in ChangeKind}
    for ch in changes:
        if ch.other_id is None:
            out[ch.kind].add(ch.person_id)
        else:
            out[ch.kind].add(frozenset((ch.person_id, ch.other_id)))
    return out


@pytest.mark.parametrize("which", ["samples", "cohort"])
def test_between_any_two_sessions_is_set_arithmetic(
    which: str, request: pytest.FixtureRequest
) -> None:
    inventory: Inventory = request.getfixturevalue(which)
    pairs = 0
    for c in itertools.islice(_courses(inventory), 12):
        for a, b in itertools.permutations(c.sessions[:6], 2):
            x = _table_states(inventory, c.client_id, a)
            y = _table_states(inventory, c.client_id, b)
            both = x.keys() & y.keys()
            expected: dict[ChangeKind, set[str | frozenset[str]]] = {
                ChangeKind.JOINED: set(y.keys() - x.keys()),
                ChangeKind.LEFT: set(x.keys() - y.keys()),
                ChangeKind.MOVED_IN: {p for p in both if y[p][0] < x[p][0]},
                ChangeKind.MOVED_OUT: {p for p in both if y[p][0] > x[p][0]},
                ChangeKind.CONFLICT_CHANGED: {p for p in both if y[p][1] != x[p][1]},
                ChangeKind.TIE_ADDED: set(
                    _table_ties(inventory, c.client_id, b) - _table_ties(inventory, c.client_id, a)
                ),
                ChangeKind.TIE_REMOVED: set(
                    _table_ties(inventory, c.client_id, a) - _table_ties(inventory, c.client_id, b)
                ),
            }
            changes = c.between(a, b)
            assert _by_kind(changes) == expected
            assert len(changes) == sum(len(v) for v in expected.values())  # no repeats
            assert all(ch.session == b and ch.since == a for ch in changes)
            pairs += 1
    assert pairs > 20


def test_between_neighbours_is_the_change_of_that_session(samples: Inventory) -> None:
    for c in _courses(samples):
        for a, b in itertools.pairwise(c.sessions):
            assert c.between(a, b) == c.changes_at(b)


# --------------------------------------------------------------------------- the memo


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the courses built, by client."""
    counts: Counter[str] = Counter()
    build = course_module._build

    def counting(inventory: Inventory, client_id: str) -> ClientCourse:
        counts[client_id] += 1
        return build(inventory, client_id)

    monkeypatch.setattr(course_module, "_build", counting)
    return counts


def test_every_view_of_one_inventory_builds_the_course_once(
    builds: Counter[str], samples_inv: Inventory
) -> None:
    from ipt_network.clinical.communication import communication_lines
    from ipt_network.clinical.problem_areas import rank_problem_areas
    from ipt_network.views.changes import course_verdict, describe_changes
    from ipt_network.views.overview import person_history
    from ipt_network.views.report import render_report
    from ipt_network.views.summary import client_summary
    from ipt_network.views.timeline import timeline

    inv = samples_inv
    describe_changes(inv, "grief-01")
    course_verdict(inv, "grief-01")
    timeline(inv, "grief-01")
    client_summary(inv, "grief-01")
    person_history(inv, "grief-01", "p01")
    rank_problem_areas(inv, "grief-01")
    communication_lines(inv, "grief-01")
    render_report(inv, "grief-01", audience="clinician")
    assert builds == {"grief-01": 1}
    describe_changes(inv, "dispute-01")
    assert builds == {"grief-01": 1, "dispute-01": 1}
    # the client's own tables find the same course
    c = course_of(inv, "grief-01")
    assert course_of(c.tables, "grief-01") is c
    # another inventory object is read afresh
    describe_changes(Inventory(**inv.tables()), "grief-01")
    assert builds["grief-01"] == 2


def test_a_failed_build_is_not_remembered(builds: Counter[str], samples_inv: Inventory) -> None:
    inv = samples_inv
    for _ in range(2):
        with pytest.raises(ClientNotFound):
            course_of(inv, "nobody-99")
    assert builds["nobody-99"] == 2


def test_a_tie_written_the_other_way_round_is_the_same_tie(tiny_folder: Path) -> None:
    inv = read_inventory(tiny_folder)  # c1 ties p1-p2 at session 1 and p2-p1 at session 2
    c = course_of(inv, "c1")
    assert c.ties[1] == c.ties[2] == (("p1", "p2"),)
    assert not [ch for ch in c.changes if ch.kind in (ChangeKind.TIE_ADDED, ChangeKind.TIE_REMOVED)]
