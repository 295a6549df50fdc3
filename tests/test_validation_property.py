"""Random cells in every column: refused cleanly, or round-tripped faithfully.

For every column of every table of the contract, Hypothesis puts a random
cell (ordinary values, numbers written every way, dates out of range or in
other digits, control characters, huge text, any Unicode) into one row of a
valid tiny folder that holds every column. Reading the folder and importing
it into a store that already holds clients must then either

- refuse with a :class:`~ipt_network.errors.ValidationError`, leaving every
  table of the store as it was, or
- import, and then the exported folder reads back equal to what was imported.

Any other exception fails the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ipt_network import Store, load_samples
from ipt_network.errors import ValidationError
from ipt_network.io.contract import MAX_CELL_CHARS, TABLES, Column
from ipt_network.io.inventory import Inventory
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.io.validation import latest_date, validate

#: Random cells per column (the file runs in under a minute); set
#: IPT_PROPERTY_EXAMPLES higher for a deeper run. A BEL, which every column
#: refuses, is tried first in each column.
EXAMPLES_PER_COLUMN = int(os.environ.get("IPT_PROPERTY_EXAMPLES", "2"))
COLUMNS = [(table.name, col) for table in TABLES.values() for col in table.columns]

# -------------------------------------------------------------------- the folder

#: The client whose first sessions make the tiny folder, and the one already in the store.
CLIENT, KEPT = "deficits-01", "grief-01"


def _tiny() -> Inventory:
    """Two sessions (and one with communication work) of a sample client, every column filled.

    Columns the sample leaves empty get one valid value, so that a cell of
    every column of the contract is in the files.
    """
    inv = load_samples().for_clients([CLIENT])
    firsts = {int(f["session"].min()) for _, f in inv.items() if "session" in f and len(f)}
    keep = {1, 2} | firsts
    tables = {
        name: frame[frame["session"].isin(keep)].reset_index(drop=True)
        if "session" in frame.columns
        else frame.copy()
        for name, frame in inv.items()
    }
    on_map = str(tables["relationships"]["person_id"].iloc[0])
    for table in TABLES.values():
        frame = tables[table.name]
        if frame.empty:  # a record this client has none of: one row at session 1
            ids = {"client_id": CLIENT, "session": 1, "person_id": on_map, "goal_id": "g1"}
            frame = tables[table.name] = pd.DataFrame(
                {c: pd.array([ids.get(c)], dtype=frame[c].dtype) for c in frame.columns}
            )
        for col in table.columns:
            if frame[col.name].notna().any() or col.kind in ("date", "id"):
                continue
            if col.kind == "int":
                value: object = col.bounds[0] if col.bounds else 0
            elif col.kind == "bool":
                value = True
            elif col.kind in ("choice", "areas"):
                value = col.choices[0]
            else:
                value = "a note"
            frame[col.name] = pd.Series(value, index=frame.index).astype(frame[col.name].dtype)
    return validate(tables)


def _records(folder: Path) -> dict[str, list[list[str]]]:
    out = {}
    for table in TABLES.values():
        with open(folder / table.file, encoding="utf-8", newline="") as handle:
            out[table.name] = list(csv.reader(handle))
    return out


def _write_records(folder: Path, records: dict[str, list[list[str]]]) -> None:
    for name, rows in records.items():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (folder / TABLES[name].file).write_text(buffer.getvalue(), encoding="utf-8", newline="")


# -------------------------------------------------------------------- the cells

DIGITS = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
NASTY = [
    "",
    " ",
    "inf",
    "-Infinity",
    "1e309",
    "NaN",
    "nan",
    "None",
    "NA",
    "null",
    "2.9999999999999999",
    "3.0",
    "+1",
    " 2 ",
    "007",
    "-0",
    "0x1",
    "1_0",
    "\u0663",
    "\uff13",  # fullwidth 3
    "0000-01-01",
    "9999-12-31",
    "2026-02-30",
    "1899-12-31",
    "1900-01-01",
    latest_date(),
    "2026-1-5",
    "2026-01-05T00:00",
    "true",
    "FALSE",
    "yes",
    "grief;grief",
    "grief; role_dispute",
    "grief;role_dispute;role_transition",
    "=1+1",
    '"',
    ",",
    "a,b",
    "\n",
    "\r",
    "\r\n",
    "x\ry",
    "x\r\ny",
    "\ufeff",
    "\u2028",
    "\x00",
    "\x85",
    "c1",
    "c2",
    "p1",
    "p3",
    "ego",
]


def _ints(col: Column) -> st.SearchStrategy[str]:
    lo, hi = col.bounds or (0, 9)
    number = st.integers(lo - 2, hi + 2)
    return st.builds(
        lambda pad, sign, zeros, n: f"{pad}{sign if n >= 0 else ''}{'0' * zeros}{n}{pad}",
        st.sampled_from(["", " "]),
        st.sampled_from(["", "+"]),
        st.integers(0, 2),
        number,
    ) | st.floats(allow_nan=True, allow_infinity=True).map(repr)


def _dates() -> st.SearchStrategy[str]:
    day = st.dates(dt.date(1890, 1, 1), dt.date(2035, 12, 31)).map(dt.date.isoformat)
    return day | day.map(lambda d: d.translate(DIGITS))


def _valid(col: Column) -> st.SearchStrategy[str]:
    """Cells of the column's kind, mostly valid."""
    words = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=12)
    if col.kind == "int":
        return _ints(col)
    if col.kind == "date":
        return _dates()
    if col.kind == "bool":
        return st.sampled_from(["true", "false", "True", "1", "0", "yes", "no", "maybe"])
    if col.kind in ("choice", "areas"):
        one = st.sampled_from(col.choices)
        if col.kind == "areas":
            return st.lists(one, min_size=1, max_size=3).map(";".join)
        return one | one.map(str.upper)
    if col.kind == "id":
        return st.sampled_from(["c1", "c2", "p1", "p2", "p3", " c1 ", "ego"]) | words
    if col.multiline:
        return st.lists(words, min_size=1, max_size=3).flatmap(
            lambda parts: st.sampled_from(["\n", "\t", "\r\n", " "]).map(
                lambda sep: sep.join(parts)
            )
        )
    return words


def cells(col: Column) -> st.SearchStrategy[str]:
    """Random cells for one column: its own kind of values, and every kind of trouble."""
    return st.one_of(
        _valid(col),
        _valid(col),
        st.sampled_from(NASTY),
        st.text(st.characters(codec="utf-8"), max_size=16),  # control characters included
        st.text(st.characters(categories=["Cc"]), min_size=1, max_size=3).flatmap(
            lambda bad: _valid(col).map(lambda good: good[:3] + bad + good[3:])
        ),
        st.sampled_from([MAX_CELL_CHARS, MAX_CELL_CHARS + 1, 131_073]).map(lambda n: "Z" * n),
    )


# -------------------------------------------------------------------- the check


def _dump(db: Path) -> list[str]:
    """Every table of the store, schema and rows, as SQL text."""
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


def _sorted(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    order = list(TABLES[name].key) or list(frame.columns)
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def assert_same(left: Inventory, right: Inventory) -> None:
    """The same tables, row order aside, dtypes included."""
    for name, frame in left.items():
        pd.testing.assert_frame_equal(
            _sorted(frame, name), _sorted(getattr(right, name), name), obj=name
        )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[str]]]:
    """The records (header first) of each file of the valid tiny folder."""
    folder = tmp_path_factory.mktemp("tiny")
    write_inventory(_tiny(), folder)
    records = _records(folder)
    assert all(len(records[t.name][0]) == len(t.columns) for t in TABLES.values())
    return records


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, samples_once: Inventory
) -> Iterator[tuple[Store, Path]]:
    """A store that already holds a client (another sample client)."""
    db = tmp_path_factory.mktemp("store") / "store.db"
    opened = Store.create(db)
    opened.import_inventory(samples_once.for_clients([KEPT]))
    yield opened, db
    opened.close()


def refused_or_round_tripped(
    records: dict[str, list[list[str]]], store: Store, db: Path, workdir: Path
) -> str:
    """Import the folder; on refusal the store is unchanged, else the export reads back the same."""
    folder, out = workdir / "in", workdir / "out"
    folder.mkdir()
    _write_records(folder, records)
    before = _dump(db)
    try:
        imported = read_inventory(folder)
    except ValidationError as err:
        assert err.failures
        assert _dump(db) == before
        return "refused"
    store.import_inventory(imported, replace=True)  # accepted once, accepted again
    write_inventory(store.inventory(imported.client_ids()), out)
    assert_same(read_inventory(out), imported)
    return "imported"


SETTINGS = settings(
    max_examples=EXAMPLES_PER_COLUMN,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)


def test_the_tiny_folder_round_trips(
    tiny: dict[str, list[list[str]]], store: tuple[Store, Path], tmp_path: Path
) -> None:
    # a valid cell in every column, imported and read back
    assert refused_or_round_tripped(tiny, *store, tmp_path) == "imported"


@pytest.mark.parametrize(("table", "col"), COLUMNS, ids=[f"{t}.{c.name}" for t, c in COLUMNS])
def test_a_random_cell_is_refused_or_round_trips(
    table: str,
    col: Column,
    tiny: dict[str, list[list[str]]],
    store: tuple[Store, Path],
) -> None:
    rows = tiny[table]
    position = rows[0].index(col.name)
    outcomes: list[str] = []

    @SETTINGS
    @given(cell=cells(col), row=st.integers(1, len(rows) - 1))
    @example(cell="\x07", row=1)
    def one(cell: str, row: int) -> None:
        records = {name: [list(r) for r in recs] for name, recs in tiny.items()}
        records[table][row][position] = cell
        with tempfile.TemporaryDirectory() as tmp:
            outcomes.append(refused_or_round_tripped(records, *store, Path(tmp)))

    one()
    assert len(outcomes) >= 1 + min(EXAMPLES_PER_COLUMN, 2)
    assert outcomes[0] == "refused"  # the BEL
