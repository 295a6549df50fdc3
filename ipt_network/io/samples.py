"""The sample data shipped inside the package: four fictional clients.

Loaded with :mod:`importlib.resources`, so the demo works from any folder.
The clients are fictional and were written by hand, one per IPT problem area.

Examples
--------
>>> inv = load_samples()
>>> sorted(inv.clients["focus"])
['grief', 'interpersonal_deficits', 'role_dispute', 'role_transition']
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path

from ipt_network.io.inventory import Inventory

__all__ = ["load_samples", "samples_folder", "SAMPLE_CLIENTS"]

#: The four sample clients, one per problem area.
SAMPLE_CLIENTS = ("grief-01", "dispute-01", "transition-01", "deficits-01")


def samples_folder() -> AbstractContextManager[Path]:
    """A context manager giving the folder of the shipped sample inventory.

    Examples
    --------
    >>> with samples_folder() as folder:
    ...     (folder / "clients.csv").is_file()
    True
    """
    return resources.as_file(resources.files("ipt_network") / "data" / "samples" / "clients")


def load_samples() -> Inventory:
    """The four sample clients as a validated :class:`~ipt_network.io.inventory.Inventory`."""
    from ipt_network.io.tidy import read_inventory

    with samples_folder() as folder:
        return read_inventory(folder)
