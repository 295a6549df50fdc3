"""The commands that record the middle phase, the dispute stage, the contract and the ending:
stage, contract, ending, goal, area-work, and work's skill and communication analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Inventory, Store
from ipt_network.cli import main
from ipt_network.words import STAGE_MEANINGS

CLIENT = "dispute-01"
SECRET = "Secret words of the client"


@pytest.fixture
def db(tmp_path: Path, samples_once: Inventory) -> str:
    path = str(tmp_path / "ipt.db")
    with Store.create(path) as store:
        store.import_inventory(samples_once)
    return path


def run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--db", db])
    return result.exit_code, result.output


def read(db: str) -> Inventory:
    with Store.open(db) as store:
        return store.inventory([CLIENT])


def snapshot(db: str) -> tuple[bytes, int]:
    """The store file's bytes and revision: a refusal must leave both alone."""
    with Store.open(db) as store:
        revision = store.revision
    return Path(db).read_bytes(), revision


def _person(db: str) -> str:
    return str(read(db).people["person_id"].iloc[0])


# ---------------------------------------------------------------- help


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("stage", ["renegotiation", "impasse", "dissolution", "your call", "--clear"]),
        ("contract", ["--planned", "--formulation", "--date", "ipt-network focus"]),
        ("ending", ["--gains", "--warning-signs", "--who-to-turn-to", "--maintenance"]),
        ("goal", ["--goal-id", "--area", "--text", "--status", "last row"]),
        ("area-work", ["dispute", "transition", "grief", "--memories", "--person-expects"]),
        ("work", ["--skill", "--said", "--meant", "--breakdown", "communication_analysis"]),
    ],
)
def test_every_command_has_help(command: str, words: list[str]) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for word in words:
        assert word in text, (command, word)


def test_stage_help_gives_the_manuals_definitions() -> None:
    text = " ".join(CliRunner().invoke(main, ["stage", "--help"]).output.split())
    for meaning in STAGE_MEANINGS.values():
        assert meaning in text


# ---------------------------------------------------------------- stage


def test_stage_is_set_and_cleared(db: str) -> None:
    code, out = run(db, "stage", CLIENT, "--session", "5", "dissolution")
    assert code == 0 and out.strip() == f"Dispute stage of {CLIENT} at session 5 recorded."
    assert read(db).sessions.set_index("session").loc[5, "dispute_stage"] == "dissolution"
    code, _ = run(db, "stage", CLIENT, "--session", "5", "--clear")
    assert code == 0
    assert pd.isna(read(db).sessions.set_index("session").loc[5, "dispute_stage"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--session", "99", "impasse"], "has no session 99"),
        (["--session", "5"], "give a STAGE, or --clear"),
        (["--session", "5", "impasse", "--clear"], "give a STAGE, or --clear"),
        (["--session", "5", "stuck"], "Invalid value"),
    ],
)
def test_stage_refusals_leave_the_store_alone(db: str, args: list[str], message: str) -> None:
    before = snapshot(db)
    code, out = run(db, "stage", CLIENT, *args)
    assert code != 0 and message in out
    assert "Traceback" not in out
    assert snapshot(db) == before


# ---------------------------------------------------------------- contract and ending


def test_contract_and_ending_are_recorded_without_echoing_text(db: str) -> None:
    code, out = run(
        db, "contract", CLIENT, "--planned", "12", "--formulation", SECRET, "--date", "2026-01-05"
    )
    assert code == 0 and SECRET not in out
    assert "planned sessions, formulation, contract date" in out
    code, out = run(
        db,
        "ending",
        CLIENT,
        "--gains",
        SECRET,
        "--warning-signs",
        "Sleep",
        "--who-to-turn-to",
        "Sister",
        "--maintenance",
        "agreed",
    )
    assert code == 0 and SECRET not in out and "Sleep" not in out
    row = read(db).clients.iloc[0]
    assert int(row["planned_sessions"]) == 12
    assert (row["formulation"], row["contract_date"]) == (SECRET, "2026-01-05")
    assert (row["gains"], row["warning_signs"], row["who_to_turn_to"]) == (
        SECRET,
        "Sleep",
        "Sister",
    )
    assert row["maintenance"] == "agreed"


def test_options_left_out_keep_what_is_stored(db: str) -> None:
    run(db, "ending", CLIENT, "--gains", "First")
    run(db, "ending", CLIENT, "--maintenance", "declined")
    row = read(db).clients.iloc[0]
    assert (row["gains"], row["maintenance"]) == ("First", "declined")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["contract", CLIENT, "--date", "2026-02-31"], "contract date: must be a real date"),
        (["contract", CLIENT, "--planned", "30"], "Invalid value"),
        (["contract", CLIENT], "give at least one option"),
        (["ending", CLIENT], "give at least one option"),
        (["ending", CLIENT, "--maintenance", "maybe"], "Invalid value"),
        (["ending", "nobody", "--gains", SECRET], "no client with id 'nobody'"),
        (["contract", CLIENT, "--formulation", "a\x07b"], "control"),
    ],
)
def test_contract_and_ending_refusals_change_nothing(
    db: str, args: list[str], message: str
) -> None:
    before = snapshot(db)
    code, out = run(db, *args)
    assert code != 0 and message in out, out
    assert SECRET not in out
    assert snapshot(db) == before


# ---------------------------------------------------------------- goals


def test_a_goal_is_set_then_its_status_recorded_at_a_later_session(db: str) -> None:
    code, out = run(
        db,
        "goal",
        CLIENT,
        "--session",
        "4",
        "--goal-id",
        "g-new",
        "--area",
        "role_dispute",
        "--text",
        SECRET,
        "--status",
        "not_started",
    )
    assert code == 0 and SECRET not in out and "g-new" in out
    code, _ = run(
        db, "goal", CLIENT, "--session", "6", "--goal-id", "g-new", "--status", "achieved"
    )
    assert code == 0
    goals = read(db).goals
    rows = goals[goals["goal_id"] == "g-new"].sort_values("session")
    assert rows["session"].tolist() == [4, 6]
    assert rows["status"].tolist() == ["not_started", "achieved"]
    assert rows["goal"].tolist() == [SECRET, SECRET]  # taken from the goal's last row
    assert rows["area"].tolist() == ["role_dispute"] * 2
    # a second status at the same session replaces the first
    code, _ = run(
        db, "goal", CLIENT, "--session", "6", "--goal-id", "g-new", "--status", "set_aside"
    )
    assert code == 0
    again = read(db).goals
    assert again[again["goal_id"] == "g-new"]["status"].tolist() == ["not_started", "set_aside"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--session", "4", "--goal-id", "brand-new", "--status", "achieved"], "needs an area"),
        (["--session", "99", "--goal-id", "g1", "--status", "achieved"], "has no session 99"),
        (["--session", "4", "--goal-id", "../x", "--status", "achieved"], "goal id"),
        (["--session", "4", "--goal-id", "g1", "--status", "done"], "Invalid value"),
    ],
)
def test_goal_refusals_change_nothing(db: str, args: list[str], message: str) -> None:
    before = snapshot(db)
    code, out = run(db, "goal", CLIENT, *args)
    assert code != 0 and message in out, out
    assert snapshot(db) == before


# ---------------------------------------------------------------- work


def test_work_records_a_skill_and_a_communication_analysis(db: str) -> None:
    person = _person(db)
    before = len(read(db).communication)
    code, out = run(
        db,
        "work",
        CLIENT,
        "--session",
        "5",
        "--person",
        person,
        "--kind",
        "communication_analysis",
        "--skill",
        "naming_feeling",
        "--said",
        SECRET,
        "--meant",
        "I miss you",
        "--breakdown",
        "Raised voice",
    )
    assert code == 0 and SECRET not in out
    work = read(db).communication
    assert len(work) == before + 1
    row = work.iloc[-1]
    assert (row["skill"], row["said"], row["meant"], row["breakdown"]) == (
        "naming_feeling",
        SECRET,
        "I miss you",
        "Raised voice",
    )


@pytest.mark.parametrize("flag", ["--said", "--meant", "--breakdown"])
def test_analysis_fields_need_a_communication_analysis(db: str, flag: str) -> None:
    before = snapshot(db)
    code, out = run(
        db, "work", CLIENT, "--session", "5", "--person", _person(db), "--kind", "task", flag, "x"
    )
    assert code != 0 and "go with --kind communication_analysis only" in out
    assert snapshot(db) == before


def test_work_refuses_an_unknown_skill(db: str) -> None:
    before = snapshot(db)
    code, out = run(
        db, "work", CLIENT, "--session", "5", "--person", _person(db), "--kind", "task",
        "--skill", "shouting",
    )  # fmt: skip
    assert code != 0 and "Invalid value" in out
    assert snapshot(db) == before


# ---------------------------------------------------------------- area work


def test_area_work_records_each_kind(db: str) -> None:
    person = _person(db)
    assert run(
        db, "area-work", CLIENT, "dispute", "--session", "5", "--person", person,
        "--client-expects", SECRET, "--person-expects", "Time",
    )[0] == 0  # fmt: skip
    assert run(
        db, "area-work", CLIENT, "transition", "--session", "5", "--old-role", "Wife",
        "--new-role", "Single", "--losses", "Home", "--gains", "Freedom",
    )[0] == 0  # fmt: skip
    code, out = run(
        db, "area-work", CLIENT, "grief", "--session", "5", "--person", person,
        "--memories", "Trips", "--new-connections", "Choir",
    )  # fmt: skip
    assert code == 0 and "Trips" not in out
    after = read(db)
    dispute = after.dispute_work[after.dispute_work["session"] == 5].iloc[-1]
    assert (dispute["client_expects"], dispute["person_expects"]) == (SECRET, "Time")
    transition = after.transition_work[after.transition_work["session"] == 5].iloc[-1]
    assert transition[["old_role", "new_role", "losses", "gains"]].tolist() == [
        "Wife",
        "Single",
        "Home",
        "Freedom",
    ]
    grief = after.grief_work[after.grief_work["session"] == 5].iloc[-1]
    assert (grief["memories"], grief["new_connections"]) == ("Trips", "Choir")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["transition", "--session", "5", "--memories", "x"], "does not take --memories"),
        (["transition", "--session", "5", "--person", "p01"], "does not take --person"),
        (["grief", "--session", "5", "--memories", "x"], "needs --person"),
        (["dispute", "--session", "99", "--person", "p01", "--client-expects", "x"], "session"),
        (["dispute", "--session", "5", "--person", "nobody", "--client-expects", "x"], "person"),
    ],
)
def test_area_work_refusals_change_nothing(db: str, args: list[str], message: str) -> None:
    before = snapshot(db)
    code, out = run(db, "area-work", CLIENT, *args)
    assert code != 0 and message in out, out
    assert snapshot(db) == before
