"""Sign-in for the dashboard (``serve --auth``), through Flask's test client.

Every route and every callback refuses an anonymous request; the form's CSRF
token, the failure limit, the idle expiry (with a fake clock), signing out,
``next`` addresses, a removed user, the cookie's flags, access errors in a
callback, and the proxy and TLS settings of :mod:`dashboards.security`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

import dash
import pytest
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from dashboards import auth
from dashboards.app import create_app
from ipt_network.errors import BadArgument, Forbidden
from ipt_network.io.store import Store

CALLBACK: Final = "/_dash-update-component"
SignIn = Callable[..., Any]


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(users_store: Store, clock: FakeClock) -> dash.Dash:
    return create_app(users_store, auth=True, clock=clock)


@pytest.fixture
def client(app: dash.Dash) -> FlaskClient:
    return app.server.test_client()


@pytest.fixture
def set_up(app: dash.Dash, sign_in: SignIn) -> dash.Dash:
    """The app after one signed-in request: Dash has registered its page router."""
    admin = app.server.test_client()
    assert sign_in(admin, "lee").status_code == 303
    assert admin.get("/").status_code == 200
    return app


def layout_of(client: FlaskClient) -> Any:
    response = client.get("/_dash-layout")
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    return response.get_json()


def sign_out_token(client: FlaskClient) -> str:
    """The CSRF token of the sign-out button in the top bar (its name and value)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and props.get("name") == "csrf_token":
                found.append(props["value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(layout_of(client))
    assert len(found) == 1, found
    return found[0]


def signed_in(client: FlaskClient) -> bool:
    status = client.get("/_dash-layout").status_code
    assert status in (200, 401)
    return status == 200


# --------------------------------------------------------------------------- every route


def _url(rule: Rule) -> str:
    """A concrete address for ``rule``, naming a real file where the rule serves files."""
    values = {
        "filename": "a11y.js",
        "path": "client/grief-01",
        "package_name": "dash",
        "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
    }
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<[^>]*:?{name}>", values[name], url)
    return url


def _requests(app: dash.Dash) -> list[tuple[str, str, str]]:
    """(rule, method, url) for every rule and method of the server but the open sign-in form."""
    out = []
    for rule in app.server.url_map.iter_rules():
        if rule.rule in auth.OPEN_PATHS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD"}):
            out.append((rule.rule, method, _url(rule)))
    return out


def _callback_body(output: str, spec: dict[str, Any], path: str = "/") -> dict[str, Any]:
    """A request of callback ``output`` with every value None (lists for ALL patterns).

    Dash's page router gets the path ``/``, or ``path`` when given.
    """

    def slot(dep: dict[str, str]) -> Any:
        if dep["id"].startswith("{") and '["ALL"]' in dep["id"]:
            return []
        if dep["id"] == "_pages_location":
            return {**dep, "value": path if dep["property"] == "pathname" else ""}
        return {**dep, "value": None}

    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in (output[2:-2].split("...") if output.startswith("..") else [output])
    ]
    body: dict[str, Any] = {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": [slot(d) for d in spec["inputs"]],
        "state": [slot(d) for d in spec["state"]],
        "changedPropIds": [],
    }
    return body


def test_every_route_and_callback_refuses_an_anonymous_request(
    set_up: dash.Dash, client: FlaskClient, sign_in: SignIn
) -> None:
    app = set_up
    requests = _requests(app)
    rules = list(app.server.url_map.iter_rules())
    open_rules = [r for r in rules if r.rule in auth.OPEN_PATHS]
    assert {r.rule for r in open_rules} == {"/login", "/_favicon.ico"}  # no data behind them
    all_pairs = sum(len((r.methods or set()) - {"HEAD"}) for r in rules)
    assert len(requests) == all_pairs - sum(
        len((r.methods or set()) - {"HEAD"}) for r in open_rules
    )
    guarded = {rule for rule, _, _ in requests}
    # The routes the issue names are among those checked, with Dash's pages and assets.
    for named in ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies", "/"):
        assert named in guarded, named
    assert {"/<path:path>", "/assets/<path:filename>", "/logout"} <= guarded
    assert len(guarded) == len(rules) - len(open_rules)
    refused = 0
    for rule, method, url in requests:
        response = client.open(url, method=method)
        if response.status_code == 302:  # a page: to the form, the page as next
            assert response.headers["Location"].startswith("/login"), (rule, method)
        else:
            assert response.status_code == 401, (rule, method, response.status_code)
            assert response.get_json() == {"error": "sign in first"}
        refused += 1
    callbacks = app.callback_map
    refused_callbacks = 0
    for output, spec in callbacks.items():
        response = client.post(CALLBACK, json=_callback_body(output, spec))
        assert response.status_code == 401, output
        refused_callbacks += 1
    print(
        f"\n{len(guarded)} routes ({refused} of {len(requests)} route methods) and "
        f"{refused_callbacks} of {len(callbacks)} callbacks refuse anonymous requests; "
        f"open: {', '.join(sorted(r.rule for r in open_rules))}"
    )
    assert refused == len(requests) and refused_callbacks == len(callbacks) >= 16
    # The same requests, signed in, reach the routes: the refusals above were the guard's.
    assert sign_in(client, "lee").status_code == 303
    for rule, method, url in requests:
        if (rule, method) == ("/_dash-update-component", "OPTIONS"):
            continue
        with client.open(url, method=method) as answer:  # closes the files it sends
            assert answer.status_code not in (302, 401), (rule, method)
            assert answer.status_code < 500, (rule, method)
    statuses = {
        output: client.post(CALLBACK, json=_callback_body(output, spec)).status_code
        for output, spec in callbacks.items()
    }
    runs_on_server = {o for o, s in callbacks.items() if callable(s.get("callback"))}
    assert {o for o, s in statuses.items() if s in (200, 204)} == runs_on_server


def test_an_anonymous_page_goes_to_the_form_with_its_path(client: FlaskClient) -> None:
    response = client.get("/client/grief-01?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/client/grief-01"
    assert client.get("/").headers["Location"] == "/login"


def test_only_the_form_its_stylesheet_and_the_icon_are_open(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    for path in ("/assets/style.css", "/_favicon.ico"):
        with client.get(path) as response:
            assert response.status_code == 200
    assert client.get("/assets/a11y.js").status_code == 401
    assert client.get("/static/anything").status_code == 401


def test_the_form_is_a_plain_accessible_page(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert page.count("<h1>") == 1
    assert '<label for="user-name">' in page and 'id="user-name"' in page
    assert '<label for="password">' in page and 'type="password"' in page
    assert "<script" not in page
    assert 'autocomplete="current-password"' in page


# --------------------------------------------------------------------------- signing in


def test_a_right_password_signs_in_and_a_wrong_one_does_not(
    client: FlaskClient, sign_in: SignIn
) -> None:
    wrong = sign_in(client, "ann", "not ann's password at all")
    assert wrong.status_code == 401
    assert "Unknown user name or wrong password." in wrong.get_data(as_text=True)
    assert not signed_in(client)
    unknown = sign_in(client, "nobody", "whatever password it is")
    assert unknown.get_data(as_text=True) == wrong.get_data(as_text=True).replace(
        *re.findall(r'value="([^"]+)"', wrong.get_data(as_text=True))[:1],
        *re.findall(r'value="([^"]+)"', unknown.get_data(as_text=True))[:1],
    )  # the same page but for the token: nothing tells a name exists
    right = sign_in(client, "ann")
    assert right.status_code == 303 and right.headers["Location"] == "/"
    assert signed_in(client)
    bar = json.dumps(layout_of(client))
    assert '"ann"' in bar and "(therapist)" in bar and "Sign out" in bar


@pytest.mark.parametrize("token", [None, "", "forged.token.value", "from-another-session"])
def test_the_form_without_its_csrf_token_is_refused(
    app: dash.Dash, client: FlaskClient, token: str | None
) -> None:
    client.get("/login")
    if token == "from-another-session":
        other = app.server.test_client()
        page = other.get("/login").get_data(as_text=True)
        token = re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]
    data = {"name": "ann", "password": "ann's long therapist password"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert not signed_in(client)


def test_failed_sign_ins_are_limited_per_user(
    client: FlaskClient, sign_in: SignIn, clock: FakeClock, app: dash.Dash
) -> None:
    for _ in range(auth.MAX_USER_FAILURES):
        assert sign_in(client, "ann", "a wrong password, again").status_code == 401
    blocked = sign_in(client, "ann")  # the right password, but too many failures
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in blocked.get_data(as_text=True)
    assert not signed_in(client)
    # From another address too (the count is the name's); another name still signs in.
    elsewhere = app.server.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert sign_in(elsewhere, "ann").status_code == 429
    assert sign_in(elsewhere, "bob").status_code == 303
    clock.advance(auth.FAILURE_WINDOW_MINUTES + 1)
    assert sign_in(client, "ann").status_code == 303


def test_failed_sign_ins_are_limited_per_address(
    app: dash.Dash, sign_in: SignIn, clock: FakeClock
) -> None:
    attacker = app.server.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    for n in range(auth.MAX_ADDRESS_FAILURES):
        assert sign_in(attacker, f"guess{n}", "a wrong password, again").status_code == 401
    assert sign_in(attacker, "ann").status_code == 429
    assert sign_in(app.server.test_client(), "ann").status_code == 303  # another address
    clock.advance(auth.FAILURE_WINDOW_MINUTES + 1)
    assert sign_in(attacker, "ann").status_code == 303


def test_a_session_ends_after_the_idle_time(
    client: FlaskClient, sign_in: SignIn, clock: FakeClock
) -> None:
    sign_in(client, "ann")
    for _ in range(3):  # each request restarts the idle time
        clock.advance(auth.DEFAULT_IDLE_MINUTES - 1)
        assert signed_in(client)
    clock.advance(auth.DEFAULT_IDLE_MINUTES + 1)
    assert not signed_in(client)
    assert client.get("/client/grief-01").headers["Location"] == "/login?next=/client/grief-01"


def test_the_idle_time_is_configurable(
    users_store: Store, sign_in: SignIn, clock: FakeClock
) -> None:
    app = create_app(users_store, auth=True, idle_minutes=2, clock=clock)
    client = app.server.test_client()
    sign_in(client, "ann")
    clock.advance(1.5)
    assert signed_in(client)
    clock.advance(2.5)
    assert not signed_in(client)


def test_signing_out_ends_the_session_even_for_a_copied_cookie(
    client: FlaskClient, sign_in: SignIn, app: dash.Dash
) -> None:
    sign_in(client, "ann")
    cookie = client.get_cookie(auth.COOKIE_NAME)
    assert cookie is not None
    assert client.post("/logout").status_code == 400  # no token: still signed in
    assert signed_in(client)
    response = client.post("/logout", data={"csrf_token": sign_out_token(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not signed_in(client)
    thief = app.server.test_client()
    thief.set_cookie(auth.COOKIE_NAME, cookie.value)
    assert not signed_in(thief)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/client/x?next=//evil",
        "/login",
    ],
)
def test_next_leaves_the_site_never(client: FlaskClient, sign_in: SignIn, target: str) -> None:
    response = sign_in(client, "ann", next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_next_takes_a_user_back_to_their_page(client: FlaskClient, sign_in: SignIn) -> None:
    assert client.get("/client/dispute-01").headers["Location"] == "/login?next=/client/dispute-01"
    response = sign_in(client, "ann", next="/client/dispute-01")
    assert response.headers["Location"] == "/client/dispute-01"


def test_a_removed_user_is_out_on_the_next_request(
    client: FlaskClient, sign_in: SignIn, users_store: Store, auth_users: dict[str, Any]
) -> None:
    sign_in(client, "ann")
    assert signed_in(client)
    admin = users_store.acting_as(users_store.sign_in("lee", auth_users["lee"][1]))
    admin.remove_user("ann")
    assert not signed_in(client)
    assert sign_in(client, "ann").status_code == 401


def test_the_cookie_is_httponly_strict_and_secure_over_tls(
    users_store: Store, sign_in: SignIn
) -> None:
    for tls in (False, True):
        app = create_app(users_store, auth=True, tls=tls)
        client = app.server.test_client()
        if tls:
            client.environ_base["wsgi.url_scheme"] = "https"
        response = sign_in(client, "ann")
        [cookie] = response.headers.getlist("Set-Cookie")
        assert cookie.startswith(f"{auth.COOKIE_NAME}=")
        flags = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
        assert {"HttpOnly", "SameSite"} <= flags and "SameSite=Strict" in cookie
        assert ("Secure" in flags) is tls
        assert "Expires" not in flags and "Max-Age" not in flags  # gone with the browser


def test_every_app_signs_its_cookies_with_its_own_secret(
    users_store: Store, sign_in: SignIn
) -> None:
    first = create_app(users_store, auth=True)
    second = create_app(users_store, auth=True)
    assert first.server.secret_key != second.server.secret_key
    assert len(first.server.secret_key) >= 32


def test_an_access_error_in_a_callback_is_a_403_never_a_500(
    set_up: dash.Dash, client: FlaskClient, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise Forbidden("not for this role")

    monkeypatch.setattr(Store, "read_tables", refuse)
    sign_in(client, "lee")
    output = "client-table.children"  # the client list reads the store's tables
    response = client.post(CALLBACK, json=_callback_body(output, set_up.callback_map[output]))
    assert response.status_code == 403
    assert response.get_json() == {"error": "this is not open to your role"}


def test_the_store_itself_refuses_a_request_the_guard_let_through(
    users_store: Store, set_up: dash.Dash
) -> None:
    # Without a signed-in user the app's store gives nothing: the second lock.
    from dashboards.context import current_store
    from ipt_network.errors import SignInRequired

    with set_up.server.test_request_context("/"), pytest.raises(SignInRequired):
        current_store().client_ids()


# --------------------------------------------------------------------------- hosts, proxy, TLS


@pytest.fixture
def proxied(users_store: Store) -> Iterator[FlaskClient]:
    app = create_app(users_store, auth=True, behind_proxy=True, allowed_hosts=["ipt.example.org"])
    yield app.server.test_client()


def test_behind_a_proxy_only_https_requests_are_served(proxied: FlaskClient) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ipt.example.org"}
    response = proxied.get("/login", headers=https)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = proxied.get("/login", headers={"X-Forwarded-Host": "ipt.example.org"})
    assert plain.status_code == 400 and "https only" in plain.get_data(as_text=True)
    other = proxied.get("/login", headers={**https, "X-Forwarded-Host": "evil.example"})
    assert other.status_code == 400


def test_behind_a_proxy_the_failure_count_uses_the_forwarded_address(
    proxied: FlaskClient, sign_in: SignIn
) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ipt.example.org"}
    for n in range(auth.MAX_ADDRESS_FAILURES):
        proxied.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
        proxied.environ_base.update(
            {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in https.items()}
        )
        assert sign_in(proxied, f"guess{n}", "a wrong password, again").status_code == 401
    assert sign_in(proxied, "ann").status_code == 429
    proxied.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"  # another client of the proxy
    assert sign_in(proxied, "ann").status_code == 303


def test_behind_a_proxy_a_browser_signs_in_with_a_secure_cookie(
    proxied: FlaskClient, sign_in: SignIn
) -> None:
    # What nginx sends (README): the browser's https origin, the proxy's headers.
    proxied.environ_base.update(
        {
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_HOST": "ipt.example.org",
            "HTTP_X_FORWARDED_FOR": "203.0.113.7",
            "HTTP_ORIGIN": "https://evil.example",
        }
    )
    assert sign_in(proxied, "ann").status_code == 403  # a form posted from another site
    proxied.environ_base["HTTP_ORIGIN"] = "https://ipt.example.org"
    response = sign_in(proxied, "ann")
    assert response.status_code == 303
    assert "; Secure" in response.headers["Set-Cookie"]
    assert signed_in(proxied)


def test_behind_a_proxy_only_the_proxy_is_trusted(users_store: Store) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ipt.example.org"}
    app = create_app(
        users_store,
        auth=True,
        behind_proxy=True,
        proxy_addresses=["10.0.0.2"],
        allowed_hosts=["ipt.example.org"],
    )
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the proxy
    assert client.get("/login", headers=https).status_code == 200
    for sender in ("10.0.0.3", "127.0.0.1"):  # anyone else, even with the proxy's headers
        client.environ_base["REMOTE_ADDR"] = sender
        refused = client.get("/login", headers=https)
        assert refused.status_code == 403, sender
        assert "through its proxy only" in refused.get_data(as_text=True)
    with pytest.raises(BadArgument, match="IP address"):
        create_app(users_store, auth=True, behind_proxy=True, proxy_addresses=["proxy.local"])


def test_without_a_proxy_forwarded_headers_are_ignored(users_store: Store) -> None:
    app = create_app(users_store, auth=True)
    client = app.server.test_client()
    response = client.get("/login", headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert client.get("/login", headers={"Host": "ipt.example.org"}).status_code == 400


def test_allowed_hosts_are_answered_and_tls_sends_hsts(users_store: Store) -> None:
    app = create_app(users_store, auth=True, tls=True, allowed_hosts=["IPT.example.org", "fe80::1"])
    client = app.server.test_client()
    for host in ("ipt.example.org:8443", "[fe80::1]:8443", "localhost"):
        response = client.get("/login", headers={"Host": host}, base_url="https://localhost")
        assert response.status_code == 200, host
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    refused = client.get("/login", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "ipt.example.org" in refused.get_data(as_text=True)
