"""The audit trail, end to end: every write path leaves exactly one row, and tampering shows.

Three walks over every write path, each derived from the code so that a new
path cannot slip past: every command of :data:`ipt_network.cli.COMMANDS`
(a command not classified here fails the test), every public method of
:class:`~ipt_network.io.store.Store` (likewise), and every server callback
of the dashboard (``app.callback_map``). Each path is run for real, and the
rows it appended are compared with what it did: the action, the signed-in
user, the clients by id and the number of rows. Reads that stay inside (a
``show``, a page) append none; reads that leave the system (exports in every
format, de-identified or not, a report, the metric and model files, a
backup) append one each.

Then the tampering: with the database's own client (the ``sqlite3`` program
for a SQLite store, ``psql`` as the superuser for a PostgreSQL one), the
append-only triggers are dropped, as anyone holding the file or the
superuser could, and a row is edited, a middle row deleted, the last row
deleted, two rows swapped, or a forged row added with a correct hash.
``ipt-network audit verify`` must exit non-zero and name the first broken
row every time.
"""

from __future__ import annotations

import gc
import inspect
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Inventory, load_samples
from ipt_network.cli import COMMANDS, main
from ipt_network.io.store import Event, Store, _audit
from ipt_network.io.tidy import read_inventory

ROOT: Final = Path(__file__).resolve().parents[1]
NC_EXPORTS: Final = ROOT / "data" / "network-canvas"
NC_MAPPING: Final = NC_EXPORTS / "mapping.example.toml"
COLUMNS: Final = ["action", "actor", "role", "clients", "rows"]


# --------------------------------------------------------------------------- helpers


def trail_of(store: Store) -> pd.DataFrame:
    """The whole audit trail, as the owner or an admin reads it."""
    return store.audit_trail()


@dataclass
class Trail:
    """Counts the rows appended to a store's trail since the last :meth:`new` call."""

    reader: Store
    seen: int = 0

    def __post_init__(self) -> None:
        self.seen = len(trail_of(self.reader))

    def new(self) -> pd.DataFrame:
        rows = trail_of(self.reader)
        fresh = rows.iloc[self.seen :].reset_index(drop=True)
        self.seen = len(rows)
        return fresh


def one_row(fresh: pd.DataFrame, what: str) -> dict[str, Any]:
    """The only row of ``fresh``, as a dict; a clear failure naming ``what`` otherwise."""
    assert len(fresh) == 1, (
        f"{what} left {len(fresh)} audit rows: {fresh[COLUMNS].to_dict('records')}"
    )
    return dict(fresh.iloc[0].to_dict())


def ids(row: dict[str, Any]) -> list[str]:
    return str(row["clients"]).split(";") if row["clients"] else []


def total_rows(inventory: Any) -> int:
    return sum(len(frame) for _, frame in inventory.items())


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


# --------------------------------------------------------------------------- tampering


@dataclass(frozen=True)
class Tamper:
    """One way to tamper with a trail whose last row is ``last``: SQL, and the row to name."""

    name: str
    sql: Callable[[int, dict[str, Any]], list[str]]
    broken: Callable[[int], int]


def _forged(last: int, tail: dict[str, Any]) -> list[str]:
    """A row added after the last one, chained and hashed exactly as the store does."""
    row = {
        "seq": last + 1,
        "at": tail["at"],
        "actor": "mallory",
        "role": "admin",
        "action": "export",
        "clients": "",
        "n_clients": 0,
        "rows": 0,
        "detail": "format=tidy",
        "prev_hash": tail["hash"],
    }
    digest = _audit._digest([row[f] for f in _audit._FIELDS])
    values = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in row.values())
    columns = ", ".join(f'"{c}"' for c in row)
    return [f"INSERT INTO audit ({columns}, hash) VALUES ({values}, '{digest}')"]


#: Five kinds of tampering, each with the row ``audit verify`` must name first.
TAMPERING: Final = (
    Tamper(
        "edit",
        lambda last, _: ['UPDATE audit SET "rows" = "rows" + 1 WHERE seq = 2'],
        lambda last: 2,
    ),
    Tamper(
        "delete a middle row", lambda last, _: ["DELETE FROM audit WHERE seq = 3"], lambda last: 3
    ),
    Tamper(
        "delete the last row",
        lambda last, _: [f"DELETE FROM audit WHERE seq = {last}"],
        lambda last: last,
    ),
    Tamper(
        "reorder",
        lambda last, _: [
            "UPDATE audit SET seq = -2 WHERE seq = 2",
            "UPDATE audit SET seq = 2 WHERE seq = 3",
            "UPDATE audit SET seq = 3 WHERE seq = -2",
        ],
        lambda last: 2,
    ),
    Tamper("insert a forged row", _forged, lambda last: last + 1),
)


def _make_trail(db: str) -> tuple[int, dict[str, Any]]:
    """A store with sample clients and a few more rows; its last row's number and row."""
    with Store.create(db) as store:
        store.import_inventory(load_samples().for_clients(["grief-01", "dispute-01"]))
        store.set_setting("region", "uk")
        store.set_focus("grief-01", ["grief"], 2)
        store.record(Event("export", ["grief-01"], rows=3, detail="format=tidy"))
        trail = store.audit_trail()
        assert store.verify_audit().ok
    return len(trail), trail.iloc[-1].to_dict()


def _verify(db: str) -> tuple[int, str]:
    return run("audit", "verify", "--db", db)


def _sqlite3(path: str, statements: list[str]) -> subprocess.CompletedProcess[str]:
    """Run SQL with SQLite's own command-line program (stopping at the first error)."""
    program = shutil.which("sqlite3")
    assert program is not None, "the sqlite3 program is missing: run `make sqlite3`"
    script = ".bail on\n" + ";\n".join(statements) + ";\n"
    return subprocess.run([program, path], input=script, capture_output=True, text=True)


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda t: t.name)
def test_sqlite3_tampering_is_found_and_the_first_broken_row_named(
    tmp_path: Path, tamper: Tamper
) -> None:
    db = str(tmp_path / "ipt.db")
    last, tail = _make_trail(db)
    assert last >= 4
    code, out = _verify(db)
    assert code == 0 and f"{last} row(s)" in out
    # the database itself refuses, until the triggers are dropped
    refused = _sqlite3(db, ["DELETE FROM audit WHERE seq = 1"])
    assert refused.returncode != 0 and "append-only" in refused.stderr
    drop = ["DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete"]
    done = _sqlite3(db, drop + tamper.sql(last, tail))
    assert done.returncode == 0 and not done.stderr, done.stderr
    code, out = _verify(db)
    print(f"sqlite3, {tamper.name}: exit {code}: {out.strip()}")
    assert code == 1
    assert f"the audit trail is broken at row {tamper.broken(last)}:" in out


def _psql(server: Any, database: str, statements: list[str]) -> subprocess.CompletedProcess[str]:
    """Run SQL with PostgreSQL's own client, as the superuser (stopping at the first error)."""
    psql = server.bin / "psql"
    url = server.url(database, "postgres")
    return subprocess.run(
        [str(psql), "-v", "ON_ERROR_STOP=1", "-q", url],
        input=";\n".join(statements) + ";\n",
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda t: t.name)
def test_psql_tampering_is_found_and_the_first_broken_row_named(
    pg_server: Any, pg_database: str, tamper: Tamper
) -> None:
    last, tail = _make_trail(pg_database)
    code, out = _verify(pg_database)
    assert code == 0 and f"{last} row(s)" in out
    database = pg_database.rsplit("/", 1)[1]
    refused = _psql(pg_server, database, ["DELETE FROM audit WHERE seq = 1"])
    assert refused.returncode != 0 and "append-only" in refused.stderr
    drop = ["DROP TRIGGER audit_no_change ON audit"]
    done = _psql(pg_server, database, drop + tamper.sql(last, tail))
    assert done.returncode == 0, done.stderr
    code, out = _verify(pg_database)
    print(f"psql, {tamper.name}: exit {code}: {out.strip()}")
    assert code == 1
    assert f"the audit trail is broken at row {tamper.broken(last)}:" in out


def _guard_removed_then_put_back(
    db: str, drop: Callable[[], subprocess.CompletedProcess[str]]
) -> None:
    """Triggers dropped, no row touched: verify says the trail is unprotected; init restores."""
    last, _ = _make_trail(db)
    done = drop()
    assert done.returncode == 0, done.stderr
    code, out = _verify(db)
    assert code == 1 and "the audit trail is not protected" in out, out
    assert "ipt-network init puts it back" in out
    code, out = run("init", "--db", db)
    assert code == 0, out
    code, out = _verify(db)
    assert code == 0 and f"{last + 1} row(s)" in out, out
    with Store.open(db) as store:
        row = store.audit_trail().iloc[-1]
    assert (row["action"], row["detail"]) == ("init", "guards")


def test_a_removed_append_only_guard_is_reported_and_init_puts_it_back(tmp_path: Path) -> None:
    db = str(tmp_path / "ipt.db")
    _guard_removed_then_put_back(db, lambda: _sqlite3(db, ["DROP TRIGGER audit_no_delete"]))


def test_a_removed_append_only_guard_on_postgresql_is_reported_and_put_back(
    pg_server: Any, pg_database: str
) -> None:
    database = pg_database.rsplit("/", 1)[1]
    _guard_removed_then_put_back(
        pg_database,
        lambda: _psql(pg_server, database, ["DROP TRIGGER audit_no_truncate ON audit"]),
    )


# --------------------------------------------------------------------------- the library


@dataclass(frozen=True)
class Wrote:
    """What one write's audit row must say; ``clients`` and ``rows`` may be worked out after."""

    action: str
    actor: str
    clients: list[str] | Callable[[], list[str]] = field(default_factory=list)
    rows: int | Callable[[], int] = 0

    def check(self, row: dict[str, Any], what: str) -> None:
        clients = self.clients() if callable(self.clients) else self.clients
        rows = self.rows() if callable(self.rows) else self.rows
        got = (row["action"], row["actor"], ids(row), int(row["rows"]))
        assert got == (self.action, self.actor, sorted(clients), rows), what


def _older(db: Path, folder: Path) -> None:
    """A store as version 4 wrote it (what versions 5 and 6 added taken away)."""
    with Store.create(db) as store:
        store.import_folder(folder)
        with store.engine.begin() as conn:
            for statement in (
                "DROP TABLE study_keys",
                "DROP TABLE users",
                "DROP TABLE assignments",
                "DROP TABLE audit",
                "DELETE FROM meta WHERE key = 'audit_head'",
                'ALTER TABLE clients DROP COLUMN "age"',
                "UPDATE meta SET value = '4' WHERE key = 'schema_version'",
            ):
                conn.exec_driver_sql(statement)


@pytest.fixture
def signed(users_store: Store, auth_users: dict[str, Any]) -> Callable[[str], Store]:
    """``signed(name)``: the store as that user of ``users_store`` sees it."""

    def view(name: str) -> Store:
        return users_store.acting_as(users_store.sign_in(name, auth_users[name][1]))

    return view


def test_every_public_store_method_that_writes_leaves_exactly_one_audit_row(
    users_store: Store,
    signed: Callable[[str], Store],
    auth_users: dict[str, Any],
    tmp_path: Path,
    tiny_folder: Path,
    samples_once: Any,
) -> None:
    lee, ann = signed("lee"), signed("ann")
    lee_password = auth_users["lee"][1]
    trail = Trail(lee)
    db = str(tmp_path / "ipt.db")
    inventory = read_inventory(tiny_folder)
    fresh_db, old_db, copy = tmp_path / "new.db", tmp_path / "old.db", tmp_path / "copy.db"
    _older(old_db, tiny_folder)
    grief = samples_once.for_clients(["grief-01"])
    renamed = {
        name: frame.assign(client_id="grief-02") if "client_id" in frame else frame
        for name, frame in grief.items()
    }
    second = Inventory.from_tables(renamed)
    sessions = pd.DataFrame(
        [{"client_id": "c1", "session": 3, "date": pd.Timestamp("2026-02-16").date()}]
    )
    # what each write does, and what its row must say (who, what, which clients, how many rows)
    writes: dict[str, tuple[Callable[[], Any], Wrote]] = {
        "import_folder": (
            lambda: ann.import_folder(tiny_folder),
            Wrote("import", "ann", ["c1", "c2"], total_rows(inventory)),
        ),
        "import_inventory": (
            lambda: ann.import_inventory(second),
            Wrote("import", "ann", ["grief-02"], total_rows(second)),
        ),
        "append": (
            lambda: ann.append("c1", {"sessions": sessions}),
            Wrote("record", "ann", ["c1"], 1),
        ),
        "update": (
            lambda: ann.update("c1", "sessions", {"session": 3}, {"phq9_1": 2}),
            Wrote("update", "ann", ["c1"], 1),
        ),
        "set_focus": (
            lambda: ann.set_focus("c1", ["grief"], 1),
            Wrote("focus", "ann", ["c1"], 1),
        ),
        "set_setting": (lambda: lee.set_setting("region", "uk"), Wrote("setting", "lee")),
        "study_keys": (
            lambda: ann.study_keys(["c1", "c2"]),
            Wrote("study-keys", "ann", ["c1", "c2"], 2),
        ),
        "deidentified": (
            lambda: ann.deidentified(["c1"], export="format=tidy"),
            Wrote("export-deidentified", "ann", ["c1"], lambda: total_rows(ann.inventory(["c1"]))),
        ),
        "record": (
            lambda: ann.record(Event("report", ["grief-01"], rows=7)),
            Wrote("report", "ann", ["grief-01"], 7),
        ),
        "add_user": (
            lambda: lee.add_user("kim", "therapist", "kim's long therapist password"),
            Wrote("user-add", "lee"),
        ),
        "assign": (
            lambda: lee.assign("kim", ["c2", "c1"]),
            Wrote("assign", "lee", ["c1", "c2"], 2),
        ),
        "unassign": (lambda: lee.unassign("kim", ["c2"]), Wrote("unassign", "lee", ["c2"], 1)),
        "remove_user": (lambda: lee.remove_user("kim"), Wrote("user-remove", "lee")),
        "backup": (lambda: lee.backup(copy), Wrote("backup", "lee")),
    }
    reads: dict[str, Callable[[], Any]] = {
        "open": lambda: Store.open(db).close(),
        "close": lambda: Store.open(db).close(),
        "inventory": lambda: ann.inventory(["c1"]),
        "client_ids": ann.client_ids,
        "read_tables": lambda: ann.read_tables(["sessions", "people"]),
        "setting": lambda: ann.setting("region"),
        "region": lambda: ann.region,
        "schema_version": lambda: ann.schema_version,
        "revision": lambda: ann.revision,
        "actor": lambda: ann.actor,
        "acting_as": lambda: users_store.acting_as(ann.actor),
        "has_users": ann.has_users,
        "member": lambda: users_store.member("ann"),
        "sign_in": lambda: users_store.sign_in("ann", "ann's long therapist password"),
        "users": lee.users,
        "audit_trail": lee.audit_trail,
        "verify_audit": lee.verify_audit,
    }
    # writes that make or replace a whole store: their row is the other store's
    elsewhere = {"create", "migrate", "restore"}
    public = {
        name
        for name, _ in inspect.getmembers(Store)
        if not name.startswith("_") and name not in {"engine", "url"}
    }
    unclassified = public - set(writes) - set(reads) - elsewhere
    assert not unclassified, f"classify these Store members as reads or writes: {unclassified}"
    assert db == str(users_store.engine.url.database)
    for name, (do, wrote) in writes.items():
        do()
        wrote.check(one_row(trail.new(), f"Store.{name}"), f"Store.{name}")
    for name, do in reads.items():
        do()
        assert trail.new().empty, f"Store.{name} is a read and appended an audit row"
    # a researcher's first read makes the study keys missing: one write, one row; then none
    rae, unkeyed = signed("rae"), sorted(set(lee.client_ids()) - {"c1", "c2"})
    rae.read_tables(["sessions"])
    Wrote("study-keys", "rae", unkeyed, len(unkeyed)).check(
        one_row(trail.new(), "a researcher's first read"), "a researcher's first read"
    )
    rae.read_tables(["sessions"])
    assert trail.new().empty
    users_store.close()
    with Store.create(fresh_db) as made:
        (row,) = made.audit_trail().to_dict("records")
        assert (row["action"], row["role"]) == ("init", "owner")
    with Store.open(old_db) as old:
        assert old.migrate() == old.schema_version
        (row,) = old.audit_trail().to_dict("records")
        assert row["action"] == "migrate"
    with Store.open(copy) as backup:  # the copy's trail ends before the backup's own row
        copied = len(backup.acting_as(backup.sign_in("lee", lee_password)).audit_trail())
    lee_actor = lee.actor
    users_store.close()
    Store.restore(copy, db, actor=lee_actor)
    restored = one_row(trail_of(lee).iloc[copied:], "Store.restore")
    assert (restored["action"], restored["actor"]) == ("restore", "lee")
    assert lee.verify_audit().ok
    print(
        f"Store: {len(writes) + len(elsewhere)} writes, one audit row each; "
        f"{len(reads)} reads, none"
    )


# --------------------------------------------------------------------------- the command line

#: Commands that hold no store of their own to audit: synth writes files only; the servers'
#: writes are the dashboard's callbacks, walked by the test after this one.
NOT_STORE_WRITES: Final = {
    "synth": "writes a folder, touches no store",
    "demo": "the dashboard on its own sample store",
    "serve": "the dashboard",
}


def command_names() -> set[str]:
    """Every command of the CLI, a group's subcommands as ``"group sub"``."""
    import click

    names = set()
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        assert command is not None, name
        if isinstance(command, click.Group):
            names |= {f"{name} {sub}" for sub in command.commands}
        else:
            names.add(name)
    return names


@dataclass(frozen=True)
class Step:
    """One run of a command: its words, the user signed in, more standard input, its row."""

    command: str
    args: list[str]
    user: str | None = None
    stdin: str = ""
    wrote: Wrote | None = None


def test_every_command_that_writes_leaves_exactly_one_audit_row(
    users_store: Store,
    signed: Callable[[str], Store],
    auth_users: dict[str, Any],
    tmp_path: Path,
) -> None:
    lee, ann = signed("lee"), signed("ann")
    db = str(users_store.engine.url.database)
    out = tmp_path / "out"
    synth = out / "synth"
    nc_ids = ["nc-01", "nc-02"]  # the Network Canvas fixtures' clients

    def anns_clients() -> list[str]:
        return ann.client_ids()

    def anns_rows() -> int:
        return total_rows(ann.inventory())

    def rows_of(folder: Path) -> Callable[[], int]:
        return lambda: total_rows(read_inventory(folder))

    def grief_rows() -> int:
        return total_rows(ann.inventory(["grief-01"]))

    def exported(fmt: str, *more: str) -> Step:
        action = "export-deidentified" if "--deidentify" in more else "export"
        wrote = Wrote(action, "ann", anns_clients, anns_rows)
        folder = str(out / f"{fmt}{len(more)}")
        return Step("export", ["--out", folder, "--format", fmt, *more], "ann", wrote=wrote)

    steps = [
        Step("settings", [], "lee"),
        Step("settings", ["--region", "uk"], "lee", wrote=Wrote("setting", "lee")),
        Step("init", [], "lee"),  # an existing store, up to date, keeps its region: no write
        Step("init", ["--region", "au"], "lee", wrote=Wrote("setting", "lee")),
        Step("synth", ["--clients", "2", "--out", str(synth)]),
        Step(
            "import",
            [str(synth)],
            "ann",
            wrote=Wrote(
                "import", "ann", lambda: read_inventory(synth).client_ids(), rows_of(synth)
            ),
        ),
        Step(
            "import",
            [str(synth), "--replace"],
            "ann",
            wrote=Wrote(
                "import-replace", "ann", lambda: read_inventory(synth).client_ids(), rows_of(synth)
            ),
        ),
        Step("import-nc", [str(NC_EXPORTS), "--map", str(NC_MAPPING), "--dry-run"], "ann"),
        Step(
            "import-nc",
            [str(NC_EXPORTS), "--map", str(NC_MAPPING)],
            "ann",
            wrote=Wrote("import", "ann", nc_ids, lambda: total_rows(ann.inventory(nc_ids))),
        ),
        Step("clients", [], "ann"),
        Step("show", ["grief-01"], "ann"),
        Step("changes", ["grief-01"], "ann"),
        Step("timeline", ["grief-01"], "ann"),
        Step("problem-areas", ["grief-01"], "ann"),
        Step("problem-areas", ["--all"], "ann"),
        Step(
            "problem-areas",
            ["--all", "--out", str(out / "areas.json")],
            "ann",
            wrote=Wrote("export", "ann", anns_clients, lambda: len(anns_clients())),
        ),
        Step(
            "focus",
            ["grief-01", "grief", "--session", "2"],
            "ann",
            wrote=Wrote("focus", "ann", ["grief-01"], 1),
        ),
        Step(
            "work",
            [
                "grief-01",
                "--session",
                "3",
                "--person",
                "p02",
                "--kind",
                "task",
                "--planned",
                "Ask Ruth to lunch",
            ],
            "ann",
            wrote=Wrote("record", "ann", ["grief-01"], 1),
        ),
        Step(
            "stage",
            ["dispute-01", "impasse", "--session", "5"],
            "ann",
            wrote=Wrote("update", "ann", ["dispute-01"], 1),
        ),
        Step(
            "contract",
            ["grief-01", "--planned", "15"],
            "ann",
            wrote=Wrote("update", "ann", ["grief-01"], 1),
        ),
        Step(
            "ending",
            ["grief-01", "--gains", "You went back to the group."],
            "ann",
            wrote=Wrote("update", "ann", ["grief-01"], 1),
        ),
        Step(
            "goal",
            [
                "grief-01",
                "--session",
                "3",
                "--goal-id",
                "g9",
                "--area",
                "grief",
                "--text",
                "Visit the grave with Ruth",
                "--status",
                "in_progress",
            ],
            "ann",
            wrote=Wrote("record", "ann", ["grief-01"], 1),
        ),
        Step(
            "area-work",
            [
                "grief-01",
                "grief",
                "--session",
                "5",
                "--person",
                "p01",
                "--memories",
                "The wedding day",
            ],
            "ann",
            wrote=Wrote("record", "ann", ["grief-01"], 1),
        ),
        Step(
            "report",
            ["grief-01", "--out", str(out / "client.html")],
            "ann",
            wrote=Wrote("report", "ann", ["grief-01"], grief_rows),
        ),
        Step(
            "report",
            ["grief-01", "--out", str(out / "clinician.html"), "--for", "clinician"],
            "ann",
            wrote=Wrote("report", "ann", ["grief-01"], grief_rows),
        ),
        exported("tidy"),
        exported("graphml"),
        exported("egor"),
        exported("parquet"),
        exported("tidy", "--deidentify"),
        exported("parquet", "--deidentify"),
        Step(
            "export",
            ["--out", str(out / "one"), "--client", "grief-01"],
            "ann",
            wrote=Wrote("export", "ann", ["grief-01"], grief_rows),
        ),
        Step(
            "metrics",
            ["--out", str(out / "metrics.csv"), "--no-progress"],
            "ann",
            wrote=Wrote(
                "export",
                "ann",
                anns_clients,
                lambda: sum(
                    len(t)
                    for t in ann.read_tables(["relationships", "person_ties", "sessions"]).values()
                ),
            ),
        ),
        # a researcher's read makes study keys: the keys and the row land in one write
        Step(
            "model",
            ["--out", str(out / "model"), "--no-progress"],
            "rae",
            wrote=Wrote(
                "export-deidentified",
                "rae",
                lambda: lee.client_ids(),
                lambda: total_rows(lee.inventory()),
            ),
        ),
        Step("users list", [], "lee"),
        Step(
            "users add",
            ["kim", "--role", "therapist"],
            "lee",
            "kim's long therapist password",
            wrote=Wrote("user-add", "lee"),
        ),
        Step(
            "users assign",
            ["kim", "grief-01", "dispute-01"],
            "lee",
            wrote=Wrote("assign", "lee", ["dispute-01", "grief-01"], 2),
        ),
        Step(
            "users assign",
            ["kim", "dispute-01", "--remove"],
            "lee",
            wrote=Wrote("unassign", "lee", ["dispute-01"], 1),
        ),
        Step("users remove", ["kim"], "lee", wrote=Wrote("user-remove", "lee")),
        Step("audit show", [], "lee"),
        Step("audit show", ["--client", "grief-01"], "lee"),
        Step("audit verify", [], "lee"),
        Step("backup", ["--out", str(out / "copy.db")], "lee", wrote=Wrote("backup", "lee")),
    ]
    walked = {s.command for s in steps} | {"restore"}  # restore: after the walk
    unclassified = command_names() - walked - set(NOT_STORE_WRITES)
    assert not unclassified, f"classify these commands in this test: {sorted(unclassified)}"
    trail = Trail(lee)
    for step in steps:
        group = step.command.split()
        signed_in = ["--user", step.user] if step.user else []
        where = ["--db", db] if step.command != "synth" else []
        password = auth_users[step.user][1] + "\n" if step.user else ""
        code, text = run(*group, *step.args, *where, *signed_in, stdin=password + step.stdin)
        what = " ".join([step.command, *step.args[:2]])
        assert code == 0, f"{what}: {text}"
        fresh = trail.new()
        if step.wrote is None:
            assert fresh.empty, f"{what} is a read and appended {fresh[COLUMNS].to_dict('records')}"
        else:
            step.wrote.check(one_row(fresh, what), what)
    # a restore's row follows the trail of the copy it put back
    users_store.close()
    gc.collect()  # commands that leave their store to the process's end have let go of it
    password = auth_users["lee"][1] + "\n"
    code, text = run(
        "restore", str(out / "copy.db"), "--yes", "--db", db, "--user", "lee", stdin=password
    )
    assert code == 0, text
    after = trail_of(lee)
    # the copy ends before its own backup row; the restore adds one row to it
    assert len(after) == trail.seen
    Wrote("restore", "lee").check(after.iloc[-1].to_dict(), "restore")
    # a new store: made by its owner with its region, in one write and one row
    fresh_db = str(tmp_path / "new.db")
    code, text = run("init", "--region", "uk", "--db", fresh_db)
    assert code == 0, text
    with Store.open(fresh_db) as made:
        assert made.audit_trail()["action"].tolist() == ["init"]
        assert made.setting("region") == "uk"
    writes = sum(s.wrote is not None for s in steps)
    print(
        f"commands: {len(command_names())} ({len(NOT_STORE_WRITES)} touch no store); "
        f"{writes + 2} runs that write or export, one audit row each; "
        f"{len(steps) - writes} runs that read, none"
    )


# --------------------------------------------------------------------------- the dashboard


def _roles_helpers() -> Any:
    """tests/test_auth_roles.py as a module: its callback requests with a client's own values."""
    import importlib.util
    import sys

    name = "ipt_network_tests_auth_roles"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "test_auth_roles.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


#: The dashboard's callbacks that write (their output's first id) and the action each records.
WRITING_CALLBACKS: Final = {"record-message": "record", "record-contract-message": "update"}


def test_every_dashboard_callback_that_writes_leaves_exactly_one_audit_row(
    users_store: Store, signed: Callable[[str], Store], sign_in: Callable[..., Any]
) -> None:
    from dashboards import ids as dash_ids
    from dashboards.app import create_app
    from ipt_network.io.recording import contract_draft

    roles = _roles_helpers()
    app = create_app(users_store, auth=True)
    lee, ann = signed("lee"), signed("ann")
    client = "grief-01"
    values = roles.values_for(ann.inventory([client]), client)
    contract = contract_draft(ann.inventory([client]), client)
    changed = {**contract, "planned_sessions": 15}
    values[(dash_ids.RECORD_CONTRACT, "index")] = list(changed)
    values[(dash_ids.RECORD_CONTRACT, "value")] = list(changed.values())
    browser = roles.client_for(app, sign_in, "ann")
    trail = Trail(lee)
    callbacks = {o: s for o, s in app.callback_map.items() if callable(s.get("callback"))}
    written: dict[str, int] = {}
    for output, spec in callbacks.items():
        first = output.strip(".").split(".")[0]
        before = total_rows(ann.inventory([client]))
        body = roles.callback_body(output, spec, values, f"/client/{client}/record")
        response = browser.post(roles.CALLBACK, json=body)
        assert response.status_code in (200, 204), (output, response.status_code)
        fresh = trail.new()
        if first not in WRITING_CALLBACKS:
            assert fresh.empty, f"callback {output} appended {fresh[COLUMNS].to_dict('records')}"
            continue
        assert "message ok" in response.get_data(as_text=True), (output, response.get_json())
        grown = total_rows(ann.inventory([client])) - before
        rows = grown if WRITING_CALLBACKS[first] == "record" else 1
        Wrote(WRITING_CALLBACKS[first], "ann", [client], rows).check(
            one_row(fresh, f"callback {output}"), f"callback {output}"
        )
        written[first] = rows
    assert set(written) == set(WRITING_CALLBACKS)  # every writing callback ran and wrote
    assert written["record-message"] > 1  # a session: its row, its map, its ties
    print(
        f"dashboard: {len(callbacks)} server callbacks, {len(written)} write (one audit row "
        f"each: {written}), {len(callbacks) - len(written)} read (none)"
    )
