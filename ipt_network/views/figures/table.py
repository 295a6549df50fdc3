"""A text alternative for any figure: one row per point with hover text."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

_TAG = re.compile(r"<[^>]+>")
_EXTRA = re.compile(r"<extra>.*?</extra>")


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text.replace("<br>", "; ")))


def figure_table(fig: Mapping[str, Any]) -> list[dict[str, str]]:
    """A table alternative of a figure: one row per point that has hover text.

    Decorative traces (rings, spokes, ties, arrows) are left out; what a
    sighted reader learns by hovering is what the table says, so a client-view
    map's table also has no notes and no scores.

    Parameters
    ----------
    fig : mapping
        A figure dict from this module.

    Returns
    -------
    list of dict
        Rows with ``series`` (the trace name) and ``text`` (the hover text as
        plain text, lines joined by ``"; "``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ipt_network.views.figures import trends_figure
    >>> rows = pd.DataFrame({"session": [1], "n_people": [5], "n_inner": [1],
    ...                      "conflict_sum": [4], "density": [0.2]})
    >>> figure_table(trends_figure(rows))[0]
    {'series': 'People on the map', 'text': 'Session 1: people on the map 5'}
    """
    rows: list[dict[str, str]] = []
    for trace in fig.get("data", []):
        if trace.get("hoverinfo") == "skip":
            continue
        hovertext = trace.get("hovertext") or []
        template = _EXTRA.sub("", trace.get("hovertemplate") or "%{hovertext}")
        texts = trace.get("text") or [""] * len(hovertext)
        for text, hover in zip(texts, hovertext, strict=True):
            shown = template.replace("%{text}", str(text)).replace("%{hovertext}", str(hover))
            rows.append({"series": str(trace.get("name", "")), "text": _plain(shown)})
    return rows
