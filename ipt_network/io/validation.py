"""Validation at the boundary: every rule of the tidy contract, every failure found.

:func:`validate` takes raw tables (strings straight from CSV files, or typed
frames built in Python), checks each column and the rules that span tables,
and returns a typed :class:`~ipt_network.io.inventory.Inventory`. When anything
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

import datetime as dt
import math
import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipt_network import names
from ipt_network.errors import BadArgument, Failure, ValidationError
from ipt_network.io.contract import (
    EARLIEST_DATE,
    ITEM_GROUPS,
    MAX_CELL_CHARS,
    TABLES,
    YEARS_AHEAD,
    Column,
    Table,
)
from ipt_network.io.inventory import Inventory, dtype_of, empty_table

__all__ = ["validate", "check", "latest_date"]

#: ASCII digits only: ``\d`` would also match Arabic-Indic and other digits.
_DATE_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
#: A plain integer literal; more than 9 digits is out of every range of the contract.
_INTEGER = r"[+-]?0*[0-9]{1,9}"
#: C0 and C1 control characters and DEL; multiline text may keep tab and line feed.
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL_MULTILINE = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
#: Up to this many rows in both tables, a key lookup across tables uses a Python set.
_SMALL_JOIN = 2_000
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def latest_date(today: dt.date | None = None) -> str:
    """The latest date a date column accepts: ``YEARS_AHEAD`` (the contract) after today.

    Parameters
    ----------
    today : datetime.date, optional
        The day of validation (default: today).

    Examples
    --------
    >>> import datetime as dt
    >>> latest_date(dt.date(2026, 3, 14))
    '2027-03-14'
    >>> latest_date(dt.date(2028, 2, 29))
    '2029-02-28'
    """
    today = today or dt.date.today()
    year = today.year + YEARS_AHEAD
    try:
        return today.replace(year=year).isoformat()
    except ValueError:  # 29 February
        return today.replace(year=year, day=28).isoformat()


class _Collector:
    """Gathers failures for one file, turning row positions into line numbers.

    ``lines`` gives the physical line of each row (as read from a file);
    without it, row ``p`` is line ``p + 2`` (the header is line 1). Cells
    reported are remembered, so a cell refused once is not blamed again.
    """

    def __init__(self, failures: list[Failure], file: str, lines: np.ndarray | None = None) -> None:
        self.failures = failures
        self.file = file
        self.lines = lines
        self.refused: set[tuple[int, str | None]] = set()

    def rows(self, mask: np.ndarray | pd.Series, column: str | None, message: str) -> None:
        if isinstance(mask, pd.Series):
            mask = mask.fillna(False).to_numpy(dtype=bool)
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(positions):
            return
        lines = self.lines[positions] if self.lines is not None else positions + 2
        self.refused.update((int(p), column) for p in positions)
        self.failures.extend(Failure(self.file, int(line), column, message) for line in lines)

    def whole(self, column: str | None, message: str) -> None:
        self.failures.append(Failure(self.file, None, column, message))

    def refused_in(self, columns: tuple[str, ...], n: int) -> np.ndarray:
        """Rows (of ``n``) where a cell of one of ``columns`` was already refused."""
        mask = np.zeros(n, dtype=bool)
        wanted = set(columns)
        mask[[p for p, c in self.refused if c in wanted]] = True
        return mask


def _number_text(value: object) -> str:
    """A number built in Python as the digits of a whole number when it is one.

    Examples
    --------
    >>> [_number_text(v) for v in (3, 2.0, 2.5, float("inf"), "7", True)]
    ['3', '2', '2.5', 'inf', '7', 'True']
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    number = float(value)
    return str(int(number)) if math.isfinite(number) and number.is_integer() else str(value)


def _arrow_text(col: Column, raw: pd.Series) -> pa.LargeStringArray:
    """The cells of one column as Arrow strings, missing cells empty.

    Cells read from CSV are strings already; typed columns built in Python
    are written out (a whole float such as ``2.0`` in a whole-number column
    as ``"2"``).
    """
    if not pd.api.types.is_string_dtype(raw):
        if col.kind == "int":
            raw = raw.map(_number_text, na_action="ignore")
        else:
            raw = raw.astype("string")
    arr = pa.array(raw, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pc.fill_null(arr, "") if arr.null_count else arr


def _utf8(arr: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of all cells (none missing) and each cell's offsets into them.

    Arrow keeps a string column as one byte buffer and an offset per cell,
    so whole-column checks can look at all the bytes at once.
    """
    offsets = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    if data is None or not len(arr):
        return np.zeros(0, np.uint8), np.zeros(len(arr) + 1, np.int64)
    return np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]], offsets - offsets[0]


def _has_control_bytes(data: np.ndarray, multiline: bool) -> bool:
    r"""Whether UTF-8 ``data`` may hold a control character (C0, DEL or C1).

    C0 and DEL are single bytes below 0x20 and 0x7F; C1 (U+0080 to U+009F)
    is 0xC2 followed by 0x80 to 0x9F.

    Examples
    --------
    >>> as_bytes = lambda s: np.frombuffer(s.encode(), np.uint8)
    >>> [_has_control_bytes(as_bytes(s), False) for s in ("Zoë", "a\x07", "a\x85", "a\tb")]
    [False, True, True, True]
    >>> _has_control_bytes(as_bytes("a\tb\nc"), True)
    False
    """
    low = data < 0x20
    if multiline:
        low &= (data != 0x09) & (data != 0x0A)
    if low.any() or (data == 0x7F).any():
        return True
    lead = np.flatnonzero(data[:-1] == 0xC2) + 1
    return bool(((data[lead] >= 0x80) & (data[lead] <= 0x9F)).any())


def _mask(arr: pa.Array) -> np.ndarray:
    """An Arrow boolean array as a NumPy one; a missing value is false."""
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def _matches(text: pa.Array, pattern: str) -> np.ndarray:
    """Which cells match the regular expression ``pattern`` whole."""
    return _mask(pc.match_substring_regex(text, f"^(?:{pattern})$"))


def _keep(text: pa.Array, ok: np.ndarray) -> pa.Array:
    """``text`` where ``ok``, missing elsewhere."""
    return pc.if_else(pa.array(ok), text, pa.scalar(None, text.type))


def _cells(
    col: Column, arr: pa.LargeStringArray, report: _Collector
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Refuse cells that are too long or hold control characters; strip the rest.

    Both rules first look at the column's bytes at once and go cell by cell
    only when some cell may break them.

    Returns
    -------
    text : Arrow string array
        The stripped cells; refused cells empty.
    filled : ndarray of bool
        Cells that hold something after stripping.
    given : ndarray of bool
        Cells filled or refused (a refused cell is not also "required").
    """
    data, offsets = _utf8(arr)
    refused = np.zeros(len(arr), dtype=bool)
    if (np.diff(offsets) > MAX_CELL_CHARS).any():  # a character takes at least one byte
        refused = _mask(pc.greater(pc.utf8_length(arr), MAX_CELL_CHARS))
        report.rows(
            refused, col.name, f"is longer than the maximum of {MAX_CELL_CHARS:,} characters"
        )
    if _has_control_bytes(data, col.multiline):
        if col.multiline:
            pattern, allowed = _CONTROL_MULTILINE, " other than tab and line feed"
        else:
            pattern, allowed = _CONTROL, ""
        control = _mask(pc.match_substring_regex(arr, pattern)) & ~refused
        report.rows(control, col.name, f"must not hold control characters{allowed}")
        refused |= control
    text = pc.utf8_trim_whitespace(arr)
    if refused.any():
        text = pc.if_else(pa.array(refused), pa.scalar("", text.type), text)
    filled = ~_mask(pc.equal(text, ""))
    return text, filled, filled | refused


def _convert_column(col: Column, raw: pd.Series, report: _Collector, latest: str) -> pd.Series:
    """One column checked and typed as :func:`~ipt_network.io.inventory.dtype_of` says."""
    if col.kind == "int":
        return _convert_int(col, raw, report)
    text, filled, given = _cells(col, _arrow_text(col, raw), report)
    if not col.nullable:
        report.rows(~given, col.name, "is required")
    if col.kind == "bool":
        return pd.Series(_parse_bool(col, text, filled, report), index=raw.index)
    if col.kind == "date":
        ok = filled & _matches(text, _DATE_SHAPE)
        ok &= _mask(pc.and_(pc.greater_equal(text, EARLIEST_DATE), pc.less_equal(text, latest)))
        if ok.any():  # a real day: Arrow reads 2026-02-30 as 2 March, so write it back
            days = pc.strptime(_keep(text, ok), format="%Y-%m-%d", unit="s", error_is_null=True)
            ok &= _mask(pc.equal(pc.strftime(days, format="%Y-%m-%d"), text))
        report.rows(
            filled & ~ok,
            col.name,
            f"must be a real date written YYYY-MM-DD from {EARLIEST_DATE} to {latest}",
        )
    elif col.kind == "choice":
        ok = filled & _mask(pc.is_in(text, value_set=pa.array(col.choices, text.type)))
        report.rows(filled & ~ok, col.name, f"must be one of {', '.join(col.choices)}")
    elif col.kind == "areas":
        text, ok = _parse_areas(col, text, filled, report)
    else:
        ok = filled
    values = pd.Series(pd.arrays.ArrowStringArray(_keep(text, ok)), index=raw.index)
    return values if values.dtype == dtype_of(col) else values.astype(dtype_of(col))


def _convert_int(col: Column, raw: pd.Series, report: _Collector) -> pd.Series:
    """A whole-number column: plain literals of the digits 0-9 within bounds."""
    if pd.api.types.is_integer_dtype(raw.dtype):
        values = raw.to_numpy(dtype=np.int64, na_value=0)
        given = raw.notna().to_numpy(dtype=bool)
        missing = ~given
    else:
        text, filled, given = _cells(col, _arrow_text(col, raw), report)
        ok = filled & _matches(text, _INTEGER)
        report.rows(filled & ~ok, col.name, _whole_number(col))
        literals = pc.if_else(pa.array(ok), text, pa.scalar("0", text.type))
        numbers_ = pc.cast(pc.utf8_ltrim(literals, characters="+"), pa.int64())
        values = numbers_.to_numpy(zero_copy_only=False, writable=True)
        missing = ~ok
    if not col.nullable:
        report.rows(~given, col.name, "is required")
    if col.default is not None:
        values = np.where(given, values, col.default)
        missing &= given
    if col.bounds is not None:
        lo, hi = col.bounds
        out = ~missing & ((values < lo) | (values > hi))
        report.rows(out, col.name, _whole_number(col))
        missing |= out
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=raw.index)


def _whole_number(col: Column) -> str:
    if col.bounds is None:
        return "must be a whole number written with the digits 0-9"
    lo, hi = col.bounds
    return f"must be a whole number from {lo} to {hi}"


def _parse_bool(
    col: Column, text: pa.Array, filled: np.ndarray, report: _Collector
) -> pd.arrays.BooleanArray:
    low = pc.utf8_lower(text)
    is_true = _mask(pc.is_in(low, value_set=pa.array(sorted(_TRUE), low.type)))
    is_false = _mask(pc.is_in(low, value_set=pa.array(sorted(_FALSE), low.type)))
    report.rows(filled & ~(is_true | is_false), col.name, "must be true or false")
    return pd.arrays.BooleanArray(is_true, ~(is_true | is_false))


def _parse_areas(
    col: Column, text: pa.Array, filled: np.ndarray, report: _Collector
) -> tuple[pa.Array, np.ndarray]:
    """One or two distinct problem areas separated by ``;``, written back tidily."""
    cleaned: list[str] = []
    ok = np.zeros(len(text), dtype=bool)
    for i, (has, cell) in enumerate(zip(filled, text.to_pylist(), strict=True)):
        areas = [a.strip() for a in cell.split(";")]
        ok[i] = bool(
            has
            and 1 <= len(areas) <= 2
            and len(set(areas)) == len(areas)
            and all(a in col.choices for a in areas)
        )
        cleaned.append(";".join(areas) if ok[i] else "")
    report.rows(
        filled & ~ok, col.name, f"must be one or two of {', '.join(col.choices)}, separated by ';'"
    )
    return pa.array(cleaned, type=text.type), ok


def _column_label(table: Table, frame: pd.DataFrame, position: int) -> str | None:
    """A header name fit to show in a message: short and printable, else ``None``."""
    name = str(frame.columns[position])
    return name if len(name) <= 40 and name.isprintable() else None


def _convert_table(
    table: Table, frame: pd.DataFrame, report: _Collector, latest: str
) -> pd.DataFrame:
    known = set(table.names)
    optional = [c.name for c in table.columns if not c.required]
    hint = f"; optional columns are {', '.join(optional)}" if optional else ""
    for position, extra in enumerate(frame.columns):
        if extra not in known:
            label = _column_label(table, frame, position)
            where = "" if label is not None else f"column {position + 1} of the header "
            report.whole(label, f"{where}is not a column of {table.file}{hint}")
    for missing in (c for c in table.required if c not in frame.columns):
        report.whole(missing, "required column is missing")
    twice = frame.columns[frame.columns.duplicated()].unique()
    for name in twice:
        report.whole(str(name), "appears more than once in the header")
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    if report.lines is not None and len(report.lines) != len(frame):
        raise BadArgument(f"{table.name}: {len(report.lines)} line numbers for {len(frame)} rows")
    out = {}
    for col in table.columns:
        if col.name in frame.columns and col.name not in twice:
            out[col.name] = _convert_column(col, frame[col.name], report, latest)
        else:
            out[col.name] = pd.Series(col.default, index=frame.index, dtype=dtype_of(col))
    return pd.DataFrame(out, index=frame.index, copy=False)


def _not_in(
    df: pd.DataFrame, cols: list[str], ref: pd.DataFrame, ref_cols: list[str]
) -> np.ndarray:
    """Rows of ``df`` whose ``cols`` (all present) match no row of ``ref[ref_cols]``.

    Each key column is factorised over both frames together and the codes are
    folded into one integer per row, so membership is a single ``np.isin``.
    Small tables (up to :data:`_SMALL_JOIN` rows in all) look their keys up in
    a set instead, which costs less than the factorising.
    """
    present = np.logical_and.reduce([df[c].notna().to_numpy() for c in cols])
    if not present.any():
        return present
    n = len(df)
    if n + len(ref) <= _SMALL_JOIN:
        known = set(zip(*(ref[c].tolist() for c in ref_cols), strict=True))
        rows = zip(*(df[c].tolist() for c in cols), strict=True)
        return present & ~np.fromiter((row in known for row in rows), bool, n)
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


def _check_foreign_keys(inv: Inventory, reports: Mapping[str, _Collector]) -> None:
    """Every foreign key the contract declares, checked on import, stored or not."""
    for name, table in TABLES.items():
        frame = getattr(inv, name)
        for fk in table.foreign_keys:
            ref = getattr(inv, fk.table)
            missing = _not_in(frame, list(fk.columns), ref, list(fk.ref_columns))
            reports[name].rows(missing, fk.column, fk.message)


def _check_rules(inv: Inventory, reports: Mapping[str, _Collector]) -> None:
    p, t = inv.people, inv.person_ties
    reports["people"].rows(
        p["person_id"] == names.EGO, "person_id", f"{names.EGO!r} is reserved for the client"
    )
    reports["person_ties"].rows(
        (t["source"] == t["target"]).fillna(False),
        "target",
        "a person cannot be tied to themselves",
    )
    _check_foreign_keys(inv, reports)
    _check_item_groups(inv.sessions, reports["sessions"])
    _check_dates(inv.sessions, reports["sessions"])


def _check_item_groups(sessions: pd.DataFrame, report: _Collector) -> None:
    """Each item group of :data:`~ipt_network.io.contract.ITEM_GROUPS` is given whole or not at all.

    A row with some items of a group empty is reported at its first empty
    item. A row where an item was already refused (say, an item of 4) is not
    reported again.
    """
    for label, items in ITEM_GROUPS.items():
        empty = sessions[list(items)].isna().to_numpy()
        partial = empty.any(axis=1) & ~empty.all(axis=1)
        partial &= ~report.refused_in(items, len(sessions))
        first_empty = empty.argmax(axis=1)
        for i, item in enumerate(items):
            report.rows(
                partial & (first_empty == i),
                item,
                f"is empty: {label} items must be given all {len(items)} together or not at all",
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
    tables: Mapping[str, pd.DataFrame] | Inventory,
    *,
    across: bool = True,
    lines: Mapping[str, np.ndarray] | None = None,
) -> tuple[Inventory, list[Failure]]:
    """Convert tables and list every failure, without raising.

    Parameters
    ----------
    tables : mapping of str to DataFrame, or Inventory
        As for :func:`validate`.
    across : bool
        Also check the rules that span tables (turn off when some tables
        could not be read at all, so their absence is not blamed on others).
    lines : mapping of str to array of int, optional
        As for :func:`validate`.

    Returns
    -------
    inventory : Inventory
        The converted tables; cells that broke a rule are missing.
    failures : list of Failure
        Every failure found, empty when the tables are valid.
    """
    given = tables.tables() if isinstance(tables, Inventory) else dict(tables)
    lines = lines or {}
    latest = latest_date()
    failures: list[Failure] = []
    reports: dict[str, _Collector] = {}
    converted: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        frame = given.get(name)
        report = reports[name] = _Collector(failures, table.file, lines.get(name))
        if frame is None:
            if not table.optional_file and across:
                report.whole(None, "file is missing")
            converted[name] = empty_table(name)
            report.lines = None
            continue
        converted[name] = _convert_table(table, frame, report, latest)
        _check_keys(table, converted[name], report)
    inventory = Inventory.from_tables(converted)
    if across:
        _check_rules(inventory, reports)
    return inventory, failures


def validate(
    tables: Mapping[str, pd.DataFrame] | Inventory,
    *,
    lines: Mapping[str, np.ndarray] | None = None,
) -> Inventory:
    """Check tables against the contract and return them typed.

    Parameters
    ----------
    tables : mapping of str to DataFrame, or Inventory
        One frame per table name of :data:`~ipt_network.io.contract.TABLES`;
        cells may be strings (as read from CSV) or already typed. An optional
        table may be left out.
    lines : mapping of str to array of int, optional
        For a table read from a file, the physical line each row starts on
        (as :func:`ipt_network.io.tidy.read_table_file` gives), so failures name
        the line a text editor shows. Without it, row ``i`` (from 0) is
        line ``i + 2``.

    Returns
    -------
    Inventory
        Every column of the contract present, typed, defaults filled.

    Raises
    ------
    ValidationError
        With every failure found, each naming file, line and column.

    Notes
    -----
    Beyond each column's rule, every cell holds at most
    :data:`~ipt_network.io.contract.MAX_CELL_CHARS` characters and no control
    characters (multiline free text may keep tab and line feed); whole
    numbers are plain literals of the digits 0-9; dates are real dates in
    ASCII digits from :data:`~ipt_network.io.contract.EARLIEST_DATE` to
    :func:`latest_date`.
    """
    inventory, failures = check(tables, lines=lines)
    if failures:
        raise ValidationError(failures)
    return inventory
