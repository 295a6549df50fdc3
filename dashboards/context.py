"""Server state of the dashboard: the app's store, and one client's course per store revision.

:func:`dashboards.app.create_app` puts the open
:class:`~ipt_network.io.store.Store` in the Flask config of its server; page
layouts and callbacks fetch it with :func:`current_store` while serving a
request.

A slider step must not re-read a client's seven tables nor recompute what does
not depend on the session. :func:`client_context` keeps, per store, the last
few clients asked for (:data:`MAX_CLIENTS`, least recently used dropped first),
each as a :class:`ClientContext`: the client's
:class:`~ipt_network.io.inventory.Inventory` read once, and every panel built
from it (:meth:`ClientContext.once`). A context is keyed by the store's
revision (:attr:`ipt_network.io.store.Store.revision`), which every write
transaction bumps, from this process or another: the next request after a
write reads the client again. Reading the revision is one small query.

Examples
--------
>>> import os, tempfile
>>> from ipt_network import Store, load_samples
>>> store = Store.create(os.path.join(tempfile.mkdtemp(), "ipt.db"))
>>> _ = store.import_inventory(load_samples().for_clients(["grief-01"]))
>>> ctx = client_context(store, "grief-01")
>>> client_context(store, "grief-01") is ctx  # same revision: the same context
True
>>> ctx.once("sessions", lambda: len(ctx.sessions))
14
>>> store.set_setting("region", "uk")  # any write bumps the revision
>>> client_context(store, "grief-01") is ctx
False
>>> store.close()
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, TypeVar

import flask

from ipt_network.errors import StoreError
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store

__all__ = [
    "STORE_KEY",
    "ACTOR_KEY",
    "MAX_CLIENTS",
    "MAX_PANELS",
    "current_store",
    "ClientContext",
    "client_context",
]

#: The Flask config key holding the app's store.
STORE_KEY: Final = "IPT_NETWORK_STORE"
#: The key in :data:`flask.g` of the request's signed-in user (set by :mod:`dashboards.auth`).
ACTOR_KEY: Final = "ipt_network_actor"
#: Clients kept per store (a therapist looks at one client at a time).
MAX_CLIENTS: Final = 4
#: Panels kept per client: the session-independent ones, and a map and the problem
#: areas per session shown (a course of 40 sessions fits twice over).
MAX_PANELS: Final = 128

T = TypeVar("T")


def current_store() -> Store:
    """The store of the app serving the current request, as its signed-in user sees it.

    With sign-in on (:mod:`dashboards.auth`), the app's store acting as the
    request's user (:meth:`~ipt_network.io.store.Store.acting_as`): a
    therapist reads and writes their own clients only. Without a signed-in
    user, the app's store itself, which refuses client data when the store
    has users (:class:`~ipt_network.errors.SignInRequired`).

    Raises
    ------
    StoreError
        Outside a request of an app made by :func:`dashboards.app.create_app`.
    """
    store = flask.current_app.config.get(STORE_KEY)
    if not isinstance(store, Store):
        raise StoreError("this app has no store; build it with dashboards.app.create_app")
    actor = flask.g.get(ACTOR_KEY)
    return store if actor is None else store.acting_as(actor)


class ClientContext:
    """One client's tables at one store revision, and the panels built from them.

    Parameters
    ----------
    client_id : str
        The client.
    revision : int
        The store revision the tables were read at.
    inventory : Inventory
        The client's tables.
    """

    def __init__(self, client_id: str, revision: int, inventory: Inventory) -> None:
        self.client_id = client_id
        self.revision = revision
        self.inventory = inventory
        #: The client's session numbers, in order.
        self.sessions: list[int] = inventory.sessions_of(client_id)
        self._panels: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.RLock()

    def once(self, key: Hashable, build: Callable[[], T]) -> T:
        """The panel ``key``, built by ``build()`` the first time it is asked for.

        Builds run one at a time per client (a build may ask for another
        panel), so two requests arriving together build a panel once. At most
        :data:`MAX_PANELS` panels are kept, the least recently used dropped first.
        """
        with self._lock:
            if key in self._panels:
                self._panels.move_to_end(key)
                return self._panels[key]  # type: ignore[return-value]
            value = build()
            self._panels[key] = value
            while len(self._panels) > MAX_PANELS:
                self._panels.popitem(last=False)
            return value


class _Clients:
    """The contexts of one store, least recently used first."""

    def __init__(self) -> None:
        self.contexts: OrderedDict[str, ClientContext] = OrderedDict()
        self.lock = threading.Lock()


_STORES: weakref.WeakKeyDictionary[Store, _Clients] = weakref.WeakKeyDictionary()
_STORES_LOCK: Final = threading.Lock()


def client_context(store: Store, client_id: str) -> ClientContext:
    """The context of ``client_id`` at the store's current revision.

    The revision is read before the tables, so a write landing in between
    leaves a context that the next request replaces, never a stale one kept.

    Raises
    ------
    ClientNotFound
        When the client is not in the store.
    """
    with _STORES_LOCK:
        clients = _STORES.get(store)
        if clients is None:
            clients = _STORES[store] = _Clients()
    revision = store.revision
    with clients.lock:
        found = clients.contexts.get(client_id)
        if found is not None and found.revision == revision:
            clients.contexts.move_to_end(client_id)
            return found
    context = ClientContext(client_id, revision, store.inventory([client_id]))
    with clients.lock:
        clients.contexts[client_id] = context
        clients.contexts.move_to_end(client_id)
        while len(clients.contexts) > MAX_CLIENTS:
            clients.contexts.popitem(last=False)
    return context
