"""ipt-network: the interpersonal inventory of IPT as a session-by-session network.

The public API is small; everything else lives in modules named by topic.

Examples
--------
>>> import ipt_network as ipt
>>> inv = ipt.load_samples()
>>> G = ipt.snapshot(inv, "grief-01", 1)
>>> G.has_node(ipt.names.EGO)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ipt_network import names
from ipt_network.errors import (
    ClientExists,
    ClientNotFound,
    DriverMissing,
    IPTNetworkError,
    NotAStore,
    SchemaVersionError,
    SessionNotFound,
    StoreBusy,
    StoreError,
    ValidationError,
)
from ipt_network.io.inventory import Inventory
from ipt_network.io.samples import load_samples
from ipt_network.io.store import Store
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.io.validation import validate
from ipt_network.network.graph import course, snapshot

if TYPE_CHECKING:
    from ipt_network.io.synth import synthesize
    from ipt_network.network.metrics import cohort_metrics, snapshot_metrics

__version__ = "0.1.0"

__all__ = [
    "ClientExists",
    "ClientNotFound",
    "DriverMissing",
    "IPTNetworkError",
    "Inventory",
    "NotAStore",
    "SchemaVersionError",
    "SessionNotFound",
    "Store",
    "StoreBusy",
    "StoreError",
    "ValidationError",
    "cohort_metrics",
    "course",
    "load_samples",
    "names",
    "read_inventory",
    "snapshot",
    "snapshot_metrics",
    "synthesize",
    "validate",
    "write_inventory",
]

_LAZY = {
    "cohort_metrics": "ipt_network.network.metrics",
    "snapshot_metrics": "ipt_network.network.metrics",
    "synthesize": "ipt_network.io.synth",
}


def __getattr__(name: str) -> Any:
    """Import the heavier parts of the API on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ipt_network' has no attribute {name!r}")
