"""Exports for network researchers: GraphML files and the tables of R's ``egor``.

Both formats hold each client's map at each session as an ego network: the
client is the ego, the people on the map are the alters, and the person ties
are the alter-alter ties. The graphs are the snapshot graphs of
:mod:`ipt_network.network.graph`, so every attribute they carry (GUIDE section
3: ring, closeness weight ``4 - ring``, conflict, support and the optional
relationship fields) is exported as it is; each session also carries its PHQ-9
total (prorated as every view prorates it; missing when 3 or more items are)
and the client's attributes of the ``clients`` table (focus, episode, age, ...;
not the label or the free text).

**GraphML** (:func:`write_graphml`): ``<folder>/<client>/session_<NN>.graphml``,
one file per client and session. The folder name is the client id
percent-encoded as in the dashboard's addresses (``/`` becomes ``%2F``, a
space ``%20``; a leading dot ``%2E``), so no id can leave ``folder``. The ego
node is :data:`~ipt_network.names.EGO`; a missing value is left out (GraphML
has no null); integers and booleans keep their types. Files read back with
``networkx.read_graphml`` and ``igraph.Graph.Read_GraphML``.

**egor** (:func:`write_egor`): three CSV files in ``folder``:

- ``egos.csv``: one row per client and session: ``.egoID``, ``wave`` (the
  session), ``client_id``, ``session``, ``date``, ``phq9_total``, then the
  client's columns of the ``clients`` table other than text (planned sessions,
  onset, focus, episode, age, contract date, maintenance), as in each GraphML
  file's graph data;
- ``alters.csv``: one row per person on a map: ``.altID`` (the person id),
  ``.egoID``, ``wave`` and the person's and relationship's attributes (the
  relationship's ``notes`` as ``relationship_notes``);
- ``aaties.csv``: one row per person tie: ``.egoID``, ``.srcID``, ``.tgtID``,
  ``wave``.

``.egoID`` is a whole number, one per client *and* session, so the tables
load whole or one wave at a time; a person keeps the same ``.altID`` in every
wave, and ``client_id`` links a client's waves. In R::

    library(egor)
    egos   <- read.csv("egos.csv")
    alters <- read.csv("alters.csv")
    aaties <- read.csv("aaties.csv")
    ids <- list(ego = ".egoID", alter = ".altID", source = ".srcID", target = ".tgtID")
    every_wave <- egor(alters, egos, aaties, ID.vars = ids)
    waves <- lapply(split(egos$.egoID, egos$wave), function(e)
      egor(alters[alters$.egoID %in% e, ], egos[egos$.egoID %in% e, ],
           aaties[aaties$.egoID %in% e, ], ID.vars = ids))

Every file is written privately (0600 files in 0700 folders, written whole;
:mod:`ipt_network.io._files`).

Examples
--------
>>> import tempfile
>>> import networkx as nx
>>> from ipt_network import load_samples
>>> inv = load_samples().for_clients(["grief-01"])
>>> with tempfile.TemporaryDirectory() as tmp:
...     files = write_graphml(inv, tmp)
...     G = nx.read_graphml(files[0])
...     tables = write_egor(inv, tmp)
>>> files[0].parent.name, files[0].name, G.graph["session"], G.nodes["ego"]["kind"]
('grief-01', 'session_01.graphml', 1, 'ego')
>>> [p.name for p in tables]
['egos.csv', 'alters.csv', 'aaties.csv']
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx
import pandas as pd

from ipt_network import names
from ipt_network.clinical.measures import phq9_scores
from ipt_network.errors import OutputExists
from ipt_network.io._cells import neutralise
from ipt_network.io._files import OVERWRITE_HINT, private_folder, private_output
from ipt_network.io.contract import TABLES
from ipt_network.io.inventory import Inventory
from ipt_network.network.graph import course

__all__ = ["write_graphml", "write_egor", "client_folder_name", "EGOR_FILES"]

#: The files :func:`write_egor` writes, in order.
EGOR_FILES = ("egos.csv", "alters.csv", "aaties.csv")
_PHQ9_TOTAL = "phq9_total"
_CLIENT_ID = "client_id"
_RELATIONSHIP_NOTES = "relationship_notes"


def client_folder_name(client_id: str) -> str:
    """A file name for a client id: percent-encoded, never ``.``, ``..`` or hidden.

    Examples
    --------
    >>> client_folder_name("grief-01"), client_folder_name("a/b c"), client_folder_name("..")
    ('grief-01', 'a%2Fb%20c', '%2E.')
    """
    safe = quote(client_id, safe="")
    return "%2E" + safe[1:] if safe.startswith(".") else safe


def _plain(value: Any) -> Any:
    """A table cell as a plain Python value (``None`` when missing), as GraphML and CSV take it."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def _client_columns() -> list[str]:
    """The columns of ``clients`` carried by every snapshot: all but the id and the text."""
    return [c.name for c in TABLES["clients"].columns if c.name != _CLIENT_ID and c.kind != "text"]


def _client_data(inventory: Inventory) -> dict[str, dict[str, Any]]:
    """Each client's row of ``clients`` as plain values: the numbers, dates and categories.

    The label and the free text of the contract and the ending (the clinician's
    narrative, not attributes of the network) stay in the tidy export.
    """
    columns = _client_columns()
    rows = inventory.clients.set_index(_CLIENT_ID)[columns].astype(object)
    return {
        str(cid): {c: _plain(v) for c, v in row.items()}
        for cid, row in zip(rows.index, rows.to_dict("records"), strict=True)
    }


def _snapshots(inventory: Inventory) -> Iterator[nx.Graph]:
    """Every client's snapshot graphs, with the session's PHQ-9 total and the client's
    attributes (``clients`` table: planned sessions, focus, episode, age, ...) as graph data."""

    client_data = _client_data(inventory)
    sessions = inventory.sessions
    totals = phq9_scores(sessions)[_PHQ9_TOTAL]
    keyed: dict[tuple[str, int], Any] = {
        (str(c), int(s)): t
        for c, s, t in zip(sessions["client_id"], sessions["session"], totals, strict=True)
    }
    for client_id in inventory.client_ids():
        for G in course(inventory, client_id):
            total = keyed[client_id, G.graph["session"]]
            G.graph[_PHQ9_TOTAL] = None if pd.isna(total) else int(total)
            G.graph.update(client_data[client_id])
            yield G


def _graphml_name(G: nx.Graph) -> str:
    """``<client folder>/session_<NN>.graphml`` for a snapshot."""
    return f"{client_folder_name(G.graph['client_id'])}/session_{G.graph['session']:02d}.graphml"


def _given(attrs: dict[str, Any]) -> dict[str, Any]:
    """The attributes that have a value (GraphML cannot hold a missing one)."""
    return {k: v for k, v in attrs.items() if v is not None}


def _refuse(targets: list[Path], overwrite: bool) -> None:
    there = [p for p in targets if p.exists()]
    if there and not overwrite:
        raise OutputExists(
            f"{there[0].parent} already holds {there[0].name} "
            f"({len(there)} file(s) in all); {OVERWRITE_HINT}"
        )


def write_graphml(
    inventory: Inventory, folder: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write one GraphML file per client and session, in a folder per client.

    Parameters
    ----------
    inventory : Inventory
        The tables to export.
    folder : path
        Target folder; created (0700) when missing.
    overwrite : bool
        Replace GraphML files already there (default: refuse).

    Returns
    -------
    list of Path
        The files written, by client then session.

    Raises
    ------
    OutputExists
        (a ``FileExistsError``) When a file to write exists and ``overwrite`` is false.
    """
    root = Path(folder)
    graphs = [(root / _graphml_name(G), G) for G in _snapshots(inventory)]
    _refuse([path for path, _ in graphs], overwrite)
    private_folder(root)
    for path, G in graphs:
        out = nx.Graph(**_given(G.graph))
        out.add_nodes_from((n, _given(d)) for n, d in G.nodes(data=True))
        out.add_edges_from((a, b, _given(d)) for a, b, d in G.edges(data=True))
        with private_output(path) as tmp:
            nx.write_graphml(out, tmp)
    return [path for path, _ in graphs]


def _egor_tables(inventory: Inventory) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ego_columns = [".egoID", "wave", "client_id", "session", "date", _PHQ9_TOTAL]
    ego_columns += _client_columns()
    egos: list[dict[str, Any]] = []
    alters: list[dict[str, Any]] = []
    ties: list[dict[str, Any]] = []
    for ego_id, G in enumerate(_snapshots(inventory), start=1):
        wave = G.graph["session"]
        ids = {".egoID": ego_id, "wave": wave}
        egos.append({**ids, **{k: G.graph[k] for k in ego_columns[2:]}})
        for _, pid, edge in G.edges(names.EGO, data=True):
            person = {k: v for k, v in G.nodes[pid].items() if k != names.KIND}
            state = {
                _RELATIONSHIP_NOTES if k in person else k: v
                for k, v in edge.items()
                if k != names.TIE
            }
            alters.append({".altID": pid, **ids, **person, **state})
        ties.extend(
            {".egoID": ego_id, ".srcID": a, ".tgtID": b, "wave": wave}
            for a, b in G.edges()
            if names.EGO not in (a, b)
        )
    alter_columns = [".altID", ".egoID", "wave"]
    tie_columns = [".egoID", ".srcID", ".tgtID", "wave"]
    return (
        pd.DataFrame(egos, columns=ego_columns, dtype=object),
        pd.DataFrame(alters, columns=list(alters[0]) if alters else alter_columns, dtype=object),
        pd.DataFrame(ties, columns=tie_columns, dtype=object),
    )


def _cell(value: Any) -> str:
    """A CSV cell: empty when missing, ``true``/``false`` for booleans (as the tidy files).

    Text a spreadsheet could run is neutralised (:func:`~ipt_network.io._cells.neutralise`).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value) if isinstance(value, str) else str(value)


def write_egor(
    inventory: Inventory, folder: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write the egos, alters and alter-alter ties tables that R's ``egor()`` takes.

    Parameters
    ----------
    inventory, folder, overwrite
        As for :func:`write_graphml` (``overwrite`` replaces the three files).

    Returns
    -------
    list of Path
        ``egos.csv``, ``alters.csv`` and ``aaties.csv`` in ``folder``.

    Raises
    ------
    OutputExists
        As :func:`write_graphml` does.
    """
    root = Path(folder)
    targets = [root / name for name in EGOR_FILES]
    _refuse(targets, overwrite)
    for target, frame in zip(targets, _egor_tables(inventory), strict=True):
        with private_output(target) as tmp:
            frame.map(_cell).to_csv(tmp, index=False, lineterminator="\n")
    return targets
