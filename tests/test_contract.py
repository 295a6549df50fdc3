"""The contract is declared once: the store schema and the validation rules come from it.

Every case below is generated from :data:`ipt_network.io.contract.TABLES`, so
a column, range or foreign key added to the contract is covered without a
new test.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from ipt_network.clinical import measures
from ipt_network.clinical.model import CoursePlan
from ipt_network.io import recording
from ipt_network.io.contract import (
    GAD7_ITEMS,
    LSNS6_ITEMS,
    PHQ9_ITEMS,
    TABLES,
    bounds,
    ranged_columns,
    scale,
    vocabularies,
)
from ipt_network.io.store import Store
from ipt_network.io.store._schema import FOREIGN_KEYS, metadata
from ipt_network.io.validation import check
from ipt_network.network.engine import index_snapshots

FKey = tuple[tuple[str, ...], str, tuple[str, ...]]

#: A row of each optional file for the tiny folder (the folder has none of them).
_OPTIONAL = {
    "communication": "client_id,session,person_id,kind,planned,happened,outcome,skill\n"
    "c1,1,p1,role_play,Ask for help,,went_well,clear_request\n",
    "goals": "client_id,session,goal_id,area,goal,status\n"
    "c1,2,g1,role_dispute,Say what I need from Ann,in_progress\n",
    "dispute_work": "client_id,session,person_id,client_expects,person_expects\n"
    "c1,2,p1,Help with the house,More time together\n",
    "transition_work": "client_id,session,old_role,new_role,losses,gains\n"
    "c1,2,Employee,Retired,Colleagues,Time\n",
    "grief_work": "client_id,session,person_id,memories,new_connections\n"
    "c1,2,p3,Summers at the lake,Choir\n",
}


def _contract_keys(*, stored_only: bool) -> dict[str, set[FKey]]:
    return {
        name: {
            (fk.columns, fk.table, fk.ref_columns)
            for fk in table.foreign_keys
            if fk.stored or not stored_only
        }
        for name, table in TABLES.items()
    }


@pytest.fixture
def tiny(tiny_folder: Path) -> dict[str, pd.DataFrame]:
    """The tiny folder (plus one row of each optional file) as string tables, as read from CSV."""
    tables = {
        path.stem: pd.read_csv(path, dtype=str, keep_default_na=False)
        for path in tiny_folder.glob("*.csv")
    }
    for name, text in _OPTIONAL.items():
        tables[name] = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return tables


def test_the_tiny_tables_are_valid(tiny: dict[str, pd.DataFrame]) -> None:
    """The base every case below breaks in one cell is itself valid."""
    assert set(tiny) == set(TABLES)
    assert check(tiny)[1] == []


def test_the_store_declares_the_contracts_stored_foreign_keys(tmp_path: Path) -> None:
    declared = {
        name: {
            (
                tuple(e.parent.name for e in fk.elements),
                fk.referred_table.name,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in metadata.tables[name].foreign_key_constraints
        }
        for name in TABLES
    }
    expected = _contract_keys(stored_only=True)
    assert declared == expected
    # and the SQLite file made from it says the same
    store = Store.create(tmp_path / "s.db")
    try:
        with store.engine.connect() as conn:
            inspector = sa.inspect(conn)
            on_disk = {
                name: {
                    (
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        tuple(fk["referred_columns"]),
                    )
                    for fk in inspector.get_foreign_keys(name)
                }
                for name in TABLES
            }
            keys = {
                name: tuple(inspector.get_pk_constraint(name)["constrained_columns"])
                for name in TABLES
            }
    finally:
        store.close()
    assert on_disk == expected
    assert keys == {n: t.key or ("row_id",) for n, t in TABLES.items()}


def test_foreign_keys_has_no_list_of_its_own() -> None:
    """``FOREIGN_KEYS`` is the contract's stored keys, in the shape SQLAlchemy takes."""
    as_tuples = {
        name: {(tuple(c), t, tuple(r)) for c, t, r in keys} for name, keys in FOREIGN_KEYS.items()
    }
    assert as_tuples == {n: k for n, k in _contract_keys(stored_only=True).items() if k}


def test_only_the_event_person_is_checked_on_import_alone() -> None:
    import_only = {
        (name, fk.columns) for name, t in TABLES.items() for fk in t.foreign_keys if not fk.stored
    }
    assert import_only == {("events", ("client_id", "person_id"))}


def test_every_foreign_key_names_real_columns_and_a_key() -> None:
    for table in TABLES.values():
        for fk in table.foreign_keys:
            ref = TABLES[fk.table]
            assert set(fk.columns) <= set(table.names)
            assert set(fk.ref_columns) <= set(ref.key)
            assert len(fk.columns) == len(fk.ref_columns)
            assert list(TABLES).index(fk.table) < list(TABLES).index(table.name)


def _foreign_key_cases() -> list[tuple[str, int]]:
    return [(name, i) for name, t in TABLES.items() for i in range(len(t.foreign_keys))]


@pytest.mark.parametrize(("name", "k"), _foreign_key_cases())
def test_validation_checks_every_foreign_key(
    tiny: dict[str, pd.DataFrame], name: str, k: int
) -> None:
    """A row naming no row of the referenced table is refused at the key's column."""
    fk = TABLES[name].foreign_keys[k]
    tables = tiny
    tables[name].loc[0, fk.column] = "999" if fk.column == "session" else "nobody"
    _, failures = check(tables)
    hits = [f for f in failures if f.file == f"{name}.csv" and f.row == 2 and f.column == fk.column]
    assert fk.message in {f.message for f in hits}


def _range_cases() -> list[tuple[str, str, int]]:
    out = []
    for table, col in ranged_columns():
        assert col.bounds is not None
        lo, hi = col.bounds
        out += [(table.name, col.name, lo - 1), (table.name, col.name, hi + 1)]
    return out


@pytest.mark.parametrize(("name", "column", "value"), _range_cases())
def test_validation_refuses_a_value_out_of_the_contracts_range(
    tiny: dict[str, pd.DataFrame], name: str, column: str, value: int
) -> None:
    lo, hi = bounds(name, column)
    tables = tiny
    frame = tables[name]
    if column not in frame.columns:
        frame[column] = ""
    frame.loc[0, column] = str(value)
    _, failures = check(tables)
    messages = {
        f.message for f in failures if f.file == f"{name}.csv" and f.row == 2 and f.column == column
    }
    assert f"must be a whole number from {lo} to {hi}" in messages
    # the edge of the range itself is accepted
    frame.loc[0, column] = str(lo if value < lo else hi)
    _, failures = check(tables)
    assert not [f for f in failures if f.column == column and "whole number" in f.message]


def test_every_int_column_but_none_has_a_range() -> None:
    unranged = {(t.name, c.name) for t in TABLES.values() for c in t.columns if c.kind == "int"} - {
        (t.name, c.name) for t, c in ranged_columns()
    }
    assert unranged == set()


@pytest.mark.parametrize(
    ("name", "column"), [(t.name, c.name) for t, c in vocabularies() if c.kind == "choice"]
)
def test_validation_refuses_a_value_outside_the_vocabulary(
    tiny: dict[str, pd.DataFrame], name: str, column: str
) -> None:
    tables = tiny
    frame = tables[name]
    if column not in frame.columns:
        frame[column] = ""
    frame.loc[0, column] = "not_a_value"
    _, failures = check(tables)
    wanted = f"must be one of {', '.join(TABLES[name].column(column).choices)}"
    assert wanted in {f.message for f in failures if f.column == column and f.row == 2}


def test_bounds_and_scale_refuse_what_the_contract_does_not_range() -> None:
    with pytest.raises(KeyError):
        bounds("people", "name")
    with pytest.raises(KeyError):
        scale(("phq9_1", "lsns6_1"))  # 0-3 and 0-5: not one scale


# --------------------------------------------------------------------- the users of the ranges


def test_measures_take_their_scales_from_the_contract() -> None:
    n, hi = scale(PHQ9_ITEMS)
    assert measures.PHQ9_BANDS.maximum == n * hi
    assert measures.GAD7_BANDS.maximum == np.prod(scale(GAD7_ITEMS))
    assert measures.phq9_total([hi] * n) == n * hi
    with pytest.raises(measures.MeasureError):
        measures.phq9_total([hi + 1] + [0] * (n - 1))
    n6, hi6 = scale(LSNS6_ITEMS)
    assert measures.lsns6_scores([hi6] * n6).total == n6 * hi6
    with pytest.raises(measures.MeasureError):
        measures.lsns6_scores([hi6 + 1] + [0] * (n6 - 1))


def test_course_plan_takes_its_range_from_the_contract() -> None:
    lo, hi = bounds("clients", "planned_sessions")
    assert CoursePlan(lo).planned_sessions == lo
    assert CoursePlan(hi).planned_sessions == hi
    for bad in (lo - 1, hi + 1):
        with pytest.raises(ValueError, match=f"from {lo} to {hi}"):
            CoursePlan(bad)


def test_recording_checks_the_contracts_ranges() -> None:
    for column in ("ring", "conflict", "support"):
        lo, hi = bounds("relationships", column)
        assert recording._in_range(hi, "relationships", column) == hi
        assert recording._in_range(hi + 1, "relationships", column) is None
        assert recording._in_range(lo - 1, "relationships", column) is None
        assert recording._range_rule("relationships", column) == f"a whole number from {lo} to {hi}"


@pytest.mark.parametrize("column", ["ring", "conflict", "support"])
def test_the_engine_refuses_what_the_contract_refuses(column: str) -> None:
    lo, hi = bounds("relationships", column)
    rows = pd.DataFrame(
        {
            "client_id": ["c1", "c1"],
            "session": [1, 1],
            "person_id": ["p1", "p2"],
            "ring": [1, 1],
            "conflict": [0, 0],
            "support": [0, 0],
        }
    )
    rows[column] = [lo, hi]
    assert index_snapshots(rows).n_snapshots == 1
    rows[column] = [lo, hi + 1]
    with pytest.raises(ValueError, match=f"between {lo} and {hi}"):
        index_snapshots(rows)
