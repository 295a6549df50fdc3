"""GraphML and egor exports (ipt_network.research.formats) and ``export --format``."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

import igraph as ig
import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Inventory, load_samples, names
from ipt_network.cli import main
from ipt_network.clinical.measures import phq9_scores
from ipt_network.errors import OutputExists
from ipt_network.io.inventory import is_missing
from ipt_network.io.samples import samples_folder
from ipt_network.io.tidy import read_inventory
from ipt_network.research.formats import EGOR_FILES, client_folder_name, write_egor, write_graphml

PERSON = ("name", "role", "deceased_date", "notes")
STATE = ("ring", "conflict", "support", *names.RELATIONSHIP_FIELDS)


def plain(value: Any) -> Any:
    """A table cell as a plain Python value; ``None`` when missing."""
    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_samples()


@pytest.fixture(scope="module")
def graphml(inv: Inventory, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_graphml(inv, tmp_path_factory.mktemp("graphml"))


@pytest.fixture(scope="module")
def egor(inv: Inventory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("egor")
    write_egor(inv, folder)
    return {
        name: pd.read_csv(folder / name, dtype=str, keep_default_na=False) for name in EGOR_FILES
    }


def session_rows(inv: Inventory) -> list[tuple[str, int]]:
    s = inv.sessions
    return [(str(c), int(n)) for c, n in zip(s["client_id"], s["session"], strict=True)]


#: The client's columns each snapshot carries: numbers, dates and categories (no label, no text).
CLIENT_ATTRIBUTES = (
    "planned_sessions",
    "onset_date",
    "focus",
    "focus_session",
    "episode",
    "age",
    "contract_date",
    "maintenance",
)


def given(attrs: dict[str, Any]) -> dict[str, Any]:
    """The attributes with a value: what GraphML keeps."""
    return {k: v for k, v in attrs.items() if v is not None}


def expected_graph(inv: Inventory, client_id: str, session: int) -> dict[str, Any]:
    """What the GraphML file of one session must hold, read from the tables themselves."""
    rel = inv.relationships
    rel = rel[(rel["client_id"] == client_id) & (rel["session"] == session)]
    people = inv.people[inv.people["client_id"] == client_id].set_index("person_id")
    ties = inv.person_ties
    ties = ties[(ties["client_id"] == client_id) & (ties["session"] == session)]
    nodes = {"ego": {"kind": "ego"}}
    edges = {}
    for _, row in rel.iterrows():
        pid = str(row["person_id"])
        person = {c: plain(people.loc[pid, c]) for c in PERSON if c in people.columns}
        nodes[pid] = {"kind": "person", "person_id": pid, **person}
        state = {c: plain(row[c]) for c in STATE if c in rel.columns}
        state.update(tie="ego", closeness=4 - int(row["ring"]))
        edges[frozenset(("ego", pid))] = state
    for a, b in zip(ties["source"], ties["target"], strict=True):
        edges[frozenset((str(a), str(b)))] = {"tie": "person"}
    return {
        "nodes": {n: given(d) for n, d in nodes.items()},
        "edges": {e: given(d) for e, d in edges.items()},
    }


def test_one_file_per_client_and_session(inv: Inventory, graphml: list[Path]) -> None:
    root = graphml[0].parent.parent
    expected = {root / c / f"session_{s:02d}.graphml" for c, s in session_rows(inv)}
    assert set(graphml) == expected and all(p.is_file() for p in expected)
    assert len(graphml) == len(inv.sessions) > 40


def test_graphml_reads_back_with_networkx(inv: Inventory, graphml: list[Path]) -> None:
    root = graphml[0].parent.parent
    totals = phq9_scores(inv.sessions)["phq9_total"]
    dates = inv.sessions["date"]
    for (client_id, session), total, date in zip(session_rows(inv), totals, dates, strict=True):
        G = nx.read_graphml(root / client_id / f"session_{session:02d}.graphml")
        want = expected_graph(inv, client_id, session)
        assert dict(G.nodes(data=True)) == want["nodes"], (client_id, session)
        got_edges = {frozenset((a, b)): d for a, b, d in G.edges(data=True)}
        assert got_edges == want["edges"], (client_id, session)
        graph = {k: v for k, v in G.graph.items() if not k.endswith("_default")}
        client = inv.clients.set_index("client_id").loc[client_id]
        assert graph == {
            "client_id": client_id,
            "session": session,
            "date": date,
            **({} if is_missing(total) else {"phq9_total": int(total)}),
            **given({c: plain(client[c]) for c in CLIENT_ATTRIBUTES}),
        }
        assert {"focus", "episode", "planned_sessions"} <= set(graph)


def test_graphml_keeps_types(graphml: list[Path]) -> None:
    G = nx.read_graphml(graphml[1])
    ego_ties = [d for _, _, d in G.edges("ego", data=True)]
    assert all(type(d["ring"]) is int and type(d["closeness"]) is int for d in ego_ties)
    flags = [d["knows_about_depression"] for d in ego_ties if "knows_about_depression" in d]
    assert flags and all(type(f) is bool for f in flags)
    assert type(G.graph["phq9_total"]) is int


def test_graphml_reads_back_with_igraph(inv: Inventory, graphml: list[Path]) -> None:
    for path in graphml:
        G = nx.read_graphml(path)
        g = ig.Graph.Read_GraphML(str(path))
        assert (g.vcount(), g.ecount()) == (G.number_of_nodes(), G.number_of_edges())
        assert set(g.vs["id"]) == set(G.nodes)
        assert g["client_id"] == G.graph["client_id"] and g["session"] == G.graph["session"]
        got = {
            frozenset((g.vs[e.source]["id"], g.vs[e.target]["id"])): (e["tie"], e["ring"])
            for e in g.es
        }
        for a, b, d in G.edges(data=True):
            tie, ring = got[frozenset((a, b))]
            assert tie == d["tie"]
            assert ring == d["ring"] if tie == "ego" else pd.isna(ring)


def test_egor_counts_equal_the_tables(inv: Inventory, egor: dict[str, pd.DataFrame]) -> None:
    egos, alters, aaties = (egor[n] for n in EGOR_FILES)
    assert len(egos) == len(inv.sessions)
    assert len(alters) == len(inv.relationships)
    assert len(aaties) == len(inv.person_ties)
    assert egos[".egoID"].is_unique
    assert sorted(zip(egos["client_id"], egos["session"].astype(int), strict=True)) == sorted(
        session_rows(inv)
    )
    assert (egos["wave"] == egos["session"]).all()
    assert (alters[".altID"] == alters["person_id"]).all()
    closeness = 4 - alters["ring"].astype(int)
    assert (alters["closeness"].astype(int) == closeness).all()


def test_egor_ids_are_consistent(egor: dict[str, pd.DataFrame]) -> None:
    egos, alters, aaties = (egor[n] for n in EGOR_FILES)
    wave_of = dict(zip(egos[".egoID"], egos["wave"], strict=True))
    assert set(alters[".egoID"]) <= set(wave_of)
    assert (alters["wave"] == alters[".egoID"].map(wave_of)).all()
    assert not alters.duplicated([".egoID", ".altID"]).any()
    members = set(zip(alters[".egoID"], alters[".altID"], strict=True))
    for ego, src, tgt, wave in aaties[[".egoID", ".srcID", ".tgtID", "wave"]].itertuples(
        index=False
    ):
        assert (ego, src) in members and (ego, tgt) in members and wave == wave_of[ego]


def test_egor_keeps_both_notes(inv: Inventory, egor: dict[str, pd.DataFrame]) -> None:
    alters = egor["alters.csv"]
    person_notes = set(inv.people["notes"].dropna())
    state_notes = set(inv.relationships["notes"].dropna())
    assert state_notes and set(alters["relationship_notes"]) - {""} == state_notes
    assert set(alters["notes"]) - {""} <= person_notes


def test_exports_are_private_and_refuse_to_overwrite(inv: Inventory, tmp_path: Path) -> None:
    one = inv.for_clients(["grief-01"])
    files = write_graphml(one, tmp_path / "g") + write_egor(one, tmp_path / "e")
    assert {oct(os.stat(p).st_mode & 0o777) for p in files} == {"0o600"}
    folders = {tmp_path / "g", tmp_path / "e", files[0].parent}
    assert {oct(os.stat(p).st_mode & 0o777) for p in folders} == {"0o700"}
    with pytest.raises(OutputExists):
        write_graphml(one, tmp_path / "g")
    with pytest.raises(FileExistsError):
        write_egor(one, tmp_path / "e")
    assert write_egor(one, tmp_path / "e", overwrite=True) == files[-3:]


# --- odd client ids and planted identifiers ------------------------------------------

ODD = {"c1": "a b/../../escape 😀", "c2": ".."}


def planted(source: Path, root: Path, *, ids: dict[str, str] | None = None) -> Path:
    """A copy of the shared tiny folder with identifiers planted, client ids optionally replaced."""
    files = {p.name: p.read_text(encoding="utf-8") for p in source.iterdir()}
    files["people.csv"] = (
        "client_id,person_id,name,role,deceased_date,notes\n"
        "c1,p1,Margaret,partner,,Lives at 12 Elm Street\n"
        "c1,p2,Bo,friend,,\n"
        "c1,p3,Cy,family,2025-12-01,\n"
        "c2,p1,Di,coworker,,\n"
    )
    files["relationships.csv"] = (
        "client_id,session,person_id,ring,conflict,support,wants_to_change\n"
        "c1,1,p1,1,4,1,Email margaret@example.org MRN 4471\n"
        "c1,1,p2,2,0,3,\n"
        "c1,1,p3,1,0,2,\n"
        "c1,2,p1,1,2,2,\n"
        "c1,2,p2,1,0,3,\n"
        "c2,1,p1,3,1,1,\n"
    )
    folder = root / "planted"
    folder.mkdir()
    for name, text in files.items():
        for old, new in (ids or {}).items():
            text = text.replace(f"\n{old},", f"\n{new},")
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_odd_client_ids_make_safe_folders(tiny_folder: Path, tmp_path: Path) -> None:
    inv = read_inventory(planted(tiny_folder, tmp_path, ids=ODD))
    assert sorted(inv.client_ids()) == sorted(ODD.values())
    out = tmp_path / "out"
    files = write_graphml(inv, out)
    assert len(files) == len(inv.sessions) == 3
    for path in files:
        assert path.resolve().parent.parent == out.resolve()
        client_id = nx.read_graphml(path).graph["client_id"]
        assert path.parent.name == client_folder_name(client_id)
    assert {p.parent.name for p in files} == {"a%20b%2F..%2F..%2Fescape%20%F0%9F%98%80", "%2E."}
    assert sorted(os.listdir(out)) == sorted({p.parent.name for p in files})


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file())


PLANTED = ("Margaret", "Elm Street", "margaret@example.org", "4471", "Argument about money")


@pytest.fixture
def tiny_db(tiny_folder: Path, tmp_path: Path) -> str:
    db = str(tmp_path / "store.db")
    run("init", "--db", db)
    run("import", str(planted(tiny_folder, tmp_path)), "--db", db)
    return db


@pytest.mark.parametrize("fmt", ["tidy", "graphml", "egor"])
def test_deidentify_drops_names_and_free_text(tiny_db: str, tmp_path: Path, fmt: str) -> None:
    plain_out, anon_out = tmp_path / "plain", tmp_path / "anon"
    run("export", "--db", tiny_db, "--out", str(plain_out), "--format", fmt)
    run("export", "--db", tiny_db, "--out", str(anon_out), "--format", fmt, "--deidentify")
    shown = all_text(plain_out)
    assert "Margaret" in shown and "Elm Street" in shown and "margaret@example.org" in shown
    hidden = all_text(anon_out)
    assert not [p for p in PLANTED if p in hidden]
    assert "p1" in hidden  # the people are still there, by id


def test_cli_exports_graphml(tmp_path: Path) -> None:
    db, out = str(tmp_path / "s.db"), tmp_path / "g"
    run("init", "--db", db)
    with samples_folder() as folder:
        run("import", str(folder), "--db", db)
    said = run("export", "--db", db, "--out", str(out), "--format", "graphml")
    inv = load_samples()
    assert said.startswith(f"Wrote {len(inv)} client(s) as graphml")
    assert sorted(os.listdir(out)) == sorted(inv.client_ids())
    assert len(list(out.rglob("*.graphml"))) == len(inv.sessions)
    with pytest.raises(AssertionError, match="already holds"):
        run("export", "--db", db, "--out", str(out), "--format", "GraphML")
    run("export", "--db", db, "--out", str(out), "--format", "graphml", "--overwrite")


def test_cli_exports_egor(tiny_db: str, tmp_path: Path) -> None:
    out = tmp_path / "e"
    said = run("export", "--db", tiny_db, "--out", str(out), "--format", "egor")
    assert said.strip().endswith("aaties.csv, alters.csv, egos.csv")
    egos = pd.read_csv(out / "egos.csv")
    assert egos["phq9_total"].tolist()[:2] == [17, 8] and egos["phq9_total"].isna().sum() == 1


def test_cli_parquet_branch_calls_write_parquet(
    tiny_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parquet branch hands the (de-identified) inventory to research.parquet.write_parquet."""
    seen: list[Inventory] = []

    def write_parquet(inventory: Inventory, folder: Path, *, overwrite: bool) -> list[Path]:
        seen.append(inventory)
        return [Path(folder) / "people" / "client_id=c1" / "part-0.parquet"]

    fake = types.ModuleType("ipt_network.research.parquet")
    fake.write_parquet = write_parquet  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipt_network.research.parquet", fake)
    out = tmp_path / "p"
    said = run("export", "--db", tiny_db, "--out", str(out), "--format", "parquet", "--deidentify")
    assert said.strip().endswith(f"to {out}: people")
    assert len(seen) == 1 and "Margaret" not in set(seen[0].people["name"])


def test_export_help_names_every_format() -> None:
    said = run("export", "--help")
    for fmt in ("tidy:", "graphml:", "egor:", "parquet:", "--deidentify"):
        assert fmt in said
