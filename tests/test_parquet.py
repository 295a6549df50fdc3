"""The Parquet export: a dataset per table partitioned by client, read by four tools."""

from __future__ import annotations

import os
from pathlib import Path

import dask.dataframe as dd
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from ipt_network import Inventory
from ipt_network.errors import BadTable, OutputExists
from ipt_network.io.contract import TABLES
from ipt_network.io.synth import synthesize
from ipt_network.network.metrics import cohort_metrics
from ipt_network.research import parquet
from ipt_network.research.parquet import METRICS, read_parquet, read_table, write_parquet

#: Ids that are unsafe as raw folder names: a separator, a space, the Hive '=', an emoji,
#: a parent-folder name and something that looks already percent-encoded.
ODD_IDS = ("a/b", "two words", "k=v", "smile😀", "..", "%41")


@pytest.fixture(scope="module")
def cohort() -> Inventory:
    return synthesize(12, seed=3)


@pytest.fixture(scope="module")
def written(cohort: Inventory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pq") / "dataset"
    write_parquet(cohort, out)
    return out


def _renamed(inv: Inventory, ids: tuple[str, ...]) -> Inventory:
    """The inventory with its client ids replaced by ``ids``, in the same order."""
    mapping = dict(zip(inv.client_ids(), ids, strict=False))
    keep = inv.for_clients(mapping)
    tables = {}
    for name, frame in keep.items():
        frame = frame.copy()
        frame["client_id"] = frame["client_id"].map(mapping).astype("string")
        tables[name] = frame
    return Inventory.from_tables(tables)


def _assert_same(left: Inventory, right: Inventory) -> None:
    for name, frame in left.items():
        pd.testing.assert_frame_equal(frame, getattr(right, name), obj=name)


def test_round_trip_is_the_inventory_written(cohort: Inventory, written: Path) -> None:
    back = read_parquet(written)
    _assert_same(back, cohort)
    assert back.relationships["ring"].dtype == "Int64"
    assert back.relationships["knows_about_depression"].dtype == "boolean"
    assert back.people["name"].dtype == "string"


def test_every_table_and_the_metrics_are_partitioned_by_client(
    cohort: Inventory, written: Path
) -> None:
    assert sorted(p.name for p in written.iterdir()) == sorted([*TABLES, METRICS])
    for name in ("clients", "sessions", "relationships", METRICS):
        folders = sorted(p.name for p in (written / name).iterdir())
        assert folders == sorted(f"client_id={c}" for c in cohort.client_ids())


def test_metrics_table_is_the_in_memory_engines(cohort: Inventory, written: Path) -> None:
    expected = cohort_metrics(cohort.relationships, cohort.person_ties, sessions=cohort.sessions)
    pd.testing.assert_frame_equal(read_table(written, METRICS), expected)


def test_files_keep_the_contract_types(written: Path) -> None:
    path = next((written / "relationships").glob("*/*.parquet"))
    schema = pq.read_schema(path)
    assert schema.field("ring").type == pa.int64()
    assert schema.field("knows_about_depression").type == pa.bool_()
    assert schema.field("person_id").type == pa.string()
    assert "client_id" not in schema.names  # it is the folder's name
    table = pq.read_table(next((written / "sessions").glob("*/*.parquet")))
    assert table.column("gad7_1").null_count > 0  # empty cells are nulls, not zeros or NaN


def test_odd_ids_are_one_escaped_folder_each_and_read_back(tmp_path: Path) -> None:
    inv = _renamed(synthesize(len(ODD_IDS), seed=5), ODD_IDS)
    out = tmp_path / "odd"
    write_parquet(inv, out)
    folders = sorted(p.name for p in (out / "people").iterdir())
    assert len(folders) == len(ODD_IDS)
    assert all(
        p.is_dir() and not any(q.is_dir() for q in p.iterdir()) for p in (out / "people").iterdir()
    )
    assert "client_id=a%2Fb" in folders and "client_id=k%3Dv" in folders
    assert "client_id=%2541" in folders  # the '%' itself is escaped, so '%41' stays '%41'
    back = read_parquet(out)
    assert sorted(back.client_ids()) == sorted(ODD_IDS)
    order = sorted(ODD_IDS)
    expected = Inventory.from_tables(
        {
            name: frame.sort_values(
                "client_id", key=lambda s: s.map(order.index), kind="stable", ignore_index=True
            )
            for name, frame in inv.items()
        }
    )
    _assert_same(back, expected)


#: dask 2026.8's Parquet reader calls ``reset_index(inplace=True)``, deprecated in pandas 3.1.
DASK_INPLACE = (
    "ignore:The inplace keyword in DataFrame.reset_index"
    ":pandas.errors.Pandas4Warning:dask.dataframe.io.parquet.arrow"
)


@pytest.mark.filterwarnings(DASK_INPLACE)
def test_pandas_pyarrow_duckdb_and_dask_read_it(cohort: Inventory, written: Path) -> None:
    folder = written / "relationships"
    n = len(cohort.relationships)
    ids = set(cohort.client_ids())

    by_pandas = pd.read_parquet(folder)
    assert len(by_pandas) == n and set(by_pandas["client_id"].astype(str)) == ids

    by_arrow = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    assert by_arrow.num_rows == n and set(by_arrow.column("client_id").to_pylist()) == ids

    query = "select client_id, count(*) from read_parquet(?, hive_partitioning = true) group by 1"
    counts = dict(duckdb.execute(query, [f"{folder}/*/*.parquet"]).fetchall())
    assert counts == cohort.relationships.groupby("client_id").size().to_dict()

    by_dask = dd.read_parquet(str(folder)).compute()
    assert len(by_dask) == n and set(by_dask["client_id"].astype(str)) == ids
    assert by_dask["ring"].sum() == cohort.relationships["ring"].sum()


def test_written_owner_only(cohort: Inventory, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = write_parquet(cohort.for_clients(cohort.client_ids()[:2]), tmp_path / "a" / "ds")
    finally:
        os.umask(old)
    root = out[0].parent
    assert oct(root.stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "a").stat().st_mode & 0o777) == "0o700"
    for here, _folders, files in os.walk(root):
        assert oct(Path(here).stat().st_mode & 0o777) == "0o700", here
        for file in files:
            assert oct((Path(here) / file).stat().st_mode & 0o777) == "0o600", file


def test_refuses_a_folder_with_files_unless_overwrite(cohort: Inventory, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputExists):
        write_parquet(cohort, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    small = cohort.for_clients(cohort.client_ids()[:1])
    write_parquet(small, out, overwrite=True)
    assert not (out / "keep.txt").exists()
    assert read_parquet(out).client_ids() == small.client_ids()
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]  # no temporary folder left


def test_a_failed_write_leaves_nothing(
    cohort: Inventory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = parquet._write_table

    def failing(name: str, frame: pd.DataFrame, root: Path) -> Path:
        if name == METRICS:
            raise OSError("disk full")
        return real(name, frame, root)

    monkeypatch.setattr(parquet, "_write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        write_parquet(cohort, tmp_path / "ds")
    assert list(tmp_path.iterdir()) == []


def test_an_id_too_long_for_a_folder_name_is_refused(tmp_path: Path) -> None:
    inv = _renamed(synthesize(1, seed=2), ("😀" * 30,))
    with pytest.raises(BadTable, match="too long"):
        write_parquet(inv, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_reading_a_missing_table_names_it(written: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="relationships"):
        read_table(tmp_path, "relationships")


def test_more_clients_than_arrows_default_partition_limit_keep_their_row_order(
    tmp_path: Path,
) -> None:
    """pyarrow stops at 1,024 partitions and reorders rows unless told; neither happens here."""
    inv = synthesize(1030, seed=1)
    for name in ("sessions", "relationships"):
        parquet._write_table(name, getattr(inv, name), tmp_path)
        assert len(list((tmp_path / name).iterdir())) == 1030
        pd.testing.assert_frame_equal(read_table(tmp_path, name), getattr(inv, name), obj=name)
