"""Every CSV the project writes neutralises cells a spreadsheet would run (issue 12).

Planted cells (``=HYPERLINK(...)``, ``+1+1``, ``-2+3``, ``@SUM(A1)``, an
already escaped ``'=already``, a note starting with ``-``) go into every id and
free-text column of every table; no written cell may start with a trigger
character unless it is a number, and reading the folder back gives the
planted text again. The metrics CSV and ``problem-areas --all --format csv``
are checked the same way.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ipt_network import Inventory
from ipt_network.cli import main
from ipt_network.cli.analysis import write_table
from ipt_network.io._cells import (
    FORMULA_START,
    neutralise,
    neutralise_frame,
    neutralise_series,
    restore,
    restore_series,
)
from ipt_network.io.contract import TABLES
from ipt_network.io.store import Store
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.io.validation import validate

HYPERLINK = '=HYPERLINK("http://x")'
#: Cells a spreadsheet would run, and cells next to them that it would not.
TEXTS = (
    HYPERLINK,
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "'=already",
    "''-twice",
    "-3",
    "- felt low after the call",
    "it's fine",
)
#: Starts of ids: each id of the samples becomes one of these plus a number.
ID_STARTS = (HYPERLINK, "+1+", "-2+", "@SUM(A1)", "'=already", "-")
#: A cell a spreadsheet may write as a number (left unescaped on purpose).
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _risky(cells: list[str]) -> list[str]:
    """The cells that start with a trigger character and are not numbers."""
    return [c for c in cells if c.startswith(FORMULA_START) and not NUMBER.fullmatch(c)]


def _csv_cells(text: str) -> list[str]:
    return [cell for record in csv.reader(io.StringIO(text)) for cell in record]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=already", "''=already"),
        ("''-twice", "'''-twice"),
        ("-3", "-3"),
        ("-0.5", "-0.5"),
        ("+4", "+4"),
        ("-1e3", "-1e3"),
        ("-", "'-"),
        ("-٣", "'-٣"),  # an Arabic-Indic digit: not a number a spreadsheet reads
        ("- a note", "'- a note"),
        ("'quoted", "'quoted"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_escapes_formulas_and_keeps_numbers(cell: str, written: str) -> None:
    assert neutralise(cell) == written
    assert restore(written) == cell
    series = pd.Series([cell, None], dtype="string")
    assert neutralise_series(series).tolist() == [written, pd.NA]
    assert restore_series(neutralise_series(series)).tolist() == [cell, pd.NA]


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r0.5ex "), max_size=8) | st.text(max_size=8))
def test_restore_undoes_neutralise_and_nothing_written_starts_a_formula(cell: str) -> None:
    written = neutralise(cell)
    assert restore(written) == cell
    assert not _risky([written])


def test_a_cell_escaped_by_a_spreadsheet_reads_back_as_its_text() -> None:
    """The same convention as spreadsheets: ``'=SUM(A1)`` from another tool is ``=SUM(A1)``."""
    assert restore("'=SUM(A1)") == "=SUM(A1)"
    assert restore("'plain") == "'plain"  # only an escape of a trigger is taken off


def _planted(inventory: Inventory) -> Inventory:
    """The tables with every id and free-text cell replaced by a planted one."""
    tables = {name: frame.copy() for name, frame in inventory.items()}
    ids = sorted(
        {
            value
            for name, frame in tables.items()
            for col in TABLES[name].columns
            if col.kind == "id"
            for value in frame[col.name].dropna()
        }
    )
    renamed = {v: f"{ID_STARTS[k % len(ID_STARTS)]}{k}" for k, v in enumerate(ids)}
    for name, frame in tables.items():
        for col in TABLES[name].columns:
            if col.kind == "id":
                frame[col.name] = frame[col.name].map(renamed)
            elif col.kind == "text":
                frame[col.name] = [TEXTS[k % len(TEXTS)] for k in range(len(frame))]
    return validate({n: f.astype(object) for n, f in tables.items()})


@pytest.fixture(scope="module")
def planted(samples_once: Inventory) -> Inventory:
    return _planted(samples_once)


def test_the_planted_inventory_holds_every_planted_cell(planted: Inventory) -> None:
    ids = set(planted.people["person_id"])
    assert any(v.startswith(HYPERLINK) for v in planted.clients["client_id"])
    assert any(NUMBER.fullmatch(v) for v in ids) and any(v.startswith("'=") for v in ids)
    for name, frame in planted.items():
        for col in TABLES[name].columns:
            if col.kind == "text" and len(frame):
                assert set(frame[col.name]) <= set(TEXTS), (name, col.name)
    assert set(planted.relationships["notes"]) == set(TEXTS)


def test_tidy_folder_has_no_formula_cell_and_reads_back_the_same(
    planted: Inventory, tmp_path: Path
) -> None:
    written = write_inventory(planted, tmp_path / "out")
    assert len(written) == sum(1 for n, f in planted.items() if len(f))
    for path in written:
        cells = _csv_cells(path.read_text(encoding="utf-8"))
        assert not _risky(cells), path.name
    people = list(csv.DictReader(io.StringIO((tmp_path / "out" / "people.csv").read_text())))
    assert {row["notes"] for row in people} >= {"'" + HYPERLINK, "''=already", "-3"}
    again = read_inventory(tmp_path / "out")
    for name, frame in planted.items():
        pd.testing.assert_frame_equal(getattr(again, name), frame, check_dtype=False, obj=name)


def test_tidy_numbers_are_written_as_numbers(planted: Inventory, tmp_path: Path) -> None:
    write_inventory(planted, tmp_path)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "relationships.csv").read_text())))
    assert all(row["ring"].isdigit() and row["session"].isdigit() for row in rows)
    numeric_ids = {row["person_id"] for row in rows if NUMBER.fullmatch(row["person_id"])}
    assert numeric_ids and all(v.startswith("-") for v in numeric_ids)  # "-5": no apostrophe


def test_a_researchers_folder_escaped_by_a_spreadsheet_reads_as_its_text(
    tiny_folder: Path,
) -> None:
    """A client id and a description written ``'-c1`` and ``'=SUM(A1)`` by another tool."""
    for target in tiny_folder.glob("*.csv"):
        text = target.read_text(encoding="utf-8").replace("\nc1,", "\n'-c1,")
        target.write_text(text.replace("Argument about money", "'=SUM(A1)"), encoding="utf-8")
    inventory = read_inventory(tiny_folder)
    assert set(inventory.clients["client_id"]) == {"-c1", "c2"}
    assert "=SUM(A1)" in set(inventory.events["description"])


def _store_of(inventory: Inventory, path: Path) -> str:
    with Store.create(str(path)) as store:
        store.import_inventory(inventory)
    return str(path)


@pytest.fixture(scope="module")
def planted_db(planted: Inventory, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _store_of(planted, tmp_path_factory.mktemp("planted") / "planted.db")


def test_metrics_csv_has_no_formula_cell(
    planted_db: str, planted: Inventory, tmp_path: Path
) -> None:
    out = tmp_path / "metrics.csv"
    result = CliRunner().invoke(main, ["metrics", "--db", planted_db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert not _risky(_csv_cells(text))
    written = pd.read_csv(io.StringIO(text), dtype={"client_id": str})
    assert {restore(c) for c in written["client_id"]} == set(planted.clients["client_id"])
    hyperlink = next(c for c in planted.clients["client_id"] if c.startswith(HYPERLINK))
    assert "'" + hyperlink in set(written["client_id"])


def test_write_table_writes_negative_numbers_as_numbers(tmp_path: Path) -> None:
    table = pd.DataFrame({"client_id": ["-2+3", "@x", "c"], "delta": [-3, 0, 2], "r": [-0.5, 1, 2]})
    write_table(table, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text().splitlines() == [
        "client_id,delta,r",
        "'-2+3,-3,-0.5",
        "'@x,0,1.0",
        "c,2,2.0",
    ]
    assert table["client_id"].tolist() == ["-2+3", "@x", "c"]  # the caller's frame is untouched


def test_problem_areas_all_csv_has_no_formula_cell(planted_db: str, planted: Inventory) -> None:
    result = CliRunner().invoke(
        main, ["problem-areas", "--db", planted_db, "--all", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert not _risky([cell for row in rows for cell in row.values()])
    assert {restore(r["client_id"]) for r in rows} == set(planted.clients["client_id"])


def test_neutralise_frame_leaves_numbers_and_missing_cells() -> None:
    frame = pd.DataFrame({"a": ["=1", None, "-1"], "n": [-1, -2, 3], "b": [True, False, None]})
    out = neutralise_frame(frame)
    assert out["a"].fillna("").tolist() == ["'=1", "", "-1"] and out["a"].isna().sum() == 1
    assert out["n"].tolist() == [-1, -2, 3] and out["b"].tolist() == [True, False, None]
    assert frame["a"].fillna("").tolist() == ["=1", "", "-1"]  # the caller's frame is untouched
