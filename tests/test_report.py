"""Tests of the report: the file opens alone, and each audience reads what it should."""

from __future__ import annotations

import html
import os
import re
import stat
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from ipt_network.clinical.measures import (
    GAD7_BANDS,
    LICENSED_BANDS,
    PHQ9_BANDS,
    measure_table,
    other_measures_lines,
    phq9_text_table,
)
from ipt_network.clinical.problem_areas import rank_problem_areas
from ipt_network.clinical.safety import client_crisis_line, safety_flag
from ipt_network.errors import ClientNotFound
from ipt_network.io.contract import PHQ9_ITEMS
from ipt_network.io.inventory import Inventory
from ipt_network.regions import region
from ipt_network.views.report import (
    ReportError,
    map_svg,
    phq9_chart_svg,
    render_report,
    write_report,
)
from ipt_network.views.timeline import person_labels
from ipt_network.words import (
    AREA_TITLES,
    CLIENT_AREA_WORDS,
    CLIENT_GOAL_WORDS,
    CLIENT_WORK_WORDS,
    COMMUNICATION_WORDS,
    OUTCOME_WORDS,
    RING_WORDS,
)

#: Words that must never reach the client's copy: they name a flag or an instrument band.
_FLAG_WORDS = ("flag", "risk", "safety", "item 9", "safe")
_BAND_WORDS = tuple(
    sorted(
        {
            label
            for bands in (PHQ9_BANDS, GAD7_BANDS, *LICENSED_BANDS.values())
            for _, label in bands.bands
        }
        | {"normal", "probable depression", "possible depression", "minimal", "isolated"}
    )
)


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
def samples(samples_once: Inventory) -> Inventory:
    return samples_once


def _parse(raw: str) -> _Page:
    page = _Page()
    page.feed(raw)
    return page


def _text(raw: str) -> str:
    return " ".join(_parse(raw).text)


def _open(path: Path) -> tuple[str, _Page]:
    raw = path.read_text(encoding="utf-8")
    return raw, _parse(raw)


def _words_in(raw: str, words: tuple[str, ...]) -> list[str]:
    """Which of ``words`` occur in the page (raw HTML and SVG included), as whole words."""
    low = raw.lower()
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", low)]


def _with(inventory: Inventory, client_id: str, **tables: pd.DataFrame) -> Inventory:
    """One client's inventory with some tables replaced."""
    one = inventory.for_clients([client_id])
    return Inventory(**{**one.tables(), **tables})


def _first_last(inventory: Inventory, client_id: str) -> tuple[int, int]:
    sessions = inventory.sessions_of(client_id)
    return sessions[0], sessions[-1]


def _state(inventory: Inventory, client_id: str, session: int) -> dict[str, tuple[int, int]]:
    r = inventory.relationships
    rows = r[(r["client_id"] == client_id) & (r["session"] == session)]
    return {
        str(p): (int(a), int(b))
        for p, a, b in zip(rows["person_id"], rows["ring"], rows["conflict"], strict=True)
    }


def _dead_by_the_end(inventory: Inventory, client_id: str) -> dict[str, str]:
    """person_id to name of everyone who died by the client's latest session."""
    s = inventory.sessions
    last_day = date.fromisoformat(
        str(s.loc[s["client_id"] == client_id].sort_values("session")["date"].iloc[-1])
    )
    p = inventory.people[inventory.people["client_id"] == client_id]
    return {
        str(pid): str(name)
        for pid, name, died in zip(p["person_id"], p["name"], p["deceased_date"], strict=True)
        if isinstance(died, str) and date.fromisoformat(died) <= last_day
    }


def _phq9_at(
    inventory: Inventory, client_id: str, session: int, items: list[int | None]
) -> Inventory:
    """The client's PHQ-9 at one session replaced by these nine answers (None: left blank)."""
    sessions = inventory.for_clients([client_id]).sessions.copy()
    at = sessions["session"] == session
    for column, value in zip(PHQ9_ITEMS, items, strict=True):
        sessions.loc[at, column] = pd.NA if value is None else value
    return _with(inventory, client_id, sessions=sessions)


# --------------------------------------------------------------------------- the file


@pytest.mark.parametrize("audience", ["client", "clinician"])
def test_written_file_is_self_contained(samples: Inventory, tmp_path: Path, audience: str) -> None:
    path = write_report(samples, "grief-01", tmp_path / "report.html", audience=audience)  # type: ignore[arg-type]
    raw, page = _open(path)
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for _, attrs in page.tags:
        assert "src" not in attrs and "href" not in attrs
    assert "url(" not in raw and "@import" not in raw
    # The only address is the SVG namespace, which is never fetched.
    assert set(re.findall(r"https?://[^\s\"']+", raw)) == {"http://www.w3.org/2000/svg"}
    assert '<meta charset="utf-8">' in raw and "@media print" in raw
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_unknown_audience_is_refused(samples: Inventory) -> None:
    with pytest.raises(ReportError, match="unknown report audience 'family'") as info:
        render_report(samples, "grief-01", audience="family")  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_report_content_for_grief_client(samples: Inventory, tmp_path: Path) -> None:
    raw, page = _open(write_report(samples, "grief-01", tmp_path / "r.html"))
    text = " ".join(page.text)
    first, last = _first_last(samples, "grief-01")
    scores = measure_table(samples, "grief-01")
    day = dict(zip(scores["session"], scores["date"], strict=True))
    assert f"Session {first} ({day[first]})" in text and f"Session {last} ({day[last]})" in text
    # two maps and the chart
    assert sum(tag == "svg" and a.get("role") == "img" for tag, a in page.tags) == 3
    labels = person_labels(samples, "grief-01")
    before, after = _state(samples, "grief-01", first), _state(samples, "grief-01", last)
    dead = _dead_by_the_end(samples, "grief-01")
    closer = [p for p in after if p in before and after[p][0] < before[p][0] and p not in dead]
    gone = [p for p in before if p not in after and p not in dead]
    new = [p for p in after if p not in before and p not in dead]
    assert closer and gone and new  # the sample is written to show all three
    assert "Moved closer" in text and "No longer on the map" in text and "New on the map" in text
    for p in closer:
        ring0, ring1 = RING_WORDS[before[p][0]], RING_WORDS[after[p][0]]
        assert f"{labels[p]}: from the {ring0} circle to the {ring1} circle" in text
    assert all(labels[p] in text for p in gone + new)
    given = scores.dropna(subset=["phq9_total"])
    t0, t1 = int(given["phq9_total"].iloc[0]), int(given["phq9_total"].iloc[-1])
    s0, s1 = int(given["session"].iloc[0]), int(given["session"].iloc[-1])
    assert f"At session {s0} your score was {t0}; at session {s1} it was {t1}." in text
    no_score = scores.loc[scores["phq9_total"].isna(), "session"].tolist()
    assert no_score and f"There is no score for session {no_score[0]}" in text
    assert "With Ruth: something to try between sessions (sessions 3 and 8)" in text
    assert "GAD-7" in text and "Looking ahead" in text


def test_focus_and_communication_work(samples: Inventory) -> None:
    page = render_report(samples, "dispute-01")
    assert "<strong>a disagreement with someone important</strong>, chosen together at" in page
    assert (
        "With Sarah: looking back at a conversation (session 4), practicing a conversation "
        "(session 4) and something to try between sessions (sessions 7 and 11)"
    ) in _text(page)


def test_no_focus_recorded(samples: Inventory) -> None:
    clients = samples.for_clients(["deficits-01"]).clients.copy()
    clients["focus"] = None
    page = render_report(_with(samples, "deficits-01", clients=clients), "deficits-01")
    assert "No focus was recorded." in page


# --------------------------------------------------------------------------- the client's copy


@pytest.mark.parametrize("client_id", ["grief-01", "dispute-01", "transition-01", "deficits-01"])
def test_client_report_names_no_flag_and_no_band(samples: Inventory, client_id: str) -> None:
    page = render_report(samples, client_id)
    assert _words_in(page, _FLAG_WORDS) == []
    assert _words_in(page, _BAND_WORDS) == []
    assert "Clinical appendix" not in page and 'role="alert"' not in page


def test_flagged_client_reads_the_calm_line_and_nothing_else(samples: Inventory) -> None:
    flag = safety_flag(samples, "grief-01")
    assert flag is not None  # grief-01 answered item 9 above 0: the case that matters
    page = render_report(samples, "grief-01")
    assert client_crisis_line(None) in _text(page)
    # nothing of the clinician's banner leaks into the client's copy
    for line in flag.banner(region("us")).splitlines():
        assert line not in page


def test_every_client_reads_the_same_calm_line(samples: Inventory) -> None:
    flagged = {c for c in samples.client_ids() if safety_flag(samples, c) is not None}
    assert flagged and set(samples.client_ids()) - flagged  # both kinds of client are tested
    calm = client_crisis_line(None)
    endings = set()
    for client_id in samples.client_ids():
        page = render_report(samples, client_id)
        assert calm in _text(page)
        endings.add(page[page.index("class='care'") :].split("</p>")[0])
    assert len(endings) == 1  # word for word the same, flagged or not


#: The termination record's columns of the clients table.
_ENDING = ("gains", "warning_signs", "who_to_turn_to", "maintenance")


def _without_ending(inventory: Inventory, client_id: str) -> Inventory:
    """One client's inventory with nothing recorded at the ending."""
    clients = inventory.for_clients([client_id]).clients.copy()
    for column in _ENDING:
        clients[column] = pd.array([pd.NA], dtype="string")
    return _with(inventory, client_id, clients=clients)


def _looking_ahead(page: str) -> str:
    start = page.index("<h2>Looking ahead</h2>")
    return _text(page[start : page.index("</section>", start)])


def _fallback_people(page: str) -> list[str]:
    """The names the fallback "Who to turn to" lists, in order."""
    ahead = _looking_ahead(page)
    listed = ahead.split("closest to you on your last map: ")[1].split(" Your doctor")[0]
    return re.split(r", | and ", listed.removesuffix("."))


def test_looking_ahead_has_signs_people_and_the_line(samples: Inventory) -> None:
    # nothing recorded at the ending: the general signs, and the people closest on the map
    samples = _without_ending(samples, "grief-01")
    page = render_report(samples, "grief-01")
    ahead = _looking_ahead(page)
    assert "Warning signs to watch" in ahead and "Who to turn to" in ahead
    dead = _dead_by_the_end(samples, "grief-01")
    last = _first_last(samples, "grief-01")[1]
    after = _state(samples, "grief-01", last)
    people = samples.people[samples.people["client_id"] == "grief-01"]
    names = dict(zip(people["person_id"], people["name"], strict=True))
    inner = {str(names[p]) for p, (ring, c) in after.items() if ring == 1 and c < 3} - set(
        dead.values()
    )
    listed = _fallback_people(page)
    assert inner and set(listed[: len(inner)]) == inner  # the inner circle first
    assert len(listed) == 5  # grief-01 has more people in the inner and middle circles
    assert not set(listed) & set(dead.values())  # nobody who died is someone to call
    assert ahead.rstrip().endswith(client_crisis_line(None))


def test_fallback_people_leave_out_high_conflict_and_stay_short(samples: Inventory) -> None:
    samples = _without_ending(samples, "grief-01")
    last = _first_last(samples, "grief-01")[1]
    rel = samples.for_clients(["grief-01"]).relationships.copy()
    at_last = rel["session"] == last
    rel.loc[at_last, "ring"] = 1  # everyone in the inner circle ...
    rel.loc[at_last, "conflict"] = 0
    most = rel.loc[at_last].sort_values("support")["person_id"].iloc[-1]
    rel.loc[at_last & (rel["person_id"] == most), "conflict"] = 3  # ... the closest in conflict
    page = render_report(_with(samples, "grief-01", relationships=rel), "grief-01")
    people = samples.people[samples.people["client_id"] == "grief-01"]
    name = dict(zip(people["person_id"], people["name"], strict=True))
    listed = _fallback_people(page)
    assert at_last.sum() > 6 and len(listed) == 5
    assert name[most] not in listed
    assert not set(listed) & set(_dead_by_the_end(samples, "grief-01").values())


def test_no_doubled_full_stops(samples: Inventory) -> None:
    people = samples.people.copy()
    first = people["client_id"] == "deficits-01"
    inner = _state(samples, "deficits-01", _first_last(samples, "deficits-01")[1])
    closest = next(p for p, (ring, conflict) in inner.items() if ring < 3 and conflict < 3)
    people.loc[first & (people["person_id"] == closest), "name"] = "Maren U."
    plain = _without_ending(_with(samples, "deficits-01", people=people), "deficits-01")
    page = _text(render_report(plain, "deficits-01"))
    assert "Maren U." in page and "Maren U.." not in page
    for client_id in samples.client_ids():
        for inventory in (samples, _without_ending(samples, client_id)):
            text = _text(render_report(inventory, client_id))
            assert not re.search(r"(?<!\.)\.\.(?!\.)", text), client_id


def test_client_report_uses_lay_words_for_the_focus(samples: Inventory) -> None:
    for client_id in samples.client_ids():
        focus = str(samples.clients.set_index("client_id").loc[client_id, "focus"])
        page = render_report(samples, client_id)
        assert f"<strong>{CLIENT_AREA_WORDS[focus]}</strong>" in page
        assert AREA_TITLES[focus] not in _text(page)
    clients = samples.for_clients(["transition-01"]).clients.copy()
    clients["focus"] = "role_transition;grief"
    page = render_report(_with(samples, "transition-01", clients=clients), "transition-01")
    assert "<strong>a big change in life and coping with a loss</strong>" in page


def test_response_is_said_in_words(samples: Inventory) -> None:
    # dispute-01 falls from 16 to 8: a response. Before issue 9 the report was silent.
    last = measure_table(samples, "dispute-01").dropna(subset=["phq9_total"]).iloc[-1]
    assert bool(last["phq9_response"]) and not bool(last["phq9_remission"])
    text = _text(render_report(samples, "dispute-01"))
    assert "come down by half or more since the start" in text
    assert "what is called a response to treatment" in text
    assert "remission" not in text and "not helped enough" not in text


def _phq9_at_last(inventory: Inventory, client_id: str, items: list[int]) -> Inventory:
    """The client's latest session given these nine PHQ-9 answers."""
    return _phq9_at(inventory, client_id, _first_last(inventory, client_id)[1], list(items))


def test_remission_is_said_in_words(samples: Inventory) -> None:
    text = _text(render_report(_phq9_at_last(samples, "grief-01", [0] * 8 + [0]), "grief-01"))
    assert "latest score is below 5" in text and "what is called remission" in text
    assert "response to treatment" in text  # 19 to 0 is a response too


def test_no_improvement_is_said_kindly(samples: Inventory) -> None:
    scores = measure_table(samples, "dispute-01").dropna(subset=["phq9_total"])
    s = samples.sessions
    first = s[(s["client_id"] == "dispute-01") & (s["session"] == scores["session"].iloc[0])]
    same = [int(first[c].iloc[0]) for c in PHQ9_ITEMS]
    worse = [min(v + 1, 3) for v in same]
    for items in (same, worse):
        text = _text(render_report(_phq9_at_last(samples, "dispute-01", items), "dispute-01"))
        assert "Your score has not come down over our sessions." in text
        assert "this treatment has not helped enough yet" in text
        assert "that is not your failure" in text
        assert "other options to discuss with your therapist or doctor" in text
        assert "response to treatment" not in text and "remission" not in text
        assert "lower than at the start" not in text


def test_some_improvement_without_response_is_said_kindly(samples: Inventory) -> None:
    # deficits-01 falls from 14 to 8: down, but less than half.
    last = measure_table(samples, "deficits-01").dropna(subset=["phq9_total"]).iloc[-1]
    assert not bool(last["phq9_response"]) and int(last["phq9_change"]) < 0
    text = _text(render_report(samples, "deficits-01"))
    assert "Your score has come down, but not as far as we hoped." in text
    assert "not helped enough yet" in text and "not your failure" in text


def test_someone_who_died_is_spoken_of_with_care(samples: Inventory) -> None:
    first, last = _first_last(samples, "grief-01")
    before, after = _state(samples, "grief-01", first), _state(samples, "grief-01", last)
    dead = _dead_by_the_end(samples, "grief-01")
    risen = [p for p in dead if p in before and p in after and after[p][1] > before[p][1]]
    assert risen  # the sample's late husband: conflict recorded as rising while she mourns
    labels = person_labels(samples, "grief-01")
    page = render_report(samples, "grief-01")
    text = _text(page)
    for p in risen:
        assert f"You talked about the harder feelings about {dead[p]} too." in text
        assert f"Remembering {dead[p]}" in text
        assert f"{labels[p]}: conflict from" not in text
    living = [p for p in after if p in before and p not in dead and after[p][1] > before[p][1]]
    assert ("More conflict" in text) == bool(living)


@pytest.mark.parametrize("died", ["never", "after the last session"])
def test_conflict_with_the_living_is_still_called_conflict(samples: Inventory, died: str) -> None:
    dead = _dead_by_the_end(samples, "grief-01")
    last = _first_last(samples, "grief-01")[1]
    s = samples.sessions
    last_day = date.fromisoformat(
        str(s.loc[(s["client_id"] == "grief-01") & (s["session"] == last), "date"].iloc[0])
    )
    people = samples.for_clients(["grief-01"]).people.copy()
    later = (last_day + timedelta(days=1)).isoformat() if died != "never" else pd.NA
    people.loc[people["person_id"].isin(list(dead)), "deceased_date"] = later
    text = _text(render_report(_with(samples, "grief-01", people=people), "grief-01"))
    assert "More conflict" in text and "harder feelings" not in text


def test_someone_who_died_and_left_the_map_is_not_listed_as_gone(samples: Inventory) -> None:
    dead = _dead_by_the_end(samples, "grief-01")
    last = _first_last(samples, "grief-01")[1]
    r = samples.for_clients(["grief-01"]).relationships
    kept = r[~((r["session"] == last) & r["person_id"].isin(list(dead)))]
    page = render_report(_with(samples, "grief-01", relationships=kept), "grief-01")
    text = _text(page)
    listed = re.search(r"<h3>No longer on the map</h3><ul>(.*?)</ul>", page)
    gone = listed.group(1) if listed else ""
    labels = person_labels(samples, "grief-01")
    for p, name in dead.items():
        assert labels[p] not in gone
        assert f"{name} is not on your last map" in text and "not mean forgetting" in text


# --------------------------------------------------------------------------- the clinician's copy


def test_clinician_report_is_the_client_report_plus_an_appendix(samples: Inventory) -> None:
    client = render_report(samples, "grief-01")
    clinician = render_report(samples, "grief-01", audience="clinician")
    body = client[client.index("<h1>") : client.index("</body>")]
    assert body in clinician
    appendix = clinician[clinician.index("Clinical appendix") :]
    assert clinician.index("Looking ahead") < clinician.index("Clinical appendix")
    flag = safety_flag(samples, "grief-01")
    assert flag is not None
    for line in flag.banner(region("us")).splitlines():
        assert line.replace("'", "&#x27;") in appendix
    assert 'class="flag"' in appendix
    # the PHQ-9 as the clinician views word it, bands included, in the table and on the chart
    table = phq9_text_table(measure_table(samples, "grief-01"))
    for row in table.itertuples(index=False):
        assert "".join(f"<td>{html.escape(str(v))}</td>" for v in row) in appendix
    assert f"<td>{PHQ9_BANDS.band(int(table['PHQ-9'].iloc[0]))}</td>" in appendix
    assert "minimal (0-4)" in appendix
    assert all(
        line in _text(appendix) for line in other_measures_lines(measure_table(samples, "grief-01"))
    )
    # the problem-area evidence as the CLI prints it
    lines = rank_problem_areas(samples, "grief-01").lines()
    text = _text(appendix)
    assert all(line.strip() in text for line in lines if line.strip())


def test_clinician_report_without_flag_gives_the_lines(samples: Inventory) -> None:
    assert safety_flag(samples, "dispute-01") is None
    page = render_report(samples, "dispute-01", audience="clinician")
    appendix = page[page.index("Clinical appendix") :]
    assert 'class="flag"' not in page and region("us").summary() in _text(appendix)
    assert "low risk" not in page.lower() and "no risk" not in page.lower()


def test_appendix_shows_lsns6_subscales_and_licensed_bands(samples: Inventory) -> None:
    page = render_report(samples, "deficits-01", audience="clinician")
    scores = measure_table(samples, "deficits-01")
    row = scores.dropna(subset=["lsns6_total"]).iloc[0]
    appendix = _text(page[page.index("Clinical appendix") :])
    assert f"family {int(row['lsns6_family'])}, friends {int(row['lsns6_friends'])}" in appendix
    assert all(line in appendix for line in other_measures_lines(scores))
    epds = measure_table(samples, "transition-01").dropna(subset=["epds_total"]).iloc[0]
    page = render_report(samples, "transition-01", audience="clinician")
    assert f"EPDS {int(epds['epds_total'])} ({epds['epds_band']})" in _text(page)
    client = render_report(samples, "transition-01")
    assert str(epds["epds_band"]) not in client


def test_prorated_and_incomplete_totals_are_marked(samples: Inventory) -> None:
    first, last = _first_last(samples, "dispute-01")
    middle = (first + last) // 2
    s = samples.sessions
    row = s[(s["client_id"] == "dispute-01") & (s["session"] == middle)].iloc[0]
    given = [int(row[c]) for c in PHQ9_ITEMS]
    one_blank = _phq9_at(samples, "dispute-01", middle, [None, *given[1:]])
    scores = measure_table(one_blank, "dispute-01")
    total = int(scores.loc[scores["session"] == middle, "phq9_total"].iloc[0])
    assert bool(scores.loc[scores["session"] == middle, "phq9_prorated"].iloc[0])
    clinician = render_report(one_blank, "dispute-01", audience="clinician")
    assert f"<td>{total} (prorated)</td>" in clinician and f">{total}*<" in clinician
    client = render_report(one_blank, "dispute-01")
    assert f">{total}*<" in client and "(estimated from the questions you answered)" not in client
    assert "prorated" not in client
    # the first or the latest score, prorated, is said to be an estimate in the words
    latest = _phq9_at(samples, "dispute-01", last, [None, *([1] * 8)])
    text = _text(render_report(latest, "dispute-01"))
    assert "estimated from the questions you answered" in text
    three_blank = _phq9_at(samples, "dispute-01", middle, [None, None, None, *given[3:]])
    clinician = render_report(three_blank, "dispute-01", audience="clinician")
    assert "<td>incomplete</td>" in clinician
    assert f"There is no score for session {middle}" in _text(
        render_report(three_blank, "dispute-01")
    )


def test_client_report_does_not_tell_whether_item_9_was_answered(samples: Inventory) -> None:
    assert safety_flag(samples, "dispute-01") is None
    last = _first_last(samples, "dispute-01")[1]
    blank = _phq9_at(samples, "dispute-01", last - 1, [None] * 9)
    only_item_9 = _phq9_at(samples, "dispute-01", last - 1, [None] * 8 + [2])
    assert safety_flag(only_item_9, "dispute-01") is not None
    assert render_report(blank, "dispute-01") == render_report(only_item_9, "dispute-01")
    clinician = render_report(only_item_9, "dispute-01", audience="clinician")
    assert 'class="flag"' in clinician and "more than half the days" in clinician


@pytest.mark.parametrize("audience", ["client", "clinician"])
def test_region_sets_the_crisis_lines(samples: Inventory, audience: str) -> None:
    uk = region("uk")
    page = render_report(samples, "grief-01", audience=audience, region=uk)  # type: ignore[arg-type]
    assert "Samaritans" in page and "116 123" in page and "988" not in page
    assert client_crisis_line(uk) in _text(page)


# --------------------------------------------------------------------------- pictures


def test_conflict_drawn_by_line_style(samples: Inventory) -> None:
    page = render_report(samples, "dispute-01")
    first_map = page.split("<figure>")[1]
    first = _first_last(samples, "dispute-01")[0]
    heavy = sum(c >= 3 for _, c in _state(samples, "dispute-01", first).values())
    assert heavy and first_map.count('stroke-width="3.2" stroke-dasharray="9 4"') == heavy


def test_names_are_escaped() -> None:
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


def test_client_chart_names_no_band() -> None:
    svg = phq9_chart_svg([1, 2, 3, 4], [20, 15, None, 9], bands=False)
    assert svg.count("<polyline") == 2 and ">20<" in svg
    assert _words_in(svg, _BAND_WORDS) == []


def test_unknown_client(samples: Inventory) -> None:
    with pytest.raises(ClientNotFound):
        render_report(samples, "nobody")


# ------------------------------------------------------------------------ the work and the ending

#: Clinical words of the middle-phase work that the client's copy never uses.
_WORK_JARGON = (
    "impasse",
    "renegotiation",
    "dissolution",
    "dispute stage",
    "formulation",
    "extension",
    "maintenance",
    "re-engagement",
    "middle-phase",
    "goal",
)


def test_client_report_looks_ahead_with_the_recorded_ending(samples: Inventory) -> None:
    for client_id in samples.client_ids():
        row = samples.clients.set_index("client_id").loc[client_id]
        page = render_report(samples, client_id)
        ahead = _looking_ahead(page)
        signs = ahead.split("Warning signs to watch")[1].split("Who to turn to")[0]
        people = ahead.split("Who to turn to")[1]
        for sign in str(row["warning_signs"]).rstrip(".").split(";"):  # one item each
            assert f"{sign.strip()[:1].upper()}{sign.strip()[1:]}." in signs
        for who in str(row["who_to_turn_to"]).rstrip(".").split(";"):
            assert f"{who.strip()[:1].upper()}{who.strip()[1:]}." in people
        assert html.escape(str(row["gains"]), quote=True) in page  # credited to the client
        assert "What you achieved" in ahead
        assert "Sleep changing" not in ahead  # the general signs give way to the recorded ones
        assert ahead.rstrip().endswith(client_crisis_line(None))  # the calm line stays
        formulation = html.escape(str(row["formulation"]), quote=True)
        assert "How we understood it together" in page and formulation in page
        words = _text(page).lower()
        assert not [w for w in _WORK_JARGON if w in words], client_id


def test_client_report_keeps_todays_text_without_an_ending(samples: Inventory) -> None:
    page = render_report(_without_ending(samples, "dispute-01"), "dispute-01")
    ahead = _looking_ahead(page)
    assert "Sleep changing" in ahead and "What you achieved" not in ahead
    assert "My own early signs" in ahead and "closest to you on your last map" in ahead


def test_clinician_appendix_shows_the_work(samples: Inventory) -> None:
    expected = {
        "dispute-01": (
            "Dispute stage (clinician's call): impasse at sessions 3-5, renegotiation at 6-16",
            "Sarah, session 4: the client expects",
            "Agree on evenings at home: achieved at session 14",
            "Skills practiced: making a request clearly ×2",
            "Communication analysis, session 4, Sarah",
        ),
        "grief-01": (
            "Re-engagement after Frank's death: Pastor Helen (session 5)",
            "Session 4, Frank: memories: The day they met",
            "Maintenance: maintenance contract agreed",
        ),
        "transition-01": ("Session 4: from “Project coordinator in Philadelphia”",),
    }
    for client_id, lines in expected.items():
        page = render_report(samples, client_id, audience="clinician")
        appendix = _text(page[page.index("Clinical appendix") :])
        assert "Middle-phase work" in appendix
        for line in lines:
            assert line in appendix, line
        client = _text(render_report(samples, client_id))
        assert not any(line in client for line in lines)


def test_clinician_appendix_draws_the_dispute_stage_by_session(samples: Inventory) -> None:
    page = render_report(samples, "dispute-01", audience="clinician")
    start = page.index("<title>Dispute stage by session</title>")
    strip = page[start : page.index("</svg>", start)]
    s = samples.sessions[samples.sessions["client_id"] == "dispute-01"]
    stages = s["dispute_stage"].dropna().astype(str)
    assert strip.count("<rect") == len(s)  # a cell per session
    assert strip.count(">I</text>") == (stages == "impasse").sum() == 3
    assert strip.count(">R</text>") == (stages == "renegotiation").sum() == 11
    assert strip.count('stroke-dasharray="3 2"') == len(s) - len(stages)  # not recorded
    assert "Dispute stage by session" not in render_report(samples, "dispute-01")
    assert "Dispute stage by session" not in render_report(
        samples, "grief-01", audience="clinician"
    )


def _worked_on(page: str) -> str:
    start = page.index("<h2>What we worked on</h2>")
    return _text(page[start : page.index("</section>", start)])


@pytest.mark.parametrize("client_id", ["grief-01", "dispute-01", "transition-01", "deficits-01"])
def test_client_report_says_the_work_in_client_words(samples: Inventory, client_id: str) -> None:
    page = render_report(samples, client_id)
    text, worked = _text(page), _worked_on(page)
    labels = [*COMMUNICATION_WORDS.values(), "role play", "analysis", "task"]
    assert not [w for w in labels if w in text.lower()]  # no therapy label anywhere
    assert not [w for w in OUTCOME_WORDS.values() if w in worked]  # and no outcome
    work = samples.communication[samples.communication["client_id"] == client_id]
    notes = ("planned", "happened", "said", "meant", "breakdown")
    free = [str(v) for column in notes for v in work[column].dropna()]
    assert free and not [v for v in free if v in text]  # no clinician note quoted
    kinds = {CLIENT_WORK_WORDS[str(k)] for k in work["kind"]}
    assert all(k in worked for k in kinds) and "With " in worked
    # the clinician copy keeps the notes and the outcomes, in its appendix
    clinician = _text(render_report(samples, client_id, audience="clinician"))
    appendix = clinician[clinician.index("Clinical appendix") :]
    assert all(str(v) in appendix for v in work["planned"].dropna())
    assert "Communication work, item by item" in appendix


@pytest.mark.parametrize("client_id", ["grief-01", "dispute-01", "transition-01", "deficits-01"])
def test_client_report_shows_the_goals_in_plain_words(samples: Inventory, client_id: str) -> None:
    worked = _worked_on(render_report(samples, client_id))
    goals = samples.goals[samples.goals["client_id"] == client_id].sort_values("session")
    latest = goals.groupby("goal_id").last()
    assert len(latest) >= 2 and "What you set out to do" in worked
    for text, status in zip(latest["goal"], latest["status"], strict=True):
        assert f"{text} ({CLIENT_GOAL_WORDS[str(status)]})" in worked
    assert not [w for w in ("in_progress", "not_started", "achieved") if w in worked]


def test_client_report_shows_the_loss_work_without_notes(samples: Inventory) -> None:
    worked = _worked_on(render_report(samples, "grief-01"))
    assert (
        "New people in your life since Frank died: Pastor Helen, Thursday group at "
        "Glenwood Methodist and Dorothy."
    ) in worked
    grief = samples.grief_work[samples.grief_work["client_id"] == "grief-01"]
    sessions = [str(s) for s in grief.dropna(subset=["memories"])["session"]]
    assert f"your memories of Frank at sessions {', '.join(sessions[:-1])} and {sessions[-1]}" in (
        worked
    )
    assert not [m for m in grief["memories"].dropna() if str(m) in worked]
    assert "New people in your life" not in _worked_on(render_report(samples, "dispute-01"))
