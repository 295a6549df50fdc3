"""Every bad input is refused cleanly through the real command line (issue 8, part 3).

Each case breaks one file of the tiny folder and runs ``ipt-network import``
into a store that already holds a client. The import must exit with code 1,
print no traceback, name the file, the physical line (quoted line breaks and
blank lines counted) and the column, never echo the bad value, and leave
every table of the store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipt_network import Store
from ipt_network.cli import main
from ipt_network.errors import Failure
from ipt_network.io.contract import MAX_CELL_CHARS
from ipt_network.io.validation import latest_date


@dataclass(frozen=True)
class Change:
    """How to break one file of the folder: ``make(folder, monkeypatch)``."""

    file: str
    make: Callable[[Path, pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, and where in its file the refusal must point."""

    change: Change
    line: int | None
    column: str | None
    says: str

    @property
    def where(self) -> str:
        """The start of the failure's sentence: file, line and column."""
        return str(Failure(self.change.file, self.line, self.column, "")).rstrip()


def replace(file: str, old: str, new: str) -> Change:
    """Replace the first ``old`` in ``file`` (which must hold it) by ``new``."""

    def change(folder: Path, _: pytest.MonkeyPatch) -> None:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, (file, old)
        path.write_bytes(text.replace(old, new, 1).encode("utf-8"))

    return Change(file, change)


def every(file: str, old: str, new: str) -> Change:
    """Replace every ``old`` in ``file`` by ``new``."""

    def change(folder: Path, _: pytest.MonkeyPatch) -> None:
        path = folder / file
        path.write_bytes(path.read_text(encoding="utf-8").replace(old, new).encode("utf-8"))

    return Change(file, change)


def unreadable(file: str) -> Change:
    """Make ``file`` unreadable: no read permission (and, as root, a read that fails alike)."""

    def change(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = folder / file
        path.chmod(0)
        try:
            path.read_bytes()
        except PermissionError:
            return
        # root reads past the mode bits: make the read fail as it does for anyone else
        real = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self.name == file:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)

    return Change(file, change)


def latin1(file: str) -> Change:
    """Save ``file`` as Latin-1, with an accented name on line 3."""

    def change(folder: Path, _: pytest.MonkeyPatch) -> None:
        path = folder / file
        path.write_bytes(path.read_text(encoding="utf-8").replace("Bo", "Zo\xe9").encode("latin-1"))

    return Change(file, change)


def folder_named(file: str) -> Change:
    """Put a folder where ``file`` should be."""

    def change(folder: Path, _: pytest.MonkeyPatch) -> None:
        (folder / file).unlink()
        (folder / file).mkdir()

    return Change(file, change)


def gad7_with_a_blank_on_line_3() -> Change:
    """Add the GAD-7 items to sessions.csv, all given except item 4 on line 3.

    (A partly filled PHQ-9 is valid: its item 9 must never be lost.)
    """

    def change(folder: Path, _: pytest.MonkeyPatch) -> None:
        path = folder / "sessions.csv"
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        gad7 = ",".join(f"gad7_{i}" for i in range(1, 8))
        rows = [row + (",1,1,1,,1,1,1" if n == 3 else ",1" * 7) for n, row in enumerate(rows, 2)]
        path.write_text("\n".join([f"{header},{gad7}", *rows]) + "\n", encoding="utf-8")

    return Change("sessions.csv", change)


def whole(low: int, high: int) -> str:
    """The refusal of a cell that is not a whole number in ``[low, high]``."""
    return f"must be a whole number from {low} to {high}"


HUGE = "x" * 131_073  # one more than the csv module's default field limit
ROW = "c1,1,p2,2,0,3"  # relationships.csv line 3
SESSION = "c1,1,2026-02-02,2,2,2,2,2,2,2,2,1"  # sessions.csv line 2
AFTER_LATEST = (dt.date.fromisoformat(latest_date()) + dt.timedelta(days=1)).isoformat()
TOO_LONG = f"is longer than the maximum of {MAX_CELL_CHARS:,} characters"
CONTROL = "must not hold control characters"
RING = whole(1, 3)
DATE = "must be a real date written YYYY-MM-DD"
UNCLOSED = "is never closed"
BARE_CR = "bare carriage return (CR)"
ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)

# The 19 of the issue: 14 that gave tracebacks, then 5 kinds that were accepted.
ISSUE = {
    "huge-name": Case(replace("people.csv", ",Bo,", f",{HUGE},"), 3, "name", TOO_LONG),
    "huge-description": Case(
        replace("events.csv", "Argument about money", f'"{HUGE}\n{HUGE}"'),
        3,
        "description",
        TOO_LONG,
    ),
    "huge-id": Case(
        replace("person_ties.csv", "c1,2,p2,p1", f"c1,2,{HUGE},p1"), 3, "source", TOO_LONG
    ),
    "inf": Case(replace("relationships.csv", ROW, "c1,1,p2,inf,0,3"), 3, "ring", RING),
    "1e309": Case(
        replace("relationships.csv", ROW, "c1,1,p2,2,1e309,3"), 3, "conflict", whole(0, 4)
    ),
    "-Infinity": Case(
        replace("relationships.csv", ROW, "c1,1,p2,2,0,-Infinity"), 3, "support", whole(0, 4)
    ),
    "Infinity-item": Case(
        replace("sessions.csv", SESSION, SESSION[:-1] + "Infinity"), 2, "phq9_9", whole(0, 3)
    ),
    "inf-default-column": Case(
        replace("clients.csv", "c1,Client one,12,", "c1,Client one,inf,"),
        2,
        "planned_sessions",
        whole(8, 24),
    ),
    "bare-CR-file": Case(every("people.csv", "\n", "\r"), 1, "deceased_date", BARE_CR),
    "bare-CR-row": Case(
        replace("relationships.csv", ROW + "\n", ROW + "\r"), 3, "support", BARE_CR
    ),
    "unclosed-quote": Case(replace("people.csv", "c1,p2,Bo,", 'c1,p2,"Bo,'), 3, "name", UNCLOSED),
    "unclosed-quote-last-cell": Case(
        replace("people.csv", "coworker,", 'coworker,"'), 5, "deceased_date", UNCLOSED
    ),
    "permission-denied": Case(
        unreadable("people.csv"), None, None, "cannot be read (Permission denied)"
    ),
    "folder-named-like-a-file": Case(
        folder_named("sessions.csv"), None, None, "is a folder, not a CSV file"
    ),
    "year-0000": Case(replace("sessions.csv", "2026-02-02", "0000-02-02"), 2, "date", DATE),
    "arabic-indic-date": Case(
        replace("clients.csv", "2026-01-01", "2026-01-01".translate(ARABIC_INDIC)),
        2,
        "onset_date",
        DATE,
    ),
    "onset-9999-12-31": Case(
        replace("clients.csv", "2026-01-01", "9999-12-31"), 2, "onset_date", DATE
    ),
    "ring-2.9999999999999999": Case(
        replace("relationships.csv", ROW, "c1,1,p2,2.9999999999999999,0,3"), 3, "ring", RING
    ),
    "name-NUL-BEL": Case(replace("people.csv", ",Bo,", ",B\x00o\x07,"), 3, "name", CONTROL),
}

# More of the same kinds, and the edges of each rule.
MORE = {
    "name-BEL": Case(replace("people.csv", ",Cy,", ",C\x07y,"), 4, "name", CONTROL),
    "just-over-the-maximum": Case(
        replace("clients.csv", "Client one", "y" * (MAX_CELL_CHARS + 1)), 2, "label", TOO_LONG
    ),
    "text-after-closing-quote": Case(
        replace("people.csv", "c1,p2,Bo,", 'c1,p2,"Bo"x,'), 3, "name", "has text after the closing"
    ),
    "unclosed-quote-after-quoted-newline": Case(
        replace(
            "events.csv", "Argument about money", '"Argument\nabout money"\nc1,2025-12-21,"move'
        ),
        5,
        "kind",
        UNCLOSED,
    ),
    "bare-CR-in-quoted-cell": Case(
        replace("events.csv", "Argument about money", '"Argument\rabout money"'),
        3,
        "description",
        CONTROL + " other than tab and line feed",
    ),
    "february-30": Case(
        replace("people.csv", "2025-12-01", "2025-02-30"), 4, "deceased_date", DATE
    ),
    "before-1900": Case(
        replace("people.csv", "2025-12-01", "1899-12-31"), 4, "deceased_date", DATE
    ),
    "more-than-a-year-ahead": Case(
        replace("events.csv", "2025-12-20", AFTER_LATEST), 3, "date", DATE
    ),
    "date-with-slashes": Case(replace("events.csv", "2025-12-20", "2025/12/20"), 3, "date", DATE),
    "decimal-point": Case(replace("relationships.csv", ROW, "c1,1,p2,3.0,0,3"), 3, "ring", RING),
    "arabic-indic-digit": Case(
        replace("relationships.csv", ROW, "c1,1,p2,\u0663,0,3"), 3, "ring", RING
    ),
    "underscore-in-number": Case(
        replace("relationships.csv", ROW, "c1,1,p2,0_1,0,3"), 3, "ring", RING
    ),
    "twenty-digit-session": Case(
        replace("person_ties.csv", "c1,2,p2,p1", "c1,99999999999999999999,p2,p1"),
        3,
        "session",
        whole(1, 999),
    ),
    "ESC-in-label": Case(
        replace("clients.csv", "Client one", "Client\x1b[31mone"), 2, "label", CONTROL
    ),
    "tab-in-name": Case(replace("people.csv", ",Bo,", ",B\to,"), 3, "name", CONTROL),
    "DEL-in-client-id": Case(
        replace("events.csv", "c1,2025-12-20", "c1\x7f,2025-12-20"), 3, "client_id", CONTROL
    ),
    "C1-in-person-id": Case(every("people.csv", "c2,p1,", "c2,p\x851,"), 5, "person_id", CONTROL),
    "vertical-tab-in-free-text": Case(
        replace("events.csv", "Argument about", "Argument\x0babout"),
        3,
        "description",
        CONTROL + " other than tab and line feed",
    ),
    "one-GAD-7-item-missing": Case(
        gad7_with_a_blank_on_line_3(),
        3,
        "gad7_4",
        "GAD-7 items must be given all 7 together or not at all",
    ),
    "not-utf8": Case(latin1("people.csv"), 3, None, "is not UTF-8 text"),
    "repeated-header": Case(
        replace("people.csv", "role,deceased_date", "role,role"), 1, "role", "repeats a name"
    ),
}

CASES = {**ISSUE, **MORE}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def dump(db: str) -> list[str]:
    """Every table of the store, schema and rows, as SQL text."""
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


@pytest.fixture
def db(tmp_path: Path, tiny_folder: Path) -> str:
    """A store that already holds two clients, k1 and k2 (the tiny folder under other ids)."""
    kept = tmp_path / "kept"
    kept.mkdir()
    for file in tiny_folder.iterdir():
        text = file.read_text(encoding="utf-8")
        (kept / file.name).write_text(
            text.replace("c1,", "k1,").replace("c2,", "k2,"), encoding="utf-8"
        )
    store = str(tmp_path / "store.db")
    assert run("init", "--db", store)[0] == 0
    code, out = run("import", str(kept), "--db", store)
    assert code == 0, out
    return store


def test_there_are_the_cases_of_the_issue_and_more() -> None:
    assert len(ISSUE) == 19
    assert len(CASES) >= 40


def test_the_unbroken_tiny_folder_imports(db: str, tiny_folder: Path) -> None:
    # so every case below is refused for the one thing it breaks
    code, out = run("import", str(tiny_folder), "--db", db)
    assert code == 0, out
    assert "Imported 2 client(s)" in out


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_refused_cleanly(
    case: Case, db: str, tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(db)
    case.change.make(tiny_folder, monkeypatch)
    code, out = run("import", str(tiny_folder), "--db", db)
    monkeypatch.undo()
    assert code == 1, out
    assert "Traceback" not in out
    assert "nothing was written" in out
    sentence = next((line for line in out.splitlines() if case.where in line), None)
    assert sentence is not None, (case.where, out)
    assert case.says in sentence, out
    # the bad value is never echoed, and no control character reaches the terminal
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in out), repr(out)
    assert "xxxxxxxx" not in out and "yyyyyyyy" not in out
    assert dump(db) == before


def test_lines_are_physical_after_quoted_newlines_and_blank_lines(
    db: str, tiny_folder: Path
) -> None:
    events = tiny_folder / "events.csv"
    events.write_text(
        "client_id,date,kind,person_id,description\n"
        "\n"  # line 2: blank
        'c1,2025-12-01,death,p3,"a note\nover three\nlines"\n'  # lines 3 to 5
        "\n"  # line 6: blank
        "c1,2025-12-20,funeral,p1,\n",  # line 7: record 3
        encoding="utf-8",
    )
    code, out = run("import", str(tiny_folder), "--db", db)
    assert code == 1
    assert "events.csv, line 7, column kind: must be one of" in out


def test_crlf_line_endings_and_quoted_line_breaks_are_read(db: str, tiny_folder: Path) -> None:
    for path in tiny_folder.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    events = tiny_folder / "events.csv"
    events.write_bytes(events.read_bytes().replace(b"Argument about", b'"Argument\r\nabout"'))
    code, out = run("import", str(tiny_folder), "--db", db)
    assert code == 1  # the quoted cell ends before " money"
    assert 'events.csv, line 3, column description: has text after the closing "' in out
    events.write_bytes(events.read_bytes().replace(b'"Argument\r\nabout" money', b'"A\r\nB"'))
    code, out = run("import", str(tiny_folder), "--db", db)
    assert code == 0, out
    store = Store.open(db)
    try:
        assert store.inventory(["c1"]).events["description"].tolist()[1] == "A\nB"
    finally:
        store.close()
