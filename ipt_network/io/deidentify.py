"""De-identification of a store's tables: one treatment for every column of the contract.

:func:`deidentify` is the pure transformation behind ``ipt-network export
--deidentify`` and behind every read a researcher makes
(:meth:`ipt_network.io.store.Store.read_tables`): client ids become study ids,
dates move back by the client's offset, ages of 90 or over become 90, person
and goal ids are re-keyed within each client, and text is dropped. The
aggregates, the summary file and the export rules are in
:mod:`ipt_network.research.deidentify`, which documents each treatment.

Examples
--------
>>> from ipt_network import load_samples
>>> inv = load_samples().for_clients(["grief-01"])
>>> anon = deidentify(inv, {"grief-01": ("S-TEST", 400)})
>>> anon.clients[["client_id", "onset_date"]].values.tolist()
[['S-TEST', '2024-01-21']]
>>> anon.people["person_id"].tolist()[:3], bool(anon.people["notes"].isna().all())
(['p1', 'p2', 'p3'], True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import numpy as np
import pandas as pd

from ipt_network.errors import BadArgument
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

__all__ = ["Treatment", "KEPT", "TOP_CODED", "treatment", "deidentify"]

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
