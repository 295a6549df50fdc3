"""Small building blocks shared by the pages: banners, figure cards, tables.

Every chart is paired with a text alternative (:func:`figure_card` puts a
"show as a table" disclosure under each graph), and the safety banner is
built from :mod:`ipt_network.clinical.safety` only, never from text of our own.

Examples
--------
>>> import pandas as pd
>>> table = frame_table(pd.DataFrame({"session": [1, 2], "ring": ["inner", None]}))
>>> component_text(table)
'session ring 1 inner 2 '
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote, unquote

import pandas as pd
from dash import dcc, html

from dashboards.ids import dom_id
from ipt_network.clinical.safety import SafetyFlag, client_crisis_line
from ipt_network.io.inventory import is_missing
from ipt_network.regions import Region

__all__ = [
    "SKELETON",
    "EMPTY_FIGURE",
    "safety_banner",
    "figure_card",
    "alt_table",
    "element",
    "Element",
    "frame_table",
    "graph_config",
    "MAX_SHOWN_ID",
    "client_href",
    "client_from_path",
    "visually_hidden",
    "control_label",
]

#: The longest client id worth looking up: an address holding more is not one of ours.
MAX_SHOWN_ID: Final = 200

#: The client id a page's layout gets when none is given: Dash calls each page's
#: layout so, to check callbacks against every component (its validation layout);
#: the page then has every component and no data.
SKELETON: Final = object()

#: A figure with nothing in it, for graphs whose content is withheld.
EMPTY_FIGURE: dict[str, Any] = {"data": [], "layout": {}}


def client_href(client_id: str, *, record: bool = False) -> str:
    """The address of a client's page (or recording page), the id percent-encoded.

    Every character but letters, digits and ``_.-~`` is encoded, ``/`` too, so
    any stored id makes one path segment that :func:`client_from_path` reads back.

    Examples
    --------
    >>> client_href('a/b "c"'), client_href("grief-01", record=True)
    ('/client/a%2Fb%20%22c%22', '/client/grief-01/record')
    >>> client_href("🌱")
    '/client/%F0%9F%8C%B1'
    """
    href = f"/client/{quote(client_id, safe='')}"
    return f"{href}/record" if record else href


def client_from_path(value: object) -> str | None:
    """The client id in a page address's ``<client_id>``, percent-decoded.

    Returns None when there is no id to look up (not a string, empty, or longer
    than :data:`MAX_SHOWN_ID`).

    Examples
    --------
    >>> client_from_path("a%2Fb%20%22c%22"), client_from_path("grief-01")
    ('a/b "c"', 'grief-01')
    >>> client_from_path(client_href("50%")[len("/client/"):])
    '50%'
    >>> client_from_path(None), client_from_path("")
    (None, None)
    """
    if not isinstance(value, str):
        return None
    client_id = unquote(value)
    return client_id if 0 < len(client_id) <= MAX_SHOWN_ID else None


def graph_config() -> Any:
    """Plotly config for every graph: no mode bar clutter, no logo, responsive."""
    return {"displaylogo": False, "displayModeBar": False, "responsive": True}


def safety_banner(
    flag: SafetyFlag | None, *, client_view: bool = False, region: Region | None = None
) -> list[Any]:
    """The safety banner's children.

    The therapist sees the flag (its headline, the prompt and the crisis
    lines of ``region``), and nothing when there is no flag. The client view
    shows every client, flagged or not, the same calm sentence
    (:func:`ipt_network.clinical.safety.client_crisis_line`): nothing in it depends on
    the flag, so a shared screen tells nobody that an item was answered.

    Examples
    --------
    >>> from ipt_network.clinical.safety import SELF_HARM_ITEMS, ItemAnswer
    >>> phq9 = SELF_HARM_ITEMS[0]
    >>> flag = SafetyFlag("c1", (ItemAnswer(phq9, 2, 1),), ((phq9, 2),))
    >>> safety_banner(flag, client_view=True)[0].children == safety_banner(
    ...     None, client_view=True)[0].children
    True
    >>> safety_banner(flag)[0].children.startswith("SAFETY FLAG")
    True
    >>> safety_banner(None)
    []
    """
    if client_view:
        return [html.P(client_crisis_line(region), className="banner-line calm")]
    if flag is None:
        return []
    return [html.P(line, className="banner-line") for line in flag.banner(region).splitlines()]


def _cell(value: Any) -> str:
    if is_missing(value):
        return ""
    return str(value)


Element = dict[str, Any]


def element(tag: str, children: Any = None, **props: Any) -> Element:
    """An ``html`` component in the form Dash sends it to the browser.

    Tables of figures can hold thousands of cells. Building them as
    ``html.Td`` objects and then serialising those costs a slider step tens of
    milliseconds at 300 people; building the wire form directly costs a tenth
    of that. The JSON is the same (``tests/test_dashboard_callbacks.py`` checks it).

    Examples
    --------
    >>> element("Td", "3")
    {'props': {'children': '3'}, 'type': 'Td', 'namespace': 'dash_html_components'}
    """
    return {
        "props": {"children": children, **props},
        "type": tag,
        "namespace": "dash_html_components",
    }


def _table(header: Sequence[object], rows: Iterable[Sequence[object]], class_name: str) -> Element:
    head = element(
        "Thead",
        element("Tr", [element("Th", str(c).replace("_", " "), scope="col") for c in header]),
    )
    body = element("Tbody", [element("Tr", [element("Td", _cell(v)) for v in row]) for row in rows])
    return element("Table", [head, body], className=class_name)


def alt_table(rows: Sequence[Mapping[str, str]]) -> Element | html.P:
    """A figure's text alternative (rows of :func:`ipt_network.views.figures.figure_table`)."""
    if not rows:
        return html.P("Nothing to show.", className="muted")
    header = [_ALT_HEADER.get(k, k) for k in rows[0]]
    return _table(header, ([row[k] for k in rows[0]] for row in rows), "data-table")


#: How the columns of a figure's text alternative are headed.
_ALT_HEADER: Final = {"series": "what", "text": "detail"}


def frame_table(frame: pd.DataFrame, *, class_name: str = "data-table") -> Element:
    """A DataFrame as a plain, accessible HTML table (header row, one row per record)."""
    return _table(list(frame.columns), frame.itertuples(index=False), class_name)


def figure_card(graph_id: str, table_id: str, *, height: str | None = None) -> html.Section:
    """A graph with a "show as a table" disclosure under it, both filled by a callback."""
    style = {"height": height} if height else None
    return html.Section(
        [
            dcc.Graph(id=graph_id, config=graph_config(), style=style),
            html.Details([html.Summary("Show as a table"), html.Div(id=table_id)], className="alt"),
        ],
        className="card",
    )


def visually_hidden(text: str) -> html.Span:
    """Text for screen readers only: read out, but not drawn (class ``visually-hidden``)."""
    return html.Span(text, className="visually-hidden")


def control_label(
    text: str,
    control_id: str | dict[str, str],
    *,
    hidden: bool = False,
    native: bool = False,
    class_name: str | None = None,
) -> html.Label:
    """A label naming the Dash core component ``control_id``.

    A ``dcc.Input`` puts its id on its ``<input>``, which ``<label for>``
    names (``native=True``). Dash's Slider and Dropdown take no ``aria-*``
    props and render no ``<input>`` to label: ``assets/a11y.js`` reads the
    label's ``data-a11y-for`` and names the slider's thumb or the dropdown's
    button by this label's id, ``<control_id>-label``.

    Parameters
    ----------
    text : str
        The name, shown beside the control unless ``hidden``.
    control_id : str or dict
        The id of the component named (a pattern-matching id too).
    hidden : bool, optional
        Read out by screen readers but not drawn (for a control whose purpose
        the page already shows).
    native : bool, optional
        Name a ``dcc.Input`` with ``<label for>`` instead.
    class_name : str, optional
        Classes for a shown label.

    Examples
    --------
    >>> label = control_label("Session", "session-slider")
    >>> label.id, label.children, getattr(label, "data-a11y-for")
    ('session-slider-label', 'Session', 'session-slider')
    >>> label = control_label("Date", "record-date", hidden=True, native=True)
    >>> label.htmlFor, label.className, hasattr(label, "data-a11y-for")
    ('record-date', 'visually-hidden', False)
    """
    target = dom_id(control_id)
    link: dict[str, Any] = {"htmlFor": target} if native else {"data-a11y-for": target}
    return html.Label(
        text,
        id=f"{target}-label",
        className="visually-hidden" if hidden else class_name,
        **link,
    )


def component_text(component: Any) -> str:
    """Every string inside a Dash component tree, joined by spaces.

    Examples
    --------
    >>> component_text(html.Div(["Session", html.B(3), None]))
    'Session 3 '
    """
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(component_text(c) for c in component)
    if isinstance(component, dict):
        return component_text(component.get("props", {}).get("children"))
    return component_text(getattr(component, "children", None))
