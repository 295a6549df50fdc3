"""The shipped samples: valid, set in the Atlanta area, one client per problem area with the
course and safety story data/samples/README.md tells, and the cohort reproducible with the
figures its README gives.

Every check here compares the data with something independent of it: the contract, the
README's own words and numbers, a write and read back, a store, or what ``synth`` writes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ipt_network import Inventory, Store
from ipt_network.clinical.measures import phq9_remission, phq9_response, phq9_scores
from ipt_network.io.contract import LSNS6_ITEMS, PHQ9_ITEMS, TABLES
from ipt_network.io.samples import SAMPLE_CLIENTS, samples_folder
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.names import PROBLEM_AREAS

REPO = Path(__file__).resolve().parents[1]
COHORT = REPO / "data" / "samples" / "cohort"


def test_four_clients_one_per_area(samples_inv: Inventory) -> None:
    inv = samples_inv
    assert sorted(inv.client_ids()) == sorted(SAMPLE_CLIENTS)
    assert sorted(inv.clients["focus"]) == sorted(PROBLEM_AREAS)
    for cid in SAMPLE_CLIENTS:
        assert 12 <= len(inv.sessions_of(cid)) <= 16


def test_the_repository_folder_is_the_packaged_one_and_holds_the_contract_files() -> None:
    """One copy only (the README: a symlink to the package folder), every file a contract file."""
    with samples_folder() as folder:
        assert os.path.samefile(REPO / "data" / "samples" / "clients", folder)
        shipped = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert shipped == sorted(t.file for t in TABLES.values())


def _by_key(inventory: Inventory) -> dict[str, pd.DataFrame]:
    """Every table in one row order (its key, else all columns), for comparing copies."""
    out = {}
    for name, frame in inventory.items():
        key = list(TABLES[name].key) or list(frame.columns)
        out[name] = frame.sort_values(key, ignore_index=True)
    return out


def test_samples_come_back_equal_from_files_and_from_a_store(
    samples_inv: Inventory, tmp_path: Path
) -> None:
    written = write_inventory(samples_inv, tmp_path / "again")
    assert sorted(p.name for p in written) == sorted(t.file for t in TABLES.values())
    again = read_inventory(tmp_path / "again")
    with Store.create(tmp_path / "ipt.db") as store:
        assert store.import_folder(tmp_path / "again", progress=False).client_ids() == (
            samples_inv.client_ids()
        )
        stored = store.inventory()
    expected = _by_key(samples_inv)
    for copy in (again, stored):
        for name, frame in _by_key(copy).items():
            pd.testing.assert_frame_equal(frame, expected[name], obj=name)


def _ring(inv: Inventory, client: str, name: str) -> dict[int, int]:
    """The ring of the person called ``name`` at each session they are on the map."""
    people = inv.people[(inv.people["client_id"] == client) & (inv.people["name"] == name)]
    assert len(people) == 1, (client, name)
    pid = people["person_id"].iloc[0]
    rows = inv.relationships
    rows = rows[(rows["client_id"] == client) & (rows["person_id"] == pid)]
    return {int(s): int(r) for s, r in zip(rows["session"], rows["ring"], strict=True)}


#: What the README says of each sample: sessions, first and last PHQ-9 total.
STORIES: dict[str, tuple[int, int, int]] = {
    "grief-01": (14, 19, 7),
    "dispute-01": (16, 16, 8),
    "transition-01": (14, 17, 6),
    "deficits-01": (16, 14, 8),
}


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_each_sample_has_the_course_its_readme_tells(samples_inv: Inventory, client: str) -> None:
    n_sessions, first, last = STORIES[client]
    sessions = samples_inv.sessions[samples_inv.sessions["client_id"] == client]
    assert samples_inv.sessions_of(client) == list(range(1, n_sessions + 1))
    totals = phq9_scores(sessions)["phq9_total"].dropna()
    assert (int(totals.iloc[0]), int(totals.iloc[-1])) == (first, last)
    # the PHQ-9 difficulty item: at the client's first and last session only
    asked = sessions.loc[sessions["phq9_difficulty"].notna(), "session"].tolist()
    assert asked == [1, n_sessions]


def test_the_people_move_as_the_readme_tells(samples_inv: Inventory) -> None:
    inv = samples_inv
    frank = _ring(inv, "grief-01", "Frank")
    assert set(frank.values()) == {1} and len(frank) == 14
    died = inv.people.set_index(["client_id", "name"]).loc[("grief-01", "Frank"), "deceased_date"]
    assert not pd.isna(died)
    ruth = _ring(inv, "grief-01", "Ruth")
    assert ruth[1] == 2 and ruth[14] == 1
    for newcomer in ("Pastor Helen", "Dorothy", "Thursday group at Glenwood Methodist"):
        moves = _ring(inv, "grief-01", newcomer)
        assert min(moves) > 1 and moves[min(moves)] > moves[14], newcomer
    assert max(_ring(inv, "grief-01", "George")) < 14  # leaves the map near the end
    sarah = inv.relationships.query("client_id == 'dispute-01' and person_id == 'p01'")
    assert sarah["ring"].eq(1).all()
    assert (int(sarah["conflict"].iloc[0]), int(sarah["conflict"].iloc[-1])) == (4, 2)
    assert min(_ring(inv, "dispute-01", "Ms. Okafor")) == 13  # the couples counselor
    for name, joins in (("Tom", 5), ("Josh", 8)):
        moves = _ring(inv, "deficits-01", name)
        assert min(moves) == joins and moves[16] == 2, name


def test_deficits_lsns6_rises_and_session_11_asks_only_item_9(samples_inv: Inventory) -> None:
    s = samples_inv.sessions.set_index(["client_id", "session"]).loc["deficits-01"]
    lsns = s[list(LSNS6_ITEMS)].dropna().astype(int).sum(axis=1)
    assert (int(lsns.iloc[0]), int(lsns.iloc[-1])) == (7, 14)
    items = s.loc[11, list(PHQ9_ITEMS)]
    assert items.isna().tolist() == [True] * 8 + [False] and items["phq9_9"] == 0


def test_shipped_cohort_is_what_synth_writes(tmp_path: Path) -> None:
    write_inventory(synthesize(20, 1), tmp_path)
    assert sorted(p.name for p in COHORT.iterdir()) == sorted(p.name for p in tmp_path.iterdir())
    for f in COHORT.iterdir():
        assert f.read_bytes() == (tmp_path / f.name).read_bytes(), f.name
    assert len(read_inventory(COHORT)) == 20


def _cohort_figures(inv: Inventory) -> dict[str, Any]:
    """The figures of the README's cohort table, worked out from the tables."""
    s = inv.sessions.reset_index(drop=True)
    s = pd.concat([s, phq9_scores(s)], axis=1).sort_values(["client_id", "session"])
    answered = s[list(PHQ9_ITEMS)].notna().sum(axis=1)
    baseline10 = respond = remit = item9 = difficulty = 0
    for _, one in s.groupby("client_id"):
        totals = one["phq9_total"].dropna()
        first, last = int(totals.iloc[0]), int(totals.iloc[-1])
        baseline10 += first >= 10
        respond += first >= 10 and bool(phq9_response(first, last))
        remit += phq9_remission(last)
        item9 += int(one["phq9_9"].iloc[0]) > 0
        difficulty += bool(one["phq9_difficulty"].notna().any())
    return {
        "respond": (respond, baseline10),
        "remit": remit,
        "missing": (int((answered < 9).sum()), len(s)),
        "partly filled": (
            int(((answered > 0) & (answered < 9)).sum()),
            int(s["phq9_prorated"].sum()),
        ),
        "item 9 at baseline": item9,
        "difficulty item": difficulty,
    }


def test_the_cohort_has_the_figures_its_readme_gives() -> None:
    assert _cohort_figures(read_inventory(COHORT)) == {
        "respond": (8, 19),
        "remit": 5,
        "missing": (46, 281),
        "partly filled": (11, 10),
        "item 9 at baseline": 8,
        "difficulty item": 12,  # "six clients in ten"
    }
    text = (REPO / "data" / "samples" / "README.md").read_text(encoding="utf-8")
    for said in (
        "8 of 19",
        "5 of 20",
        "46 of 281",
        "11 (10 prorated)",
        "8 of 20",
        "Six clients in ten",
    ):
        assert said in text, said


#: Words of British places, services and spelling that the US samples must not use.
BRITISH = (
    r"Leeds|Bristol|Cardiff|Glasgow|London|Manchester|England|Scotland|Wales|UK|NHS|GP|A&E"
    r"|vicar|health visitor|Samaritans|999|pounds?|Mum|Mums|neighbour\w*|colour\w*|humour"
    r"|counsell\w*|(?:apologis|criticis|practis)(?:e|es|ed|ing)|caesarean|half-term|five-a-side"
    r"|rota"
    r"|university|fortnight|holiday|mobile"
)


def test_samples_are_set_in_the_atlanta_area() -> None:
    pattern = re.compile(rf"\b(?:{BRITISH})\b|£", re.IGNORECASE)
    with samples_folder() as folder:
        text = {f.name: f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.csv"))}
    found = {name: sorted(set(pattern.findall(t))) for name, t in text.items()}
    assert not any(found.values()), found
    everything = "\n".join(text.values())
    for place in ("Decatur", "Marietta", "Smyrna", "East Point", "Atlanta"):
        assert place in everything, place
    for us in ("Primary care doctor", "Pastor", "Pediatric nurse", "seventh grade", "$", "988"):
        assert us in everything, us
    assert not pattern.search((REPO / "data" / "samples" / "README.md").read_text())


def test_each_sample_keeps_its_safety_story(samples_inv: Inventory) -> None:
    s = samples_inv.sessions.set_index(["client_id", "session"]).sort_index()
    item9 = s["phq9_9"]
    assert item9[item9 > 0].index.tolist() == [("grief-01", 2)]
    epds = s.loc[s["epds_total"].notna(), ["epds_total", "epds_10"]]
    assert epds.index.get_level_values(0).unique().tolist() == ["transition-01"]
    assert epds["epds_total"].tolist() == [19, 16, 12, 10, 7]
    assert epds["epds_10"].notna().all() and s.loc[s["epds_total"].isna(), "epds_10"].isna().all()
    assert epds[epds["epds_10"] > 0].index.tolist() == [("transition-01", 4)]
    assert epds["epds_10"].max() == 1
    assert item9.loc["transition-01"].eq(0).all()
    notes = s["notes"].fillna("")
    for key in (("grief-01", 2), ("transition-01", 4)):
        assert "988" in notes[key] and "911" in notes[key], key


def test_partly_filled_forms_and_the_difficulty_item(samples_inv: Inventory) -> None:
    s = samples_inv.sessions.set_index(["client_id", "session"])
    items = s[list(PHQ9_ITEMS)]
    answered = items.notna().sum(axis=1)
    partial = answered[(answered > 0) & (answered < 9)]
    assert partial.to_dict() == {("dispute-01", 9): 8, ("deficits-01", 11): 1}
    assert items.loc[("dispute-01", 9)].isna().tolist() == [False, False, True] + [False] * 6
    assert items.loc[list(partial.index), "phq9_9"].notna().all()
    scores = phq9_scores(s.reset_index()).set_index(s.index)
    assert scores.loc[("dispute-01", 9), "phq9_total"] == 11
    assert bool(scores.loc[("dispute-01", 9), "phq9_prorated"])
    assert pd.isna(scores.loc[("deficits-01", 11), "phq9_total"])
    difficulty = s["phq9_difficulty"].dropna()
    assert difficulty.between(0, 3).all() and 4 <= len(difficulty) < len(s) / 2
    assert (answered[difficulty.index] == 9).all()
