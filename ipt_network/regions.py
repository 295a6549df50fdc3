"""Crisis lines by region: the one table every view takes its crisis information from.

A store records the region of its practice (``ipt-network init --region``,
``ipt-network settings --region``; default ``us``). Clinician views show the
lines of that region with the safety flag; client-facing output shows them to
every client, flagged or not, in one calm sentence.

Each region lists its lines in the order a person should try them, and the
date the numbers were last checked against the services' own pages.

Examples
--------
>>> region("us").lines[0].number
'988'
>>> print(region("uk").summary())
Samaritans: call 116 123 (free, any hour). NHS 111: call 111 and choose the mental health option. Emergency: call 999.
>>> sorted(REGIONS)
['au', 'ca', 'ie', 'intl', 'nz', 'uk', 'us']
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ipt_network.errors import IPTNetworkError

__all__ = [
    "CrisisLine",
    "Region",
    "REGIONS",
    "DEFAULT_REGION",
    "UnknownRegion",
    "region",
]


class UnknownRegion(IPTNetworkError, ValueError):
    """A region code that is not in :data:`REGIONS`."""


@dataclass(frozen=True)
class CrisisLine:
    """One service a person in crisis can reach.

    Parameters
    ----------
    name : str
        The service, such as ``"988 Suicide and Crisis Lifeline"``.
    number : str
        What to dial or text, as people write it there (``"116 123"``).
    how : str
        How to reach it, completing "<name>: <how>".
    emergency : bool
        The emergency number, for immediate danger.
    """

    name: str
    number: str
    how: str
    emergency: bool = False

    def sentence(self) -> str:
        """``"<name>: <how>."``

        Examples
        --------
        >>> CrisisLine("Lifeline", "13 11 14", "call 13 11 14").sentence()
        'Lifeline: call 13 11 14.'
        """
        return f"{self.name}: {self.how}."


@dataclass(frozen=True)
class Region:
    """The crisis lines of one country or region.

    Parameters
    ----------
    code : str
        The code used by ``--region``.
    name : str
        The region in words.
    lines : tuple of CrisisLine
        In the order to try them; the emergency number last.
    call_text : str
        The calm sentence for client-facing output, naming the first line.
    checked : str
        ISO date the numbers were last checked (default: the date every
        region of :data:`REGIONS` was last checked).
    """

    code: str
    name: str
    lines: tuple[CrisisLine, ...]
    call_text: str
    checked: str = "2026-11-30"

    def summary(self) -> str:
        """Every line as one sentence each, on one line."""
        return " ".join(line.sentence() for line in self.lines)


def _emergency(number: str, how: str = "") -> CrisisLine:
    """The emergency line of a region: "call <number>" unless told otherwise."""
    return CrisisLine("Emergency", number, how or f"call {number}", emergency=True)


_SAMARITANS: Final = CrisisLine("Samaritans", "116 123", "call 116 123 (free, any hour)")
_SAMARITANS_TEXT: Final = "you can call Samaritans free on 116 123 at any hour"
_CALL_911: Final = _emergency("911", "call 911 for immediate danger")

#: Every region the tool knows, by code.
REGIONS: Final[dict[str, Region]] = {
    r.code: r
    for r in (
        Region(
            "us",
            "United States",
            (
                CrisisLine(
                    "988 Suicide and Crisis Lifeline",
                    "988",
                    "call or text 988, or chat at 988lifeline.org, at any hour",
                ),
                _CALL_911,
            ),
            "you can call or text 988 at any hour, or chat at 988lifeline.org",
        ),
        Region(
            "ca",
            "Canada",
            (
                CrisisLine(
                    "9-8-8 Suicide Crisis Helpline", "9-8-8", "call or text 9-8-8 at any hour"
                ),
                _CALL_911,
            ),
            "you can call or text 9-8-8 at any hour",
        ),
        Region(
            "uk",
            "United Kingdom",
            (
                _SAMARITANS,
                CrisisLine("NHS 111", "111", "call 111 and choose the mental health option"),
                _emergency("999"),
            ),
            _SAMARITANS_TEXT,
        ),
        Region("ie", "Ireland", (_SAMARITANS, _emergency("112 or 999")), _SAMARITANS_TEXT),
        Region(
            "au",
            "Australia",
            (CrisisLine("Lifeline", "13 11 14", "call 13 11 14 at any hour"), _emergency("000")),
            "you can call Lifeline on 13 11 14 at any hour",
        ),
        Region(
            "nz",
            "New Zealand",
            (
                CrisisLine("Need to talk?", "1737", "call or text 1737 at any hour"),
                _emergency("111"),
            ),
            "you can call or text 1737 at any hour",
        ),
        Region(
            "intl",
            "International",
            (
                CrisisLine(
                    "Find a helpline",
                    "findahelpline.com",
                    "findahelpline.com lists free, confidential lines in your country",
                ),
                _emergency("local emergency number", "call your local emergency number"),
            ),
            "you can find a free helpline for your country at findahelpline.com",
        ),
    )
}

#: The region of a store that never set one: the project's home practice is in the US.
DEFAULT_REGION: Final = "us"


def region(code: str | None) -> Region:
    """The region for ``code`` (``None``: :data:`DEFAULT_REGION`).

    Raises
    ------
    UnknownRegion
        For a code not in :data:`REGIONS`.
    """
    key = DEFAULT_REGION if code is None else code.strip().lower()
    if key not in REGIONS:
        raise UnknownRegion(f"unknown region {code!r}; choose one of {', '.join(REGIONS)}")
    return REGIONS[key]
