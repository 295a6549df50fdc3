"""Snapshot graphs carry the inventory exactly, with the names of ipt_network.names."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipt_network import course, names, snapshot
from ipt_network.errors import ClientNotFound, SessionNotFound
from ipt_network.io.inventory import Inventory
from ipt_network.io.tidy import read_inventory
from ipt_network.network.graph import person_subgraph


def test_snapshot_holds_people_states_and_ties(tiny_folder: Path) -> None:
    inv = read_inventory(tiny_folder)
    G = snapshot(inv, "c1", 1)
    assert G.graph == {"client_id": "c1", "session": 1, "date": "2026-02-02"}
    assert set(G.nodes) == {names.EGO, "p1", "p2", "p3"}
    ann = G.nodes["p1"]
    assert (ann[names.KIND], ann[names.NAME], ann[names.ROLE]) == ("person", "Ann", "partner")
    assert G.nodes["p3"][names.DECEASED_DATE] == "2025-12-01"
    edge = G.edges[names.EGO, "p1"]
    assert (edge[names.RING], edge[names.CLOSENESS], edge[names.CONFLICT], edge[names.SUPPORT]) == (
        1,
        3,
        4,
        1,
    )
    assert edge[names.TIE] == names.TIE_EGO
    assert G.edges["p1", "p2"][names.TIE] == names.TIE_PERSON
    assert G.number_of_edges() == 4


def test_people_leave_and_ties_follow_the_session(tiny_folder: Path) -> None:
    inv = read_inventory(tiny_folder)
    first, second = course(inv, "c1")
    assert "p3" in first and "p3" not in second
    assert second.edges[names.EGO, "p2"][names.RING] == 1  # moved in from the middle ring
    assert sorted(person_subgraph(second).edges) in ([("p1", "p2")], [("p2", "p1")])


def test_optional_fields_travel_on_the_ego_edge(tiny_folder: Path) -> None:
    rel = tiny_folder / "relationships.csv"
    text = rel.read_text().replace("support\n", "support,expectations_met,notes\n", 1)
    lines = text.strip().split("\n")
    lines = [lines[0]] + [f"{line},," for line in lines[1:]]
    lines[1] = lines[1][:-2] + ",1,Argues about money"
    rel.write_text("\n".join(lines) + "\n")
    G = snapshot(read_inventory(tiny_folder), "c1", 1)
    assert G.edges[names.EGO, "p1"]["expectations_met"] == 1
    assert G.edges[names.EGO, "p1"]["notes"] == "Argues about money"
    assert G.edges[names.EGO, "p2"]["notes"] is None


def test_unknown_client_or_session(tiny_folder: Path) -> None:
    inv = read_inventory(tiny_folder)
    with pytest.raises(ClientNotFound):
        snapshot(inv, "nobody", 1)
    with pytest.raises(SessionNotFound):
        snapshot(inv, "c1", 9)


def test_a_session_with_nobody_on_the_map(tiny_folder: Path) -> None:
    sessions = tiny_folder / "sessions.csv"
    sessions.write_text(sessions.read_text() + "c2,2,2026-03-08,,,,,,,,,\n")
    G = snapshot(read_inventory(tiny_folder), "c2", 2)
    assert list(G.nodes) == [names.EGO]


def test_snapshots_carry_every_table_row_in_order(samples_inv: Inventory) -> None:
    """Each snapshot, built from rows read once per inventory, equals the tables row by row."""
    for client_id in samples_inv.client_ids():
        one = samples_inv.for_clients([client_id])
        graphs = course(samples_inv, client_id)
        assert [G.graph["session"] for G in graphs] == samples_inv.sessions_of(client_id)
        for G in graphs:
            s = G.graph["session"]
            rel = one.relationships[one.relationships["session"] == s]
            assert list(G.adj[names.EGO]) == [str(p) for p in rel["person_id"]]
            for row in rel.to_dict("records"):
                edge = G.edges[names.EGO, row["person_id"]]
                assert (edge[names.RING], edge[names.CONFLICT], edge[names.SUPPORT]) == (
                    row["ring"], row["conflict"], row["support"],
                )  # fmt: skip
                assert edge[names.CLOSENESS] == 4 - row["ring"]
            ties = one.person_ties[one.person_ties["session"] == s]
            person_edges = {
                frozenset((u, v))
                for u, v, d in G.edges(data=True)
                if d[names.TIE] == names.TIE_PERSON
            }
            assert person_edges == {
                frozenset((str(a), str(b)))
                for a, b in zip(ties["source"], ties["target"], strict=True)
            }
            # the same graph from the client's own tables (the dashboard's path)
            alone = snapshot(one, client_id, s)
            assert list(alone.nodes(data=True)) == list(G.nodes(data=True))
            assert list(alone.edges(data=True)) == list(G.edges(data=True))
