"""The cohort page: its read model against a hand computation, its filters, figures and callback."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pytest
from dash import html
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.app import create_app
from dashboards.callbacks.cohort import _scatter_note, cohort_outputs
from dashboards.components import component_text
from ipt_network.errors import BadArgument
from ipt_network.io.contract import PHQ9_ITEMS
from ipt_network.io.inventory import Inventory
from ipt_network.io.store import Store
from ipt_network.io.synth import synthesize
from ipt_network.research.cohort import (
    AREAS,
    CHANGES,
    COURSE_LENGTHS,
    EPISODES,
    cohort_base,
    cohort_view,
    course_length,
    forget_bases,
    stored_base,
)
from ipt_network.views.figures import (
    AREA_STYLES,
    cohort_change_figure,
    cohort_course_figure,
    cohort_scatter_figure,
)

EVERY: Final = (list(AREAS), list(EPISODES), list(COURSE_LENGTHS))


# --------------------------------------------------------------------------- a hand-made cohort


def _phq(*items: int | None) -> dict[str, Any]:
    return dict(zip(PHQ9_ITEMS, items, strict=True))


def hand_inventory() -> Inventory:
    """Four clients with the awkward cases: prorating, an empty first map, one session, none."""
    clients = pd.DataFrame(
        {
            "client_id": ["a", "b", "c", "d"],
            "label": ["Alice", "Bob", "Cleo", "Dan"],
            "focus": ["grief", "role_dispute;grief", None, "role_transition"],
            "episode": ["single", None, "chronic", "recurrent"],
        }
    )
    blank = _phq(*[None] * 9)
    sessions = [
        {"client_id": "a", "session": 1, **_phq(*[2] * 9)},  # 18
        {"client_id": "a", "session": 2, **_phq(*[1] * 8, None)},  # 8 answered: 9 prorated
        {"client_id": "a", "session": 3, **_phq(*[3] * 6, None, None, None)},  # no total
        *({"client_id": "b", "session": s, **blank} for s in range(1, 10)),
        {"client_id": "c", "session": 1, **_phq(*[1] * 9)},
    ]
    sessions[7].update(_phq(*[3] * 9))  # b's session 5: its only total
    relationships = pd.DataFrame(
        [
            ("a", 1, "p1", 1, 0, 4),
            ("a", 1, "p2", 3, 2, 0),
            ("a", 2, "p1", 1, 0, 3),
            ("a", 3, "p1", 2, 1, 2),
            ("a", 3, "p3", 1, 0, 3),
            ("a", 3, "p4", 2, 0, 4),
            ("b", 4, "q1", 2, 0, 1),
            ("b", 9, "q1", 3, 0, 2),
            ("b", 9, "q2", 1, 3, 4),
            ("c", 1, "r1", 1, 0, 2),
        ],
        columns=["client_id", "session", "person_id", "ring", "conflict", "support"],
    )
    frame = pd.DataFrame(sessions)
    frame[list(PHQ9_ITEMS)] = frame[list(PHQ9_ITEMS)].astype("Int64")
    return Inventory.from_tables(
        {"clients": clients, "sessions": frame, "relationships": relationships}
    )


def hand_total(items: list[Any]) -> int | None:
    """A PHQ-9 total by hand: the sum, scaled up to nine items when one or two are missing."""
    given = [int(v) for v in items if not pd.isna(v)]
    if len(given) < 7:
        return None
    return math.floor(sum(given) * 9 / len(given) + 0.5)


def hand_rows(inv: Inventory) -> dict[str, dict[str, Any]]:
    """Every client's row of the cohort table, computed with sets and plain Python."""
    out = {}
    for client in inv.clients.itertuples(index=False):
        sessions = inv.sessions[inv.sessions["client_id"] == client.client_id]
        if sessions.empty:
            continue
        numbers = sorted(int(s) for s in sessions["session"])
        totals = [
            t
            for _, row in sessions.sort_values("session").iterrows()
            if (t := hand_total([row[c] for c in PHQ9_ITEMS])) is not None
        ]
        rel = inv.relationships[inv.relationships["client_id"] == client.client_id]

        def at(session: int, rel: pd.DataFrame = rel) -> pd.DataFrame:
            return rel[rel["session"] == session]

        first, last = at(numbers[0]), at(numbers[-1])
        two = len(numbers) > 1
        people_first, people_last = set(first["person_id"]), set(last["person_id"])

        def mean(values: list[float]) -> float:
            return statistics.fmean(values) if values else math.nan

        support = [mean(list(m["support"])) for m in (first, last)]
        closeness = [mean([4 - r for r in m["ring"]]) for m in (first, last)]
        focus = client.focus if isinstance(client.focus, str) else ""
        areas = [a for a in focus.split(";") if a]
        n = len(numbers)
        out[client.client_id] = {
            "area": "none" if not areas else areas[0] if len(areas) == 1 else "several",
            "episode": client.episode if isinstance(client.episode, str) else "unknown",
            "sessions": n,
            "course_length": "up_to_8"
            if n <= 8
            else "9_to_12"
            if n <= 12
            else "13_to_16"
            if n <= 16
            else "over_16",
            "phq9_first": totals[0] if totals else None,
            "phq9_last": totals[-1] if totals else None,
            "phq9_change": totals[-1] - totals[0] if len(totals) >= 2 else None,
            "n_people_first": len(people_first),
            "n_people_last": len(people_last),
            "added": len(people_last - people_first) if two else None,
            "lost": len(people_first - people_last) if two else None,
            "support_change": support[1] - support[0] if two else math.nan,
            "closeness_change": closeness[1] - closeness[0] if two else math.nan,
        }
    return out


def same(got: Any, want: Any) -> bool:
    if want is None:
        return bool(pd.isna(got))
    if isinstance(want, float):
        return (math.isnan(want) and bool(pd.isna(got))) or math.isclose(float(got), want)
    return bool(got == want)


def check_rows(inv: Inventory) -> None:
    view = cohort_view(inv)
    want = hand_rows(inv)
    got = view.clients.set_index("client_id")
    assert sorted(got.index) == sorted(want)
    for client, row in want.items():
        for column, value in row.items():
            assert same(got.loc[client, column], value), (client, column, got.loc[client, column])


def test_the_hand_made_cohort_matches_a_hand_computation() -> None:
    inv = hand_inventory()
    check_rows(inv)
    view = cohort_view(inv)
    rows = view.clients.set_index("client_id")
    # the numbers written out, so the hand computation cannot share a mistake with the model
    assert (rows.loc["a", "phq9_first"], rows.loc["a", "phq9_last"]) == (18, 9)
    assert (rows.loc["a", "added"], rows.loc["a", "lost"]) == (2, 1)
    assert rows.loc["a", "support_change"] == pytest.approx(3 - 2)
    assert rows.loc["a", "closeness_change"] == pytest.approx(7 / 3 - 2)
    assert rows.loc["b", "area"] == "several" and rows.loc["b", "episode"] == "unknown"
    assert rows.loc["b", "n_people_first"] == 0 and rows.loc["b", "added"] == 2
    assert pd.isna(rows.loc["b", "support_change"])  # an empty first map has no mean
    assert pd.isna(rows.loc["b", "phq9_change"])  # one total only
    assert pd.isna(rows.loc["c", "added"]) and rows.loc["c", "area"] == "none"
    assert view.n_total == 3 and view.n_not_started == 1  # d has no session


def test_a_synthetic_cohort_matches_the_hand_computation() -> None:
    check_rows(synthesize(40, seed=3))


def test_the_course_is_the_mean_and_sd_of_the_totals_by_area_and_session() -> None:
    inv = synthesize(40, seed=3)
    view = cohort_view(inv)
    area = {c: r["area"] for c, r in hand_rows(inv).items()}
    by: dict[tuple[str, int], list[int]] = {}
    for _, row in inv.sessions.iterrows():
        total = hand_total([row[c] for c in PHQ9_ITEMS])
        if total is not None:
            by.setdefault((area[row["client_id"]], int(row["session"])), []).append(total)
    course = view.course.set_index(["area", "session"])
    assert len(course) == len(by)
    for key, totals in by.items():
        assert course.loc[key, "n"] == len(totals)
        assert course.loc[key, "mean"] == pytest.approx(statistics.fmean(totals))
        if len(totals) > 1:
            assert course.loc[key, "sd"] == pytest.approx(statistics.stdev(totals))
    assert list(dict.fromkeys(view.course["area"])) == [a for a in AREAS if a in set(area.values())]


def test_the_bins_count_every_measured_change_once() -> None:
    view = cohort_view(synthesize(40, seed=3))
    for measure in CHANGES:
        measured = int(view.clients[measure].notna().sum())
        assert view.bins.loc[view.bins["measure"] == measure, "count"].sum() == measured
        summary = view.summary.set_index("measure").loc[measure]
        assert summary["n"] == measured
        values = view.clients[measure].dropna().astype(float)
        assert summary["median"] == pytest.approx(values.median())


# --------------------------------------------------------------------------- filters


def test_course_length_bands() -> None:
    assert [course_length(n) for n in (1, 8, 9, 12, 13, 16, 17)] == [
        "up_to_8",
        "up_to_8",
        "9_to_12",
        "9_to_12",
        "13_to_16",
        "13_to_16",
        "over_16",
    ]
    with pytest.raises(BadArgument):
        course_length(0)


def test_filters_keep_the_clients_they_name() -> None:
    inv = synthesize(60, seed=5)
    rows = pd.DataFrame.from_dict(hand_rows(inv), orient="index")
    base = cohort_base(inv)
    assert cohort_view(base).n_clients == len(rows) == 60
    for area in AREAS:
        assert cohort_view(base, areas=[area]).n_clients == int((rows["area"] == area).sum())
    for episode in EPISODES:
        got = cohort_view(base, episodes=[episode]).n_clients
        assert got == int((rows["episode"] == episode).sum())
    for band in COURSE_LENGTHS:
        got = cohort_view(base, course_lengths=[band]).n_clients
        assert got == int((rows["course_length"] == band).sum())
    both = cohort_view(base, areas=["grief", "several"], episodes=["chronic"])
    want = rows[rows["area"].isin(["grief", "several"]) & (rows["episode"] == "chronic")]
    assert sorted(both.clients["client_id"]) == sorted(want.index)
    assert set(both.course["area"]) <= {"grief", "several"}
    assert both.n_total == 60


def test_an_empty_filter_keeps_nobody_and_an_unknown_group_is_refused() -> None:
    base = cohort_base(hand_inventory())
    empty = cohort_view(base, episodes=[])
    assert empty.empty and empty.course.empty and empty.bins["count"].sum() == 0
    with pytest.raises(BadArgument, match="course length"):
        cohort_view(base, course_lengths=["forever"])


def test_the_store_is_read_once_per_revision(store_db: str) -> None:
    store = Store.create(store_db)
    store.import_inventory(synthesize(3, seed=2))
    forget_bases()
    base = stored_base(store)
    assert stored_base(store) is base
    store.set_setting("region", "uk")  # any write bumps the revision
    again = stored_base(store)
    assert again is not base and again.clients.equals(base.clients)
    store.close()


# --------------------------------------------------------------------------- figures


def test_area_styles_differ_in_colour_shape_and_dash() -> None:
    assert set(AREA_STYLES) == set(AREAS)
    for part in range(3):
        assert len({style[part] for style in AREA_STYLES.values()}) == len(AREAS)


def test_figures_have_titles_axes_and_ids_only_in_hover() -> None:
    view = cohort_view(hand_inventory())
    course = cohort_course_figure(view.course)
    assert course["layout"]["title"]["text"].startswith("PHQ-9 over the course")
    lines = [t for t in course["data"] if t.get("mode") == "lines+markers"]
    assert [t["name"] for t in lines] == [
        "Grief (1 client)",
        "Several areas (1 client)",
        "Not chosen yet (1 client)",
    ]
    assert all(
        t["marker"]["symbol"] == AREA_STYLES[a].symbol
        for t, a in zip(lines, ["grief", "several", "none"], strict=True)
    )
    change = cohort_change_figure(view.bins)
    assert [t["name"] for t in change["data"]] == [w for w, _ in CHANGES.values()]
    assert all(change["layout"][f"xaxis{k}"]["title"]["text"] for k in ("", "2", "3", "4"))
    scatter = cohort_scatter_figure(view.clients, "added")
    points = {h.split(": ")[0] for t in scatter["data"] for h in t["hovertext"]}
    assert points == {"a"}  # b has one PHQ-9 total, c one session: neither has both changes
    assert (
        scatter["layout"]["xaxis"]["title"]["text"] and scatter["layout"]["yaxis"]["title"]["text"]
    )
    with pytest.raises(BadArgument):
        cohort_scatter_figure(view.clients, "name")


def test_sd_bands_draw_no_markers_and_count_axes_tick_whole_clients() -> None:
    view = cohort_view(hand_inventory())
    bands = [t for t in cohort_course_figure(view.course)["data"] if t.get("fill") == "toself"]
    assert bands and all(t["mode"] == "lines" and "marker" not in t for t in bands)
    assert all(t["hoverinfo"] == "skip" for t in bands)
    layout = cohort_change_figure(view.bins)["layout"]
    counts = [layout[k] for k in layout if k.startswith("yaxis")]
    assert len(counts) == len(CHANGES)
    assert all(a["tickformat"] == "d" and a["dtick"] >= 1 for a in counts)


# --------------------------------------------------------------------------- the callback


@pytest.fixture
def cohort_store(store_db: str) -> Iterator[Store]:
    """Thirty synthetic clients in a store, on SQLite and on PostgreSQL (``store_db``)."""
    store = Store.create(store_db)
    store.import_inventory(synthesize(30, seed=7))
    forget_bases()
    yield store
    store.close()


def figures(out: Any) -> list[dict[str, Any]]:
    """The figures of the callback's cards: PHQ-9 course, network change, scatter."""
    return [card.children[0].figure for card in out.results if isinstance(card, html.Section)]


def test_the_callback_returns_the_figures_and_the_count(cohort_store: Store) -> None:
    out = cohort_outputs(cohort_store, *EVERY, "closeness_change")
    assert out.shown == "30 of 30 clients."
    assert [card.children[0].id for card in out.results] == [
        ids.COHORT_COURSE,
        ids.COHORT_CHANGE,
        ids.COHORT_SCATTER,
    ]
    course, change, scatter = figures(out)
    areas = set(cohort_base(cohort_store).clients["area"])
    assert len(course["data"]) == 2 * len(areas)  # a band and a mean line per area
    assert [t["type"] for t in change["data"]] == ["bar"] * 4
    assert {t["name"].split(" (")[0] for t in scatter["data"]} <= {AREAS[a] for a in areas}
    assert scatter["layout"]["title"]["text"].startswith("Change in mean closeness")
    tables = component_text([card.children[1] for card in out.results])
    assert "Change in mean closeness" in tables and "median PHQ-9 change" in tables
    fewer = cohort_outputs(cohort_store, ["grief"], list(EPISODES), list(COURSE_LENGTHS))
    n_grief = int((cohort_base(cohort_store).clients["area"] == "grief").sum())
    assert 0 < n_grief < 30 and fewer.shown == f"{n_grief} of 30 clients."
    assert {t["name"].split(" (")[0] for t in figures(fewer)[2]["data"]} == {"Grief"}


def test_a_note_counts_the_clients_the_scatter_leaves_out(cohort_store: Store) -> None:
    out = cohort_outputs(cohort_store, *EVERY)
    missing = int(cohort_base(cohort_store).clients["phq9_change"].isna().sum())
    assert missing == 0  # every synthetic client has two totals: no note
    assert not [c for c in out.results if isinstance(c, html.P)]
    assert len(figures(out)) == 3
    hand = cohort_view(hand_inventory())  # b has one PHQ-9 total, c one session
    assert _scatter_note(hand) == (
        "2 clients have fewer than two PHQ-9 totals and are not in this figure."
    )


def test_an_empty_selection_says_why_instead_of_empty_axes(cohort_store: Store) -> None:
    out = cohort_outputs(cohort_store, [], list(EPISODES), list(COURSE_LENGTHS))
    assert out.shown == "0 of 30 clients."
    [sentence] = out.results
    assert sentence.id == ids.COHORT_EMPTY
    assert sentence.children == "No client is shown: tick at least one box under Problem area."
    bands = set(cohort_base(cohort_store).clients["course_length"])
    unused = [band for band in COURSE_LENGTHS if band not in bands]
    assert unused  # synth's courses are 9 to 16 sessions long
    [nobody] = cohort_outputs(cohort_store, list(AREAS), list(EPISODES), unused).results
    assert nobody.children.startswith("No client matches these filters together")


def test_the_callback_checks_what_the_browser_sent(cohort_store: Store) -> None:
    with pytest.raises(PreventUpdate):
        cohort_outputs(cohort_store, "grief", list(EPISODES), list(COURSE_LENGTHS))
    odd = cohort_outputs(cohort_store, ["grief", 3, "x"], list(EPISODES), list(COURSE_LENGTHS), [1])
    plain = cohort_outputs(cohort_store, ["grief"], list(EPISODES), list(COURSE_LENGTHS))
    assert odd.shown == plain.shown  # unknown groups dropped, a bad measure is the default


def _post(client: Any, app: Any, values: list[Any]) -> str:
    output = next(k for k in app.callback_map if f"{ids.COHORT_COUNT}." in k)
    parts = output[2:-2].split("...")
    body = {
        "output": output,
        "outputs": [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts],
        "inputs": [
            {**dep, "value": v}
            for dep, v in zip(app.callback_map[output]["inputs"], values, strict=True)
        ],
        "changedPropIds": [f"{ids.COHORT_AREAS}.value"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def test_no_name_or_label_reaches_the_browser(tmp_path: Path, samples_once: Inventory) -> None:
    store = Store.create(tmp_path / "ipt.db")
    store.import_inventory(samples_once)
    forget_bases()
    app = create_app(store)
    client = app.server.test_client()
    text = _post(client, app, [*EVERY, "added"])
    assert json.loads(text)["response"][ids.COHORT_COUNT]["children"] == "4 of 4 clients."
    words = set(re.findall(r"[A-Za-z]+", text))
    for value in (*samples_once.people["name"], *samples_once.clients["label"]):
        for word in re.findall(r"[A-Z][a-z]{2,}", str(value)):  # every capitalised name part
            assert word not in words, word
    for client_id in samples_once.clients["client_id"]:
        assert client_id in text  # the points are named by id
    store.close()


def test_counts_of_people_are_spread_sideways_and_hover_the_true_count() -> None:
    """People added/lost: whole numbers would stack in columns; the hover keeps the true value."""
    from ipt_network.research.cohort import cohort_view
    from ipt_network.views.figures.cohort import cohort_scatter_figure

    view = cohort_view(synthesize(40, seed=3))
    for measure in ("added", "lost"):
        fig = cohort_scatter_figure(view.clients, measure)
        for trace in fig["data"]:
            drawn = np.asarray(trace["x"], dtype=float)
            true = np.array([float(h.rsplit(": ", 1)[1]) for h in trace["hovertext"]])
            assert np.all(np.abs(drawn - true) <= 0.3 + 1e-9)
        every = np.concatenate([np.asarray(t["x"], dtype=float) for t in fig["data"]])
        assert len(set(every.round(3))) > len(set(every.round(0)))  # not stacked on integers
        assert "spread sideways" in str(fig["layout"]["xaxis"]["title"])
    support = cohort_scatter_figure(view.clients, "support_change")
    assert all(":" not in h for t in support["data"] for h in t["hovertext"])  # id only
