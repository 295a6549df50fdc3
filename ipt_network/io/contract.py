"""The tidy inventory contract: which files, which columns, which values.

This module is declarative: it says what a valid tidy inventory folder holds.
:mod:`ipt_network.io.validation` enforces it, :mod:`ipt_network.io.tidy` reads and
writes it, and :mod:`ipt_network.io.store` mirrors it in SQL.

Examples
--------
>>> from ipt_network.io.contract import TABLES
>>> [t.file for t in TABLES.values()][:3]
['clients.csv', 'sessions.csv', 'people.csv']
>>> TABLES["relationships"].column("ring").bounds
(1, 3)
>>> MAX_CELL_CHARS
10000
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from ipt_network.names import (
    COMMUNICATION_KINDS,
    COMMUNICATION_OUTCOMES,
    CONTACT_FREQUENCIES,
    EVENT_KINDS,
    PROBLEM_AREAS,
    ROLES,
)

__all__ = [
    "Column",
    "Table",
    "TABLES",
    "TABLE_ORDER",
    "PHQ9_ITEMS",
    "GAD7_ITEMS",
    "LSNS6_ITEMS",
    "ITEM_GROUPS",
    "TOTAL_COLUMNS",
    "ITEM_COLUMNS",
    "DEFAULT_PLANNED_SESSIONS",
    "MAX_CELL_CHARS",
    "EARLIEST_DATE",
    "YEARS_AHEAD",
]

Kind = Literal["id", "text", "int", "date", "bool", "choice", "areas"]

DEFAULT_PLANNED_SESSIONS: Final = 16
#: The most characters a cell may hold, in any column; a longer cell is refused.
MAX_CELL_CHARS: Final = 10_000
#: The earliest date any date column accepts (ISO ``YYYY-MM-DD``).
EARLIEST_DATE: Final = "1900-01-01"
#: The latest date accepted is this many years after the day of validation.
YEARS_AHEAD: Final = 1


@dataclass(frozen=True)
class Column:
    """One column of a tidy table.

    Parameters
    ----------
    name : str
        Column name in the CSV header and the store.
    kind : {"id", "text", "int", "date", "bool", "choice", "areas"}
        ``id`` is a non-empty string; ``text`` free text (may hold clinical
        detail and is dropped from de-identified exports); ``int`` an integer
        within ``bounds``; ``date`` an ISO ``YYYY-MM-DD`` date; ``bool`` is
        ``true`` or ``false``; ``choice`` one of ``choices``; ``areas`` one or
        two problem areas separated by ``;``.
    required : bool
        The column must be in the header.
    nullable : bool
        A cell may be empty.
    bounds : tuple of int, optional
        Inclusive range for ``int`` columns.
    choices : tuple of str
        Allowed values for ``choice`` columns.
    default : int, optional
        Value used for an empty ``int`` cell.
    identifying : bool
        Names or free text that must not leave in a de-identified export.
    multiline : bool
        Free text that may hold tabs and line breaks (notes, descriptions).
        Every other column refuses all control characters.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    bounds: tuple[int, int] | None = None
    choices: tuple[str, ...] = ()
    default: int | None = None
    identifying: bool = False
    multiline: bool = False


@dataclass(frozen=True)
class Table:
    """One file of the contract.

    Parameters
    ----------
    name : str
        Table name, also the store's table name.
    columns : tuple of Column
        Required columns first, then optional ones, in the order written.
    key : tuple of str
        Columns that identify a row uniquely (empty: no key).
    optional_file : bool
        The folder may leave this file out.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    optional_file: bool = False
    _by_name: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    @property
    def file(self) -> str:
        """The CSV file name, such as ``"people.csv"``."""
        return f"{self.name}.csv"

    @property
    def names(self) -> list[str]:
        """All column names, required then optional."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the columns every file must have."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` when there is none."""
        return self._by_name[name]


def _items(prefix: str, n: int, hi: int) -> tuple[Column, ...]:
    return tuple(
        Column(f"{prefix}_{i}", "int", required=False, nullable=True, bounds=(0, hi))
        for i in range(1, n + 1)
    )


def _free_text(name: str, *, required: bool = True) -> Column:
    """A column of free text: may be empty, may span lines, never leaves de-identified."""
    return Column(name, "text", required=required, nullable=True, identifying=True, multiline=True)


PHQ9_ITEMS: Final = tuple(f"phq9_{i}" for i in range(1, 10))
GAD7_ITEMS: Final = tuple(f"gad7_{i}" for i in range(1, 8))
LSNS6_ITEMS: Final = tuple(f"lsns6_{i}" for i in range(1, 7))
#: Item groups that must be given all together or not at all. The PHQ-9 is not
#: one of them: any of its items may be empty, and item 9 is kept whenever given.
ITEM_GROUPS: Final = {"GAD-7": GAD7_ITEMS, "LSNS-6": LSNS6_ITEMS}
#: Licensed instruments stored as totals only, with their possible range.
TOTAL_COLUMNS: Final = {"hamd17_total": (0, 52), "bdi2_total": (0, 63), "epds_total": (0, 30)}
#: Single items stored on their own, with their possible range: the PHQ-9
#: difficulty item, and the self-harm items of the EPDS (item 10), the BDI-II
#: (item 9) and the HAM-D 17 (item 3), stored as values only, never their text.
ITEM_COLUMNS: Final = {
    "phq9_difficulty": (0, 3),
    "epds_10": (0, 3),
    "bdi2_9": (0, 3),
    "hamd17_3": (0, 4),
}

_CLIENT = Column("client_id", "id")
_SESSION = Column("session", "int", bounds=(1, 999))
_PERSON = Column("person_id", "id")

TABLES: Final[dict[str, Table]] = {
    t.name: t
    for t in (
        Table(
            "clients",
            (
                _CLIENT,
                Column("label", "text", nullable=True, identifying=True),
                Column(
                    "planned_sessions",
                    "int",
                    nullable=True,
                    bounds=(8, 24),
                    default=DEFAULT_PLANNED_SESSIONS,
                ),
                Column("onset_date", "date", nullable=True),
                Column("focus", "areas", nullable=True, choices=PROBLEM_AREAS),
                Column("focus_session", "int", required=False, nullable=True, bounds=(1, 999)),
                Column(
                    "episode",
                    "choice",
                    required=False,
                    nullable=True,
                    choices=("single", "recurrent", "chronic"),
                ),
            ),
            key=("client_id",),
        ),
        Table(
            "sessions",
            (
                _CLIENT,
                _SESSION,
                Column("date", "date"),
                *(Column(c, "int", nullable=True, bounds=(0, 3)) for c in PHQ9_ITEMS),
                *_items("gad7", 7, 3),
                *_items("lsns6", 6, 5),
                *(
                    Column(c, "int", required=False, nullable=True, bounds=b)
                    for c, b in (*TOTAL_COLUMNS.items(), *ITEM_COLUMNS.items())
                ),
                _free_text("notes", required=False),
            ),
            key=("client_id", "session"),
        ),
        Table(
            "people",
            (
                _CLIENT,
                _PERSON,
                Column("name", "text", identifying=True),
                Column("role", "choice", choices=ROLES),
                Column("deceased_date", "date", nullable=True),
                _free_text("notes", required=False),
            ),
            key=("client_id", "person_id"),
        ),
        Table(
            "relationships",
            (
                _CLIENT,
                _SESSION,
                _PERSON,
                Column("ring", "int", bounds=(1, 3)),
                Column("conflict", "int", bounds=(0, 4)),
                Column("support", "int", bounds=(0, 4)),
                Column(
                    "contact_frequency",
                    "choice",
                    required=False,
                    nullable=True,
                    choices=CONTACT_FREQUENCIES,
                ),
                Column("expectations_met", "int", required=False, nullable=True, bounds=(0, 4)),
                Column("knows_about_depression", "bool", required=False, nullable=True),
                _free_text("satisfying", required=False),
                _free_text("unsatisfying", required=False),
                _free_text("wants_to_change", required=False),
                _free_text("notes", required=False),
            ),
            key=("client_id", "session", "person_id"),
        ),
        Table(
            "person_ties",
            (_CLIENT, _SESSION, Column("source", "id"), Column("target", "id")),
            key=("client_id", "session", "source", "target"),
        ),
        Table(
            "events",
            (
                _CLIENT,
                Column("date", "date"),
                Column("kind", "choice", choices=EVENT_KINDS),
                Column("person_id", "id", nullable=True),
                _free_text("description"),
            ),
        ),
        Table(
            "communication",
            (
                _CLIENT,
                _SESSION,
                _PERSON,
                Column("kind", "choice", choices=COMMUNICATION_KINDS),
                _free_text("planned"),
                _free_text("happened"),
                Column("outcome", "choice", nullable=True, choices=COMMUNICATION_OUTCOMES),
            ),
            optional_file=True,
        ),
    )
}

#: Tables in dependency order: a table only refers to tables before it.
TABLE_ORDER: Final = tuple(TABLES)
