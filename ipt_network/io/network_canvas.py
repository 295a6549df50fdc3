"""Reading Network Canvas exports: one interview is one session of one client.

Network Canvas (Interviewer, Fresco) exports each interview as CSV files or as
one GraphML file. :func:`read_network_canvas` reads any number of them, turns
them into the tidy tables with the help of a mapping file (:class:`NCMapping`,
TOML) and checks the result with the very validation ``import`` uses
(:func:`ipt_network.io.validation.check`). Every problem is reported at the
file, line and column of the export it comes from; nothing is returned when
any problem exists.

What is read
------------
CSV exports
    ``<case>_<session>_ego.csv``, ``<case>_<session>_attributeList_<NodeType>.csv``
    and ``<case>_<session>_edgeList_<EdgeType>.csv``; files of one interview share
    the ``<case>_<session>`` prefix. The current column names
    (``networkCanvasEgoUUID``, ``networkCanvasUUID``, ``networkCanvasSourceUUID``,
    ``networkCanvasTargetUUID``) and the pre-2020 ones (``networkCanvasEgoID``,
    ``networkCanvasAlterID``, ``networkCanvasNodeType``, the edge type in a
    ``networkCanvasEdgeType`` column and ``from``/``to`` holding alter ids) are
    both understood. Line endings may be CRLF; any column name, ``null``
    included, is only a name.
GraphML exports
    One file per interview. Ego variables are graph data, the case id and the
    session's start are attributes of ``<graph>`` in the namespace
    :data:`NC_NAMESPACE`, node and edge types are the ``networkCanvasType``
    data, and edges of different types between the same two people are
    parallel edges (read as a ``networkx.MultiGraph``).

Categorical variables
    Network Canvas writes a categorical variable ``Var`` as one true/false
    column per option, ``Var_Option``. The mapping names ``Var``; the reader
    finds the option columns and takes the one option marked true (none: the
    cell is empty; more than one: a problem).

The ring from a sociogram
    Network Canvas stores where an alter was placed as ``<var>_x``, ``<var>_y``
    (GraphML: ``<var>_X``, ``<var>_Y``), each from 0 to 1, the centre of the
    sociogram at (0.5, 0.5). With ``n`` concentric circles of equal width, the
    outer edge at radius 0.5, circle ``k`` (1 innermost) holds the distances
    ``(k - 1) * 0.5 / n <= d < k * 0.5 / n``; a point on a boundary belongs to
    the outer circle, and a point beyond 0.5 (a corner) to circle ``n``
    (:func:`circle_of_position`). Circles become the contract's three rings
    proportionally: circle ``k`` of ``n`` goes to the ring whose third of the
    radius holds the circle's middle, ``floor(3 * (k - 0.5) / n) + 1``, so three
    circles are rings 1, 2, 3 and four are 1, 2, 2, 3 (:func:`ring_of_circle`);
    the mapping may give its own list instead.

Examples
--------
>>> circle_of_position(0.5, 0.5, 3), circle_of_position(0.5, 0.9, 3)
(1, 3)
>>> [ring_of_circle(k, 4) for k in (1, 2, 3, 4)]
[1, 2, 2, 3]
"""

from __future__ import annotations

import csv
import math
import os
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ipt_network import names
from ipt_network.errors import BadArgument, Failure, InputMissing, ValidationError
from ipt_network.io.contract import TABLES
from ipt_network.io.inventory import Inventory, cell_text
from ipt_network.io.validation import check

__all__ = [
    "NC_NAMESPACE",
    "FieldMap",
    "RingMap",
    "NCMapping",
    "NCImport",
    "load_mapping",
    "parse_mapping",
    "check_network_canvas",
    "read_network_canvas",
    "export_files",
    "example_mapping",
    "replacements",
    "EXAMPLES",
    "circle_of_position",
    "ring_of_circle",
]

#: The XML namespace of Network Canvas's own GraphML attributes.
NC_NAMESPACE = "http://schema.networkcanvas.com/xmlns"
_GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
#: ``<case>_<session>_<kind>[_<type>]``; the last ``_ego``/``_attributeList``/``_edgeList`` counts.
_FILE_NAME = re.compile(r"^(?P<prefix>.+)_(?P<kind>ego|attributeList|edgeList)(?:_(?P<type>.+))?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ].*)?$")
#: The example mapping and the fixture exports it maps, installed with the package.
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "network-canvas"
#: Above this many export files a progress bar is shown (when not told either way).
_MANY_FILES = 50

# Column names of the exporters, current first.
_EGO_ID = ("networkCanvasEgoUUID", "networkCanvasEgoID")
_ALTER_ID = ("networkCanvasUUID", "networkCanvasAlterID")
_NODE_TYPE = ("networkCanvasNodeType", "networkCanvasType", "type")
_EDGE_TYPE = ("networkCanvasEdgeType", "networkCanvasType", "type")
_SOURCE = ("networkCanvasSourceUUID", "networkCanvasSource", "from")
_TARGET = ("networkCanvasTargetUUID", "networkCanvasTarget", "to")
_CASE = "networkCanvasCaseID"
_SESSION_ID = ("networkCanvasSessionID", *_EGO_ID)
_START = ("sessionStart", "sessionFinish")
_GRAPH_START = ("sessionStartTime", "sessionFinishTime", "sessionExportTime")


# ---------------------------------------------------------------------- the mapping
Value = str | int


@dataclass(frozen=True)
class FieldMap:
    """Where one value of an alter comes from.

    Parameters
    ----------
    variable : str or None
        The alter variable (a column of the attribute list); for a categorical
        variable exported as ``Var_Option`` columns, ``Var``.
    values : mapping or None
        The protocol's values (as exported, text) to ours; without it the
        value is taken as it is.
    value : str, int or None
        A constant for every alter, when the protocol does not ask (instead of
        ``variable``).
    missing : str, int or None
        The value for an empty cell; without it an empty cell is a problem.
    """

    variable: str | None = None
    values: Mapping[str, Value] | None = None
    value: Value | None = None
    missing: Value | None = None


@dataclass(frozen=True)
class RingMap:
    """How the ring (1 inner to 3 outer) is found.

    Either a categorical ``variable`` with ``values`` mapping each option to a
    ring, or a sociogram ``layout`` variable with the protocol's number of
    concentric ``circles`` (and optionally ``rings``, the ring of each
    circle from the innermost; default :func:`ring_of_circle`).
    """

    variable: str | None = None
    values: Mapping[str, Value] | None = None
    layout: str | None = None
    circles: int | None = None
    rings: tuple[int, ...] | None = None


@dataclass(frozen=True)
class NCMapping:
    """What a protocol's variables mean in the tidy contract; see ``mapping.example.toml``.

    Parameters
    ----------
    node_type : str
        The node type that holds the people.
    client_variable : str or None
        The ego variable holding the client id; ``None``: the case id is the
        client id (``[client] from = "case"``).
    session_number : str or None
        The ego variable holding the session number; ``None``: each client's
        interviews are numbered 1, 2, ... in date order.
    session_date : str or None
        The ego variable holding the interview date; ``None``: the export's
        session start (else finish) time.
    match_variable : str or None
        The alter variable that names the same person in every interview;
        ``None``: a person is matched by name and role (case and surrounding
        spaces aside).
    name, role, conflict, support : FieldMap
        The alter's values.
    ring : RingMap
        How the ring is found.
    knows : str or None
        The edge type meaning "these two know each other"; ``None``: no ties.
    """

    node_type: str
    client_variable: str | None
    session_number: str | None
    session_date: str | None
    match_variable: str | None
    name: FieldMap
    role: FieldMap
    conflict: FieldMap
    support: FieldMap
    ring: RingMap
    knows: str | None = None


def _section(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise BadArgument(f"mapping key {where}{key} is required and must be a table [{key}]")
    return value


def _keys(
    data: Mapping[str, Any], where: str, allowed: Sequence[str], required: Sequence[str] = ()
) -> None:
    """Refuse unknown keys and missing required ones, naming the key."""
    for key in data:
        if key not in allowed:
            raise BadArgument(
                f"mapping key {where}{key} is unknown; known keys here: {', '.join(allowed)}"
            )
    for key in required:
        if key not in data:
            raise BadArgument(f"mapping key {where}{key} is required")


def _text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadArgument(f"mapping key {where}{key} must be a non-empty string")
    return value


def _scalar(value: Any, key: str) -> Value:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadArgument(f"mapping key {key} must be a string or a whole number")
    return value


def _allowed(value: Value, choices: Sequence[Value], key: str) -> Value:
    text = str(value)
    if text not in {str(c) for c in choices}:
        shown = ", ".join(str(c) for c in choices)
        raise BadArgument(f"mapping key {key} must be one of {shown}, not {value!r}")
    return int(text) if isinstance(choices[0], int) else text


def _field(data: Mapping[str, Any], key: str, choices: Sequence[Value] | None) -> FieldMap:
    spec = _section(data, key, "")
    where = f"{key}."
    _keys(spec, where, ("variable", "values", "value", "missing"))
    variable = _text(spec, "variable", where)
    if (variable is None) == ("value" not in spec):
        raise BadArgument(f"mapping key {where}variable or {where}value is required (one of them)")
    values = spec.get("values")
    if values is not None and not isinstance(values, dict):
        raise BadArgument(f"mapping key {where}values must be a table of protocol value = ours")

    def ours(value: Any, name: str) -> Value:
        value = _scalar(value, name)
        return value if choices is None else _allowed(value, choices, name)

    return FieldMap(
        variable=variable,
        values=None
        if values is None
        else {str(k): ours(v, f"{where}values.{k}") for k, v in values.items()},
        value=None if "value" not in spec else ours(spec["value"], f"{where}value"),
        missing=None if "missing" not in spec else ours(spec["missing"], f"{where}missing"),
    )


def _ring(data: Mapping[str, Any]) -> RingMap:
    spec = _section(data, "ring", "")
    _keys(spec, "ring.", ("variable", "values", "layout", "circles", "rings"))
    variable, layout = _text(spec, "variable", "ring."), _text(spec, "layout", "ring.")
    if (variable is None) == (layout is None):
        raise BadArgument("mapping key ring.variable or ring.layout is required (one of them)")
    if variable is not None:
        _keys(spec, "ring.", ("variable", "values"), ("values",))
        values = _field(data, "ring", (1, 2, 3)).values
        return RingMap(variable=variable, values=values)
    _keys(spec, "ring.", ("layout", "circles", "rings"), ("circles",))
    circles = spec["circles"]
    if isinstance(circles, bool) or not isinstance(circles, int) or not 1 <= circles <= 12:
        raise BadArgument("mapping key ring.circles must be a whole number from 1 to 12")
    rings = spec.get("rings")
    if rings is not None:
        if not isinstance(rings, list) or len(rings) != circles:
            raise BadArgument(f"mapping key ring.rings must list {circles} rings, one per circle")
        rings = tuple(int(_allowed(r, (1, 2, 3), "ring.rings")) for r in rings)
    return RingMap(layout=layout, circles=circles, rings=rings)


def parse_mapping(data: Mapping[str, Any]) -> NCMapping:
    """Build a :class:`NCMapping` from parsed TOML.

    Raises
    ------
    BadArgument
        Naming the key, for an unknown key, a missing required key or a value
        of the wrong kind.

    Examples
    --------
    >>> m = parse_mapping({"node_type": "Person", "client": {"from": "case"},
    ...     "match": {"by": "name_role"}, "name": {"variable": "name"},
    ...     "role": {"value": "friend"}, "conflict": {"value": 0},
    ...     "support": {"variable": "Support"},
    ...     "ring": {"layout": "Circle", "circles": 3}})
    >>> m.client_variable is None, m.ring.circles, m.knows
    (True, 3, None)
    >>> try:
    ...     parse_mapping({"node_type": "Person", "colour": "red"})
    ... except BadArgument as exc:
    ...     print(str(exc)[:34])
    mapping key colour is unknown; kno
    """
    top = ("node_type", "client", "session", "match", "name", "role", "conflict", "support")
    _keys(data, "", (*top, "ring", "ties"), ("node_type", "client", "match", "name", "role"))
    node_type = _text(data, "node_type", "")
    client = _section(data, "client", "")
    _keys(client, "client.", ("variable", "from"))
    source = client.get("from", "variable")
    if source not in ("variable", "case"):
        raise BadArgument('mapping key client.from must be "variable" or "case"')
    client_variable = _text(client, "variable", "client.")
    if source == "variable" and client_variable is None:
        raise BadArgument('mapping key client.variable is required (or client.from = "case")')
    session = data.get("session", {})
    if not isinstance(session, dict):
        raise BadArgument("mapping key session must be a table [session]")
    _keys(session, "session.", ("number", "date"))
    match = _section(data, "match", "")
    _keys(match, "match.", ("by", "variable"), ("by",))
    if match["by"] not in ("variable", "name_role"):
        raise BadArgument('mapping key match.by must be "variable" or "name_role"')
    match_variable = _text(match, "variable", "match.")
    if match["by"] == "variable" and match_variable is None:
        raise BadArgument('mapping key match.variable is required with match.by = "variable"')
    ties = data.get("ties", {})
    if not isinstance(ties, dict):
        raise BadArgument("mapping key ties must be a table [ties]")
    _keys(ties, "ties.", ("knows",))
    scale = tuple(range(5))
    return NCMapping(
        node_type=str(node_type),
        client_variable=client_variable if source == "variable" else None,
        session_number=_text(session, "number", "session."),
        session_date=_text(session, "date", "session."),
        match_variable=match_variable if match["by"] == "variable" else None,
        name=_field(data, "name", None),
        role=_field(data, "role", names.ROLES),
        conflict=_field(data, "conflict", scale),
        support=_field(data, "support", scale),
        ring=_ring(data),
        knows=_text(ties, "knows", "ties."),
    )


def example_mapping() -> str:
    """The text of the example mapping (``ipt-network import-nc --example-mapping``).

    Examples
    --------
    >>> text = example_mapping()
    >>> 'node_type = "Person"' in text and parse_mapping(tomllib.loads(text)).knows
    'Knows'
    """
    return (EXAMPLES / "mapping.example.toml").read_text(encoding="utf-8")


def load_mapping(path: str | os.PathLike[str]) -> NCMapping:
    """Read a mapping file (TOML); see :func:`example_mapping`.

    Raises
    ------
    InputMissing
        When the file is not there.
    BadArgument
        When it is not TOML, or a key is unknown, missing or of the wrong kind.
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputMissing(f"{file}: mapping file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadArgument(f"{file} is not valid TOML: {exc}") from exc
    return parse_mapping(data)


# ---------------------------------------------------------------------- geometry
def circle_of_position(x: float, y: float, circles: int) -> int:
    """The concentric circle (1 innermost) a sociogram position falls in.

    Parameters
    ----------
    x, y : float
        The position, each from 0 to 1; the centre is (0.5, 0.5).
    circles : int
        The protocol's number of concentric circles, of equal width, the outer
        edge at radius 0.5.

    Examples
    --------
    >>> [circle_of_position(0.5, 0.5 + r, 4) for r in (0.0, 0.124, 0.125, 0.3, 0.49)]
    [1, 1, 2, 3, 4]
    >>> circle_of_position(0.0, 0.0, 3)  # a corner, beyond the outer circle
    3
    """
    widths = math.hypot(x - 0.5, y - 0.5) / (0.5 / circles)
    # rounded so that a point written on a boundary is not lost to floating point
    return min(circles, math.floor(round(widths, 9)) + 1)


def ring_of_circle(circle: int, circles: int) -> int:
    """The contract's ring (1 to 3) of circle ``circle`` of ``circles``.

    The ring whose third of the radius holds the middle of the circle.

    Examples
    --------
    >>> [ring_of_circle(k, 3) for k in (1, 2, 3)]
    [1, 2, 3]
    >>> [ring_of_circle(k, 5) for k in range(1, 6)], ring_of_circle(1, 1)
    ([1, 1, 2, 3, 3], 2)
    """
    return math.floor(3 * (circle - 0.5) / circles) + 1


# ---------------------------------------------------------------------- reading exports
@dataclass
class _Record:
    """One ego, alter or edge as read: its cells (as text) and where it stands."""

    cells: dict[str, str]
    file: str
    line: int | None

    def get(self, *columns: str) -> str | None:
        """The first of ``columns`` present and filled, stripped."""
        for column in columns:
            value = cell_text(self.cells.get(column))
            if value is not None:
                return value
        return None

    def column(self, *columns: str) -> str | None:
        """The first of ``columns`` the record has."""
        return next((c for c in columns if c in self.cells), None)


@dataclass
class _Interview:
    """One exported interview."""

    key: str
    case: str | None = None
    ego: _Record | None = None
    alters: list[_Record] = field(default_factory=list)
    edges: list[tuple[str | None, _Record]] = field(default_factory=list)
    start: str | None = None
    session_id: str | None = None


def export_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The export files (``.csv``, ``.graphml``) named or inside the folders named, sorted.

    Raises
    ------
    InputMissing
        When a path is not there.
    """
    return sorted(_export_labels(paths))


def _export_labels(paths: Iterable[str | os.PathLike[str]]) -> dict[Path, str]:
    """Each export file and how problems name it.

    A file is named by its base name; when two files share one, by its path
    relative to the path given (a folder), and when that is shared too, in
    full.

    Raises
    ------
    InputMissing
        When a path is not there.
    """
    relative: dict[Path, str] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.suffix.lower() in (".csv", ".graphml"):
                    relative.setdefault(p, p.relative_to(path).as_posix())
        elif path.is_file():
            relative.setdefault(path, path.name)
        else:
            raise InputMissing(f"{path}: no such file or folder")
    bases = defaultdict(list)
    for p, rel in relative.items():
        bases[p.name].append(rel)
    return {
        p: p.name if len(bases[p.name]) == 1 else (rel if bases[p.name].count(rel) == 1 else str(p))
        for p, rel in relative.items()
    }


def _file_kind(stem: str) -> tuple[str, str, str | None] | None:
    """The interview prefix, the kind and the type in an export file's name (no suffix).

    Examples
    --------
    >>> _file_kind("my_ego_study_s1_ego"), _file_kind("c_s1_edgeList_Close_Friend")
    (('my_ego_study_s1', 'ego', None), ('c_s1', 'edgeList', 'Close_Friend'))
    >>> _file_kind("c_s1_attributeList"), _file_kind("notes")
    (('c_s1', 'attributeList', None), None)
    """
    match = _FILE_NAME.match(stem)
    return None if match is None else (match["prefix"], match["kind"], match["type"])


def _case_of(prefix: str) -> str:
    """The case id in a ``<case>_<session>`` file-name prefix.

    The session part is what follows the last ``_``; when the case part holds a
    ``_`` too and the session part is not a UUID the split is unknowable, and the
    whole prefix is the case id (the ego file's ``networkCanvasCaseID`` is used
    first anyway).

    Examples
    --------
    >>> _case_of("case_1_54ba71fa-808e-4ed5-a65a-b7a06668164f"), _case_of("nc-01_s2")
    ('case_1', 'nc-01')
    """
    case, _, session = prefix.rpartition("_")
    return case if case and (_UUID.match(session) or "_" not in case) else prefix


def _read_csv(path: Path, label: str, failures: list[Failure]) -> list[_Record]:
    """The rows of one CSV export as records, each with the physical line it starts on."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None:
                failures.append(Failure(label, None, None, "is empty: it needs a header row"))
                return []
            records, start = [], reader.line_num + 1
            for row in reader:
                if row:
                    if len(row) != len(header):
                        failures.append(
                            Failure(
                                label,
                                start,
                                None,
                                f"has {len(row)} fields, the header has {len(header)}",
                            )
                        )
                    else:
                        records.append(_Record(dict(zip(header, row, strict=True)), label, start))
                start = reader.line_num + 1
            return records
    except UnicodeDecodeError:
        failures.append(Failure(label, None, None, "is not UTF-8 text"))
    except csv.Error as exc:
        failures.append(Failure(label, None, None, f"cannot be read as CSV ({exc})"))
    return []


def _graphml_text(value: object) -> str:
    """A GraphML datum as the CSV exporter would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _graphml_lines(text: str) -> dict[tuple[str, str | None], int]:
    r"""The line of each ``<graph>``, ``<node id=...>`` and ``<edge id=...>`` of a GraphML text.

    Examples
    --------
    >>> _graphml_lines('<graphml>\n<graph\n>\n<node id="1">\n</node>\n<edge id="e1" source="1">')
    {('graph', None): 2, ('node', '1'): 4, ('edge', 'e1'): 6}
    """
    lines: dict[tuple[str, str | None], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = re.search(r"<(node|edge|graph)\b(?:[^>]*?\bid=\"([^\"]*)\")?", line)
        if found:
            lines.setdefault((found[1], found[2]), number)
    return lines


def _graphml_declared(root: ET.Element) -> dict[str, dict[str, str]]:
    """Every declared attribute of graph, nodes and edges, empty: GraphML leaves empty data out."""
    declared: dict[str, dict[str, str]] = {"graph": {}, "node": {}, "edge": {}}
    for key in root.iter(f"{{{_GRAPHML_NAMESPACE}}}key"):
        for kind in declared if key.get("for") == "all" else [key.get("for", "")]:
            declared.get(kind, {})[key.get("attr.name", "")] = ""
    return declared


@dataclass
class _Exports:
    """The interviews read so far, keyed by file-name prefix (CSV) or file (GraphML)."""

    mapping: NCMapping
    failures: list[Failure]
    interviews: dict[str, _Interview] = field(default_factory=dict)
    node_types: set[str] = field(default_factory=set)
    edge_types: set[str] = field(default_factory=set)

    def interview(self, key: str) -> _Interview:
        if key not in self.interviews:
            self.interviews[key] = _Interview(key)
        return self.interviews[key]

    def add_csv(self, path: Path, label: str) -> None:
        parts = _file_kind(path.stem)
        if parts is None:
            self.failures.append(
                Failure(
                    label,
                    None,
                    None,
                    "is not a Network Canvas export: the name must end in _ego.csv, "
                    "_attributeList_<NodeType>.csv or _edgeList_<EdgeType>.csv",
                )
            )
            return
        prefix, kind, typ = parts
        interview = self.interview(str(path.parent / prefix))
        rows = _read_csv(path, label, self.failures)
        if kind == "ego":
            if len(rows) != 1:
                self.failures.append(Failure(label, None, None, f"holds {len(rows)} egos, not 1"))
                return
            interview.ego = rows[0]
            interview.case = rows[0].get(_CASE) or _case_of(prefix)
            interview.start = rows[0].get(*_START)
            interview.session_id = rows[0].get(*_SESSION_ID)
        elif kind == "attributeList":
            for row in rows:
                self.alter(interview, typ or row.get(*_NODE_TYPE), row)
        else:
            for row in rows:
                self.edge(interview, typ or row.get(*_EDGE_TYPE), row)

    def alter(self, interview: _Interview, node_type: str | None, record: _Record) -> None:
        """Keep a node of the mapping's node type; note every type seen."""
        if node_type is not None:
            self.node_types.add(node_type)
        if node_type == self.mapping.node_type:
            interview.alters.append(record)

    def edge(self, interview: _Interview, edge_type: str | None, record: _Record) -> None:
        """Keep an edge; note every type seen."""
        if edge_type is not None:
            self.edge_types.add(edge_type)
        interview.edges.append((edge_type, record))

    def add_graphml(self, path: Path, label: str) -> None:
        import networkx as nx

        try:
            text = path.read_text(encoding="utf-8")
            root = ET.fromstring(text)  # noqa: S314 - a local file the user chose
            graph = nx.read_graphml(path, force_multigraph=True)
        except (ET.ParseError, nx.NetworkXError, UnicodeDecodeError, ValueError) as exc:
            self.failures.append(Failure(label, None, None, f"cannot be read as GraphML ({exc})"))
            return
        lines, declared = _graphml_lines(text), _graphml_declared(root)
        element = root.find(f"{{{_GRAPHML_NAMESPACE}}}graph")
        attributes = {} if element is None else element.attrib
        prefix = f"{{{NC_NAMESPACE}}}"
        nc = {k.removeprefix(prefix): v for k, v in attributes.items() if k.startswith(prefix)}
        interview = self.interview(str(path))
        ego = {k: _graphml_text(v) for k, v in graph.graph.items() if not k.endswith("_default")}
        interview.ego = _Record(declared["graph"] | ego, label, lines.get(("graph", None)))
        interview.case = nc.get("caseId") or _case_of(path.stem)
        interview.start = next((nc[k] for k in _GRAPH_START if nc.get(k)), None)
        interview.session_id = nc.get("sessionUUID") or interview.ego.get(*_SESSION_ID)
        uuid = {}
        for node, data in graph.nodes(data=True):
            cells = declared["node"] | {k: _graphml_text(v) for k, v in data.items()}
            uuid[node] = cells.get("networkCanvasUUID") or str(node)
            record = _Record(cells, label, lines.get(("node", str(node))))
            self.alter(interview, record.get(*_NODE_TYPE), record)
        for source, target, key, data in graph.edges(keys=True, data=True):
            cells = declared["edge"] | {k: _graphml_text(v) for k, v in data.items()}
            cells["networkCanvasSourceUUID"] = cells.get("networkCanvasSourceUUID") or uuid[source]
            cells["networkCanvasTargetUUID"] = cells.get("networkCanvasTargetUUID") or uuid[target]
            record = _Record(cells, label, lines.get(("edge", str(key))))
            self.edge(interview, record.get(*_EDGE_TYPE), record)

    def unknown_types(self) -> list[Failure]:
        """The mapping's node type and edge type, when no export has them."""
        failures = []
        for key, wanted, present, what, kind in (
            ("node_type", self.mapping.node_type, self.node_types, "attribute list", "node"),
            ("ties.knows", self.mapping.knows, self.edge_types, "edge list", "edge"),
        ):
            if wanted is not None and present and wanted not in present:
                failures.append(
                    Failure(
                        f"mapping key {key}",
                        None,
                        None,
                        f"no {what} of {kind} type {wanted} was found; {kind} types present: "
                        f"{', '.join(sorted(present))}",
                    )
                )
        return failures

    def distinct(self) -> list[_Interview]:
        """The interviews read, each once: a copy of one already read is a problem."""
        first: dict[str, _Interview] = {}
        kept = []
        for interview in self.interviews.values():
            if interview.ego is None:
                continue
            earlier = first.setdefault(interview.session_id or interview.key, interview)
            if earlier is interview:
                kept.append(interview)
                continue
            assert earlier.ego is not None
            self.failures.append(
                Failure(
                    f"interview {interview.session_id} appears twice",
                    None,
                    None,
                    f"{earlier.ego.file} and {interview.ego.file}",
                )
            )
        return kept


def _check_ego_ids(interview: _Interview, failures: list[Failure]) -> None:
    """Alters and edges whose ego id is not the ego file's: files of another interview."""
    ego = interview.ego.get(*_EGO_ID) if interview.ego else None
    if ego is None:
        return
    for record in [*interview.alters, *(edge for _, edge in interview.edges)]:
        theirs = record.get(*_EGO_ID)
        if theirs is not None and theirs != ego:
            failures.append(
                Failure(
                    record.file,
                    record.line,
                    record.column(*_EGO_ID),
                    "is not the ego id of this interview's ego file",
                )
            )


def _read_exports(
    files: Mapping[Path, str], mapping: NCMapping, failures: list[Failure], progress: bool
) -> list[_Interview]:
    """The interviews of the export files (each with its label), each once.

    When the mapping's node type or edge type is in no file, that alone is
    the problem (every alter or tie would be refused) and nothing is returned.
    """
    from tqdm import tqdm

    exports = _Exports(mapping, failures)
    for path in tqdm(
        sorted(files), desc="reading", unit="file", disable=not progress, file=sys.stderr
    ):
        if path.suffix.lower() == ".graphml":
            exports.add_graphml(path, files[path])
        else:
            exports.add_csv(path, files[path])
    unknown = exports.unknown_types()
    if unknown:
        failures.extend(unknown)
        return []
    for interview in exports.interviews.values():
        _check_ego_ids(interview, failures)
        if interview.ego is None:
            failures.append(
                Failure(
                    Path(interview.key).name + "_ego.csv",
                    None,
                    None,
                    "is missing: every interview needs its ego file",
                )
            )
    return exports.distinct()


# ---------------------------------------------------------------------- values
class _Cells:
    """Failures of one import, and values read from records with their problems named."""

    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures

    def fail(self, record: _Record, column: str | None, message: str) -> None:
        self.failures.append(Failure(record.file, record.line, column, message))

    def raw(self, record: _Record, variable: str) -> tuple[str | None, str] | None:
        """The text of a variable, categorical option columns understood, and its column.

        ``None`` when the variable cannot be read (the problem is recorded).
        """
        if variable in record.cells:
            return cell_text(record.cells[variable]), variable
        options = [c for c in record.cells if c.startswith(f"{variable}_")]
        if not options:
            message = "column is missing (the mapping names this variable)"
            self.failures.append(Failure(record.file, None, variable, message))
            return None
        chosen = [c for c in options if (cell_text(record.cells[c]) or "").lower() == "true"]
        if len(chosen) > 1:
            self.fail(record, variable, f"{len(chosen)} options are marked true; one is needed")
            return None
        if not chosen:
            return None, variable
        return chosen[0][len(variable) + 1 :], chosen[0]

    def value(self, record: _Record, spec: FieldMap, label: str) -> tuple[str, str]:
        """One mapped value as text (empty when it could not be read), and its column."""
        if spec.variable is None:
            return str(spec.value), label
        read = self.raw(record, spec.variable)
        if read is None:
            return "", spec.variable
        raw, column = read
        if raw is None:
            if spec.missing is None:
                self.fail(record, column, f"is empty; give [{label}] missing = ... to allow that")
                return "", column
            return str(spec.missing), column
        if spec.values is None:
            return raw, column
        if raw not in spec.values:
            known = ", ".join(sorted(spec.values))
            self.fail(record, column, f"value is not in the mapping's [{label}] values ({known})")
            return "", column
        return str(spec.values[raw]), column

    def ring(self, record: _Record, spec: RingMap) -> tuple[str, str]:
        """The ring as text (empty when it could not be found), and its column."""
        if spec.layout is None:
            return self.value(record, FieldMap(spec.variable, spec.values), "ring")
        circles = int(spec.circles or 3)
        position = []
        for axis in ("x", "y"):
            column = record.column(f"{spec.layout}_{axis}", f"{spec.layout}_{axis.upper()}")
            text = record.get(column) if column else None
            if column is None or text is None:
                where = column or f"{spec.layout}_{axis}"
                self.fail(record, where, "is empty or missing: the alter has no sociogram position")
                return "", where
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not 0.0 <= number <= 1.0:
                self.fail(record, column, "must be a number from 0 to 1")
                return "", column
            position.append(number)
        circle = circle_of_position(position[0], position[1], circles)
        ring = spec.rings[circle - 1] if spec.rings else ring_of_circle(circle, circles)
        return str(ring), f"{spec.layout}_x"


def _date_of(text: str | None) -> str | None:
    """The ``YYYY-MM-DD`` part of a date or an ISO time stamp.

    Examples
    --------
    >>> _date_of("2024-12-17T16:04:03.385Z"), _date_of("2026-01-05"), _date_of("5 Jan")
    ('2024-12-17', '2026-01-05', None)
    """
    found = _DATE.match(text or "")
    return found[1] if found else None


# ---------------------------------------------------------------------- building tables
@dataclass
class _Row:
    """One row of a tidy table and where it comes from."""

    cells: dict[str, str]
    record: _Record
    columns: dict[str, str] = field(default_factory=dict)


def _count(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun, singular or plural.

    Examples
    --------
    >>> _count(1, "session"), _count(2, "session"), _count(1, "person", "people")
    ('1 session', '2 sessions', '1 person')
    """
    return f"{n} {one if n == 1 else many or one + 's'}"


def replacements(before: Inventory, after: Inventory, verb: str = "Replaced") -> list[str]:
    """One line per client of ``before`` (the store's) that ``after`` replaces whole.

    Examples
    --------
    >>> def course(*sessions: int) -> Inventory:
    ...     return Inventory.from_tables({
    ...         "clients": pd.DataFrame({"client_id": ["c1"]}),
    ...         "sessions": pd.DataFrame({"client_id": "c1", "session": list(sessions),
    ...                                   "date": [f"2026-01-0{s}" for s in sessions]}),
    ...         "people": pd.DataFrame(columns=["client_id", "person_id", "name", "role"]),
    ...         "relationships": pd.DataFrame(columns=["client_id", "session",
    ...             "person_id", "ring", "conflict", "support"])})
    >>> replacements(course(1, 2, 3), course(1, 2))
    ['Replaced c1: 3 sessions before, 2 now (session 3 not in these exports is gone)']
    >>> replacements(course(1), course(1, 2), "Would replace")
    ['Would replace c1: 1 session before, 2 now']
    """
    lines = []
    for client in before.client_ids():
        old, new = before.sessions_of(client), after.sessions_of(client)
        line = f"{verb} {client}: {_count(len(old), 'session')} before, {len(new)} now"
        gone = [str(s) for s in old if s not in new]
        if gone:
            one = len(gone) == 1
            line += (
                f" (session{'' if one else 's'} {', '.join(gone)} not in these exports "
                f"{'is' if one else 'are'} gone)"
            )
        lines.append(line)
    return lines


@dataclass
class NCImport:
    """What a set of exports gives: the tables, and every problem found.

    Attributes
    ----------
    inventory : Inventory
        The tidy tables (cells that broke a rule are missing).
    failures : list of Failure
        Every problem, each naming the export file, line and column.
    ambiguous : list of Failure
        The ambiguous matches among ``failures``.
    interviews : int
        How many interviews were read.
    """

    inventory: Inventory
    failures: list[Failure]
    ambiguous: list[Failure]
    interviews: int

    def summary(self, verb: str = "Would import") -> str:
        """What the exports hold, client by client, and the ambiguous matches; ids only.

        Examples
        --------
        >>> print(NCImport(Inventory.empty(), [], [], 0).summary())
        Would import 0 clients from 0 interviews.
        Ambiguous matches: none.
        """
        inv = self.inventory
        n = len(inv)
        lines = [f"{verb} {_count(n, 'client')} from {_count(self.interviews, 'interview')}"]
        lines[0] += ":" if n else "."
        for client in inv.client_ids():
            sessions = inv.sessions[inv.sessions["client_id"] == client]
            dated = ", ".join(
                f"{s} on {d}" for s, d in zip(sessions["session"], sessions["date"], strict=True)
            )
            count = {name: int((frame["client_id"] == client).sum()) for name, frame in inv.items()}
            lines.append(
                f"  {client}: {_count(count['sessions'], 'session')} ({dated}), "
                f"{_count(count['people'], 'person', 'people')}, "
                f"{_count(count['relationships'], 'relationship state')}, "
                f"{_count(count['person_ties'], 'person tie')}"
            )
        if self.ambiguous:
            lines.append(f"Ambiguous matches ({len(self.ambiguous)}), never guessed:")
            lines.extend(f"  {f}" for f in self.ambiguous)
        else:
            lines.append("Ambiguous matches: none.")
        return "\n".join(lines)


class _Builder:
    """Turns interviews into the rows of the tidy tables, matching people across them."""

    def __init__(self, mapping: NCMapping, cells: _Cells) -> None:
        self.mapping = mapping
        self.cells = cells
        self.rows: dict[str, list[_Row]] = defaultdict(list)
        self.ambiguous: list[Failure] = []
        self.counter: dict[str, int] = defaultdict(int)  # people numbered so far, per client

    def add(self, table: str, record: _Record, columns: dict[str, str], /, **cells: str) -> None:
        self.rows[table].append(_Row(cells, record, columns))

    def ambiguity(self, record: _Record, column: str, message: str) -> None:
        failure = Failure(record.file, record.line, column, f"ambiguous match: {message}")
        self.ambiguous.append(failure)
        self.cells.failures.append(failure)

    def client_of(self, interview: _Interview) -> str | None:
        ego = interview.ego
        assert ego is not None
        if self.mapping.client_variable is None:
            return interview.case
        read = self.cells.raw(ego, self.mapping.client_variable)
        client = None if read is None else read[0]
        if read is not None and client is None:
            self.cells.fail(ego, self.mapping.client_variable, "is empty: the ego has no client id")
        return client

    def date_of(self, interview: _Interview) -> str | None:
        ego = interview.ego
        assert ego is not None
        variable = self.mapping.session_date
        if variable is not None:
            text = ego.get(variable)
            date = _date_of(text)
            if date is None:
                self.cells.fail(ego, variable, "must be a date written YYYY-MM-DD")
            return date
        if interview.start is None:
            self.cells.fail(
                ego,
                _START[0],
                'has no interview date: add [session] date = "<ego variable>" to the mapping, '
                "or export with the sessionStart column",
            )
            return None
        return _date_of(interview.start)

    def number_of(self, interview: _Interview) -> int | None:
        ego = interview.ego
        variable = self.mapping.session_number
        assert ego is not None and variable is not None
        text = ego.get(variable)
        if text is None or not re.fullmatch(r"[0-9]{1,3}", text) or int(text) < 1:
            self.cells.fail(ego, variable, "must be a session number from 1 to 999")
            return None
        return int(text)

    def client(self, client_id: str, interviews: list[_Interview]) -> None:
        """Every interview of one client, as sessions; people matched across them."""
        dated = [(self.date_of(i), i) for i in interviews]
        if self.mapping.session_number is not None:
            numbered = [(self.number_of(i), d, i) for d, i in dated]
        else:
            ordered = sorted(
                ((d, i) for d, i in dated if d is not None), key=lambda p: (p[0], p[1].start or "")
            )
            numbered = [(n, d, i) for n, (d, i) in enumerate(ordered, start=1)]
        kept = sorted((t for t in numbered if t[0] is not None), key=lambda t: t[0] or 0)
        first = kept[0][2].ego if kept else interviews[0].ego
        assert first is not None
        self.add(
            "clients",
            first,
            {"client_id": self.mapping.client_variable or "case"},
            client_id=client_id,
        )
        known: dict[str, list[tuple[str, _Record]]] = defaultdict(list)
        for session, date, interview in kept:
            self.session(client_id, int(session or 0), date, interview, known)

    def key_of(self, alter: _Record) -> tuple[str | None, str]:
        """The key that matches an alter across interviews, and its column."""
        if self.mapping.match_variable is not None:
            key = alter.get(self.mapping.match_variable)
            if key is None:
                self.cells.fail(
                    alter,
                    self.mapping.match_variable,
                    "is empty: every alter needs the match variable",
                )
            return key, self.mapping.match_variable
        name, column = self.cells.value(alter, self.mapping.name, "name")
        role, _ = self.cells.value(alter, self.mapping.role, "role")
        if not name or not role:
            return None, column
        return f"{' '.join(name.split()).casefold()}\n{role}", column

    def session(
        self,
        client_id: str,
        session: int,
        date: str | None,
        interview: _Interview,
        known: dict[str, list[tuple[str, _Record]]],
    ) -> None:
        ego = interview.ego
        assert ego is not None
        number_column = self.mapping.session_number or "session"
        self.add(
            "sessions",
            ego,
            {"session": number_column, "date": self.mapping.session_date or "sessionStart"},
            client_id=client_id,
            session=str(session),
            date=date or "",
        )
        what = "match variable" if self.mapping.match_variable else "name and role"
        keyed = [(self.key_of(a), a) for a in interview.alters]
        seen: dict[str, list[_Record]] = defaultdict(list)
        for (key, _), alter in keyed:
            if key is not None:
                seen[key].append(alter)
        ids: dict[str, str] = {}  # alter uuid -> person id, this interview
        for (key, column), alter in keyed:
            if key is None:  # refused above; its edges are not blamed again
                ids[alter.get(*_ALTER_ID) or ""] = ""
                ids[f"nodeID:{alter.get('nodeID')}"] = ""
                continue
            twins = seen[key]
            earlier = known.get(key, [])
            if len(twins) > 1:
                others = [str(a.line) for a in twins if a is not alter]
                lines = (
                    f"line {others[0]} of this file has"
                    if len(others) == 1
                    else (f"lines {', '.join(others)} of this file have")
                )
                self.ambiguity(alter, column, f"{lines} the same {what}")
            if len(earlier) > 1 and alter is twins[0]:
                where = "; ".join(f"{r.file} line {r.line}" for _, r in earlier)
                self.ambiguity(
                    alter,
                    column,
                    f"the {what} matches {len(earlier)} people of earlier interviews ({where})",
                )
            if len(earlier) == 1 and len(twins) == 1:
                person = earlier[0][0]
            else:
                self.counter[client_id] += 1
                person = f"p{self.counter[client_id]}"
                if len(earlier) < 2:  # a person already ambiguous stays unmatched
                    known[key].append((person, alter))
            uuid = alter.get(*_ALTER_ID) or str(id(alter))
            ids[uuid] = person
            node = alter.get("nodeID")
            if node is not None:
                ids.setdefault(f"nodeID:{node}", person)
            self.person(client_id, session, person, alter, new=len(earlier) != 1 or len(twins) > 1)
        self.ties(client_id, session, interview, ids)

    def person(self, client_id: str, session: int, person: str, alter: _Record, new: bool) -> None:
        m = self.mapping
        name, name_col = self.cells.value(alter, m.name, "name")
        role, role_col = self.cells.value(alter, m.role, "role")
        if new:
            self.add(
                "people",
                alter,
                {"name": name_col, "role": role_col},
                client_id=client_id,
                person_id=person,
                name=name,
                role=role,
            )
        ring, ring_col = self.cells.ring(alter, m.ring)
        conflict, conflict_col = self.cells.value(alter, m.conflict, "conflict")
        support, support_col = self.cells.value(alter, m.support, "support")
        self.add(
            "relationships",
            alter,
            {"ring": ring_col, "conflict": conflict_col, "support": support_col},
            client_id=client_id,
            session=str(session),
            person_id=person,
            ring=ring,
            conflict=conflict,
            support=support,
        )

    def ties(
        self, client_id: str, session: int, interview: _Interview, ids: dict[str, str]
    ) -> None:
        if self.mapping.knows is None:
            return
        pairs: set[tuple[str, str]] = set()
        for kind, edge in interview.edges:
            if kind != self.mapping.knows:
                continue
            ends, used = [], []
            for columns in (_SOURCE, _TARGET):
                column = edge.column(*columns) or columns[0]
                used.append(column)
                value = edge.get(column) or ""
                person = ids.get(value)
                if person is None and column in ("from", "to"):
                    person = ids.get(f"nodeID:{value}")
                if person is None:
                    self.cells.fail(
                        edge,
                        column,
                        f"names no alter of node type {self.mapping.node_type} in this interview",
                    )
                ends.append(person)
            if not ends[0] or not ends[1]:  # unknown, or an alter refused above
                continue
            if ends[0] == ends[1]:
                self.cells.fail(edge, used[0], "ties an alter to themselves")
                continue
            pair = (min(ends[0], ends[1]), max(ends[0], ends[1]))
            if pair not in pairs:  # an undirected tie written twice is one tie
                pairs.add(pair)
                self.add(
                    "person_ties",
                    edge,
                    {"source": used[0], "target": used[1]},
                    client_id=client_id,
                    session=str(session),
                    source=pair[0],
                    target=pair[1],
                )

    def tables(self) -> tuple[dict[str, pd.DataFrame], dict[str, list[_Row]]]:
        """The tidy tables as text, and the source of each row."""
        frames = {}
        for name, table in TABLES.items():
            if table.optional_file and name not in self.rows:
                continue
            columns = [c.name for c in table.columns if c.required]
            rows = self.rows.get(name, [])
            frames[name] = pd.DataFrame(
                {c: pd.Series([r.cells.get(c, "") for r in rows], dtype="string") for c in columns}
            )
        return frames, self.rows


def _located(failure: Failure, rows: Mapping[str, list[_Row]]) -> Failure:
    """A failure of the tidy validation, moved to the export file, line and column."""
    for name, table in TABLES.items():
        if failure.file == table.file and failure.row is not None:
            row = rows[name][failure.row - 2]
            column = row.columns.get(failure.column or "", failure.column)
            return Failure(row.record.file, row.record.line, column, failure.message)
    return failure


def check_network_canvas(
    paths: Iterable[str | os.PathLike[str]],
    mapping: NCMapping,
    *,
    progress: bool | None = None,
) -> NCImport:
    """Read exports into the tidy tables and list every problem, without raising.

    Parameters
    ----------
    paths : paths
        Export files, or folders to search for them (``.csv``, ``.graphml``).
    mapping : NCMapping
        What the protocol's variables mean.
    progress : bool or None
        Show a progress bar on stderr; ``None``: for more than 50 files.

    Returns
    -------
    NCImport
        The tables, every problem and the ambiguous matches.
    """
    paths = list(paths)
    files = _export_labels(paths)
    failures: list[Failure] = []
    if not files:
        failures.append(Failure(", ".join(map(str, paths)), None, None, "holds no export files"))
    interviews = _read_exports(
        files, mapping, failures, len(files) > _MANY_FILES if progress is None else progress
    )
    builder = _Builder(mapping, _Cells(failures))
    by_client: dict[str, list[_Interview]] = defaultdict(list)
    for interview in interviews:
        client = builder.client_of(interview)
        if client is not None:
            by_client[client].append(interview)
    for client_id, own in by_client.items():
        builder.client(client_id, own)
    frames, rows = builder.tables()
    inventory, problems = check(frames)
    # a cell the reader refused (and left empty) is not blamed again by the contract
    reported = {(f.file, f.row, f.column) for f in failures}
    for failure in map(lambda f: _located(f, rows), problems):
        if (
            not {(failure.file, failure.row, failure.column), (failure.file, None, failure.column)}
            & reported
        ):
            failures.append(failure)
    unique = list(dict.fromkeys(failures))
    return NCImport(inventory, unique, list(dict.fromkeys(builder.ambiguous)), len(interviews))


def read_network_canvas(
    paths: Iterable[str | os.PathLike[str]],
    mapping: NCMapping | str | os.PathLike[str],
    *,
    progress: bool | None = None,
) -> Inventory:
    """Read Network Canvas exports into a validated :class:`~ipt_network.io.inventory.Inventory`.

    Parameters
    ----------
    paths, progress
        As for :func:`check_network_canvas`.
    mapping : NCMapping or path
        The mapping, or its TOML file (:func:`load_mapping`).

    Returns
    -------
    Inventory
        One client per client id, one session per interview.

    Raises
    ------
    ValidationError
        With every problem, each naming the export file, line and column
        (ambiguous matches among them); nothing is returned.
    InputMissing
        When a path is not there.
    BadArgument
        When the mapping file is wrong (naming the key).

    Examples
    --------
    >>> inv = read_network_canvas([EXAMPLES], EXAMPLES / "mapping.example.toml")
    >>> inv.client_ids(), inv.sessions_of("nc-01")
    (['nc-01', 'nc-02'], [1, 2, 3])
    """
    if not isinstance(mapping, NCMapping):
        mapping = load_mapping(mapping)
    result = check_network_canvas(paths, mapping, progress=progress)
    if result.failures:
        raise ValidationError(result.failures)
    return result.inventory
