"""The shipped samples: valid, one client per problem area, the cohort reproducible."""

from __future__ import annotations

from pathlib import Path

from ipt_network import load_samples
from ipt_network.names import PROBLEM_AREAS
from ipt_network.samples import SAMPLE_CLIENTS, samples_folder
from ipt_network.synth import synthesize
from ipt_network.tidy import read_inventory, write_inventory

REPO = Path(__file__).resolve().parents[1]


def test_four_clients_one_per_area() -> None:
    inv = load_samples()
    assert sorted(inv.client_ids()) == sorted(SAMPLE_CLIENTS)
    assert sorted(inv.clients["focus"]) == sorted(PROBLEM_AREAS)
    for cid in SAMPLE_CLIENTS:
        assert 12 <= len(inv.sessions_of(cid)) <= 16


def test_repository_copy_is_the_package_data() -> None:
    with samples_folder() as folder:
        for f in folder.iterdir():
            assert (REPO / "data" / "samples" / "clients" / f.name).read_bytes() == f.read_bytes()


def test_shipped_cohort_is_what_synth_writes(tmp_path: Path) -> None:
    shipped = REPO / "data" / "samples" / "cohort"
    write_inventory(synthesize(20, 1), tmp_path)
    assert sorted(p.name for p in shipped.iterdir()) == sorted(p.name for p in tmp_path.iterdir())
    for f in shipped.iterdir():
        assert f.read_bytes() == (tmp_path / f.name).read_bytes(), f.name
    assert len(read_inventory(shipped)) == 20
