"""The one piece of server state a request needs: the app's store.

:func:`dashboards.app.create_app` puts the open
:class:`~ipt_network.io.store.Store` in the Flask config of its server; page
layouts and callbacks fetch it with :func:`current_store` while serving a
request. Nothing else is kept between requests: every view reads the store.

Examples
--------
>>> STORE_KEY
'IPT_NETWORK_STORE'
"""

from __future__ import annotations

from typing import Final

import flask

from ipt_network.io.store import Store

__all__ = ["STORE_KEY", "current_store"]

#: The Flask config key holding the app's store.
STORE_KEY: Final = "IPT_NETWORK_STORE"


def current_store() -> Store:
    """The store of the app serving the current request.

    Raises
    ------
    RuntimeError
        Outside a request of an app made by :func:`dashboards.app.create_app`.
    """
    store = flask.current_app.config.get(STORE_KEY)
    if not isinstance(store, Store):
        raise RuntimeError("this app has no store; build it with dashboards.app.create_app")
    return store
