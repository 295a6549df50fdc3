"""Tests of the ``metrics`` and ``changes`` commands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Inventory
from ipt_network.cli import main
from ipt_network.clinical.safety import safety_flag
from ipt_network.io.store import Store
from ipt_network.network.metrics import COLUMNS, cohort_metrics
from ipt_network.views.changes import describe_changes


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, samples_once: Inventory) -> str:
    path = tmp_path_factory.mktemp("store") / "store.db"
    store = Store.create(str(path))
    store.import_inventory(samples_once)
    store.engine.dispose()
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_metrics_writes_the_table_of_cohort_metrics(
    db: str, tmp_path: Path, suffix: str, samples_inv: Inventory
) -> None:
    out = tmp_path / f"metrics{suffix}"
    code, _, err = run("metrics", "--db", db, "--out", str(out))
    assert code == 0, err
    written = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(written.columns) == list(COLUMNS)
    inv = samples_inv
    expected = cohort_metrics(inv.relationships, inv.person_ties, sessions=inv.sessions)
    assert len(written) == len(expected) == len(inv.sessions)
    for column in COLUMNS[2:]:
        got = pd.to_numeric(written[column]).astype(float).to_numpy()
        want = expected[column].astype(float).to_numpy()
        pd.testing.assert_series_equal(pd.Series(got), pd.Series(want), check_names=False)
    firsts = written.groupby("client_id")["session"].transform("min") == written["session"]
    assert written.loc[firsts, "added"].isna().all() and written.loc[~firsts, "added"].notna().all()
    assert f"{len(expected)} rows" in err


def test_metrics_refuses_an_unknown_extension(db: str, tmp_path: Path) -> None:
    code, _, err = run("metrics", "--db", db, "--out", str(tmp_path / "m.xlsx"))
    assert code != 0 and ".csv or .parquet" in err
    assert not (tmp_path / "m.xlsx").exists()


def test_metrics_without_a_store_says_how_to_make_one(tmp_path: Path) -> None:
    code, _, err = run("metrics", "--db", str(tmp_path / "none.db"), "--out", "x.csv")
    assert code != 0 and "ipt-network init" in err


def test_changes_prints_the_narrative(db: str, samples_inv: Inventory) -> None:
    code, out, err = run("changes", "grief-01", "--db", db)
    assert code == 0, err
    lines = out.splitlines()
    flag = safety_flag(samples_inv, "grief-01")
    assert flag is not None
    assert lines[:4] == [*flag.banner().splitlines(), ""]  # the flag first, with the US lines
    assert lines[4] == "Changes in the network of grief-01"
    assert lines[5:] == describe_changes(samples_inv, "grief-01")
    code, out, err = run("changes", "dispute-01", "--db", db)
    assert out.splitlines()[0] == "Changes in the network of dispute-01" and "SAFETY" not in out


def test_changes_of_an_unknown_client_is_a_clean_error(db: str) -> None:
    code, _, err = run("changes", "nobody-99", "--db", db)
    assert code == 1 and "nobody-99" in err and "Traceback" not in err


def test_every_command_has_help_for_clinicians() -> None:
    for command, phrase in (("metrics", "inner circle"), ("changes", "grow, hold or thin")):
        code, out, _ = run(command, "--help")
        assert code == 0 and phrase in " ".join(out.split())
