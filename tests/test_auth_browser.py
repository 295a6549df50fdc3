"""Signing in and out of ``serve --auth`` in a real headless Chromium (``pytest --headless``).

A therapist opens the dashboard, is sent to the sign-in form, signs in through
it, sees their own clients only, opens one, signs out with the button in the
top bar and is back at the form. The form passes axe-core's WCAG 2.1 A and AA
rules (the helpers of ``test_accessibility``). Screenshots of the form and of
the signed-in client list go to :data:`SHOTS` for a person to look at.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Final
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By

from dashboards import ids
from dashboards.app import create_app
from ipt_network.io.store import Store

#: Where the screenshots go: the form, and the client list once signed in.
SHOTS: Final = {"login": Path("/tmp/auth_login.png"), "signed_in": Path("/tmp/auth_signed_in.png")}
WAIT: Final = 20
CLIENT_LINKS: Final = f"#{ids.CLIENT_TABLE} table a[href^='/client/']"


def _sibling(name: str) -> ModuleType:
    """The test module ``tests/<name>.py`` (the tests folder is no package)."""
    key = f"ipt_network_tests_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


_a11y = _sibling("test_accessibility")
axe_source = _a11y.axe_source  # the fixture: axe-core's source, a failure without it


def _path(duo: Any) -> str:
    return urlsplit(duo.driver.current_url).path


def _at_the_form(duo: Any) -> None:
    duo.wait_for_element("form input#user-name", timeout=WAIT)
    assert _path(duo) == "/login"


def test_a_therapist_signs_in_sees_their_clients_and_signs_out(
    dash_duo: Any, users_store: Store, auth_users: dict[str, Any], axe_source: str
) -> None:
    name = "ann"
    _, password, own = auth_users[name]
    others = {c for user, (_, _, cs) in auth_users.items() if user != name for c in cs}
    assert others and not others & set(own)
    duo = dash_duo
    duo.driver.set_window_size(1280, 900)
    duo.start_server(create_app(users_store, auth=True), navigate=False)  # no Dash page yet
    base = duo.server.url.rstrip("/")

    # Anonymous: any page sends the browser to the form.
    duo.driver.get(f"{base}/")
    _at_the_form(duo)
    result = _a11y.run_axe(duo, axe_source)
    assert result["violations"] == [], _a11y.describe(result["violations"])
    assert {"label", "html-has-lang", "color-contrast"} <= set(result["passes"])
    assert duo.find_element("label[for=user-name]").text == "User name"
    assert duo.find_element("label[for=password]").text == "Password"
    duo.driver.save_screenshot(str(SHOTS["login"]))

    # A wrong password: the form again, saying so (the same words for an unknown name).
    duo.find_element("#user-name").send_keys(name)
    duo.find_element("#password").send_keys("not the password at all")
    duo.find_element("form button[type=submit]").click()
    duo.wait_for_text_to_equal("[role=alert]", "Unknown user name or wrong password.", timeout=WAIT)
    assert _path(duo) == "/login"

    # Signing in through the form lands on the client list: the therapist's own clients.
    duo.find_element("#user-name").clear()
    duo.find_element("#user-name").send_keys(name)
    duo.find_element("#password").send_keys(password)
    duo.find_element("form button[type=submit]").click()
    duo.wait_for_element(CLIENT_LINKS, timeout=WAIT)
    assert _path(duo) == "/"
    listed = {a.text for a in duo.find_elements(CLIENT_LINKS)}
    assert listed == set(own)
    duo.wait_for_contains_text(".user-bar", f"{name} (therapist)", timeout=WAIT)
    duo.driver.save_screenshot(str(SHOTS["signed_in"]))
    result = _a11y.run_axe(duo, axe_source)
    assert result["violations"] == [], _a11y.describe(result["violations"])

    # One of them opens; the top bar's button signs out, back to the form.
    duo.driver.find_element(By.LINK_TEXT, own[0]).click()
    duo.wait_for_text_to_equal("h1", own[0], timeout=WAIT)
    duo.find_element(".user-bar button[type=submit]").click()
    _at_the_form(duo)

    # Signed out for real: the client's page sends the browser to the form again.
    duo.driver.get(f"{base}/client/{own[0]}")
    _at_the_form(duo)
    assert urlsplit(duo.driver.current_url).query == f"next=/client/{own[0]}"
    # The console holds only the wrong password's 401 answer to the form.
    logs = duo.get_logs()
    assert [e for e in logs if not ("/login" in e["message"] and " 401 " in e["message"])] == []
    assert len(logs) == 1
    assert all(shot.stat().st_size > 0 for shot in SHOTS.values())
