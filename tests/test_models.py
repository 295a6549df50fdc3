"""Tests of the session panel, the mixed models, the planted support effect and ``model``."""

from __future__ import annotations

import csv
import os
import sys
from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest

from ipt_network import Inventory
from ipt_network.cli import main
from ipt_network.errors import BadArgument, DriverMissing
from ipt_network.io.contract import PHQ9_ITEMS
from ipt_network.io.store import Store
from ipt_network.io.synth import synthesize
from ipt_network.names import PROBLEM_AREAS
from ipt_network.research.models import (
    BETWEEN_UNIT,
    MIN_CLIENTS,
    TABLE_COLUMNS,
    ModelResults,
    fit_models,
)
from ipt_network.research.panel import PANEL_COLUMNS, area_clients, session_panel

PLANTED = 0.4


def _term(results: ModelResults, model: str, subset: str, term: str) -> pd.Series:
    table = results.table
    rows = table[(table["model"] == model) & (table["subset"] == subset) & (table["term"] == term)]
    assert len(rows) == 1
    return rows.iloc[0]


# --- the planted effect -----------------------------------------------------------


def test_the_growth_model_recovers_a_planted_support_effect() -> None:
    # 300 clients in planted mode: the support coefficient's SE is then about
    # 0.055, so a CI around -0.4 excludes 0 with room to spare. While
    # developing, the CI covered -0.4 for 8 of seeds 1-10 (estimates -0.18 to
    # -0.46, mean -0.34: item drawing and the floor at 0 attenuate it a little).
    panel = session_panel(synthesize(300, seed=1, support_effect=PLANTED))
    results = fit_models(panel, areas=(), models=("growth",))
    support = _term(results, "growth", "all", "support")
    assert support["ci_low"] <= -PLANTED <= support["ci_high"]
    assert support["ci_high"] < 0
    assert support["converged"]


def test_planted_mode_changes_support_and_phq9_never_who_is_on_the_map() -> None:
    plain = synthesize(20, seed=4)
    assert synthesize(20, seed=4, support_effect=None).relationships.equals(plain.relationships)
    planted = synthesize(20, seed=4, support_effect=PLANTED)
    cols = ["client_id", "session", "person_id", "ring"]
    pd.testing.assert_frame_equal(plain.relationships[cols], planted.relationships[cols])
    # the shared shift comes from a spawned stream: later draws (ties) are unchanged
    pd.testing.assert_frame_equal(plain.person_ties, planted.person_ties)
    assert not plain.relationships["support"].equals(planted.relationships["support"])
    assert not plain.sessions[list(PHQ9_ITEMS)].equals(planted.sessions[list(PHQ9_ITEMS)])


def test_planted_mode_at_zero_differs_from_the_plain_generator() -> None:
    # 0.0 is planted mode (a null cohort), not "no option"
    plain = synthesize(20, seed=4)
    zero = synthesize(20, seed=4, support_effect=0.0)
    assert not plain.relationships["support"].equals(zero.relationships["support"])


def test_with_no_planted_effect_the_support_term_is_not_significant_too_often() -> None:
    # Planted mode with B = 0 is a null cohort: the generator's own links
    # between support and improvement are off. R = 20 cohorts of 60 clients
    # fit in about 12 s here; a one-sided binomial test at 0.05 allows up to
    # 3 of 20 at p < 0.05 (2 of 20 here; 4 of 40 with R = 40).
    replicates, alpha = 20, 0.05
    hits = 0
    for r in range(replicates):
        panel = session_panel(synthesize(60, seed=100 + r, support_effect=0.0))
        results = fit_models(panel, areas=(), models=("growth",))
        hits += bool(_term(results, "growth", "all", "support")["p"] < alpha)
    assert binomtest(hits, replicates, alpha, alternative="greater").pvalue > alpha


# --- the table and the summary ------------------------------------------------------


@pytest.fixture(scope="module")
def small_cohort() -> ModelResults:
    """40 clients: 34 in role_dispute, 6 in grief (too few), none in the other areas."""
    panel = session_panel(synthesize(40, seed=8))
    ids = sorted(panel["client_id"].unique())
    focus = {c: "grief;role_dispute" if c in ids[:6] else "role_dispute" for c in ids}
    panel["focus"] = panel["client_id"].map(focus).astype("string")
    return fit_models(panel)


def test_the_table_has_its_columns_and_types(small_cohort: ModelResults) -> None:
    table = small_cohort.table
    assert list(table.columns) == list(TABLE_COLUMNS)
    for column in ("coef", "se", "ci_low", "ci_high", "p"):
        assert table[column].dtype == np.float64
    for column in ("n_obs", "n_clients"):
        assert table[column].dtype == np.int64
    assert table["converged"].dtype == bool
    assert (table["ci_low"] < table["coef"]).all() and (table["coef"] < table["ci_high"]).all()
    assert table["p"].between(0, 1).all()
    growth = table[table["model"] == "growth"]
    assert growth["term"].unique().tolist() == [
        "Intercept", "session", "support", "closeness", "conflict", "size",
    ]  # fmt: skip
    lagged = set(table.loc[table["model"] == "lagged", "term"])
    assert {"d_support_within", "d_support_between", "d_size_within"} <= lagged


def test_areas_are_fitted_and_small_ones_skipped(small_cohort: ModelResults) -> None:
    table = small_cohort.table
    assert set(table["subset"]) == {"all", "role_dispute"}
    clients = table.groupby(["model", "subset"])["n_clients"].first()
    assert clients[("growth", "all")] == 40 and clients[("growth", "role_dispute")] == 40
    skipped = {(model, subset) for model, subset, _ in small_cohort.skipped}
    others = [a for a in PROBLEM_AREAS if a != "role_dispute"]
    assert skipped == {(m, a) for m in ("growth", "lagged") for a in others}
    assert f"growth / grief: skipped: 6 clients, fewer than {MIN_CLIENTS}" in small_cohort.summary


def test_the_summary_says_what_was_fit_and_the_caveats(small_cohort: ModelResults) -> None:
    text = small_cohort.summary
    assert "phq9 ~ session + support + closeness + conflict + size" in text
    assert "random intercept and session slope per client" in text
    assert "growth / all: " in text and "sessions of 40 clients" in text
    assert "one more point of mean support" in text
    assert "not causal" in text
    support = _term(small_cohort, "growth", "all", "support")
    assert f"{abs(support['coef']):.2f} points" in text


def test_the_summary_states_between_terms_per_tenth_of_a_point(
    small_cohort: ModelResults,
) -> None:
    text = small_cohort.summary
    between = _term(small_cohort, "lagged", "all", "d_closeness_between")
    tenth = BETWEEN_UNIT * between["coef"]
    assert BETWEEN_UNIT == 0.1
    assert (
        "clients whose closeness changes 0.1 point more per session on average: "
        f"PHQ-9 {abs(tenth):.2f} points"
    ) in text
    assert "one point more per session" not in text
    assert "their CIs are wide" in text


def test_a_panel_without_phq9_says_so_once() -> None:
    panel = session_panel(synthesize(20, seed=2)).assign(phq9=np.nan)
    results = fit_models(panel)
    assert "No session has a PHQ-9 total; nothing to fit." in results.summary
    assert "skipped" not in results.summary
    assert results.table.empty


def _flat_panel(closeness_varies: bool) -> pd.DataFrame:
    """12 clients whose PHQ-9 has no slope of its own: a random slope's variance is 0."""
    rng = np.random.default_rng(0)
    rows = []
    for client in range(12):
        for session in range(1, 7):
            phq9 = 10 + client % 3 + int(rng.integers(0, 2))
            support = float(rng.integers(0, 5))
            closeness = float(rng.integers(1, 4)) if closeness_varies else 2.0
            conflict = float(rng.integers(0, 3))
            rows.append((f"c{client:02d}", session, phq9, support, closeness, conflict))
    columns = ["client_id", "session", "phq9", "support", "closeness", "conflict"]
    panel = pd.DataFrame(rows, columns=columns)
    return panel.assign(
        phq9=panel["phq9"].astype("Int64"),
        focus=pd.array(["grief"] * len(panel), dtype="string"),
        size=5 + panel["session"] % 2,
    )


def test_a_convergence_warning_is_recorded_not_raised() -> None:
    # pytest turns warnings into errors: this passes only if the fit caught it
    results = fit_models(_flat_panel(closeness_varies=True), areas=(), models=("growth",))
    assert len(results.table) == 6
    assert not results.table["converged"].any()
    assert "warning: ConvergenceWarning: The MLE may be on the boundary" in results.summary
    assert "DID NOT CONVERGE CLEANLY" in results.summary


def test_a_fit_that_fails_is_reported_as_skipped() -> None:
    # a constant predictor makes the design singular
    results = fit_models(_flat_panel(closeness_varies=False), areas=(), models=("growth",))
    assert results.table.empty and list(results.table.columns) == list(TABLE_COLUMNS)
    assert results.skipped == [("growth", "all", "the fit failed (LinAlgError)")]
    assert "growth / all: skipped: the fit failed (LinAlgError)." in results.summary


def test_an_unknown_model_is_refused() -> None:
    with pytest.raises(BadArgument, match="unknown model"):
        fit_models(session_panel(synthesize(2, seed=1)), models=("cubic",))


# --- the session panel ----------------------------------------------------------------


def _by_hand(inv: Inventory) -> pd.DataFrame:
    """The panel's measures from networkx graphs and the PHQ-9 rules of the guide."""
    rows = []
    for (client, session), people in inv.relationships.groupby(["client_id", "session"]):
        G = nx.Graph()
        for p in people.itertuples():
            G.add_node(
                p.person_id, ring=int(p.ring), conflict=int(p.conflict), support=int(p.support)
            )
        n = G.number_of_nodes()
        attrs = {k: nx.get_node_attributes(G, k) for k in ("ring", "conflict", "support")}
        rows.append(
            {
                "client_id": client,
                "session": int(session),
                "support": sum(attrs["support"].values()) / n,
                "closeness": sum(4 - r for r in attrs["ring"].values()) / n,
                "conflict": sum(attrs["conflict"].values()) / n,
                "size": n,
            }
        )
    network = pd.DataFrame(rows)
    totals: list[int | None] = []
    for items in inv.sessions[list(PHQ9_ITEMS)].itertuples(index=False):
        answered = [int(v) for v in items if not pd.isna(v)]
        if len(answered) < 7:  # 3 or more missing: no total
            totals.append(None)
        else:  # prorate: mean of the answered items x 9, rounded half up
            totals.append(int(Fraction(9 * sum(answered), len(answered)) + Fraction(1, 2)))
    scored = inv.sessions[["client_id", "session"]].assign(phq9=totals)
    return scored.astype({"client_id": str, "session": int}).merge(network, how="left")


def test_session_panel_equals_the_measures_computed_by_hand() -> None:
    inv = synthesize(4, seed=11)
    panel = session_panel(inv)
    assert list(panel.columns) == list(PANEL_COLUMNS)
    assert len(panel) == len(inv.sessions)
    hand = _by_hand(inv).sort_values(["client_id", "session"], ignore_index=True)
    assert panel["client_id"].tolist() == hand["client_id"].tolist()
    for column in ("support", "closeness", "conflict"):
        np.testing.assert_allclose(panel[column].to_numpy(), hand[column].to_numpy(), atol=1e-12)
    assert panel["size"].tolist() == hand["size"].tolist()
    got = [None if pd.isna(v) else int(v) for v in panel["phq9"]]
    assert got == [None if pd.isna(v) else int(v) for v in hand["phq9"]]
    assert any(v is None for v in got), "the sample should include a session without a total"
    focus = inv.clients.set_index("client_id")["focus"]
    assert panel["focus"].tolist() == [focus[c] for c in panel["client_id"]]


def test_a_client_with_two_areas_is_in_both() -> None:
    panel = pd.DataFrame({"focus": pd.array(["grief;role_dispute", "grief", None], dtype="string")})
    assert area_clients(panel, "grief").tolist() == [True, True, False]
    assert area_clients(panel, "role_dispute").tolist() == [True, False, False]


# --- the command ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("model-store") / "store.db"
    store = Store.create(str(path))
    store.import_inventory(synthesize(60, seed=5, support_effect=PLANTED))
    store.engine.dispose()
    return str(path)


def test_model_writes_both_files_private_and_refuses_to_overwrite(
    model_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    args = ["model", "--db", model_db, "--out", str(out), "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    table, summary = out / "coefficients.csv", out / "summary.txt"
    for path in (table, summary):
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert summary.read_text(encoding="utf-8") in result.stdout
    written = pd.read_csv(table)
    assert list(written.columns) == list(TABLE_COLUMNS)
    text = summary.read_text(encoding="utf-8")
    for area in PROBLEM_AREAS:  # fitted, or said to be skipped
        assert area in set(written["subset"]) or f"growth / {area}: skipped" in text
    assert "all" in set(written["subset"])
    assert (written["coef"] < 0).any(), "negative coefficients are written as numbers"
    with table.open(newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "@", "-") and not _is_number(c)]
    assert not risky

    before = table.read_bytes()
    again = CliRunner().invoke(main, args)
    assert again.exit_code != 0 and "--overwrite" in again.output
    assert table.read_bytes() == before
    replaced = CliRunner().invoke(main, [*args, "--overwrite"])
    assert replaced.exit_code == 0, replaced.output


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_model_help_documents_every_option() -> None:
    result = CliRunner().invoke(main, ["model", "--help"])
    assert result.exit_code == 0
    for option in ("--db", "--out", "--overwrite", "--progress"):
        assert option in result.output
    text = " ".join(result.output.split())
    assert "not causal" in text
    assert "per 0.1 point of mean change per session" in text
    assert "plain synth is not a null cohort" in text


def test_synth_plants_the_effect_from_the_command_line(tmp_path: Path) -> None:
    plain, planted = tmp_path / "plain", tmp_path / "planted"
    for out, extra in ((plain, []), (planted, ["--support-effect", "0.4"])):
        args = ["synth", "--clients", "5", "--seed", "3", "--out", str(out), *extra]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    assert (plain / "people.csv").read_bytes() == (planted / "people.csv").read_bytes()
    assert (plain / "sessions.csv").read_bytes() != (planted / "sessions.csv").read_bytes()
    help_text = " ".join(CliRunner().invoke(main, ["synth", "--help"]).output.split())
    assert "so it is not a null cohort" in help_text
    assert "0 gives a null cohort" in help_text


def test_without_statsmodels_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, model_db: str, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "statsmodels.formula.api", None)  # import fails
    with pytest.raises(DriverMissing, match=r"pip install 'ipt-network\[research\]'"):
        fit_models(session_panel(synthesize(2, seed=1)))
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["model", "--db", model_db, "--out", str(out)])
    assert result.exit_code != 0
    assert "pip install 'ipt-network[research]'" in result.output
    assert not (out / "coefficients.csv").exists()
