"""Backups while the store is in use, and restoring one.

A backup here is of a store *file* (SQLite's online backup API), plain or
encrypted: one consistent snapshot while a writer keeps writing and while the
real dashboard (`ipt-network serve`, its own process) is serving. A PostgreSQL
store is copied with pg_dump and put back with pg_restore, which the commands'
one sentence names and the last test runs for real on a throwaway server.
"""

from __future__ import annotations

import gc
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pytest
import tqdm
from click.testing import CliRunner

from dashboards.app import create_app
from dashboards.callbacks.client import map_outputs
from dashboards.context import current_store
from ipt_network.cli import main
from ipt_network.errors import (
    BadArgument,
    Forbidden,
    InputMissing,
    KeyRequired,
    NotAStore,
    OutputExists,
    SchemaVersionError,
    StoreBusy,
    StoreError,
    WrongKey,
)
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store, _backup
from ipt_network.io.store._engine import KEY_ENV, is_encrypted
from ipt_network.io.synth import synthesize

KEY: Final = "correct horse battery staple"
PASSWORD: Final = "a long enough password"


def tables_of(store: Store) -> dict[str, pd.DataFrame]:
    """Every client table of a store, in a stable order, to compare two stores."""
    inventory = store.inventory()
    return {
        name: frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)
        for name, frame in inventory.items()
    }


def same_tables(a: Store, b: Store) -> bool:
    left, right = tables_of(a), tables_of(b)
    return left.keys() == right.keys() and all(left[n].equals(right[n]) for n in left)


class Writer(threading.Thread):
    """Imports one synthetic client after another until stopped, noting each one's revision."""

    def __init__(self, db: Path, key: str | None, cohort: Inventory) -> None:
        super().__init__(daemon=True)
        self.store = Store.open(db, write=True, key=key)
        self.cohort = cohort
        self.done: dict[str, int] = {}  # client id -> the revision its import made
        self.stop = threading.Event()
        self.wrote = threading.Condition()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for client in self.cohort.client_ids():
                if self.stop.is_set():
                    break
                self.store.import_inventory(self.cohort.for_clients([client]))
                with self.wrote:
                    self.done[client] = self.store.revision  # the only writer: its own revision
                    self.wrote.notify_all()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.store.close()

    def wait_for(self, count: int) -> None:
        with self.wrote:
            assert self.wrote.wait_for(lambda: len(self.done) >= count, timeout=60), self.error


@pytest.fixture
def cohort() -> Inventory:
    return synthesize(60, seed=5)


def _backed_up(db: Path, samples: Inventory, out: Path) -> Any:
    """A store of ``samples`` at ``db`` and its backup at ``out`` (the store closed)."""
    with Store.create(db) as store:
        store.import_inventory(samples)
        return store.backup(out)


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "encrypted"])
def test_a_backup_while_a_writer_keeps_writing_is_one_snapshot_and_restores(
    tmp_path: Path,
    samples_once: Inventory,
    cohort: Inventory,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
) -> None:
    db, copy = tmp_path / "ipt.db", tmp_path / "backup.db"
    with Store.create(db, key=key) as store:
        store.import_inventory(samples_once)
        rows_before = len(store.audit_trail())
    writer = Writer(db, key, cohort)
    writer.start()
    writer.wait_for(1)
    # Each step of the copy waits for the writer to commit once more: writes land
    # between the pages of the backup, not only before or after it.
    monkeypatch.setattr(_backup, "STEP_PAGES", 8)
    steps: list[int] = []
    update = tqdm.tqdm.update
    backing_up = threading.current_thread()  # the writer's imports have bars of their own

    def step(bar: Any, n: float | None = 1) -> bool | None:
        if threading.current_thread() is not backing_up:
            return update(bar, n)
        steps.append(len(writer.done))
        if len(steps) <= 3:
            writer.wait_for(len(writer.done) + 1)
        return update(bar, n)

    monkeypatch.setattr(tqdm.tqdm, "update", step)
    store = Store.open(db, key=key)
    made = store.backup(copy)
    monkeypatch.undo()
    writer.stop.set()
    writer.join(60)
    assert writer.error is None
    assert steps[-1] > steps[0]  # the writer committed while the backup was being copied
    assert len(steps) > 3

    # the copy is the store at one revision: every client written up to it, none after
    expected = set(samples_once.client_ids()) | {
        c for c, rev in writer.done.items() if rev <= made.revision
    }
    assert len(expected) < len(samples_once.client_ids()) + len(writer.done)
    with Store.open(copy, key=key) as backed_up:
        assert backed_up.revision == made.revision
        assert set(backed_up.client_ids()) == expected
        snapshot = tables_of(backed_up)
        copied_rows = len(backed_up.audit_trail())
    assert is_encrypted(copy) is (key is not None)
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    latest = set(store.client_ids())
    trail = store.audit_trail()
    # one row per import of the writer, and exactly one for the backup, naming its revision
    assert len(trail) == rows_before + len(writer.done) + 1
    backups = trail[trail["action"] == "backup"]
    assert len(backups) == 1 and f"revision {made.revision}" in backups["detail"].iloc[0]
    store.close()

    done = Store.restore(copy, db, key=key)
    assert done.before is not None and oct(done.before.stat().st_mode & 0o777) == "0o600"
    assert oct(db.stat().st_mode & 0o777) == "0o600"  # the restored store, too
    with Store.open(db, key=key) as restored:
        assert set(restored.client_ids()) == expected
        restored_tables = tables_of(restored)
        assert all(restored_tables[n].equals(snapshot[n]) for n in snapshot)
        trail = restored.audit_trail()
        assert len(trail) == copied_rows + 1  # the copy's trail and one row for the restore
        assert trail["action"].iloc[-1] == "restore"
        assert done.before.name in trail["detail"].iloc[-1]
        assert restored.verify_audit().ok
    with Store.open(done.before, key=key) as kept:  # the writes after the backup are kept
        assert set(kept.client_ids()) == latest
        assert (kept.audit_trail()["action"] == "backup").sum() == 1
        assert kept.verify_audit().ok


def test_an_encrypted_backup_stays_encrypted(tmp_path: Path, samples_once: Inventory) -> None:
    db, copy = tmp_path / "ipt.db", tmp_path / "copies" / "backup.db"
    with Store.create(db, key=KEY) as store:
        store.import_inventory(samples_once)
        made = store.backup(copy)
    assert made.encrypted and is_encrypted(copy)
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert oct(copy.parent.stat().st_mode & 0o777) == "0o700"  # a folder made for it
    assert [p.name for p in copy.parent.iterdir()] == ["backup.db"]  # no WAL or part left
    names = [n.encode() for n in samples_once.people["name"] if len(n) > 4]
    assert not [n for n in names if n in copy.read_bytes()]
    with pytest.raises(KeyRequired):
        Store.open(copy)
    with pytest.raises(KeyRequired):
        Store.restore(copy, tmp_path / "elsewhere.db")
    with pytest.raises(WrongKey, match=KEY_ENV) as wrong:
        Store.restore(copy, tmp_path / "elsewhere.db", key="not the right key at all")
    assert "not the right key" not in str(wrong.value)
    assert not (tmp_path / "elsewhere.db").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    done = Store.restore(copy, tmp_path / "elsewhere.db", key=KEY)
    assert done.before is None and is_encrypted(done.store)
    with Store.open(done.store, key=KEY) as back:
        assert sorted(back.client_ids()) == sorted(samples_once.client_ids())


def test_a_backup_of_a_store_the_dashboard_is_serving(
    tmp_path: Path, samples_once: Inventory
) -> None:
    db = tmp_path / "ipt.db"
    with Store.create(db) as setup:
        setup.import_inventory(samples_once)
    served = Store.open(db, write=True)
    app = create_app(served)
    with app.server.test_request_context("/"):
        map_outputs(current_store(), "grief-01", 1)  # the dashboard has read: it holds the store
        current_store().update("grief-01", "clients", {}, {"label": "saved by the dashboard"})
        made = current_store().backup(tmp_path / "backup.db")
    with Store.open(made.path) as copy:
        assert copy.inventory(["grief-01"]).clients["label"].iloc[0] == "saved by the dashboard"
        assert same_tables(copy, served)
    # a restore while the dashboard serves is refused, and changes nothing
    before = db.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(StoreBusy, match="stop it"):
        Store.restore(made.path, db)
    assert (db.read_bytes(), sorted(p.name for p in tmp_path.iterdir())) == before
    served.close()
    gc.collect()
    assert Store.restore(made.path, db).before is not None


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status)


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "encrypted"])
def test_a_backup_while_the_real_dashboard_serves_and_writes_go_on(
    tmp_path: Path, samples_once: Inventory, key: str | None
) -> None:
    """`ipt-network serve` in its own process; backup, a write and a refused restore beside it."""
    db, copy = tmp_path / "ipt.db", tmp_path / "backup.db"
    with Store.create(db, key=key) as store:
        store.import_inventory(samples_once)
    env = {KEY_ENV: key, "IPT_NETWORK_DB": None, "IPT_NETWORK_USER": None}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", "from ipt_network.cli import main; main()",
         "serve", "--db", str(db), "--port", str(port)],
        env={n: v for n, v in {**os.environ, **env}.items() if v is not None},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    runner = CliRunner(env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(f"{url}/") == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        assert _get(f"{url}/client/grief-01") == 200  # the dashboard has read the store
        wrote = runner.invoke(main, ["contract", "grief-01", "--planned", "15", "--db", str(db)])
        assert wrote.exit_code == 0, wrote.output
        gc.collect()
        made = runner.invoke(main, ["backup", "--db", str(db), "--out", str(copy)])
        assert made.exit_code == 0, made.output
        assert _get(f"{url}/client/grief-01") == 200  # still serving, after the backup
        gc.collect()
        refused = runner.invoke(main, ["restore", str(copy), "--db", str(db), "--yes"])
        assert refused.exit_code == 1 and "stop it" in refused.output
        assert not list(tmp_path.glob("ipt.db.before-restore-*"))
        assert _get(f"{url}/") == 200
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert key is None or key not in errors  # the key is in no log line
    assert oct(copy.stat().st_mode & 0o777) == "0o600" and is_encrypted(copy) is (key is not None)
    with Store.open(db, key=key) as served, Store.open(copy, key=key) as backed_up:
        assert same_tables(backed_up, served)  # the write made while serving is in the copy
        copied = backed_up.audit_trail()
        assert copied["action"].iloc[-1] == "update"
        assert served.audit_trail()["action"].iloc[-1] == "backup"
    gc.collect()
    done = runner.invoke(main, ["restore", str(copy), "--db", str(db), "--yes"])
    assert done.exit_code == 0, done.output
    with Store.open(db, key=key) as restored:
        trail = restored.audit_trail()
        assert len(trail) == len(copied) + 1 and trail["action"].iloc[-1] == "restore"
        assert restored.verify_audit().ok


def test_a_restore_refuses_while_another_program_has_the_store_open(
    tmp_path: Path, samples_once: Inventory
) -> None:
    db = tmp_path / "ipt.db"
    made = _backed_up(db, samples_once, tmp_path / "backup.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ipt_network.io.store import Store; "
            f"s = Store.open({str(db)!r}); s.client_ids(); print('open', flush=True); "
            "sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreBusy):
            Store.restore(made.path, db)
        assert not list(tmp_path.glob("ipt.db.before-restore-*"))
    finally:
        holder.communicate("\n", timeout=60)
    assert Store.restore(made.path, db).before is not None


def test_a_backup_refuses_what_it_should(tmp_path: Path, samples_once: Inventory) -> None:
    db, copy = tmp_path / "ipt.db", tmp_path / "backup.db"
    store = Store.create(db)
    store.import_inventory(samples_once)
    store.backup(copy)
    first = copy.read_bytes()
    with pytest.raises(OutputExists, match="--overwrite"):
        store.backup(copy)
    assert copy.read_bytes() == first
    store.update("grief-01", "clients", {}, {"label": "changed"})
    assert store.backup(copy, overwrite=True).revision == store.revision
    with pytest.raises(BadArgument, match="another file"):
        store.backup(db)  # not onto the store itself: a bad --out, and nothing written
    with pytest.raises(BadArgument, match="itself"):
        Store.restore(db, db)
    assert store.audit_trail()["action"].iloc[-1] == "backup"
    store.add_user("admin", "admin", PASSWORD)  # the owner adds the first user, an admin
    store.acting_as(store.sign_in("admin", PASSWORD)).add_user("ann", "therapist", PASSWORD)
    ann = store.acting_as(store.sign_in("ann", PASSWORD))
    with pytest.raises(Forbidden):
        ann.backup(tmp_path / "ann.db")
    assert not (tmp_path / "ann.db").exists()
    store.close()
    with pytest.raises(Forbidden):
        Store.restore(copy, db, actor=ann.actor)
    with Store.open(db) as again:
        admin = again.sign_in("admin", PASSWORD)
    assert Store.restore(copy, db, actor=admin).before is not None


def test_a_backup_that_cannot_be_recorded_leaves_no_copy(
    tmp_path: Path, samples_once: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, copy = tmp_path / "ipt.db", tmp_path / "backup.db"
    with Store.create(db) as store:
        store.import_inventory(samples_once)
    monkeypatch.setenv("IPT_NETWORK_BUSY_TIMEOUT", "0.2")
    holder = sqlite3.connect(db, isolation_level=None)  # another program, writing
    holder.execute("BEGIN IMMEDIATE")
    store = Store.open(db)
    try:
        with pytest.raises(StoreBusy):
            store.backup(copy)
        assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    rows = len(store.audit_trail())
    made = store.backup(copy)  # once the writer is done
    assert copy.exists() and len(store.audit_trail()) == rows + 1 and made.revision > 0
    store.close()


def test_a_restore_checks_the_copy_before_it_replaces_anything(
    tmp_path: Path, samples_once: Inventory
) -> None:
    db = tmp_path / "ipt.db"
    made = _backed_up(db, samples_once, tmp_path / "backup.db")
    untouched = db.read_bytes()
    text = tmp_path / "notes.txt"
    text.write_text("not a store\n")
    newer = tmp_path / "newer.db"
    newer.write_bytes(made.path.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    empty = tmp_path / "empty.db"
    empty.touch()
    for source, error in ((text, NotAStore), (empty, NotAStore), (newer, SchemaVersionError)):
        with pytest.raises(error):
            Store.restore(source, db)
    with pytest.raises(InputMissing):
        Store.restore(tmp_path / "nothing.db", db)
    with pytest.raises(StoreError, match="pg_dump"):
        Store.restore(made.path, "postgresql://localhost/ipt")
    assert db.read_bytes() == untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert not list(tmp_path.glob("ipt.db.before-restore-*"))


def test_a_damaged_store_is_replaced_and_kept(tmp_path: Path, samples_once: Inventory) -> None:
    db = tmp_path / "ipt.db"
    made = _backed_up(db, samples_once, tmp_path / "backup.db")
    db.write_bytes(b"\x00garbage" * 100)
    done = Store.restore(made.path, db)
    assert done.before is not None and done.before.read_bytes() == b"\x00garbage" * 100
    with Store.open(db) as back:
        assert sorted(back.client_ids()) == sorted(samples_once.client_ids())


@pytest.fixture
def no_key_env() -> Iterator[dict[str, str | None]]:
    yield {KEY_ENV: None, "IPT_NETWORK_DB": None, "IPT_NETWORK_USER": None}


def test_backup_and_restore_commands(
    tmp_path: Path, samples_once: Inventory, no_key_env: dict[str, str | None]
) -> None:
    db = tmp_path / "ipt.db"
    with Store.create(db) as store:
        store.import_inventory(samples_once)
    runner = CliRunner(env=no_key_env)
    made = runner.invoke(main, ["backup", "--db", str(db), "--out", str(tmp_path / "b.db")])
    assert made.exit_code == 0, made.output
    assert "not encrypted" in made.output and "revision" in made.output
    again = runner.invoke(main, ["backup", "--db", str(db), "--out", str(tmp_path / "b.db")])
    assert again.exit_code == 1 and "--overwrite" in again.output
    asked = runner.invoke(main, ["restore", str(tmp_path / "b.db"), "--db", str(db)], input="n\n")
    assert asked.exit_code == 1 and "Replace the store" in asked.output
    assert not list(tmp_path.glob("ipt.db.before-restore-*"))
    gc.collect()
    done = runner.invoke(main, ["restore", str(tmp_path / "b.db"), "--db", str(db), "--yes"])
    assert done.exit_code == 0, done.output
    assert "before-restore" in done.output
    for command in ("backup", "restore"):
        shown = runner.invoke(main, [command, "--help"])
        assert shown.exit_code == 0 and "dashboard" in shown.output
    pg = runner.invoke(main, ["backup", "--db", "postgresql://h/ipt", "--out", "x.db"])
    assert pg.exit_code == 1 and "pg_dump" in pg.output  # said before reaching for server h
    assert os.path.exists(tmp_path / "b.db")


def test_a_postgresql_store_says_to_use_pg_dump_and_pg_restore(
    tmp_path: Path,
    samples_once: Inventory,
    pg_server: Any,
    pg_database: str,
    no_key_env: dict[str, str | None],
) -> None:
    runner = CliRunner(env=no_key_env)
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"")
    for args, tool in (
        (["backup", "--db", pg_database, "--out", str(tmp_path / "x.db")], "pg_dump"),
        (["restore", str(copy), "--db", pg_database], "pg_restore"),
    ):
        said = runner.invoke(main, args)  # before any prompt or connection
        assert said.exit_code == 1 and tool in said.output and "Traceback" not in said.output
        assert said.output.strip().count("\n") == 0  # one sentence, on one line
    assert not (tmp_path / "x.db").exists()

    # "as its superuser": the store's own role cannot dump it, the policies hide rows from it.
    # (tests/test_postgres.py runs the sentence's pg_dump and pg_restore as the superuser.)
    with Store.create(pg_database) as store:
        store.import_inventory(samples_once.for_clients(["grief-01"]))
        as_app = subprocess.run(
            [pg_server.bin / "pg_dump", "--format=custom", f"--file={tmp_path / 'no.dump'}",
             f"--dbname={pg_database}"], capture_output=True, text=True, check=False,
        )  # fmt: skip
    assert as_app.returncode != 0 and "row-level security" in as_app.stderr
