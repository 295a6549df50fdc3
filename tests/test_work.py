"""The middle-phase work, the contract and the ending: the read model, ``show``, the card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from dashboards.callbacks.client import work_outputs
from dashboards.components import component_text
from ipt_network.clinical.course import ChangeKind, course_of
from ipt_network.clinical.model import CoursePlan, Phase
from ipt_network.clinical.work import work_of
from ipt_network.errors import ClientNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store
from ipt_network.views.overview import client_overview
from ipt_network.views.summary import client_summary
from ipt_network.views.work import NOTHING_RECORDED, work_lines, work_sections
from ipt_network.words import SKILL_WORDS


def _one(inv: Inventory, client_id: str, **tables: pd.DataFrame) -> Inventory:
    """One client's tables, some replaced."""
    return Inventory(**{**inv.for_clients([client_id]).tables(), **tables})


def _clients(inv: Inventory, client_id: str, **cells: object) -> pd.DataFrame:
    clients = inv.for_clients([client_id]).clients.copy()
    for column, value in cells.items():
        clients[column] = pd.array([value], dtype=clients[column].dtype)
    return clients


# ---------------------------------------------------------------- the read model


def test_reengagement_is_who_joined_after_the_death(samples_inv: Inventory) -> None:
    course = course_of(samples_inv, "grief-01")
    died = date(2025, 1, 18)  # Frank, on the people table and as a death event
    joined = [
        (c.person_id, c.session)
        for c in course.changes
        if c.kind is ChangeKind.JOINED and date.fromisoformat(course.dates[c.session]) > died
    ]
    work = work_of(samples_inv, "grief-01")
    assert joined and [(r.person_id, r.session) for r in work.reengagement] == joined
    assert {r.after.person_id for r in work.reengagement} == {"p01"}
    assert [d.date for d in work.deaths] == [died]  # the event is the same death, kept once
    line = next(line for line in work_lines(samples_inv, "grief-01") if "Re-engagement" in line)
    assert line.strip().startswith("Re-engagement after Frank's death: Pastor Helen (session 5)")
    # no death, no re-engagement, though people joined
    assert work_of(samples_inv, "transition-01").reengagement == ()
    assert any(c.kind is ChangeKind.JOINED for c in course_of(samples_inv, "transition-01").changes)


def test_a_death_known_only_from_an_event_counts(samples_inv: Inventory) -> None:
    people = samples_inv.for_clients(["grief-01"]).people.copy()
    people["deceased_date"] = pd.array([pd.NA] * len(people), dtype="string")
    work = work_of(_one(samples_inv, "grief-01", people=people), "grief-01")
    assert [r.label for r in work.reengagement] == [
        "Pastor Helen",
        "Thursday group at Glenwood Methodist",
        "Dorothy",
    ]
    # a death after every join re-engages nobody
    events = samples_inv.for_clients(["grief-01"]).events.copy()
    events["date"] = events["date"].where(events["kind"] != "death", "2025-12-01")
    later = _one(samples_inv, "grief-01", people=people, events=events)
    assert work_of(later, "grief-01").reengagement == ()


def test_dispute_stage_series_is_the_clinicians_call(samples_inv: Inventory) -> None:
    work = work_of(samples_inv, "dispute-01")
    s = samples_inv.sessions
    rows = s[(s["client_id"] == "dispute-01") & s["dispute_stage"].notna()]
    assert [(a.session, a.value) for a in work.stages] == list(
        zip(rows["session"].astype(int), rows["dispute_stage"].astype(str), strict=True)
    )
    assert work.stage_runs() == (("impasse", 3, 5), ("renegotiation", 6, 16))
    assert (
        "  Dispute stage (clinician's call): impasse at sessions 3-5, renegotiation at 6-16"
        in work_lines(samples_inv, "dispute-01")
    )
    assert work.upto(4).stage_runs() == (("impasse", 3, 4),)
    assert work_of(samples_inv, "grief-01").stages == ()
    # both sides' expectations, per person and session
    raj = [e for e in work.expectations if e.label == "Raj"]
    assert [(e.session, e.person_expects) for e in raj] == [
        (8, "Saturdays on site until the project ends")
    ]


def test_skills_are_counted_by_skill(samples_inv: Inventory) -> None:
    comm = samples_inv.communication
    for client_id in samples_inv.client_ids():
        mine = comm.loc[comm["client_id"] == client_id, "skill"].dropna()
        counts = work_of(samples_inv, client_id).skill_counts()
        assert counts == dict(Counter(str(v) for v in mine)) and counts
        text = "\n".join(work_lines(samples_inv, client_id))
        for skill, n in counts.items():
            assert f"{SKILL_WORDS[skill]} ×{n}" in text


def test_communication_analyses_say_said_meant_and_breakdown(samples_inv: Inventory) -> None:
    (analysis,) = work_of(samples_inv, "transition-01").analyses
    assert analysis.session == 10 and analysis.label == "Mom (Farida)"
    assert analysis.said and analysis.meant and analysis.breakdown
    assert "hung up" in "\n".join(work_lines(samples_inv, "transition-01"))


def test_goals_latest_status_and_history(samples_inv: Inventory) -> None:
    goals = samples_inv.goals.sort_values(["client_id", "session"], kind="stable")
    for client_id in samples_inv.client_ids():
        rows = goals[goals["client_id"] == client_id]
        latest = rows.groupby("goal_id")["status"].last().to_dict()
        work = work_of(samples_inv, client_id)
        assert {g.goal_id: g.status for g in work.goals} == latest
    share = next(g for g in work_of(samples_inv, "transition-01").goals if g.goal_id == "g3")
    assert [(h.session, h.value) for h in share.history] == [(3, "not_started"), (7, "achieved")]
    assert "Share the night feeds with Sam: achieved at session 7 (earlier: not started at 3)" in (
        "\n".join(work_lines(samples_inv, "transition-01"))
    )
    at_7 = work_of(samples_inv, "grief-01").upto(7)
    assert {g.status for g in at_7.goals} == {"in_progress"}
    assert work_of(samples_inv, "grief-01").upto(2).goals == ()


def test_the_contract_and_the_ending_appear_when_recorded(samples_inv: Inventory) -> None:
    work = work_of(samples_inv, "grief-01")
    assert work.contract.agreed_on == "2025-04-14" and work.contract.focus == ("grief",)
    heads = [h for h, _ in work_sections(work.upto(1))]
    assert "Treatment contract" not in heads  # agreed at session 2 (2025-04-14)
    assert "Treatment contract" in [h for h, _ in work_sections(work.upto(2))]
    # the ending shows from the termination phase on (sessions 12-14 of 14)
    assert "The ending" not in [h for h, _ in work_sections(work.upto(11))]
    ending = dict(work_sections(work.upto(12)))["The ending"]
    assert "Maintenance: maintenance contract agreed" in ending
    assert any(line.startswith("Warning signs: Staying in bed past nine") for line in ending)


@pytest.mark.parametrize(
    ("maintenance", "phase"),
    [("agreed", Phase.MAINTENANCE), ("declined", Phase.EXTENSION), (pd.NA, Phase.EXTENSION)],
)
def test_sessions_past_the_plan(samples_inv: Inventory, maintenance: object, phase: Phase) -> None:
    # grief-01 has 14 sessions; a plan of 12 leaves sessions 13 and 14 past it
    clients = _clients(samples_inv, "grief-01", planned_sessions=12, maintenance=maintenance)
    inv = _one(samples_inv, "grief-01", clients=clients)
    work = work_of(inv, "grief-01")
    assert work.past_plan == (13, 14) and work.past_plan_phase is phase
    assert client_overview(inv).iloc[0]["phase"] == str(phase)
    text = client_summary(inv, "grief-01")
    row = next(line for line in text.splitlines() if line.strip().startswith("14  2025-07-07"))
    assert f" {phase} " in row
    said = {
        "agreed": "maintenance (maintenance contract agreed)",
        "declined": "extension (maintenance declined)",
    }.get(str(maintenance), "extension (no maintenance contract recorded)")
    assert f"Sessions past the plan (sessions 13-14): {said}" in text
    # within the plan: no such line
    assert not any("past the plan" in line for line in work_lines(samples_inv, "grief-01"))


def test_course_plan_phases() -> None:
    assert CoursePlan(16).phase(17) is Phase.EXTENSION
    assert CoursePlan(16, maintenance=True).phase(17) is Phase.MAINTENANCE
    assert CoursePlan(16, maintenance=True).phase(16) is Phase.TERMINATION
    assert CoursePlan.of(pd.NA, "agreed") == CoursePlan(16, maintenance=True)
    assert CoursePlan.of(10, "undecided") == CoursePlan(10)


# ---------------------------------------------------------------- show


def test_show_prints_the_middle_phase_work(samples_inv: Inventory) -> None:
    text = client_summary(samples_inv, "dispute-01")
    after = text.split("\nMiddle-phase work\n", 1)[1]
    for expected in (
        "Treatment contract",
        "Agreed on 2025-09-15: 16 planned sessions; focus role dispute, chosen at session 3",
        "Dispute stage (clinician's call): impasse at sessions 3-5, renegotiation at 6-16",
        "Skills practiced: making a request clearly ×2",
        "Communication analysis, session 4, Sarah",
        "Maintenance: no maintenance",
    ):
        assert expected in after, expected


def test_show_says_when_nothing_is_recorded(tiny_inv: Inventory) -> None:
    client_id = tiny_inv.client_ids()[0]
    # a chosen focus is part of the contract, even without a date agreed
    assert work_lines(tiny_inv, client_id)[:2] == [
        "Treatment contract",
        "  Agreed (date not recorded): 12 planned sessions; focus role dispute",
    ]
    clients = _clients(tiny_inv, client_id, focus=pd.NA)
    tiny_inv = Inventory(**{**tiny_inv.tables(), "clients": clients})
    assert work_lines(tiny_inv, client_id) == []
    text = client_summary(tiny_inv, client_id)
    assert text.split("\nMiddle-phase work\n", 1)[1].startswith(f"  {NOTHING_RECORDED}")
    with pytest.raises(ClientNotFound):
        work_lines(tiny_inv, "nobody")


# ---------------------------------------------------------------- the dashboard card


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, samples_once: Inventory) -> Iterator[Store]:
    store = Store.create(Path(tmp_path_factory.mktemp("work")) / "ipt.db")
    store.import_inventory(samples_once)
    yield store
    store.close()


def test_the_card_shows_what_was_recorded_up_to_the_session(store: Store) -> None:
    at_4 = component_text(work_outputs(store, "grief-01", 4))
    at_5 = component_text(work_outputs(store, "grief-01", 5))
    assert "Recorded up to session 4." in at_4 and "Re-engagement" not in at_4
    assert "Re-engagement after Frank's death: Pastor Helen (session 5)" in at_5
    assert "Dorothy (session 9)" not in at_5
    assert "The ending" not in at_5
    assert "Who to turn to: Ruth (sister)" in component_text(work_outputs(store, "grief-01", 14))
    dispute = component_text(work_outputs(store, "dispute-01", 7))
    assert "impasse at sessions 3-5, renegotiation at 6-7" in dispute
    assert work_outputs(store, "grief-01", 5) is work_outputs(store, "grief-01", 5)  # kept


def test_the_card_is_empty_in_client_view_and_checks_its_input(store: Store) -> None:
    assert work_outputs(store, "grief-01", 5, ["on"]) == []
    for client_id, session in (("grief-01", 99), ("grief-01", "5"), ("nobody", 1), (None, 1)):
        with pytest.raises(PreventUpdate):
            work_outputs(store, client_id, session)
