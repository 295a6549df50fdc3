"""Shared look of every figure: the theme's colours, hover text and the session marker."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import pandas as pd

from ipt_network.views import theme
from ipt_network.views.theme import OKABE_ITO

Figure = dict[str, Any]


# Every colour comes from the theme; the short names below are the figures' own.
_INK: Final = theme.INK
_MUTED: Final = theme.MUTED
_RULE: Final = theme.RULE
_TIE: Final = theme.TIE
_CALM_SPOKE: Final = theme.CALM_SPOKE
_WASH: Final = theme.WASH  # inner, middle, outer ring fills
_FONT: Final = theme.FONT
_PAPER: Final = theme.PAPER
_GHOST: Final = theme.GHOST


class ConflictStyle(NamedTuple):
    """How one conflict level is drawn.

    Attributes
    ----------
    label : str
        Words for the level, as shown in the legend.
    colour : str
        Line and marker colour.
    dash : str
        Plotly line dash of the spoke from the client to the person.
    width : float
        Spoke width in pixels.
    """

    label: str
    colour: str
    dash: str
    width: float


#: Conflict level (0 to 4) to its style: colour *and* dash *and* width differ,
#: so the level survives colour blindness and black-and-white printing.
CONFLICT_STYLES: Final = (
    ConflictStyle("no conflict", OKABE_ITO["blue"], "solid", 1.0),
    ConflictStyle("a little conflict", OKABE_ITO["sky_blue"], "dot", 1.6),
    ConflictStyle("some conflict", OKABE_ITO["orange"], "dash", 2.0),
    ConflictStyle("a lot of conflict", OKABE_ITO["reddish_purple"], "dashdot", 2.6),
    ConflictStyle("very much conflict", OKABE_ITO["vermillion"], "longdash", 3.2),
)

#: Metric column to panel title, in the order of :func:`trends_figure`'s panels.
TREND_METRICS: Final = {
    "n_people": "People on the map",
    "n_inner": "Inner circle",
    "conflict_sum": "Conflict (sum over people)",
    "density": "Density of ties between people",
}

_LABEL_LIMIT: Final = 40  # above this many people, names show on hover only
_NOTE_CHARS: Final = 280
_DIGITS: Final = 2  # 0.01 of a ring is about a pixel
_SECTOR_RADIUS: Final = 3.5  # role labels sit just outside the outer ring


# --------------------------------------------------------------------------- helpers


def _esc(value: object) -> str:
    """Plain text made safe for plotly's small HTML subset."""
    return html.escape(str(value), quote=False)


def _note(text: object) -> str:
    """A note, shortened and wrapped (greedily, at about 48 characters) for a hover box."""
    words = str(text).split()
    out: list[str] = []
    line = ""
    used = 0
    for word in words:
        if used + len(word) > _NOTE_CHARS:
            line += " …"
            break
        used += len(word) + 1
        if line and len(line) + len(word) >= 48:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "<br>".join(_esc(x) for x in out)


def _present(value: object) -> bool:
    return value is not None and value is not pd.NA and value == value and value != ""


def _segments(
    x0: Sequence[float] | int,
    y0: Sequence[float] | int,
    x1: Sequence[float],
    y1: Sequence[float],
    *,
    mid: bool = False,
) -> tuple[list[Any], list[Any]]:
    """Coordinates of many line segments in one trace, ``None`` between them.

    With ``mid`` a midpoint is inserted in each segment (for an arrow marker).
    An ``int`` start (the centre, 0) is written as that int, which is shorter.
    """
    n = len(x1)
    step = 4 if mid else 3
    xs = np.empty(step * n, dtype=object)
    ys = np.empty(step * n, dtype=object)
    ax1, ay1 = np.round(np.asarray(x1, float), _DIGITS), np.round(np.asarray(y1, float), _DIGITS)
    ax0 = np.round(np.broadcast_to(np.asarray(x0, float), (n,)), _DIGITS)
    ay0 = np.round(np.broadcast_to(np.asarray(y0, float), (n,)), _DIGITS)
    xs[0::step] = x0 if isinstance(x0, int) else ax0.tolist()
    ys[0::step] = y0 if isinstance(y0, int) else ay0.tolist()
    if mid:
        xs[1::step] = np.round((ax0 + ax1) / 2, _DIGITS).tolist()
        ys[1::step] = np.round((ay0 + ay1) / 2, _DIGITS).tolist()
    xs[step - 2 :: step], ys[step - 2 :: step] = ax1.tolist(), ay1.tolist()
    xs[step - 1 :: step] = None
    ys[step - 1 :: step] = None
    return xs.tolist(), ys.tolist()


def _text_positions(theta: np.ndarray) -> list[str]:
    """Put a name on the outer side of its marker, so names do not cover spokes."""
    c, s = np.cos(theta), np.sin(theta)
    side = np.where(c > 0.35, "middle right", np.where(c < -0.35, "middle left", ""))
    vertical = np.where(s >= 0, "top center", "bottom center")
    return np.where(side == "", vertical, side).tolist()


def _base_layout(title: str, *, font_size: int) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.02, "xanchor": "left", "font": {"size": font_size + 4}},
        "font": {"family": _FONT, "color": _INK, "size": font_size},
        "paper_bgcolor": _PAPER,
        "plot_bgcolor": _PAPER,
        "hoverlabel": {
            "bgcolor": _PAPER,
            "bordercolor": _RULE,
            "align": "left",
            "namelength": -1,
            "font": {"color": _INK, "size": font_size},
        },
        "margin": {"l": 16, "r": 16, "t": 56, "b": 16},
    }


def _current_marker(x: float, *, xref: str = "x", yref: str = "paper") -> dict[str, Any]:
    return {
        "type": "line",
        "xref": xref,
        "yref": yref,
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": _INK, "width": 1.5, "dash": "dot"},
    }


def _current_label(x: float, *, xref: str = "x", yref: str = "paper") -> dict[str, Any]:
    return {
        "xref": xref,
        "yref": yref,
        "x": x,
        "y": 1,
        "yanchor": "bottom",
        "text": "this session",
        "showarrow": False,
        "font": {"size": 11, "color": _INK},
    }


# --------------------------------------------------------------------------- trends
