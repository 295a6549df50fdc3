"""Every page of the dashboard passes axe-core's WCAG 2.1 A and AA rules (``pytest --headless``).

axe-core comes from the npm registry when the tests are set up: ``make axe``
(a prerequisite of ``make test``) installs it into the git-ignored
``.cache/axe``. Without it these tests fail and say so; they never skip.

The pages run under the server's Content-Security-Policy, which blocks inline
scripts (``test_dashboard_browser`` checks that). axe is not added to the page
as a ``<script>``: its source is evaluated by the WebDriver
(``execute_script``, the DevTools protocol's ``Runtime.callFunctionOn``),
which the page's CSP does not govern; the helper checks that ``axe.run`` is
then defined.

Each page or state is checked for zero violations and no console errors, and
for having passed the rules it used to fail (so a "fix" that removed the
controls would not pass). Dash 4's Checklist, Dropdown and Slider fail some
rules out of the box; ``dashboards/assets/a11y.js`` repairs their markup, and
the last tests check that the repaired controls keep their names and their
keyboard access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from dashboards import ids
from ipt_network.io.recording import draft_next_session
from ipt_network.io.store import Store

#: Where ``make axe`` puts axe-core.
AXE_JS: Final = Path(__file__).resolve().parents[1] / ".cache/axe/node_modules/axe-core/axe.min.js"
#: The rule sets run: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS: Final = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
CLIENT: Final = "grief-01"
RECORDING: Final = "dispute-01"
MAP_TITLE: Final = f"#{ids.MAP} .gtitle"
WAIT: Final = 20

_RUN_AXE: Final = """
const tags = arguments[0], done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(r => done({
    version: axe.version,
    passes: r.passes.map(rule => rule.id),
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ')),
    })),
  }))
  .catch(e => done({error: String(e)}));
"""


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The source of axe-core, fetched by ``make axe``; a failure (not a skip) without it."""
    if not AXE_JS.is_file():
        pytest.fail(
            f"axe-core is missing ({AXE_JS}): run `make axe` to fetch it from the npm registry",
            pytrace=False,
        )
    return AXE_JS.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ helpers


def _settle(duo: Any) -> None:
    """Wait until Dash has no callback in flight."""
    until(lambda: duo.redux_state_rqs == [], timeout=WAIT)


def _open(duo: Any, path: str, *ready: str) -> None:
    duo.wait_for_page(url=f"{duo.server_url}{path}", timeout=WAIT)
    for selector in ready:
        duo.wait_for_element(selector, timeout=WAIT)
    _settle(duo)


def _inject(duo: Any, source: str) -> None:
    duo.driver.execute_script(source)
    assert duo.driver.execute_script("return typeof window.axe.run") == "function"


def run_axe(duo: Any, source: str) -> dict[str, Any]:
    """axe-core's WCAG 2.1 A and AA results for the page as it is now."""
    _inject(duo, source)
    result: dict[str, Any] = duo.driver.execute_async_script(_RUN_AXE, list(WCAG_TAGS))
    assert "error" not in result, result.get("error")
    return result


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and one per failing element, for an assertion message.

    Examples
    --------
    >>> print(describe([{"id": "html-has-lang", "impact": "serious", "help": "lang",
    ...                  "nodes": ["html :: Fix it"]}]))
    html-has-lang (serious, 1 element): lang
        html :: Fix it
    """
    lines = []
    for v in violations:
        count = len(v["nodes"])
        lines.append(f"{v['id']} ({v['impact']}, {count} element{'s' * (count != 1)}): {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)


# ------------------------------------------------------------------------------ pages


def _client_view(duo: Any) -> None:
    duo.find_element(f"#{ids.CLIENT_VIEW} input").click()
    duo.wait_for_class_to_equal(f"#{ids.PAGE}", "page client-page client-view", timeout=WAIT)


def _person_panel(duo: Any) -> None:
    duo.select_dcc_dropdown(f"#{ids.PERSON}", index=0)
    duo.wait_for_element(f"#{ids.PERSON_HISTORY} table", timeout=WAIT)


def _compare_menu(duo: Any) -> None:
    duo.find_element(f"#{ids.COMPARE_SESSION}").click()
    duo.wait_for_element(".dash-dropdown-options input", timeout=WAIT)


def _not_found(duo: Any) -> None:
    duo.wait_for_text_to_equal("h1", "Client not found", timeout=WAIT)


def _person_added(duo: Any) -> None:
    duo.find_element(f"#{ids.RECORD_NEW_NAME}").send_keys("Mo")
    duo.select_dcc_dropdown(f"#{ids.RECORD_NEW_ROLE}", index=0)
    duo.find_element(f"#{ids.RECORD_NEW}").click()
    duo.wait_for_contains_text(f"#{ids.RECORD_PEOPLE} table", "Mo", timeout=WAIT)


def _nothing_ticked(duo: Any) -> None:
    for box in duo.find_elements(f"#{ids.COHORT_AREAS} input"):
        box.click()
    duo.wait_for_element(f"#{ids.COHORT_EMPTY}", timeout=WAIT)


#: Rules every page applies (and used to fail): the page's language, text contrast.
_EVERY_PAGE: Final = frozenset({"html-has-lang", "color-contrast"})
#: Rules the client page's controls used to fail (Dash's Checklist, Dropdown and Slider).
_CONTROLS: Final = _EVERY_PAGE | {
    "aria-hidden-focus",
    "aria-input-field-name",
    "nested-interactive",
}
#: Rules the recording page used to fail, and the one naming its inputs.
_RECORD: Final = _EVERY_PAGE | {"aria-hidden-focus", "nested-interactive", "label"}
_CLIENT_PAGE: Final = (
    MAP_TITLE,
    f"#{ids.TIMELINE} li",
    f"#{ids.SESSION_SLIDER} [role=slider]",
    f"#{ids.PERSON}",
)
_RECORD_PAGE: Final = (f"#{ids.RECORD_PEOPLE} table", f"#{ids.RECORD_NEW_ROLE}")


@dataclass(frozen=True)
class Page:
    """A page or state to check: its address, what shows it is ready, what to do first."""

    path: str
    ready: tuple[str, ...]
    passes: frozenset[str]
    action: Callable[[Any], None] | None = None


PAGES: Final = {
    "client list": Page("/", (f"#{ids.CLIENT_TABLE} table",), _EVERY_PAGE | {"label"}),
    "client page": Page(
        f"/client/{CLIENT}", _CLIENT_PAGE, _CONTROLS | {"scrollable-region-focusable"}
    ),
    "client view": Page(f"/client/{CLIENT}", _CLIENT_PAGE, _CONTROLS, _client_view),
    "person panel open": Page(
        f"/client/{CLIENT}",
        _CLIENT_PAGE,
        _CONTROLS | {"scrollable-region-focusable"},
        _person_panel,
    ),
    "compare menu open": Page(f"/client/{CLIENT}", _CLIENT_PAGE, _CONTROLS, _compare_menu),
    "record page": Page(f"/client/{RECORDING}/record", _RECORD_PAGE, _RECORD),
    "record page, a person added": Page(
        f"/client/{RECORDING}/record", _RECORD_PAGE, _RECORD, _person_added
    ),
    "client not found": Page("/client/nobody", ("h1",), _EVERY_PAGE, _not_found),
    "cohort page": Page("/cohort", (f"#{ids.COHORT_SCATTER} .main-svg",), _EVERY_PAGE),
    "cohort page, nothing ticked": Page(
        "/cohort", (f"#{ids.COHORT_SCATTER} .main-svg",), _EVERY_PAGE, _nothing_ticked
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_wcag_violations_and_no_console_errors(duo: Any, axe_source: str, name: str) -> None:
    page = PAGES[name]
    _open(duo, page.path, *page.ready)
    if page.action is not None:
        page.action(duo)
        _settle(duo)
    result = run_axe(duo, axe_source)
    assert result["version"].startswith("4."), result["version"]
    assert result["violations"] == [], f"{name}:\n{describe(result['violations'])}"
    assert page.passes <= set(result["passes"]), page.passes - set(result["passes"])
    assert duo.get_logs() == [], name


# ------------------------------------------------------------------------------ repaired controls


def _name(duo: Any, selector: str) -> str:
    """The accessible name Chromium computes for an element (WebDriver's computed label)."""
    return " ".join(duo.find_element(selector).accessible_name.split())


def test_the_client_page_controls_have_names(duo: Any) -> None:
    _open(duo, f"/client/{CLIENT}", *_CLIENT_PAGE)
    assert _name(duo, f"#{ids.SESSION_SLIDER} [role=slider]") == "Session"
    assert _name(duo, f"#{ids.COMPARE_SESSION}") == "Session to compare with Session 1"
    assert _name(duo, f"#{ids.PERSON}") == "Person Choose a person"
    assert _name(duo, f"#{ids.COMPARE_ON} input") == "Compare with"
    assert _name(duo, f"#{ids.CLIENT_VIEW} input") == "Client view (shared screen)"
    assert _name(duo, f"#{ids.TIMELINE}") == "Timeline"
    assert duo.find_element(f"#{ids.TIMELINE}").get_attribute("tabindex") == "0"


def test_the_record_page_inputs_have_names(duo: Any, store: Store) -> None:
    first = draft_next_session(store.inventory([RECORDING]), RECORDING).people[0]
    row = f"#{ids.RECORD_PEOPLE} tbody tr:first-child"
    _open(duo, f"/client/{RECORDING}/record", *_RECORD_PAGE)
    assert _name(duo, f"{row} .{ids.RECORD_RING} input") == f"Ring for {first['name']}"
    assert _name(duo, f"{row} .{ids.RECORD_SUPPORT} input") == f"Support for {first['name']}"
    assert _name(duo, f"{row} td:last-child input") == f"take off {first['name']}"
    assert _name(duo, f"#{ids.RECORD_DATE}") == "Date of the session"
    assert _name(duo, f"#{ids.RECORD_NEW_NAME}") == "New person's name"
    assert _name(duo, f"#{ids.RECORD_NEW_ROLE}") == "New person's role Role"


def _focused(duo: Any) -> Any:
    return duo.driver.switch_to.active_element


def test_a_dropdown_is_reached_opened_and_left_by_keyboard(duo: Any) -> None:
    _open(duo, f"/client/{CLIENT}", *_CLIENT_PAGE)
    keys = ActionChains(duo.driver)
    duo.driver.execute_script("arguments[0].focus()", duo.find_element(f"#{ids.COMPARE_ON} input"))
    keys.send_keys(Keys.TAB).perform()
    assert _focused(duo).get_attribute("id") == ids.COMPARE_SESSION
    keys.send_keys(Keys.ENTER).perform()
    duo.wait_for_element(".dash-dropdown-options input", timeout=WAIT)
    until(lambda: _focused(duo).get_attribute("type") == "radio", timeout=WAIT)
    keys.send_keys(Keys.ESCAPE).perform()
    duo.wait_for_no_elements(".dash-dropdown-options", timeout=WAIT)
    assert _focused(duo).get_attribute("id") == ids.COMPARE_SESSION
    keys.send_keys(Keys.TAB).perform()
    assert _focused(duo).get_attribute("name") == ids.CLIENT_VIEW
    assert duo.get_logs() == []


def test_the_repairs_hold_after_a_callback_redraws_a_control(duo: Any, axe_source: str) -> None:
    _open(duo, f"/client/{CLIENT}", *_CLIENT_PAGE)
    duo.find_element(f"#{ids.COMPARE_ON} input").click()
    duo.wait_for_contains_text(MAP_TITLE, "compared with session 1", timeout=WAIT)
    _settle(duo)
    option = duo.find_element(f"#{ids.COMPARE_ON} label")
    assert option.get_attribute("class").split().count("selected") == 1  # Dash redrew it
    assert option.get_attribute("role") is None and option.get_attribute("aria-selected") is None
    assert run_axe(duo, axe_source)["violations"] == []
