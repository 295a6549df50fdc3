"""Names used across ipt-network: graph attribute keys and controlled vocabularies.

Every attribute that a snapshot graph carries is named here, once, so that
metrics, figures and the dashboard agree.

Examples
--------
>>> from ipt_network import names
>>> names.EGO, names.CLOSENESS
('ego', 'closeness')
>>> names.closeness_weight(1)
3
"""

from __future__ import annotations

from typing import Final

from ipt_network.errors import BadArgument

__all__ = [
    "EGO",
    "KIND",
    "KIND_EGO",
    "KIND_PERSON",
    "NAME",
    "ROLE",
    "DECEASED_DATE",
    "PERSON_ID",
    "RING",
    "CLOSENESS",
    "CONFLICT",
    "SUPPORT",
    "TIE",
    "TIE_EGO",
    "TIE_PERSON",
    "RELATIONSHIP_FIELDS",
    "PERSON_FIELDS",
    "ROLES",
    "EVENT_KINDS",
    "PROBLEM_AREAS",
    "EPISODES",
    "COMMUNICATION_KINDS",
    "COMMUNICATION_OUTCOMES",
    "CONTACT_FREQUENCIES",
    "DISPUTE_STAGES",
    "SKILLS",
    "GOAL_STATUSES",
    "MAINTENANCE_DECISIONS",
    "closeness_weight",
]

#: The node that stands for the client in every snapshot graph.
EGO: Final = "ego"

# Node attributes
KIND: Final = "kind"
KIND_EGO: Final = "ego"
KIND_PERSON: Final = "person"
PERSON_ID: Final = "person_id"
NAME: Final = "name"
ROLE: Final = "role"
DECEASED_DATE: Final = "deceased_date"

# Ego-person edge attributes
RING: Final = "ring"
CLOSENESS: Final = "closeness"
CONFLICT: Final = "conflict"
SUPPORT: Final = "support"

# Every edge carries TIE: TIE_EGO for ego-person edges, TIE_PERSON for person ties.
TIE: Final = "tie"
TIE_EGO: Final = "ego"
TIE_PERSON: Final = "person"

#: Optional inventory fields of a relationship state, carried on the ego-person edge.
RELATIONSHIP_FIELDS: Final = (
    "contact_frequency",
    "expectations_met",
    "knows_about_depression",
    "satisfying",
    "unsatisfying",
    "wants_to_change",
    "notes",
)

#: Person attributes carried on person nodes.
PERSON_FIELDS: Final = (NAME, ROLE, DECEASED_DATE)

ROLES: Final = ("partner", "family", "friend", "coworker", "professional", "community", "other")

EVENT_KINDS: Final = (
    "death",
    "separation",
    "divorce",
    "move",
    "job_loss",
    "new_job",
    "retirement",
    "birth",
    "illness",
    "conflict",
    "other",
)

PROBLEM_AREAS: Final = ("grief", "role_dispute", "role_transition", "interpersonal_deficits")

#: The course of the client's depression (``clients.episode``).
EPISODES: Final = ("single", "recurrent", "chronic")

COMMUNICATION_KINDS: Final = ("role_play", "communication_analysis", "task")
COMMUNICATION_OUTCOMES: Final = ("went_well", "mixed", "did_not_happen")
CONTACT_FREQUENCIES: Final = ("daily", "weekly", "monthly", "rarely", "never")

#: The stages of a role dispute (``sessions.dispute_stage``): the clinician's call.
DISPUTE_STAGES: Final = ("renegotiation", "impasse", "dissolution")
#: The skill practiced in a piece of communication work (``communication.skill``).
SKILLS: Final = ("clear_request", "naming_feeling", "repair", "other")
#: Where a goal of the middle phase stands (``goals.status``).
GOAL_STATUSES: Final = ("not_started", "in_progress", "achieved", "set_aside")
#: The decision about maintenance made at termination (``clients.maintenance``):
#: ``agreed`` records a maintenance contract.
MAINTENANCE_DECISIONS: Final = ("agreed", "declined", "undecided")


def closeness_weight(ring: int) -> int:
    """Closeness weight of a ring: inner 3, middle 2, outer 1.

    Parameters
    ----------
    ring : int
        1 (inner), 2 (middle) or 3 (outer).

    Returns
    -------
    int
        ``4 - ring``.

    Examples
    --------
    >>> [closeness_weight(r) for r in (1, 2, 3)]
    [3, 2, 1]
    """
    if ring not in (1, 2, 3):
        raise BadArgument(f"ring must be 1, 2 or 3, not {ring!r}")
    return 4 - ring
