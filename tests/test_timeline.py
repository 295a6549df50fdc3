"""Tests of ipt_network.views.timeline: order, entries, deaths, no timeline."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ipt_network.clinical.measures import phq9_scores
from ipt_network.errors import ClientNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.views.timeline import (
    describe_interval,
    format_timeline,
    onset_date,
    person_labels,
    timeline,
)


@pytest.fixture(scope="module")
def samples(samples_once: Inventory) -> Inventory:
    return samples_once


def _without_timeline(inv: Inventory, client_id: str) -> Inventory:
    """The client alone, with no onset date and no life events."""
    one = inv.for_clients([client_id])
    clients = one.clients.copy()
    clients["onset_date"] = pd.NA
    return Inventory(**{**one.tables(), "clients": clients, "events": one.events.iloc[0:0]})


def test_entries_in_date_order_with_every_session(samples: Inventory) -> None:
    for cid in samples.client_ids():
        entries = timeline(samples, cid)
        assert [e.date for e in entries] == sorted(e.date for e in entries)
        assert [e.session for e in entries if e.kind == "session"] == samples.sessions_of(cid)


def test_onset_and_events_placed_before_first_session(samples: Inventory) -> None:
    entries = timeline(samples, "transition-01")
    kinds = [e.kind for e in entries]
    assert kinds.index("onset") < kinds.index("session")
    onset = next(e for e in entries if e.kind == "onset")
    assert onset.date == "2026-03-02"
    birth = next(e for e in entries if e.event_kind == "birth")
    assert birth.person_id == "p02" and birth.text.startswith("Birth, Noor (family)")


def test_session_lines_carry_phq9_and_changes(samples: Inventory) -> None:
    lines = format_timeline(timeline(samples, "grief-01"))
    s2 = next(line for line in lines if "Session 2:" in line)
    assert "PHQ-9 20 (severe)" in s2 and "item 9: several days (see the safety flag)" in s2
    s7 = next(line for line in lines if "Session 7:" in line)
    assert "Ruth moved closer" in s7
    s11 = next(line for line in lines if "Session 11:" in line)
    assert "PHQ-9 not given" in s11
    assert not any("low risk" in line.lower() for line in lines)


def test_phq9_total_on_session_entries(samples: Inventory) -> None:
    entries = [e for e in timeline(samples, "deficits-01") if e.kind == "session"]
    s = samples.sessions[samples.sessions["client_id"] == "deficits-01"]
    totals = phq9_scores(s)["phq9_total"]
    expected = [None if pd.isna(t) else int(t) for t in totals]
    assert [e.phq9_total for e in entries] == expected
    assert expected[10] is None  # session 11: only item 9 was asked


def test_death_from_people_table_without_event(samples: Inventory) -> None:
    inv = _without_timeline(samples, "grief-01")
    entries = timeline(inv, "grief-01")
    deaths = [e for e in entries if e.kind == "death"]
    assert [(d.date, d.person_id) for d in deaths] == [("2025-01-18", "p01")]
    # With the death event present, the people table adds no second entry.
    assert not [e for e in timeline(samples, "grief-01") if e.kind == "death"]


def test_client_with_no_timeline_has_only_sessions(samples: Inventory) -> None:
    inv = _without_timeline(samples, "dispute-01")
    entries = timeline(inv, "dispute-01")
    assert {e.kind for e in entries} == {"session"}
    assert onset_date(inv, "dispute-01") is None


def test_same_day_event_comes_before_session(samples: Inventory) -> None:
    one = samples.for_clients(["dispute-01"])
    extra = pd.DataFrame(
        {
            "client_id": ["dispute-01"],
            "date": ["2025-09-15"],
            "kind": ["move"],
            "person_id": [pd.NA],
            "description": [pd.NA],
        }
    ).astype(one.events.dtypes.to_dict())
    inv = Inventory(**{**one.tables(), "events": pd.concat([one.events, extra])})
    same_day = [e.kind for e in timeline(inv, "dispute-01") if e.date == "2025-09-15"]
    assert same_day == ["event", "session"]


def test_unknown_client(samples: Inventory) -> None:
    with pytest.raises(ClientNotFound):
        timeline(samples, "nobody")


def test_person_labels_use_name_and_role(samples: Inventory) -> None:
    labels = person_labels(samples, "dispute-01")
    assert labels["p01"] == "Sarah (partner)" and labels["p06"] == "Raj (coworker)"


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0, "the same day"),
        (1, "1 day"),
        (13, "13 days"),
        (14, "2 weeks"),
        (-35, "5 weeks"),
        (62, "9 weeks"),
        (63, "2 months"),
        (700, "23 months"),
        (731, "2 years"),
    ],
)
def test_describe_interval(days: int, words: str) -> None:
    assert describe_interval(days) == words


def test_session_lines_mark_prorated_incomplete_and_item9_not_asked(tiny_folder: Path) -> None:
    from ipt_network.io.contract import PHQ9_ITEMS
    from ipt_network.io.tidy import read_inventory

    (tiny_folder / "sessions.csv").write_text(
        f"client_id,session,date,{','.join(PHQ9_ITEMS)},epds_10\n"
        "c1,1,2026-02-02,3,3,3,3,2,2,2,2,,\n"  # 20 / 8 * 9 = 22.5, half up to 23; item 9 not asked
        "c1,2,2026-02-09,,,,1,1,1,1,1,3,1\n"  # 4 missing: incomplete; item 9 nearly every day
        "c2,1,2026-03-01,,,,,,,,,,\n",
        encoding="utf-8",
    )
    entries = [e for e in timeline(read_inventory(tiny_folder), "c1") if e.kind == "session"]
    assert (entries[0].phq9_total, entries[0].phq9_prorated) == (23, True)
    assert entries[0].text.startswith("Session 1: PHQ-9 23 (prorated; severe), item 9 not asked")
    assert entries[1].phq9_total is None
    assert entries[1].text.startswith(
        "Session 2: PHQ-9 incomplete (3 or more items missing), "
        "item 9: nearly every day (see the safety flag); "
        "EPDS item 10: 1 of 3 (see the safety flag)"
    )


def test_session_lines_render_the_change_records_not_sentences(
    tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipt_network.io.tidy import read_inventory
    from ipt_network.views import changes

    def no_sentences(*_: object) -> list[str]:
        raise AssertionError("the timeline must not read describe_changes")

    monkeypatch.setattr(changes, "describe_changes", no_sentences)
    entries = [e for e in timeline(read_inventory(tiny_folder), "c1") if e.kind == "session"]
    first, second = (e.text for e in entries)
    assert "the map starts with 3 people (2 inner, 1 middle, 0 outer)" in first
    assert second.endswith(
        "; Cy is no longer on the map; Bo moved closer, from the middle circle to the inner "
        "circle; conflict with Ann fell from 4 to 2."
    )
