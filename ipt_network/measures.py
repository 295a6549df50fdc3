"""Scoring the clinical measures: PHQ-9, GAD-7, LSNS-6 and licensed totals.

Pure functions that score one administration, and :func:`measure_table`,
which scores every session of one client.

=============  =======  ===========  ===========================================
measure        items    total        bands
=============  =======  ===========  ===========================================
PHQ-9          9, 0-3   0-27         0-4 minimal, 5-9 mild, 10-14 moderate,
                                     15-19 moderately severe, 20-27 severe
GAD-7          7, 0-3   0-21         0-4 minimal, 5-9 mild, 10-14 moderate,
                                     15-21 severe
LSNS-6         6, 0-5   0-30         below 12: at risk of social isolation;
                                     family subscale items 1-3, friends 4-6
HAM-D 17       total    0-52         configurable, default :data:`HAMD17_BANDS`
BDI-II         total    0-63         configurable, default :data:`BDI2_BANDS`
EPDS           total    0-30         configurable, default :data:`EPDS_BANDS`
=============  =======  ===========  ===========================================

HAM-D 17, BDI-II and EPDS have copyrighted or licensed item text, so only
their totals are stored; their bands differ between sources and services, so
they are :class:`Bands` that a user may replace.

PHQ-9 response is a drop of at least 50% from the baseline total (the first
session with a PHQ-9); remission is a total below 5. Item 9 above 0 raises
the safety flag of :mod:`ipt_network.safety`; an item 9 of 0 says nothing
about risk.

Bad values are refused with :class:`MeasureError` (a ``ValueError``), whose
message names the measure and the item but never the value given.

Examples
--------
>>> phq9_total([2, 2, 2, 2, 1, 1, 1, 1, 0])
12
>>> PHQ9_BANDS.band(12)
'moderate'
>>> phq9_response(baseline=18, total=8), phq9_remission(4)
(True, True)
>>> lsns6_scores([2, 1, 2, 1, 0, 1])
LSNS6(total=7, family=5, friends=2, isolated=True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from ipt_network.contract import GAD7_ITEMS, LSNS6_ITEMS, PHQ9_ITEMS, TOTAL_COLUMNS
from ipt_network.errors import IPTNetworkError
from ipt_network.inventory import Inventory, is_missing

__all__ = [
    "MeasureError",
    "Bands",
    "PHQ9_BANDS",
    "GAD7_BANDS",
    "HAMD17_BANDS",
    "BDI2_BANDS",
    "EPDS_BANDS",
    "LICENSED_BANDS",
    "LSNS6_ISOLATION_CUTOFF",
    "LSNS6",
    "score_items",
    "phq9_total",
    "phq9_totals",
    "phq9_band",
    "phq9_change",
    "phq9_response",
    "phq9_remission",
    "phq9_item9_flag",
    "gad7_total",
    "gad7_band",
    "lsns6_scores",
    "licensed_total",
    "measure_table",
]


class MeasureError(IPTNetworkError, ValueError):
    """A measure was given a value it cannot score (an item out of range, a missing item,
    a total out of range, bands that do not cover the range).

    Examples
    --------
    >>> try:
    ...     phq9_total([0, 0, 0, 4, 0, 0, 0, 0, 0])
    ... except ValueError as exc:
    ...     print(exc)
    PHQ-9 item 4 is out of range: items are scored 0 to 3
    """


@dataclass(frozen=True)
class Bands:
    """Severity bands of a total: each band from its lower bound to the next one's.

    Parameters
    ----------
    measure : str
        The measure's name, for messages (``"BDI-II"``).
    maximum : int
        The highest possible total; the lowest is the first lower bound.
    bands : tuple of (int, str)
        ``(lower bound, label)`` pairs in increasing order; the first starts
        at the lowest possible total (usually 0).

    Raises
    ------
    MeasureError
        When the bounds do not increase or lie outside the range.

    Examples
    --------
    >>> mine = Bands("EPDS", 30, ((0, "below 13"), (13, "13 or more")))
    >>> mine.band(12), mine.band(13)
    ('below 13', '13 or more')
    >>> mine.ranges()
    [(0, 12, 'below 13'), (13, 30, '13 or more')]
    """

    measure: str
    maximum: int
    bands: tuple[tuple[int, str], ...]

    def __post_init__(self) -> None:
        lows = [lo for lo, _ in self.bands]
        if not lows:
            raise MeasureError(f"{self.measure} bands: give at least one band")
        if any(b <= a for a, b in zip(lows, lows[1:], strict=False)):
            raise MeasureError(f"{self.measure} bands: lower bounds must increase")
        if lows[-1] > self.maximum:
            raise MeasureError(
                f"{self.measure} bands: a lower bound is above the highest total {self.maximum}"
            )

    @property
    def minimum(self) -> int:
        """The lowest total the bands cover."""
        return self.bands[0][0]

    def check(self, total: Any) -> int:
        """``total`` as an int, or :class:`MeasureError` when it is out of range."""
        return _checked(total, self.minimum, self.maximum, f"{self.measure} total")

    def band(self, total: Any) -> str:
        """The label of the band holding ``total``.

        Raises
        ------
        MeasureError
            When the total is missing, not whole, or out of range.
        """
        value = self.check(total)
        label = self.bands[0][1]
        for lo, name in self.bands:
            if value >= lo:
                label = name
        return label

    def ranges(self) -> list[tuple[int, int, str]]:
        """``(low, high, label)`` for each band, inclusive."""
        highs = [lo - 1 for lo, _ in self.bands[1:]] + [self.maximum]
        return [(lo, hi, name) for (lo, name), hi in zip(self.bands, highs, strict=True)]


#: PHQ-9 bands (Kroenke, Spitzer and Williams 2001).
PHQ9_BANDS: Final = Bands(
    "PHQ-9",
    27,
    ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe")),
)
#: GAD-7 bands (Spitzer and others 2006).
GAD7_BANDS: Final = Bands(
    "GAD-7", 21, ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
)
#: Default HAM-D 17 bands (APA handbook: 0-7 normal, 8-13 mild, 14-18 moderate,
#: 19-22 severe, 23 and above very severe).
HAMD17_BANDS: Final = Bands(
    "HAM-D 17",
    TOTAL_COLUMNS["hamd17_total"][1],
    ((0, "normal"), (8, "mild"), (14, "moderate"), (19, "severe"), (23, "very severe")),
)
#: Default BDI-II bands (the manual: 0-13 minimal, 14-19 mild, 20-28 moderate, 29-63 severe).
BDI2_BANDS: Final = Bands(
    "BDI-II",
    TOTAL_COLUMNS["bdi2_total"][1],
    ((0, "minimal"), (14, "mild"), (20, "moderate"), (29, "severe")),
)
#: Default EPDS bands (10 and above: possible depression; 13 and above: probable depression).
EPDS_BANDS: Final = Bands(
    "EPDS",
    TOTAL_COLUMNS["epds_total"][1],
    ((0, "below 10"), (10, "possible depression"), (13, "probable depression")),
)
#: Default bands of the licensed totals, by column of the sessions table.
LICENSED_BANDS: Final[Mapping[str, Bands]] = {
    "hamd17_total": HAMD17_BANDS,
    "bdi2_total": BDI2_BANDS,
    "epds_total": EPDS_BANDS,
}
#: LSNS-6 totals below this are at risk of social isolation (Lubben and others 2006).
LSNS6_ISOLATION_CUTOFF: Final = 12


def _missing(value: Any) -> bool:
    return is_missing(value)


def _checked(value: Any, lo: int, hi: int, what: str) -> int:
    """``value`` as an int in ``lo..hi``; never puts the value in the message."""
    if _missing(value):
        raise MeasureError(f"{what} is missing")
    if isinstance(value, bool) or not float(value).is_integer():
        raise MeasureError(f"{what} must be a whole number from {lo} to {hi}")
    if not lo <= int(value) <= hi:
        raise MeasureError(f"{what} is out of range: must be {lo} to {hi}")
    return int(value)


def score_items(measure: str, items: Sequence[Any], n: int, hi: int) -> list[int]:
    """Check ``n`` items scored 0 to ``hi`` and return them as ints.

    Parameters
    ----------
    measure : str
        The measure's name, for messages.
    items : sequence
        The answers, item 1 first; ``None`` or NA marks a missing answer.
    n, hi : int
        How many items, and the highest answer.

    Raises
    ------
    MeasureError
        When there are not ``n`` items, or an item is missing, not whole or out of range.

    Examples
    --------
    >>> score_items("GAD-7", [1, 0, 2, None, 0, 0, 0], 7, 3)
    Traceback (most recent call last):
    ...
    ipt_network.measures.MeasureError: GAD-7 item 4 is missing: all 7 items are needed
    """
    values = list(items)
    if len(values) != n:
        raise MeasureError(f"{measure} needs {n} items, not {len(values)}")
    out = []
    for i, value in enumerate(values, start=1):
        if _missing(value):
            raise MeasureError(f"{measure} item {i} is missing: all {n} items are needed")
        if isinstance(value, bool) or not float(value).is_integer() or not 0 <= value <= hi:
            raise MeasureError(f"{measure} item {i} is out of range: items are scored 0 to {hi}")
        out.append(int(value))
    return out


def phq9_total(items: Sequence[Any]) -> int:
    """The PHQ-9 total (0 to 27) of nine items scored 0 to 3.

    Examples
    --------
    >>> phq9_total([3] * 9)
    27
    >>> phq9_total([1] * 8)
    Traceback (most recent call last):
    ...
    ipt_network.measures.MeasureError: PHQ-9 needs 9 items, not 8
    """
    return sum(score_items("PHQ-9", items, 9, 3))


def phq9_totals(sessions: pd.DataFrame) -> pd.Series:
    """PHQ-9 totals per row of a sessions table; missing where the items were not given.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({f"phq9_{i}": pd.array([1, None], dtype="Int64") for i in range(1, 10)})
    >>> phq9_totals(s).tolist()
    [9, <NA>]
    """
    items = sessions[list(PHQ9_ITEMS)].astype("Int64")
    return items.sum(axis=1, skipna=False).astype("Int64")


def phq9_band(total: Any) -> str:
    """The PHQ-9 severity band of a total.

    Examples
    --------
    >>> [phq9_band(t) for t in (4, 5, 14, 15, 27)]
    ['minimal', 'mild', 'moderate', 'moderately severe', 'severe']
    """
    return PHQ9_BANDS.band(total)


def phq9_change(baseline: Any, total: Any) -> int:
    """Change from baseline (``total - baseline``; negative is improvement).

    Examples
    --------
    >>> phq9_change(20, 12)
    -8
    """
    return PHQ9_BANDS.check(total) - PHQ9_BANDS.check(baseline)


def phq9_response(baseline: Any, total: Any) -> bool | None:
    """Response: the total dropped by at least 50% from baseline.

    Returns ``None`` when the baseline is 0, where a drop cannot be measured.

    Examples
    --------
    >>> phq9_response(20, 10), phq9_response(20, 11), phq9_response(0, 0)
    (True, False, None)
    """
    base, now = PHQ9_BANDS.check(baseline), PHQ9_BANDS.check(total)
    if base == 0:
        return None
    return 2 * (base - now) >= base


def phq9_remission(total: Any) -> bool:
    """Remission: a PHQ-9 total below 5.

    Examples
    --------
    >>> phq9_remission(4), phq9_remission(5)
    (True, False)
    """
    return PHQ9_BANDS.check(total) < 5


def phq9_item9_flag(items: Sequence[Any]) -> bool:
    """Whether item 9 (thoughts of death or self-harm) is above 0.

    ``True`` raises the safety flag (:func:`ipt_network.safety.safety_flag`).
    ``False`` means only that no flag was raised: it never means low risk.

    Examples
    --------
    >>> phq9_item9_flag([0, 0, 0, 0, 0, 0, 0, 0, 1])
    True
    """
    return score_items("PHQ-9", items, 9, 3)[8] > 0


def gad7_total(items: Sequence[Any]) -> int:
    """The GAD-7 total (0 to 21) of seven items scored 0 to 3.

    Examples
    --------
    >>> gad7_total([2, 2, 1, 2, 1, 1, 2])
    11
    """
    return sum(score_items("GAD-7", items, 7, 3))


def gad7_band(total: Any) -> str:
    """The GAD-7 severity band of a total.

    Examples
    --------
    >>> gad7_band(11)
    'moderate'
    """
    return GAD7_BANDS.band(total)


@dataclass(frozen=True)
class LSNS6:
    """LSNS-6 scores: total 0 to 30, family (items 1-3) and friends (items 4-6) 0 to 15.

    ``isolated`` is true when the total is below :data:`LSNS6_ISOLATION_CUTOFF`.
    """

    total: int
    family: int
    friends: int
    isolated: bool


def lsns6_scores(items: Sequence[Any]) -> LSNS6:
    """Score the LSNS-6: six items 0 to 5, items 1-3 about family, 4-6 about friends.

    Examples
    --------
    >>> s = lsns6_scores([3, 3, 3, 1, 1, 1])
    >>> s.total, s.family, s.friends, s.isolated
    (12, 9, 3, False)
    >>> lsns6_scores([0, 0, 6, 0, 0, 0])
    Traceback (most recent call last):
    ...
    ipt_network.measures.MeasureError: LSNS-6 item 3 is out of range: items are scored 0 to 5
    """
    v = score_items("LSNS-6", items, 6, 5)
    total = sum(v)
    return LSNS6(total, sum(v[:3]), sum(v[3:]), total < LSNS6_ISOLATION_CUTOFF)


def licensed_total(column: str, total: Any, bands: Mapping[str, Bands] | None = None) -> str:
    """The band of a licensed total (``hamd17_total``, ``bdi2_total`` or ``epds_total``).

    Parameters
    ----------
    column : str
        The sessions column of the measure.
    total : int
        The total.
    bands : mapping of str to Bands, optional
        Bands to use instead of :data:`LICENSED_BANDS`, by column.

    Raises
    ------
    MeasureError
        When the column is unknown or the total out of range.

    Examples
    --------
    >>> licensed_total("bdi2_total", 22)
    'moderate'
    >>> licensed_total("epds_total", 31)
    Traceback (most recent call last):
    ...
    ipt_network.measures.MeasureError: EPDS total is out of range: must be 0 to 30
    """
    chosen = {**LICENSED_BANDS, **(bands or {})}
    if column not in chosen:
        raise MeasureError(f"unknown licensed total {column!r}; use one of {', '.join(chosen)}")
    return chosen[column].band(total)


def _row_items(row: pd.Series, columns: Sequence[str]) -> list[Any] | None:
    """The items of one measure in a sessions row, or ``None`` when none were given."""
    values = [row[c] if c in row.index else None for c in columns]
    return None if all(_missing(v) for v in values) else values


def measure_table(
    inventory: Inventory, client_id: str, bands: Mapping[str, Bands] | None = None
) -> pd.DataFrame:
    """Every measure of one client, scored per session.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client.
    client_id : str
        The client.
    bands : mapping of str to Bands, optional
        Bands for the licensed totals, by column, replacing :data:`LICENSED_BANDS`.

    Returns
    -------
    DataFrame
        One row per session in order: ``session``, ``date``; ``phq9_total``,
        ``phq9_band``, ``phq9_change`` (from the baseline, the first session
        with a PHQ-9), ``phq9_response``, ``phq9_remission``, ``phq9_item9``;
        ``gad7_total``, ``gad7_band``; ``lsns6_total``, ``lsns6_family``,
        ``lsns6_friends``, ``lsns6_isolated``; then for each licensed total its
        column and ``<name>_band`` (``hamd17_band``, ...). Empty cells where a
        measure was not given.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    MeasureError
        When a session holds a value the measure cannot score.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> t = measure_table(load_samples(), "deficits-01")
    >>> int(t["phq9_change"].iloc[0]), bool(t["lsns6_isolated"].iloc[0])
    (0, True)
    """
    inventory.sessions_of(client_id)  # raises ClientNotFound
    s = inventory.sessions
    rows = s[s["client_id"] == client_id].sort_values("session")
    records: list[dict[str, Any]] = []
    baseline: int | None = None
    for _, row in rows.iterrows():
        rec: dict[str, Any] = {"session": int(row["session"]), "date": row["date"]}
        phq = _row_items(row, PHQ9_ITEMS)
        if phq is not None:
            total = phq9_total(phq)
            baseline = total if baseline is None else baseline
            rec.update(
                phq9_total=total,
                phq9_band=phq9_band(total),
                phq9_change=phq9_change(baseline, total),
                phq9_response=phq9_response(baseline, total),
                phq9_remission=phq9_remission(total),
                phq9_item9=int(phq[8]),
            )
        gad = _row_items(row, GAD7_ITEMS)
        if gad is not None:
            rec.update(gad7_total=gad7_total(gad), gad7_band=gad7_band(gad7_total(gad)))
        lsns = _row_items(row, LSNS6_ITEMS)
        if lsns is not None:
            sc = lsns6_scores(lsns)
            rec.update(
                lsns6_total=sc.total,
                lsns6_family=sc.family,
                lsns6_friends=sc.friends,
                lsns6_isolated=sc.isolated,
            )
        for column in TOTAL_COLUMNS:
            if column in row.index and not _missing(row[column]):
                rec[_band_column(column)] = licensed_total(column, row[column], bands)
                rec[column] = int(row[column])
        records.append(rec)
    return _typed_table(records)


def _band_column(column: str) -> str:
    return column.removesuffix("_total") + "_band"


_INT = ["phq9_total", "phq9_change", "phq9_item9", "gad7_total"]
_INT += ["lsns6_total", "lsns6_family", "lsns6_friends", *TOTAL_COLUMNS]
_BOOL = ["phq9_response", "phq9_remission", "lsns6_isolated"]
_TEXT = ["date", "phq9_band", "gad7_band", *(_band_column(c) for c in TOTAL_COLUMNS)]
_ORDER = [
    "session",
    "date",
    "phq9_total",
    "phq9_band",
    "phq9_change",
    "phq9_response",
    "phq9_remission",
    "phq9_item9",
    "gad7_total",
    "gad7_band",
    "lsns6_total",
    "lsns6_family",
    "lsns6_friends",
    "lsns6_isolated",
    *(c for col in TOTAL_COLUMNS for c in (col, _band_column(col))),
]


def _typed_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=_ORDER)
    dtypes = {"session": "Int64", **dict.fromkeys(_INT, "Int64")}
    dtypes.update(dict.fromkeys(_BOOL, "boolean"))
    dtypes.update(dict.fromkeys(_TEXT, "string"))
    return frame.astype(dtypes)
