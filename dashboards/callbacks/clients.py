"""The client list: one row per client, narrowed by the search box."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, html

from dashboards import ids
from dashboards.components import (
    client_href,
)
from dashboards.context import current_store
from ipt_network.clinical.measures import (
    ITEM9_NOT_ASKED,
    phq9_total_text,
)
from ipt_network.clinical.safety import (
    crisis_lines,
)
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store
from ipt_network.views.overview import client_overview

#: The client list shows at most this many rows; the search box narrows it.
MAX_LISTED = 200


def client_rows(store: Store, search: Any = None) -> list[Any]:
    """The client list table, narrowed to ids or labels containing ``search``."""
    tables = store.read_tables(["clients", "sessions"])
    rows = client_overview(Inventory.from_tables(tables))
    if isinstance(search, str) and search.strip():
        needle = search.strip().lower()
        hit = rows["client_id"].str.lower().str.contains(needle, regex=False) | rows[
            "label"
        ].fillna("").str.lower().str.contains(needle, regex=False)
        rows = rows[hit]
    if rows.empty:
        return [html.P("No client matches.", className="muted")]
    shown = rows.head(MAX_LISTED)
    body = [_client_row(row) for row in shown.itertuples(index=False)]
    head = html.Thead(
        html.Tr(
            [
                html.Th(h, scope="col")
                for h in (
                    "Client",
                    "Sessions",
                    "Phase",
                    "Latest PHQ-9",
                    "Since the first PHQ-9",
                    "Focus",
                    "Safety",
                )
            ]
        )
    )
    out: list[Any] = []
    flagged = int(shown["safety_flag"].notna().sum())
    if flagged:
        out.append(
            html.Div(
                [
                    html.P(
                        f"SAFETY FLAG: {flagged} of the clients listed had a self-harm item "
                        "above 0 (see the Safety column).",
                        className="banner-line",
                    ),
                    html.P(crisis_lines(store.region), className="banner-line crisis-note"),
                ],
                role="alert",
                className="banner",
            )
        )
    out.append(html.Table([head, html.Tbody(body)], className="data-table client-list"))
    if len(rows) > MAX_LISTED:
        out.append(
            html.P(
                f"Showing {MAX_LISTED} of {len(rows)} clients; search to find others.",
                className="muted",
            )
        )
    return out


def _truth(value: Any) -> bool | None:
    """A cell of a nullable boolean column as ``True``, ``False`` or ``None`` (missing)."""
    return None if value is None or value is pd.NA else bool(value)


def _since_first(row: Any) -> str:
    """Change from the first PHQ-9 total, with reliable change and response."""
    if row.phq9_total is pd.NA:
        return ""
    marks = []
    if _truth(row.phq9_reliable_change):
        marks.append("reliable change")
    response = _truth(row.phq9_response)
    if response is None:
        marks.append("response not measured (first total below 10)")
    elif response:
        marks.append("response")
    change = f"{int(row.phq9_change):+d} (from {row.phq9_baseline})"
    return "; ".join([change, *marks])


def _client_row(row: Any) -> html.Tr:
    label = row.label if isinstance(row.label, str) else ""
    notes = []
    if row.phq9_total is pd.NA:
        phq = "not given"
    else:
        total = phq9_total_text(row.phq9_total, row.phq9_prorated)
        phq = f"{total}, {row.phq9_band}, session {row.phq9_session}"
        if _truth(row.phq9_item9_asked) is False:
            notes.append(ITEM9_NOT_ASKED)
    if row.phq9_incomplete_session is not pd.NA:
        notes.append(f"session {row.phq9_incomplete_session}: PHQ-9 incomplete")
    flag = row.safety_flag if isinstance(row.safety_flag, str) else ""
    return html.Tr(
        [
            html.Td(
                [
                    dash.dcc.Link(row.client_id, href=client_href(str(row.client_id))),
                    html.Span(label, className="muted sub"),
                ]
            ),
            html.Td(f"{row.sessions_done} of {row.planned_sessions}"),
            html.Td(row.phase if isinstance(row.phase, str) else "not started"),
            html.Td([phq, *(html.Span(n, className="muted sub") for n in notes)]),
            html.Td(_since_first(row)),
            html.Td(row.focus if isinstance(row.focus, str) and row.focus else "not chosen"),
            html.Td(html.Span(flag, className="flag") if flag else ""),
        ],
        className="flagged" if flag else None,
    )


def register(app: dash.Dash) -> None:
    """Wire this page's callbacks to ``app``; each fetches the request's store."""

    @app.callback(Output(ids.CLIENT_TABLE, "children"), Input(ids.CLIENT_SEARCH, "value"))
    def _client_table(search: Any) -> list[Any]:
        return client_rows(current_store(), search)
