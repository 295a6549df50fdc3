"""De-identified exports that meet HIPAA Safe Harbor (45 CFR 164.514(b)(2)).

``ipt-network export --deidentify`` (any ``--format``) passes the store's
tables through :func:`deidentify` before they are written, and writes
:data:`SUMMARY_FILE` beside them (:func:`write_summary`). Every column of the
contract gets exactly one treatment (:func:`treatment`; the test suite fails
when a new column has none):

- **study id** (``client_id``): a random study id such as ``S-7KQ3M9XW2A``,
  drawn with :mod:`secrets`, never a hash of the client id. The key table
  (``study_keys`` in the store: client id, study id, date shift, when made)
  stays in the store and is never exported: it is no table of the contract, so
  no inventory read, no format and no aggregate holds it. A client keeps its
  study id, so a researcher can add later waves; keys are made only by a
  de-identified export (:meth:`~ipt_network.io.store.Store.study_keys`, one
  write transaction for all the missing ones).
- **shifted** (every ``date`` column of the contract): each client's dates move
  back by one random whole number of days (365 to 3650, drawn once per client
  with :mod:`secrets` and kept with the study id). Intervals within a client
  (between sessions, from onset, to a death) are kept, and every format reads
  the dates as before, but **the years are no longer real**. This is the
  issue's second option; days since onset was not chosen because
  ``onset_date`` may be empty, and every format and reader of the project
  expects calendar dates.
- **top-coded** (``clients.age``): an age of 90 or over is written as 90,
  which stands for "90 or older", Safe Harbor's single category.
- **re-keyed** (person ids ``person_id``, ``source``, ``target``; ``goal_id``):
  people become ``p1``, ``p2``, ... and goals ``g1``, ``g2``, ... within each
  client, in the order they first appear (earliest session first), since a
  user may have typed a name into an id.
- **kept** (numbers, flags and categories of :mod:`ipt_network.names`): the
  columns listed in :data:`KEPT`.
- **dropped** (every ``text`` column: names, labels and all free text): emptied.
  ``people.name``, which may not be empty, becomes the person's new id.

Rows are put in the order of the new ids, so the order of the real ids shows
nowhere.

Aggregates: :func:`summary` counts clients by problem area and by course
length and sessions by phase; every count from 1 to 10 is suppressed by
:func:`suppress_small` (an empty count and ``suppressed`` true), as any other
aggregate a de-identified export writes must be.

Examples
--------
>>> from ipt_network import load_samples
>>> inv = load_samples().for_clients(["grief-01"])
>>> anon = deidentify(inv, {"grief-01": ("S-TEST", 400)})
>>> anon.clients[["client_id", "onset_date"]].values.tolist()
[['S-TEST', '2024-01-21']]
>>> inv.clients["onset_date"].iloc[0]
'2025-02-24'
>>> anon.people["person_id"].tolist()[:3], bool(anon.people["notes"].isna().all())
(['p1', 'p2', 'p3'], True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from ipt_network import names
from ipt_network.clinical.model import CoursePlan, Phase
from ipt_network.errors import BadArgument, OutputExists
from ipt_network.io._cells import neutralise_frame
from ipt_network.io._files import private_output
from ipt_network.io.contract import (
    GAD7_ITEMS,
    ITEM_COLUMNS,
    LSNS6_ITEMS,
    PHQ9_ITEMS,
    TABLES,
    TOTAL_COLUMNS,
    Column,
)
from ipt_network.io.inventory import Inventory, dtype_of

__all__ = [
    "require_empty",
    "Treatment",
    "KEPT",
    "TOP_CODED",
    "SMALL_COUNTS",
    "SUMMARY_FILE",
    "treatment",
    "deidentify",
    "suppress_small",
    "summary",
    "summary_path",
    "write_summary",
]

Treatment = Literal["study_id", "person", "goal", "shift", "top_code", "keep", "drop"]

#: Columns kept as they are: numbers, flags and categories (vocabularies of ``names``).
KEPT: Final[dict[str, tuple[str, ...]]] = {
    "clients": ("planned_sessions", "focus", "focus_session", "episode", "maintenance"),
    "sessions": (
        "session",
        *PHQ9_ITEMS,
        *GAD7_ITEMS,
        *LSNS6_ITEMS,
        *TOTAL_COLUMNS,
        *ITEM_COLUMNS,
        "dispute_stage",
    ),
    "people": ("role",),
    "relationships": (
        "session",
        "ring",
        "conflict",
        "support",
        "contact_frequency",
        "expectations_met",
        "knows_about_depression",
    ),
    "person_ties": ("session",),
    "events": ("kind",),
    "communication": ("session", "kind", "outcome", "skill"),
    "goals": ("session", "area", "status"),
    "dispute_work": ("session",),
    "transition_work": ("session",),
    "grief_work": ("session",),
}
#: Top-coded columns and their top: a higher value is written as the top ("90 or older").
TOP_CODED: Final = {("clients", "age"): 90}
#: Id columns re-keyed within each client, with the prefix of the new ids.
_REKEYED: Final[dict[str, tuple[Treatment, str]]] = {
    "person_id": ("person", "p"),
    "source": ("person", "p"),
    "target": ("person", "p"),
    "goal_id": ("goal", "g"),
}
#: Counts an aggregate never shows (inclusive).
SMALL_COUNTS: Final = (1, 10)
#: The aggregate table a de-identified export writes beside its files.
SUMMARY_FILE: Final = "summary.csv"
#: Bands of course length (sessions recorded): (label, fewest, most).
_LENGTH_BANDS: Final = (
    ("no sessions", 0, 0),
    ("1 to 7 sessions", 1, 7),
    ("8 to 11 sessions", 8, 11),
    ("12 to 16 sessions", 12, 16),
    ("17 or more sessions", 17, 10**6),
)


def treatment(table: str, column: Column) -> Treatment | None:
    """What a de-identified export does with one column of the contract.

    Dates are always shifted and text always dropped; an id, number, flag or
    category has a treatment only when it is named here (:data:`KEPT`,
    :data:`TOP_CODED`, the re-keyed ids). ``None`` means unclassified: such a
    column is emptied, and the test suite fails until it is classified.

    Examples
    --------
    >>> t = TABLES["people"]
    >>> [treatment("people", t.column(c)) for c in ("client_id", "person_id", "name", "role")]
    ['study_id', 'person', 'drop', 'keep']
    >>> treatment("clients", TABLES["clients"].column("age"))
    'top_code'
    """
    if column.name == "client_id":
        return "study_id"
    if column.kind == "date":
        return "shift"
    if column.kind == "text":
        return "drop"
    if (table, column.name) in TOP_CODED:
        return "top_code"
    if column.kind == "id" and column.name in _REKEYED:
        return _REKEYED[column.name][0]
    if column.name in KEPT.get(table, ()):
        return "keep"
    return None


def _new_ids(inventory: Inventory, kind: Treatment, prefix: str) -> pd.Series:
    """New ids (``p1``, ``p2``, ...) of one kind, indexed by (client id, old id).

    Within a client, ids are numbered by the first session they appear at
    (ids never tied to a session last), then by where they first appear.
    """
    found = []
    for name, frame in inventory.items():
        for column in TABLES[name].columns:
            if treatment(name, column) == kind:
                none = pd.Series(pd.NA, index=frame.index, dtype="Int64")
                session = frame.get("session", none)
                found.append(
                    pd.DataFrame(
                        {"client_id": frame["client_id"], "old": frame[column.name]}
                    ).assign(session=session.astype("Int64"))
                )
    rows = pd.concat(found, ignore_index=True).dropna(subset=["old"])
    rows["position"] = np.arange(len(rows))
    first = rows.groupby(["client_id", "old"], sort=False).agg(
        session=("session", "min"), position=("position", "min")
    )
    first = first.reset_index().sort_values(
        ["client_id", "session", "position"], na_position="last", kind="stable"
    )
    number = first.groupby("client_id", sort=False).cumcount() + 1
    return pd.Series(
        (prefix + number.astype(str)).to_numpy(),
        index=pd.MultiIndex.from_frame(first[["client_id", "old"]]),
        dtype="string",
    )


def _recode(frame: pd.DataFrame, column: str, new: pd.Series) -> pd.Series:
    """The column's ids replaced by their new ids within each client (empty stays empty)."""
    where = pd.MultiIndex.from_arrays([frame["client_id"], frame[column]])
    return pd.Series(new.reindex(where).to_numpy(), index=frame.index, dtype="string")


def _shift(dates: pd.Series, offsets: pd.Series) -> pd.Series:
    """ISO dates moved back by each row's number of days (empty stays empty)."""
    moved = pd.to_datetime(dates, format="%Y-%m-%d") - pd.to_timedelta(offsets, unit="D")
    return moved.dt.strftime("%Y-%m-%d").astype("string")


def _order_key(series: pd.Series) -> pd.Series:
    """Sort key of a column: re-keyed ids by their number (``p2`` before ``p10``)."""
    if series.name in _REKEYED:
        return series.str[1:].astype("Int64")
    return series


def deidentify(inventory: Inventory, keys: Mapping[str, tuple[str, int]]) -> Inventory:
    """The tables as a de-identified export writes them (HIPAA Safe Harbor).

    Pure: the keys come from the caller (the store's
    :meth:`~ipt_network.io.store.Store.study_keys`); the same tables and keys
    give the same result.

    Parameters
    ----------
    inventory : Inventory
        The tables, validated (as a store gives them).
    keys : mapping of str to (str, int)
        For every client id: the study id, and the days its dates move back.

    Returns
    -------
    Inventory
        Every column treated as :func:`treatment` says; rows in the order of
        the new ids.

    Raises
    ------
    BadArgument
        When a client has no key.
    """
    missing = [c for c in inventory.client_ids() if c not in keys]
    if missing:
        raise BadArgument(f"client {missing[0]!r} has no study key")
    study = pd.Series({c: k[0] for c, k in keys.items()}, dtype="string")
    offset = pd.Series({c: int(k[1]) for c, k in keys.items()}, dtype="int64")
    new = {kind: _new_ids(inventory, kind, prefix) for kind, prefix in set(_REKEYED.values())}
    out = {}
    for name, frame in inventory.items():
        table = TABLES[name]
        treated = {}
        for column in table.columns:
            cells = frame[column.name]
            how = treatment(name, column)
            if how == "keep":
                treated[column.name] = cells
            elif how == "study_id":
                treated[column.name] = pd.Series(
                    cells.map(study).to_numpy(), index=frame.index, dtype="string"
                )
            elif how == "shift":
                treated[column.name] = _shift(cells, frame["client_id"].map(offset))
            elif how == "top_code":
                treated[column.name] = cells.clip(upper=TOP_CODED[name, column.name])
            elif how in new:
                treated[column.name] = _recode(frame, column.name, new[how])
            else:  # dropped, or not classified yet: emptied
                treated[column.name] = pd.Series(pd.NA, index=frame.index, dtype=dtype_of(column))
                if how == "drop" and not column.nullable:  # people.name: the contract wants one
                    treated[column.name] = treated[table.key[-1]]
        order = ["client_id", *(c for c in table.key if c != "client_id")]
        done = pd.DataFrame(treated, columns=table.names)
        out[name] = done.sort_values(order, key=_order_key, kind="stable", ignore_index=True)
    return Inventory.from_tables(out)


def suppress_small(counts: pd.Series) -> pd.DataFrame:
    """One group of counts with every count from 1 to 10 suppressed.

    Every aggregate a de-identified export writes goes through this function.
    When exactly one count of the group is suppressed, the smallest other
    count above 0 is suppressed too, so that a total cannot give the hidden
    one back. A count of 0 is shown.

    Parameters
    ----------
    counts : Series of int
        The counts of one group (one category each).

    Returns
    -------
    DataFrame
        Indexed as ``counts``: ``count`` (``Int64``, empty where suppressed)
        and ``suppressed`` (bool).

    Examples
    --------
    >>> table = suppress_small(pd.Series({"a": 0, "b": 4, "c": 25, "d": 40}))
    >>> table["count"].tolist(), table["suppressed"].tolist()
    ([0, <NA>, <NA>, 40], [False, True, True, False])
    """
    values = counts.astype("int64")
    low, high = SMALL_COUNTS
    hidden = values.between(low, high)
    if hidden.sum() == 1:
        others = values[~hidden & (values > 0)]
        if len(others):
            hidden[others.idxmin()] = True
    return pd.DataFrame(
        {"count": values.astype("Int64").mask(hidden), "suppressed": hidden.astype(bool)}
    )


def _length_band(n: int) -> str:
    return next(label for label, low, high in _LENGTH_BANDS if low <= n <= high)


def summary(inventory: Inventory) -> pd.DataFrame:
    """The aggregate table of a de-identified export, small counts suppressed.

    Groups: all clients; clients by problem area of their focus (a client
    with two areas counts in both; ``not recorded`` when no focus); clients
    by course length (sessions recorded); sessions by phase of the course
    (:class:`~ipt_network.clinical.model.CoursePlan`). Each group passes
    through :func:`suppress_small`.

    Returns
    -------
    DataFrame
        Columns ``measure``, ``category``, ``count`` and ``suppressed``.

    Examples
    --------
    >>> from ipt_network.io.synth import synthesize
    >>> table = summary(synthesize(30, seed=1))
    >>> table.iloc[0][["measure", "category"]].tolist(), int(table["count"].iloc[0])
    (['clients', 'all'], 30)
    >>> bool(table["count"].between(1, 10).any())
    False
    """
    clients, sessions = inventory.clients, inventory.sessions
    focus = clients["focus"].fillna("").str.split(";")
    areas = {a: int(focus.map(lambda chosen, a=a: a in chosen).sum()) for a in names.PROBLEM_AREAS}
    done = sessions.groupby("client_id").size().reindex(clients["client_id"], fill_value=0)
    plans = {
        c: CoursePlan.of(p, m)
        for c, p, m in zip(
            clients["client_id"], clients["planned_sessions"], clients["maintenance"], strict=True
        )
    }
    pairs = zip(sessions["client_id"], sessions["session"], strict=True)
    phases = pd.Series([str(plans[c].phase(int(s))) for c, s in pairs], dtype=object)
    groups = {
        "clients": pd.Series({"all": len(clients)}),
        "clients by problem area": pd.Series(
            {**areas, "not recorded": int(clients["focus"].isna().sum())}
        ),
        "clients by course length": done.map(_length_band)
        .value_counts()
        .reindex([b[0] for b in _LENGTH_BANDS], fill_value=0),
        "sessions by phase": phases.value_counts().reindex(list(Phase), fill_value=0),
    }
    parts = [
        suppress_small(counts).rename_axis("category").reset_index().assign(measure=measure)
        for measure, counts in groups.items()
    ]
    return pd.concat(parts, ignore_index=True)[["measure", "category", "count", "suppressed"]]


def require_empty(folder: str | os.PathLike[str]) -> None:
    """Refuse a folder that holds anything: a de-identified export starts in an empty one.

    Overwriting would leave the files an earlier export wrote and this one does
    not (a GraphML folder of a client by real id, say) beside the de-identified
    files, so ``overwrite`` does not lift this.

    Raises
    ------
    OutputExists
        (a ``FileExistsError``) When ``folder`` exists and is not empty.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     require_empty(tmp)  # empty: fine
    ...     _ = (Path(tmp) / "old.csv").write_text("x")
    ...     require_empty(tmp)
    Traceback (most recent call last):
    ...
    ipt_network.errors.OutputExists: ... is not empty: a de-identified export goes into ...
    """
    root = Path(folder)
    if root.is_dir() and any(root.iterdir()):
        raise OutputExists(
            f"{root} is not empty: a de-identified export goes into a new or empty folder, "
            "so that nothing from an earlier export sits beside it (even with overwrite)"
        )


def summary_path(folder: str | Path, *, overwrite: bool = False) -> Path:
    """Where :func:`write_summary` writes in ``folder``; checked before anything is written.

    Raises
    ------
    OutputExists
        (a ``FileExistsError``) When the file is there and ``overwrite`` is false.
    """
    target = Path(folder) / SUMMARY_FILE
    if target.exists() and not overwrite:
        raise OutputExists(f"{target.parent} already holds {SUMMARY_FILE}; choose an empty folder")
    return target


def write_summary(inventory: Inventory, target: Path) -> Path:
    """Write :func:`summary` as CSV (suppressed counts empty), readable by the owner only.

    Parameters
    ----------
    inventory : Inventory
        The de-identified tables.
    target : Path
        The file, as :func:`summary_path` gives it.

    Examples
    --------
    >>> import tempfile
    >>> from ipt_network.io.synth import synthesize
    >>> path = write_summary(synthesize(12, seed=1), Path(tempfile.mkdtemp()) / SUMMARY_FILE)
    >>> path.read_text().splitlines()[:3]  # doctest: +NORMALIZE_WHITESPACE
    ['measure,category,count,suppressed', 'clients,all,12,false',
     'clients by problem area,grief,,true']
    """
    table = summary(inventory)
    text = table.astype({"count": "string"}).fillna({"count": ""})
    text["suppressed"] = np.where(table["suppressed"], "true", "false")
    with private_output(target) as tmp:
        neutralise_frame(text).to_csv(tmp, index=False, lineterminator="\n")
    return target
