"""Reading and writing the tidy inventory folder (GUIDE section 2).

A folder of UTF-8 CSV files with a header row, one file per table of
:mod:`ipt_network.contract`. :func:`read_inventory` checks encoding and row
shape, then every contract rule through :func:`~ipt_network.validation.validate`;
:func:`write_inventory` writes a folder that reads back to the same tables.

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

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from ipt_network.contract import TABLES, Table
from ipt_network.errors import Failure, ValidationError
from ipt_network.inventory import Inventory
from ipt_network.validation import check, validate

__all__ = ["read_inventory", "write_inventory", "read_table_file", "deidentify"]


def read_table_file(path: Path, table: Table, failures: list[Failure]) -> pd.DataFrame | None:
    """Read one CSV file as strings, recording encoding and shape problems.

    Returns ``None`` when the file cannot be used at all (the reason is in
    ``failures``).
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        failures.append(
            Failure(table.file, None, None, f"is not UTF-8 text (bad byte at offset {exc.start})")
        )
        return None
    if not text.strip():
        failures.append(Failure(table.file, None, None, "is empty: it needs at least a header row"))
        return None
    width: int | None = None
    ragged = False
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if width is None:
            width = len(row)
        elif row and len(row) != width:
            failures.append(
                Failure(
                    table.file, line, None, f"has {len(row)} fields where the header has {width}"
                )
            )
            ragged = True
    if ragged:
        return None
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)


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
        With every failure in every file: encoding, row shape, columns, values
        and the rules across files.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValidationError([Failure(str(root), None, None, "is not a folder")])
    failures: list[Failure] = []
    raw: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        path = root / table.file
        if not path.is_file():
            if not table.optional_file:
                failures.append(Failure(table.file, None, None, "file is missing"))
            continue
        frame = read_table_file(path, table, failures)
        if frame is not None:
            raw[name] = frame
    if failures:
        # Some files are unusable: still report every per-file problem of the others.
        failures.extend(check(raw, across=False)[1])
        raise ValidationError(failures)
    return validate(raw)


def _to_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.map({True: "true", False: "false"}, na_action="ignore")
        out[column] = series.astype("string").fillna("")
    return pd.DataFrame(out)


def deidentify(inventory: Inventory) -> Inventory:
    """Drop names and free text: what may leave the clinic for research.

    Names become the person's id, client labels the client's id, and every
    free-text column of the contract is emptied.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> anon = deidentify(load_samples())
    >>> bool((anon.people["name"] == anon.people["person_id"]).all())
    True
    """
    out = {}
    for name, frame in inventory.items():
        frame = frame.copy()
        for col in TABLES[name].columns:
            if col.identifying:
                frame[col.name] = pd.Series(pd.NA, index=frame.index, dtype="string")
        out[name] = frame
    out["people"]["name"] = out["people"]["person_id"]
    out["clients"]["label"] = out["clients"]["client_id"]
    return Inventory.from_tables(out)


def write_inventory(
    inventory: Inventory, folder: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write the tables as a tidy inventory folder.

    Required columns are always written; an optional column only when some
    row has a value, and an optional file only when it has rows. The files
    are written to a temporary folder first and moved into place together.

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
    FileExistsError
        When the folder already holds contract files and ``overwrite`` is false.
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    existing = [t.file for t in TABLES.values() if (root / t.file).exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{root} already holds {', '.join(existing)}; choose an empty folder or overwrite"
        )
    written: list[Path] = []
    with tempfile.TemporaryDirectory(dir=root, prefix=".writing-") as tmp:
        for name, frame in inventory.items():
            table = TABLES[name]
            if table.optional_file and frame.empty:
                continue
            keep = [c.name for c in table.columns if c.required or frame[c.name].notna().any()]
            _to_text(frame[keep]).to_csv(Path(tmp) / table.file, index=False, lineterminator="\n")
        for name in os.listdir(tmp):
            shutil.move(os.path.join(tmp, name), root / name)
            written.append(root / name)
    for table in TABLES.values():
        stale = root / table.file
        if table.optional_file and stale.exists() and stale not in written:
            stale.unlink()
    return sorted(written)
