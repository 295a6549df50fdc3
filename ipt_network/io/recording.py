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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from ipt_network import names
from ipt_network.errors import Failure, SessionNotFound, ValidationError
from ipt_network.io.contract import MAX_CELL_CHARS, PHQ9_ITEMS, TABLES, bounds
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
    "CONTRACT_FORM",
    "AREA_WORK",
    "client_goals",
    "contract_draft",
    "contract_values",
    "record_contract",
    "record_stage",
    "record_goal",
    "record_area_work",
    "focus_note",
    "add_work",
]

#: The "file" named in a recording failure.
FORM: Final = "session form"
#: The "file" named in a failure of the treatment contract and ending form.
CONTRACT_FORM: Final = "contract form"
#: The free-text fields of each area record of the middle phase, by table; the
#: dispute and grief records are also about one person (``person_id``).
AREA_WORK: Final = {
    "dispute_work": ("client_expects", "person_expects"),
    "transition_work": ("old_role", "new_role", "losses", "gains"),
    "grief_work": ("memories", "new_connections"),
}
#: The most rows of communication work, goals or area work one session may hold.
_MAX_ROWS: Final = 100
#: Fields of a communication row that belong to a communication analysis only.
_ANALYSIS: Final = ("said", "meant", "breakdown")
#: The most people one session may hold (a guard against absurd payloads).
MAX_PEOPLE: Final = 500
_MAX_TIES: Final = 5000
#: The ranged columns of a person's row on the draft map.
_MAP_COLUMNS: Final = ("ring", "conflict", "support")
#: The other columns of a person's row, carried forward from the last session unless given.
_CARRIED: Final = tuple(
    c for c in TABLES["relationships"].names if c not in ("client_id", "session", "person_id")
)[len(_MAP_COLUMNS) :]
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
    goals : list of dict
        The client's goals with their last status (:func:`client_goals`).
    focus : list of str
        The chosen focus areas (empty when none is chosen).
    contract : dict
        The treatment contract and ending as stored (:func:`contract_draft`).
    """

    client_id: str
    session: int
    date: str
    people: list[dict[str, Any]] = field(default_factory=list)
    ties: list[dict[str, str]] = field(default_factory=list)
    off_map: list[dict[str, str]] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    contract: dict[str, Any] = field(default_factory=dict)


def _one(inventory: Inventory, client_id: str) -> Inventory:
    inventory.sessions_of(client_id)  # raises ClientNotFound
    return inventory.for_clients([client_id])


def _text(value: Any) -> str:
    return "" if is_missing(value) else str(value)


def _focus(one: Inventory) -> list[str]:
    """The chosen focus areas of the one client in ``one`` (empty when none is chosen)."""
    return [a for a in _text(one.clients["focus"].iloc[0]).split(";") if a]


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
    course: dict[str, Any] = {
        "goals": client_goals(one, client_id),
        "focus": _focus(one),
        "contract": contract_draft(one, client_id),
    }
    if sessions.empty:
        start = today or dt.date.today()
        return Draft(
            client_id,
            1,
            start.isoformat(),
            off_map=[_who(people, p) for p in people.index],
            **course,
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
        **course,
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

    def __init__(self, name: str = FORM) -> None:
        self.name = name
        self.failures: list[Failure] = []

    def fail(self, column: str, message: str) -> None:
        self.failures.append(Failure(self.name, None, column, message))

    def text(self, value: Any, where: str, label: str = "") -> str | None:
        """Free text from the form: ``None`` when blank, else stripped and at most
        :data:`~ipt_network.io.contract.MAX_CELL_CHARS` characters."""
        if _blank(value):
            return None
        if not isinstance(value, str) or len(value) > MAX_CELL_CHARS:
            self.fail(
                where, f"{label} must be text of at most {MAX_CELL_CHARS} characters".lstrip()
            )
            return None
        return value.strip()

    def choice(self, value: Any, where: str, choices: Sequence[str], label: str = "") -> str | None:
        """One of ``choices``, or ``None`` when blank (a failure for anything else)."""
        if _blank(value):
            return None
        if not isinstance(value, str) or value not in choices:
            self.fail(where, f"{label} must be one of {', '.join(choices)}".lstrip())
            return None
        return value

    def number(self, value: Any, where: str, table: str, column: str) -> int | None:
        """A whole number in the contract's range, or ``None`` when blank."""
        if _blank(value):
            return None
        found = _in_range(value, table, column)
        if found is None:
            self.fail(where, f"must be {_range_rule(table, column)}")
        return found

    def date(self, value: Any, where: str) -> str | None:
        """An ISO date ``YYYY-MM-DD`` that exists, or ``None`` when blank."""
        if _blank(value):
            return None
        day = _iso_day(value)
        if day is None:
            self.fail(where, "must be a real date written YYYY-MM-DD")
        return day

    def raise_any(self) -> None:
        """Raise :class:`RecordingError` with every failure collected, if there is one."""
        if self.failures:
            raise RecordingError(self.failures)

    def rows(self, value: Any, where: str) -> list[dict[str, Any]]:
        """The entries of a list of objects (``None``: none); a failure for anything else."""
        if value is None:
            return []
        if not isinstance(value, list | tuple) or len(value) > _MAX_ROWS:
            self.fail(where, f"must be a list of at most {_MAX_ROWS} entries")
            return []
        good = [r for r in value if isinstance(r, dict)]
        if len(good) != len(value):
            self.fail(where, "holds an entry that is not a set of fields")
        return good

    def person(self, value: Any, where: str, people: set[str]) -> str | None:
        """A person id of the client (or new this session); a failure otherwise."""
        if not isinstance(value, str) or value not in people:
            self.fail(where, "needs the person id of one of the client's people")
            return None
        return value


def _iso_day(value: Any) -> str | None:
    """``value`` as an ISO date string when it is one of a real day, else ``None``.

    Examples
    --------
    >>> _iso_day(" 2026-02-28 "), _iso_day("2026-02-31"), _iso_day(20260228)
    ('2026-02-28', None, None)
    """
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def _check_date(form: _Form, date: Any, sessions: pd.DataFrame) -> str | None:
    if not isinstance(date, str) or not _DATE.fullmatch(date.strip()):
        form.fail("date", "must be a date written YYYY-MM-DD")
        return None
    day = _iso_day(date)
    if day is None:
        form.fail("date", "is not a real date")
        return None
    if not sessions.empty:
        last = str(sessions.sort_values("session")["date"].iloc[-1])
        if day <= last:
            form.fail("date", "must be after the date of the last session")
    return day


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


def _last_map(relationships: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The carried columns (:data:`_CARRIED`) of each person at the last recorded session."""
    if relationships.empty:
        return {}
    last = relationships[relationships["session"] == relationships["session"].max()]
    return {
        str(r["person_id"]): {c: None if is_missing(r[c]) else r[c] for c in _CARRIED}
        for r in last.to_dict("records")
    }


def _carried(
    form: _Form, row: Mapping[str, Any], where: str, before: Mapping[str, Any]
) -> dict[str, Any]:
    """The carried columns of a map row: the value given, else the last session's."""
    values: dict[str, Any] = {}
    for column in _CARRIED:
        value = row.get(column)
        if _blank(value):
            values[column] = before.get(column)
        elif column == "contact_frequency":
            values[column] = form.choice(value, where, names.CONTACT_FREQUENCIES, column)
        elif column == "expectations_met":
            values[column] = form.number(value, where, "relationships", column)
        elif column == "knows_about_depression":
            if not isinstance(value, bool):
                form.fail(where, f"{column.replace('_', ' ')} must be true or false")
            values[column] = value if isinstance(value, bool) else None
        else:
            values[column] = form.text(value, where, column.replace("_", " "))
    return values


def _check_people(
    form: _Form,
    people: Any,
    client_id: str,
    session: int,
    known: pd.DataFrame,
    last: Mapping[str, Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Relationship rows and new-person rows from the draft map's rows; a person kept
    from the last map keeps its other columns unless the row gives them."""
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
        carried = _carried(form, row, f"person {pid}", last.get(pid, {}))
        relationships.append(
            {"client_id": client_id, "session": session, "person_id": pid, **state, **carried}
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


def client_goals(inventory: Inventory, client_id: str) -> list[dict[str, Any]]:
    """The client's goals, each as its last recorded row, in the order they were set.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them.

    Returns
    -------
    list of dict
        ``goal_id``, ``area``, ``goal`` (the text), ``status`` and ``session``
        (where the status was last recorded).

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> goals = client_goals(load_samples(), "dispute-01")
    >>> sorted(goals[0])
    ['area', 'goal', 'goal_id', 'session', 'status']
    """
    goals = _one(inventory, client_id).goals
    if goals.empty:
        return []
    ordered = goals.sort_values("session", kind="stable")
    first = ordered.groupby("goal_id", sort=False)["session"].min()
    last = ordered.groupby("goal_id", sort=False).tail(1).set_index("goal_id")
    return [
        {
            "goal_id": str(goal_id),
            "area": _text(last.at[goal_id, "area"]),
            "goal": _text(last.at[goal_id, "goal"]),
            "status": _text(last.at[goal_id, "status"]),
            "session": int(last.at[goal_id, "session"]),
        }
        for goal_id in sorted(first.index, key=lambda g: (int(first[g]), str(g)))
    ]


def _same_words(a: Any, b: Any) -> bool:
    """Whether two goal texts say the same, ignoring case and spacing."""
    return " ".join(str(a).split()).casefold() == " ".join(str(b).split()).casefold()


def _goal(
    form: _Form,
    entry: Mapping[str, Any],
    where: str,
    row: dict[str, Any],
    known: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any] | None:
    """One goals row from a form entry: a known goal keeps its area and text; an entry
    without an id whose text is a known goal's is that goal."""
    goal_id = entry.get("goal_id")
    area = form.choice(entry.get("area"), where, names.PROBLEM_AREAS, "area")
    text = form.text(entry.get("goal"), where, "the goal")
    if _blank(goal_id):
        same = [g for g, v in known.items() if text and _same_words(v.get("goal"), text)]
        taken = set(known)
        goal_id = (
            same[0]
            if same
            else next(f"g{n}" for n in range(1, len(taken) + 2) if f"g{n}" not in taken)
        )
    elif not isinstance(goal_id, str) or not _ID.fullmatch(goal_id):
        form.fail(where, "needs a goal id of letters, digits, '.', '_' or '-'")
        return None
    before = known.get(goal_id, {})
    if before and area and area != before.get("area"):
        kind = str(before.get("area")).replace("_", "-")
        form.fail(where, f"goal {goal_id} is a {kind} goal; give a new goal id for another area")
    if before and text and not _same_words(text, before.get("goal")):
        form.fail(where, f"goal {goal_id} has other words; give a new goal id for another goal")
    status = form.choice(entry.get("status"), where, names.GOAL_STATUSES, "status")
    area, text = before.get("area") or area or None, before.get("goal") or text or None
    if area is None or text is None:
        form.fail(where, "a new goal needs an area and the goal in words")
    if status is None and _blank(entry.get("status")):
        form.fail(where, "needs a status")
    return {**row, "goal_id": goal_id, "area": area, "goal": text, "status": status}


def _check_goals(
    form: _Form, goals: Any, inventory: Inventory, client_id: str, session: int
) -> list[dict[str, Any]]:
    """Goals rows for this session; entries without a status are left out."""
    known: dict[str, Mapping[str, Any]] = {
        g["goal_id"]: g for g in client_goals(inventory, client_id)
    }
    rows: list[dict[str, Any]] = []
    for n, entry in enumerate(form.rows(goals, "goals"), start=1):
        if _blank(entry.get("status")) and all(_blank(entry.get(k)) for k in ("area", "goal")):
            continue  # no status picked this session, no new goal typed
        base = {"client_id": client_id, "session": session}
        row = _goal(form, entry, f"goal {n}", base, known)
        if row is None:
            continue
        if row["goal_id"] in {r["goal_id"] for r in rows}:
            form.fail(f"goal {n}", f"goal {row['goal_id']} is given twice")
            continue
        known = {**known, row["goal_id"]: row}
        rows.append(row)
    return rows


def _check_work(
    form: _Form, work: Any, client_id: str, session: int, people: set[str]
) -> list[dict[str, Any]]:
    """Communication rows: kind and person needed; said, meant and breakdown only for
    a communication analysis."""
    fields = [c for c in TABLES["communication"].names if c not in ("client_id", "session")]
    rows: list[dict[str, Any]] = []
    for n, entry in enumerate(form.rows(work, "communication work"), start=1):
        if all(_blank(entry.get(k)) for k in fields):
            continue  # an empty row left in the form
        where = f"work {n}"
        kind = form.choice(entry.get("kind"), where, names.COMMUNICATION_KINDS, "kind")
        if _blank(entry.get("kind")):
            form.fail(where, "needs a kind of work")
        row = {
            "client_id": client_id,
            "session": session,
            "person_id": form.person(entry.get("person_id"), where, people),
            "kind": kind,
            "skill": form.choice(entry.get("skill"), where, names.SKILLS, "skill"),
            "outcome": form.choice(
                entry.get("outcome"), where, names.COMMUNICATION_OUTCOMES, "outcome"
            ),
        }
        for column in ("planned", "happened", *_ANALYSIS):
            row[column] = form.text(entry.get(column), where, column)
        if kind != "communication_analysis" and any(row[f] for f in _ANALYSIS):
            form.fail(where, "said, meant and breakdown belong to a communication analysis")
        rows.append(row)
    return rows


def add_work(
    rows: Any, entry: Any, inventory: Inventory, client_id: str, people: Any
) -> list[dict[str, Any]]:
    """Add a piece of communication work to the list drafted on the recording page.

    Parameters
    ----------
    rows : list of dict
        The work added so far (untrusted; entries that are not objects are dropped).
    entry : dict
        The new piece: the fields of a ``communication`` row but the ids.
    inventory, client_id
        The tables and the client in them.
    people : list of dict
        The draft map's rows: people new this session may be named too.

    Returns
    -------
    list of dict
        ``rows`` with the checked entry added; :class:`RecordingError` when the
        entry is empty or holds a problem.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> rows = add_work([], {"person_id": "p01", "kind": "role_play", "skill": "repair"},
    ...                 load_samples(), "dispute-01", [])
    >>> rows[0]["kind"], rows[0]["skill"], rows[0]["said"]
    ('role_play', 'repair', None)
    """
    one = _one(inventory, client_id)
    known = {str(p) for p in one.people["person_id"]}
    drafted = {str(r.get("person_id")) for r in people if isinstance(r, dict)}
    form = _Form()
    checked = _check_work(form, [entry], client_id, 0, known | drafted)
    if not checked and not form.failures:
        form.fail("work", "fill in the person and the kind of work first")
    form.raise_any()
    kept = [dict(r) for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    new = {k: v for k, v in checked[0].items() if k not in ("client_id", "session")}
    return [*kept, new]


def _died_by(inventory: Inventory, client_id: str, day: str | None) -> set[str]:
    """The client's people who had died on or before ``day``: a ``deceased_date`` or a
    death event naming them (``day`` ``None``: any date)."""
    people = inventory.people[inventory.people["client_id"] == client_id]
    events = inventory.events[
        (inventory.events["client_id"] == client_id) & (inventory.events["kind"] == "death")
    ]
    dates = [
        *zip(people["person_id"], people["deceased_date"], strict=True),
        *zip(events["person_id"], events["date"], strict=True),
    ]
    return {
        str(pid)
        for pid, date in dates
        if not is_missing(pid) and not is_missing(date) and (day is None or str(date) <= day)
    }


def _check_area_work(
    form: _Form,
    table: str,
    entries: Any,
    client_id: str,
    session: int,
    people: set[str],
    dead: set[str],
) -> list[dict[str, Any]]:
    """Rows of one area record (see :data:`AREA_WORK`); entries with no text are left out.
    Grief work is about someone in ``dead`` (who had died by the session)."""
    if isinstance(entries, dict):
        entries = [entries]
    about_person = "person_id" in TABLES[table].names
    rows: list[dict[str, Any]] = []
    for n, entry in enumerate(form.rows(entries, table.replace("_", " ")), start=1):
        where = f"{table.replace('_', ' ')} {n}"
        texts = {f: form.text(entry.get(f), where, f.replace("_", " ")) for f in AREA_WORK[table]}
        if not any(texts.values()):
            continue
        row: dict[str, Any] = {"client_id": client_id, "session": session, **texts}
        if about_person:
            row["person_id"] = form.person(entry.get("person_id"), where, people)
            if row["person_id"] in {r["person_id"] for r in rows}:
                form.fail(where, f"{row['person_id']} is given twice")
            elif table == "grief_work" and row["person_id"] not in dead | {None}:
                form.fail(
                    where,
                    f"{row['person_id']} had not died by this session: grief work is about "
                    "a person who died (record the death first)",
                )
        elif rows:
            form.fail(where, "one record a session")
        rows.append(row)
    return rows


def record_area_work(
    store: Store, client_id: str, session: int, table: str, entry: Mapping[str, Any]
) -> None:
    """Record one area record of the middle phase (see :data:`AREA_WORK`) at a stored session.

    Parameters
    ----------
    store, client_id, session : Store, str, int
        An open store, a client it holds and one of the client's sessions.
    table : str
        ``"dispute_work"``, ``"transition_work"`` or ``"grief_work"``.
    entry : mapping
        The record's fields, and ``person_id`` for a dispute or grief record.

    Raises
    ------
    SessionNotFound
        When the client has no such session.
    RecordingError, ValidationError
        When the record is refused (every text empty, an unknown person, grief
        work about someone who had not died by the session); nothing is stored.
    """
    inventory = store.inventory([client_id])
    if session not in inventory.sessions_of(client_id):
        raise SessionNotFound(client_id, session)
    sessions = inventory.sessions.set_index("session")
    day = str(sessions.at[session, "date"])
    form = _Form("area work")
    people = {str(p) for p in inventory.people["person_id"]}
    dead = _died_by(inventory, client_id, day)
    rows = _check_area_work(form, table, [dict(entry)], client_id, session, people, dead)
    if not rows and not form.failures:
        fields = ", ".join(f.replace("_", " ") for f in AREA_WORK[table])
        form.fail("record", f"give at least one of: {fields}")
    form.raise_any()
    store.append(client_id, {table: _frame(table, rows)})


def session_tables(
    inventory: Inventory,
    client_id: str,
    *,
    session: Any,
    date: Any,
    people: Any,
    ties: Any = None,
    phq9: Any = None,
    phq9_difficulty: Any = None,
    dispute_stage: Any = None,
    communication: Any = None,
    goals: Any = None,
    dispute_work: Any = None,
    transition_work: Any = None,
    grief_work: Any = None,
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
        and ``role``. The other columns of ``relationships``
        (``contact_frequency``, ``expectations_met``, ...) are carried forward
        from the person's row at the last session unless the entry gives them.
    ties : list of dict, optional
        ``source`` and ``target`` person ids, both on the map; rows with both
        ends empty are ignored.
    phq9 : list, optional
        Nine answers 0 to 3, item 1 first; any of them may be blank (a partly
        filled PHQ-9 is stored as given, item 9 whatever else is missing).
        Nine blanks (or ``None``): no PHQ-9.
    phq9_difficulty : int, optional
        The PHQ-9 difficulty item, 0 to 3 (blank: not asked).
    dispute_stage : str, optional
        One of :data:`~ipt_network.names.DISPUTE_STAGES`, the clinician's call
        (blank: not recorded).
    communication : list of dict, optional
        Communication work of this session: ``person_id`` and ``kind`` (one of
        :data:`~ipt_network.names.COMMUNICATION_KINDS`), optional ``skill``,
        ``outcome``, ``planned``, ``happened``, and for a communication
        analysis ``said``, ``meant`` and ``breakdown``. Empty rows are ignored.
    goals : list of dict, optional
        Goal statuses at this session: ``goal_id`` and ``status`` (one of
        :data:`~ipt_network.names.GOAL_STATUSES`); a known goal keeps its
        ``area`` and ``goal`` text unless they are given, a new goal needs
        both (its id is made when left blank). Entries without a status and
        without a new goal are ignored.
    dispute_work, grief_work : list of dict, optional
        Area records about one person each: ``person_id`` and the fields of
        :data:`AREA_WORK`. Entries with no text are ignored.
    transition_work : dict, optional
        The transition record: ``old_role``, ``new_role``, ``losses``, ``gains``.

    Returns
    -------
    dict of str to DataFrame
        New rows for ``sessions``, ``people`` (new people only),
        ``relationships``, ``person_ties``, ``communication``, ``goals`` and
        the three area records, in the contract's columns.

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
    last = _last_map(one.relationships)
    relationships, new_people = _check_people(form, people, client_id, number, known, last)
    on_map = {str(r["person_id"]) for r in relationships}
    person_ties = _check_ties(form, ties, client_id, number, on_map)
    everyone = set(known.index) | {str(p["person_id"]) for p in new_people}
    dead = _died_by(one, client_id, day)
    middle = {
        "communication": _check_work(form, communication, client_id, number, everyone),
        "goals": _check_goals(form, goals, one, client_id, number),
        **{
            table: _check_area_work(form, table, entries, client_id, number, everyone, dead)
            for table, entries in zip(
                AREA_WORK, (dispute_work, transition_work, grief_work), strict=True
            )
        },
    }
    row = {
        "client_id": client_id,
        "session": number,
        "date": day,
        "phq9_difficulty": form.number(
            phq9_difficulty, "PHQ-9 difficulty", "sessions", "phq9_difficulty"
        ),
        "dispute_stage": form.choice(dispute_stage, "dispute stage", names.DISPUTE_STAGES),
    }
    form.raise_any()
    row.update(zip(PHQ9_ITEMS, items, strict=True))
    return {
        "sessions": _frame("sessions", [row]),
        "people": _frame("people", new_people),
        "relationships": _frame("relationships", relationships),
        "person_ties": _frame("person_ties", person_ties),
        **{name: _frame(name, rows) for name, rows in middle.items()},
    }


def record_session(store: Store, client_id: str, **form: Any) -> int:
    """Check a session entered in a form and store it whole, or store nothing.

    The keyword arguments are those of :func:`session_tables` (``session``,
    ``date``, ``people``, ``ties``, ``phq9`` and the middle-phase records);
    ``store`` is an open :class:`~ipt_network.io.store.Store` holding the client.

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
    tables = session_tables(inventory, client_id, **form)
    store.append(client_id, tables)
    return int(tables["sessions"]["session"].iloc[0])


#: The fields of the treatment contract and the ending form, with how each is checked.
_CONTRACT_FIELDS: Final = {
    "planned_sessions": "number",
    "contract_date": "date",
    "formulation": "text",
    "gains": "text",
    "warning_signs": "text",
    "who_to_turn_to": "text",
    "maintenance": "choice",
}


def contract_draft(inventory: Inventory, client_id: str) -> dict[str, Any]:
    """The client's treatment contract and ending as they stand, JSON-ready for a form.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> sorted(contract_draft(load_samples(), "grief-01"))[:3]
    ['contract_date', 'formulation', 'gains']
    """
    row = _one(inventory, client_id).clients.iloc[0]
    draft: dict[str, Any] = {}
    for column, kind in _CONTRACT_FIELDS.items():
        value = row[column]
        draft[column] = (
            None if is_missing(value) else int(value) if kind == "number" else str(value)
        )
    return draft


def contract_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the treatment contract and ending fields as entered; blank means empty.

    Parameters
    ----------
    values : mapping of str to object
        Some of ``planned_sessions`` (8 to 24), ``contract_date`` (ISO),
        ``formulation``, ``gains``, ``warning_signs``, ``who_to_turn_to``
        (free text) and ``maintenance`` (one of
        :data:`~ipt_network.names.MAINTENANCE_DECISIONS`). Untrusted.

    Returns
    -------
    dict
        The same fields, checked: ``None`` for a blank one.

    Raises
    ------
    RecordingError
        Listing every problem, naming fields only.

    Examples
    --------
    >>> contract_values({"planned_sessions": "12", "maintenance": "agreed", "gains": " "})
    {'planned_sessions': 12, 'maintenance': 'agreed', 'gains': None}
    >>> contract_values({"planned_sessions": 40})
    Traceback (most recent call last):
    ...
    ipt_network.io.recording.RecordingError: 1 problem found; nothing was written.
      contract form, column planned sessions: must be a whole number from 8 to 24
    """
    form = _Form(CONTRACT_FORM)
    checked: dict[str, Any] = {}
    for column, value in values.items():
        kind = _CONTRACT_FIELDS.get(column) if isinstance(column, str) else None
        where = str(column).replace("_", " ")
        if kind == "number":
            checked[column] = form.number(value, where, "clients", column)
        elif kind == "date":
            checked[column] = form.date(value, where)
        elif kind == "choice":
            checked[column] = form.choice(value, where, names.MAINTENANCE_DECISIONS)
        elif kind == "text":
            checked[column] = form.text(value, where)
        else:
            form.fail("form", "holds a field that is not part of the contract or the ending")
    if not values:
        form.fail("form", "give at least one field to record")
    form.raise_any()
    return checked


def _contract_date_rule(inventory: Inventory, client_id: str, day: str) -> str | None:
    """Why a contract date cannot be recorded, or ``None``: it must not precede the
    client's first session."""
    sessions = inventory.sessions[inventory.sessions["client_id"] == client_id]
    if sessions.empty:
        return None
    first = str(sessions.sort_values("session")["date"].iloc[0])
    if day < first:
        return "must be on or after the date of the first session"
    return None


def record_contract(
    store: Store,
    client_id: str,
    values: Mapping[str, Any],
    *,
    loaded: Mapping[str, Any] | None = None,
) -> list[str]:
    """Record the treatment contract and the ending work of a stored client.

    Parameters
    ----------
    store, client_id : Store, str
        An open store and a client it holds.
    values : mapping of str to object
        The fields to set, as for :func:`contract_values`; the others are kept.
    loaded : mapping of str to object, optional
        The values a form was opened with (:func:`contract_draft`). When given,
        only the fields whose value differs from it are written, and a field
        changed in the store since the form was loaded is refused.

    Returns
    -------
    list of str
        The fields recorded (empty when nothing changed).

    Raises
    ------
    ClientNotFound
        When the client is not stored.
    RecordingError, ValidationError
        When a value is refused (a contract date before the first session, a
        field changed since the form was loaded); nothing is stored.

    Examples
    --------
    >>> import tempfile, os
    >>> from ipt_network import Store, load_samples
    >>> store = Store.create(os.path.join(tempfile.mkdtemp(), "ipt.db"))
    >>> store.import_inventory(load_samples().for_clients(["grief-01"]))
    1
    >>> opened = contract_draft(store.inventory(["grief-01"]), "grief-01")
    >>> record_contract(store, "grief-01", {"gains": "Walks again"})
    ['gains']
    >>> record_contract(store, "grief-01", {**opened, "planned_sessions": 16}, loaded=opened)
    ['planned_sessions']
    >>> record_contract(store, "grief-01", {**opened, "gains": "Other"}, loaded=opened)
    Traceback (most recent call last):
    ...
    ipt_network.io.recording.RecordingError: 1 problem found; nothing was written.
      contract form, column gains: changed since you opened the page: reload it
    >>> store.close()
    """
    checked = contract_values(values)
    before: dict[str, Any] = {}
    if loaded is not None:
        opened = {k: v for k, v in loaded.items() if k in checked}
        before = contract_values(opened) if opened else {}
        checked = {k: v for k, v in checked.items() if v != before.get(k)}
    if not checked:
        return []

    def unchanged_since_loaded(inventory: Inventory) -> None:
        form = _Form(CONTRACT_FORM)
        stored = contract_draft(inventory, client_id)
        for column in checked if loaded is not None else ():
            if stored.get(column) != before.get(column):
                form.fail(column.replace("_", " "), "changed since you opened the page: reload it")
        day = checked.get("contract_date")
        rule = None if day is None else _contract_date_rule(inventory, client_id, day)
        if rule is not None:
            form.fail("contract date", rule)
        form.raise_any()

    store.update(client_id, "clients", {}, checked, check=unchanged_since_loaded)
    return list(checked)


def record_stage(store: Store, client_id: str, session: int, stage: Any) -> str | None:
    """Record (or clear, with ``None``) the dispute stage of a stored session.

    Returns
    -------
    str or None
        The stage recorded at that session before (``None``: none was).

    Raises
    ------
    SessionNotFound
        When the client has no such session.
    RecordingError
        When ``stage`` is not one of :data:`~ipt_network.names.DISPUTE_STAGES`.
    """
    form = _Form("sessions")
    checked = form.choice(stage, "dispute stage", names.DISPUTE_STAGES)
    form.raise_any()
    before: list[str | None] = []

    def remember(inventory: Inventory) -> None:
        rows = inventory.sessions[inventory.sessions["session"] == session]
        before.extend(None if is_missing(v) else str(v) for v in rows["dispute_stage"])

    store.update(
        client_id, "sessions", {"session": session}, {"dispute_stage": checked}, check=remember
    )
    return before[0] if before else None


def focus_note(inventory: Inventory, client_id: str, area: str) -> str | None:
    """A note when the client's recorded focus leaves out ``area`` (``None`` otherwise,
    and when no focus is recorded).

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> focus_note(load_samples(), "grief-01", "role_dispute")
    "grief-01's focus is not a role dispute; recorded anyway"
    >>> focus_note(load_samples(), "dispute-01", "role_dispute") is None
    True
    """
    focus = _focus(_one(inventory, client_id))
    if not focus or area in focus:
        return None
    return f"{client_id}'s focus is not a {area.replace('_', ' ')}; recorded anyway"


def record_goal(store: Store, client_id: str, session: int, entry: Mapping[str, Any]) -> str:
    """Record a goal's status at a session: a new row, or the session's row changed.

    A goal's status at a later session is a new ``goals`` row for that session
    (the earlier rows stay, so the course of a goal can be read back); a second
    status at the same session replaces the first.

    Parameters
    ----------
    store, client_id, session : Store, str, int
        An open store, a client it holds and one of the client's sessions.
    entry : mapping
        ``goal_id``, ``status``, and for a new goal ``area`` and ``goal`` (the text).

    Returns
    -------
    str
        The goal's id (made when a new goal had none).

    Raises
    ------
    SessionNotFound
        When the client has no such session.
    RecordingError, ValidationError
        When the entry is refused; nothing is stored.
    """
    inventory = store.inventory([client_id])
    if session not in inventory.sessions_of(client_id):
        raise SessionNotFound(client_id, session)
    form = _Form("goals")
    if _blank(entry.get("goal_id")):
        form.fail("goal id", "must not be empty (such as g1)")
        form.raise_any()
    known: dict[str, Mapping[str, Any]] = {
        g["goal_id"]: g for g in client_goals(inventory, client_id)
    }
    row = _goal(form, entry, "goal", {"client_id": client_id, "session": session}, known)
    form.raise_any()
    assert row is not None
    goals = inventory.goals
    if ((goals["session"] == session) & (goals["goal_id"] == row["goal_id"])).any():
        values = {k: row[k] for k in ("area", "goal", "status")}
        store.update(client_id, "goals", {"session": session, "goal_id": row["goal_id"]}, values)
    else:
        store.append(client_id, {"goals": _frame("goals", [row])})
    return str(row["goal_id"])
