"""ipt-network: the interpersonal inventory of IPT as a session-by-session network."""

from __future__ import annotations

__version__ = "0.1.0"
