"""Take the README's screenshots of the dashboard in headless Chromium.

Serves the sample clients from a temporary store on a free local port, opens
the client page (a session compared with the first) and the client view, and
saves ``dashboard-client.png``, ``dashboard-work.png`` (the middle-phase work
card of the dispute client) and ``dashboard-client-view.png``; then serves a
synthetic cohort (:data:`COHORT_CLIENTS` clients, ``synth``) and saves the
cohort page as ``dashboard-cohort.png``::

    python -m dashboards.screenshots docs/images

Needs Debian's ``chromium`` and ``chromium-driver`` (``make browser``).
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from dashboards import ids
from dashboards.app import create_app
from ipt_network.io.samples import load_samples
from ipt_network.io.store import Store
from ipt_network.io.synth import synthesize

__all__ = ["take_screenshots"]

CLIENT = "grief-01"
SESSION = 9
#: The client whose middle-phase work card is shown, at its last session.
WORK_CLIENT = "dispute-01"
#: Synthetic clients on the cohort page's screenshot (the four samples make thin figures).
COHORT_CLIENTS = 400


def _driver() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=1440,1280")
    options.add_argument("--force-device-scale-factor=1")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _title(driver: webdriver.Chrome, text: str) -> None:
    WebDriverWait(driver, 30).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, f"#{ids.MAP} .gtitle"), text)
    )


@contextmanager
def _served(store: Store) -> Iterator[int]:
    """The dashboard on ``store``, served on a free local port in a thread; yields the port."""
    server = make_server("127.0.0.1", 0, create_app(store).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


def _cohort_screenshot(driver: webdriver.Chrome, folder: Path, tmp: Path) -> Path:
    """The cohort page on a synthetic cohort, the whole page in one picture."""
    store = Store.create(tmp / "cohort.db")
    store.import_inventory(synthesize(COHORT_CLIENTS, 1), progress=False)
    try:
        with _served(store) as port:
            driver.get(f"http://127.0.0.1:{port}/cohort")
            scatter = f"#{ids.COHORT_SCATTER}"
            WebDriverWait(driver, 60).until(
                ec.presence_of_element_located((By.CSS_SELECTOR, f"{scatter} .main-svg"))
            )
            WebDriverWait(driver, 30).until(
                ec.text_to_be_present_in_element((By.ID, ids.COHORT_COUNT), "clients")
            )
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1440, int(height) + 40)
            WebDriverWait(driver, 30).until(
                ec.presence_of_element_located((By.CSS_SELECTOR, f"{scatter} .scatterlayer"))
            )
            path = folder / "dashboard-cohort.png"
            driver.save_screenshot(str(path))
            return path
    finally:
        store.close()


def take_screenshots(folder: Path) -> list[Path]:
    """Save the four screenshots into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(Path(tmp) / "demo.db")
        store.import_inventory(load_samples())
        server = make_server("127.0.0.1", 0, create_app(store).server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        driver = _driver()
        try:
            url = f"http://127.0.0.1:{server.server_port}/client/{CLIENT}"
            driver.get(url)
            _title(driver, "session")
            thumb = driver.find_element(By.CSS_SELECTOR, f"#{ids.SESSION_SLIDER} [role=slider]")
            thumb.send_keys(Keys.HOME, *[Keys.ARROW_RIGHT] * (SESSION - 1))
            _title(driver, f"session {SESSION}")
            driver.find_element(By.CSS_SELECTOR, f"#{ids.COMPARE_ON} input").click()
            _title(driver, "compared with session 1")
            WebDriverWait(driver, 30).until(
                ec.text_to_be_present_in_element((By.ID, ids.CHANGES), f"Session {SESSION}")
            )
            therapist = folder / "dashboard-client.png"
            driver.save_screenshot(str(therapist))
            driver.find_element(By.CSS_SELECTOR, f"#{ids.COMPARE_ON} input").click()
            _title(driver, f"session {SESSION}")
            driver.find_element(By.CSS_SELECTOR, f"#{ids.CLIENT_VIEW} input").click()
            WebDriverWait(driver, 30).until(
                lambda d: "client-view" in d.find_element(By.ID, ids.PAGE).get_attribute("class")
            )
            WebDriverWait(driver, 30).until(
                lambda d: "SAFETY" not in d.find_element(By.ID, ids.BANNER).text
            )
            client = folder / "dashboard-client-view.png"
            driver.save_screenshot(str(client))
            driver.get(f"http://127.0.0.1:{server.server_port}/client/{WORK_CLIENT}")
            WebDriverWait(driver, 30).until(
                ec.text_to_be_present_in_element((By.ID, ids.WORK), "Dispute stage")
            )
            card = driver.find_element(By.ID, ids.WORK).find_element(By.XPATH, "..")
            driver.execute_script("arguments[0].scrollIntoView()", card)
            work = folder / "dashboard-work.png"
            card.screenshot(str(work))
            return [therapist, work, client, _cohort_screenshot(driver, folder, Path(tmp))]
        finally:
            driver.quit()
            server.shutdown()
            store.close()


if __name__ == "__main__":
    for path in take_screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")):
        print(path)
