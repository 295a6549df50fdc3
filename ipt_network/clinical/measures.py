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

**PHQ-9 with missing items.** Any item may be left empty. With 1 or 2
items missing the total is *prorated*: the mean of the answered items times
9, rounded half up (so 4.5 becomes 5, never to the even number as Python's
``round`` does), and every view marks it "prorated". With 3 or more missing
there is no total: the session's PHQ-9 is "incomplete". Item 9 is kept
whatever else is missing.

**PHQ-9 change.** The baseline is the first session with a total (prorated
or not). Response is a drop of at least 50% from a baseline of at least
:data:`PHQ9_RESPONSE_MIN_BASELINE` (10); from a lower baseline response is
not measured (empty). Remission is a total below 5. Reliable change is a
drop of at least :data:`PHQ9_RELIABLE_DROP` (6) points. The optional
difficulty item (``phq9_difficulty``, 0 to 3) is shown as given, in words.
Item 9 above 0 raises the safety flag of :mod:`ipt_network.clinical.safety`; an item
9 of 0 says nothing about risk.

**LSNS-6.** Below 12 in total: at risk of social isolation. Each subscale
(family, items 1-3; friends, items 4-6; 0 to 15) below
:data:`LSNS6_SUBSCALE_CUTOFF` (6) is marked low.

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
>>> phq9_score([2, 2, 2, 2, None, 1, 1, 1, 0])
PHQ9Score(total=12, answered=8, item9=0)
>>> lsns6_scores([2, 1, 2, 1, 0, 1])
LSNS6(total=7, family=5, friends=2, isolated=True, family_low=True, friends_low=True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from ipt_network.errors import IPTNetworkError
from ipt_network.io.contract import (
    GAD7_ITEMS,
    ITEM_COLUMNS,
    LSNS6_ITEMS,
    PHQ9_ITEMS,
    TOTAL_COLUMNS,
    scale,
)
from ipt_network.io.inventory import Inventory, is_missing

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
    "LSNS6_SUBSCALE_CUTOFF",
    "PHQ9_MAX_MISSING",
    "PHQ9_RESPONSE_MIN_BASELINE",
    "PHQ9_RELIABLE_DROP",
    "PHQ9_DIFFICULTY_WORDS",
    "PHQ9_ANSWER_WORDS",
    "ITEM9_NOT_ASKED",
    "LSNS6",
    "PHQ9Score",
    "score_items",
    "prorate",
    "phq9_score",
    "phq9_scores",
    "phq9_total",
    "phq9_totals",
    "phq9_total_text",
    "phq9_band",
    "phq9_change",
    "phq9_response",
    "phq9_reliable_change",
    "phq9_remission",
    "phq9_difficulty_words",
    "phq9_item9_flag",
    "gad7_total",
    "gad7_band",
    "lsns6_scores",
    "licensed_total",
    "measure_table",
    "phq9_text_table",
    "other_measures_lines",
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


#: How many items each questionnaire has and its highest answer, from the contract.
_PHQ9: Final = scale(PHQ9_ITEMS)
_GAD7: Final = scale(GAD7_ITEMS)
_LSNS6: Final = scale(LSNS6_ITEMS)

#: PHQ-9 bands (Kroenke, Spitzer and Williams 2001).
PHQ9_BANDS: Final = Bands(
    "PHQ-9",
    _PHQ9[0] * _PHQ9[1],
    ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe")),
)
#: GAD-7 bands (Spitzer and others 2006).
GAD7_BANDS: Final = Bands(
    "GAD-7", _GAD7[0] * _GAD7[1], ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
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
#: An LSNS-6 subscale (family or friends, 0 to 15) below this is low (Lubben and others 2006).
LSNS6_SUBSCALE_CUTOFF: Final = 6
#: The most PHQ-9 items that may be missing for a (prorated) total.
PHQ9_MAX_MISSING: Final = 2
#: Response is measured only from a PHQ-9 baseline of at least this.
PHQ9_RESPONSE_MIN_BASELINE: Final = 10
#: A PHQ-9 drop of at least this many points is a reliable change.
PHQ9_RELIABLE_DROP: Final = 6
#: The PHQ-9 items' answers 0 to 3 in words (the instrument is free to use).
PHQ9_ANSWER_WORDS: Final = (
    "not at all",
    "several days",
    "more than half the days",
    "nearly every day",
)
#: What every view says for a session whose PHQ-9 was given without item 9.
ITEM9_NOT_ASKED: Final = "item 9 not asked"
#: The PHQ-9 difficulty item's answers in words (the instrument is free to use).
PHQ9_DIFFICULTY_WORDS: Final = (
    "not difficult at all",
    "somewhat difficult",
    "very difficult",
    "extremely difficult",
)


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


def score_items(
    measure: str, items: Sequence[Any], n: int, hi: int, *, first: Sequence[int] | None = None
) -> list[int]:
    """Check ``n`` items scored 0 to ``hi`` and return them as ints.

    Parameters
    ----------
    measure : str
        The measure's name, for messages.
    items : sequence
        The answers, item 1 first; ``None`` or NA marks a missing answer.
    n, hi : int
        How many items, and the highest answer.
    first : sequence of int, optional
        The item number of each value, for messages (default 1, 2, ...).

    Raises
    ------
    MeasureError
        When there are not ``n`` items, or an item is missing, not whole or out of range.

    Examples
    --------
    >>> score_items("GAD-7", [1, 0, 2, None, 0, 0, 0], 7, 3)
    Traceback (most recent call last):
    ...
    ipt_network.clinical.measures.MeasureError: GAD-7 item 4 is missing: all 7 items are needed
    """
    values = list(items)
    if len(values) != n:
        raise MeasureError(f"{measure} needs {n} items, not {len(values)}")
    out = []
    for i, value in zip(first or range(1, n + 1), values, strict=False):
        if _missing(value):
            raise MeasureError(f"{measure} item {i} is missing: all {n} items are needed")
        if isinstance(value, bool) or not float(value).is_integer() or not 0 <= value <= hi:
            raise MeasureError(f"{measure} item {i} is out of range: items are scored 0 to {hi}")
        out.append(int(value))
    return out


def prorate(answered_sum: int, answered: int, n: int) -> int:
    """The total of ``n`` items from the sum of the ``answered`` ones: mean times ``n``,
    rounded half up.

    Integer arithmetic, so no float error can tip a half: ``round(4.5)`` in
    Python gives 4 (half to even), this gives 5.

    Examples
    --------
    >>> prorate(4, 8, 9), prorate(12, 8, 9), prorate(10, 8, 9), prorate(13, 7, 9)
    (5, 14, 11, 17)
    """
    if answered <= 0:
        raise MeasureError("cannot prorate a total from no answered items")
    return (2 * answered_sum * n + answered) // (2 * answered)


@dataclass(frozen=True)
class PHQ9Score:
    """One PHQ-9 administration, whole or partly filled.

    Parameters
    ----------
    total : int or None
        0 to 27: the sum of the nine items, prorated when 1 or 2 are missing
        (:func:`prorate`), ``None`` when 3 or more are missing.
    answered : int
        How many of the nine items were answered (0 to 9).
    item9 : int or None
        Item 9 (thoughts of death or self-harm), ``None`` when not asked.
    """

    total: int | None
    answered: int
    item9: int | None

    @property
    def given(self) -> bool:
        """At least one item was answered."""
        return self.answered > 0

    @property
    def prorated(self) -> bool:
        """The total was prorated from 7 or 8 answered items."""
        return self.total is not None and self.answered < 9

    @property
    def incomplete(self) -> bool:
        """Some items were answered but too few for a total."""
        return self.given and self.total is None


def phq9_score(items: Sequence[Any]) -> PHQ9Score:
    """Score a PHQ-9 whose items may be missing (``None`` or NA).

    Raises
    ------
    MeasureError
        When there are not nine items or an answered item is not 0 to 3.

    Examples
    --------
    >>> phq9_score([1] * 9)
    PHQ9Score(total=9, answered=9, item9=1)
    >>> phq9_score([1, 1, 1, 1, 1, 1, 1, None, None]).prorated
    True
    >>> phq9_score([None] * 8 + [2])
    PHQ9Score(total=None, answered=1, item9=2)
    """
    values = list(items)
    n, hi = _PHQ9
    if len(values) != n:
        raise MeasureError(f"PHQ-9 needs {n} items, not {len(values)}")
    given = [(i, v) for i, v in enumerate(values) if not _missing(v)]
    checked = dict(
        zip(
            (i for i, _ in given),
            score_items(
                "PHQ-9", [v for _, v in given], len(given), hi, first=[i + 1 for i, _ in given]
            ),
            strict=True,
        )
    )
    answered = len(checked)
    total = None
    if answered and n - answered <= PHQ9_MAX_MISSING:
        total = prorate(sum(checked.values()), answered, n)
    return PHQ9Score(total, answered, checked.get(8))


def phq9_scores(sessions: pd.DataFrame) -> pd.DataFrame:
    """:func:`phq9_score` for every row of a sessions table, vectorised.

    Returns
    -------
    DataFrame
        Same index: ``phq9_total`` (Int64, prorated when 1 or 2 items are
        missing), ``phq9_answered`` (0 to 9), ``phq9_prorated`` and
        ``phq9_incomplete`` (bool), ``phq9_item9`` (Int64, empty when not asked).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({f"phq9_{i}": pd.array([1, None, 2 if i < 9 else None], dtype="Int64")
    ...     for i in range(1, 10)})
    >>> phq9_scores(s)[["phq9_total", "phq9_prorated", "phq9_item9"]].values.tolist()
    [[9, False, 1], [<NA>, False, <NA>], [18, True, <NA>]]
    """
    items = sessions[list(PHQ9_ITEMS)].astype("Int64")
    answered = items.notna().sum(axis=1).astype(int)
    summed = items.sum(axis=1, skipna=True).astype("int64")
    enough = (answered > 0) & (answered >= 9 - PHQ9_MAX_MISSING)
    divisor = answered.where(answered > 0, 1)  # rows with nothing answered get no total anyway
    prorated = (2 * summed * 9 + divisor) // (2 * divisor)
    total = pd.array(prorated.to_numpy(), dtype="Int64")
    total[~enough.to_numpy()] = pd.NA
    return pd.DataFrame(
        {
            "phq9_total": total,
            "phq9_answered": answered.to_numpy(),
            "phq9_prorated": (enough & (answered < 9)).to_numpy(),
            "phq9_incomplete": ((answered > 0) & ~enough).to_numpy(),
            "phq9_item9": items[PHQ9_ITEMS[-1]].array,
        },
        index=sessions.index,
    )


def phq9_total_text(total: Any, prorated: Any = False, incomplete: Any = False) -> str:
    """A PHQ-9 total as every view shows it: ``"14"``, ``"14 (prorated)"`` or ``"incomplete"``.

    ``"-"`` when no item was answered.

    Examples
    --------
    >>> phq9_total_text(14), phq9_total_text(14, True), phq9_total_text(None, False, True)
    ('14', '14 (prorated)', 'incomplete')
    """
    if _missing(total):
        return "incomplete" if _truth(incomplete) else "-"
    return f"{int(total)} (prorated)" if _truth(prorated) else str(int(total))


def _truth(value: Any) -> bool:
    """A cell that may be NA, a numpy bool or a bool, as a plain bool (NA is false)."""
    return not _missing(value) and bool(value)


def phq9_total(items: Sequence[Any]) -> int:
    """The PHQ-9 total (0 to 27) of nine answered items scored 0 to 3.

    For a partly filled PHQ-9 use :func:`phq9_score`, which prorates.

    Examples
    --------
    >>> phq9_total([3] * 9)
    27
    >>> phq9_total([1] * 8)
    Traceback (most recent call last):
    ...
    ipt_network.clinical.measures.MeasureError: PHQ-9 needs 9 items, not 8
    """
    return sum(score_items("PHQ-9", items, *_PHQ9))


def phq9_totals(sessions: pd.DataFrame) -> pd.Series:
    """PHQ-9 totals per row of a sessions table (prorated as :func:`phq9_scores` says).

    Missing where 3 or more items are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({f"phq9_{i}": pd.array([1, None], dtype="Int64") for i in range(1, 10)})
    >>> phq9_totals(s).tolist()
    [9, <NA>]
    """
    return phq9_scores(sessions)["phq9_total"]


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
    """Response: the total dropped by at least 50% from a baseline of at least 10.

    Returns ``None`` when the baseline is below
    :data:`PHQ9_RESPONSE_MIN_BASELINE`: response is not measured there.

    Examples
    --------
    >>> phq9_response(20, 10), phq9_response(20, 11), phq9_response(10, 5), phq9_response(9, 0)
    (True, False, True, None)
    """
    base, now = PHQ9_BANDS.check(baseline), PHQ9_BANDS.check(total)
    if base < PHQ9_RESPONSE_MIN_BASELINE:
        return None
    return 2 * (base - now) >= base


def phq9_reliable_change(baseline: Any, total: Any) -> bool:
    """Reliable change: the total dropped by at least :data:`PHQ9_RELIABLE_DROP` (6) points.

    Examples
    --------
    >>> phq9_reliable_change(15, 9), phq9_reliable_change(15, 10), phq9_reliable_change(5, 11)
    (True, False, False)
    """
    return PHQ9_BANDS.check(baseline) - PHQ9_BANDS.check(total) >= PHQ9_RELIABLE_DROP


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

    Other items may be missing. ``True`` raises the safety flag
    (:func:`ipt_network.clinical.safety.safety_flag`). ``False`` means only that no
    flag was raised (item 9 was 0 or not asked): it never means low risk.

    Examples
    --------
    >>> phq9_item9_flag([0, 0, 0, 0, 0, 0, 0, 0, 1]), phq9_item9_flag([None] * 8 + [2])
    (True, True)
    """
    item9 = phq9_score(items).item9
    return item9 is not None and item9 > 0


def phq9_difficulty_words(value: Any) -> str:
    """The PHQ-9 difficulty item (0 to 3) in words; ``"not asked"`` when missing.

    Examples
    --------
    >>> phq9_difficulty_words(2), phq9_difficulty_words(None)
    ('very difficult', 'not asked')
    """
    if _missing(value):
        return "not asked"
    return PHQ9_DIFFICULTY_WORDS[_checked(value, 0, 3, "PHQ-9 difficulty item")]


def gad7_total(items: Sequence[Any]) -> int:
    """The GAD-7 total (0 to 21) of seven items scored 0 to 3.

    Examples
    --------
    >>> gad7_total([2, 2, 1, 2, 1, 1, 2])
    11
    """
    return sum(score_items("GAD-7", items, *_GAD7))


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

    ``isolated`` is true when the total is below :data:`LSNS6_ISOLATION_CUTOFF`;
    ``family_low`` and ``friends_low`` when that subscale is below
    :data:`LSNS6_SUBSCALE_CUTOFF`.
    """

    total: int
    family: int
    friends: int
    isolated: bool
    family_low: bool
    friends_low: bool


def lsns6_scores(items: Sequence[Any]) -> LSNS6:
    """Score the LSNS-6: six items 0 to 5, items 1-3 about family, 4-6 about friends.

    Examples
    --------
    >>> s = lsns6_scores([3, 3, 3, 1, 1, 1])
    >>> s.total, s.family, s.friends, s.isolated
    (12, 9, 3, False)
    >>> s.family_low, s.friends_low, lsns6_scores([2, 2, 2, 2, 2, 2]).friends_low
    (False, True, False)
    >>> lsns6_scores([0, 0, 6, 0, 0, 0])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    MeasureError: LSNS-6 item 3 is out of range: items are scored 0 to 5
    """
    v = score_items("LSNS-6", items, *_LSNS6)
    total, family, friends = sum(v), sum(v[:3]), sum(v[3:])
    return LSNS6(
        total,
        family,
        friends,
        total < LSNS6_ISOLATION_CUTOFF,
        family < LSNS6_SUBSCALE_CUTOFF,
        friends < LSNS6_SUBSCALE_CUTOFF,
    )


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
        When the column is unknown, or the total is outside the range of its
        :class:`Bands`.

    Examples
    --------
    >>> licensed_total("bdi2_total", 22)
    'moderate'
    >>> licensed_total("epds_total", 31)
    Traceback (most recent call last):
    ...
    ipt_network.clinical.measures.MeasureError: EPDS total is out of range: must be 0 to 30
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
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    bands : mapping of str to Bands, optional
        Bands for the licensed totals, by column, replacing :data:`LICENSED_BANDS`.

    Returns
    -------
    DataFrame
        One row per session in order: ``session``, ``date``; ``phq9_total``
        (prorated when 1 or 2 items are missing), ``phq9_prorated``,
        ``phq9_incomplete`` (items given but 3 or more missing: no total),
        ``phq9_answered`` (0 to 9), ``phq9_band``, ``phq9_change`` (from the
        baseline, the first session with a total), ``phq9_response`` (empty
        when the baseline is below 10), ``phq9_reliable_change`` (a drop of
        6 or more), ``phq9_remission``, ``phq9_item9`` (empty when not asked),
        ``phq9_difficulty``; ``gad7_total``, ``gad7_band``; ``lsns6_total``,
        ``lsns6_family``, ``lsns6_friends``, ``lsns6_isolated``,
        ``lsns6_family_low``, ``lsns6_friends_low``; then for each licensed
        total its column and ``<name>_band`` (``hamd17_band``, ...); then the
        single items ``epds_10``, ``bdi2_9``, ``hamd17_3``. Empty cells where
        a measure was not given.

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
        score = phq9_score(phq) if phq is not None else PHQ9Score(None, 0, None)
        rec.update(
            phq9_answered=score.answered,
            phq9_incomplete=score.incomplete,
            phq9_item9=score.item9,
        )
        if score.total is not None:
            total = score.total
            baseline = total if baseline is None else baseline
            rec.update(
                phq9_total=total,
                phq9_prorated=score.prorated,
                phq9_band=phq9_band(total),
                phq9_change=phq9_change(baseline, total),
                phq9_response=phq9_response(baseline, total),
                phq9_reliable_change=phq9_reliable_change(baseline, total),
                phq9_remission=phq9_remission(total),
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
                lsns6_family_low=sc.family_low,
                lsns6_friends_low=sc.friends_low,
            )
        for column in TOTAL_COLUMNS:
            if column in row.index and not _missing(row[column]):
                rec[_band_column(column)] = licensed_total(column, row[column], bands)
                rec[column] = int(row[column])
        for column, (lo, hi) in ITEM_COLUMNS.items():
            if column in row.index and not _missing(row[column]):
                rec[column] = _checked(row[column], lo, hi, column)
        records.append(rec)
    return _typed_table(records)


def _band_column(column: str) -> str:
    return column.removesuffix("_total") + "_band"


_INT = ["phq9_total", "phq9_answered", "phq9_change", "phq9_item9", "gad7_total"]
_INT += ["lsns6_total", "lsns6_family", "lsns6_friends", *TOTAL_COLUMNS, *ITEM_COLUMNS]
_BOOL = ["phq9_prorated", "phq9_incomplete", "phq9_response", "phq9_reliable_change"]
_BOOL += ["phq9_remission", "lsns6_isolated", "lsns6_family_low", "lsns6_friends_low"]
_TEXT = ["date", "phq9_band", "gad7_band", *(_band_column(c) for c in TOTAL_COLUMNS)]
_ORDER = [
    "session",
    "date",
    "phq9_total",
    "phq9_prorated",
    "phq9_incomplete",
    "phq9_answered",
    "phq9_band",
    "phq9_change",
    "phq9_response",
    "phq9_reliable_change",
    "phq9_remission",
    "phq9_item9",
    "phq9_difficulty",
    "gad7_total",
    "gad7_band",
    "lsns6_total",
    "lsns6_family",
    "lsns6_friends",
    "lsns6_isolated",
    "lsns6_family_low",
    "lsns6_friends_low",
    *(c for col in TOTAL_COLUMNS for c in (col, _band_column(col))),
    *(c for c in ITEM_COLUMNS if c != "phq9_difficulty"),
]


def _typed_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=_ORDER)
    dtypes = {"session": "Int64", **dict.fromkeys(_INT, "Int64")}
    dtypes.update(dict.fromkeys(_BOOL, "boolean"))
    dtypes.update(dict.fromkeys(_TEXT, "string"))
    return frame.astype(dtypes)


def _yes_no(value: Any) -> str:
    return "-" if _missing(value) else ("yes" if bool(value) else "no")


def _item9_text(value: Any, given: bool) -> str:
    """Item 9 as the views show it: ``"2 (more than half the days)"``, ``"0"`` or not asked."""
    if _missing(value):
        return ITEM9_NOT_ASKED if given else "-"
    number = int(value)
    return f"{number} ({PHQ9_ANSWER_WORDS[number]})" if number > 0 else "0"


def phq9_text_table(scores: pd.DataFrame) -> pd.DataFrame:
    """The PHQ-9 of every session in words, as the clinician views show it.

    Parameters
    ----------
    scores : DataFrame
        :func:`measure_table` of one client.

    Returns
    -------
    DataFrame
        Text columns ``session``, ``date``, ``PHQ-9`` (``"14"``, ``"14
        (prorated)"``, ``"incomplete"`` or ``"-"``), ``band``, ``change``
        (from baseline), ``response`` (``"not measured"`` from a baseline
        below 10), ``reliable change``, ``item 9`` (with the answer in words,
        or :data:`ITEM9_NOT_ASKED`) and ``difficulty``.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> t = phq9_text_table(measure_table(load_samples(), "grief-01"))
    >>> list(t.columns)[2:6]
    ['PHQ-9', 'band', 'change', 'response']
    """
    baseline = scores["phq9_total"].dropna()
    low_baseline = len(baseline) > 0 and int(baseline.iloc[0]) < PHQ9_RESPONSE_MIN_BASELINE
    rows = []
    for _, r in scores.iterrows():
        has_total = not _missing(r["phq9_total"])
        given = int(r["phq9_answered"]) > 0
        response = _yes_no(r["phq9_response"])
        if has_total and low_baseline:
            response = "not measured (baseline below 10)"
        rows.append(
            {
                "session": str(int(r["session"])),
                "date": str(r["date"]),
                "PHQ-9": phq9_total_text(r["phq9_total"], r["phq9_prorated"], r["phq9_incomplete"]),
                "band": str(r["phq9_band"]) if has_total else "-",
                "change": f"{int(r['phq9_change']):+d}" if has_total else "-",
                "response": response,
                "reliable change": _yes_no(r["phq9_reliable_change"]),
                "item 9": _item9_text(r["phq9_item9"], given),
                "difficulty": phq9_difficulty_words(r["phq9_difficulty"])
                if not _missing(r["phq9_difficulty"])
                else "-",
            }
        )
    return pd.DataFrame(rows, columns=_TEXT_COLUMNS, dtype="string")


_TEXT_COLUMNS = [
    "session",
    "date",
    "PHQ-9",
    "band",
    "change",
    "response",
    "reliable change",
    "item 9",
    "difficulty",
]

#: Licensed totals and their single self-harm items in words, for :func:`other_measures_lines`.
_LICENSED = (
    ("HAM-D 17", "hamd17_total", "hamd17_3", "item 3"),
    ("BDI-II", "bdi2_total", "bdi2_9", "item 9"),
    ("EPDS", "epds_total", "epds_10", "item 10"),
)


def other_measures_lines(scores: pd.DataFrame) -> list[str]:
    """GAD-7, LSNS-6 (with its subscales) and the licensed totals, one line per session given.

    Examples
    --------
    >>> from ipt_network.io.inventory import Inventory
    >>> row = {"session": 1, "date": "2026-01-05", "lsns6_total": 16, "lsns6_family": 11,
    ...        "lsns6_friends": 5, "lsns6_isolated": False, "lsns6_family_low": False,
    ...        "lsns6_friends_low": True}
    >>> other_measures_lines(_typed_table([row]))
    ['Session 1: LSNS-6 16 (family 11, friends 5: friends below 6)']
    """
    lines = []
    for _, r in scores.iterrows():
        parts = []
        if not _missing(r["gad7_total"]):
            parts.append(f"GAD-7 {int(r['gad7_total'])} ({r['gad7_band']})")
        if not _missing(r["lsns6_total"]):
            low = [
                name
                for name, flag in (
                    ("family", r["lsns6_family_low"]),
                    ("friends", r["lsns6_friends_low"]),
                )
                if _truth(flag)
            ]
            detail = f"family {int(r['lsns6_family'])}, friends {int(r['lsns6_friends'])}"
            if low:
                detail += f": {' and '.join(low)} below {LSNS6_SUBSCALE_CUTOFF}"
            text = f"LSNS-6 {int(r['lsns6_total'])} ({detail})"
            if _truth(r["lsns6_isolated"]):
                text += f"; total below {LSNS6_ISOLATION_CUTOFF}: at risk of social isolation"
            parts.append(text)
        for name, total, item, label in _LICENSED:
            if not _missing(r[total]):
                parts.append(f"{name} {int(r[total])} ({r[_band_column(total)]})")
            if not _missing(r[item]):
                hi = ITEM_COLUMNS[item][1]
                parts.append(f"{name} {label}: {int(r[item])} of {hi}")
        if parts:
            lines.append(f"Session {int(r['session'])}: " + "; ".join(parts))
    return lines
