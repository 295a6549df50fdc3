"""Tests of ipt_network.clinical.problem_areas: each rule, ties, schemes, stages, no timeline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import pytest

from ipt_network.clinical.problem_areas import (
    SUGGESTION_NOTE,
    ProblemAreaError,
    ProblemAreaSettings,
    ProblemAreaSuggestion,
    rank_problem_areas,
)
from ipt_network.errors import SessionNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.io.samples import SAMPLE_CLIENTS
from ipt_network.io.validation import validate

ONSET = date(2026, 1, 1)
FIRST = date(2026, 2, 2)

Person = tuple[str, str, str | None]  # person_id, role, deceased_date
Rel = tuple[int, str, int, int, int, int | None]  # session, person, ring, conflict, support, exp
Event = tuple[str, str, str | None]  # date, kind, person_id


def day(offset: int) -> str:
    """An ISO date ``offset`` days after the onset."""
    return (ONSET + timedelta(days=offset)).isoformat()


def build(
    people: Sequence[Person],
    rel: Sequence[Rel],
    events: Sequence[Event] = (),
    *,
    onset: str | None = ONSET.isoformat(),
    first: date = FIRST,
    lsns: list[int] | None = None,
) -> Inventory:
    """A validated one-client inventory; sessions weekly from ``first``."""
    n = max((r[0] for r in rel), default=1)
    sessions = pd.DataFrame(
        {
            "client_id": "c1",
            "session": range(1, n + 1),
            "date": [(first + timedelta(weeks=i)).isoformat() for i in range(n)],
            **{f"phq9_{i}": [1] * n for i in range(1, 10)},
            **{f"lsns6_{i}": [v] + [None] * (n - 1) for i, v in enumerate(lsns or [], start=1)},
        }
    )
    tables = {
        "clients": pd.DataFrame(
            {
                "client_id": ["c1"],
                "label": ["C"],
                "planned_sessions": [16],
                "onset_date": [onset],
                "focus": [None],
            }
        ),
        "sessions": sessions,
        "people": pd.DataFrame(
            {
                "client_id": "c1",
                "person_id": [p for p, _, _ in people],
                "name": [p.upper() for p, _, _ in people],
                "role": [r for _, r, _ in people],
                "deceased_date": [d for _, _, d in people],
            }
        ),
        "relationships": pd.DataFrame(
            {
                "client_id": "c1",
                "session": [r[0] for r in rel],
                "person_id": [r[1] for r in rel],
                "ring": [r[2] for r in rel],
                "conflict": [r[3] for r in rel],
                "support": [r[4] for r in rel],
                "expectations_met": [r[5] for r in rel],
            }
        ),
        "person_ties": pd.DataFrame(columns=["client_id", "session", "source", "target"]),
        "events": pd.DataFrame(
            {
                "client_id": "c1",
                "date": [e[0] for e in events],
                "kind": [e[1] for e in events],
                "person_id": [e[2] for e in events],
                "description": [None] * len(events),
            },
            columns=["client_id", "date", "kind", "person_id", "description"],
        ),
    }
    return validate({k: v.astype(object) for k, v in tables.items()})


def area(result: ProblemAreaSuggestion, name: str) -> tuple[int, int, tuple[str, ...]]:
    """(score, rank, evidence) of one area."""
    a = next(a for a in result.areas if a.area == name)
    return a.score, a.rank, a.evidence


# A calm, mid-sized map: nobody in conflict, support good, three inner people.
CALM_PEOPLE: list[Person] = [
    ("a", "family", None),
    ("b", "friend", None),
    ("c", "friend", None),
    ("d", "family", None),
    ("e", "coworker", None),
    ("f", "friend", None),
]
CALM: list[Rel] = [
    (1, "a", 1, 0, 3, 3),
    (1, "b", 1, 1, 3, 3),
    (1, "c", 1, 0, 3, 3),
    (1, "d", 2, 0, 3, 3),
    (1, "e", 3, 0, 2, 2),
    (1, "f", 2, 0, 3, 3),
]


@pytest.mark.parametrize("client_id", SAMPLE_CLIENTS)
def test_samples_top_area_is_the_designed_one(client_id: str, samples_inv: Inventory) -> None:
    inv = samples_inv
    designed = inv.clients.set_index("client_id").at[client_id, "focus"]
    top = rank_problem_areas(inv, client_id).top
    assert [a.area for a in top] == [designed]


@pytest.mark.parametrize("client_id", SAMPLE_CLIENTS)
def test_samples_top_area_already_at_focus_session(client_id: str, samples_inv: Inventory) -> None:
    inv = samples_inv
    row = inv.clients.set_index("client_id").loc[client_id]
    top = rank_problem_areas(inv, client_id, session=int(row["focus_session"])).top
    assert [a.area for a in top] == [row["focus"]]


def test_calm_map_has_no_evidence_anywhere() -> None:
    result = rank_problem_areas(build(CALM_PEOPLE, CALM), "c1")
    assert all(a.score == 0 for a in result.areas)
    assert result.top == []
    assert "No problem area has evidence under these rules." in result.lines()


@pytest.mark.parametrize(("ring", "points"), [(1, 4), (2, 3), (3, 1)])
def test_grief_death_near_onset_scored_by_circle(ring: int, points: int) -> None:
    people = [*CALM_PEOPLE, ("x", "family", day(-35))]
    inv = build(people, [*CALM, (1, "x", ring, 0, 1, None)])
    score, rank, evidence = area(rank_problem_areas(inv, "c1"), "grief")
    assert (score, rank) == (points, 1)
    circle = {1: "inner", 2: "middle", 3: "outer"}[ring]
    assert evidence == (f"X (family), {circle} circle, died 5 weeks before onset.",)


def test_grief_death_from_event_of_person_never_on_map() -> None:
    people = [*CALM_PEOPLE, ("x", "family", None)]
    inv = build(people, CALM, [(day(-10), "death", "x")])
    score, _, evidence = area(rank_problem_areas(inv, "c1"), "grief")
    assert score == 1
    assert "not on the map" in evidence[0]


def test_grief_death_outside_window_counts_once_as_possible_delayed_grief() -> None:
    people = [*CALM_PEOPLE, ("x", "partner", day(-400))]
    inv = build(people, [*CALM, (1, "x", 1, 0, 0, None)])
    score, _, evidence = area(rank_problem_areas(inv, "c1"), "grief")
    assert score == 1
    assert "before the window" in evidence[0] and "delayed or avoided" in evidence[0]


def test_window_is_a_setting() -> None:
    people = [*CALM_PEOPLE, ("x", "family", day(-100))]
    inv = build(people, [*CALM, (1, "x", 1, 0, 1, None)])
    wide = rank_problem_areas(inv, "c1")
    narrow = rank_problem_areas(inv, "c1", ProblemAreaSettings(window_before_days=90))
    assert area(wide, "grief")[0] == 4
    assert area(narrow, "grief")[0] == 1  # now before the window: delayed-grief point only
    after = build([*CALM_PEOPLE, ("y", "family", None)], CALM, [(day(20), "move", None)])
    assert area(rank_problem_areas(after, "c1"), "role_transition")[0] == 2
    short = ProblemAreaSettings(window_after_days=10)
    assert area(rank_problem_areas(after, "c1", short), "role_transition")[0] == 0


def test_role_dispute_points_add_up_rule_by_rule() -> None:
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    rel = [*CALM, (1, "p", 1, 4, 1, 0), (2, "p", 1, 4, 1, 0)]
    rel += [(2, r[1], *r[2:]) for r in CALM]
    inv = build(people, rel, [(day(-20), "conflict", "p")])
    score, rank, evidence = area(rank_problem_areas(inv, "c1"), "role_dispute")
    # 2 high conflict + 1 inner + 1 expectations unmet + 1 stuck + 1 conflict event
    assert (score, rank) == (6, 1)
    assert evidence[0] == "P (partner), inner circle: conflict 4 of 4 at session 1."
    assert any("Expectations" in e for e in evidence)
    assert any("stayed at 3 or more" in e for e in evidence)
    assert any("3 weeks before onset" in e for e in evidence)


def test_role_dispute_middle_circle_and_unknown_expectations_score_less() -> None:
    people = [*CALM_PEOPLE, ("p", "coworker", None)]
    inv = build(people, [*CALM, (1, "p", 2, 3, 1, None)])
    assert area(rank_problem_areas(inv, "c1"), "role_dispute")[0] == 2


def test_role_dispute_ignores_outer_circle_conflict() -> None:
    people = [*CALM_PEOPLE, ("p", "family", None)]
    inv = build(people, [*CALM, (1, "p", 3, 4, 0, 0)])
    assert area(rank_problem_areas(inv, "c1"), "role_dispute")[0] == 0


def test_role_dispute_rising_conflict_counts() -> None:
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    rel = [*CALM, (1, "p", 1, 1, 2, 2), (2, "p", 1, 3, 2, 2)]
    rel += [(2, r[1], *r[2:]) for r in CALM]
    score, _, evidence = area(rank_problem_areas(build(people, rel), "c1"), "role_dispute")
    assert score == 4  # 2 + inner + rising
    assert any("rose from 1 to 3" in e for e in evidence)


def _dispute_course(later: list[Rel], events: Sequence[Event] = ()) -> ProblemAreaSuggestion:
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    rel = [*CALM, (1, "p", 1, 4, 1, 0), *later]
    rel += [(2, r[1], *r[2:]) for r in CALM]
    return rank_problem_areas(build(people, rel, events), "c1")


def test_stage_impasse_when_conflict_stays_and_expectations_do_not_rise() -> None:
    a = _dispute_course([(2, "p", 1, 4, 1, 0)]).areas[0]
    assert (a.area, a.stage) == ("role_dispute", "impasse")


def test_stage_renegotiation_when_conflict_falls_or_expectations_rise() -> None:
    assert _dispute_course([(2, "p", 1, 2, 2, 1)]).areas[0].stage == "renegotiation"
    assert _dispute_course([(2, "p", 1, 4, 2, 2)]).areas[0].stage == "renegotiation"


def test_stage_dissolution_when_separated_left_or_pushed_out() -> None:
    separated = _dispute_course([(2, "p", 1, 4, 1, 0)], [(day(30), "separation", "p")])
    assert separated.areas[0].stage == "dissolution"
    left = _dispute_course([])
    assert next(a for a in left.areas if a.area == "role_dispute").stage == "dissolution"
    outer = _dispute_course([(2, "p", 3, 2, 1, 0)])
    assert next(a for a in outer.areas if a.area == "role_dispute").stage == "dissolution"


def test_stage_only_for_role_dispute() -> None:
    result = _dispute_course([(2, "p", 1, 4, 1, 0)])
    assert [a.stage is None for a in result.areas[1:]] == [True] * 3


@pytest.mark.parametrize(
    ("event", "points"),
    [
        ((day(-60), "move", None), 2),
        ((day(-60), "job_loss", None), 2),
        ((day(-60), "birth", "x"), 2),
        ((day(-60), "new_job", "x"), 1),
        ((day(-60), "illness", "x"), 1),
        ((day(-300), "move", None), 0),
        ((day(-60), "other", None), 0),
    ],
)
def test_role_transition_events(event: Event, points: int) -> None:
    inv = build([*CALM_PEOPLE, ("x", "family", None)], CALM, [event])
    score, _, evidence = area(rank_problem_areas(inv, "c1"), "role_transition")
    assert score == points
    if points == 1:
        assert "someone else's change" in evidence[0]


SMALL_PEOPLE: list[Person] = [("m", "family", None), ("g", "friend", None), ("w", "coworker", None)]
SMALL: list[Rel] = [(1, "m", 2, 1, 1, 1), (1, "g", 2, 0, 2, 2), (1, "w", 3, 0, 0, None)]


def test_deficits_signals_when_nothing_else() -> None:
    inv = build(SMALL_PEOPLE, SMALL, lsns=[1, 1, 1, 1, 1, 1])
    result = rank_problem_areas(inv, "c1")
    score, rank, evidence = area(result, "interpersonal_deficits")
    assert (score, rank) == (4, 1)  # small, no inner, low support, LSNS-6 below 12
    assert any("Only 3 people" in e for e in evidence)
    assert any("LSNS-6 total 6, below 12" in e for e in evidence)
    assert any("before onset is not recorded" in e for e in evidence)


def test_deficits_not_suggested_when_another_area_has_evidence() -> None:
    inv = build(SMALL_PEOPLE, SMALL, [(day(-30), "move", None)])
    score, rank, evidence = area(rank_problem_areas(inv, "c1"), "interpersonal_deficits")
    assert score == 0 and rank == 2
    assert evidence[0].startswith("Not suggested: role transition has evidence")


def test_deficits_compare_map_before_onset_with_now() -> None:
    # Sessions start before onset: a maintenance client whose map was known.
    before_big = [(1, p, 2, 0, 3, 3) for p, _, _ in CALM_PEOPLE] + [
        (2, "a", 2, 0, 1, 1),
        (2, "b", 3, 0, 1, 1),
    ]
    shrank = build(CALM_PEOPLE, before_big, first=ONSET - timedelta(days=3))
    score, _, evidence = area(rank_problem_areas(shrank, "c1"), "interpersonal_deficits")
    assert score == 0
    assert any("withdrawal with the depression" in e for e in evidence)
    same = [(1, "m", 2, 0, 1, 1), (2, "m", 2, 0, 1, 1)]
    kept = build([("m", "family", None)], same, first=ONSET - timedelta(days=3))
    score, _, evidence = area(rank_problem_areas(kept, "c1"), "interpersonal_deficits")
    assert score == 4  # small, no inner, low support, and no larger before onset
    assert any("no larger before onset" in e for e in evidence)


def test_three_area_scheme_reports_isolation_as_complicating_factor() -> None:
    inv = build(SMALL_PEOPLE, SMALL, [(day(-30), "move", None)])
    result = rank_problem_areas(inv, "c1", ProblemAreaSettings(scheme="three"))
    assert [a.area for a in result.areas] == ["role_transition", "grief", "role_dispute"]
    assert any("Only 3 people" in f for f in result.complicating_factors)
    lines = result.lines()
    assert "Complicating factor: interpersonal sensitivity or social isolation" in lines
    assert "interpersonal_deficits" not in json.dumps(result.to_dict()["areas"])


def test_ties_share_the_rank_and_are_said() -> None:
    people = [*CALM_PEOPLE, ("x", "family", day(-20))]
    events = [(day(-50), "move", None), (day(-40), "job_loss", None)]
    inv = build(people, [*CALM, (1, "x", 1, 0, 2, None)], events)
    result = rank_problem_areas(inv, "c1")
    assert [(a.area, a.score, a.rank, a.tied) for a in result.areas[:2]] == [
        ("grief", 4, 1, True),
        ("role_transition", 4, 1, True),
    ]
    assert result.areas[2].rank == 3 and not result.areas[2].tied
    assert [a.area for a in result.top] == ["grief", "role_transition"]
    assert "Grief and role transition score the same: the clinician decides." in result.lines()


def test_client_with_no_timeline_uses_the_map_only() -> None:
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    inv = build(people, [*CALM, (1, "p", 1, 3, 1, 1)], onset=None)
    result = rank_problem_areas(inv, "c1")
    assert result.reference == "the first session"
    assert result.reference_date == FIRST.isoformat()
    assert result.top[0].area == "role_dispute"
    assert area(result, "grief")[0] == 0 and area(result, "role_transition")[0] == 0


def test_no_onset_places_events_against_the_first_session() -> None:
    inv = build([*CALM_PEOPLE, ("x", "family", None)], CALM, [(day(0), "move", None)], onset=None)
    score, _, evidence = area(rank_problem_areas(inv, "c1"), "role_transition")
    assert score == 2
    assert evidence == ("A move 5 weeks before the first session (onset not recorded).",)


def test_settings_are_checked() -> None:
    with pytest.raises(ProblemAreaError, match="window_before_days"):
        ProblemAreaSettings(window_before_days=-1)
    with pytest.raises(ValueError, match="scheme"):
        ProblemAreaSettings(scheme="two")  # type: ignore[arg-type]


def test_unknown_session_refused(samples_inv: Inventory) -> None:
    with pytest.raises(SessionNotFound):
        rank_problem_areas(samples_inv, "grief-01", session=40)


def test_to_dict_is_json_and_carries_the_note_and_settings(samples_inv: Inventory) -> None:
    settings = ProblemAreaSettings(window_before_days=120, window_after_days=10)
    d = json.loads(json.dumps(rank_problem_areas(samples_inv, "grief-01", settings).to_dict()))
    assert d["note"] == SUGGESTION_NOTE
    assert (d["window_before_days"], d["window_after_days"], d["scheme"]) == (120, 10, "four")
    assert d["areas"][0]["label"] == "Grief" and d["areas"][0]["evidence"]
    assert {a["area"] for a in d["areas"]} == {
        "grief",
        "role_dispute",
        "role_transition",
        "interpersonal_deficits",
    }


def test_lines_say_it_is_a_suggestion(samples_inv: Inventory) -> None:
    lines = rank_problem_areas(samples_inv, "dispute-01", session=3).lines()
    assert lines[-1] == SUGGESTION_NOTE
    assert any(line.startswith("   Likely stage: impasse.") for line in lines)


# ------------------------------------------------- the per-client index against the tables


def _as_of(inv: Inventory, client_id: str, session: int) -> Inventory:
    """The client's tables cut at ``session``: later sessions' rows and later events dropped."""
    one = inv.for_clients([client_id])
    tables = one.tables()
    dates = dict(zip(one.sessions["session"], one.sessions["date"], strict=True))
    for name, frame in tables.items():
        if "session" in frame.columns and name != "clients":
            tables[name] = frame[frame["session"] <= session].reset_index(drop=True)
    events = tables["events"]
    tables["events"] = events[events["date"] <= dates[session]].reset_index(drop=True)
    return Inventory(**tables)


@pytest.fixture(scope="module")
def cohort() -> Inventory:
    from ipt_network.io.synth import synthesize

    return Inventory.from_tables(dict(synthesize(12, seed=5).items()))


@pytest.mark.parametrize("which", ["samples", "synth"])
def test_ranking_as_of_a_session_equals_ranking_the_tables_cut_there(
    which: str, samples_inv: Inventory, cohort: Inventory
) -> None:
    """Per-session rankings read from the per-client index (built once per course) agree,
    evidence and scores word for word, with a ranking of tables that end at that session."""
    inv = samples_inv if which == "samples" else cohort
    compared = 0
    for client_id in inv.client_ids():
        for s in inv.sessions_of(client_id):
            for settings in (ProblemAreaSettings(), ProblemAreaSettings(scheme="three")):
                fast = rank_problem_areas(inv, client_id, settings, session=s).to_dict()
                cut = rank_problem_areas(_as_of(inv, client_id, s), client_id, settings)
                assert fast == cut.to_dict(), (client_id, s, settings.scheme)
                compared += 1
    assert compared >= 40


def test_index_holds_every_relationship_and_event_row(
    samples_inv: Inventory, cohort: Inventory
) -> None:
    from ipt_network.clinical.course import course_of
    from ipt_network.clinical.problem_areas import _index

    for inv in (samples_inv, cohort):
        for client_id in inv.client_ids():
            course = course_of(inv, client_id)
            index = course.derived("problem_areas", _index)
            rel = course.tables.relationships.sort_values(["session", "person_id"], kind="stable")
            rows = [
                (int(s), str(p), int(r), int(c), int(u), None if pd.isna(e) else int(e))
                for s, p, r, c, u, e in zip(
                    rel["session"], rel["person_id"], rel["ring"], rel["conflict"],
                    rel["support"], rel["expectations_met"], strict=True,
                )
            ]  # fmt: skip
            got = [(r.session, r.pid, r.ring, r.conflict, r.support, r.expect) for r in index.rows]
            assert got == rows
            ev = course.tables.events
            assert [(e.kind, e.pid) for e in index.events] == [
                (str(k), None if pd.isna(p) else str(p))
                for k, p in zip(ev["kind"], ev["person_id"], strict=True)
            ]
            assert [e.day.isoformat() if e.day else None for e in index.events] == [
                str(d) for d in ev["date"]
            ]
