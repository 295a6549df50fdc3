"""The demo and serve commands, without starting a real server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dash
import pytest
from click.testing import CliRunner

from dashboards.context import STORE_KEY
from ipt_network import Inventory
from ipt_network.cli import main
from ipt_network.io.store import Store


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace Dash.run: record each call (and what the app's store holds) instead of serving."""
    calls: list[dict[str, Any]] = []

    def fake_run(app: dash.Dash, **kwargs: Any) -> None:
        store = app.server.config[STORE_KEY]
        calls.append(
            {
                **kwargs,
                "clients": store.client_ids(),
                "db": str(store.engine.url.database),
            }
        )

    monkeypatch.setattr(dash.Dash, "run", fake_run)
    return calls


@pytest.mark.parametrize("command", ["demo", "serve"])
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org", "::"])
def test_other_hosts_are_refused(runs: list[dict[str, Any]], command: str, host: str) -> None:
    result = CliRunner().invoke(main, [command, "--host", host])
    assert result.exit_code != 0
    assert "only listens on this computer" in result.output
    assert "authentication" in result.output
    assert runs == []


def test_demo_serves_a_temporary_copy_of_the_samples(
    runs: list[dict[str, Any]], samples_inv: Inventory
) -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8050/" in result.output
    [call] = runs
    assert (call["host"], call["port"], call["debug"]) == ("127.0.0.1", 8050, False)
    assert sorted(call["clients"]) == sorted(samples_inv.client_ids())
    assert not Path(call["db"]).exists()  # the temporary copy is gone after the demo


def test_serve_opens_the_given_store(
    runs: list[dict[str, Any]], tmp_path: Path, samples_inv: Inventory
) -> None:
    db = tmp_path / "mine.db"
    Store.create(db).import_inventory(samples_inv.for_clients(["grief-01"]))
    result = CliRunner().invoke(
        main, ["serve", "--db", str(db), "--port", "9123", "--host", "localhost"]
    )
    assert result.exit_code == 0, result.output
    assert "http://localhost:9123/" in result.output
    [call] = runs
    assert (call["host"], call["port"], call["debug"]) == ("localhost", 9123, False)
    assert call["clients"] == ["grief-01"] and Path(call["db"]) == db.resolve()


def test_serve_without_a_store_says_how_to_make_one(
    runs: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0
    assert "no store at" in result.output and "ipt-network init" in result.output
    assert runs == []


def test_a_taken_port_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(app: dash.Dash, **kwargs: Any) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(dash.Dash, "run", busy)
    result = CliRunner().invoke(main, ["demo", "--port", "8123"])
    assert result.exit_code != 0
    assert "port 8123" in result.output and "--port" in result.output


def test_request_logs_are_silenced(runs: list[dict[str, Any]]) -> None:
    logging.getLogger("werkzeug").setLevel(logging.INFO)
    CliRunner().invoke(main, ["demo"])
    assert logging.getLogger("werkzeug").level == logging.ERROR


def test_help_is_written_for_a_clinician() -> None:
    for command in ("demo", "serve"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "browser" in result.output and "--port" in result.output
