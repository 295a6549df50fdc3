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
>>> bounds("relationships", "conflict"), scale(PHQ9_ITEMS)
((0, 4), (9, 3))
>>> [fk.table for fk in TABLES["relationships"].foreign_keys]
['sessions', 'people']
>>> MAX_CELL_CHARS
10000
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from ipt_network import names

__all__ = [
    "Column",
    "ForeignKey",
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
    "bounds",
    "scale",
    "vocabularies",
    "ranged_columns",
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
class ForeignKey:
    """Columns of one table that must name a row of another table.

    Parameters
    ----------
    columns : tuple of str
        The referring columns; a row whose columns are all filled must match.
    table : str
        The referenced table.
    ref_columns : tuple of str
        The referenced columns (the referenced table's key, or part of it).
    message : str
        What a failure says; no clinical value, only the rule.
    stored : bool
        The store also declares it (a SQL ``FOREIGN KEY``). ``events.person_id``
        is checked on import only: the store has declared it since version 1
        without it, and adding it would rebuild the table.
    """

    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]
    message: str
    stored: bool = True

    @property
    def column(self) -> str:
        """The column a failure is reported in: the last referring column."""
        return self.columns[-1]


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
    foreign_keys : tuple of ForeignKey
        Rows of other tables this table's rows must name.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    optional_file: bool = False
    foreign_keys: tuple[ForeignKey, ...] = ()
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


def _choice(name: str, choices: tuple[str, ...]) -> Column:
    """An optional column whose value, when given, is one of ``choices``."""
    return Column(name, "choice", required=False, nullable=True, choices=choices)


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
#: The tie ends name a person on the map at that session.
_ON_MAP = "this person is not on the map at that session (no row in relationships.csv)"
_OF_CLIENT = ForeignKey(
    ("client_id",), "clients", ("client_id",), "client_id is not in clients.csv"
)
_OF_SESSION = ForeignKey(
    ("client_id", "session"),
    "sessions",
    ("client_id", "session"),
    "this client has no such session in sessions.csv",
)
_OF_PERSON = ForeignKey(
    ("client_id", "person_id"),
    "people",
    ("client_id", "person_id"),
    "person_id is not in people.csv for this client",
)


def _on_map(end: str) -> ForeignKey:
    return ForeignKey(
        ("client_id", "session", end),
        "relationships",
        ("client_id", "session", "person_id"),
        _ON_MAP,
    )


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
                Column("focus", "areas", nullable=True, choices=names.PROBLEM_AREAS),
                Column("focus_session", "int", required=False, nullable=True, bounds=(1, 999)),
                _choice("episode", names.EPISODES),
                # age at intake; a de-identified export writes 90 for every age of 90 or over
                Column("age", "int", required=False, nullable=True, bounds=(0, 120)),
                # the treatment contract (planned_sessions and focus above are part of it)
                Column("contract_date", "date", required=False, nullable=True),
                _free_text("formulation", required=False),
                # the termination work
                _free_text("gains", required=False),
                _free_text("warning_signs", required=False),
                _free_text("who_to_turn_to", required=False),
                _choice("maintenance", names.MAINTENANCE_DECISIONS),
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
                _choice("dispute_stage", names.DISPUTE_STAGES),
            ),
            key=("client_id", "session"),
            foreign_keys=(_OF_CLIENT,),
        ),
        Table(
            "people",
            (
                _CLIENT,
                _PERSON,
                Column("name", "text", identifying=True),
                Column("role", "choice", choices=names.ROLES),
                Column("deceased_date", "date", nullable=True),
                _free_text("notes", required=False),
            ),
            key=("client_id", "person_id"),
            foreign_keys=(_OF_CLIENT,),
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
                    choices=names.CONTACT_FREQUENCIES,
                ),
                Column("expectations_met", "int", required=False, nullable=True, bounds=(0, 4)),
                Column("knows_about_depression", "bool", required=False, nullable=True),
                _free_text("satisfying", required=False),
                _free_text("unsatisfying", required=False),
                _free_text("wants_to_change", required=False),
                _free_text("notes", required=False),
            ),
            key=("client_id", "session", "person_id"),
            foreign_keys=(_OF_SESSION, _OF_PERSON),
        ),
        Table(
            "person_ties",
            (_CLIENT, _SESSION, Column("source", "id"), Column("target", "id")),
            key=("client_id", "session", "source", "target"),
            foreign_keys=(_on_map("source"), _on_map("target")),
        ),
        Table(
            "events",
            (
                _CLIENT,
                Column("date", "date"),
                Column("kind", "choice", choices=names.EVENT_KINDS),
                Column("person_id", "id", nullable=True),
                _free_text("description"),
            ),
            foreign_keys=(_OF_CLIENT, replace(_OF_PERSON, stored=False)),
        ),
        Table(
            "communication",
            (
                _CLIENT,
                _SESSION,
                _PERSON,
                Column("kind", "choice", choices=names.COMMUNICATION_KINDS),
                _free_text("planned"),
                _free_text("happened"),
                Column("outcome", "choice", nullable=True, choices=names.COMMUNICATION_OUTCOMES),
                _choice("skill", names.SKILLS),
                _free_text("said", required=False),
                _free_text("meant", required=False),
                _free_text("breakdown", required=False),
            ),
            optional_file=True,
            foreign_keys=(_OF_SESSION, _OF_PERSON),
        ),
        Table(
            "goals",
            (
                _CLIENT,
                _SESSION,
                Column("goal_id", "id"),
                Column("area", "choice", choices=names.PROBLEM_AREAS),
                _free_text("goal"),
                Column("status", "choice", choices=names.GOAL_STATUSES),
            ),
            key=("client_id", "session", "goal_id"),
            optional_file=True,
            foreign_keys=(_OF_SESSION,),
        ),
        Table(
            "dispute_work",
            (
                _CLIENT,
                _SESSION,
                _PERSON,
                _free_text("client_expects"),
                _free_text("person_expects"),
            ),
            key=("client_id", "session", "person_id"),
            optional_file=True,
            foreign_keys=(_OF_SESSION, _OF_PERSON),
        ),
        Table(
            "transition_work",
            (
                _CLIENT,
                _SESSION,
                _free_text("old_role"),
                _free_text("new_role"),
                _free_text("losses"),
                _free_text("gains"),
            ),
            key=("client_id", "session"),
            optional_file=True,
            foreign_keys=(_OF_SESSION,),
        ),
        Table(
            "grief_work",
            (
                _CLIENT,
                _SESSION,
                _PERSON,
                _free_text("memories"),
                _free_text("new_connections"),
            ),
            key=("client_id", "session", "person_id"),
            optional_file=True,
            foreign_keys=(_OF_SESSION, _OF_PERSON),
        ),
    )
}

#: Tables in dependency order: a table only refers to tables before it.
TABLE_ORDER: Final = tuple(TABLES)


def bounds(table: str, column: str) -> tuple[int, int]:
    """The inclusive range of a whole-number column of the contract.

    Parameters
    ----------
    table, column : str
        A table of :data:`TABLES` and one of its ``int`` columns.

    Returns
    -------
    tuple of int
        ``(lowest, highest)``.

    Raises
    ------
    KeyError
        When the table or column is not in the contract, or has no range.

    Examples
    --------
    >>> bounds("clients", "planned_sessions")
    (8, 24)
    """
    found = TABLES[table].column(column).bounds
    if found is None:
        raise KeyError(f"{table}.{column} has no range in the contract")
    return found


def scale(items: tuple[str, ...]) -> tuple[int, int]:
    """How many items a questionnaire has and the highest answer, from the contract.

    Every item starts at 0, so the total runs from 0 to ``n * highest``.

    Parameters
    ----------
    items : tuple of str
        Item columns of ``sessions``, such as :data:`GAD7_ITEMS`.

    Examples
    --------
    >>> scale(GAD7_ITEMS), scale(LSNS6_ITEMS)
    ((7, 3), (6, 5))
    """
    ranges = {bounds("sessions", item) for item in items}
    if len(ranges) != 1 or min(ranges)[0] != 0:
        raise KeyError("the items do not share one range starting at 0")
    return len(items), ranges.pop()[1]


def _columns(keep: Callable[[Column], bool]) -> Iterator[tuple[Table, Column]]:
    for table in TABLES.values():
        yield from ((table, col) for col in table.columns if keep(col))


def ranged_columns() -> Iterator[tuple[Table, Column]]:
    """Every whole-number column that has a range, with its table.

    Examples
    --------
    >>> ("clients", "planned_sessions") in [(t.name, c.name) for t, c in ranged_columns()]
    True
    """
    return _columns(lambda col: col.bounds is not None)


def vocabularies() -> Iterator[tuple[Table, Column]]:
    """Every column whose values come from a fixed list (``choice`` and ``areas``).

    Examples
    --------
    >>> sorted({c.name for _, c in vocabularies()})[:3]
    ['area', 'contact_frequency', 'dispute_stage']
    """
    return _columns(lambda col: bool(col.choices))
