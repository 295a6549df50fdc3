"""Tests of ipt_network.io.synth: a synthetic cohort in the tidy contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipt_network.clinical.measures import phq9_remission, phq9_response, phq9_scores
from ipt_network.io.contract import PHQ9_ITEMS, TABLES
from ipt_network.io.inventory import Inventory, dtype_of
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.io.validation import validate
from ipt_network.names import PROBLEM_AREAS


@pytest.fixture(scope="module")
def cohort() -> Inventory:
    return synthesize(300, seed=11)


def _days(dates: pd.Series) -> pd.Series:
    """ISO date strings as day numbers, keeping the index."""
    days = dates.to_numpy(dtype=str).astype("datetime64[D]").astype(np.int64)
    return pd.Series(days, index=dates.index)


def _phq_totals(inv: Inventory) -> pd.DataFrame:
    """Sessions with ``answered`` (PHQ-9 items given) and ``total`` as measures scores them.

    The total is the sum when all nine items are given, prorated when 1 or 2 are
    missing and missing (NaN) when 3 or more are.
    """
    scores = phq9_scores(inv.sessions)
    return inv.sessions.assign(
        answered=scores["phq9_answered"], total=scores["phq9_total"].astype(float)
    )


def _ends(inv: Inventory) -> pd.DataFrame:
    """Per client: the first session with a total, that baseline total and the last total."""
    scored = _phq_totals(inv).dropna(subset=["total"]).sort_values(["client_id", "session"])
    by_client = scored.groupby("client_id")
    ends = pd.DataFrame(
        {
            "first_session": by_client["session"].first(),
            "baseline": by_client["total"].first(),
            "last": by_client["total"].last(),
        }
    )
    pairs = zip(ends["baseline"].astype(int), ends["last"].astype(int), strict=True)
    response = [phq9_response(b, last) for b, last in pairs]
    return ends.assign(
        response=pd.array(response, dtype="boolean"),
        remission=[phq9_remission(int(t)) for t in ends["last"]],
    )


def test_same_seed_same_tables_and_other_seed_differs() -> None:
    a, b, c = synthesize(40, seed=3), synthesize(40, seed=3), synthesize(40, seed=4)
    for name, frame in a.items():
        pd.testing.assert_frame_equal(frame, getattr(b, name))
    assert not a.relationships.equals(c.relationships)
    assert not a.sessions.equals(c.sessions)


def test_smaller_cohort_is_a_prefix_of_a_larger_one() -> None:
    small, large = synthesize(10, seed=5), synthesize(25, seed=5)
    head = large.for_clients(small.client_ids())
    for name, frame in small.items():
        pd.testing.assert_frame_equal(frame, getattr(head, name))


def test_tables_have_contract_columns_and_dtypes(cohort: Inventory) -> None:
    for name, frame in cohort.items():
        table = TABLES[name]
        assert list(frame.columns) == table.names
        assert [str(t) for t in frame.dtypes] == [
            str(pd.Series(dtype=dtype_of(c)).dtype) for c in table.columns
        ]


def test_output_passes_validation(cohort: Inventory) -> None:
    validated = validate(cohort)
    assert validated.client_ids() == cohort.client_ids()
    assert len(validated.relationships) == len(cohort.relationships)


def test_tidy_round_trip(tmp_path: Path) -> None:
    inv = synthesize(30, seed=2)
    write_inventory(inv, tmp_path)
    back = read_inventory(tmp_path)
    for name, frame in inv.items():
        assert len(getattr(back, name)) == len(frame), name


def test_zero_clients_is_empty_and_negative_is_an_error() -> None:
    assert len(synthesize(0, seed=1)) == 0
    with pytest.raises(ValueError, match="n_clients"):
        synthesize(-1, seed=1)


def test_all_four_areas_present_and_roughly_balanced(cohort: Inventory) -> None:
    first = cohort.clients["focus"].str.split(";").str[0]
    counts = first.value_counts()
    assert set(counts.index) == set(PROBLEM_AREAS)
    assert counts.min() >= 0.15 * len(first)
    second = cohort.clients["focus"].str.contains(";")
    assert 0 < second.sum() < 0.25 * len(first)
    assert cohort.clients["focus_session"].isin([2, 3]).all()
    assert cohort.clients["episode"].isin(["single", "recurrent", "chronic"]).all()


def test_course_lengths_and_weekly_dates(cohort: Inventory) -> None:
    clients = cohort.clients.set_index("client_id")
    assert clients["planned_sessions"].between(12, 16).all()
    done = cohort.sessions.groupby("client_id")["session"].agg(["max", "count"])
    assert (done["max"] == done["count"]).all()
    assert done["max"].between(8, 16).all()
    planned = clients.loc[done.index, "planned_sessions"]
    assert (done["max"] <= planned).all()
    assert 0.75 < (done["max"] == planned).mean() < 1.0
    dates = _days(cohort.sessions["date"])
    gaps = dates.groupby(cohort.sessions["client_id"]).diff().dropna()
    assert gaps.between(6, 14).all()
    assert gaps.median() == 7
    first = dates.groupby(cohort.sessions["client_id"]).min()
    onset = _days(clients.loc[first.index, "onset_date"])
    assert ((first - onset) >= 14).all()


def test_people_ids_and_network_sizes(cohort: Inventory) -> None:
    people = cohort.people
    assert people["person_id"].str.fullmatch(r"p\d\d").all()
    size = people.groupby("client_id").size()
    focus = cohort.clients.set_index("client_id")["focus"]
    deficits = focus.loc[size.index] == "interpersonal_deficits"
    assert size.between(5, 25).all()
    assert size[deficits].mean() < size[~deficits].mean() - 5
    keys = people[["client_id", "person_id"]]
    rel = cohort.relationships[["client_id", "person_id"]].drop_duplicates()
    assert len(rel.merge(keys)) == len(rel)


def test_people_join_leave_and_move(cohort: Inventory) -> None:
    r = cohort.relationships
    per = r.groupby(["client_id", "person_id"])["session"].agg(["min", "max"])
    last = r.groupby("client_id")["session"].max()
    assert (per["min"] > 1).any()
    assert (per["max"] < last.loc[per.index.get_level_values(0)].to_numpy()).any()
    rings = r.groupby(["client_id", "person_id"])["ring"].nunique()
    assert (rings > 1).mean() > 0.05


def test_person_ties_are_valid_and_plausibly_dense(cohort: Inventory) -> None:
    t, r = cohort.person_ties, cohort.relationships
    assert (t["source"] < t["target"]).all()
    assert not t.duplicated().any()
    on_map = r[["client_id", "session", "person_id"]]
    for end in ("source", "target"):
        joined = t.merge(
            on_map, left_on=["client_id", "session", end], right_on=list(on_map.columns)
        )
        assert len(joined) == len(t)
    people = r.groupby(["client_id", "session"]).size()
    ties = t.groupby(["client_id", "session"]).size().reindex(people.index, fill_value=0)
    density = (ties / (people * (people - 1) / 2).clip(lower=1)).mean()
    assert 0.1 < density < 0.4


def test_grief_clients_lose_an_inner_or_middle_person(cohort: Inventory) -> None:
    grief = cohort.clients.loc[cohort.clients["focus"].str.contains("grief"), "client_id"]
    deaths = cohort.events[cohort.events["kind"] == "death"]
    assert set(grief) == set(deaths["client_id"])
    dead = deaths.merge(cohort.people, on=["client_id", "person_id"])
    assert len(dead) == len(deaths)
    assert (dead["deceased_date"] == dead["date"]).all()
    first = cohort.relationships[cohort.relationships["session"] == 1]
    rings = dead.merge(first, on=["client_id", "person_id"])["ring"]
    assert len(rings) == len(dead)
    assert (rings <= 2).all()


def test_dispute_conflict_starts_high_and_mostly_falls(cohort: Inventory) -> None:
    disputes = cohort.events.loc[cohort.events["kind"] == "conflict", ["client_id", "person_id"]]
    assert len(disputes) > 0
    rel = cohort.relationships.merge(disputes)
    course = rel.sort_values("session").groupby("client_id")["conflict"].agg(["first", "last"])
    assert (course["first"] >= 2).all()
    assert (course["first"] >= 3).mean() > 0.8
    assert 0.5 < (course["last"] < course["first"]).mean() < 1.0


def test_events_fit_the_problem_area(cohort: Inventory) -> None:
    focus = cohort.clients.set_index("client_id")
    events = cohort.events.merge(focus.reset_index()[["client_id", "onset_date", "focus"]])
    days = _days(events["date"]) - _days(events["onset_date"])
    near = events[days.abs() <= 90]
    assert not (near["focus"] == "interpersonal_deficits").any()
    transitions = {"move", "birth", "new_job", "job_loss", "retirement", "divorce", "separation"}
    moved = near.loc[near["focus"] == "role_transition", "kind"]
    assert set(moved) & transitions
    assert cohort.events["person_id"].notna().any()


def test_phq9_falls_on_average_and_rises_for_some(cohort: Inventory) -> None:
    items = cohort.sessions[list(PHQ9_ITEMS)].to_numpy(dtype=float, na_value=np.nan)
    assert np.isin(items[~np.isnan(items)], [0, 1, 2, 3]).all()
    ends = _ends(cohort)
    change = ends["last"] - ends["baseline"]
    assert change.mean() < -4
    assert (change > 0).any()
    assert (change < 0).mean() > 0.7


def test_chronic_clients_change_less_and_support_rises(cohort: Inventory) -> None:
    ends = _ends(cohort)
    change = ends["last"] - ends["baseline"]
    episode = cohort.clients.set_index("client_id")["episode"].loc[change.index]
    assert change[episode == "chronic"].mean() > change[episode == "single"].mean()
    r = cohort.relationships
    support = r.groupby(["client_id", "session"])["support"].mean().astype(float)
    by_client = support.groupby("client_id")
    first, last = by_client.first(), by_client.last()
    g = (last.mean() - first.mean()) / np.sqrt((first.var() + last.var()) / 2)
    assert 0.15 < g < 0.8


def test_other_measures_and_relationship_fields(cohort: Inventory) -> None:
    s = cohort.sessions
    gad = s["gad7_1"].notna()
    assert 0.2 < gad.mean() < 0.5
    assert s.loc[s["session"] == 1, "gad7_1"].notna().all()
    lsns = s.loc[s["lsns6_1"].notna()]
    assert lsns.groupby("client_id").size().reindex(cohort.client_ids()).between(1, 2).all()
    assert (lsns.groupby("client_id").size() == 2).mean() > 0.8
    r = cohort.relationships
    for column in ("contact_frequency", "expectations_met", "knows_about_depression"):
        assert r[column].notna().all(), column
    assert r["ring"].between(1, 3).all() and r["conflict"].between(0, 4).all()
    assert r["support"].between(0, 4).all()


def test_communication_rows_in_the_middle_phase(cohort: Inventory) -> None:
    comm = cohort.communication
    assert comm["client_id"].nunique() == len(cohort.clients)
    focus_session = cohort.clients.set_index("client_id")["focus_session"]
    assert (comm["session"].to_numpy() > focus_session.loc[comm["client_id"]].to_numpy()).all()
    on_map = cohort.relationships[["client_id", "session", "person_id"]]
    assert len(comm.merge(on_map)) == len(comm)
    assert comm["outcome"].notna().all()


# --- outcomes, missing forms and item 9 as in acute IPT trials --------------------------


def test_about_half_respond_and_a_third_remit(cohort: Inventory) -> None:
    ends = _ends(cohort)
    assert (ends["first_session"] == 1).all()
    measured = ends["response"].notna()
    assert (measured == (ends["baseline"] >= 10)).all()
    assert measured.mean() > 0.85
    assert 0.40 <= ends.loc[measured, "response"].astype(bool).mean() <= 0.60
    assert 0.22 <= ends["remission"].mean() <= 0.38


def test_some_administrations_missing_some_partly_filled(cohort: Inventory) -> None:
    s = _phq_totals(cohort)
    assert (s.loc[s["session"] == 1, "answered"] == 9).all()
    incomplete = s["answered"] < 9
    assert 0.10 <= incomplete.mean() <= 0.15
    blank = s["answered"] == 0
    partial = incomplete & ~blank
    assert 0.15 < partial.sum() / incomplete.sum() < 0.5
    assert (s.loc[partial, "answered"] >= 7).mean() > 0.8
    assert s.loc[partial, "total"].notna().any() and s.loc[partial, "total"].isna().any()
    assert s.loc[partial, "phq9_9"].notna().mean() > 0.8
    for item in PHQ9_ITEMS[:8]:
        assert s.loc[partial, item].isna().any(), item
    other = [c for c in s.columns if c.startswith(("gad7_", "lsns6_"))]
    assert s.loc[blank, other].isna().all().all()
    per_client = incomplete.groupby(s["client_id"]).mean()
    assert (per_client == 0).any() and per_client.max() > 0.3


def test_item9_above_zero_at_baseline_for_about_a_quarter(cohort: Inventory) -> None:
    s = _phq_totals(cohort).sort_values(["client_id", "session"])
    first = s[s["session"] == 1].set_index("client_id")
    ideation = first["phq9_9"] > 0
    assert 0.18 <= ideation.mean() <= 0.32
    assert first.loc[ideation, "phq9_9"].eq(1).mean() > 0.5
    assert first["phq9_9"].max() == 3
    last = s.dropna(subset=["phq9_9"]).groupby("client_id")["phq9_9"].last()
    assert last[ideation].mean() < 0.5 * first.loc[ideation, "phq9_9"].mean()
    later = s[s["session"] > 1].groupby("client_id")["phq9_9"].max()
    assert (later[~ideation] > 0).mean() < 0.1
    severe = first["total"] >= 20
    assert ideation[severe].mean() > ideation[~severe].mean()


def test_difficulty_item_follows_the_total_on_some_forms(cohort: Inventory) -> None:
    s = _phq_totals(cohort)
    given = s["phq9_difficulty"].notna()
    assert s.loc[given, "phq9_difficulty"].between(0, 3).all()
    assert not (given & (s["answered"] == 0)).any()
    clients = given.groupby(s["client_id"]).any()
    assert 0.4 < clients.mean() < 0.8
    scored = s[given & s["total"].notna()]
    assert scored["phq9_difficulty"].astype(float).corr(scored["total"]) > 0.6
