"""The Dask path of the metric table: the same table as the in-memory engine."""

from __future__ import annotations

import sys

import dask
import dask.dataframe as dd
import pandas as pd
import pytest

from ipt_network import Inventory
from ipt_network.errors import DriverMissing, IPTNetworkError
from ipt_network.io.synth import synthesize
from ipt_network.network import dask as dask_path
from ipt_network.network.metrics import cohort_metrics
from ipt_network.research.parquet import write_parquet

#: dask 2026.8's Parquet reader calls ``reset_index(inplace=True)``, deprecated in pandas 3.1.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.reset_index"
    ":pandas.errors.Pandas4Warning:dask.dataframe.io.parquet.arrow"
)


@pytest.fixture(scope="module")
def cohort() -> Inventory:
    return synthesize(200, seed=1)


@pytest.fixture(scope="module")
def frames(cohort: Inventory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dd.DataFrame]:
    """The three tables as Dask DataFrames read from the Parquet dataset, one file per client."""
    out = tmp_path_factory.mktemp("dask") / "dataset"
    write_parquet(cohort, out)
    return {
        name: dd.read_parquet(str(out / name))
        for name in ("relationships", "person_ties", "sessions")
    }


@pytest.fixture(scope="module")
def expected(cohort: Inventory) -> pd.DataFrame:
    return cohort_metrics(cohort.relationships, cohort.person_ties, sessions=cohort.sessions)


def test_dask_frames_from_parquet_give_the_in_memory_table(
    frames: dict[str, dd.DataFrame], expected: pd.DataFrame
) -> None:
    assert frames["relationships"].npartitions == 200  # one file per client
    table = cohort_metrics(
        frames["relationships"], frames["person_ties"], sessions=frames["sessions"]
    )
    assert len(table) == len(expected) > 2000
    pd.testing.assert_frame_equal(table, expected)


def test_each_partition_holds_whole_clients(
    frames: dict[str, dd.DataFrame], expected: pd.DataFrame
) -> None:
    lazy = dask_path.cohort_metrics_dask(
        frames["relationships"], frames["person_ties"], sessions=frames["sessions"], npartitions=7
    )
    assert lazy.npartitions == 7
    frames_out = dask.compute(*lazy.to_delayed())
    parts = [set(p["client_id"]) for p in frames_out]
    assert sum(len(p) for p in parts) == expected["client_id"].nunique()
    assert set().union(*parts) == set(expected["client_id"])  # no client split across two
    whole = pd.concat(frames_out).sort_values(["client_id", "session"], ignore_index=True)
    pd.testing.assert_frame_equal(whole, expected)


def test_from_pandas_with_partitions_that_split_clients(cohort: Inventory) -> None:
    """Partitions cut through clients are regrouped by client before the engine runs."""
    small = cohort.for_clients(cohort.client_ids()[:20])
    rel = dd.from_pandas(small.relationships, npartitions=9)
    ties = dd.from_pandas(small.person_ties, npartitions=4)
    expected = cohort_metrics(small.relationships, small.person_ties)
    pd.testing.assert_frame_equal(cohort_metrics(rel, ties), expected)
    sessions = dd.from_pandas(small.sessions, npartitions=3)
    with_sessions = cohort_metrics(small.relationships, small.person_ties, sessions=small.sessions)
    pd.testing.assert_frame_equal(cohort_metrics(rel, ties, sessions=sessions), with_sessions)


def test_a_broken_table_raises_the_engines_error(cohort: Inventory) -> None:
    small = cohort.for_clients(cohort.client_ids()[:3])
    rel = small.relationships.copy()
    rel.loc[0, "ring"] = 7
    with pytest.raises(IPTNetworkError, match="ring"):
        cohort_metrics(dd.from_pandas(rel, npartitions=2), dd.from_pandas(small.person_ties))


def test_missing_dask_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(DriverMissing, match=r"pip install 'dask\[dataframe\]'") as caught:
        dask_path.require_dask()
    assert isinstance(caught.value, ImportError)


def _indexed(frame: pd.DataFrame, npartitions: int) -> dd.DataFrame:
    """A table indexed by client id with known divisions, as a sorted Parquet dataset reads."""
    return dd.from_pandas(frame.set_index("client_id").sort_index(), npartitions=npartitions)


def _shuffles(lazy: dd.DataFrame) -> bool:
    return any("shuffle" in str(key) for key in dict(lazy.__dask_graph__()))


def test_tables_indexed_by_client_are_aligned_not_shuffled(
    cohort: Inventory, expected: pd.DataFrame
) -> None:
    rel = _indexed(cohort.relationships, 6)
    ties = _indexed(cohort.person_ties, 4)  # other divisions: Dask aligns them by client
    sessions = _indexed(cohort.sessions, 5)
    lazy = dask_path.cohort_metrics_dask(rel, ties, sessions=sessions)
    assert not _shuffles(lazy)
    pd.testing.assert_frame_equal(dask_path.collect(lazy), expected)
    # asking for a number of partitions shuffles, with the same result
    again = dask_path.cohort_metrics_dask(rel, ties, sessions=sessions, npartitions=3)
    assert _shuffles(again)
    pd.testing.assert_frame_equal(dask_path.collect(again), expected)


def test_the_same_table_on_a_distributed_cluster(cohort: Inventory, expected: pd.DataFrame) -> None:
    """On a dask.distributed LocalCluster of two workers, as benchmarks/dask_cluster.py runs it."""
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        rel = dd.from_pandas(cohort.relationships, npartitions=5)
        ties = dd.from_pandas(cohort.person_ties, npartitions=5)
        sessions = dd.from_pandas(cohort.sessions, npartitions=2)
        lazy = dask_path.cohort_metrics_dask(rel, ties, sessions=sessions, npartitions=4)
        table = client.compute(lazy).result()
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(
        table.sort_values(["client_id", "session"], ignore_index=True), expected
    )
