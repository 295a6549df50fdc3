"""Tests of ipt_network.network.layout: stable angles by role sector, ring positions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ipt_network import names
from ipt_network.network.layout import TOP_GAP, person_angles, ring_positions, sector_angles


def people_table(rows: list[tuple[str, str]], client_id: str = "c1") -> pd.DataFrame:
    """A people table of one client from (person_id, role) pairs."""
    return pd.DataFrame(
        {
            "client_id": client_id,
            "person_id": [p for p, _ in rows],
            "role": [r for _, r in rows],
        }
    ).astype("string")


def clockwise(angle: float) -> float:
    """Angle measured clockwise from the top, in [0, 2*pi)."""
    return (math.pi / 2 - angle) % (2 * math.pi)


MIXED = [
    ("p7", "friend"),
    ("p2", "family"),
    ("p1", "friend"),
    ("p9", "partner"),
    ("p3", "other"),
    ("p4", "family"),
    ("p5", "coworker"),
]


def test_every_person_gets_one_angle_in_range() -> None:
    angles = person_angles(people_table(MIXED))
    assert sorted(angles) == sorted(p for p, _ in MIXED)
    assert all(0 <= a < 2 * math.pi for a in angles.values())
    assert len(set(angles.values())) == len(MIXED)


def test_angles_do_not_depend_on_row_order() -> None:
    table = people_table(MIXED)
    shuffled = table.sample(frac=1, random_state=3).reset_index(drop=True)
    assert person_angles(shuffled) == person_angles(table)


def test_people_in_a_role_share_a_sector_in_role_order_then_by_id() -> None:
    angles = person_angles(people_table(MIXED))
    roles = dict(MIXED)
    around = sorted(angles, key=lambda p: clockwise(angles[p]))
    # Roles appear as contiguous runs, in the order of names.ROLES ...
    runs = [roles[p] for i, p in enumerate(around) if i == 0 or roles[around[i - 1]] != roles[p]]
    assert runs == [r for r in names.ROLES if r in roles.values()]
    # ... and inside a run people are ordered by person_id.
    for role in set(roles.values()):
        in_sector = [p for p in around if roles[p] == role]
        assert in_sector == sorted(in_sector)


def test_sectors_are_separated_by_a_wider_gap_than_neighbours_inside_one() -> None:
    rows = [(f"f{i}", "friend") for i in range(4)] + [(f"w{i}", "coworker") for i in range(4)]
    angles = person_angles(people_table(rows))
    cw = sorted(clockwise(a) for a in angles.values())
    steps = np.diff(cw)
    inside = steps[[0, 1, 2, 4, 5, 6]]
    assert np.allclose(inside, inside[0])
    assert steps[3] > 1.5 * inside[0]


def test_top_of_the_map_is_left_free_for_ring_labels() -> None:
    rows = [(f"p{i:03d}", names.ROLES[i % len(names.ROLES)]) for i in range(400)]
    angles = person_angles(people_table(rows))
    assert len(angles) == 400
    nearest_top = min(min(clockwise(a), 2 * math.pi - clockwise(a)) for a in angles.values())
    assert nearest_top >= TOP_GAP / 2


def test_sector_angle_lies_inside_its_sector() -> None:
    table = people_table(MIXED)
    angles = person_angles(table)
    sectors = sector_angles(table)
    assert list(sectors) == [r for r in names.ROLES if r in {r for _, r in MIXED}]
    for role, mid in sectors.items():
        mine = [clockwise(angles[p]) for p, r in MIXED if r == role]
        assert min(mine) - 1e-9 <= clockwise(mid) <= max(mine) + 1e-9


def test_empty_people_table_gives_no_angles() -> None:
    empty = people_table([])
    assert person_angles(empty) == {}
    assert sector_angles(empty) == {}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (people_table([("p1", "neighbour")]), "unknown role"),
        (people_table([("p1", "friend"), ("p1", "family")]), "unique"),
        (
            pd.concat(
                [people_table([("p1", "friend")], "a"), people_table([("p2", "friend")], "b")]
            ),
            "one client",
        ),
        (pd.DataFrame({"person_id": ["p1"]}), "role"),
    ],
)
def test_bad_people_tables_are_refused_clearly(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        person_angles(table)


def test_ring_positions_put_people_at_radius_ring_and_keep_their_angle() -> None:
    angles = person_angles(people_table(MIXED))
    rings = {"p1": 1, "p2": 2, "p9": 3}
    pos = ring_positions(angles, rings)
    assert list(pos) == list(rings)
    for pid, (x, y) in pos.items():
        assert math.hypot(x, y) == pytest.approx(rings[pid])
        assert math.atan2(y, x) % (2 * math.pi) == pytest.approx(angles[pid])


def test_ring_positions_refuse_unknown_people_and_bad_rings() -> None:
    with pytest.raises(ValueError, match="no angle for person id"):
        ring_positions({"a": 0.0}, {"b": 1})
    with pytest.raises(ValueError, match="ring must be"):
        ring_positions({"a": 0.0}, {"a": 4})
