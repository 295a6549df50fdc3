r"""Cells a spreadsheet could run: the one rule for every CSV the project writes.

A spreadsheet opening a CSV file reads a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (CSV or formula injection), and some also act on a
leading tab or carriage return. Every CSV writer of the project passes its text
cells through :func:`neutralise`, which puts an apostrophe ``'`` in front of
such a cell; spreadsheets show the apostrophe-led cell as plain text. A number
(an integer or decimal literal such as ``-3`` or ``-0.5``) is left as it is, so
negative numbers stay numbers.

So that a written folder reads back to exactly the same text, a cell that
already starts with apostrophes followed by one of those characters (``'=x``)
gets one more apostrophe as well, and :func:`restore` takes exactly one
apostrophe off any cell that starts with one or more apostrophes followed by
one of those characters. The rule is the spreadsheets' own convention, so a
cell another tool (or a spreadsheet) escaped, such as ``'=SUM(A1)`` in a
researcher's CSV, reads back as its text ``=SUM(A1)``.

Examples
--------
>>> [neutralise(c) for c in ["=HYPERLINK(1)", "+1+1", "@SUM(A1)", "-3", "-0.5", "fine"]]
["'=HYPERLINK(1)", "'+1+1", "'@SUM(A1)", '-3', '-0.5', 'fine']
>>> neutralise("'=already"), restore("''=already")
("''=already", "'=already")
>>> restore("'=SUM(A1)"), restore("'plain"), restore("-3")
('=SUM(A1)', "'plain", '-3')
>>> all(restore(neutralise(c)) == c for c in ["=a", "'=a", "''-1", "-1", "'", "x=", "\tx"])
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import pandas as pd

__all__ = [
    "FORMULA_START",
    "neutralise",
    "restore",
    "neutralise_series",
    "restore_series",
    "neutralise_frame",
]

#: Characters that make a spreadsheet read a cell starting with them as a formula
#: (with tab and carriage return, as OWASP advises).
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

_TRIGGER: Final = "[=+\\-@\t\r]"
#: Apostrophes (none or more), then a trigger character: written with one more apostrophe.
_RISKY: Final = f"'*{_TRIGGER}"
#: One or more apostrophes, then a trigger character: read back with one apostrophe less.
_ESCAPED: Final = f"'+{_TRIGGER}"
#: An integer or decimal literal, written as a number (ASCII digits only).
_NUMBER: Final = "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?"

_RISKY_RE: Final = re.compile(_RISKY)
_ESCAPED_RE: Final = re.compile(_ESCAPED)
_NUMBER_RE: Final = re.compile(_NUMBER)


def neutralise(text: str) -> str:
    r"""The cell as written to a CSV file: a leading ``'`` when a spreadsheet could run it.

    Parameters
    ----------
    text : str
        The cell's text.

    Returns
    -------
    str
        ``"'" + text`` when ``text`` starts with ``=``, ``+``, ``-``, ``@``, a
        tab or a carriage return and is not a number, or when it starts with
        apostrophes followed by one of those; otherwise ``text`` unchanged.

    Examples
    --------
    >>> neutralise("-2+3"), neutralise("-3"), neutralise("- a note"), neutralise("\tx")
    ("'-2+3", '-3', "'- a note", "'\tx")
    >>> neutralise("'@x"), neutralise("it's"), neutralise("")
    ("''@x", "it's", '')
    """
    if _RISKY_RE.match(text) and not _NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The text of a cell read from a CSV file: undoes :func:`neutralise`.

    Parameters
    ----------
    text : str
        The cell as read.

    Returns
    -------
    str
        ``text`` without its first character when it starts with one or more
        apostrophes followed by ``=``, ``+``, ``-``, ``@``, a tab or a carriage
        return; otherwise ``text`` unchanged.

    Examples
    --------
    >>> restore("'-2+3"), restore("''@x"), restore("'"), restore("it's")
    ('-2+3', "'@x", "'", "it's")
    """
    return text[1:] if _ESCAPED_RE.match(text) else text


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype("string")


def neutralise_series(values: pd.Series) -> pd.Series:
    """:func:`neutralise` every cell of a column of text; missing cells stay missing.

    Examples
    --------
    >>> neutralise_series(pd.Series(["=1", "-1", None, "ok"], dtype="string")).tolist()
    ["'=1", '-1', <NA>, 'ok']
    """
    text = _as_text(values)
    risky = text.str.match(_RISKY).fillna(False) & ~text.str.fullmatch(_NUMBER).fillna(False)
    if not risky.any():
        return values
    out = values.copy()
    out[risky] = "'" + text[risky]
    return out


def restore_series(values: pd.Series) -> pd.Series:
    """:func:`restore` every cell of a column of text; missing cells stay missing.

    Examples
    --------
    >>> restore_series(pd.Series(["'=1", "''-a", "'x", None], dtype="string")).tolist()
    ['=1', "'-a", "'x", <NA>]
    """
    text = _as_text(values)
    escaped = text.str.match(_ESCAPED).fillna(False)
    if not escaped.any():
        return values
    out = values.copy()
    out[escaped] = text[escaped].str.slice(1)
    return out


def neutralise_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`neutralise_series` applied to its text columns.

    Parameters
    ----------
    frame : DataFrame
        The table about to be written as CSV.
    columns : iterable of str, optional
        The columns to neutralise; by default every column of string or object
        dtype (number, boolean and date columns are left as they are).

    Examples
    --------
    >>> frame = pd.DataFrame({"client_id": ["=c1", "c2"], "delta": [-3, 2]})
    >>> neutralise_frame(frame).to_csv(index=False, lineterminator="\\n")
    "client_id,delta\\n'=c1,-3\\nc2,2\\n"
    """
    if columns is None:
        columns = [
            name
            for name in frame.columns
            if pd.api.types.is_string_dtype(frame[name].dtype)
            or pd.api.types.is_object_dtype(frame[name].dtype)
        ]
    out = frame.copy()
    for name in columns:
        out[name] = neutralise_series(out[name])
    return out
