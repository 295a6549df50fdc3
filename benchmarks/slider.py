"""Benchmark: one slider step on a client's page, against a bare Dash floor.

A store is built in a temporary folder with two clients of 12 sessions, one
with 30 people on the map and one with 300 (a synthetic course,
:func:`ipt_network.io.synth.synthesize`, its cast widened). Two apps are
served on loopback ports, in threads of this process:

* ours: :func:`dashboards.app.create_app` on that store, as ``ipt-network serve`` runs it;
* the floor: a bare Dash app with the same slider and one callback that
  returns a prepared figure, the map our app draws for that session
  (so both send a payload of the same size).

Headless Chromium (Debian's ``chromium`` and ``chromedriver``) opens each
page and steps the slider with the arrow keys. The browser's Resource
Timing API gives the ``_dash-update-component`` requests of each step; the
server time of a step is the first request's start to the last response's
end.

The gated number is a session's **first showing**, what a user meets: each
of ``--rounds`` rounds serves our app on a newly opened store (so the
dashboard's cache, one context per client and store revision,
:mod:`dashboards.context`, starts empty), loads the page (which shows the
last session and builds the session-independent panels) and walks the
slider from the first session up to the last but one, every step a session
not shown before. The floor walks the same way. The script prints the
median over all rounds' steps for ours and the floor, and exits with status
1 unless ours is within 3x the floor at 30 people and 6x at 300 people.

After the last round it steps the slider ``--steps`` times back and forth
over sessions already shown (the re-steps, cache hits) and prints that
median too; it is not gated unless ``--strict``.

With ``--auth`` our app is served as ``ipt-network serve --auth`` runs it
on a store with users: the browser signs in as a therapist assigned to both
clients before each round, and every request then passes the sign-in guard
and reads the store as that user (the same targets hold).

Run it with ``python benchmarks/slider.py [--rounds N] [--steps N] [--strict] [--auth]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dash
import pandas as pd
from _common import verdict
from dash import dcc, html
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from dashboards import ids
from dashboards.app import create_app
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store
from ipt_network.io.synth import synthesize
from ipt_network.views.figures import relationship_map

SESSIONS = 12
#: people on the map -> the most our step may take, as a multiple of the floor's
TARGETS = {30: 3.0, 300: 6.0}
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REQUESTS = "_dash-update-component"


# --------------------------------------------------------------------------- the store


def wide_client(client_id: str, n_people: int, seed: int) -> Inventory:
    """A synthetic course of :data:`SESSIONS` sessions widened to ``n_people`` people.

    The extra people copy the ring, conflict and support of one of the
    course's own people in every session (joining and leaving with them),
    and each knows the next extra person whenever both are on the map.
    """
    tables = dict(synthesize(1, seed=seed).items())
    tables["sessions"] = tables["sessions"][tables["sessions"]["session"] <= SESSIONS]
    for name in ("relationships", "person_ties", "communication"):
        tables[name] = tables[name][tables[name]["session"] <= SESSIONS]
    people, rel = tables["people"], tables["relationships"]
    own = list(people["person_id"])
    extra = n_people - len(own)
    new_ids = [f"x{i:03d}" for i in range(extra)]
    template = [own[i % len(own)] for i in range(extra)]
    new_people = people.set_index("person_id").loc[template].reset_index()
    new_people = new_people.assign(
        person_id=new_ids, name=[f"Person {i + 1}" for i in range(extra)], notes=None
    )
    copies = []
    for pid, like in zip(new_ids, template, strict=True):
        copies.append(rel[rel["person_id"] == like].assign(person_id=pid))
    new_rel = pd.concat(copies, ignore_index=True)
    present = set(zip(new_rel["session"], new_rel["person_id"], strict=True))
    ties = [
        (s, a, b)
        for s in range(1, SESSIONS + 1)
        for a, b in zip(new_ids, new_ids[1:], strict=False)
        if (s, a) in present and (s, b) in present
    ]
    new_ties = pd.DataFrame(ties, columns=["session", "source", "target"])
    tables["people"] = pd.concat([people, new_people], ignore_index=True)
    tables["relationships"] = pd.concat([rel, new_rel], ignore_index=True)
    tables["person_ties"] = pd.concat(
        [tables["person_ties"], new_ties.assign(client_id=people["client_id"].iloc[0])],
        ignore_index=True,
    )
    return Inventory.from_tables(
        {name: t.assign(client_id=client_id) for name, t in tables.items()}
    )


#: The therapist the browser signs in as with ``--auth`` (and the admin who assigns them).
THERAPIST, ADMIN, PASSWORD = "ann", "lee", "a long benchmark password"


def build_store(folder: Path, *, users: bool = False) -> Store:
    """A store of one client per size of :data:`TARGETS`, named ``people-<n>``.

    With ``users``: an admin, and :data:`THERAPIST` assigned to every client.
    """
    store = Store.create(folder / "bench.db")
    for seed, n in enumerate(TARGETS, start=11):
        store.import_inventory(wide_client(f"people-{n}", n, seed))
    if users:
        store.add_user(ADMIN, "admin", PASSWORD)
        admin = store.acting_as(store.sign_in(ADMIN, PASSWORD))
        admin.add_user(THERAPIST, "therapist", PASSWORD)
        admin.assign(THERAPIST, [f"people-{n}" for n in TARGETS])
    return store


def sign_in(driver: webdriver.Chrome, url: str) -> None:
    """Sign in through the dashboard's form, as a user would, and wait for the client list."""
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "user-name").send_keys(THERAPIST)
    driver.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 60).until(lambda d: "/login" not in d.current_url)


# --------------------------------------------------------------------------- the apps


def floor_app(figures: dict[int, dict[str, Any]]) -> dash.Dash:
    """A bare Dash app: the same slider, one callback returning a prepared figure."""
    sessions = sorted(figures)
    app = dash.Dash(__name__, serve_locally=True)
    app.layout = html.Div(
        [
            dcc.Slider(
                id=ids.SESSION_SLIDER,
                min=sessions[0],
                max=sessions[-1],
                step=1,
                value=sessions[-1],
                marks={s: str(s) for s in sessions},
                included=False,
                updatemode="mouseup",
            ),
            dcc.Graph(id=ids.MAP),
        ]
    )

    @app.callback(dash.Output(ids.MAP, "figure"), dash.Input(ids.SESSION_SLIDER, "value"))
    def _figure(session: int) -> dict[str, Any]:
        return figures[session]

    return app


@contextmanager
def served(app: dash.Dash) -> Iterator[str]:
    """``app`` served on a free loopback port in a thread; yields its address."""
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


# --------------------------------------------------------------------------- the browser


def browser() -> webdriver.Chrome:
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,1300"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


_SPAN = f"""
const got = performance.getEntriesByType('resource').filter(e => e.name.includes('{REQUESTS}'));
if (got.length < arguments[0]) return null;
return [got.length,
        Math.max(...got.map(e => e.responseEnd)) - Math.min(...got.map(e => e.startTime))];
"""


def step(driver: webdriver.Chrome, key: str, requests: int) -> float:
    """Press ``key`` on the slider; the server time of the step's requests, in ms."""
    driver.execute_script("performance.clearResourceTimings()")
    driver.find_element(By.CSS_SELECTOR, f"#{ids.SESSION_SLIDER} [role=slider]").send_keys(key)
    count, span = WebDriverWait(driver, 60, poll_frequency=0.01).until(
        lambda d: d.execute_script(_SPAN, requests)
    )
    if count != requests:
        raise RuntimeError(f"a step sent {count} requests, expected {requests}")
    return float(span)


_COUNT = (
    f"return performance.getEntriesByType('resource').filter(e => e.name.includes('{REQUESTS}'))"
    ".length"
)


def open_page(driver: webdriver.Chrome, url: str) -> int:
    """Load ``url`` and press Home on the slider; the number of requests one step sends.

    The page shows the last session; Home steps to the first one, so the
    requests of that step are counted once they have settled. That step is
    not measured: the calibration is a wait of its own.
    """
    driver.get(url)
    WebDriverWait(driver, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"#{ids.MAP} .main-svg")
    )
    time.sleep(1.0)  # the page's first callbacks settle
    driver.execute_script("performance.setResourceTimingBufferSize(100000)")
    driver.execute_script("performance.clearResourceTimings()")
    driver.find_element(By.CSS_SELECTOR, f"#{ids.SESSION_SLIDER} [role=slider]").send_keys(
        Keys.HOME
    )
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(_COUNT))
    time.sleep(2.0)  # any further request of the step
    return int(driver.execute_script(_COUNT))


def first_showings(driver: webdriver.Chrome, n_sessions: int, requests: int) -> list[float]:
    """From the first session, step right to the last but one: each a session not yet shown.

    The page showed the last session when it loaded and the first when it
    was calibrated (:func:`open_page`); sessions 2 to ``n_sessions - 1``
    are new to the server at every step.
    """
    return [step(driver, Keys.ARROW_RIGHT, requests) for _ in range(n_sessions - 2)]


def re_steps(driver: webdriver.Chrome, n_sessions: int, requests: int, n_steps: int) -> list[float]:
    """``n_steps`` steps back and forth over sessions already shown (from the last but one)."""
    keys = [Keys.ARROW_LEFT, Keys.ARROW_RIGHT]
    steps, at, direction = [], n_sessions - 2, 0
    for _ in range(n_steps):
        if not 0 < at + (1 if direction else -1) < n_sessions - 1:
            direction = 1 - direction
        at += 1 if direction else -1
        steps.append(step(driver, keys[direction], requests))
    return steps


@dataclass
class Times:
    """The server times of one app's steps, in ms."""

    first: list[float] = field(default_factory=list)
    again: list[float] = field(default_factory=list)

    @property
    def first_ms(self) -> float:
        return statistics.median(self.first)

    @property
    def again_ms(self) -> float:
        return statistics.median(self.again)


def measure(
    driver: webdriver.Chrome, url: str, n_sessions: int, times: Times, n_steps: int
) -> None:
    """One round on ``url``: first showings, then ``n_steps`` re-steps (0: none)."""
    requests = open_page(driver, url)
    times.first += first_showings(driver, n_sessions, requests)
    times.again += re_steps(driver, n_sessions, requests, n_steps)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of first showings, each on a fresh cache"
    )
    parser.add_argument("--steps", type=int, default=20, help="re-steps after the rounds")
    parser.add_argument(
        "--strict", action="store_true", help="hold the re-steps (cache hits) to the targets too"
    )
    parser.add_argument(
        "--auth", action="store_true", help="serve ours with sign-in, signed in as a therapist"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.steps < 1:
        parser.error("rounds and steps must be at least 1")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        build_store(Path(folder), users=args.auth).close()
        db = Path(folder) / "bench.db"
        driver = browser()
        try:
            print(
                ("signed in (serve --auth): " if args.auth else "")
                + f"server time of one slider step, ms (median; first showings: {args.rounds} "
                f"rounds of {SESSIONS - 2} steps, each round on a fresh cache; "
                f"then {args.steps} re-steps)"
            )
            print(
                f"{'people':>6}  {'1st ours':>8}  {'1st floor':>9}  {'1st ratio':>9}  target  "
                f"{'again ours':>10}  {'again floor':>11}  {'again ratio':>11}"
            )
            for n, target in TARGETS.items():
                client = f"people-{n}"
                with Store.open(db) as store:
                    reader = store.acting_as(store.sign_in(ADMIN, PASSWORD)) if args.auth else store
                    inventory = reader.inventory([client])
                figures = {
                    s: relationship_map(inventory, client, s) for s in inventory.sessions_of(client)
                }
                ours, floor = Times(), Times()
                for round_ in range(args.rounds):
                    steps = args.steps if round_ == args.rounds - 1 else 0
                    with Store.open(db) as store, served(create_app(store, auth=args.auth)) as url:
                        if args.auth:
                            sign_in(driver, url)
                        measure(driver, f"{url}/client/{client}", len(figures), ours, steps)
                    with served(floor_app(figures)) as url:
                        measure(driver, f"{url}/", len(figures), floor, steps)
                first = ours.first_ms / floor.first_ms
                again = ours.again_ms / floor.again_ms
                print(
                    f"{n:>6}  {ours.first_ms:>8.1f}  {floor.first_ms:>9.1f}  {first:>8.1f}x  "
                    f"<= {target:.0f}x  {ours.again_ms:>10.1f}  {floor.again_ms:>11.1f}  "
                    f"{again:>10.1f}x",
                    flush=True,
                )
                gated = [("first showings", first)]
                if args.strict:
                    gated.append(("re-steps", again))
                for what, value in gated:
                    if value > target:
                        failures.append(
                            f"{n} people, {what}: {value:.1f}x the floor, target {target:.0f}x"
                        )
        finally:
            driver.quit()
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
