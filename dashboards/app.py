"""The app factory: ``create_app(db)`` gives a ready Dash app on one store.

Examples
--------
>>> import os, tempfile
>>> from ipt_network import Store, load_samples
>>> path = os.path.join(tempfile.mkdtemp(), "ipt.db")
>>> Store.create(path).import_inventory(load_samples())
4
>>> app = create_app(path)
>>> sorted(p["path_template"] or p["path"] for p in dash.page_registry.values())
['/', '/client/<client_id>', '/client/<client_id>/record', '/cohort']
>>> '<html lang="en">' in app.index_string
True
>>> css_variables() in app.index_string  # the theme's colours, as CSS variables
True
>>> app.server.config[STORE_KEY].close()
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import dash
from dash import html

from dashboards import callbacks, ids, pages, security
from dashboards.auth import (
    DEFAULT_IDLE_MINUTES,
    access_errors_first,
    home_path,
    signed_in,
    user_bar,
)
from dashboards.auth import install as install_auth
from dashboards.context import STORE_KEY
from ipt_network.io.store import Store
from ipt_network.views.theme import css_variables

__all__ = ["create_app", "ASSETS", "TITLE", "LANG"]

#: The folder of the dashboard's CSS and of ``a11y.js`` (repairs to Dash's markup).
ASSETS: Final = Path(__file__).parent / "assets"
TITLE: Final = "ipt-network"
#: The language of every page, declared on its ``<html>`` element (WCAG 3.1.1).
LANG: Final = "en"


def create_app(
    db: str | os.PathLike[str] | Store | None = None,
    *,
    auth: bool = False,
    idle_minutes: float = DEFAULT_IDLE_MINUTES,
    allowed_hosts: Iterable[str] = (),
    tls: bool = False,
    behind_proxy: bool = False,
    proxy_addresses: Iterable[str] = security.PROXY_ADDRESSES,
    clock: Callable[[], float] = time.monotonic,
) -> dash.Dash:
    """A Dash app serving the therapist's dashboard on one store.

    Parameters
    ----------
    db : path, SQLAlchemy URL or Store, optional
        An existing store (default: the default store path). A path or URL is
        opened with :meth:`ipt_network.io.store.Store.open`.
    auth : bool
        Require signing in for every page and callback (:mod:`dashboards.auth`);
        each request then sees the store as its user may.
    idle_minutes : float
        With ``auth``: minutes without a request after which a session ends.
    allowed_hosts : iterable of str
        Host names answered besides the loopback ones (:mod:`dashboards.security`).
    tls : bool
        Served over TLS: the session cookie is ``Secure`` and HSTS is sent.
    behind_proxy : bool
        Served behind one https reverse proxy whose ``X-Forwarded-*`` headers
        are trusted (see :func:`dashboards.security.install`).
    proxy_addresses : iterable of str
        With ``behind_proxy``: the IP addresses the proxy sends from (default:
        this computer); requests from any other sender are refused.
    clock : callable
        Seconds as a float, for the idle time and sign-in failures (tests pass a fake).

    Returns
    -------
    dash.Dash
        Pages registered with path templates, callbacks wired, the store in
        the server's config (the app's only state). Run it with
        ``app.run(host="127.0.0.1", debug=False)``.

    Raises
    ------
    StoreError
        When there is no store at ``db``.
    """
    store = db if isinstance(db, Store) else Store.open(db)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title=TITLE,
        update_title="",
        serve_locally=True,
        on_error=access_errors_first(callbacks.show_error),
    )
    app.index_string = app.index_string.replace("<html>", f'<html lang="{LANG}">', 1).replace(
        "{%css%}", f"<style>{css_variables()}</style>{{%css%}}", 1
    )
    app.server.config[STORE_KEY] = store
    pages.register()
    # Every component of every page, for checking the callbacks' ids: a page's
    # layout called with no client is its skeleton. Dash rebuilds the same
    # from the registered pages when it starts serving.
    app.validation_layout = html.Div(  # type: ignore[assignment]  # Dash types it None
        [_shell(), *(module.layout() for module, _ in pages.PAGES)]
    )
    # Signed in, the top bar names the user and has the sign-out button: built per request.
    app.layout = _shell if auth else _shell()
    callbacks.register(app)
    if auth:
        install_auth(app, idle_minutes=idle_minutes, secure=tls or behind_proxy, clock=clock)
    security.install(
        app,
        allowed_hosts=allowed_hosts,
        tls=tls,
        behind_proxy=behind_proxy,
        proxy_addresses=proxy_addresses,
    )
    return app


def _shell() -> html.Div:
    """The frame of every page: the top bar, the error line, the page."""
    return html.Div(
        [
            html.Nav(
                [
                    dash.dcc.Link("ipt-network", href=home_path(signed_in()), className="brand"),
                    html.Span("Interpersonal inventory, session by session", className="tagline"),
                    *user_bar(),
                ],
                className="topbar",
            ),
            html.Div(id=ids.ERROR, role="alert", className="message error"),
            dash.page_container,
        ],
        className="shell",
    )
