"""The ``metrics``, ``changes`` and ``model`` commands: network measures, change and models.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(changes_cmd, ["--help"])
>>> "who joined" in result.output
True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ipt_network.cli._common import client_argument, db_option, errors_as_messages, open_store

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["metrics_cmd", "changes_cmd", "model_cmd", "write_table", "tables_leaving"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def tables_leaving(store: Any, names: list[str], detail: str) -> dict[str, pd.DataFrame]:
    """Tables read for a file that leaves the system, and that read's one audit row.

    The row names the clients read and counts their rows. A researcher's
    tables come de-identified, and the study keys made for them land in the
    same write as the row (``export-deidentified``); anyone else's as stored
    (``export``).
    """
    from ipt_network.io.store import Event

    if store.actor.role == "researcher":
        anon = store.deidentified(export=detail)
        return {name: getattr(anon, name) for name in names}
    tables: dict[str, pd.DataFrame] = store.read_tables(names)
    ids = sorted(set().union(*(set(t["client_id"]) for t in tables.values())))
    store.record(Event("export", ids, sum(len(t) for t in tables.values()), detail))
    return tables


def write_table(table: pd.DataFrame, out: Path) -> None:
    """Write a DataFrame as CSV or Parquet, chosen by the file's extension.

    In a CSV file, a text cell a spreadsheet would run as a formula gets a
    leading apostrophe (:func:`~ipt_network.io._cells.neutralise`); numbers,
    negative ones too, are written as numbers.

    Raises
    ------
    click.BadParameter
        When the extension is neither ``.csv`` nor ``.parquet``/``.pq``.
    """
    kind = _FORMATS.get(out.suffix.lower())
    if kind is None:
        raise click.BadParameter("the file name must end in .csv or .parquet", param_hint="'--out'")
    from ipt_network.io._cells import neutralise_frame
    from ipt_network.io._files import private_output

    with private_output(out) as tmp:  # whole file or nothing, readable by the owner only
        if kind == "csv":
            neutralise_frame(table).to_csv(tmp, index=False)
        else:
            table.to_parquet(tmp, index=False)


@click.command("metrics")
@db_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write: .csv for a spreadsheet, .parquet for R/Python analysis.",
)
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Show a progress bar on large stores.",
)
def metrics_cmd(db: str | None, out: Path, progress: bool) -> None:
    """Write the network measures of every client at every session to a file.

    One row per client and session: how many people are on the map and how
    many in the inner circle, total closeness, conflict and support, how many
    relationships are conflictual or ambivalent (inner circle with conflict),
    how connected the people are to each other (density, separate groups,
    people who know nobody else on the map), and the client's effective size
    and constraint (Burt's structural holes).

    Then the change from the previous session: people added, lost and kept,
    the overlap of the two maps (jaccard, 1 = same people), and how many moved
    closer (moved_in) or further away (moved_out). These are empty for a
    client's first session.

    The file holds ids and numbers only, no names or notes.
    """
    from ipt_network.network.metrics import cohort_metrics

    store = open_store(db)
    with errors_as_messages():
        tables = tables_leaving(store, ["relationships", "person_ties", "sessions"], "metrics")
        try:
            table = cohort_metrics(
                tables["relationships"],
                tables["person_ties"],
                sessions=tables["sessions"],
                progress=progress,
            )
        except ValueError as exc:
            raise click.ClickException(f"the store's tables are inconsistent: {exc}") from exc
    write_table(table, out)
    clients = table["client_id"].nunique()
    click.echo(f"Wrote {len(table):,} rows ({clients:,} clients) to {out}", err=True)


@click.command("changes")
@client_argument
@db_option
def changes_cmd(client_id: str, db: str | None) -> None:
    """Tell how one client's network changed, session by session.

    For each session: who joined the map (and in which circle), who left it,
    who moved closer or further away, and whose conflict rose or fell. It
    ends with one line on the whole course: did the network grow, hold or
    thin, and in which circles. The safety flag, when there is one, comes
    first, with the crisis lines of the store's region.

    CLIENT is the client's id (see `ipt-network clients`).
    """
    from ipt_network.clinical.safety import safety_flag
    from ipt_network.views.changes import describe_changes

    store = open_store(db)
    with errors_as_messages():
        inventory = store.inventory([client_id])
        where = store.region
        lines = describe_changes(inventory, client_id)
    flag = safety_flag(inventory, client_id)
    if flag is not None:
        click.echo(flag.banner(where))
        click.echo()
    click.echo(f"Changes in the network of {client_id}")
    for line in lines:
        click.echo(line)


@click.command("model")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write coefficients.csv and summary.txt into (made if missing).",
)
@db_option
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace coefficients.csv and summary.txt when the folder already holds them.",
)
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Show a progress bar over the fits.",
)
def model_cmd(db: str | None, out: Path, overwrite: bool, progress: bool) -> None:
    """Fit the mixed-effects models of PHQ-9 and the network, overall and by problem area.

    Two models (statsmodels MixedLM): the growth model, PHQ-9 over sessions
    with mean support, mean closeness, mean conflict and network size as
    time-varying predictors and a random intercept and session slope per
    client; and the lagged within-person model, the change of each measure
    from one session to the next against PHQ-9 at the session after, split
    into the client's usual change (between) and the session's deviation
    from it (within), with a random intercept per client. Each is fitted on
    every client and on the clients of each problem area; an area with fewer
    than 10 clients is skipped and said so.

    Writes coefficients.csv (model, subset, term, coef, se, ci_low, ci_high,
    p, n_obs, n_clients, converged) and summary.txt, and prints the summary.
    Both files hold numbers and ids of models only, readable by you only.
    The summary states the lagged between terms per 0.1 point of mean change
    per session (coefficients.csv: per point). To check the models, fit a
    cohort from `synth --support-effect B` (planted mode): the growth model's
    support term should cover -B; plain synth is not a null cohort. The
    results are associations, not causal effects. Needs statsmodels:
    pip install 'ipt-network[research]'.
    """
    from ipt_network.errors import OutputExists
    from ipt_network.io._files import private_output
    from ipt_network.io.contract import TABLES
    from ipt_network.io.inventory import Inventory
    from ipt_network.research.models import fit_models
    from ipt_network.research.panel import session_panel

    table_path, summary_path = out / "coefficients.csv", out / "summary.txt"
    store = open_store(db)
    with errors_as_messages():
        there = [p.name for p in (table_path, summary_path) if p.exists()]
        if there and not overwrite:
            raise OutputExists(f"{out} already holds {' and '.join(there)}; add --overwrite")
        # a researcher's tables come de-identified (study ids), everyone else's as stored
        panel = session_panel(Inventory.from_tables(tables_leaving(store, list(TABLES), "model")))
        results = fit_models(panel, progress=progress)
        write_table(results.table, table_path)
        with private_output(summary_path) as tmp:
            tmp.write_text(results.summary, encoding="utf-8")
    click.echo(results.summary, nl=False)
    click.echo(f"Wrote {table_path} and {summary_path}", err=True)
