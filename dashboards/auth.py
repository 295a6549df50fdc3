"""Sign-in for the dashboard (``ipt-network serve --auth``).

:func:`install` puts a guard in front of every route of the app's Flask server
(Dash's pages, its ``_dash-layout``, ``_dash-dependencies`` and
``_dash-update-component``, its scripts, the assets, Flask's own ``/static``):

- an anonymous request for a page is sent to ``/login?next=<path>``; any other
  anonymous request gets a 401. The only things served without signing in are
  the sign-in form itself, its stylesheet and the icon (:data:`OPEN_PATHS`);
- the sign-in form is a plain HTML page (no script) with a CSRF token
  (Flask-WTF's :func:`~flask_wtf.csrf.generate_csrf`); a form without the token,
  or with a wrong one, is refused. The password is checked by
  :meth:`ipt_network.io.store.Store.sign_in` (Argon2);
- failed sign-ins are counted per user name and per address
  (:class:`FailedSignIns`): after :data:`MAX_USER_FAILURES` failures for one
  name, or :data:`MAX_ADDRESS_FAILURES` from one address, within
  :data:`FAILURE_WINDOW_MINUTES`, the form answers 429 without checking the
  password until the oldest failure leaves the window. A success clears its
  name's count, not its address's;
- a signed-in browser holds a random session id in Flask's signed session
  cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure`` when served over TLS
  or behind an https proxy), signed with a secret made per process: a
  restart signs everyone out. The server keeps the live ids
  (:class:`Sessions`): one idle for longer than the idle time (default
  :data:`DEFAULT_IDLE_MINUTES` minutes, ``serve --idle-minutes``) is ended,
  and signing out (``POST /logout`` with the CSRF token, the button in the
  top bar) ends it at once, so a copied cookie is worthless afterwards;
- on every request the user's current role is read again from the store
  (:meth:`~ipt_network.io.store.Store.member`): a removed user is out at once
  and a changed role applies on the next click;
- role rules for pages (:data:`ROLE_PAGES`): a researcher opens only
  ``/cohort`` (``/`` takes them there); any other page is a 403 page and any
  callback of another page a 403. A therapist's and an admin's limits are
  the store's own: the app's store is used through
  :meth:`~ipt_network.io.store.Store.acting_as` for the signed-in user
  (:func:`dashboards.context.current_store`), so a therapist's callbacks see
  their own clients only;
- an :class:`~ipt_network.errors.AccessError` raised while serving (a
  callback asking for what the role does not allow) is a 403 JSON answer,
  never a 500 (:func:`access_errors_first`).

Examples
--------
>>> clock = iter(range(0, 10_000, 60)).__next__  # a fake clock: one minute per call
>>> sessions = Sessions(idle_seconds=150, clock=clock)
>>> sid = sessions.start("ann")
>>> sessions.user(sid), sessions.user(sid)  # each request within the idle time
('ann', 'ann')
>>> _ = clock(), clock(), clock()  # three idle minutes
>>> sessions.user(sid) is None
True
>>> safe_next("/client/grief-01"), safe_next("//evil.example/"), safe_next("https://x.org")
('/client/grief-01', None, None)
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlsplit

import dash
import flask
from dash import html
from flask_wtf.csrf import generate_csrf, validate_csrf
from markupsafe import Markup, escape
from wtforms.validators import ValidationError

from dashboards.context import ACTOR_KEY, STORE_KEY
from ipt_network.errors import AccessError, BadArgument, SignInFailed, SignInRequired
from ipt_network.io.store import Store
from ipt_network.io.store._access import Actor
from ipt_network.views.theme import css_variables

__all__ = [
    "AUTH_KEY",
    "DEFAULT_IDLE_MINUTES",
    "MAX_USER_FAILURES",
    "MAX_ADDRESS_FAILURES",
    "FAILURE_WINDOW_MINUTES",
    "LOGIN_PATH",
    "LOGOUT_PATH",
    "OPEN_PATHS",
    "ROLE_PAGES",
    "Auth",
    "Sessions",
    "FailedSignIns",
    "PageRule",
    "safe_next",
    "home_path",
    "signed_in",
    "signed_in_user",
    "user_bar",
    "access_errors_first",
    "install",
]

#: The Flask config key holding the app's :class:`Auth` (absent when sign-in is off).
AUTH_KEY: Final = "IPT_NETWORK_AUTH"
#: Minutes without a request after which a session ends (``serve --idle-minutes``).
DEFAULT_IDLE_MINUTES: Final = 15
#: Failed sign-ins for one user name, within the window, after which the form waits.
MAX_USER_FAILURES: Final = 5
#: Failed sign-ins from one address (any names), within the window, after which it waits.
MAX_ADDRESS_FAILURES: Final = 20
#: How long a failed sign-in counts.
FAILURE_WINDOW_MINUTES: Final = 15
LOGIN_PATH: Final = "/login"
LOGOUT_PATH: Final = "/logout"
#: The paths served without signing in: the form, its stylesheet and the icon (no data).
OPEN_PATHS: Final = frozenset({LOGIN_PATH, "/assets/style.css", "/_favicon.ico"})
#: The name of the session cookie.
COOKIE_NAME: Final = "ipt_network_session"
#: The form field carrying the CSRF token (Flask-WTF's default name).
CSRF_FIELD: Final = "csrf_token"
#: Longest user name and password read from the form (longer ones are cut, then fail).
MAX_FIELD: Final = 1024

_CALLBACK_ROUTE: Final = "_dash-update-component"
_PAGES_CONTENT: Final = "_pages_content"  # Dash's page router writes this component
_PAGES_LOCATION: Final = "_pages_location"


@dataclass(frozen=True)
class PageRule:
    """What a role may open in the dashboard, when less than everything.

    Parameters
    ----------
    pages : tuple of str
        The page paths the role opens; the first is its home page.
    callback_modules : tuple of str
        The modules whose callbacks the role may call (those of its pages).
    """

    pages: tuple[str, ...]
    callback_modules: tuple[str, ...]

    @property
    def home(self) -> str:
        """The page a signed-in user of this role starts on."""
        return self.pages[0]


#: Roles limited to some pages. Roles not named open every page; what they see
#: there is limited by the store (a therapist: their own clients).
ROLE_PAGES: Final[dict[str, PageRule]] = {
    "researcher": PageRule(pages=("/cohort",), callback_modules=("dashboards.callbacks.cohort",)),
}


# --------------------------------------------------------------------------- state


class Sessions:
    """The signed-in sessions of one server process, by random id, with an idle limit.

    Parameters
    ----------
    idle_seconds : float
        A session with no request for longer than this ends.
    clock : callable, optional
        Seconds as a float (default :func:`time.monotonic`); tests pass a fake.
    """

    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._live: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def start(self, user: str) -> str:
        """A new session id for ``user`` (also drops every session already idle too long)."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            for old in [s for s, (_, seen) in self._live.items() if self._idle(seen, now)]:
                del self._live[old]
            self._live[sid] = (user, now)
        return sid

    def user(self, sid: Any) -> str | None:
        """The user of a live session, its idle time restarted; None when ended or idle."""
        if not isinstance(sid, str):
            return None
        with self._lock:
            found = self._live.get(sid)
            if found is None:
                return None
            now = self._clock()
            if self._idle(found[1], now):
                del self._live[sid]
                return None
            self._live[sid] = (found[0], now)
            return found[0]

    def end(self, sid: Any) -> None:
        """End a session (signing out); an unknown id is ignored."""
        if isinstance(sid, str):
            with self._lock:
                self._live.pop(sid, None)

    def __len__(self) -> int:
        return len(self._live)

    def _idle(self, seen: float, now: float) -> bool:
        return now - seen > self.idle_seconds


class FailedSignIns:
    """Failed sign-ins counted per user name and per address, in a sliding window.

    A small in-process counter rather than Flask-Limiter: it must count
    failures only (not every POST), key one limit on the user name typed into
    the form and another on the address, clear the name's count after a
    success, and take a fake clock in tests; Flask-Limiter does each of these
    through callbacks and brings four packages with it.

    Examples
    --------
    >>> now = [0.0]
    >>> fails = FailedSignIns(per_user=2, per_address=3, window_seconds=60, clock=lambda: now[0])
    >>> fails.failed("ann", "10.0.0.1"); fails.failed("ann", "10.0.0.1")
    >>> fails.wait("ann", "10.0.0.2")  # seconds until the oldest failure leaves the window
    60.0
    >>> fails.wait("bob", "10.0.0.1")
    0.0
    >>> now[0] = 61.0
    >>> fails.wait("ann", "10.0.0.1")
    0.0
    """

    def __init__(
        self,
        *,
        per_user: int = MAX_USER_FAILURES,
        per_address: int = MAX_ADDRESS_FAILURES,
        window_seconds: float = FAILURE_WINDOW_MINUTES * 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, user: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", user.strip().lower()), ("address", address)

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, ()) if now - t < self.window_seconds]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def wait(self, user: str, address: str) -> float:
        """Seconds before ``user`` may try again from ``address`` (0.0: now)."""
        with self._lock:
            now = self._clock()
            waits = [0.0]
            for key, limit in zip(
                self._keys(user, address), (self.per_user, self.per_address), strict=True
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[-limit] + self.window_seconds - now)
            return max(waits)

    def failed(self, user: str, address: str) -> None:
        """Count one failed sign-in for ``user`` and for ``address``."""
        with self._lock:
            now = self._clock()
            for key in self._keys(user, address):
                self._failures[key] = [*self._recent(key, now), now]

    def succeeded(self, user: str) -> None:
        """Forget the failures of ``user`` (those of the address still count)."""
        with self._lock:
            self._failures.pop(self._keys(user, "")[0], None)


@dataclass
class Auth:
    """The sign-in state of one app: its live sessions and its failure counts."""

    sessions: Sessions
    failures: FailedSignIns
    idle_minutes: float
    page_endpoints: frozenset[str] = field(default_factory=frozenset)


# --------------------------------------------------------------------------- helpers


def safe_next(target: Any) -> str | None:
    """``target`` when it is a path on this site to send a user to after signing in.

    Only a local absolute path: no scheme, no host, not ``//`` or ``/\\``
    (browsers read both as another host), no control characters, and not
    the sign-in or sign-out addresses themselves.

    Examples
    --------
    >>> [safe_next(t) for t in ("/cohort", "/\\\\evil.example", "cohort", "/login", None)]
    ['/cohort', None, None, None, None]
    >>> safe_next("/client/a%20b?x=1") is None  # a path only: no query
    True
    """
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2048:
        return None
    if target[1:2] in ("/", "\\") or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.query or parts.fragment or parts.path != target:
        return None
    if target in (LOGIN_PATH, LOGOUT_PATH):
        return None
    return target


def home_path(actor: Actor | None) -> str:
    """The page ``actor`` starts on: the cohort for a researcher, the client list otherwise.

    Examples
    --------
    >>> home_path(Actor("rae", "researcher")), home_path(Actor("ann", "therapist"))
    ('/cohort', '/')
    """
    rule = ROLE_PAGES.get(actor.role) if actor is not None else None
    return rule.home if rule is not None else "/"


def signed_in() -> Actor | None:
    """The user of the request being served, None outside a request or when sign-in is off."""
    if not flask.has_request_context():
        return None
    actor = flask.g.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def user_bar() -> list[Any]:
    """The top bar's user name and role, and the sign-out button (nothing when signed out).

    The button posts a form to ``/logout`` with the session's CSRF token (as
    the button's name and value); it works without script.

    Examples
    --------
    >>> user_bar()  # outside a request: no one
    []
    """
    actor = signed_in()
    if actor is None:
        return []
    return [
        html.Div(
            [
                html.Span(
                    [html.Strong(actor.name), f" ({actor.role})"],
                    className="tagline user",
                ),
                html.Form(
                    # The button sends the token as its own name and value.
                    html.Button(
                        "Sign out",
                        type="submit",
                        name=CSRF_FIELD,
                        value=generate_csrf(),
                        className="button",
                        # Small enough to keep the top bar one line of text high.
                        style={"padding": "0.1rem 0.7rem", "fontSize": "0.9rem"},
                    ),
                    method="post",
                    action=LOGOUT_PATH,
                    style={"display": "inline"},
                ),
            ],
            className="user-bar",
            style={
                "marginLeft": "auto",
                "display": "flex",
                "alignItems": "baseline",
                "gap": "0.8rem",
            },
        )
    ]


def access_errors_first(handler: Callable[[Exception], Any]) -> Callable[[Exception], Any]:
    """A callback error handler that lets access errors through to the server's 403.

    ``handler`` (:func:`dashboards.callbacks.show_error`) turns a library
    error into a sentence on the page; an
    :class:`~ipt_network.errors.AccessError` must instead end the request with
    a 403 (:func:`install` registers the answer).

    Examples
    --------
    >>> from ipt_network.errors import Forbidden
    >>> on_error = access_errors_first(lambda err: "shown")
    >>> on_error(ValueError("x"))
    'shown'
    >>> on_error(Forbidden("no"))
    Traceback (most recent call last):
    ...
    ipt_network.errors.Forbidden: no
    """

    def on_error(err: Exception) -> Any:
        if isinstance(err, AccessError):
            raise err
        return handler(err)

    return on_error


# --------------------------------------------------------------------------- pages

_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · ipt-network</title>
<link rel="icon" href="/_favicon.ico">
<style>{variables}</style>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header class="topbar"><span class="brand">ipt-network</span>
<span class="tagline">Interpersonal inventory, session by session</span></header>
<main class="page">
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""


def _html(title: str, body: Markup, status: int) -> flask.Response:
    text = _PAGE.format(title=escape(title), variables=css_variables(), body=body)
    return flask.Response(text, status=status, mimetype="text/html")


def _login_page(message: str = "", *, status: int = 200, next_path: str | None = None) -> Any:
    action = LOGIN_PATH + (f"?next={quote(next_path)}" if next_path else "")
    alert = Markup('<p class="message error" role="alert">{}</p>').format(message)
    form = Markup(
        '<form class="card" method="post" action="{action}" style="max-width: 28rem">'
        '<input type="hidden" name="{field}" value="{token}">'
        '<div class="field"><label for="user-name">User name</label>'
        '<input class="search" id="user-name" name="name" autocomplete="username" required '
        'autocapitalize="none" spellcheck="false" maxlength="40"></div>'
        '<div class="field"><label for="password">Password</label>'
        '<input class="search" id="password" name="password" type="password" '
        'autocomplete="current-password" required></div>'
        '<button class="button primary" type="submit">Sign in</button>'
        "</form>"
    ).format(action=action, field=CSRF_FIELD, token=generate_csrf())
    return _html("Sign in", alert + form if message else form, status)


def _forbidden_page(actor: Actor) -> flask.Response:
    home = home_path(actor)
    body = Markup(
        "<p>Signed in as {name} ({role}): this page is not open to your role.</p>"
        '<p><a href="{home}">Go to your start page</a></p>'
        '<form method="post" action="{logout}">'
        '<button class="button" type="submit" name="{field}" value="{token}">Sign out</button>'
        "</form>"
    ).format(
        name=actor.name,
        role=actor.role,
        home=home,
        logout=LOGOUT_PATH,
        field=CSRF_FIELD,
        token=generate_csrf(),
    )
    return _html("Not allowed", body, 403)


def _json(status: int, message: str) -> flask.Response:
    response = flask.jsonify({"error": message})
    response.status_code = status
    return response


# --------------------------------------------------------------------------- the routes


def _auth() -> Auth:
    auth = flask.current_app.config[AUTH_KEY]
    assert isinstance(auth, Auth)
    return auth


def _store() -> Store:
    store = flask.current_app.config[STORE_KEY]
    assert isinstance(store, Store)
    return store


def _address() -> str:
    return flask.request.remote_addr or "unknown"


def _csrf_ok() -> bool:
    try:
        validate_csrf(flask.request.form.get(CSRF_FIELD))
    except ValidationError:
        return False
    return True


def _login() -> Any:
    """GET: the form. POST: check the token, the failure count, then the password."""
    request = flask.request
    next_path = safe_next(request.args.get("next"))
    if request.method != "POST":
        actor = signed_in_user()
        if actor is not None:
            allowed = next_path if next_path and _page_allowed(actor, next_path) else None
            return flask.redirect(allowed or home_path(actor), 303)
        return _login_page(next_path=next_path)
    if not _csrf_ok():
        return _login_page(
            "The form had expired. Please sign in again.", status=400, next_path=next_path
        )
    name = request.form.get("name", "")[:MAX_FIELD]
    password = request.form.get("password", "")[:MAX_FIELD]
    auth = _auth()
    wait = auth.failures.wait(name, _address())
    if wait > 0:
        minutes = max(1, round(wait / 60))
        page = _login_page(
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' * (minutes != 1)}.",
            status=429,
            next_path=next_path,
        )
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    try:
        actor = _store().sign_in(name, password)
    except (SignInFailed, BadArgument):
        auth.failures.failed(name, _address())
        return _login_page("Unknown user name or wrong password.", status=401, next_path=next_path)
    auth.failures.succeeded(name)
    flask.session.clear()  # a new session: nothing from before signing in is kept
    flask.session["sid"] = auth.sessions.start(actor.name)
    allowed = next_path if next_path and _page_allowed(actor, next_path) else None
    return flask.redirect(allowed or home_path(actor), 303)


def _logout() -> Any:
    """POST with the CSRF token: end the session, back to the form."""
    if not _csrf_ok():
        return _json(400, "sign-out needs the form's token; reload the page")
    _auth().sessions.end(flask.session.get("sid"))
    flask.session.clear()
    return flask.redirect(LOGIN_PATH, 303)


def signed_in_user() -> Actor | None:
    """The user of the request's session cookie, checked against the store; None if anyone.

    Restarts the session's idle time. Ends a session whose user was removed.
    """
    auth = _auth()
    sid = flask.session.get("sid")
    name = auth.sessions.user(sid)
    actor = _store().member(name) if name is not None else None
    if actor is None and sid is not None:
        auth.sessions.end(sid)
        flask.session.pop("sid", None)
    return actor


def _page_allowed(actor: Actor, path: str) -> bool:
    rule = ROLE_PAGES.get(actor.role)
    return rule is None or path in rule.pages


def _callback_allowed(app: dash.Dash, actor: Actor, body: Any) -> bool:
    """Whether ``actor``'s role may call the callback a request body names.

    A body that names no callback passes here: the shape check refuses it
    (:mod:`dashboards.security`).
    """
    rule = ROLE_PAGES.get(actor.role)
    if rule is None or not isinstance(body, dict):
        return True
    spec = app.callback_map.get(body.get("output"))
    if spec is None:
        return True
    if _PAGES_CONTENT in str(body.get("output")):
        inputs = body.get("inputs")
        paths = [
            item.get("value")
            for item in (inputs if isinstance(inputs, list) else [])
            if isinstance(item, dict)
            and item.get("id") == _PAGES_LOCATION
            and item.get("property") == "pathname"
        ]
        return len(paths) == 1 and paths[0] in rule.pages
    module = getattr(spec.get("callback"), "__module__", None)
    return module in rule.callback_modules


def _guard(app: dash.Dash) -> Callable[[], Any]:
    callback_route = app.config.routes_pathname_prefix + _CALLBACK_ROUTE

    def guard() -> Any:
        request = flask.request
        if request.path in OPEN_PATHS:
            return None
        auth = _auth()
        is_page = request.method in ("GET", "HEAD") and request.endpoint in auth.page_endpoints
        actor = signed_in_user()
        if actor is None:
            if is_page:
                target = safe_next(request.path)
                suffix = f"?next={quote(target)}" if target and target != "/" else ""
                return flask.redirect(LOGIN_PATH + suffix, 302)
            return _json(401, "sign in first")
        flask.g.setdefault(ACTOR_KEY, actor)
        if is_page and not _page_allowed(actor, request.path):
            if request.path == "/":
                return flask.redirect(home_path(actor), 302)
            return _forbidden_page(actor)
        if request.path == callback_route and request.method == "POST":
            body = request.get_json(silent=True)
            if not _callback_allowed(app, actor, body):
                return _json(403, "this part of the dashboard is not open to your role")
        return None

    return guard


def _access_error(err: AccessError) -> flask.Response:
    if isinstance(err, SignInRequired):
        return _json(401, "sign in first")
    return _json(403, "this is not open to your role")


def install(
    app: dash.Dash,
    *,
    idle_minutes: float = DEFAULT_IDLE_MINUTES,
    secure: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> Auth:
    """Require sign-in for every route of ``app`` (see the module text).

    Install it before :func:`dashboards.security.install`, whose Host check
    then runs first.

    Parameters
    ----------
    app : dash.Dash
        An app made by :func:`dashboards.app.create_app`, its store in the config.
    idle_minutes : float
        Minutes without a request after which a session ends.
    secure : bool
        Mark the cookie ``Secure`` (served over TLS, or behind an https proxy).
    clock : callable
        Seconds as a float, for the idle time and the failure window (tests pass a fake).

    Returns
    -------
    Auth
        The app's sessions and failure counts (also in ``app.server.config[AUTH_KEY]``).
    """
    if idle_minutes <= 0:
        raise BadArgument("the idle time is a positive number of minutes")
    server = app.server
    prefix = app.config.routes_pathname_prefix
    pages = {prefix, prefix + "<path:path>"}
    auth = Auth(
        sessions=Sessions(idle_minutes * 60, clock=clock),
        failures=FailedSignIns(clock=clock),
        idle_minutes=idle_minutes,
        page_endpoints=frozenset(
            rule.endpoint for rule in server.url_map.iter_rules() if rule.rule in pages
        ),
    )
    server.secret_key = secrets.token_bytes(32)
    server.config.update(
        {
            AUTH_KEY: auth,
            "SESSION_COOKIE_NAME": COOKIE_NAME,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_SECURE": secure,
            # A token lives as long as its session (which the idle time ends).
            "WTF_CSRF_TIME_LIMIT": None,
        }
    )
    server.add_url_rule(LOGIN_PATH, "ipt_login", _login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "ipt_logout", _logout, methods=["POST"])
    server.register_error_handler(AccessError, _access_error)
    server.before_request_funcs.setdefault(None, []).insert(0, _guard(app))
    return auth
