"""The field guide's target for the problem-area suggestion, on a synthetic cohort.

``synth`` designs each client's problem area (its ``clients.focus``). At the default
session (the decision) the suggestion must be the designed area alone for at least 90%
of the clients with one designed area, in every area. ``benchmarks/problem_areas.py``
measures the same on two larger runs and prints the rates.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from ipt_network.clinical.problem_areas import rank_all
from ipt_network.io.inventory import Inventory
from ipt_network.io.synth import synthesize
from ipt_network.names import PROBLEM_AREAS

TARGET = 0.90


@pytest.fixture(scope="module")
def cohort() -> Inventory:
    return synthesize(400, seed=1)


def test_default_suggestion_is_the_designed_area_in_every_area(cohort: Inventory) -> None:
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for s in rank_all(cohort):
        if len(s.focus) != 1:
            continue  # two designed areas: not counted
        designed = s.focus[0]
        assert s.session_basis == "focus"
        totals[designed] += 1
        hits[designed] += [a.area for a in s.top] == [designed]
    assert set(totals) == set(PROBLEM_AREAS) and min(totals.values()) >= 60
    rates = {a: hits[a] / totals[a] for a in PROBLEM_AREAS}
    assert all(rate >= TARGET for rate in rates.values()), rates


def test_the_rules_do_not_read_the_designed_area(cohort: Inventory) -> None:
    """The suggestion is the same with every client's focus erased: the designed area
    (the synthetic focus) is read only to report agreement."""
    tables = cohort.tables()
    tables["clients"] = tables["clients"].assign(focus=pd.Series(pd.NA, dtype="string"))
    blind = Inventory(**tables)
    seen = [s.row() for s in rank_all(cohort)]
    unseen = [s.row() for s in rank_all(blind)]
    for a, b in zip(seen, unseen, strict=True):
        assert {k: v for k, v in a.items() if k not in ("focus", "agree")} == {
            k: v for k, v in b.items() if k not in ("focus", "agree")
        }
    assert all(b["agree"] is None for b in unseen)
