"""Tests of the clinical commands: timeline, problem-areas, focus, report."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipt_network import Inventory
from ipt_network.cli import main
from ipt_network.cli.clinical import focus_cmd, problem_areas_cmd, report_cmd, timeline_cmd
from ipt_network.clinical.safety import crisis_lines
from ipt_network.io.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, samples_once: Inventory) -> str:
    path = str(tmp_path_factory.mktemp("clinical") / "ipt.db")
    with Store.create(path) as store:
        store.import_inventory(samples_once)
    return path


def run(db: str, *args: str, command: object = main) -> tuple[int, str]:
    result = CliRunner().invoke(command, [*args, "--db", db])  # type: ignore[arg-type]
    return result.exit_code, result.output


def test_timeline_prints_in_date_order_with_flag(db: str) -> None:
    code, out = run(db, "timeline", "grief-01")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("SAFETY FLAG") and crisis_lines() in out
    body = [line for line in lines if line[:4].isdigit()]
    assert [line[:10] for line in body] == sorted(line[:10] for line in body)
    assert "2025-02-24  Depression began (onset of this episode)" in body


def test_timeline_without_flag_says_nothing_about_risk(db: str) -> None:
    code, out = run(db, "timeline", "dispute-01")
    assert code == 0 and "SAFETY" not in out and "risk" not in out.lower()
    assert out.splitlines()[0] == "Timeline of dispute-01"


@pytest.mark.parametrize(
    ("client_id", "area"),
    [
        ("grief-01", "Grief"),
        ("dispute-01", "Role dispute"),
        ("transition-01", "Role transition"),
        ("deficits-01", "Interpersonal deficits"),
    ],
)
def test_problem_areas_text_ranks_designed_area_first(db: str, client_id: str, area: str) -> None:
    code, out = run(db, "problem-areas", client_id)
    assert code == 0
    first = next(line for line in out.splitlines() if line.startswith("1. "))
    assert first.startswith(f"1. {area} (score ")
    assert "suggestion for the clinician" in out


def test_problem_areas_json_and_options(db: str) -> None:
    code, out = run(
        db,
        "problem-areas",
        "dispute-01",
        "--json",
        "--session",
        "3",
        "--before",
        "90",
        "--after",
        "10",
    )
    assert code == 0
    d = json.loads(out)
    assert d["areas"][0]["area"] == "role_dispute" and d["areas"][0]["stage_recorded"] == "impasse"
    assert d["areas"][0]["stage_guess"] in ("renegotiation", "impasse", "dissolution")
    assert (d["window_before_days"], d["window_after_days"], d["session"]) == (90, 10, 3)
    # With 90 days before onset, the new job 5 months before no longer counts.
    assert next(a for a in d["areas"] if a["area"] == "role_transition")["score"] == 0


def test_problem_areas_three_area_scheme(db: str) -> None:
    code, out = run(db, "problem-areas", "deficits-01", "--scheme", "three", "--json")
    d = json.loads(out)
    assert code == 0 and len(d["areas"]) == 3 and d["complicating_factors"]


def test_problem_areas_bad_input(db: str) -> None:
    code, out = run(db, "problem-areas", "grief-01", "--session", "99")
    assert code != 0 and "has no session 99" in out
    code, out = run(db, "problem-areas", "grief-01", "--scheme", "five")
    assert code != 0


def focus(db: str, *args: str) -> tuple[int, str]:
    """Run the focus command (called directly until it is listed in COMMANDS)."""
    return run(db, *args, command=focus_cmd)


def test_focus_records_and_refuses(tmp_path: Path, samples_inv: Inventory) -> None:
    db = str(tmp_path / "f.db")
    with Store.create(db) as store:
        store.import_inventory(samples_inv.for_clients(["transition-01"]))
    code, out = focus(db, "transition-01", "role_transition", "grief", "--session", "4")
    assert code == 0 and "role transition and grief, chosen at session 4" in out
    with Store.open(db) as store:
        row = store.inventory(["transition-01"]).clients.iloc[0]
    assert (row["focus"], int(row["focus_session"])) == ("role_transition;grief", 4)
    code, out = focus(
        db, "transition-01", "grief", "role_dispute", "role_transition", "--session", "4"
    )
    assert code != 0 and "at most two" in out
    code, out = focus(db, "transition-01", "grief", "grief", "--session", "4")
    assert code != 0 and "twice" in out
    code, out = focus(db, "transition-01", "anger", "--session", "4")
    assert code != 0 and "anger" in out
    code, out = focus(db, "transition-01", "grief", "--session", "30")
    assert code != 0 and "no session 30" in out
    code, out = focus(db, "nobody", "grief", "--session", "1")
    assert code != 0 and "no client with id 'nobody'" in out
    with Store.open(db) as store:
        row = store.inventory(["transition-01"]).clients.iloc[0]
    assert row["focus"] == "role_transition;grief"  # refused commands changed nothing


def test_report_writes_a_file(db: str, tmp_path: Path) -> None:
    out_file = tmp_path / "report.html"
    code, out = run(db, "report", "transition-01", "--out", str(out_file))
    assert code == 0 and out.splitlines()[-1].startswith("Client report for transition-01")
    assert str(out_file) in out
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Session 14" in page
    assert "Looking ahead" in page and "Clinical appendix" not in page
    assert stat.S_IMODE(os.stat(out_file).st_mode) == 0o600


def test_report_for_clinician_adds_the_appendix(
    db: str, tmp_path: Path, samples_inv: Inventory
) -> None:
    from ipt_network.clinical.safety import safety_flag

    flag = safety_flag(samples_inv, "grief-01")
    assert flag is not None
    pages = {}
    for audience in ("client", "clinician"):
        out_file = tmp_path / f"{audience}.html"
        code, out = run(db, "report", "grief-01", "--for", audience, "--out", str(out_file))
        assert code == 0, out
        # the terminal is the clinician's: the banner is printed for either report
        assert out.startswith(flag.headline())
        pages[audience] = out_file.read_text(encoding="utf-8")
    assert "Clinician report" in out
    assert "Clinical appendix" in pages["clinician"] and 'class="flag"' in pages["clinician"]
    assert "1. Grief (score" in pages["clinician"]  # the problem-area evidence
    assert "Clinical appendix" not in pages["client"] and "flag" not in pages["client"].lower()
    code, out = run(db, "report", "grief-01", "--for", "family", "--out", str(tmp_path / "x"))
    assert code == 2 and "Invalid value for '--for'" in out


def test_report_shows_the_crisis_lines_of_the_store_region(
    tmp_path: Path, samples_inv: Inventory
) -> None:
    path = str(tmp_path / "uk.db")
    with Store.create(path) as store:
        store.import_inventory(samples_inv.for_clients(["grief-01", "dispute-01"]))
        store.set_setting("region", "uk")
    for client_id in ("grief-01", "dispute-01"):
        for audience in ("client", "clinician"):
            out_file = tmp_path / f"{client_id}-{audience}.html"
            code, out = run(path, "report", client_id, "--for", audience, "--out", str(out_file))
            assert code == 0, out
            page = out_file.read_text(encoding="utf-8")
            assert "Samaritans" in page and "116 123" in page and "988" not in page


def test_unknown_client_is_a_clean_error(db: str, tmp_path: Path) -> None:
    for args in (
        ("timeline", "x"),
        ("problem-areas", "x"),
        ("report", "x", "--out", str(tmp_path / "x.html")),
    ):
        code, out = run(db, *args)
        assert code == 1 and out.strip() == "Error: no client with id 'x'"


def test_missing_store_is_a_clean_error(tmp_path: Path) -> None:
    code, out = run(str(tmp_path / "none.db"), "timeline", "grief-01")
    assert code == 1 and "no store at" in out


@pytest.mark.parametrize("command", [timeline_cmd, problem_areas_cmd, report_cmd, focus_cmd])
def test_every_command_has_help(command: object) -> None:
    result = CliRunner().invoke(command, ["--help"])  # type: ignore[arg-type]
    assert result.exit_code == 0
    assert len(result.output.split("Options:")[0]) > 200


def test_work_records_communication_work(tmp_path: Path, samples_inv: Inventory) -> None:
    path = str(tmp_path / "work.db")
    with Store.create(path) as store:
        store.import_inventory(samples_inv)
        before = len(store.inventory(["deficits-01"]).communication)
    code, out = run(
        path,
        "work",
        "deficits-01",
        "--session",
        "9",
        "--person",
        "p05",
        "--kind",
        "role_play",
        "--planned",
        "Ask to join the next game night",
        "--outcome",
        "went_well",
    )
    assert code == 0, out
    with Store.open(path) as store:
        work = store.inventory(["deficits-01"]).communication
    assert len(work) == before + 1
    added = work.iloc[-1]
    assert (added["session"], added["person_id"], added["kind"], added["outcome"]) == (
        9,
        "p05",
        "role_play",
        "went_well",
    )
    code, out = run(path, "show", "deficits-01")
    assert "Ask to join the next game night" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--session", "9", "--person", "p99", "--kind", "task"], "person_id"),
        (["--session", "40", "--person", "p05", "--kind", "task"], "no such session"),
        (["--session", "9", "--person", "p05", "--kind", "lecture"], "Invalid value"),
    ],
)
def test_work_refuses_bad_input_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str, samples_inv: Inventory
) -> None:
    path = str(tmp_path / "work.db")
    with Store.create(path) as store:
        store.import_inventory(samples_inv)
    code, out = run(path, "work", "deficits-01", *args)
    assert code != 0 and message in out
    with Store.open(path) as store:
        assert len(store.inventory(["deficits-01"]).communication) == len(
            samples_inv.for_clients(["deficits-01"]).communication
        )
