"""What every callback shares: checking the browser's values, and errors as sentences."""

from __future__ import annotations

from typing import Any

import dash
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.context import ClientContext, client_context
from ipt_network.errors import (
    ClientNotFound,
    IPTNetworkError,
)
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store


def is_on(value: Any) -> bool:
    """A dcc.Checklist switch is on when its value list holds "on"."""
    return isinstance(value, list) and "on" in value


def context_of(store: Store, client_id: Any) -> ClientContext:
    """The client's context at the store's revision, or stop the update for a bad id."""
    if not isinstance(client_id, str) or not client_id:
        raise PreventUpdate
    try:
        return client_context(store, client_id)
    except ClientNotFound:
        raise PreventUpdate from None


def client_tables(store: Store, client_id: Any) -> Inventory:
    """The stored tables of one client, or stop the update for a bad id."""
    return context_of(store, client_id).inventory


def checked_session(ctx: ClientContext, value: Any) -> int:
    """A session number the client has, or stop the update."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PreventUpdate
    if isinstance(value, float) and not value.is_integer():
        raise PreventUpdate
    session = int(value)
    if session not in ctx.sessions:
        raise PreventUpdate
    return session


def show_error(err: Exception) -> None:
    """The error handler of every callback: a library error becomes a sentence on the page.

    An :class:`~ipt_network.errors.IPTNetworkError` (the store locked or
    gone, say) is shown in the page's error line (:data:`dashboards.ids.ERROR`)
    and the callback's outputs are left as they were: no traceback, no
    error status. Any other exception is a bug and is raised again.

    Examples
    --------
    >>> show_error(ValueError("a bug"))
    Traceback (most recent call last):
    ...
    ValueError: a bug
    """
    if not isinstance(err, IPTNetworkError):
        raise err
    dash.set_props(ids.ERROR, {"children": error_sentence(err)})


def error_sentence(err: IPTNetworkError) -> str:
    """The message of a library error as a sentence: capital first letter, full stop.

    Examples
    --------
    >>> from ipt_network.errors import StoreError
    >>> error_sentence(StoreError("the store is locked; try again"))
    'The store is locked; try again.'
    """
    text = str(err).strip() or type(err).__name__
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
