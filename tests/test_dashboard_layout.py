"""Every id a callback names is a component of some page (no ``suppress_callback_exceptions``).

The store is the four sample clients of ``tests/conftest.py``.
"""

from __future__ import annotations

import json
from typing import Any

import dash
from dash import Input, Output, html

from dashboards import ids
from dashboards.app import create_app
from dashboards.pages import PAGES
from ipt_network.io.store import Store


def layout_ids(*layouts: Any) -> list[str | dict[str, Any]]:
    """The id of every component in ``layouts``, the layouts themselves included."""
    found = []
    for layout in layouts:
        for component in [layout, *layout._traverse()]:
            component_id = getattr(component, "id", None)
            if component_id is not None:
                found.append(component_id)
    return found


def wired_ids(app: dash.Dash) -> set[str]:
    """Every id an Input, State or Output of a callback of ``app`` names (pattern ids as JSON)."""
    wired = set()
    for output, callback in app.callback_map.items():
        for dep in [*callback["inputs"], *callback["state"]]:
            wired.add(dep["id"])
        for part in output.strip(".").split("..."):
            wired.add(part.split("@", 1)[0].rsplit(".", 1)[0])
    return wired


def missing_ids(app: dash.Dash, *layouts: Any) -> set[str]:
    """The ids wired in ``app`` that no component of ``layouts`` has.

    A pattern id (``{"type": ..., "index": ALL}``) needs one component of its
    type with the same keys.
    """
    present = layout_ids(*layouts)
    plain = {p for p in present if isinstance(p, str)}
    shapes = {(p["type"], frozenset(p)) for p in present if isinstance(p, dict)}
    missing = set()
    for wired in wired_ids(app):
        if wired.startswith("{"):
            pattern = json.loads(wired)
            if (pattern["type"], frozenset(pattern)) not in shapes:
                missing.add(wired)
        elif wired not in plain:
            missing.add(wired)
    return missing


def real_pages(app: dash.Dash) -> list[Any]:
    """The pages of sample clients as served (the recording page has per-person inputs)."""
    with app.server.test_request_context("/"):
        return [
            module.layout(client_id="dispute-01") if "<" in path else module.layout()
            for module, path in PAGES
        ]


def test_every_callback_id_is_in_the_validation_layout(store: Store) -> None:
    app = create_app(store)
    wired = wired_ids(app)
    assert {ids.MAP, ids.SESSION_SLIDER, ids.TIMELINE} <= wired
    assert ids.ERROR in layout_ids(app.layout)  # the line every callback's error goes to
    assert missing_ids(app, app.validation_layout, *real_pages(app)) == set()
    # the pattern ids too: every type has a component in a real page
    assert any(w.startswith('{"index":["ALL"],"type":"record-ring"}') for w in wired)
    assert missing_ids(app, *real_pages(app)) <= {  # the page container's own ids
        "_pages_content",
        "_pages_store",
        "_pages_location",
        "_pages_dummy",
    }
    # the validation layout Dash builds when it starts serving holds every plain id
    app.server.test_client().get("/")
    plain = {w for w in wired if not w.startswith("{")}
    assert missing_ids(app, app.validation_layout) <= wired - plain
    assert not app.config.suppress_callback_exceptions


def test_every_wired_id_is_a_constant_of_the_ids_module(store: Store) -> None:
    app = create_app(store)
    wired = wired_ids(app)
    plain = {w for w in wired if not w.startswith("{")}
    patterns = {json.loads(w)["type"] for w in wired if w.startswith("{")}
    assert patterns == {
        ids.RECORD_PHQ9,
        ids.RECORD_RING,
        ids.RECORD_CONFLICT,
        ids.RECORD_SUPPORT,
        ids.RECORD_OFF,
        ids.RECORD_WORK_FIELD,
        ids.RECORD_GOAL_STATUS,
        ids.RECORD_NEW_GOAL,
        ids.RECORD_AREA,
        ids.RECORD_CONTRACT,
    }
    assert {p for p in plain if not p.startswith("_pages")} <= set(ids.ALL)


def test_a_callback_naming_a_missing_id_is_found(store: Store) -> None:
    app = create_app(store)

    @app.callback(Output("nowhere", "children"), Input(ids.SESSION_SLIDER, "value"))
    def _lost(value: Any) -> Any:
        return value

    assert missing_ids(app, app.validation_layout, *real_pages(app)) == {"nowhere"}
    assert missing_ids(app, html.Div(id=ids.MAP)) >= {ids.SESSION_SLIDER, ids.CLIENT_ID}
