"""Recording a session: the next session's map, drafted, edited, checked and saved.

A session is recorded the way a therapist works: start from the last
session's map (:func:`draft_next_session`), move people between rings,
change conflict and support, add people (:func:`add_person`) or take them
off the map, add or remove ties between people, enter the PHQ-9, and save
(:func:`record_session`).

Everything that reaches :func:`session_tables` may come from a browser, so it
is treated as untrusted JSON: every value is checked for its type and range,
every problem is collected, and :class:`RecordingError` (a
:class:`~ipt_network.errors.ValidationError`) lists them all in words that
name fields and ids, never a clinical value. The save goes through
:meth:`ipt_network.io.store.Store.append`, which checks the new rows with the
client's whole record and writes them in one transaction: a session lands
whole or not at all.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from ipt_network import Store, load_samples
>>> store = Store.create(Path(tempfile.mkdtemp()) / "ipt.db")
>>> store.import_inventory(load_samples().for_clients(["dispute-01"]))
1
>>> draft = draft_next_session(store.inventory(["dispute-01"]), "dispute-01")
>>> people = [dict(row, ring=1) for row in draft.people]  # everyone to the inner ring
>>> record_session(store, "dispute-01", session=draft.session, date=draft.date,
...                people=people, ties=draft.ties, phq9=[1, 1, 1, 1, 0, 0, 0, 0, 0])
17
>>> try:
...     record_session(store, "dispute-01", session=18, date="2099-01-01",
...                    people=people, ties=[], phq9=[4, 0, 0, 0, 0, 0, 0, 0, 0])
... except RecordingError as err:
...     print(err.failures[0])
session form, column PHQ-9 item 1: must be a whole number from 0 to 3
>>> store.inventory(["dispute-01"]).sessions_of("dispute-01")[-1]
17
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from ipt_network import names
from ipt_network.errors import Failure, ValidationError
from ipt_network.io.contract import PHQ9_ITEMS, TABLES, bounds
from ipt_network.io.inventory import Inventory, dtype_of, is_missing

if TYPE_CHECKING:
    from ipt_network.io.store import Store

__all__ = [
    "RecordingError",
    "Draft",
    "FORM",
    "MAX_PEOPLE",
    "draft_next_session",
    "add_person",
    "prune_ties",
    "session_tables",
    "record_session",
]

#: The "file" named in a recording failure.
FORM: Final = "session form"
#: The most people one session may hold (a guard against absurd payloads).
MAX_PEOPLE: Final = 500
_MAX_TIES: Final = 5000
#: The ranged columns of a person's row on the draft map.
_MAP_COLUMNS: Final = ("ring", "conflict", "support")
_MAX_NAME: Final = 120
_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEK: Final = dt.timedelta(days=7)


class RecordingError(ValidationError):
    """A session that cannot be recorded as entered; nothing was stored.

    Examples
    --------
    >>> err = RecordingError([Failure(FORM, None, "date", "must be a date")])
    >>> print(err)
    1 problem found; nothing was written.
      session form, column date: must be a date
    """


@dataclass
class Draft:
    """The next session of a client, as plain JSON-ready values for a form.

    Parameters
    ----------
    client_id : str
        The client.
    session : int
        The number of the session to record (the last one plus 1).
    date : str
        Suggested ISO date: a week after the last session (today when there is none).
    people : list of dict
        The map to start from, one row per person: ``person_id``, ``name``,
        ``role``, ``ring``, ``conflict``, ``support``.
    ties : list of dict
        Ties between people on the map: ``source``, ``target``.
    off_map : list of dict
        The client's people who are not on the map: ``person_id``, ``name``, ``role``.
    """

    client_id: str
    session: int
    date: str
    people: list[dict[str, Any]] = field(default_factory=list)
    ties: list[dict[str, str]] = field(default_factory=list)
    off_map: list[dict[str, str]] = field(default_factory=list)


def _one(inventory: Inventory, client_id: str) -> Inventory:
    inventory.sessions_of(client_id)  # raises ClientNotFound
    return inventory.for_clients([client_id])


def _text(value: Any) -> str:
    return "" if is_missing(value) else str(value)


def draft_next_session(
    inventory: Inventory, client_id: str, *, today: dt.date | None = None
) -> Draft:
    """Start the next session from the last one's map.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    today : datetime.date, optional
        The date to suggest for a first session (default: today).

    Returns
    -------
    Draft
        Session number, suggested date, the last map and its ties, and the
        people who could be brought back onto the map.

    Raises
    ------
    ClientNotFound
        When the inventory does not hold the client.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> inv = load_samples()
    >>> draft = draft_next_session(inv, "grief-01")
    >>> draft.session == inv.sessions_of("grief-01")[-1] + 1
    True
    >>> sorted(draft.people[0])
    ['conflict', 'name', 'person_id', 'ring', 'role', 'support']
    """
    one = _one(inventory, client_id)
    sessions = one.sessions.sort_values("session")
    people = one.people.set_index(one.people["person_id"].astype(str))
    if sessions.empty:
        start = today or dt.date.today()
        return Draft(
            client_id, 1, start.isoformat(), off_map=[_who(people, p) for p in people.index]
        )
    last = int(sessions["session"].iloc[-1])
    date = dt.date.fromisoformat(str(sessions["date"].iloc[-1])) + _WEEK
    rel = one.relationships[one.relationships["session"] == last]
    rows = [
        {
            **_who(people, str(r.person_id)),
            "ring": int(r.ring),
            "conflict": int(r.conflict),
            "support": int(r.support),
        }
        for r in rel.itertuples(index=False)
    ]
    ties = one.person_ties[one.person_ties["session"] == last]
    on_map = {row["person_id"] for row in rows}
    return Draft(
        client_id,
        last + 1,
        date.isoformat(),
        people=rows,
        ties=[
            {"source": str(s), "target": str(t)}
            for s, t in zip(ties["source"], ties["target"], strict=True)
        ],
        off_map=[_who(people, p) for p in people.index if p not in on_map],
    )


def _who(people: pd.DataFrame, person_id: str) -> dict[str, str]:
    return {
        "person_id": person_id,
        "name": _text(people.at[person_id, "name"]),
        "role": _text(people.at[person_id, "role"]),
    }


def _next_id(taken: set[str]) -> str:
    n = len(taken) + 1
    while f"p{n:02d}" in taken:
        n += 1
    return f"p{n:02d}"


def add_person(
    people: Sequence[dict[str, Any]],
    inventory: Inventory,
    client_id: str,
    *,
    person_id: str | None = None,
    name: str | None = None,
    role: str | None = None,
) -> list[dict[str, Any]]:
    """Put someone on the draft map: a known person back, or a new person.

    The person joins in the outer ring with no conflict and some support
    (ring 3, conflict 0, support 2), ready to be adjusted.

    Parameters
    ----------
    people : sequence of dict
        The draft map's rows (as in :attr:`Draft.people`).
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    person_id : str, optional
        A person of the client who is not on the draft map.
    name, role : str, optional
        For a new person (when ``person_id`` is not given): a name and one
        of :data:`~ipt_network.names.ROLES`. The new person gets a fresh id.

    Returns
    -------
    list of dict
        The rows with the person added at the end.

    Raises
    ------
    RecordingError
        When the person is unknown or already on the map, or a new person's
        name or role is missing or not allowed.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> rows = add_person([], load_samples(), "grief-01", name="Maya", role="friend")
    >>> rows[0]["ring"], rows[0]["role"], rows[0]["person_id"].startswith("p")
    (3, 'friend', True)
    """
    one = _one(inventory, client_id)
    rows = [dict(r) for r in people]
    on_map = {str(r.get("person_id")) for r in rows}
    known = one.people.set_index(one.people["person_id"].astype(str))
    failures: list[Failure] = []
    if person_id:
        if not isinstance(person_id, str) or person_id not in known.index:
            failures.append(Failure(FORM, None, "person", "is not one of the client's people"))
        elif person_id in on_map:
            failures.append(Failure(FORM, None, "person", f"{person_id} is already on the map"))
        else:
            new = _who(known, person_id)
    else:
        clean = name.strip() if isinstance(name, str) else ""
        if not clean or len(clean) > _MAX_NAME:
            failures.append(Failure(FORM, None, "name", f"give a name of 1 to {_MAX_NAME} letters"))
        if role not in names.ROLES:
            failures.append(Failure(FORM, None, "role", f"must be one of {', '.join(names.ROLES)}"))
        taken = set(known.index) | on_map
        new = {"person_id": _next_id(taken), "name": clean, "role": str(role)}
    if failures:
        raise RecordingError(failures)
    rows.append({**new, "ring": 3, "conflict": 0, "support": 2})
    return rows


def prune_ties(
    ties: Sequence[dict[str, Any]], people: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Drop the ties of people who are no longer on the draft map.

    A tie with an end left empty (still being filled in) is kept.

    Examples
    --------
    >>> prune_ties([{"source": "a", "target": "b"}, {"source": "a", "target": None}],
    ...            [{"person_id": "a"}])
    [{'source': 'a', 'target': None}]
    """
    on_map = {str(r.get("person_id")) for r in people if isinstance(r, dict)}
    return [
        dict(t)
        for t in ties
        if isinstance(t, dict)
        and all(not t.get(end) or str(t.get(end)) in on_map for end in ("source", "target"))
    ]


def _in_range(value: Any, table: str, column: str) -> int | None:
    """``value`` as an int within the contract's range for ``table.column``, else ``None``."""
    return _whole(value, *bounds(table, column))


def _range_rule(table: str, column: str) -> str:
    """The rule for ``table.column`` in words, such as ``"a whole number from 0 to 3"``."""
    lo, hi = bounds(table, column)
    return f"a whole number from {lo} to {hi}"


def _whole(value: Any, lo: int, hi: int) -> int | None:
    """``value`` as an int from ``lo`` to ``hi``, or ``None`` when it is anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 4:
            return None
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and lo <= value <= hi:
        return value
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _frame(name: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows in the contract's columns and dtypes for table ``name``."""
    table = TABLES[name]
    frame = pd.DataFrame(records, columns=table.names)
    return frame.astype({c.name: dtype_of(c) for c in table.columns})


class _Form:
    """Collects failures while reading the untrusted form values."""

    def __init__(self) -> None:
        self.failures: list[Failure] = []

    def fail(self, column: str, message: str) -> None:
        self.failures.append(Failure(FORM, None, column, message))


def _check_date(form: _Form, date: Any, sessions: pd.DataFrame) -> str | None:
    if not isinstance(date, str) or not _DATE.fullmatch(date.strip()):
        form.fail("date", "must be a date written YYYY-MM-DD")
        return None
    try:
        day = dt.date.fromisoformat(date.strip())
    except ValueError:
        form.fail("date", "is not a real date")
        return None
    if not sessions.empty:
        last = str(sessions.sort_values("session")["date"].iloc[-1])
        if day.isoformat() <= last:
            form.fail("date", "must be after the date of the last session")
    return day.isoformat()


def _check_phq9(form: _Form, phq9: Any) -> list[int | None]:
    if phq9 is None:
        return [None] * len(PHQ9_ITEMS)
    if not isinstance(phq9, list | tuple) or len(phq9) != len(PHQ9_ITEMS):
        form.fail("PHQ-9", f"needs a list of {len(PHQ9_ITEMS)} answers")
        return [None] * len(PHQ9_ITEMS)
    if all(_blank(v) for v in phq9):
        return [None] * len(PHQ9_ITEMS)
    items: list[int | None] = []
    for i, value in enumerate(phq9, start=1):
        if _blank(value):  # a partly filled PHQ-9 is kept: item 9 must never be lost
            items.append(None)
            continue
        item = _in_range(value, "sessions", PHQ9_ITEMS[i - 1])
        if item is None:
            form.fail(f"PHQ-9 item {i}", f"must be {_range_rule('sessions', PHQ9_ITEMS[i - 1])}")
        items.append(item)
    return items


def _check_people(
    form: _Form, people: Any, client_id: str, session: int, known: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Relationship rows and new-person rows from the draft map's rows."""
    if not isinstance(people, list | tuple) or len(people) > MAX_PEOPLE:
        form.fail("people", f"must be a list of at most {MAX_PEOPLE} people")
        return [], []
    relationships: list[dict[str, Any]] = []
    new_people: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, row in enumerate(people, start=1):
        if not isinstance(row, dict):
            form.fail(f"person {n}", "is not a person entry")
            continue
        pid = row.get("person_id")
        if not isinstance(pid, str) or not _ID.fullmatch(pid):
            form.fail(f"person {n}", "has no valid id")
            continue
        if pid in seen:
            form.fail(f"person {pid}", "is on the map twice")
            continue
        seen.add(pid)
        state = {}
        for column in _MAP_COLUMNS:
            state[column] = _in_range(row.get(column), "relationships", column)
            if state[column] is None:
                rule = _range_rule("relationships", column)
                form.fail(f"person {pid}", f"{column} must be {rule}")
        if pid not in known.index:
            name = row.get("name")
            clean = name.strip() if isinstance(name, str) else ""
            if not clean or len(clean) > _MAX_NAME:
                form.fail(f"person {pid}", f"a new person needs a name of 1 to {_MAX_NAME} letters")
            if row.get("role") not in names.ROLES:
                form.fail(f"person {pid}", f"role must be one of {', '.join(names.ROLES)}")
            new_people.append(
                {"client_id": client_id, "person_id": pid, "name": clean, "role": row.get("role")}
            )
        relationships.append(
            {"client_id": client_id, "session": session, "person_id": pid, **state}
        )
    return relationships, new_people


def _check_ties(
    form: _Form, ties: Any, client_id: str, session: int, on_map: set[str]
) -> list[dict[str, Any]]:
    if ties is None:
        return []
    if not isinstance(ties, list | tuple) or len(ties) > _MAX_TIES:
        form.fail("ties", f"must be a list of at most {_MAX_TIES} ties")
        return []
    rows: list[dict[str, Any]] = []
    pairs: set[frozenset[str]] = set()
    for n, tie in enumerate(ties, start=1):
        if not isinstance(tie, dict):
            form.fail(f"tie {n}", "is not a tie entry")
            continue
        source, target = tie.get("source"), tie.get("target")
        if _blank(source) and _blank(target):
            continue  # an empty row left in the form
        if source not in on_map or target not in on_map:
            form.fail(f"tie {n}", "must join two people who are on the map")
            continue
        if source == target:
            form.fail(f"tie {n}", "must join two different people")
            continue
        pair = frozenset((source, target))
        if pair in pairs:
            form.fail(f"tie {n}", f"{source} and {target} are already tied")
            continue
        pairs.add(pair)
        rows.append(
            {"client_id": client_id, "session": session, "source": source, "target": target}
        )
    return rows


def session_tables(
    inventory: Inventory,
    client_id: str,
    *,
    session: Any,
    date: Any,
    people: Any,
    ties: Any = None,
    phq9: Any = None,
) -> dict[str, pd.DataFrame]:
    """Check a session as entered in a form and turn it into new table rows.

    Every argument after ``client_id`` may come straight from a browser and
    is checked for its type and range.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client (the stored record).
    client_id : str
        The client.
    session : int
        The session number; must be the client's last session plus 1.
    date : str
        ISO date, after the last session's date.
    people : list of dict
        The map: ``person_id``, ``ring`` (1 to 3), ``conflict`` and ``support``
        (0 to 4); a person not yet known to the client also needs ``name``
        and ``role``.
    ties : list of dict, optional
        ``source`` and ``target`` person ids, both on the map; rows with both
        ends empty are ignored.
    phq9 : list, optional
        Nine answers 0 to 3, item 1 first; any of them may be blank (a partly
        filled PHQ-9 is stored as given, item 9 whatever else is missing).
        Nine blanks (or ``None``): no PHQ-9.

    Returns
    -------
    dict of str to DataFrame
        New rows for ``sessions``, ``people`` (new people only),
        ``relationships`` and ``person_ties``, in the contract's columns.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    RecordingError
        Listing every problem found.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> inv = load_samples()
    >>> draft = draft_next_session(inv, "deficits-01")
    >>> tables = session_tables(inv, "deficits-01", session=draft.session, date=draft.date,
    ...                         people=draft.people, ties=draft.ties, phq9=None)
    >>> len(tables["relationships"]) == len(draft.people), len(tables["people"])
    (True, 0)
    """
    one = _one(inventory, client_id)
    form = _Form()
    expected = max(one.sessions_of(client_id), default=0) + 1
    number = _in_range(session, "sessions", "session")
    if number is None:
        form.fail("session", "must be a whole number")
        number = expected
    elif number != expected:
        form.fail(
            "session",
            f"session {number} cannot be recorded: the next session is {expected} "
            "(reload the page if someone else saved meanwhile)",
        )
    day = _check_date(form, date, one.sessions)
    items = _check_phq9(form, phq9)
    known = one.people.set_index(one.people["person_id"].astype(str))
    relationships, new_people = _check_people(form, people, client_id, number, known)
    on_map = {str(r["person_id"]) for r in relationships}
    person_ties = _check_ties(form, ties, client_id, number, on_map)
    if form.failures:
        raise RecordingError(form.failures)
    row = {"client_id": client_id, "session": number, "date": day}
    row.update(zip(PHQ9_ITEMS, items, strict=True))
    return {
        "sessions": _frame("sessions", [row]),
        "people": _frame("people", new_people),
        "relationships": _frame("relationships", relationships),
        "person_ties": _frame("person_ties", person_ties),
    }


def record_session(
    store: Store,
    client_id: str,
    *,
    session: Any,
    date: Any,
    people: Any,
    ties: Any = None,
    phq9: Any = None,
) -> int:
    """Check a session entered in a form and store it whole, or store nothing.

    Parameters are those of :func:`session_tables`; ``store`` is an open
    :class:`~ipt_network.io.store.Store` holding the client.

    Returns
    -------
    int
        The session number recorded.

    Raises
    ------
    ClientNotFound
        When the client is not stored.
    RecordingError
        When the form holds a problem; nothing is stored.
    ValidationError
        When the new rows break the contract with the client's record; nothing is stored.
    StoreError
        When the store could not be written; nothing is stored.
    """
    inventory = store.inventory([client_id])
    tables = session_tables(
        inventory, client_id, session=session, date=date, people=people, ties=ties, phq9=phq9
    )
    store.append(client_id, tables)
    return int(tables["sessions"]["session"].iloc[0])
