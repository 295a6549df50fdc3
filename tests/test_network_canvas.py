"""Network Canvas in: ``ipt-network import-nc`` on the project's fixtures and the real exports."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

from ipt_network import Store, names
from ipt_network.cli import main
from ipt_network.errors import BadArgument, Failure, ValidationError
from ipt_network.io.inventory import Inventory
from ipt_network.io.network_canvas import (
    NCImport,
    check_network_canvas,
    circle_of_position,
    load_mapping,
    parse_mapping,
    read_network_canvas,
    ring_of_circle,
)
from ipt_network.network.graph import snapshot

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "data" / "network-canvas"
EXAMPLE = FIXTURES / "mapping.example.toml"
RADAR = FIXTURES / "radar.toml"
REAL = ROOT.parent / "shared" / "samples" / "network-canvas"
NAMES = ("Maya", "Rosa", "Tom", "Ines", "Noor", "Sam", "Ola", "Ben", "Kim")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A copy of the project's fixture exports, to edit."""
    target = tmp_path / "exports"
    for folder in ("csv", "graphml", "pre2020"):
        shutil.copytree(FIXTURES / folder, target / folder)
    return target


@pytest.fixture
def real() -> Path:
    if not (REAL / "ORIGIN.md").is_file():
        pytest.fail(
            f"the real Network Canvas exports are missing: expected them in {REAL} "
            "(the shared samples folder next to the checkout, which CI has)"
        )
    return REAL


def one(folder: Path, pattern: str) -> Path:
    (found,) = sorted(folder.glob(pattern))
    return found


def session_file(folder: Path, session: int, kind: str) -> Path:
    """The CSV file of one nc-01 interview (``kind``: ego, attributeList_Person, ...)."""
    for ego in sorted((folder / "csv").glob("*_ego.csv")):
        with ego.open(newline="") as handle:
            if next(csv.DictReader(handle))["session_no"] == str(session):
                return ego.with_name(ego.name.replace("_ego.csv", f"_{kind}.csv"))
    raise AssertionError(f"no session {session}")


def edit_csv(
    path: Path, change: Callable[[list[dict[str, str]]], None], drop: str | None = None
) -> None:
    """Rewrite an export CSV (CRLF, as the exporter writes) after ``change`` edits its rows;
    ``drop`` leaves a column out."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = [c for c in reader.fieldnames or [] if c != drop], list(reader)
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\r\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def mapping_text(**replace: str) -> str:
    """The example mapping with some lines replaced (``old=new`` pairs given as dict)."""
    text = EXAMPLE.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    return path


def failures_of(folder: Path, mapping: Path = EXAMPLE) -> list[Failure]:
    result = check_network_canvas([folder], load_mapping(mapping))
    with pytest.raises(ValidationError) as caught:
        read_network_canvas([folder], load_mapping(mapping))
    assert caught.value.failures == sorted(
        result.failures, key=lambda f: (f.file, f.row or 0, f.column or "")
    )
    return result.failures


def no_clinical_values(failures: list[Failure]) -> None:
    text = "\n".join(map(str, failures))
    assert not [n for n in NAMES if n in text], text


def ties(inv: Inventory, client: str, session: int) -> set[frozenset[str]]:
    t = inv.person_ties[
        (inv.person_ties["client_id"] == client) & (inv.person_ties["session"] == session)
    ]
    return {frozenset((a, b)) for a, b in zip(t["source"], t["target"], strict=True)}


def people(inv: Inventory, client: str) -> dict[str, str]:
    p = inv.people[inv.people["client_id"] == client]
    return dict(zip(p["name"], p["person_id"], strict=True))


def states(inv: Inventory, client: str, session: int) -> dict[str, tuple[int, int, int]]:
    r = inv.relationships
    r = r[(r["client_id"] == client) & (r["session"] == session)]
    return {
        pid: (int(a), int(b), int(c))
        for pid, a, b, c in zip(r["person_id"], r["ring"], r["conflict"], r["support"], strict=True)
    }


# ------------------------------------------------------------------ the shipped fixtures
def test_fixtures_are_what_the_exporter_writes() -> None:
    ego = one(FIXTURES / "csv", "*2b785a8b*_ego.csv").read_bytes()
    person = session_file(FIXTURES, 1, "attributeList_Person").read_bytes()
    assert ego.count(b"\r\n") == 2 and b"\n" not in ego.replace(b"\r\n", b"")
    assert person.split(b"\r\n")[0].endswith(b",null")
    assert b"Relation_Partner" in person and b"networkCanvasUUID" in person
    old = one(FIXTURES / "pre2020", "*_attributeList.csv").read_bytes()
    assert old.startswith(b"networkCanvasAlterID,networkCanvasNodeType,networkCanvasEgoID")
    assert b"networkCanvasEgoID" in one(FIXTURES / "pre2020", "*_ego.csv").read_bytes()
    assert b"xmlns:nc=" in one(FIXTURES / "graphml", "*.graphml").read_bytes()


def test_example_reads_every_format_into_one_course() -> None:
    inv = read_network_canvas([FIXTURES], load_mapping(EXAMPLE))
    assert inv.client_ids() == ["nc-01", "nc-02"]
    assert inv.sessions_of("nc-01") == [1, 2, 3]
    assert list(inv.sessions.loc[inv.sessions["client_id"] == "nc-01", "date"]) == [
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
    ]
    who = people(inv, "nc-01")
    assert len(who) == 6 and len(people(inv, "nc-02")) == 3  # the Venue nodes are left out
    maya, rosa, tom, sam = (who[n] for n in ("Maya Ortiz", "Rosa Ortiz", "Tom Berg", "Sam Okafor"))
    # matched by the persistent variable in CSV (sessions 1, 2) and GraphML (session 3)
    assert all(maya in states(inv, "nc-01", s) for s in (1, 2, 3))
    assert who["Ines Park"] not in states(inv, "nc-01", 2)
    roles = dict(
        zip(inv.people["person_id"] + inv.people["client_id"], inv.people["role"], strict=True)
    )
    assert roles[maya + "nc-01"] == "partner" and roles[rosa + "nc-01"] == "family"
    # ring (sociogram, 3 circles), conflict (value map) and support (as it is)
    assert states(inv, "nc-01", 1)[maya] == (1, 3, 2)
    assert states(inv, "nc-01", 2)[rosa] == (1, 1, 4)
    assert states(inv, "nc-01", 3)[sam] == (2, 0, 2)
    # only "Knows" edges; the GraphML edge written both ways is one tie
    assert ties(inv, "nc-01", 1) == {frozenset((maya, rosa)), frozenset((rosa, tom))}
    assert ties(inv, "nc-01", 3) == {
        frozenset((maya, rosa)),
        frozenset((tom, sam)),
        frozenset((maya, sam)),
    }


def test_pre2020_names_with_type_columns() -> None:
    inv = read_network_canvas([FIXTURES / "pre2020"], load_mapping(EXAMPLE))
    assert inv.client_ids() == ["nc-02"]
    who = people(inv, "nc-02")
    assert set(who) == {"Ola Nilsen", "Ben Adeyemi", "Kim Yu"}
    # from/to hold alter ids, each edge written both ways; "Argues" is another type
    assert ties(inv, "nc-02", 1) == {frozenset((who["Ola Nilsen"], who["Ben Adeyemi"]))}
    assert states(inv, "nc-02", 1)[who["Kim Yu"]] == (3, 1, 1)


def test_graphml_alone_takes_ego_data_and_parallel_edges() -> None:
    inv = read_network_canvas([one(FIXTURES / "graphml", "*.graphml")], load_mapping(EXAMPLE))
    assert inv.sessions_of("nc-01") == [3]
    assert len(inv.relationships) == 5 and len(inv.person_ties) == 3


def test_null_column_and_crlf_do_not_disturb(exports: Path) -> None:
    path = session_file(exports, 1, "attributeList_Person")
    edit_csv(path, lambda rows: rows[0].update(null="null"))
    assert path.read_bytes().count(b"\r\n") == 5
    inv = read_network_canvas([exports / "csv"], load_mapping(EXAMPLE))
    assert inv.sessions_of("nc-01") == [1, 2]


# ------------------------------------------------------------------ geometry and rings
@pytest.mark.parametrize(
    ("radius", "circles", "circle"),
    [
        (0.0, 3, 1),
        (0.16, 3, 1),
        (0.5 / 3, 3, 2),  # on a boundary: the outer circle
        (0.3, 3, 2),
        (0.34, 3, 3),
        (0.49, 3, 3),
        (0.12, 4, 1),
        (0.13, 4, 2),
        (0.26, 4, 3),
        (0.45, 4, 4),
        (0.7, 4, 4),  # beyond the outer circle, in a corner
    ],
)
def test_circle_at_known_radii(radius: float, circles: int, circle: int) -> None:
    for dx, dy in ((1, 0), (0, -1), (0.6, 0.8)):
        assert circle_of_position(0.5 + dx * radius, 0.5 + dy * radius, circles) == circle


@pytest.mark.parametrize(
    ("circles", "rings"),
    [(1, [2]), (2, [1, 3]), (3, [1, 2, 3]), (4, [1, 2, 2, 3]), (5, [1, 1, 2, 3, 3])],
)
def test_circles_become_three_rings(circles: int, rings: list[int]) -> None:
    assert [ring_of_circle(k, circles) for k in range(1, circles + 1)] == rings


def test_ring_list_in_the_mapping(tmp_path: Path) -> None:
    mapping = write_mapping(
        tmp_path, mapping_text(**{"circles = 3": "circles = 3\nrings = [3, 3, 3]"})
    )
    inv = read_network_canvas([FIXTURES / "csv"], load_mapping(mapping))
    assert set(inv.relationships["ring"]) == {3}


def test_ring_from_a_categorical_variable(tmp_path: Path) -> None:
    text = mapping_text(
        **{
            'layout = "Circle"\ncircles = 3': 'variable = "Relation"\nvalues = { Partner = 1, '
            "Parent = 1, Sibling = 1, Friend = 2, Coworker = 3, Professional = 3, "
            "Neighbour = 3, Other = 3 }"
        }
    )
    inv = read_network_canvas([FIXTURES], load_mapping(write_mapping(tmp_path, text)))
    who = people(inv, "nc-01")
    assert states(inv, "nc-01", 1)[who["Ines Park"]][0] == 3  # coworker
    assert states(inv, "nc-01", 3)[who["Sam Okafor"]][0] == 2  # friend


def test_sociogram_position_problems_are_named(exports: Path) -> None:
    path = session_file(exports, 2, "attributeList_Person")

    def change(rows: list[dict[str, str]]) -> None:
        rows[0]["Circle_x"] = ""
        rows[2]["Circle_y"] = "1.7"

    edit_csv(path, change)
    found = {(f.file, f.row, f.column) for f in failures_of(exports)}
    assert (path.name, 2, "Circle_x") in found and (path.name, 4, "Circle_y") in found


# ------------------------------------------------------------------ categorical options
def test_categorical_option_columns(exports: Path) -> None:
    path = session_file(exports, 1, "attributeList_Person")
    edit_csv(path, lambda rows: rows[1].update(Relation_Friend="true"))  # Rosa: Parent and Friend
    failures = failures_of(exports)
    assert [(f.file, f.row, f.column) for f in failures] == [(path.name, 3, "Relation")]
    assert "2 options are marked true" in failures[0].message


def test_no_option_marked_uses_missing(exports: Path, tmp_path: Path) -> None:
    path = session_file(exports, 1, "attributeList_Person")
    edit_csv(path, lambda rows: rows[3].update(Relation_Coworker="false"))
    failures = failures_of(exports)
    assert [(f.row, f.column) for f in failures] == [(5, "Relation")]
    text = mapping_text(**{'Other = "other" }': 'Other = "other" }\nmissing = "other"'})
    inv = read_network_canvas([exports], load_mapping(write_mapping(tmp_path, text)))
    assert "other" in set(inv.people["role"])


# ------------------------------------------------------------------ matching
def test_match_by_variable_survives_a_new_spelling(exports: Path, tmp_path: Path) -> None:
    path = session_file(exports, 2, "attributeList_Person")
    edit_csv(path, lambda rows: rows[0].update(name="  MAYA ortiz "))
    inv = read_network_canvas([exports / "csv"], load_mapping(EXAMPLE))
    assert len(people(inv, "nc-01")) == 5
    by_name = write_mapping(
        tmp_path, mapping_text(**{'by = "variable"\nvariable = "person_key"': 'by = "name_role"'})
    )
    inv = read_network_canvas([exports / "csv"], load_mapping(by_name))
    assert len(people(inv, "nc-01")) == 5  # case and surrounding spaces aside
    edit_csv(path, lambda rows: rows[0].update(name="Maya O."))
    inv = read_network_canvas([exports / "csv"], load_mapping(by_name))
    assert len(people(inv, "nc-01")) == 6  # another name: another person
    assert len(people(read_network_canvas([exports / "csv"], load_mapping(EXAMPLE)), "nc-01")) == 5


def test_ambiguous_matches_are_listed_never_guessed(exports: Path, tmp_path: Path) -> None:
    first = session_file(exports, 1, "attributeList_Person")
    # Tom's row of session 1 now has Rosa's key: two alters of one interview, one key
    edit_csv(first, lambda rows: rows[2].update(person_key="k2"))
    result = check_network_canvas([exports], load_mapping(EXAMPLE))
    where = {(f.file, f.row, f.column) for f in result.ambiguous}
    assert {(first.name, 3, "person_key"), (first.name, 4, "person_key")} <= where
    # and the key of session 2 and 3 matches both people of session 1
    later = [f for f in result.ambiguous if f.file != first.name]
    assert later and all("matches 2 people of earlier interviews" in f.message for f in later)
    assert set(result.ambiguous) <= set(result.failures)
    no_clinical_values(result.failures)
    assert "Ambiguous matches (" in result.summary()


def test_ambiguous_by_name_and_role(exports: Path, tmp_path: Path) -> None:
    by_name = write_mapping(
        tmp_path, mapping_text(**{'by = "variable"\nvariable = "person_key"': 'by = "name_role"'})
    )
    path = one(exports / "pre2020", "*_attributeList.csv")

    def twins(rows: list[dict[str, str]]) -> None:
        rows[1].update(name="ola nilsen ", Relation_Sibling="true", Relation_Friend="false")

    edit_csv(path, twins)
    failures = failures_of(exports / "pre2020", by_name)
    assert [(f.row, f.column) for f in failures] == [(2, "name"), (3, "name")]
    assert all(f.message.startswith("ambiguous match: line ") for f in failures)
    no_clinical_values(failures)


# ------------------------------------------------------------------ problems, named
def test_unmapped_value_named_by_file_row_column(exports: Path) -> None:
    path = session_file(exports, 2, "attributeList_Person")
    edit_csv(path, lambda rows: rows[1].update(Conflict="Extreme"))
    (failure,) = failures_of(exports)
    assert (failure.file, failure.row, failure.column) == (path.name, 3, "Conflict")
    assert "[conflict] values" in failure.message and "Extreme" not in str(failure)


def test_bad_number_named_by_the_contract_rule(exports: Path) -> None:
    path = session_file(exports, 1, "attributeList_Person")
    edit_csv(path, lambda rows: rows[3].update(Support="9"))
    (failure,) = failures_of(exports)
    assert (failure.file, failure.row, failure.column) == (path.name, 5, "Support")
    assert failure.message == "must be a whole number from 0 to 4"


def test_ego_without_client_id_and_duplicate_session(exports: Path) -> None:
    ego1, ego2 = (session_file(exports, s, "ego") for s in (1, 2))
    edit_csv(ego1, lambda rows: rows[0].update(client_code=""))
    edit_csv(ego2, lambda rows: rows[0].update(session_no="3"))  # GraphML is session 3 too
    found = {(f.file, f.row, f.column): f.message for f in failures_of(exports)}
    assert found[(ego1.name, 2, "client_code")] == "is empty: the ego has no client id"
    graphml = one(exports / "graphml", "*.graphml").name
    assert any(
        key[0] in (ego2.name, graphml) and key[2] == "session_no" and "repeats" in msg
        for key, msg in found.items()
    ), found


def test_no_interview_date_says_what_to_add(exports: Path, tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, mapping_text(**{'date = "interview_date"\n': ""}))
    (failure,) = failures_of(exports / "pre2020", mapping)
    assert failure.file.endswith("_ego.csv") and failure.row == 2
    assert '[session] date = "<ego variable>"' in failure.message
    # the current exports carry sessionStart, which gives the date
    inv = read_network_canvas([exports / "csv"], load_mapping(mapping))
    assert list(inv.sessions["date"]) == ["2026-01-05", "2026-01-12"]


def test_sessions_numbered_by_date_without_a_number(exports: Path, tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, mapping_text(**{'number = "session_no"\n': ""}))
    edit_csv(session_file(exports, 2, "ego"), lambda rows: rows[0].update(session_no="junk"))
    inv = read_network_canvas([exports], load_mapping(mapping))
    assert inv.sessions_of("nc-01") == [1, 2, 3]


def test_missing_column_and_missing_ego_file(exports: Path) -> None:
    path = session_file(exports, 1, "attributeList_Person")
    edit_csv(path, lambda rows: None, drop="Conflict")
    session_file(exports, 2, "ego").unlink()
    found = {(f.file, f.column): f for f in failures_of(exports)}
    assert (path.name, "Conflict") in found and "column is missing" in found[
        (path.name, "Conflict")
    ].message
    assert any("every interview needs its ego file" in f.message for f in found.values())


def test_graphml_problems_name_the_node_line(exports: Path) -> None:
    path = one(exports / "graphml", "*.graphml")
    text = path.read_bytes().decode()
    lines = text.split("\n")  # CRLF inside the graph: each line keeps its \r
    sam = next(i for i, line in enumerate(lines, start=1) if ">Sam Okafor<" in line)
    node = max(i for i, line in enumerate(lines[:sam], start=1) if line.startswith("<node "))
    conflict = next(i for i in range(sam, len(lines)) if lines[i].endswith(">None</data>\r"))
    lines[conflict] = lines[conflict].replace(">None<", ">Extreme<")
    path.write_text("\n".join(lines), newline="")
    (failure,) = failures_of(exports)
    assert (failure.file, failure.row, failure.column) == (path.name, node, "Conflict")


def test_files_of_another_interview_are_named(exports: Path) -> None:
    path = session_file(exports, 2, "edgeList_Knows")
    edit_csv(path, lambda rows: rows[1].update(networkCanvasEgoUUID="another-ego"))
    (failure,) = failures_of(exports)
    assert (failure.file, failure.row, failure.column) == (path.name, 3, "networkCanvasEgoUUID")


# ------------------------------------------------------------------ the mapping file
@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({'node_type = "Person"': 'node_type = "Person"\ncolour = "red"'}, "colour"),
        ({'variable = "client_code"': 'variable = "client_code"\nid = "x"'}, "client.id"),
        ({'[name]\nvariable = "name"\n': ""}, "name"),
        ({"circles = 3": "circles = 0"}, "ring.circles"),
        ({'Partner = "partner"': 'Partner = "spouse"'}, "role.values.Partner"),
        ({"A_lot = 3": "A_lot = 7"}, "conflict.values.A_lot"),
        ({'by = "variable"\n': ""}, "match.by"),
    ],
)
def test_mapping_errors_name_the_key(tmp_path: Path, change: dict[str, str], key: str) -> None:
    path = write_mapping(tmp_path, mapping_text(**change))
    with pytest.raises(BadArgument, match=rf"mapping key {key}\b"):
        load_mapping(path)
    code, out = run("import-nc", str(FIXTURES), "--map", str(path), "--dry-run")
    assert code == 1 and f"mapping key {key}" in out


def test_mapping_documents_every_key() -> None:
    text = EXAMPLE.read_text()
    for key in (
        "node_type",
        "[client]",
        'from = "case"',
        "number",
        "date",
        "[match]",
        "name_role",
        "values",
        "missing",
        "value =",
        "layout",
        "circles",
        "rings",
        "knows",
    ):
        assert key in text, key
    mapping = parse_mapping(
        {
            "node_type": "Person",
            "client": {"from": "case"},
            "match": {"by": "name_role"},
            "name": {"variable": "name"},
            "role": {"value": "friend"},
            "conflict": {"value": 0},
            "support": {"value": 2},
            "ring": {"variable": "Closeness", "values": {"Inner": 1, "Outer": 3}},
        }
    )
    assert mapping.ring.values == {"Inner": 1, "Outer": 3} and mapping.session_number is None


# ------------------------------------------------------------------ the command
@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "store.db")
    assert run("init", "--db", path)[0] == 0
    return path


def test_cli_dry_run_writes_nothing(db: str) -> None:
    code, out = run("import-nc", str(FIXTURES), "--map", str(EXAMPLE), "--db", db, "--dry-run")
    assert code == 0, out
    assert "Would import 2 clients from 4 interviews:" in out
    assert "nc-01: 3 sessions (1 on 2026-01-05, 2 on 2026-01-12, 3 on 2026-01-19), 6 people" in out
    assert "Ambiguous matches: none." in out
    assert Store.open(db).client_ids() == []


def test_cli_all_or_nothing(db: str, exports: Path) -> None:
    edit_csv(
        session_file(exports, 2, "attributeList_Person"),
        lambda rows: rows[0].update(Conflict="Extreme"),
    )
    code, out = run("import-nc", str(exports), "--map", str(EXAMPLE), "--db", db)
    assert code == 1 and "1 problem found; nothing was written." in out
    assert ", line 2, column Conflict: value is not in the mapping" in out
    assert Store.open(db).client_ids() == []  # nc-02 and the sound sessions were not written
    code, out = run("import-nc", str(FIXTURES), "--map", str(EXAMPLE), "--db", db)
    assert code == 0 and out.startswith("Imported 2 clients from 4 interviews:"), out
    code, out = run("import-nc", str(FIXTURES / "pre2020"), "--map", str(EXAMPLE), "--db", db)
    assert code == 1 and "already in the store" in out
    code, out = run(
        "import-nc", str(FIXTURES / "pre2020"), "--map", str(EXAMPLE), "--db", db, "--replace"
    )
    assert code == 0, out
    stored = Store.open(db).inventory()
    assert stored.sessions_of("nc-01") == [1, 2, 3] and stored.sessions_of("nc-02") == [1]


def test_cli_help_names_every_option() -> None:
    code, out = run("import-nc", "--help")
    assert code == 0
    for option in ("PATH...", "--map", "--db", "--replace", "--dry-run"):
        assert option in out


# ------------------------------------------------------------------ the real exports
def _real_close_ties() -> dict[int, set[frozenset[str]]]:
    """The "Close" edges of each real interview as pairs of names, read independently."""
    graph = nx.read_graphml(one(REAL / "graphml_2023_case_1", "*.graphml"), force_multigraph=True)
    graphml = {
        frozenset((graph.nodes[a]["name"], graph.nodes[b]["name"]))
        for a, b, t in graph.edges(data="networkCanvasType")
        if t == "Close"
    }
    folder = REAL / "csv_2025_case_1"
    alters = pd.read_csv(
        one(folder, "*_attributeList_Person.csv"), dtype=str, keep_default_na=False
    )
    name = dict(zip(alters["networkCanvasUUID"], alters["name"], strict=True))
    edges = pd.read_csv(one(folder, "*_edgeList_Close.csv"), dtype=str, keep_default_na=False)
    csv_ties = {
        frozenset((name[a], name[b]))
        for a, b in zip(
            edges["networkCanvasSourceUUID"], edges["networkCanvasTargetUUID"], strict=True
        )
    }
    return {1: graphml, 2: csv_ties}


def test_real_exports_with_the_radar_mapping(real: Path, db: str) -> None:
    header = (
        one(real / "csv_2025_case_1", "*_attributeList_Person.csv").read_bytes().split(b"\r\n")[0]
    )
    assert (
        header.endswith(b",null") and b"Gender_Female" in header
    )  # what the reader must cope with
    result = check_network_canvas([real], load_mapping(RADAR))
    assert isinstance(result, NCImport) and result.failures == [] and result.interviews == 2
    inv = result.inventory
    assert inv.client_ids() == ["case_1"] and inv.sessions_of("case_1") == [1, 2]
    assert list(inv.sessions["date"]) == ["2023-07-17", "2024-12-17"]  # GraphML, then CSV
    expected = _real_close_ties()
    for session, n_alters in ((1, 7), (2, 5)):
        graph = snapshot(inv, "case_1", session)
        alters = [n for n, kind in graph.nodes(data=names.KIND) if kind == names.KIND_PERSON]
        assert len(alters) == n_alters
        knows = {
            frozenset((graph.nodes[a][names.NAME], graph.nodes[b][names.NAME]))
            for a, b, tie in graph.edges(data=names.TIE)
            if tie == names.TIE_PERSON
        }
        assert knows == expected[session]
        assert all(graph.edges[names.EGO, a][names.RING] in (1, 2, 3) for a in alters)
    assert len(expected[1]) == 13  # 14 "Close" edges in the file, one written both ways
    code, out = run("import-nc", str(real), "--map", str(RADAR), "--db", db)
    assert code == 0 and "case_1: 2 sessions (1 on 2023-07-17, 2 on 2024-12-17)" in out
    stored = Store.open(db).inventory()
    assert len(stored.person_ties) == 18 and len(stored.people) == 12


def test_real_csv_values_map_as_documented(real: Path) -> None:
    inv = read_network_canvas([real / "csv_2025_case_1"], load_mapping(RADAR))
    person = pd.read_csv(
        one(real / "csv_2025_case_1", "*_attributeList_Person.csv"),
        dtype=str,
        keep_default_na=False,
    )
    who = people(inv, "case_1")
    got = states(inv, "case_1", 1)
    support = {"Very_close": 4, "Somewhat_close": 2, "Not_close_at_all": 0}
    for row in person.itertuples():
        ring, conflict, given = got[who[row.name]]
        circle = circle_of_position(float(row.Cords_x), float(row.Cords_y), 4)
        assert ring == ring_of_circle(circle, 4) and conflict == 0
        assert given == support[row.RelStrength]
    roles = dict(zip(inv.people["name"], inv.people["role"], strict=True))
    assert roles["Ethan"] == "partner" and roles["Luca"] == "other"  # OngoingPartner empty


# ------------------------------------------------------------------ review fixes
def cli_import(*args: str | Path) -> tuple[int, str]:
    return run("import-nc", *map(str, args))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {'knows = "Knows"': 'knows = "knows"'},
            "mapping key ties.knows: no edge list of edge type knows was found; "
            "edge types present: Argues, Knows",
        ),
        (
            {'node_type = "Person"': 'node_type = "Persons"'},
            "mapping key node_type: no attribute list of node type Persons was found; "
            "node types present: Person, Venue",
        ),
    ],
)
def test_a_type_no_export_has_is_one_clear_problem(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    mapping = write_mapping(tmp_path, mapping_text(**change))
    assert [str(f) for f in failures_of(FIXTURES, mapping)] == [expected]
    code, out = cli_import(FIXTURES, "--map", mapping, "--dry-run")
    assert code == 1 and expected in out and "1 problem found" in out


def test_misspelled_client_variable_is_a_missing_column(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, mapping_text(**{'"client_code"': '"client_cod"'}))
    failures = failures_of(FIXTURES, mapping)
    assert len(failures) == 4  # one per interview: three CSV ego files and one GraphML file
    for failure in failures:
        assert (failure.row, failure.column) == (None, "client_cod")
        assert failure.message.startswith("column is missing"), failure
    no_clinical_values(failures)


def test_the_same_interview_twice_is_named_by_path(exports: Path) -> None:
    shutil.copytree(exports / "csv", exports / "copy" / "csv")
    failures = failures_of(exports)
    ego = session_file(exports, 1, "ego").name
    session_id = ego.split("_")[1]
    assert f"interview {session_id} appears twice: copy/csv/{ego} and csv/{ego}" in map(
        str, failures
    )
    assert len(failures) == 2, failures  # the two copied interviews, nothing else


def test_files_sharing_a_base_name_are_named_by_relative_path(exports: Path) -> None:
    copy = exports / "copy" / "csv"
    shutil.copytree(exports / "csv", copy)
    for ego in copy.glob("*_ego.csv"):  # another session of nc-01, with a bad value
        edit_csv(ego, lambda rows: rows[0].update(networkCanvasSessionID="other", session_no="4"))
    person = session_file(exports, 1, "attributeList_Person").name
    edit_csv(copy / person, lambda rows: rows[1].update(Conflict="Extreme"))
    found = [f for f in failures_of(exports) if f.column == "Conflict"]
    assert [(f.file, f.row) for f in found] == [(f"copy/csv/{person}", 3)]


def test_dry_run_with_problems_prints_only_the_problems(exports: Path, db: str) -> None:
    edit_csv(
        session_file(exports, 2, "attributeList_Person"),
        lambda rows: rows[0].update(Conflict="Extreme"),
    )
    code, out = cli_import(exports, "--map", EXAMPLE, "--db", db, "--dry-run")
    assert code == 1 and "1 problem found" in out
    assert "Would import" not in out and "Ambiguous" not in out


def test_dry_run_is_refused_like_the_real_run(db: str) -> None:
    assert cli_import(FIXTURES, "--map", EXAMPLE, "--db", db)[0] == 0
    code, out = cli_import(FIXTURES / "csv", "--map", EXAMPLE, "--db", db, "--dry-run")
    assert code == 1 and "already in the store (nc-01)" in out and "--replace" in out
    assert "Would import" not in out
    code, out = cli_import(FIXTURES / "csv", "--map", EXAMPLE, "--db", db, "--dry-run", "--replace")
    assert code == 0 and "Would replace nc-01: 3 sessions before, 2 now (session 3 " in out
    assert Store.open(db).inventory().sessions_of("nc-01") == [1, 2, 3]


def test_replace_says_which_sessions_are_gone(db: str) -> None:
    assert cli_import(FIXTURES, "--map", EXAMPLE, "--db", db)[0] == 0
    code, out = cli_import(FIXTURES / "csv", "--map", EXAMPLE, "--db", db, "--replace")
    assert code == 0, out
    assert (
        "Replaced nc-01: 3 sessions before, 2 now (session 3 not in these exports is gone)"
        in out.splitlines()
    )
    assert "nc-02" not in out  # not in these exports, so untouched and not named
    assert Store.open(db).inventory().sessions_of("nc-01") == [1, 2]
    help_text = " ".join(cli_import("--help")[1].split())
    assert "A client is replaced whole" in help_text


def test_examples_are_installed_with_the_package() -> None:
    import tomllib

    import ipt_network
    from ipt_network.io.network_canvas import EXAMPLES

    package = Path(ipt_network.__file__).parent / "data" / "network-canvas"
    assert package == EXAMPLES and (package / "mapping.example.toml").is_file()
    link = ROOT / "data" / "network-canvas"
    assert link.is_symlink() and link.resolve() == package.resolve()
    assert not Path(str(link.readlink())).is_absolute()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["ipt_network"]
    shipped = {p for pattern in patterns for p in (package.parent.parent).glob(pattern)}
    assert {p for p in package.rglob("*") if p.is_file()} <= shipped
    code, out = cli_import("--example-mapping")
    assert code == 0 and out == (package / "mapping.example.toml").read_text()
    assert "--example-mapping" in cli_import("--help")[1]
