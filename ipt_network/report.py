"""The end-of-course report: one self-contained HTML file to go through at termination.

:func:`render_report` builds a page that a therapist can print and read with
the client in the last sessions: the relationship map at the first and the
latest session side by side, who moved closer and who further away, the PHQ-9
course against its bands, the chosen focus and the work done on it, and the
safety flag where it applies (from :mod:`ipt_network.safety`).

The file stands alone: CSS is inline, the maps and the chart are inline SVG,
and nothing is loaded from anywhere else (no scripts, fonts or images), so it
opens without a network. It reads in black and white: conflict is drawn by
line style (solid, dashed, heavy dashed), bands by shades of grey with their
names written in, and every picture has the same facts in words beside it.

Examples
--------
>>> from ipt_network import load_samples
>>> page = render_report(load_samples(), "transition-01")
>>> page.startswith("<!DOCTYPE html>") and "<script" not in page
True
>>> "role transition" in page and "Session 1" in page
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import pandas as pd

from ipt_network import names
from ipt_network._files import private_output
from ipt_network.communication import communication_items
from ipt_network.errors import SessionNotFound
from ipt_network.inventory import Inventory, is_missing
from ipt_network.layout import person_angles, ring_positions
from ipt_network.measures import PHQ9_BANDS, measure_table
from ipt_network.problem_areas import AREA_LABELS
from ipt_network.safety import safety_flag
from ipt_network.timeline import person_labels

__all__ = ["render_report", "write_report", "map_svg", "phq9_chart_svg"]

_RING_PX: Final = 62  # pixels per ring
_MAP_SIZE: Final = 2 * 3 * _RING_PX + 130  # room for names outside the outer ring
_BAND_FILLS: Final = ("#ffffff", "#efefef", "#dedede", "#cccccc", "#b8b8b8")

_CSS: Final = """
body { font-family: Georgia, 'Times New Roman', serif; color: #111; margin: 0 auto;
       max-width: 1080px; padding: 24px 32px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 1px solid #444; padding-bottom: 3px; margin-top: 28px; }
h3 { font-size: 16px; margin: 14px 0 4px; }
p.lead { font-size: 16px; margin-top: 6px; }
.safety { border: 3px solid #000; padding: 10px 14px; margin: 16px 0; font-weight: bold; }
.safety p { margin: 4px 0; }
.maps { display: flex; gap: 16px; flex-wrap: wrap; justify-content: space-between; }
.maps figure { margin: 0; flex: 1 1 420px; text-align: center; }
figcaption { font-weight: bold; margin-bottom: 4px; }
.legend { font-size: 13px; color: #222; }
.legend svg { vertical-align: middle; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #777; padding: 3px 8px; text-align: left; font-size: 14px; }
ul { margin: 4px 0 8px; }
li { margin: 2px 0; }
.small { font-size: 13px; color: #333; }
section { break-inside: avoid; page-break-inside: avoid; }
@media print {
  body { max-width: none; padding: 0; font-size: 12pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .maps figure { flex: 1 1 45%; }
}
@page { size: A4; margin: 16mm; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _text(value: object) -> str | None:
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


# --------------------------------------------------------------------------- the map


def _conflict_style(conflict: int) -> tuple[str, str]:
    """Stroke width and dash pattern for a spoke: solid, dashed, heavy dashed."""
    if conflict >= 3:
        return "3.2", "9 4"
    if conflict == 2:
        return "1.6", "5 4"
    return "1.2", ""


def map_svg(
    people: pd.DataFrame, rings: Mapping[str, int], conflicts: Mapping[str, int], title: str
) -> str:
    """An inline SVG of one session's relationship map.

    Parameters
    ----------
    people : DataFrame
        The client's people table (``person_id``, ``name``, ``role``,
        ``deceased_date``): every person ever named, so angles stay put
        between sessions.
    rings, conflicts : mapping of str to int
        Ring and conflict of each person on the map at the session.
    title : str
        An accessible title for the picture.

    Returns
    -------
    str
        An ``<svg>`` element; the client is in the centre, each person on
        the circle of their ring, joined to the centre by a line whose style
        shows the conflict.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"person_id": ["a"], "name": ["Ann"], "role": ["friend"],
    ...                        "deceased_date": [None]})
    >>> svg = map_svg(people, {"a": 1}, {"a": 4}, "Session 1")
    >>> svg.startswith("<svg") and "Ann" in svg and 'stroke-dasharray="9 4"' in svg
    True
    """
    c = _MAP_SIZE / 2
    angles = person_angles(people[["person_id", "role"]])
    pos = ring_positions(angles, dict(rings))
    ids = [str(p) for p in people["person_id"]]
    name = {p: _text(n) or p for p, n in zip(ids, people["name"], strict=True)}
    dead = {p for p, d in zip(ids, people["deceased_date"], strict=True) if _text(d)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_MAP_SIZE} {_MAP_SIZE}" '
        f'width="100%" style="max-width:{_MAP_SIZE}px" role="img">',
        f"<title>{_e(title)}</title>",
    ]
    for ring in (3, 2, 1):
        r = ring * _RING_PX
        parts.append(
            f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="#888" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{c}" y="{c - r + 13}" text-anchor="middle" font-size="11" '
            f'fill="#444">{names.RING_LABELS[ring]}</text>'
        )
    for pid, (x, y) in pos.items():
        px, py = c + x * _RING_PX, c - y * _RING_PX
        width, dash = _conflict_style(int(conflicts.get(pid, 0)))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{c}" y1="{c}" x2="{px:.1f}" y2="{py:.1f}" stroke="#000" '
            f'stroke-width="{width}"{dash_attr}/>'
        )
    parts.append(f'<circle cx="{c}" cy="{c}" r="15" fill="#000"/>')
    parts.append(
        f'<text x="{c}" y="{c + 4}" text-anchor="middle" font-size="11" fill="#fff" '
        'font-weight="bold">you</text>'
    )
    for pid, (x, y) in pos.items():
        px, py = c + x * _RING_PX, c - y * _RING_PX
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="#fff" stroke="#000" '
            'stroke-width="1.5"/>'
        )
        theta = math.atan2(y, x)
        lx, ly = px + 10 * math.cos(theta), py - 10 * math.sin(theta) + 4
        anchor = "start" if math.cos(theta) > 0.2 else "end" if math.cos(theta) < -0.2 else "middle"
        if anchor == "middle":
            ly += 6 if math.sin(theta) < 0 else -4
        style = ' font-style="italic"' if pid in dead else ""
        label = name.get(pid, pid) + (" (died)" if pid in dead else "")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="12"'
            f"{style}>{_e(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend() -> str:
    def sample(conflict: int) -> str:
        width, dash = _conflict_style(conflict)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            '<svg width="46" height="10" aria-hidden="true"><line x1="2" y1="5" x2="44" y2="5" '
            f'stroke="#000" stroke-width="{width}"{dash_attr}/></svg>'
        )

    return (
        '<p class="legend">Closer to the centre means closer to you. Lines show conflict: '
        f"{sample(0)} little or none (0-1) &nbsp; {sample(2)} some (2) &nbsp; "
        f"{sample(3)} a lot (3-4).</p>"
    )


def _state(inventory: Inventory, client_id: str, session: int) -> dict[str, tuple[int, int]]:
    r = inventory.relationships
    rows = r[(r["client_id"] == client_id) & (r["session"] == session)]
    return {
        str(p): (int(ring), int(c))
        for p, ring, c in zip(rows["person_id"], rows["ring"], rows["conflict"], strict=True)
    }


def _moves(
    before: Mapping[str, tuple[int, int]],
    after: Mapping[str, tuple[int, int]],
    label: Mapping[str, str],
) -> list[tuple[str, list[str]]]:
    def ring(r: int) -> str:
        return f"the {names.RING_LABELS[r]} circle"

    closer = [
        f"{label[p]}: from {ring(before[p][0])} to {ring(after[p][0])}"
        for p in after
        if p in before and after[p][0] < before[p][0]
    ]
    further = [
        f"{label[p]}: from {ring(before[p][0])} to {ring(after[p][0])}"
        for p in after
        if p in before and after[p][0] > before[p][0]
    ]
    joined = [f"{label[p]}, in {ring(after[p][0])}" for p in after if p not in before]
    left = [label[p] for p in before if p not in after]
    calmer = [
        f"{label[p]}: conflict from {before[p][1]} to {after[p][1]}"
        for p in after
        if p in before and after[p][1] < before[p][1]
    ]
    tenser = [
        f"{label[p]}: conflict from {before[p][1]} to {after[p][1]}"
        for p in after
        if p in before and after[p][1] > before[p][1]
    ]
    return [
        ("Moved closer", closer),
        ("Moved further away", further),
        ("New on the map", joined),
        ("No longer on the map", left),
        ("Less conflict", calmer),
        ("More conflict", tenser),
    ]


def _list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


# --------------------------------------------------------------------------- PHQ-9 chart


def phq9_chart_svg(sessions: list[int], totals: list[int | None]) -> str:
    """An inline SVG line chart of PHQ-9 totals by session, over the severity bands.

    Parameters
    ----------
    sessions : list of int
        Session numbers, in order.
    totals : list of int or None
        The PHQ-9 total at each session; ``None`` where it was not given
        (the line breaks there).

    Examples
    --------
    >>> svg = phq9_chart_svg([1, 2, 3], [20, None, 8])
    >>> svg.count("<polyline") == 2 and "moderately severe" in svg
    True
    """
    width, height, left, right, top, bottom = 720, 260, 44, 150, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = (sessions[0], sessions[-1]) if sessions else (1, 1)
    span = max(last - first, 1)

    def sx(s: int) -> float:
        return left + 16 + (s - first) / span * (plot_w - 32)  # keep points off the edges

    def sy(v: float) -> float:
        return top + (1 - v / PHQ9_BANDS.maximum) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" role="img"><title>PHQ-9 total by session</title>'
    ]
    for (lo, hi, label), fill in zip(PHQ9_BANDS.ranges(), _BAND_FILLS, strict=True):
        y0, y1 = sy(hi + 1 if hi < PHQ9_BANDS.maximum else hi), sy(lo)
        parts.append(
            f'<rect x="{left}" y="{y0:.1f}" width="{plot_w}" height="{y1 - y0:.1f}" '
            f'fill="{fill}" stroke="#999" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{(y0 + y1) / 2 + 4:.1f}" font-size="12">'
            f"{_e(label)} ({lo}-{hi})</text>"
        )
    for v in (0, 5, 10, 15, 20, 27):
        parts.append(
            f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" font-size="11">{v}</text>'
        )
    for s in sessions:
        parts.append(
            f'<text x="{sx(s):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="11">{s}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" '
        'font-size="12">session</text>'
    )
    run: list[tuple[float, float]] = []
    runs = []
    for s, t in zip(sessions, totals, strict=True):
        if t is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append((sx(s), sy(t)))
    if run:
        runs.append(run)
    for r in runs:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in r)
        parts.append(f'<polyline points="{points}" fill="none" stroke="#000" stroke-width="2"/>')
    for s, t in zip(sessions, totals, strict=True):
        if t is not None:
            x, y = sx(s), sy(t)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#000"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="11">{t}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _phq9_words(scores: pd.DataFrame) -> str:
    given = scores.dropna(subset=["phq9_total"])
    if given.empty:
        return "No PHQ-9 was recorded during the course."
    a, b = given.iloc[0], given.iloc[-1]
    t0, t1 = int(a["phq9_total"]), int(b["phq9_total"])
    text = (
        f"At session {int(a['session'])} your PHQ-9 score was {t0} ({a['phq9_band']}); "
        f"at session {int(b['session'])} it was {t1} ({b['phq9_band']})."
    )
    if len(given) > 1 and t0 > 0 and t1 < t0:
        text += f" That is {round(100 * (t0 - t1) / t0)}% lower than at the start."
    if len(given) > 1 and bool(b["phq9_remission"]):
        text += " A score below 5 is what is called remission."
    elif len(given) > 1 and b["phq9_response"] is True:
        text += " A drop of half or more is what is called a response to treatment."
    missing = scores.loc[scores["phq9_total"].isna(), "session"].tolist()
    if missing:
        text += f" (Not filled in at session {', '.join(str(int(s)) for s in missing)}.)"
    return text


def _other_measures(scores: pd.DataFrame) -> str:
    rows = []
    measures = (
        ("GAD-7 (anxiety)", "gad7_total", "gad7_band"),
        ("LSNS-6 (social network)", "lsns6_total", None),
        ("HAM-D 17", "hamd17_total", "hamd17_band"),
        ("BDI-II", "bdi2_total", "bdi2_band"),
        ("EPDS", "epds_total", "epds_band"),
    )
    for title, total, band in measures:
        given = scores.dropna(subset=[total])
        if len(given) == 0:
            continue

        def cell(row: pd.Series, total: str = total, band: str | None = band) -> str:
            text = f"{int(row[total])}"
            if band is not None:
                text += f" ({row[band]})"
            return f"{text} at session {int(row['session'])}"

        a, b = given.iloc[0], given.iloc[-1]
        rows.append(
            f"<tr><td>{_e(title)}</td><td>{_e(cell(a))}</td>"
            f"<td>{_e(cell(b) if len(given) > 1 else '-')}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<h3>Other questionnaires</h3><table><tr><th>questionnaire</th><th>first</th>"
        f"<th>latest</th></tr>{''.join(rows)}</table>"
    )


# --------------------------------------------------------------------------- the page


def _focus_section(inventory: Inventory, client_id: str) -> str:
    c = inventory.clients
    row = c[c["client_id"] == client_id].iloc[0]
    focus = _text(row["focus"])
    parts = ["<section><h2>What we worked on</h2>"]
    if focus is None:
        parts.append("<p>No focus was recorded.</p>")
    else:
        areas = [AREA_LABELS.get(a, a).lower() for a in focus.split(";")]
        when = _text(row.get("focus_session"))
        at = f", chosen together at session {when}" if when else ""
        parts.append(
            f"<p>The focus of our work was <strong>{_e(' and '.join(areas))}</strong>{at}.</p>"
        )
    items = communication_items(inventory, client_id)
    if items:
        parts.append("<p>Along the way you tried these conversations and tasks:</p>")
        current = None
        for item in items:
            if item.person_id != current:
                if current is not None:
                    parts.append("</ul>")
                current = item.person_id
                parts.append(f"<h3>{_e(item.person)}</h3><ul>")
            parts.append(f"<li>{_e(item.sentence())}</li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def render_report(inventory: Inventory, client_id: str) -> str:
    """The end-of-course report of one client as a self-contained HTML page.

    Parameters
    ----------
    inventory : Inventory
        Validated tables holding the client.
    client_id : str
        The client.

    Returns
    -------
    str
        A complete HTML document with inline CSS and SVG and no outside
        resources.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    SessionNotFound
        When the client has no sessions yet.
    """
    sessions = inventory.sessions_of(client_id)  # raises ClientNotFound
    if not sessions:
        raise SessionNotFound(client_id, 1)
    one = inventory.for_clients([client_id])
    client = one.clients.iloc[0]
    label = person_labels(one, client_id)
    first, last = sessions[0], sessions[-1]
    before, after = _state(one, client_id, first), _state(one, client_id, last)
    scores = measure_table(one, client_id)
    dates = dict(zip(scores["session"].astype(int), scores["date"], strict=True))
    name = _text(client["label"]) or client_id
    flag = safety_flag(one, client_id)

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>End-of-course summary: {_e(client_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Looking back on our work together</h1><p class='small'>{_e(name)} "
        f"({_e(client_id)}); sessions {first} to {last}, {_e(dates[first])} to {_e(dates[last])}."
        "</p>",
        "<p class='lead'>This summary is for you and your therapist to go through together "
        "as therapy comes to an end: how your relationships and your mood changed, what you "
        "worked on, and what you want to carry forward.</p>",
    ]
    if flag is not None:
        lines = "".join(f"<p>{_e(line)}</p>" for line in flag.banner().splitlines())
        out.append(f'<div class="safety" role="alert">{lines}</div>')
    out.append("<section><h2>Your relationships, then and now</h2><div class='maps'>")
    for s, state in ((first, before), (last, after)):
        rings = {p: r for p, (r, _) in state.items()}
        conflicts = {p: k for p, (_, k) in state.items()}
        title = f"Session {s} ({dates[s]})"
        svg = map_svg(one.people, rings, conflicts, f"Relationship map at session {s}")
        out.append(f"<figure><figcaption>{_e(title)}</figcaption>{svg}</figure>")
    out.append("</div>" + _legend())
    moved = [(head, items) for head, items in _moves(before, after, label) if items]
    if moved:
        for head, items in moved:
            out.append(f"<h3>{_e(head)}</h3>{_list(items)}")
    else:
        out.append("<p>The map looks the same at the start and now.</p>")
    out.append("</section>")
    totals = [None if pd.isna(t) else int(t) for t in scores["phq9_total"]]
    out.append(
        "<section><h2>How your mood changed</h2>"
        + phq9_chart_svg(scores["session"].astype(int).tolist(), totals)
        + f"<p>{_e(_phq9_words(scores))}</p>"
        + _other_measures(scores)
        + "</section>"
    )
    out.append(_focus_section(one, client_id))
    out.append(
        "<section><h2>Looking ahead</h2><p>Together, note the people you can turn to, the "
        "early signs that your mood is slipping, and what you will do if they appear.</p>"
        "<ul><li>People I can turn to: ______________________________</li>"
        "<li>My early warning signs: ______________________________</li>"
        "<li>What I will do: ______________________________</li></ul></section>"
    )
    out.append(
        "<p class='small'>Prepared with ipt-network from the session records. The maps "
        "show each person as you placed them; names in italics are people who have died.</p>"
    )
    out.append("</body></html>")
    return "\n".join(out)


def write_report(inventory: Inventory, client_id: str, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8, readable by the owner only).

    Examples
    --------
    >>> import tempfile, os
    >>> from ipt_network import load_samples
    >>> out = write_report(load_samples(), "grief-01", os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> "988" in out.read_text(encoding="utf-8")
    True
    """
    target = Path(path)
    text = render_report(inventory, client_id)
    with private_output(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
