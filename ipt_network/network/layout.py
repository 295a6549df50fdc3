"""Where each person sits on the relationship map.

The map puts the client in the centre and each person on the ring of their
closeness (radius 1 inner, 2 middle, 3 outer). A person's *angle* comes from
the client's people table alone: people are grouped by role into sectors (in
the order of :data:`ipt_network.names.ROLES`, clockwise from the top) and
ordered by ``person_id`` inside a sector. The angle therefore never depends on
who is on the map at a given session, so a change between sessions reads as
movement along a spoke: closer, further, joined, gone.

A gap is kept at the top of the circle for the ring labels, and one empty slot
separates neighbouring sectors so the role groups read as groups.

Examples
--------
>>> import math
>>> import pandas as pd
>>> people = pd.DataFrame(
...     {"person_id": ["p2", "p1", "p3"], "role": ["friend", "friend", "partner"]}
... )
>>> angles = person_angles(people)
>>> def clockwise_from_top(t):
...     return (math.pi / 2 - t) % (2 * math.pi)
>>> sorted(angles, key=lambda pid: clockwise_from_top(angles[pid]))
['p3', 'p1', 'p2']
>>> pos = ring_positions(angles, {"p3": 1, "p1": 3})
>>> [round(float((x * x + y * y) ** 0.5), 6) for x, y in pos.values()]
[1.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from ipt_network import names
from ipt_network.errors import BadArgument, BadTable

__all__ = ["TOP_GAP", "person_angles", "sector_angles", "ring_positions"]

#: Angle (radians) left empty at the top of the map for the ring labels.
TOP_GAP: Final = math.radians(24.0)

_ROLE_CODE: Final = {role: i for i, role in enumerate(names.ROLES)}


def _sorted_people(people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, role codes and angles of a client's people, in sector order."""
    missing = [c for c in ("person_id", "role") if c not in people.columns]
    if missing:
        raise BadTable(f"the people table needs the column(s) {', '.join(missing)}")
    if "client_id" in people.columns and people["client_id"].nunique() > 1:
        raise BadTable("person_angles takes the people of one client; filter by client_id first")
    # Plain lists and dict look-ups: faster than pandas for the few hundred rows of a client.
    id_list = [str(p) for p in people["person_id"].tolist()]
    role_list = people["role"].tolist()
    code_list = [_ROLE_CODE.get(r, -1) if isinstance(r, str) else -1 for r in role_list]
    if -1 in code_list:
        bad = sorted({str(r) for r, c in zip(role_list, code_list, strict=True) if c == -1})
        raise BadTable(
            f"unknown role(s) {', '.join(bad)}; expected one of {', '.join(names.ROLES)}"
        )
    if len(set(id_list)) != len(id_list):
        raise BadTable("person_id must be unique in the people table of a client")
    ids = np.array(id_list, dtype=str)
    codes = np.array(code_list, dtype=np.int64)
    order = np.lexsort((ids, codes))
    ids, codes = ids[order], codes[order]
    n = len(ids)
    if n == 0:
        return ids, codes, np.zeros(0)
    # Sector index 0, 1, ... for each person; one empty slot between sectors.
    sector = np.concatenate(([0], np.cumsum(np.diff(codes) != 0)))
    slot = np.arange(n) + sector
    width = (2 * math.pi - TOP_GAP) / (n + int(sector[-1]))
    # Clockwise from the top, after half the label gap.
    unwrapped = math.pi / 2 - TOP_GAP / 2 - (slot + 0.5) * width
    return ids, codes, unwrapped


def person_angles(people: pd.DataFrame) -> dict[str, float]:
    """A stable angle for every person of one client.

    Parameters
    ----------
    people : DataFrame
        The people table of one client, with at least ``person_id`` and
        ``role`` (every person the client ever named, not only this session's).

    Returns
    -------
    dict of str to float
        ``person_id`` to angle in radians, in ``[0, 2*pi)``, measured
        anticlockwise from the positive x axis (so ``pi/2`` is the top).

    Raises
    ------
    ValueError
        When a column is missing, a role is unknown, a ``person_id`` repeats,
        or the table holds more than one client.

    Examples
    --------
    >>> import math
    >>> import pandas as pd
    >>> people = pd.DataFrame({"person_id": ["a", "b"], "role": ["partner", "family"]})
    >>> a = person_angles(people)
    >>> {p: round(math.degrees((math.pi / 2 - t) % (2 * math.pi))) for p, t in a.items()}
    {'a': 68, 'b': 292}
    >>> all(0 <= v < 2 * math.pi for v in a.values())
    True
    """
    ids, _, unwrapped = _sorted_people(people)
    return dict(zip(ids.tolist(), np.mod(unwrapped, 2 * math.pi).tolist(), strict=True))


def sector_angles(people: pd.DataFrame) -> dict[str, float]:
    """The middle angle of each role's sector, for labelling the sectors.

    Parameters
    ----------
    people : DataFrame
        The people table of one client, as for :func:`person_angles`.

    Returns
    -------
    dict of str to float
        Role to angle in radians in ``[0, 2*pi)``, for the roles that have
        people, in the order of :data:`ipt_network.names.ROLES`.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c"], "role": ["friend"] * 3})
    >>> sector_angles(people)["friend"] == person_angles(people)["b"]
    True
    """
    _, codes, unwrapped = _sorted_people(people)
    out: dict[str, float] = {}
    for code in np.unique(codes).tolist():
        sel = unwrapped[codes == code]
        out[names.ROLES[code]] = float(np.mod((sel[0] + sel[-1]) / 2, 2 * math.pi))
    return out


def ring_positions(
    angles: Mapping[str, float], rings: Mapping[str, int]
) -> dict[str, tuple[float, float]]:
    """Map coordinates of the people on the map: radius = ring number.

    Parameters
    ----------
    angles : mapping of str to float
        Angle per ``person_id``, from :func:`person_angles`.
    rings : mapping of str to int
        Ring per ``person_id`` on the map this session: 1 inner, 2 middle,
        3 outer.

    Returns
    -------
    dict of str to (float, float)
        ``person_id`` to ``(x, y)``, in the order of ``rings``.

    Raises
    ------
    ValueError
        When a person has no angle or a ring is not 1, 2 or 3.

    Examples
    --------
    >>> import math
    >>> ring_positions({"a": math.pi / 2}, {"a": 2})["a"]
    (0.0, 2.0)
    """
    pids = list(rings)
    missing = [p for p in pids if p not in angles]
    if missing:
        raise BadArgument(f"no angle for person id(s) {', '.join(map(str, missing[:10]))}")
    radius = np.fromiter((rings[p] for p in pids), dtype=np.float64, count=len(pids))
    if not np.isin(radius, (1.0, 2.0, 3.0)).all():
        raise BadArgument("ring must be 1 (inner), 2 (middle) or 3 (outer)")
    theta = np.fromiter((angles[p] for p in pids), dtype=np.float64, count=len(pids))
    # Round away float noise such as cos(pi/2) = 6e-17 so coordinates read cleanly.
    x = np.round(radius * np.cos(theta), 12) + 0.0
    y = np.round(radius * np.sin(theta), 12) + 0.0
    return dict(zip(pids, zip(x.tolist(), y.tolist(), strict=True), strict=True))
