"""The dashboard server's defences: the Host check, security headers, callback shapes.

:func:`install` wires three things into the Flask server of a Dash app; the
app factory :func:`dashboards.app.create_app` calls it.

The Host check
    Every request must name one of the loopback names the dashboard serves
    (``127.0.0.1``, ``localhost``, ``[::1]``, any port), or one of the names
    given to :func:`install` (``serve --allowed-host``), in its ``Host``
    header, as Django's ``ALLOWED_HOSTS`` does; anything else gets a short
    400. This stops DNS rebinding: a page on another site whose name was
    re-pointed at 127.0.0.1 still sends its own name as the Host. A request
    that changes something (a POST) that carries an ``Origin`` must come from
    the very origin it is sent to. A path with control characters is refused.

Behind a reverse proxy (``serve --behind-proxy``)
    Werkzeug's :class:`~werkzeug.middleware.proxy_fix.ProxyFix` takes the
    client's address, the scheme and the host from the proxy's
    ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host``
    (one proxy: the last value of each), and every request must have come
    to the proxy over https (``X-Forwarded-Proto: https``); one that did not
    gets a 400. The headers are trusted from the proxy only: a request whose
    own sender is not one of the proxy's addresses (:data:`PROXY_ADDRESSES`
    by default, a proxy on this computer; ``serve --proxy-address``) gets a
    403, whatever headers it carries. Without ``--behind-proxy`` these
    headers are ignored.

Security headers
    Over TLS (``serve --cert/--key``, or an https proxy) every response also
    carries ``Strict-Transport-Security`` (:data:`HSTS`). Every response
    carries a Content-Security-Policy (scripts only from the server and the
    hashes of Dash's own inline scripts, computed by
    :meth:`dash.Dash.csp_hashes`), ``frame-ancestors 'none'`` with
    ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, a
    ``Referrer-Policy`` of ``same-origin`` (addresses hold client ids: they
    never leave for another site; ``no-referrer`` would make browsers send
    ``Origin: null`` with the sign-in form, which the origin check refuses), and
    cross-origin isolation of the window and of its resources. Every response
    but the static files (the stylesheet and Dash's scripts, which hold no
    client data) carries ``Cache-Control: no-store``.

Callback shapes
    The body of a ``_dash-update-component`` request is untrusted JSON. It
    must be an object naming a registered callback, its outputs, and its
    inputs and state in order, each with the id and property the callback
    declares, and the changed ids must be among its inputs; values are
    bounded in size and depth. Anything else is a 400 (415 when it is not
    JSON, 413 when it is too large) before Dash sees it, so a malformed
    request never becomes a 500 inside Dash. The values themselves reach the
    callbacks, which check them (:mod:`dashboards.callbacks`).

Examples
--------
>>> host_name("LOCALHOST:8050"), host_name("[::1]:8050"), host_name("127.0.0.1")
('localhost', '::1', '127.0.0.1')
>>> allowed_host("evil.example:8050"), allowed_host("localhost.:58050")
(False, True)
>>> "frame-ancestors 'none'" in content_security_policy(["'sha256-abc='"])
True
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import dash
import flask
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

from ipt_network.errors import BadArgument

__all__ = [
    "LOOPBACK_HOSTS",
    "PROXY_ADDRESSES",
    "HSTS",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "STATIC_PREFIXES",
    "SECURITY_HEADERS",
    "SERVER_NAME",
    "QuietRequestHandler",
    "host_name",
    "allowed_host",
    "same_origin",
    "content_security_policy",
    "callback_problem",
    "install",
]

#: The names the dashboard answers to, with any port: it listens on this computer only.
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
#: The addresses a reverse proxy is trusted from by default: this computer.
PROXY_ADDRESSES: Final = frozenset({"127.0.0.1", "::1"})
#: The ``Strict-Transport-Security`` header sent over TLS: https only, for a year.
HSTS: Final = "max-age=31536000"
#: The largest request body accepted (a recorded session is a few kilobytes).
MAX_BODY_BYTES: Final = 1024 * 1024
#: How deeply a value sent to a callback may nest lists and objects.
MAX_DEPTH: Final = 16
#: How many components one pattern-matching input may list.
MAX_ITEMS: Final = 2000
#: Paths of static files; they hold no client data and may be cached.
STATIC_PREFIXES: Final = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
#: What the server calls itself in the ``Server`` header: no software or version.
SERVER_NAME: Final = "ipt-network"
#: Headers sent on every response (with the CSP and, but for static files, no-store).
SECURITY_HEADERS: Final = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_CALLBACK_ROUTE: Final = "_dash-update-component"
_CONTROL: Final = frozenset(chr(c) for c in [*range(32), 127])
_WILDCARDS: Final = (["ALL"], ["ALLSMALLER"], ["MATCH"])
_LISTED_WILDCARDS: Final = (["ALL"], ["ALLSMALLER"])

# Dash's own routing callback (use_pages) passes these straight to its router,
# which fails on anything but a path string; our callbacks check their values.
_PAGES_LOCATION: Final = "_pages_location"


# --------------------------------------------------------------------------- the Host check


def host_name(header: str) -> str | None:
    """The name in a ``Host`` header: lower case, without port or final dot.

    Returns None for a header that is not a name with an optional numeric
    port (an IPv6 address must be in brackets).

    Examples
    --------
    >>> host_name("Example.org:443"), host_name("[::1]"), host_name("localhost:")
    ('example.org', '::1', None)
    >>> host_name("::1"), host_name("127.0.0.1:80x"), host_name(""), host_name("[::1]x")
    (None, None, None, None)
    """
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, rest = header[1:].partition("]")
        if not bracket:
            return None
    else:
        name, colon, port = header.partition(":")
        rest = colon + port
    if rest:
        port = rest.removeprefix(":")
        if rest == port or not port.isascii() or not port.isdigit() or len(port) > 5:
            return None
    return name.removesuffix(".") or None


def allowed_host(header: str | None, hosts: Collection[str] = LOOPBACK_HOSTS) -> bool:
    """Whether a ``Host`` header names one of ``hosts`` (default :data:`LOOPBACK_HOSTS`).

    Examples
    --------
    >>> [allowed_host(h) for h in ("127.0.0.1:8050", "[::1]:1", "rebound.example", None)]
    [True, True, False, False]
    >>> allowed_host("IPT.example.org:443", {"ipt.example.org"})
    True
    """
    return header is not None and host_name(header) in hosts


def same_origin(origin: str, host: str) -> bool:
    """Whether an ``Origin`` header is the http(s) origin of the ``Host`` it is sent to.

    Examples
    --------
    >>> same_origin("http://localhost:8050", "localhost:8050")
    True
    >>> same_origin("http://localhost:9999", "localhost:8050"), same_origin("null", "localhost")
    (False, False)
    """
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def _refusal(status: int, text: str) -> flask.Response:
    return flask.Response(text + "\n", status=status, mimetype="text/plain")


def _check_request(
    hosts: frozenset[str], *, proxies: frozenset[str] | None
) -> Callable[[], flask.Response | None]:
    """Refuse a request for a host we do not serve, a foreign POST, a path with controls.

    With ``proxies`` (behind a proxy) also refuse one not sent by one of these
    addresses, and one that did not come to the proxy over https.
    """
    if hosts == LOOPBACK_HOSTS:
        answer = "127.0.0.1, localhost or [::1]"
    else:
        answer = ", ".join(f"[{h}]" if ":" in h else h for h in sorted(hosts))

    def check() -> flask.Response | None:
        if proxies is not None:
            sender = flask.request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
            if _address(sender) not in proxies:
                return _refusal(403, "Forbidden: this dashboard is served through its proxy only.")
            if flask.request.scheme != "https":
                return _refusal(400, "Bad request: this dashboard is served over https only.")
        return _check_host_origin_path(hosts, answer)

    return check


def _address(text: Any) -> str | None:
    """An IP address in its standard form (``::ffff:127.0.0.1`` is ``127.0.0.1``); None if not one.

    Examples
    --------
    >>> _address("::FFFF:127.0.0.1"), _address("0:0::1"), _address("proxy.local")
    ('127.0.0.1', '::1', None)
    """
    try:
        address = ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def _check_host_origin_path(hosts: frozenset[str], answer: str) -> flask.Response | None:
    request = flask.request
    host = request.headers.get("Host")
    if not allowed_host(host, hosts):
        return _refusal(400, f"Bad request: this dashboard answers only to {answer}.")
    origin = request.headers.get("Origin")
    changes = request.method not in ("GET", "HEAD", "OPTIONS")
    if changes and origin is not None and not same_origin(origin, host or ""):
        return _refusal(403, "Forbidden: the request comes from another site.")
    if any(c in _CONTROL for c in request.path):
        return _refusal(400, "Bad request: the address has control characters.")
    return None


# --------------------------------------------------------------------------- headers


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """The Content-Security-Policy: everything from this server, inline scripts by hash.

    Scripts run only from this server and, inline, only Dash's own (its
    renderer and the page-title callback), named by the hashes ``script_hashes``
    of :meth:`dash.Dash.csp_hashes`. Styles must allow ``'unsafe-inline'``:
    Dash's renderer, its core components and Plotly write ``<style>`` elements
    at run time and set ``style`` attributes, which no hash can name (in headless
    Chromium the pages log 17 distinct style violations without it). Images,
    fonts and requests fall back to ``default-src 'self'``.

    Examples
    --------
    >>> content_security_policy(["'sha256-x'"]).split("; ")[:2]
    ["default-src 'self'", "script-src 'self' 'sha256-x'"]
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def _add_headers(app: dash.Dash, *, tls: bool) -> Callable[[flask.Response], flask.Response]:
    def add(response: flask.Response) -> flask.Response:
        response.headers["Content-Security-Policy"] = content_security_policy(app.csp_hashes())
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if tls:
            response.headers["Strict-Transport-Security"] = HSTS
        if not flask.request.path.startswith(STATIC_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    return add


# --------------------------------------------------------------------------- callback shapes


def _clean(prop: str) -> str:
    return prop.split("@", 1)[0]


def _id_matches(declared: str, sent: Any) -> bool:
    """Whether a sent component id fits a declared one (a string, or a pattern's JSON)."""
    if not declared.startswith("{"):
        return isinstance(sent, str) and sent == declared
    pattern = json.loads(declared)
    if not isinstance(sent, dict) or set(sent) != set(pattern):
        return False
    for key, want in pattern.items():
        got = sent[key]
        if want in _WILDCARDS:
            if not isinstance(got, str | int | float) or isinstance(got, bool):
                return False
        elif got != want:
            return False
    return True


def _is_listed(declared: str) -> bool:
    """Whether a declared id is a pattern sent as a list of components (ALL, ALLSMALLER)."""
    return declared.startswith("{") and any(
        v in _LISTED_WILDCARDS for v in json.loads(declared).values()
    )


def _value_problem(value: Any) -> str | None:
    """What is wrong with a sent value: nesting past MAX_DEPTH, or text with lone surrogates."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return "has text that is not valid Unicode"
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return "nests too deeply"
            children = [*item, *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _string_id(component_id: Any) -> str:
    """An id as Dash writes it in a prop id: a string, or sorted JSON of a pattern id."""
    if isinstance(component_id, dict):
        return (
            "{"
            + ",".join(
                f"{json.dumps(k)}:{json.dumps(component_id[k])}" for k in sorted(component_id)
            )
            + "}"
        )
    return str(component_id)


def _path_value(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/") and not (_CONTROL & set(value))


def _search_value(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not (_CONTROL & set(value)))


#: Value checks for the inputs of Dash's own callbacks, by (component id, property).
_VALUE_CHECKS: Final[Mapping[tuple[str, str], Callable[[Any], bool]]] = {
    (_PAGES_LOCATION, "pathname"): _path_value,
    (_PAGES_LOCATION, "search"): _search_value,
}


def _item_problem(declared: Mapping[str, str], item: Any, where: str, *, value: bool) -> str | None:
    """What is wrong with one sent ``{id, property[, value]}`` (None when it fits)."""
    if not isinstance(item, dict):
        return f"{where} must be an object"
    if not _id_matches(declared["id"], item.get("id")):
        return f"{where} has the wrong id"
    if not isinstance(item.get("property"), str) or _clean(item["property"]) != _clean(
        declared["property"]
    ):
        return f"{where} has the wrong property"
    if value:
        problem = _value_problem(item.get("value"))
        if problem:
            return f"{where} {problem}"
        check = _VALUE_CHECKS.get((declared["id"], declared["property"]))
        if check is not None and not check(item.get("value")):
            return f"{where} has a value of the wrong type"
    return None


def _slots_problem(
    declared: Sequence[Mapping[str, str]], sent: Any, name: str, *, value: bool
) -> str | None:
    """What is wrong with the sent list of one kind of dependency (None when it fits)."""
    if sent is None and not declared and name == "state":
        return None
    if not isinstance(sent, list) or len(sent) != len(declared):
        return f"{name} must be a list of {len(declared)}"
    for i, (want, got) in enumerate(zip(declared, sent, strict=True)):
        where = f"{name}[{i}]"
        if _is_listed(want["id"]):
            if not isinstance(got, list) or len(got) > MAX_ITEMS:
                return f"{where} must be a list of components"
            problems = (_item_problem(want, g, where, value=value) for g in got)
            problem = next((p for p in problems if p), None)
        else:
            problem = _item_problem(want, got, where, value=value)
        if problem:
            return problem
    return None


def _declared_outputs(output: str) -> list[dict[str, str]]:
    """The outputs named by a callback's key, as ``{id, property}``."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]


def _prop_ids(items: list[Any]) -> set[str]:
    flat = [i for item in items for i in (item if isinstance(item, list) else [item])]
    return {f"{_string_id(i['id'])}.{i['property']}" for i in flat}


def callback_problem(callback_map: Mapping[str, Any], body: Any) -> str | None:
    """What is wrong with a callback request's body, or None when it fits its callback.

    Parameters
    ----------
    callback_map : mapping
        The app's :attr:`dash.Dash.callback_map`.
    body : any
        The parsed JSON body of a ``_dash-update-component`` request.

    Returns
    -------
    str or None
        A short description naming the part that is wrong (never a sent value).

    Examples
    --------
    >>> cmap = {"out.children": {"inputs": [{"id": "in", "property": "value"}], "state": [],
    ...                          "callback": print}}
    >>> good = {"output": "out.children", "outputs": {"id": "out", "property": "children"},
    ...         "inputs": [{"id": "in", "property": "value", "value": 1}],
    ...         "changedPropIds": ["in.value"]}
    >>> callback_problem(cmap, good) is None
    True
    >>> callback_problem(cmap, {**good, "inputs": [{"id": "x", "property": "value"}]})
    'inputs[0] has the wrong id'
    >>> callback_problem(cmap, [1, 2])
    'the body must be a JSON object'
    """
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "output names no callback"
    spec = callback_map[output]
    if not callable(spec.get("callback")):
        return "output names a callback that runs in the browser"
    outputs = _declared_outputs(output)
    sent_outputs = body.get("outputs")
    if not output.startswith(".."):
        sent_outputs = [sent_outputs]
    problem = _slots_problem(outputs, sent_outputs, "outputs", value=False)
    problem = problem or _slots_problem(spec["inputs"], body.get("inputs"), "inputs", value=True)
    problem = problem or _slots_problem(spec["state"], body.get("state"), "state", value=True)
    if problem:
        return problem
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    if not set(changed) <= _prop_ids(body["inputs"]):
        return "changedPropIds names a property that is not an input"
    return None


def _check_callback(app: dash.Dash) -> Callable[[], flask.Response | None]:
    route = app.config.routes_pathname_prefix + _CALLBACK_ROUTE

    def check() -> flask.Response | None:
        request = flask.request
        if request.path != route or request.method != "POST":
            return None
        if not request.is_json:
            return _refusal(415, "Unsupported media type: a callback request is JSON.")
        try:
            body = request.get_json()
        except (BadRequest, ValueError, RecursionError):
            return _refusal(400, "Bad request: the body is not valid JSON.")
        problem = callback_problem(app.callback_map, body)
        if problem:
            return _refusal(400, f"Bad callback request: {problem}.")
        return None

    return check


# --------------------------------------------------------------------------- serving


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without its banner: ``Server: ipt-network``.

    Werkzeug names itself and the Python version in the ``Server`` header of
    every response; pass this class as ``request_handler`` to
    :meth:`dash.Dash.run` (which hands it to :func:`werkzeug.serving.run_simple`).

    Examples
    --------
    >>> QuietRequestHandler.version_string(None)  # type: ignore[arg-type]
    'ipt-network'
    """

    @property
    def server_version(self) -> str:  # type: ignore[override]
        """The name given to the application (``SERVER_SOFTWARE``)."""
        return SERVER_NAME

    def version_string(self) -> str:
        """The ``Server`` header."""
        return SERVER_NAME


# --------------------------------------------------------------------------- installing


def install(
    app: dash.Dash,
    *,
    allowed_hosts: Iterable[str] = (),
    tls: bool = False,
    behind_proxy: bool = False,
    proxy_addresses: Iterable[str] = PROXY_ADDRESSES,
) -> None:
    """Wire the Host check, the callback shape check and the security headers into ``app``.

    The Host check runs before any other request hook (Dash's own included).

    Parameters
    ----------
    app : dash.Dash
        The app.
    allowed_hosts : iterable of str
        Host names served besides :data:`LOOPBACK_HOSTS` (``serve --allowed-host``).
    tls : bool
        Served over TLS: send ``Strict-Transport-Security``.
    behind_proxy : bool
        Served behind one reverse proxy: trust its ``X-Forwarded-*`` headers
        and refuse requests that did not come to it over https (HSTS is sent).
    proxy_addresses : iterable of str
        With ``behind_proxy``: the IP addresses the proxy sends from
        (default :data:`PROXY_ADDRESSES`, this computer); requests from any
        other sender are refused.

    Raises
    ------
    BadArgument
        When an allowed host is not a host name, or a proxy address not an IP address.
    """
    names = set(LOOPBACK_HOSTS)
    for given in allowed_hosts:
        name = host_name(given if given.count(":") < 2 else f"[{given.strip('[]')}]")
        if name is None:
            raise BadArgument(f"{given!r} is not a host name (give a name or an address)")
        names.add(name)
    proxies = None
    if behind_proxy:
        proxies = frozenset(_address(a) or "" for a in proxy_addresses)
        if "" in proxies or not proxies:
            raise BadArgument("a proxy address is the IP address the proxy sends from")
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if behind_proxy:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1, x_host=1)
    hooks = server.before_request_funcs.setdefault(None, [])
    hooks.insert(0, _check_request(frozenset(names), proxies=proxies))
    server.before_request(_check_callback(app))
    server.after_request(_add_headers(app, tls=tls or behind_proxy))
