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
    AccessError,
    BadArgument,
    BadTable,
    ClientExists,
    ClientNotFound,
    DriverMissing,
    Forbidden,
    InputMissing,
    IPTNetworkError,
    KeyRequired,
    NotAStore,
    OutputExists,
    PersonNotFound,
    RowNotFound,
    SchemaVersionError,
    SessionNotFound,
    SignInFailed,
    SignInRequired,
    StoreBusy,
    StoreError,
    ValidationError,
    WrongKey,
    WrongType,
)
from ipt_network.io.inventory import Inventory
from ipt_network.io.samples import load_samples
from ipt_network.io.store import Store
from ipt_network.io.tidy import read_inventory, write_inventory
from ipt_network.io.validation import validate
from ipt_network.network.graph import course, snapshot
from ipt_network.regions import UnknownRegion

if TYPE_CHECKING:
    from ipt_network.clinical.course import ClientCourse, course_of
    from ipt_network.clinical.measures import MeasureError
    from ipt_network.clinical.problem_areas import ProblemAreaError
    from ipt_network.io.recording import RecordingError
    from ipt_network.io.synth import synthesize
    from ipt_network.network.metrics import cohort_metrics, snapshot_metrics
    from ipt_network.views.report import ReportError

__version__ = "0.1.0"

__all__ = [
    "BadArgument",
    "BadTable",
    "ClientCourse",
    "ClientExists",
    "ClientNotFound",
    "DriverMissing",
    "IPTNetworkError",
    "Inventory",
    "MeasureError",
    "NotAStore",
    "OutputExists",
    "InputMissing",
    "PersonNotFound",
    "ProblemAreaError",
    "RecordingError",
    "ReportError",
    "RowNotFound",
    "SchemaVersionError",
    "SessionNotFound",
    "Store",
    "StoreBusy",
    "StoreError",
    "UnknownRegion",
    "ValidationError",
    "WrongType",
    "cohort_metrics",
    "course",
    "course_of",
    "load_samples",
    "names",
    "read_inventory",
    "snapshot",
    "snapshot_metrics",
    "synthesize",
    "validate",
    "write_inventory",
    "AccessError",
    "Forbidden",
    "KeyRequired",
    "SignInFailed",
    "SignInRequired",
    "WrongKey",
]

#: The heavier parts of the API (and errors defined beside the code that raises them),
#: exported here without importing them early.
_LAZY = {
    "ClientCourse": "ipt_network.clinical.course",
    "course_of": "ipt_network.clinical.course",
    "MeasureError": "ipt_network.clinical.measures",
    "ProblemAreaError": "ipt_network.clinical.problem_areas",
    "RecordingError": "ipt_network.io.recording",
    "ReportError": "ipt_network.views.report",
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
