"""The exception tree: every error a user can meet is an IPTNetworkError and the matching
built-in, the public API exports each of them, and no plain built-in is raised at a user."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import ipt_network
from ipt_network import Inventory, names
from ipt_network.errors import (
    BadArgument,
    BadTable,
    IPTNetworkError,
    OutputExists,
    PersonNotFound,
    StoreError,
    WrongType,
)

PACKAGE = Path(ipt_network.__file__).parent


def _error_classes() -> dict[str, type[IPTNetworkError]]:
    """Every IPTNetworkError subclass defined anywhere in ipt_network, by name."""
    for module in pkgutil.walk_packages([str(PACKAGE)], "ipt_network."):
        importlib.import_module(module.name)
    found: dict[str, type[IPTNetworkError]] = {}
    todo: list[type[IPTNetworkError]] = [IPTNetworkError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("ipt_network") and not cls.__name__.startswith("_"):
            found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_in_errors_py_is_exported_and_in_the_tree() -> None:
    from ipt_network import errors

    defined = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    }
    assert {"IPTNetworkError", "BadArgument", "BadTable", "WrongType", "PersonNotFound"} <= defined
    for name in defined:
        cls = getattr(errors, name)
        assert issubclass(cls, IPTNetworkError), name
        assert name in errors.__all__ and name in ipt_network.__all__, name
        assert getattr(ipt_network, name) is cls, name


def test_every_error_defined_anywhere_is_exported_and_subclasses_a_builtin() -> None:
    classes = _error_classes()
    # the errors that live beside the code raising them are found too
    assert {"MeasureError", "ReportError", "RecordingError", "UnknownRegion"} <= set(classes)
    for name, cls in classes.items():
        assert name in ipt_network.__all__, f"{name} is not exported by ipt_network"
        assert getattr(ipt_network, name) is cls, name
        if cls is IPTNetworkError:
            continue
        builtins = [
            b
            for b in cls.__mro__
            if b.__module__ == "builtins" and b not in (Exception, BaseException, object)
        ]
        assert builtins, f"{name} subclasses no built-in error besides Exception"


#: Built-in errors that must not be raised at a user directly.
PLAIN = {
    "ValueError",
    "TypeError",
    "KeyError",
    "RuntimeError",
    "LookupError",
    "IndexError",
    "FileExistsError",
    "FileNotFoundError",
    "OSError",
}
#: Plain raises that stay, and why: each is a lookup in the contract by a column name written
#: in this code (a programming error, never input), not something a user can cause.
INTERNAL = {
    ("io/contract.py", "bounds"),
    ("io/contract.py", "scale"),
    # an audit row's action is a name written in this code (ACTIONS), never input
    ("io/store/_audit.py", "__post_init__"),
}


def _plain_raises() -> list[tuple[str, str, int]]:
    """(file, function, line) of every ``raise <plain built-in>(...)`` in ipt_network."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                exc = node.exc if isinstance(node, ast.Raise) else None
                call = exc.func if isinstance(exc, ast.Call) else None
                if isinstance(call, ast.Name) and call.id in PLAIN:
                    out.append((path.relative_to(PACKAGE).as_posix(), fn.name, node.lineno))
    return out


def test_no_plain_builtin_error_is_raised_at_a_user() -> None:
    found = {(f, fn) for f, fn, _ in _plain_raises()}
    assert found <= INTERNAL, sorted(found - INTERNAL)


# ---------------------------------------------------------------- one call per converted raise

Case = Callable[[Inventory], object]


def _rel(inv: Inventory) -> pd.DataFrame:
    return inv.relationships[inv.relationships["client_id"] == "grief-01"].reset_index(drop=True)


def _ties(inv: Inventory) -> pd.DataFrame:
    return inv.person_ties[inv.person_ties["client_id"] == "grief-01"].reset_index(drop=True)


def _with(
    frame: pd.DataFrame, column: str, value: object, dtype: str | None = None
) -> pd.DataFrame:
    out = frame.astype({column: dtype}) if dtype else frame.copy()
    out.loc[0, column] = value
    return out


def _index(rel: pd.DataFrame, ties: pd.DataFrame | None = None) -> object:
    from ipt_network.network.engine import index_snapshots

    return index_snapshots(rel, ties)


def _people(inv: Inventory) -> pd.DataFrame:
    return inv.people[inv.people["client_id"] == "grief-01"].reset_index(drop=True)


def _angles(people: pd.DataFrame) -> object:
    from ipt_network.network.layout import person_angles

    return person_angles(people)


def _rings(angles: dict[str, float], rings: dict[str, int]) -> object:
    from ipt_network.network.layout import ring_positions

    return ring_positions(angles, rings)


def _metrics_of(G: nx.Graph) -> object:
    from ipt_network.network.metrics import snapshot_metrics

    return snapshot_metrics(G)


def _graph(*edges: tuple[str, str, dict[str, int]]) -> nx.Graph:
    G = nx.Graph()
    for a, b, data in edges:
        G.add_edge(a, b, **data)
    return G


TIE = {names.RING: 1, names.CONFLICT: 0, names.SUPPORT: 2}


def _trends(rows: pd.DataFrame) -> object:
    from ipt_network.views.figures import trends_figure

    return trends_figure(rows)


def _cohort_rows(inv: Inventory) -> pd.DataFrame:
    from ipt_network.network.metrics import cohort_metrics

    return cohort_metrics(inv.relationships, inv.person_ties)


def _map(inv: Inventory) -> object:
    from ipt_network.views.figures import relationship_map

    return relationship_map(inv, "grief-01", 2, compare_with=2)


def _map_figure(inv: Inventory) -> object:
    from ipt_network.views.figures import map_figure

    return map_figure(nx.Graph(), {})


def _history(inv: Inventory) -> object:
    from ipt_network.views.overview import person_history

    return person_history(inv, "grief-01", "p99")


def _plan(planned: int = 12, session: int = 1) -> object:
    from ipt_network.clinical.model import CoursePlan

    return CoursePlan(planned_sessions=planned).phase(session)


def _answer_of_zero(inv: Inventory) -> object:
    from ipt_network.clinical.safety import SELF_HARM_ITEMS, ItemAnswer, with_answer

    return with_answer(None, "grief-01", ItemAnswer(SELF_HARM_ITEMS[0], 2, 0))


def _synth(inv: Inventory) -> object:
    from ipt_network.io.synth import synthesize

    return synthesize(-1, 1)


def _lines(inv: Inventory) -> object:
    from ipt_network.io.validation import validate

    return validate(inv.tables(), lines={"clients": np.array([2], dtype=np.int64)})


def _store_outside_an_app(inv: Inventory) -> object:
    import flask

    from dashboards.context import current_store

    with flask.Flask("bare").app_context():
        return current_store()


def _write_twice(inv: Inventory, tmp: Path) -> object:
    from ipt_network.io.tidy import write_inventory

    write_inventory(inv, tmp)
    return write_inventory(inv, tmp)


CASES: dict[str, tuple[Case, type[IPTNetworkError], type[Exception], str]] = {
    # network/engine.py
    "engine: not a frame": (lambda inv: _index([1, 2]), WrongType, TypeError, "DataFrame"),  # type: ignore[arg-type]
    "engine: column missing": (
        lambda inv: _index(_rel(inv).drop(columns="ring")),
        BadTable,
        ValueError,
        "lacks the column",
    ),
    "engine: empty cell": (
        lambda inv: _index(_with(_rel(inv), "ring", pd.NA)),
        BadTable,
        ValueError,
        "empty cells",
    ),
    "engine: not a whole number": (
        lambda inv: _index(_with(_rel(inv), "ring", "x", "object")),
        BadTable,
        ValueError,
        "whole numbers",
    ),
    "engine: out of range": (
        lambda inv: _index(_with(_rel(inv), "ring", 9)),
        BadTable,
        ValueError,
        "must lie between",
    ),
    "engine: a person twice": (
        lambda inv: _index(pd.concat([_rel(inv), _rel(inv).iloc[:1]], ignore_index=True)),
        BadTable,
        ValueError,
        "appears twice",
    ),
    "engine: a tie where nobody is": (
        lambda inv: _index(_rel(inv), _with(_ties(inv), "client_id", "nobody-99")),
        BadTable,
        ValueError,
        "nobody on the map",
    ),
    "engine: a tie to someone off the map": (
        lambda inv: _index(_rel(inv), _with(_ties(inv), "target", "p99")),
        BadTable,
        ValueError,
        "not on the map",
    ),
    "engine: a tie to oneself": (
        lambda inv: _index(_rel(inv), _with(_ties(inv), "target", _ties(inv).loc[0, "source"])),
        BadTable,
        ValueError,
        "to themselves",
    ),
    "engine: a tie twice": (
        lambda inv: _index(_rel(inv), pd.concat([_ties(inv), _ties(inv).iloc[:1]])),
        BadTable,
        ValueError,
        "repeat a pair",
    ),
    # network/layout.py
    "layout: column missing": (
        lambda inv: _angles(_people(inv).drop(columns="role")),
        BadTable,
        ValueError,
        "needs the column",
    ),
    "layout: two clients": (lambda inv: _angles(inv.people), BadTable, ValueError, "one client"),
    "layout: unknown role": (
        lambda inv: _angles(_with(_people(inv), "role", "alien")),
        BadTable,
        ValueError,
        "unknown role",
    ),
    "layout: a person twice": (
        lambda inv: _angles(pd.concat([_people(inv), _people(inv).iloc[:1]])),
        BadTable,
        ValueError,
        "unique",
    ),
    "layout: no angle": (
        lambda inv: _rings({"a": 0.0}, {"b": 1}),
        BadArgument,
        ValueError,
        "no angle",
    ),
    "layout: ring 4": (lambda inv: _rings({"a": 0.0}, {"a": 4}), BadArgument, ValueError, "ring"),
    # names.py
    "names: ring 4": (lambda inv: names.closeness_weight(4), BadArgument, ValueError, "ring"),
    # network/metrics.py
    "metrics: no client node": (lambda inv: _metrics_of(nx.Graph()), BadTable, ValueError, "node"),
    "metrics: an edge without its values": (
        lambda inv: _metrics_of(_graph((names.EGO, "p1", {}))),
        BadTable,
        ValueError,
        "lacks",
    ),
    "metrics: a tie to someone off the map": (
        lambda inv: _metrics_of(_graph((names.EGO, "p1", TIE), ("p1", "p2", {}))),
        BadTable,
        ValueError,
        "not tied to",
    ),
    # views
    "trends: columns missing": (
        lambda inv: _trends(pd.DataFrame({"session": [1]})),
        BadTable,
        ValueError,
        "need the column",
    ),
    "trends: several clients": (
        lambda inv: _trends(_cohort_rows(inv)),
        BadTable,
        ValueError,
        "one client",
    ),
    "map: no client node": (_map_figure, BadTable, ValueError, "node"),
    "map: a session compared with itself": (_map, BadArgument, ValueError, "different session"),
    "overview: unknown person": (_history, PersonNotFound, ValueError, "no person 'p99'"),
    # clinical
    "course plan: 3 sessions": (lambda inv: _plan(planned=3), BadArgument, ValueError, "from 8"),
    "course plan: session 0": (lambda inv: _plan(session=0), BadArgument, ValueError, "start at 1"),
    "safety: an answer of 0": (_answer_of_zero, BadArgument, ValueError, "above 0"),
    # io
    "synth: -1 clients": (_synth, BadArgument, ValueError, "0 or more"),
    "validate: wrong line numbers": (_lines, BadArgument, ValueError, "line numbers"),
    # dashboards
    "dashboard: no store": (_store_outside_an_app, StoreError, RuntimeError, "create_app"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_user_facing_raise_is_the_subclass_and_the_builtin(
    case: str, samples_inv: Inventory
) -> None:
    call, error, builtin, words = CASES[case]
    assert issubclass(error, IPTNetworkError) and issubclass(error, builtin)
    with pytest.raises(error, match=words) as caught:
        call(samples_inv)
    assert isinstance(caught.value, builtin) and isinstance(caught.value, IPTNetworkError)


def test_writing_into_a_full_folder_is_output_exists(
    samples_inv: Inventory, tmp_path: Path
) -> None:
    with pytest.raises(OutputExists, match="already holds") as caught:
        _write_twice(samples_inv, tmp_path / "out")
    assert isinstance(caught.value, FileExistsError)


def test_messages_carry_ids_not_clinical_values(samples_inv: Inventory) -> None:
    """No message above repeats a name, a note or a score from the tables."""
    people = set(samples_inv.people["name"].dropna())
    for call, error, _, _ in CASES.values():
        with pytest.raises(error) as caught:
            call(samples_inv)
        text = str(caught.value)
        assert not any(name in text for name in people), text
