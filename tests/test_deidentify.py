"""The de-identified export (HIPAA Safe Harbor): planted identifiers never survive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Inventory, Store, names
from ipt_network.cli import main
from ipt_network.errors import BadArgument
from ipt_network.io.contract import TABLES, Column
from ipt_network.io.inventory import dtype_of
from ipt_network.io.store import DATE_SHIFT_DAYS, SCHEMA_VERSION, STUDY_ID_PREFIX
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.research import deidentify as dei
from ipt_network.research.parquet import METRICS, read_table

if TYPE_CHECKING:
    from conftest import StoreBackend

#: What a clinician might type anywhere: a name, phones, e-mail, street, dates, a record number.
PLANTED = (
    "Margaret Okafor",
    "404-555-0134",
    "(404) 555-0199",
    "jane.doe@example.com",
    "1234 Peachtree St NE",
    "2025-03-14",
    "March 14, 2025",
    "MRN 12345678",
)
NOTE = "Saw " + ", ".join(PLANTED) + ".\nCall back."
FORMATS = ("tidy", "graphml", "egor", "parquet")
DATE_COLUMNS = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.kind == "date"]
#: Every real date of the planted cohort lies in this window, shorter than the smallest shift.
WINDOW = (pd.Timestamp("2024-09-01"), pd.Timestamp("2025-08-31"))
AGES = {0: 93, 1: 90, 2: 45}


def _row(name: str, **values: object) -> pd.DataFrame:
    """One row of a table, every contract column present and typed."""
    return pd.DataFrame(
        {c.name: pd.Series([values.get(c.name)], dtype=dtype_of(c)) for c in TABLES[name].columns}
    )


def _to_window(inv: Inventory) -> dict[str, pd.DataFrame]:
    """The cohort's dates moved, client by client, into :data:`WINDOW` (intervals kept)."""
    first = inv.sessions.groupby("client_id")["date"].min()
    move = {
        c: pd.Timestamp(d) - pd.Timestamp("2025-01-06") - pd.Timedelta(days=7 * i)
        for i, (c, d) in enumerate(first.items())
    }
    tables = {}
    for name, frame in inv.items():
        frame = frame.copy()
        for table, column in DATE_COLUMNS:
            if table == name:
                dates = pd.to_datetime(frame[column]) - frame["client_id"].map(move)
                inside = dates.between(*WINDOW)
                frame[column] = dates.dt.strftime("%Y-%m-%d").astype("string").where(inside)
        tables[name] = frame
    events = tables["events"]
    tables["events"] = events[events["date"].notna()].reset_index(drop=True)
    return tables


def _planted_id(old: object) -> object:
    """An id a user typed a name, a phone or a record number into."""
    if pd.isna(old):
        return old
    return f"{PLANTED[sum(map(ord, str(old))) % len(PLANTED)]} {old}"


def planted_cohort() -> Inventory:
    """Twelve synthetic clients with identifiers planted in every free-text column,
    name, label, client id, person id and goal id, the middle phase's records,
    ages (one of 93) and every date in :data:`WINDOW`."""
    tables = _to_window(synthesize(12, seed=1))
    first = tables["clients"]["client_id"].iloc[0]
    person = tables["relationships"].query("client_id == @first and session == 2")["person_id"]
    on_map = str(person.iloc[0])
    key = {"client_id": first, "session": 2}
    added = {
        "goals": _row(
            "goals",
            **key,
            goal_id="g-" + PLANTED[1],
            area="grief",
            goal=NOTE,
            status=names.GOAL_STATUSES[0],
        ),
        "dispute_work": _row(
            "dispute_work", **key, person_id=on_map, client_expects=NOTE, person_expects=NOTE
        ),
        "transition_work": _row(
            "transition_work", **key, old_role=NOTE, new_role=NOTE, losses=NOTE, gains=NOTE
        ),
        "grief_work": _row(
            "grief_work", **key, person_id=on_map, memories=NOTE, new_connections=NOTE
        ),
    }
    for name, row in added.items():
        tables[name] = pd.concat([tables[name], row], ignore_index=True)
    for name, frame in tables.items():
        for column in TABLES[name].columns:
            if column.kind == "text" and len(frame):
                frame[column.name] = NOTE if column.multiline else ", ".join(PLANTED)
            if column.kind == "id":
                frame[column.name] = frame[column.name].map(_planted_id).astype("string")
    ages = tables["clients"]["age"].copy()
    for position, age in AGES.items():
        ages.iloc[position] = age
    tables["clients"]["age"] = ages
    return Inventory.from_tables(tables)


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def cohort() -> Inventory:
    return planted_cohort()


@pytest.fixture(scope="module")
def exported(cohort: Inventory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A store holding the planted cohort, and its de-identified export in every format."""
    root = tmp_path_factory.mktemp("deid")
    write_inventory(cohort, root / "in")
    db = str(root / "store.db")
    run("init", "--db", db)
    run("import", str(root / "in"), "--db", db)
    out = {"db": root / "store.db"}
    for fmt in FORMATS:
        said = run("export", "--db", db, "--out", str(root / fmt), "--format", fmt, "--deidentify")
        assert said.startswith("De-identified 12 client(s)")
        out[fmt] = root / fmt
    return out


def _texts(folder: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every path name and every file's bytes below ``folder``, and
    for a Parquet dataset every table read back."""
    for path in sorted(folder.rglob("*")):
        where = str(path.relative_to(folder))
        yield f"name {where}", where
        if path.is_file():
            yield where, path.read_bytes().decode("utf-8", errors="replace")
    if (folder / METRICS).is_dir():
        for name in (*TABLES, METRICS):
            yield f"parquet table {name}", read_table(folder, name).to_csv(index=False)


def _real_values(cohort: Inventory) -> set[str]:
    """Every real client, person and goal id and every real date of the cohort."""
    values = set(PLANTED)
    for name, frame in cohort.items():
        for column in TABLES[name].columns:
            if column.kind in ("id", "date"):
                values |= set(frame[column.name].dropna().astype(str))
    return values


def _keys(db: Path, cohort: Inventory) -> dict[str, tuple[str, int]]:
    """The stored keys of the cohort's clients; asserts that reading them wrote nothing."""
    with Store.open(db) as store:
        before = store.revision
        keys = store.study_keys(cohort.client_ids())
        assert store.revision == before
    return {c: (k.study_id, k.date_offset_days) for c, k in keys.items()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_planted_identifier_real_id_or_real_date_survives(
    exported: dict[str, Path], cohort: Inventory, fmt: str
) -> None:
    forbidden = _real_values(cohort) | {"study_keys", "date_offset", "Okafor", "Peachtree"}
    scanned = list(_texts(exported[fmt]))
    assert len(scanned) > 3
    found = [(where, value) for where, text in scanned for value in forbidden if value in text]
    assert found == []
    # the planted values are really in the store, so the scan looks for the right things
    with Store.open(exported["db"]) as store:
        kept = store.inventory()
    assert (kept.people["notes"] == NOTE).all() and kept.goals["goal_id"].str.contains("555").all()


def test_the_parquet_partitions_are_study_ids(exported: dict[str, Path], cohort: Inventory) -> None:
    keys = _keys(exported["db"], cohort)
    for name in (*TABLES, METRICS):
        folders = {p.name for p in (exported["parquet"] / name).iterdir()}
        assert folders <= {f"client_id={study}" for study, _ in keys.values()}
    metrics = read_table(exported["parquet"], METRICS)
    assert set(metrics["client_id"]) == {study for study, _ in keys.values()}


def test_the_key_table_stays_in_the_store(exported: dict[str, Path], cohort: Inventory) -> None:
    keys = _keys(exported["db"], cohort)
    studies = [study for study, _ in keys.values()]
    assert len(set(studies)) == 12
    assert all(re.fullmatch(re.escape(STUDY_ID_PREFIX) + "[2-9A-HJ-NP-Z]{10}", s) for s in studies)
    assert all(DATE_SHIFT_DAYS[0] <= offset <= DATE_SHIFT_DAYS[1] for _, offset in keys.values())
    for fmt in FORMATS:
        files = [p.name for p in exported[fmt].rglob("*")]
        assert not [f for f in files if "key" in f.lower()]
    with Store.open(exported["db"]) as store:
        assert "study_keys" not in store.inventory().tables()
        assert not [f for f in store.read_tables(list(TABLES)).values() if "study_id" in f]


def test_the_same_client_gets_the_same_study_id_on_a_later_export(
    exported: dict[str, Path], cohort: Inventory, tmp_path: Path
) -> None:
    keys = _keys(exported["db"], cohort)
    first = read_inventory(exported["tidy"])
    with Store.open(exported["db"]) as store:
        before = store.revision
    again = tmp_path / "again"
    run("export", "--db", str(exported["db"]), "--out", str(again), "--deidentify")
    with Store.open(exported["db"]) as store:
        assert store.revision == before  # every client had a key: nothing written
    second = read_inventory(again)
    assert sorted(second.client_ids()) == sorted(first.client_ids())
    assert sorted(first.client_ids()) == sorted(study for study, _ in keys.values())
    pd.testing.assert_frame_equal(first.sessions, second.sessions)


def test_a_new_client_gets_a_new_key_and_the_old_ones_stay(tmp_path: Path) -> None:
    with Store.create(tmp_path / "s.db") as store:
        old = store.study_keys(["a", "b"])
        more = store.study_keys(["c", "a"])
        assert list(more) == ["c", "a"] and more["a"] == old["a"]
        assert more["c"].study_id not in {k.study_id for k in old.values()}


def test_every_date_of_a_client_moves_by_its_offset_and_intervals_are_kept(
    exported: dict[str, Path], cohort: Inventory
) -> None:
    keys = _keys(exported["db"], cohort)
    out = read_inventory(exported["tidy"])
    compared = 0
    for table, column in DATE_COLUMNS:
        real = getattr(cohort, table)[["client_id", column]].dropna()
        real = real.assign(client_id=real["client_id"].map(lambda c: keys[c][0]))
        shifted = getattr(out, table)[["client_id", column]].dropna()
        assert len(real) == len(shifted), (table, column)
        for study, rows in real.groupby("client_id"):
            offset = next(o for s, o in keys.values() if s == study)
            want = sorted(pd.to_datetime(rows[column]) - pd.Timedelta(days=offset))
            got = sorted(pd.to_datetime(shifted.loc[shifted["client_id"] == study, column]))
            assert got == want, (table, column)
            compared += len(got)
    assert compared > 150
    for real_id, (study, _) in keys.items():
        real = cohort.sessions[cohort.sessions["client_id"] == real_id]
        mine = out.sessions[out.sessions["client_id"] == study]
        assert len(real) == len(mine) > 8
        gaps = pd.to_datetime(real["date"]).diff().tolist()[1:]
        assert gaps == pd.to_datetime(mine["date"]).diff().tolist()[1:]


def test_ages_of_90_or_over_become_90(exported: dict[str, Path], cohort: Inventory) -> None:
    keys = _keys(exported["db"], cohort)
    ages = {
        keys[c][0]: a
        for c, a in zip(cohort.clients["client_id"], cohort.clients["age"], strict=True)
    }
    for clients in (
        read_inventory(exported["tidy"]).clients,
        read_table(exported["parquet"], "clients"),
    ):
        got = dict(zip(clients["client_id"], clients["age"], strict=True))
        assert sorted(a for a in got.values() if not pd.isna(a)) == [45, 90, 90]
        assert [got[s] for s, a in ages.items() if not pd.isna(a) and a == 93] == [90]
    assert "93" not in (exported["tidy"] / "clients.csv").read_text().split("\n")[1]


def test_people_and_goals_are_rekeyed_and_names_dropped(exported: dict[str, Path]) -> None:
    out = read_inventory(exported["tidy"])
    assert out.people["person_id"].str.fullmatch(r"p[1-9]\d*").all()
    assert (out.people["name"] == out.people["person_id"]).all()
    assert out.goals["goal_id"].tolist() == ["g1"]
    for end in ("source", "target"):
        assert out.person_ties[end].str.fullmatch(r"p[1-9]\d*").all()
    assert out.clients["label"].isna().all()
    for name, frame in out.items():
        for column in TABLES[name].columns:
            if column.kind == "text" and column.name != "name":
                assert frame[column.name].isna().all(), (name, column.name)
    # each client's people are numbered 1..n, the earliest on the map first
    for _, people in out.people.groupby("client_id"):
        numbers = sorted(int(p[1:]) for p in people["person_id"])
        assert numbers == list(range(1, len(numbers) + 1))
    first = out.relationships.groupby(["client_id", "person_id"])["session"].min()
    for client, seen in first.groupby(level="client_id"):
        by_number = seen.droplevel(0).sort_index(key=lambda ids: ids.str[1:].astype(int))
        assert by_number.is_monotonic_increasing, client


def test_the_summary_suppresses_counts_from_1_to_10(exported: dict[str, Path]) -> None:
    for fmt in FORMATS:
        table = pd.read_csv(exported[fmt] / dei.SUMMARY_FILE, dtype=str, keep_default_na=False)
        assert list(table.columns) == ["measure", "category", "count", "suppressed"]
        hidden = table["suppressed"].astype(str) == "true"
        assert hidden.any() and (table.loc[hidden, "count"].astype(str) == "").all()
        shown = pd.to_numeric(table.loc[~hidden, "count"])
        assert not shown.between(1, 10).any()
        assert table.iloc[0].tolist() == ["clients", "all", "12", "false"]
        phases = table[table["measure"] == "sessions by phase"]
        assert set(phases["category"]) == {
            "initial",
            "middle",
            "termination",
            "extension",
            "maintenance",
        }


def test_suppress_small_hides_a_second_count_when_one_alone_is_hidden() -> None:
    alone = dei.suppress_small(pd.Series({"a": 3, "b": 50, "c": 12, "d": 0}))
    assert alone["suppressed"].tolist() == [True, False, True, False]
    assert alone["count"].tolist()[1:] == [50, pd.NA, 0]
    two = dei.suppress_small(pd.Series({"a": 1, "b": 10, "c": 11}))
    assert two["suppressed"].tolist() == [True, True, False]
    assert dei.suppress_small(pd.Series({"all": 11}))["count"].tolist() == [11]


def test_every_column_of_the_contract_is_classified() -> None:
    unclassified = [
        (t.name, c.name)
        for t in TABLES.values()
        for c in t.columns
        if dei.treatment(t.name, c) is None
    ]
    assert unclassified == []
    # a column the contract gains is unclassified until someone decides
    assert dei.treatment("clients", Column("zip_code", "int")) is None
    assert dei.treatment("people", Column("nickname", "id")) is None
    # only people.name is dropped yet may not be empty: it takes the new person id
    required_dropped = [
        (t.name, c.name)
        for t in TABLES.values()
        for c in t.columns
        if dei.treatment(t.name, c) == "drop" and not c.nullable
    ]
    assert required_dropped == [("people", "name")]
    kept_choices = [
        c.choices for t in TABLES.values() for c in t.columns if c.choices and c.kind != "areas"
    ]
    vocabularies = {v for k, v in vars(names).items() if k.isupper() and isinstance(v, tuple)}
    assert all(choices in vocabularies for choices in kept_choices)


def test_an_unclassified_column_is_emptied(
    cohort: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = {c: (f"S-{i}", 400) for i, c in enumerate(cohort.client_ids())}
    monkeypatch.setitem(dei.KEPT, "relationships", ("session", "ring", "conflict"))
    out = dei.deidentify(cohort, keys)
    assert out.relationships["support"].isna().all()
    assert out.relationships["ring"].notna().all()


def test_a_client_without_a_key_is_refused(cohort: Inventory) -> None:
    with pytest.raises(BadArgument, match="no study key"):
        dei.deidentify(cohort, {})


def test_a_version_4_store_is_upgraded_by_its_first_export_and_deidentifies_after(
    tmp_path: Path, tiny_folder: Path, store_db: str, backend: StoreBackend
) -> None:
    db = store_db
    with Store.create(db) as store:
        store.import_folder(tiny_folder)
    backend.make_old(  # what versions 5 and 6 added, taken away
        "DROP TABLE study_keys",
        "DROP TABLE users",
        "DROP TABLE assignments",
        "DROP TABLE audit",
        "DELETE FROM meta WHERE key = 'audit_head'",
        'ALTER TABLE clients DROP COLUMN "age"',
        "UPDATE meta SET value = '4' WHERE key = 'schema_version'",
    )
    with Store.open(db) as store:  # read as it is
        assert store.schema_version == 4
        assert store.inventory().clients["age"].isna().all()
    # an export leaves the system, so it appends an audit row: the store gains its trail first
    run("export", "--db", db, "--out", str(tmp_path / "plain"))
    with Store.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.audit_trail()["action"].tolist() == ["migrate", "export"]
        assert store.verify_audit().ok
    run("export", "--db", db, "--out", str(tmp_path / "anon"), "--deidentify")
    with Store.open(db) as store:
        assert sorted(k.study_id for k in store.study_keys(["c1", "c2"]).values()) == sorted(
            read_inventory(tmp_path / "anon").client_ids()
        )
        assert store.audit_trail()["action"].tolist()[-1] == "export-deidentified"


def test_a_plain_export_makes_no_keys(tmp_path: Path, tiny_folder: Path) -> None:
    db = str(tmp_path / "s.db")
    run("init", "--db", db)
    run("import", str(tiny_folder), "--db", db)
    run("export", "--db", db, "--out", str(tmp_path / "plain"), "--format", "egor")
    with Store.open(db) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM study_keys").scalar() == 0
    assert not (tmp_path / "plain" / dei.SUMMARY_FILE).exists()


@pytest.mark.parametrize("fmt", ["tidy", "graphml"])
def test_a_deidentified_export_goes_into_an_empty_folder_only(
    exported: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    """An identified export in the folder is never left beside a de-identified one."""
    out = tmp_path / "o"
    db = str(exported["db"])
    run("export", "--db", db, "--out", str(out), "--format", fmt)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    for extra in ([], ["--overwrite"]):
        args = ["export", "--db", db, "--out", str(out), "--deidentify", "--format", fmt, *extra]
        result = CliRunner().invoke(main, args)
        assert result.exit_code != 0 and "is not empty" in result.output, extra
        assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert not (out / dei.SUMMARY_FILE).exists()
    run("export", "--db", db, "--out", str(tmp_path / "fresh"), "--deidentify", "--format", fmt)
    assert (tmp_path / "fresh" / dei.SUMMARY_FILE).read_text().startswith("measure,")
