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
The row-level transform itself is :func:`deidentify` (documented with an
example in :mod:`ipt_network.io.deidentify`); the original is left as it was:

>>> from ipt_network import load_samples
>>> inv = load_samples().for_clients(["grief-01"])
>>> anon = deidentify(inv, {"grief-01": ("S-TEST", 400)})
>>> anon.clients["client_id"].tolist(), inv.clients["client_id"].tolist()
(['S-TEST'], ['grief-01'])
>>> inv.clients["onset_date"].iloc[0]
'2025-02-24'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from ipt_network import names
from ipt_network.clinical.model import CoursePlan, Phase
from ipt_network.errors import OutputExists
from ipt_network.io._cells import neutralise_frame
from ipt_network.io._files import private_output
from ipt_network.io.deidentify import KEPT, TOP_CODED, Treatment, deidentify, treatment
from ipt_network.io.inventory import Inventory

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
