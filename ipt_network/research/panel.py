"""The session panel: one row per client and session, ready for a longitudinal model.

:func:`session_panel` joins each session's PHQ-9 total to the network measures
of the map at that session, and to the client's problem area and episode. It
is the input of :mod:`ipt_network.research.models` and of any cohort view
that plots symptoms against the network.

The network measures are the client's means over the people on the map,
from :func:`ipt_network.network.metrics.cohort_metrics`:

=============  ======================================================
column         definition
=============  ======================================================
``support``    ``support_sum / n_people``: mean support, 0 to 4
``closeness``  ``closeness_sum / n_people``: mean closeness weight,
               1 (all outer ring) to 3 (all inner ring)
``conflict``   ``conflict_sum / n_people``: mean conflict, 0 to 4
``size``       ``n_people``: how many people are on the map
=============  ======================================================

Means rather than sums, so that support and closeness say how supportive and
how close the network is, apart from how large it is (``size`` says that):
a sum would mostly repeat ``size``. The three means are missing (NaN) at a
session with nobody on the map.

Examples
--------
>>> from ipt_network.io.synth import synthesize
>>> panel = session_panel(synthesize(2, seed=1))
>>> list(panel.columns)
['client_id', 'session', 'focus', 'episode', 'phq9', 'support', 'closeness', 'conflict', 'size']
>>> bool(panel["support"].between(0, 4).all())
True
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ipt_network.clinical.measures import phq9_scores
from ipt_network.io.inventory import Inventory
from ipt_network.network.metrics import cohort_metrics

__all__ = ["PANEL_COLUMNS", "MEASURES", "session_panel", "area_clients", "per_person"]

#: The time-varying network measures of the panel, in order.
MEASURES: Final = ("support", "closeness", "conflict", "size")
#: Every column of :func:`session_panel`, in order.
PANEL_COLUMNS: Final = ("client_id", "session", "focus", "episode", "phq9", *MEASURES)


def per_person(n_people: npt.ArrayLike, total: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """A map's mean over the people on it: ``total / n_people``, NaN for an empty map.

    The one definition of the panel's ``support``, ``closeness`` and
    ``conflict`` (from the metric table's ``*_sum`` columns), shared by the
    cohort page (:mod:`ipt_network.research.cohort`).

    Examples
    --------
    >>> per_person([2, 0], [7, 0]).tolist()
    [3.5, nan]
    """
    n = np.asarray(n_people, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.asarray(total, dtype=np.float64) / n, np.nan)


def session_panel(inventory: Inventory) -> pd.DataFrame:
    """One row per client and session: PHQ-9 total and the network measures.

    Parameters
    ----------
    inventory : Inventory
        The tidy tables of a cohort (``clients``, ``sessions``,
        ``relationships`` and ``person_ties`` are read).

    Returns
    -------
    DataFrame
        Columns :data:`PANEL_COLUMNS`, one row per row of ``sessions``,
        sorted by client id and session:

        - ``focus``: the client's problem area as stored (``string``), for
          example ``"grief"`` or, for a client with two areas,
          ``"grief;role_dispute"``; missing when none was chosen.
          :func:`area_clients` selects the clients of one area, so a client
          with two areas is counted in each of them.
        - ``episode``: single, recurrent or chronic (``string``; may be missing).
        - ``phq9``: the PHQ-9 total scored as every view scores it
          (:func:`ipt_network.clinical.measures.phq9_scores`: prorated when 1
          or 2 items are missing), ``Int64``, missing when 3 or more items are
          missing or no PHQ-9 was given.
        - ``support``, ``closeness``, ``conflict`` (``float64``, NaN when
          nobody is on the map) and ``size`` (``int64``), as the module says.

    Examples
    --------
    >>> from ipt_network.io.synth import synthesize
    >>> inv = synthesize(1, seed=2)
    >>> panel = session_panel(inv)
    >>> len(panel) == len(inv.sessions)
    True
    >>> first = inv.relationships.query("session == 1")
    >>> float(panel["support"].iloc[0]) == float(first["support"].mean())
    True
    """
    sessions = inventory.sessions
    keys = sessions[["client_id", "session"]].reset_index(drop=True)
    scored = keys.assign(phq9=phq9_scores(sessions)["phq9_total"].astype("Int64").array)
    metrics = cohort_metrics(inventory.relationships, inventory.person_ties, sessions=sessions)
    means = {
        measure: per_person(metrics["n_people"], metrics[f"{measure}_sum"])
        for measure in ("support", "closeness", "conflict")
    }
    network = metrics[["client_id", "session"]].assign(**means, size=metrics["n_people"])
    clients = inventory.clients[["client_id", "focus", "episode"]]
    panel = scored.merge(network, on=["client_id", "session"], how="left").merge(
        clients, on="client_id", how="left"
    )
    panel = panel.astype(
        {"client_id": "string", "focus": "string", "episode": "string", "phq9": "Int64"}
    )
    panel["session"] = panel["session"].astype(np.int64)
    panel["size"] = panel["size"].fillna(0).astype(np.int64)
    panel = panel.sort_values(["client_id", "session"], ignore_index=True)
    return panel[list(PANEL_COLUMNS)]


def area_clients(panel: pd.DataFrame, area: str) -> pd.Series:
    """Which rows of a panel belong to a client whose focus includes ``area``.

    A client with two areas (``"grief;role_dispute"``) belongs to both.

    Examples
    --------
    >>> panel = pd.DataFrame({"focus": pd.array(["grief", "grief;role_dispute", None],
    ...     dtype="string")})
    >>> area_clients(panel, "role_dispute").tolist()
    [False, True, False]
    """
    parts = panel["focus"].fillna("").str.split(";")
    return parts.map(lambda areas: area in [a.strip() for a in areas]).astype(bool)
