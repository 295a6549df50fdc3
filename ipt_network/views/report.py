"""The end-of-course report: one self-contained HTML file to go through at termination.

There are two audiences. :func:`render_report` writes, by default, the
**client report**: a page a therapist can print and read with the client in
the last sessions, in the client's words. It shows the relationship map at the
first and the latest session side by side, who moved closer and who further
away, how the PHQ-9 score changed (response and remission said in plain words,
and said kindly when the scores did not come down), the focus in everyday
words (:data:`ipt_network.words.CLIENT_AREA_WORDS`), how it was understood
together (the formulation, in the client's words, when recorded), the work done
on it, and a "Looking ahead" block: the gains credited to the client, warning
signs and who to turn to (as recorded at the ending, in the client's words;
where none is recorded, general signs with blanks to fill in, and at most five
people closest on the last map, leaving out anyone who has died or with
conflict of 3 or more) and the crisis line of the practice's region.

The work is said in client words (:data:`ipt_network.words.CLIENT_WORK_WORDS`,
:data:`ipt_network.words.CLIENT_GOAL_WORDS`), never in therapy labels: "What
you set out to do" (the goals as recorded, which are written in the client's
own words, and where each stands: done, still working on it, ...), the
memories of someone who died talked through (sessions only) and the new
people in the client's life since the death, and the conversations and
things to try, as "With Sarah: practicing a conversation (session 4)". The
client report shows **no free text of the communication work** (what was
planned or happened, what was said or meant, where it broke down: the
clinician's notes, often about the client in the third person) and no
outcome; the clinician copy's appendix has them. Every client gets the same calm crisis sentence
(:func:`ipt_network.clinical.safety.client_crisis_line`), flagged or not, and nothing
in it names a flag, an instrument band or an answer to a single item.
Someone who has died is spoken of with care: a rise in the conflict recorded
with them is mourning, not "more conflict".

The **clinician report** (``audience="clinician"``) is the client report with
a clinical appendix: every measure by session with its band, the safety flag
in clinical wording with the region's crisis lines, the middle-phase work,
the treatment contract and the ending (:func:`ipt_network.views.work.work_sections`:
goals with their status, the dispute stage over the sessions (also drawn as a
strip of cells, :func:`stage_strip_svg`), expectations,
transition roles, grief memories, re-engagement, skills counted, communication
analyses, and every role-play, analysis and task with its notes and outcome),
and the problem-area evidence of
:func:`ipt_network.clinical.problem_areas.rank_problem_areas`.

The file stands alone: CSS is inline, the maps and the chart are inline SVG,
and nothing is loaded from anywhere else (no scripts, fonts or images), so it
opens without a network. It reads in black and white: conflict is drawn by
line style (solid, dashed, heavy dashed), the clinician's PHQ-9 bands by
shades of grey with their names written in (the client's chart has plain grid
lines), and every picture has the same facts in words beside it.

Examples
--------
>>> from ipt_network import load_samples
>>> page = render_report(load_samples(), "transition-01")
>>> page.startswith("<!DOCTYPE html>") and "<script" not in page
True
>>> "a big change in life" in page and "Session 1" in page and "Looking ahead" in page
True
>>> "Clinical appendix" in render_report(load_samples(), "transition-01", audience="clinician")
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template
from typing import Final, Literal

import pandas as pd

from ipt_network.clinical.communication import communication_items
from ipt_network.clinical.course import Change, ChangeKind, ClientCourse, PersonState, course_of
from ipt_network.clinical.measures import (
    PHQ9_BANDS,
    PHQ9_RELIABLE_DROP,
    PHQ9_RESPONSE_MIN_BASELINE,
    other_measures_lines,
    phq9_text_table,
)
from ipt_network.clinical.problem_areas import rank_problem_areas
from ipt_network.clinical.safety import client_crisis_line, crisis_lines
from ipt_network.clinical.work import Death, MiddleWork, work_of
from ipt_network.errors import IPTNetworkError, SessionNotFound
from ipt_network.io._files import private_output
from ipt_network.io.inventory import Inventory, is_missing
from ipt_network.io.inventory import cell_text as _text
from ipt_network.network.layout import person_angles, ring_positions
from ipt_network.regions import Region
from ipt_network.views import theme
from ipt_network.views.work import NOTHING_RECORDED, split_items, work_sections
from ipt_network.words import (
    CLIENT_AREA_WORDS,
    CLIENT_GOAL_WORDS,
    CLIENT_WORK_WORDS,
    RING_WORDS,
    focus_words,
)
from ipt_network.words import join_and as _and

__all__ = [
    "AUDIENCES",
    "Audience",
    "ReportError",
    "render_report",
    "write_report",
    "map_svg",
    "phq9_chart_svg",
    "stage_strip_svg",
]

#: Who a report is written for.
Audience = Literal["client", "clinician"]
AUDIENCES: Final = ("client", "clinician")

_RING_PX: Final = 62  # pixels per ring
_MAP_SIZE: Final = 2 * 3 * _RING_PX + 130  # room for names outside the outer ring
_BAND_FILLS: Final = theme.PRINT_SEVERITY_FILLS
# The print greys of :data:`ipt_network.views.theme.PRINT` that the drawings use.
_BLACK: Final = theme.PRINT["black"]
_WHITE: Final = theme.PRINT["white"]
_RING_LINE: Final = theme.PRINT["ring"]
_RING_TEXT: Final = theme.PRINT["heading_rule"]
_FRAME: Final = theme.PRINT["frame"]
_GRID: Final = theme.PRINT["grid"]

_CSS: Final = Template("""
body { font-family: $font; color: $text; margin: 0 auto;
       max-width: 1080px; padding: 24px 32px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 1px solid $heading_rule; padding-bottom: 3px;
     margin-top: 28px; }
h3 { font-size: 16px; margin: 14px 0 4px; }
p.lead { font-size: 16px; margin-top: 6px; }
.maps { display: flex; gap: 16px; flex-wrap: wrap; justify-content: space-between; }
.maps figure { margin: 0; flex: 1 1 420px; text-align: center; }
figure.chart { margin: 8px 0; }
figcaption { font-weight: bold; margin-bottom: 4px; }
.legend { font-size: 13px; color: $legend; }
.legend svg { vertical-align: middle; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid $rule; padding: 3px 8px; text-align: left; font-size: 14px; }
ul { margin: 4px 0 8px; }
li { margin: 2px 0; }
.small { font-size: 13px; color: $small; }
.remember { border-left: 3px solid $rule; padding: 2px 0 2px 12px; margin: 10px 0; }
.remember p { margin: 4px 0; }
.write-in { border-bottom: 1px solid $box; display: inline-block; min-width: 320px; }
.care { border: 1px solid $box; border-radius: 6px; padding: 10px 14px; margin: 14px 0 6px;
        font-size: 16px; }
section { break-inside: avoid; page-break-inside: avoid; }
@media print {
  body { max-width: none; padding: 0; font-size: 12pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .maps figure { flex: 1 1 45%; }
}
@page { size: A4; margin: 16mm; }
""").substitute(theme.PRINT, font=theme.PRINT_FONT)
#: Added for the clinician copy only, so that nothing in the client's file
#: (not even a style rule) names a flag.
_CLINICIAN_CSS: Final = Template("""
.copy { border: 1px dashed $black; padding: 6px 12px; font-size: 14px; }
.copy code { font-size: 13px; }
.appendix { break-before: page; page-break-before: always; }
.flag { border: 3px solid $black; padding: 10px 14px; margin: 16px 0; font-weight: bold; }
.flag p { margin: 4px 0; }
pre.evidence { white-space: pre-wrap; font-family: 'DejaVu Sans Mono', monospace;
               font-size: 13px; border: 1px solid $frame; padding: 8px 10px; }
""").substitute(theme.PRINT)


class ReportError(IPTNetworkError, ValueError):
    """A report was asked for an audience it does not know.

    Examples
    --------
    >>> from ipt_network import load_samples
    >>> try:
    ...     render_report(load_samples(), "grief-01", audience="family")  # type: ignore[arg-type]
    ... except ValueError as exc:
    ...     print(exc)
    unknown report audience 'family'; use client or clinician
    """


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _truth(value: object) -> bool | None:
    """A cell of a boolean column as a plain ``bool`` (``None`` when empty).

    ``measure_table`` holds numpy booleans, which are never ``is True``.
    """
    return None if is_missing(value) else bool(value)


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
            f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{_RING_LINE}" '
            'stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{c}" y="{c - r + 13}" text-anchor="middle" font-size="11" '
            f'fill="{_RING_TEXT}">{RING_WORDS[ring]}</text>'
        )
    for pid, (x, y) in pos.items():
        px, py = c + x * _RING_PX, c - y * _RING_PX
        width, dash = _conflict_style(int(conflicts.get(pid, 0)))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{c}" y1="{c}" x2="{px:.1f}" y2="{py:.1f}" stroke="{_BLACK}" '
            f'stroke-width="{width}"{dash_attr}/>'
        )
    parts.append(f'<circle cx="{c}" cy="{c}" r="15" fill="{_BLACK}"/>')
    parts.append(
        f'<text x="{c}" y="{c + 4}" text-anchor="middle" font-size="11" fill="{_WHITE}" '
        'font-weight="bold">you</text>'
    )
    for pid, (x, y) in pos.items():
        px, py = c + x * _RING_PX, c - y * _RING_PX
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="{_WHITE}" '
            f'stroke="{_BLACK}" '
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
            f'stroke="{_BLACK}" stroke-width="{width}"{dash_attr}/></svg>'
        )

    return (
        '<p class="legend">Closer to the centre means closer to you. Lines show conflict: '
        f"{sample(0)} little or none (0-1) &nbsp; {sample(2)} some (2) &nbsp; "
        f"{sample(3)} a lot (3-4).</p>"
    )


def _circle(ring: int | None) -> str:
    return f"the {RING_WORDS[ring or 0]} circle"


def _moves(
    changes: Sequence[Change], label: Mapping[str, str], skip: Iterable[str] = ()
) -> list[tuple[str, list[str]]]:
    """Who moved, joined, left, and whose conflict changed, leaving out ``skip``."""
    left_out = set(skip)

    def of(kind: ChangeKind) -> list[Change]:
        return [c for c in changes if c.kind is kind and c.person_id not in left_out]

    def ring_move(c: Change) -> str:
        return f"{label[c.person_id]}: from {_circle(c.ring_before)} to {_circle(c.ring_after)}"

    def conflict_move(c: Change) -> str:
        return f"{label[c.person_id]}: conflict from {c.conflict_before} to {c.conflict_after}"

    conflict = of(ChangeKind.CONFLICT_CHANGED)
    return [
        ("Moved closer", [ring_move(c) for c in of(ChangeKind.MOVED_IN)]),
        ("Moved further away", [ring_move(c) for c in of(ChangeKind.MOVED_OUT)]),
        (
            "New on the map",
            [f"{label[c.person_id]}, in {_circle(c.ring_after)}" for c in of(ChangeKind.JOINED)],
        ),
        ("No longer on the map", [label[c.person_id] for c in of(ChangeKind.LEFT)]),
        ("Less conflict", [conflict_move(c) for c in conflict if c.conflict_delta < 0]),
        ("More conflict", [conflict_move(c) for c in conflict if c.conflict_delta > 0]),
    ]


def _remembering(name: str, before: PersonState | None, after: PersonState | None) -> list[str]:
    """What changed on the map about someone who has died, said with care.

    Anger or mixed feelings toward someone who died are part of mourning, so
    a rise in the conflict recorded with them is never called "more conflict".

    Examples
    --------
    >>> inner, middle = PersonState(1, 0, 2), PersonState(2, 0, 2)
    >>> _remembering("Frank", inner, PersonState(1, 1, 2))[0]
    'You talked about the harder feelings about Frank too.'
    >>> _remembering("Frank", inner, middle)[0]
    'Frank has a new place on your map, in the middle circle. The bond with someone who has died often changes shape rather than ends.'
    >>> _remembering("Frank", inner, inner)
    []
    """  # noqa: E501
    if after is None:
        if before is None:
            return []
        return [
            f"{name} is not on your last map. Where we place someone who has died can "
            "change; it does not mean forgetting them."
        ]
    if before is None:
        return [f"You added {name} to your map during our work, in {_circle(after.ring)}."]
    out = []
    if after.conflict > before.conflict:
        out += [
            f"You talked about the harder feelings about {name} too.",
            "Anger or mixed feelings toward someone who has died are a natural part of "
            "mourning them.",
        ]
    elif after.conflict < before.conflict:
        out.append(f"The harder feelings about {name} have eased.")
    if after.ring < before.ring:
        out.append(f"You placed {name} closer to you by the end, in {_circle(after.ring)}.")
    elif after.ring > before.ring:
        out.append(
            f"{name} has a new place on your map, in {_circle(after.ring)}. The bond with "
            "someone who has died often changes shape rather than ends."
        )
    return out


def _list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


# --------------------------------------------------------------------------- PHQ-9 chart


def phq9_chart_svg(
    sessions: list[int],
    totals: list[int | None],
    *,
    bands: bool = True,
    estimated: Sequence[bool] | None = None,
) -> str:
    """An inline SVG line chart of PHQ-9 totals by session.

    Parameters
    ----------
    sessions : list of int
        Session numbers, in order.
    totals : list of int or None
        The PHQ-9 total at each session; ``None`` where there is none (the
        line breaks there).
    bands : bool
        Draw the severity bands with their names (the clinician's chart).
        ``False`` draws plain grid lines and names no band (the client's).
    estimated : sequence of bool, optional
        Totals that were prorated from a partly filled questionnaire: drawn
        as open circles, their value marked with ``*``.

    Examples
    --------
    >>> svg = phq9_chart_svg([1, 2, 3], [20, None, 8])
    >>> svg.count("<polyline") == 2 and "moderately severe" in svg
    True
    >>> "severe" in phq9_chart_svg([1, 2], [20, 8], bands=False)
    False
    >>> "9*" in phq9_chart_svg([1, 2], [20, 9], estimated=[False, True])
    True
    """
    width, height, left, top, bottom = 720, 260, 44, 12, 34
    right = 150 if bands else 24
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = (sessions[0], sessions[-1]) if sessions else (1, 1)
    span = max(last - first, 1)
    marks = list(estimated) if estimated is not None else [False] * len(sessions)

    def sx(s: int) -> float:
        return left + 16 + (s - first) / span * (plot_w - 32)  # keep points off the edges

    def sy(v: float) -> float:
        return top + (1 - v / PHQ9_BANDS.maximum) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" role="img"><title>PHQ-9 total by session</title>'
    ]
    if bands:
        for (lo, hi, label), fill in zip(PHQ9_BANDS.ranges(), _BAND_FILLS, strict=True):
            y0, y1 = sy(hi + 1 if hi < PHQ9_BANDS.maximum else hi), sy(lo)
            parts.append(
                f'<rect x="{left}" y="{y0:.1f}" width="{plot_w}" height="{y1 - y0:.1f}" '
                f'fill="{fill}" stroke="{_FRAME}" stroke-width="0.5"/>'
            )
            parts.append(
                f'<text x="{left + plot_w + 6}" y="{(y0 + y1) / 2 + 4:.1f}" font-size="12">'
                f"{_e(label)} ({lo}-{hi})</text>"
            )
    else:
        parts.append(
            f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" '
            f'fill="{_WHITE}" stroke="{_FRAME}" stroke-width="0.5"/>'
        )
        for v in (5, 10, 15, 20):
            parts.append(
                f'<line x1="{left}" y1="{sy(v):.1f}" x2="{left + plot_w}" y2="{sy(v):.1f}" '
                f'stroke="{_GRID}" stroke-width="0.8"/>'
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
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{_BLACK}" stroke-width="2"/>'
        )
    for s, t, est in zip(sessions, totals, marks, strict=True):
        if t is not None:
            x, y = sx(s), sy(t)
            fill = f'{_WHITE}" stroke="{_BLACK}" stroke-width="1.5' if est else _BLACK
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="11">'
                f"{t}{'*' if est else ''}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- the course


@dataclass(frozen=True)
class _Course:
    """What every part of the report reads, for one client."""

    course: ClientCourse
    inventory: Inventory
    client_id: str
    first: int
    last: int
    before: Mapping[str, PersonState]
    after: Mapping[str, PersonState]
    scores: pd.DataFrame
    dates: Mapping[int, str]
    label: Mapping[str, str]  # "name (role)"
    name: Mapping[str, str]  # name only, in the people table's order
    died: tuple[str, ...]  # people who died by the latest session, in the people table's order
    focus: tuple[str, ...]
    work: MiddleWork


def _course(inventory: Inventory, client_id: str) -> _Course:
    course = course_of(inventory, client_id)  # raises ClientNotFound
    if not course.sessions:
        raise SessionNotFound(client_id, 1)
    one = course.tables
    first, last = course.sessions[0], course.sessions[-1]
    last_day = date.fromisoformat(course.dates[last][:10])
    died = tuple(
        p.person_id
        for p in course.people
        if p.deceased_date is not None and date.fromisoformat(p.deceased_date[:10]) <= last_day
    )
    focus = _text(one.clients.iloc[0]["focus"])
    return _Course(
        course=course,
        inventory=one,
        client_id=client_id,
        first=first,
        last=last,
        before=course.states[first],
        after=course.states[last],
        scores=course.measures,
        dates=course.dates,
        label=course.labels_with_role,
        name=course.labels,
        died=died,
        focus=tuple(focus.split(";")) if focus else (),
        work=work_of(one, client_id),
    )


def _estimated(scores: pd.DataFrame) -> list[bool]:
    """Which PHQ-9 totals the scoring module marks as prorated."""
    return [bool(_truth(v)) for v in scores["phq9_prorated"]]


def _totals(scores: pd.DataFrame) -> list[int | None]:
    return [None if is_missing(t) else int(t) for t in scores["phq9_total"]]


# --------------------------------------------------------------------------- client sections


def _relationships_section(c: _Course) -> str:
    out = ["<section><h2>Your relationships, then and now</h2><div class='maps'>"]
    for s, state in ((c.first, c.before), (c.last, c.after)):
        rings = {p: st.ring for p, st in state.items()}
        conflicts = {p: st.conflict for p, st in state.items()}
        svg = map_svg(c.inventory.people, rings, conflicts, f"Relationship map at session {s}")
        out.append(
            f"<figure><figcaption>{_e(f'Session {s} ({c.dates[s]})')}</figcaption>{svg}</figure>"
        )
    out.append("</div>" + _legend())
    changes = c.course.between(c.first, c.last)
    moved = [(head, items) for head, items in _moves(changes, c.label, c.died) if items]
    for head, items in moved:
        out.append(f"<h3>{_e(head)}</h3>{_list(items)}")
    remembered = [(p, _remembering(c.name[p], c.before.get(p), c.after.get(p))) for p in c.died]
    for p, lines in remembered:
        if lines:
            out.append(
                f"<div class='remember'><h3>Remembering {_e(c.name[p])}</h3>"
                + "".join(f"<p>{_e(line)}</p>" for line in lines)
                + "</div>"
            )
    if not moved and not any(lines for _, lines in remembered):
        out.append("<p>The map looks the same at the start and now.</p>")
    out.append("</section>")
    return "".join(out)


#: What each questionnaire asks about, for the client, and which way is better.
_CLIENT_MEASURES: Final = (
    ("GAD-7", "worry and anxiety; lower is better", "gad7_total"),
    (
        "LSNS-6",
        "contact with family and friends; higher means more people to turn to",
        "lsns6_total",
    ),
    ("HAM-D 17", "depression, as your clinician rated it; lower is better", "hamd17_total"),
    ("BDI-II", "depression; lower is better", "bdi2_total"),
    ("EPDS", "mood after having a baby; lower is better", "epds_total"),
)


def _phq9_paragraphs(scores: pd.DataFrame) -> list[str]:
    """The PHQ-9 course in plain words for the client, a paragraph each: no band, no item.

    Response and remission are read from :func:`ipt_network.clinical.measures.measure_table`
    at the latest PHQ-9; the rules are not computed again here.
    """
    estimated = dict(zip(scores["session"].astype(int), _estimated(scores), strict=True))
    given = scores.dropna(subset=["phq9_total"])
    if given.empty:
        return ["No PHQ-9 mood questionnaire was filled in during our work."]
    a, b = given.iloc[0], given.iloc[-1]
    s0, s1 = int(a["session"]), int(b["session"])
    t0, t1 = int(a["phq9_total"]), int(b["phq9_total"])

    def score(s: int, t: int) -> str:
        return f"{t} (estimated from the questions you answered)" if estimated[s] else str(t)

    out = [
        "The PHQ-9 asks about low mood and how it affects sleep, energy, appetite and "
        "concentration. Scores run from 0 to 27; lower is better."
    ]
    if len(given) == 1:
        return [
            *out,
            f"It was filled in once, at session {s0}, with a score of {score(s0, t0)}, so "
            "there is no change to compare.",
        ]
    facts = (
        f"At session {s0} your score was {score(s0, t0)}; at session {s1} it was {score(s1, t1)}."
    )
    if t0 > 0 and t1 < t0:
        facts += f" That is {round(100 * (t0 - t1) / t0)}% lower than at the start."
    out.append(facts)
    response, remission = _truth(b["phq9_response"]), _truth(b["phq9_remission"])
    meaning = []
    if response:
        meaning.append(
            "Your score has come down by half or more since the start: this is what is "
            "called a response to treatment."
        )
    if remission:
        meaning.append(
            "Your latest score is below 5, which means the symptoms the questionnaire asks "
            "about have largely lifted: this is what is called remission."
        )
    elif response:
        meaning.append(
            "Some of the symptoms are still there, so the plan at the end of this summary "
            "matters: it is how you keep what you have gained."
        )
    else:
        meaning.append(
            "Your score has come down, but not as far as we hoped."
            if t1 < t0
            else "Your score has not come down over our sessions."
        )
        meaning.append(
            "That means this treatment has not helped enough yet, and that is not your "
            "failure: depression often takes more than one approach. There are other "
            "options to discuss with your therapist or doctor, such as more sessions, a "
            "different kind of therapy, or medication."
        )
    out.append(" ".join(meaning))
    missing = [int(s) for s in scores.loc[scores["phq9_total"].isna(), "session"]]
    if missing:
        out.append(f"There is no score for session {', '.join(str(s) for s in missing)}.")
    return out


def _client_measures(scores: pd.DataFrame) -> str:
    """First and latest total of the other questionnaires, without their bands."""
    rows = []
    for title, about, column in _CLIENT_MEASURES:
        given = scores.dropna(subset=[column])
        if given.empty:
            continue
        a, b = given.iloc[0], given.iloc[-1]

        def cell(row: pd.Series, column: str = column) -> str:
            return f"{int(row[column])} at session {int(row['session'])}"

        rows.append(
            f"<tr><td><strong>{_e(title)}</strong> ({_e(about)})</td><td>{_e(cell(a))}</td>"
            f"<td>{_e(cell(b) if len(given) > 1 else '-')}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<h3>Other questionnaires</h3><table><tr><th>questionnaire</th><th>first</th>"
        f"<th>latest</th></tr>{''.join(rows)}</table>"
    )


def _mood_section(c: _Course) -> str:
    chart = phq9_chart_svg(
        c.scores["session"].astype(int).tolist(),
        _totals(c.scores),
        bands=False,
        estimated=_estimated(c.scores),
    )
    words = "".join(f"<p>{_e(p)}</p>" for p in _phq9_paragraphs(c.scores))
    return (
        "<section><h2>How your mood changed</h2>"
        "<figure class='chart'><figcaption>Your PHQ-9 score at each session "
        "(0 to 27; lower is better)</figcaption>"
        f"{chart}</figure>{words}{_client_measures(c.scores)}</section>"
    )


def _area_words(focus: Sequence[str]) -> str:
    return focus_words(focus, client=True)


def _sessions_words(sessions: Sequence[int]) -> str:
    """``session 4`` or ``sessions 7 and 11``."""
    numbers = [str(s) for s in sessions]
    return f"session{'s' if len(numbers) > 1 else ''} {_and(numbers)}"


def _goals_part(c: _Course) -> str:
    """The goals, in their own (the client's) words, with where each stands in plain words."""
    if not c.work.goals:
        return ""
    items = [
        f"{g.goal.rstrip('.')} ({CLIENT_GOAL_WORDS.get(g.status, g.status.replace('_', ' '))})"
        for g in c.work.goals
    ]
    return f"<h3>What you set out to do</h3>{_list(items)}"


def _loss_part(c: _Course) -> str:
    """Memories talked through (sessions only, no notes) and the new people since a death."""
    lines = []
    talked: dict[str, list[int]] = {}
    for g in c.work.grief:
        if g.memories:
            talked.setdefault(g.label, []).append(g.session)
    lines += [
        f"We talked through your memories of {who} at {_sessions_words(at)}."
        for who, at in talked.items()
    ]
    joined: dict[Death, list[str]] = {}
    for r in c.work.reengagement:
        joined.setdefault(r.after, []).append(r.label)
    for death, people in joined.items():
        since = f"{death.label} died" if death.label else f"your loss on {death.date.isoformat()}"
        lines.append(f"New people in your life since {since}: {_and(people)}.")
    if not lines:
        return ""
    head = CLIENT_AREA_WORDS["grief"]
    return f"<h3>{_e(head[:1].upper() + head[1:])}</h3>" + "".join(
        f"<p>{_e(line)}</p>" for line in lines
    )


def _conversations_part(c: _Course) -> str:
    """The communication work in client words: with whom, what kind, at which sessions.

    No free text of that work is shown (what was planned, what happened, what
    was said or meant): it is the clinician's note, often about the client in
    the third person. Nor is an outcome.
    """
    rows = c.inventory.communication.sort_values("session", kind="stable")
    by_person: dict[str, dict[str, list[int]]] = {}
    for pid, kind, session in zip(rows["person_id"], rows["kind"], rows["session"], strict=True):
        kinds = by_person.setdefault(str(pid), {})
        kinds.setdefault(str(kind), []).append(int(session))
    if not by_person:
        return ""
    lines = []
    for pid, kinds in by_person.items():
        done = [
            f"{CLIENT_WORK_WORDS.get(kind, kind.replace('_', ' '))} ({_sessions_words(at)})"
            for kind, at in kinds.items()
        ]
        lines.append(f"With {c.name.get(pid, pid)}: {_and(done)}")
    return f"<h3>Conversations and things to try</h3>{_list(lines)}"


def _focus_section(c: _Course) -> str:
    row = c.inventory.clients.iloc[0]
    parts = ["<section><h2>What we worked on</h2>"]
    if not c.focus:
        parts.append("<p>No focus was recorded.</p>")
    else:
        when = _text(row.get("focus_session"))
        at = f", chosen together at session {when}" if when else ""
        parts.append(
            f"<p>The focus of our work was <strong>{_e(_area_words(c.focus))}</strong>{at}.</p>"
        )
    contract = c.work.contract
    if contract.formulation:
        when = f", as we wrote it down on {contract.agreed_on}" if contract.agreed_on else ""
        parts.append(
            "<h3>How we understood it together</h3>"
            f"<p class='small'>In your own words{_e(when)}:</p>"
            f"<blockquote class='remember'><p>{_e(contract.formulation)}</p></blockquote>"
        )
    parts += [_goals_part(c), _loss_part(c), _conversations_part(c), "</section>"]
    return "".join(parts)


#: A warning sign to watch that belongs to each problem area.
_AREA_SIGNS: Final = {
    "grief": "Anniversaries, birthdays and holidays, which can bring the loss back: plan "
    "ahead for them.",
    "role_dispute": "The old pattern coming back: long silences, or the same argument going "
    "round again.",
    "role_transition": "Feeling lost or alone in your new situation again.",
    "interpersonal_deficits": "Staying in more and more, and letting messages and "
    "invitations go unanswered.",
}
_SIGNS: Final = (
    "Sleep changing: waking early, or sleeping much more than usual.",
    "Losing interest in people and things you usually enjoy.",
    "Pulling back from the people on your map.",
)


def _write_in(label: str) -> str:
    return f"<li>{_e(label)}: <span class='write-in'>&nbsp;</span></li>"


def _stop(text: str) -> str:
    """``text`` as a sentence with one closing mark: a full stop only where none is.

    Examples
    --------
    >>> _stop("Maren U."), _stop("Call Ruth"), _stop("Who? ")
    ('Maren U.', 'Call Ruth.', 'Who?')
    """
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


#: How many people the fallback "Who to turn to" names at most, and the conflict
#: (0-4) from which someone is left out of it.
_CLOSEST_MAX: Final = 5
_HIGH_CONFLICT: Final = 3


def _closest(c: _Course) -> list[str]:
    """The people to turn to when the ending names none: the closest on the last map.

    At most :data:`_CLOSEST_MAX` people of the inner and middle circles, inner
    first, then the most supportive; nobody who has died and nobody with
    conflict of :data:`_HIGH_CONFLICT` or more.
    """
    order = {p: i for i, p in enumerate(c.name)}
    near = [
        p
        for p, st in c.after.items()
        if st.ring in (1, 2) and st.conflict < _HIGH_CONFLICT and p not in c.died
    ]
    near.sort(key=lambda p: (c.after[p].ring, -c.after[p].support, order.get(p, len(order))))
    return [c.name.get(p, p) for p in near[:_CLOSEST_MAX]]


def _looking_ahead(c: _Course, where: Region | None) -> str:
    """Gains, warning signs and who to turn to: as recorded at the ending, else general ones.

    The termination record (:attr:`ipt_network.clinical.work.MiddleWork.ending`)
    is written in the client's words; where a part of it is not recorded, the
    general text stays, with blanks to fill in together.
    """
    ending = c.work.ending
    own_signs, own_people = split_items(ending.warning_signs), split_items(ending.who_to_turn_to)
    close = _closest(c)
    signs = own_signs or [*_SIGNS, *(_AREA_SIGNS[a] for a in c.focus if a in _AREA_SIGNS)]
    people = own_people or (
        [f"The people closest to you on your last map: {_and(close)}"] if close else []
    )
    people.append(
        "Your doctor or your therapist, if low mood comes back and stays for two weeks or "
        "more. Asking early is a good sign, not a setback."
    )
    gains = f"<h3>What you achieved</h3><p>{_e(ending.gains)}</p>" if ending.gains else ""
    return (
        "<section><h2>Looking ahead</h2>"
        "<p>Low mood can come back, and noticing it early makes it easier to turn around. "
        "Go through this together and fill in the blanks.</p>"
        f"{gains}"
        f"<h3>Warning signs to watch</h3><ul>{''.join(f'<li>{_e(_stop(s))}</li>' for s in signs)}"
        f"{_write_in('More signs I notice' if own_signs else 'My own early signs')}</ul>"
        f"<h3>Who to turn to</h3><ul>{''.join(f'<li>{_e(_stop(p))}</li>' for p in people)}"
        f"{_write_in('More people I can turn to' if own_people else 'People I can turn to')}</ul>"
        f"<h3>What I will do</h3><ul>{_write_in('If I notice the signs, I will')}</ul>"
        f"<p class='care'>{_e(client_crisis_line(where))}</p></section>"
    )


# --------------------------------------------------------------------------- clinical appendix


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _appendix(c: _Course, where: Region | None) -> str:
    """Measures with their bands, the flag and the problem-area evidence, as the
    clinician views word them (:mod:`ipt_network.clinical.measures`,
    :mod:`ipt_network.clinical.safety`,
    :mod:`ipt_network.clinical.problem_areas`)."""
    flag = c.course.flag
    out = [
        "<section class='appendix'><h2>Clinical appendix (clinician copy)</h2>",
        "<p class='small'>For the clinician's record: not part of what the client takes home.</p>",
    ]
    if flag is not None:
        lines = "".join(f"<p>{_e(line)}</p>" for line in flag.banner(where).splitlines())
        out.append(f'<div class="flag" role="alert">{lines}</div>')
    else:
        out.append(f"<p>{_e(crisis_lines(where))}</p>")
    chart = phq9_chart_svg(
        c.scores["session"].astype(int).tolist(),
        _totals(c.scores),
        estimated=_estimated(c.scores),
    )
    out.append(
        "<h3>PHQ-9 by session</h3>"
        f"<p class='small'>Response: a drop of at least 50% from a baseline of "
        f"{PHQ9_RESPONSE_MIN_BASELINE} or more. Remission: a total below 5. Reliable change: a "
        f"drop of {PHQ9_RELIABLE_DROP} points or more. A prorated total (1 or 2 items "
        f"missing) is marked, and drawn as an open circle.</p>"
        f"{_html_table(phq9_text_table(c.scores))}<figure class='chart'>{chart}</figure>"
    )
    others = other_measures_lines(c.scores)
    if others:
        out.append(f"<h3>Other measures</h3>{_list(others)}")
    out.append(_work_appendix(c))
    evidence = "\n".join(rank_problem_areas(c.inventory, c.client_id).lines())
    out.append(f"<h3>Problem areas</h3><pre class='evidence'>{_e(evidence)}</pre></section>")
    return "".join(out)


#: How each dispute stage is filled in the stage strip: light to dark as talk closes down.
_STAGE_FILLS: Final = {
    "renegotiation": _WHITE,
    "impasse": _GRID,
    "dissolution": theme.PRINT["box"],
}


def stage_strip_svg(sessions: Sequence[int], stages: Mapping[int, str]) -> str:
    """An inline SVG strip of the clinician's dispute-stage call at each session.

    One cell per session, filled white (renegotiation), light grey (impasse)
    or dark grey (dissolution) with the stage's first letter written in; a
    session without a call is an empty dashed cell. It reads in black and
    white, and the same facts are given in words beside it.

    Examples
    --------
    >>> svg = stage_strip_svg([1, 2, 3], {2: "impasse", 3: "renegotiation"})
    >>> svg.startswith("<svg") and svg.count("<rect") == 3 and ">I</text>" in svg
    True
    """
    cell, left, top = 30, 6, 6
    width = left * 2 + cell * max(len(sessions), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 58" width="100%" '
        f'style="max-width:{width}px" role="img"><title>Dispute stage by session</title>'
    ]
    for i, s in enumerate(sessions):
        x, stage = left + i * cell, stages.get(s)
        line = f'stroke="{_BLACK}"' if stage else f'stroke="{_FRAME}" stroke-dasharray="3 2"'
        parts.append(
            f'<rect x="{x}" y="{top}" width="{cell - 2}" height="26" '
            f'fill="{_STAGE_FILLS.get(stage or "", _WHITE)}" {line}/>'
        )
        if stage:
            ink = _WHITE if stage == "dissolution" else _BLACK
            parts.append(
                f'<text x="{x + cell / 2 - 1}" y="{top + 18}" text-anchor="middle" '
                f'font-size="12" fill="{ink}">{_e(stage[:1].upper())}</text>'
            )
        parts.append(
            f'<text x="{x + cell / 2 - 1}" y="{top + 44}" text-anchor="middle" '
            f'font-size="11">{s}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _work_appendix(c: _Course) -> str:
    """The middle-phase work, the contract and the ending, as the clinician views word them
    (:func:`ipt_network.views.work.work_sections`), with the dispute stage drawn as a strip."""
    sections = work_sections(c.work)
    if not sections:
        return f"<h3>Middle-phase work</h3><p>{_e(NOTHING_RECORDED)}</p>"
    out = ["<h3>Middle-phase work</h3>"]
    if c.work.stages:
        stages = {at.session: at.value for at in c.work.stages}
        key = ", ".join(f"{s[:1].upper()} {s}" for s in _STAGE_FILLS)
        out.append(
            "<figure class='chart'><figcaption>Dispute stage at each session, the "
            f"clinician's call ({_e(key)}; dashed: not recorded)</figcaption>"
            f"{stage_strip_svg(c.work.sessions, stages)}</figure>"
        )
    out += [f"<p><strong>{_e(head)}</strong></p>{_list(lines)}" for head, lines in sections]
    out.append(_communication_appendix(c))
    return "".join(out)


def _communication_appendix(c: _Course) -> str:
    """Every role-play, analysis and task with what was planned, what happened and the
    outcome (:func:`ipt_network.clinical.communication.communication_items`): the notes the
    client's copy leaves out."""
    items = communication_items(c.inventory, c.client_id)
    if not items:
        return ""
    out = ["<p><strong>Communication work, item by item</strong></p>"]
    for person_id in dict.fromkeys(item.person_id for item in items):
        mine = [item for item in items if item.person_id == person_id]
        out.append(f"<p>{_e(mine[0].person)}</p>{_list(item.sentence() for item in mine)}")
    return "".join(out)


# --------------------------------------------------------------------------- the page


def render_report(
    inventory: Inventory,
    client_id: str,
    *,
    audience: Audience = "client",
    region: Region | None = None,
) -> str:
    """The end-of-course report of one client as a self-contained HTML page.

    Parameters
    ----------
    inventory, client_id
        The tables and the client in them, as for :func:`~ipt_network.clinical.course.course_of`.
    audience : {"client", "clinician"}
        ``"client"`` (the default): the report written for the client, with
        the calm crisis line every client gets and no flag, band or item
        answer. ``"clinician"``: the same report followed by the clinical
        appendix (measures with bands, the safety flag, problem-area evidence).
    region : Region, optional
        The practice's region, for the crisis lines (a store's
        ``Store.region``); ``None`` is the default region (us).

    Returns
    -------
    str
        A complete HTML document with inline CSS and SVG and no outside
        resources.

    Raises
    ------
    ReportError
        When the audience is not ``"client"`` or ``"clinician"``.
    ClientNotFound
        When the client is not in the inventory.
    SessionNotFound
        When the client has no sessions yet.
    """
    if audience not in AUDIENCES:
        raise ReportError(f"unknown report audience {audience!r}; use client or clinician")
    c = _course(inventory, client_id)
    client = c.inventory.clients.iloc[0]
    name = _text(client["label"]) or client_id
    clinician = audience == "clinician"
    title = "End-of-course summary" + (", clinician copy" if clinician else "")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}: {_e(client_id)}</title>",
        f"<style>{_CSS}{_CLINICIAN_CSS if clinician else ''}</style></head><body>",
    ]
    if clinician:
        out.append(
            "<p class='copy'><strong>Clinician copy.</strong> The client report followed by a "
            "clinical appendix. To give the client their copy, run <code>ipt-network report "
            f"{_e(client_id)} --out FILE</code> without <code>--for clinician</code>.</p>"
        )
    out += [
        f"<h1>Looking back on our work together</h1><p class='small'>{_e(name)} "
        f"({_e(client_id)}); sessions {c.first} to {c.last}, {_e(c.dates[c.first])} to "
        f"{_e(c.dates[c.last])}.</p>",
        "<p class='lead'>This summary is for you and your therapist to go through together "
        "as therapy comes to an end: how your relationships and your mood changed, what you "
        "worked on, and what you want to carry forward.</p>",
        _relationships_section(c),
        _mood_section(c),
        _focus_section(c),
        _looking_ahead(c, region),
        "<p class='small'>Prepared with ipt-network from the session records. The maps "
        "show each person as you placed them; names in italics are people who have died.</p>",
    ]
    if clinician:
        out.append(_appendix(c, region))
    out.append("</body></html>")
    return "\n".join(out)


def write_report(
    inventory: Inventory,
    client_id: str,
    path: str | Path,
    *,
    audience: Audience = "client",
    region: Region | None = None,
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8, readable by the owner only).

    Parameters
    ----------
    inventory, client_id, audience, region
        As for :func:`render_report`.
    path : str or Path
        The HTML file to write; it is replaced whole or left as it was.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, os
    >>> from ipt_network import load_samples
    >>> out = write_report(load_samples(), "grief-01", os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> page = out.read_text(encoding="utf-8")
    >>> "988" in page and "Clinical appendix" not in page
    True
    """
    target = Path(path)
    text = render_report(inventory, client_id, audience=audience, region=region)
    with private_output(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
