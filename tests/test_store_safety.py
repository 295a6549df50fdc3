"""The store stays whole when several programs share it, and when a writer dies.

These tests run real processes (the ``ipt-network`` command line in
subprocesses), because what breaks a store breaks between programs: a reader
beside an importer, two importers, an importer killed with SIGKILL.

Every test runs on a SQLite file and on a PostgreSQL database (``store_db``,
seen past the store through ``backend``) except these, which are about a
SQLite file itself: its bytes untouched by a reader, its file modes, and
paths that are no store.

``IPT_CRASH_TRIALS`` sets how many kill -9 trials run (default 3; more for a
longer soak: ``IPT_CRASH_TRIALS=40 pytest tests/test_store_safety.py -k crash``).
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Store
from ipt_network.cli import main
from ipt_network.errors import DriverMissing, NotAStore, StoreBusy, StoreError
from ipt_network.io.inventory import Inventory
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import write_inventory

if TYPE_CHECKING:
    from conftest import StoreBackend

CLI = [sys.executable, "-c", "from ipt_network.cli import main; main()"]
CRASH_TRIALS = int(os.environ.get("IPT_CRASH_TRIALS", "3"))


def cohort(n: int, prefix: str, seed: int = 7) -> Inventory:
    """A synthetic cohort whose client ids start with ``prefix``."""
    inv = synthesize(n, seed)
    tables = {}
    for name, frame in inv.items():
        frame = frame.copy()
        frame["client_id"] = prefix + frame["client_id"].astype(str)
        tables[name] = frame
    return Inventory.from_tables(tables)


def folder_of(inv: Inventory, path: Path) -> Path:
    write_inventory(inv, path)
    return path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    full.pop("IPT_NETWORK_DB", None)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=full, timeout=300)


@pytest.fixture
def samples_db(store_db: str, samples_inv: Inventory) -> str:
    with Store.create(store_db) as store:
        store.import_inventory(samples_inv)
    return store_db


@pytest.fixture
def samples_file(tmp_path: Path, samples_inv: Inventory) -> Path:
    path = tmp_path / "ipt.db"
    with Store.create(path) as store:
        store.import_inventory(samples_inv)
    return path


# --------------------------------------------------------------------------- opening


def test_opening_to_read_writes_nothing(samples_db: str, backend: StoreBackend) -> None:
    before = backend.rows()
    with Store.open(samples_db) as store:
        revision = store.revision
        store.inventory(["grief-01"])
        store.client_ids()
        store.read_tables(["clients", "relationships"])
    with Store.open(samples_db) as store:
        assert store.revision == revision
    after = backend.rows()
    assert after == before and len(after["clients"]) == 4  # not one row of any table changed


def test_opening_a_store_file_to_read_leaves_its_bytes(samples_file: Path) -> None:
    files = [samples_file, samples_file.with_name(samples_file.name + "-wal")]
    before = [(p.exists() and p.read_bytes()) for p in files]
    with Store.open(samples_file) as store:
        store.inventory(["grief-01"])
        store.client_ids()
    assert [(p.exists() and p.read_bytes()) for p in files] == before


def test_reader_opens_while_another_program_holds_the_write_lock(
    samples_db: str, backend: StoreBackend
) -> None:
    with backend.hold_write_lock():
        assert backend.write_lock_taken()
        with Store.open(samples_db) as store:  # would need the lock if opening wrote
            assert "grief-01" in store.client_ids()
            assert len(store.read_tables(["relationships"])["relationships"]) > 0
    assert not backend.write_lock_taken()


def test_writer_gives_up_after_the_busy_timeout_with_a_sentence(
    samples_db: str,
    backend: StoreBackend,
    tiny_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    samples_inv: Inventory,
) -> None:
    monkeypatch.setenv("IPT_NETWORK_BUSY_TIMEOUT", "0.3")
    with backend.hold_write_lock():
        started = time.monotonic()
        with Store.open(samples_db, write=True) as store, pytest.raises(StoreBusy):
            store.import_inventory(samples_inv.for_clients(["grief-01"]), replace=True)
        assert time.monotonic() - started < 5
        result = CliRunner().invoke(main, ["import", str(tiny_folder), "--db", samples_db])
    assert result.exit_code == 1
    assert "another program is writing to the store" in result.output
    assert "try again" in result.output
    assert "Traceback" not in result.output
    assert backend.client_ids() == set(samples_inv.client_ids())


@pytest.mark.parametrize(
    "kind", ["text file", "folder", "empty sqlite", "postgres without driver", "missing"]
)
def test_a_db_that_is_not_a_store_is_named(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "text file":
        target = tmp_path / "notes.txt"
        target.write_text("this is not a store\n" * 20)
        expected = "is not an ipt-network store"
    elif kind == "folder":
        target = tmp_path / "a-folder"
        target.mkdir()
        expected = "is a folder"
    elif kind == "empty sqlite":
        target = tmp_path / "other.db"
        sqlite3.connect(target).execute("CREATE TABLE x (a)").connection.close()
        expected = "holds no ipt-network store"
    elif kind == "missing":
        target = tmp_path / "nothing.db"
        expected = "ipt-network init"
    else:
        target = Path("postgresql://localhost/ipt")
        expected = "pip install 'psycopg[binary]'"
        monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
        with pytest.raises(DriverMissing, match=re.escape(expected)):
            Store.open("postgresql://localhost/ipt")
    db = str(target) if kind != "postgres without driver" else "postgresql://localhost/ipt"
    for command in (["clients"], ["show", "grief-01"], ["metrics", "--out", "m.csv"]):
        result = CliRunner().invoke(main, [*command, "--db", db])
        assert result.exit_code == 1, (command, result.output)
        assert expected in result.output
        assert "Traceback" not in result.output
    if kind == "text file":
        assert target.read_text() == "this is not a store\n" * 20  # untouched
        with pytest.raises(NotAStore):
            Store.open(target)
    if kind == "missing":
        assert not target.exists()
        with pytest.raises(StoreError):
            Store.open(target)


# --------------------------------------------------------------------------- private files


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_files_are_private(samples_file: Path) -> None:
    with Store.open(samples_file) as store:
        store.read_tables(["relationships", "person_ties"])
        columns = samples_file.with_name(samples_file.name + "-columns")
        assert _mode(samples_file) == 0o600
        assert _mode(samples_file.with_name(samples_file.name + "-wal")) == 0o600
        assert _mode(samples_file.with_name(samples_file.name + "-shm")) == 0o600
        assert _mode(columns) == 0o700
        assert sorted(p.name for p in columns.iterdir())
        assert {_mode(p) for p in columns.iterdir()} == {0o600}


def test_default_data_folder_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IPT_NETWORK_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "config" / "ipt-network"
    assert _mode(folder) == 0o700
    assert _mode(folder / "store.db") == 0o600


def test_an_old_world_readable_store_is_made_private_by_init(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Store.create(path).close()
    os.chmod(path, 0o644)
    assert CliRunner().invoke(main, ["init", "--db", str(path)]).exit_code == 0
    assert _mode(path) == 0o600


# --------------------------------------------------------------------------- revisions


def test_every_write_bumps_the_revision_and_stale_copies_are_not_used(samples_db: str) -> None:
    with Store.open(samples_db, write=True) as store:
        first = store.revision
        before = store.read_tables(["clients"])["clients"]
        # another program writes
        other = Store.open(samples_db, write=True)
        other.set_focus("grief-01", ["grief"], 5)
        other.close()
        assert store.revision == first + 1
        after = store.read_tables(["clients"])["clients"]
    row = after.set_index("client_id").loc["grief-01"]
    assert row["focus_session"] == 5
    assert not before.equals(after)


# --------------------------------------------------------------------------- real processes


READER = """
import sys, time
from ipt_network import Store
path, stop = sys.argv[1], sys.argv[2]
import os
ok = failed = 0
while not os.path.exists(stop):
    try:
        with Store.open(path) as store:
            store.client_ids()
            store.inventory(["dispute-01"])
            store.read_tables(["clients", "sessions"])
        ok += 1
    except Exception as exc:
        failed += 1
        print(type(exc).__name__, exc, file=sys.stderr)
print(ok, failed)
"""


def test_readers_never_fail_while_an_import_runs(
    tmp_path: Path, samples_db: str, backend: StoreBackend, samples_inv: Inventory
) -> None:
    folder = folder_of(cohort(400, "imp-"), tmp_path / "cohort")
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(samples_db), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    importer = subprocess.Popen(
        [*CLI, "import", str(folder), "--db", str(samples_db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    polls = failures = 0
    seen_partial = False
    while importer.poll() is None or polls < 3:
        for command in (["clients"], ["show", "dispute-01"]):
            result = run(*command, "--db", str(samples_db))
            polls += 1
            if result.returncode != 0:
                failures += 1
                print(result.stdout, result.stderr)
        ids = backend.client_ids()
        seen_partial |= bool(ids - set(samples_inv.client_ids())) and len(ids) < 404
    out, err = importer.communicate()
    stop.touch()
    reader_out, reader_err = reader.communicate(timeout=60)
    reads, reader_failures = (int(x) for x in reader_out.split())
    assert importer.returncode == 0, err
    assert failures == 0, f"{failures} of {polls} command polls failed"
    assert reader_failures == 0, reader_err
    assert polls >= 3 and reads >= 3
    print(
        f"concurrency: {polls} CLI reads and {reads} library reads during one import, "
        f"{failures + reader_failures} failed"
    )
    assert not seen_partial  # a reader never sees half an import
    assert backend.intact() == "ok"
    assert len(backend.client_ids()) == 404


def test_two_importers_both_land_one_after_the_other(
    tmp_path: Path, samples_db: str, backend: StoreBackend
) -> None:
    a = folder_of(cohort(300, "a-"), tmp_path / "a")
    b = folder_of(cohort(300, "b-", seed=8), tmp_path / "b")
    procs = [
        subprocess.Popen(
            [*CLI, "import", str(f), "--db", str(samples_db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in (a, b)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert backend.intact() == "ok"
    ids = backend.client_ids()
    assert sum(i.startswith("a-") for i in ids) == 300
    assert sum(i.startswith("b-") for i in ids) == 300


def test_second_importer_past_the_busy_timeout_fails_cleanly(
    tmp_path: Path, samples_db: str, backend: StoreBackend, samples_inv: Inventory
) -> None:
    b = folder_of(samples_inv.for_clients(["grief-01"]), tmp_path / "b")
    before = backend.rows()
    # another program holds the write lock for as long as this test wants (an import
    # is now too quick to be caught in the act reliably)
    with backend.hold_write_lock():
        second = run(
            "import",
            str(b),
            "--db",
            samples_db,
            "--replace",
            env={"IPT_NETWORK_BUSY_TIMEOUT": "0.2"},
        )
    assert second.returncode == 1
    assert "another program is writing to the store" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert backend.intact() == "ok"
    assert backend.rows() == before  # not one row written, not even an audit row


def test_import_killed_at_random_points_leaves_the_store_whole(
    tmp_path: Path, samples_db: str, backend: StoreBackend
) -> None:
    folder = folder_of(cohort(400, "k-"), tmp_path / "cohort")
    before = backend.client_ids()
    rng = random.Random(20261130)
    # how long an undisturbed import takes here, to spread the kills over it
    timing = backend.new_db()
    with Store.create(timing):
        pass
    started = time.monotonic()
    assert run("import", str(folder), "--db", timing).returncode == 0
    duration = time.monotonic() - started
    landed = inside = 0
    for trial in range(CRASH_TRIALS):
        with Store.open(samples_db) as store:
            revision = store.revision
        proc = subprocess.Popen(
            [*CLI, "import", str(folder), "--db", str(samples_db), "--replace"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if trial % 2:
            # every other trial: kill inside the write transaction, while rows go in
            inside += _wait_for_write_lock(backend, proc)
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            time.sleep(rng.uniform(0.05, duration * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert backend.intact() == "ok"
        ids = backend.client_ids()
        imported = {i for i in ids if i.startswith("k-")}
        assert ids - imported == before
        assert len(imported) in (0, 400)  # all or none
        with Store.open(samples_db) as store:
            frame = store.read_tables(["relationships"])["relationships"]
            assert set(frame["client_id"].unique()) == ids
            landed += store.revision != revision
    print(
        f"crash trials: {CRASH_TRIALS} ({inside} killed inside the write transaction), "
        f"all intact and all-or-none; {landed} imports had committed before the kill"
    )


def _wait_for_write_lock(backend: StoreBackend, proc: subprocess.Popen[bytes]) -> bool:
    """Wait until ``proc`` holds the store's write lock; False if it finished first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if backend.write_lock_taken():
            return True
        time.sleep(0.01)
    return False


def _sessions(path: str, client: str) -> list[int]:
    with Store.open(path) as store:
        return store.inventory([client]).sessions_of(client)


def test_each_process_sees_the_others_writes_at_once(
    tmp_path: Path, samples_db: str, backend: StoreBackend
) -> None:
    """A long-lived Store (as the dashboard holds) and the CLI in another process."""
    with Store.open(samples_db, write=True) as live:
        live.read_tables(["clients", "sessions"])  # warm the columnar copy
        extra = folder_of(cohort(3, "new-"), tmp_path / "extra")
        assert run("import", str(extra), "--db", str(samples_db)).returncode == 0
        listed = set(live.read_tables(["clients"])["clients"]["client_id"])
        assert {"new-c00001", "new-c00002", "new-c00003"} <= listed
        live.set_focus("deficits-01", ["interpersonal_deficits"], 3)
        shown = run("show", "deficits-01", "--db", str(samples_db))
        assert shown.returncode == 0
        assert "chosen at session 3" in shown.stdout
    assert backend.intact() == "ok"
    frame = pd.DataFrame({"n": [len(_sessions(samples_db, "new-c00001"))]})
    assert int(frame["n"].iloc[0]) > 0


def test_exports_reports_and_metric_tables_are_private(samples_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "new" / "export"
    assert (
        runner.invoke(main, ["export", "--db", str(samples_db), "--out", str(out)]).exit_code == 0
    )
    assert _mode(out) == 0o700 and _mode(out.parent) == 0o700
    assert {_mode(p) for p in out.iterdir()} == {0o600}
    anon = tmp_path / "anon"
    result = runner.invoke(
        main, ["export", "--db", str(samples_db), "--out", str(anon), "--deidentify"]
    )
    assert result.exit_code == 0
    assert {_mode(p) for p in anon.iterdir()} == {0o600}
    report = tmp_path / "r.html"
    args = ["report", "grief-01", "--db", str(samples_db), "--out", str(report)]
    assert runner.invoke(main, args).exit_code == 0
    assert _mode(report) == 0o600
    for name in ("m.csv", "m.parquet"):
        table = tmp_path / name
        args = ["metrics", "--db", str(samples_db), "--out", str(table)]
        assert runner.invoke(main, args).exit_code == 0
        assert _mode(table) == 0o600
    assert not list(tmp_path.glob(".*.part"))  # no temporary file left behind
