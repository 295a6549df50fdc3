"""The safety flag: PHQ-9 item 9 above 0 at any session, always shown.

Item 9 asks about thoughts of death or self-harm. Any answer above 0 at any
session raises a flag that every view of the client shows, with the session
it came from and the 988 Suicide and Crisis Lifeline. An answer of 0 never
means "low risk": when there is no flag, nothing is said about risk at all.

Examples
--------
>>> from ipt_network import load_samples
>>> flag = safety_flag(load_samples(), "grief-01")
>>> flag is not None and "988" in flag.banner()
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ipt_network.inventory import Inventory

__all__ = ["SafetyFlag", "safety_flag", "CRISIS_LINE"]

#: The crisis resource shown with every flag.
CRISIS_LINE: Final = (
    "988 Suicide and Crisis Lifeline: call or text 988 (US). For immediate danger call 911."
)


@dataclass(frozen=True)
class SafetyFlag:
    """PHQ-9 item 9 was above 0 at one or more sessions.

    Parameters
    ----------
    client_id : str
        The client.
    sessions : tuple of int
        Every session at which item 9 was above 0, in order.
    highest : int
        The highest item-9 answer given (1 to 3).
    """

    client_id: str
    sessions: tuple[int, ...]
    highest: int

    @property
    def latest(self) -> int:
        """The most recent session with item 9 above 0."""
        return self.sessions[-1]

    def headline(self) -> str:
        """One line naming where the flag came from.

        Examples
        --------
        >>> SafetyFlag("c1", (2, 5), 2).headline()
        'SAFETY FLAG: PHQ-9 item 9 (thoughts of death or self-harm) was above 0 at session 2, 5.'
        """
        where = ", ".join(str(s) for s in self.sessions)
        return (
            "SAFETY FLAG: PHQ-9 item 9 (thoughts of death or self-harm) was above 0 "
            f"at session {where}."
        )

    def banner(self) -> str:
        """The headline, the crisis line and a prompt to review risk.

        Examples
        --------
        >>> print(SafetyFlag("c1", (3,), 1).banner())
        SAFETY FLAG: PHQ-9 item 9 (thoughts of death or self-harm) was above 0 at session 3.
        Review risk with the client.
        988 Suicide and Crisis Lifeline: call or text 988 (US). For immediate danger call 911.
        """
        return f"{self.headline()}\nReview risk with the client.\n{CRISIS_LINE}"


def safety_flag(inventory: Inventory, client_id: str) -> SafetyFlag | None:
    """The client's safety flag, or ``None`` when item 9 was never above 0.

    ``None`` means only that no flag was raised by the PHQ-9: it is not a
    statement about risk.

    Parameters
    ----------
    inventory : Inventory
        Tables holding the client.
    client_id : str
        The client.

    Raises
    ------
    ClientNotFound
        When the client is not in the inventory.
    """
    inventory.sessions_of(client_id)  # raises ClientNotFound
    s = inventory.sessions
    rows = s[(s["client_id"] == client_id) & (s["phq9_9"].fillna(0) > 0)]
    if rows.empty:
        return None
    rows = rows.sort_values("session")
    return SafetyFlag(
        client_id,
        tuple(int(x) for x in rows["session"]),
        int(rows["phq9_9"].max()),
    )
