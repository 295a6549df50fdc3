"""Dask benchmark: the cohort metric table on a ``dask.distributed`` cluster.

In one run, on the cohort of ``ipt-network synth --clients 100000 --seed 1``:

* the three tables the metric engine reads (``relationships``, ``person_ties``
  and ``sessions``) are written once as a Parquet dataset, one file per block
  of clients (a folder per client, as ``export --format parquet`` writes for a
  study, would be 300,000 folders here; a block of whole clients is what a
  cluster reads well). The dataset is kept in ``--cache`` between runs;
* **in memory** (the reference): ``pandas.read_parquet`` of the dataset, then
  :func:`ipt_network.network.metrics.cohort_metrics`;
* **on the cluster**: ``dask.dataframe.read_parquet`` of the same dataset, then
  :func:`ipt_network.network.dask.cohort_metrics_dask` (Dask's shuffle puts each
  client's rows in one partition, ``map_partitions`` runs the engine on it) and
  ``.compute()`` on a ``dask.distributed.LocalCluster`` with two worker
  processes, or on the scheduler given with ``--scheduler``;
* the ratio of the two, and an equality check of the two tables.

Every time is the median of ``--repeats`` runs, the two sides timed in turn.
The script exits with status 1 when the tables differ or the cluster takes
more than :data:`TARGET_RATIO` times the in-memory engine (from
:data:`TARGET_FROM_CLIENTS` clients; a smaller run checks equality only). On one machine the
cluster cannot be faster (the same two cores, plus moving every row between
processes); the point of the path is a cohort larger than one machine's
memory, and the target bounds what that costs.

Run ``python benchmarks/dask_cluster.py`` (the first run synthesises the cohort,
a few minutes), ``--clients 5000`` for a quick run, or ``--scheduler
tcp://host:8786`` to use a running cluster (its workers must reach the
``--cache`` folder, for example on a shared file system).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from _common import median_seconds, verdict

from ipt_network.io.synth import synthesize
from ipt_network.network.dask import cohort_metrics_dask
from ipt_network.network.metrics import cohort_metrics

TARGET_RATIO = 3.0
#: The target applies from this many clients: below, the cluster's fixed costs
#: (starting tasks, moving partitions between processes) outweigh the work.
TARGET_FROM_CLIENTS = 50_000
TABLES = ("relationships", "person_ties", "sessions")
#: Clients per Parquet file of the benchmark's dataset.
CLIENTS_PER_FILE = 2_500


def write_dataset(n_clients: int, seed: int, folder: Path) -> None:
    """Synthesise the cohort and write each table as files of whole clients."""
    print(f"synthesising {n_clients:,} clients (seed {seed}) into {folder} ...", flush=True)
    start = time.perf_counter()
    inventory = synthesize(n_clients, seed, progress=True)
    print(f"  synthesised in {time.perf_counter() - start:.0f} s", flush=True)
    clients = inventory.clients["client_id"].sort_values().to_numpy()
    for table in TABLES:
        frame = getattr(inventory, table).sort_values(["client_id", "session"], kind="stable")
        out = folder / table
        out.mkdir(parents=True, exist_ok=True)
        for block, first in enumerate(range(0, len(clients), CLIENTS_PER_FILE)):
            ids = clients[first : first + CLIENTS_PER_FILE]
            part = frame[frame["client_id"].isin(ids)]
            pq.write_table(
                pa.Table.from_pandas(part, preserve_index=False), out / f"part-{block:04d}.parquet"
            )
    (folder / "complete").touch()


def in_memory(folder: Path) -> pd.DataFrame:
    """The reference: pandas reads the dataset, the in-memory engine computes the table."""
    tables = {t: pd.read_parquet(folder / t) for t in TABLES}
    return cohort_metrics(
        tables["relationships"], tables["person_ties"], sessions=tables["sessions"]
    )


def on_cluster(folder: Path, npartitions: int | None) -> pd.DataFrame:
    """Dask reads the dataset and runs the engine per partition on the active cluster."""
    import dask.dataframe as dd

    tables = {
        t: dd.read_parquet(str(folder / t), index="client_id", calculate_divisions=True)
        for t in TABLES
    }
    lazy = cohort_metrics_dask(
        tables["relationships"],
        tables["person_ties"],
        sessions=tables["sessions"],
        npartitions=npartitions,
    )
    return lazy.compute()


def same_table(ours: pd.DataFrame, reference: pd.DataFrame) -> bool:
    """Whether the cluster's table equals the engine's, row for row, once sorted."""
    key = ["client_id", "session"]
    a = ours.sort_values(key, ignore_index=True)
    b = reference.sort_values(key, ignore_index=True)
    a["client_id"] = a["client_id"].astype(str)
    b["client_id"] = b["client_id"].astype(str)
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    except AssertionError as exc:
        print(f"tables differ: {str(exc).splitlines()[0]}")
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000, help="cohort size")
    parser.add_argument("--seed", type=int, default=1, help="synth seed")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side (median)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument(
        "--partitions",
        type=int,
        default=None,
        help="partitions of the shuffle (default: 4 per worker)",
    )
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "ipt-network-bench",
        help="folder that keeps the synthetic dataset between runs",
    )
    args = parser.parse_args()

    import logging

    from dask.distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # keep the report readable

    folder = args.cache / f"dask-{args.clients}-seed{args.seed}"
    if not (folder / "complete").exists():
        write_dataset(args.clients, args.seed, folder)

    reference = in_memory(folder)
    print(f"{args.clients:,} clients, {len(reference):,} snapshots (client and session)")
    ref_s = median_seconds(lambda: in_memory(folder), args.repeats)

    if args.scheduler:
        cluster = None
        client = Client(args.scheduler)
        workers = len(client.scheduler_info()["workers"])
        where = f"the cluster at {args.scheduler} ({workers} workers)"
    else:
        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        workers = args.workers
        where = f"a LocalCluster of {workers} worker processes, one thread each"
    parts = args.partitions
    try:
        table = on_cluster(folder, parts)
        ok = same_table(table, reference)
        dask_s = median_seconds(lambda: on_cluster(folder, parts), args.repeats)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    ratio = dask_s / ref_s
    print(f"on {where}, " + (f"shuffled into {parts} partitions" if parts else "no shuffle"))
    print(f"in memory (pandas.read_parquet + cohort_metrics): {ref_s:8.1f} s")
    print(f"dask (read_parquet + cohort_metrics_dask):       {dask_s:8.1f} s")
    applies = args.clients >= TARGET_FROM_CLIENTS
    target = (
        f"target <= {TARGET_RATIO:.0f}x"
        if applies
        else f"no target below {TARGET_FROM_CLIENTS:,} clients: fixed costs dominate"
    )
    print(f"ratio dask / in memory: {ratio:.2f}x ({target})")
    print(f"tables equal: {'yes' if ok else 'NO'}")
    failures = []
    if not ok:
        failures.append("the cluster's table differs from the in-memory engine's")
    if applies and ratio > TARGET_RATIO:
        failures.append(f"dask took {ratio:.2f}x the in-memory engine (target {TARGET_RATIO}x)")
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
