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
    code, out = run(db, "stage", CLIENT, "--session", "5", "--clear")
    assert code == 0 and "nothing to clear" in out and "cleared" not in out


def test_stage_outside_a_dispute_focus_is_recorded_with_a_note(db: str) -> None:
    result = CliRunner().invoke(
        main, ["stage", "grief-01", "--session", "3", "impasse", "--db", db]
    )
    assert result.exit_code == 0
    assert "grief-01's focus is not a role dispute; recorded anyway" in result.stderr
    assert "recorded anyway" not in result.stdout
    code, out = run(db, "stage", CLIENT, "--session", "3", "impasse")
    assert code == 0 and "recorded anyway" not in out


def test_grief_work_about_someone_dead_by_a_later_session_only(db: str) -> None:
    """grief-01's p01 died before session 1 (a deceased date): accepted; a living person
    and someone who died after the session are refused."""
    with Store.open(db) as store:
        store.update("grief-01", "people", {"person_id": "p02"}, {"deceased_date": "2025-05-01"})
    before = snapshot(db)
    code, out = run(db, "area-work", "grief-01", "grief", "--session", "2", "--person", "p02",
                    "--memories", "x")  # fmt: skip
    assert code != 0 and "p02 had not died by this session" in out
    assert snapshot(db) == before
    code, _ = run(db, "area-work", "grief-01", "grief", "--session", "6", "--person", "p02",
                  "--memories", "x")  # fmt: skip
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--session", "99", "impasse"], "has no session 99"),
        (["--session", "5"], "give a STAGE to record, or --clear to remove the recorded one"),
        (["--session", "5", "impasse", "--clear"], "give a STAGE or --clear, not both"),
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
        (["contract", CLIENT, "--date", "2024-01-01"], "must be on or after the date of the first"),
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


#: Goal entries refused: the goal command's arguments after CLIENT, and a word of the message.
GOAL_REFUSALS = [
    (["--session", "4", "--goal-id", "brand-new", "--status", "achieved"], "needs an area"),
    (["--session", "99", "--goal-id", "g1", "--status", "achieved"], "has no session 99"),
    (["--session", "4", "--goal-id", "../x", "--status", "achieved"], "goal id"),
    (["--session", "4", "--goal-id", "g1", "--status", "done"], "Invalid value"),
    (["--session", "4", "--goal-id", "", "--status", "achieved"], "must not be empty"),
    (["--session", "4", "--goal-id", " ", "--status", "achieved"], "must not be empty"),
    (
        ["--session", "4", "--goal-id", "g1", "--area", "grief", "--status", "achieved"],
        "goal g1 is a role-dispute goal; give a new goal id for another area",
    ),
    (
        ["--session", "4", "--goal-id", "g1", "--text", SECRET, "--status", "achieved"],
        "goal g1 has other words",
    ),
]

#: Area records refused: the area-work command's arguments after CLIENT, and a word of the message.
AREA_REFUSALS = [
    (["transition", "--session", "5", "--memories", "x"], "does not take --memories"),
    (["transition", "--session", "5", "--person", "p01"], "does not take --person"),
    (["grief", "--session", "5", "--memories", "x"], "needs --person"),
    (["dispute", "--session", "99", "--person", "p01", "--client-expects", "x"], "session"),
    (["dispute", "--session", "5", "--person", "nobody", "--client-expects", "x"], "person"),
    (["transition", "--session", "5", "--old-role", ""], "give at least one of"),
    (["dispute", "--session", "5", "--person", "p01"], "give at least one of"),
    (
        ["grief", "--session", "5", "--person", "p01", "--memories", "x"],
        "p01 had not died by this session",
    ),
]


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [("goal", *case) for case in GOAL_REFUSALS] + [("area-work", *case) for case in AREA_REFUSALS],
)
def test_goal_and_area_work_refusals_change_nothing(
    db: str, command: str, args: list[str], message: str
) -> None:
    before = snapshot(db)
    code, out = run(db, command, CLIENT, *args)
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
        db, "area-work", "grief-01", "grief", "--session", "5", "--person", "p01",
        "--memories", "Trips", "--new-connections", "Choir",
    )  # fmt: skip
    assert code == 0 and "Trips" not in out
    with Store.open(db) as store:
        grief = store.inventory(["grief-01"]).grief_work
    grief = grief[grief["session"] == 5].iloc[-1]
    assert (grief["memories"], grief["new_connections"]) == ("Trips", "Choir")
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
