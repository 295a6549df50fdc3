"""The store commands: init, import, export, show, and every command's help."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Inventory, Store
from ipt_network.cli import COMMANDS, main
from ipt_network.io.contract import TABLES
from ipt_network.io.tidy import read_inventory


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def table_rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """Rows as sorted tuples, so two tables compare row for row, order aside."""
    return sorted(tuple(map(str, r)) for r in frame.astype(object).itertuples(index=False))


def assert_same_tables(a: Path, b: Path) -> None:
    left, right = read_inventory(a), read_inventory(b)
    for name in TABLES:
        assert table_rows(getattr(left, name)) == table_rows(getattr(right, name)), name


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "store.db")
    assert run("init", "--db", path)[0] == 0
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    code, out = run(command, "--help")
    assert code == 0
    assert "Usage:" in out and len(out.splitlines()) > 4


def test_init_reports_where_and_version(tmp_path: Path) -> None:
    code, out = run("init", "--db", str(tmp_path / "x.db"))
    from ipt_network.io.store import SCHEMA_VERSION

    assert code == 0 and f"schema version {SCHEMA_VERSION}" in out and (tmp_path / "x.db").exists()


def test_init_uses_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPT_NETWORK_DB", str(tmp_path / "default.db"))
    assert run("init")[0] == 0
    assert (tmp_path / "default.db").exists()


def test_sqlalchemy_url_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'url.db'}"
    assert run("init", "--db", url)[0] == 0
    assert Store.open(url).client_ids() == []


def test_samples_round_trip(db: str, tmp_path: Path) -> None:
    from ipt_network.io.samples import samples_folder

    with samples_folder() as folder:
        code, out = run("import", str(folder), "--db", db)
        assert code == 0, out
        assert "Imported 4 client(s)" in out
        assert run("export", "--db", db, "--out", str(tmp_path / "out"))[0] == 0
        assert_same_tables(folder, tmp_path / "out")


def test_import_twice_is_refused_and_changes_nothing(db: str, tiny_folder: Path) -> None:
    assert run("import", str(tiny_folder), "--db", db)[0] == 0
    before = Store.open(db).inventory()
    code, out = run("import", str(tiny_folder), "--db", db)
    assert code != 0 and "already in the store" in out
    after = Store.open(db).inventory()
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(before, name), getattr(after, name))


def test_import_replace_replaces_whole_clients(db: str, tiny_folder: Path) -> None:
    assert run("import", str(tiny_folder), "--db", db)[0] == 0
    rel = tiny_folder / "relationships.csv"
    rel.write_text(rel.read_text().replace("c1,2,p2,1,0,3\n", ""), encoding="utf-8")
    ties = tiny_folder / "person_ties.csv"
    ties.write_text(ties.read_text().replace("c1,2,p2,p1\n", ""), encoding="utf-8")
    code, out = run("import", str(tiny_folder), "--db", db, "--replace")
    assert code == 0, out
    stored = Store.open(db).inventory()
    assert len(stored.relationships) == 5 and len(stored.person_ties) == 1
    assert len(stored.clients) == 2


def test_broken_import_exits_non_zero_and_writes_nothing(
    db: str, tiny_folder: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good"
    good.mkdir()
    for f in tiny_folder.iterdir():
        (good / f.name).write_text(f.read_text().replace("c1", "g1").replace("c2", "g2"))
    assert run("import", str(good), "--db", db)[0] == 0
    rel = tiny_folder / "relationships.csv"
    rel.write_text(rel.read_text().replace("c1,1,p2,2,0,3", "c1,1,p2,7,0,3"), encoding="utf-8")
    code, out = run("import", str(tiny_folder), "--db", db)
    assert code != 0
    assert "relationships.csv, line 3, column ring" in out and "nothing was written" in out
    assert Store.open(db).client_ids() == ["g1", "g2"]


def test_failed_write_rolls_back(
    db: str, tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure in the middle of the insert leaves the store exactly as it was."""
    import ipt_network.io.store as store_module

    store = Store.open(db)
    calls = {"n": 0}
    real = store_module._rows

    def failing(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        yield from real(frame)

    monkeypatch.setattr(store_module, "_rows", failing)
    with pytest.raises(OSError):
        store.import_inventory(read_inventory(tiny_folder))
    monkeypatch.undo()
    assert Store.open(db).client_ids() == []
    assert all(len(f) == 0 for _, f in Store.open(db).inventory().items())


def test_export_refuses_to_overwrite(db: str, tiny_folder: Path, tmp_path: Path) -> None:
    run("import", str(tiny_folder), "--db", db)
    out = tmp_path / "out"
    assert run("export", "--db", db, "--out", str(out))[0] == 0
    code, text = run("export", "--db", db, "--out", str(out))
    assert code != 0 and "already holds" in text
    assert run("export", "--db", db, "--out", str(out), "--overwrite")[0] == 0


def test_deidentified_export_drops_names_and_text(
    db: str, tiny_folder: Path, tmp_path: Path
) -> None:
    run("import", str(tiny_folder), "--db", db)
    out = tmp_path / "anon"
    assert run("export", "--db", db, "--out", str(out), "--deidentify")[0] == 0
    text = "".join(p.read_text() for p in out.iterdir())
    for secret in ("Ann", "Client one", "Argument about money"):
        assert secret not in text
    read_inventory(out)  # still a valid folder


def test_show_prints_course_and_flag(db: str, samples_inv: Inventory) -> None:
    Store.open(db).import_inventory(samples_inv)
    code, out = run("show", "grief-01", "--db", db)
    assert code == 0
    assert "Sessions" in out and "People" in out and "988" in out
    code, out = run("show", "dispute-01", "--db", db)
    # no flag, no crisis lines (the recorded "who to turn to" may name 988 itself)
    assert code == 0 and "SAFETY FLAG" not in out and "Crisis lines" not in out
    assert "low risk" not in out.lower()
    assert "Who to turn to: Sarah, at the 20 minutes after bedtime" in out  # the ending


def test_show_unknown_client(db: str) -> None:
    code, out = run("show", "nobody", "--db", db)
    assert code != 0 and "no client" in out


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    code, out = run("clients", "--db", str(tmp_path / "none.db"))
    assert code != 0 and "ipt-network init" in out


def test_synth_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    for out in ("a", "b"):
        code, text = run("synth", "--clients", "30", "--seed", "7", "--out", str(tmp_path / out))
        assert code == 0, text
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "relationships.csv" in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    run("synth", "--clients", "30", "--seed", "8", "--out", str(tmp_path / "c"))
    assert (tmp_path / "c" / "sessions.csv").read_bytes() != (
        tmp_path / "a" / "sessions.csv"
    ).read_bytes()


def test_synthetic_cohort_round_trip(db: str, tmp_path: Path) -> None:
    cohort = tmp_path / "cohort"
    assert run("synth", "--clients", "40", "--seed", "3", "--out", str(cohort))[0] == 0
    code, out = run("import", str(cohort), "--db", db)
    assert code == 0, out
    assert run("export", "--db", db, "--out", str(tmp_path / "back"))[0] == 0
    assert_same_tables(cohort, tmp_path / "back")
    code, out = run("clients", "--db", db)
    assert code == 0 and sum(line.startswith("c0") for line in out.splitlines()) == 40


@pytest.mark.parametrize(
    "args",
    [
        ["init", "--db", "{file}/x.db"],
        ["export", "--db", "{db}", "--out", "{file}/out"],
        ["synth", "--clients", "2", "--out", "{file}/out"],
        ["metrics", "--db", "{db}", "--out", "{file}/metrics.csv"],
        ["report", "grief-01", "--db", "{db}", "--out", "{file}/report.html"],
    ],
    ids=lambda args: args[0],
)
def test_a_path_that_cannot_be_written_is_a_sentence_not_a_traceback(
    args: list[str], db: str, tmp_path: Path, samples_inv: Inventory
) -> None:
    Store.open(db, write=True).import_inventory(samples_inv.for_clients(["grief-01"]))
    file = tmp_path / "a-file.txt"
    file.write_text("not a folder", encoding="utf-8")
    filled = [a.format(file=file, db=db) for a in args]
    result = CliRunner().invoke(main, filled)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # click's clean exit, not an error
    assert f"{file}/" in result.output and "Not a directory" in result.output
    assert "Traceback" not in result.output
