"""Tests of ipt_network.clinical.measures: scoring, bands, bad values, the per-session table."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest

from ipt_network.clinical.measures import (
    BDI2_BANDS,
    EPDS_BANDS,
    GAD7_BANDS,
    HAMD17_BANDS,
    PHQ9_BANDS,
    PHQ9_DIFFICULTY_WORDS,
    Bands,
    MeasureError,
    gad7_band,
    gad7_total,
    licensed_total,
    lsns6_scores,
    measure_table,
    other_measures_lines,
    phq9_band,
    phq9_change,
    phq9_difficulty_words,
    phq9_item9_flag,
    phq9_reliable_change,
    phq9_remission,
    phq9_response,
    phq9_score,
    phq9_scores,
    phq9_text_table,
    phq9_total,
    phq9_total_text,
    phq9_totals,
    prorate,
)
from ipt_network.errors import ClientNotFound, IPTNetworkError
from ipt_network.io.contract import GAD7_ITEMS, LSNS6_ITEMS, PHQ9_ITEMS
from ipt_network.io.inventory import Inventory, empty_table


def test_measure_error_is_a_value_error_and_ours() -> None:
    assert issubclass(MeasureError, ValueError)
    assert issubclass(MeasureError, IPTNetworkError)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total: int, band: str) -> None:
    assert phq9_band(total) == band


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"), (21, "severe")],
)
def test_gad7_band_edges(total: int, band: str) -> None:
    assert gad7_band(total) == band


def test_phq9_total_sums_items() -> None:
    assert phq9_total([0, 1, 2, 3, 0, 1, 2, 3, 0]) == 12
    assert phq9_total(list(pd.array([3] * 9, dtype="Int64"))) == 27


def test_gad7_total_sums_items() -> None:
    assert gad7_total([3, 3, 3, 0, 0, 0, 1]) == 10


@pytest.mark.parametrize(
    ("baseline", "total", "response"),
    [
        (20, 10, True),
        (20, 11, False),
        (20, 0, True),
        (10, 5, True),  # a baseline of 10 is enough
        (10, 6, False),
        (9, 4, None),  # from 9, response is not measured, even after halving
        (9, 0, None),
        (0, 0, None),
    ],
)
def test_phq9_response_is_a_drop_of_at_least_half_from_10_or_more(
    baseline: int, total: int, response: bool | None
) -> None:
    assert phq9_response(baseline, total) is response


@pytest.mark.parametrize(
    ("baseline", "total", "reliable"),
    [(15, 9, True), (15, 10, False), (6, 0, True), (5, 0, False), (10, 16, False)],
)
def test_phq9_reliable_change_is_a_drop_of_6_or_more(
    baseline: int, total: int, reliable: bool
) -> None:
    assert phq9_reliable_change(baseline, total) is reliable


@pytest.mark.parametrize(
    ("items", "total", "prorated"),
    [
        ([2] * 9, 18, False),
        ([2] * 8 + [None], 18, True),  # one missing: 16 / 8 * 9 = 18
        ([None, 2, 2, 2, 2, 2, 2, 2, None], 18, True),  # two missing: 14 / 7 * 9 = 18
        ([None, None, None, 2, 2, 2, 2, 2, 2], None, False),  # three missing: no total
        ([None] * 8 + [2], None, False),
    ],
)
def test_phq9_prorates_with_1_or_2_missing_not_3(
    items: list[int | None], total: int | None, prorated: bool
) -> None:
    score = phq9_score(items)
    assert score.total == total
    assert score.prorated is prorated
    assert score.incomplete is (total is None)


@pytest.mark.parametrize(
    ("items", "total"),
    [
        ([1, 1, 1, 1, 0, 0, 0, 0, None], 5),  # 4 / 8 * 9 = 4.5: half up to 5, not to even 4
        ([2, 2, 2, 2, 1, 1, 1, 1, None], 14),  # 12 / 8 * 9 = 13.5: up to 14
        ([3, 3, 3, 3, 2, 2, 2, 2, None], 23),  # 20 / 8 * 9 = 22.5: up to 23
        ([1, 1, 1, 1, 1, 1, 1, 1, None], 9),  # 8 / 8 * 9 = 9 exactly
        ([2, 2, 2, 1, 1, 1, 1, 1, None], 12),  # 11 / 8 * 9 = 12.375: down to 12
        ([3, 3, 3, 3, 3, 3, 1, None, None], 24),  # 19 / 7 * 9 = 24.43: down to 24
        ([3, 3, 3, 3, 3, 3, 2, None, None], 26),  # 20 / 7 * 9 = 25.71: up to 26
    ],
)
def test_phq9_prorated_total_rounds_half_up(items: list[int | None], total: int) -> None:
    assert phq9_score(items).total == total
    answered = [v for v in items if v is not None]
    assert prorate(sum(answered), len(answered), 9) == total


def test_phq9_scores_vectorised_agrees_with_one_by_one() -> None:
    rows: list[list[int | None]] = [
        [2] * 9,
        [1, 1, 1, 1, 0, 0, 0, 0, None],
        [None, 3, 3, 3, 3, 3, 3, 1, None],
        [None, None, None, 2, 2, 2, 2, 2, 2],
        [None] * 8 + [3],
        [None] * 9,
    ]
    frame = pd.DataFrame(
        {c: pd.array([r[i] for r in rows], dtype="Int64") for i, c in enumerate(PHQ9_ITEMS)}
    )
    got = phq9_scores(frame)
    for i, items in enumerate(rows):
        one = phq9_score(items)
        assert (
            None if pd.isna(got.loc[i, "phq9_total"]) else got.loc[i, "phq9_total"]
        ) == one.total
        assert bool(got.loc[i, "phq9_prorated"]) is one.prorated
        assert bool(got.loc[i, "phq9_incomplete"]) is one.incomplete
        assert (
            None if pd.isna(got.loc[i, "phq9_item9"]) else got.loc[i, "phq9_item9"]
        ) == one.item9
    totals = [None if pd.isna(t) else int(t) for t in phq9_totals(frame)]
    assert totals == [18, 5, 24, None, None, None]


def test_phq9_total_text_marks_prorated_and_incomplete() -> None:
    assert phq9_total_text(14, True) == "14 (prorated)"
    assert phq9_total_text(14, False) == "14"
    assert phq9_total_text(pd.NA, pd.NA, True) == "incomplete"
    assert phq9_total_text(None) == "-"


def test_phq9_difficulty_in_words() -> None:
    assert [phq9_difficulty_words(v) for v in (0, 1, 2, 3)] == list(PHQ9_DIFFICULTY_WORDS)
    assert phq9_difficulty_words(pd.NA) == "not asked"
    with pytest.raises(MeasureError, match="difficulty"):
        phq9_difficulty_words(4)


def test_phq9_remission_is_below_five() -> None:
    assert [phq9_remission(t) for t in (0, 4, 5, 27)] == [True, True, False, False]


def test_phq9_change_is_signed() -> None:
    assert phq9_change(18, 6) == -12
    assert phq9_change(6, 9) == 3


def test_item9_flag_only_on_item_nine() -> None:
    assert phq9_item9_flag([0] * 8 + [2])
    assert not phq9_item9_flag([3] * 8 + [0])


def test_item9_flag_with_other_items_missing() -> None:
    assert phq9_item9_flag([None] * 8 + [1])
    assert phq9_item9_flag([None, 1, None, 2, None, None, None, None, 3])
    assert not phq9_item9_flag([3] * 8 + [None])  # not asked: no flag, and no statement either


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([0, 0, 4, 0, 0, 0, 0, 0, 0], "PHQ-9 item 3 is out of range: items are scored 0 to 3"),
        ([0, 0, 0, 0, -1, 0, 0, 0, 0], "PHQ-9 item 5 is out of range"),
        ([0, 0, 0, 0, 0, None, 0, 0, 0], "PHQ-9 item 6 is missing: all 9 items are needed"),
        ([0, 0, 0, 0, 0, 0, 0, pd.NA, 0], "PHQ-9 item 8 is missing"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 1.5], "PHQ-9 item 9 is out of range"),
        ([0] * 10, "PHQ-9 needs 9 items, not 10"),
    ],
)
def test_phq9_bad_items_refused(items: list[object], message: str) -> None:
    with pytest.raises(MeasureError, match=message):
        phq9_total(items)
    if "missing" not in message:  # partly filled is fine for phq9_score, a bad item is not
        with pytest.raises(MeasureError, match=message):
            phq9_score(items)


def test_partly_filled_phq9_still_refuses_a_bad_item() -> None:
    with pytest.raises(MeasureError, match="PHQ-9 item 9 is out of range"):
        phq9_score([None, 0, 0, 0, 0, 0, 0, 0, 4])


def test_bad_value_not_echoed_in_message() -> None:
    with pytest.raises(MeasureError) as info:
        gad7_total([0, 0, 0, 0, 0, 0, 7])
    assert "7" not in str(info.value).replace("GAD-7", "").replace("item 7", "")


def test_gad7_missing_item_refused() -> None:
    with pytest.raises(MeasureError, match="GAD-7 item 1 is missing"):
        gad7_total([None, 0, 0, 0, 0, 0, 0])


def test_lsns6_subscales_and_cutoff() -> None:
    s = lsns6_scores([5, 4, 3, 0, 1, 2])
    assert (s.family, s.friends, s.total) == (12, 3, 15)
    assert not s.isolated
    assert lsns6_scores([2, 2, 2, 2, 2, 1]).isolated  # 11 < 12
    assert not lsns6_scores([2, 2, 2, 2, 2, 2]).isolated  # 12 is not below 12


@pytest.mark.parametrize(
    ("items", "family_low", "friends_low"),
    [
        ([2, 2, 1, 5, 5, 5], True, False),  # family 5: below 6
        ([2, 2, 2, 5, 5, 5], False, False),  # family 6: not below 6
        ([5, 5, 5, 1, 2, 2], False, True),  # friends 5
        ([5, 5, 5, 2, 2, 2], False, False),  # friends 6
    ],
)
def test_lsns6_subscale_cutoff_is_below_6(
    items: list[int], family_low: bool, friends_low: bool
) -> None:
    s = lsns6_scores(items)
    assert (s.family_low, s.friends_low) == (family_low, friends_low)


def test_lsns6_item_six_refused() -> None:
    with pytest.raises(MeasureError, match="LSNS-6 item 1 is out of range"):
        lsns6_scores([6, 0, 0, 0, 0, 0])


@pytest.mark.parametrize(
    ("column", "total", "band"),
    [
        ("hamd17_total", 7, "normal"),
        ("hamd17_total", 8, "mild"),
        ("hamd17_total", 52, "very severe"),
        ("bdi2_total", 13, "minimal"),
        ("bdi2_total", 29, "severe"),
        ("epds_total", 9, "below 10"),
        ("epds_total", 13, "probable depression"),
    ],
)
def test_licensed_default_bands(column: str, total: int, band: str) -> None:
    assert licensed_total(column, total) == band


@pytest.mark.parametrize(
    ("column", "total"), [("hamd17_total", 53), ("bdi2_total", 64), ("epds_total", -1)]
)
def test_licensed_total_out_of_range_refused(column: str, total: int) -> None:
    with pytest.raises(MeasureError, match="total is out of range"):
        licensed_total(column, total)


def test_licensed_unknown_column_refused() -> None:
    with pytest.raises(MeasureError, match="unknown licensed total"):
        licensed_total("sas_total", 3)


def test_user_bands_replace_defaults() -> None:
    mine = Bands("EPDS", 30, ((0, "low score"), (12, "at or above 12")))
    assert licensed_total("epds_total", 11, {"epds_total": mine}) == "low score"
    assert licensed_total("epds_total", 12, {"epds_total": mine}) == "at or above 12"
    assert licensed_total("bdi2_total", 20, {"epds_total": mine}) == "moderate"


@pytest.mark.parametrize(
    "bands",
    [((0, "a"), (0, "b")), ((5, "a"), (3, "b")), ((0, "a"), (40, "b")), ()],
)
def test_bad_bands_refused(bands: tuple[tuple[int, str], ...]) -> None:
    with pytest.raises(MeasureError, match="bands"):
        Bands("EPDS", 30, bands)


@pytest.mark.parametrize("bands", [PHQ9_BANDS, GAD7_BANDS, HAMD17_BANDS, BDI2_BANDS, EPDS_BANDS])
def test_default_bands_cover_the_range_without_gaps(bands: Bands) -> None:
    ranges = bands.ranges()
    assert ranges[0][0] == 0 and ranges[-1][1] == bands.maximum
    for (_, hi, _), (lo, _, _) in zip(ranges, ranges[1:], strict=False):
        assert lo == hi + 1


def _inventory(session_rows: list[dict[str, object]]) -> Inventory:
    sessions = empty_table("sessions")
    sessions = pd.concat([sessions, pd.DataFrame(session_rows)], ignore_index=True)
    sessions = sessions.astype(empty_table("sessions").dtypes.to_dict())
    clients = pd.DataFrame({"client_id": ["c1"]}).astype("string")
    return Inventory.from_tables({"clients": clients, "sessions": sessions})


def _row(session: int, phq: Sequence[int | None] | None = None, **extra: int) -> dict[str, object]:
    row: dict[str, object] = {
        "client_id": "c1",
        "session": session,
        "date": f"2026-01-{session:02}",
    }
    if phq is not None:
        row.update(zip(PHQ9_ITEMS, phq, strict=True))
    row.update(extra)
    return row


def test_measure_table_baseline_is_first_session_with_phq9() -> None:
    inv = _inventory(
        [
            _row(1),  # no questionnaire at session 1
            _row(2, [2, 2, 2, 2, 2, 2, 2, 2, 0]),  # 16: baseline
            _row(3, [1, 1, 1, 1, 1, 1, 1, 1, 0]),  # 8: a drop of exactly half
            _row(4, [0] * 8 + [1]),  # 1: remission, item 9 above 0
        ]
    )
    t = measure_table(inv, "c1")
    assert t["session"].tolist() == [1, 2, 3, 4]
    assert t["phq9_total"].isna().tolist() == [True, False, False, False]
    assert t["phq9_total"].iloc[1:].tolist() == [16, 8, 1]
    assert t["phq9_change"].iloc[1:].tolist() == [0, -8, -15]
    assert t["phq9_response"].iloc[1:].tolist() == [False, True, True]
    assert t["phq9_remission"].iloc[1:].tolist() == [False, False, True]
    assert t["phq9_item9"].iloc[1:].tolist() == [0, 0, 1]
    assert t["phq9_band"].iloc[1:].tolist() == ["moderately severe", "mild", "minimal"]


def test_measure_table_other_measures_at_any_session() -> None:
    lsns = dict(zip(LSNS6_ITEMS, [1, 1, 1, 2, 3, 3], strict=True))
    gad = dict(zip(GAD7_ITEMS, [3] * 7, strict=True))
    inv = _inventory([_row(1, None, **gad), _row(2, None, **lsns, bdi2_total=30, epds_total=11)])
    t = measure_table(inv, "c1")
    assert t.loc[0, "gad7_total"] == 21 and t.loc[0, "gad7_band"] == "severe"
    assert t["lsns6_total"].isna().tolist() == [True, False]
    assert t["gad7_total"].isna().tolist() == [False, True]
    assert (t.loc[1, "lsns6_family"], t.loc[1, "lsns6_friends"]) == (3, 8)
    assert bool(t.loc[1, "lsns6_isolated"])
    assert t.loc[1, "bdi2_band"] == "severe"
    assert t.loc[1, "epds_band"] == "possible depression"
    mine = {"bdi2_total": Bands("BDI-II", 63, ((0, "under 31"), (31, "31 and over")))}
    assert measure_table(inv, "c1", bands=mine).loc[1, "bdi2_band"] == "under 31"


def test_measure_table_refuses_a_bad_item_naming_the_measure() -> None:
    inv = _inventory([_row(1, [0, 0, 0, 0, 0, 0, 0, 0, 0]), _row(2, [1, 1, 1, 1, 5, 1, 1, 1, 1])])
    with pytest.raises(MeasureError, match="PHQ-9 item 5 is out of range"):
        measure_table(inv, "c1")


def test_measure_table_unknown_client() -> None:
    with pytest.raises(ClientNotFound):
        measure_table(_inventory([_row(1)]), "nobody")


def test_measure_table_on_samples_agrees_with_safety_sessions(samples_inv: Inventory) -> None:
    inv = samples_inv
    t = measure_table(inv, "grief-01")
    flagged = t.loc[t["phq9_item9"].fillna(0) > 0, "session"].tolist()
    assert flagged == [2]
    assert len(t) == len(inv.sessions_of("grief-01"))


def test_measure_table_scores_a_partly_filled_phq9() -> None:
    inv = _inventory(
        [
            _row(1, [1, 1, 1, 1, 1, 1, 1, 1, 1], phq9_difficulty=2),  # 9: a baseline below 10
            _row(2, [None, 0, 0, 0, 0, 0, 0, 0, 1]),  # one missing: 1 / 8 * 9 = 1.1, so 1
            _row(3, [None, None, None, 0, 0, 0, 0, 0, 2]),  # three missing: incomplete
            _row(4, [0, 0, 0, 0, 0, 0, 0, 0, None]),  # item 9 not asked; total prorated to 0
        ]
    )
    t = measure_table(inv, "c1")
    assert [None if pd.isna(v) else int(v) for v in t["phq9_total"]] == [9, 1, None, 0]
    assert t["phq9_prorated"].tolist() == [False, True, pd.NA, True]
    assert t["phq9_incomplete"].tolist() == [False, False, True, False]
    assert t["phq9_answered"].tolist() == [9, 8, 6, 8]
    assert [None if pd.isna(v) else int(v) for v in t["phq9_item9"]] == [1, 1, 2, None]
    assert t["phq9_response"].isna().all()  # from a baseline of 9, response is not measured
    assert t["phq9_reliable_change"].tolist() == [False, True, pd.NA, True]  # 9 -> 1: a drop of 8
    assert int(t.loc[0, "phq9_difficulty"]) == 2 and t["phq9_difficulty"].isna().sum() == 3
    text = phq9_text_table(t)
    assert text["PHQ-9"].tolist() == ["9", "1 (prorated)", "incomplete", "0 (prorated)"]
    assert text["item 9"].tolist() == [
        "1 (several days)",
        "1 (several days)",
        "2 (more than half the days)",
        "item 9 not asked",
    ]
    assert text["response"].tolist()[:2] == ["not measured (baseline below 10)"] * 2
    assert text["difficulty"].tolist()[0] == "very difficult"


def test_measure_table_response_from_a_baseline_of_10() -> None:
    inv = _inventory([_row(1, [2, 1, 1, 1, 1, 1, 1, 1, 1]), _row(2, [1, 1, 1, 1, 1, 0, 0, 0, 0])])
    t = measure_table(inv, "c1")  # 10 -> 5: half, from a baseline of 10
    assert t["phq9_response"].tolist() == [False, True]
    assert t["phq9_reliable_change"].tolist() == [False, False]  # a drop of 5 is not reliable


def test_measure_table_lsns6_subscales_and_single_items() -> None:
    lsns = dict(zip(LSNS6_ITEMS, [2, 2, 1, 3, 3, 3], strict=True))  # family 5, friends 9
    inv = _inventory([_row(1, None, **lsns, epds_10=2, bdi2_9=0, hamd17_3=4)])
    t = measure_table(inv, "c1")
    assert bool(t.loc[0, "lsns6_family_low"]) and not bool(t.loc[0, "lsns6_friends_low"])
    assert (int(t.loc[0, "epds_10"]), int(t.loc[0, "bdi2_9"]), int(t.loc[0, "hamd17_3"])) == (
        2,
        0,
        4,
    )
    assert other_measures_lines(t) == [
        "Session 1: LSNS-6 14 (family 5, friends 9: family below 6); HAM-D 17 item 3: 4 of 4; "
        "BDI-II item 9: 0 of 3; EPDS item 10: 2 of 3"
    ]
