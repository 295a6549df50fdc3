"""Crisis lines by region: the table, the store's setting, init and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ipt_network import Store
from ipt_network.cli import main
from ipt_network.regions import REGIONS, UnknownRegion, region

EXPECTED = {
    "us": ["988", "988lifeline.org", "911"],
    "ca": ["9-8-8", "911"],
    "uk": ["Samaritans", "116 123", "NHS 111", "mental health option", "999"],
    "ie": ["Samaritans", "116 123", "112 or 999"],
    "au": ["Lifeline", "13 11 14", "000"],
    "nz": ["1737", "111"],
    "intl": ["local emergency number", "findahelpline.com"],
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_region_lists_its_lines_and_the_date_checked(code: str) -> None:
    r = region(code)
    text = r.summary() + " " + r.call_text
    for needle in EXPECTED[code]:
        assert needle in text
    assert r.lines[-1].emergency and not r.lines[0].emergency
    assert r.checked[:4].isdigit()
    assert "risk" not in r.call_text.lower()


def test_every_region_is_tested_and_unknown_ones_are_refused() -> None:
    assert set(REGIONS) == set(EXPECTED)
    assert region(None).code == "us"
    assert region(" UK ").code == "uk"
    with pytest.raises(UnknownRegion, match="choose one of"):
        region("fr")


def test_init_sets_us_by_default_and_settings_changes_it(tmp_path: Path) -> None:
    db = str(tmp_path / "ipt.db")
    runner = CliRunner()
    made = runner.invoke(main, ["init", "--db", db])
    assert made.exit_code == 0 and "United States" in made.output
    with Store.open(db) as store:
        assert store.region.code == "us"
    changed = runner.invoke(main, ["settings", "--db", db, "--region", "au"])
    assert changed.exit_code == 0
    assert "13 11 14" in changed.output
    with Store.open(db) as store:
        assert store.region.code == "au"
    # init on an existing store keeps its region unless told otherwise
    assert "Australia" in runner.invoke(main, ["init", "--db", db]).output
    again = runner.invoke(main, ["init", "--db", db, "--region", "nz"])
    assert "New Zealand" in again.output
    shown = runner.invoke(main, ["settings", "--db", db])
    assert "region: nz" in shown.output and "1737" in shown.output


def test_settings_refuses_an_unknown_region_and_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "ipt.db")
    runner = CliRunner()
    runner.invoke(main, ["init", "--db", db, "--region", "ca"])
    bad = runner.invoke(main, ["settings", "--db", db, "--region", "mars"])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output
    with Store.open(db) as store:
        assert store.region.code == "ca"
