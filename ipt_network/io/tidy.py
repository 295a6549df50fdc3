"""Reading and writing the tidy inventory folder (GUIDE section 2).

A folder of UTF-8 CSV files with a header row, one file per table of
:mod:`ipt_network.io.contract`. :func:`read_inventory` reads each file once with
Python's ``csv`` module (strict quoting; LF or CRLF line endings; blank lines
skipped), checks encoding, quoting and row shape, then every contract rule
through :func:`~ipt_network.io.validation.validate`. A file that quotes nothing
(most do, the large ones above all) is read by Arrow's CSV reader instead, which
gives the very same cells (:func:`_plain_table`). Every failure names the file,
the physical line where the record starts (as a text editor counts: quoted
line breaks and blank lines included) and the column. :func:`write_inventory`
writes a folder that reads back to the same tables.

Cells of id and text columns that a spreadsheet would run as a formula (they
start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are written
with a leading apostrophe, and the reader takes it off again
(:mod:`ipt_network.io._cells`); the reader does the same for a folder another
tool wrote, so a cell a spreadsheet escaped as ``'=SUM(A1)`` reads as
``=SUM(A1)``.

Examples
--------
>>> import tempfile
>>> from ipt_network import load_samples
>>> inv = load_samples()
>>> with tempfile.TemporaryDirectory() as tmp:
...     written = write_inventory(inv, tmp)
...     again = read_inventory(tmp)
>>> again.relationships.equals(inv.relationships)
True
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipt_network.errors import Failure, OutputExists, ValidationError
from ipt_network.io._cells import neutralise_frame, restore_series
from ipt_network.io._files import OVERWRITE_HINT, make_private, private_folder
from ipt_network.io.contract import TABLES, Table
from ipt_network.io.inventory import Inventory
from ipt_network.io.validation import check, validate

__all__ = ["read_inventory", "write_inventory", "read_table_file", "RawTable"]


class RawTable(NamedTuple):
    """One CSV file as read, before validation.

    Attributes
    ----------
    frame : DataFrame
        One row per non-blank record after the header; every cell a string.
    lines : ndarray of int64
        For each row of ``frame``, the physical line of the file where its
        record starts (line 1 is the first line of the file; quoted line
        breaks and blank lines are counted).
    """

    frame: pd.DataFrame
    lines: np.ndarray


_FIELD_LIMIT = threading.Lock()


@contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """Let the ``csv`` module read cells of up to ``size`` characters, then restore its limit.

    The contract's own maximum (:data:`~ipt_network.io.contract.MAX_CELL_CHARS`)
    is enforced by validation, which can then name the column of a long cell.
    """
    with _FIELD_LIMIT:
        old = csv.field_size_limit()
        csv.field_size_limit(max(old, size))
        try:
            yield
        finally:
            csv.field_size_limit(old)


class _BrokenRecord(Exception):
    """The ``csv`` module gave up on the record that starts on ``line``."""

    def __init__(self, line: int, header: list[str] | None) -> None:
        super().__init__(line)
        self.line = line
        self.header = header


class _Records(NamedTuple):
    """The non-blank records of a CSV text, cell by cell.

    Attributes
    ----------
    cells : Arrow large_string array
        Every cell of every record, record after record.
    widths : ndarray of int64
        The number of cells of each record.
    starts : ndarray of int64
        The physical line each record starts on.
    """

    cells: pa.LargeStringArray
    widths: np.ndarray
    starts: np.ndarray


def _records(text: str) -> _Records:
    r"""Parse CSV ``text`` with the ``csv`` module: its non-blank records, and their lines.

    A record spans one line plus one for each line break inside its quoted
    cells; a blank line is an empty record. When no record spans lines (the
    common case) record ``k`` simply starts on line ``k + 1``. Cells are
    gathered in one flat list (no list per row), which keeps the garbage
    collector out of large files.

    Examples
    --------
    >>> cells, widths, starts = _records('a,b\n\n"x\ny",z\nc,d,e\n')
    >>> cells.to_pylist(), widths.tolist(), starts.tolist()
    (['a', 'b', 'x\ny', 'z', 'c', 'd', 'e'], [2, 2, 3], [1, 3, 5])
    """
    if _quote_free(text):
        return _plain_records(text)
    cells: list[str] = []
    widths: list[int] = []
    add_cells, add_width = cells.extend, widths.append
    try:
        for record in csv.reader(io.StringIO(text), strict=True):
            add_cells(record)
            add_width(len(record))
    except csv.Error as exc:
        raise _broken_record(text) from exc
    width = np.asarray(widths, dtype=np.int64)
    flat = pa.array(cells, type=pa.large_string())
    n_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    if len(widths) == n_lines:
        starts = np.arange(1, len(widths) + 1, dtype=np.int64)
    else:  # some quoted cells hold line breaks
        breaks = np.concatenate(([0], np.cumsum(pc.count_substring(flat, "\n").to_numpy())))
        bounds = np.concatenate(([0], np.cumsum(width)))
        spans = breaks[bounds[1:]] - breaks[bounds[:-1]] + 1
        starts = np.cumsum(spans) - spans + 1
    kept = width > 0
    return _Records(flat, width[kept], starts[kept])


def _quote_free(text: str) -> bool:
    """No quote, carriage return or NUL: the ``csv`` module then only splits lines and commas."""
    return '"' not in text and "\r" not in text and "\0" not in text


def _plain_records(text: str) -> _Records:
    r""":func:`_records` of a :func:`_quote_free` text, in Arrow.

    Without quotes the ``csv`` module's records are exactly the lines, and its
    cells the pieces between commas; this gives the same result without a
    Python object per cell (most tidy files, the large ones above all, quote
    nothing).

    Examples
    --------
    >>> cells, widths, starts = _plain_records("a,b\n\nc,,d\n e")
    >>> cells.to_pylist(), widths.tolist(), starts.tolist()
    (['a', 'b', 'c', '', 'd', ' e'], [2, 3, 1], [1, 3, 4])
    """
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    records = pa.array(lines, type=pa.large_string())
    kept = np.flatnonzero(pc.utf8_length(records).to_numpy() > 0)
    records = records.take(pa.array(kept))
    widths = pc.count_substring(records, ",").to_numpy().astype(np.int64) + 1
    cells = pc.list_flatten(pc.split_pattern(records, ","))
    return _Records(cells.cast(pa.large_string()), widths, kept.astype(np.int64) + 1)


def _plain_table(text: str) -> tuple[list[str], pd.DataFrame] | None:
    r"""The header and rows of a CSV text that needs no CSV rules at all, parsed by Arrow.

    Only for a :func:`_quote_free` text with no blank line, whose records all
    have the header's number of cells and whose header repeats no name: there
    every line is a record and every comma a boundary, so Arrow's reader gives
    exactly what the ``csv`` module gives, many times faster. ``None`` for any
    other text (read then by :func:`_records`, which names what is wrong and
    where).

    Examples
    --------
    >>> header, frame = _plain_table("a,b\nx,\ny,z\n")
    >>> header, frame["b"].tolist()
    (['a', 'b'], ['', 'z'])
    >>> _plain_table("a,b\nx\n") is None, _plain_table('a,b\n"x",y\n') is None
    (True, True)
    """
    if not _quote_free(text) or not text or text.startswith("\n") or "\n\n" in text:
        return None
    import pyarrow.csv as pacsv

    first = text.find("\n")
    width = text.count(",", 0, first if first >= 0 else len(text)) + 1
    names = [f"f{j}" for j in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:  # a record of another width
        return None
    columns = [table.column(j).combine_chunks() for j in range(width)]
    header = [str(c[0]) for c in columns]
    if len(set(header)) < width:  # a repeated name: the slow reader reports it
        return None
    rows = {h: pd.arrays.ArrowStringArray(c.slice(1)) for h, c in zip(header, columns, strict=True)}
    return header, pd.DataFrame(rows, index=pd.RangeIndex(len(table) - 1))


def _broken_record(text: str) -> _BrokenRecord:
    """Read ``text`` record by record up to the one ``csv`` cannot read; where it starts."""
    reader = csv.reader(io.StringIO(text), strict=True)
    header: list[str] | None = None
    end = 0
    try:
        for record in reader:
            header = header or record or None
            end = reader.line_num
    except csv.Error:
        return _BrokenRecord(end + 1, header)
    raise AssertionError("csv.reader read the text the second time")  # pragma: no cover


_UNCLOSED = (
    'a quoted cell starts here and is never closed (its closing " is missing), '
    "so nothing after it can be read"
)
_AFTER_QUOTE = (
    'has text after the closing " of a quoted cell; a " inside a quoted cell is written ""'
)
_BARE_CR = (
    "a line ends with a bare carriage return (CR); save the file with LF or CRLF line endings"
)


def _find_break(text: str, start: int) -> tuple[int, int, str]:
    r"""Where the CSV record starting at offset ``start`` breaks, and why.

    Follows the rules of ``csv.reader(strict=True)`` for the default dialect.

    Returns
    -------
    field : int
        The field (from 1) where the record breaks.
    field_start : int
        Offset in ``text`` where that field starts.
    reason : str
        What is wrong, in words.

    Examples
    --------
    >>> field, start, reason = _find_break('a,b\nc,"d,e\n', 4)
    >>> field, start, reason == _UNCLOSED
    (2, 6, True)
    """
    field, field_start, i, n = 1, start, start, len(text)
    while i < n:
        c = text[i]
        if c == '"' and i == field_start:
            close = i + 1
            while (close := text.find('"', close)) >= 0 and text.startswith('""', close):
                close += 2
            if close < 0:
                return field, field_start, _UNCLOSED
            i = close + 1
            if i < n and text[i] == "\r":
                return field, field_start, _BARE_CR
            if i < n and text[i] not in ",\n":
                return field, field_start, _AFTER_QUOTE
            continue
        if c == "\r":
            return field, field_start, _BARE_CR
        if c == "\n":
            break
        if c == ",":
            field, field_start = field + 1, i + 1
        i += 1
    return field, field_start, "cannot be read as CSV"


_NAME = re.compile(r'[^,\r\n"]*')


def _line_offset(text: str, line: int) -> int:
    """Offset in ``text`` of the start of physical line ``line`` (from 1)."""
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    return offset


def _broken_failure(table: Table, text: str, broken: _BrokenRecord) -> Failure:
    """A failure naming the line and column where ``csv`` could not go on."""
    field, field_start, reason = _find_break(text, _line_offset(text, broken.line))
    if broken.header is None:
        # the header itself is broken: name the column only when it is a known one
        name = _NAME.match(text, field_start)
        column = name.group() if name and name.group() in table.names else None
    else:
        column = broken.header[field - 1] if field <= len(broken.header) else None
        column = column if column in table.names else None
    where = "" if column is not None else f" (field {field})"
    return Failure(table.file, broken.line, column, f"{reason}{where}")


def _read_text(path: Path, table: Table, failures: list[Failure]) -> str | None:
    """The file's text with CRLF line endings made LF; ``None`` (and a failure) when unreadable."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        failures.append(Failure(table.file, None, None, "is a folder, not a CSV file"))
        return None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        failures.append(Failure(table.file, None, None, f"cannot be read ({reason})"))
        return None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        failures.append(
            Failure(
                table.file,
                line,
                None,
                f"is not UTF-8 text (bad byte at offset {exc.start}); save the file as UTF-8",
            )
        )
        return None
    return text.replace("\r\n", "\n")


def read_table_file(path: Path, table: Table, failures: list[Failure]) -> RawTable | None:
    r"""Read one CSV file as strings, recording problems of encoding and shape.

    The file is parsed once with Python's ``csv`` module (strict quoting).
    Blank lines are skipped; every row keeps the physical line its record
    starts on, so later failures name the line a text editor shows. Line
    endings may be LF or CRLF.

    Parameters
    ----------
    path : Path
        The CSV file.
    table : Table
        The contract table the file holds.
    failures : list of Failure
        Problems found are appended here.

    Returns
    -------
    RawTable or None
        ``None`` when the file cannot be used at all (the reasons are in
        ``failures``): unreadable, not UTF-8, empty, broken quoting, a bare
        carriage return, a bad header or rows of the wrong length.

    Examples
    --------
    >>> import tempfile
    >>> from ipt_network.io.contract import TABLES
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "person_ties.csv").write_text(
    ...     'client_id,session,source,target\n\nc1,1,p1,p2\n"c\n1",1,p1,p2\n')
    >>> failures = []
    >>> raw = read_table_file(folder / "person_ties.csv", TABLES["person_ties"], failures)
    >>> raw.lines.tolist(), failures
    ([3, 4], [])
    """
    text = _read_text(path, table, failures)
    if text is None:
        return None
    plain = _plain_table(text)
    if plain is not None:
        header, frame = plain
        problems = _header_problems(table, header, 1)
        if problems:
            failures.extend(problems)
            return None
        return RawTable(frame, np.arange(2, len(frame) + 2, dtype=np.int64))
    try:
        with _field_limit(len(text) + 1):
            cells, widths, starts = _records(text)
    except _BrokenRecord as broken:
        failures.append(_broken_failure(table, text, broken))
        return None
    if not len(widths):
        failures.append(Failure(table.file, None, None, "is empty: it needs at least a header row"))
        return None
    width = int(widths[0])
    header = cells.slice(0, width).to_pylist()
    problems = _header_problems(table, header, int(starts[0]))
    ragged = np.flatnonzero(widths[1:] != width) + 1
    problems += [
        Failure(
            table.file, int(starts[i]), None, f"has {widths[i]} fields where the header has {width}"
        )
        for i in ragged
    ]
    if problems:
        failures.extend(problems)
        return None
    return RawTable(_string_frame(header, cells.slice(width)), starts[1:])


def _string_frame(header: list[str], cells: pa.LargeStringArray) -> pd.DataFrame:
    """Cells of equal-length rows, row after row, as a frame of string columns."""
    width, n = len(header), len(cells)
    return pd.DataFrame(
        {
            name: pd.arrays.ArrowStringArray(cells.take(np.arange(j, n, width)))
            for j, name in enumerate(header)
        }
    )


def _header_problems(table: Table, header: list[str], line: int) -> list[Failure]:
    """Empty or repeated names in the header row."""
    problems = []
    seen: set[str] = set()
    for field, name in enumerate(header, start=1):
        if not name.strip():
            problems.append(
                Failure(table.file, line, None, f"field {field} of the header is empty")
            )
        elif name in seen:
            column = name if name in table.names else None
            problems.append(
                Failure(table.file, line, column, f"field {field} of the header repeats a name")
            )
        seen.add(name)
    return problems


def _exists(path: Path) -> bool:
    """Whether something is at ``path`` (an unreadable file counts: reading it says why)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def read_inventory(folder: str | os.PathLike[str]) -> Inventory:
    """Read and validate a tidy inventory folder.

    Parameters
    ----------
    folder : path
        The folder holding ``clients.csv``, ``sessions.csv`` and the rest.

    Returns
    -------
    Inventory
        The typed, validated tables.

    Raises
    ------
    ValidationError
        With every failure in every file: reading, encoding, row shape,
        columns, values and the rules across files. Each names the file, the
        physical line where the record starts and the column.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValidationError([Failure(str(root), None, None, "is not a folder")])
    failures: list[Failure] = []
    raw: dict[str, pd.DataFrame] = {}
    lines: dict[str, np.ndarray] = {}
    for name, table in TABLES.items():
        path = root / table.file
        if not _exists(path):
            if not table.optional_file:
                failures.append(Failure(table.file, None, None, "file is missing"))
            continue
        read = read_table_file(path, table, failures)
        if read is not None:
            raw[name], lines[name] = _restored(table, read.frame), read.lines
    if failures:
        # Some files are unusable: still report every per-file problem of the others.
        failures.extend(check(raw, across=False, lines=lines)[1])
        raise ValidationError(failures)
    return validate(raw, lines=lines)


def _text_columns(table: Table, frame: pd.DataFrame) -> list[str]:
    """The id and free-text columns of ``table`` that ``frame`` holds."""
    return [c.name for c in table.columns if c.kind in ("id", "text") and c.name in frame]


def _restored(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """The raw cells with the spreadsheet escape of id and text cells taken off."""
    for name in _text_columns(table, frame):
        frame[name] = restore_series(frame[name])
    return frame


def _to_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.map({True: "true", False: "false"}, na_action="ignore")
        out[column] = series.astype("string").fillna("")
    return pd.DataFrame(out)


def write_inventory(
    inventory: Inventory, folder: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write the tables as a tidy inventory folder.

    Required columns are always written; an optional column only when some
    row has a value, and an optional file only when it has rows. The files
    are written to a temporary folder first and moved into place together.
    Every file is readable by its owner only (0600); a folder made for them
    is 0700. An id or text cell a spreadsheet would run as a formula is
    written with a leading apostrophe (:func:`~ipt_network.io._cells.neutralise`);
    numbers are written as they are.

    Parameters
    ----------
    inventory : Inventory
        The tables to write.
    folder : path
        Target folder; created when missing.
    overwrite : bool
        Replace contract files already in the folder (default: refuse).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputExists
        (a ``FileExistsError``) When the folder already holds contract files and
        ``overwrite`` is false.
    """
    root = private_folder(Path(folder))
    existing = [t.file for t in TABLES.values() if (root / t.file).exists()]
    if existing and not overwrite:
        raise OutputExists(f"{root} already holds {', '.join(existing)}; {OVERWRITE_HINT}")
    written: list[Path] = []
    with tempfile.TemporaryDirectory(dir=root, prefix=".writing-") as tmp:
        for name, frame in inventory.items():
            table = TABLES[name]
            if table.optional_file and frame.empty:
                continue
            keep = [c.name for c in table.columns if c.required or frame[c.name].notna().any()]
            target = Path(tmp) / table.file
            text = _to_text(frame[keep])
            text = neutralise_frame(text, _text_columns(table, text))
            text.to_csv(target, index=False, lineterminator="\n")
            make_private(target)
        for name in os.listdir(tmp):
            shutil.move(os.path.join(tmp, name), root / name)
            written.append(root / name)
    for table in TABLES.values():
        stale = root / table.file
        if table.optional_file and stale.exists() and stale not in written:
            stale.unlink()
    return sorted(written)
