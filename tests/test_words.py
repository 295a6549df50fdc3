"""One words module: every value of every vocabulary has words, and the views use them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipt_network import names, words
from ipt_network.io.contract import bounds, vocabularies

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("table", "column"), [(t.name, c.name) for t, c in vocabularies()], ids=str
)
def test_every_vocabulary_value_has_words(table: str, column: str) -> None:
    choices = {c.name: c for t, c in vocabularies() if t.name == table}[column].choices
    assert (table, column) in words.VOCABULARY_WORDS
    table_words = words.VOCABULARY_WORDS[(table, column)]
    assert set(table_words) == set(choices)
    assert all(w.strip() for w in table_words.values())


def test_every_area_reads_for_clinician_and_client() -> None:
    for area in names.PROBLEM_AREAS:
        assert area in words.AREA_TITLES and area in words.CLIENT_AREA_WORDS
        assert words.area_words(area) == words.AREA_TITLES[area].lower()
        assert words.area_words(area, client=True) == words.CLIENT_AREA_WORDS[area]


def test_every_event_kind_has_a_title_and_a_phrase() -> None:
    assert set(words.EVENT_TITLES) == set(names.EVENT_KINDS) == set(words.EVENT_PHRASES)
    for kind in names.EVENT_KINDS:
        phrase = words.event_phrase(kind)
        assert phrase[0].isupper() and phrase.lower() == words.EVENT_PHRASES[kind]


def test_every_ring_the_contract_allows_has_a_word() -> None:
    lo, hi = bounds("relationships", "ring")
    assert list(words.RING_WORDS) == list(range(lo, hi + 1))


def test_focus_words() -> None:
    assert words.focus_words("grief") == "grief"
    assert words.focus_words("role_transition;grief", 4) == (
        "role transition and grief, chosen at session 4"
    )
    assert words.focus_words(["grief", "role_dispute"], client=True) == (
        "coping with a loss and a disagreement with someone important"
    )
    assert words.focus_words(None) == words.NO_FOCUS
    assert words.focus_words("", 3) == words.NO_FOCUS
    assert words.focus_words("grief", float("nan")) == "grief"


def _copies_pattern() -> re.Pattern[str]:
    """A dict entry giving a vocabulary value the words :mod:`ipt_network.words` gives it."""
    tables = [
        words.AREA_TITLES,
        words.CLIENT_AREA_WORDS,
        words.ROLE_TITLES,
        words.EVENT_TITLES,
        words.EVENT_PHRASES,
        *words.VOCABULARY_WORDS.values(),
    ]
    entries = {f'"{k}": "{re.escape(v)}"' for table in tables for k, v in table.items()}
    entries |= {f'{k}: "{v}"' for k, v in words.RING_WORDS.items()}
    return re.compile("|".join(sorted(entries)), re.IGNORECASE)


def test_no_module_keeps_its_own_words() -> None:
    """No copy of the words: outside words.py no dict gives a value the same words again,
    and no focus is spelt out by replacing underscores."""
    copies = _copies_pattern()
    found = []
    for folder in ("ipt_network", "dashboards"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "words.py":
                continue
            text = path.read_text(encoding="utf-8")
            where = path.relative_to(ROOT)
            found += [f"{where}: {m}" for m in copies.findall(text)]
            found += [f"{where}: {m}" for m in re.findall(r"focus\S*\.(?:str\.)?replace\(", text)]
    assert found == []


def test_the_copy_scan_finds_a_copy() -> None:
    """The scan above is not blind: it finds the entries of words.py itself."""
    text = (ROOT / "ipt_network" / "words.py").read_text(encoding="utf-8")
    assert len(_copies_pattern().findall(text)) >= len(words.ROLE_TITLES) + len(words.RING_WORDS)
