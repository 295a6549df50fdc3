"""Every rule of the contract refuses bad input, naming file, line and column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from ipt_network.errors import Failure, ValidationError
from ipt_network.io import validation
from ipt_network.io.contract import EARLIEST_DATE, MAX_CELL_CHARS, TABLES
from ipt_network.io.tidy import read_inventory
from ipt_network.io.validation import latest_date, validate

Edit = Callable[[str, Callable[[str], str]], Path]


def failures_of(folder: Path) -> list[Failure]:
    with pytest.raises(ValidationError) as info:
        read_inventory(folder)
    return info.value.failures


def test_tiny_folder_is_valid(tiny_folder: Path) -> None:
    inv = read_inventory(tiny_folder)
    assert inv.client_ids() == ["c1", "c2"]
    assert inv.clients["planned_sessions"].tolist() == [12, 16]  # default filled
    assert str(inv.relationships["ring"].dtype) == "Int64"
    assert inv.sessions.loc[2, "phq9_1"] is pd.NA


@pytest.mark.parametrize(
    ("file", "old", "new", "line", "column"),
    [
        ("relationships.csv", "c1,1,p2,2,0,3", "c1,1,p2,7,0,3", 3, "ring"),
        ("relationships.csv", "c1,2,p1,1,2,2", "c1,2,p1,1,-1,2", 5, "conflict"),
        ("relationships.csv", "c1,2,p2,1,0,3", "c1,2,p2,1,0,x", 6, "support"),
        ("sessions.csv", "c1,2,2026-02-09,1,", "c1,2,2026-02-09,4,", 3, "phq9_1"),
        ("relationships.csv", "c2,1,p1,3,1,1", "c2,1,p9,3,1,1", 7, "person_id"),
        ("person_ties.csv", "c1,1,p1,p2", "c1,1,p1,p3\nc1,2,p1,p3", 3, "target"),
        ("person_ties.csv", "c1,1,p1,p2", "c1,1,p1,p1", 2, "target"),
        ("person_ties.csv", "c1,2,p2,p1", "c1,1,p2,p1", 3, "target"),
        ("sessions.csv", "c1,2,2026-02-09", "c1,1,2026-02-09", 3, "session"),
        ("sessions.csv", "c1,2,2026-02-09", "c1,2,2026-01-09", 3, "date"),
        ("sessions.csv", "c1,2,2026-02-09", "c1,2,09/02/2026", 3, "date"),
        ("people.csv", "c1,p2,Bo,friend", "c1,p2,Bo,neighbour", 3, "role"),
        ("people.csv", "c1,p2,Bo,friend", "c1,p2,,friend", 3, "name"),
        ("clients.csv", "c1,Client one,12", "c1,Client one,30", 2, "planned_sessions"),
        ("clients.csv", "role_dispute", "grief;grief", 2, "focus"),
        ("clients.csv", "c2,Client two", "c1,Client two", 3, "client_id"),
        ("events.csv", "death,p3", "funeral,p3", 2, "kind"),
        ("events.csv", "death,p3", "death,p8", 2, "person_id"),
    ],
)
def test_bad_value_is_located(
    edit_file: Edit, file: str, old: str, new: str, line: int, column: str
) -> None:
    folder = edit_file(file, lambda text: text.replace(old, new, 1))
    found = failures_of(folder)
    assert (file, line, column) in {(f.file, f.row, f.column) for f in found}, found


def test_eight_phq9_items_is_a_missing_column(edit_file: Edit) -> None:
    def drop_last_item(text: str) -> str:
        rows = [line.rsplit(",", 1)[0] for line in text.strip().split("\n")]
        return "\n".join(rows) + "\n"

    found = failures_of(edit_file("sessions.csv", drop_last_item))
    assert Failure("sessions.csv", None, "phq9_9", "required column is missing") in found


def test_missing_column(edit_file: Edit) -> None:
    def drop_support(text: str) -> str:
        return "\n".join(line.rsplit(",", 1)[0] for line in text.strip().split("\n")) + "\n"

    found = failures_of(edit_file("relationships.csv", drop_support))
    assert [f.column for f in found] == ["support"]


def test_every_failure_is_reported_not_only_the_first(edit_file: Edit) -> None:
    def break_all(text: str) -> str:
        return text.replace(",1,4,1\n", ",9,4,1\n").replace(",1,0,2\n", ",1,0,9\n")

    found = failures_of(edit_file("relationships.csv", break_all))
    assert {(f.row, f.column) for f in found} == {(2, "ring"), (4, "support")}


def test_not_utf8(tiny_folder: Path) -> None:
    (tiny_folder / "people.csv").write_bytes(
        "client_id,person_id,name,role,deceased_date\nc1,p1,Zo\xe9,friend,\n".encode("latin-1")
    )
    found = failures_of(tiny_folder)
    assert found[0].file == "people.csv" and "UTF-8" in found[0].message


def test_ragged_rows(edit_file: Edit) -> None:
    found = failures_of(
        edit_file(
            "relationships.csv",
            lambda t: t.replace("c1,1,p2,2,0,3", "c1,1,p2,2,0,3,5").replace(
                "c2,1,p1,3,1,1", "c2,1,p1,3,1"
            ),
        )
    )
    assert [(f.file, f.row) for f in found] == [("relationships.csv", 3), ("relationships.csv", 7)]
    assert "fields" in found[0].message


def test_empty_file(tiny_folder: Path) -> None:
    (tiny_folder / "events.csv").write_text("", encoding="utf-8")
    found = failures_of(tiny_folder)
    assert [(f.file, f.row) for f in found] == [("events.csv", None)]


def test_missing_file(tiny_folder: Path) -> None:
    (tiny_folder / "people.csv").unlink()
    found = failures_of(tiny_folder)
    assert Failure("people.csv", None, None, "file is missing") in found


def test_unknown_column_is_refused_not_dropped(edit_file: Edit) -> None:
    folder = edit_file(
        "events.csv",
        lambda t: (
            t.replace("description\n", "description,mood\n")
            .replace("\nc1,2025-12-01,death,p3,\n", "\nc1,2025-12-01,death,p3,,low\n")
            .replace("money\n", "money,\n")
        ),
    )
    found = failures_of(folder)
    assert [f.column for f in found] == ["mood"]


def test_messages_hold_no_clinical_values(edit_file: Edit) -> None:
    found = failures_of(
        edit_file("relationships.csv", lambda t: t.replace("c1,1,p1,1,4,1", "c1,1,p1,1,44,1"))
    )
    assert "44" not in str(ValidationError(found))


def test_typed_frames_validate_too(tiny_folder: Path) -> None:
    inv = read_inventory(tiny_folder)
    again = validate(inv)
    for name, frame in inv.items():
        pd.testing.assert_frame_equal(frame, getattr(again, name))


def test_a_refused_item_is_not_also_reported_missing(edit_file: Edit) -> None:
    found = failures_of(
        edit_file("sessions.csv", lambda t: t.replace("c1,2,2026-02-09,1,", "c1,2,2026-02-09,4,"))
    )
    assert [(f.row, f.column) for f in found] == [(3, "phq9_1")]


def test_edges_of_each_rule_are_accepted(edit_file: Edit) -> None:
    # the documented limits themselves pass: the longest cell, the first and last dates,
    # integer literals with spaces, a plus sign or leading zeros, tab and line feed in notes
    edit_file("clients.csv", lambda t: t.replace("Client one", "y" * MAX_CELL_CHARS))
    edit_file("clients.csv", lambda t: t.replace("2026-01-01", EARLIEST_DATE))
    edit_file("sessions.csv", lambda t: t.replace("2026-03-01", latest_date()))
    edit_file("relationships.csv", lambda t: t.replace("c1,1,p2,2,0,3", "c1,1,p2, +2 ,000,03"))
    folder = edit_file(
        "events.csv", lambda t: t.replace("Argument about money", '"Argument\tabout\n money"')
    )
    inv = read_inventory(folder)
    assert len(inv.clients.loc[0, "label"]) == MAX_CELL_CHARS
    assert inv.clients.loc[0, "onset_date"] == EARLIEST_DATE
    assert inv.sessions.loc[2, "date"] == latest_date()
    assert inv.relationships.loc[1, ["ring", "conflict", "support"]].tolist() == [2, 0, 3]
    assert inv.events.loc[1, "description"] == "Argument\tabout\n money"


def test_latest_date_is_a_year_after_today() -> None:
    today = dt.date.today()
    assert dt.date.fromisoformat(latest_date()) - today in (dt.timedelta(365), dt.timedelta(366))


def test_lines_name_physical_lines(edit_file: Edit) -> None:
    # a blank line before the header and a quoted line break push the bad kind to line 6
    folder = edit_file(
        "events.csv",
        lambda t: (
            "\n"
            + t.replace("Argument about money", '"Argument\nabout money"').replace(
                "conflict,p1", "quarrel,p1"
            )
        ),
    )
    assert [(f.row, f.column) for f in failures_of(folder)] == [(4, "kind")]
    folder = edit_file("events.csv", lambda t: t + "\n\nc1,2025-12-21,feud,,\n")
    assert [(f.row, f.column) for f in failures_of(folder)] == [(4, "kind"), (8, "kind")]


def test_plain_frames_still_count_position_plus_two(tiny_folder: Path) -> None:
    tables = {name: getattr(read_inventory(tiny_folder), name) for name in TABLES}
    rel = tables["relationships"].astype(object)
    rel.loc[3, "ring"] = "2.5"
    tables["relationships"] = rel
    with pytest.raises(ValidationError) as info:
        validate(tables)
    assert [(f.row, f.column) for f in info.value.failures] == [(5, "ring")]


def test_typed_numbers_from_python_are_read_by_value(tiny_folder: Path) -> None:
    tables = read_inventory(tiny_folder).tables()
    rel = tables["relationships"]
    tables["relationships"] = rel.assign(ring=rel["ring"].astype("float64"))  # 1.0, 2.0, ...
    assert validate(tables).relationships["ring"].tolist() == rel["ring"].tolist()
    tables["relationships"] = rel.assign(ring=rel["ring"].astype("float64").replace(2.0, 2.5))
    with pytest.raises(ValidationError, match="column ring: must be a whole number from 1 to 3"):
        validate(tables)
    mixed = rel["conflict"].astype(object)
    mixed[0] = float("inf")
    tables["relationships"] = rel.assign(conflict=mixed)
    with pytest.raises(ValidationError, match="line 2, column conflict: must be a whole number"):
        validate(tables)


def test_repeated_column_of_a_frame_is_refused(tiny_folder: Path) -> None:
    tables = read_inventory(tiny_folder).tables()
    people = tables["people"]
    tables["people"] = pd.concat([people, people[["name"]]], axis=1)
    with pytest.raises(ValidationError, match="column name: appears more than once"):
        validate(tables)


def test_lookups_across_files_agree_for_small_and_large_tables(
    edit_file: Edit, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = edit_file(
        "relationships.csv", lambda t: t.replace("c2,1,p1,3,1,1", "c2,1,p9,3,1,1\nc2,2,p1,3,1,1")
    )
    small = failures_of(folder)
    monkeypatch.setattr(validation, "_SMALL_JOIN", 0)
    assert failures_of(folder) == small
    assert {(f.row, f.column) for f in small} == {(7, "person_id"), (8, "session")}
