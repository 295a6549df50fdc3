"""Store benchmark: what a user waits for when the store reads and writes.

In one run, on a synthetic cohort (``synth --seed 1``), with Python's own
``sqlite3`` the only SQLite library in the process:

* **import**: ``Store.import_folder`` of a tidy folder, what ``ipt-network
  import`` runs (every validation rule, once; one transaction; the columnar
  copy of a fresh store written too), against ``pandas.read_csv`` plus
  ``DataFrame.to_sql`` of the same folder into a bare SQLite file, the two
  timed in turn (target: within 2x);
* **one client**: ``Store.inventory([id])`` from the 4-client sample store and
  from a 10,000-client store (target: no slower, within 1.25x for noise);
* **cohort load**: ``Store.read_tables(["relationships", "person_ties"])`` of
  the 10,000-client store, from its columnar copy at the store revision,
  against ``pandas.read_csv`` of the same tidy CSVs (target: within 2x) and
  ``pandas.read_sql`` of ``SELECT *`` (target: at least 3x faster); the first
  read after the import (from the copy the import wrote) is printed too;
* **after a small write**: the first ``read_tables`` after a one-session
  ``Store.append`` (from the copy the append renewed; target: within 2x
  ``read_csv``), with the first read with no copy at all (from SQL) printed as
  the reference, and what renewing the copy adds to one ``append`` in the
  4-client and the 10,000-client store (appends with the copy there, against
  appends with no copy to renew).

Every time is a median of several runs, the two sides of a ratio timed in
turn; the script exits with status 1 when a target is missed. ``--quick``
runs on 600 and 2,000 clients.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from _common import median_seconds, verdict

from ipt_network import Store, load_samples
from ipt_network.io.contract import TABLES
from ipt_network.io.store._bulk import clear_cache
from ipt_network.io.synth import synthesize
from ipt_network.io.tidy import write_inventory

TARGET_IMPORT = 2.0
TARGET_ONE_CLIENT = 1.25
TARGET_CSV = 2.0
TARGET_SQL = 3.0


def import_part(folder: Path, tmp: Path, repeats: int) -> tuple[float, float]:
    """Seconds for our import and for read_csv + to_sql of the same folder."""
    runs = iter(range(10_000))

    def ours() -> None:
        path = tmp / f"import-{next(runs)}.db"
        with Store.create(path) as store:
            store.import_folder(folder, progress=False)

    def reference() -> None:
        path = tmp / f"bare-{next(runs)}.db"
        conn = sqlite3.connect(path)
        for csv in sorted(folder.glob("*.csv")):
            pd.read_csv(csv).to_sql(csv.stem, conn, index=False)
        conn.commit()
        conn.close()

    return interleaved(ours, reference, repeats)


def one_client_part(small: Store, large: Store, client: str, repeats: int) -> tuple[float, float]:
    """Seconds to read one client from the small and from the large store."""
    small.inventory(["dispute-01"])
    large.inventory([client])
    return interleaved(
        lambda: small.inventory(["dispute-01"]), lambda: large.inventory([client]), repeats
    )


def interleaved(
    a: Callable[[], object], b: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median seconds of ``a`` and of ``b``, timed in turn so a load on the machine hits both."""
    pairs = [(median_seconds(a, 1), median_seconds(b, 1)) for _ in range(repeats)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


COHORT = ["relationships", "person_ties"]


def timed(fn: Callable[[], object]) -> float:
    """Seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_session_more(store: Store, client: str) -> None:
    """Append one session to ``client``: its last session's rows, a week later."""
    inv = store.inventory([client])
    last = inv.sessions_of(client)[-1]
    rows = {
        name: getattr(inv, name).loc[lambda f: f["session"] == last].assign(session=last + 1)
        for name in ("sessions", "relationships")
    }
    day = pd.Timestamp(str(rows["sessions"]["date"].iloc[0])) + pd.Timedelta(days=7)
    rows["sessions"]["date"] = day.date().isoformat()
    store.append(client, rows)


def append_cost(store: Store, client: str, repeats: int) -> tuple[float, float]:
    """Median seconds of one append with the copy there to renew, and with no copy.

    Leaves the store with no copy.
    """
    assert store._columns is not None
    store.read_tables(["clients"])  # at least one table's copy, whatever the store's size
    renewed = median_seconds(lambda: one_session_more(store, client), repeats)
    clear_cache(store._columns)
    bare = median_seconds(lambda: one_session_more(store, client), repeats)
    return renewed, bare


def cohort_load_part(store: Store, path: Path, tidy: Path, repeats: int) -> dict[str, float]:
    """Seconds to load relationships and person_ties: after the import, after an append,
    with no copy (SQL), warm, read_csv, read_sql; and what renewing the copy adds to an append."""
    assert store._columns is not None
    after_import = timed(lambda: store.read_tables(COHORT))  # from the copy the import wrote
    client = store.client_ids()[len(store.client_ids()) // 3]
    store.read_tables(list(TABLES))  # every table's copy, as after an import
    one_session_more(store, client)
    after_append = timed(lambda: store.read_tables(COHORT))  # from the copy the append renewed
    renewed, bare = append_cost(store, client, repeats)
    cold = timed(lambda: store.read_tables(COHORT))  # no copy: from SQL, and written
    names = COHORT
    plain = sa.create_engine(f"sqlite:///{path}")

    def read_sql() -> None:
        with plain.connect() as conn:
            for name in names:
                pd.read_sql(f"SELECT * FROM {name}", conn)

    def read_csv() -> None:
        for name in names:
            pd.read_csv(tidy / f"{name}.csv")

    times = {
        "after import": after_import,
        "after append": after_append,
        "append, copy renewed": renewed,
        "append, no copy": bare,
        "cold": cold,
        "warm": median_seconds(lambda: store.read_tables(names), repeats),
        "read_csv": median_seconds(read_csv, repeats),
        "read_sql": median_seconds(read_sql, max(1, repeats // 2)),
    }
    plain.dispose()
    return times


def show(rows: list[tuple[str, float]], unit: str) -> None:
    """Print timed rows, aligned: seconds, or milliseconds with ``unit="ms"``."""
    scale = 1e3 if unit == "ms" else 1.0
    for label, seconds in rows:
        print(f"  {label:<58s}{seconds * scale:9.3f} {unit}")


def judge(
    what: str, ratio: float, target: float, name: str, failures: list[str], *, least: bool = False
) -> None:
    """Print a ratio against its target (at most; at least with ``least``), noting a miss."""
    sign = ">=" if least else "<="
    print(f"  {what} = {ratio:.2f} (target {sign} {target:g})")
    if (ratio < target) if least else (ratio > target):
        failures.append(f"{name}: {what} = {ratio:.2f}, target {sign} {target:g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-clients", type=int, default=3_000)
    parser.add_argument("--clients", type=int, default=10_000, help="the large store")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="600 and 2,000 clients")
    args = parser.parse_args(argv)
    if args.quick:
        args.import_clients, args.clients, args.repeats = 600, 2_000, 3
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print(f"synthesizing {args.clients} clients (seed 1) ...", flush=True)
        cohort = synthesize(args.clients, 1)
        tidy = tmp / "tidy"
        write_inventory(cohort, tidy)
        part = tmp / "part"
        write_inventory(cohort.for_clients(cohort.client_ids()[: args.import_clients]), part)

        print(f"\nimport of {args.import_clients:,} clients (median of 3)")
        ours, ref = import_part(part, tmp, 3)
        show([("Store.import_folder (ipt-network import)", ours), ("read_csv + to_sql", ref)], "s")
        judge("ours / reference", ours / ref, TARGET_IMPORT, "import", failures)

        print(f"\nbuilding the {args.clients:,}-client store ...", flush=True)
        large_path = tmp / "large.db"
        large = Store.create(large_path)
        large.import_inventory(cohort, progress=True)
        small = Store.create(tmp / "small.db")
        small.import_inventory(load_samples())

        print(f"\none client's tables (median of {args.repeats * 4})")
        middle = cohort.client_ids()[args.clients // 2]
        t_small, t_large = one_client_part(small, large, middle, args.repeats * 4)
        show(
            [
                ("from the 4-client store", t_small),
                (f"from the {args.clients:,}-client store", t_large),
            ],
            "ms",
        )
        judge("large / small", t_large / t_small, TARGET_ONE_CLIENT, "one client", failures)

        print(f"\ncohort load: relationships + person_ties (median of {args.repeats})")
        load = cohort_load_part(large, large_path, tidy, args.repeats)
        show(
            [
                ("Store.read_tables, columnar copy at the revision", load["warm"]),
                ("Store.read_tables, first read after the import", load["after import"]),
                ("Store.read_tables, first read after a one-session append", load["after append"]),
                ("Store.read_tables, first read with no copy (SQL, reference)", load["cold"]),
                ("pandas.read_csv of the tidy CSVs", load["read_csv"]),
                ("pandas.read_sql SELECT *", load["read_sql"]),
            ],
            "s",
        )
        judge("store / read_csv", load["warm"] / load["read_csv"], TARGET_CSV, "cohort", failures)
        after_append = load["after append"] / load["read_csv"]
        judge("after an append / read_csv", after_append, TARGET_CSV, "cohort", failures)
        sql_ratio = load["read_sql"] / load["warm"]
        judge("read_sql / store", sql_ratio, TARGET_SQL, "cohort", failures, least=True)
        sqlite_libs = {m for m in sys.modules if "adbc" in m or m == "apsw"}
        print(
            f"  SQLite libraries in this process: sqlite3{', ' if sqlite_libs else ''}"
            f"{', '.join(sorted(sqlite_libs))}"
        )
        if sqlite_libs:
            failures.append("a second SQLite library was loaded")

        print(f"\none Store.append, renewing the copy (median of {args.repeats})")
        small_renewed, small_bare = append_cost(small, "dispute-01", args.repeats)
        show(
            [
                ("4-client store, copy renewed", small_renewed),
                ("4-client store, no copy", small_bare),
                (f"{args.clients:,}-client store, copy renewed", load["append, copy renewed"]),
                (f"{args.clients:,}-client store, no copy", load["append, no copy"]),
            ],
            "ms",
        )
        large.close()
        small.close()
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
