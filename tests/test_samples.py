"""The shipped samples: valid, set in the Atlanta area, one client per problem area with its
safety story, and the cohort reproducible."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ipt_network import load_samples
from ipt_network.clinical.measures import phq9_scores
from ipt_network.io.contract import PHQ9_ITEMS
from ipt_network.io.samples import SAMPLE_CLIENTS, samples_folder
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.names import PROBLEM_AREAS

REPO = Path(__file__).resolve().parents[1]


def test_four_clients_one_per_area() -> None:
    inv = load_samples()
    assert sorted(inv.client_ids()) == sorted(SAMPLE_CLIENTS)
    assert sorted(inv.clients["focus"]) == sorted(PROBLEM_AREAS)
    for cid in SAMPLE_CLIENTS:
        assert 12 <= len(inv.sessions_of(cid)) <= 16


def test_repository_copy_is_the_package_data() -> None:
    with samples_folder() as folder:
        for f in folder.iterdir():
            assert (REPO / "data" / "samples" / "clients" / f.name).read_bytes() == f.read_bytes()


def test_shipped_cohort_is_what_synth_writes(tmp_path: Path) -> None:
    shipped = REPO / "data" / "samples" / "cohort"
    write_inventory(synthesize(20, 1), tmp_path)
    assert sorted(p.name for p in shipped.iterdir()) == sorted(p.name for p in tmp_path.iterdir())
    for f in shipped.iterdir():
        assert f.read_bytes() == (tmp_path / f.name).read_bytes(), f.name
    assert len(read_inventory(shipped)) == 20


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


def test_each_sample_keeps_its_safety_story() -> None:
    s = load_samples().sessions.set_index(["client_id", "session"]).sort_index()
    item9 = s["phq9_9"]
    assert item9[item9 > 0].index.tolist() == [("grief-01", 2)]
    epds = s.loc[s["epds_total"].notna(), ["epds_total", "epds_10"]]
    assert epds.index.get_level_values(0).unique().tolist() == ["transition-01"]
    assert epds["epds_10"].notna().all() and s.loc[s["epds_total"].isna(), "epds_10"].isna().all()
    assert epds[epds["epds_10"] > 0].index.tolist() == [("transition-01", 4)]
    assert epds["epds_10"].max() == 1
    assert item9.loc["transition-01"].eq(0).all()
    notes = s["notes"].fillna("")
    for key in (("grief-01", 2), ("transition-01", 4)):
        assert "988" in notes[key] and "911" in notes[key], key


def test_partly_filled_forms_and_the_difficulty_item() -> None:
    s = load_samples().sessions.set_index(["client_id", "session"])
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
