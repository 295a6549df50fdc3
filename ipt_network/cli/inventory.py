"""Commands that make, fill, empty and read a store: init, import, export, synth, clients, show."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pandas as pd

from ipt_network.cli._common import (
    client_argument,
    db_option,
    errors_as_messages,
    open_store,
    signed_in,
)
from ipt_network.regions import Region

__all__ = [
    "init_cmd",
    "settings_cmd",
    "import_cmd",
    "import_nc_cmd",
    "export_cmd",
    "synth_cmd",
    "clients_cmd",
    "show_cmd",
]

_REGION_HELP = (
    "The country or region of the practice, for the crisis lines every view shows: "
    "us (988, 911), ca (9-8-8, 911), uk (Samaritans 116 123, NHS 111, 999), "
    "ie (Samaritans 116 123, 112 or 999), au (Lifeline 13 11 14, 000), "
    "nz (1737, 111) or intl (findahelpline.com and the local emergency number)."
)


def _region_choice() -> click.Choice:
    from ipt_network.regions import REGIONS

    return click.Choice(sorted(REGIONS), case_sensitive=False)


@click.command("init")
@db_option
@click.option(
    "--region",
    type=_region_choice(),
    default=None,
    help=_REGION_HELP + " Default: us for a new store; an existing store keeps its own.",
)
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the new store file (SQLCipher, AES-256; needs ipt-network[encrypt]). "
    "The key comes from IPT_NETWORK_KEY, or is asked for twice without echo; every "
    "command then needs it the same way. Without the key no one can open the store.",
)
def init_cmd(db: str | None, region: str | None, encrypt: bool) -> None:
    """Make an empty store (or bring an existing one up to date).

    The store is a single SQLite file unless --db is an SQLAlchemy URL
    (for example postgresql://host/ipt). Without --db it is store.db in your
    user data folder; `ipt-network init` prints where. The file is readable
    by you only; with --encrypt its contents are encrypted too.
    """
    from ipt_network.cli._key import store_key
    from ipt_network.io.store import Store, resolve_url
    from ipt_network.io.store._engine import is_encrypted, sqlite_path
    from ipt_network.regions import DEFAULT_REGION
    from ipt_network.regions import region as lookup

    with errors_as_messages():
        file = sqlite_path(resolve_url(db))
        plain = file is not None and file.is_file() and file.stat().st_size > 0
        if encrypt and plain and file is not None and not is_encrypted(file):
            raise click.ClickException(
                f"{file} is a store without encryption; --encrypt makes a new store. "
                "Export this one (ipt-network export) and import it into a store made "
                "with --encrypt at another --db path."
            )
        key = store_key(db, create=encrypt)
        wanted = (region or DEFAULT_REGION).lower()
        # a new store gets its region with its tables: one write, one audit row
        store = signed_in(Store.create(db, key=key, settings={"region": wanted}))
    with errors_as_messages(), store:
        current = store.setting("region")
        if current is None or (region is not None and current != wanted):
            store.set_setting("region", wanted)
        chosen = lookup(store.setting("region"))
        click.echo(
            f"Store ready at {resolve_url(db)} (schema version {store.schema_version}"
            f"{', encrypted' if key is not None else ''}); crisis lines for {chosen.name}."
        )


@click.command("settings")
@db_option
@click.option("--region", type=_region_choice(), default=None, help=_REGION_HELP)
def settings_cmd(db: str | None, region: str | None) -> None:
    """Show the store's settings, or change them.

    Without options it prints the region and the crisis lines every view
    shows. With --region it changes the region for every view at once.
    """
    from ipt_network.regions import region as lookup

    store = open_store(db, write=region is not None)
    with errors_as_messages(), store:
        if region is not None:
            store.set_setting("region", region.lower())
        chosen = lookup(store.setting("region"))
    click.echo(f"region: {chosen.code} ({chosen.name})")
    click.echo(f"crisis lines (checked {chosen.checked}): {chosen.summary()}")


_replace_option = click.option(
    "--replace",
    is_flag=True,
    help="Replace clients that are already in the store. Without it, importing a "
    "client that is already stored is refused and nothing is written.",
)


@click.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@_replace_option
def import_cmd(folder: Path, db: str | None, replace: bool) -> None:
    """Import a tidy inventory folder (clients.csv, sessions.csv, ...) into the store.

    Every file is checked first. If anything breaks the format, every problem
    is listed with its file, line and column, and nothing is written. The
    import is one transaction: it lands whole or not at all.
    """
    store = open_store(db, write=True)
    with errors_as_messages():
        inventory = store.import_folder(folder, replace=replace, progress=None)
    click.echo(
        f"Imported {len(inventory)} client(s): {len(inventory.sessions)} sessions, "
        f"{len(inventory.relationships)} relationship states, {len(inventory.person_ties)} "
        f"person ties, {len(inventory.events)} life events."
    )


@click.command("import-nc")
@click.argument(
    "paths",
    nargs=-1,
    metavar="PATH...",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--map",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The mapping file (TOML): which node type holds the people, which variables give "
    "the client, session, name, role, ring, conflict and support, which edge type means "
    "'know each other' and how people are matched. Start from the example: "
    "ipt-network import-nc --example-mapping > mapping.toml",
)
@db_option
@click.option(
    "--replace",
    is_flag=True,
    help="Replace clients that are already in the store. A client is replaced whole: "
    "stored sessions that are not in these exports are deleted (the output names them). "
    "Without it, importing a client that is already stored is refused and nothing is written.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read and check everything, against the store too, print what would be imported "
    "(clients, sessions, people, ties) and any ambiguous matches, and write nothing.",
)
@click.option(
    "--example-mapping",
    "show_example",
    is_flag=True,
    help="Print the example mapping (every key documented) and stop; PATH and --map are "
    "not needed.",
)
def import_nc_cmd(
    paths: tuple[Path, ...],
    mapping_file: Path | None,
    db: str | None,
    replace: bool,
    dry_run: bool,
    show_example: bool,
) -> None:
    """Import Network Canvas exports: one interview is one session of one client.

    PATH is an export file or a folder searched for them: CSV exports
    (<case>_<session>_ego.csv, _attributeList_<NodeType>.csv,
    _edgeList_<EdgeType>.csv; current or pre-2020 column names) and GraphML
    exports. Everything passes the checks of `import`. If anything is wrong,
    every problem is listed with its file, line and column, ambiguous matches
    of people included, and nothing is written.

    `ipt-network import-nc --example-mapping > mapping.toml` writes the example
    mapping to edit for your protocol.
    """
    from ipt_network.errors import ClientExists, ValidationError
    from ipt_network.io import network_canvas as nc
    from ipt_network.io.inventory import Inventory

    if show_example:
        click.echo(nc.example_mapping(), nl=False)
        return
    if not paths:
        raise click.UsageError("Missing argument 'PATH...'.")
    if mapping_file is None:
        raise click.UsageError("Missing option '--map'.")
    with errors_as_messages():
        result = nc.check_network_canvas(paths, nc.load_mapping(mapping_file), progress=None)
        if result.failures:
            raise ValidationError(result.failures)
    store = open_store(db, write=not dry_run)
    with errors_as_messages(), store:
        stored = set(store.client_ids())
        present = [c for c in result.inventory.client_ids() if c in stored]
        before = store.inventory(present) if present else Inventory.empty()
        if dry_run and len(before) and not replace:
            raise ClientExists(
                f"{len(before)} client(s) already in the store ({', '.join(before.client_ids())}); "
                "the import would be refused. Use --replace to overwrite them."
            )
        if not dry_run:
            store.import_inventory(result.inventory, replace=replace, progress=None)
    verbs = ("Would import", "Would replace") if dry_run else ("Imported", "Replaced")
    click.echo(result.summary(verbs[0]))
    for line in nc.replacements(before, result.inventory, verbs[1]):
        click.echo(line)


@click.command("export")
@db_option
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the files into.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["tidy", "graphml", "egor", "parquet"], case_sensitive=False),
    default="tidy",
    show_default=True,
    help="tidy: the CSV folder that `import` reads back. "
    "graphml: one GraphML file per client and session, in a folder per client, the client "
    "as an ego node tied to everyone on the map (networkx, igraph, Gephi). "
    "egor: egos.csv, alters.csv and aaties.csv for R's egor() and igraph, the session as "
    "the wave column. "
    "parquet: a dataset partitioned by client with every table and the metrics "
    "(pandas, pyarrow, DuckDB, Dask).",
)
@click.option("--client", "clients", multiple=True, help="Only this client (repeat for more).")
@click.option(
    "--deidentify",
    is_flag=True,
    help="HIPAA Safe Harbor: random study ids for clients (the key stays in the store), "
    "each client's dates shifted back by one random number of days, ages of 90 or over "
    "written as 90, people and goals re-keyed, names and every free-text field left out; "
    "summary.csv beside the files, counts from 1 to 10 suppressed. Goes into a new or "
    "empty folder only (--overwrite does not lift this), so nothing from an earlier "
    "export sits beside it.",
)
@click.option("--overwrite", is_flag=True, help="Replace files already in the folder.")
def export_cmd(
    db: str | None,
    out: Path,
    fmt: str,
    clients: tuple[str, ...],
    deidentify: bool,
    overwrite: bool,
) -> None:
    """Export the store: a tidy inventory folder that `import` reads back, or a research format.

    --deidentify applies to every format; it records new study ids in the store.
    """
    from ipt_network.io.store import Event
    from ipt_network.research import deidentify as safe_harbor

    store = open_store(db, write=deidentify)  # a de-identified export keeps its study keys
    chosen = list(clients) if clients else None
    with errors_as_messages():
        if deidentify:
            safe_harbor.require_empty(out)
            summary = safe_harbor.summary_path(out, overwrite=overwrite)
            inventory = store.deidentified(chosen, export=f"format={fmt.lower()}")
            click.echo(
                f"De-identified {len(inventory)} client(s): study ids, dates shifted, "
                f"{safe_harbor.SUMMARY_FILE} with counts from 1 to 10 suppressed."
            )
        else:
            inventory = store.inventory(chosen)
            rows = sum(len(frame) for _, frame in inventory.items())
            ids = inventory.client_ids()
            store.record(Event("export", ids, rows, f"format={fmt.lower()}"))
    with errors_as_messages():
        written = _export_writer(fmt.lower())(inventory, out, overwrite=overwrite)
        if deidentify:
            safe_harbor.write_summary(inventory, summary)
    shown = sorted({p.relative_to(out).parts[0] for p in written})
    click.echo(f"Wrote {len(inventory)} client(s) as {fmt.lower()} to {out}: {', '.join(shown)}")


def _export_writer(fmt: str) -> Callable[..., list[Path]]:
    """The function that writes one export format (imported only when used)."""
    if fmt == "graphml":
        from ipt_network.research.formats import write_graphml

        return write_graphml
    if fmt == "egor":
        from ipt_network.research.formats import write_egor

        return write_egor
    if fmt == "parquet":
        from ipt_network.research.parquet import write_parquet

        return write_parquet
    from ipt_network.io.tidy import write_inventory

    return write_inventory


@click.command("synth")
@click.option(
    "--clients",
    "n_clients",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="How many synthetic clients.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Same seed, same cohort, byte for byte."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the tidy CSV files into.",
)
@click.option("--overwrite", is_flag=True, help="Replace CSV files already in the folder.")
@click.option(
    "--support-effect",
    "support_effect",
    type=float,
    default=None,
    metavar="B",
    help=(
        "Planted mode, for checking `ipt-network model`: switch off the generator's own "
        "links between support and improvement and plant the only one, each point of "
        "mean support above 2 lowering PHQ-9 by B points (within and between clients); "
        "0 gives a null cohort. Without this option the cohort has the generator's "
        "built-in association between support and improvement, so it is not a null cohort."
    ),
)
def synth_cmd(
    n_clients: int, seed: int, out: Path, overwrite: bool, support_effect: float | None
) -> None:
    """Write a synthetic cohort of fictional clients as a tidy inventory folder.

    Each client has a designed problem area, a course of 12 to 16 weekly
    sessions, people who join, leave and move between rings, life events that
    fit the problem area and PHQ-9 scores that mostly fall. For testing and
    teaching; never real people.
    """
    from ipt_network.io.synth import synthesize
    from ipt_network.io.tidy import write_inventory

    inventory = synthesize(n_clients, seed, progress=True, support_effect=support_effect)
    with errors_as_messages():
        write_inventory(inventory, out, overwrite=overwrite)
    click.echo(
        f"Wrote {n_clients} synthetic clients ({len(inventory.sessions)} sessions, "
        f"{len(inventory.relationships)} relationship states) to {out}"
    )


@click.command("clients")
@db_option
def clients_cmd(db: str | None) -> None:
    """List the clients in the store: sessions done of planned, phase, latest PHQ-9
    (prorated when 1 or 2 items were missing) with its band, the change from the
    first PHQ-9 (reliable change: a drop of 6 or more; response: half or more from
    a baseline of 10 or more), focus, and the safety flag with the crisis lines of
    the store's region.
    """
    from ipt_network.views.overview import client_overview

    store = open_store(db)
    with errors_as_messages():
        table = client_overview(store.inventory())
        where = store.region
    if table.empty:
        click.echo("The store has no clients yet. Add some with `ipt-network import FOLDER`.")
        return
    click.echo(_format_overview(table, where))


def _yes_no(value: object) -> str:
    return "-" if pd.isna(value) else ("yes" if bool(value) else "no")


def _format_overview(table: pd.DataFrame, region: Region) -> str:
    from ipt_network.clinical.measures import ITEM9_NOT_ASKED, phq9_total_text
    from ipt_network.clinical.safety import crisis_lines

    lines = [
        f"{'client':<16} {'sessions':<9} {'phase':<12} {'latest PHQ-9':<32} "
        f"{'change':<7} {'reliable':<9} {'response':<9} focus"
    ]
    for r in table.itertuples(index=False):
        if pd.isna(r.phq9_total):
            phq = change = "-"
        else:
            phq = (
                f"{phq9_total_text(r.phq9_total, r.phq9_prorated)} {r.phq9_band}, s{r.phq9_session}"
            )
            change = f"{int(r.phq9_change):+d}"
        phase = "-" if pd.isna(r.phase) else str(r.phase)
        focus = "-" if pd.isna(r.focus) else str(r.focus)
        response = (
            "n/m"
            if pd.isna(r.phq9_response) and not pd.isna(r.phq9_total)
            else (_yes_no(r.phq9_response))
        )
        lines.append(
            f"{r.client_id:<16} {f'{r.sessions_done} of {r.planned_sessions}':<9} "
            f"{phase:<12} {phq:<32} {change:<7} {_yes_no(r.phq9_reliable_change):<9} "
            f"{response:<9} {focus}"
        )
        notes = []
        if not pd.isna(r.phq9_total) and not r.phq9_item9_asked:
            notes.append(f"session {r.phq9_session}: {ITEM9_NOT_ASKED}")
        if not pd.isna(r.phq9_incomplete_session):
            notes.append(f"session {r.phq9_incomplete_session}: PHQ-9 incomplete")
        if notes:
            lines.append(f"{'':<16} {'; '.join(notes)}")
        if not pd.isna(r.safety_flag):
            lines.append(f"{'':<16} ! {r.safety_flag}")
    if (table["phq9_response"].isna() & table["phq9_total"].notna()).any():
        lines.append("n/m: response is not measured from a PHQ-9 baseline below 10.")
    if table["safety_flag"].notna().any():
        lines.append(f"! {crisis_lines(region)}")
    return "\n".join(lines)


@click.command("show")
@client_argument
@db_option
def show_cmd(client_id: str, db: str | None) -> None:
    """Print a readable summary of one client's course.

    Sessions with dates, phase and the PHQ-9 (totals prorated when 1 or 2
    items were missing, change, response, reliable change, item 9 and the
    difficulty item); the other measures; each person with their ring and
    conflict at the first and the latest session; the communication work;
    and the safety flag, with the crisis lines of the store's region,
    wherever a self-harm item was above 0.
    """
    from ipt_network.views.summary import client_summary

    store = open_store(db)
    with errors_as_messages():
        inventory = store.inventory([client_id])
        where = store.region
    click.echo(client_summary(inventory, client_id, where))
