"""Commands that start the therapist's dashboard: demo and serve.

The dashboard listens on this computer only (127.0.0.1) with debug off. It
refuses any other address: reaching it from another machine would need
authentication, which the dashboard does not have yet. Request logs are
silenced; addresses hold client ids only, never names or scores. The server
names itself ``ipt-network`` in its ``Server`` header, without software
versions; the app itself checks the Host header and sends security headers
(:mod:`dashboards.security`).

Examples
--------
>>> check_host("localhost")
'localhost'
>>> check_host("0.0.0.0")
Traceback (most recent call last):
...
click.exceptions.BadParameter: the dashboard only listens on this computer (127.0.0.1, localhost or ::1). Serving it to other machines needs authentication, which ipt-network does not have yet.
"""  # noqa: E501

from __future__ import annotations

import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ipt_network.cli._common import db_option, errors_as_messages, open_store

if TYPE_CHECKING:
    from dash import Dash

__all__ = ["demo_cmd", "serve_cmd", "check_host", "LOOPBACK", "DEFAULT_PORT"]

#: The only addresses the dashboard listens on.
LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT: Final = 8050


def check_host(host: str) -> str:
    """``host`` when it is a loopback address; otherwise a clear refusal.

    Raises
    ------
    click.BadParameter
        For any address other than 127.0.0.1, localhost or ::1.
    """
    if host.strip().lower() not in LOOPBACK:
        raise click.BadParameter(
            "the dashboard only listens on this computer (127.0.0.1, localhost or ::1). "
            "Serving it to other machines needs authentication, which ipt-network "
            "does not have yet.",
            param_hint="--host",
        )
    return host.strip().lower()


def _host(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    return check_host(value)


def _address(host: str, port: int) -> str:
    shown = "[::1]" if host == "::1" else host
    return f"http://{shown}:{port}/"


def _stop_once(*_: object) -> None:
    """Leave on the first SIGTERM, ignoring repeats while the store closes."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(0)


def _serve(app: Dash, host: str, port: int) -> None:
    """Run the app in the foreground, debug off, without request logs or version banner."""
    from dashboards.security import QuietRequestHandler

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        app.run(host=host, port=port, debug=False, request_handler=QuietRequestHandler)
    except OSError as exc:
        raise click.ClickException(
            f"could not listen on port {port} ({exc.strerror or exc}); choose another with --port"
        ) from exc


_port_option = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="The port to listen on; choose another if this one is taken.",
)
_host_option = click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=_host,
    help="The address to listen on. Only this computer is allowed "
    "(127.0.0.1, localhost or ::1): the dashboard has no log-in yet.",
)


@click.command("demo")
@_port_option
@_host_option
def demo_cmd(port: int, host: str) -> None:
    """Look around the dashboard with the four fictional sample clients.

    The samples are copied into a temporary store that is deleted when you
    stop the demo (Ctrl+C), so the demo never changes anything of yours,
    and any session you record there is thrown away. Open the address it
    prints in your web browser.
    """
    from dashboards.app import create_app
    from ipt_network.io.samples import load_samples
    from ipt_network.io.store import Store

    # Stopped by a signal rather than Ctrl+C, still delete the temporary copy.
    previous = signal.signal(signal.SIGTERM, _stop_once)
    try:
        with tempfile.TemporaryDirectory(prefix="ipt-network-demo-") as tmp:
            with errors_as_messages():
                store = Store.create(Path(tmp) / "demo.db")
                n = store.import_inventory(load_samples())
            try:
                app = create_app(store)
                click.echo(f"ipt-network demo: {n} sample clients in a temporary store.")
                click.echo(f"Open {_address(host, port)} in your browser. Press Ctrl+C to stop.")
                _serve(app, host, port)
            finally:
                store.close()
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command("serve")
@db_option
@_port_option
@_host_option
def serve_cmd(db: str | None, port: int, host: str) -> None:
    """Open the dashboard on your store: client list, maps, recording sessions, the cohort.

    Sessions recorded in the dashboard are saved to the store given by --db.
    The pages: / (the client list), /client/ID (one client's course),
    /client/ID/record (recording the next session) and /cohort (every client
    together: PHQ-9 by problem area and network change, with filters).
    Open the address it prints in your web browser; stop with Ctrl+C.
    """
    from dashboards.app import create_app

    store = open_store(db, write=True)
    try:
        app = create_app(store)
        click.echo(f"Open {_address(host, port)} in your browser. Press Ctrl+C to stop.")
        _serve(app, host, port)
    finally:
        store.close()
