"""Tests of ipt_network.clinical.safety: which answers raise the flag, and what it says."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
import pytest

from ipt_network.clinical.safety import (
    CRISIS_LINE,
    SELF_HARM_ITEMS,
    ItemAnswer,
    client_crisis_line,
    crisis_lines,
    safety_flag,
    safety_flags,
    safety_json,
    with_answer,
)
from ipt_network.errors import ClientNotFound
from ipt_network.io.contract import PHQ9_ITEMS
from ipt_network.io.inventory import Inventory, empty_table
from ipt_network.regions import REGIONS, region

#: Words that would say or imply that a client is safe or at low risk.
REASSURING = re.compile(r"\b(low risk|no risk|not at risk|safe)\b", re.IGNORECASE)


def _inventory(rows: list[dict[str, object]]) -> Inventory:
    """Sessions of clients a and b built from ``rows`` (other columns empty)."""
    sessions = pd.concat([empty_table("sessions"), pd.DataFrame(rows)], ignore_index=True)
    sessions = sessions.astype(empty_table("sessions").dtypes.to_dict())
    clients = pd.concat(
        [empty_table("clients"), pd.DataFrame({"client_id": ["a", "b"]})], ignore_index=True
    ).astype(empty_table("clients").dtypes.to_dict())
    return Inventory.from_tables({"clients": clients, "sessions": sessions})


def _row(
    client: str, session: int, phq9: Sequence[int | None] | None = None, **items: int | None
) -> dict[str, object]:
    row: dict[str, object] = {
        "client_id": client,
        "session": session,
        "date": f"2026-01-{session:02}",
    }
    if phq9 is not None:
        row.update(zip(PHQ9_ITEMS, phq9, strict=True))
    return {**row, **items}


def test_item9_alone_raises_the_flag() -> None:
    inv = _inventory([_row("a", 1, [None] * 8 + [2])])
    flag = safety_flag(inv, "a")
    assert flag is not None
    assert [(a.item.name, a.session, a.value, a.words) for a in flag.answers] == [
        ("PHQ-9 item 9", 1, 2, "more than half the days")
    ]


@pytest.mark.parametrize(
    ("value", "words"),
    [(1, "several days"), (2, "more than half the days"), (3, "nearly every day")],
)
def test_phq9_item9_value_in_words(value: int, words: str) -> None:
    flag = safety_flag(_inventory([_row("a", 1, [0] * 8 + [value])]), "a")
    assert flag is not None
    assert f"above 0: {words} at session 1" in flag.headline()


@pytest.mark.parametrize(
    ("column", "value", "named", "words"),
    [
        ("epds_10", 1, "EPDS item 10", "1 of 3"),
        ("bdi2_9", 3, "BDI-II item 9", "3 of 3"),
        ("hamd17_3", 2, "HAM-D 17 item 3", "2 of 4"),
    ],
)
def test_other_self_harm_items_raise_the_same_flag(
    column: str, value: int, named: str, words: str
) -> None:
    inv = _inventory(
        [_row("a", 1), _row("a", 2, None, **{column: value}), _row("a", 3, None, **{column: 0})]
    )
    flag = safety_flag(inv, "a")
    assert flag is not None
    assert flag.headline() == (
        f"SAFETY FLAG: {named} (self-harm item) above 0: {words} at session 2; "
        "last asked at session 3."
    )


@pytest.mark.parametrize("column", [item.column for item in SELF_HARM_ITEMS])
def test_zero_or_missing_raises_no_flag(column: str) -> None:
    inv = _inventory([_row("a", 1, None, **{column: 0}), _row("a", 2, [1] * 8 + [None])])
    assert safety_flag(inv, "a") is None


def test_the_flag_names_every_item_and_the_latest_session_asked() -> None:
    inv = _inventory(
        [
            _row("a", 1, [1] * 9),
            _row("a", 2, [1] * 8 + [None], epds_10=2),  # item 9 not asked at session 2
            _row("a", 3, [0] * 9, epds_10=0),
            _row("a", 4, [2] * 8 + [None]),
            _row("b", 1, [3] * 9),
        ]
    )
    flag = safety_flag(inv, "a")
    assert flag is not None
    assert flag.sessions == (1, 2) and flag.latest == 2 and flag.highest == 1
    assert flag.item_sentences() == [
        "PHQ-9 item 9 (thoughts of death or self-harm) above 0: several days at session 1; "
        "last asked at session 3.",
        "EPDS item 10 (self-harm item) above 0: 2 of 3 at session 2; last asked at session 3.",
    ]
    assert safety_flags(inv).keys() == {"a", "b"}
    assert safety_flags(inv)["a"] == flag  # one rule, whether for one client or all


def test_banner_has_the_region_lines() -> None:
    flag = safety_flag(_inventory([_row("a", 1, [0] * 8 + [1])]), "a")
    assert flag is not None
    uk = flag.banner(region("uk"))
    assert "Samaritans" in uk and "116 123" in uk and "988" not in uk
    us = flag.banner()
    assert "988" in us and "911" in us and "116 123" not in us
    assert us.splitlines()[0] == flag.headline()


@pytest.mark.parametrize("code", sorted(REGIONS))
def test_client_crisis_line_is_calm_and_names_no_flag(code: str) -> None:
    line = client_crisis_line(region(code))
    assert line.startswith("If you ever feel hopeless or think about harming yourself, ")
    assert line.endswith(region(code).call_text + ".")
    assert "flag" not in line.lower() and "risk" not in line.lower()
    assert not REASSURING.search(line)


def test_crisis_line_constant_is_the_default_region_sentence() -> None:
    assert CRISIS_LINE == client_crisis_line() == client_crisis_line(region("us"))


def test_nothing_says_safe_or_low_risk() -> None:
    inv = _inventory([_row("a", 1, [0] * 8 + [3]), _row("b", 1, [0] * 9)])
    flag = safety_flag(inv, "a")
    assert flag is not None
    texts = [flag.headline(), flag.banner(), crisis_lines(), str(safety_json(None))]
    texts.append(str(safety_json(flag, region("au"))))
    for text in texts:
        assert not REASSURING.search(text.replace("SAFETY FLAG", "")), text


def test_safety_json_carries_the_flag_and_the_region() -> None:
    flag = safety_flag(_inventory([_row("a", 2, [None] * 8 + [2])]), "a")
    data = safety_json(flag, region("nz"))
    assert data["flag"] is True and data["region"] == "nz"
    assert data["answers"] == [
        {
            "measure": "PHQ-9",
            "item": 9,
            "column": "phq9_9",
            "session": 2,
            "value": 2,
            "maximum": 3,
            "words": "more than half the days",
        }
    ]
    assert data["last_asked"][0]["session"] == 2
    assert [line["number"] for line in data["crisis_lines"]] == ["1737", "111"]
    none = safety_json(None, region("uk"))
    assert none["flag"] is False and none["answers"] == [] and "116 123" in str(none)


def test_with_answer_adds_a_typed_answer() -> None:
    phq9, epds = SELF_HARM_ITEMS[:2]
    stored = with_answer(None, "a", ItemAnswer(epds, 3, 1))
    typed = with_answer(stored, "a", ItemAnswer(phq9, 5, 3))
    assert [a.item.measure for a in typed.answers] == ["EPDS", "PHQ-9"]
    assert dict((i.measure, s) for i, s in typed.last_asked) == {"PHQ-9": 5, "EPDS": 3}
    with pytest.raises(ValueError, match="above 0"):
        with_answer(None, "a", ItemAnswer(phq9, 5, 0))


def test_unknown_client() -> None:
    with pytest.raises(ClientNotFound):
        safety_flag(_inventory([]), "zz")
