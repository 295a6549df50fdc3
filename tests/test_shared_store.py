"""The ordinary way of working: the dashboard open in a browser while the command line writes.

``ipt-network serve`` runs in its own process; headless Chromium opens the
client list and a client and saves the drafted next session on the record
page, while ``ipt-network import`` adds three clients to the same store from
another process. Each side must see the other's write at once, and after the
server stops the store must pass SQLite's integrity check with every client
present. (With ADBC's second SQLite library in the server process this
corrupted the store every time.)
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from selenium.webdriver.common.keys import Keys

from dashboards import ids
from ipt_network import Store
from ipt_network.io.inventory import Inventory
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import write_inventory

CLI = [sys.executable, "-c", "from ipt_network.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server stopped: {proc.communicate()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def _three_new_clients(folder: Path) -> Path:
    inv = synthesize(3, 11)
    tables = {}
    for name, frame in inv.items():
        frame = frame.copy()
        frame["client_id"] = "cli-" + frame["client_id"].astype(str)
        tables[name] = frame
    write_inventory(Inventory.from_tables(tables), folder)
    return folder


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("IPT_NETWORK_DB", None)
    return env


def test_dashboard_and_cli_share_a_store_without_harm(
    dash_duo: Any, tmp_path: Path, samples_inv: Inventory
) -> None:
    db = tmp_path / "practice.db"
    with Store.create(db) as store:
        store.import_inventory(samples_inv)
    extra = _three_new_clients(tmp_path / "three")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*CLI, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        _wait_until_serving(base + "/", server)
        duo = dash_duo
        duo.driver.set_window_size(1500, 1300)
        duo.wait_for_page(url=base + "/")
        duo.wait_for_element(f"#{ids.CLIENT_TABLE} table", timeout=30)
        duo.wait_for_page(url=base + "/client/dispute-01")
        duo.wait_for_element(f"#{ids.MAP} .gtitle", timeout=30)
        duo.wait_for_page(url=base + "/client/dispute-01/record")
        duo.wait_for_element(f"#{ids.RECORD_PEOPLE} table", timeout=30)
        where = f"#{ids.RECORD_PEOPLE}"
        ring = duo.find_elements(
            f"{where} input.{ids.RECORD_RING}, {where} .{ids.RECORD_RING} input"
        )[0]
        ring.send_keys(Keys.CONTROL, "a")
        ring.send_keys("2")
        for box, answer in zip(duo.find_elements(".phq9-items input"), "110100100", strict=True):
            box.send_keys(answer)
        # the command line imports while the dashboard saves
        importer = subprocess.Popen(
            [*CLI, "import", str(extra), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        duo.find_element(f"#{ids.RECORD_SAVE}").click()
        duo.wait_for_contains_text(f"#{ids.RECORD_MESSAGE}", "Session 17 saved.", timeout=60)
        out, err = importer.communicate(timeout=120)
        assert importer.returncode == 0, err
        assert "Imported 3 client(s)" in out

        # the command line sees the dashboard's session at once
        shown = subprocess.run(
            [*CLI, "show", "dispute-01", "--db", str(db)],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
        )
        assert shown.returncode == 0, shown.stderr
        assert "17 of 16" in shown.stdout or "\n       17  " in shown.stdout

        # the dashboard sees the command line's clients at once
        duo.wait_for_page(url=base + "/")
        for client in ("cli-c00001", "cli-c00002", "cli-c00003"):
            duo.wait_for_contains_text(f"#{ids.CLIENT_TABLE}", client, timeout=30)
        duo.wait_for_page(url=base + "/client/cli-c00002")
        duo.wait_for_element(f"#{ids.MAP} .gtitle", timeout=30)
        assert duo.get_logs() == []
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids_stored = {r[0] for r in conn.execute("SELECT client_id FROM clients")}
        sessions = {
            r[0]
            for r in conn.execute(
                "SELECT session FROM sessions WHERE client_id = ?", ("dispute-01",)
            )
        }
    finally:
        conn.close()
    assert ids_stored == set(samples_inv.client_ids()) | {
        "cli-c00001",
        "cli-c00002",
        "cli-c00003",
    }
    assert 17 in sessions
    # nothing left behind that a later program could trip over
    assert not Path(str(db) + "-journal").exists()
