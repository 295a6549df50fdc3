"""The in-memory inventory: the tidy tables of one or many clients.

An :class:`Inventory` holds one pandas DataFrame per table of the contract
(:mod:`ipt_network.io.contract`), with every column of the contract present and
typed: ids, text, dates and choices as pandas ``string`` (ISO dates stay
strings), integers as nullable ``Int64`` and flags as nullable ``boolean``.
Build one with :func:`ipt_network.io.validation.validate` (or the readers that
call it); it is then known to satisfy every rule of the contract.

Examples
--------
>>> from ipt_network import load_samples
>>> inv = load_samples()
>>> sorted(inv.client_ids())[:2]
['deficits-01', 'dispute-01']
>>> sub = inv.for_clients(["grief-01"])
>>> sub.client_ids()
['grief-01']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import pandas as pd

from ipt_network.errors import ClientNotFound
from ipt_network.io.contract import TABLES, Column

__all__ = ["Inventory", "empty_table", "dtype_of", "is_missing", "cell_text"]

_T = TypeVar("_T")


def is_missing(value: object) -> bool:
    """Whether a cell is empty: ``None``, ``pd.NA`` or a float NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> [is_missing(v) for v in (None, pd.NA, float("nan"), 0, "")]
    [True, True, True, False, False]
    """
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def cell_text(value: object) -> str | None:
    """A cell as stripped text; ``None`` when it is empty or blank.

    Examples
    --------
    >>> [cell_text(v) for v in (None, "  ", " Ann ", 3)]
    [None, None, 'Ann', '3']
    """
    if is_missing(value):
        return None
    return str(value).strip() or None


def dtype_of(column: Column) -> str:
    """The pandas dtype a contract column is held in.

    Examples
    --------
    >>> from ipt_network.io.contract import TABLES
    >>> dtype_of(TABLES["relationships"].column("ring"))
    'Int64'
    """
    return {"int": "Int64", "bool": "boolean"}.get(column.kind, "string")


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with every column of table ``name``, typed.

    Examples
    --------
    >>> list(empty_table("person_ties").columns)
    ['client_id', 'session', 'source', 'target']
    """
    table = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=dtype_of(c)) for c in table.columns})


@dataclass
class Inventory:
    """The tidy tables, one DataFrame per file of the contract.

    Parameters
    ----------
    clients, sessions, people, relationships, person_ties, events, communication : DataFrame
        The tables, with the columns of :data:`ipt_network.io.contract.TABLES`.
    goals, dispute_work, transition_work, grief_work : DataFrame
        The middle phase's records (optional files; empty when not kept).
    """

    clients: pd.DataFrame
    sessions: pd.DataFrame
    people: pd.DataFrame
    relationships: pd.DataFrame
    person_ties: pd.DataFrame
    events: pd.DataFrame
    communication: pd.DataFrame
    goals: pd.DataFrame
    dispute_work: pd.DataFrame
    transition_work: pd.DataFrame
    grief_work: pd.DataFrame

    @classmethod
    def empty(cls) -> Inventory:
        """An inventory with no rows.

        Examples
        --------
        >>> Inventory.empty().client_ids()
        []
        """
        return cls(**{name: empty_table(name) for name in TABLES})

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame]) -> Inventory:
        """Build from a mapping of table name to DataFrame, filling absent tables empty.

        No validation happens here: use :func:`ipt_network.io.validation.validate`
        on tables that come from outside.
        """
        return cls(**{n: tables[n] if n in tables else empty_table(n) for n in TABLES})

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables as a dict, in the contract's order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def items(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Iterate over ``(name, frame)`` pairs in the contract's order."""
        yield from self.tables().items()

    def client_ids(self) -> list[str]:
        """Client ids in the order of the clients table."""
        return [str(c) for c in self.clients["client_id"]]

    def for_clients(self, client_ids: Iterable[str]) -> Inventory:
        """The rows of the given clients only.

        Raises
        ------
        ClientNotFound
            When an id is not in the clients table.
        """
        wanted = list(client_ids)
        known = set(self.client_ids())
        for cid in wanted:
            if cid not in known:
                raise ClientNotFound(cid)
        return Inventory(
            **{
                name: frame[frame["client_id"].isin(wanted)].reset_index(drop=True)
                for name, frame in self.items()
            }
        )

    def sessions_of(self, client_id: str) -> list[int]:
        """Session numbers of one client, in order.

        Raises
        ------
        ClientNotFound
            When the client is not in the inventory.
        """
        if client_id not in set(self.client_ids()):
            raise ClientNotFound(client_id)
        s = self.sessions.loc[self.sessions["client_id"] == client_id, "session"]
        return sorted(int(x) for x in s)

    def __len__(self) -> int:
        return len(self.clients)

    def kept(self, kind: str, client_id: str, build: Callable[[], _T]) -> _T:
        """A value derived from one client's rows, built once and kept on this inventory.

        The read model and the snapshot graphs are kept this way, so every view
        called with the same inventory builds them once. An inventory must
        therefore not be mutated after it is read. A build that raises keeps nothing.

        Examples
        --------
        >>> inv = Inventory.empty()
        >>> inv.kept("answer", "c1", lambda: 42), inv.kept("answer", "c1", lambda: 0)
        (42, 42)
        """
        memo: dict[tuple[str, str], Any] = vars(self).setdefault("_kept", {})
        key = (kind, client_id)
        if key not in memo:
            memo[key] = build()
        return memo[key]
