"""The dashboard's pages, registered with path templates by :func:`register`.

==============================  ============================================
path                            page
==============================  ============================================
``/``                           the client list (:mod:`.clients`)
``/cohort``                     every client together (:mod:`.cohort`)
``/client/<client_id>``         one client's course (:mod:`.client`)
``/client/<client_id>/record``  recording the next session (:mod:`.record`)
==============================  ============================================

Examples
--------
>>> [p for _, p in PAGES]
['/', '/cohort', '/client/<client_id>/record', '/client/<client_id>']
"""

from __future__ import annotations

from typing import Final

import dash

from dashboards.pages import client, clients, cohort, record

__all__ = ["PAGES", "register"]

#: (module, path template) of every page. A module's ``layout()`` called with
#: no argument has every component and no data (for the app's validation
#: layout). The longer template comes first: Dash tries them in ``order``
#: and ``<client_id>`` would also match ``x/record``.
PAGES: Final = (
    (clients, "/"),
    (cohort, "/cohort"),
    (record, "/client/<client_id>/record"),
    (client, "/client/<client_id>"),
)


def register() -> None:
    """Register every page with Dash; call after making a ``Dash(use_pages=True)`` app."""
    for order, (module, path) in enumerate(PAGES):
        template = path if "<" in path else None
        dash.register_page(
            module.__name__,
            path=None if template else path,
            path_template=template,
            name=module.NAME,
            order=order,
            title=module.NAME,
            layout=module.layout,
        )
