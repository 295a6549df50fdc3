"""Commands that start the therapist's dashboard: demo and serve.

The dashboard listens on this computer only (127.0.0.1) with debug off.
``serve --auth`` requires signing in for every page and callback
(:mod:`dashboards.auth`); only then, and only over TLS, may it listen on
another address: with ``--cert`` and ``--key`` (it serves https itself), or
with ``--behind-proxy`` behind a reverse proxy that serves https and whose
``X-Forwarded-*`` headers it then trusts, from the proxy's own address only
(``--proxy-address``, default this computer). Anything else is refused, in one
sentence naming the options to add. The demo
always stays on this computer. Request logs are silenced; addresses hold
client ids only, never names or scores. The server names itself
``ipt-network`` in its ``Server`` header, without software versions; the app
itself checks the Host header and sends security headers
(:mod:`dashboards.security`).

Examples
--------
>>> check_host("localhost")
'localhost'
>>> check_host("0.0.0.0", auth=True, tls=True)
'0.0.0.0'
>>> check_host("0.0.0.0", auth=True)
Traceback (most recent call last):
...
click.exceptions.BadParameter: --auth beyond this computer needs TLS: give --cert and --key, or --behind-proxy behind a reverse proxy that serves https.
"""  # noqa: E501

from __future__ import annotations

import logging
import signal
import ssl
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ipt_network.cli._common import db_option, errors_as_messages, open_store
from ipt_network.errors import IPTNetworkError

if TYPE_CHECKING:
    from dash import Dash

__all__ = [
    "demo_cmd",
    "serve_cmd",
    "check_host",
    "tls_context",
    "LOOPBACK",
    "WILDCARDS",
    "DEFAULT_PORT",
]

#: The only addresses the dashboard listens on.
LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")
#: Addresses that mean every network interface (no host name to check).
WILDCARDS: Final = ("0.0.0.0", "::")
DEFAULT_PORT: Final = 8050


def check_host(host: str, *, auth: bool = False, tls: bool = False) -> str:
    """``host`` when it is a loopback address, or with sign-in and TLS; else a clear refusal.

    Parameters
    ----------
    host : str
        The address to listen on.
    auth : bool
        Sign-in is required (``--auth``).
    tls : bool
        Served over TLS: ``--cert/--key``, or ``--behind-proxy``.

    Raises
    ------
    click.BadParameter
        For any address other than 127.0.0.1, localhost or ::1, unless both
        ``auth`` and ``tls``; one sentence naming the options to add.
    """
    cleaned = host.strip().lower()
    if cleaned in LOOPBACK or (auth and tls):
        return cleaned
    if auth:
        message = (
            "--auth beyond this computer needs TLS: give --cert and --key, "
            "or --behind-proxy behind a reverse proxy that serves https."
        )
    else:
        message = (
            "without --auth the dashboard listens only on this computer "
            "(127.0.0.1, localhost or ::1): to serve other machines, add --auth "
            "and TLS (--cert and --key, or --behind-proxy)."
        )
    raise click.BadParameter(message, param_hint="--host")


def _demo_host(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value.strip().lower() not in LOOPBACK:
        raise click.BadParameter(
            "the demo listens only on this computer (127.0.0.1, localhost or ::1): "
            "to serve other machines, use `ipt-network serve --auth` with TLS.",
            param_hint="--host",
        )
    return value.strip().lower()


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 or later) from a certificate and its private key.

    Raises
    ------
    click.BadParameter
        When the files are not a PEM certificate chain and its matching key.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise click.BadParameter(
            "could not load the certificate and key: give a PEM certificate (chain) "
            "with --cert and its private key, unencrypted, with --key.",
            param_hint="--cert/--key",
        ) from exc
    return context


def _address(host: str, port: int, *, https: bool = False) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if https else 'http'}://{shown}:{port}/"


def _stop_once(*_: object) -> None:
    """Leave on the first SIGTERM, ignoring repeats while the store closes."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(0)


def _serve(app: Dash, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
    """Run the app in the foreground, debug off, without request logs or version banner."""
    from dashboards.security import QuietRequestHandler

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        app.run(
            host=host,
            port=port,
            debug=False,
            request_handler=QuietRequestHandler,
            ssl_context=tls,
        )
    except OSError as exc:
        if isinstance(exc, IPTNetworkError):  # an access error is a PermissionError
            raise
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
    callback=_demo_host,
    help="The address to listen on. Only this computer is allowed "
    "(127.0.0.1, localhost or ::1): the demo has no sign-in.",
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
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Only this computer (127.0.0.1, localhost or ::1) "
    "unless --auth and TLS (--cert/--key or --behind-proxy) are given; 0.0.0.0 is "
    "every network interface.",
)
@click.option(
    "--auth",
    is_flag=True,
    help="Require signing in for every page (users made with `ipt-network users add`). "
    "Each user sees what their role allows: a therapist their own clients, a "
    "researcher the cohort page only.",
)
@click.option(
    "--idle-minutes",
    type=click.IntRange(1, 24 * 60),
    # The default is dashboards.auth.DEFAULT_IDLE_MINUTES (a test checks this text names it).
    help="With --auth: minutes without a click after which a user must sign in again "
    "(default: 15).",
)
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False),
    help="Serve https with this PEM certificate (chain); needs --key.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False),
    help="The private key of --cert (PEM, unencrypted; keep it readable by you only).",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Served behind one reverse proxy that serves https (nginx, Caddy): trust its "
    "X-Forwarded-For/-Proto/-Host headers, from the proxy only, and refuse requests "
    "that did not come over https. Needs --auth.",
)
@click.option(
    "--proxy-address",
    "proxy_addresses",
    multiple=True,
    metavar="IP",
    help="With --behind-proxy: the IP address the proxy sends from (repeatable; default "
    "this computer, 127.0.0.1 and ::1); requests from any other sender are refused.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A host name the dashboard answers to besides this computer's, such as the "
    "name in the proxy's or certificate's address (repeatable).",
)
def serve_cmd(
    db: str | None,
    port: int,
    host: str,
    auth: bool,
    idle_minutes: int | None,
    cert: str | None,
    key: str | None,
    behind_proxy: bool,
    proxy_addresses: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
) -> None:
    """Open the dashboard on your store: client list, maps, recording sessions, the cohort.

    Sessions recorded in the dashboard are saved to the store given by --db.
    The pages: / (the client list), /client/ID (one client's course),
    /client/ID/record (recording the next session) and /cohort (every client
    together: PHQ-9 by problem area and network change, with filters).
    Open the address it prints in your web browser; stop with Ctrl+C.

    A store with users is served with --auth only: everyone signs in, and
    sees what their role allows. Other machines may reach the dashboard only
    with --auth and TLS: --cert and --key, or --behind-proxy behind a reverse
    proxy that serves https.
    """
    from dashboards.app import create_app
    from dashboards.auth import DEFAULT_IDLE_MINUTES
    from dashboards.security import PROXY_ADDRESSES

    if idle_minutes is not None and not auth:
        raise click.UsageError("--idle-minutes is for signed-in sessions: add --auth.")
    idle_minutes = idle_minutes or DEFAULT_IDLE_MINUTES
    if (cert is None) != (key is None):
        raise click.UsageError(
            "give --cert and --key together: the certificate and its private key."
        )
    if behind_proxy and not auth:
        raise click.UsageError("--behind-proxy opens the dashboard to others: add --auth.")
    if proxy_addresses and not behind_proxy:
        raise click.UsageError("--proxy-address names the reverse proxy: add --behind-proxy.")
    tls = tls_context(cert, key) if cert is not None and key is not None else None
    host = check_host(host, auth=auth, tls=tls is not None or behind_proxy)
    names = list(allowed_hosts)
    if host not in LOOPBACK and host not in WILDCARDS:
        names.append(host)
    # Users sign in per request in the browser, never with --user.
    store = open_store(db, write=True, sign_in=False)
    try:
        with errors_as_messages():
            has_users = store.has_users()
        if auth and not has_users:
            raise click.ClickException(
                "--auth needs users, and this store has none: add an admin first with "
                "`ipt-network users add NAME --role admin`."
            )
        if has_users and not auth:
            raise click.ClickException(
                "this store has users, so it is served with sign-in only: add --auth."
            )
        with errors_as_messages():
            app = create_app(
                store,
                auth=auth,
                idle_minutes=idle_minutes,
                allowed_hosts=names,
                tls=tls is not None,
                behind_proxy=behind_proxy,
                proxy_addresses=proxy_addresses or PROXY_ADDRESSES,
            )
        click.echo(
            f"Open {_address(host, port, https=tls is not None)} in your browser. "
            "Press Ctrl+C to stop."
        )
        if auth:
            click.echo(f"Sign-in required; sessions end after {idle_minutes} idle minutes.")
        _serve(app, host, port, tls)
    finally:
        store.close()
