"""Every rule of the contract refuses bad input, naming file, line and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from ipt_network.errors import Failure, ValidationError
from ipt_network.tidy import read_inventory
from ipt_network.validation import validate

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
        ("sessions.csv", "c1,2,2026-02-09,1,", "c1,2,2026-02-09,,", 3, "phq9_1"),
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
