"""Validation at the boundary: every rule of the tidy contract, every failure found.

:func:`validate` takes raw tables (strings straight from CSV files, or typed
frames built in Python), checks each column and the rules that span tables,
and returns a typed :class:`~ipt_network.inventory.Inventory`. When anything
is wrong it raises :class:`~ipt_network.errors.ValidationError` carrying every
failure with its file, line and column; messages name ids and rules, never a
clinical value.

Examples
--------
>>> import pandas as pd
>>> from ipt_network.errors import ValidationError
>>> tables = {
...     "clients": pd.DataFrame({"client_id": ["c1"], "label": ["A"],
...         "planned_sessions": [""], "onset_date": [""], "focus": ["grief"]}),
...     "sessions": pd.DataFrame({"client_id": ["c1"], "session": ["1"], "date": ["2026-01-05"],
...         **{f"phq9_{i}": ["1"] for i in range(1, 10)}}),
...     "people": pd.DataFrame({"client_id": ["c1"], "person_id": ["p1"], "name": ["Ann"],
...         "role": ["family"], "deceased_date": [""]}),
...     "relationships": pd.DataFrame({"client_id": ["c1"], "session": ["1"],
...         "person_id": ["p1"], "ring": ["7"], "conflict": ["0"], "support": ["3"]}),
...     "person_ties": pd.DataFrame(columns=["client_id", "session", "source", "target"]),
...     "events": pd.DataFrame(columns=["client_id", "date", "kind", "person_id", "description"]),
... }
>>> try:
...     validate(tables)
... except ValidationError as err:
...     print(err.failures[0])
relationships.csv, line 2, column ring: must be a whole number from 1 to 3
>>> tables["relationships"].loc[0, "ring"] = "1"
>>> inv = validate(tables)
>>> int(inv.clients.loc[0, "planned_sessions"])
16
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ipt_network import names
from ipt_network.contract import ITEM_GROUPS, TABLES, Column, Table
from ipt_network.errors import Failure, ValidationError
from ipt_network.inventory import Inventory, dtype_of, empty_table

__all__ = ["validate", "check"]

_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class _Collector:
    """Gathers failures for one file, turning row positions into line numbers."""

    def __init__(self, failures: list[Failure], file: str) -> None:
        self.failures = failures
        self.file = file

    def rows(self, mask: np.ndarray | pd.Series, column: str | None, message: str) -> None:
        if isinstance(mask, pd.Series):
            mask = mask.fillna(False).to_numpy(dtype=bool)
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        self.failures.extend(Failure(self.file, int(p) + 2, column, message) for p in positions)

    def whole(self, column: str | None, message: str) -> None:
        self.failures.append(Failure(self.file, None, column, message))


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped strings with missing cells as empty strings."""
    text = values.astype("string").fillna("")
    return text.str.strip()


def _convert_column(col: Column, raw: pd.Series, report: _Collector) -> pd.Series:
    target = dtype_of(col)
    if col.kind == "int" and pd.api.types.is_integer_dtype(raw.dtype):
        values = raw.astype("Int64")
        present = values.notna().to_numpy()
    else:
        text = _as_text(raw)
        present = (text != "").to_numpy()
        values = _parse(col, text, present, report)
    if not col.nullable:
        report.rows(~present, col.name, "is required")
    if col.kind == "int" and col.default is not None:
        values = values.fillna(col.default)
    if col.kind == "int" and col.bounds is not None:
        lo, hi = col.bounds
        out = present & ((values < lo) | (values > hi)).fillna(False).to_numpy()
        report.rows(out, col.name, f"must be a whole number from {lo} to {hi}")
        values = values.mask(out)
    return values.astype(target)


def _parse(col: Column, text: pd.Series, present: np.ndarray, report: _Collector) -> pd.Series:
    """Parse non-empty string cells for one column; bad cells become NA."""
    missing = pd.Series(pd.NA, index=text.index, dtype=dtype_of(col))
    if col.kind == "int":
        number = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = present & (number.isna() | (number % 1 != 0)).to_numpy()
        if col.bounds is not None:
            lo, hi = col.bounds
            message = f"must be a whole number from {lo} to {hi}"
        else:
            message = "must be a whole number"
        report.rows(bad, col.name, message)
        return number.where(~bad).astype("Float64").astype("Int64")
    if col.kind == "date":
        parsed = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
        ok = text.str.fullmatch(_DATE_PATTERN).fillna(False).to_numpy() & parsed.notna().to_numpy()
        report.rows(present & ~ok, col.name, "must be a date written YYYY-MM-DD")
        return text.where(present & ok, missing)
    if col.kind == "bool":
        low = text.str.lower()
        is_true = low.isin(_TRUE).to_numpy()
        is_false = low.isin(_FALSE).to_numpy()
        report.rows(present & ~(is_true | is_false), col.name, "must be true or false")
        result = pd.Series(pd.NA, index=text.index, dtype="boolean")
        result[is_true] = True
        result[is_false] = False
        return result
    if col.kind == "choice":
        ok = text.isin(col.choices).to_numpy()
        report.rows(present & ~ok, col.name, f"must be one of {', '.join(col.choices)}")
        return text.where(present & ok, missing)
    if col.kind == "areas":
        return _parse_areas(col, text, present, report)
    return text.where(present, missing) if col.kind == "id" else _raw_text(text, present)


def _raw_text(text: pd.Series, present: np.ndarray) -> pd.Series:
    return text.where(present, pd.Series(pd.NA, index=text.index, dtype="string"))


def _parse_areas(
    col: Column, text: pd.Series, present: np.ndarray, report: _Collector
) -> pd.Series:
    parts = text.str.split(";")
    cleaned: list[object] = []
    bad = np.zeros(len(text), dtype=bool)
    for i, (has, items) in enumerate(zip(present, parts, strict=True)):
        if not has:
            cleaned.append(pd.NA)
            continue
        areas = [a.strip() for a in items]
        if (
            not 1 <= len(areas) <= 2
            or len(set(areas)) != len(areas)
            or any(a not in col.choices for a in areas)
        ):
            bad[i] = True
            cleaned.append(pd.NA)
        else:
            cleaned.append(";".join(areas))
    report.rows(bad, col.name, f"must be one or two of {', '.join(col.choices)}, separated by ';'")
    return pd.Series(cleaned, index=text.index, dtype="string")


def _convert_table(table: Table, frame: pd.DataFrame, report: _Collector) -> pd.DataFrame:
    known = set(table.names)
    for extra in (c for c in frame.columns if c not in known):
        optional = [c.name for c in table.columns if not c.required]
        hint = f"; optional columns are {', '.join(optional)}" if optional else ""
        report.whole(str(extra), f"is not a column of {table.file}{hint}")
    for missing in (c for c in table.required if c not in frame.columns):
        report.whole(missing, "required column is missing")
    frame = frame.reset_index(drop=True)
    out = {}
    for col in table.columns:
        if col.name in frame.columns:
            out[col.name] = _convert_column(col, frame[col.name], report)
        else:
            out[col.name] = pd.Series(col.default, index=frame.index, dtype=dtype_of(col))
    return pd.DataFrame(out, index=frame.index)


def _not_in(
    df: pd.DataFrame, cols: list[str], ref: pd.DataFrame, ref_cols: list[str]
) -> np.ndarray:
    """Rows of ``df`` whose ``cols`` (all present) match no row of ``ref[ref_cols]``.

    Each key column is factorised over both frames together and the codes are
    folded into one integer per row, so membership is a single ``np.isin``.
    """
    present = df[cols].notna().all(axis=1).to_numpy()
    if not present.any():
        return present
    n = len(df)
    key = np.zeros(n + len(ref), dtype=np.int64)
    for left, right in zip(cols, ref_cols, strict=True):
        codes, uniques = pd.factorize(pd.concat([df[left], ref[right]], ignore_index=True))
        key = pd.factorize(key * (len(uniques) + 1) + (codes + 1))[0].astype(np.int64)
    return present & ~np.isin(key[:n], key[n:])


def _check_keys(table: Table, frame: pd.DataFrame, report: _Collector) -> None:
    if not table.key:
        return
    key = list(table.key)
    if table.name == "person_ties":
        src, tgt = frame["source"], frame["target"]
        lo = src.where(src <= tgt, tgt)
        hi = tgt.where(src <= tgt, src)
        frame = frame.assign(source=lo, target=hi)
    dup = frame.duplicated(subset=key, keep="first").to_numpy()
    report.rows(dup, key[-1], f"repeats an earlier row with the same {', '.join(key)}")


def _check_rules(inv: Inventory, failures: list[Failure]) -> None:
    def at(name: str) -> _Collector:
        return _Collector(failures, TABLES[name].file)

    s, p, r, t = inv.sessions, inv.people, inv.relationships, inv.person_ties
    client = ["client_id"]
    for name in ("sessions", "people", "events"):
        frame = getattr(inv, name)
        at(name).rows(
            _not_in(frame, client, inv.clients, client),
            "client_id",
            "client_id is not in clients.csv",
        )
    for name in ("relationships", "communication"):
        frame = getattr(inv, name)
        at(name).rows(
            _not_in(frame, ["client_id", "session"], s, ["client_id", "session"]),
            "session",
            "this client has no such session in sessions.csv",
        )
        at(name).rows(
            _not_in(frame, ["client_id", "person_id"], p, ["client_id", "person_id"]),
            "person_id",
            "person_id is not in people.csv for this client",
        )
    at("events").rows(
        _not_in(inv.events, ["client_id", "person_id"], p, ["client_id", "person_id"]),
        "person_id",
        "person_id is not in people.csv for this client",
    )
    at("people").rows(
        p["person_id"] == names.EGO, "person_id", f"{names.EGO!r} is reserved for the client"
    )
    ties = at("person_ties")
    ties.rows(
        (t["source"] == t["target"]).fillna(False),
        "target",
        "a person cannot be tied to themselves",
    )
    on_map = ["client_id", "session", "person_id"]
    for end in ("source", "target"):
        ties.rows(
            _not_in(t, ["client_id", "session", end], r, on_map),
            end,
            "this person is not on the map at that session (no row in relationships.csv)",
        )
    _check_item_groups(s, at("sessions"))
    _check_dates(s, at("sessions"))


def _check_item_groups(sessions: pd.DataFrame, report: _Collector) -> None:
    # a cell already refused (say, an item of 4) is not also reported as missing
    refused = {
        (f.row, f.column) for f in report.failures if f.file == report.file and f.row is not None
    }
    for label, items in ITEM_GROUPS.items():
        given = sessions[list(items)].notna().sum(axis=1).to_numpy()
        lines = np.arange(len(sessions)) + 2
        bad_cells = (
            np.array([any((int(line), c) in refused for c in items) for line in lines], dtype=bool)
            if refused
            else np.zeros(len(sessions), dtype=bool)
        )
        report.rows(
            (given > 0) & (given < len(items)) & ~bad_cells,
            items[0],
            f"{label} items must be given all {len(items)} together or not at all",
        )


def _check_dates(sessions: pd.DataFrame, report: _Collector) -> None:
    order = sessions.sort_values(["client_id", "session"], kind="stable")
    dates = pd.to_datetime(order["date"], format="%Y-%m-%d", errors="coerce")
    same_client = order["client_id"].eq(order["client_id"].shift()).fillna(False)
    same_client = same_client.to_numpy(dtype=bool)
    backwards = same_client & (dates.diff().dt.days <= 0).fillna(False).to_numpy()
    mask = np.zeros(len(sessions), dtype=bool)
    mask[order.index.to_numpy()[backwards]] = True
    report.rows(mask, "date", "must be later than the date of the client's previous session")


def check(
    tables: Mapping[str, pd.DataFrame] | Inventory, *, across: bool = True
) -> tuple[Inventory, list[Failure]]:
    """Convert tables and list every failure, without raising.

    Parameters
    ----------
    tables : mapping of str to DataFrame, or Inventory
        As for :func:`validate`.
    across : bool
        Also check the rules that span tables (turn off when some tables
        could not be read at all, so their absence is not blamed on others).

    Returns
    -------
    inventory : Inventory
        The converted tables; cells that broke a rule are missing.
    failures : list of Failure
        Every failure found, empty when the tables are valid.
    """
    given = tables.tables() if isinstance(tables, Inventory) else dict(tables)
    failures: list[Failure] = []
    converted: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        frame = given.get(name)
        report = _Collector(failures, table.file)
        if frame is None:
            if not table.optional_file and across:
                report.whole(None, "file is missing")
            converted[name] = empty_table(name)
            continue
        converted[name] = _convert_table(table, frame, report)
        _check_keys(table, converted[name], report)
    inventory = Inventory.from_tables(converted)
    if across:
        _check_rules(inventory, failures)
    return inventory, failures


def validate(tables: Mapping[str, pd.DataFrame] | Inventory) -> Inventory:
    """Check tables against the contract and return them typed.

    Parameters
    ----------
    tables : mapping of str to DataFrame, or Inventory
        One frame per table name of :data:`~ipt_network.contract.TABLES`;
        cells may be strings (as read from CSV) or already typed. An optional
        table may be left out.

    Returns
    -------
    Inventory
        Every column of the contract present, typed, defaults filled.

    Raises
    ------
    ValidationError
        With every failure found, each naming file, line and column.
    """
    inventory, failures = check(tables)
    if failures:
        raise ValidationError(failures)
    return inventory
