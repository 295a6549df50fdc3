"""Tests of ipt_network.clinical.problem_areas: every rule of the module's table, the
session ranked, the score, the stage, the schemes, ``rank_all`` and ``problem-areas --all``.

Each misfire listed in issue 11 is a test built from small tables (the dead husband, the
three relatives against a mother's death, the partner who died after the window, the boss
and the outer partner, the divorce counted once, the early session and the later death,
the isolation signals of both schemes, the stage guesses, the default session).
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network.cli.clinical import problem_areas_cmd
from ipt_network.clinical.problem_areas import (
    SCORE_RULE,
    STAGE_NOT_RECORDED,
    SUGGESTION_NOTE,
    TRANSITION_KINDS,
    AreaCandidate,
    ProblemAreaError,
    ProblemAreaSettings,
    ProblemAreaSuggestion,
    agreement_summary,
    decision_session,
    rank_all,
    rank_problem_areas,
)
from ipt_network.errors import SessionNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.io.samples import SAMPLE_CLIENTS
from ipt_network.io.store import Store
from ipt_network.io.validation import validate

ONSET = date(2026, 1, 1)
FIRST = date(2026, 2, 2)

Person = tuple[str, str, str | None]  # person_id, role, deceased_date
# session, person, ring, conflict, support, expectations met[, contact frequency]
Rel = tuple[int, str, int, int, int, int | None] | tuple[int, str, int, int, int, int | None, str]
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
    focus: str | None = None,
    focus_session: int | None = None,
    planned: int = 16,
    stages: Mapping[int, str] | None = None,
    sessions: int | None = None,
) -> Inventory:
    """A validated one-client inventory; sessions weekly from ``first``."""
    n = sessions or max((r[0] for r in rel), default=1)
    table = pd.DataFrame(
        {
            "client_id": "c1",
            "session": range(1, n + 1),
            "date": [(first + timedelta(weeks=i)).isoformat() for i in range(n)],
            **{f"phq9_{i}": [1] * n for i in range(1, 10)},
            **{f"lsns6_{i}": [v] + [None] * (n - 1) for i, v in enumerate(lsns or [], start=1)},
            "dispute_stage": [(stages or {}).get(s) for s in range(1, n + 1)],
        }
    )
    tables = {
        "clients": pd.DataFrame(
            {
                "client_id": ["c1"],
                "label": ["C"],
                "planned_sessions": [planned],
                "onset_date": [onset],
                "focus": [focus],
                "focus_session": [focus_session],
            }
        ),
        "sessions": table,
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
                "contact_frequency": [r[6] if len(r) > 6 else None for r in rel],
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


def area(result: ProblemAreaSuggestion, name: str) -> AreaCandidate:
    return next(a for a in result.areas if a.area == name)


def rank(inv: Inventory, **kw: object) -> ProblemAreaSuggestion:
    return rank_problem_areas(inv, "c1", **kw)  # type: ignore[arg-type]


def every_session(rows: Sequence[Rel], sessions: int) -> list[Rel]:
    """``rows`` (written for session 1) repeated at sessions 1 to ``sessions``."""
    return [(s, *r[1:]) for s in range(1, sessions + 1) for r in rows]


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


# ---------------------------------------------------------------------------------------- samples


@pytest.mark.parametrize("client_id", SAMPLE_CLIENTS)
def test_samples_default_suggestion_is_the_designed_area(
    client_id: str, samples_inv: Inventory
) -> None:
    row = samples_inv.clients.set_index("client_id").loc[client_id]
    result = rank_problem_areas(samples_inv, client_id)
    assert (result.session, result.session_basis) == (int(row["focus_session"]), "focus")
    assert [a.area for a in result.top] == [row["focus"]]
    assert result.agrees is True


# -------------------------------------------------------------------------------------- the score


def test_calm_map_has_no_evidence_anywhere() -> None:
    result = rank(build(CALM_PEOPLE, CALM))
    assert all(a.score == 0 for a in result.areas)
    assert result.top == []
    assert "No problem area has evidence under these rules." in result.lines()
    assert area(result, "grief").evidence == ("No evidence found in the inventory or timeline.",)


def test_score_is_the_strongest_line_plus_a_capped_bonus_and_lines_show_points() -> None:
    kinds = ["move", "job_loss", "retirement", "illness"]
    events = [(day(-60 + 10 * i), k, None) for i, k in enumerate(kinds)]
    transition = area(rank(build(CALM_PEOPLE, CALM, events)), "role_transition")
    assert transition.score == 5 + 2  # not 4 x 5
    assert all(e.endswith("(+5).") for e in transition.evidence)
    one = area(rank(build(CALM_PEOPLE, CALM, events[:1])), "role_transition")
    two = area(rank(build(CALM_PEOPLE, CALM, events[:2])), "role_transition")
    assert (one.score, two.score) == (5, 6)


def test_ties_share_the_rank_and_are_said() -> None:
    people = [*CALM_PEOPLE, ("x", "family", day(-20))]
    inv = build(people, [*CALM, (1, "x", 1, 0, 2, None)], [(day(-50), "move", None)])
    result = rank(inv)
    assert [(a.area, a.score, a.rank, a.tied) for a in result.areas[:2]] == [
        ("grief", 5, 1, True),
        ("role_transition", 5, 1, True),
    ]
    assert result.areas[2].rank == 3 and not result.areas[2].tied
    assert [a.area for a in result.top] == ["grief", "role_transition"]
    assert "Grief and role transition score the same: the clinician decides." in result.lines()
    assert result.row()["suggestion"] == "grief;role_transition"


# ------------------------------------------------------------------------------------------ grief


@pytest.mark.parametrize(
    ("ring", "role", "points", "where"),
    [
        (1, "family", 5, "inner circle"),
        (2, "family", 4, "middle circle"),
        (3, "family", 3, "outer circle, significant as family"),
        (3, "friend", 3, "outer circle, significant as friend"),
        (3, "coworker", 1, "outer circle"),
    ],
)
def test_grief_death_near_onset_by_circle_then_by_role(
    ring: int, role: str, points: int, where: str
) -> None:
    people = [*CALM_PEOPLE, ("x", role, day(-35))]
    grief = area(rank(build(people, [*CALM, (1, "x", ring, 0, 1, None)])), "grief")
    assert grief.score == points
    assert grief.evidence == (f"X ({role}), {where}, died 5 weeks before onset (+{points}).",)


@pytest.mark.parametrize(("role", "points"), [("partner", 3), ("coworker", 1)])
def test_grief_death_of_someone_never_on_the_map(role: str, points: int) -> None:
    inv = build([*CALM_PEOPLE, ("x", role, None)], CALM, [(day(-10), "death", "x")])
    grief = area(rank(inv), "grief")
    assert grief.score == points and "not on the map" in grief.evidence[0]


def test_grief_death_before_the_window_of_a_significant_person_asks_about_delay() -> None:
    people = [*CALM_PEOPLE, ("x", "partner", day(-400)), ("y", "coworker", day(-300))]
    grief = area(rank(build(people, [*CALM, (1, "x", 1, 0, 0, None)])), "grief")
    assert grief.score == 1
    assert "before the window" in grief.evidence[0] and "delayed or avoided" in grief.evidence[0]
    assert grief.evidence[1] == (
        "Y (coworker), not on the map, died: considered: 300 days before onset, outside the "
        "window (+0)."
    )


def test_dead_husband_with_conflict_is_grief_not_a_dispute() -> None:
    """Issue 11: a husband who died three weeks before onset, inner ring, conflict 3."""
    people = [*CALM_PEOPLE, ("h", "partner", day(-21))]
    rel = every_session([*CALM, (1, "h", 1, 3, 1, 0)], 3)
    result = rank(build(people, rel))
    grief, dispute = area(result, "grief"), area(result, "role_dispute")
    assert result.top == [grief] and grief.score == 5 + 1
    assert any(
        "an ambivalent relationship with someone who died: ask about complicated grief" in e
        for e in grief.evidence
    )
    assert dispute.score == 0 and dispute.stage_guess is None and dispute.stage_lines() == []
    assert dispute.evidence == (
        "H (partner): conflict 3 of 4 at session 1; considered: H (partner) died 3 weeks "
        "before onset, their conflict is weighed under grief (+0).",
    )


def test_three_middle_relatives_in_conflict_do_not_outscore_a_mothers_death() -> None:
    """Issue 11: three middle-ring relatives with conflict 3 against a mother's death."""
    people = [*CALM_PEOPLE, ("m", "family", day(-30))]
    people += [(f"r{i}", "family", None) for i in range(3)]
    rel = every_session(
        [*CALM, (1, "m", 1, 0, 2, None), *[(1, f"r{i}", 2, 3, 2, 2) for i in range(3)]], 2
    )
    result = rank(build(people, rel))
    assert [a.area for a in result.top] == ["grief"]
    assert (area(result, "grief").score, area(result, "role_dispute").score) == (5, 4)


def test_partner_dying_after_the_window_is_considered_and_not_counted_by_deficits() -> None:
    """Issue 11: a partner who died ten weeks after onset."""
    people = [("p", "partner", day(70)), ("a", "friend", None)]
    rel = every_session([(1, "p", 1, 0, 3, 3), (1, "a", 2, 0, 1, 1)], 2)
    result = rank(build(people, rel, first=ONSET + timedelta(days=75)))
    grief = area(result, "grief")
    assert grief.score == 0
    assert grief.evidence == (
        "P (partner), inner circle, died: considered: 70 days after onset, outside the "
        "window (+0).",
    )
    deficits = " ".join(area(result, "interpersonal_deficits").evidence)
    assert "Only 1 person on the map" in deficits and "Nobody in the inner circle" in deficits
    assert "Only one person in the inner circle" not in deficits


def test_no_evidence_found_never_shown_when_something_was_weighed() -> None:
    people = [*CALM_PEOPLE, ("boss", "coworker", None)]
    events = [(day(-600), "move", None), (day(-700), "conflict", None), (day(-800), "death", None)]
    result = rank(build(people, [*CALM, (1, "boss", 3, 4, 0, 0)], events))
    for name in ("grief", "role_dispute", "role_transition"):
        a = area(result, name)
        assert a.score == 0 and a.evidence and "No evidence found" not in " ".join(a.evidence)
        assert all(e.endswith("(+0).") for e in a.evidence)


def test_death_event_with_no_person_named() -> None:
    grief = area(rank(build(CALM_PEOPLE, CALM, [(day(-3), "death", None)])), "grief")
    assert (grief.score, grief.evidence) == (
        1,
        ("A death (no person named) 3 days before onset (+1).",),
    )


# ----------------------------------------------------------------------------------- role dispute


def test_role_dispute_lines_and_score() -> None:
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    rel = every_session([*CALM, (1, "p", 1, 3, 1, 0)], 2)
    dispute = area(rank(build(people, rel, [(day(-20), "conflict", "p")])), "role_dispute")
    assert dispute.evidence == (
        "P (partner), inner circle: conflict 3 of 4 at session 1 (+3).",
        "Expectations between the client and P (partner) met 0 of 4 at session 1 (+1).",
        "Conflict with P (partner) stayed at 3 or more over sessions in a row (+1).",
        "A conflict with P (partner) was recorded 3 weeks before onset (+1).",
    )
    assert dispute.score == 3 + 2


@pytest.mark.parametrize(
    ("ring", "conflict", "points"), [(1, 4, 4), (1, 3, 3), (2, 4, 3), (2, 3, 2)]
)
def test_role_dispute_main_line_by_circle_and_conflict(
    ring: int, conflict: int, points: int
) -> None:
    inv = build([*CALM_PEOPLE, ("p", "family", None)], [*CALM, (1, "p", ring, conflict, 2, None)])
    assert area(rank(inv), "role_dispute").score == points


def test_role_dispute_rising_conflict_counts() -> None:
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    rel = [*every_session(CALM, 2), (1, "p", 1, 1, 2, 2), (2, "p", 1, 3, 2, 2)]
    dispute = area(rank(build(people, rel)), "role_dispute")
    assert dispute.score == 3 + 1
    assert "Conflict with P (partner) rose from 1 to 3 (+1)." in dispute.evidence


def test_boss_in_the_outer_ring_is_considered_and_an_outer_partner_counts_by_role() -> None:
    """Issue 11: closeness stood in for significance."""
    boss = build([*CALM_PEOPLE, ("k", "coworker", None)], [*CALM, (1, "k", 3, 4, 0, 0)])
    dispute = area(rank(boss), "role_dispute")
    assert dispute.score == 0
    assert dispute.evidence == (
        "K (coworker), outer circle: conflict 4 of 4 at session 1; considered: in the outer "
        "circle only a partner, family member or friend counts as significant (+0).",
    )
    partner = build([*CALM_PEOPLE, ("p", "partner", None)], [*CALM, (1, "p", 3, 4, 2, None)])
    dispute = area(rank(partner), "role_dispute")
    assert dispute.score == 1  # lower than any inner- or middle-circle dispute
    assert dispute.evidence[0].startswith("P (partner), outer circle, significant as partner")


def test_divorce_counts_once_under_dispute_while_the_dispute_is_live() -> None:
    """Issue 11: one event serves one area."""
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    live = every_session([*CALM, (1, "p", 1, 4, 1, 2)], 2)
    result = rank(build(people, live, [(day(-30), "divorce", "p")]))
    dispute, transition = area(result, "role_dispute"), area(result, "role_transition")
    assert any("A divorce from P (partner)" in e and "(+1)" in e for e in dispute.evidence)
    assert transition.score == 0
    assert transition.evidence == (
        "A divorce, P (partner), 4 weeks before onset; considered: the dispute with them is "
        "still live, so it counts under role dispute (+0).",
    )
    settled = every_session([*CALM, (1, "p", 3, 1, 1, 2)], 2)
    result = rank(build(people, settled, [(day(-30), "divorce", "p")]))
    assert area(result, "role_transition").score == 5
    assert area(result, "role_dispute").score == 0


# ------------------------------------------------------------------------------------- transition


@pytest.mark.parametrize(
    ("event", "points"),
    [
        ((day(-60), "move", None), 5),
        ((day(-60), "job_loss", None), 5),
        ((day(-60), "birth", "x"), 5),
        ((day(-60), "new_job", "x"), 2),
        ((day(-60), "illness", "x"), 2),
        ((day(-300), "move", None), 0),
        ((day(-60), "other", None), 0),
    ],
)
def test_role_transition_events(event: Event, points: int) -> None:
    inv = build([*CALM_PEOPLE, ("x", "family", None)], CALM, [event])
    transition = area(rank(inv), "role_transition")
    assert transition.score == points
    if points == 2:
        assert "someone else's change" in transition.evidence[0]
    if event[0] == day(-300):
        assert "considered: 300 days before onset, outside the window" in transition.evidence[0]
    assert set(TRANSITION_KINDS) >= {"move", "divorce", "birth"}


def test_window_is_a_setting() -> None:
    people = [*CALM_PEOPLE, ("x", "family", day(-100))]
    inv = build(people, [*CALM, (1, "x", 1, 0, 1, None)])
    assert area(rank(inv), "grief").score == 5
    narrow = ProblemAreaSettings(window_before_days=90)
    assert area(rank(inv, settings=narrow), "grief").score == 1  # delayed-grief line only
    after = build([*CALM_PEOPLE, ("y", "family", None)], CALM, [(day(20), "move", None)])
    assert area(rank(after), "role_transition").score == 5
    short = ProblemAreaSettings(window_after_days=10)
    assert area(rank(after, settings=short), "role_transition").score == 0


# ----------------------------------------------------------------------------- the session ranked


def _later_conflict(**kw: object) -> Inventory:
    """A move near onset; from session 5 on, a partner in heavy conflict."""
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    rel = every_session(CALM, 8)
    rel += [(s, "p", 1, 4 if s >= 5 else 0, 1, 0) for s in range(1, 9)]
    return build(people, rel, [(day(-40), "move", None)], **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "session", "basis"),
    [
        ({"focus": "role_transition", "focus_session": 2}, 2, "focus"),
        ({}, 3, "initial_phase"),
        ({"planned": 8}, 2, "initial_phase"),
    ],
)
def test_default_session_is_the_decision(kw: dict[str, object], session: int, basis: str) -> None:
    result = rank(_later_conflict(**kw))
    assert (result.session, result.session_basis) == (session, basis)
    assert [a.area for a in result.top] == ["role_transition"]  # later conflict does not count
    assert result.lines()[0].startswith(f"Problem areas for c1, as of session {session}, ")
    latest = rank(_later_conflict(**kw), session=8)
    assert latest.session_basis == "asked" and latest.top[0].area == "role_dispute"


def test_default_session_words() -> None:
    focus = rank(_later_conflict(focus="grief", focus_session=2))
    assert focus.session_words == "as of session 2, when the focus was chosen"
    assert rank(_later_conflict()).session_words == "as of session 3, the end of the initial phase"
    short = rank(build(CALM_PEOPLE, every_session(CALM, 2)))
    assert short.session_words == "as of session 2, the latest session"


def test_early_session_does_not_see_a_later_death_or_event() -> None:
    """Issue 11: people-table deaths were not filtered by date."""
    later = (FIRST + timedelta(weeks=2, days=1)).isoformat()  # between sessions 3 and 4
    people = [*CALM_PEOPLE, ("x", "family", later)]
    rel = every_session([*CALM, (1, "x", 1, 0, 2, None)], 4)
    inv = build(people, rel, [(later, "move", None)])
    early, late = rank(inv, session=2), rank(inv, session=4)
    assert area(early, "grief").evidence == ("No evidence found in the inventory or timeline.",)
    assert area(early, "role_transition").score == 0
    assert "X (family), inner circle, died" in area(late, "grief").evidence[0]


# --------------------------------------------------------------------------- deficits and schemes


SMALL_PEOPLE: list[Person] = [("m", "family", None), ("g", "friend", None), ("w", "coworker", None)]
SMALL: list[Rel] = [(1, "m", 2, 1, 1, 1), (1, "g", 2, 0, 2, 2), (1, "w", 3, 0, 0, None)]


def test_deficits_signals_when_nothing_else() -> None:
    result = rank(build(SMALL_PEOPLE, SMALL, lsns=[1, 1, 1, 1, 1, 1]))
    deficits = area(result, "interpersonal_deficits")
    assert (deficits.score, deficits.rank) == (3 + 2, 1)
    assert "Only 3 people on the map at session 1 (+3)." in deficits.evidence
    assert "LSNS-6 total 6, below 12: at risk of social isolation (+3)." in deficits.evidence
    assert any("before onset is not recorded" in e and "(+0)" in e for e in deficits.evidence)
    assert result.complicating_factors == ()


def test_four_area_scheme_lists_isolation_when_deficits_are_not_suggested() -> None:
    """Issue 11: the four-area scheme hid isolation evidence behind "Not suggested"."""
    result = rank(build(SMALL_PEOPLE, SMALL, [(day(-30), "move", None)]))
    deficits = area(result, "interpersonal_deficits")
    assert deficits.score == 0 and deficits.evidence[0].startswith(
        "Not suggested: role transition has a core signal"
    )
    assert "Only 3 people on the map at session 1 (+3)." in result.complicating_factors
    assert "Complicating factor: interpersonal sensitivity or social isolation" in result.lines()


def test_weak_evidence_elsewhere_does_not_rule_deficits_out() -> None:
    people = [*SMALL_PEOPLE, ("o", "family", None)]
    inv = build(people, [*SMALL, (1, "o", 3, 3, 1, 1)], lsns=[1] * 6)
    result = rank(inv)
    assert area(result, "role_dispute").score == 1 + 1
    assert [a.area for a in result.top] == ["interpersonal_deficits"]


def test_three_area_scheme_always_shows_isolation_as_complicating_factor() -> None:
    inv = build(SMALL_PEOPLE, SMALL, [(day(-30), "move", None)])
    result = rank(inv, settings=ProblemAreaSettings(scheme="three"))
    assert [a.area for a in result.areas] == ["role_transition", "grief", "role_dispute"]
    assert any("Only 3 people" in f for f in result.complicating_factors)
    assert "interpersonal_deficits" not in json.dumps(result.to_dict()["areas"])
    alone = rank(build(SMALL_PEOPLE, SMALL), settings=ProblemAreaSettings(scheme="three"))
    assert alone.top == [] and any("Only 3 people" in f for f in alone.complicating_factors)


def test_deficits_compare_map_before_onset_with_now() -> None:
    before_big = [(1, p, 2, 0, 3, 3) for p, _, _ in CALM_PEOPLE] + [
        (2, "a", 2, 0, 1, 1),
        (2, "b", 3, 0, 1, 1),
    ]
    shrank = build(CALM_PEOPLE, before_big, first=ONSET - timedelta(days=3))
    deficits = area(rank(shrank), "interpersonal_deficits")
    assert deficits.score == 0
    assert any("withdrawal with the depression" in e for e in deficits.evidence)
    same = [(1, "m", 2, 0, 1, 1), (2, "m", 2, 0, 1, 1)]
    kept = build([("m", "family", None)], same, first=ONSET - timedelta(days=3))
    deficits = area(rank(kept), "interpersonal_deficits")
    assert deficits.score == 3 + 2
    assert any("no larger before onset" in e and "(+1)" in e for e in deficits.evidence)


# -------------------------------------------------------------------------------------- the stage


def _dispute(later: list[Rel], events: Sequence[Event] = (), **kw: object) -> AreaCandidate:
    """A partner in conflict 4 at session 1 (expectations 0, daily contact), then ``later``."""
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    n = max([2, *(r[0] for r in later)])
    rel = [*every_session(CALM, n), (1, "p", 1, 4, 1, 0, "daily"), *later]
    inv = build(people, rel, events, sessions=n, **kw)  # type: ignore[arg-type]
    return area(rank(inv, session=n), "role_dispute")


@pytest.mark.parametrize(
    ("later", "events", "guess", "words"),
    [
        ([(2, "p", 1, 4, 1, 0, "daily")], (), "renegotiation", "still engaged"),
        ([(2, "p", 2, 4, 1, 0, "daily")], (), "impasse", "moved outward"),
        ([(2, "p", 1, 2, 1, 0, "rarely")], (), "impasse", "is in touch less"),
        ([(2, "p", 1, 1, 1, 0, "daily")], (), "impasse", "disengagement"),
        ([(2, "p", 1, 1, 2, 3, "daily")], (), "renegotiation", "working it out"),
        ([(2, "p", 1, 4, 1, 0)], [(day(35), "separation", "p")], "dissolution", "separation"),
        ([], (), "dissolution", "no longer on the map"),
    ],
)
def test_stage_guess_follows_the_manual(
    later: list[Rel], events: Sequence[Event], guess: str, words: str
) -> None:
    dispute = _dispute(later, events)
    assert dispute.stage_guess == guess and words in (dispute.stage_reason or "")
    lines = dispute.stage_lines()
    assert lines[0] == STAGE_NOT_RECORDED
    assert lines[-1].startswith(f"Tool's guess: {guess} (")
    assert lines[-1].endswith("(a guess; the clinician decides)")


@pytest.mark.parametrize(
    ("later", "guess"),
    [
        ([(2, "p", 1, 2, 1, None, "daily")], None),  # conflict fell, expectations not recorded
        ([(2, "p", 2, 4, 1, None, "daily")], "renegotiation"),  # moved out, still loud
        ([(2, "p", 1, 4, 1, None, "rarely")], "renegotiation"),
    ],
)
def test_stage_guess_never_reads_unrecorded_expectations_as_not_rising(
    later: list[Rel], guess: str | None
) -> None:
    """Review item 2: a session recorded without expectations met is not "impasse"."""
    dispute = _dispute(later)
    assert dispute.stage_guess == guess
    assert "expectations have not risen" not in (dispute.stage_reason or "")
    assert "without expectations rising" not in (dispute.stage_reason or "")
    if guess is None:
        assert dispute.stage_reason is not None
        assert "expectations met are not recorded at session 2" in dispute.stage_reason
        assert dispute.stage_lines()[-1].startswith("Tool's guess: none. The conflict with P")
        assert dispute.to_dict()["stage_guess"] is None


def test_stage_recorded_by_the_clinician_and_the_trend() -> None:
    later: list[Rel] = [
        (2, "p", 1, 4, 1, 0, "daily"),
        (3, "p", 1, 3, 1, 1, "daily"),
        (4, "p", 1, 2, 2, 0, "daily"),
    ]
    dispute = _dispute(later, stages={2: "renegotiation", 3: "impasse", 4: "impasse"})
    assert (dispute.stage_recorded, dispute.stage_recorded_session) == ("impasse", 3)
    assert dispute.conflict_trend == "P (partner): conflict 4, 4, 3, 2 at sessions 1-4"
    assert dispute.stage_lines()[:2] == [
        "Stage (clinician): impasse, recorded at session 3.",
        "Conflict trend: P (partner): conflict 4, 4, 3, 2 at sessions 1-4.",
    ]
    d = dispute.to_dict()
    assert {k: d[k] for k in ("stage_recorded", "stage_recorded_session", "stage_guess")} == {
        "stage_recorded": "impasse",
        "stage_recorded_session": 3,
        "stage_guess": "impasse",
    }
    assert d["stage_reason"]


def test_stage_recorded_later_than_the_session_ranked_is_not_shown(samples_inv: Inventory) -> None:
    early = area(rank_problem_areas(samples_inv, "dispute-01", session=2), "role_dispute")
    assert early.stage_recorded is None and early.stage_lines()[0].startswith("Stage: not recorded")
    late = area(rank_problem_areas(samples_inv, "dispute-01", session=10), "role_dispute")
    assert (late.stage_recorded, late.stage_recorded_session) == ("renegotiation", 6)


def test_stage_only_for_role_dispute() -> None:
    result = rank(build([*CALM_PEOPLE, ("p", "partner", None)], [*CALM, (1, "p", 1, 4, 1, 0)]))
    assert all(a.stage_lines() == [] for a in result.areas if a.area != "role_dispute")
    assert all(a.stage_guess is None for a in result.areas if a.area != "role_dispute")


# -------------------------------------------------------------------------- no timeline, settings


def test_client_with_no_timeline_uses_the_map_only() -> None:
    people = [*CALM_PEOPLE, ("p", "partner", None)]
    result = rank(build(people, [*CALM, (1, "p", 1, 3, 1, 1)], onset=None))
    assert result.reference == "the first session"
    assert result.reference_date == FIRST.isoformat()
    assert result.top[0].area == "role_dispute"
    assert area(result, "grief").score == 0 and area(result, "role_transition").score == 0


def test_no_onset_places_events_against_the_first_session() -> None:
    inv = build([*CALM_PEOPLE, ("x", "family", None)], CALM, [(day(0), "move", None)], onset=None)
    transition = area(rank(inv), "role_transition")
    assert transition.score == 5
    assert transition.evidence == (
        "A move 5 weeks before the first session (onset not recorded) (+5).",
    )


def test_settings_are_checked() -> None:
    with pytest.raises(ProblemAreaError, match="window_before_days"):
        ProblemAreaSettings(window_before_days=-1)
    with pytest.raises(ValueError, match="scheme"):
        ProblemAreaSettings(scheme="two")  # type: ignore[arg-type]


def test_unknown_session_refused(samples_inv: Inventory) -> None:
    with pytest.raises(SessionNotFound):
        rank_problem_areas(samples_inv, "grief-01", session=40)
    with pytest.raises(SessionNotFound):
        rank_all(samples_inv, sessions={"grief-01": 40})


def test_to_dict_is_json_and_carries_the_note_settings_and_session(samples_inv: Inventory) -> None:
    settings = ProblemAreaSettings(window_before_days=120, window_after_days=10)
    d = json.loads(json.dumps(rank_problem_areas(samples_inv, "grief-01", settings).to_dict()))
    assert d["note"] == SUGGESTION_NOTE
    assert (d["window_before_days"], d["window_after_days"], d["scheme"]) == (120, 10, "four")
    assert (d["session"], d["session_basis"], d["focus"]) == (2, "focus", ["grief"])
    assert d["session_reason"] == "when the focus was chosen"
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
    assert "   Stage (clinician): impasse, recorded at session 3." in lines
    assert any(line.startswith("   Tool's guess: ") for line in lines)


# ----------------------------------------------------------------------------------- many clients


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
    """Rankings from the per-client index agree, word for word, with rankings of tables
    that end at that session: nothing after the session ranked is read."""
    inv = samples_inv if which == "samples" else cohort
    compared = 0
    for client_id in inv.client_ids():
        sessions = inv.sessions_of(client_id)
        for s in [*sessions[:4], sessions[-1]]:  # the decision falls early; and the latest
            for settings in (ProblemAreaSettings(), ProblemAreaSettings(scheme="three")):
                fast = rank_problem_areas(inv, client_id, settings, session=s).to_dict()
                cut = rank_problem_areas(_as_of(inv, client_id, s), client_id, settings, session=s)
                assert fast == cut.to_dict(), (client_id, s, settings.scheme)
                compared += 1
    assert compared >= 40


def test_rank_all_equals_ranking_one_by_one(samples_inv: Inventory, cohort: Inventory) -> None:
    for inv in (samples_inv, cohort):
        settings = ProblemAreaSettings(window_before_days=90)
        assert [s.to_dict() for s in rank_all(inv, settings)] == [
            rank_problem_areas(inv, c, settings).to_dict() for c in inv.client_ids()
        ]
        first = inv.client_ids()[0]
        asked = rank_all(inv, sessions={first: 1})[0]
        assert asked.to_dict() == rank_problem_areas(inv, first, session=1).to_dict()


def test_agreement_row_and_summary() -> None:
    def with_focus(focus: str | None) -> ProblemAreaSuggestion:
        inv = build(CALM_PEOPLE, CALM, [(day(-30), "move", None)], focus=focus)
        return rank(inv)

    agree, two, differ, none = (
        with_focus("role_transition"),
        with_focus("grief;role_transition"),
        with_focus("grief"),
        with_focus(None),
    )
    assert (agree.agrees, two.agrees, differ.agrees, none.agrees) == (True, True, False, None)
    assert none.row()["agree"] is None and differ.row()["focus"] == "grief"
    summary = agreement_summary([agree, two, differ, none])
    assert summary == (
        "Suggestion agrees with the chosen focus for 2 of 3 clients with a focus (67%); by "
        "focus: grief 0 of 1 (0%), grief + role transition 1 of 1 (100%), role transition "
        "1 of 1 (100%)."
    )
    assert agreement_summary([none]).startswith("No client has a chosen focus")


def test_agreement_summary_groups_a_two_area_focus_whatever_its_order() -> None:
    """Review item 14: "grief + role transition" and "role transition + grief" are one group."""

    def with_focus(focus: str) -> ProblemAreaSuggestion:
        return rank(build(CALM_PEOPLE, CALM, [(day(-30), "move", None)], focus=focus))

    summary = agreement_summary(
        [with_focus("role_transition;grief"), with_focus("grief;role_transition")]
    )
    assert summary.endswith("by focus: grief + role transition 2 of 2 (100%).")


def test_lines_say_how_the_score_is_made_and_list_the_strongest_line_first(
    samples_inv: Inventory,
) -> None:
    """Review item 8: one line on the score rule; lines strongest first in every area."""
    for client_id in SAMPLE_CLIENTS:
        result = rank_problem_areas(samples_inv, client_id)
        assert result.lines()[1] == SCORE_RULE
        assert result.to_dict()["score_rule"] == SCORE_RULE
        for a in result.areas:
            points = [int(e.rsplit("(+", 1)[1][:-2]) for e in a.evidence if "(+" in e]
            assert points == sorted(points, reverse=True), (client_id, a.area)
    transition = area(rank_problem_areas(samples_inv, "transition-01"), "role_transition")
    assert transition.evidence[0].endswith("(+5).")


def test_strongest_first_keeps_the_order_of_equal_lines() -> None:
    events = [(day(-600), "move", None), (day(-20), "job_loss", None), (day(-10), "move", None)]
    evidence = area(rank(build(CALM_PEOPLE, CALM, events)), "role_transition").evidence
    assert [(e[:10], e[-5:]) for e in evidence] == [
        ("A job loss", "(+5)."),
        ("A move 10 ", "(+5)."),
        ("A move con", "(+0)."),
    ]


def test_decision_session_is_the_default_session_ranked(samples_inv: Inventory) -> None:
    for client_id in SAMPLE_CLIENTS:
        ranked = rank_problem_areas(samples_inv, client_id)
        assert decision_session(samples_inv, client_id) == (ranked.session, ranked.session_basis)


# ---------------------------------------------------------------------------- problem-areas --all


@pytest.fixture
def db(store: Store, tmp_path: Path) -> str:
    """The path of the conftest's store of the four sample clients."""
    return str(tmp_path / "ipt.db")


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(problem_areas_cmd, [*args, "--db", db, "--no-progress"])
    return result.exit_code, result.stdout, result.stderr


def test_all_as_json_with_the_agreement_summary(db: str) -> None:
    code, out, err = run(db, "--all")
    assert code == 0, out + err
    d = json.loads(out)
    assert d["scheme"] == "four" and len(d["clients"]) == 4
    grief = next(c for c in d["clients"] if c["client_id"] == "grief-01")
    assert grief == {
        "client_id": "grief-01",
        "session": 2,
        "session_basis": "focus",
        "suggestion": "grief",
        "score": 5,
        "focus": "grief",
        "agree": True,
        "grief": 5,
        "role_transition": 2,
        "role_dispute": 0,
        "interpersonal_deficits": 0,
    }
    assert err.startswith(
        "Suggestion agrees with the chosen focus for 4 of 4 clients with a focus (100%); by focus:"
    )


def test_all_as_csv_holds_ids_areas_and_numbers_only(db: str, tmp_path: Path) -> None:
    out_file = tmp_path / "areas.csv"
    code, out, _ = run(db, "--all", "--format", "csv", "--out", str(out_file), "--scheme", "three")
    assert code == 0
    assert out.splitlines() == [
        f"Wrote 4 clients to {out_file}.",
        "Suggestion agrees with the chosen focus for 3 of 4 clients with a focus (75%); by "
        "focus: grief 1 of 1 (100%), interpersonal deficits 0 of 1 (0%), role dispute 1 of 1 "
        "(100%), role transition 1 of 1 (100%).",
    ]
    assert stat.S_IMODE(os.stat(out_file).st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "client_id", "session", "session_basis", "suggestion", "score", "focus", "agree",
        "grief", "role_dispute", "role_transition",
    ]  # fmt: skip
    by_id = {r["client_id"]: r for r in rows}
    assert {c: r["suggestion"] for c, r in by_id.items()} == {
        "grief-01": "grief",
        "dispute-01": "role_dispute",
        "transition-01": "role_transition",
        "deficits-01": "",
    }
    assert (by_id["deficits-01"]["agree"], by_id["grief-01"]["agree"]) == ("false", "true")
    names = ("Frank", "Sarah", "Sam", "Julie")
    assert not any(n in out_file.read_text(encoding="utf-8") for n in names)
    code, out, err = run(db, "--all", "--format", "csv", "--out", str(out_file))
    assert code == 1 and "already exists" in err
    code, _, _ = run(db, "--all", "--format", "csv", "--out", str(out_file), "--overwrite")
    assert code == 0 and "interpersonal_deficits" in out_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a CLIENT id, or --all"),
        (("grief-01", "--all"), "not both"),
        (("--all", "--session", "2"), "leave out --session"),
        (("--all", "--json"), "--format json or --format csv"),
        (("grief-01", "--format", "csv"), "go with --all"),
    ],
)
def test_all_refuses_unclear_requests(db: str, args: tuple[str, ...], message: str) -> None:
    code, out, err = run(db, *args)
    assert code == 2 and message in out + err


def test_all_refuses_an_existing_out_file_before_ranking(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review item 14: the refusal comes first, and the file is left as it was."""
    out_file = tmp_path / "areas.csv"
    out_file.write_text("mine\n", encoding="utf-8")

    def must_not_rank(*args: object, **kwargs: object) -> list[ProblemAreaSuggestion]:
        raise AssertionError("ranked before refusing the existing file")

    monkeypatch.setattr("ipt_network.clinical.problem_areas.rank_all", must_not_rank)
    code, out, err = run(db, "--all", "--format", "csv", "--out", str(out_file))
    assert code == 1 and "already exists" in err and "--overwrite" in err
    assert out_file.read_text(encoding="utf-8") == "mine\n"


def test_single_client_command_ranks_at_the_decision(db: str) -> None:
    code, out, _ = run(db, "dispute-01")
    assert code == 0
    assert out.splitlines()[0].startswith(
        "Problem areas for dispute-01, as of session 3, when the focus was chosen"
    )
    assert "   Stage (clinician): impasse, recorded at session 3." in out.splitlines()


def test_all_csv_never_starts_a_formula_and_leaves_agree_empty_without_focus(
    tmp_path: Path, samples_once: Inventory
) -> None:
    tables = samples_once.for_clients(["grief-01"]).tables()
    for frame in tables.values():
        frame["client_id"] = "=HYPERLINK(1)"
    tables["clients"]["focus"] = None
    path = str(tmp_path / "formula.db")
    with Store.create(path) as s:
        s.import_inventory(validate({k: v.astype(object) for k, v in tables.items()}))
    code, out, err = run(path, "--all", "--format", "csv")
    assert code == 0
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["client_id"], row["agree"], row["suggestion"]) == ("'=HYPERLINK(1)", "", "grief")
    assert err.startswith("No client has a chosen focus")
