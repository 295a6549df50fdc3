"""Tests of ipt_network.report: the file opens alone and says what it should."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ipt_network import load_samples
from ipt_network.errors import ClientNotFound
from ipt_network.inventory import Inventory
from ipt_network.report import map_svg, phq9_chart_svg, render_report, write_report
from ipt_network.safety import CRISIS_LINE


class _Page(HTMLParser):
    """Collects tags, attributes and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(data.strip())


@pytest.fixture(scope="module")
def samples() -> Inventory:
    return load_samples()


def _open(path: Path) -> tuple[str, _Page]:
    raw = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(raw)
    return raw, page


def test_written_file_is_self_contained(samples: Inventory, tmp_path: Path) -> None:
    raw, page = _open(write_report(samples, "grief-01", tmp_path / "report.html"))
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for _, attrs in page.tags:
        assert "src" not in attrs and "href" not in attrs
    assert "url(" not in raw and "@import" not in raw
    # The only address is the SVG namespace, which is never fetched.
    assert set(re.findall(r"https?://[^\s\"']+", raw)) == {"http://www.w3.org/2000/svg"}
    assert '<meta charset="utf-8">' in raw and "@media print" in raw


def test_report_content_for_grief_client(samples: Inventory, tmp_path: Path) -> None:
    raw, page = _open(write_report(samples, "grief-01", tmp_path / "r.html"))
    text = " ".join(page.text)
    assert "Session 1 (2025-04-07)" in text and "Session 14 (2025-07-07)" in text
    assert sum(tag == "svg" and a.get("role") == "img" for tag, a in page.tags) == 3
    assert (
        "Moved closer" in text
        and "Ruth (family): from the middle circle to the inner circle" in text
    )
    assert "No longer on the map" in text and "George (family)" in text
    assert "New on the map" in text and "Dorothy (community), in the middle circle" in text
    assert "was 19 (moderately severe)" in text and "it was 7 (mild)" in text
    assert "Not filled in at session 11" in text
    assert "Call Ruth and tell her how hard the evenings are" in text
    assert "GAD-7 (anxiety)" in text
    assert "focus of our work was <strong>grief</strong>, chosen together at session 2" in raw


def test_safety_flag_shown_when_it_applies(samples: Inventory) -> None:
    flagged = render_report(samples, "grief-01")
    assert CRISIS_LINE in flagged and "at session 2" in flagged
    assert 'class="safety"' in flagged
    for cid in ("dispute-01", "transition-01", "deficits-01"):
        page = render_report(samples, cid)
        assert 'class="safety"' not in page and "988" not in page
    for cid in samples.client_ids():
        assert "low risk" not in render_report(samples, cid).lower()


def test_focus_and_communication_work(samples: Inventory) -> None:
    page = render_report(samples, "dispute-01")
    assert "<strong>role dispute</strong>, chosen together at session 3" in page
    assert "Sarah (partner)" in page and "Suggest seeing a couples counsellor together" in page


def test_no_focus_recorded(samples: Inventory) -> None:
    one = samples.for_clients(["deficits-01"])
    clients = one.clients.copy()
    clients["focus"] = None
    page = render_report(Inventory(**{**one.tables(), "clients": clients}), "deficits-01")
    assert "No focus was recorded." in page


def test_conflict_drawn_by_line_style(samples: Inventory) -> None:
    page = render_report(samples, "dispute-01")
    first_map = page.split("<figure>")[1]
    # Sarah, conflict 4 at session 1: the heavy dashed line; Karen 3 too.
    assert first_map.count('stroke-width="3.2" stroke-dasharray="9 4"') == 2


def test_names_are_escaped() -> None:
    import pandas as pd

    people = pd.DataFrame(
        {
            "person_id": ["a"],
            "name": ["<b>Al & Co</b>"],
            "role": ["friend"],
            "deceased_date": [None],
        }
    )
    svg = map_svg(people, {"a": 2}, {"a": 0}, "t")
    assert "&lt;b&gt;Al &amp; Co&lt;/b&gt;" in svg and "<b>" not in svg


def test_map_places_people_on_their_ring() -> None:
    import pandas as pd

    people = pd.DataFrame(
        {
            "person_id": ["a", "b"],
            "name": ["A", "B"],
            "role": ["friend", "family"],
            "deceased_date": [None, "2025-01-01"],
        }
    )
    svg = map_svg(people, {"a": 1, "b": 3}, {"a": 0, "b": 0}, "t")
    size = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))  # type: ignore[union-attr]
    c = size / 2
    rings = [
        float(r)
        for r in re.findall(r'<circle cx="[\d.]+" cy="[\d.]+" r="([\d.]+)" fill="none"', svg)
    ]
    dots = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="6"', svg)
    radii = sorted(round(((float(x) - c) ** 2 + (float(y) - c) ** 2) ** 0.5, 0) for x, y in dots)
    assert radii == [round(min(rings), 0), round(max(rings), 0)]
    assert "B (died)" in svg and 'font-style="italic"' in svg


def test_chart_breaks_line_at_missing_total() -> None:
    svg = phq9_chart_svg([1, 2, 3, 4], [20, 15, None, 9])
    assert svg.count("<polyline") == 2
    assert all(band in svg for band in ("minimal (0-4)", "mild (5-9)", "severe (20-27)"))


def test_unknown_client(samples: Inventory) -> None:
    with pytest.raises(ClientNotFound):
        render_report(samples, "nobody")
