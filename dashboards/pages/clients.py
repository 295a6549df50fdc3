"""The client list: every client with their course, PHQ-9, focus and safety flag.

The table is filled by a callback (:func:`dashboards.callbacks.client_rows`)
so that the search box can narrow it; the page itself holds no client data.
"""

from __future__ import annotations

from typing import Any, Final

from dash import dcc, html

from dashboards import ids

__all__ = ["NAME", "layout"]

NAME: Final = "Clients"


def layout(**_: Any) -> html.Main:
    """The client list page."""
    return html.Main(
        [
            html.Header(
                [
                    html.H1("Clients"),
                    html.P(
                        [
                            "Each client's course so far. Open a client to walk their "
                            "relationship map session by session, or ",
                            dcc.Link("see every client together", href="/cohort"),
                            ".",
                        ],
                        className="lede",
                    ),
                ],
                className="page-head",
            ),
            html.Label(
                [
                    "Find a client by id or label",
                    dcc.Input(
                        id=ids.CLIENT_SEARCH,
                        type="search",
                        debounce=True,
                        placeholder="for example grief-01",
                        className="search",
                    ),
                ],
                className="field",
            ),
            html.Div(id=ids.CLIENT_TABLE, className="card"),
        ],
        className="page",
    )
