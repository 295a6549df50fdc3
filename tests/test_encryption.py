"""Encryption at rest: an SQLCipher store holds no byte of a record in clear.

SQLite-only: encryption is of a store *file* (a PostgreSQL server encrypts its
own disks), so these tests are about files, their WAL and their journal.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import click
import pytest
from click.testing import CliRunner, Result

from dashboards.app import create_app
from dashboards.callbacks.client import map_outputs
from dashboards.callbacks.clients import client_rows
from dashboards.context import current_store
from ipt_network.cli import COMMANDS, main
from ipt_network.errors import BadArgument, KeyRequired, StoreError, WrongKey
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store
from ipt_network.io.store._engine import (
    KEY_ENV,
    connect_file,
    engine_key,
    is_encrypted,
    make_engine,
)
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import write_inventory

KEY: Final = "correct horse battery staple"
PASSWORD: Final = "a long enough password"
NC_EXPORTS: Final = Path(__file__).parents[1] / "data" / "network-canvas"
NC_MAPPING: Final = NC_EXPORTS / "mapping.example.toml"
#: Planted in a person's name, a client's label and a session note: found in no byte.
PLANTED: Final = "Quillfeatherine"
SAMPLES: Final = Path(__file__).parents[1] / "ipt_network" / "data" / "samples" / "clients"


def planted(inventory: Inventory) -> Inventory:
    """The sample clients with :data:`PLANTED` in three free-text places of grief-01."""
    tables = {name: frame.copy(deep=True) for name, frame in inventory.items()}
    people, clients, sessions = tables["people"], tables["clients"], tables["sessions"]
    people.loc[people["client_id"].eq("grief-01").idxmax(), "name"] = PLANTED
    clients.loc[clients["client_id"].eq("grief-01"), "label"] = f"{PLANTED}, 68"
    sessions.loc[sessions["client_id"].eq("grief-01").idxmax(), "notes"] = f"saw {PLANTED}"
    return Inventory.from_tables(tables)


def hits(folder: Path) -> dict[str, int]:
    """How often :data:`PLANTED` occurs in each file under ``folder`` (as UTF-8 bytes)."""
    needle = PLANTED.encode()
    return {
        str(path.relative_to(folder)): path.read_bytes().count(needle)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def dashboard_reads(store: Store) -> None:
    """What the dashboard reads to draw the client list and a relationship map."""
    app = create_app(store)
    assert app.server.test_client().get("/").status_code == 200
    with app.server.test_request_context("/"):
        served = current_store()
        assert "grief-01" in str(client_rows(served))
        figure, _table = map_outputs(served, "grief-01", 1)
        assert figure["data"]


@pytest.fixture
def sqlite3_opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every file Python's ``sqlite3`` opens during the test."""
    opened: list[str] = []
    real = sqlite3.connect

    def spy(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(str(database))
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", spy)
    yield opened


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "plain control"])
def test_a_planted_name_is_in_no_byte_of_an_encrypted_store(
    tmp_path: Path, samples_once: Inventory, encrypted: bool
) -> None:
    folder = tmp_path / "store"
    key = KEY if encrypted else None
    store = Store.create(folder / "ipt.db", key=key)
    store.import_inventory(planted(samples_once))
    store.update("grief-01", "clients", {}, {"label": f"{PLANTED} again"})
    dashboard_reads(store)
    while_open = hits(folder)
    assert (folder / "ipt.db-wal").stat().st_size > 0  # the WAL holds the latest pages
    store.close()
    after = hits(folder)
    if encrypted:
        assert "ipt.db-wal" in while_open and "ipt.db-shm" in while_open
        assert sum(while_open.values()) == 0, while_open
        assert sum(after.values()) == 0, after
        assert not (folder / "ipt.db-columns").exists()  # no Parquet copy in clear
        assert is_encrypted(folder / "ipt.db")
    else:  # the same scan finds the name in a plain store: it would see a leak
        assert sum(while_open.values()) > 0 and sum(after.values()) > 0


def test_the_rollback_journal_of_an_encrypted_file_is_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    for key, expect_clear in ((KEY, False), (None, True)):
        path.unlink(missing_ok=True)
        conn = connect_file(path, key)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("CREATE TABLE t (name TEXT)")
        conn.execute("INSERT INTO t VALUES (?)", (PLANTED * 40,))
        conn.execute("BEGIN")
        conn.execute("UPDATE t SET name = 'gone'")  # the journal keeps the page as it was
        journal = Path(f"{path}-journal").read_bytes()
        conn.execute("ROLLBACK")
        conn.close()
        assert (PLANTED.encode() in journal) is expect_clear, key


def test_no_sqlite3_connection_opens_an_encrypted_store(
    tmp_path: Path, samples_once: Inventory, sqlite3_opens: list[str]
) -> None:
    db = tmp_path / "ipt.db"
    with Store.create(db, key=KEY) as store:
        store.import_inventory(samples_once)
        store.update("grief-01", "sessions", {"session": 1}, {"notes": "edited"})
        assert store.read_tables(["people"])["people"]["client_id"].nunique() == 4
        dashboard_reads(store)
        store.backup(tmp_path / "copy.db")
    with Store.open(db, key=KEY, write=True) as again:
        assert sorted(again.client_ids()) == sorted(samples_once.client_ids())
    assert not [p for p in sqlite3_opens if str(tmp_path) in p], sqlite3_opens
    assert engine_key(again.engine) == KEY


def test_a_missing_or_wrong_key_is_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "ipt.db"
    Store.create(db, key=KEY).close()
    with pytest.raises(KeyRequired, match=KEY_ENV):
        Store.open(db)
    with pytest.raises(WrongKey, match=KEY_ENV):
        Store.open(db, key="not the right key at all")
    for env in ({}, {KEY_ENV: "not the right key at all"}):
        result = CliRunner(env={KEY_ENV: None, **env}).invoke(main, ["clients", "--db", str(db)])
        assert result.exit_code == 1
        assert KEY_ENV in result.output and "Traceback" not in result.output
        assert "hmac" not in result.output.lower()  # SQLCipher's own log lines are silenced
        assert "not the right key" not in result.output  # a key is never printed


def test_a_key_for_a_plain_store_or_a_server_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "plain.db"
    Store.create(db).close()
    with pytest.raises(StoreError, match="without encryption"):
        Store.open(db, key=KEY)
    with pytest.raises(StoreError, match="encrypts its own disks"):
        make_engine("postgresql+psycopg://localhost/ipt", KEY)
    with pytest.raises(BadArgument, match="at least 12"):
        Store.create(tmp_path / "short.db", key="short")
    assert not (tmp_path / "short.db").exists()
    with pytest.raises(BadArgument):
        make_engine(f"sqlite:///{tmp_path / 'empty.db'}", "")  # an empty key encrypts nothing


def test_a_text_file_is_not_taken_for_an_encrypted_store(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a store\n" * 20)
    assert not is_encrypted(text)
    noise = tmp_path / "noise.db"
    noise.write_bytes(bytes(range(256)) * 16)  # 4096 bytes: a whole page, no SQLite header
    assert is_encrypted(noise)
    with pytest.raises(WrongKey):
        Store.open(noise, key=KEY)


# --------------------------------------------------------------------------- the command line


def run(*args: str, env: dict[str, str | None] | None = None, stdin: str | None = None) -> Result:
    runner = CliRunner(env={KEY_ENV: KEY, "IPT_NETWORK_DB": None, **(env or {})})
    result = runner.invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result


def commands_with_a_store() -> set[str]:
    """Every command (a group's as ``"group sub"``) that takes ``--db``, from :data:`COMMANDS`."""
    names: set[str] = set()
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        assert command is not None, name
        subs = command.commands if isinstance(command, click.Group) else {"": command}
        for sub, leaf in subs.items():
            if any(param.name == "db" for param in leaf.params):
                names.add(f"{name} {sub}".strip())
    return names


def test_every_command_that_touches_a_store_works_on_an_encrypted_one(
    tmp_path: Path,
    samples_once: Inventory,
    monkeypatch: pytest.MonkeyPatch,
    sqlite3_opens: list[str],
) -> None:
    db, out = str(tmp_path / "ipt.db"), tmp_path / "out"
    write_inventory(planted(samples_once), tmp_path / "tidy")
    write_inventory(synthesize(12, seed=3), tmp_path / "synth")  # enough clients for a model
    served: list[str] = []

    def serve_once(app: Any, host: str, port: int, tls: Any = None) -> None:
        """What `serve` runs, without listening: the app answers on the store it opened."""
        assert app.server.test_client().get("/client/grief-01").status_code == 200
        with app.server.test_request_context("/"):
            served.extend(str(row) for row in client_rows(current_store()))

    monkeypatch.setattr("ipt_network.cli.dashboard._serve", serve_once)
    lee = ["--user", "lee"]
    # (command, its arguments, standard input); all with --db, IPT_NETWORK_KEY set
    steps: list[tuple[str, list[str], str]] = [
        ("init", ["--encrypt"], ""),
        ("init", ["--region", "uk"], ""),  # the existing encrypted store
        ("settings", [], ""),
        ("settings", ["--region", "ca"], ""),
        ("import", [str(tmp_path / "tidy")], ""),
        ("import", [str(tmp_path / "synth")], ""),
        ("import", [str(tmp_path / "tidy"), "--replace"], ""),
        ("import-nc", [str(NC_EXPORTS), "--map", str(NC_MAPPING), "--dry-run"], ""),
        ("import-nc", [str(NC_EXPORTS), "--map", str(NC_MAPPING)], ""),
        ("clients", [], ""),
        ("show", ["grief-01"], ""),
        ("changes", ["grief-01"], ""),
        ("timeline", ["grief-01"], ""),
        ("problem-areas", ["--all", "--out", str(out / "areas.json")], ""),
        ("focus", ["grief-01", "grief", "--session", "2"], ""),
        (
            "work",
            [
                "grief-01",
                *["--session", "3", "--person", "p02", "--kind", "task", "--planned"],
                "Lunch",
            ],
            "",
        ),
        ("stage", ["dispute-01", "impasse", "--session", "5"], ""),
        ("contract", ["grief-01", "--planned", "15"], ""),
        ("ending", ["grief-01", "--gains", "You went back to the group."], ""),
        (
            "goal",
            [
                "grief-01",
                *["--session", "3", "--goal-id", "g9", "--area", "grief", "--text", "Visit"],
                *["--status", "in_progress"],
            ],
            "",
        ),
        (
            "area-work",
            ["grief-01", "grief", *["--session", "5", "--person", "p01", "--memories", "Them"]],
            "",
        ),
        ("report", ["grief-01", "--out", str(out / "report.html")], ""),
        *[
            ("export", ["--out", str(out / fmt), "--format", fmt], "")
            for fmt in ("tidy", "graphml", "egor", "parquet")
        ],
        ("export", ["--out", str(out / "deid"), "--format", "tidy", "--deidentify"], ""),
        ("metrics", ["--out", str(out / "metrics.csv"), "--no-progress"], ""),
        ("model", ["--out", str(out / "model"), "--no-progress"], ""),
        ("serve", ["--port", "8765"], ""),
        ("backup", ["--out", str(tmp_path / "backup.db")], ""),
        ("restore", [str(tmp_path / "backup.db"), "--yes"], ""),
        ("users add", ["lee", "--role", "admin"], f"{PASSWORD}\n"),  # by the owner
        ("users add", ["ann", "--role", "therapist", *lee], f"{PASSWORD}\n{PASSWORD}\n"),
        ("users list", lee, f"{PASSWORD}\n"),
        ("users assign", ["ann", "grief-01", *lee], f"{PASSWORD}\n"),
        ("users remove", ["ann", *lee], f"{PASSWORD}\n"),
        ("audit show", lee, f"{PASSWORD}\n"),
        ("audit verify", lee, f"{PASSWORD}\n"),
    ]
    walked = {command for command, _, _ in steps}
    assert walked == commands_with_a_store(), "walk every command that takes --db here"
    for command, args, stdin in steps:
        # Each command is a process of its own in use; here they share one, and a command
        # that leaves its store to the garbage collector would keep it open (restore refuses).
        gc.collect()
        result = run(*command.split(), *args, "--db", db, stdin=stdin)
        assert KEY not in result.output, command  # a key is never printed
    assert any("grief-01" in row for row in served)
    assert PLANTED in (out / "tidy" / "people.csv").read_text()  # decrypted on export
    assert (out / "report.html").stat().st_size > 0 and (out / "metrics.csv").stat().st_size > 0
    assert "intact" in run("audit", "verify", *lee, "--db", db, stdin=f"{PASSWORD}\n").output
    store_files = [p for p in tmp_path.iterdir() if p.name.startswith(("ipt.db", "backup.db"))]
    assert len(store_files) >= 3  # the store, the backup, the store kept before the restore
    for path in store_files:
        assert PLANTED.encode() not in path.read_bytes(), path.name
    assert is_encrypted(tmp_path / "backup.db") and is_encrypted(tmp_path / "ipt.db")
    assert not [p for p in sqlite3_opens if str(tmp_path) in p], sqlite3_opens  # SQLCipher only


#: `ipt-network` in a process of its own, logging everything at DEBUG (SQLAlchemy's statements too).
LOUD: Final = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stderr); "
    "logging.getLogger('sqlalchemy').setLevel(logging.DEBUG); "
    "from ipt_network.cli import main; main()"
)


def test_the_key_is_in_no_log_line_even_at_debug(tmp_path: Path, samples_once: Inventory) -> None:
    db, copy = str(tmp_path / "ipt.db"), str(tmp_path / "copy.db")
    write_inventory(samples_once, tmp_path / "tidy")
    env = {n: v for n, v in os.environ.items() if n not in ("IPT_NETWORK_DB", "IPT_NETWORK_USER")}
    logged = []
    for args in (
        ["init", "--encrypt"],
        ["import", str(tmp_path / "tidy")],
        ["export", "--out", str(tmp_path / "out")],
        ["backup", "--out", copy],
        ["restore", copy, "--yes"],
        ["clients"],
    ):
        done = subprocess.run(
            [sys.executable, "-c", LOUD, *args, "--db", db],
            env={**env, KEY_ENV: KEY},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        logged.append(done.stdout + done.stderr)
    text = "\n".join(logged)
    assert "sqlalchemy.engine" in text and "SELECT" in text  # the statements were logged
    assert KEY not in text and "PRAGMA key" not in text


def test_no_command_takes_a_key_on_its_command_line() -> None:
    """A secret never comes from an option: it would stay in shell histories and `ps`."""
    secret_words = ("key", "password", "secret", "passphrase", "token")
    file_options = []
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        assert command is not None, name
        subs = command.commands.values() if isinstance(command, click.Group) else [command]
        for leaf in subs:
            for param in leaf.params:
                words = " ".join([str(param.name), *param.opts, str(param.envvar or "")])
                assert KEY_ENV not in words, (name, param.name)  # only read by _key.store_key
                if any(word in words.lower() for word in secret_words):
                    # a file holding a secret (serve's TLS --key), never the secret itself
                    assert isinstance(param.type, click.Path), (name, param.opts)
                    file_options.append((name, param.name))
    assert file_options == [("serve", "key")]


def test_keys_are_asked_for_on_a_terminal_and_never_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ipt_network.cli._key._interactive", lambda: True)
    db = str(tmp_path / "ipt.db")
    made = run("init", "--encrypt", "--db", db, env={KEY_ENV: None}, stdin=f"{KEY}\n{KEY}\n")
    assert "New key" in made.output and "Repeat the key" in made.output
    assert KEY not in made.output
    listed = run("clients", "--db", db, env={KEY_ENV: None}, stdin=f"{KEY}\n")
    assert "Key of the encrypted store" in listed.output and KEY not in listed.output
    with Store.open(db, key=KEY) as store:
        assert store.client_ids() == []


def test_init_without_a_key_or_over_a_plain_store_says_what_to_do(tmp_path: Path) -> None:
    runner = CliRunner(env={KEY_ENV: None})
    nothing = runner.invoke(main, ["init", "--encrypt", "--db", str(tmp_path / "a.db")])
    assert nothing.exit_code == 1 and KEY_ENV in nothing.output
    assert not (tmp_path / "a.db").exists()
    Store.create(tmp_path / "plain.db").close()
    over = CliRunner(env={KEY_ENV: KEY}).invoke(
        main, ["init", "--encrypt", "--db", str(tmp_path / "plain.db")]
    )
    assert over.exit_code == 1 and "without encryption" in over.output
    assert not is_encrypted(tmp_path / "plain.db")
    # a plain store gets no key, even with the variable set
    assert run("clients", "--db", str(tmp_path / "plain.db")).exit_code == 0
